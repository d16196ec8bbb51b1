"""[panel] drop: panel units left out of a study (e.g. a unit the boundary layer lacks), reported."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from spillmap.errors import DataError, JoinError
from spillmap.study import Study

# The bundled Cigar panel has Washington DC (state_abbr "DC"); the bundled us48 layer has not.
CIGAR = """
title = "Cigarette demand"
[layer]
dataset = "us48"
id = "STATE_ABBR"
[panel]
dataset = "cigar"
id = "state_abbr"
time = "year"
{drop}
[model]
y = "log(sales)"
x = ["log(price/cpi)"]
[weights.W1]
kind = "contiguity"
contiguity = "queen"
"""


def _study(tmp_path, drop: str = "") -> Study:
    p = tmp_path / "study.toml"
    p.write_text(CIGAR.format(drop=drop), encoding="utf-8")
    return Study.from_toml(p)


def test_a_unit_the_layer_lacks_names_the_remedy(tmp_path):
    from spillmap.study.inputs import load_inputs

    with pytest.raises(JoinError, match=r"1 panel id\(s\) in 'state_abbr' have no unit in the layer column 'STATE_ABBR': "
                                        r"'DC'\..* In the spec, \[panel\] drop = \[\"DC\"\] leaves them out\.") as info:
        load_inputs(_study(tmp_path))
    assert info.value.report.panel_ids_not_in_layer == ("DC",)  # the join's report is kept


def test_drop_leaves_the_units_out_and_records_them(tmp_path):
    from spillmap import datasets
    from spillmap.study.inputs import load_inputs

    inputs = load_inputs(_study(tmp_path, 'drop = ["DC"]'))
    cigar = datasets.cigar()
    assert inputs.n == cigar["state_abbr"].nunique() - 1 and "DC" not in inputs.ids
    assert len(inputs.panel) == (cigar["state_abbr"] != "DC").sum()
    assert inputs.dropped_by_spec == ("DC",)


def test_drop_of_an_id_not_in_the_panel_is_refused_before_any_work(tmp_path):
    from spillmap.study.inputs import load_inputs

    with pytest.raises(DataError, match=r"panel.drop: 'ZZ' not among the ids of panel column 'state_abbr' \(e.g. 'AL'"):
        load_inputs(_study(tmp_path, 'drop = ["DC", "ZZ"]'))


def test_drop_takes_numbers_as_ids_and_round_trips(tmp_path):
    study = _study(tmp_path, "drop = [11, \" DC \"]")
    assert study.panel.drop == ("11", "DC")
    assert Study.from_dict(__import__("tomllib").loads(study.to_toml())).panel.drop == ("11", "DC")


def test_the_report_lists_the_units_left_out():
    from spillmap.maps._report_sections import weights_info

    data = {"layer_units_dropped": ["CO", "ND", "NM"], "panel_ids_dropped_by_subset": ["WA"],
            "panel_ids_dropped_by_spec": ["DC"]}
    text = weights_info(SimpleNamespace(data=data, weights={}))
    assert ("3 layer units have no data and are not in the sample: CO, ND, NM; 1 panel unit is outside the layer "
            "subset: WA; 1 panel unit is left out by [panel] drop: DC.") in text
    data = {"panel_ids_dropped_by_subset": [f"u{i}" for i in range(14)]}
    assert "14 panel units are outside the layer subset: u0, u1, " in weights_info(SimpleNamespace(data=data, weights={}))
    assert "u10, u11 and 2 more." in weights_info(SimpleNamespace(data=data, weights={}))
