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
"""
from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.template import Template

from spillmap.errors import CRSError, DataError, GeometryError, InputError

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
]

NO_DATA_COLOR = "#c8c8c8"
LINE_COLOR = "#5f5f5f"

_CSS = """
<style>
.leaflet-container.folium-map, .leaflet-container { background: #f3f5f7 !important; font-family: "Helvetica Neue", Arial, "Noto Sans CJK SC", sans-serif; }
.spillmap-legend { background: rgba(255,255,255,.92); padding: 8px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 12px; line-height: 18px; max-width: 280px; }
.spillmap-legend .t { font-weight: bold; margin-bottom: 4px; }
.spillmap-legend .n { color: #555; font-size: 11px; margin-top: 4px; }
.spillmap-legend i { width: 16px; height: 12px; float: left; margin: 3px 6px 0 0;
  border: 1px solid #777; }
.spillmap-legend i.nodata { background: repeating-linear-gradient(45deg,#c8c8c8,#c8c8c8 2px,#ffffff 2px,#ffffff 4px) !important; }
.spillmap-title { background: rgba(255,255,255,.92); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font-size: 15px; font-weight: bold; max-width: 460px; }
.spillmap-title .notice { display: block; font-size: 11px; font-weight: normal; color: #a40000; margin-top: 3px; }
.spillmap-tip td { padding: 0 4px; } .spillmap-tip th { text-align: left; padding: 0 4px; }
</style>
"""


def js_json(obj) -> str:
    """JSON safe to place inside a ``<script>`` element (no ``<``, ``>``, ``&``)."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _check_frame(gdf, id: str, columns: Sequence[str] = ()) -> None:
    import geopandas as gpd

    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"a map needs a GeoDataFrame, got {type(gdf).__name__}.")
    missing = [c for c in [id, *columns] if c is not None and c not in gdf.columns]
    if missing:
        raise DataError(
            f"column(s) {', '.join(map(repr, missing))} not in the layer; available: "
            f"{', '.join(map(repr, [c for c in gdf.columns if c != gdf.geometry.name]))}."
        )
    if gdf.crs is None:
        raise CRSError(
            "the boundary layer has no CRS; set it with gdf.set_crs(...) before mapping."
        )
    ids = gdf[id].astype(str)
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        from spillmap.errors import format_items

        raise DataError(f"id column {id!r} has duplicate ids: {format_items(dup)}; one row per unit.")
    from spillmap.errors import format_items

    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        raise GeometryError(
            f"units with empty geometry in {id!r}: {format_items(ids[empty].tolist())}; drop them."
        )
    kinds = gdf.geometry.geom_type
    not_poly = ~kinds.isin(["Polygon", "MultiPolygon"])
    if not_poly.any():
        raise GeometryError(
            f"maps draw polygons; units {format_items(ids[not_poly].tolist())} in {id!r} have "
            f"{', '.join(sorted(set(kinds[not_poly])))} geometry. Use the boundary layer."
        )


def prepare_geometry(gdf, *, id: str, decimals: int = 5, simplify: float | None = None):
    """Reproject to EPSG:4326, optionally coverage-simplify, round coordinates.

    Parameters
    ----------
    gdf
        Boundary layer (any CRS).
    id
        Id column (converted to ``str``).
    decimals
        Coordinate decimals kept (5 = about 1 m).
    simplify
        Tolerance in degrees for :func:`shapely.coverage_simplify`, which keeps the
        edges neighbours share (no gaps/slivers); ``None`` keeps the geometry.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in EPSG:4326 with ``id`` as str.
    """
    _check_frame(gdf, id)
    out = gdf.to_crs(4326) if gdf.crs.to_epsg() != 4326 else gdf.copy()
    out[id] = out[id].astype(str)
    geoms = out.geometry.values
    if simplify:
        geoms = shapely.coverage_simplify(np.asarray(geoms), simplify)
    geoms = shapely.transform(np.asarray(geoms), lambda c: np.round(c, decimals))
    out = out.set_geometry(list(geoms), crs=4326)
    return out


def new_map(gdf, *, tiles: str | None = None, m: folium.Map | None = None) -> folium.Map:
    """A folium map fitted to ``gdf`` (EPSG:4326), or ``m`` unchanged."""
    if m is not None:
        if not isinstance(m, folium.Map):
            raise InputError(f"m must be a folium.Map, got {type(m).__name__}.")
        return m
    minx, miny, maxx, maxy = gdf.total_bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        tiles=tiles,
        zoom_start=4,
        zoom_snap=0.25,
        control_scale=True,
        prefer_canvas=False,
    )
    # leave room for the title box (top) and the legend (bottom right)
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding_top_left=(10, 80), padding_bottom_right=(60, 10))
    m.get_root().header.add_child(Element(_CSS), name="spillmap_css")
    return m


def _ensure_css(m: folium.Map) -> None:
    header = m.get_root().header
    if "spillmap_css" not in header._children:
        header.add_child(Element(_CSS), name="spillmap_css")


class GeoData(MacroElement):
    """The feature collection, embedded once as a JS variable shared by layers."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = {{ this.data_js }};
{% endmacro %}
"""
    )

    def __init__(self, gdf, *, id: str, properties: Mapping[str, Sequence[str]]):
        super().__init__()
        self._name = "SpillmapGeoData"
        ids = gdf[id].astype(str).tolist()
        self.ids = ids
        self.n = len(ids)
        geo = shapely.to_geojson(np.asarray(gdf.geometry.values))
        parts = []
        for i, g in enumerate(geo):
            props = {"id": ids[i]}
            for key, values in properties.items():
                props[key] = values[i]
            parts.append('{"type":"Feature","geometry":' + g + ',"properties":' + js_json(props) + "}")
        self.data_js = '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


class Legend(MacroElement):
    """A Leaflet control with a pre-escaped HTML legend."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: "bottomright"});
{{ this.get_name() }}.onAdd = function (map) {
    var div = L.DomUtil.create("div", "spillmap-legend");
    div.innerHTML = {{ this.html_js }};
    return div;
};
{% endmacro %}
"""
    )

    def __init__(self, html_fragment: str):
        super().__init__()
        self._name = "SpillmapLegend"
        self.html_js = js_json(html_fragment)


class Title(MacroElement):
    """A title box (text set with ``textContent``: never interpreted as HTML)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var c = L.control({position: "topright"});
    c.onAdd = function (map) {
        var div = L.DomUtil.create("div", "spillmap-title");
        var t = document.createElement("span");
        t.textContent = {{ this.title_js }};
        div.appendChild(t);
        var notice = {{ this.notice_js }};
        if (notice) {
            var n = document.createElement("span");
            n.className = "notice";
            n.textContent = notice;
            div.appendChild(n);
        }
        return div;
    };
    c.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
"""
    )

    def __init__(self, title: str, notice: str | None = None):
        super().__init__()
        self._name = "SpillmapTitle"
        self.title_js = js_json(str(title))
        self.notice_js = js_json(str(notice) if notice else "")


