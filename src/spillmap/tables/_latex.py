"""LaTeX writer of a :class:`~spillmap.tables.Table`: booktabs rules, threeparttable notes.

Needs the LaTeX packages of :data:`LATEX_PACKAGES` -- ``booktabs``, ``threeparttable`` and
``threeparttablex`` (Debian: ``texlive-latex-recommended`` and ``texlive-latex-extra``),
``longtable``, ``array`` and ``graphicx`` (part of every LaTeX installation); the first line of each
``.tex`` names the ones it uses.  Compile with ``pdflatex``.  Chinese (or other CJK) labels
need ``xelatex`` with ``\\usepackage{xeCJK}`` (or the ``ctex`` document class): the first line of such
a file says so (paper audit 30, B4), and :func:`to_latex` with ``standalone=True`` adds ``xeCJK``
itself.  A longtable's first line also says to run LaTeX two or three times: its column widths settle
on the reruns (the first run sets a narrow header over a wide body).

Fitting the page (paper audit 30, B1/B2; :mod:`spillmap.tables._latex_fit` has the details): a table
wider than the line is set in ``\\footnotesize``, then with its row labels wrapped, then in
``\\scriptsize`` (with tighter column padding), decided by TeX when it knows the width; a table (not a
longtable) still too wide is shrunk to the line only when its type stays at 7 pt or more -- else
LaTeX warns and the first line advises a landscape page.  Never shrunk to 5--6 pt type, as
``\\resizebox`` alone did: journals ask for 7--8 pt in tables; and the labels that make the width
("Equal ... across groups (SDM, Wald, df 6)") wrap instead.  A table too tall for a page (the SDM with
its effects, the diagnostics) is a ``longtable`` whose header repeats on each page, with the notes
after its last row (``threeparttablex``); an estimate row is tied to the row of its standard error
below (``\\\\*``, no page break between them), as is a block title to its first row (audit 30, B3).
A header that spans every column ("SDM", "two-way FE") is set on one line above the others with a
rule under it, so that it does not read as the head of the middle column (audit 30, C2).  Numbers
print with a math minus (``$-$0.123``), stars as superscripts, quotes as LaTeX quotes.  Every string
goes through :func:`spillmap._textsafe.latex_escape`; the few symbols it leaves (``<``, ``>``, Greek
letters not in its map) are mapped here.  Written by hand (pandas' ``to_latex`` needs jinja2 and
cannot print parenthesis rows, spanning headers with ``\\cmidrule`` or threeparttable notes).
"""
from __future__ import annotations

import itertools
import math
import re

from spillmap._textsafe import latex_escape
from spillmap.tables._format import MINUS_BEFORE_NUMBER
from spillmap.tables._latex_fit import MIN_TYPE_PT, NARROW_LINE_PT, fit_lines, wide_at_floor
from spillmap.tables._model import Grid, Table

__all__ = ["to_latex", "has_cjk", "estimated_height", "LATEX_PACKAGES", "PAGE_HEIGHT_PT", "LONG_MAX_COLUMNS"]

#: packages the tables need (``\\usepackage{...}``): a tall table uses ``threeparttablex`` and
#: ``longtable``, one on a page ``threeparttable`` and ``graphicx``; every one ``array`` (its label column)
LATEX_PACKAGES = ("booktabs", "threeparttable", "threeparttablex", "longtable", "graphicx", "array")
#: the height a table may take on a page, in pt (the text height of a 10 pt ``article`` with its
#: default margins, 550 pt, less the float's spacing); a table estimated taller at 10 pt is a longtable ...
PAGE_HEIGHT_PT = 540.0
#: ... when it has at most this many columns of numbers: a wider one is likely set smaller (it is fitted to
#: the line by its type size, :mod:`~spillmap.tables._latex_fit`), so shorter -- a longtable only when it is
#: taller than the page even at 7 pt
LONG_MAX_COLUMNS = 4
_MORE = {"<": r"$<$", ">": r"$>$", "φ": r"$\phi$", "μ": r"$\mu$", "ψ": r"$\psi$",
         "δ": r"$\delta$", "γ": r"$\gamma$", "η": r"$\eta$", "τ": r"$\tau$", "ε": r"$\varepsilon$",
         "±": r"$\pm$", "\u2212": r"$-$", "…": r"\ldots{}", "—": "---", "′": r"$'$"}
