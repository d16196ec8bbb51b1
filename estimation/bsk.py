r"""Baltagi-Song-Koh (2003) LM tests for random effects and spatial error dependence,
and the Baltagi-Song-Jung-Koh (2007) joint test with serial correlation.

Written **by hand** from the papers and read against R splm's ``bsktest`` /
``bsjktest`` (no Python library has them).  Data are stacked time-major, id-minor
(``u_t`` is the N-vector of period t); ``W_NT = I_T kron W``; ``J_T`` is the T x T
matrix of ones, ``Jbar_T = J_T / T``, ``E_T = I_T - Jbar_T``; ``e`` are pooled OLS
residuals of y on X (with a constant); ``b = tr(W^2 + W'W)``.

Marginal and joint tests (OLS residuals):

.. math::

    G &= e'(J_T \otimes I_N)e / e'e - 1,  \qquad LM_1 = \sqrt{NT / (2(T-1))}\; G \\
    H &= e'(I_T \otimes (W + W')/2)e / e'e, \qquad LM_2 = \sqrt{N^2 T / b}\; H \\
    LM_H &= LM_1^2\,1\{LM_1 > 0\} + LM_2^2\,1\{LM_2 > 0\}
      \sim \tfrac14\chi^2_0 + \tfrac12\chi^2_1 + \tfrac14\chi^2_2

and the standardised forms ``SLM_j = (q_j - E q_j)/sd(q_j)`` with the exact moments
of ``q = e'Ae/e'e`` under normal errors (``A = J_T kron I_N`` for SLM1,
``A = W_NT`` for SLM2; :func:`spillmap.spatial.residual_moran.quadratic_ratio_moments`).
Conditional tests: CLM-lambda (spatial error given random effects, residuals of the
ML random-effects regression) and CLM-mu (random effects given a spatial error,
residuals of the pooled ML SEM), BSK (2003) eqs. (2.20)-(2.30) as coded in splm.
BSJK (2007) joint test of random effects, AR(1) serial correlation and spatial error
dependence, with ``G_T`` the T x T matrix with ones on the first off-diagonals:

.. math::

    A &= e'(J_T\otimes I_N)e/e'e - 1, \quad F = \tfrac12 e'(G_T\otimes I_N)e/e'e, \quad
    H = \tfrac12 e'(I_T\otimes(W+W'))e/e'e \\
    LM_J &= \frac{NT^2}{2(T-1)(T-2)}\,(A^2 - 4AF + 2TF^2) + \frac{N^2 T}{b} H^2 \sim \chi^2_3 .

The conditional BSJK tests C.1-C.3 need ML estimators of the random-effects model
with AR(1) remainder errors (with and without a spatial error), which spillmap does
not have; they are not provided (see :func:`bsjk_joint_test`).

Conventions and departures from splm (each deliberate):

* p-values: LM1/SLM1 one-sided (upper tail; H1: sigma2_mu > 0, Honda 1985 as BSK
  sec. 2.2), LM2/SLM2 two-sided normal; CLM-lambda and CLM-mu are reported as
  splm does, ``sqrt(LM)`` with the chi2(1) p-value.  splm prints ``2 * norm.sf(stat)``
  for LM1 and LM2 (twice our one-sided p for LM1; > 1 for a negative statistic).
* SLM2's variance uses ``tr(M W M W') + tr(M W M W)`` (exact for any W);
  splm's ``slm2test`` uses ``2 tr(M W M W)``, exact only for a symmetric W.
  ``slm2_variance="splm"`` reproduces splm.
* LM-H at a statistic of 0 (both one-sided scores negative): p = 1, ``P(X >= 0)`` of the
  chi-bar-squared mixture; splm's ``LMHtest`` gives 0.75 there (its ``pchisq(0, 0) = 1``
  term, ``P(X > 0)``).  Elsewhere the two agree.

References
----------
Baltagi, B. H., Song, S. H. and Koh, W. (2003). Testing panel data regression models
with spatial error correlation. J. Econometrics 117, 123-150.
Baltagi, B. H., Song, S. H., Jung, B. C. and Koh, W. (2007). Testing for serial
correlation, spatial autocorrelation and random effects using panel data.
J. Econometrics 140, 5-51.
Millo, G. and Piras, G. (2012). splm: Spatial panel data models in R. JSS 47(1).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import optimize, stats

from spillmap.errors import InputError
from spillmap.results import TestResult, TestTable
from spillmap.spatial._lm_core import _prepare, _qr_basis, trace_wtw_ww
from spillmap.spatial.residual_moran import quadratic_ratio_moments, residual_traces
from spillmap.spatial.weights import SpatialWeights, lag_panel

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["BSKTests", "bsk_tests", "bsk_marginal", "re_ml_residuals", "clm_lambda", "clm_mu",
           "bsjk_joint_test", "chibar_sf"]


@dataclass(frozen=True)
class BSKTests(TestTable):
    """The BSK (2003) tests of one regression; ``None`` where not computed."""

    lmh: TestResult
    lm1: TestResult
    lm2: TestResult
    slm1: TestResult
    slm2: TestResult
    clm_lambda: TestResult | None
    clm_mu: TestResult | None
    n: int
    t: int

    @property
    def tests(self) -> tuple[TestResult, ...]:
        return tuple(r for r in (self.lmh, self.lm1, self.lm2, self.slm1, self.slm2, self.clm_lambda, self.clm_mu)
                     if r is not None)

    def to_dict(self) -> dict:
        """``{"bsk_lmh": {...}, "bsk_lm1", "bsk_lm2", "bsk_slm1", "bsk_slm2", "bsk_clm_lambda", "bsk_clm_mu"}``."""
        keys = ("lmh", "lm1", "lm2", "slm1", "slm2", "clm_lambda", "clm_mu")
        out: dict = {f"bsk_{k}": (None if getattr(self, k) is None else getattr(self, k).to_dict()) for k in keys}
        out.update(n=self.n, t=self.t)
        return out

    def _caption(self) -> str:
        return f"Baltagi-Song-Koh tests of random effects and spatial error (N={self.n}, T={self.t})"

    def to_frame(self) -> pd.DataFrame:
        """One row per test: ``stat``, ``p``, ``H0`` (their reference distributions differ:
        normal, chi-square or the chi-bar mixture; ``tests`` has each one)."""
        return super().to_frame().drop(columns="df")


def chibar_sf(x: float) -> float:
    """``P(X > x)`` for ``X ~ 1/4 chi2_0 + 1/2 chi2_1 + 1/4 chi2_2`` (1 at ``x <= 0``)."""
    if x <= 0:
        return 1.0
    return float(0.5 * stats.chi2.sf(x, 1) + 0.25 * stats.chi2.sf(x, 2))


def _unit_sums(e: np.ndarray, n: int, t: int) -> np.ndarray:
    """``(J_T kron I_N) e``: each unit's sum over time, repeated over the T periods."""
    s = e.reshape((t, n) + e.shape[1:]).sum(axis=0)
    return np.concatenate([s] * t, axis=0)


