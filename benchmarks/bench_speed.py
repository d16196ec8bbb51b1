"""Speed of spillmap's spatial panel ML against spreg, side by side, and its LU budget.

Run:  python benchmarks/bench_speed.py [fit] [cli] [lu] [big] [contiguity] [threads] [calibrate] [fixed]
          [--sizes 20 50 100] [--repeats 5] [--big-sides 316 1000] [--base DIR --pairs 7] [--json OUT]

Sections (all by default except the 1,000 x 1,000 lattice, which needs ``--big-sides 1000``):

* ``fit``: queen lattices of side 20, 50, 100 (N = 400, 2,500, 10,000), T = 10, SAR /
  SDM / SEM with individual effects, ``lee_yu="none"`` (the direct approach, as spreg).
  One child process per (N, model) imports both libraries and runs a warm-up pair
  (spillmap alone beyond N = 2,500, where one spreg fit takes minutes), then
  ``--repeats`` interleaved pairs: ``SpatialPanel(...).fit()`` plus the
  delta-method effects with standard errors (and, timed separately, 1,000 simulated
  draws) on a fresh weights object, then spreg 1.9 ``ML_LagFE`` (``slx_lags=1`` for the
  SDM) or ``ML_ErrorFE``.  spreg gets an address-space limit (``--spreg-mem-gb``) so a
  dense N x N allocation it cannot afford ends as a MemoryError instead of swapping
  the shared machine.  Ratios are spreg / spillmap pair by pair.
* ``cli``: whole processes, interleaved: ``spillmap fit`` on a CSV panel and a GAL file
  (SDM, individual effects, 1,000 simulated effect draws) against a Python script that
  reads the same files (pandas, libpysal) and calls spreg's ``ML_LagFE(slx_lags=1)``;
  wall time and peak memory from ``os.wait4``.  N = 3,600 (60 x 60) by default.
* ``lu``: fit time in units of one sparse LU of ``I - rho W`` at the estimate, and the
  number of factorisations (``results.extra["lu_factorizations"]``), N >= 10,000.
* ``big``: two-way SDM (Lee-Yu transformation) on rook lattices of side ``--big-sides``:
  spec (data checks), fit, delta and simulated effects, LU count, peak memory.
* ``contiguity``: queen contiguity of a jittered 250 x 400 polygon lattice (N = 100,000)
  by ``spillmap.spatial.contiguity`` and libpysal ``Graph.build_contiguity``, interleaved.
* ``threads``: ``numpy.linalg.eigvalsh`` and ``lstsq`` with the BLAS default thread count
  and with one thread, interleaved.
* ``calibrate``: SuperLU's and single-threaded ``eigvalsh``'s flop rates (the constants
  of ``LogDet``'s method choice).
* ``fixed`` (with ``--base DIR``): the same spillmap runs as ``fit`` (spec, fit, delta effects;
  ``--sizes``) timed in child processes that alternate between the spillmap installed in ``DIR``
  (``pip install --no-deps --target DIR`` of an older checkout) and this one, ``--pairs`` pairs,
  each child the fastest of ``--fixed-reps`` runs: a before/after comparison on a shared machine.

The machine's load (``os.getloadavg``) is printed before and after each section.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = str(HERE / "_speed_cases.py")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min), {os.cpu_count()} CPUs"


def mm(values: list[float], fmt: str = "{:.3g}") -> str:
    """``min / median``."""
    if not values:
        return "-"
    return f"{fmt.format(min(values))} / {fmt.format(statistics.median(values))}"


def child(args: list[str], timeout: float) -> dict:
    try:
        p = subprocess.run([sys.executable, CASES, *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    if p.returncode:
        return {"error": p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------- fit
def section_fit(opts) -> list[dict]:
    print("\n## spillmap vs spreg 1.9, individual FE, queen lattice, T = 10 (fit alone, same process)\n")
    print("| N | model | spillmap fit + delta effects (s) | + spec (s) | simulated effects (s) | spreg (s) "
          "| spreg / spillmap (min / median) | LU per fit | log-det | max abs diff params | max rel diff SE |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    out = []
    for side in opts.sizes:
        for model in ("sar", "sdm", "sem"):
            r = child(["fit", str(side), model, str(opts.repeats), str(opts.spreg_mem_gb)], opts.timeout)
            out.append(r)
            if "error" in r:
                print(f"| {side * side:,} | {model.upper()} | error: {r['error']} |")
                continue
            rows = r["rows"]
            a = [x["spillmap"] for x in rows]
            b = [x["spreg"] for x in rows]
            ok = [x for x in rows if "fit" in x["spreg"]]
            ratio = [x["spreg"]["fit"] / x["spillmap"]["fit_effects"] for x in ok]
            diff = sediff = "-"
            if ok:
                pa, pb = ok[0]["spillmap"]["params"], ok[0]["spreg"]["params"]
                diff = f"{max(abs(u - v) for u, v in zip(pa, pb)):.1e}"
                sa, sb = ok[0]["spillmap"]["se"], ok[0]["spreg"]["se"]
                sediff = f"{max(abs(u / v - 1) for u, v in zip(sa, sb)):.1e}"
            spreg_t = mm([x["fit"] for x in b if "fit" in x]) if ok else (
                f"{b[-1].get('error', '-')} (address space + {opts.spreg_mem_gb:g} GB)" if b else "-")
            print(f"| {r['n']:,} | {model.upper()} | {mm([x['fit_effects'] for x in a])} "
                  f"| {mm([x['fit_effects'] + x['spec'] for x in a])} | {mm([x['effects_sim'] for x in a])} "
                  f"| {spreg_t} | {mm(ratio, '{:.1f}x')} | {a[0]['lu_fit']} | {a[0]['method']} | {diff} | {sediff} |",
                  flush=True)
    return out


# ----------------------------------------------------------------------- cli
SPREG_SCRIPT = r'''
import sys, warnings, contextlib, io
import numpy as np, pandas as pd, libpysal, spreg
df = pd.read_csv(sys.argv[1], dtype={"id": str})
w = libpysal.io.open(sys.argv[2]).read()
w.transform = "r"
order = {u: i for i, u in enumerate(w.id_order)}
df = df.assign(_p=df["id"].map(order)).sort_values(["time", "_p"])
with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
    warnings.simplefilter("ignore")
    r = spreg.ML_LagFE(df[["y"]].to_numpy(), df[["x1", "x2", "x3"]].to_numpy(), w, slx_lags=1)
print(np.asarray(r.betas).ravel()[-1])
'''


def _write_cli_inputs(side: int, folder: Path) -> tuple[Path, Path, Path]:
    sys.path.insert(0, str(HERE))
    from _speed_cases import simulate, weights

    from spillmap.spatial.io import write_weights

    w = weights(side)
    df = simulate(w, 10, "sdm", "individual")
    data, gal, script = folder / "panel.csv", folder / "w.gal", folder / "spreg_fit.py"
    df.to_csv(data, index=False)
    write_weights(w.binary(), gal)
    script.write_text(SPREG_SCRIPT)
    return data, gal, script


def _run_timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (GB) and exit status of one whole process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, usage.ru_maxrss / 1e6, p.returncode


def section_cli(opts) -> dict:
    side = opts.cli_side
    print(f"\n## whole process: `spillmap fit` CLI vs a script calling spreg ML_LagFE(slx_lags=1), "
          f"SDM, individual FE, N = {side * side:,}, T = 10\n")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data, gal, script = _write_cli_inputs(side, folder)
        a_times, b_times, a_mem, b_mem = [], [], [], []
        for rep in range(opts.cli_repeats + 1):
            out = folder / f"fit{rep}.json"
            cmd_a = [sys.executable, "-m", "spillmap", "fit", "--data", str(data), "--id", "id", "--time", "time",
                     "--y", "y", "--x", "x1", "x2", "x3", "--w", str(gal), "--fe", "individual",
                     "--lee-yu", "none", "--model", "sdm", "--json", str(out)]
            ta, ma, ea = _run_timed(cmd_a)
            tb, mb, eb = _run_timed([sys.executable, str(script), str(data), str(gal)])
            if ea or eb:
                print(f"exit status spillmap {ea}, spreg script {eb}")
            if rep:
                a_times.append(ta), b_times.append(tb), a_mem.append(ma), b_mem.append(mb)
    ratio = [b / a for a, b in zip(a_times, b_times)]
    print("| command | wall s (min / median) | peak GB (max) |\n|---|---|---|")
    print(f"| spillmap fit (CLI, reads CSV + GAL, fit, 1,000-draw effects, JSON) | {mm(a_times)} | {max(a_mem):.2f} |")
    print(f"| python script: read CSV + GAL, spreg.ML_LagFE(slx_lags=1) | {mm(b_times)} | {max(b_mem):.2f} |")
    print(f"\nspreg script / spillmap CLI: {mm(ratio, '{:.1f}x')} (pair by pair)", flush=True)
    return {"spillmap": a_times, "spreg": b_times, "ratio": ratio, "mem": [a_mem, b_mem]}


# ----------------------------------------------------------------------- lu / big
def section_lu(opts) -> list[dict]:
    print("\n## fit time in sparse-LU units (one LU of I - rho W at the estimate), default options\n")
    print("| N | model | effects | LU factorisations per fit | fit / one LU (min / median) |\n|---|---|---|---|---|")
    out = []
    for side in opts.lu_sides:
        for model, effects in (("sar", "individual"), ("sdm", "twoways"), ("sem", "twoways")):
            r = child(["lu", str(side), model, effects], opts.timeout)
            out.append(r)
            if "error" in r:
                print(f"| {side * side:,} | {model.upper()} | {effects} | error: {r['error']} |")
                continue
            units = [x["fit"] / x["lu_seconds"] for x in r["rows"]]
            print(f"| {r['n']:,} | {model.upper()} | {effects} | {r['rows'][0]['lu']} | {mm(units, '{:.1f}')} |", flush=True)
    return out


def section_big(opts) -> list[dict]:
    print("\n## two-way SDM (Lee-Yu transformation), rook lattice, T = 10: spillmap alone\n")
    print("| N | spec (s) | fit (s) | effects, delta (s) | effects, 1,000 draws (s) | fit + delta effects (s) "
          "| LU per fit | fit / one LU | peak GB |\n|---|---|---|---|---|---|---|---|---|")
    out = []
    for side in opts.big_sides:
        r = child(["big", str(side), "10", "rook"], max(opts.timeout, 1800))
        out.append(r)
        if "error" in r:
            print(f"| {side * side:,} | error: {r['error']} |")
            continue
        print(f"| {r['n']:,} | {r['spec']:.2f} | {r['fit']:.2f} | {r['effects_delta']:.2f} | {r['effects_sim']:.2f} "
              f"| {r['fit'] + r['effects_delta']:.2f} | {r['lu_fit']} | {r['fit'] / r['lu_seconds']:.1f} "
              f"| {r['peak_gb']:.2f} |", flush=True)
    return out


# ----------------------------------------------------------------------- fixed costs, A/B
def _fixed_child(side: int, model: str, reps: int) -> None:
    """Child of ``fixed``: spillmap alone, ``reps`` timed runs after one warm-up; one JSON line."""
    sys.path.insert(0, str(HERE))
    import spillmap
    from _speed_cases import _spillmap_once, simulate, weights

    w0 = weights(side)
    df = simulate(w0, 10, model, "individual")
    rows = [_spillmap_once(w0, df, model) for _ in range(reps + 1)][1:]
    keys = ("spec", "fit", "effects_delta", "fit_effects")
    print(json.dumps({"spillmap": spillmap.__file__, **{k: min(r[k] for r in rows) for k in keys}}))


def section_fixed(opts) -> dict:
    """Interleaved child processes: the spillmap installed in ``--base`` (PYTHONPATH) against this one."""
    if not opts.base:
        raise SystemExit("fixed needs --base DIR (pip install --no-deps --target DIR <a checkout of the old commit>)")
    print(f"\n## fixed costs, individual FE, lee_yu='none': {opts.base} (A) against this tree (B), "
          f"{opts.pairs} interleaved pairs, each the fastest of {opts.fixed_reps} runs in its child (ms)\n")
    print("| N | model | step | A min / median | B min / median | A / B (min / median of the pairs) |\n"
          "|---|---|---|---|---|---|")
    env_b = dict(os.environ)
    env_a = {**env_b, "PYTHONPATH": os.pathsep.join(filter(None, [opts.base, env_b.get("PYTHONPATH")]))}
    out = {}
    for side in opts.sizes:
        for model in ("sar", "sdm", "sem"):
            args = [sys.executable, __file__, "_fixed_child", str(side), model, str(opts.fixed_reps)]
            a, b = [], []
            for i in range(opts.pairs):  # alternate which side runs first
                for env, res in ((env_a, a), (env_b, b))[:: 1 if i % 2 == 0 else -1]:
                    p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=opts.timeout)
                    res.append(json.loads(p.stdout.strip().splitlines()[-1]))
            for k in ("spec", "fit", "effects_delta", "fit_effects"):
                ta, tb = [x[k] * 1e3 for x in a], [x[k] * 1e3 for x in b]
                print(f"| {side * side:,} | {model.upper()} | {k} | {mm(ta)} | {mm(tb)} "
                      f"| {mm([x / y for x, y in zip(ta, tb)], '{:.2f}')} |", flush=True)
            out[f"{side}-{model}"] = {"A": a, "B": b}
    return out


# ----------------------------------------------------------------------- contiguity / threads / calibrate
def section_contiguity(opts) -> dict:
    sys.path.insert(0, str(HERE))
    from bench_spatial import make_layer
    from libpysal.graph import Graph

    from spillmap.spatial.builders import contiguity

    layer = make_layer(100_000)
    a, b = [], []
    for rep in range(opts.repeats + 1):
        s = time.perf_counter()
        contiguity(layer, "id", kind="queen")
        ta = time.perf_counter() - s
        s = time.perf_counter()
        Graph.build_contiguity(layer.geometry, rook=False)
        tb = time.perf_counter() - s
        if rep:
            a.append(ta), b.append(tb)
    print("\n## queen contiguity, jittered 250 x 400 polygon lattice (N = 100,000)\n")
    print(f"| builder | s (min / median) |\n|---|---|\n| spillmap.spatial.contiguity (checks, W) | {mm(a)} |"
          f"\n| libpysal Graph.build_contiguity | {mm(b)} |\n\nlibpysal / spillmap: "
          f"{mm([y / x for x, y in zip(a, b)], '{:.1f}x')}", flush=True)
    return {"spillmap": a, "libpysal": b}


def section_threads(opts) -> dict:
    import numpy as np
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    m = rng.normal(size=(400, 400))
    m = m + m.T
    x, y = rng.normal(size=(4000, 6)), rng.normal(size=4000)
    res = {"eigvalsh": ([], []), "lstsq": ([], [])}
    for _ in range(opts.repeats):
        for k, f in (("eigvalsh", lambda: np.linalg.eigvalsh(m)), ("lstsq", lambda: np.linalg.lstsq(x, y, rcond=None))):
            s = time.perf_counter()
            f()
            res[k][0].append(time.perf_counter() - s)
            with threadpool_limits(1, "blas"):
                s = time.perf_counter()
                f()
                res[k][1].append(time.perf_counter() - s)
    print("\n## BLAS threads: default count vs one thread (interleaved)\n\n| call | default (s) | 1 thread (s) |\n|---|---|---|")
    print(f"| eigvalsh 400 x 400 | {mm(res['eigvalsh'][0])} | {mm(res['eigvalsh'][1])} |")
    print(f"| lstsq 4,000 x 6 | {mm(res['lstsq'][0])} | {mm(res['lstsq'][1])} |", flush=True)
    return res


def section_calibrate(opts) -> dict:
    sys.path.insert(0, str(HERE))
    import numpy as np
    from _speed_cases import weights
    from threadpoolctl import threadpool_limits

    from spillmap.estimation._logdet import _lu_flops
    from spillmap.estimation._lu import identity_minus, splu

    print("\n## flop rates (LogDet's method choice)\n\n| N | SuperLU GF/s | eigvalsh GF/s (4/3 N^3, 1 thread) |\n|---|---|---|")
    out = {}
    for side in (20, 32, 50):
        w = weights(side)
        a = identity_minus(0.4, w.sparse.tocsc())
        t = min(_timed(lambda: splu(a)) for _ in range(3))
        lu_rate = _lu_flops(splu(a)) / t
        s = w.toarray()
        s = (s + s.T) / 2
        with threadpool_limits(1, "blas"):
            te = min(_timed(lambda: np.linalg.eigvalsh(s)) for _ in range(2))
        out[w.n] = (lu_rate, 4 / 3 * w.n**3 / te)
        print(f"| {w.n:,} | {lu_rate / 1e9:.2f} | {out[w.n][1] / 1e9:.2f} |")
    return out


def _timed(f) -> float:
    s = time.perf_counter()
    f()
    return time.perf_counter() - s


SECTIONS = {"fit": section_fit, "cli": section_cli, "lu": section_lu, "big": section_big,
            "contiguity": section_contiguity, "threads": section_threads, "calibrate": section_calibrate,
            "fixed": section_fixed}


def main() -> None:
    if sys.argv[1:2] == ["_fixed_child"]:
        return _fixed_child(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sections", nargs="*", default=["fit", "cli", "lu", "big", "contiguity", "threads"],
                    help=f"any of {', '.join(SECTIONS)}")
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100], help="lattice sides of the spreg comparison")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--spreg-mem-gb", type=float, default=8.0)
    ap.add_argument("--cli-side", type=int, default=60)
    ap.add_argument("--cli-repeats", type=int, default=3)
    ap.add_argument("--lu-sides", type=int, nargs="+", default=[100, 316])
    ap.add_argument("--big-sides", type=int, nargs="+", default=[316])
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--base", default=None, help="fixed: directory of the spillmap to compare with (PYTHONPATH)")
    ap.add_argument("--pairs", type=int, default=7, help="fixed: interleaved pairs of child processes")
    ap.add_argument("--fixed-reps", type=int, default=15, help="fixed: timed runs per child (the fastest counts)")
    ap.add_argument("--json", default=None)
    opts = ap.parse_args()
    unknown = [s for s in opts.sections if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    results = {}
    for name in opts.sections:
        print(f"\n[{name}] start: {load()}", flush=True)
        results[name] = SECTIONS[name](opts)
        print(f"[{name}] end: {load()}", flush=True)
    if opts.json:
        Path(opts.json).write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
