#!/usr/bin/env python3
"""Benchmark of ``spillmap.screen`` on Dask and of the permutation kernel against esda.

Cases (``--cases``; all by default):

``screen``
    1,000 synthetic indicators x 2 W (queen contiguity with islands linked to the
    nearest unit, and 6 nearest neighbours; row-standardised) x 12 years on the 297
    mainland municipalities and prefecture-level cities of
    ``spillmap.datasets.china_prefectures()``: Moran's I, Geary's C and LISA counts
    with 999 permutations, on a local cluster of 2 worker processes (``--workers``).
    Reported: the screen's wall time with the cluster already up, the cluster start,
    and the efficiency ``task seconds / (wall x workers)`` (1 - overhead).
    ``--pooled`` adds Moran/Geary of the stacked panel (T times a period's work).
``speedup``
    The same work (``--speedup-indicators``, default 300) on 1 and on 2 local workers,
    alternated ``--repeats`` times in one process (side by side: the machine is
    shared), ratio of the medians; also checks that the tables are byte-identical.
``multinode``
    A scheduler and two worker processes started as separate processes on 127.0.0.1
    (``loopback_cluster``), the run sent by address, its Parquet bytes compared with
    an in-process run.
``permutation``
    The kernel against esda 2.9 (as installed, without numba) at N = 100,000 (a
    250 x 400 queen lattice), 999 permutations, interleaved: LISA
    (``local_moran`` vs ``esda.Moran_Local``), global Moran (``moran`` vs
    ``esda.Moran``), and the pooled Moran of N = 10,000 x T = 10 (NT = 100,000;
    ``moran_pooled`` vs ``esda.Moran`` on the explicit block-diagonal libpysal W,
    whose construction is not timed), also with ``threads=2``.

Synthetic indicators: ``y = (I - rho W)^{-1} e`` per year with rho drawn in [0, 0.8]
for each indicator (a spread of spatial dependence), fixed seed.

Usage::

    python benchmarks/bench_screen.py [--cases screen speedup multinode permutation]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} on {os.cpu_count()} cores"


def china():
    from spillmap import datasets
    from spillmap.spatial import contiguity, knn

    layer = datasets.china_prefectures()
    layer = layer[layer["level"].isin(["municipality", "prefecture_city"])].reset_index(drop=True)
    return {"queen": contiguity(layer, "adcode", kind="queen", islands="nearest"), "knn6": knn(layer, "adcode", k=6)}


def synthetic_panel(w, k: int, t: int = 12, seed: int = 0):
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    rng = np.random.default_rng(seed)
    n = w.n
    cols = {}
    for j in range(k):
        lu = spla.splu(sp.csc_matrix(sp.identity(n) - rng.uniform(0, 0.8) * w.sparse))
        cols[f"ind{j:04d}"] = np.concatenate([lu.solve(rng.standard_normal(n)) for _ in range(t)])
    df = pd.DataFrame(cols)
    df.insert(0, "year", np.repeat(np.arange(2008, 2008 + t), n))
    df.insert(0, "adcode", np.tile(np.asarray(w.ids, dtype=object), t))
    return df


def _run(panel, ws, client, *, pooled: bool):
    import spillmap

    t0 = time.perf_counter()
    res = spillmap.screen(panel, id="adcode", time="year", weights=ws, client=client, permutations=999, seed=0,
                          statistics=("moran", "geary", "lisa"), pooled=pooled)
    return res, time.perf_counter() - t0


def _local(workers: int):
    import logging

    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.ERROR)
    return cluster, Client(cluster)


def case_screen(args) -> None:
    ws = china()
    panel = synthetic_panel(ws["queen"], args.indicators)
    t0 = time.perf_counter()
    cluster, client = _local(args.workers)
    start = time.perf_counter() - t0
    try:
        for pooled in ([False, True] if args.pooled else [False]):
            res, wall = _run(panel, ws, client, pooled=pooled)
            tm = res.timing
            eff = tm["task_seconds"] / (tm["wall_seconds"] * tm["workers"])
            print(f"screen {args.indicators} indicators x 2 W x 12 years{' + pooled' if pooled else ''}, 999 perm., "
                  f"{tm['workers']} workers: {wall:.1f} s (engine {tm['wall_seconds']:.1f} s, {tm['tasks']} tasks, "
                  f"task time {tm['task_seconds']:.1f} s, efficiency {eff:.0%}); cluster start {start:.1f} s; "
                  f"{len(res.table):,} rows; {load()}", flush=True)
    finally:
        client.close()
        cluster.close()


def case_speedup(args) -> None:
    from spillmap.screen._output import parquet_bytes

    ws = china()
    panel = synthetic_panel(ws["queen"], args.speedup_indicators)
    clusters = {n: _local(n) for n in (1, 2)}
    times = {1: [], 2: []}
    tables = {}
    try:
        for rep in range(args.repeats):
            for n in (1, 2) if rep % 2 == 0 else (2, 1):
                res, wall = _run(panel, ws, clusters[n][1], pooled=False)
                times[n].append(wall)
                tables[n] = parquet_bytes(res.table)
                print(f"  repeat {rep + 1}: {n} worker(s) {wall:.1f} s ({load()})", flush=True)
    finally:
        for cluster, client in clusters.values():
            client.close()
            cluster.close()
    m1, m2 = statistics.median(times[1]), statistics.median(times[2])
    print(f"speed-up 1 -> 2 workers ({args.speedup_indicators} indicators x 2 W x 12 years): "
          f"median {m1:.1f} s -> {m2:.1f} s = {m1 / m2:.2f}x (min {min(times[1]):.1f} -> {min(times[2]):.1f} s); "
          f"tables identical: {tables[1] == tables[2]}", flush=True)


def case_multinode(args) -> None:
    import spillmap
    from spillmap.screen._engine import loopback_cluster
    from spillmap.screen._output import parquet_bytes

    ws = china()
    panel = synthetic_panel(ws["queen"], args.multinode_indicators)
    kw = dict(id="adcode", time="year", weights=ws, permutations=999, seed=0, statistics=("moran", "geary", "lisa"))
    cluster, client = _local(1)
    try:
        local = spillmap.screen(panel, client=client, **kw)
    finally:
        client.close()
        cluster.close()
    t0 = time.perf_counter()
    with loopback_cluster(2) as address:
        up = time.perf_counter() - t0
        t1 = time.perf_counter()
        remote = spillmap.screen(panel, scheduler=address, **kw)
        wall = time.perf_counter() - t1
    same = parquet_bytes(remote.table) == parquet_bytes(local.table)
    print(f"multi-node (scheduler + 2 worker processes on 127.0.0.1, {address}): {args.multinode_indicators} indicators "
          f"in {wall:.1f} s (processes up in {up:.1f} s); Parquet identical to the in-process run: {same}", flush=True)


def _lattice(rows: int, cols: int):
    import numpy as np
    import scipy.sparse as sp

    from spillmap.spatial.weights import SpatialWeights

    idx = np.arange(rows * cols).reshape(rows, cols)
    a, b = [], []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                src = idx[max(0, -dr) : rows - max(0, dr), max(0, -dc) : cols - max(0, dc)]
                dst = idx[max(0, dr) : rows - max(0, -dr), max(0, dc) : cols - max(0, -dc)]
                a.append(src.ravel())
                b.append(dst.ravel())
    a, b = np.concatenate(a), np.concatenate(b)
    m = sp.csr_matrix((np.ones(a.size), (a, b)), shape=(rows * cols,) * 2)
    return SpatialWeights(m, [f"u{i}" for i in range(rows * cols)]).row_standardize()


def _pair(label: str, ours, theirs, repeats: int) -> None:
    a, b = [], []
    for rep in range(repeats):
        for which in (0, 1) if rep % 2 == 0 else (1, 0):
            t0 = time.perf_counter()
            (ours, theirs)[which]()
            (a, b)[which].append(time.perf_counter() - t0)
    print(f"{label}: spillmap min {min(a):.2f} / median {statistics.median(a):.2f} s, esda min {min(b):.2f} / "
          f"median {statistics.median(b):.2f} s, ratio of medians {statistics.median(b) / statistics.median(a):.1f}x "
          f"({load()})", flush=True)


def case_permutation(args) -> None:
    import warnings

    import esda
    import numpy as np
    import pandas as pd

    from spillmap.spatial import local_moran, moran, moran_pooled
    from spillmap.spatial.autocorrelation import block_diagonal

    warnings.filterwarnings("ignore")
    w = _lattice(250, 400)
    y = np.random.default_rng(0).standard_normal(w.n)
    y = y + 0.5 * w.lag(y)
    wl = w.to_libpysal()
    _pair("LISA, N = 100,000, 999 permutations", lambda: local_moran(y, w, permutations=999, seed=1),
          lambda: esda.Moran_Local(y, wl, transformation="o", permutations=999, seed=1, n_jobs=1,
                                   keep_simulations=False), args.permutation_repeats)
    _pair("global Moran, N = 100,000, 999 permutations", lambda: moran(y, w, permutations=999, seed=1),
          lambda: esda.Moran(y, wl, transformation="o", permutations=999), args.permutation_repeats)
    _pair("  of which without permutations (spillmap: its Cliff-Ord moments; esda: on the prebuilt W)",
          lambda: moran(y, w, permutations=0), lambda: esda.Moran(y, wl, transformation="o", permutations=0), 1)
    from spillmap.spatial._permutation import global_counts

    z = y - y.mean()
    _pair("  permutations alone (kernel vs esda's Moran minus its analytic part)",
          lambda: global_counts(z, w.sparse, permutations=999, seed=1),
          lambda: esda.Moran(y, wl, transformation="o", permutations=999), args.permutation_repeats)
    _pair("  the kernel with threads=2 (same p-values)",
          lambda: global_counts(z, w.sparse, permutations=999, seed=1, threads=2),
          lambda: esda.Moran(y, wl, transformation="o", permutations=999), args.permutation_repeats)
    ws = _lattice(100, 100)
    t = 10
    yp = np.random.default_rng(1).standard_normal(ws.n * t)
    panel = pd.DataFrame({"id": np.tile(np.asarray(ws.ids, dtype=object), t), "time": np.repeat(np.arange(t), ws.n), "y": yp})
    from libpysal.weights import WSP

    big = WSP(block_diagonal(ws, t)).to_W(silence_warnings=True)
    for threads in (1, 2):
        label = "pooled Moran, N = 10,000 x T = 10, 999 permutations"
        _pair(label + (", threads=2 (same p-value)" if threads > 1 else ""),
              lambda threads=threads: moran_pooled(panel, id="id", time="time", var="y", w=ws, permutations=999,
                                                   seed=1, threads=threads),
              lambda: esda.Moran(yp, big, transformation="o", permutations=999), args.permutation_repeats)


CASES = {"screen": case_screen, "speedup": case_speedup, "multinode": case_multinode, "permutation": case_permutation}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--indicators", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pooled", action="store_true", help="screen: also run with the pooled statistics")
    ap.add_argument("--speedup-indicators", type=int, default=300)
    ap.add_argument("--multinode-indicators", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--permutation-repeats", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"python {sys.version.split()[0]}; {load()}", flush=True)
    for case in args.cases:
        CASES[case](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
