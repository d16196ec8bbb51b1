"""Classification of map values, shared by the HTML maps and :mod:`spillmap.figures`.

Library used: **mapclassify** classifies (quantiles, Fisher–Jenks, equal interval,
user-defined bins), **branca**'s ColorBrewer tables give the colours.  Fisher–Jenks bounds
come from :mod:`spillmap.maps._fisher_jenks` (mapclassify's programme, vectorised: it is
pure Python without numba).  Written here: the
``"auto"`` rule (equal width over a narrow range), merging classes with equal bounds
(ties at a quantile), and the legend labels, whose bounds are printed with
:func:`spillmap.tables.distinct_labels` so that no two classes read alike.

The printing of the numbers themselves (class limits, tooltips, what reads "0" or
"negligible") lives in :mod:`spillmap.maps._legend_numbers`, re-exported here.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.maps._fisher_jenks import fisher_jenks_bins
from spillmap.maps._legend_numbers import (  # noqa: F401  (re-exported: the numbers' printing lives there)
    _MOST_DECIMALS,
    MAX_DECIMALS,
    NEGLIGIBLE_FRACTION,
    ZERO_BELOW,
    _apart,
    _edge_decimals,
    _exact,
    _plain,
    _significant,
    bound_labels,
    display_number,
    fixed_labels,
    magnitude_labels,
    reading,
    scale_words,
)

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["Scheme", "SCHEMES", "AUTO_NARROW", "Classification", "classify", "palette", "class_labels", "bound_labels",
           "magnitude_labels", "scale_words", "classes_note", "colors_for", "NO_DATA_COLOR", "reading", "ZERO_BELOW",
           "NEGLIGIBLE_FRACTION", "fixed_labels"]

NO_DATA_COLOR = "#c8c8c8"

Scheme = Literal["quantiles", "fisher_jenks", "equal_interval", "user", "auto"]
SCHEMES: tuple[str, ...] = ("quantiles", "fisher_jenks", "equal_interval", "user", "auto")
#: ``scheme="auto"``: equal-width classes when (max - min) / |mid-range| is below this, Fisher-Jenks otherwise
AUTO_NARROW = 0.2


@dataclass(frozen=True)


class Classification:
    """Result of :func:`classify`: class upper bounds, the class of each value, counts.

    ``yb`` is -1 for a missing value.  ``scheme`` is the scheme used; ``requested`` the one
    asked for (``"auto"`` resolves to ``"equal_interval"`` or ``"fisher_jenks"``).
    """

    bins: tuple[float, ...]
    lower: float
    yb: np.ndarray
    counts: tuple[int, ...]
    scheme: str
    requested: str = ""

    @property
    def k(self) -> int:
        return len(self.bins)

    @property
    def upper(self) -> float:
        return self.bins[-1]

    @property
    def narrow(self) -> bool:
        """True when ``"auto"`` chose equal-width classes for a narrow range."""
        return self.requested == "auto" and self.scheme == "equal_interval"


def _auto_scheme(v: np.ndarray) -> str:
    lo, hi = float(np.min(v)), float(np.max(v))
    mid = abs(lo + hi) / 2
    return "equal_interval" if mid > 0 and (hi - lo) / mid < AUTO_NARROW else "fisher_jenks"


def _mapclassify(v: np.ndarray, scheme: str, k: int, bins):
    import warnings

    import mapclassify

    if scheme == "user":
        return mapclassify.UserDefined(v, bins)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if k == 1:
            return mapclassify.UserDefined(v, [v.max()])
        if scheme == "quantiles":
            return mapclassify.Quantiles(v, k=k)
        if scheme == "fisher_jenks":
            # mapclassify's FisherJenks bounds, computed by its programme vectorised (pure Python
            # without numba: 7 s for 2,850 values); UserDefined then bins as FisherJenks does
            return mapclassify.UserDefined(v, fisher_jenks_bins(v, k).tolist())
        return mapclassify.EqualInterval(v, k=k)


def classify(
    values: ArrayLike, *, scheme: Scheme = "quantiles", k: int = 5, bins: Sequence[float] | None = None
) -> Classification:
    """Classify ``values`` with mapclassify; missing values get class -1.

    Parameters
    ----------
    values
        Numbers (NaN = no data).
    scheme
        ``"quantiles"``, ``"fisher_jenks"``, ``"equal_interval"``, ``"user"`` (then
        ``bins`` are the class upper bounds; the last is raised to the maximum if lower)
        or ``"auto"`` (default ``"quantiles"``): equal-width classes when the values span a narrow range
        (``(max - min) / |(max + min) / 2|`` below :data:`AUTO_NARROW`, where quantile classes would
        exaggerate small differences), otherwise Fisher-Jenks natural breaks (classes
        follow the gaps in the data, so a few outliers do not stretch the colours).
    k
        Number of classes (2-9) for the automatic schemes.  Fewer are used when the data
        have fewer distinct values; classes with equal bounds (ties at a quantile) are
        merged, so no two classes share a label.  Bounds closer than :data:`ZERO_BELOW` times the
        largest magnitude count as equal: values computed by solves differ by rounding there
        (the generic OpenBLAS kernels gave two equal spillovers one ulp apart, and Fisher-Jenks a class
        between them whose legend then needed 18 decimals), so such classes are merged and a first
        class that close to the minimum holds one value, as with exact arithmetic (not with
        ``scheme="user"``).
    bins
        With ``scheme="user"``: the class upper bounds, strictly increasing (ignored
        otherwise).
    """
    if scheme not in SCHEMES:
        raise InputError(f"scheme={scheme!r} is not one of {', '.join(SCHEMES)}.")
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    ok = np.isfinite(x)
    if not ok.any():
        raise DataError("no finite value to classify; every unit would be 'no data'.")
    v = x[ok]
    used = _auto_scheme(v) if scheme == "auto" else scheme
    b = None
    if used == "user":
        if bins is None or len(bins) == 0:
            raise InputError("scheme='user' needs bins=[upper bound of each class, ...].")
        b = np.asarray(bins, dtype=float)
        if np.any(np.diff(b) <= 0):
            raise InputError(f"bins must increase strictly, got {list(bins)}.")
        if b[-1] < v.max():
            b = np.append(b, v.max())
    elif not 2 <= int(k) <= 9:
        raise InputError(f"k={k} classes: choose between 2 and 9.")
    c = _mapclassify(v, used, max(1, min(int(k), np.unique(v).size)), b)
    cbins = np.asarray(c.bins, dtype=float)
    # bounds closer than this are equal but for rounding (a user's own bins are kept as given)
    tie = 0.0 if used == "user" else ZERO_BELOW * float(np.max(np.abs(v)))
    merged = cbins[np.r_[np.diff(cbins) > tie, True]]
    if merged.size < cbins.size:  # tied quantiles, or bounds an ulp apart: merge classes with equal bounds
        c = _mapclassify(v, "user", 0, merged)
        cbins = np.asarray(c.bins, dtype=float)
    yb = np.full(x.shape, -1, dtype=int)
    yb[ok] = np.asarray(c.yb, dtype=int)
    counts = tuple(int((yb == j).sum()) for j in range(cbins.size))
    lower = float(v.min())
    lower = float(cbins[0]) if cbins[0] - lower <= tie else lower  # a first class of one value but for rounding
    return Classification(tuple(cbins.tolist()), lower, yb, counts, used, scheme)


def palette(cmap: str, n: int) -> list[str]:
    """``n`` ColorBrewer colours of ``cmap`` (e.g. ``"YlOrRd"``, ``"RdBu_r"``)."""
    from branca.utilities import color_brewer

    try:
        if n >= 3:
            return list(color_brewer(cmap, n))
        three = list(color_brewer(cmap, 3))
    except (ValueError, KeyError) as exc:
        raise InputError(f"cmap={cmap!r} is not a ColorBrewer scheme (e.g. 'YlOrRd', 'Blues', 'RdBu_r').") from exc
    return [three[0], three[2]][:n] if n == 2 else [three[2]]


def class_labels(c: Classification, *, counts: bool = True) -> list[str]:
    """Legend labels ``"lower – upper (count)"`` of each class.

    The limits are printed with :func:`bound_labels`: decimals chosen from the class width,
    no two classes alike, the first and last limit the data's minimum and maximum rounded to
    nearest, as the tables print them.
    """
    bounds = [c.lower, *c.bins]
    edges = bound_labels(bounds)
    out = []
    for j in range(c.k):
        # a class holding a single value (ties at the minimum) is labelled by that value alone
        text = edges[j + 1] if bounds[j] == bounds[j + 1] else f"{edges[j]} – {edges[j + 1]}"
        out.append(text + (f" ({c.counts[j]})" if counts else ""))
    return out


def classes_note(c: Classification, *, pooled: str | None = None) -> str:
    """``"classes: quantiles; range 0.49–0.52"``: the scheme, why (auto) and the range, printed
    as the legend's first and last class limits (:func:`bound_labels`)."""
    edges = bound_labels([c.lower, *c.bins])
    lo, hi = edges[0], edges[-1]
    words = {"quantiles": "quantiles", "fisher_jenks": "Fisher–Jenks", "equal_interval": "equal width",
             "user": "user-defined"}.get(c.scheme, c.scheme)
    if c.narrow:
        spread = (c.upper - c.lower) / abs((c.upper + c.lower) / 2) if c.upper + c.lower else float("nan")
        words = f"equal width: narrow range (max − min ≈ {spread:.0%} of the mid-value), differences are small"
    text = f"classes: {words}; range {lo} – {hi}"
    return f"{text}; {pooled}" if pooled else text


def colors_for(c: Classification, colors: Sequence[str]) -> list[str]:
    """Fill colour per unit; missing values get :data:`NO_DATA_COLOR`."""
    return [colors[j] if j >= 0 else NO_DATA_COLOR for j in c.yb]
