"""spillmap.indicators: entropy, CRITIC and PCA weights against hand-worked examples.

Each expected number is a closed form worked out by hand in the comment next to it
(no published weights table for these methods is available offline).  Tolerance
1e-12: the code and the hand computation evaluate the same closed forms, so only
rounding differs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap import datasets
from spillmap.errors import DataError, InputError
from spillmap.indicators import composite_index

# three observations, two indicators:
#   a = [1, 2, 3] (positive) -> min-max [0, 1/2, 1]
#   b = [1, 1, 4] (positive) -> min-max [0, 0, 1]
SMALL = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 1.0, 4.0]})


def test_entropy_hand_example_without_shift():
    # shares: a -> p = [0, 1/3, 2/3], b -> p = [0, 0, 1]  (0 ln 0 = 0)
    # e_a = -(1/ln 3)(1/3 ln 1/3 + 2/3 ln 2/3) = 1 - (2/3) ln 2 / ln 3, so d_a = (2/3) ln 2 / ln 3
    # e_b = -(1/ln 3)(1 ln 1) = 0, so d_b = 1;  w = d / (d_a + d_b)
    d_a = (2 / 3) * np.log(2) / np.log(3)
    ci = composite_index(SMALL, method="entropy", positive=["a", "b"], shift=0.0)
    np.testing.assert_allclose(ci.weights["weight"], [d_a / (d_a + 1), 1 / (d_a + 1)], rtol=1e-12)  # closed form: the same logs and ratios, a few ulps
    # index = w_a a' + w_b b' = [0, w_a / 2, 1]
    w_a = d_a / (d_a + 1)
    np.testing.assert_allclose(ci.index, [0, w_a / 2, 1], rtol=1e-12, atol=1e-15)  # same closed form, a few ulps; atol: the exact 0


def test_entropy_hand_example_with_the_shift_and_a_negative_indicator():
    # b negative: b' = (4 - b)/3 = [1, 1, 0]; shift s = 1e-4 on both columns:
    #   a: v = [s, 1/2 + s, 1 + s], total 3/2 + 3s;   b: v = [1 + s, 1 + s, s], total 2 + 3s
    s = 1e-4

    def d(v):
        p = np.array(v) / sum(v)
        return 1 + (p * np.log(p)).sum() / np.log(3)

    da, db = d([s, 0.5 + s, 1 + s]), d([1 + s, 1 + s, s])
    ci = composite_index(SMALL, method="entropy", positive=["a"], negative=["b"])
    np.testing.assert_allclose(ci.weights["weight"], [da / (da + db), db / (da + db)], rtol=1e-12)  # closed form, same logs and ratios: a few ulps
    assert list(ci.weights["direction"]) == ["+", "-"]
    assert "shift 0.0001" in ci.note


def test_critic_hand_example():
    # a' = [0, 1/2, 1]: sd (ddof 1) = 1/2;  b' = [0, 0, 1]: sd = sqrt(1/3)
    # r(a', b') = sqrt(3)/2 (centred a' = [-1/2, 0, 1/2], b' = [-1/3, -1/3, 2/3]: 1/2 / (sqrt(1/2) sqrt(2/3)))
    # C_j = sd_j (1 - r) for both, so w_a = sd_a / (sd_a + sd_b)
    sa, sb = 0.5, np.sqrt(1 / 3)
    ci = composite_index(SMALL, method="critic", positive=["a", "b"])
    np.testing.assert_allclose(ci.weights["weight"], [sa / (sa + sb), sb / (sa + sb)], rtol=1e-12)  # closed form (sd, r of 3 numbers): a few ulps


def test_critic_three_indicators_transcription():
    # C_j = sd_j * sum_l (1 - r_jl), written out element by element on a 5 x 3 example
    x = pd.DataFrame({"a": [1.0, 4, 2, 8, 5], "b": [3.0, 1, 4, 1, 5], "c": [9.0, 2, 6, 5, 3]})
    xn = (x - x.min()) / (x.max() - x.min())
    xn["c"] = 1 - xn["c"]  # negative
    sd = xn.std(ddof=1).to_numpy()
    r = xn.corr().to_numpy()
    c = np.array([sd[j] * sum(1 - r[j, k] for k in range(3)) for j in range(3)])
    ci = composite_index(x, method="critic", positive=["a", "b"], negative=["c"])
    np.testing.assert_allclose(ci.weights["weight"], c / c.sum(), rtol=1e-12)  # same finite sums in another order: a few ulps


def test_pca_hand_example_two_indicators():
    # two standardised indicators with correlation r > 0: eigenvectors (1, 1)/sqrt2 (lambda 1 + r)
    # and (1, -1)/sqrt2 (lambda 1 - r).  "first": weights (1/2, 1/2), index = mean of the z-scores.
    # "variance" with both components: c = (1+r)/2 (1,1)/sqrt2 + (1-r)/2 (1,-1)/sqrt2 = (1, r)/sqrt2
    # (the second vector's loadings sum to 0: signed so that its largest loading is positive;
    # both have |0.7071|, numpy returns the first as the larger), so w = (1, r)/(1 + r).
    x = pd.DataFrame({"a": [1.0, 2.0, 3.0, 5.0], "b": [2.0, 1.0, 4.0, 4.5]})
    r = np.corrcoef(x["a"], x["b"])[0, 1]
    first = composite_index(x, method="pca", positive=["a", "b"])
    np.testing.assert_allclose(first.weights["weight"], [0.5, 0.5], rtol=1e-12)  # eigh of a 2 x 2: (1, ±1)/sqrt2 to a few ulps
    z = (x - x.mean()) / x.std(ddof=1)
    np.testing.assert_allclose(first.index, z.mean(axis=1), rtol=1e-12, atol=1e-15)  # same z-scores, a few ulps; atol: means near 0
    var = composite_index(x, method="pca", positive=["a", "b"], components="variance", n_components=2)
    w = np.sort(var.weights["weight"].to_numpy())
    np.testing.assert_allclose(w, np.sort([1 / (1 + r), r / (1 + r)]), rtol=1e-12)  # eigh of a 2 x 2, closed form: a few ulps
    # a negative indicator is reversed first: with c = -b declared negative, -c = b is the oriented
    # column, correlated r with a: the same weights (1/2, 1/2), and the index falls with c
    neg = composite_index(x.assign(c=-x["b"]), method="pca", positive=["a"], negative=["c"])
    np.testing.assert_allclose(neg.weights["weight"], [0.5, 0.5], rtol=1e-12)  # eigh of a 2 x 2: a few ulps
    assert neg.index.corr(x["a"] - (-x["b"])) > 0
    # b declared negative although it moves with a: the first vector is (1, -1)/sqrt2 (loadings sum
    # to 0; its largest loading, the first, is made positive), weights (1/2, -1/2) after division
    # by the sum of absolute values: the data contradict the declared direction
    contra = composite_index(x, method="pca", positive=["a"], negative=["b"])
    np.testing.assert_allclose(contra.weights["weight"], [0.5, -0.5], rtol=1e-12)  # eigh of a 2 x 2: a few ulps


def test_per_period_weights_equal_separate_pooled_fits():
    df = pd.concat([SMALL.assign(year=2000), (SMALL * [2, 1]).iloc[::-1].assign(year=2001)], ignore_index=True)
    df.loc[3:, "b"] = [1.0, 5.0, 2.0]
    ci = composite_index(df, method="entropy", positive=["a", "b"], weighting="per_period", time="year")
    for year in (2000, 2001):
        one = composite_index(df[df.year == year], method="entropy", positive=["a", "b"])
        np.testing.assert_allclose(ci.weights[f"weight_{year}"], one.weights["weight"], rtol=1e-12)  # same computation on the same rows: a few ulps
        np.testing.assert_allclose(ci.index[df.year == year], one.index, rtol=1e-12)  # same computation on the same rows: a few ulps
    np.testing.assert_allclose(ci.weights["weight"], ci.weights[["weight_2000", "weight_2001"]].mean(axis=1))


def test_table_one_layout_on_the_demo_panel():
    dims = {"pgdp": "economy", "fdi": "openness", "trans": "infrastructure", "inp": "land use"}
    for method in ("entropy", "critic", "pca"):
        ci = composite_index(datasets.demo_panel(), name="eco", method=method, positive=["pgdp", "fdi", "trans"],
                             negative=["inp"], dimensions=dims)
        assert list(ci.weights.columns) == ["dimension", "indicator", "direction", "weight"]
        assert list(ci.weights["dimension"]) == list(dims.values())
        assert ci.weights["weight"].abs().sum() == pytest.approx(1.0, rel=1e-12)  # weights divided by their sum: 1 to a few ulps
        assert ci.index.notna().all() and ci.index.name == "eco"


def test_bad_input_is_named():
    with pytest.raises(InputError, match="method"):
        composite_index(SMALL, method="topsis", positive=["a", "b"])
    with pytest.raises(InputError, match="at least two"):
        composite_index(SMALL, positive=["a"])
    with pytest.raises(DataError, match="'zz'"):
        composite_index(SMALL, positive=["a", "zz"])
    with pytest.raises(DataError, match="constant"):
        composite_index(SMALL.assign(c=1.0), positive=["a", "c"])
    with pytest.raises(DataError, match="'b'.*rows 1"):
        composite_index(SMALL.assign(b=[1.0, np.nan, 3.0]), positive=["a", "b"])
    with pytest.raises(InputError, match="per_period"):
        composite_index(SMALL, positive=["a", "b"], weighting="per_period")
