"""One W per period (static models): identities, a closed form at N = 3, a dense transcription.

References: closed forms from the eigenvalues of two 3-unit matrices (the complete graph,
eigenvalues 1, -1/2, -1/2; the path 1-2-3 row-standardised, eigenvalues 1, 0, -1) and the dense
likelihood of tests/_dynamic_oracle.py (dummy variables, explicit F_T/F_N).  Tolerances: 1e-12
for identities of the same arithmetic, 1e-10 for closed forms, 1e-7 for maximisers (xtol).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spillmap.errors import InputError, WeightsError
from spillmap.estimation import SpatialPanel
from spillmap.estimation._dynamic_effects import effects_by_period
from spillmap.estimation._timevarying import resolve_weights
from spillmap.estimation._timevarying_ld import PanelLogDet
from spillmap.spatial.weights import SpatialWeights

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the oracle sits next to this file
from _dynamic_oracle import DenseDynamic  # noqa: E402

IDS3 = ["a", "b", "c"]
COMPLETE = SpatialWeights(sp.csr_matrix((np.ones((3, 3)) - np.eye(3)) / 2), IDS3, "R", "complete")
PATH = SpatialWeights(sp.csr_matrix(np.array([[0, 1, 0], [0.5, 0, 0.5], [0, 1, 0]])), IDS3, "R", "path")
YEARS = list(range(2010, 2016))
CHANGED = 2013


def _by_year():
    return {y: (PATH if y == CHANGED else COMPLETE) for y in YEARS}


def _panel3(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for y in YEARS:
        w = (PATH if y == CHANGED else COMPLETE).toarray()
        x = rng.normal(size=3)
        v = np.linalg.solve(np.eye(3) - 0.4 * w, 1.5 * x + rng.normal(size=3))
        rows.append(pd.DataFrame({"id": IDS3, "year": y, "x": x, "y": v}))
    return pd.concat(rows, ignore_index=True)


def test_closed_form_log_determinant_with_one_changed_period():
    pw = resolve_weights(_by_year(), YEARS)
    assert len(pw.groups) == 2 and pw.not_row_standardized_periods == ()
    ld = PanelLogDet(pw, "eigen")
    for rho in (-0.7, 0.2, 0.6):
        complete = np.log(1 - rho) + 2 * np.log(1 + rho / 2)   # eigenvalues 1, -1/2, -1/2
        path = np.log(1 - rho) + np.log(1 + rho)               # eigenvalues 1, 0, -1
        expected = ((len(YEARS) - 1) * complete + path) / len(YEARS)
        assert ld(rho) == pytest.approx(expected, abs=1e-12)
    assert ld.bounds == pytest.approx((-1.0, 1.0))  # the path's -1 is the binding eigenvalue


def test_changed_period_changes_only_its_lags_and_effects():
    df = _panel3()
    tv = SpatialPanel(df, "y ~ x", id="id", time="year", w=_by_year(), model="sdm", fe="individual")
    const = SpatialPanel(df, "y ~ x", id="id", time="year", w=COMPLETE, model="sdm", fe="individual")
    k = YEARS.index(CHANGED)
    diff = (tv.data.Wy - const.data.Wy).reshape(len(YEARS), 3)
    assert np.all(diff[np.arange(len(YEARS)) != k] == 0) and np.any(diff[k] != 0)
    res = tv.fit(lee_yu="none")
    per = effects_by_period(res, draws=0)
    rho, b, th = res.params["rho"], res.params["x"], res.params["W_x"]
    for year, eff in per.items():
        t = eff["short"]
        if year == CHANGED:   # (1/3) tr((I - rho W)^-1) and (1/3) tr(W (I - rho W)^-1) of the path
            m0 = (1 / (1 - rho) + 1 / (1 + rho) + 1) / 3
            m1 = (1 / (1 - rho) - 1 / (1 + rho)) / 3
        else:                 # of the complete graph
            m0 = (1 / (1 - rho) + 2 / (1 + rho / 2)) / 3
            m1 = (1 / (1 - rho) - 1 / (1 + rho / 2)) / 3
        assert t.direct.loc["x", "estimate"] == pytest.approx(b * m0 + th * m1, abs=1e-10)
        assert t.total.loc["x", "estimate"] == pytest.approx((b + th) / (1 - rho), abs=1e-10)  # row sums 1
    avg = res.impacts(draws=0)
    mean_direct = np.mean([e["short"].direct.loc["x", "estimate"] for e in per.values()])
    assert avg.direct.loc["x", "estimate"] == pytest.approx(mean_direct, abs=1e-12)
    assert "averaged over the periods" in avg.note



@pytest.mark.parametrize("model", ["sdm", "sar"])
def test_averaged_effects_standard_errors_equal_a_dense_delta_method(model):
    """The SEs of the effects averaged over the periods (one W per period; stop 27 left them without a
    cross-check) equal the delta method written out independently: per period the dense
    ``S_t = (I - rho W_t)^-1 (beta I + theta W_t)``, its mean direct / indirect / total effect, their
    average over the periods, a central-difference Jacobian ``J`` in (beta, theta, rho) and
    ``sqrt(diag(J cov J'))`` with the fit's covariance.  Tolerance 1e-7 relative: the difference
    quotient's error is O(h^2) = 1e-10 of the curvature plus rounding eps / h = 2e-11 (observed 4e-10
    at most)."""
    df = _panel3()
    res = SpatialPanel(df, "y ~ x", id="id", time="year", w=_by_year(), model=model, fe="individual").fit(lee_yu="none")
    names = ["x", "W_x", "rho"] if model == "sdm" else ["x", "rho"]
    theta, cov = res.params[names].to_numpy(), res.cov.loc[names, names].to_numpy()

    def averaged(p: np.ndarray) -> np.ndarray:
        b, th, rho = (p[0], p[1], p[2]) if model == "sdm" else (p[0], 0.0, p[1])
        out = np.zeros(3)
        for w in _by_year().values():
            a = w.toarray()
            s = np.linalg.solve(np.eye(3) - rho * a, b * np.eye(3) + th * a)
            direct, total = np.trace(s) / 3, s.sum() / 3
            out += (direct, total - direct, total)
        return out / len(YEARS)

    h = 1e-5
    jac = np.column_stack([(averaged(theta + h * e) - averaged(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    avg = res.impacts(draws=0)
    kinds = (avg.direct, avg.indirect, avg.total)
    np.testing.assert_allclose([k.loc["x", "estimate"] for k in kinds], averaged(theta), rtol=0, atol=1e-12)
    np.testing.assert_allclose([k.loc["x", "se"] for k in kinds], np.sqrt(np.diag(jac @ cov @ jac.T)), rtol=1e-7)

def _ring8():
    n = 8
    a = np.zeros((n, n))
    for i in range(n):
        for j in (1, 3):
            a[i, (i + j) % n] = a[(i + j) % n, i] = 1
    ids = [f"r{i}" for i in range(n)]
    w = SpatialWeights(sp.csr_matrix(a / a.sum(axis=1, keepdims=True)), ids, "R", "ring")
    rng = np.random.default_rng(1)
    rows = []
    for y in YEARS:
        x = rng.normal(size=n)
        v = np.linalg.solve(np.eye(n) - 0.4 * w.toarray(), 1.5 * x + rng.normal(size=n) + 0.3 * (y - 2010))
        rows.append(pd.DataFrame({"id": ids, "year": y, "x": x, "y": v}))
    return w, pd.concat(rows, ignore_index=True)


@pytest.mark.parametrize("model,effects", [("sar", "twoways"), ("sdm", "individual"), ("sem", "time"),
                                           ("sdem", "none"), ("slx", "twoways")])
@pytest.mark.parametrize("lee_yu", ["none", "transformation", "bias-correction"])
def test_constant_w_per_period_is_the_constant_w_fit(model, effects, lee_yu):
    w, df = _ring8()
    a = SpatialPanel(df, "y ~ x", id="id", time="year", w=w, model=model, fe=effects).fit(lee_yu=lee_yu)
    b = SpatialPanel(df, "y ~ x", id="id", time="year", w={y: w for y in YEARS}, model=model,
                     fe=effects).fit(lee_yu=lee_yu)
    np.testing.assert_allclose(b.params, a.params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.std_errors, a.std_errors, rtol=1e-12)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-12)


@pytest.mark.parametrize("effects,approach", [("individual", "direct"), ("twoways", "direct"),
                                              ("twoways", "transformation"), ("individual", "transformation")])
def test_static_time_varying_fit_equals_dense_transcription(effects, approach):
    """Sum_t ln|I - rho W_t| (direct) or its Lee-Yu weighting (T-1)/T (transformation: spillmap's
    generalisation, module notes of estimation/_timevarying.py) against the dense oracle."""
    rng = np.random.default_rng(5)
    n, t0 = 6, 5
    ids = [f"i{j}" for j in range(n)]
    ws = []
    for s in range(t0):
        a = (rng.random((n, n)) < 0.5).astype(float)
        a = np.triu(a, 1)
        a = a + a.T
        a[np.arange(n), (np.arange(n) + 1) % n] = a[(np.arange(n) + 1) % n, np.arange(n)] = 1
        ws.append(a / a.sum(axis=1, keepdims=True))
    x = rng.normal(size=(t0, n, 2))
    y = np.stack([np.linalg.solve(np.eye(n) - 0.3 * ws[s], x[s] @ [1, -1] + rng.normal(size=n) + s)
                  for s in range(t0)])
    df = pd.DataFrame({"id": np.tile(ids, t0), "yr": np.repeat(np.arange(t0), n), "x1": x[:, :, 0].ravel(),
                       "x2": x[:, :, 1].ravel(), "y": y.ravel()})
    wmap = {s: SpatialWeights(sp.csr_matrix(ws[s]), ids, "R") for s in range(t0)}
    later = df[df.yr > 0]  # the oracle's likelihood periods are 1..T0-1
    res = SpatialPanel(later, "y ~ x1 + x2", id="id", time="yr", w=wmap, model="sdm", fe=effects).fit(
        lee_yu="none" if approach == "direct" else "transformation")
    oracle = DenseDynamic(y, x, ws, lags=())
    coef, rho, s2 = oracle.fit(effects, approach)
    np.testing.assert_allclose(np.r_[res.params.to_numpy(), res.sigma2], np.r_[coef, rho, s2], atol=1e-7)
    assert res.loglik == pytest.approx(oracle.loglik(coef, rho, s2, effects, approach), abs=1e-6)
    cov = oracle.information(coef, rho, s2, effects, approach)
    np.testing.assert_allclose(res.cov_full.to_numpy(), cov, rtol=1e-6, atol=1e-10)


def test_refusals_say_why():
    df = _panel3()
    with pytest.raises(InputError, match="SEM with 'individual' fixed effects needs the same W"):
        SpatialPanel(df, "y ~ x", id="id", time="year", w=_by_year(), model="sem", fe="individual")
    with pytest.raises(InputError, match="random effects with a time-varying W"):
        SpatialPanel(df, "y ~ x", id="id", time="year", w=_by_year(), model="sar", re=True)
    raw = SpatialWeights(sp.csr_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=float)), IDS3, "B")
    wmap = {**_by_year(), 2011: raw}
    model = SpatialPanel(df, "y ~ x", id="id", time="year", w=wmap, model="sar", fe="twoways")
    with pytest.raises(WeightsError, match=r"W_t of period\(s\) 2011 are not \(J_N W_t = J_N W_t J_N"):
        model.fit(lee_yu="transformation")
    model.fit(lee_yu="none")  # the direct approach needs no row sums


def test_builder_per_period_and_text_keys():
    df = _panel3()
    a = SpatialPanel(df, "y ~ x", id="id", time="year", w=lambda p: PATH if p == CHANGED else COMPLETE,
                     model="sar", fe="individual").fit()
    b = SpatialPanel(df, "y ~ x", id="id", time="year", w={str(k): v for k, v in _by_year().items()},
                     model="sar", fe="individual").fit()
    np.testing.assert_allclose(a.params, b.params, atol=0)
    assert a.w.for_period(CHANGED) is PATH or a.w.for_period(CHANGED).equals(PATH)
