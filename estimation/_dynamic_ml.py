"""Bias corrections and stability of the dynamic spatial panel (pure numerics).

Model (T periods after the initial one, ``S_t = I - rho W_t``)::

    y_t = tau y_{t-1} + rho W_t y_t + eta W_{t-1} y_{t-1} + X_t beta + W_t X_t theta + mu + alpha_t 1 + e_t
    A_t = S_t^{-1} (tau I + eta W_{t-1}),   G_t = W_t S_t^{-1},   L = ((1 - tau) I - (rho + eta) W)^{-1}

**The correction.**  Every estimator here is corrected by ``theta_c = theta + C s``: ``C`` the
inverse information matrix (``results.cov_full`` before the correction, i.e. ``Sigma^{-1}/(NT)``
of the papers) and ``s = -E[score]`` at the estimate, the expected score of the likelihood
maximised (the bias to first order is ``C E[score]``).  Written out:

* Unit effects removed by demeaning over t (Yu, de Jong & Lee 2008, J. Econometrics 146,
  eq. for ``a_{theta,n}`` in their Theorem 3 / the bias-corrected estimator of Sec. 5), constant W::

      s = ( tr L, tr(W L), 0_k, tr(G) + tau tr(G L) + eta tr(G W L), N / (2 sigma2) )

  (positions: tau, eta, the other coefficients, rho, sigma2; ``tau tr(GL) + eta tr(GWL) =
  tr(W A L)``; ``sum_h A^h S^{-1} = L`` is their ``(sum_h A_n^h) S_n^{-1}``).
* Time effects removed by demeaning over units (Lee & Yu 2010, Econometric Theory 26, the
  ``O(1/n)`` bias of the direct approach; their ``b_{theta,n}``)::

      s_time = ( 0, ..., 0, sum_t 1'G_t 1 / N, T / (2 sigma2) )     (= T/(1 - rho) for row sums 1)

* Time effects removed by the transformation ``F_{N,N-1}`` (Lee & Yu 2010): no ``O(1/n)``
  bias; the unit-effects vector is that of the transformed W, ``tr f(W*) = tr f(W) - f(1)``
  (``F' f(W) F = f(W*)`` for row-standardised W: every matrix here is a rational function of W
  and ``f(W) 1 = f(1) 1``), and N becomes N - 1.

Which pieces each option uses (``lee_yu=``):

=================  ====================================================================
``none``           no correction (the direct approach, biased: for comparison)
``bias-correction``  the direct approach (demeaning) corrected by ``s`` (+ ``s_time`` with
                   time effects): YdJL (2008) and Lee & Yu (2010)'s bias-corrected direct
                   estimator
``transformation``  time effects by ``F_N`` (Lee & Yu 2010's transformation approach);
                   unit effects: spillmap's choice where the papers leave room (below)
``ydjl``           Lee & Yu (2010)'s transformation approach as published: time effects by
                   ``F_N``, unit effects by the direct approach on the transformed model
                   (``(N-1) T`` observations, Jacobian weight T), corrected by the whole
                   ``s`` of ``W*`` (tr f(W*), N - 1).  R SDPDmod's ``LYtrans = TRUE``
=================  ====================================================================

For unit effects no exact transformation exists in a dynamic panel (``F_T`` would correlate
``y_{t-1}`` with every transformed error), so Lee & Yu keep the direct approach plus the YdJL
correction.  spillmap's ``"transformation"`` instead maximises the likelihood with the counts of
the static transformation approach (``N (T-1)`` observations, Jacobian weight ``T - 1``), which
removes the incidental-parameter bias of ``sigma2`` and ``rho`` exactly as in the static model,
and corrects the remaining (Nickell) bias with the part of ``s`` due to the lags:
``s' = (tr L, tr(WL), 0_k, tr(W A L), 0)``.  To first order this equals the YdJL estimator; with
``tau = eta = 0`` it is exactly the static Lee-Yu estimator on periods 2..T.  ``"ydjl"`` is the
published estimator, for replication (verified against R SDPDmod 0.0.6 in
``tests/test_sdpdmod_two_way.py``); the Monte Carlo of ``benchmarks/monte_carlo_dynamic.py``
compares the options.

**Time-varying W** (one ``W_t`` per period): the traces above are replaced by the exact
expectation of the score over the T periods used (the finite-T sums of Lee & Yu 2012,
Spatial Economic Analysis 7), with ``Phi(t, s) = A_t ... A_{s+1}``::

    s_tau = (1/T) sum_t sum_{s<t} tr(Phi(t-1, s) S_s^{-1})
    s_eta = (1/T) sum_t sum_{s<t} tr(W_{t-1} Phi(t-1, s) S_s^{-1})
    s_rho = (1/T) [ sum_t tr G_t + sum_t sum_{s<t} tr(W_t Phi(t, s) S_s^{-1}) ]

(the double sums in one pass over t by the recursion ``R_{t+1} = A_t R_t + S_t^{-1}``,
``R_t = sum_{s<t} Phi(t-1, s) S_s^{-1}``; exact traces up to :data:`CHAIN_EXACT_MAX_N` units,
Hutchinson probes with sparse LU solves above).  A W that is the same in every period takes the constant-W formulas (YdJL's
``T -> infinity`` limit of those sums), so that a constant W given per period reproduces the
constant-W fit exactly.

**Traces for a constant W**: from W's eigenvalues (``tr f(W) = sum_i f(omega_i)``, real part)
up to :data:`EXACT_MAX_N` units; above, the power series ``sum_j c_j tr(W^j)`` with
Hutchinson's ``tr(W^j)`` shared with the fit (:func:`~spillmap.estimation._traces.trace_powers`),
truncated where the terms fall below 1e-8 of the first.

**Stability** (:func:`check_stability`): ``y_t = A y_{t-1} + ...`` is stable when every
eigenvalue of ``A`` has modulus below one: ``|tau + eta omega| < |1 - rho omega|`` for every
eigenvalue ``omega`` of W (for a row-standardised W with real eigenvalues this is
``|tau + eta omega| < 1 - rho omega``; Debarsy, Ertur & LeSage 2012; Elhorst 2014 ch. 4).

Written by hand: no Python library implements these corrections.  Verification:
``tests/test_dynamic.py`` compares every vector with a dense transcription (``np.linalg.inv``,
explicit ``sum_h A^h``, explicit ``F_N``) to 1e-10.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from spillmap.errors import EstimationError

from ._lu import factor_i_minus
from ._traces import rademacher, trace_powers

__all__ = ["Lags", "spectral_bias", "chain_bias", "time_bias", "check_stability", "EXACT_MAX_N",
           "CHAIN_EXACT_MAX_N"]

#: up to this many units the constant-W traces come from W's eigenvalues
EXACT_MAX_N = 3000
#: up to this many units the time-varying chains are traced exactly (identity probes)
CHAIN_EXACT_MAX_N = 600
CHAIN_PROBES = 100
SERIES_TOL = 1e-8


class Lags:
    """The dynamic parameters at an estimate: ``tau``, ``eta``, ``rho`` (0 where absent)."""

    def __init__(self, tau: float, eta: float, rho: float) -> None:
        self.tau, self.eta, self.rho = float(tau), float(eta), float(rho)

    def functions(self) -> dict[str, Any]:
        """The scalar functions ``f(omega)`` whose traces the bias vector needs."""
        tau, eta, rho = self.tau, self.eta, self.rho

        def lr(w):
            return 1.0 / (1.0 - tau - (rho + eta) * w)

        return {"L": lr, "WL": lambda w: w * lr(w), "G": lambda w: w / (1.0 - rho * w),
                "WAL": lambda w: w * (tau + eta * w) / (1.0 - rho * w) * lr(w)}


# --------------------------------------------------------------- constant W
def _series_coefficients(lags: Lags, order: int) -> dict[str, np.ndarray]:
    """Power-series coefficients (in omega, degree 0..order) of the functions of :meth:`Lags.functions`."""
    tau, eta, rho = lags.tau, lags.eta, lags.rho
    j = np.arange(order + 1)
    a = (rho + eta) / (1.0 - tau)
    lr = a**j / (1.0 - tau)
    shift = np.concatenate([[0.0], lr[:-1]])                     # omega L
    g = np.concatenate([[0.0], rho ** j[:-1]])                   # omega / (1 - rho omega)
    sinv = rho**j                                                # 1 / (1 - rho omega)
    num = np.zeros(order + 1)
    num[1] = tau
    if order >= 2:
        num[2] = eta                                             # omega (tau + eta omega)
    wal = np.convolve(np.convolve(num, sinv)[: order + 1], lr)[: order + 1]
    return {"L": lr, "WL": shift, "G": g, "WAL": wal}


def _order_for(lags: Lags, radius: float) -> int:
    q = max(abs(lags.rho), abs((lags.rho + lags.eta) / (1.0 - lags.tau))) * radius
    if q >= 1:
        raise EstimationError(f"the power series of the bias correction does not converge (rate {q:.4g} >= 1); "
                              "the estimate is outside the stability region.")
    return int(min(max(20, math.ceil(math.log(SERIES_TOL) / math.log(max(q, 1e-300)))), 5000))


def spectral_traces(w: Any, lags: Lags, *, exact: bool | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """``(tr f(W), f(1))`` for the functions of :meth:`Lags.functions` (module notes)."""
    f = lags.functions()
    at_one = {k: float(fn(1.0)) for k, fn in f.items()}
    exact = w.n <= EXACT_MAX_N if exact is None else exact
    if exact:
        ev = np.asarray(w.eigenvalues)
        return {k: float(np.sum(fn(ev)).real) for k, fn in f.items()}, at_one
    m = w.sparse
    radius = float(min(abs(m).sum(axis=1).max(), abs(m).sum(axis=0).max())) if m.nnz else 0.0
    order = _order_for(lags, radius)
    tp = trace_powers(w, order)[: order + 1]
    coef = _series_coefficients(lags, order)
    return {k: float(c @ tp) for k, c in coef.items()}, at_one


def spectral_bias(w: Any, lags: Lags, sigma2: float, *, transformed: bool, static_part: bool,
                  exact: bool | None = None) -> dict[str, float]:
    """``s`` of the unit effects for a constant W: ``{"tau","eta","rho","sigma2": value}``.

    ``transformed``: the traces of ``W* = F' W F`` (time effects removed by ``F_N``);
    ``static_part=False``: without ``tr(G)`` and ``N/(2 sigma2)`` (the hybrid transformation).
    """
    tr, one = spectral_traces(w, lags, exact=exact)
    if transformed:
        tr = {k: tr[k] - one[k] for k in tr}
    n = w.n - (1 if transformed else 0)
    out = {"tau": tr["L"], "eta": tr["WL"], "rho": tr["WAL"], "sigma2": 0.0}
    if static_part:
        out["rho"] += tr["G"]
        out["sigma2"] = n / (2.0 * sigma2)
    return out


def time_bias(pw_or_w: Any, rho: float, sigma2: float, t: int) -> dict[str, float]:
    """``s_time`` of the direct approach: ``sum_t 1'G_t 1 / N`` and ``T / (2 sigma2)``."""
    mats = [(w, len(pos)) for w, pos in pw_or_w.groups] if hasattr(pw_or_w, "groups") else [(pw_or_w, t)]
    total = 0.0
    for w, m in mats:
        total += m * _one_g_one(w, rho)
    return {"tau": 0.0, "eta": 0.0, "rho": total, "sigma2": t / (2.0 * sigma2)}


