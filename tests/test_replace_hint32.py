"""The "already exists" error names the keyword the Python call accepts (notebook audit 32 #3).

It said "use --force (Python: overwrite=True)" for folders too, while ``render_report``,
``build_report`` and ``ScreenResults.save`` take ``force=``: a user who followed it got a TypeError.
"""
from __future__ import annotations

import inspect

import pytest

from spillmap.errors import OutputError


def test_a_folder_writer_is_told_force_and_the_keyword_exists(tmp_path):
    from spillmap._fileio import preflight
    from spillmap.maps.report import build_report, render_report
    from spillmap.screen import ScreenResults

    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "mine.txt").write_text("x")
    with pytest.raises(OutputError, match=r"\(Python: force=True\)"):
        preflight([tmp_path / "rep"], kind="dir")
    for fn in (render_report, build_report, ScreenResults.save):
        assert "force" in inspect.signature(fn).parameters, fn


def test_a_file_writer_is_told_overwrite_and_the_keyword_exists(tmp_path):
    from spillmap._fileio import preflight
    from spillmap.figures import save_figure
    from spillmap.maps import save_map
    from spillmap.tables import save

    (tmp_path / "t.csv").write_text("x")
    with pytest.raises(OutputError, match=r"\(Python: overwrite=True\)"):
        preflight([tmp_path / "t.csv"], kind="file")
    for fn in (save, save_figure, save_map):
        assert "overwrite" in inspect.signature(fn).parameters, fn
