"""Benchmark: queen weights, per-period Moran's I and panel LM tests on synthetic layers.

Layer: a jittered square lattice of quadrilaterals (grid nodes moved at random, so
neighbouring cells share their vertices exactly: a clean planar coverage with queen
contiguity of 3-8 neighbours).  Panel: T = 10 periods of a spatially smoothed
outcome and four regressors.

Each (case, N) runs in a fresh subprocess so that its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own; the ``import`` case gives
the baseline of the interpreter and libraries.

Usage::

    python benchmarks/bench_spatial.py              # N = 2,850 and 100,000
    python benchmarks/bench_spatial.py --sizes 2850 # one size
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T = 10
CACHE = Path(tempfile.gettempdir()) / "spillmap_bench_spatial"
SHAPES = {2850: (50, 57), 100_000: (250, 400)}


def _shape(n: int) -> tuple[int, int]:
    if n in SHAPES:
        return SHAPES[n]
    r = int(round(n**0.5))
    while n % r:
        r -= 1
    return r, n // r


def make_layer(n: int, seed: int = 0):
    """A jittered lattice of ``n`` quadrilaterals (GeoDataFrame with an ``id`` column)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    rows, cols = _shape(n)
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(cols + 1, dtype=float), np.arange(rows + 1, dtype=float))
    gx += rng.uniform(-0.3, 0.3, gx.shape)
    gy += rng.uniform(-0.3, 0.3, gy.shape)
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    r, c = r.ravel(), c.ravel()
    corners = [(r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c)]
    coords = np.stack([np.stack([gx[a, b], gy[a, b]], axis=-1) for a, b in corners], axis=1)
    polys = shapely.polygons(coords)
    return gpd.GeoDataFrame({"id": [f"u{i}" for i in range(rows * cols)]}, geometry=polys)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _load_w(n: int):
    import numpy as np
    import scipy.sparse as sp

    from spillmap.spatial.weights import SpatialWeights

    m = sp.load_npz(CACHE / f"w_{n}.npz")
    ids = np.load(CACHE / f"ids_{n}.npy", allow_pickle=False).tolist()
    return SpatialWeights(m, tuple(ids), "R", "bench queen")


def _panel(w, seed: int = 1):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = w.n
    x = rng.normal(size=(T * n, 4))
    u = rng.normal(size=T * n)
    y = x @ np.array([1.0, -0.5, 0.25, 0.0]) + u + 0.6 * w.lag_panel(u, T) + np.repeat(rng.normal(size=T), n)
    df = pd.DataFrame(x, columns=["x1", "x2", "x3", "x4"])
    df.insert(0, "y", y)
    df.insert(0, "time", np.repeat(np.arange(2010, 2010 + T), n))
    df.insert(0, "id", np.tile(np.asarray(w.ids, dtype=object), T))
    return df, y, x


def case_import(n: int) -> dict:
    import spillmap.spatial  # noqa: F401

    return {}


def case_build(n: int) -> dict:
    import numpy as np
    import scipy.sparse as sp

    from spillmap.spatial.builders import contiguity

    layer = make_layer(n)
    t0 = time.perf_counter()
    w = contiguity(layer, "id", kind="queen")
    dt = time.perf_counter() - t0
    CACHE.mkdir(exist_ok=True)
    sp.save_npz(CACHE / f"w_{n}.npz", w.sparse)
    np.save(CACHE / f"ids_{n}.npy", np.asarray(w.ids))
    return {"seconds": dt, "nnz": w.nnz, "mean_neighbours": float(w.cardinalities.mean())}


def case_moran(n: int) -> dict:
    from spillmap.spatial.autocorrelation import moran_by_period

    w = _load_w(n)
    df, _, _ = _panel(w)
    t0 = time.perf_counter()
    res = moran_by_period(df, id="id", time="time", var="y", w=w, permutations=999, seed=0)
    dt = time.perf_counter() - t0
    return {"seconds_total": dt, "seconds_per_period": dt / T, "I_first": res[2010].I, "periods": len(res)}


def case_moran_pooled(n: int) -> dict:
    from spillmap.spatial.autocorrelation import moran_pooled

    w = _load_w(n)
    df, _, _ = _panel(w)
    perms = 999 if n <= 10_000 else 99
    t0 = time.perf_counter()
    r = moran_pooled(df, id="id", time="time", var="y", w=w, permutations=perms, seed=0)
    return {"seconds": time.perf_counter() - t0, "permutations": perms, "I": r.I}


def case_lisa(n: int) -> dict:
    import numpy as np

    from spillmap.spatial.autocorrelation import local_moran

    w = _load_w(n)
    _, y, _ = _panel(w)
    t0 = time.perf_counter()
    out = local_moran(y[: w.n], w, permutations=999, seed=0)
    return {"seconds": time.perf_counter() - t0, "significant": int(np.sum(out["significant"]))}


def case_lm(n: int) -> dict:
    from spillmap.spatial.lm import lm_tests, panel_lm_tests

    w = _load_w(n)
    df, y, x = _panel(w)
    out = {}
    for effects in ("none", "twoways"):
        t0 = time.perf_counter()
        r = lm_tests(y, x, w, t=T, fe=effects)
        out[f"arrays_{effects}_s"] = time.perf_counter() - t0
        out[f"lm_lag_{effects}"] = r.lm_lag.stat
    t0 = time.perf_counter()
    panel_lm_tests(df, id="id", time="time", y="y", x=["x1", "x2", "x3", "x4"], w=w, fe="twoways")
    out["frame_twoways_s"] = time.perf_counter() - t0
    return out


CASES = {
    "import": case_import,
    "build": case_build,
    "moran": case_moran,
    "moran_pooled": case_moran_pooled,
    "lisa": case_lisa,
    "lm": case_lm,
}


def _child(case: str, n: int) -> None:
    res = CASES[case](n)
    res["peak_rss_mb"] = _peak_mb()
    print(json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2850, 100_000])
    ap.add_argument("--cases", nargs="+", default=list(CASES))
    ap.add_argument("--child", nargs=2, metavar=("CASE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpu(s), T = {T}")
    for n in args.sizes:
        for case in args.cases:
            t0 = time.perf_counter()
            p = subprocess.run(
                [sys.executable, __file__, "--child", case, str(n)], capture_output=True, text=True
            )
            wall = time.perf_counter() - t0
            if p.returncode:
                print(f"N={n:>7} {case:<13} FAILED: {p.stderr.strip().splitlines()[-1:]}")
                continue
            res = json.loads(p.stdout.strip().splitlines()[-1])
            shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in res.items())
            print(f"N={n:>7} {case:<13} {shown} (subprocess wall {wall:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