class ColoredGeoJson(folium.map.Layer):
    """An ``L.geoJSON`` layer over shared :class:`GeoData` with per-feature colours.

    ``colors`` and ``tips`` are property names in the data: ``colors`` holds a fill colour
    per feature, ``tips`` a list of ``[label, value]`` string pairs shown in the tooltip
    (set with ``textContent``).  ``base_tip`` (rows common to all layers, e.g. name/id) are
    shown first.  A legend, if given, is shown while the layer is on the map.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.geoJSON({{ this.data.get_name() }}, {
    style: function (f) {
        var hi = {{ this.highlight_js }}.indexOf(f.properties.id) >= 0;
        return {fillColor: f.properties[{{ this.colors_js }}], fillOpacity: {{ this.fill_opacity }},
                color: hi ? "#000000" : "{{ this.line_color }}", weight: hi ? 3 : {{ this.weight }},
                opacity: 1};
    },
    onEachFeature: function (f, layer) {
        layer.bindTooltip(function () {
            var rows = (f.properties[{{ this.base_tip_js }}] || []).concat(f.properties[{{ this.tips_js }}] || []);
            var table = document.createElement("table");
            table.className = "spillmap-tip";
            rows.forEach(function (r) {
                var tr = document.createElement("tr");
                var th = document.createElement("th"); th.textContent = r[0];
                var td = document.createElement("td"); td.textContent = r[1];
                tr.appendChild(th); tr.appendChild(td); table.appendChild(tr);
            });
            return table;
        }, {sticky: true});
        layer.on("mouseover", function () { this.setStyle({weight: 2.5, color: "#000000"}); this.bringToFront(); });
        layer.on("mouseout", function () { {{ this.get_name() }}.resetStyle(this); });
    }
});
{% if this.legend is not none %}
{{ this.get_name() }}.on("add", function () { {{ this.legend.get_name() }}.addTo({{ this._parent.get_name() }}); });
{{ this.get_name() }}.on("remove", function () { {{ this.legend.get_name() }}.remove(); });
{% endif %}
{% endmacro %}
"""
    )

    def __init__(
        self,
        data: GeoData,
        *,
        colors: str,
        tips: str,
        base_tip: str = "base_tip",
        name: str,
        legend: Legend | None = None,
        show: bool = True,
        overlay: bool = False,
        highlight: Sequence[str] = (),
        weight: float = 0.6,
        fill_opacity: float = 0.85,
    ):
        # Leaflet's layer control inserts names with innerHTML: escape here
        super().__init__(name=html.escape(str(name)), overlay=overlay, control=True, show=show)
        self._name = "SpillmapLayer"
        self.data = data
        self.colors_js = js_json(colors)
        self.tips_js = js_json(tips)
        self.base_tip_js = js_json(base_tip)
        self.legend = legend
        self.highlight_js = js_json([str(h) for h in highlight])
        self.line_color = LINE_COLOR
        self.weight = float(weight)
        self.fill_opacity = float(fill_opacity)


