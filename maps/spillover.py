"""Spillover maps from a fitted SAR/SDM: per-city direct effect, spillover received and
emitted, and the response of every city to a unit change in one city.

Library used: **folium** (through :mod:`spillmap.maps._layers`) and **mapclassify**
(through :func:`spillmap.maps.choropleth.classify`).  The numbers come from
:func:`spillmap.estimation.effects.unit_effects` (diagonal, row and column sums of
``S_k = (I - rho W)^{-1}(beta_k I + theta_k W)``) and
:func:`spillmap.estimation.effects.unit_response` (one column of ``S_k``); this module
only colours them.  Colours are sequential when all values share a sign (classes
``"auto"``: equal width over a narrow range, stated in the legend) and a diverging
ColorBrewer scheme (classes symmetric around zero) otherwise.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import folium
import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.tables import plural
from spillmap.maps import _layers
from spillmap.maps._classify import (Classification, Scheme, class_labels, classes_note, classify, colors_for, palette,
                                     NEGLIGIBLE_FRACTION, reading)
from spillmap.maps._significance import AVERAGE_OF, AverageLine, average_line, effects_by_part, layer_sentence

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["SPILLOVER_COLUMNS", "spillover_map", "unit_response_map", "value_classes", "effect_words",
           "layer_sentence", "average_line", "AVERAGE_OF"]

#: layers of :func:`spillover_map`: column of ``unit_effects`` -> words (``{units}``: plural unit word)
SPILLOVER_COLUMNS = {
    "direct": "direct effect (own change)",
    "indirect_received": "spillover received from all other {units}",
    "indirect_emitted": "spillover emitted to all other {units}",
}
_MORE_WORDS = {
    "total_received": "total effect received (own change and all other {units})",
    "total_emitted": "total effect emitted (on itself and all other {units})",
}


def effect_words(col: str, unit: str) -> str:
    """Plain words for a column of ``unit_effects`` (``spillover received from all other cities``)."""
    return {**SPILLOVER_COLUMNS, **_MORE_WORDS}.get(col, col).format(units=plural(unit))


def _diverging(values: np.ndarray, finite: np.ndarray) -> tuple[Classification, list[str]]:
    """User bins symmetric around 0, quantile-like within each sign; RdBu colours."""
    neg = np.quantile(finite[finite < 0], [0.5]) if (finite < 0).sum() > 4 else np.array([])
    pos = np.quantile(finite[finite > 0], [0.5]) if (finite > 0).sum() > 4 else np.array([])
    bins = sorted({*neg.tolist(), 0.0, *pos.tolist(), float(finite.max())})
    c = classify(values, scheme="user", bins=bins)
    n_neg = sum(1 for b in c.bins if b <= 0)
    n_pos = c.k - n_neg
    full = palette("RdBu_r", 2 * max(n_neg, n_pos))  # even: no white middle (one class a side was blue, white)
    mid = len(full) // 2
    return c, full[mid - n_neg: mid] + full[mid: mid + n_pos]


def value_classes(values: np.ndarray, *, scheme: Scheme = "auto", k: int = 5) -> tuple[Classification, list[str]]:
    """Classes and colours of an effect: diverging around zero when the values change sign,
    else ``scheme`` with a sequential palette (YlOrRd; Blues, darkest lowest, for negatives).
    Shared by the interactive maps and :mod:`spillmap.figures`."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise DataError("no finite value to classify.")
    if finite.min() < 0 < finite.max():
        return _diverging(values, finite)
    c = classify(values, scheme=scheme, k=k)
    colors = palette("YlOrRd" if finite.max() > 0 else "Blues", c.k)
    return c, colors if finite.max() > 0 else colors[::-1]


#: the response map's class of negligible effects, as the static figure's (:func:`unit_response_map`'s ``negligible``)
NEGLIGIBLE = "#c6c6c6"


