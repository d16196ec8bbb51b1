"""The per-unit period means of a panel variable behind the economic weights.

:func:`period_means` gives ``Ybar_i``, the mean of a variable over a window of periods for each
unit, checked cell by cell (missing columns, empty keys, repeated (id, time) cells, text, NaN) and
put in the order of the weights' units; :mod:`spillmap.spatial._builders_economic` builds economic
distance and the economic-geographic product from it.

Verification (``tests/test_weights_economic.py``): a period's means ignore the years outside it,
and the matrices built from them equal matrices worked by hand.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from spillmap.errors import DataError, InputError, JoinError, format_items, index_hint
from spillmap.spatial._builders_base import _normalise_ids

__all__ = ["period_means"]


def period_means(
    panel: pd.DataFrame,
    id: str,
    *,
    time: str,
    var: str,
    period: tuple[object, object] | None = None,
    ids: Sequence[object] | None = None,
) -> pd.Series:
    """The mean of ``var`` over ``period`` for each unit (``Ybar_i``), indexed by id (str).

    Parameters
    ----------
    panel
        A long panel with columns ``id``, ``time`` and ``var``.
    id, time
        Unit and period columns.
    var
        The numeric column to average.
    period
        ``(start, end)``, both included, in the units of the ``time`` column;
        ``None`` uses every period.  Units observed in only some periods of the
        window are averaged over the periods they have.
    ids
        The units expected, in the order of the result; by default the panel's ids in
        order of first appearance.

    Raises
    ------
    DataError
        Missing columns, empty ids or periods, a period cell unlike the others, repeated
        (id, time) cells, non-numeric ``var``, NaN cells (listed as (id, time)), or a
        period with no data (named).
    JoinError
        Panel ids different from ``ids`` (both sides listed).
    """
    df = _unit_frame(panel, id, time, var)
    if period is not None:
        df = _within(df, period, time)
    nan = df["y"].isna()
    if nan.any():
        cells = list(zip(df.loc[nan, "id"], df.loc[nan, "time"]))
        raise DataError(f"column {var!r} has missing values in (id, time) cells {format_items(cells)}.")
    means = df.groupby("id", sort=False)["y"].mean()
    if ids is not None:
        means = _in_order(means, ids, var)
    means.index = means.index.astype(object)
    means.name = var
    return means


def _unit_frame(panel: pd.DataFrame, id: str, time: str, var: str) -> pd.DataFrame:
    """``id`` (as text), ``time`` and ``y`` (``var`` as floats) of every row, the columns and cells checked."""
    missing = [c for c in (id, time, var) if c not in panel.columns]
    if missing:
        raise DataError(
            f"panel has no column(s) {format_items(missing)}; available: {format_items(list(panel.columns))}."
            + index_hint(panel, missing)
        )
    from spillmap._rowplace import check_keys_filled, check_periods

    check_keys_filled(panel, id, time)  # an empty id or period, by file line when read from a file
    check_periods(panel, time)
    df = pd.DataFrame({"id": _normalise_ids(panel[id]), "time": panel[time].to_numpy()})
    dup = df.duplicated(["id", "time"], keep=False).to_numpy()
    if dup.any():  # its mean would count the repeated cell twice
        cells = sorted({(a, b) for a, b in zip(df["id"][dup], df["time"][dup])}, key=str)
        raise DataError(f"panel repeats (id, time) cells {format_items(cells)}; keep one row per cell.")
    vals = pd.to_numeric(panel[var], errors="coerce")
    bad = vals.isna() & panel[var].notna()
    if bad.any():
        example = panel[var][bad].iloc[0]
        raise DataError(f"column {var!r} is not numeric (e.g. value {example!r}); convert it to numbers.")
    df["y"] = vals.to_numpy(dtype=float)
    return df


def _within(df: pd.DataFrame, period: tuple[object, object], time: str) -> pd.DataFrame:
    """The rows of ``df`` in ``period`` (both ends included, compared as numbers when ``time`` is numeric)."""
    start, end = period
    tcol = df["time"]
    if pd.api.types.is_numeric_dtype(tcol):
        try:
            start, end = float(start), float(end)
        except (TypeError, ValueError):
            raise InputError(f"period {period!r} is not numeric but column {time!r} is.") from None
    else:
        tcol = tcol.astype(str)
        start, end = str(start), str(end)
    if start > end:
        raise InputError(f"period start {period[0]!r} is after its end {period[1]!r}.")
    sel = (tcol >= start) & (tcol <= end)
    if not sel.any():
        raise DataError(
            f"no data in the period {period[0]}-{period[1]} of column {time!r}; the panel covers "
            f"{df['time'].min()}-{df['time'].max()}."
        )
    return df[sel.to_numpy()]


def _in_order(means: pd.Series, ids: Sequence[object], var: str) -> pd.Series:
    """``means`` in the order of ``ids``; JoinError listing the units on either side that the other lacks."""
    ids = [str(i) for i in ids]
    not_in_panel = [i for i in ids if i not in means.index]
    wanted = set(ids)  # once, not per unit
    extra = [i for i in means.index if i not in wanted]
    if not_in_panel or extra:
        parts = []
        if not_in_panel:
            parts.append(f"units without {var!r} data in the period: {format_items(not_in_panel)}")
        if extra:
            parts.append(f"panel ids not among the weights' units: {format_items(extra)}")
        raise JoinError("panel ids do not match the layer/ids; " + "; ".join(parts) + ".")
    return means.loc[ids]
