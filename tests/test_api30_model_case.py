"""Model names in any case (audit 29 API, A.11: ``model="SAR"`` was refused while ``transform="r"``
was accepted, and the summary itself prints ``SAR``): ``SpatialPanel``, the effects, the Bayesian
comparisons, the Mundlak test, ``ScenarioModel`` and ``spillmap fit --model`` take the name in any
case and keep it in lower case; an unknown name is still refused with the valid ones listed."""
from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from spillmap.cli import main
from spillmap.errors import InputError
from spillmap.estimation import SpatialPanel
from spillmap.estimation.effects import effects_from_estimates
from spillmap.estimation._mundlak import mundlak_spec
from spillmap.estimation.bayes import model_probabilities, weights_probabilities
from spillmap.estimation.scenario import ScenarioModel

X = ["lpcap", "lpc", "lemp", "unemp"]


@pytest.fixture(scope="module")
def kw(produc_logs, us48_queen):
    return dict(y="lgsp", x=X, id="state_abbr", time="year", w=us48_queen)


@pytest.mark.parametrize("name", ["SAR", "Sar", " sar "])
def test_spatial_panel_takes_any_case(produc_logs, kw, name):
    spec = SpatialPanel(produc_logs, model=name, fe="individual", **kw)
    assert spec.model == "sar"
    assert spec.data.model == "sar"


def test_unknown_model_is_refused_listing_the_valid_ones(produc_logs, kw):
    with pytest.raises(InputError) as err:
        SpatialPanel(produc_logs, model="SARR", **kw)
    msg = str(err.value)
    assert "\n" not in msg and "'SARR'" in msg and "'sar', 'sem', 'sdm', 'slx', 'sdem', 'sac'" in msg


def test_effects_and_scenarios_take_any_case(produc_logs, kw):
    fit = SpatialPanel(produc_logs, model="SDM", fe="individual", **kw).fit()
    assert fit.model == "sdm"
    low = effects_from_estimates(fit.params, fit.cov, fit.w, "sdm", draws=0, regressors=X)
    up = effects_from_estimates(fit.params, fit.cov, fit.w, "SDM", draws=0, regressors=X)
    assert up.model == "sdm"
    pd.testing.assert_frame_equal(up.indirect, low.indirect)
    sm = ScenarioModel.from_fit(fit)
    assert dataclasses.replace(sm, model="SDM").model == "sdm"
    with pytest.raises(InputError, match="'sar', 'sdm', 'slx', 'sdem', 'sem'"):
        dataclasses.replace(sm, model="SDN")


def test_bayes_and_mundlak_take_any_case(produc_logs, kw):
    mp = model_probabilities(produc_logs, fe="individual", models=["SAR", "sdm"], grid=101, **kw)
    assert list(mp.log_marginal.index) == ["sar", "sdm"]
    wk = {k: v for k, v in kw.items() if k != "w"}
    wp = weights_probabilities(produc_logs, weights={"queen": kw["w"]}, model="SDM", fe="individual", grid=101, **wk)
    assert wp.log_marginal["queen"] == mp.log_marginal["sdm"]  # the same computation, so the same number
    spec, _, _ = mundlak_spec(produc_logs, model="SEM", **kw)
    assert spec.model == "sem"


def test_cli_fit_model_in_upper_case(tmp_path, capsys):
    w = tmp_path / "w.gal"
    assert main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "contiguity", "--transform", "B",
                 "--out", str(w)]) == 0
    out = tmp_path / "fit.json"
    rc = main(["fit", "--data", "produc", "--id", "state_abbr", "--time", "year", "--y", "log(gsp)",
               "--x", "log(pc)", "unemp", "--w", str(w), "--model", "SAR", "--fe", "individual", "--draws", "0",
               "--json", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert json.loads(out.read_text(encoding="utf-8"))["model"] == "sar"
    with pytest.raises(SystemExit) as bad:
        main(["fit", "--data", "produc", "--id", "state_abbr", "--time", "year", "--y", "log(gsp)", "--x", "unemp",
              "--w", str(w), "--model", "SARR"])
    assert bad.value.code == 2
    err = capsys.readouterr().err
    assert "'SARR'" in err and "'sar', 'sem', 'sdm', 'slx', 'sdem', 'sac'" in err
