"""Log-determinant ``ln|I - rho W|``, its parameter bounds and the trace terms of
the information matrix.

Written by hand on numpy/scipy (no library offers the combination needed here:
exact eigenvalue log-determinants for small N, sparse LU for large N, exact or
stochastic traces of ``G = W (I - rho W)^{-1}``, all from one object).

* ``method="eigen"``: ``ln|I - rho W| = sum_i ln|1 - rho * lambda_i|`` with the
  eigenvalues cached on the :class:`~spillmap.spatial.weights.SpatialWeights` object
  (complex eigenvalues are handled by the modulus).  Ord (1975).
* ``method="lu"``: sparse LU of ``I - rho W`` (:func:`spillmap.estimation._lu.splu`,
  counted in :data:`~spillmap.estimation._lu.LU_STATS`); ``ln|det| = sum ln|diag(U)|``
  because ``L`` has a unit diagonal (the approach of spreg's ``lag_c_loglik_sp`` and of
  Pace & Barry 1997).  One factorisation per likelihood evaluation; the last one is
  kept (:meth:`LogDet.factor`) so that the traces and ``G``-products at the estimate
  reuse it.
* ``method="auto"`` with ``cost_based=True`` (the fixed-effects fit): the eigenvalues
  when they are already cached on W; otherwise the cheaper of the two by measured cost
  (:meth:`LogDet.choose`): the LU path's cost is
  the flop count of an actual factorisation of ``I - rho W`` (from the fill of its L
  and U factors) times the three or so further factorisations a search needs, the
  eigenvalues' cost ``4/3 N^3`` (symmetric or symmetrisable W) or ``10 N^3`` flops,
  each at a flop rate measured on a 2-core x86 machine with
  ``benchmarks/bench_speed.py --calibrate`` (SuperLU about 0.6 GF/s, LAPACK
  ``eigvalsh`` about 6 GF/s single-threaded).  In practice the eigenvalues win for
  N up to about 120 on contiguity W and for dense W (inverse distance) of a few hundred units.
* Traces ``tr(G)``, ``tr(GG)``, ``tr(G'G)``: exact at the estimate for
  N <= :data:`DENSE_TRACE_MAX_N` (:func:`spillmap.estimation._traces.exact_traces`);
  otherwise Hutchinson's estimator with Rademacher probes and sparse LU solves (seeded,
  so reproducible; relative error about ``sqrt(2/probes)`` of the Frobenius norm of the
  remainder after a Neumann-polynomial control variate).

Verification: ``tests/test_est_logdet.py`` compares both log-determinant methods
with ``numpy.linalg.slogdet`` and the traces with dense formulas;
``tests/test_speed_internals.py`` checks the factorisation reuse and counts.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse.linalg as spla

from spillmap.errors import WeightsError
from spillmap.spatial.weights import SpatialWeights

from ._lu import IMinusRhoW, factor_i_minus, lu_logdet
from ._traces import DENSE_TRACE_MAX_N, GSolver, Traces, series_order_for, trace_powers

__all__ = ["LogDet", "log_det", "Traces", "GSolver", "EIGEN_MAX_N", "DENSE_TRACE_MAX_N"]

#: Largest N for which ``method="auto"`` without ``cost_based`` (and the random-effects
#: estimators) use the eigenvalues.
EIGEN_MAX_N = 2500
#: Largest N for which ``method="auto"`` considers the eigenvalues at all.
EIGEN_CANDIDATE_MAX_N = 3000
#: Flop rates (flop/s) of SuperLU's factorisation and of single-threaded LAPACK
#: ``eigvalsh``, measured by ``benchmarks/bench_speed.py --calibrate``.
SPARSE_LU_RATE = 0.6e9
DENSE_EIG_RATE = 6.0e9
#: Fixed SuperLU cost per unit (s), measured likewise (set-up, ordering).
SPARSE_LU_PER_ROW = 1e-6
#: Rademacher vectors and seed of the series shared with
#: :func:`spillmap.estimation.effects.compute_effects` (its defaults).
SERIES_VECTORS = 50
SERIES_SEED = 0

LogDetMethod = Literal["auto", "eigen", "lu"]


def _lndet_eigen(rho: float, ev: np.ndarray) -> float:
    """``sum_i ln|1 - rho lambda_i|`` (works for complex eigenvalues)."""
    return float(np.sum(np.log(np.abs(1.0 - rho * ev))))


def _lndet_eigen_many(rhos: np.ndarray, ev: np.ndarray, block: int) -> np.ndarray:
    """:func:`_lndet_eigen` at every ``rho`` of ``rhos``, row by row over blocks of at most
    ``block`` values of ``rho * lambda`` (bounded temporaries whatever N)."""
    out = np.empty(rhos.size)
    step = max(1, block // max(ev.size, 1))
    for i in range(0, rhos.size, step):
        out[i:i + step] = np.sum(np.log(np.abs(1.0 - rhos[i:i + step, None] * ev[None, :])), axis=1)
    return out


def _lu_flops(lu: spla.SuperLU) -> float:
    """Flops of a sparse LU factorisation from its fill: ``sum_k 2 l_k u_k + l_k`` with
    ``l_k``/``u_k`` the off-diagonal counts of column k of L and row k of U (both CSC)."""
    n = lu.shape[0]
    lcol = np.diff(lu.L.indptr) - 1
    urow = np.bincount(lu.U.indices, minlength=n) - 1
    return float(2.0 * np.sum(lcol * urow) + np.sum(lcol))


def _eigen_cached(w: SpatialWeights) -> bool:
    return "eigenvalues" in getattr(w, "__dict__", {})


def _extreme_real_eigenvalues(w: SpatialWeights, method: str) -> tuple[float, float]:
    """Smallest and largest real eigenvalue of W (or valid bounds on them).

    Dense (cached on ``w``) for the eigen method.  For the LU method the largest
    eigenvalue is 1 for a row-standardised W and comes from ARPACK (``eigs``,
    ``which="LR"``) otherwise; the smallest is replaced by ``-lambda_max``: W is
    non-negative, so by Perron-Frobenius every eigenvalue has modulus at most
    ``lambda_max`` and ``(-1/lambda_max, 1/lambda_max)`` is an admissible
    (conservative) interval -- the choice of LeSage & Pace's and Elhorst's MATLAB
    code for large N (``rmin = -1``, ``rmax = 1``).  ARPACK's smallest-eigenvalue
    search converges very slowly on lattices (27 s at N = 40,000).
    """
    if method == "eigen":
        ev = w.eigenvalues
        real = ev.real[np.abs(ev.imag) < 1e-10] if np.iscomplexobj(ev) else ev
        return float(real.min()), float(real.max())
    m = w.sparse
    if w.is_row_standardized and not len(w.islands):
        hi = 1.0
    else:
        try:
            hi = float(np.max(spla.eigs(m, k=1, which="LR", return_eigenvectors=False, tol=1e-8).real))
        except Exception as exc:  # pragma: no cover - ARPACK failure
            raise WeightsError(f"could not compute the largest eigenvalue of W {w.name}: {exc}") from None
    return -hi, hi


@dataclass(frozen=True, eq=False)
class LogDet:
    """``ln|I - rho W|`` as a callable, with the admissible interval of ``rho``.

    Parameters
    ----------
    w
        The spatial weights.
    method
        ``"eigen"``, ``"lu"`` or ``"auto"``: the eigenvalues when they are cached on
        ``w``; otherwise, with ``cost_based=True`` (the fixed-effects fit), the LU method
        until :meth:`choose` compares the measured costs (module notes), and without it
        the eigenvalues up to :data:`EIGEN_MAX_N` units (for estimators that evaluate the
        log-determinant many times, e.g. the SAC model's two-parameter search).

    Attributes
    ----------
    bounds
        ``(1/lambda_min, 1/lambda_max)`` over the real eigenvalues (eigen method) or
        ``(-1/lambda_max, 1/lambda_max)`` (LU method).

    Notes
    -----
    ``ln|I - rho W| = sum_i ln|1 - rho lambda_i|`` (Ord 1975) or
    ``sum_i ln|U_ii|`` of the sparse LU factorisation.

    Verification: equal to ``numpy.linalg.slogdet`` to 1e-10 (tests).
    """

    w: SpatialWeights
    method: LogDetMethod = "auto"
    cost_based: bool = field(default=False, kw_only=True)
    _resolved: str = field(init=False, default="")
    _undecided: bool = field(init=False, default=False)
    _state: dict = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.method not in ("auto", "eigen", "lu"):
            raise ValueError(f"method must be one of 'auto', 'eigen', 'lu'; got {self.method!r}")
        m = self.method
        undecided = False
        if m == "auto":
            if _eigen_cached(self.w):
                m = "eigen"
            elif self.cost_based:
                m, undecided = "lu", self.w.n <= EIGEN_CANDIDATE_MAX_N
            else:
                m = "eigen" if self.w.n <= EIGEN_MAX_N else "lu"
        object.__setattr__(self, "_resolved", m)
        object.__setattr__(self, "_undecided", undecided)
        self._state.update(values={}, last=None, order=12)

    @property
    def resolved_method(self) -> str:
        """``"eigen"`` or ``"lu"``."""
        return self._resolved

    @property
    def undecided(self) -> bool:
        """True while ``method="auto"`` may still switch to the eigenvalues (:meth:`choose`)."""
        return self._undecided

    @property
    def bounds(self) -> tuple[float, float]:
        key = ("bounds", self._resolved)
        if key not in self._state:
            lo, hi = _extreme_real_eigenvalues(self.w, self._resolved)
            self._state[key] = (1.0 / lo if lo < 0 else -np.inf, 1.0 / hi if hi > 0 else np.inf)
        return self._state[key]

    def __call__(self, rho: float) -> float:
        if self._resolved == "eigen":
            return _lndet_eigen(rho, self.w.eigenvalues)
        rho = float(rho)
        values = self._state["values"]
        if rho not in values:
            values[rho] = lu_logdet(self.factor(rho))
        return values[rho]

    def many(self, rhos: np.ndarray, *, block: int = 2**21) -> np.ndarray:
        """``ln|I - rho W|`` at each of ``rhos``: with eigenvalues in array operations (blocks of
        at most ``block`` eigenvalue products), else one evaluation (LU) per value."""
        rhos = np.asarray(rhos, dtype=float)
        if self._resolved == "eigen":
            return _lndet_eigen_many(rhos, self.w.eigenvalues, block)
        return np.array([self(v) for v in rhos], dtype=float)

    @functools.cached_property
    def _w_csc(self) -> IMinusRhoW:
        return IMinusRhoW(self.w.sparse)

    def factor(self, rho: float) -> spla.SuperLU:
        """The sparse LU of ``I - rho W``: the last factorisation when it was at this
        ``rho`` (the search ends at the estimate, so the traces reuse it), else a new
        one, which then becomes the last."""
        rho = float(rho)
        last = self._state["last"]
        if last is not None and last[0] == rho:
            return last[1]
        self._state["last"] = None  # free the old factors before the new ones
        lu = factor_i_minus(rho, self._w_csc)
        self._state["last"] = (rho, lu)
        return lu

    def choose(self, rho: float) -> str:
        """Settle ``method="auto"``: factorise at ``rho`` (a point the search needs, so
        the factorisation is kept as its first evaluation) and switch to the
        eigenvalues when their predicted cost is below that of three more such
        factorisations (module notes).  Returns the method."""
        if not self._undecided:
            return self._resolved
        object.__setattr__(self, "_undecided", False)
        self(rho)
        lu = self._state["last"][1]
        n = self.w.n
        t_lu = _lu_flops(lu) / SPARSE_LU_RATE + SPARSE_LU_PER_ROW * n
        sym = self.w.is_symmetric or self.w.has_symmetric_pattern
        t_eig = (4.0 / 3.0 if sym else 10.0) * float(n) ** 3 / DENSE_EIG_RATE
        if t_eig < 3.0 * t_lu:
            object.__setattr__(self, "_resolved", "eigen")
            self._state["last"] = None
        return self._resolved

    # ----------------------------------------------------- cheap surrogate
    def _powers(self) -> np.ndarray:
        """``tr(W^k)``, k = 1..K (memoised per order)."""
        key = ("powers", self._state["order"])
        if key not in self._state:
            t = trace_powers(self.w, self._state["order"], n_vectors=SERIES_VECTORS, seed=SERIES_SEED)
            self._state[key] = t[1:-1]
        return self._state[key]

    def extend_series_for(self, rho: float, small: float = 1e-3) -> bool:
        """Lengthen the series of :meth:`approx` so that ``|rho lambda_max|^K <= small``
        (at most 1,000 terms); True when it was lengthened."""
        q = abs(rho) / max(self.bounds[1], 1e-12) if np.isfinite(self.bounds[1]) else abs(rho)
        need = series_order_for(min(q, 0.999999), small, 12, 1000)
        if need <= self._state["order"]:
            return False
        self._state["order"] = need
        return True

    def approx(self, rho: float) -> float:
        """A cheap approximation of ``ln|I - rho W|`` for locating the optimum: exact
        with eigenvalues, else the series ``-sum_k rho^k tr(W^k)/k`` (K = 12 terms, or more
        after :meth:`extend_series_for`) with the Hutchinson traces shared with the
        effects (Barry & Pace 1999).  Only used to narrow the search; the estimate
        always maximises the exact log-determinant."""
        if self._resolved == "eigen":
            return self(rho)
        t = self._powers()
        k = np.arange(1, t.size + 1)
        return float(-np.sum(rho**k * t / k))

    def approx_derivative(self, rho: float) -> float:
        """Derivative of :meth:`approx`: ``-sum_k rho^(k-1) tr(W^k)``."""
        if self._resolved == "eigen":
            return self.derivative(rho)
        t = self._powers()
        k = np.arange(1, t.size + 1)
        return float(-np.sum(rho ** (k - 1) * t))

    def approx_second_derivative(self, rho: float) -> float:
        """Second derivative of :meth:`approx`: ``-sum_k (k-1) rho^(k-2) tr(W^k)``."""
        t = self._powers()
        k = np.arange(2, t.size + 1)
        return float(-np.sum((k - 1) * rho ** (k - 2) * t[1:]))

    def local_traces(self, rho: float) -> tuple[float, float] | None:
        """``(tr(G), tr(GG))`` at ``rho`` from the exact LU values the search left near it.

        ``tr(G) = -d ln|A|/d rho`` and ``tr(GG) = -d^2 ln|A|/d rho^2``: the series
        :meth:`approx` gives most of both, the polynomial (cubic, or quadratic with three
        points) through the differences between exact and approximate log-determinants
        at the nearest evaluated points (within 0.02, at least 1e-7 apart so that
        rounding does not dominate, one of them at ``rho``) the rest.  The error
        is that of cubic interpolation of a smooth correction (about 1e-7 relative on a
        50 x 50 lattice against the exact traces, ``tests/test_speed_internals.py``),
        far below Hutchinson's.  None when fewer than three such points exist (LU method
        only)."""
        if self._resolved != "lu":
            return None
        values = self._state["values"]
        if rho not in values:
            return None
        chosen = [rho]
        for p in sorted(values, key=lambda v: abs(v - rho)):
            if abs(p - rho) > 0.02 or len(chosen) == 4:
                break
            if all(abs(p - q) >= 1e-7 for q in chosen):
                chosen.append(p)
        if len(chosen) < 3:
            return None
        x = np.array(chosen)
        scale = max(float(np.max(np.abs(x - rho))), 1e-12)
        c = np.array([values[p] - self.approx(p) for p in chosen])
        q = np.polyfit((x - rho) / scale, c, len(chosen) - 1)[::-1]  # q[j]: coefficient of u^j
        d1 = self.approx_derivative(rho) + q[1] / scale
        d2 = self.approx_second_derivative(rho) + 2.0 * q[2] / scale**2
        return -d1, -d2

    @property
    def exact_derivative(self) -> bool:
        """True when :meth:`derivative` is exact (eigenvalue method)."""
        return self._resolved == "eigen"

    def derivative(self, rho: float) -> float:
        """``d ln|I - rho W| / d rho = -tr(W (I - rho W)^{-1}) = -sum_i lambda_i/(1 - rho lambda_i)``
        (exact with eigenvalues; a central difference of the LU log-determinant otherwise)."""
        if self._resolved == "eigen":
            ev = self.w.eigenvalues
            return float(-np.sum((ev / (1.0 - rho * ev)).real))
        h = 1e-5
        return (self(rho + h) - self(rho - h)) / (2 * h)


def log_det(w: SpatialWeights, rho: float, method: LogDetMethod = "auto") -> float:
    """``ln|I - rho W|`` (see :class:`LogDet`)."""
    return LogDet(w, method)(rho)
