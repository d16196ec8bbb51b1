"""The layout of each kind of figure at a given width: the arguments that lay a figure out for a journal's
full text width (``width=None``, each function's own layout, up to 7 in) or for a narrower one, a column of
a two-column page (3.5 in) or another width in inches (the report's ``[output] figure_width``).

At a width, a figure is at most that wide and its type keeps its size (7-9 pt; notes and scale bars
6.5 pt); under :data:`~spillmap.figures._narrow.NARROW_INCHES` (5 in) maps put their legends under them (the
stacked spillover maps beside them, narrower) and take the height they need, and panels that would be too
narrow side by side are stacked.  Per kind (the smallest panel kept side by side):

======================  ==================================================================================
one map                 6.5 x 5 in; narrower, the same layout scaled; under 5 in the legend under the map
spillover maps          stacked (as at the full width), at most the width; under 5 in the legends of the
                        classes beside the maps, the notes around them, the height fitted to a page
small multiples         panels of 3 in; narrower, at least 1.7 in (two by two in a column, smaller)
Moran scatterplots      side by side, each at least 2.4 in; else stacked, each about square
Moran trend             one column per W, each at least 2.5 in; else every panel in one column, 1.9 in tall
                        (less for many panels: the figure fits a page)
effects                 two per row, each at least 3 in; else stacked, 3 in tall (to 2 in for many)
======================  ==================================================================================

Layout only: nothing here draws or computes a number.
"""
from __future__ import annotations

from spillmap.figures._narrow import MAX_HEIGHT, NARROW_INCHES

__all__ = ["FULL_WIDTH", "MAP_SIZE", "is_narrow_width", "map_size", "spillover_size", "small_grid", "scatter_size",
           "trend_size", "effects_grid"]

#: the widest figure at the full width, in inches: a journal's full text width
FULL_WIDTH = 7.0
#: the one-map figures' size at the full width (:func:`spillmap.figures.choropleth`'s default)
MAP_SIZE = (6.5, 5.0)


def is_narrow_width(width: float | None) -> bool:
    """Whether figures laid out for ``width`` inches (``None``: the full width) are narrow (under 5 in)."""
    return width is not None and width < NARROW_INCHES


def map_size(width: float | None) -> dict:
    """``figsize`` of a one-map figure (choropleth, LISA, response, fixed effects): none at the full width
    (:data:`MAP_SIZE`, the functions' default); the full layout scaled down to a width under 6.5 in; under
    5 in the width with the height fitted to the map and its legend."""
    if width is None or width >= MAP_SIZE[0]:
        return {}
    if is_narrow_width(width):
        return {"figsize": (width, None)}
    return {"figsize": (width, round(MAP_SIZE[1] * width / MAP_SIZE[0], 2))}


def spillover_size(width: float | None) -> dict:
    """The spillover maps' arguments: none at the full width; stacked rows at most ``width`` wide (as at the
    full width); under 5 in ``figsize=(width, None)``: legends beside the maps, narrower, the height fitted."""
    from spillmap.figures._effect_maps import STACKED_PANEL

    if width is None:
        return {}
    if is_narrow_width(width):
        return {"figsize": (width, None)}
    return {"panel_size": (width, STACKED_PANEL[1]), "stacked": True}


def small_grid(width: float | None, ncols: int) -> dict:
    """The small multiples' ``ncols`` (and ``panel_width``): ``ncols`` panels of 3 in at the full width; at
    most ``width`` wide otherwise, panels of at least 1.7 in (two in a 3.5-in column)."""
    if width is None:
        return {"ncols": ncols}
    n = min(ncols, max(1, int(width // 1.7)))
    return {"ncols": n, "panel_width": min(3.0, width / n)}


def scatter_size(width: float | None) -> tuple[tuple[float, float], bool]:
    """The two Moran scatterplots' figure size and whether they are stacked: side by side, 7 x 3.7 in at the
    full width, and at a width while each is at least 2.4 in wide; else one above the other, about square."""
    if width is None:
        return (FULL_WIDTH, 3.7), False
    if width / 2 >= 2.4:
        return (width, round(width / 2 + 0.2, 2)), False
    return (width, round(2 * min(0.85 * width, 3.2) + 0.35, 2)), True


def trend_size(width: float | None, n_w: int, n_var: int) -> tuple[tuple[float, float], bool]:
    """The Moran trend's figure size and whether its panels are stacked: one column per W (3.5 in, at most
    the width) and one row per variable while a panel is at least 2.5 in wide; else every panel in one
    column, 1.9 in tall, less when that would not fit a page with a notice (:data:`~spillmap.figures._narrow.MAX_HEIGHT`)."""
    full = width is None
    width = FULL_WIDTH if width is None else width
    if full or width / n_w >= 2.5:
        return (min(width, 3.5 * n_w), 2.6 * n_var + 0.6), False
    return (width, round(min(1.9 * n_var * n_w + 0.6, MAX_HEIGHT), 2)), True


def effects_grid(width: float | None, n: int) -> dict:
    """:func:`~spillmap.figures.effects_plot`'s ``ncols`` and ``panel_size`` for ``n`` panels: none at the full
    width (two per row, 3.5 x 3 in); two per row at most ``width`` wide while a panel is at least 3 in wide;
    else stacked, 3 in tall (down to 2 in, when three or more would not fit a page)."""
    if width is None:
        return {}
    ncols = min(n, 2) if width / 2 >= 3.0 else 1
    rows = -(-n // ncols)
    return {"ncols": ncols, "panel_size": (width / ncols, 3.0 if rows < 3 else max(2.0, round(8.0 / rows, 2)))}
