"""``simplify="auto"`` in the Python map functions, their new default (notebook audit 32 #6, #8).

The study's ``[maps] simplify`` says ``"auto"``; the Python functions took only a number and failed
with shapely's raw ufunc TypeError on "auto", and kept the bundled 200 m analysis layer whole by
default (a 9.5-12.6 MB map per notebook cell).  "auto" now means what it means in a study: about 1 km
for a layer of more than AUTO_SIMPLIFY_VERTICES vertices, nothing for a smaller one.  The report's
maps keep the study's own decision (its layer is simplified once, as its spec says).
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
import shapely

from spillmap.errors import InputError
from spillmap.maps._layers import prepare_geometry

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared specs sit next to this file
from _specs import US_MAPS_ONLY  # noqa: E402


def _vertices(gdf) -> int:
    return int(shapely.get_num_coordinates(gdf.geometry.values).sum())


def test_auto_simplifies_a_large_layer_only(us48, monkeypatch):
    import spillmap.geo.display as display

    whole = prepare_geometry(us48, id="STATE_ABBR", simplify=None)
    assert prepare_geometry(us48, id="STATE_ABBR").geometry.equals(whole.geometry)  # 11,469 vertices: small
    monkeypatch.setattr(display, "AUTO_SIMPLIFY_VERTICES", 1_000)  # now the US layer counts as large
    auto = prepare_geometry(us48, id="STATE_ABBR", simplify="auto")
    assert auto.geometry.equals(prepare_geometry(us48, id="STATE_ABBR", simplify=0.01).geometry)
    assert _vertices(auto) < _vertices(whole)
    assert prepare_geometry(us48, id="STATE_ABBR", simplify=False).geometry.equals(whole.geometry)


@pytest.mark.parametrize("bad", ["1km", -0.1, float("nan"), True, [0.01]])
def test_a_bad_tolerance_is_a_one_line_error(us48, bad):
    with pytest.raises(InputError, match=r'simplify must be "auto", a tolerance in degrees'):
        prepare_geometry(us48, id="STATE_ABBR", simplify=bad)


def test_choropleth_takes_auto_as_a_study_writes_it(us48):
    from spillmap.maps import choropleth

    g = us48.assign(v=range(len(us48)))
    m = choropleth(g, "v", id="STATE_ABBR", simplify="auto")  # was shapely's ufunc TypeError
    assert m is not None


def test_the_report_maps_keep_the_study_decision(us48, tmp_path, monkeypatch):
    """With the threshold at 1,000 vertices the map functions' default would simplify the US layer;
    the report's maps pass the study's display layer on untouched, so they are byte-identical."""
    import spillmap.geo.display as display
    from spillmap.maps.report import render_report
    from spillmap.study import Study, run

    spec = US_MAPS_ONLY.format(maps='include = ["choropleth"]')
    res = run(Study.from_dict(tomllib.loads(spec), source="s.toml"))
    render_report(res, tmp_path / "a")
    monkeypatch.setattr(display, "AUTO_SIMPLIFY_VERTICES", 1_000)
    render_report(res, tmp_path / "b")
    a, b = ((tmp_path / d / "maps" / "choropleth.html").read_bytes() for d in "ab")
    assert a == b
