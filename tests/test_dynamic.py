"""Dynamic spatial panels against a dense literal transcription (tests/_dynamic_oracle.py).

Reference numbers come from the oracle only (no hard-coded values): the likelihood of
Yu, de Jong & Lee (2008) / Lee & Yu (2010) written with dummy variables or explicit F_T, F_N,
maximised by bounded Brent to 1e-13, and each bias vector with ``sum_h A^h`` summed term by term.

Tolerances: estimates 1e-7 (both maximisers stop at xtol <= 1e-10 in rho; the coefficients
and sigma2 are exact functions of rho, so their error is of the same order times the slope);
the likelihood surface 1e-10 relative (two exact closed forms; differences are rounding of
sums over N T terms); the bias vectors 1e-10 (exact traces against explicit sums to 4,000
terms, truncated below 1e-18).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spillmap.spatial.weights import SpatialWeights
from spillmap.estimation import SpatialPanel
from spillmap.estimation import _ml
from spillmap.estimation._dynamic_ml import Lags, chain_bias, spectral_bias, time_bias
from spillmap.estimation._fixed import _lee_yu_and_counts
from spillmap.estimation._logdet import LogDet

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the oracle sits next to this file
from _dynamic_oracle import DenseDynamic  # noqa: E402

N, T0 = 7, 6
IDS = [f"c{i}" for i in range(N)]
TRUE = dict(tau=0.35, eta=-0.15, rho=0.3, beta=np.array([1.0, -0.6]), theta=np.array([0.4, 0.2]))


def _graph(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = np.zeros((N, N))
    for i in range(N):  # a ring plus random chords: connected, irregular degrees
        a[i, (i + 1) % N] = a[(i + 1) % N, i] = 1
    for _ in range(4):
        i, j = rng.choice(N, 2, replace=False)
        a[i, j] = a[j, i] = 1
    return a / a.sum(axis=1, keepdims=True)


W_DENSE = _graph(3)
W = SpatialWeights(sp.csr_matrix(W_DENSE), IDS, "R", "W")


def _simulate(ws, seed=0):
    rng = np.random.default_rng(seed)
    mu, alpha = rng.normal(size=N), rng.normal(size=T0)
    y = np.zeros((T0, N))
    x = rng.normal(size=(T0, N, 2))
    y_prev = rng.normal(size=N)
    for t in range(T0):
        w, wl = ws[t], ws[t - 1] if t else ws[0]
        rhs = (TRUE["tau"] * y_prev + TRUE["eta"] * wl @ y_prev + x[t] @ TRUE["beta"] + w @ x[t] @ TRUE["theta"]
               + mu + alpha[t] + rng.normal(size=N))
        y[t] = np.linalg.solve(np.eye(N) - TRUE["rho"] * w, rhs)
        y_prev = y[t]
    return y, x


def _frame(y, x):
    return pd.DataFrame({"id": np.tile(IDS, T0), "year": np.repeat(np.arange(2001, 2001 + T0), N),
                         "x1": x[:, :, 0].ravel(), "x2": x[:, :, 1].ravel(), "y": y.ravel()})


Y, X = _simulate([W_DENSE] * T0)
DF = _frame(Y, X)
ORACLE = DenseDynamic(Y, X, [W_DENSE] * T0)

CASES = [(e, ly) for e in ("individual", "time", "twoways")
         for ly in ("none", "transformation", "bias-correction", "ydjl")]


def _approach(lee_yu: str) -> str:
    """The oracle's likelihood for an option: F_T and F_N, F_N with unit dummies, or dummies."""
    return {"transformation": "transformation", "ydjl": "ydjl"}.get(lee_yu, "direct")


