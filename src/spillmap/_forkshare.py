"""Independent jobs shared between this process and one forked child.

Written by hand for the report's figures: each is an independent matplotlib drawing
(0.3-1.2 s; together about half of a report's time), matplotlib holds the GIL while it
draws (two threads took as long as one), and a ``spawn`` worker would import matplotlib
and geopandas and rebuild the prepared map layer before its first figure.  A fork shares
all of that as it is.  The child takes jobs from a shared counter from the start; this
process does its other work first (tables, HTML maps) and then takes what is left, so
the two cores finish together.  The study uses the same for its steps that need no spatial
fit (:mod:`spillmap.study._side`), which return values instead of writing files.

Used only where a fork is safe and can help: Linux, at least two CPUs usable by this
process, no other Python thread (so not in a Jupyter kernel), and ``SPILLMAP_NO_FORK``
unset (set it to ``1`` to draw everything in one process).  The outputs do not depend on which process drew them (tested byte for byte).

The child never returns into the caller's code: it ends with :func:`os._exit`, so none of
the parent's clean-up (``finally`` blocks, ``atexit``, the output folder's lock) runs
twice.  It dies at once on SIGINT/SIGTERM (default handlers); the parent kills and reaps
it when its own work fails or is interrupted (:meth:`SharedJobs.abort`), and re-raises a
job's exception from the child (unpickled, same type and message).  What a job returns comes
back too (pickled into an unnamed temporary file that the two processes share), so jobs may
compute values as well as write files: :meth:`SharedJobs.finish` returns them in job order.
"""
from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["SharedJobs", "fork_available"]

#: most bytes the child writes to its pipe (below the 64 kB pipe buffer: it never blocks)
_MAX_REPORT = 60_000


def fork_available() -> bool:
    """True on Linux with two or more usable CPUs and no other Python thread running (a
    Jupyter kernel, a web server: a thread holding a lock at the fork would leave it
    locked in the child), unless ``SPILLMAP_NO_FORK`` is set."""
    if os.environ.get("SPILLMAP_NO_FORK", "") not in ("", "0"):
        return False
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    import threading

    return threading.active_count() == 1 and len(os.sched_getaffinity(0)) >= 2


