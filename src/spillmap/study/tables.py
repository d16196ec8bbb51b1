"""The study's tables as DataFrames of numbers (renderers format them).

=====================  ==========================================================================
name                   rows × columns
=====================  ==========================================================================
``descriptive``        variable × N, mean, sd, min, max (seed Table 2)
``moran_by_year``      (W, variable, period | "pooled") × I, EI, sd, z, p
``baseline``           term (then statistics) × (column, estimate | se | p) (seed Table 3)
``within``             the same for pooled / unit / period / two-way OLS (Elhorst 2014, Table 3.1)
``heterogeneity``      term × (grouping = group, estimate | se | p) and the group tests (Table 6)
``diagnostics``        test × (W, stat | df | p) (Table 8)
``effects``            (effect, variable), rho, statistics × (W, estimate | se | p) (Table 9)
``effects_dynamic``    (horizon, effect, variable), tau / eta / rho, statistics × (W, ...) (dynamic SDMs)
=====================  ==========================================================================

Statistic rows (N, R², log-likelihood, …) carry their value in ``estimate``.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from spillmap.study.diagnostics import DIAGNOSTIC_KEYS

if TYPE_CHECKING:
    from spillmap.study.results import StudyResults

__all__ = ["build_tables", "TABLE_NAMES", "regression_frame"]

TABLE_NAMES = ("descriptive", "moran_by_year", "baseline", "within", "heterogeneity", "diagnostics", "effects")
FIELDS = ("estimate", "se", "p")


def _f(v: Any) -> float:
    return np.nan if v is None else float(v)


def descriptive_frame(r) -> pd.DataFrame:
    rows = {v: {c: _f(d.get(c)) for c in ("N", "mean", "sd", "min", "max")} for v, d in r.descriptive.items()}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["N", "mean", "sd", "min", "max"])
    out.index.name = "variable"
    return out


def moran_frame(r) -> pd.DataFrame:
    rows = {}
    for w, by_var in r.moran_by_year.items():
        for var, by_period in by_var.items():
            for period, d in by_period.items():
                rows[(w, var, period)] = {c: _f(d.get(c)) for c in ("I", "EI", "sd", "z", "p")}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["I", "EI", "sd", "z", "p"])
    if len(out):
        out.index = pd.MultiIndex.from_tuples(out.index, names=["w", "variable", "period"])
    return out


def regression_frame(fits: Sequence, stats: Sequence[str] = ("nobs", "n", "t", "r2", "loglik")) -> pd.DataFrame:
    """Terms (in order of first appearance) then ``stats`` × (fit label, estimate | se | p)."""
    terms: list[str] = []
    for f in fits:
        terms += [t for t in f.params if t not in terms]
    cols = pd.MultiIndex.from_product([[f.label for f in fits], FIELDS], names=["column", "field"])
    body = pd.DataFrame(np.nan, index=pd.Index([*terms, *stats], name="term"), columns=cols)
    for f in fits:
        for t in f.params:
            body.loc[t, (f.label, "estimate")] = _f(f.params[t])
            body.loc[t, (f.label, "se")] = _f(f.std_errors.get(t))
            body.loc[t, (f.label, "p")] = _f(f.pvalues.get(t))
        for s in stats:
            body.loc[s, (f.label, "estimate")] = _f(f.stats.get(s)) if not isinstance(f.stats.get(s), str) else np.nan
    return body


def baseline_frame(r) -> pd.DataFrame:
    keys = r.baseline.get("columns", ())
    return regression_frame([r.fits[k] for k in keys if k in r.fits])


def within_frame(r) -> pd.DataFrame:
    keys = r.within.get("columns", ())
    return regression_frame([r.fits[k] for k in keys if k in r.fits], stats=("nobs", "r2", "sigma2", "loglik"))


def heterogeneity_frame(r) -> pd.DataFrame:
    blocks = []
    for col, block in r.heterogeneity.get("groupings", {}).items():
        fits = [r.fits[k] for k in block.get("baseline", ()) if k in r.fits]
        if fits:
            frame = regression_frame(fits)
            frame.columns = pd.MultiIndex.from_tuples([(col, *c) for c in frame.columns],
                                                      names=["grouping", "column", "field"])
            blocks.append(frame)
    return pd.concat(blocks, axis=1) if blocks else pd.DataFrame()


def diagnostics_frame(r) -> pd.DataFrame:
    rows: dict[str, dict] = {}
    for key in DIAGNOSTIC_KEYS:
        rows[key] = {}
        for w, table in r.diagnostics.items():
            d = table.get(key, {})
            stat = d.get("z") if key == "moran" else d.get("stat")
            rows[key].update({(w, "stat"): _f(stat), (w, "df"): _f(d.get("df")), (w, "p"): _f(d.get("p"))})
    out = pd.DataFrame.from_dict(rows, orient="index")
    if len(out.columns):
        out.columns = pd.MultiIndex.from_tuples(out.columns, names=["w", "field"])
    out.index.name = "test"
    return out


def effects_frame(r) -> pd.DataFrame:
    rows: dict[tuple, dict] = {}
    for w in r.weights:
        fit = r.sdm(w)
        if fit is None:
            continue
        for part in ("direct", "indirect", "total"):
            for var, d in fit.effects.get(part, {}).items():
                rows.setdefault((part, var), {}).update({(w, c): _f(d.get(c)) for c in FIELDS})
        rows.setdefault(("rho", ""), {}).update(
            {(w, "estimate"): _f(fit.params.get("rho")), (w, "se"): _f(fit.std_errors.get("rho")),
             (w, "p"): _f(fit.pvalues.get("rho"))})
        for s in ("nobs", "n", "t", "loglik"):
            rows.setdefault((s, ""), {})[(w, "estimate")] = _f(fit.stats.get(s))
    out = pd.DataFrame.from_dict(rows, orient="index")
    if len(out):
        out.index = pd.MultiIndex.from_tuples(out.index, names=["effect", "variable"])
        out.columns = pd.MultiIndex.from_tuples(out.columns, names=["w", "field"])
    return out


def dynamic_effects_frame(r) -> pd.DataFrame:
    """The dynamic SDMs (``[model] dynamic``): rows (horizon, effect, variable), then tau / eta / rho
    and the statistics × (W, estimate | se | p)."""
    rows: dict[tuple, dict] = {}
    for w in r.weights:
        fit = r.sdm_dynamic(w)
        if fit is None:
            continue
        for horizon, block in (("short run", fit.effects), ("long run", fit.effects_long_run)):
            for part in ("direct", "indirect", "total"):
                for var, d in block.get(part, {}).items():
                    rows.setdefault((horizon, part, var), {}).update({(w, c): _f(d.get(c)) for c in FIELDS})
        for p in ("tau", "eta", "rho"):
            if p in fit.params:
                rows.setdefault(("", p, ""), {}).update({(w, "estimate"): _f(fit.params.get(p)),
                                                        (w, "se"): _f(fit.std_errors.get(p)),
                                                        (w, "p"): _f(fit.pvalues.get(p))})
        for s in ("nobs", "n", "t", "loglik"):
            rows.setdefault(("", s, ""), {})[(w, "estimate")] = _f(fit.stats.get(s))
    out = pd.DataFrame.from_dict(rows, orient="index")
    if len(out):
        out.index = pd.MultiIndex.from_tuples(out.index, names=["horizon", "effect", "variable"])
        out.columns = pd.MultiIndex.from_tuples(out.columns, names=["w", "field"])
    return out


def indicators_frame(r) -> pd.DataFrame:
    """Each index's weights (the seed study's Table 1): (index, dimension, indicator, direction) × weight(s)."""
    frames = []
    for name, block in r.indicators.items():
        f = pd.DataFrame([dict(row) for row in block["weights"]])
        f.insert(0, "index", name)
        frames.append(f.set_index(["index", "dimension", "indicator", "direction"]))
    return pd.concat(frames) if frames else pd.DataFrame()


_BUILDERS = {
    "indicators": indicators_frame,
    "descriptive": descriptive_frame, "moran_by_year": moran_frame, "baseline": baseline_frame,
    "within": within_frame,
    "heterogeneity": heterogeneity_frame, "diagnostics": diagnostics_frame, "effects": effects_frame,
    "effects_dynamic": dynamic_effects_frame,
}


def build_tables(r: StudyResults) -> dict[str, pd.DataFrame]:
    """Every table the results hold (a table that was not computed is absent)."""
    out = {}
    for name, build in _BUILDERS.items():
        frame = build(r)
        if len(frame):
            out[name] = frame
    return out
