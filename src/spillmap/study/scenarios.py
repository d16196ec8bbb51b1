"""Policy scenarios in a study: ``[scenarios.NAME]`` and what ``results.json`` keeps for them.

A :class:`ScenarioSpec` is one scenario: the regressor(s) changed, the units changed and the
change (see :func:`spillmap.estimation.scenario`).  The study computes it on the SDM of each
weights matrix (:mod:`spillmap.study._steps_scenarios`) and keeps, in
``StudyResults.scenarios``::

    inputs    per W: the SDM's covariance and W itself; the regressors' data; the unit table
              (so `spillmap scenario results.json` answers a new scenario without the data)
    runs      scenario name → W → ScenarioResult.to_dict()
    explore   W → variable → the columns of S_k of the click-to-explore map

Large numeric arrays are stored as ``{"dtype", "shape", "base64"}`` (little-endian, the
bytes of the array: exact, and a tenth of the size of a JSON list); :func:`encode_array` /
:func:`decode_array` convert.
"""
from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from spillmap.study._schema import from_mapping, key, spec_error, to_mapping

if TYPE_CHECKING:
    import pandas as pd

    from spillmap.estimation.scenario import ScenarioModel

__all__ = ["ScenarioSpec", "scenarios_from", "encode_array", "decode_array", "stored_model", "stored_attributes",
           "EXAMPLE"]

_KINDS = ("absolute", "percent", "to_unit", "to_quantile")
_METHODS = ("simulation", "delta")

#: the reference example (validated by the tests)
EXAMPLE = ('[scenarios.hubei]\ntitle = "int +0.02 in every city of Hubei"\nvariable = "int"\nchange = 0.02\n'
           'kind = "absolute"\nunits = { province_en = "Hubei" }\ngroups = ["province_en", "is_key_city"]\n'
           'w = ["W1", "W2"]\ntop = 10\n\n'
           '[scenarios.laggards]\nvariable = ["int", "ins"]\nchange = [0.9, 5]\nkind = ["to_quantile", "percent"]\n'
           'within = "province_en"\nunits = ["420100", "孝感市"]\nmethod = "delta"\n')


def _tuple(v: Any) -> tuple:
    return tuple(v) if isinstance(v, list | tuple) else (v,)


def _kinds(v: Any) -> str | None:
    bad = [k for k in _tuple(v) if k not in _KINDS]
    return f"{bad[0]!r} is not one of {', '.join(map(repr, _KINDS))}." if bad else None


def _units(v: Any) -> str | None:
    if isinstance(v, str | int) and not isinstance(v, bool):
        return None
    if isinstance(v, list | tuple):
        return None if v and all(isinstance(x, str | int) and not isinstance(x, bool) for x in v) else (
            "must list unit ids or names (text), e.g. [\"420100\", \"孝感市\"].")
    if isinstance(v, Mapping):
        return None if v else "an empty table selects nothing; give { column = value } or \"all\"."
    return f"must be \"all\", ids or names, or {{ column = value }}; got {v!r}."


def _frozen_units(v: Any) -> Any:
    if isinstance(v, Mapping):
        return MappingProxyType({str(k): tuple(x) if isinstance(x, list | tuple) else x for k, x in v.items()})
    return tuple(v) if isinstance(v, list | tuple) else v


def _level(v: float) -> str | None:
    return None if 0 < v < 1 else f"must be between 0 and 1, got {v}."


def _draws(v: int) -> str | None:
    return None if v >= 100 else f"must be >= 100 (or method = \"delta\"), got {v}."