def _one_g_one(w: Any, rho: float) -> float:
    """``1' W (I - rho W)^{-1} 1 / N`` (``1/(1 - rho)`` for row sums 1; one sparse solve otherwise)."""
    n = w.n
    if rho == 0:
        return float(w.sparse.sum()) / n
    if w.is_row_standardized and not len(w.islands):
        return 1.0 / (1.0 - rho)
    u = factor_i_minus(rho, w.sparse.tocsc()).solve(np.ones(n))
    return float(np.sum(w.sparse @ u)) / n


# ------------------------------------------------------------ time-varying W
class _Chain:
    """Applies ``S_t^{-1}``, ``W_t`` and ``A_t`` of every period to a block of probe vectors."""

    def __init__(self, mats: list, lags: Lags) -> None:
        self.mats, self.lags = mats, lags
        self.lus: dict[int, Any] = {}

    def s_inv(self, t: int, z: np.ndarray) -> np.ndarray:
        if self.lags.rho == 0:
            return z
        key = id(self.mats[t])
        if key not in self.lus:
            self.lus[key] = factor_i_minus(self.lags.rho, self.mats[t].sparse.tocsc())
        return self.lus[key].solve(np.ascontiguousarray(z))

    def w(self, t: int, z: np.ndarray) -> np.ndarray:
        return np.asarray(self.mats[t].sparse @ z)

    def a(self, t: int, z: np.ndarray) -> np.ndarray:
        """``A_t z = S_t^{-1} (tau z + eta W_{t-1} z)``."""
        return self.s_inv(t, self.lags.tau * z + self.lags.eta * self.w(t - 1, z))


