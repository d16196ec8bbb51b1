"""Eigenvalues of symmetric(-isable) sparse weights matrices (private helpers of
:attr:`spillmap.spatial.weights.SpatialWeights.eigenvalues`).

* :func:`symmetrizer`: a positive ``d`` with ``diag(d) W`` symmetric (W is then similar
  to the symmetric ``D^1/2 W D^-1/2``).  A row-standardised binary W (contiguity) is
  recognised directly (``d_i`` = the row's neighbour count); otherwise ``d`` is
  propagated along a breadth-first spanning forest, vectorised.
* :func:`symmetric_eigenvalues`: all eigenvalues of a sparse symmetric matrix.  A
  contiguity matrix reordered by reverse Cuthill-McKee (``scipy.sparse.csgraph``) is
  banded with a bandwidth of about ``2 sqrt(N)`` on a lattice (the given order is kept
  when its band is narrower, as a lattice numbered row by row: ``sqrt(N) + 1``); LAPACK's banded
  eigensolver (``scipy.linalg.eig_banded``, ``dsbevd``-type reduction of the band to
  tridiagonal form) then costs about ``N^2 b`` flops against ``4/3 N^3`` for the dense
  ``eigvalsh``: measured 0.20 s (0.32 s in RCM order) against 1.29 s at N = 2,500 (queen lattice,
  one thread).  Dense ``eigvalsh`` below N = 1,000 (where it is as fast: 6 against 10 ms at N = 400) and when the band is wider than ``N / 8``.

Written by hand: scipy has the pieces (RCM, ``eig_banded``) but no function that picks
them for a sparse matrix.

Verification: ``tests/test_speed_internals.py`` -- banded eigenvalues equal
``numpy.linalg.eigvalsh`` of the dense matrix to 1e-12; the symmetrizer makes
``diag(d) W`` symmetric on contiguity, inverse-distance and islands cases.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp
from scipy.sparse import csgraph

from spillmap._threads import single_threaded_blas

__all__ = ["symmetrizer", "symmetric_eigenvalues", "eigenvalues", "rho_bounds"]


def _is_symmetric_scaled(m: sp.csr_matrix, d: np.ndarray, tol: float) -> bool:
    if not np.all(np.isfinite(d)) or np.any(d <= 0):
        return False
    a = (sp.diags(d) @ m).tocsr()
    diff = (a - a.T).tocsr()
    return not (diff.nnz and np.max(np.abs(diff.data)) > tol * max(1.0, float(np.max(np.abs(a.data)))))


def _row_constant_candidate(m: sp.csr_matrix, tol: float) -> np.ndarray | None:
    """``d_i = 1 / (the value of row i)`` when every row of W holds one value."""
    if not m.nnz:
        return None
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    first = np.zeros(m.shape[0])
    first[rows[::-1]] = m.data[::-1]  # the first value of each row
    if np.any(np.abs(m.data - first[rows]) > tol * np.abs(first[rows])):
        return None
    return np.where(first > 0, 1.0 / np.where(first > 0, first, 1.0), 1.0)


def _forest_candidate(m: sp.csr_matrix, pattern: sp.csr_matrix) -> np.ndarray:
    """``d_j = d_i m_ij / m_ji`` along a BFS spanning forest (``d = 1`` at each root)."""
    n = m.shape[0]
    ncomp, labels = csgraph.connected_components(pattern, directed=False)
    roots = np.unique(labels, return_index=True)[1]
    link = sp.csr_matrix((np.ones(ncomp), (np.zeros(ncomp, int), roots)), shape=(1, n))
    aug = sp.bmat([[pattern, link.T], [link, None]], format="csr")  # a virtual root joins the components
    order, pred = csgraph.breadth_first_order(aug, n, directed=False, return_predecessors=True)
    nodes = order[1:]
    parents = pred[nodes]
    inner = parents != n
    lr = np.zeros(nodes.size)
    p, c = parents[inner], nodes[inner]
    lr[inner] = np.log(np.asarray(m[p, c]).ravel() / np.asarray(m[c, p]).ravel())
    logd = np.zeros(n + 1)
    for node, parent, r in zip(nodes.tolist(), parents.tolist(), lr.tolist()):
        logd[node] = logd[parent] + r
    return np.exp(logd[:n])


def symmetrizer(m: sp.spmatrix, tol: float = 1e-12) -> np.ndarray | None:
    """A positive vector ``d`` with ``diag(d) @ m`` symmetric (relative tolerance ``tol``
    on every entry), or None when there is none (e.g. an asymmetric pattern)."""
    m = sp.csr_matrix(m, dtype=float)
    pattern = (m != 0).astype(np.int8)
    if (pattern - pattern.T).nnz:
        return None
    d = _row_constant_candidate(m, tol)
    if d is not None and _is_symmetric_scaled(m, d, tol):
        return d
    d = _forest_candidate(m, pattern)
    return d if _is_symmetric_scaled(m, d, tol) else None


@single_threaded_blas
def symmetric_eigenvalues(s: sp.spmatrix) -> np.ndarray:
    """All eigenvalues (ascending) of the sparse symmetric matrix ``s``: banded LAPACK
    after a reverse Cuthill-McKee reordering when the band is narrow, else dense."""
    s = sp.csr_matrix(s, dtype=float)
    s = ((s + s.T) * 0.5).tocsr()  # exact symmetry (the similarity transform rounds)
    n = s.shape[0]
    if n == 0:
        return np.zeros(0)
    sp_, bw = _narrowest_band(s)
    if n < 1000 or bw > n // 8:
        return np.linalg.eigvalsh(s.toarray())
    lower = sp_.row >= sp_.col
    band = np.zeros((bw + 1, n))
    band[(sp_.row - sp_.col)[lower], sp_.col[lower]] = sp_.data[lower]
    ev = sl.eig_banded(band, lower=True, eigvals_only=True, check_finite=False)
    return np.sort(ev)


def _bandwidth(m: sp.coo_matrix) -> int:
    return int(np.max(np.abs(m.row - m.col))) if m.nnz else 0


def _narrowest_band(s: sp.csr_matrix) -> tuple[sp.coo_matrix, int]:
    """``s`` (COO) in the order of the narrower band of two: the given order or reverse
    Cuthill-McKee.  RCM minimises the profile, not the bandwidth: on a lattice numbered
    row by row it returns about ``2 sqrt(N)`` (diagonal sweeps) where the given order
    has ``sqrt(N) + 1``, and the banded solver's cost grows with the band (0.32 against
    0.20 s at N = 2,500, queen lattice, one thread)."""
    given = s.tocoo()
    perm = csgraph.reverse_cuthill_mckee(s, symmetric_mode=True)
    rcm = s[perm][:, perm].tocoo()
    bw_given, bw_rcm = _bandwidth(given), _bandwidth(rcm)
    return (given, bw_given) if bw_given <= bw_rcm else (rcm, bw_rcm)


def eigenvalues(m: sp.csr_matrix, symmetric: bool) -> np.ndarray:
    """All eigenvalues of the weights matrix ``m`` (see :attr:`SpatialWeights.eigenvalues`).

    Symmetric: :func:`symmetric_eigenvalues`; symmetrisable (``D m`` symmetric): the same
    on ``D^1/2 m D^-1/2``; otherwise ``numpy.linalg.eigvals``, returned real and sorted
    when every imaginary part is below ``1e-10 * max|lambda|``.
    """
    if symmetric:
        return symmetric_eigenvalues(m)
    dvec = symmetrizer(m)
    if dvec is not None:
        s = np.sqrt(dvec)
        return symmetric_eigenvalues(sp.diags(s) @ m @ sp.diags(1.0 / s))
    ev = np.linalg.eigvals(m.toarray())
    scale = max(1.0, float(np.max(np.abs(ev)))) if ev.size else 1.0
    if ev.size == 0 or np.max(np.abs(ev.imag)) < 1e-10 * scale:
        return np.sort(ev.real)
    return ev


def rho_bounds(ev: np.ndarray) -> tuple[float, float]:
    """``(1/lambda_min, 1/lambda_max)`` over the real eigenvalues ``ev`` (|Im| < 1e-10 max|lambda|)."""
    if np.iscomplexobj(ev):
        scale = max(1.0, float(np.max(np.abs(ev))))
        real = ev.real[np.abs(ev.imag) < 1e-10 * scale]
    else:
        real = ev
    lo, hi = float(np.min(real)), float(np.max(real))
    return (1.0 / lo if lo < 0 else -np.inf, 1.0 / hi if hi > 0 else np.inf)
