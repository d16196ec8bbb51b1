"""Fisher-Jenks natural breaks: mapclassify's algorithm, vectorised over the candidates.

Written by hand because mapclassify's ``FisherJenks`` runs its exact O(k n^2) dynamic
programme in pure Python unless numba is installed (spillmap does not require numba):
0.08 s for 297 values, 0.9 s for 1,000 and 7 s for 2,850 (a US-county layer) per
classification, and a spillover map classifies three columns.  :func:`fisher_jenks_bins`
is the same programme (``mapclassify.classifiers._fisher_jenks_means``: Jenks' sums and
sums of squares in float32, accumulated in the same order; a tie between two splits goes
to the later candidate, as the original's ``>=``), with the inner loop over split points
and classes done by numpy: 2 ms for 297 values, 0.1 s for 2,850.

Reference: Fisher (1958), "On grouping for maximum homogeneity", JASA 53: 789-798; Jenks
(1977); mapclassify (Rey, Stephens & Laura 2017).

Verification: ``tests/test_maps.py`` compares the bounds with mapclassify's own function
on random and tied data (equal, not approximately equal).
"""
from __future__ import annotations

import numpy as np

__all__ = ["fisher_jenks_bins"]


def _tables(x: np.ndarray, k: int) -> np.ndarray:
    """The split table ``mat1`` of Jenks' programme for the sorted values ``x``."""
    n = x.size
    x32 = x.astype(np.float32)
    counts = np.arange(1, n + 1, dtype=np.float32)
    split = np.zeros((n + 1, k + 1), dtype=np.int64)  # mapclassify's mat1
    cost = np.zeros((n + 1, k + 1), dtype=np.float32)  # mat2
    split[1, 1:] = 1
    cost[2:, 1:] = np.inf
    for last in range(2, n + 1):
        vals = x32[last - 1::-1]  # the values from `last` down to the first (m = 1 .. last)
        s1 = np.cumsum(vals, dtype=np.float32)
        s2 = np.cumsum(vals * vals, dtype=np.float32)
        v = s2 - (s1 * s1) / counts[:last]  # within-class sum of squares of the last m values
        # candidates m = 1 .. last-1: the previous classes end at i4 = last - m (= last-1 .. 1)
        cand = v[: last - 1, None] + cost[last - 1:0:-1, 1:k]
        pos = cand[::-1].argmin(axis=0)  # first minimum from the end = the last candidate among ties
        cost[last, 2:] = cand[last - 2 - pos, np.arange(k - 1)]
        split[last, 2:] = pos + 2  # i3 = last - m + 1 with m = last - 1 - pos
        split[last, 1] = 1
        cost[last, 1] = v[last - 1]
    return split


def fisher_jenks_bins(values: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` Fisher-Jenks classes of ``values`` (as ``mapclassify.FisherJenks(values, k).bins``).

    ``values`` need at least ``k`` distinct numbers (mapclassify's condition; the caller
    checks it).
    """
    x = np.sort(np.asarray(values, dtype=float).ravel())
    split = _tables(x, k)
    bins = np.zeros(k + 1, dtype=float)
    bins[k] = x[-1]
    bins[0] = x[0]
    last = x.size
    for c in range(k, 1, -1):
        pivot = int(split[last, c])
        bins[c - 1] = x[pivot - 2]
        last = pivot - 1
    return bins[1:]
