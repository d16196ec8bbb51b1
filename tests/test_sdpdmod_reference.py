"""spillmap against R SDPDmod 0.0.6 (Simonovska), an independent implementation, on the Cigar panel.

Reference numbers: the printed output in SDPDmod 0.0.6's vignette ``inst/doc/spatial_model.html``
(CRAN package snapshot, github.com/cran/SDPDmod at tag 0.0.6, commit 9ffbe2e): the Cigar panel of
``plm`` (the bundled ``datasets.cigar()``), ``logc = log(sales)``, ``logp = log(price/cpi)``,
``logy = log(ndi/cpi)``, and ``rownor(usa46)`` (the bundled ``datasets.cigar_w()``, row-standardised).

How far the numbers can agree follows from SDPDmod's method.  ``SDPDm`` reads ``ln|I - rho W|`` from
a table (exact at steps of 0.01, spline-interpolated to 0.001, looked up at the *nearest* point) and
minimises that step function with R's ``optimize``: its rho is an approximate maximiser, not the
exact one spillmap finds (0.0006 and 0.003 apart below).  So the tests check

* the coefficients and sigma2 *at SDPDmod's printed rho* (the likelihood concentrated in rho, from
  the data, the lags and the fixed effects): to SDPDmod's printed digits;
* SDPDmod's rho is an epsilon-maximiser of spillmap's exact likelihood, epsilon being what its table
  lookup can cost: ``T * max|d ln|I - rho W| / d rho| * 0.0005`` (half a grid step);
* the Yu-de Jong-Lee (2008) bias correction evaluated at SDPDmod's uncorrected estimate reproduces
  SDPDmod's corrected estimate.

* the dynamic models' standard errors at SDPDmod's estimates: spillmap's information matrix plus
  the Yu-de Jong-Lee term for non-normal errors ``Sigma^{-1} Omega Sigma^{-1}`` that SDPDmod adds
  (transcribed here from its ``f_OMG``, with its fourth moment of the reduced-form residuals;
  spillmap itself reports ``Sigma^{-1}``, estimation/dynamic.py) gives SDPDmod's printed SEs.

Agreement found: the coefficients at SDPDmod's rho within 3e-7 of the printed ones, sigma2 within
1e-7 relative, the corrected estimate within 3e-7, the standard errors to every printed digit.

The vignette's two-way dynamic SDM (``mod5``) is in tests/test_sdpdmod_two_way.py.

The static Lee-Yu transformation with unit or period effects (SAR, SDM) is checked against the
same R run of ``SDPDm(..., LYtrans = TRUE, demn = TRUE)`` (not in the vignette).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from spillmap.estimation import SpatialPanel

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the helpers sit next to this file
from _dynamic_oracle import DenseDynamic  # noqa: E402
from _sdpdmod_common import as_printed, cigar_panel, epsilon, sdpdmod_se  # noqa: E402


@pytest.fixture(scope="module")
def cigar():
    return cigar_panel()


def _within(y, wy, z, n, t, rho):
    """Unit-demeaned least squares of y - rho W y on z: (coefficients, sigma2 = SSE / (N T))."""
    def dm(v):
        v = v.reshape(t, n, -1)
        return (v - v.mean(axis=0, keepdims=True)).reshape(t * n, -1)
    target, zd = dm(y - rho * wy)[:, 0], dm(z)
    b = np.linalg.lstsq(zd, target, rcond=None)[0]
    r = target - zd @ b
    return b, float(r @ r) / (n * t)


def _concentrated(y, wy, z, n, t, w_dense, rho):
    """Concentrated log-likelihood of the unit-effects SAR (direct approach), up to a constant."""
    _, s2 = _within(y, wy, z, n, t, rho)
    return -0.5 * n * t * np.log(s2) + t * np.linalg.slogdet(np.eye(n) - rho * w_dense)[1]


def test_static_sar_with_unit_effects(cigar):
    """Vignette ``mod1``: ``SDPDm(logc ~ logp + logy, model="sar", effect="individual", LYtrans=FALSE)``."""
    c, w = cigar
    n, t = w.n, c["year"].nunique()
    wd = w.toarray()
    y = c["logc"].to_numpy()
    wy = np.concatenate([wd @ y[k * n:(k + 1) * n] for k in range(t)])
    z = c[["logp", "logy"]].to_numpy()
    rho_s = 0.297576
    b, s2 = _within(y, wy, z, n, t, rho_s)
    # rho is printed to 6 decimals: its rounding (5e-7) moves the coefficients by this much at most
    moved = np.abs(_within(y, wy, z, n, t, rho_s + 5e-7)[0] - b)
    as_printed(b, ["-0.5320053", "-0.0007088"], slack=moved + 1e-9)
    as_printed([s2], ["0.006667779"], slack=abs(_within(y, wy, z, n, t, rho_s + 5e-7)[1] - s2) + 1e-12)
    res = SpatialPanel(c, y="logc", x=["logp", "logy"], id="state", time="year", w=w, model="sar",
                       fe="individual").fit(lee_yu="none")
    # spillmap's estimate is the exact maximiser; its coefficients are those of the same concentration
    np.testing.assert_allclose(res.params[["logp", "logy"]].to_numpy(), _within(y, wy, z, n, t, res.rho)[0],
                               rtol=0, atol=1e-9)
    gap = _concentrated(y, wy, z, n, t, wd, res.rho) - _concentrated(y, wy, z, n, t, wd, rho_s)
    assert 0 <= gap <= epsilon(wd, t, 0.25, 0.35)


def _dynamic(cigar):
    c, w = cigar
    n, t0 = w.n, c["year"].nunique()
    y = c["logc"].to_numpy().reshape(t0, n)
    x = c[["logp", "logy"]].to_numpy().reshape(t0, n, 2)
    return DenseDynamic(y, x, [w.toarray()] * t0, durbin=False), w


def test_dynamic_sar_with_unit_effects_direct(cigar):
    """Vignette ``mod2``: dynamic SAR, ``tlaginfo = list(tl = T, stl = T)``, ``LYtrans = F``: the
    likelihood of periods 2..T given period 1 with y(t-1) and W y(t-1) as regressors."""
    oracle, w = _dynamic(cigar)
    y, wy, z = oracle.design()
    rho_s = 0.305592
    coef, _ = oracle._ls(y - rho_s * wy, z, "individual", "direct")  # [logp, logy, tau, eta]
    moved = np.abs(oracle._ls(y - (rho_s + 5e-7) * wy, z, "individual", "direct")[0] - coef)  # rho's rounding
    as_printed(coef, ["-0.1147081", "-0.0206479", "0.8697327", "-0.2796636"], slack=moved + 1e-9)
    c, _ = cigar
    res = SpatialPanel(c, y="logc", x=["logp", "logy"], id="state", time="year", w=w, model="sar",
                       fe="individual", dynamic="both").fit(lee_yu="none")
    n, t = oracle.n, oracle.t
    wd = oracle.ws[0]

    def conc(r):
        _, s2 = oracle._ls(y - r * wy, z, "individual", "direct")
        return -0.5 * n * t * np.log(s2) + t * np.linalg.slogdet(np.eye(n) - r * wd)[1]

    gap = conc(res.rho) - conc(rho_s)
    assert 0 <= gap <= epsilon(wd, t, 0.25, 0.35)


def test_ydjl_bias_correction_at_sdpdmods_estimate(cigar):
    """Vignette ``mod3`` (``LYtrans = T``: the Yu-de Jong-Lee 2008 correction of ``mod2``'s estimate):
    the correction ``theta + Sigma^{-1} a`` of spillmap's formulas (the dense transcription that
    tests/test_dynamic.py holds equal to the engine to 1e-7), evaluated at SDPDmod's uncorrected
    estimate, gives SDPDmod's corrected one."""
    oracle, _ = _dynamic(cigar)
    rho_s = 0.305592
    corrected = _corrected(oracle, rho_s)
    moved = np.abs(_corrected(oracle, rho_s + 5e-7) - corrected)[:5]  # the base rho's rounding
    as_printed(corrected[:5], ["-0.0864323", "-0.0217271", "0.9287971", "-0.3030634", "0.310875"],
                slack=moved + 1e-9)
    # the engine applies the same correction at its own (exact) uncorrected estimate
    c, w = cigar
    res = SpatialPanel(c, y="logc", x=["logp", "logy"], id="state", time="year", w=w, model="sar",
                       fe="individual", dynamic="both").fit(lee_yu="bias-correction")
    ref = _corrected(oracle, oracle.fit("individual", "direct")[1])
    mine = res.params[["logp", "logy", "tau", "eta", "rho"]].to_numpy()
    np.testing.assert_allclose(mine, ref[:5], rtol=0, atol=1e-7)  # as tests/test_dynamic.py (search tolerances)


