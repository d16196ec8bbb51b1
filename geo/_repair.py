"""Repair of invalid polygons for :func:`spillmap.geo.read_boundaries`.

Library: **shapely** (``make_valid``); written here only the choice of method and the
reduction of the result to its polygonal part, so that every unit stays a MultiPolygon.
"""
from __future__ import annotations

import numpy as np
import shapely

__all__ = ["repair_geometries"]

_POLYGONAL = ("Polygon", "MultiPolygon")


def _polygonal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a geometry (Polygon/MultiPolygon), empty if there is none."""
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
    if not parts:
        return shapely.MultiPolygon()
    return shapely.unary_union(parts)


def _to_multipolygon(geom: shapely.Geometry) -> shapely.MultiPolygon:
    if geom.geom_type == "MultiPolygon":
        return geom
    return shapely.MultiPolygon([geom])


def repair_geometries(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Repair invalid polygons, keeping only their polygonal part.

    Parameters
    ----------
    geoms
        Array of Polygon/MultiPolygon geometries (no nulls, no empties).

    Returns
    -------
    repaired, was_invalid
        ``repaired`` is an object array of geometries, every one a MultiPolygon;
        ``was_invalid`` flags the ones that were repaired.

    Notes
    -----
    Uses ``shapely.make_valid(method="structure", keep_collapsed=False)`` (GEOS >= 3.10),
    which rebuilds a polygon as the union of its shell areas minus its holes and drops
    collapsed parts (spikes, zero-area rings); any remaining non-polygonal member is
    dropped as well. A bow-tie ``(0 0, 2 2, 2 0, 0 2)`` becomes its two triangles.
    """
    geoms = np.asarray(geoms, dtype=object)
    was_invalid = ~shapely.is_valid(geoms)
    out = geoms.copy()
    for i in np.flatnonzero(was_invalid):
        fixed = shapely.make_valid(geoms[i], method="structure", keep_collapsed=False)
        out[i] = _polygonal_part(fixed)
    out = np.array([g if g.is_empty else _to_multipolygon(g) for g in out], dtype=object)
    return out, was_invalid
