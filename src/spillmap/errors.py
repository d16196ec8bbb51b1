"""Exception types shared by every spillmap layer.

Every error a user can cause by what they feed spillmap is raised as a subclass of
:class:`SpillmapError`, with a message that names the file, column, unit id or
(id, time) cell at fault and says what to do about it.  The command line catches
:class:`SpillmapError` and prints the message without a traceback.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

__all__ = [
    "SpillmapError",
    "InputError",
    "DataError",
    "GeometryError",
    "CRSError",
    "JoinError",
    "WeightsError",
    "EstimationError",
    "ConvergenceError",
    "OutputError",
    "SpillmapWarning",
    "DataWarning",
    "WeightsWarning",
    "EstimationWarning",
    "FigureWarning",
    "format_items",
    "did_you_mean",
    "index_hint",
    "one_line",
    "check_choice",
    "number_hint",
    "number_written_otherwise",
    "Shown",
]

_T = TypeVar("_T")


class SpillmapError(Exception):
    """Base class of every error spillmap raises on purpose."""


class InputError(SpillmapError, ValueError):
    """A file, option or argument that cannot be used as given."""


class DataError(InputError):
    """A table (panel, attributes) with bad content: missing column, NaN, duplicates..."""


class GeometryError(InputError):
    """A boundary layer with unusable geometries (empty, non-polygonal)."""


class CRSError(InputError):
    """A boundary layer without a usable coordinate reference system."""


class JoinError(DataError):
    """A panel that does not match its boundary layer."""


class WeightsError(InputError):
    """A spatial weights matrix that cannot be used as given."""


class EstimationError(SpillmapError, RuntimeError):
    """A model that cannot be estimated on the given data."""


class ConvergenceError(EstimationError):
    """The optimiser did not converge or stopped at a parameter bound."""


class OutputError(SpillmapError, OSError):
    """An output that cannot be written (exists already, not writable...)."""


class SpillmapWarning(UserWarning):
    """Base category of every warning spillmap emits (filter them all with this class).

    Warnings are for results that are computed but that the user should question:
    repaired geometries, dropped units, islands in W, an estimate at its bound.
    Every output (JSON, report) mirrors the warnings raised while it was built.
    """


class DataWarning(SpillmapWarning):
    """Data that spillmap changed or had to assume something about (repairs, drops)."""


class WeightsWarning(SpillmapWarning):
    """A weights matrix that is usable but suspicious (islands, several components)."""


class EstimationWarning(SpillmapWarning):
    """An estimate that is computed but unreliable (a spatial parameter at its bound)."""


class FigureWarning(SpillmapWarning):
    """A figure written with a flaw the user should fix (text drawn as boxes for want of a font)."""


class Shown:
    """An item that :func:`format_items` prints as is (not quoted), e.g. ``'a' (line 3)``."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def format_items(items: Iterable[object], limit: int = 20) -> str:
    """Format a list of offending items for an error message.

    Shows at most ``limit`` items and says how many more there are, so a message
    about 10,000 bad rows stays readable.

    >>> format_items(["a", "b", "c"], limit=2)
    "'a', 'b' (and 1 more)"
    """
    items = list(items)
    shown = ", ".join(repr(i) if isinstance(i, str) else str(i) for i in items[:limit])
    if len(items) > limit:
        shown += f" (and {len(items) - limit} more)"
    return shown


def one_line(exc: BaseException) -> str:
    """A library's message on one line, for a one-line error: terminal colour codes removed
    (formulaic marks the failing part of a formula in red) and its lines joined.

    >>> one_line(ValueError("Formula ended.\\n\\n\\x1b[1;31mlog(pc\\x1b[0m"))
    'Formula ended. log(pc'
    """
    import re

    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(exc))
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def did_you_mean(name: object, choices: Iterable[object]) -> str:
    """``" Did you mean 'x'?"`` for the choice closest to a misspelt ``name`` (or ``""``).

    Case and surrounding spaces are ignored first (``"ADCODE"`` -> ``"adcode"``), then
    :func:`difflib.get_close_matches` (ratio >= 0.75) proposes a near miss.

    >>> did_you_mean("islnds", ["islands", "kind"])
    " Did you mean 'islands'?"
    """
    import difflib

    texts = [str(c) for c in choices]
    key = str(name).strip().casefold()
    same = [c for c in texts if c.strip().casefold() == key]
    close = same or difflib.get_close_matches(str(name), texts, n=1, cutoff=0.75)
    return f" Did you mean {close[0]!r}?" if close else ""


