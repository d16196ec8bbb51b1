"""PDF font subsets made without the fonts' layout tables (:mod:`spillmap._pdf_fonts`).

The pages must not change: the same figure saved with and without :func:`lean_font_subsets`
is rendered by an independent PDF engine (MuPDF's ``mutool``) and the pixels and the extracted
text compared; the fonts stay embedded TrueType, and the embedded fonts lack the layout tables.
"""
from __future__ import annotations

import shutil
import subprocess

import matplotlib as mpl
import pytest

from spillmap._pdf_fonts import LAYOUT_TABLES, lean_font_subsets

needs_mutool = pytest.mark.skipif(shutil.which("mutool") is None, reason="needs mutool (Debian: mupdf-tools)")

# ligatures (fi, ffl), kerning pairs (AV, To), U+2212, bold, and CJK (drawn from the CJK fallback
# font when one is installed): whatever a layout table could have touched
TEXT = "Direct effect \u22120.0090 (fi ffl AV To) \u6b66\u6c49 \u8944\u9633"


def _figure():
    from spillmap.figures._style import figure_style, new_figure

    with figure_style():  # the figures' fonts, the CJK fallback included
        fig = new_figure((4.0, 2.0))
        ax = fig.subplots()
        ax.plot([0, 1, 2], [1, 3, 2])
        ax.set_title(TEXT, fontweight="bold")
        ax.set_xlabel(TEXT)
    return fig


def _save_plain(fig, path):
    """The figure saved as :func:`spillmap.figures.save_figure` does, but the fonts subset the
    ordinary (slow) way."""
    import warnings

    with mpl.rc_context({"pdf.compression": 1, "pdf.fonttype": 42}), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a missing CJK glyph on machines without a CJK font
        fig.savefig(path, format="pdf", metadata={"Creator": "spillmap", "CreationDate": None})


def _fonts(pdf, tmp_path):
    """The embedded font programs of ``pdf`` (``mutool extract``), read by fontTools."""
    from fontTools.ttLib import TTFont

    out = tmp_path / f"fonts_{pdf.stem}"
    out.mkdir()
    subprocess.run(["mutool", "extract", str(pdf)], cwd=out, check=True, capture_output=True)
    return [TTFont(f) for f in sorted(out.glob("font-*.ttf"))]


def test_lean_block_swaps_the_module_and_restores_it():
    from fontTools import subset
    from matplotlib.backends import _backend_pdf_ps as pdfps

    assert pdfps.subset is subset
    with lean_font_subsets():
        lean = pdfps.subset
        assert lean is not subset and lean.Subsetter is subset.Subsetter
        with lean_font_subsets():  # re-entrant: the inner block keeps the outer one's module
            assert pdfps.subset is lean
        assert pdfps.subset is lean
    assert pdfps.subset is subset
    with pytest.raises(RuntimeError), lean_font_subsets():
        raise RuntimeError("an error inside the block")
    assert pdfps.subset is subset  # restored on errors too


def test_lean_load_font_drops_layout_tables_without_reading_them():
    from fontTools import subset
    from matplotlib import font_manager

    path = font_manager.findfont("DejaVu Sans")
    options = subset.Options()
    plain = subset.load_font(path, options)
    assert {"GSUB", "GPOS"} <= set(plain.keys())  # DejaVu Sans has them: the test can fail
    with lean_font_subsets():
        from matplotlib.backends import _backend_pdf_ps as pdfps

        lean = pdfps.subset.load_font(path, options)
    assert not set(lean.keys()) & set(LAYOUT_TABLES)
    assert set(plain.keys()) - set(LAYOUT_TABLES) == set(lean.keys())


@needs_mutool
def test_pages_are_the_same_with_and_without_layout_tables(tmp_path):
    from PIL import Image, ImageChops

    from spillmap.figures import save_figure

    fig = _figure()
    lean = save_figure(fig, tmp_path / "lean.pdf")[0]
    plain = tmp_path / "plain.pdf"
    _save_plain(fig, plain)
    assert lean.read_bytes() != plain.read_bytes()  # the fonts differ...
    for pdf in (lean, plain):
        subprocess.run(["mutool", "draw", "-q", "-r", "200", "-o", str(pdf.with_suffix(".png")), str(pdf)],
                       check=True, capture_output=True)
    with Image.open(lean.with_suffix(".png")) as a, Image.open(plain.with_suffix(".png")) as b:
        assert a.size == b.size
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None  # ...the pages do not
    text = [subprocess.run(["mutool", "draw", "-q", "-F", "txt", "-o", "-", str(p)], check=True,
                           capture_output=True, text=True).stdout for p in (lean, plain)]
    assert text[0] == text[1] and "Direct effect" in text[0]
    fonts = _fonts(lean, tmp_path)
    assert fonts and all("glyf" in f and "cmap" in f for f in fonts)  # TrueType outlines, mapped to text
    assert not any(set(f.keys()) & set(LAYOUT_TABLES) for f in fonts)
    assert any("GSUB" in f or "GPOS" in f for f in _fonts(plain, tmp_path))  # the check above can fail
