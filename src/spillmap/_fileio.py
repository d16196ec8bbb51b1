"""Atomic output: nothing half-written, nothing overwritten by accident.

Every file spillmap writes goes through :func:`atomic_write_text`,
:func:`atomic_write_bytes` or :func:`atomic_path`: the content is written to a
temporary file in the destination folder and renamed into place with
:func:`os.replace` only when complete.  Whole output folders go through
:func:`atomic_directory`.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from spillmap.errors import OutputError

__all__ = ["atomic_write_text", "atomic_write_bytes", "atomic_path", "atomic_directory"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    On an exception inside the block the temporary file is removed and ``path``
    is left as it was.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputError(f"{path} exists already; choose another name or allow overwriting.")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {parent} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(
    path: str | os.PathLike, text: str, *, overwrite: bool = True, encoding: str = "utf-8"
) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8 by default) and return the path."""
    return atomic_write_bytes(path, text.encode(encoding), overwrite=overwrite)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, *, force: bool = False) -> Iterator[Path]:
    """Build a folder in a temporary sibling and move it to ``path`` at the end.

    Parameters
    ----------
    path
        The final folder.
    force
        Replace an existing ``path``.  Without it an existing, non-empty folder is an
        :class:`~spillmap.errors.OutputError` raised *before* any work is done.

    On an exception inside the block the temporary folder is deleted and an existing
    ``path`` is untouched.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} exists and is not a folder.")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise OutputError(f"output folder {path} exists and is not empty; use --force to replace it.")
    parent = path.parent if str(path.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent))
    try:
        yield tmp
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=parent))
            os.replace(path, old / "x")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
