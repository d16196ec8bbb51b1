"""Validation and alignment of a panel for :class:`spillmap.estimation.SpatialPanel`.

Every check happens before any estimation and raises a
:class:`~spillmap.errors.SpillmapError` naming the column, the id or the (id, time)
cell at fault.  Libraries: formulaic builds the design from a formula, pandas
aligns the panel, numpy does the checks.  Written by hand: the checks themselves,
because no library says which cell of a panel makes an ML spatial panel fail:

* text in a numeric column (the first bad cell and how many there are), a text
  column of numbers that a formula would silently turn into dummy variables;
* NaN/inf cells, duplicate cells, units that do not match W, an unbalanced panel;
* **scale**: a column (or its spatial lag ``W x``) whose values exceed
  :data:`MAX_ABS` = 1e100 in absolute value, or are all below :data:`MIN_ABS` =
  1e-100.  The likelihood works with second moments (``x'x``, ``x'Wy``): with
  ``|x| <= 1e100`` every product is at most 1e200 and a sum over up to 1e8
  observations stays below the largest double (1.8e308); with ``|x| >= 1e-100``
  squares stay above the smallest normal double (2.2e-308).  Outside those limits
  the moments overflow to inf (numpy's "overflow encountered" warnings, then a
  meaningless error such as "the residual sum of squares is zero") or underflow to 0;
* regressors without variation after the fixed effects, and perfect collinearity
  (every column of the dependency is named).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spillmap._rowplace import check_keys_filled, check_periods
from spillmap.errors import DataError, InputError, Shown, WeightsError, did_you_mean, format_items, index_hint, one_line
from spillmap.geo._common import period_values
from spillmap.spatial.weights import SpatialWeights

from ._checks import _check_finite, _numbers_as_text, _text_cells, text_columns_in  # noqa: F401 (re-exported)
from ._transform import demean

__all__ = ["build_panel_data", "MAX_ABS", "MIN_ABS"]

#: largest absolute value of a variable (or of its spatial lag) that the estimators accept
MAX_ABS = 1e100
#: a variable whose values are all below this in absolute value (and not all zero) is refused
MIN_ABS = 1e-100

_FIXED = ("individual", "time", "twoways")
_DURBIN = ("sdm", "slx", "sdem")


# ------------------------------------------------------------------ columns
def _missing_columns(data: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DataError(
            f"columns not in the data: {format_items(missing)}; available: {format_items(list(data.columns))}."
            + did_you_mean(missing[0], data.columns)
        )


def _check_numeric(data: pd.DataFrame, cols: Sequence[str], cell: Callable[[int], str]) -> None:
    problems = [p for p in (_text_cells(data, c, cell) for c in cols) if p]
    if problems:
        raise DataError("; ".join(problems) + ".")


def _formula_text_columns(data: pd.DataFrame, variables: set[str], cell: Callable[[int], str]) -> None:
    """Text columns of numbers used in a formula (formulaic would make them dummy variables)."""
    problems = []
    for col in sorted(v for v in variables if v in data.columns):
        if _numbers_as_text(data[col]):
            problems.append(_text_cells(data, col, cell))
    if problems:
        raise DataError(
            "; ".join(problems) + ". A formula would turn this text column into dummy variables "
            "(one per distinct value); write C(column) if that is what you want."
        )


def design(data: pd.DataFrame, formula: str | None, y: str | None, x: Sequence[str] | None,
           cell: Callable[[int], str]) -> tuple[pd.Series, pd.DataFrame, str]:
    """``(y, X without intercept, y_name)`` from a formula or column names."""
    if formula is not None:
        if y is not None or x is not None:
            raise InputError("give either a formula or y= and x=, not both.")
        if "~" not in formula:
            raise InputError(f"formula {formula!r} has no '~' (expected e.g. 'gtfp ~ int + ins').")
        import formulaic

        from spillmap._safe_formula import check_formula

        check_formula(formula, data.columns, where=f"formula {formula!r}")  # nothing but columns and transforms
        try:  # log(0), log(-1) give -inf / NaN: reported by (id, time) afterwards, not as NumPy's warning
            with np.errstate(divide="ignore", invalid="ignore"):
                mm = formulaic.model_matrix(formula, data, na_action="ignore")
        except Exception as exc:  # formulaic raises many types; a text column is the common cause
            text = text_columns_in(data, formula, cell)
            if text:
                raise DataError(f"formula {formula!r}: {text}.") from None
            missing = re.findall(r"`(\w+)` is not present in the dataset", str(exc))
            if missing:  # a misspelt column: name it, with the columns there are
                cols = [str(c) for c in data.columns]
                raise InputError(f"formula {formula!r}: no column {missing[0]!r} in the data; it has "
                                 f"{format_items(cols, limit=30)}.{did_you_mean(missing[0], cols)}") from None
            raise InputError(f"cannot build the model from formula {formula!r}: {one_line(exc)}") from None
        used = set(mm.lhs.model_spec.variables_by_source.get("data", ()))
        used |= set(mm.rhs.model_spec.variables_by_source.get("data", ()))
        _formula_text_columns(data, used, cell)
        lhs = pd.DataFrame(mm.lhs)
        if lhs.shape[1] != 1:
            raise InputError(f"formula {formula!r} must have exactly one dependent variable.")
        rhs = pd.DataFrame(mm.rhs)
        no_intercept = "Intercept" not in rhs.columns  # '- 1' or '+ 0' in the formula
        rhs = rhs.drop(columns=[c for c in rhs.columns if c == "Intercept"]).astype(float)
        rhs.attrs["no_intercept"] = no_intercept
        return lhs.iloc[:, 0].astype(float), rhs, str(lhs.columns[0])
    if y is None or x is None:
        raise InputError("give a formula (e.g. 'gtfp ~ int + ins') or both y= and x=.")
    x = [x] if isinstance(x, str) else list(x)
    _missing_columns(data, [y, *x])
    _check_numeric(data, [y, *x], cell)
    if len(set(x)) != len(x):
        raise InputError(f"regressors are repeated: {format_items(x)}.")
    if y in x:
        raise InputError(f"the dependent variable {y!r} is also a regressor.")
    return data[y].astype(float), data[x].astype(float), str(y)


# ---------------------------------------------------------------- id, time
def _id_column(data: pd.DataFrame, id: str) -> pd.Series:
    check_keys_filled(data, id)
    from spillmap.geo import normalise_ids

    if pd.api.types.is_string_dtype(data[id].dtype) and not isinstance(data[id].dtype, pd.CategoricalDtype):
        return data[id].astype(str).str.strip()  # vectorised; same result as normalise_ids for text
    return normalise_ids(data[id], what=f"panel column {id!r}")[0]


def _time_column(data: pd.DataFrame, time: str | None) -> pd.Series:
    if time is None:
        return pd.Series(np.zeros(len(data), dtype=int), index=data.index)
    check_keys_filled(data, None, time)
    check_periods(data, time)
    return data[time]


def _check_w_ids(key: pd.DataFrame, w: SpatialWeights, id: str) -> None:
    data_ids = pd.unique(key.id)
    w_ids = set(w.ids)
    not_in_w = [i for i in data_ids if i not in w_ids]
    dset = set(data_ids)
    not_in_data = [i for i in w.ids if i not in dset]
    if not_in_w or not_in_data:
        parts = []
        if not_in_w:
            parts.append(f"ids in column {id!r} but not in W: {format_items(not_in_w, limit=10)}")
        if not_in_data:
            parts.append(f"ids in W but not in column {id!r}: {format_items(not_in_data, limit=10)}")
        raise WeightsError(
            f"the weights {w.name or ''} do not match the panel's units; " + "; ".join(parts)
            + ".  Use w.subset(ids).row_standardize() or add the missing units."
        )


def _check_cells(key: pd.DataFrame, w: SpatialWeights, id: str, time: str | None,  # noqa: A002
                 data: pd.DataFrame) -> np.ndarray:
    """Duplicate and missing (id, time) cells (with the file lines and the file of ``data`` when it
    was read from one); returns the sorted periods."""
    from spillmap._rowplace import rows_place, source_name

    dup = key.duplicated(keep=False).to_numpy()
    if dup.any() and time is None:  # time= forgotten: the periods of a panel read as repeated units
        per = int(key.id.value_counts().max())
        raise DataError(f"time=None means a cross-section (one row per unit), but {id!r} repeats (up to {per} rows "
                        f"per unit, e.g. {key.id[dup].iloc[0]!r}): pass time= (--time) the column of the periods.")
    if dup.any():
        cells = sorted({f"({i}, {t})" for i, t in zip(key.id[dup], key.time[dup])})
        lines = rows_place(data, data.index[dup][:20])
        raise DataError(f"duplicate (id, time) rows in columns {id!r}/{time!r}: {format_items(map(Shown, cells))}"
                        f"{f' ({lines})' if lines else ''}.")
    _check_w_ids(key, w, id)
    times = np.sort(pd.unique(key.time))
    if len(key) != w.n * len(times):
        have = set(zip(key.id, key.time))
        missing = [Shown(f"({i}, {tt})") for tt in times for i in w.ids if (i, tt) not in have]
        source = source_name(data)
        raise DataError(
            f"{f'{source}: ' if source else ''}the panel is unbalanced: {len(missing)} (id, time) cells are "
            f"missing: {format_items(missing)}. "
            "Spatial panel ML needs every unit in every period; fill or drop units/periods."
        )
    return times


# -------------------------------------------------------------------- scale
def check_scale(values: np.ndarray, names: Sequence[str], what: str = "variable") -> None:
    """Refuse columns that are non-finite, above :data:`MAX_ABS` or all below :data:`MIN_ABS`.

    ``values`` is (rows x columns); ``what`` says how to call a column in the message.
    """
    if values.size == 0:
        return
    with np.errstate(all="ignore"):
        finite = np.isfinite(values)
        top = np.max(np.where(finite, np.abs(values), 0.0), axis=0)
    for j, name in enumerate(names):
        if not finite[:, j].all():
            raise DataError(
                f"the {what} {name!r} overflows to infinity; the weights or the variable are far too large "
                "(rescale the variable, e.g. use logs or thousands, or use row-standardised weights)."
            )
        if top[j] > MAX_ABS:
            raise DataError(
                f"the {what} {name!r} reaches {top[j]:.3g} in absolute value: its squares and cross-products "
                f"overflow double precision (limit {MAX_ABS:g}). Rescale it (e.g. logs, or divide by a power of ten)."
            )
        if 0 < top[j] < MIN_ABS:
            raise DataError(
                f"the {what} {name!r} is at most {top[j]:.3g} in absolute value: its squares underflow double "
                f"precision (limit {MIN_ABS:g}). Rescale it (multiply by a power of ten)."
            )


# ------------------------------------------------------------------- assembly
def _lagged(model: str, wx: Sequence[str] | str | None, x_names: list[str], Xarr: np.ndarray,
            w: SpatialWeights, t: int) -> tuple[list[str], np.ndarray]:
    """The lagged regressors' sources and ``(I_T kron W) X[:, src]``."""
    if model not in _DURBIN:
        if wx is not None:
            raise InputError(f"wx= is only for models with lagged regressors ({', '.join(_DURBIN)}), not {model!r}.")
        return [], np.zeros((len(Xarr), 0))
    base = [c for c in x_names if c != "const"]
    if wx is None:
        src = base
    else:
        src = [wx] if isinstance(wx, str) else list(wx)
        unknown = [c for c in src if c not in base]
        if unknown:
            raise InputError(f"wx names regressors that are not in the model: {format_items(unknown)}; regressors: {format_items(base)}.")
        if len(set(src)) != len(src):
            raise InputError(f"wx repeats regressors: {format_items(src)}.")
    if not src:
        raise InputError(f"model {model!r} needs at least one lagged regressor; use 'sar'/'sem' or a plain regression otherwise.")
    cols = [x_names.index(c) for c in src]
    with np.errstate(over="ignore", invalid="ignore"):
        return src, w.lag_panel(Xarr[:, cols], t)


