"""Equal-area projection, centroids and great-circle distances.

Libraries: **pyproj** (through geopandas ``to_crs``) projects, **shapely** (through
geopandas) computes planar centroids. Written by hand: the choice of equal-area CRS
and the haversine distance matrix (a few vectorised numpy lines, written in a form
without cancellation so that identical points give exactly 0 and antipodes give
exactly pi * R; scikit-learn's ``haversine_distances`` would add a dependency and uses
``arcsin``, which loses precision near antipodes).

Choice of projection (:func:`equal_area_crs`)
---------------------------------------------
* A layer whose lon/lat bounds lie inside China's bounding box (lon 73-136 E, lat 3-54 N)
  gets the usual China Albers equal-area conic:
  ``+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m``.
* Any other layer gets a Lambert azimuthal equal-area projection centred on the centre
  of its lon/lat bounds (``+proj=laea +lat_0=<mid lat> +lon_0=<mid lon> +ellps=WGS84``),
  which is equal-area everywhere and has least shape distortion near its centre.
  A layer crossing the antimeridian (bounds spanning more than 180 degrees of longitude)
  is centred on the antimeridian side instead.

Both are equal-area, so areas and area-weighted centroids are meaningful in metres.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from spillmap.errors import CRSError, DataError, format_items

__all__ = [
    "CHINA_ALBERS",
    "CHINA_EXTENT",
    "equal_area_crs",
    "to_equal_area",
    "centroids",
    "great_circle_distances",
    "distance_matrix",
]

#: China Albers equal-area conic (PROJ string)
CHINA_ALBERS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
#: (min lon, min lat, max lon, max lat) of the box in which China Albers is used
CHINA_EXTENT = (73.0, 3.0, 136.0, 54.0)

#: mean Earth radius R1 of the IUGG (km)
MEAN_EARTH_RADIUS_KM = 6371.0088


def _require_crs(gdf: gpd.GeoDataFrame) -> None:
    if gdf.crs is None:
        raise CRSError(
            "the layer has no CRS; set it first (gdf.set_crs(...)) or read it with "
            "read_boundaries(..., assume_crs=...)."
        )


def _lonlat_bounds(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    from ._lonlat import check_lonlat_range

    check_lonlat_range(gdf, where="the layer")  # a layer built in Python: read_boundaries checked files
    geo = gdf.geometry if gdf.crs.equals("EPSG:4326") else gdf.geometry.to_crs("EPSG:4326")
    return tuple(float(v) for v in geo.total_bounds)  # type: ignore[return-value]


def equal_area_crs(gdf: gpd.GeoDataFrame) -> str:
    """The equal-area CRS (PROJ string) spillmap uses for a layer.

    Parameters
    ----------
    gdf
        A layer with a CRS.

    Returns
    -------
    str
        :data:`CHINA_ALBERS` when the layer's lon/lat bounds lie within
        :data:`CHINA_EXTENT`, otherwise a Lambert azimuthal equal-area projection
        centred on the centre of the layer's lon/lat bounds (see the module notes).

    Verification
    ------------
    ``tests/test_geo_project.py``: China layer -> :data:`CHINA_ALBERS`; US-48 -> LAEA whose
    areas match EPSG:5070 (CONUS Albers) to 1e-6 relative; an antimeridian layer is
    centred at lon 180.
    """
    _require_crs(gdf)
    minx, miny, maxx, maxy = _lonlat_bounds(gdf)
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        raise DataError("the layer has no coordinates (all geometries empty?); cannot choose a projection.")
    x0, y0, x1, y1 = CHINA_EXTENT
    if minx >= x0 and miny >= y0 and maxx <= x1 and maxy <= y1:
        return CHINA_ALBERS
    lon0 = (minx + maxx) / 2.0
    if maxx - minx > 180.0:
        # most likely a layer crossing the antimeridian: centre on the other side
        lon0 = lon0 + 180.0 if lon0 <= 0 else lon0 - 180.0
    lat0 = (miny + maxy) / 2.0
    return f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"


def to_equal_area(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject a layer to the equal-area CRS chosen by :func:`equal_area_crs`.

    Parameters
    ----------
    gdf
        A layer with a CRS (any CRS pyproj can transform to WGS84).

    Returns
    -------
    geopandas.GeoDataFrame
        A new GeoDataFrame in metres (the input is not modified).

    Raises
    ------
    CRSError
        If the layer has no CRS.

    Verification
    ------------
    ``tests/test_geo_project.py``: the China layer's Albers areas match the ``area_km2``
    column computed by the data build script with the same projection (to 1 %, the
    difference between the simplified and the unsimplified geometry); a US layer gets
    a LAEA centred on its bounds.
    """
    return gdf.to_crs(equal_area_crs(gdf))


