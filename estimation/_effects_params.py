"""The parameter vector of the effects: which entries are ``beta_k``, ``theta_k`` and
``rho``, the checks of the options and of the estimates, W's stationarity interval, the
parameter draws of the LeSage-Pace simulation and the effects from the trace moments.
Split from :mod:`.effects` (which re-exports nothing of it publicly); written by hand on
numpy for the reasons given there.

Verification (``tests/test_effects.py``, through
:func:`~spillmap.estimation.effects.effects_from_estimates`): SAR and SDM effects from exact trace
moments equal ``S_k`` formed with ``np.linalg.inv`` to 1e-10 (also with only some regressors
lagged); ``z``, ``p`` and the intervals follow from estimate and se (1e-12, 1e-10); simulated
standard errors (4,000 seeded draws) lie within 5 % of the delta-method ones and stay finite at
rho = 0.95 with draws beyond 1; rho = 1.2, an orphan ``W_x`` and missing covariances are refused.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from spillmap.errors import EstimationError, EstimationWarning, InputError, check_choice, format_items
from spillmap._warnings import outside_stacklevel
from spillmap.estimation._normal import normal_sf

from ._checks import check_draws, check_level, check_seed
from ._effects_result import ALL_MODELS, LAG_MODELS
from ._effects_traces import _is_row_stochastic
from ._frames import take_block, take_items


def _effects_from_moments(
    beta: np.ndarray, theta: np.ndarray, tr: np.ndarray, tot: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Direct, indirect, total ``(D, k)`` from parameters ``(D, k)`` and moments ``(D, 4)``."""
    direct = beta * tr[:, [0]] + theta * tr[:, [1]]
    total = beta * tot[:, [0]] + theta * tot[:, [1]]
    return direct, total - direct, total


@dataclass(frozen=True)
class _Spec:
    """Positions of beta_k, theta_k and rho in the parameter vector."""

    names: tuple[str, ...]
    beta_idx: np.ndarray
    theta_idx: np.ndarray  # -1 where the model has no W_x term
    rho_idx: int | None


def _spec_from_params(params: pd.Series, model: str) -> _Spec:
    idx = list(params.index)
    rho_name = "rho" if model in LAG_MODELS else ("lambda" if model in ("sem", "sdem") else None)
    rho_idx = None
    if rho_name is not None:
        if rho_name not in idx:
            raise EstimationError(f"a {model.upper()} result has no {rho_name!r} parameter; params are {format_items(idx)}.")
        rho_idx = idx.index(rho_name)
    special = {"rho", "lambda", "const", "sigma2"}
    names = [p for p in idx if p not in special and not str(p).startswith("W_")]
    if not names:
        raise EstimationError("the model has no regressors whose effects could be computed.")
    beta_idx = np.array([idx.index(p) for p in names], dtype=int)
    theta_idx = np.array([idx.index(f"W_{p}") if f"W_{p}" in idx else -1 for p in names], dtype=int)
    orphans = [p for p in idx if str(p).startswith("W_") and str(p)[2:] not in names]
    if orphans:
        raise EstimationError(
            f"spatially lagged regressors without their unlagged term: {format_items(orphans)}; "
            "effects need beta_k and theta_k of the same variable."
        )
    if model in ("sar", "sem") and np.any(theta_idx >= 0):
        raise EstimationError(f"a {model.upper()} model cannot have W_x terms.")
    return _Spec(tuple(names), beta_idx, theta_idx, rho_idx)


