r"""How a LaTeX table of :mod:`spillmap.tables._latex` fits the line: the TeX macros that choose its type
size when LaTeX knows ``\linewidth``, and a rough width estimate for the advice in the file's first line.

The policy (paper audit 30, B1/B2), tried in order until the table is no wider than ``\linewidth``:

1. the surrounding type size (``\normalsize`` in a paper), default ``\tabcolsep``;
2. ``\footnotesize`` (8--9 pt), ``\tabcolsep`` 4 pt;
3. the same with the row labels wrapped in the width the numbers leave -- the width of the wide tables
   comes mostly from labels such as "Equal Industrial intelligence across groups (SDM, Wald, df 6)".
   Ragged right with plain TeX's finite 2 em stretch (which evens the lines), not hyphenated,
   continuation lines indented 1 em.  Never narrower than a sixth of the line (some 18 characters of
   7 pt type on a 345 pt line, 25 of 8 pt type on a 468 pt one) nor than the longest word of the labels
   and that indent (a word is not broken, "Massachusetts" would stick out): when the numbers leave less, the
   table stays too wide and the next step is tried.  The row of a wrapped estimate's standard error
   (which starts with ``\spillmapse``) is moved up beside the label's second line, not set under its
   last line, apart from its estimate;
4. ``\scriptsize`` (7--8 pt), ``\tabcolsep`` 3 pt; then 5. the same with wrapped labels;
6. a table (not a longtable, which cannot be) still too wide is shrunk to the line with
   ``\resizebox`` only when its type stays at 7 pt or more (in an 11 or 12 pt paper, whose
   ``\scriptsize`` is 8 pt, its labels are first wrapped to the width that shrinking to 7 pt allows);
   otherwise it is left at ``\scriptsize``, wider than the line, and LaTeX warns ("Package spillmap
   Warning: ... place it in landscape"): journals ask for 7--8 pt in tables, so such a table belongs
   on a landscape page (``pdflscape``), where ``\linewidth`` is the page's height and the same steps
   find a larger size.  (``\resizebox`` alone, before audit 30, set such tables in 5.5--6 pt type.)

The notes are set in ``\footnotesize``, or ``\scriptsize`` with a ``\scriptsize`` table, so that they are
not larger than the table; a longtable's caption stays at the text size.  Decided by TeX, not here,
because only TeX knows the author's class, type size and margins; the estimate of :func:`wide_at_floor`
only words the advice in the first line.

The macros are defined once per document, globally (``\ifdefined\spillmapfit``, ``\gdef``: a table in a
float defines them inside its group); the table's header and body rows are the macros ``\spillmaphead``
and ``\spillmapbody``, measured in a ``tabular`` in a box at each size and then typeset once in the
``tabular`` or ``longtable``.  The label column is ``>{\spillmaplabelopen}l<{\spillmaplabelclose}`` (the
``array`` package): nothing, a box that hides the label (to measure the numbers alone) or a top-aligned
``minipage`` that wraps it.  Written by hand: no LaTeX package chooses a type size by width
(``adjustbox``/``tabularx`` only stretch or scale).
"""
from __future__ import annotations

import math

from spillmap.tables._model import Grid

__all__ = ["FIT_MACROS", "MIN_TYPE_PT", "PORTRAIT_LINE_PT", "NARROW_LINE_PT", "wide_at_floor", "fit_lines"]

#: the smallest type a table is set in (pt): journals ask for 7--8 pt in tables
MIN_TYPE_PT = 7
#: the widest portrait text block the first-line advice assumes (pt): 6.5 in, letter paper with 1 in margins
PORTRAIT_LINE_PT = 468.0
#: the narrow text block of the first-line advice (pt): LaTeX's 10 pt ``article`` with its default margins
NARROW_LINE_PT = 345.0

