"""The Leaflet elements of spillmap's maps (folium ``MacroElement`` templates).

Library used: **folium**/**branca** (element tree, templates).  Written by hand, and why
(see also :mod:`spillmap.maps._layers`):

* :class:`ColoredGeoJson` -- one ``L.geoJSON`` per layer over geometry embedded once
  (:class:`GeoData`), colours and tooltip rows per feature, tooltips built with
  ``textContent`` (folium's ``GeoJsonTooltip`` writes values with ``innerHTML``);
* :class:`ContextLayer` -- units of the layer outside the sample, hatched, under the
  data, with a "not in sample" tooltip; :class:`GroupOutlines` -- higher-level
  boundaries (provinces) in a pane above the data, ignoring the mouse;
* :class:`Legend` -- a compact control whose title collapses it (``<details>``); it
  starts collapsed when the map is shorter than :data:`COLLAPSE_BELOW_PX`;
* the title box and the layer switcher are in :mod:`spillmap.maps._controls`.

JSON placed inside ``<script>`` goes through :func:`js_json` (no ``<``, ``>``, ``&``);
HTML fragments (legend, layer names) are escaped by their builders.
"""
from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence

import folium
import numpy as np
import shapely
from branca.element import Element, MacroElement
from folium.template import Template
from spillmap.maps._classify import ZERO_BELOW

__all__ = ["CSS", "js_json", "GeoData", "ColoredGeoJson", "ContextLayer", "GroupOutlines", "Legend",
           "ScaleBar", "COLLAPSE_BELOW_PX", "NOTES_BELOW_PX", "CONTEXT_COLOR", "CONTEXT_SWATCH", "GROUP_LINE_COLOR", "READING_JS"]

#: legends start collapsed in maps shorter than this (embedded frames)
COLLAPSE_BELOW_PX = 420
#: the legend's note (classes, range, method) starts folded in maps shorter than this
NOTES_BELOW_PX = 640
#: the SVG pattern that fills units "not in sample" on every map: grey stripes on white, which read apart from any
#: class (a light one, "not significant", a scenario's greyed "interval includes 0") also in greyscale
HATCH_ID = "spillmap-hatch"
#: the fill of units "not in sample" (:class:`ContextLayer`), on every map
CONTEXT_COLOR = f"url(#{HATCH_ID})"
#: the legend swatch of units "not in sample": the same stripes as a CSS background
CONTEXT_SWATCH = "repeating-linear-gradient(45deg,#8c8c8c,#8c8c8c 1.5px,#ffffff 1.5px,#ffffff 4px)"
GROUP_LINE_COLOR = "#303030"

