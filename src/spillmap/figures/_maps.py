"""Static maps of a variable: the choropleth and the drawing helpers shared by every static map (the small
multiples: :mod:`spillmap.figures._small_multiples`).

Library used: **geopandas** draws the polygons (``GeoSeries.plot`` on a matplotlib
``Axes``), **mapclassify** classifies through the same functions as the interactive
maps (:mod:`spillmap.maps._classify`: ``classify``, ``class_labels``, ``classes_note``,
ColorBrewer colours from branca), so a static map and its HTML twin show the same
classes, colours and labels.  Units of the layer outside the sample are light grey
("not in sample"), missing values hatched ("no data"), group boundaries (provinces) on
top.  Every function returns a matplotlib ``Figure`` and never writes
(:func:`spillmap.figures.save_figure` does).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from spillmap.errors import DataError
from spillmap.figures._cartography import add_north_arrow, add_scale_bar, map_crs, scale_bar_corner
from spillmap.figures._narrow import finish_map, is_narrow, legend_prop, note_text, note_width, wrap_text
from spillmap.figures._style import figure_style, makes_room, new_figure
from spillmap.maps import _layers
from spillmap.maps._classify import Classification, Scheme, class_labels
from spillmap.maps._diverging import classes_and_colors

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["choropleth", "MapLayer"]

OUT_OF_SAMPLE = "#dddddd"
NO_DATA_HATCH = "////"
#: units "not in sample" on maps that stripe them (LISA): grey stripes on white, unlike any light class
OUT_OF_SAMPLE_HATCH = "\\\\\\"
HATCH_COLOR = "#8c8c8c"


class MapLayer:
    """The layer prepared once for drawing: projected units in the sample, the others, groups."""

    def __init__(self, gdf, *, id: str, sample: Sequence[str] | None = None, group: str | None = None):
        _layers._check_frame(gdf, id, [group] if group else [])
        self.crs = map_crs(gdf)
        full = gdf.to_crs(self.crs)
        full = full.assign(**{id: full[id].astype(str)})
        self.id = id
        self.inside, self.outside = _layers.split_sample(full, id=id, sample=sample)
        self.group = group
        self.groups = _layers.group_boundaries(full, group) if group else None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Extent drawn: the sample and the units around it (a static map shows the whole layer)."""
        both = pd.concat([self.inside.geometry, self.outside.geometry]) if len(self.outside) else self.inside.geometry
        return tuple(both.total_bounds)

    @property
    def ids(self) -> list[str]:
        return self.inside[self.id].tolist()

    def values(self, series: pd.Series) -> np.ndarray:
        s = series.copy()
        s.index = s.index.astype(str)
        return s.reindex(self.ids).to_numpy(dtype=float)


def _draw(ax, layer: MapLayer, colors: Sequence[str], missing: np.ndarray, *, highlight: str | None = None,
          hatch_outside: bool = False, edgecolor: str = "white"):
    """Draw the units: ``colors`` in the sample, light grey outside (``hatch_outside``: grey
    stripes on white), hatched "no data"; ``edgecolor`` of the sample's unit borders."""
    ax.set_axis_off()
    if len(layer.outside) and hatch_outside:
        layer.outside.plot(ax=ax, facecolor="white", edgecolor=HATCH_COLOR, hatch=OUT_OF_SAMPLE_HATCH, linewidth=0.2)
    elif len(layer.outside):
        layer.outside.plot(ax=ax, color=OUT_OF_SAMPLE, edgecolor="white", linewidth=0.2)
    ok = ~missing
    if ok.any():
        layer.inside[ok].plot(ax=ax, color=[c for c, m in zip(colors, missing) if not m], edgecolor=edgecolor,
                              linewidth=0.15 if edgecolor == "white" else 0.25)
    if missing.any():
        layer.inside[missing].plot(ax=ax, facecolor="white", edgecolor="#9a9a9a", hatch=NO_DATA_HATCH, linewidth=0.2)
    if layer.groups is not None:
        layer.groups.plot(ax=ax, color="#303030", linewidth=0.45)
    if highlight is not None:
        layer.inside[layer.inside[layer.id] == str(highlight)].boundary.plot(ax=ax, color="black", linewidth=1.2)
    minx, miny, maxx, maxy = layer.bounds
    padx, pady = 0.03 * (maxx - minx), 0.03 * (maxy - miny)
    pin_extent(ax, (minx - padx, maxx + padx), (miny - pady, maxy + pady))


