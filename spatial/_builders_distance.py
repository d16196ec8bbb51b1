"""Distance weights: k-nearest neighbours and inverse distance on the sphere.

Written by hand: the k-d tree searches over the centroids as unit vectors (exact
neighbour ranks on the sphere, no N x N matrix; libpysal's KNN ranks planar lon/lat
distances, which are wrong on the sphere) and the dense ``d^-alpha`` of
:func:`spillmap.geo.great_circle_distances`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from spillmap.errors import InputError, WeightsError, format_items
from spillmap.spatial._builders_base import (
    TransformArg,
    _apply_transform,
    _centroids_lonlat,
    _check_alpha,
    _check_count,
    _check_distinct_points,
    _check_positive,
    _chord_to_km,
    _coincident_error,
    _dense_distances,
    _km_to_chord,
    _knn_pairs,
    _layer_ids,
    _norm_transform,
    _unit_vectors,
)
from spillmap.spatial.weights import SpatialWeights

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["knn", "inverse_distance"]


def knn(layer: gpd.GeoDataFrame, id: str, *, k: int, transform: TransformArg = "R") -> SpatialWeights:
    """k-nearest-neighbour weights by great-circle distance between centroids.

    ``c_ij = 1`` when ``j`` is among the ``k`` units nearest to ``i`` (great-circle
    distance between centroids), else 0; then the transform.  The matrix is in
    general **not symmetric**.  Exact distance ties are broken arbitrarily.

    Parameters
    ----------
    layer, id
        The polygons and their id column (row order of W).
    k
        Neighbours per unit, an integer (Python or NumPy, not a bool) with ``1 <= k <= N - 1``.
    transform
        ``"R"`` (default), ``"B"`` or ``"O"``/``None``.

    Returns
    -------
    SpatialWeights
        Named ``"<k>-nearest neighbours"``.

    Raises
    ------
    InputError
        ``k`` not an integer (``2.5``, ``True``) or outside ``[1, N - 1]``, or a bad ``transform``.
    DataError, GeometryError
        A layer without the id column or without geometry, missing or repeated ids.
    WeightsError
        Units with identical centroids (as libpysal's ``build_knn`` refuses them): which of
        them is "nearest" would depend on the layer's row order.

    Notes
    -----
    Ranks chord distances between unit vectors (a monotone transform of the
    great-circle distance) with a k-d tree; sparse, O(N log N).

    Verification: neighbour sets equal the k smallest entries of
    :func:`spillmap.geo.great_circle_distances`, and libpysal ``Graph.build_knn`` on the
    centroids' longitudes and latitudes with the haversine metric
    (tests/test_weights_builders.py).
    """
    t = _norm_transform(transform)
    k = _check_count("k", k, len(_layer_ids(layer, id)))
    ids, lon, lat = _centroids_lonlat(layer, id)
    n = len(ids)
    xyz = _unit_vectors(lon, lat)
    _check_distinct_points(ids, xyz, "have no order among their neighbours (the nearest would depend on the layer's "
                                     "row order)")
    i, j = _knn_pairs(xyz, np.arange(n), k)
    c = sp.csr_matrix((np.ones(i.size), (i, j)), shape=(n, n))
    return _apply_transform(SpatialWeights(c, ids, "B", f"{k}-nearest neighbours"), t)


def _inverse_distance_dense(d: np.ndarray, alpha: float) -> np.ndarray:
    """``d_ij^-alpha`` off the diagonal, 0 on it (pure; ``d`` has a zero diagonal).

    Works in one N x N buffer (no boolean-mask copies)."""
    out = np.array(d, dtype=float, copy=True)
    np.fill_diagonal(out, 1.0)
    if alpha == 1.0:
        np.reciprocal(out, out=out)
    else:
        np.power(out, -alpha, out=out)
    np.fill_diagonal(out, 0.0)
    return out


def inverse_distance(
    layer: gpd.GeoDataFrame,
    id: str,
    *,
    alpha: float = 1,
    cutoff_km: float | None = None,
    k: int | None = None,
    transform: TransformArg = "R",
) -> SpatialWeights:
    """Inverse-distance weights on great-circle distances between centroids.

    ``w_ij = d_ij^(-alpha)`` for ``i != j`` (``d`` in km; ``alpha = 1`` inverse
    distance, ``alpha = 2`` inverse squared distance), optionally restricted to
    ``d_ij <= cutoff_km`` or to the ``k`` nearest units of ``i``; then the transform.

    Parameters
    ----------
    layer, id
        The polygons and their id column (row order of W).
    alpha
        Distance-decay exponent, > 0 (usually 1 or 2).
    cutoff_km
        Keep only pairs at most this far apart.  Units left without a neighbour raise
        an error that gives the smallest cutoff leaving none.
    k
        Keep only the ``k`` nearest units of each unit (asymmetric); an integer (Python or
        NumPy, not a bool) with ``1 <= k <= N - 1``.
    transform
        ``"R"`` (default), ``"B"`` or ``"O"``/``None``.

    Returns
    -------
    SpatialWeights

    Raises
    ------
    InputError
        ``alpha`` or ``cutoff_km`` not a positive number, ``k`` not an integer in
        ``[1, N - 1]``, both ``cutoff_km`` and ``k``, or a bad ``transform``.
    WeightsError
        Units with identical centroids, or units without a neighbour within ``cutoff_km``.

    Notes
    -----
    Unrestricted, W is dense (every pair has a weight) and is built from the N x N
    matrix of :func:`spillmap.geo.great_circle_distances`: fine up to a few thousand
    units.  With ``cutoff_km`` or ``k`` it is built sparse from a k-d tree on unit
    vectors (``d = 2 R asin(chord / 2)``, R = 6371.0088 km), without an N x N array.
    Reference: Anselin (1988), ch. 3; LeSage & Pace (2009) *Introduction to Spatial
    Econometrics*, sec. 4.11.

    Verification: the dense and sparse paths agree with a direct transcription of
    ``d^-alpha`` on :func:`spillmap.geo.great_circle_distances` to 1e-9 relative
    (tests/test_weights_builders.py).
    """
    t = _norm_transform(transform)
    alpha = _check_alpha(alpha)
    if cutoff_km is not None and k is not None:
        raise InputError("give cutoff_km or k, not both.")
    n_layer = len(_layer_ids(layer, id))
    if k is not None:
        k = _check_count("k", k, n_layer)
    if cutoff_km is not None:
        cutoff_km = _check_positive("cutoff_km", cutoff_km, "a distance in km")
    ids, lon, lat = _centroids_lonlat(layer, id)
    n = len(ids)
    label = f"inverse distance^{alpha:g}"
    if cutoff_km is None and k is None:
        w = SpatialWeights(_inverse_distance_dense(_dense_distances(ids, lon, lat), alpha), ids, "O", label)
        return _apply_transform(w, t)
    from scipy.spatial import cKDTree

    xyz = _unit_vectors(lon, lat)
    if k is not None:
        i, j = _knn_pairs(xyz, np.arange(n), k)
        chord = np.linalg.norm(xyz[i] - xyz[j], axis=1)
        label += f", {k} nearest"
    else:
        tree = cKDTree(xyz)
        pairs = tree.sparse_distance_matrix(tree, _km_to_chord(cutoff_km) * (1 + 1e-12), output_type="coo_matrix")
        i, j, chord = pairs.row, pairs.col, pairs.data
        keep = (i != j) & (_chord_to_km(chord) <= cutoff_km)
        i, j, chord = i[keep], j[keep], chord[keep]
        label += f", cutoff {cutoff_km:g} km"
    km = _chord_to_km(chord)
    if np.any(km <= 0):
        bad = np.flatnonzero(km <= 0)
        raise _coincident_error(ids, [(i[b], j[b]) for b in bad if i[b] < j[b]] or [(i[bad[0]], j[bad[0]])])
    c = sp.csr_matrix((km ** (-alpha), (i, j)), shape=(n, n))
    w = SpatialWeights(c, ids, "O", label)
    if w.islands:
        _, nn = cKDTree(xyz).query(xyz, k=2)
        need = float(np.max(_chord_to_km(np.linalg.norm(xyz - xyz[nn[:, 1]], axis=1))))
        raise WeightsError(
            f"{len(w.islands)} unit(s) have no neighbour within {cutoff_km:g} km: "
            f"{format_items(w.islands)}; use cutoff_km >= {np.ceil(need * 1000) / 1000:g} "
            f"(the largest nearest-neighbour distance) or k=."
        )
    return _apply_transform(w, t)
