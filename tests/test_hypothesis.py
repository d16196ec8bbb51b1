"""Tests of spillmap.estimation.hypothesis (LR and Wald tests between spatial models)."""
from __future__ import annotations

from contextlib import closing
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spillmap.errors import EstimationError, InputError
from spillmap.estimation.hypothesis import (
    common_factor_restriction,
    lr_sdm_sar,
    lr_sdm_sem,
    lr_test,
    wald_sdm_sar,
    wald_sdm_sem,
    wald_test,
)
from spillmap.results import TestResult


def _fit(model: str, names: list[str], loglik: float, **kw) -> SimpleNamespace:
    base = dict(model=model, effects="twoways", lee_yu="transformation", nobs=120, n=10, t=12,
                ids=tuple("abcdefghij"), times=tuple(range(12)), w=None)
    base.update(kw)
    rng = np.random.default_rng(len(names))
    params = pd.Series(rng.normal(size=len(names)), index=names)
    a = rng.normal(size=(len(names), len(names))) * 0.1
    cov = pd.DataFrame(a @ a.T + 0.01 * np.eye(len(names)), index=names, columns=names)
    return SimpleNamespace(params=params, cov=cov, loglik=loglik, **base)


SDM = ["x1", "x2", "W_x1", "W_x2", "rho"]


def test_lr_statistic_df_and_pvalue():
    sdm = _fit("sdm", SDM, -100.0)
    sar = _fit("sar", ["x1", "x2", "rho"], -106.5)
    sem = _fit("sem", ["x1", "x2", "lambda"], -104.0)
    r = lr_sdm_sar(sdm, sar)
    assert isinstance(r, TestResult)
    # closed forms of exact inputs: 2 x a difference of given log-likelihoods, chi2 survival: rounding only
    assert r.stat == pytest.approx(13.0, rel=1e-12) and r.df == 2
    assert r.pvalue == pytest.approx(stats.chi2.sf(13.0, 2), rel=1e-12)
    assert r.pvalue == pytest.approx(np.exp(-13.0 / 2), rel=1e-12)  # chi2(2) survival closed form
    r2 = lr_sdm_sem(sdm, sem)
    assert r2.stat == pytest.approx(8.0, rel=1e-12) and r2.df == 2
    assert r2.to_dict()["p"] == pytest.approx(np.exp(-4.0), rel=1e-12)
    assert lr_test(sar, sdm).stat == pytest.approx(13.0, rel=1e-12)


def test_lr_rejects_different_specifications():
    sdm = _fit("sdm", SDM, -100.0)
    with pytest.raises(InputError, match="Lee-Yu"):
        lr_sdm_sar(sdm, _fit("sar", ["x1", "x2", "rho"], -106.5, lee_yu="none"))
    with pytest.raises(InputError, match="fixed/random effects"):
        lr_sdm_sar(sdm, _fit("sar", ["x1", "x2", "rho"], -106.5, effects="individual"))
    with pytest.raises(InputError, match="number of observations"):
        lr_sdm_sar(sdm, _fit("sar", ["x1", "x2", "rho"], -106.5, nobs=110, t=11, times=tuple(range(11))))
    with pytest.raises(InputError, match="unit ids"):
        lr_sdm_sar(sdm, _fit("sar", ["x1", "x2", "rho"], -106.5, ids=tuple("abcdefghik")))
    with pytest.raises(InputError, match="must be a fitted SAR"):
        lr_sdm_sar(sdm, _fit("sem", ["x1", "x2", "lambda"], -106.5))
    with pytest.raises(InputError, match="more parameters"):
        lr_test(sdm, _fit("sar", ["x1", "x2", "rho"], -106.5))
    with pytest.raises(InputError, match="regressors differ"):
        lr_sdm_sar(sdm, _fit("sar", ["x1", "rho"], -106.5))


