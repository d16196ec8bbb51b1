"""Builders of spatial weights: contiguity, distance and economic-geographic matrices.

Every builder returns a :class:`~spillmap.spatial.weights.SpatialWeights` whose unit
order is the order of the layer's id column (or of ``ids=`` where a builder takes
it), with the requested transform applied *last*.

What comes from where
---------------------
* **Contiguity** (queen/rook) is built by libpysal (``libpysal.graph.Graph.
  build_contiguity``, vertex based; libpysal defaults to rook, queen is
  ``rook=False``).  Only the island policy is written here.
* **Centroids and great-circle distances** come from :mod:`spillmap.geo`
  (:func:`spillmap.geo.centroids`, :func:`spillmap.geo.great_circle_distances`).
* **k-nearest neighbours** and the *restricted* (``k=`` / ``cutoff_km=``) inverse
  distance are written here on a :class:`scipy.spatial.cKDTree` over the centroids
  as unit vectors on the sphere: the chord length ``c`` is a monotone function of the
  great-circle distance, ``d = 2 R asin(c / 2)``, so neighbour ranks are exact and
  no N x N matrix is formed (libpysal's KNN ranks planar lon/lat distances, which
  are wrong on the sphere).  The test-suite checks these distances against
  :func:`spillmap.geo.great_circle_distances`.
* The unrestricted inverse distance and the **economic** matrices are dense by
  nature (every pair has a weight); they are built with numpy and are meant for N up
  to a few thousand units (N = 3,000 needs about 72 MB per N x N array).  The
  economic matrices (economic distance, economic-geographic product, nested
  combination) have no libpysal builder and are written here as small pure functions.

Layout: contiguity is built here; distance weights in
:mod:`~spillmap.spatial._builders_distance`, economic weights in
:mod:`~spillmap.spatial._builders_economic`, their shared pieces in
:mod:`~spillmap.spatial._builders_base`; every builder is importable from this module.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import scipy.sparse as sp

from spillmap.errors import DataError, GeometryError, WeightsError, check_choice, format_items
from spillmap.spatial._builders_base import (  # noqa: F401 - EARTH_RADIUS_KM, TransformArg re-exported
    EARTH_RADIUS_KM,
    TransformArg,
    _apply_transform,
    _centroids_lonlat,
    _check_count,
    _knn_pairs,
    _label,
    _layer_ids,
    _norm_transform,
    _unit_vectors,
)
from spillmap.spatial._builders_distance import _inverse_distance_dense, inverse_distance, knn  # noqa: F401
from spillmap.spatial._builders_economic import (  # noqa: F401 - re-exported
    _economic_distance_dense,
    _economic_product_dense,
    economic_distance,
    economic_product,
    nested,
    period_means,
)
from spillmap.spatial.weights import IslandPolicy, SpatialWeights

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "contiguity",
    "inverse_distance",
    "knn",
    "economic_distance",
    "economic_product",
    "nested",
    "period_means",
]


def contiguity(
    layer: gpd.GeoDataFrame,
    id: str,
    *,
    kind: Literal["queen", "rook"] = "queen",
    islands: Literal["error", "nearest", "drop", "keep"] = "error",
    k: int = 1,
    name_column: str | None = None,
    transform: TransformArg = "R",
) -> SpatialWeights:
    """Queen or rook contiguity weights (W1 of the seed study).

    ``c_ij = 1`` when polygons ``i`` and ``j`` share at least one boundary point
    (queen) or a boundary edge (rook), else 0; then the transform (row-standardised
    by default: ``w_ij = c_ij / sum_j c_ij``).

    Parameters
    ----------
    layer
        A GeoDataFrame of polygons.
    id
        The id column; the rows of W follow its order.
    kind
        ``"queen"`` (shared point) or ``"rook"`` (shared edge).
    islands
        What to do with units that have no contiguous neighbour:

        * ``"error"`` (default): raise :class:`~spillmap.errors.WeightsError` listing
          them (with their names when ``name_column`` is given);
        * ``"nearest"``: link each island to its ``k`` nearest units by centroid
          great-circle distance, symmetrically (``c_ij = c_ji = 1``).  The nearest
          unit may itself be an island (Haikou and Danzhou on Hainan), so a group of
          islands can stay a separate connected component; raise ``k`` to join them
          to the mainland;
        * ``"drop"``: remove the islands; **the returned W has fewer units than the
          layer** (compare ``w.ids`` with the layer before joining data);
        * ``"keep"``: keep them as zero rows.
    k
        Number of nearest units linked to each island with ``islands="nearest"``: an integer
        (Python or NumPy, not a bool) with ``1 <= k <= N - 1``.
    name_column
        A column of readable names used in error messages.
    transform
        ``"R"`` row-standardised (default), ``"B"`` binary, ``"O"``/``None`` as built.

    Returns
    -------
    SpatialWeights
        With ``islands="nearest"`` or ``"drop"`` and islands found, its ``island_policy`` names them
        (:class:`~spillmap.spatial.weights.IslandPolicy`), and ``summary()`` says what was done with them.

    Raises
    ------
    InputError
        A bad ``kind``, ``islands``, ``transform`` or ``k`` (not an integer in ``[1, N - 1]``).
    DataError
        A missing id or name column, missing or repeated ids.
    GeometryError
        ``layer`` without a geometry column (a plain DataFrame), missing or non-polygonal geometries.
    WeightsError
        Islands with ``islands="error"`` (listed).

    Notes
    -----
    The definition of ``libpysal.graph.Graph.build_contiguity`` (``rook=kind == "rook"``),
    vertex based (neighbours must share identical vertices, as in a clean coverage),
    computed by sorting instead of libpysal's Python loop over vertices
    (:mod:`spillmap.spatial._contiguity`).
    Reference: Anselin, L. (1988) *Spatial Econometrics: Methods and Models*, ch. 3.

    Verification: neighbour sets equal libpysal ``weights.Queen``/``weights.Rook``
    ``.from_dataframe`` on the US-48 states; on the China layer the islands are those
    listed in ``data/README.md`` (tests/test_weights_builders.py).
    """
    from spillmap.spatial._contiguity import vertex_contiguity

    check_choice("kind", kind, ("queen", "rook"))
    check_choice("islands", islands, ("error", "nearest", "drop", "keep"))
    t = _norm_transform(transform)
    ids = _layer_ids(layer, id)
    k = _check_count("k", k, len(ids))
    names = None
    if name_column is not None:
        if name_column not in layer.columns:
            raise DataError(
                f"name column {name_column!r} is not in the layer; available columns: "
                f"{format_items(list(layer.columns))}."
            )
        names = layer[name_column].astype(str).tolist()
    geoms = layer.geometry.copy()
    bad = geoms.isna().to_numpy() | ~geoms.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if bad.any():
        raise GeometryError(
            f"contiguity needs polygons; missing or non-polygonal geometry for ids "
            f"{format_items([ids[i] for i in np.flatnonzero(bad)])}."
        )
    c = vertex_contiguity(geoms, rook=(kind == "rook"))  # = Graph.build_contiguity, vectorised
    isl = np.flatnonzero(np.diff(c.indptr) == 0)
    label = f"{kind} contiguity"
    if isl.size and islands == "error":
        raise WeightsError(
            f"{isl.size} unit(s) of the layer have no {kind}-contiguous neighbour: "
            f"{format_items(_label(ids, names, isl))}.  Choose islands='nearest' (link each to its k "
            f"nearest units), 'drop' (remove them) or 'keep' (zero rows) -- on the command line "
            f"--islands nearest|drop|keep -- or use distance weights."
        )
    if isl.size and islands == "nearest":
        _, lon, lat = _centroids_lonlat(layer, id)
        i, j = _knn_pairs(_unit_vectors(lon, lat), isl, k)
        add = sp.csr_matrix((np.ones(i.size), (i, j)), shape=c.shape)
        c = ((c + add + add.T) > 0).astype(float)
        label += f" + {k}-nearest for islands"
    # which units were islands and what was done with them: summary() says so (w.islands is empty after linking)
    policy = IslandPolicy(islands, [ids[i] for i in isl], k) if isl.size and islands in ("nearest", "drop") else None
    w = SpatialWeights(c, ids, "B", label, island_policy=policy)
    if isl.size and islands == "drop":
        keep = [u for u in ids if u not in set(ids[i] for i in isl)]
        w = w.subset(keep)
        w = SpatialWeights(w.sparse, w.ids, "B", label + " (islands dropped)", island_policy=policy)
    return _apply_transform(w, t)
