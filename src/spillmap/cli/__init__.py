"""The ``spillmap`` command line.

The CLI only composes the layers; it holds no numerics.  Each subcommand lives in
its own module ``spillmap.cli._<name>`` exposing ``register(subparsers)``, which
adds its parser and sets ``func`` (a callable taking the parsed namespace and
returning an exit code).  Heavy imports happen inside ``func`` so that
``spillmap --help`` stays fast.

Errors a user can cause (:class:`spillmap.errors.SpillmapError`) are printed as
one readable message, without a traceback, and exit with status 2.

Outputs: a subcommand that writes files sets ``outputs`` (a callable taking the
parsed namespace and returning ``(targets, inputs)``) with ``set_defaults``;
:func:`main` then checks and locks the targets (:func:`spillmap._fileio.reserve`,
honouring ``--force``) *before* the subcommand does any work, and holds the locks
until it returns.  Ctrl-C exits with status 130 and SIGTERM with 143, after the
temporary files were removed.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import NoReturn

from spillmap import __version__
from spillmap.errors import SpillmapError

#: subcommand modules, in the order ``--help`` lists them
SUBCOMMANDS = ("demo", "report", "weights", "moran", "fit", "diagnose", "scenario", "screen")


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error (``spillmap fit: error: ...; see spillmap fit --help``)
    instead of the usage block and the error: the same form as every other error of the CLI.
    Subcommand parsers are of this class too (``add_subparsers`` uses the parent's class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="spillmap",
        description=(
            "Spatial econometrics for spillover studies: boundary layers, spatial weights, "
            "Moran's I / LM diagnostics, panel SAR/SEM/SDM by maximum likelihood, "
            "direct/indirect effects and offline HTML maps."
        ),
    )
    parser.add_argument("--version", action="version", version=f"spillmap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"spillmap.cli._{name}")
        except ModuleNotFoundError as exc:  # a subcommand not written yet
            if exc.name != f"spillmap.cli._{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        with _terminate_cleanly(), _reserved_outputs(args), _one_line_warnings(args):
            return int(args.func(args) or 0)
    except SpillmapError as exc:
        print(f"spillmap {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, _Terminated) as exc:
        return _interrupted(exc)
    except Exception as exc:  # a signal that arrived during an import is wrapped (RuntimeError, ImportError...)
        cause = _signal_cause(exc)
        if cause is not None:
            return _interrupted(cause)
        from spillmap._forkshare import WorkerError

        if isinstance(exc, WorkerError):  # the helper process was killed (out of memory?): no traceback
            print(f"spillmap {args.command}: error: {exc}", file=sys.stderr)
            return 1
        raise


def run() -> NoReturn:
    """The ``spillmap`` program: :func:`main`, then the end of the process.

    ``gc.freeze()`` before exiting: the interpreter's last garbage collections would
    otherwise walk every object still alive (0.75 s of the demo's 0.85 s teardown); they
    are not needed when the process ends.  atexit functions, ``weakref.finalize`` and the
    flushing of the standard streams run as usual.  In-process callers use :func:`main`.
    """
    code = main()
    _finished(code)
    gc.freeze()
    sys.exit(code)


def _finished(code: int) -> None:
    """The command is over (its outputs are in place): a Ctrl-C or SIGTERM during the interpreter's
    teardown ends the process at once with the command's own status, instead of 130 / 143 after
    "report written" (bad-input audit 29 B2)."""
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()

    def end(signum, frame):  # noqa: ANN001, ARG001
        os._exit(code)

    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGINT, end)
        signal.signal(signal.SIGTERM, end)


def _one_line_warnings(args: argparse.Namespace) -> contextlib.AbstractContextManager:
    """Every subcommand's spillmap warnings as one ``spillmap CMD: warning: ...`` line each:
    :func:`spillmap._warnings.cli_warnings` around the subcommand, unless it wraps itself
    (``warns_on_cli``: fit, moran and diagnose also list them in their JSON).  Not nested: an
    inner ``cli_warnings`` would re-show what the user's ``-W ignore`` hides."""
    from spillmap._warnings import cli_warnings

    return contextlib.nullcontext() if getattr(args.func, "shows_warnings", False) else cli_warnings(args.command)


def _interrupted(exc: BaseException) -> int:
    """Report a Ctrl-C / SIGTERM that was handled; the exit status 130 / 143.

    CPython (3.11, 3.12) records a KeyboardInterrupt that leaves code run by a *string*
    ``exec`` / ``eval`` (dataclasses and jinja2 build functions that way while modules load)
    as unhandled even when it is caught later, and ``python -m`` then ends the process by
    SIGINT (status -2) instead of our status.  Every string ``exec`` clears that record when
    it starts, so one harmless ``exec`` forgets it; it runs only after the interrupt was
    handled here, so it cannot hide one that was not.
    """
    exec("pass", {})  # noqa: S102 - clears CPython's unhandled-KeyboardInterrupt record (see above)
    print("spillmap: interrupted; no output was left half-written.", file=sys.stderr)
    return 143 if isinstance(exc, _Terminated) else 130


def _signal_cause(exc: BaseException) -> BaseException | None:
    """The Ctrl-C / SIGTERM behind ``exc`` when Python wrapped it in another exception."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, KeyboardInterrupt | _Terminated):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


class _Terminated(BaseException):
    """SIGTERM, raised like Ctrl-C so that temporary outputs are cleaned up."""


@contextlib.contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """SIGTERM raises :class:`_Terminated` and Ctrl-C ``KeyboardInterrupt``, both recorded in
    :mod:`spillmap._signals` so that one raised inside a ctypes callback is not lost."""
    from spillmap import _signals

    def on_term(signum, frame):
        raise _signals.interrupt(_Terminated())

    def on_int(signum, frame):
        raise _signals.interrupt(KeyboardInterrupt())

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:  # not a handler the caller installed
        signal.signal(signal.SIGINT, on_int)
    try:
        with _signals.quiet_while_interrupted():
            yield
    except Exception:
        # a Ctrl-C that a finaliser swallowed (Python drops an exception raised in ``__del__``) and
        # that then made the run fail otherwise -- a figure process that the same Ctrl-C killed
        # ("ended with status -2") -- is reported as the interruption it is (.ci/run, stop 32)
        _signals.checkpoint()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)
        _signals.handled()


def _reserved_outputs(args: argparse.Namespace):
    """Check and lock the subcommand's declared outputs (a no-op if it declares none)."""
    declare = getattr(args, "outputs", None)
    if declare is None:
        return contextlib.nullcontext()
    from spillmap._fileio import reserve

    targets, inputs = declare(args)
    return reserve(targets, force=bool(getattr(args, "force", False)), inputs=inputs)
