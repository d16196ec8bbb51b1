"""Spatial panel models with fixed effects by maximum likelihood.

:class:`SpatialPanel` specifies a SAR, SEM, SDM, SLX or SDEM model on a balanced
panel (or a cross-section) and :meth:`SpatialPanel.fit` estimates it.

Libraries: formulaic parses formulas; pandas aligns and validates the panel;
numpy/scipy do the numerics.  The likelihood, its concentration, the Lee-Yu
options and the information matrices are written by hand in
:mod:`spillmap.estimation._ml`, :mod:`._transform` and :mod:`._logdet` because no
Python library implements two-way fixed-effects spatial panels by ML
(spreg's ``Panel_FE_Lag``/``Panel_FE_Error`` have individual effects only and
neither Lee-Yu option).

References: Elhorst J.P. (2014) *Spatial Econometrics: From Cross-Sectional Data
to Spatial Panels*, ch. 3; Lee L.-F. & Yu J. (2010) J. Econometrics 154:165-185;
Anselin L. (1988) *Spatial Econometrics: Methods and Models*, ch. 6.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError, WeightsError, format_items
from spillmap.spatial.weights import SpatialWeights

from . import _ml
from ._transform import demean
from .results import SpatialPanelResults

__all__ = ["SpatialPanel", "ModelType", "EffectsType", "LeeYuType", "CovType"]

ModelType = Literal["sar", "sem", "sdm", "slx", "sdem"]
EffectsType = Literal["none", "individual", "time", "twoways", "random"]
LeeYuType = Literal["none", "transformation", "bias-correction"]
CovType = Literal["information", "hessian"]

MODELS: tuple[str, ...] = ("sar", "sem", "sdm", "slx", "sdem")
EFFECTS: tuple[str, ...] = ("none", "individual", "time", "twoways", "random")
LEE_YU: tuple[str, ...] = ("none", "transformation", "bias-correction")
COV_TYPES: tuple[str, ...] = ("information", "hessian")
FIXED_EFFECTS: tuple[str, ...] = ("individual", "time", "twoways")

#: model -> kind of likelihood ("lag", "error", "none")
KIND = {"sar": "lag", "sdm": "lag", "sem": "error", "sdem": "error", "slx": "none"}
#: models with spatially lagged regressors
DURBIN = ("sdm", "slx", "sdem")
#: name of the spatial parameter
SPATIAL_PARAM = {"sar": "rho", "sdm": "rho", "sem": "lambda", "sdem": "lambda"}


def _check_option(name: str, value: object, choices: Sequence[str]) -> str:
    """The one validator of string options: raises :class:`InputError` listing the choices."""
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}.")
    return str(value)


# --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _PanelData:
    """The validated panel in estimation order (time-major, id-minor, ids in ``w``'s order).

    Attributes
    ----------
    y
        Dependent variable, raw (N*T,).
    X
        Regressors, raw (N*T, k), including ``const`` when effects are none/random.
    WX
        Spatially lagged regressors ``(I_T kron W) X[:, wx]`` (N*T, q), formed on the raw data.
    Wy
        ``(I_T kron W) y`` on the raw data.
    x_names, wx_names
        Column names of ``X`` and ``WX`` (``W_<x>``); ``wx_source`` names the lagged ``x``.
    """

    y: np.ndarray
    X: np.ndarray
    WX: np.ndarray
    x_names: tuple[str, ...]
    wx_names: tuple[str, ...]
    w: SpatialWeights
    n: int
    t: int
    ids: tuple[str, ...]
    times: tuple[Any, ...]
    y_name: str
    effects: str
    model: str
    Wy: np.ndarray
    wx_source: tuple[str, ...] = ()
    has_const: bool = False

    @property
    def kind(self) -> str:
        """``"lag"``, ``"error"`` or ``"none"``."""
        return KIND[self.model]

    @property
    def Z(self) -> np.ndarray:
        """``[X, WX]`` (N*T, k + q)."""
        return np.column_stack([self.X, self.WX]) if self.WX.shape[1] else self.X

    @property
    def z_names(self) -> tuple[str, ...]:
        return self.x_names + self.wx_names

    @property
    def param_names(self) -> tuple[str, ...]:
        """Names of ``params``: regressors, ``W_<x>``, then the spatial parameter."""
        sp_name = SPATIAL_PARAM.get(self.model)
        return self.z_names + ((sp_name,) if sp_name else ())

    def demean(self, x: np.ndarray) -> np.ndarray:
        """The fixed-effects (within) transformation of a panel vector/array."""
        return demean(x, self.n, self.t, self.effects)

    @functools.cached_property
    def transformed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(Q y, Q W y, Q Z, Q W Z)``; spatial lags are taken on the raw data first."""
        Z = self.Z
        yd = self.demean(self.y)
        wyd = self.demean(self.Wy)
        zd = self.demean(Z)
        if self.kind == "error":
            wzd = self.demean(self.w.lag_panel(Z, self.t))
        else:
            wzd = np.zeros((Z.shape[0], 0))
        return yd, wyd, zd, wzd


# ------------------------------------------------------------- data building
def _cells(df: pd.DataFrame, id_col: str, time_col: str | None, mask: np.ndarray) -> list[str]:
    sub = df.loc[mask]
    if time_col is None:
        return [f"{i}" for i in sub[id_col].astype(str)]
    return [f"({i}, {t})" for i, t in zip(sub[id_col].astype(str), sub[time_col])]


def _design(data: pd.DataFrame, formula: str | None, y: str | None, x: Sequence[str] | None
            ) -> tuple[pd.Series, pd.DataFrame, str]:
    """``(y, X without intercept, y_name)`` from a formula or column names."""
    if formula is not None:
        if y is not None or x is not None:
            raise InputError("give either a formula or y= and x=, not both.")
        if "~" not in formula:
            raise InputError(f"formula {formula!r} has no '~' (expected e.g. 'gtfp ~ int + ins').")
        import formulaic

        try:
            mm = formulaic.model_matrix(formula, data, na_action="ignore")
        except Exception as exc:  # formulaic raises many types
            raise InputError(f"cannot build the model from formula {formula!r}: {exc}") from None
        lhs = pd.DataFrame(mm.lhs)
        if lhs.shape[1] != 1:
            raise InputError(f"formula {formula!r} must have exactly one dependent variable.")
        rhs = pd.DataFrame(mm.rhs)
        rhs = rhs.drop(columns=[c for c in rhs.columns if c == "Intercept"])
        yname = str(lhs.columns[0])
        return lhs.iloc[:, 0].astype(float), rhs.astype(float), yname
    if y is None or x is None:
        raise InputError("give a formula (e.g. 'gtfp ~ int + ins') or both y= and x=.")
    if isinstance(x, str):
        x = [x]
    cols = [y, *x]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DataError(f"columns not in the data: {format_items(missing)}; available: {format_items(list(data.columns))}.")
    bad = [c for c in cols if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise DataError(f"columns {format_items(bad)} are not numeric; convert them first.")
    if len(set(x)) != len(x):
        raise InputError(f"regressors are repeated: {format_items(x)}.")
    if y in x:
        raise InputError(f"the dependent variable {y!r} is also a regressor.")
    return data[y].astype(float), data[list(x)].astype(float), str(y)


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
) -> _PanelData:
    """Validate and align a panel; see :class:`SpatialPanel` for the rules."""
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    if not isinstance(w, SpatialWeights):
        raise InputError(
            f"w must be a spillmap SpatialWeights, got {type(w).__name__}; "
            "convert a libpysal W with SpatialWeights.from_libpysal(w)."
        )
    for col, role in ((id, "id"), (time, "time")):
        if col is not None and col not in data.columns:
            raise DataError(f"the {role} column {col!r} is not in the data; available: {format_items(list(data.columns))}.")
    yv, X, y_name = _design(data, formula, y, x)
    x_names = [str(c) for c in X.columns]

    if data[id].isna().any():
        raise DataError(f"the id column {id!r} has missing values in rows {format_items(list(np.flatnonzero(data[id].isna())))}.")
    from spillmap.geo import normalise_ids

    if pd.api.types.is_string_dtype(data[id].dtype) and not isinstance(data[id].dtype, pd.CategoricalDtype):
        ids_col = data[id].astype(str).str.strip()  # vectorised; same result as normalise_ids for text
    else:
        ids_col = normalise_ids(data[id], what=f"panel column {id!r}")[0]
    if time is None:
        tcol = pd.Series(np.zeros(len(data), dtype=int), index=data.index)
    else:
        tcol = data[time]
        if tcol.isna().any():
            raise DataError(f"the time column {time!r} has missing values in rows {format_items(list(np.flatnonzero(tcol.isna())))}.")

    # NaN / inf in y or X
    vals = np.column_stack([yv.to_numpy(dtype=float), X.to_numpy(dtype=float)])
    bad = ~np.isfinite(vals)
    if bad.any():
        names = [y_name, *x_names]
        cols_bad = [names[j] for j in np.flatnonzero(bad.any(axis=0))]
        rows = bad.any(axis=1)
        cells = (
            [f"({i}, {t})" for i, t in zip(ids_col[rows], tcol[rows])] if time is not None else list(ids_col[rows])
        )
        raise DataError(
            f"missing or infinite values in {format_items(cols_bad)} at (id, time) {format_items(cells)}; "
            "drop or impute these cells (the panel must stay balanced)."
        )

    # duplicates
    key = pd.DataFrame({"id": ids_col.to_numpy(), "time": tcol.to_numpy()})
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        cells = sorted({f"({i}, {t})" for i, t in zip(key.id[dup], key.time[dup])})
        raise DataError(f"duplicate (id, time) rows in columns {id!r}/{time!r}: {format_items(cells)}.")

    # ids vs W
    data_ids = pd.unique(key.id)
    w_ids = set(w.ids)
    not_in_w = [i for i in data_ids if i not in w_ids]
    dset = set(data_ids)
    not_in_data = [i for i in w.ids if i not in dset]
    if not_in_w or not_in_data:
        parts = []
        if not_in_w:
            parts.append(f"ids in column {id!r} but not in W: {format_items(not_in_w)}")
        if not_in_data:
            parts.append(f"ids in W but not in column {id!r}: {format_items(not_in_data)}")
        raise WeightsError(
            f"the weights {w.name or ''} do not match the panel's units; " + "; ".join(parts)
            + ".  Use w.subset(ids).row_standardize() or add the missing units."
        )

    # balance
    times = np.sort(pd.unique(key.time))
    n, t = w.n, len(times)
    if len(key) != n * t:
        have = set(zip(key.id, key.time))
        missing = [f"({i}, {tt})" for tt in times for i in w.ids if (i, tt) not in have]
        raise DataError(
            f"the panel is unbalanced: {len(missing)} (id, time) cells are missing: {format_items(missing)}. "
            "Spatial panel ML needs every unit in every period; fill or drop units/periods."
        )

    # order: time-major, id-minor in W's order
    pos_id = key.id.map(w._id_index).to_numpy()
    pos_t = np.searchsorted(times, key.time.to_numpy())
    order = np.lexsort((pos_id, pos_t))
    yarr = yv.to_numpy(dtype=float)[order]
    Xarr = X.to_numpy(dtype=float)[order]

    has_const = effects in ("none", "random")
    if has_const:
        if "const" in x_names:
            raise InputError("a regressor is named 'const'; rename it (spillmap adds the constant).")
        Xarr = np.column_stack([np.ones(len(yarr)), Xarr])
        x_names = ["const", *x_names]

    # spatially lagged regressors
    if model in DURBIN:
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
        cols = [x_names.index(c) for c in src]
        WX = w.lag_panel(Xarr[:, cols], t) if cols else np.zeros((len(yarr), 0))
    else:
        if wx is not None:
            raise InputError(f"wx= is only for models with lagged regressors ({', '.join(DURBIN)}), not {model!r}.")
        src = []
        WX = np.zeros((len(yarr), 0))
    if model in ("sdm", "slx", "sdem") and not src:
        raise InputError(f"model {model!r} needs at least one lagged regressor; use 'sar'/'sem' or a plain regression otherwise.")
    wx_names = [f"W_{c}" for c in src]
    if t == 1 and effects in ("individual", "twoways"):
        raise InputError(
            f"a cross-section (T=1) cannot have {effects!r} fixed effects; use effects='none' (a constant is added)."
        )

    pdata = _PanelData(
        y=yarr, X=Xarr, WX=WX, x_names=tuple(x_names), wx_names=tuple(wx_names), w=w, n=n, t=t,
        ids=tuple(w.ids), times=tuple(times.tolist()), y_name=y_name, effects=effects, model=model,
        Wy=w.lag_panel(yarr, t), wx_source=tuple(src), has_const=has_const,
    )
    _check_identification(pdata)
    return pdata


def _check_identification(d: _PanelData) -> None:
    """Regressors without variation after the fixed effects, and perfect collinearity."""
    Z = d.Z
    names = d.z_names
    if not Z.shape[1]:
        if d.model in ("slx", "sdm", "sdem"):
            raise InputError("the model has no regressors.")
        return
    zd = demean(Z, d.n, d.t, d.effects)
    scale = np.maximum(np.sqrt(np.sum(Z * Z, axis=0)), 1e-300)
    norms = np.sqrt(np.sum(zd * zd, axis=0)) / scale
    dead = np.flatnonzero(norms < 1e-10)
    if dead.size:
        dead_names = [names[j] for j in dead]
        if d.effects in ("individual", "twoways"):
            zi = demean(Z[:, dead], d.n, d.t, "individual")
            tinv = [dead_names[i] for i in range(dead.size) if np.sqrt(np.sum(zi[:, i] ** 2)) / scale[dead[i]] < 1e-10]
            if tinv:
                raise DataError(
                    f"regressors {format_items(tinv)} do not vary over time within units: they are absorbed by the "
                    "individual fixed effects.  Drop them or use effects='time'/'none'."
                )
        if d.effects in ("time", "twoways"):
            raise DataError(
                f"regressors {format_items(dead_names)} do not vary across units within periods: they are absorbed "
                "by the time fixed effects.  Drop them or use effects='individual'."
            )
        raise DataError(f"regressors {format_items(dead_names)} have no variation; drop them.")
    # perfect collinearity: greedy rank check on the scaled, transformed columns
    zs = zd / np.sqrt(np.sum(zd * zd, axis=0))
    kept: list[int] = []
    for j in range(zs.shape[1]):
        if kept:
            a = zs[:, kept]
            coef, *_ = np.linalg.lstsq(a, zs[:, j], rcond=None)
            r = zs[:, j] - a @ coef
            if np.sqrt(r @ r) < 1e-8:
                involved = [names[kept[i]] for i in np.flatnonzero(np.abs(coef) > 1e-8)]
                raise DataError(
                    f"regressor {names[j]!r} is perfectly collinear with {format_items(involved)}"
                    + (" after the fixed-effects transformation" if d.effects in FIXED_EFFECTS else "")
                    + "; drop one of them."
                )
        kept.append(j)


# --------------------------------------------------------------------------
class SpatialPanel:
    """A spatial panel model with fixed (or random) effects, estimated by ML.

    Parameters
    ----------
    data
        Long panel: one row per (id, time) cell.  Must be balanced.
    formula
        ``"y ~ x1 + x2"`` (formulaic syntax; the intercept is dropped under fixed
        effects and added as ``const`` for ``effects="none"``/``"random"``).
        Alternatively give ``y=`` and ``x=``.
    y, x
        Dependent variable and regressor column names (instead of a formula).
    id, time
        Unit and period columns.  ``time=None`` (or a single period) is a
        cross-section (T = 1).  Ids are matched to ``w.ids`` as strings.
    w
        Spatial weights over exactly the panel's units (order irrelevant: the
        data are aligned to ``w.ids`` and sorted by (time, id) internally).
    model
        ``"sar"`` (``y = rho Wy + X b``), ``"sem"`` (``u = lambda W u + e``),
        ``"sdm"`` (``y = rho Wy + X b + WX theta``), ``"slx"`` (``y = X b + WX theta``)
        or ``"sdem"`` (SLX with spatial errors).
    effects
        ``"none"``, ``"individual"``, ``"time"``, ``"twoways"`` or ``"random"``.
    wx
        Regressors to lag spatially in SDM/SLX/SDEM (default all, never the
        constant); lagged columns are named ``W_<x>``.

    Raises
    ------
    InputError, DataError, WeightsError
        Unknown options; missing columns; NaN/inf values (the (id, time) cells
        are listed); duplicate cells; an unbalanced panel (missing cells
        listed); units not matching W; regressors absorbed by the fixed
        effects or perfectly collinear (named).

    Notes
    -----
    No estimation happens here (specify, then :meth:`fit`).  Spatial lags
    ``Wy`` and ``WX`` are formed period by period on the raw data and then
    transformed with the other variables.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        formula: str | None = None,
        *,
        y: str | None = None,
        x: Sequence[str] | None = None,
        id: str,
        time: str | None = None,
        w: SpatialWeights,
        model: ModelType = "sdm",
        effects: EffectsType = "twoways",
        wx: Sequence[str] | None = None,
    ) -> None:
        self.model = _check_option("model", model, MODELS)
        self.effects = _check_option("effects", effects, EFFECTS)
        self.formula = formula
        self.id = id
        self.time = time
        self.w = w
        self.wx = None if wx is None else ([wx] if isinstance(wx, str) else list(wx))
        self.data: _PanelData = build_panel_data(
            data, formula, y=y, x=x, id=id, time=time, w=w, model=self.model, effects=self.effects, wx=self.wx
        )

    def __repr__(self) -> str:
        d = self.data
        return (
            f"SpatialPanel(model={self.model!r}, effects={self.effects!r}, y={d.y_name!r}, "
            f"x={list(d.x_names)!r}, wx={list(d.wx_source)!r}, N={d.n}, T={d.t})"
        )

    # -------------------------------------------------------------------- fit
    def fit(
        self,
        *,
        lee_yu: LeeYuType = "transformation",
        cov_type: CovType = "information",
        tol: float = 1e-10,
        logdet_method: Literal["auto", "eigen", "lu"] = "auto",
        trace_probes: int | None = None,
    ) -> SpatialPanelResults:
        """Estimate the model by maximum likelihood.

        Parameters
        ----------
        lee_yu
            Treatment of the incidental-parameter problem of fixed effects
            (Lee & Yu 2010):

            * ``"none"``: ML on the demeaned data (the direct approach; identical
              to least-squares-dummy-variable ML; spreg ``Panel_FE_Lag``/
              ``Panel_FE_Error`` and Elhorst's MATLAB code with ``info.bc=0``).
            * ``"transformation"`` (default): the orthonormal transformation
              approach: the same likelihood on ``N(T-1)``, ``(N-1)T`` or
              ``(N-1)(T-1)`` effective observations with the Jacobian of the
              transformed W (the approach of Stata's ``xsmle ..., fe leeyu`` and
              ``spxtregress, fe``; verified here against a dense transcription of
              Lee & Yu, not against Stata output).
              With individual effects it leaves ``beta`` and ``rho`` unchanged
              and multiplies ``sigma2`` by ``T/(T-1)``.  Time effects need a
              row-standardised W.
            * ``"bias-correction"``: Elhorst's MATLAB ``sar_panel_FE``/
              ``sem_panel_FE`` with ``info.bc=1`` (analytical correction of the
              direct-approach estimates; see
              :func:`spillmap.estimation._ml.elhorst_bias_correction`).

            The default is ``"transformation"`` because it is the exact maximum of a
            proper likelihood (so LR tests and AIC remain valid) and gives
            consistent estimates of all parameters for large N with T fixed,
            where the direct approach's ``sigma2`` is inconsistent and, with time
            effects, ``rho``/``beta`` carry an O(1/N) bias (Lee & Yu 2010,
            Theorems 1-4).  Ignored (``"none"``) when there are no fixed effects.
        cov_type
            ``"information"``: inverse of the analytical information matrix
            (Elhorst 2014 eqs. 3.23/3.27 with ``T`` replaced by the effective
            count); ``"hessian"``: inverse of minus the numerical Hessian of the
            full log-likelihood (central differences of the analytic score).
        tol
            ``xatol`` of the bounded scalar search.
        logdet_method
            ``"eigen"`` (exact, N up to a few thousand), ``"lu"`` (sparse LU) or
            ``"auto"`` (the eigenvalues when cached on ``w`` or cheaper by the measured
            fill of a factorisation; see :class:`~spillmap.estimation._logdet.LogDet`).
        trace_probes
            Rademacher probes of the stochastic traces used for
            N > :data:`~spillmap.estimation._logdet.DENSE_TRACE_MAX_N` (the relative
            error of ``tr(G'G)`` is about ``sqrt(2/probes) ||G'G||_F / tr(G'G)``, i.e.
            O(1/sqrt(N probes))).  Default ``clip(5e5 // N, 10, 200)``: 175 probes at
            N = 2,850, 10 from N = 50,000 (``tr(G)`` and ``tr(GG)`` then come from the
            exact log-determinants of the search, so only ``tr(G'G)`` is stochastic).

        Returns
        -------
        SpatialPanelResults

        Raises
        ------
        ConvergenceError
            The maximum lies at the bound of the admissible ``rho`` interval or
            the search fails.
        WeightsError
            A method needing a row-standardised W gets another one.

        Notes
        -----
        Full log-likelihood (``nobs`` effective observations, ``e`` the transformed
        residual, ``a = 1`` only for the Lee-Yu transformation with time effects)::

            L = -nobs/2 ln(2 pi sigma2) - e'e/(2 sigma2) + T_eff [ln|I - rho W| - a ln(1 - rho)]

        Verification
        ------------
        ``tests/test_est_crosssection.py``: T = 1 SAR/SDM/SEM/SDEM equal spreg 1.9
        ``ML_Lag``/``ML_Error`` (params, sigma2, loglik to 1e-6, SEs to 1e-5 relative).
        ``tests/test_est_panel.py``: individual effects equal spreg ``Panel_FE_Lag``/
        ``Panel_FE_Error`` (params 1e-7, SEs 1e-6); time and two-way effects equal
        LSDV ML (spreg ``ML_Lag``/``ML_Error`` on the stacked data with dummies;
        params 1e-7, loglik 1e-6, SEs 1e-5); the Lee-Yu transformation equals a
        dense transcription with explicit ``F_T``, ``F_N`` and ``W* = F_N' W F_N``
        (params 1e-7, loglik 1e-6); the bias correction equals Elhorst's formula;
        information and numerical-Hessian SEs agree within 5 % on simulated data.
        """
        lee_yu = _check_option("lee_yu", lee_yu, LEE_YU)
        cov_type = _check_option("cov_type", cov_type, COV_TYPES)
        if not (isinstance(tol, float | int) and 0 < tol < 1e-2):
            raise InputError(f"tol must be a small positive number, got {tol!r}.")
        if self.effects == "random":
            from spillmap.estimation.random_effects import fit_random

            return fit_random(self, cov_type=cov_type, tol=tol)
        return _fit_fixed(self.data, lee_yu=lee_yu, cov_type=cov_type, tol=tol,
                          logdet_method=logdet_method, trace_probes=trace_probes)


# ------------------------------------------------------------------ fitting
# The fitting numerics live in ._fixed (imported last: it needs nothing from this
# module at import time); the names stay importable from here.
from ._fixed import _needs_row_standardized, default_probes, information_matrix  # noqa: E402
from ._fixed import fit_fixed as _fit_fixed  # noqa: E402
