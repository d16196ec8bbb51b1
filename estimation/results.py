"""Immutable results of spatial panel models.

Plain pandas/numpy/scipy; the table layout follows linearmodels' ``PanelResults``
and statsmodels' ``summary()``.  :class:`ResultsTableMixin` gives every results
type the same ``conf_int``/``to_frame``/``summary``/``_repr_html_`` from
``params`` and ``std_errors``.
"""
from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spillmap.estimation._normal import normal_isf, normal_sf
from spillmap.spatial.weights import SpatialWeights

from ._fit_warnings import BOUND_WARNING_DISTANCE, bound_warning, emit_fit_warnings, fit_warning_records

if TYPE_CHECKING:
    from ._effects_result import EffectsResult

__all__ = ["SpatialPanelResults", "ResultsTableMixin", "bound_warning", "emit_fit_warnings", "BOUND_WARNING_DISTANCE"]

_MODEL_NAMES = {
    "sar": "Spatial autoregressive (SAR) model",
    "sem": "Spatial error (SEM) model",
    "sdm": "Spatial Durbin (SDM) model",
    "slx": "Spatially lagged X (SLX) model",
    "sdem": "Spatial Durbin error (SDEM) model",
}
_EFFECTS_NAMES = {
    "none": "none (pooled)",
    "individual": "individual (unit) fixed effects",
    "time": "time fixed effects",
    "twoways": "individual and time fixed effects",
    "random": "random effects",
}


