"""Catalogue of panels that cannot be estimated: each error names the column or the (id, time) cell.

Not repeated here (tests/test_est_errors.py): unbalanced panels, NaN cells, duplicate
cells, a collinear triple, regressors absorbed by one-way effects, W/panel id
mismatches, rho at its bound, bad options.
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spillmap.errors import DataError
from spillmap.estimation import SpatialPanel
from spillmap.spatial.weights import SpatialWeights

sys.path.insert(0, str(Path(__file__).parent))
from _catalogue_inputs import expect_error  # noqa: E402

X = ["lpc", "lemp"]


@pytest.fixture(scope="module")
def panel(produc_logs):
    return produc_logs[produc_logs.year >= 1980].reset_index(drop=True)


def _spec(df, w, **kw):
    args = dict(y="lgsp", x=X, id="state_abbr", time="year", w=w, model="sar", fe="twoways")
    args.update(kw)
    return SpatialPanel(df, **args)


def _fails(tmp_path, df, w, *needles, **kw):
    """The spec is refused with a DataError holding the needles, and numpy raised no overflow warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "overflow encountered in ..." would fail here
        return expect_error(DataError, lambda: _spec(df, w, **kw), tmp_path, *needles)


def test_column_of_1e300_is_named(tmp_path, panel, us48_queen):
    # issue 8: was "'W_huge' is perfectly collinear with  after..." plus numpy overflow warnings
    df = panel.assign(huge=1e300 * (1 + np.arange(len(panel)) % 7))
    _fails(tmp_path, df, us48_queen, "the variable 'huge' reaches 7e+300", "Rescale it", x=X + ["huge"], model="sdm")


def test_dependent_variable_near_1e200_is_named(tmp_path, panel, us48_queen):
    # issue 8: was "the residual sum of squares is zero or negative"
    _fails(tmp_path, panel.assign(lgsp=panel.lgsp * 1e200), us48_queen, "the variable 'lgsp' reaches", "overflow")


def test_column_of_1e_minus_200_is_named(tmp_path, panel, us48_queen):
    _fails(tmp_path, panel.assign(tiny=panel.unemp * 1e-200), us48_queen, "'tiny' is at most", "underflow",
           x=X + ["tiny"])


def test_overflowing_spatial_lag_is_named(tmp_path, panel, us48_queen):
    """x below the limit, but W (raw weights of 1e20) lifts W x above it."""
    big = SpatialWeights(us48_queen.binary().sparse * 1e20, us48_queen.ids, "O", "big")
    df = panel.assign(x=panel.lpc * 1e85)
    _fails(tmp_path, df, big, "the spatial lag 'W_x' reaches", x=["x"], model="slx", fe="individual")


def test_infinite_cell_is_named_by_id_and_year(tmp_path, panel, us48_queen):
    df = panel.copy()
    df.loc[(df.state_abbr == "OH") & (df.year == 1983), "lemp"] = np.inf
    _fails(tmp_path, df, us48_queen, "missing or infinite values in 'lemp' at (id, time) (OH, 1983)",
           "impute these cells, or drop their units from every period")


def test_perfectly_collinear_pair(tmp_path, panel, us48_queen):
    _fails(tmp_path, panel.assign(lpc3=3 * panel.lpc), us48_queen,
           "regressor 'lpc3' is perfectly collinear with 'lpc' after the fixed-effects transformation",
           x=X + ["lpc3"])


def test_regressor_equal_to_the_lag_of_another_is_named_with_it(tmp_path, panel, us48_queen):
    """SDM: b = W a, so W_a duplicates b; both names appear."""
    order = panel.set_index(["year", "state_abbr"]).sort_index()
    a = order.lpc.unstack()[list(us48_queen.ids)]
    wa = a @ us48_queen.toarray().T  # (W a_t)_i per year, row i = sum_j w_ij a_jt
    wa.columns = pd.Index(list(us48_queen.ids), name="state_abbr")
    df = panel.merge(wa.stack().rename("b").reset_index(), on=["year", "state_abbr"])
    _fails(tmp_path, df, us48_queen, "regressor 'W_lpc' is perfectly collinear with 'b'", x=["lpc", "b"],
           model="sdm", wx=["lpc"])


