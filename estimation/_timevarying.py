"""Time-varying spatial weights: one W per period (``SpatialPanel(..., w={period: W_t})``).

:class:`PanelWeights` holds the matrices ``W_1, ..., W_T`` of a panel's periods over the same
units, validated once (every period present, the same ids everywhere, each named in the
error when not) and grouped by equality, so that a W repeated in many periods is
factorised, traced and stored once.  It offers what the fixed-effects fit needs from a
``SpatialWeights``: spatial lags period by period (``W_t x_t``), the row-standardisation
test, islands, ids.

The likelihood pieces over periods (:class:`PanelLogDet`, :func:`panel_traces`,
:class:`PanelGSolver`) are *means over periods*: ``(1/T) sum_t ln|I - rho W_t|`` and the mean
trace terms, so that the fit's Jacobian ``T_eff [mean - a ln(1 - rho)]`` and information
matrix ``T_eff x (mean traces)`` keep their constant-W form.  With the direct approach
(``T_eff = T``) the Jacobian is exactly ``sum_t ln|I - rho W_t|``.  With the Lee-Yu
transformation and unit effects, ``T_eff = T - 1`` weights every period by ``(T - 1)/T``:
for a constant W that is Lee & Yu's (2010) transformed likelihood exactly; for a varying W
(where ``F_T`` would mix periods with different W, so no exact transformed likelihood
exists) it is the likelihood whose score has expectation zero at the true parameters (the
property that makes the transformation approach consistent): ``E[e'Q (G_t e)] =
sigma2 (1 - 1/T) tr(G_t)`` per period.  That generalisation is spillmap's choice.

Written by hand (no library handles a time-varying W); numerics are the constant-W
:class:`~spillmap.estimation._logdet.LogDet` and :class:`~spillmap.estimation._logdet.Traces`
of each distinct matrix.

Verification: ``tests/test_timevarying.py`` -- a constant W given per period reproduces the
constant-W fit to 1e-12; a W that differs in one period changes the likelihood, the lags and
the effects of that period only (closed form at N = 3: log-determinant to 1e-12, effects to
1e-10); the fit with a different W in every period equals the dense ML of
``tests/_dynamic_oracle.py`` (``sum_t ln|I - rho W_t|`` with explicit matrices): estimates to
1e-7 (the oracle's optimiser), log-likelihood to 1e-6, covariance to 1e-6 relative.
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from spillmap.errors import InputError, Shown, WeightsError, format_items
from spillmap.spatial.weights import SpatialWeights

__all__ = ["PanelWeights", "resolve_weights", "is_time_varying"]


def is_time_varying(w: Any) -> bool:
    """True for one W per period (a mapping, a builder, or a :class:`PanelWeights`)."""
    return isinstance(w, PanelWeights | Mapping) or (callable(w) and not isinstance(w, SpatialWeights))


def _fingerprint(w: SpatialWeights) -> str:
    m = w.sparse
    h = hashlib.sha1()
    for arr in (m.indptr, m.indices, m.data):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def panel_name(periods: Sequence[str], names: Sequence[str]) -> str:
    """The label of one W per period: the matrices' common name, or the first one's with its
    period widened to the range when the names differ only by their period
    (``economic-geographic (d^-1 x pgdp 2008…2019, one per period)``), else first … last.

    >>> panel_name(["2008", "2019"], ["E (x 2008)", "E (x 2019)"])
    'E (x 2008…2019, one per period)'
    """
    if len(set(names)) == 1 or len(names) == 1:
        return names[0]
    first, p0 = names[0], periods[0]
    if p0 in first and all(n == first.replace(p0, p) for n, p in zip(names, periods)):
        return first.replace(p0, f"{p0}…{periods[-1]}, one per period", 1)
    return f"{first} … {names[-1]}"


class PanelWeights:
    """One :class:`~spillmap.spatial.weights.SpatialWeights` per period, over the same units.

    Parameters
    ----------
    periods
        The periods, in the panel's order.
    matrices
        ``W_t`` for each period, all over the same ids in the same order.
    name
        A label (e.g. ``"W2 by period"``).

    Attributes
    ----------
    groups
        ``((W, (k, ...)), ...)``: each distinct matrix and the positions of its periods.
    """

    def __init__(self, periods: Sequence[Any], matrices: Sequence[SpatialWeights], *, name: str = "") -> None:
        if len(periods) != len(matrices) or not matrices:
            raise InputError("PanelWeights needs one matrix per period.")
        ids = matrices[0].ids
        for p, m in zip(periods, matrices):
            if m.ids != ids:
                raise WeightsError(f"the weights of period {p} are not in the order of the first period's; "
                                   "align them first (resolve_weights does).")
        self.periods = tuple(periods)
        self.matrices = tuple(matrices)
        self.name = name or panel_name([str(p) for p in periods], [m.name or "" for m in matrices])
        groups: dict[str, list[int]] = {}
        first: dict[str, SpatialWeights] = {}
        for k, m in enumerate(matrices):
            key = _fingerprint(m)
            groups.setdefault(key, []).append(k)
            first.setdefault(key, m)
        self.groups = tuple((first[key], tuple(pos)) for key, pos in groups.items())

    # ------------------------------------------------------------- basics
    @property
    def ids(self) -> tuple[str, ...]:
        return self.matrices[0].ids

    @property
    def n(self) -> int:
        return self.matrices[0].n

    @property
    def t(self) -> int:
        return len(self.periods)

    @functools.cached_property
    def _id_index(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.ids)}

    @property
    def is_constant(self) -> bool:
        """True when every period has the same matrix."""
        return len(self.groups) == 1

    @property
    def is_row_standardized(self) -> bool:
        return not self.not_row_standardized_periods

    @property
    def not_row_standardized_periods(self) -> tuple[Any, ...]:
        """Periods whose W_t is not row-standardised."""
        return tuple(self.periods[k] for w, pos in self.groups if not w.is_row_standardized for k in pos)

    @property
    def islands(self) -> tuple[str, ...]:
        """Units without neighbours in at least one period."""
        seen: dict[str, None] = {}
        for w, _ in self.groups:
            seen.update(dict.fromkeys(w.islands))
        return tuple(seen)

    @property
    def islands_warning(self) -> str:
        parts = []
        for w, pos in self.groups:
            if w.islands:
                per = format_items([Shown(str(self.periods[k])) for k in pos], limit=5)
                parts.append(f"period(s) {per}: {format_items(w.islands, limit=10)}")
        if not parts:
            return ""
        return ("W has island(s), units without neighbours (zero rows, spatial lag 0), in " + "; ".join(parts)
                + ". Islands pull the spatial parameter towards 0 and get no spillovers.")

    @property
    def transform(self) -> str:
        kinds = {w.transform for w, _ in self.groups}
        return kinds.pop() if len(kinds) == 1 else "O"

    def for_period(self, period: Any) -> SpatialWeights:
        """``W_t`` of ``period`` (matched as the value or its text).

        Parameters
        ----------
        period
            One of :attr:`periods`.
        """
        for p, m in zip(self.periods, self.matrices):
            if p == period or str(p) == str(period):
                return m
        raise InputError(f"period {period!r} is not one of the weights' periods "
                         f"{format_items([Shown(str(p)) for p in self.periods], limit=8)}.")

    def sub(self, positions: Sequence[int]) -> PanelWeights:
        """The weights of the periods at ``positions`` (in that order).

        Parameters
        ----------
        positions
            0-based positions in :attr:`periods`.
        """
        return PanelWeights([self.periods[k] for k in positions], [self.matrices[k] for k in positions],
                            name=self.name)

    def lag_panel(self, x: np.ndarray, t: int) -> np.ndarray:
        """``W_t x_t`` period by period for ``x`` stacked time-major (N*T rows).

        Parameters
        ----------
        x
            ``N * T`` rows (a vector or an array with more columns), time-major, id-minor.
        t
            Number of periods; must equal the weights' T.
        """
        x = np.asarray(x, dtype=float)
        if t != self.t or x.shape[0] != self.n * t:
            raise WeightsError(f"cannot lag {x.shape[0]} rows with {self.t} periods of N={self.n} weights.")
        xr = x.reshape((t, self.n) + x.shape[1:])
        out = np.empty_like(xr)
        for w, pos in self.groups:
            for k in pos:
                out[k] = w.sparse @ xr[k]
        return out.reshape(x.shape)

    @property
    def sparse(self):  # noqa: D401 - a clear error instead of a wrong single matrix
        raise AttributeError("time-varying weights have one matrix per period: use .for_period(period) "
                             "or .matrices.")

    def __repr__(self) -> str:
        return (f"PanelWeights(N={self.n}, periods={len(self.periods)}, distinct={len(self.groups)}, "
                f"name={self.name!r})")


# ---------------------------------------------------------------- validation
def _match_key(mapping: Mapping, period: Any) -> Any:
    if period in mapping:
        return period
    text = {str(k): k for k in mapping}
    return text.get(str(period), _MISSING)


_MISSING = object()


def _as_weights(obj: Any, period: Any) -> SpatialWeights:
    if not isinstance(obj, SpatialWeights):
        raise InputError(f"the weights of period {period} must be a SpatialWeights, got {type(obj).__name__}.")
    return obj


def resolve_weights(w: Mapping | Callable | PanelWeights, periods: Sequence[Any], ids: Sequence[str] | None = None
                    ) -> PanelWeights:
    """The :class:`PanelWeights` of ``periods`` from a mapping ``period -> W_t``, a builder
    ``period -> W_t`` or a PanelWeights, every matrix aligned to one id order.

    ``ids`` (optional) are the panel's units; without them the first period's ids are the
    reference.  Periods of the mapping that are not in the panel are not used.

    Raises
    ------
    WeightsError
        A period without a matrix (named), or a W_t whose ids differ from the panel's /
        the first period's (the period and the ids on each side named).
    """
    periods = list(periods)
    mats: list[SpatialWeights] = []
    if isinstance(w, PanelWeights):
        w = dict(zip(w.periods, w.matrices))
    if isinstance(w, Mapping):
        missing = [p for p in periods if _match_key(w, p) is _MISSING]
        if missing:
            raise WeightsError(
                f"time-varying weights: no matrix for period(s) {format_items([Shown(str(p)) for p in missing])}; "
                f"the mapping has {format_items([Shown(str(k)) for k in w], limit=8)}. Give one W per period of "
                "the panel.")
        mats = [_as_weights(w[_match_key(w, p)], p) for p in periods]
    elif callable(w):
        mats = [_as_weights(w(p), p) for p in periods]
    else:
        raise InputError(f"w must be a SpatialWeights, a mapping period -> SpatialWeights or a builder; got "
                         f"{type(w).__name__}.")
    ref = [str(i) for i in ids] if ids is not None else list(mats[0].ids)
    ref_set = set(ref)
    aligned = []
    for p, m in zip(periods, mats):
        if set(m.ids) != ref_set or m.n != len(ref):
            extra = [i for i in m.ids if i not in ref_set]
            lacking = [i for i in ref if i not in set(m.ids)]
            what = "the panel's" if ids is not None else f"period {periods[0]}'s"
            parts = ([f"ids not among {what} units: {format_items(extra, limit=10)}"] if extra else []) + (
                [f"missing ids: {format_items(lacking, limit=10)}"] if lacking else [])
            raise WeightsError(f"the weights of period {p} ({m.name or 'unnamed'}) have other units than {what}: "
                               + "; ".join(parts) + ". Every W_t must cover the same units.")
        aligned.append(m.align(ref))
    return PanelWeights(periods, aligned)


def check_supported(model: str, effects: str, pw: PanelWeights) -> None:
    """Refuse the combinations whose likelihood a time-varying W does not allow (why, in the message).

    * SEM/SDEM with unit (individual or two-way) fixed effects: ``B_t (y_t - X_t b - mu) = e_t``
      with ``B_t = I - lambda W_t``; ``B_t mu`` then changes every period, so demeaning does not
      remove ``mu`` and the within likelihood is not the fixed-effects likelihood.
    * Random effects: spillmap's random-effects estimators assume ``I_T kron W`` (the maths
      allows a time-varying W for SAR/SDM, but the estimator is not extended).
    * SAC: its two-parameter search is written for one W.
    A W that is the same in every period is accepted everywhere.
    """
    if pw.is_constant:
        return
    if model in ("sem", "sdem") and effects in ("individual", "twoways"):
        raise InputError(
            f"a {model.upper()} with {effects!r} fixed effects needs the same W in every period: with "
            "u_t = lambda W_t u_t + e_t the unit effects enter as (I - lambda W_t) mu, which changes with W_t, "
            "so demeaning does not remove them. Use fe='time' or 'none', a lag model (SAR/SDM), or one W.")
    if effects == "random":
        raise InputError("random effects with a time-varying W are not implemented (spillmap's random-effects "
                         "estimators use I_T kron W); use fixed effects, or one W for all periods.")
    if model == "sac":
        raise InputError("the SAC model needs one W for all periods (its search over rho and lambda is written "
                         "for I_T kron W); use an SAR/SDM/SEM with the time-varying W.")
