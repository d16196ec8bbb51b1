"""Choropleth maps of a variable (one period, or a panel with a period switch).

Library used: **mapclassify** classifies (quantiles, Fisher–Jenks, equal interval,
user-defined bins), **branca**'s ColorBrewer tables give the colours, **folium** the
map.  The layer, legend and tooltip elements are spillmap's own (see
:mod:`spillmap.maps._layers`: geometry embedded once, every user string escaped).
The functions follow geopandas ``explore``'s contract: they return a ``folium.Map``
and accept ``m=`` to add a layer; writing the page is :func:`spillmap.maps.save_map`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import folium
import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.maps import _layers

__all__ = ["Classification", "classify", "palette", "class_labels", "choropleth", "choropleth_panel"]

Scheme = Literal["quantiles", "fisher_jenks", "equal_interval", "user"]
SCHEMES: tuple[str, ...] = ("quantiles", "fisher_jenks", "equal_interval", "user")


@dataclass(frozen=True)
class Classification:
    """Result of :func:`classify`: class upper bounds, the class of each value, counts.

    ``yb`` is -1 for a missing value.
    """

    bins: tuple[float, ...]
    lower: float
    yb: np.ndarray
    counts: tuple[int, ...]
    scheme: str

    @property
    def k(self) -> int:
        return len(self.bins)


def classify(
    values, *, scheme: Scheme = "quantiles", k: int = 5, bins: Sequence[float] | None = None
) -> Classification:
    """Classify ``values`` with mapclassify; missing values get class -1.

    Parameters
    ----------
    values
        Numbers (NaN = no data).
    scheme
        ``"quantiles"``, ``"fisher_jenks"``, ``"equal_interval"`` or ``"user"`` (then
        ``bins`` are the class upper bounds; the last is raised to the maximum if lower).
    k
        Number of classes (2-9) for the automatic schemes.  Fewer are used when the data
        have fewer distinct values.
    """
    import mapclassify

    if scheme not in SCHEMES:
        raise InputError(f"scheme={scheme!r} is not one of {', '.join(SCHEMES)}.")
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    ok = np.isfinite(x)
    if not ok.any():
        raise DataError("no finite value to classify; every unit would be 'no data'.")
    v = x[ok]
    if scheme == "user":
        if bins is None or len(bins) == 0:
            raise InputError("scheme='user' needs bins=[upper bound of each class, ...].")
        b = np.asarray(bins, dtype=float)
        if np.any(np.diff(b) <= 0):
            raise InputError(f"bins must increase strictly, got {list(bins)}.")
        if b[-1] < v.max():
            b = np.append(b, v.max())
        c = mapclassify.UserDefined(v, b)
    else:
        if not 2 <= int(k) <= 9:
            raise InputError(f"k={k} classes: choose between 2 and 9.")
        n_unique = np.unique(v).size
        kk = max(1, min(int(k), n_unique))
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kk == 1:
                c = mapclassify.UserDefined(v, [v.max()])
            elif scheme == "quantiles":
                c = mapclassify.Quantiles(v, k=kk)
            elif scheme == "fisher_jenks":
                c = mapclassify.FisherJenks(v, k=kk)
            else:
                c = mapclassify.EqualInterval(v, k=kk)
    cbins = np.asarray(c.bins, dtype=float)
    yb = np.full(x.shape, -1, dtype=int)
    yb[ok] = np.asarray(c.yb, dtype=int)
    counts = tuple(int((yb == j).sum()) for j in range(cbins.size))
    return Classification(tuple(cbins.tolist()), float(v.min()), yb, counts, scheme)


def palette(cmap: str, n: int) -> list[str]:
    """``n`` ColorBrewer colours of ``cmap`` (e.g. ``"YlOrRd"``, ``"RdBu_r"``)."""
    from branca.utilities import color_brewer

    try:
        if n >= 3:
            return list(color_brewer(cmap, n))
        three = list(color_brewer(cmap, 3))
    except (ValueError, KeyError) as exc:
        raise InputError(f"cmap={cmap!r} is not a ColorBrewer scheme (e.g. 'YlOrRd', 'Blues', 'RdBu_r').") from exc
    return [three[0], three[2]][:n] if n == 2 else [three[2]]


def _decimals(values: Sequence[float]) -> int:
    """Decimals (0-6) that keep neighbouring class bounds apart: one more than the gap needs."""
    vals = np.unique(np.asarray(values, dtype=float))
    gaps = np.diff(vals)
    gaps = gaps[gaps > 0]
    if gaps.size == 0:
        return 2
    return int(np.clip(np.ceil(-np.log10(gaps.min())) + 1, 0, 6))


def class_labels(c: Classification, *, decimals: int | None = None) -> list[str]:
    """Legend labels ``"lower – upper (count)"`` of each class."""
    edges = [c.lower, *c.bins]
    d = _decimals(edges) if decimals is None else decimals
    labels = []
    for j in range(c.k):
        lo = edges[j]
        hi = edges[j + 1]
        labels.append(f"{lo:,.{d}f} – {hi:,.{d}f} ({c.counts[j]})")
    return labels


def colors_for(c: Classification, colors: Sequence[str]) -> list[str]:
    """Fill colour per unit; missing values get :data:`_layers.NO_DATA_COLOR`."""
    return [colors[j] if j >= 0 else _layers.NO_DATA_COLOR for j in c.yb]


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
) -> dict:
    colors = palette(cmap, c.k)
    n_missing = int((c.yb < 0).sum())
    tips = [[[str(label), _layers.format_value(v, decimals)]] for v in values]
    return {
        "name": layer_name,
        "colors": colors_for(c, colors),
        "tips": tips,
        "legend_html": _layers.legend_html(
            legend_title, list(zip(colors, class_labels(c))), note=note, no_data=n_missing
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


def choropleth(
    gdf,
    column: str,
    *,
    id: str,
    name_column: str | None = None,
    scheme: Scheme = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str = "YlOrRd",
    title: str | None = None,
    legend: bool = True,
    tooltip_columns: Sequence[str] | None = None,
    tiles: str | None = None,
    notice: str | None = None,
    simplify: float | None = None,
    m: folium.Map | None = None,
) -> folium.Map:
    """Choropleth map of one numeric column.

    Parameters
    ----------
    gdf
        GeoDataFrame (any CRS; reprojected to EPSG:4326) with ``id`` and ``column``.
        Missing values (NaN) are drawn grey and counted in a "no data" legend entry.
    column
        The variable to map.
    id, name_column
        Unit id column and optional name column, both shown in the tooltip.
    scheme, k, bins
        Classification (see :func:`classify`).
    cmap
        ColorBrewer scheme name.
    title, notice
        Title box text and an optional notice under it (e.g. ``DEMO_NOTICE``).
    legend
        Draw the legend (class ranges with counts).
    tooltip_columns
        Extra columns shown in the tooltip.
    tiles
        ``None`` (default): plain background, works offline.  A folium tile name/URL
        needs network when the page is opened.
    simplify
        Coverage-simplification tolerance in degrees (see
        :func:`spillmap.maps._layers.prepare_geometry`).
    m
        Add to this map instead of creating one.

    Returns
    -------
    folium.Map
    """
    g = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
    values = _numeric(g, column)
    if name_column is not None and name_column not in g.columns:
        raise DataError(f"name_column {name_column!r} not in the layer.")
    c = classify(values, scheme=scheme, k=k, bins=bins)
    d = _tip_decimals(values)
    spec = _layer_spec(
        values, c, cmap=cmap, label=column, legend_title=title or column, layer_name=column,
        note=f"classes: {scheme.replace('_', ' ')}", show=True, decimals=d,
    )
    for extra in tooltip_columns or ():
        if extra not in g.columns:
            raise DataError(f"tooltip column {extra!r} not in the layer.")
        col = g[extra]
        for i, v in enumerate(col.tolist()):
            spec["tips"][i].append(
                [str(extra), _layers.format_value(v, _tip_decimals(np.asarray(col, float)))
                 if pd.api.types.is_numeric_dtype(col) else str(v)]
            )
    m = _layers.new_map(g, tiles=tiles, m=m)
    return _layers.add_layers(
        m, g, id=id, name_column=name_column, layers=[spec], title=title, notice=notice, legend=legend
    )


def choropleth_panel(
    gdf,
    data: pd.DataFrame,
    *,
    id: str,
    time: str,
    columns: Sequence[str],
    periods: Sequence | None = None,
    name_column: str | None = None,
    scheme: Scheme = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str = "YlOrRd",
    title: str | None = None,
    notice: str | None = None,
    legend: bool = True,
    tiles: str | None = None,
    simplify: float | None = None,
    m: folium.Map | None = None,
) -> folium.Map:
    """Choropleth of panel variables with a layer control to switch variable/period.

    Geometry is embedded once; each (variable, period) is a base layer (radio button)
    with its own legend.  Classes of a variable are computed on all its periods pooled,
    so colours are comparable across periods.

    Parameters
    ----------
    gdf
        Boundary layer with ``id``.
    data
        Long panel with ``id``, ``time`` and ``columns``; units absent from a period are
        "no data".
    periods
        Periods to show (default: all, in order).  The last one is shown on opening.

    Returns
    -------
    folium.Map
    """
    g = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
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
    all_periods = sorted(d[time].unique().tolist())
    periods = list(periods) if periods is not None else all_periods
    unknown = [p for p in periods if p not in set(all_periods)]
    if unknown:
        raise DataError(f"periods not in column {time!r}: {unknown}.")
    ids = g[id].tolist()
    specs = []
    for ci, col in enumerate(columns):
        if not pd.api.types.is_numeric_dtype(d[col]):
            raise DataError(f"panel column {col!r} is not numeric (dtype {d[col].dtype}).")
        wide = d.pivot(index=id, columns=time, values=col).reindex(index=ids, columns=periods)
        pooled = classify(wide.to_numpy().ravel(), scheme=scheme, k=k, bins=bins)
        dec = _tip_decimals(wide.to_numpy().ravel())
        for pi, p in enumerate(periods):
            vals = wide[p].to_numpy(dtype=float)
            yb = pooled.yb.reshape(wide.shape)[:, pi]
            c = Classification(
                pooled.bins, pooled.lower, yb, tuple(int((yb == j).sum()) for j in range(pooled.k)), pooled.scheme
            )
            specs.append(
                _layer_spec(
                    vals, c, cmap=cmap, label=f"{col} ({p})", legend_title=f"{col}, {p}",
                    layer_name=f"{col} {p}",
                    note=f"classes: {scheme.replace('_', ' ')}, pooled over {len(periods)} periods",
                    show=(ci == 0 and pi == len(periods) - 1), decimals=dec,
                )
            )
    m = _layers.new_map(g, tiles=tiles, m=m)
    return _layers.add_layers(
        m, g, id=id, name_column=name_column, layers=specs, title=title, notice=notice, legend=legend
    )
