"""Inputs of a policy scenario: the model it runs on, the units it changes, the change and the groups.

:class:`ScenarioModel` is what a scenario needs from a fitted model — estimates, their
covariance, W and the regressors' data — built from a live fit
(:meth:`ScenarioModel.from_fit`) or from stored numbers (a study's ``results.json``).
The other functions turn a user's words ("every city of Hubei", "+5 %", "to Wuhan's
level", "to the province's top decile") into the change vector ``Δx`` and say clearly
what is wrong with a request (unknown cities with the closest matches, a variable not in
the model, a change outside the data's range).  No statistics here.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from spillmap.errors import DataWarning, InputError, format_items

from ._unit_names import _attributes, _by_name, _closest, _name_column

__all__ = ["ScenarioModel", "KINDS", "select_units", "group_labels", "change_vector", "check_range"]

#: kinds of change: absolute Δ, percent of the current value, the value of one unit, a quantile
KINDS = ("absolute", "percent", "to_unit", "to_quantile")
_SPECIAL = ("rho", "lambda", "const")


@dataclass(frozen=True, eq=False)
class ScenarioModel:
    """A fitted spatial model as a scenario needs it.

    Attributes
    ----------
    model
        ``"sdm"``, ``"sar"``, ``"slx"``, ``"sdem"`` or ``"sem"`` (any case: stored in lower case).
    params, cov
        Estimates (regressors, ``W_<x>``, ``rho``/``lambda``) and their covariance.
    w
        The :class:`~spillmap.spatial.SpatialWeights` the model was fitted with; its ids
        order every per-unit result.
    x_names
        The regressors (no ``const``).
    values
        The regressors' data: rows ``(period, id)``, one column per regressor (``None``
        when unknown: then only ``absolute`` changes work and no range is checked).
    y_name, label
        Dependent variable and a label (e.g. ``"SDM, W1"``).
    dynamic
        ``"y"``, ``"wy"``, ``"both"`` for a dynamic fit (``params`` then hold ``tau``/``eta``), else None.
    """

    model: str
    params: pd.Series
    cov: pd.DataFrame
    w: Any
    x_names: tuple[str, ...]
    values: pd.DataFrame | None = None
    y_name: str = "y"
    label: str = ""
    dynamic: str | None = None

    def __post_init__(self) -> None:
        from spillmap.estimation._checks import model_name
        from spillmap.estimation._effects_result import ALL_MODELS

        object.__setattr__(self, "model", model_name(self.model, ALL_MODELS))  # "SDM" as summaries print it

    @classmethod
    def from_fit(cls, fit: Any, *, label: str = "") -> ScenarioModel:
        """From a :class:`~spillmap.estimation.SpatialPanelResults` (its ``data`` gives the values).

        Parameters
        ----------
        fit
            A fitted model (a ``ScenarioModel`` is returned as it is).
        label
            A label for the model (default ``""``).
        """
        if isinstance(fit, ScenarioModel):
            return fit
        d = getattr(fit, "data", None)
        values = None
        if d is not None and getattr(d, "X", None) is not None:
            index = pd.MultiIndex.from_product([list(d.times), [str(i) for i in d.ids]], names=["period", "id"])
            values = pd.DataFrame(np.asarray(d.X, dtype=float), index=index, columns=list(d.x_names))
        x = tuple(str(v) for v in getattr(fit, "x_names", ()) if v != "const")
        return cls(model=str(fit.model).lower(), params=fit.params, cov=fit.cov, w=fit.w, x_names=x,
                   values=values, y_name=str(getattr(fit, "y_name", "y")), label=label,
                   dynamic=getattr(fit, "dynamic", None))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(str(i) for i in self.w.ids)

    @property
    def periods(self) -> tuple:
        return () if self.values is None else tuple(self.values.index.get_level_values(0).unique())


# ------------------------------------------------------------------ units
def select_units(units: Any, ids: Sequence[str], attributes: pd.DataFrame | None = None,
                 names: str | None = None) -> np.ndarray:
    """A boolean mask over ``ids`` of the units a scenario changes.

    ``units`` is ``"all"``; an id or name; a list of ids or names; or a mapping
    ``{column: value or [values]}`` of ``attributes`` columns (several columns: all must
    match).  Values are compared as text (``1`` matches ``"1"``).
    """
    ids = [str(i) for i in ids]
    attrs = _attributes(attributes, ids)
    name_col = _name_column(attrs, names)
    mask = np.zeros(len(ids), dtype=bool)
    if isinstance(units, str) and units == "all":
        mask[:] = True
    elif isinstance(units, Mapping):
        if not units:
            raise InputError("units: an empty table selects nothing; give {column: value} or 'all'.")
        mask[:] = True
        for col, want in units.items():
            mask &= _column_match(attrs, str(col), want)
    elif isinstance(units, str | int):
        mask[_by_name([units], ids, name_col, attrs)] = True
    elif isinstance(units, Sequence | pd.Index | np.ndarray | pd.Series):
        if len(units) == 0:
            raise InputError("units: the list is empty; give ids, names, {column: value} or 'all'.")
        mask[_by_name(list(units), ids, name_col, attrs)] = True
    else:
        raise InputError(f"units must be 'all', ids/names, or {{column: value}}; got {type(units).__name__}.")
    return mask


def _column_match(attrs: pd.DataFrame, col: str, want: Any) -> np.ndarray:
    if col not in attrs.columns:
        raise InputError(f"units: column {col!r} not in the attributes{_closest(col, list(map(str, attrs.columns)))}; "
                         f"available: {format_items(list(map(str, attrs.columns)))}.")
    wanted = [str(v) for v in (want if isinstance(want, list | tuple | set) else [want])]
    have = attrs[col].map(_text)
    present = set(have.dropna())
    unknown = [v for v in wanted if v not in present]
    if unknown:
        hints = "; ".join(f"{u!r}{_closest(u, sorted(present))}" for u in unknown)
        raise InputError(f"units: no unit has {col} = {hints}.")
    return have.isin(wanted).to_numpy()


def _text(v: Any) -> str | None:
    """A cell as text: ``1.0`` → ``"1"``, missing → ``None``."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def group_labels(groups: Any, ids: Sequence[str], attributes: pd.DataFrame | None = None) -> dict[str, pd.Series]:
    """``{grouping name: group label per unit}`` (aligned to ``ids``; missing → ``"(none)"``).

    ``groups`` is a column name or a list of them (of ``attributes``), a mapping
    ``{id: label}`` or a :class:`pandas.Series` indexed by id (one grouping).
    """
    ids = [str(i) for i in ids]
    if groups is None or (isinstance(groups, Sequence) and not isinstance(groups, str) and len(groups) == 0):
        return {}
    if isinstance(groups, pd.Series | Mapping):
        s = pd.Series(groups) if isinstance(groups, Mapping) else groups.copy()
        s.index = s.index.astype(str)
        name = str(s.name) if isinstance(groups, pd.Series) and s.name is not None else "group"
        return {name: s.reindex(ids).map(_text).fillna("(none)")}
    cols = [groups] if isinstance(groups, str) else list(groups)
    attrs = _attributes(attributes, ids)
    missing = [c for c in cols if c not in attrs.columns]
    if missing:
        raise InputError(f"groups: column(s) {format_items(missing)} not in the attributes"
                         f"{_closest(missing[0], list(map(str, attrs.columns)))}; available: "
                         f"{format_items(list(map(str, attrs.columns)))}.")
    return {c: attrs[c].map(_text).fillna("(none)") for c in cols}


