"""The summary tells the reader when standard errors rest on stochastic traces."""
from __future__ import annotations

import libpysal
import numpy as np
import pandas as pd

from spillmap.estimation import SpatialPanel
from spillmap.spatial.weights import SpatialWeights


def _fit(side: int):
    w = SpatialWeights.from_libpysal(libpysal.weights.lat2W(side, side)).row_standardize()
    n, t = w.n, 3
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"id": np.tile(w.ids, t), "t": np.repeat(range(t), n), "x": rng.normal(size=n * t)})
    df["y"] = df["x"] + rng.normal(size=n * t)
    return SpatialPanel(df, y="y", x=["x"], id="id", time="t", w=w, model="sar", fe="individual").fit()


def test_no_note_with_exact_traces():
    res = _fit(10)
    assert res.extra["exact_traces"] is True
    assert "Note:" not in res.summary()


def test_note_with_stochastic_traces():
    res = _fit(50)  # N = 2,500: above the exact-trace limit of the information matrix
    assert res.extra["exact_traces"] is False
    assert "stochastic" in res.summary().splitlines()[-1]