FIT_MACROS = r"""\ifdefined\spillmapfit\else
\newsavebox{\spillmaptablebox}\newlength{\spillmaplabelwidth}\newlength{\spillmapfloor}\newlength{\spillmapnatural}
\newlength{\spillmapextra}\newlength{\spillmappending}
\gdef\spillmapnowrap{\def\spillmaplabelopen{\global\spillmapextra=0pt }\def\spillmaplabelclose{}}
\spillmapnowrap\gdef\spillmapsize{}\gdef\spillmapnotesize{\footnotesize}
\gdef\spillmapse{\noalign{\vskip-\spillmapextra
  \global\spillmappending=\dimexpr\spillmapextra-\ht\strutbox-\dp\strutbox\relax}}
\gdef\spillmapmeasure#1#2{\sbox{\spillmaptablebox}{#1%
  \global\spillmapfloor=\dimexpr\csname f@size\endcsname\linewidth/%MIN%\relax
  \begin{tabular}{>{\spillmaplabelopen}l<{\spillmaplabelclose}#2}\spillmaphead\spillmapbody\end{tabular}}}
\gdef\spillmaptry#1#2{\def\spillmapsize{#1}\spillmapnowrap\spillmapmeasure{#1}{#2}}
\gdef\spillmapwrap#1#2#3{\spillmaptry{#1}{#2}\setlength{\spillmapnatural}{\wd\spillmaptablebox}%
  \def\spillmaplabelopen{\global\spillmapextra=0pt \setbox0\hbox\bgroup}\def\spillmaplabelclose{\egroup}%
  \spillmapmeasure{#1}{#2}%
  \addtolength{\spillmapnatural}{-\wd\spillmaptablebox}%
  \setlength{\spillmaplabelwidth}{\dimexpr#3-\wd\spillmaptablebox\relax}%
  \ifdim\spillmaplabelwidth<\dimexpr\linewidth/6\relax\setlength{\spillmaplabelwidth}{\dimexpr\linewidth/6\relax}\fi
  \setbox0\hbox{#1\spillmapword\hskip1em}\ifdim\spillmaplabelwidth<\wd0 \setlength{\spillmaplabelwidth}{\wd0}\fi
  \ifdim\spillmapnatural>\spillmaplabelwidth
  \def\spillmaplabelopen{\global\spillmapextra=0pt \setbox0\hbox\bgroup\begin{minipage}[t]{\spillmaplabelwidth}%
    \rightskip=0pt plus 2em\hbadness=10000 \hyphenpenalty=10000 \hangindent=1em\hangafter=1\relax}%
  \def\spillmaplabelclose{\strut\end{minipage}\egroup\global\spillmapextra=\dimexpr\dp0-\dp\strutbox\relax
    \ifdim\spillmappending>0pt \vrule width0pt height0pt depth\dimexpr\spillmappending+\dp\strutbox\relax\fi
    \global\spillmappending=0pt \box0}%
  \spillmapmeasure{#1}{#2}\else\spillmaptry{#1}{#2}\fi}
\gdef\spillmapfit#1#2{\def\spillmapnotesize{\footnotesize}\spillmaptry{}{#1}%
  \ifdim\wd\spillmaptablebox>\linewidth\spillmaptry{\footnotesize\setlength{\tabcolsep}{4pt}}{#1}\fi
  \ifdim\wd\spillmaptablebox>\linewidth\spillmapwrap{\footnotesize\setlength{\tabcolsep}{4pt}}{#1}{\linewidth}\fi
  \ifdim\wd\spillmaptablebox>\linewidth\def\spillmapnotesize{\scriptsize}%
  \spillmaptry{\scriptsize\setlength{\tabcolsep}{3pt}}{#1}\fi
  \ifdim\wd\spillmaptablebox>\linewidth\spillmapwrap{\scriptsize\setlength{\tabcolsep}{3pt}}{#1}{\linewidth}\fi
  \ifnum#2=1 \ifdim\wd\spillmaptablebox>\spillmapfloor
  \spillmapwrap{\scriptsize\setlength{\tabcolsep}{3pt}}{#1}{\spillmapfloor}\fi\fi}
\gdef\spillmapwarn{\PackageWarning{spillmap}{A table is wider than the line even in \string\scriptsize\space
  with its labels wrapped; place it in landscape (\string\usepackage{pdflscape}, \string\begin{landscape})
  or split it}}
\gdef\spillmapcaptionsize{\expandafter\let\csname spillmapfnum\expandafter\endcsname\csname fnum@table\endcsname
  \expandafter\def\csname fnum@table\endcsname{\normalsize\spillmapfnum}}
\fi""".replace("%MIN%", str(MIN_TYPE_PT))


def fit_lines(head: list[str], body: list[str], numbers: str, *, shrink: bool, word: str = "") -> list[str]:
    r"""The macros, the rows as ``\spillmaphead`` (``head``) and ``\spillmapbody`` (``body``, from its
    ``\midrule`` to its ``\bottomrule``), ``\spillmapword`` (``word``, LaTeX: the longest word of the labels,
    which a wrapped label column is never narrower than, with the 1 em indent of a continuation line) and
    ``\spillmapfit{numbers}{shrink}`` (the column types of the numbers; ``shrink``: the table may then be
    shrunk to the line down to 7 pt type, so its labels may be wrapped to the width that leaves -- not a
    longtable)."""
    return [*FIT_MACROS.splitlines(), r"\def\spillmaphead{%", *head, "}%", r"\def\spillmapbody{%", *body, "}%",
            rf"\def\spillmapword{{{word}}}%", rf"\spillmapfit{{{numbers}}}{{{int(shrink)}}}%"]


def _chars_pt(text: str, size: float) -> float:
    """A rough width of ``text`` in Computer Modern at ``size`` pt: half an em a character (digits are
    exactly that; lower-case letters a little less, capitals and CJK more)."""
    return sum(size if ord(ch) > 0x2e80 else 0.5 * size for ch in text)


def _width(g: Grid, size: float, pad: float, label_room: float | None) -> float:
    """The estimated width (pt) of the table at ``size`` pt with ``pad`` pt each side of a column; the labels
    wrapped in ``label_room`` pt when they are wider (``None``: not wrapped)."""
    cols = [max([_chars_pt(r.cells[j], size) for r in g.rows if r.kind != "block" and j < len(r.cells)] + [0.0])
            + 2 * pad for j in range(g.ncols)]
    for runs in g.header:
        j = 0
        for text, span in runs:
            need = _chars_pt(text, size) / (2 if span > 1 else 1) + 2 * pad - sum(cols[j:j + span])
            if need > 0:  # a head wider than its columns widens the last of them (spanning heads: on two lines)
                cols[j + span - 1] += need
            j += span
    label = max([_chars_pt(r.label, size) for r in g.rows if r.kind != "block"] + [0.0])
    return min(label, label_room if label_room is not None else label) + 2 * pad + math.fsum(cols)


def wide_at_floor(g: Grid, *, line: float = PORTRAIT_LINE_PT) -> bool:
    """Whether the table is estimated wider than ``line`` pt even at :data:`MIN_TYPE_PT` with 3 pt column
    padding and its labels wrapped in a sixth of the line (the last step TeX tries)."""
    return _width(g, MIN_TYPE_PT, 3.0, line / 6) > line

