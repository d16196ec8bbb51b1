"""Figure objects, fonts and the house style of spillmap's static figures.

Figures are created with :class:`matplotlib.figure.Figure` and an Agg canvas directly
(never through ``pyplot``): no global figure registry, no GUI backend, safe in scripts,
servers and tests.

Fonts: the user's matplotlib font settings are kept; :func:`font_family` puts the first
installed CJK font of :data:`CJK_FONTS` after them as a fallback (matplotlib >= 3.6
falls back glyph by glyph), so Chinese names render instead of empty boxes; one installed
after matplotlib cached its font list is found too.  Without any CJK font installed nothing
fails: CJK glyphs are drawn as boxes and :func:`~spillmap.figures.save_figure` warns once
(:class:`~spillmap.errors.FigureWarning`).  Debian: ``apt-get install fonts-wqy-zenhei`` (or
``fonts-noto-cjk``); on other systems install Noto Sans CJK SC or set
``matplotlib.rcParams["font.family"]`` to a font that has the glyphs.
"""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

__all__ = ["CJK_FONTS", "font_family", "figure_style", "new_figure", "quiet_matplotlib", "warm_up", "add_notice",
           "NOTICE_POINTS", "notice_strip_inches", "makes_room"]

#: CJK fonts tried as fallback, in order
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "Arial Unicode MS",
)


#: file names (lower case, without '-', '_' and spaces) of the fonts of CJK_FONTS
_CJK_FILES = ("wqy", "notosanscjk", "notoserifcjk", "notosanssc", "sourcehansans", "msyh", "simhei", "pingfang",
              "stheiti", "arialuni")


@lru_cache(maxsize=1)
def _installed() -> frozenset[str]:
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & set(CJK_FONTS):
        _add_uncached_cjk_fonts(font_manager)
        names = {f.name for f in font_manager.fontManager.ttflist}
    return frozenset(names)


def is_cjk_font_file(path: str) -> bool:
    """Whether ``path`` is a font file of one of :data:`CJK_FONTS` (by its name)."""
    name = Path(path).name.lower().replace("-", "").replace("_", "").replace(" ", "")
    return any(p in name for p in _CJK_FILES)


def _add_uncached_cjk_fonts(font_manager) -> None:  # noqa: ANN001 - the matplotlib module
    """Make CJK fonts installed after matplotlib cached its font list known to this process.

    matplotlib lists the system's fonts once, when it is first used, and keeps that list
    (``~/.cache/matplotlib/fontlist-*.json``); a font installed later, e.g. after
    ``apt-get install fonts-wqy-zenhei`` as the module docstring advises, stays unknown and
    Chinese names are drawn as boxes.  The system's font files are listed again (about 20 ms)
    and those of :data:`CJK_FONTS` added to the process's font manager."""
    for path in font_manager.findSystemFonts():
        if is_cjk_font_file(path):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # an unreadable file: skip it
                continue


def font_family() -> list[str]:
    """The user's ``font.family`` resolved to installed font names, then the installed CJK
    fallbacks (``DejaVu Sans``, matplotlib's own, when none of the user's is installed)."""
    import matplotlib as mpl

    resolved: list[str] = []
    for f in mpl.rcParams["font.family"]:
        if f in ("sans-serif", "serif", "monospace", "cursive", "fantasy"):
            resolved += [n for n in mpl.rcParams[f"font.{f}"] if n in _installed()]
        elif f in _installed():
            resolved.append(f)
    resolved = list(dict.fromkeys(resolved or ["DejaVu Sans"]))
    fallbacks = [c for c in CJK_FONTS if c in _installed() and c not in resolved]
    if fallbacks:
        _FallbackWeight.install(fallbacks)
    return resolved + fallbacks


