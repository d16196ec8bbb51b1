"""Numbers the HTML maps print, one rule (:func:`spillmap.maps._classify.reading`, and its JavaScript twin
:data:`spillmap.maps._elements.READING_JS` for what the explore map prints at click time): plain decimals, never
scientific notation (the demo's maps printed "0 – 2.5e−12" legends, "1.579e−10" explore tooltips and "[6.873e-05,
0.0009172]" scenario intervals), and what is below 1e-9 of the map's largest magnitude reads "0" or falls in a
grey "negligible" class, as the static response figure draws it.  Display only: no computed number changes.

The browser tests run the JavaScript in headless Chromium and are skipped without it, as tests/test_browser.py.
"""
from __future__ import annotations

import html
import json
import re
import sys
import time
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from spillmap.maps._classify import ZERO_BELOW, bound_labels, class_labels, classify, magnitude_labels, reading

from .test_browser import _open, _tooltip_of, artifacts, driver  # noqa: F401, TID252  (shared fixtures)

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared helpers sit next to this file
from _map_helpers import SCIENTIFIC, decaying_response  # noqa: E402

MINUS = "\u2212"
#: scientific notation as a reader sees it: a digit, an e, a sign or digit ("2.5e−12", "1e-9", "7e+11")


def _decimal_reference(v: float, digits: int) -> str:
    """An independent reading of ``v``: the decimal module rounds the exact binary value to ``digits``
    significant digits (all the digits of an integer part), ties to even (as Python prints), written out as plain
    decimals."""
    d = Decimal(abs(v))
    exponent = d.adjusted()
    q = d.quantize(Decimal(1).scaleb(min(0, exponent - digits + 1)), rounding=ROUND_HALF_EVEN)  # integers: all digits
    if q.adjusted() > exponent and exponent - digits + 1 < 0:  # 9.9996 -> 10.00: one digit more before the point
        q = d.quantize(Decimal(1).scaleb(min(0, exponent - digits + 2)), rounding=ROUND_HALF_EVEN)
    text = f"{q:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return (MINUS if v < 0 else "") + text


@pytest.mark.parametrize(("value", "largest", "expected"), [
    (6.8731e-05, None, "0.00006873"),          # the scenario interval's "6.873e-05"
    (-0.0173812, None, f"{MINUS}0.01738"),
    (0.3805, None, "0.3805"),
    (0.1, None, "0.1"),                         # trailing zeros dropped, as .4g printed it
    (12345.6, None, "12,346"),                  # every digit of the integer part, no "1.235e+04"
    (9.99996e-05, None, "0.0001"),              # rounded up to a new power of ten
    (1e-17, 0.38, "0"),                         # 2.6e-17 of the largest: numerically zero
    (1.579e-10, 0.38, "0"),                     # 4.2e-10 of the largest (the demo's "1.579e−10")
    (8.281e-11, 0.0215, "0.00000000008281"),    # 3.9e-9 of the largest: printed, in plain decimals
    (0.0, None, "0"), (-0.0, None, "0"),
    (float("nan"), None, "no data"), (None, None, "no data"), (float("inf"), None, "no data"),
])
def test_reading_prints_plain_decimals(value, largest, expected):
    assert reading(value, largest=largest) == expected


def test_reading_rounds_as_the_decimal_module():
    """10,000 values from 1e-15 to 1e15, both signs, 2 to 5 digits: the decimal module's reading, no 'e'."""
    rng = np.random.default_rng(32)
    values = rng.choice([-1, 1], 10_000) * 10.0 ** rng.uniform(-15, 15, 10_000)
    for v, digits in zip(values, rng.integers(2, 6, values.size)):
        text = reading(float(v), digits=int(digits))
        assert text == _decimal_reference(float(v), int(digits)) and not SCIENTIFIC.search(text), (v, digits, text)


