"""HTML writer of a :class:`~spillmap.tables.Table` (report pages and Jupyter).

Written by hand (a few lines; pandas' Styler needs jinja2 and cannot merge header
cells across columns the way a regression table needs): every string goes through
:func:`html.escape`.  The table carries the class ``spillmap-table`` and a small inline
three-line style, so it reads well in Jupyter and can be restyled by a page's CSS.
"""
from __future__ import annotations

import html

from spillmap.tables._format import typeset_minus
from spillmap.tables._model import Table

__all__ = ["to_html"]

_STYLE = "border-collapse:collapse;border-top:2px solid #000;font-variant-numeric:tabular-nums"
_TH = "padding:2px 10px;text-align:center;font-weight:normal"


def to_html(table: Table, *, table_id: str | None = None) -> str:
    """An escaped ``<table>``: caption, header rows (spanning cells merged), one row per
    estimate and one per parenthesis, block titles, notes in the footer.

    Parameters
    ----------
    table
        The table.
    table_id
        The ``id`` attribute of the ``<table>`` (default none).
    """
    e = html.escape
    g = table.grid()
    n = g.ncols
    ident = f' id="{e(table_id)}"' if table_id else ""
    out = [f'<table class="spillmap-table"{ident} style="{_STYLE}">']
    if g.caption:
        out.append(f'<caption style="caption-side:top;text-align:left;font-weight:bold">{e(g.caption)}</caption>')
    out.append("<thead>")
    for i, runs in enumerate(g.header):
        last = i == len(g.header) - 1
        border = "border-bottom:1px solid #000;" if last else ""
        cells = "".join(
            f'<th colspan="{span}" style="{_TH};{border}">{e(text)}</th>' if span > 1
            else f'<th style="{_TH};{border}">{e(text)}</th>'
            for text, span in runs
        )
        stub = e(g.stub) if i == 0 else ""
        out.append(f'<tr><th style="text-align:left;{border}">{stub}</th>{cells}</tr>')
    out.append('</thead><tbody style="border-bottom:2px solid #000">')
    for row in g.rows:
        rule = ' style="border-top:1px solid #000"' if row.rule_above else ""
        if row.kind == "block":
            out.append(f'<tr class="block"{rule}><td colspan="{n + 1}" style="font-style:italic;text-align:left">'
                       f"{e(row.label)}</td></tr>")
            continue
        cls = ' class="paren"' if row.kind == "paren" else ""
        tds = "".join(f'<td style="padding:1px 10px;text-align:center">{e(typeset_minus(c))}</td>' for c in row.cells)
        out.append(f'<tr{cls}{rule}><th style="text-align:left;font-weight:normal;padding-right:12px">'
                   f"{e(row.label)}</th>{tds}</tr>")
    out.append("</tbody>")
    if g.notes:
        notes = "<br>".join(e(typeset_minus(note)) for note in g.notes)
        out.append(f'<tfoot><tr><td colspan="{n + 1}" style="text-align:left;font-size:85%;padding-top:3px">'
                   f"{notes}</td></tr></tfoot>")
    out.append("</table>")
    return "".join(out)
