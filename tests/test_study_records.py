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


def test_geometry_block_text_equals_the_encoded_document():
    """The study's display layer is geopandas' GeoJSON text with the column names appended;
    it must be the text the parse-and-encode route gave (the earlier implementation:
    ``json.loads(gdf.to_json(drop_id=True))`` plus the three keys, then ``GeoJSONText(doc)``),
    non-ASCII names included."""
    import json

    from spillmap import datasets
    from spillmap.geo.display import auto_tolerance, for_display
    from spillmap.study import Study
    from spillmap.study._steps_maps import geometry_block
    from spillmap.study.inputs import load_inputs

    study = Study.from_toml(datasets.data_path("demo_report.toml"))
    inputs = load_inputs(study)
    got = geometry_block(study, inputs)
    layer = inputs.full_layer
    keep = [c for c in (inputs.id, study.layer.name_column, study.layer.group_column, "name_en") if c in layer.columns]
    gdf = for_display(layer[list(dict.fromkeys(keep)) + ["geometry"]], id=inputs.id,
                      simplify=auto_tolerance(layer, study.maps.simplify, bundled=study.layer.dataset is not None))
    doc = json.loads(gdf.to_json(drop_id=True))
    doc.update(name_column=study.layer.name_column, id_column=inputs.id, group_column=study.layer.group_column)
    assert isinstance(got, GeoJSONText) and got.text == GeoJSONText(doc).text
    assert not got.text.isascii()  # the Chinese names are kept as text, not escaped
    assert got["id_column"] == inputs.id and len(got["features"]) == len(layer)


def test_fit_record_pickles_to_an_equal_record():
    """A study's side steps return FitRecords from a forked process through pickle."""
    import pickle

    from spillmap.study.records import FitRecord

    rec = FitRecord(label="SDM, W1", model="sdm", fe="twoways", y="y", w="W1", params={"x": 0.5, "rho": 0.25},
                    std_errors={"x": 0.1, "rho": None}, pvalues={"x": 1e-6, "rho": 0.01},
                    stats={"nobs": 120, "lee_yu": True, "r2_kind": "within"},
                    effects={"direct": {"x": {"estimate": 0.6, "se": 0.1}}}, effects_method="simulation",
                    notes=("a note",), warnings=("a warning",), effects_long_run={"total": {"x": {"estimate": 1.0}}})
    back = pickle.loads(pickle.dumps(rec))
    assert back == rec and back.to_dict() == rec.to_dict()
    assert isinstance(back.params, type(rec.params))  # still read-only
