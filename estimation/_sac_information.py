r"""Expected information matrix of the SAC / SARAR panel with one W (pure numerics).

With ``A = I - rho W``, ``B = I - lambda W``, ``G = W A^{-1}``, ``H = W B^{-1}`` (one W for
both processes, so ``A``, ``B``, ``G``, ``H`` commute and Anselin's ``B G B^{-1}`` is ``G``),
``Q`` the fixed-effects transformation and the counts of
:func:`~spillmap.estimation._transform.effective_counts`, the information of
``(beta, rho, lambda, sigma2)`` is

.. math::

    I_{\beta\beta} = \tilde Z_B'\tilde Z_B/\sigma^2,\quad \tilde Z_B = Q (I_T\otimes B) Z,\qquad
    I_{\beta\rho} = \tilde Z_B' h/\sigma^2,\quad h = Q (I_T\otimes B G) m,

    I_{\rho\rho} = h'h/\sigma^2 + T_{eff}[\operatorname{tr}(GG) + \operatorname{tr}(G'G)],\quad
    I_{\lambda\lambda} = T_{eff}[\operatorname{tr}(HH) + \operatorname{tr}(H'H)],\quad
    I_{\rho\lambda} = T_{eff}[\operatorname{tr}(HG) + \operatorname{tr}(H'G)],

    I_{\rho\sigma^2} = T_{eff}\operatorname{tr}(G)/\sigma^2,\quad
    I_{\lambda\sigma^2} = T_{eff}\operatorname{tr}(H)/\sigma^2,\quad
    I_{\sigma^2\sigma^2} = n_{obs}/(2\sigma^4),\quad I_{\beta\lambda} = I_{\beta\sigma^2} = 0,

``m = Z beta`` plus the fixed effects (least-squares dummy variables, as the SAR information
of :mod:`spillmap.estimation._fixed`).  Anselin (1988), *Spatial Econometrics*, sec. 6.3 (the
SARAR information); panels as Elhorst (2014) sec. 3.3 and Lee & Yu (2010): with the Lee-Yu
transformation and time effects the traces are those of ``W* = F' W F``: ``tr f(W*) =
tr f(W) - f(1)`` for ``HG``, and ``tr(H*'G*) = tr(H'G) - (G'1)'(H'1)/N``
(:func:`spillmap.estimation._ml.adjusted_traces` for the one-parameter terms).

Traces: exact up to :data:`~spillmap.estimation._traces.DENSE_TRACE_MAX_N` units, all from the
dense ``G`` and ``H`` (formed once each); beyond, Hutchinson's estimator with Rademacher probes
and the sparse LUs of ``A`` and ``B``.

Written by hand: spatialreg's ``sacsarlm`` computes this matrix for a cross-section (dense,
R); no Python library has it.  Verification (``tests/test_sac_spatialreg.py``): for a
cross-section and for the unit-demeaned panel stacked with ``I_T kron W`` the standard errors
equal spatialreg 1.2-6's "asymptotic vcov" ones, and the estimates and log-likelihood its ML.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._lu import factor_i_minus
from ._ml import adjusted_traces
from ._traces import DENSE_TRACE_MAX_N, GSolver, Traces, rademacher
from ._transform import EffectiveCounts

__all__ = ["sac_information", "cross_traces"]


def _dense_traces(w: Any, rho: float, lam: float) -> tuple[Traces, Traces, tuple[float, float, float]]:
    """Every trace term, exactly, from the dense ``G`` and ``H`` formed once each (two solves)."""
    wd = w.toarray()
    eye, ones = np.eye(w.n), np.ones(w.n)
    g = np.linalg.solve((eye - rho * wd).T, wd.T).T  # W A^{-1}
    h = np.linalg.solve((eye - lam * wd).T, wd.T).T  # W B^{-1}

    def one(m: np.ndarray) -> Traces:
        m1 = m.T @ ones
        return Traces(float(np.trace(m)), float(np.sum(m * m.T)), float(np.sum(m * m)), float(m1 @ m1), True)

    return one(g), one(h), (float(np.sum(h * g.T)), float(np.sum(h * g)), float((g.T @ ones) @ (h.T @ ones)))


def cross_traces(w: Any, rho: float, lam: float, *, probes: int = 100, seed: int = 12345,
                 lus: tuple[Any, Any] | None = None) -> tuple[float, float, float]:
    """``(tr(HG), tr(H'G), (G'1)'(H'1))`` by Hutchinson's estimator with ``probes`` vectors."""
    n = w.n
    ones = np.ones(n)
    m = w.sparse.tocsc()
    lu_a, lu_b = lus if lus is not None else (factor_i_minus(rho, m), factor_i_minus(lam, m))
    z = rademacher(n, probes, seed)
    gz = w.sparse @ lu_a.solve(z)
    hz = w.sparse @ lu_b.solve(z)
    hgz = w.sparse @ lu_b.solve(np.ascontiguousarray(gz))
    wt1 = w.sparse.T @ ones
    g1, h1 = lu_a.solve(wt1, trans="T"), lu_b.solve(wt1, trans="T")
    return float(np.sum(z * hgz)) / probes, float(np.sum(hz * gz)) / probes, float(g1 @ h1)


