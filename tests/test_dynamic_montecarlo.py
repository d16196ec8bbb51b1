"""Monte Carlo of the dynamic two-way SDM on the 297-city contiguity, T = 12 (benchmarks/monte_carlo_dynamic.py).

Slow (about 2 minutes): run with ``pytest -m slow``.  1,000 replications, seed 1; the table is
in ``benchmarks/README.md``.  Reference values: the DGP's parameters and its long-run effects
(dense, exact).  Bounds: the Monte-Carlo error of a mean bias over 1,000 replications is
sd/31.6 (tau: 0.0005, long-run total: 0.005); of a coverage rate 0.7 %, so [93 %, 97 %] is
about +-3 of its standard errors around 95 %.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _mc():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "monte_carlo_dynamic.py"
    spec = importlib.util.spec_from_file_location("spillmap_bench_monte_carlo_dynamic", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_dynamic_sdm_bias_and_coverage():
    s = _mc().run(1000, seed=1, options=["none", "transformation", "bias-correction"])
    assert s["design"]["n"] == 297 and s["design"]["t"] == 12
    none, tr, bc = (s["results"][o] for o in ("none", "transformation", "bias-correction"))
    assert none["failed"] == tr["failed"] == bc["failed"] == 0
    # without the correction the Nickell bias of tau (about -(1 + tau)/T) and of the long-run effects shows
    assert none["tau"]["bias"] < -0.05 and none["total"]["bias"] < -0.1
    # with it, tau, eta, rho, beta are unbiased to Monte-Carlo error (and the literal YdJL direct
    # correction leaves its O(1/T^2) remainder in tau, about -0.01 here)
    for k in ("tau", "eta", "rho", "x1"):
        assert abs(tr[k]["bias"]) < 0.005, (k, tr[k])
    assert abs(bc["tau"]["bias"]) < 0.02
    for k in ("direct", "indirect", "total"):
        assert abs(tr[k]["bias"]) < 0.02, (k, tr[k])
    for k in ("tau", "eta", "rho", "x1", "direct", "indirect", "total"):
        assert 0.93 <= tr[k]["coverage"] <= 0.97, (k, tr[k])
        assert 0.9 <= tr[k]["se_ratio"] <= 1.1, (k, tr[k])
