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
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from spillmap.errors import DataError, JoinError, did_you_mean, format_items

from ._common import normalise_ids, warn_period_gaps

__all__ = ["JoinReport", "PanelJoin", "join_panel"]


@dataclass(frozen=True)
class JoinReport:
    """What :func:`join_panel` found when matching a panel to a layer.

    Attributes
    ----------
    id, time, layer_id
        Column names used.
    n_layer_units
        Units in the layer as given.
    n_panel_ids, n_times, n_rows
        Distinct ids, distinct periods and rows of the panel as given.
    panel_ids_not_in_layer
        Panel ids with no polygon (an error).
    layer_ids_not_in_panel
        Layer units without panel rows (reported, then dropped from the layer).
    duplicate_cells
        (id, time) cells with more than one row (an error).
    missing_cells
        (id, time) cells absent from the panel (an error unless ``allow_unbalanced``).
    variables
        The value columns checked.
    non_numeric
        (column, example bad value) for value columns that are not numbers (an error).
    converted_columns
        Text columns whose every value is a number, converted to float.
    nan_cells
        (column, id, time) of NaN or infinite values in the value columns (an error).
    id_notes
        What was normalised in the ids, in words.
    """

    id: str
    time: str
    layer_id: str
    n_layer_units: int
    n_panel_ids: int
    n_times: int
    n_rows: int
    panel_ids_not_in_layer: tuple[str, ...] = ()
    layer_ids_not_in_panel: tuple[str, ...] = ()
    duplicate_cells: tuple[tuple[str, object], ...] = ()
    missing_cells: tuple[tuple[str, object], ...] = ()
    variables: tuple[str, ...] = ()
    non_numeric: tuple[tuple[str, object], ...] = ()
    converted_columns: tuple[str, ...] = ()
    nan_cells: tuple[tuple[str, str, object], ...] = ()
    id_notes: tuple[str, ...] = field(default=())

    @property
    def balanced(self) -> bool:
        """True when every (id, time) cell has exactly one row."""
        return not self.missing_cells and not self.duplicate_cells

    @property
    def ok(self) -> bool:
        """True when nothing that :func:`join_panel` treats as an error was found."""
        return not (
            self.panel_ids_not_in_layer or self.duplicate_cells or self.non_numeric or self.nan_cells
        )

    def __str__(self) -> str:
        lines = [
            f"panel: {self.n_rows} rows, {self.n_panel_ids} ids ({self.id!r}) x {self.n_times} periods ({self.time!r}); "
            f"layer: {self.n_layer_units} units ({self.layer_id!r})",
        ]

        def add(label: str, items: Sequence[object]) -> None:
            lines.append(f"{label}: {len(items)}" + (f" -> {format_items(items)}" if items else ""))

        add("panel ids not in the layer", self.panel_ids_not_in_layer)
        add("layer units not in the panel (dropped)", self.layer_ids_not_in_panel)
        add("duplicate (id, time) rows", self.duplicate_cells)
        add("missing (id, time) cells", self.missing_cells)
        lines.append(f"variables checked: {format_items(self.variables)}" if self.variables else "variables checked: none")
        add("non-numeric variables (column, example)", self.non_numeric)
        if self.converted_columns:
            add("text columns converted to numbers", self.converted_columns)
        add("NaN/infinite cells (column, id, time)", self.nan_cells)
        for note in self.id_notes:
            lines.append(f"ids normalised: {note}")
        lines.append("balanced" if self.balanced else "unbalanced")
        return "\n".join(lines)


@dataclass(frozen=True)
class PanelJoin:
    """A panel matched to its boundary layer, in the order every later step uses.

    Attributes
    ----------
    layer
        GeoDataFrame restricted to the panel's units, rows sorted by id (as text),
        index reset, id column (``layer_id``) as ``str``.
    panel
        DataFrame sorted by (time, id) with ids in the layer's order, index reset,
        id column as ``str``, value columns numeric.
    ids
        Unit ids (text) in that order.
    times
        Periods in ascending order.
    n, t
        Number of units and of periods.
    report
        The :class:`JoinReport`.
    """

    layer: gpd.GeoDataFrame = field(repr=False)
    panel: pd.DataFrame = field(repr=False)
    ids: tuple[str, ...] = field(repr=False)
    times: tuple = field(repr=False)
    n: int
    t: int
    report: JoinReport = field(repr=False)

    def __repr__(self) -> str:
        t0, t1 = (self.times[0], self.times[-1]) if self.times else ("", "")
        bal = "balanced" if self.report.balanced else f"unbalanced ({len(self.report.missing_cells)} missing cells)"
        return f"PanelJoin(n={self.n}, t={self.t}, times={t0}..{t1}, rows={len(self.panel)}, {bal})"


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