# ----------------------------------------------------------------- changes
def check_variable(source: ScenarioModel, variable: str) -> None:
    """``variable`` must be a regressor of the model (not ``W_x``, ``rho``, ``const``)."""
    if variable not in source.x_names:
        hint = _closest(variable, source.x_names)
        why = (" (it is a spatial lag: shock the variable itself)" if str(variable).startswith("W_")
               else " (not a regressor)" if variable in _SPECIAL or variable == source.y_name else "")
        raise InputError(f"variable {variable!r} is not a regressor of the {source.model.upper()}{why}{hint}; "
                         f"choose one of {format_items(source.x_names)}.")


def _cross_section(source: ScenarioModel, variable: str, period: Any, kind: str) -> np.ndarray:
    if source.values is None:
        raise InputError(f"a {kind!r} change needs the data of {variable!r}; this model carries none "
                         "(use kind='absolute', or a fit made by SpatialPanel).")
    return source.values.xs(period, level=0)[variable].reindex(list(source.ids)).to_numpy(dtype=float)


def change_problem(kind: str, change: Any) -> str | None:
    """What is wrong with ``change`` for a change of this ``kind`` (None: nothing).  Used by
    :func:`change_vector` and, before any data is read, by the study's ``[scenarios.NAME]``."""
    number = isinstance(change, int | float | np.number) and not isinstance(change, bool)
    if kind in ("absolute", "percent"):
        return None if number and np.isfinite(change) else f"must be a finite number for kind = {kind!r}"
    if kind == "to_quantile":
        return None if number and 0 <= change <= 1 else ("must be a quantile between 0 and 1 for kind = "
                                                          "'to_quantile' (0.9 = top decile)")
    if kind == "to_unit":
        return None if (isinstance(change, str) and change.strip()) or (number and float(change).is_integer()) else (
            "must be a unit id or name for kind = 'to_unit'")
    return None  # an unknown kind is reported where the kind is checked


#: a regressor named as the model names a logarithm: ``log(x)``, ``np.log(x)``, ``log10(x)``, ``log2(x)``
_LOG = re.compile(r"^(?:np\.|numpy\.)?log(10|2)?\((.+)\)$")


def log_argument(variable: str) -> tuple[str, float] | None:
    """``(x, base)`` when ``variable`` is the logarithm of ``x`` (``"log(pcap)"`` -> ``("pcap", e)``), else None."""
    m = _LOG.match(variable.strip())
    if m is None:
        return None
    return m.group(2).strip(), {"10": 10.0, "2": 2.0}.get(m.group(1) or "", float(np.e))


