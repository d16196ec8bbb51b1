"""Hausman with conditional covariances (splm ``sphtest`` form).

Oracles: dense transcriptions of splm 1.6-5's covariances -- ``spreml``'s
``covB = sigma2 solve(X' solve(Sigma, X))`` (R/sarREmod.R, R/semREmod.R, with the explicit
NT x NT Sigma) and ``vcov(lm(yt - rho wyt ~ xt - 1))`` of ``spml(model="within")``
(R/likelihoodsFE.R) -- and the statistic ``|d' (V_RE - V_FE)^{-1} d|`` of R/sphtest.R.
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
                                       w=us48_queen, model=model, effects=fx)
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


def _dense_fe_cov(fe):
    d = fe.data
    n, t = d.n, d.t
    q = np.kron(np.eye(t) - np.ones((t, t)) / t, np.eye(n))
    wn = np.kron(np.eye(t), d.w.toarray())
    yt, xt = q @ d.y, q @ d.Z
    par = fe.params.iloc[xt.shape[1]]
    if d.kind == "lag":
        ys, xs = yt - par * (q @ wn @ d.y), xt
    else:
        ys, xs = yt - par * wn @ yt, xt - par * wn @ xt
    b = np.linalg.lstsq(xs, ys, rcond=None)[0]
    r = ys - xs @ b
    return (r @ r) / (len(r) - xs.shape[1]) * np.linalg.inv(xs.T @ xs), b


@pytest.mark.parametrize("model", ["sar", "sem"])
def test_conditional_equals_splm_transcription(fits, model):
    from spillmap.estimation._conditional_cov import fe_conditional_cov, re_conditional_cov

    fe, re = fits[model]
    vre = _dense_re_cov(re)
    # exact closed forms at the same (phi, lambda): dense solve vs quasi-demeaning / sparse LU
    assert re_conditional_cov(re) == pytest.approx(vre, rel=1e-9, abs=1e-14)
    vfe, b = _dense_fe_cov(fe)
    assert fe_conditional_cov(fe) == pytest.approx(vfe, rel=1e-9, abs=1e-14)
    # lm's beta at the ML rho/lambda is the ML beta (the ML solution, optimiser-independent): 1e-8
    assert b == pytest.approx(fe.params[X].to_numpy(), rel=1e-8)
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
