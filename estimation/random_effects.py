"""Random-effects spatial panel models (SAR, SDM, SEM) by maximum likelihood.

Model (Elhorst 2003; Elhorst 2014, *Spatial Econometrics*, ch. 3), data stacked
time-major (all units for t = 1, then t = 2, ...), ``mu_i ~ N(0, sigma2_mu)``
independent of ``eps ~ N(0, sigma2 I)``:

* SAR / SDM: ``y = rho (I_T kron W) y + X b + (iota_T kron I_N) mu + eps``
  (for the SDM, ``X`` holds ``[x, W x]``);
* SEM: ``y = X b + (iota_T kron I_N) mu + (I_T kron B^{-1}) eps``, ``B = I - lambda W``.

Both carry a constant.  With ``phi^2 = sigma2 / (T sigma2_mu + sigma2)`` and the
quasi-demeaning ``z* = z - (1 - phi) zbar_i`` (unit means over time):

* SAR/SDM log-likelihood (Elhorst 2014, ch. 3; his MATLAB ``f2_resar.m``)::

      log L = -NT/2 ln(2 pi sigma2) + N/2 ln(phi^2) + T ln|I - rho W|
              - e'e / (2 sigma2),       e = y* - rho (Wy)* - X* b,

  where ``Wy`` is formed on the raw data and then quasi-demeaned (the transform
  commutes with ``I_T kron W``).
* SEM log-likelihood (Elhorst 2003; his MATLAB ``f2_respat.m``, which assumes a symmetric W),
  with ``theta = sigma2_mu / sigma2 = (1/phi^2 - 1)/T``, ``u = y - X b``::

      log L = -NT/2 ln(2 pi sigma2) + T ln|B| - 1/2 ln|I + T theta B'B|
              - 1/(2 sigma2) [ sum_t ||B (u_t - ubar)||^2
                               + T ubar' (I + T theta B'B)^{-1} B'B ubar ].

What is hand-written and why: spreg 1.9's ``Panel_RE_Lag``/``Panel_RE_Error`` port
Elhorst's MATLAB code, but (i) the SAR information matrix they use (Elhorst's formula,
with zero beta-phi blocks) gives a standard error of rho about 8x too small on Produc's
SDM (0.004 against 0.034 here; the observed-information SEs used here match a dense
numerical Hessian and are calibrated in Monte Carlo), (ii) their ``logll`` omits the
``N/2 ln(phi^2)`` term, (iii) their SEM-RE uses the eigenvector shortcut below and stops
short of the maximum (4.6 log-likelihood points on Produc with a symmetric W), and (iv)
there is no SDM, Hausman test or time-effects option.  So the likelihoods, their
maximisation and the variance are written here with numpy/scipy; spreg's SAR/SDM
estimates are a test oracle (they agree to 1e-6).  ``ln|I - rho W|`` uses the eigenvalues
of W (``SpatialWeights.eigenvalues``, cached) up to N = 2,500 and a sparse LU beyond
(:class:`spillmap.estimation._logdet.LogDet`, with the traces of
:class:`~spillmap.estimation._logdet.Traces`); ``ln|I + T theta B'B|`` and the solve with
it use a sparse LU (``scipy.sparse.linalg.splu``) for every W.  Elhorst's
``sem_panel_RE.m`` replaces both with the eigen-decomposition of W, which is exact only
for a *symmetric* W: for a row-standardised W the eigenvectors are not orthogonal and
``B'B`` is not diagonalised by them, so that shortcut is deliberately not used.

Maximisation: the log-likelihood is concentrated in ``b`` (GLS) and ``sigma2`` and
maximised jointly over ``(rho or lambda, phi)`` by nested bounded Brent searches
(``phi`` outer, ``rho`` inner for SAR/SDM, where the inner problem is the classical
quadratic-in-rho concentrated likelihood; ``lambda`` outer, ``phi`` inner for SEM),
followed for SAR/SDM by Newton steps on the full log-likelihood with the analytic
Hessian (eigenvalue route only).  This is the joint maximum that Elhorst's alternating ``sar_panel_RE.m``
iteration (``fminbnd`` with ``TolX = 0.005``) approaches.

Variance: the inverse of the observed information (minus the Hessian of the full
log-likelihood in ``(b, rho, phi, sigma2)``), analytic for SAR/SDM (its trace terms
are stochastic for N > 3,000) and by central finite differences for SEM.
``sigma2_mu`` is reported with a delta-method SE.

Files: this module prepares the data and assembles the result (:func:`fit_random`); the
SAR/SDM likelihood and its maximisation are in :mod:`._re_sar`, the SEM's in
:mod:`._re_sem`, the shared pieces in :mod:`._re_common` (all re-exported here).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from spillmap._threads import limit_blas
from spillmap._vocab import RE_MODELS

from ._re_common import (  # noqa: F401  (re-exported: _conditional_cov, _mundlak, sac and the tests use them)
    REFit,
    _bounds_inside,
    _EigLogdet,
    _inv_info,
    _LULogdet,
    _numerical_hessian,
    _quasi_demean,
    _time_dummies,
)
from ._re_sar import _sar_re_hessian, fit_sar_re_arrays, sar_re_loglik  # noqa: F401
from ._re_sem import _lag_panel, _sem_quad, _SEMWork, fit_sem_re_arrays, sem_re_loglik  # noqa: F401

if TYPE_CHECKING:
    from .model import SpatialPanel
    from .results import SpatialPanelResults

__all__ = [
    "REFit",
    "sar_re_loglik",
    "sem_re_loglik",
    "fit_sar_re_arrays",
    "fit_sem_re_arrays",
    "fit_random",
]


def fit_random(spec: SpatialPanel, *, cov_type: str = "information", tol: float = 1e-10,
               time_effects: bool = False) -> SpatialPanelResults:
    """Fit a :class:`~spillmap.estimation.SpatialPanel` with ``effects="random"``.

    Called by :meth:`SpatialPanel.fit`; see the module docstring for the model,
    likelihoods and maximisation.

    Parameters
    ----------
    spec
        The ``SpatialPanel`` specification (``model`` in sar/sdm/sem).
    cov_type
        Accepted for the common interface; the covariance is always the inverse of
        minus the Hessian of the full log-likelihood (analytic for SAR/SDM,
        finite differences for SEM), recorded as ``cov_type="hessian"``.
    tol
        Absolute tolerance of the searches over ``rho``/``lambda`` and ``phi``.
    time_effects
        Add time-period fixed effects (``T - 1`` period dummies next to the constant,
        not spatially lagged) to the random unit effects, as in Elhorst's demo
        "spatial random effects and time-period fixed effects".  The dummies are
        estimated jointly (exact ML; T is small, so there is no incidental-parameter
        problem) and then left out of ``params``/``cov_full`` (their rows and columns
        are dropped from the inverse information, i.e. the marginal covariance).
        Needed for a Hausman comparison with a two-way fixed-effects fit.

    Returns
    -------
    SpatialPanelResults
        ``params``: regressors (``const`` first), ``W_<x>`` (SDM), ``rho``/``lambda``,
        then ``phi`` (``phi^2 = sigma2/(T sigma2_mu + sigma2)``); ``cov_full`` adds
        ``sigma2``.  ``extra`` holds ``sigma2_mu`` and its delta-method
        ``sigma2_mu_se``, ``theta = sigma2_mu/sigma2``, ``hessian`` and ``nfev``.

    Raises
    ------
    InputError
        SLX/SDEM models (not implemented with random effects) or T < 2.
    ConvergenceError
        ``rho``/``lambda`` at a bound.

    Verification
    ------------
    See :func:`fit_sar_re_arrays`, :func:`fit_sem_re_arrays`; through this entry point
    ``tests/test_random_effects_model.py`` checks the assembled results against the
    array fits and a dense oracle; ``tests/test_splm_reference.py`` the SAR and SEM fits on
    Produc against R splm 1.6-5's ``spml(model="random")`` (estimates within its optimiser's
    stopping rule, log-likelihood 1e-10, its GLS standard errors 1e-5).
    """
    from ._checks import check_flag
    from .results import emit_fit_warnings

    time_effects = check_flag("time_effects", time_effects)
    with limit_blas():  # one BLAS thread for the numerics (spillmap._threads); no extra frame for the warnings
        res = _fit_random(spec, cov_type=cov_type, tol=tol, time_effects=time_effects)
    emit_fit_warnings(res, stacklevel=2)  # islands in W, rho/lambda near a bound (issue 8)
    return res


def _fit_random(spec, *, cov_type: str, tol: float, time_effects: bool):
    """The numerics of :func:`fit_random` (its results, before the warnings)."""
    from ._logdet import EIGEN_MAX_N, LogDet

    d = spec.data
    _check_random(d)
    n, t = d.n, d.t
    z = d.Z
    kz = z.shape[1]
    n_dum = t - 1 if time_effects else 0
    if n_dum:
        z = np.column_stack([z, _time_dummies(n, t)])
    w = d.w
    ld = _EigLogdet(np.asarray(w.eigenvalues)) if n <= EIGEN_MAX_N else _LULogdet(w)
    bounds = _bounds_inside(LogDet(w, "eigen" if n <= EIGEN_MAX_N else "lu").bounds)
    if d.kind == "lag":
        fit = fit_sar_re_arrays(d.y, d.Wy, z, ld, n, t, rho_bounds=bounds, tol=tol)
        resid = _quasi_demean(fit.resid, fit.phi, n, t)
        fitted = d.y - fit.resid  # rho W y + Z b, with the observed spatial lag
        filtered = None
    else:
        fit = fit_sem_re_arrays(d.y, z, w.sparse, ld, n, t, lam_bounds=bounds, tol=tol)
        resid = fit.resid  # structural residual y - Z b
        fitted = d.y - resid
        filtered = resid - fit.theta[kz + n_dum] * w.lag_panel(resid, t)  # u - lambda W u
    theta = fit.theta
    cov_full = fit.cov_full
    if n_dum:  # drop the period dummies (marginal covariance of the rest)
        keep = np.r_[0:kz, kz + n_dum : theta.size]
        theta = theta[keep]
        cov_full = cov_full[np.ix_(keep, keep)]
    extra = {
        "sigma2_mu": fit.sigma2_mu,
        "sigma2_mu_se": fit.sigma2_mu_se,
        "phi": fit.phi,
        "theta": fit.sigma2_mu / fit.sigma2,
        "hessian": fit.hessian,
        "nfev": fit.iterations,
        "logdet_method": "eigen" if isinstance(ld, _EigLogdet) else "lu",
        "bounds": tuple(bounds),
        "random_effects": "individual",
        "time_effects": bool(time_effects),
    }
    return _results(d, fit, theta, cov_full, resid, fitted, extra, filtered)


def _check_random(d) -> None:
    """Refuse, before any work, a model or panel the random-effects estimators do not cover."""
    from spillmap.errors import InputError

    if d.model not in RE_MODELS:
        raise InputError(
            f"random effects are implemented for the models {', '.join(RE_MODELS)}, not {d.model!r}; "
            "use fixed effects for SLX/SDEM."
        )
    if d.t < 2:
        raise InputError("random effects need a panel with at least two periods (T >= 2); this data has T = 1.")


def _results(d, fit, theta, cov_full, resid, fitted, extra, filtered):
    """The :class:`SpatialPanelResults` of a random-effects fit (``theta`` and ``cov_full``
    without the period dummies; ``phi`` is reported as a parameter, ``sigma2`` apart)."""
    import pandas as pd

    from .results import SpatialPanelResults

    pnames = list(d.param_names) + ["phi"]
    full = pd.Index(pnames + ["sigma2"])
    r2 = float(np.corrcoef(d.y, fitted)[0, 1] ** 2) if np.std(fitted) > 0 else 0.0
    return SpatialPanelResults(
        model=d.model,
        effects="random",
        lee_yu="none",
        params=pd.Series(theta[:-1], index=pd.Index(pnames), name="params"),
        cov_full=pd.DataFrame(cov_full, index=full, columns=full),
        sigma2=float(fit.sigma2),
        loglik=float(fit.loglik),
        nobs=d.n * d.t,
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
        cov_type="hessian",
        resid=resid,
        resid_filtered=filtered,
        extra=extra,
        data=d,
    )
