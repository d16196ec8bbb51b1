"""Audit 27 (a planner using the HTML maps): page titles, LISA classes that read apart,
no focus rectangle, legend numbers, significance of mapped effects, controls off the data."""
from __future__ import annotations

import json
import sys
from pathlib import Path
import re

import numpy as np
import pandas as pd
import pytest

from spillmap.maps import choropleth, render_html
from spillmap.maps.lisa import lisa_map
from spillmap.maps.spillover import spillover_map, unit_response_map


def _legends(html: str) -> list[str]:
    return [json.loads(s) for s in re.findall(r"div\.innerHTML = (\".*?\");", html)]


@pytest.fixture()
def states(us48):
    g = us48.copy()
    g["v"] = np.random.default_rng(1).normal(size=len(g))
    return g


def _head(html: str) -> str:
    return html[: html.index("</head>")]


def test_every_map_has_an_escaped_page_title(states):
    """planner #10: the browser tab names the map (the title box's text, escaped)."""
    html = render_html(choropleth(states, "v", id="STATE_ABBR", title="GSP <by> state & year"))
    titles = re.findall(r"<title>(.*?)</title>", _head(html))
    assert titles == ["GSP &lt;by&gt; state &amp; year"]
    untitled = render_html(choropleth(states, "v", id="STATE_ABBR"))
    assert re.findall(r"<title>(.*?)</title>", _head(untitled)) == ["spillmap map"]


def test_clicked_unit_leaves_no_focus_rectangle(states):
    """planner #12: Leaflet makes polygons focusable; a click must not draw the browser's
    focus outline around the unit (explore map) -- the page's CSS removes it."""
    html = render_html(choropleth(states, "v", id="STATE_ABBR"))
    css = " ".join(re.findall(r"<style>(.*?)</style>", html, re.S)[-3:])
    rule = re.search(r"path\.leaflet-interactive:focus\s*\{([^}]*)\}", html)
    assert rule and "outline: none" in rule.group(1), css[:200]


def test_lisa_not_in_sample_is_striped_not_a_second_light_grey(states):
    """planner #12: "not significant" (light grey) and "not in sample" read apart, also in
    greyscale: the units outside the sample are drawn with an SVG stripe pattern (and so is
    their legend swatch), not a flat grey next to the near-white of "not significant"."""
    from spillmap.maps._elements import HATCH_ID

    sample = states["STATE_ABBR"].tolist()[:40]
    frame = pd.DataFrame({"cluster": ["HH", "LL"] + ["ns"] * 38, "Ii": 0.1, "p_perm": 0.5}, index=sample)
    html = render_html(lisa_map(states, frame, id="STATE_ABBR"))
    assert f'fillColor: "url(#{HATCH_ID})"' in html          # the context layer's fill
    assert f'id=\\"{HATCH_ID}\\"' in html and "\\u003cpattern" in html  # the pattern, defined in the page
    (legend,) = _legends(html)
    assert '<i class="hatch"></i>not in sample (8)' in legend
    # every map hatches it now (planner audit 32 #4: a flat grey read like a scenario's greyed cells)
    assert f'fillColor: "url(#{HATCH_ID})"' in render_html(choropleth(states, "v", id="STATE_ABBR", sample=sample))


