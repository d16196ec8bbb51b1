"""The model-agnostic extractor protocol: any fitted result -> ``tidy`` + ``glance``.

After R's broom/modelsummary and pyfixest's ``coef_table``/``stat``: a results type
joins a regression table by providing two functions,

* ``tidy(fit) -> DataFrame``: one row per term with columns :data:`TIDY_COLUMNS`
  (``term``, ``kind``, ``variable``, ``estimate``, ``std_error``, ``p``);
* ``glance(fit) -> dict``: model statistics under the keys of :data:`GLANCE_KEYS`
  (missing keys are simply not shown).

Adapters are registered by type with :func:`register` (subclasses inherit them), so the
estimation classes need no change; a results type may instead define ``tidy()`` and
``glance()`` methods itself.  Later results types (dynamic panels, SAC) register their
own adapters next to their class.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from spillmap.errors import InputError

__all__ = ["Tidy", "Adapter", "register", "adapter_for", "tidy", "glance", "TIDY_COLUMNS", "GLANCE_KEYS", "TERM_KINDS"]

#: columns of a tidy frame
TIDY_COLUMNS = ("term", "kind", "variable", "estimate", "std_error", "p")
#: columns a tidy frame may add, kept by :func:`tidy`: the percentile interval of simulated effects and
#: their ``heavy_tailed`` flag (such an effect is printed without stars, its interval in a note)
TIDY_OPTIONAL = ("ci_lower", "ci_upper", "heavy_tailed")
#: kinds of terms, in the order a regression table prints their blocks
TERM_KINDS = ("beta", "theta", "spatial", "variance", "direct", "indirect", "total")
#: what ``glance`` may report (model: short name, e.g. "SDM"; unit_fe/time_fe/random: bool;
#: r2_kind: "within", "pseudo_within" (squared correlation of y and its fit after the
#: fixed-effects transformation), "pseudo" (the same in levels: pooled, random effects) or "ordinary";
#: effects_method: how the SEs of effects in ``tidy`` were obtained, in words, for the
#: table's note; hessian: how a random-effects fit's Hessian was computed, "analytic" or
#: "numerical ..."); notice: what the data are when every output must say it (synthetic
#: demonstration data), a table's first note)
GLANCE_KEYS = (
    "model", "y", "w", "fixed_effects", "unit_fe", "time_fe", "random", "lee_yu", "nobs", "n", "t",
    "loglik", "aic", "bic", "r2", "r2_kind", "sigma2", "cov_type", "hessian", "method", "effects_method",
    "notice",
)


@runtime_checkable
class Tidy(Protocol):
    """A results object that describes itself for tables."""

    def tidy(self) -> pd.DataFrame: ...

    def glance(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Adapter:
    """The two extractor functions of one results type."""

    tidy: Callable[[Any], pd.DataFrame]
    glance: Callable[[Any], Mapping[str, Any]]


_REGISTRY: dict[type, Adapter] = {}


def register(cls: type, *, tidy: Callable[[Any], pd.DataFrame], glance: Callable[[Any], Mapping[str, Any]]) -> None:
    """Register the extractor functions of results type ``cls`` (and its subclasses).

    Parameters
    ----------
    cls
        The results class.
    tidy
        ``fit -> DataFrame`` with one row per term (:data:`TIDY_COLUMNS`).
    glance
        ``fit -> mapping`` of model statistics (keys of :data:`GLANCE_KEYS`).
    """
    if not isinstance(cls, type):
        raise InputError(f"register() needs a class, got {cls!r}.")
    _REGISTRY[cls] = Adapter(tidy=tidy, glance=glance)


def adapter_for(fit: object) -> Adapter:
    """The adapter of ``fit``'s type (nearest registered base class), or its own methods."""
    for cls in type(fit).__mro__:
        if cls in _REGISTRY:
            return _REGISTRY[cls]
    if isinstance(fit, Tidy):
        return Adapter(tidy=lambda f: f.tidy(), glance=lambda f: f.glance())
    known = ", ".join(sorted(c.__name__ for c in _REGISTRY))
    raise InputError(
        f"cannot put a {type(fit).__name__} in a table: no extractor is registered for it "
        f"(known: {known}); register one with spillmap.tables.register({type(fit).__name__}, tidy=..., glance=...)."
    )


def _check_tidy(frame: pd.DataFrame, fit: object) -> pd.DataFrame:
    missing = [c for c in TIDY_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"the tidy() of {type(fit).__name__} lacks column(s) {missing}; expected {list(TIDY_COLUMNS)}.")
    bad = sorted(set(frame["kind"]) - set(TERM_KINDS))
    if bad:
        raise InputError(f"the tidy() of {type(fit).__name__} has unknown term kind(s) {bad}; use {list(TERM_KINDS)}.")
    extra = [c for c in TIDY_OPTIONAL if c in frame.columns]
    return frame.loc[:, [*TIDY_COLUMNS, *extra]].reset_index(drop=True)


def tidy(fit: object) -> pd.DataFrame:
    """One row per term of ``fit``: :data:`TIDY_COLUMNS`.

    Parameters
    ----------
    fit
        A fitted result of a type with an extractor (built in or :func:`register`-ed).
    """
    return _check_tidy(pd.DataFrame(adapter_for(fit).tidy(fit)), fit)


def glance(fit: object) -> dict[str, Any]:
    """Model statistics of ``fit`` (keys of :data:`GLANCE_KEYS`; absent ones omitted).

    Parameters
    ----------
    fit
        A fitted result of a type with an extractor (built in or :func:`register`-ed).
    """
    return {k: v for k, v in dict(adapter_for(fit).glance(fit)).items() if v is not None}
