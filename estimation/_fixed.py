"""Maximum-likelihood fit of the fixed-effects spatial panel (the numerics behind
:meth:`spillmap.estimation.model.SpatialPanel.fit`).

Written by hand (see :mod:`spillmap.estimation.model` for why): the concentrated
likelihood is maximised over the spatial parameter, then the information matrix is
evaluated at the estimate.  Cost at large N is a few sparse LU factorisations of
``I - rho W``: the surrogate search (:func:`spillmap.estimation._ml.maximize_scalar`)
evaluates the exact log-determinant three or four times and ends at the estimate, whose
factorisation (:meth:`spillmap.estimation._logdet.LogDet.factor`) then serves the
stochastic traces and the ``G``-products of the information matrix.  The number of
factorisations is recorded in ``results.extra["lu_factorizations"]``.

Verification: see :meth:`spillmap.estimation.model.SpatialPanel.fit`;
``tests/test_speed_internals.py`` checks the factorisation count and reuse.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spillmap._threads import single_threaded_blas
from spillmap.errors import EstimationError, WeightsError

from . import _ml
from ._logdet import LogDet, Traces
from ._lu import LU_STATS
from ._timevarying_ld import gsolver_for, logdet_for, traces_for
from ._transform import EffectiveCounts, effective_counts
from .results import SpatialPanelResults

if TYPE_CHECKING:  # pragma: no cover
    from .model import _PanelData

__all__ = ["fit_fixed", "estimate", "information_matrix", "default_probes"]

FIXED_EFFECTS = ("individual", "time", "twoways")


def _needs_row_standardized(d: _PanelData, lee_yu: str) -> str | None:
    time_fx = d.effects in ("time", "twoways")
    if not time_fx or d.kind == "none" or d.w.is_row_standardized:
        return None
    if lee_yu in ("transformation", "ydjl"):
        return "the Lee-Yu transformation with time effects (it needs W 1 = 1)"
    if d.kind == "error":
        return "an error model with time effects (demeaning is then not the exact fixed-effects likelihood)"
    return None


def default_probes(n: int) -> int:
    """Hutchinson probes for N units: ``clip(5e5 // N, 10, 200)`` (SuperLU solves with
    many right-hand sides are slow: 500 probes cost 1.2 s at N = 2,850).  Beyond
    N = 50,000 only ten: with ``tr(G)`` and ``tr(GG)`` from the exact log-determinants
    (:meth:`~spillmap.estimation._logdet.LogDet.local_traces`) only ``tr(G'G)`` is
    estimated, and its Neumann-polynomial control variate leaves a remainder whose
    relative standard error is about ``|rho|^(2K) sqrt(2/(probes N))`` (below 1e-5 there)."""
    return int(np.clip(500_000 // max(n, 1), 10, 200))


def _traces_at(d: _PanelData, rho: float, *, exact: bool | None, probes: int | None,
               logdet: LogDet | None) -> tuple[Traces, Any]:
    """The trace terms at ``rho`` and the LU of ``I - rho W`` (None when not needed; one per
    distinct matrix for a time-varying W): one factorisation serves the stochastic traces and
    the G-products."""
    return traces_for(d.w, rho, probes=probes or default_probes(d.n), exact=exact, lag=d.kind == "lag",
                      logdet=logdet)


def _information(d: _PanelData, theta: np.ndarray, counts: EffectiveCounts, *,
                 exact_traces: bool | None = None, probes: int | None = None,
                 logdet: LogDet | None = None) -> tuple[np.ndarray, Traces | None]:
    yd, wyd, zd, wzd = d.transformed
    k = zd.shape[1]
    s2 = float(theta[-1])
    if d.kind == "none":
        return _ml.information_slx(zd, s2, counts), None
    rho = float(theta[k])
    tr, lu = _traces_at(d, rho, exact=exact_traces, probes=probes, logdet=logdet)
    tr3 = _ml.adjusted_traces(tr, d.n, rho, counts.time_adj)
    if d.kind == "lag":
        beta = theta[:k]
        raw = d.y - rho * d.Wy
        # non-stochastic part Z beta + fixed effects (LSDV), then Q (I kron G) m
        m = raw - d.demean(raw - d.z_beta(beta))
        h = d.demean(gsolver_for(d.w, rho, lu).apply_panel(m, d.t))
        return _ml.information_lag(zd, h, s2, tr3, counts), tr
    zl = zd - rho * wzd
    return _ml.information_error(zl, s2, tr3, counts), tr


@single_threaded_blas
def information_matrix(d: _PanelData, theta: np.ndarray, counts: EffectiveCounts, *,
                       exact_traces: bool | None = None, probes: int | None = None,
                       logdet: LogDet | None = None) -> tuple[np.ndarray, bool]:
    """Analytical information matrix of ``(beta, [rho|lambda], sigma2)`` at ``theta``.

    Returns the matrix and whether the trace terms are exact.  ``logdet`` (the fit's
    :class:`~spillmap.estimation._logdet.LogDet`) lends its last factorisation when it
    was at this ``rho``.
    """
    info, tr = _information(d, theta, counts, exact_traces=exact_traces, probes=probes, logdet=logdet)
    return info, True if tr is None else tr.exact


def _search(d: _PanelData, counts: EffectiveCounts, logdet: LogDet, tol: float
            ) -> tuple[np.ndarray, float, _ml.ScalarOptimum]:
    """Maximise the concentrated likelihood over rho/lambda: ``(beta, sse, optimum)``."""
    yd, wyd, zd, wzd = d.transformed
    kind = d.kind
    if kind == "lag":
        mom = _ml.lag_moments(yd, wyd, zd)
        conc = _ml.lag_concentrated
    else:
        mom = _ml.error_moments(yd, wyd, zd, wzd)
        conc = _ml.error_concentrated

    def f_approx(r: float) -> float:
        return conc(r, mom, logdet.approx, counts)

    x0 = None
    if logdet.resolved_method == "lu":
        a, b = _ml.search_interval(logdet.bounds)
        x0 = _ml.surrogate_start(f_approx, a, b)
        while logdet.extend_series_for(x0):
            x0 = _ml.surrogate_start(f_approx, a, b)
        logdet.choose(x0)  # "auto": the eigenvalues when cheaper (then x0 is not needed)
    name = "rho" if kind == "lag" else "lambda"
    if logdet.exact_derivative:
        opt = _ml.maximize_scalar(
            lambda r: conc(r, mom, logdet, counts), logdet.bounds, tol=tol, name=name,
            df=lambda r: _ml.concentrated_derivative(kind, r, mom, logdet.derivative, counts))
    else:
        opt = _ml.maximize_scalar(
            lambda r: conc(r, mom, logdet, counts), logdet.bounds, tol=tol, name=name, f_approx=f_approx,
            df_approx=lambda r: _ml.concentrated_derivative(kind, r, mom, logdet.approx_derivative, counts),
            x0=x0, correction=lambda r: counts.t_eff * (logdet(r) - logdet.approx(r)))
    if kind == "lag":
        return mom.beta(opt.x), mom.sse(opt.x), opt
    beta, sse = _ml.error_beta_sse(opt.x, mom)
    return beta, sse, opt


def _bias_correct(d: _PanelData, theta: np.ndarray, cov_full: np.ndarray, extra: dict) -> np.ndarray:
    """Elhorst's bias correction (``lee_yu="bias-correction"``) of the direct-approach estimates
    (the maximiser is kept for the maximised log-likelihood, see :func:`_results`)."""
    extra["_theta_max"] = theta.copy()
    theta = theta.copy()
    if d.effects == "individual":
        theta[-1] *= d.t / (d.t - 1.0)  # sar_panel_FE.m: sige*(T/(T-1))
    elif d.effects == "time":
        theta[-1] *= d.n / (d.n - 1.0)  # sar_panel_FE.m: sige*(N/(N-1))
    else:
        theta = _ml.elhorst_bias_correction(theta, cov_full, d.n, d.t, spatial=d.kind != "none")
        if d.kind != "none":
            k = d.k_z
            lo, hi = extra["bounds"]
            if not lo < theta[k] < hi:
                raise EstimationError(f"the bias-corrected spatial parameter {theta[k]:.6f} leaves ({lo:.4f}, {hi:.4f}).")
    extra["bias_correction"] = True
    return theta


def _lee_yu_and_counts(d: _PanelData, lee_yu: str) -> tuple[str, EffectiveCounts]:
    ly = lee_yu if d.effects in FIXED_EFFECTS else "none"
    need = _needs_row_standardized(d, ly)
    islands = tuple(getattr(d.w, "islands", ()) or ())
    if (not need and islands and d.effects in ("time", "twoways") and d.kind != "none"
            and (ly in ("transformation", "ydjl") or d.kind == "error")):
        from spillmap.errors import format_items

        what = ("the Lee-Yu transformation with time effects" if ly in ("transformation", "ydjl") else
                "an error model with time effects")
        raise WeightsError(
            f"{what} needs W 1 = 1, but W has {len(islands)} island(s) ({format_items(islands, 5)}) whose rows are "
            "zero; link them (islands='nearest' when building W)"
            + (" or use lee_yu='none'." if ly in ("transformation", "ydjl") else ".")
        )
    if need:
        periods = getattr(d.w, "not_row_standardized_periods", ())
        which = (f"W_t of period(s) {', '.join(map(str, periods))} are not (J_N W_t = J_N W_t J_N needs equal row "
                 "sums)" if periods else f"W {d.w.name or ''} is not")
        raise WeightsError(
            f"{need} requires a row-standardised W, but {which}; "
            "use w.row_standardize()" + (" or lee_yu='none'." if ly in ("transformation", "ydjl") else ".")
        )
    if ly != "none" and d.t == 1 and d.effects == "time":
        ly = "none"
    return ly, effective_counts(d.n, d.t, d.effects, ly)


def estimate(d: _PanelData, counts: EffectiveCounts, *, cov_type: str, tol: float, logdet_method: str,
             trace_probes: int | None) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray], dict, Any]:
    """The ML estimate ``theta = (beta, [rho|lambda], sigma2)`` of the chosen likelihood, a function
    giving the covariance at any ``theta``, the method details and the log-determinant used."""
    yd, wyd, zd, wzd = d.transformed
    kind = d.kind
    k = zd.shape[1]
    names = list(d.param_names)
    extra: dict[str, Any] = {}
    logdet = None
    if kind == "none":
        coef = _ml.least_squares(zd, yd)
        e = yd - zd @ coef
        theta = np.concatenate([coef, [float(e @ e) / counts.nobs]])
    else:
        logdet = logdet_for(d.w, logdet_method, cost_based=True)
        beta, sse, opt = _search(d, counts, logdet, tol)
        theta = np.concatenate([beta, [opt.x, sse / counts.nobs]])
        extra.update(logdet_method=logdet.resolved_method, nfev=opt.nfev, polished=opt.polished,
                     bounds=tuple(logdet.bounds))

    def cov_at(th: np.ndarray) -> np.ndarray:
        if cov_type == "hessian":
            dl = logdet.derivative if logdet is not None else None
            hess = _ml.numerical_hessian(lambda v: _ml.score(kind, v, yd, wyd, zd, wzd, dl, counts), th)
            extra["exact_traces"] = None
            return _ml.invert_information(-hess, names + ["sigma2"])
        info, tr = _information(d, th, counts, probes=trace_probes, logdet=logdet)
        extra["exact_traces"] = True if tr is None else tr.exact
        if tr is not None:
            extra.update(traces=tr, traces_rho=float(th[k]))
        return _ml.invert_information(info, names + ["sigma2"])

    return theta, cov_at, extra, logdet


@single_threaded_blas
def fit_fixed(d: _PanelData, *, lee_yu: str, cov_type: str, tol: float, logdet_method: str,
              trace_probes: int | None) -> SpatialPanelResults:
    """Fit the fixed-effects (or no-effects) model on validated panel data."""
    lu_start = LU_STATS.count
    ly, counts = _lee_yu_and_counts(d, lee_yu)
    theta, cov_at, extra, logdet = estimate(d, counts, cov_type=cov_type, tol=tol, logdet_method=logdet_method,
                                            trace_probes=trace_probes)
    # sigma2 = SSE/nobs: theta is the ML estimate of the chosen likelihood
    cov_full = cov_at(theta)
    if ly == "bias-correction":
        theta = _bias_correct(d, theta, cov_full, extra)
        cov_full = cov_at(theta)
    extra["lu_factorizations"] = LU_STATS.count - lu_start
    return _results(d, theta, cov_full, counts, ly, cov_type, extra, logdet)


def _results(d: _PanelData, theta: np.ndarray, cov_full: np.ndarray, counts: EffectiveCounts, ly: str,
             cov_type: str, extra: dict, logdet: LogDet | None, *, cls: type = SpatialPanelResults,
             **fields: Any) -> SpatialPanelResults:
    yd, wyd, zd, wzd = d.transformed
    kind, k = d.kind, zd.shape[1]
    loglik = _ml.full_loglik(kind, theta, yd, wyd, zd, wzd, logdet, counts)
    theta_max = extra.pop("_theta_max", None)
    if theta_max is not None:  # bias-corrected: loglik (LR, AIC, BIC) is the maximum, not the value at the correction
        extra["loglik_at_corrected"] = float(loglik)
        loglik = _ml.full_loglik(kind, theta_max, yd, wyd, zd, wzd, logdet, counts)
    resid = filtered = _ml.residual(kind, theta, yd, wyd, zd, wzd)
    if kind == "error":  # structural residual y - Z beta; the filtered one is kept apart
        resid = yd - zd @ theta[:k]
    fitted = yd - resid
    r2 = float(np.corrcoef(yd, fitted)[0, 1] ** 2) if np.std(fitted) > 0 else 0.0
    names = list(d.param_names)
    index = pd.Index(names)
    full_index = pd.Index(names + ["sigma2"])
    values = dict(
        model=d.model, effects=d.effects, lee_yu=ly,
        params=pd.Series(theta[:-1], index=index, name="params"),
        cov_full=pd.DataFrame(cov_full, index=full_index, columns=full_index),
        sigma2=float(theta[-1]), loglik=float(loglik), nobs=int(counts.nobs), n=d.n, t=d.t, r2=r2,
        x_names=d.x_names, wx_names=d.wx_names, w=d.w, y_name=d.y_name, ids=d.ids, times=d.times,
        converged=True, cov_type=cov_type, resid=resid, resid_filtered=filtered if kind == "error" else None,
        extra=extra, data=d,
    )
    return cls(**{**values, **fields})
