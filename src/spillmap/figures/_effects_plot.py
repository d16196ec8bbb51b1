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
from spillmap.figures._narrow import PAD_IN, fitting_ncol, is_narrow, wrap_suptitle
from spillmap.figures._style import figure_style, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from spillmap.estimation._effects_result import EffectsResult

__all__ = ["SCALES_DIFFER", "SHARED_X_MAX_RATIO", "effects_plot"]

#: the panels share one x-scale unless the widest panel's x range (its intervals and 0) is more than this
#: many times the narrowest's (audit 30 B5: one W's intervals of ±35 drew the other panels' effects as dots
#: on 0); comparable ranges keep one scale, which lets a reader compare an effect's length across W
SHARED_X_MAX_RATIO = 4.0
#: the legend's title when each panel has its own x-scale
SCALES_DIFFER = "x scales differ by panel"

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
    sharex: bool | None = None,
) -> Figure:
    """Direct, indirect and total effect of each variable with their intervals, one panel
    per W or model (``effects``: an EffectsResult, a list, or ``{name: EffectsResult}``;
    stored effects as a long frame — rows (effect, variable), columns ``estimate``,
    ``ci_lower``, ``ci_upper``, ``attrs["level"]`` — stand for an EffectsResult).

    The intervals are the EffectsResult's own (percentile of the simulation draws, or
    normal for the delta method), at its ``level``.

    The panels share one x-scale, so an effect reads the same length under every W, unless their
    ranges differ too much for that: when the widest panel's range (its intervals, and 0) is more
    than :data:`SHARED_X_MAX_RATIO` (4) times the narrowest's, each panel has its own x-scale (one W's
    intervals of ±35 drew the other panels' effects as dots on 0) and the legend under the panels is
    headed "x scales differ by panel".  Every panel has its x tick labels.

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
        most 7 in wide; all in one row when ``panel_size`` is given, the layout before 0.27).  For a
        journal's column, ``ncols=1`` and ``panel_size=(3.5, ...)`` stack the panels; a figure narrower than
        5 in breaks its title to its width and its legend into as many columns as fit.
    figsize
        The whole figure in inches; wins over ``panel_size`` (default: from it).
    sharex
        ``True``: one x-scale for all panels; ``False``: one per panel; default ``None``: shared
        unless the ranges differ by more than :data:`SHARED_X_MAX_RATIO` times (as above).

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
        rows = [_rows(name, eff, variables) for name, eff in entries]
        # the rows (variables) are shared when every panel shows the same ones: labelled in the first column
        same_rows = len(set(map(tuple, rows))) == 1
        axes = fig.subplots(nrows, ncols, squeeze=False, sharey=same_rows).ravel()
        spans = [_panel(ax, name, eff, vars_, labels) for ax, (name, eff), vars_ in zip(axes, entries, rows)]
        shared = _share_x(spans) if sharex is None else bool(sharex)
        if shared:  # one x-scale: an effect reads the same length under every W (paper audit 27 #20)
            for ax in axes[1:n]:
                ax.sharex(axes[0])
            for ax in axes[:n]:
                ax.autoscale_view(scalex=True, scaley=False)  # the union of the panels' intervals
        for i, ax in enumerate(axes):
            if i >= n:  # an empty cell
                ax.set_visible(False)
                continue
            # tick labels on every panel (audit 30 B5: the top-left panel of three had none); the x label
            # under each column's lowest panel; the y tick labels, when shared, in the first column only
            ax.xaxis.set_tick_params(labelbottom=True)
            if i + ncols < n:
                ax.set_xlabel("")
            if same_rows and i % ncols:
                ax.yaxis.set_tick_params(labelleft=False)
        # one legend for all panels, under them in a row: never over an interval (matplotlib's "best"
        # placed it inside the first panel, where a long interval could run under it)
        handles, names = axes[0].get_legend_handles_labels()
        ncol = fitting_ncol(names, fig.get_size_inches()[0] - 4 * PAD_IN, len(names)) if is_narrow(fig) else len(names)
        legend = fig.legend(handles, names, loc="outside lower center", ncols=ncol, frameon=False,
                            title=None if shared else SCALES_DIFFER)
        if not shared:  # said under the panels, where the eye compares: lengths do not compare across them
            legend.get_title().set_fontstyle("italic")
        if title:
            fig.suptitle(title, fontweight="bold")
            wrap_suptitle(fig)  # a narrow figure's (a journal's column): broken to its width
    return fig


def _rows(name: str, eff, variables: Sequence[str] | None) -> list[str]:
    """The variables of one panel, in order (all of ``eff``'s by default); unknown ones refused."""
    vars_ = list(variables) if variables is not None else list(eff.variables)
    unknown = [v for v in vars_ if v not in eff.variables]
    if unknown:
        raise DataError(f"{name}: no effects for {unknown}; it has {list(eff.variables)}.")
    return vars_


def _share_x(spans: Sequence[float]) -> bool:
    """Whether panels whose x ranges (0 included) are ``spans`` share one x-scale: unless the widest is
    more than :data:`SHARED_X_MAX_RATIO` times the narrowest."""
    finite = [s for s in spans if np.isfinite(s)]
    if len(finite) < 2:
        return True
    lo, hi = min(finite), max(finite)
    return hi <= SHARED_X_MAX_RATIO * lo if lo > 0 else hi == 0


def _panel(ax, name: str, eff, vars_: Sequence[str], labels: Mapping[str, str]) -> float:
    """One panel of :func:`effects_plot`: the effects ``vars_`` of ``eff`` (an EffectsResult or
    :class:`_FrameEffects`) on ``ax``, titled ``name``; returns the width of its x range (the
    estimates and intervals, and 0, which the panel marks)."""
    ypos = np.arange(len(vars_))[::-1].astype(float)
    lo = hi = 0.0
    for off, kind in zip((0.22, 0.0, -0.22), ("direct", "indirect", "total")):
        frame = getattr(eff, kind).loc[vars_]
        colour, marker = _KIND_STYLE[kind]
        err = np.vstack([frame["estimate"] - frame["ci_lower"], frame["ci_upper"] - frame["estimate"]])
        ax.errorbar(frame["estimate"], ypos + off, xerr=err, fmt=marker, color=colour, markersize=3.5,
                    elinewidth=1, capsize=2, label=kind)
        values = frame[["estimate", "ci_lower", "ci_upper"]].to_numpy(dtype=float)
        if np.isfinite(values).any():
            lo, hi = min(lo, float(np.nanmin(values))), max(hi, float(np.nanmax(values)))
    ax.axvline(0, color="#888888", linewidth=0.6)
    ax.set_yticks(ypos, [labels.get(v, v) for v in vars_])
    ax.set_title(name, loc="left")
    ax.set_xlabel(f"effect ({eff.level:.0%} interval)")
    return hi - lo
