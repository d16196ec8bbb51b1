"""The SAR / SDM random-effects likelihood, its analytic Hessian and its maximisation
(formulas and references in :mod:`spillmap.estimation.random_effects`)."""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import optimize

from spillmap.errors import ConvergenceError

from ._re_common import REFit, _as_logdet, _EigLogdet, _inv_info, _quasi_demean, _stack, _unit_means


def sar_re_loglik(
    theta: np.ndarray, y: np.ndarray, wy: np.ndarray, x: np.ndarray, logdet: Callable[[float], float], n: int, t: int
) -> float:
    """Full log-likelihood of the random-effects SAR/SDM panel.

    ``log L = -NT/2 ln(2 pi sigma2) + N/2 ln(phi^2) + T ln|I - rho W| - e'e/(2 sigma2)``
    with ``e = y* - rho (Wy)* - X* b`` and ``z* = z - (1 - phi) zbar_i``
    (Elhorst 2014, ch. 3; Elhorst's MATLAB ``f2_resar.m``).

    Parameters
    ----------
    theta
        ``(b_1..b_k, rho, phi, sigma2)``.
    y, wy, x
        Time-major stacked ``y``, ``(I_T kron W) y`` on the raw data, and the (NT, k) design.
    logdet
        ``rho -> ln|I - rho W|``.
    n, t
        Panel dimensions.

    Verification
    ------------
    Equals the dense multivariate-normal log-density of ``(I_T kron B) y`` plus
    ``T ln|B|`` to 1e-9 (``tests/test_random_effects.py``).
    """
    k = x.shape[1]
    b, rho, phi, s2 = theta[:k], theta[k], theta[k + 1], theta[k + 2]
    if s2 <= 0 or phi <= 0:
        return -np.inf
    r = y - rho * wy - x @ b
    e = _quasi_demean(r, phi, n, t)
    nt = n * t
    return float(-nt / 2 * math.log(2 * math.pi * s2) + n * math.log(phi) + t * logdet(rho) - e @ e / (2 * s2))


def _sar_re_hessian(
    theta: np.ndarray, y: np.ndarray, wy: np.ndarray, x: np.ndarray, ld: _EigLogdet, n: int, t: int
) -> tuple[np.ndarray, np.ndarray]:
    """Analytic gradient and Hessian of :func:`sar_re_loglik` in ``(b, rho, phi, sigma2)``.

    With ``r = y - rho Wy - X b`` (raw residual), ``rbar`` its stacked unit means and
    ``e = r - (1 - phi) rbar``: ``dL/db = X*'e/s2``, ``dL/drho = -T tr(W B^-1) + (Wy)*'e/s2``,
    ``dL/dphi = N/phi - e'rbar/s2``, ``dL/ds2 = -NT/(2 s2) + e'e/(2 s2^2)``; the second
    derivatives follow from ``de/dphi = rbar``, ``dX*/dphi = Xbar``.
    """
    k = x.shape[1]
    b, rho, phi, s2 = theta[:k], theta[k], theta[k + 1], theta[k + 2]
    nt = n * t
    r = y - rho * wy - x @ b
    rbar = _stack(_unit_means(r, n, t), t)
    e = r - (1.0 - phi) * rbar
    xbar = _stack(_unit_means(x, n, t), t)
    wybar = _stack(_unit_means(wy, n, t), t)
    xs = x - (1.0 - phi) * xbar
    wys = wy - (1.0 - phi) * wybar
    p = k + 3
    g = np.empty(p)
    h = np.empty((p, p))
    ib, ir, ip, i2 = slice(0, k), k, k + 1, k + 2
    g[ib] = xs.T @ e / s2
    g[ir] = -t * ld.tr1(rho) + wys @ e / s2
    g[ip] = n / phi - e @ rbar / s2
    g[i2] = -nt / (2 * s2) + e @ e / (2 * s2**2)
    h[ib, ib] = -xs.T @ xs / s2
    h[ib, ir] = h[ir, ib] = -xs.T @ wys / s2
    h[ib, ip] = h[ip, ib] = (xbar.T @ e + xs.T @ rbar) / s2
    h[ib, i2] = h[i2, ib] = -xs.T @ e / s2**2
    h[ir, ir] = -t * ld.tr2(rho) - wys @ wys / s2
    h[ir, ip] = h[ip, ir] = (wybar @ e + wys @ rbar) / s2
    h[ir, i2] = h[i2, ir] = -wys @ e / s2**2
    h[ip, ip] = -n / phi**2 - rbar @ rbar / s2
    h[ip, i2] = h[i2, ip] = e @ rbar / s2**2
    h[i2, i2] = nt / (2 * s2**2) - e @ e / s2**3
    return g, h


