"""Paper audit 30, B6, the DOCX writer: the header rows repeat on each page, no row splits, an estimate row is
kept with its SE row, the label column is wider than the columns of numbers (it was one equal share of the
grid: 56-character labels wrapped badly) and the table fits the text block in 7 pt type or more (or takes a
landscape page); stars are superscripts.  Read back with python-docx and its XML (no Word here: the layout
Word makes is not checked, only what the file asks of it)."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from spillmap.tables import Table, to_docx_bytes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: the order of the children of w:tblPr and w:trPr in the WordprocessingML schema (ECMA-376 Part 1, 17.4.60
#: CT_TblPr and 17.4.82 CT_TrPr): Word refuses a file whose elements are out of this order
TBL_PR = ["tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize", "tblW",
          "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook"]
TR_PR = ["cnfStyle", "divId", "gridBefore", "gridAfter", "wBefore", "wAfter", "cantSplit", "trHeight", "tblHeader",
         "tblCellSpacing", "jc", "hidden"]


def _coef_table(labels: list[str], columns: pd.DataFrame, *, seed: int) -> Table:
    rng = np.random.default_rng(seed)
    keys = [f"x{i}" for i in range(len(labels))]
    shape = (len(keys), len(columns))
    frame = lambda a: pd.DataFrame(a, index=keys, columns=columns.index)  # noqa: E731
    return Table(body=frame(rng.normal(0, 0.3, shape)),
                 rows=pd.DataFrame({"label": labels, "block": "coef", "kind": "coef", "decimals": 3}, index=keys),
                 columns=columns, se=frame(rng.uniform(0.01, 0.2, shape)), pvalues=frame(rng.uniform(0, 0.2, shape)),
                 caption="Estimates", notes=("A note.",), block_titles=(("coef", "Coefficients"),))


def _sdm() -> Table:
    cols = pd.DataFrame({"label": ["(1)", "(2)", "(3)"], "model": "SDM", "W": ["Wq", "K5", "WE"]},
                        index=["a", "b", "c"])
    return _coef_table([f"Log variable {i}" for i in range(30)], cols, seed=6)


def _groups() -> Table:
    """Seven columns and 56-character labels, as the US heterogeneity table (audit 30, B6)."""
    idx = [f"g{i}" for i in range(7)]
    cols = pd.DataFrame({"label": ["OLS", "SDM"] * 3 + ["Wald"]}, index=idx)
    return _coef_table(["Equal Log public capital across groups (SDM, Wald, df 6)", "Log public capital"], cols,
                       seed=7)


def _doc(tables):
    import docx

    return docx.Document(io.BytesIO(to_docx_bytes(tables)))


def _children(el, name: str) -> list[str]:
    node = el.find(f"{W}{name}")
    return [] if node is None else [c.tag.replace(W, "") for c in node]


def _widths(tab) -> list[float]:
    """Column widths in pt from the grid (twentieths of a point)."""
    return [int(c.get(f"{W}w")) / 20 for c in tab._tbl.find(f"{W}tblGrid")]


def _text_width(doc) -> float:
    sec = doc.sections[-1]
    return (sec.page_width - sec.left_margin - sec.right_margin) / 12700


def test_header_rows_repeat_and_no_row_splits():
    t = _sdm()
    doc = _doc(t)
    (tab,) = doc.tables
    nh = len(t.header_runs())
    for i, row in enumerate(tab.rows):
        flags = _children(row._tr, "trPr")
        assert "cantSplit" in flags, i
        assert ("tblHeader" in flags) == (i < nh), i
        assert [f for f in TR_PR if f in flags] == flags  # schema order


def test_an_estimate_row_is_kept_with_its_se_row():
    t = _sdm()
    doc = _doc(t)
    (tab,) = doc.tables
    grid = t.grid().rows
    nh = len(t.header_runs())
    assert len(tab.rows) == nh + len(grid)
    for k, g in enumerate(grid):
        keep = {p.paragraph_format.keep_with_next for c in tab.rows[nh + k].cells for p in c.paragraphs}
        nxt = grid[k + 1] if k + 1 < len(grid) else None
        want = nxt is not None and (g.kind == "block" or nxt.kind == "paren")
        assert keep == {True if want else None}, (k, g.kind, g.label)
    assert sum(g.kind == "paren" for g in grid) == 30  # every estimate has its SE row below


def test_the_label_column_is_wider_and_the_table_fits_the_text_block():
    doc = _doc(_groups())
    (tab,) = doc.tables
    widths = _widths(tab)
    text = _text_width(doc)
    assert widths[0] > max(widths[1:])  # it was 8 equal shares of 6 in (0.75 in each)
    assert widths[0] >= text / 4  # the 56-character labels wrap in at least a quarter of the block
    assert sum(widths) <= text + 0.5
    cells = [float(tc.find(f"{W}tcPr/{W}tcW").get(f"{W}w")) / 20 for tc in tab.rows[0]._tr.tc_lst]
    assert cells == pytest.approx(widths, abs=0.05)  # the cells' widths (Word) equal the grid's (LibreOffice)
    tbl_pr = _children(tab._tbl, "tblPr")
    assert "tblLayout" in tbl_pr and [f for f in TBL_PR if f in tbl_pr] == tbl_pr  # fixed, in schema order


def test_a_short_table_keeps_10_pt_and_natural_widths():
    cols = pd.DataFrame({"label": ["(1)", "(2)"]}, index=["a", "b"])
    doc = _doc(_coef_table(["x", "Log public capital"], cols, seed=1))
    (tab,) = doc.tables
    sizes = {r.font.size.pt for row in tab.rows for c in row.cells for p in c.paragraphs for r in p.runs}
    assert sizes == {10.0}
    widths = _widths(tab)
    assert sum(widths) < _text_width(doc) / 2  # not stretched over the block
    # the label column holds "Log public capital": 16 letters at half an em, 2 spaces at Calibri's 463/2048 em,
    # at 10 pt, plus the cell margins of 5.4 pt (Word's 0.075 in) on each side
    assert widths[0] == pytest.approx((16 * 0.5 + 2 * 463 / 2048) * 10 + 2 * 5.4, abs=0.5)


def test_stars_are_superscripts_and_the_text_is_unchanged():
    t = _sdm()
    doc = _doc(t)
    (tab,) = doc.tables
    nh = len(t.header_runs())
    seen = 0
    for k, g in enumerate(t.grid().rows):
        for j, text in enumerate(g.cells, start=1):
            runs = tab.rows[nh + k].cells[j].paragraphs[0].runs
            assert "".join(r.text for r in runs) == text.replace("-", "\u2212")
            for r in runs:
                assert bool(r.font.superscript) == (set(r.text) == {"*"}), (k, j, r.text)
                seen += set(r.text) == {"*"}
    assert seen > 10


def test_a_table_too_wide_for_a_portrait_page_at_7_pt_gets_a_landscape_page():
    """The US Moran's I by year: I, z and p of six variable-W pairs (18 columns of 4-decimal numbers, 17 years)
    do not fit 6 in at 7 pt; the table gets a landscape section (where it fits), the next table a portrait one."""
    from docx.enum.section import WD_ORIENT

    rng = np.random.default_rng(9)
    cols = [f"{v}{w}:{s}" for v in ("gsp", "pcap") for w in ("Wq", "K5", "WE") for s in ("I", "z", "p")]
    years = [str(y) for y in range(1970, 1987)]
    moran = Table(body=pd.DataFrame(rng.uniform(0, 3, (17, 18)), index=years, columns=cols),
                  rows=pd.DataFrame({"kind": "stat", "decimals": 4}, index=years),
                  columns=pd.DataFrame({"pair": [c.split(":")[0] for c in cols], "label": [c[-1] for c in cols]},
                                       index=cols), paren=None, star_levels=(), stub="year", caption="Moran's I")
    doc = _doc([_sdm(), moran, _sdm()])
    assert [s.orientation for s in doc.sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    landscape = doc.sections[1]
    assert landscape.page_width > landscape.page_height
    width = (landscape.page_width - landscape.left_margin - landscape.right_margin) / 12700
    assert sum(_widths(doc.tables[1])) <= width + 0.5
    sizes = {r.font.size.pt for row in doc.tables[1].rows for c in row.cells for p in c.paragraphs for r in p.runs}
    assert min(sizes) >= 7
    portrait = doc.sections[0]
    assert doc.sections[2].page_width == portrait.page_width and doc.sections[2].page_height == portrait.page_height
