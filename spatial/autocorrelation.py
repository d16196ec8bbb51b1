"""Global and local spatial autocorrelation: Moran's I, Geary's C, LISA.

Library used: **esda** (``esda.Moran``, ``esda.Geary``, ``esda.fdr``) computes the
cross-sectional statistics and their analytic moments; spillmap passes it a fresh
libpysal ``W`` built from the caller's :class:`~spillmap.spatial.weights.SpatialWeights`
(esda sets ``w.transform``, so the caller's weights are never mutated) with
``transformation="O"``: **the weights are used as given** -- row-standardise first
(``w.row_standardize()``) for the usual row-standardised statistics.

Written by hand (and why):

* the permutation inference (:mod:`spillmap.spatial._permutation`): one vectorised
  kernel for global Moran/Geary and the conditional-permutation LISA, with its own
  seeded streams (NumPy's global generator is never touched), the same p-values for
  a seed whatever the thread count, and one set of draws shared by many columns (the
  periods of :func:`moran_by_period`, the indicators of :func:`spillmap.screen`);
  esda loops over permutations in Python and, without numba, over units too;
* the panel plumbing (:func:`panel_array`): checks and reshapes a long
  ``(id, time)`` panel into a balanced ``(T, N, k)`` array in the weights' id order,
  with errors naming the column, id, period or ``(id, time)`` cell at fault;
* the pooled Moran's I on the stacked panel with ``I_T kron W`` (lags period by
  period, never an NT x NT matrix; esda would need a libpysal ``W`` of all NT
  observations), with the Cliff-Ord moments (:func:`moran_moments`);
* the local Moran statistic itself (a few array operations; esda's ``Moran_Local``
  would run its own permutations);
* two-sided normal p-values, recomputed with ``norm.sf`` from esda's z values.
"""
from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from spillmap.errors import DataError, InputError, WeightsError, format_items
from spillmap.results import finite_or_none
from spillmap.spatial import _permutation as perm
from spillmap.spatial.weights import SpatialWeights, warn_islands

__all__ = [
    "MoranResult",
    "GearyResult",
    "moran",
    "moran_by_period",
    "moran_pooled",
    "geary",
    "local_moran",
    "local_moran_arrays",
    "panel_array",
    "block_diagonal",
    "moran_moments",
]

_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


# ----------------------------------------------------------------------------- results
def _fmt_p(p: float) -> str:
    return "nan" if p is None or (isinstance(p, float) and math.isnan(p)) else f"{p:.4g}"


@dataclass(frozen=True)
class MoranResult:
    """Global Moran's I with its normal, randomisation and permutation inference.

    Attributes
    ----------
    I, EI
        The statistic and its expectation ``-1/(n-1)`` under no autocorrelation.
    var_norm, var_rand
        Variance of I under the normality and the randomisation assumption.
    z_norm, z_rand
        ``(I - EI) / sqrt(var)``.
    p_norm, p_rand
        Two-sided p-values ``2 * norm.sf(|z|)``.
    p_perm
        esda's pseudo p-value ``(min(#{I_sim >= I}, perm - #{I_sim >= I}) + 1)/(perm + 1)``
        (a folded one-sided value); ``nan`` when ``permutations == 0``.
    permutations
        Number of random permutations.
    n
        Number of observations.
    """

    I: float  # noqa: E741 - the statistic's name
    EI: float
    var_norm: float
    var_rand: float
    z_norm: float
    z_rand: float
    p_norm: float
    p_rand: float
    p_perm: float
    permutations: int
    n: int

    def to_dict(self) -> dict:
        """``{"I", "EI", "z", "p", "p_perm"}`` with the **randomisation** z and p.

        Randomisation inference (no normality assumption on y) is also the default
        of R spdep's ``moran.test``.  ``p_perm`` is ``None`` without permutations.
        """
        return {
            "I": float(self.I),
            "EI": float(self.EI),
            "z": float(self.z_rand),
            "p": float(self.p_rand),
            "p_perm": finite_or_none(self.p_perm),
        }

    def __repr__(self) -> str:
        perm = f", pseudo-p={_fmt_p(self.p_perm)} ({self.permutations} perm.)" if self.permutations else ""
        return (
            f"Moran's I={self.I:.6f} (E[I]={self.EI:.6f}), z={self.z_rand:.4f}, "
            f"p={_fmt_p(self.p_rand)} (randomisation, two-sided){perm}, n={self.n}"
        )

    def _repr_html_(self) -> str:
        rows = [
            ("I", f"{self.I:.6f}"),
            ("E[I]", f"{self.EI:.6f}"),
            ("z (randomisation)", f"{self.z_rand:.4f}"),
            ("p (randomisation, two-sided)", _fmt_p(self.p_rand)),
            ("z (normality)", f"{self.z_norm:.4f}"),
            ("p (normality, two-sided)", _fmt_p(self.p_norm)),
            ("pseudo p (permutations)", f"{_fmt_p(self.p_perm)} ({self.permutations})"),
            ("n", str(self.n)),
        ]
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
        return f"<table><caption>Moran's I</caption>{body}</table>"