def _die_with(parent: int) -> None:  # pragma: no cover - runs in the forked child
    """Have the kernel kill this forked child when ``parent`` dies (Linux ``prctl(PR_SET_PDEATHSIG,
    SIGKILL)``): a run killed with SIGKILL cannot abort its child, which went on drawing figures
    into the temporary output folder that the next run removes.  Exits at once if the parent died
    before the call."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux's libc: the lock-wait check in _take remains
        return
    if os.getppid() != parent:
        os._exit(1)


class WorkerError(RuntimeError):
    """A job failed in the forked child with an exception that could not be sent back."""


class SharedJobs:
    """Run ``run(i, in_child)`` once for each ``i`` in ``range(n)``, in two processes.

    Use as ``jobs = SharedJobs(n, run).start()`` ... (other work) ... ``values = jobs.finish()``
    (what each ``run(i, ...)`` returned, in the order of ``i``; a value computed in the child
    must be picklable);
    on a failure of the other work call ``jobs.abort()``.  Without a fork
    (:func:`fork_available` false, or ``n < 2``) :meth:`start` does nothing and
    :meth:`finish` runs every job here.
    """

    def __init__(self, n: int, run: Callable[[int, bool], Any], *, fork: bool | None = None) -> None:
        self._n, self._run = int(n), run
        self._values: dict[int, Any] = {}
        self._results = None  # the unnamed file the child leaves its values in
        self._fork = (fork_available() if fork is None else fork) and self._n >= 2
        self._pid: int | None = None
        self._status: int | None = None  # the child's wait status, once reaped
        self._pipe: int | None = None
        self._next = None
        self._parent = os.getpid()
        if self._fork:
            import multiprocessing

            # shared memory and a semaphore, both inherited by the child of os.fork
            self._next = multiprocessing.get_context("fork").Value("q", 0)

    @property
    def forked(self) -> bool:
        """True while a forked child runs (from :meth:`start` to :meth:`finish` or :meth:`abort`)."""
        return self._pid is not None

    def _take(self) -> int | None:
        """The next job's index, or None when none is left.

        The counter's lock is waited for in half-second steps: should the other process
        die while holding it (killed from outside), the child exits, and the parent reaps
        the child and goes on alone, instead of waiting for ever."""
        if self._next is None:
            return None
        lock = self._next.get_lock()
        locked = self._status is None and lock.acquire(timeout=0.5)  # no lock needed once the child is reaped
        while not locked and self._status is None:
            if os.getpid() != self._parent:
                if os.getppid() != self._parent:  # pragma: no cover - the parent is gone
                    os._exit(1)
            elif self._reap(block=False):
                break  # the child is gone: the counter is this process's alone now
            locked = lock.acquire(timeout=0.5)
        try:
            counter = self._next.get_obj()  # the raw value (``.value`` would take the lock again)
            i = counter.value
            if i >= self._n:
                return None
            counter.value = i + 1
            return i
        finally:
            if locked:
                lock.release()

    def _reap(self, *, block: bool) -> bool:
        """Wait for the child (or only look, ``block=False``); True once it has ended."""
        if self._status is None and self._pid is not None:
            pid, status = os.waitpid(self._pid, 0 if block else os.WNOHANG)
            if pid:
                self._status = status
        return self._status is not None

    def start(self) -> SharedJobs:
        """Fork the child (when enabled); it takes jobs until none is left."""
        if not self._fork:
            return self
        read, write = os.pipe()
        self._results = tempfile.TemporaryFile()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        gc.freeze()  # the collector then leaves the shared objects' pages alone in the child
        try:
            with warnings.catch_warnings():
                # Python >= 3.12 warns about forking a process with threads; ours are the BLAS
                # pool's idle threads, which OpenBLAS re-creates in the child (pthread_atfork)
                warnings.simplefilter("ignore", DeprecationWarning)
                pid = os.fork()
        finally:
            if os.getpid() == self._parent:
                gc.unfreeze()
        if pid == 0:  # pragma: no cover - the child's lines are not traced by coverage
            os.close(read)
            self._child(write)
        os.close(write)
        self._pid, self._pipe = pid, read
        return self

    def _child(self, pipe: int) -> None:  # pragma: no cover - runs in the forked child
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _die_with(self._parent)
            while (i := self._take()) is not None:
                self._values[i] = self._run(i, True)
            _write_all(self._results.fileno(), _pickled_values(self._values))
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            code = 1
            try:
                os.write(pipe, _report(exc))
            except BaseException:  # noqa: BLE001
                pass
        finally:
            os._exit(code)

    def finish(self) -> list[Any]:
        """Run the jobs left here, wait for the child, re-raise its failure; the jobs' values."""
        try:
            if self._fork:
                while (i := self._take()) is not None:
                    self._values[i] = self._run(i, False)
            else:
                for i in range(self._n):
                    self._values[i] = self._run(i, False)
        except BaseException:
            self.abort()
            raise
        if self._pid is not None:
            self._join()
        return [self._values.get(i) for i in range(self._n)]

    def _join(self) -> None:
        """Wait for the child; take its values, or re-raise its failure."""
        self._reap(block=True)
        status, message = self._status, self._read()
        self._pid = self._status = None
        results, self._results = self._results, None
        with results:
            if os.waitstatus_to_exitcode(status) == 0:
                results.seek(0)
                self._values.update(pickle.loads(results.read()))
                return
        if message:
            try:
                exc = pickle.loads(message)
            except Exception:  # noqa: BLE001 - a traceback in text
                exc = WorkerError(message.decode("utf-8", "replace"))
            raise exc
        raise WorkerError(f"the forked worker process ended with status {os.waitstatus_to_exitcode(status)} "
                          "(killed?); set SPILLMAP_NO_FORK=1 to run everything in one process.")

    def abort(self) -> None:
        """Kill and reap the child (no-op without one)."""
        if self._pid is None:
            return
        if self._status is None:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:  # pragma: no cover - already gone
                pass
            self._reap(block=True)
        self._pid = self._status = None
        self._read()
        if self._results is not None:
            self._results.close()
            self._results = None

    def _read(self) -> bytes:
        if self._pipe is None:
            return b""
        chunks = []
        while chunk := os.read(self._pipe, 65536):
            chunks.append(chunk)
        os.close(self._pipe)
        self._pipe = None
        return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:  # pragma: no cover - runs in the forked child
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _pickled_values(values: dict[int, Any]) -> bytes:  # pragma: no cover - runs in the forked child
    """The child's values pickled, or a :class:`WorkerError` naming the job whose value cannot be
    (Python's own message for that differs between versions)."""
    try:
        return pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - find the job, then say what failed
        for i, v in sorted(values.items()):
            try:
                pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # noqa: BLE001
                raise WorkerError(f"the value of job {i}, computed in the forked process, could not be pickled "
                                  f"back ({type(exc).__name__}: {exc}); set SPILLMAP_NO_FORK=1 to run everything "
                                  "in one process.") from None
        raise


def _report(exc: BaseException) -> bytes:  # pragma: no cover - runs in the forked child
    """The exception pickled, or its traceback as text when it cannot be (or is too big)."""
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
        if len(data) <= _MAX_REPORT:
            return data
    except Exception:  # noqa: BLE001
        pass
    text = "".join(traceback.format_exception(exc)).encode("utf-8", "replace")
    return text[-_MAX_REPORT:]
