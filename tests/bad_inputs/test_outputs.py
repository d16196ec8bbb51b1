"""Catalogue of bad outputs: every writer refuses, before any work, to lose or half-write a file.

Each CLI case asserts: exit status 2; one line on stderr naming the culprit (the target
path, the input it would destroy, the folder at fault); no Python traceback; and the
folder holding inputs and outputs is byte-for-byte unchanged (hashed before and after).
Python writers raise :class:`~spillmap.errors.OutputError` with the same guarantees.
Interruptions, concurrent writers and read-only mounts are in ``test_interrupt.py``.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from spillmap import _fileio
from spillmap.cli import main
from spillmap.errors import OutputError


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 (or 'dir'/'link') of everything under ``folder``, hidden files included."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A panel CSV, its queen W (MTX), the US-48 layer and a report config, in one folder."""
    from spillmap.spatial.builders import contiguity
    from spillmap.spatial.io import write_weights

    from spillmap import datasets

    d = tmp_path_factory.mktemp("outputs")
    layer = datasets.us48()
    write_weights(contiguity(layer, "STATE_ABBR", kind="queen"), d / "w.mtx")
    p = datasets.produc()
    p = p[p.year >= 1984].copy()
    p["lgsp"], p["lpc"] = np.log(p.gsp), np.log(p.pc)
    p.to_csv(d / "panel.csv", index=False)
    shutil.copy(datasets.data_path("us48_states.geojson"), d / "us48.geojson")
    shutil.copy(datasets.data_path("demo_report.toml"), d / "report.toml")  # any valid config: never run
    return d


@pytest.fixture()
def work(inputs, tmp_path):
    """A fresh copy of the inputs (each case may plant files next to them)."""
    for f in inputs.iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def _fit(d: Path, cmd: str = "fit") -> list[str]:
    a = [cmd, "--data", str(d / "panel.csv"), "--id", "state_abbr", "--time", "year", "--w", str(d / "w.mtx")]
    if cmd == "moran":
        return a + ["--var", "lgsp", "--permutations", "0"]
    return a + ["--y", "lgsp", "--x", "lpc"] + (["--draws", "0"] if cmd == "fit" else ["--no-hausman"])


def _weights(d: Path, out: Path | str, *extra: str) -> list[str]:
    return ["weights", str(d / "us48.geojson"), "--id", "STATE_ABBR", "--kind", "contiguity", "--out", str(out), *extra]


def refused(argv: list[str], folder: Path, capsys, *names: str) -> str:
    """Run ``argv``; assert exit 2, one error line naming each of ``names``, nothing changed."""
    before = snapshot(folder)
    capsys.readouterr()
    assert main(argv) == 2
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"spillmap {argv[0]}: error: "), cap.err
    assert "Traceback" not in cap.err and cap.out == ""  # refused before any work printed a result
    for name in names:
        assert str(name) in lines[0], (name, lines[0])
    assert snapshot(folder) == before
    return lines[0]


# ------------------------------------------------------------------ existing target, no --force
@pytest.mark.parametrize("cmd", ["moran", "fit", "diagnose"])
def test_existing_json_needs_force(work, capsys, cmd):
    target = work / "out.json"
    target.write_text("mine")
    msg = refused([*_fit(work, cmd), "--json", str(target)], work, capsys, target, "--force")
    assert "exists already" in msg


def test_existing_weights_needs_force(work, capsys):
    target = work / "w2.gal"
    target.write_text("mine")
    refused(_weights(work, target), work, capsys, target, "--force")


@pytest.mark.parametrize("cmd", ["report", "demo"])
def test_existing_folder_needs_force(work, capsys, cmd):
    out = work / "rep"
    out.mkdir()
    (out / "mine.txt").write_text("x")
    argv = ["report", str(work / "report.toml")] if cmd == "report" else ["demo"]
    refused([*argv, "--out", str(out)], work, capsys, out, "--force")


# ------------------------------------------------------------------ an input as the target, even with --force
@pytest.mark.parametrize(
    ("cmd", "victim", "label"),
    [("fit", "panel.csv", "--data"), ("fit", "w.mtx", "--w"), ("moran", "panel.csv", "--data"),
     ("moran", "w.mtx", "--w"), ("diagnose", "panel.csv", "--data"), ("diagnose", "w.mtx", "--w")],
)
def test_json_naming_an_input_is_refused_with_force(work, capsys, cmd, victim, label):
    refused([*_fit(work, cmd), "--json", str(work / victim), "--force"], work, capsys, work / victim, label, "refusing")


def test_input_named_by_another_spelling_or_a_link(work, capsys):
    (work / "sub").mkdir()
    other = work / "sub" / ".." / "panel.csv"
    refused([*_fit(work), "--json", str(other), "--force"], work, capsys, "--data", "refusing")
    (work / "link.json").symlink_to(work / "panel.csv")
    refused([*_fit(work), "--json", str(work / "link.json"), "--force"], work, capsys, "--data", "refusing")


