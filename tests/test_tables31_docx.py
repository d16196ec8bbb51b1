"""Word output (paper audit 31, tables 2): captions in Word's "Caption" style, a number a caption
carries as a SEQ Table field, and core properties naming spillmap and the time of writing.

Each document is written with :func:`spillmap.tables.save` or ``to_docx_bytes`` and read back with
python-docx (styles, core properties) and its XML (the field codes).
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timedelta, timezone

import docx
import pandas as pd
import pytest

from spillmap.errors import InputError
from spillmap.tables import frame_table, save, to_docx_bytes

EPOCH = 1_700_000_000  # 2023-11-14T22:13:20Z, any fixed time


def _table(caption: str):
    return frame_table(pd.DataFrame({"(1)": [0.5, 1.25]}, index=["x", "y"]), caption=caption, notes=("A note.",))


def _read(data: bytes):
    return docx.Document(io.BytesIO(data))


def _utc(when: datetime) -> datetime:
    """A core-property date read back as UTC (python-docx 1.1 reads it naive, 1.2 aware)."""
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def _captions(doc) -> list:
    return [p for p in doc.paragraphs if p.style.name == "Caption"]


def _fields(doc) -> list[str]:
    return [f.strip() for f in re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", doc.element.xml)]


def test_a_caption_is_a_caption_paragraph_with_its_text_unchanged(tmp_path):
    path = save(_table("Spatial Durbin model: effects"), tmp_path / "t.docx")
    doc = docx.Document(str(path))
    caps = _captions(doc)
    assert [p.text for p in caps] == ["Spatial Durbin model: effects"]
    assert doc.paragraphs[0].text == caps[0].text  # first, above the table
    assert caps[0].paragraph_format.keep_with_next  # kept with the table below it
    assert _fields(doc) == []  # a caption without a number gets none
    style = doc.styles["Caption"]  # the built-in style, made to look as the bold caption did (not 9 pt blue)
    assert style.font.bold and style.font.color.rgb is None and style.font.size is None
    assert not any(p.style.name == "Caption" for p in doc.paragraphs if p.text == "A note.")


def test_a_number_the_caption_carries_is_a_seq_field_showing_it():
    doc = _read(to_docx_bytes([_table("Table 3: Baseline"), _table("Table 4. SDM"), _table("Moran's I"),
                               _table("Table 9 (robustness)"), _table("表10 异质性")]))
    assert [p.text for p in _captions(doc)] == ["Table 3: Baseline", "Table 4. SDM", "Moran's I",
                                                 "Table 9 (robustness)", "表10 异质性"]
    # 3 does not follow 0: restarted at 3; 4 follows 3; 9 and 10 as written, 10 continuing 9
    assert _fields(doc) == [r"SEQ Table \r 3 \* ARABIC", r"SEQ Table \* ARABIC", r"SEQ Table \r 9 \* ARABIC",
                            r"SEQ Table \* ARABIC"]
    first = _read(to_docx_bytes([_table("Table 1: A"), _table("Table 2: B")]))
    assert _fields(first) == [r"SEQ Table \* ARABIC"] * 2  # Word's own sequence: updating changes nothing


def test_core_properties_name_spillmap_the_caption_and_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    data = to_docx_bytes(_table("Table 9: Effects"))
    props = _read(data).core_properties
    assert props.author == "spillmap" and props.last_modified_by == "spillmap"
    assert props.title == "Table 9: Effects" and "python-docx" not in (props.comments or "")
    when = datetime.fromtimestamp(EPOCH, tz=timezone.utc)
    assert _utc(props.created) == when and _utc(props.modified) == when
    assert to_docx_bytes(_table("Table 9: Effects")) == data  # reproducible under SOURCE_DATE_EPOCH
    several = _read(to_docx_bytes([_table("A"), _table("B")])).core_properties
    assert several.title == "" and several.author == "spillmap" and _utc(several.created) == when


def test_without_source_date_epoch_a_document_carries_no_date_and_stays_reproducible(monkeypatch):
    # no date rather than a false one (the packages said 1980-01-01), and the same bytes on every run:
    # a report re-rendered later, or in another process, is byte-identical (tests/test_report.py)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    data = to_docx_bytes(_table("x"))
    props = _read(data).core_properties
    assert props.created is None and props.modified is None and props.author == "spillmap"
    assert b"dcterms:created" not in zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml")
    assert to_docx_bytes(_table("x")) == data


def test_xlsx_says_spillmap_wrote_it_and_no_false_date(monkeypatch):
    from spillmap.tables._xlsx import to_xlsx_bytes

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    core = zipfile.ZipFile(io.BytesIO(to_xlsx_bytes(_table("x")))).read("docProps/core.xml").decode()
    assert re.search(r"<dc:creator[^>]*>spillmap</dc:creator>", core) and "openpyxl" not in core
    assert "dcterms:created" not in core and "1980" not in core


def test_one_time_given_for_several_documents(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    when = datetime(2026, 3, 1, 9, 30, 15, 999, tzinfo=timezone(timedelta(hours=8)))
    a, b = (to_docx_bytes(_table("x"), created=when) for _ in range(2))
    assert a == b and _utc(_read(a).core_properties.created) == datetime(2026, 3, 1, 1, 30, 15, tzinfo=timezone.utc)
    with pytest.raises(InputError, match="timezone-aware"):
        to_docx_bytes(_table("x"), created=datetime(2026, 3, 1))


def test_a_long_caption_is_a_title_cut_to_what_word_keeps():
    caption = "Heterogeneity " * 30
    props = _read(to_docx_bytes(_table(caption))).core_properties
    assert len(props.title) == 255 and props.title.endswith("…") and caption.startswith(props.title[:-1])


def test_a_one_table_workbook_names_its_sheet_as_the_file(tmp_path):
    import openpyxl

    caption = "int +0.02 in every city of Hubei (W1): the 10 largest spillovers received"
    path = save(_table(caption), tmp_path / "scenario_hubei_W1_top.xlsx")
    wb = openpyxl.load_workbook(path)
    # not the caption cut to Excel's 31 characters ("int +0.02 in every city of": new-user audit 31)
    assert wb.sheetnames == ["scenario_hubei_W1_top"] and wb.active["A1"].value == caption
    both = openpyxl.load_workbook(save([_table("Baseline"), _table("SDM")], tmp_path / "all.xlsx"))
    assert both.sheetnames == ["Baseline", "SDM"]  # several tables: one sheet each, named by caption