class ResultsTableMixin:
    """Coefficient table, confidence intervals and text/HTML rendering.

    Needs ``params`` and ``std_errors`` (pandas Series) and a ``_header_rows()``
    method returning ``[(label, value), ...]`` and a ``_title`` attribute.
    """

    _title = "Estimation results"

    @property
    def tvalues(self) -> pd.Series:
        """z statistics ``params / std_errors``."""
        return (self.params / self.std_errors).rename("z")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided normal p-values ``2 * norm.sf(|z|)``."""
        return pd.Series(2.0 * normal_sf(np.abs(self.tvalues.to_numpy())), index=self.params.index, name="p")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Normal confidence intervals with columns ``lower``, ``upper``."""
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level}")
        q = normal_isf((1 - level) / 2)
        return pd.DataFrame(
            {"lower": self.params - q * self.std_errors, "upper": self.params + q * self.std_errors},
            index=self.params.index,
        )

    def to_frame(self, level: float = 0.95) -> pd.DataFrame:
        """``estimate``, ``std_error``, ``z``, ``p``, ``ci_lower``, ``ci_upper`` per parameter."""
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "estimate": self.params,
                "std_error": self.std_errors,
                "z": self.tvalues,
                "p": self.pvalues,
                "ci_lower": ci["lower"],
                "ci_upper": ci["upper"],
            },
            index=self.params.index,
        )

    def _header_rows(self) -> list[tuple[str, str]]:  # pragma: no cover - overridden
        return []

    def _notes(self) -> list[str]:
        """Footnotes printed under the table (approximations the reader should know of)."""
        return []

    def summary(self) -> str:
        """A text table in the style of statsmodels/linearmodels."""
        head = self._header_rows()
        frame = self.to_frame()
        name_w = max([len(str(i)) for i in frame.index] + [10])
        width = max(78, name_w + 66)
        lines = [self._title.center(width), "=" * width]
        half = (len(head) + 1) // 2
        left, right = head[:half], head[half:]
        for i in range(half):
            a = f"{left[i][0] + ':':<20}{left[i][1]:>17}"
            b = f"{right[i][0] + ':':<20}{right[i][1]:>17}" if i < len(right) else ""
            lines.append(f"{a}    {b}".rstrip())
        lines.append("=" * width)
        hdr = f"{'':<{name_w}} {'coef':>12} {'std err':>12} {'z':>9} {'P>|z|':>8} {'[0.025':>10} {'0.975]':>10}"
        lines += [hdr, "-" * width]
        for name, r in frame.iterrows():
            lines.append(
                f"{str(name):<{name_w}} {r.estimate:>12.6g} {r.std_error:>12.6g} {r.z:>9.3f} "
                f"{r.p:>8.4f} {r.ci_lower:>10.5g} {r.ci_upper:>10.5g}"
            )
        lines.append("=" * width)
        lines += [f"Note: {note}" for note in self._notes()]
        lines += [textwrap.fill(f"Warning: {msg}", width, subsequent_indent="  ") for msg in getattr(self, "warnings", ())]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        # formatting (p-values, stars) from spillmap.tables, imported here: tables sits above estimation
        from spillmap.tables import format_p, star_note, stars

        frame = self.to_frame()
        head = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in self._header_rows()
        )
        cols = ["coef", "std err", "z", "P>|z|", "[0.025", "0.975]"]
        rows = "".join(
            f"<tr><th>{html.escape(str(name))}</th><td>{r.estimate:.6g}{stars(r.p)}</td>"
            + "".join(f"<td>{v:.6g}</td>" for v in (r.std_error, r.z))
            + f"<td>{html.escape(format_p(r.p, 4))}</td>"
            + "".join(f"<td>{v:.6g}</td>" for v in (r.ci_lower, r.ci_upper))
            + "</tr>"
            for name, r in frame.iterrows()
        )
        notes = "".join(f"<br>{html.escape(n)}" for n in self._notes())
        return (
            f"<div><table><caption>{html.escape(self._title)}</caption>{head}</table>"
            f"<table><tr><th></th>{''.join(f'<th>{html.escape(c)}</th>' for c in cols)}</tr>{rows}</table>"
            f"<p style=\"font-size:85%\">{html.escape(star_note())} (two-sided normal){notes}</p></div>"
        )


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
        Maximised log-likelihood with all constants (see ``nobs``).
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
        Residual ``e`` of the transformed model, length N*T, time-major.
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
            extra=MappingProxyType(dict(extra or {})), data=data,
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
        """Residuals of the transformed model (a copy)."""
        return None if self._resid is None else self._resid.copy()

    # -------------------------------------------------------------- derived
    @property
    def cov(self) -> pd.DataFrame:
        """Covariance of ``params`` (``cov_full`` without the ``sigma2`` row/column)."""
        names = list(self._params.index)
        return self._cov_full.loc[names, names].copy()

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
    def spatial_param(self) -> str | None:
        """``"rho"``, ``"lambda"`` or ``None`` (SLX)."""
        return {"sar": "rho", "sdm": "rho", "sem": "lambda", "sdem": "lambda"}.get(self.model)

    @property
    def rho(self) -> float:
        """The spatial autoregressive (``rho``) or error (``lambda``) parameter; NaN for SLX."""
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
    def impacts(self, *, draws: int = 1000, seed: int = 0, method: str = "simulation") -> EffectsResult:
        """Direct, indirect and total effects (see :func:`spillmap.estimation.effects.compute_effects`)."""
        from spillmap.estimation.effects import compute_effects

        return compute_effects(self, draws=draws, seed=seed, method=method)

    def unit_effects(self, var: str) -> pd.DataFrame:
        """Per-unit effects of ``var`` (see :func:`spillmap.estimation.effects.unit_effects`)."""
        from spillmap.estimation.effects import unit_effects

        return unit_effects(self, var)

    # ------------------------------------------------------------- rendering
    def _header_rows(self) -> list[tuple[str, str]]:
        return [
            ("Model", self.model.upper()),
            ("Dep. variable", self.y_name),
            ("Effects", self.effects),
            ("Lee-Yu", self.lee_yu),
            ("Units (N)", str(self.n)),
            ("Periods (T)", str(self.t)),
            ("Observations", str(self.nobs)),
            ("Covariance", self.cov_type),
            ("Log-likelihood", f"{self.loglik:.4f}"),
            ("AIC", f"{self.aic:.4f}"),
            ("BIC", f"{self.bic:.4f}"),
            ("sigma2", f"{self.sigma2:.6g}"),
            ("R2 (corr^2, within)" if self.effects in ("individual", "time", "twoways") else "R2 (corr^2)",
             f"{self.r2:.4f}"),
            ("W", self.w.name or f"{self.w.n} units"),
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
        return f"{_MODEL_NAMES.get(self.model, self.model)}, {_EFFECTS_NAMES.get(self.effects, self.effects)}"

    def __repr__(self) -> str:
        return (
            f"<SpatialPanelResults {self.model.upper()} effects={self.effects} lee_yu={self.lee_yu} "
            f"N={self.n} T={self.t} loglik={self.loglik:.4f}>"
        )
