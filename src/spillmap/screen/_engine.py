"""The screen's engine: Dask futures on a local cluster or an existing scheduler.

Nothing here is home-made scheduling: the work is a list of independent
:class:`~spillmap.screen._tasks.Job` objects submitted as ``dask.distributed``
futures (with Dask's retries), the panel array and the weights are scattered once
and broadcast to every worker, progress is Dask's text progress bar, and the
dashboard address is printed for long runs.  The cluster is

* ``client=`` when given (left open),
* the scheduler at ``scheduler=`` or ``$SPILLMAP_SCHEDULER`` (``tcp://host:8786``),
* otherwise an in-process :class:`distributed.LocalCluster` of ``workers`` processes
  (default: the machine's cores), one thread each, closed at the end.  Its nannies set
  ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` (1),
  ``MALLOC_TRIM_THRESHOLD_`` and ``PYTHONHASHSEED`` in *this* process's environment
  before spawning the workers (distributed's ``pre-spawn-environ``, by design:
  dask/distributed#6749); :func:`dask_client` puts the environment back when the cluster
  closes, or a later fit in the same session would take ``OMP_NUM_THREADS=1`` for the
  user's thread choice (``spillmap._threads``) and every later subprocess would inherit them.
  Its workers are spawned, and each re-runs the main script: a cluster started from a
  script's top level outside ``if __name__ == "__main__":`` is refused before any process
  starts, with an error naming the script and line (Dask would say only ``Nanny failed to
  start``, after re-running the script once per worker).

Task sizes follow a cost model (rows x indicators): the pooled statistics of T
periods cost about T times a period's, so pooled chunks are T times narrower; the
number of tasks is about eight per worker, never fewer than one per (W, period).
Chunking never changes a result (each task's streams come from the seed and its
(W, period) key), so results are identical whatever the workers or scheduler.
"""
from __future__ import annotations

import ast
import contextlib
import logging
import math
import os
import signal
import sys
import threading
import tokenize
from collections.abc import Iterator, Sequence

import numpy as np

from spillmap.errors import InputError
from spillmap.screen._spec import PER_PERIOD, POOLED, POOLED_LABEL, LMSpec
from spillmap.screen._tasks import Job, run_job
from spillmap.spatial._permutation import derive_seed

__all__ = ["dask_client", "plan_jobs", "run_jobs", "submit_all", "by_value", "loopback_cluster", "SCHEDULER_ENV"]

SCHEDULER_ENV = "SPILLMAP_SCHEDULER"
#: about this many tasks per worker, so that the last ones finish together
_TASKS_PER_WORKER = 8
#: the module each local worker process runs at start (spillmap.screen._worker_init)
_WORKER_INIT = "spillmap.screen._worker_init"
#: print the dashboard address when a run has at least this many tasks
_LONG_RUN_TASKS = 200


def _check_workers(workers: int | None) -> None:
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError(f"workers must be a positive integer, got {workers!r}.")


@contextlib.contextmanager
def _environ_restored() -> Iterator[None]:
    """``os.environ`` as it was on entry, on exit: variables added are removed, changed ones
    put back (the local cluster's nannies set theirs in this process; module docstring)."""
    before = dict(os.environ)
    try:
        yield
    finally:
        for key in [k for k in os.environ if k not in before]:
            del os.environ[key]
        for key, value in before.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


