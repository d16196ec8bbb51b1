"""Random-effects SpatialPanel fits on Produc (48 states x 17 years, us48 queen W):
against spreg 1.9 ``Panel_RE_Lag`` (an independent port of Elhorst's ``sar_panel_RE.m``)
and a dense NT x NT likelihood; the assembled SpatialPanelResults."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from spillmap.errors import InputError
from spillmap.estimation import SpatialPanel
from spillmap.spatial.weights import SpatialWeights

# the dense reference computations here run on one BLAS thread (see conftest.one_blas_thread)
pytestmark = pytest.mark.usefixtures("one_blas_thread")

X = ["lpcap", "lpc", "lemp", "unemp"]


@pytest.fixture(scope="module")
def queen(us48_queen):
    return us48_queen


@pytest.fixture(scope="module")
def panel(produc_logs, queen):
    df = produc_logs.copy()
    pos = {s: i for i, s in enumerate(queen.ids)}
    df["_pos"] = df.state_abbr.map(pos)
    return df.sort_values(["year", "_pos"]).reset_index(drop=True)


def fit(panel, w, model, **kw):
    return SpatialPanel(panel, y="lgsp", x=X, id="state_abbr", time="year", w=w, model=model, re=True).fit(**kw)


def _dense_loglik(kind, y, z, w, theta, t):
    """Exact Gaussian log-likelihood with NT x NT matrices (Cholesky)."""
    n = w.shape[0]
    k = z.shape[1]
    b, par, phi, s2 = theta[:k], theta[k], theta[k + 1], theta[k + 2]
    s2mu = s2 * (1 / phi**2 - 1) / t
    bm = np.eye(n) - par * w
    jt = np.kron(np.ones((t, t)), np.eye(n))
    if kind == "lag":
        v = np.kron(np.eye(t), bm) @ y - z @ b
        cov = s2mu * jt + s2 * np.eye(n * t)
        jac = t * np.linalg.slogdet(bm)[1]
    else:
        v = y - z @ b
        cov = s2mu * jt + s2 * np.kron(np.eye(t), np.linalg.inv(bm.T @ bm))
        jac = 0.0
    c = np.linalg.cholesky(cov)
    u = np.linalg.solve(c, v)
    return jac - 0.5 * (v.size * np.log(2 * np.pi) + 2 * np.sum(np.log(np.diag(c))) + u @ u)


@pytest.mark.parametrize("model", ["sar", "sdm"])
def test_lag_models_vs_spreg_panel_re_lag(model, panel, queen):
    import spreg

    res = fit(panel, queen, model)
    y = panel[["lgsp"]].to_numpy()
    x = panel[X].to_numpy()
    if model == "sdm":
        x = np.column_stack([x, queen.lag_panel(x, 17)])
    w = queen.to_libpysal()
    w.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = spreg.Panel_RE_Lag(y, x, w)  # reference: spreg 1.9 Panel_RE_Lag (constant added first)
    b = ref.betas.ravel()  # [const, x..., (Wx...), rho, phi]
    # spreg alternates bounded searches for phi and rho (xatol 1e-7) until |change of phi| < 1e-7: its
    # estimates sit ~1e-7 / (1 - contraction) from the optimum (4.5e-7 observed) -> atol 2e-6; sigma2
    # first order, the log-likelihood second order in that
    np.testing.assert_allclose(res.params.to_numpy(), b, rtol=0, atol=2e-6)
    assert list(res.params.index[-2:]) == ["rho", "phi"]
    # spreg's logll leaves out the N/2 ln(phi^2) term of Elhorst's likelihood (f2_resar.m)
    phi = float(b[-1])
    assert res.loglik == pytest.approx(float(ref.logll) + queen.n * np.log(phi), abs=1e-4)
    assert res.sigma2 == pytest.approx(float(np.ravel(ref.sig2)[0]), rel=1e-5)


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_produc_is_the_dense_likelihood_maximum(model, panel, queen):
    """loglik equals the dense NT x NT likelihood and its central-difference gradient vanishes."""
    res = fit(panel, queen, model)
    d = res.data
    kind = "lag" if model == "sar" else "error"
    theta = np.concatenate([res.params.to_numpy(), [res.sigma2]])
    w = queen.toarray()

    def f(th):
        return _dense_loglik(kind, d.y, d.Z, w, th, d.t)

    assert res.loglik == pytest.approx(f(theta), rel=1e-11)  # two exact forms: rounding ~1e-14
    h = 1e-5 * np.maximum(np.abs(theta), 1e-2)
    se = np.sqrt(np.diag(res.cov_full.to_numpy()))
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h[i]
        g = (f(theta + e) - f(theta - e)) / (2 * h[i])
        # a score of g moves the estimate by about g * var; require << 1e-4 standard errors
        assert abs(g) * se[i] ** 2 < 1e-4 * se[i], res.cov_full.index[i]


def test_sem_beats_spreg_eigen_shortcut_on_symmetric_w(panel, queen):
    """spreg's Panel_RE_Error (Elhorst's eigenvalue formulas) on a symmetric W stops below the
    maximum; spillmap's estimate has the higher exact (dense) likelihood."""
    import spreg

    b = queen.binary()
    ws = SpatialWeights.from_sparse(b.sparse / np.max(np.linalg.eigvalsh(b.toarray())), b.ids, name="sym")
    res = fit(panel, ws, "sem")
    y = panel[["lgsp"]].to_numpy()
    x = panel[X].to_numpy()
    # spreg sets its estimates before its covariance step, which inverts its 3 x 3 information
    # matrix of (lambda, phi, sigma2).  With some BLAS kernels (OPENBLAS_CORETYPE=Prescott on
    # numpy 1.26) its L-BFGS-B search stops at its start (lambda, phi) = (0, 0.1) and that
    # inverse fails as singular: keep the estimates, which are then further below the maximum
    ref = spreg.Panel_RE_Error.__new__(spreg.Panel_RE_Error)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ref.__init__(y, x, ws.to_libpysal())
        except np.linalg.LinAlgError:
            assert hasattr(ref, "betas") and hasattr(ref, "sig2")
    rb = np.ravel(ref.betas)  # [const, x..., lambda, sigma2_u]
    s2 = float(np.ravel(ref.sig2)[0])
    phi = np.sqrt(s2 / (17 * rb[-1] + s2))
    th_ref = np.concatenate([rb[:-1], [phi, s2]])
    d = res.data
    w = ws.toarray()
    mine = _dense_loglik("error", d.y, d.Z, w, np.concatenate([res.params.to_numpy(), [res.sigma2]]), 17)
    theirs = _dense_loglik("error", d.y, d.Z, w, th_ref, 17)
    assert mine == pytest.approx(res.loglik, rel=1e-11)  # two exact forms: rounding ~1e-14
    assert mine > theirs + 1.0


