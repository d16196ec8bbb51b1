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
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from spillmap.errors import DataError, GeometryError, InputError, JoinError, WeightsError, did_you_mean, format_items
from spillmap.spatial.weights import SpatialWeights

__all__ = [
    "contiguity",
    "inverse_distance",
    "knn",
    "economic_distance",
    "economic_product",
    "nested",
    "period_means",
]

#: mean Earth radius (IUGG R1), km: equal to ``spillmap.geo.MEAN_EARTH_RADIUS_KM`` (tested),
#: kept here so that importing the builders does not import geopandas
EARTH_RADIUS_KM = 6371.0088

TransformArg = Literal["R", "B", "O", "r", "b", "o"] | None


# --------------------------------------------------------------------- checks
def _check_choice(name: str, value: object, choices: Sequence[object]) -> None:
    """Raise InputError unless ``value`` is one of ``choices`` (listing them)."""
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")


def _norm_transform(transform: TransformArg) -> str:
    t = "O" if transform is None else str(transform).upper()
    if t == "NONE":
        t = "O"
    _check_choice("transform", t, ("R", "B", "O"))
    return t


def _apply_transform(w: SpatialWeights, transform: str) -> SpatialWeights:
    if transform == "R":
        return w.row_standardize()
    if transform == "B":
        return w.binary()
    return w


def _normalise_ids(values: pd.Series) -> pd.Series:
    """Ids as strings; integral floats (110000.0) lose their ``.0``."""
    s = pd.Series(values)
    if pd.api.types.is_float_dtype(s) and s.notna().all() and np.all(np.mod(s.to_numpy(), 1) == 0):
        s = s.astype("int64")
    return s.astype(str)


def _layer_ids(layer, id: str) -> tuple[str, ...]:
    """The layer's ids (str) in row order; checks the column, nulls and duplicates."""
    if len(layer) == 0:
        raise DataError("the layer has no features (0 units); there is nothing to build weights on.")
    if id not in layer.columns:
        raise DataError(
            f"id column {id!r} is not in the layer; available columns: {format_items(list(layer.columns))}."
            + did_you_mean(id, layer.columns)
        )
    col = layer[id]
    if col.isna().any():
        rows = np.flatnonzero(col.isna().to_numpy())
        raise DataError(f"id column {id!r} has missing values in rows {format_items(rows.tolist())}.")
    ids = _normalise_ids(col)
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        raise DataError(f"id column {id!r} has repeated ids: {format_items(dup)}; ids must be unique.")
    return tuple(ids.tolist())


def _centroids_lonlat(layer, id: str) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(ids, lon, lat) of the unit centroids, via :func:`spillmap.geo.centroids`."""
    ids = _layer_ids(layer, id)
    layer = layer[[id, layer.geometry.name]].copy()
    layer[id] = list(ids)
    from spillmap.geo import centroids

    c = centroids(layer, id)
    c.index = c.index.astype(str)
    c = c.loc[list(ids)]
    return ids, c["lon"].to_numpy(float), c["lat"].to_numpy(float)


def _distances_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Dense great-circle distance matrix (km) via :func:`spillmap.geo.great_circle_distances`."""
    from spillmap.geo import great_circle_distances

    return np.asarray(great_circle_distances(lon, lat), dtype=float)


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def _chord_to_km(chord: np.ndarray) -> np.ndarray:
    """Great-circle km from the chord between unit vectors: ``2 R asin(c / 2)``."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))


def _km_to_chord(km: float) -> float:
    return float(2.0 * np.sin(min(km / (2.0 * EARTH_RADIUS_KM), np.pi / 2)))


def _label(ids: Sequence[str], names: Sequence[str] | None, idx: Sequence[int]) -> list[str]:
    if names is None:
        return [ids[i] for i in idx]
    return [f"{names[i]} ({ids[i]})" for i in idx]


def _coincident_error(ids, idx_pairs) -> WeightsError:
    pairs = [f"{ids[i]}={ids[j]}" for i, j in idx_pairs]
    return WeightsError(
        f"units with identical centroids (distance 0 km) have no finite inverse-distance weight: "
        f"{format_items(pairs)}; merge or drop them."
    )


# ----------------------------------------------------------------- contiguity
def _knn_pairs(xyz: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each index in ``rows``, its ``k`` nearest other units (exact, on the sphere)."""
    from scipy.spatial import cKDTree

    n = xyz.shape[0]
    if k < 1 or k > n - 1:
        raise InputError(f"k must be between 1 and N-1 = {n - 1}; got {k}.")
    tree = cKDTree(xyz)
    _, nb = tree.query(xyz[rows], k=k + 1)
    nb = np.atleast_2d(nb)
    out_i, out_j = [], []
    for r, cand in zip(rows, nb):
        cand = [c for c in cand if c != r][:k]
        out_i.extend([r] * len(cand))
        out_j.extend(cand)
    return np.asarray(out_i, dtype=int), np.asarray(out_j, dtype=int)