@dataclass(frozen=True, kw_only=True)
class ScenarioSpec:
    """``[scenarios.NAME]``: a policy scenario computed on the SDM of each weights matrix."""

    name: str = dataclasses.field(default="")
    variable: str | tuple[str, ...] = key("The regressor changed, or a list of them (changed together).",
                                          example="int")
    change: float | str | tuple[Any, ...] = key(
        "The change, one for all variables or one per variable: a number for kind = \"absolute\" / \"percent\" "
        "(5 = +5 %) / \"to_quantile\" (0.9 = top decile); a unit id or name (text) for kind = \"to_unit\".",
        example=0.02)
    kind: str | tuple[str, ...] = key("absolute (x + change), percent (x × (1 + change/100); for log(v) the "
                                      "change of v: log(v) + log(1 + change/100)), to_unit (x set to "
                                      "that unit's value), to_quantile (x set to that quantile of its `within` "
                                      "group); one, or one per variable.", default="absolute", check=_kinds)
    units: Any = key("The units changed: \"all\", a list of ids or names (layer.name_column), or { column = value or [values] } over "
                     "the layer and its attributes (several columns: all must match).", default="all",
                     example={"province_en": "Hubei"}, check=_units)
    groups: tuple[str, ...] = key("Columns (layer or attributes) whose groups get totals, besides the whole "
                                  "region and the changed units (default: layer.group_column).", default=(),
                                  example=("province_en", "is_key_city"))
    within: str | None = key("Column defining the reference group of kind = \"to_quantile\" (default: all units).",
                             default=None, example="province_en")
    period: Any = key("Period whose data give the base values (default: the last).", default=None, example=2019)
    w: tuple[str, ...] = key("Weights matrices whose SDM answers (default: all).", default=(), example=("W1",))
    method: str = key("Intervals by simulation (the effects' parameter draws) or the delta method.",
                      default="simulation", choices=_METHODS)
    draws: int | None = key("Parameter draws of the intervals (default: model.draws).", default=None, check=_draws)
    level: float = key("Confidence level of the intervals.", default=0.95, check=_level)
    top: int = key("Units listed in the table of the largest spillovers received (by units not changed) "
                   "and drawn in the figure.", default=10,
                   check=lambda v: None if v >= 1 else f"must be >= 1, got {v}.")
    title: str | None = key("A title for the report (default: the change in words).", default=None)

    def __post_init__(self) -> None:
        for field in ("variable", "change", "kind"):
            object.__setattr__(self, field, _tuple(getattr(self, field)))
        object.__setattr__(self, "units", _frozen_units(self.units))
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "w", tuple(self.w))

    @classmethod
    def from_dict(cls, name: str, raw: Any, *, source: str = "") -> ScenarioSpec:
        spec = from_mapping(cls, raw, source=source, prefix=f"scenarios.{name}.", extra={"name": name})
        n = len(spec.variable)
        for field in ("change", "kind"):
            if len(getattr(spec, field)) not in (1, n):
                raise spec_error(source, f"scenarios.{name}.{field}",
                                 f"has {len(getattr(spec, field))} values for {n} variables; give one, or one per "
                                 "variable.")
        from spillmap.estimation._scenario_input import change_problem  # a mistyped change: before any work

        for i, v in enumerate(spec.variable):
            kind, change = spec.kind[i % len(spec.kind)], spec.change[i % len(spec.change)]
            msg = change_problem(kind, change)
            if msg:
                raise spec_error(source, f"scenarios.{name}.change", f"{msg} (variable {v!r}); got {change!r}.")
        return spec

    def to_dict(self) -> dict:
        """The TOML table (``from_dict(name, s.to_dict()) == s``)."""
        out = to_mapping(self, skip_defaults=True)
        for field in ("variable", "change", "kind"):
            v = getattr(self, field)
            out[field] = v[0] if len(v) == 1 else list(v)
        return out


