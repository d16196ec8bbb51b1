"""spillmap.indicators: composite indicators by the entropy, CRITIC or PCA method.

``composite_index(data, name="int", method="entropy", positive=[...], negative=[...])``
returns a :class:`CompositeIndex`: the index (one value per row of ``data``) and its
weights table in the layout of the seed study's Table 1 (dimension, indicator,
direction, weight).  The keyword arguments are the keys of a TOML table, so
``[indicators.int]`` with ``method = "entropy"``, ``positive = [...]`` ... maps onto
``composite_index(data, name="int", **table)``; :func:`spillmap.screen` takes the
same dictionaries in ``composites=``.  The formulas are in
:mod:`spillmap.indicators._methods`.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError, format_items
from spillmap.indicators._methods import critic_weights, entropy_weights, normalise, pca_weights

__all__ = ["CompositeIndex", "composite_index", "METHODS"]

Method = Literal["entropy", "critic", "pca"]
Weighting = Literal["pooled", "per_period"]
Components = Literal["first", "variance"]
METHODS: tuple[str, ...] = get_args(Method)


@dataclass(frozen=True)
class CompositeIndex:
    """A composite indicator and its weights.

    Attributes
    ----------
    name, method
        The index's name and ``"entropy"``, ``"critic"`` or ``"pca"``.
    index
        One value per row of the input (same index), named ``name``.
    weights
        Table 1 layout: ``dimension, indicator, direction ("+"/"-"), weight``; with
        ``weighting="per_period"`` one ``weight_<period>`` column per period and
        ``weight`` their mean.
    normalised
        The oriented min-max values (entropy, CRITIC) or z-scores (PCA) the index is
        built from.
    note
        The method's choices in words (shift, components, eigenvalues).
    """

    name: str
    method: str
    index: pd.Series
    weights: pd.DataFrame
    normalised: pd.DataFrame
    note: str

    def summary(self) -> str:
        return f"{self.name} ({self.method}): {self.note}\n" + self.weights.to_string(index=False)

    def to_frame(self) -> pd.DataFrame:
        """The indicators' weights (what ``summary()`` shows); the index values are ``index``."""
        return self.weights.copy()

    def __repr__(self) -> str:
        return f"CompositeIndex(name={self.name!r}, method={self.method!r}, indicators={len(self.weights)})"

    def _repr_html_(self) -> str:
        cap = html.escape(f"{self.name} ({self.method}): {self.note}")
        return f"<p>{cap}</p>" + self.weights.to_html(index=False, escape=True)


def _check(data, method, weighting, components, shift, time, columns) -> None:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    for opt, val, choices in (("method", method, METHODS), ("weighting", weighting, get_args(Weighting)),
                              ("components", components, get_args(Components))):
        if val not in choices:
            raise InputError(f"{opt} must be one of {', '.join(map(repr, choices))}; got {val!r}.")
    if not (isinstance(shift, (int, float)) and shift >= 0):
        raise InputError(f"shift must be a non-negative number, got {shift!r}.")
    if weighting == "per_period" and not time:
        raise InputError("weighting='per_period' needs the time column (time=...).")
    if len(columns) < 2:
        raise InputError("a composite indicator needs at least two indicators (positive + negative).")
    if len(set(columns)) != len(columns):
        raise InputError(f"indicators listed twice: {format_items(sorted({c for c in columns if columns.count(c) > 1}))}.")
    missing = [c for c in columns + ([time] if time else []) if c not in data.columns]
    if missing:
        raise DataError(f"data has no column(s) {format_items(missing)}; available: {format_items(list(data.columns), 30)}.")


def _matrix(data: pd.DataFrame, columns: list[str], where: str) -> np.ndarray:
    x = np.column_stack([pd.to_numeric(data[c], errors="coerce").to_numpy(float, na_value=np.nan) for c in columns])
    bad = ~np.isfinite(x)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        rows = list(data.index[bad[:, j]])
        raise DataError(f"indicator {columns[j]!r}{where} has missing or non-numeric values in rows {format_items(rows)}.")
    flat = x.max(axis=0) == x.min(axis=0)
    if flat.any():
        raise DataError(f"indicator(s) {format_items([c for c, f in zip(columns, flat) if f])}{where} are constant; drop them.")
    if x.shape[0] < 3:
        raise DataError(f"a composite indicator needs at least 3 observations{where}, got {x.shape[0]}.")
    return x


