"""Building blocks shared by every spillmap map: geometry, safe JSON, layers, legends.

Library used: **folium**/**branca** for the map object model and templates, **shapely**
for reprojection-free geometry work (``coverage_simplify``, coordinate rounding,
GeoJSON writing), **geopandas** for reprojection.  Written by hand, and why:

* The polygon layer (:class:`ColoredGeoJson`) instead of ``folium.GeoJson`` +
  ``GeoJsonTooltip``: folium's tooltip puts property values into ``innerHTML``
  unescaped (a city called ``<img src=x onerror=...>`` would run script), and one
  ``folium.GeoJson`` per period would repeat the geometry in every layer.  Here the
  geometry is embedded **once** (:class:`GeoData`) and each layer only carries a colour
  and tooltip rows per feature; tooltips are built with ``textContent``.
* JSON placed inside ``<script>`` is escaped (``<``, ``>``, ``&`` as ``\\u003c`` ...) so
  no string can close the script element; HTML fragments (legend, layer names, which
  Leaflet inserts with ``innerHTML``) are built with :func:`html.escape`.

The Leaflet elements themselves (templates) live in :mod:`spillmap.maps._elements`.
Units of the layer outside the sample are drawn hatched ("not in sample",
:func:`split_sample`); higher-level boundaries (``group``, e.g. provinces) are the
units dissolved by geopandas (:func:`group_lines`).

This module makes the map and adds the layers; the geometry (checks, reprojection,
simplification, the sample split, group boundaries) lives in :mod:`spillmap.maps._layer_geometry`,
the words (tooltip rows, numbers, legends) in :mod:`spillmap.maps._layer_text`; both are
re-exported here.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
import pandas as pd
from branca.element import Element

from spillmap.errors import CRSError, DataError, GeometryError, InputError  # noqa: F401  (re-exported)
from spillmap.maps._classify import NO_DATA_COLOR, display_number
from spillmap.maps._display import OfflineMap
from spillmap.maps._elements import (
    CSS,
    ColoredGeoJson,
    ContextLayer,
    GeoData,
    GroupOutlines,
    Legend,
    ScaleBar,
    js_json,
)
from spillmap.maps._controls import PanelSwitcher, Title
from spillmap.maps._layer_geometry import (  # noqa: F401  (re-exported: the geometry lives there)
    _GROUP_CACHE,
    _check_frame,
    _tolerance,
    group_boundaries,
    group_lines,
    keyed_layer,
    prepare_geometry,
    split_sample,
)
from spillmap.maps._layer_text import (  # noqa: F401  (re-exported: the words live there)
    NOT_IN_SAMPLE,
    _missing,
    base_tips,
    format_significant,
    format_value,
    legend_html,
    name_columns,
)

__all__ = [
    "NO_DATA_COLOR",
    "js_json",
    "prepare_geometry",
    "new_map",
    "GeoData",
    "ColoredGeoJson",
    "Legend",
    "Title",
    "legend_html",
    "add_layer_control",
    "keyed_layer",
]

LINE_COLOR = "#5f5f5f"


def new_map(gdf, *, tiles: str | None = None, m: folium.Map | None = None) -> folium.Map:
    """A folium map fitted to ``gdf`` (EPSG:4326; pass the sample, not the context), or ``m``."""
    if m is not None:
        if not isinstance(m, folium.Map):
            raise InputError(f"m must be a folium.Map, got {type(m).__name__}.")
        return m
    minx, miny, maxx, maxy = gdf.total_bounds
    m = OfflineMap(  # a folium.Map that displays and saves offline
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        tiles=tiles,
        zoom_start=4,
        zoom_snap=0.1,
        control_scale=False,
        prefer_canvas=False,
    )
    # the title box sits top right: keep the top strip free so it does not cover the sample
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding_top_left=(6, 62), padding_bottom_right=(6, 6))
    m.add_child(ScaleBar())
    _ensure_css(m)
    return m


def _ensure_css(m: folium.Map) -> None:
    header = m.get_root().header
    if "spillmap_css" not in header._children:
        header.add_child(Element(CSS), name="spillmap_css")


def add_layer_control(m: folium.Map) -> None:
    """Add one expanded layer control (no icon image needed), once."""
    if not any(isinstance(c, folium.LayerControl) for c in m._children.values()):
        folium.LayerControl(collapsed=False, position="topleft").add_to(m)


def add_context(m: folium.Map, context, *, id: str, name_column: str | Sequence[str] | None,
                group: str | None = None) -> None:
    """Draw ``context`` (units of the layer outside the sample, from :func:`split_sample`) hatched
    (grey stripes on white, on every map) under the data layers, with a "not in sample" tooltip;
    nothing when it is empty."""
    if context is None or not len(context):
        return
    ctx_tips = base_tips(context, id=id, name_column=name_column, group=group)
    cdata = GeoData(context, id=id, properties={"base_tip": ctx_tips, "ctx": [[[NOT_IN_SAMPLE, "—"]]] * len(context)})
    m.add_child(cdata)
    m.add_child(ContextLayer(cdata))


def add_layers(
    m: folium.Map,
    gdf,
    *,
    id: str,
    name_column: str | Sequence[str] | None,
    layers: Sequence[Mapping],
    title: str | None,
    notice: str | None,
    legend: bool,
    highlight: Sequence[str] = (),
    context=None,
    group: str | None = None,
    group_source=None,
    switcher: Mapping | None = None,
    legend_position: str = "bottomleft",
) -> folium.Map:
    """Embed geometry once and add one coloured layer per spec.

    Each spec has ``name``, ``colors`` (list per feature), ``tips`` (rows per feature),
    ``legend_html`` and ``show``.  ``context`` (units outside the sample) is drawn hatched
    underneath; ``group`` outlines (dissolved from ``group_source``, default the sample
    and the context together) are drawn on top.  ``switcher`` (``variables``, ``periods``,
    ``keys``: one ``(i, j)`` per layer) replaces the layer control by drop-down lists.
    """
    _ensure_css(m)
    add_context(m, context, id=id, name_column=name_column, group=group)
    props: dict[str, list] = {"base_tip": base_tips(gdf, id=id, name_column=name_column, group=group)}
    for j, spec in enumerate(layers):
        props[f"c{j}"] = list(spec["colors"])
        props[f"t{j}"] = list(spec["tips"])
    data = GeoData(gdf, id=id, properties=props)
    m.add_child(data)
    made = []
    for j, spec in enumerate(layers):
        leg = None
        if legend and spec.get("legend_html"):
            leg = Legend(spec["legend_html"], position=legend_position)
            m.add_child(leg)
        layer = ColoredGeoJson(data, colors=f"c{j}", tips=f"t{j}", name=spec["name"], legend=leg,
                               show=bool(spec.get("show", j == 0)), highlight=highlight,
                               control=switcher is None)
        m.add_child(layer)
        made.append(layer)
    if group:
        src = group_source if group_source is not None else pd.concat([gdf, context]) if context is not None else gdf
        m.add_child(GroupOutlines(group_lines(src, group)))
    if title or notice:
        m.add_child(Title(title or "", notice))
    if switcher is not None:
        keys = list(switcher["keys"])
        shown = next((k for k, spec in zip(keys, layers) if spec.get("show")), keys[0])
        m.add_child(PanelSwitcher(switcher["variables"], switcher["periods"], dict(zip(keys, made)), shown))
    elif len(layers) > 1:
        add_layer_control(m)
    if legend or title or notice:
        from spillmap.maps._fit import KeepClear

        m.add_child(KeepClear(gdf.total_bounds))  # refit if the legend / title cover sample units
    return m


__all__ += ["NOT_IN_SAMPLE", "split_sample", "add_context", "group_boundaries", "group_lines", "base_tips", "name_columns", "format_value",
            "format_significant", "display_number",
            "add_layers", "PanelSwitcher", "ContextLayer", "GroupOutlines"]
