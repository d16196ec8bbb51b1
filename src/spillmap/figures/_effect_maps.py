"""Static maps of results: LISA clusters, per-unit spillovers, one unit's response.

Colours and classes come from the interactive maps' own functions
(:data:`spillmap.maps.lisa.LISA_COLORS`, :func:`spillmap.maps.spillover.value_classes`:
diverging around zero when an effect changes sign, ``"auto"`` classes otherwise), so the
static and the HTML map agree.  The numbers come from
:func:`spillmap.spatial.local_moran`, :func:`spillmap.estimation.effects.unit_effects` and
:func:`~spillmap.estimation.effects.unit_response`; nothing is computed here.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.figures._maps import MapLayer, _draw, _fig_ax, _furniture, _handles, _legend, _one_map
from spillmap.figures._narrow import NARROW_INCHES, finish_map, note_width
from spillmap.figures._narrow import legend_width_in as _legend_width_in
from spillmap.figures._spillover_column import spillover_column
from spillmap.figures._style import figure_style, new_figure
from spillmap.maps._classify import NEGLIGIBLE_FRACTION, Scheme, classes_note
from spillmap.maps.lisa import LISA_COLORS, LISA_LABELS, _clusters
from spillmap.maps._significance import AVERAGE_OF, average_line, effects_by_part, layer_sentence
from spillmap.maps.spillover import NEGLIGIBLE, SPILLOVER_COLUMNS, effect_words, negligible_classes, value_classes

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["lisa_map", "spillover_maps", "response_map"]


def lisa_map(
    gdf: gpd.GeoDataFrame,
    lisa_frame: pd.DataFrame,
    *,
    id: str,
    group: str | None = None,
    variable: str | None = None,
    title: str | None = None,
    legend_loc: str = "outside",
    figsize: tuple[float, float | None] = (6.5, 5.0),
    scale_bar: bool = True,
    north_arrow: bool = True,
    ax: Axes | None = None,
) -> Figure:
    """LISA clusters (HH, LL, LH, HL, not significant) in GeoDa's colours.

    ``lisa_frame`` is :func:`spillmap.spatial.local_moran`'s output (index: unit id);
    units of the layer absent from it are "not in sample".  The legend states the
    significance rule and permutations from ``lisa_frame.attrs``.

    Parameters
    ----------
    gdf
        The boundary layer (any CRS).
    lisa_frame
        :func:`spillmap.spatial.local_moran` output, with a ``cluster`` column (or
        ``quadrant`` and ``significant``).
    id
        Unit id column of ``gdf`` (matched to the frame's index as text).
    group
        Column of a higher-level unit (``"province"``) whose boundaries are drawn on top.
    variable
        Name of the variable (legend title "LISA clusters of ...").
    title
        Axes title (default none).
    legend_loc
        ``"outside"`` (default: off the data, under a map wider than its box, else right of
        it), ``"outside right"`` / ``"outside bottom"``, or a matplotlib location inside the
        map (``"lower left"``), which may cover units.
    figsize
        Inches (default 6.5 x 5), for a new figure; narrower than 5 in, laid out for a column, and a height
        of ``None`` fits the map and its legend (as in :func:`~spillmap.figures.choropleth`).
    scale_bar, north_arrow
        Draw them (default ``True``).
    ax
        Draw into this Axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from spillmap.maps.lisa import _note

    clusters = _clusters(lisa_frame)
    clusters.index = lisa_frame.index.astype(str)
    bad = sorted(set(clusters) - set(LISA_COLORS))
    if bad:
        raise DataError(f"unknown LISA cluster labels {bad}; expected {list(LISA_COLORS)}.")
    with figure_style():
        layer = MapLayer(gdf, id=id, sample=list(clusters.index), group=group)
        cl = clusters.reindex(layer.ids)
        fit = ax is None and figsize[1] is None
        fig, ax = (ax.figure, ax) if ax is not None else _fig_ax(figsize)
        # "not in sample" striped and unit borders grey: the light "not significant" units stay
        # visible on white paper and read apart from the units outside the sample, also in greyscale
        _draw(ax, layer, [LISA_COLORS[c] for c in cl], np.zeros(len(cl), dtype=bool), hatch_outside=True,
              edgecolor="#8c8c8c")
        counts = cl.value_counts()
        entries = [(LISA_COLORS[k], f"{LISA_LABELS[k]} ({int(counts.get(k, 0))})") for k in LISA_COLORS]
        _legend(ax, _handles(entries, layer, 0, _note(lisa_frame.attrs, None, None), hatch_outside=True,
                             wrap_in=note_width(fig)),
                f"LISA clusters of {variable}" if variable else "LISA clusters", loc=legend_loc, layer=layer)
        _furniture(ax, layer, scale_bar, north_arrow)
        finish_map(ax, title, layer.bounds, fit)
    return fig


def spillover_maps(
    gdf: gpd.GeoDataFrame,
    unit_effects: pd.DataFrame,
    *,
    id: str,
    var: str,
    y: str = "y",
    unit: str = "unit",
    columns: Sequence[str] = tuple(SPILLOVER_COLUMNS),
    group: str | None = None,
    scheme: Scheme = "auto",
    k: int = 5,
    title: str | None = None,
    panel_size: tuple[float, float] | None = None,
    average_effects: pd.DataFrame | Mapping[str, Mapping[str, float]] | None = None,
    level: float = 0.95,
    stacked: bool | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Direct effect, spillover received and spillover emitted of ``var``: one panel each.

    Each panel has its own classes (``scheme="auto"``: equal width over a narrow range,
    else Fisher-Jenks; diverging around zero when an effect changes sign) and legend.
    By default the panels are stacked, one per row with its legend right of the map, in a
    figure 7 in wide (a journal's full text width), so its 7 pt legends print at 7 pt
    (paper audit 27 #8: side by side the figure was 10.8 in wide, its legends 4.2 pt at 6.5 in).

    Parameters
    ----------
    gdf
        The boundary layer (any CRS).
    unit_effects
        :func:`spillmap.estimation.effects.unit_effects` output (index: unit id).
    id
        Unit id column of ``gdf`` (matched to the index as text).
    var, y
        The regressor and the dependent variable (for the title).
    unit
        The unit word of the panel titles (default ``"unit"``; ``"city"``).
    columns
        Columns of ``unit_effects`` to draw, one panel each (default direct, spillover
        received, spillover emitted).
    group
        Column of a higher-level unit (``"province"``) whose boundaries are drawn on top.
    scheme, k
        Classification of one-signed effects (default ``"auto"``, 5 classes; see
        :func:`spillmap.maps.choropleth.classify`).
    title
        Figure title (default "Effect on <y> of a unit change of <var>").
    panel_size
        Width and height of one panel (a row when stacked) in inches (default
        :data:`STACKED_PANEL` stacked, 3.6 x 4.4 side by side).
    average_effects, level
        The fitted model's average effects of ``var`` per part and the results' level, as in
        :func:`spillmap.maps.spillover_map`: each panel's legend then gives the average
        effect it maps, its SE and p-value, and a panel whose average is not significant
        says so under its title.  Default: not shown.
    stacked
        One panel per row, its legend right of the map (``True``), or the panels side by
        side, legends under the maps (``False``).  Default: stacked, unless ``panel_size`` is
        given (side by side, the layout of spillmap before 0.27).
    figsize
        The whole figure in inches; wins over ``panel_size`` (default: from it).  Stacked and narrower than
        5 in (a journal's column), or with a height of ``None`` (fitted to the rows), the figure is laid out
        by :func:`spillmap.figures._spillover_column.spillover_column`: each legend in a cell of its own
        beside its map, its notes broken to the width that makes the rows lowest, the type at its size.

    Returns
    -------
    matplotlib.figure.Figure
        Each panel's legend note says in one sentence what the panel shows.
    """
    missing = [c for c in columns if c not in unit_effects.columns]
    if missing or not columns:
        raise DataError(f"unit_effects lacks column(s) {missing or 'none given'}; expected the output of "
                        "spillmap.estimation.effects.unit_effects.")
    with figure_style():
        layer = MapLayer(gdf, id=id, sample=list(unit_effects.index.astype(str)), group=group)
        stacked = panel_size is None if stacked is None else bool(stacked)
        pw, ph = panel_size or (STACKED_PANEL if stacked else (3.6, 4.4))
        n = len(columns)
        size = figsize or ((pw, ph * n + 0.45) if stacked else (pw * n, ph))
        title = title or f"Effect on {y} of a unit change of {var}"
        if stacked and (size[0] < NARROW_INCHES or size[1] is None):  # a column, or a height to fit
            return spillover_column(layer, unit_effects, columns, var=var, y=y, unit=unit, scheme=scheme, k=k,
                                    averages=effects_by_part(average_effects), level=level, title=title, size=size)
        size = (size[0], ph) if size[1] is None else size
        fig = new_figure(size, layout="constrained")
        axes = fig.subplots(n if stacked else 1, 1 if stacked else n, squeeze=False).ravel()
        averages = effects_by_part(average_effects)
        for i, (ax, col) in enumerate(zip(axes, columns)):
            values = layer.values(unit_effects[col])
            c, colors = value_classes(values, scheme=scheme, k=k)
            avg = average_line(AVERAGE_OF.get(col, ""), averages, level)
            _one_map(ax, layer, values, c, colors, legend_title=None,
                     legend_loc="outside right" if stacked else "outside bottom",
                     note=[layer_sentence(col, var=var, y=y, unit=unit), avg and avg[0], classes_note(c)])
            ax.set_title(effect_words(col, unit), loc="left")
            if avg and not avg[1]:  # said where the eye goes first, not only in the legend's note
                ax.text(0, 1, avg.short, transform=ax.transAxes, ha="left",
                        va="bottom", fontsize=6.5, color="#8a3b00", fontweight="bold")
            _furniture(ax, layer, i == 0, i == 0)
        fig.suptitle(title, fontweight="bold")
        if stacked and figsize is None:
            fig.set_size_inches(_stacked_width(fig, axes, layer), size[1])
    return fig


def _stacked_width(fig, axes, layer: MapLayer) -> float:  # noqa: ANN001 - a Figure and its Axes
    """The width the stacked spillover maps need, at most their figure's: the widest legend beside a map
    as tall as its row, so the map is not centred in a row of white space (a tall layer, China with its
    islands, leaves half of a 7-in row empty).  The legends are measured (no drawing); the map's height
    is the row's less its title and the figure's share of the suptitle and a notice's strip.

    The legends' widths come from their texts' FreeType advances (:func:`_legend_width_in`), not from a
    layout with the canvas's renderer: that left state behind which moved the final layout by ~1e-13,
    so the same figure's PDF differed between processes."""
    from spillmap.figures._style import notice_strip_inches

    w, h = fig.get_size_inches()
    legend = max(_legend_width_in(ax.get_legend()) for ax in axes)
    minx, miny, maxx, maxy = layer.bounds
    row = (h - 0.4 - notice_strip_inches(2)) / len(axes) - 0.3
    return round(min(w, row * (maxx - minx) / max(maxy - miny, 1e-12) + legend + 0.35), 2)


#: width and height in inches of one row of the stacked spillover maps (:func:`spillover_maps`): three
#: rows, title and notice fit a journal page (7 x 9 in)
STACKED_PANEL = (7.0, 2.7)

def response_map(
    gdf: gpd.GeoDataFrame,
    response: pd.Series,
    *,
    id: str,
    source_id: str,
    var: str,
    y: str = "y",
    unit: str = "unit",
    name_column: str | None = None,
    group: str | None = None,
    scheme: Scheme = "quantiles",
    k: int = 5,
    title: str | None = None,
    legend_loc: str = "outside",
    figsize: tuple[float, float | None] = (6.5, 5.0),
    ax: Axes | None = None,
    average_effects: pd.DataFrame | Mapping[str, Mapping[str, float]] | None = None,
    level: float = 0.95,
    negligible: float = NEGLIGIBLE_FRACTION,
) -> Figure:
    """Effect on every unit of a unit change of ``var`` in ``source_id`` (outlined, own colour).

    The source's own (direct) effect is left out of the classes (it dwarfs the others)
    and shown as its own legend entry; class bounds get as many digits as keep them apart.
    Effects below ``negligible`` times the largest of the other units' are grey
    ("negligible"), not coloured as if those units responded; units outside the sample are
    then striped, to read apart from them.

    Parameters
    ----------
    gdf
        The boundary layer (any CRS).
    response
        :func:`spillmap.estimation.effects.unit_response` output (index: unit id).
    id
        Unit id column of ``gdf`` (matched to the index as text).
    source_id
        The unit whose ``var`` changed; must be in ``response``.
    var, y
        The regressor and the dependent variable (for the legend).
    unit
        The unit word (default ``"unit"``); not used by this figure (it is by
        :func:`spillmap.maps.unit_response_map`, whose arguments this one accepts).
    name_column
        Column of ``gdf`` naming the source in the legend (default: its id).
    group
        Column of a higher-level unit (``"province"``) whose boundaries are drawn on top.
    scheme, k
        Classification of the other units (default quantiles, 5 classes).
    title
        Axes title (default none).
    legend_loc
        As in :func:`lisa_map` (default ``"outside"``: off the data).
    figsize
        Inches (default 6.5 x 5), for a new figure; narrower than 5 in, laid out for a column, and a height
        of ``None`` fits the map and its legend (as in :func:`~spillmap.figures.choropleth`).
    ax
        Draw into this Axes instead of a new figure.
    average_effects, level
        As in :func:`spillover_maps`: the legend gives the average indirect effect (what the
        other units' colours show), its SE and p-value, and whether it is significant.
    negligible
        Display threshold, a fraction of the largest ``|effect|`` of the other units (default
        1e-3): units below it form the grey "negligible" class, the others are classified by
        ``scheme``; the legend states the threshold.  0 classifies every unit.  Nothing is
        tested: a unit's effect is the model's deterministic response.

    Returns
    -------
    matplotlib.figure.Figure
    """
    r = response.copy()
    r.index = r.index.astype(str)
    if str(source_id) not in set(r.index):
        raise DataError(f"source_id {source_id!r} is not in the response's index.")
    if name_column is not None and name_column not in gdf.columns:
        raise InputError(f"name_column {name_column!r} not in the layer.")
    with figure_style():
        layer = MapLayer(gdf, id=id, sample=list(r.index), group=group)
        values = layer.values(r)
        src = layer.ids.index(str(source_id))
        others = values.copy()
        others[src] = np.nan
        c, colors, cut = negligible_classes(others, scheme=scheme, k=k, negligible=negligible)
        small = None if cut is None else (cut,)  # the HTML response map's classes (maps.spillover)
        src_name = str(layer.inside[name_column].iloc[src]) if name_column else str(source_id)
        fit = ax is None and figsize[1] is None
        fig, ax = (ax.figure, ax) if ax is not None else _fig_ax(figsize)
        src_color = "#6a3d9a"
        c.yb[src] = -2  # own class, drawn below
        cols = [colors[j] if j >= 0 else {-2: src_color, -3: NEGLIGIBLE}.get(j, "#ffffff") for j in c.yb]
        _draw(ax, layer, cols, c.yb == -1, highlight=str(source_id), hatch_outside=small is not None)
        from spillmap.maps._classify import class_labels

        from spillmap.maps._layers import format_significant

        entries = [(src_color, f"{src_name} itself (direct): {format_significant(values[src])}"),
                   *zip(colors, class_labels(c))]
        avg = average_line("indirect", effects_by_part(average_effects), level)
        notes = [avg and avg[0], classes_note(c)]
        if small is not None:  # below the classes: the smallest effects, in grey
            from spillmap.maps._classify import reading

            entries.append((NEGLIGIBLE, f"negligible: |effect| < {reading(small[0], digits=2)} ({int((c.yb == -3).sum())})"))
            notes.append(f"negligible: below {negligible * 100:.3g} % of the largest |effect| on another {unit} (a display "
                         "threshold, not a test), in grey")
        _legend(ax, _handles(entries, layer, int((c.yb == -1).sum()), notes, hatch_outside=small is not None,
                             wrap_in=note_width(fig)),
                f"effect on {y} of +1 {var} in {src_name}", loc=legend_loc, layer=layer)
        _furniture(ax, layer, True, True)
        finish_map(ax, title, layer.bounds, fit)
    return fig
