"""Result types of the global autocorrelation tests: :class:`MoranResult`, :class:`GearyResult`.

Both carry the statistic, its expectation, the variances under normality and
randomisation, two-sided normal p-values and esda's folded permutation pseudo p-value;
their dict, text and HTML forms share one implementation (:class:`_GlobalInference`), which
shows p-values as the fit tables do (:func:`~spillmap.spatial._test_display.display_p`:
``<0.0001``, never ``0``; "–" without permutations).
"""
from __future__ import annotations

import html
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from spillmap.results import FrameDisplay, finite_or_none
from spillmap.spatial._test_display import display_p

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MoranResult", "GearyResult"]


#: how :func:`~spillmap.spatial.moran_pooled` centred the stacked panel, in words
_DEMEAN_WORDS = {"pooled": "one mean over all periods", "period": "each period's mean removed"}


def _eq(p: float) -> str:
    """``"=0.0312"`` or ``"<0.0001"``: a p-value after its name in a one-line repr."""
    text = display_p(p)
    return text if text.startswith("<") else f"={text}"


def _html_table(caption: str, rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table><caption>{caption}</caption>{body}</table>"


class _GlobalInference(FrameDisplay):
    """The inference part shared by the global statistics (randomisation z and p, pseudo p),
    and their display: ``summary()`` and ``_repr_html_()`` show the rows of ``_rows()``,
    ``to_frame()`` is one row of every field (frames of several periods concatenate)."""

    _label = ""

    z_rand: float
    p_rand: float
    p_perm: float
    permutations: int
    n: int

    def _inference_dict(self) -> dict:
        return {"z": float(self.z_rand), "p": float(self.p_rand), "p_perm": finite_or_none(self.p_perm)}

    def _inference_text(self) -> str:
        perm = (f", pseudo-p{_eq(self.p_perm)} (one-sided, folded; {self.permutations} perm.)"
                if self.permutations else "")
        return f"z={self.z_rand:.4f}, p{_eq(self.p_rand)} (randomisation, two-sided){perm}, n={self.n}"

    def _inference_rows(self) -> list[tuple[str, str]]:
        return [("z (randomisation)", f"{self.z_rand:.4f}"), ("p (randomisation, two-sided)", display_p(self.p_rand))]

    def _tail_rows(self) -> list[tuple[str, str]]:
        return [("pseudo p (permutations; one-sided, folded)", f"{display_p(self.p_perm)} ({self.permutations})"),
                ("n", str(self.n))]

    def _rows(self) -> list[tuple[str, str]]:  # pragma: no cover - each statistic defines it
        raise NotImplementedError

    def _caption(self) -> str:
        return self._label

    def to_frame(self) -> pd.DataFrame:
        """One row (the statistic's name) with every field: the statistic, its expectation,
        variances, z and p under normality and randomisation, the pseudo p, permutations, n."""
        import pandas as pd

        return pd.DataFrame([asdict(self)], index=pd.Index([self._label], name="statistic"))

    def summary(self) -> str:
        """The rows of the notebook table as text."""
        rows = self._rows()
        width = max(len(k) for k, _ in rows)
        return "\n".join([self._label, *(f"  {k:<{width}}  {v}" for k, v in rows)])

    def _repr_html_(self) -> str:
        return _html_table(self._label, self._rows())


@dataclass(frozen=True)
class MoranResult(_GlobalInference):
    """Global Moran's I with its normal, randomisation and permutation inference.

    Attributes
    ----------
    I, EI
        The statistic and its expectation ``-1/(n-1)`` under no autocorrelation.
    var_norm, var_rand
        Variance of I under the normality and the randomisation assumption.
    z_norm, z_rand
        ``(I - EI) / sqrt(var)``.
    p_norm, p_rand
        Two-sided p-values ``2 * norm.sf(|z|)``.
    p_perm
        esda's pseudo p-value ``(min(#{I_sim >= I}, perm - #{I_sim >= I}) + 1)/(perm + 1)``
        (a folded one-sided value); ``nan`` when ``permutations == 0``.
    permutations
        Number of random permutations.
    n
        Number of observations.
    demean
        How a stacked panel was centred (:func:`~spillmap.spatial.moran_pooled`): ``"pooled"``
        (one mean over all NT values) or ``"period"`` (each period's own mean); ``None`` for one
        cross-section (its mean), e.g. :func:`~spillmap.spatial.moran`, ``moran_by_period``.
    """

    I: float  # noqa: E741 - the statistic's name
    EI: float
    var_norm: float
    var_rand: float
    z_norm: float
    z_rand: float
    p_norm: float
    p_rand: float
    p_perm: float
    permutations: int
    n: int
    demean: str | None = None

    def to_dict(self) -> dict:
        """``{"I", "EI", "z", "p", "p_perm"}`` with the **randomisation** z and p (the numbers
        only: ``demean`` is in ``to_frame()``, and the JSON of ``spillmap moran`` states it apart).

        Randomisation inference (no normality assumption on y) is also the default
        of R spdep's ``moran.test``.  ``p_perm`` is ``None`` without permutations.
        """
        return {"I": float(self.I), "EI": float(self.EI), **self._inference_dict()}

    def __repr__(self) -> str:
        return f"Moran's I={self.I:.6f} (E[I]={self.EI:.6f}), {self._inference_text()}{self._demean_text()}"

    def _demean_text(self) -> str:
        return "" if self.demean is None else f", demean={self.demean} ({_DEMEAN_WORDS.get(self.demean, '')})"

    _label = "Moran's I"

    def _rows(self) -> list[tuple[str, str]]:
        return [
            ("I", f"{self.I:.6f}"),
            ("E[I]", f"{self.EI:.6f}"),
            *self._inference_rows(),
            ("z (normality)", f"{self.z_norm:.4f}"),
            ("p (normality, two-sided)", display_p(self.p_norm)),
            *self._tail_rows(),
            *([] if self.demean is None else [("demean", f"{self.demean} ({_DEMEAN_WORDS.get(self.demean, '')})")]),
        ]


@dataclass(frozen=True)
class GearyResult(_GlobalInference):
    """Geary's C with normal, randomisation and permutation inference.

    ``C < 1`` means positive spatial autocorrelation.  p-values as in
    :class:`MoranResult` (two-sided ``2 * norm.sf(|z|)``; esda's pseudo p).
    """

    C: float
    EC: float
    var_norm: float
    var_rand: float
    z_norm: float
    z_rand: float
    p_norm: float
    p_rand: float
    p_perm: float
    permutations: int
    n: int

    def to_dict(self) -> dict:
        """``{"C", "EC", "z", "p", "p_perm"}`` with the randomisation z and p."""
        return {"C": float(self.C), "EC": float(self.EC), **self._inference_dict()}

    def __repr__(self) -> str:
        return f"Geary's C={self.C:.6f} (E[C]=1), {self._inference_text()}"

    _label = "Geary's C"

    def _rows(self) -> list[tuple[str, str]]:
        return [("C", f"{self.C:.6f}"), *self._inference_rows(), *self._tail_rows()]
