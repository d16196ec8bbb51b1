"""Audit 30 (a paper author, item C1): the scenario figure's legend covered the lowest intervals
(``scenario_south_pcap_WE.png``: short bars at 0, whiskers across the axes; matplotlib's "best" weighs the
bars but not the whiskers).  It sits under the x label, in one row, clear of every bar, whisker and
label, whatever the data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.transforms import Bbox
from spillmap.estimation import ScenarioResult


def _result(own, received, half, *, shocked=None, upper=None) -> ScenarioResult:
    """``half``: the interval's half-width below the total (and above it, unless ``upper`` is given)."""
    own, received, half = (np.asarray(v, float) for v in (own, received, half))
    upper = half if upper is None else np.asarray(upper, float)
    n = len(received)
    total = own + received
    units = pd.DataFrame({"own": own, "received": received, "total": total, "ci_lower": total - half,
                          "ci_upper": total + upper, "se": half / 1.96, "ci_includes_zero": np.abs(total) < half,
                          "shocked": np.zeros(n, bool) if shocked is None else np.asarray(shocked, bool),
                          "name": [f"Unit number {i}" for i in range(n)]},
                         index=pd.Index([f"u{i}" for i in range(n)], name="id"))
    return ScenarioResult(units=units, groups=pd.DataFrame(), model="sdm", y="Log gross state product",
                          variables=("log(pcap)",), changes=("log(pcap) +10 %",), kinds=("percent",),
                          method="simulation", draws=1000, seed=1, level=0.95, period=1986, multiplier="global")


def _cases() -> dict[str, ScenarioResult]:
    n = 10
    rng = np.random.default_rng(30)
    received = -np.linspace(0.032, 0.028, n)
    return {
        # the audit's WE figure: bars of -0.03, every interval -0.51 .. 0.094
        "audit WE": _result(np.zeros(n), received, 0.51 + received, upper=0.094 - received),
        # long bars, intervals growing with them (the demo's W1)
        "long bars": _result(np.zeros(n), np.linspace(0.0039, 0.0014, n), np.linspace(0.0023, 0.0008, n)),
        # every unit changed: own and received parts stacked, mixed signs
        "all changed": _result(rng.normal(0, 1, n), rng.normal(0, 1, n), rng.uniform(0.2, 3, n),
                               shocked=np.ones(n, bool)),
        # wide and narrow intervals at random
        "random": _result(np.zeros(n), rng.normal(0, 1, n), rng.uniform(0, 4, n)),
    }


def _data_boxes(ax) -> list[Bbox]:
    """Window extents of the bars, of each whisker and cap (a line's width around it) and the 0 line."""
    from matplotlib.collections import LineCollection

    fig = ax.figure
    boxes = [p.get_window_extent() for p in ax.patches]
    for coll in ax.collections:
        if isinstance(coll, LineCollection):
            pad = max(coll.get_linewidths()) * fig.dpi / 72 / 2
            for seg in coll.get_segments():
                (x0, y0), (x1, y1) = ax.transData.transform(seg)[[0, -1]]
                boxes.append(Bbox.from_extents(min(x0, x1) - pad, min(y0, y1) - pad, max(x0, x1) + pad,
                                               max(y0, y1) + pad))
    for line in ax.lines:
        if line.get_linestyle() in ("None", "none", "", " "):  # markers only (the caps): a box around each
            half = line.get_markersize() * fig.dpi / 72 / 2
            for x, y in ax.transData.transform(line.get_xydata()):
                boxes.append(Bbox.from_extents(x - half, y - half, x + half, y + half))
        else:  # the 0 line
            boxes.append(line.get_window_extent())
    return boxes


@pytest.mark.parametrize("case", list(_cases()))
def test_scenario_legend_covers_no_data(case):
    """C1: the legend overlaps no bar, whisker, cap or the 0 line, and sits under the axes and their x
    label (the report's bold title and the synthetic notice applied as the report does)."""
    from spillmap.maps._report_scenarios import _house_title
    from spillmap.maps.scenario import scenario_figure

    from spillmap.figures._style import add_notice

    fig = add_notice(_house_title(scenario_figure(_cases()[case], k=10, unit="state")), "SYNTHETIC DATA")
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert not any(legend.overlaps(b) for b in _data_boxes(ax)), case
    assert legend.y1 <= ax.xaxis.get_tightbbox().y0 + 1e-6  # under the tick labels and the x label
    assert 0 <= legend.x0 and legend.x1 <= fig.bbox.width and legend.y0 >= 0  # whole, inside the figure
    note = next(t for t in fig.texts if t.get_gid() == "spillmap-notice").get_window_extent()
    assert note.y1 <= legend.y0
    rows = [t.get_window_extent() for t in ax.get_legend().get_texts()]
    lines = 1 if len(rows) <= 3 else 2  # bars of both signs add a (−) and a (+) entry each: two rows (stop 32)
    assert max(r.y1 for r in rows) - min(r.y0 for r in rows) < (lines + 0.5) * max(r.height for r in rows)
