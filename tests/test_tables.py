"""spillmap.tables: the table model, regression_table and every writer.

The reference numbers are the fitted results themselves (``params``, ``std_errors``,
``pvalues``, ``loglik``, the EffectsResult frames): every format is parsed back
(pandas for CSV, python-docx for DOCX, openpyxl for XLSX, regular expressions for
LaTeX/Markdown/HTML) and compared with them.  Tolerances: printed numbers must equal
the source to the stated decimals, i.e. |printed - source| <= 0.5 * 10**-d (rounding;
plus 1e-12 for the binary representation of the printed decimal); machine-readable
CSV and XLSX cells must equal the source exactly (repr round-trip / stored doubles).
"""
from __future__ import annotations

import html as html_mod
import io
import re

import numpy as np
import pandas as pd
import pytest

from spillmap.errors import InputError, OutputError
from spillmap.tables import (
    distinct_labels,
    format_number,
    format_p,
    regression_table,
    save,
    stars,
    star_note,
    to_csv,
    to_docx_bytes,
    to_html,
    to_latex,
    to_markdown,
    to_xlsx_bytes,
)

DEC = 3
HALF_ULP = 0.5 * 10**-DEC + 1e-12  # rounding to DEC decimals


@pytest.fixture(scope="module")
def fitted(produc_logs, us48_queen):
    from spillmap.estimation import SpatialPanel, twoway_fe_baseline

    f = "lgsp ~ lpcap + lemp + unemp"
    kw = dict(id="state_abbr", time="year", w=us48_queen)
    fits = {m: SpatialPanel(produc_logs, f, model=m, **kw).fit() for m in ("sar", "sem", "sdm", "slx", "sdem")}
    fits["re"] = SpatialPanel(produc_logs, f, model="sar", re=True, **kw).fit()
    base = twoway_fe_baseline(produc_logs, id="state_abbr", time="year", y="lgsp", x=["lpcap", "lemp", "unemp"])
    eff = fits["sdm"].impacts(draws=200, seed=1)
    return fits, base, eff


@pytest.fixture(scope="module")
def table(fitted):
    fits, base, eff = fitted
    cols = {"(1)": base, "(2)": fits["sar"], "(3)": fits["sem"], "(4)": (fits["sdm"], eff),
            "(5)": fits["slx"], "(6)": fits["sdem"], "(7)": fits["re"]}
    return regression_table(cols, labels={"lemp": "就业 Employment", "lpcap": "Public capital"},
                            unit="state", period="year", caption="Production & spillovers_1")


def _source(fitted):
    """(row key, column) -> (estimate, se, p) straight from the results objects."""
    fits, base, eff = fitted
    order = {"(1)": base, "(2)": fits["sar"], "(3)": fits["sem"], "(4)": fits["sdm"], "(5)": fits["slx"],
             "(6)": fits["sdem"], "(7)": fits["re"]}
    out = {}
    for col, res in order.items():
        p = res.pvalues
        for name in res.params.index:
            key = name if name in ("rho", "lambda") else f"theta:{name[2:]}" if name.startswith("W_") else (
                f"beta:{name}" if name in ("const", "lpcap", "lemp", "unemp") else f"variance:{name}")
            out[key, col] = (res.params[name], res.std_errors[name], p[name])
        if col != "(1)":
            out["loglik", col] = (res.loglik, np.nan, np.nan)
            out["nobs", col] = (res.nobs, np.nan, np.nan)
    for kind in ("direct", "indirect", "total"):
        frame = getattr(eff, kind)
        for var in frame.index:
            out[f"{kind}:{var}", "(4)"] = (frame.loc[var, "estimate"], frame.loc[var, "se"], frame.loc[var, "p"])
    return out


def _num(text: str) -> float:
    t = text.replace("\u2212", "-").replace("$-$", "-").replace(",", "")
    t = re.sub(r"\$\^\{\*+\}\$|\*+$", "", t).strip().strip("()")
    return float(t)


