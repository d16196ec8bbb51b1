"""Geometry for display: EPSG:4326, optionally coverage-simplified, rounded coordinates.

Used by the study layer (the geometry stored with the results) and by the maps.
shapely's :func:`shapely.coverage_simplify` keeps the edges neighbours share, so a
simplified layer has no gaps or slivers; rounding to 5 decimals (about 1 m) keeps the
GeoJSON small and its text deterministic.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from spillmap.errors import DataError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["for_display", "AUTO_SIMPLIFY_VERTICES", "auto_tolerance"]

#: above this many vertices a user layer is coverage-simplified for display (``simplify="auto"``)
AUTO_SIMPLIFY_VERTICES = 150_000


def auto_tolerance(gdf: gpd.GeoDataFrame, simplify: str | bool | float | None, *, bundled: bool) -> float | None:
    """The simplification tolerance (degrees) for ``simplify = "auto" | False | float``.

    ``"auto"``: 0.01° (about 1 km) for a user layer above :data:`AUTO_SIMPLIFY_VERTICES`
    vertices, none for the bundled layers (already simplified for the web).
    """
    if simplify == "auto":
        big = int(shapely.get_num_coordinates(gdf.geometry.values).sum()) > AUTO_SIMPLIFY_VERTICES
        return 0.01 if big and not bundled else None
    return float(simplify) if simplify else None


def for_display(gdf: gpd.GeoDataFrame, id: str, *, decimals: int = 5,  # noqa: A002
                simplify: float | None = None) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` in EPSG:4326 with ``id`` as text, simplified and rounded.

    Parameters
    ----------
    gdf
        Boundary layer (any CRS).
    id
        Id column.
    decimals
        Coordinate decimals kept (5 = about 1 m).
    simplify
        Tolerance in degrees for :func:`shapely.coverage_simplify`; ``None`` keeps the geometry.
    """
    if id not in gdf.columns:
        raise DataError(f"no id column {id!r} in the layer.")
    if gdf.crs is None:
        raise DataError("the layer has no coordinate reference system; set one before drawing it.")
    out = gdf.to_crs(4326) if gdf.crs.to_epsg() != 4326 else gdf.copy()
    out[id] = out[id].astype(str)
    geoms = np.asarray(out.geometry.values)
    if simplify:
        geoms = shapely.coverage_simplify(geoms, simplify)
    geoms = shapely.transform(geoms, lambda c: np.round(c, decimals))
    return out.set_geometry(list(geoms), crs=4326)