@dataclass(frozen=True)
class GearyResult:
    """Geary's C with normal, randomisation and permutation inference.

    ``C < 1`` means positive spatial autocorrelation.  p-values as in
    :class:`MoranResult` (two-sided ``2 * norm.sf(|z|)``; esda's pseudo p).
    """

    C: float
    EC: float
    var_norm: float
    var_rand: float
    z_norm: float
    z_rand: float
    p_norm: float
    p_rand: float
    p_perm: float
    permutations: int
    n: int

    def to_dict(self) -> dict:
        """``{"C", "EC", "z", "p", "p_perm"}`` with the randomisation z and p."""
        return {
            "C": float(self.C),
            "EC": float(self.EC),
            "z": float(self.z_rand),
            "p": float(self.p_rand),
            "p_perm": finite_or_none(self.p_perm),
        }

    def __repr__(self) -> str:
        perm = f", pseudo-p={_fmt_p(self.p_perm)} ({self.permutations} perm.)" if self.permutations else ""
        return (
            f"Geary's C={self.C:.6f} (E[C]=1), z={self.z_rand:.4f}, "
            f"p={_fmt_p(self.p_rand)} (randomisation, two-sided){perm}, n={self.n}"
        )

    def _repr_html_(self) -> str:
        rows = [
            ("C", f"{self.C:.6f}"),
            ("z (randomisation)", f"{self.z_rand:.4f}"),
            ("p (randomisation, two-sided)", _fmt_p(self.p_rand)),
            ("pseudo p (permutations)", f"{_fmt_p(self.p_perm)} ({self.permutations})"),
            ("n", str(self.n)),
        ]
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
        return f"<table><caption>Geary's C</caption>{body}</table>"


# ----------------------------------------------------------------------------- helpers
def _two_sided(z: float) -> float:
    return float(2.0 * stats.norm.sf(abs(z))) if np.isfinite(z) else math.nan


def _check_permutations(permutations: int) -> int:
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 0:
        raise InputError(f"permutations must be a non-negative integer, got {permutations!r}.")
    return int(permutations)


def _check_seed_threads(seed: int | None, threads: int) -> None:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise InputError(f"seed must be a non-negative integer or None, got {seed!r}.")
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise InputError(f"threads must be a positive integer, got {threads!r}.")


def _pseudo_p(y: np.ndarray, w: SpatialWeights, t: int, permutations: int, seed, threads: int):
    """Folded pseudo p-values of Moran's I and Geary's C for the columns of ``y`` (m, c)."""
    if not permutations:
        nan = np.full(np.shape(y)[1] if np.ndim(y) > 1 else 1, math.nan)
        return nan, nan
    z = y - perm.column_sums(y) / y.shape[0]
    ge_m, ge_g = perm.global_counts(z, w.sparse, t=t, permutations=permutations, seed=seed, threads=threads)
    return perm.folded_p(ge_m, permutations), perm.folded_p(ge_g, permutations)