def build_panel_data(
    data: pd.DataFrame,
    formula: str | None,
    *,
    y: str | None,
    x: Sequence[str] | None,
    id: str,
    time: str | None,
    w: SpatialWeights,
    model: str,
    effects: str,
    wx: Sequence[str] | None,
    identify: bool = True,
) -> Any:
    """Validate and align a panel; see :class:`~spillmap.estimation.SpatialPanel` for the rules.

    Returns the model's ``_PanelData`` (time-major, id-minor, ids in ``w``'s order);
    its ``warnings`` hold the :class:`~spillmap.errors.DataWarning` messages raised here;
    ``identify=False`` leaves the identification checks to the caller (the dynamic model's).
    """
    from spillmap.geo._common import warn_period_gaps

    from .model import _PanelData

    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if data.empty:
        raise DataError(f"data has no rows ({data.shape[1]} column(s)); give the panel, one row per (id, time).")
    from ._timevarying import check_supported, is_time_varying, resolve_weights

    if not isinstance(w, SpatialWeights) and not is_time_varying(w):
        raise InputError(
            f"w must be a spillmap SpatialWeights (or one per period: a mapping period -> SpatialWeights), got "
            f"{type(w).__name__}; convert a libpysal W with SpatialWeights.from_libpysal(w)."
        )
    for col, role in ((id, "id"), (time, "time")):
        if col is not None and col not in data.columns:
            raise DataError(
                f"the {role} column {col!r} is not in the data; available: {format_items(list(data.columns))}."
                + (index_hint(data, [col]) or did_you_mean(col, data.columns))
            )
    ids_col, tcol = _id_column(data, id), _time_column(data, time)
    def cell(k: int) -> str:
        return f"({ids_col.iloc[k]}, {tcol.iloc[k]})" if time is not None else str(ids_col.iloc[k])

    yv, X, y_name = design(data, formula, y, x, cell)
    x_names = [str(c) for c in X.columns]
    raw = np.column_stack([yv.to_numpy(dtype=float), X.to_numpy(dtype=float)])
    _check_finite(raw, [y_name, *x_names], cell, data)
    check_scale(raw, [y_name, *x_names])

    key = pd.DataFrame({"id": ids_col.to_numpy(), "time": tcol.to_numpy()})
    if not isinstance(w, SpatialWeights):  # one W per period: every period's matrix, the same units
        check_supported(model, effects, w := resolve_weights(w, period_values(key.time)))
    times = _check_cells(key, w, id, time, data)
    notes = tuple(m for m in [warn_period_gaps(pd.Index(times).tolist(), time, stacklevel=4)] if m) if time else ()
    n, t = w.n, len(times)
    order = np.lexsort((key.id.map(w._id_index).to_numpy(), np.searchsorted(times, key.time.to_numpy())))
    yarr, Xarr = raw[order, 0], raw[order, 1:]

    has_const = effects in ("none", "random")
    if has_const:
        if X.attrs.get("no_intercept"):  # formulaic's flag: the user removed the intercept
            raise InputError(f"formula {formula!r} removes the intercept ('- 1' or '+ 0'), but without fixed "
                             f"effects (fe={effects!r}) spillmap estimates a constant: drop the '- 1', or use "
                             "fixed effects.")
        if "const" in x_names:
            raise InputError("a regressor is named 'const'; rename it (spillmap adds the constant).")
        Xarr = np.column_stack([np.ones(len(yarr)), Xarr])
        x_names = ["const", *x_names]
    src, WX = _lagged(model, wx, x_names, Xarr, w, t)
    wx_names = [f"W_{c}" for c in src]
    with np.errstate(over="ignore", invalid="ignore"):
        Wy = w.lag_panel(yarr, t)
    check_scale(np.column_stack([Wy, WX]), [f"W_{y_name}", *wx_names], what="spatial lag")
    if t == 1 and effects in ("individual", "twoways"):
        raise InputError(
            f"a cross-section (T=1) cannot have {effects!r} fixed effects; use fe='none' (--fe none; a constant "
            "is added)."
        )
    pdata = _PanelData(
        y=yarr, X=Xarr, WX=WX, x_names=tuple(x_names), wx_names=tuple(wx_names), w=w, n=n, t=t,
        ids=tuple(w.ids), times=tuple(pd.Index(times).tolist()), y_name=y_name, effects=effects, model=model,
        Wy=Wy, wx_source=tuple(src), has_const=has_const, warnings=notes,
    )
    if identify:
        check_identification(pdata)
    return pdata


