"""The stacked spillover maps laid out for a narrow width (a journal's column, 3.5 in) or a fitted height.

:func:`spillmap.figures.spillover_maps` stacks its three maps one per row with the legend beside each map.
At a full text width the legend is an axes legend right of its map; in a column the legends (their notes
broken to a few words a line) are taller than the maps, and a legend taller than its axes made the
constrained layout unstable: every draw shrank the maps further, so a figure's look depended on how often
it had been drawn.  Here each row is a grid cell for the map and one for its legend, sized beforehand:

* the legends' notes are broken to a share of the figure's width (:data:`LEGEND_SHARES`, the smallest
  first): the first whose figure fits a page (:data:`~spillmap.figures._narrow.MAX_HEIGHT`, less room for a
  notice) wins, the map keeping the rest of the width; when none does (long notes in a 3.5-in column), the
  smallest share whose figure is within :data:`HEIGHT_SLACK` of the lowest, and the figure is taller;
* a row is the taller of its map (at the width left to it) and the tallest legend, under its title, which
  spans the row (:func:`_title_row`); the height is estimated, then corrected once the layout has placed
  the rows (:func:`_make_room`);
* each legend sits at the top of its cell, kept out of the layout (it has the room it needs), so the
  layout is the same at every draw.

Colours, classes and notes are those of the full-width figure (:func:`spillmap.maps.spillover.value_classes`,
:func:`spillmap.maps._significance.average_line`); layout only.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from spillmap.figures._maps import MapLayer, _draw, _furniture, _handles, _legend
from spillmap.figures._narrow import (
    MAX_HEIGHT,
    PAD_IN,
    label_height_in,
    legend_prop,
    map_aspect,
    text_height_in,
    text_width_in,
    wrap_suptitle,
    wrap_text,
)
from spillmap.figures._style import new_figure
from spillmap.maps._classify import class_labels, classes_note
from spillmap.maps._significance import AVERAGE_OF, average_line, layer_sentence
from spillmap.maps.spillover import effect_words, value_classes

__all__ = ["spillover_column", "LEGEND_SHARES"]

#: the shares of the figure's width a legend may take, tried in turn (the smallest first: the largest map)
LEGEND_SHARES = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
#: when no share keeps the figure within a page, the smallest share within this many inches of the lowest
#: figure wins (a much smaller map is not worth a little height)
HEIGHT_SLACK = 0.25
#: room kept under a fitted figure for a notice of three lines (:func:`~spillmap.figures._style.add_notice`)
NOTICE_ROOM = 0.45
#: a legend drawn at a screen's 100 dpi is up to 3 % taller than at the PNG's 300 dpi (hinted line heights)
HINTING = 1.03
#: the arguments of the maps' legends (:func:`spillmap.figures._maps._legend`) that set their size
_LEGEND = {"handleheight": 0.9, "labelspacing": 0.3, "borderpad": 0.5}
#: a legend's width beyond its widest text and its offset in its cell, in font-size units: handle 1.4, handle
#: text pad 0.8, border pad 0.5 each side, border axes pad 0.5 (left of it)
_CHROME_EM = 1.4 + 0.8 + 2 * 0.5 + 0.5


def _panel(layer: MapLayer, values, col: str, *, var: str, y: str, unit: str, scheme, k: int,
           averages, level: float) -> dict:
    """One map's classes, colours, legend entries, notes and title (as :func:`spillover_maps` draws them)."""
    c, colors = value_classes(values, scheme=scheme, k=k)
    avg = average_line(AVERAGE_OF.get(col, ""), averages, level)
    return {"c": c, "colors": colors, "entries": list(zip(colors, class_labels(c))), "title": effect_words(col, unit),
            "short": avg.short if avg and not avg[1] else "",
            "notes": [layer_sentence(col, var=var, y=y, unit=unit), avg and avg[0], classes_note(c)]}


def _handles_at(p: dict, layer: MapLayer, wrap_in: float) -> list:
    return _handles(p["entries"], layer, int((p["c"].yb < 0).sum()), p["notes"], wrap_in=wrap_in)


def _heads(p: dict, width: float) -> tuple[str, str, float]:
    """A panel's title and "not significant" line broken to the row's width, and their height in inches with
    the title's pad (the line sits between the title and the map)."""
    import matplotlib as mpl

    title = wrap_text(p["title"], width, _prop(mpl.rcParams["axes.titlesize"]))
    short = wrap_text(p["short"], width, _prop(6.5, "bold")) if p["short"] else ""
    lift = text_height_in(short, _prop(6.5, "bold")) if short else 0.0
    return title, short, text_height_in(title, _prop(mpl.rcParams["axes.titlesize"])) + lift + \
        mpl.rcParams["axes.titlepad"] / 72


