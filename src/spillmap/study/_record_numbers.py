"""The numbers of a :class:`~spillmap.study.records.FitRecord`, in and out.

In: :func:`num` (a number as stored: a Python float, or ``None`` when missing or not finite),
the model statistics of a live spatial fit (:func:`spatial_stats`, with what its R² is in
words) and the direct / indirect / total effects of a live
:class:`~spillmap.estimation.effects.EffectsResult` as stored mappings.  Out: the record's
table protocol (:func:`record_tidy`, one row per term; :func:`record_glance`, the model
statistics), as :mod:`spillmap.tables` reads a live fit.  Nothing is estimated here: the
numbers are the stored ones.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spillmap._vocab import FIXED_EFFECTS
from spillmap.results import finite_or_none

if TYPE_CHECKING:
    from spillmap.study.records import FitRecord


def num(x: Any) -> float | None:
    """``float(x)``, or ``None`` for None / NaN / inf / non-numbers (:func:`spillmap.results.finite_or_none`)."""
    try:
        return finite_or_none(x)
    except (TypeError, ValueError):
        return None


_EFFECT_FIELDS = ("estimate", "se", "z", "p", "ci_lower", "ci_upper")
_SPATIAL = ("rho", "lambda")
_VARIANCE = ("phi",)


def _f(v: Any) -> float:
    return np.nan if v is None else float(v)


def _pseudo_r2_words(fe: str) -> str:
    """What a spatial fit's ``r2`` is, in words (``FitRecord.stats["r2_kind"]``)."""
    if fe in FIXED_EFFECTS:
        return "squared correlation of y and its fitted value after the fixed-effects transformation"
    return "squared correlation of y and its fitted value (levels)"


def _effects_dict(effects: Any) -> dict:
    """``{"direct"|"indirect"|"total": {x: {field: number}}}`` of an EffectsResult (``{}`` for None)."""
    if effects is None:
        return {}
    out = {}
    for part in ("direct", "indirect", "total"):
        frame = getattr(effects, part)
        out[part] = {str(v): {c: num(frame.loc[v, c]) for c in _EFFECT_FIELDS if c in frame.columns}
                     for v in frame.index}
        if "heavy_tailed" in frame.columns:  # kept only where set: older records have no such key
            for v in frame.index[frame["heavy_tailed"].astype(bool)]:
                out[part][str(v)]["heavy_tailed"] = True
    return out


def record_tidy(rec: FitRecord) -> pd.DataFrame:
    """The rows of :meth:`FitRecord.tidy <spillmap.study.records.FitRecord.tidy>` (see there)."""
    recs = []
    lags = ("tau", "eta") if rec.stats.get("dynamic") else ()
    for term, est in rec.params.items():
        if term in _SPATIAL or term in lags:  # a dynamic model's y(t−1), W·y(t−1) with rho
            kind, var = "spatial", term
        elif term.startswith("W_") and term[2:] in rec.params:
            kind, var = "theta", term[2:]
        elif term in _VARIANCE:
            kind, var = "variance", term
        else:
            kind, var = "beta", term
        recs.append((term, kind, var, _f(est), _f(rec.std_errors.get(term)), _f(rec.pvalues.get(term))))
    if rec.stats.get("sigma2") is not None:
        recs.append(("sigma2", "variance", "sigma2", _f(rec.stats["sigma2"]), _f(rec.stats.get("sigma2_se")),
                     np.nan))
    frame = pd.DataFrame.from_records(recs, columns=["term", "kind", "variable", "estimate", "std_error", "p"])
    effects = pd.DataFrame.from_records(
        [(f"{part}:{var}", part, var, _f(d.get("estimate")), _f(d.get("se")), _f(d.get("p")), _f(d.get("ci_lower")),
          _f(d.get("ci_upper")), bool(d.get("heavy_tailed", False)))
         for part in ("direct", "indirect", "total") for var, d in rec.effects.get(part, {}).items()],
        columns=[*frame.columns, "ci_lower", "ci_upper", "heavy_tailed"])
    return pd.concat([frame, effects], ignore_index=True) if len(effects) else frame


def record_glance(rec: FitRecord) -> dict[str, Any]:
    """The statistics of :meth:`FitRecord.glance <spillmap.study.records.FitRecord.glance>` (see there)."""
    from spillmap.tables import effects_method_words

    s, fe = rec.stats, rec.fe
    random = fe.startswith("random")
    kind = s.get("r2_kind")
    pseudo = "pseudo_within" if fe in FIXED_EFFECTS else "pseudo"  # records before 2026-12 said it in one phrase
    r2_kind = ("within" if kind == "within" else pseudo if kind and kind.startswith("squared correlation")
               else "ordinary" if kind is not None else None)
    method = None
    if rec.effects_method is not None:
        method = effects_method_words(rec.effects_method, s.get("effects_draws"), s.get("effects_seed"))
    model = ("Dynamic " if s.get("dynamic") else "") + rec.model.upper()
    return {
        "label": rec.label, "model": model, "y": rec.y, "w": rec.w,
        "fixed_effects": "random" if random else fe, "unit_fe": fe in ("individual", "twoways"),
        "time_fe": fe in ("time", "twoways", "random+time"), "random": random,
        "lee_yu": s.get("lee_yu") if fe in ("individual", "time", "twoways") else None,
        "nobs": s.get("nobs"), "n": s.get("n"), "t": s.get("t"), "loglik": s.get("loglik"), "aic": s.get("aic"),
        "bic": s.get("bic"), "sigma2": s.get("sigma2"), "r2": s.get("r2"), "r2_kind": r2_kind,
        "cov_type": s.get("cov_type"), "hessian": s.get("hessian"), "effects_method": method,
        "notice": rec.notice,
    }


def spatial_stats(res: Any, effects: Any = None, nobs_data: int | None = None) -> tuple[str, dict[str, Any]]:
    """``(fe, stats)`` of a :class:`~spillmap.estimation.SpatialPanelResults` as :meth:`FitRecord.from_spatial
    <spillmap.study.records.FitRecord.from_spatial>` stores them: its fixed effects (``"random+time"`` for
    random effects with time effects) and its model statistics (see ``FitRecord.stats``)."""
    fe = res.effects
    if fe == "random" and res.extra.get("time_effects"):
        fe = "random+time"
    from spillmap.tables import tidy as _tidy

    live = _tidy(res).set_index("term")
    stats = {
        "loglik": res.loglik, "aic": res.aic, "bic": res.bic, "sigma2": res.sigma2,
        "sigma2_se": live.at["sigma2", "std_error"] if "sigma2" in live.index else None, "r2": res.r2,
        "r2_kind": _pseudo_r2_words(fe), "nobs": res.nobs, "n": res.n, "t": res.t,
        "nobs_data": nobs_data if nobs_data is not None else res.n * res.t, "lee_yu": res.lee_yu,
        "cov_type": res.cov_type,
    }
    if fe.startswith("random") and res.extra.get("hessian"):  # analytic (SAR/SDM) or numerical (SEM)
        stats["hessian"] = res.extra["hessian"]
    if effects is not None:
        stats.update(effects_draws=effects.draws, effects_seed=effects.seed, effects_level=effects.level)
    if getattr(res, "dynamic", None):
        stats["dynamic"] = res.dynamic
    return fe, stats
