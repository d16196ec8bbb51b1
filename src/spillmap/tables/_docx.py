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


#: WordprocessingML's namespace (the document's root declares it as ``w``) and XML's, in Clark notation
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _sub(parent, tag: str, *attrs: tuple[str, str]):
    """A ``w:tag`` element appended to ``parent``, its ``w:`` attributes set in this order."""
    el = parent.makeelement(_W + tag, {})
    parent.append(el)
    for name, value in attrs:
        el.set(_W + name, value)
    return el


def _run_text(r, text: str) -> None:
    """``text`` as python-docx's ``Run.text`` writes it: ``w:t`` pieces (``xml:space="preserve"`` when
    they start or end with white space), a ``w:tab`` for a tab, a ``w:br`` for each CR or LF."""
    for piece in re.split(r"([\t\r\n])", text):
        if piece == "\t":
            _sub(r, "tab")
        elif piece in ("\r", "\n"):
            _sub(r, "br")
        elif piece:
            t = _sub(r, "t")
            t.text = piece
            if len(piece.strip()) < len(piece):
                t.set(_XML_SPACE, "preserve")


def _write(p, text: str, half_points: str, *, align: str = "center", italic: bool = False, bold: bool = False,
           keep: bool = False) -> None:
    """``text`` in the empty paragraph ``p`` (``w:p``) at ``half_points`` (``w:sz``), stars as superscripts; ``keep``: kept
    with the next row.  The elements and their order are python-docx's (``Paragraph.add_run`` and the
    font and paragraph-format properties), written directly: python-docx finds each child's place in the
    schema anew on every property it sets (a demo's 13 documents spent 1.3 s there)."""
    ppr = _sub(p, "pPr")
    if keep:
        _sub(ppr, "keepNext")
    _sub(ppr, "spacing", ("before", "0"), ("after", "0"))
    _sub(ppr, "jc", ("val", align))
    for k, part in enumerate(_STARS.split(text)):
        if not part:
            continue
        r = _sub(p, "r")
        r_pr = _sub(r, "rPr")  # children in schema order: rFonts, b, i, sz, vertAlign
        if has_cjk(part):
            _sub(r_pr, "rFonts", ("eastAsia", "SimSun"))
        if bold:
            _sub(r_pr, "b")
        if italic:
            _sub(r_pr, "i")
        _sub(r_pr, "sz", ("val", half_points))
        if k % 2:  # the stars
            _sub(r_pr, "vertAlign", ("val", "superscript"))
        _run_text(r, part)


def _layout(t, widths: list[float], margin: float) -> list[int]:
    """A fixed layout with these column widths (pt) and left/right cell margins; the widths in twips."""
    from docx.shared import Pt

    t.autofit = False
    twips = [Pt(w).twips for w in widths]
    for col, tw in zip(t._tbl.tblGrid.findall(_W + "gridCol"), twips):
        col.set(_W + "w", str(tw))
    tbl_pr = t._tbl.tblPr
    tbl_w = tbl_pr.find(_W + "tblW")
    tbl_w.set(_W + "type", "dxa")
    tbl_w.set(_W + "w", str(round(sum(widths) * 20)))
    mar = tbl_pr.makeelement(_W + "tblCellMar", {})
    for side in ("left", "right"):
        _sub(mar, side, ("w", str(round(margin * 20))), ("type", "dxa"))
    look = tbl_pr.find(_W + "tblLook")  # schema order: tblCellMar before tblLook
    look.addprevious(mar) if look is not None else tbl_pr.append(mar)
    return twips


class _Rows:
    """The table's rows as ``w:tr`` elements: each a list of ``[first grid column, span, cell spec]``
    (spec ``None``: an empty cell), written by :meth:`emit` with the rules of :func:`_rules`."""

    def __init__(self, ncols: int) -> None:
        self.ncols, self.rows, self.header = ncols, [], []

    def add(self, header: bool) -> list:
        self.rows.append([[c, 1, None] for c in range(self.ncols)])
        self.header.append(header)
        return self.rows[-1]

    @staticmethod
    def put(row: list, col: int, span: int, text: str, **fmt) -> None:
        """``text`` in grid columns ``col`` .. ``col + span - 1`` of ``row``, merged (python-docx's
        ``merge``: the first cell spans the others and is as wide as all of them)."""
        first = next(i for i, cell in enumerate(row) if cell[0] == col)
        if span > 1:
            if row[first + span - 1][0] != col + span - 1:
                raise IndexError("list index out of range")  # as python-docx's grid would
            del row[first + 1:first + span]
        row[first][1:] = [span, (text, fmt)]

    def emit(self, tbl, twips: list[int], size: float) -> None:
        from docx.shared import Pt

        half_points = str(int(Pt(size).pt * 2))  # python-docx's font.size (ST_HpsMeasure)
        borders = _rules(len(self.rows), self.ncols, sum(self.header))
        for i, (row, header) in enumerate(zip(self.rows, self.header)):
            tr = _sub(tbl, "tr")
            tr_pr = _sub(tr, "trPr")  # never split across pages; a header row repeats on each page
            _sub(tr_pr, "cantSplit")  # schema order: cantSplit before tblHeader
            if header:
                _sub(tr_pr, "tblHeader")
            for col, span, spec in row:
                tc = _sub(tr, "tc")
                tc_pr = _sub(tc, "tcPr")
                _sub(tc_pr, "tcW", ("type", "dxa"), ("w", str(sum(twips[col:col + span]))))
                if span > 1:
                    _sub(tc_pr, "gridSpan", ("val", str(span)))
                if borders.get((i, col)):
                    edges = _sub(tc_pr, "tcBorders")
                    for edge, sz in borders[(i, col)].items():
                        _sub(edges, edge, ("val", "single"), ("sz", str(sz)), ("space", "0"), ("color", "000000"))
                p = _sub(tc, "p")
                if spec is not None:
                    _write(p, spec[0], half_points, **spec[1])


def _rules(nrows: int, ncols: int, nh: int) -> dict[tuple[int, int], dict[str, int]]:
    """The three rules: ``{(row, grid column): {edge: size}}`` of the cells that carry them (a heavy
    top rule, a light rule under the header, a heavy bottom rule), the edges in the order python-docx
    set them (a later rule on the same edge replaces the earlier one)."""
    out: dict[tuple[int, int], dict[str, int]] = {}
    for c in range(ncols):
        for row, edge, size in ((0, "top", _HEAVY), (nh - 1, "bottom", _LIGHT), (nrows - 1, "bottom", _HEAVY)):
            out.setdefault((row, c), {})[edge] = size
    return out


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
    t = doc.add_table(rows=0, cols=n + 1)
    rows = _Rows(n + 1)
    for i, runs in enumerate(g.header or ((("", n),),)):
        row = rows.add(header=True)
        rows.put(row, 0, 1, g.stub if i == 0 else "", align="left", keep=True)
        col = 1
        for text, span in runs:
            rows.put(row, col, span, text, keep=True)
            col += span
    for j, grow in enumerate(g.rows):
        row = rows.add(header=False)
        nxt = g.rows[j + 1] if j + 1 < len(g.rows) else None
        keep = nxt is not None and (grow.kind == "block" or nxt.kind == "paren")
        if grow.kind == "block":
            rows.put(row, 0, n + 1, grow.label, align="left", italic=True, keep=keep)
            continue
        rows.put(row, 0, 1, grow.label, align="left", keep=keep)
        for k, text in enumerate(grow.cells, start=1):
            rows.put(row, k, 1, typeset_minus(text), keep=keep)
    rows.emit(t._tbl, _layout(t, widths, margin), size)
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
