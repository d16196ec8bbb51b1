"""Newcomer audit 29 #3.1 (decimals): the printed scenario tables gave a change that is not zero as
``0.00000`` with its interval ``0.00000 to 0.00000`` and "CI includes 0: no" (Beijing in the demo),
which reads as a contradiction.  A number the table's decimals would print as zero, but which is not
zero, now prints as the bound it lies within (``<0.00001``, ``>−0.00001``); zeros stay zeros, every other
number keeps the table's one number of decimals, and the raw frame (``STEM.csv``) keeps every digit."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap.maps._scenario_tables import scenario_groups_table, scenario_top_table

MINUS = "\u2212"


def _groups() -> pd.DataFrame:
    """Rows as :func:`spillmap.maps._report_scenarios.groups_table` gives them; the numbers are the
    demo's (Hubei +0.02, W1): Beijing's change is 8.3e-11, its interval [1.7e-11, 3.4e-10] excludes 0."""
    rows = [("all", "all units", 297, 12, 0.0907, 0.1044, 0.1951, 0.000657, 0.1322, 0.2632, False),
            ("province_en", "Anhui", 16, 0, 0.0, 0.004089, 0.004089, 0.0002556, 0.001812, 0.006510, False),
            ("province_en", "Beijing", 1, 0, 0.0, 8.28e-11, 8.28e-11, 8.28e-11, 1.74e-11, 3.44e-10, False),
            ("province_en", "Fujian", 9, 0, 0.0, 6.02e-06, 6.02e-06, 6.69e-07, 2.32e-06, 1.31e-05, False),
            ("province_en", "Hainan", 4, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, True),
            ("province_en", "Ohio", 5, 0, 0.0, -2.2e-08, -2.2e-08, -4.4e-09, -6.1e-08, 1.2e-09, True)]
    cols = ["grouping", "group", "n_units", "n_shocked", "own", "received", "total", "mean_total", "ci_lower",
            "ci_upper", "ci_includes_zero"]
    return pd.DataFrame(rows, columns=cols).set_index("grouping")


@pytest.fixture()
def groups():
    frame = _groups()
    return frame, scenario_groups_table(frame, level=0.95, labels=None, caption="c")


def _printed(table) -> dict[str, dict[str, str]]:
    g = table.grid()
    heads = [h for h, _ in table.header_runs()[0]]
    return {r.label: dict(zip(heads, r.cells)) for r in g.rows if r.kind == "main"}


def test_a_change_that_is_not_zero_never_prints_as_zero(groups):
    frame, table = groups
    rows = _printed(table)
    beijing = rows["Beijing"]
    assert beijing["Received"] == beijing["Total change"] == "<0.00001"  # 8.3e-11 with 5 decimals
    assert beijing["95% CI, lower"] == beijing["95% CI, upper"] == "<0.00001" and beijing["CI includes 0"] == "no"
    ohio = rows["Ohio"]  # a small negative change: below 0, above -0.00001; its upper bound is positive
    assert ohio["Received"] == f">{MINUS}0.00001" and ohio["95% CI, upper"] == "<0.00001"
    numbers = ["Own change", "Received", "Total change", "Total per unit", "95% CI, lower", "95% CI, upper"]
    keys = ["own", "received", "total", "mean_total", "ci_lower", "ci_upper"]
    for (label, printed), (_, raw) in zip(rows.items(), frame.iterrows()):
        for head, key in zip(numbers, keys):
            text = printed[head]
            if raw[key] != 0:  # no "0.00000" (nor "-0.00000") for a number that is not zero
                assert text.lstrip("-" + MINUS).strip("0.") != "", (label, head, text)
            else:
                assert text == "0.00000", (label, head, text)  # a true zero (Hainan: no path) stays a zero


def test_the_other_numbers_keep_one_number_of_decimals(groups):
    """Columns stay aligned: every number that is printed as a number has the table's decimals (5 here: two
    significant digits of Anhui's 0.00026, the smallest at least 1/1000 of the largest)."""
    _, table = groups
    printed = [t for row in _printed(table).values() for h, t in row.items()
               if h not in ("Units", "Changed units", "CI includes 0") and not t.startswith(("<", ">"))]
    assert printed and all(len(t.split(".")[1]) == 5 for t in printed), printed


def test_the_note_says_what_the_bounds_mean_and_the_numbers_stay_numbers(groups):
    frame, table = groups
    assert any("<0.00001" in n and "every digit" in n for n in table.all_notes())
    # cells printed as numbers remain numbers in the table (the Excel writer keeps them numeric)
    assert table.body.loc["r1", "received"] == pytest.approx(0.004089, rel=0, abs=0)
    # a table without such numbers has no such note
    plain = scenario_groups_table(frame.iloc[:2], level=0.95, labels=None, caption="c")
    assert not any("every digit" in n for n in plain.all_notes())


def test_top_table_and_written_files(tmp_path):
    """The largest spillovers as written by the report: the formatted CSV prints the bound, the raw CSV
    every digit."""
    from spillmap.maps._report_scenarios import _files

    top = pd.DataFrame({"rank": [1, 2], "name": ["A", "B"], "shocked": [False, False], "own": [0.0, 0.0],
                        "received": [0.0039, 3.1e-09], "total": [0.0039, 3.1e-09], "ci_lower": [0.0017, 9e-10],
                        "ci_upper": [0.0062, 8e-09]}, index=pd.Index(["11", "12"], name="id"))
    table = scenario_top_table(top, level=0.95, labels=None, unit="city", caption="c")
    _files(tmp_path, "s_top", top, table)
    printed = (tmp_path / "tables" / "s_top_formatted.csv").read_text(encoding="utf-8")
    # 4 decimals (two significant digits of 0.0017): 3.1e-09 and its interval print as "<0.0001"
    assert '"2. B (12)","no","0.0000","<0.0001","<0.0001","<0.0001","<0.0001"' in printed
    raw = pd.read_csv(tmp_path / "tables" / "s_top.csv")
    assert raw["received"].tolist() == [0.0039, 3.1e-09]  # every digit kept
    assert np.isfinite(raw["ci_upper"]).all()
