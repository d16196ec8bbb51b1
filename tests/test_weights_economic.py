"""Economic-distance, economic-geographic product and nested weights on hand-worked examples."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from spillmap.errors import DataError, JoinError, WeightsError
from spillmap.spatial import builders as B
from spillmap.spatial.weights import SpatialWeights

R_KM = 6371.0088
U = R_KM * np.pi / 180  # km per degree of longitude on the equator


def _panel(values: dict[str, list[float]], years=(2008, 2009), extra_year=None):
    rows = []
    for t_i, t in enumerate(years):
        for u, v in values.items():
            rows.append({"code": u, "year": t, "y": v[t_i]})
    if extra_year is not None:  # a year outside the period, with wild values
        for u in values:
            rows.append({"code": u, "year": extra_year, "y": 1000.0})
    return pd.DataFrame(rows)


# Ybar (2008-2009): A = (0+2)/2 = 1, B = (1+3)/2 = 2, C = (4+4)/2 = 4, D = (6+10)/2 = 8
PANEL4 = _panel({"A": [0, 2], "B": [1, 3], "C": [4, 4], "D": [6, 10]}, extra_year=2015)


def test_economic_distance_hand_example():
    w = B.economic_distance(PANEL4, id="code", time="year", var="y", period=(2008, 2009), transform=None)
    # worked by hand: gaps AB 1, AC 3, AD 7, BC 2, BD 6, CD 4; w_ij = 1/gap
    raw = np.array(
        [
            [0, 1, 1 / 3, 1 / 7],
            [1, 0, 1 / 2, 1 / 6],
            [1 / 3, 1 / 2, 0, 1 / 4],
            [1 / 7, 1 / 6, 1 / 4, 0],
        ]
    )
    assert w.ids == ("A", "B", "C", "D")
    # closed forms of small integers: one or two roundings each (<= a few ulp = 1e-15 relative)
    np.testing.assert_allclose(w.toarray(), raw, rtol=1e-15)
    r = B.economic_distance(PANEL4, id="code", time="year", var="y", period=(2008, 2009))
    # row sums 31/21, 5/3, 13/12, 47/84 -> rows below
    hand = np.array(
        [
            [0, 21 / 31, 7 / 31, 3 / 31],
            [3 / 5, 0, 3 / 10, 1 / 10],
            [4 / 13, 6 / 13, 0, 3 / 13],
            [12 / 47, 14 / 47, 21 / 47, 0],
        ]
    )
    np.testing.assert_allclose(r.toarray(), hand, rtol=1e-14)  # + a row sum of 3 terms: ~10 ulp
    assert r.transform == "R" and r.is_symmetric is False


def test_economic_distance_ids_order_and_period_string():
    w = B.economic_distance(
        PANEL4, id="code", time="year", var="y", period=("2008", "2009"), ids=["D", "C", "B", "A"], transform=None
    )
    assert w.ids == ("D", "C", "B", "A")
    assert w.toarray()[0, 3] == pytest.approx(1 / 7, rel=1e-15)  # D-A gap 7


def test_economic_distance_ties_get_row_max():
    # Ybar: A 1, B 2, C 2, D 5 -> B and C tie
    p = _panel({"A": [1, 1], "B": [2, 2], "C": [1.5, 2.5], "D": [5, 5]})
    w = B.economic_distance(p, id="code", time="year", var="y", period=(2008, 2009))
    # by hand: row A [0,1,1,1/4]/(9/4); row B: A 1, D 1/3, tie C -> row max 1 -> [1,0,1,1/3]/(7/3)
    # row C symmetric to B; row D [1/4,1/3,1/3,0]/(11/12)
    hand = np.array(
        [
            [0, 4 / 9, 4 / 9, 1 / 9],
            [3 / 7, 0, 3 / 7, 1 / 7],
            [3 / 7, 3 / 7, 0, 1 / 7],
            [3 / 11, 4 / 11, 4 / 11, 0],
        ]
    )
    np.testing.assert_allclose(w.toarray(), hand, rtol=1e-14)  # small rationals: a few roundings


def test_economic_distance_all_tied_raises():
    p = _panel({"A": [1, 1], "B": [1, 1], "C": [1, 1]})
    with pytest.raises(WeightsError, match="undefined for units 'A', 'B', 'C'"):
        B.economic_distance(p, id="code", time="year", var="y", period=(2008, 2009))


def test_period_with_no_data_names_it():
    with pytest.raises(DataError, match="no data in the period 2030-2031 of column 'year'.*2008-2015"):
        B.economic_distance(PANEL4, id="code", time="year", var="y", period=(2030, 2031))


def test_panel_ids_mismatch_listed():
    with pytest.raises(JoinError, match=r"without 'y' data in the period: 'E'.*not among the weights' units: 'D'"):
        B.economic_distance(PANEL4, id="code", time="year", var="y", period=(2008, 2009), ids=["A", "B", "C", "E"])


def test_nan_and_non_numeric_and_missing_column():
    p = PANEL4.copy()
    p.loc[1, "y"] = np.nan
    with pytest.raises(DataError, match=r"missing values in \(id, time\) cells \('B', 2008\)"):
        B.economic_distance(p, id="code", time="year", var="y", period=(2008, 2009))
    p = PANEL4.astype({"y": object})
    p.loc[2, "y"] = "n/a"
    with pytest.raises(DataError, match="'y' is not numeric.*'n/a'"):
        B.economic_distance(p, id="code", time="year", var="y")
    with pytest.raises(DataError, match="no column.*'gdp'"):
        B.economic_distance(PANEL4, id="code", time="year", var="gdp")


@pytest.fixture()
def equator3():
    """Three small squares centred on the equator at lon 0, 1 and 3 (closed-form distances)."""
    import geopandas as gpd

    return gpd.GeoDataFrame(
        {"code": ["A", "B", "C"]},
        geometry=[box(x - 0.05, -0.05, x + 0.05, 0.05) for x in (0.0, 1.0, 3.0)],
        crs="EPSG:4326",
    )


# Ybar: A 1, B 2, C 3; mean 2
PANEL3 = _panel({"A": [1, 1], "B": [2, 2], "C": [3, 3]})


def test_economic_product_hand_example(equator3):
    raw = B.economic_product(equator3, PANEL3, id="code", time="year", var="y", period=(2008, 2009), transform=None)
    # distances on the equator: AB = U, BC = 2U, AC = 3U; w_ij = (1/d_ij) * Ybar_j / 2
    hand_raw = np.array(
        [
            [0, 1 / U * 2 / 2, 1 / (3 * U) * 3 / 2],
            [1 / U * 1 / 2, 0, 1 / (2 * U) * 3 / 2],
            [1 / (3 * U) * 1 / 2, 1 / (2 * U) * 2 / 2, 0],
        ]
    )
    # centroids come from an equal-area projection: the planar centroid of a projected 0.1-degree
    # square is its lon/lat centre only to ~1e-7 degree (curvature), on distances of 1-3 degrees:
    # ~3e-7 relative on the weights -> 1e-6
    np.testing.assert_allclose(raw.toarray(), hand_raw, rtol=1e-6)
    r = B.economic_product(equator3, PANEL3, id="code", time="year", var="y", period=(2008, 2009))
    np.testing.assert_allclose(r.toarray(), [[0, 2 / 3, 1 / 3], [2 / 5, 0, 3 / 5], [1 / 4, 3 / 4, 0]], rtol=1e-6)
    r2 = B.economic_product(equator3, PANEL3, id="code", time="year", var="y", period=(2008, 2009), alpha=2)
    # alpha 2, row A: [0, 1/U^2, (1/9U^2)(3/2)] -> [0, 6/7, 1/7]
    np.testing.assert_allclose(r2.toarray()[0], [0, 6 / 7, 1 / 7], rtol=1e-6)
    assert not r.is_symmetric
    other = equator3.rename(columns={"code": "unit"})
    assert B.economic_product(other, PANEL3, id="code", layer_id="unit", time="year", var="y").equals(r)
    lo, hi = r.rho_bounds
    assert hi == pytest.approx(1.0, abs=1e-12)  # row-standardised: lambda_max = 1, eigen-solver error ~eps


def test_economic_product_pure_function_exact():
    d = np.array([[0, 1, 3], [1, 0, 2], [3, 2, 0.0]])
    out = B._economic_product_dense(B._inverse_distance_dense(d, 1.0), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out[0], [0, 1.0, 0.5])  # (1/1)(2/2), (1/3)(3/2)


def test_economic_product_errors(equator3):
    bad = PANEL3[PANEL3["code"] != "C"]
    with pytest.raises(JoinError, match="without 'y' data in the period: 'C'"):
        B.economic_product(equator3, bad, id="code", time="year", var="y")
    neg = PANEL3.assign(y=lambda d: np.where(d["code"] == "B", -1.0, d["y"]))
    with pytest.raises(WeightsError, match="negative for units 'B'"):
        B.economic_product(equator3, neg, id="code", time="year", var="y")
    with pytest.raises(DataError, match="no data in the period 1990-1991"):
        B.economic_product(equator3, PANEL3, id="code", time="year", var="y", period=(1990, 1991))


def _w(m, ids):
    return SpatialWeights.from_dense(np.array(m, dtype=float), ids)


def test_nested_hand_example():
    w_d = _w([[0, 1, 0], [1, 0, 1], [0, 1, 0]], "ABC")  # R: [0,1,0] [.5,0,.5] [0,1,0]
    w_e = _w([[0, 1, 4], [3, 0, 2], [1, 1, 0]], "ABC")  # R: [0,.2,.8] [.6,0,.4] [.5,.5,0]
    out = B.nested(w_d, w_e, 0.25)
    # by hand: 0.25*R(W_d) + 0.75*R(W_e)
    hand = [[0, 0.4, 0.6], [0.575, 0, 0.425], [0.375, 0.625, 0]]
    # closed forms of small integers (a few roundings); realigned inputs: the same arithmetic (1e-15)
    np.testing.assert_allclose(out.toarray(), hand, rtol=1e-14)
    assert out.transform == "R" and out.ids == ("A", "B", "C")
    # W_e given in another order is aligned to W_d
    shuffled = w_e.align(["C", "A", "B"])
    assert B.nested(w_d, shuffled, 0.25).equals(out, rtol=1e-15)
    assert B.nested(w_d, w_e, 1.0).equals(w_d.row_standardize(), rtol=1e-15)
    assert B.nested(w_d, w_e, 0.0).equals(w_e.row_standardize(), rtol=1e-15)


@pytest.mark.parametrize("phi", [-0.1, 1.5, float("nan")])
def test_nested_phi_outside_unit_interval(phi):
    w = _w([[0, 1], [1, 0]], "AB")
    with pytest.raises(WeightsError, match=r"phi must be in \[0, 1\]"):
        B.nested(w, w, phi)


def test_nested_ids_must_match():
    w1 = _w([[0, 1], [1, 0]], "AB")
    w2 = _w([[0, 1], [1, 0]], "AC")
    with pytest.raises(WeightsError, match="only in the geographic one: 'B'; only in the economic one: 'C'"):
        B.nested(w1, w2, 0.5)


def test_economic_on_demo_panel_shapes():
    """The study's W2 pieces build on the real layer and the demo panel (297 units)."""
    from spillmap import datasets

    g = datasets.china_prefectures()
    g = g[g["level"].isin(["municipality", "prefecture_city"])]
    panel = datasets.demo_panel()
    we = B.economic_distance(panel, id="adcode", time="year", var="pgdp", period=(2008, 2019), ids=g["adcode"])
    wp = B.economic_product(g, panel, id="adcode", time="year", var="pgdp", period=(2008, 2019))
    assert we.n == wp.n == 297 and we.ids == wp.ids == tuple(g["adcode"])
    assert we.is_row_standardized and wp.is_row_standardized and not wp.islands


