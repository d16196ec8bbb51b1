r"""SAC / SARAR spatial panel with fixed effects by maximum likelihood.

Model (Elhorst 2014, sec. 3.3; Lee & Yu 2010, whose general model is this one), data
stacked time-major, ``W_NT = I_T kron W``::

    y = rho W_NT y + Z beta + fixed effects + u,     u = lambda W_NT u + eps,

``Z`` the regressors (with ``W X`` for a Durbin variant).  With the within (or Lee-Yu)
transformation ``~`` applied after the spatial lags, ``B = I - lambda W`` and the
filtered residual ``e = (y~ - rho (Wy)~) - lambda ((Wy)~ - rho (WWy)~) - (Z~ - lambda
(WZ)~) beta``, the log-likelihood is

.. math::

    \ell = -\tfrac{n_{obs}}2 \ln(2\pi\sigma^2) - \tfrac{e'e}{2\sigma^2}
           + T_{eff}\,[\ln|I-\rho W| - a\ln(1-\rho)] + T_{eff}\,[\ln|I-\lambda W| - a\ln(1-\lambda)]

with ``n_obs``, ``T_eff`` and ``a`` of :func:`spillmap.estimation._transform.effective_counts`
(``a = 1`` only for the Lee-Yu transformation with time effects).  ``beta`` and
``sigma2`` are concentrated out through the moments of
``[y~, (Wy)~, (WWy)~, Z~, (WZ)~]`` (a ``(3+2k)^2`` Gram matrix), so one evaluation of
the concentrated likelihood costs two log-determinants (:class:`LogDet`, the sparse
machinery, called through its public ``__call__``/``bounds`` only) and a ``k x k`` solve.
Maximisation: L-BFGS-B on ``(rho, lambda)`` from four starting points, then a
Nelder-Mead polish of the best.  Covariance (``cov_type``): the inverse of the expected
information (``"information"``, the default, :mod:`spillmap.estimation._sac_information`:
Anselin 1988's SARAR matrix, spatialreg's "asymptotic vcov") or of minus the central-difference
Hessian of the full log-likelihood in ``(beta, rho, lambda, sigma2)`` (``"hessian"``, the
observed information).  With ``lambda = 0`` the concentrated likelihood is exactly the SAR one.
One W (a W given per period must be the same in every period).

Written by hand: no Python library estimates a fixed-effects SARAR panel by ML
(spreg's ``GM_Combo`` is GMM for a cross-section).  Effects: the SAR formulas with
``rho`` (the error process has no spillover of x), in
:func:`~spillmap.estimation.effects.compute_effects`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from spillmap._vocab import COV_TYPES, FIXED_EFFECTS
from spillmap.errors import ConvergenceError, InputError, WeightsError, check_choice

from ._logdet import LogDet
from ._ml import invert_information, jacobian
from ._transform import EffectiveCounts, effective_counts
from .results import SpatialPanelResults

__all__ = ["SACResults", "fit_sac", "sac_gram", "sac_beta_sse", "sac_concentrated", "sac_loglik"]


class SACResults(SpatialPanelResults):
    """:class:`SpatialPanelResults` of a SAC model: ``params`` end with ``rho``, ``lambda``.

    ``impacts()`` (:func:`~spillmap.estimation.effects.compute_effects`) uses the SAR formulas in
    ``rho`` and ``beta``; ``lambda`` is dropped."""


def sac_gram(d: Any) -> np.ndarray:
    """Stacked ``V = [y~, (Wy)~, (WWy)~, Z~, (WZ)~]`` (lags on the raw data, then transformed)."""
    t = d.t
    z = d.Z
    wwy = d.w.lag_panel(d.Wy, t)
    wz = d.w.lag_panel(z, t) if z.shape[1] else np.zeros_like(z)
    return d.demean(np.column_stack([d.y, d.Wy, wwy, z, wz]))


def _one_w(w: Any) -> Any:
    """The one ``SpatialWeights`` of the model (a W given per period must be constant)."""
    if not hasattr(w, "groups"):
        return w
    if not w.is_constant:
        raise InputError("the SAC model takes one W for every period; one W per period is implemented for the "
                         "SAR, SDM, SEM, SLX and SDEM models.")
    return w.groups[0][0]


def _coefs(rho: float, lam: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    c = np.zeros(3 + 2 * k)
    c[:3] = (1.0, -(rho + lam), rho * lam)
    cz = np.zeros((3 + 2 * k, k))
    cz[3 : 3 + k] = np.eye(k)
    cz[3 + k :] = -lam * np.eye(k)
    return c, cz


def sac_beta_sse(rho: float, lam: float, gram: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """GLS ``beta`` and the sum of squared filtered residuals at ``(rho, lambda)`` from ``V'V``."""
    c, cz = _coefs(rho, lam, k)
    gc = gram @ c
    a = cz.T @ gram @ cz
    b = np.linalg.solve(a, cz.T @ gc) if k else np.zeros(0)
    return b, float(c @ gc - (cz.T @ gc) @ b)


