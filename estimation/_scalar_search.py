"""The one-dimensional maximisation of a concentrated log-likelihood in ``rho`` or ``lambda``:
bounded Brent search (``scipy.optimize.minimize_scalar``), polished by a root search
(``brentq``) on the analytic derivative when it is exact, and the surrogate-guided search that
evaluates the exact log-determinant only where the search needs it (one sparse LU per
evaluation).  Written by hand around scipy's optimisers; used by :mod:`._ml`.

Verification (``tests/test_est_logdet.py``): on ``-(r - 0.3)^2`` Brent's search returns 0.3 to
1e-7 and the derivative polish to 1e-14, a maximum at the bound raises; with a surrogate off by
``0.01 sin(r)`` the search returns the exact maximiser to 1e-10 in at most 9 evaluations.  Through
the fit (``tests/test_est_panel.py``): the surrogate-guided LU path gives the eigenvalue path's
estimates to 1e-9 and log-likelihood to 1e-8.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from spillmap.errors import ConvergenceError

__all__ = ["ScalarOptimum", "maximize_scalar", "search_interval", "surrogate_start"]


@dataclass(frozen=True)
class ScalarOptimum:
    x: float
    fun: float
    nfev: int
    polished: bool


def maximize_scalar(
    f: Callable[[float], float],
    bounds: tuple[float, float],
    *,
    tol: float = 1e-10,
    df: Callable[[float], float] | None = None,
    name: str = "rho",
    f_approx: Callable[[float], float] | None = None,
    df_approx: Callable[[float], float] | None = None,
    x0: float | None = None,
    correction: Callable[[float], float] | None = None,
) -> ScalarOptimum:
    """Maximise ``f`` on the open interval ``bounds``.

    Bounded Brent search (``minimize_scalar(method="bounded")``) with ``xatol=tol``,
    then, when the analytic derivative ``df`` is given, a ``brentq`` root search
    of ``df`` in a small bracket around the optimum (to about 1e-14).  When a cheap
    approximation ``f_approx`` (with derivative ``df_approx``) is given (large N), the
    exact function is instead maximised through it by :func:`_surrogate_search`
    (three or four exact evaluations, the last at the returned point), starting from
    ``x0`` (default: the maximiser of ``f_approx``); Brent's search on the whole
    interval is the fallback when that does not settle.  ``correction(x)``, when given,
    computes ``f(x) - f_approx(x)`` directly (without the rounding of the large common
    part of the two).

    Raises
    ------
    ConvergenceError
        When the optimiser fails or the maximum lies at a bound of the interval.
    """
    lo, hi = max(bounds[0], -1e3), min(bounds[1], 1e3)
    width = hi - lo
    a, b = search_interval(bounds)
    nfev = 0

    def negf(x: float) -> float:
        nonlocal nfev
        nfev += 1
        v = f(x)
        return -v if np.isfinite(v) else np.inf

    if f_approx is not None and df_approx is not None:
        found = _surrogate_search(negf, f_approx, df_approx, a, b, x0=x0, tol=tol, correction=correction)
        if found is not None:
            return ScalarOptimum(found[0], found[1], nfev, True)
    res = optimize.minimize_scalar(negf, bounds=(a, b), method="bounded",
                                   options={"xatol": tol, "maxiter": 500})
    if not res.success or not np.isfinite(res.fun):
        raise ConvergenceError(
            f"the search for {name} in ({lo:.4f}, {hi:.4f}) failed: {res.message}. "
            "Check the data for near-collinearity or use another weights matrix."
        )
    x = float(res.x)
    if x - a <= 1e-5 * width or b - x <= 1e-5 * width:
        raise ConvergenceError(
            f"the estimate of {name} ({x:.6f}) lies at the bound of its admissible interval "
            f"({lo:.4f}, {hi:.4f}): the likelihood has no interior maximum.  The model is "
            "probably misspecified for these data (e.g. a trending variable without time "
            "effects; or, with time effects, a W so dense that W y is nearly the period mean, "
            "which the time effects absorb) or W does not suit them."
        )
    polished = False
    if df is not None:
        step = max(1e-4, 10 * tol)
        left, right = max(a, x - step), min(b, x + step)
        try:
            dl, dr = df(left), df(right)
            if np.isfinite(dl) and np.isfinite(dr) and dl > 0 > dr:
                xr = optimize.brentq(df, left, right, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
                if f(xr) >= -res.fun - 1e-9 * max(1.0, abs(res.fun)):
                    x, polished = float(xr), True
        except (ValueError, RuntimeError):  # pragma: no cover - keep Brent's answer
            pass
    return ScalarOptimum(x, float(-res.fun) if not polished else float(f(x)), nfev, polished)


def search_interval(bounds: tuple[float, float]) -> tuple[float, float]:
    """The closed interval searched inside the open ``bounds`` (clipped to +-1e3 and
    shrunk by 1e-7 of its width at each end)."""
    lo, hi = max(bounds[0], -1e3), min(bounds[1], 1e3)
    eps = 1e-7 * (hi - lo)
    return lo + eps, hi - eps


def surrogate_start(f_approx: Callable[[float], float], a: float, b: float) -> float:
    """The maximiser of the cheap approximation on ``(a, b)`` (bounded Brent, xatol 1e-9)."""
    r0 = optimize.minimize_scalar(lambda v: -f_approx(v), bounds=(a, b), method="bounded",
                                  options={"xatol": 1e-9, "maxiter": 500})
    return float(r0.x)


def _surrogate_step(pts: list[float], cs: list[float], df_approx: Callable[[float], float],
                    a: float, b: float, h: float, width: float) -> float | None:
    """Next iterate: the root of ``df_approx + q'`` near the latest point, ``q`` the
    polynomial (degree <= 3) through the corrections at up to four exact points nearest
    to it (within ``0.02 width``; a point closer than ``h/100`` to one already taken is
    dropped, so that rounding in ``c`` does not dominate its slope)."""
    x = pts[-1]
    order = sorted(range(len(pts)), key=lambda i: (abs(pts[i] - x), -i))
    chosen: list[int] = []
    for i in order:
        if abs(pts[i] - x) > 0.02 * width:
            break
        if all(abs(pts[i] - pts[j]) >= 1e-2 * h for j in chosen):
            chosen.append(i)
        if len(chosen) == 4:
            break
    if len(chosen) < 2:
        return None
    px = (np.array([pts[i] for i in chosen]) - x) / h
    q = np.polyfit(px, np.array([cs[i] for i in chosen]), len(chosen) - 1)
    dq = np.polyder(q)

    def g(v: float) -> float:
        return df_approx(v) + float(np.polyval(dq, (v - x) / h)) / h

    step = 0.05 * width
    lo, hi = max(a + h, x - step), min(b - h, x + step)
    try:
        if not (g(lo) > 0 > g(hi)):
            return None
        return float(optimize.brentq(g, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200))
    except (ValueError, RuntimeError, FloatingPointError):
        return None


def _surrogate_search(negf: Callable[[float], float], f_approx: Callable[[float], float],
                      df_approx: Callable[[float], float], a: float, b: float, *,
                      x0: float | None = None, tol: float = 1e-10, h: float = 1e-4,
                      maxit: int = 8, correction: Callable[[float], float] | None = None
                      ) -> tuple[float, float] | None:
    """Maximise an expensive ``f = -negf`` through a cheap approximation.

    The correction ``c = f - f_approx`` is smooth and slowly varying.  Exact values at
    ``x0`` and ``x0 + h`` give its slope; each further step takes the root of
    ``df_approx + q'`` (``brentq``, xtol 1e-15), ``q`` the least-squares quadratic of ``c``
    through the exact points within ``4 h`` of the latest one (a point at ``+-h`` is added
    when the latest has no neighbour), and evaluates ``f`` there.  The iteration stops
    when the next step would be shorter than ``tol``, or when two successive steps are
    shorter than ``10 tol`` (the rounding floor of the slope, reached in practice only
    on small problems): the latest evaluated point is returned, so its factorisation
    is the one at the estimate.  At the fixed point the
    surrogate's derivative equals the exact one up to ``O(h^2)`` times the third
    derivative of ``c``, plus rounding/h, so the point is the exact maximiser to about
    ``tol``.  Typically three or four evaluations.  Returns ``(x, f(x))``, or None (the
    caller then uses Brent's method) when the iteration does not settle, leaves the
    interval or ``f`` is not locally maximal there.
    """
    width = b - a
    if x0 is None:
        try:
            x0 = surrogate_start(f_approx, a, b)
        except (ValueError, FloatingPointError):  # pragma: no cover
            return None
    pts: list[float] = []
    cs: list[float] = []
    vals: list[float] = []

    def add(v: float, pos: int | None = None) -> bool:
        fv = -negf(v)
        c = fv - f_approx(v) if correction is None else correction(v)
        if not (np.isfinite(fv) and np.isfinite(c)):
            return False
        i = len(pts) if pos is None else pos
        pts.insert(i, v)
        vals.insert(i, fv)
        cs.insert(i, c)
        return True

    def interior(v: float) -> bool:
        return a + 2 * h < v < b - 2 * h and min(v - a, b - v) >= 1e-4 * width

    if not interior(x0) or not (add(x0) and add(x0 + h)):
        return None
    last_step = np.inf
    for _ in range(maxit):
        xn = _surrogate_step(pts, cs, df_approx, a, b, h, width)
        if xn is None or not interior(xn):
            return None
        step = abs(xn - pts[-1])
        if step <= tol or (step <= 10 * tol and last_step <= 10 * tol):
            fx = vals[-1]
            if fx >= max(vals) - 1e-12 * max(1.0, abs(fx)):
                return pts[-1], fx
            return None
        last_step = step
        if not add(xn):
            return None
    return None
