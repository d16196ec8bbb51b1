"""The paper's audit on screen, in headless Chromium (skipped without Chromium / chromedriver / selenium, as
tests/test_browser.py): the response map's source entry and its tooltips read with the minus sign U+2212 as
the class limits do, and a choropleth's legend reads the descriptive table's min and max (log(gsp) of
Produc: 8.379 and 13.049, no longer 13.048)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap.maps import choropleth_panel, save_map
from spillmap.maps.spillover import unit_response_map

from .test_browser import _open, _tooltip_of, artifacts, driver  # noqa: F401, TID252  (shared fixtures)

pytestmark = pytest.mark.browser

MINUS = "\u2212"


def test_response_map_reads_minus_signs(driver, us48, tmp_path, artifacts):  # noqa: F811
    ids = list(us48["STATE_ABBR"])
    response = pd.Series(-np.geomspace(1e-4, 4e-3, len(ids)), index=ids)
    response["PA"] = -0.0173812
    path = tmp_path / "response.html"
    save_map(unit_response_map(us48, response, id="STATE_ABBR", source_id="PA", var="Public capital (log)",
                               name_column="STATE_NAME", unit="state"), path)
    driver.set_window_size(1400, 900)
    assert _open(driver, path) == []
    legend = driver.find_element("css selector", ".spillmap-legend").text
    assert f"Pennsylvania itself (direct): {MINUS}0.01738" in legend
    assert "-0" not in legend.replace("–", "")  # no ASCII hyphen before a number
    driver.save_screenshot(str(artifacts / "maps31_response.png"))
    tip = _tooltip_of(driver, "OH")
    assert MINUS in tip and "-0" not in tip, tip
    assert f"{MINUS}0.0174" in _tooltip_of(driver, "PA")


def test_choropleth_legend_reads_table_1(driver, us48, tmp_path, artifacts):  # noqa: F811
    from spillmap.datasets import produc

    panel = produc().assign(**{"log(gsp)": lambda d: np.log(d["gsp"])}).rename(columns={"state_abbr": "STATE_ABBR"})
    path = tmp_path / "choropleth.html"
    save_map(choropleth_panel(us48, panel, id="STATE_ABBR", time="year", columns=["log(gsp)"]), path)
    driver.set_window_size(1400, 900)
    assert _open(driver, path) == []
    legend = driver.find_element("css selector", ".spillmap-legend").text
    assert "range 8.379 – 13.049" in legend, legend  # Table 1: min 8.379, max 13.049
    driver.save_screenshot(str(artifacts / "maps31_choropleth.png"))