def test_legend_limits_of_tiny_effects_are_plain():
    """The demo's response map of Wuhan (W1) had the legend "0 – 2.5e−12 … 7.5e−06 – 0.133": its limits now read
    as plain decimals, apart, no limit other than 0 as 0; scenario legends keep their scale (millionths)."""
    bounds = [0.0, 2.5e-12, 3.2e-09, 8.8e-08, 7.5e-06, 0.13268]
    labels = bound_labels(bounds)
    assert not any(SCIENTIFIC.search(lab) for lab in labels), labels
    assert len(set(labels)) == len(labels) and all(lab.strip("0.") for lab, v in zip(labels, bounds) if v)
    c = classify(np.array(bounds[1:] * 3), scheme="user", bins=bounds[1:])
    assert not any(SCIENTIFIC.search(lab) for lab in class_labels(c))
    assert magnitude_labels([0.0, 7.7e-8, 2.3e-6, 1.96e-5]) == (["0", "0.077", "2.3", "20"], 6)  # unchanged


def test_scenario_colours_and_tooltips():
    """Numerically zero changes (1e-15 beside 0.016: float rounding) are white, "0 (no change)", and read "0";
    the tooltip's interval reads as its value, plain: "[0.00006873, 0.0009172]" next to "0.0004638"."""
    from spillmap.maps.scenario import ZERO, _unit_tips, diverging_classes

    v = np.array([0.016, 0.004, 0.001, 0.0002, 3e-5, 1e-15, -2e-16, 0.0])
    colors, entries = diverging_classes(v)
    assert colors[5] == colors[6] == colors[7] == ZERO and colors[4] != ZERO
    assert "0 (no change)" in [e[1] for e in entries]
    assert not any(SCIENTIFIC.search(e[1]) for e in entries)
    row = pd.Series({"total": 0.00046381, "own": 0.0, "received": 0.00046381, "ci_lower": 6.8731e-05,
                     "ci_upper": 0.00091718, "ci_includes_zero": False, "shocked": False})
    tips = dict(map(tuple, _unit_tips(row, SimpleNamespace(level=0.95, variables=[]), "y", largest=0.016)))
    assert tips["change of y"] == "0.0004638" and tips["95% interval"] == "[0.00006873, 0.0009172]"
    row[["total", "received", "ci_lower"]] = 1e-15
    tips = dict(map(tuple, _unit_tips(row, SimpleNamespace(level=0.95, variables=[]), "y", largest=0.016)))
    assert tips["change of y"] == "0" and tips["95% interval"] == "[0, 0.0009172]"


def test_response_map_draws_negligible_effects_grey(us48):
    """As the static response figure: effects below 0.1 % of the largest on another state are a grey
    "negligible" class, the others in classes whose limits read plainly."""
    from spillmap.maps._elements import Legend
    from spillmap.maps._offline import render_html
    from spillmap.maps.spillover import NEGLIGIBLE, unit_response_map

    ids, s = decaying_response(us48)
    j = ids.index("KS")
    response = pd.Series(s[:, j], index=ids)
    m = unit_response_map(us48, response, id="STATE_ABBR", source_id="KS", var="x")
    legends = [json.loads(c.html_js) for c in m._children.values() if isinstance(c, Legend)]
    entries = [html.unescape(e) for e in re.findall(r"</i>([^<]*)</div>", legends[0])]  # the lines, as shown
    page = render_html(m)
    negligible = [re.fullmatch(r"negligible: \|effect\| < ([0-9.]+) \((\d+)\)", e) for e in entries]
    legend = next(m for m in negligible if m)
    others = np.delete(s[:, j], j)
    assert legend.group(1) == reading(1e-3 * others.max(), digits=2)
    assert int(legend.group(2)) == int((others < 1e-3 * others.max()).sum()) > 0
    assert NEGLIGIBLE in page and len(entries) > 5 and not any(SCIENTIFIC.search(e) for e in entries), entries


def test_explore_legend_limits_are_the_python_legends(us48):
    """The explore map's class limits come from magnitude_labels for each unit, on the float32 numbers
    the page decodes, and read "0" when the other units' responses are numerically zero."""
    from spillmap.maps.explore import _class_limits

    ids, s = decaying_response(us48)
    sent = s.T.astype("<f4")
    receivers = np.broadcast_to(np.arange(len(ids)), sent.shape)
    limits = _class_limits(sent, receivers, list(np.diag(s)))
    j = ids.index("KS")
    m = float(np.abs(np.delete(sent[j], j).astype(float)).max())
    assert limits[j] == list(magnitude_labels([0.0, m / 64, m / 16, m / 4, m]))
    lonely = np.eye(3, dtype="<f4") + np.float32(1e-12) * (1 - np.eye(3, dtype="<f4"))
    assert _class_limits(lonely, np.broadcast_to(np.arange(3), (3, 3)), [1.0, 1.0, 1.0])[0] == [["0"] * 5, 0]


