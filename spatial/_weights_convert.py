"""How a matrix gets into and out of :class:`~spillmap.spatial.weights.SpatialWeights`.

In: :func:`checked_csr` validates any matrix once into the canonical read-only CSR
(the checks of ``SpatialWeights.__post_init__``).  Out: libpysal ``W`` and ``Graph``
(libpysal does the work; only the id order and the transform label are handled here).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from spillmap.errors import WeightsError, format_items

if TYPE_CHECKING:
    from spillmap.spatial.weights import SpatialWeights

__all__ = ["checked_csr", "libpysal_parts", "to_libpysal", "to_graph"]


def _rows_of(m: sp.csr_matrix, mask: np.ndarray, ids: Sequence[str]) -> str:
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))[mask]
    return format_items([ids[r] for r in np.unique(rows)])


def checked_csr(matrix, ids: Sequence[object], name: str) -> tuple[sp.csr_matrix, tuple[str, ...]]:
    """``(read-only float CSR without explicit zeros, ids as text)``, or a :class:`WeightsError`.

    Refused: not 2-D or not square, ids of the wrong length or repeated, NaN/inf or
    negative weights, a non-zero diagonal.
    """
    m = matrix
    if not sp.issparse(m):
        m = np.asarray(m, dtype=float)
        if m.ndim != 2:
            raise WeightsError(f"weights must be a 2-D matrix, got {m.ndim} dimension(s).")
    if m.shape[0] != m.shape[1]:
        raise WeightsError(f"weights matrix {name or ''} is not square: shape {m.shape}.")
    m = sp.csr_matrix(m, dtype=float, copy=True)
    m.eliminate_zeros()
    m.sort_indices()
    ids = tuple(str(i) for i in ids)
    if len(ids) != m.shape[0]:
        raise WeightsError(f"weights matrix has {m.shape[0]} rows but {len(ids)} ids were given.")
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dups = sorted({i for i in ids if i in seen or seen.add(i)})
        raise WeightsError(f"weights ids are not unique; repeated: {format_items(dups)}.")
    if not np.all(np.isfinite(m.data)):
        raise WeightsError(f"weights contain NaN or infinite values in the rows of ids {_rows_of(m, ~np.isfinite(m.data), ids)}.")
    if np.any(m.data < 0):
        raise WeightsError(f"weights must be non-negative; negative weights in the rows of ids {_rows_of(m, m.data < 0, ids)}.")
    diag = m.diagonal()
    if np.any(diag != 0):
        bad = [ids[i] for i in np.flatnonzero(diag)]
        raise WeightsError(f"a unit cannot be its own neighbour: non-zero diagonal for ids {format_items(bad)}.")
    for arr in (m.data, m.indices, m.indptr):
        arr.flags.writeable = False
    return m, ids


def libpysal_parts(w) -> tuple[sp.spmatrix, list, str]:
    """``(sparse, ids, transform)`` of a libpysal ``W`` (its ``id_order``) or ``Graph``."""
    from libpysal.graph import Graph

    if isinstance(w, Graph):
        label, ids = w.transformation, list(w.unique_ids)
    else:
        label, ids = w.transform, list(w.id_order)
    return w.sparse, ids, {"R": "R", "B": "B"}.get(str(label).upper(), "O")


def to_libpysal(w: SpatialWeights):
    """A libpysal ``W`` with the same ids (as strings), order and weights."""
    from libpysal.weights import WSP

    out = WSP(w.sparse.copy(), id_order=list(w.ids)).to_W(silence_warnings=True)
    if w.transform in ("R", "B"):
        out._transform = w.transform  # label only: the weights are already transformed
    return out


def to_graph(w: SpatialWeights):
    """A libpysal ``Graph`` with the same ids, order and weights (islands kept)."""
    from libpysal.graph import Graph

    g = Graph.from_sparse(w.sparse.copy(), ids=np.asarray(w.ids, dtype=object))
    if w.transform in ("R", "B"):
        g = Graph(g._adjacency, transformation=w.transform, is_sorted=True)
    return g