CSS = """
<style>
.leaflet-container.folium-map, .leaflet-container { background: #f3f5f7 !important; font-family: "Helvetica Neue", Arial, "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; }
.spillmap-legend { background: rgba(255,255,255,.9); padding: 4px 7px; border-radius: 4px;
  box-shadow: 0 1px 3px rgba(0,0,0,.3); font-size: 11px; line-height: 14px; max-width: 230px; }
.spillmap-legend summary { font-weight: bold; cursor: pointer; margin-bottom: 2px; }
.spillmap-legend .e { display: flex; align-items: flex-start; overflow-wrap: anywhere; }
.spillmap-legend .e i { flex: none; }
.spillmap-legend .n { color: #555; font-size: 10px; line-height: 12px; margin-top: 2px; white-space: normal; }
.spillmap-legend .caveat { color: #8a3b00; font-weight: bold; }
.spillmap-legend details.n summary { font-weight: normal; margin: 0; }
.spillmap-legend i { width: 14px; height: 10px; float: left; margin: 2px 5px 0 0; border: 1px solid #777; }
.spillmap-legend i.nodata { background: repeating-linear-gradient(45deg,#c8c8c8,#c8c8c8 2px,#ffffff 2px,#ffffff 4px) !important; }
.spillmap-legend i.hatch { background: """ + CONTEXT_SWATCH + """ !important; }
.spillmap-legend i.group { background: none; border: none; border-top: 2px solid #303030; height: 0; margin-top: 7px; }
.spillmap-title { background: rgba(255,255,255,.9); padding: 4px 8px; border-radius: 4px;
  box-shadow: 0 1px 3px rgba(0,0,0,.3); font-size: 13px; font-weight: bold; max-width: 420px; }
.spillmap-title .notice { display: block; font-size: 10px; line-height: 12px; font-weight: normal; color: #a40000; margin-top: 2px; }
.spillmap-switch { background: rgba(255,255,255,.92); padding: 4px 6px; border-radius: 4px;
  box-shadow: 0 1px 3px rgba(0,0,0,.3); font-size: 12px; }
.spillmap-switch select { font-size: 12px; margin-left: 2px; max-width: min(460px, calc(100vw - 100px)); }
.leaflet-container path.leaflet-interactive:focus { outline: none; }
.spillmap-tip td { padding: 0 4px; } .spillmap-tip th { text-align: left; padding: 0 4px; }
.spillmap-tip th.head { font-size: 13px; }
@media (max-height: 600px) {
  .spillmap-title { font-size: 12px; max-width: 300px; }
  .spillmap-title .notice { font-size: 9px; line-height: 11px; }
}
</style>
"""


#: :func:`spillmap.maps._classify.reading` in JavaScript, for the numbers the explore map prints at click time
#: (:mod:`spillmap.maps.explore`; the same strings: tests/test_map_numbers.py).  The digits come from
#: ``toExponential`` (the exact binary value rounded, any magnitude; ``toFixed`` stops at 100 decimals and 1e21),
#: written out as plain decimals.  JavaScript rounds an exact tie up, Python to even: a tie shows as "5" and 29
#: zeros in 30 more digits (a double that is not a tie differs within them, for values above 1e-20), and then the
#: lower neighbour is kept when it ends in an even digit.
READING_JS = r"""
    var ZERO_BELOW = %r;
    function halfEven(short, long, keep) {  // the digits of a tie rounded to even, as Python rounds it
        var extra = long.slice(keep);
        return extra === "5" + "0".repeat(extra.length - 1) && /[02468]$/.test(long.slice(0, keep)) ? long.slice(0, keep) : short;
    }
    function integer(a) {  // f"{a:.0f}" for a >= 0
        if (a >= 1e21) { return BigInt(a).toString(); }
        var x = a.toFixed(30);
        return halfEven(a.toFixed(0), x.replace(".", ""), x.length - 31);
    }
    function reading(v, largest, digits) {  // spillmap.maps._classify.reading
        if (typeof v !== "number" || !isFinite(v)) { return "no data"; }
        digits = digits || 4;
        var a = Math.abs(v), ref = (typeof largest === "number" && isFinite(largest)) ? Math.abs(largest) : 0;
        if (a === 0 || a < ZERO_BELOW * ref) { return "0"; }
        var p = digits - 1, x = a.toExponential(p).split("e"), e = parseInt(x[1], 10), t;
        if (e >= p) { t = integer(a); } else {
            var m = x[0].replace(".", ""), y = a.toExponential(p + 30).split("e");
            if (parseInt(y[1], 10) === e) { m = halfEven(m, y[0].replace(".", ""), p + 1); }
            t = e < 0 ? "0." + "0".repeat(-e - 1) + m : m.slice(0, e + 1) + "." + m.slice(e + 1);
            t = t.replace(/0+$/, "").replace(/\.$/, "");
        }
        var parts = t.split(".");
        parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
        return (v < 0 ? "\u2212" : "") + parts.join(".");
    }
""" % ZERO_BELOW

