"""Trace and total moments of ``(I - rho W)^{-1}`` for the average effects, and the dense
effects matrix of small W (the oracle and :func:`~spillmap.estimation.effects.unit_effects`'
exact diagonal).

Written by hand (numpy / scipy.sparse): PySAL has no panel effects and spreg's impacts give
no derivatives of the moments in rho, which the delta method needs.  The formulas, the
references and the verification are in :mod:`spillmap.estimation.effects`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from spillmap.errors import EstimationError

from ._lu import splu
from ._traces import trace_powers

__all__ = ["EXACT_TRACE_MAX_N", "exact_trace_moments", "series_trace_moments", "stochastic_trace_powers",
           "effects_matrix"]

#: above this many units, ``traces="auto"`` uses stochastic traces and
#: :func:`~spillmap.estimation.effects.unit_effects` a stochastic diagonal
EXACT_TRACE_MAX_N = 3000

def exact_trace_moments(eigenvalues: np.ndarray, rho: np.ndarray | float) -> np.ndarray:
    """Average traces of ``A = (I - rho W)^{-1}`` and ``W A`` and their rho-derivatives.

    .. math::

        m_0 = \\frac1N \\sum_i \\frac{1}{1-\\rho\\lambda_i},\\quad
        m_1 = \\frac1N \\sum_i \\frac{\\lambda_i}{1-\\rho\\lambda_i},\\quad
        m_0' = \\frac1N \\sum_i \\frac{\\lambda_i}{(1-\\rho\\lambda_i)^2},\\quad
        m_1' = \\frac1N \\sum_i \\frac{\\lambda_i^2}{(1-\\rho\\lambda_i)^2}

    (real parts for complex eigenvalues; LeSage & Pace 2009, sec. 4.2).

    Parameters
    ----------
    eigenvalues
        All N eigenvalues of W (real or complex).
    rho
        One value or an array of D values.

    Returns
    -------
    numpy.ndarray
        Shape ``(D, 4)``: columns ``m0, m1, m0', m1'``.

    Verification
    ------------
    Equal to ``trace(inv(I - rho W))/N`` etc. of a dense oracle to 1e-10 (tests).
    """
    lam = np.asarray(eigenvalues).ravel()
    rho = np.atleast_1d(np.asarray(rho, dtype=float)).ravel()
    n = lam.size
    out = np.empty((rho.size, 4))
    chunk = max(1, 2_000_000 // max(n, 1))
    for s in range(0, rho.size, chunk):
        r = rho[s : s + chunk, None]
        inv = 1.0 / (1.0 - r * lam[None, :])
        inv2 = inv * inv
        out[s : s + chunk, 0] = inv.sum(axis=1).real / n
        out[s : s + chunk, 1] = (lam * inv).sum(axis=1).real / n
        out[s : s + chunk, 2] = (lam * inv2).sum(axis=1).real / n
        out[s : s + chunk, 3] = (lam * lam * inv2).sum(axis=1).real / n
    return out


def series_trace_moments(trace_powers: np.ndarray, rho: np.ndarray | float) -> np.ndarray:
    """The moments of :func:`exact_trace_moments` from the power series of traces.

    .. math::

        m_0 = \\frac1N \\sum_{j=0}^{J} \\rho^j \\operatorname{tr}(W^j),\\quad
        m_1 = \\frac1N \\sum_{j=0}^{J} \\rho^j \\operatorname{tr}(W^{j+1})

    and their term-by-term derivatives (LeSage & Pace 2009, sec. 4.3).

    Parameters
    ----------
    trace_powers
        ``tr(W^j)`` for ``j = 0, ..., J + 1`` (``J + 2`` values; ``trace_powers[0] = N``).
    rho
        One value or an array of D values.

    Returns
    -------
    numpy.ndarray
        Shape ``(D, 4)``: ``m0, m1, m0', m1'``.  The same series with the exact
        moments ``1'W^j 1`` gives the totals.
    """
    t = np.asarray(trace_powers, dtype=float).ravel()
    n = t[0]
    order = t.size - 2
    rho = np.atleast_1d(np.asarray(rho, dtype=float)).ravel()
    j = np.arange(order + 1)
    powers = rho[:, None] ** j[None, :]  # (D, J+1)
    dpowers = np.zeros_like(powers)
    dpowers[:, 1:] = j[None, 1:] * rho[:, None] ** (j[None, 1:] - 1)
    out = np.empty((rho.size, 4))
    out[:, 0] = powers @ t[:-1] / n
    out[:, 1] = powers @ t[1:] / n
    out[:, 2] = dpowers @ t[:-1] / n
    out[:, 3] = dpowers @ t[1:] / n
    return out


def stochastic_trace_powers(
    w: sp.spmatrix, order: int = 100, *, n_vectors: int = 50, seed: int = 0
) -> np.ndarray:
    """Hutchinson estimates of ``tr(W^j)``, ``j = 0, ..., order + 1``.

    ``tr(W^j) ~ mean_r u_r' W^j u_r`` with independent Rademacher vectors ``u_r``
    (seeded ``numpy.random.default_rng(seed)``); ``j = 0, 1, 2`` are exact
    (``N``, ``sum_i w_ii``, ``sum_ij w_ij w_ji``).  Cost: ``order`` sparse products
    with an ``N x n_vectors`` block (Barry & Pace 1999).

    Parameters
    ----------
    w
        N x N sparse (or dense) weights.
    order
        Highest power estimated is ``order + 1`` (default 100).
    n_vectors
        Rademacher vectors (default 50).
    seed
        Seed of the vectors (default 0).

    Verification
    ------------
    ``tr(W^j)/N`` within 0.01 of the exact values for a 400-unit lattice with 500
    vectors (tests).
    """
    return trace_powers(sp.csr_matrix(w, dtype=float), order, n_vectors=n_vectors, seed=seed)


def _series_order(w: sp.spmatrix, rho_max: float, tol: float = 1e-8, minimum: int = 20) -> int:
    """Number of power-series terms so that ``(|rho| r)^J < tol``, r a bound on W's spectral radius
    (at least ``minimum``; the terms beyond contribute less than ``tol`` relative)."""
    rows = np.abs(w).sum(axis=1).max() if w.nnz else 0.0
    cols = np.abs(w).sum(axis=0).max() if w.nnz else 0.0
    r = float(min(rows, cols))
    q = abs(rho_max) * r
    if q <= 0:
        return minimum
    if q >= 1:
        raise EstimationError(
            f"rho = {rho_max:.4g} is outside the convergence region of the power series "
            f"(|rho| * {r:.4g} >= 1); use traces='exact'."
        )
    return int(min(max(minimum, math.ceil(math.log(tol) / math.log(q))), 5000))


def _power_moments(w: sp.spmatrix, order: int) -> np.ndarray:
    """Exact ``1' W^j 1`` for ``j = 0, ..., order + 1`` by repeated sparse products."""
    w = sp.csr_matrix(w)
    v = np.ones(w.shape[0])
    out = np.empty(order + 2)
    out[0] = w.shape[0]
    for j in range(1, order + 2):
        v = w @ v
        out[j] = v.sum()
    return out