def join_panel(
    layer: gpd.GeoDataFrame,
    panel: pd.DataFrame,
    *,
    id: str,
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
    if not isinstance(panel, pd.DataFrame):
        raise DataError(f"panel must be a pandas DataFrame, got {type(panel).__name__}.")
    for col, where, frame in ((id, "panel", panel), (time, "panel", panel), (layer_id, "layer", layer)):
        if col not in frame.columns:
            raise DataError(
                f"no column {col!r} in the {where}; its columns are: {format_items(list(map(str, frame.columns)), limit=50)}."
                + did_you_mean(col, frame.columns)
            )
    if id == time:
        raise DataError(f"id and time are the same column ({id!r}).")

    # --- ids and times ------------------------------------------------------------
    notes: list[str] = []
    lay_raw = layer[layer_id]
    if lay_raw.isna().any():
        rows = np.flatnonzero(lay_raw.isna().to_numpy()).tolist()
        raise DataError(f"layer column {layer_id!r} has null ids in rows (0-based) {format_items(rows)}.")
    lay_ids, note = normalise_ids(lay_raw, what=f"layer column {layer_id!r}")
    if note:
        notes.append(note)
    dup_layer = lay_ids[lay_ids.duplicated()].unique().tolist()
    if dup_layer:
        raise JoinError(f"layer column {layer_id!r} is not unique; duplicated ids: {format_items(dup_layer)}.")

    pan_raw = panel[id]
    if pan_raw.isna().any():
        rows = np.flatnonzero(pan_raw.isna().to_numpy()).tolist()
        raise DataError(f"panel column {id!r} has null ids in rows (0-based) {format_items(rows)}.")
    pan_ids, note = normalise_ids(pan_raw, what=f"panel column {id!r}")
    if note:
        notes.append(note)
    times = panel[time]
    if times.isna().any():
        bad = times.isna().to_numpy()
        raise DataError(
            f"panel column {time!r} is empty for {int(bad.sum())} row(s), ids: "
            f"{format_items(pan_ids[bad].tolist())}."
        )
    pan_ids = pan_ids.reset_index(drop=True)
    times = times.reset_index(drop=True)
    body = panel.reset_index(drop=True).copy()
    body[id] = pan_ids

    try:
        time_values = sorted(pd.unique(times).tolist())
    except TypeError as exc:
        raise DataError(f"panel column {time!r} mixes values that cannot be ordered: {exc}.") from exc
    warn_period_gaps(time_values, time)

    # --- matching -----------------------------------------------------------------
    layer_set = set(lay_ids.tolist())
    panel_unique = list(dict.fromkeys(pan_ids.tolist()))
    panel_set = set(panel_unique)
    not_in_layer = sorted(i for i in panel_unique if i not in layer_set)
    not_in_panel = sorted(i for i in lay_ids.tolist() if i not in panel_set)

    dup_mask = pd.DataFrame({"i": pan_ids, "t": times}).duplicated(keep="first").to_numpy()
    dup_cells = sorted(set(_cells(pan_ids, times, dup_mask)), key=lambda c: (str(c[1]), c[0]))

    unit_order = sorted(panel_set)  # text order: the stable order of every later step
    present = set(zip(pan_ids.tolist(), (_py(t) for t in times.tolist())))
    missing = [(i, _py(t)) for t in time_values for i in unit_order if (i, _py(t)) not in present]

    # --- value columns ---------------------------------------------------------------
    if variables is None:
        var_list = _value_columns(body, {id, time})
    else:
        var_list = list(variables)
        absent = [v for v in var_list if v not in body.columns]
        if absent:
            raise DataError(
                f"variables not in the panel: {format_items(absent)}; its columns are: "
                f"{format_items(list(map(str, body.columns)), limit=50)}."
            )
        if id in var_list or time in var_list:
            raise DataError(f"the id/time columns ({id!r}, {time!r}) cannot be variables.")
    non_numeric: list[tuple[str, object]] = []
    non_numeric_detail: list[str] = []
    converted: list[str] = []
    for col in var_list:
        s = body[col]
        if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
            continue
        parsed = pd.to_numeric(s, errors="coerce")
        bad = (s.notna() & parsed.isna()).to_numpy()
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            example = s.iloc[k]
            non_numeric.append((col, example))
            non_numeric_detail.append(
                f"{col!r} (e.g. {example!r} at ({pan_ids.iloc[k]!r}, {_py(times.iloc[k])!r}); "
                f"{int(bad.sum())} bad value(s))"
            )
        else:
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
            arr = vals.to_numpy(dtype=float, na_value=np.nan)
            bad = ~np.isfinite(arr)
        if bad.any():
            cells = _cells(pan_ids, times, bad)
            nan_cells.extend((col, i, t) for i, t in cells)
            nan_detail.append(f"{col!r} at {format_items(cells, limit=10)}")

    report = JoinReport(
        id=id,
        time=time,
        layer_id=layer_id,
        n_layer_units=len(layer),
        n_panel_ids=len(panel_unique),
        n_times=len(time_values),
        n_rows=len(panel),
        panel_ids_not_in_layer=tuple(not_in_layer),
        layer_ids_not_in_panel=tuple(not_in_panel),
        duplicate_cells=tuple(dup_cells),
        missing_cells=tuple(missing),
        variables=tuple(var_list),
        non_numeric=tuple(non_numeric),
        converted_columns=tuple(converted),
        nan_cells=tuple(nan_cells),
        id_notes=tuple(notes),
    )

    # --- errors, most fundamental first --------------------------------------------
    if not_in_layer:
        hint = _leading_zero_hint(pan_raw, lay_ids, not_in_layer)
        _raise(
            JoinError(
                f"{len(not_in_layer)} panel id(s) in {id!r} have no unit in the layer column "
                f"{layer_id!r}: {format_items(not_in_layer)}.{hint} Recode them to the layer's codes "
                "or drop them from the panel."
            ),
            report,
        )
    if dup_cells:
        _raise(
            JoinError(
                f"{len(dup_cells)} (id, time) cell(s) of the panel appear more than once "
                f"({id!r}, {time!r}): {format_items(dup_cells)}. Keep one row per unit and period."
            ),
            report,
        )
    if missing and not allow_unbalanced:
        _raise(
            JoinError(
                f"the panel is unbalanced: {len(missing)} (id, time) cell(s) missing out of "
                f"{len(unit_order) * len(time_values)}: {format_items(missing)}. Fill them, drop "
                "the units or periods, or pass allow_unbalanced=True."
            ),
            report,
        )
    if non_numeric:
        _raise(
            DataError("non-numeric values in variable column(s): " + "; ".join(non_numeric_detail)
                      + ". Clean the column or leave it out of variables."),
            report,
        )
    if nan_cells:
        _raise(
            DataError(f"{len(nan_cells)} NaN or infinite value(s) in variable column(s) (cells are (id, time)): "
                      + "; ".join(nan_detail) + ". Fill or drop them first."),
            report,
        )

    # --- ordered outputs ---------------------------------------------------------------
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

    keep = lay_ids.isin(panel_set).to_numpy()
    out_layer = layer.loc[keep].copy()
    out_layer[layer_id] = lay_ids[keep].to_numpy()
    out_layer[layer_id] = out_layer[layer_id].astype("str")
    out_layer = out_layer.iloc[np.argsort([rank[i] for i in out_layer[layer_id]], kind="stable")]
    out_layer = out_layer.reset_index(drop=True)

    return PanelJoin(
        layer=out_layer,
        panel=out_panel,
        ids=tuple(unit_order),
        times=tuple(time_values),
        n=len(unit_order),
        t=len(time_values),
        report=report,
    )


def _raise(exc: Exception, report: JoinReport) -> None:
    exc.report = report  # type: ignore[attr-defined]
    raise exc


def _leading_zero_hint(pan_raw: pd.Series, lay_ids: pd.Series, missing: list[str]) -> str:
    """A hint when padding numeric panel ids with zeros would make them match."""
    if not (pd.api.types.is_numeric_dtype(pan_raw.dtype) or pan_raw.dtype == object):
        return ""
    widths = {len(i) for i in lay_ids.tolist()}
    if len(widths) != 1:
        return ""
    width = widths.pop()
    layer_set = set(lay_ids.tolist())
    if any(i.zfill(width) in layer_set for i in missing[:50]):
        return (
            f" The layer's codes have {width} characters with leading zeros; the panel ids look "
            "like numbers that lost them (read the column as text, e.g. "
            f"pandas.read_csv(..., dtype={{{pan_raw.name!r}: str}}), or zero-pad them)."
        )
    return ""
