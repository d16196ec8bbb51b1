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

Within the same block, the subsets are made in two stages, the first one cached for the
process (:func:`_cached_subsets`): once per font, a subset of every glyph its character map
gives for :data:`SUPERSET_RANGES` (Latin, Greek, punctuation, super- and subscripts, currency,
letter-like symbols, arrows, mathematical operators, the fi and ff ligatures: about 1,400
glyphs of DejaVu Sans's 6,000); then each PDF's subset is cut from that small font, which fontTools reads about four
times faster than the whole one (its glyph names, character map and glyph locations are a
quarter as long).  fontTools keeps the glyphs' order and every table's content when it subsets,
so the second stage writes the very bytes the one-stage subset has (checked on every call of a
demo's figures and on random glyph sets by ``tests/test_pdf_fonts_cache.py``: the PDFs are
byte-identical).  A subset needing a glyph outside the first stage (a CJK label, a glyph
text shaping substituted) is made from the whole font as before, and a font asked only for
such subsets (a CJK fallback font) never gets a first stage.

Written by hand: neither matplotlib nor fontTools has a setting for this.  It replaces the
``subset`` module that matplotlib's private ``matplotlib.backends._backend_pdf_ps`` uses,
for the duration of a ``with`` block, by a proxy whose ``load_font`` drops those tables (and
reads the cached first stage when asked to), and that module's ``get_glyphs_subset`` by the
two-stage one; a matplotlib whose module does not look as expected is left alone (the
subsets are then made the slow way, with the same pages).  matplotlib 3.8 asks for a subset
by characters, 3.11 by glyph ids (and gets back a map of them): both are handled.

Verification: ``tests/test_pdf_fonts.py`` renders PDFs written with and without it with
mutool and compares the pixels and the extracted text, and checks the fonts stay embedded
TrueType.
"""
from __future__ import annotations

import contextlib
import inspect
import io
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

__all__ = ["lean_font_subsets", "LAYOUT_TABLES", "SUPERSET_RANGES"]

#: OpenType/AAT layout tables: text shaping data a PDF page never reads.
LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "kern", "morx", "kerx")
#: code point ranges (start, end exclusive) of a font's cached first-stage subset: Basic Latin to Latin
#: Extended-B, Greek, U+2000-U+22FF (punctuation, super/subscripts, currency, letter-like symbols, number
#: forms, arrows, mathematical operators such as the minus sign U+2212) and the Latin ligatures U+FB00-U+FB06
#: (ff, fi, fl, ffi, ffl: matplotlib 3.11 shapes "coefficient" with them; 11 of the demo's 47 subsets)
SUPERSET_RANGES = ((0x20, 0x250), (0x370, 0x400), (0x2000, 0x2300), (0xFB00, 0xFB07))

_LOCK = threading.Lock()
_DEPTH = [0]
_SAVED: list[Callable] = []  # matplotlib's get_glyphs_subset while the outermost block runs
#: the first stage's bytes while a second-stage subset loads its font (this thread only)
_REDIRECT = threading.local()
#: (font path, face index) -> its first stage, or None where it could not be made
_STAGES: dict[tuple[str, int], _Stage | None] = {}
#: (font path, face index) -> the glyph ids FreeType maps the characters of SUPERSET_RANGES to
_RANGE_GIDS: dict[tuple[str, int], frozenset[int]] = {}


class _Stage(NamedTuple):
    """A font's first-stage subset: its bytes, the characters it maps and (glyph-id interface) the map
    of the whole font's glyph ids to its own."""

    data: bytes
    chars: frozenset[str]
    gid_map: dict[int, int] | None


def _lean_subset_module(subset: types.ModuleType) -> types.ModuleType:
    """A stand-in for ``fontTools.subset`` whose ``load_font`` drops :data:`LAYOUT_TABLES`
    (without decompiling them: fontTools loads tables lazily); everything else is fontTools'."""

    class _Lean(types.ModuleType):
        def __getattr__(self, name):
            return getattr(subset, name)

    def load_font(font_file, options, *args, **kwargs):
        data = getattr(_REDIRECT, "data", None)
        font = subset.load_font(font_file if data is None else io.BytesIO(data), options, *args, **kwargs)
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
                _SAVED[:] = [pdfps.get_glyphs_subset]
                pdfps.subset = _lean_subset_module(subset)
                pdfps.get_glyphs_subset = _cached_subsets(_SAVED[0])
            _DEPTH[0] += 1
    try:
        yield
    finally:
        if usable:
            with _LOCK:
                _DEPTH[0] -= 1
                if _DEPTH[0] == 0:
                    pdfps.subset = subset
                    pdfps.get_glyphs_subset = _SAVED.pop()


def _interface(original: Callable) -> str | None:
    """``"text"`` (matplotlib 3.8: ``get_glyphs_subset(fontfile, characters)`` returns the font's bytes),
    ``"gids"`` (3.11: ``(fontfile, glyphs)``, a context manager of the font and a glyph-id map) or None."""
    try:
        names = tuple(inspect.signature(original).parameters)
    except (TypeError, ValueError):  # pragma: no cover - not a Python function
        return None
    return {("fontfile", "characters"): "text", ("fontfile", "glyphs"): "gids"}.get(names)


def _first_stage(original: Callable, kind: str, fontfile: Any) -> _Stage | None:
    """The subset of ``fontfile`` holding every glyph its character map gives for :data:`SUPERSET_RANGES`,
    made by matplotlib's own ``original`` (its options, without the layout tables)."""
    from fontTools import ttLib

    path, face = str(fontfile), int(getattr(fontfile, "face_index", 0))
    with ttLib.TTFont(path, lazy=True, fontNumber=face) as font:
        cmap = {c: name for c, name in (font.getBestCmap() or {}).items() if _in_ranges(c)}
        gids = {font.getGlyphID(name) for name in cmap.values()}
    if not cmap:
        return None
    chars = frozenset(map(chr, cmap))
    if kind == "text":
        return _Stage(original(fontfile, "".join(sorted(chars))).getvalue(), chars, None)
    with original(fontfile, gids) as res:
        buf = io.BytesIO()
        res.font.save(buf, reorderTables=False)  # as matplotlib's font_as_file
        return _Stage(buf.getvalue(), chars, dict(res.glyph_index_map))


def _in_ranges(code: int) -> bool:
    return any(lo <= code < hi for lo, hi in SUPERSET_RANGES)


def _worth_a_stage(kind: str, fontfile: Any, request) -> bool:
    """Whether ``request`` asks only for glyphs of characters in :data:`SUPERSET_RANGES` (a cheap test, made
    before any first stage: a CJK font asked for CJK glyphs never gets one; 0.5 s for WenQuanYi Zen Hei)."""
    if kind == "text":
        return all(_in_ranges(ord(ch)) for ch in request)
    key = (str(fontfile), int(getattr(fontfile, "face_index", 0)))
    if key not in _RANGE_GIDS:
        try:
            from matplotlib.ft2font import FT2Font

            charmap = FT2Font(key[0], face_index=key[1]).get_charmap()
        except Exception:  # noqa: BLE001 - a font FreeType cannot read here: the one-stage subsets
            charmap = {}
        _RANGE_GIDS[key] = frozenset(g for c, g in charmap.items() if _in_ranges(c))
    return set(request) <= _RANGE_GIDS[key]


def _stage(original: Callable, kind: str, fontfile: Any) -> _Stage | None:
    """The cached first stage of ``fontfile`` (made on first use; None for a font it cannot be made of,
    which then is subset the one-stage way)."""
    key = (str(fontfile), int(getattr(fontfile, "face_index", 0)))
    with _LOCK:
        if key not in _STAGES:
            try:
                _STAGES[key] = _first_stage(original, kind, fontfile)
            except Exception:  # noqa: BLE001 - any font fontTools cannot cut: the one-stage subsets
                _STAGES[key] = None
        return _STAGES[key]


@contextlib.contextmanager
def _composed(results, first: dict[int, int]) -> Iterator[Any]:
    """matplotlib 3.11's subset results with their glyph-id map taken back to the whole font's ids."""
    with results as res:
        second = res.glyph_index_map
        yield type(res)(res.font, {g: second[m] for g, m in first.items() if m in second})


def _cached_subsets(original: Callable) -> Callable:
    """matplotlib's ``get_glyphs_subset`` made in two stages (module docstring); ``original`` itself for
    an interface it does not know."""
    kind = _interface(original)
    if kind is None:
        return original

    def get_glyphs_subset(fontfile, request):
        stage = _stage(original, kind, fontfile) if _worth_a_stage(kind, fontfile, request) else None
        covered = stage is not None and (set(request) <= stage.chars if kind == "text"
                                         else set(request) <= stage.gid_map.keys())
        if not covered:
            return original(fontfile, request)
        _REDIRECT.data = stage.data
        try:
            if kind == "text":
                return original(fontfile, request)
            return _composed(original(fontfile, {stage.gid_map[g] for g in request}), stage.gid_map)
        finally:
            _REDIRECT.data = None

    return get_glyphs_subset
