"""The descriptive summary of a weights matrix (:meth:`SpatialWeights.summary`) and its HTML form."""
from __future__ import annotations

import html
from dataclasses import asdict, dataclass

from typing import TYPE_CHECKING

from spillmap.errors import format_items
from spillmap.results import FrameDisplay

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["WeightsSummary"]


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

    def __str__(self) -> str:
        isl = format_items(self.islands, limit=10) if self.islands else "none"
        return "\n".join(
            [
                f"units                 {self.n}",
                f"nonzero weights       {self.nnz}",
                f"neighbours min/mean/max {self.min_neighbors} / {self.mean_neighbors:.2f} / {self.max_neighbors}",
                f"islands               {len(self.islands)} ({isl})",
                f"connected components  {self.n_components}",
                f"symmetry              {self.symmetry}",
                f"row-standardised      {'yes' if self.row_standardized else 'no'}",
                f"transform             {self.transform}",
            ]
        )

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
        return d

    def to_frame(self) -> pd.DataFrame:
        """One row of every field (``islands``: the ids as a list)."""
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
            ("islands", f"{len(self.islands)}" + (f": {format_items(self.islands, 10)}" if self.islands else "")),
            ("connected components", self.n_components),
            ("symmetry", self.symmetry),
            ("row-standardised", "yes" if self.row_standardized else "no"),
            ("transform", self.transform),
        ]
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        return f"<table><caption>{html.escape(title)}</caption>{body}</table>"
