"""Short-run and long-run effects of dynamic spatial panels, and effects under a time-varying W.

For a regressor ``x_k`` (Debarsy, Ertur & LeSage 2012, Spatial Economic Analysis 7; Elhorst
2014, ch. 4)::

    short run   S_k = (I - rho W)^{-1} (beta_k I + theta_k W)
    long run    L_k = ((1 - tau) I - (rho + eta) W)^{-1} (beta_k I + theta_k W)
                    = c (I - rho_L W)^{-1} (beta_k I + theta_k W),   c = 1/(1 - tau),  rho_L = (rho + eta) c

so the long-run effects are the static LeSage-Pace averages (direct ``tr/N``, total ``1'.1/N``)
at ``rho_L`` times ``c``: the trace moments of :mod:`spillmap.estimation.effects` serve both
horizons (exact from W's eigenvalues up to 3,000 units, Hutchinson power series beyond).
``L_k`` is the limit of ``sum_{h<=H} A^h S_k``, ``A = (I - rho W)^{-1}(tau I + eta W)``: the
change after y has adjusted to a permanent change of x.

Inference: (a) simulation: parameter draws from ``N(theta_hat, cov)`` restricted to the
stability region (those outside redrawn; for a static model with one W per period: ``rho``
inside every period's interval), both horizons from the same draws, sd and percentile
interval (an EstimationWarning names the effects whose draws are heavy-tailed: near the
stability edge the long-run multiplier ``c`` explodes for a few draws, so their sd, z and p
mislead while the percentile interval covers; benchmarks/README.md); (b) delta method with
the analytical gradients (``d rho_L/d tau = rho_L c``, ``d c/d tau = c^2``).  The point
estimate is the effect at the estimates.

One W per period: the effects of period t use ``W_t`` (the long run: as if ``W_t`` stayed);
the averages over periods are linear in the trace moments, so they are the effects computed
with the moments averaged over periods (exact, no approximation), and their standard errors
come from the same draws / gradients.

Written by hand on the moment functions of :mod:`spillmap.estimation.effects` (no library has
dynamic or time-varying spatial effects).  Verification: ``tests/test_dynamic_effects.py`` --
dense oracle (``np.linalg.inv``) to 1e-10; the long-run effects equal 500 periods of repeated
short-run propagation; delta and simulated SEs agree within Monte-Carlo error.
"""
from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from spillmap._threads import single_threaded_blas
from spillmap.errors import InputError

from ._checks import check_effects_options
from ._effects_params import (_draw_params, _effects_from_moments, _table, _w_bounds, heavy_tail_message,
                             simulated_tables, warn_heavy_tails)
from .effects import EXACT_TRACE_MAX_N, EffectsResult, _Moments, unit_effects

__all__ = ["HORIZONS", "dynamic_effects", "timevarying_effects", "effects_by_period", "unit_effects_at"]

HORIZONS = ("short", "long")
_KINDS = ("direct", "indirect", "total")


@dataclass(frozen=True)
class _Spec:
    names: tuple[str, ...]
    beta: np.ndarray
    theta: np.ndarray      # -1: no W_x term
    lag: dict              # "tau"/"eta"/"rho" -> position or None


def _setup(results: Any) -> tuple[np.ndarray, np.ndarray, _Spec, pd.Index]:
    params = results.params
    regs = [r for r in results.x_names if r != "const"]
    if not regs:
        raise InputError("the model has no regressors whose effects could be computed.")
    keep = regs + [f"W_{r}" for r in regs if f"W_{r}" in params.index]
    keep += [p for p in ("tau", "eta", "rho") if p in params.index]
    idx = pd.Index(keep)
    spec = _Spec(tuple(regs), np.array([keep.index(r) for r in regs]),
                 np.array([keep.index(f"W_{r}") if f"W_{r}" in keep else -1 for r in regs]),
                 {p: (keep.index(p) if p in keep else None) for p in ("tau", "eta", "rho")})
    v = results.cov.loc[keep, keep].to_numpy(dtype=float)
    return params[keep].to_numpy(dtype=float), v, spec, idx


def _col(p: np.ndarray, pos: int | None) -> np.ndarray:
    return p[:, pos] if pos is not None else np.zeros(p.shape[0])


