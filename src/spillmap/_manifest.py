"""The marker of spillmap's output folders: which files spillmap wrote there, with their SHA-256.

:mod:`spillmap._fileio` writes :data:`MARKER` into every output folder and replaces such a folder
(``--force``) only while it holds nothing but the files the marker lists, each as spillmap wrote it:
a user's notes kept next to a report, or a map edited in place, make it refuse (new-user audit 31:
the marker listed names only, and an edit in place was lost).  Markers of names only (written
before stop 31) are still read: their folders are checked for extra files, not for edits.

Written by hand on :mod:`hashlib` and :mod:`os` (no library keeps such a manifest).
"""
from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path

__all__ = ["MARKER", "MARKER_TEXT", "tree", "write_manifest", "manifest", "changed_files", "foreign_entries"]

#: file written into every output folder; ``force`` replaces only folders holding it, and only
#: when they hold nothing but the files it lists
MARKER = ".spillmap-output"
MARKER_TEXT = "This folder was written by spillmap; `--force` may replace it as a whole.\n"
#: the list of files of markers written before stop 31 (names only: edits in place go unnoticed)
_MANIFEST_HEAD = "# the files spillmap wrote; --force refuses to replace the folder if it holds any other:\n"
#: the list of files with their SHA-256: ``<64 hex digits>  <relative path>`` per line
_DIGEST_HEAD = ("# the files spillmap wrote, each with its SHA-256; --force refuses to replace the folder if it "
                "holds any other file or one of these was changed since:\n")


def tree(folder: Path) -> tuple[set[str], set[str]]:
    """The files and the sub-folders under ``folder``, as ``/``-separated relative paths."""
    files, dirs = set(), set()
    for root, subdirs, names in os.walk(folder):
        rel = Path(root).relative_to(folder)
        dirs.update((rel / d).as_posix() for d in subdirs)
        files.update((rel / n).as_posix() for n in names)
    return files, dirs


def _sha256(path: Path) -> str:
    """SHA-256 of a file's content (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path) -> None:
    """Rewrite ``folder``'s :data:`MARKER` with the files written into it and their SHA-256."""
    files, _ = tree(folder)
    listed = sorted(f for f in files if f != MARKER)
    (folder / MARKER).write_text(
        MARKER_TEXT + _DIGEST_HEAD + "".join(f"{_sha256(folder / f)}  {f}\n" for f in listed), encoding="utf-8")


def manifest(folder: Path) -> tuple[set[str], dict[str, str]] | None:
    """The files ``folder``'s :data:`MARKER` lists and their recorded SHA-256 (empty for a marker of
    names only, written before stop 31); None for a marker without a list."""
    text = (folder / MARKER).read_text(encoding="utf-8", errors="replace")
    if _DIGEST_HEAD in text:
        rows = [line.split("  ", 1) for line in text.split(_DIGEST_HEAD, 1)[1].splitlines() if line]
        digests = {row[1]: row[0] for row in rows if len(row) == 2}
        return set(digests), digests
    if _MANIFEST_HEAD in text:
        return {line for line in text.split(_MANIFEST_HEAD, 1)[1].splitlines() if line}, {}
    return None


def changed_files(folder: Path, digests: Mapping[str, str]) -> list[str]:
    """The listed files whose content is no longer what spillmap wrote (an edit in place, or
    replaced by a link or a folder); a listed file since deleted holds nothing to lose."""
    changed = []
    for name, digest in sorted(digests.items()):
        target = folder / name
        if not os.path.lexists(target):
            continue
        if not stat.S_ISREG(os.lstat(target).st_mode) or _sha256(target) != digest:
            changed.append(name)
    return changed


def foreign_entries(folder: Path, listed: set[str] | None) -> list[str]:
    """What ``folder`` holds beyond the files its :data:`MARKER` lists (``listed``, from :func:`manifest`)
    and their folders (sorted; a folder counted once, not its content); none for a marker without a list
    (``None``: written before spillmap kept one; such a folder is replaced as a whole, as then)."""
    if listed is None:
        return []
    known = {MARKER, *listed} | {p.as_posix() for f in listed for p in Path(f).parents if p != Path(".")}
    files, dirs = tree(folder)
    extra = sorted((files | dirs) - known)
    return [e for e in extra if not any(e.startswith(d + "/") for d in extra if d in dirs and d != e)]
