"""spillmap._forkshare: jobs shared with a forked child run once each, failures come back,
the child never runs the parent's clean-up, and an aborted child is gone.

Linux only (the report forks only there); elsewhere the serial path is tested.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from spillmap._forkshare import SharedJobs, WorkerError, fork_available

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the report forks only on Linux")


def _wait_until(predicate, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "the child did not start within a minute"
        time.sleep(0.01)


def _taken(jobs: SharedJobs) -> int:
    return jobs._next.value


@linux
def test_every_job_runs_once_in_one_of_the_two_processes(tmp_path):
    def run(i: int, in_child: bool) -> None:
        # O_EXCL: a job run twice would fail here
        fd = os.open(tmp_path / f"{i}", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.write(fd, f"{os.getpid()} {in_child}".encode())
        os.close(fd)
        time.sleep(0.02)

    jobs = SharedJobs(40, run, fork=True).start()
    assert jobs.forked
    _wait_until(lambda: _taken(jobs) > 0)  # the child works while this process does "other work"
    jobs.finish()
    written = {int(p.name): p.read_text().split() for p in tmp_path.iterdir()}
    assert sorted(written) == list(range(40))
    by_child = {w[0] for w in written.values() if w[1] == "True"}
    assert by_child and os.getpid() not in {int(p) for p in by_child}
    assert {w[0] for w in written.values() if w[1] == "False"} <= {str(os.getpid())}


@linux
@pytest.mark.parametrize("fork", [True, False])
def test_values_come_back_in_job_order(fork):
    """What each job returns, from either process, in the order of the jobs; values far larger
    than a pipe's 64 kB buffer included (they travel through a file)."""
    def run(i: int, in_child: bool):
        time.sleep(0.01)
        return {"i": i, "pid": os.getpid(), "payload": bytes([i]) * 200_000}

    jobs = SharedJobs(12, run, fork=fork).start()
    assert jobs.forked is fork
    if fork:
        _wait_until(lambda: _taken(jobs) > 0)
    values = jobs.finish()
    assert [v["i"] for v in values] == list(range(12))
    assert all(v["payload"] == bytes([v["i"]]) * 200_000 for v in values)
    pids = {v["pid"] for v in values}
    if fork:  # the child took at least the first job (which process took the rest depends on timing)
        assert pids - {os.getpid()}
    else:
        assert pids == {os.getpid()}


@linux
def test_an_unpicklable_value_from_the_child_is_an_error():
    def run(i: int, in_child: bool):
        if in_child:
            return lambda: None  # a local function cannot be pickled
        time.sleep(0.2)  # leave the child time to take a job
        return i

    jobs = SharedJobs(4, run, fork=True).start()
    _wait_until(lambda: _taken(jobs) > 0)
    # one message on every Python (3.13 says "Can't get local object", 3.12 "Can't pickle local object")
    with pytest.raises(WorkerError, match=r"the value of job \d+, computed in the forked process, could not be pickled"):
        jobs.finish()


def test_without_fork_the_jobs_run_here_in_order():
    seen = []
    jobs = SharedJobs(5, lambda i, in_child: seen.append((i, in_child)), fork=False).start()
    assert not jobs.forked
    jobs.finish()
    assert seen == [(i, False) for i in range(5)]


def _local_error(message: str) -> Exception:
    class Local(Exception):  # a local class cannot be unpickled by the parent... nor pickled
        pass

    return Local(message)


@linux
@pytest.mark.parametrize(("make", "expected"), [(KeyError, KeyError), (_local_error, WorkerError)],
                         ids=["picklable, same type", "unpicklable, as text"])
def test_a_failure_in_the_child_comes_back_here(make, expected):
    """A job's exception in the child is raised here with its type and message, or (when it
    cannot be pickled) as a WorkerError carrying its traceback text."""
    def run(i: int, in_child: bool) -> None:
        if in_child:
            raise make(f"job {i} failed in the child")
        time.sleep(0.01)

    jobs = SharedJobs(10, run, fork=True).start()
    _wait_until(lambda: _taken(jobs) > 0)
    with pytest.raises(expected, match="failed in the child"):
        jobs.finish()


@linux
def test_abort_kills_and_reaps_the_child():
    jobs = SharedJobs(4, lambda i, in_child: time.sleep(60), fork=True).start()
    pid = jobs._pid
    _wait_until(lambda: _taken(jobs) > 0)
    t0 = time.monotonic()
    jobs.abort()
    assert time.monotonic() - t0 < 10  # killed, not waited for (each job sleeps 60 s)
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)
    assert not jobs.forked


