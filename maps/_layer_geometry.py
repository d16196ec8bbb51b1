"""The geometry of a spillmap map: the boundary layer checked, keyed, reprojected and simplified,
split into the sample and the units outside it, and dissolved into group boundaries.

Library used: **geopandas** for reprojection and the dissolve, **shapely** for
``coverage_simplify`` (neighbours keep their shared edges: no gaps or slivers), coordinate
rounding and GeoJSON writing.  Written here: the checks, each one line naming the column or
units at fault, and a small cache of group boundaries (the dissolve is the slow part of a map).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from spillmap.errors import CRSError, DataError, GeometryError, InputError


def _check_frame(gdf, id: str, columns: Sequence[str] = ()) -> None:
    import geopandas as gpd

    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"a map needs a GeoDataFrame, got {type(gdf).__name__}.")
    missing = [c for c in [id, *columns] if c is not None and c not in gdf.columns]
    if missing:
        raise DataError(
            f"column(s) {', '.join(map(repr, missing))} not in the layer; available: "
            f"{', '.join(map(repr, [c for c in gdf.columns if c != gdf.geometry.name]))}."
        )
    if gdf.crs is None:
        raise CRSError(
            "the boundary layer has no CRS; set it with gdf.set_crs(...) before mapping."
        )
    ids = gdf[id].astype(str)
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        from spillmap.errors import format_items

        raise DataError(f"id column {id!r} has duplicate ids: {format_items(dup)}; one row per unit.")
    from spillmap.errors import format_items

    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        raise GeometryError(
            f"units with empty geometry in {id!r}: {format_items(ids[empty].tolist())}; drop them."
        )
    kinds = gdf.geometry.geom_type
    not_poly = ~kinds.isin(["Polygon", "MultiPolygon"])
    if not_poly.any():
        raise GeometryError(
            f"maps draw polygons; units {format_items(ids[not_poly].tolist())} in {id!r} have "
            f"{', '.join(sorted(set(kinds[not_poly])))} geometry. Use the boundary layer."
        )


def keyed_layer(gdf, *, id: str, layer_id: str | None):  # noqa: A002
    """``gdf`` with its id column ``layer_id`` renamed to the panel's ``id`` (a column of that name
    already in the layer is dropped), so that one name keys both; ``gdf`` itself when ``layer_id`` is
    ``None`` or ``id``."""
    if layer_id is None or layer_id == id:
        return gdf
    if layer_id not in gdf.columns:
        raise DataError(
            f"layer_id column {layer_id!r} not in the layer; available: "
            f"{', '.join(map(repr, [c for c in gdf.columns if c != gdf.geometry.name]))}."
        )
    return gdf.drop(columns=[id], errors="ignore").rename(columns={layer_id: id})


def prepare_geometry(gdf, *, id: str, decimals: int = 5, simplify: float | str | None = "auto"):
    """Reproject to EPSG:4326, optionally coverage-simplify, round coordinates.

    Parameters
    ----------
    gdf
        Boundary layer (any CRS).
    id
        Id column (converted to ``str``).
    decimals
        Coordinate decimals kept (5 = about 1 m).
    simplify
        Tolerance in degrees for :func:`shapely.coverage_simplify`, which keeps the
        edges neighbours share (no gaps/slivers); ``"auto"`` (default, as a study's ``[maps]
        simplify``): 0.01 degrees (about 1 km) for a layer of more than
        :data:`spillmap.geo.display.AUTO_SIMPLIFY_VERTICES` vertices, e.g. the bundled 200 m
        analysis layer (a 9.5 MB map otherwise), none for a smaller one (the web layers);
        ``None`` or ``False`` keeps the geometry.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in EPSG:4326 with ``id`` as str.
    """
    _check_frame(gdf, id)
    simplify = _tolerance(gdf, simplify)
    out = gdf.to_crs(4326) if gdf.crs.to_epsg() != 4326 else gdf.copy()
    out[id] = out[id].astype(str)
    geoms = out.geometry.values
    if simplify:
        geoms = shapely.coverage_simplify(np.asarray(geoms), simplify)
    geoms = shapely.transform(np.asarray(geoms), lambda c: np.round(c, decimals))
    out = out.set_geometry(list(geoms), crs=4326)
    return out


def _tolerance(gdf, simplify) -> float | None:
    """The tolerance in degrees of ``simplify`` ("auto", a number, None/False), or a one-line error
    (a raw ufunc TypeError of shapely's before: notebook audit 32 #6)."""
    from spillmap.geo.display import auto_tolerance

    if simplify is None or simplify is False or simplify == "auto":
        return auto_tolerance(gdf, simplify, bundled=False)
    if isinstance(simplify, bool) or not isinstance(simplify, (int, float, np.integer, np.floating)) \
            or not np.isfinite(simplify) or simplify < 0:
        raise InputError(f'simplify must be "auto", a tolerance in degrees (a number >= 0) or None; got {simplify!r}.')
    return float(simplify) or None


def split_sample(g, *, id: str, sample: Sequence[str] | None):
    """``(in_sample, outside)``: rows of the prepared layer whose id is / is not in ``sample``."""
    if sample is None:
        return g, g.iloc[0:0]
    keep = set(map(str, sample))
    mask = g[id].isin(keep).to_numpy()
    if not mask.any():
        raise DataError(f"no unit of the sample is in the layer's {id!r} column; check the ids.")
    return g[mask].copy(), g[~mask].copy()


def geometry_digest(geoms: np.ndarray, *extra: bytes) -> bytes:
    """sha256 of the geometries' WKB and of ``extra``, each part closed by a separator (a missing geometry has its
    own mark): the key under which derived text or lines of a layer are kept, so a changed layer is never served
    stale ones (about a fifth of the time of the layer's GeoJSON)."""
    import hashlib

    h = hashlib.sha256()
    for blob in shapely.to_wkb(geoms):
        h.update(b"\x00" if blob is None else blob)
        h.update(b"\x01")
    for part in extra:
        h.update(part)
        h.update(b"\x01")
    return h.digest()


def remembered(cache: dict, key: bytes, make, most: int):
    """``cache[key]``, made by ``make()`` when absent; the oldest entry goes when ``cache`` holds ``most``."""
    if key not in cache:
        if len(cache) >= most:
            cache.pop(next(iter(cache)))
        cache[key] = make()
    return cache[key]


_GROUP_CACHE: dict[bytes, object] = {}  # content digest -> boundaries (a report draws them on every map)


def group_boundaries(g, group: str):
    """Boundaries of the units dissolved by ``group`` (e.g. provinces), a GeoSeries of lines.

    The dissolve (shapely ``union_all`` per group) is the slow part of drawing a map; the
    result is kept for the few most recent layers, keyed by a digest of the geometries
    (WKB), the group labels and the CRS (:func:`geometry_digest`).
    """
    if group not in g.columns:
        raise DataError(f"group column {group!r} not in the layer; available: "
                        f"{', '.join(map(repr, [c for c in g.columns if c != g.geometry.name]))}.")
    import geopandas as gpd

    labels = g[group].astype(str).to_numpy()
    key = geometry_digest(np.asarray(g.geometry.values), str(g.crs).encode(), "\x00".join(labels).encode())

    def dissolve():
        keyed = gpd.GeoDataFrame({"k": labels}, geometry=g.geometry.values, crs=g.crs)
        return keyed.dissolve(by="k").geometry.make_valid().boundary

    return remembered(_GROUP_CACHE, key, dissolve, 8).copy()


def group_lines(g, group: str, *, decimals: int = 4) -> str:
    """GeoJSON of :func:`group_boundaries` (coordinates rounded to ``decimals``)."""
    lines = shapely.transform(np.asarray(group_boundaries(g, group).values), lambda c: np.round(c, decimals))
    parts = [shapely.to_geojson(ln) for ln in lines if ln is not None and not ln.is_empty]
    return '{"type":"GeometryCollection","geometries":[' + ",".join(parts) + "]}"
