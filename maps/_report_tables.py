"""The report's tables as :class:`spillmap.tables.Table` objects, built from a
:class:`~spillmap.study.StudyResults`.  Layout only — every number comes from the results.

Layouts follow the seed study: Table 2 (descriptive), Moran's I by period, Table 3
(baseline, through :func:`~spillmap.tables.regression_table`), Elhorst's Table 3.1
(pooled / unit / period / two-way OLS), Table 8 (diagnostics: statistic and p per W,
rows grouped), Table 9 (the SDM per W: coefficient block — β, θ as ``W×x``, ρ, σ² —
and effects block — direct, indirect, total — with SEs on their own row, stars and
the model statistics), Table 6 (heterogeneity: per grouping, the baseline and the SDM
of each group side by side, and the Wald tests of equal key coefficients).
:mod:`spillmap.maps._report_sections` writes them and draws the page's sections.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import pandas as pd

from spillmap.study.diagnostics import DIAGNOSTIC_GROUPS, DIAGNOSTIC_KEYS, DIAGNOSTIC_LABELS
from spillmap.tables import Table, descriptive_table, frame_table, regression_table
from spillmap.tables._rows import fixed_decimals, readable, with_tests

__all__ = ["ReportTable", "BUILDERS", "build_tables"]


@dataclass(frozen=True)
class ReportTable:
    """One table of the report: its ``[tables] include`` name, file stem, title, the
    :class:`~spillmap.tables.Table` and an optional HTML introduction."""

    name: str
    stem: str
    title: str
    table: Table


def _time(r) -> str:
    return str(r.spec["panel"]["time"])


# ------------------------------------------------------------------ tables
def descriptive(r) -> list[ReportTable]:
    rows = {v: {c: d.get(c) for c in ("N", "mean", "sd", "min", "max")} for v, d in r.descriptive.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    frame["N"] = frame["N"].astype(np.int64)
    title = "Descriptive statistics"
    t = descriptive_table(frame, labels=r.labels, caption=title,
                          notes=("sd with ddof = 1; all units and periods of the joined panel.",))
    return [ReportTable("descriptive", "descriptive", title, t)]


def _pooled_mean(r) -> str:
    """How the pooled Moran's I was centred, for the notes."""
    if r.spec.get("diagnostics", {}).get("moran_demean") == "period":
        return ("each period's values less their own mean, so a trend common to the units drops out "
                "(permutations within periods)")
    return "one mean over all periods, so a trend common to the units adds to it"


def moran_by_year(r) -> list[ReportTable]:
    """Rows: periods then "pooled"; per variable and W: I, z and p (the table such papers print)."""
    if not r.moran_by_year:
        return []
    data, head, labels = {}, {}, r.labels
    perms = int(r.spec.get("diagnostics", {}).get("permutations", 0) or 0)
    stats = ("I", "z", "p", "p_perm") if perms else ("I", "z", "p")
    for w, by_var in r.moran_by_year.items():
        for var, by_period in by_var.items():
            for stat in stats:
                key = f"{var} | {w} | {stat}"
                data[key] = {period: m.get(stat) for period, m in by_period.items()}
                head[key] = {"series": f"{labels.get(var, var)}, {w}", "label": "p (perm.)" if stat == "p_perm" else stat}
    frame = pd.DataFrame(data).astype(float)
    title = "Moran's I by period"
    perm_note = (f" p (perm.): pseudo p-value from {perms:,} permutations (seed "
                 f"{r.spec.get('model', {}).get('seed', 0)}), folded to the side of the observed I." if perms else "")
    t = frame_table(frame, caption=title, stub=_time(r), notes=(
        "Global Moran's I, randomisation z and two-sided p; E[I] = −1/(N − 1). 'pooled' stacks every period "
        f"(W repeated for each period); {_pooled_mean(r)}." + perm_note,))
    t = t.with_options(columns=pd.DataFrame.from_dict(head, orient="index")[["series", "label"]])
    return [ReportTable("moran_by_year", "moran_by_year", title, t)]


def _fits(r, keys) -> list:
    return [r.fits[k] for k in keys if k in r.fits]


