"""Advisory lock files and stale-leftover cleanup for :mod:`spillmap._fileio`.

A writer of ``DIR/NAME`` holds ``DIR/.NAME.spillmap-lock`` from its checks (before any
computation) to the moment the result is in place.  The lock is an ``flock`` on that
file (released by the kernel when the process dies, so a killed run never blocks the
next one); the file holds ``pid=… host=… started=…`` so that a second writer can say
*who* is writing.  A lock file left by a killed run is taken over, with a note.

Temporary files and folders are named ``.NAME.spillmap-tmp-<pid>-<hex>`` (the old
content of a folder being replaced, on systems without an atomic exchange,
``.NAME.spillmap-old-<pid>-<hex>``).  Once a writer holds the lock of ``NAME`` no other
run can be writing ``NAME``, so such leftovers of a process that is no longer running
(or whose pid was reused by a younger process) are removed, and an ``old`` copy whose
replacement never arrived is put back, each with a note on stderr.

Written by hand: the standard library has the primitives (``fcntl.flock``,
``os.open(O_EXCL)``) but no lock-file protocol; ``filelock``/``portalocker`` do not
record the owner or clean up temporaries.  Locks are per process (re-entrant): two
threads of one process writing the same target are not kept apart.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
import secrets
import shutil
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from spillmap.errors import OutputError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: O_EXCL lock files with a pid check
    fcntl = None  # type: ignore[assignment]

TAG = ".spillmap-"
_HELD: dict[str, list] = {}  # lock path -> [fd, depth]
_OWN: set[str] = set()  # temporary names made by this process
_REG = threading.Lock()


def note(message: str) -> None:
    """Tell the user about a repair spillmap made on its own (one line on stderr)."""
    print(f"spillmap: note: {message}", file=sys.stderr)


def short_name(name: str) -> str:
    """``name`` itself, or a shortened unique form when a tag would make it too long."""
    if len(name.encode("utf-8", "surrogateescape")) <= 200:
        return name
    import hashlib

    return name[:60] + "~" + hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def _norm(path: Path) -> Path:
    """Absolute and normalised (``out/``, ``a/../out`` and ``./out`` are one target)."""
    return Path(os.path.abspath(path))


def lock_path(path: Path) -> Path:
    path = _norm(path)
    return path.parent / f".{short_name(path.name)}{TAG}lock"


def temp_path(path: Path, kind: str = "tmp") -> Path:
    """A fresh recognisable name next to ``path``: ``.NAME.spillmap-<kind>-<pid>-<hex>``."""
    path = _norm(path)
    p = path.parent / f".{short_name(path.name)}{TAG}{kind}-{os.getpid()}-{secrets.token_hex(4)}"
    _OWN.add(str(p))
    return p


# ------------------------------------------------------------------ processes
def alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _start_time(pid: int) -> float | None:
    """Start of process ``pid`` (seconds since the epoch) from /proc, or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat[stat.rindex(")") + 2 :].split()[19])
        btime = next(
            int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
        )
        return btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def owner_gone(pid: int, made: float) -> bool:
    """True if the process that made a leftover at time ``made`` no longer runs.

    A live ``pid`` that started after ``made`` (+ 1 s for clock granularity) is a
    younger process that reused the number: the maker is gone.
    """
    if pid == os.getpid():  # not one of ours (those are skipped): a dead namesake's
        return True
    if not alive(pid):
        return True
    start = _start_time(pid)
    return start is not None and start > made + 1.0


