"""Map furniture for static maps: a metric projection, a scale bar and a north arrow.

Written by hand (a few lines each; the packages that draw them -- matplotlib-scalebar,
cartopy -- would be heavy dependencies for three artists):

* :func:`map_crs` -- a geographic layer is drawn in a Lambert azimuthal equal-area
  projection centred on the layer (distances and areas nearly true across a country;
  north is up along the central meridian); a projected layer is drawn in its own CRS.
* :func:`add_scale_bar` -- a two-segment bar of a "nice" length (1, 2 or 5 x 10^k km,
  about a fifth of the map width), true at the centre of the map; "0" and the length at its ends, or the
  length alone over a bar too short for both (a small map).
* :func:`add_north_arrow` -- an arrow pointing to grid north, which is true north on the
  central meridian of the projection.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd
    import pyproj
    from matplotlib.axes import Axes

__all__ = ["map_crs", "to_map_crs", "add_scale_bar", "add_north_arrow", "nice_length", "scale_bar_corner"]

#: where the scale bar may go (left end of the bar, axes fractions), in order of preference: lower
#: right, lower left, upper right (the north arrow has the upper left)
SCALE_BAR_CORNERS = ((0.70, 0.03), (0.05, 0.03), (0.70, 0.88))


def map_crs(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """The CRS the layer is drawn in (see the module docstring).

    Parameters
    ----------
    gdf
        The layer: a projected CRS is kept; a geographic one gives a Lambert azimuthal
        equal-area projection centred on the layer's bounds.
    """
    from pyproj import CRS

    crs = CRS.from_user_input(gdf.crs)
    if not crs.is_geographic:
        return crs
    g = gdf.to_crs(4326)
    minx, miny, maxx, maxy = g.total_bounds
    lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
    return CRS.from_proj4(f"+proj=laea +lat_0={lat0:.4f} +lon_0={lon0:.4f} +datum=WGS84 +units=m +no_defs")


def to_map_crs(gdf, crs=None):
    """``gdf`` reprojected to :func:`map_crs` (or ``crs``)."""
    crs = map_crs(gdf) if crs is None else crs
    return gdf.to_crs(crs)


def _metres_per_unit(crs) -> float:
    try:
        return float(crs.axis_info[0].unit_conversion_factor)
    except (IndexError, AttributeError):  # pragma: no cover - unusual CRS
        return 1.0


def nice_length(target_km: float) -> float:
    """The largest 1, 2 or 5 x 10^k (km) not above ``target_km``."""
    if target_km <= 0:
        raise ValueError("target length must be positive")
    exp = math.floor(math.log10(target_km))
    for m in (5, 2, 1):
        if m * 10**exp <= target_km:
            return float(m * 10**exp)
    return float(10**exp)


def add_scale_bar(ax: Axes, crs: pyproj.CRS, *, fraction: float = 0.2,
                  loc: tuple[float, float] = (0.05, 0.05)) -> float:
    """Draw a scale bar in the axes' lower left (``loc`` in axes fractions); returns its km.

    Parameters
    ----------
    ax
        Axes of a map drawn in ``crs`` (its limits set).
    crs
        The CRS of the axes' coordinates (:func:`map_crs`).
    fraction
        Approximate length as a fraction of the axes' width (default 0.2), rounded to a
        round number of km.
    loc
        Left end of the bar in axes fractions (default ``(0.05, 0.05)``).
    """
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    unit = _metres_per_unit(crs)
    km = nice_length((x1 - x0) * unit / 1000 * fraction)
    length = km * 1000 / unit
    bx, by = x0 + loc[0] * (x1 - x0), y0 + loc[1] * (y1 - y0)
    h = 0.012 * (y1 - y0)
    for i, colour in enumerate(("#222222", "#ffffff")):
        ax.add_patch(Rectangle((bx + i * length / 2, by), length / 2, h, facecolor=colour, edgecolor="#222222",
                               linewidth=0.6, zorder=20))
    style = dict(va="bottom", fontsize=6.5, zorder=21, clip_on=True)  # a zoom moves them out: clipped, not laid out
    if _labels_fit(ax, length / (x1 - x0), f"{km:g} km", style["fontsize"]):
        ax.text(bx, by + 1.6 * h, "0", ha="center", **style)
        ax.text(bx + length, by + 1.6 * h, f"{km:g} km", ha="center", **style)
    else:  # a bar too short for "0" and "1000 km" at its ends (a small map in a column): one label over it,
        # from the bar's end nearer the map's edge inwards (centred, it ran past that edge and was clipped)
        left = loc[0] < 0.5
        ax.text(bx if left else bx + length, by + 1.6 * h, f"{km:g} km", ha="left" if left else "right", **style)
    return km


def _labels_fit(ax: Axes, fraction: float, label: str, size: float) -> bool:
    """Whether "0" and ``label``, centred on the ends of a bar ``fraction`` of the axes wide, stand apart (a
    space between them) at the axes' width as laid out so far."""
    from matplotlib.font_manager import FontProperties

    from spillmap.figures._narrow import text_width_in

    prop = FontProperties(size=size)
    bar_in = fraction * ax.get_position().width * float(ax.figure.get_size_inches()[0])
    return bar_in >= (text_width_in("0", prop) + text_width_in(label, prop)) / 2 + text_width_in(" ", prop)