def test_bayesian_log_marginals_of_ols_and_slx(cigar):
    """Vignette ``res1``: ``blmpSDPD(logc ~ logp + logy, effect = "individual")`` prints the log marginal
    likelihoods OLS 884.7551 and SLX 930.0585: closed forms (LeSage 2014; Gamma-function constant,
    ``|X'X|``, ``dof = (NT - k - N)/2``), printed to 4 decimals.  Its spatial models (SAR 938.6934,
    SDM 1046.4868, ...) are 2.5-2.7 above spillmap's: SDPDmod sums ``(r_{i+1} + r_i)(f_{i+1} - f_i)/2``
    over its grid and adds that, unlogged, to the log scale (LeSage's MATLAB line, R/blmpSDPD.R), which
    estimation/bayes.py documents as a departure and replaces by the integral (checked there against
    adaptive quadrature)."""
    from spillmap.estimation.bayes import model_probabilities

    c, w = cigar
    mp = model_probabilities(c, "state", time="year", y="logc", x=["logp", "logy"], w=w, fe="individual",
                             models=("ols", "slx"))
    # printed to 4 decimals (half a unit: 5e-5), plus 1e-5 for the two programs' floating point
    np.testing.assert_allclose(mp.log_marginal[["ols", "slx"]].to_numpy(), [884.7551, 930.0585], rtol=0, atol=6e-5)


