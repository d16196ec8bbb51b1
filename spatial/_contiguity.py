"""Vertex-based polygon contiguity as a sparse matrix (private engine of
:func:`spillmap.spatial.builders.contiguity`).

The definition is libpysal's ``Graph.build_contiguity`` (``strict=False``, its
``_vertex_set_intersection``): two polygons are queen neighbours when they share a
vertex (identical coordinates), rook neighbours when they share an edge, an edge being
two consecutive vertices of one single-part polygon's coordinate sequence (unordered).
libpysal builds a Python dict of vertex -> polygons in a Python loop over every vertex;
here the same sets come from sorting: each coordinate pair (or edge) gets an integer key
(``numpy.unique``), the polygon x key incidence matrix ``B`` is sparse, and the
neighbours are the off-diagonal non-zeros of ``B B'``.  Written by hand because no
library offers a vectorised vertex contiguity; at N = 100,000 it takes a fraction of
libpysal's time (``benchmarks/bench_speed.py contiguity``).

Coordinates are compared exactly, as libpysal's tuple keys do (``-0.0`` equals ``0.0``).

Verification: ``tests/test_weights_builders.py`` (neighbour sets equal libpysal's
``weights.Queen``/``weights.Rook`` on the US-48 states and the China layer) and
``tests/test_speed_internals.py`` (equal to ``Graph.build_contiguity`` on a jittered
lattice with multipolygons and holes, queen and rook).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import shapely

__all__ = ["vertex_contiguity"]


def _vertex_keys(coords: np.ndarray) -> tuple[np.ndarray, int]:
    """An integer id per coordinate pair, equal ids for identical coordinates."""
    c = np.ascontiguousarray(coords + 0.0, dtype=np.float64)  # -0.0 -> 0.0
    view = c.view(np.dtype((np.void, c.dtype.itemsize * c.shape[1]))).ravel()
    _, inverse = np.unique(view, return_inverse=True)
    inverse = inverse.ravel()
    return inverse, int(inverse.max()) + 1 if inverse.size else 0


def vertex_contiguity(geoms, *, rook: bool) -> sp.csr_matrix:
    """Binary N x N contiguity (zero diagonal, symmetric) of polygons in input order.

    Parameters
    ----------
    geoms
        Polygons and multipolygons (a GeoSeries or an array of shapely geometries).
    rook
        Shared edge (True) or shared vertex (False, queen).
    """
    arr = np.asarray(getattr(geoms, "values", geoms), dtype=object)
    n = arr.size
    coords, owner = shapely.get_coordinates(arr, return_index=True)
    vid, nv = _vertex_keys(coords)
    if rook:
        parts = shapely.get_parts(arr)
        _, part = shapely.get_coordinates(parts, return_index=True)
        same = part[:-1] == part[1:]
        lo = np.minimum(vid[:-1], vid[1:])[same].astype(np.int64)
        hi = np.maximum(vid[:-1], vid[1:])[same].astype(np.int64)
        _, key = np.unique(lo * max(nv, 1) + hi, return_inverse=True)
        key = key.ravel()
        who = owner[:-1][same]
    else:
        key, who = vid, owner
    nkeys = int(key.max()) + 1 if key.size else 0
    inc = sp.csr_matrix((np.ones(key.size), (who, key)), shape=(n, nkeys))
    inc.data[:] = 1.0  # a polygon repeating a vertex counts once
    adj = (inc @ inc.T).tocsr()
    adj.setdiag(0.0)
    adj.eliminate_zeros()
    adj.data[:] = 1.0
    adj.sort_indices()
    return adj
