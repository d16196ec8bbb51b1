"""Short-run and long-run effects of dynamic fits, per-unit effects, stability and bad input.

References: a dense oracle (``np.linalg.inv`` of ``I - rho W`` and ``(1 - tau) I - (rho + eta) W``,
the matrices formed explicitly) and the forward propagation of a permanent change of x over
500 periods (``sum_h A^h S_k``); tolerances 1e-10 where two exact closed forms meet (rounding
of N x N products), 1e-9 for the 500-period sum (its tail is below |A|^500 ~ 1e-160).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spillmap.errors import DataError, EstimationError, InputError, WeightsError
from spillmap.estimation import SpatialPanel
from spillmap.spatial.weights import SpatialWeights

N, T0 = 30, 8
IDS = [f"u{i:02d}" for i in range(N)]


def _ring(n=N, shift=(1, 2)):
    r, c = [], []
    for i in range(n):
        for j in shift:
            r += [i, i]
            c += [(i + j) % n, (i - j) % n]
    return SpatialWeights(sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, n)), IDS[:n]).row_standardize()


W = _ring()


def _panel(w=W, *, tau=0.4, eta=-0.1, rho=0.3, t0=T0, seed=0):
    rng = np.random.default_rng(seed)
    wd = w.toarray()
    y = rng.normal(size=N)
    mu = rng.normal(size=N)
    rows = []
    for t in range(t0):
        x = rng.normal(size=(N, 2))
        rhs = tau * y + eta * wd @ y + x @ [1.0, -0.5] + wd @ x @ [0.3, 0.2] + mu + rng.normal() + rng.normal(size=N)
        y = np.linalg.solve(np.eye(N) - rho * wd, rhs)
        rows.append(pd.DataFrame({"id": IDS, "year": 2000 + t, "x1": x[:, 0], "x2": x[:, 1], "y": y}))
    return pd.concat(rows, ignore_index=True)


DF = _panel()


@pytest.fixture(scope="module")
def fit():
    return SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=W, model="sdm", fe="twoways",
                        dynamic="both").fit()


def _dense(fit):
    p = fit.params
    wd = W.toarray()
    eye = np.eye(N)
    s_inv = np.linalg.inv(eye - p["rho"] * wd)
    a = s_inv @ (p["tau"] * eye + p["eta"] * wd)
    return p, wd, eye, s_inv, a


def test_effects_equal_dense_oracle(fit):
    p, wd, eye, s_inv, _ = _dense(fit)
    lr_inv = np.linalg.inv((1 - p["tau"]) * eye - (p["rho"] + p["eta"]) * wd)
    eff = fit.effects_both(draws=0)
    for horizon, inv in (("short", s_inv), ("long", lr_inv)):
        for var in ("x1", "x2"):
            s = inv @ (p[var] * eye + p[f"W_{var}"] * wd)
            direct, total = np.trace(s) / N, s.sum() / N
            table = eff[horizon]
            assert table.direct.loc[var, "estimate"] == pytest.approx(direct, abs=1e-10)
            assert table.total.loc[var, "estimate"] == pytest.approx(total, abs=1e-10)
            assert table.indirect.loc[var, "estimate"] == pytest.approx(total - direct, abs=1e-10)


def test_long_run_is_the_limit_of_repeated_short_run_propagation(fit):
    """A permanent change of x_k at t = 0: dy_h = A dy_{h-1} + S_k dx; 500 periods forward."""
    p, wd, eye, s_inv, a = _dense(fit)
    eff = fit.effects_both(draws=0)["long"]
    for var in ("x1", "x2"):
        impulse = s_inv @ (p[var] * eye + p[f"W_{var}"] * wd)  # the period-0 response to dx = I
        level = np.zeros((N, N))
        step = impulse.copy()
        for _ in range(500):
            level += step
            step = a @ step
        assert eff.total.loc[var, "estimate"] == pytest.approx(level.sum() / N, abs=1e-9)
        assert eff.direct.loc[var, "estimate"] == pytest.approx(np.trace(level) / N, abs=1e-9)


def test_delta_and_simulation_standard_errors_agree(fit):
    """Within Monte-Carlo error: 2,000 draws give the sd to about 1.6 %; the delta method is a
    linearisation, so allow 15 % in the short run.  The long-run effects are a ratio with
    ``1 - tau - rho - eta`` in the denominator: with N = 30, T = 7 their simulated spread is
    wider than the linearisation (skewed towards the stability bound), so 30 % and never narrower
    than 97 % of the delta se."""
    sim = fit.effects_both(draws=2000, seed=3)
    delta = fit.effects_both(draws=0)
    for h, tol in (("short", 0.15), ("long", 0.30)):
        for part in ("direct", "indirect", "total"):
            a, b = getattr(sim[h], part)["se"], getattr(delta[h], part)["se"]
            np.testing.assert_allclose(a, b, rtol=tol)
            assert np.all(a >= 0.97 * b)


def test_delta_gradient_matches_finite_differences(fit):
    """The analytical long-run gradient against central differences of the point effects
    (step 1e-6: error O(h^2) ~ 1e-12, rounding ~1e-10)."""
    from spillmap.estimation._dynamic_effects import _setup, _delta, _moment_set

    p_hat, v, spec, _ = _setup(fit)
    moments = _moment_set(fit, None, "exact", 0)[0]
    base = _delta(p_hat, v, spec, moments, "long", 1.96)["total"]["estimate"].to_numpy()
    for j in range(p_hat.size):
        h = 1e-6
        up, dn = p_hat.copy(), p_hat.copy()
        up[j] += h
        dn[j] -= h
        fd = (_delta(up, v, spec, moments, "long", 1.96)["total"]["estimate"].to_numpy()
              - _delta(dn, v, spec, moments, "long", 1.96)["total"]["estimate"].to_numpy()) / (2 * h)
        e = np.zeros(p_hat.size)
        e[j] = 1.0
        # se^2 with v = e e' is the squared gradient component
        g = _delta(p_hat, np.outer(e, e), spec, moments, "long", 1.96)["total"]["se"].to_numpy()
        np.testing.assert_allclose(g, np.abs(fd), rtol=1e-6, atol=1e-8)
    assert base.size == 2


def test_unit_effects_both_horizons(fit):
    p, wd, eye, s_inv, _ = _dense(fit)
    lr_inv = np.linalg.inv((1 - p["tau"]) * eye - (p["rho"] + p["eta"]) * wd)
    for horizon, inv in (("short", s_inv), ("long", lr_inv)):
        s = inv @ (p["x1"] * eye + p["W_x1"] * wd)
        u = fit.unit_effects("x1", horizon=horizon)
        np.testing.assert_allclose(u["direct"], np.diag(s), atol=1e-10)
        np.testing.assert_allclose(u["total_received"], s.sum(axis=1), atol=1e-10)
        np.testing.assert_allclose(u["total_emitted"], s.sum(axis=0), atol=1e-10)


def test_impacts_and_compute_effects_give_the_short_run(fit):
    from spillmap.estimation.effects import compute_effects

    a = fit.impacts(draws=0)
    b = compute_effects(fit, draws=0)
    pd.testing.assert_frame_equal(a.total, b.total)
    assert "short run" in a.note and "long run" in fit.impacts(draws=0, horizon="long").note


def test_parameter_names_and_summary(fit):
    assert list(fit.params.index) == ["x1", "x2", "W_x1", "W_x2", "tau", "eta", "rho"]
    assert fit.t == T0 - 1 and fit.times[0] == 2001
    text = fit.summary()
    assert "Dynamic" in text and "y(t−1), W·y(t−1)" in text
    only_y = SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=W, model="sar", fe="twoways",
                          dynamic="y").fit()
    assert list(only_y.params.index) == ["x1", "x2", "tau", "rho"] and only_y.eta == 0.0


# ------------------------------------------------------------------ bad input
def test_too_few_periods():
    with pytest.raises(DataError, match="at least 3 periods"):
        SpatialPanel(DF[DF.year < 2002], "y ~ x1 + x2", id="id", time="year", w=W, dynamic="both")


@pytest.mark.parametrize("label", [lambda y: f"y{y - 1995}", lambda y: str(y - 1995)])  # y5..y12; '5'..'12'
def test_text_periods_out_of_time_order_are_refused(label):
    """Text periods sort alphabetically ('y10' < 'y9', '10' < '5'): y_t-1 would silently be another
    period's y."""
    text = DF.assign(year=DF.year.map(label))
    with pytest.raises(DataError, match=r"needs periods in time order, but the time column holds text"):
        SpatialPanel(text, "y ~ x1 + x2", id="id", time="year", w=W, dynamic="both")


