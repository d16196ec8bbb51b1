"""Open the demo report's maps in headless Chromium with the network disabled.

Checks: no console errors (a remote script/style would fail offline and log one),
one SVG ``path.leaflet-interactive`` per city, the legend and title drawn, strings
rendered as text (no script runs from a city name).  Screenshots go to
``$SPILLMAP_ARTIFACTS`` (default: pytest's tmp dir).  Skipped when Chromium,
chromedriver or selenium are missing (Debian: ``apt-get install chromium chromium-driver``;
``pip install selenium``).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",  # no network at all
    "--window-size=1280,900",
)


def _skip_reason() -> str | None:
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install selenium)"
    if not CHROMIUM or not DRIVER:
        return "no headless Chromium + chromedriver (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def driver():
    reason = _skip_reason()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for f in FLAGS:
        opts.add_argument(f)
    opts.binary_location = CHROMIUM
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(DRIVER), options=opts)
    d.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    yield d
    d.quit()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    p = Path(os.environ.get("SPILLMAP_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    p.mkdir(parents=True, exist_ok=True)
    return p


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory, driver):
    from spillmap.cli import main

    out = tmp_path_factory.getbasetemp() / "spillmap-demo-shared" / "report"  # shared with test_demo
    if not (out / "index.html").is_file():
        assert main(["demo", "--out", str(out), "--quiet"]) == 0
    return out


def _open(d, path: Path, wait_css: str = "path.leaflet-interactive", timeout: float = 15):
    d.get_log("browser")  # clear
    d.get(path.resolve().as_uri())
    t0 = time.time()
    while time.time() - t0 < timeout:
        if d.find_elements("css selector", wait_css):
            break
        time.sleep(0.2)
    time.sleep(0.3)
    return [e for e in d.get_log("browser") if e.get("level") in ("SEVERE", "ERROR")]


@pytest.mark.parametrize(
    ("name", "legend_text"),
    [
        ("choropleth.html", "gtfp, 2019"),
        ("lisa.html", "999 conditional permutations"),
        ("spillover_W1.html", "direct effect"),
        ("response_W2.html", "itself (direct)"),
    ],
)
def test_demo_map_renders_offline(driver, demo_out, artifacts, name, legend_text):
    errors = _open(driver, demo_out / "maps" / name)
    assert errors == [], errors
    paths = driver.find_elements("css selector", "path.leaflet-interactive")
    assert len(paths) == 297
    legend = driver.find_element("css selector", ".spillmap-legend").text
    assert legend_text in legend
    title = driver.find_element("css selector", ".spillmap-title").text
    assert "SYNTHETIC DEMONSTRATION DATA" in title
    assert driver.execute_script("return typeof L === 'object' && L.version") == "1.9.4"
    driver.save_screenshot(str(artifacts / f"demo_{name.replace('.html', '')}.png"))


def test_layer_switch_changes_legend(driver, demo_out):
    _open(driver, demo_out / "maps" / "choropleth.html")
    labels = driver.find_elements("css selector", ".leaflet-control-layers-base label")
    assert len(labels) == 24  # gtfp and int x 12 years
    target = next(lb for lb in labels if lb.text.strip() == "int 2010")
    target.click()
    time.sleep(0.3)
    legends = driver.find_elements("css selector", ".spillmap-legend")
    assert len(legends) == 1 and "int, 2010" in legends[0].text
    assert len(driver.find_elements("css selector", "path.leaflet-interactive")) == 297


def test_index_page(driver, demo_out, artifacts):
    driver.set_window_size(1300, 2600)
    try:
        errors = _open(driver, demo_out / "index.html", wait_css="iframe")
        assert errors == [], errors
        body = driver.find_element("css selector", "body").text
        assert "SYNTHETIC DEMONSTRATION DATA" in body
        assert "indirect effect of int" in body and "LR (SDM vs SAR)" in body
        assert len(driver.find_elements("css selector", "iframe")) == 10  # 6 maps + scenario and explore per W
        time.sleep(1.5)  # let the iframes draw
        driver.save_screenshot(str(artifacts / "demo_index.png"))
    finally:
        driver.set_window_size(1280, 900)


def test_city_name_is_text_not_markup(driver, tmp_path, us48):
    from spillmap.maps import choropleth_panel, save_map

    evil = '<img src=x onerror="window.__xss=1">'
    g = us48.copy()
    ks = int(np.flatnonzero(g["STATE_ABBR"].to_numpy() == "KS")[0])  # mid-map, not under a control
    g.loc[g.index[ks], "STATE_NAME"] = evil
    panel = pd.DataFrame({"STATE_ABBR": list(g["STATE_ABBR"]) * 2, "t": np.repeat([1, 2], 48),
                          evil: np.arange(96.0)})
    m = choropleth_panel(g, panel, id="STATE_ABBR", time="t", columns=[evil], name_column="STATE_NAME",
                         title=evil, notice=evil)
    save_map(m, tmp_path / "xss.html")
    errors = _open(driver, tmp_path / "xss.html")
    assert errors == [], errors
    assert driver.execute_script("return window.__xss") is None
    assert evil in driver.find_element("css selector", ".spillmap-title").text
    assert evil in driver.find_element("css selector", ".spillmap-legend").text
    assert evil in driver.find_element("css selector", ".leaflet-control-layers").text
    assert not driver.find_elements("css selector", ".leaflet-container img[src='x']")
    # hover Kansas: the tooltip shows the name as text
    from selenium.webdriver.common.action_chains import ActionChains

    kansas = driver.find_elements("css selector", "path.leaflet-interactive")[ks]
    ActionChains(driver).move_to_element(kansas).move_by_offset(2, 2).perform()
    time.sleep(0.5)
    tips = driver.find_elements("css selector", ".leaflet-tooltip")
    assert tips, "no tooltip on hover"
    assert evil in tips[0].text
    assert driver.execute_script("return window.__xss") is None
