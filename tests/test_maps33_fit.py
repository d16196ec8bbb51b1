"""Stop 33, brief item 3: the fit step (:class:`spillmap.maps._fit.KeepClear`) itself keeps the title box inside the
map and off the zoom buttons, and never refits with a padding wider than the map (a top-left block as wide as
the map made Leaflet's zoom NaN: "Invalid LatLng object: (NaN, NaN)", stop 32's map-layout report), in headless
Chromium at 414 and 1400 px.  Stop 32 capped the title's width in the title's own layout step only; an unbroken
word (a variable's raw name) still ran out of its box and off the map, and a layer list with such a name was
wider than a phone."""
from __future__ import annotations

import dataclasses
import math
import sys
import warnings
from pathlib import Path

import pytest

from spillmap.estimation import scenario
from spillmap.maps import save_map
from spillmap.maps.scenario import scenario_map

from .test_browser import _open, driver  # noqa: F401, TID252  (shared fixtures)

sys.path.insert(0, str(Path(__file__).parent))  # a plain module: see tests/_scenario_fixtures.py
from _scenario_fixtures import grid, sdm  # noqa: E402, F401  (shared fixtures)

pytestmark = pytest.mark.browser

#: a raw variable name without a space: about 530 px of the title's 13-px bold type
TOKEN = "log_public_capital_stock_per_capita_in_constant_1986_dollars_East_North_Central"

_STATE = """var m = null; for (var k in window) { var v = window[k]; if (v && v instanceof L.Map) { m = v; } }
var c = m.getContainer().getBoundingClientRect(), t = document.querySelector('.spillmap-title');
function box(r) { return [r.left - c.left, r.top - c.top, r.right - c.left, r.bottom - c.top]; }
var zin = document.querySelector('.leaflet-control-zoom-in').getBoundingClientRect();
var hit = document.elementFromPoint((zin.left + zin.right) / 2, (zin.top + zin.bottom) / 2);
var ctr = m.getCenter();
return {width: c.width, title: box(t.getBoundingClientRect()),
        text: box(t.querySelector('span').getBoundingClientRect()),
        zoom: box(document.querySelector('.leaflet-control-zoom').getBoundingClientRect()),
        plus: !!(hit && hit.closest('.leaflet-control-zoom-in')), center: [ctr.lat, ctr.lng], level: m.getZoom(),
        controls: Array.prototype.map.call(document.querySelectorAll('.leaflet-top > .leaflet-control'),
                                           function (e) { return box(e.getBoundingClientRect()); })};"""


def _meets(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def pages(grid, sdm, tmp_path_factory):  # noqa: F811
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = scenario(sdm, "x2", ["7"], change=0.5, draws=100)
    out = tmp_path_factory.mktemp("fit33")
    maps = {"title with an unbroken word": scenario_map(grid, r, id="id", name_column="name",
                                                        title=f"Scenario {TOKEN}"),
            # y's raw name in the layer list's three entries: the list as wide as the map on a phone
            "layer list with an unbroken word": scenario_map(grid, dataclasses.replace(r, y=TOKEN), id="id",
                                                             name_column="name")}
    paths = {}
    for k, (name, m) in enumerate(maps.items()):
        paths[name] = out / f"map{k}.html"
        save_map(m, paths[name])
    return paths


@pytest.mark.parametrize("size", [(414, 896), (1400, 900)], ids=["414px", "1400px"])
@pytest.mark.parametrize("case", ["title with an unbroken word", "layer list with an unbroken word"])
def test_title_inside_the_map_and_off_the_zoom_buttons(driver, pages, case, size):  # noqa: F811
    driver.set_window_size(*size)
    assert _open(driver, pages[case]) == []  # no "Invalid LatLng object: (NaN, NaN)"
    s = driver.execute_script(_STATE)
    assert all(math.isfinite(v) for v in s["center"]) and s["level"] is not None, s
    for name, b in (("title box", s["title"]), ("title text", s["text"])):
        # the 10-px control margins of Leaflet; 0.5 px: sub-pixel text layout
        assert b[0] >= 10 - 0.5 and b[2] <= s["width"] - 10 + 0.5, (name, b, s["width"])
    assert not _meets(s["title"], s["zoom"]), s
    assert s["plus"], s  # the centre of "+" is the zoom-in button, not the title
    for b in s["controls"]:
        assert b[2] <= s["width"] - 10 + 0.5, (b, s["width"])  # sub-pixel layout, as above
