"""The panel plumbing of the spatial tests: a long ``(id, time)`` panel as a ``(T, N, k)`` array.

Written by hand (pandas/numpy): the checks and the reshape into the weights' id order,
with errors naming the column, id, period or ``(id, time)`` cell at fault, in a fixed
order (columns, keys, units, repeated cells, values, empty periods, balance, gaps).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from spillmap._rowplace import check_keys_filled, check_periods, file_place, source_name
from spillmap.errors import DataError, InputError, format_items, index_hint
from spillmap.geo._common import first_text_cell, period_values
from spillmap.spatial.weights import SpatialWeights

__all__ = ["panel_array"]


def _check_columns(panel, columns: Sequence[str]) -> None:
    if not isinstance(panel, pd.DataFrame):
        raise InputError(f"panel must be a pandas DataFrame, got {type(panel).__name__}.")
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise DataError(
            f"panel has no column(s) {format_items(missing)}; available: {format_items(list(panel.columns), 30)}."
            + index_hint(panel, missing)
        )


def _keys(panel: pd.DataFrame, id: str, time: str | None, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:  # noqa: A002
    """The ids (as text) and periods of the rows (periods all 0 for a cross-section)."""
    _check_columns(panel, [id] + ([time] if time is not None else []) + columns)
    check_keys_filled(panel, id, time)
    check_periods(panel, time)
    ids = panel[id].astype(str).to_numpy()
    if time is None:
        return ids, np.zeros(len(panel), dtype=int)
    return ids, panel[time].to_numpy()


def _check_units_and_cells(panel: pd.DataFrame, ids: np.ndarray, tvals: np.ndarray, id: str,  # noqa: A002
                           time: str | None, w: SpatialWeights) -> None:
    """The panel's units are the weights' units, and no ``(id, time)`` cell is repeated (the
    repeated rows named by file line when ``panel`` was read from a file)."""
    uniq = set(ids.tolist())
    if uniq != set(w.ids):
        w.align(sorted(uniq))  # raises a WeightsError listing ids missing on each side
    dup = pd.DataFrame({"id": ids, "t": tvals}).duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    cells = sorted({(a, b) for a, b in zip(ids[dup].tolist(), tvals[dup].tolist())}, key=str)
    lines = file_place(panel, panel.index[dup][:40])
    if time is not None:
        raise DataError(f"panel repeats (id, time) cells {format_items(cells)}{lines}; keep one row per cell.")
    raise DataError(
        f"table repeats ids {format_items([c[0] for c in cells])} in column {id!r}{lines}; a cross-section "
        "needs one row per unit (for a panel, give the period column)."
    )


def _fill(panel: pd.DataFrame, columns: list[str], ids: np.ndarray, tvals: np.ndarray, time: str | None,
          w: SpatialWeights, periods: list) -> tuple[np.ndarray, np.ndarray]:
    """``(T, N, k)`` values (NaN where absent) and the ``(T, N)`` row positions of the cells in
    ``panel`` (-1 where absent)."""
    n, t = w.n, len(periods)
    ti = pd.Index(periods).get_indexer(tvals)
    ii = np.fromiter((w._id_index[u] for u in ids), dtype=np.int64, count=len(ids))
    rows = np.full((t, n), -1, dtype=np.int64)
    rows[ti, ii] = np.arange(len(ids))
    arr = np.full((t, n, len(columns)), np.nan)
    for k, col in enumerate(columns):
        text = first_text_cell(panel[col])
        if text is not None:  # name the first bad cell (errors helper, issue 8)
            r, shown, count = text
            cell = f"({ids[r]}, {tvals[r]})" if time is not None else repr(ids[r])
            place = file_place(panel, [panel.index[r]], parens=False)
            raise DataError(f"column {col!r} is not numeric: {shown} at {cell} ({f'{place}; ' if place else ''}"
                            f"{count} non-numeric cell(s)).")
        arr[ti, ii, k] = pd.to_numeric(panel[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return arr, rows


def _check_complete(arr: np.ndarray, rows: np.ndarray, columns: list[str], periods: list,
                    time: str | None, w: SpatialWeights, panel: pd.DataFrame) -> None:
    """Every column has data in every period, every cell is present, every value finite (the
    first bad cell named by its file line when ``panel`` was read from a file; ``rows``: the
    ``(T, N)`` row positions of the cells in ``panel``, -1 where absent)."""
    present = rows >= 0
    for k, col in enumerate(columns):
        empty = [periods[s] for s in range(len(periods)) if not np.isfinite(arr[s, :, k]).any()]
        if empty:
            raise DataError(
                f"column {col!r} has no data at all for period(s) {format_items(empty)}"
                f"{' of ' + repr(time) if time else ''}; drop those periods or supply the values."
            )
    if not present.all():
        miss = [(w.ids[i], periods[s]) for s, i in zip(*np.nonzero(~present))]
        source = source_name(panel)  # the file, as spillmap fit / diagnose / report name it
        raise DataError(
            f"{f'{source}: ' if source else ''}the panel is unbalanced: {len(miss)} (id, {time}) cell(s) missing: "
            f"{format_items(miss)}; these statistics need every unit in every period."
        )
    bad = ~np.isfinite(arr)
    for k, col in enumerate(columns):
        s_idx, i_idx = np.nonzero(bad[:, :, k])
        if s_idx.size:
            cells = [(w.ids[i], periods[s]) for s, i in zip(s_idx, i_idx)]
            if time is None:
                cells = [c[0] for c in cells]
            place = file_place(panel, [panel.index[rows[s_idx[0], i_idx[0]]]], col)
            raise DataError(
                f"column {col!r} has missing or infinite values at "
                f"{'(id, time) ' if time is not None else 'ids '}{format_items(cells)}{place}; "
                "drop or impute them first."
            )


def _check_scale(arr: np.ndarray, columns: list[str]) -> None:
    """The estimators' limits on magnitude (:func:`spillmap.estimation._data.check_scale`): beyond
    them the tests' moments overflow (NumPy warnings, then NaN statistics)."""
    from spillmap.estimation._data import check_scale  # lazily: estimation imports spatial

    check_scale(arr.reshape(-1, len(columns)), columns)


