"""SpatialWeights: validation, eigenvalue bounds (closed forms), summary, conversions."""
from __future__ import annotations

import numpy as np
import pytest

from spillmap.errors import WeightsError
from spillmap.spatial.weights import SpatialWeights


def test_from_dense_validation():
    with pytest.raises(WeightsError, match=r"not square: shape \(2, 3\)"):
        SpatialWeights.from_dense(np.zeros((2, 3)), ["a", "b"])
    with pytest.raises(WeightsError, match="NaN or infinite values in the rows of ids 'b'"):
        SpatialWeights.from_dense([[0, 1], [np.nan, 0]], ["a", "b"])
    with pytest.raises(WeightsError, match="negative weights in the rows of ids 'a'"):
        SpatialWeights.from_dense([[0, -1], [1, 0]], ["a", "b"])
    with pytest.raises(WeightsError, match="2 rows but 3 ids"):
        SpatialWeights.from_dense([[0, 1], [1, 0]], ["a", "b", "c"])
    with pytest.raises(WeightsError, match="not unique; repeated: 'a'"):
        SpatialWeights.from_dense([[0, 1], [1, 0]], ["a", "a"])
    with pytest.raises(WeightsError, match="2-D"):
        SpatialWeights.from_dense([0, 1], ["a", "b"])


def test_immutable_and_caller_not_mutated():
    m = np.array([[0, 2.0], [1.0, 0]])
    w = SpatialWeights.from_dense(m, ["a", "b"])
    r = w.row_standardize()
    assert w.toarray()[0, 1] == 2.0 and r.toarray()[0, 1] == 1.0 and m[0, 1] == 2.0
    with pytest.raises(ValueError):
        w.sparse.data[0] = 5.0
    with pytest.raises(AttributeError):
        w.transform = "R"


def test_align_lists_mismatches():
    w = SpatialWeights.from_dense([[0, 1, 0], [1, 0, 1], [0, 1, 0]], ["a", "b", "c"])
    with pytest.raises(WeightsError, match="ids in the data but not in W: 'd'; ids in W but not in the data: 'c'"):
        w.align(["a", "b", "d"])
    assert w.align(["c", "b", "a"]).toarray()[0, 1] == 1


def test_equals():
    w = SpatialWeights.from_dense([[0, 1], [1, 0]], ["a", "b"])
    assert w.equals(SpatialWeights.from_dense([[0, 1], [1, 0]], ["a", "b"]))
    assert not w.equals(SpatialWeights.from_dense([[0, 1 + 1e-9], [1, 0]], ["a", "b"]))
    assert w.equals(SpatialWeights.from_dense([[0, 1 + 1e-9], [1, 0]], ["a", "b"]), rtol=1e-8)
    assert not w.equals(SpatialWeights.from_dense([[0, 1], [1, 0]], ["b", "a"]))
    assert w.equals(SpatialWeights.from_dense([[0, 1], [1, 0]], ["b", "a"]), order=False)
    assert not w.equals(SpatialWeights.from_dense([[0, 1], [0, 0]], ["a", "b"]))


def test_rho_bounds_row_standardised_path():
    # path a-b-c, row-standardised: D^-1 A has eigenvalues 1, 0, -1 (closed form) -> (-1, 1)
    w = SpatialWeights.from_dense([[0, 1, 0], [1, 0, 1], [0, 1, 0]], "abc").row_standardize()
    # eigen-solver on a 3 x 3 matrix similar to a symmetric one: error ~eps ||W|| = 2e-16
    np.testing.assert_allclose(np.sort(w.eigenvalues), [-1, 0, 1], atol=1e-12)  # closed form; solver error ~2e-16
    lo, hi = w.rho_bounds
    assert lo == pytest.approx(-1.0, abs=1e-12) and hi == pytest.approx(1.0, abs=1e-12)  # 1/eigenvalue: ~2e-16
    # binary path: eigenvalues -sqrt(2), 0, sqrt(2) -> bounds -+1/sqrt(2)
    lo, hi = w.binary().rho_bounds
    assert lo == pytest.approx(-1 / np.sqrt(2), rel=1e-12) and hi == pytest.approx(1 / np.sqrt(2), rel=1e-12)  # closed form; 3x3 eigen-solver ~eps


def test_rho_bounds_asymmetric_complex_eigenvalues():
    # directed 3-cycle: eigenvalues are the cube roots of unity; det(I - rho W) = 1 - rho^3
    # vanishes only at rho = 1 -> bounds (-inf, 1)
    w = SpatialWeights.from_dense([[0, 1, 0], [0, 0, 1], [1, 0, 0]], "abc")
    assert np.iscomplexobj(w.eigenvalues)
    lo, hi = w.rho_bounds
    assert lo == -np.inf and hi == pytest.approx(1.0, abs=1e-12)  # closed form (root of 1 - rho^3); solver ~eps
    # asymmetric with real eigenvalues: [[0, 1], [4, 0]] has eigenvalues +-2 -> (-1/2, 1/2)
    w2 = SpatialWeights.from_dense([[0, 1], [4, 0]], "ab")
    lo, hi = w2.rho_bounds
    assert lo == pytest.approx(-0.5, rel=1e-12) and hi == pytest.approx(0.5, rel=1e-12)  # closed form +-2; 2x2 solver ~eps