def _vector(y, w: SpatialWeights, name: str) -> np.ndarray:
    """``y`` as a float vector in the order of ``w.ids``.

    A pandas Series whose index holds the unit ids is reordered to ``w.ids``;
    anything else is taken to be in ``w``'s order already.
    """
    if not isinstance(w, SpatialWeights):
        raise InputError(f"w must be a spillmap SpatialWeights, got {type(w).__name__}.")
    if isinstance(y, pd.Series) and not isinstance(y.index, pd.RangeIndex):
        idx = [str(i) for i in y.index]
        if idx != list(w.ids):
            if set(idx) != set(w.ids) or len(idx) != w.n:
                w.align(idx)  # raises a WeightsError listing the mismatches
            y = pd.Series(y.to_numpy(), index=idx).reindex(list(w.ids))
    try:
        arr = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"variable {name!r} is not numeric: {exc}") from None
    if arr.shape[0] != w.n:
        raise DataError(f"variable {name!r} has {arr.shape[0]} values but the weights have {w.n} units.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataError(
            f"variable {name!r} has missing or infinite values for ids "
            f"{format_items([w.ids[i] for i in np.flatnonzero(bad)])}; drop or impute them first."
        )
    return arr


def _check_variance(y: np.ndarray, name: str, where: str = "") -> None:
    scale = max(1.0, float(np.max(np.abs(y))))
    if y.size < 2 or float(np.std(y)) <= 1e-13 * scale:
        value = f" (all values equal {y[0]:g})" if y.size else ""
        raise DataError(
            f"variable {name!r}{where} has zero variance{value}; "
            "spatial autocorrelation is undefined for a constant."
        )


def _check_links(w: SpatialWeights) -> None:
    if w.nnz == 0:
        raise WeightsError(f"weights {w.name or ''} have no neighbour links at all; nothing to test.")
    warn_islands(w, stacklevel=4)  # islands: a WeightsWarning naming them (errors helper, issue 8)


def _esda_w(w: SpatialWeights):
    """A fresh libpysal W (esda mutates ``w.transform``; the caller's object is untouched)."""
    return w.to_libpysal()


def _moran_from_esda(m, permutations: int, p_perm: float) -> MoranResult:
    return MoranResult(
        I=float(m.I),
        EI=float(m.EI),
        var_norm=float(m.VI_norm),
        var_rand=float(m.VI_rand),
        z_norm=float(m.z_norm),
        z_rand=float(m.z_rand),
        p_norm=_two_sided(float(m.z_norm)),
        p_rand=_two_sided(float(m.z_rand)),
        p_perm=float(p_perm),
        permutations=permutations,
        n=int(m.n),
    )


def _esda_moran(y: np.ndarray, wlib):
    """esda's Moran without permutations (the analytic part)."""
    import esda

    with np.errstate(divide="ignore", invalid="ignore"):
        return esda.Moran(y, wlib, transformation="O", permutations=0, two_tailed=True)


# ----------------------------------------------------------------------------- global
def moran(
    y,
    w: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    name: str = "y",
    threads: int = 1,
) -> MoranResult:
    r"""Global Moran's I of one variable.

    .. math::

        I = \frac{n}{S_0} \frac{z' W z}{z' z}, \quad z = y - \bar y, \quad
        S_0 = \sum_{ij} w_{ij}, \quad E[I] = -\frac{1}{n-1},

    with the variances of Cliff and Ord (1981, eqs. 1.35-1.36) under normality and
    randomisation.

    Parameters
    ----------
    y
        n values in the order of ``w.ids`` (or a pandas Series indexed by the ids,
        which is reordered).
    w
        Spatial weights, used **as given** (row-standardise first for the usual
        statistic).
    permutations
        Number of random permutations for the pseudo p-value (0: none).
    seed
        Seed of the permutations (their own stream, see
        :mod:`spillmap.spatial._permutation`; NumPy's global generator is not
        used).  ``None``: fresh entropy, not reproducible.
    name
        Variable name for error messages.
    threads
        Threads for the permutations (the result does not depend on it).

    Returns
    -------
    MoranResult
        ``to_dict()`` reports the **randomisation** z and its two-sided p-value
        (spdep's ``moran.test`` default too).

    Raises
    ------
    DataError
        Missing/non-finite values (ids listed) or zero variance (variable named).
    WeightsError
        Weights without any link, or ids that do not match a Series' index.

    References
    ----------
    Moran, P. A. P. (1950). Notes on continuous stochastic phenomena. Biometrika 37, 17-23.
    Cliff, A. D. and Ord, J. K. (1981). Spatial Processes. Pion, London.

    Notes
    -----
    **Verification**: ``tests/test_moran.py`` matches a dense transcription of the
    formulas above and esda on the Columbus data (libpysal example) to 1e-10; the
    permutation counts equal a brute-force loop over the same permutations exactly,
    and the pseudo p-value agrees with esda's (another random stream) within the
    binomial Monte Carlo error.
    """
    permutations = _check_permutations(permutations)
    _check_seed_threads(seed, threads)
    arr = _vector(y, w, name)
    _check_links(w)
    _check_variance(arr, name)
    p_m, _ = _pseudo_p(arr[:, None], w, 1, permutations, seed, threads)
    return _moran_from_esda(_esda_moran(arr, _esda_w(w)), permutations, p_m[0])