def test_weights_out_naming_its_data_panel_is_refused(work, capsys):
    argv = ["weights", str(work / "us48.geojson"), "--id", "STATE_ABBR", "--kind", "economic_distance",
            "--data", str(work / "panel.csv"), "--time", "year", "--var", "lgsp",
            "--out", str(work / "panel.csv"), "--force"]
    refused(argv, work, capsys, work / "panel.csv", "--data", "refusing")


# ------------------------------------------------------------------ wrong kind of path
@pytest.mark.parametrize("cmd", ["moran", "fit", "diagnose"])
def test_json_naming_a_folder(work, capsys, cmd):
    (work / "d.json").mkdir()
    refused([*_fit(work, cmd), "--json", str(work / "d.json"), "--force"], work, capsys, work / "d.json", "folder")


def test_weights_out_naming_a_folder(work, capsys):
    (work / "w.gal").mkdir()
    refused(_weights(work, work / "w.gal", "--force"), work, capsys, work / "w.gal", "folder")


@pytest.mark.parametrize("cmd", ["fit", "weights", "report", "demo"])
def test_missing_parent_folder(work, capsys, cmd):
    target = work / "nowhere" / ("x.json" if cmd == "fit" else "w.gal" if cmd == "weights" else "rep")
    argv = {"fit": [*_fit(work), "--json", str(target)], "weights": _weights(work, target),
            "report": ["report", str(work / "report.toml"), "--out", str(target)],
            "demo": ["demo", "--out", str(target)]}[cmd]
    refused(argv, work, capsys, work / "nowhere", "does not exist")


@pytest.mark.parametrize("cmd", ["diagnose", "weights", "report"])
def test_parent_is_a_file(work, capsys, cmd):
    target = work / "panel.csv" / ("x.json" if cmd == "diagnose" else "w.gal" if cmd == "weights" else "rep")
    argv = {"diagnose": [*_fit(work, "diagnose"), "--json", str(target)], "weights": _weights(work, target),
            "report": ["report", str(work / "report.toml"), "--out", str(target), "--force"]}[cmd]
    refused(argv, work, capsys, work / "panel.csv", "not a folder")


@pytest.mark.parametrize("cmd", ["report", "demo"])
def test_out_folder_is_a_file(work, capsys, cmd):
    argv = ["report", str(work / "report.toml")] if cmd == "report" else ["demo"]
    refused([*argv, "--out", str(work / "panel.csv"), "--force"], work, capsys, work / "panel.csv", "not a folder")


def test_force_does_not_replace_a_folder_spillmap_did_not_write(work, capsys):
    (work / "thesis").mkdir()
    (work / "thesis" / "chapter1.tex").write_text("years of work")
    msg = refused(["report", str(work / "report.toml"), "--out", str(work / "thesis"), "--force"],
                  work, capsys, work / "thesis", _fileio.MARKER)
    assert "refusing" in msg


def test_force_does_not_replace_the_current_folder(work, capsys, monkeypatch):
    out = work / "rep"
    with _fileio.atomic_directory(out) as d:
        (d / "index.html").write_text("v1")
    monkeypatch.chdir(out)  # the user runs spillmap from inside an earlier report
    refused(["report", str(work / "report.toml"), "--out", ".", "--force"], work, capsys, "current folder")


def test_the_same_target_twice_is_refused(tmp_path):
    with pytest.raises(OutputError, match=r"a\.json is named twice"):
        _fileio.preflight([tmp_path / "a.json", tmp_path / "x" / ".." / "a.json"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into mode-0555 folders; the read-only mount "
                    "case of test_interrupt.py covers root")
@pytest.mark.parametrize("cmd", ["fit", "weights", "report"])
def test_non_writable_parent(work, capsys, cmd):
    locked = work / "locked"
    locked.mkdir()
    target = locked / ("x.json" if cmd == "fit" else "w.gal" if cmd == "weights" else "rep")
    argv = {"fit": [*_fit(work), "--json", str(target)], "weights": _weights(work, target),
            "report": ["report", str(work / "report.toml"), "--out", str(target)]}[cmd]
    locked.chmod(0o555)
    try:
        refused(argv, work, capsys, locked, "not writable")
    finally:
        locked.chmod(0o755)


# ------------------------------------------------------------------ a run that may write
def test_force_replaces_json_and_keeps_inputs(work, capsys):
    target = work / "out.json"
    target.write_text("old")
    assert main([*_fit(work, "moran"), "--json", str(target), "--force"]) == 0
    assert target.read_text().startswith("{")
    assert sorted(p.name for p in work.iterdir() if p.name.startswith(".")) == []  # no lock or temp left


def test_stale_lock_and_temp_of_a_killed_run_are_cleaned_with_a_note(work, capsys):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    pid = int(dead.stdout)  # a process that has exited
    target = work / "out.json"
    (work / ".out.json.spillmap-lock").write_text(f"pid={pid} host=h started=2000-01-01T00:00:00\n")
    (work / f".out.json.spillmap-tmp-{pid}-0123abcd").write_text('{"half": ')
    live = work / f".out.json.spillmap-tmp-{os.getppid()}-0123abcd"  # its maker (our parent) still runs
    live.write_text("busy")
    os.utime(live, (2e9, 2e9))  # made after that process started: not stale
    capsys.readouterr()
    assert main([*_fit(work, "moran"), "--json", str(target)]) == 0
    err = capsys.readouterr().err
    assert f"took over the lock of an interrupted run (process {pid}" in err
    assert f"removed stale temporary file .out.json.spillmap-tmp-{pid}-0123abcd" in err
    left = sorted(p.name for p in work.iterdir() if p.name.startswith("."))
    assert left == [live.name] and target.read_text().startswith("{")


# ------------------------------------------------------------------ Python writers
def test_python_writers_do_not_overwrite_by_default(tmp_path, us48_queen):
    import folium
    from spillmap.maps import save_map
    from spillmap.spatial.io import write_weights

    for path, write in [
        (tmp_path / "w.gwt", lambda p, **k: write_weights(us48_queen, p, **k)),
        (tmp_path / "m.html", lambda p, **k: save_map(folium.Map(tiles=None), p, **k)),
        (tmp_path / "t.txt", lambda p, **k: _fileio.atomic_write_text(p, "new", **k)),
    ]:
        path.write_text("mine")
        with pytest.raises(OutputError, match=rf"{path.name} exists already.*overwrite=True"):
            write(path)
        assert path.read_text() == "mine"
        write(path, overwrite=True)
        assert path.read_text() != "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.html", "t.txt", "w.gwt"]


