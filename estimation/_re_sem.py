"""The SEM random-effects likelihood (sparse LU of ``I + T theta B'B``, never the eigenvector
shortcut that needs a symmetric W) and its maximisation (formulas and references in
:mod:`spillmap.estimation.random_effects`)."""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy import optimize

from spillmap.errors import ConvergenceError

from ._lu import splu as _counted_splu
from ._re_common import REFit, _as_logdet, _inv_info, _numerical_hessian, _stack, _unit_means


class _SEMWork:
    """Quantities of the SEM-RE likelihood at one ``(lambda, phi)``: the sparse LU of
    ``M = I + T theta B'B``, its log-determinant and ``S z = M^{-1} B'B z``."""

    def __init__(self, wsp: sp.csr_matrix, lam: float, phi: float, t: int):
        n = wsp.shape[0]
        self.b = (sp.identity(n, format="csr") - lam * wsp).tocsr()
        self.btb = (self.b.T @ self.b).tocsc()
        th = (1.0 / phi**2 - 1.0) / t
        self.th = th
        if th == 0.0:
            self.lu = None
            self.logdet_m = 0.0
        else:
            m = (sp.identity(n, format="csc") + (t * th) * self.btb).tocsc()
            # symmetric positive definite: a symmetric fill-reducing ordering halves the time
            self.lu = _counted_splu(m, symmetric=True)
            d = self.lu.U.diagonal()
            self.logdet_m = float(np.sum(np.log(np.abs(d))))

    def s(self, z: np.ndarray) -> np.ndarray:
        g = self.btb @ z
        return g if self.lu is None else self.lu.solve(np.asarray(g))


