"""``[tables] decimals``: one number of decimals per table (paper audit 2026-12-01: the report's
tables chose decimals row by row, so one column mixed -0.0090 (0.0262) and 0.159*** (0.027))."""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from spillmap.errors import InputError
from spillmap.study import Study, run
from spillmap.tables import frame_table
from spillmap.tables._rows import fixed_decimals, readable

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared specs sit next to this file
from _specs import US_EFFECTS_ONLY  # noqa: E402

#: the US study without maps, figures or tests: the effects table only
STUDY = US_EFFECTS_ONLY


def _table() -> pd.DataFrame:
    body = pd.DataFrame({"(1)": [-0.0090, 0.159, 0.00091, 1234.5]},
                        index=["beta:a", "beta:b", "variance:sigma2", "loglik"])
    se = pd.DataFrame({"(1)": [0.0262, 0.027, 0.000023, float("nan")]}, index=body.index)
    t = frame_table(body, kinds={"beta:a": "coef", "beta:b": "coef", "variance:sigma2": "coef", "loglik": "stat"})
    return t.with_options(se=se)


def _decimals_of(text: str) -> list[int]:
    return [len(m) for m in re.findall(r"\d\.(\d+)", text)]


def test_every_estimate_se_and_statistic_gets_the_same_decimals():
    t = fixed_decimals(_table(), 3)
    cells = {r.label: r.cells[0] for r in t.grid().rows if r.kind != "paren"}
    assert cells["beta:a"] == "-0.009" and cells["beta:b"].startswith("0.159")
    assert cells["loglik"] == "1,234.500"
    # sigma2 keeps two significant digits of its smallest value, the SE 0.000023 (0.001 (0.000) would
    # say nothing), as regression_table does: 0.000910 (0.000023)
    sigma = [r.cells[0] for r in t.grid().rows if r.label == "variance:sigma2"][0]
    assert _decimals_of(sigma) == [6]
    # the default (readable) gives more only to a row that would print 0.000 (the docs' rule, the same as
    # regression_table's since audit 31): -0.009 (0.026) keeps 3; a coefficient of 0.00040 (0.00012) gets 5
    loose = {r.label: r.cells[0] for r in readable(_table()).grid().rows if r.kind != "paren"}
    assert _decimals_of(loose["beta:a"]) == [3]
    tiny = _table().with_options(body=_table().body.replace(-0.0090, 0.00040), se=_table().se.replace(0.0262, 0.00012))
    assert readable(tiny).grid().rows[0].cells[0] == "0.00040"
    assert fixed_decimals(_table(), 2).grid().rows[0].cells[0] == "-0.01"


@pytest.mark.parametrize("bad", [-1, 7, 2.5, True, "3"])
def test_decimals_out_of_range_is_refused(bad):
    with pytest.raises(InputError, match="decimals must be a whole number from 0 to 6"):
        fixed_decimals(_table(), bad)


def test_study_option_reaches_every_printed_table():
    from spillmap.maps._report_tables import build_tables

    r = run(Study.from_dict(tomllib.loads(STUDY.format(decimals="decimals = 4")), source="s.toml"))
    tables = build_tables(r)
    assert tables
    for t in tables:
        label = ""
        for row in t.table.grid().rows:
            label = str(row.label) if row.kind != "paren" else label  # an SE row belongs to the row above
            if row.kind == "block" or "σ²" in label:
                continue
            for c in row.cells:
                for d in _decimals_of(c.replace(",", "")):
                    assert d == 4, (t.stem, label, c)


def test_study_option_is_checked_before_any_work():
    with pytest.raises(InputError, match=r"key 'tables\.decimals': must be a whole number from 0 to 6, got 9"):
        Study.from_dict(tomllib.loads(STUDY.format(decimals="decimals = 9")), source="s.toml")
