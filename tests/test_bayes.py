"""Bayesian model probabilities (spillmap.estimation.bayes) against brute-force quadrature."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from spillmap.estimation.bayes import model_probabilities, weights_probabilities

X = ["lpcap", "lpc", "lemp", "unemp"]


def _brute(model, yd, wyd, xd, wxd, t, n_fe, W):
    """The integrand from explicit regressions at each r, integrated by adaptive quadrature."""
    n = W.shape[0]
    nt, k = xd.shape
    dof = (nt - k - n_fe) / 2
    ev = np.linalg.eigvals(W).real
    rmin, rmax = 1 / ev.min(), 1 / ev.max()
    const = special.gammaln(dof) - dof * np.log(2 * np.pi) - np.log(rmax - rmin)

    def logf(r):
        lnd = np.linalg.slogdet(np.eye(n) - r * W)[1]
        if model in ("sar", "sdm"):
            yy = yd - r * wyd
            e = yy - xd @ np.linalg.lstsq(xd, yy, rcond=None)[0]
            return t * lnd - dof * np.log(e @ e) - 0.5 * np.linalg.slogdet(xd.T @ xd)[1]
        yy, xx = yd - r * wyd, xd - r * wxd
        e = yy - xx @ np.linalg.lstsq(xx, yy, rcond=None)[0]
        return t * lnd - dof * np.log(e @ e) - 0.5 * np.linalg.slogdet(xx.T @ xx)[1]

    rs = np.linspace(rmin + 1e-9, rmax - 1e-9, 401)
    m = max(logf(r) for r in rs)
    val, _ = integrate.quad(lambda r: np.exp(logf(r) - m), rmin, rmax, epsrel=1e-11, limit=400, points=[0.0])
    return const + m + np.log(val)


@pytest.fixture(scope="module")
def small(produc_logs, us48_queen):
    ids = us48_queen.ids[:24]
    w = us48_queen.subset(ids).row_standardize()
    df = produc_logs[produc_logs.state_abbr.isin(ids) & (produc_logs.year <= 1978)].copy()
    return df, w


def test_probabilities_match_brute_force_quadrature(small):
    from spillmap.estimation.bayes import _arrays

    df, w = small
    res = model_probabilities(df, id="state_abbr", time="year", y="lgsp", x=X, w=w, fe="twoways")
    assert res.probability.sum() == pytest.approx(1.0, abs=1e-12)
    yd, wyd, zd, wzd, k0, d, n_fe = _arrays(df, id="state_abbr", time="year", y="lgsp", x=X, w=w, effects="twoways")
    W = w.toarray()
    brute = {}
    for m in ("sar", "sdm", "sem", "sdem"):
        durbin = m in ("sdm", "sdem")
        xd, wxd = (zd, wzd) if durbin else (zd[:, :k0], wzd[:, :k0])
        brute[m] = _brute(m, yd, wyd, xd, wxd, d.t, n_fe, W)
        # Simpson on 2001 points of a smooth integrand vs quad at epsrel 1e-11: 1e-7 on the log scale
        assert res.log_marginal[m] == pytest.approx(brute[m], abs=1e-7), m
    # OLS closed form with an explicit normalisation
    xo = zd[:, :k0]
    e = yd - xo @ np.linalg.lstsq(xo, yd, rcond=None)[0]
    dof = (len(yd) - k0 - n_fe) / 2
    ols = special.gammaln(dof) - dof * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(xo.T @ xo)[1] - dof * np.log(e @ e)
    assert res.log_marginal["ols"] == pytest.approx(ols, rel=1e-12)
    # probabilities of the spatial models = ratios of the brute-force marginal likelihoods
    sub = model_probabilities(df, id="state_abbr", time="year", y="lgsp", x=X, w=w, fe="twoways",
                              models=["sar", "sdm", "sem", "sdem"])
    lb = pd.Series(brute)
    ref = np.exp(lb - lb.max()) / np.exp(lb - lb.max()).sum()
    assert sub.probability[ref.index].to_numpy() == pytest.approx(ref.to_numpy(), abs=1e-6)


def test_a_w_not_row_standardised_integrates_over_its_own_interval(small):
    """A binary W: the spatial parameter's prior is uniform on (1/lambda_min, 1/lambda_max), not on
    (1/lambda_min, 1) (dynamic audit 2026-12-01: the log-marginals of SAR and SEM shifted by 0.85).
    References: brute-force quadrature over that interval (1e-7, as above), and the same model written
    with W / lambda_max, whose marginal is the same integral after r' = r lambda_max (grid points map
    one to one: rounding of the eigenvalue log-determinants only, 1e-9)."""
    from spillmap.estimation.bayes import _arrays
    from spillmap.spatial.weights import SpatialWeights

    df, w = small
    wb = w.binary()
    lam = float(np.max(np.linalg.eigvals(wb.toarray()).real))
    ws = SpatialWeights.from_sparse(wb.sparse / lam, list(wb.ids))
    kw = dict(id="state_abbr", time="year", y="lgsp", x=X, fe="twoways", models=["ols", "sar", "sem"])
    rb, rs = model_probabilities(df, w=wb, **kw), model_probabilities(df, w=ws, **kw)
    yd, wyd, zd, wzd, k0, d, n_fe = _arrays(df, id="state_abbr", time="year", y="lgsp", x=X, w=wb, effects="twoways")
    for m in ("sar", "sem"):
        brute = _brute(m, yd, wyd, zd[:, :k0], wzd[:, :k0], d.t, n_fe, wb.toarray())
        assert rb.log_marginal[m] == pytest.approx(brute, abs=1e-7), m
        assert rb.log_marginal[m] == pytest.approx(rs.log_marginal[m], abs=1e-9), m
    assert rb.probability.to_numpy() == pytest.approx(rs.probability.to_numpy(), abs=1e-9)


def _simulate(w, model, rng, t=6):
    n = w.n
    W = w.toarray()
    x = rng.normal(size=(n * t, 2))
    y = np.empty(n * t)
    mu = rng.normal(size=n)
    for s in range(t):
        xb = x[s * n:(s + 1) * n] @ [1.0, -1.0] + mu
        eps = rng.normal(scale=0.3, size=n)
        if model == "sar":
            y[s * n:(s + 1) * n] = np.linalg.solve(np.eye(n) - 0.6 * W, xb + eps)
        else:
            y[s * n:(s + 1) * n] = xb + np.linalg.solve(np.eye(n) - 0.6 * W, eps)
    return pd.DataFrame({"id": np.tile(w.ids, t), "t": np.repeat(np.arange(t), n), "y": y,
                         "x1": x[:, 0], "x2": x[:, 1]})


@pytest.mark.parametrize("truth,family", [("sar", ("sar", "sdm")), ("sem", ("sem", "sdem"))])
def test_simulated_model_is_preferred(truth, family):
    from libpysal.weights import lat2W

    from spillmap.spatial.weights import SpatialWeights

    w = SpatialWeights.from_libpysal(lat2W(10, 10)).row_standardize()
    df = _simulate(w, truth, np.random.default_rng(2))
    res = model_probabilities(df, id="id", time="t", y="y", x=["x1", "x2"], w=w, fe="individual")
    assert res.probability[list(family)].sum() > 0.9, res.probability
    # W vs a wrong W (5-nearest neighbours of a shuffled lattice): the true W wins
    rng = np.random.default_rng(0)
    perm = rng.permutation(w.n)
    wrong = SpatialWeights.from_sparse(w.sparse[perm][:, perm], w.ids)
    wp = weights_probabilities(df, id="id", time="t", y="y", x=["x1", "x2"], weights={"W": w, "Wrong": wrong},
                               model=truth, fe="individual")
    assert wp.probability["W"] > 0.99 and wp.probability.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("block", [2**21, 4 * 48, 48, 1])
def test_grid_log_determinants_in_blocks_equal_slogdet(us48_queen, monkeypatch, block):
    """The grid's log-determinants, whatever the block size (one row of the grid per block down to
    one value), equal ``numpy.linalg.slogdet`` of ``I - r W`` at every interior point (1e-10:
    the two are the same sums of ~N logarithms in another order); both ends are ``-inf``."""
    from spillmap.estimation import bayes
    from spillmap.estimation._logdet import LogDet

    monkeypatch.setattr(bayes, "GRID_BLOCK", block)
    logdet = LogDet(us48_queen, "eigen")
    r = np.linspace(logdet.bounds[0], 1.0, 41)
    got = bayes._grid_logdets(logdet, r)
    W = us48_queen.sparse.toarray()
    want = [np.linalg.slogdet(np.eye(W.shape[0]) - v * W)[1] for v in r[1:-1]]
    assert np.isneginf(got[0]) and np.isneginf(got[-1])
    np.testing.assert_allclose(got[1:-1], want, rtol=1e-10, atol=1e-10)
