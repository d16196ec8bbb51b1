"""``[maps] spillover_city`` takes a unit's id or its name in ``layer.name_column``, as the
scenarios' ``units`` do (newcomer audit 29, 3.3: ``"New York"`` was refused as "not a unit id of the
joined panel"); an unknown one is refused, with the closest ids or names, before any model is fitted."""
from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path

import pytest

from spillmap.errors import InputError
from spillmap.study import Study
from spillmap.study._steps_maps import city_id
from spillmap.study.inputs import load_inputs

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared specs sit next to this file
from _specs import US_INPUTS  # noqa: E402

run_module = importlib.import_module("spillmap.study.run")  # the package's `run` attribute is the function

REST = """
[model]
y = "unemp"
x = ["pc", "emp"]
draws = 0
[tables]
include = ["baseline"]
[diagnostics]
tests = ["lm"]
[maps]
include = []
spillover_city = "{city}"
[output]
figures = false
[weights.W1]
kind = "contiguity"
"""


def _study(city: str, names: bool = True) -> Study:
    inputs = US_INPUTS.replace('id = "STATE_ABBR"', 'id = "STATE_ABBR"\nname_column = "STATE_NAME"', 1) \
        if names else US_INPUTS
    return Study.from_dict(tomllib.loads(inputs + REST.format(city=city)))


@pytest.fixture(scope="module")
def inputs():
    return load_inputs(_study("NY"))


@pytest.mark.parametrize("city", ["NY", "New York", "new york"])
def test_an_id_or_a_name(inputs, city):
    assert city_id(_study(city), inputs) == "NY"


def test_a_misspelt_name_suggests_the_closest(inputs):
    with pytest.raises(InputError) as err:
        city_id(_study("New Yrok"), inputs)
    msg = str(err.value)
    assert msg.startswith("maps.spillover_city: ") and "'New Yrok'" in msg and "'New York'" in msg
    assert "\n" not in msg


def test_a_name_without_name_column_points_to_the_id(inputs):
    with pytest.raises(InputError) as err:
        city_id(_study("New York", names=False), inputs)
    assert "the STATE_NAME of 'NY'" in str(err.value)


def test_the_run_traces_the_named_unit():
    r = run_module.run(_study("New York"))
    assert r.unit_response["W1"]["source_id"] == "NY"


def test_an_unknown_city_stops_the_run_before_the_weights_and_fits(monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("weights built before the spec's maps.spillover_city was checked")

    monkeypatch.setattr(run_module, "_weights", no_work)
    with pytest.raises(InputError, match="maps.spillover_city: .*'New Yrok'"):
        run_module.run(_study("New Yrok"))
