"""LaTeX writer of a :class:`~spillmap.tables.Table`: booktabs rules, threeparttable notes.

Needs the LaTeX packages ``booktabs`` and ``threeparttable`` (Debian:
``texlive-latex-recommended`` and ``texlive-latex-extra``); compile with ``pdflatex``.
Chinese (or other CJK) labels need ``xelatex`` with ``\\usepackage{xeCJK}`` (or the
``ctex`` document class); :func:`to_latex` with ``standalone=True`` adds ``xeCJK``
itself when the table contains CJK text.  Every string goes through
:func:`spillmap._textsafe.latex_escape`; the few symbols it leaves (``<``, ``>``, Greek
letters not in its map) are mapped here.  Written by hand (pandas' ``to_latex`` needs
jinja2 and cannot print parenthesis rows, spanning headers with ``\\cmidrule`` or
threeparttable notes).
"""
from __future__ import annotations

import re

from spillmap._textsafe import latex_escape
from spillmap.tables._model import Table

__all__ = ["to_latex", "has_cjk", "LATEX_PACKAGES"]

#: packages the table needs (``\\usepackage{...}``)
LATEX_PACKAGES = ("booktabs", "threeparttable")
_MORE = {"<": r"$<$", ">": r"$>$", "φ": r"$\phi$", "μ": r"$\mu$", "ψ": r"$\psi$",
         "δ": r"$\delta$", "γ": r"$\gamma$", "η": r"$\eta$", "τ": r"$\tau$", "ε": r"$\varepsilon$",
         "±": r"$\pm$", "\u2212": r"$-$", "…": r"\ldots{}", "—": "---"}
_CELL = re.compile(r"^(-?)([\d,.]*\d)(\**)$")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def has_cjk(text: str) -> bool:
    """True when ``text`` holds Chinese/Japanese/Korean characters (needs xeCJK or ctex)."""
    return bool(_CJK.search(text))


def _tex(text: object) -> str:
    return "".join(_MORE.get(ch, ch) for ch in latex_escape(text))


def _num(text: str) -> str:
    """``-0.123***`` -> ``$-$0.123$^{***}$``; other text escaped."""
    m = _CELL.match(text)
    if not m:
        paren = re.match(r"^\((-?)([\d,.]*\d)\)$", text)
        if paren:
            return f"({'$-$' if paren.group(1) else ''}{paren.group(2)})"
        return _tex(text)
    sign, digits, star = m.groups()
    return f"{'$-$' if sign else ''}{digits}{f'$^{{{star}}}$' if star else ''}"


def _header_lines(g) -> list[str]:
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


def _body_lines(g) -> list[str]:
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


def to_latex(table: Table, *, label: str | None = None, standalone: bool = False, float_env: bool = True) -> str:
    """The table as LaTeX (``table`` float > ``threeparttable`` > ``tabular`` + ``tablenotes``).

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
        ``\\input`` inside your own float).
    """
    g = table.grid()
    body = [r"\begin{threeparttable}"]
    if g.caption:
        body.append(rf"\caption{{{_tex(g.caption)}}}")
    if label:
        body.append(rf"\label{{{_tex(label)}}}")
    body += [rf"\begin{{tabular}}{{l{'c' * g.ncols}}}", r"\toprule"]
    body += _header_lines(g)
    body.append(r"\midrule")
    body += _body_lines(g)
    body += [r"\bottomrule", r"\end{tabular}"]
    if g.notes:
        body.append(r"\begin{tablenotes}[flushleft]\footnotesize")
        body += [rf"\item {_tex(note)}" for note in g.notes]
        body.append(r"\end{tablenotes}")
    body.append(r"\end{threeparttable}")
    if float_env:
        body = [r"\begin{table}[htbp]", r"\centering", *body, r"\end{table}"]
    text = "\n".join(body) + "\n"
    if standalone:
        pkgs = ",".join(LATEX_PACKAGES)
        cjk = "\\usepackage{xeCJK}\n" if has_cjk(text) else ""
        text = (f"\\documentclass{{article}}\n\\usepackage{{{pkgs}}}\n{cjk}"
                f"\\begin{{document}}\n{text}\\end{{document}}\n")
    return text
