"""``spillmap screen``'s Dask progress bar goes to stderr, and only on a terminal (newcomer audit 31 #9).

With ``spillmap screen ... > out.txt`` the file filled with ``[###...] | 9% Completed | 0.1s`` frames
ahead of the ranking table: distributed's text bar writes to stdout.  It is now drawn on stderr, where
every command writes its progress, and only when stderr is a terminal (its carriage-return frames would
fill a log); ``--quiet`` still hides it.  stdout holds the same summary and ranking table as before.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from spillmap.cli import main

pytest.importorskip("distributed")

ARGS = ["screen", "--data", "produc", "--id", "state_abbr", "--time", "year", "--layer", "us48", "--layer-id",
        "STATE_ABBR", "--indicators", "unemp", "pcap", "--w", "queen", "--permutations", "19"]


def _run(tmp_path, name: str, capsys) -> tuple[str, str]:
    assert main([*ARGS, "--out", str(tmp_path / name)]) == 0
    return capsys.readouterr()


def test_the_bar_is_drawn_on_a_terminal_stderr_and_never_on_stdout(in_process, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    out_tty, err_tty = _run(tmp_path, "tty", capsys)
    assert "% Completed" in err_tty
    assert "Completed" not in out_tty and "\r" not in out_tty
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    out_log, err_log = _run(tmp_path, "log", capsys)
    assert "Completed" not in out_log + err_log
    # stdout is the summary and the ranking table, then the line naming the files (with the run's time)
    assert out_tty.startswith("spillmap screen: 2 indicator(s) x 1 W x 17 period(s)") and " rank " in out_tty
    assert out_tty.splitlines()[:-1] == out_log.splitlines()[:-1]
    assert out_tty.splitlines()[-1].startswith(f"wrote {tmp_path / 'tty'}/screen.parquet")


def test_quiet_hides_the_bar_on_a_terminal_too(in_process, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main([*ARGS, "--quiet", "--out", str(tmp_path / "q")]) == 0
    out, err = capsys.readouterr()
    assert "Completed" not in out + err and out == ""


# slow (6 s, most of it starting and closing the local cluster; the CLI has no in-process mode): the mechanism,
# the bar on stderr only on a terminal and never on stdout, is checked in the default suite by
# test_the_bar_is_drawn_on_a_terminal_stderr_and_never_on_stdout (same progress bar, threaded client)
@pytest.mark.slow
def test_redirected_stdout_holds_no_progress_frames(tmp_path):
    """As a user runs it: ``spillmap screen ... > out.txt`` with stderr on a terminal (a pseudo-terminal
    here), on a local cluster of one worker process."""
    import pty

    master, slave = pty.openpty()
    seen: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        done = subprocess.run([sys.executable, "-m", "spillmap", *ARGS, "--workers", "1", "--out", str(tmp_path / "o")],
                              stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, timeout=300)
    finally:
        os.close(slave)
        reader.join(10)
        os.close(master)
    terminal = b"".join(seen).decode(errors="replace")
    stdout = done.stdout.decode()
    assert done.returncode == 0, terminal
    assert "% Completed" in terminal
    assert "Completed" not in stdout and "\r" not in stdout
    assert stdout.startswith("spillmap screen: 2 indicator(s)") and " rank " in stdout