def _n_numbers(table, fitted) -> int:
    """How many printed numbers have a source value (what each format must show)."""
    src = _source(fitted)
    return sum(1 for g in table.grid().rows if g.kind != "block"
               for col, text in zip(table.body.columns, g.cells) if (g.key, col) in src and text)


def _check_rows(table, parsed_rows: list[list[str]], fitted) -> int:
    """Align parsed body rows with the table's grid rows and compare every number."""
    src = _source(fitted)
    grid = [r for r in table.grid().rows if r.kind != "block"]
    body = [r for r in parsed_rows if any(c.strip() for c in r)]
    body = body[-len(grid) - len(table.grid().notes):][: len(grid)] if len(body) > len(grid) else body
    assert len(body) == len(grid), (len(body), len(grid))
    cols = list(table.body.columns)
    checked = 0
    for g, row in zip(grid, body):
        cells = row[-len(cols):]
        for col, text in zip(cols, cells):
            if (g.key, col) not in src or not text.strip():
                continue
            est, se, p = src[g.key, col]
            if g.kind == "main":
                if g.key == "nobs":
                    assert _num(text) == est
                    checked += 1
                    continue
                assert abs(_num(text) - est) <= HALF_ULP, (g.key, col, text, est)
                n_stars = len(re.findall(r"\*", text))
                assert n_stars == sum(p < a for a in (0.1, 0.05, 0.01)), (g.key, col, text, p)
            else:
                assert abs(_num(text) - se) <= HALF_ULP, (g.key, col, text, se)
            checked += 1
    return checked


# ------------------------------------------------------------------ formatter
def test_number_formatter_and_stars():
    # expected strings are the closed-form roundings (Python's correctly rounded format)
    assert format_number(1234.5678, 2) == "1,234.57"
    assert format_number(-0.0004) == "0.000"  # no "-0.000"
    assert format_number(3252) == "3,252" and format_number(np.int64(7)) == "7"
    assert format_number(np.nan) == "" and format_number(None) == ""
    assert format_p(1e-9) == "<0.001" and format_p(1e-9, below=False) == "0.000" and format_p(0.0456) == "0.046"
    assert [stars(p) for p in (0.2, 0.1, 0.099, 0.05, 0.049, 0.01, 0.0099, np.nan)] == [
        "", "", "*", "*", "**", "**", "***", ""]
    assert star_note() == "*** p < 0.01, ** p < 0.05, * p < 0.10"
    assert star_note((0.05, 0.01, 0.001)) == "*** p < 0.001, ** p < 0.01, * p < 0.05"
    with pytest.raises(ValueError, match="decreasing"):
        stars(0.1, (0.01, 0.05))
    from spillmap.tables import decimals_for

    # two significant digits of the smallest |value|: 0.051 -> 3 decimals, 0.0015 -> 4; clipped to 3..6
    assert decimals_for([0.36, -0.051]) == 3 and decimals_for([0.0782, 0.0015]) == 4
    assert decimals_for([1e-9]) == 6 and decimals_for([0.0, np.nan]) == 3 and decimals_for([4e-5], digits=3, most=12) == 7


@pytest.mark.parametrize("seed", range(5))
def test_distinct_labels_keep_neighbours_apart(seed):
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.integers(-8, 7)
    vals = np.sort(np.r_[rng.uniform(0.49, 0.52, 4), rng.uniform(0, 1, 3), 0.0] * scale)
    labels = distinct_labels(vals)
    for a, b, x, y in zip(labels, labels[1:], vals, vals[1:]):
        assert a != b or x == y
    # the case: three classes that all printed 0.000000 in the response map
    lab = distinct_labels([0.0, 1.2e-7, 3.4e-6, 6.9e-6, 0.13268])
    assert len(set(lab)) == 5 and lab[-1] == "0.13"


