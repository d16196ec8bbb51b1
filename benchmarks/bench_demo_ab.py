"""``spillmap demo`` of an earlier commit and of this tree, side by side (run: python benchmarks/bench_demo_ab.py).

Installs the commit ``--base`` (``git archive`` + ``pip install --no-deps --target``: the same
dependencies as this environment), then runs ``--pairs`` interleaved pairs of whole ``spillmap demo``
processes (the default mode: figures shared with a forked process), the order alternating pair by
pair, and prints wall and CPU seconds (min / median) of each and the ratio pair by pair; then compares
every file of the two last output folders byte for byte.  The machine's load average is printed with
each pair: only the pair-by-pair ratios mean something on a shared machine.  Not a test: numbers go
to benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench_maps import _demo_once, _install  # the same demo run and install of --base

#: the last commit of stop 33
_BASE = "2e3df95"


def _differences(a: Path, b: Path) -> list[str]:
    """Relative paths of the files that differ between two folders (or exist in one only)."""
    fa = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    fb = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    out = sorted(str(p) for p in fa ^ fb)
    out += sorted(str(p) for p in fa & fb if not filecmp.cmp(a / p, b / p, shallow=False))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default=_BASE, help=f"the commit to compare with (default {_BASE})")
    ap.add_argument("--pairs", type=int, default=3, help="interleaved pairs (default 3)")
    opts = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp())
    try:
        base = _install(opts.base, tmp)
        runs: dict[str, list[tuple[float, float]]] = {"base": [], "tree": []}
        for k in range(opts.pairs):
            for which in (("base", "tree") if k % 2 == 0 else ("tree", "base")):
                out = tmp / f"{which}_{k}"
                runs[which].append(_demo_once(out, False, {"PYTHONPATH": base} if which == "base" else None))
                if k < opts.pairs - 1:
                    shutil.rmtree(out)
            w = [runs[x][-1][0] for x in ("base", "tree")]
            print(f"pair {k + 1}: {opts.base} {w[0]:.1f} s, this tree {w[1]:.1f} s "
                  f"(load average {os.getloadavg()[0]:.1f})", flush=True)
        for which, label in (("base", opts.base), ("tree", "this tree")):
            wall, cpu = [r[0] for r in runs[which]], [r[1] for r in runs[which]]
            print(f"spillmap demo, {label}: wall {min(wall):.1f} / {statistics.median(wall):.1f} s, "
                  f"CPU {min(cpu):.1f} / {statistics.median(cpu):.1f} s (min / median of {opts.pairs})")
        ratios = [b[0] / t[0] for b, t in zip(runs["base"], runs["tree"])]
        print(f"base / this tree, wall, pair by pair: {min(ratios):.2f} / {statistics.median(ratios):.2f} (min / median)")
        last = opts.pairs - 1
        diff = _differences(tmp / f"base_{last}", tmp / f"tree_{last}")
        print(f"files that differ: {len(diff)}" + (": " + ", ".join(diff[:10]) if diff else " (byte-identical)"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
