"""Scenario and click-to-explore maps built with the library, laid out in headless Chromium.

Checks (user audit): units of the layer outside the sample are drawn (one path each) with the
"not in sample" legend entry; the scenario legend's long interval rule wraps inside the legend
box; the explore panel is compact in the report's 560 x 520 frame (receivers folded, the
selected unit not under it), folds with a click on its title, and is complete full page.
Skipped without Chromium / chromedriver / selenium, as tests/test_browser.py.
"""
from __future__ import annotations

import time
import warnings

import pytest

from spillmap.estimation import response_columns, scenario
from spillmap.maps import save_map
from spillmap.maps.scenario import explore_map, scenario_map

from .test_browser import _open, _open_in_frame, driver  # noqa: F401, TID252  (shared fixture)
from .test_scenario_maps import grid, sdm, wider  # noqa: F401, TID252  (shared fixtures)

pytestmark = pytest.mark.browser

_BOX = "var r = arguments[0].getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];"


def _box(d, el) -> list[float]:
    return d.execute_script(_BOX, el)


def test_scenario_legend_wraps_and_shows_the_context(driver, wider, sdm, tmp_path):  # noqa: F811
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = scenario(sdm, "x2", ["7"], change=0.5, draws=200)
    path = tmp_path / "scenario.html"
    save_map(scenario_map(wider, r, id="id", name_column="name"), path)
    driver.set_window_size(1280, 900)
    assert _open(driver, path) == []
    assert len(driver.find_elements("css selector", "path.leaflet-interactive")) == 32   # 30 + 2 not in sample
    legend = driver.find_element("css selector", ".spillmap-legend")
    assert "not in sample (2)" in legend.text and "(200 parameter draws)" in legend.text
    box = _box(driver, legend)
    for e in legend.find_elements("css selector", ".e"):
        left, top, right, bottom = _box(driver, e)
        assert right <= box[2] + 0.5 and bottom <= box[3] + 0.5, e.text                # inside the legend box
        assert driver.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", e), e.text


def _panel_state(d) -> dict:
    return d.execute_script("""
        var p = document.querySelector('.spillmap-explore'), ds = p.querySelectorAll('details');
        var sel = window.spillmapExplore.element(window.spillmapExplore.current()).getBoundingClientRect();
        var r = p.getBoundingClientRect();
        return {width: r.width, open: ds[0].open, receivers: ds[1].open, text: p.innerText,
                covers: !(sel.right < r.left || sel.left > r.right || sel.bottom < r.top || sel.top > r.bottom)};""")


def test_explore_panel_in_the_report_frame_and_full_page(driver, wider, sdm, tmp_path):  # noqa: F811
    path = tmp_path / "explore.html"
    save_map(explore_map(wider, response_columns(sdm, "x1"), id="id", name_column="name", y="y", start="12"), path)
    try:
        assert _open_in_frame(driver, path) == []
        assert len(driver.find_elements("css selector", "path.leaflet-interactive")) == 32   # 30 + 2 not in sample
        assert "not in sample (2)" in driver.find_element("css selector", ".spillmap-legend").text
        s = _panel_state(driver)
        assert s["open"] and not s["receivers"] and s["width"] <= 240 and not s["covers"], s
        assert "total spillover emitted" in s["text"] and "Click any unit" not in s["text"]  # the title says it
        driver.find_element("css selector", ".spillmap-explore summary").click()          # fold the panel
        time.sleep(0.2)
        s = _panel_state(driver)
        assert not s["open"] and "total spillover emitted" not in s["text"] and "City 12" in s["text"], s
    finally:
        driver.switch_to.default_content()
    driver.set_window_size(1280, 900)
    assert _open(driver, path) == []
    s = _panel_state(driver)
    assert s["open"] and s["receivers"] and "Click any unit" in s["text"] and not s["covers"], s


def test_explore_legend_limits_share_their_decimals(driver, wider, sdm, tmp_path):  # noqa: F811
    """Leftover of the planner audit (#11): the explore map's JS legend printed each class limit with
    four significant digits of its own ("+0.0002281 to +0.0009125"); it prints them as the other maps'
    legends do: one number of decimals (two significant digits of the narrowest class), the highest
    limit too, the largest response rounded to nearest as the other legends print their extremes."""
    import re

    cols = response_columns(sdm, "x1")
    path = tmp_path / "explore.html"
    save_map(explore_map(wider, cols, id="id", name_column="name", y="y", start="12"), path)
    driver.set_window_size(1280, 900)
    assert _open(driver, path) == []
    entries = [e.text for e in driver.find_elements("css selector", ".spillmap-legend .e")]
    classes = [t for t in entries if " to " in t]
    assert len(classes) >= 4, entries
    numbers = [n for t in classes for n in re.findall(r"[+\u2212]?\d+(?:\.\d+)?", t)]
    assert not any("e" in t.split("(")[0] for t in classes), classes  # no scientific notation
    decimals = {len(n.split(".")[1]) for n in numbers if "." in n}
    assert len(decimals) == 1, classes  # the highest limit too (newcomer audit 29 #4.3)
    import numpy as np

    j = list(map(str, cols["ids"])).index("12")
    responses = np.abs(np.delete(np.asarray(cols["matrix"])[:, j], j))  # the other units' responses to 12
    top = max(float(n.lstrip("+\u2212")) for n in numbers)
    step = 10.0 ** -decimals.pop()
    assert abs(top - responses.max()) <= step * (0.5 + 1e-6), (top, responses.max())  # nearest (1e-6: float32)
