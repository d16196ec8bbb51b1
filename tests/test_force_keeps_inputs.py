"""``--force`` never deletes what a command reads, and ``screen`` says which columns it leaves out.

``spillmap scenario`` and ``spillmap screen`` replace a spillmap-written ``--out`` folder with
``--force``; a folder that is or holds one of the run's inputs (SOURCE, the study spec and the files it
reads; ``--data``, ``--layer``, a ``--w`` file) is refused with exit 2, before any work, as ``spillmap
report`` does.  ``screen`` stops at a listed indicator holding text (file, line, column, value), names
the non-numeric columns ``--indicators all`` leaves out, and refuses values beyond fit's 1e+100.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spillmap._fileio import MARKER, atomic_directory
from spillmap.cli import main
from spillmap.errors import DataError

SPEC = """
title = "US test"
[layer]
{layer}
id = "STATE_ABBR"
[panel]
{panel}
id = "state_abbr"
time = "year"
[model]
y = "log(gsp)"
x = ["log(pcap)", "unemp"]
draws = 0
[weights.W1]
{weights}
"""


def _spillmap_folder(path: Path, files: dict[str, str]) -> Path:
    """A folder as spillmap writes it (``--force`` may replace it) holding ``files``."""
    with atomic_directory(path) as tmp:
        for name, text in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text, encoding="utf-8")
    assert (path / MARKER).is_file()
    return path


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line_error(capsys, *words: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("spillmap "), err
    for word in words:
        assert word in err, err
    return err


# ------------------------------------------------------------------ scenario
@pytest.fixture
def no_work(monkeypatch):
    """Reading saved results or fitting a model fails the test: the refusal comes first."""
    from spillmap.study import StudyResults

    monkeypatch.setattr(StudyResults, "read", lambda *a, **k: pytest.fail("results read before the check"))
    monkeypatch.setattr("spillmap.study._steps_scenarios.fit_models",
                        lambda *a, **k: pytest.fail("model fitted before the check"))


@pytest.mark.parametrize("source", ["rep", "rep/results.json"])
def test_scenario_force_keeps_the_report_it_reads(tmp_path, monkeypatch, capsys, no_work, source):
    monkeypatch.chdir(tmp_path)
    rep = _spillmap_folder(tmp_path / "rep", {"results.json": "{}\n", "index.html": "<html></html>\n"})
    before = _contents(rep)
    assert main(["scenario", source, "--variable", "unemp", "--change", "1", "--out", "rep", "--force",
                 "--quiet"]) == 2
    _one_line_error(capsys, "refusing to", "SOURCE", "rep")
    assert _contents(rep) == before


@pytest.mark.parametrize(("where", "label"), [
    ("panel", "panel.path"),
    ("spec", "the study spec"),
    ("weights", "weights.W1.path"),
    ("layer", "layer.path"),
])
def test_scenario_force_keeps_the_study_files(tmp_path, monkeypatch, capsys, no_work, us48, us48_queen, produc,
                                              where, label):
    """A spec's panel, weights and layer files, and the spec itself, inside --out: refused."""
    monkeypatch.chdir(tmp_path)
    inside = {"produc.csv": produc.to_csv(index=False)} if where == "panel" else {}
    if where == "layer":
        us48.to_file(tmp_path / "layer.geojson", driver="GeoJSON")
        inside["layer.geojson"] = (tmp_path / "layer.geojson").read_text(encoding="utf-8")
    if where == "weights":
        inside["w.gal"] = _gal(us48_queen)
    prefix = "" if where == "spec" else "out/"
    spec = SPEC.format(
        layer=f'path = "{prefix}layer.geojson"' if where == "layer" else 'dataset = "us48"',
        panel=f'path = "{prefix}produc.csv"' if where == "panel" else 'dataset = "produc"',
        weights=f'kind = "file"\npath = "{prefix}w.gal"' if where == "weights" else 'kind = "contiguity"',
    )
    if where == "spec":
        inside["study.toml"] = spec
    out = _spillmap_folder(tmp_path / "out", inside)
    spec_path = out / "study.toml" if where == "spec" else tmp_path / "study.toml"
    if where != "spec":
        spec_path.write_text(spec, encoding="utf-8")
    before = _contents(out)
    assert main(["scenario", str(spec_path), "--variable", "unemp", "--change", "1", "--out", "out", "--force",
                 "--quiet"]) == 2
    _one_line_error(capsys, "refusing to replace folder out", label)
    assert _contents(out) == before