# ----------------------------------------------------------- identification
def _scaled_norms(z: np.ndarray) -> np.ndarray:
    """Euclidean column norms without overflow (columns scaled by their largest value first)."""
    top = np.max(np.abs(z), axis=0) if z.size else np.zeros(z.shape[1])
    safe = np.where(top > 0, top, 1.0)
    return np.sqrt(np.sum((z / safe) ** 2, axis=0)) * top


def _absorbed(d: Any, Z: np.ndarray, names: Sequence[str], scale: np.ndarray, dead: np.ndarray) -> None:
    dead_names = [names[j] for j in dead]
    if d.effects in ("individual", "twoways"):
        zi = demean(Z[:, dead], d.n, d.t, "individual")
        rel = _scaled_norms(zi) / scale[dead]
        tinv = [dead_names[i] for i in range(dead.size) if rel[i] < 1e-10]
        if tinv:
            raise DataError(
                f"regressors {format_items(tinv)} do not vary over time within units: they are absorbed by the "
                "individual fixed effects.  Drop them or use fe='time' or 'none' (--fe time / none)."
            )
    if d.effects == "twoways":
        zt = demean(Z[:, dead], d.n, d.t, "time")
        rel = _scaled_norms(zt) / scale[dead]
        both = [dead_names[i] for i in range(dead.size) if rel[i] >= 1e-10]
        if both:
            raise DataError(
                f"regressors {format_items(both)} are a unit part plus a period part (x_it = a_i + b_t): they are "
                "absorbed by the two-way fixed effects together.  Drop them or use one-way effects."
            )
    if d.effects in ("time", "twoways"):
        raise DataError(
            f"regressors {format_items(dead_names)} do not vary across units within periods: they are absorbed "
            "by the time fixed effects.  Drop them or use fe='individual' (--fe individual)."
        )
    raise DataError(f"regressors {format_items(dead_names)} have no variation; drop them.")


