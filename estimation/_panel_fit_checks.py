"""The checks of :class:`~spillmap.estimation.SpatialPanel`'s options and of a fit's result.

:func:`checked_fit_options` checks every option of ``SpatialPanel.fit`` before any work and fills
in the defaults (refusing by name, with random effects, the options only a fixed-effects fit
honours); :func:`_check_finite_fit` makes non-finite estimates an error naming them; and
:func:`_data_notice` reads the synthetic-data notice a data frame carries.  Re-exported by
:mod:`spillmap.estimation.model`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from spillmap._vocab import COV_TYPES, LEE_YU
from spillmap.errors import EstimationError, InputError, check_choice, format_items

from ._checks import LOGDET_METHODS, check_probes

if TYPE_CHECKING:
    from .results import SpatialPanelResults

__all__ = ["checked_fit_options"]


def checked_fit_options(random: bool, dynamic: str | None, lee_yu: Any, cov_type: Any, tol: Any, logdet_method: Any,
                        trace_probes: Any) -> tuple[str, str]:
    """``(lee_yu, cov_type)`` of :meth:`~spillmap.estimation.SpatialPanel.fit` with their defaults filled in,
    every option checked before any work (``random``: a random-effects fit; ``dynamic``: the model's lags)."""
    if random:
        _refuse_fixed_effects_options(lee_yu, cov_type, logdet_method, trace_probes)
    lee_yu = _check_option("lee_yu", "transformation" if lee_yu is None else lee_yu, LEE_YU)
    if lee_yu == "ydjl" and dynamic is None:
        raise InputError("lee_yu='ydjl' is the Yu-de Jong-Lee correction of a dynamic model (dynamic='y', 'wy' or "
                         "'both'); a static model takes 'transformation', 'bias-correction' or 'none'.")
    cov_type = _check_option("cov_type", ("hessian" if random else "information") if cov_type is None else cov_type,
                             COV_TYPES)
    if not (isinstance(tol, float | int) and 0 < tol < 1e-2):
        raise InputError(f"tol must be a small positive number, got {tol!r}.")
    _check_option("logdet_method", logdet_method, LOGDET_METHODS)
    check_probes(trace_probes)
    return lee_yu, cov_type


def _check_option(name: str, value: object, choices: Sequence[str]) -> str:
    """The one validator of string options (:func:`spillmap.errors.check_choice`)."""
    return str(check_choice(name, value, choices))


def _data_notice(data: Any) -> str:
    """The data frame's ``attrs["notice"]`` (the bundled synthetic panel's :data:`~spillmap.datasets.DEMO_NOTICE`,
    kept by :func:`spillmap.geo.join_panel`), or ``""``: a user's own data frame has none."""
    notice = (getattr(data, "attrs", None) or {}).get("notice")
    return notice.strip() if isinstance(notice, str) else ""


def _refuse_fixed_effects_options(lee_yu: Any, cov_type: Any, logdet_method: Any, trace_probes: Any) -> None:
    """Options of the fixed-effects fit that a random-effects fit cannot honour, refused by name (they
    were ignored without a word: API audit 29 #3)."""
    if lee_yu not in (None, "none"):
        raise InputError(f"lee_yu={lee_yu!r} treats fixed unit effects; with re=True they are random and Lee-Yu "
                         "does not apply: drop lee_yu.")
    if cov_type == "information":
        raise InputError("random effects take their standard errors from the observed information (minus the "
                         "inverse Hessian, cov_type='hessian'); the analytical information is not available for "
                         "them: drop cov_type.")
    if logdet_method != "auto" or trace_probes is not None:
        raise InputError("logdet_method and trace_probes apply to fixed-effects fits; a random-effects fit uses "
                         "W's eigenvalues and exact traces: drop them.")


def _check_finite_fit(res: SpatialPanelResults) -> None:
    """A fit whose estimates or log-likelihood are not finite is an error naming them."""
    values = {**res.params.to_dict(), "sigma2": res.sigma2, "loglik": res.loglik}
    bad = [k for k, v in values.items() if not np.isfinite(v)]
    if bad:
        raise EstimationError(
            f"the fit produced non-finite values for {format_items(bad)}: the data are probably badly "
            "scaled or nearly collinear. Rescale the variables (e.g. logs) or drop near-duplicate regressors."
        )