def _one(x: np.ndarray, negative: np.ndarray, method: str, shift: float, components: str, n_components):
    """(weights, normalised values, index, note) of one block of observations."""
    if method == "pca":
        z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
        z = np.where(negative, -z, z)
        w, lam = pca_weights(z, components, n_components)
        note = f"eigenvalues {', '.join(f'{v:.3f}' for v in lam)}"
        return w, z, z @ w, note
    xn = normalise(x, negative)
    w = entropy_weights(xn, shift) if method == "entropy" else critic_weights(xn)
    return w, xn, xn @ w, ""


def composite_index(
    data: pd.DataFrame,
    *,
    name: str = "index",
    method: Method = "entropy",
    positive: Sequence[str] = (),
    negative: Sequence[str] = (),
    dimensions: Mapping[str, str] | None = None,
    weighting: Weighting = "pooled",
    time: str | None = None,
    shift: float = 1e-4,
    components: Components = "first",
    n_components: int | None = None,
) -> CompositeIndex:
    """Build a composite indicator from several columns (see :mod:`spillmap.indicators._methods`).

    Parameters
    ----------
    data
        One row per observation (a long panel or a cross-section).
    name
        The index's name.
    method
        ``"entropy"`` (entropy weight method), ``"critic"`` or ``"pca"``.
    positive, negative
        Indicators that raise / lower the index (negative ones are reversed).
    dimensions
        ``{indicator: dimension}`` labels for the weights table (default ``name``).
    weighting
        ``"pooled"``: normalisation and weights over all rows; ``"per_period"``:
        separately within each period of ``time`` (weights per period).
    time
        The period column (needed for ``"per_period"``).
    shift
        Entropy method: added to the normalised values before the shares, to keep
        ``ln 0`` out (default 1e-4; 0 uses ``0 ln 0 = 0``).  The index uses the
        unshifted values.
    components, n_components
        PCA: ``"first"`` component, or ``"variance"``-weighted components (those
        with eigenvalue above 1, or the first ``n_components``).

    Returns
    -------
    CompositeIndex
        Entropy/CRITIC: index in [0, 1] (weighted normalised values); PCA: weighted
        z-scores (mean 0).

    Raises
    ------
    InputError, DataError
        Unknown options or columns, fewer than two indicators, missing or constant
        indicators (named, with the period for ``"per_period"``).

    Notes
    -----
    **Verification** (``tests/test_indicators.py``): entropy, CRITIC and PCA weights
    equal hand-worked examples (closed forms written in the test) to 1e-12.
    """
    positive, negative = list(positive), list(negative)
    columns = positive + negative
    _check(data, method, weighting, components, shift, time, columns)
    neg = np.array([c in negative for c in columns])
    dims = dict(dimensions or {})
    unknown = sorted(set(dims) - set(columns))
    if unknown:
        raise InputError(f"dimensions names indicator(s) {format_items(unknown)} that are not in positive/negative.")
    table = pd.DataFrame({
        "dimension": [dims.get(c, name) for c in columns],
        "indicator": columns,
        "direction": ["-" if n else "+" for n in neg],
    })
    index = pd.Series(np.nan, index=data.index, name=name)
    normalised = pd.DataFrame(np.nan, index=data.index, columns=columns)
    if weighting == "pooled":
        w, xn, idx, note = _one(_matrix(data, columns, ""), neg, method, shift, components, n_components)
        table["weight"] = w
        index[:], normalised.loc[:, :] = idx, xn
    else:
        for period, rows in data.groupby(time, sort=True).groups.items():
            sub = data.loc[rows]
            w, xn, idx, note = _one(_matrix(sub, columns, f" in period {period!r}"), neg, method, shift, components, n_components)
            table[f"weight_{period}"] = w
            index.loc[rows], normalised.loc[rows, :] = idx, xn
        table["weight"] = table.filter(like="weight_").mean(axis=1)
    detail = {"entropy": f"min-max normalisation, shift {shift:g} against log 0", "critic": "min-max normalisation",
              "pca": f"{components} component(s) of the correlation matrix"}[method]
    note = f"{detail}; weights {weighting.replace('_', ' ')}" + (f"; {note}" if note and weighting == "pooled" else "")
    return CompositeIndex(name, method, index, table, normalised, note)
