"""The XLSX writer's cells read from the table's arrays directly (stop 32), read back with openpyxl.

Each cell must hold what ``frame.at[row, column]`` gave before: the estimate as a number with its stars in
the number format, the number in parentheses (the SE, or t = estimate / SE) on the row below, a count as
an integer, text as text; the merged header, the caption, the centring, the rules and the notes.  (Byte
identity with the files of 5c2a7d2 is checked on the demo's and the US report's workbooks by
``benchmarks/bench_maps.py --writers-ab``.)
"""
from __future__ import annotations

import io

import pandas as pd
import pytest

from spillmap.tables import Table, to_xlsx_bytes


def _table(paren: str | None = None) -> Table:
    keys = ["a", "b", "n"]
    cols = pd.DataFrame({"model": ["SDM", "SDM", "SAR"], "label": ["(1)", "(2)", "(3)"]}, index=["m1", "m2", "m3"])
    body = pd.DataFrame([[0.5, -0.25, 1.0], [2.0, 3.0, 4.0], [120, 130, 140]], index=keys, columns=cols.index)
    pvalues = pd.DataFrame([[0.001, 0.04, 0.5], [0.2, 0.3, 0.4], [None] * 3], index=keys, columns=cols.index)
    se = pd.DataFrame([[0.25, 0.5, 2.0], [4.0, 1.5, 8.0], [None] * 3], index=keys, columns=cols.index)
    rows = pd.DataFrame({"label": ["Lag", "Slope", "Observations"], "block": ["coef", "coef", "stats"],
                         "kind": ["coef", "coef", "count"], "decimals": [3, 2, 0]}, index=keys)
    return Table(body=body, rows=rows, columns=cols, se=se, pvalues=pvalues, caption="Table 2: Estimates",
                 notes=("A note.",), block_titles=(("coef", "Coefficients"),), paren=paren)


def _sheet(table: Table):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(to_xlsx_bytes(table))).active


def test_numbers_formats_and_parentheses_read_back():
    ws = _sheet(_table(paren="se"))
    assert ws["A1"].value == "Table 2: Estimates" and ws["A1"].font.b
    assert [ws.cell(3, j).value for j in range(2, 5)] == ["SDM", None, "SAR"]
    assert "B3:C3" in {str(r) for r in ws.merged_cells.ranges}  # the two SDM columns merged
    assert [ws.cell(4, j).value for j in range(2, 5)] == ["(1)", "(2)", "(3)"]
    assert ws["A5"].value == "Coefficients" and ws["A5"].font.i
    assert ws["A6"].value == "Lag"
    assert [ws.cell(6, j).value for j in range(2, 5)] == [0.5, -0.25, 1.0]
    assert [ws.cell(6, j).number_format for j in range(2, 5)] == ['#,##0.000"***"', '#,##0.000"**"', "#,##0.000"]
    assert [ws.cell(7, j).value for j in range(2, 5)] == [0.25, 0.5, 2.0]  # the SEs, on the row below
    assert ws["B7"].number_format == "(#,##0.000);(-#,##0.000)"
    assert ws["B8"].value == 2.0 and ws["B8"].number_format == "#,##0.00"  # 2 decimals, no stars (p = 0.2)
    assert ws["A10"].value == "Observations" and ws["B10"].value == 120 and ws["B10"].number_format == "#,##0"
    assert all(ws.cell(r, j).alignment.horizontal == "center" for r in (6, 7, 10) for j in range(2, 5))
    assert ws.cell(3, 1).border.top.style == "medium" and ws.cell(4, 1).border.bottom.style == "thin"
    assert ws.cell(10, 4).border.bottom.style == "medium"  # the bottom rule under the last row
    notes = [ws.cell(r, 1).value for r in range(12, ws.max_row + 1)]
    assert notes[0] == "A note." and ws.cell(12, 1).font.sz == 9


def test_t_statistics_are_estimate_over_se():
    ws = _sheet(_table(paren="t"))
    assert [ws.cell(7, j).value for j in range(2, 5)] == pytest.approx([2.0, -0.5, 0.5], rel=1e-15)  # 0.5/0.25 ...
