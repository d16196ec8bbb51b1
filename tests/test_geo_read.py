"""Tests of spillmap.geo.read_boundaries: formats, ids, repair, CRS and every bad input."""
from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from spillmap.errors import CRSError, DataError, GeometryError, InputError
from spillmap.geo import ReadReport, SpillmapWarning, read_boundaries

EXT = {"shp": "ESRI Shapefile", "gpkg": "GPKG", "geojson": "GeoJSON"}


def _squares(codes, crs="EPSG:4326"):
    return gpd.GeoDataFrame(
        {"code": list(codes), "value": np.arange(len(codes), dtype=float)},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(codes))],
        crs=crs,
    )


def _write(gdf, tmp_path, ext, name="layer"):
    path = tmp_path / f"{name}.{ext}"
    gdf.to_file(path, engine="pyogrio")
    return path


@pytest.mark.parametrize("ext", ["shp", "gpkg", "geojson"])
def test_reads_each_format_from_us48(us48, tmp_path, ext):
    path = _write(us48[["STATE_ABBR", "STATE_NAME", "geometry"]], tmp_path, ext)
    gdf = read_boundaries(path, "STATE_ABBR")
    assert len(gdf) == 48
    assert gdf["STATE_ABBR"].tolist() == us48["STATE_ABBR"].tolist()  # file order kept
    assert gdf.index.tolist() == list(range(48))
    assert set(gdf.geom_type) == {"MultiPolygon"}
    assert gdf.crs.to_epsg() == 4326
    rep = gdf.attrs["spillmap_read_report"]
    assert isinstance(rep, ReadReport)
    assert (rep.n_units, rep.n_repaired, rep.assumed_crs, rep.driver) == (48, 0, False, EXT[ext])
    assert rep.crs == "EPSG:4326"
    assert "48 units" in str(rep)
    # areas unchanged by the promotion to MultiPolygon: the same vertices after a file round trip
    # (GeoJSON keeps 15 significant digits) and the same PROJ transformation -> ~1e-13; 1e-9
    np.testing.assert_allclose(gdf.to_crs(5070).area, us48.to_crs(5070).area, rtol=1e-9)


@pytest.mark.parametrize("ext", ["shp", "gpkg", "geojson"])
def test_leading_zero_ids_survive(tmp_path, ext):
    codes = ["010000", "110000", "000123", "0"]
    path = _write(_squares(codes), tmp_path, ext)
    gdf = read_boundaries(path, "code")
    assert gdf["code"].tolist() == codes
    assert pd.api.types.is_string_dtype(gdf["code"])  # "str" on pandas 3, object of str before


@pytest.mark.parametrize("ext", ["shp", "gpkg", "geojson"])
def test_numeric_ids_become_text(tmp_path, ext):
    gdf = _squares(["a", "b", "c"]).assign(num=[110000, 120000, 310000])
    path = _write(gdf, tmp_path, ext)
    out = read_boundaries(path, "num")
    assert out["num"].tolist() == ["110000", "120000", "310000"]
    assert "leading zeros" in out.attrs["spillmap_read_report"].id_note


def test_float_ids_become_integer_text(tmp_path):
    gdf = _squares(["a", "b"]).assign(fid_=[110000.0, 120000.0])
    out = read_boundaries(_write(gdf, tmp_path, "gpkg"), "fid_")
    assert out["fid_"].tolist() == ["110000", "120000"]


def test_date_looking_geojson_ids_stay_text(tmp_path):
    # GDAL's GeoJSON driver would parse "2020-01-01" as a date
    path = _write(_squares(["2020-01-01", "2020-01-02"]), tmp_path, "geojson")
    assert read_boundaries(path, "code")["code"].tolist() == ["2020-01-01", "2020-01-02"]


def test_bow_tie_is_repaired_and_reported(tmp_path):
    bow_tie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    assert not bow_tie.is_valid
    gdf = gpd.GeoDataFrame({"code": ["ok", "bow"]}, geometry=[box(5, 5, 6, 6), bow_tie], crs=4326)
    path = _write(gdf, tmp_path, "gpkg")
    with pytest.warns(SpillmapWarning, match=r"repaired 1 invalid geometry.*'bow'"):
        out = read_boundaries(path, "code")
    rep = out.attrs["spillmap_read_report"]
    assert rep.n_repaired == 1 and rep.repaired_ids == ("bow",)
    assert "1 invalid geometry repaired" in str(rep)
    fixed = out.geometry.iloc[1]
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon"
    assert len(fixed.geoms) == 2
    # the two triangles (0,0)-(1,1)-(0,2) and (2,0)-(1,1)-(2,2) have area 1 each (closed form)
    assert fixed.area == pytest.approx(2.0, abs=1e-12)  # integer vertices: shoelace exact up to rounding
    assert out.geometry.iloc[0].equals(MultiPolygon([box(5, 5, 6, 6)]))