def sac_information(d: Any, theta: np.ndarray, w: Any, counts: EffectiveCounts, *,
                    exact: bool | None = None, probes: int = 100) -> tuple[np.ndarray, bool]:
    """Information of ``theta = (beta, rho, lambda, sigma2)`` (module formula) and whether its
    traces are exact.  ``d``: the model's ``_PanelData``; ``w``: its one ``SpatialWeights``."""
    k = d.k_z
    beta, rho, lam, s2 = theta[:k], float(theta[k]), float(theta[k + 1]), float(theta[-1])
    exact = w.n <= DENSE_TRACE_MAX_N if exact is None else exact
    m = w.sparse.tocsc()
    lu_a = factor_i_minus(rho, m)  # the G-products of h need it in any case
    if exact:
        tr_g, tr_h, (hg, htg, g1h1) = _dense_traces(w, rho, lam)
    else:
        lu_b = factor_i_minus(lam, m)
        tr_g = Traces.compute(w, rho, probes=probes, exact=False, lu=lu_a)
        tr_h = Traces.compute(w, lam, probes=probes, exact=False, lu=lu_b)
        hg, htg, g1h1 = cross_traces(w, rho, lam, probes=probes, lus=(lu_a, lu_b))
    g, gg, gtg = adjusted_traces(tr_g, w.n, rho, counts.time_adj)
    h, hh, hth = adjusted_traces(tr_h, w.n, lam, counts.time_adj)
    if counts.time_adj:
        hg, htg = hg - 1.0 / ((1.0 - rho) * (1.0 - lam)), htg - g1h1 / w.n

    def filt(v: np.ndarray) -> np.ndarray:  # (I_T kron B) v
        return v - lam * w.lag_panel(v, d.t)

    zb = d.demean(filt(d.Z))
    raw = d.y - rho * d.Wy
    mean = raw - d.demean(raw - d.z_beta(beta))  # Z beta + the fixed effects (LSDV)
    hvec = d.demean(filt(GSolver(w, rho, lu=lu_a).apply_panel(mean, d.t)))
    te = counts.t_eff
    info = np.zeros((k + 3, k + 3))
    info[:k, :k] = zb.T @ zb / s2
    info[:k, k] = info[k, :k] = zb.T @ hvec / s2
    info[k, k] = float(hvec @ hvec) / s2 + te * (gg + gtg)
    info[k + 1, k + 1] = te * (hh + hth)
    info[k, k + 1] = info[k + 1, k] = te * (hg + htg)
    info[k, k + 2] = info[k + 2, k] = te * g / s2
    info[k + 1, k + 2] = info[k + 2, k + 1] = te * h / s2
    info[k + 2, k + 2] = counts.nobs / (2.0 * s2 * s2)
    return info, bool(exact and tr_g.exact and tr_h.exact)
