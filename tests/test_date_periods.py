"""Periods given as dates behave as the same periods given as numbers, on every supported pandas.

pandas 2 turns a datetime64[ns] array into integers of nanoseconds on ``.tolist()``/``.item()``;
the per-period statistics, the pooled Moran and one-W-per-period fits then matched no period of
the panel ("no data at all for period(s) 0, 31536000000000000, ..."). References: the same
computations on the numeric years (the order of the periods, hence the arithmetic, is the same,
so the results are equal to the last bit; the pseudo p-values use the same seeded draws).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap.estimation import SpatialPanel
from spillmap.spatial import moran_by_period, moran_pooled


@pytest.fixture(scope="module")
def panels(produc_logs):
    years = produc_logs[produc_logs.year <= 1975]
    return years, years.assign(year=pd.to_datetime(years.year.astype(str) + "-01-01"))


def test_moran_by_period_and_pooled(panels, us48_queen):
    num, dated = panels
    kw = dict(time="year", var="lgsp", w=us48_queen, permutations=19, seed=3)
    a, b = moran_by_period(num, "state_abbr", **kw), moran_by_period(dated, "state_abbr", **kw)
    assert [r.I for r in a.values()] == [r.I for r in b.values()]
    assert [r.p_perm for r in a.values()] == [r.p_perm for r in b.values()]
    assert list(b)[0] == pd.Timestamp("1970-01-01")
    pa, pb = moran_pooled(num, "state_abbr", **kw), moran_pooled(dated, "state_abbr", **kw)
    assert (pa.I, pa.p_perm) == (pb.I, pb.p_perm)


def test_one_w_per_period_keyed_by_dates(panels, us48_queen):
    num, dated = panels
    spec = dict(y="lgsp", x=["lpc", "lemp"], id="state_abbr", time="year", model="sar", fe="individual")
    a = SpatialPanel(num, w={t: us48_queen for t in num.year.unique()}, **spec).fit()
    b = SpatialPanel(dated, w={t: us48_queen for t in dated.year.unique()}, **spec).fit()
    np.testing.assert_array_equal(a.params.to_numpy(), b.params.to_numpy())
