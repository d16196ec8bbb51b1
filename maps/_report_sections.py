"""The report's table sections: each table of :mod:`spillmap.maps._report_tables` written
under ``tables/`` in every format of :func:`spillmap.tables.save_formats` (CSV numbers,
formatted CSV, LaTeX, Word, Excel, Markdown), all of them -- and the scenarios' tables -- also in one
``tables.docx`` and one ``tables.xlsx`` (a sheet per table), and drawn as HTML with links to the files.
Layout only."""
from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path

from spillmap.maps._report_tables import ReportTable, build_tables
from spillmap.tables import Table, save_formats, to_docx_bytes, to_html, to_xlsx_bytes

__all__ = ["table_sections", "write_tables", "write_combined", "FILE_KINDS", "readable_missing", "glossary"]

#: (file suffix, link text) of each table's files
FILE_KINDS = ((".csv", "CSV (numbers)"), ("_formatted.csv", "CSV (as printed)"), (".tex", "LaTeX"),
              (".docx", "Word"), (".xlsx", "Excel"), (".md", "Markdown"))


def write_tables(items: list[ReportTable], folder: Path) -> None:
    """Every table in every format (the combined files: :func:`write_combined`)."""
    out = folder / "tables"
    for item in items:
        save_formats(item.table, out, item.stem)


def write_combined(tables: Mapping[str, Table], folder: Path) -> None:
    """``tables/tables.docx`` and ``tables/tables.xlsx``: every table (``{file stem: Table}``) in one
    document, one sheet per table (named by its stem)."""
    from spillmap._fileio import atomic_write_bytes

    if tables:
        out = folder / "tables"
        atomic_write_bytes(out / "tables.docx", to_docx_bytes(list(tables.values())))
        atomic_write_bytes(out / "tables.xlsx", to_xlsx_bytes(list(tables.values()), sheet_names=list(tables)))


def _links(stem: str) -> str:
    links = "".join(f'<a href="tables/{html.escape(stem + suffix)}">{text}</a>' for suffix, text in FILE_KINDS)
    return f'<div class="files">download: {links}<a href="results.json">results.json</a></div>'


def _section(item: ReportTable) -> str:
    body = to_html(item.table.with_options(caption=""), table_id=f"table-{item.stem}")
    return f'<h2 id="{html.escape(item.stem)}">{html.escape(item.title)}</h2>' + body + _links(item.stem)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _listed(ids: list, limit: int = 12) -> str:
    return ", ".join(map(str, ids[:limit])) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def weights_info(r) -> str:
    d = r.data
    items = "".join(f"<li><b>{html.escape(name)}</b>: {html.escape(info['description'])}</li>"
                    for name, info in r.weights.items())
    extra = []
    if d.get("layer_units_dropped"):
        ids = d["layer_units_dropped"]
        extra.append(_count(len(ids), "layer unit has", "layer units have") + " no data and "
                     + ("is" if len(ids) == 1 else "are") + " not in the sample: " + _listed(ids))
    if d.get("panel_ids_dropped_by_subset"):
        ids = d["panel_ids_dropped_by_subset"]
        extra.append(_count(len(ids), "panel unit is", "panel units are") + " outside the layer subset: " + _listed(ids))
    if d.get("panel_ids_dropped_by_spec"):
        ids = d["panel_ids_dropped_by_spec"]
        extra.append(_count(len(ids), "panel unit is", "panel units are") + " left out by [panel] drop: " + _listed(ids))
    more = ("<p class=\"notes\">" + html.escape("; ".join(extra)) + ".</p>") if extra else ""
    return f"<h2>Data and weights</h2><ul class=\"weights\">{items}</ul>{more}"


def table_sections(r, folder: Path) -> tuple[list[str], dict[str, Table]]:
    """Write the tables of ``r`` under ``folder/tables``; return the page's sections (the
    data-and-weights section after the descriptive statistics) and the tables (``{file stem: Table}``)
    for :func:`write_combined`, which the report calls once the scenarios' tables are known too."""
    items = build_tables(r)
    write_tables(items, folder)
    sections = []
    for item in items:
        sections.append(_section(item))
        if item.name == "descriptive":
            sections.append(weights_info(r))
    if not any(i.name == "descriptive" for i in items):
        sections.insert(0, weights_info(r))
    if items:
        sections.append('<p class="files">All tables in one file: <a href="tables/tables.docx">Word</a>'
                        '<a href="tables/tables.xlsx">Excel</a></p>')
    return sections, {i.stem: i.table for i in items}


_SCIENTIFIC = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?[eE][+-]?\d+(?![\w.])")
_MINUS = re.compile(r"(?<![\w'\"])-(?=\d)| - (?=\S)")


def readable_missing(r, line: str) -> str:
    """A ``results.missing`` line as the page prints it (planner audit 32 #12): the test named by the
    report's own label (``"Queen: Hausman (FE vs RE), conditional RE covariance (splm sphtest): not computed
    ..."``, not ``"hausman_conditional"``) and numbers as the maps print them (``"−0.000000004534"``, no
    ``-4.534e-09``; :func:`~spillmap.maps._classify.reading`), a true minus sign.  Display only:
    ``results.json`` keeps the line as it is."""
    from spillmap.maps._classify import reading
    from spillmap.study.diagnostics import DIAGNOSTIC_LABELS

    parts = line.split(": ", 2)
    if len(parts) == 3 and parts[1] in DIAGNOSTIC_LABELS:
        y = r.spec.get("model", {}).get("y", "y")
        parts[1] = DIAGNOSTIC_LABELS[parts[1]].replace("{y}", str(r.labels.get(y, y)))
        line = ": ".join(parts)
    line = _SCIENTIFIC.sub(lambda m: reading(float(m.group(0))), line)
    return _MINUS.sub(lambda m: "\u2212" if m.group(0) == "-" else " \u2212 ", line)


#: the glossary's words, the spillover maps' legend notes (:func:`~spillmap.maps._significance.layer_sentence`)
_GLOSSARY_PARTS = ("direct", "indirect_received", "indirect_emitted", "total_received", "total_emitted")


def glossary(r, *, y: str, key: str) -> str:
    """A short glossary of the maps' words (direct, indirect/spillover, received, emitted, total) placed
    above the Maps section (planner audit 32 #9): the sentences of the spillover maps' legend notes for
    ``key`` (the mapped variable) and ``y`` as the maps name them, and how the averages meet the effects
    table (the average received = the average emitted = its indirect effect)."""
    from spillmap.maps._significance import layer_sentence
    from spillmap.tables import plural

    unit = r.unit_label or "unit"
    units = plural(unit)
    items = [layer_sentence(c, var=key, y=y, unit=unit).split(": ", 1) for c in _GLOSSARY_PARTS]
    items.insert(1, ["indirect (spillover)",
                     f"the part of a change that reaches {y} through the other {units}; each {unit} receives "
                     f"spillovers (received) and sends them (emitted)"])
    rows = "".join(f"<dt>{html.escape(t)}</dt><dd>{html.escape(d)}</dd>" for t, d in items)
    link = (f"Averaged over all {units}, the spillover received equals the spillover emitted, and both equal "
            f"the indirect effect of {key} in the effects table; total = direct + indirect.")
    return (f'<h2 id="glossary">Words used on the maps</h2><dl class="glossary">{rows}</dl>'
            f'<p class="notes">{html.escape(link)}</p>')
