"""``--force`` replaces spillmap's own output folder, never files a user put into it.

An output folder's marker (``.spillmap-output``) lists the files spillmap wrote, each with its SHA-256;
replacing the folder (``--force``, ``force=True``) is refused, before any work, when it holds anything
else (a planner's notes or edited maps kept next to a report: planner audit 2026-12-01 found them
deleted) or when one of those files was changed in place (new-user audit 31: an edited map was lost).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from spillmap._fileio import MARKER, atomic_directory
from spillmap.errors import OutputError


def _write(path: Path, files: dict[str, str]) -> Path:
    with atomic_directory(path, force=True) as tmp:
        for name, text in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text, encoding="utf-8")
    return path


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_marker_lists_the_files_written_with_their_sha256(tmp_path):
    out = _write(tmp_path / "rep", {"index.html": "a", "maps/lisa.html": "b", "tables/t.csv": "c"})
    lines = (out / MARKER).read_text(encoding="utf-8").splitlines()
    # the digests from hashlib directly, as sha256sum prints them ("<hex>  <name>")
    assert lines[-3:] == [f"{hashlib.sha256(t.encode()).hexdigest()}  {n}"
                          for n, t in (("index.html", "a"), ("maps/lisa.html", "b"), ("tables/t.csv", "c"))]


def test_force_refuses_a_folder_holding_a_users_files_before_any_work(tmp_path):
    out = _write(tmp_path / "rep", {"index.html": "a", "maps/lisa.html": "b"})
    (out / "my_council_notes.docx").write_text("notes")
    (out / "maps" / "lisa_annotated.html").write_text("edited")
    (out / "maps_backup_edited").mkdir()
    (out / "maps_backup_edited" / "lisa.html").write_text("b")
    before = _contents(out)
    with pytest.raises(OutputError) as info:
        with atomic_directory(out, force=True):
            pytest.fail("work started")
    msg = str(info.value)
    assert "\n" not in msg and "holds 3 file(s) or folder(s) spillmap did not write" in msg
    assert "'maps/lisa_annotated.html', 'maps_backup_edited', 'my_council_notes.docx'" in msg, msg
    assert _contents(out) == before  # nothing touched


def test_force_replaces_a_folder_holding_only_its_own_unchanged_files(tmp_path):
    out = _write(tmp_path / "rep", {"index.html": "a", "maps/lisa.html": "b", "maps/gone.html": "c"})
    (out / "maps" / "gone.html").unlink()  # a file of spillmap's deleted: nothing to lose
    _write(out, {"index.html": "new"})
    assert set(_contents(out)) == {"index.html", MARKER} and (out / "index.html").read_text() == "new"


def test_force_refuses_a_folder_whose_files_were_edited_in_place(tmp_path):
    out = _write(tmp_path / "rep", {"index.html": "a", "maps/lisa.html": "b", "maps/moran.html": "c"})
    (out / "maps" / "lisa.html").write_text("b <!-- my annotations -->")  # edited in place
    (out / "maps" / "moran.html").unlink()
    (out / "maps" / "moran.html").symlink_to(out / "index.html")  # replaced by a link: not spillmap's file
    before = _contents(out)
    with pytest.raises(OutputError) as info:
        with atomic_directory(out, force=True):
            pytest.fail("work started")
    msg = str(info.value)
    assert "\n" not in msg and "2 file(s) spillmap wrote there were changed since: 'maps/lisa.html', " \
        "'maps/moran.html'" in msg, msg
    assert _contents(out) == before  # nothing touched


def test_a_marker_of_names_only_still_guards_against_extra_files(tmp_path):
    # markers written before the digests: extra files are still refused; edits cannot be seen
    out = tmp_path / "old"
    out.mkdir()
    (out / MARKER).write_text("This folder was written by spillmap; `--force` may replace it as a whole.\n"
                              "# the files spillmap wrote; --force refuses to replace the folder if it holds "
                              "any other:\nindex.html\n")
    (out / "index.html").write_text("edited")
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="'notes.txt'"):
        _write(out, {"index.html": "new"})
    (out / "notes.txt").unlink()
    _write(out, {"index.html": "new"})
    assert (out / "index.html").read_text() == "new"


def test_a_marker_without_a_list_is_replaced_as_a_whole_as_before(tmp_path):
    out = tmp_path / "old"
    out.mkdir()
    (out / MARKER).write_text("This folder was written by spillmap; `--force` may replace it as a whole.\n")
    (out / "index.html").write_text("old")
    _write(out, {"index.html": "new"})
    assert (out / "index.html").read_text() == "new"


def test_report_force_keeps_a_users_notes(tmp_path, capsys):
    """On the command line: one line, exit 2, the notes kept."""
    from spillmap.cli import main

    out = _write(tmp_path / "rep", {"index.html": "a", "results.json": "{}"})
    (out / "notes.txt").write_text("mine")
    assert main(["demo", "--out", str(out), "--force", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "spillmap did not write: 'notes.txt'" in err, err
    assert (out / "notes.txt").read_text() == "mine"
