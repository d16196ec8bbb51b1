"""[indicators.NAME]: a composite index built before the study, usable as a variable, its weights kept."""
from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import pytest

from spillmap.study import Study, StudyResults, run
from spillmap.study._schema import SpecError
from spillmap.study.indicators import EXAMPLE

BASE = """
[layer]
dataset = "us48"
id = "STATE_ABBR"
[panel]
dataset = "produc"
id = "state_abbr"
time = "year"
[model]
y = "unemp"
x = ["infra", "emp"]
draws = 100
[weights.W1]
kind = "contiguity"
[diagnostics]
tests = ["lm"]
[maps]
include = []
permutations = 9
"""


def test_index_is_a_variable_and_its_weights_are_kept():
    from spillmap import datasets
    from spillmap.indicators import composite_index

    s = Study.from_dict(tomllib.loads(BASE + EXAMPLE))
    s = dataclasses.replace(s, tables=dataclasses.replace(s.tables, include=("descriptive", "effects")))
    r = run(s)
    direct = composite_index(datasets.produc(), name="infra", method="entropy", positive=["hwy", "water", "util"],
                             negative=["unemp"], time="year")
    # the same entropy computation on the same columns: equal to rounding
    got = r.tables["indicators"]["weight"].to_numpy()
    np.testing.assert_allclose(got, direct.weights["weight"].to_numpy(), rtol=1e-12)
    assert r.descriptive["infra"]["mean"] == pytest.approx(direct.index.mean(), rel=1e-12)
    assert "infra" in r.sdm("W1").params
    assert StudyResults.from_json(r.to_json()) == r
    assert list(r.indicators["infra"]["weights"][0]) == ["dimension", "indicator", "direction", "weight"]


@pytest.mark.parametrize(("edit", "match"), [
    (('method = "entropy"', 'method = "topsis"'), r"key 'indicators.infra.method': 'topsis' is not one of"),
    (('negative = ["unemp"]', 'negative = ["hwy"]'), r"key 'indicators.infra': 'hwy' is listed as positive and neg"),
    (('weighting = "pooled"', 'weighting = "pooled"\nweight = 1'), r"key 'indicators.infra.weight': unknown key"),
])
def test_bad_indicator_spec(edit, match):
    with pytest.raises(SpecError, match=match):
        Study.from_dict(tomllib.loads(BASE + EXAMPLE.replace(*edit)))


def test_report_shows_the_weights_table_and_labels(tmp_path):
    """Table 1 layout in the report; [model] labels (Chinese too) reach every table format."""
    import docx

    from spillmap.maps.report import render_report

    text = BASE.replace('draws = 100', 'draws = 100\nlabels = { infra = "基础设施指数", emp = "Employment" }')
    s = Study.from_dict(tomllib.loads(text + EXAMPLE))
    s = dataclasses.replace(s, tables=dataclasses.replace(s.tables, include=("indicators", "effects")),
                            output=dataclasses.replace(s.output, figures=False))
    out = render_report(run(s), tmp_path / "rep")
    doc = docx.Document(str(out / "tables" / "indicator_infra.docx"))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "transport: hwy (+)" in cells and "labour: unemp (-)" in cells
    effects = (out / "tables" / "sdm_effects_formatted.csv").read_text(encoding="utf-8")
    assert "基础设施指数" in effects and "Employment" in effects and "infra" not in effects.split("\n")[2]
