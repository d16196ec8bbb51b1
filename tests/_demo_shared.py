"""The demo report built once per test session (tests/test_demo.py and tests/test_browser.py),
and the check of a run's progress lines (also tests/test_report.py)."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path


def build_demo_once(tmp_path_factory) -> Path:
    """``spillmap demo`` into the session's shared folder (its progress lines in ``progress.txt`` beside it)."""
    from spillmap.cli import main

    out = tmp_path_factory.getbasetemp() / "spillmap-demo-shared" / "report"
    if not (out / "index.html").is_file():
        out.parent.mkdir(exist_ok=True)  # the output folder's parent must exist
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            assert main(["demo", "--out", str(out)]) == 0
        (out.parent / "progress.txt").write_text(err.getvalue(), encoding="utf-8")
    return out


def assert_steps_counted(err: str) -> None:
    """The progress lines ``[k/total ...]`` number the steps 1, 2, ... under one total, reached at the end."""
    counts = [(int(a), int(b)) for a, b in re.findall(r"^\[ *(\d+)/(\d+) ", err, flags=re.M)]
    assert counts and len({n for _, n in counts}) == 1, err
    assert [k for k, _ in counts] == list(range(1, len(counts) + 1)) and counts[-1][0] == counts[-1][1], err
