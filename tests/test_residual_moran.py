"""Residual Moran test (spillmap.spatial.residual_moran).

References: spreg 1.9 ``diagnostics_sp.MoranRes`` (cross-section), a dense NT x NT
transcription of the Cliff-Ord moments with the explicit residual maker (panels), and R spdep's
``lm.morantest`` with explicit dummies (panels; numbers from a run, below).
"""
from __future__ import annotations

import numpy as np
import pytest

from spillmap.spatial.residual_moran import moran_residuals, quadratic_ratio_moments
from spillmap.spatial.weights import SpatialWeights

libpysal = pytest.importorskip("libpysal")
spreg = pytest.importorskip("spreg")


def _columbus(kind):
    import geopandas as gpd

    df = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    ids = df["POLYID"].astype(str).tolist()
    if kind == "queen":
        wl = libpysal.weights.Queen.from_dataframe(df, ids=ids, use_index=False, silence_warnings=True)
    else:
        pts = np.column_stack([df.geometry.centroid.x, df.geometry.centroid.y])
        wl = libpysal.weights.KNN(pts, k=4, ids=ids)
    return df, SpatialWeights.from_libpysal(wl).row_standardize()


@pytest.mark.parametrize("kind", ["queen", "knn4"])
def test_cross_section_equals_spreg_moranres(kind):
    df, w = _columbus(kind)
    y = df["CRIME"].to_numpy(float)
    X = df[["INC", "HOVAL"]].to_numpy(float)
    ours = moran_residuals(y, X, w)
    ref = spreg.diagnostics_sp.MoranRes(spreg.OLS(y[:, None], X), w.to_libpysal(), z=True)
    # both are exact closed forms of the same moments: 1e-10
    assert ours.I == pytest.approx(ref.I, rel=1e-10)
    assert ours.expected == pytest.approx(ref.eI, rel=1e-10)
    assert ours.variance == pytest.approx(ref.vI, rel=1e-10)
    assert ours.test.stat == pytest.approx(ref.zI, rel=1e-10)
    assert ours.test.pvalue == pytest.approx(ref.p_norm, rel=1e-8)


def _dense(y, X, W, t, effects):
    """Dense transcription: M = Q - QX (X'QX)^-1 X'Q, I = N/S0 e'We/e'e, Cliff-Ord moments."""
    n = W.shape[0]
    nt = n * t
    ct = np.eye(t) - (np.ones((t, t)) / t if effects in ("individual", "twoways") else 0)
    cn = np.eye(n) - (np.ones((n, n)) / n if effects in ("time", "twoways") else 0)
    Q = np.kron(ct, cn)
    if effects == "none":
        X = np.column_stack([np.ones(nt), X])
    QX = Q @ X
    M = Q - QX @ np.linalg.solve(QX.T @ QX, QX.T)
    Wnt = np.kron(np.eye(t), W)
    e = M @ y
    scale = n / W.sum()
    i_ = scale * e @ Wnt @ e / (e @ e)
    r = round(np.trace(M))
    MW = M @ Wnt
    ei = scale * np.trace(MW) / r
    e2 = scale**2 * (np.trace(MW @ M @ Wnt.T) + np.trace(MW @ MW) + np.trace(MW) ** 2) / (r * (r + 2))
    return i_, ei, e2 - ei**2


@pytest.mark.parametrize("effects", ["none", "individual", "time", "twoways"])
def test_panel_equals_dense_transcription(produc_logs, us48_queen, effects):
    sub = us48_queen.ids[:20]
    w = us48_queen.subset(sub).row_standardize()
    df = produc_logs[produc_logs.state_abbr.isin(sub) & (produc_logs.year <= 1976)].copy()
    from spillmap.spatial.autocorrelation import panel_array

    arr, periods = panel_array(df, id="state_abbr", time="year", columns=["lgsp", "lpcap", "lpc", "unemp"], w=w)
    t = len(periods)
    flat = arr.reshape(t * w.n, -1)
    ours = moran_residuals(flat[:, 0], flat[:, 1:], w, t=t, fe=effects)
    i_, ei, vi = _dense(flat[:, 0], flat[:, 1:], w.toarray(), t, effects)
    # exact forms, dense vs trace identities over NT = 140: rounding ~1e-12, so 1e-9
    assert ours.I == pytest.approx(i_, rel=1e-9)
    assert ours.expected == pytest.approx(ei, rel=1e-9)
    assert ours.variance == pytest.approx(vi, rel=1e-9)
    # NT = 20 x 7 = 140; rank(M) = NT - k - swept-out effects
    assert ours.dof == 140 - 3 - {"none": 1, "individual": 20, "time": 7, "twoways": 26}[effects]


