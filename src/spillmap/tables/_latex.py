"""LaTeX writer of a :class:`~spillmap.tables.Table`: booktabs rules, threeparttable notes.

Needs the LaTeX packages of :data:`LATEX_PACKAGES` -- ``booktabs``, ``threeparttable`` and
``threeparttablex`` (Debian: ``texlive-latex-recommended`` and ``texlive-latex-extra``),
``longtable`` and ``graphicx`` (part of every LaTeX installation); the first line of each
``.tex`` names the ones it uses.  Compile with ``pdflatex``.  Chinese (or other CJK) labels
need ``xelatex`` with ``\\usepackage{xeCJK}`` (or the ``ctex`` document class);
:func:`to_latex` with ``standalone=True`` adds ``xeCJK`` itself when the table contains CJK
text.

Fitting the page: a table wider than the line is shrunk to the line width (``graphicx``'s
``\\resizebox``, decided by TeX when it knows the width, so a narrow table is never
enlarged); a table too tall for a page (the SDM with its effects, the diagnostics) is a
``longtable`` whose header repeats on each page, with the notes after its last row
(``threeparttablex``).  Numbers print with a math minus (``$-$0.123``), stars as
superscripts, quotes as LaTeX quotes.  Every string goes through
:func:`spillmap._textsafe.latex_escape`; the few symbols it leaves (``<``, ``>``, Greek
letters not in its map) are mapped here.  Written by hand (pandas' ``to_latex`` needs jinja2
and cannot print parenthesis rows, spanning headers with ``\\cmidrule`` or
threeparttable notes).
"""
from __future__ import annotations

import math
import re

from spillmap._textsafe import latex_escape
from spillmap.tables._format import MINUS_BEFORE_NUMBER
from spillmap.tables._model import Grid, Table

__all__ = ["to_latex", "has_cjk", "estimated_height", "LATEX_PACKAGES", "PAGE_HEIGHT_PT", "LONG_MAX_COLUMNS"]

#: packages the tables need (``\\usepackage{...}``): a tall table uses ``threeparttablex`` and
#: ``longtable``, a wide one ``graphicx``
LATEX_PACKAGES = ("booktabs", "threeparttable", "threeparttablex", "longtable", "graphicx")
#: the height a table may take on a page, in pt (the text height of a 10 pt ``article`` with its
#: default margins, 550 pt, less the float's spacing); a table estimated taller is a longtable ...
PAGE_HEIGHT_PT = 540.0
#: ... when it has at most this many columns of numbers: a wider one is shrunk to the line width
#: instead, which shrinks its height as much (a longtable cannot be shrunk)
LONG_MAX_COLUMNS = 4
_MORE = {"<": r"$<$", ">": r"$>$", "φ": r"$\phi$", "μ": r"$\mu$", "ψ": r"$\psi$",
         "δ": r"$\delta$", "γ": r"$\gamma$", "η": r"$\eta$", "τ": r"$\tau$", "ε": r"$\varepsilon$",
         "±": r"$\pm$", "\u2212": r"$-$", "…": r"\ldots{}", "—": "---", "′": r"$'$"}
_STARS = re.compile(r"(?<=\d)(\*+)(?=$|[\s)])")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    """True when ``text`` holds Chinese/Japanese/Korean characters (needs xeCJK or ctex)."""
    return bool(_CJK.search(text))


def _tex(text: object) -> str:
    """``text`` escaped: a minus before a number in math (``$-$1``), quotes as ``` `x' ``` and ```` ``x'' ````."""
    out = "".join(_MORE.get(ch) or latex_escape(ch) for ch in str(text))
    out = re.sub(r'"([^"\n]*)"', r"``\1''", out)
    out = re.sub(r"(?<![\w`])'([^'\n]*)'(?!\w)", r"`\1'", out)
    return MINUS_BEFORE_NUMBER.sub(r"$-$", out)


def _num(text: str) -> str:
    """A cell: ``-0.123***`` -> ``$-$0.123$^{***}$``, ``-2.314 (0.021)`` -> ``$-$2.314 (0.021)``."""
    return _STARS.sub(r"$^{\1}$", _tex(text))


def _header_lines(g: Grid) -> list[str]:
    lines = []
    for i, runs in enumerate(g.header):
        cells, rules, col = [], [], 2
        for text, span in runs:
            cells.append(rf"\multicolumn{{{span}}}{{c}}{{{_tex(text)}}}" if span > 1 else _tex(text))
            if span > 1 and text:
                rules.append(rf"\cmidrule(lr){{{col}-{col + span - 1}}}")
            col += span
        stub = _tex(g.stub) if i == 0 else ""
        lines.append(" & ".join([stub, *cells]) + r" \\")
        if rules and i < len(g.header) - 1:
            lines.append(" ".join(rules))
    return lines


def _body_lines(g: Grid) -> list[str]:
    n = g.ncols
    lines = []
    for row in g.rows:
        if row.rule_above:
            lines.append(r"\midrule")
        if row.kind == "block":
            lines.append(rf"\multicolumn{{{n + 1}}}{{l}}{{\textit{{{_tex(row.label)}}}}} \\")
        else:
            lines.append(" & ".join([_tex(row.label), *[_num(c) for c in row.cells]]) + r" \\")
    return lines


