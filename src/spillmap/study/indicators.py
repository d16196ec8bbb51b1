"""Composite indicators in a study: ``[indicators.NAME]`` builds a panel column from several.

The seed study's industrial-intelligence index is an entropy-weighted composite of seven
indicators (its Table 1).  A study builds such an index before anything else, from the
panel's columns, with :func:`spillmap.indicators.composite_index`; the index is then a column
NAME of the panel like any other (it can be ``model.y``, in ``model.x``, a Moran variable) and
its weights table (dimension, indicator, direction, weight) is kept in
``StudyResults.indicators`` and shown in the report.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pandas as pd

from spillmap.study._schema import from_mapping, key, spec_error, to_mapping

__all__ = ["IndicatorSpec", "indicators_from", "build_indicators", "EXAMPLE"]

EXAMPLE = ('[indicators.infra]\nmethod = "entropy"\npositive = ["hwy", "water", "util"]\nnegative = ["unemp"]\n'
           'dimensions = { hwy = "transport", water = "utilities", util = "utilities", unemp = "labour" }\n'
           'weighting = "pooled"\n')


def _frozen(v: Mapping) -> Mapping:
    return MappingProxyType(dict(v))


@dataclass(frozen=True, kw_only=True)
class IndicatorSpec:
    """``[indicators.NAME]``: a composite indicator built from panel columns."""

    name: str = ""  # the table's name ([indicators.NAME]), not a TOML key
    method: str = key("Weighting method: entropy weight method, CRITIC, or PCA.", default="entropy",
                      choices=("entropy", "critic", "pca"))
    positive: tuple[str, ...] = key("Indicators that raise the index (panel columns).", default=(),
                                    example=("robots", "patents"))
    negative: tuple[str, ...] = key("Indicators that lower the index (reversed before weighting).", default=())
    dimensions: Mapping[str, str] = key("Dimension of each indicator for the weights table "
                                        "(e.g. { robots = \"application\" }); default the index's name.",
                                        default=None, convert=_frozen)
    weighting: str = key("Weights over all observations (pooled) or separately per period.", default="pooled",
                         choices=("pooled", "per_period"))
    shift: float = key("Entropy method: added to the normalised values before the shares (keeps ln 0 out); "
                       "0 uses 0 ln 0 = 0.", default=1e-4, check=lambda v: None if v >= 0 else "must be >= 0.")
    components: str = key("PCA: the first component, or the variance-weighted components.", default="first",
                          choices=("first", "variance"))
    n_components: int | None = key("PCA with components = \"variance\": how many (default: eigenvalues above 1).",
                                   default=None, check=lambda v: None if v >= 1 else "must be >= 1.")

    def __post_init__(self) -> None:
        if self.dimensions is None:
            object.__setattr__(self, "dimensions", MappingProxyType({}))

    def to_dict(self) -> dict:
        return to_mapping(self, skip_defaults=True) | {"method": self.method}


def indicators_from(raw: Any, source: str, *, taken: set[str] = frozenset()) -> tuple[IndicatorSpec, ...]:
    """``[indicators.NAME]`` tables → specs (errors name ``indicators.NAME.<key>``)."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise spec_error(source, "indicators", "must hold one table per index, e.g. [indicators.int].")
    out = []
    for name, table in raw.items():
        spec = from_mapping(IndicatorSpec, table, source=source, prefix=f"indicators.{name}.", extra={"name": name})
        if len(spec.positive) + len(spec.negative) < 2:
            raise spec_error(source, f"indicators.{name}", "needs at least two indicators (positive + negative).")
        both = sorted(set(spec.positive) & set(spec.negative))
        if both:
            raise spec_error(source, f"indicators.{name}", f"{both[0]!r} is listed as positive and negative.")
        extra = sorted(set(spec.dimensions) - set(spec.positive) - set(spec.negative))
        if extra:
            raise spec_error(source, f"indicators.{name}.dimensions.{extra[0]}", "is not one of its indicators.")
        out.append(spec)
    return tuple(out)


def build_indicators(panel: pd.DataFrame, specs: Sequence[IndicatorSpec], *, time: str) -> tuple[pd.DataFrame, dict]:
    """``panel`` with one column per index, and each index's weights table (JSON-ready)."""
    from spillmap.errors import DataError
    from spillmap.indicators import composite_index

    out, tables = panel.copy(), {}
    for spec in specs:
        if spec.name in out.columns:
            raise DataError(f"indicators.{spec.name}: the panel already has a column {spec.name!r}; name the index "
                            "differently.")
        try:
            ci = composite_index(out, name=spec.name, method=spec.method, positive=spec.positive,
                                 negative=spec.negative, dimensions=dict(spec.dimensions), weighting=spec.weighting,
                                 time=time, shift=spec.shift, components=spec.components,
                                 n_components=spec.n_components)
        except DataError as exc:
            raise type(exc)(f"indicators.{spec.name}: {exc}") from None
        out[spec.name] = ci.index.to_numpy(float)
        tables[spec.name] = {"method": ci.method, "weighting": spec.weighting, "note": ci.note,
                             "weights": ci.weights.to_dict(orient="records")}
    return out, tables
