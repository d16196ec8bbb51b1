"""The display of spatial test tables whose tests are z statistics (no degrees of freedom).

:class:`~spillmap.results.TestTable` draws ``summary()`` and ``_repr_html_()`` from
``to_frame()``, whose ``df`` column holds ``None`` for a z statistic, which pandas prints as
"None".  :class:`DashedDfDisplay` draws the same table with "–" there; ``to_frame()`` and
``to_dict()`` keep ``None`` (data, not display).  Used by
:class:`~spillmap.spatial.cd.CDTests` and :class:`~spillmap.spatial.residual_moran.ResidualMoran`.

:func:`display_p` is the one rule of a p-value on screen (the fit and effects tables', the Moran and
Geary results', these tables'): :func:`spillmap.tables.format_p` with :data:`P_DECIMALS` decimals, so
a p that underflows reads ``<0.0001``, never ``0`` (notebook audit 32 #14).
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING

from spillmap.results import DISPLAY_ROWS, display_number

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["NO_DF", "P_DECIMALS", "DashedDfDisplay", "display_p"]

#: what the display shows in the df column of a test without degrees of freedom (and for a missing p)
NO_DF = "–"
#: decimals of a displayed p-value (below ``10**-P_DECIMALS``: ``<0.0001``)
P_DECIMALS = 4


def display_p(p: object, missing: str = NO_DF) -> str:
    """A p-value as every result display shows it: ``format_p(p, 4)`` (``"0.0312"``, ``"<0.0001"``),
    ``missing`` when there is none (``None``, NaN)."""
    import math

    from spillmap.tables import format_p  # tables sits above spatial and estimation: imported when shown

    try:
        v = float(p)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return missing
    return format_p(v, P_DECIMALS) if math.isfinite(v) else missing


def dashed_df(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with ``NO_DF`` for a missing ``df`` (``None`` or NaN)."""
    import pandas as pd

    if "df" not in frame.columns:
        return frame
    out = frame.copy()
    out["df"] = [NO_DF if v is None or pd.isna(v) else v for v in frame["df"]]
    return out


#: the ``formatters=`` of a frame's display whose ``p`` column holds p-values
_P_COLUMN = {"p": display_p}


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
        body = frame.to_string(float_format=display_number, max_rows=DISPLAY_ROWS, formatters=_P_COLUMN)
        return "\n".join([self._caption(), body, *self._notes()])  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        frame = dashed_df(self.to_frame())  # type: ignore[attr-defined]
        notes = "".join(f"<br>{html.escape(n)}" for n in self._notes())  # type: ignore[attr-defined]
        table = frame.to_html(float_format=display_number, max_rows=DISPLAY_ROWS, border=0, formatters=_P_COLUMN)
        caption = html.escape(self._caption())  # type: ignore[attr-defined]
        return f"<div><p><b>{caption}</b></p>{table}<small>{notes}</small></div>"