def _is_row_stochastic(w: sp.spmatrix) -> bool:
    rs = np.asarray(w.sum(axis=1)).ravel()
    return bool(rs.size and np.allclose(rs, 1.0, atol=1e-10, rtol=0))


def _exact_total_moments(w: sp.spmatrix, rho: np.ndarray, *, derivatives: bool) -> np.ndarray:
    """``c0 = 1'A1/N``, ``c1 = 1'WA1/N`` (and rho-derivatives) with ``A = (I - rho W)^{-1}``.

    Closed form ``1/(1 - rho)`` for a row-stochastic W (``A 1 = 1/(1-rho) 1``);
    otherwise one sparse LU factorisation per rho: ``u = A 1``, ``c0 = 1'u/N``,
    ``c1 = 1'Wu/N``; derivatives ``c0' = (A'1)' W u / N`` and
    ``c1' = (A'W'1)' W u / N`` (from ``dA/drho = A W A``).
    """
    rho = np.atleast_1d(np.asarray(rho, dtype=float)).ravel()
    out = np.full((rho.size, 4), np.nan)
    if _is_row_stochastic(w):
        out[:, 0] = out[:, 1] = 1.0 / (1.0 - rho)
        out[:, 2] = out[:, 3] = 1.0 / (1.0 - rho) ** 2
        return out
    w = sp.csc_matrix(w, dtype=float)
    n = w.shape[0]
    one = np.ones(n)
    eye = sp.identity(n, format="csc")
    wt1 = np.asarray(w.T @ one).ravel()
    for d, r in enumerate(rho):
        lu = splu(sp.csc_matrix(eye - r * w))
        u = lu.solve(one)
        wu = w @ u
        out[d, 0] = u.sum() / n
        out[d, 1] = wu.sum() / n
        if derivatives:
            v = lu.solve(one, trans="T")
            g = lu.solve(wt1, trans="T")
            out[d, 2] = v @ wu / n
            out[d, 3] = g @ wu / n
    return out


@dataclass(frozen=True)
class _Moments:
    """Computes the trace and total moments of W for arrays of rho.

    ``source`` is what the trace powers are memoised on (the SpatialWeights object,
    shared with the fit's log-determinant series) or the matrix itself."""

    w: sp.csr_matrix
    kind: Literal["exact", "stochastic"]
    eigenvalues: np.ndarray | None = None
    n_vectors: int = 50
    seed: int = 0
    source: Any = None

    def traces(self, rho: np.ndarray, rho_max: float) -> np.ndarray:
        if self.kind == "exact":
            return exact_trace_moments(self.eigenvalues, rho)
        order = _series_order(self.w, rho_max)
        src = self.w if self.source is None else self.source
        tp = trace_powers(src, order, n_vectors=self.n_vectors, seed=self.seed)
        return series_trace_moments(tp, rho)

    def totals(self, rho: np.ndarray, rho_max: float, *, derivatives: bool) -> np.ndarray:
        if self.kind == "exact" or _is_row_stochastic(self.w):
            return _exact_total_moments(self.w, rho, derivatives=derivatives)
        order = _series_order(self.w, rho_max)
        return series_trace_moments(_power_moments(self.w, order), rho)



def effects_matrix(w: np.ndarray | sp.spmatrix, rho: float, beta: float, theta: float = 0.0) -> np.ndarray:
    """The dense N x N matrix ``S = (I - rho W)^{-1} (beta I + theta W)`` (small N only).

    One dense LU solve (no explicit inverse); used by :func:`unit_effects` for the
    exact diagonal when N <= :data:`EXACT_TRACE_MAX_N` and as the test oracle.

    Parameters
    ----------
    w
        N x N weights (dense or sparse; densified).
    rho
        Spatial-lag coefficient (0: no inverse).
    beta, theta
        Coefficients of the variable and of its spatial lag (``theta`` default 0).
    """
    wd = w.toarray() if sp.issparse(w) else np.asarray(w, dtype=float)
    n = wd.shape[0]
    rhs = beta * np.eye(n) + theta * wd
    if rho == 0:
        return rhs
    return np.linalg.solve(np.eye(n) - rho * wd, rhs)