def _oracle_vector(oracle, effects, lee_yu, theta, chain):
    unit, time = effects in ("individual", "twoways"), effects in ("time", "twoways")
    tau, eta, rho, s2 = theta[-4:]
    vectors = []
    if lee_yu == "bias-correction":
        if unit:
            vectors.append((oracle.chain_vector if chain else oracle.ydjl_vector)(tau, eta, rho, s2))
        if time:
            vectors.append(oracle.time_vector(rho, s2))
    elif lee_yu in ("transformation", "ydjl") and unit:
        vectors.append((oracle.chain_vector if chain else oracle.ydjl_vector)(
            tau, eta, rho, s2, transformed=time, static_part=lee_yu == "ydjl"))
    if not vectors:
        return None
    s = np.zeros(theta.size)
    for v in vectors:
        s[-4:] += [v["tau"], v["eta"], v["rho"], v["sigma2"]]
    return s


def _oracle_estimate(oracle: DenseDynamic, effects: str, lee_yu: str, chain: bool = False):
    """``(theta, cov)``: the corrected estimate ``theta + C s`` and ``J C(theta_c) J'`` with
    ``J = I + C ds/dtheta`` (central differences of the dense vector, step 1e-6)."""
    approach = _approach(lee_yu)
    coef, rho, s2 = oracle.fit(effects, approach)
    theta = np.concatenate([coef, [rho, s2]])
    c0 = oracle.information(coef, rho, s2, effects, approach)
    s = _oracle_vector(oracle, effects, lee_yu, theta, chain)
    if s is None:
        return theta, c0
    jac = np.eye(theta.size)
    for j in range(theta.size - 4, theta.size):
        up, dn = theta.copy(), theta.copy()
        up[j] += 1e-6
        dn[j] -= 1e-6
        jac[:, j] += c0 @ (_oracle_vector(oracle, effects, lee_yu, up, chain)
                           - _oracle_vector(oracle, effects, lee_yu, dn, chain)) / 2e-6
    tc = theta + c0 @ s
    return tc, jac @ oracle.information(tc[:-2], tc[-2], tc[-1], effects, approach) @ jac.T


@pytest.mark.parametrize("effects,lee_yu", CASES)
def test_estimates_equal_dense_transcription(effects, lee_yu):
    res = SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=W, model="sdm", fe=effects,
                       dynamic="both").fit(lee_yu=lee_yu)
    mine = np.concatenate([res.params.to_numpy(), [res.sigma2]])
    ref, cov = _oracle_estimate(ORACLE, effects, lee_yu)
    np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-7)
    # covariance: information matrices of the same formulas (1e-10) through a Jacobian by central
    # differences (steps 1e-5 vs 1e-6: truncation and rounding ~1e-8 of the largest entry)
    np.testing.assert_allclose(res.cov_full.to_numpy(), cov, rtol=1e-6, atol=1e-7 * np.abs(cov).max())


@pytest.mark.parametrize("effects,lee_yu", CASES)
def test_likelihood_surface_equals_dense_transcription(effects, lee_yu):
    model = SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=W, model="sdm", fe=effects, dynamic="both")
    d = model.data
    ly, counts = _lee_yu_and_counts(d, lee_yu)
    approach = _approach(ly)
    logdet = LogDet(W, "eigen")
    rng = np.random.default_rng(1)
    for _ in range(6):
        coef = rng.normal(scale=0.5, size=6)
        rho, s2 = rng.uniform(-0.6, 0.8), rng.uniform(0.3, 3.0)
        theta = np.concatenate([coef, [rho, s2]])
        mine = _ml.full_loglik("lag", theta, *d.transformed, logdet, counts)
        ref = ORACLE.loglik(coef, rho, s2, effects, approach)
        assert abs(mine - ref) <= 1e-10 * max(1.0, abs(ref))


