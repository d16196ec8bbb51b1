"""Joining an (id, time) panel to a boundary layer.

Library: **pandas** (and geopandas for the layer). Written by hand: the checks and
the report, because a silent mismatch between panel rows and polygons (a code read
as a number, a duplicated city-year, a missing year) shifts every spatial lag and is
the most expensive mistake in this kind of study.

The result fixes the order every later step uses: units sorted by their id as text,
and the panel stacked **time-major, id-minor** (all units for the first period, then
all for the second, ...), so that ``(I_T kron W) y`` is ``w.lag_panel(y, T)``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from spillmap.errors import DataError, JoinError, did_you_mean, format_items, index_hint

from spillmap._rowplace import check_keys_filled, check_periods

from ._common import (check_unique_ids, first_text_cell, id_format_hint, nonnull_ids, period_values,
                      warn_period_gaps)
from ._join_report import JoinReport, PanelJoin

__all__ = ["JoinReport", "PanelJoin", "join_panel"]


class _Match(NamedTuple):
    """How the panel's (id, time) cells meet the layer's units."""

    panel_unique: list[str]
    not_in_layer: list[str]
    not_in_panel: list[str]
    dup_cells: list[tuple[str, object]]
    unit_order: list[str]
    missing: list[tuple[str, object]]


class _Values(NamedTuple):
    """What the value columns hold that :func:`join_panel` refuses or converts."""

    non_numeric: list[tuple[str, object]]
    non_numeric_detail: list[str]
    converted: list[str]
    nan_cells: list[tuple[str, str, object]]
    nan_detail: list[str]


def _value_columns(panel: pd.DataFrame, exclude: set[str]) -> list[str]:
    """Default value columns: numeric columns, plus text columns that mostly hold numbers.

    A text column is "numeric-looking" when at least half of its non-null values parse
    as numbers; it is then checked (and reported if some values do not parse), while
    label columns such as names are left alone.
    """
    out = []
    for col in panel.columns:
        if col in exclude:
            continue
        s = panel[col]
        if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
            out.append(col)
        elif pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
            nonnull = s.dropna()
            if len(nonnull) and pd.to_numeric(nonnull, errors="coerce").notna().mean() >= 0.5:
                out.append(col)
    return out


def _cells(ids: pd.Series, times: pd.Series, mask: np.ndarray) -> list[tuple[str, object]]:
    return [(i, _py(t)) for i, t in zip(ids[mask].tolist(), times[mask].tolist())]


def _py(value: object) -> object:
    """numpy scalars -> python scalars so reports print as (id, 2008) not np.int64(2008)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_columns(layer: gpd.GeoDataFrame, panel: pd.DataFrame, id: str, time: str, layer_id: str) -> None:  # noqa: A002
    if not isinstance(panel, pd.DataFrame):
        raise DataError(f"panel must be a pandas DataFrame, got {type(panel).__name__}.")
    for col, where, frame in ((id, "panel", panel), (time, "panel", panel), (layer_id, "layer", layer)):
        if col not in frame.columns:
            raise DataError(
                f"no column {col!r} in the {where}; its columns are: {format_items(list(map(str, frame.columns)), limit=50)}."
                + (index_hint(frame, [col]) or did_you_mean(col, frame.columns))
            )
    if id == time:
        raise DataError(f"id and time are the same column ({id!r}).")


def _unit_ids(layer: gpd.GeoDataFrame, panel: pd.DataFrame, id: str, layer_id: str  # noqa: A002
              ) -> tuple[pd.Series, pd.Series, list[str]]:
    """The layer's and the panel's ids as text (no nulls, layer ids unique) and the notes on them."""
    lay_ids, lay_note = nonnull_ids(layer[layer_id], what=f"layer column {layer_id!r}")
    check_unique_ids(lay_ids, what=f"layer column {layer_id!r}", error=JoinError)
    pan_ids, pan_note = nonnull_ids(panel[id], what=f"panel column {id!r}")
    return lay_ids, pan_ids, [n for n in (lay_note, pan_note) if n]


def _panel_times(panel: pd.DataFrame, time: str, pan_ids: pd.Series) -> tuple[pd.Series, list]:
    """The time column (index reset) and its distinct periods in ascending order."""
    times = panel[time]
    if times.isna().any():
        bad = times.isna().to_numpy()
        raise DataError(
            f"panel column {time!r} is empty for {int(bad.sum())} row(s), ids: "
            f"{format_items(pan_ids[bad].tolist())}."
        )
    times = times.reset_index(drop=True)
    try:
        return times, period_values(times)
    except TypeError as exc:
        raise DataError(f"panel column {time!r} mixes values that cannot be ordered: {exc}.") from exc