def centroids(gdf: gpd.GeoDataFrame, id: str) -> pd.DataFrame:
    """Area centroids of the units, computed in an equal-area CRS, as lon/lat.

    Parameters
    ----------
    gdf
        A polygon layer with a CRS.
    id
        The id column (must be unique and non-null).

    Returns
    -------
    pandas.DataFrame
        Indexed by the ids as text (in the layer's row order), columns ``lon`` and
        ``lat`` in degrees (EPSG:4326).

    Notes
    -----
    The planar centroid of a polygon in an equal-area projection is the centre of mass
    of the projected shape; for units of city size it is within metres of the centre of
    mass on the ellipsoid. A multi-part unit's centroid may fall outside it. Edges are
    projected vertex by vertex, so a layer with long straight edges in lon/lat (e.g. a
    hand-made 2-degree box) should be densified first (``geometry.segmentize``); real
    boundary layers have vertices every few hundred metres.

    Verification
    ------------
    ``tests/test_geo_project.py``: a small square centred on a known point in China and
    one in the US return that point (to 1e-6 degrees); squares symmetric about the
    Albers central meridian return lon 105 exactly (to 1e-9).
    """
    ids = _checked_ids(gdf, id)
    projected = to_equal_area(gdf)
    cent = projected.geometry.centroid.to_crs("EPSG:4326")
    return pd.DataFrame(
        {"lon": cent.x.to_numpy(dtype=float), "lat": cent.y.to_numpy(dtype=float)},
        index=pd.Index(ids, name=id, dtype="str"),
    )


def _checked_ids(gdf: gpd.GeoDataFrame, id: str) -> list[str]:
    if id not in gdf.columns:
        raise DataError(f"no id column {id!r} in the layer; columns: {format_items(list(gdf.columns), limit=50)}.")
    from ._common import check_unique_ids, nonnull_ids

    ids, _ = nonnull_ids(gdf[id], what=f"layer column {id!r}")
    check_unique_ids(ids, what=f"layer column {id!r}")
    return ids.tolist()


#: elements per block of rows in great_circle_distances (bounds the temporaries to ~10 MB each)
_BLOCK_ELEMENTS = 1 << 20


def _central_angle(phi1: np.ndarray, lam1: np.ndarray, phi2: np.ndarray, lam2: np.ndarray) -> np.ndarray:
    """Central angle (radians) by the cancellation-free haversine of :func:`great_circle_distances`."""
    half_dphi = (phi2 - phi1) / 2.0
    half_sphi = (phi2 + phi1) / 2.0
    half_dlam = (lam2 - lam1) / 2.0
    s_dlam2 = np.sin(half_dlam) ** 2
    c_dlam2 = np.cos(half_dlam) ** 2
    h = np.sin(half_dphi) ** 2 * c_dlam2 + np.cos(half_sphi) ** 2 * s_dlam2
    one_minus_h = np.cos(half_dphi) ** 2 * c_dlam2 + np.sin(half_sphi) ** 2 * s_dlam2
    return 2.0 * np.arctan2(np.sqrt(h), np.sqrt(one_minus_h))


