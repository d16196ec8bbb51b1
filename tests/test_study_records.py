"""GeoJSONText: the stored display layer stays immutable whatever a caller does with it."""
from __future__ import annotations

import pytest

from spillmap.study.records import GeoJSONText

DOC = {
    "type": "FeatureCollection", "id_column": "id", "name_column": None,
    "features": [
        {"type": "Feature", "properties": {"id": "a", "name_en": "Alpha"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
        {"type": "Feature", "properties": {"id": "b", "name_en": "Beta"},
         "geometry": {"type": "Polygon", "coordinates": [[[1, 0], [2, 0], [2, 1], [1, 0]]]}},
    ],
}


def test_containers_are_fresh_copies_and_scalars_are_returned():
    g = GeoJSONText(DOC)
    feats = g["features"]
    feats[0]["properties"]["id"] = "changed"
    feats.append("junk")
    assert g["features"] == DOC["features"]  # the stored text is untouched
    assert g["id_column"] == "id" and g["name_column"] is None
    assert "features" in g and "nope" not in g and g.get("nope") is None
    with pytest.raises(KeyError):
        g["nope"]


def test_frame_is_a_fresh_copy_of_one_cached_frame():
    g = GeoJSONText(DOC)
    f = g.frame()
    assert list(f["id"]) == ["a", "b"] and f.crs.to_epsg() == 4326
    f.loc[0, "id"] = "changed"
    del f["name_en"]
    again = g.frame()
    assert list(again["id"]) == ["a", "b"] and "name_en" in again.columns
    assert g == GeoJSONText(DOC)  # equality by text, the cache plays no part
