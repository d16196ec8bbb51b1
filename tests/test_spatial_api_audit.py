"""Spatial API audit: values aligned by their ids, integer neighbour counts, one-line errors for
bad arguments, the transform shown next to a W's name, no "None" in the CD table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap import datasets
from spillmap.errors import GeometryError, InputError, SpillmapError, WeightsError
from spillmap.spatial import contiguity, inverse_distance, knn, moran, pesaran_cd
from spillmap.spatial.builders import economic_distance, nested
from spillmap.spatial.weights import SpatialWeights

# a 4-unit chain a - b - c - d, asymmetric after row-standardisation
CHAIN = np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], dtype=float)


@pytest.fixture
def w():
    return SpatialWeights.from_dense(CHAIN, ["a", "b", "c", "d"], name="chain").row_standardize()


def _one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


# ---------------------------------------------------------------- 1. lag by ids
def test_lag_series_is_aligned_by_its_index(w):
    y = pd.Series([1.0, 2.0, 3.0, 4.0], index=list("abcd"), name="y")
    shuffled = y.loc[["c", "a", "d", "b"]]
    out = w.lag(shuffled)
    expected = w.toarray() @ y.to_numpy()
    assert isinstance(out, pd.Series) and out.name == "y"
    assert list(out.index) == list(w.ids)
    np.testing.assert_allclose(out.to_numpy(), expected)
    # x - w.lag(x) aligns label by label
    np.testing.assert_allclose((shuffled - out).loc[list("abcd")].to_numpy(), y.to_numpy() - expected)
    # an array and a default RangeIndex keep their positional meaning
    x = np.array([4.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(w.lag(x), w.toarray() @ x)
    np.testing.assert_allclose(w.lag(pd.Series(x)).to_numpy(), w.toarray() @ x)


def test_lag_dataframe_is_aligned_and_keeps_columns(w):
    df = pd.DataFrame({"u": [1.0, 2, 3, 4], "v": [0.0, 5, 1, 2]}, index=list("abcd"))
    out = w.lag(df.iloc[::-1])
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["u", "v"]
    np.testing.assert_allclose(out.to_numpy(), w.toarray() @ df.to_numpy())


def test_lag_integer_index_matches_text_ids():
    w = SpatialWeights.from_dense(CHAIN, ["1", "2", "3", "4"]).row_standardize()
    y = pd.Series([10.0, 20.0, 30.0, 40.0], index=[1, 2, 3, 4])
    np.testing.assert_allclose(w.lag(y.iloc[[3, 1, 0, 2]]).to_numpy(), w.toarray() @ y.to_numpy())


def test_lag_range_index_holding_the_ids_is_aligned():
    """A RangeIndex whose labels are W's ids (W reordered) is matched by label, not position."""
    w = SpatialWeights.from_dense(CHAIN, ["0", "1", "2", "3"]).align(["3", "1", "0", "2"])
    y = pd.Series([1.0, 2.0, 3.0, 4.0])  # RangeIndex 0..3: y[unit "k"] = k + 1
    expected = w.toarray() @ y.loc[[3, 1, 0, 2]].to_numpy()
    np.testing.assert_allclose(w.lag(y).to_numpy(), expected)


@pytest.mark.parametrize(
    "index, words",
    [
        (list("abcz"), ["'z'", "'d'", "w.ids"]),
        (list("abca"), ["repeated ids 'a'", "'d'"]),
    ],
)
def test_lag_series_with_other_ids_is_an_error(w, index, words):
    with pytest.raises(WeightsError) as exc:
        w.lag(pd.Series([1.0, 2, 3, 4], index=index))
    msg = _one_line(exc)
    assert "index of x" in msg and all(word in msg for word in words)


def test_lag_multiindex_points_to_lag_panel(w):
    y = pd.Series([1.0, 2, 3, 4], index=pd.MultiIndex.from_tuples([(u, 2000) for u in "abcd"]))
    with pytest.raises(WeightsError, match="lag_panel"):
        w.lag(y)


@pytest.mark.parametrize("bad", ["abc", None, 3.0, np.zeros((4, 2, 2)), ["x", "y", "z", "w"]])
def test_lag_bad_values_are_an_input_error(w, bad):
    with pytest.raises(InputError) as exc:
        w.lag(bad)
    assert _one_line(exc).startswith("x must be")


def _panel(w):
    """(id, time) Series of a 4 x 3 panel and its values stacked time-major in w's order."""
    times = [2001, 2002, 2003]
    values = np.arange(12, dtype=float) ** 1.5
    stacked = pd.Series(values, index=pd.MultiIndex.from_product([times, list(w.ids)], names=["time", "id"]))
    by_id = stacked.swaplevel().sample(frac=1.0, random_state=0)  # (id, time), shuffled
    return by_id, values


def test_lag_panel_aligns_an_id_time_index(w):
    by_id, values = _panel(w)
    out = w.lag_panel(by_id, 3)
    expected = w.lag_panel(values, 3)
    assert isinstance(out, pd.Series)
    np.testing.assert_allclose(out.to_numpy(), expected)
    assert list(out.index[:4]) == [(u, 2001) for u in w.ids]


@pytest.mark.parametrize(
    "change, t, words",
    [
        (lambda s: s.iloc[1:], 3, ["no row for the (id, time) cells"]),
        (lambda s: s, 2, ["3 periods but t=2"]),
        (lambda s: s.reset_index(drop=True).set_axis(np.arange(12) * 2), 3, ["index it by (id, time)"]),
        (lambda s: s.rename(index={"d": "z"}, level=0), 3, ["ids not in W: 'z'"]),
    ],
)
def test_lag_panel_bad_index_is_an_error(w, change, t, words):
    by_id, _ = _panel(w)
    with pytest.raises(WeightsError) as exc:
        w.lag_panel(change(by_id), t)
    msg = _one_line(exc)
    assert all(word in msg for word in words), msg


