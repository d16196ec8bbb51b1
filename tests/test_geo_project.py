"""Tests of spillmap.geo projection helpers: equal-area CRS, centroids, great-circle distances."""
from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from spillmap.errors import CRSError, DataError
from spillmap.geo import (
    CHINA_ALBERS,
    centroids,
    distance_matrix,
    equal_area_crs,
    great_circle_distances,
    to_equal_area,
)


def _square(lon, lat, half=0.005, crs="EPSG:4326", ids=("a",)):
    return gpd.GeoDataFrame(
        {"code": list(ids)}, geometry=[box(lon - half, lat - half, lon + half, lat + half)], crs=crs
    )


# --- great-circle distances ------------------------------------------------------------

def test_haversine_rosetta_code_bna_lax():
    # Rosetta Code task "Haversine formula": BNA (36.12, -86.67) to LAX (33.94, -118.40);
    # R = 6371.0 km -> 2886.44444283798329974715782394574671655 km,
    # R = 6372.8 km -> 2887.25995060711033944886005029688505340 km (values stated on the task page)
    lon = np.array([-86.67, -118.40])
    lat = np.array([36.12, 33.94])
    d = great_circle_distances(lon, lat, radius_km=6371.0)
    # closed form against the stated digits: double rounding ~1e-15 relative (3e-12 km) -> 1e-9 km
    assert d[0, 1] == pytest.approx(2886.444442837983, abs=1e-9)
    d = great_circle_distances(lon, lat, radius_km=6372.8)
    assert d[0, 1] == pytest.approx(2887.2599506071103, abs=1e-9)


def test_haversine_close_to_pyproj_geodesic():
    # independent implementation: pyproj.Geod (Karney's WGS84 geodesic). A sphere of mean
    # radius differs from the ellipsoid by at most about 0.5 %.
    import pyproj

    rng = np.random.default_rng(12345)
    lon = rng.uniform(-180, 180, 40)
    lat = rng.uniform(-80, 80, 40)
    d = great_circle_distances(lon, lat)
    geod = pyproj.Geod(ellps="WGS84")
    i, j = np.triu_indices(40, 1)
    _, _, metres = geod.inv(lon[i], lat[i], lon[j], lat[j])
    np.testing.assert_allclose(d[i, j], metres / 1000.0, rtol=0.006)


def test_haversine_dense_oracle_and_properties():
    # dense transcription of the textbook haversine h = sin^2(dphi/2) + cos phi1 cos phi2 sin^2(dlam/2)
    rng = np.random.default_rng(7)
    lon = rng.uniform(-180, 180, 25)
    lat = rng.uniform(-89, 89, 25)
    d = great_circle_distances(lon, lat, radius_km=1.0)
    for a in range(25):
        for b in range(25):
            p1, p2 = math.radians(lat[a]), math.radians(lat[b])
            h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon[b] - lon[a]) / 2) ** 2
            # the same closed form; near antipodes asin(sqrt(h)) has slope -> inf, so the textbook
            # transcription itself is only good to ~sqrt(eps) = 1.5e-8 there -> 1e-7
            assert d[a, b] == pytest.approx(2 * math.asin(math.sqrt(min(1.0, h))), abs=1e-7)
    assert np.array_equal(d, d.T)
    assert np.all(np.diag(d) == 0.0)


def test_haversine_identical_points_and_antipodes():
    lon = np.array([10.0, 10.0, -170.0, 0.0, 180.0, 0.0, 0.0])
    lat = np.array([30.0, 30.0, -30.0, 0.0, 0.0, 90.0, -90.0])
    r = 6371.0088
    d = great_circle_distances(lon, lat, radius_km=r)
    assert d[0, 1] == 0.0  # identical points: exactly zero
    # antipodes: half the circumference, pi * R (closed form, rounding only)
    assert d[0, 2] == pytest.approx(math.pi * r, rel=1e-13)
    assert d[3, 4] == pytest.approx(math.pi * r, rel=1e-13)
    assert d[5, 6] == pytest.approx(math.pi * r, rel=1e-13)
    # pole to equator: a quarter circumference
    assert d[3, 5] == pytest.approx(math.pi * r / 2, rel=1e-13)
    # nearly antipodal: 1e-7 degrees off, distance pi R - R * 1e-7 * pi/180 (1.1e-5 km less); 1e-6 km
    # (1 mm): asin(sqrt(h)) there would be ~sqrt(eps) R = 1e-4 km off
    d2 = great_circle_distances(np.array([0.0, 180.0]), np.array([0.0, 1e-7]), radius_km=r)
    assert d2[0, 1] == pytest.approx(math.pi * r - r * math.radians(1e-7), abs=1e-6)
    # tiny separations keep their precision: 1e-9 degrees of longitude on the equator (relative
    # rounding of the haversine form ~1e-15; the law of cosines would lose all digits)
    d3 = great_circle_distances(np.array([0.0, 1e-9]), np.array([0.0, 0.0]), radius_km=r)
    assert d3[0, 1] == pytest.approx(r * math.radians(1e-9), rel=1e-9)


def test_haversine_bad_coordinates():
    with pytest.raises(DataError, match=r"positions 1"):
        great_circle_distances(np.array([0.0, np.nan]), np.array([0.0, 1.0]))
    with pytest.raises(DataError, match=r"\|lat\| > 90.*positions 0"):
        great_circle_distances(np.array([0.0, 0.0]), np.array([95.0, 1.0]))
    with pytest.raises(DataError, match="different lengths"):
        great_circle_distances(np.zeros(3), np.zeros(2))


# --- projections and centroids -------------------------------------------------------------

