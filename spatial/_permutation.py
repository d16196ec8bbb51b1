r"""Permutation inference for Moran's I, Geary's C and local Moran, vectorised.

Written by hand with NumPy/SciPy (no library does it for many columns at once):
esda's global statistics loop over permutations in Python, one variable at a time,
and its conditional-permutation kernel needs numba to be fast (without numba it is a
Python loop over units).  Here one set of random draws serves every column given in
a call (indicators x periods), and all work is done by array operations.

**Random streams.**  Draws come in fixed blocks of :data:`BLOCK` permutations; block
``b`` of kind ``k`` (0: full permutations, 1: conditional draws) uses
``Generator(PCG64(SeedSequence(seed, spawn_key=(k, b))))``.  The blocks do not
depend on the number of columns, the batching or the thread count, so the same
seed gives the same p-values whatever the threads, workers or chunking.
:func:`derive_seed` turns a seed and a task key (weights name, period) into the
seed of that key's stream.

**Global statistics** (full permutations of the ``m = n t`` stacked values, lags
taken period by period as with ``I_T kron W``).  With ``U = triu(W + W', 1)``,
``r`` and ``c`` the row and column sums of W and ``z`` the centred values,

.. math::

    z'Wz = z'Uz, \qquad
    \sum_{ij} w_{ij}(z_i - z_j)^2 = \sum_i (r_i + c_i) z_i^2 - 2 z'Uz,

so a permutation costs one sparse product with half the links of W and the Geary
numerator comes with the Moran one (``geary=False`` skips it).  Permuted copies are
columns of an (m, Q) batch, Q >= 2, summed by one multi-vector sparse product and
fused column sums; for one long vector they are shuffled as rows (contiguous, fast)
and transposed into the batch.  The observed numerators are computed by the same
function on the unpermuted values (two identical columns for one vector), so a
permutation that reproduces the data ties exactly.  Counts are ``#{sim >= observed}``
(esda's ``larger``).

**Local Moran** (conditional permutation, Anselin 1995): for unit ``i`` with ``k_i``
neighbours the lag is recomputed from ``k_i`` values drawn without replacement from
the other ``n - 1`` units.  As in esda, the draws of one permutation are shared by
all units: ``R[p]`` holds ``k_max + 1`` distinct unit indices in random order, and
unit ``i`` uses the first ``k_i`` entries of ``R[p]`` other than ``i`` itself (a
uniformly random ordered sample of the others).  For rows whose weights are all
equal (row-standardised or binary contiguity, k-nearest neighbours) the simulated
lag of every unit with ``k`` neighbours is a prefix sum of ``z[R[p]]``, shared by
all units with that cardinality: the counts come from one sort per cardinality and a
binary search per unit, then a correction for the draws that hit unit ``i`` itself.
Rows with unequal weights are summed draw by draw.  ``I_i^{sim} \ge I_i`` is
``lag^{sim} \ge lag`` when ``z_i > 0`` and ``lag^{sim} \le lag`` when ``z_i < 0``.

Verification (``tests/test_permutation.py``): :func:`global_counts` equals brute-force counts over
the same permutations, drawn there from the documented stream, with dense ``I_T kron W``
numerators (exact integer counts, T = 1 and 3), identical for 1-3 threads and one or many columns
(full and within-period), with and without the Geary numerator, and ties of permutations that
reproduce the data counted;
:func:`global_numerators` equals the dense sums (1e-13, 1e-12), :func:`derive_seed` a transcription
of its blake2b rule.  Pseudo p-values of moran, geary and local_moran agree with esda 2.9 within
:func:`agree_within_mc` (also ``tests/test_moran.py``, Columbus, 9,999 permutations).
"""
from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

__all__ = [
    "BLOCK",
    "column_sums",
    "conditional_draws",
    "derive_seed",
    "folded_p",
    "global_counts",
    "global_numerators",
    "local_counts",
    "mc_se",
    "agree_within_mc",
]

#: permutations per random-stream block (fixed: results never depend on batching)
BLOCK = 16
#: working arrays are kept below about this many float64 values (32 MB)
_ELEMENTS = 4_000_000
#: batches of permuted columns hold about this many values (2 MB: they stay in cache)
_BATCH = 1 << 18
_FULL, _CONDITIONAL, _WITHIN = 0, 1, 2  # the streams of full, conditional and within-period permutations


