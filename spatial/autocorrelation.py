"""Global and local spatial autocorrelation: Moran's I, Geary's C, LISA.

Library used: **esda** (``esda.Geary``, ``esda.fdr``) computes Geary's C and its analytic
moments; spillmap passes it a fresh libpysal ``W`` built from the caller's
:class:`~spillmap.spatial.weights.SpatialWeights` (esda sets ``w.transform``, so the
caller's weights are never mutated) with ``transformation="O"``: **the weights are used
as given** -- row-standardise first (``w.row_standardize()``) for the usual
row-standardised statistics.  ``esda.Moran`` is the reference the tests compare Moran's I
with.

Written by hand (and why):

* Moran's I and its Cliff-Ord moments (:func:`moran_columns`, the pooled test's
  formulas with ``T = 1``): esda would need a libpysal ``W`` built for the call and
  recomputes ``S1, S2`` at every call (0.9 s of ``moran()``'s 2.4 s at N = 100,000;
  now 0.01 s); equal to esda's (bit for bit on six lattice checks; the tests compare at 1e-10);

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

Layout: this module holds the cross-sectional tests (:func:`moran`, :func:`geary`,
:func:`moran_by_period`) and re-exports the rest, so every name stays importable
from here: the result types (:mod:`~spillmap.spatial._moran_results`), the shared
checks (:mod:`~spillmap.spatial._moran_checks`), the panel plumbing
(:mod:`~spillmap.spatial._panel_array`), the pooled panel test
(:mod:`~spillmap.spatial._pooled_moran`) and LISA (:mod:`~spillmap.spatial._lisa`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spillmap.spatial._lisa import _bh_threshold, local_moran, local_moran_arrays  # noqa: F401 - re-exported
from spillmap.spatial._moran_checks import (
    _check_links,
    _check_permutations,
    _check_seed_threads,
    _check_variance,
    _checked_vector,
    _esda_w,
    _global_result,
    _pseudo_p,
)
from spillmap.spatial._moran_results import GearyResult, MoranResult
from spillmap.spatial._panel_array import panel_array
from spillmap.spatial._pooled_moran import (  # noqa: F401 - re-exported (_weights_sums for spatial/_batch.py)
    _weights_sums,
    block_diagonal,
    moran_columns,
    moran_moments,
    moran_pooled,
)
from spillmap.spatial.weights import SpatialWeights

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

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


def moran(
    y: ArrayLike,
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
        n values in the order of ``w.ids``, or a pandas Series indexed by the ids (reordered to
        ``w.ids``; ids that W lacks are an error).  A Series with a default ``RangeIndex``
        (``0 .. n-1``, e.g. after ``reset_index(drop=True)``) names no units and is taken in
        ``w.ids``' order, as an array is: index the values by their ids (``set_index``) whenever
        their rows may not be in W's order (sorted, filtered, merged).
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
    arr, permutations = _checked_vector(y, w, name, permutations, seed, threads)
    p_m, _ = _pseudo_p(arr[:, None], w, 1, permutations, seed, threads, geary=False)
    return moran_columns(arr[:, None], w, p_m, permutations)[0]


def geary(
    y: ArrayLike,
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

    Parameters
    ----------
    y
        n values in the order of ``w.ids``, or a pandas Series indexed by the ids (reordered to
        ``w.ids``; ids that W lacks are an error).  A Series with a default ``RangeIndex``
        (``0 .. n-1``, e.g. after ``reset_index(drop=True)``) names no units and is taken in
        ``w.ids``' order, as an array is: index the values by their ids (``set_index``) whenever
        their rows may not be in W's order (sorted, filtered, merged).
    w
        Spatial weights, used as given.
    permutations
        Random permutations for the pseudo p-value (default 999; 0: none).
    seed
        Seed of the permutations (default 0; ``None``: fresh entropy, not reproducible).
    name
        Variable name for error messages.
    threads
        Threads for the permutations (default 1; the result does not depend on it).

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

    arr, permutations = _checked_vector(y, w, name, permutations, seed, threads)
    _, p_g = _pseudo_p(arr[:, None], w, 1, permutations, seed, threads)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = esda.Geary(arr, _esda_w(w), transformation="O", permutations=0)
    return _global_result(GearyResult, {"C": float(g.C), "EC": float(g.EC)}, g.VC_norm, g.VC_rand,
                          g.z_norm, g.z_rand, p_g[0], permutations, g.n)


def moran_by_period(
    panel: pd.DataFrame,
    id: str,  # noqa: A002
    *,
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

    Parameters
    ----------
    panel
        Long panel, one row per (id, time) cell, balanced and without missing values.
    id, time
        Unit and period columns; ids must be those of ``w`` (matched as text).
    var
        The numeric column to test.
    w
        Spatial weights over the panel's units, used **as given**.
    permutations
        Random permutations for the pseudo p-values (default 999; 0: none).
    seed
        Seed of the permutations (default 0; ``None``: fresh entropy, not reproducible).
    threads
        Threads for the permutations (default 1; the result does not depend on it).

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
    for s, p in enumerate(periods):
        _check_variance(arr[s, :, 0], var, f" in period {p!r}")
    ys = np.ascontiguousarray(arr[:, :, 0].T)  # (N, T): one column per period
    p_m, _ = _pseudo_p(ys, w, 1, permutations, seed, threads, geary=False)
    return dict(zip(periods, moran_columns(ys, w, p_m, permutations)))
