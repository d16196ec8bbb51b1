"""Simulated effects whose standard error misleads, in a regression table.

When the simulated draws of an effect are heavy-tailed (the estimate near the edge of the
stable region: :data:`spillmap.estimation._effects_params.HEAVY_TAIL_RATIO`), a few draws dominate
their standard deviation, so the SE, z and p of that effect mislead while its percentile interval
still covers.  The estimation flags such effects (``heavy_tailed`` in the effects' tables and
the study's records); the table prints them without stars and names them, with their percentile
intervals, in a note (paper audit 30: a column of SEs of 167 and 409, no stars, and no word of it
in any table format while the run's warning said to read the intervals).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from spillmap.tables._format import format_number

__all__ = ["heavy_tailed_cells", "heavy_tail_note"]


def heavy_tailed_cells(eff_tidies: Sequence[pd.DataFrame], col_keys: Sequence[str]) -> dict[str, list[tuple]]:
    """``{column key: [(kind, variable, ci_lower, ci_upper), ...]}`` of the flagged effects."""
    out: dict[str, list[tuple]] = {}
    for key, td in zip(col_keys, eff_tidies):
        if "heavy_tailed" not in td.columns:
            continue
        hit = td[td["heavy_tailed"].eq(True)]
        if len(hit):
            out[key] = [(r.kind, str(r.variable), float(r.ci_lower), float(r.ci_upper)) for r in hit.itertuples()]
    return out


def heavy_tail_note(cells: Mapping[str, list[tuple]], labels: Mapping[str, str],
                    decimals: int | Mapping[str, int]) -> str:
    """The note naming the flagged effects of each column and their percentile intervals, printed
    with ``decimals`` (a number, or ``{row key: decimals}``: each interval as its row prints)."""
    parts = []
    for key, items in cells.items():
        shown = "; ".join(f"{kind} {labels.get(var, var)} [{_num(lo, _dec(decimals, kind, var))}, "
                          f"{_num(hi, _dec(decimals, kind, var))}]" for kind, var, lo, hi in items)
        parts.append(f"column {key}: {shown}")
    return ("Heavy-tailed simulation draws (an estimate near the edge of the stable region) make the standard "
            "errors of these effects mislead, so they have no stars; read their percentile intervals instead: "
            + "; ".join(parts) + ".")


def _dec(decimals: int | Mapping[str, int], kind: str, var: str) -> int:
    return int(decimals.get(f"{kind}:{var}", 3)) if isinstance(decimals, Mapping) else int(decimals)


def _num(v: float, decimals: int) -> str:
    return format_number(v, decimals) if np.isfinite(v) else "n/a"