#: SDPDmod 0.0.6's blmpSDPD(..., effect = "individual", model = list("ols", "sar", "sdm", "sem", "sdem",
#: "slx")) run here with its integration line (R/blmpSDPD.R, the four spatial models)
#:     isum <- sum((r[2:m] + r[1:(m-1)]) * (f[2:m] - f[1:(m-1)]) / 2)
#: replaced by the trapezoid rule it stands for, on the log scale:
#:     isum <- log(sum((r[2:m] - r[1:(m-1)]) * (f[2:m] + f[1:(m-1)]) / 2))
#: everything else (its prior, dof, constants, log-determinant grid of step 0.001) its own; %.12g
_BLMP_FIXED = {"ols": "884.755121018", "sar": "936.06461694", "sdm": "1043.84129828", "sem": "990.645029919",
               "sdem": "1037.0425679", "slx": "930.058538336"}


def test_bayesian_log_marginals_of_spatial_models_with_the_integral_fixed(cigar):
    """The spatial models' log-marginals (rho or lambda integrated out) equal SDPDmod's once its
    integration line is the trapezoid rule on the log scale (above): its grid sum and spillmap's
    adaptive quadrature of the same integrand (tests/test_bayes.py) agree to about 1e-9 here, the
    integrand being smooth and peaked well inside the grid, so each value is checked to half a unit of
    its 12th printed digit plus 1e-8.  As printed by SDPDmod unchanged (2.5-2.7 higher) they are not
    log-marginals; see test_bayesian_log_marginals_of_ols_and_slx."""
    from spillmap.estimation.bayes import model_probabilities

    c, w = cigar
    mp = model_probabilities(c, "state", time="year", y="logc", x=["logp", "logy"], w=w, fe="individual",
                             models=tuple(_BLMP_FIXED))
    as_printed(mp.log_marginal[list(_BLMP_FIXED)].to_numpy(), list(_BLMP_FIXED.values()), slack=1e-8)


def _corrected(oracle, rho):
    """The direct-approach estimate at ``rho`` (coefficients and sigma2 concentrated) corrected by
    ``theta + Sigma^{-1} a`` (YdJL 2008 with unit effects): ``[logp, logy, tau, eta, rho, sigma2]``."""
    y, wy, z = oracle.design()
    coef, s2 = oracle._ls(y - rho * wy, z, "individual", "direct")
    v = oracle.ydjl_vector(coef[2], coef[3], rho, s2)
    a = np.zeros(coef.size + 2)
    a[-4:] = [v["tau"], v["eta"], v["rho"], v["sigma2"]]
    return np.concatenate([coef, [rho, s2]]) + oracle.information(coef, rho, s2, "individual", "direct") @ a


