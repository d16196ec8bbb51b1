"""SAC / SARAR panel (spillmap.estimation.sac).

Oracles: the SAR model (lambda = 0 is SAR exactly), a dense transcription of the
SARAR within log-likelihood (explicit I_T kron A and I_T kron B, numpy slogdet), and
simulated data with known parameters.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap.errors import InputError
from spillmap.estimation import SpatialPanel
from spillmap.estimation import _ml
from spillmap.estimation._logdet import LogDet
from spillmap.estimation._transform import effective_counts
from spillmap.estimation.sac import fit_sac, sac_concentrated, sac_gram, sac_loglik
from spillmap.spatial.weights import SpatialWeights

X = ["lpcap", "lpc", "lemp", "unemp"]


def _spec(df, w, model, effects):
    return SpatialPanel(df, y="lgsp", x=X, id="state_abbr", time="year", w=w, model=model, fe=effects)


@pytest.mark.parametrize("effects", ["individual", "twoways"])
def test_lambda_zero_is_sar(produc_logs, us48_queen, effects):
    sar = _spec(produc_logs, us48_queen, "sar", effects).fit()
    spec = _spec(produc_logs, us48_queen, "sac", effects)
    d = spec.data
    counts = effective_counts(d.n, d.t, effects, "transformation")
    v = sac_gram(d)
    logdet = LogDet(us48_queen)
    th_sar = np.r_[sar.params.to_numpy(), sar.sigma2]
    th_sac = np.r_[sar.params.to_numpy(), 0.0, sar.sigma2]
    yd, wyd, zd, wzd = d.transformed
    ref = _ml.full_loglik("lag", th_sar, yd, wyd, zd, np.zeros((len(yd), 0)), logdet, counts)
    # the same closed form evaluated two ways: 1e-12
    assert sac_loglik(th_sac, v, len(X), logdet, counts) == pytest.approx(ref, rel=1e-12)
    assert sar.loglik == pytest.approx(ref, rel=1e-12)
    fit0 = fit_sac(d, lam_fixed=0.0)
    # both maximise the same function with xatol 1e-10: rho to 1e-7, loglik to 1e-9
    assert fit0.params["rho"] == pytest.approx(sar.params["rho"], abs=1e-7)
    assert fit0.loglik == pytest.approx(sar.loglik, rel=1e-9)
    assert fit0.params[X].to_numpy() == pytest.approx(sar.params[X].to_numpy(), rel=1e-6)
    # expected information with lambda = 0 imposed: SAR's information matrix (B = I), the same
    # formula at estimates 1e-7 apart (the two optimisers): 1e-5
    assert fit0.std_errors[X + ["rho"]].to_numpy() == pytest.approx(sar.std_errors[X + ["rho"]].to_numpy(), rel=1e-5)
    # observed-information SEs against SAR's (cov_type="hessian": differences of the analytic score);
    # ours are second differences of the log-likelihood with step 1e-4 * |x|: 1e-3
    sar_h = _spec(produc_logs, us48_queen, "sar", effects).fit(cov_type="hessian")
    fit0_h = fit_sac(d, lam_fixed=0.0, cov_type="hessian")
    assert fit0_h.cov_type == "hessian" and fit0.cov_type == "information"
    assert fit0_h.std_errors[X + ["rho"]].to_numpy() == pytest.approx(sar_h.std_errors[X + ["rho"]].to_numpy(),
                                                                      rel=1e-3)
    full = spec.fit()
    assert full.loglik >= sar.loglik - 1e-9  # SAR is nested in SAC
    assert full.model == "sac" and {"rho", "lambda"} <= set(full.params.index)
    assert full.spatial_param == "rho" and full.rho == full.params["rho"]  # was NaN (no "sac" entry)


def test_a_search_that_does_not_converge_is_an_error(produc_logs, us48_queen, monkeypatch):
    """Neither the L-BFGS-B starts nor the Nelder-Mead polish converged: a ConvergenceError, not a
    fit reported as converged."""
    from scipy import optimize

    from spillmap.errors import ConvergenceError
    from spillmap.estimation import sac

    real = optimize.minimize

    def unconverged(*args, **kwargs):
        r = real(*args, **{**kwargs, "options": {**kwargs["options"], "maxiter": 2}})
        r.success, r.message = False, "stopped after 2 iterations"
        return r

    monkeypatch.setattr(sac.optimize, "minimize", unconverged)
    with pytest.raises(ConvergenceError, match=r"SAC likelihood search in \(rho, lambda\) did not converge "
                                               r"\(L-BFGS-B: stopped after 2 iterations; Nelder-Mead: stopped"):
        _spec(produc_logs, us48_queen, "sac", "individual").fit()


def test_a_best_start_that_ends_abnormally_beside_converged_ones_is_kept(produc_logs, us48_queen, monkeypatch):
    """The Prescott-kernel failure of stop 34: the start with the highest likelihood (by 1e-12, rounding)
    ends in ABNORMAL_TERMINATION_IN_LNSRCH, the other starts converge, and the Nelder-Mead polish hits its
    iteration limit.  The converged starts certify the maximum, so the fit is returned (it raised), at
    that best start."""
    from scipy import optimize

    from spillmap.estimation import sac

    real = optimize.minimize
    reference = _spec(produc_logs, us48_queen, "sac", "individual").fit()
    starts, kept = [], {}

    def noisy(fun, x0, method=None, **kwargs):
        r = real(fun, x0, method=method, **kwargs)
        if method == "Nelder-Mead":
            r.success, r.message, r.fun = False, "Maximum number of iterations has been exceeded.", r.fun + 1.0
            return r
        starts.append(r)
        if len(starts) == 4:  # the best of the four starts is the one that "ended abnormally"
            best = min(starts, key=lambda q: q.fun)
            best.success, best.message = False, "ABNORMAL_TERMINATION_IN_LNSRCH"
            kept["x"] = best.x.copy()
        return r

    monkeypatch.setattr(sac.optimize, "minimize", noisy)
    fit = _spec(produc_logs, us48_queen, "sac", "individual").fit()
    assert fit.params[["rho", "lambda"]].to_numpy() == pytest.approx(kept["x"], abs=1e-12)  # that start, as found
    # against the unperturbed fit: the starts' L-BFGS-B stops (ftol 1e-15 of |loglik| ~ 1e3) place the
    # maximiser of this flat likelihood to ~1e-6 (starts measured 5e-6 apart); the maximum's value is
    # second-order in that distance
    assert fit.params[["rho", "lambda"]].to_numpy() == pytest.approx(
        reference.params[["rho", "lambda"]].to_numpy(), abs=2e-5)
    assert fit.loglik == pytest.approx(reference.loglik, rel=1e-10)


def test_concentrated_equals_dense_transcription(produc_logs, us48_queen):
    sub = us48_queen.ids[:16]
    w = us48_queen.subset(sub).row_standardize()
    df = produc_logs[produc_logs.state_abbr.isin(sub) & (produc_logs.year <= 1975)]
    d = SpatialPanel(df, y="lgsp", x=X, id="state_abbr", time="year", w=w, model="sac", fe="individual").data
    n, t, k = d.n, d.t, len(X)
    W = w.toarray()
    q = np.kron(np.eye(t) - np.ones((t, t)) / t, np.eye(n))
    v = sac_gram(d)
    counts = effective_counts(n, t, "individual", "none")
    for rho, lam in ((0.2, 0.3), (-0.3, 0.5), (0.6, -0.4)):
        A, B = np.kron(np.eye(t), np.eye(n) - rho * W), np.kron(np.eye(t), np.eye(n) - lam * W)
        yf, zf = B @ q @ A @ d.y, B @ q @ d.X
        b = np.linalg.lstsq(zf, yf, rcond=None)[0]
        sse = np.sum((yf - zf @ b) ** 2)
        ld = lambda r: np.linalg.slogdet(np.eye(n) - r * W)[1]  # noqa: E731
        ref = -n * t / 2 * np.log(sse / (n * t)) + t * ld(rho) + t * ld(lam)
        # moments vs dense products: rounding only, 1e-10
        assert sac_concentrated(rho, lam, v.T @ v, k, LogDet(w), counts) == pytest.approx(ref, rel=1e-10)


def _complement(m):
    vals, vecs = np.linalg.eigh(np.eye(m) - np.ones((m, m)) / m)
    return vecs[:, vals > 0.5]


@pytest.mark.parametrize("effects,lee_yu", [("twoways", "transformation"), ("time", "transformation"),
                                            ("individual", "transformation"), ("twoways", "none")])
def test_information_equals_dense_transcription(produc_logs, us48_queen, effects, lee_yu):
    """The expected information against Anselin's SARAR matrix (1988, sec. 6.3) written on the
    explicitly transformed model: ``Q = F_T' kron F_N'`` (Lee-Yu) or the demeaning projection
    (direct), ``W* = F_N' W F_N`` per period, dense inverses, no trace identity; and the exact
    traces against the Hutchinson route (500 probes: relative error ~ sqrt(2/500) ||.||_F / tr)."""
    from spillmap.estimation._sac_information import sac_information

    sub = us48_queen.ids[:16]
    w = us48_queen.subset(sub).row_standardize()
    df = produc_logs[produc_logs.state_abbr.isin(sub) & (produc_logs.year <= 1975)]
    d = SpatialPanel(df, y="lgsp", x=X, id="state_abbr", time="year", w=w, model="sac", fe=effects).data
    n, t, k = d.n, d.t, len(X)
    counts = effective_counts(n, t, effects, lee_yu)
    rng = np.random.default_rng(3)
    theta = np.r_[rng.normal(scale=0.3, size=k), 0.35, -0.25, 0.02]
    beta, rho, lam, s2 = theta[:k], theta[k], theta[k + 1], theta[-1]
    unit, time = effects in ("individual", "twoways"), effects in ("time", "twoways")
    if lee_yu == "transformation":
        ft = _complement(t) if unit else np.eye(t)
        fn = _complement(n) if time else np.eye(n)
        q, m_ = np.kron(ft.T, fn.T), fn.shape[1]
        wst = fn.T @ w.toarray() @ fn
        big = np.kron(np.eye(ft.shape[1]), wst)
    else:  # the direct approach: the demeaning projection, all N T rows, W itself
        jt = np.eye(t) - np.ones((t, t)) / t if unit else np.eye(t)
        jn = np.eye(n) - np.ones((n, n)) / n if time else np.eye(n)
        q, m_ = np.kron(jt, jn), n
        wst = w.toarray()
        big = np.kron(np.eye(t), wst)
    eye = np.eye(big.shape[0])
    a_inv, b = np.linalg.inv(eye - rho * big), eye - lam * big
    g, hm = big @ a_inv, big @ np.linalg.inv(b)
    if lee_yu == "transformation":  # F' (I kron B) = (I kron B*) F' for a row-standardised W
        zb, mean = b @ q @ d.Z, b @ g @ q @ d.Z @ beta
    else:  # the direct approach filters, then demeans (the likelihood of spillmap.estimation.sac)
        zb, mean = q @ b @ d.Z, q @ b @ g @ d.Z @ beta
    info = np.zeros((k + 3, k + 3))
    info[:k, :k] = zb.T @ zb / s2
    info[:k, k] = info[k, :k] = zb.T @ mean / s2
    info[k, k] = mean @ mean / s2 + np.trace(g @ g) + np.trace(g.T @ g)
    info[k + 1, k + 1] = np.trace(hm @ hm) + np.trace(hm.T @ hm)
    info[k, k + 1] = info[k + 1, k] = np.trace(hm @ g) + np.trace(hm.T @ g)
    info[k, k + 2] = info[k + 2, k] = np.trace(g) / s2
    info[k + 1, k + 2] = info[k + 2, k + 1] = np.trace(hm) / s2
    info[k + 2, k + 2] = counts.nobs / (2 * s2**2)
    assert counts.nobs == q.shape[0] and m_ * counts.t_eff == big.shape[0]
    mine, exact = sac_information(d, theta, w, counts)
    assert exact
    # the same quantities by two routes (dense transformed model vs trace identities): rounding, 1e-9
    np.testing.assert_allclose(mine, info, rtol=1e-9, atol=1e-9 * np.abs(info).max())
    rough, exact = sac_information(d, theta, w, counts, exact=False, probes=500)
    assert not exact
    # Hutchinson traces (500 seeded probes, with a control variate): the entries differ from the exact
    # ones by at most 1 % in these four cases (measured 2026-12-01; the probes are seeded, so only
    # rounding changes between machines).  5 % keeps a margin and still catches a missing or doubled
    # trace term, which moves its entry by tens of percent or more.
    np.testing.assert_allclose(rough, info, rtol=0.05, atol=1e-9 * np.abs(info).max())


def test_one_w_per_period_must_be_constant(produc_logs, us48_queen):
    """A W given per period that is the same in every period fits as that W (it failed with an
    AttributeError before); different matrices are refused when the model is specified."""
    years = sorted(produc_logs.year.unique())
    same = _spec(produc_logs, us48_queen, "sac", "individual").fit()
    per = SpatialPanel(produc_logs, y="lgsp", x=X, id="state_abbr", time="year", w={y: us48_queen for y in years},
                       model="sac", fe="individual").fit()
    # a constant W given per period is replaced by that W before any arithmetic: the same computation, 1e-12
    np.testing.assert_allclose(per.params, same.params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(per.std_errors, same.std_errors, rtol=1e-12)
    reweighted = SpatialWeights(us48_queen.sparse.multiply(np.arange(1, us48_queen.n + 1)[None, :]).tocsr(),
                                us48_queen.ids).row_standardize()  # the same links, other weights
    varying = {y: (us48_queen if y < 1980 else reweighted) for y in years}
    with pytest.raises(InputError, match="one W for all periods"):
        SpatialPanel(produc_logs, y="lgsp", x=X, id="state_abbr", time="year", w=varying, model="sac",
                     fe="individual")


@pytest.fixture(scope="module")
def simulated():
    from libpysal.weights import lat2W

    wl = lat2W(12, 12, rook=True)
    w = SpatialWeights.from_libpysal(wl).row_standardize()
    n, t = w.n, 8
    rng = np.random.default_rng(4)
    W = w.toarray()
    x = rng.normal(size=(n * t, 2))
    mu = np.tile(rng.normal(size=n), t)
    ainv, binv = np.linalg.inv(np.eye(n) - 0.4 * W), np.linalg.inv(np.eye(n) - 0.3 * W)
    eps = rng.normal(scale=0.5, size=(t, n))
    y = np.concatenate([ainv @ (x[s * n:(s + 1) * n] @ [1.0, -1.0] + mu[:n] + binv @ eps[s]) for s in range(t)])
    df = pd.DataFrame({"id": np.tile(w.ids, t), "t": np.repeat(np.arange(t), n), "y": y, "x1": x[:, 0], "x2": x[:, 1]})
    return df, w


def test_recovers_simulated_parameters(simulated):
    df, w = simulated
    res = SpatialPanel(df, y="y", x=["x1", "x2"], id="id", time="t", w=w, model="sac", fe="individual").fit()
    truth = pd.Series({"x1": 1.0, "x2": -1.0, "rho": 0.4, "lambda": 0.3})
    z = (res.params[truth.index] - truth) / res.std_errors[truth.index]
    assert np.all(np.abs(z) < 4), z  # one draw: |z| < 4 fails with prob < 3e-4 per parameter
    eff = res.impacts(draws=0, method="delta")
    assert eff.total.loc["x1", "estimate"] == pytest.approx(res.params["x1"] / (1 - res.params["rho"]), rel=1e-8)
    with pytest.raises(InputError):
        SpatialPanel(df, y="y", x=["x1", "x2"], id="id", time="t", w=w, model="sac", fe="individual").fit(
            lee_yu="bias-correction")


def test_command_line_and_compute_effects_give_the_sac_effects(produc_logs, us48_queen, tmp_path, capsys):
    """``spillmap fit --model sac`` offered SAC and then stopped at the effects ("model must be one of
    'sar', ...": compute_effects did not know SAC). Reference: the total effect of a row-standardised
    W is beta / (1 - rho) exactly ((I - rho W)^-1 1 = 1 / (1 - rho)); 1e-8 relative for the two
    differently ordered sums of the delta method's exact traces."""
    import json

    from spillmap.cli import main
    from spillmap.estimation.effects import compute_effects
    from spillmap.spatial.io import write_weights

    df = produc_logs[["state_abbr", "year", "lgsp", "lpc", "lemp"]]
    df.to_csv(tmp_path / "p.csv", index=False)
    write_weights(us48_queen.binary(), tmp_path / "w.gal")
    res = SpatialPanel(df, y="lgsp", x=["lpc", "lemp"], id="state_abbr", time="year", w=us48_queen, model="sac",
                       fe="individual").fit()
    eff = compute_effects(res, draws=0, method="delta")
    assert eff.model == "sac" and "SAC" in eff.summary()  # labelled as the model fitted, SAR formulas
    total = res.params[["lpc", "lemp"]] / (1 - res.params["rho"])
    np.testing.assert_allclose(eff.total["estimate"].to_numpy(), total.to_numpy(), rtol=1e-8)
    rc = main(["fit", "--data", str(tmp_path / "p.csv"), "--id", "state_abbr", "--time", "year", "--y", "lgsp",
               "--x", "lpc", "lemp", "--w", str(tmp_path / "w.gal"), "--model", "sac", "--fe", "individual",
               "--draws", "0", "--json", str(tmp_path / "o.json")])
    out = capsys.readouterr()
    assert rc == 0, out.err
    doc = json.loads((tmp_path / "o.json").read_text())  # its own estimates: W read back from the GAL file
    par = {k: v["estimate"] for k, v in doc["params"].items()}
    assert doc["effects"]["total"]["lpc"]["estimate"] == pytest.approx(par["lpc"] / (1 - par["rho"]), rel=1e-8)
    assert par["rho"] == pytest.approx(res.params["rho"], abs=1e-6)  # the same fit (optimiser tolerance)
