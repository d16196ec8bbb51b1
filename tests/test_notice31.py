"""Tables built from the synthetic demonstration panel's fits say so, outside the report too.

New-user audit 31 (#2): the README's own ``regression_table({"W1": results.sdm("W1"), ...})`` on the
demo study wrote tables without the SYNTHETIC notice, which data/README.md promises on every printed
table.  The study's notice now travels with each stored fit (``FitRecord.notice``, glance key
``notice``) and a regression table prints it first, once.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from _demo_shared import demo_results, demo_tables  # noqa: E402

from spillmap.datasets import DEMO_NOTICE  # noqa: E402
from spillmap.study import StudyResults  # noqa: E402
from spillmap.tables import regression_table, save  # noqa: E402


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> StudyResults:
    return demo_results(tmp_path_factory)  # read once per worker


@pytest.mark.e2e
def test_a_regression_table_of_the_demo_fits_says_synthetic_first_and_once(results, tmp_path):
    assert results.notice == DEMO_NOTICE and results.sdm("W1").notice == DEMO_NOTICE
    t = regression_table({"W1": results.sdm("W1"), "W2": results.sdm("W2")}, notes=[DEMO_NOTICE, "Mine."])
    assert t.notes[0] == DEMO_NOTICE and t.notes.count(DEMO_NOTICE) == 1 and "Mine." in t.notes
    for ext in ("md", "tex", "csv"):
        text = save(t, tmp_path / f"t9.{ext}", csv="formatted").read_text(encoding="utf-8")
        assert text.count("SYNTHETIC DEMONSTRATION DATA") == 1, ext


@pytest.mark.e2e
def test_fits_of_real_data_carry_no_notice(results):
    from spillmap.study import FitRecord  # exported where the README names it (audit 31 #11)

    real = dataclasses.replace(results.sdm("W1"), notice=None)
    assert isinstance(real, FitRecord)
    assert not any("SYNTHETIC" in n for n in regression_table([real]).notes)
    assert "notice" not in real.to_dict() and real.glance()["notice"] is None


@pytest.mark.e2e
def test_the_notice_survives_the_json_round_trip_and_the_report_prints_it_once(results, tmp_path_factory):
    again = StudyResults.from_json(results.to_json())
    assert again == results and again.sdm("W2").notice == DEMO_NOTICE
    for t in demo_tables(tmp_path_factory):  # build_tables(results), built once per worker
        notes = t.table.all_notes()
        assert notes[0] == DEMO_NOTICE and notes.count(DEMO_NOTICE) == 1, t.stem
