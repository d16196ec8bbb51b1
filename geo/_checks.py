"""Checks of a boundary layer once read: its CRS, its ids and its geometries.

Used by :func:`spillmap.geo.read_boundaries`; each check raises one error naming the file
and what is wrong (ids, feature numbers, geometry types), with what to do about it.
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spillmap.errors import CRSError, DataError, GeometryError, format_items, one_line

from ._common import Shown, normalise_ids
from ._repair import repair_geometries

#: what read_boundaries' errors tell a Python caller to do (the command line and study files say their own)
PYTHON_ADVICE = {"assume_crs": "pass assume_crs=..., e.g. assume_crs='EPSG:4326' for longitude/latitude degrees",
                 "layer": "say which one to read with layer=..."}


#: what GDAL (before 3.9) reads from a GeoPackage layer written without a CRS (its srs_id 0 and -1):
#: placeholders, not coordinate systems
_UNDEFINED_CRS = ("Undefined geographic SRS", "Undefined Cartesian SRS")


def apply_crs(gdf: gpd.GeoDataFrame, path, driver: str, assume_crs: str | int | None, *,
              require: bool = True, advice: str | None = None) -> tuple[gpd.GeoDataFrame, bool]:
    """The layer with its CRS, and whether the CRS was assumed.

    Parameters
    ----------
    gdf
        The layer as read.
    path
        The file (for messages).
    driver
        The GDAL driver (a shapefile's CRS lives in its ``.prj``: the message says so).
    assume_crs
        The CRS to use when the layer has none.
    require
        When False, a layer without a CRS and without ``assume_crs`` is returned as it is.
    advice
        What the error for a missing CRS tells the user to do (default: ``PYTHON_ADVICE["assume_crs"]``).

    Returns
    -------
    tuple
        ``(layer, assumed)``.

    Raises
    ------
    CRSError
        No CRS and no ``assume_crs`` (when ``require``), or an ``assume_crs`` pyproj cannot parse.
    """
    if gdf.crs is not None and gdf.crs.name in _UNDEFINED_CRS:
        gdf = gdf.set_crs(None, allow_override=True)  # a GeoPackage's srs_id 0 / -1: no CRS at all
    if gdf.crs is not None:
        return gdf, False
    if assume_crs is None:
        if not require:
            return gdf, False
        hint = " (a shapefile keeps its CRS in the .prj file next to it)" if driver == "ESRI Shapefile" else ""
        raise CRSError(f"{path} has no coordinate reference system{hint}. If you know it, "
                       f"{advice or PYTHON_ADVICE['assume_crs']}.")
    import pyproj

    try:
        crs = pyproj.CRS.from_user_input(assume_crs)
    except Exception as exc:
        raise CRSError(f"assume_crs={assume_crs!r} is not a CRS pyproj understands: {one_line(exc)}") from exc
    return gdf.set_crs(crs), True


def check_ids(raw_ids: pd.Series, path: Path, id: str) -> tuple[pd.Series, str]:
    """Ids as text and a note on what was normalised; empty or duplicated ids are errors."""
    null = raw_ids.isna().to_numpy(dtype=bool).copy()
    if pd.api.types.is_string_dtype(raw_ids.dtype) or raw_ids.dtype == object:
        null |= raw_ids.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
    if null.any():
        rows = (np.flatnonzero(null) + 1).tolist()
        raise DataError(
            f"{path}: id column {id!r} is empty in {len(rows)} feature(s), number(s) "
            f"{format_items(rows)} counting from 1 in file order. Every unit needs an id."
        )
    ids, id_note = normalise_ids(raw_ids, what=f"{path.name} column {id!r}")
    if pd.api.types.is_numeric_dtype(raw_ids.dtype):
        id_note += "; the file stores them as numbers, so leading zeros, if the codes had any, are lost"
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        counts = dup.value_counts(sort=False)
        items = [Shown(f"{k!r} x{v}") for k, v in counts.items()]
        raise DataError(
            f"{path}: id column {id!r} is not unique; duplicated ids: {format_items(items)}. "
            "Dissolve or recode the duplicated units first."
        )
    return ids, id_note


def check_geometries(geoms: np.ndarray, ids: pd.Series, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Missing/empty and non-polygonal geometries are errors; invalid ones are repaired (see
    :func:`repair_geometries`) unless nothing is left of them."""
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise GeometryError(
            f"{path}: {int(missing.sum())} unit(s) have a missing, empty or unreadable geometry: "
            f"{format_items(ids[missing].tolist())}. Fix or drop them."
        )
    non_poly = ~np.isin(shapely.get_type_id(geoms), (3, 6))  # 3 = Polygon, 6 = MultiPolygon
    if non_poly.any():
        offenders = [Shown(f"{i!r} ({g.geom_type})") for i, g in zip(ids[non_poly], geoms[non_poly])]
        raise GeometryError(
            f"{path}: spillmap needs polygons, but {int(non_poly.sum())} unit(s) have other "
            f"geometry types: {format_items(offenders)}."
        )
    repaired, was_invalid = repair_geometries(geoms)
    lost = shapely.is_empty(repaired)
    if lost.any():
        raise GeometryError(
            f"{path}: invalid geometries with no area left after repair: "
            f"{format_items(ids[lost].tolist())}. Redraw these units."
        )
    return repaired, was_invalid
