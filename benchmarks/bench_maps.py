"""Benchmark of the maps and the one-command report (run: python benchmarks/bench_maps.py).

Figures: size of a 297-city choropleth HTML (target <= 3 MB), time to build and render
it, size of every demo map, and the wall time of `spillmap demo` (target <= 60 s on
2 cores).  Not a test: numbers go to benchmarks/README.md.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np


def best_of(n, fn):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    from spillmap import datasets
    from spillmap.maps import choropleth, render_html

    g = datasets.china_prefectures(web=True)
    g = g[g["level"].isin(["municipality", "prefecture_city"])].copy()
    g["v"] = np.random.default_rng(0).normal(size=len(g))
    t_build, m = best_of(3, lambda: choropleth(g, "v", id="adcode", name_column="name"))
    tracemalloc.start()
    t_render, html = best_of(3, lambda: render_html(m))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"choropleth 297 cities: build {t_build:.2f} s, render {t_render:.2f} s, "
          f"HTML {len(html.encode()) / 1e6:.2f} MB, render peak {peak / 1e6:.0f} MB (tracemalloc)")

    tmp = Path(tempfile.mkdtemp())
    try:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "spillmap", "demo", "--out", str(tmp / "demo"), "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"spillmap demo: {time.perf_counter() - t0:.1f} s wall (subprocess, incl. imports)")
        for f in sorted((tmp / "demo" / "maps").glob("*.html")):
            print(f"  {f.name}: {f.stat().st_size / 1e6:.2f} MB")
        total = sum(f.stat().st_size for f in (tmp / "demo").rglob("*") if f.is_file())
        print(f"  whole folder: {total / 1e6:.1f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
