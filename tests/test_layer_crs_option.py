"""A boundary layer without a CRS: ``spillmap weights --assume-crs``, the study file's
``[layer] assume_crs``, contiguity without a CRS, and errors that name the way out in the
interface used (input audit: the error said ``assume_crs=...`` everywhere, which only Python has)."""
from __future__ import annotations

import warnings

import geopandas as gpd
import pytest

from spillmap.cli import main
from spillmap.errors import CRSError, InputError
from spillmap.spatial import builders as B
from spillmap.spatial.io import read_weights
from spillmap.study import Study
from spillmap.study._schema import SpecError


def _no_crs(us48, folder, name="nocrs.gpkg"):
    """The US-48 layer (lon/lat degrees) written without a CRS."""
    g = gpd.GeoDataFrame(us48[["STATE_ABBR"]].copy(), geometry=us48.geometry.to_numpy(), crs=None)
    path = folder / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio: "'crs' was not provided"
        g.to_file(path, engine="pyogrio")
    return path


def _weights(layer, out, *extra):
    return ["weights", str(layer), "--id", "STATE_ABBR", *extra, "--out", str(out)]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("spillmap weights: error: "), err
    return lines[0]


# ------------------------------------------------------------------ command line
def test_cli_no_crs_names_assume_crs_and_the_option_reads_the_layer(tmp_path, us48, capsys):
    layer, out = _no_crs(us48, tmp_path), tmp_path / "k.mtx"
    assert main(_weights(layer, out, "--kind", "knn", "--k", "3")) == 2
    line = _one_error_line(capsys)
    assert "nocrs.gpkg has no coordinate reference system" in line
    assert "--assume-crs EPSG:4326" in line and "assume_crs=" not in line  # the CLI's option, not Python's keyword
    assert not out.exists()
    assert main(_weights(layer, out, "--kind", "knn", "--k", "3", "--assume-crs", "EPSG:4326")) == 0
    assert read_weights(out).equals(B.knn(us48, "STATE_ABBR", k=3))


def test_cli_shapefile_without_prj_names_the_prj_and_the_option(tmp_path, us48, capsys):
    shp = _no_crs(us48, tmp_path, "noprj.shp")
    shp.with_suffix(".prj").unlink(missing_ok=True)
    assert main(_weights(shp, tmp_path / "w.gwt", "--kind", "inverse_distance")) == 2
    line = _one_error_line(capsys)
    assert "noprj.shp has no coordinate reference system" in line and ".prj" in line and "--assume-crs" in line


def test_cli_bad_assume_crs_is_one_line_before_any_work(tmp_path, us48, capsys, monkeypatch):
    import spillmap.study.inputs as si

    def never(*a, **k):
        raise AssertionError("the layer was read before --assume-crs was checked")

    monkeypatch.setattr(si, "load_layer", never)
    layer = _no_crs(us48, tmp_path)
    with pytest.raises(SystemExit) as info:  # argparse's error: the spillmap parser prints one line, status 2
        main(_weights(layer, tmp_path / "w.gwt", "--kind", "knn", "--k", "2", "--assume-crs", "EPSG:nope"))
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "argument --assume-crs: 'EPSG:nope' is not a CRS pyproj understands" in err


def test_cli_contiguity_needs_no_crs_but_islands_nearest_does(tmp_path, us48, capsys):
    layer, out = _no_crs(us48, tmp_path), tmp_path / "q.gal"
    assert main(_weights(layer, out, "--kind", "contiguity")) == 0  # which polygons touch: no CRS involved
    assert read_weights(out).equals(B.contiguity(us48, "STATE_ABBR", transform="B"))
    capsys.readouterr()
    args = _weights(layer, tmp_path / "n.gal", "--kind", "contiguity", "--islands", "nearest")
    assert main(args) == 2  # islands linked by centroid distance: a CRS is needed
    assert "--assume-crs" in _one_error_line(capsys)


def test_cli_assume_crs_on_a_layer_with_a_crs_is_ignored_with_a_note(tmp_path, capsys):
    from spillmap.datasets import data_path

    out = tmp_path / "w.gal"
    assert main(_weights(data_path("us48_states.geojson"), out, "--kind", "contiguity", "--assume-crs", "EPSG:3857")) == 0
    err = capsys.readouterr().err
    assert "note: --assume-crs EPSG:3857 ignored: BOUNDARY has its own CRS (EPSG:4326)" in err


