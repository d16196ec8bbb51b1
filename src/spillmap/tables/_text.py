"""Markdown and CSV writers of a :class:`~spillmap.tables.Table`.

pandas writes the CSV (``DataFrame.to_csv``); every CSV goes through
:func:`spillmap._textsafe.csv_text` (formula-injection neutralising; text quoted).  The
Markdown pipe table is written by hand (a few lines; ``DataFrame.to_markdown`` needs
the optional ``tabulate`` and cannot print spanning headers or parenthesis rows).
"""
from __future__ import annotations

import csv
from typing import Literal

import pandas as pd

from spillmap._textsafe import csv_safe_frame, csv_text
from spillmap.tables._format import typeset_minus
from spillmap.tables._model import Table

__all__ = ["to_markdown", "to_csv"]



def _md(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _spread(runs) -> list[str]:
    out = []
    for text, span in runs:
        out += [text] + [""] * (span - 1)
    return out


def to_markdown(table: Table) -> str:
    """A pipe table: the first header row as the Markdown header, further header rows
    and the body below it, block titles in italics, then the caption and notes.

    Parameters
    ----------
    table
        The table.
    """
    g = table.grid()
    n = g.ncols
    heads = [_spread(r) for r in g.header] or [[""] * n]
    lines = []
    if g.caption:
        lines += [f"**{_md(g.caption)}**", ""]
    lines.append("| " + " | ".join([_md(g.stub)] + [_md(h) for h in heads[0]]) + " |")
    lines.append("|" + ":---|" + "---:|" * n)
    for h in heads[1:]:
        lines.append("| | " + " | ".join(_md(x) for x in h) + " |")
    for row in g.rows:
        if row.kind == "block":
            lines.append(f"| *{_md(row.label)}* |" + " |" * n)
        else:
            lines.append("| " + " | ".join([_md(row.label)] + [_md(typeset_minus(c)) for c in row.cells]) + " |")
    if g.notes:
        lines.append("")
        lines += [f"{_md(typeset_minus(note))}  " for note in g.notes]
        lines[-1] = lines[-1].rstrip()
    return "\n".join(lines) + "\n"


def _formatted_csv_frame(table: Table) -> pd.DataFrame:
    g = table.grid()
    heads = [_spread(r) for r in g.header]
    data = [[g.stub, *h] if i == 0 else ["", *h] for i, h in enumerate(heads)]
    for row in g.rows:
        cells = [typeset_minus(c) for c in row.cells] if row.kind != "block" else [""] * g.ncols
        data.append([row.label, *cells])
    data += [[typeset_minus(note)] + [""] * g.ncols for note in g.notes]
    return pd.DataFrame(data)


def to_csv(table: Table, kind: Literal["numbers", "formatted"] = "numbers") -> str:
    """CSV text.

    Parameters
    ----------
    table
        The table.
    kind
        ``"numbers"`` (default): machine-readable, :meth:`Table.to_frame` ``("long")`` -- one
        line per cell with the main value, ``se`` and ``p`` in separate columns at full
        precision (counts as integers: ``752``, not ``752.0``).  ``"formatted"``: the printed
        table (header rows, estimate rows with stars, parenthesis rows, notes), negative
        numbers with the minus sign U+2212.
    """
    if kind == "numbers":
        frame = table.to_frame("long")
        safe = csv_safe_frame(frame)  # text neutralised; the values column is numbers only: its ints stay ints
        safe[table.value_name] = frame[table.value_name].to_numpy(dtype=object)
        return safe.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    if kind == "formatted":
        return csv_text(_formatted_csv_frame(table), index=False, header=False)
    raise ValueError(f"kind must be 'numbers' or 'formatted', got {kind!r}")
