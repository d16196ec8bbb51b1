"""The indicator columns ``spillmap screen`` takes from a panel: listed ones must be numbers
(a text or infinite cell is named by file line and column), ``all`` / patterns leave the others
out and say so.  Split from :mod:`spillmap.cli._screen` (its options and run); composition only.
"""
from __future__ import annotations

import argparse
import sys

def check_listed_indicators(panel, args: argparse.Namespace) -> None:
    """A column named in ``--indicators``, ``--lm-y``, ``--lm-x`` or ``--composite`` that the panel lacks,
    a pattern that takes none, or a named column that holds text or an infinite value: one-line error
    naming the file, the line (:func:`spillmap._rowplace.cell_place`), the column and the value, found
    before any work (before the layer is read)."""
    from spillmap.errors import DataError
    from spillmap.screen._spec import is_numeric, is_pattern

    _check_named_columns(panel, args)
    listed = [(col, f"leave {col!r} out of --indicators") for col in args.indicators]
    listed += [(col, f"choose another {opt}") for opt, cols in (("--lm-y", [args.lm_y]), ("--lm-x", args.lm_x or []))
               for col in cols if col]
    for col, advice in listed:
        if col == "all" or is_pattern(col) or col not in panel.columns:
            continue
        problem = _text_cell(panel, col) if not is_numeric(panel[col]) else (
            _infinite_cell(panel, col) or _empty_cell(panel, col))
        if problem is not None:
            raise DataError(f"{problem}; clean it or {advice}.")


def _check_named_columns(panel, args: argparse.Namespace) -> None:
    """Every column the options name is in the panel (:func:`spillmap._readcsv.require_columns`, the
    message of ``spillmap fit``: the file, the columns it has, "Did you mean"), and every ``--indicators``
    pattern takes a numeric column or a composite (:func:`spillmap.screen._spec.select_indicators`'s error)."""
    import fnmatch

    from spillmap._readcsv import require_columns
    from spillmap.cli._screen import parse_composite
    from spillmap.screen._spec import is_pattern, select_indicators

    composites = dict(parse_composite(c) for c in args.composite)
    named = [c for c in args.indicators if c != "all" and not is_pattern(c) and c not in composites]
    named += [c for c in (args.lm_y, *(args.lm_x or [])) if c]
    named += [c for spec in composites.values() for c in (*spec["positive"], *spec["negative"])]
    require_columns(panel, args.data, named)
    for item in args.indicators:
        if is_pattern(item) and not any(fnmatch.fnmatchcase(name, item) for name in composites):
            select_indicators(panel, [item], exclude=[args.id] + ([args.time] if args.time else []))


def _text_cell(panel, col: str) -> str | None:
    """``"p.csv: line 5, column 'x': 'n/a' is not a number (2 non-numeric cell(s))"``, or None."""
    from spillmap._rowplace import cell_place
    from spillmap.geo._common import first_text_cell

    text = first_text_cell(panel[col])
    if text is None:
        return None
    k, shown, count = text
    return f"{cell_place(panel, [panel.index[k]], col)}: {shown} is not a number ({count} non-numeric cell(s))"


def _infinite_cell(panel, col: str) -> str | None:
    """``"p.csv: line 51, column 'unemp': inf is not a finite number (1 infinite cell(s))"`` for a
    numeric column with an infinite value (a literal ``inf`` in the file), or None."""
    import numpy as np

    from spillmap._rowplace import cell_place

    bad = np.isinf(panel[col].to_numpy(dtype=float, na_value=np.nan))
    if not bad.any():
        return None
    k = int(np.flatnonzero(bad)[0])
    return (f"{cell_place(panel, [panel.index[k]], col)}: {panel[col].iloc[k]} is not a finite number "
            f"({int(bad.sum())} infinite cell(s))")