def baseline(r) -> list[ReportTable]:
    fits = _fits(r, r.baseline.get("columns", ()))
    if not fits:
        return []
    title = "Baseline: non-spatial two-way fixed effects"
    t = regression_table(fits, column_labels=[f.label for f in fits], variables=list(r.baseline.get("order", ())),
                         labels=r.labels,
                         blocks=("coefficients", "statistics"),
                         statistics=("r2_within", "nobs", "n", "t", "unit_fe", "time_fe"),
                         unit=r.unit_label, period=_time(r), caption=title,
                         notes=("Columns add the controls one at a time (linearmodels PanelOLS).",))
    return [ReportTable("baseline", "baseline", title, t)]


def _unadjusted(f):
    """A within fit stating its covariance: estimation/within.py computes classical OLS (LSDV) SEs,
    s² = e'e/(NT − k − number of fixed effects), as ``PanelOLS(cov_type="unadjusted")``; the records
    (``_steps_model.within_block``) store it, those of a results.json written before did not."""
    return f if f.stats.get("cov_type") else replace(f, stats={**f.stats, "cov_type": "unadjusted"})


def _fe_words(f, r) -> str:
    """A within column's one header: "pooled OLS", "city FE", "year FE", "two-way FE" (as the other tables' FE heads)."""
    return {"none": "pooled OLS", "individual": f"{r.unit_label} FE", "time": f"{_time(r)} FE",
            "twoways": "two-way FE"}.get(f.fe, f.label)


def within(r) -> list[ReportTable]:
    fits = [_unadjusted(f) for f in _fits(r, r.within.get("columns", ()))]
    if not fits:
        return []
    title = "Non-spatial models: pooled, unit, period and two-way fixed effects"
    labels = [_fe_words(f, r) for f in fits]
    t = regression_table(fits, column_labels=labels if len(set(labels)) == len(fits) else [f.label for f in fits],
                         blocks=("coefficients", "statistics"),
                         labels=r.labels,
                         statistics=("r2_within", "r2", "loglik", "nobs"), unit=r.unit_label, period=_time(r),
                         caption=title, notes=(
                             "R² (within): of the demeaned regression. LR tests of the joint significance of the "
                             "unit and of the period effects: two-way model against the model without them "
                             "(Elhorst 2014, Table 3.1). All columns OLS.",))
    t = t.with_options(hidden=(*t.hidden, "model", "effects"))  # one header row: the columns' labels say both
    last = t.body.columns[-1]
    tests = []
    for key, label in (("lr_unit_effects", "LR, unit effects"), ("lr_time_effects", "LR, period effects")):
        d = r.within.get("tests", {}).get(key)
        if d:
            tests.append((key, f"{label} (df {d['df']:g})", {last: (d["stat"], d["p"])}))
    return [ReportTable("within", "within", title, with_tests(t, tests))]


def _diag_rows(r, y: str) -> list[tuple[str, str, str, dict]]:
    """``(key, label, group, {w: row or None})`` of Table 8, grouped (dependence / model choice /
    FE vs RE); rows nobody asked for are left out; one Hausman row per form shown."""
    out = []
    hidden = ("hausman", "hausman_mundlak", "hausman_selected", "hausman_conditional")
    forms = {w: t.get("hausman_selected", {}).get("form") for w, t in r.diagnostics.items()}
    for key in DIAGNOSTIC_KEYS:
        cells = [t.get(key, {}) for t in r.diagnostics.values()]
        if (key in hidden or all(c.get("note") == "not requested" for c in cells)) and key != "hausman_selected":
            continue
        group = DIAGNOSTIC_GROUPS[key]
        if key == "hausman_selected":  # one row per form actually shown; the label says which
            if all(c.get("note") == "not requested" for c in cells):
                continue
            for form, label_key in (("classic", "hausman"), ("sphtest", "hausman_conditional"),
                                    ("mundlak", "hausman_mundlak")):
                if form in forms.values():
                    out.append((f"hausman_{form}", DIAGNOSTIC_LABELS[label_key], group,
                                {w: t.get("hausman_selected", {}) if forms[w] == form else None
                                 for w, t in r.diagnostics.items()}))
            continue
        out.append((key, DIAGNOSTIC_LABELS[key].format(y=y), group, {w: t.get(key, {}) for w, t in r.diagnostics.items()}))
    return out


