"""Decimals of regression tables do not depend on which rows are shown (paper audit 31, tables 1).

The audit found one coefficient printed ``−0.0090 (0.0262)`` in the study's full ``sdm_effects``
table and ``−0.009 (0.026)`` from ``regression_table(..., variables=["log(pcap)"])``: the report
re-chose each coefficient row's decimals after the fact (``readable``) while ``regression_table``
printed 3.  Now ``regression_table`` chooses each row's decimals from that row's own numbers (3,
more only where a value would print as ``0.000``), before ``variables=`` keeps some rows, and the
report keeps them.  The reference strings below are the numbers of the small fits here, rounded by
hand to the decimals the rule gives.
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from spillmap.tables import regression_table
from spillmap.tables._rows import fixed_decimals, readable

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared specs sit next to this file
from _specs import US_EFFECTS_ONLY  # noqa: E402

#: the US study (Produc, one contiguity W) with the effects table only
STUDY = US_EFFECTS_ONLY.format(decimals="")


class _Fit:
    """A results type of known numbers (the Tidy protocol: ``tidy`` and ``glance`` methods)."""

    def __init__(self, terms: list[tuple[str, str, float, float, float]]):
        self.terms = terms

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame([{"term": f"{k}:{v}", "kind": k, "variable": v, "estimate": e, "std_error": s, "p": p}
                             for k, v, e, s, p in self.terms])

    def glance(self) -> dict:
        return {"model": "SDM", "y": "y", "nobs": 100, "n": 10, "t": 10, "loglik": 12.3456}


#: a = −0.0090 (0.0262): prints with 3 decimals; b = 0.00040 (0.00012): would print 0.000, so two
#: significant digits (5 decimals); c = 0.159 (0.027); σ² 0.00091 (0.000023): 6 decimals as before
FIT = _Fit([("beta", "a", -0.0090, 0.0262, 0.73), ("beta", "b", 0.00040, 0.00012, 0.001),
            ("beta", "c", 0.159, 0.027, 1e-6), ("theta", "a", 0.0312, 0.05, 0.5),
            ("spatial", "rho", 0.431, 0.043, 1e-9), ("variance", "sigma2", 0.00091, 0.000023, float("nan")),
            ("direct", "a", -0.0093, 0.0270, 0.73), ("direct", "b", 0.00041, 0.00013, 0.002),
            ("indirect", "b", 0.00021, 0.00009, 0.02), ("total", "b", 0.00062, 0.00018, 0.001)])


def _cells(table) -> dict[str, tuple[str, ...]]:
    """``{row key: (main cells..., parenthesis cells...)}`` of the printed grid."""
    out: dict[str, tuple[str, ...]] = {}
    for row in table.grid().rows:
        if row.kind == "main":
            out[row.key] = row.cells
        elif row.kind == "paren":
            out[row.key] = out[row.key] + row.cells
    return out


def test_a_row_prints_alike_whatever_rows_are_kept():
    full = _cells(regression_table(FIT))
    assert full["beta:a"] == ("-0.009", "(0.026)")  # not 0.000: three decimals, as the other rows
    assert full["beta:b"] == ("0.00040***", "(0.00012)")  # 0.000 (0.000) would say nothing
    assert full["beta:c"] == ("0.159***", "(0.027)")
    assert full["variance:sigma2"] == ("0.000910", "(0.000023)")
    assert full["indirect:b"] == ("0.000210**", "(0.000090)")  # two digits of its smallest, the SE
    every = ("coefficients", "effects", "statistics")
    cases = [(v, b) for v in (["a"], ["b"], ["b", "a"]) for b in (every, ("effects",), ("coefficients",))]
    for variables, blocks in [*cases, (["c"], every)]:  # c has no effects
        part = _cells(regression_table(FIT, variables=variables, blocks=blocks))
        assert part, (variables, blocks)
        for key, cells in part.items():
            if key in full:
                assert cells == full[key], (variables, blocks, key)


def test_the_reports_pass_keeps_the_decimals_regression_table_chose():
    t = regression_table(FIT, variables=["a"])
    assert t.decimals_chosen
    assert _cells(readable(t)) == _cells(t)
    # fixed decimals (the study's [tables] decimals = N) are the same whether asked of regression_table
    # or applied after, and σ² keeps its two significant digits either way
    for n in (2, 4):
        assert _cells(fixed_decimals(regression_table(FIT), n)) == _cells(regression_table(FIT, decimals=n))
    assert _cells(regression_table(FIT, decimals=4))["beta:b"] == ("0.0004***", "(0.0001)")


@pytest.mark.parametrize("bad", [-1, 11, 2.5, True, "3"])
def test_decimals_must_be_none_or_a_whole_number(bad):
    from spillmap.errors import InputError

    with pytest.raises(InputError, match="decimals must be None or an integer from 0 to 10"):
        regression_table(FIT, decimals=bad)


@pytest.fixture(scope="module")
def study():
    from spillmap.study import Study, run

    return run(Study.from_dict(tomllib.loads(STUDY), source="s.toml"))


def test_the_study_table_and_a_table_of_one_variable_print_a_cell_alike(study):
    """The audit's case on the bundled Produc data: the SDM's unemp rows (−0.0136 (0.0016)) printed
    with 4 decimals in the report's sdm_effects table and with 3 from regression_table."""
    from spillmap.maps._report_tables import build_tables

    report = next(t.table for t in build_tables(study) if t.stem == "sdm_effects")
    shown = _cells(report)
    compared = 0
    for x in study.spec["model"]["x"]:
        for blocks in (("coefficients", "effects", "statistics"), ("effects",)):
            one = _cells(regression_table(study.sdm("W1"), variables=[x], labels=study.labels, blocks=blocks))
            for key, cells in one.items():
                if key.split(":")[0] in ("beta", "theta", "direct", "indirect", "total", "variance") or key == "rho":
                    assert cells == shown[key], (x, key)
                    compared += 1
    assert compared >= 2 * 3 * 4
    assert shown["beta:unemp"] == ("-0.014***", "(0.002)")
