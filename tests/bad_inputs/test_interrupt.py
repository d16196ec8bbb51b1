"""Interrupted, killed and concurrent writers; read-only mounts; byte-identical reruns.

These run ``spillmap`` in a child process (``python -m spillmap``) and signal it while
it holds the output lock, i.e. after its checks and in the middle of its work.  No
timing assertion: the tests wait for the lock file, never for a number of seconds.

Read-only folders as root: root ignores mode bits, so a ``chmod 0555`` folder does not
stop it.  A read-only *bind mount* does (EROFS applies to root too); it is made in a
private mount namespace (``unshare --mount``), so nothing outside the child process
sees it.  Where that is not permitted (an unprivileged container) the root case is
skipped with that reason; non-root runs use ``chmod 0555`` instead.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spillmap import _fileio
from spillmap.cli import main

pytestmark = pytest.mark.e2e  # interrupted, killed and competing spillmap processes, most of them drawing a report: pytest -m "e2e and not slow"

SPILLMAP = [sys.executable, "-m", "spillmap"]


def _default_sigint() -> None:
    """Ctrl-C as in a terminal: a shell or CI runner that starts the suite in the background
    (``nohup ... &``) hands it SIGINT ignored, and a program that inherits an ignored SIGINT
    rightly keeps ignoring it (tests/test_signals.py), which is not what these tests are about."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 (or 'dir') of everything under ``folder``, hidden files included."""
    return {
        p.relative_to(folder).as_posix(): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
    }


def wait_for(path: Path, proc: subprocess.Popen, what: str = "") -> str:
    """Wait until ``path`` exists with content; return the content."""
    deadline = time.monotonic() + 120  # a generous bound on a loaded machine, not a timing assertion
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text()
        if proc.poll() is not None:
            pytest.fail(f"child exited ({proc.returncode}) before {what or path.name}: {proc.stderr.read()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"{path} never appeared")


def wait_mid_run(parent: Path, proc: subprocess.Popen) -> str:
    """Wait until the child writing ``parent/D`` holds the lock and builds its temporary
    folder (checks done, work under way); return the lock file's content."""
    owner = wait_for(parent / ".D.spillmap-lock", proc)
    tmp = next(iter(parent.glob(f".D.spillmap-tmp-{proc.pid}-*")), None)
    while tmp is None:
        wait_for(parent / ".D.spillmap-lock", proc)  # fails if the child died
        time.sleep(0.05)
        tmp = next(iter(parent.glob(f".D.spillmap-tmp-{proc.pid}-*")), None)
    wait_for(tmp / _fileio.MARKER, proc, "the temporary folder")
    return owner


def old_spillmap_folder(parent: Path, name: str = "D") -> Path:
    """A folder standing for an earlier spillmap output (holds the marker)."""
    d = parent / name
    d.mkdir()
    (d / _fileio.MARKER).write_text("earlier run\n")
    (d / "index.html").write_text("<p>the report of last week</p>")
    (d / "tables").mkdir()
    (d / "tables" / "t.csv").write_text("a,b\n1,2\n")
    return d


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".spillmap-" in p.name)


