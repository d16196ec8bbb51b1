"""Text that other programs interpret: CSV cells (formula injection) and LaTeX notes.

Every CSV spillmap writes goes through ``_textsafe.csv_text`` ->
``_textsafe.csv_safe_frame``: a text cell or label beginning with ``=``, ``+``, ``-``,
``@``, tab or carriage return gets a leading ``'`` (OWASP "CSV injection"); numbers are
written unchanged.  Checked on a report whose unit ids and weights name are payloads.
"""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

from spillmap import tables
from spillmap._textsafe import CSV_FORMULA_PREFIXES, csv_text

PAYLOADS = {"NY": "=HYPERLINK(\"http://x\")", "CA": "+CA", "TX": "-TX", "FL": "@FL"}


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_csv_text_neutralises_text_and_labels_but_not_numbers():
    df = pd.DataFrame({"=cmd": ["=1+1", "@SUM(A1)", "ok", "\tx"], "v": [-0.5, 1.0, -2.0, 3.0]},
                      index=pd.Index(["+a", "-b", "c", "\r=d"], name="=id"))
    text = csv_text(df)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 5 and rows[4][0] == "'\r=d"  # the carriage return stays inside its quoted cell
    cells = _cells(text)
    assert "'=1+1" in cells and "'@SUM(A1)" in cells and "'\tx" in cells and "'=cmd" in cells
    assert "'+a" in cells and "'-b" in cells and "'=id" in cells and "ok" in cells
    assert "-0.5" in cells and "-2.0" in cells  # numbers stay numbers
    assert not [c for c in cells if c.startswith(CSV_FORMULA_PREFIXES) and not _is_number(c)]


@pytest.fixture(scope="module")
def injected_report(tmp_path_factory, us48, produc):
    from spillmap.maps.report import build_report

    d = tmp_path_factory.mktemp("inject")
    layer = us48.assign(STATE_ABBR=us48["STATE_ABBR"].replace(PAYLOADS))
    layer.to_file(d / "layer.geojson", driver="GeoJSON")
    panel = produc[produc.year >= 1983].assign(state_abbr=produc["state_abbr"].replace(PAYLOADS))
    panel.to_csv(d / "panel.csv", index=False)
    (d / "r.toml").write_text(
        '[layer]\npath = "layer.geojson"\nid = "STATE_ABBR"\n'
        '[panel]\npath = "panel.csv"\nid = "state_abbr"\ntime = "year"\n'
        '[model]\ny = "unemp"\nx = ["pc"]\ndraws = 0\n'
        '[weights."=W"]\nkind = "contiguity"\ncontiguity = "queen"\n'
        '[maps]\npermutations = 19\n[output]\nfigures = false\n', encoding="utf-8")
    return build_report(d / "r.toml", d / "out", quiet=True)


def test_every_csv_of_the_report_is_neutralised(injected_report):
    csvs = sorted((injected_report / "tables").glob("*.csv"))
    names = {p.name for p in csvs}
    assert {"lisa.csv", "unit_effects__W.csv", "descriptive.csv", "diagnostics.csv"} <= names
    for p in csvs:
        cells = _cells(p.read_text(encoding="utf-8"))
        raw = [c for c in cells if c.startswith(CSV_FORMULA_PREFIXES) and not _is_number(c)]
        assert raw == [], (p.name, raw[:5])
    lisa = _cells((injected_report / "tables" / "lisa.csv").read_text(encoding="utf-8"))
    assert "'" + PAYLOADS["NY"] in lisa and "'-TX" in lisa and "'@FL" in lisa
    assert "'=W" in _cells((injected_report / "tables" / "diagnostics.csv").read_text(encoding="utf-8"))
    # the JSON keeps the ids as they are (it is data, not a spreadsheet)
    res = json.loads((injected_report / "results.json").read_text(encoding="utf-8"))
    assert PAYLOADS["NY"] in res["lisa"]["units"]


def test_table_notes_are_words_not_tex_soup(injected_report):
    tex = (injected_report / "tables" / "diagnostics.tex").read_text(encoding="utf-8")
    note = next(line for line in tex.splitlines() if line.startswith(r"\item") and "Hausman" in line)
    # escaped pseudo-math (V\_FE, \textasciicircum{}-1, I\_T) was the soup of issue 8
    assert "textasciicircum" not in note and r"\_" not in note and "$" not in note
    assert "inverse of the difference of their covariance" in note


def test_latex_escapes_user_text_in_cells_and_notes():
    df = pd.DataFrame({"a_b": [np.nan]}, index=pd.Index(["x&y"]))
    tex = tables.to_latex(tables.frame_table(df, caption="W_1 #1", notes=("ids like {~^\\}",), stub="100%"))
    assert r"a\_b" in tex and r"x\&y" in tex and r"100\%" in tex and r"W\_1 \#1" in tex
    assert r"ids like \{\textasciitilde{}\textasciicircum{}\textbackslash{}\}" in tex