def _gather(p: np.ndarray, spec: _Spec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """beta (D,k), theta (D,k), rho (D,) from parameter vectors p (D, P)."""
    beta = p[:, spec.beta_idx]
    theta = np.where(spec.theta_idx >= 0, p[:, np.maximum(spec.theta_idx, 0)], 0.0)
    rho = p[:, spec.rho_idx] if spec.rho_idx is not None else np.zeros(p.shape[0])
    return beta, theta, rho


def _table(est: np.ndarray, se: np.ndarray, lo: np.ndarray, hi: np.ndarray, names, extra=None) -> pd.DataFrame:
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, est / se, np.nan)
    p = np.where(np.isfinite(z), 2.0 * normal_sf(np.abs(z)), np.nan)
    df = pd.DataFrame(
        {"estimate": est, "se": se, "z": z, "p": p, "ci_lower": lo, "ci_upper": hi},
        index=pd.Index(list(names), name="variable"),
    )
    if extra is not None:
        for k, v in extra.items():
            df[k] = v
    return df


#: simulated effects whose draws have a standard deviation above this multiple of their interquartile
#: scale ``(q75 - q25) / 1.349`` (equal to the sd for normal draws; 1.5 for Student's t with 3 degrees
#: of freedom) are flagged as heavy-tailed: a few draws near the edge of the stable region dominate
#: their sd, so se, z and p mislead while the percentile interval still covers (benchmarks/README.md,
#: the Monte Carlo in a persistent panel: sd 8-41 times the sampling sd, percentile coverage 96 %)
HEAVY_TAIL_RATIO = 3.0
_IQR_TO_SD = 1.3489795003921634  # 2 Phi^{-1}(0.75)