def geary(
    y,
    w: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    name: str = "y",
    threads: int = 1,
) -> GearyResult:
    r"""Geary's C of one variable (esda).

    .. math::

        C = \frac{(n-1)\sum_{ij} w_{ij} (y_i - y_j)^2}{2 S_0 \sum_i (y_i - \bar y)^2},
        \quad E[C] = 1,

    variances under normality and randomisation from Cliff and Ord (1981).  ``C``
    below 1 indicates positive autocorrelation.  p-values are two-sided
    (``2 * norm.sf(|z|)``; esda's own are one-sided); the pseudo p is esda's
    folded ``(min(#{C_sim >= C}, perm - #{C_sim >= C}) + 1) / (perm + 1)``, from the
    same permutations as :func:`moran` with the same seed.
    Weights are used as given; arguments and errors as in :func:`moran`.

    References
    ----------
    Geary, R. C. (1954). The contiguity ratio and statistical mapping. The
    Incorporated Statistician 5, 115-145.

    Notes
    -----
    **Verification**: ``tests/test_moran.py`` matches a dense transcription of C
    and esda's analytic values to 1e-10, and esda's pseudo p-value within the
    binomial Monte Carlo error.
    """
    import esda

    permutations = _check_permutations(permutations)
    _check_seed_threads(seed, threads)
    arr = _vector(y, w, name)
    _check_links(w)
    _check_variance(arr, name)
    _, p_g = _pseudo_p(arr[:, None], w, 1, permutations, seed, threads)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = esda.Geary(arr, _esda_w(w), transformation="O", permutations=0)
    return GearyResult(
        C=float(g.C),
        EC=float(g.EC),
        var_norm=float(g.VC_norm),
        var_rand=float(g.VC_rand),
        z_norm=float(g.z_norm),
        z_rand=float(g.z_rand),
        p_norm=_two_sided(float(g.z_norm)),
        p_rand=_two_sided(float(g.z_rand)),
        p_perm=float(p_g[0]),
        permutations=permutations,
        n=int(g.n),
    )


# ----------------------------------------------------------------------------- panels
def _check_columns(panel, columns: Sequence[str]) -> None:
    if not isinstance(panel, pd.DataFrame):
        raise InputError(f"panel must be a pandas DataFrame, got {type(panel).__name__}.")
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise DataError(
            f"panel has no column(s) {format_items(missing)}; available: {format_items(list(panel.columns), 30)}."
        )