def test_quadratic_ratio_moments_by_simulation():
    """E and Var of e'Ae/e'e against 20,000 simulated draws (Monte Carlo SE ~ 0.7 % of the SD)."""
    rng = np.random.default_rng(1)
    n = 12
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    M = np.eye(n) - X @ np.linalg.solve(X.T @ X, X.T)
    A = rng.random((n, n)) * (rng.random((n, n)) < 0.3)
    mean, var = quadratic_ratio_moments(np.trace(M @ A), np.trace(M @ A @ M @ A.T) + np.trace(M @ A @ M @ A), n - 2)
    e = rng.normal(size=(20000, n)) @ M
    q = np.einsum("ij,jk,ik->i", e, A, e) / np.einsum("ij,ij->i", e, e)
    assert q.mean() == pytest.approx(mean, abs=4 * q.std() / np.sqrt(len(q)))
    assert q.var() == pytest.approx(var, rel=0.05)  # SE of a variance estimate ~ sqrt(2/20000) = 1 %


@pytest.mark.slow
def test_size_under_h0(us48_queen):
    rng = np.random.default_rng(7)
    n, t, reps = us48_queen.n, 5, 2000
    X = rng.normal(size=(n * t, 2))
    rej = 0
    for _ in range(reps):
        y = X @ [1.0, -0.5] + np.repeat(rng.normal(size=t), n) + np.tile(rng.normal(size=n), t) + rng.normal(size=n * t)
        rej += moran_residuals(y, X, us48_queen, t=t, fe="twoways").test.pvalue < 0.05
    # 2000 replications: binomial SE 0.5 %, so 3-7 % is +-4 SE
    assert 0.03 <= rej / reps <= 0.07


#: spdep 1.2-7 ``lm.morantest(lm(lgsp ~ lpcap + lpc + lemp + unemp [+ factor(state_abbr)]
#: [+ factor(year)]), listw = I_T kron W)`` on the stacked Produc panel (R 4.2.2, run 2026-12-01;
#: tests/r_reference/spdep_residual_moran.R): I, E[I], Var[I] under normality, z; "%.12g"
SPDEP = {"none": (0.288229544583, -0.00313348301282, 0.000604882699094, 11.8467400736),
         "individual": (0.36994689347, -0.0027156336659, 0.000642847881285, 14.6981141622),
         "time": (0.251561760857, -0.0229546136363, 0.000575730257765, 11.4408614762),
         "twoways": (0.245672028093, -0.0230737722147, 0.000610767034529, 10.8743646481)}


@pytest.mark.parametrize("effects", sorted(SPDEP))
def test_panel_exact_moments_equal_spdep_with_dummies(produc_logs, us48_queen, effects):
    """The within regression's residual Moran test against spdep's ``lm.morantest`` of the same
    regression written with explicit dummies (its residual maker, from the QR of X and the dummies,
    is the one the exact moments need): closed forms of the same residuals, 1e-9 relative."""
    from spillmap.spatial.autocorrelation import panel_array

    x = ["lpcap", "lpc", "lemp", "unemp"]
    arr, periods = panel_array(produc_logs, id="state_abbr", time="year", columns=["lgsp", *x], w=us48_queen)
    flat = arr.reshape(len(periods) * us48_queen.n, -1)
    r = moran_residuals(flat[:, 0], flat[:, 1:], us48_queen, t=len(periods), fe=effects)
    # closed forms (quadratic forms, traces of M W) of the same residuals; R printed 12 digits: 1e-9 for margin
    np.testing.assert_allclose([r.I, r.expected, r.variance, r.test.stat], SPDEP[effects], rtol=1e-9)
