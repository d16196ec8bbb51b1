"""spillmap's figures in Jupyter (notebook audit 32 #2, #12, #13): an image without ``%matplotlib inline``,
no ``findfont`` lines about the CJK fallback font, legends inside a user's ``plt.subplots()`` axes.

The notebook tests run real notebooks in a kernel of this interpreter (nbclient, ipykernel): marked slow and
skipped where those are not installed."""
from __future__ import annotations

import importlib.util
import json
import logging
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

_SETUP = """\
import numpy as np
import spillmap.figures as sfig
rng = np.random.default_rng(0)
z = rng.normal(size=60)
wz = 0.5 * z + 0.3 * rng.normal(size=60)
"""


def _points():
    rng = np.random.default_rng(0)
    z = rng.normal(size=60)
    return z, 0.5 * z + 0.3 * rng.normal(size=60)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"  # the PNG signature, then its header chunk
    return struct.unpack(">II", data[16:24])


def test_figure_shows_itself_as_png_without_pyplot():
    from spillmap.figures import moran_scatter_points

    fig = moran_scatter_points(*_points(), moran_i=0.5, var="y")
    # 4.2 x 4.2 in (the function's default size) at the figure's own 100 dpi (matplotlib's default figure.dpi)
    assert _png_size(fig._repr_png_()) == (420, 420)


@pytest.mark.skipif(importlib.util.find_spec("IPython") is None, reason="IPython not installed")
def test_ipython_formatter_uses_repr_png_unless_a_figure_formatter_is_registered():
    from IPython.core.formatters import DisplayFormatter
    from matplotlib.figure import Figure

    from spillmap.figures import moran_scatter_points

    fig = moran_scatter_points(*_points(), moran_i=0.5, var="y")
    data, _ = DisplayFormatter().format(fig)  # a kernel's formatters before pyplot's inline backend ran
    assert _png_size(data["image/png"]) == (420, 420)  # as above
    inline = DisplayFormatter()
    inline.formatters["image/png"].for_type(Figure, lambda f: b"inline backend's")  # as %matplotlib inline does
    assert inline.format(fig)[0]["image/png"] == b"inline backend's"  # the user's inline settings still win


def test_fallback_weight_filter_drops_only_the_fallback_fonts_weight_lines():
    from spillmap.figures._style import _FallbackWeight

    _FallbackWeight.install(["Spillmap Test Fallback"])
    log = logging.getLogger("matplotlib.font_manager")

    def passes(msg: str, *args) -> bool:
        return bool(log.filter(log.makeRecord(log.name, logging.WARNING, __file__, 0, msg, args, None)))

    weight = "findfont: Failed to find font weight %s for %s, now using %s."  # matplotlib >= 3.10's message
    assert not passes(weight, "normal", "Spillmap Test Fallback", 500)
    assert passes(weight, "normal", "DejaVu Sans", 500)  # a font the user chose: still said
    assert passes("findfont: Font family %r not found.", "Spillmap Test Fallback")  # another message: still said


_SCRIPT = _SETUP + """\
import io, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from spillmap.figures._style import font_family
print("fallback" if len(font_family()) > 1 else "no fallback", file=sys.stderr)
fig = sfig.moran_scatter_points(z, wz, moran_i=0.5, var="y")
fig.savefig(io.BytesIO(), format="png")  # a user's own savefig, outside spillmap's quiet drawing
user, (a1, a2) = plt.subplots(1, 2)
sfig.moran_scatter_points(z, wz, moran_i=0.5, var="y", ax=a1, title="bold title")
a1.title.set_fontweight("bold")
user.savefig(io.BytesIO(), format="png")  # a user's pyplot figure drawn into with ax=
print("IPython imported" if "IPython" in sys.modules else "IPython not imported", file=sys.stderr)
"""


def test_no_findfont_lines_when_figures_are_drawn_outside_spillmap():
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=300, check=True)
    if "no fallback" in proc.stderr:
        pytest.skip("no CJK font installed: no fallback font, no such lines")
    assert "findfont" not in proc.stderr, proc.stderr
    assert "IPython not imported" in proc.stderr


def test_moran_legend_stays_inside_a_user_axes_without_layout():
    from matplotlib.figure import Figure

    from spillmap.figures import moran_scatter_points

    fig = Figure(figsize=(8, 3))  # as plt.subplots(1, 2) makes it: no layout engine
    a1, a2 = fig.subplots(1, 2)
    moran_scatter_points(*_points(), moran_i=0.5, var="y", ax=a1)
    fig.canvas.draw()
    legend, box = a1.get_legend().get_window_extent(), a1.get_window_extent()
    assert box.x0 <= legend.x0 and legend.x1 <= box.x1 and box.y0 <= legend.y0 and legend.y1 <= box.y1
    room = Figure(figsize=(8, 3), layout="constrained")  # a layout that makes room: under the axes, as before
    b1, _ = room.subplots(1, 2)
    moran_scatter_points(*_points(), moran_i=0.5, var="y", ax=b1)
    room.canvas.draw()
    assert b1.get_legend().get_window_extent().y1 < b1.get_window_extent().y0


def _run_notebook(cells: list[str], tmp_path, monkeypatch):
    """Execute a notebook of ``cells`` in a kernel of this interpreter; its cells with their outputs."""
    import nbformat
    from nbclient import NotebookClient

    spec = tmp_path / "kernels" / "spillmap-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "spillmap test", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells])
    NotebookClient(nb, kernel_name="spillmap-test", timeout=600,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb.cells


def _stderr(cells) -> str:
    return "".join(o.get("text", "") for c in cells for o in c.outputs if o.get("name") == "stderr")


def _images(cell) -> int:
    return sum("image/png" in o.get("data", {}) for o in cell.outputs)


_KERNEL = importlib.util.find_spec("nbclient") is not None and importlib.util.find_spec("ipykernel") is not None


@pytest.mark.slow
@pytest.mark.skipif(not _KERNEL, reason="nbclient / ipykernel not installed")
def test_notebook_shows_figure_without_magic(tmp_path, monkeypatch):
    cells = _run_notebook([_SETUP, 'sfig.moran_scatter_points(z, wz, moran_i=0.5, var="y")'], tmp_path, monkeypatch)
    out = cells[1].outputs
    assert [o.output_type for o in out] == ["execute_result"] and "image/png" in out[0].data, out
    assert "findfont" not in _stderr(cells)


@pytest.mark.slow
@pytest.mark.skipif(not _KERNEL, reason="nbclient / ipykernel not installed")
def test_notebook_pyplot_axes_no_findfont_lines(tmp_path, monkeypatch):
    draw = """\
    import matplotlib.pyplot as plt
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3))
    a2.plot([1, 2])
    sfig.moran_scatter_points(z, wz, moran_i=0.5, var="y", ax=a1);
    """
    cells = _run_notebook([_SETUP, draw, 'sfig.moran_scatter_points(z, wz, moran_i=0.5, var="y")'], tmp_path,
                          monkeypatch)
    assert "findfont" not in _stderr(cells), _stderr(cells)
    assert _images(cells[1]) == 1  # with ';': pyplot's display only
    assert _images(cells[2]) == 1  # after pyplot: the inline backend's formatter, once
