"""Paper audit 30, A3, the XLSX writer: a cell every other format prints "n/a" holds "n/a" (it was blank);
a number a table prints as a bound ("<0.00001") is stored as that number, shown in scientific notation, so
that a reader can compute with it (it was the text); the note of a sheet with tests says the p-values are
on the row below (the layout of ``_xlsx.py``, kept on purpose)."""
from __future__ import annotations

import copy
import io
import pickle

import numpy as np
import pandas as pd
import pytest

from spillmap.tables import Table, stats_table, to_latex, to_markdown, to_xlsx_bytes


def _sheet(table: Table):
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(table))).active


def _cells(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def _diagnostics() -> Table:
    """Three W, one test not computed under WE (the US study's 'LR (SDM vs SEM)': the SEM fit failed)."""
    stats = pd.DataFrame({"Wq": [8.877, 13.137], "K5": [8.834, 13.527], "WE": [3.459, np.nan]},
                         index=["moran", "lr_sem"])
    pv = pd.DataFrame({"Wq": [1e-12, 0.011], "K5": [2e-12, 0.009], "WE": [0.001, np.nan]}, index=stats.index)
    return stats_table(stats, pv, labels={"moran": "Moran's I", "lr_sem": "LR (SDM vs SEM)"})


def test_a_test_not_computed_is_n_a_in_excel_as_in_every_other_format():
    t = _diagnostics()
    printed = {r.label: r.cells for r in t.grid().rows}
    assert printed["LR (SDM vs SEM)"][2] == "n/a"  # what the other formats print (the model's grid)
    assert "| LR (SDM vs SEM) | 13.137 (0.011) | 13.527 (0.009) | n/a |" in to_markdown(t)
    rows = _cells(_sheet(t))
    lr = next(i for i, r in enumerate(rows) if r[0] == "LR (SDM vs SEM)")
    assert rows[lr][1:] == [13.137, 13.527, "n/a"]
    assert rows[lr + 1][1:] == [0.011, 0.009, None]  # no p-value under it
    moran = next(i for i, r in enumerate(rows) if r[0] == "Moran's I")
    assert rows[moran][3] == 3.459 and rows[moran + 1][3] == 0.001  # numbers stay numbers


def test_a_blank_cell_stays_blank():
    """Only a cell the other formats print as text becomes that text: an empty cell stays empty."""
    t = Table(body=pd.DataFrame({"a": [1.5, np.nan]}, index=["x", "y"]),
              rows=pd.DataFrame({"kind": ["stat", "stat"]}, index=["x", "y"]),
              columns=pd.DataFrame({"label": ["A"]}, index=["a"]), paren=None, star_levels=())
    assert [r.cells for r in t.grid().rows] == [("1.500",), ("",)]
    rows = _cells(_sheet(t))
    assert [r[1] for r in rows if r[0] in ("x", "y")] == [1.5, None]


def test_the_note_says_the_p_values_are_on_the_row_below():
    ws = _sheet(_diagnostics())
    notes = [r[0] for r in _cells(ws) if isinstance(r[0], str) and "parentheses" in r[0]]
    assert notes == ["p-values in parentheses on the row below."], notes


def test_the_note_of_a_coefficient_table_with_tests_says_so_too():
    t = Table(body=pd.DataFrame({"m": [0.5, 3.2]}, index=["b", "wald"]),
              rows=pd.DataFrame({"kind": ["coef", "test"], "label": ["x", "Wald"]}, index=["b", "wald"]),
              columns=pd.DataFrame({"label": ["(1)"]}, index=["m"]),
              se=pd.DataFrame({"m": [0.1, np.nan]}, index=["b", "wald"]),
              pvalues=pd.DataFrame({"m": [0.001, 0.07]}, index=["b", "wald"]))
    assert "Tests: statistic with p-value in parentheses." in t.all_notes()  # the other formats: one cell
    notes = [r[0] for r in _cells(_sheet(t)) if isinstance(r[0], str) and "p-value" in r[0]]
    assert notes == ["Tests: statistic, with its p-value in parentheses on the row below."], notes


# ------------------------------------------------------------------ numbers printed as bounds
def _bounded() -> tuple[Table, float, float]:
    """The demo's Beijing row: a change of 8.3e-11 that 5 decimals would print as 0.00000, printed as the
    bound "<0.00001" (``maps/_scenario_tables.py``); a small negative one as ">−0.00001"."""
    from spillmap.tables import PrintedNumber

    tiny, neg = 8.3e-11, -2.4e-07
    body = pd.DataFrame({"received": [0.00409, PrintedNumber("<0.00001", tiny), PrintedNumber(">\u22120.00001", neg)],
                         "units": [16, 1, 3]}, index=["r0", "r1", "r2"], dtype=object)
    rows = pd.DataFrame({"label": ["Anhui", "Beijing", "Ohio"], "kind": "stat", "decimals": 5}, index=body.index)
    t = Table(body=body, rows=rows, columns=pd.DataFrame({"label": ["Received", "Units"]}, index=body.columns),
              caption="Totals by group", notes=("<0.00001: a change above 0 but below 0.00001.",), paren=None,
              star_levels=())
    return t, tiny, neg


def test_a_bound_prints_as_text_in_the_text_formats():
    t, _, _ = _bounded()
    assert [r.cells[0] for r in t.grid().rows] == ["0.00409", "<0.00001", ">\u22120.00001"]
    assert "| Beijing | <0.00001 | 1 |" in to_markdown(t)
    assert "Beijing & $<$0.00001 & 1" in to_latex(t)


def test_a_bound_is_stored_as_its_number_in_excel():
    from spillmap.tables._xlsx import SCIENTIFIC

    t, tiny, neg = _bounded()
    ws = _sheet(t)
    rows = {r[0].value: r for r in ws.iter_rows() if r[0].value in ("Anhui", "Beijing", "Ohio")}
    assert rows["Beijing"][1].value == tiny and rows["Ohio"][1].value == neg  # numbers, every digit
    assert rows["Beijing"][1].number_format == rows["Ohio"][1].number_format == SCIENTIFIC
    assert rows["Anhui"][1].value == 0.00409 and rows["Anhui"][1].number_format == "#,##0.00000"
    assert rows["Beijing"][2].value == 1 and rows["Beijing"][2].number_format == "#,##0"
    notes = [r[0].value for r in ws.iter_rows() if isinstance(r[0].value, str) and "scientific" in r[0].value]
    assert len(notes) == 1 and "<0.00001" in notes[0]


def test_excel_shows_the_bound_number_in_scientific_notation():
    """What Excel displays for the format: 8.3e-11 with 0.00E+00 is 8.30E-11 (Python's 'E' format with two
    decimals is the same rule)."""
    from spillmap.tables._xlsx import SCIENTIFIC

    assert SCIENTIFIC == "0.00E+00" and f"{8.3e-11:.2E}" == "8.30E-11"


@pytest.mark.parametrize("make", [copy.copy, copy.deepcopy, lambda x: pickle.loads(pickle.dumps(x))])
def test_a_printed_number_keeps_its_number(make):
    from spillmap.tables import PrintedNumber

    cell = make(PrintedNumber("<0.00001", 8.3e-11))
    assert cell == "<0.00001" and isinstance(cell, PrintedNumber) and cell.value == 8.3e-11


def test_a_table_copy_keeps_the_printed_numbers():
    t, tiny, _ = _bounded()
    again = t.with_options(caption="Other")
    from spillmap.tables import PrintedNumber

    assert isinstance(again.body.at["r1", "received"], PrintedNumber)
    assert again.body.at["r1", "received"].value == tiny
