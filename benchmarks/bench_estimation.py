"""Benchmark of spillmap's fixed-effects spatial panel ML against spreg.

Run:  python benchmarks/bench_estimation.py [--sizes 285 2850 10000] [--big 100000]
          [--spreg-max 10000] [--json OUT]

* N = 285, 2,850, 10,000 (rook lattices from ``libpysal.weights.lat2W``, row-
  standardised), T = 10, individual effects, no Lee-Yu correction: spreg 1.9
  ``Panel_FE_Lag`` (SAR, and SDM by passing [X, WX] columns) against
  ``SpatialPanel(..., effects="individual").fit(lee_yu="none")``; time and the
  largest absolute difference of the estimates.
* N = 100,000 (316 x 316 lattice), T = 10, SDM with two-way effects (default
  Lee-Yu transformation): spillmap alone, the fit and, if
  ``spillmap.estimation.effects`` is available, direct/indirect/total effects.

Each case runs in a fresh subprocess so that peak memory (``ru_maxrss``) is its own.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

CASE = r'''
import json, resource, sys, time, warnings
import numpy as np, pandas as pd, scipy.sparse as sp
from scipy.sparse.linalg import splu
from spillmap.spatial.weights import SpatialWeights
from spillmap.estimation import SpatialPanel
which, n_target, model, t = sys.argv[1], int(sys.argv[2]), sys.argv[3], 10
r = {285: (15, 19), 2850: (50, 57), 10000: (100, 100), 100000: (316, 316)}.get(n_target)
rows, cols = r if r else (int(np.sqrt(n_target)), int(np.sqrt(n_target)))
idx = np.arange(rows * cols).reshape(rows, cols)
a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()]); b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
n = rows * cols
m = sp.coo_matrix((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
w = SpatialWeights.from_sparse(m, [str(i) for i in range(n)], name="lattice").row_standardize()
rng = np.random.default_rng(42)
x = rng.normal(size=(n * t, 3)); wx = w.lag_panel(x, t)
mu = x @ np.array([1.0, -0.5, 0.3]) + (wx @ np.array([0.2, 0.1, -0.1]) if model == "sdm" else 0)
mu = mu + np.tile(rng.normal(size=n), t) + np.repeat(rng.normal(size=t), n) + rng.normal(size=n * t)
lu = splu((sp.identity(n, format="csc") - 0.4 * w.sparse.tocsc()).tocsc(), permc_spec="MMD_AT_PLUS_A")
y = lu.solve(np.ascontiguousarray(mu.reshape(t, n).T)).T.reshape(-1)
out = {"which": which, "n": n, "t": t, "model": model}
if which == "spreg":
    import spreg
    lw = w.to_libpysal(); lw.transform = "r"
    xx = np.column_stack([x, wx]) if model == "sdm" else x
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = spreg.Panel_FE_Lag(y[:, None], xx, lw)
    out["seconds"] = time.perf_counter() - t0
    out["params"] = np.asarray(res.betas).ravel().tolist()
    out["se"] = np.sqrt(np.diag(res.vm)).tolist()
else:
    df = pd.DataFrame({"id": np.tile(np.array(w.ids), t), "time": np.repeat(np.arange(t), n), "y": y,
                       "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]})
    effects = "individual" if which == "spillmap" else "twoways"
    lee_yu = "none" if which == "spillmap" else "transformation"
    t0 = time.perf_counter()
    spec = SpatialPanel(df, y="y", x=["x1", "x2", "x3"], id="id", time="time", w=w, model=model, effects=effects)
    t1 = time.perf_counter()
    res = spec.fit(lee_yu=lee_yu)
    t2 = time.perf_counter()
    out.update(spec_seconds=t1 - t0, fit_seconds=t2 - t1, seconds=t2 - t0,
               params=res.params.tolist(), se=res.std_errors.tolist(), extra={k: str(v) for k, v in res.extra.items()})
    if which == "big":
        try:
            t3 = time.perf_counter()
            eff = res.impacts(draws=1000, seed=0)
            out["effects_seconds"] = time.perf_counter() - t3
        except Exception as exc:  # effects.py missing or failing: report, do not hide
            out["effects_error"] = repr(exc)
out["max_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
print(json.dumps(out))
'''


def run(which: str, n: int, model: str, timeout: float) -> dict:
    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-c", CASE, which, str(n), model], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"which": which, "n": n, "model": model, "timeout": timeout}
    if p.returncode:
        return {"which": which, "n": n, "model": model, "error": p.stderr[-2000:]}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["wall"] = time.perf_counter() - t0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[285, 2850, 10000])
    ap.add_argument("--big", type=int, default=100000, help="N of the spillmap-only case (0 to skip)")
    ap.add_argument("--spreg-max", type=int, default=10000, help="largest N given to spreg")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        for model in ("sar", "sdm"):
            a = run("spillmap", n, model, args.timeout)
            b = run("spreg", n, model, args.timeout) if n <= args.spreg_max else {"skipped": True}
            diff = None
            if "params" in a and "params" in b:
                diff = max(abs(u - v) for u, v in zip(a["params"], b["params"]))
                sediff = max(abs(u / v - 1) for u, v in zip(a["se"], b["se"]))
            else:
                sediff = None
            rows.append((n, model, a.get("seconds"), a.get("max_rss_gb"), b.get("seconds", b.get("timeout")),
                         b.get("max_rss_gb"), diff, sediff))
            print(f"N={n:>7} {model}: spillmap {a.get('seconds', a.get('error', a.get('timeout')))!s:.8} s "
                  f"({a.get('max_rss_gb', float('nan')):.2f} GB)  spreg {b.get('seconds', b)!s:.8} s "
                  f"({b.get('max_rss_gb', float('nan')):.2f} GB)  max|diff| {diff}  max rel SE diff {sediff}", flush=True)
    big = None
    if args.big:
        big = run("big", args.big, "sdm", args.timeout)
        print(f"N={args.big} SDM two-way: spec {big.get('spec_seconds')} s, fit {big.get('fit_seconds')} s, "
              f"effects {big.get('effects_seconds', big.get('effects_error'))} s, peak {big.get('max_rss_gb')} GB; "
              f"{big.get('extra')}", flush=True)
        if "error" in big:
            print(big["error"])
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": rows, "big": big}, fh, indent=1)


if __name__ == "__main__":
    main()
