"""Statistical figures: Moran scatterplot and Moran's I over time (the effects with their intervals:
:mod:`spillmap.figures._effects_plot`).  The scatterplot is drawn here; Moran's I over time in
:mod:`spillmap.figures._moran_trend`, the placing of legends and titles in
:mod:`spillmap.figures._legend_layout` (both re-exported here).

matplotlib draws; the statistics come from :mod:`spillmap.spatial.autocorrelation`
(Moran's I by esda; the pooled form with ``I_T kron W``).  Computed here, and why: the
points of the Moran scatterplot (``z`` standardised, ``W z`` its spatial lag) and the
least-squares slope of ``W z`` on ``z`` through the origin, ``z'Wz / z'z``; with a
row-standardised W without islands (``S0 = N``) that slope **is** Moran's I
(Anselin 1996), which the figure states and the tests check.

References
----------
Anselin, L. (1996). The Moran scatterplot as an ESDA tool to assess local instability
    in spatial association. In *Spatial Analytical Perspectives on GIS*, 111-125.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.figures._legend_layout import _legend_below, shared_legend, wrap_titles
from spillmap.figures._moran_trend import (  # noqa: F401  (re-exported: the trend lives there)
    _PERIOD_STEPS,
    _period_ticks,
    _trend_frame,
    moran_trend,
)
from spillmap.figures._style import figure_style, makes_room, new_figure  # noqa: F401  (makes_room: re-exported)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from spillmap.spatial.weights import SpatialWeights

__all__ = ["moran_scatter_data", "moran_scatter_from_lags", "moran_scatterplot", "moran_scatter_points", "moran_trend",
           "shared_legend", "wrap_titles"]


def moran_scatter_data(data: ArrayLike | pd.Series | pd.DataFrame, w: SpatialWeights, *, var: str | None = None,
                       id: str | None = None, time: str | None = None,
                       period: Any = None) -> tuple[np.ndarray, np.ndarray, float]:
    """``(z, Wz, I)``: standardised values, their spatial lag and Moran's I.

    ``data`` is a cross-section (array in ``w.ids`` order, or a Series indexed by id) or a
    long panel (``var``, ``id``, ``time``): one ``period``, or all periods pooled
    (``period=None``; lag ``I_T kron W``, pooled mean and sd, as
    :func:`spillmap.spatial.moran_pooled`).

    Parameters
    ----------
    data
        Values in ``w.ids`` order, a Series indexed by id, or a long panel (DataFrame).
    w
        Spatial weights, used as given.
    var, id, time
        Variable, unit and period columns of a panel (required for a DataFrame, else unused).
    period
        The period of a panel to use (default ``None``: all pooled).
    """
    from spillmap.spatial.autocorrelation import moran, moran_pooled, panel_array

    sp = w.sparse
    if isinstance(data, pd.DataFrame):
        if var is None or id is None or time is None:
            raise InputError("a panel needs var=, id= and time=.")
        panel = data if period is None else data[data[time] == period]
        if period is not None and panel.empty:
            raise DataError(f"period {period!r} not in column {time!r}.")
        arr, periods = panel_array(panel, id=id, time=time, columns=[var], w=w)
        y = arr[:, :, 0]  # periods x units
        if len(periods) > 1:
            i_val = moran_pooled(panel, id=id, time=time, var=var, w=w, permutations=0).I
        else:
            i_val = moran(y[0], w, permutations=0).I
    else:
        s = data.reindex(list(map(str, w.ids))) if isinstance(data, pd.Series) else None
        y = (np.asarray(s if s is not None else data, dtype=float)).reshape(1, -1)
        if y.shape[1] != len(w.ids) or not np.isfinite(y).all():
            raise DataError(f"need one finite value per unit of W ({len(w.ids)}), got {y.shape[1]}.")
        i_val = moran(y[0], w, permutations=0).I
    z = (y - y.mean()) / y.std()
    wz = np.vstack([sp @ row for row in z])
    return z.ravel(), wz.ravel(), float(i_val)


def moran_scatter_from_lags(values: ArrayLike, lags: ArrayLike,
                            row_sums: ArrayLike) -> tuple[np.ndarray, np.ndarray, float]:
    """``(z, Wz, I)`` from values, their spatial lags and the row sums of W, without W.

    ``values`` and ``lags`` are periods x units (or one period), ``lags`` = ``W y_t``;
    with the mean ``m`` and sd ``s`` of all values shown, ``z = (y - m) / s`` and, W
    being linear, ``W z = (W y - m W 1) / s``; ``I = (n / S0) z'Wz / z'z`` with
    ``S0`` the sum of the row sums (the pooled I of ``I_T kron W`` when several periods).

    Parameters
    ----------
    values
        ``y``: periods x units, or one period (units).
    lags
        ``W y`` in the same shape.
    row_sums
        The row sums of W, one per unit.
    """
    y = np.atleast_2d(np.asarray(values, dtype=float))
    wy = np.atleast_2d(np.asarray(lags, dtype=float))
    rs = np.asarray(row_sums, dtype=float).ravel()
    if y.shape != wy.shape or y.shape[1] != rs.size or not (np.isfinite(y).all() and np.isfinite(wy).all()):
        raise DataError(f"values {y.shape}, lags {wy.shape} and row sums ({rs.size}) must be finite and aligned.")
    m, sd = y.mean(), y.std()
    z = (y - m) / sd
    wz = (wy - m * rs) / sd
    i_val = float(rs.size / rs.sum() * (z * wz).sum() / (z * z).sum())
    return z.ravel(), wz.ravel(), i_val


def _num(v: float) -> str:
    """Three decimals with the minus sign the tables and maps print (U+2212)."""
    from spillmap.maps._classify import display_number

    return display_number(f"{v:.3f}")


def moran_scatterplot(
    data: ArrayLike | pd.Series | pd.DataFrame,
    w: SpatialWeights,
    *,
    var: str | None = None,
    id: str | None = None,
    time: str | None = None,
    period: Any = None,
    title: str | None = None,
    figsize: tuple[float, float] = (4.2, 4.2),
    ax: Axes | None = None,
) -> Figure:
    """Moran scatterplot: standardised value against its spatial lag, slope = Moran's I.

    Quadrants are labelled HH, LH, LL, HL; the fitted line through the origin has slope
    ``z'Wz / z'z`` (equal to I for a row-standardised W).  See :func:`moran_scatter_data`
    for ``data``, ``period`` (``None``: all periods pooled).  Without W (e.g. from stored
    results), :func:`moran_scatter_from_lags` gives the points and :func:`moran_scatter_points`
    draws them.

    Parameters
    ----------
    data, w, var, id, time, period
        As in :func:`moran_scatter_data`.
    title
        Axes title (default "Moran scatterplot", with the period).
    figsize
        Inches (default 4.2 x 4.2), for a new figure.
    ax
        Draw into this Axes instead of a new figure (its figure is returned: :mod:`spillmap.figures`, notebooks).

    Returns
    -------
    matplotlib.figure.Figure
    """
    z, wz, i_val = moran_scatter_data(data, w, var=var, id=id, time=time, period=period)
    when = "all periods pooled" if isinstance(data, pd.DataFrame) and period is None else (
        str(period) if period is not None else "")
    return moran_scatter_points(z, wz, moran_i=i_val, var=var, when=when, title=title, figsize=figsize, ax=ax)


def moran_scatter_points(
    z: ArrayLike,
    wz: ArrayLike,
    *,
    moran_i: float,
    var: str | None = None,
    when: str = "",
    title: str | None = None,
    figsize: tuple[float, float] = (4.2, 4.2),
    ax: Axes | None = None,
) -> Figure:
    """Draw a Moran scatterplot of the points ``(z, Wz)`` with Moran's I ``moran_i``
    (see :func:`moran_scatterplot`); ``when`` names the period(s) in the default title.

    Parameters
    ----------
    z, wz
        Standardised values and their spatial lags (e.g. from :func:`moran_scatter_data`).
    moran_i
        Moran's I, shown in the legend (equal to the slope for a row-standardised W).
    var
        Variable name for the axis labels (default "value").
    when
        The period(s) for the default title (default ``""``).
    title
        Axes title (default "Moran scatterplot, <when>").
    figsize
        Inches (default 4.2 x 4.2), for a new figure.
    ax
        Draw into this Axes instead of a new figure (its figure is returned: :mod:`spillmap.figures`, notebooks).

    Returns
    -------
    matplotlib.figure.Figure
    """
    z, wz = np.asarray(z, dtype=float), np.asarray(wz, dtype=float)
    slope = float(z @ wz / (z @ z))
    i_val = float(moran_i)
    with figure_style():
        fig = ax.figure if ax is not None else new_figure(figsize, layout="constrained")
        ax = ax if ax is not None else fig.add_subplot()
        ax.axhline(0, color="#888888", linewidth=0.6)
        ax.axvline(0, color="#888888", linewidth=0.6)
        ax.scatter(z, wz, s=7, alpha=0.55, color="#3b6ea5", edgecolor="none")
        lim = max(np.abs(z).max(), np.abs(wz).max()) * 1.05
        xs = np.array([-lim, lim])
        label = f"slope = I = {_num(i_val)}" if abs(slope - i_val) < 1e-9 * max(1, abs(i_val)) else (
            f"slope = {_num(slope)} (Moran's I = {_num(i_val)})")
        ax.plot(xs, slope * xs, color="#c0392b", linewidth=1.2, label=label)
        for (sx, sy), q in zip(((1, 1), (-1, 1), (-1, -1), (1, -1)), ("HH", "LH", "LL", "HL")):
            ax.text(sx * 0.93 * lim, sy * 0.93 * lim, q, ha="center", va="center", fontsize=9, color="#555555",
                    fontweight="bold")
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        who = var or "value"
        ax.set_xlabel(f"{who} (standardised)")
        ax.set_ylabel(f"spatial lag of {who} (W z)")
        ax.set_title(title or f"Moran scatterplot{', ' + when if when else ''}", loc="left")
        _legend_below(ax)  # inside, the x = 0 line ran through it
    return fig