def pin_extent(ax, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
    """Show ``xlim`` x ``ylim`` at an equal aspect, widened in one direction to the axes' box.

    matplotlib keeps an equal aspect by widening the data limits to the shape of the box
    (``adjustable="datalim"``), starting from whatever the limits were: once for the box
    before the constrained layout and again for the box after it, at every draw, so both
    directions grew and the map shrank inside its panel.  Here every aspect adjustment
    starts from the extent given (:func:`_fit_to_box`), so the map fills its box in one
    direction at every draw, and the PNG and the PDF show the same map.  When the limits
    were changed after the map was drawn (a user zooming into the returned figure), the
    axes get matplotlib's own adjustment back and keep that view.
    """
    ax.set_xlim(*xlim)  # autoscaling off: from here on only spillmap and the user move the view
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="datalim")
    adjust = type(ax).apply_aspect
    left = [(ax.get_xlim(), ax.get_ylim())]  # the view as spillmap last left it

    def apply_aspect(position=None):
        if (ax.get_xlim(), ax.get_ylim()) != left[0]:  # changed by someone else: theirs from now on
            del ax.apply_aspect
            return adjust(ax, position)
        _fit_to_box(ax, xlim, ylim, position)
        adjust(ax, position)  # places the box; the data already have its shape, so the limits stay
        left[0] = (ax.get_xlim(), ax.get_ylim())

    ax.apply_aspect = apply_aspect


def _fit_to_box(ax, xlim: tuple[float, float], ylim: tuple[float, float], position) -> None:
    """Set the limits to ``xlim`` x ``ylim`` widened about its centre to the shape of the axes'
    box at ``position`` (default its layout position), as ``adjustable="datalim"`` computes it."""
    from matplotlib.transforms import Bbox

    pos = ax.get_position(original=True) if position is None else position
    fig = Bbox.unit().transformed(ax.figure.transSubfigure)
    box = (fig.height / fig.width) * (pos.height / pos.width)  # height / width of the box on the page
    width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]
    if height < box * width:  # the box is taller than the extent: widen y
        mid, half = 0.5 * (ylim[0] + ylim[1]), 0.5 * box * width
        ax.set_xlim(*xlim)
        ax.set_ylim(mid - half, mid + half)
    else:
        mid, half = 0.5 * (xlim[0] + xlim[1]), 0.5 * height / box
        ax.set_xlim(mid - half, mid + half)
        ax.set_ylim(*ylim)


