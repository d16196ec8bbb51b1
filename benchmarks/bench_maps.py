"""Benchmark of the maps and the one-command report (run: python benchmarks/bench_maps.py).

Figures: size of a 297-city choropleth HTML (target <= 3 MB), time to build and render
it, size of every demo map, the time of ``run(study)`` on the demo spec and the wall time of
`spillmap demo`, each with its forked process and in one process, interleaved (`--repeats`,
default 3, for the demo; 5 for the study).  Not a
test: numbers go to benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np


#: the commit before the writers and the PDF font subsets were made faster (stop 32)
_BASE = "5c2a7d2"


def best_of(n, fn):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved demo runs per mode (default 3)")
    parser.add_argument("--fonts-ab", type=int, default=0, metavar="PAIRS",
                        help="only: PAIRS interleaved one-process demo runs with and without the lean PDF font "
                             "subsets (spillmap._pdf_fonts), their savefig times")
    parser.add_argument("--writers-ab", type=int, default=0, metavar="PAIRS",
                        help="only: the DOCX and XLSX writers of --base and of this tree on the demo's and the US "
                             "report's tables, PAIRS interleaved processes; byte identity of every file")
    parser.add_argument("--pdf-ab", type=int, default=0, metavar="PAIRS",
                        help="only: the demo in one process with the PDF font subsets made in one stage and in "
                             "two (spillmap._pdf_fonts), PAIRS interleaved runs, the font embedding and savefig "
                             "times; byte identity and sizes of every PDF")
    parser.add_argument("--base", default=_BASE, help=f"the commit --writers-ab compares with ({_BASE})")
    opts = parser.parse_args()
    repeats = opts.repeats
    if opts.fonts_ab:
        _fonts_ab(opts.fonts_ab)
        return
    if opts.writers_ab or opts.pdf_ab:
        _writers_ab(opts.writers_ab, opts.base) if opts.writers_ab else _pdf_ab(opts.pdf_ab)
        return
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

    _fisher_jenks()
    tmp = Path(tempfile.mkdtemp())
    try:
        _study(5)
        _demo(tmp, repeats)
        _phases(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fisher_jenks(sizes=(297, 2850), k: int = 5) -> None:
    """Fisher-Jenks bounds of gamma-distributed values: mapclassify's programme (pure Python
    without numba) against spillmap's vectorised one, alternating, 3 pairs; same bounds."""
    from mapclassify.classifiers import _fisher_jenks_means

    from spillmap.maps._fisher_jenks import fisher_jenks_bins

    for n in sizes:
        v = np.sort(np.random.default_rng(n).gamma(2.0, size=n))
        times: dict[str, list[float]] = {"mapclassify": [], "spillmap": []}
        bins: dict[str, np.ndarray] = {}
        for _ in range(3):
            for name, f in (("mapclassify", lambda: _fisher_jenks_means(v, classes=k)),
                            ("spillmap", lambda: fisher_jenks_bins(v, k))):
                t0 = time.perf_counter()
                bins[name] = f()
                times[name].append(time.perf_counter() - t0)
            assert np.array_equal(bins["mapclassify"], bins["spillmap"])
        print(f"Fisher-Jenks, N = {n:,}, k = {k}: mapclassify {min(times['mapclassify']):.3f} s, spillmap "
              f"{min(times['spillmap']):.4f} s (min of 3, same bounds)")


