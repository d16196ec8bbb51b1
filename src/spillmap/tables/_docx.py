"""Word (DOCX) writer: the usual three-line academic table, through python-docx.

python-docx builds the document, the table, merged header cells and runs.  Written by
hand (python-docx has no API for them): the three rules (a heavy top rule, a light rule
under the header, a heavy bottom rule; no vertical lines) are ``w:tcBorders`` elements
set on the cells, and the East-Asian font of runs holding CJK text (``w:eastAsia``,
SimSun) so that Word shows Chinese labels in a Chinese font.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

from spillmap.tables._format import typeset_minus
from spillmap.tables._latex import has_cjk
from spillmap.tables._model import Table
from spillmap.tables._zip import reproducible_zip

__all__ = ["to_docx_bytes", "DOCX_FONT_SIZE"]

DOCX_FONT_SIZE = 10  # points
_HEAVY, _LIGHT = 12, 6  # eighths of a point: 1.5 pt and 0.75 pt


def _border(cell, **edges: int) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge, size in edges.items():
        el = borders.find(qn(f"w:{edge}"))
        if el is None:
            el = OxmlElement(f"w:{edge}")
            borders.append(el)
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")


def _write(cell, text: str, *, align: str = "center", italic: bool = False, bold: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    para = cell.paragraphs[0]
    para.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "left": WD_ALIGN_PARAGRAPH.LEFT}[align]
    para.paragraph_format.space_before = Pt(0)
    para.paragraph_format.space_after = Pt(0)
    run = para.add_run(text)
    run.font.size = Pt(DOCX_FONT_SIZE)
    run.italic = italic or None
    run.bold = bold or None
    if has_cjk(text):
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")


def _add_table(doc, table: Table) -> None:
    from docx.shared import Pt

    g = table.grid()
    n = g.ncols
    if g.caption:
        p = doc.add_paragraph()
        r = p.add_run(g.caption)
        r.bold = True
        if has_cjk(g.caption):
            from docx.oxml.ns import qn

            r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    nh = max(len(g.header), 1)
    t = doc.add_table(rows=nh + len(g.rows), cols=n + 1)
    t.autofit = True
    grid = [list(r.cells) for r in t.rows]  # python-docx's cell(i, j) re-reads the grid each call
    for i, runs in enumerate(g.header or ((("", n),),)):
        _write(grid[i][0], g.stub if i == 0 else "", align="left")
        col = 1
        for text, span in runs:
            target = grid[i][col].merge(grid[i][col + span - 1]) if span > 1 else grid[i][col]
            _write(target, text)
            col += span
    for j, row in enumerate(g.rows, start=nh):
        if row.kind == "block":
            _write(grid[j][0].merge(grid[j][n]), row.label, align="left", italic=True)
            continue
        _write(grid[j][0], row.label, align="left")
        for k, text in enumerate(row.cells, start=1):
            _write(grid[j][k], typeset_minus(text))
    last = nh + len(g.rows) - 1
    for c in range(n + 1):
        _border(grid[0][c], top=_HEAVY)
        _border(grid[nh - 1][c], bottom=_LIGHT)
        _border(grid[last][c], bottom=_HEAVY)
    for note in g.notes:
        p = doc.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        r = p.add_run(typeset_minus(note))
        r.font.size = Pt(DOCX_FONT_SIZE - 1)
        if has_cjk(note):
            from docx.oxml.ns import qn

            r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")


def to_docx_bytes(tables: Table | Sequence[Table]) -> bytes:
    """A Word document with ``tables`` (one after another, a blank paragraph between).

    Parameters
    ----------
    tables
        One table or a sequence of them.
    """
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError("writing .docx needs python-docx: pip install python-docx") from exc
    items = [tables] if isinstance(tables, Table) else list(tables)
    doc = docx.Document()
    for i, tab in enumerate(items):
        if i:
            doc.add_paragraph()
        _add_table(doc, tab)
    buf = io.BytesIO()
    doc.save(buf)
    return reproducible_zip(buf.getvalue())
