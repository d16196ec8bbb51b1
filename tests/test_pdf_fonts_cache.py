"""PDF font subsets in two stages, the first cached per font (:mod:`spillmap._pdf_fonts`, stop 32).

The second-stage subset must be the very font the one-stage subset is: the same bytes (and, on
matplotlib 3.11, the same map of glyph ids), for random glyph sets of DejaVu Sans regular and bold, for
a set with a glyph outside the cached first stage (made from the whole font), and for a whole figure,
whose PDF is byte-identical with and without the cache (so its pages are; MuPDF also renders it and
extracts the text, and its fonts stay embedded TrueType).  Runs on matplotlib 3.8 (subsets by
characters) and 3.11 (by glyph ids).
"""
from __future__ import annotations

import random
import shutil
import subprocess

import pytest
from matplotlib import font_manager

from spillmap import _pdf_fonts
from spillmap._pdf_fonts import SUPERSET_RANGES, lean_font_subsets

needs_mutool = pytest.mark.skipif(shutil.which("mutool") is None, reason="needs mutool (Debian: mupdf-tools)")


def _subset(fontfile, request):
    """The subset font's bytes and glyph-id map (None on matplotlib 3.8) of ``request``, through
    whatever ``get_glyphs_subset`` matplotlib's PDF backend calls at the moment."""
    from matplotlib.backends import _backend_pdf_ps as pdfps

    res = pdfps.get_glyphs_subset(fontfile, request)
    if hasattr(res, "getvalue"):  # matplotlib 3.8: the font's bytes
        return res.getvalue(), None
    with res as r:
        return pdfps.font_as_file(r.font).getvalue(), dict(r.glyph_index_map)


def _requests(path: str, n: int, seed: int):
    """``n`` random requests (as the installed matplotlib asks: characters or glyph ids) from the
    characters in :data:`SUPERSET_RANGES` of the font at ``path``, and its fontfile argument."""
    from fontTools import ttLib
    from matplotlib.backends import _backend_pdf_ps as pdfps

    font = ttLib.TTFont(path, lazy=True)
    cmap = {c: g for c, g in font.getBestCmap().items() if any(lo <= c < hi for lo, hi in SUPERSET_RANGES)}
    rng = random.Random(seed)
    codes = sorted(cmap)
    by_text = "characters" in pdfps.get_glyphs_subset.__code__.co_varnames[:2]
    fontfile = path if by_text else font_manager.FontPath(path, 0)
    out = []
    for _ in range(n):
        pick = rng.sample(codes, rng.randint(1, 60))
        out.append("".join(map(chr, pick)) if by_text else {font.getGlyphID(cmap[c]) for c in pick})
    return fontfile, out, (lambda ch: ch if by_text else {font.getGlyphID(font.getBestCmap()[ord(c)]) for c in ch})


def _one_stage(monkeypatch):
    """Subsets made in one stage (the lean fonts of stop 31, no cache)."""
    monkeypatch.setattr(_pdf_fonts, "_cached_subsets", lambda original: original)


@pytest.mark.parametrize("weight", ["normal", "bold"])
def test_second_stage_subsets_are_the_one_stage_subsets(weight, monkeypatch):
    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight=weight))
    assert "DejaVuSans" in path  # the font the test means (matplotlib ships it)
    fontfile, requests, _ = _requests(path, 25, seed=3)
    with lean_font_subsets():
        cached = [_subset(fontfile, r) for r in requests]
    assert (str(fontfile), 0) in _pdf_fonts._STAGES and _pdf_fonts._STAGES[(str(fontfile), 0)] is not None
    with monkeypatch.context() as m:
        _one_stage(m)
        with lean_font_subsets():
            plain = [_subset(fontfile, r) for r in requests]
    assert cached == plain  # bytes and glyph-id maps


def test_a_glyph_outside_the_first_stage_is_cut_from_the_whole_font(monkeypatch):
    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    fontfile, _, request_of = _requests(path, 1, seed=0)
    request = request_of("Ж0.5")  # Cyrillic: in DejaVu Sans, not in SUPERSET_RANGES
    assert not any(lo <= ord("Ж") < hi for lo, hi in SUPERSET_RANGES)
    _pdf_fonts._STAGES.clear()
    with lean_font_subsets():
        cached = _subset(fontfile, request)
    assert not _pdf_fonts._STAGES  # no first stage made for a request it would not cover
    _one_stage(monkeypatch)
    with lean_font_subsets():
        plain = _subset(fontfile, request)
    assert cached == plain


def test_the_block_swaps_get_glyphs_subset_and_restores_it():
    from matplotlib.backends import _backend_pdf_ps as pdfps

    original = pdfps.get_glyphs_subset
    with lean_font_subsets():
        assert pdfps.get_glyphs_subset is not original
        with lean_font_subsets():
            inner = pdfps.get_glyphs_subset
        assert pdfps.get_glyphs_subset is inner  # re-entrant: the inner block keeps the outer one's
    assert pdfps.get_glyphs_subset is original


def _figure():
    from spillmap.figures._style import figure_style, new_figure

    with figure_style():
        fig = new_figure((4.0, 2.0))
        ax = fig.subplots()
        ax.plot([0, 1, 2], [1, 3, 2])
        ax.set_title("Direct effect \u22120.0090 (fi AV To) \u00b0 \u03c1", fontweight="bold")
        ax.set_xlabel("Indirect effect, W\u2081 (Wuhan, \u00e9t\u00e9)")
    return fig


@needs_mutool
def test_a_figure_pdf_is_byte_identical_with_and_without_the_cache(tmp_path, monkeypatch):
    from spillmap.figures import save_figure

    fig = _figure()
    _pdf_fonts._STAGES.clear()
    cached = save_figure(fig, tmp_path / "cached.pdf")[0]
    assert any(v is not None for v in _pdf_fonts._STAGES.values())  # the first stages were made and used
    _one_stage(monkeypatch)
    plain = save_figure(fig, tmp_path / "plain.pdf")[0]
    assert cached.read_bytes() == plain.read_bytes()
    text = subprocess.run(["mutool", "draw", "-q", "-F", "txt", "-o", "-", str(cached)], check=True,
                          capture_output=True, text=True).stdout
    assert "Direct effect" in text and "\u22120.0090" in text  # selectable text, the minus sign kept
    info = subprocess.run(["mutool", "info", "-F", str(cached)], check=True, capture_output=True,
                          text=True).stdout
    assert "Type0" in info and "Identity-H" in info and "Type3" not in info  # TrueType (Type 42) fonts
    assert b"/FontFile2" in cached.read_bytes()