class _FallbackWeight(logging.Filter):
    """Drops matplotlib's ``findfont: Failed to find font weight normal for WenQuanYi Zen Hei, now using
    500.`` for a CJK font that :func:`font_family` appended as a fallback, and only for one the user's own
    ``font.family`` does not name: that font is used for the glyphs the user's fonts lack, in the weight it
    has (WenQuanYi Zen Hei exists as "medium" only), which nobody asked to be told.

    Installed on matplotlib's font-manager logger once, for the process, when a fallback is first appended:
    the lines were printed whenever a figure was drawn outside :func:`quiet_matplotlib` -- by Jupyter
    (notebook audit 32 #12: 2-6 pink stderr lines above the first figure of a session), ``fig.savefig`` or a
    user's pyplot figure drawn into with ``ax=``.  Every other log line (another font, another message)
    passes."""

    appended: set[str] = set()
    _filter: _FallbackWeight | None = None

    @classmethod
    def install(cls, fonts: list[str]) -> None:
        cls.appended.update(fonts)
        if cls._filter is None:
            cls._filter = cls()
            logging.getLogger("matplotlib.font_manager").addFilter(cls._filter)

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("findfont: Failed to find font weight"):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        return not (len(args) >= 2 and args[1] in self.appended and args[1] not in _user_fonts())


def _user_fonts() -> set[str]:
    """The font names the user's rcParams ask for: ``font.family`` and the lists of its generic families."""
    import matplotlib as mpl

    names = set(mpl.rcParams["font.family"])
    for f in mpl.rcParams["font.family"]:
        if f in ("sans-serif", "serif", "monospace", "cursive", "fantasy"):
            names.update(mpl.rcParams[f"font.{f}"])
    return names


class _Expected(logging.Filter):
    """Drops matplotlib's log lines about what spillmap's figures do on purpose: a CJK
    fallback font found only in another weight (WenQuanYi Zen Hei exists as "medium"),
    and maps whose limits give way to an equal aspect (``adjustable="datalim"``)."""

    PREFIXES = ("findfont: Failed to find font weight", "Ignoring fixed x limits", "Ignoring fixed y limits")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.PREFIXES)


@contextlib.contextmanager
def quiet_matplotlib() -> Iterator[None]:
    """Silence the expected matplotlib log lines (see :class:`_Expected`) while drawing."""
    f = _Expected()
    loggers = [logging.getLogger(n) for n in ("matplotlib.font_manager", "matplotlib.axes._base")]
    for lg in loggers:
        lg.addFilter(f)
    try:
        yield
    finally:
        for lg in loggers:
            lg.removeFilter(f)


@contextlib.contextmanager
def figure_style(**rc) -> Iterator[None]:
    """rcParams of spillmap's figures (small fonts, no top/right spines), CJK fallback on."""
    import matplotlib as mpl

    base = {
        "font.family": font_family(),
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.labelsize": 8,
        "legend.fontsize": 7,
        "legend.title_fontsize": 7.5,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "pdf.fonttype": 42,  # TrueType in PDF: text stays text (editable, searchable)
        "svg.fonttype": "none",
    }
    base.update(rc)
    with mpl.rc_context(base), quiet_matplotlib():
        yield


@lru_cache(maxsize=1)
def _offscreen_canvas() -> type:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    class OffscreenCanvas(FigureCanvasAgg):
        """An Agg canvas that never redraws on request: ``draw_idle`` does nothing.

        geopandas calls ``canvas.draw_idle()`` after every ``plot``, and on an Agg canvas
        that renders the whole figure (constrained layout included): a three-panel map
        was rendered nine times before it was saved, 60 % of its time.  Nothing displays
        these figures while they are built; ``savefig`` (and Jupyter, through the figure's
        ``_repr_png_``: :class:`~spillmap.figures._notebook.SpillmapFigure`) draw them explicitly.
        """

        def draw_idle(self, *args, **kwargs) -> None:
            pass

    return OffscreenCanvas


def warm_up() -> None:
    """Load what the first figure of a process loads: matplotlib's font list and the fonts
    of :func:`font_family` (with their CJK fallback), geopandas' plotting module.  Called
    before the report forks a second process for its figures, which then inherits them
    instead of loading them again (about 0.5 s)."""
    import geopandas.plotting  # noqa: F401

    with figure_style():
        fig = new_figure((1.0, 1.0))
        fig.text(0.5, 0.5, "spillmap", fontweight="bold")
        fig.text(0.5, 0.2, "spillmap")
        fig.canvas.draw()


