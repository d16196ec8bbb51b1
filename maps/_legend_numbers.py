"""The numbers of a map's legend and tooltips, as a reader sees them, shared by the HTML maps
and :mod:`spillmap.figures`: plain decimals, never scientific notation, a true minus sign.

:func:`display_number` and :func:`reading` print one number (:data:`ZERO_BELOW`: what reads
"0"); :func:`bound_labels`, :func:`fixed_labels` and :func:`magnitude_labels` print the sorted
limits of a legend's classes so that no two classes read alike (thousandths, millionths ...
with :func:`scale_words` for limits spanning magnitudes).  :data:`NEGLIGIBLE_FRACTION` is the
one display threshold of the response, scenario and explore maps.  The classification itself
is :mod:`spillmap.maps._classify`'s.
"""
from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MAX_DECIMALS", "ZERO_BELOW", "NEGLIGIBLE_FRACTION", "display_number", "reading", "fixed_labels",
           "bound_labels", "scale_words", "magnitude_labels"]


#: most decimals of plain class limits in a legend without a scale line; finer limits are printed in thousandths,
#: millionths ... by :func:`magnitude_labels` (scenario legends) or with as many decimals as they need
MAX_DECIMALS = 6

#: a value whose magnitude is below this fraction of the largest magnitude a map shows reads "0" (:func:`reading`):
#: numerically zero.  The numbers come from solves with (I - rho W); a backward-stable solve in float64 errs by
#: about N * eps * cond(I - rho W) of the largest value, with cond <= (1 + |rho|) / (1 - |rho|) for a
#: row-standardised W: 3,000 units at rho = 0.9 give 3,000 * 2.2e-16 * 19 = 1.3e-11 (measured on the US states'
#: queen contiguity, rho 0.2 to 0.99: 3e-16 to 1.3e-15 of a column's largest, against a refined solve).  1e-9 is
#: 75 times that worst case, and far below anything a legend shows (the explore map's finest class is 1/64 of
#: the largest response, the response map's "negligible" class 1/1000)
ZERO_BELOW = 1e-9

#: a value whose magnitude is below this fraction of the largest magnitude a map shows is drawn "negligible" (grey)
#: on the response map (:func:`spillmap.maps.spillover.negligible_classes`, its default ``negligible=1e-3``) and on
#: the scenario map (:mod:`spillmap.maps.scenario`): one stated display threshold, not a test.  The scenario tables
#: print two significant digits of their smallest number at least this fraction of their largest
#: (:func:`spillmap.maps._scenario_tables.table_decimals`), so every value above the cut reads with them
NEGLIGIBLE_FRACTION = 1e-3


def display_number(text: str) -> str:
    """A number as Python prints it (``"-0.01738"``, ``"-1.2e-05"``) as the maps and figures display it:
    U+2212 for each minus sign (:data:`spillmap.tables.MINUS`, as the tables print it), and no sign on a
    number that reads as zero (``"-0.000"`` reads ``"0.000"``, as in the tables).  Data that programs read
    (GeoJSON ids, colours, CSV) keeps ASCII '-'."""
    from spillmap.tables._format import MINUS

    try:
        zero = float(text.replace(",", "")) == 0
    except ValueError:
        zero = False
    return text.lstrip("-") if zero else text.replace("-", MINUS)


