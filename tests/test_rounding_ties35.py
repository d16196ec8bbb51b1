"""Stop 35: values equal but for rounding classify and print as equal values do, and a legend wider than a
column never stops the column spillover figure.

On the lowest CI (OpenBLAS's generic Prescott kernels) two cities' received spillovers, equal with the CPU's
own kernels, came out one ulp apart; Fisher-Jenks made a class of the two, and the legend printed every
limit with 18 decimals so that its two limits read apart.  No map width then fitted a 3.5-in column, and the
column figure's layout raised ``min() arg is an empty sequence``."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spillmap.maps._classify import class_labels, classify

PAIR = 0.38147190760731986  # the demo's value (W2, received spillovers) on the lowest CI


def _values(perturbed: bool) -> np.ndarray:
    """Two equal values below four clusters, Fisher-Jenks's first class of 5; ``perturbed``: one ulp apart."""
    rng = np.random.default_rng(0)
    second = np.nextafter(PAIR, 1.0) if perturbed else PAIR
    return np.r_[PAIR, second, rng.uniform(0.40, 0.41, 60), rng.uniform(0.44, 0.445, 80),
                 rng.uniform(0.455, 0.46, 80), rng.uniform(0.465, 0.47, 75)]


@pytest.mark.parametrize("scheme", ["fisher_jenks", "auto"])
def test_values_one_ulp_apart_classify_as_equal_values(scheme):
    """The reference is the same data with the pair exactly equal: the same classes, counts and labels (the
    pair's class labelled by its one value), not 18 decimals (before: '0.381471907607319860 –
    0.381471907607319916 (2)')."""
    exact, ulp = classify(_values(False), scheme=scheme, k=5), classify(_values(True), scheme=scheme, k=5)
    assert ulp.counts == exact.counts and ulp.counts[0] == 2
    assert np.array_equal(ulp.yb, exact.yb)
    assert class_labels(ulp) == class_labels(exact)
    assert class_labels(ulp)[0] == "0.38147 (2)"


def test_bounds_a_rounding_apart_merge_but_a_users_bins_are_kept():
    """Quantile bounds within 1e-9 of the largest magnitude (ZERO_BELOW: a solve's rounding) are one bound:
    ten 1.0s and ten 1.0 + ulp make one class read "1.00 (20)" (mapclassify gives bounds 1.0 and 1.0 + ulp,
    printed before with 16 decimals); a user's own bins stay as given, however close."""
    up = np.nextafter(1.0, 2.0)
    v = np.r_[np.full(10, 1.0), np.full(10, up), np.linspace(2.0, 3.0, 20)]
    auto = classify(v, scheme="quantiles", k=8)
    assert all(b - a > 1e-9 * 3.0 for a, b in zip(auto.bins, auto.bins[1:]))
    assert auto.counts[0] == 20 and sum(auto.counts) == v.size
    labels = class_labels(auto)
    assert labels[0] == "1.00 (20)" and max(len(lab.split(" ")[0].partition(".")[2]) for lab in labels) == 2
    user = classify(v, scheme="user", bins=[1.0, up, 3.0])
    assert user.counts == (10, 10, 20)


def test_a_legend_wider_than_the_column_gets_the_narrowest_map(monkeypatch):
    """No map width is left beside a legend (its text measured 5 in wide here): the column figure is drawn
    with its narrowest map instead of raising (the layout's ``tried`` was empty)."""
    import spillmap.figures as F
    from spillmap.figures import _spillover_column as column

    sys.path.insert(0, str(Path(__file__).parent))
    from test_figures_size27 import _cells  # the 3 x 3 grid of square units

    grid = _cells()
    ue = pd.DataFrame({"direct": np.linspace(0.3, 0.5, 9), "indirect_received": np.linspace(0.1, 0.2, 9),
                       "indirect_emitted": np.linspace(0.2, 0.4, 9)}, index=list("abcdefghi"))
    widths = []
    real = column._layout

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        widths.append(out["map_w"])
        return out

    monkeypatch.setattr(column, "text_width_in", lambda text, prop: 5.0)
    monkeypatch.setattr(column, "_layout", spy)
    fig = F.spillover_maps(grid, ue, id="id", var="x", figsize=(3.5, None))
    assert widths and min(widths) == pytest.approx(max(column.MIN_MAP_SHARE * 3.5, 0.5) + column.PAD_IN)
    assert len([ax for ax in fig.axes if ax.collections]) == 3