def panel_array(
    panel: pd.DataFrame,
    id: str,  # noqa: A002 - the public keyword of every panel function
    *,
    time: str | None,
    columns: Sequence[str],
    w: SpatialWeights,
) -> tuple[np.ndarray, list]:
    """Check a long panel and return its values as a balanced ``(T, N, k)`` array.

    Units are put in the order of ``w.ids`` and periods in sorted order, so
    ``arr.reshape(T * N, k)`` is stacked time-major, id-minor (the layout of
    :meth:`SpatialWeights.lag_panel`).  With ``time=None`` the panel is a
    cross-section (T = 1).

    Parameters
    ----------
    panel
        Long panel, one row per (id, time) cell.
    id, time
        Unit and period columns (``time=None``: a cross-section).
    columns
        The numeric columns to return, in this order (the k of the array).
    w
        Weights whose ids the panel's units must match (as text); they give the unit order.

    Returns
    -------
    (array, periods)

    Raises
    ------
    DataError
        Missing columns, missing ids or periods, repeated ``(id, time)`` rows, a
        period without any data for a column (period and column named), missing
        ``(id, time)`` cells or missing values (cells listed), non-numeric columns, a column
        beyond the estimators' limits of magnitude (1e100; all below 1e-100).
    WeightsError
        The panel's ids and the weights' ids differ (both lists given).
    """
    columns = list(columns)
    ids, tvals = _keys(panel, id, time, columns)
    _check_units_and_cells(panel, ids, tvals, id, time, w)
    periods = period_values(tvals)  # dates stay Timestamps (pandas 2)
    arr, rows = _fill(panel, columns, ids, tvals, time, w, periods)
    _check_complete(arr, rows, columns, periods, time, w, panel)
    _check_scale(arr, columns)
    return arr, periods