def test_w2_on_china_matches_dense_transcription():
    """W2 = d^-1 * Ybar_j / mean(Ybar), row-standardised, on the real layer: a dense
    transcription with pandas/numpy (independent of the builders' code path)."""
    from spillmap import datasets
    from spillmap.geo import centroids, great_circle_distances

    g = datasets.china_prefectures()
    g = g[g["level"].isin(["municipality", "prefecture_city"])]
    panel = datasets.demo_panel()
    ids = list(g["adcode"])
    ybar = panel[(panel["year"] >= 2010) & (panel["year"] <= 2015)].groupby("adcode")["pgdp"].mean().loc[ids].to_numpy()
    c = centroids(g, "adcode").loc[ids]
    d = great_circle_distances(c["lon"].to_numpy(), c["lat"].to_numpy())
    n = len(ids)
    raw = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                raw[i, j] = (1.0 / d[i, j] ** 2) * ybar[j] / ybar.mean()
    oracle = raw / raw.sum(axis=1, keepdims=True)
    w = B.economic_product(g, panel, id="adcode", time="year", var="pgdp", period=(2010, 2015), alpha=2)
    # the same closed forms from the same centroids and distances, operations in another order: row
    # sums of 296 positive terms -> <= 296 eps ~ 7e-14 relative
    np.testing.assert_allclose(w.toarray(), oracle, rtol=1e-12, atol=0)
    # nested W with phi = 0.4 over the same units
    we = B.economic_distance(panel, id="adcode", time="year", var="pgdp", period=(2010, 2015), ids=ids, transform=None)
    gap = np.abs(ybar[:, None] - ybar[None, :])
    e_raw = np.where(np.eye(n, dtype=bool), 0.0, 1.0 / np.where(np.eye(n, dtype=bool), 1.0, gap))
    np.testing.assert_allclose(we.toarray(), e_raw, rtol=1e-12, atol=0)
    wn = B.nested(w, we, 0.4)
    np.testing.assert_allclose(
        wn.toarray(), 0.4 * oracle + 0.6 * e_raw / e_raw.sum(axis=1, keepdims=True), rtol=1e-12, atol=1e-15
    )


