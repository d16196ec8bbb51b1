"""Static maps of a variable over several periods: small multiples with one shared classification.

Split from :mod:`spillmap.figures._maps` (whose drawing helpers it uses): **geopandas** draws the polygons,
**mapclassify** classifies through :mod:`spillmap.maps._classify` as the interactive maps do.  Returns a
matplotlib ``Figure`` and never writes.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.figures._maps import MapLayer, _draw, _furniture, _handles
from spillmap.figures._narrow import (
    PAD_IN,
    fit_grid_height,
    fitting_ncol,
    is_narrow,
    legend_prop,
    wrap_suptitle,
    wrap_text,
)
from spillmap.figures._style import figure_style, new_figure
from spillmap.maps import _layers
from spillmap.maps._classify import Scheme, class_labels, classes_note, classify, palette

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.figure import Figure

__all__ = ["small_multiples"]


def small_multiples(
    gdf: gpd.GeoDataFrame,
    panel: pd.DataFrame,
    *,
    id: str,
    time: str,
    column: str,
    periods: Sequence | None = None,
    layer_id: str | None = None,
    ncols: int = 3,
    sample: Sequence[str] | None = None,
    group: str | None = None,
    scheme: Scheme = "quantiles",
    k: int = 5,
    cmap: str = "YlOrRd",
    title: str | None = None,
    panel_width: float = 3.0,
) -> Figure:
    """One map per period with **one** classification pooled over the periods shown.

    ``sample`` defaults to the units present in ``panel``; a unit absent from one period
    is "no data" there.  One legend (the shared classes) sits under the panels; the first
    panel carries the scale bar and north arrow.

    Parameters
    ----------
    gdf
        The boundary layer (any CRS; a geographic one is drawn in a Lambert azimuthal
        equal-area projection centred on the layer).
    panel
        Long panel with ``id``, ``time`` and ``column``.
    id, time
        Unit id column (of ``gdf`` and ``panel``) and period column (of ``panel``).
    column
        The numeric variable to map.
    periods
        Periods to draw, in this order (default: all, sorted).
    layer_id
        The id column of ``gdf`` when it is not named ``id`` (e.g. ``"STATE_ABBR"`` for a
        panel keyed by ``"state_abbr"``); default ``id``.
    ncols
        Panels per row, 1 to 6 (default 3).
    sample
        Ids of the units in the sample (default: the units present in ``panel``); the
        others are light grey.
    group
        Column of a higher-level unit (``"province"``) whose boundaries are drawn on top.
    scheme, k, cmap
        Classification and ColorBrewer colours (see :func:`spillmap.maps.choropleth.classify`;
        default quantiles, 5 classes, ``"YlOrRd"``).
    title
        Figure title (default none).
    panel_width
        Width of one panel in inches (default 3; height 0.8 of it).  A figure narrower than 5 in (a
        journal's column, :mod:`spillmap.figures._narrow`) has panels as tall as their maps and its legend
        in as many columns as fit, its title broken to the width.

    Returns
    -------
    matplotlib.figure.Figure
    """
    for col in (id, time, column):
        if col not in panel.columns:
            raise DataError(f"panel column {col!r} not found; available: {', '.join(map(repr, panel.columns))}.")
    d = panel.assign(**{id: panel[id].astype(str)})
    all_periods = sorted(d[time].unique().tolist())
    periods = list(periods) if periods is not None else all_periods
    unknown = [p for p in periods if p not in set(all_periods)]
    if unknown or not periods:
        raise DataError(f"periods not in column {time!r}: {unknown or 'none given'}.")
    if not 1 <= int(ncols) <= 6:
        raise InputError(f"ncols must be between 1 and 6, got {ncols}.")
    with figure_style():
        layer = MapLayer(_layers.keyed_layer(gdf, id=id, layer_id=layer_id), id=id,
                         sample=sample if sample is not None else d[id].unique().tolist(), group=group)
        wide = d.pivot_table(index=id, columns=time, values=column, aggfunc="first").reindex(
            index=layer.ids, columns=periods)
        pooled = classify(wide.to_numpy().ravel(), scheme=scheme, k=k)
        colors = palette(cmap, pooled.k)
        nrows = -(-len(periods) // ncols)
        fig = new_figure((panel_width * ncols, panel_width * 0.8 * nrows + 0.9), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        yb_all = pooled.yb.reshape(wide.shape)
        for i, p in enumerate(periods):
            yb = yb_all[:, i]
            _draw(axes[i], layer, [colors[j] if j >= 0 else "#ffffff" for j in yb], yb < 0)
            axes[i].set_title(str(p))
            if i == 0:
                _furniture(axes[i], layer, True, True)
        for ax in axes[len(periods):]:
            ax.set_axis_off()
        entries = list(zip(colors, class_labels(pooled, counts=False)))
        handles = _handles(entries, layer, int((yb_all < 0).sum()), None)
        note = classes_note(pooled, pooled=f"pooled over {len(periods)} periods")
        _legend_and_title(fig, handles, f"{column}\n{note}", title)
        if is_narrow(fig):  # a column: the panels as tall as their maps, the legend's height under them
            fit_grid_height(fig, axes[:len(periods)], nrows, layer.bounds, fig.legends[0])
    return fig


def _legend_and_title(fig, handles, legend_title: str, title: str | None) -> None:  # noqa: ANN001
    """The shared legend under the panels (three columns; on a narrow figure as many as fit, its title
    broken to the width) and the bold figure title (broken to a narrow figure's width)."""
    narrow = is_narrow(fig)
    width = float(fig.get_size_inches()[0]) - 4 * PAD_IN
    ncol = fitting_ncol([h.get_label() for h in handles], width, 3) if narrow else min(len(handles), 3)
    leg = fig.legend(handles=handles, title=wrap_text(legend_title, width, legend_prop(True)) if narrow else
                     legend_title, loc="outside lower center", ncol=ncol, frameon=False)
    leg.get_title().set_fontweight("bold")
    if title:
        fig.suptitle(title, fontweight="bold")
        wrap_suptitle(fig)
