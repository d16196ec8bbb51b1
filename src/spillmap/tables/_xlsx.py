"""Excel (XLSX) writer through openpyxl: numbers stay numbers, formats do the printing.

Each estimate is written at full precision with a number format that shows the stated
decimals and the stars (``0.000"***"``); the parenthesis row holds the SE (or t, or p)
as a number formatted ``(0.000)``; counts use ``#,##0``; a diagnostics cell's p-value
goes on its own row in parentheses (deliberately: one number a cell, so that both can be
computed with), and the sheet's note says so ("p-values in parentheses on the row below").
So a reader can compute with any cell, and what Excel shows equals the other formats:
a cell the other formats print "n/a" (a test not computed) holds the text "n/a", not a blank
(paper audit 30, A3); a :class:`PrintedNumber` -- a text such as ``"<0.00001"`` that a table
prints in place of a number too small for its decimals -- is stored as its number, shown in
scientific notation (``8.30E-11``), with a note.  Written by hand: the mapping of table rows
to cells and number formats (openpyxl only writes what it is given).
"""
from __future__ import annotations

import io
import numbers
import re
from collections.abc import Sequence

import numpy as np

from spillmap.tables._format import PrintedNumber, is_missing, stars
from spillmap.tables._model import Table
from spillmap.tables._zip import reproducible_zip

__all__ = ["to_xlsx_bytes", "number_format", "sheet_title", "SCIENTIFIC"]

#: the number format of a :class:`PrintedNumber`: its number in scientific notation, 3 significant digits
SCIENTIFIC = "0.00E+00"
#: the notes on parentheses as :meth:`~spillmap.tables.Table.all_notes` words them, and as a sheet says them
_BELOW = {"Tests: statistic with p-value in parentheses.":
          "Tests: statistic, with its p-value in parentheses on the row below.",
          "p-values in parentheses.": "p-values in parentheses on the row below."}


def number_format(decimals: int, *, suffix: str = "", paren: bool = False, thousands: bool = True) -> str:
    """An Excel number format with ``decimals`` decimals, an optional literal suffix
    (stars) and optional parentheses (``(0.000);(-0.000)``)."""
    base = ("#,##0" if thousands else "0") + ("." + "0" * decimals if decimals > 0 else "")
    lit = f'"{suffix}"' if suffix else ""
    if paren:
        return f"({base}){lit};(-{base}){lit}"
    return f"{base}{lit}"


