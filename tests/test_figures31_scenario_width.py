"""Audit 31 (a paper author): the scenario figure at a column's width (``[output] figure_width``).

The report's other figures follow ``[output] figure_width`` (tests/test_figures31_width.py); the scenario
figure (``figures/scenario_NAME_W.png|.pdf``) is drawn by :func:`spillmap.maps.scenario.scenario_figure`,
7 in wide: at 3.5 in its 9 pt title spans the figure, broken to its width, and its legend takes as many
columns as fit, the type at its size."""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spillmap.estimation import ScenarioResult


def _result(n: int = 10) -> ScenarioResult:
    received = np.linspace(0.004, 0.0014, n)
    total = received
    units = pd.DataFrame({"own": np.zeros(n), "received": received, "total": total, "ci_lower": total - 0.002,
                          "ci_upper": total + 0.002, "se": np.full(n, 0.001), "ci_includes_zero": np.zeros(n, bool),
                          "shocked": np.zeros(n, bool), "name": [f"Prefecture city number {i}" for i in range(n)]},
                         index=pd.Index([f"u{i}" for i in range(n)], name="id"))
    return ScenarioResult(units=units, groups=pd.DataFrame(), model="sdm", y="Green TFP", variables=("int",),
                          changes=("int +0.02",), kinds=("absolute",), method="simulation", draws=1000, seed=1,
                          level=0.95, period=2019, multiplier="global")


def _drawn(fig):
    fig.canvas.draw()
    return fig


TITLE = "Industrial intelligence +0.02 in every city of Hubei (W1): largest spillovers received"


def test_default_scenario_figure_is_as_before():
    from spillmap.maps.scenario import scenario_figure

    fig = _drawn(scenario_figure(_result(), k=10, title=TITLE, unit="city"))
    (ax,) = fig.axes
    assert tuple(fig.get_size_inches()) == (7.0, 0.32 * 10 + 1.6)
    assert ax.get_title() == textwrap.fill(TITLE, 70) and not fig._suptitle  # over the axes, 70 characters a line
    assert ax.get_legend()._ncols == 2  # own change is 0 everywhere: received and the interval, in one row


def test_column_scenario_figure_keeps_its_type_and_fits_its_width():
    from matplotlib.text import Text

    from spillmap.maps.scenario import scenario_figure

    fig = _drawn(scenario_figure(_result(), k=10, title=TITLE, unit="city", width=3.5))
    (ax,) = fig.axes
    w, h = fig.get_size_inches()
    assert w == 3.5 and h > 0.32 * 10 + 1.6  # taller by the title's and the legend's extra lines
    sup = fig._suptitle
    assert " ".join(sup.get_text().split()) == TITLE and "\n" in sup.get_text() and sup.get_fontsize() == 9
    assert ax.get_title() == ""
    for t in [sup, *ax.get_legend().get_texts(), *ax.get_yticklabels()]:
        box = t.get_window_extent()
        assert box.x0 >= -1 and box.x1 <= fig.bbox.x1 + 1, t.get_text()
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip()]
    assert min(sizes) >= 7


@pytest.mark.e2e
def test_report_draws_the_scenario_figures_a_column_wide(tmp_path_factory):
    """The demo report's scenario figures follow ``[output] figure_width = "column"``: 3.5 in wide (1,050 px at
    300 dpi)."""
    from PIL import Image

    from spillmap.maps._report_scenarios import scenarios_section
    from spillmap.study import StudyResults

    sys.path.insert(0, str(Path(__file__).parent))
    from _demo_shared import build_demo_once

    doc = json.loads((build_demo_once(tmp_path_factory) / "results.json").read_text(encoding="utf-8"))
    doc["spec"]["output"]["figure_width"] = "column"
    out = tmp_path_factory.mktemp("scenario_column")
    scenarios_section(StudyResults.from_json(json.dumps(doc)), out, lambda msg: None,
                      {w: w for w in doc["weights"]})
    pngs = sorted((out / "figures").glob("scenario_*.png"))
    assert pngs
    for png in pngs:
        with Image.open(png) as im:
            assert im.size[0] == pytest.approx(3.5 * 300, abs=1), png.name
