"""Immutable results of spatial panel models.

Plain pandas/numpy/scipy; the table layout follows linearmodels' ``PanelResults``
and statsmodels' ``summary()``.  :class:`ResultsTableMixin` (defined in
:mod:`._results_table`, re-exported here) gives every results type the same
``conf_int``/``to_frame``/``summary``/``_repr_html_`` from ``params`` and ``std_errors``.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spillmap._vocab import FIXED_EFFECTS
from spillmap.spatial.weights import SpatialWeights

from ._fit_warnings import BOUND_WARNING_DISTANCE, bound_warning, emit_fit_warnings, fit_warning_records
from ._frames import take_block
from ._results_table import ResultsTableMixin, notice_tag

if TYPE_CHECKING:
    from ._effects_result import EffectsResult

__all__ = ["SpatialPanelResults", "ResultsTableMixin", "bound_warning", "emit_fit_warnings", "BOUND_WARNING_DISTANCE"]

_MODEL_NAMES = {
    "sar": "Spatial autoregressive (SAR) model",
    "sem": "Spatial error (SEM) model",
    "sdm": "Spatial Durbin (SDM) model",
    "slx": "Spatially lagged X (SLX) model",
    "sdem": "Spatial Durbin error (SDEM) model",
    "sac": "Spatial autoregressive combined (SAC) model",
}
_EFFECTS_NAMES = {
    "none": "none (pooled)",
    "individual": "individual (unit) fixed effects",
    "time": "time fixed effects",
    "twoways": "individual and time fixed effects",
    "random": "random effects",
    # random unit effects with fixed period effects (extra["time_effects"]): another model than plain RE
    "random+time": "random unit effects + period fixed effects",
}


def _w_label(w) -> str:  # noqa: ANN001 - a SpatialWeights or a PanelWeights (one W per period)
    """W as the summary names it: its label, with the transform (``"cigar_w_usa46_binary
    (row-standardised)"``); a W per period by its name."""
    label = getattr(w, "label", None)
    if label is None:
        return w.name or f"{w.n} units"
    return label if w.name else f"{w.n} units, {label}"


class SpatialPanelResults(ResultsTableMixin):
    """The immutable result of :meth:`spillmap.estimation.SpatialPanel.fit`.

    Attributes
    ----------
    model
        ``"sar"``, ``"sem"``, ``"sdm"``, ``"slx"`` or ``"sdem"``.
    effects
        The effects specification (``"none"``, ``"individual"``, ``"time"``,
        ``"twoways"``, ``"random"``).
    lee_yu
        The Lee-Yu option used (``"none"`` when there are no fixed effects).
    params
        Regressors (``const`` first where there is one), ``W_<x>``, then
        ``rho`` (SAR/SDM) or ``lambda`` (SEM/SDEM); random-effects models may
        add their own variance parameter after those.
    cov_full
        Inverse of the full information matrix (or minus the inverse Hessian),
        over ``params`` plus ``sigma2`` (last).
    sigma2
        Error variance (after any Lee-Yu correction).
    loglik
        Maximised log-likelihood with all constants (see ``nobs``); for a bias-corrected fit
        (``lee_yu="bias-correction"``, a dynamic ``"ydjl"``) the maximum, not its value at the
        corrected estimates (``extra["loglik_at_corrected"]``), so that LR tests, AIC and BIC
        compare maximised likelihoods.
    nobs
        Observations the likelihood counts (``N T`` in the direct approach,
        ``N (T-1)``, ``(N-1) T`` or ``(N-1)(T-1)`` under the Lee-Yu transformation).
    n, t
        Units and periods.
    r2
        Squared correlation between the observed ``y`` and its fitted value ``y - resid``
        (with the observed spatial lag ``Wy``): for fixed effects both after the
        within transformation (the summary says "within"), for pooled and random
        effects in levels.  Not Elhorst's reduced-form corr², which predicts ``y``
        from ``(I - rho W)^{-1}``.
    x_names, wx_names
        Names of the regressors and of the lagged regressors (``W_<x>``).
    w
        The weights (aligned to the data's units).
    y_name, ids, times
        Dependent variable and the panel index in estimation order.
    converged
        Whether the optimiser converged (fits that fail raise instead).
    cov_type
        ``"information"`` or ``"hessian"``.
    resid
        Residual of the transformed model, stacked time-major: for the lag models (SAR, SDM,
        SLX) the innovation ``y~ - rho (Wy)~ - Z~ beta``; for the error models (SEM, SDEM, SAC)
        the structural residual ``u = y~ - Z~ beta`` (SAC: ``- rho (Wy)~`` too) *before* the
        error filter, which still carries the spatial dependence ``lambda`` models.
    resid_filtered
        The innovation ``e = (u - lambda W u)~`` of an error model's transformed model (``None``
        for the others, whose ``resid`` is already the innovation).  Residual diagnostics after a
        fit (e.g. :func:`spillmap.spatial.pesaran_cd` of a results object) use it.
    extra
        Read-only mapping of method details (e.g. ``"logdet_method"``,
        ``"exact_traces"``, ``"nfev"``, ``"bias_correction"``).
    data
        The internal ``_PanelData`` the model was fitted on (for effects and tests).
    warnings
        Messages of the warnings about this fit, in order: data warnings raised when
        the model was specified (e.g. gaps between periods), islands in W
        (:class:`~spillmap.errors.WeightsWarning`, naming them and the number of
        connected components), ``rho``/``lambda`` within 1e-3 of a bound of its
        admissible interval (:class:`~spillmap.errors.EstimationWarning`).  Shown by
        :meth:`summary` and in notebooks; the fitting function emits them through
        :mod:`warnings` when it returns.
    notice
        What the data are when every output must say it (``""`` otherwise): the ``attrs["notice"]``
        of the data frame given to :class:`~spillmap.estimation.SpatialPanel`, e.g. the synthetic-data
        notice of :func:`spillmap.datasets.demo_panel`.  :meth:`summary` and the notebook print it
        first, the repr names it, :meth:`impacts` carries it to the effects.
    """

    _ARRAYS = ("params", "cov_full", "resid")

    def __init__(
        self,
        *,
        model: str,
        effects: str,
        lee_yu: str,
        params: pd.Series,
        cov_full: pd.DataFrame,
        sigma2: float,
        loglik: float,
        nobs: int,
        n: int,
        t: int,
        r2: float,
        x_names: tuple[str, ...],
        wx_names: tuple[str, ...],
        w: SpatialWeights,
        y_name: str,
        ids: tuple[str, ...],
        times: tuple[Any, ...],
        converged: bool = True,
        cov_type: str = "information",
        resid: np.ndarray | None = None,
        resid_filtered: np.ndarray | None = None,
        extra: Mapping[str, Any] | None = None,
        data: Any = None,
        warnings: Sequence[str] = (),
    ) -> None:
        params = pd.Series(np.asarray(params, dtype=float), index=pd.Index([str(i) for i in params.index]), name="params")
        cov_full = pd.DataFrame(np.asarray(cov_full, dtype=float), index=[str(i) for i in cov_full.index],
                                columns=[str(c) for c in cov_full.columns])
        missing = [p for p in params.index if p not in cov_full.index]
        if missing:
            raise ValueError(f"cov_full lacks the parameters {missing}")
        values = dict(
            model=model, effects=effects, lee_yu=lee_yu, _params=params, _cov_full=cov_full,
            sigma2=float(sigma2), loglik=float(loglik), nobs=int(nobs), n=int(n), t=int(t), r2=float(r2),
            x_names=tuple(x_names), wx_names=tuple(wx_names), w=w, y_name=str(y_name), ids=tuple(ids),
            times=tuple(times), converged=bool(converged), cov_type=cov_type,
            _resid=None if resid is None else np.array(resid, dtype=float),
            _resid_filtered=None if resid_filtered is None else np.array(resid_filtered, dtype=float),
            extra=MappingProxyType(dict(extra or {})), data=data, notice=str(getattr(data, "notice", "") or ""),
        )
        records = fit_warning_records(model, params, values["extra"], w)
        msgs = [*getattr(data, "warnings", ()), *warnings, *(m for _, m in records)]
        values.update(_warning_records=records, warnings=tuple(dict.fromkeys(str(m) for m in msgs)))
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"SpatialPanelResults is immutable; cannot set {name!r}.")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"SpatialPanelResults is immutable; cannot delete {name!r}.")

    def __getstate__(self) -> dict:
        """Pickle and copy: the state with ``extra`` as a plain dict (a read-only mapping cannot be pickled)."""
        return {**self.__dict__, "extra": dict(self.extra)}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, extra=MappingProxyType(dict(state.get("extra") or {})))

    @property
    def params(self) -> pd.Series:
        """Estimates (a copy)."""
        return self._params.copy()

    @property
    def cov_full(self) -> pd.DataFrame:
        """Covariance over ``params`` and ``sigma2`` (a copy)."""
        return self._cov_full.copy()

    @property
    def resid(self) -> np.ndarray | None:
        """Residuals of the transformed model (a copy); for an error model the structural residual
        before the error filter (see :attr:`resid_filtered`)."""
        return None if self._resid is None else self._resid.copy()

    @property
    def resid_filtered(self) -> np.ndarray | None:
        """The innovations (a copy): ``(u - lambda W u)`` of the transformed model for an error model
        (SEM, SDEM, SAC; ``u`` structural, the lag taken before the transformation as in the
        likelihood), :attr:`resid` for the others."""
        return self.resid if self._resid_filtered is None else self._resid_filtered.copy()

    # -------------------------------------------------------------- derived
    @property
    def cov(self) -> pd.DataFrame:
        """Covariance of ``params`` (``cov_full`` without the ``sigma2`` row/column)."""
        names = list(self._params.index)
        return take_block(self._cov_full, names, names).copy()

    @property
    def std_errors(self) -> pd.Series:
        """Square roots of the diagonal of :attr:`cov`."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index, name="std_error")

    @property
    def fe(self) -> str:
        """The fixed effects: ``"none"``, ``"individual"``, ``"time"`` or ``"twoways"`` (random-effects
        fits: ``"time"`` when they have fixed period effects, else ``"none"``)."""
        if self.effects != "random":
            return self.effects
        return "time" if self.extra.get("time_effects") else "none"

    @property
    def re(self) -> bool:
        """Whether the unit effects are random."""
        return self.effects == "random"

    @property
    def _effects_label(self) -> str:
        """The effects as the summary, repr and study records word them: ``effects``, or
        ``"random+time"`` for random unit effects with fixed period effects."""
        return "random+time" if self.re and self.extra.get("time_effects") else self.effects

    @property
    def spatial_param(self) -> str | None:
        """``"rho"``, ``"lambda"`` or ``None`` (SLX); ``"rho"`` for the SAC model (its ``lambda`` is
        ``params["lambda"]``)."""
        return {"sar": "rho", "sdm": "rho", "sac": "rho", "sem": "lambda", "sdem": "lambda"}.get(self.model)

    @property
    def rho(self) -> float:
        """The spatial autoregressive (``rho``) or error (``lambda``) parameter; NaN for SLX; the SAC
        model's ``rho``."""
        name = self.spatial_param
        return float(self.params[name]) if name else float("nan")

    @property
    def k_params(self) -> int:
        """Number of estimated parameters counted by AIC/BIC (all of ``cov_full``, incl. sigma2)."""
        return int(self.cov_full.shape[0])

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 k`` (k counts beta, theta, rho/lambda and sigma2; not the fixed effects)."""
        return -2.0 * self.loglik + 2.0 * self.k_params

    @property
    def bic(self) -> float:
        """``-2 loglik + k ln(nobs)``."""
        return -2.0 * self.loglik + self.k_params * float(np.log(self.nobs))

    # ------------------------------------------------------------ colleagues'
    def impacts(self, *, draws: int = 1000, seed: int = 0, method: str = "simulation",
                level: float = 0.95) -> EffectsResult:
        """Direct, indirect and total effects (see :func:`spillmap.estimation.effects.compute_effects`).

        Parameters
        ----------
        draws
            Parameter draws of the simulation (an integer >= 100).  ``draws=0`` selects the delta
            method whatever ``method`` says; the result's ``method`` (and its summary) then reads
            ``"delta"``.
        seed
            Non-negative integer seeding the draws and any stochastic traces.
        method
            ``"simulation"`` (LeSage-Pace draws) or ``"delta"`` (analytical gradients).  SEM, SLX
            and SDEM effects are linear in the parameters: exact normal inference (``"linear"``).
        level
            Confidence level of the intervals, a probability in (0, 1) (default 0.95).

        Returns
        -------
        EffectsResult
        """
        from spillmap.estimation.effects import compute_effects

        return compute_effects(self, draws=draws, seed=seed, method=method, level=level).noticed(self.notice)

    def unit_effects(self, var: str) -> pd.DataFrame:
        """Per-unit effects of ``var`` (see :func:`spillmap.estimation.effects.unit_effects`).

        Parameters
        ----------
        var
            A regressor of the model (not ``const``, not ``W_<x>``).
        """
        from spillmap.estimation.effects import unit_effects

        return unit_effects(self, var)

    # ------------------------------------------------------------- rendering
    def _header_rows(self) -> list[tuple[str, str]]:
        return [
            ("Model", self.model.upper()),
            ("Dep. variable", self.y_name),
            ("Effects", self._effects_label),
            ("Lee-Yu", self.lee_yu),
            ("Units (N)", str(self.n)),
            ("Periods (T)", str(self.t)),
            ("Observations", str(self.nobs)),
            ("Covariance", self.cov_type),
            ("Log-likelihood", f"{self.loglik:.4f}"),
            ("AIC", f"{self.aic:.4f}"),
            ("BIC", f"{self.bic:.4f}"),
            ("sigma2", f"{self.sigma2:.6g}"),
            ("R2 (corr^2, within)" if self.effects in FIXED_EFFECTS else "R2 (corr^2)",
             f"{self.r2:.4f}"),
            ("W", _w_label(self.w)),
        ]

    def _notes(self) -> list[str]:
        if self.extra.get("exact_traces") is False:
            return [
                "standard errors use stochastic (Hutchinson) estimates of the information-matrix "
                f"traces (N = {self.n} is above the exact-trace limit); expect relative differences "
                "of order 1e-3 from exact values, more the closer |rho| is to 1. Estimates are exact."
            ]
        return []

    def _repr_html_(self) -> str:
        body = super()._repr_html_()
        if not self.warnings:
            return body
        notes = "".join(f"<p><strong>Warning:</strong> {html.escape(m)}</p>" for m in self.warnings)
        return body[: -len("</div>")] + notes + "</div>" if body.endswith("</div>") else body + notes

    @property
    def _title(self) -> str:  # type: ignore[override]
        label = self._effects_label
        return f"{_MODEL_NAMES.get(self.model, self.model)}, {_EFFECTS_NAMES.get(label, label)}"

    def __repr__(self) -> str:
        return (
            f"<SpatialPanelResults {self.model.upper()} effects={self._effects_label} lee_yu={self.lee_yu} "
            f"N={self.n} T={self.t} loglik={self.loglik:.4f}{notice_tag(self.notice)}>"
        )
