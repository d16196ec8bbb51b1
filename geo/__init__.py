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
from __future__ import annotations

from typing import TYPE_CHECKING

from spillmap._lazy import attach

# Imported on first use (PEP 562), as spillmap.spatial and spillmap.estimation: the id rule
# (normalise_ids) must not load geopandas and pyproj for a command that reads only a CSV.
_WHERE: dict[str, str] = {
    "SpillmapWarning": "_common", "normalise_ids": "_common",
    "SUPPORTED_FORMATS": "read", "ReadReport": "read", "read_boundaries": "read", "repair_geometries": "read",
    "CHINA_ALBERS": "project", "CHINA_EXTENT": "project", "MEAN_EARTH_RADIUS_KM": "project",
    "equal_area_crs": "project", "to_equal_area": "project", "centroids": "project",
    "great_circle_distances": "project", "distance_matrix": "project",
    "JoinReport": "join", "PanelJoin": "join", "join_panel": "join",
}

__all__ = list(_WHERE)

__getattr__, __dir__ = attach(__name__, _WHERE)

if TYPE_CHECKING:  # static analysers see the names
    from ._common import SpillmapWarning, normalise_ids  # noqa: F401
    from .join import JoinReport, PanelJoin, join_panel  # noqa: F401
    from .project import (  # noqa: F401
        CHINA_ALBERS, CHINA_EXTENT, MEAN_EARTH_RADIUS_KM, centroids, distance_matrix, equal_area_crs,
        great_circle_distances, to_equal_area)
    from .read import SUPPORTED_FORMATS, ReadReport, read_boundaries, repair_geometries  # noqa: F401