@pytest.mark.parametrize("t", [2.5, True, 0, "3"])
def test_lag_panel_t_must_be_an_integer(w, t):
    with pytest.raises(InputError, match="^t must be"):
        w.lag_panel(np.zeros(12), t)


def test_moran_and_lag_share_the_alignment_rule(w):
    """moran reads a Series by its index exactly as w.lag does (also a RangeIndex of ids)."""
    y = pd.Series([1.0, 5.0, 2.0, 7.0], index=list("abcd"))
    assert moran(y.iloc[::-1], w, permutations=0).I == pytest.approx(moran(y.to_numpy(), w, permutations=0).I)
    wr = SpatialWeights.from_dense(CHAIN, ["0", "1", "2", "3"]).row_standardize().align(["3", "1", "0", "2"])
    yr = pd.Series([1.0, 5.0, 2.0, 7.0])
    ordered = yr.loc[[3, 1, 0, 2]].to_numpy()
    assert moran(yr, wr, permutations=0).I == pytest.approx(moran(ordered, wr, permutations=0).I)


# ----------------------------------------------------- 2. integer neighbour counts
@pytest.fixture(scope="module")
def layer():
    return datasets.us48()


@pytest.mark.parametrize("k", [2.5, 2.0, True, "3", None])
def test_knn_k_must_be_an_integer_in_range(layer, k):
    with pytest.raises(InputError) as exc:
        knn(layer, "STATE_ABBR", k=k)
    assert _one_line(exc).startswith("k must be")


def test_knn_integer_k_of_numpy_is_accepted_a_float_is_not(layer):
    w = knn(layer, "STATE_ABBR", k=np.int64(3))
    assert set(w.cardinalities) == {3} and w.name == "3-nearest neighbours"
    with pytest.raises(InputError, match=r"^k must be a whole number .* got 3\.0 \(float\)"):
        knn(layer, "STATE_ABBR", k=3.0)


@pytest.mark.parametrize(
    "kwargs, start",
    [
        ({"k": 2.5}, "k must be"),
        ({"k": True}, "k must be"),
        ({"alpha": True}, "alpha must be"),
        ({"alpha": "2"}, "alpha must be"),
        ({"cutoff_km": "800"}, "cutoff_km must be"),
        ({"cutoff_km": True}, "cutoff_km must be"),
    ],
)
def test_inverse_distance_numbers_are_checked(layer, kwargs, start):
    with pytest.raises(InputError) as exc:
        inverse_distance(layer, "STATE_ABBR", **kwargs)
    assert _one_line(exc).startswith(start)


@pytest.mark.parametrize("k", [1.5, False])
def test_contiguity_islands_k_must_be_an_integer(layer, k):
    with pytest.raises(InputError, match="^k must be"):
        contiguity(layer, "STATE_ABBR", islands="nearest", k=k)


def test_economic_distance_tol_and_nested_phi_are_checked(produc, us48_queen):
    with pytest.raises(InputError, match="^tol must be"):
        economic_distance(produc, "state_abbr", time="year", var="gsp", tol="1e-10")
    with pytest.raises(WeightsError, match="^phi must be"):
        nested(us48_queen, us48_queen, True)


# ------------------------------------------------------- 3. one-line spillmap errors
def test_contiguity_of_a_plain_dataframe_is_a_geometry_error(layer):
    plain = pd.DataFrame(layer.drop(columns=layer.geometry.name))
    with pytest.raises(GeometryError) as exc:
        contiguity(plain, "STATE_ABBR")
    assert "without a geometry column" in _one_line(exc)
    with pytest.raises(InputError, match="layer must be a GeoDataFrame"):
        knn([1, 2, 3], "id", k=1)


@pytest.mark.parametrize("bad", [None, 3, "abcd"])
def test_align_and_subset_need_a_list_of_ids(w, bad):
    for method in (w.align, w.subset):
        with pytest.raises(InputError) as exc:
            method(bad)
        assert "takes the unit ids as a list" in _one_line(exc)


def test_lag_of_text_is_a_spillmap_error(w):
    with pytest.raises(SpillmapError):
        w.lag("abc")


# ---------------------------------------------------------- 4. transform on display
def test_row_standardised_w_shows_its_transform_next_to_its_name():
    w = datasets.cigar_w().row_standardize()
    assert w.name == "cigar_w_usa46_binary"  # the name is kept: it finds the file again
    assert w.label == "cigar_w_usa46_binary (row-standardised)"
    html = w._repr_html_()
    assert "<caption>SpatialWeights cigar_w_usa46_binary (row-standardised)</caption>" in html
    assert "<th>transform</th><td>row-standardised</td>" in html
    assert "row-standardised>" in repr(w)
    assert SpatialWeights.from_dense(CHAIN, list("abcd")).binary().label == "binary"


# ----------------------------------------------------------- 5. CD display
def test_pesaran_cd_summary_shows_a_dash_for_df(us48_queen):
    cd = pesaran_cd(np.random.default_rng(0).normal(size=(17, 48)), us48_queen)
    text, html = cd.summary(), cd._repr_html_()
    assert "None" not in text and "NaN" not in text and "None" not in html
    assert text.count("–") == 2 and html.count("<td>–</td>") == 2
    assert cd.to_frame()["df"].tolist() == [None, None]  # data unchanged
    assert cd.to_dict()["pesaran_cd"]["df"] is None
