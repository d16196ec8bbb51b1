"""Random effects, the Baltagi-Song-Koh tests, the conditional Hausman test and the recovered
fixed effects against R splm 1.6-5, run.

Until now these were checked against line-by-line transcriptions of splm's code (tests/test_bsk.py,
tests/test_hausman_conditional.py, tests/test_fixed_effects.py) and spreg / statsmodels; here
against splm itself.  Reference numbers: splm 1.6-5 (the CRAN snapshot github.com/cran/splm,
installed from source) under R 4.2.2 with plm 2.6-2, spdep 1.2-7, spatialreg 1.2-6 (Debian
bookworm), run on 2026-12-01 on the bundled Produc panel, ``lgsp ~ lpcap + lpc + lemp + unemp``,
and the row-standardised queen contiguity of the US-48 states (the ``us48_queen`` fixture, its rows
put in the alphabetical order splm's index uses); printed with ``sprintf("%.12g")``
(``tests/r_reference/splm_reference.R`` reprints them):

* ``spml(..., model = "random", lag = TRUE, spatial.error = "none")`` (SAR with random effects) and
  ``spml(..., model = "random", lag = FALSE, spatial.error = "b")`` (Baltagi et al.'s spatial error
  in the remainder only: spillmap's SEM-RE): coefficients, spatial parameter, ``phi`` (splm's name
  for sigma2_mu / sigma2, spillmap's ``extra["theta"]``), sigma2, log-likelihood and the standard
  errors of ``vcov`` (the GLS covariance given the variance parameters: spillmap's
  ``re_conditional_cov``);
* ``sphtest(fm, ..., spatial.model = "lag")`` and, for the error model, ``sphtest(fe, re)`` on the two
  ``spml`` fits with ``spatial.error = "b"`` (the formula interface's default ``errors = "KKP"`` is
  another random-effects model, which spillmap does not estimate): 83.0792999945 and 30.6006691613;
* ``bsktest(fm, ..., test = ...)`` for LMH, LM1, LM2, CLMlambda and CLMmu (``standardize = TRUE``
  gives SLM1, SLM2) and ``bsjktest(..., test = "J")``;
* ``slmtest(fm, ..., model = "pooling" | "within", test = "lml" | "lme" | "rlml" | "rlme")`` (the
  panel LM tests; ``within`` is unit demeaning);
* ``effects()`` of ``spml(..., model = "within", effect = "individual", lag = TRUE)``: the state
  effects and their standard errors (its estimates are spillmap's ``lee_yu="none"`` ones: with unit
  effects splm's lag of the demeaned y equals the demeaned lag).

Tolerances: the random-effects fits maximise the same likelihood, splm with ``nlminb`` (relative
tolerance 1e-10 on the log-likelihood): each estimate to ``se sqrt(2e-10 |loglik|)`` (how far that
stopping rule can leave it; se from the same fit), the log-likelihood to 1e-10 relative.
Statistics that are closed forms of OLS residuals (LMH, LM1, LM2, SLM1, SLM2, J) to 1e-9
relative (two programs' rounding); those that use an ML fit (CLM-lambda, CLM-mu, the Hausman
statistics, the conditional SEs) carry its optimiser's tolerance: measured 1.3e-7 (CLM-mu, a pooled
SEM fit), 7e-6 (Hausman, lag), so 1e-5 relative, the Hausman statistic of the lag model 2e-5.
"""
from __future__ import annotations

import numpy as np
import pytest

from spillmap.estimation import SpatialPanel

X = ["lpcap", "lpc", "lemp", "unemp"]

#: splm spml(model="random"): const, lpcap, lpc, lemp, unemp, spatial parameter; phi; sigma2; loglik; SEs
RE = {
    "sar": {"coef": [1.65814986651, 0.0129450521139, 0.225553750242, 0.670810736294, -0.00579715838792,
                     0.161614536478],
            "theta": 21.3175081495, "theta_se": 8.31219687094, "sigma2": 0.00124640463271,
            "loglik": 1426.57670518, "rho_se": 0.0290855581962,
            "se": [0.150718547112, 0.0249399668598, 0.0216342239278, 0.0264211262801, 0.000891746432224]},
    "sem": {"coef": [2.38682747744, 0.0424138369333, 0.241839581585, 0.742345427096, -0.00342793180947,
                     0.53887646177],
            "theta": 7.49517904258, "theta_se": 1.73655772716, "sigma2": 0.001052223611,
            "loglik": 1491.65884979, "rho_se": 0.0337130971159,
            "se": [0.139379785748, 0.022203723534, 0.0202892424673, 0.0244060550639, 0.00106144403072]},
}
HAUSMAN = {"sar": 83.0792999945, "sem": 30.6006691613}
BSK = {"lmh": 4270.85184424, "lm1": 64.3036603957, "slm1": 67.4810274759, "lm2": 11.6572339751,
       "slm2": 12.2720819427, "clm_lambda": 14.4364215557, "clm_mu": 60.6992149387}
