"""The regressors and the dependent variable of a panel model, from a formula or from column names.

:func:`design` returns ``(y, X without intercept, y_name)`` for
:func:`~spillmap.estimation._data.build_panel_data`; formulaic builds the model matrix from a
formula (nothing but columns and transforms, :func:`spillmap._safe_formula.check_formula`), and
the checks here name the column at fault: a missing column (with the closest name), text in a
numeric column (its first bad cell), and a text column of numbers that a formula would silently
turn into dummy variables.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError, did_you_mean, format_items, one_line

from ._checks import _numbers_as_text, _text_cells, text_columns_in

__all__ = ["design"]


def _missing_columns(data: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise DataError(
            f"columns not in the data: {format_items(missing)}; available: {format_items(list(data.columns))}."
            + did_you_mean(missing[0], data.columns)
        )


def _check_numeric(data: pd.DataFrame, cols: Sequence[str], cell: Callable[[int], str]) -> None:
    problems = [p for p in (_text_cells(data, c, cell) for c in cols) if p]
    if problems:
        raise DataError("; ".join(problems) + ".")


def _formula_text_columns(data: pd.DataFrame, variables: set[str], cell: Callable[[int], str]) -> None:
    """Text columns of numbers used in a formula (formulaic would make them dummy variables)."""
    problems = []
    for col in sorted(v for v in variables if v in data.columns):
        if _numbers_as_text(data[col]):
            problems.append(_text_cells(data, col, cell))
    if problems:
        raise DataError(
            "; ".join(problems) + ". A formula would turn this text column into dummy variables "
            "(one per distinct value); write C(column) if that is what you want."
        )


def design(data: pd.DataFrame, formula: str | None, y: str | None, x: Sequence[str] | None,
           cell: Callable[[int], str]) -> tuple[pd.Series, pd.DataFrame, str]:
    """``(y, X without intercept, y_name)`` from a formula or column names."""
    if formula is not None:
        if y is not None or x is not None:
            raise InputError("give either a formula or y= and x=, not both.")
        if "~" not in formula:
            raise InputError(f"formula {formula!r} has no '~' (expected e.g. 'gtfp ~ int + ins').")
        import formulaic

        from spillmap._safe_formula import check_formula

        check_formula(formula, data.columns, where=f"formula {formula!r}")  # nothing but columns and transforms
        try:  # log(0), log(-1) give -inf / NaN: reported by (id, time) afterwards, not as NumPy's warning
            with np.errstate(divide="ignore", invalid="ignore"):
                mm = formulaic.model_matrix(formula, data, na_action="ignore")
        except Exception as exc:  # formulaic raises many types; a text column is the common cause
            text = text_columns_in(data, formula, cell)
            if text:
                raise DataError(f"formula {formula!r}: {text}.") from None
            missing = re.findall(r"`(\w+)` is not present in the dataset", str(exc))
            if missing:  # a misspelt column: name it, with the columns there are
                cols = [str(c) for c in data.columns]
                raise InputError(f"formula {formula!r}: no column {missing[0]!r} in the data; it has "
                                 f"{format_items(cols, limit=30)}.{did_you_mean(missing[0], cols)}") from None
            raise InputError(f"cannot build the model from formula {formula!r}: {one_line(exc)}") from None
        used = set(mm.lhs.model_spec.variables_by_source.get("data", ()))
        used |= set(mm.rhs.model_spec.variables_by_source.get("data", ()))
        _formula_text_columns(data, used, cell)
        lhs = pd.DataFrame(mm.lhs)
        if lhs.shape[1] != 1:
            raise InputError(f"formula {formula!r} must have exactly one dependent variable.")
        rhs = pd.DataFrame(mm.rhs)
        no_intercept = "Intercept" not in rhs.columns  # '- 1' or '+ 0' in the formula
        rhs = rhs.drop(columns=[c for c in rhs.columns if c == "Intercept"]).astype(float)
        rhs.attrs["no_intercept"] = no_intercept
        return lhs.iloc[:, 0].astype(float), rhs, str(lhs.columns[0])
    if y is None or x is None:
        raise InputError("give a formula (e.g. 'gtfp ~ int + ins') or both y= and x=.")
    x = [x] if isinstance(x, str) else list(x)
    _missing_columns(data, [y, *x])
    _check_numeric(data, [y, *x], cell)
    if len(set(x)) != len(x):
        raise InputError(f"regressors are repeated: {format_items(x)}.")
    if y in x:
        raise InputError(f"the dependent variable {y!r} is also a regressor.")
    return data[y].astype(float), data[x].astype(float), str(y)
