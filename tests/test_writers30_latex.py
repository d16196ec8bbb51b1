"""Paper audit 30, the LaTeX writer: an estimate is never parted from its standard error by a page break
(B3), a CJK table says it needs xelatex and xeCJK (B4), a longtable says it needs two or three runs (C5),
wide and long tables fit the line in 7 pt type or more (B1/B2) and a header over every column is set
above the others with a rule (C2).

The tables are built here with the shapes of the audit's (three W with 40-55-character diagnostic
labels; nine columns of group estimates with 60-character test labels) from seeded random numbers; the
compiled PDFs are read back with ``mutool draw -F stext`` (every character with its position and size),
as the auditor measured them.  Each document is compiled as the auditor did: 11 pt ``article``, 1 in
margins (a 468 pt line), three pdflatex runs -- or fewer when LaTeX asks for no rerun (a table without a
longtable is set in one: the same pages)."""
from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from spillmap.tables import LATEX_PACKAGES, Table, to_latex
from spillmap.tables._latex import has_cjk

LINE_PT = 468.0  # the text width of an 11 pt article with 1 in margins on letter paper (8.5 in - 2 in)
LEFT_PT = 72.0  # 1 in

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("mutool") is None,
                               reason="needs pdflatex and mutool (Debian: texlive-latex-extra, mupdf-tools)")


# ------------------------------------------------------------------ tables of the audit's shapes
def _coef_table(labels: list[str], columns: pd.DataFrame, *, seed: int, caption: str = "Estimates",
                notes: tuple[str, ...] = ("A note.",), extra: dict[str, str] | None = None) -> Table:
    """Estimate + SE rows (stars from p) for ``labels``, one column per row of ``columns``; ``extra``: text
    rows ``{key: label}`` above them (to move the estimate/SE pairs down by one row)."""
    rng = np.random.default_rng(seed)
    keys = [f"x{i}" for i in range(len(labels))]
    est = pd.DataFrame(rng.normal(0, 0.3, (len(keys), len(columns))), index=keys, columns=columns.index)
    se = pd.DataFrame(rng.uniform(0.01, 0.2, est.shape), index=keys, columns=columns.index)
    p = pd.DataFrame(rng.uniform(0, 0.2, est.shape), index=keys, columns=columns.index)
    rows = pd.DataFrame({"label": labels, "block": "coef", "kind": "coef", "decimals": 3}, index=keys)
    body = est.astype(object)
    if extra:
        top = pd.DataFrame({c: ["yes"] * len(extra) for c in columns.index}, index=list(extra), dtype=object)
        body = pd.concat([top, body])
        rows = pd.concat([pd.DataFrame({"label": list(extra.values()), "block": "top", "kind": "text",
                                        "decimals": 0}, index=list(extra)), rows])
        se, p = se.reindex(body.index), p.reindex(body.index)
    return Table(body=body, rows=rows, columns=columns, se=se, pvalues=p, caption=caption, notes=notes)


#: labels of the US diagnostics table (audit 30, B1: 75 pt too wide with three W)
DIAG_LABELS = ["Moran's I of Log gross state product (z, pooled)", "Moran's I of the within residuals (z, exact "
               "moments)", "LM-SARMA (lag and error)", "BSK conditional LM-λ (error, given RE)",
               "BSJK joint J (RE, serial and spatial correlation)", "Posterior model probability: SDEM",
               "LR, joint significance of period effects", "Hausman (FE vs RE), Mundlak form"]


def _diagnostics(n_rows: int = 39) -> Table:
    rng = np.random.default_rng(30)
    keys = [f"t{i}" for i in range(n_rows)]
    cols = ["Wq", "K5", "WE"]
    stat = pd.DataFrame(rng.uniform(0, 5000, (n_rows, 3)), index=keys, columns=cols)
    stat.iloc[3, 2] = np.nan  # a test not computed: "n/a"
    p = pd.DataFrame(rng.uniform(0, 1, (n_rows, 3)), index=keys, columns=cols)
    rows = pd.DataFrame({"label": [DIAG_LABELS[i % len(DIAG_LABELS)] for i in range(n_rows)], "block": "",
                         "kind": "test", "decimals": 3}, index=keys)
    return Table(body=stat, rows=rows, columns=pd.DataFrame({"label": cols}, index=cols), pvalues=p,
                 paren=None, star_levels=(), caption="Spatial diagnostics (statistic, p-value)", stub="Test",
                 notes=("n/a = not computed. " + "A long note on every test. " * 12,))


