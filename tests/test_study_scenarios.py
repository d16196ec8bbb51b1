"""[scenarios.NAME] in a study: spec validation, the run step, results.json round trip, stored inputs."""
from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spillmap.errors import InputError
from spillmap.study import Study, StudyResults, run
from spillmap.study._schema import SpecError

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared helper sits next to this file
from _demo_shared import assert_steps_counted  # noqa: E402

#: every digit back from a CSV: pandas < 3's default float parser is not exact; pandas >= 3's is, and
#: deprecates the option
EXACT_CSV = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}

US = """
title = "Produc: scenarios"
unit_label = "state"
[layer]
path = "us48"
id = "STATE_ABBR"
name_column = "STATE_NAME"
group_column = "SUB_REGION"
[panel]
path = "produc"
id = "state_abbr"
time = "year"
[model]
y = "log(gsp)"
x = ["log(pcap)", "unemp"]
draws = 200
seed = 5
[weights.W1]
kind = "contiguity"
islands = "nearest"
[tables]
include = ["effects"]
[maps]
permutations = 49
[scenarios.newengland]
variable = "log(pcap)"
change = 0.1
units = { SUB_REGION = "N Eng" }
[scenarios.two]
variable = ["log(pcap)", "unemp"]
change = [2, "Ohio"]
kind = ["percent", "to_unit"]
units = ["Texas", "OK"]
method = "delta"
"""


def _study(text: str = US) -> Study:
    return Study.from_dict(tomllib.loads(text), source="s.toml")


@pytest.fixture(scope="module")
def us_results():
    return run(_study())


@pytest.mark.parametrize(("edit", "match"), [
    (('variable = "log(pcap)"\n', 'variable = "pgdp"\n'),
     r"key 'scenarios.newengland.variable': 'pgdp' is not among model.x"),
    (('kind = ["percent", "to_unit"]', 'kind = ["percent", "to_unit", "percent"]'),
     r"key 'scenarios.two.kind': has 3 values for 2 variables"),
    (('kind = ["percent", "to_unit"]', 'kind = ["percent", "relative"]'),
     r"key 'scenarios.two.kind': 'relative' is not one of 'absolute', 'percent', 'to_unit', 'to_quantile'"),
    (('method = "delta"', 'method = "delta"\nw = ["W9"]'), r"key 'scenarios.two.w': 'W9' is not one of"),
    (('method = "delta"', 'method = "delta"\nunts = "all"'), r"key 'scenarios.two.unts': unknown key \(did you "
                                                             r"mean 'units'\?\)"),
    (('units = ["Texas", "OK"]', 'units = []'), r"key 'scenarios.two.units': must list unit ids or names"),
    (('change = [2, "Ohio"]', 'change = ["2", "Ohio"]'),
     r"key 'scenarios.two.change': must be a finite number for kind = 'percent' \(variable 'log\(pcap\)'\); got '2'"),
    (('change = [2, "Ohio"]', 'change = [2, 1.5]'),
     r"key 'scenarios.two.change': must be a unit id or name for kind = 'to_unit' \(variable 'unemp'\); got 1.5"),
    (('change = [2, "Ohio"]', 'change = [2, true]'), r"must be a unit id or name for kind = 'to_unit'"),
    (('change = 0.1', 'change = nan'), r"key 'scenarios.newengland.change': must be a finite number for kind = "
                                       r"'absolute' \(variable 'log\(pcap\)'\); got nan"),
    (('kind = ["percent", "to_unit"]', 'kind = ["percent", "to_quantile"]'),
     r"key 'scenarios.two.change': must be a quantile between 0 and 1 for kind = 'to_quantile'"),
])
def test_bad_scenario_spec_names_the_key(edit, match):
    with pytest.raises(SpecError, match=match):
        _study(US.replace(*edit))


@pytest.mark.parametrize(("edit", "match"), [
    (('method = "delta"', 'method = "delta"\ndraws = 5000'), r"key 'scenarios.two.draws': draws are for method"),
    (('method = "delta"', 'method = "delta"\nwithin = "REGION"'),
     r"key 'scenarios.two.within': is the reference group of kind = \"to_quantile\""),
])
def test_keys_that_would_do_nothing_are_refused(edit, match):
    """draws with the delta method, within without a to_quantile change: refused naming the key, as
    the command line refuses the flags (study audit 2026-12-01: they were silently ignored)."""
    from spillmap.study._schema import SpecError

    with pytest.raises(SpecError, match=match):
        _study(US.replace(*edit))


