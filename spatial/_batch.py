r"""Moran's I, Geary's C and LISA cluster counts of many columns at once.

Array-level versions of :func:`~spillmap.spatial.autocorrelation.moran`,
:func:`~spillmap.spatial.autocorrelation.geary`,
:func:`~spillmap.spatial.autocorrelation.moran_pooled` and
:func:`~spillmap.spatial.autocorrelation.local_moran` for the screening of many
indicators (:func:`spillmap.screen`): the inputs are already checked (finite, not
constant), one set of permutations serves all columns, and every column reduction
is a pairwise sum over the rows of that column alone
(:func:`~spillmap.spatial._permutation.column_sums`), so a column's numbers do not
depend on which other columns are computed with it.

Written by hand because esda computes one variable per call (about a millisecond of
set-up each, thousands of calls in a screen).  The formulas are esda's (Cliff and
Ord 1981), on stacked data with ``I_T kron W`` when ``t > 1`` (the pooled
statistics; the moments of the block-diagonal matrix are T times those of W):

.. math::

    I = \frac{m}{S_0}\frac{z'Wz}{z'z}, \qquad
    C = \frac{(m - 1)\sum_{ij} w_{ij}(z_i - z_j)^2}{2 S_0\, z'z},

    \operatorname{Var}_R[C] = \frac{(m-1) S_1 [m^2 - 3m + 3 - (m-1)k]
        - \tfrac14 (m-1) S_2 [m^2 + 3m - 6 - (m^2 - m + 2)k]
        + S_0^2 [m^2 - 3 - (m-1)^2 k]}{m (m-2)(m-3) S_0^2},

    \operatorname{Var}_N[C] = \frac{(2 S_1 + S_2)(m - 1) - 4 S_0^2}{2 (m + 1) S_0^2},

with ``k = m \sum z^4 / (\sum z^2)^2``; the Moran moments are
:func:`~spillmap.spatial.autocorrelation.moran_moments`.

**Verification** (``tests/test_screen.py``): every value equals ``moran``,
``geary``, ``moran_pooled`` (esda) to 1e-12 relative, pooled Geary equals esda's
``Geary`` on an explicit block-diagonal W to 1e-12, and the permutation p-values and
LISA counts equal the single-variable functions' exactly for the same seed.
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from spillmap.spatial import _permutation as perm
from spillmap.spatial.autocorrelation import (
    _bh_threshold,
    _weights_sums,
    local_moran_arrays,
    moran_moments,
)
from spillmap.spatial.weights import SpatialWeights

__all__ = ["moran_geary_columns", "lisa_columns", "geary_moments"]


def geary_moments(m: int, s0: float, s1: float, s2: float, z: np.ndarray) -> tuple[np.ndarray, float]:
    """``(Var_R[C], Var_N[C])`` of Geary's C (esda's ``Geary.__moments``); ``z`` (m, c) centred."""
    k = (perm.column_sums(z**4) / m) / (perm.column_sums(z**2) / m) ** 2
    s02 = s0 * s0
    a = (m - 1) * s1 * (m * m - 3 * m + 3 - (m - 1) * k)
    b = 0.25 * ((m - 1) * s2 * (m * m + 3 * m - 6 - (m * m - m + 2) * k))
    c = s02 * (m * m - 3 - (m - 1) ** 2 * k)
    v_rand = (a - b + c) / (m * (m - 2) * (m - 3) * s02)
    v_norm = (1.0 / (2 * (m + 1) * s02)) * ((2 * s1 + s2) * (m - 1) - 4 * s02)
    return v_rand, v_norm


def _two_sided(z: np.ndarray) -> np.ndarray:
    return 2.0 * stats.norm.sf(np.abs(z))


def _geary_numerator(z: np.ndarray, w: SpatialWeights, t: int) -> np.ndarray:
    """``sum_s sum_ij w_ij (z_si - z_sj)^2`` of each column, over all links of all periods."""
    coo = w.sparse.tocoo()
    n = w.n
    rows = np.concatenate([coo.row + s * n for s in range(t)])
    cols = np.concatenate([coo.col + s * n for s in range(t)])
    data = np.tile(coo.data, t)
    return perm.column_sums(data[:, None] * (z[rows] - z[cols]) ** 2)


def moran_geary_columns(
    y: np.ndarray,
    w: SpatialWeights,
    *,
    t: int = 1,
    permutations: int,
    seed: int | None,
    threads: int = 1,
    geary: bool = True,
) -> dict[str, np.ndarray]:
    """Moran's I and Geary's C of each column of ``y`` (m = n t rows, stacked by period).

    Returns arrays keyed ``moran_I, moran_EI, moran_z, moran_p, moran_z_norm,
    moran_p_norm, moran_p_perm, geary_C, geary_z, geary_p, geary_z_norm,
    geary_p_norm, geary_p_perm`` (``z``/``p``: randomisation, two-sided; ``p_perm``:
    esda's folded pseudo p-value from one set of permutations shared by the columns,
    NaN without permutations).  ``geary=False``: the permutations skip Geary's numerator and
    ``geary_p_perm`` is NaN (Moran's pseudo p-values are the same either way).
    """
    y = np.asarray(y, dtype=float)
    m = y.shape[0]
    z = y - perm.column_sums(y) / m
    zz = perm.column_sums(z * z)
    s0, s1, s2 = (t * v for v in _weights_sums(w.sparse))
    i_obs = m / s0 * perm.column_sums(z * w.lag_panel(z, t)) / zz
    ei, vi_norm, vi_rand = moran_moments(m, s0, s1, s2, z)
    c_obs = (m - 1) * _geary_numerator(z, w, t) / (2.0 * s0 * zz)
    vc_rand, vc_norm = geary_moments(m, s0, s1, s2, z)
    out = {
        "moran_I": i_obs,
        "moran_EI": np.full(i_obs.shape, ei),
        "moran_z": (i_obs - ei) / np.sqrt(vi_rand),
        "moran_z_norm": (i_obs - ei) / np.sqrt(vi_norm),
        "geary_C": c_obs,
        "geary_z": (c_obs - 1.0) / np.sqrt(vc_rand),
        "geary_z_norm": (c_obs - 1.0) / np.sqrt(vc_norm),
    }
    for stat in ("moran", "geary"):
        out[f"{stat}_p"] = _two_sided(out[f"{stat}_z"])
        out[f"{stat}_p_norm"] = _two_sided(out[f"{stat}_z_norm"])
    if permutations:
        ge_m, ge_g = perm.global_counts(z, w.sparse, t=t, permutations=permutations, seed=seed, threads=threads,
                                        geary=geary)
        out["moran_p_perm"] = perm.folded_p(ge_m, permutations)
        out["geary_p_perm"] = perm.folded_p(ge_g, permutations) if geary else np.full(i_obs.shape, np.nan)
    else:
        out["moran_p_perm"] = out["geary_p_perm"] = np.full(i_obs.shape, np.nan)
    return out


def lisa_columns(
    y: np.ndarray,
    w: SpatialWeights,
    *,
    permutations: int,
    seed: int | None,
    alpha: float,
    fdr: bool,
) -> dict[str, np.ndarray]:
    """Significant LISA clusters of each column of ``y`` (n, c): counts of HH, LL, HL, LH.

    A unit is significant when its pseudo p-value is at most ``alpha`` (or the
    Benjamini-Hochberg cut-off of the column's n p-values when ``fdr``), exactly as
    :func:`~spillmap.spatial.autocorrelation.local_moran` decides it.  Returns
    ``lisa_HH, lisa_LL, lisa_HL, lisa_LH, lisa_threshold`` arrays (c,).
    """
    res = local_moran_arrays(y, w, permutations=permutations, seed=seed)
    p = res["p_perm"]
    if fdr:
        thr = np.array([_bh_threshold(p[:, j], alpha) for j in range(p.shape[1])])
    else:
        thr = np.full(p.shape[1], float(alpha))
    sig = p <= thr
    quad = res["quadrant"]
    codes = {"HH": 1, "LH": 2, "LL": 3, "HL": 4}
    out = {f"lisa_{k}": (sig & (quad == codes[k])).sum(axis=0).astype(float) for k in ("HH", "LL", "HL", "LH")}
    out["lisa_threshold"] = thr
    return out