_STARS = re.compile(r"(?<=\d)(\*+)(?=$|[\s)])")
#: CJK symbols and punctuation, kana, Hangul, the unified ideographs (and extension A, the supplementary
#: planes' B-F), compatibility ideographs, full-width forms: text pdflatex cannot set without xeCJK
_CJK = re.compile("[\u1100-\u11ff\u2e80-\u2fdf\u3000-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                  "\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f]")


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


def _column_chars(g: Grid) -> list[int]:
    """The characters of the widest body cell of each column (at least 4)."""
    return [max([len(r.cells[j]) for r in g.rows if r.kind != "block" and j < len(r.cells)] + [4])
            for j in range(g.ncols)]


def _split(text: str, room: int) -> list[str]:
    """``text`` in the fewest lines (two or more) of at most ``room`` characters (or its longest word),
    broken at spaces, not inside parentheses ("(n = 11)") nor around "=", the longest line as short as can be."""
    words = re.findall(r"\([^()]*\)|[^\s(]+ = [^\s(]+|[^\s(]+(?:\([^()]*\))?\S*|\S+", text)
    if len(words) < 2:
        return [text]
    room = max(room + 2, *(len(w) for w in words))  # 2: the slack of a column's padding
    best: list[str] = [text]
    for k in range(2, len(words) + 1):
        best = min((tuple(" ".join(words[a:b]) for a, b in zip((0, *cuts), (*cuts, len(words))))
                    for cuts in itertools.combinations(range(1, len(words)), k - 1)),
                   key=lambda lines: max(map(len, lines)))
        if max(map(len, best)) <= room:
            break
    return list(best)


def _head_cell(text: str, room: int, broken: bool) -> str:
    r"""A header text, on lines of a ``[b]`` tabular (the last line on the row's baseline) when its row is
    ``broken``: "Census region = West (n = 11)" on one line over two columns of numbers widened them
    (audit 30, B2)."""
    lines = _split(text, room) if broken else [text]
    if len(lines) < 2:
        return _tex(text)
    return r"\begin{tabular}[b]{@{}c@{}}" + r"\\".join(_tex(x) for x in lines) + r"\end{tabular}"


def _header_rows(g: Grid) -> list[tuple[tuple[str, int], ...]]:
    """The header rows, the coarsest first (fewest runs; stable), those that are one text over the same
    columns joined ("SDM" and "two-way FE" over every column: "SDM, two-way FE")."""
    rows = sorted(g.header, key=len)
    out: list[tuple[tuple[str, int], ...]] = []
    for runs in rows:
        prev = out[-1] if out else None
        named = [i for i, (text, _) in enumerate(runs) if text]
        if (prev is not None and len(named) == 1 and [s for _, s in prev] == [s for _, s in runs]
                and [i for i, (t, _) in enumerate(prev) if t] == named and runs[named[0]][1] > 1):
            i = named[0]
            out[-1] = (*prev[:i], (f"{prev[i][0]}, {runs[i][0]}", runs[i][1]), *prev[i + 1:])
        else:
            out.append(tuple(runs))
    return out


