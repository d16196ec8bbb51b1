"""Conditional-permutation counts of local Moran (the LISA part of the permutation kernel).

See :mod:`spillmap.spatial._permutation` for the method and the random streams;
written by hand with NumPy (esda's kernel needs numba to be fast).

Verification (``tests/test_permutation.py``): :func:`local_counts` equals a brute-force loop over
the same :func:`conditional_draws` (first ``k_i`` draws other than ``i``; exact integer counts) on
row-standardised, binary and unequal-weight lattices, with distinct units per draw and the same
counts one column at a time.  Through local_moran: islands and ``z_i = 0`` get p = 1, and the
pseudo p-values agree with esda 2.9 ``Moran_Local`` within :func:`agree_within_mc` (also
``tests/test_moran.py``).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from spillmap.spatial._permutation import BLOCK, _CONDITIONAL, _ELEMENTS, _as_columns, _blocks, _entropy, _rng

__all__ = ["conditional_draws", "local_counts"]


def conditional_draws(n: int, k: int, permutations: int, seed: int | None) -> np.ndarray:
    """``(permutations, k)`` rows of ``k`` distinct unit indices in random order."""
    entropy = _entropy(seed)
    out = np.empty((permutations, k), dtype=np.int64)
    for b, size in _blocks(permutations):
        rng = _rng(entropy, _CONDITIONAL, b)
        for j in range(size):
            out[b * BLOCK + j] = rng.choice(n, size=k, replace=False)
    return out


def _count_below(vs: np.ndarray, thr: np.ndarray, strict: np.ndarray) -> np.ndarray:
    """Per column of ascending ``vs`` (P, c): ``#{v < thr}`` where ``strict``, else ``#{v <= thr}``."""
    p = vs.shape[0]
    cols = np.arange(vs.shape[1])
    pos = np.zeros(thr.shape, dtype=np.int64)
    step = 1 << (p.bit_length() - 1)
    while step:
        cand = pos + step
        ok = cand <= p
        v = vs[np.minimum(cand, p) - 1, cols]
        ok &= (v < thr) | (~strict & (v == thr))
        pos = np.where(ok, cand, pos)
        step >>= 1
    return pos


