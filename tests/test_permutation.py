"""The permutation kernel (spillmap.spatial._permutation).

References: brute-force loops written here over the *same* draws (exact integer
counts), a dense transcription of Moran's and Geary's numerators, and esda 2.9 for
the pseudo p-values (another random stream: agreement within the binomial Monte
Carlo error, see ``assert_mc_agree`` in test_moran.py).
"""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import scipy.sparse as sp

from spillmap.errors import WeightsWarning
from spillmap.spatial import _permutation as K
from spillmap.spatial.autocorrelation import geary, local_moran, moran
from spillmap.spatial.weights import SpatialWeights

esda = pytest.importorskip("esda")


def lattice(rows: int, cols: int, *, standardise: bool = True) -> sp.csr_matrix:
    """Queen contiguity of a rows x cols grid (dense construction, small sizes only)."""
    r, c = np.divmod(np.arange(rows * cols), cols)
    d = np.maximum(np.abs(r[:, None] - r[None, :]), np.abs(c[:, None] - c[None, :]))
    m = (d == 1).astype(float)
    if standardise:
        m /= m.sum(axis=1, keepdims=True)
    return sp.csr_matrix(m)


def unequal(m: sp.csr_matrix) -> sp.csr_matrix:
    """Two rows with unequal weights (and one unit with no neighbours kept out)."""
    lil = m.tolil()
    lil[0, 1] = 0.9
    lil[3, 4] = 0.2
    return sp.csr_matrix(lil)


def full_perms(n: int, permutations: int, seed: int) -> np.ndarray:
    """The full permutations of the kernel's documented stream, drawn here directly."""
    out = []
    for b, size in K._blocks(permutations):
        g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0, b))))
        out += [g.permutation(n) for _ in range(size)]
    return np.array(out)


@pytest.mark.parametrize("kind", ["standardised", "binary", "unequal"])
def test_local_counts_equal_brute_force_on_the_same_draws(kind):
    base = lattice(5, 6, standardise=kind != "binary")
    w = unequal(base) if kind == "unequal" else base
    n, perms = w.shape[0], 60
    z = np.random.default_rng(1).normal(size=(n, 3))
    z -= z.mean(axis=0)
    larger, undefined = K.local_counts(z, w, permutations=perms, seed=4)
    assert not undefined.any()
    card = np.diff(w.indptr)
    draws = K.conditional_draws(n, int(card.max()) + 1, perms, 4)
    assert all(len(set(row)) == len(row) for row in draws.tolist())  # distinct units per draw
    for col in range(3):
        zc = z[:, col]
        for i in range(n):
            nb = w.indices[w.indptr[i] : w.indptr[i + 1]]
            wi = w.data[w.indptr[i] : w.indptr[i + 1]]
            obs = zc[i] * (wi @ zc[nb])
            count = 0
            for p in range(perms):
                seq = [u for u in draws[p] if u != i][: card[i]]  # first k_i draws other than i
                count += zc[i] * float(np.dot(wi, zc[seq])) >= obs
            assert larger[i, col] == count, (kind, i, col)


@pytest.mark.parametrize("t", [1, 3])
def test_global_counts_equal_brute_force_on_the_same_draws(t):
    w = lattice(4, 5)
    n, perms = w.shape[0], 40
    z = np.random.default_rng(2).normal(size=(n * t, 4))
    z -= z.mean(axis=0)
    ge_m, ge_g = K.global_counts(z, w, t=t, permutations=perms, seed=9)
    big = sp.kron(sp.identity(t), w).toarray()  # I_T kron W, dense
    pi = full_perms(n * t, perms, 9)
    for col in range(4):
        zc = z[:, col]

        def num(v):
            return v @ big @ v, np.sum(big * (v[:, None] - v[None, :]) ** 2)

        om, og = num(zc)
        sims = np.array([num(zc[p]) for p in pi])
        # dense and sparse numerators differ by rounding only; no simulated value is
        # that close to the observed one here, so the counts are exact
        assert np.min(np.abs(sims[:, 0] - om)) > 1e-9 and np.min(np.abs(sims[:, 1] - og)) > 1e-9
        assert ge_m[col] == np.sum(sims[:, 0] >= om)
        assert ge_g[col] == np.sum(sims[:, 1] >= og)


