"""Reading a user's panel or attributes from an Excel workbook (``.xlsx``), with errors that name
the file and the sheet.

pandas reads the sheet (``read_excel`` with openpyxl, a declared dependency).  Written by hand:
the choice of the sheet (the one that holds data; several are an error naming them, since the
command line has no sheet option), dropping the empty rows and columns Excel keeps around a
table, and the repeated column names pandas would rename silently (``x``, ``x.1``).  The id
column is read as text, as from a CSV.
"""
from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import pandas as pd

from spillmap._rowplace import mark_source
from spillmap.errors import DataError, format_items

__all__ = ["read_excel_table", "EXCEL_SUFFIXES"]

EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def read_excel_table(path: str | os.PathLike, *, id_col: str | None = None) -> pd.DataFrame:
    """The one sheet of ``path`` that holds data, its first row the header; ``id_col`` as text.

    Raises
    ------
    DataError
        An unreadable workbook, no sheet with data, several sheets with data (named), a
        repeated column name.
    """
    p = Path(path)
    try:
        sheets = pd.read_excel(p, sheet_name=None, engine="openpyxl", dtype={id_col: str} if id_col else None)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DataError(f"{p}: cannot be read as an Excel workbook ({' '.join(str(exc).split())}).") from None
    full = {name: _trimmed(df) for name, df in sheets.items()}
    full = {name: df for name, df in full.items() if not df.empty}
    if not full:
        raise DataError(f"{p}: no sheet of the workbook holds data.")
    if len(full) > 1:
        raise DataError(f"{p}: {len(full)} sheets hold data ({format_items(list(full))}); keep the panel alone in "
                        "the workbook, or save its sheet as 'CSV UTF-8' and give that file.")
    name, df = next(iter(full.items()))
    repeated = [c for c in df.columns if isinstance(c, str) and (m := re.fullmatch(r"(.+)\.\d+", c))
                and m.group(1) in df.columns]
    if repeated:
        raise DataError(f"{p}, sheet {name!r}: the header repeats the column name(s) "
                        f"{format_items(sorted({c.rsplit('.', 1)[0] for c in repeated}))}; rename them.")
    return mark_source(df.reset_index(drop=True), p, sheet=name)


def _trimmed(df: pd.DataFrame) -> pd.DataFrame:
    """Without the rows and the unnamed columns that are entirely empty (formatting Excel keeps)."""
    df = df.dropna(how="all")
    empty = [c for c in df.columns if str(c).startswith("Unnamed: ") and df[c].isna().all()]
    return df.drop(columns=empty)