def _layout(panels: Sequence[dict], layer: MapLayer, width: float, top: float) -> dict:
    """The notes' width, the legends' and maps' widths and the row height (see the module docstring)."""
    size = legend_prop().get_size_in_points() / 72
    chrome = _CHROME_EM * size + 0.03  # and the frame's lines
    tried = []
    for share in LEGEND_SHARES:
        labels = [[h.get_label() for h in _handles_at(p, layer, share * width - chrome)] for p in panels]
        legend_w = chrome + max(text_width_in(line, legend_prop()) for lab in labels for t in lab
                                for line in t.split("\n"))
        map_w = width - 4 * PAD_IN - legend_w
        legend_h = max(label_height_in(lab, **_LEGEND) for lab in labels) * HINTING + 0.5 * size
        head = max(_heads(p, width - 2 * PAD_IN)[2] for p in panels)
        row = max(map_w * map_aspect(layer.bounds), legend_h) + head + 2 * PAD_IN
        tried.append({"wrap": share * width - chrome, "legend_w": legend_w, "map_w": map_w, "legend_h": legend_h,
                      "height": top + len(panels) * row + 2 * PAD_IN})
        if tried[-1]["height"] <= MAX_HEIGHT - NOTICE_ROOM:
            return tried[-1]
    lowest = min(t["height"] for t in tried)
    return next(t for t in tried if t["height"] <= lowest + HEIGHT_SLACK)


def spillover_column(layer: MapLayer, unit_effects: pd.DataFrame, columns: Sequence[str], *, var: str, y: str,
                     unit: str, scheme, k: int, averages: Mapping | None, level: float, title: str,
                     size: tuple[float, float | None]):  # noqa: ANN201 - a matplotlib Figure
    """The figure of :func:`spillmap.figures.spillover_maps` laid out as the module docstring says, ``size[0]``
    inches wide and ``size[1]`` tall (``None``: the rows' height, the suptitle's and the layout's pads)."""
    panels = [_panel(layer, layer.values(unit_effects[col]), col, var=var, y=y, unit=unit, scheme=scheme, k=k,
                     averages=averages, level=level) for col in columns]
    width = float(size[0])
    fig = new_figure((width, width), layout="constrained")
    fig.suptitle(title, fontweight="bold")
    wrap_suptitle(fig)
    lay = _layout(panels, layer, width, text_height_in(fig._suptitle.get_text(), fig._suptitle.get_fontproperties())
                  + 2 * PAD_IN)
    fig.set_size_inches(width, round(lay["height"] if size[1] is None else size[1], 2))
    axes = fig.subplots(len(panels), 2, squeeze=False, width_ratios=[lay["map_w"], lay["legend_w"]])
    for i, (p, (ax, lax)) in enumerate(zip(panels, axes)):
        c = p["c"]
        _draw(ax, layer, [p["colors"][j] if j >= 0 else "#ffffff" for j in c.yb], c.yb < 0)
        lax.set_axis_off()
        leg = _legend(lax, _handles_at(p, layer, lay["wrap"]), None, loc="upper left", anchor=(0, 1))
        leg.set_in_layout(False)  # its cell is as tall as it needs (see the module docstring)
        _title_row(ax, lax, *_heads(p, width - 2 * PAD_IN)[:2])
        _furniture(ax, layer, i == 0, i == 0)
    if size[1] is None:
        _make_room(fig, axes[:, 1], lay["legend_h"])
    return fig


def _make_room(fig, cells, legend_h: float) -> None:  # noqa: ANN001 - a Figure and its legends' Axes
    """Make the figure taller until each legend's cell is as tall as the tallest legend (``legend_h``
    inches, estimated): the rows' titles and pads are laid out by the constrained layout (run here, axes
    positions only), the legends kept out of it."""
    engine = fig.get_layout_engine()
    for _ in range(2):
        engine.execute(fig)
        width, height = (float(v) for v in fig.get_size_inches())
        short = legend_h - min(ax.get_position().height for ax in cells) * height
        if short <= 0.005:
            return
        fig.set_size_inches(width, round(height + len(cells) * short + 0.01, 2))


def _title_row(ax, lax, head: str, short: str) -> None:  # noqa: ANN001 - the row's two Axes
    """The row's title (and "not significant" line, as at the full width) over the map and its legend: drawn
    by the map's axes but kept out of the layout, which sees a blank title of as many lines on the legend's
    cell instead (a title wider than the map would push the legend's cell aside)."""
    lift = text_height_in(short, _prop(6.5, "bold")) * 72 if short else 0.0
    ax.set_title(head, loc="left", pad=6 + lift)  # over the "not significant" line, if any
    ax._left_title.set_in_layout(False)
    lax.set_title("\n".join("\u2007" for _ in head.split("\n")), loc="left", pad=6 + lift)  # figure spaces
    if short:  # said where the eye goes first, as at the full width
        ax.text(0, 1, short, transform=ax.transAxes, ha="left", va="bottom", fontsize=6.5, color="#8a3b00",
                fontweight="bold", in_layout=False)


def _prop(size: float, weight: str = "normal"):  # noqa: ANN202 - a FontProperties
    from matplotlib.font_manager import FontProperties

    return FontProperties(size=size, weight=weight)
