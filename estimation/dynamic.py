"""Dynamic spatial panels: ``SpatialPanel(..., dynamic="y" | "wy" | "both").fit()``.

The model (SAR: ``theta = 0``; SLX: ``rho = 0``)::

    y_t = tau y_{t-1} + rho W_t y_t + eta W_{t-1} y_{t-1} + X_t beta + W_t X_t theta + mu + alpha_t 1 + e_t

with unit effects ``mu`` and/or period effects ``alpha_t`` (``effects="individual"``, ``"time"``
or ``"twoways"``).  Estimated by quasi-ML conditional on the first period (the likelihood of
periods 2..T given period 1; :mod:`spillmap.estimation._dynamic_data`): the static
fixed-effects likelihood of :mod:`spillmap.estimation._fixed` with ``y_{t-1}`` and
``W_{t-1} y_{t-1}`` as two more regressors (Yu, de Jong & Lee 2008, eq. 2.3-2.4; Elhorst 2014,
ch. 4), followed by the analytical bias correction of the option ``lee_yu=``
(:mod:`spillmap.estimation._dynamic_ml` states the vectors, the papers and the choices made
where they leave room: YdJL 2008 for unit effects, Lee & Yu 2010 for period effects, the
transformation approach for period effects).  Standard errors: the inverse of the
Gaussian information matrix at the corrected estimate (YdJL's ``Sigma^{-1}``; their extra
term for non-normal errors, ``Sigma^{-1} Omega Sigma^{-1}``, is not added), carried through the
correction by the delta method (:func:`correction_jacobian`; to first order the identity).  The estimate must
lie in the stability region (:func:`~spillmap.estimation._dynamic_ml.check_stability`), checked
on every W: otherwise the fit stops with the figures.

Written by hand (no Python library estimates dynamic spatial panels); R ``SDPDmod::SDPDm``
and Elhorst's MATLAB ``sar_jihai``/``sar_jihai_time`` were read for the conventions, not run.

Verification: ``tests/test_dynamic.py`` -- a dense literal transcription of the likelihood
(explicit ``F_N``, dummy variables) and of each correction gives the same estimates (1e-7)
and the same likelihood surface (1e-10); with ``tau = eta = 0`` imposed the estimator is the
static one on periods 2..T exactly; ``tests/test_dynamic_montecarlo.py`` (slow): bias and
coverage on the 297-city contiguity, T = 12; ``tests/test_sdpdmod_reference.py``: against R SDPDmod
0.0.6's printed output on the Cigar panel (unit effects, direct and YdJL-corrected: coefficients at
its rho and the correction at its estimate to its printed digits, 3e-7; the information matrix, with
SDPDmod's Omega added there, gives its printed standard errors to the last digit).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from spillmap._threads import single_threaded_blas
from spillmap.errors import EstimationError, check_choice

from ._dynamic_data import LAG_NAMES
from ._dynamic_ml import Lags, chain_bias, check_stability, spectral_bias, time_bias
from ._fixed import _lee_yu_and_counts, _results, estimate
from ._lu import LU_STATS
from ._results_table import notice_tag
from .results import SpatialPanelResults

if TYPE_CHECKING:
    import pandas as pd

    from ._effects_result import EffectsResult

__all__ = ["fit_dynamic", "DynamicPanelResults", "bias_vector", "lags_of"]

_UNIT = ("individual", "twoways")
_TIME = ("time", "twoways")


def lags_of(names: list[str], theta: np.ndarray) -> Lags:
    """``tau``, ``eta``, ``rho`` from a parameter vector (0 where the model has none)."""
    def get(p: str) -> float:
        return float(theta[names.index(p)]) if p in names else 0.0

    return Lags(get("tau"), get("eta"), get("rho"))


def _unit_part(w: Any, lags: Lags, sigma2: float, *, transformed: bool, static_part: bool) -> dict[str, float]:
    if hasattr(w, "groups") and not w.is_constant:
        mats = [w.matrices[0], *w.matrices]  # index 0 unused: y_0 is conditioned on
        return chain_bias(mats, lags, sigma2, transformed=transformed, static_part=static_part)
    base = w.groups[0][0] if hasattr(w, "groups") else w
    return spectral_bias(base, lags, sigma2, transformed=transformed, static_part=static_part)


def bias_vector(d: Any, theta: np.ndarray, lee_yu: str) -> np.ndarray | None:
    """``s = -E[score]`` of the likelihood maximised under ``lee_yu`` at ``theta`` (None: no correction).

    ``theta`` is ``(coefficients..., [rho], sigma2)`` in ``d.param_names + ["sigma2"]`` order.
    """
    names = list(d.param_names) + ["sigma2"]
    lags, sigma2 = lags_of(names, theta), float(theta[-1])
    unit, time = d.effects in _UNIT, d.effects in _TIME
    parts: list[dict[str, float]] = []
    if lee_yu == "bias-correction":
        if unit:
            parts.append(_unit_part(d.w, lags, sigma2, transformed=False, static_part=True))
        if time:
            parts.append(time_bias(d.w, lags.rho, sigma2, d.t))
    elif lee_yu == "transformation" and unit:
        parts.append(_unit_part(d.w, lags, sigma2, transformed=time, static_part=False))
    elif lee_yu == "ydjl" and unit:
        parts.append(_unit_part(d.w, lags, sigma2, transformed=time, static_part=True))
    if not parts:
        return None
    s = np.zeros(len(names))
    for part in parts:
        for p, v in part.items():
            if p in names:
                s[names.index(p)] += v
    return s


def correction_jacobian(d: Any, theta: np.ndarray, lee_yu: str, cov: np.ndarray) -> np.ndarray:
    """``J = I + C ds/dtheta`` of the correction ``theta_c = theta + C s(theta)`` (``C`` held fixed):
    the corrected estimator's covariance is ``J C J'`` (delta method through the correction).

    ``s`` depends on ``tau``, ``eta``, ``rho`` and ``sigma2`` only; its derivatives are central
    differences (step ``1e-5 max(1, |theta_j|)``; the traces are smooth functions, error O(h^2)).
    To first order ``J = I`` (YdJL's asymptotic variance); in panels of T ~ 10 the correction's
    slope, about ``1/T`` in ``tau``, widens the sampling spread by as much, which ``J`` carries
    into the standard errors (Monte Carlo: benchmarks/README.md).
    """
    names = list(d.param_names) + ["sigma2"]
    jac = np.eye(len(names))
    for p in ("tau", "eta", "rho", "sigma2"):
        if p not in names:
            continue
        j = names.index(p)
        h = 1e-5 * max(1.0, abs(theta[j]))
        up, dn = theta.copy(), theta.copy()
        up[j] += h
        dn[j] -= h
        su, sd = bias_vector(d, up, lee_yu), bias_vector(d, dn, lee_yu)
        jac[:, j] += cov @ (su - sd) / (2 * h)
    return jac


def _stability(d: Any, names: list[str], theta: np.ndarray, what: str) -> float:
    lags = lags_of(names, theta)
    if hasattr(d.w, "groups"):
        return max(check_stability(w, lags, what=what, period=d.w.periods[pos[0]] if not d.w.is_constant else None)
                   for w, pos in d.w.groups)
    return check_stability(d.w, lags, what=what)


@single_threaded_blas
def fit_dynamic(d: Any, *, dynamic: str, lee_yu: str, cov_type: str, tol: float, logdet_method: str,
                trace_probes: int | None) -> DynamicPanelResults:
    """Fit the dynamic model on the data of :func:`~spillmap.estimation._dynamic_data.build_dynamic_data`."""
    lu_start = LU_STATS.count
    ly, counts = _lee_yu_and_counts(d, lee_yu)
    theta, cov_at, extra, logdet = estimate(d, counts, cov_type=cov_type, tol=tol, logdet_method=logdet_method,
                                            trace_probes=trace_probes)
    names = list(d.param_names) + ["sigma2"]
    cov_full = cov_at(theta)
    s = bias_vector(d, theta, ly)
    if s is not None:
        _stability(d, names, theta, "uncorrected estimate")  # the correction's series need a stable model
        jac = correction_jacobian(d, theta, ly, cov_full)
        extra["_theta_max"] = theta.copy()  # the maximiser: loglik stays the maximised one (_fixed._results)
        theta = theta + cov_full @ s
        if "rho" in names and extra.get("bounds") is not None:
            lo, hi = extra["bounds"]
            if not lo < theta[names.index("rho")] < hi:
                raise EstimationError(f"the bias-corrected rho {theta[names.index('rho')]:.6f} leaves its admissible "
                                      f"interval ({lo:.4f}, {hi:.4f}); use lee_yu='none' to see the uncorrected fit.")
        extra["bias_correction"] = True
        extra["bias_vector"] = dict(zip(names, (float(v) for v in s)))
        cov_full = jac @ cov_at(theta) @ jac.T
    extra["stability"] = _stability(d, names, theta, "estimate")
    extra["lu_factorizations"] = LU_STATS.count - lu_start
    static_wx = tuple(n for n in d.wx_names if n not in LAG_NAMES)
    return _results(d, theta, cov_full, counts, ly, cov_type, extra, logdet, cls=DynamicPanelResults,
                    wx_names=static_wx, dynamic=dynamic)


class DynamicPanelResults(SpatialPanelResults):
    """The immutable result of a dynamic fit (:class:`~spillmap.estimation.SpatialPanel` with
    ``dynamic=``): a :class:`~spillmap.estimation.results.SpatialPanelResults` whose ``params``
    hold ``tau`` (coefficient of ``y_{t-1}``) and/or ``eta`` (of ``W y_{t-1}``) before ``rho``, with
    short-run and long-run effects.

    Attributes
    ----------
    dynamic
        ``"y"``, ``"wy"`` or ``"both"``.
    t, times, nobs
        The periods of the likelihood (the first period of the data only supplies the lags).
    extra
        Besides the static entries: ``stability`` (the largest modulus of the eigenvalues of
        ``A = (I - rho W)^{-1}(tau I + eta W)``, below 1), ``bias_vector`` (``s`` of the correction).
    """

    def __init__(self, *, dynamic: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        object.__setattr__(self, "dynamic", dynamic)

    @property
    def tau(self) -> float:
        """Coefficient of ``y_{t-1}`` (0 when not estimated)."""
        return float(self.params.get("tau", 0.0))

    @property
    def eta(self) -> float:
        """Coefficient of ``W y_{t-1}`` (0 when not estimated)."""
        return float(self.params.get("eta", 0.0))

    def impacts(self, *, draws: int = 1000, seed: int = 0, method: str = "simulation",
                horizon: str = "short") -> EffectsResult:
        """Short-run (``horizon="short"``) or long-run (``"long"``) direct, indirect and total effects
        (:func:`spillmap.estimation._dynamic_effects.dynamic_effects`).

        Parameters
        ----------
        draws
            Parameter draws for the simulation method (>= 100; default 1000); ``0`` selects the
            delta method.
        seed
            Non-negative integer seeding the draws (default 0).
        method
            ``"simulation"`` (default) or ``"delta"``, as in
            :func:`~spillmap.estimation.effects.compute_effects`.
        horizon
            ``"short"`` (default) or ``"long"``.
        """
        from ._dynamic_effects import HORIZONS, dynamic_effects

        check_choice("horizon", horizon, HORIZONS)  # before the draws
        return dynamic_effects(self, draws=draws, seed=seed, method=method)[horizon].noticed(self.notice)

    def effects_both(self, *, draws: int = 1000, seed: int = 0, method: str = "simulation") -> dict:
        """``{"short": EffectsResult, "long": EffectsResult}`` from the same parameter draws.

        Parameters
        ----------
        draws
            Parameter draws for the simulation method (>= 100; default 1000); ``0`` selects the
            delta method.
        seed
            Non-negative integer seeding the draws (default 0).
        method
            ``"simulation"`` (default) or ``"delta"``, as in
            :func:`~spillmap.estimation.effects.compute_effects`.
        """
        from ._dynamic_effects import dynamic_effects

        return {h: e.noticed(self.notice) for h, e in dynamic_effects(self, draws=draws, seed=seed, method=method).items()}

    def unit_effects(self, var: str, *, horizon: str = "short", period: Any = None) -> pd.DataFrame:
        """Per-unit effects of ``var`` at either horizon (:func:`~spillmap.estimation._dynamic_effects.unit_effects_at`).

        Parameters
        ----------
        var
            A regressor of the model.
        horizon
            ``"short"`` (default) or ``"long"``.
        period
            With one W per period, the period whose ``W_t`` is used (default the last).
        """
        from ._dynamic_effects import unit_effects_at

        return unit_effects_at(self, var, horizon=horizon, period=period)

    def _header_rows(self) -> list[tuple[str, str]]:
        rows = super()._header_rows()
        words = {"y": "y(t−1)", "wy": "W·y(t−1)", "both": "y(t−1), W·y(t−1)"}[self.dynamic]
        return rows[:4] + [("Dynamic", words), ("Stability", f"{self.extra.get('stability', float('nan')):.4f}")] \
            + rows[4:]

    @property
    def _title(self) -> str:  # type: ignore[override]
        return "Dynamic " + super()._title.replace("Spatial", "spatial", 1)

    def __repr__(self) -> str:
        return (f"<DynamicPanelResults {self.model.upper()} dynamic={self.dynamic} effects={self.effects} "
                f"lee_yu={self.lee_yu} N={self.n} T={self.t} loglik={self.loglik:.4f}{notice_tag(self.notice)}>")
