"""Stop 33, brief item 1: the scenario figure's stacked bars with parts of opposite signs.  A unit whose own
change is below 0 and whose received spillover is above 0 (or the reverse) drew the received bar from the own
bar's end back over it; the parts now stack away from 0 on their own sign's side, and the total's interval
stays at the total."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from spillmap.estimation import ScenarioResult

# own and received of 6 changed units: both mixed-sign orders, one-signed bars of either sign, a zero part
OWN = np.array([-0.40, 0.30, 0.20, -0.10, 0.50, -0.25])
RECEIVED = np.array([0.15, -0.45, 0.10, -0.20, 0.0, 0.60])


def _mixed() -> ScenarioResult:
    total = OWN + RECEIVED
    half = np.full(OWN.size, 0.05)
    units = pd.DataFrame({"own": OWN, "received": RECEIVED, "total": total, "ci_lower": total - half,
                          "ci_upper": total + 2 * half, "se": half / 1.96, "ci_includes_zero": np.abs(total) < half,
                          "shocked": np.ones(OWN.size, bool), "name": [f"Unit {i}" for i in range(OWN.size)]},
                         index=pd.Index([f"u{i}" for i in range(OWN.size)], name="id"))
    return ScenarioResult(units=units, groups=pd.DataFrame(), model="sdm", y="y", variables=("x",),
                          changes=("x +1",), kinds=("absolute",), method="simulation", draws=1000, seed=1,
                          level=0.95, period=None, multiplier="global")


def _rows(ax) -> dict[int, list[tuple[float, float]]]:
    """``{bar position: [(left, width), ...]}`` read from the drawn rectangles."""
    rows: dict[int, list[tuple[float, float]]] = {}
    for p in ax.patches:
        rows.setdefault(round(p.get_y() + p.get_height() / 2), []).append((p.get_x(), p.get_width()))
    return rows


@pytest.mark.parametrize("width", [7.0, 3.5])
def test_mixed_sign_parts_do_not_overlap_and_add_up_to_the_total(width):
    from spillmap.maps.scenario import scenario_figure

    result = _mixed()
    fig = scenario_figure(result, k=OWN.size, width=width)
    ax = fig.axes[0]
    top = result.top_receivers(OWN.size, by="received", shocked=True).iloc[::-1]
    rows = _rows(ax)
    assert sorted(rows) == list(range(OWN.size))
    for pos, total in enumerate(top["total"]):
        spans = sorted((min(x, x + w), max(x, x + w)) for x, w in rows[pos])
        for (_, end), (start, _) in zip(spans, spans[1:]):
            # float sums of two parts: one rounding of numbers below 1
            assert start >= end - 1e-12, f"bar {pos}: parts overlap {spans}"
        # each part starts at 0 or where a part of its sign ends: the bar's extent is [sum of <0, sum of >0]
        assert spans[0][0] == pytest.approx(min(0.0, sum(w for _, w in rows[pos] if w < 0)), abs=1e-12)  # one rounding
        assert sum(w for _, w in rows[pos]) == pytest.approx(total, abs=1e-12)  # one rounding of a two-term sum
    # the interval whisker at the total: its segments end at the interval's bounds
    from matplotlib.collections import LineCollection

    segments = [s for c in ax.collections if isinstance(c, LineCollection) for s in c.get_segments()]
    ends = sorted((float(s[0][0]), float(s[-1][0])) for s in segments)
    expected = sorted(zip(top["ci_lower"], top["ci_upper"]))
    assert np.allclose(ends, expected, atol=1e-12)  # the same floats passed through matplotlib's offsets
    labels = ax.get_legend_handles_labels()[1]
    assert any(t.startswith("total and its 95% interval") and "stacked from 0 by sign" in t for t in labels), labels

