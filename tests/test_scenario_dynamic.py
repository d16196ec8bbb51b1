"""Scenarios on dynamic fits (``horizon=``) and on fits with one W per period.

References: a dense forward simulation of ``Δy_h = A Δy_h-1 + S^-1 b`` (``np.linalg.inv``), the
long-run effects of :func:`dynamic_effects` (verified against a dense oracle in
test_dynamic_effects.py).  Tolerances: 1e-10 for exact closed forms (rounding of N x N products);
the simulated and delta intervals within 15 % (Monte-Carlo error of 1,000 draws plus the
linearisation).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spillmap.errors import InputError
from spillmap.estimation import SpatialPanel, scenario
from spillmap.spatial.weights import SpatialWeights

N, T0 = 25, 8
IDS = [f"u{i:02d}" for i in range(N)]


def _ring(shift=(1, 2)):
    r, c = [], []
    for i in range(N):
        for j in shift:
            r += [i, i]
            c += [(i + j) % N, (i - j) % N]
    return SpatialWeights(sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(N, N)), IDS).row_standardize()


W = _ring()


def _panel(seed=0):
    rng = np.random.default_rng(seed)
    wd = W.toarray()
    y, mu = rng.normal(size=N), rng.normal(size=N)
    rows = []
    for t in range(T0):
        x = rng.normal(size=(N, 2))
        rhs = 0.4 * y - 0.1 * wd @ y + x @ [1.0, -0.5] + wd @ x @ [0.3, 0.2] + mu + rng.normal() + rng.normal(size=N)
        y = np.linalg.solve(np.eye(N) - 0.3 * wd, rhs)
        rows.append(pd.DataFrame({"id": IDS, "year": 2000 + t, "x1": x[:, 0], "x2": x[:, 1], "y": y}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def fit():
    return SpatialPanel(_panel(), "y ~ x1 + x2", id="id", time="year", w=W, model="sdm", fe="twoways",
                        dynamic="both").fit()


def _dense(fit):
    p = fit.params
    wd = W.toarray()
    s_inv = np.linalg.inv(np.eye(N) - p["rho"] * wd)
    return p, wd, s_inv, s_inv @ (p["tau"] * np.eye(N) + p["eta"] * wd)


def test_path_equals_dense_forward_simulation(fit):
    units = IDS[:3]
    r = scenario(fit, "x1", units, change=0.5, horizon=6, draws=200)
    p, wd, s_inv, a = _dense(fit)
    dx = np.where(np.isin(IDS, units), 0.5, 0.0)
    first = s_inv @ (p["x1"] * dx + p["W_x1"] * wd @ dx)
    level, path = first.copy(), [first.copy()]
    for _ in range(6):
        level = a @ level + first
        path.append(level.copy())
    mine = np.array([r.extra["path"]["units"][i] for i in IDS])
    np.testing.assert_allclose(mine, np.array(path).T, atol=1e-10)
    region = r.extra["path"]["groups"]["all: all units"]
    np.testing.assert_allclose(region["total"], np.array(path).sum(axis=1), atol=1e-10)
    assert all(lo <= t <= hi for lo, t, hi in zip(region["ci_lower"], region["total"], region["ci_upper"]))


def test_long_run_limit_and_effects(fit):
    with pytest.warns(UserWarning, match="extrapolation"):
        r = scenario(fit, "x2", "all", change=1.0, horizon=300, method="delta", draws=200)
    lr = fit.effects_both(draws=0)["long"]
    assert r.region["total"] / N == pytest.approx(lr.total.loc["x2", "estimate"], abs=1e-10)
    assert r.region["own"] / N == pytest.approx(lr.direct.loc["x2", "estimate"], abs=1e-10)
    last = r.extra["path"]["groups"]["all: all units"]["total"][-1]
    assert last == pytest.approx(r.region["total"], abs=1e-9)  # 300 steps: the tail is below 0.5^300
    assert "long run" in r.notes[0] and r.horizon == 300


def test_short_run_is_the_static_answer(fit):
    r = scenario(fit, "x1", IDS[:5], change=1.0, method="delta")
    p, wd, s_inv, _ = _dense(fit)
    dx = np.where(np.isin(IDS, IDS[:5]), 1.0, 0.0)
    np.testing.assert_allclose(r.units["total"], s_inv @ (p["x1"] * dx + p["W_x1"] * wd @ dx), atol=1e-12)
    assert "short run" in r.notes[0] and r.horizon is None


def test_delta_intervals_equal_the_effects_delta_method(fit):
    """A change of 0.01 everywhere: the region's mean change is 0.01 x the total effect, so its delta-method
    se is the total effect's (two implementations of the same gradient; 1e-10)."""
    eff = fit.effects_both(draws=0)
    for horizon, key in ((None, "short"), (5, "long")):
        r = scenario(fit, "x1", "all", change=0.01, horizon=horizon, method="delta", draws=200)
        assert r.region["se"] / (0.01 * N) == pytest.approx(eff[key].total.loc["x1", "se"], abs=1e-10)


def test_simulated_and_delta_intervals_agree_in_the_short_run(fit):
    a = scenario(fit, "x1", IDS[:5], change=1.0, method="simulation", draws=1000, seed=2)
    b = scenario(fit, "x1", IDS[:5], change=1.0, method="delta")
    assert a.groups["se"].to_numpy() == pytest.approx(b.groups["se"].to_numpy(), rel=0.15)


def test_static_model_refuses_a_horizon():
    static = SpatialPanel(_panel(), "y ~ x1 + x2", id="id", time="year", w=W, model="sdm").fit()
    with pytest.raises(InputError, match="needs a dynamic model"):
        scenario(static, "x1", "all", change=1.0, horizon=3)


def test_one_w_per_period_uses_the_scenario_period():
    other = _ring(shift=(1, 3))
    wmap = {2000 + t: (other if t == T0 - 1 else W) for t in range(T0)}
    res = SpatialPanel(_panel(), "y ~ x1 + x2", id="id", time="year", w=wmap, model="sdm", fe="twoways").fit()
    p = res.params
    last = scenario(res, "x1", IDS[:1], change=1.0, method="delta")
    early = scenario(res, "x1", IDS[:1], change=1.0, method="delta", period=2003)
    for r, w in ((last, other), (early, W)):
        wd = w.toarray()
        dx = np.zeros(N)
        dx[0] = 1.0
        expect = np.linalg.solve(np.eye(N) - p["rho"] * wd, p["x1"] * dx + p["W_x1"] * wd @ dx)
        np.testing.assert_allclose(r.units["total"], expect, atol=1e-12)


def test_parameter_draws_are_the_effects_draws(fit):
    """parameter_draws of a dynamic fit: the long-run total effect recomputed from them has the mean
    that the simulated effects report as sim_mean (same draws: equal to rounding)."""
    from spillmap.estimation.effects import parameter_draws

    table = parameter_draws(fit, draws=300, seed=5)
    assert {"tau", "eta", "rho", "x1", "W_x1"} <= set(table.columns)
    c = 1 / (1 - table["tau"])
    total = (table["x1"] + table["W_x1"]) * c / (1 - (table["rho"] + table["eta"]) * c)  # row sums 1
    eff = fit.effects_both(draws=300, seed=5)["long"]
    assert total.mean() == pytest.approx(eff.total.loc["x1", "sim_mean"], rel=1e-12)
