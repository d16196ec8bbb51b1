"""A shapefile's text read in the wrong encoding (UTF-8 or Chinese GBK read as Latin-1).

GDAL reads a shapefile's ``.dbf`` text as ISO-8859-1 (Latin-1) when no ``.cpg`` file (and no
code page in the ``.dbf`` header) says otherwise.  Chinese layers are very often GBK without a
``.cpg``; their names then come out as ``'±±¾©ÊÐ'`` instead of ``'北京市'`` on every map and
table (UTF-8 without a ``.cpg``: ``'åäº¬å¸'``).  Written by hand: neither pyogrio nor
geopandas guesses an encoding.  UTF-8 is recognised when every non-ASCII value, taken back to
its bytes, is valid UTF-8 (Latin-1 text practically never is).

The test is strict, so that Latin-1 text (``'Zürich'``, ``'Conceição'``) is not taken for GBK:
every text value with a byte >= 0x80 must be mostly such bytes (Chinese names are; European
names are mostly ASCII letters), have them in runs of even length (GBK characters are byte
pairs; an accented Latin letter usually stands alone), decode as GB18030 without error and
give CJK ideographs for at least 90 % of its non-ASCII characters; and at least three distinct
values must pass (two adjacent accented letters, ``'ßü'``, do decode to an ideograph).
"""
from __future__ import annotations

import pandas as pd

__all__ = ["gbk_text", "misread_text"]

#: encodings GDAL reports when it fell back to Latin-1
_LATIN1 = {"ISO-8859-1", "ISO8859-1", "LATIN1", "LATIN-1", "CP1252"}


def _mostly_cjk(decoded: str) -> bool:
    wide = [c for c in decoded if not c.isascii()]
    cjk = sum("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in wide)
    return bool(wide) and cjk >= 0.9 * len(wide)


def gbk_text(raw: bytes) -> str | None:
    """``raw`` (bytes that are not UTF-8, e.g. one line of a CSV) decoded as GB18030 when that
    gives mostly Chinese characters, else None: Excel on a Chinese Windows saves CSV as GBK."""
    try:
        decoded = raw.decode("gb18030")
    except UnicodeDecodeError:
        return None
    return decoded if _mostly_cjk(decoded) else None


def _gbk(text: str) -> str | None:
    """``text`` re-decoded as GB18030 when it looks like GBK bytes read as Latin-1, else None."""
    if text.isascii() or sum(c.isascii() and c.isalpha() for c in text) > sum(not c.isascii() for c in text):
        return None
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:  # not Latin-1-decoded text
        return None
    run = 0
    for b in raw + b"\x00":
        if b >= 0x80:
            run += 1
        elif run:
            if run % 2:
                return None
            run = 0
    return gbk_text(raw)


def _utf8(text: str) -> str | None:
    """``text`` re-decoded as UTF-8 when it is UTF-8 bytes read as Latin-1, else None."""
    if text.isascii():
        return None
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def misread_text(frame: pd.DataFrame, encoding: str | None) -> tuple[str, str, str] | None:
    """``(value as read, as it should read, the encoding)`` when every non-ASCII text value of
    ``frame`` looks like UTF-8 (one value is enough) or GBK (three at least) read as Latin-1
    (see the module notes), else None."""
    if encoding is None or encoding.upper().replace("_", "-") not in _LATIN1:
        return None
    values = [v for col in frame.columns
              if pd.api.types.is_string_dtype(frame[col].dtype) or frame[col].dtype == object  # not geometry
              for v in frame[col].dropna().unique() if isinstance(v, str) and not v.isascii()]
    for codec, fix, minimum in (("UTF-8", _utf8, 1), ("GBK", _gbk, 3)):
        fixed = [fix(v) for v in values]
        if len(values) >= minimum and all(f is not None for f in fixed):
            return values[0], fixed[0], codec
    return None