@linux
def test_the_child_never_runs_the_parents_cleanup(tmp_path):
    """atexit handlers and the caller's ``finally`` blocks run once, in the parent."""
    log = tmp_path / "log"
    script = textwrap.dedent(f"""
        import atexit, os
        from spillmap._forkshare import SharedJobs
        log = {str(log)!r}
        def note(what):
            with open(log, "a") as fh:
                fh.write(f"{{what}} {{os.getpid()}}\\n")
        atexit.register(note, "atexit")
        try:
            SharedJobs(6, lambda i, c: None, fork=True).start().finish()
        finally:
            note("finally")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = Path(log).read_text().split("\n")[:-1]
    assert [line.split()[0] for line in lines] == ["finally", "atexit"]
    assert len({line.split()[1] for line in lines}) == 1


def test_fork_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("SPILLMAP_NO_FORK", "1")
    assert not fork_available()
    assert not SharedJobs(3, lambda i, c: None).start().forked


def test_no_fork_while_another_thread_runs():
    import threading

    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not fork_available()
    finally:
        stop.set()
        t.join()


@linux
def test_a_child_killed_holding_the_counter_does_not_hang_the_parent():
    """Killed from outside while it holds the counter's lock, the child is reaped and this
    process takes the remaining jobs alone; the lost child's end is reported."""
    import signal

    done, held = [], Path(tempfile.mkdtemp()) / "held"

    def run(i: int, in_child: bool) -> None:
        if in_child:  # the child takes the counter's lock and is killed holding it
            jobs._next.get_lock().acquire()
            held.touch()
            time.sleep(60)
        done.append(i)

    jobs = SharedJobs(6, run, fork=True)
    jobs.start()
    _wait_until(held.exists)
    os.kill(jobs._pid, signal.SIGKILL)
    t0 = time.monotonic()
    with pytest.raises(WorkerError, match="status -9"):
        jobs.finish()
    assert time.monotonic() - t0 < 30
    assert done == list(range(1, 6))  # job 0 died with the child; the report then fails


def test_a_killed_helper_is_a_one_line_error_of_the_program(tmp_path, monkeypatch, capsys):
    """When the forked helper dies (killed, e.g. out of memory), ``spillmap`` prints one line
    naming the way out (``SPILLMAP_NO_FORK=1``) and exits 1, without a traceback; nothing is
    left in place of the output folder."""
    import spillmap.maps.report as report
    from spillmap.cli import main

    def killed(*args, **kwargs):
        raise WorkerError("the forked worker process ended with status -9 (killed?); "
                          "set SPILLMAP_NO_FORK=1 to run everything in one process.")

    monkeypatch.setattr(report, "build_report", killed)
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["spillmap demo: error: the forked worker process ended with status -9 (killed?); "
                   "set SPILLMAP_NO_FORK=1 to run everything in one process."]
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="no fork here")
def test_a_forked_child_measures_text_with_font_objects_of_its_own():
    """The text-measuring font cache of spillmap.figures._style is empty in a forked child, as
    matplotlib's own font cache is: an FT2Font reads its file through a handle whose offset parent
    and child share, so a parent and child drawing figures at once read each other's glyph data
    ("RuntimeError: failed to load glyph" once in a test run)."""
    from matplotlib.font_manager import FontProperties, findfont

    from spillmap.figures import _style

    _style._text_width_in("Moran's I", FontProperties(), 8)
    assert _style._measuring_font.cache_info().currsize >= 1
    font = _style._measuring_font(str(findfont(FontProperties())))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether it would reuse the parent's FreeType face
        try:
            fresh = _style._measuring_font.cache_info().currsize == 0
            fresh = fresh and _style._measuring_font(str(findfont(FontProperties()))) is not font
            os.write(write, b"1" if fresh else b"0")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"1"


_KILLED_PARENT = """
import os, sys, time
from spillmap._forkshare import SharedJobs

jobs = SharedJobs(2, lambda i, in_child: time.sleep(120 if in_child else 0), fork=True).start()
print(jobs._pid, flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_the_child_dies_with_a_killed_parent():
    """A parent killed with SIGKILL cannot abort its child: the kernel ends the child with it
    (PR_SET_PDEATHSIG), instead of its drawing on into the run's temporary folder (here a job
    that would run 120 s)."""
    import signal

    proc = subprocess.Popen([sys.executable, "-c", _KILLED_PARENT], stdout=subprocess.PIPE, text=True)
    child = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 20  # generous on a loaded machine; without the fix the child sleeps 120 s
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        try:
            if Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                break  # a zombie: dead, waiting for init to reap it
        except OSError:
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
