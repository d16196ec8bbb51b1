"""A paper's audit: the response map printed "Pennsylvania itself (direct): -0.01738" with an ASCII hyphen
where every other label of the maps (class limits, average effects) and the printed tables use the minus sign
U+2212.  Numbers shown to a reader (legend entries, tooltips) now use U+2212 on every map; what programs read
(the unit ids and colours in the page's data, the CSV tables) keeps its ASCII '-'."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from spillmap.maps import choropleth, render_html
from spillmap.maps._layers import format_value
from spillmap.maps.spillover import spillover_map, unit_response_map

MINUS = "\u2212"
#: an ASCII hyphen used as a minus sign: before a digit and not inside a word, a number or a range
HYPHEN_MINUS = re.compile(r"(?<![\w.\-])-(?=\.?\d)")


def _legends(html: str) -> list[str]:
    return [json.loads(s) for s in re.findall(r"div\.innerHTML = (\".*?\");", html)]


def _features(html: str) -> list[dict]:
    m = re.search(r"var spillmap_geo_data_\w+ = (\{.*?\});\n", html, re.S)
    assert m, "no embedded geometry"
    return json.loads(m.group(1))["features"]


def _tip_values(feature: dict, key: str = "t0") -> list[str]:
    return [value for _, value in feature["properties"][key]]


@pytest.fixture()
def response(us48) -> pd.Series:
    """The US study's response to +1 log(pcap) in Pennsylvania: its own -0.01738, the others' small and negative."""
    ids = list(us48["STATE_ABBR"])
    r = pd.Series(-np.geomspace(1e-4, 4e-3, len(ids)), index=ids)
    r["PA"] = -0.0173812
    return r


def test_response_map_source_entry_and_tooltips_use_the_minus_sign(us48, response):
    html = render_html(unit_response_map(us48, response, id="STATE_ABBR", source_id="PA", var="Public capital (log)",
                                         name_column="STATE_NAME", unit="state"))
    (legend,) = _legends(html)
    assert f"Pennsylvania itself (direct): {MINUS}0.01738" in legend
    assert not HYPHEN_MINUS.search(legend), legend
    feats = {f["properties"]["id"]: f for f in _features(html)}
    assert _tip_values(feats["PA"]) == [f"{MINUS}0.0174"]
    shown = [v for f in feats.values() for v in _tip_values(f)]
    assert all(v.startswith(MINUS) for v in shown) and not any("-" in v for v in shown), shown
    # what the page's scripts read stays as it was: ids as given, colours as hex
    assert set(feats) == set(response.index) and all(re.fullmatch(r"#[0-9a-f]{6}", f["properties"]["c0"])
                                                      for f in feats.values())


def test_spillover_map_tooltips_use_the_minus_sign(us48):
    rng = np.random.default_rng(0)
    ids = list(us48["STATE_ABBR"])
    effects = pd.DataFrame({"direct": rng.uniform(-0.024, -0.013, 48), "indirect_received": rng.uniform(-0.1, 0.09, 48),
                            "indirect_emitted": rng.uniform(-0.17, -0.03, 48)}, index=pd.Index(ids, name="id"))
    html = render_html(spillover_map(us48, effects, id="STATE_ABBR", var="x", unit="state"))
    for legend in _legends(html):
        assert not HYPHEN_MINUS.search(legend), legend
    for f in _features(html):
        for key in ("t0", "t1", "t2"):
            (value,) = _tip_values(f, key)
            number = float(value.replace(MINUS, "-").replace(",", ""))  # the reader's number, read back
            true = effects.loc[f["properties"]["id"], ["direct", "indirect_received", "indirect_emitted"][int(key[1])]]
            assert "-" not in value and number == pytest.approx(true, abs=5e-5)
            assert value.startswith(MINUS) == (number < 0)


def test_choropleth_tooltips_use_the_minus_sign(us48):
    g = us48.assign(v=np.random.default_rng(1).normal(size=len(us48)))
    feats = _features(render_html(choropleth(g, "v", id="STATE_ABBR")))
    values = [v for f in feats for v in _tip_values(f)]
    assert any(v.startswith(MINUS) for v in values) and not any("-" in v for v in values), values


@pytest.mark.parametrize(("text", "shown"), [
    ("-0.01738", f"{MINUS}0.01738"), ("0.367", "0.367"), ("-12,345.7", f"{MINUS}12,345.7"),
    ("-0.000", "0.000"),             # a number that reads as zero has no sign, as in the tables
    ("-1.2e-05", f"{MINUS}1.2e{MINUS}05"), ("-inf", f"{MINUS}inf"),
])
def test_display_number(text, shown):
    from spillmap.maps._layers import display_number

    assert display_number(text) == shown


def test_format_value_and_significant():
    from spillmap.maps._layers import format_significant

    assert format_value(-0.0173812, 4) == f"{MINUS}0.0174" and format_value(-1e-6, 3) == "0.000"
    assert format_value(float("nan"), 2) == format_significant(None) == "no data"
    assert format_significant(-0.0173812) == f"{MINUS}0.01738" and format_significant(0.3671234) == "0.3671"