def _hit_table(draws: np.ndarray, card: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draws that hit the unit itself within its first ``k_i``: (perm, position, unit)."""
    p_idx, q_idx = np.nonzero(np.ones_like(draws, dtype=bool))
    units = draws.ravel()
    keep = q_idx < card[units]
    return p_idx[keep], q_idx[keep], units[keep]


def _equal_rows(w: sp.csr_matrix) -> np.ndarray:
    """Rows whose weights are all equal (or that have no neighbour)."""
    card = np.diff(w.indptr)
    out = card == 0
    rows = np.flatnonzero(card > 0)
    if rows.size:
        starts = w.indptr[rows]
        hi = np.maximum.reduceat(w.data, starts)
        lo = np.minimum.reduceat(w.data, starts)
        out[rows] = hi == lo
    return out


def _larger_equal(zq, lag_b, draws, card, units, hits):
    """Counts for equal-weight rows: prefix sums of ``z[R]`` shared by a cardinality."""
    perms = draws.shape[0]
    pref = zq[draws.T]  # (k1, P, q), then in place: pref[j] = sum of the first j+1 draws
    for j in range(1, pref.shape[0]):
        pref[j] += pref[j - 1]
    larger = np.zeros((units.size, zq.shape[1]), dtype=np.int64)
    row_of = np.full(card.size, -1, dtype=np.int64)
    row_of[units] = np.arange(units.size)
    for k in np.unique(card[units]):
        sel = np.flatnonzero(card[units] == k)
        pos_z = zq[units[sel]] > 0  # I_sim >= I_i is lag_sim >= lag (z > 0) or lag_sim <= lag (z < 0)
        below = _count_below(np.sort(pref[k - 1], axis=0), lag_b[units[sel]], pos_z)
        larger[sel] = np.where(pos_z, perms - below, below)
    hp, _, hu = hits
    mine = np.isin(hu, units)
    hp, hu = hp[mine], hu[mine]
    if hu.size:  # unit i drawn among its own first k_i: its lag uses draw k_i + 1 instead
        k = card[hu]
        base = pref[k - 1, hp, :]
        corr = pref[k, hp, :] - zq[hu]
        thr = lag_b[hu]
        pos_z = zq[hu] > 0
        f_base = np.where(pos_z, base >= thr, base <= thr).view(np.int8)
        f_corr = np.where(pos_z, corr >= thr, corr <= thr).view(np.int8)
        order = np.argsort(hu, kind="stable")
        hs = hu[order]
        starts = np.flatnonzero(np.r_[True, hs[1:] != hs[:-1]])
        delta = np.add.reduceat((f_corr - f_base)[order].astype(np.int64), starts, axis=0)
        larger[row_of[hs[starts]]] += delta
    return larger


def _larger_general(zq, lag_w, w, draws, card, units, hits):
    """Counts for rows with unequal weights: simulated lags summed draw by draw."""
    perms, q = draws.shape[0], zq.shape[1]
    larger = np.zeros((units.size, q), dtype=np.int64)
    hp, hq, hu = hits
    for r, i in enumerate(units.tolist()):
        k = int(card[i])
        wi = w.data[w.indptr[i] : w.indptr[i + 1]]
        idx = draws[:, :k].copy()
        mine = np.flatnonzero(hu == i)
        for p, qpos in zip(hp[mine].tolist(), hq[mine].tolist()):
            idx[p, qpos:] = draws[p, qpos + 1 : k + 1]
        sim = np.zeros((perms, q))
        for j in range(k):
            sim += wi[j] * zq[idx[:, j]]
        thr = lag_w[i]
        larger[r] = np.where(zq[i] > 0, (sim >= thr).sum(axis=0), (sim <= thr).sum(axis=0))
    return larger


def local_counts(
    z: np.ndarray,
    w: sp.spmatrix,
    *,
    permutations: int,
    seed: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Conditional-permutation counts of local Moran for many columns.

    Parameters
    ----------
    z
        ``(n,)`` or ``(n, c)`` centred (or standardised) values in W's unit order.
    w
        n x n weights, used as given.
    permutations, seed
        Number of conditional permutations and the seed of their stream (shared by
        all columns and units).

    Returns
    -------
    (larger, undefined)
        ``(n, c)`` counts ``#{I_i^sim >= I_i}`` and a mask of the cells where the
        statistic is degenerate (no neighbour, or ``z_i = 0``: every simulated value
        equals the observed one); callers report ``p = 1`` there.
    """
    zc = _as_columns(z)
    m = sp.csr_matrix(w, dtype=float)
    m.sort_indices()
    n, c = zc.shape
    card = np.diff(m.indptr)
    k1 = min(int(card.max()) + 1, n) if n else 0
    draws = conditional_draws(n, k1, permutations, seed)
    hits = _hit_table(draws, card)
    equal = _equal_rows(m)
    fast = np.flatnonzero(equal & (card > 0))
    slow = np.flatnonzero(~equal)
    binary = m.copy()
    binary.data[:] = 1.0
    larger = np.zeros((n, c), dtype=np.int64)
    cols = max(1, min(c, 2 * _ELEMENTS // max(1, permutations * k1)))
    for c0 in range(0, c, cols):
        zq = zc[:, c0 : c0 + cols]
        if fast.size:
            larger[fast, c0 : c0 + cols] = _larger_equal(zq, binary @ zq, draws, card, fast, hits)
        if slow.size:
            larger[slow, c0 : c0 + cols] = _larger_general(zq, m @ zq, m, draws, card, slow, hits)
    undefined = (card == 0)[:, None] | (zc == 0)
    return larger, undefined
