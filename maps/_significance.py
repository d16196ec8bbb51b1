"""Plain words and average effects on the spillover and response maps (HTML and static).

* :func:`layer_sentence` -- one sentence per layer: what "direct", "received" and "emitted"
  mean for a planner;
* :func:`average_line` -- the average effect the layer maps, its SE and p-value, and
  whether it is significant at the report's level, taken from the fitted model's effects
  table (nothing is computed here: the numbers are printed as given).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from spillmap.tables import plural

__all__ = ["AVERAGE_OF", "AverageLine", "layer_sentence", "average_line", "effects_by_part"]


#: the average effect (a part of the model's effects table) whose per-unit values a layer maps
AVERAGE_OF = {"direct": "direct", "indirect_received": "indirect", "indirect_emitted": "indirect",
              "total_received": "total", "total_emitted": "total"}
_SENTENCES = {
    "direct": "direct: how much this {unit}'s {y} changes when its own {var} rises by one unit",
    "indirect_received": "received: how much this {unit}'s {y} changes when {var} rises by one unit "
                         "in every other {unit} at once",
    "indirect_emitted": "emitted: how much {y} changes in all other {units} together when this {unit}'s "
                        "{var} rises by one unit",
    "total_received": "total received: how much this {unit}'s {y} changes when {var} rises by one unit "
                      "in every {unit}, itself included",
    "total_emitted": "total emitted: how much {y} changes in every {unit}, itself included, when this "
                     "{unit}'s {var} rises by one unit",
}


def layer_sentence(col: str, *, var: str, y: str, unit: str) -> str:
    """One plain sentence saying what a layer of :func:`spillover_map` shows."""
    text = _SENTENCES.get(col, "{col}: effect on {y} of a unit change of {var}")
    return text.format(unit=unit, units=plural(unit), var=var, y=y, col=col)


def _number(v: float, se: float) -> str:
    """``v`` with the decimals that show two significant digits of ``se`` (3 at least)."""
    import math

    dec = 3 if not (se > 0 and math.isfinite(se)) else min(8, max(3, 1 - math.floor(math.log10(se))))
    return f"{v:.{dec}f}".replace("-", "\u2212")


class AverageLine(NamedTuple):
    """The average effect a map shows: the full line, whether it is significant, and a short
    form for a figure panel (``average indirect effect not significant (p = 0.21)``)."""

    text: str
    significant: bool
    short: str


def average_line(part: str, effects, level: float = 0.95) -> AverageLine | None:
    """``("average indirect effect −0.096 (SE 0.077, p = 0.21): not significant at 5 %", False, ...)``.

    Parameters
    ----------
    part
        ``"direct"``, ``"indirect"`` or ``"total"``.
    effects
        The fitted model's average effects of the mapped variable: ``{part: {"estimate",
        "se", "p"}}`` (a row of the effects table per part); nothing is computed here.
    level
        The report's confidence level (significance at ``1 - level``).

    Returns
    -------
    AverageLine or None
        The line, whether the effect is significant and a short form; ``None`` without the
        numbers.
    """
    row = (effects or {}).get(part) or {}
    est, se, p = (float(row.get(k, np.nan)) if row.get(k) is not None else np.nan for k in ("estimate", "se", "p"))
    if not (np.isfinite(est) and np.isfinite(p)):
        return None
    alpha = 1 - float(level)
    if row.get("heavy_tailed"):  # the SE and p mislead: the percentile interval, as the tables say
        return _interval_line(part, est, se, row, level)
    ptext = "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"
    setext = f"SE {_number(se, se).lstrip('−')}, " if np.isfinite(se) else ""
    significant = bool(p <= alpha)
    verdict = "significant" if significant else "not significant"
    return AverageLine(f"average {part} effect {_number(est, se)} ({setext}{ptext}): {verdict} at {100 * alpha:g} %",
                       significant, f"average {part} effect {verdict} at {100 * alpha:g} % ({ptext})")


def _interval_line(part: str, est: float, se: float, row, level: float) -> AverageLine:
    """The line of an effect whose simulated draws are heavy-tailed: its percentile interval, and
    whether that interval excludes 0 (read from the stored bounds; nothing is computed)."""
    lo, hi = (float(row.get(k, np.nan)) for k in ("ci_lower", "ci_upper"))
    significant = bool(lo > 0 or hi < 0)
    verdict = "excludes 0" if significant else "includes 0"
    interval = f"{100 * float(level):g} % percentile interval [{_number(lo, se)}, {_number(hi, se)}]"
    return AverageLine(f"average {part} effect {_number(est, se)} ({interval}; heavy-tailed draws: its SE misleads): "
                       f"the interval {verdict}", significant, f"average {part} effect: {interval} {verdict}")


def effects_by_part(effects) -> dict | None:
    """``effects`` as ``{part: {field: value}}``: a mapping, or a frame indexed by part."""
    if effects is None:
        return None
    if isinstance(effects, pd.DataFrame):
        return {str(k): dict(v) for k, v in effects.to_dict(orient="index").items()}
    return {str(k): dict(v) for k, v in effects.items()}


def log_reading(x: str, y: str, *, x_label: str | None = None, y_label: str | None = None) -> str:
    """How to read effects of ``x`` on ``y`` when either is written as a natural logarithm (``log(pcap)``),
    else ``""``: both logs make the effects elasticities; a logarithm ``x`` changed by 1 is its variable
    times e (+172 %), +10 % being 0.0953 of it; a logarithm ``y`` changed by 0.01 is about 1 % (planner audit
    32 #6: "+1 Log public capital" with no word of what +1 is, beside a map of +10 %).  Names, not numbers."""
    import math

    from spillmap.estimation._scenario_input import log_argument

    def natural(name: str) -> str | None:
        logged = log_argument(str(name))
        return logged[0] if logged is not None and logged[1] == math.e else None

    xi, yi = natural(x), natural(y)
    xl, yl = x_label or x, y_label or y
    if xi and yi:
        return (f"{xl} and {yl} are natural logarithms: the effects are elasticities (a 1 % rise of {xi} changes "
                f"{yi} by about the effect in %).")
    if xi:
        return (f"{xl} is a natural logarithm: +1 multiplies {xi} by e (+172 %); +10 % of {xi} has "
                f"{math.log(1.1):.4f} times these effects.")
    if yi:
        return f"{yl} is a natural logarithm: a change of 0.01 is about a 1 % change of {yi}."
    return ""