def index_hint(frame: object, names: Iterable[object]) -> str:
    """``" 'adcode', 'year' are the data's index: make them columns with .reset_index()."``
    when missing column ``names`` are levels of ``frame``'s index (a panel indexed by (id, time),
    linearmodels' convention), else ``""`` (notebook audit 32 #11).

    >>> import pandas as pd
    >>> index_hint(pd.DataFrame({"y": [1.0]}, index=pd.Index(["a"], name="id")), ["id"])
    " 'id' is the data's index: make it a column with .reset_index()."
    """
    levels = {str(n) for n in getattr(getattr(frame, "index", None), "names", ()) if n is not None}
    found = [str(n) for n in names if str(n) in levels]
    if not found:
        return ""
    them = "them columns" if len(found) > 1 else "it a column"
    return f" {', '.join(map(repr, found))} {'are' if len(found) > 1 else 'is'} the data's index: make {them} with .reset_index()."


def check_choice(name: str, value: _T, choices: Iterable[object]) -> _T:
    """The one validator of options with a fixed set of values; returns ``value``.

    Raises :class:`InputError` ``"<name> must be one of 'a', 'b'; got 'c'."`` (the
    choices listed in their order) unless ``value`` is one of ``choices``.

    >>> check_choice("kind", "queen", ("queen", "rook"))
    'queen'
    """
    choices = tuple(choices)
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}.")
    return value


_NUMBER_HINTS = (
    (r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", "written with thousands separators: save the numbers without them"),
    (r"[+-]?\d+(\.\d+)?\s*%", "a percentage with its sign: store the number alone"),
    (r"[+-]?\d+,\d+", "written with a decimal comma: save the file with decimal points"),
    (r"\.|-{1,2}|[nN]\.?[aA]\.?|[nN]/[aA]|#N/A|[nN]a[nN]|NULL|null|None", "a missing-value mark: leave the cell empty"),
)


def number_written_otherwise(value: object) -> bool:
    """Whether a text cell is a number in a common export habit (decimal comma, thousands
    separators, a percentage, non-ASCII digits) that :func:`number_hint` explains; a missing-value
    mark (``n/a``) is not one.

    >>> number_written_otherwise("15032,67"), number_written_otherwise("n/a")
    (True, False)
    """
    hint = number_hint(value)
    return bool(hint) and not hint.startswith(" (a missing-value mark")


def number_hint(value: object) -> str:
    """A short reason why a text cell is not a number, when it looks like a common export habit
    (``""`` otherwise), to follow the cell in an error message.

    >>> number_hint("35,793.80")
    ' (written with thousands separators: save the numbers without them)'
    >>> number_hint("\uff11\uff12\uff13")  # full-width digits
    " (a number written with non-ASCII characters, '123' in ASCII: save it in ASCII)"
    >>> number_hint("4038O")
    ''
    """
    import re
    import unicodedata

    text = str(value).strip()
    for pattern, why in _NUMBER_HINTS:
        if re.fullmatch(pattern, text):
            return f" ({why})"
    # full-width digits (a Chinese input method), a Unicode minus or a non-breaking space (Word)
    ascii_text = unicodedata.normalize("NFKC", str(value)).replace("\u2212", "-").strip()
    number = re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", ascii_text, flags=re.ASCII)
    if number and ascii_text != str(value).strip(" \t\r\n"):
        return f" (a number written with non-ASCII characters, {ascii_text!r} in ASCII: save it in ASCII)"
    return ""
