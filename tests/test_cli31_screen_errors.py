"""``spillmap screen`` names a column the panel lacks as ``fit`` does, before the layer is read
(newcomer audit 31 #8).

``spillmap screen --data panel.csv ... --indicators gtpf`` printed "layer: 75 unit(s) without data left
out (297 kept)" and then "panel has no column 'gtpf'; available: ...": no file, no "Did you mean", and
found after the layer was read and joined.  Every column the options name (indicators, --lm-y/--lm-x,
the columns of a --composite, --id/--time) is now checked with spillmap fit's helper
(:func:`spillmap._readcsv.require_columns`) right after the panel is read, and a pattern that takes no
column with the screen's own selection, both before the layer is touched: one line, exit status 2.
"""
from __future__ import annotations

import pytest

from spillmap import datasets
from spillmap.cli import main

HAS = ("the file has 'adcode', 'name', 'year', 'gtfp', 'int', 'ins', 'pgdp', 'fdi', 'trans', 'inp'.")


@pytest.fixture(scope="module")
def panel_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("panel") / "panel.csv"
    datasets.demo_panel().to_csv(path, index=False)
    return path


def _screen(panel_csv, tmp_path, *options):
    return ["screen", "--data", str(panel_csv), "--id", "adcode", "--time", "year", "--layer", "china_prefectures",
            "--w", "queen", "--out", str(tmp_path / "out"), *options]


def test_a_misspelt_indicator_is_named_with_the_file_before_any_work(panel_csv, tmp_path, capsys):
    assert main(_screen(panel_csv, tmp_path, "--indicators", "gtpf")) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no "layer: 75 unit(s) without data left out" before the error
    assert err == (f"spillmap screen: error: {panel_csv}: no column(s) 'gtpf'; {HAS} Did you mean 'gtfp'?\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("options", "named"), [
    (["--indicators", "gtfp", "gtpf"], "no column(s) 'gtpf'; " + HAS + " Did you mean 'gtfp'?"),
    (["--indicators", "gtfp", "--statistics", "lm", "--lm-x", "inp", "intt"], "no column(s) 'intt'; " + HAS
     + " Did you mean 'int'?"),
    (["--indicators", "eco", "--composite", "eco=entropy:pgdp,-inpp"], "no column(s) 'inpp'; " + HAS
     + " Did you mean 'inp'?"),
    (["--indicators", "gtfp", "--time", "yaer"], "no column(s) 'yaer'; " + HAS + " Did you mean 'year'?"),
    (["--indicators", "gt*x"], "indicator pattern 'gt*x' matches no numeric column"),
])
def test_every_named_column_is_checked_before_the_layer_is_read(panel_csv, tmp_path, capsys, monkeypatch,
                                                                 options, named):
    import spillmap.cli._screen as cli_screen

    def no_layer(*args, **kwargs):
        raise AssertionError("the layer was read before the panel's columns were checked")

    monkeypatch.setattr(cli_screen, "read_layer", no_layer)
    assert main(_screen(panel_csv, tmp_path, *options)) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    # the file as given (spillmap fit's column message), or its name (the pattern: the panel's source)
    assert err.startswith("spillmap screen: error: ") and f"{panel_csv.name}: {named}" in err, err


def test_a_composite_or_a_pattern_that_takes_it_is_not_refused(panel_csv, tmp_path, capsys, monkeypatch):
    """The composite's name is a column only once it is built: naming it, or a pattern taking it, is fine."""
    import spillmap.cli._screen as cli_screen

    class LayerReached(Exception):
        pass

    def layer(*args, **kwargs):
        raise LayerReached

    monkeypatch.setattr(cli_screen, "read_layer", layer)
    for indicators in (["eco"], ["ec*"]):
        with pytest.raises(LayerReached):  # the checks passed: the layer is read next
            main(_screen(panel_csv, tmp_path, "--indicators", *indicators, "--composite", "eco=entropy:pgdp,-inp"))


def test_the_layer_note_goes_to_stderr(capsys):
    from spillmap.screen._spec import align_layer

    layer = datasets.china_prefectures(web=True)
    kept = align_layer(layer, datasets.demo_panel(), id="adcode", layer_id="adcode", quiet=False)
    out, err = capsys.readouterr()
    assert len(kept) == 297 and out == "" and err == "layer: 75 unit(s) without data left out (297 kept)\n"
