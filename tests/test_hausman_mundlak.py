"""Regression-based (Mundlak) Hausman test (spillmap.estimation.hausman.mundlak_test)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spillmap.errors import DataError, EstimationError, InputError
from spillmap.estimation.hausman import MUNDLAK_NAME, mundlak_spec, mundlak_test, mundlak_wald
from spillmap.estimation.random_effects import fit_random
from spillmap.spatial.weights import SpatialWeights

XS = ["x1", "x2"]


@pytest.fixture(scope="module")
def lattice():
    from libpysal.weights import lat2W

    return SpatialWeights.from_libpysal(lat2W(12, 12), name="12x12 rook").row_standardize()


def _sim(w, t, rng, gamma, rho=0.4):
    """SDM with period shifts; unit effects mu = 0.5 e + gamma * xbar1 (gamma = 0: H0 true)."""
    n = w.n
    wd = w.toarray()
    binv = np.linalg.inv(np.eye(n) - rho * wd)
    x1 = rng.normal(size=(t, n))
    x2 = rng.normal(size=(t, n))
    mu = 0.5 * rng.normal(size=n) + gamma * x1.mean(axis=0)
    rows = []
    for s in range(t):
        y = binv @ (1 + 0.2 * s + 0.5 * x1[s] - 0.3 * x2[s] + 0.3 * (wd @ x1[s]) + mu + rng.normal(size=n))
        rows.append(pd.DataFrame({"id": w.ids, "time": s, "y": y, "x1": x1[s], "x2": x2[s]}))
    return pd.concat(rows, ignore_index=True)


def _args(w, **kw):
    return dict(id="id", time="time", y="y", x=XS, w=w, **kw)


# ----------------------------------------------------------------- the identity
@pytest.mark.parametrize("time_effects", [True, False])
@pytest.mark.parametrize("model", ["sdm", "sar"])
def test_mundlak_identity_equals_within_slopes(lattice, model, time_effects):
    """Mundlak (1978) / Wooldridge (2010, sec. 10.7.3): GLS of y on [1, X, Xbar] (balanced
    panel, any RE variance ratio) gives the within (FE) slope on X.  With the spatial lag
    the identity holds for the dependent variable y - rho W y at the fit's own (rho, phi),
    so the RE slopes on x (and W x) must equal linearmodels' PanelOLS with entity (and time)
    effects of y - rho_hat W y on [x, W x] -- an independent implementation.  The identity is
    exact; the tolerance only covers the final Newton step of the ML search (beta is the
    GLS solution at the returned (rho, phi) to ~1e-10)."""
    from linearmodels.panel import PanelOLS

    w = lattice
    df = _sim(w, 4, np.random.default_rng(11), gamma=1.0)
    spec, terms, dropped = mundlak_spec(df, **_args(w, model=model, time_effects=time_effects))
    assert dropped == []
    want_terms = ["mean_x1", "mean_x2"] + (["W_mean_x1", "W_mean_x2"] if model == "sdm" else [])
    assert terms == want_terms
    fit = fit_random(spec, time_effects=time_effects)
    rho = fit.params["rho"]
    # W y and W x from the raw data; _sim stacks time-major with ids in W's order
    d = df
    assert list(d.id[: w.n]) == list(w.ids)
    t = d.time.nunique()
    ys = d.y.to_numpy() - rho * w.lag_panel(d.y.to_numpy(), t)
    reg = d[XS].copy()
    if model == "sdm":
        for c in XS:
            reg[f"W_{c}"] = w.lag_panel(d[c].to_numpy(), t)
    idx = pd.MultiIndex.from_arrays([d.id.to_numpy(), d.time.to_numpy()])
    fe = PanelOLS(pd.Series(ys, index=idx), reg.set_axis(idx), entity_effects=True, time_effects=time_effects).fit()
    slopes = list(reg.columns)
    # Mundlak's identity is exact at any variance ratio, but the RE slopes come out of a Newton polish
    # of the full likelihood that stops at |step| <= tol (1e-10) -> 1e-9 (8e-17 observed)
    np.testing.assert_allclose(fit.params[slopes].to_numpy(), fe.params[slopes].to_numpy(), rtol=1e-7, atol=1e-9)
    # ... whereas the mean coefficients are clearly non-zero here (effects correlated with x1)
    assert abs(fit.params["mean_x1"]) > 5 * fit.std_errors["mean_x1"]


def test_statistic_is_the_dense_wald(lattice):
    """mundlak_test = direct transcription g' V_g^{-1} g of the augmented fit's mean terms."""
    w = lattice
    df = _sim(w, 4, np.random.default_rng(3), gamma=0.3)
    r = mundlak_test(df, **_args(w))
    spec, terms, _ = mundlak_spec(df, **_args(w))
    fit = fit_random(spec, time_effects=True)
    g = fit.params[terms].to_numpy()
    v = fit.cov.loc[terms, terms].to_numpy()
    want = float(g @ np.linalg.inv(v) @ g)  # dense transcription of the Wald statistic
    # two exact forms (solve vs inverse of the 4 x 4 V_g): eps cond(V_g), 1e-9 covers cond up to 1e6
    assert r.stat == pytest.approx(want, rel=1e-9)
    assert r.df == 4
    assert r.pvalue == pytest.approx(stats.chi2.sf(want, 4), rel=1e-9)
    assert r.name == MUNDLAK_NAME and r.dist == "chi2"
    assert "uncorrelated" in r.null and "W_mean_x1" in r.null


# ------------------------------------------------------------- simulated panels
def test_simulated_null_and_alternative(lattice):
    """SDM, N = 144 (12 x 12 rook), T = 4, two-way design.  H0 (effects independent of x):
    p > 0.01 in at least 17 of 20 seeds (expected ~19.8 for an exact chi2(4));
    effects correlated with x1 (mu = 0.5 e + 1.5 xbar1): p < 1e-6 in all 20."""
    w = lattice
    null = [mundlak_test(_sim(w, 4, np.random.default_rng(seed), 0.0), **_args(w)) for seed in range(20)]
    alt = [mundlak_test(_sim(w, 4, np.random.default_rng(100 + seed), 1.5), **_args(w)) for seed in range(20)]
    assert all(r.df == 4 for r in null + alt)
    assert sum(r.pvalue > 0.01 for r in null) >= 17
    # chi2(4) has median 3.36 (scipy.stats.chi2(4).median()); loose bound for finite-sample ML
    assert np.median([r.stat for r in null]) < 5.5
    assert max(r.pvalue for r in alt) < 1e-6


@pytest.mark.slow  # 300 replications, 4 s: the default suite keeps the small null/alternative check above
def test_simulated_size(lattice):
    """300 replications under H0 (gamma = 0).  Observed (2026-11-22): rejection rate 0.020 at
    1 %, 0.053 at 5 %, 0.107 at 10 %: chi2(4)-sized at T = 4, unlike the classic statistic
    (0.105 at 5 % in tests/test_hausman.py).  Bound: 5 % + 3 binomial SDs (0.0126 each)."""
    w = lattice
    p = np.array([mundlak_test(_sim(w, 4, np.random.default_rng(1000 + s), 0.0), **_args(w)).pvalue for s in range(300)])
    assert np.mean(p < 0.05) < 0.09


# --------------------------------------------------------------- demo panel
@pytest.fixture(scope="module")
def demo():
    from spillmap import datasets
    from spillmap.spatial import contiguity

    panel = datasets.demo_panel()
    layer = datasets.china_prefectures()
    layer = layer[layer.level.isin(["municipality", "prefecture_city"])]
    w = contiguity(layer, "adcode", kind="queen", islands="nearest")
    if w.transform != "R":
        w = w.row_standardize()
    return panel, w


def test_demo_panel_rejects(demo):
    """The demo DGP correlates the city effects with int: the test must reject (SDM two-way)."""
    panel, w = demo
    x = ["int", "ins", "pgdp", "fdi", "trans", "inp"]
    r = mundlak_test(panel, id="adcode", time="year", y="gtfp", x=x, w=w, model="sdm", time_effects=True)
    assert r.df == 12 and r.name == MUNDLAK_NAME
    assert r.pvalue < 1e-6


# ------------------------------------------------------------ collinearity
def test_time_invariant_regressor_mean_is_dropped(lattice):
    w = lattice
    df = _sim(w, 4, np.random.default_rng(5), gamma=0.0)
    area = pd.Series(np.random.default_rng(6).uniform(1, 2, w.n), index=w.ids)
    df["area"] = df.id.map(area)
    args = dict(id="id", time="time", y="y", x=["x1", "x2", "area"], w=w)
    spec, terms, dropped = mundlak_spec(df, **args)
    assert dropped == ["mean_area", "W_mean_area"]
    assert "mean_area" not in terms and "W_mean_area" not in terms and len(terms) == 4
    r = mundlak_test(df, **args)
    assert r.df == 4 and "collinear mean terms dropped: mean_area, W_mean_area" in r.name
    # equals the Wald on the kept terms of the reduced fit
    fit = fit_random(spec, time_effects=True)
    assert r.stat == pytest.approx(mundlak_wald(fit, terms).stat, rel=1e-12)  # same deterministic fit, same Wald
    # only time-invariant regressors: nothing to test
    with pytest.raises(EstimationError, match=r"'mean_area'.*do not vary over time"):
        mundlak_test(df, id="id", time="time", y="y", x=["area"], w=w, model="sar")


def test_mean_column_name_clash(lattice):
    w = lattice
    df = _sim(w, 4, np.random.default_rng(8), gamma=0.0)
    df["mean_x1"] = 0.0  # an unrelated user column with the natural name
    spec, terms, _ = mundlak_spec(df, **_args(w))
    assert terms == ["mean_x1_", "mean_x2", "W_mean_x1_", "W_mean_x2"]


# ---------------------------------------------------------------- bad input
def test_input_errors(lattice):
    w = lattice
    df = _sim(w, 3, np.random.default_rng(9), gamma=0.0)
    with pytest.raises(DataError, match=r"'x3'.*not in the panel"):
        mundlak_test(df, id="id", time="time", y="y", x=["x1", "x3"], w=w)
    with pytest.raises(InputError, match=r"'sar', 'sdm' or 'sem'.*'slx'"):
        mundlak_test(df, **_args(w, model="slx"))
    with pytest.raises(InputError, match="wx= is only for model='sdm'"):
        mundlak_test(df, **_args(w, model="sar", wx=["x1"]))
    with pytest.raises(InputError, match="needs a panel.*time="):
        mundlak_test(df, **{**_args(w), "time": None})
    one = df[df.time == 0]
    with pytest.raises(EstimationError, match="do not vary over time"):  # T = 1: means equal x
        mundlak_test(one, **_args(w, model="sar", time_effects=False))
    with pytest.raises(InputError, match="DataFrame"):
        mundlak_test(df.to_numpy(), **_args(w))
    bad = df.copy()
    bad.loc[5, "x2"] = np.nan
    with pytest.raises(DataError, match=r"'x2'"):
        mundlak_test(bad, **_args(w))
    with pytest.raises(InputError, match="no coefficient"):
        spec, terms, _ = mundlak_spec(df, **_args(w, model="sar"))
        mundlak_wald(fit_random(spec), ["mean_x9"])


def test_sdm_wx_subset_and_sem(lattice):
    w = lattice
    df = _sim(w, 4, np.random.default_rng(12), gamma=1.5)
    r = mundlak_test(df, **_args(w, wx=["x1"]))
    assert r.df == 3  # mean_x1, mean_x2, W_mean_x1
    r_sem = mundlak_test(df, **_args(w, model="sem", time_effects=False))
    assert r_sem.df == 2 and r_sem.pvalue < 1e-6


# ------------------------------------------------------------------ Table 8
def test_diagnostics_table_row(lattice, monkeypatch):
    import importlib

    hmod = importlib.import_module("spillmap.estimation.hausman")  # the module, not the function
    from spillmap.study.diagnostics import DIAGNOSTIC_KEYS as TABLE8_KEYS, diagnostics_table

    w = lattice
    df = _sim(w, 4, np.random.default_rng(21), gamma=1.0)
    assert TABLE8_KEYS[-2:] == ("hausman", "hausman_mundlak")
    for fe, te in (("twoways", True), ("individual", False)):
        table = diagnostics_table(df, id="id", time="time", y="y", x=XS, w=w, fe=fe, permutations=0)
        want = mundlak_test(df, **_args(w, model="sdm", time_effects=te))
        row = table["hausman_mundlak"]
        # the same computation on the same data (deterministic): rounding only
        assert row["stat"] == pytest.approx(want.stat, rel=1e-12) and row["df"] == want.df == 4
        assert row["p"] == pytest.approx(want.pvalue, rel=1e-9, abs=1e-300)
        assert set(table["hausman"]) >= {"stat", "df", "p"}  # the classic row is still there
    off = diagnostics_table(df, id="id", time="time", y="y", x=XS, w=w, permutations=0, hausman_test=False)
    assert off["hausman_mundlak"] == {"stat": None, "df": None, "p": None, "note": "not requested"}
    t_only = diagnostics_table(df, id="id", time="time", y="y", x=XS, w=w, fe="time", permutations=0)
    assert t_only["hausman_mundlak"]["stat"] is None and "T > 1" in t_only["hausman_mundlak"]["note"]

    def boom(*a, **k):
        raise EstimationError("rho at its bound")

    monkeypatch.setattr(hmod, "mundlak_spec", boom)
    failed = diagnostics_table(df, id="id", time="time", y="y", x=XS, w=w, permutations=0)
    assert failed["hausman_mundlak"]["stat"] is None
    assert failed["hausman_mundlak"]["note"] == "not computed: rho at its bound"
    assert failed["lr_sdm_sar"]["stat"] is not None  # the other rows survive
