"""The regression table's note on its parentheses names each column's covariance (audit 29 API,
A.10): a SAR with fixed effects (inverse information matrix) beside a SAR with random effects
(inverse of minus the analytic Hessian of its likelihood) printed "SAR, maximum likelihood (inverse
of the information matrix) or maximum likelihood (inverse of minus the numerical Hessian)": which
column had which could not be told, and the RE one's Hessian is analytic, not numerical."""
from __future__ import annotations

import pytest

from spillmap.estimation import SpatialPanel
from spillmap.study.records import FitRecord
from spillmap.tables import regression_table
from spillmap.tables._notes import se_note

F = "lgsp ~ lpcap + lpc + lemp + unemp"
INFO = "maximum likelihood (inverse of the information matrix)"
RE_ANALYTIC = "maximum likelihood (inverse of minus the analytic Hessian of the random-effects likelihood)"


@pytest.fixture(scope="module")
def sar(produc_logs, us48_queen):
    kw = dict(id="state_abbr", time="year", w=us48_queen, model="sar")
    return {"fe": SpatialPanel(produc_logs, F, fe="individual", **kw).fit(),
            "re": SpatialPanel(produc_logs, F, re=True, **kw).fit()}


def test_fe_and_re_columns_of_one_model_are_named(sar):
    assert (sar["fe"].cov_type, sar["re"].cov_type, sar["re"].extra["hessian"]) == ("information", "hessian", "analytic")
    note = regression_table({"SAR-FE": sar["fe"], "SAR-RE": sar["re"]}).paren_note
    assert note == f"Standard errors in parentheses: {INFO} in column SAR-FE; {RE_ANALYTIC} in column SAR-RE."


def test_unnamed_columns_are_numbered_and_grouped(sar):
    note = regression_table([sar["fe"], sar["re"], sar["fe"]]).paren_note
    assert note == f"Standard errors in parentheses: {INFO} in columns (1) and (3); {RE_ANALYTIC} in column (2)."
    t_note = regression_table([sar["fe"], sar["re"]], stat="t").paren_note
    assert t_note.startswith("z (or t) statistics in parentheses; standard errors: ") and "in column (2)" in t_note


def test_stored_records_say_the_same(sar):
    recs = [FitRecord.from_spatial(sar[k], label=f"SAR {k.upper()}", w="W1") for k in ("fe", "re")]
    note = regression_table(recs, column_labels=["SAR FE", "SAR RE"]).paren_note
    assert note == f"Standard errors in parentheses: {INFO} in column SAR FE; {RE_ANALYTIC} in column SAR RE."


def test_fixed_effects_fits_with_two_covariance_types():
    glances = [{"model": "SDM", "cov_type": "information"}, {"model": "SDM", "cov_type": "hessian"},
               {"model": "OLS", "cov_type": "clustered (entity)"}]
    assert se_note(glances, unit="city", columns=["A", "B", "C"]) == (
        f"Standard errors in parentheses: {INFO} in column A; maximum likelihood (inverse of minus the "
        "numerical Hessian) in column B; clustered by city in column C.")


def test_one_kind_per_model_name_keeps_the_model_names():
    glances = [{"model": "OLS", "cov_type": "clustered (entity)"}, {"model": "SDM", "cov_type": "information"},
               {"model": "SDM", "cov_type": "information"}]
    assert se_note(glances, unit="city", columns=["1", "2", "3"]) == (
        f"Standard errors in parentheses: OLS, clustered by city; SDM, {INFO}.")
    assert se_note(glances[1:], columns=["1", "2"]) == f"Standard errors in parentheses: {INFO}."
