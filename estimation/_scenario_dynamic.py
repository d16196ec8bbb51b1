"""Policy scenarios on dynamic fits (the ``horizon=`` of :func:`spillmap.estimation.scenario`) and
on fits with one W per period.

A permanent change ``Δx`` from period 0 on moves y along the path (``S = I - rho W``,
``A = S^{-1}(tau I + eta W)``, ``b = sum_k beta_k Δx_k + theta_k W Δx_k``)::

    Δy_0 = S^{-1} b,    Δy_h = A Δy_{h-1} + S^{-1} b = sum_{j<=h} A^j S^{-1} b

towards the long-run limit ``((1 - tau) I - (rho + eta) W)^{-1} b`` (the long-run effects'
matrix), which is the static change at ``rho_L = (rho + eta)/(1 - tau)`` with ``beta, theta``
scaled by ``1/(1 - tau)``: the static solvers of :mod:`spillmap.estimation._scenario_solve`
serve the limit (own / received split, delta-method gradients by the chain rule of
:mod:`spillmap.estimation._dynamic_effects`), and one sparse LU of ``S`` per parameter
draw serves the path.  Intervals of the path: percentile intervals over the effects'
parameter draws (restricted to the stability region), whatever ``method`` says for the limit.

With one W per period the scenario uses the W of its ``period`` (default: the last), and the
same draws as the effects (``rho`` inside every period's interval).

Verification: ``tests/test_scenario_dynamic.py`` -- the path equals a dense forward simulation
(1e-10), its last step at a long horizon equals the limit, the limit's region mean equals the
long-run total effect times the change (1e-10), and the short-run answer is the static one.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from spillmap.errors import InputError

from . import _scenario_solve as solve
from ._dynamic_effects import _accept, _mapped, _moment_set, _setup
from ._effects_params import _draw_params
from ._lu import factor_i_minus

__all__ = ["is_dynamic", "weights_at", "draws_frame", "long_run_point", "uncertainty", "path_block", "SEMANTICS"]

SEMANTICS = {
    "short": "Dynamic {m}, short run (the period of the change): Δy_0 = (I - rho W)^-1 (beta Δx + theta W Δx). "
             "Give horizon=H for the path over H periods and the long-run limit.",
    "long": "Dynamic {m}, long run (the limit of a permanent change): Δy = ((1 - tau) I - (rho + eta) W)^-1 "
            "(beta Δx + theta W Δx); the path Δy_h = A Δy_h-1 + Δy_0 over h = 0…H is in extra['path'].",
}


def is_dynamic(source: Any) -> bool:
    return bool(getattr(source, "dynamic", None))


def weights_at(source: Any, period: Any) -> sp.csr_matrix:
    """The (period's) W as a CSR matrix."""
    w = source.w
    if hasattr(w, "groups"):
        w = w.for_period(period if period is not None else w.periods[-1])
    return sp.csr_matrix(w.sparse)


def draws_frame(source: Any, draws: int, seed: int) -> pd.DataFrame:
    """The effects' parameter draws (:func:`~spillmap.estimation._dynamic_effects.horizon_effects`):
    same covariance block, same acceptance region, same generator."""
    p_hat, v, spec, idx = _setup(source)
    omegas = _moment_set(source, None, "auto", seed)[1]
    sims = _draw_params(p_hat, v, int(draws), seed, spec.lag["rho"] or 0, (-np.inf, np.inf),
                        accept=_accept(spec, omegas))
    return pd.DataFrame(sims, columns=idx)


def _static_form(table: np.ndarray, source: Any, names: list[str], horizon: str):
    """``beta (D, K)``, ``theta (D, K)``, ``rho (D,)`` of the horizon's static form for the changed variables."""
    _, _, spec, _ = _setup(source)
    beta, theta, rho, _ = _mapped(table, spec, horizon)
    cols = [spec.names.index(v) for v in names]
    return beta[:, cols], theta[:, cols], rho


def long_run_point(source: Any, names: list[str]):
    p_hat, _, _, _ = _setup(source)
    b, t, r = _static_form(p_hat[None, :], source, names, "long")
    return b[0], t[0], float(r[0])


def _intervals(point, sims, level):
    a = (1 - level) / 2
    lo, hi = np.quantile(sims, [a, 1 - a], axis=-1)
    return sims.std(axis=-1, ddof=1), lo, hi


def uncertainty(source: Any, w: sp.csr_matrix, dx: np.ndarray, total: np.ndarray, names: list[str],
                members: np.ndarray, *, horizon: str, method: str, draws: int, seed: int, level: float):
    """``(method used, unit (se, lo, hi), group (se, lo, hi))`` of the short-run or long-run change."""
    from scipy import stats

    p_hat, v, spec, idx = _setup(source)
    group_point = members @ total
    if method == "simulation":
        table = draws_frame(source, draws, seed).to_numpy()
        beta, theta, rho = _static_form(table, source, names, horizon)
        sims = solve.simulated_totals(w, rho, beta, theta, dx, lag=True)
        return "simulation", _intervals(total, sims, level), _intervals(group_point, members @ sims, level)
    b, t, r = _static_form(p_hat[None, :], source, names, horizon)
    has = np.array([spec.theta[spec.names.index(n)] >= 0 for n in names])
    grads = solve.delta_gradients(w, float(r[0]), dx, total, lag=True, has_theta=has)
    c = 1.0 / (1.0 - p_hat[spec.lag["tau"]]) if horizon == "long" and spec.lag["tau"] is not None else 1.0
    full = np.zeros((w.shape[0], p_hat.size))
    for key, g in grads.items():
        if key == "rho":
            continue
        kind, k = key
        pos = spec.names.index(names[k])
        col = spec.beta[pos] if kind == "beta" else spec.theta[pos]
        full[:, col] += (c if horizon == "long" else 1.0) * g
    g_rho = grads["rho"]
    if horizon == "short":
        if spec.lag["rho"] is not None:
            full[:, spec.lag["rho"]] += g_rho
    else:
        for lag in ("rho", "eta"):
            if spec.lag[lag] is not None:
                full[:, spec.lag[lag]] += c * g_rho
        if spec.lag["tau"] is not None:  # d/d tau: c (sum_k beta'_k g_beta' + theta'_k g_theta' + rho_L g_rho)
            tau_g = c * float(r[0]) * g_rho
            for key, g in grads.items():
                if key != "rho":
                    tau_g = tau_g + c * (b[0, key[1]] if key[0] == "beta" else t[0, key[1]]) * g
            full[:, spec.lag["tau"]] += tau_g
    unit_var = np.einsum("ip,pq,iq->i", full, v, full)
    gg = members @ full
    group_var = np.einsum("ip,pq,iq->i", gg, v, gg)
    z = stats.norm.isf((1 - level) / 2)

    def normal(point, var):
        se = np.sqrt(np.maximum(var, 0.0))
        return se, point - z * se, point + z * se

    return "delta", normal(total, unit_var), normal(group_point, group_var)


def path_changes(w: sp.csr_matrix, tau: float, eta: float, rho: float, b: np.ndarray, horizon: int) -> np.ndarray:
    """``Δy_h`` for ``h = 0..horizon`` (N, H+1) from ``b`` (N,): one sparse LU of ``S``."""
    lu = factor_i_minus(rho, w.tocsc()) if rho != 0 else None
    solve_s = (lambda v: v) if lu is None else lu.solve
    first = solve_s(b)
    out = np.empty((b.size, horizon + 1))
    out[:, 0] = level = first
    for h in range(1, horizon + 1):
        level = solve_s(tau * level + eta * np.asarray(w @ level)) + first
        out[:, h] = level
    return out


def path_block(source: Any, w: sp.csr_matrix, dx: np.ndarray, names: list[str], rows: list, horizon: int, *,
               draws: int, seed: int, level: float, unit_limit: int = 2000) -> dict:
    """The path over ``h = 0..horizon`` for every group row (and every unit up to ``unit_limit`` units)."""
    if not isinstance(horizon, int | np.integer) or isinstance(horizon, bool) or horizon < 0:
        raise InputError(f"horizon must be a non-negative whole number of periods; got {horizon!r}.")
    p_hat, _, spec, _ = _setup(source)

    def one(p):
        b_, t_, r_ = _static_form(p[None, :], source, names, "short")
        tau = p[spec.lag["tau"]] if spec.lag["tau"] is not None else 0.0
        eta = p[spec.lag["eta"]] if spec.lag["eta"] is not None else 0.0
        rhs = dx @ b_[0] + np.asarray(w @ dx) @ t_[0]
        return path_changes(w, float(tau), float(eta), float(r_[0]), rhs, int(horizon))

    members = np.array([r[2] for r in rows], dtype=float)
    point = one(p_hat)
    table = draws_frame(source, draws, seed).to_numpy()
    sims = np.stack([members @ one(p) for p in table], axis=-1)    # (groups, H+1, D)
    a = (1 - level) / 2
    lo, hi = np.quantile(sims, [a, 1 - a], axis=-1)
    groups = {f"{g}: {label}": {"total": (members @ point)[i].tolist(), "ci_lower": lo[i].tolist(),
                                "ci_upper": hi[i].tolist()} for i, (g, label, _) in enumerate(rows)}
    out = {"h": list(range(int(horizon) + 1)), "groups": groups, "draws": int(draws), "seed": int(seed),
           "level": float(level)}
    if point.shape[0] <= unit_limit:
        out["units"] = {str(i): point[k].tolist() for k, i in enumerate(source.ids)}
    return out
