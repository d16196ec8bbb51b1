"""Audit 27 (tables read as a paper author would): standard-error notes, integer counts in XLSX and
the machine CSV, the diagnostics note's reasons, LaTeX minus signs, quotes and page fit, the within
table's one header row and the heterogeneity table's rows.  Built from the demo report (shared with
tests/test_report_formats.py) and from small tables."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _demo_shared import build_demo_once, demo_tables  # noqa: E402

from spillmap.tables import LATEX_PACKAGES, descriptive_table, frame_table, to_latex, to_xlsx_bytes  # noqa: E402


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> Path:
    return build_demo_once(tmp_path_factory)


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    return {t.stem: t.table for t in demo_tables(tmp_path_factory)}  # built once per worker


# ------------------------------------------------------------------ 1. which standard errors
@pytest.mark.e2e
def test_every_regression_table_says_which_standard_errors(tables):
    def note(stem):
        return [n for n in tables[stem].all_notes() if n.startswith("Standard errors in parentheses")]

    assert note("within") == ["Standard errors in parentheses: classical OLS (homoskedastic; "
                              "s² = e'e / (NT − k − number of fixed effects))."]
    assert note("baseline") == ["Standard errors in parentheses: clustered by city."]
    assert note("sdm_effects") == ["Standard errors in parentheses (coefficients): maximum likelihood "
                                   "(inverse of the information matrix)."]
    assert "OLS, clustered by city; SDM, maximum likelihood" in note("heterogeneity_is_key_city")[0]
    for stem in ("sdm_effects", "heterogeneity_is_key_city"):  # the effects' SEs: said once, with the draws
        notes = tables[stem].all_notes()
        assert [n for n in notes if n.startswith("Effects:")] == [
            next(n for n in notes if "simulation (1,000 draws, seed" in n)], notes
    sdm = tables["sdm_effects"]
    assert not any("Lee–Yu option" in n for n in sdm.all_notes()) and "lee_yu" in sdm.body.index  # a row only
    assert len(set(tables["baseline"].all_notes())) == len(tables["baseline"].all_notes())
    assert not any("Standard errors clustered" in n for n in tables["baseline"].notes)  # not twice


# ------------------------------------------------------------------ 2. counts as integers in Excel
def test_xlsx_counts_use_the_integer_format():
    import openpyxl

    frame = pd.DataFrame({"N": np.array([816, 3564], dtype=np.int64), "mean": [1.5, 2.25]}, index=["a", "b"])
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(descriptive_table(frame)))).active
    cells = {c.value: c.number_format for row in ws.iter_rows() for c in row if isinstance(c.value, int | float)}
    assert cells[816] == "#,##0" and cells[3564] == "#,##0" and cells[1.5] == "#,##0.000"


@pytest.mark.e2e
def test_demo_xlsx_counts(demo_out):
    import openpyxl

    ws = openpyxl.load_workbook(demo_out / "tables" / "descriptive.xlsx").active
    n = [c for row in ws.iter_rows() for c in row if c.value == 3564]
    assert n and all(c.number_format == "#,##0" for c in n)


# ------------------------------------------------------------------ 3. machine CSV: y and integer N
@pytest.mark.e2e
def test_machine_csv_has_y_and_integer_counts(demo_out):
    for stem in ("sdm_effects", "baseline"):
        text = (demo_out / "tables" / f"{stem}.csv").read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {r["y"] for r in rows} == {"gtfp"}, stem
        nobs = [r["estimate"] for r in rows if r["row"] in ("nobs", "n", "t")]
        assert nobs and all(re.fullmatch(r"\d+", v) for v in nobs), (stem, nobs)
        assert pd.read_csv(io.StringIO(text))["estimate"].dtype == float  # still one numeric column
    md = (demo_out / "tables" / "sdm_effects.md").read_text(encoding="utf-8")
    assert "| | SDM |" in md and "gtfp" not in md  # y stays a note of the printed table, not a header row


# ------------------------------------------------------------------ 4. the diagnostics note's reasons
@pytest.mark.e2e
def test_diagnostics_note_gives_the_reason_itself(tables, demo_out):
    notes = " ".join(tables["diagnostics"].all_notes())
    assert "see Not available" not in notes
    assert "The classic test is not defined for W1 and W2 (Var(FE) − Var(RE) is not positive definite)" in notes


# ------------------------------------------------------------------ 5. LaTeX minus signs and quotes
def test_latex_minus_and_quotes():
    t = frame_table(pd.DataFrame({"W1": [-1.558, 2.0]}, index=["a", "b"]), kinds="test",
                    notes=("E[I] = -1/(N-1) and −2; 'pooled' stacks; hausman = \"auto\"; Moran's I; two-way.",))
    t = t.with_options(pvalues=pd.DataFrame({"W1": [0.12, 0.5]}, index=["a", "b"]))
    tex = to_latex(t)
    assert r"$-$1.558 (0.120)" in tex and "& -" not in tex
    assert r"E[I] = $-$1/(N-1) and $-$2; `pooled' stacks; hausman = ``auto''; Moran's I; two-way." in tex


def test_printed_formats_use_the_minus_sign():
    """Word, Markdown, HTML and the formatted CSV print a negative number with U+2212 (as the
    LaTeX prints $-$; audit 2026-12-01: DOCX and MD had the hyphen-minus); hyphens in ranges,
    exponents and words stay hyphens; the numbers CSV keeps machine-readable '-'."""
    import docx

    from spillmap.tables import to_csv, to_docx_bytes, to_html, to_markdown

    t = frame_table(pd.DataFrame({"W1": [-1.558, 2.0]}, index=["a", "b"]), kinds="test",
                    notes=("E[I] = -1/(N-1); years 2008-2019; tol 1e-05; two-way.",))
    t = t.with_options(pvalues=pd.DataFrame({"W1": [0.12, 0.5]}, index=["a", "b"]))
    note = "E[I] = \u22121/(N-1); years 2008-2019; tol 1e-05; two-way."
    doc = docx.Document(io.BytesIO(to_docx_bytes(t)))
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert "\u22121.558 (0.120)" in cells and not any(c.startswith("-") for c in cells)
    assert note in [p.text for p in doc.paragraphs]
    md = to_markdown(t)
    assert "| \u22121.558 (0.120) |" in md and note in md and "| -1" not in md
    html = to_html(t)
    assert ">\u22121.558 (0.120)<" in html and note in html
    assert "\u22121.558 (0.120)" in to_csv(t, "formatted") and note in to_csv(t, "formatted")
    assert "-1.558" in to_csv(t) and "\u2212" not in to_csv(t)  # the numbers CSV: numbers


@pytest.mark.e2e
def test_demo_latex_has_no_text_hyphen_numbers(demo_out):
    for stem in ("diagnostics", "moran_by_year", "sdm_effects", "within", "baseline"):
        tex = (demo_out / "tables" / f"{stem}.tex").read_text(encoding="utf-8")
        assert not re.search(r"(?<![\w$.-])-\d", tex), stem
    assert r"E[I] = $-$1/(N $-$ 1). `pooled'" in (demo_out / "tables" / "moran_by_year.tex").read_text("utf-8")


# ------------------------------------------------------------------ 6. the within table's header
@pytest.mark.e2e
def test_within_table_has_one_header_row(tables, demo_out):
    t = tables["within"]
    assert t.header_runs() == ((("pooled OLS", 1), ("city FE", 1), ("year FE", 1), ("two-way FE", 1)),)
    long = t.to_frame("long")
    assert set(long["model"]) == {"OLS"} and "city FE" in set(long["effects"])  # kept in the machine CSV


# ------------------------------------------------------------------ 7. heterogeneity rows
@pytest.mark.e2e
def test_heterogeneity_has_controls_fe_and_tests_of_their_own(tables, demo_out):
    doc = json.loads((demo_out / "results.json").read_text(encoding="utf-8"))
    tests = doc["heterogeneity"]["groupings"]["is_key_city"]["tests"]
    t = tables["heterogeneity_is_key_city"]
    for key in ("controls", "unit_fe", "time_fe"):
        assert set(t.body.loc[key].iloc[:4]) == {"Yes"}, key
    assert list(t.rows.loc[["controls", "unit_fe", "time_fe"], "label"]) == ["Controls", "City FE", "Year FE"]
    assert t.columns.at["across", "label"] == "Across groups"
    for name, d in tests.items():  # the statistics unchanged, in their own column only
        assert t.body.at[name, "across"] == d["stat"] and t.pvalues.at[name, "across"] == d["p"]
        assert set(t.body.loc[name].iloc[:4]) == {""}
    assert any(n.startswith("Standard errors in parentheses") and "clustered by city" in n for n in t.all_notes())
    assert t.body["across"].iloc[:-2].eq("").all()  # nothing else in that column


@pytest.mark.e2e
def test_heterogeneity_columns_are_titled_by_the_model_labels(tables, demo_out):
    # the demo spec labels is_key_city "Key city" and region4 "Region" in [model] labels; the groups of
    # region4 have no [heterogeneity] labels, so they read "Region = VALUE"
    assert tables["heterogeneity_is_key_city"].caption == "Heterogeneity by Key city"
    region = tables["heterogeneity_region4"]
    assert region.caption == "Heterogeneity by Region"
    heads = list(region.columns["label"])
    assert heads[0].startswith("Region = ") and not any("region4" in h for h in heads), heads
    tex = (demo_out / "tables" / "heterogeneity_region4.tex").read_text(encoding="utf-8")
    assert "region4 =" not in tex and "Heterogeneity by Region" in tex


# ------------------------------------------------------------------ 8. LaTeX fits the page
@pytest.mark.e2e
def test_latex_tall_tables_are_longtables_and_wide_ones_shrink(tables, demo_out):
    sdm = (demo_out / "tables" / "sdm_effects.tex").read_text(encoding="utf-8")
    assert sdm.startswith("% spillmap table: needs \\usepackage{booktabs,threeparttablex,longtable,array}")
    assert r"\begin{longtable}" in sdm and r"\endhead" in sdm and r"\insertTableNotes" in sdm
    wide = (demo_out / "tables" / "heterogeneity_region4.tex").read_text(encoding="utf-8")
    assert r"\ifdim\wd\spillmaptablebox>\linewidth" in wide and "graphicx" in wide.splitlines()[0]
    assert r"\begin{longtable}" not in to_latex(tables["baseline"])


@pytest.mark.e2e
def test_latex_tables_fit_the_page(demo_out, tmp_path):
    """The demo's tables compile with pdflatex (11 pt, 1 in margins, as the auditor) with no overfull box."""
    if shutil.which("pdflatex") is None:
        pytest.skip("no pdflatex")
    stems = ("descriptive", "moran_by_year", "baseline", "within", "diagnostics", "sdm_effects",
             "heterogeneity_is_key_city", "heterogeneity_region4")
    body = "\n".join(rf"\clearpage\input{{{demo_out / 'tables' / s}.tex}}" for s in stems)
    (tmp_path / "doc.tex").write_text(
        r"\documentclass[11pt]{article}\usepackage[T1]{fontenc}\usepackage[margin=1in]{geometry}"
        rf"\usepackage{{{','.join(LATEX_PACKAGES)}}}\begin{{document}}" + body + "\n\\end{document}\n", encoding="utf-8")
    for _ in range(2):  # a longtable's widths settle on the second run
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stdout[-2000:]
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert not re.findall(r"Overfull \\[hv]box \((\d+\.\d+)pt", log), re.findall(r"Overfull.*", log)
    assert "Float too large" not in log, re.findall(r".*Float too large.*", log)  # too tall for a page