def test_no_warning_when_nothing_repaired(tmp_path):
    path = _write(_squares(["a", "b"]), tmp_path, "gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_boundaries(path, "code")


def test_missing_crs_is_an_error_and_assume_crs_works(tmp_path):
    path = _write(_squares(["01", "02"]), tmp_path, "shp")
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"no coordinate reference system.*\.prj.*assume_crs"):
        read_boundaries(path, "code")
    out = read_boundaries(path, "code", assume_crs="EPSG:4326")
    rep = out.attrs["spillmap_read_report"]
    assert out.crs.to_epsg() == 4326 and rep.assumed_crs is True and rep.crs == "EPSG:4326"
    assert "assumed" in str(rep)
    with pytest.raises(CRSError, match="not a CRS"):
        read_boundaries(path, "code", assume_crs="EPSG:not-a-code")


def test_assume_crs_ignored_when_file_has_one(tmp_path):
    path = _write(_squares(["a"], crs="EPSG:3857"), tmp_path, "gpkg")
    out = read_boundaries(path, "code", assume_crs="EPSG:4326")
    assert out.crs.to_epsg() == 3857
    assert out.attrs["spillmap_read_report"].assumed_crs is False


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"not found: .*nowhere\.gpkg"):
        read_boundaries(tmp_path / "nowhere.gpkg", "code")


def test_unsupported_format(tmp_path):
    path = tmp_path / "layer.kml"
    path.write_text("<kml/>")
    with pytest.raises(InputError, match=r"layer\.kml: unsupported boundary format '\.kml'.*\.shp.*\.gpkg.*\.geojson"):
        read_boundaries(path, "code")


def test_unreadable_file(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("this is not json")
    with pytest.raises(InputError, match=r"broken\.geojson"):
        read_boundaries(path, "code")


def test_missing_id_column_lists_columns(tmp_path):
    path = _write(_squares(["a"]), tmp_path, "gpkg")
    with pytest.raises(DataError, match=r"no id column 'adcode'.*'code', 'value'"):
        read_boundaries(path, "adcode")


def test_null_ids_name_rows(tmp_path):
    gdf = _squares(["a", None, "c", ""])
    with pytest.raises(DataError, match=r"empty in 2 feature\(s\), number\(s\) 2, 4 counting from 1"):
        read_boundaries(_write(gdf, tmp_path, "gpkg"), "code")


def test_duplicate_ids_listed(tmp_path):
    gdf = _squares(["a", "b", "a", "c", "c", "c"])
    with pytest.raises(DataError, match=r"not unique.*'a' x2, 'c' x3"):
        read_boundaries(_write(gdf, tmp_path, "gpkg"), "code")


def test_ids_that_differ_only_by_spaces_are_duplicates(tmp_path):
    gdf = _squares(["a", "a "])
    with pytest.raises(DataError, match="not unique"):
        read_boundaries(_write(gdf, tmp_path, "gpkg"), "code")


def test_non_polygon_geometry_lists_ids(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"code": ["p", "pt", "ln"]},
        geometry=[box(0, 0, 1, 1), Point(0, 0), LineString([(0, 0), (1, 1)])],
        crs=4326,
    )
    path = _write(gdf, tmp_path, "gpkg")
    with pytest.raises(GeometryError, match=r"2 unit\(s\).*'pt' \(Point\), 'ln' \(LineString\)"):
        read_boundaries(path, "code")


@pytest.mark.parametrize("ext", ["gpkg", "geojson"])
def test_empty_and_missing_geometry_lists_ids(tmp_path, ext):
    gdf = gpd.GeoDataFrame(
        {"code": ["a", "empty", "none"]}, geometry=[box(0, 0, 1, 1), Polygon(), None], crs=4326
    )
    path = _write(gdf, tmp_path, ext)
    with pytest.raises(GeometryError, match=r"2 unit\(s\).*'empty', 'none'"):
        read_boundaries(path, "code")


def test_multilayer_geopackage_needs_layer(tmp_path):
    path = tmp_path / "multi.gpkg"
    _squares(["a", "b"]).to_file(path, layer="cities", engine="pyogrio")
    _squares(["x"]).to_file(path, layer="provinces", engine="pyogrio")
    with pytest.raises(InputError, match=r"2 layers: 'cities', 'provinces'.*layer="):
        read_boundaries(path, "code")
    out = read_boundaries(path, "code", layer="provinces")
    assert out["code"].tolist() == ["x"]
    assert out.attrs["spillmap_read_report"].layer == "provinces"
    with pytest.raises(InputError, match=r"no layer 'towns'.*'cities', 'provinces'"):
        read_boundaries(path, "code", layer="towns")


