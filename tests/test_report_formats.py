"""The demo report's tables in every format and its figures (issue 10's "done when").

Table 9 (the SDM per W: coefficient block, effects block, model statistics) is read back
from every file the report writes -- the machine-readable CSV and the printed CSV
(pandas), Word (python-docx), Excel (openpyxl), Markdown and LaTeX -- and each number is
compared with ``results.json``, the reference: exactly where the format keeps full
precision (the numbers CSV, Excel cells: numbers stay numbers), otherwise to the
decimals the table states for that row (printed = the stored number rounded, so
``|printed - stored| <= 0.5 * 10**-decimals``), stars recomputed from the stored p with
the thresholds 10 / 5 / 1 %.  The rows' keys and decimals come from the table model
rebuilt from ``results.json``; the numbers come only from the files and the JSON.
The demo is built once per session (shared with tests/test_demo.py and test_browser.py).
"""
from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared helper sits next to this file
from _demo_shared import build_demo_once, demo_tables  # noqa: E402

pytestmark = pytest.mark.e2e  # every test reads the demo report (built once per session): pytest -m "e2e and not slow"

STEMS = ("descriptive", "moran_by_year", "baseline", "within", "diagnostics", "sdm_effects",
         "heterogeneity_is_key_city", "heterogeneity_region4")
FIGURES = ("choropleth", "small_multiples", "lisa", "spillover_W1", "spillover_W2", "response_W1", "response_W2",
           "fixed_effects", "moran_scatter_W1", "moran_scatter_W2", "moran_trend", "effects")


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> Path:
    return build_demo_once(tmp_path_factory)  # shared with test_demo.py


@pytest.fixture(scope="module")
def table9(demo_out, tmp_path_factory):
    doc = json.loads((demo_out / "results.json").read_text(encoding="utf-8"))
    table = next(t.table for t in demo_tables(tmp_path_factory) if t.stem == "sdm_effects")  # built once per worker
    fits = {"(1)": doc["fits"]["W1:sdm"], "(2)": doc["fits"]["W2:sdm"]}
    return table, fits


# ------------------------------------------------------------------ the reference: results.json
_STATS = {"r2_pseudo": "r2", "loglik": "loglik", "aic": "aic", "bic": "bic", "nobs": "nobs", "n": "n", "t": "t"}


def expected(fit: dict, key: str):
    """``(value, se, p)`` of table row ``key`` in one stored fit (None where it has none)."""
    if key.split(":")[0] in ("direct", "indirect", "total"):
        part, var = key.split(":", 1)
        d = fit["effects"][part][var]
        return d["estimate"], d["se"], d["p"]
    if key == "variance:sigma2":
        return fit["stats"]["sigma2"], fit["stats"]["sigma2_se"], None
    if key in _STATS:
        return fit["stats"][_STATS[key]], None, None
    if key in ("unit_fe", "time_fe"):
        return "Yes" if fit["fe"] == "twoways" or (key == "unit_fe") == (fit["fe"] == "individual") else "No", None, None
    if key == "lee_yu":
        return fit["stats"]["lee_yu"], None, None
    term = key.split(":", 1)[1] if ":" in key else key
    term = f"W_{term}" if key.startswith("theta:") else term
    return fit["params"][term], fit["std_errors"][term], fit["pvalues"][term]


def _stars(p) -> str:
    return "" if p is None else "*" * sum(p < a for a in (0.10, 0.05, 0.01))


def check_text(text: str, value, dec: int, p=None, *, paren: bool = False, what: str = "") -> None:
    """A printed cell against the stored number: same stars, ``dec`` decimals, rounded value."""
    t = text.strip().replace("\u2212", "-")
    if paren:
        assert t.startswith("(") and t.endswith(")"), (what, text)
        t = t[1:-1]
    body = t.rstrip("*")
    if p is not None or not paren:
        assert t[len(body):] == _stars(p), (what, text, p)
    if isinstance(value, int):
        assert int(body.replace(",", "")) == value, (what, text, value)
        return
    assert len(body.split(".")[1]) == dec, (what, text, dec)
    # printed = stored rounded to dec decimals (float formatting: half an ulp of slack)
    assert abs(float(body.replace(",", "")) - value) <= 0.5 * 10 ** -dec * (1 + 1e-9), (what, text, value)