def _percent(source: ScenarioModel, variable: str, change: float, mask: np.ndarray, period: Any,
             dx: np.ndarray) -> str:
    """Fill ``dx`` for a ``percent`` change and describe it.  A logarithm ``log(x)`` changes by
    ``log(1 + change/100)``, the change of ``x`` by ``change`` percent (not ``change`` percent of
    the log's value, which would be meaningless)."""
    logged = log_argument(variable)
    if logged is None:
        x = _cross_section(source, variable, period, "percent")
        dx[mask] = x[mask] * change / 100.0
        return f"{variable} {change:+g} %"
    inner, base = logged
    if change <= -100:
        raise InputError(f"change of {variable!r}: {change:g} % makes {inner} zero or negative, where its log is "
                         "undefined; give a change above -100.")
    step = float(np.log1p(change / 100.0) / np.log(base))
    dx[mask] = step
    return f"{inner} {change:+g} % ({variable} {step:+.4g})"


def change_vector(source: ScenarioModel, variable: str, kind: str, change: Any, mask: np.ndarray, *,
                  period: Any, attributes: pd.DataFrame | None = None, names: str | None = None,
                  within: str | None = None) -> tuple[np.ndarray, str]:
    """``(Δx over the model's units, a description)`` of one variable's change.

    * ``absolute``: ``Δx_i = change``;
    * ``percent``: ``Δx_i = x_i change / 100`` (``change = 5`` is +5 %); for a logarithm
      ``log(v)`` the change of ``v`` by ``change`` percent, ``Δx_i = log(1 + change / 100)``;
    * ``to_unit``: ``x_i`` set to the value of the unit ``change`` (id or name);
    * ``to_quantile``: ``x_i`` set to the ``change`` quantile (0–1) of the variable over
      the units of its own ``within`` group (default: all units) — units above it are
      lowered to it.

    Values are those of ``period``; only the units in ``mask`` change.
    """
    if kind not in KINDS:
        raise InputError(f"kind must be one of {', '.join(map(repr, KINDS))}; got {kind!r}.")
    ids = list(source.ids)
    dx = np.zeros(len(ids))
    if kind in ("absolute", "percent"):
        if change_problem(kind, change):
            raise InputError(f"change of {variable!r} {change_problem(kind, change)}; got {change!r}.")
        if kind == "absolute":
            dx[mask] = float(change)
            return dx, f"{variable} {float(change):+g}"
        return dx, _percent(source, variable, float(change), mask, period, dx)
    x = _cross_section(source, variable, period, kind)
    if kind == "to_unit":
        attrs = _attributes(attributes, ids)
        if isinstance(change, float) and change.is_integer():  # an id written as a number (TOML 420100)
            change = str(int(change))
        j = _by_name([change], ids, attrs[names] if names is not None and names in attrs.columns else None)[0]
        dx[mask] = x[j] - x[mask]
        return dx, f"{variable} set to the value of {ids[j]} ({x[j]:.6g}, {period})"
    q = change
    if change_problem(kind, q):
        raise InputError(f"change of {variable!r} {change_problem(kind, q)}; got {change!r}.")
    if within is None:
        target = np.full(len(ids), np.nanquantile(x, q))
    else:
        lab = group_labels(within, ids, attributes)[within].to_numpy()
        target = np.array([np.nanquantile(x[lab == g], q) for g in lab])
    dx[mask] = target[mask] - x[mask]
    where = f" of its {within} group" if within else ""
    return dx, f"{variable} set to the {q:g} quantile{where} ({period})"


def check_range(source: ScenarioModel, variable: str, dx: np.ndarray, mask: np.ndarray, *, period: Any,
                names: pd.Series | None = None, stacklevel: int = 3) -> str | None:
    """Warn (:class:`~spillmap.errors.DataWarning`) when ``x + Δx`` leaves the range seen in the data.

    The range is over every unit and period of the model's data; the message says how
    many shocked units leave it, by how much at most, and where.  Returns the message.
    """
    if source.values is None or not mask.any():
        return None
    col = source.values[variable].to_numpy(dtype=float)
    lo, hi = float(np.nanmin(col)), float(np.nanmax(col))
    new = _cross_section(source, variable, period, "range")[mask] + dx[mask]
    above, below = new - hi, lo - new
    parts = []
    ids = np.array(source.ids)[mask]
    for side, excess, bound in (("above the largest", above, hi), ("below the smallest", below, lo)):
        out = excess > 1e-12 * max(1.0, abs(bound))
        if out.any():
            k = int(np.argmax(np.where(out, excess, -np.inf)))
            who = ids[k] if names is None else f"{names.get(ids[k], ids[k])} ({ids[k]})"
            parts.append(f"{int(out.sum())} of {int(mask.sum())} shocked units {side} value in the data "
                         f"({bound:.6g}), by up to {excess[k]:.4g} ({who})")
    if not parts:
        return None
    msg = (f"scenario: the change of {variable!r} pushes {'; '.join(parts)}; the model's answer there is an "
           "extrapolation outside the data it was fitted on.")
    warnings.warn(msg, DataWarning, stacklevel=stacklevel)
    return msg
