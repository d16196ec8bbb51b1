"""Planner audit 32 #1: the click-to-explore map follows the response map's one rule for tiny values.  A response
below NEGLIGIBLE_FRACTION (0.1 %) of the selected unit's largest response to another unit is "negligible" (the
response map's grey, "negligible: |response| < cut (n)" in the legend, "negligible (< cut)" in its tooltip),
kept apart from exact zeros (no path: white, "0: no path from the selected unit (n)"); the classes m/64 ... m
start at the cut.  Before, the map drew both as "0 (no path ..., or below 10⁻⁹ of its largest response)" and
printed responses between 1e-9 and 1/64 of the largest as 0.00000000008281 in the lowest colour class.

Expected numbers come from numpy on the response columns, with the rule as stated (not from the map's code).
"""
from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from spillmap.maps._classify import NEGLIGIBLE_FRACTION, ZERO_BELOW, reading
from spillmap.maps.spillover import NEGLIGIBLE

from .test_browser import _open, _tooltip_of, artifacts, driver  # noqa: F401, TID252  (shared fixtures)

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared helpers sit next to this file
from _map_helpers import SCIENTIFIC, decaying_response  # noqa: E402

ZEROED = ["FL", "ME", "GA"]  # states given an exact 0 response to Washington (no path), as Hainan's cities in the demo


def _columns(ids, s, scale: float = 1.0):
    return {"ids": ids, "variable": "x", "own": np.diag(s) * scale, "emitted": (s.sum(axis=0) - np.diag(s)) * scale,
            "matrix": s * scale}


def _cut(s, j: int) -> float:
    """The rule on the float32 numbers the page decodes: 0.1 % of the largest |response| of another unit."""
    others = np.abs(np.delete(s[:, j].astype("<f4").astype(float), j))
    return NEGLIGIBLE_FRACTION * float(others.max())


def test_explore_cuts_follow_the_response_maps_rule(us48):
    """Each unit's cut as the legend prints it: two significant digits of 0.1 % of its largest response to another
    unit; in the legend's scale (thousandths ...) when its limits are scaled; ZERO_BELOW of the own effect when the
    others' responses are numerically zero.  m/64, the lowest class's upper limit, is always above the cut."""
    from spillmap.maps.explore import _explore_cfg

    assert NEGLIGIBLE_FRACTION < 1 / 64  # the classes m/64 ... m never fall below the cut
    ids, s = decaying_response(us48)
    cfg = _explore_cfg(_columns(ids, s), ids, 0, "y")
    assert cfg["negligible"] == NEGLIGIBLE and cfg["negligible_fraction"] == NEGLIGIBLE_FRACTION
    assert cfg["cuts"] == [reading(_cut(s, j), digits=2) for j in range(len(ids))]
    tiny = _explore_cfg(_columns(ids, s, 1e-6), ids, 0, "y")
    j = ids.index("KS")
    labels, exponent = tiny["limits"][j]
    assert exponent > 0
    scaled = _cut(s * 1e-6, j) * 10**exponent
    assert abs(float(tiny["cuts"][j]) - scaled) <= 0.5 * 10 ** (np.floor(np.log10(scaled)) - 1)  # 2 significant digits
    assert float(tiny["cuts"][j]) < float(labels[1])
    lonely = np.eye(3) + 1e-12 * (1 - np.eye(3))  # responses of 1e-12 beside own effects of 1: numerically zero
    assert _explore_cfg(_columns(["a", "b", "c"], lonely), ["a", "b", "c"], 0, "y")["cuts"] == \
        [reading(ZERO_BELOW * 1.0, digits=2)] * 3


@pytest.mark.browser
def test_explore_map_draws_negligible_responses_grey(driver, us48, tmp_path, artifacts):  # noqa: F811
    """Click Washington: the states below the cut are grey and read "negligible (< cut)", the states with an exact
    0 response are white and read 0, the legend counts both, and the lowest class starts at the cut."""
    from spillmap.maps import save_map
    from spillmap.maps.explore import explore_map
    from spillmap.maps.scenario import ZERO

    ids, s = decaying_response(us48)
    j = ids.index("WA")
    s[[ids.index(z) for z in ZEROED], j] = 0.0
    path = tmp_path / "explore.html"
    save_map(explore_map(us48, _columns(ids, s), id="STATE_ABBR", name_column="STATE_NAME", y="y", start="ME"), path)
    driver.set_window_size(1400, 900)
    assert _open(driver, path) == []
    driver.execute_script("window.spillmapExplore.select('WA')")  # what a click does (test_map_numbers clicks)
    time.sleep(0.3)
    assert driver.execute_script("return window.spillmapExplore.current()") == "WA"
    col = s[:, j].astype("<f4").astype(float)
    cut = _cut(s, j)
    others = [i for i in range(len(ids)) if i != j]
    small = [ids[i] for i in others if col[i] != 0 and abs(col[i]) < cut]
    assert len(small) > 5
    legend = driver.find_element("css selector", ".spillmap-legend").text
    cut_text = reading(cut, digits=2)
    assert f"negligible: |response| < {cut_text} ({len(small)})" in legend, legend
    assert f"0: no path from the selected unit ({len(ZEROED)})" in legend, legend
    assert re.search(rf"^\+{re.escape(cut_text)} to \+", legend, re.M), legend
    assert "10\u207b\u2079" not in legend and not SCIENTIFIC.search(legend)
    fill = lambda i: driver.execute_script(  # noqa: E731
        "return window.spillmapExplore.element(arguments[0]).getAttribute('fill')", i)
    assert {fill(i) for i in small} == {NEGLIGIBLE} and {fill(z) for z in ZEROED} == {ZERO}
    assert NEGLIGIBLE not in {fill(ids[i]) for i in others if ids[i] not in small}
    far = ids[min((i for i in others if col[i] != 0), key=lambda i: abs(col[i]))]
    assert _tooltip_of(driver, far).rstrip().endswith(f"negligible (< {cut_text})")
    assert _tooltip_of(driver, ZEROED[0]).rstrip().endswith("\t0")
    driver.save_screenshot(str(artifacts / "explore_negligible32.png"))
