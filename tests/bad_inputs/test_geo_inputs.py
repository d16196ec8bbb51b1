"""Catalogue of bad boundary layers and panels (geo layer): one clear error or warning each.

Cases already covered elsewhere are not repeated: missing file, unsupported format,
unreadable file, null/duplicate ids, non-polygons, empty geometries, no CRS
(tests/test_geo_read.py); ids not in the layer, leading zeros, duplicate cells,
unbalanced panels, non-numeric and NaN cells (tests/test_geo_join.py).
"""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from spillmap.errors import DataError, DataWarning, InputError
from spillmap.geo import join_panel, read_boundaries

sys.path.insert(0, str(Path(__file__).parent))
from _catalogue_inputs import expect_error, snapshot, write  # noqa: E402


def _layer(ids=("01", "02", "03")) -> gpd.GeoDataFrame:
    boxes = [shapely.box(k, 0, k + 1, 1) for k in range(len(ids))]
    return gpd.GeoDataFrame({"adcode": list(ids), "name": [f"u{k}" for k in range(len(ids))]},
                            geometry=boxes, crs="EPSG:4326")


def _panel(ids=("01", "02", "03"), years=(2001, 2002, 2003)) -> pd.DataFrame:
    rows = [{"adcode": i, "year": y, "gdp": float(k + y - 2000)} for y in years for k, i in enumerate(ids)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("ext", ["gpkg", "geojson"])
def test_layer_without_features_says_so(tmp_path, ext):
    path = tmp_path / f"empty.{ext}"
    _layer().iloc[:0].to_file(path)
    expect_error(DataError, lambda: read_boundaries(path, "adcode"), tmp_path, f"empty.{ext}", "has no features (0 units)")


def test_empty_feature_collection_written_by_hand(tmp_path):
    path = write(tmp_path, "fc.geojson", '{"type": "FeatureCollection", "features": []}')
    # before: "no id column 'sid'; the columns are: ." (issue 8)
    expect_error(DataError, lambda: read_boundaries(path, "sid"), tmp_path, "fc.geojson", "has no features")


def test_empty_layer_of_a_multilayer_geopackage_names_the_layer(tmp_path):
    path = tmp_path / "two.gpkg"
    _layer().to_file(path, layer="cities")
    _layer().iloc[:0].to_file(path, layer="towns")
    expect_error(DataError, lambda: read_boundaries(path, "adcode", layer="towns"), tmp_path,
                 "layer 'towns'", "two.gpkg", "has no features")


def test_misspelt_id_column_gets_a_suggestion(tmp_path):
    path = tmp_path / "l.gpkg"
    _layer().to_file(path)
    expect_error(DataError, lambda: read_boundaries(path, "ADCODE"), tmp_path,
                 "l.gpkg", "no id column 'ADCODE'", "Did you mean 'adcode'?")


def test_layer_path_is_a_directory(tmp_path):
    folder = tmp_path / "layer.gpkg"
    folder.mkdir()
    expect_error(InputError, lambda: read_boundaries(folder, "adcode"), tmp_path, "layer.gpkg is a directory")


def _feature_collection(name: str) -> str:
    feature = {"type": "Feature", "properties": {"code": "01", "name": name},
               "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False)


def test_geojson_in_latin1_names_the_line_of_the_bad_byte(tmp_path):
    path = write(tmp_path, "latin.geojson", _feature_collection("Zürich").encode("latin-1"))
    expect_error(InputError, lambda: read_boundaries(path, "code"), tmp_path,
                 "latin.geojson: line 1: byte 0xfc is not UTF-8", "re-save")


def test_geojson_with_byte_order_mark_is_read(tmp_path):
    path = write(tmp_path, "bom.geojson", b"\xef\xbb\xbf" + _feature_collection("Zürich").encode("utf-8"))
    g = read_boundaries(path, "code")
    assert g["code"].tolist() == ["01"] and g["name"].tolist() == ["Zürich"]


# ------------------------------------------------------------------ join_panel
def test_periods_with_a_gap_warn(tmp_path):
    before = snapshot(tmp_path)
    with pytest.warns(DataWarning, match=r"column 'year' are not equally spaced \(usual step 1\).*2001 -> 2003"):
        j = join_panel(_layer(), _panel(years=(2000, 2001, 2003)), id="adcode", time="year")
    assert j.t == 3 and snapshot(tmp_path) == before


def test_equally_spaced_census_years_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert join_panel(_layer(), _panel(years=(1990, 2000, 2010)), id="adcode", time="year").t == 3


def test_time_column_mixing_text_and_numbers(tmp_path):
    panel = _panel().astype({"year": object})
    panel.loc[0, "year"] = "2001"
    expect_error(DataError, lambda: join_panel(_layer(), panel, id="adcode", time="year"), tmp_path,
                 "column 'year' mixes values that cannot be ordered")


def test_boolean_id_column(tmp_path):
    panel = _panel().assign(flag=True)
    expect_error(DataError, lambda: join_panel(_layer(), panel, id="flag", time="year", layer_id="adcode"),
                 tmp_path, "'flag' holds True/False values")


def test_misspelt_panel_column_gets_a_suggestion(tmp_path):
    expect_error(DataError, lambda: join_panel(_layer(), _panel(), id="adcode", time="Year"), tmp_path,
                 "no column 'Year' in the panel", "Did you mean 'year'?")


# ------------------------------------------------------------------ builders
@pytest.mark.parametrize("builder", ["contiguity", "knn", "inverse_distance"])
def test_weights_from_a_layer_without_features(tmp_path, builder):
    from spillmap.spatial import builders as B

    fn = {"contiguity": lambda g: B.contiguity(g, "adcode"), "knn": lambda g: B.knn(g, "adcode", k=1),
          "inverse_distance": lambda g: B.inverse_distance(g, "adcode")}[builder]
    expect_error(DataError, lambda: fn(_layer().iloc[:0]), tmp_path, "the layer has no features")
