"""Tests of spillmap.estimation.effects against dense oracles, closed forms and spreg."""
from __future__ import annotations

from contextlib import closing
import json
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from spillmap.errors import EstimationError, EstimationWarning, InputError
from spillmap.estimation.effects import (
    EffectsResult,
    compute_effects,
    effects_from_estimates,
    effects_matrix,
    exact_trace_moments,
    series_trace_moments,
    stochastic_trace_powers,
    unit_effects,
    unit_response,
)
from spillmap.spatial.weights import SpatialWeights

# the dense reference computations here run on one BLAS thread (see conftest.one_blas_thread)
pytestmark = pytest.mark.usefixtures("one_blas_thread")


# ------------------------------------------------------------------ fixtures
def _lattice(nrows: int, ncols: int) -> SpatialWeights:
    from libpysal.weights import lat2W

    return SpatialWeights.from_libpysal(lat2W(nrows, ncols, rook=True), name="lattice")


@pytest.fixture(scope="module")
def w_rs() -> SpatialWeights:
    """Row-standardised 6 x 5 rook lattice (row-standardised, similar to symmetric)."""
    return _lattice(6, 5).row_standardize()


@pytest.fixture(scope="module")
def w_knn() -> SpatialWeights:
    """Row-standardised 3-nearest-neighbour W on random points: asymmetric, complex eigenvalues."""
    rng = np.random.default_rng(7)
    pts = rng.uniform(size=(40, 2))
    d = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    np.fill_diagonal(d, np.inf)
    m = np.zeros_like(d)
    nn = np.argsort(d, axis=1)[:, :3]
    m[np.arange(40)[:, None], nn] = 1.0
    return SpatialWeights.from_sparse(sp.csr_matrix(m), [f"u{i}" for i in range(40)]).row_standardize()


@pytest.fixture(scope="module")
def w_binary() -> SpatialWeights:
    """Binary (not row-standardised) lattice: totals need sparse solves."""
    return _lattice(5, 5)


def _sdm_params(rho: float = 0.4) -> tuple[pd.Series, pd.DataFrame]:
    names = ["x1", "x2", "W_x1", "W_x2", "rho"]
    params = pd.Series([1.0, -0.5, 0.6, 0.2, rho], index=names)
    rng = np.random.default_rng(3)
    a = rng.normal(size=(5, 5)) * 0.05
    cov = a @ a.T + np.diag([0.01, 0.02, 0.03, 0.02, 0.002])
    return params, pd.DataFrame(cov, index=names, columns=names)