def scale_bar_corner(ax: Axes, crs: pyproj.CRS, geometry, *, fraction: float = 0.2) -> tuple[float, float]:
    """The corner of :data:`SCALE_BAR_CORNERS` where a scale bar and its labels touch the fewest
    units of ``geometry`` (the first corner on a tie), so the bar sits in
    an empty corner of the map when there is one (the lower left of China, with the South China Sea
    islands in the lower right).

    Parameters
    ----------
    ax
        Axes of a map drawn in ``crs`` (its limits set to the map's extent).
    crs
        The CRS of the axes' coordinates.
    geometry
        The units drawn (a GeoSeries in ``crs``).
    fraction
        As in :func:`add_scale_bar`.

    Returns
    -------
    tuple of float
        The ``loc`` to pass to :func:`add_scale_bar`.
    """
    from shapely.geometry import box

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    unit = _metres_per_unit(crs)
    length = nice_length((x1 - x0) * unit / 1000 * fraction) * 1000 / unit / (x1 - x0)  # axes fraction
    geoms = geometry.reset_index(drop=True)

    def covered(loc: tuple[float, float]) -> int:
        fx0, fx1, fy0, fy1 = loc[0] - 0.03, loc[0] + length + 0.08, loc[1] - 0.01, loc[1] + 0.09  # bar and labels
        region = box(x0 + fx0 * (x1 - x0), y0 + fy0 * (y1 - y0), x0 + fx1 * (x1 - x0), y0 + fy1 * (y1 - y0))
        return len(geoms.sindex.query(region, predicate="intersects"))

    return min(SCALE_BAR_CORNERS, key=covered)  # min keeps the first of equals


def add_north_arrow(ax: Axes, *, loc: tuple[float, float] = (0.04, 0.9), size: float = 0.07) -> None:
    """An arrow pointing up (grid north) with an ``N`` above it; ``loc`` is the arrow's tip
    in axes fractions (default upper left).

    Parameters
    ----------
    ax
        The map's Axes.
    loc
        The arrow's tip in axes fractions (default ``(0.04, 0.9)``).
    size
        Arrow length in axes fractions (default 0.07).
    """
    x, y = loc
    ax.annotate("", xy=(x, y), xytext=(x, y - size), xycoords="axes fraction", textcoords="axes fraction",
                zorder=21, arrowprops=dict(facecolor="#222222", edgecolor="#222222", width=2.2, headwidth=7,
                                           headlength=6))
    ax.text(x, y + 0.01, "N", transform=ax.transAxes, ha="center", va="bottom", fontsize=8, fontweight="bold",
            zorder=21)
