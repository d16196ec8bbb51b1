"""Direct, indirect and total effects of spatial models, with inference.

The LeSage-Pace (2009, ch. 2.7 and 4.2) partial-derivative decomposition of the
spatial lag (SAR) and spatial Durbin (SDM) models, ``y = rho W y + X beta + W X theta + ...``::

    S_k(W) = dy / dx_k' = (I - rho W)^{-1} (beta_k I + theta_k W)
    average direct   = tr(S_k) / N
    average total    = 1' S_k 1 / N
    average indirect = total - direct

For SLX and SDEM (no ``rho W y``) ``S_k = beta_k I + theta_k W`` so that
direct = ``beta_k`` (W has a zero diagonal), indirect = ``theta_k 1'W1/N``
(= ``theta_k`` for a row-standardised W without islands) and the effects are
linear in the parameters: their standard errors follow exactly from the
covariance matrix.  For SEM the effects are the coefficients: direct = total =
``beta_k`` and there is no indirect effect of X (the spatial process lives in the
error term), reported as an indirect effect of exactly 0.

What is written by hand and why: spreg's SDM impacts count every ``W x`` term as
an indirect effect and give no standard errors, and PySAL has no panel effects;
the decomposition, the trace algebra and both inference methods are therefore
implemented here in small pure functions of arrays (numpy / scipy.sparse only); the
trace moments are in :mod:`._effects_traces`, the result type in :mod:`._effects_result`,
the parameter layout, option checks and parameter draws in :mod:`._effects_params`, the
inference tables (closed form, delta method, simulation) in :mod:`._effects_tables`, the draws
shared with scenarios in :mod:`._parameter_draws` and the per-unit effects for maps in
:mod:`._unit_effects` (the public names re-exported here):

* traces, exact: from the eigenvalues of W, ``tr((I - rho W)^{-1}) =
  sum_i 1/(1 - rho lambda_i)`` and ``tr(W (I - rho W)^{-1}) = sum_i lambda_i /
  (1 - rho lambda_i)`` (real part for complex eigenvalues); used up to
  ``N = 3000`` units.
* traces, stochastic (large N or ``traces="stochastic"``): the power series
  ``sum_j rho^j tr(W^j)`` with ``tr(W^j)`` estimated by Hutchinson's estimator
  with seeded Rademacher vectors (Barry & Pace 1999; LeSage & Pace 2009,
  sec. 4.3); ``tr(W^0) = N``, ``tr(W) = 0`` and ``tr(W^2) = sum_ij w_ij w_ji``
  are exact.  The powers are memoised on the SpatialWeights object and shared with
  the fit's surrogate log-determinant (same probes, same numbers), so after a fit the
  delta-method and simulated effects cost no further products with W; the series is
  truncated where ``(|rho| r)^J < 1e-8`` (at least 20 terms).
* with the delta method and exact traces, the fit's exact ``tr(G)`` and ``tr(GG)`` at
  rho-hat (``results.extra["traces"]``) give the four moments directly
  (``A^{-1} = I + rho G``), without W's eigenvalues.
* totals ``1'(I - rho W)^{-1} 1``: ``N / (1 - rho)`` for a row-standardised W
  without islands, otherwise one sparse LU solve per value of rho (exact path)
  or the power series of the exact moments ``1'W^j 1`` (stochastic path).
  No dense N x N inverse is ever formed for the average effects.
* inference (a) *simulation* (LeSage & Pace 2009, sec. 2.7): draws of the
  parameters from their estimated asymptotic normal distribution, rho redrawn
  when outside W's stationarity interval, effects per draw; the standard error
  is the standard deviation over draws and the interval the percentile
  interval.  (b) *delta method* with analytical gradients with respect to
  ``beta_k``, ``theta_k`` and ``rho``.

The point estimate is always the effect at the ML estimates.  ``z`` is
point estimate / standard error (not mean of draws / sd: the mean of the draws
is a Monte-Carlo approximation of ``E[f(theta_hat)]``, which differs from the
ML effect by a second-order bias, and point / se makes the simulation and delta
z statistics comparable); the simulation mean is reported as ``sim_mean``.

References
----------
LeSage, J. & Pace, R. K. (2009). *Introduction to Spatial Econometrics*. CRC Press,
    sec. 2.7 (effects), 4.2-4.3 (traces).
Elhorst, J. P. (2014). *Spatial Econometrics: From Cross-Sectional Data to Spatial
    Panels*. Springer, sec. 2.7 and 3.5.
Barry, R. P. & Pace, R. K. (1999). Monte Carlo estimates of the log determinant of
    large sparse matrices. *Linear Algebra and its Applications* 289, 41-54.

Verification
------------
``tests/test_effects.py``: exact traces and effects equal a dense oracle
(``np.linalg.inv`` of a small W, S_k formed explicitly) to 1e-10; stochastic
``tr(W^j)/N`` within 0.01 of the exact ones (500 vectors, 400-unit lattice) and
the average effects with stochastic traces within 1e-3 relative of the exact ones
(default 50 vectors; standard errors 1e-2); SLX closed form;
simulation standard errors equal delta-method ones within Monte-Carlo error;
SAR effects equal spreg 1.9 ``ML_Lag(..., spat_impacts="full")`` multipliers to
1e-8 at spreg's estimates, and to 1e-6 end to end from spillmap's own SAR fit
(Columbus); a 250-replication Monte Carlo of the two-way FE SDM gives 93.6-95.2 %
coverage of the 95 % indirect-effect intervals, delta and simulated, with and without
the Lee-Yu treatment (``benchmarks/README.md``, ``benchmarks/monte_carlo.py``).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from spillmap._threads import single_threaded_blas
from spillmap.errors import EstimationError, InputError  # noqa: F401 (InputError re-exported)
from spillmap.estimation._normal import normal_isf

from ._checks import check_draws, check_effects_options, check_seed, lower_choice  # noqa: F401 (re-exported)
from ._effects_params import (_checked_inputs, _draw_params, _effects_from_moments, _gather,  # noqa: F401 (re-exported)
                              _spec_from_params, _table, _w_bounds, simulated_tables, warn_heavy_tails)
from ._effects_result import ALL_MODELS, KINDS, LAG_MODELS, LINEAR_MODELS, EffectsResult  # noqa: F401 (re-exported)
from ._effects_tables import (EffectsMethod, TraceMethod, _delta_tables, _eigenvalues, _lag_note, _linear_effects,
                              _moments_from_fit_traces, _simulated_tables)
from ._effects_traces import (
    EXACT_TRACE_MAX_N,
    _Moments,
    effects_matrix,
    exact_trace_moments,
    series_trace_moments,
    stochastic_trace_powers,
)
from ._parameter_draws import parameter_draws
from ._unit_effects import unit_effects, unit_response

__all__ = [
    "EffectsResult",
    "compute_effects",
    "effects_from_estimates",
    "unit_effects",
    "unit_response",
    "exact_trace_moments",
    "series_trace_moments",
    "stochastic_trace_powers",
    "effects_matrix",
    "EXACT_TRACE_MAX_N",
    "parameter_draws",
]

@single_threaded_blas
def effects_from_estimates(
    params: pd.Series,
    cov: pd.DataFrame,
    w: Any,
    model: str,
    *,
    draws: int = 1000,
    seed: int = 0,
    method: EffectsMethod = "simulation",
    traces: TraceMethod = "auto",
    level: float = 0.95,
    n_vectors: int = 50,
    regressors: Sequence[str] | None = None,
    fit_traces: Any = None,
) -> EffectsResult:
    """Effects from a parameter vector, its covariance and W (the pure core of :func:`compute_effects`).

    Parameters
    ----------
    params
        Estimates indexed by name: regressors, ``W_<x>`` for lagged regressors,
        ``rho`` (SAR/SDM) or ``lambda`` (SEM/SDEM), optionally ``const``.
    cov
        Their covariance matrix (a DataFrame over at least the same names).
    w
        A :class:`~spillmap.spatial.weights.SpatialWeights` or a scipy sparse / numpy N x N matrix.
    model
        ``"sar"``, ``"sdm"``, ``"slx"``, ``"sdem"`` or ``"sem"``.
    draws, seed, method, traces, level
        See :func:`compute_effects`.
    n_vectors
        Rademacher vectors of the stochastic traces.
    regressors
        The regressors whose effects are wanted (default: every parameter that is not
        ``const``, ``rho``, ``lambda`` or ``W_*``); other parameters (e.g. a random-
        effects variance ratio) are then ignored.
    fit_traces
        Exact :class:`~spillmap.estimation._logdet.Traces` of ``G = W (I - rho W)^{-1}``
        at ``params["rho"]`` from the fit's information matrix (optional).  With exact
        traces and the delta method they give ``tr(A^{-1}) = N + rho tr(G)`` and the
        rho-derivatives ``tr(G) + rho tr(GG)``, ``tr(GG)`` without W's eigenvalues (the
        same numbers as the eigenvalue formulas, to rounding).

    Returns
    -------
    EffectsResult
    """
    model = lower_choice(model, ALL_MODELS)  # "SDM" as summaries print it
    params, v, spec, draws, method = _checked_inputs(params, cov, model, draws, method, traces, level, regressors, seed)
    p_hat = params.to_numpy(dtype=float)
    wmat = sp.csr_matrix(w.sparse if hasattr(w, "sparse") else w, dtype=float)
    n = wmat.shape[0]
    zc = normal_isf((1 - level) / 2)
    if model in LINEAR_MODELS:
        return _linear_effects(p_hat, v, spec, wmat, model, seed, level, zc)
    kind = traces
    if kind == "auto":
        kind = "exact" if n <= EXACT_TRACE_MAX_N else "stochastic"
    rho_hat = float(p_hat[spec.rho_idx])
    shared = None
    if kind == "exact" and method == "delta" and getattr(fit_traces, "exact", False):
        shared = _moments_from_fit_traces(fit_traces, rho_hat, n)
    eig = _eigenvalues(w, wmat) if kind == "exact" and shared is None else None
    lo_b, hi_b = _w_bounds(wmat, eig)
    if kind == "exact" and eig is None and not (lo_b < rho_hat < hi_b):
        eig = _eigenvalues(w, wmat)  # the conservative interval is not enough: the exact one
        lo_b, hi_b = _w_bounds(wmat, eig)
    moments = _Moments(wmat, kind, eig, n_vectors=n_vectors, seed=seed, source=w)
    if not (lo_b < rho_hat < hi_b):
        raise EstimationError(f"rho = {rho_hat:.6g} is outside W's stationarity interval ({lo_b:.4g}, {hi_b:.4g}).")
    if method == "delta":
        tr = shared if shared is not None else moments.traces(np.array([rho_hat]), abs(rho_hat))
        tables = _delta_tables(p_hat, v, spec, tr, moments.totals(np.array([rho_hat]), abs(rho_hat), derivatives=True), zc)
        return EffectsResult(model, "delta", 0, seed, level, kind, n, tables, _lag_note(model))
    tables, heavy = _simulated_tables(p_hat, v, spec, moments, draws, seed, level, (lo_b, hi_b))
    msg = warn_heavy_tails(heavy, f"{model.upper()} effects", w)
    return EffectsResult(model, "simulation", draws, seed, level, kind, n, tables, _lag_note(model),
                         warnings=(msg,) if msg else ())


def compute_effects(
    results: Any,
    *,
    draws: int = 1000,
    seed: int = 0,
    method: EffectsMethod = "simulation",
    traces: TraceMethod = "auto",
    level: float = 0.95,
) -> EffectsResult:
    """Average direct, indirect and total effects of a fitted spatial model.

    .. math::

        S_k(W) = (I - \\rho W)^{-1}(\\beta_k I + \\theta_k W),\\qquad
        \\bar M_{direct} = \\tfrac1N \\operatorname{tr} S_k,\\quad
        \\bar M_{total} = \\tfrac1N 1' S_k 1,\\quad
        \\bar M_{indirect} = \\bar M_{total} - \\bar M_{direct}

    (LeSage & Pace 2009, sec. 2.7; Elhorst 2014, sec. 2.7).  For panels with
    ``I_T kron W`` the averages equal the per-period ones.

    Parameters
    ----------
    results
        A fitted :class:`~spillmap.estimation.results.SpatialPanelResults` (any object
        with ``params``, ``cov``, ``w`` and ``model``).
    draws
        Number of parameter draws for the simulation method (>= 100); ``0`` selects the delta
        method whatever ``method`` says (the result's ``method`` then reads ``"delta"``).
    seed
        Non-negative integer seeding ``numpy.random.default_rng`` for the draws and the
        stochastic traces.
    method
        ``"simulation"`` (LeSage-Pace: draws from N(theta_hat, cov), rho redrawn when
        outside W's stationarity interval; se = sd of draws, percentile interval)
        or ``"delta"`` (analytical gradients; symmetric normal interval).
    traces
        ``"exact"`` (eigenvalues), ``"stochastic"`` (Hutchinson power series) or
        ``"auto"`` (exact up to :data:`EXACT_TRACE_MAX_N` units).
    level
        Confidence level of the intervals, a probability in (0, 1) such as 0.95.

    Returns
    -------
    EffectsResult
        ``estimate`` is the effect at the ML estimates; ``z = estimate / se``;
        ``p`` two-sided normal.

    Raises
    ------
    InputError
        An option outside its values (named, with the values it takes), before any work.

    Warns
    -----
    EstimationWarning
        When the draws of an effect are heavy-tailed (sd above
        :data:`~spillmap.estimation._effects_params.HEAVY_TAIL_RATIO` times their interquartile
        scale: rho, or a dynamic model's long-run multiplier, near the edge of the stable region),
        naming those effects: their percentile interval is then the one to read.

    Verification
    ------------
    Dense oracle (np.linalg.inv) to 1e-10; delta vs simulation standard errors
    within Monte-Carlo error; SAR vs spreg ``ML_Lag(spat_impacts="full")``; SDM vs R spatialreg's
    ``impacts(lagsarlm(type = "mixed"))`` (1e-7).
    """
    check_effects_options(draws=draws, seed=seed, method=method, traces=traces, level=level)
    if getattr(results, "dynamic", None) or hasattr(getattr(results, "w", None), "groups"):
        from ._dynamic_effects import horizon_effects  # dynamic (short run) / one W per period (averaged)

        return horizon_effects(results, horizons=("short",), draws=draws, seed=seed, method=method, traces=traces,
                               level=level)["short"]
    model = str(getattr(results, "model", "")).lower()
    extra = getattr(results, "extra", None) or {}
    fit_traces = None
    if "rho" in results.params.index and extra.get("traces_rho") == float(results.params["rho"]):
        fit_traces = extra.get("traces")  # exact traces of the fit at this rho (shared, not recomputed)
    params, cov = results.params, results.cov
    sac = model == "sac"
    if sac:  # SAR formulas in rho and beta: lambda (the error process) carries no effect
        keep = [c for c in params.index if c != "lambda"]
        params, cov, model = params[keep], cov.loc[keep, keep], "sar"
    res = effects_from_estimates(
        params,
        cov,
        results.w,
        model,
        draws=draws,
        seed=seed,
        method=method,
        traces=traces,
        level=level,
        regressors=getattr(results, "x_names", None),
        fit_traces=fit_traces,
    )
    if sac:
        res = dataclasses.replace(res, model="sac", note="SAC: S_k = (I - rho W)^{-1} beta_k, the SAR formulas "
                                  "(the error process u = lambda W u carries no spillover of x); averages of "
                                  "LeSage & Pace (2009).")
    return res.stamped(results.params).noticed(getattr(results, "notice", ""))