def simulated_tables(arrays, names, level: float) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Tables of simulated effects and the heavy-tailed ones.

    ``arrays``: ``(kind, array)`` pairs, each array's row 0 the effect at the estimates and the other
    rows its draws.  Each table: the point estimate, the draws' sd as ``se``, their percentile
    interval at ``level``, their mean (``sim_mean``) and ``heavy_tailed`` (the flag below: the
    tables print such an effect without stars, with its percentile interval in a note).  Flagged: ``"kind name (sd / scale = r)"``
    for every effect whose draws exceed :data:`HEAVY_TAIL_RATIO`.
    """
    a = (1 - level) / 2
    tables, heavy = {}, []
    for kind, arr in arrays:
        point, sim = arr[0], arr[1:]
        sd = sim.std(axis=0, ddof=1)
        lo, q25, q75, hi = np.quantile(sim, [a, 0.25, 0.75, 1 - a], axis=0)
        scale = (q75 - q25) / _IQR_TO_SD
        flag = (scale > 0) & (sd > HEAVY_TAIL_RATIO * scale)
        heavy += [f"{kind} {name} (sd {s / r:.1f} x the interquartile scale)"
                  for name, s, r, f in zip(names, sd, scale, flag) if f]
        tables[kind] = _table(point, sd, lo, hi, names, extra={"sim_mean": sim.mean(axis=0), "heavy_tailed": flag})
    return tables, heavy


def heavy_tail_message(heavy: list[str], what: str, w: Any = None) -> str:
    """The message naming the heavy-tailed simulated effects of ``what`` ("" when none), with ``w``'s
    name when it has one (a study fits one model per W)."""
    if not heavy:
        return ""
    name = getattr(w, "name", None)
    what = f"{what} (W {name})" if isinstance(name, str) and name else what
    listed = "; ".join(heavy[:6]) + (f"; and {len(heavy) - 6} more" if len(heavy) > 6 else "")
    return (f"{what}: heavy-tailed draws for {listed}: the estimate is near the edge of the stable region, where "
            "a few draws dominate the sd, so the se, z and p of these effects mislead; read their percentile "
            "interval (ci_lower, ci_upper).")


def warn_heavy_tails(heavy: list[str], what: str, w: Any = None) -> str:
    """One :class:`~spillmap.errors.EstimationWarning` (at the user's line) with :func:`heavy_tail_message`;
    returns the message for the result to keep ("" when nothing is flagged)."""
    msg = heavy_tail_message(heavy, what, w)
    if msg:
        warnings.warn(msg, EstimationWarning, stacklevel=outside_stacklevel())
    return msg


def _w_bounds(w: sp.csr_matrix, eigenvalues: np.ndarray | None) -> tuple[float, float]:
    if eigenvalues is not None:
        ev = eigenvalues
        real = ev.real[np.abs(ev.imag) < 1e-10] if np.iscomplexobj(ev) else ev
        lo, hi = float(real.min()), float(real.max())
        return (1.0 / lo if lo < 0 else -np.inf, 1.0 / hi if hi > 0 else np.inf)
    if _is_row_stochastic(w):  # lambda_max = 1, lambda_min >= -1
        return (-1.0, 1.0)
    r = float(min(np.abs(w).sum(axis=1).max(), np.abs(w).sum(axis=0).max()))
    return (-1.0 / r, 1.0 / r)


def _checked_inputs(params, cov, model, draws, method, traces, level, regressors, seed=0):
    """Validate the options; ``(params, cov array, spec, draws, method)``."""
    check_choice("model", model, ALL_MODELS)
    check_choice("method", method, ("simulation", "delta"))
    check_choice("traces", traces, ("auto", "exact", "stochastic"))
    check_level(level)
    check_draws(draws)
    check_seed(seed)
    if draws == 0:
        method = "delta"
    elif method == "simulation" and draws < 100:
        raise InputError(f"draws={draws} is too few for simulated standard errors; use >= 100, or 0 for the delta method.")
    if regressors is not None:
        spatial = [p for p in ("rho", "lambda") if p in params.index]
        keep = [r for r in regressors if r != "const"]
        keep += [f"W_{r}" for r in keep if f"W_{r}" in params.index] + spatial
        absent = [r for r in keep if r not in params.index]
        if absent:
            raise EstimationError(f"regressors {format_items(absent)} have no estimate in params.")
        params = take_items(params, keep)
    missing = [p for p in params.index if p not in cov.index or p not in cov.columns]
    if missing:
        raise EstimationError(f"the covariance matrix lacks the parameters {format_items(missing)}.")
    v = take_block(cov, params.index, params.index).to_numpy(dtype=float)
    if not (np.all(np.isfinite(params.to_numpy(dtype=float))) and np.all(np.isfinite(v))):
        raise EstimationError("the estimates or their covariance contain NaN/inf; effects cannot be computed.")
    return params, v, _spec_from_params(params, model), draws, method


def _draw_params(
    p_hat: np.ndarray, v: np.ndarray, draws: int, seed: int, rho_idx: int, bounds: tuple[float, float],
    accept: Any = None,
) -> np.ndarray:
    """``draws`` parameter vectors from N(p_hat, v), redrawing those with rho outside ``bounds``
    (or, when given, those for which ``accept(candidates)`` is False: e.g. outside the
    stability region of a dynamic model).

    The multivariate normal uses an eigen-decomposition factor of ``v`` (robust to
    a semi-definite covariance, e.g. a parameter fixed at zero).
    """
    vs = (v + v.T) / 2
    evals, evecs = np.linalg.eigh(vs)
    if evals.min() < -1e-8 * max(1.0, abs(evals.max())):
        raise EstimationError("the covariance matrix of the estimates is not positive semi-definite.")
    factor = evecs * np.sqrt(np.clip(evals, 0, None))
    rng = np.random.default_rng(seed)
    out = np.empty((0, p_hat.size))
    tries = 0
    while out.shape[0] < draws:
        tries += 1
        z = rng.standard_normal((draws, p_hat.size))
        cand = p_hat + z @ factor.T
        if accept is not None:
            cand = cand[accept(cand)]
        else:
            r = cand[:, rho_idx]
            cand = cand[(r > bounds[0]) & (r < bounds[1])]
        out = np.vstack([out, cand])
        if tries > 50:
            raise EstimationError(
                "fewer than 2% of the simulated parameters fall inside W's stationarity interval (or the "
                "stability region of a dynamic model); the estimate is too close to the bound for simulated "
                "effects; use method='delta'."
            )
    return out[:draws]