def estimated_height(g: Grid) -> float:
    """A rough height of the typeset table in pt (10 pt type; within about 15 % of pdflatex's for the
    report's tables): caption, header and body rows at 12 pt, the notes at 9.5 pt a line, as wide as
    the table (threeparttable), about 1.2 footnote characters a character of the table.

    Parameters
    ----------
    g
        The table's :meth:`~spillmap.tables.Table.grid`.
    """
    width = max([len(g.stub)] + [len(r.label) for r in g.rows]) + sum(
        max([len(c) for r in g.rows if r.kind != "block" for c in r.cells[j:j + 1]] + [6]) + 2 for j in range(g.ncols))
    per_line = max(40, int(width * 1.2))
    note_lines = sum(math.ceil(len(n) / per_line) for n in g.notes)
    caption = math.ceil(len(g.caption) / max(per_line / 1.2, 40)) if g.caption else 0
    return 12.0 * (caption + len(g.header) + len(g.rows)) + 9.5 * note_lines + 20.0


def _notes(g: Grid) -> list[str]:
    return [rf"\item {_tex(note)}" for note in g.notes]


def _short(g: Grid, label: str | None) -> list[str]:
    r"""A table on one page: the tabular measured in a box first and shrunk to ``\linewidth`` when
    wider, then placed in the threeparttable (which sets the caption and notes to its width)."""
    out = [r"\ifdefined\spillmaptablebox\else\newsavebox{\spillmaptablebox}\fi",
           r"\sbox{\spillmaptablebox}{%", rf"\begin{{tabular}}{{l{'c' * g.ncols}}}", r"\toprule",
           *_header_lines(g), r"\midrule", *_body_lines(g), r"\bottomrule", r"\end{tabular}}%",
           r"\ifdim\wd\spillmaptablebox>\linewidth"
           r"\sbox{\spillmaptablebox}{\resizebox{\linewidth}{!}{\usebox{\spillmaptablebox}}}\fi",
           r"\begin{threeparttable}"]
    if g.caption:
        out.append(rf"\caption{{{_tex(g.caption)}}}")
    if label:
        out.append(rf"\label{{{_tex(label)}}}")
    out.append(r"\begin{tabular}{@{}c@{}}\usebox{\spillmaptablebox}\end{tabular}")
    if g.notes:
        out += [r"\begin{tablenotes}[flushleft]\footnotesize", *_notes(g), r"\end{tablenotes}"]
    return [*out, r"\end{threeparttable}"]


def _long(g: Grid, label: str | None) -> list[str]:
    """A table over pages: a longtable, its header repeated on each page, the notes after its last row."""
    n = g.ncols + 1
    mid = r"\specialrule{\lightrulewidth}{\aboverulesep}{\belowrulesep}"  # a \midrule, not spelt so
    head = [r"\toprule", *_header_lines(g)]
    first = ([rf"\caption{{{_tex(g.caption)}}}" + (rf"\label{{{_tex(label)}}}" if label else "") + r" \\"]
             if g.caption else [])
    again = [rf"\caption[]{{{_tex(g.caption)} (continued)}} \\"] if g.caption else []
    out = [rf"\begin{{longtable}}{{l{'c' * g.ncols}}}", *first, *head, r"\endfirsthead", *again, *head, mid,
           r"\endhead", mid, rf"\multicolumn{{{n}}}{{r}}{{\footnotesize\textit{{continued on the next page}}}} \\",
           r"\endfoot", *([r"\insertTableNotes"] if g.notes else []), r"\endlastfoot", r"\midrule",
           *_body_lines(g), r"\bottomrule", r"\end{longtable}"]
    if g.notes:
        out = [r"\begin{ThreePartTable}", r"\begin{TableNotes}[flushleft]\footnotesize", *_notes(g),
               r"\end{TableNotes}", *out, r"\end{ThreePartTable}"]
    return out


def to_latex(table: Table, *, label: str | None = None, standalone: bool = False, float_env: bool = True,
             long: bool | None = None) -> str:
    """The table as LaTeX (``table`` float > ``threeparttable`` > ``tabular`` + ``tablenotes``,
    or a ``longtable`` for a table too tall for a page).

    Parameters
    ----------
    table
        The table.
    label
        ``\\label{...}`` key for cross-references.
    standalone
        Wrap in a minimal ``article`` document with the packages it needs (``xeCJK``
        added when the table holds CJK text: compile that one with ``xelatex``).
    float_env
        Put the table in a ``table`` float (``False``: just the threeparttable, e.g. for
        ``\\input`` inside your own float).  A longtable is never a float.
    long
        ``True``: a longtable (breaks across pages); ``False``: a float on one page; ``None``
        (default): a longtable when the table is estimated taller than :data:`PAGE_HEIGHT_PT`
        and has at most :data:`LONG_MAX_COLUMNS` columns of numbers.

    Returns
    -------
    str
        The LaTeX text; its first line, a comment, names the packages it needs.
    """
    g = table.grid()
    if long is None:
        long = g.ncols <= LONG_MAX_COLUMNS and estimated_height(g) > PAGE_HEIGHT_PT
    packages = ("booktabs", "threeparttablex", "longtable") if long else ("booktabs", "threeparttable", "graphicx")
    body = _long(g, label) if long else _short(g, label)
    if float_env and not long:
        body = [r"\begin{table}[htbp]", r"\centering", *body, r"\end{table}"]
    text = "\n".join(body) + "\n"
    if standalone:
        cjk = "\\usepackage{xeCJK}\n" if has_cjk(text) else ""
        text = (f"\\documentclass{{article}}\n\\usepackage{{{','.join(LATEX_PACKAGES)}}}\n{cjk}"
                f"\\begin{{document}}\n{text}\\end{{document}}\n")
    return f"% spillmap table: needs \\usepackage{{{','.join(packages)}}}\n" + text