@pytest.mark.parametrize("label", [
    lambda y: str(y),                                       # years as text
    lambda y: f"{y}-12-31",                                 # ISO dates as text (the command line's dates)
    lambda y: pd.Timestamp(f"{y}-07-01"),                   # dates, across the leap years 2000 and 2004
])
def test_periods_in_time_order_fit_as_the_numeric_years(label):
    """The same periods written as text in time order or as dates give the numeric years' estimates
    (the same arithmetic on the same order).  Dates used to be refused on pandas 2 as having gaps
    (their nanoseconds compared: 366-day leap years against 365)."""
    other = DF.assign(year=DF.year.map(label))
    a = SpatialPanel(other, "y ~ x1 + x2", id="id", time="year", w=W, model="sar", fe="twoways", dynamic="y").fit()
    b = SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=W, model="sar", fe="twoways", dynamic="y").fit()
    np.testing.assert_array_equal(a.params.to_numpy(), b.params.to_numpy())


@pytest.mark.parametrize("label", [lambda y: f"{y}-12-31", lambda y: pd.Timestamp(f"{y}-01-01")])
def test_gap_between_dates_is_named(label):
    gap = DF[DF.year != 2004].assign(year=lambda d: d.year.map(label))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the dates (not the text) are also warned about as unequally spaced
        with pytest.raises(DataError, match=r"y_t-1 is undefined for period\(s\) 2005-\d\d-\d\d \(previous period "
                                            r"2003-\d\d-\d\d\)"):
            SpatialPanel(gap, "y ~ x1 + x2", id="id", time="year", w=W, dynamic="both")