def test_constant_column_without_fixed_effects(tmp_path, panel, us48_queen):
    _fails(tmp_path, panel.assign(five=5.0), us48_queen, "regressor 'five' is constant", x=X + ["five"],
           fe="none")


def test_unit_plus_period_column_is_absorbed_by_two_way_effects(tmp_path, panel, us48_queen):
    rank = {s: k for k, s in enumerate(sorted(panel.state_abbr.unique()))}
    df = panel.assign(ab=panel.state_abbr.map(rank) + 0.5 * (panel.year - 1980))
    _fails(tmp_path, df, us48_queen, "'ab' are a unit part plus a period part", "two-way fixed effects",
           x=X + ["ab"])


def test_dependent_variable_without_variation_after_the_effects(tmp_path, panel, us48_queen):
    rank = {s: k for k, s in enumerate(sorted(panel.state_abbr.unique()))}
    df = panel.assign(lgsp=panel.state_abbr.map(rank) * 1.0)
    _fails(tmp_path, df, us48_queen, "the dependent variable 'lgsp' has no variation after the individual",
           fe="individual")


def test_text_in_a_numeric_column_names_the_cell(tmp_path, panel, us48_queen):
    df = panel.astype({"lemp": object})
    df.loc[(df.state_abbr == "TX") & (df.year == 1981), "lemp"] = "n.a."
    df.loc[(df.state_abbr == "UT") & (df.year == 1982), "lemp"] = "?"
    _fails(tmp_path, df, us48_queen, "column 'lemp' is not numeric: 'n.a.' (a missing-value mark: leave the cell empty) at (TX, 1981)",
           "(2 non-numeric cell(s))")


def test_numbers_stored_as_text(tmp_path, panel, us48_queen):
    _fails(tmp_path, panel.assign(lemp=panel.lemp.astype(str)), us48_queen,
           "column 'lemp' holds numbers stored as text", "pandas.to_numeric")


def test_formula_with_a_text_column_of_numbers_is_refused(tmp_path, panel, us48_queen):
    """formulaic would silently turn it into one dummy per distinct value."""
    df = panel.astype({"lemp": object})
    df.loc[3, "lemp"] = "missing"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        expect_error(DataError, lambda: SpatialPanel(df, "lgsp ~ lpc + lemp", id="state_abbr", time="year",
                                                      w=us48_queen, model="sar"),
                     tmp_path, "column 'lemp' is not numeric: 'missing'", "dummy variables", "C(column)")


def test_transform_of_a_text_column_of_numbers_names_the_cell(tmp_path, panel, us48_queen):
    """log() of a column with one text cell: formulaic's TypeError became the text cell by (id, time)."""
    df = panel.astype({"gsp": object})
    df.loc[(df.state_abbr == "OH") & (df.year == 1984), "gsp"] = "12,3"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        expect_error(DataError, lambda: SpatialPanel(df, "log(gsp) ~ lpc + lemp", id="state_abbr", time="year",
                                                      w=us48_queen, model="sar"),
                     tmp_path, "formula 'log(gsp) ~ lpc + lemp': column 'gsp' is not numeric: '12,3' (written with "
                     "a decimal comma", "at (OH, 1984)")


def test_text_label_column_in_a_formula_is_still_a_factor(panel, us48_queen):
    """A genuine label column (not numbers) stays formulaic's categorical, as in R."""
    df = panel.assign(half=np.where(panel.lpc > panel.lpc.median(), "high", "low"))
    spec = SpatialPanel(df, "lgsp ~ lpc + half", id="state_abbr", time="year", w=us48_queen, model="sar")
    assert "half[T.low]" in spec.data.x_names
