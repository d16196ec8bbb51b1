"""The rows of :func:`~spillmap.tables.regression_table`: which terms, in which order, their numbers
and their decimals, and the statistics block.  Split from :mod:`spillmap.tables._regression` (the
inputs, header and notes).  Numbers are copied from the extractors' ``tidy``/``glance``, never
recomputed.

Decimals are chosen here once per term from every column's estimate and SE of that term (3, more
only where a value would print as ``0.000``: :func:`~spillmap.tables._rows.coef_row_decimals`), over
all the fits' terms before ``variables=`` keeps some (:func:`term_decimals`): a row prints the same in
a table of every regressor, in one of the key variable only and in the study report (paper audit 31).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from spillmap.errors import InputError
from spillmap.tables._format import plural as _plural
from spillmap.tables._labels import row_label
from spillmap.tables._rows import coef_row_decimals

__all__ = ["STATISTICS", "term_decimals", "assemble", "row_key"]

#: rows of the statistics block, in order (``regression_table(statistics=...)``)
STATISTICS = ("r2_within", "r2_pseudo", "r2", "loglik", "aic", "bic", "nobs", "n", "t",
              "unit_fe", "time_fe", "random", "lee_yu", "cov_type")
#: the kinds of the coefficient block and of the effects block, in printed order
COEF_KINDS = ("beta", "theta", "spatial", "variance")
EFFECT_KINDS = ("direct", "indirect", "total")
_FE_ROWS = ("unit_fe", "time_fe", "random", "lee_yu", "cov_type")


def _term_order(tidies: list[pd.DataFrame], variables: Sequence[str] | None, kinds: Sequence[str]) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for kind in kinds:
        for td in tidies:
            for var in td.loc[td["kind"] == kind, "variable"]:
                seen.setdefault((kind, str(var)), None)
    keys = list(seen)
    if variables is not None:
        wanted = [str(v) for v in variables]
        filt = [k for k in keys if k[0] in ("spatial", "variance") or k[1] in wanted]
        order = {v: i for i, v in enumerate(wanted)}
        keys = sorted(filt, key=lambda k: (kinds.index(k[0]), order.get(k[1], -1)))
    return keys


def row_key(kind: str, var: str) -> str:
    """The row key of a term: ``rho`` for a spatial parameter, else ``kind:variable`` (``beta:int``)."""
    return var if kind == "spatial" else f"{kind}:{var}"


def _glance_rows(glances: list[dict], statistics: Sequence[str], unit: str, period: str) -> list[tuple]:
    """``(key, label, kind, values)`` of the statistics block (rows all-missing dropped)."""
    unit_w, period_w = unit.capitalize(), period.capitalize()
    defs = {
        "r2_within": ("R² (within)", "stat", lambda g: g.get("r2") if g.get("r2_kind") == "within" else None),
        "r2_pseudo": ("Pseudo R² (corr², within)", "stat",
                      lambda g: g.get("r2") if g.get("r2_kind") == "pseudo_within" else None),
        "r2_pseudo_levels": ("Pseudo R² (corr², levels)", "stat",
                             lambda g: g.get("r2") if g.get("r2_kind") == "pseudo" else None),
        "r2": ("R²", "stat", lambda g: g.get("r2") if g.get("r2_kind") == "ordinary" else None),
        "loglik": ("Log-likelihood", "stat", lambda g: g.get("loglik")),
        "aic": ("AIC", "stat", lambda g: g.get("aic")),
        "bic": ("BIC", "stat", lambda g: g.get("bic")),
        "nobs": ("N (observations used)", "count", lambda g: g.get("nobs")),
        "n": (_plural(unit_w), "count", lambda g: g.get("n")),
        "t": (_plural(period_w), "count", lambda g: g.get("t")),
        "unit_fe": (f"{unit_w} FE", "text", lambda g: _yes(g.get("unit_fe"))),
        "time_fe": (f"{period_w} FE", "text", lambda g: _yes(g.get("time_fe"))),
        "random": ("Random effects", "text", lambda g: _yes(g.get("random"))),
        "lee_yu": ("Lee–Yu", "text", lambda g: g.get("lee_yu")),
        "cov_type": ("Covariance", "text", lambda g: g.get("cov_type")),
    }
    unknown = [s for s in statistics if s not in STATISTICS]
    if unknown:
        raise InputError(f"statistics {unknown} unknown; choose from {', '.join(STATISTICS)}.")
    out = []
    # "r2_pseudo" asks for the squared correlation of y and its fit; fixed-effects columns
    # have it after the within transformation, pooled and random-effects ones in levels:
    # two rows, so that the two are never read as one measure
    keys = [k for s in statistics for k in (("r2_pseudo", "r2_pseudo_levels") if s == "r2_pseudo" else (s,))]
    for key in keys:
        label, kind, get = defs[key]
        vals = [get(g) for g in glances]
        if key == "random" and not any(g.get("random") for g in glances):
            continue
        if all(v is None or (isinstance(v, float) and np.isnan(v)) for v in vals):
            continue
        out.append((key, label, kind, vals))
    return out


def _yes(v: object) -> str | None:
    return None if v is None else ("Yes" if v else "No")


def _term_tables(tidies: Sequence[pd.DataFrame]) -> list[dict[tuple[str, str], tuple]]:
    """Per column, ``{(kind, variable as text): (estimate, SE, p)}`` of its first row of each term
    (one pass over each frame instead of a boolean filter per term and column)."""
    out = []
    for td in tidies:
        table: dict[tuple[str, str], tuple] = {}
        cols = (td["kind"].tolist(), td["variable"].astype(str).tolist(), td["estimate"].tolist(),
                td["std_error"].tolist(), td["p"].tolist())
        for kind, var, est, se, p in zip(*cols):
            table.setdefault((kind, var), (est, se, p))
        out.append(table)
    return out


_NONE = (np.nan, np.nan, np.nan)


def _term_values(tables: Sequence[dict], kind: str, var: str) -> tuple[list, list, list]:
    """Estimate, SE and p of the term ``(kind, var)`` in each column (NaN where a fit has none);
    ``tables`` from :func:`_term_tables`."""
    hits = [t.get((kind, var), _NONE) for t in tables]
    return [float(h[0]) for h in hits], [float(h[1]) for h in hits], [float(h[2]) for h in hits]


def term_decimals(tidies: Sequence[pd.DataFrame], kinds: Sequence[str], decimals: int | None, *,
                  tables: Sequence[dict] | None = None) -> dict[str, int]:
    """``{row key: decimals}`` of every term of ``kinds`` of the fits, before any ``variables=``.

    Parameters
    ----------
    tidies
        One ``tidy`` frame per column (all its terms, none left out).
    kinds
        The term kinds of the block (``beta``, ``theta``, ... or ``direct``, ...).
    decimals
        ``regression_table(decimals=)``: ``None`` (3, more where a value would print as
        ``0.000``) or an integer (:func:`~spillmap.tables._rows.coef_row_decimals`).

    tables
        :func:`_term_tables` of ``tidies`` when the caller has them already.

    Returns
    -------
    dict
        The decimals of each row key: a function of that term's own numbers only, so keeping
        some rows (``variables=``, ``blocks=``) never changes how another row prints.
    """
    out = {}
    tables = _term_tables(tidies) if tables is None else tables
    for kind, var in _term_order(list(tidies), None, kinds):
        vals, ses, _ = _term_values(tables, kind, var)
        key = row_key(kind, var)
        out[key] = coef_row_decimals(key, [*vals, *ses], decimals)
    return out


def assemble(coef_tidies: Sequence[pd.DataFrame], eff_tidies: Sequence[pd.DataFrame], glances: Sequence[dict],
             col_keys: Sequence[str], *, blocks: Sequence[str], variables: Sequence[str] | None,
             labels: Mapping[str, str], statistics: Sequence[str], unit: str, period: str,
             decimals: int | None) -> tuple[pd.DataFrame, ...]:
    """``(rows, body, se, pvalues)`` of a regression table: the terms of the blocks asked for
    (those of ``variables`` and every spatial and variance parameter), then the statistics rows."""
    recs: list[tuple[str, str, str, str, list, list, list]] = []  # key, label, block, kind, values, se, p
    decs: dict[str, int] = {}
    parts = (("coefficients", coef_tidies, COEF_KINDS), ("effects", eff_tidies, EFFECT_KINDS))
    for block, tidies, kinds in parts:
        if block not in blocks:
            continue
        tables = _term_tables(tidies)
        decs.update(term_decimals(tidies, kinds, decimals, tables=tables))  # from all the terms, before variables=
        for kind, var in _term_order(list(tidies), variables, kinds):
            key = row_key(kind, var)
            label = labels.get(key, row_label(kind, var, labels))
            recs.append((key, label, block if block == "coefficients" else kind, "coef",
                         *_term_values(tables, kind, var)))
    if "statistics" in blocks:
        nan = [np.nan] * len(glances)
        for key, label, kind, vals in _glance_rows(list(glances), statistics, unit, period):
            recs.append((key, labels.get(key, label), "fixed effects" if key in _FE_ROWS else "statistics", kind,
                         vals, nan, nan))
    idx = [r[0] for r in recs]
    rows = pd.DataFrame({"label": [r[1] for r in recs], "block": [r[2] for r in recs],
                         "kind": [r[3] for r in recs],
                         "decimals": [decs.get(r[0], 3 if decimals is None else decimals) for r in recs]}, index=idx)
    body = pd.DataFrame([r[4] for r in recs], index=idx, columns=list(col_keys), dtype=object)
    se = pd.DataFrame([r[5] for r in recs], index=idx, columns=list(col_keys), dtype=float)
    pv = pd.DataFrame([r[6] for r in recs], index=idx, columns=list(col_keys), dtype=float)
    return rows, body, se, pv
