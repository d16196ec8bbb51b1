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

Layout: this module checks the scale and assembles the panel (:func:`build_panel_data`); the
design from a formula or column names is in :mod:`~spillmap.estimation._design`, the id and
time keys and the cells in :mod:`~spillmap.estimation._panel_cells`, the identification checks
in :mod:`~spillmap.estimation._identification` (their names re-exported here).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError, did_you_mean, format_items, index_hint
from spillmap.geo._common import period_values
from spillmap.spatial.weights import SpatialWeights

from ._checks import _check_finite, _numbers_as_text, _text_cells, text_columns_in  # noqa: F401 (re-exported)
from ._design import _check_numeric, _formula_text_columns, _missing_columns, design  # noqa: F401 (re-exported)
from ._identification import (_DURBIN, _FIXED, _absorbed, _collinear, _scaled_norms,  # noqa: F401 (re-exported)
                              check_identification)
from ._panel_cells import _check_cells, _check_w_ids, _id_column, _time_column  # noqa: F401 (re-exported)
from ._panel_cells import key_ids, unit_positions

__all__ = ["build_panel_data", "MAX_ABS", "MIN_ABS"]

#: largest absolute value of a variable (or of its spatial lag) that the estimators accept
MAX_ABS = 1e100
#: a variable whose values are all below this in absolute value (and not all zero) is refused
MIN_ABS = 1e-100


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

    from ._panel_data import _PanelData

    _check_arguments(data, w, id, time)
    from ._timevarying import check_supported, resolve_weights

    ids_col, tcol = _id_column(data, id), _time_column(data, time)
    def cell(k: int) -> str:
        return f"({ids_col.iloc[k]}, {tcol.iloc[k]})" if time is not None else str(ids_col.iloc[k])

    yv, X, y_name = design(data, formula, y, x, cell)
    x_names = [str(c) for c in X.columns]
    raw = np.column_stack([yv.to_numpy(dtype=float), X.to_numpy(dtype=float)])
    _check_finite(raw, [y_name, *x_names], cell, data)
    check_scale(raw, [y_name, *x_names])

    key = pd.DataFrame({"id": key_ids(ids_col), "time": tcol.to_numpy()})
    if not isinstance(w, SpatialWeights):  # one W per period: every period's matrix, the same units
        check_supported(model, effects, w := resolve_weights(w, period_values(key.time)))
    times = _check_cells(key, w, id, time, data)
    notes = tuple(m for m in [warn_period_gaps(pd.Index(times).tolist(), time, stacklevel=4)] if m) if time else ()
    n, t = w.n, len(times)
    order = np.lexsort((unit_positions(key.id, w), np.searchsorted(times, key.time.to_numpy())))
    yarr, Xarr = raw[order, 0], raw[order, 1:]

    has_const = effects in ("none", "random")
    if has_const:
        Xarr, x_names = _with_constant(Xarr, x_names, X.attrs.get("no_intercept"), formula, effects)
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
        check_identification(pdata, share=True)
    return pdata


def _check_arguments(data: pd.DataFrame, w: Any, id: str, time: str | None) -> None:
    """A data frame with rows, a SpatialWeights (or one per period) and id/time columns that are in the data."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if data.empty:
        raise DataError(f"data has no rows ({data.shape[1]} column(s)); give the panel, one row per (id, time).")
    from ._timevarying import is_time_varying

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


def _with_constant(Xarr: np.ndarray, x_names: list[str], no_intercept: Any, formula: str | None,
                   effects: str) -> tuple[np.ndarray, list[str]]:
    """``[1, X]`` and ``["const", *x_names]`` (no fixed effects); refused when the formula removes the
    intercept (``no_intercept``, formulaic's flag) or a regressor is already named ``const``."""
    if no_intercept:  # formulaic's flag: the user removed the intercept
        raise InputError(f"formula {formula!r} removes the intercept ('- 1' or '+ 0'), but without fixed "
                         f"effects (fe={effects!r}) spillmap estimates a constant: drop the '- 1', or use "
                         "fixed effects.")
    if "const" in x_names:
        raise InputError("a regressor is named 'const'; rename it (spillmap adds the constant).")
    return np.column_stack([np.ones(len(Xarr)), Xarr]), ["const", *x_names]
