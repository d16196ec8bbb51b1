"""Text that lands in files other programs interpret: CSV cells and LaTeX.

Written by hand (a few lines; no library does both rules):

* **CSV formula injection** (OWASP "CSV Injection"): a spreadsheet treats a text cell
  beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula.
  :func:`csv_safe_frame` prefixes such *text* cells (and index/column labels) with a
  single quote ``'``; numbers are never touched, so ``-0.5`` stays a number, nor is a
  lone sign (``+``, ``-``: nothing to evaluate).
  :func:`csv_text` writes a frame so (text always quoted, numbers never), for every
  CSV spillmap writes.
* **LaTeX**: :func:`latex_escape` escapes the ten special characters and maps the few
  Unicode symbols spillmap's own labels use to math mode.

Every CSV and LaTeX writer of spillmap goes through these two functions.
"""
from __future__ import annotations

import csv
import numbers

import pandas as pd

__all__ = ["CSV_FORMULA_PREFIXES", "csv_safe", "csv_safe_frame", "csv_text", "latex_escape"]

#: first characters that make a spreadsheet evaluate a cell (OWASP)
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula.

    A lone ``+`` or ``-`` (a sign column, e.g. an indicator's direction) carries no formula
    and is left as it is.

    >>> csv_safe("=HYPERLINK(1)"), csv_safe(-1.5), csv_safe("Wuhan"), csv_safe("-")
    ("'=HYPERLINK(1)", -1.5, 'Wuhan', '-')
    """
    if isinstance(value, str) and value.startswith(CSV_FORMULA_PREFIXES) and value not in ("+", "-"):
        return "'" + value
    return value


def _safe_labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(csv_safe(v) for v in t) for t in index], names=[csv_safe(n) for n in index.names]
        )
    return pd.Index([csv_safe(v) for v in index], name=csv_safe(index.name))


def csv_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, index and column labels are neutralised for CSV."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if not pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
            out[c] = col.map(lambda v: v if isinstance(v, numbers.Number) else csv_safe(v)).astype(object)
    out.index = _safe_labels(out.index)
    out.columns = _safe_labels(out.columns)
    return out


def csv_text(df: pd.DataFrame, *, index: bool = True, header: bool = True) -> str:
    """CSV text of ``df`` (with its index unless ``index=False``), text cells and labels
    neutralised by :func:`csv_safe_frame`.

    Text is always quoted (numbers never are): with ``\n`` line ends, a cell holding a
    carriage return would otherwise be written bare and split the row for a reader.
    """
    return csv_safe_frame(df).to_csv(index=index, header=header, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)


_LATEX_ESCAPE = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "–": "--", "−": "-", "⊗": r"$\otimes$", "α": r"$\alpha$", "≤": r"$\le$", "≥": r"$\ge$",
    "×": r"$\times$", "ρ": r"$\rho$", "λ": r"$\lambda$", "θ": r"$\theta$", "β": r"$\beta$",
    "σ": r"$\sigma$", "²": r"$^2$", "·": r"$\cdot$",
    # the other symbols spillmap's labels use (scenario changes Δx, dynamic tau/eta, (I - rho W)⁻¹)
    "Δ": r"$\Delta$", "δ": r"$\delta$", "τ": r"$\tau$", "η": r"$\eta$", "μ": r"$\mu$", "φ": r"$\phi$",
    "ε": r"$\varepsilon$", "γ": r"$\gamma$", "π": r"$\pi$", "ω": r"$\omega$", "Σ": r"$\Sigma$",
    "→": r"$\rightarrow$", "≈": r"$\approx$", "±": r"$\pm$", "…": r"\ldots{}",
    **{sup: rf"\textsuperscript{{{plain}}}" for sup, plain in zip("⁰¹³⁴⁵⁶⁷⁸⁹⁻⁺", "013456789-+")},
}


def latex_escape(text: object) -> str:
    """``text`` with LaTeX's special characters escaped (safe inside a tabular cell or a note)."""
    return "".join(_LATEX_ESCAPE.get(ch, ch) for ch in str(text))
