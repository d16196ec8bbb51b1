"""Up-front checks of the estimation options that are not a choice among words, and of a panel's cells.

:func:`spillmap.errors.check_choice` checks the word options (``model``, ``fe``,
``lee_yu`` ...); the functions here check a flag, a confidence level, a seed, a
number of draws or of probes, each raising a one-line
:class:`~spillmap.errors.InputError` that names the argument and the values it
takes, before any work (never a numpy/scipy error from deep inside a fit).  The cell checks name the
first text cell of a column of numbers, and the missing or infinite cells of the model's
variables (with the file line of an empty cell when the panel was read from a file).
"""
from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError, Shown, check_choice, format_items, number_written_otherwise
from spillmap.geo._common import first_text_cell

__all__ = ["check_flag", "check_level", "check_seed", "check_draws", "check_probes", "check_effects_options",
           "lower_choice", "model_name", "LOGDET_METHODS", "TRACES"]

#: the log-determinant methods of ``SpatialPanel.fit(logdet_method=...)``
LOGDET_METHODS: tuple[str, ...] = ("auto", "eigen", "lu")
#: the trace methods of the effects
TRACES: tuple[str, ...] = ("auto", "exact", "stochastic")


def _is_integer(value: object) -> bool:
    """An integer (Python or numpy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def lower_choice(value: object, choices: Sequence[str]) -> object:
    """``value`` as the lower-case choice it spells in another case (``"SAR"`` -> ``"sar"``); any
    other value unchanged, for the caller's own refusal to quote as the user wrote it."""
    if isinstance(value, str) and value.strip().lower() in choices:
        return value.strip().lower()
    return value


def model_name(value: object, choices: Sequence[str], name: str = "model") -> str:
    """A model's name in any case (``"SAR"``, ``"Sdm"``, as summaries print them) as its canonical
    lower-case choice; anything else is refused naming the valid ones (:func:`check_choice`).

    >>> model_name("SAR", ("sar", "sem"))
    'sar'
    """
    return str(check_choice(name, lower_choice(value, choices), choices))