def _drop_rho(a: np.ndarray, k: int) -> np.ndarray:
    """Remove the rho row/column (index k) of a gradient or Hessian."""
    keep = np.r_[0:k, k + 1 : a.shape[0]]
    return a[keep] if a.ndim == 1 else a[np.ix_(keep, keep)]


def _sar_profile_phi(phi, y, wy, x, n, t):
    """For fixed phi: OLS residuals of y* and (Wy)* on X* (QR), as the inner problem."""
    ys = _quasi_demean(y, phi, n, t)
    wys = _quasi_demean(wy, phi, n, t)
    xs = _quasi_demean(x, phi, n, t)
    q, _ = np.linalg.qr(xs)
    e0 = ys - q @ (q.T @ ys)
    ed = wys - q @ (q.T @ wys)
    return float(e0 @ e0), float(e0 @ ed), float(ed @ ed)


def _conc_sar(rho, phi, m, ld, n, t):
    """Concentrated log-likelihood (b, sigma2 out) at (rho, phi) from the residual moments m."""
    ee = m[0] - 2 * rho * m[1] + rho**2 * m[2]
    nt = n * t
    return -nt / 2 * (math.log(2 * math.pi) + 1 + math.log(ee / nt)) + n * math.log(phi) + t * ld.logdet(rho)


def _profile_search(y, wy, x, ld, n, t, rho_bounds, rho, tol) -> tuple[float, float, int]:
    """``(rho, phi, evaluations)``: the profile likelihood maximised over ``phi`` in
    ``(1e-8, 1]`` (bounded Brent), with ``rho`` concentrated out by an inner bounded
    Brent search at each ``phi`` (or held at ``rho`` when it is given)."""
    lo, hi = rho_bounds

    def inner(phi: float) -> tuple[float, float]:
        m = _sar_profile_phi(phi, y, wy, x, n, t)
        if rho is not None:
            return float(rho), _conc_sar(rho, phi, m, ld, n, t)
        res = optimize.minimize_scalar(
            lambda r: -_conc_sar(r, phi, m, ld, n, t), bounds=(lo, hi), method="bounded", options={"xatol": tol}
        )
        return float(res.x), -float(res.fun)

    res = optimize.minimize_scalar(
        lambda p: -inner(p)[1], bounds=(1e-8, 1.0), method="bounded", options={"xatol": tol}
    )
    phi = float(res.x)
    return inner(phi)[0], phi, int(res.nfev)


def _newton_polish(theta, ll, y, wy, x, ld, n, t, *, fixed: bool, tol: float, max_newton: int
                   ) -> tuple[np.ndarray, float, int]:
    """Newton steps on the full likelihood from ``theta`` (analytic gradient and Hessian),
    each kept only if the likelihood does not fall and ``phi`` stays in ``(0, 1]``; stops
    when the largest step is below ``tol``.  ``rho`` is held when ``fixed``.  Returns
    ``(theta, loglik, steps taken)``."""
    k = x.shape[1]
    steps = 0
    for _ in range(max_newton):
        g, h = _sar_re_hessian(theta, y, wy, x, ld, n, t)
        if fixed:
            g, h = _drop_rho(g, k), _drop_rho(h, k)
        try:
            step = np.linalg.solve(h, -g)
        except np.linalg.LinAlgError:
            break
        if fixed:
            step = np.insert(step, k, 0.0)
        new = theta + step
        ll_new = sar_re_loglik(new, y, wy, x, ld.logdet, n, t)
        if not np.isfinite(ll_new) or ll_new < ll - 1e-9 * abs(ll) or new[k + 1] <= 0 or new[k + 1] > 1:
            break
        theta, ll = new, ll_new
        steps += 1
        if np.max(np.abs(step)) < tol:
            break
    return theta, ll, steps


