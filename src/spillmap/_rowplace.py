"""Where a row of a user's table is: its line in the CSV file or its row in the Excel sheet.

The readers (:mod:`spillmap._readcsv`, :mod:`spillmap._readexcel`) record the file a table came
from in ``DataFrame.attrs``; the checks of a panel's keys (an empty id or period, a period
unlike the others) name the cell by file line and column through :func:`cell_place`.  The
line numbers are computed only when an error is raised (the file is read again), so reading
costs nothing.  A table that did not come from a file is named by its row index.  Written by
hand: pandas skips blank lines and joins quoted multi-line fields, so a row's file line is not
its position plus two in every file.
"""
from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from spillmap.errors import DataError, format_items

__all__ = ["mark_source", "cell_place", "rows_place", "file_place", "source_name", "check_keys_filled", "check_periods"]

_KEY = "spillmap_source"


def mark_source(df: pd.DataFrame, path: str | os.PathLike, *, sheet: str | None = None) -> pd.DataFrame:
    """``df`` (read from ``path``, its sheet ``sheet``; index 0..n-1) with its source recorded."""
    df.attrs[_KEY] = {"path": str(path), "sheet": sheet, "n": len(df)}
    return df


def _csv_lines(path: Path) -> list[int]:
    """The first file line (1-based) of every data record, as pandas reads them (blank lines skipped)."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text))
    starts, header = [], True
    end = 0
    for row in reader:
        start, end = end + 1, reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if header:
            header = False
            continue
        starts.append(start)
    return starts


def _sheet_rows(path: Path, sheet: str | None) -> list[int]:
    """The sheet rows (1-based) of the data rows: rows with a value, after the header row."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet] if sheet is not None else wb.active
        rows = [k for k, r in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)
                if any(v is not None for v in r)]
    finally:
        wb.close()
    return rows[1:]


def _file_rows(df: pd.DataFrame) -> tuple[str, str, list[int]] | None:
    """``(file name, "line" or "sheet row", numbers by row position)`` of a table read from a file."""
    src = df.attrs.get(_KEY)
    if not src:
        return None
    path = Path(src["path"])
    try:
        if src["sheet"] is None:
            return path.name, "line", _csv_lines(path)
        return f"{path.name}, sheet {src['sheet']!r}", "row", _sheet_rows(path, src["sheet"])
    except (OSError, ValueError, KeyError, ImportError):
        return None


def source_name(df: pd.DataFrame) -> str | None:
    """``"p.csv"`` (``"p.xlsx, sheet 'S'"``) for a table read from a file, else None."""
    src = df.attrs.get(_KEY)
    if not src:
        return None
    name = Path(src["path"]).name
    return name if src["sheet"] is None else f"{name}, sheet {src['sheet']!r}"


def rows_place(df: pd.DataFrame, labels: Sequence) -> str | None:
    """``"p.csv: lines 21, 22"`` for the rows ``labels`` (index labels) of a table read from a
    file (index labels still its row positions), else None."""
    labels = list(labels)
    n = df.attrs.get(_KEY, {}).get("n")
    if n is None or not all(isinstance(k, (int, np.integer)) and 0 <= k < n for k in labels):
        return None
    src = _file_rows(df)
    if src is None or len(src[2]) != n:
        return None
    name, unit, numbers = src
    shown = [numbers[int(k)] for k in labels]
    return f"{name}: {unit}{'s' if len(shown) > 1 else ''} {format_items(shown)}"


def file_place(df: pd.DataFrame, labels: Sequence, column: str | None = None, *, parens: bool = True) -> str:
    """``" (p.csv: line 21, column 'gsp')"`` (``" (p.csv: lines 5, 242)"`` without a column;
    ``"p.csv: line 21, column 'gsp'"`` with ``parens=False``) for the rows ``labels`` (index labels)
    of a table read from a file, to add to a message that already names the cells by (id, time);
    ``""`` for a table that was not read from a file."""
    rows = rows_place(df, labels)
    if rows is None:
        return ""
    place = f"{rows}{f', column {column!r}' if column is not None else ''}"
    return f" ({place})" if parens else place


