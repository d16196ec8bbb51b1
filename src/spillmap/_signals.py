"""A Ctrl-C or SIGTERM must not be lost inside a ctypes callback or a finaliser.

Python runs a signal handler between two bytecodes of the main thread, wherever that thread
is.  When it is inside a ctypes callback (threadpoolctl scans the loaded libraries with one
the first time spillmap limits BLAS threads), the exception the handler raises is printed as
"Exception ignored on calling ctypes callback function" and dropped, and the program carries
on as if it had never been interrupted: seen in ``.ci/run``, a SIGTERM during a study's first
BLAS limit let ``spillmap demo`` finish with exit status 0.

So the ``spillmap`` program's handlers record the interruption here as they raise it
(:func:`interrupt`), the program forgets it once handled (:func:`handled`), and code that runs
ctypes callbacks does so inside :func:`callbacks`, which keeps ctypes from printing the
swallowed interruption (a traceback the user need not see) and raises it when the block ends.
A handler that runs inside an object's ``__del__`` (the garbage collector runs them between
any two bytecodes) loses its exception the same way; so an output is not moved into place
while an interruption is pending (:mod:`spillmap._fileio`), and a run that then fails for
another reason -- a figure process killed by the same Ctrl-C -- reports the interruption.
Written by hand on the standard library.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["interrupt", "handled", "checkpoint", "callbacks", "quiet_while_interrupted"]

_pending: list[BaseException] = []


def interrupt(exc: BaseException) -> BaseException:
    """Record ``exc``, which a signal handler is about to raise, and return it."""
    _pending.append(exc)
    return exc


def handled() -> None:
    """The interruption reached the program's handler: nothing is pending any more."""
    _pending.clear()


def checkpoint() -> None:
    """Raise the interruption recorded last, if a ctypes callback swallowed it (no-op otherwise)."""
    if _pending:
        raise _pending[-1]


@contextmanager
def _unraisable_dropped(drop: Callable[[Any], bool]) -> Iterator[None]:
    """Around the block, an unraisable exception for which ``drop(unraisable)`` is true is not
    reported ("Exception ignored ..."); others go to the hook that was installed before."""
    previous = sys.unraisablehook

    def hook(unraisable) -> None:  # noqa: ANN001
        if not drop(unraisable):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


@contextmanager
def callbacks() -> Iterator[None]:
    """Around code that runs ctypes callbacks: an interruption recorded by :func:`interrupt` and
    swallowed by a callback is not reported as "Exception ignored" but raised when the block
    ends (other unraisable exceptions are reported as usual)."""
    with _unraisable_dropped(lambda u: any(u.exc_value is exc for exc in _pending)):
        yield
    checkpoint()


@contextmanager
def quiet_while_interrupted() -> Iterator[None]:
    """While an interruption recorded by :func:`interrupt` unwinds the program, an object whose
    ``__del__`` fails because the interruption cut its work short (a ZIP writer interrupted with a
    member still open: "Can't close the ZIP file while there is an open writing handle") is not
    reported as "Exception ignored" with a traceback: the program's handler says what happened
    and removes the temporary output.  Other unraisable exceptions are reported as usual."""
    with _unraisable_dropped(lambda u: bool(_pending)):
        yield
