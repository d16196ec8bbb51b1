r"""Bayesian posterior model probabilities of OLS/SLX/SAR/SDM/SEM/SDEM panels with fixed
effects, and of competing weight matrices (LeSage 2014, 2015).

Priors (LeSage & Pace 2009, sec. 6.3; LeSage 2014): flat on ``beta``, ``p(sigma) ∝
1/sigma``, uniform on the spatial parameter over ``(r_min, r_max)`` with ``r_min =
1/lambda_min(W)``, ``r_max = 1/lambda_max(W)`` (1 for a row-standardised W; density
``1/D``, ``D = r_max - r_min``), equal prior probability of each model.  With the data demeaned for the fixed effects (lags formed on the raw data
first), ``k`` regressors, ``dof = (NT - k - n_fe)/2`` (``n_fe`` = 1 for the constant
without effects, N, T or N + T - 1, as Elhorst's adjustment of LeSage's code),
``|A(r)| = |I - r W|``:

.. math::

    \ln m_{OLS/SLX} &= \ln\Gamma(dof) - dof\ln(2\pi) - \tfrac12\ln|X'X| - dof\ln(e'e) \\
    \ln m_{SAR/SDM} &= -\ln D + \ln\Gamma(dof) - dof\ln(2\pi) - \tfrac12\ln|X'X|
        + \ln\int_{r_{min}}^{r_{max}} |A(r)|^{T}\, Q(r)^{-dof}\,dr,\quad
        Q(r) = \|M_X (y - r W y)\|^2 \\
    \ln m_{SEM/SDEM} &= -\ln D + \ln\Gamma(dof) - dof\ln(2\pi)
        + \ln\int_{r_{min}}^{r_{max}} |A(r)|^{T}\, |X_r'X_r|^{-1/2}\, Q(r)^{-dof}\,dr, \quad
        X_r = (I_T\otimes A(r))X,\ Q(r) = \|M_{X_r} (I_T\otimes A(r)) y\|^2

(SDM/SDEM/SLX use ``X = [x, W x]``).  Posterior probabilities are
``exp(ln m_j) / sum_i exp(ln m_i)`` computed with the log-sum-exp shift.

The constant ``ln Gamma(dof) - dof ln(2 pi)`` is that of LeSage's code (and SDPDmod's);
under the priors above the exact marginal has ``- dof ln(pi) - ln 2`` instead, a difference
of ``-(dof - 1) ln 2`` that depends on ``k``: comparisons between models with different
numbers of regressors (SDM against SAR) follow that convention (the flat prior on ``beta``
is improper, so its scale is a convention in any case).

Integration rule: composite Simpson's rule on ``grid`` (default 2001, odd) equally
spaced points over the closed interval ``[r_min, r_max]``; at both ends ``|A(r)| = 0``,
so the integrand is taken as its limit 0 there (log
``-inf``); the log of the integral is ``max + ln(Simpson(exp(log - max)))``.  The
quadratic forms are expanded in ``r`` (``Q(r) = e0'e0 - 2 r e0'ed + r^2 ed'ed``
for SAR/SDM, as LeSage's code; ``2 x 2``-block moment matrices for SEM/SDEM), the
log-determinants come from :class:`~spillmap.estimation._logdet.LogDet`.

Departures from the MATLAB code read (``log_marginal_panelprob.m``, LeSage 2013 as
adjusted by Elhorst): its "trapezoid rule" line sums ``(r_{i+1} + r_i)(f_{i+1} -
f_i)/2`` and adds it, unlogged, to the log scale, which is not the integral of
``f``; here the integral is computed as stated above (and checked against adaptive
quadrature).  Its ``T ln|A(r)|`` (not ``T-1``) for individual effects is kept.

Written by hand (numpy/scipy): no Python library computes these marginal likelihoods.

References
----------
LeSage, J. P. (2014). Spatial econometric panel data model specification: a Bayesian
approach. Spatial Statistics 9, 122-145.  LeSage, J. P. (2015). Software for Bayesian
cross section and panel spatial model comparison. J. Geographical Systems 17, 297-310.
LeSage, J. P. and Pace, R. K. (2009). *Introduction to Spatial Econometrics*, ch. 6.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import integrate, special

from spillmap._vocab import FE, FixedEffects, fe_keyword, n_fixed_effects
from spillmap.errors import InputError, check_choice
from spillmap.results import FrameDisplay

from ._checks import lower_choice
from ._logdet import LogDet

if TYPE_CHECKING:
    from spillmap.spatial.weights import SpatialWeights

__all__ = ["ModelProbabilities", "log_marginal", "model_probabilities", "weights_probabilities",
           "posterior_probabilities", "BAYES_MODELS"]

BAYES_MODELS: tuple[str, ...] = ("ols", "slx", "sar", "sdm", "sem", "sdem")
#: grid points x eigenvalues per block of the log-determinants on the grid (temporaries of
#: 16-32 MB at most, whatever N)
GRID_BLOCK = 2**21
BayesModel = Literal["ols", "slx", "sar", "sdm", "sem", "sdem"]


@dataclass(frozen=True)
class ModelProbabilities(FrameDisplay):
    """Log-marginal likelihoods and posterior probabilities (equal prior odds).

    ``log_marginal`` and ``probability`` are Series indexed by model (or by weights
    name for :func:`weights_probabilities`).
    """

    log_marginal: pd.Series
    probability: pd.Series
    effects: str
    grid: int

    def to_frame(self) -> pd.DataFrame:
        """One row per model (or weights matrix): ``log_marginal``, ``probability``."""
        return pd.DataFrame({"log_marginal": self.log_marginal, "probability": self.probability})

    def _caption(self) -> str:
        return (f"Bayesian posterior probabilities, equal prior odds ({self.effects} effects, "
                f"{self.grid}-point grid)")

    def to_dict(self) -> dict:
        """``{"log_marginal": {name: v}, "probability": {name: p}, "effects", "grid"}``."""
        return {"log_marginal": self.log_marginal.to_dict(), "probability": self.probability.to_dict(),
                "effects": self.effects, "grid": self.grid}


def posterior_probabilities(log_marginals: Mapping[str, float]) -> pd.Series:
    """``exp(l_j - max) / sum_i exp(l_i - max)`` (equal prior model probabilities)."""
    s = pd.Series(dict(log_marginals), dtype=float)
    e = np.exp(s - s.max())
    return e / e.sum()


def _log_integral(logf: np.ndarray, r: np.ndarray) -> float:
    m = float(np.max(logf))
    return m + float(np.log(integrate.simpson(np.exp(logf - m), x=r)))


def _sar_q(yd, wyd, xd, r):
    xpx = xd.T @ xd
    e0 = yd - xd @ np.linalg.solve(xpx, xd.T @ yd)
    ed = wyd - xd @ np.linalg.solve(xpx, xd.T @ wyd)
    return (e0 @ e0) - 2 * r * (e0 @ ed) + r * r * (ed @ ed)


def _sem_q(yd, wyd, xd, wxd, r):
    """``Q(r)`` and ``ln|X_r'X_r|`` from the moments of ``[x, Wx]`` and ``[y, Wy]``, for every
    ``r`` of the grid at once (stacked ``(k+1) x (k+1)`` moment matrices, batched LAPACK)."""
    k = xd.shape[1]
    z, wz = np.column_stack([xd, yd]), np.column_stack([wxd, wyd])
    g0, g1, g2 = z.T @ z, z.T @ wz, wz.T @ wz
    rr = np.asarray(r, dtype=float)[:, None, None]
    a = g0[None] - rr * (g1 + g1.T)[None] + rr * rr * g2[None]
    axx, axy = a[:, :k, :k], a[:, :k, k:]
    b = np.linalg.solve(axx, axy)[:, :, 0]
    q = a[:, k, k] - np.einsum("gi,gi->g", axy[:, :, 0], b)
    return q, np.linalg.slogdet(axx)[1]


def _grid_logdets(logdet: LogDet, r: np.ndarray) -> np.ndarray:
    """``ln|I - r W|`` on the grid, ``-inf`` at both ends (module notes): :meth:`LogDet.many`
    on the interior points (with eigenvalues in blocks of :data:`GRID_BLOCK` values)."""
    out = np.full(r.size, -np.inf)
    out[1:-1] = logdet.many(r[1:-1], block=GRID_BLOCK)
    return out


def log_marginal(model: str, yd: np.ndarray, wyd: np.ndarray, xd: np.ndarray, wxd: np.ndarray, *,
                 t: int, n_fe: int, logdet: LogDet, grid: int = 2001) -> float:
    """Log-marginal likelihood of one model on demeaned arrays (formulas in the module docstring).

    ``xd``: the model's regressor matrix (with ``W x`` columns for SLX/SDM/SDEM, the
    constant when there are no effects); ``wxd``: ``W`` applied to those columns
    (needed for SEM/SDEM).
    """
    nt, k = xd.shape
    dof = (nt - k - n_fe) / 2.0
    if dof <= 0:
        raise InputError(f"too few observations for {model}: NT={nt}, k={k}, fixed effects {n_fe}.")
    const = special.gammaln(dof) - dof * np.log(2 * np.pi)
    if model in ("ols", "slx"):
        e = yd - xd @ np.linalg.lstsq(xd, yd, rcond=None)[0]
        return float(const - 0.5 * np.linalg.slogdet(xd.T @ xd)[1] - dof * np.log(e @ e))
    rmin, rmax = logdet.bounds
    if abs(rmax - 1.0) < 1e-9:  # a row-standardised W: lambda_max is 1 exactly, up to the eigen-solver's rounding
        rmax = 1.0
    if grid < 5 or grid % 2 == 0:
        raise InputError(f"grid must be an odd number of points >= 5, got {grid}.")
    r = np.linspace(rmin, rmax, grid)
    with np.errstate(divide="ignore", invalid="ignore"):
        lnd = _grid_logdets(logdet, r)
    lnd_d = -np.log(rmax - rmin)  # the uniform prior's density on (1/lambda_min, 1/lambda_max)
    if model in ("sar", "sdm"):
        logf = t * lnd - dof * np.log(_sar_q(yd, wyd, xd, r))
        return float(lnd_d + const - 0.5 * np.linalg.slogdet(xd.T @ xd)[1] + _log_integral(logf, r))
    q, ldx = _sem_q(yd, wyd, xd, wxd, r)
    logf = t * lnd - 0.5 * ldx - dof * np.log(q)
    return float(lnd_d + const + _log_integral(logf, r))


def _arrays(panel, *, id, time, y, x, w, effects):  # noqa: A002
    from .model import SpatialPanel

    d = SpatialPanel(panel, y=y, x=x, id=id, time=time, w=w, model="slx", fe=effects).data
    k0 = len(d.x_names)
    n_fe = n_fixed_effects(effects, d.n, d.t)
    z = d.Z  # [X (with const when no effects), W x]
    wz = d.w.lag_panel(z, d.t)
    dm = d.demean
    return dm(d.y), dm(d.Wy), dm(z), dm(wz), k0, d, n_fe


@fe_keyword
def model_probabilities(panel: pd.DataFrame, id: str, *, time: str, y: str, x: Sequence[str],  # noqa: A002
                        w: SpatialWeights, fe: FixedEffects = "twoways",
                        models: Sequence[str] = BAYES_MODELS, grid: int = 2001) -> ModelProbabilities:
    """Posterior probabilities of OLS/SLX/SAR/SDM/SEM/SDEM for one W (LeSage 2014).

    Parameters
    ----------
    panel, id, time, y, x, w
        As :class:`~spillmap.estimation.SpatialPanel`; the uniform prior of the
        spatial parameter is on ``(1/lambda_min, 1/lambda_max)`` of ``w``.
    fe
        Fixed effects removed by demeaning before the comparison.
    models
        Any of ``BAYES_MODELS``.
    grid
        Odd number of Simpson points over ``[r_min, r_max]``.

    Returns
    -------
    ModelProbabilities

    Notes
    -----
    **Verification** (``tests/test_bayes.py``): probabilities sum to one; every
    SAR/SDM/SEM/SDEM log-marginal equals brute-force adaptive quadrature
    (``scipy.integrate.quad`` of the integrand computed from explicit regressions at
    each ``r``, relative tolerance 1e-10) to 1e-7, so the probabilities equal the
    ratio of those brute-force marginal likelihoods to 1e-6; OLS equals the closed form
    with an explicit Gamma-function normalisation, and equals R SDPDmod's printed OLS and SLX
    log-marginals on the Cigar panel to their 4 decimals (``tests/test_sdpdmod_reference.py``;
    SDPDmod's spatial ones carry the MATLAB integration line this module departs from: with that
    one line made the trapezoid rule on the log scale, SDPDmod's SAR, SDM, SEM and SDEM
    log-marginals equal these to 1e-8, the rest of its code unchanged); on data
    simulated from a SAR (SEM) the SAR/SDM (SEM/SDEM) family gets the highest probability.
    """
    models = [lower_choice(m, BAYES_MODELS) for m in ([models] if isinstance(models, str) else models)]
    unknown = [m for m in models if m not in BAYES_MODELS]
    if unknown or not models:
        raise InputError(f"models must be chosen from {', '.join(BAYES_MODELS)}; got {list(models)!r}.")
    check_choice("fe", fe, FE)
    yd, wyd, zd, wzd, k0, d, n_fe = _arrays(panel, id=id, time=time, y=y, x=x, w=w, effects=fe)
    if fe == "none":  # the constant is a column of X: counted in k, not in n_fe
        n_fe = 0
    logdet = LogDet(d.w)
    out = {}
    for m in models:
        durbin = m in ("slx", "sdm", "sdem")
        xd, wxd = (zd, wzd) if durbin else (zd[:, :k0], wzd[:, :k0])
        out[m] = log_marginal(m, yd, wyd, xd, wxd, t=d.t, n_fe=n_fe, logdet=logdet, grid=grid)
    lm = pd.Series(out, name="log_marginal")
    return ModelProbabilities(lm, posterior_probabilities(out).rename("probability"), fe, grid)


@fe_keyword
def weights_probabilities(panel: pd.DataFrame, id: str, *, time: str, y: str, x: Sequence[str],  # noqa: A002
                          weights: Mapping[str, object], model: BayesModel = "sdm",
                          fe: FixedEffects = "twoways",
                          grid: int = 2001) -> ModelProbabilities:
    """Posterior probabilities of competing weight matrices for one model (equal prior odds).

    The same log-marginal likelihoods as :func:`model_probabilities`, one per W
    (LeSage 2015, sec. 3: "which W?"); ``log_marginal``/``probability`` are indexed by
    the names in ``weights``.

    Parameters
    ----------
    panel, id, time, y, x
        As :func:`model_probabilities`.
    weights
        ``{name: SpatialWeights}``, the candidate matrices (row-standardised).
    model
        One spatial model of ``BAYES_MODELS`` (default ``"sdm"``; not ``"ols"``, which has no W).
    fe
        Fixed effects removed by demeaning (default ``"twoways"``; ``effects=`` is the old name).
    grid
        Odd number of Simpson points (default 2001), as in :func:`model_probabilities`.

    **Verification**: as :func:`model_probabilities` (``tests/test_bayes.py``).
    """
    model = lower_choice(model, BAYES_MODELS)  # "SDM" as summaries print it
    if model in ("ols",):
        raise InputError("the OLS model does not depend on W; choose a spatial model to compare weights.")
    out = {name: model_probabilities(panel, id=id, time=time, y=y, x=x, w=wm, fe=fe, models=[model],
                                     grid=grid).log_marginal[model] for name, wm in weights.items()}
    lm = pd.Series(out, name="log_marginal")
    return ModelProbabilities(lm, posterior_probabilities(out).rename("probability"), fe, grid)
