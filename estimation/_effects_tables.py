"""The inference tables of the average effects: closed form, delta method, simulation.

Called by :func:`~spillmap.estimation.effects.effects_from_estimates` (see
:mod:`spillmap.estimation.effects` for the formulas and their verification):
:func:`_linear_effects` gives SLX/SDEM/SEM their exact normal inference from the covariance,
:func:`_delta_tables` the delta-method standard errors of SAR/SDM from the analytical gradients
in ``beta_k``, ``theta_k`` and ``rho``, and :func:`_simulated_tables` the LeSage-Pace simulation
(standard deviation and percentile interval over parameter draws).  The trace moments come from
:mod:`._effects_traces` (or from the fit's exact traces, :func:`_moments_from_fit_traces`).
"""
from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._effects_params import _draw_params, _effects_from_moments, _gather, _table, simulated_tables
from ._effects_result import KINDS, EffectsResult

EffectsMethod = Literal["simulation", "delta"]
TraceMethod = Literal["auto", "exact", "stochastic"]


def _eigenvalues(w: Any, wmat: sp.csr_matrix) -> np.ndarray:
    if hasattr(w, "sparse"):  # SpatialWeights: cached on the weights
        return np.asarray(w.eigenvalues)
    return np.linalg.eigvals(wmat.toarray())


def _moments_from_fit_traces(tr: Any, rho: float, n: int) -> np.ndarray:
    """The four moments of :func:`exact_trace_moments` at one rho from exact fit traces:
    ``W A^{-1} = G`` and ``A^{-1} = I + rho G`` give ``m1 = tr(G)/N``, ``m0 = 1 + rho m1``,
    ``m1' = tr(GG)/N`` and ``m0' = m1 + rho m1'``."""
    m1, dm1 = tr.tr_g / n, tr.tr_gg / n
    return np.array([[1.0 + rho * m1, m1, m1 + rho * dm1, dm1]])


def _linear_effects(p_hat, v, spec, wmat, model, seed, level, zc) -> EffectsResult:
    """SLX / SDEM / SEM: exact normal inference from the covariance."""
    n, k = wmat.shape[0], len(spec.names)
    c = float(wmat.sum()) / n  # 1'W1/N
    est = {kind: np.zeros(k) for kind in KINDS}
    se = {kind: np.zeros(k) for kind in KINDS}
    for i in range(k):
        gb = np.zeros(p_hat.size)
        gb[spec.beta_idx[i]] = 1.0
        gt = np.zeros(p_hat.size)
        if spec.theta_idx[i] >= 0:
            gt[spec.theta_idx[i]] = c
        for kind, g in (("direct", gb), ("indirect", gt), ("total", gb + gt)):
            est[kind][i] = g @ p_hat
            se[kind][i] = math.sqrt(max(g @ v @ g, 0.0))
    tables = {
        kind: _table(est[kind], se[kind], est[kind] - zc * se[kind], est[kind] + zc * se[kind], spec.names)
        for kind in KINDS
    }
    note = {
        "sem": "SEM: the effects are the coefficients; X has no indirect (spillover) effect in an error model.",
        "slx": "SLX: direct = beta, indirect = theta * 1'W1/N; exact (linear) standard errors.",
        "sdem": "SDEM: direct = beta, indirect = theta * 1'W1/N; exact (linear) standard errors.",
    }[model]
    return EffectsResult(model, "linear", 0, seed, level, "closed form", n, tables, note)


def _delta_tables(p_hat, v, spec, tr, tot, zc) -> dict[str, pd.DataFrame]:
    """Delta-method tables from the moments ``tr``/``tot`` (1, 4) at rho-hat."""
    k = len(spec.names)
    beta0, theta0, _ = _gather(p_hat[None, :], spec)
    d0, i0, t0 = _effects_from_moments(beta0, theta0, tr, tot)
    est = {"direct": d0[0], "indirect": i0[0], "total": t0[0]}
    se = {kind_: np.zeros(k) for kind_ in KINDS}
    for i in range(k):
        b, t = beta0[0, i], theta0[0, i]
        grads = {
            "direct": (tr[0, 0], tr[0, 1], b * tr[0, 2] + t * tr[0, 3]),
            "total": (tot[0, 0], tot[0, 1], b * tot[0, 2] + t * tot[0, 3]),
        }
        grads["indirect"] = tuple(a - d for a, d in zip(grads["total"], grads["direct"]))
        for kind_, (gb_, gt_, gr_) in grads.items():
            g = np.zeros(p_hat.size)
            g[spec.beta_idx[i]] = gb_
            if spec.theta_idx[i] >= 0:
                g[spec.theta_idx[i]] = gt_
            g[spec.rho_idx] = gr_
            se[kind_][i] = math.sqrt(max(g @ v @ g, 0.0))
    return {
        kind_: _table(est[kind_], se[kind_], est[kind_] - zc * se[kind_], est[kind_] + zc * se[kind_], spec.names)
        for kind_ in KINDS
    }


def _simulated_tables(p_hat, v, spec, moments, draws, seed, level, bounds) -> tuple[dict[str, pd.DataFrame], list]:
    """LeSage-Pace simulation: effects at ``draws`` parameter vectors; sd and percentiles (and the
    heavy-tailed effects, :func:`~spillmap.estimation._effects_params.simulated_tables`)."""
    beta0, theta0, _ = _gather(p_hat[None, :], spec)
    rho_hat = float(p_hat[spec.rho_idx])
    sims = _draw_params(p_hat, v, draws, seed, spec.rho_idx, bounds)
    beta, theta, rho = _gather(sims, spec)
    rho_all = np.concatenate([[rho_hat], rho])
    rmax = float(np.max(np.abs(rho_all)))
    tr = moments.traces(rho_all, rmax)
    tot = moments.totals(rho_all, rmax, derivatives=False)
    d_all, i_all, t_all = _effects_from_moments(np.vstack([beta0, beta]), np.vstack([theta0, theta]), tr, tot)
    return simulated_tables((("direct", d_all), ("indirect", i_all), ("total", t_all)), spec.names, level)


def _lag_note(model: str) -> str:
    if model == "sar":
        return "SAR: S_k = (I - rho W)^{-1} beta_k; averages of LeSage & Pace (2009)."
    return "SDM: S_k = (I - rho W)^{-1} (beta_k I + theta_k W); averages of LeSage & Pace (2009)."