def test_spec_round_trip_and_reference_example():
    from spillmap.study._reference import SCENARIO_EXAMPLE

    s = _study()
    again = Study.from_dict(tomllib.loads(s.to_toml()), source="s.toml")
    assert again.scenarios == s.scenarios and s.scenarios[1].change == (2.0, "Ohio")
    demo = tomllib.loads((_demo_path()).read_text(encoding="utf-8"))
    demo["scenarios"] = tomllib.loads(SCENARIO_EXAMPLE)["scenarios"]
    assert [x.name for x in Study.from_dict(demo).scenarios] == ["hubei", "laggards"]


def _demo_path():
    from spillmap import datasets

    return datasets.data_path("demo_report.toml")


@pytest.mark.parametrize(("edit", "match"), [
    (('units = { SUB_REGION = "N Eng" }', 'units = { SUB_REGION = "New England" }'),
     r"scenarios.newengland.units: units: no unit has SUB_REGION = 'New England' \(closest: 'N Eng'\)"),
    (('units = ["Texas", "OK"]', 'units = ["Texas", "Ohoi"]'),
     r"scenarios.two.units: units: 1 unknown unit\(s\): 'Ohoi' \(closest: 'Ohio'"),
    (('units = ["Texas", "OK"]', 'units = ["Texas"]\ngroups = ["REGION"]'), r"scenarios.two.groups: groups: "),
])
def test_bad_units_fail_before_any_fit(edit, match, monkeypatch):
    import spillmap.study._steps_model as steps

    monkeypatch.setattr(steps, "model_block", lambda *a, **k: pytest.fail("a model was fitted before the check"))
    with pytest.raises(InputError, match=match):
        run(_study(US.replace(*edit)))


def test_run_stores_scenarios_and_round_trips(us_results):
    r = us_results
    assert set(r.scenarios["runs"]) == {"newengland", "two"}
    again = StudyResults.from_json(r.to_json())
    assert again == r
    from spillmap.estimation import ScenarioResult

    ne = ScenarioResult.from_dict(r.scenarios["runs"]["newengland"]["W1"])
    f = ne.to_frame()
    assert f["shocked"].sum() == 6 and ne.method == "simulation" and ne.draws == 200   # model.draws
    assert ("SUB_REGION", "N Eng") in ne.groups.index                                    # default groups
    assert set(f.loc[f["shocked"], "name"]) >= {"Maine", "Vermont"}
    two = ScenarioResult.from_dict(r.scenarios["runs"]["two"]["W1"])
    assert set(two.to_frame().index[two.to_frame()["shocked"]]) == {"TX", "OK"} and two.method == "delta"


def test_stored_inputs_reproduce_the_run_exactly(us_results):
    """A scenario from results.json alone equals the one computed on the live fit (same numbers)."""
    from spillmap.estimation import scenario
    from spillmap.study._steps_scenarios import scenario_options
    from spillmap.study.scenarios import stored_attributes, stored_model

    r = StudyResults.from_json(us_results.to_json())
    spec = Study.from_dict(dict(r.spec))
    attrs = stored_attributes(r)
    for s in spec.scenarios:
        res = scenario(stored_model(r, "W1"), **scenario_options(spec, s, attrs), label="SDM, W1")
        assert res.to_dict() == dict(_thaw(r.scenarios["runs"][s.name]["W1"]))


def _thaw(x):
    from spillmap.study.records import thaw

    return thaw(x)


def test_explore_columns_stored(us_results):
    from spillmap.estimation import unit_response
    from spillmap.study.scenarios import decode_array, stored_model

    ex = us_results.scenarios["explore"]["W1"]["log(pcap)"]
    mat = decode_array(ex["matrix"])
    m = stored_model(us_results, "W1")
    j = list(m.ids).index("OH")
    np.testing.assert_allclose(mat[:, j], unit_response(m, "log(pcap)", "OH").to_numpy(), rtol=1e-10)
    assert np.allclose(decode_array(ex["own"]), np.diag(mat), rtol=1e-13)


