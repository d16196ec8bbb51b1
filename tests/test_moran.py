"""Moran's I, Geary's C and local Moran (spillmap.spatial.autocorrelation).

References: a dense transcription of the Cliff-Ord formulas (oracle written here),
esda 2.9 run directly on libpysal weights, and libpysal's Columbus example
(shipped inside the libpysal wheel, read offline).
"""
from __future__ import annotations

from contextlib import closing

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from spillmap.errors import DataError, InputError, WeightsError
from spillmap.spatial._permutation import agree_within_mc
from spillmap.spatial.autocorrelation import (
    MoranResult,
    geary,
    local_moran,
    moran,
    moran_by_period,
    moran_pooled,
)
from spillmap.spatial.weights import SpatialWeights

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def columbus():
    import geopandas as gpd

    df = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    ids = df["POLYID"].astype(str).tolist()
    wq = libpysal.weights.Queen.from_dataframe(df, ids=ids, use_index=False, silence_warnings=True)
    return df, wq


@pytest.fixture(scope="module")
def wcol(columbus):
    return SpatialWeights.from_libpysal(columbus[1]).row_standardize()


@pytest.fixture(scope="module")
def us_queen(us48):
    wq = libpysal.weights.Queen.from_dataframe(
        us48, ids=us48["STATE_ABBR"].tolist(), use_index=False, silence_warnings=True
    )
    return SpatialWeights.from_libpysal(wq, name="us48 queen").row_standardize()


@pytest.fixture(scope="module")
def produc_panel(produc):
    df = produc.copy()
    df["lgsp"] = np.log(df["gsp"])
    return df


# ----------------------------------------------------------------------------- oracles
def dense_moran(y, W):
    """Cliff & Ord (1981) eqs. 1.35-1.36, transcribed densely."""
    n = len(y)
    z = y - y.mean()
    s0 = W.sum()
    s1 = 0.5 * ((W + W.T) ** 2).sum()
    s2 = ((W.sum(0) + W.sum(1)) ** 2).sum()
    i = n / s0 * z @ W @ z / (z @ z)
    ei = -1.0 / (n - 1)
    vn = (n * n * s1 - n * s2 + 3 * s0**2) / ((n * n - 1) * s0**2) - ei**2
    b2 = n * np.sum(z**4) / np.sum(z**2) ** 2
    vr = (
        n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0**2) - b2 * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0**2)
    ) / ((n - 1) * (n - 2) * (n - 3) * s0**2) - ei**2
    return i, ei, vn, vr


def dense_geary(y, W):
    n = len(y)
    z = y - y.mean()
    d = (y[:, None] - y[None, :]) ** 2
    return (n - 1) * np.sum(W * d) / (2 * W.sum() * np.sum(z**2))


def assert_mc_agree(ours, ref, permutations):
    """Independent random streams (spillmap's own, esda's NumPy global one): the two
    pseudo p-values are independent binomial estimates of the same tail probability
    and must agree within 5 standard errors of their difference plus one count
    (``agree_within_mc``; the seeds are fixed on both sides, so this is deterministic).
    """
    ok = agree_within_mc(ours, ref, permutations)
    assert np.all(ok), (np.asarray(ours)[~ok], np.asarray(ref)[~ok])


