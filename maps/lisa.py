"""LISA cluster map (local Moran's I): HH, LL, HL, LH and not significant.

Library used: **folium** (through :mod:`spillmap.maps._layers`); the local statistics
come from :func:`spillmap.spatial.local_moran` (esda).  The map itself is only a
categorical colouring written here: GeoDa's conventional colours, with the
significance level, the multiple-testing rule and the number of permutations in the
legend.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import folium
import numpy as np
import pandas as pd

from spillmap.errors import DataError
from spillmap.maps import _layers

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["LISA_COLORS", "LISA_LABELS", "lisa_map"]

#: GeoDa's colours for the LISA clusters
LISA_COLORS: Mapping[str, str] = {
    "HH": "#d7191c",
    "LL": "#2c7bb6",
    "LH": "#abd9e9",
    "HL": "#fdae61",
    "ns": "#f0f0f0",
}
LISA_LABELS: Mapping[str, str] = {
    "HH": "High-High (hot spot)",
    "LL": "Low-Low (cold spot)",
    "LH": "Low-High (outlier)",
    "HL": "High-Low (outlier)",
    "ns": "not significant",
}


def _clusters(lisa_frame: pd.DataFrame) -> pd.Series:
    if "cluster" in lisa_frame.columns:
        return lisa_frame["cluster"].astype(object).astype(str)
    if {"quadrant", "significant"} <= set(lisa_frame.columns):
        q = lisa_frame["quadrant"].astype(object).astype(str)
        return q.where(lisa_frame["significant"].astype(bool), "ns")
    raise DataError(
        "lisa_frame needs a 'cluster' column (or 'quadrant' + 'significant'), as returned by "
        "spillmap.spatial.local_moran."
    )


def lisa_map(
    gdf: gpd.GeoDataFrame,
    lisa_frame: pd.DataFrame,
    *,
    id: str,
    name_column: str | Sequence[str] | None = None,
    group: str | None = None,
    variable: str | None = None,
    alpha: float | None = None,
    permutations: int | None = None,
    title: str | None = None,
    notice: str | None = None,
    legend: bool = True,
    tiles: str | None = None,
    simplify: float | str | None = "auto",
    m: folium.Map | None = None,
) -> folium.Map:
    """Map of LISA clusters.

    Parameters
    ----------
    gdf
        Boundary layer with ``id``; units absent from ``lisa_frame`` are drawn grey
        ("not in sample").
    lisa_frame
        Output of :func:`spillmap.spatial.local_moran`: indexed by unit id, with
        ``cluster`` (``HH``/``LL``/``LH``/``HL``/``ns``), ``Ii`` and ``p_perm``.
    id
        Unit id column of ``gdf`` (matched to the frame's index as text).
    name_column
        Name column(s) of ``gdf`` (e.g. ``["name", "name_en"]``), shown in the tooltip.
    group
        Column of a higher-level unit (``"province"``) whose boundaries are drawn.
    alpha, permutations
        Shown in the legend; default ``lisa_frame.attrs`` (``alpha``, ``threshold``,
        ``fdr``, ``permutations``).
    variable
        Name of the variable (legend title).
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
    full = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
    _layers.name_columns(full, name_column)
    idx = lisa_frame.index.astype(str)
    if idx.duplicated().any():
        raise DataError(f"lisa_frame has duplicate ids: {list(idx[idx.duplicated()][:5])}.")
    clusters = _clusters(lisa_frame)
    clusters.index = idx
    bad = sorted(set(clusters) - set(LISA_COLORS))
    if bad:
        raise DataError(f"unknown LISA cluster labels {bad}; expected {list(LISA_COLORS)}.")
    unknown = sorted(set(idx) - set(full[id]))
    if unknown:
        from spillmap.errors import format_items

        raise DataError(f"lisa_frame ids not in the layer's {id!r}: {format_items(unknown)}.")
    g, ctx = _layers.split_sample(full, id=id, sample=list(idx))
    ids = g[id].tolist()
    cl = clusters.reindex(ids)
    ii = lisa_frame.set_axis(idx)["Ii"].reindex(ids) if "Ii" in lisa_frame else pd.Series(np.nan, index=ids)
    pp = lisa_frame.set_axis(idx)["p_perm"].reindex(ids) if "p_perm" in lisa_frame else pd.Series(np.nan, index=ids)
    tips = [[["cluster", LISA_LABELS[c]], ["local Moran's I", _layers.format_value(i_val, 3)],
             ["pseudo p-value", _layers.format_value(p_val, 3)]] for c, i_val, p_val in zip(cl, ii, pp)]
    counts = cl.value_counts()
    entries = [(LISA_COLORS[k], f"{LISA_LABELS[k]} ({int(counts.get(k, 0))})") for k in LISA_COLORS]
    legend_title = f"LISA clusters of {variable}" if variable else "LISA clusters"
    spec = {
        "name": legend_title,
        "colors": [LISA_COLORS[c] for c in cl],
        "tips": tips,
        "legend_html": _layers.legend_html(
            legend_title, entries, note=_note(lisa_frame.attrs, alpha, permutations),
            not_in_sample=len(ctx), group=group,
        ),
        "show": True,
    }
    m = _layers.new_map(g, tiles=tiles, m=m)
    # "not in sample" striped (every map): the light "not significant" units and it read apart, also in greyscale
    return _layers.add_layers(
        m, g, id=id, name_column=name_column, layers=[spec], title=title, notice=notice, legend=legend,
        context=ctx, group=group,
    )


def _note(attrs: Mapping, alpha: float | None, permutations: int | None) -> str | None:
    alpha = attrs.get("alpha") if alpha is None else alpha
    permutations = attrs.get("permutations") if permutations is None else permutations
    parts = []
    if alpha is not None:
        rule = "FDR-adjusted" if attrs.get("fdr") else "pseudo p"
        parts.append(f"significance: {rule} ≤ {attrs.get('threshold', alpha):.4g} (α = {alpha:g})")
    if permutations is not None:
        parts.append(f"{int(permutations):,} conditional permutations")
    if attrs.get("seed") is not None:
        parts.append(f"seed {attrs['seed']}")
    return "; ".join(parts) or None
