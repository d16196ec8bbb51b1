"""The screen's HTML page: one table per W, one row per indicator, inline SVG sparklines.

Self-contained and offline (no script, no remote asset): the sparklines are SVG
polylines written here, the styles are inline.  Every user-supplied string
(indicator, weights and period names, reasons, notices) goes through
:func:`html.escape`; links point to map files whose names spillmap chose.
"""
from __future__ import annotations

import html
import math

import numpy as np

__all__ = ["page", "sparkline"]

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}
th,td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right;font-size:13px}
th{background:#f3f3f3}td.l,th.l{text-align:left}
.notice{background:#fff3cd;padding:6px 10px;border:1px solid #e0c36c}
.fail{color:#a33}svg{vertical-align:middle}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(x: object, spec: str) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "-"
    return "-" if not math.isfinite(v) else format(v, spec)


def sparkline(values, labels, *, width: int = 120, height: int = 26) -> str:
    """Inline SVG of a series scaled to its own range (gaps where a value is missing;
    a dotted zero line when 0 is in range; the values in a tooltip)."""
    y = np.asarray(values, dtype=float)
    ok = np.isfinite(y)
    tip = _e("; ".join(f"{lab}: {_num(v, '.4f')}" for lab, v in zip(labels, y)))
    if not ok.any():
        return f'<svg width="{width}" height="{height}"><title>{tip}</title></svg>'
    lo, hi = float(y[ok].min()), float(y[ok].max())
    span = hi - lo or max(abs(hi), 1e-12)
    xs = np.linspace(2, width - 2, y.size) if y.size > 1 else np.array([width / 2])

    def py(v: float) -> float:
        return 2 + (height - 4) * (hi - v) / span

    segs, cur = [], []
    for x, v, good in zip(xs, y, ok):
        if good:
            cur.append(f"{x:.1f},{py(v):.1f}")
        elif cur:
            segs.append(cur)
            cur = []
    if cur:
        segs.append(cur)
    lines = "".join(
        f'<polyline fill="none" stroke="#2b6cb0" stroke-width="1.5" points="{" ".join(s)}"/>'
        if len(s) > 1 else f'<circle cx="{s[0].split(",")[0]}" cy="{s[0].split(",")[1]}" r="1.8" fill="#2b6cb0"/>'
        for s in segs
    )
    zero = (
        f'<line x1="0" x2="{width}" y1="{py(0.0):.1f}" y2="{py(0.0):.1f}" stroke="#999" stroke-dasharray="2,2"/>'
        if lo <= 0.0 <= hi else ""
    )
    return f'<svg width="{width}" height="{height}" role="img"><title>{tip}</title>{zero}{lines}</svg>'


def _settings(res) -> str:
    s = res.settings
    items = [
        ("indicators", len(s["indicators"])),
        ("weights", ", ".join(s["weights"])),
        ("periods", f"{s['periods'][0]}-{s['periods'][-1]} ({len(s['periods'])})" if s["periods"] else "-"),
        ("statistics", ", ".join(s["statistics"])),
        ("permutations", s["permutations"]),
        ("seed", s["seed"]),
        ("alpha", f"{s['alpha']}{' (Benjamini-Hochberg FDR for LISA)' if s['fdr'] else ''}"),
    ]
    if s.get("lm"):
        items.append(("regression", s["lm"]))
    return "<table>" + "".join(f'<tr><th class="l">{_e(k)}</th><td class="l">{_e(v)}</td></tr>' for k, v in items) + "</table>"


#: the regression's pooled columns of the ranking shown on the page: (statistic, its p, heading)
_TESTS = (("lm_lag", "lm_lag_p", "LM-lag (p)"), ("lm_error", "lm_error_p", "LM-error (p)"),
          ("robust_lm_lag", "robust_lm_lag_p", "robust LM-lag (p)"),
          ("robust_lm_error", "robust_lm_error_p", "robust LM-error (p)"),
          ("sdm_rho", "sdm_rho_p", "SDM &rho; (p)"), ("sdm_indirect", "sdm_indirect_p", "SDM indirect effect (p)"))


def _test_cells(row, tests) -> str:
    return "".join(f'<td>{_num(row[v], ".4g")}<br>({_num(row[p], ".3g")})</td>' for v, p, _ in tests)


def _rows(res, w: str, links: dict) -> str:
    labels = list(res.settings["periods"])
    r = res.ranking[res.ranking["w"] == w]
    tests = [t for t in _TESTS if t[0] in r.columns and t[1] in r.columns]
    out = []
    for _, row in r.iterrows():
        lk = links.get((row["indicator"], w), {})
        maps = " ".join(f'<a href="{_e(path)}">{_e(kind)}</a>' for kind, path in lk.items()) or "-"
        fail = f'<span class="fail">{int(row["failed"])}</span>' if row["failed"] else "0"
        out.append(
            f'<tr><td>{_e(row["rank"])}</td><td class="l">{_e(row["indicator"])}</td>'
            f'<td>{sparkline(row["moran_I"], labels)}</td><td>{_num(row["mean_z"], ".2f")}</td>'
            f'<td>{_num(row["share_significant"], ".0%")}</td><td>{_num(row["trend"], "+.4f")}</td>'
            f'<td>{_num(row["pooled_I"], ".4f")}</td><td>{_num(row["pooled_z"], ".2f")}</td>'
            f'<td>{_num(row["mean_HH"], ".1f")}</td><td>{_num(row["mean_LL"], ".1f")}</td>'
            f"{_test_cells(row, tests)}<td>{fail}</td><td>{maps}</td></tr>"
        )
    head = (
        '<tr><th>rank</th><th class="l">indicator</th><th>Moran\'s I by period</th><th>mean z</th>'
        "<th>share significant</th><th>trend of I</th><th>pooled I</th><th>pooled z</th>"
        f"<th>mean HH</th><th>mean LL</th>{''.join(f'<th>{h}</th>' for _, _, h in tests)}"
        "<th>failed rows</th><th>maps</th></tr>"
    )
    return f"<h2>W: {_e(w)}</h2><table>{head}{''.join(out)}</table>"


def _failures(res) -> str:
    f = res.failures()
    if f.empty:
        return "<p>No failures.</p>"
    rows = "".join(
        f'<tr><td class="l">{_e(a)}</td><td class="l">{_e(b)}</td><td class="l">{_e(c)}</td>'
        f'<td class="l">{_e(d)}</td><td class="l">{_e(e)}</td></tr>'
        for a, b, c, d, e in f.itertuples(index=False)
    )
    head = '<tr><th class="l">indicator</th><th class="l">W</th><th class="l">period</th><th class="l">statistics</th><th class="l">reason</th></tr>'
    return f"<table>{head}{rows}</table>"


def _indices(res) -> str:
    parts = []
    for name, idx in res.indices.items():
        parts.append(f"<h3>Composite indicator {_e(name)} ({_e(idx.method)})</h3>")
        parts.append(idx.weights.to_html(index=False, escape=True, float_format=lambda v: f"{v:.4f}"))
    return "".join(parts)


def page(res, links: dict) -> str:
    """The whole page."""
    notice = res.settings.get("notice")
    pieces = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>spillmap screen</title>",
        f"<style>{_CSS}</style></head><body><h1>Spatial screen of {len(res.settings['indicators'])} indicator(s)</h1>",
        f'<p class="notice">{_e(notice)}</p>' if notice else "",
        _settings(res),
        "<p>Moran's I: randomisation z, two-sided; share significant: pseudo p-value (randomisation p "
        "without permutations) at most alpha; trend: OLS slope of I per period; HH/LL: significant LISA "
        "clusters per period.  Maps are drawn for the top-ranked indicators of each W.</p>",
    ]
    pieces += [_rows(res, w, links) for w in res.settings["weights"]]
    pieces += ["<h2>Failures</h2>", _failures(res), _indices(res), "</body></html>"]
    return "\n".join(pieces)