def test_gap_in_periods_names_the_period():
    gap = DF[DF.year != 2004]
    with pytest.warns(UserWarning):
        with pytest.raises(DataError, match=r"2005 \(previous period 2003\)"):
            SpatialPanel(gap, "y ~ x1 + x2", id="id", time="year", w=W, dynamic="both")


def test_unsupported_models():
    with pytest.raises(InputError, match="dynamic SEM is not available"):
        SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=W, model="sem", dynamic="y")
    with pytest.raises(InputError, match="dynamic must be one of"):
        SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=W, dynamic="yes")


def test_unstable_estimate_is_an_error_with_the_figures():
    explosive = _panel(tau=1.05, eta=0.2, rho=0.1, t0=12, seed=2)
    with pytest.raises(EstimationError, match=r"outside the stability region: tau = .*>= 1 at the eigenvalue"):
        SpatialPanel(explosive, "y ~ x1 + x2", id="id", time="year", w=W, model="sdm", fe="individual",
                     dynamic="both").fit(lee_yu="none")


def test_time_varying_w_errors_name_the_period():
    wmap = {2000 + t: W for t in range(T0)}
    del wmap[2003]
    with pytest.raises(WeightsError, match="no matrix for period.*2003"):
        SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=wmap, dynamic="both")
    other = SpatialWeights(W.sparse, [f"v{i:02d}" for i in range(N)], "R")
    wmap = {2000 + t: (other if t == 5 else W) for t in range(T0)}
    with pytest.raises(WeightsError, match="weights of period 2005.*other units"):
        SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=wmap, dynamic="both")


def test_regression_table_labels_and_columns(fit):
    """A static and a dynamic SDM side by side: tau / eta rows labelled y(t−1), W·y(t−1), empty
    for the static column; the short- and long-run effects as two effects columns."""
    from spillmap.tables import regression_table, tidy

    static = SpatialPanel(DF, "y ~ x1 + x2", id="id", time="year", w=W, model="sdm").fit()
    t = regression_table({"static": static, "dynamic": fit}, effects=[static.impacts(draws=0), fit.impacts(draws=0)])
    rows = t.rows
    assert rows.loc["tau", "label"] == "y(t−1)" and rows.loc["eta", "label"] == "W·y(t−1)"
    assert np.isnan(t.body.loc["tau", "static"]) and t.body.loc["tau", "dynamic"] == pytest.approx(fit.tau)
    assert t.columns.loc["dynamic", "model"] == "Dynamic SDM"
    assert set(tidy(fit).query("kind == 'spatial'").term) == {"tau", "eta", "rho"}
    both = fit.effects_both(draws=0)
    horizons = regression_table({"short run": both["short"], "long run": both["long"]}, blocks=("effects",))
    assert horizons.body.loc["total:x1", "long run"] == pytest.approx(both["long"].total.loc["x1", "estimate"])


def test_heavy_tailed_long_run_draws_are_flagged_on_cigar():
    """The Cigar two-way dynamic SDM sits near its stability edge (margin 0.92: long-run multiplier
    1 / (1 - tau - rho - eta) of about 12): its long-run spillover draws are heavy-tailed (their sd
    8 times their interquartile scale for logy), which one EstimationWarning names, pointing at the
    caller's line; the short-run draws are near-normal and not named (benchmarks/README.md, the
    Monte Carlo in a persistent panel, for why the percentile interval is the one to read)."""
    from spillmap import datasets
    from spillmap.errors import EstimationWarning

    c = datasets.cigar()
    c = c.assign(logc=np.log(c.sales), logp=np.log(c.price / c.cpi), logy=np.log(c.ndi / c.cpi))
    res = SpatialPanel(c, y="logc", x=["logp", "logy"], id="state", time="year", w=datasets.cigar_w().row_standardize(),
                       model="sdm", fe="twoways", dynamic="both").fit()
    with pytest.warns(EstimationWarning, match="heavy-tailed") as rec:
        both = res.effects_both(draws=1000, seed=0)
    # kept with the results too, each horizon its own: printed under summary()
    assert both["short"].warnings == () and "long-run total logy" in both["long"].warnings[0]
    assert "Warning: dynamic SDM effects" in both["long"].summary()
    text = "; ".join(str(r.message) for r in rec if issubclass(r.category, EstimationWarning))
    assert "long-run total logy" in text and "short-run" not in text and "(W cigar_w" in text
    assert rec[0].filename == __file__  # the user's line, not spillmap's