def contiguity(
    layer,
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
        Number of nearest units linked to each island with ``islands="nearest"``.
    name_column
        A column of readable names used in error messages.
    transform
        ``"R"`` row-standardised (default), ``"B"`` binary, ``"O"``/``None`` as built.

    Returns
    -------
    SpatialWeights

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

    _check_choice("kind", kind, ("queen", "rook"))
    _check_choice("islands", islands, ("error", "nearest", "drop", "keep"))
    t = _norm_transform(transform)
    ids = _layer_ids(layer, id)
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
    w = SpatialWeights(c, ids, "B", label)
    if isl.size and islands == "drop":
        keep = [u for u in ids if u not in set(ids[i] for i in isl)]
        w = w.subset(keep)
        w = SpatialWeights(w.sparse, w.ids, "B", label + " (islands dropped)")
    return _apply_transform(w, t)


# -------------------------------------------------------------------- distance
def knn(layer, id: str, *, k: int, transform: TransformArg = "R") -> SpatialWeights:
    """k-nearest-neighbour weights by great-circle distance between centroids.

    ``c_ij = 1`` when ``j`` is among the ``k`` units nearest to ``i`` (great-circle
    distance between centroids), else 0; then the transform.  The matrix is in
    general **not symmetric**.  Exact distance ties are broken arbitrarily.

    Parameters
    ----------
    layer, id
        The polygons and their id column (row order of W).
    k
        Neighbours per unit, ``1 <= k <= N - 1``.
    transform
        ``"R"`` (default), ``"B"`` or ``"O"``/``None``.

    Notes
    -----
    Ranks chord distances between unit vectors (a monotone transform of the
    great-circle distance) with a k-d tree; sparse, O(N log N).

    Verification: neighbour sets equal the k smallest entries of
    :func:`spillmap.geo.great_circle_distances`, and libpysal ``Graph.build_knn`` on the
    same unit vectors (tests/test_weights_builders.py).
    """
    t = _norm_transform(transform)
    ids, lon, lat = _centroids_lonlat(layer, id)
    n = len(ids)
    i, j = _knn_pairs(_unit_vectors(lon, lat), np.arange(n), int(k))
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
    layer,
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
        Keep only the ``k`` nearest units of each unit (asymmetric).
    transform
        ``"R"`` (default), ``"B"`` or ``"O"``/``None``.

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
    alpha = float(alpha)
    if not np.isfinite(alpha) or alpha <= 0:
        raise InputError(f"alpha must be a positive number (usually 1 or 2); got {alpha!r}.")
    if cutoff_km is not None and k is not None:
        raise InputError("give cutoff_km or k, not both.")
    ids, lon, lat = _centroids_lonlat(layer, id)
    n = len(ids)
    label = f"inverse distance^{alpha:g}"
    if cutoff_km is None and k is None:
        d = _distances_km(lon, lat)
        zero = np.argwhere((d <= 0) & ~np.eye(n, dtype=bool))
        if zero.size:
            raise _coincident_error(ids, [(i, j) for i, j in zero if i < j])
        w = SpatialWeights(_inverse_distance_dense(d, alpha), ids, "O", label)
        return _apply_transform(w, t)
    from scipy.spatial import cKDTree

    xyz = _unit_vectors(lon, lat)
    if k is not None:
        i, j = _knn_pairs(xyz, np.arange(n), int(k))
        chord = np.linalg.norm(xyz[i] - xyz[j], axis=1)
        label += f", {k} nearest"
    else:
        cutoff_km = float(cutoff_km)
        if not np.isfinite(cutoff_km) or cutoff_km <= 0:
            raise InputError(f"cutoff_km must be a positive distance in km; got {cutoff_km!r}.")
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


# ------------------------------------------------------------------- economic
def period_means(
    panel: pd.DataFrame,
    *,
    id: str,
    time: str,
    var: str,
    period: tuple[object, object] | None = None,
    ids: Sequence[object] | None = None,
) -> pd.Series:
    """The mean of ``var`` over ``period`` for each unit (``Ybar_i``), indexed by id (str).

    Parameters
    ----------
    panel
        A long panel with columns ``id``, ``time`` and ``var``.
    period
        ``(start, end)``, both included, in the units of the ``time`` column;
        ``None`` uses every period.  Units observed in only some periods of the
        window are averaged over the periods they have.
    ids
        The units expected, in the order of the result; by default the panel's ids in
        order of first appearance.

    Raises
    ------
    DataError
        Missing columns, non-numeric ``var``, NaN cells (listed as (id, time)), or a
        period with no data (named).
    JoinError
        Panel ids different from ``ids`` (both sides listed).
    """
    missing = [c for c in (id, time, var) if c not in panel.columns]
    if missing:
        raise DataError(
            f"panel has no column(s) {format_items(missing)}; available: {format_items(list(panel.columns))}."
        )
    df = pd.DataFrame({"id": _normalise_ids(panel[id]), "time": panel[time].to_numpy()})
    vals = pd.to_numeric(panel[var], errors="coerce")
    bad = vals.isna() & panel[var].notna()
    if bad.any():
        example = panel[var][bad].iloc[0]
        raise DataError(f"column {var!r} is not numeric (e.g. value {example!r}); convert it to numbers.")
    df["y"] = vals.to_numpy(dtype=float)
    if period is not None:
        start, end = period
        tcol = df["time"]
        if pd.api.types.is_numeric_dtype(tcol):
            try:
                start, end = float(start), float(end)
            except (TypeError, ValueError):
                raise InputError(f"period {period!r} is not numeric but column {time!r} is.") from None
        else:
            tcol = tcol.astype(str)
            start, end = str(start), str(end)
        if start > end:
            raise InputError(f"period start {period[0]!r} is after its end {period[1]!r}.")
        sel = (tcol >= start) & (tcol <= end)
        if not sel.any():
            raise DataError(
                f"no data in the period {period[0]}-{period[1]} of column {time!r}; the panel covers "
                f"{df['time'].min()}-{df['time'].max()}."
            )
        df = df[sel.to_numpy()]
    nan = df["y"].isna()
    if nan.any():
        cells = list(zip(df.loc[nan, "id"], df.loc[nan, "time"]))
        raise DataError(f"column {var!r} has missing values in (id, time) cells {format_items(cells)}.")
    means = df.groupby("id", sort=False)["y"].mean()
    if ids is not None:
        ids = [str(i) for i in ids]
        not_in_panel = [i for i in ids if i not in means.index]
        extra = [i for i in means.index if i not in set(ids)]
        if not_in_panel or extra:
            parts = []
            if not_in_panel:
                parts.append(f"units without {var!r} data in the period: {format_items(not_in_panel)}")
            if extra:
                parts.append(f"panel ids not among the weights' units: {format_items(extra)}")
            raise JoinError("panel ids do not match the layer/ids; " + "; ".join(parts) + ".")
        means = means.loc[ids]
    means.index = means.index.astype(object)
    means.name = var
    return means


def _economic_distance_dense(ybar: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """``1/|Ybar_i - Ybar_j|`` off the diagonal; ties (gap <= tol) get the row's largest
    non-tie weight (pure).  Returns ``(w, rows)`` where ``rows`` are the indices of rows
    made only of ties (undefined; the caller raises)."""
    w = np.abs(ybar[:, None] - ybar[None, :])
    np.fill_diagonal(w, np.inf)  # diagonal -> weight 0
    tie = w <= tol
    w[tie] = np.inf  # ties -> 0 for now, filled below
    np.reciprocal(w, out=w)
    if not tie.any():
        return w, np.array([], dtype=int)
    rowmax = w.max(axis=1)
    all_tie = np.flatnonzero(tie.any(axis=1) & (rowmax == 0))
    r, c = np.nonzero(tie)
    w[r, c] = rowmax[r]
    return w, all_tie


def economic_distance(
    panel: pd.DataFrame,
    *,
    id: str,
    time: str,
    var: str,
    period: tuple[object, object] | None = None,
    ids: Sequence[object] | None = None,
    transform: TransformArg = "R",
    tol: float = 1e-10,
    by_period: bool = False,
) -> SpatialWeights | dict:
    """Economic-distance weights: ``w_ij = 1 / |Ybar_i - Ybar_j|`` for ``i != j``.

    ``Ybar_i`` is the mean of ``var`` over ``period`` for unit ``i``
    (:func:`period_means`).  Units with similar levels (e.g. GDP per capita) get large
    weights.  Then the transform (row-standardised by default).

    **Ties.**  When ``|Ybar_i - Ybar_j| <= tol * max_k |Ybar_k|`` the inverse is
    infinite (or dominated by rounding).  Such a pair gets the *largest finite weight
    of row i*: a tied unit is at least as close economically as i's closest untied
    unit, so it ranks first, but it cannot take the whole row after standardisation.
    Ties are real, not hypothetical: winsorised variables (the seed study winsorises at
    1 %/99 %) give exactly equal means to units clipped in every year.  A row whose
    every pair is tied (all units have equal means) raises
    :class:`~spillmap.errors.WeightsError`.

    Parameters
    ----------
    panel
        Long panel with columns ``id``, ``time``, ``var``.
    period
        ``(start, end)`` inclusive; ``None`` uses all periods.
    ids
        Unit order of W (and the units required); default: the panel's ids in order
        of first appearance.
    transform
        ``"R"`` (default), ``"B"`` or ``"O"``/``None``.
    tol
        Relative tie tolerance (see above).
    by_period
        One matrix per period from that period's values (``{period: W_t}``, the periods of
        ``period`` or all): a time-varying W for ``SpatialPanel(..., w=...)``.

    Notes
    -----
    Dense N x N (every pair has a weight).  Reference: Case, A. C., Rosen, H. S. &
    Hines, J. R. (1993) "Budget spillovers and fiscal policy interdependence: evidence
    from the states", *Journal of Public Economics* 52(3), 285-307 (weights
    ``1/|x_i - x_j|`` on income per capita).

    Verification: a 4-unit example worked by hand, with and without a tie
    (tests/test_weights_economic.py).
    """
    if by_period:
        from spillmap.spatial._by_period import per_period

        return per_period(lambda p: economic_distance(panel, id=id, time=time, var=var, period=p, ids=ids,
                                                      transform=transform, tol=tol), panel, time, period)
    t = _norm_transform(transform)
    ybar = period_means(panel, id=id, time=time, var=var, period=period, ids=ids)
    if ybar.size < 2:
        raise WeightsError("economic distance needs at least two units.")
    y = ybar.to_numpy(float)
    scale = float(np.max(np.abs(y)))
    dense, all_tie = _economic_distance_dense(y, tol * scale if scale > 0 else 0.0)
    if all_tie.size:
        raise WeightsError(
            f"economic distance is undefined for units {format_items([ybar.index[r] for r in all_tie])}: "
            f"every other unit has the same mean of {var!r} over the period."
        )
    pr = "" if period is None else f" {period[0]}-{period[1]}"
    w = SpatialWeights(dense, tuple(ybar.index), "O", f"economic distance ({var}{pr})")
    return _apply_transform(w, t)


def _economic_product_dense(wd: np.ndarray, ybar: np.ndarray) -> np.ndarray:
    """``w^d_ij * Ybar_j / mean(Ybar)`` (pure)."""
    return wd * (ybar / ybar.mean())[None, :]


def economic_product(
    layer,
    panel: pd.DataFrame,
    *,
    id: str,
    time: str,
    var: str,
    period: tuple[object, object] | None = None,
    alpha: float = 1,
    transform: TransformArg = "R",
    layer_id: str | None = None,
    by_period: bool = False,
) -> SpatialWeights | dict:
    """Economic-geographic weights (W2 of the seed study): distance times economic weight.

    ``w_ij = w^d_ij * Ybar_j / Ybarbar`` for ``i != j``, with ``w^d_ij = d_ij^(-alpha)``
    (great-circle km between centroids; ``alpha = 1`` inverse, ``2`` inverse-square
    distance), ``Ybar_j`` the mean of ``var`` over ``period`` and ``Ybarbar`` the mean
    of ``Ybar`` over all units; in matrix form ``W = W_d diag(Ybar / Ybarbar)``.  Units
    that are close *and* economically large get large weights.  The transform is
    applied after the product (row-standardised by default, which cancels
    ``Ybarbar``).  The result is **not symmetric**.

    Parameters
    ----------
    layer
        Polygons with the id column ``layer_id`` (default ``id``); row order of W.
    panel
        Long panel with ``id`` (same units as the layer), ``time`` and ``var``.
    period
        ``(start, end)`` inclusive; ``None`` uses all periods.
    alpha
        Distance-decay exponent (1 or 2).
    transform
        ``"R"`` (default), ``"B"`` or ``"O"``/``None``.
    layer_id
        The layer's id column when it is named differently from the panel's ``id``.
    by_period
        One matrix per period from that period's values (``{period: W_t}``, the periods of
        ``period`` or all): a time-varying W for ``SpatialPanel(..., w=...)``.

    Raises
    ------
    JoinError
        Panel ids and layer ids differ (both sides listed).
    WeightsError
        A negative ``Ybar`` (weights must be non-negative; ids listed).

    Notes
    -----
    This is the economic-distance matrix of the Chinese spatial-econometrics
    literature (geographic weights scaled by the neighbour's share of mean GDP per
    capita, as in Lin, Long & Wu 2005, *China Economic Quarterly* 4(S1); citation not
    checked against the original offline).  Dense N x N.

    Verification: a 3-unit example worked by hand on a closed-form distance matrix
    (tests/test_weights_economic.py).
    """
    if by_period:
        from spillmap.spatial._by_period import per_period

        return per_period(lambda p: economic_product(layer, panel, id=id, time=time, var=var, period=p,
                                                     alpha=alpha, transform=transform, layer_id=layer_id),
                          panel, time, period)
    t = _norm_transform(transform)
    alpha = float(alpha)
    if not np.isfinite(alpha) or alpha <= 0:
        raise InputError(f"alpha must be a positive number (usually 1 or 2); got {alpha!r}.")
    ids, lon, lat = _centroids_lonlat(layer, layer_id or id)
    ybar = period_means(panel, id=id, time=time, var=var, period=period, ids=ids)
    y = ybar.to_numpy(float)
    if np.any(y < 0):
        raise WeightsError(
            f"economic_product needs non-negative means of {var!r}; negative for units "
            f"{format_items([ids[i] for i in np.flatnonzero(y < 0)])}."
        )
    if y.mean() <= 0:
        raise WeightsError(f"the mean of {var!r} over all units is zero; economic weights are undefined.")
    d = _distances_km(lon, lat)
    n = len(ids)
    zero = np.argwhere((d <= 0) & ~np.eye(n, dtype=bool))
    if zero.size:
        raise _coincident_error(ids, [(i, j) for i, j in zero if i < j])
    dense = _economic_product_dense(_inverse_distance_dense(d, alpha), y)
    pr = "" if period is None else f" {period[0]}-{period[1]}"
    w = SpatialWeights(dense, ids, "O", f"economic-geographic (d^-{alpha:g} x {var}{pr})")
    return _apply_transform(w, t)


def nested(w_d: SpatialWeights, w_e: SpatialWeights | dict, phi: float) -> SpatialWeights | dict:
    """Nested (convex-combination) weights: ``W = phi * R(W_d) + (1 - phi) * R(W_e)``.

    ``R(.)`` row-standardises each part first, so both enter on the same scale and the
    result is row-standardised (rows of islands in both parts stay zero).  ``phi = 1``
    gives the geographic part, ``phi = 0`` the economic part.

    Parameters
    ----------
    w_d
        The geographic matrix; its unit order is the result's.
    w_e
        The economic matrix, over the same units (reordered to ``w_d.ids``); or one per period
        (``economic_distance(..., by_period=True)``), giving ``{period: W_t}``.
    phi
        Weight of the geographic part, in ``[0, 1]``.

    Raises
    ------
    WeightsError
        ``phi`` outside ``[0, 1]``, or different unit sets (listed).

    Notes
    -----
    Convex combinations of connectivity matrices: Debarsy, N. & LeSage, J. P. (2019)
    "Bayesian model averaging for spatial autoregressive models based on convex
    combinations of different types of connectivity matrices", LEM discussion paper
    2019-05; the nested economic-geographic matrix of the Chinese literature is the
    special case with a distance and an economic matrix.

    Verification: a 3-unit example worked by hand (tests/test_weights_economic.py).
    """
    if isinstance(w_e, dict):
        from spillmap.spatial._by_period import nested_per_period

        return nested_per_period(w_d, w_e, phi, nested)
    try:
        phi = float(phi)
    except (TypeError, ValueError):
        raise WeightsError(f"phi must be a number in [0, 1]; got {phi!r}.") from None
    if not (0.0 <= phi <= 1.0):
        raise WeightsError(f"phi must be in [0, 1] (the weight of the geographic matrix); got {phi!r}.")
    if not isinstance(w_d, SpatialWeights) or not isinstance(w_e, SpatialWeights):
        raise WeightsError("nested() takes two SpatialWeights objects.")
    w_e = w_e.align(w_d.ids)
    m = phi * w_d.row_standardize().sparse + (1.0 - phi) * w_e.row_standardize().sparse
    label = f"nested {phi:g}*[{w_d.name or 'W_d'}] + {1 - phi:g}*[{w_e.name or 'W_e'}]"
    out = SpatialWeights(m, w_d.ids, "O", label)
    if out.is_row_standardized:
        out = SpatialWeights(out.sparse, out.ids, "R", label)
    return out