def _groups(n_groups: int = 4) -> Table:
    """The demo's heterogeneity_region4 shape: an OLS and an SDM column per group, the test column, two test
    rows with 60-character labels (audit 30, B2: shrunk to 5.5 pt)."""
    names = ["east", "west", "central", "northeast", "south", "north"][:n_groups]
    idx = [f"{g}:{m}" for g in names for m in ("OLS", "SDM")]
    columns = pd.DataFrame({"group": [f"Region = {g.split(':')[0]} (n = 88)" for g in idx],
                            "model": [i.split(":")[1] for i in idx],
                            "effects": "two-way FE"}, index=idx)
    t = _coef_table(["Industrial intelligence", "W×Industrial intelligence", "ρ", "σ²"], columns, seed=4,
                    caption="Heterogeneity by Region")
    tests = pd.DataFrame("", index=["wald_ols", "wald_sdm"], columns=idx)  # as the report: blank, not n/a
    body = pd.concat([t.body, tests]).astype(object)
    body["across"] = [""] * len(t.body) + [5.683, 1.838]
    rows = pd.concat([t.rows, pd.DataFrame(
        {"label": ["Equal Industrial intelligence across groups (OLS, Wald, df 3)",
                   "Equal Industrial intelligence across groups (SDM, Wald, df 6)"],
         "block": "tests", "kind": "test", "decimals": 3}, index=["wald_ols", "wald_sdm"])])
    columns = pd.concat([columns, pd.DataFrame({"group": ["Across groups"], "model": ["Wald"], "effects": [""]},
                                               index=["across"])])
    pv = pd.concat([t.pvalues, pd.DataFrame({"across": [0.128, 0.934]}, index=["wald_ols", "wald_sdm"])])
    se = t.se.reindex(index=body.index, columns=body.columns)
    return Table(body=body, rows=rows, columns=columns, se=se, pvalues=pv.reindex(columns=body.columns),
                 caption=t.caption, notes=("Each group estimated separately. " * 6,))


