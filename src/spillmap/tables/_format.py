"""The one number formatter and the one stars function of spillmap.

Every table writer, the results' ``_repr_html_`` and the map legends format numbers
here, so that a number looks the same in the report, the CSV, the LaTeX, the Word and
the Excel file.  Written by hand (a few lines each; Python's format mini-language does
the rounding): no library formats estimates the way journals print them.

* :func:`format_number` -- fixed decimals with a thousands separator, ``-0.000`` shown
  as ``0.000``;
* :func:`format_p` -- p-values: ``<0.001`` below the precision shown;
* :func:`stars` / :func:`star_note` -- significance stars and the note saying what they
  mean (one set of thresholds, ``STAR_LEVELS``: 10 %, 5 %, 1 %);
* :func:`cell` / :func:`stat_cell` -- ``0.365*** (0.043)`` and ``15.513 (0.000)``;
* :func:`decimals_for` -- enough decimals for a few significant digits of small numbers;
* :func:`typeset_minus` -- a minus before a number as the sign U+2212 in printed tables;
* :func:`distinct_labels` -- the fewest digits (scientific notation for tiny values)
  that keep a sorted sequence of class bounds apart, for map legends.
"""
from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence

import numpy as np

from spillmap.errors import InputError

__all__ = [
    "STAR_LEVELS",
    "is_missing",
    "format_number",
    "format_value",
    "format_p",
    "stars",
    "star_note",
    "cell",
    "stat_cell",
    "distinct_labels",
    "typeset_minus",
    "MINUS",
    "decimals_for",
    "plural",
    "PrintedNumber",
]

#: significance levels of ``*``, ``**``, ``***`` (largest first)
STAR_LEVELS: tuple[float, ...] = (0.10, 0.05, 0.01)


def is_missing(v: object) -> bool:
    """True for ``None``, NaN, ±inf and ``pandas.NA``."""
    if v is None:
        return True
    if isinstance(v, numbers.Number) and not isinstance(v, bool):
        try:
            return not math.isfinite(float(v))
        except (TypeError, ValueError):
            return True
    try:
        import pandas as pd

        return bool(pd.isna(v)) if np.ndim(v) == 0 else False
    except (TypeError, ValueError):
        return False


def format_number(x: object, decimals: int = 3, *, thousands: bool = True) -> str:
    """``x`` with ``decimals`` fixed decimals (``1,234.568``); ``""`` for a missing value.

    Integers (Python or numpy) are printed without decimals (``3,252``).  A value that
    rounds to zero is printed without a minus sign.

    Parameters
    ----------
    x
        A number (a bool prints ``yes``/``no``).
    decimals
        Decimals of a non-integer (default 3).
    thousands
        Separate thousands with commas (default ``True``).

    Examples
    --------
    >>> format_number(-0.0004), format_number(3252), format_number(1234.5678, 2)
    ('0.000', '3,252', '1,234.57')
    """
    if is_missing(x):
        return ""
    sep = "," if thousands else ""
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    if isinstance(x, numbers.Integral):
        return f"{int(x):{sep}d}"
    v = float(x)
    text = f"{v:{sep}.{int(decimals)}f}"
    if text.startswith("-") and float(text[1:].replace(",", "")) == 0:
        text = text[1:]
    return text


def format_value(v: object, decimals: int = 3) -> str:
    """A table cell: numbers by :func:`format_number`, text as is, missing as ``""``.

    Parameters
    ----------
    v
        The value.
    decimals
        Decimals of a number (default 3).
    """
    if isinstance(v, str):
        return v
    if isinstance(v, numbers.Number) or v is None or is_missing(v):
        return format_number(v, decimals)
    return str(v)


def format_p(p: object, decimals: int = 3, *, below: bool = True) -> str:
    """A p-value with ``decimals`` decimals; ``<0.001`` when it would print as zero.

    Parameters
    ----------
    p
        The p-value (missing: ``""``).
    decimals
        Decimals (default 3).
    below
        ``True`` (default): ``<0.001`` for a p that would print as zero; ``False`` prints
        ``0.000`` instead (the seed study's convention).
    """
    if is_missing(p):
        return ""
    v = float(p)
    floor = 10.0 ** -int(decimals)
    if below and v < floor:
        return f"<{floor:.{int(decimals)}f}"
    return f"{v:.{int(decimals)}f}"