def great_circle_distances(
    lon: np.ndarray, lat: np.ndarray, *, radius_km: float = MEAN_EARTH_RADIUS_KM
) -> np.ndarray:
    r"""Great-circle (haversine) distances between all pairs of points, in km.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees, 1-D arrays of the same length N.
    radius_km
        Sphere radius; default the IUGG mean Earth radius R1 = 6371.0088 km.

    Returns
    -------
    numpy.ndarray
        N x N symmetric matrix with an exactly zero diagonal.

    Notes
    -----
    With :math:`\Delta\varphi = \varphi_j - \varphi_i`, :math:`\Sigma\varphi =
    \varphi_i + \varphi_j` and :math:`\Delta\lambda = \lambda_j - \lambda_i`, the
    haversine of the central angle :math:`\theta` and its complement are

    .. math::
        h = \sin^2\tfrac{\Delta\varphi}{2}\cos^2\tfrac{\Delta\lambda}{2}
            + \cos^2\tfrac{\Sigma\varphi}{2}\sin^2\tfrac{\Delta\lambda}{2},\qquad
        1-h = \cos^2\tfrac{\Delta\varphi}{2}\cos^2\tfrac{\Delta\lambda}{2}
            + \sin^2\tfrac{\Sigma\varphi}{2}\sin^2\tfrac{\Delta\lambda}{2},

    (the usual :math:`h = \sin^2\frac{\Delta\varphi}{2} + \cos\varphi_i\cos\varphi_j
    \sin^2\frac{\Delta\lambda}{2}` rewritten with
    :math:`\cos\varphi_i\cos\varphi_j = \cos^2\frac{\Delta\varphi}{2} - \sin^2\frac{\Sigma\varphi}{2}`),
    and :math:`d = 2R\,\operatorname{atan2}(\sqrt h, \sqrt{1-h})`. Both sums have
    non-negative terms, so neither loses precision: identical points give 0 and
    antipodes give :math:`\pi R`. Rows are computed in blocks, so memory is the N x N
    result (twice, briefly) plus ~10 MB temporaries.

    Reference: R. W. Sinnott (1984), "Virtues of the haversine", *Sky and Telescope* 68(2), 159.

    Verification
    ------------
    ``tests/test_geo_project.py``: Rosetta Code's "Haversine formula" value BNA-LAX
    (2886.444442837983 km with R = 6371.0) to 1e-9 km; antipodes = pi * R to 1e-12
    relative; pyproj.Geod (WGS84 geodesic) within 0.5 % (the spherical approximation).
    """
    lon = np.asarray(lon, dtype=float).ravel()
    lat = np.asarray(lat, dtype=float).ravel()
    if lon.shape != lat.shape:
        raise DataError(f"lon and lat have different lengths ({lon.size} and {lat.size}).")
    bad = ~(np.isfinite(lon) & np.isfinite(lat)) | (np.abs(lat) > 90.0)
    if bad.any():
        raise DataError(
            "invalid coordinates (NaN, infinite or |lat| > 90) at positions "
            f"{format_items(np.flatnonzero(bad).tolist())}; are the coordinates lon/lat degrees?"
        )
    phi = np.radians(lat)
    lam = np.radians(lon)
    n = phi.size
    d = np.empty((n, n), dtype=float)
    block = max(1, _BLOCK_ELEMENTS // max(n, 1))
    for start in range(0, n, block):
        rows = slice(start, min(n, start + block))
        d[rows] = _central_angle(phi[rows, None], lam[rows, None], phi[None, :], lam[None, :])
    d *= radius_km
    d = (d + d.T) / 2.0  # exact symmetry whatever the libm
    np.fill_diagonal(d, 0.0)
    return d


def distance_matrix(
    gdf: gpd.GeoDataFrame, id: str, *, radius_km: float = MEAN_EARTH_RADIUS_KM
) -> tuple[tuple[str, ...], np.ndarray]:
    """Great-circle distances (km) between the units' equal-area centroids.

    Parameters
    ----------
    gdf
        A polygon layer with a CRS.
    id
        The id column.
    radius_km
        Sphere radius passed to :func:`great_circle_distances`.

    Returns
    -------
    ids, matrix
        ``ids`` (tuple of str, the layer's row order) and the N x N distance matrix in km,
        rows and columns in that order.

    Verification
    ------------
    ``tests/test_geo_project.py``: equal to :func:`great_circle_distances` on
    :func:`centroids` (exactly), ids in layer order.
    """
    cent = centroids(gdf, id)
    return tuple(cent.index.tolist()), great_circle_distances(
        cent["lon"].to_numpy(), cent["lat"].to_numpy(), radius_km=radius_km
    )
