#!/usr/bin/env python3
"""Monte Carlo of the two-way fixed-effects SDM: bias and interval coverage.

Design (the seed study's setting)
    W: the 297 mainland municipalities + prefecture-level cities of
    ``spillmap.datasets.china_prefectures()`` (``level`` in {municipality,
    prefecture_city}), queen contiguity with the 5 islands linked to their nearest
    unit (``spillmap.spatial.builders.contiguity(..., islands="nearest")``),
    row-standardised.  T = 12.
DGP
    y_t = (I - rho W)^{-1} (X_t beta + W X_t theta + mu + alpha_t 1 + eps_t),
    rho = 0.26, beta = (0.5, -0.4), theta = (0.3, 0.2), sigma^2 = 1,
    mu_i = 0.5 * mean_t x1_it + N(0, 0.5) (correlated with X: fixed effects needed),
    alpha_t ~ N(0, 1), x_kit ~ N(0, 1) iid, eps ~ N(0, 1).  Fresh X, mu, alpha, eps
    per replication, seeded ``default_rng(seed + r)``.
Estimator
    ``SpatialPanel(..., model="sdm", fe="twoways").fit(lee_yu=...)`` for each
    Lee-Yu option; effects by ``compute_effects`` (delta method and simulation).
Reported (per option)
    mean bias and RMSE of rho and of the indirect (and direct) effect of x1; the
    mean estimated se over the Monte Carlo sd; coverage of the 95 % normal interval
    of rho and of the delta and simulation (percentile) intervals of the indirect effect.

Usage::

    python benchmarks/monte_carlo.py --reps 200 --seed 1 [--options none transformation bias-correction]
        [--workers N | --scheduler tcp://HOST:8786]

The replications run as Dask tasks through the screen's engine (a local cluster by
default); the results do not depend on the number of workers.

Writes a Markdown table to stdout (and ``--json OUT`` with the raw summary).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

RHO = 0.26
BETA = np.array([0.5, -0.4])
THETA = np.array([0.3, 0.2])
SIGMA = 1.0
T = 12
XNAMES = ["x1", "x2"]


def china_w():
    """Row-standardised queen W of the 297 mainland municipalities and prefecture-level cities."""
    from spillmap import datasets
    from spillmap.spatial.builders import contiguity

    lay = datasets.china_prefectures()
    lay = lay[lay["level"].isin(["municipality", "prefecture_city"])].reset_index(drop=True)
    return contiguity(lay, "adcode", kind="queen", islands="nearest", k=1, transform="R")


def true_effects(w, rho: float = RHO, beta: np.ndarray = BETA, theta: np.ndarray = THETA) -> pd.DataFrame:
    """Direct / indirect / total effects at the true parameters (dense, exact; N = 297)."""
    wd = w.toarray()
    n = wd.shape[0]
    a = np.linalg.inv(np.eye(n) - rho * wd)
    rows = {}
    for k, name in enumerate(XNAMES):
        s = a @ (beta[k] * np.eye(n) + theta[k] * wd)
        d, tot = np.trace(s) / n, s.sum() / n
        rows[name] = {"direct": d, "indirect": tot - d, "total": tot}
    return pd.DataFrame(rows).T


def simulate(w, rng: np.random.Generator, t: int = T) -> pd.DataFrame:
    """One panel from the SDM two-way DGP, stacked time-major (id-minor)."""
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla

    n = w.n
    x = rng.standard_normal((t, n, 2))
    mu = 0.5 * x[:, :, 0].mean(axis=0) + rng.normal(0, np.sqrt(0.5), n)
    alpha = rng.standard_normal(t)
    eps = rng.normal(0, SIGMA, (t, n))
    lu = spla.splu(sp.csc_matrix(sp.identity(n) - RHO * w.sparse))
    ys = []
    for s in range(t):
        rhs = x[s] @ BETA + w.sparse @ (x[s] @ THETA) + mu + alpha[s] + eps[s]
        ys.append(lu.solve(rhs))
    ids = np.tile(np.asarray(w.ids), t)
    times = np.repeat(np.arange(2008, 2008 + t), n)
    return pd.DataFrame({"id": ids, "year": times, "y": np.concatenate(ys), "x1": x[:, :, 0].ravel(), "x2": x[:, :, 1].ravel()})


@dataclass
class Draw:
    rho: float
    rho_se: float
    ind: float
    ind_se_delta: float
    ind_lo_sim: float
    ind_hi_sim: float
    ind_se_sim: float
    direct: float
    direct_se: float


def one_fit(panel: pd.DataFrame, w, lee_yu: str, *, draws: int, seed: int) -> Draw:
    from spillmap.estimation.effects import compute_effects
    from spillmap.estimation.model import SpatialPanel

    res = SpatialPanel(panel, y="y", x=XNAMES, id="id", time="year", w=w, model="sdm", fe="twoways").fit(lee_yu=lee_yu)
    delta = compute_effects(res, draws=0)
    sim = compute_effects(res, draws=draws, seed=seed) if draws else delta
    return Draw(
        rho=float(res.params["rho"]),
        rho_se=float(res.std_errors["rho"]),
        ind=float(delta.indirect.loc["x1", "estimate"]),
        ind_se_delta=float(delta.indirect.loc["x1", "se"]),
        ind_lo_sim=float(sim.indirect.loc["x1", "ci_lower"]),
        ind_hi_sim=float(sim.indirect.loc["x1", "ci_upper"]),
        ind_se_sim=float(sim.indirect.loc["x1", "se"]),
        direct=float(delta.direct.loc["x1", "estimate"]),
        direct_se=float(delta.direct.loc["x1", "se"]),
    )


def summarise(draws: list[Draw], truth: pd.DataFrame) -> dict:
    d = pd.DataFrame([x.__dict__ for x in draws])
    z = 1.959963984540054
    ind0, dir0 = truth.loc["x1", "indirect"], truth.loc["x1", "direct"]
    return {
        "reps": len(d),
        "rho_bias": float(d.rho.mean() - RHO),
        "rho_rmse": float(np.sqrt(((d.rho - RHO) ** 2).mean())),
        "rho_se_ratio": float(d.rho_se.mean() / d.rho.std(ddof=1)),
        "rho_coverage": float(((d.rho - z * d.rho_se <= RHO) & (RHO <= d.rho + z * d.rho_se)).mean()),
        "indirect_true": float(ind0),
        "indirect_bias": float(d.ind.mean() - ind0),
        "indirect_rmse": float(np.sqrt(((d.ind - ind0) ** 2).mean())),
        "indirect_se_ratio": float(d.ind_se_delta.mean() / d.ind.std(ddof=1)),
        "indirect_coverage_delta": float(((d.ind - z * d.ind_se_delta <= ind0) & (ind0 <= d.ind + z * d.ind_se_delta)).mean()),
        "indirect_coverage_sim": float(((d.ind_lo_sim <= ind0) & (ind0 <= d.ind_hi_sim)).mean()),
        "direct_bias": float(d.direct.mean() - dir0),
        "direct_coverage_delta": float(((d.direct - z * d.direct_se <= dir0) & (dir0 <= d.direct + z * d.direct_se)).mean()),
    }


def _replications(w, seed: int, options: list[str], draws: int, reps: list[int]) -> dict[str, list[dict]]:
    """One Dask task: replications ``reps`` (each seeded ``seed + r``: never the worker's)."""
    out: dict[str, list[dict]] = {o: [] for o in options}
    for r in reps:
        panel = simulate(w, np.random.default_rng(seed + r))
        for o in options:
            out[o].append(one_fit(panel, w, o, draws=draws, seed=seed + r).__dict__)
    return out


def run(
    reps: int, seed: int, options: list[str], draws: int = 500, w=None, progress: bool = False,
    *, client=None, scheduler: str | None = None, workers: int | None = None, chunk: int = 5,
) -> dict:
    """Run ``reps`` replications; the same simulated panels for every Lee-Yu option.

    The replications run as Dask tasks of ``chunk`` replications through the
    screen's engine (:mod:`spillmap.screen._engine`): a local cluster by default
    (``workers``), ``scheduler=`` / ``$SPILLMAP_SCHEDULER`` for an existing one, W
    scattered once.  Results do not depend on the workers (replication r is seeded
    ``seed + r``).
    """
    from spillmap.screen._engine import by_value, dask_client, submit_all

    w = china_w() if w is None else w
    truth = true_effects(w)
    chunks = [list(range(a, min(reps, a + chunk))) for a in range(0, reps, chunk)]
    t0 = time.perf_counter()
    with dask_client(client=client, scheduler=scheduler, workers=workers) as c:
        # by value: the workers need not import this script
        parts = submit_all(c, by_value(_replications), (w, seed, options, draws), chunks, progress=progress)
    bad = [p for p in parts if isinstance(p, BaseException)]
    if bad:
        raise bad[0]
    out = {o: [Draw(**d) for part in parts for d in part[o]] for o in options}
    return {
        "design": {"n": w.n, "t": T, "rho": RHO, "beta": BETA.tolist(), "theta": THETA.tolist(), "sigma2": SIGMA**2,
                   "reps": reps, "seed": seed, "draws": draws, "seconds": time.perf_counter() - t0},
        "results": {o: summarise(v, truth) for o, v in out.items()},
    }


def markdown(summary: dict) -> str:
    d = summary["design"]
    lines = [
        f"N = {d['n']}, T = {d['t']}, {d['reps']} replications (seed {d['seed']}), rho = {d['rho']}, "
        f"simulation draws {d['draws']}; {d['seconds']:.0f} s in all.",
        "",
        "| lee_yu | bias rho | RMSE rho | se/sd rho | cover rho | bias indirect | RMSE ind. | se/sd ind. | cover ind. (delta) | cover ind. (sim.) | bias direct | cover direct |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for o, r in summary["results"].items():
        lines.append(
            f"| {o} | {r['rho_bias']:+.4f} | {r['rho_rmse']:.4f} | {r['rho_se_ratio']:.3f} | {r['rho_coverage']:.1%} | "
            f"{r['indirect_bias']:+.4f} | {r['indirect_rmse']:.4f} | {r['indirect_se_ratio']:.3f} | "
            f"{r['indirect_coverage_delta']:.1%} | {r['indirect_coverage_sim']:.1%} | {r['direct_bias']:+.4f} | {r['direct_coverage_delta']:.1%} |"
        )
    return "\n".join(lines)


def effects_timing() -> str:
    """Time ``effects_from_estimates`` (1,000 draws and delta) and ``unit_effects`` for a
    297-unit (exact traces) and a 10,000-unit (stochastic traces) row-standardised W."""
    from types import SimpleNamespace

    from libpysal.weights import lat2W

    from spillmap.estimation.effects import effects_from_estimates, unit_effects
    from spillmap.spatial.weights import SpatialWeights

    names = ["x1", "x2", "W_x1", "W_x2", "rho"]
    params = pd.Series([0.5, -0.4, 0.3, 0.2, 0.26], index=names)
    cov = pd.DataFrame(np.diag([1e-3, 1e-3, 4e-3, 4e-3, 5e-4]), index=names, columns=names)
    rows = ["| W | N | traces | effects, delta | effects, 1,000 draws | unit_effects |", "|---|---|---|---|---|---|"]
    for label, w in (("China queen", china_w()), ("100 x 100 rook lattice", SpatialWeights.from_libpysal(lat2W(100, 100)).row_standardize())):
        _ = w.eigenvalues if w.n <= 3000 else None  # cached on W (part of fitting anyway)
        t0 = time.perf_counter()
        effects_from_estimates(params, cov, w, "sdm", draws=0)
        t1 = time.perf_counter()
        res = effects_from_estimates(params, cov, w, "sdm", draws=1000)
        t2 = time.perf_counter()
        unit_effects(SimpleNamespace(model="sdm", params=params, cov=cov, w=w), "x1")
        t3 = time.perf_counter()
        rows.append(f"| {label} | {w.n} | {res.traces} | {t1 - t0:.3f} s | {t2 - t1:.3f} s | {t3 - t2:.3f} s |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--draws", type=int, default=500, help="simulation draws for the effects intervals")
    ap.add_argument("--options", nargs="+", default=["none", "transformation", "bias-correction"])
    ap.add_argument("--json", default=None)
    ap.add_argument("--timing", action="store_true", help="only time the effects computations")
    ap.add_argument("--workers", type=int, help="local Dask cluster size (default: the machine's cores)")
    ap.add_argument("--scheduler", help="run on this Dask scheduler, tcp://HOST:8786 (also $SPILLMAP_SCHEDULER)")
    a = ap.parse_args(argv)
    if a.timing:
        print(effects_timing())
        return 0
    summary = run(a.reps, a.seed, a.options, draws=a.draws, progress=True, scheduler=a.scheduler, workers=a.workers)
    print(markdown(summary))
    if a.json:
        from spillmap._fileio import atomic_write_text

        atomic_write_text(a.json, json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