def _demo_once(out: Path, serial: bool, extra_env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall and CPU (user + sys of the process tree) seconds of one ``spillmap demo`` (``extra_env``:
    more environment, e.g. a PYTHONPATH to an earlier commit's install)."""
    env = {**os.environ, **({"SPILLMAP_NO_FORK": "1"} if serial else {}), **(extra_env or {})}
    before = os.times()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "spillmap", "demo", "--out", str(out), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t0
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def _study(repeats: int) -> None:
    """``run(study)`` on the demo spec in this process (after a warm-up run), its side steps in a
    forked process and in this one (``SPILLMAP_NO_FORK=1``), interleaved."""
    from spillmap import datasets
    from spillmap.study import Study, run

    study = Study.from_toml(datasets.data_path("demo_report.toml"))
    run(study)
    times: dict[bool, list[float]] = {False: [], True: []}
    saved = os.environ.get("SPILLMAP_NO_FORK")
    try:
        for k in range(repeats):
            for serial in ((False, True) if k % 2 == 0 else (True, False)):
                os.environ["SPILLMAP_NO_FORK"] = "1" if serial else "0"
                t0 = time.perf_counter()
                run(study)
                times[serial].append(time.perf_counter() - t0)
    finally:
        if saved is None:
            os.environ.pop("SPILLMAP_NO_FORK", None)
        else:
            os.environ["SPILLMAP_NO_FORK"] = saved
    for serial, label in ((False, "side steps in a forked process"), (True, "one process")):
        t = times[serial]
        print(f"run(study), demo spec, {label}: {min(t):.2f} / {statistics.median(t):.2f} s (min / median of "
              f"{repeats})")


def _demo(tmp: Path, repeats: int) -> None:
    """``spillmap demo`` with its figures shared with a forked process (the default on Linux
    with two CPUs) and drawn in one process (``SPILLMAP_NO_FORK=1``), interleaved."""
    runs: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for k in range(repeats):
        for serial in ((False, True) if k % 2 == 0 else (True, False)):
            out = tmp / f"demo_{k}_{int(serial)}"
            runs[serial].append(_demo_once(out, serial))
            if k or serial:
                shutil.rmtree(out)
    for serial, label in ((False, "figures shared with a forked process"), (True, "one process (SPILLMAP_NO_FORK=1)")):
        wall = [w for w, _ in runs[serial]]
        cpu = [c for _, c in runs[serial]]
        print(f"spillmap demo, {label}: wall {min(wall):.1f} / {statistics.median(wall):.1f} s (min / median of "
              f"{repeats}), CPU {statistics.median(cpu):.1f} s")
    folder = tmp / "demo_0_0"
    for f in sorted((folder / "maps").glob("*.html")):
        print(f"  {f.name}: {f.stat().st_size / 1e6:.2f} MB")
    total = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"  whole folder: {total / 1e6:.1f} MB")


_PHASES = r'''
import collections, functools, importlib, sys, time
import matplotlib
matplotlib.use("Agg")
import matplotlib.figure
acc = collections.defaultdict(float)

def wrap(owner, name, label, key=None):
    f = getattr(owner, name)

    @functools.wraps(f)
    def g(*a, **k):
        t0 = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            acc[label if key is None else key(a, k)] += time.perf_counter() - t0
    setattr(owner, name, g)

wrap(matplotlib.figure.Figure, "savefig", None, key=lambda a, k: "figures: savefig " + k.get("format", "?"))
import matplotlib.backends.backend_pdf
wrap(matplotlib.backends.backend_pdf.PdfFile, "embedTTF", "figures: PDF font embedding (in savefig pdf)")
report = importlib.import_module("spillmap.maps.report")
wrap(report, "run", "study: run(study)")
for mod, name, label in (("spillmap.maps._report_sections", "table_sections", "tables (8 tables x 6 formats, docx, xlsx)"),
                         ("spillmap.maps._report_maps", "draw_maps", "HTML maps"),
                         ("spillmap.maps._report_scenarios", "scenarios_section", "scenarios (maps, tables, figure)"),
                         ("spillmap.maps._report_figures", "save_job", "figures: the 12 report figures, all in")):
    wrap(importlib.import_module(mod), name, label)
from spillmap.cli import main
t0 = time.perf_counter()
try:
    main(["demo", "--out", sys.argv[1], "--quiet"])
except SystemExit:
    pass
print(f"  whole run in one process, after the imports: {time.perf_counter() - t0:.2f} s")
for label, sec in acc.items():
    print(f"  {label}: {sec:.2f} s")
'''


def _phase_times(out: Path, *, lean: bool = True) -> dict[str, float]:
    """One run of :data:`_PHASES` in a child process: label -> seconds (``lean=False``: the PDFs' font
    subsets made the ordinary way, with the fonts' layout tables, as before stop 31)."""
    code = _PHASES if lean else (
        "import contextlib, spillmap.figures._save as _s; _s.lean_font_subsets = contextlib.nullcontext\n" + _PHASES)
    done = subprocess.run([sys.executable, "-c", code, str(out)], check=True, capture_output=True, text=True,
                          env={**os.environ, "SPILLMAP_NO_FORK": "1"})
    rows = (line.strip().rsplit(": ", 1) for line in done.stdout.splitlines() if line.startswith("  "))
    return {label: float(sec.rstrip(" s")) for label, sec in rows}


def _fonts_ab(pairs: int) -> None:
    """The demo in one process, interleaved with and without the lean font subsets (same code
    otherwise): the PDF, PNG and whole-run times of each pair."""
    tmp = Path(tempfile.mkdtemp())
    keys = ("figures: savefig pdf", "figures: savefig png", "whole run in one process, after the imports")
    try:
        for i in range(pairs):
            for lean in (False, True):
                t = _phase_times(tmp / f"d{i}{int(lean)}", lean=lean)
                print(f"pair {i + 1}, {'lean fonts' if lean else 'full fonts'}: "
                      + ", ".join(f"{k.split(': ')[-1]} {t[k]:.2f} s" for k in keys), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _phases(tmp: Path) -> None:
    """Where one ``spillmap demo`` spends its time, in one process (``SPILLMAP_NO_FORK=1``): the
    study, the tables, the HTML maps, the scenarios and the figures (``savefig`` by format;
    the scenario figures are saved inside the scenarios step)."""
    out = tmp / "demo_phases"
    print("spillmap demo in one process, by step (seconds, one run):")
    done = subprocess.run([sys.executable, "-c", _PHASES, str(out)], check=True, capture_output=True, text=True,
                          env={**os.environ, "SPILLMAP_NO_FORK": "1"})
    print("\n".join(line for line in done.stdout.splitlines() if line.startswith("  ")))


def _install(rev: str, tmp: Path) -> str:
    """spillmap at commit ``rev`` installed into ``tmp/base`` (``git archive`` + ``pip install --target``,
    no dependencies: those of this environment): the path to put first on PYTHONPATH."""
    root = Path(__file__).resolve().parents[1]
    src, target = tmp / "base_src", tmp / "base"
    src.mkdir()
    archive = subprocess.run(["git", "-C", str(root), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(src)],
                   check=True, capture_output=True)
    return str(target)


#: in a child process: the demo (one process) and the US Produc report with every call of the two
#: writers recorded (their tables and arguments, pickled to argv[2])
_CAPTURE = r'''
import os, pickle, sys
os.environ["SPILLMAP_NO_FORK"] = "1"
import spillmap.tables as T, spillmap.tables._docx as D, spillmap.tables._xlsx as X
calls = []
def record(kind, f):
    def g(*a, **k):
        calls.append((kind, a, k))
        return f(*a, **k)
    return g
T.to_docx_bytes = D.to_docx_bytes = record("docx", D.to_docx_bytes)
T.to_xlsx_bytes = X.to_xlsx_bytes = record("xlsx", X.to_xlsx_bytes)
from spillmap.cli import main
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for args in (["demo", "--out", out + "/demo", "--quiet"], ["report", sys.argv[3], "--out", out + "/us", "--quiet"]):
    try:
        main(args)
    except SystemExit:
        pass
pickle.dump(calls, open(sys.argv[2], "wb"))
'''

#: in a child process: every recorded call of the writers, once to warm up and then argv[2] times; the
#: fastest pass of each writer and a hash of every file written
_WRITE = r'''
import hashlib, pickle, sys, time
from spillmap.tables import to_docx_bytes, to_xlsx_bytes
calls = pickle.load(open(sys.argv[1], "rb"))
f = {"docx": to_docx_bytes, "xlsx": to_xlsx_bytes}
digest = [hashlib.sha256(f[kind](*a, **k)).hexdigest() for kind, a, k in calls]
for kind in ("docx", "xlsx"):
    best = float("inf")
    for _ in range(int(sys.argv[2])):
        t0 = time.perf_counter()
        for kd, a, k in calls:
            if kd == kind:
                f[kd](*a, **k)
        best = min(best, time.perf_counter() - t0)
    print(f"{kind} {best:.4f}")
print("hashes " + " ".join(digest))
'''

_US_SPEC_KEYS = ("US_INPUTS", "US_TWOWAY_MODEL", "W1_TABLES_ONLY")


def _us_spec(tmp: Path) -> Path:
    """The US Produc study of the tests (tests/_specs.py: two-way SDM, one contiguity W, every table, no
    maps or figures) written to a TOML file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_specs", Path(__file__).resolve().parents[1] / "tests/_specs.py")
    specs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(specs)
    path = tmp / "us.toml"
    path.write_text('unit_label = "state"\n' + "".join(getattr(specs, k) for k in _US_SPEC_KEYS))
    return path


def _writers_ab(pairs: int, rev: str, passes: int = 3) -> None:
    """The DOCX and XLSX writers of commit ``rev`` and of this tree on the same tables (the demo's 13
    documents and 13 workbooks and the US report's), in ``pairs`` interleaved pairs of processes, each
    the fastest of ``passes`` passes after a warm-up; every file's bytes compared."""
    tmp = Path(tempfile.mkdtemp())
    try:
        base = _install(rev, tmp)
        calls = tmp / "calls.pkl"
        subprocess.run([sys.executable, "-c", _CAPTURE, str(tmp / "out"), str(calls), str(_us_spec(tmp))],
                       check=True, stdout=subprocess.DEVNULL)
        import pickle

        kinds = [c[0] for c in pickle.loads(calls.read_bytes())]
        if not kinds:
            raise SystemExit("writers A/B: the demo and the US report wrote no DOCX or XLSX file")
        print(f"writers A/B: {kinds.count('docx')} DOCX and {kinds.count('xlsx')} XLSX calls (demo + US report), "
              f"{rev} against this tree, {pairs} interleaved pairs, fastest of {passes} passes each")
        times: dict[str, dict[str, list[float]]] = {"base": {"docx": [], "xlsx": []}, "this": {"docx": [], "xlsx": []}}
        hashes: dict[str, set[str]] = {"base": set(), "this": set()}
        for i in range(pairs):
            for who in (("base", "this") if i % 2 == 0 else ("this", "base")):
                env = {**os.environ, **({"PYTHONPATH": base} if who == "base" else {})}
                done = subprocess.run([sys.executable, "-c", _WRITE, str(calls), str(passes)], check=True,
                                      capture_output=True, text=True, env=env).stdout.splitlines()
                for line in done[:2]:
                    kind, sec = line.split()
                    times[who][kind].append(float(sec))
                hashes[who].add(done[2])
            print(f"pair {i + 1}: " + ", ".join(f"{k} {times['base'][k][-1]:.3f} -> {times['this'][k][-1]:.3f} s"
                                                for k in ("docx", "xlsx")), flush=True)
        for k in ("docx", "xlsx"):
            b, t = times["base"][k], times["this"][k]
            print(f"{k}: {rev} {min(b):.3f} / {statistics.median(b):.3f} s, this tree {min(t):.3f} / "
                  f"{statistics.median(t):.3f} s (min / median of {pairs}); {statistics.median(b) / statistics.median(t):.2f}x")
        same = len(hashes["base"]) == 1 and hashes["base"] == hashes["this"]
        print(f"files byte-identical to {rev}'s: {'yes' if same else 'NO'} ({len(kinds)} files, every pass)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


#: prefixed to :data:`_PHASES`: the PDFs' font subsets made in one stage (the lean subsets of stop 31,
#: as at 5c2a7d2), not cut from the cached first stage
_ONE_STAGE = "import spillmap._pdf_fonts as _f; _f._cached_subsets = lambda original: original\n"


def _pdf_ab(pairs: int) -> None:
    """The demo in one process with the PDFs' font subsets made in one stage and in two (the first
    cached), the same code otherwise, interleaved: the font embedding and savefig times, and every PDF
    of the two compared byte for byte (and their total size)."""
    tmp = Path(tempfile.mkdtemp())
    keys = ("figures: PDF font embedding (in savefig pdf)", "figures: savefig pdf",
            "whole run in one process, after the imports")
    env = {**os.environ, "SPILLMAP_NO_FORK": "1"}
    try:
        runs: dict[str, list[dict[str, float]]] = {"one": [], "two": []}
        for i in range(pairs):
            for who in (("one", "two") if i % 2 == 0 else ("two", "one")):
                code = (_ONE_STAGE if who == "one" else "") + _PHASES
                done = subprocess.run([sys.executable, "-c", code, str(tmp / f"{who}{i}")], check=True,
                                      capture_output=True, text=True, env=env)
                rows = (ln.strip().rsplit(": ", 1) for ln in done.stdout.splitlines() if ln.startswith("  "))
                runs[who].append({label: float(sec.rstrip(" s")) for label, sec in rows})
                print(f"pair {i + 1}, {who}-stage subsets: " + ", ".join(
                    f"{k.split(': ')[-1]} {runs[who][-1][k]:.2f} s" for k in keys), flush=True)
        for k in keys:
            a, b = [r[k] for r in runs["one"]], [r[k] for r in runs["two"]]
            print(f"{k.split(': ')[-1]}: one stage {min(a):.2f} / {statistics.median(a):.2f} s, two stages "
                  f"{min(b):.2f} / {statistics.median(b):.2f} s (min / median of {pairs})")
        pdfs = sorted(p.relative_to(tmp / "one0") for p in (tmp / "one0").rglob("*.pdf"))
        same = sum((tmp / "one0" / p).read_bytes() == (tmp / f"two{i}" / p).read_bytes()
                   for p in pdfs for i in range(pairs))
        size = [sum((tmp / w / p).stat().st_size for p in pdfs) for w in ("one0", "two0")]
        print(f"PDFs byte-identical to the one-stage ones: {same} of {len(pdfs) * pairs}; total {size[0]:,} bytes "
              f"(one stage) and {size[1]:,} bytes (two stages)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    main()