def _is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` (either side of the ``==``)."""
    test = getattr(node, "test", None)
    if not (isinstance(node, ast.If) and isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


def guarded_line(path: str, line: int) -> bool | None:
    """Whether ``line`` of the script ``path`` is in the body of a top-level
    ``if __name__ == "__main__":`` block; ``None`` when the script cannot be read or parsed."""
    try:
        with tokenize.open(path) as fh:
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return None
    return any(node.body[0].lineno <= line <= node.body[-1].end_lineno
               for node in tree.body if _is_main_guard(node))


def _main_script_frame():
    """The frame running the main script's top level, when that script is re-run by every
    spawned process (multiprocessing re-runs a script or a module, never a package's
    ``__main__``) and the workers are spawned rather than forked; else ``None``."""
    import dask.config

    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None) or ""
    if (main is None or name == "__main__" or name.endswith(".__main__")
            or dask.config.get("distributed.worker.multiprocessing-method", "spawn") == "fork"):
        return None
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_globals is main.__dict__ and frame.f_code.co_name == "<module>"):
        frame = frame.f_back
    return frame


def _check_main_guarded() -> None:
    """Refuse, before any process starts, a local cluster started by a main script's unguarded
    top level: each spawned worker would re-run the script and fail, and Dask would only say
    ``Nanny failed to start`` after running the script again once per worker."""
    frame = _main_script_frame()
    if frame is None or guarded_line(frame.f_code.co_filename, frame.f_lineno) is not False:
        return
    raise InputError(
        f"the main script {frame.f_code.co_filename} starts local Dask worker processes at line {frame.f_lineno}, "
        'outside `if __name__ == "__main__":`, and each worker would re-run the script: wrap the call in '
        '`if __name__ == "__main__":`, or pass client=distributed.Client(processes=False) to run on threads '
        "in this process."
    )


@contextlib.contextmanager
def dask_client(*, client=None, scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """The Dask client to run on (see the module docstring); closes what it opened."""
    _check_workers(workers)
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        if workers is not None:
            raise InputError("workers sizes the local cluster only; with a scheduler address, start its workers yourself.")
        try:
            c = Client(address, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            yield c
        finally:
            c.close()
        return
    _check_main_guarded()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_environ_restored())  # entered first: restored after the cluster closed
        # a Ctrl-C while the workers start takes effect once they have started (and the cluster is
        # on the stack, so closed): see _sigint_deferred
        with _sigint_deferred():
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # a free port: never collide with another cluster
                    # CRITICAL: a worker's "Failed to communicate with scheduler during heartbeat" traceback
                    # when the cluster closes (dask/distributed#7192: 3 runs of 22 here) and its
                    # "Compute Failed" lines are not the user's business: a failed task reaches the
                    # client as its exception, and the run reports it
                    silence_logs=logging.CRITICAL,
                    # each worker process ignores SIGINT (see _sigint_deferred)
                    preload=[_WORKER_INIT],
                )
            )
        yield stack.enter_context(Client(cluster))


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """SIGINT blocked in this (main) thread while the local cluster starts; a Ctrl-C pressed
    meanwhile is delivered when the block ends, once the cluster can be closed.

    A terminal's Ctrl-C goes to the whole foreground process group, the worker processes
    included.  Landing in the middle of the start, it printed a worker's ``KeyboardInterrupt``
    traceback (or "Fatal Python error: init_import_site"), and in this process an atexit
    ``AssertionError: Status.init`` from distributed's ``close_clusters`` of the half-started
    cluster.  Threads inherit the signal mask of the thread that creates them, and processes that
    of the thread that forks them, so the cluster's event-loop thread and the worker processes it
    spawns keep SIGINT blocked; the workers also ignore it (:mod:`spillmap.screen._worker_init`,
    for a worker a nanny restarts later).  The main process alone answers the interrupt: it stops
    the run and closes the cluster, which ends the workers.  No-op without ``pthread_sigmask``
    (Windows) or off the main thread."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    from multiprocessing import resource_tracker

    # started here first: the thread that starts it unblocks SIGINT afterwards (multiprocessing's
    # resource_tracker.ensure_running), which in a worker-spawning thread would undo the block
    resource_tracker.ensure_running()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _chunks(k: int, width: int) -> list[tuple[int, int]]:
    width = max(1, min(k, width))
    return [(a, min(k, a + width)) for a in range(0, k, width)]


def plan_jobs(
    *,
    weights: Sequence[str],
    labels: Sequence[str],
    n: int,
    k: int,
    stats: Sequence[str],
    permutations: int,
    seed: int,
    alpha: float,
    fdr: bool,
    names: Sequence[str],
    lm: LMSpec | None,
    lm_cols: Sequence[int],
    n_workers: int,
    chunk: int | None = None,
    pooled: bool = True,
) -> list[Job]:
    """Tasks for ``k`` indicators (columns ``0..k-1``) under every W and period."""
    t = len(labels)
    per_period = tuple(s for s in stats if s in PER_PERIOD)
    on_stack = tuple(s for s in stats if s in POOLED and ((pooled and t > 1) or s in ("lm", "sdm")))
    combos = [(w, s, lab, per_period) for w in weights for s, lab in enumerate(labels) if per_period]
    combos += [(w, None, POOLED_LABEL, on_stack) for w in weights if on_stack]
    cost = {None: n * t * (4 if {"lm", "sdm"} & set(on_stack) else 1)}
    total = sum(cost.get(s, n) * k for _, s, _, _ in combos)
    target = total / max(1, _TASKS_PER_WORKER * n_workers)
    common = dict(permutations=permutations, alpha=alpha, fdr=fdr, names=tuple(names), labels=tuple(labels))
    jobs = []
    for w, s, lab, st in combos:
        width = chunk if chunk else math.ceil(target / cost.get(s, n))
        if chunk and s is None:
            width = max(1, chunk // t)
        for a, b in _chunks(k, width):
            jobs.append(
                Job(w=w, period=s, label=lab, start=a, stop=b, stats=st, seed=derive_seed(seed, w, lab),
                    lm=lm, lm_cols=tuple(lm_cols), **common)
            )
    return jobs


def _wait(futures: list, progress: bool) -> None:
    """Wait for ``futures``; with ``progress``, under Dask's text progress bar on stderr, where every
    spillmap command writes its progress (stdout keeps the results: ``spillmap screen > out.txt``)."""
    from distributed import progress as dask_progress
    from distributed import wait

    if not progress:
        wait(futures)
        return
    # distributed's TextProgressBar writes to sys.stdout and takes no stream (unlike dask.diagnostics'
    # ProgressBar(out=)): stdout is stderr while it draws (it draws on the client's loop thread, and
    # this thread waits for it to finish)
    with contextlib.redirect_stdout(sys.stderr):
        dask_progress(futures)
    sys.stderr.write("\n")
    sys.stderr.flush()


def _call_pickled(payload: bytes, *args):
    import cloudpickle

    return cloudpickle.loads(payload)(*args)


def by_value(fn):
    """``fn`` wrapped so that workers need not import its module (e.g. a script).

    The function is serialised by value with cloudpickle (its module registered for
    that) and called through :func:`_call_pickled`, which workers import from spillmap.
    """
    import functools
    import inspect

    import cloudpickle

    cloudpickle.register_pickle_by_value(inspect.getmodule(fn))
    return functools.partial(_call_pickled, cloudpickle.dumps(fn))


def submit_all(client, fn, shared: Sequence, items: Sequence, *, progress: bool) -> list:
    """``fn(*shared, item)`` for every item as Dask futures; results in item order.

    The ``shared`` objects are scattered once and broadcast to every worker; each
    task may be retried once by Dask; a task that still raised is returned as its
    exception (the caller records it).  Used by the screen and by
    ``benchmarks/monte_carlo.py``.
    """
    shared_f = client.scatter(list(shared), broadcast=True)
    if progress and len(items) >= _LONG_RUN_TASKS and getattr(client, "dashboard_link", None):
        print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr, flush=True)
    futures = [client.submit(fn, *shared_f, item, retries=1, pure=True) for item in items]
    try:
        _wait(futures, progress)
        return [f.exception() if f.status == "error" else f.result() for f in futures]
    finally:
        client.cancel(futures + list(shared_f))


def run_jobs(client, values: np.ndarray, weights: dict, jobs: list[Job], *, progress: bool) -> list:
    """Every screen job, with the panel array and the weights scattered once."""
    return submit_all(client, run_job, (values, weights), jobs, progress=progress)


@contextlib.contextmanager
def loopback_cluster(workers: int = 2, *, timeout: float = 60.0) -> Iterator[str]:
    """A scheduler and ``workers`` worker processes on 127.0.0.1, as on a real cluster.

    Starts ``python -m dask scheduler`` and one ``python -m dask worker`` process per
    worker (one thread each), yields the scheduler's ``tcp://`` address once every
    worker has joined, and terminates the processes it started at the end.  Used by
    the tests and ``benchmarks/bench_screen.py`` to simulate a multi-node run.
    """
    import subprocess
    import tempfile
    import time as _time
    from pathlib import Path

    from distributed import Client

    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="spillmap-dask-") as tmp:
        sched_file = str(Path(tmp) / "scheduler.json")
        common = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
        try:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                 "--no-dashboard", "--scheduler-file", sched_file], **common))
            deadline = _time.monotonic() + timeout
            while not Path(sched_file).exists():
                if _time.monotonic() > deadline or procs[0].poll() is not None:
                    raise RuntimeError("the Dask scheduler did not start")
                _time.sleep(0.1)
            for _ in range(workers):
                procs.append(subprocess.Popen(
                    [sys.executable, "-m", "dask", "worker", "--scheduler-file", sched_file, "--nthreads", "1",
                     "--no-dashboard", "--host", "127.0.0.1"], **common))
            with Client(scheduler_file=sched_file, timeout=f"{timeout}s") as c:
                c.wait_for_workers(workers, timeout=timeout)
                address = c.scheduler.address
            yield address
        finally:
            for p in reversed(procs):
                p.terminate()
            for p in reversed(procs):
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
