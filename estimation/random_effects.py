"""Random-effects spatial panel models (SAR, SDM, SEM) by maximum likelihood.

Model (Elhorst 2003; Elhorst 2014, *Spatial Econometrics*, ch. 3), data stacked
time-major (all units for t = 1, then t = 2, ...), ``mu_i ~ N(0, sigma2_mu)``
independent of ``eps ~ N(0, sigma2 I)``:

* SAR / SDM: ``y = rho (I_T kron W) y + X b + (iota_T kron I_N) mu + eps``
  (for the SDM, ``X`` holds ``[x, W x]``);
* SEM: ``y = X b + (iota_T kron I_N) mu + (I_T kron B^{-1}) eps``, ``B = I - lambda W``.

Both carry a constant.  With ``phi^2 = sigma2 / (T sigma2_mu + sigma2)`` and the
quasi-demeaning ``z* = z - (1 - phi) zbar_i`` (unit means over time):

* SAR/SDM log-likelihood (Elhorst 2014, ch. 3; his MATLAB ``f2_resar.m``)::

      log L = -NT/2 ln(2 pi sigma2) + N/2 ln(phi^2) + T ln|I - rho W|
              - e'e / (2 sigma2),       e = y* - rho (Wy)* - X* b,

  where ``Wy`` is formed on the raw data and then quasi-demeaned (the transform
  commutes with ``I_T kron W``).
* SEM log-likelihood (Elhorst 2003; his MATLAB ``f2_respat.m``, which assumes a symmetric W),
  with ``theta = sigma2_mu / sigma2 = (1/phi^2 - 1)/T``, ``u = y - X b``::

      log L = -NT/2 ln(2 pi sigma2) + T ln|B| - 1/2 ln|I + T theta B'B|
              - 1/(2 sigma2) [ sum_t ||B (u_t - ubar)||^2
                               + T ubar' (I + T theta B'B)^{-1} B'B ubar ].

What is hand-written and why: spreg 1.9's ``Panel_RE_Lag``/``Panel_RE_Error`` port
Elhorst's MATLAB code, but (i) the SAR information matrix they use (Elhorst's formula,
with zero beta-phi blocks) gives a standard error of rho about 8x too small on Produc's
SDM (0.004 against 0.034 here; the observed-information SEs used here match a dense
numerical Hessian and are calibrated in Monte Carlo), (ii) their ``logll`` omits the
``N/2 ln(phi^2)`` term, (iii) their SEM-RE uses the eigenvector shortcut below and stops
short of the maximum (4.6 log-likelihood points on Produc with a symmetric W), and (iv)
there is no SDM, Hausman test or time-effects option.  So the likelihoods, their
maximisation and the variance are written here with numpy/scipy; spreg's SAR/SDM
estimates are a test oracle (they agree to 1e-6).  ``ln|I - rho W|`` uses the eigenvalues
of W (``SpatialWeights.eigenvalues``, cached) up to N = 2,500 and a sparse LU beyond
(:class:`spillmap.estimation._logdet.LogDet`, with the traces of
:class:`~spillmap.estimation._logdet.Traces`); ``ln|I + T theta B'B|`` and the solve with
it use a sparse LU (``scipy.sparse.linalg.splu``) for every W.  Elhorst's
``sem_panel_RE.m`` replaces both with the eigen-decomposition of W, which is exact only
for a *symmetric* W: for a row-standardised W the eigenvectors are not orthogonal and
``B'B`` is not diagonalised by them, so that shortcut is deliberately not used.

Maximisation: the log-likelihood is concentrated in ``b`` (GLS) and ``sigma2`` and
maximised jointly over ``(rho or lambda, phi)`` by nested bounded Brent searches
(``phi`` outer, ``rho`` inner for SAR/SDM, where the inner problem is the classical
quadratic-in-rho concentrated likelihood; ``lambda`` outer, ``phi`` inner for SEM),
followed for SAR/SDM by Newton steps on the full log-likelihood with the analytic
Hessian (eigenvalue route only).  This is the joint maximum that Elhorst's alternating ``sar_panel_RE.m``
iteration (``fminbnd`` with ``TolX = 0.005``) approaches.

Variance: the inverse of the observed information (minus the Hessian of the full
log-likelihood in ``(b, rho, phi, sigma2)``), analytic for SAR/SDM (its trace terms
are stochastic for N > 3,000) and by central finite differences for SEM.
``sigma2_mu`` is reported with a delta-method SE.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy import optimize
from scipy.sparse import linalg as spla

from spillmap.errors import ConvergenceError, EstimationError

__all__ = [
    "REFit",
    "sar_re_loglik",
    "sem_re_loglik",
    "fit_sar_re_arrays",
    "fit_sem_re_arrays",
    "fit_random",
]


# --------------------------------------------------------------------- helpers
def _unit_means(z: np.ndarray, n: int, t: int) -> np.ndarray:
    """Unit means over time of time-major stacked data: (N,) or (N, k)."""
    z = np.asarray(z, dtype=float)
    return z.reshape((t, n) + z.shape[1:]).mean(axis=0)


def _stack(zbar: np.ndarray, t: int) -> np.ndarray:
    """Repeat unit means over the T periods (time-major): ``iota_T kron zbar``."""
    return np.concatenate([zbar] * t, axis=0)


def _quasi_demean(z: np.ndarray, phi: float, n: int, t: int) -> np.ndarray:
    """``z* = z - (1 - phi) zbar_i`` (Elhorst 2014, ch. 3)."""
    return z - (1.0 - phi) * _stack(_unit_means(z, n, t), t)


@dataclass(frozen=True)
class _EigLogdet:
    """``ln|I - rho W|`` and the traces of ``W B^{-1}`` from the eigenvalues of W."""

    eigs: np.ndarray

    def logdet(self, rho: float) -> float:
        v = 1.0 - rho * self.eigs
        if np.iscomplexobj(v):
            return float(np.sum(np.log(v)).real)
        if np.any(v <= 0):
            return -np.inf
        return float(np.sum(np.log(v)))

    def tr1(self, rho: float) -> float:
        """``tr(W B^{-1})``."""
        return float(np.sum(self.eigs / (1.0 - rho * self.eigs)).real)

    def tr2(self, rho: float) -> float:
        """``tr((W B^{-1})^2)``."""
        return float(np.sum((self.eigs / (1.0 - rho * self.eigs)) ** 2).real)


class _LULogdet:
    """The same interface for large N: ``ln|I - rho W|`` by sparse LU and the traces by
    :class:`spillmap.estimation._logdet.Traces` (exact up to N = 3000, Hutchinson beyond)."""

    exact = False

    def __init__(self, w) -> None:
        from ._logdet import LogDet

        self.w = w
        self._ld = LogDet(w, "lu")
        self._tr: dict[float, object] = {}

    def logdet(self, rho: float) -> float:
        return float(self._ld(rho))

    def _traces(self, rho: float):
        from ._logdet import Traces

        rho = float(rho)
        if rho not in self._tr:  # one computation serves tr1 and tr2
            self._tr[rho] = Traces.compute(self.w, rho)
        return self._tr[rho]

    def tr1(self, rho: float) -> float:
        return self._traces(rho).tr_g

    def tr2(self, rho: float) -> float:
        return self._traces(rho).tr_gg


def _as_logdet(eigs) -> _EigLogdet | _LULogdet:
    if isinstance(eigs, (_EigLogdet, _LULogdet)):
        return eigs
    return _EigLogdet(np.asarray(eigs))


def _bounds_inside(bounds: tuple[float, float]) -> tuple[float, float]:
    """The open search interval inside ``(1/lambda_min, 1/lambda_max)`` (ln|I - rho W| -> -inf
    at the ends); infinite ends are replaced by -1 / 1."""
    lo, hi = bounds
    lo = lo if np.isfinite(lo) else -1.0
    hi = hi if np.isfinite(hi) else 1.0
    return lo + 1e-7 * abs(lo), hi - 1e-7 * abs(hi)


@dataclass(frozen=True)
class REFit:
    """Raw estimates of a random-effects spatial panel (arrays; internal).

    ``theta`` is the parameter vector ``(b, rho_or_lambda, phi, sigma2)`` of the full
    log-likelihood and ``cov_full`` the inverse observed information in it
    (``rho`` is absent when the model has none or it was fixed).
    """

    beta: np.ndarray
    rho: float | None
    phi: float
    sigma2: float
    loglik: float
    cov_full: np.ndarray
    resid: np.ndarray
    iterations: int
    hessian: str
    n: int
    t: int
    extra: dict = field(default_factory=dict)

    @property
    def sigma2_mu(self) -> float:
        """``sigma2_mu = sigma2 (1/phi^2 - 1) / T``."""
        return self.sigma2 * (1.0 / self.phi**2 - 1.0) / self.t

    @property
    def theta(self) -> np.ndarray:
        parts = [self.beta]
        if self.rho is not None:
            parts.append([self.rho])
        parts.append([self.phi, self.sigma2])
        return np.concatenate(parts)

    @property
    def sigma2_mu_se(self) -> float:
        """Delta-method SE of ``sigma2_mu`` from the (phi, sigma2) block of ``cov_full``."""
        p, s = self.phi, self.sigma2
        g = np.array([-2.0 * s / (self.t * p**3), (1.0 / p**2 - 1.0) / self.t])
        c = self.cov_full[-2:, -2:]
        return float(np.sqrt(max(g @ c @ g, 0.0)))


# ------------------------------------------------------------- SAR / SDM (RE)
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
    xtol = tol

    def inner(phi: float) -> tuple[float, float]:
        m = _sar_profile_phi(phi, y, wy, x, n, t)
        if fixed:
            return float(rho), _conc_sar(rho, phi, m, ld, n, t)
        res = optimize.minimize_scalar(
            lambda r: -_conc_sar(r, phi, m, ld, n, t), bounds=(lo, hi), method="bounded", options={"xatol": xtol}
        )
        return float(res.x), -float(res.fun)

    res = optimize.minimize_scalar(
        lambda p: -inner(p)[1], bounds=(1e-8, 1.0), method="bounded", options={"xatol": xtol}
    )
    phi = float(res.x)
    rho_hat, _ = inner(phi)
    iterations = int(res.nfev)

    def beta_s2(rho_v: float, phi_v: float) -> tuple[np.ndarray, float]:
        ys = _quasi_demean(y - rho_v * wy, phi_v, n, t)
        xs = _quasi_demean(x, phi_v, n, t)
        b, *_ = np.linalg.lstsq(xs, ys, rcond=None)
        e = ys - xs @ b
        return b, float(e @ e) / (n * t)

    b, s2 = beta_s2(rho_hat, phi)
    theta = np.concatenate([b, [rho_hat, phi, s2]])

    def full(th):
        return sar_re_loglik(th, y, wy, x, ld.logdet, n, t)

    # Newton polish on the full likelihood (interior solutions only)
    ll = full(theta)
    if phi < 1.0 - 1e-6 and isinstance(ld, _EigLogdet):
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
            ll_new = full(new)
            if not np.isfinite(ll_new) or ll_new < ll - 1e-9 * abs(ll) or new[k + 1] <= 0 or new[k + 1] > 1:
                break
            theta, ll = new, ll_new
            iterations += 1
            if np.max(np.abs(step)) < tol:
                break
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


def _inv_info(h: np.ndarray) -> np.ndarray:
    """Inverse of minus the Hessian, with a clear error when it is not positive definite."""
    info = -np.asarray(h)
    info = (info + info.T) / 2
    ev = np.linalg.eigvalsh(info)
    if ev[0] <= 0:
        raise EstimationError(
            f"the information matrix of the random-effects model is not positive definite "
            f"(smallest eigenvalue {ev[0]:.3g}); the estimate is not a maximum or a parameter is at "
            "its boundary (sigma2_mu = 0?). Try the fixed-effects or pooled model."
        )
    return np.linalg.inv(info)


# ---------------------------------------------------------------- SEM (RE)
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
            self.lu = spla.splu(m, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
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


def _numerical_hessian(f: Callable[[np.ndarray], float], x0: np.ndarray, rel: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function (steps ``rel * max(|x|, 0.1)``)."""
    x0 = np.asarray(x0, dtype=float)
    p = x0.size
    h = rel * np.maximum(np.abs(x0), 0.1)
    f0 = f(x0)
    hess = np.empty((p, p))
    for i in range(p):
        ei = np.zeros(p)
        ei[i] = h[i]
        hess[i, i] = (f(x0 + ei) - 2 * f0 + f(x0 - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(p)
            ej[j] = h[j]
            v = (f(x0 + ei + ej) - f(x0 + ei - ej) - f(x0 - ei + ej) + f(x0 - ei - ej)) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = v
    return hess


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


RE_MODELS = ("sar", "sdm", "sem")


def _time_dummies(n: int, t: int) -> np.ndarray:
    """(NT, T-1) dummies of periods 2..T for time-major stacked data."""
    d = np.zeros((n * t, t - 1))
    for s in range(1, t):
        d[s * n : (s + 1) * n, s - 1] = 1.0
    return d


def fit_random(spec, *, cov_type: str = "information", tol: float = 1e-10, time_effects: bool = False):
    """Fit a :class:`~spillmap.estimation.SpatialPanel` with ``effects="random"``.

    Called by :meth:`SpatialPanel.fit`; see the module docstring for the model,
    likelihoods and maximisation.

    Parameters
    ----------
    spec
        The ``SpatialPanel`` specification (``model`` in sar/sdm/sem).
    cov_type
        Accepted for the common interface; the covariance is always the inverse of
        minus the Hessian of the full log-likelihood (analytic for SAR/SDM,
        finite differences for SEM), recorded as ``cov_type="hessian"``.
    tol
        Absolute tolerance of the searches over ``rho``/``lambda`` and ``phi``.
    time_effects
        Add time-period fixed effects (``T - 1`` period dummies next to the constant,
        not spatially lagged) to the random unit effects, as in Elhorst's demo
        "spatial random effects and time-period fixed effects".  The dummies are
        estimated jointly (exact ML; T is small, so there is no incidental-parameter
        problem) and then left out of ``params``/``cov_full`` (their rows and columns
        are dropped from the inverse information, i.e. the marginal covariance).
        Needed for a Hausman comparison with a two-way fixed-effects fit.

    Returns
    -------
    SpatialPanelResults
        ``params``: regressors (``const`` first), ``W_<x>`` (SDM), ``rho``/``lambda``,
        then ``phi`` (``phi^2 = sigma2/(T sigma2_mu + sigma2)``); ``cov_full`` adds
        ``sigma2``.  ``extra`` holds ``sigma2_mu`` and its delta-method
        ``sigma2_mu_se``, ``theta = sigma2_mu/sigma2``, ``hessian`` and ``nfev``.

    Raises
    ------
    InputError
        SLX/SDEM models (not implemented with random effects) or T < 2.
    ConvergenceError
        ``rho``/``lambda`` at a bound.

    Verification
    ------------
    See :func:`fit_sar_re_arrays`, :func:`fit_sem_re_arrays`; through this entry point
    ``tests/test_random_effects_model.py`` checks the assembled results against the
    array fits and a dense oracle.
    """
    import pandas as pd

    from spillmap.errors import InputError

    from ._logdet import EIGEN_MAX_N, LogDet
    from .results import SpatialPanelResults, emit_fit_warnings

    d = spec.data
    if d.model not in RE_MODELS:
        raise InputError(
            f"random effects are implemented for the models {', '.join(RE_MODELS)}, not {d.model!r}; "
            "use fixed effects for SLX/SDEM."
        )
    if d.t < 2:
        raise InputError("random effects need a panel with at least two periods (T >= 2); this data has T = 1.")
    n, t = d.n, d.t
    z = d.Z
    names = list(d.param_names)
    kz = z.shape[1]
    n_dum = t - 1 if time_effects else 0
    if n_dum:
        z = np.column_stack([z, _time_dummies(n, t)])
    w = d.w
    ld = _EigLogdet(np.asarray(w.eigenvalues)) if n <= EIGEN_MAX_N else _LULogdet(w)
    bounds = _bounds_inside(LogDet(w, "eigen" if n <= EIGEN_MAX_N else "lu").bounds)
    if d.kind == "lag":
        fit = fit_sar_re_arrays(d.y, d.Wy, z, ld, n, t, rho_bounds=bounds, tol=tol)
        resid = _quasi_demean(fit.resid, fit.phi, n, t)
        fitted = d.y - fit.resid  # rho W y + Z b, with the observed spatial lag
    else:
        fit = fit_sem_re_arrays(d.y, z, w.sparse, ld, n, t, lam_bounds=bounds, tol=tol)
        resid = fit.resid  # structural residual y - Z b
        fitted = d.y - resid
    r2 = float(np.corrcoef(d.y, fitted)[0, 1] ** 2) if np.std(fitted) > 0 else 0.0
    theta = fit.theta
    cov_full = fit.cov_full
    if n_dum:  # drop the period dummies (marginal covariance of the rest)
        keep = np.r_[0:kz, kz + n_dum : theta.size]
        theta = theta[keep]
        cov_full = cov_full[np.ix_(keep, keep)]
    pnames = names + ["phi"]
    full = pd.Index(pnames + ["sigma2"])
    extra = {
        "sigma2_mu": fit.sigma2_mu,
        "sigma2_mu_se": fit.sigma2_mu_se,
        "phi": fit.phi,
        "theta": fit.sigma2_mu / fit.sigma2,
        "hessian": fit.hessian,
        "nfev": fit.iterations,
        "logdet_method": "eigen" if isinstance(ld, _EigLogdet) else "lu",
        "bounds": tuple(bounds),
        "random_effects": "individual",
        "time_effects": bool(time_effects),
    }
    res = SpatialPanelResults(
        model=d.model,
        effects="random",
        lee_yu="none",
        params=pd.Series(theta[:-1], index=pd.Index(pnames), name="params"),
        cov_full=pd.DataFrame(cov_full, index=full, columns=full),
        sigma2=float(fit.sigma2),
        loglik=float(fit.loglik),
        nobs=n * t,
        n=n,
        t=t,
        r2=r2,
        x_names=d.x_names,
        wx_names=d.wx_names,
        w=w,
        y_name=d.y_name,
        ids=d.ids,
        times=d.times,
        converged=True,
        cov_type="hessian",
        resid=resid,
        extra=extra,
        data=d,
    )
    emit_fit_warnings(res, stacklevel=2)  # islands in W, rho/lambda near a bound (issue 8)
    return res
