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

Verification (``tests/test_est_panel.py``, every reference computed in the test, none
hard-coded): individual effects without Lee-Yu equal spreg 1.9 ``Panel_FE_Lag`` /
``Panel_FE_Error`` on Produc and on Baltagi's Cigar (estimates to 2e-7, the reference
optimiser's tolerance; standard errors to 1e-6 relative); time and two-way effects equal
spreg ``ML_Lag`` / ``ML_Error`` on the stacked dummy-variable model; the Lee-Yu
transformation equals a dense transcription of Lee & Yu (2010) with explicit ``F_T``,
``F_N`` and ``slogdet``; the analytic information matrix equals a numerical Hessian.
Coverage and bias of the estimators: ``tests/test_est_montecarlo.py``.

Layout: the validated panel (:class:`_PanelData`) is in :mod:`._panel_data`, its building in
:mod:`._data`, the checks of ``fit``'s options and of its result in :mod:`._panel_fit_checks` and
the fixed-effects numerics in :mod:`._fixed` (their names re-exported here).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from spillmap.spatial.weights import SpatialWeights

from ._checks import check_flag, model_name
from ._panel_data import DURBIN, KIND, SPATIAL_PARAM, _PanelData  # noqa: F401 (re-exported)
from ._panel_fit_checks import (_check_finite_fit, _check_option, _data_notice,  # noqa: F401 (re-exported)
                                _refuse_fixed_effects_options, checked_fit_options)
from .results import SpatialPanelResults, emit_fit_warnings

__all__ = ["SpatialPanel", "ModelType", "EffectsType", "LeeYuType", "CovType", "DynamicType"]

ModelType = Literal["sar", "sem", "sdm", "slx", "sdem", "sac"]
EffectsType = Literal["none", "individual", "time", "twoways", "random"]
LeeYuType = Literal["none", "transformation", "bias-correction", "ydjl"]
CovType = Literal["information", "hessian"]
from spillmap._vocab import DYNAMIC  # noqa: E402  (one vocabulary)
from spillmap._vocab import DynamicLags as DynamicType  # noqa: E402

