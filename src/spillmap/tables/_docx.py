"""Word (DOCX) writer: the usual three-line academic table, through python-docx.

python-docx builds the document, the table, merged header cells and runs.  Written by
hand (python-docx has no API for them): the three rules (a heavy top rule, a light rule
under the header, a heavy bottom rule; no vertical lines) are ``w:tcBorders`` elements
set on the cells, and the East-Asian font of runs holding CJK text (``w:eastAsia``,
SimSun) so that Word shows Chinese labels in a Chinese font.

Long tables and page breaks (paper audit 30, B6): the header rows repeat on every page
(``w:tblHeader``), no row is split across pages (``w:cantSplit``), and an estimate row is
kept with the row of its standard error below, a block title with its first row and the
header with the body (``w:keepNext`` on their paragraphs).  Stars are superscripts, as
in the LaTeX tables.

Column widths (also B6): a fixed layout (``w:tblLayout``), the label column as wide as its
longest label or, when the table would be wider than the text block, as wide as the numbers
leave (at least a quarter of the block; the labels wrap there); each column of numbers as
wide as its widest number (its heads wrap).  A table too wide at 10 pt is set at 9, 8 or
7 pt with narrower cell margins, never smaller (journals ask for 7--8 pt in tables); one
still too wide at 7 pt gets a landscape page of its own (a section).  The widths come from
the characters (Calibri's widths for digits, periods, parentheses and stars; half an em for
other characters of a label, 0.55 em in a column of numbers), not from Word, which lays
the document out only when it opens it.

Captions are Word's "Caption" paragraphs (a number they carry as a ``SEQ Table`` field) and
the core properties name spillmap and the time of writing: :mod:`spillmap.tables._docx_caption`.
"""
from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from datetime import datetime, timezone

from spillmap.errors import InputError
from spillmap.tables._docx_caption import add_caption, caption_style, set_properties
from spillmap.tables._format import typeset_minus
from spillmap.tables._latex import has_cjk
from spillmap.tables._model import Grid, Table
from spillmap.tables._zip import document_time, reproducible_zip

__all__ = ["to_docx_bytes", "DOCX_FONT_SIZE", "column_widths"]

DOCX_FONT_SIZE = 10  # points
_HEAVY, _LIGHT = 12, 6  # eighths of a point: 1.5 pt and 0.75 pt
#: (type size, left and right cell margin), both in pt, tried in turn until the table fits the text block
_SIZES = ((DOCX_FONT_SIZE, 5.4), (9, 4.0), (8, 2.9), (7, 2.2))
_STARS = re.compile(r"(?<=\d)(\*+)(?=$|[\s)])")


#: advance widths (em) of Calibri, the template's font, for the characters of numbers (its digits are tabular,
#: 1038/2048 em; the period 517/2048, comma 511/2048, parentheses 621/2048, asterisk 1019/2048, space 463/2048)
_CALIBRI = {**dict.fromkeys("0123456789", 0.507), ".": 0.252, ",": 0.25, "(": 0.303, ")": 0.303, "*": 0.498,
            " ": 0.226, "\u2212": 0.507, "-": 0.3}


def _chars(text: str, em: float) -> float:
    """Width of ``text`` in ems: the Calibri width of a number's characters, ``em`` for any other character
    (one em for a CJK one)."""
    return sum(1.0 if has_cjk(ch) else _CALIBRI.get(ch, em) for ch in text)


