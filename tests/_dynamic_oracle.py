"""Dense, literal transcriptions of the dynamic spatial panel likelihoods and corrections (test oracles).

Everything here is written from the papers' formulas with explicit matrices and no shortcut
that spillmap's code uses (no demeaning identities, no eigenvalue or series traces, no
concentration of beta): dummy-variable least squares for the direct approach, explicit
orthonormal ``F_T`` / ``F_N`` for the transformation approach, ``sum_h A^h`` summed term by term.

* Yu, de Jong & Lee (2008), J. Econometrics 146, 118-134: the likelihood of periods 1..T given
  ``y_0`` with unit effects (their eq. 2.3-2.4) and the bias vector ``a_{theta,n}`` (Thm. 3 /
  Sec. 5): ``( tr((sum_h A^h) S^{-1}), tr(W (sum_h A^h) S^{-1}), 0, gamma tr(G (sum_h A^h) S^{-1})
  + rho tr(G W (sum_h A^h) S^{-1}) + tr(G), n/(2 sigma2) )`` (unnormalised).
* Lee & Yu (2010), Econometric Theory 26, 564-597: time effects removed by ``F_{n,n-1}``, or
  estimated directly with the bias vector ``(0, ..., 1'G1, T/(2 sigma2))``; their transformation
  approach for the dynamic model (approach ``"ydjl"`` here): ``F_{n,n-1}`` for the time effects,
  unit dummies in the transformed model, and the YdJL vector of ``W* = F' W F``.
* Lee & Yu (2012), Spatial Economic Analysis 7: one W per period, finite-T sums.
* Information matrix: that of the least-squares-dummy-variable likelihood, the inverse of the
  full matrix (dummies included; Elhorst 2014 eq. 3.23 with the dummies as regressors) cut to
  (coefficients, rho, sigma2).
"""
from __future__ import annotations

import numpy as np
from scipy import optimize


def orthonormal_complement(m: int) -> np.ndarray:
    """``F_{m,m-1}``: orthonormal columns orthogonal to the vector of ones (eigenvectors of J_m)."""
    j = np.eye(m) - np.ones((m, m)) / m
    vals, vecs = np.linalg.eigh(j)
    return vecs[:, vals > 0.5]


def dummies(n: int, t: int, effects: str) -> np.ndarray:
    """Unit and/or period dummy columns for data stacked time-major (a full-rank set)."""
    cols = []
    if effects in ("individual", "twoways"):
        cols.append(np.tile(np.eye(n), (t, 1)))
    if effects in ("time", "twoways"):
        d = np.kron(np.eye(t), np.ones((n, 1)))
        cols.append(d[:, 1:] if effects == "twoways" else d)
    return np.column_stack(cols) if cols else np.zeros((n * t, 0))