def test_bias_vectors_equal_dense_sums():
    """Every piece of s against the explicit sums (constant W: eigenvalues; one W per period: chains)."""
    lags = Lags(0.35, -0.15, 0.3)
    for transformed in (False, True):
        for static in (False, True):
            mine = spectral_bias(W, lags, 1.7, transformed=transformed, static_part=static)
            ref = ORACLE.ydjl_vector(0.35, -0.15, 0.3, 1.7, transformed=transformed, static_part=static)
            for k in ref:
                assert mine[k] == pytest.approx(ref[k], abs=1e-10)
            # the power series (large-N route) agrees with the exact traces to its truncation 1e-8
            series = spectral_bias(W, lags, 1.7, transformed=transformed, static_part=static, exact=False)
            for k in ref:
                assert series[k] == pytest.approx(ref[k], rel=5e-2, abs=5e-2)  # Hutchinson, 50 probes, N = 7
    tb = time_bias(W, 0.3, 1.7, 5)
    ref = ORACLE.time_vector(0.3, 1.7)
    assert tb["rho"] == pytest.approx(ref["rho"], abs=1e-12) and tb["sigma2"] == pytest.approx(ref["sigma2"])
    ws = [_graph(s) for s in range(T0)]
    oracle = DenseDynamic(Y, X, ws)
    mats = [SpatialWeights(sp.csr_matrix(w), IDS, "R") for w in ws]
    for transformed in (False, True):
        mine = chain_bias(mats, lags, 1.7, transformed=transformed, static_part=True)
        ref = oracle.chain_vector(0.35, -0.15, 0.3, 1.7, transformed=transformed)
        for k in ref:
            assert mine[k] == pytest.approx(ref[k], abs=1e-10)


@pytest.mark.parametrize("effects,lee_yu", [("individual", "bias-correction"), ("twoways", "transformation"),
                                            ("twoways", "bias-correction")])
def test_time_varying_w_equals_dense_transcription(effects, lee_yu):
    ws = [_graph(s) for s in range(T0)]
    y, x = _simulate(ws, seed=4)
    wmap = {2001 + t: SpatialWeights(sp.csr_matrix(ws[t]), IDS, "R") for t in range(T0)}
    res = SpatialPanel(_frame(y, x), "y ~ x1 + x2", id="id", time="year", w=wmap, model="sdm", fe=effects,
                       dynamic="both").fit(lee_yu=lee_yu)
    mine = np.concatenate([res.params.to_numpy(), [res.sigma2]])
    ref, cov = _oracle_estimate(DenseDynamic(y, x, ws), effects, lee_yu, chain=True)
    np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-7)
    np.testing.assert_allclose(res.cov_full.to_numpy(), cov, rtol=1e-6, atol=1e-7 * np.abs(cov).max())


# ----------------------------------------------------------------- identities
@pytest.mark.parametrize("effects", ["individual", "time", "twoways"])
@pytest.mark.parametrize("lee_yu", ["none", "transformation", "bias-correction"])
def test_tau_eta_zero_imposed_is_the_static_estimator(effects, lee_yu):
    """The dynamic code path on data without lag columns (tau = eta = 0 imposed) against the static
    fit on periods 2..T.  Exact for 'none' and 'transformation'; for 'bias-correction' the
    coefficients and rho are identical and sigma2 differs as the two corrections do: YdJL's
    first-order sigma2 (1 + 1/T) (unit effects) and Lee-Yu's b-vector (time effects) against
    Elhorst's static factors (T/(T-1), N/(N-1) or his two-way formula)."""
    from spillmap.estimation.dynamic import fit_dynamic

    later = DF[DF.year > 2001]
    static = SpatialPanel(later, "y ~ x1 + x2", id="id", time="year", w=W, model="sdm", fe=effects)
    ref = static.fit(lee_yu=lee_yu)
    res = fit_dynamic(static.data, dynamic="both", lee_yu=lee_yu, cov_type="information", tol=1e-10,
                      logdet_method="auto", trace_probes=None)
    if lee_yu != "bias-correction":
        np.testing.assert_allclose(res.params, ref.params, rtol=0, atol=1e-13)
        assert res.sigma2 == pytest.approx(ref.sigma2, rel=1e-13)
        assert res.loglik == pytest.approx(ref.loglik, rel=1e-13)
        return
    t = T0 - 1
    uncorrected = static.fit(lee_yu="none")
    if effects == "individual":  # beta, rho untouched by both; sigma2 (1 + 1/T) vs T/(T-1)
        np.testing.assert_allclose(res.params, ref.params, rtol=0, atol=1e-12)
        assert res.sigma2 == pytest.approx(uncorrected.sigma2 * (1 + 1 / t), rel=1e-12)
        assert ref.sigma2 == pytest.approx(uncorrected.sigma2 * t / (t - 1), rel=1e-12)
    elif effects == "twoways":  # the same b-vector step; YdJL adds sigma2/T where Elhorst multiplies by T/(T-1)
        np.testing.assert_allclose(res.params, ref.params, rtol=0, atol=1e-12)
    else:  # time effects: Lee-Yu's b-vector corrects rho too; Elhorst's static code only sigma2
        assert res.params["rho"] != pytest.approx(ref.params["rho"], abs=1e-6)