def test_dynamic_standard_errors(cigar):
    """Vignette ``mod2`` (at its estimate) and ``mod3`` (at the corrected estimate, as SDPDmod computes
    them: no delta-method factor for the correction, which spillmap adds)."""
    oracle, _ = _dynamic(cigar)
    y, wy, z = oracle.design()
    rho_s = 0.305592
    coef, s2 = oracle._ls(y - rho_s * wy, z, "individual", "direct")
    # each within half a unit of its last printed digit (+ 2e-8: the base rho's rounding moves them < 1e-8)
    as_printed(sdpdmod_se(oracle, coef, rho_s, s2)[:5], ["0.0138649", "0.0079911", "0.0130098", "0.0336333",
                                                           "0.031396"], slack=2e-8)
    corrected = _corrected(oracle, rho_s)
    as_printed(sdpdmod_se(oracle, corrected[:-2], corrected[-2], corrected[-1])[:5],
                ["0.0138446", "0.0081269", "0.0132188", "0.0350687", "0.031508"], slack=2e-8)
    # and the engine's covariance is that information matrix's inverse (at its own estimate)
    c, w = cigar
    res = SpatialPanel(c, y="logc", x=["logp", "logy"], id="state", time="year", w=w, model="sar",
                       fe="individual", dynamic="both").fit(lee_yu="none")
    names = ["logp", "logy", "tau", "eta", "rho"]
    ref = oracle.information(res.params[names[:4]].to_numpy(), res.rho, res.sigma2, "individual", "direct")
    # the same formulas on the same numbers, the engine's traces from eigenvalues: rounding only
    np.testing.assert_allclose(res.cov_full.loc[names, names].to_numpy(), ref[:5, :5], rtol=1e-8)


# ------------------------------------------------ static Lee-Yu transformation (unit or period effects)
#: SDPDmod 0.0.6 run here (module notes): SDPDm(..., LYtrans = TRUE, demn = TRUE), sprintf("%.12g"):
#: rho, coefficients (X, then W X for the SDM), sige
_LY_STATIC = {
    ("sar", "individual"): ("0.297576172098", ["-0.532005284247", "-0.000708801979779"], "0.00689770277019"),
    ("sar", "time"): ("0.177574027593", ["-1.15228932334", "0.534173737161"], "0.0279520241074"),
    ("sdm", "individual"): ("0.459585254241", ["-0.929919232288", "0.548690389174", "0.581092692187",
                                               "-0.577528021699"], "0.00561723669419"),
    ("sdm", "time"): ("0.248596968708", ["-1.26785292881", "0.575536772727", "0.523607723631",
                                         "-0.121895551424"], "0.0272914355698"),
}


@pytest.mark.parametrize("model,effects", sorted(_LY_STATIC))
def test_static_lee_yu_transformation(cigar, model, effects):
    """``SDPDm(..., LYtrans = TRUE, demn = TRUE)`` with unit or period effects (``F_T`` or ``F_N`` applied
    explicitly, ``rownor(usa46)``), the estimator of spillmap's ``lee_yu="transformation"``: at its
    rho the coefficients and sigma2 with the Lee-Yu counts (``N (T-1)``, ``(N-1) T`` observations)
    are its printed ones (12 digits; the two programs' least squares 1e-12 apart), and its rho, from
    its 0.001-step log-determinant table, is an epsilon-maximiser of spillmap's likelihood with the
    transformed Jacobian ``T_eff [ln|I - rho W| - a ln(1 - rho)]``.  (Its two-way variant is not used:
    SDPDmod applies the direct approach's O(1/N) correction to the transformation estimate as well.)"""
    from spillmap.estimation._transform import effective_counts

    c, w = cigar
    rho_s, coef_s, s2_s = _LY_STATIC[(model, effects)]
    res = SpatialPanel(c, y="logc", x=["logp", "logy"], id="state", time="year", w=w, model=model,
                       fe=effects).fit(lee_yu="transformation")
    d = res.data
    yd, wyd, zd, _ = d.transformed
    counts = effective_counts(d.n, d.t, effects, "transformation")
    wd = w.toarray()

    def profile(rho):
        b = np.linalg.lstsq(zd, yd - rho * wyd, rcond=None)[0]
        e = yd - rho * wyd - zd @ b
        return b, float(e @ e) / counts.nobs

    def conc(rho):
        _, s2 = profile(rho)
        jac = np.linalg.slogdet(np.eye(d.n) - rho * wd)[1] - (np.log(1 - rho) if counts.time_adj else 0.0)
        return -0.5 * counts.nobs * np.log(s2) + counts.t_eff * jac

    b, s2 = profile(float(rho_s))
    as_printed(np.r_[b, s2], coef_s + [s2_s], slack=1e-11)  # two programs' least squares: measured 4e-12
    ev = np.linalg.eigvals(wd).real
    tr_g = max(abs(np.sum(ev / (1 - r * ev)) - (1 / (1 - r) if counts.time_adj else 0.0))
               for r in np.linspace(0.1, 0.5, 21))
    gap = conc(res.rho) - conc(float(rho_s))
    assert 0 <= gap <= counts.t_eff * tr_g * 0.0005  # half a table step times the slope of the Jacobian
