"""Stop 33, brief item 2: the scenario maps' tooltips name the unit's group ("Census division", "Province"),
as the click-to-explore maps' do since stop 32 (``explore_map(group=...)``), the report passing the study's
group column under its label; checked in the HTML and once in headless Chromium."""
from __future__ import annotations

import sys
from pathlib import Path
import json
import re
import warnings

import pandas as pd
import pytest

from spillmap.estimation import scenario
from spillmap.maps._offline import render_html
from spillmap.maps.scenario import scenario_map

from .test_browser import _open, _tooltip_of, demo_out, driver  # noqa: F401, TID252  (shared fixtures)

sys.path.insert(0, str(Path(__file__).parent))  # a plain module: see tests/_scenario_fixtures.py
from _scenario_fixtures import grid, sdm  # noqa: E402, F401  (shared fixtures)


def _tips(page: str) -> dict[str, list]:
    """``{id: base tooltip rows}`` of every feature embedded in ``page`` (the sample's and the context's)."""
    out = {}
    for m in re.findall(r"var spillmap_geo_data_\w+ = (\{.*?\});\n", page, re.S):
        for f in json.loads(m)["features"]:
            out[f["properties"]["id"]] = f["properties"]["base_tip"]
    return out


def test_scenario_map_tooltips_have_the_group_row(grid, sdm):  # noqa: F811
    layer = grid.assign(Province=["North" if int(i) < 15 else "South" for i in grid["id"]])
    extra = layer.iloc[[0]].assign(id="99", name="Outside", Province="East")  # a unit not in the sample
    extra["geometry"] = extra.translate(xoff=10).geometry
    layer = type(layer)(pd.concat([layer, extra], ignore_index=True), crs=layer.crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = scenario(sdm, "x2", ["7"], change=0.5, draws=100)
    page = render_html(scenario_map(layer, r, id="id", name_column="name", group="Province"))
    tips = _tips(page)
    assert tips["7"] == [["City 7", ""], ["Province", "North"], ["id", "7"]]   # under the names, as explore_map
    assert tips["20"][1] == ["Province", "South"]
    assert tips["99"][1] == ["Province", "East"]                              # "not in sample" too
    assert "Province boundaries" in page                                       # the outlines' legend line


@pytest.mark.browser
def test_report_scenario_map_tooltip_names_the_province(driver, demo_out):  # noqa: F811
    """The demo report's scenario map (group ``province``, labelled "Province" in its spec), hovered in
    Chromium: Wuhan's tooltip reads its province under its name."""
    path = demo_out / "maps" / "scenario_hubei_W1.html"
    page = path.read_text(encoding="utf-8")
    assert _tips(page)["420100"][1][0] == "Province"
    driver.set_window_size(1400, 900)
    assert _open(driver, path) == []
    lines = _tooltip_of(driver, "420100").splitlines()
    assert lines[0].startswith("武汉市") and re.match(r"Province\s+湖北", lines[1]), lines
    assert "change of Green TFP" in "\n".join(lines)