def _header_lines(g: Grid) -> list[str]:
    r"""The header rows, coarsest first, a ``\cmidrule`` under each spanning head but on the last row (audit
    30, C2: "two-way FE" on the last row, centred over every column, read as the head of the middle one);
    the stub on the last row, next to the column heads; the heads of a row on two or more lines when one
    of them is wider than the numbers under it."""
    chars = _column_chars(g)
    rows = _header_rows(g)
    lines = []
    for i, runs in enumerate(rows):
        cells, rules, col = [], [], 2
        rooms = list(itertools.accumulate((span for _, span in runs), initial=0))
        rooms = [max(sum(chars[a:b]) + 2 * (b - a - 1), 10) for a, b in zip(rooms, rooms[1:])]  # 10: two words
        broken = any(len(text) > room + 2 for (text, _), room in zip(runs, rooms))  # then all of the row
        for (text, span), room in zip(runs, rooms):
            head = _head_cell(text, room, broken)
            cells.append(rf"\multicolumn{{{span}}}{{c}}{{{head}}}" if span > 1 else head)
            if span > 1 and text:
                rules.append(rf"\cmidrule(lr){{{col}-{col + span - 1}}}")
            col += span
        stub = _tex(g.stub) if i == len(rows) - 1 else ""
        lines.append(" & ".join([stub, *cells]) + r" \\")
        if rules and i < len(rows) - 1:
            lines.append(" ".join(rules))
    return lines


def _body_lines(g: Grid, *, long: bool) -> list[str]:
    r"""The body rows; in a longtable (``long``) an estimate row followed by its parenthesis row, and a
    block title, end with ``\\*`` (no page break after them: audit 30, B3, an SE alone at the top of a
    page)."""
    n = g.ncols
    lines = []
    for i, row in enumerate(g.rows):
        nxt = g.rows[i + 1] if i + 1 < len(g.rows) else None
        keep = long and nxt is not None and (row.kind == "block" or (nxt.kind == "paren" and not nxt.rule_above))
        end = r" \\*" if keep else r" \\"
        if row.rule_above:
            lines.append(r"\midrule")
        if row.kind == "block":
            lines.append(rf"\multicolumn{{{n + 1}}}{{l}}{{\textit{{{_tex(row.label)}}}}}" + end)
        else:  # an SE row starts with \spillmapse: beside the second line of its estimate's wrapped label
            label = r"\spillmapse" if row.kind == "paren" else _tex(row.label)
            lines.append(" & ".join([label, *[_num(c) for c in row.cells]]) + end)
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


def _fitted(g: Grid, *, shrink: bool) -> list[str]:
    r"""The fitting macros, ``\spillmaphead`` (top rule and header rows), ``\spillmapbody`` (from the
    ``\midrule`` under the header to the ``\bottomrule``), the labels' longest word and ``\spillmapfit``,
    which picks the size."""
    words = [w for row in g.rows if row.kind != "block" for w in row.label.split()]
    return fit_lines([r"\toprule", *_header_lines(g)], [r"\midrule", *_body_lines(g, long=not shrink), r"\bottomrule"],
                     "c" * g.ncols, shrink=shrink, word=_tex(max(words, key=len)) if words else "")


def _short(g: Grid, label: str | None) -> list[str]:
    r"""A table on one page: the tabular measured in a box at each size until it fits ``\linewidth``,
    shrunk to it only when its type stays at 7 pt or more, then placed in the threeparttable (which sets
    the caption and notes to its width)."""
    out = [*_fitted(g, shrink=True),
           r"\ifdim\wd\spillmaptablebox>\linewidth"
           rf"\ifdim\wd\spillmaptablebox>\spillmapfloor\spillmapwarn\else  % shrunk, not below {MIN_TYPE_PT} pt",
           r"\sbox{\spillmaptablebox}{\resizebox{\linewidth}{!}{\usebox{\spillmaptablebox}}}\fi\fi",
           r"\begin{threeparttable}"]
    if g.caption:
        out.append(rf"\caption{{{_tex(g.caption)}}}")
    if label:
        out.append(rf"\label{{{_tex(label)}}}")
    out.append(r"\begin{tabular}{@{}c@{}}\usebox{\spillmaptablebox}\end{tabular}")
    if g.notes:
        out += [r"\begin{tablenotes}[flushleft]\spillmapnotesize", *_notes(g), r"\end{tablenotes}"]
    return [*out, r"\end{threeparttable}"]