def add_notice(fig, text: str, *, grow: bool = False):  # noqa: ANN001, ANN201 - a matplotlib Figure in and out
    """``fig`` with ``text`` (e.g. "synthetic demonstration data") in small grey type in a strip
    along its bottom edge, clear of everything else: a figure copied out of a report keeps it.

    The figure's size is unchanged (a journal's 6.5 x 5 in stays so): its layout (constrained, or
    ``tight_layout`` once more) is confined to the rest, and a legend placed outside at the figure's
    bottom (``fig.legend(loc="outside lower center")``, the small multiples') is raised above the strip.
    The type is :data:`NOTICE_POINTS` (6.5 pt, a journal's minimum at the figure's final size): a
    notice wider than the figure is broken into lines and the strip made taller, never shrunk
    (paper audit 27 #8: 5.5 pt, scaled further down, was below every journal's minimum); the text
    artist then holds the notice with line breaks between its words.
    Drawn in :func:`figure_style` (the figures' fonts; matplotlib's expected font-fallback lines
    silenced).

    Parameters
    ----------
    fig
        A matplotlib ``Figure`` (constrained layout or not).
    text
        The notice, one line of text.
    grow
        Make the figure taller by the strip instead (default ``False``): for a figure whose height was fitted
        to its content (:mod:`spillmap.figures._narrow`), which would otherwise shrink to make room.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig`` itself.
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    w, h = fig.get_size_inches()
    engine = fig.get_layout_engine()
    constrained = isinstance(engine, ConstrainedLayoutEngine)
    with figure_style():
        label = fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=NOTICE_POINTS, color="0.35",
                         gid="spillmap-notice", multialignment="center")
        # 5 % to spare: a screen's 100-dpi rendering hints the type a little wider than the PNG's 300 dpi
        lines = _wrapped(text, label.get_fontproperties(), NOTICE_POINTS, (w - 2 * _NOTICE_MARGIN_IN) / 1.05)
        label.set_text("\n".join(lines))  # line breaks in the text itself: drawn and measured alike everywhere
        strip = notice_strip_inches(len(lines))
        if grow:
            h = round(h + strip, 2)
            fig.set_size_inches(w, h)
        frac = strip / h
        label.set_y(frac / 2)
        if constrained:
            for leg in fig.legends:
                # matplotlib draws an 'outside lower' figure legend at the figure's bottom edge whatever
                # the layout's rect (which keeps its room above the strip): its pad to the edge grows by
                # the strip, in its font size's units
                if getattr(leg, "_outside_loc", None) == "lower" and leg.get_bbox_to_anchor() is fig.bbox:
                    leg.borderaxespad += strip * 72 / leg.prop.get_size_in_points()
            engine.set(rect=(0, frac, 1, 1 - frac))
        else:
            fig.tight_layout(rect=(0, frac, 1, 1))
    return fig


#: size in points of :func:`add_notice`'s type: the smallest text of a figure at its final size
NOTICE_POINTS = 6.5
#: the tallest figure in inches whose height is fitted to its content (a journal page's text block, less room
#: for a notice): a taller map is narrower (:mod:`spillmap.figures._narrow`)
MAX_HEIGHT_INCHES = 9.0
#: inches kept free left and right of the notice
_NOTICE_MARGIN_IN = 0.1


def notice_strip_inches(lines: int = 1) -> float:
    """Height in inches of :func:`add_notice`'s strip for a notice of ``lines`` lines (its type's line
    spacing, 1.2, and 0.035 in above and below).

    Parameters
    ----------
    lines
        Number of lines of the notice (default 1).

    Returns
    -------
    float
    """
    return max(1, int(lines)) * NOTICE_POINTS * 1.2 / 72 + 0.07


def _wrapped(text: str, prop, size: float, width_in: float, measure=None) -> list[str]:  # noqa: ANN001
    """``text`` broken at spaces into the fewest lines no wider than ``width_in`` inches in the font of
    ``prop`` (a FontProperties) at ``size`` points (a single word wider than that keeps its own line), lines
    of about equal length (the last is not left with a word or two); ``measure(text, prop, size)`` gives a
    width in inches (default :func:`_text_width_in`)."""
    measure = measure or _text_width_in
    words = text.split()
    if not words or measure(text, prop, size) <= width_in:
        return [text]
    # a line's width as its words' widths plus its spaces' (each measured once: FreeType calls cost
    # about 1 ms at this resolution, and a line is tried some 300 times below)
    space = measure("a a", prop, size) - 2 * measure("a", prop, size)
    wide = {w: measure(w, prop, size) for w in set(words)}

    def fill(width: float) -> list[str]:  # greedy: each line takes words while it fits ``width``
        lines: list[list[str]] = []
        used = 0.0
        for word in words:
            if lines and used + space + wide[word] <= width:
                lines[-1].append(word)
                used += space + wide[word]
            else:
                lines.append([word])
                used = wide[word]
        return [" ".join(line) for line in lines]

    greedy = fill(width_in)
    n = len(greedy)  # the fewest lines; now balanced: the narrowest width that still needs no more lines
    lo, hi = measure(text, prop, size) / n, width_in
    best = greedy
    for _ in range(12):
        mid = (lo + hi) / 2
        trial = fill(mid)
        if len(trial) <= n:
            best, hi = trial, mid
        else:
            lo = mid
    return best


def _text_width_in(text: str, prop, size: float) -> float:  # noqa: ANN001 - a FontProperties
    """Width in inches of one line of ``text`` in the font of ``prop`` at ``size`` points (FreeType's
    advance widths, as the Agg renderer lays it out; no drawing).  Measured at 720 dpi: at 72 dpi the
    hinted advances of 6.5 pt type are rounded to whole pixels and the line came out 14 % short of
    the 300-dpi PNG's.  On a font object of its own (:func:`_measuring_font`): setting the size of
    matplotlib's shared, cached one changed how a later PDF of the process placed its text (by
    ~1e-13), so the same figure's PDF differed with what the process had measured before."""
    from matplotlib.font_manager import findfont

    font = _measuring_font(str(findfont(prop)))
    font.set_size(size, 720)
    font.set_text(text, 0.0)
    return font.get_width_height()[0] / 64 / 720