# ----------------------------------------------------------------------------- Moran
def test_moran_matches_dense_formula_and_esda(columbus, wcol):
    df, wq = columbus
    y = df["CRIME"].to_numpy(dtype=float)
    r = moran(y, wcol, permutations=9999, seed=3)
    i, ei, vn, vr = dense_moran(y, wcol.toarray())
    # two exact forms of I (Columbus CRIME: I ~ 0.5, no cancellation in z'Wz): rounding ~n eps = 1e-14;
    # the variances' polynomial in S0, S1, S2, b2 and z, p (p error ~ z^2 x that of z) -> 1e-10
    assert r.I == pytest.approx(i, rel=1e-12)
    assert r.EI == pytest.approx(ei, rel=1e-14)
    assert r.var_norm == pytest.approx(vn, rel=1e-10)
    assert r.var_rand == pytest.approx(vr, rel=1e-10)
    assert r.z_rand == pytest.approx((i - ei) / np.sqrt(vr), rel=1e-10)
    assert r.p_rand == pytest.approx(2 * stats.norm.sf(abs((i - ei) / np.sqrt(vr))), rel=1e-10)
    assert r.p_norm == pytest.approx(2 * stats.norm.sf(abs((i - ei) / np.sqrt(vn))), rel=1e-10)
    # esda run directly on libpysal's own row-standardised queen W
    np.random.seed(3)
    wq.transform = "r"
    m = esda.Moran(y, wq, permutations=9999)
    for ours, ref in [(r.I, m.I), (r.var_norm, m.VI_norm), (r.var_rand, m.VI_rand), (r.z_rand, m.z_rand),
                      (r.z_norm, m.z_norm), (r.p_rand, m.p_rand), (r.p_norm, m.p_norm)]:
        assert ours == pytest.approx(ref, rel=1e-10)  # the same closed forms in esda, as above
    assert_mc_agree(r.p_perm, m.p_sim, 9999)  # independent streams: within the Monte Carlo error
    d = r.to_dict()
    assert set(d) == {"I", "EI", "z", "p", "p_perm"}
    assert d["z"] == r.z_rand and d["p"] == r.p_rand
    assert "Moran" in repr(r) and "<table>" in r._repr_html_()
    # the pseudo p-value is esda's folded one-sided one: said next to the two-sided p (reader audit)
    assert "pseudo-p=" in repr(r) and "one-sided, folded" in repr(r) and "one-sided, folded" in r._repr_html_()


def _gal_example(gal, table, column):
    with closing(libpysal.io.open(libpysal.examples.get_path(gal))) as f:
        w = f.read()
    with closing(libpysal.io.open(libpysal.examples.get_path(table))) as f:
        y = np.array(f.by_col(column), dtype=float)
    return y, SpatialWeights.from_libpysal(w).row_standardize()


def test_moran_documented_reference_values():
    # St Louis homicides HR8893, stl.gal row-standardised: esda 2.9 ``Moran`` docstring example
    # (round(I, 3) == 0.244, EI == -0.012987012987012988, two-tailed p_norm == 0.00027147862770937614)
    y, w = _gal_example("stl.gal", "stl_hom.txt", "HR8893")
    r = moran(y, w, permutations=0)
    # I printed to 3 decimals: within half a unit of the 3rd (as round(I, 3) == 0.244); EI = -1/(n-1)
    # exactly; p printed in full by esda on another machine: z to ~1e-15, times z^2 (~13) in p -> 1e-8
    assert r.I == pytest.approx(0.244, abs=5e-4)
    assert r.EI == pytest.approx(-0.012987012987012988, rel=1e-14)
    assert r.p_norm == pytest.approx(0.00027147862770937614, rel=1e-8)
    # SIDS rate SIDR74, sids2.gal: esda 2.9 docstring "SIDS example replicating OpenGeoda"
    # (round(I, 3) == 0.248, two-tailed p_norm == 0.0001158330781489969)
    y, w = _gal_example("sids2.gal", "sids2.dbf", "SIDR74")
    r = moran(y, w, permutations=0)
    assert r.I == pytest.approx(0.248, abs=5e-4)  # printed to 3 decimals, as above
    assert r.p_norm == pytest.approx(0.0001158330781489969, rel=1e-8)


@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_moran_seed_reproducible_and_global_state_restored(wcol, columbus):
    y = columbus[0]["HOVAL"].to_numpy(dtype=float)
    np.random.seed(123)
    before = np.random.random(3)
    np.random.seed(123)
    a = moran(y, wcol, permutations=199, seed=7)
    after = np.random.random(3)
    np.testing.assert_array_equal(before, after)  # caller's stream untouched
    b = moran(y, wcol, permutations=199, seed=7)
    assert a == b
    c = moran(y, wcol, permutations=0)
    assert np.isnan(c.p_perm) and c.to_dict()["p_perm"] is None
    # the same for Geary and the local statistics
    np.random.seed(123)
    g1 = geary(y, wcol, permutations=99, seed=1)
    l1 = local_moran(y, wcol, permutations=99, seed=1)
    np.testing.assert_array_equal(before, np.random.random(3))
    assert geary(y, wcol, permutations=99, seed=1) == g1
    pd.testing.assert_frame_equal(local_moran(y, wcol, permutations=99, seed=1), l1)


