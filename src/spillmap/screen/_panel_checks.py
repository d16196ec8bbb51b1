"""The panel checks of a screen, before any work: which columns are indicators, the unit and
period keys, the ``(T, N, K)`` array of values, and the cells a regression or the statistics
cannot take.

Each problem is raised as one :class:`~spillmap.errors.DataError` naming the column, cell (by
file line, or id and period) or option at fault.  The statistics, ``lm`` and weights options
are checked in :mod:`spillmap.screen._spec` and :mod:`spillmap.screen._spec_weights`.
"""
from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spillmap.errors import DataError, format_items
from spillmap.geo._common import first_text_cell, period_values


def is_numeric(s: pd.Series) -> bool:
    """Whether the column ``s`` holds numbers (not text, not booleans): a candidate indicator."""
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def is_pattern(item: object) -> bool:
    """Whether an ``indicators`` item is a shell pattern (``"edu_*"``) rather than a column name."""
    return any(ch in str(item) for ch in "*?[")


def _not_numeric(panel: pd.DataFrame, col: str, keys: Sequence[str]) -> str:
    """The message for a non-numeric indicator: its first text cell, located by the key columns
    (the id and time), with :func:`~spillmap.errors.number_hint`."""
    s = panel[col]
    text = first_text_cell(s)
    if text is None:
        return f"indicator {col!r} holds numbers stored as text (dtype {s.dtype}); convert it with pandas.to_numeric."
    k, shown, count = text
    where = ", ".join(_label(panel[c].iloc[k]) for c in keys if c in panel.columns)
    return f"indicator {col!r} is not numeric: {shown} at ({where}) ({count} non-numeric cell(s))."


def select_indicators(panel: pd.DataFrame, indicators, *, exclude: Sequence[str]) -> list[str]:
    """Column names from names, shell patterns (``"edu_*"``) or ``"all"`` numeric columns."""
    from spillmap._rowplace import source_name

    candidates = [c for c in panel.columns if c not in set(exclude)]
    source = source_name(panel)  # the file a panel was read from, named as spillmap fit names it
    where = f"{source}: " if source else ""
    if isinstance(indicators, str):
        indicators = [indicators]
    chosen: list[str] = []
    for item in indicators:
        if item == "all":
            found = [c for c in candidates if is_numeric(panel[c])]
        elif is_pattern(item):
            found = [c for c in candidates if fnmatch.fnmatchcase(str(c), item) and is_numeric(panel[c])]
            if not found:
                raise DataError(f"{where}indicator pattern {item!r} matches no numeric column; columns: "
                                f"{format_items(candidates, 30)}.")
        else:
            if item not in panel.columns:
                from spillmap._readcsv import comma_hint
                from spillmap.errors import did_you_mean

                raise DataError(f"{where or 'panel has '}no column {item!r}; available: {format_items(candidates, 30)}."
                                + (comma_hint([item], candidates) or did_you_mean(item, candidates)))
            if not is_numeric(panel[item]):
                raise DataError(_not_numeric(panel, item, exclude))
            found = [item]
        chosen += [c for c in found if c not in chosen]
    if not chosen:
        raise DataError("no indicator selected: the panel has no numeric column besides the id and time.")
    return chosen


def _label(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)):  # a date at midnight reads as the date: 1972-01-01
        ts = pd.Timestamp(value)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    return str(value)


def check_keys(panel: pd.DataFrame, id: str, time: str | None) -> None:  # noqa: A002
    """Every row has its unit id and period, and a time column of years holds only years.

    Parameters
    ----------
    panel
        The long panel; one read from a file names it in ``attrs`` (:mod:`spillmap._rowplace`).
    id, time
        Its key columns (``time=None``: a cross-section).

    Raises
    ------
    DataError
        One line naming the cell by file line and column (or row index, for a table not read
        from a file): an empty id or period, or a period unlike the others (``1971a``).
    """
    from spillmap._rowplace import check_keys_filled, check_periods

    check_keys_filled(panel, id, time)
    check_periods(panel, time)