def panel_array(
    panel: pd.DataFrame,
    *,
    id: str,  # noqa: A002 - the public keyword of every panel function
    time: str | None,
    columns: Sequence[str],
    w: SpatialWeights,
) -> tuple[np.ndarray, list]:
    """Check a long panel and return its values as a balanced ``(T, N, k)`` array.

    Units are put in the order of ``w.ids`` and periods in sorted order, so
    ``arr.reshape(T * N, k)`` is stacked time-major, id-minor (the layout of
    :meth:`SpatialWeights.lag_panel`).  With ``time=None`` the panel is a
    cross-section (T = 1).

    Returns
    -------
    (array, periods)

    Raises
    ------
    DataError
        Missing columns, missing ids or periods, repeated ``(id, time)`` rows, a
        period without any data for a column (period and column named), missing
        ``(id, time)`` cells or missing values (cells listed), non-numeric columns.
    WeightsError
        The panel's ids and the weights' ids differ (both lists given).
    """
    columns = list(columns)
    keys = [id] + ([time] if time is not None else [])
    _check_columns(panel, keys + columns)
    ids = panel[id]
    if ids.isna().any():
        raise DataError(f"id column {id!r} has missing values in rows {format_items(list(panel.index[ids.isna()]))}.")
    ids = ids.astype(str).to_numpy()
    if time is not None:
        tcol = panel[time]
        if tcol.isna().any():
            raise DataError(
                f"time column {time!r} has missing values in rows {format_items(list(panel.index[tcol.isna()]))}."
            )
        tvals = tcol.to_numpy()
    else:
        tvals = np.zeros(len(panel), dtype=int)
    # units against the weights
    uniq = set(ids.tolist())
    if uniq != set(w.ids):
        w.align(sorted(uniq))  # raises a WeightsError listing ids missing on each side
    # repeated cells
    key_df = pd.DataFrame({"id": ids, "t": tvals})
    dup = key_df.duplicated(keep=False).to_numpy()
    if dup.any():
        cells = sorted({(a, b) for a, b in zip(ids[dup].tolist(), tvals[dup].tolist())}, key=str)
        if time is not None:
            raise DataError(f"panel repeats (id, time) cells {format_items(cells)}; keep one row per cell.")
        raise DataError(
            f"table repeats ids {format_items([c[0] for c in cells])} in column {id!r}; a cross-section "
            "needs one row per unit (for a panel, give the period column)."
        )
    periods = sorted(pd.unique(tvals).tolist())
    n, t = w.n, len(periods)
    ti = pd.Index(periods).get_indexer(tvals)
    ii = np.fromiter((w._id_index[u] for u in ids), dtype=np.int64, count=len(ids))
    present = np.zeros((t, n), dtype=bool)
    present[ti, ii] = True
    arr = np.full((t, n, len(columns)), np.nan)
    for k, col in enumerate(columns):
        parsed = pd.to_numeric(panel[col], errors="coerce")
        bad = (panel[col].notna() & parsed.isna()).to_numpy()
        if bad.any():  # name the first bad cell (errors helper, issue 8)
            k = int(np.flatnonzero(bad)[0])
            cell = f"({ids[k]}, {tvals[k]})" if time is not None else repr(ids[k])
            raise DataError(f"column {col!r} is not numeric: {panel[col].iloc[k]!r} at {cell} "
                            f"({int(bad.sum())} non-numeric cell(s)).")
        vals = parsed.to_numpy(dtype=float, na_value=np.nan)
        arr[ti, ii, k] = vals
    for k, col in enumerate(columns):
        empty = [periods[s] for s in range(t) if not np.isfinite(arr[s, :, k]).any()]
        if empty:
            raise DataError(
                f"column {col!r} has no data at all for period(s) {format_items(empty)}"
                f"{' of ' + repr(time) if time else ''}; drop those periods or supply the values."
            )
    if not present.all():
        miss = [(w.ids[i], periods[s]) for s, i in zip(*np.nonzero(~present))]
        raise DataError(
            f"panel is unbalanced: {len(miss)} (id, {time}) cell(s) missing: {format_items(miss)}; "
            "these statistics need every unit in every period."
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        for k, col in enumerate(columns):
            s_idx, i_idx = np.nonzero(bad[:, :, k])
            if s_idx.size:
                cells = [(w.ids[i], periods[s]) for s, i in zip(s_idx, i_idx)]
                if time is None:
                    cells = [c[0] for c in cells]
                raise DataError(
                    f"column {col!r} has missing or infinite values at "
                    f"{'(id, time) ' if time is not None else 'ids '}{format_items(cells)}; drop or impute them first."
                )
    return arr, periods


def moran_by_period(
    panel: pd.DataFrame,
    *,
    id: str,  # noqa: A002
    time: str,
    var: str,
    w: SpatialWeights,
    permutations: int = 999,
    seed: int | None = 0,
    threads: int = 1,
) -> dict:
    """Moran's I of ``var`` in each period of a balanced long panel.

    Each period's cross-section is tested as by :func:`moran` (weights as given;
    every period uses the same ``seed``, so results do not depend on which periods
    are present; the periods share one set of permutations, evaluated together).

    Returns
    -------
    dict
        ``{period: MoranResult}`` in sorted period order.

    Raises
    ------
    DataError
        A missing column, a period without data, a constant variable in a period
        (variable and period named), missing cells or values (listed).
    WeightsError
        Panel ids and weights ids differ (both sides listed).

    Notes
    -----
    **Verification**: each period equals :func:`moran` on that period's column
    (``tests/test_moran.py``).
    """
    permutations = _check_permutations(permutations)
    _check_seed_threads(seed, threads)
    arr, periods = panel_array(panel, id=id, time=time, columns=[var], w=w)
    _check_links(w)
    wlib = _esda_w(w)
    for s, p in enumerate(periods):
        _check_variance(arr[s, :, 0], var, f" in period {p!r}")
    ys = np.ascontiguousarray(arr[:, :, 0].T)  # (N, T): one column per period
    p_m, _ = _pseudo_p(ys, w, 1, permutations, seed, threads)
    return {
        p: _moran_from_esda(_esda_moran(ys[:, s], wlib), permutations, p_m[s]) for s, p in enumerate(periods)
    }


def block_diagonal(w: SpatialWeights, t: int) -> sp.csr_matrix:
    """The sparse ``I_T kron W`` (NT x NT, block diagonal; never dense)."""
    return sp.kron(sp.identity(t, format="csr"), w.sparse, format="csr")


def moran_moments(n: int, s0: float, s1: float, s2: float, z: np.ndarray) -> tuple[float, float, float]:
    r"""``E[I]``, ``Var[I]`` under normality and under randomisation (Cliff and Ord 1981).

    .. math::

        V_N &= \frac{n^2 S_1 - n S_2 + 3 S_0^2}{(n^2 - 1) S_0^2} - E[I]^2 \\
        V_R &= \frac{n[(n^2 - 3n + 3) S_1 - n S_2 + 3 S_0^2]
                    - b_2[(n^2 - n) S_1 - 2n S_2 + 6 S_0^2]}{(n-1)(n-2)(n-3) S_0^2} - E[I]^2

    with ``b_2 = n sum z^4 / (sum z^2)^2`` the kurtosis of the centred values ``z``.
    ``z`` may hold one variable per column (n, c): ``v_rand`` is then an array.
    """
    ei = -1.0 / (n - 1)
    s02 = s0 * s0
    v_norm = (n * n * s1 - n * s2 + 3 * s02) / ((n - 1) * (n + 1) * s02) - ei * ei
    zc = z[:, None] if np.ndim(z) == 1 else z
    b2 = n * perm.column_sums(zc**4) / perm.column_sums(zc**2) ** 2
    b2 = float(b2[0]) if np.ndim(z) == 1 else b2
    a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s02)
    b = b2 * ((n * n - n) * s1 - 2 * n * s2 + 6 * s02)
    v_rand = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s02) - ei * ei
    return ei, v_norm, v_rand


