"""Capture spillmap warnings raised during a run (they still reach the user)."""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

from spillmap.errors import SpillmapWarning

__all__ = ["capture_warnings"]


@contextlib.contextmanager
def capture_warnings() -> Iterator[list[str]]:
    """Yield a list that receives the message of every :class:`SpillmapWarning` raised inside
    the block (each once, in order); the warnings are re-emitted so the user still sees them."""
    seen: list[str] = []
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always", SpillmapWarning)
        yield seen
    for w in rec:
        if issubclass(w.category, SpillmapWarning):
            msg = str(w.message)
            if msg not in seen:
                seen.append(msg)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
