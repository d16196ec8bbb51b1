"""``regression_table(labels=...)``: the θ row of ``x`` answers to ``W_x``, the name the results
give it (audit 29 API, A.10: ``labels={"W_lpc": ...}`` was silently ignored), and a key of a row
form that names no variable is refused instead of ignored."""
from __future__ import annotations

import pytest

from spillmap.errors import InputError
from spillmap.estimation import SpatialPanel
from spillmap.tables import regression_table

F = "lgsp ~ lpcap + lpc + lemp + unemp"


@pytest.fixture(scope="module")
def sdm(produc_logs, us48_queen):
    return SpatialPanel(produc_logs, F, id="state_abbr", time="year", w=us48_queen, model="sdm",
                        fe="individual").fit()


def _labels(table):
    return table.rows["label"].to_dict()


def test_w_underscore_key_labels_the_theta_row(sdm):
    assert "W_lpc" in sdm.params.index  # the name the user sees in params / summary() / to_frame()
    t = regression_table(sdm, labels={"W_lpc": "Spillover of private capital", "lpc": "Private capital"})
    rows = _labels(t)
    assert rows["theta:lpc"] == "Spillover of private capital"
    assert rows["beta:lpc"] == "Private capital"
    assert rows["theta:lemp"] == "W×lemp"  # the other rows untouched


def test_the_other_theta_keys_still_work(sdm):
    assert _labels(regression_table(sdm, labels={"W×lpc": "a"}))["theta:lpc"] == "a"
    assert _labels(regression_table(sdm, labels={"theta:lpc": "b", "W_lpc": "c"}))["theta:lpc"] == "b"  # row key first
    assert _labels(regression_table(sdm, labels={"lpc": "Private capital"}))["theta:lpc"] == "W×Private capital"


@pytest.mark.parametrize("key", ["W_lpcc", "W×lpcc", "direct:lpcc", "theta:lpcc"])
def test_a_row_key_naming_no_variable_is_refused(sdm, key):
    with pytest.raises(InputError) as err:
        regression_table(sdm, labels={key: "x"})
    msg = str(err.value)
    assert "\n" not in msg and repr(key) in msg and "'W_lpc'" in msg and "'lpcap'" in msg


def test_a_plain_name_without_a_row_is_not_refused(sdm):
    # one mapping serves several tables (a study's [model] labels also name group columns)
    t = regression_table(sdm, labels={"region": "Census region", "lpc": "Private capital"})
    assert _labels(t)["beta:lpc"] == "Private capital"


def test_a_study_label_of_a_row_naming_no_regressor_is_refused_with_the_spec(tmp_path):
    """A ``[model] labels`` key ``W_pcc`` (a typo of ``W_pc``) used to stop the report at its tables,
    after every fit; the spec refuses it when read, naming the key."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the helper is in tests/
    from _specs import MINIMAL

    from spillmap.study import Study

    spec = tmp_path / "s.toml"
    good = MINIMAL.replace('x = ["pc", "emp"]\n', 'x = ["pc", "emp"]\nlabels = { W_pc = "W x private capital" }\n')
    spec.write_text(good, encoding="utf-8")
    assert Study.from_toml(spec).model.labels["W_pc"] == "W x private capital"
    spec.write_text(good.replace("W_pc", "W_pcc"), encoding="utf-8")
    with pytest.raises(InputError, match=r"model\.labels\.W_pcc.*Did you mean 'pc'\?"):
        Study.from_toml(spec)