def test_economic_distance_by_period_hand_example():
    """One matrix per year from that year's values: 2008 has gaps AB 1, AC 4, AD 6, BC 3, BD 5, CD 2
    (values 0, 1, 4, 6), worked by hand; 2015's values are all equal, so its matrix is undefined."""
    per = B.economic_distance(PANEL4, id="code", time="year", var="y", period=(2008, 2009), by_period=True,
                              transform=None)
    assert list(per) == [2008, 2009]
    raw08 = np.array([[0, 1, 1 / 4, 1 / 6], [1, 0, 1 / 3, 1 / 5], [1 / 4, 1 / 3, 0, 1 / 2], [1 / 6, 1 / 5, 1 / 2, 0]])
    np.testing.assert_allclose(per[2008].toarray(), raw08, rtol=1e-15)
    assert per[2009].name == "economic distance (y 2009)"  # its one period, not "2009-2009 [2009]"
    from spillmap.estimation._timevarying import resolve_weights

    assert resolve_weights(per, [2008, 2009]).name == "economic distance (y 2008…2009, one per period)"
    with pytest.raises(WeightsError, match="undefined"):
        B.economic_distance(PANEL4, id="code", time="year", var="y", by_period=True)
    nested = B.nested(per[2008], per, 0.5)
    assert list(nested) == [2008, 2009] and nested[2009].is_row_standardized
    from types import MappingProxyType  # any mapping period -> W, not only a dict (time-varying audit)

    assert list(B.nested(per[2008], MappingProxyType(per), 0.5)) == [2008, 2009]


