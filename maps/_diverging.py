"""Classes broken at 0 for a diverging palette: quantiles within each sign (scheme ``"quantiles_by_sign"``).

A diverging palette (ColorBrewer ``RdBu_r``) says "below 0" in blue and "above 0" in red, so its classes must
break at 0: quantile classes over all values put the palette's white middle wherever the median falls (the
recovered fixed effects, which sum to zero, read "average" for a city at −0.30: planner audit 32 #3).  Here the
negative values are split into quantile classes of their own, the positive ones too, and the colours are the
blue half of the palette for the first and the red half for the second, lightest next to 0, with no white class.
A class of the same rank on either side has the same depth of colour.  The :class:`Classification` is
:mod:`spillmap.maps._classify`'s, so its legend labels (:func:`~spillmap.maps._classify.class_labels`) read
``−0.31 – −0.12 … −0.04 – 0``, ``0 – 0.05 …``.  The HTML and the static map are
:func:`spillmap.maps.choropleth` and :func:`spillmap.figures.choropleth` with ``scheme="quantiles_by_sign"``.  Colours of changes of either sign
(the scenario figure's bars) are :func:`signed_barh`'s, stacked away from 0 by :func:`diverging_stack`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from spillmap.errors import DataError, InputError
from spillmap.maps._classify import Classification, bound_labels, classify, palette

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from numpy.typing import ArrayLike

__all__ = ["SIGN_SCHEME", "SignedClassification", "classify_by_sign", "sign_palette", "sign_note", "signed_barh",
           "diverging_stack", "classes_and_colors"]

#: the scheme's name, as ``scheme=`` of :func:`spillmap.figures.choropleth`
SIGN_SCHEME = "quantiles_by_sign"


@dataclass(frozen=True)
class SignedClassification(Classification):
    """A :class:`~spillmap.maps._classify.Classification` whose first ``negative`` classes hold the values below 0
    (the last of them ends at 0) and the others the values at or above 0."""

    negative: int = 0


def _side(v: np.ndarray, k: int) -> Classification | None:
    """Quantile classes of one side's values (``None`` for none)."""
    if not v.size:
        return None
    return classify(v, scheme="user", bins=[float(v.max())]) if k == 1 else classify(v, scheme="quantiles", k=k)


def classify_by_sign(values: ArrayLike, *, k: int = 3) -> SignedClassification:
    """Quantile classes of the negative values and, apart, of the others (0 included); missing values get -1.

    A value of exactly 0 is counted above 0 (it is the lower limit of the first class there).

    Parameters
    ----------
    values
        Numbers (NaN = no data).
    k
        Classes on each side of 0 (1-5; fewer where a side has fewer distinct values, ties merged as
        :func:`~spillmap.maps._classify.classify` merges them).

    Returns
    -------
    SignedClassification
        ``bins`` the class upper bounds (the last negative class ends at 0), ``negative`` the number of
        classes below 0, ``scheme`` ``"quantiles_by_sign"``.
    """
    if not 1 <= int(k) <= 5:
        raise InputError(f"k={k} classes on each side of 0: choose between 1 and 5.")
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    ok = np.isfinite(x)
    if not ok.any():
        raise DataError("no finite value to classify; every unit would be 'no data'.")
    below = ok & (x < 0)
    above = ok & (x >= 0)
    neg, pos = _side(x[below], int(k)), _side(x[above], int(k))
    bins: list[float] = []
    yb = np.full(x.shape, -1, dtype=int)
    if neg is not None:
        # the last class below 0 ends at 0, the break of the palette (at the data's maximum when all are below 0)
        bins += [*neg.bins[:-1], 0.0 if pos is not None else neg.bins[-1]]
        yb[below] = neg.yb
    if pos is not None:
        yb[above] = len(bins) + pos.yb
        bins += list(pos.bins)
    counts = tuple(int((yb == j).sum()) for j in range(len(bins)))
    return SignedClassification(tuple(float(b) for b in bins), float(x[ok].min()), yb, counts, SIGN_SCHEME,
                                SIGN_SCHEME, negative=neg.k if neg is not None else 0)