def negligible_classes(values: np.ndarray, *, scheme: Scheme = "quantiles", k: int = 5,
                       negligible: float = NEGLIGIBLE_FRACTION):
    """``(classification, colours, cut)``: the classes of :func:`value_classes` of the values whose magnitude is at
    least ``cut = negligible * max |value|``; those below it get class -3 ("negligible", :data:`NEGLIGIBLE`) and
    ``cut`` is ``None`` when there are none.  A display threshold, not a test: the response map and its static
    figure (:func:`spillmap.figures.response_map`) show the largest effects in colour, the rest in grey."""
    finite = np.isfinite(values)
    cut = negligible * float(np.abs(values[finite]).max()) if finite.any() and negligible > 0 else 0.0
    small = finite & (np.abs(values) < cut)
    if not small.any():
        c, colors = value_classes(values, scheme=scheme, k=k)
        return c, colors, None
    c, colors = value_classes(np.where(small, np.nan, values), scheme=scheme, k=k)
    c.yb[small] = -3
    return c, colors, cut


def _value_spec(
    values: np.ndarray,
    *,
    name: str,
    label: str,
    k: int,
    scheme: Scheme,
    note: str,
    show: bool,
    extra_entries: Sequence[tuple[str, str]] = (),
    not_missing: int = 0,
    not_in_sample: int = 0,
    group: str | None = None,
    average: AverageLine | None = None,
    negligible: tuple[float, str] | None = None,
) -> dict:
    """A layer of :func:`spillover_map` or :func:`unit_response_map`; ``negligible``: ``(fraction, unit word)``
    puts the values below ``fraction`` of the largest magnitude in a grey class (:func:`negligible_classes`)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise DataError(f"no finite value for {name!r}.")
    c, colors, cut = negligible_classes(values, scheme=scheme, k=k, negligible=negligible[0] if negligible else 0.0)
    dec = 4 if np.nanmax(np.abs(finite)) < 1 else 3
    tips = [[[label, _layers.format_value(v, dec)]] for v in values]
    entries, notes = [*extra_entries, *zip(colors, class_labels(c))], [note, classes_note(c)]
    if cut is not None and negligible:
        entries.append((NEGLIGIBLE, f"negligible: |effect| < {reading(cut, digits=2)} ({int((c.yb == -3).sum())})"))
        notes.append(f"negligible: below {negligible[0] * 100:.3g} % of the largest |effect| on another {negligible[1]}"
                     " (a display threshold, not a test), in grey")
    return {
        "name": name,
        "colors": [NEGLIGIBLE if j == -3 else col for j, col in zip(c.yb, colors_for(c, colors))],
        "tips": tips,
        "legend_html": _layers.legend_html(
            name, entries, note="; ".join(notes) + (f"; {average[0]}" if average and average[1] else ""),
            no_data=int((c.yb == -1).sum()) - not_missing, not_in_sample=not_in_sample, group=group,
            caveat=average[0] if average and not average[1] else None,  # never folded away
        ),
        "show": show,
    }


def _align(full, frame_index: pd.Index, id: str, what: str):
    """``(sample, context)`` of the prepared layer: units in ``frame_index`` and the rest."""
    ids = set(full[id])
    idx = frame_index.astype(str)
    unknown = sorted(set(idx) - ids)
    if unknown:
        from spillmap.errors import format_items

        raise DataError(f"{what} ids not in the layer's {id!r}: {format_items(unknown)}.")
    return _layers.split_sample(full, id=id, sample=list(idx))


def spillover_map(
    gdf: gpd.GeoDataFrame,
    unit_effects: pd.DataFrame,
    *,
    id: str,
    var: str,
    y: str = "y",
    unit: str = "unit",
    name_column: str | Sequence[str] | None = None,
    group: str | None = None,
    columns: Sequence[str] = tuple(SPILLOVER_COLUMNS),
    k: int = 5,
    scheme: Scheme = "auto",
    title: str | None = None,
    notice: str | None = None,
    tiles: str | None = None,
    simplify: float | str | None = "auto",
    m: folium.Map | None = None,
    average_effects: pd.DataFrame | Mapping[str, Mapping[str, float]] | None = None,
    level: float = 0.95,
    reading: str = "",
) -> folium.Map:
    """Per-unit direct effect, spillover received and spillover emitted of ``var``.

    Parameters
    ----------
    gdf
        Boundary layer with ``id``; units absent from ``unit_effects`` are drawn grey
        ("not in sample").
    unit_effects
        :func:`spillmap.estimation.effects.unit_effects` output (index: unit id).
    id
        Unit id column of ``gdf`` (matched to the index as text).
    var, y
        The regressor and the dependent variable (for labels).
    unit
        The unit word of tooltips and layer names (``"city"``: "spillover received from
        all other cities").
    name_column
        Name column(s) of ``gdf`` (e.g. ``["name", "name_en"]``), shown in the tooltip.
    group
        Column of a higher-level unit (``"province"``) whose boundaries are drawn.
    columns
        Which columns to draw, each as a layer (a drop-down list switches them).
    k
        Number of classes of one-signed layers (default 5).
    scheme
        Classification of one-signed layers (:func:`~spillmap.maps.choropleth.classify`);
        the default ``"auto"`` uses equal-width classes over a narrow range (direct
        effects often span a few per cent) and says so in the legend.  Layers with both
        signs get classes symmetric around zero.
    title, notice
        Title box text and an optional notice under it (e.g. ``DEMO_NOTICE``).
    tiles
        ``None`` (default): plain background, works offline.  A folium tile name/URL
        needs network when the page is opened.
    simplify
        Coverage-simplification tolerance in degrees; ``"auto"`` (default): about 1 km for a
        layer of more than 150,000 vertices, none for a smaller one; ``None``: no simplification
        (see :func:`spillmap.maps._layers.prepare_geometry`).
    m
        Add to this map instead of creating one.
    average_effects
        The fitted model's average effects of ``var`` (a row of its effects table per part:
        ``{"direct": {"estimate": ..., "se": ..., "p": ...}, "indirect": ..., "total": ...}``,
        or that frame indexed by part).  Each layer's legend then gives its average effect,
        SE and p-value, and says in a line that never folds when it is not significant at
        ``1 - level``.  Default: not shown.
    level
        The confidence level of the results (default 0.95: significance at 5 %).

    reading
        A sentence on reading the numbers added to each legend's note, e.g. that ``var`` or ``y`` is a
        logarithm (:func:`spillmap.maps._significance.log_reading`; the report passes it).

    Returns
    -------
    folium.Map
        An :class:`~spillmap.maps._display.OfflineMap` (or ``m``): its notebook display and
        ``save`` are offline, like :func:`~spillmap.maps.save_map`.  Each layer's legend note
        says in one sentence what the layer shows.
    """
    full = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
    _layers.name_columns(full, name_column)
    averages = effects_by_part(average_effects)
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
    g, ctx = _align(full, ue.index, id, "unit_effects")
    ids = g[id].tolist()
    specs = []
    for j, col in enumerate(columns):
        words = effect_words(col, unit)
        specs.append(
            _value_spec(
                ue[col].reindex(ids).to_numpy(dtype=float), name=f"{var}: {words}", label=words, k=k,
                scheme=scheme, note=" ".join(filter(None, (layer_sentence(col, var=var, y=y, unit=unit), reading))),
                show=(j == 0),
                not_in_sample=len(ctx), group=group, average=average_line(AVERAGE_OF.get(col, ""), averages, level),
            )
        )
    m = _layers.new_map(g, tiles=tiles, m=m)
    switch = {"variables": [s["name"] for s in specs], "periods": [""], "keys": [(j, 0) for j in range(len(specs))]}
    return _layers.add_layers(
        m, g, id=id, name_column=name_column, layers=specs, title=title, notice=notice, legend=True,
        context=ctx, group=group, switcher=switch if len(specs) > 1 else None,
    )


def unit_response_map(
    gdf: gpd.GeoDataFrame,
    response: pd.Series,
    *,
    id: str,
    source_id: str,
    var: str,
    y: str = "y",
    unit: str = "unit",
    name_column: str | Sequence[str] | None = None,
    group: str | None = None,
    k: int = 5,
    scheme: Scheme = "quantiles",
    title: str | None = None,
    notice: str | None = None,
    tiles: str | None = None,
    simplify: float | str | None = "auto",
    m: folium.Map | None = None,
    average_effects: pd.DataFrame | Mapping[str, Mapping[str, float]] | None = None,
    level: float = 0.95,
    negligible: float = NEGLIGIBLE_FRACTION,
    reading: str = "",
) -> folium.Map:
    """Effect on every unit of a unit change of ``var`` in ``source_id`` (outlined).

    Parameters
    ----------
    gdf
        Boundary layer with ``id``.
    response
        :func:`spillmap.estimation.effects.unit_response` output (index: unit id).
        The source unit's own value (its direct effect) usually dwarfs the others, so
        it is drawn in its own class and the classes are computed on the other units.
        Units of the layer absent from it are drawn grey ("not in sample").
    id
        Unit id column of ``gdf`` (matched to the index as text).
    source_id
        The unit whose ``var`` changed (outlined, in its own colour); must be in ``response``.
    var, y
        The regressor and the dependent variable (for labels).
    unit
        The unit word of tooltips and layer names (default ``"unit"``; ``"city"``).
    name_column
        Name column(s) of ``gdf`` (e.g. ``["name", "name_en"]``), shown in the tooltip; the
        first names the source in the legend.
    group
        Column of a higher-level unit (``"province"``) whose boundaries are drawn.
    k
        Number of classes of the other units (default 5).
    scheme
        Classification of the other units; quantiles by default (the response decays
        geometrically with distance, so equal-count classes show its reach); class
        bounds get as many digits as keep them apart.
    title, notice
        Title box text and an optional notice under it (e.g. ``DEMO_NOTICE``).
    tiles
        ``None`` (default): plain background, works offline.  A folium tile name/URL
        needs network when the page is opened.
    simplify
        Coverage-simplification tolerance in degrees; ``"auto"`` (default): about 1 km for a
        layer of more than 150,000 vertices, none for a smaller one; ``None``: no simplification
        (see :func:`spillmap.maps._layers.prepare_geometry`).
    m
        Add to this map instead of creating one.
    average_effects, level
        As in :func:`spillover_map`: the legend gives the average indirect effect (what the
        other units' colours show), its SE and p-value, and says when it is not significant.
    negligible
        Display threshold, a fraction of the largest ``|effect|`` of the other units (default 1e-3, as the
        static :func:`spillmap.figures.response_map`): units below it form the grey "negligible" class
        (units outside the sample are then striped), the others are classified by ``scheme``; the legend
        states the threshold.  0 classifies every unit.  Nothing is tested.
    reading
        As in :func:`spillover_map`.

    Returns
    -------
    folium.Map
        An :class:`~spillmap.maps._display.OfflineMap` (or ``m``): its notebook display and
        ``save`` are offline, like :func:`~spillmap.maps.save_map`.
    """
    full = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
    names = _layers.name_columns(full, name_column)
    r = response.copy()
    r.index = r.index.astype(str)
    g, ctx = _align(full, r.index, id, "response")
    ids = g[id].tolist()
    if str(source_id) not in set(r.index):
        raise DataError(f"source_id {source_id!r} is not in the response's index.")
    vals = r.reindex(ids).to_numpy(dtype=float)
    src = ids.index(str(source_id))
    others = vals.copy()
    others[src] = np.nan
    src_name = str(g[names[0]].iloc[src]) if names else str(source_id)
    src_color = "#6a3d9a"
    spec = _value_spec(
        others, name=f"response to a unit change of {var} in {src_name}",
        label=f"effect on this {unit} of +1 {var} in {src_name}", k=k, scheme=scheme,
        note=" ".join(filter(None, (f"effect on {y} of each {unit}; the source {unit} is outlined.", reading))),
        show=True, extra_entries=[(src_color, f"{src_name} itself (direct): {_layers.format_significant(vals[src])}")],
        not_missing=1, not_in_sample=len(ctx), group=group,
        average=average_line("indirect", effects_by_part(average_effects), level), negligible=(negligible, unit),
    )
    spec["colors"][src] = src_color
    spec["tips"][src] = [[f"effect on this {unit} of its own +1 {var} (direct)", _layers.format_value(vals[src], 4)]]
    m = _layers.new_map(g, tiles=tiles, m=m)
    return _layers.add_layers(
        m, g, id=id, name_column=name_column, layers=[spec], title=title, notice=notice,
        legend=True, highlight=[str(source_id)], context=ctx, group=group,
    )
