"""Up-front checks of the estimation options that are not a choice among words.

:func:`spillmap.errors.check_choice` checks the word options (``model``, ``fe``,
``lee_yu`` ...); the functions here check a flag, a confidence level, a seed, a
number of draws or of probes, each raising a one-line
:class:`~spillmap.errors.InputError` that names the argument and the values it
takes, before any work (never a numpy/scipy error from deep inside a fit).
"""
from __future__ import annotations

import numbers

import numpy as np

from spillmap.errors import InputError, check_choice

__all__ = ["check_flag", "check_level", "check_seed", "check_draws", "check_probes", "check_effects_options",
           "LOGDET_METHODS", "TRACES"]

#: the log-determinant methods of ``SpatialPanel.fit(logdet_method=...)``
LOGDET_METHODS: tuple[str, ...] = ("auto", "eigen", "lu")
#: the trace methods of the effects
TRACES: tuple[str, ...] = ("auto", "exact", "stochastic")


def _is_integer(value: object) -> bool:
    """An integer (Python or numpy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def check_flag(name: str, value: object) -> bool:
    """``value`` as a bool when it is one (numpy's too); else an InputError naming ``name``.

    A truthy string such as ``"no"`` must not switch an option on.

    >>> check_flag("re", True)
    True
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise InputError(f"{name} must be True or False; got {value!r}.")


def check_level(level: object, name: str = "level") -> object:
    """``level`` unchanged when it is a probability in (0, 1); else an InputError.

    >>> check_level(0.9)
    0.9
    """
    if isinstance(level, numbers.Real) and not isinstance(level, bool | np.bool_) and 0 < level < 1:
        return level
    raise InputError(f"{name}={level!r} is not in (0, 1): give a probability such as 0.95 (a 95% interval).")


def check_seed(seed: object) -> object:
    """``seed`` unchanged when it is a non-negative integer; else an InputError.

    >>> check_seed(0)
    0
    """
    if _is_integer(seed) and seed >= 0:
        return seed
    raise InputError(f"seed must be a non-negative integer (e.g. seed=0); got {seed!r}.")


def check_draws(draws: object) -> object:
    """``draws`` unchanged when it is a non-negative whole number (0: the delta method); else an InputError."""
    if isinstance(draws, numbers.Real) and not isinstance(draws, bool | np.bool_) and draws >= 0 \
            and int(draws) == draws:
        return draws
    raise InputError(f"draws must be a non-negative integer (0 for the delta method); got {draws!r}.")


def check_probes(probes: object, name: str = "trace_probes") -> object:
    """``probes`` unchanged when it is ``None`` (the default) or a positive integer; else an InputError."""
    if probes is None or (_is_integer(probes) and probes >= 1):
        return probes
    raise InputError(f"{name} must be a positive integer or None (the default); got {probes!r}.")


def check_effects_options(*, draws: object, seed: object, method: object, traces: object, level: object) -> None:
    """The options of the average effects, checked before any work (every entry point calls this)."""
    check_choice("method", method, ("simulation", "delta"))
    check_choice("traces", traces, TRACES)
    check_draws(draws)
    check_seed(seed)
    check_level(level)