def _weights_sums(m: sp.csr_matrix) -> tuple[float, float, float]:
    """``S0 = sum w_ij``, ``S1 = 1/2 sum (w_ij + w_ji)^2``, ``S2 = sum_i (w_i. + w_.i)^2``."""
    m = sp.csr_matrix(m)
    sym = m + m.T
    s0 = float(m.sum())
    s1 = 0.5 * float(sym.multiply(sym).sum())
    s2 = float(np.sum((np.asarray(m.sum(axis=1)).ravel() + np.asarray(m.sum(axis=0)).ravel()) ** 2))
    return s0, s1, s2


def _pooled_moran_array(
    y: np.ndarray, w: SpatialWeights, t: int, permutations: int, seed: int | None, threads: int = 1
) -> MoranResult:
    """Moran's I of stacked data with ``I_T kron W``, lags taken period by period.

    The moments of the block-diagonal matrix are ``T`` times those of ``W``.  The
    permutations shuffle all ``NT`` values (:func:`spillmap.spatial._permutation.global_counts`
    with ``t`` periods).
    """
    nt = y.shape[0]
    z = y - y.mean()
    zz = float(z @ z)
    s0, s1, s2 = (t * v for v in _weights_sums(w.sparse))
    i_obs = nt / s0 * float(z @ w.lag_panel(z, t)) / zz
    ei, v_norm, v_rand = moran_moments(nt, s0, s1, s2, z)
    p_perm, _ = _pseudo_p(y[:, None], w, t, permutations, seed, threads)
    p_perm = float(p_perm[0])
    z_norm = (i_obs - ei) / math.sqrt(v_norm)
    z_rand = (i_obs - ei) / math.sqrt(v_rand)
    return MoranResult(
        I=i_obs,
        EI=ei,
        var_norm=v_norm,
        var_rand=v_rand,
        z_norm=z_norm,
        z_rand=z_rand,
        p_norm=_two_sided(z_norm),
        p_rand=_two_sided(z_rand),
        p_perm=p_perm,
        permutations=permutations,
        n=nt,
    )


