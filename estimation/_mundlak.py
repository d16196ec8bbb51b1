"""Regression (Mundlak) form of the spatial Hausman test: :func:`mundlak_test`.

The fallback when the classic test (:func:`spillmap.estimation.hausman.hausman`) is
refused.  The random-effects model is augmented with the unit means over time of the
regressors (and, for the SDM, of their spatial lags, ``W xbar``) -- Mundlak (1978),
Wooldridge (2010, sec. 10.7.3), and for the spatial Durbin panel Debarsy (2012) -- fitted
by :func:`spillmap.estimation.random_effects.fit_random` and the mean terms are
Wald-tested jointly (:func:`spillmap.estimation.hypothesis.wald_test`).  Only the
augmentation, a rank check and the selection of the coefficients are written here.
Every name is importable from :mod:`spillmap.estimation.hausman`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from spillmap._vocab import RE_MODELS
from spillmap.errors import EstimationError, InputError, format_items
from spillmap.results import TestResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MUNDLAK_NAME", "mundlak_test", "mundlak_spec", "mundlak_wald"]

MUNDLAK_NAME = "Hausman (Mundlak regression form)"


def _mean_name(col: str, taken: set[str]) -> str:
    """Column name for the unit mean of ``col`` that clashes with no column in ``taken``."""
    name = f"mean_{col}"
    while name in taken:
        name += "_"
    return name


def _dependent_columns(z: np.ndarray, base: int, candidates: Sequence[int], rtol: float = 1e-9) -> list[int]:
    """Columns among ``candidates`` (indices into ``z``) that add no rank to the columns before them.

    The first ``base`` columns are always kept; each candidate in turn is kept when it raises
    the rank of the kept set (columns scaled to unit norm; rank by SVD with relative
    tolerance ``rtol``), else reported as dependent.
    """
    norms = np.linalg.norm(z, axis=0)
    zs = z / np.where(norms > 0, norms, 1.0)

    def rank(cols: list[int]) -> int:
        if not cols:
            return 0
        sv = np.linalg.svd(zs[:, cols], compute_uv=False)
        return int(np.sum(sv > rtol * sv[0]))

    kept = list(range(base))
    r0 = rank(kept)
    dropped = []
    for j in candidates:
        r1 = rank(kept + [j]) if norms[j] > 0 else r0
        if r1 > r0:
            kept.append(j)
            r0 = r1
        else:
            dropped.append(j)
    return dropped


def _checked_terms(panel: Any, id: str, time: str, y: str, x: Sequence[str] | str, model: str,  # noqa: A002
                   wx: Sequence[str] | str | None) -> tuple[list[str], list[str]]:
    """The regressors and the lagged regressors (SDM) after the checks of :func:`mundlak_spec`."""
    import pandas as pd

    from spillmap.errors import DataError

    if model not in RE_MODELS:
        raise InputError(
            f"mundlak_test: model must be 'sar', 'sdm' or 'sem' (the random-effects models), got {model!r}."
        )
    if not isinstance(panel, pd.DataFrame):
        raise InputError(f"mundlak_test: panel must be a pandas DataFrame, got {type(panel).__name__}.")
    if time is None:
        raise InputError(
            "mundlak_test: the test needs a panel (unit means over time); give the period column as time=..."
        )
    x = [x] if isinstance(x, str) else list(x)
    missing = [c for c in (id, time, y, *x) if c not in panel.columns]
    if missing:
        raise DataError(
            f"mundlak_test: column(s) {format_items(missing)} not in the panel; available: {format_items(list(panel.columns))}."
        )
    if model == "sdm":
        return x, list(x) if wx is None else ([wx] if isinstance(wx, str) else list(wx))
    if wx is not None:
        raise InputError(f"mundlak_test: wx= is only for model='sdm', not {model!r}.")
    return x, []


def _kept_means(d: Any, x: list[str], lagged: list[str], means: dict[str, str], time_effects: bool
                ) -> tuple[list[str], list[str], list[str]]:
    """The regressors whose mean (and, for the lagged ones, ``W`` mean) terms add rank, and those dropped.

    ``d`` is the validated design of the un-augmented model; the mean columns are ranked
    against its regressors (and the period dummies with ``time_effects``).
    """
    from spillmap.estimation._re_common import _time_dummies

    z = d.Z
    if time_effects and d.t > 1:
        z = np.column_stack([z, _time_dummies(d.n, d.t)])
    xcols = [d.x_names.index(c) for c in x]
    xbar = d.X[:, xcols].reshape(d.t, d.n, len(x)).mean(axis=0)  # (N, k) unit means
    cand_cols = [np.tile(xbar[:, j], d.t) for j in range(len(x))]
    wxbar = d.w.sparse @ xbar
    cand_cols += [np.tile(wxbar[:, x.index(c)], d.t) for c in lagged]
    mean_cols = [means[c] for c in x] + [f"W_{means[c]}" for c in lagged]
    zc = np.column_stack([z, *cand_cols])
    dep = _dependent_columns(zc, z.shape[1], list(range(z.shape[1], zc.shape[1])))
    dropped = {mean_cols[j - z.shape[1]] for j in dep}
    keep = [c for c in x if means[c] not in dropped]
    keep_lag = [c for c in lagged if c in keep and f"W_{means[c]}" not in dropped]
    all_dropped = [m for m in mean_cols if m in dropped or (m.startswith("W_") and m[2:] in dropped)]
    return keep, keep_lag, all_dropped


def mundlak_spec(
    panel: pd.DataFrame,
    id: str,  # noqa: A002
    *,
    time: str,
    y: str,
    x: Sequence[str],
    w: Any,
    model: str = "sdm",
    time_effects: bool = True,
    wx: Sequence[str] | None = None,
) -> tuple[Any, list[str], list[str]]:
    """The Mundlak-augmented random-effects specification behind :func:`mundlak_test`.

    Adds, for every regressor ``x_k``, the column ``mean_<x_k>`` (its unit mean over time,
    ``xbar_ik = (1/T) sum_t x_ikt``, repeated in every period) as a regressor; for the SDM
    the mean of every lagged regressor is lagged too (``W_mean_<x_k>`` = ``W xbar_k``, the
    unit mean of ``W x_k``).  Mean terms that are constant or linearly dependent on the
    other columns (a time-invariant regressor, whose mean equals itself; with
    ``time_effects`` also the period dummies) are dropped; a dropped ``mean_<x_k>`` takes
    its ``W_mean_<x_k>`` with it.

    Returns
    -------
    spec, mean_terms, dropped
        The :class:`~spillmap.estimation.SpatialPanel` (``effects="random"``), the names of
        the mean coefficients kept (the ones :func:`mundlak_wald` tests) and those dropped.

    Raises
    ------
    DataError
        A column of ``id``, ``time``, ``y``, ``x`` is not in ``panel`` (others: as
        :class:`~spillmap.estimation.SpatialPanel`).
    InputError
        ``model`` not ``"sar"``, ``"sdm"`` or ``"sem"`` (random effects exist only for those).
    EstimationError
        Every mean term is collinear: nothing to test.
    """
    from spillmap.estimation._checks import lower_choice
    from spillmap.estimation.model import SpatialPanel

    model = lower_choice(model, RE_MODELS)  # "SDM" as summaries print it
    x, lagged = _checked_terms(panel, id, time, y, x, model, wx)
    taken = set(map(str, panel.columns))
    means = {}
    for c in x:
        means[c] = _mean_name(c, taken)
        taken.add(means[c])
    # the un-augmented model validates the panel (ids, balance, NaN) and gives the
    # aligned design; the mean terms are ranked against it before the augmented spec is built
    # (SpatialPanel refuses collinear regressors)
    base_spec = SpatialPanel(panel, y=y, x=x, id=id, time=time, w=w, model=model, re=True,
                             wx=(lagged if model == "sdm" else None))
    keep, keep_lag, all_dropped = _kept_means(base_spec.data, x, lagged, means, time_effects)
    if not keep:
        raise EstimationError(
            "mundlak_test: every unit-mean term is constant or collinear with the other regressors "
            f"({format_items(all_dropped)}), so there is nothing to test: the regressors "
            f"{format_items(x)} do not vary over time within units."
        )
    data = panel.copy()  # validated above: balanced, finite, ids in W
    grouped = data.groupby(data[id], sort=False)[x].transform("mean")
    for c in x:
        data[means[c]] = grouped[c].to_numpy(dtype=float)
    xs = list(x) + [means[c] for c in keep]
    wxs = None if model != "sdm" else list(lagged) + [means[c] for c in keep_lag]
    spec = SpatialPanel(data, y=y, x=xs, id=id, time=time, w=w, model=model, re=True, wx=wxs)
    kept_terms = [means[c] for c in keep] + [f"W_{means[c]}" for c in keep_lag]
    return spec, kept_terms, all_dropped


def mundlak_wald(re_fit: Any, mean_terms: Sequence[str], dropped: Sequence[str] = ()) -> TestResult:
    """Wald test that the unit-mean coefficients of a Mundlak-augmented RE fit are zero.

    ``M = g' V_g^{-1} g ~ chi2(q)``, ``g`` the ``q`` coefficients named in ``mean_terms``
    and ``V_g`` their block of ``re_fit.cov`` (inverse observed information).

    Parameters
    ----------
    re_fit
        Random-effects :class:`~spillmap.estimation.SpatialPanelResults` of the augmented model.
    mean_terms
        Names of the mean coefficients (from :func:`mundlak_spec`).
    dropped
        Mean terms dropped as collinear; named in the result's ``name``.

    Returns
    -------
    TestResult
        ``name="Hausman (Mundlak regression form)"`` (plus the dropped terms), ``dist="chi2"``.
    """
    from spillmap.estimation.hypothesis import wald_test

    mean_terms = list(mean_terms)
    unknown = [c for c in mean_terms if c not in re_fit.params.index]
    if unknown:
        raise InputError(f"mundlak_wald: the fit has no coefficient(s) {format_items(unknown)}.")
    name = MUNDLAK_NAME
    if dropped:
        name += f"; collinear mean terms dropped: {', '.join(dropped)}"
    return wald_test(
        re_fit.params[mean_terms].to_numpy(),
        re_fit.cov.loc[mean_terms, mean_terms].to_numpy(),
        name=name,
        null=(
            "random effects are consistent (unit effects uncorrelated with the regressors): "
            f"the coefficients of {', '.join(mean_terms)} are jointly zero"
        ),
    )


def mundlak_test(
    panel: pd.DataFrame,
    id: str,  # noqa: A002
    *,
    time: str,
    y: str,
    x: Sequence[str],
    w: Any,
    model: str = "sdm",
    time_effects: bool = True,
    wx: Sequence[str] | None = None,
) -> TestResult:
    """Regression-based (Mundlak / correlated random effects) Hausman test for spatial panels.

    Fits the random-effects model augmented with the unit means of the regressors,

    .. math::

        y = \\rho (I_T \\otimes W) y + X\\beta + (I_T \\otimes W) X\\theta
            + \\bar X \\gamma + (I_T \\otimes W)\\bar X \\delta
            + [\\text{time effects}] + (\\iota_T \\otimes I_N)\\mu + \\varepsilon,

    (``Xbar``: unit means over time repeated in every period; the ``W`` terms for the SDM
    only; no ``rho`` term for the SEM, which has an error process instead) and tests
    ``H0: gamma = delta = 0`` by Wald,
    ``M = g' V_g^{-1} g ~ chi2(q)``, ``g = (gamma, delta)``, ``q`` = number of mean terms.
    H0 is the Hausman null: the unit effects are uncorrelated with the regressors, so
    random effects are consistent.  Unlike the classic statistic it needs no variance
    difference and is always defined (Wooldridge 2010, sec. 10.7.3); it is also robust
    to the finite-sample indefiniteness that makes :func:`hausman` refuse.

    Parameters
    ----------
    panel
        Long panel, one row per (id, time), balanced, ids matching ``w``.
    id, time, y, x, w
        As for :class:`~spillmap.estimation.SpatialPanel`.
    model
        ``"sdm"`` (default), ``"sar"`` or ``"sem"``.
    time_effects
        Time-period fixed effects in the RE fit (``True`` to pair with a two-way FE model,
        as the study's Table 8; ``False`` for individual FE).
    wx
        SDM only: the regressors whose spatial lags enter (default all).

    Returns
    -------
    TestResult
        ``name`` "Hausman (Mundlak regression form)" (with any collinear mean terms that
        were dropped), ``stat``, ``df`` = number of mean terms tested,
        ``pvalue = chi2(df).sf(stat)``.

    Raises
    ------
    DataError, InputError, WeightsError
        Bad panel or options (see :func:`mundlak_spec` and :class:`~spillmap.estimation.SpatialPanel`).
    EstimationError
        All mean terms collinear (time-invariant regressors), or the RE fit failed
        (:class:`~spillmap.errors.ConvergenceError`).

    References
    ----------
    Mundlak, Y. (1978), On the pooling of time series and cross section data,
    Econometrica 46: 69-85.  Wooldridge, J. M. (2010), *Econometric Analysis of Cross
    Section and Panel Data*, 2nd ed., sec. 10.7.3.  Debarsy, N. (2012), The Mundlak
    approach in the spatial Durbin panel data model, Spatial Economic Analysis 7: 109-131.

    Verification
    ------------
    ``tests/test_hausman_mundlak.py``: the Mundlak identity (the augmented RE slopes on
    ``x`` and ``W x`` equal the fixed-effects (within, or two-way) slopes of
    ``y - rho W y`` at the fit's ``rho``; checked against linearmodels' ``PanelOLS`` to
    1e-8); the statistic equals a dense transcription of the Wald formula from the fit's
    parameters and covariance; on simulated spatial panels it is small when the effects are
    independent of ``x`` (300 replications, SDM, N = 144, T = 4: rejection rate 0.053 at
    5 %) and rejects (p < 1e-6) when they are correlated; it rejects on the demo panel,
    whose city effects are correlated with ``int``.  On Produc (SDM, queen W), where the
    classic test is refused, it gives 56.2 (df 8, individual) and 57.4 (two-way).
    """
    from spillmap.estimation.random_effects import fit_random

    spec, terms, dropped = mundlak_spec(
        panel, id=id, time=time, y=y, x=x, w=w, model=model, time_effects=time_effects, wx=wx
    )
    re_fit = fit_random(spec, time_effects=time_effects)
    return mundlak_wald(re_fit, terms, dropped)
