"""spillmap.geo: boundary layers, CRS, projections and panel joins.

Public API
----------
read_boundaries, ReadReport, SUPPORTED_FORMATS
    read and check a Shapefile / GeoPackage / GeoJSON polygon layer.
equal_area_crs, to_equal_area, centroids, great_circle_distances, distance_matrix
    equal-area projection, centroids and great-circle distances.
join_panel, PanelJoin, JoinReport
    match a long (id, time) panel to a layer and fix the unit order every later step uses.
normalise_ids
    the id-to-text rule shared by the reader and the join.
SpillmapWarning
    warning category for repairs and drops.
"""
from ._common import SpillmapWarning, normalise_ids
from .join import JoinReport, PanelJoin, join_panel
from .project import (
    CHINA_ALBERS,
    CHINA_EXTENT,
    MEAN_EARTH_RADIUS_KM,
    centroids,
    distance_matrix,
    equal_area_crs,
    great_circle_distances,
    to_equal_area,
)
from .read import SUPPORTED_FORMATS, ReadReport, read_boundaries, repair_geometries

__all__ = [
    "SpillmapWarning",
    "normalise_ids",
    "SUPPORTED_FORMATS",
    "ReadReport",
    "read_boundaries",
    "repair_geometries",
    "CHINA_ALBERS",
    "CHINA_EXTENT",
    "MEAN_EARTH_RADIUS_KM",
    "equal_area_crs",
    "to_equal_area",
    "centroids",
    "great_circle_distances",
    "distance_matrix",
    "JoinReport",
    "PanelJoin",
    "join_panel",
]