def panel_values(
    panel: pd.DataFrame, *, id: str, time: str | None, columns: Sequence[str], ids: Sequence[str], periods=None  # noqa: A002
) -> tuple[np.ndarray, list[str]]:
    """The panel as a ``(T, N, K)`` float array in ``ids`` order; missing cells are NaN.

    Structural problems (unknown columns, ids that differ from the weights',
    repeated ``(id, time)`` cells, unknown periods) raise here, before any work;
    missing values are left to the screen, which records them per indicator.
    """
    keys = [id] + ([time] if time else [])
    missing = [c for c in keys + list(columns) if c not in panel.columns]
    if missing:
        raise DataError(f"panel has no column(s) {format_items(missing)}.")
    check_keys(panel, id, time)
    unit = panel[id].astype(str)
    extra, absent = sorted(set(unit) - set(ids)), sorted(set(ids) - set(unit))
    if extra or absent:
        raise DataError(
            f"panel ids and weights ids differ: in the panel only {format_items(extra) or 'none'}; "
            f"in the weights only {format_items(absent) or 'none'}."
        )
    tlab = panel[time].map(_label) if time else pd.Series("all", index=panel.index)
    dup = pd.DataFrame({"i": unit, "t": tlab}).duplicated(keep=False)
    if dup.any():
        from spillmap._rowplace import file_place

        cells = sorted(set(zip(unit[dup], tlab[dup])))
        lines = file_place(panel, panel.index[dup.to_numpy()][:40])
        raise DataError(f"panel repeats (id, time) cells {format_items(cells)}{lines}; keep one row per cell.")
    order = period_values(panel[time]) if time else ["all"]
    labels = [_label(v) for v in order]
    if periods is not None:
        wanted = [_label(p) for p in (periods if isinstance(periods, (list, tuple)) else [periods])]
        bad = [p for p in wanted if p not in labels]
        if bad:
            raise DataError(f"period(s) {format_items(bad)} not in the panel's {time!r}: {format_items(labels)}.")
        labels = [p for p in labels if p in wanted]
    ti = pd.Index(labels).get_indexer(tlab)
    ii = pd.Index(list(ids)).get_indexer(unit)
    keep = ti >= 0
    arr = np.full((len(labels), len(ids), len(columns)), np.nan)
    for k, col in enumerate(columns):
        vals = pd.to_numeric(panel[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        arr[ti[keep], ii[keep], k] = vals[keep]
    return arr, labels


def check_regression_cells(values: np.ndarray, names: Sequence[str], columns: Sequence[str], *,
                           ids: Sequence[str], labels: Sequence[str]) -> None:
    """Refuse a missing or infinite cell in a column of the screen's regression (``lm`` ``y`` and
    ``x``), before any work: unlike an indicator's, such a cell would fail every indicator's test.

    Raises
    ------
    DataError
        Naming the column, the number of bad cells and the first ones as (id, period).
    """
    for name in columns:
        col = values[:, :, list(names).index(name)]
        bad = ~np.isfinite(col)
        if bad.any():
            cells = [(ids[i], labels[t]) for t, i in zip(*np.nonzero(bad))]
            raise DataError(f"regression column {name!r} has {len(cells)} missing or infinite cell(s) at (id, period) "
                            f"{format_items(cells, 5)}; drop or impute them, or choose the periods without them.")


def check_magnitudes(values: np.ndarray, names: Sequence[str], *, ids: Sequence[str], labels: Sequence[str]) -> None:
    """Refuse a column whose values would overflow the statistics, as ``spillmap fit`` does.

    Parameters
    ----------
    values
        The ``(T, N, K)`` array of :func:`panel_values`; missing cells (NaN, inf) are left to the
        screen, which records them per indicator.
    names, ids, labels
        The ``K`` column names, the ``N`` unit ids and the ``T`` period labels, for the message.

    Raises
    ------
    DataError
        :func:`spillmap.estimation._data.check_scale`'s message (the limit 1e+100), naming the
        column and its largest cell by (id, period).
    """
    from spillmap.estimation._data import check_scale

    for k, name in enumerate(names):
        col = values[:, :, k]
        ok = np.isfinite(col)
        try:
            check_scale(col[ok].reshape(-1, 1), [name], what="column")
        except DataError as exc:
            t, i = np.unravel_index(int(np.argmax(np.where(ok, np.abs(col), -1.0))), col.shape)
            raise DataError(f"{exc} Largest cell: ({ids[i]}, {labels[t]}).") from None