def test_value_shuffle_equals_index_permutation():
    # the one-column path shuffles the values, the many-column path indexes by a
    # permutation of positions; both must be one Fisher-Yates of the same stream
    z = np.random.default_rng(0).normal(size=1001)
    a = np.random.Generator(np.random.PCG64(5)).permutation(z)
    b = z[np.random.Generator(np.random.PCG64(5)).permutation(z.size)]
    np.testing.assert_array_equal(a, b)


def test_same_counts_whatever_threads_batching_and_columns():
    w = lattice(6, 7)
    n = w.shape[0]
    z = np.random.default_rng(3).normal(size=(n * 2, 5))
    z -= z.mean(axis=0)
    ref = K.global_counts(z, w, t=2, permutations=77, seed=1)
    for threads in (2, 3):
        got = K.global_counts(z, w, t=2, permutations=77, seed=1, threads=threads)
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_array_equal(got[1], ref[1])
    for col in range(5):  # one column at a time (the row layout) equals the batch
        one = K.global_counts(z[:, col], w, t=2, permutations=77, seed=1)
        assert (one[0][0], one[1][0]) == (ref[0][col], ref[1][col])
    zl = z[:n]
    loc = K.local_counts(zl, w, permutations=77, seed=1)[0]
    for col in range(5):
        np.testing.assert_array_equal(K.local_counts(zl[:, col], w, permutations=77, seed=1)[0][:, 0], loc[:, col])


def within_perms(n: int, t: int, permutations: int, seed: int) -> np.ndarray:
    """The within-period permutations of the documented stream (kind 2), drawn here directly."""
    out, offsets = [], np.repeat(np.arange(t) * n, n)
    for b, size in K._blocks(permutations):
        g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(2, b))))
        out += [g.permuted(np.tile(np.arange(n), (t, 1)), axis=1).ravel() + offsets for _ in range(size)]
    return np.array(out)


@pytest.mark.parametrize("within", [False, True])
@pytest.mark.parametrize("elements", [None, 2 * 126])  # the default width; batches of two (m = 42 x 3 = 126)
def test_one_column_equals_many_columns(within, elements, monkeypatch):
    # 33 = 16 + 16 + 1 permutations: a block of one (a lone column gets a copy alongside);
    # a small _ELEMENTS makes the one-vector batches two columns wide (a tail of one in each block)
    if elements:
        monkeypatch.setattr(K, "_ELEMENTS", elements)
    w = unequal(lattice(6, 7))
    n, t = w.shape[0], 3
    z = np.random.default_rng(5).normal(size=(n * t, 4))
    z -= z.mean(axis=0)
    for perms in (33, 77):
        ref = K.global_counts(z, w, t=t, permutations=perms, seed=2, within=within)
        assert ((0 < ref[0]) & (ref[0] < perms)).sum() >= 3  # mostly not trivially at the floor or ceiling
        for col in range(4):
            for threads in (1, 2):
                one = K.global_counts(z[:, col], w, t=t, permutations=perms, seed=2, within=within, threads=threads)
                assert (one[0][0], one[1][0]) == (ref[0][col], ref[1][col]), (perms, col, threads)


@pytest.mark.parametrize("within", [False, True])
def test_moran_counts_without_geary(within):
    w = unequal(lattice(5, 6))
    n, t = w.shape[0], 2
    z = np.random.default_rng(6).normal(size=(n * t, 3))
    z -= z.mean(axis=0)
    for zz in (z, z[:, 1]):  # many columns and one
        full = K.global_counts(zz, w, t=t, permutations=45, seed=3, within=within)
        for threads in (1, 2):
            mor, gea = K.global_counts(zz, w, t=t, permutations=45, seed=3, within=within, threads=threads, geary=False)
            assert gea is None
            np.testing.assert_array_equal(mor, full[0])