def _ols(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    b, *_ = np.linalg.lstsq(x, y, rcond=None)
    return y - x @ b


def _j_traces(x: np.ndarray, n: int, t: int) -> tuple[float, float]:
    """``tr(M A)`` and ``2 tr(M A M A)`` for ``A = J_T kron I_N`` (symmetric, ``A^2 = T A``)."""
    a = np.linalg.inv(x.T @ x)
    jx = _unit_sums(x, n, t)
    c = x.T @ jx
    tr_ma = n * t - float(np.trace(a @ c))
    tr_mama = n * t * t - 2 * t * float(np.trace(a @ c)) + float(np.trace(a @ c @ a @ c))
    return tr_ma, 2 * tr_mama


def bsk_marginal(e: np.ndarray, x: np.ndarray, wm: sp.csr_matrix, t: int, *,
                 slm2_variance: Literal["exact", "splm"] = "exact") -> dict[str, float]:
    """``G, H, LM1, LM2, LMH, SLM1, SLM2`` from pooled OLS residuals ``e`` of ``y`` on ``x``."""
    n = wm.shape[0]
    nt = n * t
    ee = float(e @ e)
    g = float(e @ _unit_sums(e, n, t)) / ee - 1.0
    we = lag_panel(wm, e, t)
    h = float(e @ we) / ee  # e'(W + W')/2 e = e'W e
    b = trace_wtw_ww(wm)
    lm1 = math.sqrt(nt / (2.0 * (t - 1))) * g
    lm2 = math.sqrt(n * n * t / b) * h
    s = nt - x.shape[1]
    m1, v1 = quadratic_ratio_moments(*_j_traces(x, n, t), s)
    tr_mw, tr_mwmwt, tr_mwmw = residual_traces(wm, x, t, "none")
    both = 2 * tr_mwmw if slm2_variance == "splm" else tr_mwmwt + tr_mwmw
    m2, v2 = quadratic_ratio_moments(tr_mw, both, s)
    lmh = (lm1**2 if lm1 > 0 else 0.0) + (lm2**2 if lm2 > 0 else 0.0)
    return {"G": g, "H": h, "lm1": lm1, "lm2": lm2, "lmh": lmh,
            "slm1": (g + 1.0 - m1) / math.sqrt(v1), "slm2": (h - m2) / math.sqrt(v2)}


def re_ml_residuals(y: np.ndarray, x: np.ndarray, n: int, t: int) -> tuple[np.ndarray, float, float]:
    """ML of the random-effects regression ``y = X b + mu_i + eps``: ``(y - X b, phi, loglik)``.

    Concentrated log-likelihood in ``phi`` (``phi^2 = sigma2 / (T sigma2_mu + sigma2)``,
    quasi-demeaning ``z* = z - (1 - phi) zbar_i``): ``-NT/2 [ln(2 pi SSE(phi)/NT) + 1]
    + N ln phi``, maximised by a bounded scalar search on ``(1e-8, 1]``.
    """
    def neg(phi: float) -> float:
        ys = y - (1 - phi) * _unit_sums(y, n, t) / t
        xs = x - (1 - phi) * _unit_sums(x, n, t) / t
        r = _ols(ys, xs)
        return 0.5 * n * t * (math.log(2 * math.pi * float(r @ r) / (n * t)) + 1) - n * math.log(phi)

    opt = optimize.minimize_scalar(neg, bounds=(1e-8, 1.0), method="bounded", options={"xatol": 1e-12})
    phi = float(opt.x) if neg(float(opt.x)) <= neg(1.0) else 1.0
    ys = y - (1 - phi) * _unit_sums(y, n, t) / t
    xs = x - (1 - phi) * _unit_sums(x, n, t) / t
    b, *_ = np.linalg.lstsq(xs, ys, rcond=None)
    return y - x @ b, phi, -neg(phi)


def clm_lambda(e_ml: np.ndarray, wm: sp.csr_matrix, t: int) -> float:
    """BSK's LM-lambda statistic (chi2(1) form) from random-effects ML residuals (splm ``clmltest``)."""
    n = wm.shape[0]
    ebar = _unit_sums(e_ml, n, t) / t
    s_v = float(e_ml @ (e_ml - ebar)) / (n * (t - 1))
    s_1 = float(e_ml @ ebar) / n  # e^T (Jbar_T kron I) e / N
    wpw = (wm + wm.T).tocsr()
    we = lag_panel(wpw, e_ml, t)
    web = _unit_sums(we, n, t) / t
    d = 0.5 * float(e_ml @ (s_v / s_1**2 * web + (we - web) / s_v))
    b = trace_wtw_ww(wm)
    return d * d / (((t - 1) + s_v**2 / s_1**2) * b)


def clm_mu(e_ml: np.ndarray, lam: float, wm: sp.csr_matrix, t: int) -> float:
    """BSK's LM-mu statistic (chi2(1) form) from pooled ML SEM residuals ``y - X b`` (splm ``clmmtest``).

    Uses dense N x N matrices (``B'B`` and a solve with it): O(N^3), fine to N of a few thousand.
    """
    n = wm.shape[0]
    w = wm.toarray()
    bm = np.eye(n) - lam * w
    bpb = bm.T @ bm
    bpb2 = bpb @ bpb
    u = e_ml.reshape(t, n)
    s2 = float(np.einsum("ti,ij,tj->", u, bpb, u)) / (n * t)
    s4 = s2 * s2
    us = u.sum(axis=0)
    dmu = -(t / (2 * s2)) * np.trace(bpb) + float(us @ bpb2 @ us) / (2 * s4)
    sym = w.T @ bm + bm.T @ w
    gm = np.linalg.solve(bpb, sym).T  # (W'B + B'W)(B'B)^{-1}: both factors symmetric
    e_, d_, h_, g_, c_ = np.trace(bpb2), np.trace(sym), np.trace(bpb), np.trace(gm), float(np.sum(gm * gm.T))
    num = (2 * s4 / t) * (n * s4 * c_ - s4 * g_**2)
    den = (n * t * s4 * e_ * c_ - n * s4 * d_**2 - t * s4 * g_**2 * e_ + 2 * s4 * g_ * h_ * d_ - s4 * h_**2 * c_)
    return float(dmu**2 * num / den)


def _pooled_sem(y: np.ndarray, x: np.ndarray, w: SpatialWeights, t: int) -> tuple[np.ndarray, float]:
    """Pooled ML SEM (constant in ``x``) through :class:`SpatialPanel`: ``(y - X b, lambda)``."""
    from spillmap.estimation.model import SpatialPanel

    cols = [f"x{j}" for j in range(x.shape[1])]
    df = pd.DataFrame(x, columns=cols)
    df["y_"], df["id_"], df["t_"] = y, np.tile(np.asarray(w.ids, dtype=object), t), np.repeat(np.arange(t), w.n)
    keep = [c for j, c in enumerate(cols) if not np.all(x[:, j] == 1.0)]
    res = SpatialPanel(df, y="y_", x=keep, id="id_", time="t_", w=w, model="sem", fe="none").fit()
    xb = res.data.X @ res.params[list(res.data.x_names)].to_numpy()
    return res.data.y - xb, float(res.params["lambda"])


def bsk_tests(y: ArrayLike, X: ArrayLike, w: SpatialWeights, *, t: int, conditional: bool = True,
              slm2_variance: Literal["exact", "splm"] = "exact") -> BSKTests:
    r"""Baltagi-Song-Koh (2003) LM tests (LMH, LM1, LM2, SLM1, SLM2, CLM-lambda, CLM-mu).

    Parameters
    ----------
    y, X
        NT values stacked time-major, id-minor (``w.ids`` order within each period);
        X without a constant (one is added, as splm's formula interface does).
    w
        N x N weights (as given; splm's examples use a row-standardised W).
    t
        Number of periods (T >= 2).
    conditional
        Also compute CLM-lambda (needs an ML random-effects fit) and CLM-mu (an ML
        pooled SEM fit; dense N x N algebra).  They test the pooled/random-effects
        specification whatever fixed effects a study uses.
    slm2_variance
        ``"exact"`` (default) or ``"splm"`` (see the module docstring).

    Returns
    -------
    BSKTests

    Notes
    -----
    Formulas in the module docstring; BSK (2003) eqs. (2.7), (2.13), (2.16)-(2.30).

    **Verification** (``tests/test_bsk.py``): LM1, LM2, LMH, SLM1, SLM2 equal a dense
    NT x NT transcription of splm 1.6-5's ``slm1test``/``slm2test``/``LMHtest``
    (Kronecker products, ``solve``) on a Produc subpanel with a symmetric and a
    row-standardised W to 1e-10 (SLM2 with ``slm2_variance="splm"``; the exact form
    equals the Cliff-Ord moments of the dense residual maker).  CLM-lambda and CLM-mu
    equal dense transcriptions of ``clmltest``/``clmmtest`` at the same residuals to
    1e-10, and the random-effects ML residuals match statsmodels ``MixedLM``
    (``reml=False``) to 1e-5 (its optimiser tolerance).  On Produc every statistic equals
    splm 1.6-5's ``bsktest`` run in R (``tests/test_splm_reference.py``: 1e-9, CLM 1e-5).  Monte
    Carlo size at 5 % within 3-7 % (slow tests).
    """
    yv, xm, names, _ = _prepare(y, X, w, t=t, effects="none", add_constant=True, names=None)
    if t < 2:
        raise InputError(f"the BSK tests need a panel (T >= 2); got T = {t}.")
    _qr_basis(xm, names)
    wm = sp.csr_matrix(w.sparse, dtype=float)
    e = _ols(yv, xm)
    s = bsk_marginal(e, xm, wm, t, slm2_variance=slm2_variance)
    re_null, err_null = "no random effects (sigma2_mu = 0)", "no spatial error correlation (lambda = 0)"
    one = lambda z: float(stats.norm.sf(z))  # noqa: E731
    two = lambda z: float(2 * stats.norm.sf(abs(z)))  # noqa: E731
    out = {
        "lmh": TestResult("BSK LM-H (joint)", s["lmh"], 2.0, chibar_sf(s["lmh"]),
                          "no random effects and no spatial error correlation", "chibar2"),
        "lm1": TestResult("BSK LM1 (random effects)", s["lm1"], None, one(s["lm1"]), re_null, "normal (one-sided)"),
        "lm2": TestResult("BSK LM2 (spatial error)", s["lm2"], None, two(s["lm2"]), err_null, "normal"),
        "slm1": TestResult("BSK SLM1 (random effects)", s["slm1"], None, one(s["slm1"]), re_null, "normal (one-sided)"),
        "slm2": TestResult("BSK SLM2 (spatial error)", s["slm2"], None, two(s["slm2"]), err_null, "normal"),
        "clm_lambda": None, "clm_mu": None,
    }
    if conditional:
        e_re, _, _ = re_ml_residuals(yv, xm, w.n, t)
        cl = clm_lambda(e_re, wm, t)
        out["clm_lambda"] = TestResult("BSK CLM-lambda (spatial error | RE)", math.sqrt(cl), None,
                                       float(stats.chi2.sf(cl, 1)), err_null + " given random effects", "normal")
        e_sem, lam = _pooled_sem(yv, xm, w, t)
        cm = clm_mu(e_sem, lam, wm, t)
        out["clm_mu"] = TestResult("BSK CLM-mu (RE | spatial error)", math.sqrt(cm), None,
                                   float(stats.chi2.sf(cm, 1)), re_null + " given a spatial error", "normal")
    return BSKTests(**out, n=w.n, t=t)


def bsjk_joint_test(y: ArrayLike, X: ArrayLike, w: SpatialWeights, *, t: int) -> TestResult:
    """Baltagi-Song-Jung-Koh (2007) joint LM test J of random effects, AR(1) serial
    correlation and spatial error correlation (chi2(3); formula in the module docstring).

    The conditional tests C.1-C.3 of the same paper are not provided: they are LM tests
    at the ML estimates of the random-effects model with AR(1) remainder errors (C.1),
    of the random-effects spatial-error model (C.2) and of the spatial-error model with
    AR(1) errors (C.3), whose likelihoods (a Prais-Winsten-type ``T x T`` covariance
    combined with ``B'B``) are not in spillmap's machinery.

    Parameters
    ----------
    y
        NT values stacked time-major, id-minor (units in ``w.ids`` order), as in
        :func:`spillmap.spatial.lm_tests`.
    X
        (NT, k) regressors in the same order, without a constant (one is added).
    w
        N x N spatial weights, used as given.
    t
        Number of periods T (at least 3).

    **Verification** (``tests/test_bsk.py``): equals a dense transcription of splm
    1.6-5's ``pbsjkJtest`` (explicit Kronecker products) to 1e-10, and splm's ``bsjktest``
    run on Produc to 1e-9 (``tests/test_splm_reference.py``); size at 5 % by Monte Carlo (slow).
    """
    yv, xm, names, _ = _prepare(y, X, w, t=t, effects="none", add_constant=True, names=None)
    if t < 3:
        raise InputError(f"the BSJK joint test needs T >= 3; got T = {t}.")
    _qr_basis(xm, names)
    n = w.n
    wm = sp.csr_matrix(w.sparse, dtype=float)
    e = _ols(yv, xm)
    ee = float(e @ e)
    a = float(e @ _unit_sums(e, n, t)) / ee - 1.0
    u = e.reshape(t, n)
    f = float(np.sum(u[1:] * u[:-1])) / ee  # 1/2 e'(G_T kron I)e = sum_t e_t'e_{t+1}
    h = float(e @ lag_panel(wm, e, t)) / ee
    b = trace_wtw_ww(wm)
    lmj = n * t * t / (2.0 * (t - 1) * (t - 2)) * (a * a - 4 * a * f + 2 * t * f * f) + n * n * t / b * h * h
    return TestResult("BSJK J (joint)", float(lmj), 3.0, float(stats.chi2.sf(lmj, 3)),
                      "no random effects, no serial correlation and no spatial error correlation", "chi2")
