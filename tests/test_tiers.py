"""The suite's tiers (tests/conftest.py): the default suite leaves out the ``e2e`` and ``slow`` tests,
every ``browser`` test is ``e2e``, and a default-suite test that builds the demo report or starts
Chromium fails, naming the marker it needs."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

#: a module of three tests: unmarked, browser-marked, and one that builds the demo without a marker
PROBE = '''
import sys
from pathlib import Path

import pytest

sys.path.insert(0, {tests!r})


def test_plain():
    pass


@pytest.mark.browser
def test_in_a_browser():
    pass


def test_builds_the_demo(tmp_path_factory):
    from _demo_shared import build_demo_once

    build_demo_once(tmp_path_factory)
'''


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """pytest on the probe module with the project's options (its pyproject.toml as the ini file) and the
    suite's conftest.py beside it."""
    shutil.copy(HERE / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_probe.py").write_text(PROBE.format(tests=str(HERE)), encoding="utf-8")
    cmd = [sys.executable, "-m", "pytest", "-c", str(HERE.parent / "pyproject.toml"), "--rootdir", str(tmp_path),
           "-p", "no:cacheprovider", "-n", "0", "-q", *args, str(tmp_path / "test_probe.py")]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path)


def test_default_suite_runs_the_plain_test_and_refuses_an_unmarked_demo(tmp_path):
    run = _pytest(tmp_path)
    out = run.stdout
    assert "1 failed, 1 passed, 1 deselected" in out, out  # the browser test is e2e, so left out
    assert "this test builds the demo report" in out and "mark it e2e" in out, out


def test_e2e_tier_selects_the_browser_test(tmp_path):
    run = _pytest(tmp_path, "-m", "e2e and not slow", "--collect-only")
    assert "test_in_a_browser" in run.stdout and "test_plain" not in run.stdout, run.stdout
    assert "1/3 tests collected (2 deselected)" in run.stdout, run.stdout
