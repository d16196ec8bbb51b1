"""Reproducible Office packages: the same inputs give the same bytes.

python-docx and openpyxl date every ZIP member with the current time, and openpyxl
writes the current time as the document's created / modified dates, so two runs on
the same inputs would differ.  :func:`reproducible_zip` rewrites the package with one
fixed date for its members -- ``SOURCE_DATE_EPOCH`` when set (the reproducible-builds
convention), otherwise 1980-01-01, the earliest date a ZIP member can carry.  The
document's own created / modified dates (``docProps/core.xml``) are ``core_date`` when the
writer gives one (``to_docx_bytes(created=...)``), ``SOURCE_DATE_EPOCH`` when set, and
otherwise left out: no date is better than a false one (the packages used to say they were
written on 1980-01-01; new-user audit 31), and the bytes stay reproducible.  Written by hand
with :mod:`zipfile` (a few lines; neither library has an option for it).
"""
from __future__ import annotations

import io
import os
import re
import time
import zipfile
from datetime import datetime, timezone

__all__ = ["reproducible_zip", "fixed_date", "document_time"]

_CORE = "docProps/core.xml"
_DATES = re.compile(r"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:\2>)")


def fixed_date() -> time.struct_time:
    """The date written into the files: ``SOURCE_DATE_EPOCH`` (UTC) or 1980-01-01."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(epoch) if epoch.isdigit() else 315532800  # 1980-01-01T00:00:00Z
    return time.gmtime(max(seconds, 315532800))


def document_time() -> datetime | None:
    """The date of a document's core properties: ``SOURCE_DATE_EPOCH`` (UTC) when set to a whole
    number of seconds (reproducible builds), else None (no date is written)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc) if epoch.isdigit() else None


def _core_dates(xml: str, when: datetime | None) -> str:
    """``docProps/core.xml`` with its created / modified dates set to ``when``, or removed."""
    if when is None:
        return _DATES.sub("", xml)
    iso = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _DATES.sub(lambda m: f"{m.group(1)}{iso}{m.group(3)}", xml)


def reproducible_zip(data: bytes, *, core_date: datetime | None = None) -> bytes:
    """The ZIP package ``data`` with every member dated :func:`fixed_date`, and the created /
    modified dates of its core properties ``core_date`` (UTC), else :func:`document_time`: the
    ``SOURCE_DATE_EPOCH`` date, or none at all."""
    stamp = fixed_date()
    when = core_date if core_date is not None else document_time()
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == _CORE:
                blob = _core_dates(blob.decode("utf-8"), when).encode("utf-8")
            member = zipfile.ZipInfo(info.filename, date_time=stamp[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            out.writestr(member, blob)
    return buf.getvalue()