def js_json(obj) -> str:
    """JSON safe to place inside a ``<script>`` element (no ``<``, ``>``, ``&``)."""
    text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class RenderedText(Element):
    """Text already rendered: it goes into the page as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class RenderOnce(MacroElement):
    """A ``MacroElement`` whose rendered header / html / script parts go into the page as text.

    branca's ``MacroElement.render`` wraps each rendered part in ``Element(text)``, which
    compiles the text as a jinja2 template and renders it a second time: 1.3 s of the demo
    report went to lexing the embedded GeoJSON that way, and a part containing ``{{`` would be
    mangled.  The second pass only dropped one trailing newline, which is done here too, so
    the page is byte for byte the same.
    """

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        module = self._template.module.__dict__
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = module.get(part)
            if macro is not None:
                text = str(macro(self, kwargs))
                target.add_child(RenderedText(text[:-1] if text.endswith("\n") else text), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


_GEOJSON_CACHE: dict[bytes, list[str]] = {}  # WKB digest -> GeoJSON of each geometry (a report embeds one layer in 11 maps)


def _geojson(geoms: np.ndarray) -> list[str]:
    """``shapely.to_geojson`` of each geometry, kept for the four most recent layers under their
    :func:`~spillmap.maps._layer_geometry.geometry_digest`."""
    from spillmap.maps._layer_geometry import geometry_digest, remembered

    return remembered(_GEOJSON_CACHE, geometry_digest(geoms), lambda: list(shapely.to_geojson(geoms)), 4)


class GeoData(RenderOnce):
    """A feature collection embedded once as a JS variable shared by layers."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = {{ this.data_js }};
{% endmacro %}
"""
    )

    def __init__(self, gdf, *, id: str, properties: Mapping[str, Sequence]):
        super().__init__()
        self._name = "SpillmapGeoData"
        ids = gdf[id].astype(str).tolist()
        self.ids = ids
        self.n = len(ids)
        geo = _geojson(np.asarray(gdf.geometry.values))
        parts = []
        for i, g in enumerate(geo):
            props = {"id": ids[i]}
            for key, values in properties.items():
                props[key] = values[i]
            parts.append('{"type":"Feature","geometry":' + g + ',"properties":' + js_json(props) + "}")
        self.data_js = '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"


_TOOLTIP_JS = """
function (f) {
    var rows = (f.properties[{{ this.base_tip_js }}] || []).concat(f.properties[{{ this.tips_js }}] || []);
    var table = document.createElement("table");
    table.className = "spillmap-tip";
    rows.forEach(function (r) {
        var tr = document.createElement("tr");
        var th = document.createElement("th"); th.textContent = r[0];
        tr.appendChild(th);
        if (r[1] === "") { th.colSpan = 2; th.className = "head"; }
        else { var td = document.createElement("td"); td.textContent = r[1]; tr.appendChild(td); }
        table.appendChild(tr);
    });
    return table;
}
"""


class ColoredGeoJson(folium.map.Layer, RenderOnce):
    """An ``L.geoJSON`` layer over shared :class:`GeoData` with per-feature colours.

    ``colors`` and ``tips`` are property names in the data: ``colors`` holds a fill colour
    per feature, ``tips`` a list of ``[label, value]`` rows shown in the tooltip (a row
    with an empty value is a heading); ``base_tip`` rows (names, group, id) come first.
    A legend, if given, is shown while the layer is on the map.
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
        layer.bindTooltip(function () { return (""" + _TOOLTIP_JS + """)(f); }, {sticky: true});
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

    def __init__(self, data: GeoData, *, colors: str, tips: str, base_tip: str = "base_tip", name: str,
                 legend: Legend | None = None, show: bool = True, overlay: bool = False,
                 control: bool = True, highlight: Sequence[str] = (), weight: float = 0.6,
                 fill_opacity: float = 0.85, line_color: str = "#5f5f5f"):
        # Leaflet's layer control inserts names with innerHTML: escape here
        super().__init__(name=html.escape(str(name)), overlay=overlay, control=control, show=show)
        self._name = "SpillmapLayer"
        self.data = data
        self.colors_js = js_json(colors)
        self.tips_js = js_json(tips)
        self.base_tip_js = js_json(base_tip)
        self.legend = legend
        self.highlight_js = js_json([str(h) for h in highlight])
        self.line_color = line_color
        self.weight = float(weight)
        self.fill_opacity = float(fill_opacity)


class ScaleBar(RenderOnce):
    """Leaflet's metric/imperial scale, bottom right (the legend takes the bottom left)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
L.control.scale({position: "bottomright"}).addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self):
        super().__init__()
        self._name = "SpillmapScale"


_HATCH_SVG = (f'<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs><pattern id="{HATCH_ID}" '
              'width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
              '<rect width="6" height="6" fill="#ffffff"></rect><line x1="0" y1="0" x2="0" y2="6" stroke="#8c8c8c" '
              'stroke-width="2"></line></pattern></defs></svg>')


class ContextLayer(RenderOnce):
    """Units outside the sample: grey stripes on white (:data:`CONTEXT_COLOR`, the one style of every map;
    planner audit 32 #4: a flat grey read like a scenario's greyed cells), under the data layers, with a
    "not in sample" tooltip."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
if (!document.getElementById({{ this.hatch_id_js }})) {
    var spillmapHatch = document.createElement("div");
    spillmapHatch.innerHTML = {{ this.hatch_svg_js }};
    document.body.appendChild(spillmapHatch.firstChild);
}
L.geoJSON({{ this.data.get_name() }}, {
    style: function () { return {fillColor: "{{ this.color }}", fillOpacity: 1, color: "{{ this.line_color }}", weight: 0.6}; },
    onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return (""" + _TOOLTIP_JS + """)(f); }, {sticky: true});
    }
}).addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, data: GeoData, *, base_tip: str = "base_tip", tips: str = "ctx"):
        super().__init__()
        self._name = "SpillmapContext"
        self.data = data
        self.color = CONTEXT_COLOR
        self.line_color = "#8c8c8c"
        self.hatch_id_js = js_json(HATCH_ID)
        self.hatch_svg_js = js_json(_HATCH_SVG)
        self.base_tip_js = js_json(base_tip)
        self.tips_js = js_json(tips)


