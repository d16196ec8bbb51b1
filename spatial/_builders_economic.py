"""Economic weights: economic distance, the economic-geographic product, nested combinations.

No library builds these matrices; they are written here as small pure functions
(dense N x N: every pair has a weight) over the unit means of a panel variable
(:func:`period_means`, in :mod:`spillmap.spatial._period_means`, re-exported here).

Verification (``tests/test_weights_economic.py``): economic distance, the product and the
nested combination equal matrices worked by hand on four- and three-unit examples (exact
fractions, to a few ulp), the W2 of the demo study on the China layer equals a dense
transcription of its formula, and a period's means ignore the years outside it.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spillmap.errors import InputError, WeightsError, format_items
from spillmap.spatial._builders_base import (
    TransformArg,
    _apply_transform,
    _centroids_lonlat,
    _check_alpha,
    _dense_distances,
    _norm_transform,
    _period_label,
)
from spillmap.spatial._builders_distance import _inverse_distance_dense
from spillmap.spatial._period_means import period_means
from spillmap.spatial.weights import SpatialWeights

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["period_means", "economic_distance", "economic_product", "nested"]


def _check_tol(tol: object) -> float:
    """The relative tie tolerance: a finite number >= 0 (not a bool, not text)."""
    if isinstance(tol, (bool, str, bytes)) or not isinstance(tol, (int, float, np.integer, np.floating)) \
            or not np.isfinite(float(tol)) or float(tol) < 0:
        raise InputError(f"tol must be a number >= 0 (the relative tie tolerance, default 1e-10); got {tol!r}.")
    return float(tol)


def _economic_distance_dense(ybar: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """``1/|Ybar_i - Ybar_j|`` off the diagonal; ties (gap <= tol) get the row's largest
    non-tie weight (pure).  Returns ``(w, rows)`` where ``rows`` are the indices of rows
    made only of ties (undefined; the caller raises)."""
    w = np.abs(ybar[:, None] - ybar[None, :])
    np.fill_diagonal(w, np.inf)  # diagonal -> weight 0
    tie = w <= tol
    w[tie] = np.inf  # ties -> 0 for now, filled below
    np.reciprocal(w, out=w)
    if not tie.any():
        return w, np.array([], dtype=int)
    rowmax = w.max(axis=1)
    all_tie = np.flatnonzero(tie.any(axis=1) & (rowmax == 0))
    r, c = np.nonzero(tie)
    w[r, c] = rowmax[r]
    return w, all_tie


def economic_distance(
    panel: pd.DataFrame,
    id: str,
    *,
    time: str,
    var: str,
    period: tuple[object, object] | None = None,
    ids: Sequence[object] | None = None,
    transform: TransformArg = "R",
    tol: float = 1e-10,
    by_period: bool = False,
) -> SpatialWeights | dict:
    """Economic-distance weights: ``w_ij = 1 / |Ybar_i - Ybar_j|`` for ``i != j``.

    ``Ybar_i`` is the mean of ``var`` over ``period`` for unit ``i``
    (:func:`period_means`).  Units with similar levels (e.g. GDP per capita) get large
    weights.  Then the transform (row-standardised by default).

    **Ties.**  When ``|Ybar_i - Ybar_j| <= tol * max_k |Ybar_k|`` the inverse is
    infinite (or dominated by rounding).  Such a pair gets the *largest finite weight
    of row i*: a tied unit is at least as close economically as i's closest untied
    unit, so it ranks first, but it cannot take the whole row after standardisation.
    Ties are real, not hypothetical: winsorised variables (the seed study winsorises at
    1 %/99 %) give exactly equal means to units clipped in every year.  A row whose
    every pair is tied (all units have equal means) raises
    :class:`~spillmap.errors.WeightsError`.  A pair just *above* the tolerance keeps its
    inverse, as the formula says: a gap of 1e-9 of the largest mean gives a weight about 1e9
    times the others', so after row-standardisation that one neighbour takes nearly the whole
    row (with ``by_period=True`` one period's means can nearly tie).  Raise ``tol`` to treat
    such near-ties as ties.

    Parameters
    ----------
    panel
        Long panel with columns ``id``, ``time``, ``var``.
    id, time
        Unit and period columns of ``panel``.
    var
        The numeric column whose period means ``Ybar`` define the distance.
    period
        ``(start, end)`` inclusive; ``None`` uses all periods.
    ids
        Unit order of W (and the units required); default: the panel's ids in order
        of first appearance.
    transform
        ``"R"`` (default), ``"B"`` or ``"O"``/``None``.
    tol
        Relative tie tolerance (see above).
    by_period
        One matrix per period from that period's values (``{period: W_t}``, the periods of
        ``period`` or all): a time-varying W for ``SpatialPanel(..., w=...)``.

    Returns
    -------
    SpatialWeights or dict
        One matrix, or ``{period: W_t}`` with ``by_period=True``.

    Raises
    ------
    InputError
        ``tol`` not a number >= 0, or a bad ``transform`` or ``period``.
    DataError, JoinError
        See :func:`period_means`.
    WeightsError
        Fewer than two units, or a unit tied with every other one.

    Notes
    -----
    Dense N x N (every pair has a weight).  Reference: Case, A. C., Rosen, H. S. &
    Hines, J. R. (1993) "Budget spillovers and fiscal policy interdependence: evidence
    from the states", *Journal of Public Economics* 52(3), 285-307 (weights
    ``1/|x_i - x_j|`` on income per capita).

    Verification: a 4-unit example worked by hand, with and without a tie
    (tests/test_weights_economic.py).
    """
    if by_period:
        from spillmap.spatial._by_period import per_period

        return per_period(lambda p: economic_distance(panel, id=id, time=time, var=var, period=p, ids=ids,
                                                      transform=transform, tol=tol), panel, time, period)
    t = _norm_transform(transform)
    tol = _check_tol(tol)
    ybar = period_means(panel, id=id, time=time, var=var, period=period, ids=ids)
    if ybar.size < 2:
        raise WeightsError("economic distance needs at least two units.")
    y = ybar.to_numpy(float)
    scale = float(np.max(np.abs(y)))
    dense, all_tie = _economic_distance_dense(y, tol * scale if scale > 0 else 0.0)
    if all_tie.size:
        raise WeightsError(
            f"economic distance is undefined for units {format_items([ybar.index[r] for r in all_tie])}: "
            f"every other unit has the same mean of {var!r} over the period."
        )
    w = SpatialWeights(dense, tuple(ybar.index), "O", f"economic distance ({var}{_period_label(period)})")
    return _apply_transform(w, t)


def _economic_product_dense(wd: np.ndarray, ybar: np.ndarray) -> np.ndarray:
    """``w^d_ij * Ybar_j / mean(Ybar)`` (pure)."""
    return wd * (ybar / ybar.mean())[None, :]


def economic_product(
    layer: gpd.GeoDataFrame,
    panel: pd.DataFrame,
    id: str,
    *,
    time: str,
    var: str,
    period: tuple[object, object] | None = None,
    alpha: float = 1,
    transform: TransformArg = "R",
    layer_id: str | None = None,
    by_period: bool = False,
) -> SpatialWeights | dict:
    """Economic-geographic weights: distance times the neighbour's economic size.

    (The seed study's W2, distance combined with economic *similarity*, is :func:`nested` of an
    inverse-distance W and :func:`economic_distance`; this is the other common economic-geographic
    matrix, weighting by size.)

    ``w_ij = w^d_ij * Ybar_j / Ybarbar`` for ``i != j``, with ``w^d_ij = d_ij^(-alpha)``
    (great-circle km between centroids; ``alpha = 1`` inverse, ``2`` inverse-square
    distance), ``Ybar_j`` the mean of ``var`` over ``period`` and ``Ybarbar`` the mean
    of ``Ybar`` over all units; in matrix form ``W = W_d diag(Ybar / Ybarbar)``.  Units
    that are close *and* economically large get large weights.  The transform is
    applied after the product (row-standardised by default, which cancels
    ``Ybarbar``).  The result is **not symmetric**.

    Parameters
    ----------
    layer
        Polygons with the id column ``layer_id`` (default ``id``); row order of W.
    panel
        Long panel with ``id`` (same units as the layer), ``time`` and ``var``.
    id, time
        Unit and period columns of ``panel`` (``id`` also of ``layer`` unless ``layer_id``).
    var
        The numeric column whose period means ``Ybar`` scale the distance weights (e.g.
        GDP per capita).
    period
        ``(start, end)`` inclusive; ``None`` uses all periods.
    alpha
        Distance-decay exponent (1 or 2).
    transform
        ``"R"`` (default), ``"B"`` or ``"O"``/``None``.
    layer_id
        The layer's id column when it is named differently from the panel's ``id``.
    by_period
        One matrix per period from that period's values (``{period: W_t}``, the periods of
        ``period`` or all): a time-varying W for ``SpatialPanel(..., w=...)``.

    Raises
    ------
    JoinError
        Panel ids and layer ids differ (both sides listed).
    WeightsError
        A negative ``Ybar`` (weights must be non-negative; ids listed).

    Notes
    -----
    This is the economic-distance matrix of the Chinese spatial-econometrics
    literature (geographic weights scaled by the neighbour's share of mean GDP per
    capita, as in Lin, Long & Wu 2005, *China Economic Quarterly* 4(S1); citation not
    checked against the original offline).  Dense N x N.

    Verification: a 3-unit example worked by hand on a closed-form distance matrix
    (tests/test_weights_economic.py).
    """
    if by_period:
        from spillmap.spatial._by_period import per_period

        return per_period(lambda p: economic_product(layer, panel, id=id, time=time, var=var, period=p,
                                                     alpha=alpha, transform=transform, layer_id=layer_id),
                          panel, time, period)
    t = _norm_transform(transform)
    alpha = _check_alpha(alpha)
    ids, lon, lat = _centroids_lonlat(layer, layer_id or id)
    ybar = period_means(panel, id=id, time=time, var=var, period=period, ids=ids)
    y = ybar.to_numpy(float)
    if np.any(y < 0):
        raise WeightsError(
            f"economic_product needs non-negative means of {var!r}; negative for units "
            f"{format_items([ids[i] for i in np.flatnonzero(y < 0)])}."
        )
    if y.mean() <= 0:
        raise WeightsError(f"the mean of {var!r} over all units is zero; economic weights are undefined.")
    dense = _economic_product_dense(_inverse_distance_dense(_dense_distances(ids, lon, lat), alpha), y)
    w = SpatialWeights(dense, ids, "O", f"economic-geographic (d^-{alpha:g} x {var}{_period_label(period)})")
    return _apply_transform(w, t)


def nested(w_d: SpatialWeights, w_e: SpatialWeights | Mapping, phi: float) -> SpatialWeights | dict:
    """Nested (convex-combination) weights: ``W = phi * R(W_d) + (1 - phi) * R(W_e)``.

    ``R(.)`` row-standardises each part first, so both enter on the same scale and the
    result is row-standardised (rows of islands in both parts stay zero).  ``phi = 1``
    gives the geographic part, ``phi = 0`` the economic part.

    Parameters
    ----------
    w_d
        The geographic matrix; its unit order is the result's.
    w_e
        The economic matrix, over the same units (reordered to ``w_d.ids``); or one per period
        (``economic_distance(..., by_period=True)``), giving ``{period: W_t}``.
    phi
        Weight of the geographic part, in ``[0, 1]``.

    Raises
    ------
    WeightsError
        ``phi`` outside ``[0, 1]``, or different unit sets (listed).

    Notes
    -----
    Convex combinations of connectivity matrices: Debarsy, N. & LeSage, J. P. (2019)
    "Bayesian model averaging for spatial autoregressive models based on convex
    combinations of different types of connectivity matrices", LEM discussion paper
    2019-05; the nested economic-geographic matrix of the Chinese literature is the
    special case with a distance and an economic matrix.

    Verification: a 3-unit example worked by hand (tests/test_weights_economic.py).
    """
    if isinstance(w_e, Mapping):
        from spillmap.spatial._by_period import nested_per_period

        return nested_per_period(w_d, w_e, phi, nested)
    try:
        if isinstance(phi, bool):
            raise TypeError
        phi = float(phi)
    except (TypeError, ValueError):
        raise WeightsError(f"phi must be a number in [0, 1]; got {phi!r}.") from None
    if not (0.0 <= phi <= 1.0):
        raise WeightsError(f"phi must be in [0, 1] (the weight of the geographic matrix); got {phi!r}.")
    if not isinstance(w_d, SpatialWeights) or not isinstance(w_e, SpatialWeights):
        raise WeightsError("nested() takes two SpatialWeights objects.")
    if set(w_e.ids) != set(w_d.ids):
        only_d, only_e = [i for i in w_d.ids if i not in set(w_e.ids)], [i for i in w_e.ids if i not in set(w_d.ids)]
        raise WeightsError("nested(): the two matrices cover different units; only in the geographic one: "
                           f"{format_items(only_d) or 'none'}; only in the economic one: {format_items(only_e) or 'none'}.")
    w_e = w_e.align(w_d.ids)
    m = phi * w_d.row_standardize().sparse + (1.0 - phi) * w_e.row_standardize().sparse
    label = f"nested {phi:g}*[{w_d.name or 'W_d'}] + {1 - phi:g}*[{w_e.name or 'W_e'}]"
    out = SpatialWeights(m, w_d.ids, "O", label)
    if out.is_row_standardized:
        out = SpatialWeights(out.sparse, out.ids, "R", label)
    return out
