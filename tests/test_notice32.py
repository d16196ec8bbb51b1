"""A study on the bundled synthetic panel says so however the panel is named (``Study.notice``).

Until stop 32 the report set its SYNTHETIC notice only for ``demo = true`` or ``[panel] dataset =
"demo_panel"``: a spec naming the bundled file as ``path`` (as a user who copied the demo spec and
pointed it at the CSV would) gave a report without it, and ``spillmap scenario`` wrote its own shorter
words.  One property now answers for the report, the scenario command and the CLI's ``--data``.
"""
from __future__ import annotations

import dataclasses
import os
import shutil

import pytest

from spillmap import datasets
from spillmap.study import Study


@pytest.fixture(scope="module")
def demo_study():
    return dataclasses.replace(Study.from_toml(datasets.data_path("demo_report.toml")), demo=False)


def _with_panel(study, **panel):
    return dataclasses.replace(study, panel=dataclasses.replace(study.panel, **panel))


def test_the_bundled_panel_by_name_or_by_path_carries_the_notice(demo_study, tmp_path):
    bundled = datasets.data_path("china_demo_panel.csv")
    assert demo_study.notice == datasets.DEMO_NOTICE  # dataset = "demo_panel"
    assert _with_panel(demo_study, dataset=None, path=str(bundled)).notice == datasets.DEMO_NOTICE
    assert _with_panel(demo_study, dataset=None, path="demo_panel").notice == datasets.DEMO_NOTICE
    rel = os.path.relpath(bundled, tmp_path)  # a path relative to the spec's folder
    here = dataclasses.replace(_with_panel(demo_study, dataset=None, path=rel), base_dir=str(tmp_path))
    assert here.notice == datasets.DEMO_NOTICE


def test_a_copy_or_another_panel_carries_none(demo_study, tmp_path):
    copy = tmp_path / "panel.csv"
    shutil.copyfile(datasets.data_path("china_demo_panel.csv"), copy)  # the user's file now
    assert _with_panel(demo_study, dataset=None, path=str(copy)).notice is None
    assert _with_panel(demo_study, dataset="produc", path=None).notice is None
    assert _with_panel(demo_study, dataset=None, path=str(tmp_path / "missing.csv")).notice is None
    assert dataclasses.replace(_with_panel(demo_study, dataset="produc", path=None), demo=True).notice \
        == datasets.DEMO_NOTICE
