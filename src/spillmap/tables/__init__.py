"""spillmap.tables: publication tables -- one table model, many formats.

Fitted results become a :class:`Table` (numbers plus row/column metadata); writers
render it.  The extension of the output file picks the writer (:func:`save`).

========================  ===============================================================
``regression_table``      fits side by side: coefficients (β, W×x, ρ/λ, σ²), effects
                          (direct/indirect/total), R², log-likelihood, AIC, BIC, N, FE rows
``stats_table``           test statistics with p in parentheses (diagnostics, Table 8)
``descriptive_table``     N, mean, sd, min, max (Table 2); ``describe`` computes them
``frame_table``           any DataFrame of numbers (e.g. Moran's I by year)
``save`` / ``save_formats``  .csv .tex .md .html .docx .xlsx, atomic, no silent overwrite
``to_latex`` ...          the writers as functions returning text/bytes
``register``              make another results type tabulable (``tidy`` + ``glance``)
``stars`` ...             the one number formatter and stars function of the package
========================  ===============================================================

Formats: CSV machine-readable (estimate, se, p columns, full precision) and formatted;
LaTeX needs ``\\usepackage{booktabs,threeparttable}`` (Chinese labels: compile with
xelatex and ``\\usepackage{xeCJK}`` or the ``ctex`` class); DOCX through python-docx
(three-line table, captions in Word's "Caption" style, dated ``SOURCE_DATE_EPOCH`` or now);
XLSX through openpyxl (numbers stay numbers, formats show decimals and stars); Markdown;
HTML (also ``Table._repr_html_`` in Jupyter).

Example
-------
>>> from spillmap.tables import regression_table, save                   # doctest: +SKIP
>>> t = regression_table({"W1": sdm1, "W2": sdm2}, effects=[eff1, eff2],   # doctest: +SKIP
...                      labels={"int": "Industrial intelligence"}, unit="city", period="year")
>>> save(t, "out/table9.docx")                                           # doctest: +SKIP
"""
from spillmap.tables import _adapters  # noqa: F401  (registers the built-in extractors)
from spillmap.tables._docx import to_docx_bytes
from spillmap.tables._extract import GLANCE_KEYS, TIDY_COLUMNS, Tidy, glance, register, tidy
from spillmap.tables._format import (
    STAR_LEVELS,
    PrintedNumber,
    cell,
    decimals_for,
    distinct_labels,
    format_number,
    format_p,
    format_value,
    plural,
    star_note,
    stars,
    stat_cell,
)
from spillmap.tables._html import to_html
from spillmap.tables._latex import LATEX_PACKAGES, to_latex
from spillmap.tables._model import Table
from spillmap.tables._regression import STATISTICS, effects_method_words, regression_table
from spillmap.tables._save import FORMATS, WRITERS, save, save_formats
from spillmap.tables._stats import describe, descriptive_table, frame_table, stats_table
from spillmap.tables._text import to_csv, to_markdown
from spillmap.tables._xlsx import to_xlsx_bytes

__all__ = [
    "Table",
    "regression_table",
    "effects_method_words",
    "stats_table",
    "descriptive_table",
    "frame_table",
    "describe",
    "save",
    "save_formats",
    "to_csv",
    "to_markdown",
    "to_html",
    "to_latex",
    "to_docx_bytes",
    "to_xlsx_bytes",
    "register",
    "tidy",
    "glance",
    "Tidy",
    "TIDY_COLUMNS",
    "GLANCE_KEYS",
    "STATISTICS",
    "WRITERS",
    "FORMATS",
    "LATEX_PACKAGES",
    "STAR_LEVELS",
    "stars",
    "star_note",
    "format_number",
    "format_value",
    "format_p",
    "cell",
    "stat_cell",
    "distinct_labels",
    "decimals_for",
    "plural",
    "PrintedNumber",
]
