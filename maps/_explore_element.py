"""The Leaflet element of the click-to-explore map (:func:`spillmap.maps.explore.explore_map`):
its info panel's CSS and the script that decodes the embedded response columns and recolours
the shared layer when a unit is clicked.

Written by hand (folium has no per-click restyling of a shared layer); the numbers and their
legend's labels come from :mod:`spillmap.maps.explore` (``cfg``), printed by the page as
:func:`~spillmap.maps._classify.reading` prints them (:data:`~spillmap.maps._elements.READING_JS`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from folium.template import Template
from spillmap.maps import _layers
from spillmap.maps._elements import READING_JS, RenderOnce

#: the explore map's info panel: compact, foldable (it sits top left, over the sample's western edge)
_PANEL_CSS = """<style>
.spillmap-panel { background: rgba(255,255,255,.9); padding: 4px 7px; border-radius: 4px;
  box-shadow: 0 1px 3px rgba(0,0,0,.3); font-size: 11px; line-height: 14px; max-width: 220px; }
.spillmap-panel summary { font-weight: bold; cursor: pointer; overflow-wrap: anywhere; }
.spillmap-panel details details summary { font-weight: normal; color: #555; }
.spillmap-panel .spillmap-tip th { font-weight: normal; padding: 0 4px 0 0; }
.spillmap-panel .spillmap-tip td { padding: 0; text-align: right; }
.spillmap-panel .n { color: #555; font-size: 10px; line-height: 12px; margin-top: 2px; }
</style>"""


class _Explore(RenderOnce):
    _template = Template("""
{% macro header(this, kwargs) %}
{{ this.css }}
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }}, data = {{ this.data.get_name() }};
    var cfg = {{ this.cfg_js }};
    var ids = cfg.ids, n = ids.length, pos = {};
    ids.forEach(function (id, k) { pos[id] = k; });
    function decode(b64) {
        var s = atob(b64), u = new Uint8Array(s.length);
        for (var i = 0; i < s.length; i++) { u[i] = s.charCodeAt(i); }
        return new DataView(u.buffer);
    }
    var vals = decode(cfg.values), idx = cfg.index ? decode(cfg.index) : null, k = cfg.k;
    function column(j) {
        var out = new Array(n);
        if (!idx) {
            for (var i = 0; i < n; i++) { out[i] = vals.getFloat32(4 * (j * n + i), true); }
        } else {
            for (var i = 0; i < n; i++) { out[i] = NaN; }
            for (var r = 0; r < k; r++) {
                out[idx.getInt32(4 * (j * k + r), true)] = vals.getFloat32(4 * (j * k + r), true);
            }
        }
        return out;
    }
{{ this.reading_js }}
    var current = cfg.start, values = column(current), bounds = [0, 0, 0, 0], largest = 0, cut = 0;
    function fmt(v) {  // a unit's number: reading (four significant digits, plain decimals, 0 below 1e-9 of the largest)
        return (v === null || !isFinite(v)) ? "not among the largest" : reading(v, largest);
    }
    function setBounds() {  // the class limits [cut, m/64, m/16, m/4, m]; their labels come from Python (cfg.limits, cfg.cuts)
        var m = 0;
        for (var i = 0; i < n; i++) { if (i !== current && isFinite(values[i])) { m = Math.max(m, Math.abs(values[i])); } }
        bounds = [m / 64, m / 16, m / 4, m];
        largest = Math.max(Math.abs(cfg.own[current]), m);
        // the response map's rule (negligible_fraction of the largest response to another unit); when that response
        // is itself numerically zero beside the unit's own effect (below ZERO_BELOW of it), every response is negligible
        cut = m < ZERO_BELOW * largest ? ZERO_BELOW * largest : cfg.negligible_fraction * m;
    }
    function isNegligible(v) { return v !== 0 && Math.abs(v) < cut; }
    function response(v) {  // another unit's response as its tooltip and the receivers' list print it
        return isFinite(v) && isNegligible(v) ? "negligible (< " + reading(cut, 0, 2) + ")" : fmt(v);
    }
    function color(v) {
        if (!isFinite(v)) { return cfg.nodata; }
        if (v === 0) { return cfg.zero; }
        if (isNegligible(v)) { return cfg.negligible; }
        var a = Math.abs(v), c = 0;
        while (c < 3 && a > bounds[c]) { c++; }
        return (v > 0 ? cfg.pos : cfg.neg)[c];
    }
    function style(f) {
        var i = pos[f.properties.id];
        if (i === undefined) { return {fillColor: cfg.nodata, fillOpacity: 0.85, color: "#5f5f5f", weight: 0.6}; }
        if (i === current) { return {fillColor: cfg.source, fillOpacity: 0.9, color: "#000000", weight: 3}; }
        return {fillColor: color(values[i]), fillOpacity: 0.85, color: "#5f5f5f", weight: 0.6};
    }
    function row(table, a, b) {
        var tr = document.createElement("tr"), th = document.createElement("th"), td = document.createElement("td");
        th.textContent = a; td.textContent = b; tr.appendChild(th); tr.appendChild(td); table.appendChild(tr);
    }
    var tall = map.getSize().y >= cfg.notes_below;
    function el(parent, tag, cls, text) {
        var e = document.createElement(tag);
        if (cls) { e.className = cls; }
        if (text !== undefined) { e.textContent = text; }
        parent.appendChild(e);
        return e;
    }
    function control(position, cls, build) {  // a control whose clicks and wheel stay off the map
        var c = L.control({position: position});
        c.onAdd = function () {
            var div = L.DomUtil.create("div", cls);
            build(div);
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        return c;
    }
    // info panel (top left, under the zoom buttons): its title folds it; the receivers fold in short maps
    var ui = {};
    var panel = control("topleft", "spillmap-panel spillmap-explore", function (div) {
        var d = el(div, "details"); d.open = true;
        ui.name = el(d, "summary");
        ui.table = el(d, "table", "spillmap-tip");
        var r = el(d, "details", "n"); r.open = tall;
        el(r, "summary", "", "largest receivers");
        ui.receivers = el(r, "table", "spillmap-tip");
        if (tall) { el(d, "div", "n", cfg.help); }
    });
    // legend (bottom left, as on the other maps): folded in very short maps, its note in short ones
    var legend = control("bottomleft", "spillmap-legend", function (div) {
        var d = el(div, "details"); d.open = map.getSize().y >= cfg.collapse_below;
        el(d, "summary", "", cfg.legend_title);
        ui.entries = el(d, "div");
        var nd = el(d, "details", "n"); nd.open = tall;
        el(nd, "summary", "", "notes");
        nd.appendChild(document.createTextNode(cfg.legend_note));
    });
    function entry(color, text, cls) {
        var d = el(ui.entries, "div", cls || "e"), i = el(d, "i");
        i.style.background = color;
        d.appendChild(document.createTextNode(text));
    }
    function refresh() {
        ui.name.textContent = cfg.names[current];
        ui.table.textContent = "";
        row(ui.table, "own (direct) effect", fmt(cfg.own[current]));
        row(ui.table, "total spillover emitted", fmt(cfg.emitted[current]));
        row(ui.table, "total effect", fmt(cfg.own[current] + cfg.emitted[current]));
        var order = [];
        for (var i = 0; i < n; i++) { if (i !== current && isFinite(values[i])) { order.push(i); } }
        order.sort(function (a, b) { return Math.abs(values[b]) - Math.abs(values[a]) || a - b; });
        ui.receivers.textContent = "";
        order.slice(0, 5).forEach(function (i) { row(ui.receivers, cfg.names[i], response(values[i])); });
        ui.entries.textContent = "";
        entry(cfg.source, cfg.names[current] + " (the changed unit)");
        var anyPos = false, anyNeg = false, zeros = 0, small = 0;
        for (var i = 0; i < n; i++) {
            if (i === current || !isFinite(values[i])) { continue; }
            if (values[i] === 0) { zeros++; } else if (isNegligible(values[i])) { small++; }
            else { anyPos = anyPos || values[i] > 0; anyNeg = anyNeg || values[i] < 0; }
        }
        // lim[c + 1]: the upper limit of class c; the lowest class starts at the negligible cut (cfg.cuts, in the scale)
        var lim = cfg.limits[current][0], scale = cfg.limits[current][1], low = cfg.cuts[current];
        if (scale && (anyPos || anyNeg)) { el(ui.entries, "div", "n", cfg.scales[scale]); }
        if (anyPos) { for (var c = 3; c >= 0; c--) { entry(cfg.pos[c], "+" + (c ? lim[c] : low) + " to +" + lim[c + 1]); } }
        if (small) { entry(cfg.negligible, "negligible: |response| < " + low + " (" + small + ")"); }
        if (zeros) { entry(cfg.zero, "0: no path from the selected unit (" + zeros + ")"); }
        if (anyNeg) { for (var c = 0; c < 4; c++) { entry(cfg.neg[c], "\u2212" + (c ? lim[c] : low) + " to \u2212" + lim[c + 1]); } }
        if (cfg.not_in_sample) { entry(cfg.context, cfg.not_in_sample_label, "e context-entry"); }
    }
    setBounds();
    var layer = L.geoJSON(data, {
        style: style,
        onEachFeature: function (f, lyr) {
            lyr.bindTooltip(function () {
                var table = document.createElement("table"); table.className = "spillmap-tip";
                (f.properties.base_tip || []).forEach(function (r) { row(table, r[0], r[1]); });
                var i = pos[f.properties.id];
                if (i === undefined) { row(table, "", "not in the model"); }
                else if (i === current) { row(table, "own (direct) effect", fmt(cfg.own[i])); }
                else { row(table, "response to " + cfg.names[current], response(values[i])); }
                return table;
            }, {sticky: true});
            lyr.on("click", function () {
                var i = pos[f.properties.id];
                if (i === undefined) { return; }
                current = i; values = column(i); setBounds(); layer.setStyle(style); refresh();
                if (lyr.isTooltipOpen()) { lyr.getTooltip().update(); }
            });
            lyr.on("mouseover", function () { this.setStyle({weight: 2.5, color: "#000000"}); this.bringToFront(); });
            lyr.on("mouseout", function () { layer.resetStyle(this); });
        }
    });
    layer.addTo(map); panel.addTo(map); legend.addTo(map); refresh();
    window.spillmapExplore = {select: function (id) { var i = pos[id]; if (i !== undefined) { current = i; values = column(i); setBounds(); layer.setStyle(style); refresh(); } },
                              current: function () { return ids[current]; }, values: function () { return values.slice(); },
                              element: function (id) { var e = null; layer.eachLayer(function (l) { if (l.feature.properties.id === id) { e = l.getElement(); } }); return e; }};
})();
{% endmacro %}
""")

    def __init__(self, data: _layers.GeoData, cfg: Mapping[str, Any]):
        super().__init__()
        self._name = "SpillmapExplore"
        self.css = _PANEL_CSS
        self.data = data
        self.cfg_js = _layers.js_json(dict(cfg))
        self.reading_js = READING_JS