def sac_concentrated(rho: float, lam: float, gram: np.ndarray, k: int, logdet: Callable[[float], float],
                     counts: EffectiveCounts) -> float:
    """Concentrated log-likelihood (constants dropped): ``-nobs/2 ln(SSE/nobs) + jac(rho) + jac(lambda)``."""
    _, sse = sac_beta_sse(rho, lam, gram, k)
    return -counts.nobs / 2 * np.log(sse / counts.nobs) + jacobian(rho, logdet, counts) + jacobian(lam, logdet, counts)


def sac_loglik(theta: np.ndarray, v: np.ndarray, k: int, logdet: Callable[[float], float],
               counts: EffectiveCounts) -> float:
    """Full log-likelihood at ``theta = (beta, rho, lambda, sigma2)`` from the stacked ``V``."""
    beta, rho, lam, s2 = theta[:k], theta[k], theta[k + 1], theta[k + 2]
    if s2 <= 0:
        return -np.inf
    c, cz = _coefs(rho, lam, k)
    e = v @ c - (v @ cz) @ beta
    return float(-counts.nobs / 2 * np.log(2 * np.pi * s2) - e @ e / (2 * s2)
                 + jacobian(rho, logdet, counts) + jacobian(lam, logdet, counts))


def _maximise(gram: np.ndarray, k: int, logdet, counts, bounds, tol: float,
              lam_fixed: float | None) -> np.ndarray:
    """``(rho, lambda)`` maximising the concentrated likelihood: four L-BFGS-B starts, the best
    polished by Nelder-Mead, and the higher of the two kept.

    Raises :class:`ConvergenceError` when no start and not the polish reports convergence.  A
    converged start certifies the maximum; the point kept has a likelihood at least as high as
    every start's, so it is kept even when the start it came from reported an abnormal
    line-search end.  Near the maximum the likelihood's rounding noise (~1e-12 here) exceeds the
    polish's ``fatol`` and the line search's last decrease, so which flag a start ends with depends
    on the BLAS kernels (Prescott OpenBLAS: the best start by 1e-12 ended in
    ABNORMAL_TERMINATION_IN_LNSRCH, three others converged, on US Produc via the CLI)."""
    lo, hi = bounds
    inner = (lo + 1e-6 * abs(lo), hi - 1e-6 * abs(hi))
    if lam_fixed is not None:
        r = optimize.minimize_scalar(lambda p: -sac_concentrated(p, lam_fixed, gram, k, logdet, counts),
                                     bounds=inner, method="bounded", options={"xatol": tol})
        if not r.success:
            raise ConvergenceError(f"the SAC likelihood search in rho did not converge ({r.message}).")
        return np.array([r.x, lam_fixed])

    def neg(p: np.ndarray) -> float:
        return -sac_concentrated(p[0], p[1], gram, k, logdet, counts)

    starts = [(0.0, 0.0), (0.5, 0.0), (0.0, 0.5), (0.4, 0.4)]
    runs = [optimize.minimize(neg, np.clip(s, *inner), method="L-BFGS-B", bounds=[inner, inner],
                              options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 1000}) for s in starts]
    best = min(runs, key=lambda r: r.fun)
    pol = optimize.minimize(neg, best.x, method="Nelder-Mead",
                            options={"xatol": tol, "fatol": 1e-14, "maxiter": 4000})
    if not (any(r.success for r in runs) or pol.success):
        raise ConvergenceError(f"the SAC likelihood search in (rho, lambda) did not converge (L-BFGS-B: {best.message}; "
                               f"Nelder-Mead: {pol.message}); check the scaling of the variables.")
    x = pol.x if pol.fun <= best.fun else best.x
    return np.asarray(x, dtype=float)