# ------------------------------------------------------------------ table model
def test_regression_table_rows_and_headers(table):
    keys = list(table.body.index)
    for k in ("beta:lpcap", "beta:lemp", "theta:lemp", "rho", "lambda", "variance:sigma2", "variance:phi",
              "beta:const", "direct:lemp", "indirect:lemp", "total:lemp", "r2_within", "r2_pseudo", "loglik",
              "aic", "bic", "nobs", "n", "t", "unit_fe", "time_fe", "random", "lee_yu"):
        assert k in keys, k
    labels = dict(zip(table.rows.index, table.rows["label"]))
    assert labels["theta:lemp"] == "W×就业 Employment" and labels["rho"] == "ρ" and labels["unit_fe"] == "State FE"
    assert labels["n"] == "States" and labels["t"] == "Years" and labels["r2_pseudo"].startswith("Pseudo R²")
    assert list(table.columns["model"]) == ["OLS", "SAR", "SEM", "SDM", "SLX", "SDEM", "SAR"]
    assert list(table.columns["W"]) == ["", *["us48 queen"] * 6]
    assert table.body.at["unit_fe", "(7)"] == "No" and table.body.at["random", "(7)"] == "Yes"
    assert table.body.at["lee_yu", "(2)"] == "transformation" and pd.isna(table.body.at["lee_yu", "(1)"])
    assert any("Lee–Yu" in n for n in table.all_notes()) and any("p < 0.01" in n for n in table.all_notes())


def test_pseudo_r2_within_and_levels_are_separate_rows(fitted, table):
    """The fixed-effects fits' corr² is taken after the within transformation, the random-effects
    fit's in levels (audit 2026-12-01: one row mixed them): each has its own labelled row, and a
    study record keeps the distinction through JSON (old records say it in one phrase)."""
    from spillmap.study.records import FitRecord

    fits, _, _ = fitted
    labels = dict(zip(table.rows.index, table.rows["label"]))
    assert labels["r2_pseudo"] == "Pseudo R² (corr², within)" and labels["r2_pseudo_levels"] == "Pseudo R² (corr², levels)"
    body = table.body
    assert float(body.at["r2_pseudo", "(2)"]) == pytest.approx(fits["sar"].r2, abs=0.5e-3)  # printed with 3 decimals
    assert float(body.at["r2_pseudo_levels", "(7)"]) == pytest.approx(fits["re"].r2, abs=0.5e-3)
    assert pd.isna(body.at["r2_pseudo", "(7)"]) and pd.isna(body.at["r2_pseudo_levels", "(2)"])
    only_fe = regression_table([fits["sar"], fits["sdm"]])
    assert "r2_pseudo" in only_fe.body.index and "r2_pseudo_levels" not in only_fe.body.index
    assert "corr^2, within" in str(fits["sar"].summary()) and "corr^2, within" not in str(fits["re"].summary())
    for res, kind in ((fits["sar"], "pseudo_within"), (fits["re"], "pseudo")):
        rec = FitRecord.from_dict(FitRecord.from_spatial(res, label="x", w="w").to_dict())
        assert rec.glance()["r2_kind"] == kind
        old = dict(rec.to_dict())
        old["stats"] = {**old["stats"], "r2_kind": "squared correlation of y and its fitted value"}
        assert FitRecord.from_dict(old).glance()["r2_kind"] == kind


def test_w_row_not_repeated_and_small_variance_readable(fitted):
    """Columns titled by their W do not print the W names again; a σ² of about 1e-3 (Produc in
    logs) prints two significant digits of its SE instead of (0.000) (user audit 2026-12-01)."""
    fits, _, _ = fitted
    w = fits["sar"].w.name
    t = regression_table({w: fits["sar"]})
    assert list(t.columns["W"]) == [""]
    assert list(regression_table({"(a)": fits["sar"]}).columns["W"]) == [w]
    row = next(r for r in t.grid().rows if r.kind == "paren" and r.key == "variance:sigma2")
    digits = row.cells[0].strip("()").lstrip("0.")
    assert fits["sar"].sigma2 < 0.01 and len(digits) >= 2, row.cells  # e.g. (0.000041), not (0.000)
    row = next(r for r in t.grid().rows if r.kind == "paren" and r.key == "beta:lemp")
    assert len(row.cells[0].strip("()").split(".")[1]) == 3  # other rows keep the asked decimals