def _diag_notes(r) -> str:
    """What each test in the table is, for the test families the study asked for only."""
    from spillmap._vocab import TEST_FAMILIES

    d = r.spec.get("diagnostics", {})
    tests = set(d.get("tests") or TEST_FAMILIES)
    fe = r.spec["model"]["fe"]
    include = r.spec.get("tables", {}).get("include") or ()
    yearly = " (the yearly values are in the Moran's I by year table)" if not include or "moran_by_year" in include else ""
    parts = ["Moran's I: pooled panel (W repeated for each period), randomisation z; " + _pooled_mean(r)
             + f"{yearly}."]
    if tests & {"lm", "lm_sarma"}:
        parts.append(f"LM tests on the {fe} fixed-effects OLS residuals ({d.get('lm_convention', 'elhorst')} "
                     "convention; chi2 with 1 df, LM-SARMA 2 df).")
    if "moran_residuals" in tests:
        parts.append("Residual Moran: exact mean and variance under the regression null.")
    if "cd" in tests:
        parts.append("Pesaran CD: cross-sectional dependence of the residuals (N(0,1)); the local CD uses only "
                     "neighbour pairs (for a W that links every pair, such as a distance W without a cut-off, it is "
                     "the CD itself).")
    if tests & {"bsk", "bsjk"}:
        parts.append("BSK: Baltagi-Song-Koh tests of random effects and spatial error on the pooled model (N(0,1) "
                     "or chi2).")
    if "lr_wald" in tests:
        parts.append("LR and Wald: SDM against SAR / SEM (chi2, df = number of WX terms).")
    if "bayes" in tests:
        parts.append("Posterior probabilities: Bayesian comparison of models (and of the weights matrices) under "
                     "uniform priors (LeSage 2014).")
    if "hausman" in tests and d.get("hausman_test", True) is not False:
        parts.append(_HAUSMAN_NOTE + " " + _hausman_choice(r))
    return " ".join(parts) + _moran_perm_note(r) + _na_note(r)


_HAUSMAN_NOTE = (
    "Hausman (FE vs RE): the classic test compares the SDM coefficients of the fixed- and random-effects fits, "
    "weighted by the inverse of the difference of their covariance matrices, and is not defined when that "
    "difference is not positive definite; the Mundlak form adds the unit means over time of X and WX to the "
    "random-effects SDM and tests them jointly (Wald, chi2); sphtest uses splm's random-effects covariance "
    "conditional on the variance ratio and rho.")


def _moran_perm_note(r) -> str:
    """The pooled Moran's I pseudo p-value of each W, when the study asked for permutations."""
    perms = int(r.spec.get("diagnostics", {}).get("permutations", 0) or 0)
    got = {w: (t.get("moran") or {}).get("p_perm") for w, t in r.diagnostics.items()}
    got = {w: p for w, p in got.items() if p is not None}
    if not perms or not got:
        return ""
    seed = r.spec.get("model", {}).get("seed", 0)
    return (f" Moran's I pseudo p-value ({perms:,} permutations, seed {seed}): "
            + "; ".join(f"{w} {p:.3g}" for w, p in got.items()) + ".")


def _hausman_choice(r) -> str:
    """Which Hausman form the table shows for each W, and the option that chose it."""
    from spillmap.study._diagnostics_extra import FORM_WORDS

    choice = r.spec.get("diagnostics", {}).get("hausman", "auto")
    by_form: dict[str, list[str]] = {}
    for w, t in r.diagnostics.items():
        form = t.get("hausman_selected", {}).get("form")
        if form:
            by_form.setdefault(form, []).append(w)
    if not by_form:
        return ""
    rule = " (the classic test when it is defined, otherwise the Mundlak form)" if choice == "auto" else ""
    shown = "; ".join(f"the {FORM_WORDS.get(f, f)} for {', '.join(ws)}" for f, ws in by_form.items())
    why = ""
    if choice == "auto" and "mundlak" in by_form:
        reasons = _reasons({w: t.get("hausman", {}).get("note") for w, t in r.diagnostics.items()
                            if w in by_form["mundlak"]})
        why = f" The classic test is not defined for {reasons}." if reasons else ""
    return f"The option hausman = \"{choice}\"{rule} chose the form shown: {shown}.{why}"