def test_moran_series_is_aligned_by_id(columbus, wcol):
    y = pd.Series(columbus[0]["CRIME"].to_numpy(), index=list(wcol.ids))
    # the same data realigned: identical numbers (sums possibly in another order: a few ulp)
    assert moran(y.iloc[::-1], wcol, permutations=0).I == pytest.approx(moran(y, wcol, permutations=0).I, rel=1e-14)
    with pytest.raises(WeightsError, match="not in W"):
        moran(y.rename(index={"1": "999"}), wcol)


def test_geary_matches_dense_formula_and_esda(columbus, wcol):
    df, wq = columbus
    y = df["CRIME"].to_numpy(dtype=float)
    g = geary(y, wcol, permutations=9999, seed=5)
    # two exact forms of C (sums of non-negative squared differences: rounding ~n eps); z, variance
    # and p (p error ~ z^2 x that of z) -> 1e-10
    assert g.C == pytest.approx(dense_geary(y, wcol.toarray()), rel=1e-12)
    np.random.seed(5)
    wq.transform = "r"
    ref = esda.Geary(y, wq, permutations=9999)
    assert g.C == pytest.approx(ref.C, rel=1e-12)
    assert g.z_rand == pytest.approx(ref.z_rand, rel=1e-10)
    assert g.var_norm == pytest.approx(ref.VC_norm, rel=1e-10)
    assert g.p_rand == pytest.approx(2 * stats.norm.sf(abs(ref.z_rand)), rel=1e-10)
    assert_mc_agree(g.p_perm, ref.p_sim, 9999)  # independent streams: within the Monte Carlo error
    assert set(g.to_dict()) == {"C", "EC", "z", "p", "p_perm"}


# ----------------------------------------------------------------------------- LISA
@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_local_moran_matches_formula_and_esda(columbus, wcol):
    df, wq = columbus
    y = df["CRIME"].to_numpy(dtype=float)
    out = local_moran(y, wcol, permutations=9999, seed=11)
    W = wcol.toarray()
    z = (y - y.mean()) / y.std()
    ii = (len(y) - 1) * z * (W @ z) / (z @ z)
    # exact forms, a few products and sums of <= 10 terms: rounding ~1e-15 (atol for lags near 0)
    np.testing.assert_allclose(out["Ii"].to_numpy(), ii, rtol=1e-12)
    np.testing.assert_allclose(out["z"].to_numpy(), z, rtol=1e-12)
    np.testing.assert_allclose(out["lag"].to_numpy(), W @ z, rtol=1e-12, atol=1e-15)
    wq.transform = "r"
    ref = esda.Moran_Local(y, wq, permutations=9999, seed=11)
    np.testing.assert_allclose(out["Ii"].to_numpy(), ref.Is, rtol=1e-12)
    np.testing.assert_array_equal(out["quadrant"].cat.codes.to_numpy() + 1, ref.q)
    # independent streams: each unit's pseudo p within the Monte Carlo error (49 units,
    # 5 sigma each: a correct implementation fails with probability below 1e-4)
    assert_mc_agree(out["p_perm"].to_numpy(), ref.p_sim, 9999)
    exp_q = np.select([(z > 0) & (W @ z > 0), (z < 0) & (W @ z > 0), (z < 0) & (W @ z < 0), (z > 0) & (W @ z < 0)],
                      ["HH", "LH", "LL", "HL"], "?")
    np.testing.assert_array_equal(out["quadrant"].astype(str).to_numpy(), exp_q)
    sig = out["p_perm"].to_numpy() <= 0.05
    np.testing.assert_array_equal(out["significant"].to_numpy(), sig)
    np.testing.assert_array_equal(out["cluster"].astype(str).to_numpy(), np.where(sig, exp_q, "ns"))
    assert list(out.index) == list(wcol.ids)