def _handles(entries: Sequence[tuple[str, str]], layer: MapLayer, n_missing: int, note: str | Sequence[str] | None,
             *, hatch_outside: bool = False, wrap_in: float | None = None):
    """Legend handles: the classes, no data, not in sample, group boundaries, then the note
    (a string, or lines each wrapped on their own: at 46 characters, or with ``wrap_in`` to that many
    inches or the widest entry's width, measured: :func:`spillmap.figures._narrow.note_text`)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    hs = [Patch(facecolor=c, edgecolor="#777777", linewidth=0.4, label=lab) for c, lab in entries]
    if n_missing:
        hs.append(Patch(facecolor="white", edgecolor="#9a9a9a", hatch=NO_DATA_HATCH, label=f"no data ({n_missing})"))
    outside = f"{_layers.NOT_IN_SAMPLE} ({len(layer.outside)})"
    if len(layer.outside) and hatch_outside:
        hs.append(Patch(facecolor="white", edgecolor=HATCH_COLOR, hatch=OUT_OF_SAMPLE_HATCH, label=outside))
    elif len(layer.outside):
        hs.append(Patch(facecolor=OUT_OF_SAMPLE, edgecolor="#bbbbbb", label=outside))
    if layer.group:
        hs.append(Line2D([], [], color="#303030", linewidth=0.9, label=f"{layer.group} boundaries"))
    if note:
        import textwrap

        lines = [note] if isinstance(note, str) else [n for n in note if n]
        text = "\n".join(textwrap.fill(n, 46) for n in lines) if wrap_in is None else note_text(
            lines, wrap_in, [h.get_label() for h in hs])
        hs.append(Line2D([], [], linestyle="none", label=text))
    return hs


_OUTSIDE = {"outside right": ("center left", (1.01, 0.5)), "outside bottom": ("upper center", (0.5, -0.01))}
#: where ``"outside"`` goes on a figure that makes no room for it (a user's ``plt.subplots()``): inside the
#: map on the same side, where it may cover units but not the figure's other axes (notebook audit 32 #13)
_INSIDE = {"outside right": "center right", "outside bottom": "lower center"}


def _outside_side(ax, layer: MapLayer) -> str:
    """``"outside bottom"`` for a map wider than the axes' box (the legend under it takes the height
    the map leaves free), else ``"outside right"``."""
    minx, miny, maxx, maxy = layer.bounds
    pos = ax.get_position(original=True)  # not get_position(): it applies the aspect, moving the extent
    w, h = ax.figure.get_size_inches()
    box = (w * pos.width) / (h * pos.height)
    return "outside bottom" if (maxx - minx) >= box * (maxy - miny) else "outside right"


def _legend(ax, handles, title: str | None, *, loc: str = "outside", anchor=None, ncol: int = 1,
            layer: MapLayer | None = None):
    """The map legend; ``loc`` is a matplotlib location inside the map, ``"outside right"`` /
    ``"outside bottom"``, or ``"outside"``: the side of :func:`_outside_side` (of ``layer``), off the
    data; under a map in two columns when it has more than five entries.  On a narrow figure
    (:func:`~spillmap.figures._narrow.is_narrow`) ``"outside"`` is under the map in one column, its title
    broken to the figure's width.  On a figure that makes no room for it (:func:`makes_room`: a user's
    ``plt.subplots()`` passed as ``ax=``) ``"outside"`` is inside the map on that side, in one column."""
    narrow = loc == "outside" and is_narrow(ax.figure)
    if narrow:
        loc = "outside bottom"
    elif loc == "outside" and not makes_room(ax.figure):
        loc = _INSIDE[_outside_side(ax, layer) if layer is not None else "outside right"]
    elif loc == "outside":
        loc = _outside_side(ax, layer) if layer is not None else "outside right"
        ncol = 2 if loc == "outside bottom" and len(handles) > 5 else ncol
    if loc in _OUTSIDE:
        import textwrap

        loc, anchor = _OUTSIDE[loc]
        title = textwrap.fill(title, 46) if title and not narrow else title  # as the note: no wider than it needs
        title = wrap_text(title, note_width(ax.figure), legend_prop(True)) if title and narrow else title
    leg = ax.legend(handles=handles, title=title, loc=loc, bbox_to_anchor=anchor, frameon=True, framealpha=0.9,
                    edgecolor="#cccccc", ncol=ncol, handlelength=1.4, handleheight=0.9, borderpad=0.5,
                    labelspacing=0.3, alignment="left")
    leg.get_title().set_fontweight("bold")
    return leg


def _furniture(ax, layer: MapLayer, scale_bar: bool, north_arrow: bool) -> None:
    """Scale bar in the emptiest corner of the map (:func:`scale_bar_corner`) and north arrow."""
    if scale_bar:
        drawn = pd.concat([layer.inside.geometry, layer.outside.geometry]) if len(layer.outside) else layer.inside.geometry
        add_scale_bar(ax, layer.crs, loc=scale_bar_corner(ax, layer.crs, drawn))
    if north_arrow:
        add_north_arrow(ax)


def _one_map(ax, layer, values, c: Classification, colors, *, legend_title, note, legend_loc, ncol: int = 1,
             wrap_in: float | None = None):
    cols = [colors[j] if j >= 0 else "#ffffff" for j in c.yb]
    missing = c.yb < 0
    _draw(ax, layer, cols, missing)
    entries = list(zip(colors, class_labels(c)))
    _legend(ax, _handles(entries, layer, int(missing.sum()), note, wrap_in=wrap_in), legend_title, loc=legend_loc,
            ncol=ncol, layer=layer)


def _numeric(layer: MapLayer, gdf, column: str, id: str) -> np.ndarray:
    if column not in gdf.columns:
        raise DataError(f"column {column!r} not in the layer; available: {', '.join(map(repr, gdf.columns))}.")
    if not pd.api.types.is_numeric_dtype(gdf[column]):
        raise DataError(f"column {column!r} is not numeric (dtype {gdf[column].dtype}); a choropleth needs numbers.")
    return layer.values(gdf.set_index(gdf[id].astype(str))[column])


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    id: str,
    sample: Sequence[str] | None = None,
    group: str | None = None,
    scheme: Scheme | Literal["quantiles_by_sign"] = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str = "YlOrRd",
    title: str | None = None,
    legend_title: str | None = None,
    legend_loc: str = "outside",
    figsize: tuple[float, float | None] = (6.5, 5.0),
    scale_bar: bool = True,
    north_arrow: bool = True,
    ax: Axes | None = None,
    note: str | None = None,
) -> Figure:
    """A choropleth of one column, classified as in :func:`spillmap.maps.choropleth`.

    Parameters
    ----------
    gdf
        The boundary layer (any CRS; a geographic one is drawn in a Lambert azimuthal
        equal-area projection centred on the layer).
    column, id
        The variable and the unit id column.
    sample
        Ids of the units in the sample (default all); the others are light grey.
    group
        Column of a higher-level unit (``"province"``) whose boundaries are drawn on top.
    scheme, k, bins, cmap
        Classification and ColorBrewer colours (see :func:`spillmap.maps.choropleth.classify`).
        ``scheme="quantiles_by_sign"`` with a diverging ``cmap`` (``"RdBu_r"``) for values of both signs:
        classes broken at 0, quantiles within each sign, ``(k + 1) // 2`` on each side (3 for ``k=5``), the
        palette's low half below 0 and its high half above, no white middle
        (:func:`spillmap.maps._diverging.classify_by_sign`).
    title, legend_title, legend_loc
        Axes title, legend title (default ``column``) and legend location: ``"outside"``
        (default: off the data, under a map wider than its box, else right of it; with ``ax=`` on a
        figure without a constrained layout, e.g. ``plt.subplots()``, inside the map on that side, where
        it may cover units but not the other axes), ``"outside right"`` / ``"outside bottom"``, or a
        matplotlib location inside the map (``"lower left"``), which may cover units.
    figsize
        Inches (at 300 dpi, 6.5 x 5 in is 1950 x 1500 px).  Narrower than 5 in, the figure is laid out for a
        journal's column (:mod:`spillmap.figures._narrow`: the legend under the map, its notes and the title
        broken to the width, the type at its size); a height of ``None`` is the title, the map at the
        figure's width and the legend (``(3.5, None)``).
    scale_bar, north_arrow
        Draw them.
    ax
        Draw into this Axes instead of a new figure; ``ax.figure`` is returned (in a notebook with pyplot,
        end the line with ``;`` or call ``plt.show()``, else the figure shows twice).
    note
        The legend's last line (default: the classification and the range, e.g.
        ``classes: quantiles; range 0.92 – 8.56``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    with figure_style():
        layer = MapLayer(gdf, id=id, sample=sample, group=group)
        values = _numeric(layer, gdf, column, id)
        c, colors, classes = classes_and_colors(values, scheme, k, bins, cmap)
        fit = ax is None and figsize[1] is None
        fig, ax = (ax.figure, ax) if ax is not None else _fig_ax(figsize)
        _one_map(ax, layer, values, c, colors, legend_title=legend_title or column,
                 note=note or classes, legend_loc=legend_loc, wrap_in=note_width(fig))
        _furniture(ax, layer, scale_bar, north_arrow)
        finish_map(ax, title, layer.bounds, fit)
    return fig


def _fig_ax(figsize):
    """A new figure and its one axes; a height of ``None`` is the width for now (:func:`finish_map` fits it)."""
    fig = new_figure((figsize[0], figsize[0] if figsize[1] is None else figsize[1]), layout="constrained")
    return fig, fig.add_subplot()