@pytest.mark.parametrize("within", [False, True])
def test_permutations_that_reproduce_the_data_tie(within):
    """Two equal high values among equal low ones, on a W of random (asymmetric) weights:
    a permutation reproduces the data exactly when it puts the high values back on their
    places, and must then count as a tie (>=); every other placement differs clearly.
    (Full permutations: one period, else the same places in another period would tie too.)"""
    rng = np.random.default_rng(7)
    n, t, perms = (8, 2, 999) if within else (16, 1, 999)
    w = sp.csr_matrix(rng.uniform(0.1, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < 0.6) * (1 - np.eye(n)))
    z = np.full(n * t, -0.3)
    z[[1, 2]] = 1.7  # both in the first period
    big = sp.kron(sp.identity(t), w).toarray()
    pi = within_perms(n, t, perms, 3) if within else full_perms(n * t, perms, 3)
    same = np.array([set(np.flatnonzero(z[p] > 0)) == {1, 2} for p in pi])
    assert same.sum() >= 3  # the stream does reproduce the data several times (1/120 or 1/28 a draw)
    for stat, col in (("moran", 0), ("geary", 1)):
        def num(v):
            return v @ big @ v if stat == "moran" else np.sum(big * (v[:, None] - v[None, :]) ** 2)

        obs, sims = num(z), np.array([num(z[p]) for p in pi[~same]])
        # dense and sparse sums of O(1) terms differ by rounding (~1e-15): a gap above 1e-9 is no tie
        assert np.min(np.abs(sims - obs)) > 1e-9
        expected = same.sum() + np.sum(sims > obs)
        for zz in (z, np.column_stack([z, z[::-1]])):  # one column, and many
            got = K.global_counts(zz, w, t=t, permutations=perms, seed=3, within=within)
            assert got[col][0] == expected, (stat, zz.ndim)


def test_numerators_equal_dense_formulas():
    w = unequal(lattice(4, 4))
    z = np.random.default_rng(4).normal(size=(16, 2))
    mor, gea = K.global_numerators(z, w)
    d = w.toarray()
    for col in range(2):
        v = z[:, col]
        assert mor[col] == pytest.approx(v @ d @ v, rel=1e-13)  # two exact sums, rounding only
        assert gea[col] == pytest.approx(np.sum(d * (v[:, None] - v[None, :]) ** 2), rel=1e-12)


def test_degenerate_units_get_p_one():
    m = lattice(3, 3).tolil()
    m[8, :] = 0  # unit 8 loses its links (an island) ...
    m[:, 8] = 0
    w = SpatialWeights(sp.csr_matrix(m), [f"u{i}" for i in range(9)])
    y = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9])  # ... and unit 4 (5.0) is exactly the mean: z = 0
    with pytest.warns(WeightsWarning, match="island"):
        out = local_moran(y, w, permutations=99, seed=0)
    assert out.loc["u8", "p_perm"] == 1.0 and out.loc["u4", "p_perm"] == 1.0
    assert out.loc["u4", "z"] == 0.0


def test_derive_seed_is_blake2b_of_the_key():
    # transcription of the documented rule: blake2b-64 of repr((seed, str(keys)...)), halved
    ref = int.from_bytes(hashlib.blake2b(repr((7, "queen", "2010")).encode(), digest_size=8).digest(), "little") >> 1
    assert K.derive_seed(7, "queen", 2010) == ref
    assert K.derive_seed(7, "queen", 2011) != ref and K.derive_seed(8, "queen", 2010) != ref
    assert 0 <= ref < 2**63


@pytest.mark.filterwarnings("ignore:The alternative hypothesis:DeprecationWarning")
def test_moderate_p_values_agree_with_esda():
    """A variable with no spatial structure: p-values spread over (0, 1).

    Independent streams: each pseudo p-value within 5 standard errors of the
    difference of two binomial estimates (``agree_within_mc``); seeds fixed.
    """
    import libpysal

    wl = libpysal.weights.lat2W(7, 7, rook=False)
    w = SpatialWeights.from_libpysal(wl).row_standardize()
    y = np.random.default_rng(11).normal(size=49)
    perms = 4999
    r, g = moran(y, w, permutations=perms, seed=1), geary(y, w, permutations=perms, seed=1)
    np.random.seed(3)
    wl.transform = "r"
    m = esda.Moran(y, wl, permutations=perms)
    gr = esda.Geary(y, wl, permutations=perms)
    assert 0.05 < r.p_perm < 0.5 and 0.05 < g.p_perm < 0.5  # not trivially at the floor
    assert K.agree_within_mc([r.p_perm, g.p_perm], [m.p_sim, gr.p_sim], perms).all()
    lisa = local_moran(y, w, permutations=perms, seed=1)
    ref = esda.Moran_Local(y, wl, permutations=perms, seed=5)
    assert K.agree_within_mc(lisa["p_perm"].to_numpy(), ref.p_sim, perms).all()
