"""The demo report built once per test session (tests/test_demo.py and tests/test_browser.py), its
results read and its tables built once per worker, and the check of a run's progress lines (also
tests/test_report.py)."""
from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def refuse_in_default_tier(what: str) -> None:
    """Fail the calling test when the session is the default suite (tests/conftest.py sets
    ``SPILLMAP_TESTS_DEFAULT_TIER`` when ``-m`` leaves ``e2e`` out): ``what`` says what the test does
    and which marker it needs."""
    if os.environ.get("SPILLMAP_TESTS_DEFAULT_TIER"):
        raise AssertionError(f"this test {what}, the tier that `pytest -m \"e2e and not slow\"` and .ci/run run")


def build_demo_once(tmp_path_factory) -> Path:
    """``spillmap demo`` into the session's shared folder (its progress lines in ``progress.txt`` beside it).

    Under pytest-xdist the workers share one demo: the folder sits in the session's common base
    (the parent of each worker's base temp) and the first worker to need it builds it while the
    others wait on a lock (two builds at once took ~20 s of CPU each on the 2-core CI machine)."""
    from spillmap.cli import main

    refuse_in_default_tier("builds the demo report (~30-50 s): mark it e2e (pytest.mark.e2e)")
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER") and fcntl is not None:
        base = base.parent  # .../pytest-N/popen-gwK -> .../pytest-N, common to the session's workers
    root = base / "spillmap-demo-shared"
    out = root / "report"
    root.mkdir(exist_ok=True)  # the output folder's parent must exist
    with _locked(root / ".build-lock"):
        if not (out / "index.html").is_file():
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                assert main(["demo", "--out", str(out)]) == 0
            (root / "progress.txt").write_text(err.getvalue(), encoding="utf-8")
    return out


_RESULTS: dict = {}


def demo_results(tmp_path_factory):
    """The demo's ``StudyResults`` as read from its ``results.json``, read once per worker process and
    shared by the modules that only look at them (reading them took 0.45 s a module).  A frozen dataclass
    equal to ``run()`` of the demo spec (its summary, repr and JSON too); tests that change a part make a
    copy (``dataclasses.replace``)."""
    from spillmap.study import StudyResults

    path = build_demo_once(tmp_path_factory) / "results.json"
    if path not in _RESULTS:
        _RESULTS[path] = StudyResults.read(path)
    return _RESULTS[path]


def demo_tables(tmp_path_factory) -> list:
    """The demo report's tables, ``build_tables`` of :func:`demo_results` (``ReportTable`` items of frozen
    ``Table``s, in page order), built once per worker process: tests/test_tables_audit27.py,
    test_report_formats.py and test_notice31.py each built them (1-1.5 s a module)."""
    from spillmap.maps._report_tables import build_tables

    key = ("tables", build_demo_once(tmp_path_factory))
    if key not in _RESULTS:
        _RESULTS[key] = tuple(build_tables(demo_results(tmp_path_factory)))
    return list(_RESULTS[key])


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive ``flock`` on ``path`` while the block runs (none without fcntl: each worker then
    builds its own demo)."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def assert_steps_counted(err: str) -> None:
    """The progress lines ``[k/total ...]`` number the steps 1, 2, ... under one total, reached at the end."""
    counts = [(int(a), int(b)) for a, b in re.findall(r"^\[ *(\d+)/(\d+) ", err, flags=re.M)]
    assert counts and len({n for _, n in counts}) == 1, err
    assert [k for k, _ in counts] == list(range(1, len(counts) + 1)) and counts[-1][0] == counts[-1][1], err
