"""Audit 30 (a paper author, item B5): the effects figure's panels (one per W) share one x-scale only
when their ranges are comparable; a W whose intervals run to ±35 gets panels of their own scale (it drew
the other panels' effects as dots on 0), the legend then says "x scales differ by panel", and every
panel keeps its x tick labels (the top-left of three panels had none)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap import figures as F
from spillmap.figures._effects_plot import SCALES_DIFFER, SHARED_X_MAX_RATIO


def _frame(est, half, variables=("a", "b", "c")) -> pd.DataFrame:
    """Stored effects: ``est`` and ``half`` (half-width of the interval) per (effect, variable), in the
    order direct, indirect, total x ``variables``."""
    rows = [(k, v) for k in ("direct", "indirect", "total") for v in variables]
    est, half = np.broadcast_to(np.asarray(est, float), len(rows)), np.broadcast_to(np.asarray(half, float), len(rows))
    f = pd.DataFrame({"estimate": est, "ci_lower": est - half, "ci_upper": est + half},
                     index=pd.MultiIndex.from_tuples(rows, names=["effect", "variable"]))
    f.attrs.update(model="SDM", level=0.95)
    return f


def _audit_panels() -> dict[str, pd.DataFrame]:
    """The audit's three W: two with effects within ±1, one (WE) with intervals of -36 to 18."""
    small = np.array([0.0, 0.17, 0.75, -0.1, 0.1, 0.0, -0.1, 0.28, 0.74])
    wide = np.array([0.0, 0.2, 0.7, -1.0, 1.2, -3.4, -1.0, 1.4, -2.7])
    return {"SDM, Wq": _frame(small, 0.12), "SDM, K5": _frame(small * 1.1, 0.15),
            "SDM, WE": _frame(wide, np.r_[0.1, 0.3, 0.3, 14.0, 17.0, 33.0, 14.0, 17.0, 33.0])}


def _drawn(fig):
    fig.canvas.draw()
    return fig


