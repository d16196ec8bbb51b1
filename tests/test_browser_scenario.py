"""The demo's scenario map and click-to-explore map in headless Chromium, network disabled.

Checks: no console errors, one path per unit of the layer (those outside the sample grey), the legend's interval rule, and that clicking a
city recolours the map and fills the panel with that city's own effect and emitted spillover
(equal to the numbers stored in results.json).  Skipped without Chromium / chromedriver /
selenium, as tests/test_browser.py.
"""
from __future__ import annotations

import time

import pytest

from .test_browser import _open, artifacts, demo_out, driver  # noqa: F401, TID252  (shared fixtures)

pytestmark = pytest.mark.browser


def test_scenario_map(driver, demo_out, artifacts):  # noqa: F811
    errors = _open(driver, demo_out / "maps" / "scenario_hubei_W1.html")
    assert errors == [], errors
    # the 297 cities and the layer's 75 other units drawn grey ("not in sample"), as on the other maps
    assert len(driver.find_elements("css selector", "path.leaflet-interactive")) == 372
    assert "not in sample (75)" in driver.find_element("css selector", ".spillmap-legend").text
    legend = driver.find_element("css selector", ".spillmap-legend").text
    # stop 32 (planner audit #1): the changes below 0.1 % of the largest form the response map's "negligible"
    # class, apart from the exact zeros (no path); under W1 every classed unit's interval excludes 0 (none greyed)
    assert "outlined: the 12 cities changed" in legend and "negligible: |change| <" in legend, legend
    assert "0: no path from the changed cities" in legend, legend
    # the spec's "int +0.02 in every city of Hubei" as the tables and the legend name the variable (stop 33)
    assert "Industrial intelligence +0.02 in every city of Hubei (W1)" in driver.find_element(
        "css selector", ".spillmap-title").text
    driver.save_screenshot(str(artifacts / "demo_scenario_hubei_W1.png"))


def test_click_to_explore(driver, demo_out, artifacts, tmp_path_factory):  # noqa: F811
    from spillmap.study.scenarios import decode_array

    from _demo_shared import demo_results  # the demo's results, read once per worker (sys.path: test_browser)

    errors = _open(driver, demo_out / "maps" / "explore_W1_int.html")
    assert errors == [], errors
    assert len(driver.find_elements("css selector", "path.leaflet-interactive")) == 372  # + 75 not in sample
    r = demo_results(tmp_path_factory)
    ex = r.scenarios["explore"]["W1"]["int"]
    ids = list(r.scenarios["inputs"]["ids"])
    j = ids.index("420100")   # Wuhan
    before = driver.execute_script("return window.spillmapExplore.current()")
    fills = lambda: driver.execute_script(  # noqa: E731
        "return Array.from(document.querySelectorAll('path.leaflet-interactive')).map(p => p.getAttribute('fill'))")
    old = fills()
    # a click on Wuhan's polygon: a DOM click event on its SVG path, handled by Leaflet like a mouse click
    driver.execute_script("""
        var el = window.spillmapExplore.element('420100');
        var box = el.getBoundingClientRect();
        el.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: box.x + box.width / 2,
                                                  clientY: box.y + box.height / 2}));""")
    time.sleep(0.3)
    assert before != "420100" and driver.execute_script("return window.spillmapExplore.current()") == "420100"
    assert fills() != old
    panel = driver.find_element("css selector", ".spillmap-explore").text
    own = float(decode_array(ex["own"])[j])
    emitted = float(decode_array(ex["emitted"])[j])
    assert "武汉市 (420100)" in panel
    assert f"{own:.4g}" in panel and f"{emitted:.4g}" in panel
    col = decode_array(ex["matrix"])[:, j]
    shown = driver.execute_script("return window.spillmapExplore.values()")
    assert max(abs(a - b) for a, b in zip(shown, col)) <= 1e-6 * max(abs(col))   # float32 embedding
    driver.save_screenshot(str(artifacts / "demo_explore_W1_wuhan.png"))
