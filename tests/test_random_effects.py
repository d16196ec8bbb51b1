"""Random-effects spatial panels: likelihoods, estimates and variances against
independent dense oracles and statsmodels' MixedLM (spillmap.estimation.random_effects)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import optimize

from spillmap.estimation import random_effects as remod

# the dense reference computations here run on one BLAS thread (see conftest.one_blas_thread)
pytestmark = pytest.mark.usefixtures("one_blas_thread")

N, T = 20, 4


def _weights(n, seed, symmetric=False):
    rng = np.random.default_rng(seed)
    a = (rng.random((n, n)) < 0.2).astype(float)
    a = np.maximum(a, a.T)
    np.fill_diagonal(a, 0)
    for i in range(n):
        if a[i].sum() == 0:
            a[i, (i + 1) % n] = a[(i + 1) % n, i] = 1
    if symmetric:
        return a / np.max(np.abs(np.linalg.eigvalsh(a)))
    return a / a.sum(1, keepdims=True)


def _design(n, t, rng, w=None):
    x = rng.normal(size=(n * t, 2))
    cols = [np.ones(n * t), x]
    if w is not None:  # SDM: add W x
        cols.append(np.kron(np.eye(t), w) @ x)
    return np.column_stack(cols)


def _sim(kind, w, x, rng, beta, par=0.4, s_mu=0.8):
    n = w.shape[0]
    t = x.shape[0] // n
    mu = np.tile(rng.normal(size=n) * s_mu, t)
    eps = rng.normal(size=n * t)
    binv = np.linalg.inv(np.eye(n) - par * w)
    if kind == "sar":
        return np.kron(np.eye(t), binv) @ (x @ beta + mu + eps)
    return x @ beta + mu + np.kron(np.eye(t), binv) @ eps


# ---------------------------------------------------------- dense oracles
def _mvn_logpdf(v, cov):
    """log N(v; 0, cov) by a dense Cholesky factorisation."""
    c = np.linalg.cholesky(cov)
    z = np.linalg.solve(c, v)
    return -0.5 * (v.size * np.log(2 * np.pi) + 2 * np.sum(np.log(np.diag(c))) + z @ z)


def dense_loglik(kind, y, x, w, b, par, s2mu, s2):
    """log-density of the RE model written directly with NT x NT matrices."""
    n = w.shape[0]
    t = y.size // n
    jt = np.kron(np.ones((t, t)), np.eye(n))
    bm = np.eye(n) - par * w
    if kind == "sar":
        a = np.kron(np.eye(t), bm)
        cov = s2mu * jt + s2 * np.eye(n * t)
        return _mvn_logpdf(a @ y - x @ b, cov) + np.linalg.slogdet(a)[1]
    cov = s2mu * jt + s2 * np.kron(np.eye(t), np.linalg.inv(bm.T @ bm))
    return _mvn_logpdf(y - x @ b, cov)


def _to_oracle(theta, k, t):
    b, par, phi, s2 = theta[:k], theta[k], theta[k + 1], theta[k + 2]
    return b, par, s2 * (1 / phi**2 - 1) / t, s2


def _cgrad(f, p, h=1e-6):
    g = np.empty_like(p)
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = h
        g[i] = (f(p + e) - f(p - e)) / (2 * h)
    return g


def dense_fit(kind, y, x, w, start):
    """Maximise the dense likelihood in (b, par, ln s2mu, ln s2): BFGS with central-difference
    gradients, then Newton steps with a finite-difference Hessian."""
    k = x.shape[1]

    def nll(p):
        return -dense_loglik(kind, y, x, w, p[:k], p[k], np.exp(p[k + 1]), np.exp(p[k + 2]))

    res = optimize.minimize(nll, start, jac=lambda p: _cgrad(nll, p), method="BFGS", options=dict(gtol=1e-8))
    p = res.x
    for _ in range(3):
        h = remod._numerical_hessian(nll, p, rel=1e-4)
        p = p - np.linalg.solve(h, _cgrad(nll, p))
    return p[:k], p[k], np.exp(p[k + 1]), np.exp(p[k + 2]), -nll(p)


@pytest.fixture(scope="module", params=["rowstd", "symmetric"])
def w(request):
    return _weights(N, 7, symmetric=request.param == "symmetric")


# ------------------------------------------------------------ likelihoods
@pytest.mark.parametrize("kind", ["sar", "sem"])
def test_loglik_equals_dense_density(kind, w):
    rng = np.random.default_rng(11)
    x = _design(N, T, rng)
    y = _sim(kind, w, x, rng, [1.0, 0.5, -0.3])
    eigs = np.linalg.eigvals(w)
    ld = remod._EigLogdet(eigs).logdet
    for theta in ([0.9, 0.4, -0.2, 0.3, 0.6, 1.1], [1.2, 0.6, -0.5, -0.25, 0.95, 0.7]):
        theta = np.array(theta)
        ref = dense_loglik(kind, y, x, w, *_to_oracle(theta, 3, T))
        if kind == "sar":
            wy = np.kron(np.eye(T), w) @ y
            got = remod.sar_re_loglik(theta, y, wy, x, ld, N, T)
        else:
            got = remod.sem_re_loglik(theta, y, x, sp.csr_matrix(w), ld, N, T)
        # two closed forms of the same density, no optimiser or derivative (eigenvalues vs a dense
        # Cholesky of the NT x NT covariance): only rounding separates them, bounded by
        # eps cond(B)^2 ~ 4e-13 relative (SEM's inv(B'B), cond(B) <= 40 at 0.95); 1e-11 = 25x that
        assert got == pytest.approx(ref, rel=1e-11)  # two closed forms: 25x eps cond(B)^2


# ------------------------------------------------------------ estimates
@pytest.mark.parametrize("kind", ["sar", "sdm", "sem"])
def test_fit_equals_dense_maximisation(kind, w):
    rng = np.random.default_rng(5)
    x = _design(N, T, rng, w if kind == "sdm" else None)
    beta = [1.0, 0.5, -0.3] + ([0.3, 0.2] if kind == "sdm" else [])
    y = _sim("sem" if kind == "sem" else "sar", w, x, rng, beta)
    eigs = np.linalg.eigvals(w)
    k = x.shape[1]
    if kind == "sem":
        fit = remod.fit_sem_re_arrays(y, x, sp.csr_matrix(w), eigs, N, T)
    else:
        fit = remod.fit_sar_re_arrays(y, np.kron(np.eye(T), w) @ y, x, eigs, N, T)
    b, par, s2mu, s2 = _to_oracle(fit.theta, k, T)
    start = np.concatenate([b + 0.05, [par - 0.05, np.log(s2mu) + 0.1, np.log(s2) - 0.1]])
    ob, opar, os2mu, os2, oll = dense_fit("sem" if kind == "sem" else "sar", y, x, w, start)
    # the dense optimum is as good as its central-difference gradient (h = 1e-6: rounding
    # eps |ll| / h ~ 2e-8, divided by curvatures of order 1-100) -> <~ 1e-7 on the parameters
    # (3e-8 observed); the log-likelihood is second order in that
    np.testing.assert_allclose(fit.beta, ob, atol=1e-6)
    assert fit.rho == pytest.approx(opar, abs=1e-6)
    assert fit.sigma2_mu == pytest.approx(os2mu, abs=1e-6)
    assert fit.sigma2 == pytest.approx(os2, abs=1e-6)
    assert fit.loglik == pytest.approx(oll, abs=1e-8)
    assert fit.loglik >= oll - 1e-9  # never worse than the brute-force optimum


@pytest.mark.parametrize("kind", ["sar", "sem"])
def test_information_equals_dense_numerical_hessian(kind, w):
    """cov_full = inverse of minus the Hessian of the *dense* likelihood in (b, par, phi, s2)."""
    rng = np.random.default_rng(3)
    x = _design(N, T, rng)
    y = _sim(kind, w, x, rng, [1.0, 0.5, -0.3])
    eigs = np.linalg.eigvals(w)
    if kind == "sem":
        fit = remod.fit_sem_re_arrays(y, x, sp.csr_matrix(w), eigs, N, T)
    else:
        fit = remod.fit_sar_re_arrays(y, np.kron(np.eye(T), w) @ y, x, eigs, N, T)

    def f(th):
        return dense_loglik(kind, y, x, w, *_to_oracle(th, 3, T))

    h = remod._numerical_hessian(f, fit.theta, rel=2e-4)
    ref = np.linalg.inv(-h)
    # central second differences, steps 2e-4 max(|theta|, 0.1): truncation ~4e-8 relative, rounding
    # ~8 eps |ll| / h^2 <= 5e-5 on entries of order 10-1000, amplified by the inversion -> 2e-4
    np.testing.assert_allclose(fit.cov_full, ref, rtol=2e-4, atol=1e-7 * np.abs(ref).max())


def test_sar_analytic_gradient_and_hessian():
    w = _weights(N, 2)
    rng = np.random.default_rng(8)
    x = _design(N, T, rng, w)
    y = _sim("sar", w, x, rng, [1.0, 0.5, -0.3, 0.3, 0.2])
    wy = np.kron(np.eye(T), w) @ y
    ld = remod._EigLogdet(np.linalg.eigvals(w))
    theta = np.array([0.8, 0.4, -0.2, 0.2, 0.1, 0.35, 0.55, 1.3])  # not the optimum

    def f(th):
        return remod.sar_re_loglik(th, y, wy, x, ld.logdet, N, T)

    g, h = remod._sar_re_hessian(theta, y, wy, x, ld, N, T)
    gnum = optimize.approx_fprime(theta, f, 1e-7)
    # forward differences, h = 1e-7: truncation h/2 |H_ii| <= 1e-5 (|H_ii| <= 160 here) plus
    # rounding 4 eps |f| / h ~ 1e-6 -> atol 1e-4 (a wrong analytic term is off by O(1))
    np.testing.assert_allclose(g, gnum, rtol=1e-5, atol=1e-4)
    # central second differences with steps h_i = 1e-4 max(|theta_i|, 0.1) (remod._numerical_hessian):
    # truncation O(h^2) ~ 1e-8 relative; rounding: f is good to ~2 eps |f| (measured), and the four
    # evaluations are divided by h_i h_j -> up to 8 eps |f| / (h_i h_j), 4e-3 for theta_4 = 0.1
    # (h = 1e-5) against an entry of 11; 16 eps |f| / (h_i h_j) leaves a factor 2
    steps = 1e-4 * np.maximum(np.abs(theta), 0.1)
    atol = 16 * np.finfo(float).eps * abs(f(theta)) / np.outer(steps, steps)
    hnum = remod._numerical_hessian(f, theta)
    np.testing.assert_array_less(np.abs(h - hnum), atol + 1e-6 * np.abs(hnum))  # elementwise atol


def test_rho_zero_is_classical_ml_random_effects():
    """With rho fixed at 0 the SAR-RE estimator is ML random effects: statsmodels MixedLM."""
    import statsmodels.api as sm

    w = _weights(30, 4)
    n, t = 30, 5
    rng = np.random.default_rng(21)
    x = _design(n, t, rng)
    y = _sim("sar", w, x, rng, [2.0, 0.5, -0.3], par=0.0)
    fit = remod.fit_sar_re_arrays(y, np.kron(np.eye(t), w) @ y, x, np.linalg.eigvals(w), n, t, rho=0.0)
    groups = np.tile(np.arange(n), t)
    # reference: statsmodels 0.15 MixedLM(y, X, groups).fit(reml=False) (random intercept ML)
    ref = sm.MixedLM(y, x, groups=groups).fit(reml=False, method="bfgs", gtol=1e-12)
    # two maximisations of one likelihood: BFGS to gtol 1e-12 vs Brent (xatol 1e-10 on phi) + Newton
    # polish: both within ~1e-9 (4e-16 observed); 1e-6 leaves room for a BFGS stopped on precision loss
    np.testing.assert_allclose(fit.beta, ref.fe_params, atol=1e-6)
    assert fit.sigma2_mu == pytest.approx(float(np.asarray(ref.cov_re)[0, 0]), abs=1e-6)
    assert fit.sigma2 == pytest.approx(ref.scale, abs=1e-6)
    assert fit.loglik == pytest.approx(ref.llf, abs=1e-6)  # second order in the above
    k = x.shape[1]
    # (X'V^-1 X)^-1 at estimates ~1e-9 apart (3e-12 observed) -> 1e-6
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov_full)[:k]), ref.bse_fe, rtol=1e-6)
    assert fit.rho is None


def test_no_individual_heterogeneity_gives_phi_near_one():
    """sigma2_mu = 0 in the DGP: phi -> 1 and the estimator approaches pooled ML."""
    w = _weights(40, 9)
    n, t = 40, 3
    rng = np.random.default_rng(2)
    x = _design(n, t, rng)
    y = _sim("sar", w, x, rng, [1.0, 0.5, -0.3], s_mu=0.0)
    fit = remod.fit_sar_re_arrays(y, np.kron(np.eye(t), w) @ y, x, np.linalg.eigvals(w), n, t)
    assert fit.phi > 0.6
    assert fit.sigma2_mu < 0.2 * fit.sigma2


def test_rho_at_bound_raises():
    """A common time pattern and no time effects: W y ~ y, rho runs to its bound."""
    from spillmap.errors import ConvergenceError

    w = _weights(N, 7)
    rng = np.random.default_rng(0)
    x = _design(N, T, rng)
    y = np.repeat([1.0, 5.0, 10.0, 20.0], N) + 0.001 * rng.normal(size=N * T)
    with pytest.raises(ConvergenceError, match=r"estimate of rho \(0.99.*at the bound"):
        remod.fit_sar_re_arrays(y, np.kron(np.eye(T), w) @ y, x, np.linalg.eigvals(w), N, T, rho_bounds=(-0.99, 0.99))


def test_information_not_positive_definite_raises():
    from spillmap.errors import EstimationError

    with pytest.raises(EstimationError, match="not positive definite.*smallest eigenvalue"):
        remod._inv_info(np.diag([-1.0, 1.0]))


@pytest.mark.parametrize("kind", ["sar", "sem"])
def test_lu_path_equals_eigen_path(kind):
    """The large-N route (sparse-LU log-determinant, Traces for the Hessian) gives the
    estimates and covariance of the eigenvalue route."""
    from spillmap.spatial.weights import SpatialWeights

    wd = _weights(N, 3)
    sw = SpatialWeights.from_sparse(sp.csr_matrix(wd), [str(i) for i in range(N)])
    rng = np.random.default_rng(12)
    x = _design(N, T, rng)
    y = _sim(kind, wd, x, rng, [1.0, 0.5, -0.3])
    lu = remod._LULogdet(sw)
    eig = np.linalg.eigvals(wd)
    if kind == "sar":
        wy = np.kron(np.eye(T), wd) @ y
        a = remod.fit_sar_re_arrays(y, wy, x, eig, N, T)
        b = remod.fit_sar_re_arrays(y, wy, x, lu, N, T)
    else:
        a = remod.fit_sem_re_arrays(y, x, sp.csr_matrix(wd), eig, N, T)
        b = remod.fit_sem_re_arrays(y, x, sp.csr_matrix(wd), lu, N, T)
    # the LU route has no Newton polish: its nested bounded Brent searches stop within ~4 sqrt(eps)|x|
    # (6e-8 relative) whatever xatol, and beta, sigma2 follow to first order -> rtol 5e-7, atol 1e-7
    # (2.6e-8 observed with numpy 1.26)
    np.testing.assert_allclose(b.theta, a.theta, rtol=5e-7, atol=1e-7)
    # SEM: finite-difference Hessians at points 1e-8 apart agree to ~1e-5 of the largest entry
    np.testing.assert_allclose(b.cov_full, a.cov_full, rtol=1e-5, atol=1e-6 * np.abs(a.cov_full).max())
    assert b.loglik == pytest.approx(a.loglik, rel=1e-11)  # second order in the theta error: ~1e-15


@pytest.mark.slow
def test_standard_errors_calibrated_monte_carlo():
    """RE SDM, N = 40, T = 5, 150 replications: the mean analytic SE of rho and of a slope is
    within 15 % of the Monte Carlo standard deviation of the estimates (spreg's
    Panel_RE_Lag information matrix, Elhorst's formula, gives a rho SE about 8x too small
    on Produc's SDM; see the report)."""
    w = _weights(40, 13)
    n, t = 40, 5
    rng = np.random.default_rng(99)
    eigs = np.linalg.eigvals(w)
    est, se = [], []
    for _ in range(150):
        x = _design(n, t, rng, w)
        y = _sim("sar", w, x, rng, [1.0, 0.5, -0.3, 0.3, 0.2], par=0.4)
        f = remod.fit_sar_re_arrays(y, np.kron(np.eye(t), w) @ y, x, eigs, n, t)
        est.append([f.beta[1], f.rho])
        se.append(np.sqrt(np.diag(f.cov_full))[[1, 5]])
    ratio = np.mean(se, axis=0) / np.std(est, axis=0, ddof=1)
    # the Monte Carlo sd of 150 estimates is itself uncertain by 1/sqrt(2 x 149) = 5.8 %: 15 % ~ 2.6 sd
    assert np.all(np.abs(ratio - 1) < 0.15), ratio


def test_sem_without_unit_heterogeneity_is_pooled_sem():
    """sigma2_mu = 0 in the DGP: phi -> 1 (boundary, phi's SE is NaN) and the SEM-RE estimate
    equals pooled ML SEM, spreg 1.9 ML_Error on the stacked data with I_T kron W."""
    import warnings

    import spreg
    from libpysal.weights import WSP

    w = _weights(40, 9)
    n, t = 40, 3
    rng = np.random.default_rng(0)
    x = _design(n, t, rng)
    y = _sim("sem", w, x, rng, [1.0, 0.5, -0.3], s_mu=0.0)
    fit = remod.fit_sem_re_arrays(y, x, sp.csr_matrix(w), np.linalg.eigvals(w), n, t)
    assert fit.phi > 1 - 1e-6 and fit.sigma2_mu < 1e-6
    se = np.sqrt(np.diag(fit.cov_full))
    assert np.isnan(se[4]) and np.all(np.isfinite(np.delete(se, 4)))
    big = WSP(sp.kron(sp.identity(t), sp.csr_matrix(w)).tocsr()).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = spreg.ML_Error(y[:, None], x[:, 1:], w=big, method="full")  # reference: spreg 1.9 pooled ML SEM
    # spreg "full" computes e'e as y'y - b'X'y: its rounding noise lets lambda stop ~1e-6..1e-5 from the
    # optimum (see test_est_crosssection); our phi is within 1e-6 of 1 (sigma2_mu < 1e-6), not at 1 -> 2e-5
    np.testing.assert_allclose(fit.beta, np.ravel(ref.betas)[:3], atol=2e-5)
    assert fit.rho == pytest.approx(float(np.ravel(ref.betas)[-1]), abs=2e-5)
    assert fit.loglik == pytest.approx(float(ref.logll), abs=1e-5)