def legend_html(
    title: str,
    entries: Sequence[tuple[str, str]],
    *,
    note: str | None = None,
    no_data: int | None = None,
) -> str:
    """Escaped HTML of a legend: title, ``(colour, label)`` entries, optional no-data row."""
    out = [f'<div class="t">{html.escape(str(title))}</div>']
    for color, label in entries:
        out.append(
            f'<div class="e"><i style="background:{html.escape(color)}"></i>{html.escape(str(label))}</div>'
        )
    if no_data:
        out.append(
            f'<div class="e nodata-entry"><i class="nodata" style="background:{NO_DATA_COLOR}"></i>'
            f"no data ({int(no_data)})</div>"
        )
    if note:
        out.append(f'<div class="n">{html.escape(str(note))}</div>')
    return "".join(out)


def add_layer_control(m: folium.Map) -> None:
    """Add one expanded layer control (no icon image needed), once."""
    if not any(isinstance(c, folium.LayerControl) for c in m._children.values()):
        folium.LayerControl(collapsed=False, position="topleft").add_to(m)


def format_value(v: float, decimals: int) -> str:
    """Format a number for a tooltip; missing values as ``"no data"``."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return "no data"
    return f"{v:,.{decimals}f}"


def base_tips(gdf, *, id: str, name_column: str | None) -> list[list[list[str]]]:
    """Tooltip rows common to every layer: the city name (if any) and its id."""
    rows = []
    names = gdf[name_column].astype(str).tolist() if name_column else None
    for i, ident in enumerate(gdf[id].astype(str).tolist()):
        r = []
        if names is not None:
            r.append([str(name_column), names[i]])
        r.append([str(id), ident])
        rows.append(r)
    return rows


def add_layers(
    m: folium.Map,
    gdf,
    *,
    id: str,
    name_column: str | None,
    layers: Sequence[Mapping],
    title: str | None,
    notice: str | None,
    legend: bool,
    highlight: Sequence[str] = (),
) -> folium.Map:
    """Embed geometry once and add one coloured layer per spec.

    Each spec has ``name``, ``colors`` (list per feature), ``tips`` (rows per feature),
    ``legend_html`` and ``show``.
    """
    _ensure_css(m)
    props: dict[str, list] = {"base_tip": base_tips(gdf, id=id, name_column=name_column)}
    for j, spec in enumerate(layers):
        props[f"c{j}"] = list(spec["colors"])
        props[f"t{j}"] = list(spec["tips"])
    data = GeoData(gdf, id=id, properties=props)
    m.add_child(data)
    for j, spec in enumerate(layers):
        leg = None
        if legend and spec.get("legend_html"):
            leg = Legend(spec["legend_html"])
            m.add_child(leg)
        layer = ColoredGeoJson(
            data,
            colors=f"c{j}",
            tips=f"t{j}",
            name=spec["name"],
            legend=leg,
            show=bool(spec.get("show", j == 0)),
            highlight=highlight,
        )
        m.add_child(layer)
    if title or notice:
        m.add_child(Title(title or "", notice))
    if len(layers) > 1:
        add_layer_control(m)
    return m
