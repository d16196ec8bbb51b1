"""Maps of policy scenarios: the predicted change per unit, and click-to-explore responses.

* :func:`scenario_map` draws a :class:`~spillmap.estimation.ScenarioResult`: the predicted
  change of y per unit in diverging colours centred on 0, the changed units outlined,
  units whose interval of the change includes 0 greyed, tooltips with own / received /
  total change and the interval, a legend stating the interval rule.
* :func:`explore_map` embeds the columns of ``S_k`` (from
  :func:`spillmap.estimation.response_columns`): clicking a unit colours every unit by its
  response to a unit change of the variable there, and a panel gives the unit's own
  (direct) effect and the total spillover it emits.  The columns travel as base64
  little-endian float32 (7 significant digits: display precision), N^2 values up to 1,000
  units (297 cities: 0.47 MB), otherwise the k largest responses of each source.

Library used: **folium** through :mod:`spillmap.maps._layers` (geometry embedded once,
tooltips and panels set with ``textContent``, JSON escaped for ``<script>``).  Written by
hand: the click interaction (folium has no per-click restyling of a shared layer).  The
numbers come from :mod:`spillmap.estimation.scenario`; this module only colours them.
"""
from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import pandas as pd
from folium.template import Template

from spillmap.errors import DataError
from spillmap.maps import _layers
from spillmap.maps._elements import RenderOnce

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.figure import Figure

__all__ = ["scenario_map", "explore_map", "scenario_figure", "diverging_classes", "POSITIVE", "NEGATIVE"]

#: ColorBrewer RdBu (light → dark): positive changes red, negative blue, exactly 0 white
POSITIVE = ("#fddbc7", "#f4a582", "#d6604d", "#b2182b")
NEGATIVE = ("#d1e5f0", "#92c5de", "#4393c3", "#2166ac")
ZERO = "#f7f7f7"
SOURCE = "#6a3d9a"
_GREY = np.array([0xd0, 0xd0, 0xd0])


def _fmt(v: float) -> str:
    return "no data" if v is None or not np.isfinite(v) else f"{v:.4g}"


def diverging_classes(values: np.ndarray) -> tuple[list[str], list[tuple[str, str]]]:
    """Colours per value and legend entries, classes symmetric around 0.

    Upper bounds of ``|v|``: its 50th, 80th and 95th percentiles over the non-zero
    values and the maximum (the same bounds for both signs); exactly 0 is white,
    NaN is the no-data grey.
    """
    v = np.asarray(values, dtype=float)
    mag = np.abs(v[np.isfinite(v) & (v != 0)])
    if mag.size == 0:
        return [ZERO if np.isfinite(x) else _layers.NO_DATA_COLOR for x in v], [(ZERO, "0")]
    bounds = np.unique(np.concatenate([np.quantile(mag, [0.5, 0.8, 0.95]), [mag.max()]]))
    cls = np.minimum(np.searchsorted(bounds, np.abs(v), side="left"), bounds.size - 1)
    colors = []
    for x, c in zip(v, cls):
        if not np.isfinite(x):
            colors.append(_layers.NO_DATA_COLOR)
        else:
            colors.append(ZERO if x == 0 else (POSITIVE if x > 0 else NEGATIVE)[c + 4 - bounds.size])
    lows = np.concatenate([[0.0], bounds[:-1]])
    entries = []
    if (v[np.isfinite(v)] > 0).any():
        entries += [(POSITIVE[c + 4 - bounds.size], f"{'+' + _fmt(lo) if lo else '0'} to +{_fmt(hi)}")
                    for c, (lo, hi) in reversed(list(enumerate(zip(lows, bounds))))]
    if (v == 0).any():
        entries.append((ZERO, "0 (no change)"))
    if (v[np.isfinite(v)] < 0).any():
        entries += [(NEGATIVE[c + 4 - bounds.size], f"{'−' + _fmt(lo) if lo else '0'} to −{_fmt(hi)}")
                    for c, (lo, hi) in enumerate(zip(lows, bounds))]
    return colors, entries


