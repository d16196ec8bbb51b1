"""Log-determinant, bounds, traces, FE transformations and the scalar optimiser
against dense numpy transcriptions (slogdet, explicit inverses, explicit Q matrices)."""
from __future__ import annotations

from dataclasses import astuple

import numpy as np
import pytest
import scipy.sparse as sp

from spillmap.errors import ConvergenceError
from spillmap.estimation import _ml
from spillmap.estimation._logdet import GSolver, LogDet, Traces
from spillmap.estimation._transform import demean, effective_counts
from spillmap.spatial.weights import SpatialWeights


def lattice(r, c, row_std=True):
    n = r * c
    idx = np.arange(n).reshape(r, c)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    m = sp.coo_matrix((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
    w = SpatialWeights.from_sparse(m, [f"u{i}" for i in range(n)])
    return w.row_standardize() if row_std else w


def knn_weights(n=60, k=4, seed=1):
    """Asymmetric k-nearest-neighbour W (complex eigenvalues)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(size=(n, 2))
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    np.fill_diagonal(d, np.inf)
    nb = np.argsort(d, axis=1)[:, :k]
    m = sp.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), nb.ravel())), shape=(n, n))
    return SpatialWeights.from_sparse(m, [str(i) for i in range(n)]).row_standardize()


@pytest.mark.parametrize("wfun", [lambda: lattice(6, 7), lambda: knn_weights(), lambda: lattice(5, 5, row_std=False)])
@pytest.mark.parametrize("rho", [-0.6, 0.0, 0.3, 0.85])
def test_logdet_methods_equal_slogdet(wfun, rho):
    w = wfun()
    lo, hi = LogDet(w, "eigen").bounds
    rho = rho * (hi if rho > 0 else -lo) if not w.is_row_standardized else rho
    ref = np.linalg.slogdet(np.eye(w.n) - rho * w.toarray())[1]
    # exact forms (eigenvalue sum, sparse LU vs dense LU): rounding ~n eps |ln det| ~ 1e-13
    assert LogDet(w, "eigen")(rho) == pytest.approx(ref, abs=1e-10)
    assert LogDet(w, "lu")(rho) == pytest.approx(ref, abs=1e-10)
    # derivative -tr(W (I - rho W)^{-1})
    g = w.toarray() @ np.linalg.inv(np.eye(w.n) - rho * w.toarray())
    assert LogDet(w, "eigen").derivative(rho) == pytest.approx(-np.trace(g), rel=1e-10, abs=1e-10)
    # LU: central difference, h = 1e-5: truncation h^2/6 |2 tr G^3| <~ 1e-8 at rho = 0.85, rounding
    # eps |ln det| / h ~ 1e-10 -> 1e-6 relative
    assert LogDet(w, "lu").derivative(rho) == pytest.approx(-np.trace(g), rel=1e-6, abs=1e-8)


def test_bounds():
    w = knn_weights()
    ev = np.linalg.eigvals(w.toarray())
    real = ev.real[np.abs(ev.imag) < 1e-10]
    lo, hi = LogDet(w, "eigen").bounds
    # the extreme real eigenvalues are simple (well conditioned): LAPACK geev either way -> 1e-10
    assert lo == pytest.approx(1 / real.min(), rel=1e-10) and hi == pytest.approx(1 / real.max(), rel=1e-10)
    # large-N path: (-1/lambda_max, 1/lambda_max), valid by Perron-Frobenius; exact for row-standardised
    assert LogDet(w, "lu").bounds == pytest.approx((-1.0, 1.0), rel=1e-12)
    wb = lattice(5, 5, row_std=False)
    lmax = np.max(np.linalg.eigvalsh(wb.toarray()))
    # ARPACK eigs with tol 1e-8 gives lambda_max to ~1e-8 relative
    assert LogDet(wb, "lu").bounds == pytest.approx((-1 / lmax, 1 / lmax), rel=1e-7)


def test_approx_logdet_close():
    w = lattice(20, 20)
    ld = LogDet(w, "lu")
    for rho in (-0.5, 0.2, 0.6):
        ref = np.linalg.slogdet(np.eye(w.n) - rho * w.toarray())[1]
        # Barry-Pace series (60 terms: truncation 0.6^60 ~ 1e-14) with 30 Hutchinson probes: its sd,
        # sqrt(sum_k (rho^k/k)^2 2/30 ||offdiag W^k||_F^2), is <= 0.13 here -> 0.5 ~ 3.7 sd
        assert ld.approx(rho) == pytest.approx(ref, rel=2e-2, abs=0.5)


@pytest.mark.parametrize("wfun", [lambda: lattice(6, 7), lambda: knn_weights()])
def test_traces_exact_and_stochastic(wfun):
    w = wfun()
    rho = 0.45
    a = np.eye(w.n) - rho * w.toarray()
    g = w.toarray() @ np.linalg.inv(a)
    ex = Traces.compute(w, rho, exact=True)
    assert ex.exact
    np.testing.assert_allclose(
        [ex.tr_g, ex.tr_gg, ex.tr_gtg, ex.gtl_sq],
        [np.trace(g), np.trace(g @ g), np.trace(g.T @ g), np.sum((g.T @ np.ones(w.n)) ** 2)],
        rtol=1e-10,  # two exact forms (dense inverse both; cond(I - 0.45 W) < 3): rounding ~1e-14
    )
    st = Traces.compute(w, rho, exact=False, probes=2000)
    assert not st.exact
    np.testing.assert_allclose(st.gtl_sq, ex.gtl_sq, rtol=1e-10)  # a solve, not stochastic: exact forms
    # Hutchinson: standard error ~ sqrt(2/probes) ||.||_F -- allow 4 standard errors
    for est, mat in ((st.tr_g, g), (st.tr_gg, g @ g), (st.tr_gtg, g.T @ g)):
        off = mat - np.diag(np.diag(mat))
        se = np.sqrt(2 * np.sum(off**2) / 2000)
        assert abs(est - np.trace(mat)) < 4 * se + 1e-9, (est, np.trace(mat), se)


def test_gsolver_panel():
    w = knn_weights()
    t = 3
    rho = 0.3
    v = np.random.default_rng(0).normal(size=w.n * t)
    g = w.toarray() @ np.linalg.inv(np.eye(w.n) - rho * w.toarray())
    ref = np.kron(np.eye(t), g) @ v
    # sparse LU solve vs dense inverse, cond(I - 0.3 W) < 2, |entries| ~ 1: rounding ~1e-15
    np.testing.assert_allclose(GSolver(w, rho).apply_panel(v, t), ref, atol=1e-12)


@pytest.mark.parametrize("effects", ["none", "individual", "time", "twoways"])
def test_demean_equals_projection(effects):
    n, t = 5, 4
    x = np.random.default_rng(2).normal(size=(n * t, 2))
    jt, jn = np.ones((t, t)) / t, np.ones((n, n)) / n
    it, in_ = np.eye(t), np.eye(n)
    q = {
        "none": np.eye(n * t),
        "individual": np.kron(it - jt, in_),
        "time": np.kron(it, in_ - jn),
        "twoways": np.kron(it - jt, in_ - jn),
    }[effects]
    np.testing.assert_allclose(demean(x, n, t, effects), q @ x, atol=1e-12)  # exact forms, |x| ~ 1


def test_effective_counts_table():
    """Lee & Yu (2010): N(T-1), (N-1)T, (N-1)(T-1) observations."""
    assert astuple(effective_counts(10, 5, "individual", "transformation")) == (40, 4, False)
    assert astuple(effective_counts(10, 5, "time", "transformation")) == (45, 5, True)
    assert astuple(effective_counts(10, 5, "twoways", "transformation")) == (36, 4, True)
    assert astuple(effective_counts(10, 5, "twoways", "none")) == (50, 5, False)
    assert astuple(effective_counts(10, 5, "twoways", "bias-correction")) == (50, 5, False)


def test_maximize_scalar_boundary_and_interior():
    opt = _ml.maximize_scalar(lambda r: -(r - 0.3) ** 2, (-1.0, 1.0), tol=1e-12)
    # scipy's bounded Brent stops within ~4 sqrt(eps) |x| (2e-8) whatever xatol, and a function flat
    # to eps below |x - 0.3| ~ 1e-8 cannot locate it better -> 1e-7
    assert opt.x == pytest.approx(0.3, abs=1e-7)
    opt = _ml.maximize_scalar(lambda r: -(r - 0.3) ** 2, (-1.0, 1.0), tol=1e-12, df=lambda r: -2 * (r - 0.3))
    # brentq on the (linear) derivative, xtol 1e-15 + 4 eps |x| -> ~1e-15
    assert opt.x == pytest.approx(0.3, abs=1e-14) and opt.polished
    with pytest.raises(ConvergenceError, match="bound"):
        _ml.maximize_scalar(lambda r: r, (-1.0, 1.0))
    # surrogate search: an approximation off by a smooth term still gives the exact optimum
    f = lambda r: -(r - 0.3) ** 2 + 0.01 * np.sin(r)  # noqa: E731
    fa = lambda r: -(r - 0.3) ** 2  # noqa: E731
    dfa = lambda r: -2 * (r - 0.3)  # noqa: E731
    opt = _ml.maximize_scalar(f, (-1.0, 1.0), f_approx=fa, df_approx=dfa)
    from scipy.optimize import brentq

    ref = brentq(lambda r: -2 * (r - 0.3) + 0.01 * np.cos(r), 0, 1, xtol=1e-15)
    # the surrogate's fixed point: O(h^2) c''' (h = 1e-4, c = 0.01 sin) ~ 1e-11 plus rounding/h -> 1e-10
    assert opt.x == pytest.approx(ref, abs=1e-10) and opt.polished and opt.nfev <= 9
