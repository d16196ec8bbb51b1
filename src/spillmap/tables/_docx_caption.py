"""Word (DOCX) captions and document properties, for :mod:`spillmap.tables._docx`.

A table's caption is a paragraph of Word's built-in "Caption" style (python-docx's default
template has it), so that Word lists it in a table of tables and offers it for
cross-references; the style is set black and at the body's size, bold, so that it looks as the
bold caption before it did (the template's caption is 9 pt blue).  A caption that carries its
number (``Table 3: ...``, ``Tab. 3.``, ``表3 ...``) gets that number as a ``SEQ Table`` field
whose shown result is the number written: plain when it continues the document's sequence
(``Table 1``, ``Table 2`` ...), with ``\\r N`` when it does not, so that updating the fields
never changes a number.  A caption without a number stays without one (the writers number no
caption; LaTeX's ``\\caption`` numbers its own).

The core properties say who wrote the document and when: creator "spillmap", the caption as
the title of a one-table document, created and modified at the writer's ``created=`` or
:func:`~spillmap.tables._zip.document_time` (``SOURCE_DATE_EPOCH`` when set, else no date, so that
the same tables give the same bytes).
Written by hand: python-docx has no API for fields.
"""
from __future__ import annotations

import re
from datetime import datetime

from spillmap.tables._latex import has_cjk

__all__ = ["add_caption", "caption_style", "set_properties", "CAPTION_STYLE", "SEQ_NAME"]

#: the built-in paragraph style of captions (its name in python-docx; ``w:styleId`` "Caption")
CAPTION_STYLE = "Caption"
#: the sequence the tables' numbers belong to (Word's caption label "Table")
SEQ_NAME = "Table"
#: the longest text python-docx stores in a core property
_MAX_PROPERTY = 255
#: a caption that starts with its number: the label (Table, Tab., 表) and the number
NUMBERED = re.compile(r"^(?P<label>Table|TABLE|Tab\.|表)(?P<space>\s*)(?P<number>\d+)(?=$|[\s.:：,，;；)）])")


def caption_style(doc) -> None:
    """Make the document's Caption style look as the bold caption before it did: black, bold,
    upright, at the body's size (the template's is 9 pt and accent blue)."""
    from docx.oxml.ns import qn

    style = doc.styles[CAPTION_STYLE]
    style.font.bold = True
    style.font.italic = None
    style.font.size = None
    r_pr = style.element.get_or_add_rPr()
    for tag in ("w:color", "w:szCs"):  # the accent colour; the complex scripts' 9 pt
        for el in r_pr.findall(qn(tag)):
            r_pr.remove(el)


def _run(para, text: str):
    from docx.oxml.ns import qn

    run = para.add_run(text)
    if has_cjk(text):
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "SimSun")
    return run


def _field_char(para, kind: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    para.add_run()._r.append(char)


def _seq_field(para, number: int, restart: bool) -> None:
    """A ``SEQ Table`` field showing ``number`` (``\\r``: restarted at it)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    _field_char(para, "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    restart_at = f"\\r {number} " if restart else ""
    instr.text = f" SEQ {SEQ_NAME} {restart_at}\\* ARABIC "
    para.add_run()._r.append(instr)
    _field_char(para, "separate")
    para.add_run(str(number))
    _field_char(para, "end")


def add_caption(doc, text: str, after: int) -> int:
    """The caption paragraph ``text`` at the end of ``doc``, kept with the table below it.

    Parameters
    ----------
    doc
        The python-docx document.
    text
        The caption as printed.
    after
        The number of the document's last numbered caption (0: none yet).

    Returns
    -------
    int
        The number of this caption when it carries one, else ``after``.
    """
    para = doc.add_paragraph(style=CAPTION_STYLE)
    para.paragraph_format.keep_with_next = True
    m = NUMBERED.match(text)
    if m is None:
        _run(para, text)
        return after
    number = int(m["number"])
    _run(para, m["label"] + m["space"])
    _seq_field(para, number, restart=number != after + 1)
    if text[m.end():]:
        _run(para, text[m.end():])
    return number


def set_properties(doc, *, title: str, when: datetime | None) -> None:
    """Creator "spillmap", ``title``, created and modified ``when`` (UTC, whole seconds; None: the
    dates are left out of the package by :func:`~spillmap.tables._zip.reproducible_zip`)."""
    props = doc.core_properties
    props.author = "spillmap"
    props.last_modified_by = "spillmap"
    props.comments = ""
    props.title = title if len(title) <= _MAX_PROPERTY else title[: _MAX_PROPERTY - 1] + "…"
    if when is not None:
        props.created = props.modified = when