def test_summary_and_html():
    w = SpatialWeights.from_dense(
        [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]], ["a", "b", "c", "<d>"], name="<b>x</b>"
    )
    s = w.summary()
    assert (s.n, s.nnz, s.min_neighbors, s.max_neighbors) == (4, 3, 0, 1)
    assert s.mean_neighbors == pytest.approx(0.75, rel=1e-12)  # 3/4
    assert s.islands == ("c",) and s.n_components == 2  # {a,b}, {c,<d>} (weakly connected)
    assert s.symmetric is False and s.row_standardized is True and s.symmetric_pattern is False
    assert SpatialWeights.from_dense([[0, 1], [3, 0]], "ab").summary().symmetric_pattern is True
    assert "islands               1 ('c')" in str(s)
    html = w._repr_html_()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert s.to_dict()["islands"] == ["c"]


def test_lag_panel_time_major():
    w = SpatialWeights.from_dense([[0, 1], [1, 0]], ["a", "b"])
    y = np.array([1.0, 2.0, 10.0, 20.0])  # t=1: a, b; t=2: a, b
    np.testing.assert_array_equal(w.lag_panel(y, 2), [2.0, 1.0, 20.0, 10.0])


def test_eigenvalues_of_symmetrisable_w_are_real_and_exact(us48):
    from spillmap.spatial.builders import contiguity, inverse_distance, knn
    from spillmap.spatial.weights import _symmetrizer

    for w in (contiguity(us48, "STATE_ABBR"), inverse_distance(us48, "STATE_ABBR", alpha=2)):
        assert not w.is_symmetric and _symmetrizer(w.sparse) is not None
        ev = w.eigenvalues
        assert ev.dtype == np.float64
        # oracle: numpy's general eigen-solver on the dense matrix
        ref = np.linalg.eigvals(w.toarray())
        # geev on the non-symmetric W: error ~eps ||W|| cond(D^1/2) (eigenvector conditioning, the
        # spread of the row sums) against eigvalsh of the symmetrised matrix (~eps) -> << 1e-10
        np.testing.assert_allclose(ev, np.sort(ref.real), atol=1e-10)  # two exact eigen-solvers: eps*cond(D^1/2) << 1e-10
        assert ev[-1] == pytest.approx(1.0, abs=1e-12)  # closed form: a row-stochastic W has eigenvalue 1; eigvalsh error ~eps
    wk = knn(us48, "STATE_ABBR", k=4)
    assert _symmetrizer(wk.sparse) is None
    lo, hi = wk.rho_bounds
    real = np.linalg.eigvals(wk.toarray())
    real = real.real[np.abs(real.imag) < 1e-10]
    # the same geev eigenvalues (asymmetric kNN: simple extreme real eigenvalues, well conditioned)
    assert lo == pytest.approx(1 / real.min(), rel=1e-10) and hi == pytest.approx(1.0, abs=1e-10)  # same geev, simple eigenvalues: ~eps


@pytest.mark.parametrize("to", ["to_libpysal", "to_graph"])
@pytest.mark.parametrize("transform", ["O", "B", "R"])
def test_libpysal_round_trip_keeps_islands_ids_and_transform(to, transform):
    w = SpatialWeights.from_dense(
        [[0, 2, 0, 0], [1, 0, 0.5, 0], [0, 0.5, 0, 0], [0, 0, 0, 0]], ["010100", "020200", "030300", "040400"]
    )
    w = {"O": w, "B": w.binary(), "R": w.row_standardize()}[transform]
    obj = getattr(w, to)()
    back = SpatialWeights.from_libpysal(obj)
    assert back.ids == w.ids and back.equals(w) and back.transform == transform
    assert back.islands == ("040400",)
    if to == "to_libpysal":
        assert obj.neighbors["040400"] == [] and obj.weights["010100"] == [w.toarray()[0, 1]]
    else:
        assert list(obj.isolates) == ["040400"]


def test_neighbors_is_a_read_only_mapping_like_libpysals(us48_queen):
    """``w.neighbors`` is a mapping with libpysal's lists (reference: ``to_libpysal().neighbors``,
    built by libpysal from the same sparse matrix); ``w.neighbors()``, from when it was a method,
    is the same mapping."""
    from collections.abc import Mapping

    nb = us48_queen.neighbors
    assert isinstance(nb, Mapping) and nb() is nb
    ref = us48_queen.to_libpysal().neighbors
    assert {u: set(v) for u, v in nb.items()} == {u: set(v) for u, v in ref.items()}
    assert set(nb["WA"]) == {"OR", "ID"} and len(nb) == us48_queen.n
    with pytest.raises(TypeError):
        nb["WA"] = ("CA",)