def test_legend_limits_plain_decimals_from_class_width_and_inside_the_range(states):
    """planner #11: the first class of the screen's choropleth read "3 – 5" while the note
    said the data start at 2.8; scenario legends printed "−9.451e-05".  Class limits get
    plain decimals chosen from the class width, the first/last limit is the data's
    minimum/maximum as the note prints it, and the classification itself is unchanged."""
    from spillmap.maps._classify import class_labels, classes_note, classify
    from spillmap.maps.scenario import diverging_classes

    values = np.array([2.8, 4.1, 5.03, 5.5, 6.1, 6.6, 7.02, 8.0, 8.9, 13.0])
    c = classify(values, scheme="user", bins=[5.03, 6.1, 7.02, 8.9, 13.0])
    labels = class_labels(c, counts=False)
    assert labels[0].startswith("2.8") and labels[-1].endswith("13.00")
    assert labels[1] == "5.03 – 6.10"  # classes about 1 wide: two decimals, not "5 – 6"
    assert "range 2.80 – 13.00" in classes_note(c)
    assert c.bins == (5.03, 6.1, 7.02, 8.9, 13.0)  # the classes themselves are the same
    # an extreme that one more decimal cannot print exactly is rounded to nearest with it, as the tables print
    # the data's min and max (it was rounded inwards, 2.84 and 12.96, and then disagreed with Table 1)
    odd = classify(np.array([2.83456, 4.0, 5.0, 6.0, 12.96543]), scheme="user", bins=[4.0, 5.0, 12.96543])
    first, last = class_labels(odd, counts=False)[0], class_labels(odd, counts=False)[-1]
    assert first.split(" – ")[0] == "2.83" and last.split(" – ")[1] == "12.97"
    # small effects: plain decimals, no scientific notation, no "−0.00000"
    _, entries = diverging_classes(-np.r_[[9.451e-05] * 12, np.geomspace(2e-4, 1.459e-03, 9), 0.004])
    text = " ".join(label for _, label in entries)
    assert "e-" not in text and "e−" not in text and "0.000095" in text
    tiny = classify(np.array([-0.0204, -0.01, -0.003, -0.00001, -0.0000049]), k=4)
    assert not any(lab.split(" (")[0].split(" – ")[-1].strip("−0.") == "" for lab in class_labels(tiny))


PRODUC_W1 = {  # the Produc SDM's average effects of log(pcap) (audit 27): direct and indirect not significant
    "direct": {"estimate": -0.0163, "se": 0.0272, "p": 0.549},
    "indirect": {"estimate": -0.0963, "se": 0.0768, "p": 0.2102},
    "total": {"estimate": -0.1126, "se": 0.0801, "p": 0.0497},
}


def _unit_effects(states) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"direct": rng.uniform(-0.024, -0.013, 48), "indirect_received": rng.uniform(-0.1, -0.09, 48),
                         "indirect_emitted": rng.uniform(-0.17, -0.03, 48)},
                        index=pd.Index(list(states["STATE_ABBR"]), name="id"))


def test_spillover_legends_say_when_the_average_effect_is_not_significant(states):
    """planner #3: each layer's legend gives the average effect it maps (from the fit's effects
    table, as passed), its SE and p, a verdict at the report's level in a line that never
    folds when not significant, and one plain sentence saying what the layer shows."""
    html = render_html(spillover_map(states, _unit_effects(states), id="STATE_ABBR", var="public capital",
                                     y="output", unit="state", average_effects=PRODUC_W1, level=0.95))
    direct, received, emitted = _legends(html)
    line = "average indirect effect −0.096 (SE 0.077, p = 0.21): not significant at 5 %"
    assert f'<div class="n caveat">{line}</div>' in received and f'<div class="n caveat">{line}</div>' in emitted
    assert "average direct effect −0.016 (SE 0.027, p = 0.55): not significant at 5 %" in direct
    assert "received: how much this state&#x27;s output changes when public capital rises by one unit in every " \
           "other state" in received
    assert "emitted: how much output changes in all other states together when this state&#x27;s public capital" \
           in emitted
    total = render_html(spillover_map(states, _unit_effects(states).assign(total_received=-0.1), id="STATE_ABBR",
                                      var="x", columns=["total_received"], average_effects=PRODUC_W1))
    (legend,) = _legends(total)
    assert "caveat" not in legend and "average total effect −0.113 (SE 0.080, p = 0.050): significant at 5 %" in legend
    # a frame indexed by part (a slice of the effects table) is read the same way; no numbers: no line
    frame = pd.DataFrame(PRODUC_W1).T
    assert _legends(render_html(spillover_map(states, _unit_effects(states), id="STATE_ABBR", var="public capital",
                    y="output", unit="state", average_effects=frame))) == [direct, received, emitted]
    assert "average" not in " ".join(_legends(render_html(spillover_map(states, _unit_effects(states),
                                                                        id="STATE_ABBR", var="x"))))
    resp = pd.Series(np.linspace(-0.01, 0, 48), index=list(states["STATE_ABBR"]))
    (legend,) = _legends(render_html(unit_response_map(states, resp, id="STATE_ABBR", source_id="TX", var="x",
                                                       average_effects=PRODUC_W1)))
    assert f'<div class="n caveat">{line}</div>' in legend


