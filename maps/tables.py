"""Report tables: descriptive statistics, diagnostics and effects, as HTML/CSV/LaTeX.

Library used: **pandas** for the frames and CSV.  HTML and LaTeX are written by hand
(a few lines each) so that every cell is escaped the same way and no optional
dependency (jinja2 Styler, tabulate) is needed.

Escaping: HTML through :func:`html.escape`; LaTeX (cells, caption and notes) through
:func:`spillmap._textsafe.latex_escape`; CSV through
:func:`spillmap._textsafe.csv_safe_frame` -- a *text* cell or label that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so that a
spreadsheet shows it instead of running it as a formula (OWASP "CSV injection");
numbers are written unchanged (and unquoted; text is quoted).  Every CSV table
spillmap writes goes through :func:`to_csv_text`.  Layouts follow the seed study:
Table 2 (N, mean, sd, min, max), Table 8 (statistic and p per W), Table 9 (estimate
with SE in parentheses and significance stars per W).
"""
from __future__ import annotations

import csv
import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spillmap._textsafe import csv_safe_frame, latex_escape

__all__ = ["describe", "stars", "cell", "to_html", "to_latex", "to_csv_text"]


def describe(panel: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Table 2 layout: N, mean, sd (ddof = 1), min, max of each column (rows)."""
    rows = {}
    for c in columns:
        v = pd.to_numeric(panel[c], errors="coerce").dropna().to_numpy(dtype=float)
        rows[c] = {
            "N": int(v.size),
            "mean": float(v.mean()) if v.size else math.nan,
            "sd": float(v.std(ddof=1)) if v.size > 1 else math.nan,
            "min": float(v.min()) if v.size else math.nan,
            "max": float(v.max()) if v.size else math.nan,
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "variable"
    return out


def stars(p: float) -> str:
    """``***`` p < 0.01, ``**`` p < 0.05, ``*`` p < 0.10, else empty."""
    if p is None or not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def cell(estimate: float, se: float | None = None, p: float | None = None, digits: int = 3) -> str:
    """``0.365*** (0.043)``: estimate, stars from ``p``, SE in parentheses."""
    if estimate is None or not np.isfinite(estimate):
        return ""
    text = f"{estimate:.{digits}f}{stars(p) if p is not None else ''}"
    if se is not None and np.isfinite(se):
        text += f" ({se:.{digits}f})"
    return text


def stat_cell(stat: float | None, p: float | None, digits: int = 3) -> str:
    """``15.513 (0.000)``: statistic with p-value in parentheses (Table 8 style)."""
    if stat is None or not np.isfinite(stat):
        return "n/a"
    return f"{stat:.{digits}f} ({p:.3f})" if p is not None and np.isfinite(p) else f"{stat:.{digits}f}"


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return ""
        return f"{v:,.3f}"
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    return str(v)


def to_html(df: pd.DataFrame, *, caption: str | None = None, notes: str | None = None) -> str:
    """An escaped HTML table of ``df`` (index as the first column)."""
    out = ['<table class="t">']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    out.append(f"<thead><tr><th>{html.escape(str(df.index.name or ''))}</th>{head}</tr></thead><tbody>")
    for row in df.itertuples(index=True, name=None):  # keeps each column's dtype
        cells = "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row[1:])
        out.append(f"<tr><th>{html.escape(str(row[0]))}</th>{cells}</tr>")
    out.append("</tbody></table>")
    if notes:
        out.append(f'<p class="notes">{html.escape(notes)}</p>')
    return "".join(out)


def to_latex(df: pd.DataFrame, *, caption: str | None = None, notes: str | None = None) -> str:
    """A booktabs LaTeX tabular of ``df`` (special characters escaped)."""
    cols = "l" + "r" * len(df.columns)
    lines = [r"\begin{table}[htbp]", r"\centering"]
    if caption:
        lines.append(rf"\caption{{{latex_escape(caption)}}}")
    lines += [rf"\begin{{tabular}}{{{cols}}}", r"\toprule"]
    lines.append(" & ".join([latex_escape(df.index.name or "")] + [latex_escape(c) for c in df.columns]) + r" \\")
    lines.append(r"\midrule")
    for row in df.itertuples(index=True, name=None):
        lines.append(" & ".join([latex_escape(row[0])] + [latex_escape(_fmt(v)) for v in row[1:]]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if notes:
        lines.append(rf"\par\footnotesize {latex_escape(notes)}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def to_csv_text(df: pd.DataFrame) -> str:
    """CSV text of ``df`` with its index, text cells neutralised against formula injection.

    Text is always quoted (numbers never are): with ``\n`` line ends, a cell holding a
    carriage return would otherwise be written bare and split the row for a reader.
    """
    return csv_safe_frame(df).to_csv(lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
