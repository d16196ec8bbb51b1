"""Choropleth maps of a variable (one period, or a panel with a period switch).

Library used: **mapclassify** classifies (through :mod:`spillmap.maps._classify`, shared
with the static figures), **branca**'s ColorBrewer tables give the colours, **folium** the
map.  The layer, legend and tooltip elements are spillmap's own (see
:mod:`spillmap.maps._layers`: geometry embedded once, every user string escaped).
The functions follow geopandas ``explore``'s contract: they return a ``folium.Map``
and accept ``m=`` to add a layer; writing the page is :func:`spillmap.maps.save_map`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import folium
import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.maps import _layers
from spillmap.maps._diverging import classes_and_colors
from spillmap.maps._classify import (  # noqa: F401  (re-exported: the classification lives there)
    AUTO_NARROW,
    SCHEMES,
    Classification,
    Scheme,
    class_labels,
    classes_note,
    classify,
    colors_for,
    palette,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Classification", "classify", "palette", "class_labels", "classes_note", "choropleth",
           "choropleth_panel", "AUTO_NARROW"]


def _layer_spec(
    values: np.ndarray,
    c: Classification,
    *,
    cmap: str,
    label: str,
    legend_title: str,
    layer_name: str,
    note: str | None,
    show: bool,
    decimals: int,
    not_in_sample: int = 0,
    group: str | None = None,
    colors: list[str] | None = None,
) -> dict:
    colors = palette(cmap, c.k) if colors is None else colors
    n_missing = int((c.yb < 0).sum())
    tips = [[[str(label), _layers.format_value(v, decimals)]] for v in values]
    return {
        "name": layer_name,
        "colors": colors_for(c, colors),
        "tips": tips,
        "legend_html": _layers.legend_html(
            legend_title, list(zip(colors, class_labels(c))), note=note, no_data=n_missing,
            not_in_sample=not_in_sample, group=group,
        ),
        "show": show,
    }


def _tip_decimals(values: np.ndarray) -> int:
    v = np.abs(values[np.isfinite(values)])
    if v.size == 0:
        return 3
    mag = np.nanmedian(v[v > 0]) if (v > 0).any() else 1.0
    return int(min(6, max(0, 3 - np.floor(np.log10(mag)))))


def _numeric(gdf, column: str) -> np.ndarray:
    if column not in gdf.columns:
        raise DataError(f"column {column!r} not in the layer; available: {', '.join(map(repr, gdf.columns))}.")
    s = gdf[column]
    if not (pd.api.types.is_numeric_dtype(s) or s.isna().all()):
        raise DataError(f"column {column!r} is not numeric (dtype {s.dtype}); a choropleth needs numbers.")
    return np.asarray(s, dtype=float)


def _extra_tips(spec: dict, g, columns: Sequence[str] | None) -> None:
    for extra in columns or ():
        if extra not in g.columns:
            raise DataError(f"tooltip column {extra!r} not in the layer.")
        col = g[extra]
        numeric = pd.api.types.is_numeric_dtype(col)
        dec = _tip_decimals(np.asarray(col, float)) if numeric else 0
        for i, v in enumerate(col.tolist()):
            spec["tips"][i].append([str(extra), _layers.format_value(v, dec) if numeric else str(v)])


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    id: str,
    name_column: str | Sequence[str] | None = None,
    sample: Sequence[str] | None = None,
    group: str | None = None,
    scheme: Scheme | Literal["quantiles_by_sign"] = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str = "YlOrRd",
    title: str | None = None,
    legend: bool = True,
    tooltip_columns: Sequence[str] | None = None,
    tiles: str | None = None,
    notice: str | None = None,
    simplify: float | str | None = "auto",
    m: folium.Map | None = None,
) -> folium.Map:
    """Choropleth map of one numeric column.

    Parameters
    ----------
    gdf
        GeoDataFrame (any CRS; reprojected to EPSG:4326) with ``id`` and ``column``.
        Missing values (NaN) are drawn hatched grey and counted as "no data".
    column
        The variable to map.
    id, name_column
        Unit id column and name column(s) (e.g. ``["name", "name_en"]``), all shown in
        the tooltip.
    sample
        Ids of the units in the sample (default: every unit of ``gdf``); the others are
        drawn light grey, "not in sample", and the map is fitted to the sample.
    group
        Column of a higher-level unit (``"province"``): its boundaries are drawn on top.
    scheme, k, bins
        Classification (see :func:`classify`; ``"auto"`` states a narrow range).  ``"quantiles_by_sign"``
        with a diverging ``cmap`` (``"RdBu_r"``) for values of both signs: classes broken at 0, quantiles
        within each sign, ``(k + 1) // 2`` on each side (:func:`spillmap.maps._diverging.classify_by_sign`).
    cmap
        ColorBrewer scheme name.
    title, notice
        Title box text and an optional notice under it (e.g. ``DEMO_NOTICE``).
    legend
        Draw the legend (class ranges with counts, the range of the data).
    tooltip_columns
        Extra columns shown in the tooltip.
    tiles
        ``None`` (default): plain background, works offline.  A folium tile name/URL
        needs network when the page is opened.
    simplify
        Coverage-simplification tolerance in degrees; ``"auto"`` (default): about 1 km for a
        layer of more than 150,000 vertices, none for a smaller one; ``None``: no simplification
        (see :func:`spillmap.maps._layers.prepare_geometry`).
    m
        Add to this map instead of creating one.

    Returns
    -------
    folium.Map
        An :class:`~spillmap.maps._display.OfflineMap` (or ``m``): its notebook display and
        ``save`` are offline, like :func:`~spillmap.maps.save_map`.
    """
    full = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
    _layers.name_columns(full, name_column)
    g, ctx = _layers.split_sample(full, id=id, sample=sample)
    values = _numeric(g, column)
    c, colors, note = classes_and_colors(values, scheme, k, bins, cmap)
    spec = _layer_spec(
        values, c, cmap=cmap, label=column, legend_title=title or column, layer_name=column,
        note=note, show=True, decimals=_tip_decimals(values), not_in_sample=len(ctx), group=group, colors=colors,
    )
    _extra_tips(spec, g, tooltip_columns)
    m = _layers.new_map(g, tiles=tiles, m=m)
    return _layers.add_layers(
        m, g, id=id, name_column=name_column, layers=[spec], title=title, notice=notice, legend=legend,
        context=ctx, group=group,
    )


def _panel_frame(data: pd.DataFrame, id: str, time: str, columns: Sequence[str]) -> pd.DataFrame:
    for col in [id, time, *columns]:
        if col not in data.columns:
            raise DataError(f"panel column {col!r} not found; available: {', '.join(map(repr, data.columns))}.")
    if not columns:
        raise InputError("choropleth_panel needs at least one column.")
    d = data.copy()
    d[id] = d[id].astype(str)
    dup = d.duplicated([id, time])
    if dup.any():
        from spillmap.errors import format_items

        bad = list(zip(d.loc[dup, id], d.loc[dup, time]))
        raise DataError(f"panel has duplicate (id, time) rows: {format_items(bad)}.")
    for col in columns:
        if not pd.api.types.is_numeric_dtype(d[col]):
            raise DataError(f"panel column {col!r} is not numeric (dtype {d[col].dtype}).")
    return d


def choropleth_panel(
    gdf: gpd.GeoDataFrame,
    data: pd.DataFrame,
    *,
    id: str,
    time: str,
    columns: Sequence[str],
    periods: Sequence | None = None,
    layer_id: str | None = None,
    name_column: str | Sequence[str] | None = None,
    group: str | None = None,
    scheme: Scheme = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str = "YlOrRd",
    title: str | None = None,
    notice: str | None = None,
    legend: bool = True,
    tiles: str | None = None,
    simplify: float | str | None = "auto",
    m: folium.Map | None = None,
) -> folium.Map:
    """Choropleth of panel variables; two drop-down lists switch variable and period.

    Geometry is embedded once; each (variable, period) is a layer with its own legend.
    Classes of a variable are computed on all its periods pooled, so colours are
    comparable across periods.  Units of the layer absent from the panel are drawn
    grey ("not in sample"); a unit absent from one period only is "no data" there.

    Parameters
    ----------
    gdf
        Boundary layer with ``id`` (may hold units outside the sample).
    data
        Long panel with ``id``, ``time`` and ``columns``.
    id, time
        Unit id column (of ``gdf`` and ``data``) and period column (of ``data``).
    columns
        Numeric columns of ``data`` to map; a drop-down list switches them (the first is
        shown on opening).
    periods
        Periods to show (default: all, in order).  The last one is shown on opening.
    layer_id
        The id column of ``gdf`` when it is not named ``id`` (e.g. ``"STATE_ABBR"`` for a
        panel keyed by ``"state_abbr"``); default ``id``.
    name_column
        Name column(s) of ``gdf`` (e.g. ``["name", "name_en"]``), shown in the tooltip.
    group
        Column of a higher-level unit (``"province"``) whose boundaries are drawn.
    scheme, k, bins
        Classification (see :func:`classify`; default quantiles, 5 classes), computed per
        variable on all its periods pooled.
    cmap
        ColorBrewer scheme name (default ``"YlOrRd"``).
    title, notice
        Title box text and an optional notice under it (e.g. ``DEMO_NOTICE``).
    legend
        Draw the legend (default ``True``).
    tiles
        ``None`` (default): plain background, works offline.  A folium tile name/URL
        needs network when the page is opened.
    simplify
        Coverage-simplification tolerance in degrees; ``"auto"`` (default): about 1 km for a
        layer of more than 150,000 vertices, none for a smaller one; ``None``: no simplification
        (see :func:`spillmap.maps._layers.prepare_geometry`).
    m
        Add to this map instead of creating one.

    Returns
    -------
    folium.Map
        An :class:`~spillmap.maps._display.OfflineMap` (or ``m``): its notebook display and
        ``save`` are offline, like :func:`~spillmap.maps.save_map`.
    """
    full = _layers.prepare_geometry(_layers.keyed_layer(gdf, id=id, layer_id=layer_id), id=id, simplify=simplify)
    _layers.name_columns(full, name_column)
    d = _panel_frame(data, id, time, columns)
    all_periods = sorted(d[time].unique().tolist())
    periods = list(periods) if periods is not None else all_periods
    unknown = [p for p in periods if p not in set(all_periods)]
    if unknown:
        raise DataError(f"periods not in column {time!r}: {unknown}.")
    g, ctx = _layers.split_sample(full, id=id, sample=d[id].unique().tolist())
    ids = g[id].tolist()
    specs, keys = [], []
    for ci, col in enumerate(columns):
        wide = d.pivot(index=id, columns=time, values=col).reindex(index=ids, columns=periods)
        pooled = classify(wide.to_numpy().ravel(), scheme=scheme, k=k, bins=bins)
        dec = _tip_decimals(wide.to_numpy().ravel())
        for pi, p in enumerate(periods):
            yb = pooled.yb.reshape(wide.shape)[:, pi]
            c = Classification(pooled.bins, pooled.lower, yb, tuple(int((yb == j).sum()) for j in range(pooled.k)),
                               pooled.scheme, pooled.requested)
            specs.append(_layer_spec(
                wide[p].to_numpy(dtype=float), c, cmap=cmap, label=f"{col} ({p})", legend_title=f"{col}, {p}",
                layer_name=f"{col} {p}", note=classes_note(c, pooled=f"pooled over {len(periods)} periods"),
                show=(ci == 0 and pi == len(periods) - 1), decimals=dec, not_in_sample=len(ctx), group=group,
            ))
            keys.append((ci, pi))
    m = _layers.new_map(g, tiles=tiles, m=m)
    return _layers.add_layers(
        m, g, id=id, name_column=name_column, layers=specs, title=title, notice=notice, legend=legend,
        context=ctx, group=group, switcher={"variables": list(columns), "periods": list(periods), "keys": keys},
    )
