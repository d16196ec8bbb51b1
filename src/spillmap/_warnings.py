"""Collecting spillmap's warnings so that outputs can mirror them, and showing them on the CLI.

Every spillmap warning is a :class:`~spillmap.errors.SpillmapWarning` raised with
:func:`warnings.warn` where the problem is found (islands in W, ``rho`` at a bound,
gaps between periods, repaired geometries...).  Commands and the study layer that
write JSON or a report use :func:`capture_warnings` around their work, then write
``log.messages`` next to the results, so that a file never lacks a warning that the
screen showed.

Written by hand on the standard library: :func:`warnings.catch_warnings` alone
either swallows the warnings (``record=True``) or lets Python's once-per-location
filter hide a repeated one from the record.  Here every spillmap warning raised in
the block is recorded (once per distinct message), and each distinct one is passed
on at once to the filters that were active when the block was entered, so
``-W ignore::spillmap.errors.SpillmapWarning`` still hides it, ``-W error::...``
still raises it at the point where it was raised, and the default shows it once.
Other warnings are not touched.

Examples
--------
>>> import warnings
>>> from spillmap.errors import WeightsWarning
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")   # hidden from the screen ...
...     with capture_warnings() as log:
...         warnings.warn("W has 2 islands", WeightsWarning)
>>> log.messages                      # ... but recorded for the outputs
('W has 2 islands',)
"""
from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from spillmap.errors import SpillmapWarning

__all__ = ["CapturedWarning", "WarningLog", "HeldWarning", "capture_warnings", "hold_warnings", "call_holding_warnings",
           "release_warnings", "outside_stacklevel",
           "cli_warnings", "format_cli_warning", "warns_on_cli"]


