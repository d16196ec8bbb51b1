"""File names derived from user strings (weights names, variables): one slug rule, no collisions;
and the paths a user writes (``~`` expanded as a shell would)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from spillmap.errors import InputError

__all__ = ["slug", "safe_names", "user_path"]


def user_path(path: str | os.PathLike) -> Path:
    """``path`` with a leading ``~`` (``~user``) expanded to the home folder, as a shell would; a
    home folder that cannot be found leaves it as written (:func:`os.path.expanduser`).  Study files,
    ``--opt=~/x`` and quoted ``"~/x"`` on a command line reach spillmap unexpanded."""
    return Path(os.path.expanduser(os.fspath(path)))


def slug(text: str) -> str:
    """``text`` reduced to letters, digits, ``-`` and ``_`` (others become ``_``)."""
    s = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_" else "_" for ch in str(text))
    return s or "_"


def safe_names(sources: Mapping[str, str]) -> dict[str, str]:
    """``{user string: file-name slug}``; two strings with the same slug are an error naming both.

    ``sources`` maps each user string to where it comes from (e.g. ``"weights.W 1"``).
    The comparison ignores case (case-insensitive file systems).
    """
    seen: dict[str, str] = {}
    out: dict[str, str] = {}
    for text, where in sources.items():
        s = slug(text)
        low = s.lower()
        if low in seen:
            raise InputError(
                f"{seen[low]!r} and {where!r} would both be written as files named {s!r}; rename one of them."
            )
        seen[low] = where
        out[text] = s
    return out