@lru_cache(maxsize=16)
def _measuring_font(path: str):  # noqa: ANN202 - a matplotlib FT2Font
    """A FreeType face of ``path`` for :func:`_text_width_in` alone (not matplotlib's shared one).

    Emptied in the child of a fork (as matplotlib empties its own font cache): an FT2Font reads
    its file through a file handle, and a forked child shares that handle's offset with the
    parent, so the two drawing figures at once (:mod:`spillmap._forkshare`) read each other's
    glyph data ("RuntimeError: failed to load glyph", seen once in a test run)."""
    from matplotlib.ft2font import FT2Font

    return FT2Font(path)


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_measuring_font.cache_clear)


def makes_room(fig) -> bool:  # noqa: ANN001 - a matplotlib Figure or SubFigure
    """Whether ``fig`` makes room for a legend outside its axes: a figure spillmap made (laid out by
    spillmap: :func:`new_figure`) or one with a constrained layout (the report's).  A user's
    ``plt.subplots()`` figure (passed as ``ax=``) has no layout, and a legend outside the axes was drawn
    over the neighbouring axes (notebook audit 32 #13)."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    from spillmap.figures._notebook import SpillmapFigure

    return isinstance(fig.figure, SpillmapFigure) or isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)


def new_figure(figsize: tuple[float, float], **kwargs):
    """A :class:`~spillmap.figures._notebook.SpillmapFigure` (a matplotlib ``Figure`` that shows as an
    image in Jupyter without ``%matplotlib inline``) with an off-screen Agg canvas (no pyplot state)."""
    from spillmap.figures._notebook import SpillmapFigure

    fig = SpillmapFigure(figsize=figsize, **kwargs)
    _offscreen_canvas()(fig)
    return fig
