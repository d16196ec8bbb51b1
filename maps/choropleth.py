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

__all__ = ["Classification", "classify", "palette", "class_labels", "classes_note", "choropleth",
           "choropleth_panel", "AUTO_NARROW"]

Scheme = Literal["quantiles", "fisher_jenks", "equal_interval", "user", "auto"]
SCHEMES: tuple[str, ...] = ("quantiles", "fisher_jenks", "equal_interval", "user", "auto")
#: ``scheme="auto"``: equal-width classes when (max - min) / |mid-range| is below this, Fisher-Jenks otherwise
AUTO_NARROW = 0.2


@dataclass(frozen=True)
class Classification:
    """Result of :func:`classify`: class upper bounds, the class of each value, counts.

    ``yb`` is -1 for a missing value.  ``scheme`` is the scheme used; ``requested`` the one
    asked for (``"auto"`` resolves to ``"equal_interval"`` or ``"fisher_jenks"``).
    """

    bins: tuple[float, ...]
    lower: float
    yb: np.ndarray
    counts: tuple[int, ...]
    scheme: str
    requested: str = ""

    @property
    def k(self) -> int:
        return len(self.bins)

    @property
    def upper(self) -> float:
        return self.bins[-1]

    @property
    def narrow(self) -> bool:
        """True when ``"auto"`` chose equal-width classes for a narrow range."""
        return self.requested == "auto" and self.scheme == "equal_interval"


def _auto_scheme(v: np.ndarray) -> str:
    lo, hi = float(np.min(v)), float(np.max(v))
    mid = abs(lo + hi) / 2
    return "equal_interval" if mid > 0 and (hi - lo) / mid < AUTO_NARROW else "fisher_jenks"


def _mapclassify(v: np.ndarray, scheme: str, k: int, bins):
    import warnings

    import mapclassify

    if scheme == "user":
        return mapclassify.UserDefined(v, bins)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if k == 1:
            return mapclassify.UserDefined(v, [v.max()])
        if scheme == "quantiles":
            return mapclassify.Quantiles(v, k=k)
        if scheme == "fisher_jenks":
            return mapclassify.FisherJenks(v, k=k)
        return mapclassify.EqualInterval(v, k=k)


def classify(
    values, *, scheme: Scheme = "quantiles", k: int = 5, bins: Sequence[float] | None = None
) -> Classification:
    """Classify ``values`` with mapclassify; missing values get class -1.

    Parameters
    ----------
    values
        Numbers (NaN = no data).
    scheme
        ``"quantiles"``, ``"fisher_jenks"``, ``"equal_interval"``, ``"user"`` (then
        ``bins`` are the class upper bounds; the last is raised to the maximum if lower)
        or ``"auto"``: equal-width classes when the values span a narrow range
        (``(max - min) / |(max + min) / 2|`` below :data:`AUTO_NARROW`, where quantile classes would
        exaggerate small differences), otherwise Fisher-Jenks natural breaks (classes
        follow the gaps in the data, so a few outliers do not stretch the colours).
    k
        Number of classes (2-9) for the automatic schemes.  Fewer are used when the data
        have fewer distinct values; classes with equal bounds (ties at a quantile) are
        merged, so no two classes share a label.
    """
    if scheme not in SCHEMES:
        raise InputError(f"scheme={scheme!r} is not one of {', '.join(SCHEMES)}.")
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    ok = np.isfinite(x)
    if not ok.any():
        raise DataError("no finite value to classify; every unit would be 'no data'.")
    v = x[ok]
    used = _auto_scheme(v) if scheme == "auto" else scheme
    b = None
    if used == "user":
        if bins is None or len(bins) == 0:
            raise InputError("scheme='user' needs bins=[upper bound of each class, ...].")
        b = np.asarray(bins, dtype=float)
        if np.any(np.diff(b) <= 0):
            raise InputError(f"bins must increase strictly, got {list(bins)}.")
        if b[-1] < v.max():
            b = np.append(b, v.max())
    elif not 2 <= int(k) <= 9:
        raise InputError(f"k={k} classes: choose between 2 and 9.")
    c = _mapclassify(v, used, max(1, min(int(k), np.unique(v).size)), b)
    cbins = np.asarray(c.bins, dtype=float)
    if np.unique(cbins).size < cbins.size:  # tied quantiles: merge classes with equal bounds
        c = _mapclassify(v, "user", 0, np.unique(cbins))
        cbins = np.asarray(c.bins, dtype=float)
    yb = np.full(x.shape, -1, dtype=int)
    yb[ok] = np.asarray(c.yb, dtype=int)
    counts = tuple(int((yb == j).sum()) for j in range(cbins.size))
    return Classification(tuple(cbins.tolist()), float(v.min()), yb, counts, used, scheme)


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


