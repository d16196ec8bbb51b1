"""The scenario's figure (split from :mod:`spillmap.maps.scenario`, which imports it as before):
:func:`scenario_figure`, the units that receive the largest spillovers as horizontal bars, the own and received
parts stacked away from 0 on the side of their sign (:func:`~spillmap.maps._diverging.diverging_stack`) in the
scenario map's colours (:data:`~spillmap.maps.scenario.POSITIVE`, :data:`~spillmap.maps.scenario.NEGATIVE`),
the interval of the total as a whisker at the total.

Library used: **matplotlib** (an object-oriented :class:`~matplotlib.figure.Figure`, no pyplot state).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["scenario_figure"]


def _draw(ax, top, result, unit: str) -> None:  # noqa: ANN001 - a matplotlib Axes, the top receivers' frame
    """The bars (own and received, each in the map's colour of its sign: planner audit 32 #8), stacked
    diverging so that parts of opposite signs never overlap, and the total's interval at the total, marked
    by a dot when a bar has parts of both signs (its ends are then not the total)."""
    from spillmap.maps._diverging import diverging_stack
    from spillmap.maps.scenario import NEGATIVE, POSITIVE
    from spillmap.tables import plural

    pos = np.arange(len(top))
    parts = [(top["own"], {"label": "own change", "negative": NEGATIVE[3], "positive": POSITIVE[3]})]
    parts = parts if (top["own"] != 0).any() else []
    parts.append((top["received"], {"label": f"received from other {plural(unit)}", "negative": NEGATIVE[1],
                                    "positive": POSITIVE[1]}))
    mixed = diverging_stack(ax, pos, parts)
    err = np.vstack([top["total"] - top["ci_lower"], top["ci_upper"] - top["total"]])
    label = (f"total and its {result.level:.0%} interval\n(parts stacked from 0 by sign)" if mixed
             else f"{result.level:.0%} interval of the total")
    ax.errorbar(top["total"], pos, xerr=np.clip(err, 0, None), fmt="o" if mixed else "none", color="#333333",
                ms=3, ecolor="#333333", capsize=2, lw=0.8, label=label)


def scenario_figure(result: Any, *, k: int = 15, names: Mapping[str, str] | None = None,
                    title: str | None = None, unit: str = "unit", width: float = 7.0) -> Figure:
    """A horizontal bar chart of the ``k`` units not changed that receive the largest spillovers (all
    units when every unit is changed): own and received parts stacked away from 0, each on the side of its
    sign (a part below 0 leftwards, above 0 rightwards, never over the other), the interval of the total
    as a whisker at the total, marked by a dot when a bar has parts of both signs
    (a :class:`matplotlib.figure.Figure`, 7 in wide by default; no pyplot state).

    Parameters
    ----------
    result
        A :class:`~spillmap.estimation.ScenarioResult`.
    k
        Number of units shown (default 15).
    names
        ``{id: name}`` for the bar labels (default: the result's names, else the ids).
    title
        The title (default: the changes), broken into lines that fit the figure's width.
    unit
        The word for a unit in the legend (``"city"``: "received from other cities").
    width
        The figure's width in inches (default 7.0, a journal's full text width).  Narrower (a column,
        3.5 in: ``[output] figure_width``), the title spans the figure, broken to its width, and the legend
        under the axes takes as many columns as fit, the figure taller by their extra lines; the type keeps
        its size (:mod:`spillmap.figures._narrow`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import textwrap

    from spillmap.figures._plots import _legend_below
    from spillmap.figures._style import figure_style, new_figure

    top = result.top_receivers(k, by="received", shocked=result.n_shocked == len(result.units)).iloc[::-1]
    labels = []
    for i, r in top.iterrows():
        nm = (names or {}).get(str(i)) or (r.get("name") if isinstance(r.get("name"), str) else None)
        labels.append(f"{nm} ({i})" if nm else str(i))
    with figure_style():
        fig = new_figure((width, 0.32 * len(top) + 1.6), dpi=120)
        ax = fig.subplots()
        _draw(ax, top, result, unit)
        ax.set_yticks(np.arange(len(top)), labels)
        ax.axvline(0, color="#666666", lw=0.6)
        ax.set_xlabel(f"predicted change of {result.y}")
        # about 70 characters of 9 pt (bold) type fit over the axes of a 7 in figure: longer titles wrap
        ax.set_title(textwrap.fill(title or f"{'; '.join(result.changes)}: largest spillovers received", 70))
        # under the x label, in one row: inside, matplotlib's "best" weighs bars but not the whiskers, and
        # put the legend over long intervals (paper audit 30 C1); "lower right" covered them before
        n_entries = len(ax.get_legend_handles_labels()[0])
        ncols = n_entries if n_entries <= 3 else (n_entries + 1) // 2  # both signs (5 entries): two rows fit 7 in
        if width < 7.0:  # narrower than a text width (a column): the title and the legend fitted to it
            ncols = _narrow_title_and_legend(fig, ax, title or f"{'; '.join(result.changes)}: largest spillovers "
                                             "received")
        _legend_below(ax, ncols=ncols)
        fig.tight_layout()
    return fig


def _narrow_title_and_legend(fig, ax, title: str) -> int:  # noqa: ANN001 - a matplotlib Figure and Axes
    """On a :func:`scenario_figure` narrower than 7 in: its title over the whole figure (not the axes, which
    the bars' labels make narrow), bold and broken to the width, the legend's columns as many as fit, the
    figure taller by the lines those add; returns the legend's columns."""
    from matplotlib.font_manager import FontProperties

    from spillmap.figures._narrow import PAD_IN, fitting_ncol, wrap_text

    width, height = (float(v) for v in fig.get_size_inches())
    size = ax.title.get_fontsize()
    ax.set_title("")
    text = wrap_text(title, width - 4 * PAD_IN, FontProperties(size=size, weight="bold"))
    fig.suptitle(text, fontsize=size, fontweight="bold")
    labels = ax.get_legend_handles_labels()[1]
    ncols = fitting_ncol(labels, width - 4 * PAD_IN, len(labels))
    extra = text.count("\n") + (-(-len(labels) // ncols) - 1)  # lines beyond one of each
    fig.set_size_inches(width, round(height + max(0, extra) * 0.16, 2))
    return ncols