def check_rows(table, fits, rows: list[list[str]], fmt: str) -> int:
    """Compare printed body rows (label + one cell per column, in grid order) with results.json."""
    grid = table.grid()
    assert len(rows) == len(grid.rows), (fmt, len(rows), len(grid.rows))
    cols = list(table.body.columns)
    checked = 0
    for g, row in zip(grid.rows, rows):
        if g.kind == "block":
            assert row[0].strip("*") == g.label, (fmt, row)
            continue
        kind, dec = table.rows.at[g.key, "kind"], int(table.rows.at[g.key, "decimals"])
        for c, text in zip(cols, row[1:]):
            value, se, p = expected(fits[c], g.key)
            where = f"{fmt} {g.key} {c}"
            if g.kind == "paren":
                check_text(text, se, dec, paren=True, what=where)
            elif kind == "text":
                assert text == value, (where, text)
            else:
                check_text(text, value, dec, p if kind == "coef" else None, what=where)
            checked += 1
    return checked


# ------------------------------------------------------------------ the formats
def test_every_table_in_every_format(demo_out):
    names = {p.name for p in (demo_out / "tables").iterdir()}
    for stem in STEMS:
        for ext in (".csv", "_formatted.csv", ".tex", ".docx", ".xlsx", ".md"):
            assert stem + ext in names, stem + ext
    import docx
    import openpyxl

    # the scenarios' tables follow (tests/test_report_audit.py)
    scenarios = [f"scenario_hubei_{w}_{t}" for w in ("W1", "W2") for t in ("groups", "top")]
    assert len(docx.Document(demo_out / "tables" / "tables.docx").tables) == len(STEMS) + len(scenarios)
    assert openpyxl.load_workbook(demo_out / "tables" / "tables.xlsx").sheetnames == [*STEMS, *scenarios]


def test_table9_numbers_csv(demo_out, table9):
    table, fits = table9
    # the csv module and float(): Python's shortest repr reads back exactly on any pandas version
    with open(demo_out / "tables" / "sdm_effects.csv", newline="", encoding="utf-8") as f:
        long = list(csv.DictReader(f))
    assert pd.read_csv(demo_out / "tables" / "sdm_effects.csv").shape[0] == len(long)  # pandas reads it too
    n = 0
    for rec in long:
        if rec["kind"] == "text":
            continue
        value, se, p = expected(fits[rec["column"]], rec["row"])
        assert float(rec["estimate"]) == value, (rec["row"], rec["column"])  # full precision, exactly
        assert (rec["se"] == "" if se is None else float(rec["se"]) == se), rec["row"]
        assert (rec["p"] == "" if p is None else float(rec["p"]) == p), rec["row"]
        n += 1
    assert n >= 2 * (6 * 2 + 2 + 6 * 3)  # β and θ of six x, ρ, σ², three effects of six x, per W


def test_table9_printed_csv_markdown_latex(demo_out, table9):
    table, fits = table9
    nh = len(table.header_runs())
    printed = pd.read_csv(demo_out / "tables" / "sdm_effects_formatted.csv", header=None, dtype=str,
                          keep_default_na=False).values.tolist()
    body = printed[nh: nh + len(table.grid().rows)]
    assert check_rows(table, fits, body, "formatted csv") > 100
    md = (demo_out / "tables" / "sdm_effects.md").read_text(encoding="utf-8").splitlines()
    lines = [ln for ln in md if ln.startswith("|")][1 + nh:]  # header, rule, further header rows
    rows = [[c.strip() for c in ln.strip()[1:-1].split(" | ")] for ln in lines]
    assert check_rows(table, fits, [r + [""] * (3 - len(r)) for r in rows], "markdown") > 100
    tex = (demo_out / "tables" / "sdm_effects.tex").read_text(encoding="utf-8")
    inner = tex.split(r"\midrule", 1)[1].split(r"\bottomrule")[0]
    rows = []
    for ln in inner.splitlines():
        if not ln.strip() or ln.strip() == r"\midrule":
            continue
        ln = ln.rstrip().removesuffix(r"\\*").removesuffix(r"\\").rstrip()  # \\*: no page break after the row
        block = re.match(r"\\multicolumn\{\d+\}\{l\}\{\\textit\{(.*)\}\}$", ln)
        if block:
            rows.append([block.group(1)])
            continue
        cells = [c.strip().replace("$-$", "-").replace("$^{", "").replace("}$", "") for c in ln.split(" & ")]
        rows.append([c.replace(r"$\rho$", "ρ").replace(r"$\sigma$$^2$", "σ²").replace(r"W$\times$", "W×")
                     for c in cells])
    assert check_rows(table, fits, rows, "latex") > 100


def test_table9_word(demo_out, table9):
    """The Word table a researcher pastes into a paper: three-line table, numbers as printed."""
    import docx

    table, fits = table9
    doc = docx.Document(demo_out / "tables" / "sdm_effects.docx")
    assert len(doc.tables) == 1
    t = doc.tables[0]
    nh = len(table.header_runs())
    rows = [[c.text for c in row.cells] for row in t.rows]
    assert rows[0][1:] == ["(1)", "(2)"] and "SDM" in rows[1]
    assert check_rows(table, fits, rows[nh:], "docx") > 100
    borders = t.rows[0].cells[0]._tc.xml
    assert 'w:top w:val="single" w:sz="12"' in borders  # the heavy top rule of the three-line table
    assert any("Standard errors in parentheses" in p.text for p in doc.paragraphs)