def _check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    """``levels`` as a tuple of floats, checked: probabilities in (0, 1), largest first.

    Parameters
    ----------
    levels
        Significance levels of ``*``, ``**``, ``***``...

    Returns
    -------
    tuple of float
        The levels.

    Raises
    ------
    InputError
        (a ``ValueError``) unless the levels are decreasing numbers in (0, 1).
    """
    lv = tuple(float(a) for a in levels)
    if any(not 0 < a < 1 for a in lv) or list(lv) != sorted(lv, reverse=True) or len(set(lv)) != len(lv):
        raise InputError(f"star levels must be decreasing numbers in (0, 1), e.g. (0.10, 0.05, 0.01); got {levels!r}")
    return lv


def stars(p: object, levels: Sequence[float] = STAR_LEVELS) -> str:
    """One ``*`` per level ``p`` is below: with the default levels ``***`` p < 0.01,
    ``**`` p < 0.05, ``*`` p < 0.10, else ``""`` (also for a missing p).

    Parameters
    ----------
    p
        The p-value.
    levels
        Significance levels, probabilities in (0, 1), largest first (default
        :data:`STAR_LEVELS`, 0.10, 0.05, 0.01).
    """
    if is_missing(p):
        return ""
    v = float(p)
    return "*" * sum(v < a for a in _check_levels(levels))


def star_note(levels: Sequence[float] = STAR_LEVELS) -> str:
    """``"*** p < 0.01, ** p < 0.05, * p < 0.10"`` for ``levels``.

    Parameters
    ----------
    levels
        Significance levels, largest first (default :data:`STAR_LEVELS`).
    """
    lv = _check_levels(levels)
    parts = [f"{'*' * (i + 1)} p < {a:.2f}" if round(a * 100, 9).is_integer() else f"{'*' * (i + 1)} p < {a:g}"
             for i, a in enumerate(lv)]
    return ", ".join(reversed(parts))


def cell(estimate: object, se: object = None, p: object = None, digits: int = 3) -> str:
    """``0.365*** (0.043)``: estimate, stars from ``p``, SE in parentheses (one cell).

    Parameters
    ----------
    estimate
        The estimate (missing: ``""``).
    se
        Its standard error (``None``/missing: no parentheses).
    p
        Its p-value, for the stars at :data:`STAR_LEVELS` (``None``: no stars).
    digits
        Decimals of estimate and SE (default 3).
    """
    if is_missing(estimate):
        return ""
    text = format_number(float(estimate), digits) + ("" if p is None else stars(p))
    if not is_missing(se):
        text += f" ({format_number(float(se), digits)})"
    return text


def stat_cell(stat: object, p: object = None, digits: int = 3) -> str:
    """``15.513 (0.000)``: a test statistic with its p-value in parentheses; ``n/a`` if missing.

    Parameters
    ----------
    stat
        The statistic.
    p
        Its p-value, printed with 3 decimals (``None``/missing: no parentheses).
    digits
        Decimals of the statistic (default 3).
    """
    if is_missing(stat):
        return "n/a"
    text = format_number(float(stat), digits)
    return text if is_missing(p) else f"{text} ({format_p(p, 3, below=False)})"


def _distinct(labels: Sequence[str], vals: Sequence[float]) -> bool:
    return all(a != b for a, b, x, y in zip(labels, labels[1:], vals, vals[1:]) if x != y)