def _empty_cell(panel, col: str) -> str | None:
    """``"p.csv: line 10, column 'unemp': empty cell (1 empty cell(s))"`` for a column the user named
    that has a missing value (it was screened as a failure with exit 0: bad-input audit 29 C2), or None."""
    from spillmap._rowplace import cell_place

    bad = panel[col].isna().to_numpy()
    if not bad.any():
        return None
    k = int(bad.nonzero()[0][0])
    return f"{cell_place(panel, [panel.index[k]], col)}: empty cell ({int(bad.sum())} empty cell(s))"


def _taken(col, args: argparse.Namespace) -> bool:
    """Whether ``--indicators all`` or one of its patterns takes the column ``col``."""
    import fnmatch

    from spillmap.screen._spec import is_pattern

    return any(item == "all" or (is_pattern(item) and fnmatch.fnmatchcase(str(col), item))
               for item in args.indicators)


def left_out_columns(panel, args: argparse.Namespace) -> list[str]:
    """The non-numeric columns that ``--indicators all`` or a pattern takes and the screen leaves out."""
    from spillmap.screen._spec import is_numeric

    return [c for c in panel.columns if c not in {args.id, args.time, *args.indicators} and not is_numeric(panel[c])
            and _taken(c, args)]


def infinite_columns(panel, args: argparse.Namespace) -> list[str]:
    """The numeric columns with an infinite value that ``--indicators all`` or a pattern takes and
    the screen leaves out (one named in ``--indicators`` is an error, :func:`check_listed_indicators`)."""
    from spillmap.screen._spec import is_numeric

    return [c for c in panel.columns if c not in {args.id, args.time, *args.indicators} and is_numeric(panel[c])
            and _taken(c, args) and _infinite_cell(panel, c)]


def screened_indicators(panel, args: argparse.Namespace) -> list[str]:
    """``--indicators`` as given, or, when it takes columns with infinite values
    (:func:`infinite_columns`), the columns it selects without them."""
    from spillmap.screen._spec import select_indicators

    skip = infinite_columns(panel, args)
    if not skip:
        return list(args.indicators)
    chosen = select_indicators(panel, args.indicators, exclude=[args.id] + ([args.time] if args.time else []))
    return [c for c in chosen if c not in skip]


def _stray_text(panel, col: str) -> str | None:
    """Where a column of numbers (at least half its filled cells) holds text: its first such cell by
    file line and what it holds; None for a column of words."""
    import pandas as pd

    from spillmap._rowplace import cell_place
    from spillmap.geo._common import first_text_cell

    filled = panel[col].dropna()
    found = first_text_cell(panel[col])
    if found is None or not len(filled) or pd.to_numeric(filled, errors="coerce").notna().mean() < 0.5:
        return None
    return f"{cell_place(panel, [panel.index[found[0]]], col)} holds {found[1]} in a column of numbers"


def note_left_out(panel, args: argparse.Namespace) -> None:
    """Say in one line which columns ``--indicators all`` (or a pattern) leaves out, as non-numeric
    or with an infinite value: a warning when one of them is a column of numbers with a stray text
    cell or an infinite cell (named by its file line), else a note on stderr (not with ``--quiet``)."""
    import warnings

    from spillmap.errors import DataWarning, format_items

    cols, infinite = left_out_columns(panel, args), infinite_columns(panel, args)
    if not cols and not infinite:
        return
    parts = ([f"the non-numeric column(s) {format_items(cols)}"] if cols else []) + (
        [f"the column(s) {format_items(infinite)} with infinite values"] if infinite else [])
    text = f"--indicators {' '.join(args.indicators)} leaves out {' and '.join(parts)}"
    stray = [s for s in (_stray_text(panel, c) for c in cols) if s] + [_infinite_cell(panel, c) for c in infinite]
    if stray:
        warnings.warn(f"{text}; {'; '.join(stray)} (clean the cell to screen the column).", DataWarning, stacklevel=2)
    elif not args.quiet:
        print(f"spillmap screen: note: {text}.", file=sys.stderr)