def test_dependent_variable_named_once_and_n_note_only_with_an_n_row(fitted):
    """Papers name the dependent variable: one shared y is said in the first note, with its label;
    the note on N is written only beside an N row (study audit 2026-12-01: no table said 'Dependent
    variable', and the dynamic effects table explained an N row it did not have)."""
    fits, _, eff = fitted
    t = regression_table([fits["sar"], fits["sdm"]], labels={"lgsp": "Log GSP"})
    assert t.all_notes()[0] == "Dependent variable: Log GSP."
    effects_only = regression_table([(fits["sdm"], eff)], blocks=("effects",))
    assert not any(n.startswith("N counts") for n in effects_only.all_notes())


def test_paren_choice_t_and_p(fitted, table):
    fits, _, _ = fitted
    t = table.with_options(paren="t")
    row = next(r for r in t.grid().rows if r.kind == "paren" and r.key == "rho")
    z = fits["sar"].params["rho"] / fits["sar"].std_errors["rho"]  # z = estimate / SE
    assert abs(float(row.cells[1].strip("()")) - z) <= HALF_ULP
    p = regression_table([fits["sar"]], stat="p", decimals=4)
    row = next(r for r in p.grid().rows if r.kind == "paren" and r.key == "beta:unemp")
    assert abs(float(row.cells[0].strip("()")) - fits["sar"].pvalues["unemp"]) <= 0.5e-4 + 1e-12
    with pytest.raises(InputError, match="'se', 't', 'p'"):
        regression_table([fits["sar"]], stat="z")


def test_variables_blocks_and_errors(fitted):
    fits, base, eff = fitted
    t = regression_table([fits["sdm"]], effects=[eff], variables=["lemp"], blocks=("effects",))
    assert list(t.body.index) == ["direct:lemp", "indirect:lemp", "total:lemp"]
    only = regression_table([eff])  # an EffectsResult alone is a column of effects
    assert "direct:lpcap" in only.body.index and "beta:lpcap" not in only.body.index
    with pytest.raises(InputError, match="2 entries for 1 fits"):
        regression_table([fits["sdm"]], effects=[eff, eff])
    with pytest.raises(InputError, match="no extractor is registered for it"):
        regression_table([object()])
    with pytest.raises(InputError, match="statistics"):
        regression_table([base], statistics=["nope"])


def test_effects_of_another_fit_are_refused(fitted, produc_logs, us48_queen):
    """API audit 29 #1: effects put beside a fit they were not computed from (two entries swapped, or
    the SDM with individual effects under the two-way SDM) printed the other model's spillovers
    without a word; the column is now refused, by its model or by the estimates the effects carry."""
    from spillmap.estimation import SpatialPanel

    fits, _, eff = fitted
    assert dict(eff.estimates) == pytest.approx(fits["sdm"].params.to_dict(), rel=0, abs=0)
    sar_eff = fits["sar"].impacts(draws=0)
    with pytest.raises(InputError, match="column SDM: the effects are of model SAR but the fit is model SDM"):
        regression_table({"SDM": fits["sdm"], "SAR": fits["sar"]}, effects={"SDM": sar_eff, "SAR": eff})
    other = SpatialPanel(produc_logs, "lgsp ~ lpcap + lemp + unemp", id="state_abbr", time="year", w=us48_queen,
                         model="sdm", fe="individual").fit()
    with pytest.raises(InputError, match=r"column 1 \(of 1\): the effects were computed from other estimates"):
        regression_table([fits["sdm"]], effects=[other.impacts(draws=0)])
    with pytest.raises(InputError, match="other estimates"):
        regression_table([(fits["sdm"], other.impacts(draws=0))])
    t = regression_table([fits["sdm"], fits["sar"]], effects=[eff, sar_eff], blocks=("effects",))
    assert t.body.shape[1] == 2  # each fit with its own effects


