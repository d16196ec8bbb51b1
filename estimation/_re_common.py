"""Shared pieces of the random-effects spatial panel models (:mod:`spillmap.estimation.random_effects`):
unit means and quasi-demeaning, the two log-determinant routes, the fit record, the inverse
information and a central-difference Hessian.

Verification (``tests/test_random_effects.py``): log-likelihoods on :class:`_EigLogdet`, the unit
means and the quasi-demeaning equal the dense NT x NT normal density to 1e-11; :class:`_LULogdet`
gives the eigenvalue route's estimates (5e-7), covariance (1e-5) and log-likelihood (1e-11);
:func:`_numerical_hessian` matches the analytic SAR Hessian elementwise; :func:`_inv_info` refuses
an indefinite matrix.  :func:`_time_dummies`: the time-effects fit equals one on explicit
``kron`` dummies (1e-12, ``tests/test_random_effects_model.py``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from spillmap.errors import EstimationError



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


def _time_dummies(n: int, t: int) -> np.ndarray:
    """(NT, T-1) dummies of periods 2..T for time-major stacked data."""
    d = np.zeros((n * t, t - 1))
    for s in range(1, t):
        d[s * n : (s + 1) * n, s - 1] = 1.0
    return d