def test_results_object(panel, queen):
    res = fit(panel, queen, "sdm")
    assert res.effects == "random" and res.model == "sdm"
    assert list(res.params.index) == ["const", *X, *(f"W_{c}" for c in X), "rho", "phi"]
    assert list(res.cov_full.index) == [*res.params.index, "sigma2"]
    assert res.nobs == 48 * 17
    phi = res.params["phi"]
    assert res.extra["sigma2_mu"] == pytest.approx(res.sigma2 * (1 / phi**2 - 1) / 17, rel=1e-12)  # same closed form
    assert res.extra["sigma2_mu_se"] > 0
    assert "phi" in res.summary() and "random effects" in res.summary()
    with pytest.raises(AttributeError):
        res.sigma2 = 1.0  # type: ignore[misc]
    # the effects layer works on the RE fit: LeSage-Pace direct/indirect, dense oracle
    eff = res.impacts(draws=0)
    assert eff.variables == tuple(X)
    rho, w = res.params["rho"], queen.toarray()
    s_lemp = np.linalg.inv(np.eye(48) - rho * w) @ (res.params["lemp"] * np.eye(48) + res.params["W_lemp"] * w)
    # two exact forms (eigenvalue traces vs dense inverse): rounding ~1e-14
    assert eff.direct.loc["lemp", "estimate"] == pytest.approx(np.trace(s_lemp) / 48, rel=1e-10)
    assert eff.total.loc["lemp", "estimate"] == pytest.approx(s_lemp.sum() / 48, rel=1e-10)


@pytest.mark.parametrize("model", ["slx", "sdem"])
def test_unsupported_models(model, panel, queen):
    with pytest.raises(InputError, match="random effects are implemented for the models sar, sdm, sem"):
        fit(panel, queen, model)


def test_phi_gets_no_z_test_and_no_stars(panel, queen):
    """API audit 29 #4: phi printed as 0.052*** (a test of phi = 0, an infinite unit-effect variance,
    which nobody asks); its estimate, SE and interval stay, its z, p and stars go."""
    from spillmap.tables import regression_table, to_markdown

    res = fit(panel, queen, "sar")
    assert np.isnan(res.tvalues["phi"]) and np.isnan(res.pvalues["phi"])
    assert np.isfinite(res.tvalues["rho"]) and res.to_frame().loc["phi", "std_error"] > 0
    row = next(line for line in res.summary().splitlines() if line.startswith("phi"))
    assert "nan" not in row and len(row.split()) == 5  # name, coef, se, interval
    text = to_markdown(regression_table([res]))
    assert "*" not in next(line for line in text.splitlines() if "φ" in line)