def test_register_a_new_results_type():
    from spillmap.tables import register, tidy

    class Toy:
        pass

    register(Toy, tidy=lambda f: pd.DataFrame({"term": ["x"], "kind": ["beta"], "variable": ["x"],
                                               "estimate": [1.5], "std_error": [0.5], "p": [0.003]}),
             glance=lambda f: {"model": "TOY", "nobs": 10})
    t = regression_table([Toy()])
    assert t.grid().rows[0].cells == ("1.500***",) and tidy(Toy())["estimate"].iloc[0] == 1.5

    class StoredFit:  # a stored result carrying its own effects (like the study layer's records)
        pass

    register(StoredFit, tidy=lambda f: pd.DataFrame({
        "term": ["x", "direct:x"], "kind": ["beta", "direct"], "variable": ["x", "x"],
        "estimate": [1.5, 0.25], "std_error": [0.5, 0.1], "p": [0.003, 0.04]}),
        glance=lambda f: {"model": "SDM", "effects_method": "simulation (10 draws)"})
    t = regression_table([StoredFit()])
    assert list(t.body.index) == ["beta:x", "direct:x"] and t.grid().rows[-2].cells == ("0.250**",)
    assert any("simulation (10 draws)" in n for n in t.all_notes())


# ------------------------------------------------------------------ writers
def test_csv_numbers_exact(table, fitted, tmp_path):
    path = save(table, tmp_path / "t.csv")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)  # parsed below with float(): exact
    src = _source(fitted)
    n = 0
    for r in df.itertuples():
        if (r.row, r.column) in src and r.kind == "coef":
            est, se, p = src[r.row, r.column]
            # repr round-trip: the stored double itself
            assert float(r.estimate) == est and float(r.se) == se
            assert float(r.p) == p if r.p else np.isnan(p)
            n += 1
    assert n == sum(1 for k, c in src if k in table.body.index and table.rows.at[k, "kind"] == "coef")
    assert set(df.columns) >= {"row", "label", "column", "model", "W", "estimate", "se", "p"}


