"""The two controls at the top of spillmap's maps (folium ``MacroElement`` templates), split from
:mod:`spillmap.maps._elements`.  Written by hand (folium has neither):

* :class:`Title` -- the title box, text set with ``textContent`` (never interpreted as HTML), and
  the page's ``<title>``;
* :class:`PanelSwitcher` -- two drop-down lists (variable, period) instead of a radio list of
  every (variable, period) pair.

JSON placed inside ``<script>`` goes through :func:`~spillmap.maps._elements.js_json`.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from folium.template import Template

from spillmap.maps._elements import ColoredGeoJson, RenderOnce, js_json

__all__ = ["Title", "PanelSwitcher"]


class Title(RenderOnce):
    """A title box (text set with ``textContent``: never interpreted as HTML) and the page's
    ``<title>`` (the same text, escaped; the notice when there is no title), which names
    the browser tab."""

    _template = Template(
        """
{% macro header(this, kwargs) %}
{% if this.page_title %}<title>{{ this.page_title }}</title>{% endif %}
{% endmacro %}
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
    var map = {{ this._parent.get_name() }};
    c.addTo(map);
    // a narrow map (a phone): a title that meets a top-left control (zoom buttons, switches) wraps to the
    // width right of them, or, too narrow for that, moves under the zoom buttons (planner audit 32 #2)
    function rect(e) { return e.getBoundingClientRect(); }
    function meets(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }
    function place() {
        var div = c.getContainer(), corner = map._controlCorners.topleft;
        if (div.parentNode !== map._controlCorners.topright) { map._controlCorners.topright.appendChild(div); }
        div.style.maxWidth = ""; div.classList.remove("below");
        var left = Array.prototype.filter.call(corner.children, function (e) { return e.offsetHeight; });
        function clash() { var t = rect(div); return left.some(function (e) { return meets(rect(e), t); }); }
        if (!clash()) { return; }
        var right = Math.max.apply(null, left.map(function (e) { return rect(e).right; })) - rect(map.getContainer()).left;
        var free = map.getSize().x - right - 20 - 16;  // gaps of 10 px either side; the box's padding
        if (free >= 150) { div.style.maxWidth = free + "px"; if (!clash()) { return; } }
        var zoom = corner.querySelector(".leaflet-control-zoom");
        corner.insertBefore(div, zoom ? zoom.nextSibling : corner.firstChild);
        div.classList.add("below");
        div.style.maxWidth = (map.getSize().x - 100 - 16) + "px";  // as wide as the switches at most (100vw - 100px)
    }
    setTimeout(place, 0);  // once every control is on the map (before the sample is kept clear of them)
    map.on("resize", place);
})();
{% endmacro %}
"""
    )

    def __init__(self, title: str, notice: str | None = None):
        super().__init__()
        self._name = "SpillmapTitle"
        self.title_js = js_json(str(title))
        self.page_title = html.escape(" ".join(str(title or notice or "").split()), quote=True)
        self.notice_js = js_json(str(notice) if notice else "")


class PanelSwitcher(RenderOnce):
    """Drop-down lists (variable, period) that show one layer at a time.

    A list is as wide as its longest entry up to 460 px (the page's width less 100 px in a narrower
    frame; newcomer audit 29 #4.5: "Public capital (log): direct effect (own change" was cut at 260 px);
    its ``title`` (shown on hover) is the chosen entry's whole text.

    ``layers`` maps ``(variable index, period index)`` to a :class:`ColoredGeoJson` already
    added to the map; ``initial`` is selected at the start.  A list with one entry is not
    shown (one select switches the layers of a spillover map).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
    var layers = { {% for key, layer in this.entries %}{{ key }}: {{ layer.get_name() }}{{ "," if not loop.last }}{% endfor %} };
    var variables = {{ this.variables_js }}, periods = {{ this.periods_js }};
    var current = {{ this.initial_js }};
    var c = L.control({position: "topleft"});
    c.onAdd = function () {
        var div = L.DomUtil.create("div", "spillmap-switch");
        function select(options, value, label) {
            var lab = document.createElement("label"); lab.textContent = label;
            var s = document.createElement("select");
            options.forEach(function (o, i) {
                var opt = document.createElement("option"); opt.value = i; opt.textContent = o; s.appendChild(opt);
            });
            s.value = value; lab.appendChild(s); div.appendChild(lab);
            // the full text of the choice on hover, should a long one be cut at the list's widest
            function named() { s.title = s.options[s.selectedIndex] ? s.options[s.selectedIndex].textContent : ""; }
            named(); s.addEventListener("change", named);
            return s;
        }
        var sv = variables.length > 1 ? select(variables, current[0], "") : null;
        var sp = periods.length > 1 ? select(periods, current[1], " ") : null;
        function change() {
            var next = [sv ? +sv.value : 0, sp ? +sp.value : 0];
            var key = "k" + next[0] + "_" + next[1];
            if (!layers[key]) { return; }
            map.removeLayer(layers["k" + current[0] + "_" + current[1]]);
            map.addLayer(layers[key]);
            current = next;
        }
        if (sv) { sv.addEventListener("change", change); }
        if (sp) { sp.addEventListener("change", change); }
        L.DomEvent.disableClickPropagation(div);
        return div;
    };
    c.addTo(map);
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, variables: Sequence[str], periods: Sequence[str],
                 layers: Mapping[tuple[int, int], ColoredGeoJson], initial: tuple[int, int]):
        super().__init__()
        self._name = "SpillmapSwitcher"
        self.variables_js = js_json([str(v) for v in variables])
        self.periods_js = js_json([str(p) for p in periods])
        self.entries = [(f"k{i}_{j}", layer) for (i, j), layer in layers.items()]
        self.initial_js = js_json(list(initial))
