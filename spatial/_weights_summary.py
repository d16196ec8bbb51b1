"""The descriptive summary of a weights matrix (:meth:`SpatialWeights.summary`) and its HTML form, and
the record of what a builder's island policy did (:class:`IslandPolicy`, kept by :class:`SpatialWeights`)."""
from __future__ import annotations

import html
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Literal

from spillmap.errors import format_items
from spillmap.results import FrameDisplay

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["WeightsSummary", "IslandPolicy"]


@dataclass(frozen=True)
class IslandPolicy:
    """What a builder did with the islands of its neighbour rule (units without a contiguous neighbour).

    Recorded by :func:`spillmap.spatial.builders.contiguity` (``islands="nearest"`` or ``"drop"``) on the
    :class:`~spillmap.spatial.weights.SpatialWeights` it returns, so that the summary of a W whose islands
    were linked says which they were (``w.islands`` is empty after linking).

    Parameters
    ----------
    policy
        ``"nearest"`` (each linked to its ``k`` nearest units) or ``"drop"`` (removed from W).
    ids
        The islands of the contiguity, in the layer's order (as text).
    k
        Links per island (``"nearest"``).
    """

    policy: Literal["nearest", "drop"]
    ids: tuple[str, ...]
    k: int = 1

    def __post_init__(self) -> None:
        from spillmap.errors import check_choice

        check_choice("policy", self.policy, ("nearest", "drop"))
        object.__setattr__(self, "ids", tuple(str(i) for i in self.ids))
        if not self.ids:
            from spillmap.errors import InputError

            raise InputError("IslandPolicy needs the ids of the islands (none given).")

    def words(self) -> str:
        """E.g. ``"5 of the contiguity linked to their nearest unit ('460100', ...)"`` (the first 10 ids)."""
        done = "dropped" if self.policy == "drop" else (
            "linked to their nearest unit" if self.k == 1 else f"linked to their {self.k} nearest units")
        return f"{len(self.ids)} of the contiguity {done} ({format_items(self.ids, 10)})"

    def within(self, ids: tuple[str, ...]) -> IslandPolicy | None:
        """The record for a W over fewer units (:meth:`SpatialWeights.subset`).

        Parameters
        ----------
        ids
            The units of that W.

        Returns
        -------
        IslandPolicy or None
            Linked islands outside ``ids`` left out (``None`` when none is left); dropped ones
            kept (they were never in W).
        """
        if self.policy == "drop":
            return self
        keep = set(ids)
        left = tuple(i for i in self.ids if i in keep)
        return replace(self, ids=left) if left else None


@dataclass(frozen=True)
class WeightsSummary(FrameDisplay):
    """Descriptive figures of a weights matrix (see :meth:`SpatialWeights.summary`)."""

    n: int
    nnz: int
    min_neighbors: int
    mean_neighbors: float
    max_neighbors: int
    islands: tuple[str, ...]
    n_components: int
    symmetric: bool
    row_standardized: bool
    transform: str
    #: the neighbour *pattern* is symmetric (j neighbours i iff i neighbours j), true for
    #: row-standardised contiguity although the weights themselves are not symmetric
    symmetric_pattern: bool = False
    #: what the builder did with the islands of its neighbour rule (``None``: nothing, or not known)
    island_policy: IslandPolicy | None = None

    def __str__(self) -> str:
        return "\n".join(
            [
                f"units                 {self.n}",
                f"nonzero weights       {self.nnz}",
                f"neighbours min/mean/max {self.min_neighbors} / {self.mean_neighbors:.2f} / {self.max_neighbors}",
                f"islands               {self.islands_text}",
                f"connected components  {self.n_components}",
                f"symmetry              {self.symmetry}",
                f"row-standardised      {'yes' if self.row_standardized else 'no'}",
                f"transform             {self.transform}",
            ]
        )

    @property
    def islands_text(self) -> str:
        """The islands in words: ``"0 (none)"``, ``"2 ('a', 'b')"``, or what the island policy did with
        those of the neighbour rule, e.g. ``"5 of the contiguity linked to their nearest unit ('460100', ...)"``
        (followed by ``"; 1 now ('x')"`` if W has islands all the same, e.g. after a subset)."""
        now = f"{len(self.islands)} ({format_items(self.islands, limit=10) if self.islands else 'none'})"
        if self.island_policy is None:
            return now
        return self.island_policy.words() + (f"; {now} now" if self.islands else "")

    @property
    def symmetry(self) -> str:
        """The symmetry in words a reader who is no programmer follows: whether the neighbours are
        mutual, whether the weights are symmetric, and why not (row-standardisation)."""
        if self.symmetric:
            return "neighbours mutual; weights symmetric"
        if self.symmetric_pattern:
            why = " after row-standardisation" if self.row_standardized else ""
            return f"neighbours mutual (every link goes both ways); weights not symmetric{why}"
        return "neighbours not mutual (some links go one way only); weights not symmetric"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["islands"] = list(self.islands)
        if self.island_policy is not None:
            d["island_policy"]["ids"] = list(self.island_policy.ids)
        return d

    def to_frame(self) -> pd.DataFrame:
        """One row of every field (``islands``: the ids as a list; ``island_policy``: a dict or None)."""
        import pandas as pd

        return pd.DataFrame([self.to_dict()])

    def summary(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return self._html("Spatial weights")

    def _html(self, title: str) -> str:
        """The summary as an HTML table captioned ``title`` (escaped here)."""
        rows = [
            ("units", self.n),
            ("non-zero weights", self.nnz),
            ("neighbours (min / mean / max)", f"{self.min_neighbors} / {self.mean_neighbors:.2f} / {self.max_neighbors}"),
            ("islands", self.islands_text),
            ("connected components", self.n_components),
            ("symmetry", self.symmetry),
            ("row-standardised", "yes" if self.row_standardized else "no"),
            ("transform", self.transform),
        ]
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        return f"<table><caption>{html.escape(title)}</caption>{body}</table>"