def distinct_labels(values: Sequence[float], *, min_digits: int = 2, max_digits: int = 12) -> list[str]:
    """Labels for sorted class bounds that keep every pair of distinct adjacent values apart.

    First tries one number of decimals for all labels (at most 6, and enough for
    ``min_digits`` significant digits of the largest magnitude); when the values span
    magnitudes that no common number of decimals separates (or are all below
    ``1e-3``), each label gets ``%g`` formatting with the fewest significant digits
    (at least ``min_digits``) that separates neighbours, which switches to scientific
    notation for tiny values.  Equal values get equal labels.

    Parameters
    ----------
    values
        Sorted class bounds.
    min_digits
        Least significant digits (default 2).
    max_digits
        Most significant digits tried in ``%g`` formatting (default 12).

    Examples
    --------
    >>> distinct_labels([0.4931, 0.4982, 0.5180])
    ['0.49', '0.50', '0.52']
    >>> distinct_labels([0.3716, 0.3764, 0.3782])
    ['0.372', '0.376', '0.378']
    >>> distinct_labels([0.0, 1e-07, 7e-06, 0.13])
    ['0', '1e-07', '7e-06', '0.13']
    """
    vals = [float(v) for v in values]
    finite = [abs(v) for v in vals if math.isfinite(v) and v != 0]
    if not finite:
        return [format_number(v, 0) for v in vals]
    big = max(finite)
    if big >= 1e-3:
        first = max(min_digits - 1 - math.floor(math.log10(big)), 0)
        for dec in range(first, 7):
            labels = [format_number(v, dec) for v in vals]
            if _distinct(labels, vals):
                return labels
    for digits in range(min_digits, max_digits + 1):
        labels = ["" if not math.isfinite(v) else "0" if v == 0 else f"{v:,.{digits}g}" for v in vals]
        if _distinct(labels, vals):
            return labels
    return labels


def decimals_for(values: Sequence[float], *, digits: int = 2, least: int = 3, most: int = 6) -> int:
    """Decimals that show ``digits`` significant digits of the smallest non-zero ``|value|``,
    between ``least`` and ``most`` (``least`` when every value is zero or missing).

    Parameters
    ----------
    values
        The numbers to print.
    digits
        Significant digits wanted (default 2).
    least, most
        Bounds of the result (defaults 3 and 6).

    Examples
    --------
    >>> decimals_for([0.36, 0.051]), decimals_for([0.0782, 0.0015]), decimals_for([1e-9])
    (3, 4, 6)
    """
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return int(least)
    return int(min(most, max(least, digits - 1 - math.floor(math.log10(v.min())))))


def plural(word: str) -> str:
    """English plural of a unit word: ``city`` -> ``cities``, ``state`` -> ``states``.

    Parameters
    ----------
    word
        A singular English noun (a word ending in ``s`` is returned as it is).
    """
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy", "uy")):
        return word[:-1] + "ies"
    return word if word.endswith("s") else word + "s"


#: the minus sign of printed tables (Word, Markdown, HTML, the formatted CSV): U+2212, as
#: journals set it (LaTeX prints ``$-$``); a spreadsheet never reads ``−0.123***`` as a formula
MINUS = "\u2212"
#: a hyphen-minus that is a minus sign: before a digit, not inside a word, a number or a
#: range (``1e-05``, ``2008-2019`` and ``N-1`` keep theirs); the rule of the LaTeX writer
MINUS_BEFORE_NUMBER = re.compile(r"(?<![\w.\-}$])-(?=\.?\d)")


def typeset_minus(text: str) -> str:
    """``text`` with each minus sign before a number as U+2212: ``-0.016***`` -> ``−0.016***``,
    ``[-0.31, -0.02]`` -> ``[−0.31, −0.02]``; hyphens in words, ranges and exponents stay."""
    return MINUS_BEFORE_NUMBER.sub(MINUS, text)


class PrintedNumber(str):
    """A table cell printed as a text (``"<0.00001"``, ``">−0.00001"``) that stands for a number,
    which it keeps (:attr:`value`): the text writers print the text, the XLSX writer stores the
    number (in scientific format), so a reader can compute with it.

    >>> cell = PrintedNumber("<0.00001", 8.3e-11)
    >>> cell, cell.value
    ('<0.00001', 8.3e-11)
    """

    value: float

    def __new__(cls, text: str, value: float) -> PrintedNumber:
        obj = super().__new__(cls, text)
        obj.value = float(value)
        return obj

    def __reduce__(self):  # copy and pickle keep the number
        return (PrintedNumber, (str(self), self.value))
