"""Figures narrower than a journal's full text width: one column of a two-column page (about 3.5 in).

spillmap's figures are drawn at their final size, so their type prints at its size (7-9 pt; notes and
scale bars 6.5 pt).  A figure laid out for 6.5-7 in and shrunk into a 3.5-in column prints that type at
about half its size, under every journal's minimum (paper audit 31).  A figure *narrower than*
:data:`NARROW_INCHES` is therefore laid out for its width instead of shrunk, the type kept at its size:

* a map's legend goes under the map, in one column, its title and notes broken to the figure's width
  (measured in the legend's own font, not counted in characters); the stacked spillover maps keep each
  legend beside its map, in a cell of its own (:mod:`spillmap.figures._spillover_column`);
* a figure's height may be left to the figure (``figsize=(3.5, None)``): the title, the map at the
  figure's width and the legend (:func:`fit_map_height`; small multiples: :func:`fit_grid_height`);
* figure titles are broken into lines that fit (:func:`wrap_suptitle`), legends under plots take as many
  columns as fit (:func:`fitting_ncol`).

Nothing here applies to a figure of :data:`NARROW_INCHES` or more: the full-width figures are drawn as
before, byte for byte.  Texts are measured with FreeType advances and the fonts' line metrics on a font
object of :mod:`spillmap.figures._style`'s own (:func:`~spillmap.figures._style._text_width_in`), not with
the canvas's renderer (see :func:`spillmap.figures._effect_maps._stacked_width`).  Heights so measured are
within a few per cent of matplotlib's (whose hinted line heights at a screen's 100 dpi are up to 3 % taller
than at the PNG's 300 dpi): enough to size a figure, whose constrained layout then places everything.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spillmap.figures._style import MAX_HEIGHT_INCHES, _measuring_font, _text_width_in, _wrapped

__all__ = ["text_width_in", "NARROW_INCHES", "PAGE_INCHES", "NOTICE_ROOM", "MAX_HEIGHT", "is_narrow", "wrap_text",
           "text_height_in", "legend_height_in", "legend_width_in", "fitting_ncol", "wrap_suptitle", "wrap_title", "fit_map_height",
           "legend_prop", "note_width", "note_text", "finish_map", "fit_grid_height", "label_height_in", "map_aspect"]

#: figures narrower than this (inches) are laid out for a column (see the module docstring)
NARROW_INCHES = 5.0
#: the tallest figure laid out for a column, a notice under it included (inches): a journal page's text block
#: (about 9-9.5 in in two-column layouts) less about 1 in for the figure's caption (four or five lines of
#: 8-9 pt type) and the space between them, so the figure and its caption fit one page
PAGE_INCHES = 8.0
#: room kept under a fitted figure for a notice of three lines (:func:`~spillmap.figures._style.add_notice`,
#: which makes a fitted figure taller by its strip)
NOTICE_ROOM = 0.45
#: the tallest figure a fitted height gives (inches): :data:`PAGE_INCHES` less :data:`NOTICE_ROOM`
MAX_HEIGHT = min(MAX_HEIGHT_INCHES, PAGE_INCHES - NOTICE_ROOM)
#: constrained layout's pad around the figure and between panels (matplotlib's default, 3 pt)
PAD_IN = 3 / 72
#: a legend's width beyond its widest text, in font-size units (matplotlib's defaults: handle length 2,
#: handle text pad 0.8, border pad 0.4 each side, border axes pad 0.5 each side)
LEGEND_CHROME_EM = 2.0 + 0.8 + 2 * 0.4 + 2 * 0.5



def _font_metric_lines() -> bool:
    """matplotlib >= 3.10 lays out a line of text by the font's metrics (OS/2, else hhea); earlier
    versions by the extent of "lp" (the lowest declared is 3.8)."""
    import matplotlib

    return tuple(matplotlib.__version_info__[:2]) >= (3, 10)


def is_narrow(fig) -> bool:  # noqa: ANN001 - a matplotlib Figure
    """Whether ``fig`` is narrower than :data:`NARROW_INCHES`."""
    return float(fig.get_size_inches()[0]) < NARROW_INCHES - 1e-9


def legend_prop(title: bool = False):  # noqa: ANN201 - a FontProperties
    """The font of a legend's entries (or its bold title) in the current rcParams (:func:`figure_style`)."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    if title:
        return FontProperties(size=mpl.rcParams["legend.title_fontsize"], weight="bold")
    return FontProperties(size=mpl.rcParams["legend.fontsize"])


