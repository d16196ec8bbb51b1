"""The parameter draws of a SAR/SDM's simulated effects, for other quantities simulated from them.

:func:`parameter_draws` returns the draws behind ``compute_effects(results, draws=..., seed=...)``
(:mod:`spillmap.estimation.effects`), so that :func:`spillmap.estimation.scenario` shares the
effects' draws exactly.  Re-exported by :mod:`spillmap.estimation.effects`.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from spillmap.errors import InputError

from ._checks import check_draws, check_seed
from ._effects_params import _draw_params, _spec_from_params, _w_bounds
from ._effects_result import LAG_MODELS
from ._effects_tables import TraceMethod
from ._effects_traces import EXACT_TRACE_MAX_N

__all__ = ["parameter_draws"]


def parameter_draws(results: Any, *, draws: int = 1000, seed: int = 0, traces: TraceMethod = "auto") -> pd.DataFrame:
    """The parameter draws behind ``compute_effects(results, draws=draws, seed=seed)`` (SAR/SDM).

    The same restriction to the regressors, ``W_<x>`` and ``rho``, the same covariance
    block, the same stationarity interval of W and the same generator as the simulation
    of :func:`effects_from_estimates`, so that other quantities simulated from them
    (:func:`spillmap.estimation.scenario`) share the effects' draws exactly.

    Parameters
    ----------
    results
        A fitted SAR or SDM (dynamic models and one W per period: their effects' draws).
    draws
        Number of draws, an integer >= 100 (default 1000).
    seed
        Non-negative integer seed (default 0).
    traces
        ``"exact"``, ``"stochastic"`` or ``"auto"`` (default), as in :func:`compute_effects`
        (here only whether W's eigenvalues are used for its stationarity interval).

    Returns
    -------
    pandas.DataFrame
        ``draws`` rows, one column per parameter (in ``results.params`` order).

    Verification
    ------------
    ``tests/test_scenario.py``: the total effects recomputed from these draws have the
    mean that :func:`compute_effects` reports as ``sim_mean`` (to 1e-12).
    """
    check_draws(draws)
    check_seed(seed)
    if getattr(results, "dynamic", None) or hasattr(getattr(results, "w", None), "groups"):
        from ._scenario_dynamic import draws_frame  # dynamic / one W per period: their effects' draws

        return draws_frame(results, draws, seed)
    model = str(getattr(results, "model", "")).lower()
    if model not in LAG_MODELS:
        raise InputError(f"parameter draws are simulated for SAR/SDM only; a {model.upper()} has linear effects "
                         "with exact normal intervals.")
    if draws < 100 or int(draws) != draws:
        raise InputError(f"draws must be an integer >= 100; got {draws!r}.")
    params = results.params
    regressors = [r for r in getattr(results, "x_names", params.index) if r != "const" and r in params.index
                  and r not in ("rho", "lambda") and not str(r).startswith("W_")]
    keep = regressors + [f"W_{r}" for r in regressors if f"W_{r}" in params.index] + ["rho"]
    params = params[keep]
    spec = _spec_from_params(params, model)
    wmat = sp.csr_matrix(results.w.sparse) if hasattr(results.w, "sparse") else sp.csr_matrix(results.w, dtype=float)
    kind = traces if traces != "auto" else ("exact" if wmat.shape[0] <= EXACT_TRACE_MAX_N else "stochastic")
    eig = None
    if kind == "exact":
        eig = np.asarray(results.w.eigenvalues) if hasattr(results.w, "eigenvalues") else np.linalg.eigvals(
            wmat.toarray())
    v = results.cov.loc[params.index, params.index].to_numpy(dtype=float)
    sims = _draw_params(params.to_numpy(dtype=float), v, int(draws), seed, spec.rho_idx, _w_bounds(wmat, eig))
    return pd.DataFrame(sims, columns=params.index)