def test_formatted_csv_and_markdown_and_html(table, fitted, tmp_path):
    text = save(table, tmp_path / "f.csv", csv="formatted").read_text(encoding="utf-8")
    rows = [r for r in pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False).values.tolist()]
    body = [r for r in rows[4:] if r[0] not in ("Coefficients", "Direct effects", "Indirect effects", "Total effects")]
    assert _check_rows(table, body[: len([g for g in table.grid().rows if g.kind != "block"])], fitted) == _n_numbers(table, fitted)
    assert "\u22120.341***" in text  # W×lemp of the SDM, negative: printed with U+2212
    md = to_markdown(table)
    md_rows = [[c.strip() for c in line.strip("|").split(" | ")] for line in md.splitlines()
               if line.startswith("|") and not line.startswith("|:") and "*" not in line.split("|")[1]]
    assert _check_rows(table, md_rows[4:], fitted) == _n_numbers(table, fitted)
    h = to_html(table)
    trs = re.findall(r"<tr(?: class=\"paren\")?(?: style=\"[^\"]*\")?><th[^>]*>(.*?)</th>(.*?)</tr>", h.split("<tbody")[1])
    h_rows = [[html_mod.unescape(lab)] + [html_mod.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", cells)]
              for lab, cells in trs]
    assert _check_rows(table, h_rows, fitted) == _n_numbers(table, fitted)
    assert "就业 Employment" in h and "&amp;" in h  # Chinese kept, '&' escaped


def test_docx_numbers(table, fitted, tmp_path):
    import docx

    path = save(table, tmp_path / "t.docx")
    doc = docx.Document(str(path))
    (tab,) = doc.tables
    rows = [[c.text for c in row.cells] for row in tab.rows]
    header_rows = len(table.header_runs())
    body = [r for r in rows[header_rows:] if not (r[0] and len(set(r)) == 1)]  # drop merged block titles
    assert _check_rows(table, body, fitted) == _n_numbers(table, fitted)
    assert doc.paragraphs[0].text == "Production & spillovers_1"
    assert any("p < 0.01" in p.text for p in doc.paragraphs)
    # three rules: heavy top on row 0, light bottom under the header, heavy bottom on the last row
    def edge(row, side):  # the border of each distinct cell of a row (merged cells share one)
        tcs = list(dict.fromkeys(c._tc for c in row.cells))
        return [tc.xpath(f"./w:tcPr/w:tcBorders/w:{side}/@w:sz") for tc in tcs]

    assert all(sz == ["12"] for sz in edge(tab.rows[0], "top"))
    assert all(sz == ["6"] for sz in edge(tab.rows[header_rows - 1], "bottom"))
    assert all(sz == ["12"] for sz in edge(tab.rows[-1], "bottom"))
    assert not any(edge(tab.rows[header_rows + 1], side) != [[]] * len(edge(tab.rows[header_rows + 1], side))
                   for side in ("top", "bottom", "left", "right"))  # no other rules
    assert "就业 Employment" in [r[0] for r in rows]


def test_xlsx_numbers_are_numbers(table, fitted, tmp_path):
    import openpyxl

    path = save(table, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path).active
    src = _source(fitted)
    cols = {c: j + 2 for j, c in enumerate(table.body.columns)}
    labels = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    r = labels.index("ρ") + 1
    est, se, p = src["rho", "(2)"]
    main, paren = ws.cell(r, cols["(2)"]), ws.cell(r + 1, cols["(2)"])
    # stored as numbers at full precision: openpyxl >= 3.1.3 writes the shortest repr (exact);
    # older versions write 16 significant digits (Excel itself keeps 15): relative 1e-15
    assert main.value == pytest.approx(est, rel=1e-15) and paren.value == pytest.approx(se, rel=1e-15)
    assert main.number_format == '#,##0.000"***"' and paren.number_format == "(#,##0.000);(-#,##0.000)"
    n = 0
    for i, lab in enumerate(labels, start=1):
        for col, j in cols.items():
            v = ws.cell(i, j).value
            if isinstance(v, float) and ws.cell(i, j).number_format.startswith("#,##0.000"):
                n += 1
    assert n > 60
    nobs_row = labels.index("N (observations used)") + 1
    assert ws.cell(nobs_row, cols["(2)"]).value == src["nobs", "(2)"][0]  # an integer: exact
    assert isinstance(ws.cell(nobs_row, cols["(2)"]).value, int)


def test_latex_text_and_numbers(table, fitted):
    tex = to_latex(table, label="tab:t9", long=False)  # 57 rows: a longtable by default (taller than a page at 7 pt)
    assert r"\toprule" in tex and r"\begin{tablenotes}" in tex and r"\label{tab:t9}" in tex
    assert r"Production \& spillovers\_1" in tex and r"$\rho$" in tex
    lines = tex.split(r"\midrule", 1)[1].split(r"\bottomrule")[0].splitlines()
    rows = [[c.strip() for c in re.split(r"(?<!\\)&", line.rstrip()[:-2])] for line in lines
            if line.rstrip().endswith("\\\\") and "multicolumn" not in line]
    assert _check_rows(table, rows, fitted) == _n_numbers(table, fitted)


def _tex_skip(engine: str) -> str | None:
    import shutil
    import subprocess

    if shutil.which(engine) is None:
        pkgs = "texlive-xetex texlive-lang-chinese" if engine == "xelatex" else (
            "texlive-latex-base texlive-latex-recommended texlive-latex-extra")
        return f"no {engine} (Debian: apt-get install {pkgs})"
    for sty in ("booktabs.sty", "threeparttable.sty"):
        if shutil.which("kpsewhich") and not subprocess.run(["kpsewhich", sty], capture_output=True, text=True).stdout:
            return f"{sty} not installed (texlive-latex-recommended / texlive-latex-extra)"
    return None


def _compile(tex: str, engine: str, tmp_path):
    import subprocess

    (tmp_path / "doc.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


def test_latex_compiles_with_pdflatex(fitted, tmp_path):
    reason = _tex_skip("pdflatex")
    if reason:
        pytest.skip(f"LaTeX compile test skipped: {reason}")
    fits, base, eff = fitted
    t = regression_table({"OLS": base, "SDM": (fits["sdm"], eff), "RE": fits["re"]},
                         labels={"lemp": "Employment & jobs_%"}, caption="Table 9 #1 ~ $", notes=["<x> 5%"], stat="p")
    _compile(to_latex(t, standalone=True), "pdflatex", tmp_path)


def test_latex_symbols_of_scenario_and_dynamic_labels_compile(fitted, tmp_path):
    """The labels spillmap writes for scenarios (Δx) and dynamic models ((I − ρW)⁻¹, τ, η) compile with
    pdflatex (study audit 2026-12-01: '! Unicode character Δ (U+0394)')."""
    reason = _tex_skip("pdflatex")
    if reason:
        pytest.skip(f"LaTeX compile test skipped: {reason}")
    fits, _, _ = fitted
    t = regression_table([fits["sar"]], labels={"lemp": "Δ lemp, (I − ρW)⁻¹ τ η φ ± → 10³"},
                         caption="Δy after Δx", notes=["S = (I − ρW)⁻¹"])
    _compile(to_latex(t, standalone=True), "pdflatex", tmp_path)


def test_latex_with_chinese_compiles_with_xelatex(table, tmp_path):
    import shutil
    import subprocess

    reason = _tex_skip("xelatex")
    if reason is None and not subprocess.run(["kpsewhich", "xeCJK.sty"], capture_output=True, text=True).stdout:
        reason = "xeCJK.sty not installed (texlive-lang-chinese)"
    if reason:
        pytest.skip(f"CJK LaTeX compile test skipped: {reason}")
    tex = to_latex(table, standalone=True)
    assert r"\usepackage{xeCJK}" in tex
    _compile(tex, "xelatex", tmp_path)
    assert shutil.which("xelatex")


def test_save_refuses_overwrite_and_unknown_extension(table, tmp_path):
    p = save(table, tmp_path / "t.md")
    before = p.read_bytes()
    with pytest.raises(OutputError, match="exists"):
        save(table, p)
    assert p.read_bytes() == before
    save(table.with_options(caption="new"), p, overwrite=True)
    assert b"new" in p.read_bytes()
    with pytest.raises(InputError, match=r"\.docx"):
        save(table, tmp_path / "t.pdf")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["t.md"]  # no temporary files left


def test_several_tables_in_one_workbook_and_document(table, tmp_path):
    import docx
    import openpyxl

    from spillmap.tables import descriptive_table

    d = descriptive_table(pd.DataFrame({"a": [1.0, 2.0, 4.0]}), ["a"])
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes([table, d])))
    assert len(wb.sheetnames) == 2 and wb.sheetnames[1] == "Descriptive statistics"
    # a caption's colon and brackets become readable, cut at a word (audit 2026-12-01: "Baseline_ non-spatial two-way f")
    from spillmap.tables._xlsx import sheet_title

    used: set[str] = set()
    assert sheet_title("Baseline: non-spatial two-way fixed effects", used) == "Baseline - non-spatial two-way"
    assert sheet_title("Baseline: non-spatial two-way fixed effects", used) == "Baseline - non-spatial (2)"
    assert sheet_title("SDM [W1]? a/b", used) == "SDM W1 a b"
    assert len(docx.Document(io.BytesIO(to_docx_bytes([table, d]))).tables) == 2
    with pytest.raises(InputError, match="only as .docx or .xlsx"):
        save([table, d], tmp_path / "x.md")


