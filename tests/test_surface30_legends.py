"""Newcomer audit 29 #4.2 and #4.3: legends a planner reads.

* Scenario maps printed class limits below 1e-6 in scientific notation (``+7.4e−08 to +1.9e−05`` on the
  demo, ``0 to −7.7e−06`` on the US study).  Such limits are now printed in thousandths, millionths ...,
  which a line under the legend's title names ("numbers in millionths (1 = 0.000001)"), never as
  ``e−08``.
* Legends mixed decimals (``8.379 – 9.39 … 11.27 – 13.048``): every limit of a legend now has the same
  number of decimals, the extremes rounded to nearest as the tables print them.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from spillmap.maps._classify import bound_labels, magnitude_labels, scale_words
from spillmap.maps.scenario import diverging_classes

MINUS = "\u2212"


def _number(text: str) -> float:
    return float(text.replace(MINUS, "-").replace(",", "").lstrip("+"))


def _limits(entries, sign: str) -> list[tuple[float, float]]:
    out = []
    for _, label in entries:
        m = re.fullmatch(rf"([{sign}]?[\d.,]+) to ([{sign}][\d.,]+)", label)
        if m:
            out.append((_number(m.group(1)), _number(m.group(2))))
    return out


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_tiny_scenario_limits_print_scaled_and_the_legend_says_the_scale(sign):
    """The demo's spread of changes (Hubei +0.02): half of |change| below 7.4e-08, a fifth above 1.9e-05, the
    largest 0.0161.  The limits of |change| are its 50th, 80th and 95th percentiles and its maximum
    (numpy's quantiles here: the reference); printed in millionths, each is that limit times 10**6 to two
    significant digits (the rounding of 2 digits moves a number by at most 5 %), the largest too."""
    v = sign * np.r_[np.geomspace(1e-10, 7.3e-8, 150), np.geomspace(7.5e-8, 1.9e-5, 90),
                     np.geomspace(2e-5, 3.1e-3, 45), np.geomspace(3.2e-3, 0.0161, 15)]
    _, entries = diverging_classes(v)
    text = " | ".join(label for _, label in entries)
    assert "e-" not in text and "e\u2212" not in text, text
    assert entries[0] == ("", scale_words(6)) and scale_words(6) == "numbers in millionths (1 = 0.000001)"
    ref = np.r_[np.quantile(np.abs(v), [0.5, 0.8, 0.95]), np.abs(v).max()] * 1e6
    limits = _limits(entries, "+" if sign > 0 else MINUS)
    uppers = sorted(abs(hi) for _, hi in limits)
    assert len(uppers) == 4
    np.testing.assert_allclose(uppers[:3], ref[:3], rtol=0.05)
    np.testing.assert_allclose(uppers[3], ref[3], rtol=0.05)  # rounded to nearest, as the others


def test_us_scenario_limits_in_millionths():
    """The US study's first class read "0 to −7.7e−06": now "0 to −7.7" in millionths."""
    labels, exponent = magnitude_labels([0.0, 7.7e-6, 0.0014, 0.0044, 0.0064])
    assert (labels, exponent) == (["0", "7.7", "1,400", "4,400", "6,400"], 6)


def test_limits_that_plain_decimals_can_print_are_not_scaled():
    """Limits of 1e-5 and above keep the plain decimals of :func:`bound_labels` (audit 27's 0.000095)."""
    bounds = [0.0, 9.451e-05, 0.0004, 0.0014, 0.004]
    assert magnitude_labels(bounds) == (bound_labels(bounds), 0)
    _, entries = diverging_classes(-np.r_[[9.451e-05] * 12, np.geomspace(2e-4, 1.459e-03, 9), 0.004])
    assert all(color for color, _ in entries)  # no scale line


def test_a_legend_has_one_number_of_decimals():
    """The audit's ``8.379 – 9.39 … 11.27 – 13.048`` and ``−0.2814 – −0.138``."""
    labels = bound_labels([8.379, 9.39, 10.2, 11.27, 13.048])
    assert labels == ["8.379", "9.390", "10.200", "11.270", "13.048"]
    assert bound_labels([-0.2814, -0.2, -0.138]) == [f"{MINUS}0.2814", f"{MINUS}0.2000", f"{MINUS}0.1380"]
    # an extreme that needs more decimals than one more is rounded to nearest with one more (as the tables print
    # the data's min and max; it was rounded inwards, 8.380); all follow it
    odd = bound_labels([8.37912, 9.39, 10.2, 11.27, 13.04836])
    assert len({len(lab.split(".")[1]) for lab in odd}) == 1
    assert (odd[0], odd[-1]) == ("8.379", "13.048")


def test_the_scale_line_renders_as_text_under_the_title():
    from spillmap.maps._layers import legend_html

    html = legend_html("change of y", [("", scale_words(6)), ("#b2182b", "+0.074 to +19")])
    assert '<div class="n">numbers in millionths (1 = 0.000001)</div>' in html
    assert html.index("millionths") < html.index("+0.074")