def chain_bias(mats: list, lags: Lags, sigma2: float, *, transformed: bool, static_part: bool,
               seed: int = 0) -> dict[str, float]:
    """``s`` of the unit effects for one W per period (module notes).

    ``mats`` holds ``W_0, ..., W_T`` (the initial period first); the likelihood periods are
    1..T.  Traces are exact (identity probes) up to :data:`CHAIN_EXACT_MAX_N` units, else
    Hutchinson with :data:`CHAIN_PROBES` Rademacher probes.
    """
    n, t_used = mats[0].n, len(mats) - 1
    exact = n <= CHAIN_EXACT_MAX_N
    z = np.eye(n) if exact else rademacher(n, CHAIN_PROBES, seed)
    chain = _Chain(mats, lags)
    tau, eta, rho = lags.tau, lags.eta, lags.rho
    a_one, s_one = (tau + eta) / (1.0 - rho), 1.0 / (1.0 - rho)  # the 1-direction (row sums 1)

    def tr(m: np.ndarray, scalar: float) -> float:
        value = float(np.trace(m)) if exact else float(np.sum(z * m)) / z.shape[1]
        return value - (scalar if transformed else 0.0)

    def trw(t: int, m: np.ndarray, scalar: float) -> float:
        """``tr(W_t M)``: ``sum_ij w_ij m_ji`` (exact, O(nnz)) or Hutchinson on ``W_t M Z``."""
        if exact:
            return float(mats[t].sparse.multiply(m.T).sum()) - (scalar if transformed else 0.0)
        return tr(chain.w(t, m), scalar)

    # R_t = sum_{s<t} Phi(t-1, s) S_s^{-1}: R_2 = S_1^{-1}, R_{t+1} = A_t R_t + S_t^{-1} (the double sum
    # in one pass); sum_{s<t} Phi(t, s) S_s^{-1} = A_t R_t.  mu: the same recursion in the 1-direction.
    sinv = {t: chain.s_inv(t, z) for t in range(1, t_used + 1)}
    s_tau = s_eta = s_rho = s_g = 0.0
    r, mu = sinv[1], s_one
    for t in range(2, t_used + 1):
        s_tau += tr(r, mu)
        s_eta += trw(t - 1, r, mu)
        ar, a_mu = chain.a(t, r), a_one * mu
        s_rho += trw(t, ar, a_mu)
        r, mu = ar + sinv[t], a_mu + s_one
    if rho != 0 and static_part:
        s_g = sum(trw(t, sinv[t], s_one) for t in range(1, t_used + 1))
    out = {"tau": s_tau / t_used, "eta": s_eta / t_used, "rho": s_rho / t_used, "sigma2": 0.0}
    if static_part:
        out["rho"] += s_g / t_used
        out["sigma2"] = (n - (1 if transformed else 0)) / (2.0 * sigma2)
    return out


