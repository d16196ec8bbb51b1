"""The stacked spillover maps laid out for a narrow width (a journal's column, 3.5 in) or a fitted height.

:func:`spillmap.figures.spillover_maps` stacks its three maps one per row.  At a full text width each
legend, notes included, is an axes legend right of its map.  In a column the same legend, its notes broken
to a few words a line, was taller than the map, so it set the row's height, and the map got the width it
left: 1.1 in of a 3.5-in column for the demo's W2, the figure 8.9 in tall (helper 32).  Here the map comes
first and the text flows around it:

* each row is a grid cell for the map and one beside it for the legend of the classes (entries only: one
  word or number a line, so it is narrow and short); the legend's notes follow under it in the same cell,
  broken to the cell's width, as far as the map's height goes, and the rest of them continue under the map
  at the full width (a cell of its own), as text flows around a picture in print;
* the map is as wide as the legend of the classes leaves it, narrowed in steps of :data:`STEP` inches
  until the figure, with room for a notice, fits :data:`~spillmap.figures._narrow.PAGE_INCHES` (a page's
  text block with its caption); never under :data:`MIN_MAP_SHARE` of the width (the figure is then
  taller);
* a row is its title (spanning the row: :func:`_title_row`), the taller of the map and the legend with
  the notes beside it, and the notes under it; the height is estimated, then corrected once the layout
  has placed the rows (:func:`_make_room`);
* the legends and notes are kept out of the layout (their cells have the room they need), so the layout is
  the same at every draw.

Colours, classes and notes are those of the full-width figure (:func:`spillmap.maps.spillover.value_classes`,
:func:`spillmap.maps._significance.average_line`); layout only.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
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
from spillmap.figures._style import NOTICE_POINTS as NOTE_POINTS
from spillmap.figures._style import new_figure
from spillmap.maps._classify import class_labels, classes_note
from spillmap.maps._significance import AVERAGE_OF, average_line, layer_sentence
from spillmap.maps.spillover import effect_words, value_classes

__all__ = ["spillover_column", "MIN_MAP_SHARE", "STEP"]

#: the narrowest map, a share of the figure's width, when no wider one lets the figure fit a page
MIN_MAP_SHARE = 0.4
#: the steps in inches by which the map is narrowed until the figure fits a page
STEP = 0.05
#: when no width fits a page, the widest map whose figure is within this many inches of the lowest wins
#: (a much smaller map is not worth a little height)
HEIGHT_SLACK = 0.25
#: a legend drawn at a screen's 100 dpi is up to 3 % taller than at the PNG's 300 dpi (hinted line heights)
HINTING = 1.03
#: the arguments of the maps' legends (:func:`spillmap.figures._maps._legend`) that set their size
_LEGEND = {"handleheight": 0.9, "labelspacing": 0.3, "borderpad": 0.5}
#: a legend's width beyond its widest text and its offset in its cell, in font-size units: handle 1.4, handle
#: text pad 0.8, border pad 0.5 each side, border axes pad 0.5 (left of it)
_CHROME_EM = 1.4 + 0.8 + 2 * 0.5 + 0.5
#: the legend's offset from its cell's corner (matplotlib's border axes pad), in font-size units
_OFFSET_EM = 0.5
#: the space in inches between a legend and the notes under it
_GAP = 0.06


def _panel(layer: MapLayer, values, col: str, *, var: str, y: str, unit: str, scheme, k: int,
           averages, level: float) -> dict:
    """One map's classes, colours, legend entries, notes and title (as :func:`spillover_maps` draws them)."""
    c, colors = value_classes(values, scheme=scheme, k=k)
    avg = average_line(AVERAGE_OF.get(col, ""), averages, level)
    return {"c": c, "colors": colors, "entries": list(zip(colors, class_labels(c))), "title": effect_words(col, unit),
            "short": avg.short if avg and not avg[1] else "",
            "notes": [n for n in (layer_sentence(col, var=var, y=y, unit=unit), avg and avg[0], classes_note(c)) if n]}


def _entries(p: dict, layer: MapLayer, first: bool = True) -> list:
    """A panel's legend handles without the notes: its classes and no data, and on the first map (``first``)
    the entries every map shares, not in sample and the group boundaries (said once, as in small multiples)."""
    n_missing = int((p["c"].yb < 0).sum())
    hs = _handles(p["entries"], layer, n_missing, None)
    return hs if first else hs[:len(p["entries"]) + (1 if n_missing else 0)]


def _heads(p: dict, width: float) -> tuple[str, str, float]:
    """A panel's title and "not significant" line broken to the row's width, and their height in inches with
    the title's pad (the line sits between the title and the map)."""
    import matplotlib as mpl

    title = wrap_text(p["title"], width, _prop(mpl.rcParams["axes.titlesize"]))
    short = wrap_text(p["short"], width, _prop(6.5, "bold")) if p["short"] else ""
    lift = text_height_in(short, _prop(6.5, "bold")) if short else 0.0
    return title, short, text_height_in(title, _prop(mpl.rcParams["axes.titlesize"])) + lift + \
        mpl.rcParams["axes.titlepad"] / 72


