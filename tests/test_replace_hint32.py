"""The "already exists" error names the keyword the Python call accepts (notebook audit 32 #3).

It said "use --force (Python: overwrite=True)" for folders too, while ``render_report``,
``build_report`` and ``ScreenResults.save`` take ``force=``: a user who followed it got a TypeError.
"""
from __future__ import annotations

import inspect
import sys
from pathlib import Path

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


def test_run_takes_print_progress_itself_as_its_docstring_reads(capsys):
    """Notebook audit 32 #4: ``run(study, progress=print_progress)`` raised a TypeError deep inside
    (print_progress is the factory of the reporter); it is now taken as ``print_progress()``."""
    import tomllib

    sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared specs sit next to this file
    from _specs import US_EFFECTS_ONLY

    from spillmap.study import Study, print_progress, run

    study = Study.from_dict(tomllib.loads(US_EFFECTS_ONLY.format(decimals="")), source="s.toml")
    run(study, progress=print_progress)
    lines = capsys.readouterr().err.splitlines()
    assert lines and lines[0].startswith("[1/") and "loading the boundary layer" in lines[0], lines[:3]


@pytest.mark.parametrize("name", ["data/demo_report.toml", "demo_report.toml", "demo_report"])
def test_the_readme_demo_spec_reads_from_any_folder(name, tmp_path, monkeypatch):
    """Notebook audit 32 #5: the README's ``Study.from_toml("data/demo_report.toml")`` failed outside the
    repository with no way out; the bundled spec answers when no such file exists, a user's own file of
    that name comes first, and a missing spec's message says where it looked and names the bundled one."""
    from spillmap import datasets
    from spillmap.errors import InputError
    from spillmap.study import Study

    monkeypatch.chdir(tmp_path)
    assert Path(Study.from_toml(name).source) == datasets.data_path("demo_report.toml")
    mine = tmp_path / "demo_report.toml"
    mine.write_text(datasets.data_path("demo_report.toml").read_text(encoding="utf-8").replace(
        'title = "', 'title = "mine: ', 1), encoding="utf-8")
    assert Study.from_toml("demo_report.toml").title.startswith("mine: ")
    with pytest.raises(InputError, match=r"not found in the current folder .*data_path\(\"demo_report.toml\"\)"):
        Study.from_toml("my_report.toml")


def test_a_panel_indexed_by_id_and_time_is_told_to_reset_its_index(us48_queen, produc):
    """Notebook audit 32 #11: a panel indexed by (id, year) (linearmodels' convention) got "the id column
    'state_abbr' is not in the data" with no hint that it is the index."""
    from spillmap.errors import DataError
    from spillmap.estimation import SpatialPanel
    from spillmap.spatial import moran_pooled

    mi = produc.set_index(["state_abbr", "year"])
    hint = r"'state_abbr' is the data's index: make it a column with \.reset_index\(\)"
    with pytest.raises(DataError, match=hint):
        SpatialPanel(mi, "unemp ~ emp", id="state_abbr", time="year", w=us48_queen)
    with pytest.raises(DataError, match=r"'state_abbr', 'year' are the data's index: make them columns"):
        moran_pooled(mi, "state_abbr", time="year", var="unemp", w=us48_queen)


def test_the_bundled_specs_report_goes_to_the_current_folder(tmp_path, monkeypatch):
    """Once the README's spec is found from any folder, `spillmap report data/demo_report.toml` without --out
    wrote its report next to the bundled spec, inside the installed package; it goes to the current folder
    now (as `spillmap demo`), while a user's own spec keeps its folder next to it."""
    from spillmap import datasets
    from spillmap.maps.report import _default_out
    from spillmap.study import Study

    monkeypatch.chdir(tmp_path)
    out = _default_out(Study.from_toml("data/demo_report.toml"))
    assert not out.is_absolute() and out.resolve() == tmp_path / "spillmap_demo_report"
    mine = tmp_path / "mine" / "spec.toml"
    mine.parent.mkdir()
    mine.write_text(datasets.data_path("demo_report.toml").read_text(encoding="utf-8"), encoding="utf-8")
    assert _default_out(Study.from_toml(mine)) == mine.parent / "spillmap_demo_report"