def scenarios_from(raw: Any, source: str) -> tuple[ScenarioSpec, ...]:
    """All ``[scenarios.NAME]`` tables (``None`` → none)."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise spec_error(source, "scenarios", "must be tables [scenarios.NAME], e.g. [scenarios.hubei].")
    return tuple(ScenarioSpec.from_dict(str(n), s, source=source) for n, s in raw.items())


def check_scenarios(study: Any) -> None:
    """Rules between keys: variables among model.x, weights names that exist."""
    from spillmap.errors import InputError
    from spillmap.study._names import safe_names

    src = study.source
    wnames = [w.name for w in study.weights]
    try:  # scenario names become file names: two that slug alike would overwrite each other
        safe_names({s.name: f"scenarios.{s.name}" for s in study.scenarios})
    except InputError as exc:
        raise spec_error(src, "scenarios", str(exc)) from None
    for s in study.scenarios:
        for v in s.variable:
            if v not in study.model.x:
                raise spec_error(src, f"scenarios.{s.name}.variable", f"{v!r} is not among model.x = "
                                                                        f"{list(study.model.x)}.")
        for w in s.w:
            if w not in wnames:
                raise spec_error(src, f"scenarios.{s.name}.w", f"{w!r} is not one of the weights "
                                                               f"{', '.join(map(repr, wnames))}.")
        _check_unused(src, s)


def _check_unused(src: str | None, s: Any) -> None:
    """Keys that would do nothing (the command line refuses the same flags): within without a
    to_quantile change, draws with the delta method."""
    kinds = s.kind if isinstance(s.kind, tuple) else (s.kind,)
    if s.within is not None and "to_quantile" not in kinds:
        raise spec_error(src, f"scenarios.{s.name}.within", "is the reference group of kind = \"to_quantile\", "
                                                            f"and kind is {s.kind!r}: leave it out.")
    if s.method == "delta" and s.draws is not None:
        raise spec_error(src, f"scenarios.{s.name}.draws", "draws are for method = \"simulation\", and method is "
                                                           "\"delta\": leave one of them out.")


# ------------------------------------------------------------- stored arrays
def encode_array(a: np.ndarray) -> dict:
    """``{"dtype", "shape", "base64"}`` of ``a`` (little-endian float64, or int32 / int64; exact)."""
    a = np.asarray(a)
    small = a.dtype.kind in "iu" and (a.size == 0 or (a.min() >= -2**31 and a.max() < 2**31))
    dtype = "<f8" if a.dtype.kind == "f" else ("<i4" if small else "<i8") if a.dtype.kind in "iu" else None
    if dtype is None:
        raise TypeError(f"cannot store an array of {a.dtype}")
    data = np.ascontiguousarray(a, dtype=dtype)
    return {"dtype": dtype, "shape": list(data.shape), "base64": base64.b64encode(data.tobytes()).decode("ascii")}


def decode_array(doc: Mapping) -> np.ndarray:
    """Inverse of :func:`encode_array`."""
    raw = base64.b64decode(doc["base64"])
    return np.frombuffer(raw, dtype=doc["dtype"]).reshape([int(s) for s in doc["shape"]]).copy()


def stored_attributes(results: Any) -> pd.DataFrame:
    """The unit table of a study's ``results.json`` (index: id) for units / groups / names."""
    import pandas as pd

    inp = results.scenarios.get("inputs") or {}
    return pd.DataFrame({c: list(v) for c, v in inp.get("attributes", {}).items()},
                        index=pd.Index(list(inp.get("ids", ())), name="id"))


def stored_model(results: Any, w: str) -> ScenarioModel:
    """The :class:`~spillmap.estimation.ScenarioModel` of the SDM of weights ``w``, rebuilt from a
    :class:`~spillmap.study.StudyResults` (equal to the live fit's: the numbers are stored exactly)."""
    import pandas as pd
    import scipy.sparse as sp

    from spillmap.errors import InputError
    from spillmap.estimation.scenario import ScenarioModel
    from spillmap.spatial.weights import SpatialWeights

    inp = results.scenarios.get("inputs") or {}
    models = inp.get("models", {})
    if w not in models:
        have = ", ".join(models) or "none"
        raise InputError(f"the results hold no scenario inputs for weights {w!r} (available: {have}): its SDM "
                         "was not estimated when the study ran (see the report's Not available), or the results "
                         "were written by an older spillmap (run the study again).")
    m = models[w]
    fit = results.fits[m["fit"]]
    ids = list(inp["ids"])
    mat = sp.csr_matrix((decode_array(m["w"]["data"]), decode_array(m["w"]["indices"]),
                         decode_array(m["w"]["indptr"])), shape=(len(ids), len(ids)))
    weights = SpatialWeights(mat, tuple(ids), transform=m["w"]["transform"], name=w)
    names = list(m["cov"]["names"])
    cov = pd.DataFrame(np.array(m["cov"]["matrix"], dtype=float), index=names, columns=names)
    params = pd.Series({k: np.nan if v is None else v for k, v in fit.params.items()}, dtype=float)
    periods = list(inp["periods"])
    x_names = list(inp["x_names"])
    values = decode_array(inp["values"]).reshape(len(periods) * len(ids), len(x_names))
    index = pd.MultiIndex.from_product([periods, ids], names=["period", "id"])
    return ScenarioModel(model="sdm", params=params, cov=cov, w=weights, x_names=tuple(x_names),
                         values=pd.DataFrame(values, index=index, columns=x_names), y_name=fit.y,
                         label=fit.label)