def _flow(notes: Sequence[str], beside_w: float, full_w: float, room: float) -> tuple[str, str]:
    """The ``notes`` broken to ``beside_w`` inches as far as ``room`` inches of height go (beside the map),
    the rest broken to ``full_w`` (under it): each note whole on one side, in their order."""
    prop = _prop(NOTE_POINTS)
    beside: list[str] = []
    rest: list[str] = []
    for note in notes:
        if rest:
            rest.append(note)
            continue
        lines = wrap_text(note, beside_w, prop).split("\n")
        if text_height_in("\n".join(beside + lines), prop) * HINTING <= room:
            beside += lines
        else:
            rest.append(note)
    return "\n".join(beside), "\n".join(wrap_text(r, full_w, prop) for r in rest)


def _rows(panels: Sequence[dict], layer: MapLayer, width: float, map_w: float, inner: float) -> list[dict]:
    """Each row's legend, notes beside and under the map and heights in inches, the map ``map_w`` wide."""
    prop = _prop(NOTE_POINTS)
    size = legend_prop().get_size_in_points() / 72
    map_h = map_w * map_aspect(layer.bounds)
    beside_w = inner - map_w - _OFFSET_EM * size - 0.03  # and the text's own margin
    rows = []
    for i, p in enumerate(panels):
        entries = label_height_in([h.get_label() for h in _entries(p, layer, i == 0)], **_LEGEND) * HINTING \
            + _OFFSET_EM * size
        beside, under = _flow(p["notes"], beside_w, width - 2 * PAD_IN - 0.03, map_h - entries - _GAP)
        side = entries + (_GAP + text_height_in(beside, prop) * HINTING if beside else 0.0)
        rows.append({"beside": beside, "under": under, "legend_h": entries, "main": max(map_h, side),
                     "under_h": text_height_in(under, prop) * HINTING if under else 0.0,
                     "head": _heads(p, width - 2 * PAD_IN)[2]})
    return rows


def _height(rows: Sequence[dict], top: float) -> float:
    """The figure's height: the suptitle's ``top``, each row's title, map and notes, the layout's pads."""
    return top + sum(r["head"] + r["main"] + 2 * PAD_IN + (r["under_h"] + 2 * PAD_IN if r["under"] else 0.0)
                     for r in rows) + 2 * PAD_IN


def _layout(panels: Sequence[dict], layer: MapLayer, width: float, top: float, budget: float = MAX_HEIGHT,
            inner: float | None = None) -> dict:
    """The map's width and the rows (see the module docstring): the widest map whose figure, as estimated,
    is at most ``budget`` inches tall; ``inner``: the width of the map's and the legend's cells together
    (default the width less the layout's pads)."""
    inner = width - 4 * PAD_IN if inner is None else inner
    size = legend_prop().get_size_in_points() / 72
    legend_w = _CHROME_EM * size + 0.03 + max(text_width_in(line, legend_prop()) for i, p in enumerate(panels)
                                               for h in _entries(p, layer, i == 0) for line in h.get_label().split("\n"))
    widest = inner - legend_w
    tried = []
    least = max(MIN_MAP_SHARE * width, 0.5) + PAD_IN  # the layout's pads come out of the cells' widths
    # a legend wider than the column leaves no width to try: the narrowest map then, never an error
    for map_w in np.arange(widest, least - 1e-9, -STEP) if widest >= least else [least]:
        rows = _rows(panels, layer, width, float(map_w), inner)
        tried.append({"map_w": float(map_w), "side_w": inner - float(map_w), "rows": rows, "inner": inner,
                      "height": _height(rows, top)})
        if tried[-1]["height"] <= budget:
            return tried[-1]
    lowest = min(t["height"] for t in tried)
    return next(t for t in tried if t["height"] <= lowest + HEIGHT_SLACK)


