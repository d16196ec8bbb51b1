"""spillmap._signals: a Ctrl-C / SIGTERM raised inside a ctypes callback (where Python drops the
exception) is raised again at the next checkpoint, e.g. after threadpoolctl's library scan."""
from __future__ import annotations

import ctypes
import signal
import sys

import pytest

from spillmap import _signals, _threads


@pytest.fixture(autouse=True)
def _clean():
    _signals.handled()
    yield
    _signals.handled()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupt_swallowed_by_a_ctypes_callback_is_raised_at_the_checkpoint():
    @ctypes.CFUNCTYPE(None)
    def callback():
        raise _signals.interrupt(KeyboardInterrupt())  # what the CLI's handler does

    callback()  # ctypes reports the exception as unraisable and returns normally: it is lost
    with pytest.raises(KeyboardInterrupt):
        _signals.checkpoint()
    _signals.handled()
    _signals.checkpoint()  # nothing pending: no-op


def test_inside_callbacks_the_interrupt_is_raised_at_the_end_and_not_reported():
    reported = []

    @ctypes.CFUNCTYPE(None)
    def callback():
        raise _signals.interrupt(KeyboardInterrupt())

    @ctypes.CFUNCTYPE(None)
    def other():
        raise ValueError("an ordinary error in a callback")

    previous = sys.unraisablehook
    sys.unraisablehook = reported.append
    try:
        with pytest.raises(KeyboardInterrupt), _signals.callbacks():
            callback()
            other()
            reached = True
    finally:
        sys.unraisablehook = previous
    assert reached  # the block ran to its end
    assert [type(u.exc_value) for u in reported] == [ValueError]  # only the ordinary error reported


def test_the_blas_controller_raises_an_interrupt_lost_in_its_scan(monkeypatch):
    import threadpoolctl

    class Scanning:
        def __init__(self):  # the real scan runs in a ctypes callback; the handler fired there
            _signals.interrupt(KeyboardInterrupt())

    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", Scanning)
    _threads._controller.cache_clear()
    try:
        with pytest.raises(KeyboardInterrupt):
            _threads._controller()
    finally:
        monkeypatch.undo()
        _threads._controller.cache_clear()  # the real controller next time


@pytest.fixture
def python_sigint():
    """SIGINT as Python sets it in a terminal (``default_int_handler``) for the test, whatever the
    suite inherited: a runner that starts it in the background hands it SIGINT ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_an_inherited_ignored_sigint_stays_ignored():
    # `spillmap demo ... &` in a script or under nohup starts with SIGINT ignored: a Ctrl-C meant
    # for the foreground job must not stop it (the POSIX convention; Python itself keeps SIG_IGN)
    from spillmap.cli import _terminate_cleanly

    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with _terminate_cleanly():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            signal.raise_signal(signal.SIGINT)  # ignored: nothing raised
        _signals.checkpoint()  # and nothing recorded
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_program_records_its_interrupts_and_restores_the_handlers(python_sigint):
    from spillmap.cli import _terminate_cleanly, _Terminated

    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    with pytest.raises(_Terminated), _terminate_cleanly():
        signal.raise_signal(signal.SIGTERM)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    _signals.checkpoint()  # handled: nothing pending after the program's handler
    with pytest.raises(KeyboardInterrupt), _terminate_cleanly():
        assert signal.getsignal(signal.SIGINT) is not before[0]
        signal.raise_signal(signal.SIGINT)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


class _Finaliser:
    """An object whose ``__del__`` is where the Ctrl-C lands: the garbage collector runs finalisers
    between any two bytecodes, and Python drops (as unraisable) what a ``__del__`` raises."""

    def __del__(self):
        signal.raise_signal(signal.SIGINT)  # the program's handler runs here and its exception is lost


def test_a_ctrl_c_lost_in_a_finaliser_is_what_a_run_that_then_fails_reports(python_sigint):
    # .ci/run, stop 32: Ctrl-C to the process group while the report's figures were drawn by two
    # processes; the forked one died of the SIGINT, the main one's KeyboardInterrupt was lost, and
    # `spillmap demo` said "error: the forked worker process ended with status -2", exit 1, not 130
    from spillmap._forkshare import WorkerError
    from spillmap.cli import _terminate_cleanly

    with pytest.raises(KeyboardInterrupt) as info, _terminate_cleanly():
        _Finaliser()  # no reference kept: finalised at once, the interruption swallowed
        raise WorkerError("the forked worker process ended with status -2 (killed?)")
    assert isinstance(info.value.__context__, WorkerError)
    _signals.checkpoint()  # handled: nothing pending afterwards


def test_an_output_is_not_moved_into_place_after_a_lost_ctrl_c(python_sigint, tmp_path):
    from spillmap._fileio import atomic_directory
    from spillmap.cli import _terminate_cleanly

    target = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt), _terminate_cleanly(), atomic_directory(target) as tmp:
        (tmp / "table.csv").write_text("a\n1\n")
        _Finaliser()  # the run's work goes on to the end, as if nothing had happened
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary sibling
