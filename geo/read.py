"""Reading and checking boundary layers (Shapefile, GeoPackage, GeoJSON).

Libraries: **pyogrio** (GDAL) reads the file, **geopandas** holds the result,
**shapely** (``make_valid``) repairs invalid polygons and **pyproj** parses CRSs.
Written by hand: the checks and their messages (file, format, layer, id column, here;
CRS, null/duplicate ids, geometry types, empty geometries, in :mod:`spillmap.geo._checks`)
and the id normalisation, because those are what make a layer safe for contiguity weights
and panel joins.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd

from spillmap.errors import DataError, InputError, did_you_mean, format_items
from spillmap.results import FrameDisplay

from ._checks import PYTHON_ADVICE, apply_crs, check_geometries, check_ids
from ._common import SpillmapWarning
from ._lonlat import check_lonlat_range
from ._repair import repair_geometries  # noqa: F401  (spillmap.geo.repair_geometries is looked up here)

__all__ = ["ReadReport", "read_boundaries", "SUPPORTED_FORMATS"]

#: file extension -> GDAL driver of the formats :func:`read_boundaries` accepts
SUPPORTED_FORMATS: dict[str, str] = {
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
}

@dataclass(frozen=True)
class ReadReport(FrameDisplay):
    """What :func:`read_boundaries` read, assumed and repaired.

    Attributes
    ----------
    path
        The file read (as given, made absolute).
    id
        The id column.
    n_units
        Number of units (rows) in the layer.
    crs
        The layer's CRS as a string (``"EPSG:4326"`` when it has an EPSG code); ``""`` for a
        layer without one, read with ``require_crs=False``.
    n_repaired
        Number of invalid geometries repaired with ``shapely.make_valid``.
    repaired_ids
        Ids of the repaired units, in file order.
    assumed_crs
        True when the file had no CRS and ``assume_crs`` was used.
    layer
        The layer read (``None`` for single-layer formats read without ``layer=``).
    driver
        The GDAL driver used.
    id_note
        What was done to the ids ("" when they were clean text in the file).
    """

    path: str
    id: str
    n_units: int
    crs: str
    n_repaired: int
    repaired_ids: tuple[str, ...]
    assumed_crs: bool
    layer: str | None = None
    driver: str = ""
    id_note: str = field(default="")

    def to_frame(self) -> pd.DataFrame:
        """One row of every field (``repaired_ids``: the ids as a list)."""
        d = asdict(self)
        d["repaired_ids"] = list(self.repaired_ids)
        return pd.DataFrame([d])

    def summary(self) -> str:
        return str(self)

    def _caption(self) -> str:
        return "Boundary layer read"

    def __str__(self) -> str:
        where = self.path if self.layer is None else f"{self.path} (layer {self.layer!r})"
        lines = [f"read {self.n_units} units from {where} [{self.driver}], id column {self.id!r}"]
        crs = self.crs or "none (the file has none)"
        lines.append(f"CRS: {crs}" + (" (assumed: the file has none)" if self.assumed_crs else ""))
        if self.n_repaired:
            lines.append(
                f"{self.n_repaired} invalid geometr{'y' if self.n_repaired == 1 else 'ies'} repaired "
                f"with shapely.make_valid: {format_items(self.repaired_ids)}"
            )
        else:
            lines.append("no invalid geometries")
        if self.id_note:
            lines.append(f"ids: {self.id_note}")
        return "\n".join(lines)


def _driver_for(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in SUPPORTED_FORMATS:
        listed = ", ".join(f"{e} ({d})" for e, d in SUPPORTED_FORMATS.items())
        raise InputError(
            f"{path}: unsupported boundary format {ext or '(no extension)'!r}; "
            f"supported: {listed}. Convert the layer first (e.g. with ogr2ogr or QGIS)."
        )
    return SUPPORTED_FORMATS[ext]


def _choose_layer(path: Path, driver: str, layer: str | None, advice: str) -> str | None:
    import pyogrio

    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(f"{path}: cannot be opened as {driver}: {exc}") from exc
    if not layers:
        raise InputError(f"{path}: the file contains no layers.")
    if layer is not None:
        if layer not in layers:
            raise InputError(f"{path}: no layer {layer!r}; layers in the file: {format_items(layers)}.")
        return layer
    if len(layers) > 1:
        raise InputError(
            f"{path} contains {len(layers)} layers: {format_items(layers)}; "
            f"{advice}."
        )
    return None


def _read_error(path: Path, driver: str, exc: Exception) -> InputError:
    """The error for a file GDAL cannot read; a text-encoding problem gets its line (GeoJSON) or a hint."""
    if "can't decode" not in str(exc):
        return InputError(f"{path}: cannot be read as {driver}: {exc}")
    if driver == "GeoJSON":
        from spillmap._readcsv import read_utf8_text

        try:
            read_utf8_text(path, advice="GeoJSON must be UTF-8 (RFC 7946): re-save the file as UTF-8", error=InputError)
        except InputError as err:
            return err
    return InputError(
        f"{path}: text in the file is not UTF-8 ({exc}); for a shapefile, write its encoding in a .cpg file "
        "next to it (e.g. LATIN1), or re-save the layer as UTF-8."
    )


def _check_not_empty(path: Path, layer: str | None, n_features: int) -> None:
    """An empty layer is an error that says so (before any column check)."""
    if n_features == 0:
        where = f"layer {layer!r} of {path}" if layer is not None else str(path)
        raise DataError(
            f"{where} has no features (0 units): there is nothing to map or to build weights on. "
            "Check that the file was exported with its polygons (and the right layer or filter)."
        )


def _geojson_feature_ids(path: Path) -> list | None:
    """The ``"id"`` members of a GeoJSON's features when every feature has one.

    GDAL turns integer feature ids into feature numbers (FIDs) instead of a column, so
    ``read_boundaries(path, "id")`` reads them from the file with the json module.
    """
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        features = doc["features"]
        return [f["id"] for f in features] if all("id" in f for f in features) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_boundaries(
    path: str | PathLike[str],
    id: str,
    *,
    layer: str | None = None,
    assume_crs: str | int | None = None,
    require_crs: bool = True,
    advice: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read a polygon boundary layer and check that it can key a spatial panel.

    Parameters
    ----------
    path
        A Shapefile (``.shp``), GeoPackage (``.gpkg``) or GeoJSON (``.geojson``/``.json``).
    id
        The column holding the unit ids (e.g. ``"adcode"``). It is returned as text:
        codes stored as text keep their digits (``"010000"``); codes stored as numbers
        are turned into their digits (``110000`` or ``110000.0`` -> ``"110000"``).
    layer
        The layer to read; required for a GeoPackage holding more than one layer.
    assume_crs
        CRS to use when the file has none (e.g. a shapefile without ``.prj``), such as
        ``"EPSG:4326"``. Ignored when the file has a CRS.
    require_crs
        False to accept a layer without a CRS (and without ``assume_crs``): it is returned
        with ``crs=None``, enough for contiguity weights, which use only the topology.
    advice
        What the errors tell the user to do, for a caller whose user does not write Python
        (the command line, a study file): ``"assume_crs"``, how to give the CRS of a layer
        without one (e.g. ``"give it with --assume-crs, e.g. --assume-crs EPSG:4326"``), and
        ``"layer"``, how to choose a layer of a multi-layer file (e.g. ``"say which one to
        read with --layer NAME"``).  Default (and for a missing entry): the keywords here,
        ``"pass assume_crs=..., ..."`` and ``"say which one to read with layer=..."``.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in file order with a fresh RangeIndex, the id column as ``str``,
        every geometry a 2-D MultiPolygon, and a :class:`ReadReport` in
        ``gdf.attrs["spillmap_read_report"]``.

    Raises
    ------
    InputError
        Missing file, unsupported format, unreadable file, missing or ambiguous layer.
    DataError
        A layer without features; missing id column (the message lists the columns), null ids (feature numbers,
        from 1 in file order) or duplicate ids (the ids).
    GeometryError
        Missing/empty geometries or non-polygonal geometries (the ids), or an invalid
        polygon with no area left after repair.
    CRSError
        No CRS in the file and no ``assume_crs`` (unless ``require_crs=False``), or an ``assume_crs`` pyproj cannot parse, or a
        geographic CRS with coordinates outside longitude/latitude ranges (a unit and vertex named).

    Warns
    -----
    SpillmapWarning
        When invalid geometries were repaired (the count and ids).

    Notes
    -----
    A GeoJSON's feature ``"id"`` members (which GDAL does not expose as a column when
    they are integers) are used when ``id="id"`` and no property is called ``id``.
    Invalid polygons are repaired with ``shapely.make_valid`` (see :func:`repair_geometries`);
    Z coordinates are dropped. GeoJSON is WGS84 by definition (RFC 7946), so GDAL reports
    EPSG:4326 for a GeoJSON file without a ``crs`` member.

    Verification
    ------------
    ``tests/test_geo_read.py`` writes small layers with geopandas to each format and reads
    them back (ids with leading zeros, a bow-tie repaired into two triangles of the same
    total area, shapefile without ``.prj``), and reads the embedded China layer.

    Examples
    --------
    >>> from spillmap.datasets import data_path
    >>> gdf = read_boundaries(data_path("us48_states.geojson"), "STATE_ABBR")
    >>> gdf.attrs["spillmap_read_report"].n_units
    48
    """
    path = Path(path).expanduser().absolute()
    if not path.exists():
        raise InputError(f"boundary file not found: {path}. Check the path (and the working directory).")
    if path.is_dir():
        raise InputError(f"{path} is a directory; give the .shp, .gpkg or .geojson file itself.")
    advice = {**PYTHON_ADVICE, **(advice or {})}
    driver = _driver_for(path)
    layer = _choose_layer(path, driver, layer, advice["layer"])
    gdf = _read_frame(path, driver, layer, id)
    gdf, assumed = apply_crs(gdf, path, driver, assume_crs, require=require_crs, advice=advice["assume_crs"])
    check_lonlat_range(gdf, where=str(path), id=id)
    ids, id_note = check_ids(gdf[id], path, id)
    gdf[id] = ids
    repaired, was_invalid = check_geometries(gdf.geometry.to_numpy(), ids, path)
    gdf[gdf.geometry.name] = gpd.GeoSeries(repaired, index=gdf.index, crs=gdf.crs)

    repaired_ids = tuple(ids[was_invalid].tolist())
    report = ReadReport(
        path=str(path), id=id, n_units=len(gdf), crs=gdf.crs.to_string() if gdf.crs is not None else "",
        n_repaired=len(repaired_ids),
        repaired_ids=repaired_ids, assumed_crs=assumed, layer=layer, driver=driver, id_note=id_note,
    )
    if repaired_ids:
        warnings.warn(
            f"{path}: repaired {len(repaired_ids)} invalid geometr"
            f"{'y' if len(repaired_ids) == 1 else 'ies'} with shapely.make_valid: "
            f"{format_items(repaired_ids)}",
            SpillmapWarning,
            stacklevel=2,
        )
    gdf.attrs["spillmap_read_report"] = report
    return gdf