def text_width_in(text: str, prop, size: float | None = None) -> float:  # noqa: ANN001 - a FontProperties
    """Width in inches of one line of ``text`` in ``prop`` (at ``size`` points, default its own): FreeType's
    advances in the first font of ``prop`` (:func:`~spillmap.figures._style._text_width_in`), a character that
    font lacks counted 1 em wide (a CJK character, which the fallback font draws 1 em wide), without the
    font's missing-glyph warnings."""
    import warnings

    from matplotlib.font_manager import findfont

    size = prop.get_size_in_points() if size is None else size
    font = _measuring_font(str(findfont(prop)))
    has = [ch.isspace() or font.get_char_index(ord(ch)) != 0 for ch in text]
    kept = "".join(ch for ch, ok in zip(text, has) if ok)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        width = _text_width_in(kept, prop, size) if kept else 0.0
    return width + (len(has) - sum(has)) * size / 72


def wrap_text(text: str, width_in: float, prop) -> str:  # noqa: ANN001 - a FontProperties
    """``text`` with each of its lines broken at spaces into lines no wider than ``width_in`` inches in the
    font of ``prop`` (balanced: the last line is not left with a word or two)."""
    size = prop.get_size_in_points()
    return "\n".join(out for line in str(text).split("\n")
                     for out in (_wrapped(line, prop, size, width_in, text_width_in) if line.strip() else [line]))


def note_width(fig) -> float | None:  # noqa: ANN001 - a matplotlib Figure
    """The width in inches to break a map legend's notes to on a narrow figure (its width less the legend's
    handles and paddings and the layout's pads); ``None`` on a figure of :data:`NARROW_INCHES` or more."""
    if not is_narrow(fig):
        return None
    return float(fig.get_size_inches()[0]) - LEGEND_CHROME_EM * legend_prop().get_size_in_points() / 72 - 4 * PAD_IN


def note_text(lines: Sequence[str], width_in: float, labels: Sequence[str]) -> str:
    """A legend's note ``lines``, each broken to ``width_in`` inches or the widest of the entries' ``labels``
    when that is wider (the note then takes no width of its own)."""
    prop = legend_prop()
    widest = max((text_width_in(str(lab), prop) for lab in labels), default=0.0)
    return "\n".join(wrap_text(line, max(width_in, widest), prop) for line in lines)


def _line_in(prop) -> tuple[float, float, float]:  # noqa: ANN001 - a FontProperties
    """Ascent, descent and line gap in inches of a line of text in ``prop``: the font's OS/2 (else hhea)
    metrics, as matplotlib >= 3.10 lays out text; the extent of "lp" without them (as earlier versions)."""
    from matplotlib.font_manager import findfont

    font = _measuring_font(str(findfont(prop)))
    scale = prop.get_size_in_points() / 72
    for table, gap, asc, desc in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                  ("hhea", "lineGap", "ascent", "descent")):
        t = font.get_sfnt_table(table) if _font_metric_lines() else None
        if t is not None and all(k in t for k in (gap, asc, desc)):  # matplotlib 3.8's OS/2 has no sTypo*
            em = font.get_sfnt_table("head")["unitsPerEm"]
            return t[asc] / em * scale, -t[desc] / em * scale, t[gap] / em * scale
    font.set_size(prop.get_size_in_points(), 720)
    font.set_text("lp", 0.0)
    d = font.get_descent() / 64 / 720
    return font.get_width_height()[1] / 64 / 720 - d, d, 0.0


def text_height_in(text: str, prop, linespacing: float | str = "normal") -> float:  # noqa: ANN001 - FontProperties
    """Height in inches of ``text`` (its lines) as matplotlib lays it out in ``prop``; 0 when empty.
    ``linespacing`` as the Text's (``"normal"``: the font's line gap between lines; a number: that many
    times the font's height per line)."""
    if not str(text).strip():
        return 0.0
    a, d, gap = _line_in(prop)
    n = len(str(text).split("\n"))
    if linespacing == "normal" and not _font_metric_lines():
        linespacing = 1.2  # matplotlib < 3.10: a Text's default line spacing, times the "lp" extent
    if linespacing == "normal":
        return n * (a + d) + (gap * n if n > 1 else 0.0)
    return n * float(linespacing) * (a + d)