def column_widths(g: Grid, text_width: float) -> tuple[float, float, list[float], bool]:
    """``(size, margin, widths, fits)``: the type size and cell margin (pt) of the table, the width of
    each column in pt (the label column first) and whether that fits ``text_width`` pt.

    Parameters
    ----------
    g
        The table's :meth:`~spillmap.tables.Table.grid`.
    text_width
        The width of the text block, pt.
    """
    body = [r for r in g.rows if r.kind != "block"]
    singles = [[text for text, span in runs for _ in range(span)] if all(s == 1 for _, s in runs) else []
               for runs in g.header]  # heads over one column count; spanning heads wrap in their cells
    for size, margin in _SIZES:
        nums = [max([_chars(typeset_minus(r.cells[j]), 0.55) for r in body if j < len(r.cells)]
                    + [_chars(w, 0.5) for h in singles if h for w in h[j].split()] + [2.0]) * size + 2 * margin
                for j in range(g.ncols)]
        natural = max([_chars(r.label, 0.5) for r in body] + [_chars(g.stub, 0.5), 2.0]) * size + 2 * margin
        label = min(natural, max(text_width - math.fsum(nums), text_width / 4))
        if label + math.fsum(nums) <= text_width or size == _SIZES[-1][0]:
            return size, margin, [label, *nums], label + math.fsum(nums) <= text_width + 0.01
    raise AssertionError("unreachable")  # pragma: no cover


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


def _write(cell, text: str, size: float, *, align: str = "center", italic: bool = False, bold: bool = False,
           keep: bool = False) -> None:
    """``text`` in ``cell`` at ``size`` pt, stars as superscripts; ``keep``: kept with the next row."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    para = cell.paragraphs[0]
    para.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "left": WD_ALIGN_PARAGRAPH.LEFT}[align]
    para.paragraph_format.space_before = Pt(0)
    para.paragraph_format.space_after = Pt(0)
    if keep:
        para.paragraph_format.keep_with_next = True
    for k, part in enumerate(_STARS.split(text)):
        if not part:
            continue
        run = para.add_run(part)
        run.font.size = Pt(size)
        run.italic = italic or None
        run.bold = bold or None
        if k % 2:  # the stars
            run.font.superscript = True
        if has_cjk(part):
            run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")


def _row_flags(row, *, header: bool) -> None:
    """The row is never split across pages; a header row repeats on each page (schema order:
    ``cantSplit`` before ``tblHeader``)."""
    from docx.oxml import OxmlElement

    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _layout(t, widths: list[float], margin: float) -> None:
    """A fixed layout with these column widths (pt) and left/right cell margins."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    t.autofit = False
    for col, w in zip(t.columns, widths):
        col.width = Pt(w)
    for row in t.rows:
        for cell, w in zip(row.cells, widths):  # before merging: one cell per column
            cell.width = Pt(w)
    tbl_pr = t._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(round(sum(widths) * 20)))
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(round(margin * 20)))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    look = tbl_pr.find(qn("w:tblLook"))  # schema order: tblCellMar before tblLook
    look.addprevious(mar) if look is not None else tbl_pr.append(mar)


def _section(doc, landscape: bool) -> float:
    """The text width (pt) of the page the table goes on: a new landscape section for a table too wide
    for the portrait page (and a portrait one after it, see :func:`to_docx_bytes`)."""
    from docx.enum.section import WD_ORIENT, WD_SECTION

    sec = doc.sections[-1]
    if landscape and sec.orientation != WD_ORIENT.LANDSCAPE:
        if doc.paragraphs or doc.tables:
            sec = doc.add_section(WD_SECTION.NEW_PAGE)
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = max(sec.page_width, sec.page_height), min(sec.page_width, sec.page_height)
    return (sec.page_width - sec.left_margin - sec.right_margin) / 12700  # EMU to pt