def test_csv_cells_are_formula_safe(fitted):
    fits, _, _ = fitted
    t = regression_table([fits["sar"]], labels={"lemp": "=HYPERLINK(1)"}, caption="=cmd")
    assert "'=HYPERLINK(1)" in to_csv(t) and "'=HYPERLINK(1)" in to_csv(t, "formatted")
    # numbers are not touched; formatted negatives use U+2212 (not a formula character)
    assert ",'-" not in to_csv(t, "formatted") and "\u22120.003***" in to_csv(t, "formatted")
    # a lone sign (an indicator's direction) is data, not a formula: written as it is; "-1" is guarded
    from spillmap._textsafe import csv_text

    assert csv_text(pd.DataFrame({"direction": ["+", "-", "-1"]}), index=False).splitlines()[1:] == [
        '"+"', '"-"', '"\'-1"']


def test_results_repr_html_formats_p_and_stars(fitted):
    fits, _, _ = fitted
    h = fits["sdm"]._repr_html_()
    p = fits["sdm"].pvalues["lemp"]
    assert p < 1e-4 and "&lt;0.0001" in h and "***" in h and "p &lt; 0.01" in h
    assert f"{p:.6g}" not in h  # the raw p-value is no longer printed


def test_stats_and_descriptive_tables(produc_logs):
    from spillmap.tables import describe, descriptive_table, stats_table

    stats = pd.DataFrame({"W1": [15.5126, 349.256, np.nan], "W2": [10.612, 110.771, 3.2]},
                         index=["moran", "lm_lag", "hausman"])
    pv = pd.DataFrame({"W1": [1e-50, 2e-4, np.nan], "W2": [0.0123, 0.5, 0.0746]}, index=stats.index)
    t = stats_table(stats, pv, labels={"moran": "Moran's I", "lm_lag": "LM-lag"})
    rows = {r.label: r.cells for r in t.grid().rows}
    # closed-form roundings of the inputs
    assert rows["Moran's I"] == ("15.513 (0.000)", "10.612 (0.012)") and rows["hausman"] == ("n/a", "3.200 (0.075)")
    assert "p-values in parentheses." in t.all_notes()
    both = pd.concat({"W1": pd.DataFrame({"stat": stats["W1"], "p": pv["W1"]})}, axis=1)
    assert stats_table(both).grid().rows[1].cells == ("349.256 (0.000)",)
    d = describe(produc_logs, ["lgsp", "unemp"])
    ref = produc_logs[["lgsp", "unemp"]].describe()  # independent: pandas describe (sd ddof = 1)
    np.testing.assert_allclose(d.loc["lgsp", ["mean", "sd", "min", "max"]].to_numpy(float),
                               ref["lgsp"][["mean", "std", "min", "max"]].to_numpy(float), rtol=1e-14)
    dt = descriptive_table(d, labels={"lgsp": "log GSP"})
    assert dt.grid().rows[0].cells[0] == "816" and dt.grid().rows[0].label == "log GSP"
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(t))).active
    vals = [[c.value for c in row] for row in ws.iter_rows()]
    moran_row = next(i for i, r in enumerate(vals) if r[0] == "Moran's I")
    assert vals[moran_row][1] == 15.5126 and vals[moran_row + 1][1] == 1e-50  # statistic, then p below


def test_stats_table_takes_test_results():
    """API audit 29 #9: stats_table([lr_sdm_sar(...), wald_sdm_sar(...)]) raised AttributeError; test
    results are one row each, statistic with its p in parentheses (the numbers given, to 3 decimals)."""
    from spillmap.results import TestResult
    from spillmap.tables import stats_table

    tests = [TestResult("LR (SDM vs SAR)", 13.0, 2.0, 0.0015034, "H0"), TestResult("Wald", 2.5, 1.0, 0.1138, "H0")]
    t = stats_table(tests)
    assert list(t.body.index) == ["LR (SDM vs SAR)", "Wald"] and list(t.body["stat"]) == [13.0, 2.5]
    assert list(t.pvalues["stat"]) == [0.0015034, 0.1138]
    assert stats_table(tests[0]).body.shape == (1, 1)
    with pytest.raises(InputError, match="stats_table takes a DataFrame of statistics or test results"):
        stats_table([1, 2])
