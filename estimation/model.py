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

from spillmap.errors import EstimationError, InputError, WeightsError, format_items
from spillmap.spatial.weights import SpatialWeights

from . import _ml
from ._logdet import GSolver, LogDet, Traces
from ._transform import EffectiveCounts, demean, effective_counts
from .results import SpatialPanelResults, emit_fit_warnings

__all__ = ["SpatialPanel", "ModelType", "EffectsType", "LeeYuType", "CovType"]

ModelType = Literal["sar", "sem", "sdm", "slx", "sdem", "sac"]
EffectsType = Literal["none", "individual", "time", "twoways", "random"]
LeeYuType = Literal["none", "transformation", "bias-correction"]
CovType = Literal["information", "hessian"]

MODELS: tuple[str, ...] = ("sar", "sem", "sdm", "slx", "sdem", "sac")
EFFECTS: tuple[str, ...] = ("none", "individual", "time", "twoways", "random")
LEE_YU: tuple[str, ...] = ("none", "transformation", "bias-correction")
COV_TYPES: tuple[str, ...] = ("information", "hessian")
FIXED_EFFECTS: tuple[str, ...] = ("individual", "time", "twoways")

#: model -> kind of likelihood ("lag", "error", "none")
KIND = {"sar": "lag", "sdm": "lag", "sem": "error", "sdem": "error", "slx": "none", "sac": "sac"}
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
    #: messages of the DataWarnings raised while the panel was built (e.g. gaps between periods)
    warnings: tuple[str, ...] = ()

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
        or ``"sdem"`` (SLX with spatial errors), ``"sac"`` (``rho Wy`` and
        ``u = lambda W u + e`` together; :mod:`spillmap.estimation.sac`).
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
        listed); units not matching W; text in numeric columns (the first
        cell); a variable or spatial lag beyond 1e100 (or all below 1e-100) in
        absolute value (named: its moments would overflow); a dependent variable
        without variation; regressors absorbed by the fixed effects or perfectly
        collinear (every column involved is named).

    Warns
    -----
    DataWarning
        Whole-number periods with gaps (e.g. 1980, 1981, 1983).

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
        from ._data import build_panel_data

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
            ``"auto"``.
        trace_probes
            Rademacher probes of the stochastic traces used for
            N > :data:`~spillmap.estimation._logdet.DENSE_TRACE_MAX_N` (the relative
            error of ``tr(G'G)`` is about ``sqrt(2/probes) ||G'G||_F / tr(G'G)``, i.e.
            O(1/sqrt(N probes))).  Default ``clip(5e5 // N, 30, 200)``: 175 probes at
            N = 2,850 (SEs within 0.1-0.2 % of the exact ones), 30 at N = 100,000.

        Returns
        -------
        SpatialPanelResults
            Its ``warnings`` list what the user should question (see Warns).

        Raises
        ------
        ConvergenceError
            The maximum lies at the bound of the admissible ``rho`` interval or
            the search fails.
        EstimationError
            Non-finite estimates or log-likelihood (named).
        WeightsError
            A method needing a row-standardised W gets another one.

        Warns
        -----
        EstimationWarning
            ``rho``/``lambda`` within 1e-3 of a bound of its admissible interval
            (its standard error and z are then not reliable).
        WeightsWarning
            W has islands (zero rows); the message names them and gives the number
            of connected components.

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
        if self.effects == "random" and self.model != "sac":
            from spillmap.estimation.random_effects import fit_random

            return fit_random(self, cov_type=cov_type, tol=tol)  # emits its own warnings
        if self.model == "sac":
            from spillmap.estimation.sac import fit_sac

            res = fit_sac(self.data, lee_yu=lee_yu, tol=tol, logdet_method=logdet_method)
        else:
            res = _fit_fixed(self.data, lee_yu=lee_yu, cov_type=cov_type, tol=tol,
                             logdet_method=logdet_method, trace_probes=trace_probes)
        _check_finite_fit(res)
        emit_fit_warnings(res, stacklevel=2)
        return res


def _check_finite_fit(res: SpatialPanelResults) -> None:
    """A fit whose estimates or log-likelihood are not finite is an error naming them."""
    values = {**res.params.to_dict(), "sigma2": res.sigma2, "loglik": res.loglik}
    bad = [k for k, v in values.items() if not np.isfinite(v)]
    if bad:
        raise EstimationError(
            f"the fit produced non-finite values for {format_items(bad)}: the data are probably badly "
            "scaled or nearly collinear. Rescale the variables (e.g. logs) or drop near-duplicate regressors."
        )


# ------------------------------------------------------------------ fitting
def _needs_row_standardized(d: _PanelData, lee_yu: str) -> str | None:
    time_fx = d.effects in ("time", "twoways")
    if not time_fx or d.kind == "none" or d.w.is_row_standardized:
        return None
    if lee_yu == "transformation":
        return "the Lee-Yu transformation with time effects (it needs W 1 = 1)"
    if d.kind == "error":
        return "an error model with time effects (demeaning is then not the exact fixed-effects likelihood)"
    return None


def default_probes(n: int) -> int:
    """Hutchinson probes for N units: ``clip(5e5 // N, 30, 200)`` (SuperLU solves with
    many right-hand sides are slow: 500 probes cost 1.2 s at N = 2,850)."""
    return int(np.clip(500_000 // max(n, 1), 30, 200))


def information_matrix(d: _PanelData, theta: np.ndarray, counts: EffectiveCounts, *,
                       exact_traces: bool | None = None, probes: int | None = None) -> tuple[np.ndarray, bool]:
    """Analytical information matrix of ``(beta, [rho|lambda], sigma2)`` at ``theta``.

    Returns the matrix and whether the trace terms are exact.
    """
    yd, wyd, zd, wzd = d.transformed
    k = zd.shape[1]
    s2 = float(theta[-1])
    if d.kind == "none":
        return _ml.information_slx(zd, s2, counts), True
    rho = float(theta[k])
    tr = Traces.compute(d.w, rho, probes=probes or default_probes(d.n), exact=exact_traces)
    tr3 = _ml.adjusted_traces(tr, d.n, rho, counts.time_adj)
    if d.kind == "lag":
        beta = theta[:k]
        raw = d.y - rho * d.Wy
        # non-stochastic part Z beta + fixed effects (LSDV), then Q (I kron G) m
        m = raw - d.demean(raw - d.Z @ beta)
        h = d.demean(GSolver(d.w, rho).apply_panel(m, d.t))
        return _ml.information_lag(zd, h, s2, tr3, counts), tr.exact
    zl = zd - rho * wzd
    return _ml.information_error(zl, s2, tr3, counts), tr.exact


def _fit_fixed(d: _PanelData, *, lee_yu: str, cov_type: str, tol: float, logdet_method: str,
               trace_probes: int | None) -> SpatialPanelResults:
    ly = lee_yu if d.effects in FIXED_EFFECTS else "none"
    need = _needs_row_standardized(d, ly)
    if need:
        raise WeightsError(
            f"{need} requires a row-standardised W, but W {d.w.name or ''} is not; "
            "use w.row_standardize()" + (" or lee_yu='none'." if ly == "transformation" else ".")
        )
    if ly != "none" and d.t == 1 and d.effects == "time":
        ly = "none"
    counts = effective_counts(d.n, d.t, d.effects, ly)
    yd, wyd, zd, wzd = d.transformed
    kind = d.kind
    k = zd.shape[1]
    names = list(d.param_names)
    extra: dict[str, Any] = {}
    logdet = None
    if kind == "none":
        coef, *_ = np.linalg.lstsq(zd, yd, rcond=None)
        e = yd - zd @ coef
        theta = np.concatenate([coef, [float(e @ e) / counts.nobs]])
    else:
        logdet = LogDet(d.w, logdet_method)
        bounds = logdet.bounds
        dfun = logdet.derivative if logdet.exact_derivative else None
        if kind == "lag":
            mom = _ml.lag_moments(yd, wyd, zd)
            opt = _ml.maximize_scalar(
                lambda r: _ml.lag_concentrated(r, mom, logdet, counts), bounds, tol=tol, name="rho",
                df=(lambda r: _ml.concentrated_derivative("lag", r, mom, dfun, counts)) if dfun else None,
                f_approx=None if dfun else (lambda r: _ml.lag_concentrated(r, mom, logdet.approx, counts)),
                df_approx=None if dfun else (
                    lambda r: _ml.concentrated_derivative("lag", r, mom, logdet.approx_derivative, counts)),
            )
            beta, sse = mom.beta(opt.x), mom.sse(opt.x)
        else:
            mom = _ml.error_moments(yd, wyd, zd, wzd)
            opt = _ml.maximize_scalar(
                lambda r: _ml.error_concentrated(r, mom, logdet, counts), bounds, tol=tol, name="lambda",
                df=(lambda r: _ml.concentrated_derivative("error", r, mom, dfun, counts)) if dfun else None,
                f_approx=None if dfun else (lambda r: _ml.error_concentrated(r, mom, logdet.approx, counts)),
                df_approx=None if dfun else (
                    lambda r: _ml.concentrated_derivative("error", r, mom, logdet.approx_derivative, counts)),
            )
            beta, sse = _ml.error_beta_sse(opt.x, mom)
        theta = np.concatenate([beta, [opt.x, sse / counts.nobs]])
        extra.update(logdet_method=logdet.resolved_method, nfev=opt.nfev, polished=opt.polished,
                     bounds=tuple(bounds))

    def loglik_at(th: np.ndarray) -> float:
        return _ml.full_loglik(kind, th, yd, wyd, zd, wzd, logdet, counts)

    def cov_at(th: np.ndarray) -> np.ndarray:
        if cov_type == "hessian":
            dl = logdet.derivative if logdet is not None else None
            hess = _ml.numerical_hessian(lambda v: _ml.score(kind, v, yd, wyd, zd, wzd, dl, counts), th)
            extra["exact_traces"] = None
            return _ml.invert_information(-hess, names + ["sigma2"])
        info, exact = information_matrix(d, th, counts, probes=trace_probes)
        extra["exact_traces"] = exact
        return _ml.invert_information(info, names + ["sigma2"])

    # sigma2 = SSE/nobs: theta is the ML estimate of the chosen likelihood
    cov_full = cov_at(theta)
    if ly == "bias-correction":
        if d.effects == "individual":
            theta = theta.copy()
            theta[-1] *= d.t / (d.t - 1.0)  # sar_panel_FE.m: sige*(T/(T-1))
        elif d.effects == "time":
            theta = theta.copy()
            theta[-1] *= d.n / (d.n - 1.0)  # sar_panel_FE.m: sige*(N/(N-1))
        else:
            theta = _ml.elhorst_bias_correction(theta, cov_full, d.n, d.t, spatial=kind != "none")
            if kind != "none":
                lo, hi = extra["bounds"]
                if not lo < theta[k] < hi:
                    raise EstimationError(f"the bias-corrected spatial parameter {theta[k]:.6f} leaves ({lo:.4f}, {hi:.4f}).")
        extra["bias_correction"] = True
        cov_full = cov_at(theta)
    loglik = loglik_at(theta)
    resid = _ml.residual(kind, theta, yd, wyd, zd, wzd)
    if kind == "error":  # structural residual y - Z beta (not the filtered one)
        resid = yd - zd @ theta[:k]
    fitted = yd - resid
    r2 = float(np.corrcoef(yd, fitted)[0, 1] ** 2) if np.std(fitted) > 0 else 0.0

    index = pd.Index(names)
    full_index = pd.Index(names + ["sigma2"])
    return SpatialPanelResults(
        model=d.model,
        effects=d.effects,
        lee_yu=ly,
        params=pd.Series(theta[:-1], index=index, name="params"),
        cov_full=pd.DataFrame(cov_full, index=full_index, columns=full_index),
        sigma2=float(theta[-1]),
        loglik=float(loglik),
        nobs=int(counts.nobs),
        n=d.n,
        t=d.t,
        r2=r2,
        x_names=d.x_names,
        wx_names=d.wx_names,
        w=d.w,
        y_name=d.y_name,
        ids=d.ids,
        times=d.times,
        converged=True,
        cov_type=cov_type,
        resid=resid,
        extra=extra,
        data=d,
    )