# ---------------------------------------------------------------------------------------------- in Chromium
_VALUES = [1.0625, 0.015625, 2.5, 0.125, 12.5, 1e21, 2.0**70, 123456789.123, 9.99996e-05, 0.0999996, 1e-300,
           -0.0, 0.0, 6.8731e-05, -0.0173812, 8.281e-11, 1.579e-10, 5e-324]


@pytest.mark.browser
def test_javascript_reading_prints_what_python_prints(driver):  # noqa: F811
    """READING_JS in Chromium against reading(): ties of the exact binary value (1.0625, 12.5 at 2 digits), powers of
    ten, 1e21 and beyond, subnormals, numerically zero, missing, and 3,000 random values of both signs."""
    from spillmap.maps._elements import READING_JS

    rng = np.random.default_rng(7)
    cases = [(v, None, d) for v in _VALUES for d in (2, 3, 4)] + [(v, 0.38, 4) for v in _VALUES]
    random = rng.choice([-1, 1], 3000) * 10.0 ** rng.uniform(-25, 25, 3000)
    cases += [(float(v), float(abs(v) * 10.0 ** rng.uniform(7, 11)), int(d))
              for v, d in zip(random, rng.integers(2, 6, 3000))]
    cases += [(None, None, 4)]
    got = driver.execute_script(READING_JS + "return arguments[0].map(function (c) { return reading(c[0], c[1], c[2]); })"
                                ".concat([reading(NaN), reading(Infinity), reading(-Infinity), reading(undefined)]);",
                                [list(c) for c in cases])
    expected = [reading(v, largest=ref, digits=d) for v, ref, d in cases] + ["no data"] * 4
    wrong = [(c, g, e) for c, g, e in zip([*cases, *["js"] * 4], got, expected) if g != e]
    assert not wrong, wrong[:10]


@pytest.mark.browser
def test_explore_map_reads_plain_after_a_click(driver, us48, tmp_path, artifacts):  # noqa: F811
    """Click a state: the legend, the panel and a far state's tooltip read plain decimals, and a far state whose
    response is below 1e-9 of the largest reads "negligible (< cut)" (stop 32: the response map's rule, 0.1 % of
    the largest response to another state; tests/test_explore_negligible32.py), not a long decimal."""
    from spillmap.maps import save_map
    from spillmap.maps.explore import explore_map

    ids, s = decaying_response(us48)
    cols = {"ids": ids, "variable": "x", "own": np.diag(s), "emitted": s.sum(axis=0) - np.diag(s), "matrix": s}
    path = tmp_path / "explore.html"
    save_map(explore_map(us48, cols, id="STATE_ABBR", name_column="STATE_NAME", y="y", start="ME"), path)
    driver.set_window_size(1400, 900)
    assert _open(driver, path) == []
    driver.execute_script("""
        var el = window.spillmapExplore.element('WA'), box = el.getBoundingClientRect();
        el.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: box.x + box.width / 2,
                                                  clientY: box.y + box.height / 2}));""")
    time.sleep(0.3)
    assert driver.execute_script("return window.spillmapExplore.current()") == "WA"
    text = driver.find_element("css selector", ".spillmap-legend").text
    text += driver.find_element("css selector", ".spillmap-explore").text
    j = ids.index("WA")
    far = int(np.argmin(np.abs(s[:, j])))
    tip = _tooltip_of(driver, ids[far])
    assert not SCIENTIFIC.search(text + tip), text + tip
    largest = max(abs(s[j, j]), float(np.abs(np.delete(s[:, j], j)).max()))
    assert abs(s[far, j]) < ZERO_BELOW * largest  # float32 of ~1e-15 of 1: below the threshold
    cut = 1e-3 * float(np.abs(np.delete(s[:, j].astype("<f4"), j)).max())  # NEGLIGIBLE_FRACTION of the largest
    assert tip.rstrip().endswith(f"negligible (< {reading(cut, digits=2)})") and "negligible: |response| <" in text
    driver.save_screenshot(str(artifacts / "map_numbers_explore.png"))

