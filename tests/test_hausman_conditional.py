"""Hausman with conditional covariances (splm ``sphtest`` form).

Oracles: dense transcriptions of splm 1.6-5's covariances -- ``spreml``'s
``covB = sigma2 solve(X' solve(Sigma, X))`` (R/sarREmod.R, R/semREmod.R, with the explicit
NT x NT Sigma) and the slopes block of ``spml(model="within")``'s inverse information matrix
(R/likelihoodsFE.R, default ``Hess=FALSE``; spillmap's FE ``cov``, verified elsewhere) -- and the statistic ``|d' (V_RE - V_FE)^{-1} d|`` of R/sphtest.R.
"""
from __future__ import annotations

import numpy as np
import pytest

from spillmap.errors import InputError
from spillmap.estimation import SpatialPanel
from spillmap.estimation.hausman import hausman

X = ["lpcap", "lpc", "lemp", "unemp"]


@pytest.fixture(scope="module")
def fits(produc_logs, us48_queen):
    out = {}
    for model in ("sar", "sem"):
        spec = lambda fx: SpatialPanel(produc_logs, y="lgsp", x=X, id="state_abbr", time="year",  # noqa: E731
                                       w=us48_queen, model=model, fe=fx)
        out[model] = (spec("individual").fit(lee_yu="none"), spec("random").fit())
    return out


def _dense_re_cov(re):
    d = re.data
    n, t = d.n, d.t
    theta = re.extra["theta"]  # sigma2_mu / sigma2
    if d.kind == "lag":
        sigma = theta * np.kron(np.ones((t, t)), np.eye(n)) + np.eye(n * t)
    else:
        b = np.eye(n) - re.params["lambda"] * d.w.toarray()
        sigma = theta * np.kron(np.ones((t, t)), np.eye(n)) + np.kron(np.eye(t), np.linalg.inv(b.T @ b))
    z = d.Z
    return re.sigma2 * np.linalg.inv(z.T @ np.linalg.solve(sigma, z))


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_conditional_equals_splm_transcription(fits, model):
    from spillmap.estimation._conditional_cov import re_conditional_cov

    fe, re = fits[model]
    vre = _dense_re_cov(re)
    # exact closed forms at the same (phi, lambda): dense solve vs quasi-demeaning / sparse LU.  Both
    # invert A = Z' Sigma^-1 Z: cond(A) = 5.5e4 (SAR) / 4.1e4 (SEM), cond(Sigma) = 363 / 273, so the
    # rounding of inv(A) is ~eps cond(A) = 1e-11 typically and at most eps cond(Sigma) cond(A) = 4.5e-9
    # (observed 2e-12); abs 1e-14 only matters for entries far below the smallest, 8e-7
    assert re_conditional_cov(re) == pytest.approx(vre, rel=1e-8, abs=1e-14)  # worst-case rounding 4.5e-9
    # FE side: splm's default (Hess=FALSE) slopes block of the inverse information matrix = fe.cov
    vfe = fe.cov.loc[X, X].to_numpy()
    r = hausman(fe, re, cov="conditional", on_indefinite="elhorst")
    d = (fe.params[X] - re.params[X]).to_numpy()
    ref = abs(d @ np.linalg.solve(vre[1:, 1:] - vfe, d))  # R/sphtest.R: abs(t(db) solve(V_re - V_wi) db)
    assert r.stat == pytest.approx(ref, rel=1e-8)
    assert r.df == 4 and "conditional" in r.name


def test_conditional_compares_slopes_only(fits):
    fe, re = fits["sar"]
    with pytest.raises(InputError, match="rho"):
        hausman(fe, re, cov="conditional", names=["lpcap", "rho"])
    with pytest.raises(InputError, match="cov must be"):
        hausman(fe, re, cov="robust")


@pytest.mark.slow
def test_conditional_size_under_h0():
    """SAR, 10 x 10 lattice, T = 8, unit effects independent of x, FE with the Lee-Yu
    transformation (with lee_yu="none" the FE sigma2 is biased by (T-1)/T and
    V_FE - V_RE is never positive definite: 200/200 refused in a trial run, as for the
    marginal form; the marginal form with Lee-Yu was refused 44/200 times and rejected 15 %
    of the rest).  400 replications: binomial SE 1.1 % at 5 %."""
    import pandas as pd
    from libpysal.weights import lat2W

    from spillmap.spatial.weights import SpatialWeights

    w = SpatialWeights.from_libpysal(lat2W(10, 10)).row_standardize()
    n, t, reps = w.n, 8, 400
    a = np.linalg.inv(np.eye(n) - 0.4 * w.toarray())
    rng = np.random.default_rng(0)
    rej = refused = 0
    for _ in range(reps):
        x = rng.normal(size=(n * t, 2))
        mu = rng.normal(size=n)
        y = np.concatenate([a @ (x[s * n:(s + 1) * n] @ [1, -1] + mu + rng.normal(size=n)) for s in range(t)])
        df = pd.DataFrame({"i": np.tile(w.ids, t), "t": np.repeat(np.arange(t), n), "y": y, "x1": x[:, 0],
                           "x2": x[:, 1]})
        spec = lambda fx: SpatialPanel(df, y="y", x=["x1", "x2"], id="i", time="t", w=w, model="sar",  # noqa: E731
                                       fe=fx)
        try:
            rej += hausman(spec("individual").fit(), spec("random").fit(), cov="conditional").pvalue < 0.05
        except Exception:  # noqa: BLE001 - counted, asserted below
            refused += 1
    assert refused == 0
    assert 0.03 <= rej / reps <= 0.07, rej / reps
