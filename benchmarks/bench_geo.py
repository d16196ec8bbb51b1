"""Benchmarks of the geo layer: reading, projecting, distances, panel join.

Run: ``python benchmarks/bench_geo.py`` (figures go into benchmarks/README.md by hand).
Targets: read + check the China analysis layer in < 2 s; a 3,000-unit distance matrix in
< 3 s and < 0.25 GB peak; a 3,000 x 20 panel join in < 2 s.
"""
from __future__ import annotations

import time
import tracemalloc

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from spillmap.datasets import data_path
from spillmap.geo import centroids, great_circle_distances, join_panel, read_boundaries, to_equal_area


def timed(label, fn, *args, repeat=3, **kwargs):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    print(f"{label:<55s} {best * 1000:9.1f} ms")
    return out


def peak_mb(fn, *args, **kwargs):
    tracemalloc.start()
    fn(*args, **kwargs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    cn = timed("read_boundaries china_prefectures.gpkg (372 units)", read_boundaries,
               data_path("china_prefectures.gpkg"), "adcode")
    timed("to_equal_area (China Albers, 372 units)", to_equal_area, cn)
    timed("centroids (372 units)", centroids, cn, "adcode")
    rng = np.random.default_rng(0)
    for n in (372, 3000):
        lon, lat = rng.uniform(-180, 180, n), rng.uniform(-80, 80, n)
        timed(f"great_circle_distances N={n}", great_circle_distances, lon, lat)
        print(f"{'  peak memory (tracemalloc)':<55s} {peak_mb(great_circle_distances, lon, lat):9.1f} MB")

    cities = cn[cn["level"].isin(["municipality", "prefecture_city"])]
    panel = pd.DataFrame([(int(c), y) for c in cities["adcode"] for y in range(2008, 2020)],
                         columns=["adcode", "year"])
    for v in ("gtfp", "int", "ins", "pgdp", "fdi", "trans", "inp"):
        panel[v] = rng.normal(size=len(panel))
    timed("join_panel China 297 x 12, 7 variables, int ids", join_panel, cn, panel, id="adcode", time="year")

    n, t = 3000, 20
    layer = gpd.GeoDataFrame({"gid": [f"{i:05d}" for i in range(n)]},
                             geometry=[box(i % 60, i // 60, i % 60 + 1, i // 60 + 1) for i in range(n)], crs=4326)
    big = pd.DataFrame({"gid": np.repeat(layer["gid"].to_numpy(), t), "year": np.tile(np.arange(t), n)})
    for v in range(8):
        big[f"x{v}"] = rng.normal(size=len(big))
    big = big.sample(frac=1.0, random_state=1)
    timed(f"join_panel {n} x {t} (shuffled), 8 variables", join_panel, layer, big, id="gid", time="year")


if __name__ == "__main__":
    main()
