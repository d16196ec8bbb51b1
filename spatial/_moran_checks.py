"""Input checks and esda plumbing shared by the global and local autocorrelation tests.

Written by hand: the checks (with errors naming the variable, id or period at fault),
the seeded permutation pseudo p-values (:mod:`spillmap.spatial._permutation`) and
two-sided normal p-values recomputed with ``norm.sf`` from esda's z values.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from spillmap.errors import DataError, InputError, WeightsError, format_items
from spillmap.spatial import _permutation as perm
from spillmap.spatial._moran_results import MoranResult
from spillmap.spatial._weights_values import align_units
from spillmap.spatial.weights import SpatialWeights, warn_islands


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


def _pseudo_p(y: np.ndarray, w: SpatialWeights, t: int, permutations: int, seed, threads: int,
              within: bool = False, geary: bool = True):
    """Folded pseudo p-values of Moran's I and Geary's C for the columns of ``y`` (m, c)
    (``within``: each period's values shuffled among its units only; ``geary=False``: Moran
    only, the Geary numerator is not computed and its p-values are ``None``; NaN for both without
    permutations)."""
    if not permutations:
        nan = np.full(np.shape(y)[1] if np.ndim(y) > 1 else 1, math.nan)
        return nan, nan
    z = y - perm.column_sums(y) / y.shape[0]
    ge_m, ge_g = perm.global_counts(z, w.sparse, t=t, permutations=permutations, seed=seed, threads=threads,
                                    within=within, geary=geary)
    return perm.folded_p(ge_m, permutations), (perm.folded_p(ge_g, permutations) if geary else None)


def _vector(y, w: SpatialWeights, name: str) -> np.ndarray:
    """``y`` as a float vector in the order of ``w.ids``.

    A pandas Series whose index holds the unit ids is reordered to ``w.ids``
    (:func:`~spillmap.spatial._weights_values.align_units`, the rule of ``w.lag``);
    anything else is taken to be in ``w``'s order already.
    """
    if not isinstance(w, SpatialWeights):
        raise InputError(f"w must be a spillmap SpatialWeights, got {type(w).__name__}.")
    if isinstance(y, pd.Series):
        y = align_units(y, w, f"variable {name!r}")
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


def _check_links(w: SpatialWeights, stacklevel: int = 4) -> None:
    """No links is an error; islands a warning pointing at the caller of the public test
    (``stacklevel`` 4 when that test calls this function directly)."""
    if w.nnz == 0:
        raise WeightsError(f"weights {w.name or ''} have no neighbour links at all; nothing to test.")
    warn_islands(w, stacklevel=stacklevel)  # islands: a WeightsWarning naming them (errors helper, issue 8)


def _checked_vector(y, w: SpatialWeights, name: str, permutations: int, seed: int | None,
                    threads: int) -> tuple[np.ndarray, int]:
    """The checks :func:`moran` and :func:`geary` run first: options, values (in ``w``'s order),
    links, variance; returns ``(values, permutations)``."""
    permutations = _check_permutations(permutations)
    _check_seed_threads(seed, threads)
    arr = _vector(y, w, name)
    _check_links(w, stacklevel=5)
    _check_variance(arr, name)
    return arr, permutations


def _esda_w(w: SpatialWeights):
    """A fresh libpysal W (esda mutates ``w.transform``; the caller's object is untouched)."""
    return w.to_libpysal()


def _global_result(cls, stat: dict, var_norm: float, var_rand: float, z_norm: float, z_rand: float,
                   p_perm: float, permutations: int, n: int):
    """A :class:`MoranResult` / :class:`GearyResult` (``cls``) with the two-sided normal p-values of its z."""
    z_norm, z_rand = float(z_norm), float(z_rand)
    return cls(
        **stat,
        var_norm=float(var_norm),
        var_rand=float(var_rand),
        z_norm=z_norm,
        z_rand=z_rand,
        p_norm=_two_sided(z_norm),
        p_rand=_two_sided(z_rand),
        p_perm=float(p_perm),
        permutations=permutations,
        n=int(n),
    )


