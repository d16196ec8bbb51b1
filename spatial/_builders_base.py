"""Shared pieces of the weights builders: transforms, layer ids, centroids on the sphere.

Written by hand (numpy/scipy): the id checks, the transform option and the sphere
geometry of the k-d tree searches (unit vectors; the chord ``c`` between two of them is
a monotone function of the great-circle distance, ``d = 2 R asin(c / 2)``).  Centroids
and dense great-circle distances come from :mod:`spillmap.geo`, imported lazily so
that importing the builders does not import geopandas.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from spillmap.errors import DataError, GeometryError, InputError, WeightsError, check_choice, did_you_mean, format_items
from spillmap.spatial.weights import SpatialWeights

#: mean Earth radius (IUGG R1), km: equal to ``spillmap.geo.MEAN_EARTH_RADIUS_KM`` (tested),
#: kept here so that importing the builders does not import geopandas
EARTH_RADIUS_KM = 6371.0088

TransformArg = Literal["R", "B", "O", "r", "b", "o"] | None


def _norm_transform(transform: TransformArg) -> str:
    t = "O" if transform is None else str(transform).upper()
    if t == "NONE":
        t = "O"
    if t not in ("R", "B", "O"):
        check_choice("transform", transform, ("R", "B", "O"))  # the refusal quotes what the user wrote
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


def _check_layer(layer: object) -> None:
    """A GeoDataFrame with an active geometry column, else an error saying how to get one."""
    if not isinstance(layer, pd.DataFrame):
        raise InputError(f"layer must be a GeoDataFrame of polygons (spillmap.geo.read_layer); "
                         f"got {type(layer).__name__}.")
    try:
        layer.geometry  # noqa: B018 - a plain DataFrame or a GeoDataFrame without active geometry raises
    except AttributeError:
        raise GeometryError(
            f"layer is a {type(layer).__name__} without a geometry column (columns: "
            f"{format_items(list(layer.columns), limit=10)}); read it with spillmap.geo.read_layer or make "
            "it a geopandas.GeoDataFrame(df, geometry=...)."
        ) from None


def _check_count(name: str, value: object, n: int) -> int:
    """A neighbour count: an int (NumPy ints too), not a bool, with ``1 <= value <= n - 1``.

    Raises
    ------
    InputError
        A float (``2.5``, even ``2.0``), a bool, text, or a count out of range; the message
        names ``name`` and the valid range.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{name} must be a whole number of neighbours between 1 and N-1 = {n - 1}; "
                         f"got {value!r} ({type(value).__name__}).")
    if not 1 <= value <= n - 1:
        raise InputError(f"{name} must be between 1 and N-1 = {n - 1}; got {value}.")
    return int(value)


def _check_positive(name: str, value: object, hint: str) -> float:
    """A finite number > 0 (not a bool, not text); InputError naming ``name`` otherwise."""
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{name} must be a positive number ({hint}); got {value!r} ({type(value).__name__}).")
    f = float(value)
    if not np.isfinite(f) or f <= 0:
        raise InputError(f"{name} must be a positive number ({hint}); got {value!r}.")
    return f


def _layer_ids(layer, id: str) -> tuple[str, ...]:
    """The layer's ids (str) in row order; checks the layer, the column, nulls and duplicates."""
    _check_layer(layer)
    if len(layer) == 0:
        raise DataError("the layer has no features (0 units); there is nothing to build weights on.")
    if id not in layer.columns:
        raise DataError(
            f"id column {id!r} is not in the layer; available columns: {format_items(list(layer.columns))}."
            + did_you_mean(id, layer.columns)
        )
    col = layer[id]
    if col.isna().any():
        rows = list(layer.index[col.isna().to_numpy()])
        raise DataError(f"id column {id!r} of the layer has missing values at row index {format_items(rows)}.")
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


def _coincident_error(ids, idx_pairs, why: str = "have no finite inverse-distance weight") -> WeightsError:
    pairs = [f"{ids[i]}={ids[j]}" for i, j in idx_pairs]
    return WeightsError(f"units with identical centroids (distance 0 km) {why}: {format_items(pairs)}; merge or drop them.")


def _check_distinct_points(ids, xyz: np.ndarray, why: str) -> None:
    """Units with identical centroids (the same unit vector) are an error saying ``why``."""
    _, first, inverse = np.unique(xyz, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    twins = [(int(first[g]), int(r)) for r, g in enumerate(inverse) if first[g] != r]
    if twins:
        raise _coincident_error(ids, twins, why)


def _check_alpha(alpha: float) -> float:
    """The distance-decay exponent as a positive float."""
    return _check_positive("alpha", alpha, "the distance-decay exponent, usually 1 or 2")


def _dense_distances(ids: Sequence[str], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The N x N great-circle km; units with identical centroids are an error."""
    d = _distances_km(lon, lat)
    zero = np.argwhere((d <= 0) & ~np.eye(len(ids), dtype=bool))
    if zero.size:
        raise _coincident_error(ids, [(i, j) for i, j in zero if i < j])
    return d


def _period_label(period: tuple[object, object] | None) -> str:
    """`` 2008-2012`` of a window, `` 2008`` of one period (a W built from that period alone)."""
    if period is None:
        return ""
    return f" {period[0]}" if str(period[0]) == str(period[1]) else f" {period[0]}-{period[1]}"


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
