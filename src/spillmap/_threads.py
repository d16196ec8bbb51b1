"""BLAS thread control: spillmap's dense linear algebra runs single-threaded by default.

The estimators call LAPACK on small or medium dense matrices (least squares on
``NT x k`` designs, ``k x k`` solves, Cholesky or eigenvalues of ``N x N`` matrices
with N up to a few thousand).  A multithreaded OpenBLAS spends more time waking and
synchronising its threads than computing on such sizes, and when the cores are busy
(other processes, a test suite) each call can stall for milliseconds: measured on a
shared 2-core machine, ``eigvalsh`` of a 400 x 400 matrix took 1.45 s with two
threads and 0.012 s with one, and a 2,500 x 2,500 ``inv`` 1.45 s against 0.97 s.
The sparse parts (SuperLU, scipy.sparse products) are single-threaded anyway.

So :func:`single_threaded_blas` limits BLAS to one thread around the numerical
kernels, through threadpoolctl (the library scikit-learn uses for the same purpose),
*unless the user chose a thread count*:

* one of ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``,
  ``BLIS_NUM_THREADS``, ``VECLIB_MAXIMUM_THREADS`` or ``SPILLMAP_BLAS_THREADS`` is set
  (``SPILLMAP_BLAS_THREADS`` only affects spillmap: an integer, or ``"auto"`` to leave
  the libraries as they are); or
* a BLAS library currently runs fewer threads than this process may use (the user
  called ``threadpoolctl.threadpool_limits`` or the library's own API).

A user who *raised* or kept the library's default count through threadpoolctl cannot
be told apart from the default, so to run spillmap's dense algebra multithreaded set
``SPILLMAP_BLAS_THREADS`` (or one of the variables above).

Verification: ``tests/test_threads.py`` checks that the limit applies inside the
context and is restored after it, and that each way of choosing a count is respected.
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["single_threaded_blas", "blas_thread_limit", "limit_blas"]

F = TypeVar("F", bound=Callable[..., Any])

#: environment variables through which a user chooses BLAS/OpenMP thread counts
THREAD_ENV = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


@functools.cache
def _controller():
    """One threadpoolctl controller for the process (created after numpy's and scipy's
    BLAS are loaded, so that both are seen); None when threadpoolctl is missing.  An
    interruption during its library scan is raised after it (:mod:`spillmap._signals`)."""
    try:
        import numpy.linalg  # noqa: F401  # loads numpy's BLAS
        import scipy.linalg  # noqa: F401  # loads scipy's BLAS
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return None
    from spillmap._signals import callbacks

    with callbacks():  # the scan runs in a ctypes callback, where a Ctrl-C / SIGTERM would be lost
        return ThreadpoolController()


def blas_thread_limit() -> int | None:
    """The thread count spillmap imposes on BLAS now: 1, or None when the user's choice
    (environment variable or an already lowered library count) is left alone."""
    own = os.environ.get("SPILLMAP_BLAS_THREADS", "").strip()
    if own:
        if own.lower() == "auto":
            return None
        try:
            return max(1, int(own))
        except ValueError:
            return None
    if any(os.environ.get(name, "").strip() for name in THREAD_ENV):
        return None
    ctl = _controller()
    if ctl is None:
        return None
    cpus = _available_cpus()
    blas = [lib for lib in ctl.lib_controllers if lib.user_api == "blas"]
    if not blas or any(lib.num_threads < cpus for lib in blas):
        return None  # a library already runs below the default: the user's choice (or 1 already)
    return 1


@contextmanager
def limit_blas() -> Iterator[None]:
    """Context manager: BLAS limited to :func:`blas_thread_limit` threads inside."""
    limit = blas_thread_limit()
    if limit is None:
        yield
        return
    with _controller().limit(limits=limit, user_api="blas"):
        yield


def single_threaded_blas(func: F) -> F:
    """Decorator: run ``func`` inside :func:`limit_blas` (re-entrant: nested calls
    see the lowered count and leave it alone)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with limit_blas():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
