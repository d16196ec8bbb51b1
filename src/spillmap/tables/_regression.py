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
from spillmap.tables._format import STAR_LEVELS, _check_levels
from spillmap.tables._heavy import heavy_tail_note, heavy_tailed_cells
from spillmap.tables._labels import check_label_keys
from spillmap.tables._model import PAREN_STATS, ParenStat, Table, _check_choice
from spillmap.tables._notes import se_note
from spillmap.tables._regression_rows import STATISTICS, assemble, row_key
from spillmap.tables._rows import with_controls_row

__all__ = ["regression_table", "effects_method_words", "STATISTICS", "BLOCKS"]

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
    decimals: int | None = None,
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
        ``None`` (default): 3 decimals, more (up to 6) only on a coefficient or effect row with
        a non-zero estimate or SE that would print as ``0.000``: two significant digits of its
        smallest (``0.00040 (0.00012)``; ``-0.0090 (0.0262)`` prints ``-0.009 (0.026)``), as the
        study report's tables print.  An integer: that many decimals on every estimate and
        statistic (one number per table, as journals ask; counts have none).  Either way the
        variance rows (σ², φ) get more, up to 6, when that is needed for two significant digits
        of their smallest estimate or SE (a σ² of 0.0009 prints 0.00091 (0.000023), not 0.001
        (0.000)).  A row's decimals come from that row's own numbers, chosen before
        ``variables=`` keeps some rows: selecting rows never changes how a cell prints.
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
    _check_options(stat, blocks, decimals)
    labels = dict(labels or {})
    levels = _star_levels(stars)
    cols = _columns(fits, effects)
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
    rows, body, se, pv = assemble(coef_tidies, eff_tidies, glances, header.index, blocks=blocks,
                                   variables=variables, labels=labels, statistics=statistics,
                                   unit=unit, period=period, decimals=decimals)
    if rows.empty:
        raise InputError("the table would be empty: no rows in the requested blocks.")
    heavy = heavy_tailed_cells(eff_tidies, list(header.index)) if "effects" in blocks else {}
    for col, items in heavy.items():  # no stars from a misleading SE; the note gives the intervals
        for kind, var, _, _ in items:
            if row_key(kind, var) in pv.index:
                pv.at[row_key(kind, var), col] = np.nan
    notes = _notes(notes, cols, glances, labels, blocks=blocks, statistics=statistics, heavy=heavy,
                   decimals=rows["decimals"].to_dict())
    titles = tuple((k, v) for k, v in _EFFECT_TITLES.items())
    has_effects = "effects" in blocks and any(not t.empty for t in eff_tidies)
    if "coefficients" in blocks and has_effects:
        titles = (("coefficients", "Coefficients"), *titles)
    ys = set(header["y"]) - {""}
    paren = _paren_note(stat, glances, blocks, has_effects, unit, period, list(header.index))
    table = Table(body=body, rows=rows, columns=header, se=se, pvalues=pv, caption=caption, notes=notes,
                  paren=stat, star_levels=levels, block_titles=titles, stub="", value_name="estimate",
                  hidden=("y",) if len(ys) <= 1 else (), paren_note=paren, decimals_chosen=True)
    return with_controls_row(table, coef_tidies, variables) if "statistics" in blocks else table


def _check_options(stat: str, blocks: Sequence[str], decimals: int | None) -> None:
    """``stat``, ``blocks`` and ``decimals`` of :func:`regression_table`, checked (InputError)."""
    _check_choice("stat", stat, PAREN_STATS)
    bad = [b for b in blocks if b not in BLOCKS]
    if bad:
        raise InputError(f"blocks {bad} unknown; choose from {', '.join(BLOCKS)}.")
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int)
                                 or not 0 <= decimals <= 10):
        raise InputError(f"decimals must be None or an integer from 0 to 10, got {decimals!r}.")


def _notes(notes: Sequence[str], cols: list, glances: list[dict], labels: Mapping[str, str], *,
           blocks: Sequence[str], statistics: Sequence[str], heavy: Mapping[str, list],
           decimals: Mapping[str, int]) -> tuple[str, ...]:
    """The table's notes: the fits' data notices (synthetic data) first, the dependent variable (when
    one for every column), the user's ``notes``, how the effects and their SEs were obtained, the
    heavy-tailed effects' intervals (each with its row's ``decimals``) and what N counts."""
    from spillmap.estimation.effects import EffectsResult

    notices = list(dict.fromkeys(g["notice"] for g in glances if g.get("notice")))
    out = [n for n in notes if n not in notices]
    ys = {g.get("y") for g in glances if g.get("y")}
    if len(ys) == 1:  # one dependent variable for every column: said once, as the papers do
        y = next(iter(ys))
        out.insert(0, f"Dependent variable: {labels.get(y, y) if labels else y}.")
    note = _effects_note([fit if isinstance(fit, EffectsResult) else eff for _, fit, eff in cols], glances)
    if note and "effects" in blocks:
        out.append(note)
    if heavy:
        out.append(heavy_tail_note(heavy, labels, decimals))
    out[:0] = notices
    shows_n = "statistics" in blocks and "nobs" in statistics  # the note explains the N row
    if shows_n and any(g.get("nobs") and g.get("n") and g.get("t") and g["nobs"] != g["n"] * g["t"] for g in glances):
        out.append("N counts the observations the likelihood uses (fewer than units × periods under the "
                   "Lee–Yu transformation).")
    return tuple(out)


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

