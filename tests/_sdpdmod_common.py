"""Shared pieces of the SDPDmod reference tests (tests/test_sdpdmod_reference.py,
tests/test_sdpdmod_two_way.py): the Cigar panel in W's order, the tolerance of SDPDmod's
log-determinant table, SDPDmod's dynamic standard errors, the printed-digits check."""
from __future__ import annotations

import numpy as np

from spillmap import datasets


def cigar_panel():
    """Cigar with ``logc``, ``logp``, ``logy``, sorted by year then W's order; and ``rownor(usa46)``."""
    c = datasets.cigar()
    c = c.assign(logc=np.log(c.sales), logp=np.log(c.price / c.cpi), logy=np.log(c.ndi / c.cpi))
    w = datasets.cigar_w().row_standardize()
    pos = c["state"].astype(str).map({i: k for k, i in enumerate(w.ids)})
    c = c.assign(pos=pos).sort_values(["year", "pos"]).reset_index(drop=True)
    return c, w


def epsilon(w_dense: np.ndarray, t: int, lo: float, hi: float) -> float:
    """What a nearest-point log-determinant table of step 0.001 can cost the concentrated likelihood
    over [lo, hi]: T * max |tr(W (I - rho W)^{-1})| * 0.0005."""
    ev = np.linalg.eigvals(w_dense).real
    return t * max(abs(np.sum(ev / (1 - r * ev))) for r in np.linspace(lo, hi, 21)) * 0.0005


def sdpdmod_se(oracle, coef, rho, s2, *, basis=None, cov=None):
    """SDPDmod's dynamic standard errors at ``(coef, rho, s2)``: ``sqrt(diag(S + S Omega S) / (N T))``
    with ``S`` the inverse *average* information (spillmap's dense information matrix, tests/
    _dynamic_oracle.py) and ``Omega`` as SDPDmod's ``f_OMG`` (R/SIG_OMG.R): nonzero in the (rho, sigma2)
    block, scaled by ``(mu4 - 3 sigma^4) / sigma^4``, ``mu4`` the mean fourth power of its ``resid``
    (the transformed y minus ``(I - rho W)^{-1} Z b``).  ``basis``: the ``F_N`` (N x N-1) that takes out
    the time effects of the two-way model (W becomes ``F' W F``, N becomes N - 1); None: unit effects.
    ``cov``: the information's inverse at these estimates, when already at hand (it does not depend on
    the basis)."""
    y, _, z = oracle.design()
    t = oracle.t
    f = np.eye(oracle.n) if basis is None else basis
    n = f.shape[1]
    q = np.kron(np.eye(t) - 1.0 / t, f.T)  # unit demeaning, and F' for the time effects
    yd, zd, w = q @ y, q @ z, f.T @ oracle.ws[0] @ f
    si = np.linalg.inv(np.eye(n) - rho * w)
    g = w @ si
    resid = yd - np.kron(np.eye(t), si) @ (zd @ coef)
    mu4 = float(np.sum(resid**4)) / (n * t)
    k = coef.size
    om = np.zeros((k + 2, k + 2))
    om[k, k] = np.diag(g) @ np.diag(g) / n
    om[k, k + 1] = om[k + 1, k] = np.trace(g) / (2 * s2 * n)
    om[k + 1, k + 1] = 1 / (4 * s2**2)
    om *= (mu4 - 3 * s2**2) / s2**2
    effects, approach = ("individual", "direct") if basis is None else ("twoways", "ydjl")
    avg_inv = (oracle.information(coef, rho, s2, effects, approach) if cov is None else cov) * (n * t)
    return np.sqrt(np.abs(np.diag(avg_inv + avg_inv @ om @ avg_inv)) / (n * t))


def as_printed(values, printed: list[str], *, slack) -> None:
    """Each value within half a unit of the last digit R printed (plus ``slack``)."""
    half = np.array([0.5 * 10.0 ** -len(p.split(".")[1]) for p in printed])
    diff = np.abs(np.asarray(values) - np.array([float(p) for p in printed]))
    assert np.all(diff <= half + slack), list(zip(printed, values))


def numbers(printed) -> np.ndarray:
    return np.array([float(p) for p in printed])
