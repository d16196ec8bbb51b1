"""A paper's audit: map legends read "range 8.379 – 13.048" where the descriptive table (Table 1) gives max
13.049 (log(gsp) of Produc: 13.0488).  The legends rounded the data's minimum up and its maximum down
("never outside the data"); the two ends of a legend's range are now the data's minimum and maximum rounded
to nearest, as every table prints them (:func:`spillmap.tables.format_number`), so a figure's range and
Table 1 agree whenever they show the same decimals.  Interior limits keep their rule: one number of decimals
per legend, adjacent limits that differ read apart."""
from __future__ import annotations

import re

import numpy as np
import pytest

from spillmap.maps._classify import bound_labels, class_labels, classes_note, classify, magnitude_labels
from spillmap.tables import format_number
from spillmap.tables._format import typeset_minus

MINUS = "\u2212"


def _table(v: float, decimals: int) -> str:
    """``v`` as a printed table prints it (U+2212, as the Word / Markdown / HTML tables)."""
    return typeset_minus(format_number(v, decimals))


def _decimals(label: str) -> int:
    return len(label.split(".")[1]) if "." in label else 0


@pytest.mark.parametrize(("bounds", "expected"), [
    # the audit's log(gsp): min 8.37885, max 13.0488 (Table 1: 8.379, 13.049)
    ([8.378850241794492, 9.39, 10.2, 11.27, 13.048824474069459], ["8.379", "9.390", "10.200", "11.270", "13.049"]),
    # the same range below zero: the minimum −13.0488 reads −13.049 (rounded inwards it read −13.048)
    ([-13.048824474069459, -11.27, -10.2, -9.39, -8.378850241794492],
     [f"{MINUS}13.049", f"{MINUS}11.270", f"{MINUS}10.200", f"{MINUS}9.390", f"{MINUS}8.379"]),
    # a range across zero, both ends rounded away from the inside
    ([-0.28146, -0.1, 0.0, 0.1, 0.13849], [f"{MINUS}0.2815", f"{MINUS}0.1000", "0.0000", "0.1000", "0.1385"]),
    # newcomer audit 29's odd extremes: nearest (8.379, 13.048), no longer 8.380 and 13.048 by inward rounding
    ([8.37912, 9.39, 10.2, 11.27, 13.04836], ["8.379", "9.390", "10.200", "11.270", "13.048"]),
    ([2.83456, 4.0, 5.0, 12.96543], ["2.83", "4.00", "5.00", "12.97"]),
])
def test_range_ends_are_the_data_extremes_rounded_to_nearest(bounds, expected):
    labels = bound_labels(bounds)
    assert labels == expected
    d = _decimals(labels[0])
    assert labels[0] == _table(bounds[0], d) and labels[-1] == _table(bounds[-1], d)


def test_classes_note_and_labels_read_as_table_1():
    """The US study's log(gsp), 816 values pooled as the interactive choropleth pools them: its note and its
    first and last class read the descriptive table's min and max."""
    from spillmap.datasets import produc
    from spillmap.tables import descriptive_table

    p = produc().assign(lgsp=lambda d: np.log(d["gsp"]))
    cells = descriptive_table(p, ["lgsp"]).grid().rows[0].cells  # N, mean, sd, min, max
    assert cells[3:] == ("8.379", "13.049")
    for sign, (lo, hi) in ((1, cells[3:]), (-1, (f"{MINUS}{cells[4]}", f"{MINUS}{cells[3]}"))):
        c = classify(sign * p["lgsp"].to_numpy(), scheme="quantiles", k=5)
        assert f"range {lo} – {hi}" in classes_note(c)
        labels = class_labels(c, counts=False)
        assert labels[0].startswith(f"{lo} – ") and labels[-1].endswith(f" – {hi}")


def test_random_legends_keep_their_guarantees():
    """On 2,000 random sets of limits (both signs, several magnitudes): each end is the extreme rounded to nearest
    at the legend's decimals (the tables' rounding), one number of decimals for all, adjacent limits that differ
    read apart, none other than 0 reads as 0."""
    rng = np.random.default_rng(31)
    for i in range(2000):
        scale = 10.0 ** rng.integers(-4, 4)
        v = np.sort(rng.normal(rng.choice([-5, 0, 5]), 1, rng.integers(2, 8)) * scale)
        labels = bound_labels(v.tolist())
        assert all(a != b for a, b, x, y in zip(labels, labels[1:], v, v[1:]) if x != y), (v, labels)
        if any("e" in lab for lab in labels) or len({_decimals(lab) for lab in labels}) > 1:
            # beyond 6 decimals: significant digits (magnitude_labels scales them), the ends nearest too
            assert all(lab == f"{x:,.{len(lab.lstrip(MINUS).replace('.', '').lstrip('0'))}g}".replace("-", MINUS)
                       for lab, x in ((labels[0], v[0]), (labels[-1], v[-1])) if "e" not in lab), (v, labels)
            continue
        d = _decimals(labels[0])
        assert labels[0] == _table(v[0], d) and labels[-1] == _table(v[-1], d), (v, labels)
        assert not any(lab.strip("0.,") == "" and x != 0 for lab, x in zip(labels, v)), (v, labels)


def test_scaled_limits_round_the_largest_to_nearest():
    """A scenario's |change| in millionths: the largest reads as two significant digits rounded to nearest
    (1.96e-5 is 20, not 19 as rounded down)."""
    labels, exponent = magnitude_labels([0.0, 7.7e-8, 2.3e-6, 1.96e-5])
    assert (labels, exponent) == (["0", "0.077", "2.3", "20"], 6)


def test_figure_legend_reads_table_1():
    """The static choropleth (journal figure) of the pooled log(gsp) of 1986: its legend's first and last
    class are the year's min and max as a table prints them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from spillmap.datasets import produc, us48
    from spillmap.figures import choropleth

    p = produc()
    y = p[p["year"] == 1986].set_index("state_abbr")["gsp"].map(np.log)
    layer = us48().assign(lgsp=lambda g: g["STATE_ABBR"].map(y))
    fig = choropleth(layer, "lgsp", id="STATE_ABBR", k=5)
    try:
        texts = [t.get_text() for ax in fig.axes for leg in [ax.get_legend()] if leg for t in leg.get_texts()]
    finally:
        plt.close(fig)
    classes = [t for t in texts if re.fullmatch(r"[\d.,\u2212]+ – [\d.,\u2212]+ \(\d+\)", t)]
    assert len(classes) == 5, texts
    lo, hi = classes[0].split(" – ")[0], classes[-1].split(" – ")[1].split(" (")[0]
    d = _decimals(lo)
    assert (lo, hi) == (_table(y.min(), d), _table(y.max(), d)), (classes, y.min(), y.max())