def _long(g: Grid, label: str | None) -> list[str]:
    """A table over pages: a longtable at the size that fits the line, its header repeated on each page,
    the notes after its last row."""
    n = g.ncols + 1
    mid = r"\specialrule{\lightrulewidth}{\aboverulesep}{\belowrulesep}"  # a \midrule, not spelt so
    first = ([rf"\caption{{{_tex(g.caption)}}}" + (rf"\label{{{_tex(label)}}}" if label else "") + r" \\"]
             if g.caption else [])
    again = [rf"\caption[]{{{_tex(g.caption)} (continued)}} \\"] if g.caption else []
    out = [rf"\begin{{longtable}}{{>{{\spillmaplabelopen}}l<{{\spillmaplabelclose}}{'c' * g.ncols}}}",
           *first, r"\spillmaphead", r"\endfirsthead", *again, r"\spillmaphead", mid, r"\endhead", mid,
           rf"\multicolumn{{{n}}}{{r}}{{\spillmapnotesize\textit{{continued on the next page}}}} \\",
           r"\endfoot", *([r"\insertTableNotes"] if g.notes else []), r"\endlastfoot", r"\spillmapbody",
           r"\end{longtable}"]
    if g.notes:
        out = [r"\begin{ThreePartTable}", r"\begin{TableNotes}[flushleft]\spillmapnotesize", *_notes(g),
               r"\end{TableNotes}", *out, r"\end{ThreePartTable}"]
    return [*_fitted(g, shrink=False),
            r"\ifdim\wd\spillmaptablebox>\linewidth\spillmapwarn\fi  % a longtable cannot be shrunk",
            r"\begingroup\spillmapsize\ifx\spillmapsize\empty\else\spillmapcaptionsize\fi", *out, r"\endgroup"]


def _first_line(g: Grid, packages: tuple[str, ...], *, cjk: bool, long: bool) -> str:
    """The comment that opens the file: what it needs to compile, how many runs, and whether it fits."""
    needs = (r"xelatex and \usepackage{xeCJK} (CJK text: pdflatex cannot set it), and " if cjk else "")
    out = f"% spillmap table: needs {needs}\\usepackage{{{','.join(packages)}}}"
    if long:
        out += "; a longtable: run LaTeX two or three times (its column widths settle on the reruns)"
    landscape = r"place it in landscape (\usepackage{pdflscape}, \begin{landscape}) or split it"
    if wide_at_floor(g):
        out += f"; wider than a portrait page (6.5 in) even at {MIN_TYPE_PT} pt type: {landscape}"
    elif wide_at_floor(g, line=NARROW_LINE_PT):
        out += (f"; on a text block narrower than 6.5 in it may not fit at {MIN_TYPE_PT} pt type (LaTeX then "
                f"warns 'spillmap: ... wider than the line'): {landscape}")
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
        at 10 pt and has at most :data:`LONG_MAX_COLUMNS` columns of numbers, or is taller even
        at 7 pt.

    Returns
    -------
    str
        The LaTeX text; its first line, a comment, names the packages it needs (and xelatex with
        ``xeCJK`` for CJK text), says to run LaTeX two or three times for a longtable, and advises a
        landscape page for a table estimated wider than a portrait page even at 7 pt type.
    """
    g = table.grid()
    if long is None:
        height = estimated_height(g)
        long = height > PAGE_HEIGHT_PT and (g.ncols <= LONG_MAX_COLUMNS or height * MIN_TYPE_PT / 10 > PAGE_HEIGHT_PT)
    packages = (("booktabs", "threeparttablex", "longtable", "array") if long else
                ("booktabs", "threeparttable", "graphicx", "array"))
    body = _long(g, label) if long else _short(g, label)
    if float_env and not long:
        body = [r"\begin{table}[htbp]", r"\centering", *body, r"\end{table}"]
    text = "\n".join(body) + "\n"
    cjk = has_cjk(text)
    if standalone:
        xecjk = "\\usepackage{xeCJK}\n" if cjk else ""
        text = (f"\\documentclass{{article}}\n\\usepackage{{{','.join(LATEX_PACKAGES)}}}\n{xecjk}"
                f"\\begin{{document}}\n{text}\\end{{document}}\n")
    return _first_line(g, packages, cjk=cjk, long=long) + "\n" + text