def _match(lay_ids: pd.Series, pan_ids: pd.Series, times: pd.Series, time_values: list) -> _Match:
    layer_set = set(lay_ids.tolist())
    panel_unique = list(dict.fromkeys(pan_ids.tolist()))
    panel_set = set(panel_unique)
    dup_mask = pd.DataFrame({"i": pan_ids, "t": times}).duplicated(keep="first").to_numpy()
    unit_order = sorted(panel_set)  # text order: the stable order of every later step
    present = set(zip(pan_ids.tolist(), (_py(t) for t in times.tolist())))
    return _Match(
        panel_unique=panel_unique,
        not_in_layer=sorted(i for i in panel_unique if i not in layer_set),
        not_in_panel=sorted(i for i in lay_ids.tolist() if i not in panel_set),
        dup_cells=sorted(set(_cells(pan_ids, times, dup_mask)), key=lambda c: (str(c[1]), c[0])),
        unit_order=unit_order,
        missing=[(i, _py(t)) for t in time_values for i in unit_order if (i, _py(t)) not in present],
    )


def _variables(body: pd.DataFrame, variables: Sequence[str] | None, id: str, time: str) -> list[str]:  # noqa: A002
    if variables is None:
        return _value_columns(body, {id, time})
    var_list = list(variables)
    absent = [v for v in var_list if v not in body.columns]
    if absent:
        raise DataError(
            f"variables not in the panel: {format_items(absent)}; its columns are: "
            f"{format_items(list(map(str, body.columns)), limit=50)}."
        )
    if id in var_list or time in var_list:
        raise DataError(f"the id/time columns ({id!r}, {time!r}) cannot be variables.")
    return var_list


