"""Extractors (``tidy``/``glance``) of spillmap's own results types.

Registered by type so the estimation classes stay untouched:
:class:`~spillmap.estimation.results.SpatialPanelResults` (SAR/SEM/SDM/SDEM/SLX, fixed
and random effects), :class:`~spillmap.estimation.dynamic.DynamicPanelResults` (``tau``/``eta``
in the spatial block, labelled ``y(t−1)`` / ``W·y(t−1)``), :class:`~spillmap.estimation.effects.EffectsResult` (LeSage-Pace
impacts) and :class:`~spillmap.estimation.baseline.BaselineResult` (non-spatial two-way
FE).  Every number is read from the results object as it is (no re-estimation); the
p-values are the object's own (normal for ML, t for linearmodels' debiased covariance).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from spillmap.tables._extract import register

__all__ = ["spatial_tidy", "spatial_glance", "dynamic_tidy", "dynamic_glance", "effects_tidy", "effects_glance", "baseline_tidy", "baseline_glance"]

_SPATIAL = {"rho", "lambda"}


def _rows(records: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame.from_records(records, columns=["term", "kind", "variable", "estimate", "std_error", "p"])


def spatial_tidy(res: Any) -> pd.DataFrame:
    """β of each regressor, θ of each ``W_x`` (variable ``x``), ρ/λ, other variance
    parameters (``phi`` of random effects) and σ² (SE from ``cov_full``; no p-value)."""
    params, se, p = res.params, res.std_errors, res.pvalues
    wx = set(res.wx_names)
    recs = []
    for name in params.index:
        if name in _SPATIAL:
            kind, var = "spatial", name
        elif name in wx:
            kind, var = "theta", name[2:] if name.startswith("W_") else name
        elif name in res.x_names:
            kind, var = "beta", name
        else:
            kind, var = "variance", name
        recs.append((name, kind, var, float(params[name]), float(se[name]), float(p[name])))
    cov = res.cov_full
    s2_se = math.sqrt(cov.at["sigma2", "sigma2"]) if "sigma2" in cov.index and cov.at["sigma2", "sigma2"] >= 0 else np.nan
    recs.append(("sigma2", "variance", "sigma2", float(res.sigma2), s2_se, np.nan))
    return _rows(recs)


def spatial_glance(res: Any) -> dict[str, Any]:
    eff = str(res.effects)
    random = eff == "random"
    fixed = eff in ("individual", "time", "twoways")
    return {
        "model": str(res.model).upper(),
        "y": res.y_name,
        "w": getattr(res.w, "name", None) or None,
        "fixed_effects": eff,
        "unit_fe": eff in ("individual", "twoways"),
        "time_fe": eff in ("time", "twoways") or (random and bool(res.extra.get("time_effects", False))),
        "random": random,
        "lee_yu": res.lee_yu if fixed else None,
        "nobs": int(res.nobs),
        "n": int(res.n),
        "t": int(res.t),
        "loglik": float(res.loglik),
        "aic": float(res.aic),
        "bic": float(res.bic),
        "r2": float(res.r2),
        "r2_kind": "pseudo_within" if fixed else "pseudo",
        "sigma2": float(res.sigma2),
        "cov_type": res.cov_type,
        "hessian": res.extra.get("hessian") if random else None,  # RE: analytic (SAR/SDM) or numerical (SEM)
        "notice": getattr(res, "notice", "") or None,  # synthetic data: the table's first note
    }


def dynamic_tidy(res: Any) -> pd.DataFrame:
    """:func:`spatial_tidy` with ``tau`` (``y(t−1)``) and ``eta`` (``W·y(t−1)``) in the spatial block."""
    out = spatial_tidy(res)
    lags = out["term"].isin(("tau", "eta"))
    out.loc[lags, "kind"] = "spatial"
    return out


def dynamic_glance(res: Any) -> dict[str, Any]:
    return {**spatial_glance(res), "model": f"Dynamic {str(res.model).upper()}", "dynamic": res.dynamic}


def effects_tidy(eff: Any) -> pd.DataFrame:
    """Direct, indirect and total effect of each variable (estimate, se, p), with the percentile
    interval and the heavy-tailed flag of simulated effects (``ci_lower``, ``ci_upper``,
    ``heavy_tailed``)."""
    recs = []
    for kind in ("direct", "indirect", "total"):
        frame = getattr(eff, kind)
        for var, r in frame.iterrows():
            recs.append((f"{kind}:{var}", kind, str(var), float(r["estimate"]), float(r["se"]), float(r["p"]),
                         float(r.get("ci_lower", np.nan)), float(r.get("ci_upper", np.nan)),
                         bool(r.get("heavy_tailed", False))))
    return pd.DataFrame.from_records(recs, columns=["term", "kind", "variable", "estimate", "std_error", "p",
                                                   "ci_lower", "ci_upper", "heavy_tailed"])


def effects_glance(eff: Any) -> dict[str, Any]:
    return {"model": str(eff.model).upper(), "n": int(eff.n), "method": eff.method}


def baseline_tidy(res: Any) -> pd.DataFrame:
    """β of each regressor with linearmodels' clustered SE and t-based p."""
    return _rows([
        (str(n), "beta", str(n), float(res.params[n]), float(res.std_errors[n]), float(res.pvalues[n]))
        for n in res.params.index
    ])


def baseline_glance(res: Any) -> dict[str, Any]:
    return {
        "model": "OLS",
        "y": res.dependent,
        "fixed_effects": "twoways",
        "unit_fe": True,
        "time_fe": True,
        "random": False,
        "nobs": int(res.nobs),
        "n": int(res.n_entities),
        "t": int(res.n_periods),
        "r2": float(res.r2),
        "r2_kind": "within",
        "cov_type": res.cov_type,
    }


def _register_builtin() -> None:
    from spillmap.estimation.baseline import BaselineResult
    from spillmap.estimation.dynamic import DynamicPanelResults
    from spillmap.estimation.effects import EffectsResult
    from spillmap.estimation.results import SpatialPanelResults

    register(SpatialPanelResults, tidy=spatial_tidy, glance=spatial_glance)
    register(DynamicPanelResults, tidy=dynamic_tidy, glance=dynamic_glance)
    register(EffectsResult, tidy=effects_tidy, glance=effects_glance)
    register(BaselineResult, tidy=baseline_tidy, glance=baseline_glance)


_register_builtin()
