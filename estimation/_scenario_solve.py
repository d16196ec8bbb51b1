"""Numerics of policy scenarios: ``Δy = S_k Δx`` by sparse solves, its draws, its delta-method
gradient, the diagonal of ``S_k`` at the shocked units, and whole columns of ``S_k`` (click map).

With ``A = I - rho W`` (lag models; ``A = I`` for SLX, SDEM and SEM, which have no ``rho W y``)::

    Δy = A^{-1} b,   b = sum_k (beta_k Δx_k + theta_k W Δx_k)
    own_i = sum_k S_k[i, i] Δx_k,i,  S_k[j, j] = beta_k [A^{-1}]_jj + theta_k [A^{-1} W]_jj

Everything is a sparse LU solve (:func:`scipy.sparse.linalg.splu`, one factorisation per
value of rho) except the full matrix of the click map (:func:`response_matrix`), which is
one dense LU solve of ``A S = beta I + theta W`` for N <= 1,000 units (stated there).

The simulated intervals need ``A(rho_d)^{-1} b_d`` for every parameter draw ``d``.  Written by
hand because no library solves many shifted systems that share W: the Neumann series
``sum_j rho_d^j W^j b_d`` is evaluated for all draws at once (the powers ``W^j`` applied to the
2K fixed vectors ``Δx_k``, ``W Δx_k``, then one matrix product), truncated where the tail bound
``a^{J+1} / (1 - a)`` (``a = max |rho_d| ||W||_inf``) is below 1e-13, and every draw's solution
is then checked by its residual ``||A(rho_d) y_d - b_d||_inf``; draws whose series would
converge slowly (``a > 0.95``) or whose residual exceeds 1e-10 of ``||b_d||_inf`` are solved
by their own sparse LU.  So each simulated total is exact to solver precision.

Verification (``tests/test_scenario.py``): :func:`simulated_totals` equals a dense
``numpy.linalg.solve`` for every draw, rho from -0.6 to 0.999 (LU fallback included), to 1e-10.
Through :func:`~spillmap.estimation.scenario.scenario`: total and own changes equal ``S_k Δx``
formed with ``np.linalg.inv`` (1e-10, five models), delta standard errors a central-difference
Jacobian of that oracle (1e-7).  Through :func:`~spillmap.estimation.scenario.response_columns`:
dense and top-k columns, own and emitted effects equal ``unit_response`` / ``unit_effects`` (1e-10).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["point_changes", "shocked_diagonal", "simulated_totals", "delta_gradients", "response_matrix",
           "response_top_k", "SERIES_MAX_RATE", "RESIDUAL_TOL"]

#: draws whose Neumann series would converge more slowly than this rate are solved by LU
SERIES_MAX_RATE = 0.95
#: a draw's solution is accepted when its residual is below this fraction of ||b_d||_inf
RESIDUAL_TOL = 1e-10
_TAIL_TOL = 1e-13
_BATCH = 256


def _lu(w: sp.csr_matrix, rho: float):
    n = w.shape[0]
    return spla.splu(sp.csc_matrix(sp.identity(n, format="csc") - rho * w))


def _rhs(w: sp.csr_matrix, dx: np.ndarray, beta: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``b = dx beta + W dx theta`` for ``dx`` (N, K) and parameters (K,)."""
    return dx @ beta + np.asarray(w @ dx) @ theta


def point_changes(w: sp.csr_matrix, rho: float, beta: np.ndarray, theta: np.ndarray, dx: np.ndarray, *,
                  lag: bool) -> tuple[np.ndarray, np.ndarray]:
    """``(total, own)`` predicted changes (N,) at the given parameters.

    ``total = A^{-1} b`` by one sparse solve; ``own`` from :func:`shocked_diagonal`.
    """
    b = _rhs(w, dx, beta, theta)
    lu = _lu(w, rho) if lag and rho != 0 else None
    total = b if lu is None else lu.solve(b)
    rows = np.flatnonzero(np.any(dx != 0, axis=1))
    d_beta, d_theta = shocked_diagonal(w, lu, rows)
    own = np.zeros(w.shape[0])
    own[rows] = (dx[rows] * (d_beta[:, None] * beta[None, :] + d_theta[:, None] * theta[None, :])).sum(axis=1)
    return total, own