def sign_palette(c: SignedClassification, cmap: str = "RdBu_r") -> list[str]:
    """One colour per class of ``c``: of the ``2 m`` colours of the diverging ColorBrewer ``cmap`` (``m`` the
    larger side's classes; an even number, so no white middle), the low half for the classes below 0, darkest
    lowest, and the high half for the others, lightest next to 0."""
    n_neg, n_pos = c.negative, c.k - c.negative
    m = max(n_neg, n_pos)
    full = palette(cmap, 2 * m)
    return full[m - n_neg:m] + full[m:m + n_pos]


def sign_note(c: SignedClassification) -> str:
    """The legend's note: ``"classes: quantiles within each sign, broken at 0 (blue below, red above); range
    −0.52 – 0.71"``, the range printed as the legend's first and last class limits."""
    edges = bound_labels([c.lower, *c.bins])
    return f"classes: quantiles within each sign, broken at 0 (blue below, red above); range {edges[0]} – {edges[-1]}"


def signed_barh(ax: Axes, positions: ArrayLike, values: ArrayLike, *, label: str, negative: str, positive: str,
                left: ArrayLike = 0.0) -> None:
    """Horizontal bars coloured by sign as the maps colour a change: ``negative`` (a blue of the scenario map's
    :data:`~spillmap.maps.scenario.NEGATIVE` ramp) below 0, ``positive`` (its red) otherwise; one legend entry
    ``label`` when all bars have one sign, ``"label (−)"`` and ``"label (+)"`` when both occur (planner audit
    32 #8: negative changes drawn in the positive salmon beside a map drawing them blue)."""
    v = np.asarray(values, dtype=float)
    at = np.asarray(positions)
    start = np.broadcast_to(np.asarray(left, dtype=float), v.shape)
    below = v < 0
    both = bool(below.any() and (~below).any())
    for mask, color, sign in ((below, negative, "−"), (~below, positive, "+")):
        if mask.any():
            ax.barh(at[mask], v[mask], left=start[mask], color=color, label=f"{label} ({sign})" if both else label)


def diverging_stack(ax: Axes, positions: ArrayLike, parts: Sequence[tuple[ArrayLike, Mapping[str, str]]]) -> bool:
    """Parts of one bar per position stacked diverging (:func:`signed_barh` each): every part from where the
    parts before it of its own sign end, positive parts rightwards from 0 and negative ones leftwards, so that
    no part is drawn over another and the signed widths add up to the parts' sum (planner stop 33: an own
    change below 0 and a spillover above 0 drew the second from the first's end back over it).

    Parameters
    ----------
    ax
        The axes to draw on.
    positions
        The bars' y positions.
    parts
        ``(values, style)`` in drawing order; ``style`` holds :func:`signed_barh`'s ``label``, ``negative`` and
        ``positive``.

    Returns
    -------
    bool
        Whether a bar has parts of both signs (its ends are then not its sum: the caller marks the sum).
    """
    up = down = np.zeros(np.shape(positions), dtype=float)
    for values, style in parts:
        v = np.asarray(values, dtype=float)
        signed_barh(ax, positions, v, left=np.where(v < 0, down, up), **style)
        up, down = up + np.where(v > 0, v, 0.0), down + np.where(v < 0, v, 0.0)
    return bool(((up > 0) & (down < 0)).any())


def classes_and_colors(values: np.ndarray, scheme: str, k: int, bins, cmap: str) -> tuple[Classification, list[str], str]:
    """Classes, their colours and the legend's note of a map (the HTML :func:`spillmap.maps.choropleth` and the
    static :func:`spillmap.figures.choropleth` alike); ``scheme="quantiles_by_sign"``: broken at 0
    (:func:`classify_by_sign`, ``(k + 1) // 2`` classes on each side, at most 5), else
    :func:`spillmap.maps._classify.classify`."""
    from spillmap.maps._classify import classes_note

    if scheme == SIGN_SCHEME:
        c = classify_by_sign(values, k=min(5, max(1, (int(k) + 1) // 2)))
        return c, sign_palette(c, cmap), sign_note(c)
    c = classify(values, scheme=scheme, k=k, bins=bins)  # type: ignore[arg-type]
    return c, palette(cmap, c.k), classes_note(c)