def test_python_writer_into_a_folder_or_missing_folder(tmp_path, us48_queen):
    from spillmap.spatial.io import write_weights

    (tmp_path / "w.gal").mkdir()
    with pytest.raises(OutputError, match=r"w\.gal is a folder"):
        write_weights(us48_queen.binary(), tmp_path / "w.gal", overwrite=True)
    with pytest.raises(OutputError, match=r"folder .*nope does not exist"):
        write_weights(us48_queen, tmp_path / "nope" / "w.gwt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.gal"]


@pytest.mark.parametrize(("mask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)])
def test_permissions_follow_the_umask(tmp_path, us48_queen, mask, file_mode, dir_mode):
    from spillmap.spatial.io import write_weights

    old = os.umask(mask)
    try:
        write_weights(us48_queen, tmp_path / "w.gwt")
        _fileio.atomic_write_text(tmp_path / "r.json", "{}")
        with _fileio.atomic_directory(tmp_path / "rep") as d:
            (d / "index.html").write_text("x")
    finally:
        os.umask(old)
    for f in ("w.gwt", "r.json", "rep/index.html", f"rep/{_fileio.MARKER}"):
        assert stat.S_IMODE((tmp_path / f).stat().st_mode) == file_mode, f
    assert stat.S_IMODE((tmp_path / "rep").stat().st_mode) == dir_mode


def test_atomic_directory_refuses_a_folder_holding_an_input(tmp_path):
    out = tmp_path / "rep"
    with _fileio.atomic_directory(out) as d:
        (d / "index.html").write_text("v1")
    (out / "panel.csv").write_text("id,y\n")  # the user keeps data in the output folder
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match=r"refusing to replace folder .*rep: it holds the panel"), \
            _fileio.atomic_directory(out, force=True, inputs={"the panel": out / "panel.csv"}):
        pytest.fail("the block must not run")
    assert snapshot(tmp_path) == before


def test_failure_inside_a_forced_replacement_keeps_the_old_folder(tmp_path):
    out = tmp_path / "rep"
    with _fileio.atomic_directory(out) as d:
        (d / "index.html").write_text("v1")
    before = snapshot(tmp_path)
    with pytest.raises(RuntimeError), _fileio.atomic_directory(out, force=True) as d:
        (d / "index.html").write_text("half")
        raise RuntimeError("crash")
    assert snapshot(tmp_path) == before


def test_force_says_what_it_replaced_and_what_it_could_not_delete(tmp_path, capsys, monkeypatch):
    """Bad-input audit 29 A3/A4: --force replaced a previous output without a word (a 150-file report by
    a scenario's four folders), and when the old folder could not be deleted it stayed hidden next to
    the new one while the run said nothing.  Both are now one note on stderr naming the folder."""
    out = tmp_path / "rep"
    with _fileio.atomic_directory(out) as d:
        (d / "a.csv").write_text("1\n")
        (d / "tables").mkdir()
        (d / "tables" / "b.csv").write_text("2\n")
    assert capsys.readouterr().err == ""  # a new folder: nothing replaced
    with _fileio.atomic_directory(out, force=True) as d:
        (d / "c.csv").write_text("3\n")
    assert f"spillmap: note: replaced the previous spillmap output in {out} (2 files)." in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [".spillmap-output", "c.csv"]
    monkeypatch.setattr(shutil, "rmtree", lambda *a, **k: None)  # an undeletable old folder
    with _fileio.atomic_directory(out, force=True) as d:
        (d / "e.csv").write_text("5\n")
    err = capsys.readouterr().err
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".rep.spillmap-")]
    assert len(left) == 1 and (left[0] / "c.csv").exists()  # the old output, kept aside
    assert f"could not delete all of it: what is left is in {left[0]}; delete it yourself." in err, err
    assert (out / "e.csv").exists()