@pytest.mark.e2e
def test_report_maps_take_the_averages_from_the_fits_effects_table(tmp_path_factory):
    """The report passes each W's SDM effects of the key regressor (never recomputed): the
    demo's spillover and response maps print the numbers of results.json."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from _demo_shared import build_demo_once

    out = build_demo_once(tmp_path_factory)
    r = json.loads((out / "results.json").read_text(encoding="utf-8"))
    key = r["spec"]["model"].get("key") or r["spec"]["model"]["x"][0]
    for w in ("W1", "W2"):
        ind = r["fits"][f"{w}:sdm"]["effects"]["indirect"][key]
        est = f"{ind['estimate']:.3f}".replace("-", "−")
        page = (out / "maps" / f"spillover_{w}.html").read_text(encoding="utf-8")
        legends = _legends(page)
        assert f"average indirect effect {est} (SE {ind['se']:.3f}" in legends[1], legends[1]
        assert f"average indirect effect {est}" in _legends((out / "maps" / f"response_{w}.html")
                                                            .read_text(encoding="utf-8"))[0]


_UNDER_CONTROLS_JS = """
var map = window[Object.keys(window).filter(function (k) { return /^map_[0-9a-f]{32}$/.test(k); })[0]];
var c = map.getContainer().getBoundingClientRect(), boxes = [], hits = [];
map.getContainer().querySelectorAll(".leaflet-top.leaflet-left > .leaflet-control").forEach(function (e) {
    if (e.classList.contains("leaflet-control-zoom")) { return; }
    var r = e.getBoundingClientRect();
    boxes.push(L.bounds([r.left - c.left, r.top - c.top], [r.right - c.left, r.bottom - c.top]));
});
map.eachLayer(function (l) {
    if (!l.feature || !l.getLatLngs || l.feature.properties.ctx !== undefined) { return; }
    var stack = [l.getLatLngs()];
    while (stack.length) {
        var x = stack.pop();
        if (Array.isArray(x)) { x.forEach(function (y) { stack.push(y); }); continue; }
        var p = map.latLngToContainerPoint(x);
        boxes.forEach(function (b) { if (b.contains(p) && hits.indexOf(l.feature.properties.id) < 0) { hits.push(l.feature.properties.id); } });
    }
});
return [boxes.length, hits];
"""


@pytest.mark.browser
def test_top_left_controls_do_not_cover_the_sample_at_1400x900(states, tmp_path):
    """planner #9: the layer list (scenario maps) covered Washington at 1400 x 900; the map is
    refitted with the sample below or beside the top-left controls."""
    import time

    sys.path.insert(0, str(Path(__file__).parent))
    from test_browser import _skip_reason

    from spillmap.maps import _layers, save_map

    if _skip_reason():
        pytest.skip(_skip_reason())
    g = _layers.prepare_geometry(states, id="STATE_ABBR")
    tips = [[["v", "1"]]] * len(g)
    specs = [{"name": f"change of Gross state product (log) received from other units, layer {j}",
              "colors": ["#fddbc7"] * len(g), "tips": tips, "legend_html": _layers.legend_html("t", []),
              "show": j == 0} for j in range(3)]
    m = _layers.add_layers(_layers.new_map(g), g, id="STATE_ABBR", name_column=None, layers=specs, title="t",
                           notice=None, legend=True)
    save_map(m, tmp_path / "controls.html")
    d = _browser()
    try:
        d.set_window_size(1400, 900)
        d.get((tmp_path / "controls.html").as_uri())
        time.sleep(1.5)
        n_boxes, hits = d.execute_script(_UNDER_CONTROLS_JS)
        assert n_boxes == 1 and hits == [], hits
    finally:
        d.quit()


def _browser():
    from test_browser import start_chrome

    return start_chrome()
