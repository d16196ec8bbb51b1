"""Helpers of the bad-input catalogue (geo, spatial, estimation, CLI inputs).

Every catalogued case checks the same four things (issue 8): the error type (a
:class:`~spillmap.errors.SpillmapError` subclass in Python, exit status 2 on the
command line), a one-line message naming the culprit (file, line, column, id,
(id, time) or key), no Python traceback, and no file created or changed in the
folder holding the inputs and the would-be outputs (hashed before and after).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from spillmap.cli import main


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 (or 'dir') of everything under ``folder``, hidden files included."""
    return {
        p.relative_to(folder).as_posix(): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
    }


def write(folder: Path, name: str, content: str | bytes) -> Path:
    """Write a text (UTF-8) or bytes file and return its path."""
    p = folder / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content, encoding="utf-8")
    return p


def _check_message(msg: str, needles: Sequence[str]) -> None:
    assert "\n" not in msg.strip(), f"message is not one line: {msg!r}"
    assert "Traceback" not in msg
    for needle in needles:
        if needle.startswith("re:"):
            assert re.search(needle[3:], msg), f"{needle[3:]!r} not found in {msg!r}"
        else:
            assert needle in msg, f"{needle!r} not in {msg!r}"


def expect_error(exc_type: type[Exception], fn: Callable[[], object], folder: Path, *needles: str) -> str:
    """``fn()`` raises ``exc_type`` (a SpillmapError) with a one-line message holding every needle.

    A needle starting with ``re:`` is a regular expression.  ``folder`` is unchanged.
    """
    from spillmap.errors import SpillmapError

    assert issubclass(exc_type, SpillmapError)
    before = snapshot(folder)
    with pytest.raises(exc_type) as info:
        fn()
    msg = str(info.value)
    _check_message(msg, needles)
    assert snapshot(folder) == before, "the folder changed"
    return msg


def run_cli(argv: Sequence[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    """``spillmap argv`` in this process: (exit status, stdout, stderr); argparse's exits included."""
    capsys.readouterr()
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse: usage errors exit 2
        rc = int(exc.code or 0)
    out, err = capsys.readouterr()
    return rc, out, err


def expect_cli_error(argv: Sequence[str], folder: Path, capsys: pytest.CaptureFixture, *needles: str) -> str:
    """``spillmap argv`` exits 2 with one stderr line ``spillmap CMD: error: ...`` holding every needle.

    Also: no traceback, and ``folder`` (inputs and the would-be outputs) unchanged.
    """
    before = snapshot(folder)
    rc, _, err = run_cli(argv, capsys)
    assert rc == 2, f"exit status {rc}; stderr: {err}"
    lines = [line for line in err.splitlines() if line.strip()]
    command = str(argv[0])
    if lines and lines[0].startswith("usage:"):  # argparse: usage line(s), then one error line
        lines = [line for line in lines if line.startswith("spillmap")][-1:]
    assert len(lines) == 1, f"stderr is not one line: {err!r}"
    assert lines[0].startswith(f"spillmap {command}: error:") or lines[0].startswith("spillmap"), lines[0]
    _check_message(lines[0], needles)
    assert snapshot(folder) == before, "the folder changed"
    return lines[0]