# ------------------------------------------------------------------ signals
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_mid_run_cleans_up_and_keeps_the_old_folder(tmp_path, sig, code):
    d = old_spillmap_folder(tmp_path)
    before = snapshot(tmp_path)
    proc = subprocess.Popen([*SPILLMAP, "demo", "--out", str(d), "--force", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)
    wait_for(tmp_path / ".D.spillmap-lock", proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "interrupted; no output was left half-written" in err and "Traceback" not in err
    assert leftovers(tmp_path) == [] and snapshot(tmp_path) == before


def _children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the figure process is forked on Linux only")
def test_ctrl_c_while_a_forked_process_draws_figures(tmp_path):
    """Ctrl-C (SIGINT to the whole process group) while the report's figures are drawn by
    two processes: status 130, the old folder untouched, nothing left behind, and no
    figure process still running.  The shared minimal study with its nine figures (the demo's
    fits took 20 s before its figures; here 5 s, and the figures about a third of the run)."""
    spec = tmp_path / "study.toml"
    spec.write_text(_spec_module().MINIMAL, encoding="utf-8")  # figures on (the default)
    d = old_spillmap_folder(tmp_path)
    before = snapshot(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "SPILLMAP_NO_FORK"}
    proc = subprocess.Popen([*SPILLMAP, "report", str(spec), "--out", str(d), "--force", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True, preexec_fn=_default_sigint)
    wait_mid_run(tmp_path, proc)
    tmp = next(iter(tmp_path.glob(f".D.spillmap-tmp-{proc.pid}-*")))
    deadline = time.monotonic() + 180  # a generous bound on a loaded machine, not a timing assertion
    while not list((tmp / "figures").glob("*.png")):  # the figures are being drawn
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "slow"
        time.sleep(0.05)
    workers = _children(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted; no output was left half-written" in err and "Traceback" not in err
    assert leftovers(tmp_path) == [] and snapshot(tmp_path) == before
    if os.cpu_count() and len(os.sched_getaffinity(0)) >= 2:
        assert workers  # the figures were shared with a forked process
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)



def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# slow (7 s, most of it starting and closing the cluster): the mechanism is checked in the default
# suite by tests/test_screen_cli.py::test_local_cluster_workers_leave_ctrl_c_to_the_main_process
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
def test_ctrl_c_while_the_screen_workers_start_prints_one_line(tmp_path):
    """Ctrl-C (SIGINT to the whole process group) the moment ``spillmap screen``'s first Dask worker
    process exists, i.e. while it starts: before the fix the worker printed a KeyboardInterrupt
    traceback (or "Fatal Python error: init_import_site") and the main process an atexit
    ``AssertionError: Status.init`` from distributed's close_clusters (audit 29, B1).  Now: status
    130, the one "interrupted" line, no output folder, no worker process left."""
    from spillmap import datasets

    panel = datasets.produc()
    panel.to_csv(tmp_path / "panel.csv", index=False)
    ids = sorted(panel.state_abbr.unique())  # a ring of the 48 states: any valid W will do here
    ring = [f"{a} 2\n{ids[i - 1]} {ids[(i + 1) % len(ids)]}" for i, a in enumerate(ids)]
    (tmp_path / "w.gal").write_text(f"0 {len(ids)}\n" + "\n".join(ring) + "\n")
    out = tmp_path / "scr"
    proc = subprocess.Popen(
        [*SPILLMAP, "screen", "--data", str(tmp_path / "panel.csv"), "--id", "state_abbr", "--time", "year",
         "--w", str(tmp_path / "w.gal"), "--workers", "1", "--permutations", "99", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=_default_sigint)
    deadline = time.monotonic() + 120  # a generous bound on a loaded machine, not a timing assertion
    workers: list[int] = []
    while not workers:
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "slow"
        workers = [p for p in _children(proc.pid) if "spawn_main" in _cmdline(p)]
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip() == "spillmap: interrupted; no output was left half-written.", err
    assert not out.exists()
    for pid in workers:
        deadline = time.monotonic() + 30  # the worker is ended by the cluster's closing, maybe just after
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not Path(f"/proc/{pid}").exists() or "spawn_main" not in _cmdline(pid)


_INTERRUPT_IN_STRING_EXEC = """
import spillmap.cli as cli

_build = cli.build_parser


def build_parser():
    parser = _build()
    parse = parser.parse_args

    def parse_args(argv=None):
        args = parse(argv)
        # a Ctrl-C that lands while a string exec runs (dataclasses and jinja2 build code so)
        args.func = lambda a: exec("raise KeyboardInterrupt", {})
        return args

    parser.parse_args = parse_args
    return parser


cli.build_parser = build_parser
raise SystemExit(cli.main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "contiguity", "--out", "w.gal"]))
"""


def test_ctrl_c_inside_a_string_exec_still_exits_130(tmp_path):
    """CPython marks a KeyboardInterrupt that leaves a string exec as unhandled even once it is
    caught, and `python -m` then dies by SIGINT (-2): the CLI must still exit 130 (this was the
    intermittent -2 of the test above, made deterministic)."""
    (tmp_path / "interrupt_in_exec.py").write_text(_INTERRUPT_IN_STRING_EXEC)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "interrupt_in_exec"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == "spillmap: interrupted; no output was left half-written.\n"
    assert not (tmp_path / "w.gal").exists() and leftovers(tmp_path) == []


def test_sigkill_mid_run_leaves_temp_that_the_next_run_removes(tmp_path, capsys):
    d = old_spillmap_folder(tmp_path)
    before = snapshot(d)
    proc = subprocess.Popen([*SPILLMAP, "demo", "--out", str(d), "--force", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    owner = wait_mid_run(tmp_path, proc)
    assert f"pid={proc.pid}" in owner
    proc.kill()
    proc.communicate(timeout=60)
    assert snapshot(d) == before  # killed before the swap: the old report is untouched
    assert any(n.startswith(f".D.spillmap-tmp-{proc.pid}-") for n in leftovers(tmp_path))
    capsys.readouterr()
    # the next writer of D cleans up, then fails in its own work
    with pytest.raises(RuntimeError), _fileio.atomic_directory(d, force=True):
        raise RuntimeError("stop here")
    err = capsys.readouterr().err
    assert f"took over the lock of an interrupted run (process {proc.pid}" in err
    assert f"removed stale temporary folder .D.spillmap-tmp-{proc.pid}-" in err
    assert leftovers(tmp_path) == [] and snapshot(d) == before


SWAP_SCRIPT = """
import os, sys, time
from pathlib import Path
from spillmap import _fileio, _filelock
mode, target, flag = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
real_rename = os.rename
def pause():
    flag.write_text("now")
    time.sleep(600)
if mode == "exchange":  # pause after the atomic swap, before the old copy is deleted
    real_remove = _filelock.remove
    _filelock.remove = lambda p: pause() if ".spillmap-tmp-" in p.name else real_remove(p)
else:  # no renameat2: pause between "old moved aside" and "new moved in"
    _fileio._exchange = lambda a, b: False
    def rename(src, dst):
        real_rename(src, dst)
        if ".spillmap-old-" in str(dst):
            pause()
    os.rename = rename
with _fileio.atomic_directory(target, force=True) as d:
    (d / "index.html").write_text("<p>new</p>")
"""


@pytest.mark.parametrize("mode", ["exchange", "fallback"])
def test_sigkill_during_the_replacement_never_loses_the_folder(tmp_path, mode, capsys):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    supported = _fileio._exchange(tmp_path / "a", tmp_path / "b")
    (tmp_path / "a").rmdir(), (tmp_path / "b").rmdir()
    if mode == "exchange" and not supported:
        pytest.skip("renameat2(RENAME_EXCHANGE) is not available here; the fallback case covers the swap")
    d = old_spillmap_folder(tmp_path)
    old = snapshot(d)
    flag = tmp_path.parent / f"{tmp_path.name}.flag"
    proc = subprocess.Popen([sys.executable, "-c", SWAP_SCRIPT, mode, str(d), str(flag)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(flag, proc, "the swap")
    proc.kill()
    proc.communicate(timeout=60)
    if mode == "exchange":  # the swap was atomic: D is the complete new folder
        assert (d / "index.html").read_text() == "<p>new</p>"
    else:  # D was moved aside: the next writer of D puts it back before anything else
        assert not d.exists()
    capsys.readouterr()
    with pytest.raises(RuntimeError), _fileio.atomic_directory(d, force=True):
        raise RuntimeError("stop here")
    err = capsys.readouterr().err
    if mode == "exchange":
        assert f"removed stale temporary folder .D.spillmap-tmp-{proc.pid}-" in err
        assert (d / "index.html").read_text() == "<p>new</p>"
    else:
        assert f"restored {d} from .D.spillmap-old-{proc.pid}-" in err
        assert snapshot(d) == old
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------ a second writer, and byte-identical reruns
def _shared_demo(tmp_path_factory) -> Path:
    """The demo folder of tests/test_demo.py (built here if that module did not run)."""
    sys.path.insert(0, str(Path(__file__).parent.parent))  # --import-mode=importlib: the helper is in tests/
    from _demo_shared import build_demo_once

    return build_demo_once(tmp_path_factory)


def _spec_module():
    """tests/_specs.py, the shared study files."""
    sys.path.insert(0, str(Path(__file__).parent.parent))  # --import-mode=importlib: the helper is in tests/
    import _specs

    return _specs


def _small_study() -> str:
    """The shared minimal study without figures: long enough to be caught mid-run, a few seconds."""
    return _spec_module().MINIMAL + "[output]\nfigures = false\n"


def test_second_writer_fails_at_once(tmp_path, capsys):
    """While one ``spillmap report`` writes a folder, a second one for the same folder (even with
    --force) fails at once in one line naming the first's process, and touches nothing; the first
    finishes cleanly."""
    spec = tmp_path / "study.toml"
    spec.write_text(_small_study(), encoding="utf-8")
    d = tmp_path / "D"
    proc = subprocess.Popen([*SPILLMAP, "report", str(spec), "--out", str(d), "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_mid_run(tmp_path, proc)
    around = sorted(p.name for p in tmp_path.iterdir())
    capsys.readouterr()
    assert main(["report", str(spec), "--out", str(d), "--quiet", "--force"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert f"{d} is being written by process {proc.pid}" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == around  # the second run touched nothing
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert leftovers(tmp_path) == [] and (d / "index.html").is_file()


@pytest.mark.slow
def test_a_demo_in_another_process_is_byte_identical(tmp_path, tmp_path_factory):
    """``spillmap demo`` run as a program writes the same bytes as the in-process demo of the suite
    (same inputs and seed: every file, maps included).  Slow: a whole demo (~20 s)."""
    first = _shared_demo(tmp_path_factory)
    d = tmp_path / "D"
    run = subprocess.run([*SPILLMAP, "demo", "--out", str(d), "--quiet"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert snapshot(d) == snapshot(first)


# ------------------------------------------------------------------ read-only folders
def _read_only_prefix(folder: Path) -> list[str]:
    """A command prefix under which ``folder`` is read-only, or skip."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return []
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        pytest.skip("running as root and unshare/mount are missing: a read-only folder cannot be made")
    prefix = ["unshare", "--mount", "sh", "-c", f'mount --bind -o ro "{folder}" "{folder}" && exec "$@"', "sh"]
    probe = subprocess.run([*prefix, "touch", str(folder / "probe")], capture_output=True, text=True, check=False)
    if "Read-only" not in probe.stderr:
        pytest.skip(f"running as root and a read-only bind mount is not permitted here ({probe.stderr.strip()})")
    return prefix


PROBE = "from spillmap import _fileio; _fileio.os.access = lambda *a, **k: True; " \
    "from spillmap.cli import main; raise SystemExit(main({argv!r}))"


@pytest.mark.parametrize("cmd", ["weights", "report", "probe"])
def test_read_only_folder(tmp_path, cmd):
    """weights/report into a read-only folder; "probe": os.access fooled (as for root under chattr +i),
    the lock file's creation still finds the folder unwritable before any work."""
    from spillmap.datasets import data_path

    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "keep.txt").write_text("x")
    cfg = tmp_path / "r.toml"
    cfg.write_text('[layer]\ndataset = "us48"\nid = "STATE_ABBR"\n[panel]\ndataset = "produc"\n'
                   'id = "state_abbr"\ntime = "year"\n[model]\ny = "unemp"\nx = ["pc"]\n'
                   '[weights.W1]\nkind = "contiguity"\n')
    weights = ["weights", str(data_path("us48_states.geojson")), "--id", "STATE_ABBR", "--kind", "contiguity",
               "--out", str(ro / "w.gal")]
    command = {"weights": [*SPILLMAP, *weights],
               "report": [*SPILLMAP, "report", str(cfg), "--out", str(ro / "rep")],
               "probe": [sys.executable, "-c", PROBE.format(argv=weights)]}[cmd]
    prefix = _read_only_prefix(ro)
    try:
        before = snapshot(tmp_path)
        r = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=300, check=False)
    finally:
        ro.chmod(0o755)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr and r.stdout == ""
    assert f"folder {ro} is not writable" in r.stderr
    assert snapshot(tmp_path) == before


def test_a_failing_destructor_while_interrupted_prints_no_traceback(monkeypatch):
    """An object whose ``__del__`` fails because an interruption cut its work short (a ZIP writer with a
    member still open, seen in .ci/run: "Exception ignored ... Can't close the ZIP file") is not
    reported while the interruption unwinds the program; outside an interruption it still is."""
    import gc
    import sys

    from spillmap import _signals

    reported = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(str(u.exc_value)))

    class Broken:
        def __del__(self):
            raise ValueError("Can't close the ZIP file while there is an open writing handle on it.")

    with _signals.quiet_while_interrupted():
        _signals.interrupt(KeyboardInterrupt())
        try:
            Broken()
            gc.collect()
        finally:
            _signals.handled()
        assert reported == []
        Broken()
        gc.collect()
        assert reported and "Can't close the ZIP file" in reported[0]  # not interrupted: reported as usual


def test_a_signal_after_the_command_ends_keeps_its_status():
    """Bad-input audit 29 B2: a Ctrl-C landing after "report written", in the interpreter's teardown, made
    the exit status 130.  Once the command returned, both signals end the process with its own status."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import os, signal, sys, time
        import spillmap.cli as cli
        cli.main = lambda: 0
        sys.exit = lambda c: (os.kill(os.getpid(), signal.SIGINT), time.sleep(5), os._exit(99))
        cli.run()
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, (out.returncode, out.stderr)