def _dense_effects(wd: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Oracle: [direct x1, direct x2, indirect x1, indirect x2, total x1, total x2] from S_k formed with inv."""
    n = wd.shape[0]
    a = np.linalg.inv(np.eye(n) - p[4] * wd)
    out = []
    for kind in ("direct", "indirect", "total"):
        for b, t in ((p[0], p[2]), (p[1], p[3])):
            s = a @ (b * np.eye(n) + t * wd)
            d, tot = np.trace(s) / n, s.sum() / n
            out.append({"direct": d, "indirect": tot - d, "total": tot}[kind])
    return np.array(out)


def _flat(res: EffectsResult, col: str = "estimate") -> np.ndarray:
    return np.concatenate([res.direct[col].to_numpy(), res.indirect[col].to_numpy(), res.total[col].to_numpy()])


# ------------------------------------------------------------- trace moments
@pytest.mark.parametrize("wname", ["w_rs", "w_knn", "w_binary"])
def test_exact_trace_moments_match_dense_inverse(wname, request):
    w = request.getfixturevalue(wname)
    wd = w.toarray()
    n = w.n
    lo, hi = w.rho_bounds
    for rho in (0.8 * lo, -0.1, 0.0, 0.3, 0.9 * hi):
        a = np.linalg.inv(np.eye(n) - rho * wd)
        got = exact_trace_moments(w.eigenvalues, rho)[0]
        want = [np.trace(a) / n, np.trace(wd @ a) / n, np.trace(a @ wd @ a) / n, np.trace(wd @ a @ wd @ a) / n]
        # two exact forms (eigenvalue sums vs dense inverse, cond(I - rho W) <= 10): sums over eigenvalues
        # stay accurate even for the defective kNN W (a cluster's sum is well conditioned); 2e-13 observed
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_knn_weights_have_complex_eigenvalues(w_knn):
    # guards that the complex branch of exact_trace_moments is really exercised
    assert np.iscomplexobj(w_knn.eigenvalues)


def test_series_moments_with_exact_powers_equal_exact_moments(w_rs):
    wd = w_rs.toarray()
    tp = [np.trace(np.linalg.matrix_power(wd, j)) for j in range(0, 202)]
    rho = np.array([-0.5, 0.2, 0.6])
    # series cut after 200 powers (0.6^200 ~ 1e-44); rounding of 200 matrix-power traces (~ j n eps each)
    # and of the sum -> ~1e-12
    np.testing.assert_allclose(series_trace_moments(tp, rho), exact_trace_moments(w_rs.eigenvalues, rho), rtol=1e-9, atol=1e-12)


def test_stochastic_trace_powers_close_to_exact():
    w = _lattice(20, 20).row_standardize()
    wd = w.toarray()
    est = stochastic_trace_powers(w.sparse, 10, n_vectors=500, seed=1)
    exact = np.array([np.trace(np.linalg.matrix_power(wd, j)) for j in range(12)])
    np.testing.assert_allclose(est[:3], exact[:3], rtol=1e-12)  # j = 0, 1, 2 are exact by construction
    # Hutchinson error with 500 Rademacher vectors: sd(tr W^j)/N ~ sqrt(2/(500 N)) ~ 3e-3 per unit
    np.testing.assert_allclose(est / w.n, exact / w.n, atol=0.01)
    # the average direct effect is dominated by j <= 2: stochastic and exact agree to 1e-3 relative
    params, cov = _sdm_params(0.5)
    ex = effects_from_estimates(params, cov, w, "sdm", draws=0, traces="exact")
    st = effects_from_estimates(params, cov, w, "sdm", draws=0, traces="stochastic")
    np.testing.assert_allclose(_flat(st), _flat(ex), rtol=1e-3)
    np.testing.assert_allclose(_flat(st, "se"), _flat(ex, "se"), rtol=1e-2)  # derivatives of the same traces: 3x
    assert st.traces == "stochastic" and ex.traces == "exact"


def test_stochastic_traces_are_seeded():
    w = _lattice(8, 8).row_standardize().sparse
    a = stochastic_trace_powers(w, 20, seed=4)
    b = stochastic_trace_powers(w, 20, seed=4)
    c = stochastic_trace_powers(w, 20, seed=5)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


# ------------------------------------------------------------ point estimates
@pytest.mark.parametrize("wname", ["w_rs", "w_knn", "w_binary"])
@pytest.mark.parametrize("traces", ["exact", "stochastic"])
def test_sdm_effects_equal_dense_oracle(wname, traces, request):
    w = request.getfixturevalue(wname)
    rho = 0.4 if wname != "w_binary" else 0.2  # binary lattice: rho < 1/lambda_max ~ 0.27
    params, cov = _sdm_params(rho)
    res = effects_from_estimates(params, cov, w, "sdm", draws=0, traces=traces, n_vectors=2000)
    want = _dense_effects(w.toarray(), params.to_numpy())
    if traces == "exact":  # two exact forms (eigenvalue moments vs dense inverse), see above
        np.testing.assert_allclose(_flat(res), want, rtol=1e-10, atol=1e-12)
    else:  # Hutchinson traces on a 25-40 unit W with 2000 vectors
        # sd(tr W^j)/N ~ sqrt(2/(2000 N)) <= 6e-3 for j >= 3 (j <= 2 exact), weighted by rho^j:
        # sd ~ 1e-3 on the effects; 5e-3 + 2 % is > 5 sd
        np.testing.assert_allclose(_flat(res), want, rtol=2e-2, atol=5e-3)
        # totals do not depend on the stochastic traces (closed form or exact moments): exact forms
        np.testing.assert_allclose(res.total["estimate"], want[4:], rtol=1e-10)


def test_sar_effects_equal_dense_oracle(w_knn):
    params = pd.Series({"x1": 2.0, "x2": -1.0, "rho": 0.55})
    cov = pd.DataFrame(np.diag([0.04, 0.01, 0.003]), index=params.index, columns=params.index)
    res = effects_from_estimates(params, cov, w_knn, "sar", draws=0)
    n = w_knn.n
    a = np.linalg.inv(np.eye(n) - 0.55 * w_knn.toarray())
    for name, b in (("x1", 2.0), ("x2", -1.0)):  # exact forms: eigenvalue sums vs dense inverse
        assert res.direct.loc[name, "estimate"] == pytest.approx(b * np.trace(a) / n, rel=1e-10)
        assert res.total.loc[name, "estimate"] == pytest.approx(b * a.sum() / n, rel=1e-10)
    # row-standardised W: total = beta / (1 - rho) (closed form)
    assert res.total.loc["x1", "estimate"] == pytest.approx(2.0 / 0.45, rel=1e-12)  # rounding only


def test_const_is_not_an_effect(w_rs):
    params, cov = _sdm_params()
    params = pd.concat([pd.Series({"const": 3.0}), params])
    cov = cov.reindex(index=params.index, columns=params.index, fill_value=0.0)
    cov.loc["const", "const"] = 0.5
    res = effects_from_estimates(params, cov, w_rs, "sdm", draws=0)
    assert res.variables == ("x1", "x2")


def test_sdm_with_some_lagged_regressors(w_rs):
    names = ["x1", "x2", "W_x1", "rho"]
    params = pd.Series([1.0, -0.5, 0.6, 0.3], index=names)
    cov = pd.DataFrame(np.diag([0.01, 0.01, 0.02, 0.001]), index=names, columns=names)
    res = effects_from_estimates(params, cov, w_rs, "sdm", draws=0)
    full = _dense_effects(w_rs.toarray(), np.array([1.0, -0.5, 0.6, 0.0, 0.3]))
    np.testing.assert_allclose(_flat(res), full, rtol=1e-10)  # exact forms, as above


# ------------------------------------------------------------------- inference
def _numeric_delta_se(w: SpatialWeights, params: pd.Series, cov: pd.DataFrame) -> np.ndarray:
    p0 = params.to_numpy()
    wd = w.toarray()
    jac = np.empty((6, 5))
    for i in range(5):
        h = 1e-6 * max(1.0, abs(p0[i]))
        e = np.zeros(5)
        e[i] = h
        jac[:, i] = (_dense_effects(wd, p0 + e) - _dense_effects(wd, p0 - e)) / (2 * h)
    v = cov.to_numpy()
    return np.sqrt(np.einsum("ij,jk,ik->i", jac, v, jac))


@pytest.mark.parametrize("wname", ["w_rs", "w_knn", "w_binary"])
def test_delta_se_equal_numerical_jacobian(wname, request):
    w = request.getfixturevalue(wname)
    params, cov = _sdm_params(0.4 if wname != "w_binary" else 0.2)
    res = effects_from_estimates(params, cov, w, "sdm", draws=0)
    assert res.method == "delta"
    # central differences, h = 1e-6: truncation h^2 ~ 1e-12; rounding (the dense oracle is good to
    # ~n eps = 1e-14) / h ~ 1e-8 -> 1e-6
    np.testing.assert_allclose(_flat(res, "se"), _numeric_delta_se(w, params, cov), rtol=1e-6)
    d = res.direct
    # identities between the columns: one division, one norm.sf -> rounding only
    np.testing.assert_allclose(d["z"], d["estimate"] / d["se"], rtol=1e-12)
    from scipy import stats

    np.testing.assert_allclose(d["p"], 2 * stats.norm.sf(np.abs(d["z"])), rtol=1e-12)
    # (estimate + q se) - estimate cancels ~eps |estimate| / (q se) <= 1e-14 here
    np.testing.assert_allclose(d["ci_upper"] - d["estimate"], stats.norm.isf(0.025) * d["se"], rtol=1e-10)


def test_simulation_se_agree_with_delta_within_monte_carlo_error(w_rs):
    params, cov = _sdm_params(0.4)
    cov = cov * 0.1  # sd(rho) ~ 0.02, as in the study: the effects are then close to linear in rho
    delta = effects_from_estimates(params, cov, w_rs, "sdm", draws=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimationWarning)  # near-normal draws: not flagged as heavy-tailed
        sim = effects_from_estimates(params, cov, w_rs, "sdm", draws=4000, seed=11)
    assert sim.method == "simulation" and sim.draws == 4000
    # sd of a sd estimate from 4000 draws ~ 1/sqrt(2*4000) ~ 1.1 %; 5 % covers MC error plus
    # the remaining non-linearity in rho
    np.testing.assert_allclose(_flat(sim, "se"), _flat(delta, "se"), rtol=0.05)
    # point estimates are the effects at the estimates, not the simulation means
    np.testing.assert_allclose(_flat(sim), _flat(delta), rtol=1e-12)  # the same closed form
    # mean of 4000 draws: MC error se/63 (se/estimate < 0.3 -> 0.5 %) plus the curvature bias
    # f'' var(rho) / 2 of the non-linear effects -> 2 %
    np.testing.assert_allclose(sim.direct["sim_mean"], delta.direct["estimate"], rtol=0.02)
    # percentile interval brackets the estimate and is about +-1.96 se wide
    d = sim.direct
    assert np.all(d["ci_lower"] < d["estimate"]) and np.all(d["estimate"] < d["ci_upper"])
    # a 2.5 % quantile of 4000 draws has sd sqrt(.025 .975 / 4000) / phi(1.96) = 0.04 se: the width's
    # relative sd is ~1.5 %; 8 % is > 5 sd (the draws are close to normal, see the delta SEs)
    np.testing.assert_allclose((d["ci_upper"] - d["ci_lower"]) / (2 * 1.96 * d["se"]), 1.0, rtol=0.08)


def test_simulation_is_seeded(w_rs):
    params, cov = _sdm_params()
    a = effects_from_estimates(params, cov, w_rs, "sdm", draws=200, seed=1)
    b = effects_from_estimates(params, cov, w_rs, "sdm", draws=200, seed=1)
    c = effects_from_estimates(params, cov, w_rs, "sdm", draws=200, seed=2)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert not np.allclose(_flat(a, "se"), _flat(c, "se"))  # 200 draws: seeds differ by ~5 %, >> 1e-5


def test_simulation_redraws_rho_outside_bounds(w_rs):
    # rho close to 1 with a large variance: many raw draws exceed 1; all kept draws are finite
    names = ["x1", "rho"]
    params = pd.Series([1.0, 0.95], index=names)
    cov = pd.DataFrame(np.diag([0.01, 0.03**2]), index=names, columns=names)
    # the effects 1/(1 - rho) of draws near 1 have a long tail: flagged (sd 6-8 x the interquartile scale)
    with pytest.warns(EstimationWarning, match=r"heavy-tailed draws for direct x1 \(sd [\d.]+ x .*total x1"):
        res = effects_from_estimates(params, cov, w_rs, "sar", draws=500, seed=0)
    assert len(res.warnings) == 1 and res.summary().endswith(res.warnings[0])
    assert np.all(np.isfinite(_flat(res, "se")))
    assert res.total.loc["x1", "ci_upper"] < np.inf


def test_linear_models_closed_form(w_binary, w_rs):
    names = ["x1", "W_x1", "lambda"]
    params = pd.Series([0.7, 0.3, 0.2], index=names)
    cov = pd.DataFrame([[0.04, 0.01, 0.0], [0.01, 0.09, 0.0], [0.0, 0.0, 0.01]], index=names, columns=names)
    for w in (w_rs, w_binary):
        c = w.sparse.sum() / w.n  # 1'W1/N (1 for row-standardised W)
        res = effects_from_estimates(params, cov, w, "sdem", draws=1000)
        assert res.method == "linear"
        # closed forms linear in the estimates (c: a sum of <= 100 weights): rounding ~1e-15
        assert res.direct.loc["x1", "estimate"] == pytest.approx(0.7, rel=1e-12)
        assert res.direct.loc["x1", "se"] == pytest.approx(0.2, rel=1e-12)
        assert res.indirect.loc["x1", "estimate"] == pytest.approx(0.3 * c, rel=1e-12)
        assert res.indirect.loc["x1", "se"] == pytest.approx(0.3 * c, rel=1e-12)
        assert res.total.loc["x1", "estimate"] == pytest.approx(0.7 + 0.3 * c, rel=1e-12)
        assert res.total.loc["x1", "se"] == pytest.approx(np.sqrt(0.04 + 2 * c * 0.01 + c * c * 0.09), rel=1e-12)
    slx = effects_from_estimates(params.drop("lambda"), cov.drop(index="lambda", columns="lambda"), w_rs, "slx")
    assert slx.indirect.loc["x1", "estimate"] == pytest.approx(0.3, rel=1e-12)


def test_sem_has_no_indirect_effect(w_rs):
    names = ["x1", "lambda"]
    params = pd.Series([0.7, 0.4], index=names)
    cov = pd.DataFrame(np.diag([0.04, 0.01]), index=names, columns=names)
    res = effects_from_estimates(params, cov, w_rs, "sem")
    assert res.direct.loc["x1", "estimate"] == 0.7 == res.total.loc["x1", "estimate"]
    assert res.indirect.loc["x1", "estimate"] == 0.0
    assert "no indirect" in res.note


def test_sar_matches_spreg_ml_lag_impacts():
    import libpysal
    from spreg import ML_Lag

    with closing(libpysal.io.open(libpysal.examples.get_path("columbus.dbf"))) as db:
        y = np.array(db.by_col("HOVAL"))[:, None]
        x = np.array([db.by_col("INC"), db.by_col("CRIME")]).T
    wl = libpysal.weights.Rook.from_shapefile(libpysal.examples.get_path("columbus.shp"))
    wl.transform = "r"
    # spreg 1.9 ML_Lag, spat_impacts="full": adi from the diagonal of a dense inverse
    reg = ML_Lag(y, x, w=wl, spat_impacts="full", name_x=["INC", "CRIME"])
    names = ["const", "INC", "CRIME", "rho"]
    params = pd.Series(reg.betas.ravel(), index=names)
    cov = pd.DataFrame(reg.vm, index=names, columns=names)
    w = SpatialWeights.from_libpysal(wl)
    res = effects_from_estimates(params, cov, w, "sar", draws=0)
    adi, aii, ati = reg.sp_multipliers["full"]  # spreg 1.9: (direct, indirect, total) multipliers
    for i, name in enumerate(["INC", "CRIME"]):
        b = reg.betas[i + 1, 0]
        # two exact forms at the same estimates (spreg: dense inverse; ours: eigenvalues) -> 1e-10
        assert res.direct.loc[name, "estimate"] == pytest.approx(adi * b, rel=1e-10)
        assert res.total.loc[name, "estimate"] == pytest.approx(ati * b, rel=1e-10)
        assert res.indirect.loc[name, "estimate"] == pytest.approx(aii * b, rel=1e-10)
    # spreg's printed impacts table (same run), 4 decimals: half a unit of the 4th
    # INC 0.5713 / 0.1607 / 0.7320
    assert res.direct.loc["INC", "estimate"] == pytest.approx(0.5713, abs=5e-5)
    assert res.indirect.loc["INC", "estimate"] == pytest.approx(0.1607, abs=5e-5)


def test_sar_fit_effects_match_spreg_end_to_end():
    """spillmap's own SAR fit + effects vs spreg 1.9 ML_Lag(spat_impacts="full") on Columbus."""
    import libpysal
    from spreg import ML_Lag

    from spillmap.estimation.model import SpatialPanel

    with closing(libpysal.io.open(libpysal.examples.get_path("columbus.dbf"))) as db:
        df = pd.DataFrame({"id": [str(i) for i in db.by_col("POLYID")], "HOVAL": db.by_col("HOVAL"),
                           "INC": db.by_col("INC"), "CRIME": db.by_col("CRIME")})
    wl = libpysal.weights.Rook.from_shapefile(libpysal.examples.get_path("columbus.shp"), idVariable="POLYID")
    wl.transform = "r"
    reg = ML_Lag(df[["HOVAL"]].to_numpy(), df[["INC", "CRIME"]].to_numpy(), w=wl, spat_impacts="full")
    w = SpatialWeights.from_libpysal(wl)
    res = SpatialPanel(df, y="HOVAL", x=["INC", "CRIME"], id="id", time=None, w=w, model="sar", fe="none").fit()
    eff = compute_effects(res, draws=0)
    adi, aii, ati = reg.sp_multipliers["full"]  # spreg: (direct, indirect, total) multipliers at its estimates
    b = reg.betas[1:3, 0]
    # spreg's rho (default epsilon = xatol 1e-7 of its bounded search) is good to ~1e-7; the effects
    # move by |d log effect / d rho| (< 5 here) times that -> <= 5e-7 relative; 1e-6
    np.testing.assert_allclose(eff.direct["estimate"], adi * b, rtol=1e-6)
    np.testing.assert_allclose(eff.indirect["estimate"], aii * b, rtol=1e-6)
    np.testing.assert_allclose(eff.total["estimate"], ati * b, rtol=1e-6)


# -------------------------------------------------------------- results object
def test_results_object_outputs(w_rs):
    params, cov = _sdm_params()
    res = effects_from_estimates(params, cov, w_rs, "sdm", draws=200)
    long = res.to_frame()
    assert long.shape == (6, 8) and long.index.names == ["effect", "variable"]
    assert list(long.columns[-2:]) == ["sim_mean", "heavy_tailed"] and long["heavy_tailed"].dtype == bool
    wide = res.to_frame("wide")
    assert wide.loc["x1", ("indirect", "estimate")] == res.indirect.loc["x1", "estimate"]
    d = res.to_dict()
    assert set(d) == {"direct", "indirect", "total"}
    assert set(d["total"]["x2"]) == {"estimate", "se", "z", "p"}
    json.dumps(d)
    text = res.summary()
    assert "indirect" in text and "x2" in text and "200 draws" in text
    assert "<table>" in res._repr_html_()
    # immutable: frames are copies, attributes frozen
    frame = res.direct
    frame.loc["x1", "estimate"] = 99.0
    assert res.direct.loc["x1", "estimate"] != 99.0
    with pytest.raises(AttributeError):
        res.model = "sar"


def test_to_frame_bad_layout_and_sem_json(w_rs):
    params, cov = _sdm_params()
    res = effects_from_estimates(params, cov, w_rs, "sdm", draws=0)
    with pytest.raises(InputError, match="layout must be one of"):
        res.to_frame("tall")
    names = ["x1", "lambda"]
    sem = effects_from_estimates(
        pd.Series([0.7, 0.4], index=names), pd.DataFrame(np.diag([0.04, 0.01]), index=names, columns=names), w_rs, "sem"
    )
    d = json.loads(json.dumps(sem.to_dict(), allow_nan=False))  # NaN z/p of the zero indirect effect -> null
    assert d["indirect"]["x1"] == {"estimate": 0.0, "se": 0.0, "z": None, "p": None}


def test_html_escapes_variable_names(w_rs):
    names = ["<b>x</b>", "rho"]
    params = pd.Series([1.0, 0.3], index=names)
    cov = pd.DataFrame(np.diag([0.01, 0.001]), index=names, columns=names)
    html = effects_from_estimates(params, cov, w_rs, "sar", draws=0)._repr_html_()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_compute_effects_uses_results_attributes(w_rs):
    params, cov = _sdm_params()
    fake = SimpleNamespace(model="sdm", params=params, cov=cov, w=w_rs)
    a = compute_effects(fake, draws=0)
    b = effects_from_estimates(params, cov, w_rs, "sdm", draws=0)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    # an extra (e.g. random-effects variance) parameter is ignored when x_names are known
    p2 = pd.concat([params, pd.Series({"phi": 0.5})])
    c2 = cov.reindex(index=p2.index, columns=p2.index, fill_value=0.0)
    c2.loc["phi", "phi"] = 0.01
    fake2 = SimpleNamespace(model="sdm", params=p2, cov=c2, w=w_rs, x_names=("x1", "x2"))
    pd.testing.assert_frame_equal(compute_effects(fake2, draws=0).to_frame(), b.to_frame())


# ------------------------------------------------------------------ bad input
def test_bad_options_raise(w_rs):
    params, cov = _sdm_params()
    with pytest.raises(InputError, match="method must be one of"):
        effects_from_estimates(params, cov, w_rs, "sdm", method="bootstrap")
    with pytest.raises(InputError, match="traces must be one of"):
        effects_from_estimates(params, cov, w_rs, "sdm", traces="fast")
    with pytest.raises(InputError, match="too few"):
        effects_from_estimates(params, cov, w_rs, "sdm", draws=10)
    with pytest.raises(InputError, match="level"):
        effects_from_estimates(params, cov, w_rs, "sdm", level=95)
    with pytest.raises(InputError, match="model must be one of"):
        effects_from_estimates(params, cov, w_rs, "sac")


def test_rho_outside_bounds_raises(w_rs):
    params, cov = _sdm_params(1.2)
    with pytest.raises(EstimationError, match="stationarity"):
        effects_from_estimates(params, cov, w_rs, "sdm", draws=0)


def test_missing_covariance_entries_raise(w_rs):
    params, cov = _sdm_params()
    with pytest.raises(EstimationError, match="W_x2"):
        effects_from_estimates(params, cov.drop(index="W_x2", columns="W_x2"), w_rs, "sdm")


def test_orphan_lag_raises(w_rs):
    names = ["x1", "W_x9", "rho"]
    params = pd.Series([1.0, 0.1, 0.2], index=names)
    cov = pd.DataFrame(np.eye(3) * 0.01, index=names, columns=names)
    with pytest.raises(EstimationError, match="W_x9"):
        effects_from_estimates(params, cov, w_rs, "sdm")


# ----------------------------------------------------------- per-unit effects
@pytest.mark.parametrize("wname", ["w_knn", "w_binary"])
def test_unit_effects_equal_dense_oracle(wname, request):
    w = request.getfixturevalue(wname)
    params, cov = _sdm_params(0.2)
    fake = SimpleNamespace(model="sdm", params=params, cov=cov, w=w)
    ue = unit_effects(fake, "x1")
    n = w.n
    wd = w.toarray()
    s = np.linalg.inv(np.eye(n) - 0.2 * wd) @ (1.0 * np.eye(n) + 0.6 * wd)
    # two exact forms (sparse solves vs dense inverse, cond(I - 0.2 W) < 2): rounding ~1e-15;
    # the indirect column is a difference (cancellation): atol
    np.testing.assert_allclose(ue["direct"], np.diag(s), rtol=1e-10)
    np.testing.assert_allclose(ue["total_received"], s.sum(axis=1), rtol=1e-10)
    np.testing.assert_allclose(ue["total_emitted"], s.sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(ue["indirect_received"], s.sum(axis=1) - np.diag(s), rtol=1e-9, atol=1e-12)
    assert list(ue.index) == list(w.ids)
    avg = effects_from_estimates(params, cov, w, "sdm", draws=0)
    # averages of the same exact forms, and the same S by another route: rounding ~1e-15
    assert ue["direct"].mean() == pytest.approx(avg.direct.loc["x1", "estimate"], rel=1e-10)
    assert ue["total_emitted"].mean() == pytest.approx(avg.total.loc["x1", "estimate"], rel=1e-10)
    col = unit_response(fake, "x1", w.ids[3])
    np.testing.assert_allclose(col.to_numpy(), s[:, 3], rtol=1e-10)
    np.testing.assert_allclose(effects_matrix(w.sparse, 0.2, 1.0, 0.6), s, rtol=1e-10)


def test_unit_effects_stochastic_diagonal(monkeypatch, w_rs):
    import spillmap.estimation._unit_effects as ue_mod

    params, cov = _sdm_params(0.4)
    fake = SimpleNamespace(model="sdm", params=params, cov=cov, w=w_rs)
    exact = unit_effects(fake, "x1")
    monkeypatch.setattr(ue_mod, "EXACT_TRACE_MAX_N", 10)  # the binding unit_effects reads (not effects')
    approx = unit_effects(fake, "x1", n_vectors=4000)
    assert not np.array_equal(approx["direct"], exact["direct"])  # the stochastic diagonal did run
    # Rademacher diagonal estimator: error ~ ||offdiag row of S|| / sqrt(4000) <= 0.81 / 63 = 0.013;
    # 0.06 is 4.5 sd for the worst of the 30 units (x1: for x2, theta = -rho beta makes S = beta I)
    np.testing.assert_allclose(approx["direct"], exact["direct"], atol=0.06)
    np.testing.assert_allclose(approx["total_received"], exact["total_received"], rtol=1e-10)  # exact solves


def test_unit_effects_slx(w_rs):
    names = ["x1", "W_x1"]
    fake = SimpleNamespace(model="slx", params=pd.Series([0.7, 0.3], index=names), cov=None, w=w_rs)
    ue = unit_effects(fake, "x1")
    # closed forms (sums of <= 4 weights): rounding only
    np.testing.assert_allclose(ue["direct"], 0.7, rtol=1e-12)
    np.testing.assert_allclose(ue["total_received"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(ue["total_emitted"], 0.7 + 0.3 * w_rs.sparse.sum(axis=0).A1, rtol=1e-12)


def test_unit_effects_bad_input(w_rs):
    params, cov = _sdm_params()
    fake = SimpleNamespace(model="sdm", params=params, cov=cov, w=w_rs)
    with pytest.raises(InputError, match="'rho' is not a regressor"):
        unit_effects(fake, "rho")
    with pytest.raises(InputError, match="'zz' is not a regressor"):
        unit_effects(fake, "zz")
    with pytest.raises(InputError, match="'nowhere'"):
        unit_response(fake, "x1", "nowhere")


def test_heavy_tail_flag_follows_the_draws_not_the_seed():
    """``simulated_tables`` flags an effect when its draws' sd exceeds HEAVY_TAIL_RATIO times their
    interquartile scale: normal draws (ratio 1, sampling sd of the ratio ~3 % at 2,000 draws) never,
    Cauchy draws (infinite sd) always; the tables equal the plain sd / percentile definitions."""
    from spillmap.estimation._effects_params import simulated_tables

    rng = np.random.default_rng(5)
    normal = np.vstack([[0.0, 0.0], rng.normal(size=(2000, 2))])
    cauchy = np.vstack([[0.0, 0.0], rng.standard_cauchy(size=(2000, 2))])
    tables, heavy = simulated_tables((("direct", normal), ("total", cauchy)), ["a", "b"], 0.95)
    assert [h.split(" (")[0] for h in heavy] == ["total a", "total b"]
    # the same numpy reductions on the same draws (the helper calls std / quantile): rounding only, 1e-12
    np.testing.assert_allclose(tables["direct"]["se"], normal[1:].std(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(tables["total"]["ci_upper"], np.quantile(cauchy[1:], 0.975, axis=0), rtol=1e-12)


def test_sdm_effects_equal_spatialreg_impacts(produc_logs, us48_queen):
    """The SDM's average effects on the 1970 cross-section of Produc against R spatialreg 1.2-6's
    ``impacts(lagsarlm(..., type = "mixed"))`` (exact traces; R 4.2.2, run 2026-12-01,
    tests/r_reference/spatialreg_sdm_impacts.R): rows lpcap, lpc, lemp, unemp.  The two rho
    estimates differ by 6e-10 (the optimisers' tolerances), which moves the effects by < 1e-8: 1e-7."""
    from spillmap.estimation import SpatialPanel

    ref = {"direct": [0.274502210507, 0.458640775646, 0.364878622248, -0.00828537095724],
           "indirect": [0.0919752894835, -0.342235883502, 0.213865090629, 0.0345976626028],
           "total": [0.366477499991, 0.116404892144, 0.578743712877, 0.0263122916456]}
    cs = produc_logs[produc_logs.year == 1970]
    res = SpatialPanel(cs, y="lgsp", x=["lpcap", "lpc", "lemp", "unemp"], id="state_abbr", w=us48_queen,
                       model="sdm", fe="none").fit()
    assert res.rho == pytest.approx(0.457261692986, abs=1e-8)
    eff = res.impacts(draws=0, method="delta")
    for kind, values in ref.items():
        # rho 6e-10 apart moves the effects < 1e-8 (docstring); atol 1e-9 only guards entries near zero
        np.testing.assert_allclose(getattr(eff, kind)["estimate"].to_numpy(), values, rtol=1e-7, atol=1e-9)
