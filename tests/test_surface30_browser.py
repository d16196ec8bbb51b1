"""Newcomer audit 29 in headless Chromium (skipped without Chromium / chromedriver / selenium, as
tests/test_browser.py):

* #4.5: the spillover map's drop-down list cut its text ("Public capital (log): direct effect (own
  change") at 260 px; at 1400 x 900 it now shows each entry whole, and the sample stays clear of it;
* #4.2: the click-to-explore map's legend printed tiny class limits as ``7.4e-8``; they are printed in
  millionths (...), a line of the legend saying so.
"""
from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest

from spillmap.maps import save_map
from spillmap.maps.spillover import spillover_map

from .test_browser import _open, driver  # noqa: F401, TID252  (shared fixture)
from .test_maps_audit27 import _UNDER_CONTROLS_JS  # noqa: TID252
from .test_scenario_maps import grid, sdm, wider  # noqa: F401, TID252  (shared fixtures)

pytestmark = pytest.mark.browser

#: the select as drawn and as wide as its longest entry (a copy without the width limit, in the same box)
_SELECT_JS = """
var s = document.querySelector('.spillmap-switch select');
var c = s.cloneNode(true); c.style.maxWidth = 'none'; c.style.position = 'absolute'; c.style.visibility = 'hidden';
s.parentNode.appendChild(c);
var out = [s.getBoundingClientRect().width, c.getBoundingClientRect().width, s.title,
           Array.from(s.options).map(function (o) { return o.textContent; })];
c.remove();
return out;
"""


@pytest.fixture()
def us_spillover(us48, tmp_path):
    """The US study's spillover map: its three layers named as the report names them."""
    rng = np.random.default_rng(0)
    ids = list(us48["STATE_ABBR"])
    effects = pd.DataFrame({"direct": rng.uniform(-0.024, -0.013, 48), "indirect_received": rng.uniform(-0.1, -0.09, 48),
                            "indirect_emitted": rng.uniform(-0.17, -0.03, 48)}, index=pd.Index(ids, name="id"))
    path = tmp_path / "spillover.html"
    save_map(spillover_map(us48, effects, id="STATE_ABBR", var="Public capital (log)", y="Gross state product (log)",
                           unit="state", title="Spillovers of Public capital (log) on Gross state product (log) (W1)"),
             path)
    return path


def test_spillover_list_shows_whole_entries_off_the_sample(driver, us_spillover):  # noqa: F811
    driver.set_window_size(1400, 900)
    assert _open(driver, us_spillover) == []
    time.sleep(0.5)  # the refit of KeepClear (50 ms after load)
    shown, whole, title, options = driver.execute_script(_SELECT_JS)
    assert options[0] == "Public capital (log): direct effect (own change)" and len(options) == 3
    assert shown >= whole - 0.5, (shown, whole)  # not cut (0.5 px: sub-pixel layout)
    assert title == options[0]
    n_boxes, hits = driver.execute_script(_UNDER_CONTROLS_JS)
    assert n_boxes == 1 and hits == [], hits
    # the title follows the choice
    driver.execute_script("var s = document.querySelector('.spillmap-switch select'); s.value = '1';"
                          "s.dispatchEvent(new Event('change'));")
    assert driver.execute_script("return document.querySelector('.spillmap-switch select').title") == options[1]


def test_explore_legend_prints_tiny_limits_scaled(driver, wider, sdm, tmp_path):  # noqa: F811
    """Responses of about 1e-7 (the model's columns times 1e-6): the legend's limits are m/64, m/16, m/4
    and m of the largest response m; they would need more than 6 decimals, so they are printed in
    thousandths, millionths or billionths (the first at which m/64 reads at least 0.01), each with two
    significant digits, m rounded to nearest; a line of the legend names the unit."""
    from spillmap.estimation import response_columns
    from spillmap.maps._classify import scale_words
    from spillmap.maps.explore import explore_map

    cols = response_columns(sdm, "x1")
    tiny = {**cols, "matrix": cols["matrix"] * 1e-6, "own": cols["own"] * 1e-6, "emitted": cols["emitted"] * 1e-6}
    path = tmp_path / "explore.html"
    save_map(explore_map(wider, tiny, id="id", name_column="name", y="y", start="12"), path)
    driver.set_window_size(1280, 900)
    assert _open(driver, path) == []
    values = np.abs(np.asarray(driver.execute_script("return window.spillmapExplore.values()"), dtype=float))
    m = np.delete(values, 12).max()  # the selected unit itself is not classed
    assert m / 64 < 1e-5  # two significant digits would need more than 6 decimals
    exponent = next(e for e in (3, 6, 9, 12) if m / 64 * 10**e >= 0.01)
    legend = driver.find_element("css selector", ".spillmap-legend")
    assert scale_words(exponent) in legend.text
    classes = [e.text for e in legend.find_elements("css selector", ".e") if " to " in e.text]
    assert len(classes) == 4 and not any(re.search(r"\de", t) for t in classes), classes
    # each limit with two significant digits, as the scenario maps' legends (magnitude_labels; stop 32: the
    # explore legend's own JS copy printed one number of decimals for all, "0.50 ... 32.00" against "0.50 ... 32")
    numbers = [n for t in classes for n in re.findall(r"\d+(?:\.\d+)?", t) if float(n) != 0]
    assert all(len(n.replace(".", "").lstrip("0")) >= 2 for n in numbers), classes
    top_text = max(numbers, key=float)
    step = 10.0 ** -len(top_text.partition(".")[2])
    top, scaled = float(top_text), m * 10**exponent
    assert abs(top - scaled) <= step * (0.5 + 1e-6), (top, scaled)  # rounded to nearest (1e-6: float32 values)