def _add_table(doc, table: Table, numbered: int = 0) -> tuple[bool, int]:
    """The table (caption, table, notes) at the end of ``doc``: whether it took a landscape page, and
    the number of the document's last numbered caption (``numbered`` before it)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    g = table.grid()
    n = g.ncols
    size, margin, widths, fits = column_widths(g, _section(doc, False))
    landscape = not fits
    if landscape:
        size, margin, widths, _ = column_widths(g, _section(doc, True))
    if g.caption:
        numbered = add_caption(doc, g.caption, numbered)
    nh = max(len(g.header), 1)
    t = doc.add_table(rows=nh + len(g.rows), cols=n + 1)
    _layout(t, widths, margin)
    grid = [list(r.cells) for r in t.rows]  # python-docx's cell(i, j) re-reads the grid each call
    for i, runs in enumerate(g.header or ((("", n),),)):
        _row_flags(t.rows[i], header=True)
        _write(grid[i][0], g.stub if i == 0 else "", size, align="left", keep=True)
        col = 1
        for text, span in runs:
            target = grid[i][col].merge(grid[i][col + span - 1]) if span > 1 else grid[i][col]
            _write(target, text, size, keep=True)
            col += span
    for j, row in enumerate(g.rows, start=nh):
        _row_flags(t.rows[j], header=False)
        nxt = g.rows[j - nh + 1] if j - nh + 1 < len(g.rows) else None
        keep = nxt is not None and (row.kind == "block" or nxt.kind == "paren")
        if row.kind == "block":
            _write(grid[j][0].merge(grid[j][n]), row.label, size, align="left", italic=True, keep=keep)
            continue
        _write(grid[j][0], row.label, size, align="left", keep=keep)
        for k, text in enumerate(row.cells, start=1):
            _write(grid[j][k], typeset_minus(text), size, keep=keep)
    last = nh + len(g.rows) - 1
    for c in range(n + 1):
        _border(grid[0][c], top=_HEAVY)
        _border(grid[nh - 1][c], bottom=_LIGHT)
        _border(grid[last][c], bottom=_HEAVY)
    for note in g.notes:
        p = doc.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        r = p.add_run(typeset_minus(note))
        r.font.size = Pt(min(DOCX_FONT_SIZE - 1, size))  # never larger than the table
        if has_cjk(note):
            r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    return landscape, numbered


def to_docx_bytes(tables: Table | Sequence[Table], *, created: datetime | None = None) -> bytes:
    """A Word document with ``tables`` (one after another, a blank paragraph between; a table too wide
    for a portrait page at 7 pt on a landscape page of its own).

    Each caption is a paragraph of Word's "Caption" style; a number it carries (``Table 3: ...``) is a
    ``SEQ Table`` field showing that number.  The document's creator is "spillmap", its title the
    caption of a single table.

    Parameters
    ----------
    tables
        One table or a sequence of them.
    created
        The document's created and modified time (a timezone-aware datetime, stored in UTC to the
        second), e.g. one for every document of a report.  Default: ``SOURCE_DATE_EPOCH`` when that
        environment variable is set, else none (no date is written: equal tables give equal bytes).

    Returns
    -------
    bytes
        The ``.docx`` file.
    """
    try:
        import docx
        from docx.enum.section import WD_ORIENT, WD_SECTION
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError("writing .docx needs python-docx: pip install python-docx") from exc
    items = [tables] if isinstance(tables, Table) else list(tables)
    when = _utc_seconds(created) if created is not None else document_time()
    doc = docx.Document()
    caption_style(doc)
    set_properties(doc, title=items[0].caption if len(items) == 1 else "", when=when)
    portrait = doc.sections[0]
    width, height = portrait.page_width, portrait.page_height
    numbered = 0
    for i, tab in enumerate(items):
        if i:
            doc.add_paragraph()
        landscape, numbered = _add_table(doc, tab, numbered)
        if landscape and i + 1 < len(items):  # back to portrait for the next table
            sec = doc.add_section(WD_SECTION.NEW_PAGE)
            sec.orientation, sec.page_width, sec.page_height = WD_ORIENT.PORTRAIT, width, height
    buf = io.BytesIO()
    doc.save(buf)
    return reproducible_zip(buf.getvalue(), core_date=when)


def _utc_seconds(when: datetime) -> datetime:
    """``when`` in UTC to the second; a naive datetime is refused (its zone would be a guess)."""
    if not isinstance(when, datetime) or when.tzinfo is None or when.utcoffset() is None:
        raise InputError(f"created must be a timezone-aware datetime (e.g. datetime.now(timezone.utc)), "
                         f"got {when!r}.")
    return when.astimezone(timezone.utc).replace(microsecond=0)
