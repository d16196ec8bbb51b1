"""Reading the user's CSV tables (panels, attributes) with errors that name the file and the line.

Used by the command line (``--data``).  pandas reads the table; written by hand:
the checks before and after, because pandas reports a directory, an empty file,
a non-UTF-8 byte, a semicolon-separated file or a repeated column name either as
a traceback or not at all (``x``, ``x.1``).  Ids are read as text, so that
``"01001"`` keeps its leading zero.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd

from spillmap._rowplace import mark_source
from spillmap.errors import DataError, InputError, SpillmapError, did_you_mean, format_items

__all__ = ["read_csv_table", "read_utf8_text", "require_columns", "comma_hint"]

_SEPARATORS = ((";", "semicolons"), ("\t", "tabs"), ("|", "'|' characters"))


def read_utf8_text(path: str | os.PathLike, *, advice: str, error: type[SpillmapError] = DataError,
                   raw: bytes | None = None) -> str:
    """A file's text (UTF-8, a byte-order mark allowed); a non-UTF-8 byte is reported with its line.

    ``advice`` ends the message (e.g. "save the file as UTF-8"); ``error`` is the class
    raised for the bad byte; ``raw`` are the file's bytes when the caller has them.
    """
    path = Path(path)
    if raw is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(f"{path}: line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8 text{_gbk_hint(raw, exc.start)}; "
                    f"{advice}.") from None


def _gbk_hint(raw: bytes, at: int) -> str:
    """`` (it reads as Chinese in GBK: ...)`` when the offending line does (Excel's CSV on a Chinese
    Windows), else ``""``."""
    from spillmap.geo._encoding import gbk_text

    start, end = raw.rfind(b"\n", 0, at) + 1, raw.find(b"\n", at)
    text = gbk_text(raw[start:end if end >= 0 else len(raw)].rstrip(b"\r"))
    if text is None:
        return ""
    shown = text if len(text) <= 60 else text[:57] + "..."
    return f" (it reads as Chinese in GBK, the encoding of Excel's 'CSV' on a Chinese Windows: {shown!r})"


def _decode(path: Path) -> str:
    text = read_utf8_text(path, advice="save the file as UTF-8 (e.g. 'CSV UTF-8' in Excel, or re-encode it with iconv)")
    if not text.strip():
        raise DataError(f"{path} is empty; a CSV table with a header row is expected.")
    return text


def _check_header(path: Path, text: str) -> None:
    """One-column tables with another separator, and repeated column names (line 1)."""
    first = next(csv.reader(io.StringIO(text)), [])
    if len(first) == 1:
        for sep, name in _SEPARATORS:
            if sep in first[0]:
                raise DataError(
                    f"{path}: line 1 is one single column {first[0][:60]!r}; the file seems to be separated by "
                    f"{name}. spillmap reads comma-separated files: save it as CSV with commas."
                )
    names = [c.strip() for c in first]
    dups = sorted({c for c in names if names.count(c) > 1})
    if dups:
        raise DataError(f"{path}: line 1 repeats the column name(s) {format_items(dups)}; give every column its own name.")


def read_csv_table(path: str | os.PathLike, *, id_col: str | None = None) -> pd.DataFrame:
    """Read a comma-separated table (UTF-8, a byte-order mark allowed); ``id_col`` as text.

    Raises
    ------
    InputError
        Missing file, a directory, an unreadable file.
    DataError
        An empty file, a header without data rows, a non-UTF-8 byte (its line), another
        separator than the comma, repeated column names, rows with too many fields (pandas'
        message with the line).
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"data file {p} is a directory; give the CSV file itself.")
    if not p.is_file():
        raise InputError(f"data file {p} does not exist.")
    with open(p, "rb") as fh:
        zipped = fh.read(4) == b"PK\x03\x04"
    if zipped:  # a zip archive: an Excel workbook named like a CSV?
        raise DataError(f"{p} is a zip archive (an Excel workbook?), not CSV text; give a workbook the .xlsx "
                        "extension, or save the sheet as 'CSV UTF-8'.")
    text = _decode(p)
    _check_header(p, text)
    try:
        df = pd.read_csv(io.StringIO(text), dtype={id_col: str} if id_col else None)
    except (ValueError, pd.errors.ParserError) as exc:  # EmptyDataError is a ValueError
        raise DataError(f"{p}: cannot be read as CSV ({' '.join(str(exc).split())}).") from None
    if df.empty and len(df.columns):
        raise DataError(f"{p} has a header but no data rows.")
    return mark_source(df, p)


def comma_hint(missing: list[str], columns) -> str:
    """``" Give several names separated by spaces, not commas: pcap unemp."`` when a missing name
    is existing column names joined by commas (``--x pcap,unemp``), else ``""``."""
    have = {str(c) for c in columns}
    joined = next((c for c in missing if "," in c and all(p.strip() in have for p in c.split(","))), None)
    if joined is None:
        return ""
    return f" Give several names separated by spaces, not commas: {' '.join(p.strip() for p in joined.split(','))}."


def require_columns(df: pd.DataFrame, path: str | os.PathLike, columns: list[str]) -> None:
    """Every name in ``columns`` is a column of ``df`` (read from ``path``), else a DataError listing them."""
    missing = [c for c in dict.fromkeys(columns) if c not in df.columns]
    if missing:
        hint = comma_hint(missing, df.columns) or did_you_mean(missing[0], df.columns)
        raise DataError(
            f"{path}: no column(s) {format_items(missing)}; the file has {format_items(list(df.columns))}." + hint
        )
