"""Effects of a logarithm say how to read them on the spillover and response maps (planner audit 32 #6).

The US report's response map read "+1 Log public capital" with no word of what +1 of a logarithm is
(e, +172 %), beside an explore map of +10 %: the same Ohio -> Michigan link read -0.0242 and -0.0023.
"""
from __future__ import annotations

import math
import sys
import tomllib
from pathlib import Path

import pytest

from spillmap.maps._significance import log_reading

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared specs sit next to this file
from _specs import US_MAPS_ONLY  # noqa: E402


def test_log_reading_names_elasticities_and_the_steps():
    both = log_reading("log(pcap)", "log(gsp)", x_label="Public capital (log)", y_label="GSP (log)")
    assert both.startswith("Public capital (log) and GSP (log) are natural logarithms: the effects are elasticities")
    x_only = log_reading("log(pcap)", "unemp")
    assert "+1 multiplies pcap by e (+172 %)" in x_only  # e - 1 = 1.718
    assert f"{math.log(1.1):.4f} times these effects" in x_only and "0.0953" in x_only
    assert log_reading("unemp", "np.log(gsp)").endswith("a change of 0.01 is about a 1 % change of gsp.")
    assert log_reading("unemp", "emp") == "" and log_reading("log10(pcap)", "emp") == ""  # not natural: no claim


def test_the_report_maps_say_it(tmp_path):
    from spillmap.maps.report import render_report
    from spillmap.study import Study, run

    spec = US_MAPS_ONLY.format(maps='include = ["spillover", "response"]\nspillover_city = "OH"')
    res = run(Study.from_dict(tomllib.loads(spec), source="s.toml"))
    render_report(res, tmp_path / "r")
    for name in ("spillover_W1.html", "response_W1.html"):
        text = (tmp_path / "r" / "maps" / name).read_text(encoding="utf-8")
        assert "are natural logarithms: the effects are elasticities" in text, name


@pytest.mark.parametrize("reading", ["", "x is a natural logarithm: ..."])
def test_the_map_functions_take_the_sentence(us48, reading):
    import pandas as pd

    from spillmap.maps.spillover import unit_response_map

    s = pd.Series(range(len(us48)), index=us48["STATE_ABBR"], dtype=float)
    m = unit_response_map(us48, s, id="STATE_ABBR", source_id="OH", var="x", y="y", reading=reading)
    assert (reading in m.get_root().render()) if reading else m is not None
