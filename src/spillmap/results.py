"""Small result types shared by the diagnostic and estimation layers, and the display mixins
that give every result type ``summary()``, ``to_frame()`` and ``_repr_html_()``."""
from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TestResult", "finite_or_none", "FrameDisplay", "TestTable"]

#: rows shown by ``summary()`` and ``_repr_html_()`` before the middle is elided
DISPLAY_ROWS = 40


def display_number(v: object) -> str:
    """A float to 6 significant digits (the display of ``summary()`` and ``_repr_html_()``), else ``str``."""
    return f"{v:.6g}" if isinstance(v, float) else str(v)


class FrameDisplay:
    """``summary()`` (text) and ``_repr_html_()`` (notebooks) of a result type, both drawn from
    its ``to_frame()``, under the caption ``_caption()`` and above the lines ``_notes()``.

    A mixin: a result type defines ``to_frame()`` (and, to say what it is, ``_caption()``);
    a type that already draws itself keeps its own methods (they come first in the MRO).
    """

    __slots__ = ()

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every result type defines it
        raise NotImplementedError

    def _caption(self) -> str:
        return type(self).__name__

    def _notes(self) -> list[str]:
        return []

    def summary(self) -> str:
        """The result as text: caption, table (``to_frame()``), notes."""
        frame = self.to_frame()
        body = frame.to_string(float_format=display_number, max_rows=DISPLAY_ROWS) if len(frame.columns) else "(empty)"
        return "\n".join([self._caption(), body, *self._notes()])

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        notes = "".join(f"<br>{html.escape(n)}" for n in self._notes())
        table = frame.to_html(float_format=display_number, max_rows=DISPLAY_ROWS, border=0)
        return f"<div><p><b>{html.escape(self._caption())}</b></p>{table}<small>{notes}</small></div>"


class TestTable(FrameDisplay):
    """A result made of :class:`TestResult` objects (its ``tests``): one row per test."""

    __slots__ = ()
    __test__ = False  # not a pytest test class

    @property
    def tests(self) -> tuple[TestResult, ...]:  # pragma: no cover - every test table defines it
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """One row per test: ``stat``, ``df``, ``p``, ``H0``."""
        import pandas as pd

        tests = self.tests
        return pd.DataFrame({"stat": [r.stat for r in tests], "df": [r.df for r in tests],
                             "p": [r.pvalue for r in tests], "H0": [r.null for r in tests]},
                            index=pd.Index([r.name for r in tests], name="test"))


def finite_or_none(x: object) -> float | None:
    """``float(x)`` when it is finite, else ``None`` (also for ``None``): the JSON form of a number."""
    if x is None:
        return None
    f = float(x)  # type: ignore[arg-type]
    return f if math.isfinite(f) else None


@dataclass(frozen=True, slots=True)
class TestResult(FrameDisplay):
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
        from spillmap.spatial._test_display import display_p  # the one rule of a displayed p

        p = display_p(self.pvalue)
        return f"{self.name}: stat={self.stat:.4f}{df}, p{p if p.startswith('<') else '=' + p}  (H0: {self.null})"

    def to_frame(self) -> pd.DataFrame:
        """One row (the test's name): ``stat``, ``df``, ``p``, ``H0``, ``dist``."""
        import pandas as pd

        return pd.DataFrame({"stat": [self.stat], "df": [self.df], "p": [self.pvalue], "H0": [self.null],
                             "dist": [self.dist]}, index=pd.Index([self.name], name="test"))

    def _caption(self) -> str:
        return self.name

    def _repr_html_(self) -> str:
        from spillmap.spatial._test_display import display_p

        df = "" if self.df is None else f"{self.df:g}"
        return (
            "<table><tr><th>test</th><th>statistic</th><th>df</th><th>p</th><th>H0</th></tr>"
            f"<tr><td>{html.escape(self.name)}</td><td>{self.stat:.4f}</td><td>{df}</td>"
            f"<td>{html.escape(display_p(self.pvalue))}</td><td>{html.escape(self.null)}</td></tr></table>"
        )

    @property
    def significant(self) -> bool:
        """True when p < 0.05 (a convenience for reports, not a decision rule)."""
        return not math.isnan(self.pvalue) and self.pvalue < 0.05