def _greyed(color: str) -> str:
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)])
    mixed = np.round(0.3 * rgb + 0.7 * _GREY).astype(int)
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _unit_tips(row: pd.Series, result, y: str) -> list[list[str]]:
    tips = [[f"change of {y}", _fmt(row["total"])], ["own change", _fmt(row["own"])],
            ["received from others", _fmt(row["received"])],
            [f"{result.level:.0%} interval", f"[{_fmt(row['ci_lower'])}, {_fmt(row['ci_upper'])}]"]]
    if row["ci_includes_zero"]:
        tips.append(["", "interval includes 0"])
    if row["shocked"]:
        tips += [[f"change of {v}", _fmt(row[f"change: {v}"])] for v in result.variables]
    return tips


def _rule(result) -> str:
    how = {"simulation": f"{result.draws:,} parameter draws", "delta": "delta method",
           "closed form": "exact, linear in the parameters"}[result.method]
    return f"greyed: the {result.level:.0%} interval of the change includes 0 ({how})"


def scenario_map(
    gdf: gpd.GeoDataFrame,
    result: Any,
    *,
    id: str,
    name_column: str | None = None,
    title: str | None = None,
    notice: str | None = None,
    tiles: str | None = None,
    simplify: float | None = None,
    m: folium.Map | None = None,
) -> folium.Map:
    """The predicted change of y per unit under a scenario.

    Layers (switch top left): the total change (own + received; units whose interval
    includes 0 greyed), the part received from the other units, and the own part.
    The units changed by the scenario are outlined; units of the layer outside the
    model are drawn as no data.

    Parameters
    ----------
    gdf
        Boundary layer with ``id``.
    result
        A :class:`~spillmap.estimation.ScenarioResult`.

    Returns
    -------
    folium.Map
    """
    g = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
    units = result.to_frame()
    units.index = units.index.astype(str)
    unknown = sorted(set(units.index) - set(g[id]))
    if unknown:
        from spillmap.errors import format_items

        raise DataError(f"scenario ids not in the layer's {id!r}: {format_items(unknown)}.")
    frame = units.reindex(g[id].tolist())
    inside = frame["total"].notna().to_numpy()
    y = result.y
    change = "; ".join(result.changes)
    specs = []
    for col, label in (("total", f"change of {y}"), ("received", f"change of {y} received from other units"),
                       ("own", f"change of {y} from the unit's own change")):
        colors, entries = diverging_classes(frame[col].to_numpy(dtype=float))
        extra = [("#ffffff", f"outlined: the {int(result.n_shocked)} units changed")]
        if col == "total":
            exact_zero = (frame["ci_lower"] == 0) & (frame["ci_upper"] == 0)   # no path from the changed units
            grey = inside & (frame["ci_includes_zero"].fillna(False) & ~exact_zero).to_numpy(dtype=bool)
            colors = [_greyed(c) if gz else c for c, gz in zip(colors, grey)]
            extra.append((_greyed(POSITIVE[1]), _rule(result)))
        tips = [_unit_tips(r, result, y) if ok else [["", "not in the model"]]
                for (_, r), ok in zip(frame.iterrows(), inside)]
        specs.append({"name": label, "colors": colors, "tips": tips, "show": col == "total",
                      "legend_html": _layers.legend_html(f"{label}: {change}", [*entries, *extra],
                                                         note=" ".join(result.notes),
                                                         no_data=int((~inside).sum()))})
    m = _layers.new_map(g, tiles=tiles, m=m)
    shocked = frame.index[frame["shocked"].fillna(False).to_numpy(dtype=bool)].tolist()
    return _layers.add_layers(m, g, id=id, name_column=name_column, layers=specs,
                              title=title or f"Scenario: {change} → change of {y}", notice=notice, legend=True,
                              highlight=shocked)


