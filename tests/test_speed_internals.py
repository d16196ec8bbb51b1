"""Tests of the speed machinery (issue 11): LU counting and reuse, shared traces,
the log-determinant method choice, the exact-trace and least-squares shortcuts, the
banded eigenvalues and the vectorised contiguity.  No timing assertions.

Reference values are independent computations done here: dense numpy formulas
(``inv``, ``slogdet``, ``eigvalsh``, ``lstsq``), libpysal ``Graph.build_contiguity``,
and spillmap's own slower paths (eigenvalue log-determinant, fresh trace powers).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spillmap._threads import limit_blas
from spillmap.estimation import SpatialPanel
from spillmap.estimation import _ml
from spillmap.estimation._logdet import GSolver, LogDet, Traces
from spillmap.estimation._lu import LU_STATS, IMinusRhoW
from spillmap.estimation._traces import _cholesky_traces, _inverse_traces, exact_traces, trace_powers
from spillmap.estimation.effects import compute_effects, effects_from_estimates, stochastic_trace_powers
from spillmap.spatial._spectrum import symmetric_eigenvalues, symmetrizer
from spillmap.spatial.weights import SpatialWeights


def lattice(side: int, queen: bool = True) -> SpatialWeights:
    """Row-standardised queen (or rook) contiguity of a side x side lattice (libpysal lat2W)."""
    from libpysal.weights import lat2W

    return SpatialWeights.from_libpysal(lat2W(side, side, rook=not queen), name="lattice").row_standardize()


def fresh(w: SpatialWeights) -> SpatialWeights:
    """The same W as a new object (nothing cached on it)."""
    return SpatialWeights.from_sparse(w.sparse.copy(), list(w.ids), name=w.name)


def panel(w: SpatialWeights, t: int, model: str, seed: int = 3) -> pd.DataFrame:
    """A two-way-effects panel simulated from the model with rho = 0.4."""
    n = w.n
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n * t, 2))
    mu = x @ np.array([1.0, -0.5]) + np.tile(rng.normal(size=n), t) + np.repeat(rng.normal(size=t), n)
    if model == "sdm":
        mu += w.lag_panel(x, t) @ np.array([0.3, 0.1])
    a = np.eye(n) - 0.4 * w.toarray() if n <= 1000 else None
    e = rng.normal(size=n * t)
    from scipy.sparse.linalg import splu

    lu = splu(sp.csc_matrix(sp.identity(n) - 0.4 * w.sparse))

    def solve(v):
        return lu.solve(np.ascontiguousarray(v.reshape(t, n).T)).T.reshape(-1)

    del a
    y = mu + solve(e) if model == "sem" else solve(mu + e)
    return pd.DataFrame({"id": np.tile(np.array(w.ids), t), "time": np.repeat(np.arange(t), n), "y": y,
                         "x1": x[:, 0], "x2": x[:, 1]})


def fit(w, df, model, effects="twoways", **kw):
    return SpatialPanel(df, y="y", x=["x1", "x2"], id="id", time="time", w=w, model=model, fe=effects).fit(**kw)


@pytest.fixture(scope="module")
def big():
    """N = 2,601 (> the exact-trace limit 2,000, so the stochastic-trace path), T = 4."""
    w = lattice(51)
    return w, panel(w, 4, "sdm")


# ------------------------------------------------------------------ LU count and reuse
def test_lu_count_equals_search_evaluations(big):
    """Every factorisation of the fit is a likelihood evaluation: the traces and the
    G-products of the information matrix reuse the last one (at the estimate)."""
    w, df = big
    start = LU_STATS.count
    res = fit(fresh(w), df, "sdm")
    assert res.extra["logdet_method"] == "lu" and res.extra["exact_traces"] is False
    assert res.extra["lu_factorizations"] == LU_STATS.count - start
    assert res.extra["lu_factorizations"] == res.extra["nfev"] <= 5


def test_factor_reused_and_counted():
    w = lattice(8)
    ld = LogDet(w, "lu")
    start = LU_STATS.count
    a = ld.factor(0.3)
    assert ld.factor(0.3) is a and LU_STATS.count == start + 1
    ld(0.3)  # the log-determinant at the same rho needs no new factorisation
    assert LU_STATS.count == start + 1
    ref = np.linalg.slogdet(np.eye(w.n) - 0.3 * w.toarray())[1]
    assert ld(0.3) == pytest.approx(ref, abs=1e-10)  # two exact computations of one number
    g = w.toarray() @ np.linalg.inv(np.eye(w.n) - 0.3 * w.toarray())
    v = np.random.default_rng(0).normal(size=w.n * 2)
    np.testing.assert_allclose(GSolver(w, 0.3, lu=a).apply_panel(v, 2), np.kron(np.eye(2), g) @ v, atol=1e-12)


def test_i_minus_rho_w_on_fixed_pattern():
    w = lattice(5)
    m = w.sparse.tolil()
    m[3, :] = 0  # an empty row and column (island)
    m[:, 7] = 0
    m = m.tocsr()
    m.eliminate_zeros()
    f = IMinusRhoW(m)
    for rho in (0.0, 0.35, -0.8):
        np.testing.assert_array_equal(f(rho).toarray(), np.eye(25) - rho * m.toarray())


# ------------------------------------------------------------------ method choice and exactness
def test_auto_method_by_measured_cost():
    """A sparse lattice factorises cheaply (LU); a dense inverse-distance W does not
    (its LU is a dense LU), so the eigenvalues win."""
    w = lattice(30)
    assert LogDet(w, "auto", cost_based=True).choose(0.4) == "lu"
    assert LogDet(w, "auto").resolved_method == "eigen"  # without cost_based: N <= 2,500
    rng = np.random.default_rng(1)
    xy = rng.random((150, 2))
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    wd = SpatialWeights.from_dense(1.0 / d, [str(i) for i in range(150)]).row_standardize()
    assert LogDet(wd, "auto", cost_based=True).choose(0.4) == "eigen"
    _ = wd.eigenvalues
    assert LogDet(wd, "auto", cost_based=True).resolved_method == "eigen"  # cached eigenvalues are free


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_lu_path_equals_eigen_path(model):
    """The surrogate search ends within the search tolerance (1e-10) of the exact
    maximiser that the eigenvalue route polishes to ~1e-14; loglik agrees to rounding."""
    w = lattice(20)
    df = panel(w, 5, model)
    a = fit(fresh(w), df, model, logdet_method="lu")
    b = fit(fresh(w), df, model, logdet_method="eigen")
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), atol=1e-9)
    assert a.loglik == pytest.approx(b.loglik, abs=1e-8)
    np.testing.assert_allclose(a.std_errors.to_numpy(), b.std_errors.to_numpy(), rtol=1e-7)


def test_local_traces_close_to_exact():
    """tr(G), tr(GG) from the search's exact log-determinants: cubic interpolation of a
    smooth correction, measured ~1e-9 and ~5e-6 relative; bounds 1e-7 and 1e-4."""
    from spillmap.estimation._fixed import _lee_yu_and_counts, _search

    w = lattice(32)
    df = panel(w, 4, "sdm")
    spec = SpatialPanel(df, y="y", x=["x1", "x2"], id="id", time="time", w=fresh(w), model="sdm", fe="twoways")
    _, counts = _lee_yu_and_counts(spec.data, "transformation")
    ld = LogDet(spec.data.w, "lu")
    _, _, opt = _search(spec.data, counts, ld, 1e-10)
    loc = ld.local_traces(opt.x)
    ex = exact_traces(w, opt.x)
    assert loc is not None
    assert loc[0] == pytest.approx(ex[0], rel=1e-7) and loc[1] == pytest.approx(ex[1], rel=1e-4)


def test_cholesky_traces_equal_general_inverse():
    """Two exact routes (Cholesky of the symmetrised B, general inverse): rounding only."""
    w = lattice(12)
    d = symmetrizer(w.sparse)
    with limit_blas():
        for rho in (0.45, -0.6):
            np.testing.assert_allclose(_cholesky_traces(w.sparse, d, rho), _inverse_traces(w.sparse, rho), rtol=1e-10)
    t = Traces.compute(w, 0.45, exact=True)
    g = w.toarray() @ np.linalg.inv(np.eye(w.n) - 0.45 * w.toarray())
    np.testing.assert_allclose([t.tr_g, t.tr_gg, t.tr_gtg, t.gtl_sq],
                               [np.trace(g), np.sum(g * g.T), np.sum(g * g), np.sum(g.sum(0) ** 2)], rtol=1e-10)


def test_least_squares_equals_lstsq():
    """Normal equations + one refinement step equal LAPACK's SVD least squares: on a
    well-conditioned design to rounding (1e-12 of the largest column-scaled coefficient,
    the scale at which both solvers round), and exactly on a near-collinear one (fallback)."""
    rng = np.random.default_rng(5)
    z = rng.normal(size=(3000, 5)) * np.array([1.0, 1e3, 1e-3, 1.0, 50.0])
    y = rng.normal(size=(3000, 2)) + z[:, :2] @ np.array([[0.5, 1.0], [2e-3, -1e-3]])
    scale = np.sqrt((z * z).sum(0))[:, None]
    got, ref = _ml.least_squares(z, y) * scale, np.linalg.lstsq(z, y, rcond=None)[0] * scale
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    z[:, 4] = z[:, 0] + 1e-7 * rng.normal(size=3000)  # condition number ~1e14 after scaling
    np.testing.assert_array_equal(_ml.least_squares(z, y[:, 0]), np.linalg.lstsq(z, y[:, 0], rcond=None)[0])


# ------------------------------------------------------------------ shared traces and effects
def test_cached_trace_powers_equal_fresh():
    w = lattice(9)
    a = trace_powers(w, 10, n_vectors=20, seed=4)  # memoised on w
    b = trace_powers(w, 25, n_vectors=20, seed=4)  # extended
    c = stochastic_trace_powers(w.sparse, 25, n_vectors=20, seed=4)  # fresh, public
    np.testing.assert_array_equal(b[:12], a)
    np.testing.assert_array_equal(b, c)


@pytest.mark.parametrize("method", ["delta", "simulation"])
def test_shared_traces_give_identical_effects_stochastic(big, method):
    """N > 3,000 would be needed for the stochastic effects by default; force them here.
    The fit left its trace powers on W: effects from them equal effects computed on a
    fresh copy of W (nothing shared) exactly."""
    w, df = big
    res = fit(fresh(w), df, "sdm")
    a = compute_effects(res, method=method, draws=300, traces="stochastic")
    b = effects_from_estimates(res.params, res.cov, fresh(w), "sdm", method=method, draws=300,
                               traces="stochastic", regressors=res.x_names)
    for kind in ("direct", "indirect", "total"):
        pd.testing.assert_frame_equal(getattr(a, kind), getattr(b, kind), check_exact=True)


def test_fit_traces_give_exact_delta_effects():
    """N <= 2,000: the delta method takes tr(G), tr(GG) from the fit's exact traces; the
    eigenvalue formulas on a fresh W give the same effects (two exact routes: 1e-10)."""
    w = lattice(15)
    df = panel(w, 4, "sdm")
    res = fit(fresh(w), df, "sdm")
    assert res.extra["exact_traces"] is True and "eigenvalues" not in res.w.__dict__
    a = compute_effects(res, method="delta")
    assert "eigenvalues" not in res.w.__dict__  # not needed
    b = effects_from_estimates(res.params, res.cov, fresh(w), "sdm", method="delta", regressors=res.x_names)
    for kind in ("direct", "indirect", "total"):
        np.testing.assert_allclose(getattr(a, kind).to_numpy(), getattr(b, kind).to_numpy(), rtol=1e-10)


# ------------------------------------------------------------------ eigenvalues, contiguity
def test_banded_eigenvalues_equal_dense():
    """RCM + LAPACK banded solver against dense eigvalsh: both backward stable, 1e-12."""
    w = lattice(16)
    d = symmetrizer(w.sparse)
    s = np.sqrt(d)
    sym = sp.diags(s) @ w.sparse @ sp.diags(1.0 / s)
    dense = sym.toarray()
    np.testing.assert_allclose(symmetric_eigenvalues(sym), np.linalg.eigvalsh((dense + dense.T) / 2), atol=1e-12)


@pytest.mark.parametrize("order", ["given", "shuffled"])
def test_banded_path_equal_dense_in_both_orders(order):
    """N = 1,024 (above the dense cut-off): the banded solver runs in the given order (a
    lattice numbered row by row: band 33) or, shuffled, in RCM order (band < N / 8).
    Both solvers are backward stable: |error| <= c N eps ||S|| with ||S|| <= 1 (W
    row-standardised), ~1e-13 here; 1e-11 leaves room for the constant."""
    from spillmap.spatial._spectrum import _narrowest_band

    w = lattice(32)
    d = symmetrizer(w.sparse)
    s = np.sqrt(d)
    sym = (sp.diags(s) @ w.sparse @ sp.diags(1.0 / s)).tocsr()
    if order == "shuffled":
        perm = np.random.default_rng(0).permutation(sym.shape[0])
        sym = sym[perm][:, perm].tocsr()
    sym = ((sym + sym.T) * 0.5).tocsr()
    _, bw = _narrowest_band(sym)
    assert bw == 33 if order == "given" else 33 < bw < 1024 // 8
    dense = sym.toarray()
    np.testing.assert_allclose(symmetric_eigenvalues(sym), np.linalg.eigvalsh(dense), atol=1e-11)


def test_symmetrizer_non_binary_and_islands():
    rng = np.random.default_rng(2)
    c = sp.random(40, 40, density=0.15, random_state=3)
    c = (c + c.T).tocsr()
    c.setdiag(0)
    c.eliminate_zeros()
    c = c.tolil()
    c[5, :] = 0
    c[:, 5] = 0
    c = c.tocsr()
    c.eliminate_zeros()
    rs = np.asarray(c.sum(1)).ravel()
    w = sp.diags(np.where(rs > 0, 1 / np.where(rs > 0, rs, 1), 0)) @ c
    d = symmetrizer(w)
    a = (sp.diags(d) @ w).toarray()
    np.testing.assert_allclose(a, a.T, rtol=1e-12, atol=1e-15)
    wk = sp.csr_matrix(rng.random((6, 6)) * (1 - np.eye(6)))
    wk[0, 1] = 0
    wk.eliminate_zeros()
    assert symmetrizer(wk) is None  # asymmetric pattern


@pytest.mark.parametrize("rook", [False, True])
def test_vertex_contiguity_equals_libpysal_graph(rook):
    """Polygons of a jittered lattice plus a multipolygon and a polygon with a hole."""
    import geopandas as gpd
    import shapely
    from libpysal.graph import Graph

    from spillmap.spatial._contiguity import vertex_contiguity

    rng = np.random.default_rng(0)
    rows, cols = 6, 7
    gx, gy = np.meshgrid(np.arange(cols + 1, dtype=float), np.arange(rows + 1, dtype=float))
    gx += rng.uniform(-0.3, 0.3, gx.shape)
    gy += rng.uniform(-0.3, 0.3, gy.shape)
    polys = [shapely.Polygon([(gx[r, c], gy[r, c]), (gx[r, c + 1], gy[r, c + 1]), (gx[r + 1, c + 1], gy[r + 1, c + 1]),
                              (gx[r + 1, c], gy[r + 1, c])]) for r in range(rows) for c in range(cols)]
    polys[0] = shapely.MultiPolygon([polys[0], shapely.box(20, 20, 21, 21)])
    polys.append(shapely.box(21, 20, 22, 21))  # touches the multipolygon's second part
    polys.append(shapely.Polygon(shapely.box(30, 30, 34, 34).exterior, [shapely.box(31, 31, 33, 33).exterior]))
    polys.append(shapely.box(31, 31, 33, 33))  # fills the hole
    polys.append(shapely.box(50, 50, 51, 51))  # island
    g = gpd.GeoSeries(polys)
    mine = vertex_contiguity(g, rook=rook)
    ref = sp.csr_matrix(Graph.build_contiguity(g, rook=rook).sparse)
    ref.eliminate_zeros()  # libpysal keeps an island as a zero-weight self-loop
    ref.data[:] = 1.0
    assert (abs(mine - ref) > 0).nnz == 0 and mine.nnz == ref.nnz > 0


def test_fit_traces_binary_w_delta_effects():
    """A binary (not row-standardised) W: the conservative interval (-1/8, 1/8) may not
    hold rho-hat, the exact one is then taken from the eigenvalues; effects equal the
    eigenvalue route on a fresh W (two exact routes: 1e-10)."""
    from libpysal.weights import lat2W

    w = SpatialWeights.from_libpysal(lat2W(9, 9, rook=False), name="binary queen")
    rng = np.random.default_rng(7)
    t = 4
    x = rng.normal(size=(w.n * t, 2))
    e = rng.normal(size=w.n * t) + np.tile(rng.normal(size=w.n), t)
    a = np.kron(np.eye(t), np.eye(w.n) - 0.12 * w.toarray())
    y = np.linalg.solve(a, x @ np.array([1.0, -0.5]) + e)
    df = pd.DataFrame({"id": np.tile(np.array(w.ids), t), "time": np.repeat(np.arange(t), w.n), "y": y,
                       "x1": x[:, 0], "x2": x[:, 1]})
    res = fit(fresh(w), df, "sar", effects="individual", lee_yu="none")
    got = compute_effects(res, method="delta")
    want = effects_from_estimates(res.params, res.cov, fresh(w), "sar", method="delta", regressors=res.x_names)
    for kind in ("direct", "indirect", "total"):
        np.testing.assert_allclose(getattr(got, kind).to_numpy(), getattr(want, kind).to_numpy(), rtol=1e-10)