def outside_stacklevel() -> int:
    """The ``stacklevel`` that makes a :func:`warnings.warn` in the calling function point at the first
    frame outside spillmap (the user's line), however many spillmap functions and decorators lie between."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("spillmap"):
        frame, level = frame.f_back, level + 1
    return level


@dataclass(frozen=True)
class CapturedWarning:
    """One recorded warning: its category name (e.g. ``"WeightsWarning"``) and message."""

    category: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """``{"category": ..., "message": ...}`` for JSON."""
        return {"category": self.category, "message": self.message}


@dataclass
class WarningLog:
    """The spillmap warnings raised inside :func:`capture_warnings`, in order, each message once."""

    records: list[CapturedWarning] = field(default_factory=list)

    @property
    def messages(self) -> tuple[str, ...]:
        """The messages (what JSON outputs write as ``"warnings": [...]``)."""
        return tuple(r.message for r in self.records)

    def __len__(self) -> int:
        return len(self.records)

    def __bool__(self) -> bool:
        return bool(self.records)


def format_cli_warning(command: str, message: object) -> str:
    """``"spillmap <command>: warning: <message>"`` on one line (line breaks become spaces)."""
    text = " ".join(str(message).split())
    return f"spillmap {command}: warning: {text}"


@contextmanager
def capture_warnings(*, show: Callable[[str], None] | None = None) -> Iterator[WarningLog]:
    """Record the spillmap warnings raised in the block and still let them reach the user.

    Parameters
    ----------
    show
        How to display a warning that the user's filters let through: ``None`` (the
        default) uses Python's normal display (``warnings.showwarning``); the CLI
        passes a function printing one line (see :func:`cli_warnings`).

    Yields
    ------
    WarningLog
        Filled while the block runs: every distinct spillmap warning message, in the
        order raised, whatever the filters (an ignored warning is recorded too: the
        JSON and the report must not depend on the display settings).

    Notes
    -----
    Each distinct message is passed to the filters active at entry once (filters
    changed *inside* the block apply first: ``simplefilter("ignore")`` there hides a
    warning from the log as well); an
    ``"error"`` filter turns it into an exception at the point where it was raised,
    as without this context manager.  Nested blocks each record the warnings raised
    inside them.  Not thread-safe (like :func:`warnings.catch_warnings`).
    """
    log = WarningLog()
    outer_filters = list(warnings.filters)
    outer_show = warnings.showwarning

    def record(message, category, filename, lineno) -> None:  # noqa: ANN001
        log.records.append(CapturedWarning(category.__name__, str(message)))
        with warnings.catch_warnings():  # the user's filters decide whether and how it is shown
            warnings.filters[:] = outer_filters
            warnings.showwarning = _display(show, outer_show)
            warnings.warn_explicit(message, category, filename, lineno, registry={})

    with _intercepted(record):
        yield log


@contextmanager
def _intercepted(on_new: Callable) -> Iterator[None]:
    """Inside the block, each distinct spillmap warning message goes once to
    ``on_new(message, category, filename, lineno)`` instead of being shown (every one reaches
    this point: "always"); other warnings are shown as before."""
    outer_show = warnings.showwarning
    seen: set[str] = set()

    def hook(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        if not issubclass(category, SpillmapWarning):
            return outer_show(message, category, filename, lineno, file, line)
        text = str(message)
        if text not in seen:
            seen.add(text)
            on_new(message, category, filename, lineno)
        return None

    with warnings.catch_warnings():
        warnings.simplefilter("always", SpillmapWarning)
        warnings.showwarning = hook
        yield


@dataclass(frozen=True)
class HeldWarning:
    """A spillmap warning kept by :func:`hold_warnings` (picklable: the category by reference)."""

    category: type
    message: str
    filename: str
    lineno: int


@contextmanager
def hold_warnings() -> Iterator[list[HeldWarning]]:
    """Keep the spillmap warnings raised in the block, each message once in order, without
    showing or recording them; :func:`release_warnings` raises them later where they count.

    For work done out of place (a job that may run in a forked process): the job holds its
    warnings, and the process that gathers its results releases them inside its own
    :func:`capture_warnings`, so that they are recorded and shown once, in the job's order,
    whichever process ran it.  Other warnings pass through as usual.
    """
    held: list[HeldWarning] = []
    with _intercepted(lambda message, category, filename, lineno: held.append(
            HeldWarning(category, str(message), filename, lineno))):
        yield held


def call_holding_warnings(job: Callable[..., Any], *args: Any) -> tuple[Any, list[HeldWarning]]:
    """``(job(*args), its held spillmap warnings)``: :func:`hold_warnings` around one call, for a job
    that may run in a forked process and whose warnings the gathering process releases."""
    with hold_warnings() as held:
        value = job(*args)
    return value, held


def release_warnings(held: list[HeldWarning]) -> None:
    """Raise the warnings kept by :func:`hold_warnings` again, in order, at their original place."""
    for h in held:
        warnings.warn_explicit(h.message, h.category, h.filename, h.lineno, registry={})


def _display(show: Callable[[str], None] | None, outer_show: Callable) -> Callable:
    if show is None:
        return outer_show

    def one_line(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        show(str(message))

    return one_line


@contextmanager
def cli_warnings(command: str) -> Iterator[WarningLog]:
    """:func:`capture_warnings` for a subcommand: each warning as one line on stderr.

    ``with cli_warnings("fit") as log: ...`` prints ``spillmap fit: warning: ...``
    (unless filtered out with ``-W``/``PYTHONWARNINGS``) and leaves the messages in
    ``log.messages`` for the command's JSON output.
    """
    def show(message: str) -> None:
        print(format_cli_warning(command, message), file=sys.stderr)

    with capture_warnings(show=show) as log:
        yield log


def warns_on_cli(command: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Decorator of a subcommand's ``run(args)``: it runs inside :func:`cli_warnings`.

    The log is handed to the command as ``args.warning_log`` (a :class:`WarningLog`),
    so that its JSON output can list ``args.warning_log.messages``.
    """
    def decorate(run: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(run)
        def wrapped(args, *more, **kw):  # noqa: ANN001
            with cli_warnings(command) as log:
                args.warning_log = log
                return run(args, *more, **kw)

        wrapped.shows_warnings = True  # the CLI's main() then does not wrap it a second time
        return wrapped

    return decorate
