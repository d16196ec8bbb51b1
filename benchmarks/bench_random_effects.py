"""Benchmark of the random-effects spatial panels (SAR, SDM, SEM) against spreg.

Run:  python benchmarks/bench_random_effects.py [--sizes 285 2850 10000] [--t 10]
          [--spreg-max 2850] [--json OUT]

Rook lattices (row-standardised), T periods, data simulated from a SAR/SEM with
random unit effects.  For each N: ``SpatialPanel(..., re=True).fit()`` for
SAR, SDM and SEM (time, peak RSS); spreg 1.9 ``Panel_RE_Lag`` (SAR) for comparison up to
``--spreg-max`` (its information matrix inverts a dense N x N matrix), with the largest
absolute difference of the estimates.  Each case runs in a fresh subprocess so that
peak memory (``ru_maxrss``) is its own.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

CASE = r'''
import json, resource, sys, time, warnings
import numpy as np, pandas as pd, scipy.sparse as sp
from scipy.sparse.linalg import splu
from spillmap.spatial.weights import SpatialWeights
from spillmap.estimation import SpatialPanel
which, n_target, model, t = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
r = {285: (15, 19), 2850: (50, 57), 10000: (100, 100)}.get(n_target)
rows, cols = r if r else (int(np.sqrt(n_target)), int(np.sqrt(n_target)))
idx = np.arange(rows * cols).reshape(rows, cols)
a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()]); b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
n = rows * cols
m = sp.coo_matrix((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()
w = SpatialWeights.from_sparse(m, [str(i) for i in range(n)], name="lattice").row_standardize()
rng = np.random.default_rng(42)
x = rng.normal(size=(n * t, 3)); wx = w.lag_panel(x, t)
xb = 1.0 + x @ np.array([1.0, -0.5, 0.3]) + (wx @ np.array([0.2, 0.1, -0.1]) if model == "sdm" else 0)
mu = np.tile(rng.normal(size=n) * 0.7, t)
lu = splu((sp.identity(n, format="csc") - 0.4 * w.sparse.tocsc()).tocsc())
eps = rng.normal(size=n * t)
solve = lambda v: lu.solve(np.ascontiguousarray(v.reshape(t, n).T)).T.reshape(-1)
y = solve(xb + mu + eps) if model != "sem" else xb + mu + solve(eps)
out = {"which": which, "n": n, "t": t, "model": model}
if which == "spreg":
    import spreg
    lw = w.to_libpysal(); lw.transform = "r"
    xx = np.column_stack([x, wx]) if model == "sdm" else x
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = spreg.Panel_RE_Lag(y[:, None], xx, lw)
    out["seconds"] = time.perf_counter() - t0
    out["params"] = np.asarray(res.betas).ravel().tolist()
else:
    df = pd.DataFrame({"id": np.tile(np.array(w.ids), t), "time": np.repeat(np.arange(t), n), "y": y,
                       "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]})
    t0 = time.perf_counter()
    res = SpatialPanel(df, y="y", x=["x1", "x2", "x3"], id="id", time="time", w=w, model=model,
                       re=True).fit()
    out["seconds"] = time.perf_counter() - t0
    out["params"] = res.params.to_numpy().tolist()
    out["logdet"] = res.extra["logdet_method"]
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
'''


def run(which: str, n: int, model: str, t: int) -> dict:
    p = subprocess.run([sys.executable, "-c", CASE, which, str(n), model, str(t)], capture_output=True, text=True)
    if p.returncode:
        return {"which": which, "n": n, "model": model, "error": p.stderr.strip().splitlines()[-1]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[285, 2850])
    ap.add_argument("--t", type=int, default=10)
    ap.add_argument("--spreg-max", type=int, default=2850)
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        for model in ("sar", "sdm", "sem"):
            r = run("spillmap", n, model, args.t)
            if model in ("sar", "sdm") and n <= args.spreg_max:
                s = run("spreg", n, model, args.t)
                if "params" in s and "params" in r:
                    r["spreg_seconds"] = s["seconds"]
                    r["max_abs_diff_vs_spreg"] = max(abs(a - b) for a, b in zip(r["params"], s["params"]))
            rows.append(r)
            print(json.dumps({k: v for k, v in r.items() if k != "params"}), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
