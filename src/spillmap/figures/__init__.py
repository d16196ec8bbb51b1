"""spillmap.figures: static figures for papers and planning documents (matplotlib).

Every function returns a matplotlib ``Figure`` (Agg canvas, no pyplot state) and never
writes; :func:`save_figure` writes PNG (300 dpi) and PDF (vector) atomically.

In Jupyter a returned figure shows as an image, with or without ``%matplotlib inline`` (its
``_repr_png_``; once pyplot's inline backend is active, that backend draws it).  With ``ax=`` (an Axes
of your own, e.g. from ``plt.subplots()``) a function draws into it and returns ``ax.figure``: pyplot
shows that figure at the end of the cell, so end the call's line with ``;`` (or call ``plt.show()``),
else the notebook shows it twice.  On such a figure without a constrained layout the Moran plots and maps put
their legends inside their axes, never over the neighbouring ones (``plt.subplots(...,
layout="constrained")`` keeps them under the axes).

=========================  ==============================================================
``choropleth``             one variable, mapclassify classes as in the HTML maps; units
                           outside the sample light grey, group (province) boundaries,
                           legend, scale bar, north arrow
``small_multiples``        one variable over several periods, one shared classification
``lisa_map``               LISA clusters (HH/LL/LH/HL/not significant)
``spillover_maps``         direct effect, spillover received, spillover emitted
``response_map``           effect on every unit of a change in one unit
``moran_scatterplot``      standardised value vs its spatial lag, slope = Moran's I
                           (``moran_scatter_from_lags`` + ``moran_scatter_points``: from
                           stored spatial lags, without W)
``moran_trend``            Moran's I by period with the band expected without autocorrelation
``effects_plot``           direct/indirect/total effects with intervals, one panel per W/model
``save_figure``            PNG + PDF, atomic, no silent overwrite
=========================  ==============================================================

Fonts: your matplotlib settings are used, with an installed CJK font (Noto Sans CJK,
WenQuanYi Zen Hei, Microsoft YaHei, SimHei, PingFang ...) appended as a fallback so
Chinese names render; without one nothing fails (CJK glyphs show as boxes).  Debian:
``apt-get install fonts-wqy-zenhei`` or ``fonts-noto-cjk``.
"""
from spillmap.figures._cartography import add_north_arrow, add_scale_bar, map_crs
from spillmap.figures._effect_maps import lisa_map, response_map, spillover_maps
from spillmap.figures._maps import choropleth
from spillmap.figures._small_multiples import small_multiples
from spillmap.figures._effects_plot import effects_plot
from spillmap.figures._plots import (
    moran_scatter_data,
    moran_scatter_from_lags,
    moran_scatter_points,
    moran_scatterplot,
    moran_trend,
)
from spillmap.figures._save import DEFAULT_DPI, FIGURE_FORMATS, save_figure
from spillmap.figures._style import CJK_FONTS, figure_style, font_family

__all__ = [
    "choropleth",
    "small_multiples",
    "lisa_map",
    "spillover_maps",
    "response_map",
    "moran_scatterplot",
    "moran_scatter_data",
    "moran_scatter_from_lags",
    "moran_scatter_points",
    "moran_trend",
    "effects_plot",
    "save_figure",
    "map_crs",
    "add_scale_bar",
    "add_north_arrow",
    "figure_style",
    "font_family",
    "CJK_FONTS",
    "DEFAULT_DPI",
    "FIGURE_FORMATS",
]
