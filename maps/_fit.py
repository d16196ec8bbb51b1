"""Keep the sample clear of the legend and the title box.

The map is fitted to the sample with a fixed padding (:func:`spillmap.maps._layers.new_map`);
in a small frame (the report's 560 x 520 px) the bottom-left legend and the top-right
title can still cover units (southern Yunnan on the China layer), and so can the top-left
controls (the scenario's layer list and the explore map's info panel covered Washington
at 1400 x 900).  :class:`KeepClear` runs once the controls are drawn: while a vertex of a
unit in the sample lies under the legend (or the title), it refits the sample with 10 px
more padding at the bottom (or the top), at most 30 % of the map's height each; while one
lies under the top-left controls, it refits with the sample below them or right of them,
whichever leaves the map larger (never a padding that leaves no room: a block as wide as the map
made Leaflet's zoom NaN and ``fitBounds`` throw).  First, and on each resize, it keeps the title box, the
other controls at the top and the legend inside the map (no wider than the map less Leaflet's 10-px margins, an unbroken
word wrapped); :class:`~spillmap.maps._controls.Title` itself keeps the title off the zoom buttons (it wraps or
moves a title on a phone).
Written by hand (a few lines of
Leaflet: its ``fitBounds`` paddings are fixed numbers, not "avoid these boxes").
"""
from __future__ import annotations

from folium.template import Template

from spillmap.maps._elements import RenderOnce, js_json

__all__ = ["KeepClear"]


class KeepClear(RenderOnce):
    """Refit ``bounds`` (``[[south, west], [north, east]]``) until no sample vertex is
    under ``.spillmap-legend``, ``.spillmap-title`` or a top-left control other than the
    zoom buttons, the title and controls kept inside the map (see the module docstring)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var bounds = L.latLngBounds({{ this.bounds_js }});
    function box(sel) {
        var e = map.getContainer().querySelector(sel);
        if (!e || !e.offsetHeight) { return null; }
        var c = map.getContainer().getBoundingClientRect(), r = e.getBoundingClientRect();
        return L.bounds([r.left - c.left, r.top - c.top], [r.right - c.left, r.bottom - c.top]);
    }
    function covered(b) {
        if (!b) { return false; }
        var hit = false;
        map.eachLayer(function (l) {
            if (hit || !l.feature || !l.getLatLngs || l.feature.properties.ctx !== undefined) { return; }
            var lb = l.getBounds();
            var p = L.bounds(map.latLngToContainerPoint(lb.getNorthWest()), map.latLngToContainerPoint(lb.getSouthEast()));
            if (!p.intersects(b)) { return; }
            var stack = [l.getLatLngs()];
            while (stack.length && !hit) {
                var x = stack.pop();
                if (Array.isArray(x)) { for (var i = 0; i < x.length; i++) { stack.push(x[i]); } }
                else if (b.contains(map.latLngToContainerPoint(x))) { hit = true; }
            }
        });
        return hit;
    }
    function controls() {  // the top-left controls (switches, layer list, info panel) but the zoom buttons
        var c = map.getContainer().getBoundingClientRect(), out = null;
        map.getContainer().querySelectorAll(".leaflet-top.leaflet-left > .leaflet-control").forEach(function (e) {
            if (e.classList.contains("leaflet-control-zoom") || !e.offsetHeight) { return; }
            var r = e.getBoundingClientRect();
            var b = L.bounds([r.left - c.left, r.top - c.top], [r.right - c.left, r.bottom - c.top]);
            out = out ? out.extend(b.min).extend(b.max) : b;
        });
        return out;
    }
    function zoomFor(pad, bottom) {  // the zoom fitting the sample inside these paddings; -Infinity: no room left
        var p = L.point(pad[0] + 6, pad[1] + bottom), size = map.getSize();
        var z = p.x < size.x && p.y < size.y ? map.getBoundsZoom(bounds, false, p) : NaN;
        return isFinite(z) ? z : -Infinity;  // a block as wide as the map made NaN, then fitBounds threw on it
    }
    function clearOf(b, left, top, bottom) {  // the padding that keeps the sample out of the box b:
        var under = [left, Math.max(top, b.max.y + 6)], beside = [Math.max(left, b.max.x + 6), top];  // below, right
        var zUnder = zoomFor(under, bottom), zBeside = zoomFor(beside, bottom);
        if (zUnder === -Infinity && zBeside === -Infinity) { return [left, top]; }  // neither fits: stay
        return zUnder >= zBeside ? under : beside;  // whichever keeps the map larger
    }
    function narrow(e) {  // a box no wider than the map less Leaflet's 10-px margins; an unbroken word wraps in it
        var most = map.getSize().x - 20, cs = getComputedStyle(e);
        if (e.offsetWidth <= most && e.scrollWidth <= e.clientWidth) { return; }
        e.style.overflowWrap = "anywhere";
        if (e.offsetWidth > most) {
            var edge = ["paddingLeft", "paddingRight", "borderLeftWidth", "borderRightWidth"];
            e.style.maxWidth = (most - edge.reduce(function (s, k) { return s + (parseFloat(cs[k]) || 0); }, 0)) + "px";
        }
    }
    function guard() {  // the title, the other top controls and the legend inside the map (the title's own
        // control keeps it off the zoom buttons, on load and on resize, before this runs: maps/_controls.Title)
        map.getContainer().querySelectorAll(".leaflet-top > .leaflet-control, .spillmap-legend").forEach(narrow);
    }
    function keepClear() {
        var left = 6, top = {{ this.top }}, bottom = {{ this.bottom }}, most = 0.3 * map.getSize().y;
        guard();
        for (var k = 0; k < 16; k++) {
            var moved = false, tl = controls();
            if (bottom < most && covered(box(".spillmap-legend"))) { bottom += 10; moved = true; }
            if (top < most && covered(box(".spillmap-title"))) { top += 10; moved = true; }
            if (tl && covered(tl)) {
                var pad = clearOf(tl, left, top, bottom);
                if (pad[0] > left || pad[1] > top) { left = pad[0]; top = pad[1]; moved = true; }
            }
            if (!moved) { break; }
            map.fitBounds(bounds, {paddingTopLeft: [left, top], paddingBottomRight: [6, bottom], animate: false});
        }
    }
    function run() {  // after the first zoom animation, whose end would undo a refit made during it
        if (map._animatingZoom) { map.once("zoomend", run); } else { keepClear(); }
    }
    function later() { setTimeout(run, 50); map.on("resize", guard); }  // once the page (and the controls) are laid out
    if (document.readyState === "complete") { later(); } else { window.addEventListener("load", later); }
})();
{% endmacro %}
"""
    )

    def __init__(self, bounds, *, top: int = 62, bottom: int = 6):
        super().__init__()
        self._name = "SpillmapKeepClear"
        self.bounds_js = js_json([[float(bounds[1]), float(bounds[0])], [float(bounds[3]), float(bounds[2])]])
        self.top, self.bottom = int(top), int(bottom)