def check_flag(name: str, value: object) -> bool:
    """``value`` as a bool when it is one (numpy's too); else an InputError naming ``name``.

    A truthy string such as ``"no"`` must not switch an option on.

    >>> check_flag("re", True)
    True
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise InputError(f"{name} must be True or False; got {value!r}.")


def check_level(level: object, name: str = "level") -> object:
    """``level`` unchanged when it is a probability in (0, 1); else an InputError.

    >>> check_level(0.9)
    0.9
    """
    if isinstance(level, numbers.Real) and not isinstance(level, bool | np.bool_) and 0 < level < 1:
        return level
    raise InputError(f"{name}={level!r} is not in (0, 1): give a probability such as 0.95 (a 95% interval).")


def check_seed(seed: object) -> object:
    """``seed`` unchanged when it is a non-negative integer; else an InputError.

    >>> check_seed(0)
    0
    """
    if _is_integer(seed) and seed >= 0:
        return seed
    raise InputError(f"seed must be a non-negative integer (e.g. seed=0); got {seed!r}.")


def check_draws(draws: object) -> object:
    """``draws`` unchanged when it is a non-negative whole number (0: the delta method); else an InputError."""
    if isinstance(draws, numbers.Real) and not isinstance(draws, bool | np.bool_) and draws >= 0 \
            and int(draws) == draws:
        return draws
    raise InputError(f"draws must be a non-negative integer (0 for the delta method); got {draws!r}.")


def check_probes(probes: object, name: str = "trace_probes") -> object:
    """``probes`` unchanged when it is ``None`` (the default) or a positive integer; else an InputError."""
    if probes is None or (_is_integer(probes) and probes >= 1):
        return probes
    raise InputError(f"{name} must be a positive integer or None (the default); got {probes!r}.")


def check_effects_options(*, draws: object, seed: object, method: object, traces: object, level: object) -> None:
    """The options of the average effects, checked before any work (every entry point calls this)."""
    check_choice("method", method, ("simulation", "delta"))
    check_choice("traces", traces, TRACES)
    check_draws(draws)
    check_seed(seed)
    check_level(level)


# ------------------------------------------------------------------ cells
def _text_cells(data: pd.DataFrame, col: str, cell: Callable[[int], str]) -> str:
    """``""`` when ``col`` is numeric, else a sentence naming its first non-numeric cell."""
    s = data[col]
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return ""
    text = first_text_cell(s)
    if text is None:
        return f"column {col!r} holds numbers stored as text; convert it with pandas.to_numeric"
    from spillmap._rowplace import file_place

    k, shown, count = text
    place = file_place(data, [data.index[k]], parens=False)
    return (f"column {col!r} is not numeric: {shown} at {cell(k)} ({f'{place}; ' if place else ''}"
            f"{count} non-numeric cell(s)); clean it or convert it with pandas.to_numeric")


def text_columns_in(data: pd.DataFrame, expression: str, cell: Callable[[int], str]) -> str:
    """``""``, or a sentence naming the first non-numeric cell of every column of numbers stored
    as text (at least half its cells are numbers) whose name appears in ``expression`` (a
    formula or a transform such as ``log(gsp)``) as a whole word: why formulaic failed on it,
    in the words of :func:`_text_cells`.  Columns of words (categories) are left out."""

    named = [str(c) for c in data.columns if re.search(rf"(?<![\w.]){re.escape(str(c))}(?![\w.])", expression)]
    return "; ".join(_text_cells(data, c, cell) for c in named if _numbers_as_text(data[c]))


def _numbers_as_text(s: pd.Series) -> bool:
    """A text column at least half of whose non-missing cells are numbers, parsed or written in an
    export habit :func:`~spillmap.errors.number_hint` explains (``"15032,67"``)."""
    if not (pd.api.types.is_string_dtype(s.dtype) or s.dtype == object):
        return False
    nonnull = s.dropna()
    if not len(nonnull):
        return False
    parsed = pd.to_numeric(nonnull, errors="coerce").notna()
    if parsed.mean() >= 0.5:
        return True
    return (parsed.sum() + nonnull[~parsed].map(number_written_otherwise).sum()) >= 0.5 * len(nonnull)


def _bad_cells(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the cells of ``s`` that are missing (empty, or text that is not a number) and of
    those that are infinite numbers."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.isna().to_numpy(), np.zeros(len(s), dtype=bool)
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.isnan(v), np.isinf(v)


def _empty_cells(data: pd.DataFrame, names: Sequence[str], rows: np.ndarray) -> tuple[list[str], str]:
    """The columns of ``names`` whose bad value at ``rows`` comes from an empty, non-numeric or
    infinite cell of the data, and where the first such cell is (``" (p.csv: line 102, column
    'gsp': an empty or non-numeric cell)"``; without a file, only the column)."""
    from spillmap._rowplace import rows_place

    hits, first = [], None
    for name in names:
        cols = [c for c in data.columns if isinstance(c, str)]
        inner = [c for c in cols if c != name and re.search(rf"(?<![\w.]){re.escape(c)}(?![\w.])", name)]
        for col in inner or ([name] if name in cols else []):
            na, inf = _bad_cells(data[col].iloc[rows])
            if na.any() or inf.any():
                hits.append(name)
                k = int(np.flatnonzero(na | inf)[0])
                kind = "an empty or non-numeric cell" if na[k] else "an infinite value"
                first = first or (col, data.index[rows[k]], kind)
                break
    if first is None:
        return [], ""
    lines = rows_place(data, [first[1]])
    return hits, f" ({f'{lines}, ' if lines else ''}column {first[0]!r}: {first[2]})"


def _check_finite(values: np.ndarray, names: Sequence[str], cell: Callable[[int], str],
                  data: pd.DataFrame | None = None) -> None:
    """NaN / inf cells of the (rows x columns) ``values``, named by column and (id, time); an empty
    cell of ``data`` behind one is named by its file line."""
    bad = ~np.isfinite(values)
    if bad.any():
        cols_bad = [names[j] for j in np.flatnonzero(bad.any(axis=0))]
        rows = np.flatnonzero(bad.any(axis=1))
        empty, hint = _empty_cells(data, cols_bad, rows) if data is not None else ([], "")
        logs = [c for c in cols_bad if str(c).replace(" ", "").startswith(("log(", "np.log(")) and c not in empty]
        hint += (f" ({format_items(logs)}: the log of a value <= 0 is -inf or missing)" if logs else "")
        raise DataError(
            f"missing or infinite values in {format_items(cols_bad)} at (id, time) "
            f"{format_items([Shown(cell(r)) for r in rows])}{hint}; "
            "impute these cells, or drop their units from every period (the panel must stay balanced)."
        )
