"""[scenarios.NAME] in a study: spec validation, the run step, results.json round trip, stored inputs."""
from __future__ import annotations

import tomllib

import numpy as np
import pytest

from spillmap.errors import InputError
from spillmap.study import Study, StudyResults, run
from spillmap.study._schema import SpecError

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
])
def test_bad_scenario_spec_names_the_key(edit, match):
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