def test_stored_model_needs_inputs(us_results):
    from dataclasses import replace

    from spillmap.study.scenarios import stored_model

    with pytest.raises(InputError, match="no scenario inputs for weights 'W2'"):
        stored_model(us_results, "W2")
    old = replace(us_results, scenarios={})
    with pytest.raises(InputError, match="available: none"):
        stored_model(old, "W1")


# ------------------------------------------------------------------ the CLI
def test_cli_on_results_json(us_results, tmp_path, capsys):
    import json

    from spillmap.cli import main
    from spillmap.estimation import scenario
    from spillmap.study.scenarios import stored_attributes, stored_model

    (tmp_path / "results.json").write_text(us_results.to_json(), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["scenario", str(tmp_path / "results.json"), "--variable", "unemp", "--change", "-1", "--units", "TX",
            "--units", "Oklahoma", "--method", "delta", "--groups", "SUB_REGION", "--out", str(out)]
    assert main(argv) == 0
    printed, err = capsys.readouterr()
    assert err.startswith("[1/1 ") and "scenario unemp on the SDM of W1" in err  # nothing to fit: one step
    assert "unemp -1 (W1): 2 units changed; total change of log(gsp)" in printed
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert files == {"maps/scenario_unemp_W1.html", "figures/scenario_unemp_W1.png", "figures/scenario_unemp_W1.pdf",
                     "results/unemp_W1.json", "tables/scenario_unemp_W1.docx", "tables/scenario_unemp_W1.xlsx",
                     *(f"tables/scenario_unemp_W1_{t}{e}" for t in ("top", "groups")
                       for e in (".csv", "_formatted.csv", ".tex", ".docx", ".xlsx", ".md"))}
    import openpyxl  # the workbook's sheets named for what they hold, not by captions cut to 31 characters

    assert openpyxl.load_workbook(out / "tables" / "scenario_unemp_W1.xlsx").sheetnames == [
        "largest spillovers", "totals by group"]
    direct = scenario(stored_model(us_results, "W1"), "unemp", ["TX", "Oklahoma"], change=-1.0, method="delta",
                      seed=5,
                      attributes=stored_attributes(us_results), names="STATE_NAME", groups=["SUB_REGION"],
                      label="SDM, W1")
    assert json.loads((out / "results" / "unemp_W1.json").read_text(encoding="utf-8")) == json.loads(
        json.dumps(direct.to_dict()))
    # EXACT_CSV: the claim is every digit
    top = pd.read_csv(out / "tables" / "scenario_unemp_W1_top.csv", dtype={"id": str},
                      **EXACT_CSV).set_index("id")
    expected = direct.top_receivers(10, shocked=False)
    assert list(top.index) == list(expected.index)
    np.testing.assert_array_equal(top["received"], expected["received"])   # CSV keeps every digit
    assert main(argv) == 2 and "exists" in capsys.readouterr().err         # nothing overwritten without --force


def test_cli_on_the_spec_refits_only_the_sdm(us_results, tmp_path, capsys, monkeypatch):
    """`--name` runs the spec's scenario; the SDM refitted alone equals the study's: same numbers."""
    from spillmap.cli import main

    monkeypatch.setattr("spillmap.study._steps_model.model_block", lambda *a, **k: pytest.fail("whole study run"))
    spec = tmp_path / "study.toml"
    # labels name the variables in the maps and figures only: the results are the unlabelled study's
    labels = 'labels = { "log(gsp)" = "Output (log)", "log(pcap)" = "Public capital (log)" }\n'
    spec.write_text(US.replace('x = ["log(pcap)", "unemp"]\n', 'x = ["log(pcap)", "unemp"]\n' + labels, 1),
                    encoding="utf-8")
    out = tmp_path / "out"
    assert main(["scenario", str(spec), "--name", "newengland", "--explore", "--out", str(out)]) == 0
    err = capsys.readouterr().err  # load, build + fit W1, the scenario, the explore map: [1/5 ...] to [5/5 ...]
    assert_steps_counted(err)
    assert err.count("\n") == 5 and "[5/5" in err
    doc = json.loads((out / "results" / "newengland_W1.json").read_text(encoding="utf-8"))
    from spillmap.study.records import thaw

    assert doc == json.loads(json.dumps(thaw(us_results.scenarios["runs"]["newengland"]["W1"])))
    explore = (out / "maps" / "explore_W1_log_pcap_.html").read_text(encoding="utf-8")
    # log(pcap) is changed by +10 % of pcap, log(1.1) = 0.09531 in log(pcap) (+1 would be +172 %)
    assert "Output (log) after +10 % of pcap (Public capital (log) +0.09531)" in explore
    scenario_map = (out / "maps" / "scenario_newengland_W1.html").read_text(encoding="utf-8")
    assert "Output (log) received from other states" in scenario_map and "log(gsp) received" not in scenario_map


@pytest.mark.parametrize(("args", "match"), [
    (["--name", "nope"], "no scenario 'nope' in"),
    (["--variable", "unemp", "--change", "1", "--units", "Texs"], r"error: --units: .*'Texs' \(closest: "
                                                                   r"'Texas'"),
    (["--variable", "unemp"], "--change is required"),
    (["--variable", "pgdp", "--change", "1"], r"--variable: 'pgdp' is not among the model's regressors"),
    (["--variable", "unemp", "--change", "1", "--units", "TX", "--units", "SUB_REGION=Mtn"], "not both"),
    (["--variable", "unemp", "--change", "abc"], r"error: --change: must be a finite number for --kind "
                                                 r"absolute \(variable 'unemp'\); got 'abc'"),
])
def test_cli_errors(tmp_path, capsys, args, match):
    from spillmap.cli import main

    spec = tmp_path / "study.toml"
    spec.write_text(US, encoding="utf-8")
    assert main(["scenario", str(spec), *args, "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert re.search(match, err), err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_demo_hubei_from_the_command_line(tmp_path, capsys):
    """Done-when of issue 15: int +0.02 in every city of Hubei writes the map, the table and the figure."""
    from spillmap.cli import main

    out = tmp_path / "hubei"
    assert main(["scenario", "demo", "--variable", "int", "--change", "0.02", "--units", "province_en=Hubei",
                 "--w", "W1", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    # the study's labels, as the report's scenario (planner audit 32 #11: "int +0.02", "of gtfp" before), and an
    # estimate with its interval at one number of decimals (was "0.195134 [0.132208, 0.263153]" by %.6g)
    line = next(t for t in printed.splitlines() if "units changed" in t)
    assert line.startswith("Industrial intelligence +0.02 (W1): 12 units changed; total change of Green TFP "), line
    numbers = re.findall(r"-?\d+\.(\d+)", line.split("total change of Green TFP ")[1].split(", received")[0])
    assert len(numbers) == 3 and len(set(map(len, numbers))) == 1, line
    assert printed.rstrip().endswith(f"; open the map {out}/maps/scenario_int_W1.html")  # what to open (no page before)
    for f in ("maps/scenario_int_W1.html", "tables/scenario_int_W1_top.csv", "tables/scenario_int_W1_groups.csv",
              "figures/scenario_int_W1.png"):
        assert (out / f).stat().st_size > 0
    # synthetic data say so in the report's words: first on screen and in the JSON, on tables and maps
    # (they said "SYNTHETIC demonstration data" alone, and nothing on screen or in the JSON, until stop 32)
    from spillmap.datasets import DEMO_NOTICE

    assert printed.startswith(DEMO_NOTICE + "\n\n"), printed[:200]
    doc = json.loads((out / "results" / "int_W1.json").read_text(encoding="utf-8"))
    assert next(iter(doc)) == "notice" and doc["notice"] == DEMO_NOTICE
    for f in ("tables/scenario_int_W1_top.md", "maps/scenario_int_W1.html"):
        assert DEMO_NOTICE in (out / f).read_text(encoding="utf-8"), f


def test_the_default_scenario_name_of_a_transformed_variable_has_no_stray_underscores():
    from spillmap.cli._scenario import default_name

    assert default_name("log(price/cpi)") == "log_price_cpi"  # was "log_price_cpi_"
    assert default_name("unemp") == "unemp" and default_name("()") == "scenario"
