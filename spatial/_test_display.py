"""The display of spatial test tables whose tests are z statistics (no degrees of freedom).

:class:`~spillmap.results.TestTable` draws ``summary()`` and ``_repr_html_()`` from
``to_frame()``, whose ``df`` column holds ``None`` for a z statistic, which pandas prints as
"None".  :class:`DashedDfDisplay` draws the same table with "–" there; ``to_frame()`` and
``to_dict()`` keep ``None`` (data, not display).  Used by
:class:`~spillmap.spatial.cd.CDTests` and :class:`~spillmap.spatial.residual_moran.ResidualMoran`.
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING

from spillmap.results import DISPLAY_ROWS, display_number

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["NO_DF", "DashedDfDisplay"]

#: what the display shows in the df column of a test without degrees of freedom
NO_DF = "–"


def dashed_df(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with ``NO_DF`` for a missing ``df`` (``None`` or NaN)."""
    import pandas as pd

    if "df" not in frame.columns:
        return frame
    out = frame.copy()
    out["df"] = [NO_DF if v is None or pd.isna(v) else v for v in frame["df"]]
    return out


class DashedDfDisplay:
    """``summary()`` and ``_repr_html_()`` of a test table, "–" in the df column of a z test.

    A mixin placed before :class:`~spillmap.results.TestTable` (it uses the table's
    ``to_frame()``, ``_caption()`` and ``_notes()``).
    """

    __slots__ = ()

    def summary(self) -> str:
        """The table as text: caption, one row per test (``df`` "–" for a z statistic), notes.

        Returns
        -------
        str
        """
        frame = dashed_df(self.to_frame())  # type: ignore[attr-defined]
        body = frame.to_string(float_format=display_number, max_rows=DISPLAY_ROWS)
        return "\n".join([self._caption(), body, *self._notes()])  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        frame = dashed_df(self.to_frame())  # type: ignore[attr-defined]
        notes = "".join(f"<br>{html.escape(n)}" for n in self._notes())  # type: ignore[attr-defined]
        table = frame.to_html(float_format=display_number, max_rows=DISPLAY_ROWS, border=0)
        caption = html.escape(self._caption())  # type: ignore[attr-defined]
        return f"<div><p><b>{caption}</b></p>{table}<small>{notes}</small></div>"
