"""Newcomer audit 29 #3.5: the click-to-explore map said "response of Gross state product (log) to +1 Public
capital (log)": +1 in a natural log is x times e, a +172 % change of public capital.  For a regressor
``log(x)`` the map now shows the response to x +10 % (+log(1.1) = +0.09531 in log(x)) and says so; the
model is linear in the change, so every number is the response to +1 times log(1.1), exactly.  For a
natural-log y the legend says that a change of 0.01 is about 1 %."""
from __future__ import annotations

import base64
import json
import math
import re

import numpy as np
import pytest

from spillmap.estimation import response_columns
from spillmap.maps._offline import render_html
from spillmap.maps.explore import explore_map, unit_change

from .test_scenario_maps import grid, sdm  # noqa: F401, TID252  (shared fixtures)

STEP = math.log(1.1)  # the reference: x +10 % is log(x) + log(1.1)


def _cfg(page: str) -> dict:
    return json.loads(re.search(r"var cfg = (\{.*?\});\n", page).group(1))


def _title(page: str) -> str:
    return json.loads(re.search(r"t\.textContent = (\".*?\");", page).group(1))


def test_a_log_regressor_is_changed_by_ten_percent(grid, sdm):  # noqa: F811
    cols = {**response_columns(sdm, "x1"), "variable": "Public capital (log)"}
    page = render_html(explore_map(grid, cols, id="id", y="Gross state product (log)", x_name="log(pcap)",
                                   y_name="log(gsp)"))
    cfg = _cfg(page)
    # own and emitted: float64 times log(1.1), one rounding each (1e-15 relative: the last bits of libm's log)
    np.testing.assert_allclose(cfg["own"], cols["own"] * STEP, rtol=1e-15)  # one product, JSON exact: 1 rounding
    np.testing.assert_allclose(cfg["emitted"], cols["emitted"] * STEP, rtol=1e-15)  # one product, JSON exact: 1 rounding
    values = np.frombuffer(base64.b64decode(cfg["values"]), dtype="<f4").reshape(30, 30)
    np.testing.assert_allclose(values.T, cols["matrix"] * STEP, rtol=1e-6)  # float32: 7 significant digits
    title = _title(page)
    assert title == "Click a unit: response of Gross state product (log) to +10 % of pcap (Public capital (log) " \
                    "+0.09531) there"
    assert "+1 Public capital" not in page
    assert cfg["legend_title"] == ("change of Gross state product (log) after +10 % of pcap (Public capital (log) "
                                   "+0.09531) in the selected unit")
    assert "Gross state product (log) is a natural logarithm: a change of 0.01 is about a 1 % change of gsp" \
        in cfg["legend_note"]
    assert "column of S times 0.09531" in cfg["help"]


def test_other_regressors_keep_plus_one(grid, sdm):  # noqa: F811
    cols = response_columns(sdm, "x1")
    page = render_html(explore_map(grid, cols, id="id", y="y"))
    cfg = _cfg(page)
    np.testing.assert_array_equal(cfg["own"], cols["own"])  # unchanged: +1 of x1
    assert _title(page) == "Click a unit: response of y to +1 x1 there"
    assert "natural logarithm" not in cfg["legend_note"] and cfg["help"].endswith("(column of S).")


@pytest.mark.parametrize(("name", "step", "words"), [
    ("log(pcap)", STEP, "+10 % of pcap (log(pcap) +0.09531)"),
    ("np.log( pcap )", STEP, "+10 % of pcap (np.log( pcap ) +0.09531)"),
    ("log10(pcap)", math.log10(1.1), "+10 % of pcap (log10(pcap) +0.04139)"),
    ("pcap", 1.0, "+1 pcap"),
])
def test_unit_change(name, step, words):
    got = unit_change(name)
    assert got[1] == words and got[0] == pytest.approx(step, rel=1e-15)  # log(1.1)/log(10): one rounding


def test_the_report_caption_names_the_change(tmp_path, grid, sdm):  # noqa: F811
    """The report's click-map figure caption and file (:func:`write_explore`, as the report calls it)."""
    from spillmap.maps._report_scenarios import write_explore

    cols = {**response_columns(sdm, "x1"), "variable": "Public capital (log)"}
    snippet = write_explore(cols, tmp_path, "explore_W1", layer=grid, idc="id", gname="name", y="Output (log)",
                            notice=None, caption="c", x_name="log(pcap)", y_name="log(gsp)")
    assert "explore_W1.html" in snippet
    page = (tmp_path / "maps" / "explore_W1.html").read_text(encoding="utf-8")
    assert "+10 % of pcap" in _title(page)
