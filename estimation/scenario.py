"""Policy scenarios: what happens to every unit when x changes in some units.

For a fitted spatial model the predicted change of y after a change ``Δx_k`` of the
regressors is exact and linear (LeSage & Pace 2009, sec. 2.7)::

    Δy = sum_k S_k Δx_k,     S_k = (I - rho W)^{-1} (beta_k I + theta_k W)

split, for every unit i, into ``own_i = sum_k S_k[i, i] Δx_k,i`` (its own change, with the
feedback through its neighbours: the per-unit direct effect) and ``received_i = Δy_i -
own_i`` (what the other units' changes send it).  The semantics follow the model:

* SDM ``S_k = (I - rho W)^{-1}(beta_k I + theta_k W)`` and SAR (``theta_k = 0``): a **global
  multiplier** — the change reaches every unit connected to the shocked ones;
* SLX and SDEM ``S_k = beta_k I + theta_k W``: **no global multiplier**, spillovers only to
  the shocked units' neighbours (SDEM's ``lambda`` acts on the errors and does not carry
  a change of x);
* SEM ``S_k = beta_k I``: **no spillover** of x at all — the change stays where it happens
  (``received`` = 0); ``lambda`` shapes the errors only.

Computation: sparse LU solves with ``I - rho W`` (:mod:`._scenario_solve`); never a dense
inverse except :func:`response_columns` for the click-to-explore map at N <= 1,000
(:data:`EXPLORE_DENSE_MAX_N`), which states it.  Intervals: the parameter draws of the
effects (:func:`~spillmap.estimation.effects.parameter_draws`: same seed, same draws),
percentile intervals; or the delta method (``method="delta"``); models linear in their
parameters (SLX, SDEM, SEM) get exact normal intervals from the covariance.

Dynamic panels (``SpatialPanel(..., dynamic=...)``): without ``horizon`` the answer is the
short-run change (the period of the change); with ``horizon=H`` the units and groups hold the
long-run limit and ``extra["path"]`` the path over t = 0 … H with intervals
(:mod:`spillmap.estimation._scenario_dynamic`); static models give the one-period answer and
refuse ``horizon``.  One W per period: ``period`` picks the data period the base values and
the W come from (default the last).

References
----------
LeSage, J. & Pace, R. K. (2009). *Introduction to Spatial Econometrics*, sec. 2.7.
Elhorst, J. P. (2014). *Spatial Econometrics*, sec. 2.7 (SLX/SDEM/SEM effects).

Verification
------------
``tests/test_scenario.py``: a change Δ in every unit has mean predicted change = the
average total effect of :func:`compute_effects` × Δ (1e-10, two exact closed forms) and mean
own change = the average direct effect × Δ; a one-unit change equals the column of
``S_k`` from :func:`unit_response` (1e-12); the sum of received changes equals the emitted
spillover of the shocked set from :func:`unit_effects`; everything equals a dense oracle
(``np.linalg.inv``); simulated and delta standard errors agree within Monte-Carlo error;
the intervals cover the true change at the nominal rate in a Monte Carlo (slow test).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from spillmap.errors import EstimationWarning, InputError
from spillmap.estimation import _scenario_dynamic as dyn
from spillmap.estimation import _scenario_solve as solve
from spillmap.estimation._normal import normal_isf
from spillmap.estimation._scenario_input import (
    KINDS,
    ScenarioModel,
    change_vector,
    check_range,
    check_variable,
    group_labels,
    select_units,
)
from spillmap.estimation._scenario_result import (_MULTIPLIER, _SEMANTICS, ScenarioResult, _frames, _group_rows,
                                                  _no_lag_message)

__all__ = ["scenario", "ScenarioResult", "ScenarioModel", "response_columns", "EXPLORE_DENSE_MAX_N",
           "EXPLORE_TOP_K", "KINDS"]

Method = Literal["simulation", "delta"]
Kind = Literal["absolute", "percent", "to_unit", "to_quantile"]
#: up to this many units the click map embeds every column of S_k (N^2 values; a dense solve)
EXPLORE_DENSE_MAX_N = 1000
#: above it, the k largest responses of each source
EXPLORE_TOP_K = 50
_LAG = ("sar", "sdm")
def _response_kind(source: ScenarioModel, horizon: Any) -> str:
    """``"static"``; for a dynamic model ``"short"`` (no horizon: the period of the change) or
    ``"long"`` (a horizon: the path over 0…H and the long-run limit)."""
    if getattr(source, "dynamic", None):
        return "short" if horizon is None else "long"
    if horizon is None:
        return "static"
    raise InputError(f"horizon={horizon!r} needs a dynamic model (y_t-1 and W y_t-1 terms: "
                     f"SpatialPanel(..., dynamic='both')); this {source.model.upper()} is static: its answer is the "
                     "one-period change. Leave horizon=None.")


def _as_tuple(v: Any) -> tuple:
    return tuple(v) if isinstance(v, list | tuple) else (v,)


def _broadcast(variable: Any, change: Any, kind: Any) -> list[tuple[str, Any, str]]:
    variables = _as_tuple(variable)
    changes, kinds = _as_tuple(change), _as_tuple(kind)
    if not variables or not all(isinstance(v, str) for v in variables):
        raise InputError(f"variable must be a regressor name or a list of them; got {variable!r}.")
    if len(set(variables)) != len(variables):
        raise InputError(f"variable repeats a name: {list(variables)}.")
    out = []
    for what, seq in (("change", changes), ("kind", kinds)):
        if len(seq) not in (1, len(variables)):
            raise InputError(f"{what} has {len(seq)} values for {len(variables)} variables; give one, or one per "
                             "variable.")
    for i, v in enumerate(variables):
        k = kinds[i if len(kinds) > 1 else 0]
        if k not in KINDS:
            raise InputError(f"kind must be one of {', '.join(map(repr, KINDS))}; got {k!r}.")
        out.append((v, changes[i if len(changes) > 1 else 0], k))
    return out


def _check_options(method: str, draws: int, level: float) -> None:
    if method not in ("simulation", "delta"):
        raise InputError(f"method must be one of 'simulation', 'delta'; got {method!r}.")
    if not 0 < level < 1:
        raise InputError(f"level must be in (0, 1); got {level!r}.")
    if method == "simulation" and (isinstance(draws, bool) or int(draws) != draws or draws < 100):
        raise InputError(f"draws must be an integer >= 100 for simulated intervals; got {draws!r} "
                         "(method='delta' needs none).")


def _period(source: ScenarioModel, period: Any) -> Any:
    periods = source.periods
    if not periods:
        return period
    if period is None:
        return periods[-1]
    for p in periods:
        if p == period or str(p) == str(period):
            return p
    raise InputError(f"period {period!r} is not a period of the model's data ({periods[0]}–{periods[-1]}).")


def _parameters(source: ScenarioModel, names: Sequence[str], table: pd.DataFrame
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``beta (D, K)``, ``theta (D, K)``, ``rho (D,)`` from rows of parameter values, and ``has_theta``."""
    beta = table[list(names)].to_numpy(dtype=float)
    has = np.array([f"W_{v}" in table.columns for v in names])
    theta = np.column_stack([table[f"W_{v}"].to_numpy(dtype=float) if h else np.zeros(len(table))
                             for v, h in zip(names, has)])
    rho = table["rho"].to_numpy(dtype=float) if source.model in _LAG else np.zeros(len(table))
    return beta, theta, rho, has