# ------------------------------------------------------------------ locks
@contextlib.contextmanager
def deferred_signals():
    """Hold Ctrl-C/SIGTERM until the block is done (lock file and its registration agree)."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _owner_text(raw: str) -> str:
    fields = dict(item.split("=", 1) for item in raw.split() if "=" in item)
    if "pid" not in fields:
        return "another process"
    where = f" on host {fields['host']}" if fields.get("host") and fields["host"] != socket.gethostname() else ""
    since = f", started {fields['started']}" if fields.get("started") else ""
    return f"process {fields['pid']}{where}{since}"


def _read(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 4096).decode("utf-8", "replace")


def _stamp() -> bytes:
    started = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    return f"pid={os.getpid()} host={socket.gethostname()} started={started}\n".encode()


def _busy(target: Path, lp: Path, owner: str) -> OutputError:
    return OutputError(
        f"{target} is being written by {owner} (lock {lp.name}); wait until it finishes or choose another output."
    )


def _open_lock(lp: Path, target: Path) -> int:
    try:
        return os.open(lp, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        if os.path.lexists(lp):
            raise OutputError(
                f"cannot write {target}: cannot open its lock file {lp.name} ({exc.strerror}); "
                "if no spillmap run is writing it, delete that file."
            ) from None
        raise OutputError(f"cannot write {target}: folder {lp.parent} is not writable ({exc.strerror}).") from None


def _flock(lp: Path, target: Path) -> int:
    """Open and flock ``lp`` (the file at the path, not an unlinked one); raise if busy."""
    for _ in range(20):
        fd = _open_lock(lp, target)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raw = ""
            for _ in range(10):  # the holder may not have written its stamp yet
                raw = _read(fd)
                if raw.strip():
                    break
                time.sleep(0.02)
            os.close(fd)
            raise _busy(target, lp, _owner_text(raw)) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lp).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed it between our open and flock: retry
    raise _busy(target, lp, "another process")  # pragma: no cover


def _exclusive(lp: Path, target: Path) -> int:  # pragma: no cover - platforms without flock
    for _ in range(2):
        try:
            return os.open(lp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            raw = lp.read_text(errors="replace")
            pid = int(re.search(r"pid=(\d+)", raw).group(1)) if re.search(r"pid=(\d+)", raw) else -1
            if alive(pid):
                raise _busy(target, lp, _owner_text(raw)) from None
            note(f"took over the lock of an interrupted run ({_owner_text(raw)}, no longer running).")
            with contextlib.suppress(FileNotFoundError):
                lp.unlink()
        except OSError as exc:
            raise OutputError(f"cannot write {target}: folder {lp.parent} is not writable ({exc.strerror}).") from None
    raise _busy(target, lp, "another process")


def acquire(target: Path) -> None:
    """Take the lock of ``target`` (re-entrant within a process); raise if another run holds it."""
    lp = lock_path(target)
    key = os.path.abspath(lp)
    with _REG, deferred_signals():
        if key in _HELD:
            _HELD[key][1] += 1
            return
        if fcntl is None:  # pragma: no cover
            fd = _exclusive(lp, target)
        else:
            fd = _flock(lp, target)
            previous = _read(fd)
            if previous.strip():
                note(f"took over the lock of an interrupted run ({_owner_text(previous)}, no longer running).")
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, _stamp())
        _HELD[key] = [fd, 1]


def release(target: Path) -> None:
    """Give back one level of the lock of ``target``; the last one removes the lock file."""
    lp = lock_path(target)
    key = os.path.abspath(lp)
    with _REG, deferred_signals():
        entry = _HELD.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _HELD[key]
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lp)
        os.close(entry[0])


# ------------------------------------------------------------------ leftovers
def remove(path: Path) -> bool:
    """Delete a file or a folder tree (missing is fine); False when some of it could not be deleted
    (a file in use or protected): the caller says where it was left."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
    return not os.path.lexists(path)


def clean_stale(target: Path) -> None:
    """Remove leftovers of killed runs next to ``target``; put back an orphaned old copy.

    Call with the lock of ``target`` held.
    """
    target = _norm(target)
    pattern = re.compile(rf"^\.{re.escape(short_name(target.name))}\.spillmap-(tmp|old)-(\d+)-[0-9a-f]+$")
    try:
        entries = sorted(target.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        m = pattern.match(entry.name)
        if m is None or str(entry) in _OWN:
            continue
        try:
            made = entry.lstat().st_mtime
        except FileNotFoundError:
            continue
        kind, pid = m.group(1), int(m.group(2))
        if not owner_gone(pid, made):
            continue
        what = "folder" if entry.is_dir() else "file"
        if kind == "old" and not os.path.lexists(target):
            os.rename(entry, target)
            note(f"restored {target} from {entry.name}, left by an interrupted replacement (process {pid}).")
            continue
        if remove(entry):
            note(f"removed stale temporary {what} {entry.name} left by an interrupted run (process {pid}).")
        else:
            note(f"could not remove all of the stale temporary {what} {entry.parent / entry.name} left by an "
                 f"interrupted run (process {pid}): delete it yourself.")
