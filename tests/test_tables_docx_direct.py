"""The DOCX writer's table written as elements directly (stop 32), read back with python-docx.

What python-docx's API wrote before must still be there: merged header cells (``w:gridSpan``, one cell
as wide as the columns it spans), the caption, the notes, the numbers' text, stars as superscripts, the
East-Asian font on CJK runs, white space kept (``xml:space``), a tab and a line break as python-docx's
``Run.text`` writes them, italic block titles, the type size, the three rules and the rows kept
together.  (Byte identity with the python-docx-built files of 5c2a7d2 is checked on the demo's and the
US report's documents by ``benchmarks/bench_maps.py --writers-ab``.)
"""
from __future__ import annotations

import io

import pandas as pd

from spillmap.tables import Table, to_docx_bytes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _table() -> Table:
    keys = ["a", "b", "c"]
    cols = pd.DataFrame({"model": ["SDM", "SDM", "SAR"], "label": ["(1)", "(2)", "(3)"]}, index=["m1", "m2", "m3"])
    body = pd.DataFrame([[0.5, -0.25, 1.0], [2.0, 3.0, 4.0], [0.1, 0.2, 0.3]], index=keys, columns=cols.index)
    pvalues = pd.DataFrame([[0.001, 0.04, 0.5], [0.2, 0.3, 0.4], [0.9, 0.9, 0.9]], index=keys, columns=cols.index)
    se = body.abs() / 10 + 0.01
    rows = pd.DataFrame({"label": [" 武汉 lag", "two\nlines", "a\tb"], "block": ["coef", "coef", "other"],
                         "kind": "coef", "decimals": 3}, index=keys)
    return Table(body=body, rows=rows, columns=cols, se=se, pvalues=pvalues, caption="Table 2: Estimates",
                 notes=("A note \u2212 here.",), block_titles=(("coef", "Coefficients"),))


def _doc():
    import docx

    return docx.Document(io.BytesIO(to_docx_bytes(_table())))


def test_merged_header_caption_notes_and_numbers_read_back():
    doc = _doc()
    assert [p.text for p in doc.paragraphs] == ["Table 2: Estimates", "A note \u2212 here.",
                                                "Standard errors in parentheses.", "*** p < 0.01, ** p < 0.05, * p < 0.10."]
    assert doc.paragraphs[0].style.name == "Caption"
    (t,) = doc.tables
    first = t.rows[0]._tr.findall(f"{W}tc")
    assert [tc.find(f"{W}tcPr/{W}gridSpan") is not None for tc in first] == [False, True, False]
    span = first[1]
    assert span.find(f"{W}tcPr/{W}gridSpan").get(f"{W}val") == "2"
    widths = [int(c.get(f"{W}w")) for c in t._tbl.tblGrid.findall(f"{W}gridCol")]
    assert int(span.find(f"{W}tcPr/{W}tcW").get(f"{W}w")) == widths[1] + widths[2]  # as wide as both columns
    assert t.cell(0, 1)._tc is t.cell(0, 2)._tc  # python-docx sees one merged cell
    assert [t.cell(0, j).text for j in range(4)] == ["", "SDM", "SDM", "SAR"]
    assert [t.cell(1, j).text for j in range(4)] == ["", "(1)", "(2)", "(3)"]
    assert t.cell(2, 0).text == "Coefficients" and t.cell(2, 0)._tc is t.cell(2, 3)._tc  # block title row
    assert t.cell(3, 0).text == " 武汉 lag"
    assert [t.cell(3, j).text for j in (1, 2, 3)] == ["0.500***", "\u22120.250**", "1.000"]
    assert float(t.cell(3, 1).text.rstrip("*")) == 0.5  # the number reads back
    assert t.cell(4, 1).text == "(0.060)"  # SE row: |0.5| / 10 + 0.01
    assert t.cell(5, 0).text == "two\nlines" and t.cell(7, 0).text == "a\tb"


def test_runs_carry_the_formatting_python_docx_gave_them():
    doc = _doc()
    t = doc.tables[0]
    runs = t.cell(3, 1).paragraphs[0].runs
    assert [r.text for r in runs] == ["0.500", "***"]
    assert [r.font.superscript for r in runs] == [None, True]
    assert all(r.font.size.pt == 10 for r in runs)
    label = t.cell(3, 0).paragraphs[0].runs[0]
    assert label._r.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "SimSun"  # CJK text
    assert label._r.find(f"{W}t").get(XML_SPACE) == "preserve"  # the leading space is kept
    assert t.cell(3, 1).paragraphs[0].runs[0]._r.find(f"{W}rPr/{W}rFonts") is None
    assert [c.tag for c in t.cell(7, 0).paragraphs[0].runs[0]._r][1:] == [f"{W}t", f"{W}tab", f"{W}t"]
    assert [c.tag for c in t.cell(5, 0).paragraphs[0].runs[0]._r][1:] == [f"{W}t", f"{W}br", f"{W}t"]
    title = t.cell(2, 0).paragraphs[0]
    assert title.runs[0].italic is True and title.alignment == 0  # WD_ALIGN_PARAGRAPH.LEFT
    assert t.cell(3, 1).paragraphs[0].alignment == 1  # centred numbers
    fmt = t.cell(3, 1).paragraphs[0].paragraph_format
    assert fmt.keep_with_next is True and fmt.space_before.pt == 0 and fmt.space_after.pt == 0  # kept with its SE
    assert not t.cell(4, 1).paragraphs[0].paragraph_format.keep_with_next  # the SE row: a new block follows


def test_the_three_rules_and_row_flags():
    t = _doc().tables[0]

    def edges(tc):
        b = tc.find(f"{W}tcPr/{W}tcBorders")
        return {} if b is None else {e.tag.replace(W, ""): e.get(f"{W}sz") for e in b}

    rows = t._tbl.findall(f"{W}tr")
    assert [edges(tc) for tc in rows[0].findall(f"{W}tc")] == [{"top": "12"}] * 3  # heavy top rule
    assert [edges(tc) for tc in rows[1].findall(f"{W}tc")] == [{"bottom": "6"}] * 4  # light rule under the header
    assert [edges(tc) for tc in rows[-1].findall(f"{W}tc")] == [{"bottom": "12"}] * 4  # heavy bottom rule
    assert all(edges(tc) == {} for r in rows[2:-1] for tc in r.findall(f"{W}tc"))
    flags = [[c.tag.replace(W, "") for c in r.find(f"{W}trPr")] for r in rows]
    assert flags[:2] == [["cantSplit", "tblHeader"]] * 2 and all(f == ["cantSplit"] for f in flags[2:])
