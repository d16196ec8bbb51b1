"""Local Moran's I (LISA) with conditional-permutation inference.

Written by hand: the local statistic itself (a few array operations; esda's
``Moran_Local`` would run its own permutations) over the vectorised conditional
permutation kernel of :mod:`spillmap.spatial._permutation`; the Benjamini-Hochberg
cut-off is esda's ``fdr``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spillmap.errors import InputError
from spillmap.spatial import _permutation as perm
from spillmap.spatial._moran_checks import _check_links, _check_permutations, _check_seed_threads, _check_variance, _vector
from spillmap.spatial.weights import SpatialWeights

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["local_moran", "local_moran_arrays"]

_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


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

    Parameters
    ----------
    y
        (n, c) values in the order of ``w.ids``, one variable per column (not checked here).
    w
        Spatial weights, used as given.
    permutations
        Conditional permutations per unit for the pseudo p-values.
    seed
        Seed of the permutations (``None``: fresh entropy).
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
    y: ArrayLike,
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
        Significance level for the ``significant`` column, compared with the folded
        one-sided pseudo p-values (esda's and GeoDa's convention): ``alpha = 0.05`` is, in
        effect, a two-sided test at 10 %.
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