def fit_sac(d: Any, *, lee_yu: str = "transformation", tol: float = 1e-10, logdet_method: str = "auto",
            lam_fixed: float | None = None, cov_type: str = "information",
            trace_probes: int | None = None) -> SACResults:
    """Fit the SAC panel on a validated ``_PanelData`` (called by ``SpatialPanel.fit``).

    Parameters
    ----------
    d
        ``SpatialPanel(..., model="sac").data``.
    lee_yu
        ``"none"`` or ``"transformation"`` (``"bias-correction"`` is not defined for SAC).
    lam_fixed
        Impose ``lambda`` (e.g. 0 to recover the SAR fit); ``lambda`` is then still
        reported, with the covariance of the free parameters only.
    cov_type
        ``"information"`` (expected) or ``"hessian"`` (observed information).
    trace_probes
        Hutchinson probes of the information's traces above ``DENSE_TRACE_MAX_N`` units.

    Verification
    ------------
    ``tests/test_sac.py``: with ``lambda = 0`` imposed the concentrated and full
    log-likelihoods equal the SAR ones to 1e-12 and the fit equals ``model="sar"``
    (rho 1e-7 from the two optimisers' xatol, loglik 1e-9); the concentrated
    likelihood equals a dense transcription (explicit ``I_T kron B``, ``slogdet``) to
    1e-10; the numerical-Hessian SEs of the SAR special case equal the SAR
    information-matrix SEs within 1e-3 relative (finite-difference step); the ML
    estimates recover simulated SARAR parameters.  ``tests/test_sac_spatialreg.py``: estimates,
    log-likelihood and information SEs equal R spatialreg's ``sacsarlm`` (cross-section and
    unit-demeaned panel).
    """
    if lee_yu == "bias-correction":
        raise InputError("lee_yu='bias-correction' is not available for the SAC model; use 'transformation' or 'none'.")
    if d.effects == "random":
        raise InputError("the SAC model is implemented with fixed effects (or none), not random effects.")
    check_choice("cov_type", cov_type, COV_TYPES)
    w = _one_w(d.w)
    ly = lee_yu if d.effects in FIXED_EFFECTS else "none"
    if d.effects in ("time", "twoways") and not w.is_row_standardized:
        raise WeightsError("the SAC model with time effects needs a row-standardised W (the spatial filter of the "
                           "error then commutes with the time demeaning); use w.row_standardize().")
    if d.effects in ("time", "twoways") and len(w.islands):
        from spillmap.errors import format_items

        raise WeightsError(f"the SAC model with time effects needs W 1 = 1, but W has {len(w.islands)} island(s) "
                           f"({format_items(w.islands, 5)}) whose rows are zero; link them (islands='nearest' when "
                           "building W).")
    counts = effective_counts(d.n, d.t, d.effects, ly)
    v = sac_gram(d)
    gram = v.T @ v
    k = d.k_z
    logdet = LogDet(w, logdet_method)
    rho, lam = _maximise(gram, k, logdet, counts, logdet.bounds, tol, lam_fixed)
    lo, hi = logdet.bounds
    for name, val in (("rho", rho), ("lambda", lam)):
        if lam_fixed is not None and name == "lambda":
            continue
        if min(val - lo, hi - val) < 1e-4 * (hi - lo):
            raise ConvergenceError(f"the SAC estimate of {name} ({val:.6f}) is at the bound of ({lo:.4f}, {hi:.4f}).")
    beta, sse = sac_beta_sse(rho, lam, gram, k)
    theta = np.concatenate([beta, [rho, lam, sse / counts.nobs]])
    free = [i for i in range(theta.size) if not (lam_fixed is not None and i == k + 1)]

    def f(th_free: np.ndarray) -> float:
        th = theta.copy()
        th[free] = th_free
        return sac_loglik(th, v, k, logdet, counts)

    names = list(d.z_names) + ["rho", "lambda", "sigma2"]
    exact = None
    if cov_type == "hessian":
        from ._re_common import _numerical_hessian

        info = -_numerical_hessian(f, theta[free])
    else:
        from ._fixed import default_probes
        from ._sac_information import sac_information

        full, exact = sac_information(d, theta, w, counts, probes=trace_probes or default_probes(d.n))
        info = full[np.ix_(free, free)]
    cov = np.zeros((theta.size, theta.size))
    cov[np.ix_(free, free)] = invert_information(info, [names[i] for i in free])
    c, cz = _coefs(rho, 0.0, k)
    resid = v @ c - (v @ cz) @ beta  # y~ - rho (Wy)~ - Z~ beta (before the error filter)
    c, cz = _coefs(rho, lam, k)
    filtered = v @ c - (v @ cz) @ beta  # (B u)~: the lags taken before the transformation, as in the likelihood
    fitted = v[:, 0] - resid
    r2 = float(np.corrcoef(v[:, 0], fitted)[0, 1] ** 2) if np.std(fitted) > 0 else 0.0
    idx = pd.Index(names)
    return SACResults(
        model="sac", effects=d.effects, lee_yu=ly, params=pd.Series(theta[:-1], index=idx[:-1]),
        cov_full=pd.DataFrame(cov, index=idx, columns=idx), sigma2=float(theta[-1]),
        loglik=sac_loglik(theta, v, k, logdet, counts), nobs=counts.nobs, n=d.n, t=d.t, r2=r2,
        x_names=d.x_names, wx_names=d.wx_names, w=d.w, y_name=d.y_name, ids=d.ids, times=d.times,
        converged=True, cov_type=cov_type, resid=resid,
        resid_filtered=filtered,
        extra={"logdet_method": logdet.resolved_method, "bounds": tuple(logdet.bounds), "lambda_fixed": lam_fixed,
               "exact_traces": exact},
        data=d,
    )