def test_fixed_effects_options_are_refused_not_ignored(panel, queen):
    """API audit 29 #3: fit(cov_type="information") returned Hessian SEs and fit(lee_yu=...) was
    dropped without a word; such options are refused by name, the defaults and "hessian" / "none" kept."""
    spec = SpatialPanel(panel, y="lgsp", x=X, id="state_abbr", time="year", w=queen, model="sar", re=True)
    with pytest.raises(InputError, match="lee_yu='bias-correction' treats fixed unit effects"):
        spec.fit(lee_yu="bias-correction")
    with pytest.raises(InputError, match="observed information"):
        spec.fit(cov_type="information")
    with pytest.raises(InputError, match="logdet_method and trace_probes apply to fixed-effects fits"):
        spec.fit(logdet_method="lu")
    a, b = spec.fit(), spec.fit(cov_type="hessian", lee_yu="none")
    assert a.cov_type == b.cov_type == "hessian" and a.lee_yu == "none"
    np.testing.assert_array_equal(a.std_errors.to_numpy(), b.std_errors.to_numpy())  # the same computation


def test_cross_section_refused(panel, queen):
    one = panel[panel.year == 1970]
    with pytest.raises(InputError, match="T >= 2"):
        SpatialPanel(one, y="lgsp", x=X, id="state_abbr", time="year", w=queen, model="sar", re=True).fit()


@pytest.mark.parametrize("model", ["sdm", "sem"])
def test_time_effects_absorb_period_shifts(model, panel, queen):
    """With time-period effects the estimates do not move when every period's y is shifted by
    its own constant (row-standardised W maps c_t 1 to c_t 1); without them they do."""
    from spillmap.estimation.random_effects import fit_random

    shifted = panel.copy()
    shift = {yr: 0.3 * np.sin(yr) + 0.01 * (yr - 1970) for yr in range(1970, 1987)}
    shifted["lgsp"] = shifted["lgsp"] + shifted["year"].map(shift)

    def spec(df):
        return SpatialPanel(df, y="lgsp", x=X, id="state_abbr", time="year", w=queen, model=model, re=True)

    a = fit_random(spec(panel), time_effects=True)
    b = fit_random(spec(shifted), time_effects=True)
    assert a.extra["time_effects"] is True
    assert list(a.params.index) == list(fit(panel, queen, model).params.index)
    # two fits of data that differ by the (absorbed) shifts: nested bounded Brent searches stop within
    # ~4 sqrt(eps)|x| (6e-8 relative; the Newton polish tightens the eigenvalue route), beta first order
    # -> rtol 1e-6 (3e-8 observed); loglik second order
    np.testing.assert_allclose(b.params.drop("const"), a.params.drop("const"), rtol=1e-6, atol=1e-8)
    assert b.sigma2 == pytest.approx(a.sigma2, rel=1e-6)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-9)
    # SEM's covariance is a central-difference Hessian inverted: ~1e-5 of the entries (up to 7e-5 of a
    # near-zero covariance): rtol 1e-4 plus atol 1e-5 of the largest entry for those
    ca, cb = (r.cov_full.drop(index="const", columns="const") for r in (a, b))
    np.testing.assert_allclose(cb, ca, rtol=1e-4, atol=1e-5 * np.abs(ca.to_numpy()).max())
    c = fit(shifted, queen, model)  # no time effects: the shift changes the fit
    assert abs(c.loglik - fit(panel, queen, model).loglik) > 1.0


def test_time_effects_marginal_covariance(panel, queen):
    """params/cov_full of the time-effects fit are the non-dummy entries of the full fit on
    [Z, period dummies] (array level)."""
    from spillmap.estimation import random_effects as remod

    spec = SpatialPanel(panel, y="lgsp", x=X, id="state_abbr", time="year", w=queen, model="sar", re=True)
    res = remod.fit_random(spec, time_effects=True)
    d = spec.data
    dummies = np.kron(np.eye(17)[:, 1:], np.ones((48, 1)))  # periods 2..T, time-major
    full = remod.fit_sar_re_arrays(d.y, d.Wy, np.column_stack([d.Z, dummies]), queen.eigenvalues, 48, 17,
                                   rho_bounds=res.extra["bounds"])
    k = d.Z.shape[1]
    keep = np.r_[0:k, k + 16 : full.theta.size]
    # fit_random(time_effects=True) runs this very computation: identical up to rounding
    # (the dummies are built differently, so the BLAS may sum in another order)
    np.testing.assert_allclose(res.params.to_numpy(), full.theta[keep][:-1], rtol=1e-12)
    # the covariance is the inverse of a Hessian whose condition number is ~2e7 on this panel: a
    # rounding difference of eps in the Hessian moves the inverse by up to cond * eps ~ 4e-9 of its
    # largest entry (measured: 2.4e-13 on numpy 1.26, 0 on numpy 2.x); tiny entries have no
    # relative accuracy, hence a tolerance scaled to the matrix
    c = res.cov_full.to_numpy()
    np.testing.assert_allclose(c, full.cov_full[np.ix_(keep, keep)], rtol=0, atol=1e-8 * np.abs(c).max())