# ----------------------------------------------------------------------------- streams
def _entropy(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    return int(seed)


def derive_seed(seed: int, *key: object) -> int:
    """A 63-bit seed for the stream of ``key`` (e.g. weights name and period).

    ``blake2b`` of ``repr((seed, str(k) ...))``: stable across platforms and Python
    versions, and unrelated for different keys.
    """
    text = repr((int(seed),) + tuple(str(k) for k in key)).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little") >> 1


def _rng(entropy: int, kind: int, block: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(kind, block))))


def _blocks(permutations: int) -> list[tuple[int, int]]:
    return [(b, min(BLOCK, permutations - b * BLOCK)) for b in range(-(-permutations // BLOCK))]


def folded_p(larger: np.ndarray, permutations: int) -> np.ndarray:
    """esda's folded pseudo p-value ``(min(larger, perm - larger) + 1) / (perm + 1)``."""
    larger = np.asarray(larger)
    return (np.minimum(larger, permutations - larger) + 1.0) / (permutations + 1.0)


def mc_se(p: np.ndarray, permutations: int) -> np.ndarray:
    """Binomial Monte Carlo standard error ``sqrt(q (1 - q) / perm)`` of a pseudo p-value.

    ``q`` is the estimated tail probability (the pseudo p-value, floored at
    ``1/perm``); the standard error of the estimate from ``perm`` independent draws.
    """
    q = np.clip(np.asarray(p, dtype=float), 1.0 / permutations, 1.0)
    return np.sqrt(q * (1.0 - q) / permutations)


def agree_within_mc(p1, p2, permutations: int, *, sigmas: float = 5.0) -> np.ndarray:
    """Whether two independent pseudo p-values estimate the same tail probability.

    Their difference has standard error ``sqrt(2) * mc_se(q)`` with ``q`` their
    mean; they agree when it is within ``sigmas`` of those (5: a false alarm below
    1e-6 per comparison) plus one count, ``1/(perm + 1)``, for the discreteness of
    ``(count + 1)/(perm + 1)``.
    """
    p1, p2 = np.asarray(p1, dtype=float), np.asarray(p2, dtype=float)
    q = np.minimum((p1 + p2) / 2.0, 0.5)
    tol = sigmas * np.sqrt(2.0) * mc_se(q, permutations) + 1.0 / (permutations + 1.0)
    return np.abs(p1 - p2) <= tol


def _as_columns(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=float)
    return np.ascontiguousarray(z[:, None] if z.ndim == 1 else z)


# ----------------------------------------------------------------------------- global
def _upper(w: sp.spmatrix) -> tuple[sp.csr_matrix, np.ndarray]:
    """``U = triu(W + W', 1)`` and ``r + c`` (row plus column sums of W)."""
    m = sp.csr_matrix(w, dtype=float)
    up = sp.triu(m + m.T, k=1, format="csr")
    up.sort_indices()
    rc = np.asarray(m.sum(axis=1)).ravel() + np.asarray(m.sum(axis=0)).ravel()
    return up, rc


def column_sums(a: np.ndarray) -> np.ndarray:
    """Sums of the columns of ``a`` (m, q), each by NumPy's pairwise summation over m.

    The columns are copied to rows first, so a column's sum does not depend on how
    many other columns are batched with it (NumPy sums a strided axis sequentially
    but a contiguous one pairwise).
    """
    return np.ascontiguousarray(np.asarray(a).T).sum(axis=1)


def _numerators(x: np.ndarray, up: sp.csr_matrix, rc: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Moran ``z'Wz`` and Geary ``sum w (z_i - z_j)^2`` of each column of ``x`` (m, q)."""
    n = up.shape[0]
    lag = np.empty_like(x)
    for s in range(t):
        lag[s * n : (s + 1) * n] = up @ x[s * n : (s + 1) * n]
    mor = column_sums(x * lag)
    gea = column_sums((np.tile(rc, t)[:, None] * x) * x) - 2.0 * mor
    return mor, gea


def global_numerators(z: np.ndarray, w: sp.spmatrix, *, t: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Observed Moran and Geary numerators, as the permutation counts compare them."""
    up, rc = _upper(w)
    return _numerators(_as_columns(z), up, rc, t)


try:  # SciPy's sparse x dense kernel, accumulating into a buffer we own
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except ImportError:  # pragma: no cover - a SciPy without it: the public product
    _csr_matvecs = None


def _lag_into(up: sp.csr_matrix, x: np.ndarray, out: np.ndarray, t: int) -> None:
    """``out = (I_t kron U) x`` for C-contiguous ``x`` (m,) or (m, Q), without allocating.

    Dask workers set ``MALLOC_TRIM_THRESHOLD_``, which makes every large temporary
    array cost fresh pages: with ``up @ x`` per batch the kernel ran 6 times slower
    on a worker than in a plain process.  Same arithmetic as ``up @ x`` (each row's
    links summed in order).
    """
    n = up.shape[0]
    q = x.shape[1] if x.ndim == 2 else 1
    if _csr_matvecs is None:  # pragma: no cover
        for s in range(t):
            out[s * n : (s + 1) * n] = up @ x[s * n : (s + 1) * n]
        return
    out.fill(0.0)
    xf, of = x.reshape(-1), out.reshape(-1)
    for s in range(t):
        _csr_matvecs(n, n, q, up.indptr, up.indices, up.data, xf[s * n * q : (s + 1) * n * q],
                     of[s * n * q : (s + 1) * n * q])


def _numerators_cols(x: np.ndarray, up: sp.csr_matrix, rct: np.ndarray, t: int, lag=None,
                     geary: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """Permutation numerators of the columns of ``x`` (m, Q), Q >= 2, fused sums.

    ``einsum`` adds the rows one after the other for every column (the columns are
    the contiguous axis), so a column's value does not depend on Q as long as Q >= 2;
    the observed values are computed by this same function (see
    :func:`_column_chunks` and :func:`_one_vector_block`), so an exact tie is a tie.
    ``lag``: a buffer to reuse.  ``geary=False``: no Geary numerator (``None``).
    """
    lag = np.empty_like(x) if lag is None else lag
    _lag_into(up, x, lag, t)
    mor = np.einsum("ij,ij->j", x, lag)
    gea = np.einsum("i,ij,ij->j", rct, x, x) - 2.0 * mor if geary else None
    return mor, gea


def _column_chunks(c: int, width: int) -> list[tuple[int, int]]:
    """Chunks of at least two columns (a lone column would be summed differently)."""
    width = max(2, width)
    bounds = list(range(0, c, width)) + [c]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < 2:
        del bounds[-2]
    return list(zip(bounds[:-1], bounds[1:]))


def _one_vector_block(z, up, rct, t, rng, size, within, obs, work, geary):
    """Counts ``#{sim >= obs}`` over ``size`` permutations of one long vector ``z`` (m,).

    The permuted copies are the rows of ``work[0]``, values shuffled in place (the
    documented stream), transposed into an (m, q) C-ordered batch so that one
    multi-vector sparse product and fused column sums serve them all
    (:func:`_numerators_cols`); ``obs`` comes from the same function on two identical
    columns.  ``work``: the rows and two flat batch buffers, reused (see :func:`_lag_into`).
    """
    rows, xbuf, lbuf = work
    m, width = z.shape[0], rows.shape[0]
    ge_m = ge_g = 0
    for p0 in range(0, size, width):
        r = min(width, size - p0)
        for j in range(r):
            # the same swaps as Generator.permutation(z) and as z[rng.permutation(m)] (tested)
            rows[j] = z
            if within:  # every period's block of n values shuffled on its own, in one call
                block_view = rows[j].reshape(t, m // t)
                rng.permuted(block_view, axis=1, out=block_view)
            else:
                rng.shuffle(rows[j])
        q = max(r, 2)  # a lone column would be summed differently: a copy of it goes alongside
        if r == 1:
            rows[1] = rows[0]
        x = xbuf[: m * q].reshape(m, q)
        np.copyto(x, rows[:q].T)
        mor, gea = _numerators_cols(x, up, rct, t, lbuf[: m * q].reshape(m, q), geary)
        ge_m += int((mor[:r] >= obs[0]).sum())
        if geary:
            ge_g += int((gea[:r] >= obs[1]).sum())
    return np.array([ge_m]), np.array([ge_g])


def _global_block(zc, up, rct, t, entropy, block, size, within=False, geary=True):
    """Counts ``#{sim >= obs}`` over the ``size`` permutations of one block of the columns
    of ``zc`` (m, c), c >= 2 (``within``: each period's values shuffled among that period's
    units only).

    The working arrays are allocated once per block and reused (see :func:`_lag_into`).
    """
    m, c = zc.shape
    n = m // t
    rng = _rng(entropy, _WITHIN if within else _FULL, block)
    ge_m = np.zeros(c, dtype=np.int64)
    ge_g = np.zeros(c, dtype=np.int64)
    if within:
        offsets = np.repeat(np.arange(t) * n, n)
        perms = np.stack([rng.permuted(np.tile(np.arange(n), (t, 1)), axis=1).ravel() + offsets
                          for _ in range(size)])
    else:
        perms = np.stack([rng.permutation(m) for _ in range(size)])  # (size, m)
    for c0, c1 in _column_chunks(c, _BATCH // m):
        zq = np.ascontiguousarray(zc[:, c0:c1])
        q = c1 - c0
        obs_m, obs_g = _numerators_cols(zq, up, rct, t, geary=geary)
        per = max(1, min(size, _BATCH // (m * q)))
        xbuf, lbuf = np.empty((m, per, q)), np.empty((m, per * q))
        for p0 in range(0, size, per):
            idx = perms[p0 : p0 + per]
            r = idx.shape[0]
            x = np.take(zq, idx.T, axis=0, out=xbuf, mode="clip") if r == per else zq[idx.T]  # clip: unbuffered
            x = x.reshape(m, r * q)  # (m, perms * q), permutation-major
            mor, gea = _numerators_cols(x, up, rct, t, lbuf if r == per else None, geary)
            ge_m[c0:c1] += (mor.reshape(-1, q) >= obs_m).sum(axis=0)
            if geary:
                ge_g[c0:c1] += (gea.reshape(-1, q) >= obs_g).sum(axis=0)
    return ge_m, ge_g


def _block_runner(zc, up, rc, t, entropy, within, geary, permutations):
    """The function counting one job ``(block, size)``; one long vector gets its observed
    numerators once and per-thread buffers (``threading.local``) reused across blocks."""
    rct = np.tile(rc, t)
    m, c = zc.shape
    if c > 1:
        return lambda job: _global_block(zc, up, rct, t, entropy, job[0], job[1], within, geary)
    z = zc[:, 0]
    obs = _numerators_cols(np.repeat(zc, 2, axis=1), up, rct, t, geary=geary)
    obs = (obs[0][0], obs[1][0] if geary else None)
    width = max(2, min(BLOCK, permutations, _ELEMENTS // m))  # rows + 2 batches: 3 width m values
    local = threading.local()

    def run(job):
        if not hasattr(local, "work"):
            local.work = (np.empty((width, m)), np.empty(width * m), np.empty(width * m))
        rng = _rng(entropy, _WITHIN if within else _FULL, job[0])
        return _one_vector_block(z, up, rct, t, rng, job[1], within, obs, local.work, geary)

    return run


def global_counts(
    z: np.ndarray,
    w: sp.spmatrix,
    *,
    t: int = 1,
    permutations: int,
    seed: int | None,
    threads: int = 1,
    within: bool = False,
    geary: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Permutation counts of global Moran's I and Geary's C for many columns.

    Parameters
    ----------
    z
        ``(m,)`` or ``(m, c)`` centred values, ``m = n t`` stacked time-major (all
        units in W's order for the first period, then the second ...).
    w
        The n x n weights, used as given.
    t
        Number of periods: permutations shuffle all ``m`` values; lags are taken
        within each period (``I_T kron W``).
    permutations, seed
        Number of full permutations and the seed of their stream (shared by all
        columns).  ``None``: fresh entropy.
    threads
        Blocks of permutations run on this many threads (same result for any value).
    within
        Shuffle each period's values among that period's units only (the randomisation of
        period-demeaned data), not all ``m`` values.
    geary
        ``False``: count Moran only (the Geary numerator is not computed; Moran's counts
        are the same as with ``True``).

    Returns
    -------
    (moran_ge, geary_ge)
        ``(c,)`` counts of permutations whose Moran (Geary) numerator is at least
        the observed one; :func:`folded_p` turns them into esda's pseudo p-values.
        ``geary_ge`` is ``None`` when ``geary=False``.
    """
    zc = _as_columns(z)
    up, rc = _upper(w)
    jobs = _blocks(permutations)
    run = _block_runner(zc, up, rc, t, _entropy(seed), within, geary, permutations)
    if threads > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=int(threads)) as pool:
            parts = list(pool.map(run, jobs))
    else:
        parts = [run(j) for j in jobs]
    ge_m = np.zeros(zc.shape[1], dtype=np.int64)
    ge_g = np.zeros(zc.shape[1], dtype=np.int64)
    for a, b in parts:
        ge_m += a
        ge_g += b
    return ge_m, (ge_g if geary else None)


from spillmap.spatial._conditional import conditional_draws, local_counts  # noqa: E402  (re-exported)
