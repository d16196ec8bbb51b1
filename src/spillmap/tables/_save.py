"""``save``: the output file's extension picks the writer; every write is atomic.

Files go through :mod:`spillmap._fileio` (a temporary file renamed into place when
complete; an existing file is kept unless ``overwrite=True``).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from spillmap._fileio import atomic_write_bytes, atomic_write_text
from spillmap.errors import InputError
from spillmap.tables._model import Table

__all__ = ["save", "save_formats", "WRITERS", "FORMATS"]

#: extension -> what is written
WRITERS = {
    ".csv": "CSV (machine-readable numbers; csv='formatted' for the printed table)",
    ".tex": "LaTeX (booktabs + threeparttable)",
    ".md": "Markdown pipe table",
    ".html": "HTML table",
    ".htm": "HTML table",
    ".docx": "Word table (three-line style)",
    ".xlsx": "Excel sheet (numbers with number formats)",
}
#: formats of :func:`save_formats` by default
FORMATS = ("csv", "tex", "docx", "xlsx", "md")


def _payload(table: Table | Sequence[Table], suffix: str, csv: str, stem: str = "") -> str | bytes:
    if suffix == ".docx":
        from spillmap.tables._docx import to_docx_bytes

        return to_docx_bytes(table)
    if suffix == ".xlsx":
        from spillmap.tables._xlsx import to_xlsx_bytes

        # one table per file: its sheet is named as the file (a caption cut to Excel's 31 characters
        # read "int +0.02 in every city of": new-user audit 31); the caption heads the sheet
        single = isinstance(table, Table) and stem
        return to_xlsx_bytes(table, sheet_names=[stem] if single else None)
    if not isinstance(table, Table):
        raise InputError(f"several tables can be saved together only as .docx or .xlsx, not {suffix}.")
    if suffix == ".csv":
        from spillmap.tables._text import to_csv

        return to_csv(table, csv)  # type: ignore[arg-type]
    if suffix == ".tex":
        from spillmap.tables._latex import to_latex

        return to_latex(table)
    if suffix == ".md":
        from spillmap.tables._text import to_markdown

        return to_markdown(table)
    from spillmap.tables._html import to_html

    return to_html(table)


def save(
    table: Table | Sequence[Table],
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    csv: Literal["numbers", "formatted"] = "numbers",
) -> Path:
    """Write ``table`` to ``path`` in the format its extension names (:data:`WRITERS`).

    Parameters
    ----------
    table
        A :class:`Table`; for ``.docx`` and ``.xlsx`` also a list of tables (one document,
        one sheet per table).
    path
        Output file; its folder must exist.
    overwrite
        Replace an existing file (default: refuse with an ``OutputError``).
    csv
        For ``.csv``: ``"numbers"`` (machine-readable: estimate, se, p columns) or
        ``"formatted"`` (the printed table).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in WRITERS:
        raise InputError(f"cannot tell the table format from {path.name!r}: use one of {', '.join(WRITERS)}.")
    if csv not in ("numbers", "formatted"):
        raise InputError(f"csv must be 'numbers' or 'formatted', got {csv!r}.")
    data = _payload(table, suffix, csv, path.stem)
    if isinstance(data, bytes):
        return atomic_write_bytes(path, data, overwrite=overwrite)
    return atomic_write_text(path, data, overwrite=overwrite)


def save_formats(
    table: Table,
    folder: str | os.PathLike,
    name: str,
    *,
    formats: Sequence[str] = FORMATS,
    overwrite: bool = False,
) -> list[Path]:
    """Write ``folder/name.<ext>`` for each format (``"csv"`` also writes
    ``name_formatted.csv``); returns the paths written.

    Parameters
    ----------
    table
        The table.
    folder
        Output folder.
    name
        File name without extension.
    formats
        Extensions from :data:`FORMATS` (default all: ``csv``, ``tex``, ``docx``, ``xlsx``,
        ``md``; a leading dot is allowed).
    overwrite
        Replace existing files (default ``False``: an error), as :func:`save`.
    """
    folder = Path(folder)
    bad = [f for f in formats if f".{f.lstrip('.')}" not in WRITERS]
    if bad:
        raise InputError(f"unknown table format(s) {bad}; choose from {', '.join(w[1:] for w in WRITERS)}.")
    out = []
    for f in formats:
        ext = f.lstrip(".")
        out.append(save(table, folder / f"{name}.{ext}", overwrite=overwrite))
        if ext == "csv":
            out.append(save(table, folder / f"{name}_formatted.csv", overwrite=overwrite, csv="formatted"))
    return out