def spillover_column(layer: MapLayer, unit_effects: pd.DataFrame, columns: Sequence[str], *, var: str, y: str,
                     unit: str, scheme, k: int, averages: Mapping | None, level: float, title: str,
                     size: tuple[float, float | None]):  # noqa: ANN201 - a matplotlib Figure
    """The figure of :func:`spillmap.figures.spillover_maps` laid out as the module docstring says, ``size[0]``
    inches wide and ``size[1]`` tall (``None``: the rows' height, the suptitle's and the layout's pads, at most
    :data:`~spillmap.figures._narrow.MAX_HEIGHT` when a map of at least :data:`MIN_MAP_SHARE` allows).

    The rows' titles and pads take what the constrained layout gives them, a little more than estimated (a
    map's title is raised over its furniture): when the figure came out taller than the page it is drawn
    again for a budget lowered by the excess."""
    panels = [_panel(layer, layer.values(unit_effects[col]), col, var=var, y=y, unit=unit, scheme=scheme, k=k,
                     averages=averages, level=level) for col in columns]
    width, budget, inner = float(size[0]), MAX_HEIGHT, None
    fig = new_figure((width, width), layout="constrained")
    for _ in range(6):  # one pass, or up to two more for the cells' width and two for the height
        fig.clear()
        fig.suptitle(title, fontweight="bold")
        wrap_suptitle(fig)
        lay = _layout(panels, layer, width, text_height_in(fig._suptitle.get_text(),
                                                           fig._suptitle.get_fontproperties()) + 2 * PAD_IN, budget,
                      inner)
        fig.set_size_inches(width, round(lay["height"] if size[1] is None else size[1], 2))
        cells, needs = _cells(fig, panels, lay, width)
        for n, (p, row, (ax, lax)) in enumerate(zip(panels, lay["rows"], cells)):
            _row(ax, lax, layer, p, row, n == 0)
            _furniture(ax, layer, n == 0, n == 0)
        if size[1] is not None:
            break
        _make_room(fig, needs)
        over = float(fig.get_size_inches()[1]) - MAX_HEIGHT
        got = sum(a.get_position().width for a in cells[0]) * width  # matplotlib 3.8 takes more pads
        if abs(got - lay["inner"]) > 0.01:
            inner = got
        elif over <= 0.005 or lay["map_w"] <= MIN_MAP_SHARE * width + PAD_IN + STEP:
            break
        budget -= max(over, 0.0)
    return fig


def _cells(fig, panels: Sequence[dict], lay: dict, width: float) -> tuple[list, list]:  # noqa: ANN001 - a Figure
    """The grid of ``lay``: each row's map and legend cells under the row's title, and a cell for the notes
    under the map; returns the rows' ``(map, legend)`` axes and ``(cell, inches needed)`` of every cell."""
    grid = fig.add_gridspec(sum(2 if r["under"] else 1 for r in lay["rows"]), 2,
                            width_ratios=[lay["map_w"], lay["side_w"]],
                            height_ratios=[h for r in lay["rows"] for h in (r["main"], r["under_h"]) if h])
    cells, needs, i = [], [], 0
    for p, row in zip(panels, lay["rows"]):
        ax, lax = fig.add_subplot(grid[i, 0]), fig.add_subplot(grid[i, 1])
        ax.set_axis_off()
        lax.set_axis_off()
        cells.append((ax, lax))
        needs.append((lax, row["main"]))
        _title_row(ax, lax, *_heads(p, width - 2 * PAD_IN)[:2])
        if row["under"]:
            i += 1
            needs.append((_text_cell(fig.add_subplot(grid[i, :]), row["under"]), row["under_h"]))
        i += 1
    return cells, needs


def _row(ax, lax, layer: MapLayer, p: dict, row: dict, first: bool) -> None:  # noqa: ANN001 - the row's Axes
    """A row's map, its legend of the classes at the top of the cell beside it and the notes under the legend."""
    c = p["c"]
    _draw(ax, layer, [p["colors"][j] if j >= 0 else "#ffffff" for j in c.yb], c.yb < 0)
    lax.set_axis_off()
    leg = _legend(lax, _entries(p, layer, first), None, loc="upper left", anchor=(0, 1))
    leg.set_in_layout(False)  # its cell is as tall as it needs (see the module docstring)
    if row["beside"]:  # under the legend as drawn (its height is estimated a little generously)
        lax.annotate(row["beside"], xy=(0, 0), xycoords=leg, xytext=(0, -_GAP * 72), textcoords="offset points",
                     ha="left", va="top", fontsize=NOTE_POINTS, annotation_clip=False, in_layout=False)


def _text_cell(ax, text: str):  # noqa: ANN001, ANN202 - an Axes in and out
    """``text`` (notes) at the top left of the cell ``ax``, kept out of the layout; the cell's axes off."""
    ax.set_axis_off()
    ax.text(0, 1, text, transform=ax.transAxes, ha="left", va="top", fontsize=NOTE_POINTS, in_layout=False)
    return ax


def _make_room(fig, needs) -> None:  # noqa: ANN001 - a Figure and its cells with the inches each needs
    """Make the figure taller until each cell of ``needs`` (``(axes, inches)``, estimated) is as tall as it
    needs: the rows' titles and pads are laid out by the constrained layout (run here, axes positions only),
    the legends and notes kept out of it; the cells' heights keep their ratios, so all grow alike."""
    engine = fig.get_layout_engine()
    for _ in range(3):
        engine.execute(fig)
        width, height = (float(v) for v in fig.get_size_inches())
        have = [ax.get_position().height * height for ax, _ in needs]
        grow = max(need / max(h, 1e-9) for (_, need), h in zip(needs, have))
        if grow <= 1.002:
            return
        fig.set_size_inches(width, round(height + (grow - 1) * sum(have) + 0.01, 2))


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