def test_lr_refuses_models_that_are_not_nested():
    """API audit 29 #2: SAR against SDEM and SAC against SDM gave confident p-values (1.7e-15, 6.8e-7
    on Produc) though neither pair is nested; a restricted model must be the unrestricted one with
    parameters set to 0 (the SEM's lambda is the SDM's rho under the common factor)."""
    x = ["x1", "x2"]
    wx = ["W_x1", "W_x2"]
    fits = {"sar": _fit("sar", x + ["rho"], -110.0), "sem": _fit("sem", x + ["lambda"], -109.0),
            "slx": _fit("slx", x + wx, -108.0), "sdm": _fit("sdm", x + wx + ["rho"], -100.0),
            "sdem": _fit("sdem", x + wx + ["lambda"], -101.0), "sac": _fit("sac", x + ["rho", "lambda"], -105.0)}
    for r, u in (("sar", "sdem"), ("sac", "sdm"), ("sem", "slx")):
        with pytest.raises(InputError, match=f"{r.upper()} is not nested in {u.upper()}"):
            lr_test(fits[r], fits[u])
    for r, u in (("sar", "sdm"), ("sem", "sdm"), ("slx", "sdm"), ("sar", "sac"), ("sem", "sac"), ("sem", "sdem"),
                 ("slx", "sdem")):
        res = lr_test(fits[r], fits[u])
        assert res.df == len(fits[u].params) - len(fits[r].params)
        assert res.stat == pytest.approx(2 * (fits[u].loglik - fits[r].loglik), rel=1e-12)  # exact inputs
    with pytest.raises(InputError, match="'x3' are not among"):  # a regressor the larger model lacks
        lr_test(_fit("sar", ["x1", "x3", "rho"], -110.0), fits["sdm"])


def test_lr_with_different_weights_rejected():
    from libpysal.weights import lat2W

    from spillmap.spatial.weights import SpatialWeights

    w1 = SpatialWeights.from_libpysal(lat2W(2, 5))
    w2 = SpatialWeights.from_libpysal(lat2W(5, 2))
    sdm = _fit("sdm", SDM, -100.0, w=w1, ids=w1.ids)
    sar = _fit("sar", ["x1", "x2", "rho"], -106.5, w=w2, ids=w2.ids)
    with pytest.raises(InputError, match="weights matrix"):
        lr_sdm_sar(sdm, sar)


def test_lr_negative_statistic():
    sdm = _fit("sdm", SDM, -100.0)
    with pytest.raises(EstimationError, match="did not converge"):
        lr_sdm_sar(sdm, _fit("sar", ["x1", "x2", "rho"], -90.0))
    # rounding-level negatives are zero
    r = lr_sdm_sar(sdm, _fit("sar", ["x1", "x2", "rho"], -100.0 + 1e-9))
    assert r.stat == 0.0 and r.pvalue == 1.0


def test_wald_sdm_sar_equals_direct_computation():
    sdm = _fit("sdm", SDM, -100.0)
    th = sdm.params[["W_x1", "W_x2"]].to_numpy()
    v = sdm.cov.loc[["W_x1", "W_x2"], ["W_x1", "W_x2"]].to_numpy()
    want = th @ np.linalg.inv(v) @ th  # dense oracle
    r = wald_sdm_sar(sdm)
    # two exact forms (solve vs inverse of a well-conditioned 2 x 2): rounding ~1e-15; p: sf of it
    assert r.stat == pytest.approx(want, rel=1e-10) and r.df == 2
    assert r.pvalue == pytest.approx(stats.chi2.sf(want, 2), rel=1e-10)


def test_wald_sdm_sem_equals_numerical_jacobian():
    sdm = _fit("sdm", SDM, -100.0)
    order = ["x1", "x2", "W_x1", "W_x2", "rho"]
    p0 = sdm.params[order].to_numpy()

    def g(p):
        return p[2:4] + p[4] * p[0:2]

    jac = np.empty((2, 5))
    for i in range(5):
        e = np.zeros(5)
        e[i] = 1e-6
        jac[:, i] = (g(p0 + e) - g(p0 - e)) / 2e-6
    v = sdm.cov.loc[order, order].to_numpy()
    want = g(p0) @ np.linalg.inv(jac @ v @ jac.T) @ g(p0)
    r = wald_sdm_sem(sdm)
    # central differences of the bilinear g: no truncation error, rounding eps |g| / h = 2e-10 per
    # Jacobian entry -> ~1e-9 on the statistic; 1e-8 (the analytic Jacobian: 1e-8 absolute)
    assert r.stat == pytest.approx(want, rel=1e-8) and r.df == 2
    gg, jj = common_factor_restriction(p0[:2], p0[2:4], p0[4])
    np.testing.assert_allclose(jj, jac, atol=1e-8)
    np.testing.assert_allclose(gg, g(p0), rtol=1e-12)  # the same closed form


