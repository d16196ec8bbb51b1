"""Bad input to SpatialPanel / fit raises a spillmap error naming what is wrong."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap.errors import ConvergenceError, DataError, InputError, WeightsError
from spillmap.estimation import SpatialPanel

X = ["lpcap", "lpc", "lemp", "unemp"]


@pytest.fixture(scope="module")
def queen(us48_queen):
    return us48_queen


@pytest.fixture(scope="module")
def panel(produc_logs):
    return produc_logs.copy()


def spec(df, w, **kw):
    args = dict(y="lgsp", x=X, id="state_abbr", time="year", w=w, model="sdm", fe="twoways")
    args.update(kw)
    return SpatialPanel(df, **args)


def test_unbalanced_lists_missing_cells(panel, queen):
    df = panel[~((panel.state_abbr == "OH") & (panel.year == 1975))]
    with pytest.raises(DataError, match=r"unbalanced.*\(OH, 1975\)"):
        spec(df, queen)


def test_nan_lists_cells(panel, queen):
    df = panel.copy()
    df.loc[(df.state_abbr == "TX") & (df.year == 1980), "unemp"] = np.nan
    with pytest.raises(DataError, match=r"'unemp'.*\(TX, 1980\)"):
        spec(df, queen)


def test_duplicate_cells(panel, queen):
    df = pd.concat([panel, panel.iloc[[5]]])
    with pytest.raises(DataError, match=r"duplicate.*\(AL, 1975\)"):
        spec(df, queen)


def test_collinear_regressors_named(panel, queen):
    df = panel.assign(both=panel.lpc + 2 * panel.lemp)
    with pytest.raises(DataError, match=r"'both' is perfectly collinear with 'lpc', 'lemp'"):
        spec(df, queen, x=X + ["both"], model="sar")


def test_time_invariant_regressor_named(panel, queen):
    with pytest.raises(DataError, match=r"'region'.*do not vary over time.*individual fixed effects"):
        spec(panel, queen, x=X + ["region"], fe="individual", model="sar")


def test_period_constant_regressor_named(panel, queen):
    df = panel.assign(trend=panel.year.astype(float))
    with pytest.raises(DataError, match=r"'trend'.*across units within periods"):
        spec(df, queen, x=X + ["trend"], fe="time", model="sar")


def test_w_panel_id_mismatch(panel, queen):
    w = queen.subset([i for i in queen.ids if i != "NV"]).row_standardize()
    with pytest.raises(WeightsError, match=r"ids in column 'state_abbr' but not in W: 'NV'"):
        spec(panel, w)
    with pytest.raises(WeightsError, match=r"ids in W but not in column 'state_abbr': 'NV'"):
        spec(panel[panel.state_abbr != "NV"], queen)


def test_rho_at_bound_raises(panel, queen):
    """y equal to a common trend: with individual effects only Wy = y, so the
    likelihood increases up to rho = 1 -- no interior maximum."""
    rng = np.random.default_rng(0)
    df = panel.assign(lgsp=(panel.year - 1970) + 1e-6 * rng.normal(size=len(panel)))
    with pytest.raises(ConvergenceError, match="bound"):
        spec(df, queen, model="sar", fe="individual").fit(lee_yu="none")


def test_needs_row_standardised_w(panel, queen):
    wb = queen.binary()
    with pytest.raises(WeightsError, match="row-standardised"):
        spec(panel, wb, fe="twoways").fit(lee_yu="transformation")
    with pytest.raises(WeightsError, match="row-standardised"):
        spec(panel, wb, model="sem", fe="time").fit(lee_yu="none")
    # the direct approach of a lag model does not need it
    res = spec(panel, wb, model="sar", fe="twoways").fit(lee_yu="none")
    assert np.isfinite(res.loglik)


@pytest.mark.parametrize(
    "kw, pattern",
    [
        ({"model": "sarar"}, r"model must be one of 'sar', 'sem', 'sdm', 'slx', 'sdem', 'sac'; got 'sarar'"),
        ({"fe": "fixed"}, r"fe must be one of .*'twoways'"),  # the fixed-effects option is fe= (issue 9)
        ({"x": X + ["nope"]}, r"columns not in the data: 'nope'"),
        ({"id": "statex"}, r"id column 'statex' is not in the data"),
        ({"wx": ["gdp"]}, r"wx names regressors that are not in the model: 'gdp'"),
        ({"model": "sar", "wx": ["lpc"]}, r"wx= is only for models"),
        ({"x": X + ["state"]}, r"not numeric"),
    ],
)
def test_bad_options(panel, queen, kw, pattern):
    with pytest.raises(InputError, match=pattern):
        spec(panel, queen, **kw)


def test_bad_fit_options(panel, queen):
    s = spec(panel, queen)
    with pytest.raises(InputError, match=r"lee_yu must be one of 'none', 'transformation', 'bias-correction'"):
        s.fit(lee_yu=True)
    with pytest.raises(InputError, match="cov_type must be one of"):
        s.fit(cov_type="robust")


def test_cross_section_with_individual_effects(panel, queen):
    df = panel[panel.year == 1970]
    with pytest.raises(InputError, match=r"cross-section \(T=1\).*use fe='none' \(--fe none"):
        SpatialPanel(df, y="lgsp", x=X, id="state_abbr", w=queen, fe="twoways")
    # API audit 29 #7: the documented cross-section (time=None) works with the default fe (then "none")
    res = SpatialPanel(df, y="lgsp", x=X, id="state_abbr", w=queen, model="sar").fit()
    assert res.effects == "none" and "const" in res.params.index


def test_formula_and_columns_exclusive(panel, queen):
    with pytest.raises(InputError, match="either a formula or y= and x="):
        SpatialPanel(panel, "lgsp ~ lpc", y="lgsp", x=X, id="state_abbr", time="year", w=queen)


def test_specification_data_and_weights_stay_read_only(panel, queen):
    """API audit 29 #5: `spec.model = "sem"` after construction still fitted a SAR; the arrays of
    `results.data` could be changed in place (recover_fixed_effects then moved); a pickled or deep-copied
    SpatialWeights had writable arrays."""
    import copy
    import pickle

    spec = SpatialPanel(panel, y="lgsp", x=X, id="state_abbr", time="year", w=queen, model="sar")
    with pytest.raises(AttributeError, match=r"SpatialPanel.model cannot be changed after construction"):
        spec.model = "sem"
    res = spec.fit()
    for name in ("y", "X", "WX", "Wy"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(res.data, name)[...] = 0.0
    for w2 in (pickle.loads(pickle.dumps(queen)), copy.deepcopy(queen)):
        assert w2.equals(queen) and not w2.sparse.data.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            w2.sparse.data[0] = 100.0


def test_impacts_takes_the_interval_level(panel, queen):
    """API audit 29 #10: results.impacts() had no level= (compute_effects has); the delta method's interval
    at 90 % is estimate -+ z_0.95 se (the normal quantile, scipy; rounding only)."""
    from scipy.stats import norm

    res = SpatialPanel(panel, y="lgsp", x=X, id="state_abbr", time="year", w=queen, model="sar").fit()
    eff = res.impacts(draws=0, level=0.9)
    d = eff.direct
    assert eff.level == 0.9
    np.testing.assert_allclose(d["ci_upper"] - d["estimate"], norm.isf(0.05) * d["se"], rtol=1e-12)  # est + z se - est: eps |est/se|


def test_forgotten_time_is_named(panel, queen):
    """API audit 29 #9: without time= a panel read as a cross-section gave 'duplicate (id, time) rows in
    columns 'state_abbr'/None: (AL, 0), ...'; it says time= is missing."""
    from spillmap.errors import DataError

    with pytest.raises(DataError, match=r"time=None means a cross-section .* 'state_abbr' repeats \(up to 17 rows "
                                        r"per unit, e.g. 'AL'\): pass time="):
        SpatialPanel(panel, y="lgsp", x=X, id="state_abbr", w=queen)


@pytest.mark.parametrize("formula", ["lgsp ~ lpcap + unemp - 1", "lgsp ~ 0 + lpcap + unemp"])
def test_a_formula_without_intercept_is_refused_where_a_constant_is_estimated(panel, queen, formula):
    """Without fixed effects spillmap estimates a constant; a formula that removes the intercept
    was silently given one (API audit 29 #8).  With fixed effects the intercept is swept out
    anyway, and the formula is fitted as written."""
    with pytest.raises(InputError, match=r"removes the intercept .*\(fe='none'\)"):
        SpatialPanel(panel, formula, id="state_abbr", time="year", w=queen, model="sar", fe="none")
    with pytest.raises(InputError, match="removes the intercept"):
        SpatialPanel(panel, formula, id="state_abbr", time="year", w=queen, model="sar", re=True)
    fit = SpatialPanel(panel, formula, id="state_abbr", time="year", w=queen, model="sar", fe="twoways").fit()
    assert list(fit.params.index) == ["lpcap", "unemp", "rho"]
