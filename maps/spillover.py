"""Spillover maps from a fitted SAR/SDM: per-city direct effect, spillover received and
emitted, and the response of every city to a unit change in one city.

Library used: **folium** (through :mod:`spillmap.maps._layers`) and **mapclassify**
(through :func:`spillmap.maps.choropleth.classify`).  The numbers come from
:func:`spillmap.estimation.effects.unit_effects` (diagonal, row and column sums of
``S_k = (I - rho W)^{-1}(beta_k I + theta_k W)``) and
:func:`spillmap.estimation.effects.unit_response` (one column of ``S_k``); this module
only colours them.  Colours are sequential when all values share a sign and a
diverging ColorBrewer scheme (classes symmetric around zero) otherwise.
"""
from __future__ import annotations

from collections.abc import Sequence

import folium
import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.maps import _layers
from spillmap.maps.choropleth import Classification, class_labels, classify, colors_for, palette

__all__ = ["SPILLOVER_COLUMNS", "spillover_map", "unit_response_map"]

#: layers of :func:`spillover_map`: column of ``unit_effects`` -> layer name
SPILLOVER_COLUMNS = {
    "direct": "direct effect (own change)",
    "indirect_received": "spillover received (from all other cities)",
    "indirect_emitted": "spillover emitted (to all other cities)",
}


def _value_spec(
    values: np.ndarray,
    *,
    name: str,
    label: str,
    k: int,
    note: str,
    show: bool,
    extra_entries: Sequence[tuple[str, str]] = (),
    not_missing: int = 0,
) -> dict:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise DataError(f"no finite value for {name!r}.")
    if finite.min() < 0 < finite.max():
        # diverging: user bins symmetric around 0, quantile-like within each sign
        neg = np.quantile(finite[finite < 0], [0.5]) if (finite < 0).sum() > 4 else np.array([])
        pos = np.quantile(finite[finite > 0], [0.5]) if (finite > 0).sum() > 4 else np.array([])
        bins = sorted({*neg.tolist(), 0.0, *pos.tolist(), float(finite.max())})
        c = classify(values, scheme="user", bins=bins)
        cmap = "RdBu_r"
        n_neg = sum(1 for b in c.bins if b <= 0)
        n_pos = c.k - n_neg
        half = max(n_neg, n_pos)
        full = palette(cmap, max(3, 2 * half))
        mid = len(full) // 2
        colors = full[mid - n_neg: mid] + full[mid: mid + n_pos]
    else:
        c = classify(values, scheme="quantiles", k=k)
        cmap = "YlOrRd" if finite.max() > 0 else "Blues_r"
        colors = palette("YlOrRd" if finite.max() > 0 else "Blues", c.k)
        if finite.max() <= 0:
            colors = colors[::-1]
    dec = 4 if np.nanmax(np.abs(finite)) < 1 else 3
    tips = [[[label, _layers.format_value(v, dec)]] for v in values]
    return {
        "name": name,
        "colors": colors_for(c, colors),
        "tips": tips,
        "legend_html": _layers.legend_html(
            name,
            [*extra_entries, *zip(colors, class_labels(c))],
            note=note,
            no_data=int((c.yb < 0).sum()) - not_missing,
        ),
        "show": show,
    }


def _align(g, frame_index: pd.Index, id: str, what: str) -> list[str]:
    ids = g[id].tolist()
    idx = frame_index.astype(str)
    unknown = sorted(set(idx) - set(ids))
    if unknown:
        from spillmap.errors import format_items

        raise DataError(f"{what} ids not in the layer's {id!r}: {format_items(unknown)}.")
    return ids


def spillover_map(
    gdf,
    unit_effects: pd.DataFrame,
    *,
    id: str,
    var: str,
    y: str = "y",
    name_column: str | None = None,
    columns: Sequence[str] = tuple(SPILLOVER_COLUMNS),
    k: int = 5,
    title: str | None = None,
    notice: str | None = None,
    tiles: str | None = None,
    simplify: float | None = None,
    m: folium.Map | None = None,
) -> folium.Map:
    """Per-city direct effect, spillover received and spillover emitted of ``var``.

    Parameters
    ----------
    gdf
        Boundary layer with ``id``.
    unit_effects
        :func:`spillmap.estimation.effects.unit_effects` output (index: unit id).
    var, y
        The regressor and the dependent variable (for labels).
    columns
        Which columns to draw, each as a base layer (switch with the layer control).

    Returns
    -------
    folium.Map
    """
    g = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
    missing = [c for c in columns if c not in unit_effects.columns]
    if missing:
        raise DataError(
            f"unit_effects lacks column(s) {missing}; expected the output of "
            "spillmap.estimation.effects.unit_effects."
        )
    if not columns:
        raise InputError("spillover_map needs at least one column.")
    ue = unit_effects.copy()
    ue.index = ue.index.astype(str)
    ids = _align(g, ue.index, id, "unit_effects")
    specs = []
    for j, col in enumerate(columns):
        vals = ue[col].reindex(ids).to_numpy(dtype=float)
        label = SPILLOVER_COLUMNS.get(col, col)
        specs.append(
            _value_spec(
                vals, name=f"{var}: {label}", label=f"{col} of {var}", k=k,
                note=f"effect on {y} of a unit change of {var}", show=(j == 0),
            )
        )
    m = _layers.new_map(g, tiles=tiles, m=m)
    return _layers.add_layers(
        m, g, id=id, name_column=name_column, layers=specs, title=title, notice=notice, legend=True
    )


def unit_response_map(
    gdf,
    response: pd.Series,
    *,
    id: str,
    source_id: str,
    var: str,
    y: str = "y",
    name_column: str | None = None,
    k: int = 5,
    title: str | None = None,
    notice: str | None = None,
    tiles: str | None = None,
    simplify: float | None = None,
    m: folium.Map | None = None,
) -> folium.Map:
    """Effect on every city of a unit change of ``var`` in ``source_id`` (outlined).

    Parameters
    ----------
    response
        :func:`spillmap.estimation.effects.unit_response` output (index: unit id).
        The source city's own value (its direct effect) usually dwarfs the others, so
        it is drawn in its own class and the classes are computed on the other cities.

    Returns
    -------
    folium.Map
    """
    g = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
    r = response.copy()
    r.index = r.index.astype(str)
    ids = _align(g, r.index, id, "response")
    if str(source_id) not in set(r.index):
        raise DataError(f"source_id {source_id!r} is not in the response's index.")
    vals = r.reindex(ids).to_numpy(dtype=float)
    src = ids.index(str(source_id))
    others = vals.copy()
    others[src] = np.nan
    src_name = (
        str(g[name_column].iloc[src]) if name_column and name_column in g.columns else str(source_id)
    )
    src_color = "#6a3d9a"
    spec = _value_spec(
        others, name=f"response to a unit change of {var} in {src_name}", label="effect on this city",
        k=k, note=f"effect on {y} of each city; the source city is outlined",
        show=True, extra_entries=[(src_color, f"{src_name} itself (direct): {vals[src]:.4g}")],
        not_missing=1,
    )
    spec["colors"][src] = src_color
    spec["tips"][src] = [["effect on this city (own change)", _layers.format_value(vals[src], 4)]]
    m = _layers.new_map(g, tiles=tiles, m=m)
    return _layers.add_layers(
        m, g, id=id, name_column=name_column, layers=[spec], title=title, notice=notice,
        legend=True, highlight=[str(source_id)],
    )