def _check_values(body: pd.DataFrame, var_list: list[str], pan_ids: pd.Series, times: pd.Series,
                  panel: pd.DataFrame) -> _Values:
    """Find non-numeric and NaN/infinite values; convert all-number text columns in ``body`` to float.
    ``panel`` is the table as read (``body`` is it with a fresh index), for the file line of a bad cell."""
    from spillmap._rowplace import file_place

    non_numeric: list[tuple[str, object]] = []
    non_numeric_detail: list[str] = []
    converted: list[str] = []
    for col in var_list:
        s = body[col]
        if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
            continue
        text = first_text_cell(s)
        if text is not None:
            k, shown, count = text
            non_numeric.append((col, s.iloc[k]))
            non_numeric_detail.append(
                f"{col!r} (e.g. {shown} at ({pan_ids.iloc[k]!r}, {_py(times.iloc[k])!r})"
                f"{', ' + place if (place := file_place(panel, [panel.index[k]], parens=False)) else ''}; "
                f"{count} bad value(s))")
        else:
            parsed = pd.to_numeric(s, errors="coerce")
            # Python's float() is exact (shortest repr round-trips); pandas < 3 to_numeric can be 1 ulp off
            body[col] = np.array([float(v) if isinstance(v, str) else p for v, p in zip(s, parsed)], dtype=float)
            converted.append(col)
    nan_cells: list[tuple[str, str, object]] = []
    nan_detail: list[str] = []
    for col in var_list:
        if col in {c for c, _ in non_numeric}:
            continue
        vals = body[col]
        if pd.api.types.is_bool_dtype(vals.dtype):
            bad = vals.isna().to_numpy()
        else:
            bad = ~np.isfinite(vals.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            cells = _cells(pan_ids, times, bad)
            nan_cells.extend((col, i, t) for i, t in cells)
            first = panel.index[int(np.flatnonzero(bad)[0])]
            nan_detail.append(f"{col!r} at {format_items(cells, limit=10)}{file_place(panel, [first], col)}")
    return _Values(non_numeric, non_numeric_detail, converted, nan_cells, nan_detail)


def _report(layer, panel, id, time, layer_id, notes, time_values, var_list, m: _Match, v: _Values) -> JoinReport:  # noqa: A002
    return JoinReport(
        id=id,
        time=time,
        layer_id=layer_id,
        n_layer_units=len(layer),
        n_panel_ids=len(m.panel_unique),
        n_times=len(time_values),
        n_rows=len(panel),
        panel_ids_not_in_layer=tuple(m.not_in_layer),
        layer_ids_not_in_panel=tuple(m.not_in_panel),
        duplicate_cells=tuple(m.dup_cells),
        missing_cells=tuple(m.missing),
        variables=tuple(var_list),
        non_numeric=tuple(v.non_numeric),
        converted_columns=tuple(v.converted),
        nan_cells=tuple(v.nan_cells),
        id_notes=tuple(notes),
    )


def _where(panel: pd.DataFrame, pan_ids: pd.Series, times: pd.Series, cells: list) -> tuple[str, str]:
    """``("p.csv: ", " (p.csv: lines 5, 9)")``: the file of a panel read from one, and the lines of
    the rows holding the (id, time) ``cells`` (``""`` for a table that was not read from a file)."""
    from spillmap._rowplace import file_place, source_name

    source = source_name(panel)
    if source is None:
        return "", ""
    wanted = set(cells[:20])
    hit = np.fromiter(((i, _py(t)) in wanted for i, t in zip(pan_ids, times)), dtype=bool, count=len(pan_ids))
    return f"{source}: ", file_place(panel, panel.index[hit][:40]) if hit.any() else ""


def _first_error(report: JoinReport, m: _Match, v: _Values, panel: pd.DataFrame, lay_ids: pd.Series,
                 n_times: int, allow_unbalanced: bool, keys: tuple[pd.Series, pd.Series]) -> Exception | None:
    """The most fundamental problem found, as the error to raise (``None`` if none)."""
    id, time, layer_id = report.id, report.time, report.layer_id  # noqa: A001
    pan_raw = panel[id]
    if m.not_in_layer:
        hint = id_format_hint(pan_raw, lay_ids, m.not_in_layer)
        return JoinError(
            f"{len(m.not_in_layer)} panel id(s) in {id!r} have no unit in the layer column "
            f"{layer_id!r}: {format_items(m.not_in_layer)}.{hint} Recode them to the layer's codes "
            "or drop them from the panel."
        )
    if m.dup_cells:
        lines = _where(panel, *keys, m.dup_cells)[1]
        return JoinError(
            f"{len(m.dup_cells)} (id, time) cell(s) of the panel appear more than once "
            f"({id!r}, {time!r}): {format_items(m.dup_cells)}{lines}. Keep one row per unit and period."
        )
    if m.missing and not allow_unbalanced:
        return JoinError(
            f"{_where(panel, *keys, [])[0]}the panel is unbalanced: {len(m.missing)} (id, time) cell(s) missing out of "
            f"{len(m.unit_order) * n_times}: {format_items(m.missing)}. Fill them, drop "
            "the units or periods, or pass allow_unbalanced=True."
        )
    if v.non_numeric:
        return DataError("non-numeric values in variable column(s): " + "; ".join(v.non_numeric_detail)
                         + ". Clean the column or leave it out of variables.")
    if v.nan_cells:
        return DataError(f"{len(v.nan_cells)} NaN or infinite value(s) in variable column(s) (cells are (id, time)): "
                         + "; ".join(v.nan_detail) + ". Fill or drop them first.")
    return None


def _ordered(body: pd.DataFrame, layer: gpd.GeoDataFrame, lay_ids: pd.Series, pan_ids: pd.Series,
             times: pd.Series, unit_order: list[str], time_values: list, id: str, layer_id: str  # noqa: A002
             ) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """The panel sorted by (time, id) and the layer restricted to its units, both in ``unit_order``."""
    rank = {u: k for k, u in enumerate(unit_order)}
    time_rank = {t: k for k, t in enumerate(time_values)}
    order = np.lexsort(
        (
            np.fromiter((rank[i] for i in pan_ids), dtype=np.int64, count=len(pan_ids)),
            np.fromiter((time_rank[_py(t)] for t in times), dtype=np.int64, count=len(times)),
        )
    )
    out_panel = body.iloc[order].reset_index(drop=True)
    out_panel[id] = out_panel[id].astype("str")

    keep = lay_ids.isin(set(unit_order)).to_numpy()
    out_layer = layer.loc[keep].copy()
    out_layer[layer_id] = lay_ids[keep].to_numpy()
    out_layer[layer_id] = out_layer[layer_id].astype("str")
    out_layer = out_layer.iloc[np.argsort([rank[i] for i in out_layer[layer_id]], kind="stable")]
    return out_panel, out_layer.reset_index(drop=True)


def join_panel(
    layer: gpd.GeoDataFrame,
    panel: pd.DataFrame,
    id: str,
    *,
    time: str,
    layer_id: str | None = None,
    variables: Sequence[str] | None = None,
    allow_unbalanced: bool = False,
) -> PanelJoin:
    """Match a long (id, time) panel to a boundary layer and fix the unit order.

    Parameters
    ----------
    layer
        The boundary layer (e.g. from :func:`spillmap.geo.read_boundaries`).
    panel
        The panel in long form: one row per (id, time).
    id
        Panel id column.
    time
        Panel time column.
    layer_id
        Layer id column; defaults to ``id``.
    variables
        Value columns to check (numeric, no NaN). Default: every column except ``id``
        and ``time`` that is numeric, or text of which at least half the values parse
        as numbers (so a ``gdp`` column read as text because of one ``"n/a"`` is
        caught, while a ``name`` column is left alone).
    allow_unbalanced
        Accept missing (id, time) cells (they are reported in ``report.missing_cells``).

    Returns
    -------
    PanelJoin
        ``layer`` restricted to the panel's units and sorted by id text; ``panel``
        sorted by (time, id) in that id order; ``ids``, ``times``, ``n``, ``t``, ``report``.

    Raises
    ------
    DataError
        A missing column, null ids or times, ids that cannot be normalised, a
        non-numeric variable (column and an example value with its cell) or NaN /
        infinite values (column and cells).
    JoinError
        Panel ids absent from the layer (the ids), duplicate layer ids, duplicate
        (id, time) rows (the cells), or an unbalanced panel without
        ``allow_unbalanced`` (the missing cells).
        Every raised error carries the :class:`JoinReport` as ``exc.report`` when it
        could be built.

    Notes
    -----
    Whole-number periods with gaps (1980, 1981, 1983) give a
    :class:`~spillmap.errors.DataWarning`.
    Ids on both sides are turned into text with :func:`spillmap.geo.normalise_ids`
    (``110000`` and ``110000.0`` -> ``"110000"``; surrounding spaces removed); the report
    says what was normalised. Layer units absent from the panel are dropped, not an error.
    Text value columns whose every value is a number are converted to float and listed
    in ``report.converted_columns``.

    Verification
    ------------
    ``tests/test_geo_join.py``: every error case; Produc (48 states x 17 years) joins the
    US-48 layer; a fake panel on the 297 Chinese municipalities + prefecture-level cities
    joins the embedded China layer; the output order is checked against an independent
    ``sort_values`` of the input.
    """
    layer_id = id if layer_id is None else layer_id
    _check_columns(layer, panel, id, time, layer_id)
    if len(panel) == 0:
        raise JoinError(f"the panel has no rows (its columns: {format_items(list(panel.columns))}); nothing to join.")
    check_keys_filled(panel, id, time)  # file line and column when the panel was read from a file
    check_periods(panel, time)
    lay_ids, pan_ids, notes = _unit_ids(layer, panel, id, layer_id)
    times, time_values = _panel_times(panel, time, pan_ids)
    pan_ids = pan_ids.reset_index(drop=True)
    body = panel.reset_index(drop=True).copy()
    body[id] = pan_ids
    warn_period_gaps(time_values, time)

    m = _match(lay_ids, pan_ids, times, time_values)
    var_list = _variables(body, variables, id, time)
    v = _check_values(body, var_list, pan_ids, times, panel)
    report = _report(layer, panel, id, time, layer_id, notes, time_values, var_list, m, v)
    exc = _first_error(report, m, v, panel, lay_ids, len(time_values), allow_unbalanced, (pan_ids, times))
    if exc is not None:
        _raise(exc, report)

    out_panel, out_layer = _ordered(body, layer, lay_ids, pan_ids, times, m.unit_order, time_values, id, layer_id)
    return PanelJoin(
        layer=out_layer,
        panel=out_panel,
        ids=tuple(m.unit_order),
        times=tuple(time_values),
        n=len(m.unit_order),
        t=len(time_values),
        report=report,
    )


def _raise(exc: Exception, report: JoinReport) -> None:
    exc.report = report  # type: ignore[attr-defined]
    raise exc
