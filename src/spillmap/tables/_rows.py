"""Rows and columns added to a built :class:`~spillmap.tables.Table`: test rows (a statistic with
its p-value), text rows ("Controls: Yes"), a column of tests across the other columns, and
decimals that keep small coefficients readable.  Numbers are copied, never recomputed.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from spillmap.errors import InputError
from spillmap.tables._format import decimals_for
from spillmap.tables._model import Table

__all__ = ["with_tests", "with_text_rows", "with_column", "with_controls_row", "readable", "fixed_decimals",
           "coef_row_decimals"]


def _frames(table: Table) -> tuple[pd.DataFrame, pd.DataFrame]:
    cols = list(table.body.columns)
    se = table.se if table.se is not None else pd.DataFrame(np.nan, index=table.body.index, columns=cols)
    pv = table.pvalues if table.pvalues is not None else pd.DataFrame(np.nan, index=table.body.index, columns=cols)
    return se, pv


def with_tests(table: Table, tests: Sequence[tuple[str, str, Mapping[str, tuple]]], *, block: str = "tests") -> Table:
    """``table`` with test rows appended.

    Parameters
    ----------
    table
        The table.
    tests
        ``(key, label, {column: (stat, p)})`` per row; a column without a test is left blank.
        Printed ``stat (p)``; the XLSX puts p on its own row.
    block
        The block of the new rows (default ``"tests"``).
    """
    if not tests:
        return table
    cols = list(table.body.columns)
    keys = [k for k, _, _ in tests]
    body = pd.DataFrame([[c[col][0] if col in c and c[col][0] is not None else ("" if col not in c else np.nan)
                          for col in cols] for _, _, c in tests], index=keys, columns=cols, dtype=object)
    pv = pd.DataFrame([[np.nan if col not in c or c[col][1] is None else c[col][1] for col in cols]
                       for _, _, c in tests], index=keys, columns=cols, dtype=float)
    rows = pd.DataFrame({"label": [lab for _, lab, _ in tests], "block": block, "kind": "test", "decimals": 3},
                        index=keys)
    se, pvalues = _frames(table)
    return table.with_options(
        body=pd.concat([table.body.astype(object), body]), rows=pd.concat([table.rows, rows]),
        se=pd.concat([se, pd.DataFrame(np.nan, index=keys, columns=cols)]), pvalues=pd.concat([pvalues, pv]))


def with_text_rows(table: Table, rows: Sequence[tuple[str, str, Sequence[str]]], *, block: str,
                   before: str | None = None) -> Table:
    """``table`` with text rows (e.g. ``("controls", "Controls", ["Yes", "Yes"])``) in ``block``.

    Parameters
    ----------
    table
        The table.
    rows
        ``(key, label, one text per column)`` per row.
    block
        The block of the new rows.
    before
        Insert them before the first row of this block (default, or when no row is in it: at the end).
    """
    if not rows:
        return table
    cols = list(table.body.columns)
    keys = [k for k, _, _ in rows]
    body = pd.DataFrame([list(v) for _, _, v in rows], index=keys, columns=cols, dtype=object)
    meta = pd.DataFrame({"label": [lab for _, lab, _ in rows], "block": block, "kind": "text", "decimals": 0},
                        index=keys)
    blank = pd.DataFrame(np.nan, index=keys, columns=cols)
    hit = np.flatnonzero(table.rows["block"].to_numpy() == before) if before is not None else []
    at = int(hit[0]) if len(hit) else len(table.body)
    se, pv = _frames(table)

    def put(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([a.iloc[:at], b, a.iloc[at:]])

    return table.with_options(body=put(table.body.astype(object), body), rows=put(table.rows, meta),
                              se=put(se, blank), pvalues=put(pv, blank))


def with_column(table: Table, key: str, header: Mapping[str, str], values: Mapping[str, tuple]) -> Table:
    """``table`` with one more column: blank except the rows of ``values`` (``{row: (value, p)}``).

    Parameters
    ----------
    table
        The table.
    key
        The new column's key.
    header
        Its header fields (``{"label": "Across groups"}``; the others blank).
    values
        ``{row key: (value, p)}``: e.g. the statistic and p-value of a test row.
    """
    body = table.body.astype(object).copy()
    body[key] = [values[r][0] if r in values else "" for r in body.index]
    se, pv = _frames(table)
    se, pv = se.assign(**{key: np.nan}), pv.copy()
    pv[key] = [np.nan if r not in values or values[r][1] is None else values[r][1] for r in body.index]
    columns = table.columns.copy()
    columns.loc[key] = [header.get(h, "") for h in columns.columns]
    return table.with_options(body=body, se=se, pvalues=pv, columns=columns)


def coef_row_decimals(key: str, values: Sequence[float], decimals: int | None, *, base: int = 3,
                      most: int = 6) -> int:
    """The decimals of a coefficient or effect row of :func:`~spillmap.tables.regression_table`
    (and of :func:`fixed_decimals`): a function of the row's own numbers only.

    Parameters
    ----------
    key
        The row key (``beta:int``, ``rho``, ``variance:sigma2``, ``direct:int`` ...).
    values
        The row's estimates and standard errors, every column.
    decimals
        ``None``: ``base``; more (up to ``most``) only when some non-zero value would print as
        zero with ``base`` (``0.000``), then two significant digits of the smallest
        (``0.00040 (0.00012)``, while ``-0.0090 (0.0262)`` prints ``-0.009 (0.026)``).  An
        integer: that many.  A variance row (key ``variance:...``: σ², φ) keeps two significant
        digits of its smallest value, between ``base`` (or ``decimals``) and ``most``.
    base, most
        Least and most decimals (defaults 3 and 6).

    Returns
    -------
    int
        The decimals.
    """
    least = base if decimals is None else int(decimals)
    if str(key).startswith("variance:"):
        return decimals_for(values, digits=2, least=least, most=max(least, most))
    if decimals is not None:
        return least
    v = np.abs(np.asarray(values, dtype=float))
    shows_zero = bool(((v > 0) & (v < 0.5 * 10.0 ** -base)).any())
    return decimals_for(values, digits=2, least=base, most=most) if shows_zero else base


def _row_numbers(table: Table, key: str) -> list[float]:
    vals = pd.to_numeric(table.body.loc[key], errors="coerce").tolist()
    return vals + (table.se.loc[key].tolist() if table.se is not None else [])


def readable(table: Table, *, base: int = 3, most: int = 6) -> Table:
    """``table`` with more decimals on coefficient rows that would print as ``0.000``.

    Parameters
    ----------
    table
        The table.  The rows of a :func:`~spillmap.tables.regression_table` keep the decimals
        it chose (``Table.decimals_chosen``), by the same rule.
    base, most
        Each ``coef`` row gets :func:`coef_row_decimals` of its own estimates and SEs: ``base``,
        or two significant digits of its smallest value (up to ``most``) when some non-zero value
        would print as zero -- the rule of ``[tables] decimals`` (docs/config.md), one for every
        table of a report, so a coefficient prints alike wherever it appears.  Every format
        states the same decimals (``Table.rows``).
    """
    if table.decimals_chosen:
        return table
    rows = table.rows.copy()
    for key in rows.index[rows["kind"] == "coef"]:
        rows.at[key, "decimals"] = coef_row_decimals(key, _row_numbers(table, key), None, base=base, most=most)
    return table.with_options(rows=rows)


def fixed_decimals(table: Table, decimals: int, *, most: int = 6) -> Table:
    """``table`` with ``decimals`` decimals on every estimate, SE and statistic (one number per
    table, as journals ask), instead of the default's more on small coefficients.

    Parameters
    ----------
    table
        The table.
    decimals
        Decimals of the ``coef``, ``stat`` and ``test`` rows (counts have none, text is text).
    most
        A variance row (σ², φ: key ``variance:...``) keeps two significant digits of its
        smallest non-zero estimate or SE, between ``decimals`` and ``most``: a σ² of 0.0009
        would otherwise print as 0.001 (0.000).
    """
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)) or not 0 <= decimals <= 6:
        raise InputError(f"decimals must be a whole number from 0 to 6, got {decimals!r}.")
    rows = table.rows.copy()
    for key in rows.index[rows["kind"].isin(("coef", "stat", "test"))]:
        numbers = _row_numbers(table, key) if str(key).startswith("variance:") else []
        rows.at[key, "decimals"] = coef_row_decimals(key, numbers, int(decimals), most=most)
    return table.with_options(rows=rows)


def with_controls_row(table: Table, tidies: Sequence[pd.DataFrame], variables: Sequence[str] | None) -> Table:
    """With ``variables=`` leaving regressors out, a row "Controls": Yes where a column has some, as
    the papers print the key-variable rows of a table (paper audit 30 C3)."""
    if variables is None:
        return table
    left = [set(td.loc[td["kind"] == "beta", "variable"].astype(str)) - set(variables) - {"const"} for td in tidies]
    if not any(left):
        return table
    return with_text_rows(table, [("controls", "Controls", ["Yes" if o else "No" for o in left])],
                          block="fixed effects", before="fixed effects")