@pytest.mark.parametrize("effects", ["individual", "twoways"])
def test_bias_corrected_dynamic_fit_reports_the_maximised_loglik(effects):
    """As for the static fits: loglik is the maximum (the lee_yu="none" fit's, the same likelihood and
    counts: 1e-12), the value at the corrected estimates apart and lower (dynamic audit 2026-12-01)."""
    spec = SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=W, model="sdm", fe=effects, dynamic="both")
    none, bc = spec.fit(lee_yu="none"), spec.fit(lee_yu="bias-correction")
    assert bc.loglik == pytest.approx(none.loglik, rel=1e-12)
    assert bc.extra["loglik_at_corrected"] < bc.loglik


def test_constant_w_per_period_reproduces_constant_w_fit():
    for effects, ly in [("twoways", "transformation"), ("individual", "bias-correction"), ("time", "none")]:
        a = SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=W, model="sdm", fe=effects,
                         dynamic="both").fit(lee_yu=ly)
        b = SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w={p: W for p in range(2001, 2001 + T0)},
                         model="sdm", fe=effects, dynamic="both").fit(lee_yu=ly)
        np.testing.assert_allclose(b.params, a.params, rtol=0, atol=1e-13)
        np.testing.assert_allclose(b.std_errors, a.std_errors, rtol=1e-12)
        assert b.loglik == pytest.approx(a.loglik, rel=1e-13)


def test_large_n_routes_agree_with_the_exact_ones():
    """The power-series traces (Hutchinson tr(W^j), j >= 3, 50 probes) against W's eigenvalues on a
    40 x 40 rook lattice: tr(L) is dominated by its exact j = 0 term (measured error 4e-5); tr(W L)
    and tr(W A L) start at j = 2 and carry the Hutchinson error of tr(W^3), tr(W^4), ... (about
    sqrt(2/50) ||W^j||_F / tr(W^j), measured 2e-3), so 5e-3; the stability margin from the ends
    of the spectrum [-1, 1] bounds the exact one."""
    from spillmap.estimation._dynamic_ml import stability_margin

    side = 40
    idx = np.arange(side * side).reshape(side, side)
    a, b = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()], np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    m = sp.coo_matrix((np.ones(2 * a.size), (np.r_[a, b], np.r_[b, a])), shape=(side**2,) * 2).tocsr()
    w = SpatialWeights(m, [str(i) for i in range(side**2)]).row_standardize()
    lags = Lags(0.45, -0.2, 0.35)
    for transformed in (False, True):
        exact = spectral_bias(w, lags, 1.3, transformed=transformed, static_part=True, exact=True)
        series = spectral_bias(w, lags, 1.3, transformed=transformed, static_part=True, exact=False)
        for k in exact:
            assert series[k] == pytest.approx(exact[k], rel=5e-3)
    exact_margin = stability_margin(w, lags)[0]
    import spillmap.estimation._dynamic_ml as dml

    old = dml.EXACT_MAX_N
    dml.EXACT_MAX_N = 100  # force the large-N route on this W
    try:
        ends, _, how = stability_margin(w, lags)
    finally:
        dml.EXACT_MAX_N = old
    assert "ends" in how and exact_margin <= ends + 1e-12
