r"""Objective weights of composite indicators: entropy, CRITIC, PCA (pure NumPy).

Written by hand (a few lines each; the Python packages that have them -- pymcdm,
pyDecision -- bring a decision-analysis framework for three formulas).  Every
function takes an ``(m, k)`` array ``x`` of m observations (units or unit-years) and
k indicators already oriented by :func:`normalise` and returns the k weights.

**Min-max normalisation** with directions: ``x' = (x - min)/(max - min)`` for a
positive indicator, ``x' = (max - x)/(max - min)`` for a negative one, so that every
``x'`` lies in [0, 1] and rises with the index.

**Entropy weight method** (Shannon entropy of each indicator's shares):

.. math::

    p_{ij} = \frac{x'_{ij} + s}{\sum_i (x'_{ij} + s)}, \quad
    e_j = -\frac{1}{\ln m}\sum_i p_{ij}\ln p_{ij}, \quad
    w_j = \frac{1 - e_j}{\sum_l (1 - e_l)},

with the shift ``s`` (default 1e-4, the usual choice) that keeps ``ln 0`` out; with
``s = 0``, ``0 ln 0 = 0``.

**CRITIC** (Diakoulaki, Mavrotas and Papayannakis 1995): contrast times conflict,

.. math:: C_j = \sigma_j \sum_l (1 - r_{jl}), \quad w_j = C_j / \sum_l C_l,

with ``sigma_j`` the standard deviation of ``x'_j`` and ``r`` their correlations.

**PCA** on the correlation matrix of the oriented indicators (z-scores,
``ddof = 1``): eigenvectors ``v_k`` with eigenvalues ``lambda_k``, each signed so
that its loadings sum to a positive number (if they sum to zero: its largest
loading, the first of equal ones, positive), so the index rises with the indicators.  ``"first"``: coefficients ``v_1``;
``"variance"``: ``sum_k (lambda_k / sum lambda) v_k`` over the retained components
(eigenvalue above 1, Kaiser's rule, at least one; or ``n_components``).  Weights are
the coefficients divided by the sum of their absolute values (so a negative weight
shows an indicator that moves against its declared direction in the data); the
index is ``Z w``.

References
----------
Shannon, C. E. (1948); Zou, Yun and Sun (2006), Entropy method for determination of
weight of evaluating indicators in fuzzy synthetic evaluation, J. Environ. Sci. 18.
Diakoulaki, D., Mavrotas, G. and Papayannakis, L. (1995). Determining objective
weights in multiple criteria problems: the CRITIC method. Comput. Oper. Res. 22.
Jolliffe, I. T. (2002). Principal Component Analysis, 2nd ed. Springer.

Verification (``tests/test_indicators.py``, through :func:`~spillmap.indicators.composite_index`):
entropy (``s = 0``; default shift with a negative indicator), CRITIC (3 x 2, and an element-wise
transcription on 5 x 3) and PCA weights (``"first"`` (1/2, 1/2), ``"variance"`` (1, r)/(1 + r), the
zero-sum sign rule giving (1/2, -1/2)) equal closed forms worked by hand, as do the entropy and
PCA ``"first"`` indices, to 1e-12.
"""
from __future__ import annotations

import numpy as np

__all__ = ["normalise", "entropy_weights", "critic_weights", "pca_weights"]


def normalise(x: np.ndarray, negative: np.ndarray) -> np.ndarray:
    """Min-max normalisation of each column; ``negative`` (k,) flips a column's direction."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    pos = (x - lo) / (hi - lo)
    return np.where(negative, 1.0 - pos, pos)


def entropy_weights(xn: np.ndarray, shift: float) -> np.ndarray:
    """Entropy weights of normalised indicators ``xn`` (m, k)."""
    m = xn.shape[0]
    v = xn + shift
    p = v / v.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(m)
    d = 1.0 - e
    return d / d.sum()


def critic_weights(xn: np.ndarray) -> np.ndarray:
    """CRITIC weights of normalised indicators ``xn`` (m, k)."""
    sd = xn.std(axis=0, ddof=1)
    r = np.corrcoef(xn, rowvar=False)
    c = sd * (1.0 - r).sum(axis=0)
    return c / c.sum()


def _signed(v: np.ndarray) -> np.ndarray:
    """``v`` with its loadings summing to a positive number; if they sum to 0 (within
    rounding), with its largest loading positive (the first of equal ones)."""
    a = np.abs(v)
    total = v.sum()
    if abs(total) <= 1e-9 * a.sum():
        j = int(np.flatnonzero(a >= a.max() * (1 - 1e-9))[0])
        return v if v[j] > 0 else -v
    return v if total > 0 else -v


def pca_weights(z: np.ndarray, components: str, n_components: int | None) -> tuple[np.ndarray, np.ndarray]:
    """PCA weights of standardised, oriented indicators ``z`` (m, k); also the eigenvalues."""
    lam, vec = np.linalg.eigh(np.corrcoef(z, rowvar=False))
    order = np.argsort(lam)[::-1]
    lam, vec = lam[order], vec[:, order]
    vec = np.column_stack([_signed(vec[:, j]) for j in range(vec.shape[1])])
    if components == "first":
        coef = vec[:, 0]
    else:
        keep = n_components if n_components else max(1, int(np.sum(lam > 1.0)))
        share = lam[:keep] / lam[:keep].sum()
        coef = vec[:, :keep] @ share
    return coef / np.abs(coef).sum(), lam