def _cut(text: str, size: int) -> str:
    """``text`` in at most ``size`` characters, cut at a word boundary when one is near."""
    if len(text) <= size:
        return text
    cut = text[:size]
    space = cut.rfind(" ")
    return (cut[:space] if space >= size // 2 else cut).rstrip(" -,;.(")


def sheet_title(text: str, used: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of ``[]:*?/\\``) that reads like the
    caption: ``"Baseline: non-spatial two-way fixed effects"`` gives ``"Baseline - non-spatial two-way"``.

    >>> sheet_title("Baseline: non-spatial two-way fixed effects", set())
    'Baseline - non-spatial two-way'
    """
    base = re.sub(r"\s*:\s*", " - ", text)
    base = re.sub(r"[\s\[\]*?/\\]+", " ", base).strip(" '") or "Table"
    name, i = _cut(base, 31), 2
    while name.lower() in used:
        suffix = f" ({i})"
        name, i = _cut(base, 31 - len(suffix)) + suffix, i + 1
    used.add(name.lower())
    return name


class _Cells:
    """A frame's cells by row key, read as ``frame.at[key, column]`` reads them (each column's array
    indexed at the row's position), without ``.at``'s checks on every cell (a demo's 13 workbooks
    spent a third of their time there)."""

    def __init__(self, frame, columns) -> None:
        self.loc = frame.index.get_loc
        self.arrays = [frame[c].array for c in columns]

    def row(self, key) -> list:
        pos = self.loc(key)
        return [a[pos] for a in self.arrays]


def _value_cells(table: Table, meta: tuple[str, int], values: list, pvals: list | None, paren: list | None,
                 printed: Sequence[str]):
    """``[(main_value, main_format), ...]`` and the parenthesis row (or ``None``) of a row of kind and
    decimals ``meta`` and cells ``values`` (p-values ``pvals``, numbers in parentheses ``paren``: the
    row's cells of ``table.pvalues`` and of the frame printed in parentheses); ``printed``: the row's
    cells as the other formats print them (:meth:`~spillmap.tables.Table.grid`)."""
    kind, dec = meta
    mains, parens = [], []
    for j, (v, text) in enumerate(zip(values, printed)):
        if is_missing(v):  # blank, or the text the other formats print for it ("n/a": a test not computed)
            mains.append((text, "@") if text else (None, "General"))
        elif isinstance(v, PrintedNumber):
            mains.append((v.value, SCIENTIFIC))
        elif isinstance(v, str) or kind == "text":
            mains.append((str(v), "@"))
        elif kind == "count":
            mains.append((int(round(float(v))), "#,##0"))
        elif kind == "coef" and pvals is not None and table.star_levels:
            mains.append((float(v), number_format(dec, suffix=stars(pvals[j], table.star_levels))))
        elif isinstance(v, numbers.Integral) and not isinstance(v, bool | np.bool_):  # a count (N of a column)
            mains.append((int(v), "#,##0"))
        else:
            mains.append((float(v), number_format(dec)))
        pv = None if paren is None or is_missing(v) else paren[j]
        pdec = 3 if kind == "test" else dec
        parens.append((None, "General") if is_missing(pv) else (float(pv), number_format(pdec, paren=True)))
    has_paren = any(p[0] is not None for p in parens)
    return mains, (parens if has_paren else None)


def _notes(table: Table) -> list[str]:
    """The table's notes as the sheet needs them: a p-value in parentheses is on the row below its
    statistic (the other formats print both in one cell), and a number printed as a bound elsewhere
    is in scientific notation here."""
    given = table.all_notes()
    notes = [_BELOW.get(n, n) for n in given]
    tests = table.has("test") and table.pvalues is not None and table.pvalues.notna().to_numpy().any()
    if tests and not any(n in _BELOW for n in given):
        notes.append("p-values in parentheses on the row below their statistic.")
    bound = next((v for v in table.body.to_numpy().ravel() if isinstance(v, PrintedNumber)), None)
    if bound is not None:
        notes.append(f"Numbers printed as a bound in the other formats (such as {bound}) "
                     "are stored here in full, shown in scientific notation.")
    return notes


def _put_row(ws, r: int, cells, center) -> None:
    """``(value, number format)`` pairs in row ``r`` from column 2 on, centred."""
    for j, (v, fmt) in enumerate(cells, start=2):
        c = ws.cell(r, j, v)
        c.number_format = fmt
        c.alignment = center


def _write_sheet(ws, table: Table) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side

    heavy, light = Side(style="medium"), Side(style="thin")
    center = Alignment(horizontal="center")  # one object for every cell: openpyxl stores it once anyway
    r = 1
    if table.caption:
        ws.cell(r, 1, table.caption).font = Font(bold=True)
        r += 2
    first_header = r
    runs_all = table.header_runs() or ((("", table.body.shape[1]),),)
    for i, runs in enumerate(runs_all):
        ws.cell(r, 1, table.stub if i == 0 else None)
        col = 2
        for text, span in runs:
            ws.cell(r, col, text).alignment = center
            if span > 1:
                ws.merge_cells(start_row=r, start_column=col, end_row=r, end_column=col + span - 1)
            col += span
        r += 1
    last_header = r - 1
    ncol = table.body.shape[1] + 1
    titles = dict(table.block_titles)
    printed = {row.key: row.cells for row in table.grid().rows if row.kind == "main"}
    cols = table.body.columns
    meta = _Cells(table.rows, ["kind", "decimals", "block", "label"])
    body, pvals = _Cells(table.body, cols), None if table.pvalues is None else _Cells(table.pvalues, cols)
    paren_frames = {"coef": table.paren_values(), "test": table.pvalues}
    parens = {k: None if f is None else _Cells(f, cols) for k, f in paren_frames.items()}
    prev = None
    for key in table.body.index:
        kind, dec, block, label = meta.row(key)
        block = str(block)
        if block != prev and titles.get(block):
            ws.cell(r, 1, titles[block]).font = Font(italic=True)
            r += 1
        prev = block
        paren = parens.get(str(kind))
        mains, paren_cells = _value_cells(table, (str(kind), int(dec)), body.row(key),
                                          None if pvals is None else pvals.row(key),
                                          None if paren is None else paren.row(key), printed[key])
        ws.cell(r, 1, str(label))
        _put_row(ws, r, mains, center)
        r += 1
        if paren_cells is not None:
            _put_row(ws, r, paren_cells, center)
            r += 1
    last_body = r - 1
    for col in range(1, ncol + 1):
        ws.cell(first_header, col).border = Border(top=heavy)
        top = heavy if last_header == first_header else None
        ws.cell(last_header, col).border = Border(top=top, bottom=light)
        ws.cell(last_body, col).border = Border(bottom=heavy)
    for note in _notes(table):
        r += 1
        ws.cell(r, 1, note).font = Font(size=9)
    ws.column_dimensions["A"].width = max([len(str(x)) for x in table.rows["label"]] + [12]) + 2
    for j in range(2, ncol + 1):
        ws.column_dimensions[ws.cell(1, j).column_letter].width = 14


def to_xlsx_bytes(tables: Table | Sequence[Table], *, sheet_names: Sequence[str] | None = None) -> bytes:
    """An Excel workbook with one sheet per table (named from ``sheet_names`` or captions).

    Parameters
    ----------
    tables
        One table or a sequence of them.
    sheet_names
        One name per table (default: each caption, or "Table <i>"); made valid and unique
        for Excel.
    """
    try:
        from openpyxl import Workbook
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError("writing .xlsx needs openpyxl: pip install openpyxl") from exc
    items = [tables] if isinstance(tables, Table) else list(tables)
    names = list(sheet_names) if sheet_names is not None else [t.caption or f"Table {i + 1}" for i, t in enumerate(items)]
    wb = Workbook()
    wb.properties.creator = wb.properties.lastModifiedBy = "spillmap"  # not "openpyxl"; dates: _zip
    wb.remove(wb.active)
    used: set[str] = set()
    for tab, name in zip(items, names):
        _write_sheet(wb.create_sheet(sheet_title(name, used)), tab)
    buf = io.BytesIO()
    wb.save(buf)
    return reproducible_zip(buf.getvalue())
