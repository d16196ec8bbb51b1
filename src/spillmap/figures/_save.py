"""Writing figures: PNG (300 dpi) and PDF (vector), atomically, never overwriting by accident.

The figure functions never write; :func:`save_figure` does, through
:mod:`spillmap._fileio` (a temporary file in the destination folder renamed into place
when complete).
"""
from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from spillmap._fileio import atomic_path
from spillmap._pdf_fonts import lean_font_subsets
from spillmap.errors import InputError, OutputError
from spillmap.figures._style import quiet_matplotlib

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["save_figure", "FIGURE_FORMATS", "DEFAULT_DPI"]

FIGURE_FORMATS = ("png", "pdf", "svg")
DEFAULT_DPI = 300
#: PDF streams at zlib level 1: a map's PDF is written about four times faster than at
#: matplotlib's default level 6 and only ~15 % larger (measured on the China layer).  Fonts
#: embedded as TrueType (Type 42), not Type 3, which journals' submission systems refuse (their
#: subsets made without the fonts' layout tables, which a PDF never reads: :mod:`spillmap._pdf_fonts`); SVG
#: text stays text and its ids do not depend on the process (svg.hashsalt).  Set here because saving
#: reads them (figure_style only covers the drawing).
_RC = {"pdf": {"pdf.compression": 1, "pdf.fonttype": 42}, "svg": {"svg.fonttype": "none", "svg.hashsalt": "spillmap"}}


def save_figure(
    fig: Figure,
    path: str | os.PathLike,
    *,
    formats: Sequence[str] | None = None,
    dpi: int = DEFAULT_DPI,
    overwrite: bool = False,
) -> list[Path]:
    """Write ``fig`` to ``path``.

    Parameters
    ----------
    fig
        A matplotlib ``Figure`` (as returned by every function of :mod:`spillmap.figures`).
    path
        ``figures/choropleth.png`` writes that file; a path without a known suffix
        (``figures/choropleth``) writes one file per entry of ``formats``.
    formats
        Formats for a path without suffix (default ``("png", "pdf")``).
    dpi
        Resolution of raster formats (PNG); PDF and SVG are vector.
    overwrite
        Replace existing files (default: refuse, before writing anything).

    Returns
    -------
    list of pathlib.Path
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FIGURE_FORMATS:
        targets = [path]
    else:
        fmts = [f.lower().lstrip(".") for f in (formats or ("png", "pdf"))]
        bad = [f for f in fmts if f not in FIGURE_FORMATS]
        if bad:
            raise InputError(f"figure format(s) {bad} unknown; choose from {', '.join(FIGURE_FORMATS)}.")
        targets = [path.with_name(path.name + f".{f}") for f in fmts]
    if not isinstance(dpi, int) or dpi < 10:
        raise InputError(f"dpi must be an integer of at least 10, got {dpi!r}.")
    if not overwrite:
        existing = [str(t) for t in targets if t.exists()]
        if existing:
            raise OutputError(f"{', '.join(existing)} exist(s) already; choose another name or pass overwrite=True.")
    import matplotlib as mpl

    with quiet_matplotlib():  # the layout's draw measures every text, as savefig does
        _freeze_layout(fig)
    out = []
    missing: set[str] = set()
    for target in targets:
        fmt = target.suffix.lower().lstrip(".")
        meta = {"Software": "spillmap"} if fmt == "png" else {"Creator": "spillmap", "CreationDate": None} if fmt == "pdf" else {"Date": None}
        with atomic_path(target, overwrite=overwrite) as tmp, quiet_matplotlib(), mpl.rc_context(_RC.get(fmt, {})), \
                _missing_glyphs(missing), lean_font_subsets():
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
        out.append(target)
    if missing:
        _warn_missing()
    return out


def _freeze_layout(fig: Figure) -> None:
    """Run a figure's constrained layout once and fix its result, rounded to 1e-9 of the figure: the
    layout solver's floating-point noise (~1e-13, which depends on what the process solved before)
    then never reaches the file, so a figure's bytes are the same in every process.  Figures without
    a constrained layout are left as they are."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    engine = fig.get_layout_engine()
    if not isinstance(engine, ConstrainedLayoutEngine):
        return
    engine.execute(fig)
    for ax in fig.axes:
        ax.set_position([round(v, 9) for v in ax.get_position(original=False).bounds])
    for text in fig.texts:  # the suptitle and sup-labels the layout placed are among them
        try:
            text.set_position(tuple(round(float(v), 9) for v in text.get_position()))
        except (TypeError, ValueError):  # a position in other units (dates, categories): left as it is
            continue
    fig.set_layout_engine("none")
    # "none" leaves a placeholder engine, for which every savefig first draws the whole figure once
    # more with the renderer's drawing switched off (matplotlib's print_figure: "we need to trigger a
    # draw ... to make sure CL works"); with the layout fixed there is nothing for that draw to do, and
    # without an engine the files are the same bytes (tests/test_figures34_save_draws.py), one draw cheaper
    if hasattr(fig, "_layout_engine"):
        fig._layout_engine = None


#: matplotlib's warning for a character that no font of the figure has (one per character and draw)
_GLYPH = re.compile(r"Glyph \d+ \(.+\) missing from (?:current font|font\(s\) .+)\.$")  # matplotlib 3.8 / 3.9+


@contextlib.contextmanager
def _missing_glyphs(found: set[str]) -> Iterator[None]:
    """Collect matplotlib's missing-glyph warnings of the block into ``found``, passing every
    other warning on."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        if issubclass(w.category, UserWarning) and _GLYPH.match(str(w.message)):
            found.add(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _warn_missing() -> None:
    from spillmap.errors import FigureWarning
    from spillmap.figures._style import font_family

    # one message whatever the figure and characters: a report's figures raise it once
    warnings.warn(
        f"figures: some characters have no glyph in the figure fonts ({', '.join(font_family())}) and are "
        "drawn as boxes (Chinese unit names?): install a CJK font (Debian: apt-get install fonts-wqy-zenhei; "
        "elsewhere Noto Sans CJK SC) or set matplotlib.rcParams['font.family'] to a font that has them.",
        FigureWarning, stacklevel=3)
