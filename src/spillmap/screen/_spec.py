"""Options of a screen, checked before any work: indicators, statistics, weights, LM spec.

Everything a user can get wrong is found here and raised as one
:class:`~spillmap.errors.SpillmapError` naming the column, option or id at fault.  This module
holds the statistics (their names and the rows each adds) and the ``lm`` regression
(:class:`LMSpec`); the panel checks live in :mod:`spillmap.screen._panel_checks`, the weights
checks in :mod:`spillmap.screen._spec_weights` (both re-exported here).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from spillmap.errors import DataError, InputError, format_items  # noqa: F401  (DataError: re-exported)
from spillmap.geo._common import first_text_cell, period_values  # noqa: F401  (re-exported)
from spillmap.screen._panel_checks import (  # noqa: F401  (re-exported: the panel checks live there)
    _label,
    _not_numeric,
    check_keys,
    check_magnitudes,
    check_regression_cells,
    is_numeric,
    is_pattern,
    panel_values,
    select_indicators,
)
from spillmap.screen._spec_weights import (  # noqa: F401  (re-exported: the weights checks live there)
    WITHOUT_GEOMETRY,
    _build_spec,
    _panel_units,
    align_layer,
    check_weights,
    materialise_weights,
)
from spillmap.spatial.weights import SpatialWeights  # noqa: F401  (re-exported)

__all__ = ["Statistic", "STATISTICS", "LMSpec", "check_regression_cells", "select_indicators", "check_weights",
           "check_statistics", "panel_values", "check_magnitudes", "is_numeric", "is_pattern", "check_keys"]

Statistic = Literal["moran", "geary", "lisa", "lm", "sdm"]
STATISTICS: tuple[str, ...] = get_args(Statistic)
Role = Literal["y", "x"]
from spillmap._vocab import FixedEffects as Effects  # noqa: E402  (one vocabulary)

#: the rows each statistic adds (per period: moran, geary, lisa; pooled: moran, geary, lm, sdm)
ROWS: dict[str, tuple[str, ...]] = {
    "moran": ("moran_I", "moran_EI", "moran_z", "moran_p", "moran_z_norm", "moran_p_norm", "moran_p_perm"),
    "geary": ("geary_C", "geary_z", "geary_p", "geary_z_norm", "geary_p_norm", "geary_p_perm"),
    "lisa": ("lisa_HH", "lisa_LL", "lisa_HL", "lisa_LH", "lisa_threshold"),
    "lm": (
        "lm_lag", "lm_lag_p", "lm_error", "lm_error_p",
        "robust_lm_lag", "robust_lm_lag_p", "robust_lm_error", "robust_lm_error_p",
    ),
    "sdm": (
        "sdm_rho", "sdm_rho_p", "sdm_direct", "sdm_direct_p",
        "sdm_indirect", "sdm_indirect_p", "sdm_total", "sdm_total_p",
    ),
}
PER_PERIOD = ("moran", "geary", "lisa")
POOLED = ("moran", "geary", "lm", "sdm")
POOLED_LABEL = "pooled"


@dataclass(frozen=True)


class LMSpec:
    """The regression in which each indicator is tested (panel LM tests, optional SDM).

    ``role="y"``: the indicator is the dependent variable, regressed on ``x``.
    ``role="x"``: ``y`` is regressed on ``x`` plus the indicator.  ``effects`` are
    the fixed effects swept out (``fe=`` of :func:`spillmap.spatial.lm_tests`; the
    mapping of :meth:`from_value` names them ``fe``, its old key ``effects`` still read).
    """

    x: tuple[str, ...] = ()
    y: str | None = None
    role: Role = "y"
    effects: Effects = "twoways"

    @classmethod
    def from_value(cls, value: LMSpec | Mapping[str, Any] | None) -> LMSpec | None:
        """The spec of ``screen(lm=...)``, checked.

        Parameters
        ----------
        value
            ``None`` (no regression) or an ``LMSpec``, returned as they are, or a mapping with
            keys ``x``, ``y``, ``role`` (default ``"x"`` when ``y`` is given, else ``"y"``) and
            ``fe`` (old name ``effects``).

        Raises
        ------
        InputError
            Not a mapping, an unknown key, or a spec that fails :meth:`check`.
        """
        if value is None or isinstance(value, LMSpec):
            return value
        if not isinstance(value, Mapping):
            raise InputError(f"lm must be a mapping like {{'y': ..., 'x': [...], 'role': 'x'}}, got {type(value).__name__}.")
        unknown = sorted(set(value) - {"x", "y", "role", "fe", "effects"})
        if unknown:
            raise InputError(f"lm has unknown key(s) {format_items(unknown)}; allowed: x, y, role, fe.")
        x = value.get("x", ())
        spec = cls(
            x=(x,) if isinstance(x, str) else tuple(x),
            y=value.get("y"),
            role=value.get("role", "x" if value.get("y") is not None else "y"),
            effects=_fixed_effects(value),
        )
        spec.check()
        return spec

    def check(self) -> None:
        """Raise :class:`~spillmap.errors.InputError` naming the first option that cannot work."""
        if self.role not in get_args(Role):
            raise InputError(f"lm role must be 'y' or 'x', got {self.role!r}.")
        if self.effects not in get_args(Effects):
            raise InputError(f"lm fe must be one of {', '.join(get_args(Effects))}; got {self.effects!r}.")
        if self.role == "x" and not self.y:
            raise InputError("lm role 'x' needs the dependent variable y.")
        if self.role == "y" and not self.x and self.effects != "none":
            raise InputError("lm role 'y' needs at least one regressor in x.")

    @property
    def columns(self) -> tuple[str, ...]:
        return ((self.y,) if self.role == "x" else ()) + self.x


def _fixed_effects(value: Mapping[str, Any]) -> str:
    """The ``fe`` of an ``lm`` mapping; its old key ``effects`` is read with a DeprecationWarning."""
    if "effects" not in value:
        return value.get("fe", "twoways")
    if "fe" in value:
        raise InputError("lm: give fe only: effects is its old name.")
    import warnings

    warnings.warn("screen(lm={'effects': ...}) is deprecated; write lm={'fe': ...} (in spillmap 'effects' are "
                  "the direct, indirect and total effects).", DeprecationWarning, stacklevel=4)
    return value["effects"]


def check_statistics(statistics: Sequence[str] | str) -> tuple[str, ...]:
    stats = (statistics,) if isinstance(statistics, str) else tuple(statistics)
    bad = [s for s in stats if s not in STATISTICS]
    if bad or not stats:
        raise InputError(f"statistics must be among {', '.join(STATISTICS)}; got {format_items(bad) or 'none'}.")
    return tuple(s for s in STATISTICS if s in stats)
