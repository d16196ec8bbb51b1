"""The options of each weights kind (``[weights.NAME]`` tables): one frozen dataclass per kind.

Each field documents itself (:func:`spillmap.study._schema.key`: words, default, choices and
old spellings, a check of its value); :data:`spillmap.study.weights.KINDS` pairs each class
with its builder and its description in words.  Only the vocabulary lives here: nothing is
built or computed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spillmap.study._schema import key

__all__ = ["TRANSFORMS", "TRANSFORM_ALIASES", "ISLANDS", "ContiguityOptions", "KnnOptions", "InverseDistanceOptions",
           "EconomicDistanceOptions", "EconomicProductOptions", "NestedOptions", "FileOptions"]

TRANSFORMS = ("R", "B", "O")
#: old spellings of the transform (``spillmap weights`` said r/b/none, ``fit``/``moran`` R/B/asis)
TRANSFORM_ALIASES = {"r": "R", "b": "B", "o": "O", "none": "O", "asis": "O"}
ISLANDS = ("error", "nearest", "drop", "keep")


def _transform_key(doc_default: str = "R") -> Any:
    return key("R = row-standardised, B = binary, O = as built.", default=doc_default, choices=TRANSFORMS,
               aliases=TRANSFORM_ALIASES)


def _by_period_key() -> Any:
    return key("One matrix per period from that period's values (a time-varying W): fitted as "
               "W_t in every SDM; the tests that need one W are listed as not computed.", default=False)


def _pos_int(v: int) -> str | None:
    return None if v >= 1 else f"must be >= 1, got {v}."


def _nonneg(v: float) -> str | None:
    return None if v >= 0 else f"must be >= 0, got {v}."


def _decay(v: float) -> str | None:
    return None if v > 0 else f"must be a positive number (usually 1 or 2), got {v}."


def _period(v: tuple) -> str | None:
    return None if len(v) == 2 else f"must be [start, end] (both included), got {list(v)}."


def _unit_interval(v: float) -> str | None:
    return None if 0 <= v <= 1 else f"must be in [0, 1], got {v}."


@dataclass(frozen=True, kw_only=True)
class ContiguityOptions:
    contiguity: str = key("Shared point (queen) or shared edge (rook).", default="queen", choices=("queen", "rook"))
    islands: str = key("Units without a neighbour: error, link to the k nearest, drop them, or keep zero rows.",
                       default="error", choices=ISLANDS)
    k: int = key("Nearest units linked to each island (islands = \"nearest\").", default=1, check=_pos_int)
    transform: str = _transform_key()


@dataclass(frozen=True, kw_only=True)
class KnnOptions:
    k: int = key("Neighbours per unit (great-circle distance between centroids).", example=5, check=_pos_int)
    transform: str = _transform_key()


@dataclass(frozen=True, kw_only=True)
class InverseDistanceOptions:
    alpha: float = key("Distance-decay exponent: w = d^-alpha (km).", default=1.0, check=_decay)
    cutoff_km: float | None = key("Keep pairs at most this many km apart (a unit with no other within it is an "
                                  "error naming the cutoff that would do; k keeps every unit connected).",
                                  default=None, check=_nonneg)
    k: int | None = key("Keep only the k nearest units.", default=None, check=_pos_int)
    transform: str = _transform_key()


@dataclass(frozen=True, kw_only=True)
class EconomicDistanceOptions:
    var: str = key("Economic variable (column or transform), averaged over period.", example="pgdp")
    period: tuple[Any, ...] | None = key("[start, end] periods averaged, both included (default all).",
                                         default=None, check=_period)
    by_period: bool = _by_period_key()
    transform: str = _transform_key()


@dataclass(frozen=True, kw_only=True)
class EconomicProductOptions:
    var: str = key("Economic variable (column or transform), averaged over period.", example="pgdp")
    period: tuple[Any, ...] | None = key("[start, end] periods averaged (default all).", default=None, check=_period)
    alpha: float = key("Distance-decay exponent of the distance part.", default=1.0, check=_decay)
    by_period: bool = _by_period_key()
    transform: str = _transform_key()


@dataclass(frozen=True, kw_only=True)
class NestedOptions:
    var: str = key("Economic variable of the economic-distance part.", example="pgdp")
    phi: float = key("Weight of the distance part: phi R(1/d^alpha) + (1 - phi) R(1/|Ybar_i - Ybar_j|).",
                     example=0.5, check=_unit_interval)
    alpha: float = key("Distance-decay exponent of the distance part.", default=1.0, check=_decay)
    period: tuple[Any, ...] | None = key("[start, end] periods averaged (default all).", default=None, check=_period)
    cutoff_km: float | None = key("Distance part: keep pairs at most this many km apart.", default=None,
                                  check=_nonneg)
    k: int | None = key("Distance part: keep only the k nearest units.", default=None, check=_pos_int)
    by_period: bool = _by_period_key()
    transform: str = key("R = the combination as built (each part is row-standardised), B = its binary pattern.",
                         default="R", choices=("R", "B"), aliases=TRANSFORM_ALIASES)


@dataclass(frozen=True, kw_only=True)
class FileOptions:
    path: str = key("Weights file (.gal, .gwt, .mtx, .csv), relative to the spec file; a bundled matrix name "
                    "(cigar_w) also works here.", example="W.gal")
    transform: str = key("R = row-standardise, B = binary, O = as stored in the file.", default="R",
                         choices=TRANSFORMS, aliases=TRANSFORM_ALIASES)