from spillmap._vocab import COV_TYPES, EFFECTS, FIXED_EFFECTS, LEE_YU, MODELS, fe_keyword  # noqa: E402,F401  (one vocabulary)


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
        data are aligned to ``w.ids`` and sorted by (time, id) internally); or one
        W per period: a mapping ``period -> SpatialWeights`` (keys matched as values
        or text; e.g. ``economic_product(..., by_period=True)``) or a builder
        ``period -> SpatialWeights``.  Then ``W_t`` forms every lag of period t, the
        Jacobian is ``sum_t ln|I - rho W_t|`` and the effects are per period and
        averaged (:mod:`spillmap.estimation._timevarying` says what the maths allows:
        not SEM/SDEM with unit effects, not random effects, not SAC).
    model
        ``"sar"`` (``y = rho Wy + X b``), ``"sem"`` (``u = lambda W u + e``),
        ``"sdm"`` (``y = rho Wy + X b + WX theta``), ``"slx"`` (``y = X b + WX theta``)
        or ``"sdem"`` (SLX with spatial errors), ``"sac"`` (``rho Wy`` and
        ``u = lambda W u + e`` together; :mod:`spillmap.estimation.sac`); in any case (``"SAR"``).
    fe
        Fixed effects: ``"none"``, ``"individual"``, ``"time"`` or ``"twoways"`` (the default
        without ``re`` for a panel; ``"none"`` for a cross-section, ``time=None``).  With ``re=True`` the unit effects are random and ``fe`` says whether
        fixed period effects are added too (``"time"`` / ``"twoways"``) or not (``"none"``, the
        default, or ``"individual"``), as ``spillmap fit --re --fe ...`` does.  (``effects=`` is the old name, still read;
        ``effects="random"`` means ``re=True`` without period effects.)
    re
        Random unit effects (SAR, SDM, SEM; :mod:`spillmap.estimation.random_effects`): ``True`` or
        ``False`` (a numpy bool too; anything else, e.g. ``"no"``, is an InputError).
    wx
        Regressors to lag spatially in SDM/SLX/SDEM (default all, never the
        constant); lagged columns are named ``W_<x>``.
    dynamic
        ``None`` (static), or a dynamic SAR/SDM/SLX with ``y_{t-1}`` (``"y"``, parameter
        ``tau``), ``W_{t-1} y_{t-1}`` (``"wy"``, ``eta``) or both (``"both"``), estimated
        conditional on the first period with the bias correction of ``fit(lee_yu=...)``
        (:mod:`spillmap.estimation.dynamic`; needs T >= 3 consecutive periods).

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
        Whole-number periods with gaps (e.g. 1980, 1981, 1983); with ``dynamic`` a gap is an
        error naming the period whose ``y_{t-1}`` is missing.

    Notes
    -----
    No estimation happens here (specify, then :meth:`fit`).  Spatial lags
    ``Wy`` and ``WX`` are formed period by period on the raw data and then
    transformed with the other variables.
    """

    @fe_keyword
    def __init__(
        self,
        data: pd.DataFrame,
        formula: str | None = None,
        *,
        y: str | None = None,
        x: Sequence[str] | None = None,
        id: str,
        time: str | None = None,
        w: SpatialWeights | Mapping[Any, SpatialWeights] | Callable[[Any], SpatialWeights],
        model: ModelType = "sdm",
        fe: EffectsType | None = None,
        re: bool = False,
        wx: Sequence[str] | None = None,
        dynamic: DynamicType | None = None,
    ) -> None:
        self.model = model_name(model, MODELS)  # "SAR" as the summary prints it: "sar"
        re = check_flag("re", re)  # a truthy "no" must not mean random effects
        if fe is None:  # fixed effects: both ways; random effects or a cross-section: none unless asked
            fe = "none" if re or time is None else "twoways"
        fe = _check_option("fe", fe, EFFECTS)
        if fe == "random":  # the old effects="random"
            fe, re = "none", True
        self.fe, self.re = fe, bool(re)
        #: random effects: with fixed period effects when fe has them
        self.time_effects = self.re and fe in ("time", "twoways")
        #: the estimator's effects specification ("random" for random unit effects)
        self.effects = "random" if self.re else fe
        self.dynamic = None if dynamic is None else _check_option("dynamic", dynamic, DYNAMIC)
        self.formula = formula
        self.id = id
        self.time = time
        self.w = w
        self.wx = None if wx is None else ([wx] if isinstance(wx, str) else list(wx))
        from ._data import build_panel_data

        self.data: _PanelData = build_panel_data(
            data, formula, y=y, x=x, id=id, time=time, w=w, model=self.model, effects=self.effects, wx=self.wx,
            identify=self.dynamic is None,
        )
        if self.dynamic is not None:  # periods 2..T with y_t-1 and W_t-1 y_t-1 as regressors
            from ._dynamic_data import build_dynamic_data

            self.data = build_dynamic_data(self.data, self.dynamic)
        notice = _data_notice(data)
        if notice:  # the results print it first (audit 32 #7); the numbers are the same
            self.data = dataclasses.replace(self.data, notice=notice)
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        """The specification is fixed once built: ``spec.model = "sem"`` after construction fitted the
        old model without a word (API audit 29 #5); build a new SpatialPanel instead."""
        if getattr(self, "_frozen", False):
            raise AttributeError(f"SpatialPanel.{name} cannot be changed after construction (the data were "
                                 f"checked and arranged for it); build a new SpatialPanel(..., {name}=...).")
        super().__setattr__(name, value)

    def __repr__(self) -> str:
        d = self.data
        dyn = f"dynamic={self.dynamic!r}, " if self.dynamic else ""
        return (
            f"SpatialPanel(model={self.model!r}, {dyn}fe={self.fe!r}{', re=True' if self.re else ''}, y={d.y_name!r}, "
            f"x={list(d.x_names)!r}, wx={list(d.wx_source)!r}, N={d.n}, T={d.t})"
        )

    # -------------------------------------------------------------------- fit
    def fit(
        self,
        *,
        lee_yu: LeeYuType | None = None,
        cov_type: CovType | None = None,
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
              Lee & Yu and, with unit or period effects, against R SDPDmod's
              ``LYtrans = TRUE``; not against Stata output).
              With individual effects it leaves ``beta`` and ``rho`` unchanged
              and multiplies ``sigma2`` by ``T/(T-1)``.  Time effects need a
              row-standardised W.
            * ``"bias-correction"``: Elhorst's MATLAB ``sar_panel_FE``/
              ``sem_panel_FE`` with ``info.bc=1`` (analytical correction of the
              direct-approach estimates; see
              :func:`spillmap.estimation._ml.elhorst_bias_correction`).

            ``None`` (default): ``"transformation"`` with fixed effects; with random
            effects (``re=True``) Lee-Yu does not apply, and any value but ``"none"`` is
            refused.  The default is ``"transformation"`` because it is the exact maximum of a
            proper likelihood (so LR tests and AIC remain valid) and gives
            consistent estimates of all parameters for large N with T fixed,
            where the direct approach's ``sigma2`` is inconsistent and, with time
            effects, ``rho``/``beta`` carry an O(1/N) bias (Lee & Yu 2010,
            Theorems 1-4).  Ignored (``"none"``) when there are no fixed effects.
            Dynamic models: the same names select the corrections of
            :mod:`spillmap.estimation._dynamic_ml` (YdJL 2008, Lee & Yu 2010), and
            ``"ydjl"`` (dynamic models only) Lee & Yu's transformation approach as
            published: ``F_N`` for the time effects, the direct approach and the whole
            Yu-de Jong-Lee correction for the unit effects (R SDPDmod's
            ``LYtrans = TRUE``, verified against it).
        cov_type
            ``"information"`` (the default with fixed effects): inverse of the analytical
            information matrix (Elhorst 2014 eqs. 3.23/3.27 with ``T`` replaced by the
            effective count); ``"hessian"``: inverse of minus the numerical Hessian of the
            full log-likelihood (central differences of the analytic score).  Random effects
            always take the Hessian (``None`` or ``"hessian"``; ``"information"`` is refused).
        tol
            ``xatol`` of the bounded scalar search.
        logdet_method
            ``"eigen"`` (exact, N up to a few thousand), ``"lu"`` (sparse LU) or
            ``"auto"`` (the eigenvalues when cached on ``w`` or cheaper by the measured
            fill of a factorisation; see :class:`~spillmap.estimation._logdet.LogDet`).
        trace_probes
            ``None`` or a positive integer: Rademacher probes of the stochastic traces used for
            N > :data:`~spillmap.estimation._logdet.DENSE_TRACE_MAX_N` (the relative
            error of ``tr(G'G)`` is about ``sqrt(2/probes) ||G'G||_F / tr(G'G)``, i.e.
            O(1/sqrt(N probes))).  Default ``clip(5e5 // N, 10, 200)``: 175 probes at
            N = 2,850, 10 from N = 50,000 (``tr(G)`` and ``tr(GG)`` then come from the
            exact log-determinants of the search, so only ``tr(G'G)`` is stochastic).

        Returns
        -------
        SpatialPanelResults
            Its ``warnings`` list what the user should question (see Warns).

        Raises
        ------
        InputError
            An unknown option, or ``tol``/``trace_probes`` out of range (before any work).
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
        random = self.effects == "random" and self.model != "sac" and self.dynamic is None
        lee_yu, cov_type = checked_fit_options(random, self.dynamic, lee_yu, cov_type, tol, logdet_method, trace_probes)
        if self.dynamic is not None:
            from spillmap.estimation.dynamic import fit_dynamic

            res = fit_dynamic(self.data, dynamic=self.dynamic, lee_yu=lee_yu, cov_type=cov_type, tol=tol,
                              logdet_method=logdet_method, trace_probes=trace_probes)
            _check_finite_fit(res)
            emit_fit_warnings(res, stacklevel=2)
            return res
        if random:
            from spillmap.estimation.random_effects import fit_random

            return fit_random(self, cov_type=cov_type, tol=tol, time_effects=self.time_effects)  # warns itself
        if self.model == "sac":
            from spillmap.estimation.sac import fit_sac

            res = fit_sac(self.data, lee_yu=lee_yu, tol=tol, logdet_method=logdet_method, cov_type=cov_type,
                          trace_probes=trace_probes)
        else:
            res = _fit_fixed(self.data, lee_yu=lee_yu, cov_type=cov_type, tol=tol,
                             logdet_method=logdet_method, trace_probes=trace_probes)
        _check_finite_fit(res)
        emit_fit_warnings(res, stacklevel=2)
        return res


# ------------------------------------------------------------------ fitting
# The fitting numerics live in ._fixed (imported last: it needs nothing from this
# module at import time); the names stay importable from here.
from ._fixed import _needs_row_standardized, default_probes, information_matrix  # noqa: E402, F401
from ._fixed import fit_fixed as _fit_fixed  # noqa: E402
