"""Moran's I by period: the figure (:func:`moran_trend`), with the band expected without spatial
autocorrelation and the periods where I lies outside it drawn filled.

matplotlib draws; the statistics come from :mod:`spillmap.spatial.autocorrelation` (or a
frame of them).  Computed here: the band ``E[I] ± q sd`` (``q`` the normal quantile of the
level) and the period ticks, thinned to those whose labels stand apart at the axes' width.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from spillmap.errors import DataError, InputError
from spillmap.figures._legend_layout import _legend_below, wrap_titles
from spillmap.figures._style import figure_style, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from spillmap.spatial._moran_results import MoranResult


#: tick steps over the periods of a trend: every period, every 2nd, 4th, 5th, 10th ...
_PERIOD_STEPS = tuple(m * 10**e for e in range(7) for m in (1, 2, 4, 5))


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