def _text_in(t) -> float:  # noqa: ANN001 - a matplotlib Text
    """Height in inches of the text artist ``t`` (:func:`text_height_in` with its font and line spacing)."""
    spacing = t.get_linespacing() if hasattr(t, "get_linespacing") else 1.2
    return text_height_in(t.get_text(), t.get_fontproperties(), spacing if spacing is not None else 1.2)


def legend_width_in(leg, measure=_text_width_in) -> float:  # noqa: ANN001 - a matplotlib Legend
    """A legend's width in inches from its widest line of text (FreeType advances at its font size;
    ``measure(text, prop, size)``, default :func:`~spillmap.figures._style._text_width_in`) plus its
    handles, paddings and frame (:data:`LEGEND_CHROME_EM`, in font-size units)."""
    texts = [t for t in [*leg.get_texts(), leg.get_title()] if t.get_text()]
    size = max(t.get_fontsize() for t in texts) if texts else 7.0
    widest = max((max(measure(line, t.get_fontproperties(), t.get_fontsize())
                      for line in t.get_text().split("\n")) for t in texts), default=0.0)
    return widest + LEGEND_CHROME_EM * size / 72


def label_height_in(labels: Sequence[str], *, handleheight: float, labelspacing: float, borderpad: float,
                    title: str = "", ncol: int = 1) -> float:
    """The height in inches of a legend of entries ``labels`` (texts, possibly of several lines) in the legend
    font of the current rcParams, with its ``title``, in ``ncol`` columns, as matplotlib packs it: each entry
    as tall as its text or handle (aligned on the baseline), ``labelspacing`` between them and under the
    title, ``borderpad`` above and below (in font-size units)."""
    prop = legend_prop()
    size = prop.get_size_in_points() / 72
    sink = 0.35 * size * (handleheight - 0.7)  # the handle's part under the baseline (matplotlib's heuristic)
    d = _line_in(prop)[1]
    rows = [max(text_height_in(lab, prop) - d, handleheight * size - sink) + max(d, sink) if str(lab).strip()
            else handleheight * size for lab in labels]
    columns = [c for c in np.array_split(np.array(rows, dtype=float), max(1, ncol)) if c.size]
    body = max((c.sum() + (c.size - 1) * labelspacing * size for c in columns), default=0.0)
    head = text_height_in(title, legend_prop(True)) if str(title).strip() else 0.0
    return body + (head + labelspacing * size if head else 0.0) + 2 * borderpad * size


def legend_height_in(leg) -> float:  # noqa: ANN001 - a matplotlib Legend
    """A legend's height in inches (:func:`label_height_in` of its texts, title and spacing)."""
    return label_height_in([t.get_text() for t in leg.get_texts()], handleheight=leg.handleheight,
                           labelspacing=leg.labelspacing, borderpad=leg.borderpad, title=leg.get_title().get_text(),
                           ncol=leg._ncols)


def fitting_ncol(labels: Sequence[str], width_in: float, most: int) -> int:
    """The most legend columns (up to ``most``) whose entries, each column as wide as its widest label
    and the legend's handles, fit ``width_in`` inches (at least 1)."""
    prop = legend_prop()
    size = prop.get_size_in_points() / 72
    widths = [max(text_width_in(line, prop) for line in str(lab).split("\n")) for lab in labels]
    for n in range(max(1, min(most, len(widths))), 1, -1):
        cols = [c for c in np.array_split(np.array(widths, dtype=float), n) if c.size]
        if sum(c.max() + (2.0 + 0.8 + 2.0) * size for c in cols) + 2 * (0.4 + 0.5) * size <= width_in:
            return n
    return 1


def wrap_title(text_artist, width_in: float) -> None:  # noqa: ANN001 - a matplotlib Text
    """Break a title (an axes title, a suptitle) into lines no wider than ``width_in`` inches."""
    if text_artist.get_text():
        text_artist.set_text(wrap_text(text_artist.get_text(), width_in, text_artist.get_fontproperties()))