def test_economic_distance_refuses_repeated_empty_and_odd_keys(tmp_path, capsys):
    """A repeated (id, year) would count twice in the unit's mean; an empty id or year, or a year
    unlike the others, made a matrix anyway (input audit 2026-12-01).  Python and the CLI refuse them,
    the CLI by file line and the file's own column."""
    dup = pd.concat([PANEL4, PANEL4.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match=r"panel repeats \(id, time\) cells \('A', 2008\)"):
        B.economic_distance(dup, id="code", time="year", var="y")
    empty = PANEL4.astype({"year": object})
    empty.loc[3, "year"] = None
    with pytest.raises(DataError, match=r"column 'year', row index 3: empty"):
        B.economic_distance(empty, id="code", time="year", var="y")
    from spillmap import datasets
    from spillmap.cli import main

    p = datasets.produc()[["state_abbr", "year", "pc"]].astype({"year": str})
    p.loc[69, "year"] = "1971a"  # file line 71
    p.to_csv(tmp_path / "p.csv", index=False)
    argv = ["weights", "us48", "--id", "STATE_ABBR", "--kind", "economic_distance", "--data", str(tmp_path / "p.csv"),
            "--data-id", "state_abbr", "--time", "year", "--var", "pc", "--out", str(tmp_path / "w.gwt")]
    assert main(argv) == 2
    assert "p.csv: line 71, column 'year': '1971a' is not a period like the others" in capsys.readouterr().err
    p.loc[69, "year"] = "1971"
    p.loc[19, "state_abbr"] = None  # file line 21
    p.to_csv(tmp_path / "p.csv", index=False)
    assert main(argv) == 2
    assert "p.csv: line 21, column 'state_abbr': empty" in capsys.readouterr().err
    assert not (tmp_path / "w.gwt").exists()


def test_nested_over_different_units_names_the_matrices(us48):
    """``nested`` of matrices over different units says which matrix lacks which units (the
    message spoke of "the data's units", of which there are none here; API audit 29 #9)."""
    w_d = B.contiguity(us48, "STATE_ABBR", kind="queen", transform="R")
    w_e = w_d.subset(list(w_d.ids[:40]))
    dropped = ", ".join(repr(i) for i in w_d.ids[40:])
    with pytest.raises(WeightsError, match=f"only in the geographic one: {dropped}; only in the economic one: none"):
        B.nested(w_d, w_e, 0.5)