def test_wald_sdm_sem_zero_under_exact_common_factor():
    sdm = _fit("sdm", SDM, -100.0)
    p = sdm.params.copy()
    p["W_x1"], p["W_x2"] = -p["rho"] * p["x1"], -p["rho"] * p["x2"]
    sdm.params = p
    r = wald_sdm_sem(sdm)
    # theta = -rho beta exactly: g = 0 in floating point too, so the statistic is 0 (p = 1) exactly
    assert r.stat == pytest.approx(0.0, abs=1e-20) and r.pvalue == pytest.approx(1.0, rel=1e-12)


def test_wald_bad_input():
    with pytest.raises(InputError, match="must be a fitted SDM"):
        wald_sdm_sar(_fit("sar", ["x1", "rho"], -1.0))
    with pytest.raises(InputError, match="no W_x terms"):
        wald_sdm_sem(_fit("sdm", ["x1", "rho"], -1.0))
    with pytest.raises(EstimationError, match="singular"):
        wald_test(np.ones(2), np.zeros((2, 2)))
    with pytest.raises(EstimationError, match="NaN"):
        wald_test(np.array([np.nan]), np.eye(1))


def test_lr_and_wald_end_to_end_vs_spreg():
    """spillmap fits + tests vs log-likelihoods and covariances of spreg 1.9 on Columbus (cross-section)."""
    import libpysal
    from spreg import ML_Error, ML_Lag

    from spillmap.estimation.model import SpatialPanel
    from spillmap.spatial.weights import SpatialWeights

    with closing(libpysal.io.open(libpysal.examples.get_path("columbus.dbf"))) as db:
        df = pd.DataFrame({"id": [str(i) for i in db.by_col("POLYID")], "HOVAL": db.by_col("HOVAL"),
                           "INC": db.by_col("INC"), "CRIME": db.by_col("CRIME")})
    wl = libpysal.weights.Rook.from_shapefile(libpysal.examples.get_path("columbus.shp"), idVariable="POLYID")
    wl.transform = "r"
    y, x = df[["HOVAL"]].to_numpy(), df[["INC", "CRIME"]].to_numpy()
    sar, sdm, sem = ML_Lag(y, x, w=wl), ML_Lag(y, x, w=wl, slx_lags=1), ML_Error(y, x, w=wl)
    w = SpatialWeights.from_libpysal(wl)
    fits = {m: SpatialPanel(df, y="HOVAL", x=["INC", "CRIME"], id="id", time=None, w=w, model=m, fe="none").fit()
            for m in ("sar", "sdm", "sem")}
    # spreg: 2 * (logll_SDM - logll_SAR / SEM); its log-likelihoods at its own estimates (rho to ~1e-7 with
    # the default epsilon, ML_Error "full" lambda to ~1e-5 through its e'e rounding noise ~1e-9) are
    # off by second-order amounts (<~ 1e-8) -> 1e-6 relative on statistics of order 1-10
    assert lr_sdm_sar(fits["sdm"], fits["sar"]).stat == pytest.approx(2 * (sdm.logll - sar.logll), rel=1e-6)
    assert lr_sdm_sem(fits["sdm"], fits["sem"]).stat == pytest.approx(2 * (sdm.logll - sem.logll), rel=1e-6)
    # Wald theta = 0 from spreg's betas and vm (order: const, INC, CRIME, W_INC, W_CRIME, rho)
    th, v = sdm.betas[3:5, 0], np.asarray(sdm.vm)[3:5, 3:5]
    # spreg's theta and vm at its rho (good to ~1e-7, default epsilon): first order, ~1e-7 -> 1e-6 (3e-9 observed)
    assert wald_sdm_sar(fits["sdm"]).stat == pytest.approx(th @ np.linalg.solve(v, th), rel=1e-6)
