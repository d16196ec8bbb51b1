"""The option vocabularies, each defined once.

Every layer that takes one of these options imports its tuple from here (and checks
a value with :func:`spillmap.errors.check_choice`), so the words and their order are
the same in the spatial tests, the estimators and the study layer.
"""
from __future__ import annotations

from typing import Literal, get_args

__all__ = ["fe_keyword", "FixedEffects", "FE", "FIXED_EFFECTS", "EFFECTS", "MODELS", "RE_MODELS", "LEE_YU", "LEE_YU_STATIC", "COV_TYPES", "n_fixed_effects",
           "DynamicLags", "DYNAMIC", "TEST_FAMILIES"]

#: the fixed-effects option of the within estimators and of the LM / Moran tests
FixedEffects = Literal["none", "individual", "time", "twoways"]
FE: tuple[str, ...] = get_args(FixedEffects)
#: the values of ``FE`` that do sweep effects out
FIXED_EFFECTS: tuple[str, ...] = FE[1:]
#: ``SpatialPanel``'s ``effects=``: the fixed-effects options and random effects
EFFECTS: tuple[str, ...] = FE + ("random",)
#: the spatial models of ``SpatialPanel``
MODELS: tuple[str, ...] = ("sar", "sem", "sdm", "slx", "sdem", "sac")
#: the models with a random-effects likelihood
RE_MODELS: tuple[str, ...] = ("sar", "sdm", "sem")
#: the Lee-Yu (2010) treatment of the fixed effects (every model); a study's models take these
LEE_YU_STATIC: tuple[str, ...] = ("none", "transformation", "bias-correction")
#: ... and the published Lee-Yu / Yu-de Jong-Lee estimator of a dynamic model (``SpatialPanel``, ``spillmap fit``)
LEE_YU: tuple[str, ...] = LEE_YU_STATIC + ("ydjl",)
#: the covariance of an ML fit: inverse expected information or inverse observed information (Hessian)
COV_TYPES: tuple[str, ...] = ("information", "hessian")
#: the lags of y in a dynamic model: y_t-1, W y_t-1 or both
DynamicLags = Literal["y", "wy", "both"]
DYNAMIC: tuple[str, ...] = get_args(DynamicLags)
#: the test families a study (``[diagnostics] tests``) or ``spillmap diagnose --tests`` can ask for
TEST_FAMILIES: tuple[str, ...] = ("lm", "lr_wald", "hausman", "lm_sarma", "moran_residuals", "cd", "bsk", "bsjk",
                                  "within", "bayes")


def n_fixed_effects(effects: str, n: int, t: int) -> int:
    """Number of fixed effects swept out of an ``n`` x ``t`` panel: 0, ``n``, ``t`` or ``n + t - 1``."""
    return {"none": 0, "individual": n, "time": t, "twoways": n + t - 1}[effects]


def fe_keyword(func):
    """Let ``func`` (whose fixed-effects option is ``fe=``) still read the old keyword ``effects=``.

    In spillmap "effects" are the direct / indirect / total effects; the fixed effects are
    ``fe``.  The old spelling keeps working with a :class:`DeprecationWarning`.
    """
    import functools
    import warnings

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if "effects" in kwargs:
            if "fe" in kwargs:
                from spillmap.errors import InputError

                raise InputError("give fe= only: effects= is its old name.")
            warnings.warn(f"{func.__qualname__.replace('.__init__', '')}(effects=...) is deprecated; write fe=... "
                          "(in spillmap 'effects' are the direct, indirect and total effects).",
                          DeprecationWarning, stacklevel=2)
            kwargs["fe"] = kwargs.pop("effects")
        return func(*args, **kwargs)

    return wrapper
