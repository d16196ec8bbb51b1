"""One W per period above N = 2,000, where the information matrix's traces are stochastic: the
fit's standard errors against the same information matrix with exact traces (slow: the exact
traces need one dense Cholesky inverse of 2,025 x 2,025 per distinct W).

Stop 27 left the time-varying fits with stochastic traces without a cross-check.  Reference:
:func:`spillmap.estimation.model.information_matrix` with ``exact_traces=True`` (the dense
Cholesky route of ``tests/test_speed_internals.py``, itself checked against a general inverse),
evaluated at the fit's estimate; the estimate itself does not depend on the traces.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from spillmap.estimation import SpatialPanel
from spillmap.estimation._traces import DENSE_TRACE_MAX_N
from spillmap.estimation._transform import effective_counts
from spillmap.estimation.model import information_matrix
from spillmap.spatial.weights import SpatialWeights

pytestmark = pytest.mark.slow

SIDE = 45  # N = 2,025: just above DENSE_TRACE_MAX_N, so the fit takes the stochastic route
YEARS = list(range(2001, 2006))
CHANGED = 2003


def _panel() -> tuple[pd.DataFrame, dict]:
    """SDM data, queen contiguity in every year but CHANGED (rook), unit and year effects."""
    from libpysal.weights import lat2W

    n = SIDE * SIDE
    queen = SpatialWeights.from_libpysal(lat2W(SIDE, SIDE, rook=False)).row_standardize()
    rook = SpatialWeights.from_libpysal(lat2W(SIDE, SIDE, rook=True)).row_standardize()
    assert queen.ids == rook.ids
    ids = list(queen.ids)
    w_by_year = {y: rook if y == CHANGED else queen for y in YEARS}
    rng = np.random.default_rng(7)
    mu = rng.normal(size=n)
    rows = []
    for y in YEARS:
        w = w_by_year[y].sparse
        x = rng.normal(size=(n, 2))
        rhs = x @ np.array([1.0, -0.5]) + 0.3 * (w @ x[:, 0]) + mu + 0.2 * (y - 2001) + rng.normal(size=n)
        v = spsolve((sp.identity(n) - 0.5 * w).tocsc(), rhs)
        rows.append(pd.DataFrame({"id": ids, "year": y, "x1": x[:, 0], "x2": x[:, 1], "y": v}))
    return pd.concat(rows, ignore_index=True), w_by_year


def test_stochastic_trace_standard_errors_match_the_exact_ones():
    df, w_by_year = _panel()
    assert SIDE * SIDE > DENSE_TRACE_MAX_N
    res = SpatialPanel(df, "y ~ x1 + x2", id="id", time="year", w=w_by_year, model="sdm", fe="twoways").fit()
    assert res.extra["exact_traces"] is False
    d = res.data
    theta = np.concatenate([res.params.to_numpy(), [res.sigma2]])
    counts = effective_counts(d.n, d.t, d.effects, res.lee_yu)
    exact, is_exact = information_matrix(d, theta, counts, exact_traces=True)
    assert is_exact
    se_exact = np.sqrt(np.diag(np.linalg.inv(exact)))[:-1]
    # Tolerance 2e-3 relative.  In the fit only tr(G'G) is stochastic (tr(G), tr(GG) are derivatives of
    # the exact log-determinants); observed 1e-4 on rho's SE, 4e-5 or less on the others.  With all three
    # traces stochastic (200 probes) the SE of rho varies by 6.5e-4 (sd over 8 seeds, measured 2026-12-01),
    # so 2e-3 is three such sd and 20 times the error seen; the information of the queen W in every year
    # (the changed year's rook ignored) moves the SEs of W_x1, W_x2 and rho by 8-11 % (measured).
    np.testing.assert_allclose(res.std_errors.to_numpy(), se_exact, rtol=2e-3)
