"""Tests of ``spillmap fit`` and ``spillmap diagnose`` (and estimation.table8)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from spillmap.cli import main

X = ["lpc", "lemp", "unemp"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Produc (48 states, 1980-1986) with logs, and queen W as MTX (row-standardised) and GAL (binary)."""
    from spillmap import datasets
    from spillmap.spatial.builders import contiguity
    from spillmap.spatial.io import write_weights

    d = tmp_path_factory.mktemp("cli_fit")
    w = contiguity(datasets.us48(), "STATE_ABBR", kind="queen")
    write_weights(w, d / "w.mtx")
    write_weights(w.binary(), d / "w.gal")  # GAL holds neighbour lists (read back row-standardised)
    p = datasets.produc()
    p = p[p.year >= 1980].copy()
    p["lgsp"], p["lpc"], p["lemp"] = np.log(p.gsp), np.log(p.pc), np.log(p.emp)
    p.to_csv(d / "panel.csv", index=False)
    p[p.year == 1986].to_csv(d / "cross.csv", index=False)
    return {"dir": d, "panel": d / "panel.csv", "cross": d / "cross.csv", "mtx": d / "w.mtx", "gal": d / "w.gal", "w": w, "data": p}


def _args(files, *extra, data="panel", w="mtx", time=True):
    a = ["--data", str(files[data]), "--id", "state_abbr", "--y", "lgsp", "--x", *X, "--w", str(files[w])]
    if time:
        a += ["--time", "year"]
    return a + list(extra)


def test_fit_json_matches_python_api(files, capsys):
    from spillmap.estimation.effects import compute_effects
    from spillmap.estimation.model import SpatialPanel

    out = files["dir"] / "fit.json"
    rc = main(["fit", *_args(files, "--model", "sdm", "--fe", "twoways", "--draws", "200", "--seed", "3", "--json", str(out))])
    assert rc == 0
    text = capsys.readouterr().out
    assert "Spatial Durbin" in text and "indirect" in text
    doc = json.loads(out.read_text())
    assert doc["model"] == "sdm" and doc["fe"] == "twoways" and doc["lee_yu"] == "transformation"
    assert doc["n"] == 48 and doc["t"] == 7
    assert set(doc["params"]) == {*X, *(f"W_{x}" for x in X), "rho"}
    assert set(doc["params"]["rho"]) == {"estimate", "se", "z", "p"}
    res = SpatialPanel(files["data"], y="lgsp", x=X, id="state_abbr", time="year", w=files["w"], model="sdm", fe="twoways").fit(lee_yu="transformation")
    # the same estimator on data read back from CSV/MTX (equal to within 1 ulp): the search for rho
    # stops within its xatol 1e-10, so rho, the SEs and sigma2 agree to ~1e-9 relative -> 1e-8;
    # the log-likelihood is flat at the maximum (second order in the rho error) -> 1e-12
    assert doc["params"]["rho"]["estimate"] == pytest.approx(res.params["rho"], rel=1e-8)
    assert doc["params"]["W_lemp"]["se"] == pytest.approx(res.std_errors["W_lemp"], rel=1e-8)
    assert doc["loglik"] == pytest.approx(res.loglik, rel=1e-12)  # flat at the max: (1e-9)^2, plus 1-ulp data
    assert doc["aic"] == pytest.approx(res.aic, rel=1e-12)  # -2 loglik + 2k: as the loglik
    assert doc["sigma2"] == pytest.approx(res.sigma2, rel=1e-8)
    eff = compute_effects(res, draws=200, seed=3)
    want = eff.to_dict()
    for kind in ("direct", "indirect", "total"):
        for x in X:
            for stat in ("estimate", "se", "z", "p"):
                # same seed, same draws; estimates as above (1e-9) and p ~ (z^2 + 1) x that, |z| < 10
                assert doc["effects"][kind][x][stat] == pytest.approx(want[kind][x][stat], rel=1e-7)
    assert set(doc["effects"]) == {"direct", "indirect", "total"}
    assert set(doc["effects"]["indirect"]["lpc"]) == {"estimate", "se", "z", "p"}


