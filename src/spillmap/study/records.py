"""Plain, serialisable records of fitted models and frozen JSON-like data.

A :class:`FitRecord` keeps what a paper's table needs from a fitted model — estimates,
standard errors, p-values, model statistics and the direct / indirect / total effects —
at full precision and without the data or W, so that :class:`StudyResults` can be
written to JSON and read back equal.  It offers the table protocol of
:mod:`spillmap.tables` (``tidy()``: one row per term, β, θ of ``W_x`` (kind ``theta``,
printed ``W×x``), ρ/λ, σ² and the direct / indirect / total effects; ``glance()``: model,
W, fixed effects, Lee–Yu, N used, units, periods, log-likelihood, AIC, BIC, R² and which
R², how the effects' SEs were obtained) and is registered with
:func:`spillmap.tables.register`, so stored fits render exactly like live ones
(``regression_table([r.sdm("W1"), r.sdm("W2")])``).

:func:`freeze` / :func:`thaw` turn nested dicts and lists into read-only mappings and
tuples and back (numbers as Python floats, non-finite values as ``None``).

The conversions of the numbers themselves (:func:`num`, a live fit's effects, the table
protocol's rows and statistics) live in :mod:`spillmap.study._record_numbers`; re-exported here.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spillmap._vocab import FIXED_EFFECTS  # noqa: F401  (re-exported)
from spillmap.results import finite_or_none  # noqa: F401  (re-exported)
from spillmap.study._display import RecordDisplay
from spillmap.study._record_numbers import (  # noqa: F401  (re-exported: the numbers' conversions live there)
    _EFFECT_FIELDS,
    _SPATIAL,
    _VARIANCE,
    _effects_dict,
    _f,
    _pseudo_r2_words,
    num,
    record_glance,
    record_tidy,
    spatial_stats,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["FitRecord", "freeze", "thaw", "num", "GeoJSONText"]


class GeoJSONText(Mapping):
    """A GeoJSON document kept as its compact JSON text (immutable, compared by text).

    Behaves as a read-only mapping (parsed on first use); freezing hundreds of thousands
    of coordinates into tuples would cost a second per study for nothing.
    """

    __slots__ = ("text", "_parsed", "_frame")
    #: ``json.dumps`` options of the text (also used by :func:`~spillmap.study._steps_maps.geometry_block`)
    ENCODING = {"ensure_ascii": False, "allow_nan": False, "separators": (",", ":")}

    def __init__(self, doc: Any) -> None:
        import json

        # default=thaw: only frozen parts (read-only mappings, records) need converting; the
        # plain dicts, lists and numbers of a layer's coordinates go straight to the C encoder
        text = doc if isinstance(doc, str) else json.dumps(doc, default=thaw, **GeoJSONText.ENCODING)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "_parsed", None)
        object.__setattr__(self, "_frame", None)

    def _doc(self) -> dict:
        import json

        if self._parsed is None:
            object.__setattr__(self, "_parsed", json.loads(self.text))
        return self._parsed

    def __getitem__(self, key: str) -> Any:
        import json

        value = self._doc()[key]
        if isinstance(value, dict | list):
            # a fresh copy (the caller may change it): a new parse, about 2x faster than
            # copy.deepcopy of the cached one (0.09 against 0.17 s for the demo's 2.4 MB layer)
            return json.loads(self.text)[key]
        return value  # text, numbers, None: immutable

    def frame(self) -> gpd.GeoDataFrame:
        """The ``features`` as a GeoDataFrame (EPSG:4326, as GeoJSON is), a fresh copy of one
        built on first use: the report draws a dozen maps and figures from the same layer."""
        if self._frame is None:
            import geopandas as gpd

            object.__setattr__(self, "_frame", gpd.GeoDataFrame.from_features(self._doc()["features"], crs=4326))
        return self._frame.copy()

    def __contains__(self, key: object) -> bool:
        return key in self._doc()

    def __iter__(self):
        return iter(self._doc())

    def __len__(self) -> int:
        return len(self._doc())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GeoJSONText) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("GeoJSONText is immutable")

    def __repr__(self) -> str:
        return f"<GeoJSONText {len(self.text):,} characters>"


def freeze(obj: Any) -> Any:
    """A read-only copy: mappings → ``MappingProxyType`` (string keys), sequences → tuples,
    numpy scalars → Python numbers, NaN/inf → ``None``."""
    if isinstance(obj, FitRecord | GeoJSONText):
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
    if isinstance(obj, GeoJSONText):
        return obj._doc()
    if isinstance(obj, Mapping):
        return {k: thaw(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [thaw(v) for v in obj]
    return obj



@dataclass(frozen=True, repr=False)
class FitRecord(RecordDisplay):
    """A fitted model as stored numbers (see the module docstring).

    ``summary()``, ``to_frame()`` (:meth:`tidy` by term) and the Jupyter table show the stored
    numbers, the data notice first (:class:`~spillmap.study._display.RecordDisplay`).

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
        ``loglik``, ``aic``, ``bic``, ``sigma2`` (and ``sigma2_se``), ``r2`` (with
        ``r2_kind``), ``nobs`` (observations the estimator uses), ``n``, ``t``,
        ``nobs_data``, ``lee_yu``, ``cov_type`` (random effects: ``hessian``, how it was
        computed), ``effects_draws`` / ``effects_seed`` /
        ``effects_level`` … (``None`` for what the model does not have).
    effects
        ``{"direct"|"indirect"|"total": {x: {"estimate","se","z","p","ci_lower","ci_upper"}}}``, with
        ``"heavy_tailed": true`` for a simulated effect whose draws make se, z and p mislead
        or empty; ``effects_method`` says how the SEs were obtained.  For a dynamic model the
        short-run effects.
    effects_long_run
        The long-run effects of a dynamic model, in the same layout (empty otherwise).
    notice
        What the data are, when every output must say it (the synthetic demonstration panel's
        :data:`~spillmap.datasets.DEMO_NOTICE`; set from the study's ``notice``): a regression table
        of the record prints it as its first note.
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
    notice: str | None = None

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
        effects of a dynamic fit).

        Parameters
        ----------
        res
            The fitted spatial panel model.
        label
            Column header of the record (``"SDM, W1"``).
        w
            Name of the weights matrix.
        effects, long_run
            Its (short-run) effects and, for a dynamic fit, the long-run effects, or ``None``.
        nobs_data
            Observations in the data (the likelihood may use fewer under the Lee–Yu transformation).
        """
        fe, stats = spatial_stats(res, effects, nobs_data)
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
        """From a non-spatial :class:`~spillmap.estimation.baseline.BaselineResult`.

        Parameters
        ----------
        res
            The two-way fixed-effects regression.
        label
            Column header of the record.
        """
        stats = {"r2": res.r2, "r2_kind": "within", "r2_overall": res.r2_overall, "nobs": res.nobs,
                 "n": res.n_entities, "t": res.n_periods, "nobs_data": res.nobs, "cov_type": res.cov_type,
                 "df_resid": res.df_resid}
        return cls(label=label, model="ols", fe="twoways", y=res.dependent, w=None,
                   params={k: num(v) for k, v in res.params.items()},
                   std_errors={k: num(v) for k, v in res.std_errors.items()},
                   pvalues={k: num(v) for k, v in res.pvalues.items()}, stats=stats)

    # ---------------------------------------------------------------- protocol
    def tidy(self) -> pd.DataFrame:
        """One row per term in the layout of :data:`spillmap.tables.TIDY_COLUMNS`.

        Kinds: ``beta`` (regressors, the constant), ``theta`` (``W_x``, variable ``x``),
        ``spatial`` (ρ, λ), ``variance`` (φ of random effects; σ² with its SE when stored,
        no p-value), ``direct`` / ``indirect`` / ``total`` (the effects, term
        ``"direct:x"``).  Numbers are the stored ones (``None`` → NaN).
        """
        return record_tidy(self)

    def glance(self) -> dict[str, Any]:
        """Model statistics under the keys of :data:`spillmap.tables.GLANCE_KEYS` (``None``
        where the model has none): model, y, w, fixed effects (unit / time FE yes/no,
        random), Lee–Yu (fixed effects only), N used, units, periods, log-likelihood, AIC,
        BIC, σ², R² and ``r2_kind`` (``within``; ``pseudo_within`` / ``pseudo`` = squared
        correlation of y and its fit after the fixed-effects transformation / in levels; or
        ``ordinary``), the covariance and ``effects_method`` in words."""
        return record_glance(self)

    def long_run(self) -> FitRecord:
        """This record with the long-run effects in place of the short-run ones (a dynamic model's
        second effects column in a table)."""
        return replace(self, effects=self.effects_long_run, effects_long_run={})

    def effects_frame(self, horizon: str = "short") -> pd.DataFrame:
        """Effects as rows ``(part, variable)`` × ``estimate``, ``se``, ``p``, … (empty if none).

        Parameters
        ----------
        horizon
            ``"short"`` (the effects) or ``"long"`` (the long-run effects of a dynamic model).
        """
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
            **({"notice": self.notice} if self.notice else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> FitRecord:
        """The record of :meth:`to_dict`'s mapping (as stored in ``results.json``).

        Parameters
        ----------
        d
            The mapping; keys a record of an earlier release lacks take their defaults.
        """
        return cls(**{**d, "notes": tuple(d.get("notes", ())), "warnings": tuple(d.get("warnings", ()))})

    def __reduce__(self):
        """Pickled as :meth:`to_dict` (pickle cannot store the read-only mapping proxies); the
        unpickled record is equal, as a study's records come back from a forked process."""
        return (FitRecord.from_dict, (self.to_dict(),))


def _register() -> None:
    from spillmap.tables import register

    register(FitRecord, tidy=FitRecord.tidy, glance=FitRecord.glance)


_register()
