r"""Covariances of the slopes *conditional* on the spatial and variance parameters
(the covariances R splm's ``sphtest`` compares).

Written by hand (numpy) from splm 1.6-5: ``spreml`` reports for a random-effects fit
``covB = sigma2 (X' Sigma^{-1} X)^{-1}`` at the estimated ``(phi, rho/lambda)``
(``R/sarREmod.R``, ``R/semREmod.R``) and ``spml(model="within")`` reports for the
slopes ``vcov(lm(y~ - rho Wy~ ~ X~ - 1))`` (``R/likelihoodsFE.R``), i.e.
``s^2 (X~'X~)^{-1}`` with ``s^2 = SSE / (NT - k)`` on the within-transformed (and,
for the SEM, spatially filtered) data.  Neither accounts for the estimation of the
spatial parameter, unlike the marginal covariance (the slopes block of the inverse
information matrix) that :func:`spillmap.estimation.hausman.hausman` uses by
default.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["fe_conditional_cov", "re_conditional_cov"]


def fe_conditional_cov(fe: Any) -> np.ndarray:
    """``s^2 (Z~'Z~)^{-1}`` of a fixed-effects fit, ``s^2 = SSE/(NT - k)`` (splm's ``lm`` step).

    ``Z~`` is the within-transformed ``[X, WX]``; for SEM/SDEM it is filtered,
    ``Z~ - lambda W Z~``, and the residual is the filtered one.
    """
    d = fe.data
    yd, wyd, zd, wzd = d.transformed
    k = zd.shape[1]
    par = float(fe.params.iloc[k]) if d.kind != "none" else 0.0
    beta = fe.params.iloc[:k].to_numpy()
    if d.kind == "error":
        zf = zd - par * wzd
        r = (yd - par * wyd) - zf @ beta
    else:
        zf = zd
        r = yd - par * wyd - zd @ beta
    s2 = float(r @ r) / (r.size - k)
    return s2 * np.linalg.inv(zf.T @ zf)


def re_conditional_cov(re: Any) -> np.ndarray:
    """``sigma2 (Z' Sigma^{-1} Z)^{-1}`` of a random-effects fit at its ``(phi, rho/lambda)``.

    Rows/columns follow ``re.data.z_names`` (``const`` first); with time-period
    effects the period dummies are included and then marginalised out.
    """
    from . import random_effects as rem

    d = re.data
    n, t = d.n, d.t
    z = d.Z
    kz = z.shape[1]
    if re.extra.get("time_effects"):
        z = np.column_stack([z, rem._time_dummies(n, t)])
    phi = float(re.extra["phi"])
    if d.kind == "lag":
        zs = rem._quasi_demean(z, phi, n, t)
        a = zs.T @ zs
    else:
        lam = float(re.params[d.param_names[kz]])
        wsp = d.w.sparse
        work = rem._SEMWork(wsp, lam, phi, t)
        within, zb = rem._sem_quad(z, rem._lag_panel(wsp, z, n, t), lam, work, n, t)
        a = within.T @ within + t * (zb.T @ work.s(zb))
    cov = float(re.sigma2) * np.linalg.inv((a + a.T) / 2)
    return cov[:kz, :kz]