def test_fit_delta_and_cross_section(files, capsys):
    out = files["dir"] / "cs.json"
    rc = main(["fit", *_args(files, "--model", "sar", "--fe", "none", "--draws", "0", "--json", str(out), data="cross", time=False)])
    assert rc == 0
    doc = json.loads(out.read_text())
    assert doc["t"] == 1 and doc["n"] == 48 and doc["effects_method"] == "delta"
    assert "const" in doc["params"] and "rho" in doc["params"]
    # SAR total effect of a row-standardised W: beta / (1 - rho)
    b, rho = doc["params"]["lemp"]["estimate"], doc["params"]["rho"]["estimate"]
    assert doc["effects"]["total"]["lemp"]["estimate"] == pytest.approx(b / (1 - rho), rel=1e-10)  # closed form: mean row sum of (I - rho W)^-1 by a solve, rounding ~1e-15
    assert "const" not in doc["effects"]["direct"]


def test_fit_sem_has_no_effects(files, capsys):
    out = files["dir"] / "sem.json"
    assert main(["fit", *_args(files, "--model", "sem", "--fe", "individual", "--json", str(out))]) == 0
    doc = json.loads(out.read_text())
    assert doc["effects"] is None and "lambda" in doc["params"]


def test_lee_yu_with_random_effects_is_refused(files, capsys):
    """--lee-yu treats fixed unit effects: with --re it was silently dropped (input audit 2026-12-01);
    now one line, status 2, before reading anything; --lee-yu none (nothing to drop) is accepted."""
    assert main(["fit", *_args(files, "--model", "sar", "--re", "--lee-yu", "bias-correction", "--draws", "0")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--lee-yu bias-correction treats fixed unit effects" in err and "drop --lee-yu" in err
    assert main(["fit", *_args(files, "--model", "sar", "--re", "--lee-yu", "none", "--draws", "0")]) == 0


@pytest.mark.parametrize("extra, needle", [
    (["--hausman", "classic"], "--hausman classic asks for them"),
    (["--tests", "hausman"], "--tests hausman asks for them"),
])
def test_no_hausman_with_a_hausman_option_is_refused(files, capsys, extra, needle):
    """--no-hausman beside --hausman FORM or --tests hausman was silently obeyed (input audit 2026-12-01)."""
    assert main(["diagnose", *_args(files, "--w", str(files["gal"]), "--no-hausman", *extra)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--no-hausman skips the Hausman tests" in err and needle in err


def test_fit_random_effects(files, capsys):
    from spillmap.estimation.effects import compute_effects
    from spillmap.estimation.model import SpatialPanel

    out = files["dir"] / "re.json"
    assert main(["fit", *_args(files, "--model", "sdm", "--re", "--fe", "individual", "--draws", "0",
                                "--json", str(out))]) == 0
    doc = json.loads(out.read_text())
    assert doc["fe"] == "random"
    res = SpatialPanel(files["data"], y="lgsp", x=X, id="state_abbr", time="year", w=files["w"], model="sdm", re=True).fit()
    extra = set(res.params.index) - {*X, *(f"W_{x}" for x in X), "rho", "const"}
    assert set(doc["params"]) == set(res.params.index)
    # the random-effects variance parameter(s) and the constant are not regressors with effects
    assert set(doc["effects"]["direct"]) == set(X) and not (extra & set(doc["effects"]["direct"]))
    want = compute_effects(res, draws=0).to_dict()
    # RE fit on CSV-read data vs in-memory: nested Brent searches (xatol 1e-10) + Newton polish -> 1e-8
    assert doc["effects"]["indirect"]["lemp"]["estimate"] == pytest.approx(want["indirect"]["lemp"]["estimate"], rel=1e-8)


def test_fit_bad_inputs(files, capsys):
    assert main(["fit", *_args(files), "--data", str(files["dir"] / "nope.csv")]) == 2
    err = capsys.readouterr().err
    assert "nope.csv" in err and "does not exist" in err
    bad = ["fit", "--data", str(files["panel"]), "--id", "state_abbr", "--time", "year", "--y", "lgsp", "--x", "lpc", "zzz", "--w", str(files["mtx"])]
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert "'zzz'" in err and "panel.csv" in err
    assert main(["fit", *_args(files, "--draws", "-1")]) == 2
    assert "--draws" in capsys.readouterr().err
    assert main(["fit", *_args(files, "--draws", "20")]) == 2
    assert "too few" in capsys.readouterr().err
    # units of the panel missing from W
    sub = files["data"][files["data"].state_abbr != "TX"]
    path = files["dir"] / "no_tx.csv"
    sub.to_csv(path, index=False)
    assert main(["fit", *_args(files), "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert "'TX'" in err and "w.mtx" in err
    # binary GAL kept as stored (--transform asis) with time effects and the Lee-Yu
    # transformation: clear advice (by default the CLI row-standardises, as `moran` does)
    assert main(["fit", *_args(files, "--transform", "asis", w="gal")]) == 2
    assert "row-standardise" in capsys.readouterr().err


def test_fit_does_not_leave_partial_json(files, capsys):
    out = files["dir"] / "never.json"
    assert main(["fit", *_args(files, "--x", "zzz", "--json", str(out))]) == 2
    assert not out.exists()


def test_diagnose_json_matches_components(files, capsys):
    from spillmap.estimation.hypothesis import lr_sdm_sar, wald_sdm_sem
    from spillmap.study.diagnostics import DIAGNOSTIC_KEYS as TABLE8_KEYS, diagnostics_table
    from spillmap.spatial.autocorrelation import moran_pooled
    from spillmap.spatial.lm import panel_lm_tests

    out = files["dir"] / "diag.json"
    rc = main(["diagnose", *_args(files, "--w", str(files["gal"]), "--row-standardize", "--permutations", "99", "--json", str(out))])
    assert rc == 0
    doc = json.loads(out.read_text())
    assert tuple(doc) == (*TABLE8_KEYS, "warnings") and doc["warnings"] == []
    assert set(doc["moran"]) == {"I", "z", "p", "p_perm"}  # p_perm: --permutations 99 asked for it
    for key in TABLE8_KEYS[1:]:
        assert {"stat", "df", "p"} <= set(doc[key])
    w = files["w"]
    data = files["data"]
    m = moran_pooled(data, id="state_abbr", time="year", var="lgsp", w=w, permutations=99, seed=0)
    assert doc["moran"]["I"] == pytest.approx(m.I, rel=1e-12)  # closed form, data equal to within 1 ulp
    assert doc["moran"]["p_perm"] == m.to_dict()["p_perm"]  # the same 99 seeded permutations: a count / 100
    lm = panel_lm_tests(data, id="state_abbr", time="year", y="lgsp", x=X, w=w, fe="twoways")
    assert doc["robust_lm_error"]["stat"] == pytest.approx(lm.robust_lm_error.stat, rel=1e-10)  # closed form via least squares (cond ~ 40): ~1e-13
    table, fits = diagnostics_table(data, id="state_abbr", time="year", y="lgsp", x=X, w=w, permutations=99, hausman_test=False, return_fits=True)
    # LR and Wald from fits whose rho is good to xatol 1e-10: ~1e-9 relative -> 1e-8
    assert doc["lr_sdm_sar"]["stat"] == pytest.approx(lr_sdm_sar(fits.sdm, fits.sar).stat, rel=1e-8)
    assert doc["lr_sdm_sar"]["df"] == 3
    assert doc["wald_sdm_sem"]["stat"] == pytest.approx(wald_sdm_sem(fits.sdm).stat, rel=1e-8)
    assert table["hausman"]["stat"] is None and table["hausman"]["note"] == "not requested"


def test_diagnose_cross_section(files, capsys):
    out = files["dir"] / "diag_cs.json"
    rc = main(["diagnose", *_args(files, "--fe", "none", "--permutations", "0", "--json", str(out), data="cross", time=False)])
    assert rc == 0
    doc = json.loads(out.read_text())
    from spillmap.spatial.autocorrelation import moran

    y = files["data"][files["data"].year == 1986].set_index("state_abbr")["lgsp"]
    assert doc["moran"]["I"] == pytest.approx(moran(y, files["w"], permutations=0).I, rel=1e-12)  # closed form
    assert doc["lr_sdm_sar"]["df"] == 3
    assert doc["hausman"]["stat"] is None and "T > 1" in doc["hausman"]["note"]
    # a panel given without --time: clear message naming the file, column and ids
    assert main(["diagnose", *_args(files, "--fe", "none", time=False)]) == 2
    err = capsys.readouterr().err
    assert "panel.csv" in err and "'state_abbr'" in err and "--time" in err


def test_diagnostics_table_hausman_row(files):
    mod = pytest.importorskip("spillmap.estimation.hausman")
    from spillmap.errors import SpillmapError
    from spillmap.study.diagnostics import diagnostics_table

    table, fits = diagnostics_table(
        files["data"], id="state_abbr", time="year", y="lgsp", x=X, w=files["w"], fe="individual",
        permutations=0, return_fits=True,
    )
    assert fits.sdm_random is not None and fits.sdm_random.effects == "random"
    try:
        want = mod.hausman(fits.sdm, fits.sdm_random)
    except SpillmapError as exc:  # the test refused for these fits: the row says why
        # the diagnosis of the refusal, then what was reported instead (hausman = "auto", the default), with
        # no advice to choose what is already in effect
        diagnosis = str(exc)[: str(exc).index("The test is not defined")]
        assert table["hausman"]["stat"] is None and diagnosis in table["hausman"]["note"]
        assert 'form is reported instead (hausman = "auto"' in table["hausman"]["note"]
        assert "--hausman" not in table["hausman"]["note"] and table["hausman_selected"]["form"] == "mundlak"
    else:
        assert table["hausman"]["stat"] == pytest.approx(want.stat, rel=1e-12)  # same function, same fits
        assert table["hausman"]["df"] == want.df


def test_diagnostics_table_keeps_rows_when_a_fit_fails(files, monkeypatch):
    from spillmap.errors import ConvergenceError
    from spillmap.estimation import model as model_mod
    from spillmap.study.diagnostics import diagnostics_table

    original = model_mod.SpatialPanel.fit

    def fit(self, **kw):
        if self.model == "sem":
            raise ConvergenceError("lambda runs to its upper bound 0.9999")
        return original(self, **kw)

    monkeypatch.setattr(model_mod.SpatialPanel, "fit", fit)
    table, fits = diagnostics_table(files["data"], id="state_abbr", time="year", y="lgsp", x=X, w=files["w"],
                                    permutations=0, hausman_test=False, return_fits=True)
    assert fits.sem is None and fits.sar is not None
    assert table["lr_sdm_sem"]["stat"] is None and "SEM fit failed" in table["lr_sdm_sem"]["note"]
    assert "upper bound" in table["lr_sdm_sem"]["note"]
    assert table["lr_sdm_sar"]["stat"] > 0 and table["wald_sdm_sem"]["stat"] > 0


def test_diagnostics_table_bad_fe(files):
    from spillmap.errors import InputError
    from spillmap.study.diagnostics import diagnostics_table

    with pytest.raises(InputError, match="fe must be one of"):
        diagnostics_table(files["data"], id="state_abbr", time="year", y="lgsp", x=X, w=files["w"], fe="random")


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "fit" in out and "diagnose" in out


def test_fit_random_effects_with_period_effects(files, capsys):
    """``--re --fe twoways`` = random unit effects + fixed period effects, the RE partner of
    two-way FE in the Hausman test (same as calling fit_random(time_effects=True))."""
    from spillmap.estimation.model import SpatialPanel
    from spillmap.estimation.random_effects import fit_random

    out = files["dir"] / "re2.json"
    assert main(["fit", *_args(files, "--model", "sar", "--re", "--fe", "twoways", "--draws", "0",
                                "--json", str(out))]) == 0
    doc = json.loads(out.read_text())
    spec = SpatialPanel(files["data"], y="lgsp", x=X, id="state_abbr", time="year", w=files["w"], model="sar",
                        re=True)
    want = fit_random(spec, time_effects=True)
    plain = spec.fit()
    # RE fit on CSV-read data vs in-memory: nested Brent searches (xatol 1e-10) + Newton polish -> 1e-8
    assert doc["params"]["rho"]["estimate"] == pytest.approx(want.params["rho"], rel=1e-8)
    assert abs(want.params["rho"] - plain.params["rho"]) > 1e-4  # period effects do change the fit


def test_fit_row_standardises_a_binary_gal_by_default(files, capsys):
    """A GAL file reads back as 0/1 weights; like `spillmap moran`, `fit` row-standardises by
    default (the estimators expect it), and `--transform asis` keeps the stored weights."""
    out = files["dir"] / "gal.json"
    assert main(["fit", *_args(files, "--w", str(files["gal"]), "--model", "sar", "--draws", "0",
                                "--json", str(out))]) == 0
    ref = files["dir"] / "ref.json"
    assert main(["fit", *_args(files, "--model", "sar", "--draws", "0", "--json", str(ref))]) == 0
    a, b = json.loads(out.read_text()), json.loads(ref.read_text())
    # W row-standardised by the CLI vs stored row-standardised: equal to 1 ulp; rho to xatol 1e-10 -> 1e-8
    assert a["params"]["rho"]["estimate"] == pytest.approx(b["params"]["rho"]["estimate"], rel=1e-8)
    # binary W with time effects under the Lee-Yu transformation: a clear error, exit 2
    assert main(["fit", *_args(files, "--w", str(files["gal"]), "--transform", "asis", "--model", "sar",
                                "--draws", "0")]) == 2
    assert "row-standardised" in capsys.readouterr().err


def test_fit_dynamic_json_has_both_horizons(files, tmp_path):
    """``--dynamic both``: the JSON holds tau, eta, the short-run ``effects`` and ``effects_long_run``,
    equal to the Python API (same data, same seed)."""
    from spillmap.estimation import SpatialPanel

    out = tmp_path / "dyn.json"
    assert main(["fit", *_args(files, "--dynamic", "both", "--draws", "0", "--json", str(out))]) == 0
    doc = json.loads(out.read_text())
    assert doc["dynamic"] == "both" and {"tau", "eta", "rho"} <= set(doc["params"])
    res = SpatialPanel(files["data"], y="lgsp", x=X, id="state_abbr", time="year", w=files["w"], dynamic="both").fit()
    both = res.effects_both(draws=0)
    for key, h in (("effects", "short"), ("effects_long_run", "long")):
        assert doc[key]["total"]["lpc"]["estimate"] == pytest.approx(both[h].total.loc["lpc", "estimate"], rel=1e-12)  # same files, code path and arithmetic: JSON printing only


def test_fit_one_w_file_per_period(files, tmp_path, capsys):
    """``--w 'W_{time}.gal'``: one file per period; the same W in every file gives the one-W fit,
    and a missing period's file is named in the error."""
    from spillmap.spatial.io import write_weights

    for year in range(1980, 1987):
        write_weights(files["w"].binary(), tmp_path / f"W_{year}.gal")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["fit", *_args(files, "--draws", "0", "--json", str(a))[:-2], "--json", str(a)]) == 0
    args = _args(files, "--draws", "0", "--json", str(b))
    args[args.index("--w") + 1] = str(tmp_path / "W_{time}.gal")
    assert main(["fit", *args]) == 0
    pa, pb = json.loads(a.read_text())["params"], json.loads(b.read_text())["params"]
    assert pb["rho"]["estimate"] == pytest.approx(pa["rho"]["estimate"], rel=1e-12)  # one W per period weighs it by exactly 1.0: bit for bit the one-W arithmetic
    (tmp_path / "W_1983.gal").unlink()
    assert main(["fit", *args, "--force"]) == 2
    assert "period 1983" in capsys.readouterr().err


def test_fit_ydjl_is_for_dynamic_models(files, tmp_path, capsys):
    """``--lee-yu ydjl`` (the published Lee-Yu / YdJL estimator) fits a dynamic model and equals the
    Python API; on a static model it is a one-line error, exit 2, before any fit."""
    from spillmap.estimation import SpatialPanel

    out = tmp_path / "ydjl.json"
    assert main(["fit", *_args(files, "--dynamic", "both", "--lee-yu", "ydjl", "--draws", "0", "--json",
                               str(out))]) == 0
    doc = json.loads(out.read_text())
    res = SpatialPanel(files["data"], y="lgsp", x=X, id="state_abbr", time="year", w=files["w"],
                       dynamic="both").fit(lee_yu="ydjl")
    # the CLI reads W from the .mtx file (equal to the in-memory W to an ulp after row-standardising) and
    # the search stops within xatol 1e-10 of the maximum either way (as test_fit_reads_gal_weights): 1e-8
    assert doc["params"]["rho"]["estimate"] == pytest.approx(res.rho, rel=1e-8)
    capsys.readouterr()
    assert main(["fit", *_args(files, "--lee-yu", "ydjl", "--draws", "0")]) == 2
    err = capsys.readouterr().err.strip()
    assert "ydjl" in err and "dynamic" in err and len(err.splitlines()) == 1


def test_json_lists_the_warnings_of_the_effects_too(tmp_path, capsys):
    """A warning raised by the effects (heavy-tailed long-run draws of Cigar's dynamic SDM) is on the
    screen and in the JSON: the file never lacks a warning the screen showed (it listed only the
    fit's own before)."""
    out = tmp_path / "dyn.json"
    assert main(["fit", "--data", "cigar", "--id", "state", "--time", "year", "--y", "log(sales)", "--x",
                 "log(price/cpi)", "log(ndi/cpi)", "--w", "cigar_w", "--model", "sdm", "--dynamic", "both",
                 "--draws", "1000", "--json", str(out)]) == 0
    err = capsys.readouterr().err
    doc = json.loads(out.read_text())
    heavy = [m for m in doc["warnings"] if "heavy-tailed" in m]
    assert len(heavy) == 1 and heavy[0] in err


def test_cov_type_hessian_from_the_command_line(files, tmp_path, capsys):
    """``--cov-type hessian``: the observed-information SEs of the Python API's
    ``fit(cov_type="hessian")``; the default is the expected information."""
    from spillmap.estimation import SpatialPanel

    out = tmp_path / "h.json"
    assert main(["fit", *_args(files, "--model", "sac", "--cov-type", "hessian", "--draws", "0",
                               "--json", str(out))]) == 0
    doc = json.loads(out.read_text())
    spec = SpatialPanel(files["data"], y="lgsp", x=X, id="state_abbr", time="year", w=files["w"], model="sac")
    hess, info = spec.fit(cov_type="hessian"), spec.fit()
    # the CLI's W comes from a file (equal to an ulp) and SAC's two-parameter search stops within its
    # xatol of either maximum; the central-difference Hessian (step 1e-4 |x|) amplifies that to ~6e-7
    assert doc["params"]["lambda"]["se"] == pytest.approx(hess.std_errors["lambda"], rel=1e-5)
    assert hess.std_errors["lambda"] != pytest.approx(info.std_errors["lambda"], rel=1e-3)
