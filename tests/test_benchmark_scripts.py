"""The benchmark scripts still run (smallest sizes, one repeat): a smoke test, not a timing.

The figures of ``benchmarks/README.md`` must be reproducible by these scripts; a script that
no longer runs cannot reproduce anything.  ``bench_weights.py`` had stopped at its second GAL
write for days (``write_weights`` learnt to refuse overwriting a file) before anyone re-ran it.
Slow (about 2 minutes in all): ``pytest -m slow tests/test_benchmark_scripts.py``.  Nothing
here is timed; each script only has to finish with exit status 0 and print its table.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

#: (script and its smallest arguments, a text its output must contain)
RUNS = [
    ("bench_geo.py", "join_panel"),
    ("bench_scenario.py", "click map"),
    ("bench_spatial.py --sizes 2850", "moran_pooled"),
    ("bench_random_effects.py --sizes 285", '"model": "sem"'),
    ("bench_weights.py", "read csv"),
    ("bench_dynamic.py --side 20 --repeats 1", "dynamic SDM"),
    ("bench_speed.py fit lu big cli --sizes 10 --repeats 1 --lu-sides 30 --big-sides 30 --cli-side 10 "
     "--cli-repeats 1", "spreg script / spillmap CLI"),
    ("bench_screen.py --cases screen --indicators 10 --workers 1 --repeats 1", "indicators"),
    ("bench_maps.py --repeats 1", "the 12 report figures"),
    ("monte_carlo.py --reps 4 --seed 1", "transformation"),
    ("monte_carlo_dynamic.py --reps 4 --seed 1", "long-run total"),
]


@pytest.mark.slow
@pytest.mark.parametrize("command, expected", RUNS, ids=[r[0].split()[0] for r in RUNS])
def test_benchmark_script_runs(command, expected, tmp_path):
    script, *args = command.split()
    done = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stderr[-3000:]}"
    assert expected in done.stdout, f"{command} did not print {expected!r}:\n{done.stdout[-3000:]}"