def why_not(note: str | None) -> str:
    """The one-line reason of a "not computed: ..." note: ``"not computed: Hausman test: Var(FE) -
    Var(RE) is not positive definite (smallest eigenvalue ...). The classic ..."`` gives
    ``"Var(FE) − Var(RE) is not positive definite"`` (its first sentence, a long aside dropped)."""
    text = re.sub(r"^(not computed|not available)\s*:\s*", "", str(note or "").strip())
    text = re.sub(r"^[\w\s'-]{1,40} test\s*:\s*", "", text)
    text = re.split(r"(?<=[^.\s]{2})\.(?:\s|$)", text, maxsplit=1)[0]
    depth, start = 0, 0
    for i, ch in enumerate(text):  # a trailing aside with details, "(smallest eigenvalue ...; ...)", is dropped
        depth += (ch == "(") - (ch == ")")
        start = i if ch == "(" and depth == 1 else start
    if text.endswith(")") and start and ";" in text[start:]:
        text = text[:start]
    return text.replace("Var(FE) - Var(RE)", "Var(FE) − Var(RE)").strip(" .;")


def _reasons(notes: Mapping[str, str | None]) -> str:
    """``{w: note}`` as "W1 and W2 (reason)" per distinct reason, "; "-joined (``""`` when none)."""
    by: dict[str, list[str]] = {}
    for w, note in notes.items():
        if why_not(note):
            by.setdefault(why_not(note), []).append(w)
    return "; ".join(f"{' and '.join(ws)} ({why})" for why, ws in by.items())


def _na_note(r) -> str:
    """What the n/a cells of Table 8 are and why each was not computed."""
    cells = {f"{label}, {w}": (c[w] or {}).get("note") for _, label, _, c in
             _diag_rows(r, r.labels.get(r.spec["model"]["y"], r.spec["model"]["y"])) for w in c
             if c[w] is not None and (c[w].get("z") if "z" in c[w] else c[w].get("stat")) is None}
    return f" n/a = not computed: {_reasons(cells) or ', '.join(cells)}." if cells else ""


def diagnostics(r) -> list[ReportTable]:
    if not r.diagnostics:
        return []
    rows = _diag_rows(r, r.labels.get(r.spec["model"]["y"], r.spec["model"]["y"]))
    ws = list(r.diagnostics)

    def stat(row):  # Moran's I of y: the z statistic
        return None if row is None else row.get("z") if "z" in row else row.get("stat")

    body = pd.DataFrame([["" if c[w] is None else (np.nan if stat(c[w]) is None else stat(c[w])) for w in ws]
                         for _, _, _, c in rows], index=[k for k, *_ in rows], columns=ws, dtype=object)
    pv = pd.DataFrame([[np.nan if c[w] is None or c[w].get("p") is None else c[w]["p"] for w in ws]
                       for _, _, _, c in rows], index=body.index, columns=ws, dtype=float)
    meta = pd.DataFrame({"label": [lab for _, lab, _, _ in rows], "block": [g for _, _, g, _ in rows],
                         "kind": "test", "decimals": 3}, index=body.index)
    groups = tuple(dict.fromkeys((g, g) for _, _, g, _ in rows))
    title = "Spatial diagnostics (statistic, p-value)"
    t = Table(body=body, rows=meta, columns=pd.DataFrame({"label": ws}, index=ws), pvalues=pv, paren=None,
              star_levels=(), block_titles=groups, stub="Test", value_name="statistic", caption=title,
              notes=(_diag_notes(r),))
    return [ReportTable("diagnostics", "diagnostics", title, t)]


def effects(r) -> list[ReportTable]:
    """Table 9: the SDM of each W (and, with ``[model] dynamic``, the dynamic SDM next to it: its
    y(t−1), W·y(t−1) rows and short-run effects); then the dynamic SDMs' short- and long-run effects."""
    fits = [f for w in r.weights for f in (r.sdm(w), r.sdm_dynamic(w)) if f is not None]
    if not fits:
        return []
    m = r.spec["model"]
    dynamic = any(f.stats.get("dynamic") for f in fits)
    title = "Spatial Durbin model: coefficients and direct, indirect and total effects"
    notes = []  # the Lee–Yu option is a row; regression_table's notes say what the effects and SEs are
    if dynamic:
        notes.append(_DYNAMIC_NOTE + " Its effects here are the short-run ones; the next table adds the long run.")
    t = regression_table(fits, column_labels=[f"({i + 1})" for i in range(len(fits))],
                         variables=list(m["x"]), labels=r.labels, unit=r.unit_label, period=_time(r),
                         caption=title,
                         statistics=("r2_pseudo", "loglik", "aic", "bic", "nobs", "n", "t", "unit_fe", "time_fe",
                                     "lee_yu"), notes=tuple(notes))
    return [ReportTable("effects", "sdm_effects", title, t), *dynamic_effects(r)]