def reading(v: float | None, *, largest: float | None = None, digits: int = 4) -> str:
    """A number a map's reader sees (a tooltip, a panel): plain decimals, never scientific notation.

    ``digits`` significant digits (trailing zeros dropped, as the maps printed them with ``.4g``), all the
    digits of the integer part, thousands separated, U+2212 for a minus sign (:func:`display_number`).
    A value whose magnitude is below :data:`ZERO_BELOW` times ``largest`` (the largest magnitude among the
    numbers the map shows; default: none, only 0 reads ``"0"``) is numerically zero and reads ``"0"``.
    Rounded to nearest, ties of the exact binary value to even, as Python prints; the explore map's
    JavaScript (:data:`spillmap.maps._elements.READING_JS`) prints the same strings.

    Parameters
    ----------
    v
        The number; missing or not finite reads ``"no data"``.
    largest
        The largest magnitude the map shows beside ``v`` (the scale of the solve that gave it).
    digits
        Significant digits (default 4).

    Returns
    -------
    str
        ``"0.00006873"`` for 6.873e-05, ``"−0.01738"``, ``"12,346"``, ``"0"`` for 1e-17 beside 0.38.

    Examples
    --------
    >>> reading(6.8731e-05), reading(-0.0173812), reading(1e-17, largest=0.38), reading(float("nan"))
    ('0.00006873', '−0.01738', '0', 'no data')
    """
    import math

    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "no data"
    if not math.isfinite(x):
        return "no data"
    ref = abs(float(largest)) if largest is not None and math.isfinite(float(largest)) else 0.0
    a = abs(x)
    if a == 0 or a < ZERO_BELOW * ref:
        return "0"
    exponent = int(f"{a:.{digits - 1}e}".split("e")[1])  # after rounding: 9.99996e-5 is 1.000e-04
    text = f"{a:,.{max(0, digits - 1 - exponent)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return display_number("-" + text if x < 0 else text)


def fixed_labels(values: Sequence[float], decimals: int) -> list[str]:
    """Sorted class limits printed with one number of fixed ``decimals`` (a table's), more (at most 6 more)
    only where two adjacent different limits, or a limit other than 0, would read alike or as zero; plain
    decimals, thousands separated, U+2212 (as :func:`bound_labels`, which chooses its own decimals).

    Examples
    --------
    >>> fixed_labels([0.0, 0.000021, 0.0039, 0.0162], 5)
    ['0.00000', '0.00002', '0.00390', '0.01620']
    """
    vals = [float(v) for v in values]
    labels: list[str] = []
    for d in range(max(0, int(decimals)), max(0, int(decimals)) + 7):
        labels = [_plain(v, d) for v in vals]
        zero = any(lab.strip("0.,") == "" and v != 0 for lab, v in zip(labels, vals))
        if not zero and _apart(labels, vals):
            break
    return labels


def _plain(v: float, decimals: int) -> str:
    """``v`` with ``decimals`` fixed decimals, thousands separated, a true minus sign, and no
    sign on a value printed as zero (:func:`display_number`)."""
    return display_number(f"{v:,.{decimals}f}")


def _edge_decimals(v: float, decimals: int) -> int:
    """Decimals of the lowest (or highest) class limit, the data's minimum (maximum): ``decimals`` when it is
    exact with them, else one more (at most :data:`MAX_DECIMALS`); the legend's other limits then get as many."""
    return decimals if _exact(v, decimals) else min(decimals + 1, MAX_DECIMALS)


def _exact(v: float, decimals: int) -> bool:
    t = v * 10**decimals
    return abs(t - round(t)) <= 1e-9 * max(1.0, abs(t))


def _apart(labels: Sequence[str], vals: Sequence[float]) -> bool:
    """True when adjacent limits that differ also read differently."""
    return all(a != b for a, b, x, y in zip(labels, labels[1:], vals, vals[1:]) if x != y)