def _mapped(p: np.ndarray, spec: _Spec, horizon: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(beta', theta', rho', c)`` of the static form of the horizon's effects (module notes)."""
    beta = p[:, spec.beta]
    theta = np.where(spec.theta >= 0, p[:, np.maximum(spec.theta, 0)], 0.0)
    tau, eta, rho = (_col(p, spec.lag[k]) for k in ("tau", "eta", "rho"))
    if horizon == "short":
        return beta, theta, rho, np.ones_like(rho)
    c = 1.0 / (1.0 - tau)
    return beta * c[:, None], theta * c[:, None], (rho + eta) * c, c


# ------------------------------------------------------------------ moments
class _MeanMoments:
    """Trace and total moments averaged over periods (weights = share of periods of each W)."""

    def __init__(self, parts: list[tuple[_Moments, float]]) -> None:
        self.parts = parts

    def traces(self, rho: np.ndarray, rmax: float) -> np.ndarray:
        return sum(wt * m.traces(rho, rmax) for m, wt in self.parts)

    def totals(self, rho: np.ndarray, rmax: float, *, derivatives: bool) -> np.ndarray:
        return sum(wt * m.totals(rho, rmax, derivatives=derivatives) for m, wt in self.parts)


def _moments(w: Any, kind: str, seed: int) -> tuple[_Moments, np.ndarray]:
    """The moments of one W and the points where stability / the rho interval is checked."""
    wmat = sp.csr_matrix(w.sparse, dtype=float)
    if kind == "exact":
        ev = np.asarray(w.eigenvalues)
        return _Moments(wmat, "exact", ev, seed=seed, source=w), ev
    lo, hi = _w_bounds(wmat, None)
    return _Moments(wmat, "stochastic", None, seed=seed, source=w), np.array([1.0 / lo, 1.0 / hi])


def _weights_list(results: Any, period: Any) -> list[tuple[Any, float]]:
    w = results.w
    if not hasattr(w, "groups"):
        return [(w, 1.0)]
    if period is not None:
        return [(w.for_period(period), 1.0)]
    return [(m, len(pos) / w.t) for m, pos in w.groups]


def _moment_set(results: Any, period: Any, traces: str, seed: int) -> tuple[Any, np.ndarray, str, int]:
    wl = _weights_list(results, period)
    n = wl[0][0].n
    kind = traces if traces != "auto" else ("exact" if n <= EXACT_TRACE_MAX_N else "stochastic")
    parts, omegas = [], []
    for w, wt in wl:
        m, om = _moments(w, kind, seed)
        parts.append((m, wt))
        omegas.append(om)
    moments = parts[0][0] if len(parts) == 1 else _MeanMoments(parts)
    return moments, np.concatenate(omegas), kind, n


def _accept(spec: _Spec, omegas: np.ndarray):
    """Draws inside the stability region (dynamic) or inside every W's rho interval (static)."""
    def ok(cand: np.ndarray) -> np.ndarray:
        tau, eta, rho = (_col(cand, spec.lag[k]) for k in ("tau", "eta", "rho"))
        good = np.ones(cand.shape[0], dtype=bool)
        for s in range(0, omegas.size, 512):
            om = omegas[None, s:s + 512]
            den = np.abs(1.0 - rho[:, None] * om)
            if spec.lag["tau"] is None and spec.lag["eta"] is None:  # static: rho inside the real interval
                real = om.real[np.abs(om.imag) < 1e-10][None, :]
                good &= np.all((1.0 - rho[:, None] * real) > 0, axis=1)
            else:
                good &= np.all(np.abs(tau[:, None] + eta[:, None] * om) < den, axis=1)
        return good

    return ok


# ------------------------------------------------------------------ tables
def _delta(p_hat, v, spec, moments, horizon, zc) -> dict[str, pd.DataFrame]:
    b, t, r, c = _mapped(p_hat[None, :], spec, horizon)
    rho_l, c = float(r[0]), float(c[0])
    tr = moments.traces(np.array([rho_l]), abs(rho_l))[0]
    tot = moments.totals(np.array([rho_l]), abs(rho_l), derivatives=True)[0]
    beta = p_hat[spec.beta]
    theta = np.where(spec.theta >= 0, p_hat[np.maximum(spec.theta, 0)], 0.0)
    est, grads = {}, {}
    for kind, m in (("direct", tr), ("total", tot)):
        f, fp = beta * m[0] + theta * m[1], beta * m[2] + theta * m[3]
        est[kind] = c * f
        g = np.zeros((len(spec.names), p_hat.size))
        rows = np.arange(len(spec.names))
        g[rows, spec.beta] = c * m[0]
        has = spec.theta >= 0
        g[rows[has], spec.theta[has]] = c * m[1]
        for lag, val in (("rho", c * c * fp if horizon == "long" else fp),
                         ("eta", c * c * fp if horizon == "long" else 0.0 * fp),
                         ("tau", c * c * (f + rho_l * fp) if horizon == "long" else 0.0 * fp)):
            if spec.lag[lag] is not None:
                g[:, spec.lag[lag]] = val
        grads[kind] = g
    est["indirect"], grads["indirect"] = est["total"] - est["direct"], grads["total"] - grads["direct"]
    out = {}
    for kind in _KINDS:
        se = np.sqrt(np.maximum(np.einsum("kp,pq,kq->k", grads[kind], v, grads[kind]), 0.0))
        out[kind] = _table(est[kind], se, est[kind] - zc * se, est[kind] + zc * se, spec.names)
    return out


def _simulated(p_hat, sims, spec, moments, horizon, level) -> tuple[dict[str, pd.DataFrame], list[str]]:
    p_all = np.vstack([p_hat[None, :], sims])
    beta, theta, rho, _ = _mapped(p_all, spec, horizon)
    rmax = float(np.max(np.abs(rho)))
    tr = moments.traces(rho, rmax)
    tot = moments.totals(rho, rmax, derivatives=False)
    d_all, i_all, t_all = _effects_from_moments(beta, theta, tr, tot)
    return simulated_tables((("direct", d_all), ("indirect", i_all), ("total", t_all)), spec.names, level)


def _note(results: Any, horizon: str, period: Any) -> str:
    m = results.model.upper()
    form = {"short": "short run: S_k = (I - rho W)^{-1}(beta_k I + theta_k W), the change in the period of a "
                     "change of x_k",
            "long": "long run: ((1 - tau) I - (rho + eta) W)^{-1}(beta_k I + theta_k W), the change once y has "
                    "adjusted to a permanent change of x_k (Debarsy, Ertur & LeSage 2012)"}[horizon]
    when = ""
    if hasattr(results.w, "groups"):
        when = f"; W of period {period}" if period is not None else "; averaged over the periods' W_t"
    prefix = "Dynamic " if getattr(results, "dynamic", None) else ""
    return f"{prefix}{m}, {form}{when}; averages of LeSage & Pace (2009)."


@single_threaded_blas
def horizon_effects(results: Any, *, horizons: tuple[str, ...], draws: int = 1000, seed: int = 0,
                    method: str = "simulation", traces: str = "auto", level: float = 0.95,
                    period: Any = None) -> dict[str, EffectsResult]:
    """Effects at each of ``horizons`` (``"short"``, ``"long"``) from the same draws (module notes)."""
    check_effects_options(draws=draws, seed=seed, method=method, traces=traces, level=level)
    if draws == 0:
        method = "delta"
    elif method == "simulation" and (int(draws) != draws or draws < 100):
        raise InputError(f"draws={draws!r} is too few for simulated standard errors; use >= 100, or 0 for the "
                         "delta method.")
    p_hat, v, spec, _ = _setup(results)
    moments, omegas, kind, n = _moment_set(results, period, traces, seed)
    zc = stats.norm.isf((1 - level) / 2)
    out = {}
    sims = None
    if method == "simulation":
        sims = _draw_params(p_hat, v, int(draws), seed, spec.lag["rho"] or 0, (-np.inf, np.inf),
                            accept=_accept(spec, omegas))
    prefix = "dynamic " if getattr(results, "dynamic", None) else ""
    what = f"{prefix}{results.model.upper()} effects"
    heavy: list[str] = []
    for h in horizons:
        flagged: list[str] = []
        if method == "delta":
            tables = _delta(p_hat, v, spec, moments, h, zc)
        else:
            tables, found = _simulated(p_hat, sims, spec, moments, h, level)
            flagged = [f"{h}-run {f}" if len(horizons) > 1 or h == "long" else f for f in found]
        heavy += flagged
        msg = heavy_tail_message(flagged, what, results.w)  # this horizon's, kept with its result
        out[h] = EffectsResult(results.model, method, int(draws) if method == "simulation" else 0, seed, level,
                               kind, n, tables, _note(results, h, period), warnings=(msg,) if msg else (),
                               estimates=tuple(results.params.items()))
    warn_heavy_tails(heavy, what, results.w)  # one warning for the call
    return out


def dynamic_effects(results: Any, **kwargs: Any) -> dict[str, EffectsResult]:
    """``{"short": ..., "long": ...}`` effects of a dynamic fit (see :func:`horizon_effects`).

    Parameters
    ----------
    results
        A fitted dynamic model (:class:`~spillmap.estimation.DynamicPanelResults`).
    **kwargs
        ``draws``, ``seed``, ``method``, ``traces``, ``level``, ``period`` of :func:`horizon_effects`.
    """
    return horizon_effects(results, horizons=HORIZONS, **kwargs)


def timevarying_effects(results: Any, **kwargs: Any) -> EffectsResult:
    """Average (short-run) effects of a static fit with one W per period, averaged over periods."""
    return horizon_effects(results, horizons=("short",), **kwargs)["short"]


def effects_by_period(results: Any, **kwargs: Any) -> dict[Any, dict[str, EffectsResult]]:
    """``{period: {horizon: EffectsResult}}`` with each period's ``W_t`` (same draws for every period).

    Parameters
    ----------
    results
        A fitted model; horizons ``"short"`` and ``"long"`` for a dynamic one, ``"short"``
        only otherwise; one entry ``None`` when W does not vary over time.
    **kwargs
        ``draws``, ``seed``, ``method``, ``traces``, ``level`` of :func:`horizon_effects`.
    """
    hz = HORIZONS if getattr(results, "dynamic", None) else ("short",)
    periods = results.w.periods if hasattr(results.w, "groups") else (None,)
    return {p: horizon_effects(results, horizons=hz, period=p, **kwargs) for p in periods}


def period_view(results: Any, period: Any = None, *, horizon: str = "short") -> Any:
    """A static-form stand-in for per-unit functions (:func:`~spillmap.estimation.effects.unit_effects`,
    :func:`~spillmap.estimation.effects.unit_response`): ``beta', theta', rho'`` of ``horizon`` and
    the W of ``period`` (default the last) as ``model="sdm"``."""
    p_hat, _, spec, _ = _setup(results)
    b, t, r, _ = _mapped(p_hat[None, :], spec, horizon)
    w = results.w
    if hasattr(w, "groups"):
        w = w.for_period(period if period is not None else w.periods[-1])
    values = {**{v: b[0, k] for k, v in enumerate(spec.names)},
              **{f"W_{v}": t[0, k] for k, v in enumerate(spec.names) if spec.theta[k] >= 0}, "rho": r[0]}
    return types.SimpleNamespace(model="sdm", params=pd.Series(values), w=w, x_names=spec.names)


def unit_effects_at(results: Any, var: str, *, horizon: str = "short", period: Any = None,
                    n_vectors: int = 200, seed: int = 0) -> pd.DataFrame:
    """Per-unit effects of ``var`` (:func:`spillmap.estimation.effects.unit_effects`) at ``horizon``,
    with ``W_t`` of ``period`` (default the last) when W varies over time.

    Parameters
    ----------
    results
        A fitted model.
    var
        A regressor of the model.
    horizon
        ``"short"`` (default) or ``"long"`` (dynamic models only).
    period
        The period whose ``W_t`` is used when W varies over time (default the last).
    n_vectors, seed
        As in :func:`spillmap.estimation.effects.unit_effects` (defaults 200 and 0).
    """
    if horizon not in HORIZONS:
        raise InputError(f"horizon must be one of {', '.join(map(repr, HORIZONS))}; got {horizon!r}.")
    spec = _setup(results)[2]
    if var not in spec.names:
        raise InputError(f"{var!r} is not a regressor of the model; choose one of {', '.join(spec.names)}.")
    if horizon == "long" and not getattr(results, "dynamic", None):
        raise InputError("long-run effects need a dynamic model (dynamic='y'|'wy'|'both').")
    return unit_effects(period_view(results, period, horizon=horizon), var, n_vectors=n_vectors, seed=seed)