def test_cli_multi_layer_file_names_the_layer_option(tmp_path, us48, capsys):
    path = tmp_path / "two.gpkg"
    for name in ("a", "b"):
        us48[["STATE_ABBR", "geometry"]].to_file(path, layer=name, engine="pyogrio")
    assert main(_weights(path, tmp_path / "w.gal", "--kind", "contiguity")) == 2
    line = _one_error_line(capsys)
    assert "contains 2 layers: 'a', 'b'" in line and "--layer NAME" in line and "layer=..." not in line


# ------------------------------------------------------------------ study file
STUDY = """
[layer]
path = "nocrs.gpkg"
id = "STATE_ABBR"
{extra}
[panel]
dataset = "produc"
id = "state_abbr"
time = "year"
[model]
y = "unemp"
x = ["pc"]
[weights.W1]
kind = "contiguity"
"""


def _study(tmp_path, extra: str = "") -> Study:
    p = tmp_path / "study.toml"
    p.write_text(STUDY.format(extra=extra), encoding="utf-8")
    return Study.from_toml(p)


def test_study_no_crs_names_the_layer_key_and_the_key_reads_the_layer(tmp_path, us48):
    from spillmap.study.inputs import load_inputs

    _no_crs(us48, tmp_path)
    with pytest.raises(CRSError) as info:
        load_inputs(_study(tmp_path))
    msg = str(info.value)
    assert "nocrs.gpkg has no coordinate reference system" in msg and "\n" not in msg
    assert "[layer] table, e.g. assume_crs = \"EPSG:4326\"" in msg and "assume_crs=" not in msg
    inputs = load_inputs(_study(tmp_path, 'assume_crs = "EPSG:4326"'))
    assert inputs.layer.crs.to_epsg() == 4326 and inputs.n == 48


@pytest.mark.parametrize("value", ['"EPSG:nope"', '"lon/lat"'])
def test_study_bad_assume_crs_names_the_key(tmp_path, value):
    with pytest.raises(SpecError, match=r"key 'layer.assume_crs': .* is not a CRS pyproj understands .*EPSG:4326") as info:
        _study(tmp_path, f"assume_crs = {value}")
    assert "\n" not in str(info.value)


def test_study_assume_crs_round_trips_and_is_documented(tmp_path):
    from pathlib import Path

    s = _study(tmp_path, "assume_crs = 4326")
    assert s.layer.assume_crs == 4326
    assert "assume_crs = 4326" in s.to_toml()
    docs = (Path(__file__).resolve().parents[1] / "docs" / "config.md").read_text(encoding="utf-8")
    assert "| `assume_crs` |" in docs


# ------------------------------------------------------------------ Python
def test_python_keeps_the_keyword_and_can_accept_no_crs(tmp_path, us48):
    from spillmap.geo import read_boundaries

    path = _no_crs(us48, tmp_path)
    with pytest.raises(CRSError, match=r"If you know it, pass assume_crs=\.\.\., e\.g\. assume_crs='EPSG:4326'"):
        read_boundaries(path, "STATE_ABBR")
    gdf = read_boundaries(path, "STATE_ABBR", require_crs=False)
    rep = gdf.attrs["spillmap_read_report"]
    assert gdf.crs is None and rep.crs == "" and rep.assumed_crs is False
    assert "CRS: none (the file has none)" in str(rep)
    with pytest.raises(CRSError, match="give it with X"):
        read_boundaries(path, "STATE_ABBR", advice={"assume_crs": "give it with X"})
    with pytest.raises(InputError, match=r"does not exist"):
        from spillmap.study.inputs import load_layer

        load_layer(str(tmp_path / "absent.gpkg"), "STATE_ABBR")


def test_screen_layer_without_crs_names_the_option_and_the_option_reads_it(tmp_path, us48, capsys, in_process):
    """spillmap screen reads --layer too: its no-CRS error names --assume-crs (it said 'assume_crs=',
    a Python keyword), and --assume-crs reads the layer (audit follow-up 2026-12-01)."""
    layer = _no_crs(us48, tmp_path)
    argv = ["screen", "--data", "produc", "--id", "state_abbr", "--time", "year", "--layer", str(layer),
            "--layer-id", "STATE_ABBR", "--indicators", "unemp", "--w", "knn:4", "--permutations", "0",
            "--statistics", "moran", "--maps-top-k", "0", "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("spillmap screen: error: "), err
    assert "has no coordinate reference system" in err and "--assume-crs" in err and "assume_crs=" not in err
    assert main([*argv, "--assume-crs", "EPSG:4326"]) == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "screen.csv").is_file()
