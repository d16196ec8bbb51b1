"""``spillmap fit | diagnose | moran`` on the bundled synthetic panel say so, on screen and in JSON.

New-user audit 31 (#2): their console output and JSON had no notice, while data/README.md promises it
on every output built on the demonstration data.  A copy of the data saved as the user's own CSV is
the user's file: no notice (spillmap cannot know where it came from).
"""
from __future__ import annotations

import json

import pytest

from spillmap import datasets
from spillmap.cli import main


@pytest.fixture(scope="module")
def w_gal(tmp_path_factory):
    out = tmp_path_factory.mktemp("w") / "W.gal"
    assert main(["weights", "china_prefectures", "--id", "adcode", "--kind", "contiguity", "--contiguity", "queen",
                 "--islands", "nearest", "--subset-column", "level", "--subset-values",
                 "municipality,prefecture_city", "--out", str(out)]) == 0
    return out


def _args(command, data, w, out):
    common = ["--data", data, "--id", "adcode", "--time", "year", "--w", str(w), "--json", str(out)]
    if command == "moran":
        return ["moran", *common, "--var", "gtfp", "--permutations", "0"]
    extra = ["--draws", "0"] if command == "fit" else ["--no-hausman", "--permutations", "0"]
    return [command, *common, "--y", "gtfp", "--x", "int", "ins", *extra]


@pytest.mark.parametrize("command", ["fit", "diagnose", "moran"])
def test_commands_on_the_demo_panel_print_and_record_the_notice(command, w_gal, tmp_path, capsys):
    for data in ("demo_panel", str(datasets.data_path("china_demo_panel.csv"))):
        out = tmp_path / f"{command}_{len(data)}.json"
        assert main(_args(command, data, w_gal, out)) == 0
        printed = capsys.readouterr().out
        assert printed.startswith(datasets.DEMO_NOTICE + "\n\n"), printed[:200]
        assert next(iter(json.loads(out.read_text()))) == "notice"  # the JSON's first key
        assert json.loads(out.read_text())["notice"] == datasets.DEMO_NOTICE


def test_a_users_own_csv_carries_no_notice(w_gal, tmp_path, capsys):
    mine = tmp_path / "panel.csv"
    datasets.demo_panel().to_csv(mine, index=False)
    assert main(_args("moran", str(mine), w_gal, tmp_path / "m.json")) == 0
    assert "SYNTHETIC" not in capsys.readouterr().out and "notice" not in json.loads((tmp_path / "m.json").read_text())