def moran_pooled(
    panel: pd.DataFrame,
    *,
    id: str,  # noqa: A002
    time: str,
    var: str,
    w: SpatialWeights,
    permutations: int = 999,
    seed: int | None = 0,
    threads: int = 1,
) -> MoranResult:
    r"""Moran's I of the stacked panel with the block-diagonal ``I_T \otimes W``.

    .. math:: I = \frac{NT}{T S_0} \frac{z'(I_T\otimes W) z}{z'z}, \quad z = y - \bar y

    where the mean is the **pooled** mean over all N*T observations (a common trend
    therefore contributes to I; demean by period first to remove it).  Permutations
    shuffle all NT values.  Arguments and errors as in :func:`moran_by_period`.

    Written by hand rather than by esda: esda needs a libpysal ``W`` of all NT
    observations, whose dictionaries cost 1.7 GB and 50 s at N = 100,000, T = 10;
    here the lags are taken period by period (:meth:`SpatialWeights.lag_panel`) and
    the moments of ``I_T kron W`` are T times those of W (:func:`moran_moments`).

    Notes
    -----
    **Verification**: I, both variances, z values and p-values equal esda's
    ``Moran`` on an explicitly built libpysal block-diagonal W of the NT
    observations to 1e-12, and its pseudo p-value within the binomial Monte Carlo
    error (``tests/test_moran.py``).
    """
    permutations = _check_permutations(permutations)
    _check_seed_threads(seed, threads)
    arr, periods = panel_array(panel, id=id, time=time, columns=[var], w=w)
    _check_links(w)
    y = arr[:, :, 0].reshape(-1)
    _check_variance(y, var, " (pooled panel)")
    return _pooled_moran_array(y, w, len(periods), permutations, seed, threads)


# ----------------------------------------------------------------------------- local
def _bh_threshold(p: np.ndarray, alpha: float) -> float:
    """Benjamini-Hochberg cut-off via esda's ``fdr`` (``alpha/n`` if nothing passes)."""
    import esda

    return float(esda.fdr(p, alpha))


def local_moran_arrays(
    y: np.ndarray, w: SpatialWeights, *, permutations: int, seed: int | None
) -> dict[str, np.ndarray]:
    """Local Moran of each column of ``y`` (n, c) with one set of conditional draws.

    Returns ``{"Ii", "z", "lag", "quadrant", "p_perm"}``, each (n, c): the statistic,
    the standardised values, their spatial lag, esda's quadrant code (1 HH, 2 LH,
    3 LL, 4 HL; a zero value or lag counts as low) and the folded pseudo p-value
    (1 where the statistic is degenerate: no neighbour or ``z_i = 0``).  The values
    are checked by the callers (:func:`local_moran`, :func:`spillmap.screen`).
    """
    y = np.asarray(y, dtype=float)
    n = y.shape[0]
    d = y - perm.column_sums(y) / n
    z = d / np.sqrt(perm.column_sums(d * d) / n)
    lag = np.asarray(w.sparse @ z)
    ii = (n - 1) * z * lag / perm.column_sums(z * z)
    zp, lp = z > 0, lag > 0
    quad = np.where(zp, np.where(lp, 1, 4), np.where(lp, 2, 3))
    larger, undefined = perm.local_counts(z, w.sparse, permutations=permutations, seed=seed)
    p = np.where(undefined, 1.0, perm.folded_p(larger, permutations))
    return {"Ii": ii, "z": z, "lag": lag, "quadrant": quad, "p_perm": p}


