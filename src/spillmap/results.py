"""Small result types shared by the diagnostic and estimation layers."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

__all__ = ["TestResult", "finite_or_none"]


def finite_or_none(x: object) -> float | None:
    """``float(x)`` when it is finite, else ``None`` (also for ``None``): the JSON form of a number."""
    if x is None:
        return None
    f = float(x)  # type: ignore[arg-type]
    return f if math.isfinite(f) else None


@dataclass(frozen=True, slots=True)
class TestResult:
    """The outcome of one hypothesis test.

    Attributes
    ----------
    name
        Short name, e.g. ``"LM-lag"``.
    stat
        The test statistic.
    df
        Degrees of freedom (``None`` for a z statistic).
    pvalue
        The p-value, computed as ``dist.sf(stat)`` (never ``1 - cdf``).
    null
        The null hypothesis in words.
    dist
        The reference distribution: ``"chi2"``, ``"normal"`` (two-sided) or ``"permutation"``.
    """

    __test__ = False  # not a pytest test class

    name: str
    stat: float
    df: float | None
    pvalue: float
    null: str
    dist: str = "chi2"

    def to_dict(self) -> dict:
        """The result as a plain dict ``{"stat", "df", "p", ...}`` for JSON output."""
        d = asdict(self)
        d["p"] = d.pop("pvalue")
        return d

    def __repr__(self) -> str:
        df = "" if self.df is None else f", df={self.df:g}"
        return f"{self.name}: stat={self.stat:.4f}{df}, p={self.pvalue:.4g}  (H0: {self.null})"

    def _repr_html_(self) -> str:
        import html

        df = "" if self.df is None else f"{self.df:g}"
        return (
            "<table><tr><th>test</th><th>statistic</th><th>df</th><th>p</th><th>H0</th></tr>"
            f"<tr><td>{html.escape(self.name)}</td><td>{self.stat:.4f}</td><td>{df}</td>"
            f"<td>{self.pvalue:.4g}</td><td>{html.escape(self.null)}</td></tr></table>"
        )

    @property
    def significant(self) -> bool:
        """True when p < 0.05 (a convenience for reports, not a decision rule)."""
        return not math.isnan(self.pvalue) and self.pvalue < 0.05