def test_china_layer_gets_china_albers():
    from spillmap.datasets import china_prefectures

    cn = china_prefectures()
    assert equal_area_crs(cn) == CHINA_ALBERS
    ea = to_equal_area(cn)
    assert ea.crs.equals(CHINA_ALBERS)
    # area_km2 was computed by data/build_china_prefectures.py with the same Albers CRS on the
    # unsimplified geometry; the 200 m simplification changes areas by well under 1 %
    np.testing.assert_allclose(ea.area.to_numpy() / 1e6, cn["area_km2"].to_numpy(), rtol=0.01)
    assert cn.crs.to_epsg() == 4326  # input untouched


def test_other_layers_get_laea_centred_on_bounds(us48):
    crs = equal_area_crs(us48)
    minx, miny, maxx, maxy = us48.total_bounds
    assert crs.startswith("+proj=laea")
    assert f"+lon_0={(minx + maxx) / 2:.6f}" in crs and f"+lat_0={(miny + maxy) / 2:.6f}" in crs
    # equal-area: areas agree with the standard CONUS Albers EPSG:5070 (NAD83/GRS80, which
    # differs from WGS84 by < 1 m); densified first so that both projections curve edges alike
    dense = us48.set_geometry(us48.geometry.segmentize(0.02))
    np.testing.assert_allclose(to_equal_area(dense).area, dense.to_crs(5070).area, rtol=1e-6)


def test_projected_input_and_missing_crs(us48):
    assert equal_area_crs(us48.to_crs(3857)).startswith("+proj=laea")
    with pytest.raises(CRSError, match="no CRS"):
        to_equal_area(us48.set_crs(None, allow_override=True))


def test_antimeridian_layer_centred_on_the_pacific():
    gdf = gpd.GeoDataFrame(geometry=[box(170, -20, 179, -10), box(-179, -20, -170, -10)], crs=4326)
    assert "+lon_0=180.000000" in equal_area_crs(gdf)


@pytest.mark.parametrize("lon, lat", [(110.0, 35.0), (-100.0, 40.0), (10.0, 50.0)])
def test_centroid_of_a_small_square(lon, lat):
    # a 0.01 degree square: its centre of mass is its centre to well under 1e-6 degrees
    c = centroids(_square(lon, lat), "code")
    assert c.index.tolist() == ["a"] and list(c.columns) == ["lon", "lat"]
    assert c.loc["a", "lon"] == pytest.approx(lon, abs=1e-6)
    assert c.loc["a", "lat"] == pytest.approx(lat, abs=1e-6)


def test_centroid_of_square_symmetric_about_central_meridian():
    # Albers is symmetric about lon_0 = 105, so a lon/lat square centred on it keeps lon 105.
    # Its latitude is the area-weighted mean latitude of the band 29-31 N; on the sphere
    # (closed form) int phi cos phi / int cos phi = 29.99664 degrees. Ellipsoid vs sphere and
    # planar vs spherical centre of mass differ by ~0.002 degrees, hence the tolerance.
    a, b = math.radians(29.0), math.radians(31.0)
    band_mean = math.degrees(
        ((b * math.sin(b) + math.cos(b)) - (a * math.sin(a) + math.cos(a))) / (math.sin(b) - math.sin(a))
    )
    # densify: edges are projected vertex by vertex, so parallels need vertices to stay curved
    gdf = gpd.GeoDataFrame({"code": ["a"]}, geometry=[box(104, 29, 106, 31).segmentize(0.01)], crs=4326)
    c = centroids(gdf, "code")
    assert c.loc["a", "lon"] == pytest.approx(105.0, abs=1e-9)  # symmetry: rounding only (1e-14)
    assert c.loc["a", "lat"] == pytest.approx(band_mean, abs=0.005)
    assert c.loc["a", "lat"] < 30.0


def test_centroids_on_projected_input_and_id_order(us48):
    c1 = centroids(us48, "STATE_ABBR")
    c2 = centroids(us48.to_crs(3857), "STATE_ABBR")
    assert c1.index.tolist() == us48["STATE_ABBR"].tolist()
    # an exact (invertible) Web Mercator detour: PROJ round trips to ~1e-12 degrees (2e-14 observed)
    np.testing.assert_allclose(c1.to_numpy(), c2.to_numpy(), atol=1e-9)
    # independent route: centroids in the standard CONUS Albers (EPSG:5070). A planar centroid
    # depends on the projection; for the largest states (CA, ID) the two differ by 0.02 degrees
    dense = us48.set_geometry(us48.geometry.segmentize(0.02))
    ref = dense.to_crs(5070).geometry.centroid.to_crs(4326)
    c3 = centroids(dense, "STATE_ABBR")
    np.testing.assert_allclose(c3["lon"], ref.x, atol=0.03)
    np.testing.assert_allclose(c3["lat"], ref.y, atol=0.03)


def test_distance_matrix(us48):
    ids, d = distance_matrix(us48, "STATE_ABBR")
    assert ids == tuple(us48["STATE_ABBR"])
    c = centroids(us48, "STATE_ABBR")
    np.testing.assert_array_equal(d, great_circle_distances(c["lon"], c["lat"]))
    assert d.shape == (48, 48)
    i, j = ids.index("ME"), ids.index("CA")
    assert 3500 < d[i, j] < 4500


def test_centroid_id_errors():
    gdf = gpd.GeoDataFrame(
        {"code": ["a", "a"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326
    )
    with pytest.raises(DataError, match=r"not unique.*'a'"):
        centroids(gdf, "code")
    with pytest.raises(DataError, match=r"no id column 'id'.*'code'"):
        centroids(gdf, "id")
