"""Log-determinant, trace terms and ``G``-products of a time-varying W (means over periods).

``PanelLogDet(rho) = (1/T) sum_t ln|I - rho W_t| = sum_g (m_g / T) ln|I - rho W_g|`` over the
distinct matrices ``W_g`` (``m_g`` periods each), with the same interface as
:class:`~spillmap.estimation._logdet.LogDet` (bounds: the intersection of the admissible
intervals; the cheap series approximation and its derivatives: the same weighted sums).
:func:`panel_traces` gives the weighted means of ``tr(G_t)``, ``tr(G_t G_t)``, ``tr(G_t'G_t)``
and ``||G_t'1||^2``; :class:`PanelGSolver` applies ``G_t`` to the N-block of each period.
With one distinct matrix every weight is exactly 1.0, so a constant W given per period gives
bit-for-bit the constant-W numbers.  See :mod:`spillmap.estimation._timevarying`.

Verification (``tests/test_timevarying.py``): :class:`PanelLogDet` with one changed period at
N = 3 equals the closed form from the eigenvalues of the complete graph and the path (1e-12),
bounds (-1, 1).  Through the fit: a constant W given per period reproduces the constant-W
estimates, standard errors and log-likelihood (1e-12); with a W per period, estimates (1e-7),
log-likelihood (1e-6) and covariance (1e-6 relative) equal the dense ``tests/_dynamic_oracle.py``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._logdet import LogDet
from ._traces import DENSE_TRACE_MAX_N, GSolver, Traces

__all__ = ["PanelLogDet", "panel_traces", "PanelGSolver", "logdet_for", "traces_for", "gsolver_for"]


class PanelLogDet:
    """``(1/T) sum_t ln|I - rho W_t|`` as a callable (module notes)."""

    def __init__(self, pw: Any, method: str = "auto", *, cost_based: bool = False) -> None:
        self.pw = pw
        t = float(pw.t)
        self.parts = tuple((LogDet(w, method, cost_based=cost_based), len(pos) / t) for w, pos in pw.groups)
        if len(self.parts) > 1:  # settle "auto" per matrix now: the search would otherwise lengthen the
            for ld, _ in self.parts:  # surrogate series of every W before choosing (costly for dense W)
                if ld.undecided:
                    hi = ld.bounds[1]
                    ld.choose(0.5 * hi if np.isfinite(hi) else 0.5)

    def _sum(self, f) -> float:
        return float(sum(wt * f(ld) for ld, wt in self.parts))

    @property
    def resolved_method(self) -> str:
        return "eigen" if all(ld.resolved_method == "eigen" for ld, _ in self.parts) else "lu"

    @property
    def exact_derivative(self) -> bool:
        return all(ld.exact_derivative for ld, _ in self.parts)

    @property
    def bounds(self) -> tuple[float, float]:
        lo = max(ld.bounds[0] for ld, _ in self.parts)
        hi = min(ld.bounds[1] for ld, _ in self.parts)
        return lo, hi

    def __call__(self, rho: float) -> float:
        return self._sum(lambda ld: ld(rho))

    def derivative(self, rho: float) -> float:
        return self._sum(lambda ld: ld.derivative(rho))

    def approx(self, rho: float) -> float:
        return self._sum(lambda ld: ld.approx(rho))

    def approx_derivative(self, rho: float) -> float:
        return self._sum(lambda ld: ld.approx_derivative(rho))

    def extend_series_for(self, rho: float) -> bool:
        return any([ld.extend_series_for(rho) for ld, _ in self.parts])

    def choose(self, rho: float) -> str:
        for ld, _ in self.parts:
            ld.choose(rho)
        return self.resolved_method


def panel_traces(pw: Any, rho: float, *, probes: int, exact: bool | None, lag: bool,
                 logdet: PanelLogDet | None) -> tuple[Traces, list]:
    """Weighted means of the trace terms over periods and the LU of each distinct ``I - rho W_g``
    (None where not needed)."""
    exact = pw.n <= DENSE_TRACE_MAX_N if exact is None else exact
    fields = np.zeros(4)
    lus = []
    all_exact = True
    parts = logdet.parts if logdet is not None else [(LogDet(w, "lu"), len(pos) / pw.t) for w, pos in pw.groups]
    for (w, _), (ld, wt) in zip(pw.groups, parts):
        lu = local = None
        if not exact or lag:
            lu = ld.factor(rho)
        if not exact and logdet is not None:
            local = ld.local_traces(rho)
        tr = Traces.compute(w, rho, probes=probes, exact=exact, lu=lu, local=local)
        fields += wt * np.array([tr.tr_g, tr.tr_gg, tr.tr_gtg, tr.gtl_sq])
        all_exact &= tr.exact
        lus.append(lu)
    return Traces(*(float(v) for v in fields), all_exact), lus


class PanelGSolver:
    """Applies ``G_t = W_t (I - rho W_t)^{-1}`` to the N-block of each period of a panel vector."""

    def __init__(self, pw: Any, rho: float, *, lus: list | None = None) -> None:
        self.pw = pw
        lus = lus or [None] * len(pw.groups)
        self.solvers = [GSolver(w, rho, lu=lu) for (w, _), lu in zip(pw.groups, lus)]

    def apply_panel(self, v: np.ndarray, t: int) -> np.ndarray:
        n = self.pw.n
        vr = np.asarray(v, dtype=float).reshape(t, n)
        out = np.empty_like(vr)
        for (_, pos), solver in zip(self.pw.groups, self.solvers):
            idx = list(pos)
            block = solver.apply_panel(vr[idx].reshape(-1), len(idx))
            out[idx] = block.reshape(len(idx), n)
        return out.reshape(-1)


# --------------------------------------------------------- dispatch helpers
def logdet_for(w: Any, method: str, *, cost_based: bool = False) -> Any:
    """A :class:`LogDet` for one W, a :class:`PanelLogDet` for one W per period."""
    from ._timevarying import PanelWeights

    if isinstance(w, PanelWeights):
        return PanelLogDet(w, method, cost_based=cost_based)
    return LogDet(w, method, cost_based=cost_based)


def traces_for(w: Any, rho: float, *, probes: int, exact: bool | None, lag: bool, logdet: Any) -> tuple[Traces, Any]:
    """``(traces, lu)`` at ``rho`` for one W (the LU of ``I - rho W``) or per period (the list of LUs)."""
    from ._timevarying import PanelWeights

    if isinstance(w, PanelWeights):
        return panel_traces(w, rho, probes=probes, exact=exact, lag=lag, logdet=logdet)
    exact = w.n <= DENSE_TRACE_MAX_N if exact is None else exact
    lu = local = None
    if not exact or lag:
        lu = (logdet if logdet is not None else LogDet(w, "lu")).factor(rho)
    if not exact and logdet is not None:
        local = logdet.local_traces(rho)
    return Traces.compute(w, rho, probes=probes, exact=exact, lu=lu, local=local), lu


def gsolver_for(w: Any, rho: float, lu: Any) -> Any:
    from ._timevarying import PanelWeights

    if isinstance(w, PanelWeights):
        return PanelGSolver(w, rho, lus=lu)
    return GSolver(w, rho, lu=lu)