def _panels(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def _tick_labels(ax) -> list[str]:
    """The x tick labels drawn (visible, non-empty, inside the figure)."""
    fig_box = ax.figure.bbox
    out = []
    for t in ax.get_xticklabels():
        box = t.get_window_extent()
        if t.get_visible() and t.get_text() and fig_box.x0 <= box.x0 and box.x1 <= fig_box.x1 and box.y0 >= fig_box.y0:
            out.append(t.get_text())
    return out


def _legend_texts(fig) -> list[str]:
    """The figure legend's title (when it has one) and entries."""
    (legend,) = fig.legends
    title = legend.get_title()
    return [title.get_text()] * bool(title.get_visible() and title.get_text()) + [t.get_text() for t in legend.get_texts()]


def test_an_outlying_w_gives_every_panel_its_own_x_scale():
    """B5: with one W's intervals at ±35, each panel is scaled to its own intervals; the narrow panels'
    intervals are drawn as intervals (more than a tenth of the axis), not dots on 0."""
    fig = _drawn(F.effects_plot(_audit_panels()))
    wq, k5, we = _panels(fig)
    assert len({wq.get_xlim(), k5.get_xlim(), we.get_xlim()}) == 3
    assert we.get_xlim()[0] < -33 and we.get_xlim()[1] > 18
    for ax in (wq, k5):
        lo, hi = ax.get_xlim()
        assert -1.5 < lo < 0 < hi < 1.5, ax.get_title(loc="left")
        seg = ax.containers[0].lines[2][0].get_segments()  # the direct effects' intervals
        assert max(abs(s[1, 0] - s[0, 0]) for s in seg) > 0.1 * (hi - lo)
    assert _legend_texts(fig) == [SCALES_DIFFER, "direct", "indirect", "total"]


def test_every_panel_keeps_its_x_tick_labels():
    """B5: the Wq panel (top left of three on two columns) had no x tick labels; every panel has them,
    on a shared scale too, and the x label stays under each column's lowest panel."""
    panels = _audit_panels()
    comparable = {k: _frame(np.arange(9.0) * s, 0.5) for k, s in (("A", 1.0), ("B", 1.5), ("C", 2.0))}
    for effects in (panels, comparable):
        fig = _drawn(F.effects_plot(effects))
        shown = _panels(fig)
        assert len(shown) == 3
        for ax in shown:
            assert len(_tick_labels(ax)) >= 2, ax.get_title(loc="left")
        assert [bool(ax.get_xlabel()) for ax in shown] == [False, True, True]


def test_comparable_ranges_keep_one_x_scale():
    """Panels whose ranges differ less than SHARED_X_MAX_RATIO share one scale (an effect reads the same
    length under every W), without the note; just beyond it they do not."""
    base = _frame(np.arange(9.0), 0.5)  # range -0.5 .. 8.5: 9 wide, 0 included
    near = _frame(np.arange(9.0) * 3.0, 0.5)  # -0.5 .. 24.5: 25 wide, 2.8 times
    fig = _drawn(F.effects_plot({"W1": base, "W2": near}))
    a, b = _panels(fig)
    assert a.get_xlim() == b.get_xlim() and a.get_xlim()[1] >= 24.5
    assert SCALES_DIFFER not in _legend_texts(fig)
    far = _frame(np.arange(9.0) * (SHARED_X_MAX_RATIO * 9 / 8 + 0.2), 0.5)  # just over the ratio times 9 wide
    fig = _drawn(F.effects_plot({"W1": base, "W2": far}))
    a, b = _panels(fig)
    assert a.get_xlim() != b.get_xlim() and a.get_xlim()[1] < 10
    assert SCALES_DIFFER in _legend_texts(fig)


@pytest.mark.parametrize("sharex", [True, False])
def test_sharex_chooses_the_scale(sharex):
    """``sharex=True`` keeps one scale whatever the ranges, ``False`` gives each panel its own."""
    fig = _drawn(F.effects_plot({"W1": _frame(np.arange(9.0), 0.5), "W2": _frame(np.arange(9.0) * 1.2, 0.5)}
                                if not sharex else _audit_panels(), sharex=sharex))
    lims = {ax.get_xlim() for ax in _panels(fig)}
    assert (len(lims) == 1) is sharex
    assert (SCALES_DIFFER in _legend_texts(fig)) is not sharex
    for ax in _panels(fig):
        assert len(_tick_labels(ax)) >= 2


@pytest.mark.parametrize("layout", [{}, {"ncols": 1, "panel_size": (3.5, 2.4)}])
def test_the_note_heads_the_legend_under_the_panels(layout):
    """The note is the title of the legend under the panels: off the data, above the synthetic notice,
    and whole in a one-column (3.5 in) figure too (as a fourth entry of the legend's row it was cut)."""
    from spillmap.figures._style import add_notice

    fig = _drawn(add_notice(F.effects_plot(_audit_panels(), **layout), "SYNTHETIC DATA"))
    (legend,) = fig.legends
    assert legend.get_title().get_text() == SCALES_DIFFER
    leg = legend.get_window_extent()
    for ax in _panels(fig):
        assert leg.y1 <= ax.get_tightbbox().y0 + 1e-6
    assert 0 <= leg.x0 and leg.x1 <= fig.bbox.width
    note = next(t for t in fig.texts if t.get_gid() == "spillmap-notice").get_window_extent()
    assert note.y1 <= leg.y0


def test_panels_of_different_variables_label_their_own_rows():
    """Without ``variables`` each panel shows its own result's variables: when they differ, each panel
    labels its own rows (a shared y-axis relabelled the first panel with the last panel's names)."""
    fig = _drawn(F.effects_plot({"W1": _frame(np.arange(9.0), 0.5, ("a", "b", "c")),
                                 "W2": _frame(np.arange(6.0), 0.5, ("d", "e"))}))
    a, b = _panels(fig)
    assert [t.get_text() for t in a.get_yticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in b.get_yticklabels()] == ["d", "e"]
