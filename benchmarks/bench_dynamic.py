"""Dynamic two-way SDM against the static one on the same panel, side by side.

Run:  python benchmarks/bench_dynamic.py [--side 316] [--t 10] [--repeats 3] [--json OUT]

Data: a rook lattice of side ``--side`` (316: N = 99,856), row-standardised, ``--t`` periods
simulated from the dynamic SDM (tau = 0.4, eta = -0.1, rho = 0.3, unit and period effects,
after 20 burn-in periods).  One child process per repeat (fresh imports, fresh weights
object: no trace or eigenvalue cache carried over); inside it the static and the dynamic fit
alternate order from repeat to repeat.  Each fit is timed as ``SpatialPanel(...)`` (the data
checks), ``.fit()`` (Lee-Yu transformation; the dynamic one with its bias correction and
stability check) and the delta-method effects (static: one horizon; dynamic: short and long
run).  The static model uses all T periods, the dynamic one T - 1 (conditional on the first).
The machine's load average is printed before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min), {os.cpu_count()} CPUs"


def simulate(w, t: int, seed: int = 7, burn: int = 20):
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    n = w.n
    rng = np.random.default_rng(seed)
    m = w.sparse
    lu = splu((sp.identity(n, format="csc") - 0.3 * m.tocsc()).tocsc(), permc_spec="MMD_AT_PLUS_A")
    mu = rng.normal(size=n)
    y = np.zeros(n)
    rows = []
    for s in range(burn + t):
        x = rng.normal(size=(n, 3))
        rhs = (0.4 * y - 0.1 * (m @ y) + x @ np.array([1.0, -0.5, 0.3]) + (m @ x) @ np.array([0.2, 0.1, -0.1])
               + mu + rng.normal() + rng.normal(size=n))
        y = lu.solve(rhs)
        if s >= burn:
            rows.append(pd.DataFrame({"id": np.array(w.ids), "time": s - burn, "y": y, "x1": x[:, 0], "x2": x[:, 1],
                                      "x3": x[:, 2]}))
    return pd.concat(rows, ignore_index=True)


def _one(df, w0, dynamic):
    from spillmap.estimation import SpatialPanel
    from spillmap.spatial.weights import SpatialWeights

    w = SpatialWeights.from_sparse(w0.sparse.copy(), list(w0.ids), name="fresh")
    t0 = time.perf_counter()
    spec = SpatialPanel(df, y="y", x=["x1", "x2", "x3"], id="id", time="time", w=w, model="sdm", fe="twoways",
                        dynamic=dynamic)
    t1 = time.perf_counter()
    res = spec.fit()
    t2 = time.perf_counter()
    if dynamic:
        res.effects_both(draws=0)
    else:
        res.impacts(draws=0)
    t3 = time.perf_counter()
    params = {k: float(v) for k, v in res.params.items() if k in ("tau", "eta", "rho")}
    return {"spec": t1 - t0, "fit": t2 - t1, "effects": t3 - t2, "lu": res.extra["lu_factorizations"],
            "params": params}


def worker(side: int, t: int, order: str) -> None:
    sys.path.insert(0, str(HERE))
    from _speed_cases import peak_gb, weights

    w = weights(side, queen=False)
    df = simulate(w, t)
    out = {}
    for kind in (("static", "dynamic") if order == "sd" else ("dynamic", "static")):
        out[kind] = _one(df, w, "both" if kind == "dynamic" else None)
    out.update(n=w.n, t=t, peak_gb=peak_gb())
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--side", type=int, default=316)
    ap.add_argument("--t", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    opts = ap.parse_args()
    if opts.worker:
        worker(int(opts.worker[0]), int(opts.worker[1]), opts.worker[2])
        return
    print(f"before: {load()}")
    runs = []
    for k in range(opts.repeats):
        order = "sd" if k % 2 == 0 else "ds"
        p = subprocess.run([sys.executable, __file__, "--worker", str(opts.side), str(opts.t), order],
                           capture_output=True, text=True, timeout=7200)
        if p.returncode:
            raise SystemExit(p.stderr)
        runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
        print(f"  repeat {k + 1}: static fit {runs[-1]['static']['fit']:.2f} s, dynamic fit "
              f"{runs[-1]['dynamic']['fit']:.2f} s ({load()})", flush=True)
    print(f"after: {load()}\n")
    n = runs[0]["n"]
    print(f"## Dynamic vs static two-way SDM, rook lattice N = {n:,}, T = {opts.t} (Lee-Yu transformation)\n")
    print("| model | spec (s) | fit (s) | effects, delta (s) | total (s) | LU per fit |\n|---|---|---|---|---|---|")
    for kind in ("static", "dynamic"):
        cols = [[r[kind][c] for r in runs] for c in ("spec", "fit", "effects")]
        tot = [sum(x) for x in zip(*cols)]
        cells = " | ".join(f"{min(c):.2f} / {statistics.median(c):.2f}" for c in (*cols, tot))
        print(f"| {kind} SDM | {cells} | {runs[0][kind]['lu']} |")
    ratio = [r["dynamic"]["fit"] / r["static"]["fit"] for r in runs]
    ratio_all = [sum(r["dynamic"][c] for c in ("spec", "fit", "effects")) /
                 sum(r["static"][c] for c in ("spec", "fit", "effects")) for r in runs]
    print(f"\ndynamic / static, fit: {min(ratio):.2f} / {statistics.median(ratio):.2f} (min / median); spec + fit + "
          f"effects: {min(ratio_all):.2f} / {statistics.median(ratio_all):.2f}; peak memory "
          f"{max(r['peak_gb'] for r in runs):.2f} GB; estimates {runs[0]['dynamic']['params']}")
    if opts.json:
        Path(opts.json).write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