# ------------------------------------------------------------------ stability
def _eigen_check(ev: np.ndarray, lags: Lags) -> tuple[float, complex]:
    mod = np.abs(lags.tau + lags.eta * ev) / np.abs(1.0 - lags.rho * ev)
    k = int(np.argmax(mod))
    return float(mod[k]), complex(ev[k])


def stability_margin(w: Any, lags: Lags) -> tuple[float, complex, str]:
    """``(max |tau + eta omega| / |1 - rho omega|, the omega attaining it, how it was computed)``.

    Exact over W's eigenvalues up to :data:`EXACT_MAX_N` units.  Above, for a W with a real
    spectrum (symmetric or symmetrisable) in ``[-r, r]`` (``r`` the largest eigenvalue, 1 for a
    row-standardised W) the ratio is largest at an end of the interval, so the ends are
    checked (``-r`` bounds the smallest eigenvalue: conservative); otherwise the spectral radius
    of ``A = S^{-1}(tau I + eta W)`` by ARPACK.
    """
    from ._traces import _symmetrizer_cached

    if w.n <= EXACT_MAX_N:
        m, om = _eigen_check(np.asarray(w.eigenvalues), lags)
        return m, om, "eigenvalues of W"
    if w.is_symmetric or _symmetrizer_cached(w) is not None:
        r = 1.0 if (w.is_row_standardized and not len(w.islands)) else _largest_eigenvalue(w)
        m, om = _eigen_check(np.array([-r, r]), lags)
        return m, om, f"the ends of W's real spectrum [-{r:.4g}, {r:.4g}]"
    return _arpack_radius(w, lags), complex(np.nan), "the spectral radius of A (ARPACK)"


