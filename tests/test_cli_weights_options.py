"""``spillmap weights``: an option the chosen kind does not use is refused (it was silently
ignored), ``--layer`` only for a GeoPackage, and a GAL --out says ``--transform B``, not
Python's ``w.binary()`` (input audit)."""
from __future__ import annotations

import pytest

from spillmap.cli import main
from spillmap.spatial.io import read_weights


@pytest.fixture(scope="module")
def us_path():
    from spillmap.datasets import data_path

    return str(data_path("us48_states.geojson"))


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if BOUNDARY is read: the error must come before any work."""
    import spillmap.study.inputs as si

    def never(*a, **k):
        raise AssertionError("BOUNDARY was read before the options were checked")

    monkeypatch.setattr(si, "load_layer", never)


def _error(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("spillmap weights: error: ") and "Traceback" not in err, err
    return lines[0]


ECON = ["--data", "produc", "--data-id", "state_abbr", "--time", "year", "--var", "gsp"]


@pytest.mark.parametrize(
    "extra, needles",
    [
        (["--kind", "knn", "--k", "3", "--phi", "0.3"], ["--phi does not apply to --kind knn (only to --kind nested)"]),
        (["--kind", "knn", "--k", "3", "--cutoff-km", "100"],
         ["--cutoff-km does not apply to --kind knn (only to --kind inverse_distance, nested)"]),
        (["--kind", "knn", "--k", "3", "--alpha", "2"],
         ["--alpha does not apply to --kind knn (only to --kind inverse_distance, economic_product, nested)"]),
        (["--kind", "contiguity", "--k", "3"],
         ["--k does not apply to --kind contiguity (only to --kind knn, inverse_distance, nested, and contiguity "
          "with --islands nearest)"]),
        (["--kind", "contiguity", "--data", "produc", "--var", "gsp"],
         ["--data does not apply to --kind contiguity (only to --kind economic_distance, economic_product, nested)",
          "--var does not apply", "Leave them out"]),
        (["--kind", "contiguity", "--period", "1970:1975"], ["--period does not apply to --kind contiguity"]),
        (["--kind", "inverse_distance", "--islands", "drop"], ["--islands does not apply to --kind inverse_distance"]),
        (["--kind", "knn", "--k", "2", "--contiguity", "rook"], ["--contiguity does not apply to --kind knn"]),
        (["--kind", "knn", "--k", "2", "--name-column", "STATE_NAME"], ["--name-column does not apply to --kind knn"]),
        (["--kind", "economic_distance", *ECON, "--k", "2"], ["--k does not apply to --kind economic_distance"]),
        (["--kind", "economic_distance", *ECON, "--alpha", "2"], ["--alpha does not apply to --kind economic_distance"]),
        (["--kind", "inverse_distance", "--k", "4", "--cutoff-km", "900"],
         ["--kind inverse_distance: give --cutoff-km or --k, not both."]),
        (["--kind", "contiguity", "--layer", "foo"],
         ["--layer foo: BOUNDARY", "us48_states.geojson is a single-layer .geojson file; --layer applies to a "
          "multi-layer GeoPackage (.gpkg)"]),
    ],
)
def test_an_option_the_kind_does_not_use_is_refused_before_any_work(tmp_path, us_path, no_work, capsys, extra,
                                                                     needles):
    out = tmp_path / "w.gwt"
    assert main(["weights", us_path, "--id", "STATE_ABBR", *extra, "--out", str(out)]) == 2
    line = _error(capsys)
    for needle in needles:
        assert needle in line
    assert not out.exists()


def test_layer_with_a_bundled_layer_is_refused(tmp_path, no_work, capsys):
    assert main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "contiguity", "--layer", "x",
                 "--out", str(tmp_path / "w.gwt")]) == 2
    assert "--layer x: BOUNDARY us48 is a bundled layer, not a GeoPackage; leave --layer out." in _error(capsys)


@pytest.mark.parametrize(
    "extra",
    [["--kind", "contiguity", "--islands", "nearest", "--k", "2"],  # --k: links per island
     ["--kind", "inverse_distance", "--cutoff-km", "900", "--alpha", "2"],
     ["--kind", "inverse_distance", "--k", "4"],
     ["--kind", "nested", "--phi", "0.5", "--k", "4", "--alpha", "1.5", *ECON, "--period", "1970:1975"],
     ["--kind", "nested", "--phi", "0.5", "--cutoff-km", "2000", *ECON],
     ["--kind", "economic_product", "--alpha", "2", *ECON]],
)
def test_options_the_kind_uses_are_accepted(tmp_path, us_path, extra):
    out = tmp_path / "w.mtx"
    assert main(["weights", us_path, "--id", "STATE_ABBR", *extra, "--out", str(out)]) == 0
    assert read_weights(out).n == 48


@pytest.mark.parametrize("kind", [["--kind", "inverse_distance"], ["--kind", "economic_product", *ECON]])
def test_gal_out_for_graded_weights_names_the_transform_option(tmp_path, us_path, capsys, kind, monkeypatch):
    import spillmap.cli._weights as cw

    def never(*a, **k):
        raise AssertionError("W was built before --out was checked")

    out = tmp_path / "w.gal"
    with monkeypatch.context() as m:
        m.setattr(cw, "build", never)
        assert main(["weights", us_path, "--id", "STATE_ABBR", *kind, "--out", str(out)]) == 2
    line = _error(capsys)
    assert "GAL files store neighbour lists only" in line and "add --transform B (binary)" in line
    assert "w.binary()" not in line and not out.exists()
    assert main(["weights", us_path, "--id", "STATE_ABBR", *kind, "--transform", "B", "--out", str(out)]) == 0
    assert read_weights(out).n == 48


def test_write_error_in_python_terms_is_reworded(tmp_path, us_path, capsys, monkeypatch):
    """Whatever reaches the writer (here: the pre-check switched off) says --transform B on the command line."""
    import spillmap.cli._weights as cw

    monkeypatch.setattr(cw, "_check_gal", lambda out, spec: None)
    out = tmp_path / "w.gal"
    assert main(["weights", us_path, "--id", "STATE_ABBR", "--kind", "inverse_distance", "--out", str(out)]) == 2
    line = _error(capsys)
    assert "vary within rows" in line and "add --transform B (binary)" in line and "w.binary()" not in line