_DYNAMIC_NOTE = ("Dynamic SDM: y_t = τ y(t−1) + ρ W y_t + η W·y(t−1) + X_t β + W X_t θ + fixed effects, quasi-ML "
                 "conditional on the first period (one period fewer), bias-corrected (Yu, de Jong & Lee 2008; Lee & "
                 "Yu 2010).")


def dynamic_effects(r) -> list[ReportTable]:
    """The dynamic SDM of each W: short-run and long-run direct, indirect and total effects side by side."""
    recs = [f for w in r.weights if (f := r.sdm_dynamic(w)) is not None and f.effects_long_run]
    if not recs:
        return []
    cols, labels = [], []
    for f in recs:
        cols += [f, f.long_run()]
        labels += [f"Short run, {f.w}", f"Long run, {f.w}"]
    title = "Dynamic spatial Durbin model: short-run and long-run effects"
    t = regression_table(cols, column_labels=labels, variables=list(r.spec["model"]["x"]), labels=r.labels,
                         unit=r.unit_label, period=_time(r), blocks=("effects",), caption=title, notes=(
                             _DYNAMIC_NOTE + " Short run: (I − ρW)⁻¹(β_k I + θ_k W), the change in the period of a "
                             "change of x_k; long run: ((1 − τ)I − (ρ + η)W)⁻¹(β_k I + θ_k W), once y has adjusted "
                             "to a permanent change (Debarsy, Ertur & LeSage 2012; Elhorst 2014, ch. 4).",))
    return [ReportTable("effects", "sdm_dynamic_effects", title, t)]


def indicators(r) -> list[ReportTable]:
    """Each composite index's weights (the seed study's Table 1: dimension, indicator, direction, weight)."""
    out = []
    for name, block in r.indicators.items():
        frame = pd.DataFrame([dict(row) for row in block["weights"]])
        weights = [c for c in frame.columns if c not in ("dimension", "indicator", "direction")]
        label = r.labels.get(name, name)
        frame.index = pd.Index([f"{d}: {r.labels.get(i, i)} ({s})" for d, i, s in
                                zip(frame["dimension"], frame["indicator"], frame["direction"])])
        title = f"Composite indicator: {label}"
        method = {"entropy": "entropy weight method", "critic": "CRITIC", "pca": "principal components"}.get(
            block["method"], block["method"])
        t = frame_table(frame[weights].astype(float), caption=title, stub="dimension: indicator (direction)",
                        notes=(f"Weights by the {method} ({block['weighting']}); + raises, − lowers the index. "
                               + (block.get("note") or ""),))
        out.append(ReportTable("indicators", f"indicator_{name}", title, t))
    return out


from spillmap.maps._report_heterogeneity import heterogeneity  # noqa: E402  (it needs ReportTable above)

#: the tables in page order (``[tables] include`` name → builder)
BUILDERS = (("indicators", indicators), ("descriptive", descriptive), ("moran_by_year", moran_by_year),
            ("baseline", baseline),
            ("within", within), ("diagnostics", diagnostics), ("effects", effects), ("heterogeneity", heterogeneity))


def build_tables(r) -> list[ReportTable]:
    """Every table of ``r`` the spec's ``[tables] include`` asks for, in page order; the results'
    ``notice`` (e.g. synthetic data) is each table's first note, in every format."""
    include = set(r.spec.get("tables", {}).get("include", ())) or None
    decimals = r.spec.get("tables", {}).get("decimals")
    items = [t for name, build in BUILDERS if include is None or name in include for t in build(r)]
    digits = readable if decimals is None else partial(fixed_decimals, decimals=int(decimals))
    return [ReportTable(i.name, i.stem, i.title, digits(_noticed(i.table, r.notice))) for i in items]


def _noticed(table: Table, notice: str | None) -> Table:
    if not notice:
        return table
    return table.with_options(notes=(notice, *(n for n in table.notes if n != notice)))