def test_local_moran_fdr_is_benjamini_hochberg(columbus, wcol):
    y = columbus[0]["CRIME"].to_numpy(dtype=float)
    out = local_moran(y, wcol, permutations=999, seed=0, alpha=0.1, fdr=True)
    p = np.sort(out["p_perm"].to_numpy())
    n = p.size
    passing = np.flatnonzero(p <= np.arange(1, n + 1) * 0.1 / n)  # BH step-up, by hand
    n_bh = passing.max() + 1 if passing.size else 0
    assert int(out["significant"].sum()) == n_bh
    plain = local_moran(y, wcol, permutations=999, seed=0, alpha=0.1)
    assert out["significant"].sum() <= plain["significant"].sum()
    assert out.attrs["fdr"] is True and out.attrs["threshold"] <= 0.1


# ----------------------------------------------------------------------------- panels
def test_moran_by_period_equals_cross_sections(produc_panel, us_queen):
    res = moran_by_period(produc_panel, id="state_abbr", time="year", var="lgsp", w=us_queen, permutations=99)
    assert list(res) == list(range(1970, 1987))
    for year in (1970, 1986):
        cs = produc_panel[produc_panel.year == year].set_index("state_abbr")["lgsp"]
        ref = moran(cs.reindex(list(us_queen.ids)).to_numpy(), us_queen, permutations=99)
        assert res[year] == ref
        i, *_ = dense_moran(cs.reindex(list(us_queen.ids)).to_numpy(), us_queen.toarray())
        assert res[year].I == pytest.approx(i, rel=1e-12)  # exact forms, rounding ~n eps


def test_moran_pooled_equals_esda_on_explicit_block_diagonal(produc_panel, us_queen):
    r = moran_pooled(produc_panel, id="state_abbr", time="year", var="lgsp", w=us_queen, permutations=1999, seed=2)
    # independent construction: a libpysal W over (year, state) labels with neighbours
    # only within the same year, from the libpysal neighbour dict
    wl = us_queen.to_libpysal()
    years = sorted(produc_panel.year.unique())
    neigh, wts = {}, {}
    for yr in years:
        for i in wl.id_order:
            neigh[f"{yr}-{i}"] = [f"{yr}-{j}" for j in wl.neighbors[i]]
            wts[f"{yr}-{i}"] = list(wl.weights[i])
    order = [f"{yr}-{i}" for yr in years for i in wl.id_order]
    big = libpysal.weights.W(neigh, wts, id_order=order, silence_warnings=True)
    y = produc_panel.set_index(["year", "state_abbr"])["lgsp"]
    yv = np.array([y.loc[(yr, i)] for yr in years for i in wl.id_order])
    np.random.seed(2)
    m = esda.Moran(yv, big, transformation="o", permutations=1999)
    # the same closed forms over 816 units (rounding ~n eps ~ 1e-13 on I and the variances); EI is
    # -1/(n-1) in both; p ~ z^2 x the error of z -> 1e-10
    assert r.I == pytest.approx(m.I, rel=1e-12)
    assert r.EI == pytest.approx(m.EI, rel=1e-14)
    assert r.var_norm == pytest.approx(m.VI_norm, rel=1e-12)
    assert r.var_rand == pytest.approx(m.VI_rand, rel=1e-12)
    assert r.z_rand == pytest.approx(m.z_rand, rel=1e-12)
    assert r.z_norm == pytest.approx(m.z_norm, rel=1e-12)
    assert r.p_rand == pytest.approx(m.p_rand, rel=1e-10)
    assert r.p_norm == pytest.approx(m.p_norm, rel=1e-10)
    assert_mc_agree(r.p_perm, m.p_sim, 1999)  # independent streams: within the Monte Carlo error
    assert r.n == len(years) * 48
    # and the dense Cliff-Ord oracle on the explicit block-diagonal matrix
    from spillmap.spatial.autocorrelation import block_diagonal

    i, ei, vn, vr = dense_moran(yv, block_diagonal(us_queen, len(years)).toarray())
    assert (r.I, r.var_norm, r.var_rand) == pytest.approx((i, vn, vr), rel=1e-12)