class DenseDynamic:
    """The dynamic SDM on explicit matrices.

    ``y`` (T0 x N) over every data period, ``x`` (T0 x N x k), ``ws`` one (N x N) W per data
    period (the same array repeated for a constant W).  The likelihood periods are 1..T0-1.
    """

    def __init__(self, y, x, ws, *, lags=("tau", "eta"), durbin=True):
        self.y, self.x, self.ws = np.asarray(y), np.asarray(x), [np.asarray(w) for w in ws]
        self.t0, self.n = self.y.shape
        self.t = self.t0 - 1
        self.lags, self.durbin = lags, durbin

    def design(self):
        """``(y, W y, Z)`` stacked over periods 1..T: Z = [X, W_t X, y_{t-1}, W_{t-1} y_{t-1}]."""
        ys, wys, zs = [], [], []
        for t in range(1, self.t0):
            w, wl = self.ws[t], self.ws[t - 1]
            z = [self.x[t]] + ([w @ self.x[t]] if self.durbin else [])
            z += [self.y[t - 1][:, None]] if "tau" in self.lags else []
            z += [(wl @ self.y[t - 1])[:, None]] if "eta" in self.lags else []
            ys.append(self.y[t])
            wys.append(w @ self.y[t])
            zs.append(np.column_stack(z))
        return np.concatenate(ys), np.concatenate(wys), np.vstack(zs)

    # ---------------------------------------------------------------- likelihoods
    def loglik(self, coef, rho, sigma2, effects, approach):
        """Full log-likelihood with the fixed effects profiled out by least squares on dummies
        (direct) or removed by ``F_T``/``F_N`` (transformation)."""
        y, wy, z = self.design()
        n, t = self.n, self.t
        if approach == "direct":
            r = y - rho * wy - z @ coef
            d = dummies(n, t, effects)
            if d.shape[1]:
                r = r - d @ np.linalg.lstsq(d, r, rcond=None)[0]
            nobs = n * t
            jac = sum(np.linalg.slogdet(np.eye(n) - rho * self.ws[s])[1] for s in range(1, self.t0))
        elif approach == "ydjl":
            q, d, fn = self._mixed(effects)
            r = q @ (y - rho * wy - z @ coef)
            if d.shape[1]:
                r = r - d @ np.linalg.lstsq(d, r, rcond=None)[0]
            nobs = q.shape[0]
            jac = sum(np.linalg.slogdet(np.eye(fn.shape[1]) - rho * fn.T @ self.ws[s] @ fn)[1]
                      for s in range(1, self.t0))
        else:
            ft = orthonormal_complement(t) if effects in ("individual", "twoways") else np.eye(t)
            fn = orthonormal_complement(n) if effects in ("time", "twoways") else np.eye(n)
            q = np.kron(ft.T, fn.T)
            r = q @ (y - rho * wy - z @ coef)
            nobs = q.shape[0]
            # the transformed model's Jacobian: T* ln|I - rho W*| per distinct W (weight T*/T per period)
            jac = sum(np.linalg.slogdet(np.eye(fn.shape[1]) - rho * fn.T @ self.ws[s] @ fn)[1]
                      for s in range(1, self.t0)) * ft.shape[1] / t
        return -0.5 * nobs * np.log(2 * np.pi * sigma2) - float(r @ r) / (2 * sigma2) + jac

    def fit(self, effects, approach, bounds=(-0.99, 0.99)):
        """Maximise :meth:`loglik` (coefficients and sigma2 by their first-order conditions,
        rho by bounded Brent to 1e-13)."""
        y, wy, z = self.design()

        def profile(rho):
            coef, s2 = self._ls(y - rho * wy, z, effects, approach)
            return coef, s2

        def negll(rho):
            coef, s2 = profile(rho)
            return -self.loglik(coef, rho, s2, effects, approach)

        res = optimize.minimize_scalar(negll, bounds=bounds, method="bounded", options={"xatol": 1e-13})
        coef, s2 = profile(res.x)
        return coef, float(res.x), s2

    def _mixed(self, effects):
        """``(Q, D*, F_N)`` of the ``"ydjl"`` approach: ``Q = I_T kron F_N'`` (time effects; identity
        without them) and the unit dummies of the transformed model (a basis of ``span(Q D)``)."""
        n, t = self.n, self.t
        fn = orthonormal_complement(n) if effects in ("time", "twoways") else np.eye(n)
        q = np.kron(np.eye(t), fn.T)
        m = fn.shape[1]  # a full-rank basis of span(Q D): one dummy per transformed unit
        d = np.kron(np.ones((t, 1)), np.eye(m)) if effects in ("individual", "twoways") else np.zeros((m * t, 0))
        return q, d, fn

    def _ls(self, target, z, effects, approach):
        n, t = self.n, self.t
        if approach == "ydjl":
            q, d, _ = self._mixed(effects)
            full = np.column_stack([q @ z, d])
            b = np.linalg.lstsq(full, q @ target, rcond=None)[0]
            r = q @ target - full @ b
            return b[: z.shape[1]], float(r @ r) / q.shape[0]
        if approach == "direct":
            d = dummies(n, t, effects)
            full = np.column_stack([z, d])
            b = np.linalg.lstsq(full, target, rcond=None)[0]
            r = target - full @ b
            return b[: z.shape[1]], float(r @ r) / (n * t)
        ft = orthonormal_complement(t) if effects in ("individual", "twoways") else np.eye(t)
        fn = orthonormal_complement(n) if effects in ("time", "twoways") else np.eye(n)
        q = np.kron(ft.T, fn.T)
        b = np.linalg.lstsq(q @ z, q @ target, rcond=None)[0]
        r = q @ (target - z @ b)
        return b, float(r @ r) / q.shape[0]

    # ----------------------------------------------------------- information
    def information(self, coef, rho, sigma2, effects, approach):
        """Inverse information of (coef, rho, sigma2): the LSDV matrix with dummy columns
        (direct) or of the transformed likelihood, cut to the non-dummy block."""
        y, wy, z = self.design()
        n, t = self.n, self.t
        g = [self.ws[s] @ np.linalg.inv(np.eye(n) - rho * self.ws[s]) for s in range(1, self.t0)]
        gbig = np.zeros((n * t, n * t))
        for s in range(t):
            gbig[s * n:(s + 1) * n, s * n:(s + 1) * n] = g[s]
        if approach == "direct":
            d = dummies(n, t, effects)
            full = np.column_stack([z, d])
            fe = np.linalg.lstsq(d, y - rho * wy - z @ coef, rcond=None)[0] if d.shape[1] else np.zeros(0)
            m = z @ coef + d @ fe  # the non-stochastic part: Z delta plus the fitted effects (LSDV)
            zz, hh = full, gbig @ m
            nobs, weight = n * t, 1.0
            trg = sum(np.trace(gi) for gi in g)
            trgg = sum(np.trace(gi @ gi) + np.trace(gi.T @ gi) for gi in g)
        elif approach == "ydjl":
            q, dstar, fn = self._mixed(effects)
            d = dummies(n, t, effects)
            fe = np.linalg.lstsq(d, y - rho * wy - z @ coef, rcond=None)[0] if d.shape[1] else np.zeros(0)
            zz = np.column_stack([q @ z, dstar])
            hh = q @ gbig @ (z @ coef + d @ fe)
            nobs = q.shape[0]
            gs = [fn.T @ gi @ fn for gi in g]
            trg = sum(np.trace(gi) for gi in gs)
            trgg = sum(np.trace(gi @ gi) + np.trace(gi.T @ gi) for gi in gs)
        else:
            ft = orthonormal_complement(t) if effects in ("individual", "twoways") else np.eye(t)
            fn = orthonormal_complement(n) if effects in ("time", "twoways") else np.eye(n)
            q = np.kron(ft.T, fn.T)
            # the non-stochastic part Z delta + mu + alpha_t (fitted by dummies): with one W per period
            # G_t mu changes over t and is not removed by F_T (with a constant W it is, and this is Z* delta)
            d = dummies(n, t, effects)
            fe = np.linalg.lstsq(d, y - rho * wy - z @ coef, rcond=None)[0]
            zz, hh = q @ z, q @ gbig @ (z @ coef + d @ fe)
            nobs, weight = q.shape[0], ft.shape[1] / t
            gs = [fn.T @ gi @ fn for gi in g]
            trg = weight * sum(np.trace(gi) for gi in gs)
            trgg = weight * sum(np.trace(gi @ gi) + np.trace(gi.T @ gi) for gi in gs)
        k = zz.shape[1]
        info = np.zeros((k + 2, k + 2))
        info[:k, :k] = zz.T @ zz / sigma2
        info[:k, k] = info[k, :k] = zz.T @ hh / sigma2
        info[k, k] = hh @ hh / sigma2 + trgg
        info[k, k + 1] = info[k + 1, k] = trg / sigma2
        info[k + 1, k + 1] = nobs / (2 * sigma2**2)
        inv = np.linalg.inv(info)
        keep = list(range(z.shape[1])) + [k, k + 1]
        return inv[np.ix_(keep, keep)]

    # ------------------------------------------------------------- corrections
    def ydjl_vector(self, tau, eta, rho, sigma2, *, transformed=False, static_part=True, terms=4000):
        """YdJL (2008) ``a_{theta,n}`` times n (constant W), summing ``A^h`` term by term;
        ``transformed``: on ``W* = F_N' W F_N`` (Lee & Yu 2010)."""
        w = self.ws[1]
        n = self.n
        if transformed:
            fn = orthonormal_complement(n)
            w, n = fn.T @ w @ fn, n - 1
        eye = np.eye(n)
        sinv = np.linalg.inv(eye - rho * w)
        a = sinv @ (tau * eye + eta * w)
        total, power = np.zeros((n, n)), eye.copy()
        for _ in range(terms):
            total += power
            power = power @ a
            if np.abs(power).max() < 1e-18:
                break
        g = w @ sinv
        m = total @ sinv
        out = {"tau": np.trace(m), "eta": np.trace(w @ m),
               "rho": tau * np.trace(g @ m) + eta * np.trace(g @ w @ m), "sigma2": 0.0}
        if static_part:
            out["rho"] += np.trace(g)
            out["sigma2"] = n / (2 * sigma2)
        return out

    def time_vector(self, rho, sigma2):
        """Lee & Yu (2010) ``b`` times T: ``(0, ..., sum_t 1'G_t 1 / n, T/(2 sigma2))``."""
        n = self.n
        one = np.ones(n)
        s = sum(one @ self.ws[t] @ np.linalg.inv(np.eye(n) - rho * self.ws[t]) @ one / n for t in range(1, self.t0))
        return {"tau": 0.0, "eta": 0.0, "rho": s, "sigma2": self.t / (2 * sigma2)}

    def chain_vector(self, tau, eta, rho, sigma2, *, transformed=False, static_part=True):
        """Finite-T sums for one W per period (Lee & Yu 2012), products formed explicitly."""
        n, t = self.n, self.t
        ws = self.ws
        f = orthonormal_complement(n) if transformed else np.eye(n)
        star = [f.T @ wi @ f for wi in ws]
        m = f.shape[1]
        eye = np.eye(m)
        sinv = [np.linalg.inv(eye - rho * wi) for wi in star]
        amat = [None] + [sinv[s] @ (tau * eye + eta * star[s - 1]) for s in range(1, t + 1)]

        def phi(a_end, s):  # A_{a_end} ... A_{s+1}
            p = eye.copy()
            for j in range(s + 1, a_end + 1):
                p = amat[j] @ p
            return p

        out = {"tau": 0.0, "eta": 0.0, "rho": 0.0, "sigma2": 0.0}
        for tt in range(1, t + 1):
            for s in range(1, tt):
                out["tau"] += np.trace(phi(tt - 1, s) @ sinv[s]) / t
                out["eta"] += np.trace(star[tt - 1] @ phi(tt - 1, s) @ sinv[s]) / t
                out["rho"] += np.trace(star[tt] @ phi(tt, s) @ sinv[s]) / t
        if static_part:
            out["rho"] += sum(np.trace(star[s] @ sinv[s]) for s in range(1, t + 1)) / t
            out["sigma2"] = m / (2 * sigma2)
        return out