# ---------------------------------------------------------------- click map
def _b64(a: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


class _Explore(RenderOnce):
    _template = Template("""
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
    function fmt(v) { return (v === null || !isFinite(v)) ? "not among the largest" : Number(v.toPrecision(4)).toString(); }
    var current = cfg.start, values = column(current), bounds = [0, 0, 0, 0];
    function setBounds() {
        var m = 0;
        for (var i = 0; i < n; i++) { if (i !== current && isFinite(values[i])) { m = Math.max(m, Math.abs(values[i])); } }
        bounds = [m / 64, m / 16, m / 4, m];
    }
    function color(v) {
        if (!isFinite(v)) { return cfg.nodata; }
        if (v === 0) { return cfg.zero; }
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
    var panel = L.control({position: "topright"}), panelDiv = null;
    panel.onAdd = function () { panelDiv = L.DomUtil.create("div", "spillmap-legend spillmap-explore"); return panelDiv; };
    var legend = L.control({position: "bottomright"}), legendDiv = null;
    legend.onAdd = function () { legendDiv = L.DomUtil.create("div", "spillmap-legend"); return legendDiv; };
    function refresh() {
        panelDiv.textContent = "";
        var t = document.createElement("div"); t.className = "t"; t.textContent = cfg.names[current];
        panelDiv.appendChild(t);
        var table = document.createElement("table"); table.className = "spillmap-tip";
        row(table, "own (direct) effect", fmt(cfg.own[current]));
        row(table, "total spillover emitted", fmt(cfg.emitted[current]));
        row(table, "total effect", fmt(cfg.own[current] + cfg.emitted[current]));
        var order = [];
        for (var i = 0; i < n; i++) { if (i !== current && isFinite(values[i])) { order.push(i); } }
        order.sort(function (a, b) { return Math.abs(values[b]) - Math.abs(values[a]) || a - b; });
        if (order.length) { row(table, "largest receivers", ""); }
        order.slice(0, 5).forEach(function (i) { row(table, "  " + cfg.names[i], fmt(values[i])); });
        panelDiv.appendChild(table);
        var note = document.createElement("div"); note.className = "n"; note.textContent = cfg.help;
        panelDiv.appendChild(note);
        legendDiv.textContent = "";
        var lt = document.createElement("div"); lt.className = "t"; lt.textContent = cfg.legend_title;
        legendDiv.appendChild(lt);
        var entries = [[cfg.source, cfg.names[current] + " (the changed unit)"]], anyPos = false, anyNeg = false;
        var zeros = false;
        for (var i = 0; i < n; i++) { if (i !== current) { anyPos = anyPos || values[i] > 0; anyNeg = anyNeg || values[i] < 0; zeros = zeros || values[i] === 0; } }
        if (anyPos) { for (var c = 3; c >= 0; c--) { entries.push([cfg.pos[c], (c ? "+" + fmt(bounds[c - 1]) : "0") + " to +" + fmt(bounds[c])]); } }
        if (zeros) { entries.push([cfg.zero, "0 (no path from the selected unit)"]); }
        if (anyNeg) { for (var c = 0; c < 4; c++) { entries.push([cfg.neg[c], (c ? "−" + fmt(bounds[c - 1]) : "0") + " to −" + fmt(bounds[c])]); } }
        entries.forEach(function (e) {
            var d = document.createElement("div"), i = document.createElement("i");
            i.style.background = e[0]; d.appendChild(i); d.appendChild(document.createTextNode(e[1])); legendDiv.appendChild(d);
        });
        var ln = document.createElement("div"); ln.className = "n"; ln.textContent = cfg.legend_note; legendDiv.appendChild(ln);
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
                else { row(table, "response to " + cfg.names[current], fmt(values[i])); }
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
        self.data = data
        self.cfg_js = _layers.js_json(dict(cfg))


def _explore_cfg(columns: Mapping[str, Any], names: list[str], start: int, y: str) -> dict:
    ids = [str(i) for i in columns["ids"]]
    n = len(ids)
    var = columns["variable"]
    cfg: dict[str, Any] = {"ids": ids, "names": names, "start": int(start), "pos": list(POSITIVE),
                           "neg": list(NEGATIVE), "zero": ZERO, "nodata": _layers.NO_DATA_COLOR, "source": SOURCE,
                           "own": [float(v) for v in np.asarray(columns["own"], dtype=float)],
                           "emitted": [float(v) for v in np.asarray(columns["emitted"], dtype=float)]}
    if columns.get("matrix") is not None:
        mat = np.asarray(columns["matrix"], dtype=float)
        if mat.shape != (n, n):
            raise DataError(f"the response matrix is {mat.shape}, expected ({n}, {n}).")
        cfg.update(values=_b64(mat.T, "<f4"), index=None, k=n)
        scope = "every unit"
    else:
        idx, val = np.asarray(columns["index"]), np.asarray(columns["value"], dtype=float)
        cfg.update(values=_b64(val.T, "<f4"), index=_b64(idx.T, "<i4"), k=int(idx.shape[0]))
        scope = f"the {idx.shape[0]} largest responses of each unit (others grey)"
    cfg["legend_title"] = f"change of {y} after +1 {var} in the selected unit"
    cfg["legend_note"] = (f"classes: 1/64, 1/16, 1/4 and all of the largest response to the selected unit; "
                          f"shown: {scope}.")
    cfg["help"] = f"Click any unit: every unit's change of {y} after a unit change of {var} there (column of S)."
    return cfg


def explore_map(
    gdf: gpd.GeoDataFrame,
    columns: Mapping[str, Any],
    *,
    id: str,
    name_column: str | None = None,
    y: str = "y",
    start: str | None = None,
    title: str | None = None,
    notice: str | None = None,
    tiles: str | None = None,
    simplify: float | None = None,
    m: folium.Map | None = None,
) -> folium.Map:
    """Click a unit → every unit's response to a unit change of the variable there.

    Parameters
    ----------
    gdf
        Boundary layer with ``id``.
    columns
        :func:`spillmap.estimation.response_columns` output: ``ids``, ``variable``,
        ``own``, ``emitted`` and ``matrix`` (N x N) or ``index`` / ``value`` (k x N).
    start
        The unit selected when the page opens (default: the largest emitter).

    Returns
    -------
    folium.Map
        The panel (top right) names the selected unit, its own (direct) effect, the
        total spillover it emits and its five largest receivers; ``window.spillmapExplore``
        offers ``select(id)``, ``current()``, ``values()`` and ``element(id)`` for scripting and tests.
    """
    g = _layers.prepare_geometry(gdf, id=id, simplify=simplify)
    ids = [str(i) for i in columns["ids"]]
    unknown = sorted(set(ids) - set(g[id]))
    if unknown:
        from spillmap.errors import format_items

        raise DataError(f"response ids not in the layer's {id!r}: {format_items(unknown)}.")
    label = dict(zip(g[id], g[name_column].astype(str))) if name_column and name_column in g.columns else {}
    names = [f"{label[i]} ({i})" if i in label else i for i in ids]
    emitted = np.asarray(columns["emitted"], dtype=float)
    j = int(np.argmax(np.abs(emitted))) if start is None else ids.index(str(start)) if str(start) in ids else None
    if j is None:
        raise DataError(f"start unit {start!r} is not among the response's ids.")
    m = _layers.new_map(g, tiles=tiles, m=m)
    data = _layers.GeoData(g, id=id, properties={"base_tip": _layers.base_tips(g, id=id, name_column=name_column)})
    m.add_child(data)
    m.add_child(_layers.Title(title or f"Click a unit: response of {y} to +1 {columns['variable']} there", notice))
    m.add_child(_Explore(data, _explore_cfg(columns, names, j, y)))
    return m


# ------------------------------------------------------------------ figure
def scenario_figure(result: Any, *, k: int = 15, names: Mapping[str, str] | None = None,
                    title: str | None = None) -> Figure:
    """A horizontal bar chart of the ``k`` units not changed that receive the largest spillovers (all
    units when every unit is changed): own and received parts stacked, the interval of the total
    as a whisker (a :class:`matplotlib.figure.Figure`; no pyplot state)."""
    from spillmap.figures._style import figure_style, new_figure

    top = result.top_receivers(k, by="received", shocked=result.n_shocked == len(result.units)).iloc[::-1]
    labels = []
    for i, r in top.iterrows():
        nm = (names or {}).get(str(i)) or (r.get("name") if isinstance(r.get("name"), str) else None)
        labels.append(f"{nm} ({i})" if nm else str(i))
    with figure_style():
        fig = new_figure((7.5, 0.32 * len(top) + 1.6), dpi=120)
        ax = fig.subplots()
        pos = np.arange(len(top))
        if (top["own"] != 0).any():
            ax.barh(pos, top["own"], color="#b2182b", label="own change")
        ax.barh(pos, top["received"], left=top["own"], color="#f4a582", label="received from other units")
        err = np.vstack([top["total"] - top["ci_lower"], top["ci_upper"] - top["total"]])
        ax.errorbar(top["total"], pos, xerr=np.clip(err, 0, None), fmt="none", ecolor="#333333", capsize=2, lw=0.8,
                    label=f"{result.level:.0%} interval of the total")
        ax.set_yticks(pos, labels)
        ax.axvline(0, color="#666666", lw=0.6)
        ax.set_xlabel(f"predicted change of {result.y}")
        ax.set_title(title or f"{'; '.join(result.changes)}: largest spillovers received")
        ax.legend(loc="lower right", frameon=False)
        fig.tight_layout()
    return fig
