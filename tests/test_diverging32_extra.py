"""Planner audit 32 #8 and the spillover maps' diverging classes, once helper-32-diverging-extra.patch is applied:
the scenario figure's bars take the scenario map's colour of their sign; an effect with one class on each side of
0 is blue and red (it was blue and white)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def test_scenario_figure_bars_negative_in_blue():
    from types import SimpleNamespace

    from matplotlib.colors import to_hex

    from spillmap.maps.scenario import NEGATIVE, scenario_figure

    top = pd.DataFrame({"own": [0.0, 0.0], "received": [-0.003, -0.001], "total": [-0.003, -0.001],
                        "ci_lower": [-0.005, -0.002], "ci_upper": [-0.001, 0.0]}, index=["KY", "IA"])
    result = SimpleNamespace(top_receivers=lambda k, by, shocked: top, n_shocked=1, units=[1, 2, 3], level=0.95,
                             y="y", changes=["x +10 %"])
    fig = scenario_figure(result, k=2)
    colors = {to_hex(p.get_facecolor()) for p in fig.axes[0].patches}
    assert colors == {NEGATIVE[1]}  # was the positive salmon #f4a582


def test_one_class_each_side_is_blue_and_red():
    from spillmap.maps.spillover import value_classes

    _, colors = value_classes(np.array([-1.0, -0.5, 0.5, 1.0]))
    assert colors == ["#67a9cf", "#ef8a62"]  # ColorBrewer RdBu_r of 3: its blue and its red (was the white #f7f7f7)
