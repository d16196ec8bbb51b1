"""Statistical figures: Moran scatterplot and Moran's I over time (the effects with their intervals:
:mod:`spillmap.figures._effects_plot`).

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

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from spillmap.errors import DataError, InputError
from spillmap.figures._style import figure_style, makes_room, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

    from spillmap.spatial._moran_results import MoranResult
    from spillmap.spatial.weights import SpatialWeights

__all__ = ["moran_scatter_data", "moran_scatter_from_lags", "moran_scatterplot", "moran_scatter_points", "moran_trend",
           "shared_legend", "wrap_titles"]

#: tick steps over the periods of a trend: every period, every 2nd, 4th, 5th, 10th ...
_PERIOD_STEPS = tuple(m * 10**e for e in range(7) for m in (1, 2, 4, 5))

def _legend_below(ax, **kwargs):
    """A legend centred under the axes' x label (tick labels and label measured in points), off the data,
    where a constrained layout makes room; else (a user's ``plt.subplots()``, ``ax=``) inside, where it
    covers least: under them it ran over the axes below (notebook audit 32 #13)."""
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    if not makes_room(fig):
        return ax.legend(loc="best", frameon=True, framealpha=0.9, edgecolor="#cccccc", **kwargs)
    below = ax.bbox.y0 - ax.xaxis.get_tightbbox().y0  # pixels at fig.dpi (renderer: the figure's own)
    shift = ScaledTranslation(0, -(below / fig.dpi + 2 / 72), fig.dpi_scale_trans)
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=ax.transAxes + shift,
                     frameon=False, **kwargs)


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


def _trend_frame(results) -> pd.DataFrame:
    if isinstance(results, Mapping):
        rows = {p: {"I": r.I, "EI": r.EI, "sd": float(np.sqrt(r.var_rand))} for p, r in results.items()}
        return pd.DataFrame.from_dict(rows, orient="index")
    if not isinstance(results, pd.DataFrame):
        raise InputError("moran_trend needs {period: MoranResult} or a DataFrame with columns I, EI and sd.")
    f = results.rename(columns={"E[I]": "EI", "E_I": "EI"})
    f = f[[str(i) != "pooled" for i in f.index]]
    if "sd" not in f.columns and {"z", "I", "EI"} <= set(f.columns):
        f = f.assign(sd=(f["I"] - f["EI"]) / f["z"])
    missing = [c for c in ("I", "EI", "sd") if c not in f.columns]
    if missing:
        raise DataError(f"moran_trend needs columns I, EI (or E[I]) and sd (or z); missing {missing}.")
    return f


def moran_trend(
    results: Mapping[Any, MoranResult] | pd.DataFrame,
    *,
    level: float = 0.95,
    variable: str | None = None,
    title: str | None = None,
    figsize: tuple[float, float] = (5.5, 3.4),
    ax: Axes | None = None,
    legend: bool = True,
) -> Figure:
    """Moran's I by period with the band ``E[I] ± q sd`` expected without autocorrelation.

    ``results``: ``{period: MoranResult}`` (:func:`spillmap.spatial.moran_by_period`;
    randomisation sd) or a frame indexed by period with ``I``, ``EI`` (or ``E[I]``) and
    ``sd`` (or ``z``); a row named ``pooled`` is left out.  Periods where I lies outside
    the band (significant at ``1 - level``, two-sided) are drawn filled.

    Parameters
    ----------
    results
        As above.
    level
        Coverage of the band, in (0, 1) (default 0.95).
    variable
        Variable name for the default title.
    title
        Axes title (default "Moran's I of <variable> by period").
    figsize
        Inches (default 5.5 x 3.4), for a new figure.
    ax
        Draw into this Axes instead of a new figure (its figure is returned: :mod:`spillmap.figures`, notebooks).
    legend
        Draw the legend under the axes (default ``True``); ``False`` for a panel of a figure with
        one shared legend (the report's Moran trend: :func:`shared_legend`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not 0 < level < 1:
        raise InputError(f"level must be in (0, 1), got {level}.")
    f = _trend_frame(results)
    q = float(stats.norm.isf((1 - level) / 2))
    x = np.arange(len(f))
    lo, hi = f["EI"] - q * f["sd"], f["EI"] + q * f["sd"]
    sig = ((f["I"] < lo) | (f["I"] > hi)).to_numpy()
    own = ax is None
    with figure_style():
        fig = ax.figure if ax is not None else new_figure(figsize, layout="constrained")
        ax = ax if ax is not None else fig.add_subplot()
        ax.fill_between(x, lo, hi, color="#bdbdbd", alpha=0.6, linewidth=0,
                        label=f"{level:.0%} band without spatial autocorrelation")
        ax.plot(x, f["EI"], color="#777777", linewidth=0.8, linestyle="--", label="E[I]")
        ax.plot(x, f["I"], color="#c0392b", linewidth=1.2)
        ax.scatter(x[sig], f["I"].to_numpy()[sig], color="#c0392b", s=18, zorder=3, label="Moran's I (significant)")
        ax.scatter(x[~sig], f["I"].to_numpy()[~sig], facecolor="white", edgecolor="#c0392b", s=18, zorder=3,
                   label="Moran's I (not significant)" if (~sig).any() else None)
        _period_ticks(ax, [str(p) for p in f.index])
        ax.set_ylabel("Moran's I")
        ax.set_title(title or f"Moran's I of {variable or 'y'} by period", loc="left")
        if legend:
            _legend_below(ax, ncol=2)  # inside, it covered the band and E[I]
        if own:
            wrap_titles(fig)
    return fig


def _period_ticks(ax, labels: list[str]) -> None:
    """Horizontal period labels at positions ``0 .. n-1``, thinned when drawn (newcomer audit 29 #4.4: 17
    rotated years overlapped in a report panel): every period, or every 2nd, 4th, 5th, 10th ... whichever
    is the first whose labels, as wide as the widest one, stand apart at the axes' width."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path
    from matplotlib.ticker import FuncFormatter, Locator

    size = mpl.rcParams["xtick.labelsize"]
    font = FontProperties(size=size)  # the rc's family and size, as the tick labels are drawn
    widest = max((text_to_path.get_text_width_height_descent(t, font, ismath=False)[0] for t in labels), default=0.0)
    n = len(labels)

    class PeriodLocator(Locator):
        def __call__(self):  # noqa: ANN204 - matplotlib's Locator protocol
            lo, hi = self.axis.get_view_interval()
            axes = self.axis.axes
            per_unit = axes.bbox.width * 72 / axes.figure.dpi / max(hi - lo, 1e-9)  # points per period
            need = widest + font.get_size_in_points()  # a label and 1 em between labels
            step = next((s for s in _PERIOD_STEPS if s * per_unit >= need), _PERIOD_STEPS[-1])
            return np.arange(0, n, step)

    ax.xaxis.set_major_locator(PeriodLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(  # position k -> the k-th period
        lambda v, _pos: labels[int(round(v))] if 0 <= round(v) < n and abs(v - round(v)) < 1e-6 else ""))
    ax.tick_params(axis="x", labelrotation=0)


def wrap_titles(fig) -> None:  # noqa: ANN001 - a matplotlib Figure
    """Break each axes title of ``fig`` at spaces into lines no wider than its axes, as laid out (newcomer
    audit 29 #4.4: "Gross state product (log), EP" ran past the right edge of a 3-column figure)."""
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)  # the axes' widths as drawn
    renderer = fig._get_renderer()
    for ax in fig.axes:
        for text in (ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None)):
            if text is None or not text.get_text() or text.get_window_extent(renderer).width <= ax.bbox.width:
                continue
            lines: list[str] = []
            for word in text.get_text().split():
                text.set_text(f"{lines[-1]} {word}" if lines else word)
                if lines and text.get_window_extent(renderer).width <= ax.bbox.width:
                    lines[-1] = text.get_text()
                else:
                    lines.append(word)
            text.set_text("\n".join(lines))