def local_moran(
    y,
    w: SpatialWeights,
    *,
    permutations: int = 999,
    seed: int | None = 0,
    alpha: float = 0.05,
    fdr: bool = False,
    name: str = "y",
) -> pd.DataFrame:
    r"""Local Moran's I (LISA) of each unit, with conditional-permutation inference.

    .. math:: I_i = \frac{z_i}{m_2} \sum_j w_{ij} z_j, \quad
              z = \frac{y - \bar y}{s_y},\quad m_2 = \frac{z'z}{n - 1}

    (esda's ``Moran_Local`` statistic; weights as given).  The pseudo p-value of unit
    ``i`` comes from conditional permutations: its ``k_i`` neighbours' values are
    replaced by ``k_i`` values drawn without replacement from the other ``n - 1``
    units, the draws of a permutation being shared by all units as in esda
    (:mod:`spillmap.spatial._permutation`); it is esda's folded
    ``(min(#{I_sim >= I_i}, perm - #{I_sim >= I_i}) + 1) / (perm + 1)``.  Where the
    statistic is degenerate (a unit without neighbours, or ``z_i = 0``: every
    simulated value equals the observed one) ``p_perm`` is 1.

    Parameters
    ----------
    y, w, permutations, seed, name
        As in :func:`moran` (the conditional draws have their own stream of the
        seed).  ``permutations`` must be at least 1.
    alpha
        Significance level for the ``significant`` column.
    fdr
        When True, the threshold is the Benjamini-Hochberg false-discovery-rate
        cut-off of the n pseudo p-values at level ``alpha`` (``esda.fdr``; when no
        p-value passes, esda returns ``alpha / n``, which flags nothing or the
        Bonferroni survivors); otherwise ``alpha`` itself.  A unit is significant
        when ``p_perm <= threshold``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the unit id (index name ``"id"``), columns ``Ii``, ``z``
        (standardised value), ``lag`` (spatial lag ``W z``), ``quadrant`` (esda's
        ``q``: 1 ``"HH"``, 2 ``"LH"``, 3 ``"LL"``, 4 ``"HL"``), ``p_perm`` (the
        folded pseudo p-value), ``significant`` and ``cluster`` (the quadrant if
        significant, else ``"ns"``).  ``attrs`` holds ``threshold``, ``alpha``,
        ``fdr``, ``permutations`` and ``seed``.

    References
    ----------
    Anselin, L. (1995). Local indicators of spatial association -- LISA.
    Geographical Analysis 27, 93-115.
    Benjamini, Y. and Hochberg, Y. (1995). Controlling the false discovery rate.
    JRSS B 57, 289-300.

    Notes
    -----
    **Verification** (``tests/test_moran.py``, ``tests/test_permutation.py``):
    ``Ii``, ``z``, ``lag`` and the quadrants match a dense transcription of the
    formula above and esda's ``Moran_Local`` to 1e-12; the permutation counts equal
    a brute-force loop over the same draws exactly; the pseudo p-values agree with
    esda's (another random stream) within the binomial Monte Carlo error.
    """
    permutations = _check_permutations(permutations)
    _check_seed_threads(seed, 1)
    if permutations < 1:
        raise InputError("local_moran needs permutations >= 1 for its pseudo p-values.")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, got {alpha!r}.")
    arr = _vector(y, w, name)
    _check_links(w)
    _check_variance(arr, name)
    res = {k: v[:, 0] for k, v in local_moran_arrays(arr[:, None], w, permutations=permutations, seed=seed).items()}
    p = res["p_perm"]
    threshold = _bh_threshold(p, alpha) if fdr else float(alpha)
    quad = pd.Series(res["quadrant"]).map(_QUADRANTS).to_numpy(dtype=object)
    sig = p <= threshold
    df = pd.DataFrame(
        {
            "Ii": res["Ii"],
            "z": res["z"],
            "lag": res["lag"],
            "quadrant": pd.Categorical(quad, categories=["HH", "LH", "LL", "HL"]),
            "p_perm": p,
            "significant": sig,
            "cluster": pd.Categorical(
                np.where(sig, quad, "ns"), categories=["HH", "LH", "LL", "HL", "ns"]
            ),
        },
        index=pd.Index(list(w.ids), name="id"),
    )
    df.attrs.update(
        {"threshold": threshold, "alpha": alpha, "fdr": fdr, "permutations": permutations, "seed": seed}
    )
    return df