def wrap_suptitle(fig) -> None:  # noqa: ANN001 - a matplotlib Figure
    """Break the figure's suptitle into lines that fit its width (a narrow figure's only)."""
    if getattr(fig, "_suptitle", None) is not None and is_narrow(fig):
        wrap_title(fig._suptitle, float(fig.get_size_inches()[0]) - 4 * PAD_IN)


def _title_in(ax) -> float:  # noqa: ANN001 - a matplotlib Axes
    """Height in inches of the tallest title of ``ax`` with its pad (0 without a title)."""
    import matplotlib as mpl

    texts = [t for t in (ax.title, ax._left_title, ax._right_title) if t.get_text()]
    if not texts:
        return 0.0
    return max(_text_in(t) for t in texts) + mpl.rcParams["axes.titlepad"] / 72


def map_aspect(bounds: Sequence[float]) -> float:
    """Height over width of a map's extent ``(minx, miny, maxx, maxy)``."""
    minx, miny, maxx, maxy = bounds
    return float(maxy - miny) / max(float(maxx - minx), 1e-12)


def fit_map_height(fig, ax, bounds: Sequence[float]) -> None:  # noqa: ANN001 - a Figure and its Axes
    """Set the height of a one-map figure: its title, the map at the width the legend leaves it (its extent
    ``bounds``: height / width kept) and the legend under it, or beside it (the taller of the two), with the
    layout's pads; at most :data:`MAX_HEIGHT` (a taller map is then narrower).  A notice is not counted."""
    width = float(fig.get_size_inches()[0])
    leg = ax.get_legend()
    map_w, below, beside = width - 2 * PAD_IN, 0.0, 0.0
    if leg is not None:
        leg_w = legend_width_in(leg, text_width_in)
        leg_h = legend_height_in(leg) + leg.borderaxespad * leg.prop.get_size_in_points() / 72
        if leg._loc == 6:  # "center left": right of the map ("outside right")
            map_w, beside = (width - leg_w - 3 * PAD_IN) / 1.01, leg_h
        else:  # under the map, centred: as wide as the map or wider
            map_w, below = min(map_w, width - 2 * PAD_IN - max(0.0, leg_w - map_w)), leg_h + 2 * PAD_IN
    map_h = max(map_w * map_aspect(bounds) * 1.02, beside)  # 1.02: the legend's anchor 1 % off the map
    fig.set_size_inches(width, round(min(2 * PAD_IN + _title_in(ax) + map_h + below, MAX_HEIGHT), 2))


def finish_map(ax, title: str | None, bounds: Sequence[float], fit: bool) -> None:  # noqa: ANN001 - an Axes
    """A one-map figure's bold title (broken to the figure's width when it is narrow) and, with ``fit``, its
    height (:func:`fit_map_height`)."""
    if title:
        ax.set_title(title, loc="left", fontweight="bold")
        if is_narrow(ax.figure):
            wrap_title(ax._left_title, float(ax.figure.get_size_inches()[0]) - 4 * PAD_IN)
    if fit:
        fit_map_height(ax.figure, ax, bounds)


def fit_grid_height(fig, axes, nrows: int, bounds: Sequence[float], legend) -> None:  # noqa: ANN001
    """Set the height of a grid of maps (``nrows`` rows of ``axes``) with one legend under them all (a
    figure legend): each row its maps at the panels' width under the tallest title; the suptitle above;
    at most :data:`MAX_HEIGHT`."""
    width = float(fig.get_size_inches()[0])
    ncols = -(-len(fig.axes) // max(1, nrows))
    map_w = (width - 2 * PAD_IN) / ncols - 2 * PAD_IN
    row = map_w * map_aspect(bounds) + max(_title_in(ax) for ax in axes) + 2 * PAD_IN
    sup = getattr(fig, "_suptitle", None)
    top = _text_in(sup) + 2 * PAD_IN if sup is not None and sup.get_text() else 0.0
    below = legend_height_in(legend) + 2 * PAD_IN if legend is not None else 0.0
    fig.set_size_inches(width, round(min(top + nrows * row + below + 2 * PAD_IN, MAX_HEIGHT), 2))
