"""The island record set by the contiguity builder, and moran naming the file of an unbalanced panel, on
the command line (newcomer audit 31 #6 and #8; the library side of both is in spatial/builders.py and
spatial/_panel_array.py).

``spillmap weights ... --islands nearest`` printed "islands 0 (none)" for the W whose five islands it had
linked (the report says "5 islands linked to their 1 nearest unit"); ``spillmap moran`` said "panel is
unbalanced: ..." where ``fit`` and ``diagnose`` say "panel_missing.csv: the panel is unbalanced: ...".
"""
from __future__ import annotations

import pytest

from spillmap import datasets
from spillmap.cli import main

SUBSET = ["--subset-column", "level", "--subset-values", "municipality,prefecture_city"]
QUEEN = ["weights", "china_prefectures", "--id", "adcode", "--kind", "contiguity", "--contiguity", "queen"]


@pytest.fixture(scope="module")
def demo_w(tmp_path_factory):
    """The demo's W1 over its 297 cities, written by the weights command, and what the command printed."""
    import contextlib
    import io

    path = tmp_path_factory.mktemp("w") / "W.gal"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*QUEEN, "--islands", "nearest", *SUBSET, "--out", str(path)]) == 0
    return path, out.getvalue()


def test_the_weights_command_names_the_islands_it_linked(demo_w):
    _, out = demo_w
    # the five islands of data/README.md (Hainan's four cities and Karamay), linked to their nearest unit
    assert ("islands               5 of the contiguity linked to their nearest unit "
            "('460100', '460200', '460300', '460400', '650200')") in out
    assert "0 (none)" not in out


def test_dropped_islands_are_named_and_a_w_without_islands_says_none(tmp_path, capsys):
    assert main([*QUEEN, "--islands", "drop", "--out", str(tmp_path / "d.gal")]) == 0
    out = capsys.readouterr().out
    assert "islands               2 of the contiguity dropped ('460300', '710000')" in out
    assert main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "contiguity", "--islands", "nearest",
                 "--out", str(tmp_path / "us.gal")]) == 0
    assert "islands               0 (none)" in capsys.readouterr().out


def test_the_builder_records_the_islands_for_python_users_too():
    from spillmap.spatial.builders import contiguity
    from spillmap.spatial.weights import IslandPolicy

    layer = datasets.china_prefectures()
    layer = layer[layer["level"].isin(["municipality", "prefecture_city"])]
    w = contiguity(layer, "adcode", islands="nearest", k=2)
    assert w.island_policy == IslandPolicy("nearest", ["460100", "460200", "460300", "460400", "650200"], 2)
    assert "islands=0 (5 linked)" in repr(w)
    assert "5 of the contiguity linked to their 2 nearest units" in w._repr_html_()
    assert contiguity(layer, "adcode", islands="keep").island_policy is None  # its islands are in w.islands


def test_moran_names_the_file_of_an_unbalanced_panel_as_fit_does(demo_w, tmp_path, capsys):
    w_path, _ = demo_w
    panel = datasets.demo_panel()
    csv = tmp_path / "panel_missing.csv"
    panel[~((panel["adcode"].astype(str) == "420100") & (panel["year"] == 2015))].to_csv(csv, index=False)
    assert main(["moran", "--data", str(csv), "--id", "adcode", "--time", "year", "--var", "gtfp",
                 "--w", str(w_path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (
        "spillmap moran: error: panel_missing.csv: the panel is unbalanced: 1 (id, year) cell(s) missing: "
        "('420100', 2015); these statistics need every unit in every period.\n")
    assert main(["fit", "--data", str(csv), "--id", "adcode", "--time", "year", "--y", "gtfp", "--x", "int",
                 "--w", str(w_path)]) == 2
    assert capsys.readouterr().err.startswith("spillmap fit: error: panel_missing.csv: the panel is unbalanced: ")
