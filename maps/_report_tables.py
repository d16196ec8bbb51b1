"""The report's tables: formatted from a :class:`~spillmap.study.StudyResults`, written as
CSV + LaTeX, and returned as HTML.  Layout only — every number comes from the results.

Layouts follow the seed study: Table 2 (descriptive), Moran's I by period, Table 3
(baseline), Table 8 (diagnostics: statistic and p per W), Table 9 (SDM effects: estimate
with SE in parentheses and stars, ρ, fixed effects, N used, units, periods), Table 6
(heterogeneity).
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from spillmap.maps import tables
from spillmap.study.diagnostics import DIAGNOSTIC_GROUPS, DIAGNOSTIC_KEYS, DIAGNOSTIC_LABELS

__all__ = ["SECTIONS"]

_FE_ROWS = {"twoways": ("yes", "yes"), "individual": ("yes", "no"), "time": ("no", "yes"), "none": ("no", "no")}
STARS_NOTE = "*** p < 0.01, ** p < 0.05, * p < 0.10."


def _write(folder: Path, stem: str, df: pd.DataFrame, caption: str, notes: str | None) -> None:
    from spillmap._fileio import atomic_write_text

    atomic_write_text(folder / "tables" / f"{stem}.csv", tables.to_csv_text(df))
    atomic_write_text(folder / "tables" / f"{stem}.tex", tables.to_latex(df, caption=caption, notes=notes))


def _links(stem: str) -> str:
    return (f'<div class="files">download: <a href="tables/{stem}.csv">CSV</a>'
            f'<a href="tables/{stem}.tex">LaTeX</a><a href="results.json">results.json</a></div>')


def _section(folder: Path, stem: str, title: str, df: pd.DataFrame, notes: str | None, intro: str = "") -> str:
    _write(folder, stem, df, title, notes)
    return f"<h2>{html.escape(title)}</h2>{intro}" + tables.to_html(df, notes=notes) + _links(stem)


def _fe_words(fe: str, unit: str, time: str) -> tuple[str, str]:
    return f"{unit} FE", f"{time} FE"


# ------------------------------------------------------------------ sections
def descriptive(r, folder: Path) -> str:
    rows = {v: {c: d.get(c) for c in ("N", "mean", "sd", "min", "max")} for v, d in r.descriptive.items()}
    df = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    df["N"] = df["N"].astype(int)
    df.index.name = "variable"
    return _section(folder, "descriptive", "Descriptive statistics", df,
                    "sd with ddof = 1; all units and periods of the joined panel.")


def weights_info(r, folder: Path) -> str:
    d = r.data
    items = "".join(f"<li><b>{html.escape(name)}</b>: {html.escape(info['description'])}</li>"
                    for name, info in r.weights.items())
    extra = []
    if d.get("layer_units_dropped"):
        extra.append(f"{len(d['layer_units_dropped'])} layer units have no data and are not in the sample")
    if d.get("panel_ids_dropped_by_subset"):
        extra.append(f"{len(d['panel_ids_dropped_by_subset'])} panel units are outside the layer subset")
    more = ("<p class=\"notes\">" + html.escape("; ".join(extra)) + ".</p>") if extra else ""
    return f"<h2>Data and weights</h2><ul class=\"weights\">{items}</ul>{more}"


def moran_by_year(r, folder: Path) -> str:
    """Rows: periods then "pooled"; per variable and W: I, z and p (the table such papers print)."""
    if not r.moran_by_year:
        return ""
    cols: dict[str, dict] = {}
    for w, by_var in r.moran_by_year.items():
        for var, by_period in by_var.items():
            for stat in ("I", "z", "p"):
                cols[f"{var}, {w}: {stat}"] = {period: m.get(stat) for period, m in by_period.items()}
    df = pd.DataFrame(cols).astype(float)
    df.index.name = "period"
    return _section(folder, "moran_by_year", "Moran's I by period", df,
                    "Global Moran's I, randomisation z and two-sided p; E[I] = -1/(N-1). 'pooled' stacks every "
                    "period (W repeated for each period).")


def _reg_rows(fits: Sequence, order: Sequence[str], unit: str, time: str) -> pd.DataFrame:
    rows: dict[str, dict] = {}
    for t in order:
        rows[t] = {f.label: tables.cell(f.params.get(t), f.std_errors.get(t), f.pvalues.get(t)) for f in fits}
    rows[f"{unit} FE"] = {f.label: "yes" for f in fits}
    rows[f"{time} FE"] = {f.label: "yes" for f in fits}
    rows["R² (within)"] = {f.label: f"{f.stats['r2']:.3f}" if f.stats.get("r2") is not None else "" for f in fits}
    rows["N"] = {f.label: f"{f.stats['nobs']:,}" for f in fits}
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = ""
    return df


def baseline(r, folder: Path) -> str:
    cols = [r.fits[k] for k in r.baseline.get("columns", ()) if k in r.fits]
    if not cols:
        return ""
    time = r.spec["panel"]["time"]
    df = _reg_rows(cols, list(r.baseline.get("order", ())), r.unit_label, time)
    cl = r.baseline.get("cluster", "entity")
    se = "heteroskedasticity-robust" if cl == "none" else f"clustered by {r.unit_label if cl == 'entity' else cl}"
    return _section(folder, "baseline", "Baseline: non-spatial two-way fixed effects", df,
                    f"Estimate with {se} standard error in parentheses; {STARS_NOTE} "
                    "Columns add the controls one at a time (linearmodels PanelOLS).")


def _diag_cell(row: dict) -> str:
    if "z" in row:  # Moran's I of y: the z statistic
        return tables.stat_cell(row.get("z"), row.get("p"))
    return tables.stat_cell(row.get("stat"), row.get("p"))


def _diag_rows(r, y: str) -> dict[str, dict]:
    """Rows of Table 8, grouped (dependence / model choice / FE vs RE); rows nobody asked for are left out."""
    rows: dict[str, dict] = {}
    group = None
    hidden = ("hausman", "hausman_mundlak", "hausman_selected", "hausman_conditional")
    forms = {w: t.get("hausman_selected", {}).get("form") for w, t in r.diagnostics.items()}
    for key in DIAGNOSTIC_KEYS:
        cells = [t.get(key, {}) for t in r.diagnostics.values()]
        if key in hidden or all(c.get("note") == "not requested" for c in cells):
            if key != "hausman_selected":
                continue
        if DIAGNOSTIC_GROUPS[key] != group:
            group = DIAGNOSTIC_GROUPS[key]
            rows[group] = {w: "" for w in r.diagnostics}
        if key == "hausman_selected":  # one row per form actually shown; the label says which
            for form, label_key in (("classic", "hausman"), ("sphtest", "hausman_conditional"),
                                    ("mundlak", "hausman_mundlak")):
                if form in forms.values():
                    rows[DIAGNOSTIC_LABELS[label_key]] = {
                        w: _diag_cell(t.get("hausman_selected", {})) if forms[w] == form else ""
                        for w, t in r.diagnostics.items()}
            continue
        rows[DIAGNOSTIC_LABELS[key].format(y=y)] = {w: _diag_cell(t.get(key, {})) for w, t in r.diagnostics.items()}
    return rows


def diagnostics(r, folder: Path) -> str:
    if not r.diagnostics:
        return ""
    df = pd.DataFrame.from_dict(_diag_rows(r, r.spec["model"]["y"]), orient="index")
    df.index.name = "test"
    d = r.spec.get("diagnostics", {})
    fe = r.spec["model"]["fe"]
    notes = (
        f"Statistic with p-value in parentheses. Moran's I: pooled panel (W repeated for each period), randomisation z. LM tests on "
        f"the {fe} fixed-effects OLS residuals ({d.get('lm_convention', 'elhorst')} convention; chi2 with 1 df, "
        "LM-SARMA 2 df). Residual Moran: exact mean and variance under the regression null. Pesaran CD: "
        "cross-sectional dependence of the residuals (N(0,1)); the local CD uses only neighbour pairs. BSK: "
        "Baltagi-Song-Koh tests of random effects and spatial error on the pooled model (N(0,1) or chi2). LR and "
        "Wald: SDM against SAR / SEM (chi2, df = number of WX terms). Posterior probabilities: Bayesian comparison "
        "of models (and of the weights matrices) under uniform priors (LeSage 2014). Hausman (FE vs RE): the "
        "classic test compares the SDM coefficients of the fixed- and random-effects fits, weighted by the inverse "
        "of the difference of their covariance matrices, and is not defined when that difference is not positive "
        "definite; the Mundlak form adds the unit means over time of X and WX to the random-effects SDM and tests "
        "them jointly (Wald, chi2); sphtest uses splm's random-effects covariance conditional on the variance "
        f"ratio and rho. The option hausman = \"{d.get('hausman', 'auto')}\" chose the form shown. "
        "n/a = not computed (see Not available).")
    return _section(folder, "diagnostics", "Spatial diagnostics (statistic, p-value)", df, notes)


def within(r, folder: Path) -> str:
    cols = [r.fits[k] for k in r.within.get("columns", ()) if k in r.fits]
    if not cols:
        return ""
    terms = list(dict.fromkeys(t for f in cols for t in f.params))
    rows: dict[str, dict] = {t: {f.label: tables.cell(f.params.get(t), f.std_errors.get(t), f.pvalues.get(t))
                                 for f in cols} for t in terms}
    for stat, label, fmt in (("r2", "R²", "{:.4f}"), ("sigma2", "σ²", "{:.4g}"), ("loglik", "log-likelihood",
                                                                                  "{:.3f}")):
        rows[label] = {f.label: fmt.format(f.stats[stat]) if f.stats.get(stat) is not None else "" for f in cols}
    rows["N"] = {f.label: f"{f.stats['nobs']:,}" for f in cols}
    for key, label in (("lr_unit_effects", "LR, unit effects"), ("lr_time_effects", "LR, period effects")):
        t = r.within.get("tests", {}).get(key)
        if t:
            rows[f"{label} (df {t['df']:g})"] = {cols[-1].label: tables.stat_cell(t["stat"], t["p"])}
    df = pd.DataFrame.from_dict(rows, orient="index").fillna("")
    df.index.name = ""
    return _section(folder, "within", "Non-spatial models: pooled, unit, period and two-way fixed effects", df,
                    "Estimate with standard error in parentheses; " + STARS_NOTE + " R² of the within "
                    "(demeaned) regression; LR tests of the joint significance of the unit and of the period "
                    "effects (two-way model against the model without them; Elhorst 2014, Table 3.1).")


def effects(r, folder: Path) -> str:
    fits = {w: r.sdm(w) for w in r.weights if r.sdm(w) is not None}
    if not fits:
        return ""
    x = r.spec["model"]["x"]
    fe = r.spec["model"]["fe"]
    rows: dict[str, dict] = {}
    for var in x:
        for part in ("direct", "indirect", "total"):
            rows[f"{part} effect of {var}"] = {w: tables.cell(*(f.effects.get(part, {}).get(var, {}).get(c)
                                                                for c in ("estimate", "se", "p"))) for w, f in fits.items()}
    rows["rho"] = {w: tables.cell(f.params.get("rho"), f.std_errors.get("rho"), f.pvalues.get("rho"))
                   for w, f in fits.items()}
    unit_fe, time_fe = _FE_ROWS[fe]
    rows[f"{r.unit_label} FE"] = {w: unit_fe for w in fits}
    rows[f"{r.spec['panel']['time']} FE"] = {w: time_fe for w in fits}
    rows["log-likelihood"] = {w: f"{f.stats['loglik']:.3f}" if f.stats.get("loglik") is not None else ""
                              for w, f in fits.items()}
    rows["N (observations used)"] = {w: f"{f.stats['nobs']:,}" for w, f in fits.items()}
    rows["units × periods"] = {w: f"{f.stats['n']:,} × {f.stats['t']}" for w, f in fits.items()}
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = ""
    m = r.spec["model"]
    draws = m.get("draws", 0)
    ly = m.get("lee_yu", "transformation")
    notes = ("Estimate with standard error in parentheses; " + STARS_NOTE + " Effects: LeSage–Pace partial "
             "derivatives; " + (f"SEs from {draws} draws of the estimates' asymptotic distribution (seed "
                                f"{m.get('seed', 0)})." if draws else "SEs by the delta method.")
             + f" Lee–Yu option: {ly}" + (" (N counts the observations the transformed likelihood uses)."
                                           if ly == "transformation" else "."))
    return _section(folder, "sdm_effects", "Spatial Durbin model: direct, indirect and total effects", df, notes)


def heterogeneity(r, folder: Path) -> str:
    groupings = r.heterogeneity.get("groupings", {})
    if not groupings:
        return ""
    key = r.spec["model"].get("key") or r.spec["model"]["x"][0]
    rows: dict[str, dict] = {}
    for col, block in groupings.items():
        for g in block.get("groups", ()):
            k = f"heterogeneity:{col}={g['value']}"
            b, s = r.fits.get(f"{k}:baseline"), r.fits.get(f"{k}:sdm")
            label = f"{g['label']} (n = {g['n']})"
            row = {"baseline: " + key: tables.cell(b.params.get(key), b.std_errors.get(key), b.pvalues.get(key))
                   if b else "n/a"}
            for part in ("direct", "indirect", "total"):
                e = s.effects.get(part, {}).get(key, {}) if s else {}
                row[f"SDM {part}"] = tables.cell(e.get("estimate"), e.get("se"), e.get("p")) if e else "n/a"
            rows[label] = row
        for name, t in block.get("tests", {}).items():
            what = "baseline" if name == "baseline_wald" else "SDM"
            rows[f"{col}: equal {key} across groups ({what}, Wald)"] = {
                "baseline: " + key: tables.stat_cell(t.get("stat"), t.get("p"))}
    df = pd.DataFrame.from_dict(rows, orient="index").fillna("")
    df.index.name = "group"
    notes = (f"Each group estimated separately (baseline: two-way FE; SDM: weights {r.heterogeneity.get('w')} "
             "rebuilt on the group's units). Estimate with SE in parentheses; " + STARS_NOTE
             + f" Tests: Wald test of {key} × group interactions in the full-sample model (the SDM test "
               "includes their spatial lags); statistic with p in parentheses.")
    return _section(folder, "heterogeneity", "Heterogeneity by group", df, notes)


#: the page's table sections, in order (name in ``[tables] include`` → renderer)
SECTIONS = (("descriptive", descriptive), (None, weights_info), ("moran_by_year", moran_by_year),
            ("baseline", baseline), ("within", within), ("diagnostics", diagnostics), ("effects", effects),
            ("heterogeneity", heterogeneity))