def shocked_diagonal(w: sp.csr_matrix, lu, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``[A^{-1}]_jj`` and ``[A^{-1} W]_jj`` for the units ``rows`` (exact: one solve per unit,
    in batches of 256 right-hand sides over one factorisation; ``lu=None`` means ``A = I``)."""
    if lu is None:
        return np.ones(rows.size), np.asarray(w.diagonal())[rows]
    n = w.shape[0]
    d1, d2 = np.empty(rows.size), np.empty(rows.size)
    wc = sp.csc_matrix(w)
    for start in range(0, rows.size, _BATCH):
        js = rows[start:start + _BATCH]
        e = np.zeros((n, js.size))
        e[js, np.arange(js.size)] = 1.0
        z1 = lu.solve(e)
        z2 = lu.solve(wc[:, js].toarray())
        d1[start:start + js.size] = z1[js, np.arange(js.size)]
        d2[start:start + js.size] = z2[js, np.arange(js.size)]
    return d1, d2


def _series_order(rate: float) -> int:
    """Terms J with ``rate^(J+1) / (1 - rate) <= 1e-13``."""
    if rate <= 0:
        return 0
    return max(1, int(np.ceil(np.log(_TAIL_TOL * (1 - rate)) / np.log(rate))))


def simulated_totals(w: sp.csr_matrix, rho: np.ndarray, beta: np.ndarray, theta: np.ndarray, dx: np.ndarray, *,
                     lag: bool) -> np.ndarray:
    """``Δy`` (N, D) for D parameter draws: ``rho`` (D,), ``beta`` and ``theta`` (D, K).

    Linear models: ``b_d`` directly.  Lag models: Neumann series for all draws at once,
    residual-checked, LU for the draws it does not serve (see the module docstring).
    """
    basis = np.hstack([dx, np.asarray(w @ dx)])             # (N, 2K): Δx_k, then W Δx_k
    coef = np.hstack([beta, theta]).T                       # (2K, D)
    b = basis @ coef
    if not lag:
        return b
    y = np.empty_like(b)
    norm = float(abs(w).sum(axis=1).max()) if w.nnz else 0.0
    rate = np.abs(rho) * norm
    fast = np.flatnonzero(rate <= SERIES_MAX_RATE)
    if fast.size:
        order = _series_order(float(rate[fast].max()))
        powers = [basis]
        for _ in range(order):
            powers.append(np.asarray(w @ powers[-1]))
        stack = np.hstack(powers)                           # (N, 2K (J+1))
        rj = rho[fast][None, :] ** np.arange(order + 1)[:, None]        # (J+1, D_fast)
        big = (rj[:, None, :] * coef[None, :, fast]).reshape(-1, fast.size)
        y[:, fast] = stack @ big
    resid = np.full(rho.size, np.inf)
    if fast.size:
        r = y[:, fast] - rho[fast] * np.asarray(w @ y[:, fast]) - b[:, fast]
        scale = np.maximum(np.abs(b[:, fast]).max(axis=0), np.finfo(float).tiny)
        resid[fast] = np.abs(r).max(axis=0) / scale
    for d in np.flatnonzero(~(resid <= RESIDUAL_TOL)):
        y[:, d] = _lu(w, float(rho[d])).solve(b[:, d])
    return y


def delta_gradients(w: sp.csr_matrix, rho: float, dx: np.ndarray, total: np.ndarray, *, lag: bool,
                    has_theta: np.ndarray) -> dict[str, np.ndarray]:
    """Derivatives of ``Δy`` (N,) with respect to ``beta_k``, ``theta_k`` and ``rho``.

    ``d/d beta_k = A^{-1} Δx_k``, ``d/d theta_k = A^{-1} W Δx_k`` and
    ``d/d rho = A^{-1} W Δy`` (from ``A Δy = b`` differentiated in ``rho``).
    Keys ``("beta", k)``, ``("theta", k)`` (only where ``has_theta[k]``) and ``"rho"``.
    """
    wdx = np.asarray(w @ dx)
    lu = _lu(w, rho) if lag and rho != 0 else None
    solve = (lambda v: v) if lu is None else lu.solve
    out: dict = {}
    for k in range(dx.shape[1]):
        out[("beta", k)] = solve(dx[:, k].copy())
        if has_theta[k]:
            out[("theta", k)] = solve(wdx[:, k].copy())
    if lag:
        out["rho"] = solve(np.asarray(w @ total))
    return out


def response_matrix(w: sp.csr_matrix, rho: float, beta: float, theta: float, *, lag: bool) -> np.ndarray:
    """The dense N x N matrix ``S = A^{-1}(beta I + theta W)``; column j = response to a unit change in j.

    One dense LU solve (``numpy.linalg.solve``; no explicit inverse), O(N^3) time and
    N^2 memory: meant for the click map at N <= 1,000 units (:data:`EXPLORE_DENSE_MAX_N`
    of :mod:`spillmap.estimation.scenario`).
    """
    wd = w.toarray()
    n = wd.shape[0]
    rhs = beta * np.eye(n) + theta * wd
    if not lag or rho == 0:
        return rhs
    return np.linalg.solve(np.eye(n) - rho * wd, rhs)


def response_top_k(w: sp.csr_matrix, rho: float, beta: float, theta: float, *, lag: bool,
                   k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For every source column j of ``S``: the ``k`` largest responses by absolute value.

    Returns ``(index (k, N) int, value (k, N), own (N,), emitted (N,))`` where ``own`` is
    the diagonal and ``emitted`` the column sum minus the diagonal (both exact: every
    column is solved, in batches of 256 over one factorisation).
    """
    n = w.shape[0]
    k = min(k, n)
    lu = _lu(w, rho) if lag and rho != 0 else None
    wc = sp.csc_matrix(w)
    idx = np.empty((k, n), dtype=np.int64)
    val = np.empty((k, n))
    own, emitted = np.empty(n), np.empty(n)
    for start in range(0, n, _BATCH):
        js = np.arange(start, min(n, start + _BATCH))
        rhs = theta * wc[:, js].toarray()
        rhs[js, np.arange(js.size)] += beta
        cols = rhs if lu is None else lu.solve(rhs)
        top = np.argpartition(-np.abs(cols), k - 1, axis=0)[:k]
        order = np.argsort(-np.abs(np.take_along_axis(cols, top, axis=0)), axis=0, kind="stable")
        top = np.take_along_axis(top, order, axis=0)
        idx[:, js] = top
        val[:, js] = np.take_along_axis(cols, top, axis=0)
        own[js] = cols[js, np.arange(js.size)]
        emitted[js] = cols.sum(axis=0) - own[js]
    return idx, val, own, emitted
