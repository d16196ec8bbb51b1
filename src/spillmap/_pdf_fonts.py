"""Faster TrueType font subsets in PDF figures: the fonts' layout tables are left out.

spillmap's PDFs embed their fonts as TrueType (Type 42) subsets, which journals' submission
systems require (:mod:`spillmap.figures._save`).  matplotlib makes each subset with
fontTools, which reads the whole font, including its OpenType layout tables (``GSUB``,
``GPOS``, ``GDEF``: ligatures, kerning pairs, mark positioning), before it cuts them down.
For DejaVu Sans those tables are most of the work: about 47 ms of the 50 ms a subset takes
(measured on a 2-core x86 machine, matplotlib 3.8 and 3.11), and a report's 14 PDFs embed
about 50 subsets.

A PDF does not use those tables: matplotlib has laid out every string already and writes
each glyph by its id at its position; a viewer only draws the glyph outlines (``glyf``)
with their metrics (``hmtx``) and maps them back to text (``cmap`` and the ToUnicode map).
:func:`lean_font_subsets` therefore removes the layout tables from the font as it is
loaded for subsetting, before anything parses them, so the embedded fonts lack them and
every page draws the same.

Written by hand: neither matplotlib nor fontTools has a setting for this.  It replaces the
``subset`` module that matplotlib's private ``matplotlib.backends._backend_pdf_ps`` uses,
for the duration of a ``with`` block, by a proxy whose ``load_font`` drops those tables;
a matplotlib whose module does not look as expected is left alone (the subsets are then
made the slow way, with the same pages).

Verification: ``tests/test_pdf_fonts.py`` renders PDFs written with and without it with
mutool and compares the pixels and the extracted text, and checks the fonts stay embedded
TrueType.
"""
from __future__ import annotations

import contextlib
import threading
import types
from collections.abc import Iterator

__all__ = ["lean_font_subsets", "LAYOUT_TABLES"]

#: OpenType/AAT layout tables: text shaping data a PDF page never reads.
LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "kern", "morx", "kerx")

_LOCK = threading.Lock()
_DEPTH = [0]


def _lean_subset_module(subset: types.ModuleType) -> types.ModuleType:
    """A stand-in for ``fontTools.subset`` whose ``load_font`` drops :data:`LAYOUT_TABLES`
    (without decompiling them: fontTools loads tables lazily); everything else is fontTools'."""

    class _Lean(types.ModuleType):
        def __getattr__(self, name):
            return getattr(subset, name)

    def load_font(font_file, options, *args, **kwargs):
        font = subset.load_font(font_file, options, *args, **kwargs)
        for tag in LAYOUT_TABLES:
            if tag in font:
                del font[tag]
        return font

    lean = _Lean("spillmap_lean_subset")
    lean.load_font = load_font
    return lean


@contextlib.contextmanager
def lean_font_subsets() -> Iterator[None]:
    """Within the block, matplotlib's PDF (and PS) backends embed font subsets without
    their layout tables (see the module docstring).  Re-entrant and thread-safe: the
    original module is restored when the outermost block ends."""
    try:
        from fontTools import subset
        from matplotlib.backends import _backend_pdf_ps as pdfps
    except ImportError:  # pragma: no cover - matplotlib without that module
        yield
        return
    with _LOCK:
        usable = _DEPTH[0] > 0 or (getattr(pdfps, "subset", None) is subset and hasattr(subset, "load_font"))
        if usable:
            if _DEPTH[0] == 0:
                pdfps.subset = _lean_subset_module(subset)
            _DEPTH[0] += 1
    try:
        yield
    finally:
        if usable:
            with _LOCK:
                _DEPTH[0] -= 1
                if _DEPTH[0] == 0:
                    pdfps.subset = subset
