"""Pooled Moran's I of period-demeaned values (``moran_pooled(..., demean="period")``).

With the pooled mean a trend common to the units adds to I (the demo's pooled I exceeded every
yearly one; paper audit 2026-12-01).  References, each independent of spillmap's code:

* I, E[I] and the normal-theory variance: spreg's ``MoranRes`` (Cliff-Ord moments of regression
  residuals) of the OLS of y on period dummies, with the explicit libpysal block-diagonal W of
  the NT observations;
* the variance under randomisation within periods: esda's ``Moran`` of each period (its
  ``VI_rand`` with that period's kurtosis) combined as sum_t a_t^2 VI_rand_t, a_t = z_t'z_t / z'z;
* the pseudo p-value: a brute-force within-period permutation test (NumPy's legacy stream, so
  independent of spillmap's), agreeing within the binomial Monte Carlo error.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from spillmap.errors import DataError, InputError
from spillmap.spatial._permutation import agree_within_mc
from spillmap.spatial.autocorrelation import moran_pooled
from spillmap.spatial.weights import SpatialWeights

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared specs sit next to this file
from _specs import US_INPUTS, W1_TABLES_ONLY  # noqa: E402

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")
spreg = pytest.importorskip("spreg")


@pytest.fixture(scope="module")
def case(produc, us48):
    wq = libpysal.weights.Queen.from_dataframe(us48, ids=us48["STATE_ABBR"].tolist(), use_index=False,
                                               silence_warnings=True)
    w = SpatialWeights.from_libpysal(wq, name="us48 queen").row_standardize()
    df = produc.copy()
    df["lgsp"] = np.log(df["gsp"])  # grows over the years in every state: a common trend
    years = sorted(df.year.unique())
    ids = list(w.ids)
    y = df.set_index(["year", "state_abbr"])["lgsp"]
    yt = np.array([[y.loc[(yr, i)] for i in ids] for yr in years])  # (T, N)
    return df, w, yt, years


def _block_w(w: SpatialWeights, t: int):
    """libpysal W over (period, unit) labels, neighbours only within the period."""
    wl = w.to_libpysal()
    wl.transform = "r"
    neigh, wts, order = {}, {}, []
    for k in range(t):
        for i in wl.id_order:
            neigh[(k, i)] = [(k, j) for j in wl.neighbors[i]]
            wts[(k, i)] = list(wl.weights[i])
            order.append((k, i))
    return libpysal.weights.W(neigh, wts, id_order=order, silence_warnings=True)


def test_statistic_and_normal_moments_equal_spreg_moran_of_residuals_on_period_dummies(case):
    df, w, yt, years = case
    t, n = yt.shape
    r = moran_pooled(df, id="state_abbr", time="year", var="lgsp", w=w, permutations=0, demean="period")
    big = _block_w(w, t)
    dummies = np.kron(np.eye(t), np.ones((n, 1)))[:, 1:]  # T - 1 period dummies (spreg adds the constant)
    ols = spreg.OLS(yt.reshape(-1, 1), dummies)
    mr = spreg.diagnostics_sp.MoranRes(ols, big, z=True)
    # the same closed forms on 816 observations (rounding ~ n eps ~ 1e-13 relative)
    assert r.I == pytest.approx(mr.I, rel=1e-10)
    assert r.EI == pytest.approx(mr.eI, rel=1e-10) and r.EI == pytest.approx(-1 / (n - 1), rel=1e-12)
    assert r.var_norm == pytest.approx(mr.vI, rel=1e-10)
    assert r.z_norm == pytest.approx(mr.zI, rel=1e-9)  # z = (I - E) / sqrt(V): the differences lose ~2 digits
    # the pooled mean gives a larger I here: lgsp's common growth adds to it
    pooled = moran_pooled(df, id="state_abbr", time="year", var="lgsp", w=w, permutations=0)
    assert pooled.I > r.I


def test_randomisation_variance_combines_esdas_per_period_variances(case):
    df, w, yt, years = case
    r = moran_pooled(df, id="state_abbr", time="year", var="lgsp", w=w, permutations=0, demean="period")
    wl = w.to_libpysal()
    wl.transform = "r"
    z = yt - yt.mean(axis=1, keepdims=True)
    a = (z**2).sum(axis=1) / (z**2).sum()
    per = [esda.Moran(row, wl, transformation="r", permutations=0) for row in yt]
    # each esda I_t, weighted by a_t, sums to the pooled I (an identity of the definition)
    assert r.I == pytest.approx(sum(ak * m.I for ak, m in zip(a, per)), rel=1e-10)
    assert r.var_rand == pytest.approx(sum(ak**2 * m.VI_rand for ak, m in zip(a, per)), rel=1e-10)


def test_pseudo_p_value_agrees_with_brute_force_within_period_permutations(case):
    """One period 20 times as variable as the others, with mild spatial dependence: shuffling all NT
    values (the pooled-mean rule) gives p = 0.02 here, shuffling within periods p = 0.21; the
    brute-force test must agree with the latter."""
    df, w, yt, years = case
    perms = 999
    ids = list(w.ids)
    W = w.sparse.toarray()
    e = np.random.default_rng(1).normal(size=yt.shape)
    e[5] = 20 * (e[5] + 0.4 * W @ e[5])
    cell = {(yr, i): e[k, j] for k, yr in enumerate(years) for j, i in enumerate(ids)}
    d = df.assign(x=[cell[(yr, s)] for yr, s in zip(df.year, df.state_abbr)])
    r = moran_pooled(d, id="state_abbr", time="year", var="x", w=w, permutations=perms, seed=4, demean="period")
    zt = e - e.mean(axis=1, keepdims=True)

    def stat(m):
        return sum(row @ W @ row for row in m)

    obs = stat(zt)
    rs = np.random.RandomState(11)  # NumPy's legacy stream: independent of spillmap's PCG64 streams
    sims = np.array([stat(np.array([rs.permutation(row) for row in zt])) for _ in range(perms)])
    larger = int((sims >= obs).sum())
    larger = min(larger, perms - larger)
    p_brute = (larger + 1) / (perms + 1)
    assert 0.1 < p_brute < 0.4, p_brute  # the case is the one described above
    assert agree_within_mc(r.p_perm, p_brute, perms)  # two independent streams: 5 binomial SEs
    # the same seed gives the same p-value whatever the threads
    again = moran_pooled(d, id="state_abbr", time="year", var="x", w=w, permutations=perms, seed=4,
                         demean="period", threads=2)
    assert again.p_perm == r.p_perm


def test_period_demeaning_removes_a_common_shift_and_the_pooled_mean_does_not(case):
    df, w, yt, years = case
    shifted = df.copy()
    shifted["x"] = shifted["unemp"] + 5.0 * (shifted["year"] - shifted["year"].min())
    a = moran_pooled(df, id="state_abbr", time="year", var="unemp", w=w, permutations=0, demean="period")
    b = moran_pooled(shifted, id="state_abbr", time="year", var="x", w=w, permutations=0, demean="period")
    c = moran_pooled(shifted, id="state_abbr", time="year", var="x", w=w, permutations=0)
    # a per-period constant is removed exactly (up to the rounding of the means, ~1e-15 of the values)
    assert b.I == pytest.approx(a.I, rel=1e-9) and b.var_rand == pytest.approx(a.var_rand, rel=1e-9)
    assert c.I > 0.9 > a.I  # the shift dominates the pooled-mean I


def test_bad_demean_and_constant_periods_are_refused(case):
    df, w, yt, years = case
    with pytest.raises(InputError, match="demean must be 'pooled' or 'period', got 'year'"):
        moran_pooled(df, id="state_abbr", time="year", var="unemp", w=w, demean="year")
    flat = df.copy()
    flat.loc[flat.year == years[3], "unemp"] = 4.0
    with pytest.raises(DataError, match=rf"'unemp' is constant within period\(s\) {years[3]}"):
        moran_pooled(flat, id="state_abbr", time="year", var="unemp", w=w, demean="period")
    assert np.isfinite(moran_pooled(flat, id="state_abbr", time="year", var="unemp", w=w, permutations=0).I)


def test_study_option_reaches_the_diagnostics_and_the_by_year_table(case):
    """[diagnostics] moran_demean = "period": the diagnostics table's Moran's I and the by-year table's
    pooled row are the period-demeaned statistic, and both notes say how the values were centred."""
    import tomllib

    from spillmap.maps._report_tables import build_tables
    from spillmap.study import Study, run

    df, w, yt, years = case
    text = 'unit_label = "state"\n' + US_INPUTS + """
[model]
y = "log(gsp)"
x = ["log(pcap)", "unemp"]
fe = "twoways"
draws = 0
[diagnostics]
tests = ["lm"]
moran_demean = "period"
[tables]
include = ["moran_by_year", "diagnostics"]
""" + W1_TABLES_ONLY
    r = run(Study.from_dict(tomllib.loads(text), source="s.toml"))
    want = moran_pooled(df.assign(lg=np.log(df["gsp"])), id="state_abbr", time="year", var="lg", w=w,
                        permutations=0, demean="period")
    # the study builds its own queen W of the same layer: the same matrix, summed in another order
    assert r.diagnostics["W1"]["moran"]["I"] == pytest.approx(want.I, rel=1e-12)
    assert r.moran_by_year["W1"]["log(gsp)"]["pooled"]["I"] == pytest.approx(want.I, rel=1e-12)
    notes = {t.stem: " ".join(t.table.all_notes()) for t in build_tables(r)}
    for stem in ("moran_by_year", "diagnostics"):
        assert "less their own mean, so a trend common to the units drops out" in notes[stem], stem
        assert "adds to it" not in notes[stem], stem
