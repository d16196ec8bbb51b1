"""Tests of the non-spatial two-way FE baseline (spillmap.estimation.baseline)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap.errors import DataError, EstimationError, InputError
from spillmap.estimation.baseline import BaselineResult, twoway_fe_baseline

X = ["lpcap", "lpc", "lemp", "unemp"]


@pytest.fixture(scope="module")
def panel(produc):
    d = produc.copy()
    d["lgsp"] = np.log(d["gsp"])
    d["lpcap"] = np.log(d["pcap"])
    d["lpc"] = np.log(d["pc"])
    d["lemp"] = np.log(d["emp"])
    return d


def _direct(panel, **fit):
    from linearmodels.panel import PanelOLS

    df = panel.set_index(["state_abbr", "year"])
    return PanelOLS(df["lgsp"], df[X], entity_effects=True, time_effects=True).fit(**fit)


@pytest.mark.parametrize(
    "cluster, fit",
    [
        ("entity", dict(cov_type="clustered", cluster_entity=True)),
        ("time", dict(cov_type="clustered", cluster_time=True)),
        ("both", dict(cov_type="clustered", cluster_entity=True, cluster_time=True)),
        (None, dict(cov_type="robust")),
    ],
)
def test_matches_linearmodels_directly(panel, cluster, fit):
    r = twoway_fe_baseline(panel, id="state_abbr", time="year", y="lgsp", x=X, cluster=cluster)
    ref = _direct(panel, **fit)  # reference: linearmodels 7.1 PanelOLS called directly
    # the same PanelOLS closed forms on the same data (rows possibly in another order): least-squares
    # rounding eps*cond(within X) ~ 1e-14 (1e-14 observed) -> 1e-10
    np.testing.assert_allclose(r.params[X], ref.params[X], rtol=1e-10, atol=0)
    np.testing.assert_allclose(r.std_errors[X], ref.std_errors[X], rtol=1e-10, atol=0)
    # p = 2 t.sf(|t|): relative error ~ (t^2 + 1) x that of t, |t| < 9 here -> 1e-8
    np.testing.assert_allclose(r.pvalues[X], ref.pvalues[X], rtol=1e-8, atol=1e-300)
    # b -+ q se: as b and se (1e-10), atol for a bound near 0
    np.testing.assert_allclose(r.conf_int().to_numpy(), ref.conf_int().to_numpy(), rtol=1e-10, atol=1e-14)
    assert r.r2 == pytest.approx(ref.rsquared, rel=1e-10)  # 1 - e'e / y~'y~ of the above
    assert r.nobs == 816 and r.n_entities == 48 and r.n_periods == 17


def test_r2_is_the_two_way_within_r2(panel):
    """The baseline's R^2 is 1 - e'e / y~'y~ with y and X demeaned by state and year (closed form,
    balanced panel); it was linearmodels' rsquared_within (state means only: 0.92 against 0.75 on
    Produc), which disagreed with the within table's two-way column (study audit 2026-12-01)."""
    r = twoway_fe_baseline(panel, id="state_abbr", time="year", y="lgsp", x=X)
    d = panel.sort_values(["year", "state_abbr"])
    n, t = d["state_abbr"].nunique(), d["year"].nunique()

    def two_way(col):
        a = d[col].to_numpy(dtype=float).reshape(t, n)
        return (a - a.mean(0, keepdims=True) - a.mean(1, keepdims=True) + a.mean()).ravel()

    y, z = two_way("lgsp"), np.column_stack([two_way(x) for x in X])
    e = y - z @ np.linalg.lstsq(z, y, rcond=None)[0]
    # least squares on the same demeaned data (cond ~ 40): rounding ~1e-14 -> 1e-10
    assert r.r2 == pytest.approx(1 - e @ e / (y @ y), rel=1e-10)