def test_embedded_china_layer():
    from spillmap.datasets import data_path

    gdf = read_boundaries(data_path("china_prefectures.gpkg"), "adcode")
    rep = gdf.attrs["spillmap_read_report"]
    # 372 units and 0 invalid geometries: data/README.md (built and checked by build_china_prefectures.py)
    assert rep.n_units == 372 and rep.n_repaired == 0
    assert {"110000", "120000", "310000", "500000"} <= set(gdf["adcode"])
    assert gdf["adcode"].str.len().eq(6).all()
    assert shapely.is_valid(gdf.geometry.to_numpy()).all()


def _feature(fid, i):
    ring = [[i, 0], [i + 1, 0], [i + 1, 1], [i, 1], [i, 0]]
    return {"type": "Feature", "id": fid, "properties": {"n": i}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


@pytest.mark.parametrize("fids, expected", [([110000, 120000], ["110000", "120000"]), (["0123", "0456"], ["0123", "0456"])])
def test_geojson_feature_id_members(tmp_path, fids, expected):
    # GDAL reads integer feature ids as FIDs (not a column); text ones as a column 'id'
    import json

    path = tmp_path / "fid.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [_feature(f, i) for i, f in enumerate(fids)]}))
    assert read_boundaries(path, "id")["id"].tolist() == expected


def test_geojson_without_feature_ids_has_no_id_column(tmp_path):
    path = _write(_squares(["a"]), tmp_path, "geojson")
    with pytest.raises(DataError, match=r"no id column 'id'"):
        read_boundaries(path, "id")


# --- text encoding of shapefiles ---------------------------------------------------------------
CITIES = ["北京市", "天津市", "石家庄市", "呼和浩特市"]
EUROPE = ["Zürich", "Genève", "São Paulo", "Köln", "Málaga", "Ærøskøbing", "Besançon", "Conceição"]


def _shapefile(tmp_path, names, encoding, cpg):
    gdf = gpd.GeoDataFrame({"code": [f"{i:02d}" for i in range(len(names))], "name": names},
                           geometry=[box(i, 0, i + 1, 1) for i in range(len(names))], crs=4326)
    path = tmp_path / "layer.shp"
    gdf.to_file(path, encoding=encoding)
    cpg_file = path.with_suffix(".cpg")
    if cpg is None:
        cpg_file.unlink(missing_ok=True)
    else:
        cpg_file.write_text(cpg)
    return path


@pytest.mark.parametrize(("codec", "what", "as_read"), [
    ("GBK", "Chinese in GBK", "±±¾©ÊÐ"),
    ("UTF-8", "UTF-8", "å\x8c\x97äº¬å¸\x82"),
])
def test_shapefile_text_read_as_latin1_is_flagged(tmp_path, codec, what, as_read):
    """GDAL reads a .dbf without .cpg as Latin-1: GBK names come out as '±±¾©ÊÐ', UTF-8 ones as
    'åäº¬å¸'. The warning says so, with the value as read and as it should read; with a .cpg
    naming the encoding the names are right and nothing warns."""
    import re

    path = _shapefile(tmp_path, CITIES, codec.lower(), None)
    with pytest.warns(SpillmapWarning, match=re.escape(f"{what} read as Latin-1 ({as_read!r} would be '北京市')")
                      + rf".*Write {codec} into layer\.cpg"):
        read_boundaries(path, "code")
    path.with_suffix(".cpg").write_text(codec)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_boundaries(path, "code")["name"].tolist() == CITIES


@pytest.mark.parametrize(("names", "encoding"), [(EUROPE, "latin1"), (CITIES, "utf-8")])
def test_latin1_and_utf8_shapefiles_are_not_flagged(tmp_path, names, encoding):
    """Accented Latin letters stand alone between ASCII ones (GBK characters are byte pairs), and a
    UTF-8 layer is read as UTF-8: neither warns, and the names come back as written."""
    path = _shapefile(tmp_path, names, encoding, None if encoding == "latin1" else "UTF-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_boundaries(path, "code")["name"].tolist() == names


@pytest.mark.parametrize(("text", "gbk"), [
    ("±±¾©ÊÐ", "北京市"),            # GBK bytes of 北京市 read as Latin-1
    ("Zürich", None),               # a lone accented letter: an odd run
    ("Conceição", None),            # an even run ('çã'), but mostly ASCII letters
    ("ßü", "唿"),                    # two adjacent accented letters do decode: hence three values at least
    ("Paris", None),                # ASCII
])
def test_gbk_detection_of_single_values(text, gbk):
    from spillmap.geo._encoding import _gbk, misread_text

    assert _gbk(text) == gbk
    assert misread_text(pd.DataFrame({"name": ["ßü", "Paris"]}), "ISO-8859-1") is None  # one value is no evidence