def cell_place(df: pd.DataFrame, labels: Sequence, column: str) -> str:
    """``"p.csv: line 21, column 'year'"`` for the rows ``labels`` (index labels) of ``df``, or
    ``"column 'year', row index 19"`` for a table that was not read from a file."""
    labels = list(labels)
    rows = rows_place(df, labels)
    if rows is not None:
        return f"{rows}, column {column!r}"
    return f"column {column!r}, row index {format_items(labels)}"


def _blank_text(s: pd.Series) -> np.ndarray:
    """Mask of the cells of ``s`` that are text of whitespace only ('', '  ', a tab); other values
    (numbers, missing) are False.  A string column: only the cells that are empty or start with
    whitespace (``str.isspace`` of their first character, found by one vectorised slice) are read
    one by one (2-6 against 17-25 ms for 100,000 ids); any other column: one loop over a plain
    object array (pandas' ``map`` over an Arrow-backed string column is about twice as slow)."""
    if isinstance(s.dtype, pd.StringDtype):
        first = s.str.slice(0, 1)
        heads = [h for h in pd.unique(first.dropna()).tolist() if not h.strip()]
        rows = np.flatnonzero(first.isin(heads).to_numpy(dtype=bool, na_value=False)) if heads else np.zeros(0, int)
        out = np.zeros(len(s), dtype=bool)
        out[rows] = [not v.strip() for v in s.iloc[rows].tolist()]
        return out
    text = s.to_numpy(dtype=object)
    return np.fromiter((isinstance(v, str) and not v.strip() for v in text), dtype=bool, count=len(text))


def check_keys_filled(df: pd.DataFrame, id: str | None, time: str | None = None) -> None:  # noqa: A002
    """Every cell of the key columns ``id`` and ``time`` (None: skipped) holds a value, else a
    DataError naming the file lines (or row index) and the column."""
    for col, what in ((id, "unit id"), (time, "period")):
        if col is None or col not in df.columns:
            continue
        empty = df[col].isna().to_numpy().copy()
        if pd.api.types.is_string_dtype(df[col].dtype) or df[col].dtype == object:
            empty |= _blank_text(df[col])
        if empty.any():
            raise DataError(f"{cell_place(df, df.index[empty], col)}: empty; every row needs its {what}.")


_INT_TEXT = re.compile(r"\s*[+-]?\d{1,18}\s*")
#: share of a time column's cells that must be integers for the others to be taken for mistakes
_MOSTLY = 0.8


def _integer_cells(s: pd.Series) -> np.ndarray:
    """Mask of the cells of ``s`` that are whole numbers of at most 18 digits (or such text)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return np.zeros(len(s), dtype=bool)
    if pd.api.types.is_integer_dtype(s.dtype):
        return np.ones(len(s), dtype=bool)
    if pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            return np.isfinite(v) & (np.mod(v, 1) == 0) & (np.abs(v) < 1e18)
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        return s.map(lambda v: (isinstance(v, (int, np.integer)) and not isinstance(v, bool) and abs(v) < 10**18)
                     or (isinstance(v, float) and v.is_integer() and abs(v) < 1e18)
                     or (isinstance(v, str) and _INT_TEXT.fullmatch(v) is not None)).to_numpy(dtype=bool)
    return np.ones(len(s), dtype=bool)  # dates and other types: periods of their own kind


def check_periods(df: pd.DataFrame, time: str | None) -> None:
    """A time column that is mostly integers (years) holds nothing else: a cell such as ``1971a``,
    ``1971.5`` or a 20-digit number is a DataError naming its file line (or row index), not a
    period of its own that would make the panel look unbalanced.  Text and date periods pass."""
    if time is None or time not in df.columns:
        return
    s = df[time]
    filled = s.notna().to_numpy()
    ints = _integer_cells(s) & filled
    odd = filled & ~ints
    if not odd.any() or ints.sum() < _MOSTLY * filled.sum():
        return
    k = int(np.flatnonzero(odd)[0])
    more = f" ({int(odd.sum())} such cells)" if odd.sum() > 1 else ""
    raise DataError(f"{cell_place(df, [df.index[k]], time)}: '{s.iloc[k]}' is not a period like the others "
                    f"(integers){more}.")