def shared_legend(fig, axes, *, ncol: int = 4):  # noqa: ANN001, ANN201 - a Figure, its Axes, a Legend
    """One legend under all panels of ``fig`` for the entries of ``axes`` (each label once, in the
    order first met), instead of one legend per panel (paper audit 27 #8: four legends of a 2 x 2
    Moran trend took a third of its height).  Placed ``outside lower center``: a constrained layout
    makes room and :func:`~spillmap.figures._style.add_notice` raises it above the notice.

    Parameters
    ----------
    fig
        The figure (constrained layout).
    axes
        Its panels, whose labelled artists make the entries.
    ncol
        Columns of the legend (default 4, fewer when there are fewer entries, or than fit a figure narrower
        than 5 in: :func:`spillmap.figures._narrow.fitting_ncol`).

    Returns
    -------
    matplotlib.legend.Legend
    """
    from spillmap.figures._narrow import PAD_IN, fitting_ncol, is_narrow

    entries: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    if is_narrow(fig):  # a journal's column: as many columns as fit its width
        ncol = fitting_ncol(list(entries), fig.get_size_inches()[0] - 4 * PAD_IN, ncol)
    return fig.legend(list(entries.values()), list(entries), loc="outside lower center",
                      ncol=max(1, min(ncol, len(entries))), frameon=False)