def test_table9_excel_numbers_are_numbers(demo_out, table9):
    import openpyxl

    table, fits = table9
    ws = openpyxl.load_workbook(demo_out / "tables" / "sdm_effects.xlsx").active
    nh = len(table.header_runs())
    first = 3 + nh  # caption, blank row, header rows
    cols = list(table.body.columns)
    checked = 0
    for i, g in enumerate(table.grid().rows):
        row = first + i
        if g.kind == "block":
            assert ws.cell(row, 1).value == g.label
            continue
        kind, dec = table.rows.at[g.key, "kind"], int(table.rows.at[g.key, "decimals"])
        for j, c in enumerate(cols, start=2):
            cell = ws.cell(row, j)
            value, se, p = expected(fits[c], g.key)
            if kind == "text":
                assert cell.value == value
                continue
            want = se if g.kind == "paren" else value
            # numbers stay numbers; openpyxl writes "%.16g" (16 significant digits: relative error
            # below 5e-16), the closest an .xlsx written by openpyxl gets to the stored double
            assert isinstance(cell.value, int | float) and cell.value == pytest.approx(want, rel=1e-15, abs=0), (
                g.key, c, cell.value)
            if kind in ("coef", "stat"):  # the number format shows the stated decimals (and the stars)
                fmt = cell.number_format.split(";")[0]
                assert re.search(r"0\.(0+)", fmt).group(1) == "0" * dec, (g.key, fmt)
                if g.kind == "main" and kind == "coef":
                    assert fmt.endswith(f'"{_stars(p)}"') if _stars(p) else '"' not in fmt, (g.key, fmt)
            checked += 1
    assert checked > 100


# ------------------------------------------------------------------ figures
def test_figures_png_300_dpi_and_pdf(demo_out):
    from PIL import Image

    for stem in FIGURES:
        png, pdf = demo_out / "figures" / f"{stem}.png", demo_out / "figures" / f"{stem}.pdf"
        assert png.is_file() and pdf.is_file(), stem
        with Image.open(png) as im:
            # PNG stores pixels per metre: 300 dpi is written as 11811 px/m = 299.9994 dpi
            assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01), stem
            if stem in ("choropleth", "lisa", "fixed_effects", "response_W1"):
                assert im.size == (1950, 1500), stem  # the maps' 6.5 x 5 in at 300 dpi
        head = pdf.read_bytes()
        assert head.startswith(b"%PDF") and b"/MediaBox" in head, stem
    assert b"[ 0 0 468 360 ]" in (demo_out / "figures" / "choropleth.pdf").read_bytes()  # 6.5 x 5 in in points
    index = (demo_out / "index.html").read_text(encoding="utf-8")
    for stem in FIGURES:  # listed and linked in the page
        assert f'href="figures/{stem}.png"' in index and f'href="figures/{stem}.pdf"' in index, stem
    maps = {m.stem for m in (demo_out / "maps").glob("*.html")}
    assert len(maps & set(FIGURES)) == 7
    for stem in maps & set(FIGURES):  # each study map prints as its static figure (scenario maps show theirs)
        assert f'<img class="print-only" src="figures/{stem}.png"' in index, stem


def test_report_latex_compiles(demo_out, tmp_path):
    """Every table's .tex of the demo, \\input into one document, compiles with pdflatex."""
    import shutil
    import subprocess

    from spillmap.tables import LATEX_PACKAGES

    if shutil.which("pdflatex") is None:
        pytest.skip("LaTeX compile test skipped: no pdflatex (Debian: apt-get install texlive-latex-base "
                    "texlive-latex-recommended texlive-latex-extra)")
    for sty in ("booktabs.sty", "threeparttable.sty"):
        if shutil.which("kpsewhich") and not subprocess.run(["kpsewhich", sty], capture_output=True, text=True).stdout:
            pytest.skip(f"LaTeX compile test skipped: {sty} not installed (texlive-latex-extra)")
    for stem in STEMS:
        shutil.copy(demo_out / "tables" / f"{stem}.tex", tmp_path / f"{stem}.tex")
    body = "\n".join(rf"\input{{{stem}.tex}}\clearpage" for stem in STEMS)
    (tmp_path / "doc.tex").write_text(
        rf"\documentclass{{article}}\usepackage[margin=1cm]{{geometry}}\usepackage{{{','.join(LATEX_PACKAGES)}}}"
        "\n" + rf"\begin{{document}}{body}\end{{document}}" + "\n", encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
