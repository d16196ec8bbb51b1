"""A leading ``~`` in a path of a study spec or of the command line is the home folder (audit 29,
bad input E: ``path = "~/panel.csv"`` was read as ``<spec folder>/~/panel.csv``).  HOME points at a
temporary folder, so the expected paths are known without expanding anything in the test."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from spillmap import datasets
from spillmap.cli import main
from spillmap.cli._screen import weight_specs
from spillmap.study import Study
from spillmap.study.inputs import load_inputs
from spillmap.study.weights import WeightsInputs, build_weights

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the helper is in tests/
from _specs import MINIMAL  # noqa: E402

# the shared minimal study with its panel, W and output folder in the home folder
SPEC = (MINIMAL.replace('dataset = "produc"', 'path = "~/panel.csv"')
        .replace('kind = "contiguity"', 'kind = "file"\npath = "~/w.gal"') + '[output]\ndir = "~/report"\n')


@pytest.fixture
def home(tmp_path, monkeypatch):
    """HOME in a temporary folder holding the Produc panel as CSV and the US-48 queen W as GAL;
    the working directory elsewhere (a ``~`` folder created there would be the old bug)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    datasets.produc().to_csv(home / "panel.csv", index=False)
    assert main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "contiguity", "--transform", "B",
                 "--out", str(home / "w.gal")]) == 0
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return home


def test_study_paths_expand_home(home, tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "study.toml").write_text(SPEC, encoding="utf-8")
    study = Study.from_toml(folder / "study.toml")
    assert study.resolve("~/panel.csv") == home / "panel.csv"
    assert study.resolve(study.output.dir) == home / "report"
    assert study.resolve("data/p.csv") == folder / "data" / "p.csv"  # relative paths: still the spec's folder
    files = study.input_files()
    assert files["panel.path"] == home / "panel.csv"
    assert files["weights.W1.path"] == home / "w.gal"
    inputs = load_inputs(study)
    assert len(inputs.panel) == 48 * 17
    w = build_weights(study.weight("W1"), WeightsInputs(inputs.layer, inputs.panel, inputs.id, inputs.time,
                                                        resolve=study.resolve))
    assert w.n == 48


def test_study_file_itself_may_start_with_home(home):
    (home / "study.toml").write_text(SPEC, encoding="utf-8")
    study = Study.from_toml("~/study.toml")
    assert study.resolve("panel.csv") == home / "panel.csv"  # relative to the spec's (home) folder


def test_cli_paths_expand_home(home, capsys):
    # --opt=~/x reaches spillmap unexpanded (the shell expands ~ only at the start of a word)
    rc = main(["moran", "--data=~/panel.csv", "--id", "state_abbr", "--time", "year", "--var", "unemp",
               "--w=~/w.gal", "--permutations", "0", "--json=~/moran.json"])
    assert rc == 0, capsys.readouterr().err
    assert "pooled" in json.loads((home / "moran.json").read_text(encoding="utf-8"))
    assert main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "knn", "--k", "4", "--out=~/knn.gwt"]) == 0
    assert (home / "knn.gwt").is_file()
    assert not any(p.name == "~" for p in home.parent.rglob("*"))


def test_screen_weights_files_expand_home(home):
    specs = weight_specs(["~/w.gal", "W2=file:path=~/w.gal"], islands="nearest", transform="R")
    assert specs["w"]["path"] == str(home / "w.gal")
    assert specs["W2"]["path"] == str(home / "w.gal")


def test_build_report_out_dir_expands_home(home):
    """``build_report(study, out_dir="~/report")`` (Python API) means the home folder's report: an
    existing one is refused by its expanded path, before any work, without ``force``."""
    from spillmap.errors import OutputError
    from spillmap.maps.report import build_report

    (home / "study.toml").write_text(SPEC, encoding="utf-8")
    (home / "report").mkdir()
    (home / "report" / "mine.txt").write_text("a user's file")
    with pytest.raises(OutputError, match=str(home / "report")):
        build_report(Study.from_toml(home / "study.toml"), out_dir="~/report")
