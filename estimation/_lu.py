"""Sparse LU factorisations of ``I - rho W`` (and other sparse systems), counted.

Every sparse LU that spillmap's estimators and effects compute goes through
:func:`splu`, which wraps ``scipy.sparse.linalg.splu`` (SuperLU) and adds the
factorisation to the process-wide counter :data:`LU_STATS`.  The benchmarks read
the counter (``benchmarks/bench_speed.py``); the fixed-effects fit records how many
factorisations it made in ``results.extra["lu_factorizations"]``.

Written by hand because SuperLU has no such counter; the counting adds one
``time.perf_counter`` pair per factorisation.

Verification (``tests/test_speed_internals.py``): :class:`IMinusRhoW` equals the dense
``I - rho W`` exactly (an emptied row and column included); :data:`LU_STATS` counts one
factorisation per likelihood evaluation of a fit (``lu_factorizations == nfev <= 5`` at
N = 2,601) and none for a reused factor.  Through ``LogDet(w, "lu")``, :func:`lu_logdet` equals
``numpy.linalg.slogdet`` to 1e-10 (``tests/test_est_logdet.py``, lattices and a kNN W).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from spillmap.errors import EstimationError

__all__ = ["LUStats", "LU_STATS", "splu", "lu_logdet", "identity_minus", "IMinusRhoW", "factor_i_minus"]


@dataclass
class LUStats:
    """Counts of sparse LU factorisations in this process.

    Attributes
    ----------
    count
        Factorisations since the start (or the last :meth:`reset`).
    seconds
        Their total wall time.
    sizes
        ``N`` of each factorisation, in order (the last 1,000).
    """

    count: int = 0
    seconds: float = 0.0
    sizes: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, n: int, seconds: float) -> None:
        with self._lock:
            self.count += 1
            self.seconds += seconds
            self.sizes.append(n)
            del self.sizes[:-1000]

    def reset(self) -> None:
        with self._lock:
            self.count = 0
            self.seconds = 0.0
            self.sizes.clear()


#: process-wide counter of sparse LU factorisations (read by the benchmarks)
LU_STATS = LUStats()


def splu(a: sp.spmatrix, *, symmetric: bool = False) -> spla.SuperLU:
    """Counted sparse LU of ``a`` with the minimum-degree ordering on ``A' + A``.

    MMD(A'+A) gives about half the fill of SuperLU's default COLAMD on contiguity
    matrices (5.6 M against 10.4 M non-zeros in L + U on a 316 x 316 rook lattice).
    ``symmetric=True`` adds SuperLU's ``SymmetricMode`` (diagonal pivots first), for
    symmetric positive definite matrices.
    """
    t0 = time.perf_counter()
    opts = {"SymmetricMode": True} if symmetric else {}
    lu = spla.splu(sp.csc_matrix(a), permc_spec="MMD_AT_PLUS_A", options=opts)
    LU_STATS.add(a.shape[0], time.perf_counter() - t0)
    return lu


def lu_logdet(lu: spla.SuperLU) -> float:
    """``ln|det A| = sum_i ln|U_ii|`` (L has a unit diagonal; the permutations only
    change the sign)."""
    return float(np.sum(np.log(np.abs(lu.U.diagonal()))))


def identity_minus(rho: float, w_csc: sp.csc_matrix) -> sp.csc_matrix:
    """``I - rho W`` in CSC form (W has a zero diagonal)."""
    return IMinusRhoW(w_csc)(rho)


class IMinusRhoW:
    """``rho -> I - rho W`` (CSC) for many values of rho: the pattern of ``W + I`` is
    built once, then each matrix only rescales a copy of its values (an O(nnz) vector
    operation instead of a sparse sum)."""

    def __init__(self, w: sp.spmatrix) -> None:
        n = w.shape[0]
        marker = sp.csc_matrix(w, dtype=float, copy=True)
        marker.data[:] = 2.0  # W entries 2, diagonal 1: tells them apart after the sum
        marker.sort_indices()
        pattern = (marker + sp.identity(n, format="csc")).tocsc()
        pattern.sort_indices()
        self._diag = pattern.data == 1.0  # W has a zero diagonal, so these are I's entries
        self._w = np.zeros(pattern.nnz)
        self._w[~self._diag] = sp.csc_matrix(w, dtype=float).sorted_indices().data  # same (col, row) order
        self._pattern = pattern

    def __call__(self, rho: float) -> sp.csc_matrix:
        a = self._pattern.copy()
        a.data = -float(rho) * self._w
        a.data[self._diag] += 1.0
        return a


def factor_i_minus(rho: float, w_csc: sp.spmatrix | IMinusRhoW) -> spla.SuperLU:
    """Counted sparse LU of ``I - rho W`` (``W`` a sparse matrix or an :class:`IMinusRhoW`);
    an exactly singular matrix raises :class:`~spillmap.errors.EstimationError`."""
    a = w_csc(rho) if isinstance(w_csc, IMinusRhoW) else identity_minus(rho, w_csc)
    try:
        return splu(a)
    except RuntimeError as exc:  # exactly singular
        raise EstimationError(f"I - rho W is singular at rho={rho:.6g}: {exc}") from None