def class_labels(c: Classification, *, counts: bool = True) -> list[str]:
    """Legend labels ``"lower – upper (count)"`` of each class.

    The bounds are printed with :func:`spillmap.tables.distinct_labels`: the fewest
    digits (scientific notation for tiny values) that keep adjacent bounds apart, so no
    two classes read alike.
    """
    from spillmap.tables import distinct_labels

    bounds = [c.lower, *c.bins]
    edges = distinct_labels(bounds)
    out = []
    for j in range(c.k):
        # a class holding a single value (ties at the minimum) is labelled by that value alone
        text = edges[j + 1] if bounds[j] == bounds[j + 1] else f"{edges[j]} – {edges[j + 1]}"
        out.append(text + (f" ({c.counts[j]})" if counts else ""))
    return out


def classes_note(c: Classification, *, pooled: str | None = None) -> str:
    """``"classes: quantiles; range 0.49–0.52"``: the scheme, why (auto) and the range."""
    from spillmap.tables import distinct_labels

    lo, hi = distinct_labels([c.lower, c.upper], min_digits=3)
    words = {"quantiles": "quantiles", "fisher_jenks": "Fisher–Jenks", "equal_interval": "equal width",
             "user": "user-defined"}.get(c.scheme, c.scheme)
    if c.narrow:
        spread = (c.upper - c.lower) / abs((c.upper + c.lower) / 2) if c.upper + c.lower else float("nan")
        words = f"equal width: narrow range (max − min ≈ {spread:.0%} of the mid-value), differences are small"
    text = f"classes: {words}; range {lo} – {hi}"
    return f"{text}; {pooled}" if pooled else text


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
    not_in_sample: int = 0,
    group: str | None = None,
) -> dict:
    colors = palette(cmap, c.k)
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
    gdf,
    column: str,
    *,
    id: str,
    name_column: str | Sequence[str] | None = None,
    sample: Sequence[str] | None = None,
    group: str | None = None,
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
        Classification (see :func:`classify`; ``"auto"`` states a narrow range).
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
        Coverage-simplification tolerance in degrees (see
        :func:`spillmap.maps._layers.prepare_geometry`).
    m
        Add to this map instead of creating one.

    Returns
    -------
    folium.Map
    """
    full = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
    _layers.name_columns(full, name_column)
    g, ctx = _layers.split_sample(full, id=id, sample=sample)
    values = _numeric(g, column)
    c = classify(values, scheme=scheme, k=k, bins=bins)
    spec = _layer_spec(
        values, c, cmap=cmap, label=column, legend_title=title or column, layer_name=column,
        note=classes_note(c), show=True, decimals=_tip_decimals(values), not_in_sample=len(ctx), group=group,
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
    gdf,
    data: pd.DataFrame,
    *,
    id: str,
    time: str,
    columns: Sequence[str],
    periods: Sequence | None = None,
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
    simplify: float | None = None,
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
    periods
        Periods to show (default: all, in order).  The last one is shown on opening.
    group
        Column of a higher-level unit (``"province"``) whose boundaries are drawn.

    Returns
    -------
    folium.Map
    """
    full = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
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