# ----------------------------------------------------------------------------- bad input
def test_zero_variance_is_named(wcol, produc_panel, us_queen):
    with pytest.raises(DataError, match="'flat'.*zero variance"):
        moran(np.ones(wcol.n), wcol, name="flat")
    df = produc_panel.copy()
    df.loc[df.year == 1975, "lgsp"] = 3.0
    with pytest.raises(DataError, match=r"'lgsp' in period 1975 has zero variance"):
        moran_by_period(df, id="state_abbr", time="year", var="lgsp", w=us_queen, permutations=0)
    with pytest.raises(DataError, match="zero variance"):
        geary(np.full(wcol.n, 2.5), wcol)
    with pytest.raises(DataError, match="zero variance"):
        local_moran(np.full(wcol.n, 2.5), wcol)


def test_period_without_data_is_named(produc_panel, us_queen):
    df = produc_panel.copy()
    df.loc[df.year == 1980, "lgsp"] = np.nan
    with pytest.raises(DataError, match=r"'lgsp' has no data at all for period\(s\) 1980"):
        moran_by_period(df, id="state_abbr", time="year", var="lgsp", w=us_queen)
    with pytest.raises(DataError, match="1980"):
        moran_pooled(df, id="state_abbr", time="year", var="lgsp", w=us_queen)


def test_id_mismatch_lists_both_sides(produc_panel, us_queen):
    df = produc_panel.copy()
    df.loc[df.state_abbr == "TX", "state_abbr"] = "XX"
    with pytest.raises(WeightsError, match=r"not in W: 'XX'.*not in the data: 'TX'"):
        moran_by_period(df, id="state_abbr", time="year", var="lgsp", w=us_queen)


def test_missing_cells_values_columns_and_duplicates(produc_panel, us_queen):
    kw = dict(id="state_abbr", time="year", w=us_queen, permutations=0)
    df = produc_panel.drop(produc_panel.index[(produc_panel.state_abbr == "OH") & (produc_panel.year == 1972)])
    with pytest.raises(DataError, match=r"unbalanced.*\('OH', 1972\)"):
        moran_by_period(df, var="lgsp", **kw)
    df = produc_panel.copy()
    df.loc[(df.state_abbr == "OH") & (df.year == 1972), "lgsp"] = np.nan
    with pytest.raises(DataError, match=r"missing or infinite values at \(id, time\) \('OH', 1972\)"):
        moran_by_period(df, var="lgsp", **kw)
    with pytest.raises(DataError, match="no column.*'nope'"):
        moran_by_period(produc_panel, var="nope", **kw)
    df = pd.concat([produc_panel, produc_panel.iloc[[0]]])
    with pytest.raises(DataError, match=r"repeats.*\('AL', 1970\)"):
        moran_pooled(df, var="lgsp", **kw)


def test_bad_arguments(wcol):
    y = np.arange(wcol.n, dtype=float)
    with pytest.raises(InputError, match="permutations"):
        moran(y, wcol, permutations=-1)
    with pytest.raises(DataError, match="49 units"):
        moran(y[:-1], wcol)
    y2 = y.copy()
    y2[3] = np.nan
    with pytest.raises(DataError, match=r"ids '4'"):
        moran(y2, wcol)
    empty = SpatialWeights.from_sparse(np.zeros((wcol.n, wcol.n)), wcol.ids)
    with pytest.raises(WeightsError, match="no neighbour links"):
        moran(y, empty)
    with pytest.raises(InputError, match="alpha"):
        local_moran(y, wcol, alpha=1.5)


def test_result_is_frozen(wcol):
    r = moran(np.arange(wcol.n, dtype=float), wcol, permutations=0)
    assert isinstance(r, MoranResult)
    with pytest.raises(AttributeError):
        r.I = 0.0
