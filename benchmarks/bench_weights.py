"""Benchmark the weights builders and weights IO (time and peak traced memory).

Run: ``python benchmarks/bench_weights.py [--big]`` (``--big`` adds the N = 100,000 sparse
cases).  Each case is timed best-of-``REPEAT``; peak memory is from ``tracemalloc``
(numpy reports its buffers to it) on one extra run.  Figures go in benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import box

from spillmap import datasets
from spillmap.spatial import builders as B
from spillmap.spatial.io import read_weights, write_weights

REPEAT = 3


def grid_layer(n_side_x: int, n_side_y: int, *, lon0=75.0, lat0=20.0, width=55.0, height=25.0):
    """Square cells covering a lon/lat window (China-sized by default), ids 'c000000'..."""
    dx, dy = width / n_side_x, height / n_side_y
    xs, ys = np.meshgrid(np.arange(n_side_x), np.arange(n_side_y))
    xs, ys = xs.ravel(), ys.ravel()
    geoms = box(lon0 + xs * dx, lat0 + ys * dy, lon0 + (xs + 1) * dx, lat0 + (ys + 1) * dy)
    ids = [f"c{i:06d}" for i in range(xs.size)]
    return gpd.GeoDataFrame({"id": ids}, geometry=geoms, crs="EPSG:4326")


def panel_for(ids, years=range(2008, 2020), seed=0):
    rng = np.random.default_rng(seed)
    rows = [(u, t, v) for t in years for u, v in zip(ids, rng.lognormal(1.0, 0.5, len(ids)))]
    return pd.DataFrame(rows, columns=["id", "year", "pgdp"])


def measure(label, fn, repeat=REPEAT):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"| {label} | {min(times) * 1000:,.0f} ms | {peak / 2**20:,.0f} MB |", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", action="store_true")
    args = ap.parse_args()
    print("| case | best time | peak traced memory |")
    print("| --- | --- | --- |")
    china = datasets.china_prefectures()
    china = china[china["level"].isin(["municipality", "prefecture_city"])].reset_index(drop=True)
    demo = datasets.demo_panel()
    measure("queen contiguity, China 297, islands=nearest", lambda: B.contiguity(china, "adcode", islands="nearest"))
    measure("inverse distance (dense), China 297", lambda: B.inverse_distance(china, "adcode"))
    measure(
        "economic_product, China 297 x 12 years",
        lambda: B.economic_product(china, demo, id="adcode", time="year", var="pgdp", period=(2008, 2019)),
    )
    g = grid_layer(57, 50)  # N = 2,850
    p = panel_for(g["id"])
    measure("queen contiguity, grid N=2,850", lambda: B.contiguity(g, "id"))
    wd = measure("inverse distance (dense), N=2,850", lambda: B.inverse_distance(g, "id"))
    measure("knn k=5, N=2,850", lambda: B.knn(g, "id", k=5))
    we = measure(
        "economic_distance, N=2,850 x 12 years",
        lambda: B.economic_distance(p, id="id", time="year", var="pgdp", ids=g["id"]),
    )
    measure(
        "economic_product, N=2,850 x 12 years",
        lambda: B.economic_product(g, p, id="id", time="year", var="pgdp"),
    )
    measure("nested(phi=0.5), N=2,850 dense", lambda: B.nested(wd, we, 0.5))
    wq = B.contiguity(g, "id")
    measure("eigenvalues, queen R N=2,850 (RCM + banded LAPACK)", lambda: B.contiguity(g, "id").eigenvalues, repeat=1)
    with tempfile.TemporaryDirectory() as tmp:
        for ext in ("gal", "gwt", "mtx", "csv"):
            path = Path(tmp) / f"w.{ext}"
            w = wq.binary() if ext == "gal" else wq
            measure(f"write {ext}, queen N=2,850", lambda: write_weights(w, path, overwrite=True))
            measure(f"read {ext}, queen N=2,850", lambda: read_weights(path))
    if args.big:
        big = grid_layer(400, 250)  # N = 100,000
        measure("knn k=5, N=100,000", lambda: B.knn(big, "id", k=5), repeat=1)
        measure("inverse distance cutoff 50 km, N=100,000", lambda: B.inverse_distance(big, "id", cutoff_km=50), repeat=1)
        measure("queen contiguity, grid N=100,000", lambda: B.contiguity(big, "id"), repeat=1)


if __name__ == "__main__":
    main()