def _collinear(d: Any, zd: np.ndarray, names: Sequence[str]) -> None:
    """The first column (in model order) that is a combination of earlier ones, with all of them named."""
    zs = zd / _scaled_norms(zd)
    after = " after the fixed-effects transformation" if d.effects in _FIXED else ""
    kept: list[int] = []
    for j in range(zs.shape[1]):
        if kept:
            coef, *_ = np.linalg.lstsq(zs[:, kept], zs[:, j], rcond=None)
            r = zs[:, j] - zs[:, kept] @ coef
            if np.sqrt(r @ r) < 1e-8:
                involved = [names[kept[i]] for i in np.flatnonzero(np.abs(coef) > 1e-8)]
                if involved == ["const"]:
                    raise DataError(f"regressor {names[j]!r} is constant: it duplicates the constant term; drop it.")
                raise DataError(
                    f"regressor {names[j]!r} is perfectly collinear with {format_items(involved)}{after}; "
                    "drop one of them."
                )
        kept.append(j)


def check_identification(d: Any) -> None:
    """A dependent variable or regressors without variation after the fixed effects, and perfect collinearity."""
    yd = demean(d.y, d.n, d.t, d.effects) if d.effects in _FIXED else d.y - d.y.mean()
    if _scaled_norms(yd[:, None])[0] <= 1e-10 * max(_scaled_norms(d.y[:, None])[0], 1e-300):
        how = f"after the {d.effects} fixed effects" if d.effects in _FIXED else "at all"
        raise DataError(f"the dependent variable {d.y_name!r} has no variation {how}; there is nothing to explain.")
    Z, names = d.Z, d.z_names
    if not Z.shape[1]:
        if d.model in _DURBIN:
            raise InputError("the model has no regressors.")
        return
    zd = demean(Z, d.n, d.t, d.effects)
    scale = np.maximum(_scaled_norms(Z), 1e-300)
    dead = np.flatnonzero(_scaled_norms(zd) / scale < 1e-10)
    if dead.size:
        _absorbed(d, Z, names, scale, dead)
    _collinear(d, zd, names)
