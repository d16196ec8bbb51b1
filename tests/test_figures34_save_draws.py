"""save_figure draws a figure once per file: after it fixes a constrained layout the figure has no
layout engine, so matplotlib's savefig does not first draw it again with the drawing switched off
(what it does for any engine, the "none" placeholder included).  The files are the same bytes as with
the placeholder engine (matplotlib's own path, the reference here)."""
from __future__ import annotations

import numpy as np
import pytest

from spillmap import figures as F
from spillmap.figures import _save


def _figure():
    from spillmap.figures._style import figure_style, new_figure

    with figure_style():
        fig = new_figure((4.0, 3.0), layout="constrained")
        ax = fig.add_subplot()
        ax.barh(np.arange(3), [1.0, -2.0, 0.5], label="effect")
        ax.set_title("Effects", fontweight="bold")
        ax.set_yticks(np.arange(3), ["Wuhan (420100)", "Xinyang (411500)", "Changde (430700)"])
        ax.legend(loc="lower right")
        fig.suptitle("Direct effects")
    return fig


def _saved(tmp_path, name):
    """The bytes of the PNG and PDF save_figure writes, and the renderers of the figure's draws (counted
    on the instance: a patch of the class would be bypassed by subclasses made while it is in place)."""
    fig = _figure()
    draws = []
    real_draw = fig.draw

    def counted(renderer):
        draws.append(type(renderer).__name__)
        return real_draw(renderer)

    fig.draw = counted
    paths = F.save_figure(fig, tmp_path / name)
    return [p.read_bytes() for p in paths], draws


def test_one_draw_per_file_and_the_same_bytes_as_with_the_placeholder_engine(tmp_path, monkeypatch):
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    files, draws = _saved(tmp_path, "new")
    assert len(draws) == 2  # PNG and PDF, one draw each

    real_freeze = _save._freeze_layout

    def freeze_keeping_placeholder(fig):  # what save_figure did before: the "none" placeholder engine
        real_freeze(fig)
        fig.set_layout_engine(PlaceHolderLayoutEngine(adjust_compatible=False, colorbar_gridspec=False))

    monkeypatch.setattr(_save, "_freeze_layout", freeze_keeping_placeholder)
    ref_files, ref_draws = _saved(tmp_path, "ref")
    assert len(ref_draws) == 4  # matplotlib draws each file twice with an engine set
    assert [f[:4] for f in files] == [b"\x89PNG", b"%PDF"]
    assert files == ref_files


def test_a_figure_without_constrained_layout_is_left_alone(tmp_path):
    import matplotlib.figure as mf

    fig = mf.Figure(figsize=(3.0, 2.0))
    fig.add_subplot().plot([0, 1], [1, 0])
    fig.set_layout_engine("tight")
    engine = fig.get_layout_engine()
    F.save_figure(fig, tmp_path / "t", formats=("png",))
    assert fig.get_layout_engine() is engine


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
