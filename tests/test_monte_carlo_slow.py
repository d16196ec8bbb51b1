"""Reduced Monte Carlo of the two-way FE SDM on the China layer (benchmarks/monte_carlo.py).

Slow (about 1 minute): run with ``pytest -m slow``.  The full 250-replication run and
its figures are in ``benchmarks/README.md``.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _mc():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "monte_carlo.py"
    spec = importlib.util.spec_from_file_location("spillmap_bench_monte_carlo", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses need the module registered
    spec.loader.exec_module(mod)
    return mod


def test_sdm_twoways_lee_yu_bias_and_coverage():
    mc = _mc()
    reps = 40
    s = mc.run(reps, seed=1000, options=["transformation"], draws=300)
    r = s["results"]["transformation"]
    assert s["design"]["n"] == 297
    # sd(rho_hat) ~ 0.02 and sd(indirect_hat) ~ 0.06 here: the Monte Carlo error of a mean over 40
    # replications is ~0.003 / ~0.01, so these bounds (the benchmark's 0.02 target) can fail only by a real bias
    assert abs(r["rho_bias"]) < 0.02
    assert abs(r["indirect_bias"]) < 0.03
    # 95 % coverage over 40 replications: binomial sd 3.4 %, so [85 %, 100 %] is a 3-sd band
    assert r["rho_coverage"] >= 0.85
    assert r["indirect_coverage_delta"] >= 0.85
    assert r["indirect_coverage_sim"] >= 0.85
    # standard errors match the sampling variability (ratio 1 +- 25 % with 40 replications)
    assert 0.75 < r["rho_se_ratio"] < 1.3
    assert 0.75 < r["indirect_se_ratio"] < 1.3