def _sem_quad(u: np.ndarray, wu: np.ndarray, lam: float, work: _SEMWork, n: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Within part ``B(u_t - ubar)`` (stacked) and ``T ubar' S`` pieces of the SEM quadratic form.

    ``u``/``wu`` may be (NT,) or (NT, k); returns (within-transformed array, ubar)."""
    ub = _unit_means(u, n, t)
    wub = _unit_means(wu, n, t)
    within = (u - _stack(ub, t)) - lam * (wu - _stack(wub, t))
    return within, ub


def sem_re_loglik(
    theta: np.ndarray, y: np.ndarray, x: np.ndarray, wsp: sp.csr_matrix, logdet: Callable[[float], float], n: int, t: int
) -> float:
    """Full log-likelihood of the random-effects SEM panel.

    ``log L = -NT/2 ln(2 pi s2) + T ln|B| - 1/2 ln|I + T theta B'B|
    - [sum_t ||B(u_t - ubar)||^2 + T ubar'(I + T theta B'B)^{-1} B'B ubar] / (2 s2)``,
    ``u = y - X b``, ``theta = (1/phi^2 - 1)/T`` (Elhorst 2003, written for a
    general, not necessarily symmetric, W).

    Parameters
    ----------
    theta
        ``(b_1..b_k, lambda, phi, sigma2)``.

    Verification
    ------------
    Equals the dense log-density of ``N(X b, s2_mu J_T kron I + s2 I_T kron (B'B)^{-1})``
    to 1e-9 (``tests/test_random_effects.py``).
    """
    k = x.shape[1]
    b, lam, phi, s2 = theta[:k], theta[k], theta[k + 1], theta[k + 2]
    if s2 <= 0 or phi <= 0 or phi > 1:
        return -np.inf
    u = y - x @ b
    wu = _lag_panel(wsp, u, n, t)
    work = _SEMWork(wsp, lam, phi, t)
    within, ub = _sem_quad(u, wu, lam, work, n, t)
    q = float(within @ within) + t * float(ub @ work.s(ub))
    nt = n * t
    return float(-nt / 2 * math.log(2 * math.pi * s2) + t * logdet(lam) - 0.5 * work.logdet_m - q / (2 * s2))


def _lag_panel(wsp: sp.csr_matrix, z: np.ndarray, n: int, t: int) -> np.ndarray:
    zr = z.reshape((t, n) + z.shape[1:])
    out = np.empty_like(zr)
    for s in range(t):
        out[s] = wsp @ zr[s]
    return out.reshape(z.shape)


def _sem_gls(lam, phi, y, wy, x, wx, wsp, n, t):
    """GLS b and the quadratic form Q at (lambda, phi); returns (b, Q, work)."""
    work = _SEMWork(wsp, lam, phi, t)
    z = np.column_stack([y, x])
    wz = np.column_stack([wy, wx])
    within, zb = _sem_quad(z, wz, lam, work, n, t)
    a = within.T @ within + t * (zb.T @ work.s(zb))
    a = (a + a.T) / 2
    b = np.linalg.solve(a[1:, 1:], a[1:, 0])
    u = y - x @ b
    wu = wy - wx @ b
    wi, ub = _sem_quad(u, wu, lam, work, n, t)
    q = float(wi @ wi) + t * float(ub @ work.s(ub))
    return b, q, work


def fit_sem_re_arrays(
    y: np.ndarray,
    x: np.ndarray,
    wsp: sp.csr_matrix,
    eigs: np.ndarray,
    n: int,
    t: int,
    *,
    lam_bounds: tuple[float, float] = (-0.9999, 0.9999),
    tol: float = 1e-10,
) -> REFit:
    """Maximum-likelihood random-effects SEM on arrays (see :func:`sem_re_loglik`).

    ``b`` (GLS) and ``sigma2 = Q/NT`` are concentrated out; ``(lambda, phi)`` are found
    by nested bounded Brent searches.  Variance: inverse of minus the central
    finite-difference Hessian of the full log-likelihood.

    Raises
    ------
    ConvergenceError
        ``lambda`` at a bound of its interval.

    Verification
    ------------
    Equals a dense direct maximisation of the full likelihood to 1e-6
    (``tests/test_random_effects.py``).
    """
    ld = _as_logdet(eigs)
    wsp = sp.csr_matrix(wsp)
    wy = _lag_panel(wsp, y, n, t)
    wx = _lag_panel(wsp, x, n, t)
    nt = n * t
    lo, hi = lam_bounds

    def conc(lam, phi):
        _, q, work = _sem_gls(lam, phi, y, wy, x, wx, wsp, n, t)
        return -nt / 2 * (math.log(2 * math.pi) + 1 + math.log(q / nt)) + t * ld.logdet(lam) - 0.5 * work.logdet_m

    nfev = 0

    def inner(lam):
        nonlocal nfev
        r = optimize.minimize_scalar(lambda p: -conc(lam, p), bounds=(1e-6, 1.0), method="bounded", options={"xatol": tol})
        nfev += r.nfev
        return float(r.x), -float(r.fun)

    res = optimize.minimize_scalar(lambda l: -inner(l)[1], bounds=(lo, hi), method="bounded", options={"xatol": tol})
    lam = float(res.x)
    phi, _ = inner(lam)
    if lam - lo < 1e-5 or hi - lam < 1e-5:
        raise ConvergenceError(
            f"the random-effects estimate of lambda ({lam:.6f}) is at the bound of its interval "
            f"[{lo:.4f}, {hi:.4f}]; the model is probably misspecified for these data (check W and the regressors)."
        )
    b, q, _ = _sem_gls(lam, phi, y, wy, x, wx, wsp, n, t)
    s2 = q / nt
    theta = np.concatenate([b, [lam, phi, s2]])

    def full(th):
        return sem_re_loglik(th, y, x, wsp, ld.logdet, n, t)

    ll = full(theta)
    if phi > 1 - 1e-4:
        # sigma2_mu = 0 at the boundary: the phi-derivatives are one-sided; report the
        # variance of the remaining parameters with phi held at 1
        k = x.shape[1]
        keep = np.r_[0 : k + 1, k + 2]
        h_red = _numerical_hessian(lambda th: full(np.insert(th, k + 1, 1.0)), theta[keep])
        cov = np.full((k + 3, k + 3), np.nan)
        cov[np.ix_(keep, keep)] = _inv_info(h_red)
    else:
        cov = _inv_info(_numerical_hessian(full, theta))
    return REFit(
        beta=b,
        rho=lam,
        phi=phi,
        sigma2=s2,
        loglik=ll,
        cov_full=cov,
        resid=y - x @ b,
        iterations=int(res.nfev + nfev),
        hessian="numerical (central differences)",
        n=n,
        t=t,
    )