def bound_labels(bounds: Sequence[float]) -> list[str]:
    """Labels of sorted class limits ``[lowest, upper of class 1, ..., highest]``.

    Plain decimals, one number of them for all limits: as many as show two significant digits of the narrowest
    class, more where two adjacent limits would read alike or a limit other than 0 would read as 0.  The lowest
    and highest limits are the data's own minimum and maximum: when they are not exact with those decimals, every
    limit gets one more.  Every limit, the extremes too, is rounded to nearest as the tables print their numbers
    (:func:`spillmap.tables.format_number`), so the legend's range reads as the descriptive table's min and max
    wherever both show the same decimals (a paper's audit: a legend rounded inwards read ``8.379 – 13.048`` for a
    maximum of 13.0488 that Table 1 prints as 13.049).  Never scientific notation: limits finer than
    :data:`MAX_DECIMALS` decimals get as many as they need (``0.0000000025``; :func:`magnitude_labels` prints
    such limits scaled instead, a response map puts them in a "negligible" class).

    Parameters
    ----------
    bounds
        Sorted class limits (the data's minimum first, its maximum last).

    Returns
    -------
    list of str
        One label per limit (U+2212 for negative values).
    """
    import math

    from spillmap.tables import distinct_labels

    vals = [float(v) for v in bounds]
    if len(vals) < 2 or not all(math.isfinite(v) for v in vals):
        return distinct_labels(vals)
    labels: list[str] = []
    widths = [b - a for a, b in zip(vals, vals[1:]) if b > a]
    scale = min(widths) if widths else max(abs(v) for v in vals) or 1.0
    dec = max(0, 1 - math.floor(math.log10(scale)))
    while dec <= _MOST_DECIMALS:
        # one number of decimals for all limits: those the extremes need (newcomer audit 29 #4.3: ``8.379 – 9.39
        # … 11.27 – 13.048`` reads ``8.379 – 9.390 … 11.270 – 13.048``); checked as printed
        d = max(dec, _edge_decimals(vals[0], dec), _edge_decimals(vals[-1], dec))
        labels = [_plain(v, d) for v in vals]
        zero = any(lab.strip("0.,") == "" and v != 0 for lab, v in zip(labels, vals))  # 1e-7 printed "0.000"
        if not zero and _apart(labels, vals):
            break
        dec += 1
    return labels


#: a bound on the decimals of :func:`bound_labels` (limits of 1e-40 and below, or closer, may then read alike)
_MOST_DECIMALS = 45


def scale_words(exponent: int) -> str:
    """The legend line of limits printed in units of ``10**-exponent``: ``"numbers in millionths (1 =
    0.000001)"``; ``""`` for 0."""
    if not exponent:
        return ""
    names = {3: "thousandths", 6: "millionths", 9: "billionths", 12: "trillionths"}
    sup = str(exponent).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"numbers in {names.get(exponent, f'units of 10⁻{sup}')} (1 = {10.0 ** -exponent:.{exponent}f})"


def _significant(vals: list[float]) -> list[str]:
    """Each limit with two significant digits (more where two adjacent limits would read alike), plain
    decimals, rounded to nearest (the highest too, as :func:`bound_labels` prints the extremes)."""
    import math

    labels: list[str] = []
    for digits in range(2, 13):
        labels = []
        for v in vals:
            d = 0 if v == 0 else max(0, digits - 1 - math.floor(math.log10(abs(v))))
            labels.append(_plain(v, d))
        if _apart(labels, vals):
            break
    return labels


def magnitude_labels(bounds: Sequence[float]) -> tuple[list[str], int]:
    """``(labels, exponent)`` of sorted class limits spanning magnitudes (a scenario's ``|change|``: from
    0 through 7.4e-08 to 0.016): :func:`bound_labels` (exponent 0) when it prints at most :data:`MAX_DECIMALS`
    decimals or no limit is below 0.0001; else the limits in thousandths, millionths ... (``exponent`` 3, 6 ...: the first at which the smallest
    limit other than 0 is at least 0.01), each with two significant digits, never scientific notation
    (newcomer audit 29 #4.2: ``+7.4e−08 to +1.9e−05``).  :func:`scale_words` names the unit."""
    import math

    labels = bound_labels(bounds)
    vals = [float(v) for v in bounds]
    small = [abs(v) for v in vals if v != 0 and math.isfinite(v)]
    decimals = max(len(lab.partition(".")[2]) for lab in labels)
    if not small or len(small) < len([v for v in vals if v != 0]) or decimals <= MAX_DECIMALS or min(small) >= 1e-4:
        return labels, 0  # plain, or close limits of ordinary size (0.12345671 – 0.12345672): no scale
    exponent = 3
    while min(small) * 10**exponent < 0.01:
        exponent += 3
    return _significant([v * 10**exponent for v in vals]), exponent
