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
    c.addTo({{ this._parent.get_name() }});
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
