"""``regression_table``: fitted models side by side, one column per model.

Layout of Stata ``esttab``/``outreg2``, R ``modelsummary`` and pyfixest ``etable``: a
coefficient block (β, θ of each ``W x`` labelled ``W×x``, ρ/λ, other variance
parameters, σ²), an effects block (direct, indirect, total of each x), a statistics
block (R² saying which, log-likelihood, AIC, BIC, N used, units, periods) and a
fixed-effects block (unit / period FE, random effects, the Lee-Yu option).  Every
number comes from the results' extractor (:mod:`spillmap.tables._extract`); nothing is
re-estimated.  Written by hand: the assembly of the rows (no library knows these
results types).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spillmap.errors import InputError, did_you_mean, format_items
from spillmap.tables._extract import glance, tidy
from spillmap.tables._format import STAR_LEVELS, _check_levels, decimals_for
from spillmap.tables._format import plural as _plural
from spillmap.tables._heavy import heavy_tail_note, heavy_tailed_cells
from spillmap.tables._labels import check_label_keys, row_label
from spillmap.tables._model import PAREN_STATS, ParenStat, Table, _check_choice
from spillmap.tables._notes import se_note
from spillmap.tables._rows import with_controls_row

__all__ = ["regression_table", "effects_method_words", "STATISTICS", "BLOCKS"]

#: rows of the statistics block, in order (``regression_table(statistics=...)``)
STATISTICS = ("r2_within", "r2_pseudo", "r2", "loglik", "aic", "bic", "nobs", "n", "t",
              "unit_fe", "time_fe", "random", "lee_yu", "cov_type")
_DEFAULT_STATS = STATISTICS[:-1]
BLOCKS = ("coefficients", "effects", "statistics")
_EFFECT_TITLES = {"direct": "Direct effects", "indirect": "Indirect effects", "total": "Total effects"}
_FE_WORDS = {"twoways": "two-way FE", "individual": "{unit} FE", "time": "{period} FE", "none": "pooled",
             "random": "RE"}


def _columns(fits, effects) -> list[tuple[str | None, Any, Any]]:
    """``[(name, fit, effects_result)]`` from the accepted input shapes."""
    if isinstance(fits, Mapping):
        names, items = [str(k) for k in fits], list(fits.values())
    else:
        if not isinstance(fits, Sequence) or isinstance(fits, str):
            fits = [fits]
        names, items = [None] * len(fits), list(fits)
    if not items:
        raise InputError("regression_table needs at least one fitted result.")
    if effects is None:
        effs = [None] * len(items)
    elif isinstance(effects, Mapping):
        if isinstance(fits, Mapping):
            unknown = sorted(set(map(str, effects)) - set(names))
            if unknown:
                raise InputError(f"effects keys {unknown} are not column names {names}.")
            effs = [effects.get(n) for n in names]
        else:
            raise InputError("effects as a mapping needs fits as a mapping with the same keys.")
    else:
        effs = list(effects)
        if len(effs) != len(items):
            raise InputError(f"effects has {len(effs)} entries for {len(items)} fits; give one (or None) per fit.")
    out = []
    for i, (name, fit, eff) in enumerate(zip(names, items, effs)):
        if isinstance(fit, tuple):
            if len(fit) != 2:
                raise InputError("a fit given as a tuple must be (results, effects_result).")
            fit, eff = fit if eff is None else (fit[0], eff)
        _check_effects_of(fit, eff, name if name is not None else f"{i + 1} (of {len(items)})")
        out.append((name, fit, eff))
    return out


def _check_effects_of(fit: Any, eff: Any, column: str) -> None:
    """Refuse effects that were not computed from this column's fit: another model, or (for an
    EffectsResult of ``fit.impacts()``) other parameter estimates, e.g. two entries swapped."""
    if eff is None or not hasattr(fit, "params"):
        return
    fm, em = str(getattr(fit, "model", "") or ""), str(getattr(eff, "model", "") or "")
    if fm and em and fm.lower() != em.lower():
        raise InputError(f"column {column}: the effects are of model {em.upper()} but the fit is model {fm.upper()}; "
                         "give each column its own fit's effects (fit.impacts()).")
    params = fit.params
    for key, value in getattr(eff, "estimates", ()):
        here = params.get(key) if key in params.index else None
        if here is None or abs(float(here) - value) > 1e-12 * max(1.0, abs(value)):
            shown = "absent" if here is None else f"{float(here):.6g}"
            raise InputError(f"column {column}: the effects were computed from other estimates than its fit "
                             f"({key} = {value:.6g} there, {shown} in the fit); give each column its own fit's "
                             "effects (fit.impacts()).")


def _star_levels(stars: Sequence[float] | bool) -> tuple[float, ...]:
    """The star levels ``stars=`` asks for: ``True`` the default ones, ``False`` none."""
    if stars is True or stars is False:
        return STAR_LEVELS if stars else ()
    try:
        return _check_levels(stars)
    except (TypeError, ValueError):
        raise InputError(
            "stars= must be True, False or probabilities in (0, 1), largest first, "
            f"e.g. (0.10, 0.05, 0.01); got {stars!r}."
        ) from None


def _wanted_variables(variables: Sequence[str] | str | None, tidies: list[pd.DataFrame]) -> list[str] | None:
    """``variables=`` as a list of names, each a variable of some fit (InputError otherwise)."""
    if variables is None:
        return None
    wanted = [variables] if isinstance(variables, str) else [str(v) for v in variables]
    known = list(dict.fromkeys(str(v) for td in tidies for v in td["variable"]))
    unknown = [v for v in wanted if v not in known]
    if unknown:
        raise InputError(
            f"variables= names {format_items(unknown)}, which no fit has; the fits' variables: "
            f"{format_items(known)}.{did_you_mean(unknown[0], known)}"
        )
    return wanted


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


def _row_key(kind: str, var: str) -> str:
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


def _header(cols, glances, column_labels, unit: str, period: str) -> pd.DataFrame:
    n = len(cols)
    if column_labels is not None:
        if len(column_labels) != n:
            raise InputError(f"column_labels has {len(column_labels)} entries for {n} columns.")
        labels = [str(c) for c in column_labels]
    else:
        labels = [name if name is not None else f"({i + 1})" for i, (name, _, _) in enumerate(cols)]
    ys = [g.get("y") or "" for g in glances]  # printed only when the columns differ (else: a note)
    ws = [g.get("w") or "" for g in glances]
    head = {
        "label": labels,
        "y": ys,
        "model": [g.get("model", "") for g in glances],
        "W": ws if ws != labels else [""] * n,  # columns already titled by their W: not twice
        "effects": [_FE_WORDS.get(g.get("fixed_effects", ""), g.get("fixed_effects", "")).format(unit=unit, period=period)
                    for g in glances],
    }
    keys = labels if len(set(labels)) == n else [f"({i + 1})" for i in range(n)]
    return pd.DataFrame(head, index=keys)


def effects_method_words(method: str, draws: int | None = None, seed: int | None = None) -> str:
    """How the SEs of effects were obtained, in words: ``simulation (1,000 draws, seed 7)``,
    ``delta method`` or ``exact (linear in the parameters)``.

    Parameters
    ----------
    method
        ``"simulation"``, ``"delta"`` or ``"linear"`` (another value is printed as it is).
    draws, seed
        For ``"simulation"``: the number of draws and the seed (``None`` prints 0).
    """
    if method == "simulation":
        return f"simulation ({int(draws or 0):,} draws, seed {seed if seed is not None else 0})"
    return {"delta": "delta method", "linear": "exact (linear in the parameters)"}.get(method, str(method))


def _effects_note(effs: list[Any], glances: list[dict]) -> str | None:
    methods = []
    for e, g in zip(effs, glances):
        if e is None:
            desc = g.get("effects_method")  # a results type carrying its own effects says how
        else:
            desc = effects_method_words(getattr(e, "method", ""), getattr(e, "draws", 0), getattr(e, "seed", 0))
        if desc and desc not in methods:
            methods.append(desc)
    if not methods:
        return None
    return ("Effects: average direct (own unit), indirect (spillovers to and from the other units) and total "
            "effects, the partial derivatives of y with respect to each x (LeSage and Pace 2009); their standard "
            "errors by " + "; ".join(methods) + ".")


def regression_table(
    fits: Sequence[Any] | Mapping[str, Any],
    *,
    effects: Sequence[Any] | Mapping[str, Any] | None = None,
    stat: ParenStat = "se",
    stars: Sequence[float] | bool = True,
    decimals: int = 3,
    labels: Mapping[str, str] | None = None,
    variables: Sequence[str] | None = None,
    blocks: Sequence[str] = BLOCKS,
    statistics: Sequence[str] = _DEFAULT_STATS,
    unit: str = "unit",
    period: str = "period",
    column_labels: Sequence[str] | None = None,
    caption: str = "",
    notes: Sequence[str] = (),
) -> Table:
    """Fitted models side by side: coefficients, effects and model statistics.

    Parameters
    ----------
    fits
        Fitted results (``SpatialPanelResults`` of any model, FE or RE; ``BaselineResult``;
        ``EffectsResult`` alone; any type with a registered extractor, whose ``tidy`` may
        also hold its effects as kinds ``direct``/``indirect``/``total``), a ``(results,
        effects)`` pair, or a mapping ``column name -> fit``.
    effects
        ``EffectsResult`` per fit (``None`` where none) for the effects block, as a list
        aligned with ``fits`` or a mapping with the same keys.
    stat
        What the parenthesis row under each estimate holds: ``"se"``, ``"t"`` (estimate /
        SE) or ``"p"``.
    stars
        ``True`` (10 %, 5 %, 1 %), ``False`` or the levels: probabilities in (0, 1), largest
        first.
    decimals
        Decimals of estimates and statistics (counts have none).  The variance rows (σ², φ)
        get more, up to 6, when that is needed for two significant digits of their smallest
        estimate or SE (a σ² of 0.0009 prints 0.00091 (0.000023), not 0.001 (0.000)).
    labels
        Variable labels (``{"int": "Industrial intelligence"}``, any language); a key may
        also be a row key (``"rho"``, ``"W×int"`` or ``"W_int"`` for the row of θ,
        ``"direct:int"``).  A row key naming a variable no column has is an error; a plain
        name without a row here is not (one mapping may serve several tables).
    variables
        Regressors to show and their order (default: all, in order of appearance); each must
        be a variable of some fit (a misspelt one is an error, not a missing row).
    blocks
        Which of ``"coefficients"``, ``"effects"``, ``"statistics"`` to print.
    statistics
        Rows of the statistics block, from :data:`STATISTICS`.  ``"r2_pseudo"`` (the squared
        correlation of y and its fitted value) gives a row "Pseudo R² (corr², within)" for
        fixed-effects columns (after the within transformation) and one "(corr², levels)" for
        pooled and random-effects columns, each only when some column has it.
    unit, period
        Words for the units and periods (``"city"``, ``"year"``): row labels "Cities",
        "City FE", "Year FE".
    column_labels
        Column titles (default the mapping keys or ``(1)``, ``(2)``, ...).
    caption, notes
        Caption and extra notes (the SE and star notes are added automatically).

    Returns
    -------
    Table
        Render with :func:`spillmap.tables.save` or ``to_latex``/``to_html``/...;
        ``Table.to_frame("long")`` gives every number with its SE and p.
    """
    _check_choice("stat", stat, PAREN_STATS)
    bad = [b for b in blocks if b not in BLOCKS]
    if bad:
        raise InputError(f"blocks {bad} unknown; choose from {', '.join(BLOCKS)}.")
    if not isinstance(decimals, int) or not 0 <= decimals <= 10:
        raise InputError(f"decimals must be an integer from 0 to 10, got {decimals!r}.")
    labels = dict(labels or {})
    levels = _star_levels(stars)
    cols = _columns(fits, effects)
    from spillmap.estimation.effects import EffectsResult

    coef_tidies, eff_tidies, glances = [], [], []
    for _, fit, eff in cols:
        own = tidy(fit)  # a results type may carry its effects itself (kinds direct/indirect/total)
        is_effect = own["kind"].isin(("direct", "indirect", "total"))
        coef_tidies.append(own[~is_effect])
        eff_tidies.append(tidy(eff) if eff is not None else own[is_effect])
        glances.append(glance(fit))
    variables = _wanted_variables(variables, coef_tidies + eff_tidies)
    check_label_keys(labels, coef_tidies + eff_tidies)
    header = _header(cols, glances, column_labels, unit, period)
    rows, body, se, pv = _assemble(coef_tidies, eff_tidies, glances, header.index, blocks=blocks,
                                   variables=variables, labels=labels, statistics=statistics,
                                   unit=unit, period=period, decimals=decimals)
    if rows.empty:
        raise InputError("the table would be empty: no rows in the requested blocks.")
    notes = list(notes)
    heavy = heavy_tailed_cells(eff_tidies, list(header.index)) if "effects" in blocks else {}
    for col, items in heavy.items():  # no stars from a misleading SE; the note gives the intervals
        for kind, var, _, _ in items:
            if _row_key(kind, var) in pv.index:
                pv.at[_row_key(kind, var), col] = np.nan
    ys = {g.get("y") for g in glances if g.get("y")}
    if len(ys) == 1:  # one dependent variable for every column: said once, as the papers do
        y = next(iter(ys))
        notes.insert(0, f"Dependent variable: {labels.get(y, y) if labels else y}.")
    note = _effects_note([fit if isinstance(fit, EffectsResult) else eff for _, fit, eff in cols], glances)
    if note and "effects" in blocks:
        notes.append(note)
    if heavy:
        notes.append(heavy_tail_note(heavy, labels, decimals))
    shows_n = "statistics" in blocks and "nobs" in statistics  # the note explains the N row
    if shows_n and any(g.get("nobs") and g.get("n") and g.get("t") and g["nobs"] != g["n"] * g["t"] for g in glances):
        notes.append("N counts the observations the likelihood uses (fewer than units × periods under the "
                     "Lee–Yu transformation).")
    titles = tuple((k, v) for k, v in _EFFECT_TITLES.items())
    has_effects = "effects" in blocks and any(not t.empty for t in eff_tidies)
    if "coefficients" in blocks and has_effects:
        titles = (("coefficients", "Coefficients"), *titles)
    ys = set(header["y"]) - {""}
    paren = _paren_note(stat, glances, blocks, has_effects, unit, period, list(header.index))
    table = Table(body=body, rows=rows, columns=header, se=se, pvalues=pv, caption=caption, notes=tuple(notes),
                  paren=stat, star_levels=levels, block_titles=titles, stub="", value_name="estimate",
                  hidden=("y",) if len(ys) <= 1 else (), paren_note=paren)
    return with_controls_row(table, coef_tidies, variables) if "statistics" in blocks else table



def _paren_note(stat: str, glances: list[dict], blocks: Sequence[str], has_effects: bool, unit: str,
                period: str, columns: Sequence[str]) -> str:
    """The parentheses' note naming the coefficients' standard errors (``""``: the default note)."""
    if "coefficients" not in blocks:
        return ""  # effects only: the effects note names their standard errors
    note = se_note(glances, unit=unit, period=period, effects=has_effects, columns=columns)
    if not note or stat == "se":
        return note
    what = note.split(": ", 1)[1]
    return ("z (or t) statistics in parentheses" if stat == "t" else "p-values in parentheses") + \
        f"; standard errors{' (coefficients)' if has_effects else ''}: {what}"


def _assemble(coef_tidies, eff_tidies, glances, col_keys, *, blocks, variables, labels, statistics,
              unit, period, decimals):
    recs: list[tuple[str, str, str, str, list, list, list]] = []  # key, label, block, kind, values, se, p

    def add_terms(tidies, kinds, block_of):
        for kind, var in _term_order(tidies, variables, kinds):
            key = _row_key(kind, var)
            vals, ses, ps = [], [], []
            for td in tidies:
                hit = td[(td["kind"] == kind) & (td["variable"].astype(str) == var)]
                vals.append(float(hit["estimate"].iloc[0]) if len(hit) else np.nan)
                ses.append(float(hit["std_error"].iloc[0]) if len(hit) else np.nan)
                ps.append(float(hit["p"].iloc[0]) if len(hit) else np.nan)
            label = labels.get(key, row_label(kind, var, labels))
            recs.append((key, label, block_of(kind), "coef", vals, ses, ps))

    if "coefficients" in blocks:
        add_terms(coef_tidies, ("beta", "theta", "spatial", "variance"), lambda k: "coefficients")
    if "effects" in blocks:
        add_terms(eff_tidies, ("direct", "indirect", "total"), lambda k: k)
    if "statistics" in blocks:
        for key, label, kind, vals in _glance_rows(glances, statistics, unit, period):
            block = "fixed effects" if key in ("unit_fe", "time_fe", "random", "lee_yu", "cov_type") else "statistics"
            recs.append((key, labels.get(key, label), block, kind, vals, [np.nan] * len(vals), [np.nan] * len(vals)))
    idx = [r[0] for r in recs]
    # a variance (sigma2 ~ 1e-3 in a log model) printed as 0.001 (0.000) says nothing: its row gets
    # two significant digits of its smallest estimate or SE (at least ``decimals``, at most 6)
    decs = [decimals_for([*r[4], *r[5]], digits=2, least=decimals, most=max(decimals, 6))
            if r[0].startswith("variance:") else decimals for r in recs]
    rows = pd.DataFrame({"label": [r[1] for r in recs], "block": [r[2] for r in recs],
                         "kind": [r[3] for r in recs], "decimals": decs}, index=idx)
    body = pd.DataFrame([r[4] for r in recs], index=idx, columns=list(col_keys), dtype=object)
    se = pd.DataFrame([r[5] for r in recs], index=idx, columns=list(col_keys), dtype=float)
    pv = pd.DataFrame([r[6] for r in recs], index=idx, columns=list(col_keys), dtype=float)
    return rows, body, se, pv