BSJK_J = 4290.42243536
#: slmtest: LM lag, LM error, robust LM lag, robust LM error
SLMTEST = {"none": [0.116661156726, 135.891103951, 3.01815477005, 138.792597564],
           "individual": [163.695367462, 223.868405136, 34.7494979013, 94.9225355752]}
#: effects(): state effects of AL, AR, AZ (splm's first three) and their standard errors
FE_UNITS = {"AL": (-0.19140308057, 0.153853087547), "AR": (-0.331420201408, 0.146132451265),
            "AZ": (-0.00537798332569, 0.153140328275)}


def _spec(panel, w, model, fe):
    return SpatialPanel(panel, y="lgsp", x=X, id="state_abbr", time="year", w=w, model=model, fe=fe)


@pytest.fixture(scope="module")
def fits(produc_logs, us48_queen):
    return {m: (_spec(produc_logs, us48_queen, m, "individual").fit(lee_yu="none"),
                _spec(produc_logs, us48_queen, m, "random").fit()) for m in ("sar", "sem")}


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_random_effects_equal_splm(fits, model):
    from spillmap.estimation._conditional_cov import re_conditional_cov

    _, re = fits[model]
    ref = RE[model]
    stop = np.sqrt(2e-10 * abs(ref["loglik"]))  # nlminb's stopping rule, in standard errors
    mine = re.params[["const", *X, "rho" if model == "sar" else "lambda"]].to_numpy()
    se = np.r_[ref["se"], ref["rho_se"]]
    assert np.all(np.abs(mine - ref["coef"]) <= se * stop + 1e-9), (mine, ref["coef"])
    assert abs(re.extra["theta"] - ref["theta"]) <= ref["theta_se"] * stop
    assert re.sigma2 == pytest.approx(ref["sigma2"], rel=1e-5)
    assert re.loglik == pytest.approx(ref["loglik"], rel=1e-10)  # nlminb stops at a relative change of 1e-10
    # splm's vcov: sigma2 (X' Sigma^-1 X)^-1 at its (phi, lambda); ours at ours (1e-5 apart)
    np.testing.assert_allclose(np.sqrt(np.diag(re_conditional_cov(re))), ref["se"], rtol=1e-5)


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_conditional_hausman_equals_sphtest(fits, model):
    from spillmap.estimation.hausman import hausman

    fe, re = fits[model]
    r = hausman(fe, re, cov="conditional", on_indefinite="elhorst")
    assert r.df == 4
    assert r.stat == pytest.approx(HAUSMAN[model], rel=2e-5)


def test_bsk_and_bsjk_equal_bsktest(produc_logs, us48_queen):
    from spillmap.estimation.bsk import bsjk_joint_test, bsk_tests
    from spillmap.spatial.autocorrelation import panel_array

    arr, periods = panel_array(produc_logs, id="state_abbr", time="year", columns=["lgsp", *X], w=us48_queen)
    flat = arr.reshape(len(periods) * us48_queen.n, -1)
    b = bsk_tests(flat[:, 0], flat[:, 1:], us48_queen, t=len(periods), slm2_variance="splm")
    for key in ("lmh", "lm1", "slm1", "lm2", "slm2"):
        # closed forms of the same OLS residuals (R printed 12 digits): 1e-9 leaves room for cond(X'X) rounding
        assert getattr(b, key).stat == pytest.approx(BSK[key], rel=1e-9), key
    for key in ("clm_lambda", "clm_mu"):
        assert getattr(b, key).stat == pytest.approx(BSK[key], rel=1e-5), key
    j = bsjk_joint_test(flat[:, 0], flat[:, 1:], us48_queen, t=len(periods))
    assert j.stat == pytest.approx(BSJK_J, rel=1e-9)  # a closed form of the same OLS residuals, as above


def test_recovered_state_effects_equal_splm(fits):
    from spillmap.estimation.fixed_effects import recover_fixed_effects

    fx = recover_fixed_effects(fits["sar"][0])
    for state, (est, se) in FE_UNITS.items():
        # the same closed forms at estimates that agree to 1e-9 (splm's optimize, tol 1e-10 on lambda)
        assert fx.unit.loc[state, "estimate"] == pytest.approx(est, rel=1e-6)
        assert fx.unit.loc[state, "se"] == pytest.approx(se, rel=1e-6)


@pytest.mark.parametrize("fe", ["none", "individual"])
def test_panel_lm_tests_equal_slmtest(produc_logs, us48_queen, fe):
    """Closed forms of the OLS / within residuals (both conventions coincide here): 1e-9."""
    from spillmap.spatial import panel_lm_tests

    for convention in ("demeaned", "elhorst"):
        r = panel_lm_tests(produc_logs, "state_abbr", time="year", y="lgsp", x=X, w=us48_queen, fe=fe,
                           convention=convention)
        mine = [getattr(r, k).stat for k in ("lm_lag", "lm_error", "robust_lm_lag", "robust_lm_error")]
        np.testing.assert_allclose(mine, SLMTEST[fe], rtol=1e-9)
