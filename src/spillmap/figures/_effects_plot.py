"""The effects figure: direct, indirect and total effects with their intervals, one panel per W or model.

matplotlib draws; the numbers are an :class:`~spillmap.estimation.effects.EffectsResult`'s (or a long frame
of stored effects): nothing is computed here.  Split from :mod:`spillmap.figures._plots`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.figures._style import figure_style, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from spillmap.estimation._effects_result import EffectsResult

__all__ = ["effects_plot"]

_KIND_STYLE = {"direct": ("#1b9e77", "o"), "indirect": ("#d95f02", "s"), "total": ("#7570b3", "D")}


class _FrameEffects:
    """The parts of an EffectsResult the plot reads, from a long frame (stored effects)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        need = {"estimate", "ci_lower", "ci_upper"}
        if not isinstance(frame.index, pd.MultiIndex) or not need <= set(frame.columns):
            raise DataError("an effects frame needs rows (effect, variable) and columns estimate, ci_lower, "
                            "ci_upper (EffectsResult.to_frame('long') or FitRecord.effects_frame()).")
        self.model = str(frame.attrs.get("model", "effects"))
        self.level = float(frame.attrs.get("level", 0.95))
        parts = {k: frame.xs(k, level=0) for k in ("direct", "indirect", "total")}
        self.direct, self.indirect, self.total = parts["direct"], parts["indirect"], parts["total"]
        self.variables = tuple(self.direct.index)


def _effects_entries(effects) -> list[tuple[str, object]]:
    from spillmap.estimation.effects import EffectsResult

    def one(e):
        return _FrameEffects(e) if isinstance(e, pd.DataFrame) else e

    if isinstance(effects, EffectsResult | pd.DataFrame):
        e = one(effects)
        return [(e.model.upper(), e)]
    if isinstance(effects, Mapping):
        return [(str(k), one(v)) for k, v in effects.items()]
    items = [one(e) for e in effects]
    return [(f"({i + 1}) {e.model.upper()}", e) for i, e in enumerate(items)]


def effects_plot(
    effects: EffectsResult | Sequence[EffectsResult] | Mapping[str, EffectsResult] | pd.DataFrame,
    *,
    variables: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    panel_size: tuple[float, float] | None = None,
    ncols: int | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Direct, indirect and total effect of each variable with their intervals, one panel
    per W or model on one shared x-scale (``effects``: an EffectsResult, a list, or ``{name: EffectsResult}``;
    stored effects as a long frame — rows (effect, variable), columns ``estimate``,
    ``ci_lower``, ``ci_upper``, ``attrs["level"]`` — stand for an EffectsResult).

    The intervals are the EffectsResult's own (percentile of the simulation draws, or
    normal for the delta method), at its ``level``.

    Parameters
    ----------
    effects
        As above; panels are titled by the mapping's keys, else by the model (numbered for a list).
    variables
        Variables to show and their order (default: all of each result); each must have effects.
    labels
        Tick labels per variable (``{"int": "Industrial intelligence"}``).
    title
        Figure title (default none).
    panel_size
        Width and height of one panel in inches (default 3.5 x 3: two panels fill a journal's
        7-in text width; before 0.27 3.6 x 3, 7.2 in for two).
    ncols
        Panels per row (default: 2 at most, further panels on further rows, so the figure is at
        most 7 in wide; all in one row when ``panel_size`` is given, the layout before 0.27).
    figsize
        The whole figure in inches; wins over ``panel_size`` (default: from it).

    Returns
    -------
    matplotlib.figure.Figure
    """
    entries = _effects_entries(effects)
    if not entries:
        raise InputError("effects_plot needs at least one EffectsResult.")
    labels = dict(labels or {})
    with figure_style():
        n = len(entries)
        ncols = max(1, min(n, int(ncols) if ncols else (n if panel_size is not None else 2)))
        nrows = -(-n // ncols)
        pw, ph = panel_size or (3.5, 3.0)
        fig = new_figure(figsize or (pw * ncols, ph * nrows), layout="constrained")
        # one x-scale for all panels: an effect reads the same length under every W (paper audit 27 #20)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True, sharex=True).ravel()
        for ax, (name, eff) in zip(axes, entries):
            _panel(ax, name, eff, variables, labels)
        xlabels = [ax.get_xlabel() for ax in axes]
        for ax in axes[:n]:  # x tick labels and label on the bottom row only, y tick labels in the first column
            ax.label_outer()
        for i in range(n, len(axes)):  # an empty cell: the panel above it shows the x-axis instead
            axes[i].set_visible(False)
            axes[i - ncols].xaxis.set_tick_params(labelbottom=True)
            axes[i - ncols].set_xlabel(xlabels[i - ncols])
        # one legend for all panels, under them in a row: never over an interval (matplotlib's "best"
        # placed it inside the first panel, where a long interval could run under it)
        handles, names = axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="outside lower center", ncols=len(names), frameon=False)
        if title:
            fig.suptitle(title, fontweight="bold")
    return fig


def _panel(ax, name: str, eff, variables: Sequence[str] | None, labels: Mapping[str, str]) -> None:  # noqa: ANN001
    """One panel of :func:`effects_plot`: the effects of ``eff`` (an EffectsResult or
    :class:`_FrameEffects`) on ``ax``, titled ``name``."""
    vars_ = list(variables) if variables is not None else list(eff.variables)
    unknown = [v for v in vars_ if v not in eff.variables]
    if unknown:
        raise DataError(f"{name}: no effects for {unknown}; it has {list(eff.variables)}.")
    ypos = np.arange(len(vars_))[::-1].astype(float)
    for off, kind in zip((0.22, 0.0, -0.22), ("direct", "indirect", "total")):
        frame = getattr(eff, kind).loc[vars_]
        colour, marker = _KIND_STYLE[kind]
        err = np.vstack([frame["estimate"] - frame["ci_lower"], frame["ci_upper"] - frame["estimate"]])
        ax.errorbar(frame["estimate"], ypos + off, xerr=err, fmt=marker, color=colour, markersize=3.5,
                    elinewidth=1, capsize=2, label=kind)
    ax.axvline(0, color="#888888", linewidth=0.6)
    ax.set_yticks(ypos, [labels.get(v, v) for v in vars_])
    ax.set_title(name, loc="left")
    ax.set_xlabel(f"effect ({eff.level:.0%} interval)")
