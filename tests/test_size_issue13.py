"""Monte Carlo size at 5 % of the issue-13 tests that have no size check elsewhere (slow).

Each rejection rate must fall in 3-7 %; with R replications the binomial SE at 5 % is
sqrt(0.05 * 0.95 / R) (0.49 % at R = 2000), so the band is about +-4 SE there.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap.estimation.within import within_table
from spillmap.spatial.lm import lm_tests

pytestmark = pytest.mark.slow


def test_lm_sarma_size_within(us48_queen):
    """Unit effects only, T = 20.  (With time effects the LM-error family is biased: e'W e has mean
    tr(MW) = -(T-1) for a row-standardised W, which the formula ignores; measured at N = 48, T = 20,
    two-way effects: LM-error 15 %, LM-SARMA 12 %.  At T = 6 with unit effects: 6-8 %.  See the
    "Size" note of lm_tests; moran_residuals uses the exact moments instead.)"""
    rng = np.random.default_rng(21)
    n, t, reps = us48_queen.n, 20, 1500
    x = rng.normal(size=(n * t, 2))
    rej = 0
    for _ in range(reps):
        y = x @ [1.0, -1.0] + np.tile(rng.normal(size=n), t) + rng.normal(size=n * t)
        rej += lm_tests(y, x, us48_queen, t=t, fe="individual").lm_sarma.pvalue < 0.05
    # 1500 replications: binomial SE 0.56 %
    assert 0.03 <= rej / reps <= 0.07, rej / reps


def test_lm_sarma_size_pooled(us48_queen):
    rng = np.random.default_rng(22)
    n, t, reps = us48_queen.n, 6, 2000
    x = rng.normal(size=(n * t, 2))
    rej = sum(lm_tests(x @ [1.0, -1.0] + rng.normal(size=n * t), x, us48_queen, t=t).lm_sarma.pvalue < 0.05
              for _ in range(reps))
    assert 0.03 <= rej / reps <= 0.07, rej / reps


def test_lr_effects_size():
    rng = np.random.default_rng(23)
    n, t, reps = 30, 10, 2000
    x = rng.normal(size=(n * t, 2))
    ids, times = np.tile(np.arange(n), t), np.repeat(np.arange(t), n)
    rej = np.zeros(4)
    for _ in range(reps):
        df = pd.DataFrame({"i": ids, "t": times, "y": x @ [1.0, 0.5] + rng.normal(size=n * t),
                           "x1": x[:, 0], "x2": x[:, 1]})
        tab = within_table(df, id="i", time="t", y="y", x=["x1", "x2"])
        rej += [tab.f_unit.pvalue < 0.05, tab.f_time.pvalue < 0.05, tab.lr_unit.pvalue < 0.05,
                tab.lr_time.pvalue < 0.05]
    rates = rej / reps
    # the exact F forms are sized
    assert np.all((rates[:2] >= 0.03) & (rates[:2] <= 0.07)), rates
    # the asymptotic LR forms over-reject here (29 and 9 restrictions on NT = 300: measured 10.2 % and
    # 10.0 % with this seed); recorded, not hidden
    assert np.all(rates[2:] > 0.07), rates
