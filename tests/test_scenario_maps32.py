"""Scenario maps after the planner's audit 32 (#1, #4, #5, #7): one negligible rule shared with the response map,
true zeros apart, tooltips with the tables' decimals, greyed swatches that are the colours drawn, changed units
classed apart from what the others receive."""
from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest

from spillmap.estimation import scenario
from spillmap.maps._offline import render_html
from spillmap.maps.scenario import GREYED_NEGATIVE, GREYED_POSITIVE, NEGATIVE, POSITIVE, ZERO, scenario_classes, \
    scenario_map
from spillmap.maps.spillover import NEGLIGIBLE

from .test_scenario_maps import grid, sdm  # noqa: F401, TID252  (shared fixtures)


def _lab(color: str) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour: the CIE 1976 definitions (sRGB companding, IEC 61966-2-1)."""
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    rgb = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    f = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(f > (6 / 29) ** 3, np.cbrt(f), f / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _features(page: str) -> list[dict]:
    found = [json.loads(m)["features"] for m in re.findall(r"var spillmap_geo_data_\w+ = (\{.*?\});\n", page, re.S)]
    return next(f for f in found if "c0" in f[0]["properties"])


def _legends(page: str) -> list[str]:
    return [json.loads(s) for s in re.findall(r"div\.innerHTML = (\".*?\");", page)]


def test_negligible_class_apart_from_true_zeros():
    """#1: |change| < 0.1 % of the largest is "negligible" (the response map's grey), exactly 0 is white, each
    with its count; the cut is stated (0.1 % of 0.041 = 0.000041)."""
    v = np.array([0.041, 0.009, 0.0012, 3e-5, 3e-16, -2e-12, 0.0, 0.0, np.nan])
    colors, entries, _ = scenario_classes(v, cut=1e-3 * 0.041, decimals=5)
    assert colors[3:6] == [NEGLIGIBLE] * 3 and colors[6:8] == [ZERO] * 2
    labels = [e[1] for e in entries]
    assert "negligible: |change| < 0.000041 (3)" in labels and "0: no path from the changed units (2)" in labels


def test_changed_units_get_a_class_of_their_own():
    """#7, the audit's Guangdong numbers: changed cities at 0.026-0.041, the others at 0.0012-0.009; no class
    holds both, and the legend says which class holds the changed cities."""
    others, changed = np.linspace(0.0012, 0.009, 30), np.linspace(0.026, 0.041, 21)
    v = np.r_[others, changed]
    colors, entries, how = scenario_classes(v, cut=1e-3 * 0.041, decimals=5, changed=np.r_[[False] * 30, [True] * 21],
                                            units="cities")
    assert set(colors[30:]) == {POSITIVE[3]} and POSITIVE[3] not in colors[:30]
    assert entries[0] == (POSITIVE[3], "+0.00900 to +0.04100 (21, changed cities)")
    assert "percentiles" in how and "changed cities" in how


@pytest.fixture(scope="module")
def negative(grid, sdm):  # noqa: F811
    attrs = grid.set_index("id")[["name"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = scenario(sdm, "x2", ["7", "3"], change=0.5, attributes=attrs, names="name", draws=200)
    return r, render_html(scenario_map(grid, r, id="id", name_column="name"))


def test_greyed_swatches_are_the_colours_drawn(negative):
    """#4: a greyed swatch per sign present, each the fill of its greyed units, and far from "not in sample"
    (#d9d9d9; the audit measured delta E 5) and the negligible grey."""
    r, page = negative
    f = r.to_frame()
    fills = {p["properties"]["id"]: p["properties"]["c0"] for p in _features(page)}
    grey_ids = [i for i in f.index if f.at[i, "ci_includes_zero"] and fills[i] not in (NEGLIGIBLE, ZERO)]
    assert grey_ids                                                       # the x2 spillovers are uncertain
    used = {fills[i] for i in grey_ids}
    assert used == {GREYED_NEGATIVE if f.at[i, "total"] < 0 else GREYED_POSITIVE for i in grey_ids}
    swatches = set(re.findall(r'background:(#[0-9a-f]{6})"></i>greyed', _legends(page)[0]))
    assert swatches == used
    for c in (GREYED_POSITIVE, GREYED_NEGATIVE):
        # 15: well above the audit's 5 and the ~2.3 "just noticeable" difference of CIE76, so a glance tells them apart
        assert np.linalg.norm(_lab(c) - _lab("#d9d9d9")) > 15
        assert np.linalg.norm(_lab(c) - _lab(NEGLIGIBLE)) > 10   # 10: clearly different, not merely noticeable
        assert all(np.linalg.norm(_lab(c) - _lab(k)) > 10 for k in POSITIVE + NEGATIVE)


def test_tooltips_print_the_tables_numbers(negative):
    """#1, #5: the tooltip of each unit of the largest-spillovers table reads as the table's cells (same
    decimals, '<0.00001' for a bound the table prints so); no tooltip has more decimals than the table."""
    from spillmap.maps._report_scenarios import top_table
    from spillmap.maps._scenario_tables import scenario_top_table
    from spillmap.tables import to_csv

    r, page = negative
    table = scenario_top_table(top_table(r, 10), level=r.level, labels=None, unit="unit", caption="c")
    rows = [line.split('","') for line in to_csv(table, kind="formatted").splitlines()[1:] if line.startswith('"')]
    tips = {p["properties"]["id"]: dict(map(tuple, p["properties"]["t0"])) for p in _features(page)}
    dec = int(table.rows["decimals"].iloc[0])
    checked = 0
    for row in rows:
        uid = re.search(r"\((\w+)\)", row[0]).group(1)
        total, lo, hi = (c.strip('"') for c in row[-3:])
        tip = tips[uid]
        if not tip["change of y"].startswith("negligible"):
            assert tip["change of y"] == total
            checked += 1
        assert tip["95% interval"] == f"[{lo}, {hi}]"
    assert checked >= 5
    numbers = [t for tip in tips.values() for t in re.findall(r"\d+\.(\d+)", " ".join(tip.values()))]
    assert max(map(len, numbers)) <= dec + 1   # + 1: the negligible cut with two significant digits