def _largest_eigenvalue(w: Any) -> float:
    import scipy.sparse.linalg as spla

    return float(np.max(spla.eigs(w.sparse, k=1, which="LR", return_eigenvectors=False, tol=1e-8).real))


def _arpack_radius(w: Any, lags: Lags) -> float:  # pragma: no cover - large non-symmetrisable W
    import scipy.sparse.linalg as spla

    lu = factor_i_minus(lags.rho, w.sparse.tocsc())
    m = w.sparse

    def mv(v):
        return lu.solve(lags.tau * v + lags.eta * np.asarray(m @ v))

    op = spla.LinearOperator((w.n, w.n), matvec=mv, dtype=float)
    return float(np.max(np.abs(spla.eigs(op, k=1, which="LM", return_eigenvectors=False, tol=1e-8))))


def check_stability(w: Any, lags: Lags, *, what: str = "estimate", period: Any = None) -> float:
    """Raise :class:`~spillmap.errors.EstimationError` with the figures when the model is not
    stable at ``lags`` (module notes); return the largest modulus of A's eigenvalues."""
    m, om, how = stability_margin(w, lags)
    if not (np.isfinite(m) and m < 1.0):
        where = f" of period {period}" if period is not None else ""
        at = f" at the eigenvalue omega = {om.real:.6g}" + (f"{om.imag:+.3g}i" if om.imag else "") \
            if np.isfinite(om.real) else ""
        raise EstimationError(
            f"the {what} is outside the stability region: tau = {lags.tau:.6g}, eta = {lags.eta:.6g}, rho = "
            f"{lags.rho:.6g} give |tau + eta omega| / |1 - rho omega| = {m:.6g} >= 1{at} of W{where} "
            f"({how}); y_t = A y_t-1 + ... explodes and long-run effects do not exist. The data may have a "
            "unit root or a trend the fixed effects do not absorb (try time effects or differencing).")
    return m
