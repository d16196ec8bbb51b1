"""Reproducible Office files: equal tables give byte-identical ``.docx`` / ``.xlsx``.

python-docx and openpyxl date every ZIP member with the current time, and openpyxl
writes the current time as the document's created / modified dates, so two runs on
the same inputs would differ.  :func:`reproducible_zip` rewrites the package with one
fixed date -- ``SOURCE_DATE_EPOCH`` when set (the reproducible-builds convention),
otherwise 1980-01-01, the earliest date a ZIP member can carry -- for the members and
for ``docProps/core.xml``.  Written by hand with :mod:`zipfile` (a few lines; neither
library has an option for it).
"""
from __future__ import annotations

import io
import os
import re
import time
import zipfile

__all__ = ["reproducible_zip", "fixed_date"]

_CORE = "docProps/core.xml"
_DATES = re.compile(r"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def fixed_date() -> time.struct_time:
    """The date written into the files: ``SOURCE_DATE_EPOCH`` (UTC) or 1980-01-01."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(epoch) if epoch.isdigit() else 315532800  # 1980-01-01T00:00:00Z
    return time.gmtime(max(seconds, 315532800))


def reproducible_zip(data: bytes) -> bytes:
    """The ZIP package ``data`` with every member dated :func:`fixed_date` and the
    created / modified dates of its core properties set to the same date."""
    stamp = fixed_date()
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", stamp)
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == _CORE:
                blob = _DATES.sub(lambda m: f"{m.group(1)}{iso}{m.group(3)}", blob.decode("utf-8")).encode("utf-8")
            member = zipfile.ZipInfo(info.filename, date_time=stamp[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            out.writestr(member, blob)
    return buf.getvalue()