class GroupOutlines(RenderOnce):
    """Boundaries of groups (provinces) in their own pane above the data, not interactive."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
    if (!map.getPane("spillmapGroups")) {
        var pane = map.createPane("spillmapGroups");
        pane.style.zIndex = 450;
        pane.style.pointerEvents = "none";
    }
    L.geoJSON({{ this.data_js }}, {pane: "spillmapGroups", interactive: false,
        style: function () { return {color: "{{ this.color }}", weight: {{ this.weight }}, fill: false, opacity: 0.9}; }
    }).addTo(map);
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, lines_geojson: str, *, weight: float = 1.0):
        super().__init__()
        self._name = "SpillmapGroups"
        self.data_js = lines_geojson.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        self.color = GROUP_LINE_COLOR
        self.weight = float(weight)


class Legend(RenderOnce):
    """A Leaflet control holding a pre-escaped legend; collapsed in short maps."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = L.control({position: {{ this.position_js }}});
{{ this.get_name() }}.onAdd = function (map) {
    var div = L.DomUtil.create("div", "spillmap-legend");
    div.innerHTML = {{ this.html_js }};
    var d = div.querySelector("details");
    if (d && map.getSize().y < {{ this.collapse_below }}) { d.open = false; }
    var n = div.querySelector("details.n");
    if (n && map.getSize().y < {{ this.notes_below }}) { n.open = false; }
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
};
{% endmacro %}
"""
    )

    def __init__(self, html_fragment: str, *, position: str = "bottomleft"):
        super().__init__()
        self._name = "SpillmapLegend"
        self.html_js = js_json(html_fragment)
        self.position_js = js_json(position)
        self.collapse_below = int(COLLAPSE_BELOW_PX)
        self.notes_below = int(NOTES_BELOW_PX)
