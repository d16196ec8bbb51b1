"""Tables that are not regressions: diagnostics (statistic with p), descriptive statistics,
any frame of numbers -- built on the same :class:`~spillmap.tables.Table`, so the same
writers render them.

pandas computes the descriptive statistics; the rest only arranges frames.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.tables._model import Table, table_from_frame

__all__ = ["stats_table", "describe", "descriptive_table", "frame_table"]

frame_table = table_from_frame


def _split_stat_p(frame: pd.DataFrame, stat: str, p: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    if isinstance(frame.columns, pd.MultiIndex):
        level = next((i for i in range(frame.columns.nlevels)
                      if {stat, p} <= set(frame.columns.get_level_values(i))), None)
        if level is None:
            raise InputError(f"the column MultiIndex has no level holding both {stat!r} and {p!r}.")
        return frame.xs(stat, axis=1, level=level), frame.xs(p, axis=1, level=level)
    if {stat, p} <= set(frame.columns):
        return frame[[stat]], frame[[p]].set_axis([stat], axis=1)
    raise InputError(
        f"give pvalues=, or a frame with columns {stat!r} and {p!r} (or a column MultiIndex "
        f"(column, {stat!r}/{p!r})); got columns {list(frame.columns)[:6]}."
    )


def stats_table(
    stats: pd.DataFrame,
    pvalues: pd.DataFrame | None = None,
    *,
    stat: str = "stat",
    p: str = "p",
    labels: Mapping[str, str] | None = None,
    decimals: int = 3,
    caption: str = "",
    notes: Sequence[str] = (),
    stub: str = "",
) -> Table:
    """Test statistics with their p-value in parentheses (``15.513 (0.000)``), e.g. the
    model-choice diagnostics (the seed study's Table 8) with one column per W.

    Parameters
    ----------
    stats
        Rows = tests, columns = e.g. weights; the statistics.  Alternatively a frame with
        a column MultiIndex ``(column, "stat"/"p")`` or plain columns ``stat`` and ``p``,
        when ``pvalues`` is not given; or test results (a :class:`~spillmap.results.TestResult`
        or a list of them, e.g. ``[lr_sdm_sar(...), wald_sdm_sar(...)]``: one row each).
    pvalues
        p-values of the same shape (NaN: no p shown).  A missing statistic prints ``n/a``.
    stat, p
        Names of the statistic and p-value columns (or MultiIndex level values) in
        ``stats`` when ``pvalues`` is not given (default ``"stat"`` and ``"p"``).
    labels
        Row (and column) labels.
    decimals
        Decimals of the statistics (default 3; p-values always 3).
    caption, notes
        Caption and extra notes (the note on the parentheses is added automatically).
    stub
        Header of the label column (default ``""``).
    """
    stats = _from_test_results(stats)
    if pvalues is None:
        stats, pvalues = _split_stat_p(stats, stat, p)
    pv = pd.DataFrame(pvalues).reindex(index=stats.index, columns=stats.columns)
    t = table_from_frame(stats.apply(pd.to_numeric, errors="coerce"), kinds="test", decimals=decimals,
                         labels=labels, caption=caption, notes=notes, stub=stub, value_name="statistic")
    return t.with_options(pvalues=pv.set_axis(t.body.index, axis=0).set_axis(t.body.columns, axis=1), paren=None)


def _from_test_results(stats: Any) -> Any:
    """A TestResult or a sequence of them as the frame of their ``to_frame()`` rows; anything else as
    given (a list of them raised AttributeError: API audit 29 #9)."""
    from spillmap.results import TestResult

    items = [stats] if isinstance(stats, TestResult) else stats
    if isinstance(items, list | tuple) and items and all(isinstance(r, TestResult) for r in items):
        return pd.concat([r.to_frame()[["stat", "p"]] for r in items])
    if not isinstance(stats, pd.DataFrame | pd.Series):
        raise InputError(f"stats_table takes a DataFrame of statistics or test results (TestResult), got "
                         f"{type(stats).__name__}.")
    return stats


def _numeric_values(panel: pd.DataFrame, column: str) -> np.ndarray:
    """The non-missing values of ``panel[column]`` as floats; DataError unless all are numbers.

    Text holding numbers (``"1.5"``) is read as numbers; any other text, a date or a
    duration is refused instead of being dropped as missing or read as a count of
    nanoseconds.
    """
    col = panel[column]
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_object_dtype(col)
            or pd.api.types.is_string_dtype(col) or isinstance(col.dtype, pd.CategoricalDtype)):
        raise DataError(f"columns: {column!r} is not numeric (dtype {col.dtype}); descriptive statistics "
                        "need numbers: leave it out of columns.")
    values = pd.to_numeric(col, errors="coerce")
    text = col.notna() & values.isna()
    if text.any():
        raise DataError(f"columns: {column!r} is not numeric ({int(text.sum())} of {len(col)} values are text, "
                        f"e.g. {col[text].iloc[0]!r}); convert it or leave it out of columns.")
    return values.dropna().to_numpy(dtype=float)


def _summary(v: np.ndarray) -> dict[str, float | int]:
    """N, mean, sd (ddof = 1), min and max of ``v`` (NaN where undefined)."""
    return {
        "N": int(v.size),
        "mean": float(v.mean()) if v.size else math.nan,
        "sd": float(v.std(ddof=1)) if v.size > 1 else math.nan,
        "min": float(v.min()) if v.size else math.nan,
        "max": float(v.max()) if v.size else math.nan,
    }


def describe(panel: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """N, mean, sd (ddof = 1), min, max of each column (rows): the seed study's Table 2.

    Parameters
    ----------
    panel
        The data.
    columns
        Numeric columns of ``panel``.  Missing values are left out of each column's
        statistics (N counts the rest).

    Returns
    -------
    pandas.DataFrame
        One row per column, indexed by ``variable``.

    Raises
    ------
    DataError
        For a column not in ``panel``, or one holding text, dates or durations.
    """
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise DataError(f"column(s) {missing} not in the data; available: {list(panel.columns)[:12]}.")
    values = {c: _numeric_values(panel, c) for c in columns}  # every column checked before any statistic
    out = pd.DataFrame.from_dict({c: _summary(v) for c, v in values.items()}, orient="index")
    out["N"] = out["N"].astype(np.int64)
    out.index.name = "variable"
    return out


def descriptive_table(
    data: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    decimals: int = 3,
    caption: str = "Descriptive statistics",
    notes: Sequence[str] = ("sd with ddof = 1.",),
) -> Table:
    """Descriptive statistics as a :class:`Table`: of ``data[columns]`` (computed by
    :func:`describe`), or of ``data`` itself when it already is a :func:`describe` frame
    (``columns=None``).

    Parameters
    ----------
    data
        The data, or a :func:`describe` frame.
    columns
        Numeric columns of ``data`` to describe; ``None`` (default): ``data`` is a
        :func:`describe` frame, printed as it is.
    labels
        Variable (row) and statistic (column) labels.
    decimals
        Decimals of the statistics (default 3; N has none).
    caption, notes
        Caption (default "Descriptive statistics") and notes (default ``("sd with ddof = 1.",)``).
    """
    frame = describe(data, columns) if columns is not None else data
    if "N" in frame.columns:
        frame = frame.assign(N=frame["N"].astype(np.int64))
    return table_from_frame(frame, kinds="stat", decimals=decimals, labels=labels, caption=caption,
                            notes=notes, stub="Variable", value_name="value")