def _gal(us48_queen) -> str:
    """The queen contiguity of the US-48 layer as GAL text (a weights file a run may read)."""
    import tempfile

    from spillmap.spatial.io import write_weights

    with tempfile.TemporaryDirectory() as d:
        return write_weights(us48_queen.binary(), Path(d) / "w.gal").read_text(encoding="utf-8")


# ------------------------------------------------------------------ screen
SCREEN = ["--id", "state_abbr", "--time", "year", "--layer-id", "STATE_ABBR", "--statistics", "moran",
          "--permutations", "0", "--no-pooled", "--periods", "1985", "1986"]


@pytest.mark.parametrize("which", ["--data", "--w", "--layer"])
def test_screen_force_keeps_its_inputs(tmp_path, monkeypatch, capsys, us48, us48_queen, produc, which):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("spillmap.cli._screen.read_panel", lambda *a, **k: pytest.fail("panel read before the check"))
    files = {"mydata.csv": produc.to_csv(index=False)} if which == "--data" else {}
    if which == "--w":
        files["w.gal"] = _gal(us48_queen)
    if which == "--layer":
        us48.to_file(tmp_path / "lay.geojson", driver="GeoJSON")
        files["lay.geojson"] = (tmp_path / "lay.geojson").read_text(encoding="utf-8")
    out = _spillmap_folder(tmp_path / "v2", files)
    before = _contents(out)
    argv = ["screen", "--data", "v2/mydata.csv" if which == "--data" else "produc", *SCREEN,
            "--layer", "v2/lay.geojson" if which == "--layer" else "us48", "--out", "v2", "--force", "--quiet"]
    if which == "--w":
        argv += ["--w", "v2/w.gal"]
    assert main(argv) == 2
    _one_line_error(capsys, "refusing to replace folder v2", f"the {which} file", "v2/")
    assert _contents(out) == before




def _panel_with(produc, tmp_path: Path, col: str, row: int, value: str) -> Path:
    """produc as a CSV whose cell (``row``, ``col``) is ``value``; a blank line after the header,
    so that the file line (row + 3) differs from the row."""
    df = produc.astype({col: object})
    df.loc[row, col] = value
    text = df.to_csv(index=False)
    head, _, rest = text.partition("\n")
    path = tmp_path / "p.csv"
    path.write_text(head + "\n\n" + rest, encoding="utf-8")
    return path


def test_screen_listed_text_column_names_file_line_column_value(in_process, tmp_path, capsys, produc):
    path = _panel_with(produc, tmp_path, "pc", 29, "abc")
    assert main(["screen", "--data", str(path), *SCREEN, "--layer", "us48", "--indicators", "pc", "unemp",
                 "--out", str(tmp_path / "o"), "--quiet"]) == 2
    _one_line_error(capsys, f"{path.name}: line 32, column 'pc': 'abc' is not a number")
    assert not (tmp_path / "o").exists()


def test_screen_all_says_which_columns_it_leaves_out(in_process, tmp_path, capsys, produc):
    path = _panel_with(produc, tmp_path, "pc", 29, "abc")
    assert main(["screen", "--data", str(path), *SCREEN, "--layer", "us48", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "leaves out" in line]
    assert len(err) == 1, err
    assert "'state'" in err[0] and "'pc'" in err[0] and f"{path.name}: line 32, column 'pc' holds 'abc'" in err[0]
    # a panel of numbers and names only: a note naming the text column, none with --quiet
    assert main(["screen", "--data", "produc", *SCREEN, "--layer", "us48", "--out", str(tmp_path / "o2")]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "leaves out" in line]
    assert notes == ["spillmap screen: note: --indicators all leaves out the non-numeric column(s) 'state'."]


def test_screen_refuses_absurd_magnitudes(in_process, tmp_path, capsys, produc):
    path = _panel_with(produc, tmp_path, "unemp", 84, "1e308")  # CO, 1986
    assert main(["screen", "--data", str(path), *SCREEN, "--layer", "us48", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 2
    _one_line_error(capsys, "'unemp'", "limit 1e+100", "(CO, 1986)")
    assert not (tmp_path / "o").exists()


def test_screen_api_refuses_absurd_magnitudes(produc, us48):
    import spillmap

    panel = produc.copy()
    panel.loc[0, "pc"] = -1e200
    with pytest.raises(DataError, match=r"column 'pc' reaches 1e\+200 .*limit 1e\+100.*\(AL, 1970\)"):
        spillmap.screen(panel, id="state_abbr", time="year", weights={"W": {"kind": "contiguity"}},
                        indicators=["pc", "unemp"], statistics=["moran"], permutations=0, layer=us48,
                        layer_id="STATE_ABBR", client=object())
    assert np.isfinite(produc["pc"]).all()  # the fixture is untouched
