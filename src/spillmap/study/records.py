"""Plain, serialisable records of fitted models and frozen JSON-like data.

A :class:`FitRecord` keeps what a paper's table needs from a fitted model — estimates,
standard errors, p-values, model statistics and the direct / indirect / total effects —
at full precision and without the data or W, so that :class:`StudyResults` can be
written to JSON and read back equal.  It offers the table protocol of
:mod:`spillmap.tables` (``tidy()``: one row per term; ``glance()``: one mapping of model
statistics) so stored fits render exactly like live ones.

:func:`freeze` / :func:`thaw` turn nested dicts and lists into read-only mappings and
tuples and back (numbers as Python floats, non-finite values as ``None``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from spillmap.results import finite_or_none

__all__ = ["FitRecord", "freeze", "thaw", "num"]


def num(x: Any) -> float | None:
    """``float(x)``, or ``None`` for None / NaN / inf / non-numbers (:func:`spillmap.results.finite_or_none`)."""
    try:
        return finite_or_none(x)
    except (TypeError, ValueError):
        return None


def freeze(obj: Any) -> Any:
    """A read-only copy: mappings → ``MappingProxyType`` (string keys), sequences → tuples,
    numpy scalars → Python numbers, NaN/inf → ``None``."""
    if isinstance(obj, FitRecord):
        return obj
    if isinstance(obj, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in obj.items()})
    if isinstance(obj, list | tuple | np.ndarray):
        return tuple(freeze(v) for v in obj)
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return num(obj)
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def thaw(obj: Any) -> Any:
    """The JSON-ready inverse of :func:`freeze` (dicts and lists)."""
    if isinstance(obj, FitRecord):
        return obj.to_dict()
    if isinstance(obj, Mapping):
        return {k: thaw(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [thaw(v) for v in obj]
    return obj


_EFFECT_FIELDS = ("estimate", "se", "z", "p", "ci_lower", "ci_upper")


def _effects_dict(effects: Any) -> dict:
    """``{"direct"|"indirect"|"total": {x: {field: number}}}`` of an EffectsResult (``{}`` for None)."""
    if effects is None:
        return {}
    out = {}
    for part in ("direct", "indirect", "total"):
        frame = getattr(effects, part)
        out[part] = {str(v): {c: num(frame.loc[v, c]) for c in _EFFECT_FIELDS if c in frame.columns}
                     for v in frame.index}
    return out


@dataclass(frozen=True)
class FitRecord:
    """A fitted model as stored numbers (see the module docstring).

    Attributes
    ----------
    label
        Column header, e.g. ``"SDM, W1"``.
    model
        ``"sar"``, ``"sem"``, ``"sdm"``, ``"slx"``, ``"sdem"`` or ``"ols"`` (non-spatial).
    fe
        Fixed effects (``"none"``, ``"individual"``, ``"time"``, ``"twoways"``) or
        ``"random"`` / ``"random+time"``.
    w
        Name of the weights matrix (``None`` for non-spatial models).
    params, std_errors, pvalues
        Term → number (``None`` when not finite).
    stats
        ``loglik``, ``aic``, ``bic``, ``sigma2``, ``r2`` (with ``r2_kind``), ``nobs``
        (observations the estimator uses), ``n``, ``t``, ``nobs_data``, ``lee_yu``,
        ``cov_type`` … (``None`` for what the model does not have).
    effects
        ``{"direct"|"indirect"|"total": {x: {"estimate","se","z","p","ci_lower","ci_upper"}}}``
        or empty; ``effects_method`` says how the SEs were obtained.  For a dynamic model the
        short-run effects.
    effects_long_run
        The long-run effects of a dynamic model, in the same layout (empty otherwise).
    """

    label: str
    model: str
    fe: str
    y: str
    w: str | None
    params: Mapping[str, float | None]
    std_errors: Mapping[str, float | None]
    pvalues: Mapping[str, float | None]
    stats: Mapping[str, Any] = field(default_factory=dict)
    effects: Mapping[str, Any] = field(default_factory=dict)
    effects_method: str | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    effects_long_run: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("params", "std_errors", "pvalues", "stats", "effects", "effects_long_run"):
            object.__setattr__(self, name, freeze(dict(getattr(self, name))))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "warnings", tuple(self.warnings))

    # --------------------------------------------------------------- builders
    @classmethod
    def from_spatial(cls, res: Any, *, label: str, w: str | None, effects: Any = None,
                     nobs_data: int | None = None, long_run: Any = None) -> FitRecord:
        """From a :class:`~spillmap.estimation.SpatialPanelResults` (and its effects; the long-run
        effects of a dynamic fit)."""
        fe = res.effects
        if fe == "random" and res.extra.get("time_effects"):
            fe = "random+time"
        stats = {
            "loglik": res.loglik, "aic": res.aic, "bic": res.bic, "sigma2": res.sigma2, "r2": res.r2,
            "r2_kind": "squared correlation of y and its fitted value", "nobs": res.nobs, "n": res.n, "t": res.t,
            "nobs_data": nobs_data if nobs_data is not None else res.n * res.t, "lee_yu": res.lee_yu,
            "cov_type": res.cov_type,
        }
        if getattr(res, "dynamic", None):
            stats["dynamic"] = res.dynamic
        eff, lr = _effects_dict(effects), _effects_dict(long_run)
        return cls(label=label, model=res.model, fe=fe, y=res.y_name, w=w, effects_long_run=lr,
                   params={k: num(v) for k, v in res.params.items()},
                   std_errors={k: num(v) for k, v in res.std_errors.items()},
                   pvalues={k: num(v) for k, v in res.pvalues.items()}, stats=stats, effects=eff,
                   effects_method=None if effects is None else effects.method,
                   notes=tuple(res._notes()) if hasattr(res, "_notes") else (),
                   warnings=tuple(getattr(res, "warnings", ()) or ()))

    @classmethod
    def from_baseline(cls, res: Any, *, label: str) -> FitRecord:
        """From a non-spatial :class:`~spillmap.estimation.baseline.BaselineResult`."""
        stats = {"r2": res.r2, "r2_kind": "within", "r2_overall": res.r2_overall, "nobs": res.nobs,
                 "n": res.n_entities, "t": res.n_periods, "nobs_data": res.nobs, "cov_type": res.cov_type,
                 "df_resid": res.df_resid}
        return cls(label=label, model="ols", fe="twoways", y=res.dependent, w=None,
                   params={k: num(v) for k, v in res.params.items()},
                   std_errors={k: num(v) for k, v in res.std_errors.items()},
                   pvalues={k: num(v) for k, v in res.pvalues.items()}, stats=stats)

    # ---------------------------------------------------------------- protocol
    def tidy(self) -> pd.DataFrame:
        """One row per term: ``estimate``, ``std_error``, ``statistic``, ``p``."""
        terms = list(self.params)
        est = np.array([np.nan if self.params[t] is None else self.params[t] for t in terms], dtype=float)
        se = np.array([np.nan if self.std_errors.get(t) is None else self.std_errors[t] for t in terms], dtype=float)
        p = np.array([np.nan if self.pvalues.get(t) is None else self.pvalues[t] for t in terms], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = est / se
        return pd.DataFrame({"estimate": est, "std_error": se, "statistic": stat, "p": p},
                            index=pd.Index(terms, name="term"))

    def glance(self) -> dict:
        """Model statistics: model, fe, w, y, label and :attr:`stats`."""
        return {"label": self.label, "model": self.model, "fe": self.fe, "w": self.w, "y": self.y, **self.stats}

    def effects_frame(self, horizon: str = "short") -> pd.DataFrame:
        """Effects as rows ``(part, variable)`` × ``estimate``, ``se``, ``p``, … (empty if none);
        ``horizon="long"``: the long-run effects of a dynamic model."""
        source = self.effects_long_run if horizon == "long" else self.effects
        rows = {(part, var): dict(v) for part, by in source.items() for var, v in by.items()}
        frame = pd.DataFrame.from_dict(rows, orient="index").astype(float)
        if len(frame):
            frame.index = pd.MultiIndex.from_tuples(frame.index, names=["effect", "variable"])
        return frame

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        return {
            "label": self.label, "model": self.model, "fe": self.fe, "y": self.y, "w": self.w,
            "params": thaw(self.params), "std_errors": thaw(self.std_errors), "pvalues": thaw(self.pvalues),
            "stats": thaw(self.stats), "effects": thaw(self.effects), "effects_method": self.effects_method,
            "notes": list(self.notes), "warnings": list(self.warnings),
            **({"effects_long_run": thaw(self.effects_long_run)} if self.effects_long_run else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> FitRecord:
        return cls(**{**d, "notes": tuple(d.get("notes", ())), "warnings": tuple(d.get("warnings", ()))})
