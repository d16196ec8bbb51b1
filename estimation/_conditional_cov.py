r"""The random-effects covariance of the slopes *conditional* on the estimated variance
ratio and spatial parameter (the RE covariance R splm's ``sphtest`` uses).

Written by hand (numpy) from splm 1.6-5: ``spreml`` reports for a random-effects fit
``covB = sigma2 (X' Sigma^{-1} X)^{-1}`` at the estimated ``(phi, rho/lambda)``
(``R/sarREmod.R``, ``R/semREmod.R``): the GLS covariance, which ignores the estimation
of ``phi`` and ``rho``/``lambda``.  (The fixed-effects side of ``sphtest`` is
``spml(model="within")``'s slopes block of the inverse information matrix with its
default ``Hess=FALSE`` (``R/likelihoodsFE.R``), i.e. the FE fit's own covariance.)

Verification (``tests/test_hausman_conditional.py``): for SAR and SEM random-effects fits on
Produc (us48 queen W), :func:`re_conditional_cov` equals a dense transcription of splm's
``sigma2 (Z' Sigma^{-1} Z)^{-1}`` with the explicit NT x NT ``Sigma`` (1e-9 relative), and the
conditional Hausman statistic built on it equals R/sphtest.R's ``|d' (V_RE - V_FE)^{-1} d|`` (1e-8).
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["re_conditional_cov"]


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