def _intervals(point: np.ndarray, sims: np.ndarray | None, var: np.ndarray | None, level: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(se, lower, upper)``: percentile interval of ``sims`` (rows = quantities) or normal from ``var``."""
    if sims is not None:
        a = (1 - level) / 2
        lo, hi = np.quantile(sims, [a, 1 - a], axis=1)
        return sims.std(axis=1, ddof=1), lo, hi
    se = np.sqrt(np.maximum(var, 0.0))
    z = normal_isf((1 - level) / 2)
    return se, point - z * se, point + z * se


def _uncertainty(source: ScenarioModel, w: sp.csr_matrix, dx: np.ndarray, total: np.ndarray, names: list[str],
                 members: np.ndarray, *, method: str, draws: int, seed: int, level: float) -> tuple[str, tuple, tuple]:
    """``(method used, (se, lo, hi) per unit, (se, lo, hi) per group row)``."""
    lag = source.model in _LAG
    group_point = members @ total
    if lag and method == "simulation":
        from spillmap.estimation.effects import parameter_draws

        table = parameter_draws(source, draws=draws, seed=seed)
        beta, theta, rho, _ = _parameters(source, names, table)
        sims = solve.simulated_totals(w, rho, beta, theta, dx, lag=True)
        return "simulation", _intervals(total, sims, None, level), _intervals(group_point, members @ sims, None,
                                                                              level)
    has = np.array([f"W_{v}" in source.params.index for v in names])
    rho0 = float(source.params["rho"]) if lag else 0.0
    grads = solve.delta_gradients(w, rho0, dx, total, lag=lag, has_theta=has)
    keys = {("beta", k): v for k, v in enumerate(names)} | {("theta", k): f"W_{v}" for k, v in enumerate(names)}
    keys["rho"] = "rho"
    pnames = [keys[g] for g in grads]
    g = np.column_stack(list(grads.values()))                      # (N, P)
    # one memory layout whatever the caller's covariance frame holds (C order): numpy's einsum
    # loops sum in an order that depends on strides, and a stored model must give the live
    # fit's numbers to the last bit
    v = np.ascontiguousarray(source.cov.loc[pnames, pnames].to_numpy(dtype=float))
    gg = members @ g
    unit_var = np.einsum("ip,pq,iq->i", g, v, g)
    group_var = np.einsum("ip,pq,iq->i", gg, v, gg)
    used = "delta" if lag else "closed form"
    return used, _intervals(total, None, unit_var, level), _intervals(group_point, None, group_var, level)


def _changes(source, response: str, dx: np.ndarray, variables: list[str], rows: list, *, period: Any,
             horizon: Any, method: str, draws: int, seed: int, level: float):
    """``(total, own, method used, unit (se, lo, hi), group (se, lo, hi), extra)``: the point change of the
    model's semantics (static; dynamic short run; dynamic long run with the path in ``extra``)."""
    w = dyn.weights_at(source, period)  # one W per period: the W of the scenario's period
    if response == "long":
        beta, theta, rho = (np.atleast_2d(v) for v in dyn.long_run_point(source, variables))
        rho = rho.ravel()
    else:
        beta, theta, rho, _ = _parameters(source, variables, source.params.to_frame().T)
    lag = source.model in _LAG or response == "long"
    total, own = solve.point_changes(w, float(rho[0]), beta[0], theta[0], dx, lag=lag)
    members = np.array([r[2] for r in rows], dtype=float)
    extra: dict[str, Any] = {}
    if response != "static" or hasattr(source.w, "groups"):  # dynamic, or one W per period: the effects' draws
        used, unit_ci, group_ci = dyn.uncertainty(source, w, dx, total, variables, members,
                                                  horizon="long" if response == "long" else "short",
                                                  method=method, draws=draws, seed=seed, level=level)
    else:
        used, unit_ci, group_ci = _uncertainty(source, w, dx, total, variables, members, method=method,
                                               draws=draws, seed=seed, level=level)
    if response == "long":
        extra["path"] = dyn.path_block(source, w, dx, variables, rows, horizon, draws=draws, seed=seed, level=level)
    return total, own, used, unit_ci, group_ci, extra


def scenario(
    fit: Any,
    variable: str | Sequence[str],
    units: Any = "all",
    *,
    change: Any,
    kind: Kind | Sequence[Kind] = "absolute",
    attributes: pd.DataFrame | None = None,
    names: str | None = None,
    groups: Any = None,
    within: str | None = None,
    period: Any = None,
    method: Method = "simulation",
    draws: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    horizon: int | None = None,
    label: str = "",
) -> ScenarioResult:
    """Predicted change of y in every unit after a change of ``variable`` in ``units``.

    ``Δy = sum_k S_k Δx_k`` with ``S_k = (I - rho W)^{-1}(beta_k I + theta_k W)``, split into
    the part from each unit's own change (``own``) and the part it receives (``received``);
    see the module docstring for the SDM / SAR / SLX / SDEM / SEM semantics.

    Parameters
    ----------
    fit
        A fitted :class:`~spillmap.estimation.SpatialPanelResults` or a :class:`ScenarioModel`.
    variable
        The regressor changed, or a list of them (changed together, in the same units).
    units
        ``"all"``; an id or a name; a list of ids / names; or ``{column: value or [values]}``
        over ``attributes`` (e.g. ``{"province_en": "Hubei"}``).  Unknown names are listed
        with the closest matches.
    change, kind
        One per variable, or one for all: ``absolute`` (Δx = change), ``percent``
        (Δx = x change / 100; for a logarithm ``log(v)``, ``log10(v)``, ``log2(v)`` the change of
        ``v`` by that percent, Δx = log(1 + change / 100) in the log's base), ``to_unit`` (x set to the value of the unit ``change``, an id
        or name), ``to_quantile`` (x set to the ``change`` quantile of its ``within`` group;
        0.9 = top decile).  Base values come from ``period``.
    attributes
        A table indexed by unit id: columns for ``units``, ``groups``, ``within`` and ``names``.
    names
        Column of ``attributes`` with readable unit names (accepted in ``units``; reported).
    groups
        Columns of ``attributes`` (or a mapping / Series id → label) whose groups get totals,
        besides the whole region and the shocked units.
    within
        Column of ``attributes`` defining the reference group of ``to_quantile``.
    period
        The data period of the base values (default: the last).
    method, draws, seed, level
        Intervals of the totals: ``simulation`` (the effects' parameter draws, percentile
        interval) or ``delta``; SLX / SDEM / SEM are linear in the parameters and always get
        exact normal intervals.
    horizon
        For dynamic models: the path over t = 0 … horizon (``extra["path"]``) and the long-run
        limit (``units``, ``groups``).  A static model raises.
    label
        A label for the model (e.g. ``"SDM, W1"``).

    Returns
    -------
    ScenarioResult

    Warns
    -----
    DataWarning
        The change pushes a variable outside the range seen in the data (by how much, where).
    EstimationWarning
        The model has no spatial lag of a changed variable (what that means).

    Examples
    --------
    >>> r = scenario(fit, "int", {"province_en": "Hubei"}, change=0.02,   # doctest: +SKIP
    ...              attributes=cities, names="name_en", groups=["province_en"])
    >>> r.to_frame().head(); r.groups                                      # doctest: +SKIP

    Verification
    ------------
    See the module docstring (closed forms, ``unit_response``, ``unit_effects``, dense oracle,
    Monte-Carlo coverage).
    """
    source = ScenarioModel.from_fit(fit)
    _check_options(method, draws, level)
    requests = _broadcast(variable, change, kind)
    for v, _, _ in requests:
        check_variable(source, v)
    response = _response_kind(source, horizon)
    ids = source.ids
    mask = select_units(units, ids, attributes, names)
    labels = group_labels(groups, ids, attributes)
    period = _period(source, period)
    names_s = None
    if names is not None and attributes is not None:
        names_s = attributes[names].rename(index=str)
    dx = np.zeros((len(ids), len(requests)))
    descriptions, messages = [], []
    for k, (v, ch, kd) in enumerate(requests):
        dx[:, k], desc = change_vector(source, v, kd, ch, mask, period=period, attributes=attributes, names=names,
                                       within=within)
        descriptions.append(desc)
        msg = check_range(source, v, dx[:, k], mask, period=period, names=names_s)
        if msg:
            messages.append(msg)
        if f"W_{v}" not in source.params.index:
            messages.append(_no_lag_message(source.model, v))
            warnings.warn(messages[-1], EstimationWarning, stacklevel=2)
    variables = [r[0] for r in requests]
    rows = _group_rows(mask, labels)
    total, own, used, unit_ci, group_ci, extra = _changes(source, response, dx, variables, rows, period=period,
                                                          horizon=horizon, method=method, draws=draws, seed=seed,
                                                          level=level)
    notes = (dyn.SEMANTICS[response].format(m=source.model.upper()),) if response != "static" else (
        _SEMANTICS[source.model],)
    unit_frame, group_frame = _frames(source, mask, dx, descriptions, total, own, unit_ci, rows, group_ci, labels,
                                      attributes, names, variables)
    return ScenarioResult(
        units=unit_frame, groups=group_frame, model=source.model, y=source.y_name, variables=tuple(variables),
        changes=tuple(descriptions), kinds=tuple(r[2] for r in requests), method=used,
        draws=int(draws) if used == "simulation" else 0, seed=int(seed), level=float(level), period=period,
        multiplier=_MULTIPLIER[source.model] if response != "long" else "global", notes=notes,
        warnings=tuple(messages), label=label or source.label, horizon=horizon, extra=extra)


def response_columns(fit: Any, variable: str, *, max_dense: int = EXPLORE_DENSE_MAX_N, top_k: int = EXPLORE_TOP_K
                     ) -> dict[str, Any]:
    """Every unit's response to a unit change of ``variable`` in each unit (the columns of ``S_k``).

    For the click-to-explore map.  N <= ``max_dense``: the whole N x N matrix by one dense
    LU solve (stated: O(N^3) once, N^2 values); above: the ``top_k`` largest responses of
    each source by absolute value, every column solved by sparse LU.

    Parameters
    ----------
    fit
        A fitted model (or a :class:`ScenarioModel`); with one W per period, the last
        period's W is used.
    variable
        A regressor of the model.
    max_dense
        Largest N for the whole matrix (default :data:`EXPLORE_DENSE_MAX_N`, 1000).
    top_k
        Responses kept per source above ``max_dense`` (default :data:`EXPLORE_TOP_K`, 50).

    Returns
    -------
    dict
        ``ids``, ``variable``, ``own`` (diagonal: direct effect of each source),
        ``emitted`` (column sum minus the diagonal: total spillover emitted), and either
        ``matrix`` (N x N, column j = response to a change in j) or ``index`` / ``value``
        (k x N).
    """
    source = ScenarioModel.from_fit(fit)
    check_variable(source, variable)
    w = dyn.weights_at(source, None)  # one W per period: the last period's
    lag = source.model in _LAG
    beta = float(source.params[variable])
    theta = float(source.params.get(f"W_{variable}", 0.0))
    rho = float(source.params["rho"]) if lag else 0.0
    out: dict[str, Any] = {"ids": list(source.ids), "variable": variable, "model": source.model}
    if w.shape[0] <= max_dense:
        s = solve.response_matrix(w, rho, beta, theta, lag=lag)
        own = np.diag(s).copy()
        out.update(matrix=s, own=own, emitted=s.sum(axis=0) - own)
    else:
        idx, val, own, emitted = solve.response_top_k(w, rho, beta, theta, lag=lag, k=top_k)
        out.update(index=idx, value=val, own=own, emitted=emitted)
    return out
