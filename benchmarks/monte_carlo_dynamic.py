#!/usr/bin/env python3
"""Monte Carlo of the dynamic two-way fixed-effects SDM: bias with and without the correction,
and interval coverage.

Design (``--design``)
    ``china`` (default): W the 297-city queen contiguity of :mod:`monte_carlo` (``china_w``; islands
    linked to their nearest unit, row-standardised), T = 12 data periods (the first conditions the
    likelihood: 11 periods used), tau = 0.4, eta = -0.1, rho = 0.26.
    ``cigar``: W the Cigar panel's 46 states (``cigar_w``, row-standardised), T = 30 (29 used),
    tau = 0.85, eta = -0.02, rho = 0.08 (persistent, as the Cigar fits).
DGP
    y_t = tau y_{t-1} + rho W y_t + eta W y_{t-1} + X_t beta + W X_t theta + mu + alpha_t 1 + eps_t
    beta = (0.5, -0.4), theta = (0.3, 0.2), sigma^2 = 1;
    mu_i = 0.5 mean_t x1_it + N(0, 0.5); alpha_t ~ N(0, 1); x, eps iid N(0, 1); 50 burn-in
    periods from y = 0.  Fresh draws per replication, ``default_rng(seed + r)``.
Estimator
    ``SpatialPanel(..., model="sdm", fe="twoways", dynamic="both").fit(lee_yu=...)`` for
    ``none`` (uncorrected direct approach), ``bias-correction`` (YdJL + Lee-Yu direct),
    ``transformation`` (spillmap's default) and ``ydjl`` (Lee-Yu's transformation approach as
    published, R SDPDmod's ``LYtrans = TRUE``); long-run effects by the delta method.
Reported (per option)
    mean bias and RMSE of tau, eta, rho, beta_1 and of the long-run direct / indirect / total
    effect of x1; coverage of their 95 % normal intervals; mean se over the Monte Carlo sd.

Usage::

    python benchmarks/monte_carlo_dynamic.py --reps 1000 --seed 1 [--options none bias-correction transformation ydjl]
        [--design china|cigar]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from monte_carlo import china_w  # noqa: E402

TAU, ETA, RHO = 0.4, -0.1, 0.26
BETA, THETA = np.array([0.5, -0.4]), np.array([0.3, 0.2])
T = 12
BURN = 50


def cigar_w():
    """The 46-state W of the Cigar panel (bundled ``cigar_w``), row-standardised."""
    from spillmap import datasets

    return datasets.cigar_w().row_standardize()


#: ``--design``: W, data periods and (tau, eta, rho).  ``china``: the study's cities, moderate
#: persistence; ``cigar``: the Cigar panel's shape (46 states, 30 years) and persistence (tau near
#: 0.86, as the fits of tests/test_sdpdmod_reference.py), where W y_t and W y_{t-1} are nearly collinear
DESIGNS = {"china": {"w": china_w, "t": T, "tau": TAU, "eta": ETA, "rho": RHO},
           "cigar": {"w": cigar_w, "t": 30, "tau": 0.85, "eta": -0.02, "rho": 0.08}}
PARAMS = ("tau", "eta", "rho", "x1")
EFFECTS = ("direct", "indirect", "total")


def truth(w, design: dict = DESIGNS["china"]) -> dict[str, float]:
    """True parameters and long-run effects of x1 (dense, exact)."""
    tau, eta, rho = design["tau"], design["eta"], design["rho"]
    wd = w.toarray()
    n = wd.shape[0]
    lr = np.linalg.inv((1 - tau) * np.eye(n) - (rho + eta) * wd) @ (BETA[0] * np.eye(n) + THETA[0] * wd)
    d, tot = np.trace(lr) / n, lr.sum() / n
    return {"tau": tau, "eta": eta, "rho": rho, "x1": BETA[0], "direct": d, "indirect": tot - d, "total": tot}


def simulate(w, rng: np.random.Generator, t: int = T, design: dict = DESIGNS["china"]) -> pd.DataFrame:
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    n = w.n
    m = w.sparse
    tau, eta, rho = design["tau"], design["eta"], design["rho"]
    lu = spla.splu(sp.csc_matrix(sp.identity(n) - rho * m))
    xs = rng.normal(size=(BURN + t, n, 2))
    mu = 0.5 * xs[BURN:, :, 0].mean(axis=0) + rng.normal(scale=np.sqrt(0.5), size=n)
    y = np.zeros(n)
    frames = []
    for s in range(BURN + t):
        x = xs[s]
        rhs = tau * y + eta * (m @ y) + x @ BETA + (m @ x) @ THETA + mu + rng.normal() + rng.normal(size=n)
        y = lu.solve(rhs)
        if s >= BURN:
            frames.append(pd.DataFrame({"id": list(w.ids), "t": s - BURN, "y": y, "x1": x[:, 0], "x2": x[:, 1]}))
    return pd.concat(frames, ignore_index=True)


def one_fit(panel: pd.DataFrame, w, lee_yu: str, draws: int = 0, seed: int = 0) -> dict:
    from spillmap.estimation import SpatialPanel

    res = SpatialPanel(panel, y="y", x=["x1", "x2"], id="id", time="t", w=w, model="sdm", fe="twoways",
                       dynamic="both").fit(lee_yu=lee_yu)
    lr = res.effects_both(draws=draws, seed=seed)["long"]
    out = {p: (float(res.params[p]), float(res.std_errors[p])) for p in PARAMS}
    for e in EFFECTS:
        row = getattr(lr, e).loc["x1"]
        out[e] = (float(row["estimate"]), float(row["se"]), float(row["ci_lower"]), float(row["ci_upper"]))
    return out


def run(reps: int, seed: int, options: list[str], design: str = "china", draws: int = 0) -> dict:
    """``draws`` > 0: the long-run effects by simulation, their coverage that of the percentile
    interval (0: delta method, the normal interval)."""
    spec = DESIGNS[design]
    w = spec["w"]()
    true = truth(w, spec)
    rows: dict[str, list[dict]] = {o: [] for o in options}
    failures = {o: 0 for o in options}
    for r in range(reps):
        panel = simulate(w, np.random.default_rng(seed + r), spec["t"], spec)
        for o in options:
            try:
                rows[o].append(one_fit(panel, w, o, draws, seed + r))
            except Exception:  # noqa: BLE001 - an explosive or failed fit is counted, not hidden
                failures[o] += 1
    summary = {}
    for o, fits in rows.items():
        s = {"failed": failures[o], "reps": len(fits)}
        for k in (*PARAMS, *EFFECTS):
            est = np.array([f[k][0] for f in fits])
            se = np.array([f[k][1] for f in fits])
            if k in EFFECTS:  # the reported interval (normal for the delta method, percentiles if simulated)
                lo, hi = np.array([f[k][2] for f in fits]), np.array([f[k][3] for f in fits])
                covered = (lo <= true[k]) & (true[k] <= hi)
            else:
                covered = np.abs(est - true[k]) <= 1.959963984540054 * se
            s[k] = {"bias": float(est.mean() - true[k]), "rmse": float(np.sqrt(np.mean((est - true[k]) ** 2))),
                    "coverage": float(np.mean(covered)),
                    "se_ratio": float(se.mean() / est.std(ddof=1))}
        summary[o] = s
    return {"design": {"name": design, "n": w.n, "t": spec["t"], "reps": reps, "seed": seed, "draws": draws},
            "truth": true,
            "results": summary}


def markdown(s: dict) -> str:
    d = s["design"]
    how = f"simulated ({d['draws']} draws, percentile intervals)" if d.get("draws") else "delta method"
    lines = [f"design {d['name']}: N = {d['n']}, T = {d['t']} ({d['t'] - 1} used), {d['reps']} replications, "
             f"seed {d['seed']}; long-run effects: {how}\n",
             "| option | quantity | truth | bias | RMSE | coverage 95 % | se / sd |", "|---|---|---|---|---|---|---|"]
    for o, r in s["results"].items():
        for k in (*PARAMS, *EFFECTS):
            q = r[k]
            name = k if k in PARAMS else f"long-run {k} (x1)"
            lines.append(f"| {o} | {name} | {s['truth'][k]:.4f} | {q['bias']:+.4f} | {q['rmse']:.4f} | "
                         f"{q['coverage']:.1%} | {q['se_ratio']:.2f} |")
        lines.append(f"| {o} | failed fits | | {r['failed']} | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--options", nargs="+", default=["none", "bias-correction", "transformation", "ydjl"])
    ap.add_argument("--design", choices=sorted(DESIGNS), default="china")
    ap.add_argument("--effects-draws", type=int, default=0, dest="draws",
                    help="simulate the long-run effects (percentile intervals); 0: delta method")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    s = run(a.reps, a.seed, a.options, a.design, a.draws)
    print(markdown(s))
    print(f"\n{time.perf_counter() - t0:.0f} s")
    if a.json:
        Path(a.json).write_text(json.dumps(s, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
