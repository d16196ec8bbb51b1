"""The longitude/latitude range check of a layer in a geographic CRS.

Written by hand (shapely/numpy): a layer whose CRS says degrees but whose coordinates
are metres (a projected layer labelled ``CRS84``, or coordinates scaled by 1e5) would
otherwise reach pyproj as a projection centred at latitude 3.7 million degrees and fail
with a traceback.  The check costs the layer's total bounds; the offending unit and
vertex are looked up only when the bounds are out of range.
"""
from __future__ import annotations

import numpy as np
import shapely

from spillmap.errors import CRSError

__all__ = ["check_lonlat_range", "LON_RANGE", "LAT_RANGE"]

#: accepted longitudes (degrees): -180..180, and 0..360 as some global layers store them
LON_RANGE = (-180.0, 360.0)
#: accepted latitudes (degrees)
LAT_RANGE = (-90.0, 90.0)
_TOL = 1e-7  # degrees: rounding in files that store +-180 or +-90 exactly


def _in_degrees(crs) -> bool:
    """A geographic CRS whose axes are in degrees (not grads or radians)."""
    if crs is None or not crs.is_geographic:
        return False
    units = {(a.unit_name or "").lower() for a in crs.axis_info}
    return not units or units <= {"degree", "degrees", "degree minute second hemisphere"}


def _outside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mask of the (x = longitude, y = latitude) pairs outside :data:`LON_RANGE` / :data:`LAT_RANGE`."""
    return ((x < LON_RANGE[0] - _TOL) | (x > LON_RANGE[1] + _TOL)
            | (y < LAT_RANGE[0] - _TOL) | (y > LAT_RANGE[1] + _TOL))


def _example(gdf, id: str | None) -> str:  # noqa: A002
    """`` (e.g. unit 'WA': x = ..., y = ...)`` for the first vertex out of range."""
    coords, which = shapely.get_coordinates(gdf.geometry.to_numpy(), return_index=True)
    bad = np.flatnonzero(_outside(coords[:, 0], coords[:, 1]))
    if not bad.size:
        return ""
    k = int(bad[0])
    row = int(which[k])
    unit = repr(gdf[id].iloc[row]) if id is not None and id in gdf.columns else f"in row index {row}"
    return f" (e.g. unit {unit}: x = {coords[k, 0]:.6g}, y = {coords[k, 1]:.6g})"


def check_lonlat_range(gdf, *, where: str, id: str | None = None) -> None:  # noqa: A002
    """Refuse a layer in a geographic CRS whose coordinates are not longitudes/latitudes.

    Parameters
    ----------
    gdf
        A GeoDataFrame (any CRS; only a geographic CRS in degrees is checked).
    where
        How to name the layer in the message (its file, or ``"the layer"``).
    id
        The id column, to name the unit of the example vertex.

    Raises
    ------
    CRSError
        When a coordinate lies outside longitude -180..360 or latitude -90..90; the
        message names the CRS and the first offending unit and vertex.
    """
    if len(gdf) == 0 or not _in_degrees(gdf.crs):
        return
    minx, miny, maxx, maxy = (float(v) for v in gdf.geometry.total_bounds)
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        return  # no coordinates at all: the callers report empty geometries
    if not _outside(np.array([minx, maxx]), np.array([miny, maxy])).any():
        return
    raise CRSError(
        f"{where}: coordinates outside the longitude/latitude range of its CRS ({gdf.crs.to_string()})"
        f"{_example(gdf, id)}; x must lie in {LON_RANGE[0]:g}..{LON_RANGE[1]:g} and y in "
        f"{LAT_RANGE[0]:g}..{LAT_RANGE[1]:g} degrees. The coordinates are probably projected (metres): "
        "give the file its true CRS."
    )