def _read_frame(path: Path, driver: str, layer: str | None, id: str) -> gpd.GeoDataFrame:
    """The layer as read by pyogrio (index reset), after the checks that need no data: features, id column."""
    import pyogrio

    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception as exc:
        raise _read_error(path, driver, exc) from exc
    _check_not_empty(path, layer, int(info.get("features", -1)))
    fields = [str(f) for f in info["fields"]]
    feature_ids = None
    if id not in fields:
        if driver == "GeoJSON" and id == "id":
            feature_ids = _geojson_feature_ids(path)
        if feature_ids is None:
            raise DataError(
                f"{path}: no id column {id!r}; the columns are: {format_items(fields, limit=50)}."
                + did_you_mean(id, fields)
            )
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer, force_2d=True, on_invalid="ignore")
    except Exception as exc:
        raise _read_error(path, driver, exc) from exc
    _check_not_empty(path, layer, len(gdf))
    if driver == "ESRI Shapefile":
        _warn_misread(path, gdf, info.get("encoding"))
    if feature_ids is not None:
        if len(feature_ids) != len(gdf):
            raise InputError(f"{path}: {len(feature_ids)} feature ids for {len(gdf)} features; cannot match them.")
        gdf.insert(0, id, pd.Series(feature_ids, dtype=object))
    if pd.api.types.is_datetime64_any_dtype(gdf[id].dtype):
        # GDAL's GeoJSON driver turns date-looking text into dates: re-read the ids as the text
        # written (its DATE_AS_STRING open option; pyogrio.raw.read works on every pyogrio >= 0.9)
        from pyogrio.raw import read as raw_read

        opts = {"DATE_AS_STRING": "YES"} if driver == "GeoJSON" else {}
        gdf[id] = raw_read(path, layer=layer, columns=[id], read_geometry=False, datetime_as_string=True, **opts)[3][0]
    return gdf.reset_index(drop=True)


def _warn_misread(path: Path, gdf: gpd.GeoDataFrame, encoding: str | None) -> None:
    """Warn when a shapefile's text looks like UTF-8 or Chinese GBK that GDAL read as Latin-1 (no .cpg)."""
    from ._encoding import misread_text

    seen = misread_text(gdf, encoding)
    if seen is not None:
        as_read, right, codec = seen
        what = "Chinese in GBK" if codec == "GBK" else "UTF-8"
        warnings.warn(
            f"{path}: its text looks like {what} read as Latin-1 ({as_read!r} would be {right!r}): no .cpg file "
            f"says how it is encoded. Write {codec} into {path.with_suffix('.cpg').name} next to it (or re-save "
            "the layer as UTF-8 with its .cpg) and read it again; names on maps and tables are garbled until then.",
            SpillmapWarning, stacklevel=4)