def fit_sar_re_arrays(
    y: np.ndarray,
    wy: np.ndarray,
    x: np.ndarray,
    eigs: np.ndarray,
    n: int,
    t: int,
    *,
    rho_bounds: tuple[float, float] = (-0.9999, 0.9999),
    rho: float | None = None,
    tol: float = 1e-10,
    max_newton: int = 20,
) -> REFit:
    """Maximum-likelihood random-effects SAR/SDM on arrays.

    Parameters
    ----------
    y, wy, x
        Time-major stacked ``y``, ``(I_T kron W) y`` (raw data) and the design
        (with its constant and, for the SDM, the ``W x`` columns).
    eigs
        Eigenvalues of W (real or complex), or a log-determinant object.
    n, t
        Panel dimensions.
    rho_bounds
        Search interval of ``rho``.
    rho
        Fix ``rho`` at this value (``0`` gives the classical ML random-effects model).
    tol
        Absolute tolerance of the Brent searches and of the Newton polish (max |step|).

    Returns
    -------
    REFit

    Raises
    ------
    ConvergenceError
        ``rho`` at a bound of its interval, or a non-finite likelihood.

    Verification
    ------------
    ``rho = 0`` reproduces statsmodels ``MixedLM(reml=False)`` (b, sigma2_mu, sigma2 to 1e-5);
    the free fit equals a dense direct maximisation of the full likelihood to 1e-6
    (``tests/test_random_effects.py``).
    """
    ld = _as_logdet(eigs)
    k = x.shape[1]
    lo, hi = rho_bounds
    fixed = rho is not None
    rho_hat, phi, iterations = _profile_search(y, wy, x, ld, n, t, (lo, hi), rho, tol)
    ys = _quasi_demean(y - rho_hat * wy, phi, n, t)
    xs = _quasi_demean(x, phi, n, t)
    b, *_ = np.linalg.lstsq(xs, ys, rcond=None)
    e = ys - xs @ b
    theta = np.concatenate([b, [rho_hat, phi, float(e @ e) / (n * t)]])
    ll = sar_re_loglik(theta, y, wy, x, ld.logdet, n, t)
    if phi < 1.0 - 1e-6 and isinstance(ld, _EigLogdet):  # interior solutions only
        theta, ll, steps = _newton_polish(theta, ll, y, wy, x, ld, n, t, fixed=fixed, tol=tol, max_newton=max_newton)
        iterations += steps
    rho_hat, phi, s2 = float(theta[k]), float(theta[k + 1]), float(theta[k + 2])
    if not fixed and (rho_hat - lo < 1e-5 or hi - rho_hat < 1e-5):
        raise ConvergenceError(
            f"the random-effects estimate of rho ({rho_hat:.6f}) is at the bound of its interval "
            f"[{lo:.4f}, {hi:.4f}]; the model is probably misspecified for these data (check W and the regressors)."
        )
    if not np.isfinite(ll):
        raise ConvergenceError("the random-effects log-likelihood is not finite at the estimate; check the data for constant or collinear columns.")
    _, h = _sar_re_hessian(theta, y, wy, x, ld, n, t)
    if fixed:
        h = _drop_rho(h, k)
    cov = _inv_info(h)
    r = y - rho_hat * wy - x @ theta[:k]
    return REFit(
        beta=theta[:k].copy(),
        rho=None if fixed else rho_hat,
        phi=phi,
        sigma2=s2,
        loglik=ll,
        cov_full=cov,
        resid=r,
        iterations=iterations,
        hessian="analytic",
        n=n,
        t=t,
        extra={"rho_fixed": rho} if fixed else {},
    )