# ------------------------------------------------------------------ compiling and reading the PDF
def _compile(tmp_path, tex: str, *, preamble: str = "", name: str = "doc",
             margin: str = "1in") -> tuple[str, list[dict]]:
    """``tex`` \\input in an 11 pt article with ``margin`` margins, pdflatex run until it asks for no rerun (at
    most 3 runs); the log and the pages, each ``{"rows": [(y, text, sizes)], "chars": [(x, size, c)]}``
    (characters grouped by baseline; stars left out)."""
    (tmp_path / f"{name}_table.tex").write_text(tex, encoding="utf-8")
    (tmp_path / f"{name}.tex").write_text(
        rf"\documentclass[11pt]{{article}}\usepackage[margin={margin}]{{geometry}}"
        rf"\usepackage{{{','.join(LATEX_PACKAGES)}}}{preamble}"
        rf"\begin{{document}}\input{{{name}_table.tex}}\end{{document}}" + "\n", encoding="utf-8")
    for _ in range(3):  # a longtable's widths settle on the reruns; a table without one is set in one run
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stdout[-3000:]
        log = (tmp_path / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        if "Rerun" not in log.replace("\n", ""):  # longtable: "Table widths have changed. Rerun LaTeX."
            break
    xml = subprocess.run(["mutool", "draw", "-F", "stext", "-o", "-", f"{name}.pdf"], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    pages = []
    for page in ET.fromstring(xml).iter("page"):
        lines: dict[float, list] = defaultdict(list)
        chars = []
        for font in page.iter("font"):
            size = float(font.get("size"))
            for ch in font.iter("char"):
                if ch.get("c") in "*\u2217":  # superscript stars: raised off the row's baseline, smaller
                    continue
                x, y = float(ch.get("x")), float(ch.get("y"))
                lines[round(y)].append((x, size, ch.get("c")))
                chars.append((x, size, ch.get("c")))
        rows = [(y, "".join(c for _, _, c in sorted(v)), [s for _, s, _ in v]) for y, v in sorted(lines.items())]
        pages.append({"rows": rows, "chars": chars})
    return log, pages


def _head(tex: str) -> list[str]:
    """The header lines of a table: from its ``\\toprule`` to the ``\\midrule`` (or the end of the macro
    holding them)."""
    out = []
    for ln in tex.split("\\toprule\n", 1)[1].splitlines():
        if ln in ("\\midrule", "}%"):
            return out
        out.append(ln)
    return out


def _overfull(log: str) -> list[str]:
    return re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)


def _table_sizes(pages: list[dict], first: str, stop: str) -> list[float]:
    """The type sizes of the table's rows from the one starting ``first`` to the one starting ``stop``
    (the notes, left out); superscripts (σ², R², on baselines of their own) left out: smaller than most of the
    table's characters (stars are not even read, see :func:`_compile`)."""
    out, inside = [], False
    for page in pages:
        for _, text, sizes in page["rows"]:
            if text.startswith(stop):
                break
            inside = inside or text.startswith(first)
            if inside:
                out += sizes
        else:
            continue
        break
    common = max(set(out), key=out.count) if out else 0.0
    return [x for x in out if x >= 0.8 * common]


# ------------------------------------------------------------------ B3: estimate and SE on one page
def test_estimate_rows_end_with_no_break_before_their_se_row():
    t = _coef_table([f"Variable {i}" for i in range(3)], pd.DataFrame({"label": ["A", "B"]}, index=["a", "b"]),
                    seed=1, extra={"n": "Units"})
    body = to_latex(t, long=True).split("\\midrule\n", 1)[1].split(r"\bottomrule", 1)[0].splitlines()
    rows = [ln for ln in body if "&" in ln]
    labels = [ln.split("&")[0].strip() for ln in rows]
    assert labels[0] == "Units" and labels[1::2] == ["Variable 0", "Variable 1", "Variable 2"]
    for est, se in zip(rows[1::2], rows[2::2]):
        assert est.endswith(r"\\*") and se.endswith(r"\\") and not se.endswith(r"\\*"), (est, se)
    assert rows[0].endswith(r"\\") and not rows[0].endswith(r"\\*")  # a row without an SE row may break


@needs_tex
@pytest.mark.parametrize("shift", [0, 1])
def test_a_long_table_never_starts_a_page_with_a_standard_error(tmp_path, shift):
    """40 estimate/SE pairs over three pages; ``shift`` text rows above them move every pair down by one
    row, so that with a break after any row one of the two tables would put an SE at the top of a page
    (audit 30, B3: "(0.0027) (0.0032) (34.1464)" alone under the repeated header)."""
    extra = {f"e{i}": f"Extra row {i}" for i in range(shift)} or None
    t = _coef_table([f"Variable {i}" for i in range(40)],
                    pd.DataFrame({"label": ["Alpha", "Beta", "Gamma"]}, index=["a", "b", "c"]), seed=3, extra=extra)
    log, pages = _compile(tmp_path, to_latex(t, long=True))
    assert len(pages) >= 2
    for k, page in enumerate(pages[1:], start=2):
        texts = [text for _, text, _ in page["rows"]]
        head = next(i for i, x in enumerate(texts) if x.startswith("AlphaBetaGamma"))  # the repeated header
        first = texts[head + 1]
        assert first.startswith("Variable"), (k, first)  # an estimate row, never "(0.123)(0.045)(0.067)"
        assert not first.startswith("(")


# ------------------------------------------------------------------ B4 and C5: the first line
def test_a_cjk_table_says_it_needs_xelatex_and_xecjk():
    cols = pd.DataFrame({"label": ["Received"]}, index=["r"])
    t = Table(body=pd.DataFrame({"r": [0.0039]}, index=["a"]), rows=pd.DataFrame({"label": ["1. 信阳市 (411500)"]},
              index=["a"]), columns=cols, caption="Top receivers", paren=None, star_levels=())
    first = to_latex(t).splitlines()[0]
    assert "xelatex" in first and r"\usepackage{xeCJK}" in first, first
    plain = t.with_options(rows=pd.DataFrame({"label": ["1. Xinyang (411500)"]}, index=["a"]))
    assert "xeCJK" not in to_latex(plain).splitlines()[0] and "xelatex" not in to_latex(plain).splitlines()[0]


@pytest.mark.parametrize("text", ["信阳市", "とうきょう", "カタカナ", "서울", "\U00020000",  # ext. B
                                  "（全角）"])
def test_has_cjk_knows_chinese_japanese_and_korean(text):
    assert has_cjk(text)


def test_has_cjk_is_false_for_latin_greek_and_math():
    assert not has_cjk("Log public capital ρ σ² W×x −0.5 — é")


@needs_tex
def test_pdflatex_cannot_set_the_cjk_table_the_first_line_warns_of(tmp_path):
    """The reason for the warning: the file as written stops pdflatex (audit 30, B4: "Unicode character 信")."""
    t = Table(body=pd.DataFrame({"r": [0.0039]}, index=["a"]), rows=pd.DataFrame({"label": ["信阳市"]}, index=["a"]),
              columns=pd.DataFrame({"label": ["Received"]}, index=["r"]), paren=None, star_levels=())
    (tmp_path / "doc.tex").write_text(rf"\documentclass{{article}}\usepackage{{{','.join(LATEX_PACKAGES)}}}"
                                      rf"\begin{{document}}{to_latex(t)}\end{{document}}", encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "Unicode character" in run.stdout


def test_a_longtable_says_to_run_latex_two_or_three_times():
    t = _diagnostics()
    long_first, short_first = to_latex(t, long=True).splitlines()[0], to_latex(t, long=False).splitlines()[0]
    assert "longtable" in long_first and "two or three times" in long_first, long_first
    assert "two or three times" not in short_first


# ------------------------------------------------------------------ B1/B2: the width
@needs_tex
def test_the_three_w_diagnostics_longtable_fits_the_line(tmp_path):
    """Audit 30, B1: 'Overfull \\hbox (75.25pt too wide)' at 11 pt with 1 in margins; now set smaller (but
    at 7 pt or more) so that no character passes the right margin."""
    t = _diagnostics()
    tex = to_latex(t)
    assert r"\begin{longtable}" in tex
    log, pages = _compile(tmp_path, tex)
    assert not _overfull(log)
    assert "Package spillmap Warning" not in log
    for page in pages:
        assert max(x for x, _, _ in page["chars"]) <= LEFT_PT + LINE_PT + 0.5
    sizes = _table_sizes(pages, "Moran", "n/a = not computed")  # Moran’s: a typeset quote
    assert sizes and min(sizes) >= 6.95, sorted(set(sizes))


@needs_tex
def test_a_wide_table_is_not_shrunk_below_7_pt(tmp_path):
    """Audit 30, B2: the nine-column group table was shrunk to 5.5 pt (stars 4.0 pt); now \\footnotesize or
    \\scriptsize, its long test labels wrapped, shrunk only down to 7 pt -- and it fits the line."""
    t = _groups()
    log, pages = _compile(tmp_path, to_latex(t))
    assert not _overfull(log) and "Package spillmap Warning" not in log
    assert max(x for x, _, _ in pages[0]["chars"]) <= LEFT_PT + LINE_PT + 0.5
    sizes = _table_sizes(pages, "Industrial intelligence", "Each group")
    assert sizes and min(sizes) >= 6.95, sorted(set(sizes))
    texts = [text for _, text, _ in pages[0]["rows"]]
    assert not any("(SDM, Wald, df 6)" in x for x in texts if x.startswith("Equal"))  # the label wrapped
    notes = [s for _, text, sizes in pages[0]["rows"] if text.startswith("Each group") for s in sizes]
    assert max(notes) <= max(sizes) + 1.05  # notes not larger than the table's type (9 pt over 5.5 pt before)


@needs_tex
def test_a_wrapped_estimate_label_keeps_its_se_row_beside_it(tmp_path):
    """On a narrower line (1.5 in margins) 'W×Industrial intelligence' wraps; the row of its standard errors
    is set beside the label's second line, not under it a line apart from the estimates, and the next
    estimate follows on the next line."""
    log, pages = _compile(tmp_path, to_latex(_groups()), margin="1.5in")
    assert not _overfull(log)
    texts = [text for _, text, _ in pages[0]["rows"]]
    est = next(k for k, x in enumerate(texts) if x.startswith("W\u00d7Industrial"))
    assert re.fullmatch(r"W×Industrial[−\d.]+", texts[est]), texts[est]  # the label wrapped: numbers follow
    assert re.fullmatch(r"intelligence(\(\d\.\d{3}\)){8}", texts[est + 1]), texts[est + 1]  # one baseline
    assert texts[est + 2].startswith("ρ"), texts[est + 2]


@needs_tex
def test_a_table_too_wide_at_7_pt_is_left_for_landscape(tmp_path):
    """18 columns of '-0.123***'-wide numbers do not fit a portrait line at 7 pt: LaTeX warns, the first
    line advises landscape, and the type stays at 7 pt or more; on a landscape page (pdflscape) it fits."""
    cols = pd.DataFrame({"label": [f"C{i}" for i in range(18)]}, index=[f"c{i}" for i in range(18)])
    t = _coef_table(["Industrial intelligence", "Road area per capita"], cols, seed=18)
    tex = to_latex(t)
    assert "landscape" in tex.splitlines()[0]
    log, pages = _compile(tmp_path, tex, name="portrait")
    assert "Package spillmap Warning: A table is wider than the line" in log.replace("\n", "")
    sizes = _table_sizes(pages, "Industrial", "A note.")
    assert min(sizes) >= 6.95, sorted(set(sizes))
    log, pages = _compile(tmp_path, r"\begin{landscape}" + tex + r"\end{landscape}",
                          preamble=r"\usepackage{pdflscape}", name="landscape")
    assert not _overfull(log) and "Package spillmap Warning" not in log


def test_a_narrow_table_is_not_marked_wide():
    t = _coef_table(["x"], pd.DataFrame({"label": ["A", "B"]}, index=["a", "b"]), seed=2)
    assert "landscape" not in to_latex(t).splitlines()[0]


# ------------------------------------------------------------------ C2: a header over every column
def test_a_header_over_every_column_is_set_above_the_others_with_a_rule():
    """Audit 30, C2: "two-way FE", the last header row centred over all three columns, read as the head of
    the middle one ("K5 two-way FE"); now joined with "SDM" on the first header line, a rule under it."""
    cols = pd.DataFrame({"label": ["(1)", "(2)", "(3)"], "model": "SDM", "W": ["Wq", "K5", "WE"],
                         "effects": "two-way FE"}, index=["a", "b", "c"])
    tex = to_latex(_coef_table(["x"], cols, seed=5))
    head = _head(tex)
    rows = [ln for ln in head if ln.endswith(r"\\")]
    assert rows[0] == r" & \multicolumn{3}{c}{SDM, two-way FE} \\"
    assert head[head.index(rows[0]) + 1] == r"\cmidrule(lr){2-4}"
    assert rows[-1] == r" & Wq & K5 & WE \\" and "two-way FE" not in rows[-1]


def test_a_header_over_some_columns_goes_above_the_finer_ones():
    """The heterogeneity table: "two-way FE" over the six model columns (not the test column) was the last
    header row, centred under the South column; now the first, ruled over columns 2-7."""
    head = _head(to_latex(_groups(3)))
    rows = [ln for ln in head if ln.endswith(r"\\")]
    assert rows[0].startswith(r" & \multicolumn{6}{c}{two-way FE}")
    assert head[head.index(rows[0]) + 1] == r"\cmidrule(lr){2-7}"
    assert rows[-1].split(" & ")[1:4] == ["OLS", "SDM", "OLS"]


@needs_tex
def test_long_heads_wrap_over_their_columns(tmp_path):
    """'Region = central (n = 80)' over two columns of numbers is set on two lines, broken before the
    parenthesis, not on one line that widens the columns."""
    tex = to_latex(_groups())
    assert r"\begin{tabular}[b]{@{}c@{}}Region = central\\(n = 88)\end{tabular}" in tex
    log, pages = _compile(tmp_path, tex)
    texts = [text for _, text, _ in pages[0]["rows"]]
    assert any(x.startswith("Region = eastRegion = west") for x in texts)  # two lines of heads ...
    assert any("(n = 88)(n = 88)" in x for x in texts)  # ... the counts on the second