def test_coefficients_equal_statsmodels_lsdv(panel):
    import statsmodels.api as sm

    r = twoway_fe_baseline(panel, id="state_abbr", time="year", y="lgsp", x=X)
    # independent oracle: least-squares dummy variables (entity + time dummies) in statsmodels
    dummies = pd.get_dummies(panel["state_abbr"], drop_first=True, dtype=float)
    tdum = pd.get_dummies(panel["year"], prefix="y", drop_first=True, dtype=float)
    design = sm.add_constant(pd.concat([panel[X], dummies, tdum], axis=1))
    ols = sm.OLS(panel["lgsp"], design).fit()
    # two least-squares closed forms (within vs dummies; statsmodels' pinv of the 816 x 69 dummy design,
    # cond 4.5e3): eps*cond ~ 1e-12 on slopes of order 0.01-1 -> 1e-10 (8e-15 observed)
    np.testing.assert_allclose(r.params[X].to_numpy(), ols.params[X].to_numpy(), rtol=0, atol=1e-10)
    # the two-way within R2: 1 - e'e / y~'y~, e the LSDV residuals (= the two-way within residuals),
    # y~ demeaned by state and year (balanced panel)
    y = panel["lgsp"]
    yd = y - panel.groupby("state_abbr")["lgsp"].transform("mean") - panel.groupby("year")["lgsp"].transform("mean") + y.mean()
    e = ols.resid
    assert r.r2 == pytest.approx(1 - float(e @ e) / float(yd @ yd), rel=1e-10)  # from the dummies' fit


def test_unbalanced_and_shuffled(panel):
    sub = panel.drop(index=[3, 100, 500]).sample(frac=1.0, random_state=3)
    r = twoway_fe_baseline(sub, id="state_abbr", time="year", y="lgsp", x=X)
    from linearmodels.panel import PanelOLS

    df = sub.set_index(["state_abbr", "year"]).sort_index()
    ref = PanelOLS(df["lgsp"], df[X], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True
    )
    np.testing.assert_allclose(r.params[X], ref.params[X], rtol=1e-10)  # same PanelOLS, same sorted data
    assert r.nobs == 813


def test_result_is_immutable_and_renders(panel):
    r = twoway_fe_baseline(panel, id="state_abbr", time="year", y="lgsp", x=X)
    assert isinstance(r, BaselineResult)
    with pytest.raises(AttributeError):
        r.r2 = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        r.params["lpc"] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        r.cov.iloc[0, 0] = 0.0
    fr = r.to_frame()
    assert list(fr.columns) == ["estimate", "std_error", "t", "p", "lower", "upper"]
    assert list(fr.index) == X
    s = r.summary()
    assert "lemp" in s and "clustered (entity)" in s and "816" in s
    assert "<table>" in r._repr_html_()


def test_missing_column(panel):
    with pytest.raises(DataError, match="'nope'"):
        twoway_fe_baseline(panel, id="state_abbr", time="year", y="lgsp", x=["lpcap", "nope"])


def test_duplicate_cell_named(panel):
    bad = pd.concat([panel, panel.iloc[[5]]])
    with pytest.raises(DataError, match=r"\('AL', 1975\)"):
        twoway_fe_baseline(bad, id="state_abbr", time="year", y="lgsp", x=X)


def test_nan_cell_named(panel):
    bad = panel.copy()
    bad.loc[20, "lpc"] = np.nan  # row 20 is (AZ, 1973)
    with pytest.raises(DataError, match=r"'lpc'.*\('AZ', 1973\)"):
        twoway_fe_baseline(bad, id="state_abbr", time="year", y="lgsp", x=X)


def test_non_numeric_column(panel):
    bad = panel.copy()
    bad["lpc"] = bad["lpc"].astype(str)
    with pytest.raises(DataError, match="'lpc' is not numeric"):
        twoway_fe_baseline(bad, id="state_abbr", time="year", y="lgsp", x=X)


def test_time_invariant_regressor(panel):
    with pytest.raises(EstimationError, match="'region'"):
        twoway_fe_baseline(panel, id="state_abbr", time="year", y="lgsp", x=X + ["region"])


def test_bad_cluster_and_y_in_x(panel):
    with pytest.raises(InputError, match="cluster must be one of"):
        twoway_fe_baseline(panel, id="state_abbr", time="year", y="lgsp", x=X, cluster="state")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="also listed"):
        twoway_fe_baseline(panel, id="state_abbr", time="year", y="lgsp", x=X + ["lgsp"])
