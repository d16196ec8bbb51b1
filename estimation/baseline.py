"""The non-spatial baseline: two-way fixed-effects panel regression with cluster-robust SEs.

This is the seed study's Table 3 (``gtfp_it = a + a1 int_it + X_it g + mu_i + s_t + e_it``).
The estimation is done entirely by ``linearmodels.PanelOLS`` (entity and time effects,
``cov_type="clustered"``); this module only validates the panel, names offending
rows in its errors, and wraps the answer in an immutable :class:`BaselineResult`
with the same ``summary()/to_frame()/_repr_html_`` shape as the spatial results.
Nothing numerical is hand-written here.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from spillmap.errors import DataError, EstimationError, InputError, check_choice, format_items

__all__ = ["BaselineResult", "twoway_fe_baseline"]

Cluster = Literal["entity", "time", "both"]
_CLUSTERS = ("entity", "time", "both")


@dataclass(frozen=True, eq=False)
class BaselineResult:
    """Immutable result of :func:`twoway_fe_baseline`.

    Attributes
    ----------
    params, std_errors, tstats, pvalues
        Series indexed by regressor name.
    cov
        Parameter covariance (DataFrame).
    r2
        Within R^2 of the two-way model, ``1 - e'e / y~'y~`` with ``y~`` demeaned by unit and
        period (``linearmodels``' ``rsquared``; its ``rsquared_within`` sweeps out the unit means
        only and is not this model's fit).
    r2_overall
        Overall R^2 of the fitted values including the effects (``rsquared_inclusive``).
    nobs, n_entities, n_periods
        Sample sizes.
    cov_type
        Description of the covariance estimator, e.g. ``"clustered (entity)"``.
    dependent
        Name of the dependent variable.
    df_resid
        Residual degrees of freedom when linearmodels used t quantiles (its default
        ``debiased=True``), else ``None``.
    """

    params: pd.Series
    std_errors: pd.Series
    tstats: pd.Series
    pvalues: pd.Series
    cov: pd.DataFrame
    r2: float
    r2_overall: float
    nobs: int
    n_entities: int
    n_periods: int
    cov_type: str
    dependent: str
    df_resid: float | None = None

    def __post_init__(self) -> None:
        # copies backed by read-only arrays: item assignment raises instead of mutating
        for name in ("params", "std_errors", "tstats", "pvalues"):
            obj = getattr(self, name)
            arr = np.array(obj.to_numpy(dtype=float), copy=True)
            arr.flags.writeable = False
            object.__setattr__(self, name, pd.Series(arr, index=obj.index.copy(), name=obj.name, copy=False))
        arr = np.array(self.cov.to_numpy(dtype=float), copy=True)
        arr.flags.writeable = False
        object.__setattr__(
            self, "cov", pd.DataFrame(arr, index=self.cov.index.copy(), columns=self.cov.columns.copy(), copy=False)
        )

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Confidence intervals as linearmodels builds them: t(``df_resid``) quantiles when
        the covariance is debiased (PanelOLS' default), normal otherwise.

        Parameters
        ----------
        level
            Confidence level, a probability in (0, 1) (default 0.95).
        """
        from scipy import stats

        a = (1 - level) / 2
        z = stats.norm.isf(a) if self.df_resid is None else stats.t.isf(a, self.df_resid)
        return pd.DataFrame(
            {"lower": self.params - z * self.std_errors, "upper": self.params + z * self.std_errors}
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per regressor: estimate, std_error, t, p, lower, upper."""
        ci = self.conf_int()
        return pd.DataFrame(
            {
                "estimate": self.params,
                "std_error": self.std_errors,
                "t": self.tstats,
                "p": self.pvalues,
                "lower": ci["lower"],
                "upper": ci["upper"],
            }
        )

    def summary(self) -> str:
        """A plain-text table."""
        lines = [
            f"Two-way fixed effects (entity + time), dependent: {self.dependent}",
            f"N obs {self.nobs}   entities {self.n_entities}   periods {self.n_periods}",
            f"within R2 {self.r2:.4f}   covariance: {self.cov_type}",
            "",
            f"{'':<14}{'estimate':>12}{'std.err':>12}{'t':>9}{'p':>9}",
        ]
        for name in self.params.index:
            lines.append(
                f"{name:<14}{self.params[name]:>12.4f}{self.std_errors[name]:>12.4f}"
                f"{self.tstats[name]:>9.3f}{self.pvalues[name]:>9.4f}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(str(n))}</th><td>{self.params[n]:.4f}</td><td>{self.std_errors[n]:.4f}</td>"
            f"<td>{self.tstats[n]:.3f}</td><td>{self.pvalues[n]:.4f}</td></tr>"
            for n in self.params.index
        )
        cap = html.escape(
            f"Two-way FE, dependent {self.dependent}; N={self.nobs}, within R2={self.r2:.4f}, {self.cov_type}"
        )
        return (
            f"<table><caption>{cap}</caption><tr><th></th><th>estimate</th><th>std. err.</th>"
            f"<th>t</th><th>p</th></tr>{rows}</table>"
        )


def _py(v: object) -> object:
    """A numpy scalar as the plain Python value (so messages read ('AZ', 1973))."""
    return v.item() if isinstance(v, np.generic) else v


def _validate_panel(panel: pd.DataFrame, id: str, time: str, y: str, x: Sequence[str]) -> pd.DataFrame:
    """Check columns, duplicates and missing values; return a clean (id, time)-indexed frame."""
    if not isinstance(panel, pd.DataFrame):
        raise InputError(f"panel must be a pandas DataFrame, got {type(panel).__name__}.")
    if isinstance(x, str):
        x = [x]
    x = list(x)
    if not x:
        raise InputError("give at least one regressor in x.")
    if y in x:
        raise InputError(f"the dependent variable {y!r} is also listed among the regressors x; remove it.")
    cols = [id, time, y, *x]
    missing = [c for c in cols if c not in panel.columns]
    if missing:
        raise DataError(
            f"panel has no column(s) {format_items(missing)}; available columns: {format_items(list(panel.columns))}."
        )
    df = panel[cols].copy()
    for c in [y, *x]:
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            raise DataError(f"column {c!r} is not numeric (dtype {df[c].dtype}); convert it before estimating.")
    df[id] = df[id].astype(str)
    dup = df.duplicated([id, time], keep=False)
    if dup.any():
        cells = list(dict.fromkeys((_py(a), _py(b)) for a, b in zip(df.loc[dup, id], df.loc[dup, time])))
        raise DataError(f"panel has repeated (id, time) cells {format_items(cells)}; keep one row per {id!r} and {time!r}.")
    vals = df[[y, *x]].to_numpy(dtype=float)
    bad = ~np.isfinite(vals)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        cells = [(_py(df[id].iloc[r]), _py(df[time].iloc[r])) for r in rows]
        which = [c for c, b in zip([y, *x], bad.any(axis=0)) if b]
        raise DataError(
            f"missing or infinite values in column(s) {format_items(which)} at (id, time) {format_items(cells)}; "
            "drop or impute these rows first."
        )
    return df.set_index([id, time]).sort_index()


def twoway_fe_baseline(
    panel: pd.DataFrame,
    id: str,
    *,
    time: str,
    y: str,
    x: Sequence[str],
    cluster: Cluster | None = "entity",
) -> BaselineResult:
    """Non-spatial two-way fixed-effects regression (the study's Table 3).

    ``y_it = x_it' b + mu_i + s_t + e_it``, estimated by the within (two-way demeaning)
    estimator of ``linearmodels.PanelOLS(entity_effects=True, time_effects=True)``.

    Parameters
    ----------
    panel
        Long panel, one row per (id, time); may be unbalanced.
    id, time
        Unit and period columns.
    y
        Dependent variable.
    x
        Regressors (no constant needed: it is absorbed by the effects).
    cluster
        ``"entity"`` (default; cluster-robust by unit), ``"time"``, ``"both"``
        (two-way clustering), or ``None`` for heteroskedasticity-robust (White) SEs.

    Returns
    -------
    BaselineResult

    Raises
    ------
    DataError
        Missing or non-numeric columns, repeated (id, time) cells, NaN/inf values
        (the message names the cells).
    InputError
        An unknown ``cluster``.
    EstimationError
        A regressor without within variation (absorbed by the effects).

    Notes
    -----
    Reference: Wooldridge (2010), *Econometric Analysis of Cross Section and Panel Data*,
    ch. 10; the covariance is linearmodels' with its defaults (``debiased=True``:
    small-sample scaling, t(df_resid) p-values and intervals; ``group_debias=False``).

    Verification
    ------------
    Equal (1e-10; 1e-14 observed) to ``PanelOLS`` called directly; coefficients equal a
    dummy-variable LSDV regression in statsmodels to 1e-10 (``tests/test_baseline.py``).
    """
    from linearmodels.panel import PanelOLS

    check_choice("cluster", cluster, (*_CLUSTERS, None))
    x = [x] if isinstance(x, str) else list(x)
    df = _validate_panel(panel, id, time, y, x)
    within_sd = (df[x] - df[x].groupby(level=0).transform("mean")).std()
    flat = [c for c in x if not within_sd[c] > 1e-12 * max(1.0, float(df[c].abs().max()))]
    if flat:
        raise EstimationError(
            f"regressor(s) {format_items(flat)} do not vary within units over time and are absorbed by the "
            f"{id!r} fixed effects; drop them from x."
        )
    mod = PanelOLS(df[y], df[x], entity_effects=True, time_effects=True)
    if cluster is None:
        res = mod.fit(cov_type="robust")
        cov_type = "heteroskedasticity-robust"
    else:
        res = mod.fit(
            cov_type="clustered",
            cluster_entity=cluster in ("entity", "both"),
            cluster_time=cluster in ("time", "both"),
        )
        cov_type = f"clustered ({cluster})"
    return BaselineResult(
        params=res.params.rename(None),
        std_errors=res.std_errors.rename(None),
        tstats=res.tstats.rename(None),
        pvalues=res.pvalues.rename(None),
        cov=res.cov,
        r2=float(res.rsquared),  # the two-way within R^2: both effects swept out (not rsquared_within)
        r2_overall=float(res.rsquared_inclusive),
        nobs=int(res.nobs),
        n_entities=int(df.index.get_level_values(0).nunique()),
        n_periods=int(df.index.get_level_values(1).nunique()),
        cov_type=cov_type,
        dependent=y,
        df_resid=float(res.df_resid) if getattr(res, "_debiased", False) else None,
    )
