"""Case builders and timed workers for ``bench_speed.py`` (run as a child process).

Each worker prints one JSON line.  Data: queen or rook lattices (row-standardised),
T = 10, simulated from the model with rho = lambda = 0.4; individual effects (spreg's
panel classes have no others) for the spreg comparisons, two-way effects for the
large cases.
"""
from __future__ import annotations

import json
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp


def lattice(side: int, *, queen: bool = True) -> sp.csr_matrix:
    """Binary contiguity of a side x side lattice (queen: 8 neighbours inside)."""
    idx = np.arange(side * side).reshape(side, side)
    pairs = [(idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])]
    if queen:
        pairs += [(idx[:-1, :-1], idx[1:, 1:]), (idx[:-1, 1:], idx[1:, :-1])]
    a = np.concatenate([p[0].ravel() for p in pairs])
    b = np.concatenate([p[1].ravel() for p in pairs])
    n = side * side
    return sp.coo_matrix((np.ones(2 * a.size), (np.r_[a, b], np.r_[b, a])), shape=(n, n)).tocsr()


def weights(side: int, *, queen: bool = True):
    from spillmap.spatial.weights import SpatialWeights

    m = lattice(side, queen=queen)
    return SpatialWeights.from_sparse(m, [str(i) for i in range(m.shape[0])], name="lattice").row_standardize()


def simulate(w, t: int, model: str, effects: str, seed: int = 42) -> pd.DataFrame:
    """A long panel simulated from SAR/SDM/SEM with unit (and for two-way, period) effects."""
    from scipy.sparse.linalg import splu

    n = w.n
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n * t, 3))
    mu = x @ np.array([1.0, -0.5, 0.3]) + np.tile(rng.normal(size=n), t)
    if model == "sdm":
        mu += w.lag_panel(x, t) @ np.array([0.2, 0.1, -0.1])
    if effects == "twoways":
        mu += np.repeat(rng.normal(size=t), n)
    e = rng.normal(size=n * t)
    lu = splu((sp.identity(n, format="csc") - 0.4 * w.sparse.tocsc()).tocsc(), permc_spec="MMD_AT_PLUS_A")

    def solve(v: np.ndarray) -> np.ndarray:
        return lu.solve(np.ascontiguousarray(v.reshape(t, n).T)).T.reshape(-1)

    y = mu + solve(e) if model == "sem" else solve(mu + e)
    return pd.DataFrame({"id": np.tile(np.array(w.ids), t), "time": np.repeat(np.arange(t), n), "y": y,
                         "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]})


def _vm_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


# ------------------------------------------------------------------ spreg vs spillmap
def _spillmap_once(w0, df, model: str) -> dict:
    from spillmap.estimation import SpatialPanel
    from spillmap.estimation._lu import LU_STATS
    from spillmap.spatial.weights import SpatialWeights

    w = SpatialWeights.from_sparse(w0.sparse.copy(), list(w0.ids), name="fresh")  # nothing cached
    lu0 = LU_STATS.count
    t0 = time.perf_counter()
    spec = SpatialPanel(df, y="y", x=["x1", "x2", "x3"], id="id", time="time", w=w, model=model, fe="individual")
    t1 = time.perf_counter()
    res = spec.fit(lee_yu="none")
    t2 = time.perf_counter()
    if model != "sem":
        res.impacts(method="delta")
    t3 = time.perf_counter()
    if model != "sem":
        res.impacts(draws=1000, seed=0)
    t4 = time.perf_counter()
    return {"spec": t1 - t0, "fit": t2 - t1, "effects_delta": t3 - t2, "effects_sim": t4 - t3,
            "fit_effects": t3 - t1, "lu": LU_STATS.count - lu0, "lu_fit": res.extra.get("lu_factorizations"),
            "method": res.extra.get("logdet_method"), "params": res.params.tolist(), "se": res.std_errors.tolist()}


def _spreg_once(w0, df, model: str) -> dict:
    import spreg

    y = df[["y"]].to_numpy()
    x = df[["x1", "x2", "x3"]].to_numpy()
    lw = w0.to_libpysal()
    lw.transform = "r"
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if model == "sem":
                r = spreg.ML_ErrorFE(y, x, lw)
            else:
                r = spreg.ML_LagFE(y, x, lw, slx_lags=1 if model == "sdm" else 0)
    except MemoryError:
        return {"error": "MemoryError"}
    return {"fit": time.perf_counter() - t0, "params": np.asarray(r.betas).ravel().tolist(),
            "se": np.sqrt(np.diag(r.vm)).tolist()}


def worker_fit(side: int, model: str, repeats: int, spreg_mem_gb: float) -> None:
    """Interleaved spillmap / spreg pairs on one queen lattice (one warm-up pair first)."""
    import contextlib
    import io

    w0 = weights(side)
    df = simulate(w0, 10, model, "individual")
    rows = []
    limit = _vm_bytes() + int(spreg_mem_gb * 2**30)  # spreg may add this much address space
    import spreg  # noqa: F401  (imported before the timed calls)

    failed = None
    for rep in range(repeats + 1):
        a = _spillmap_once(w0, df, model)
        if rep == 0 and side > 50:
            continue  # the warm-up is spillmap's alone when spreg's fit takes minutes
        if failed is None:
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # spreg prints its class name
                    b = _spreg_once(w0, df, model)
            finally:
                resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
            if "error" in b:  # e.g. a dense N x N allocation beyond the limit: spillmap alone from now on
                failed = b
        else:
            b = failed
        if rep:  # the first pair warms up imports and caches
            rows.append({"spillmap": a, "spreg": b})
    print(json.dumps({"n": w0.n, "model": model, "rows": rows, "peak_gb": peak_gb()}))


# ------------------------------------------------------------------ large two-way SDM
def worker_big(side: int, t: int, kind: str) -> None:
    """Two-way SDM (Lee-Yu transformation) on a side x side lattice: spec, fit, effects,
    LU count and the time of one LU at the estimate."""
    from spillmap.estimation import SpatialPanel
    from spillmap.estimation._lu import LU_STATS, identity_minus, splu

    w = weights(side, queen=kind == "queen")
    df = simulate(w, t, "sdm", "twoways")
    t0 = time.perf_counter()
    spec = SpatialPanel(df, y="y", x=["x1", "x2", "x3"], id="id", time="time", w=w, model="sdm", fe="twoways")
    del df
    t1 = time.perf_counter()
    lu0 = LU_STATS.count
    res = spec.fit()
    t2 = time.perf_counter()
    res.impacts(method="delta")
    t3 = time.perf_counter()
    res.impacts(draws=1000, seed=0)
    t4 = time.perf_counter()
    lus = []
    for _ in range(2):
        s = time.perf_counter()
        splu(identity_minus(res.rho, w.sparse.tocsc()))
        lus.append(time.perf_counter() - s)
    print(json.dumps({
        "n": w.n, "t": t, "lattice": kind, "spec": t1 - t0, "fit": t2 - t1, "effects_delta": t3 - t2,
        "effects_sim": t4 - t3, "lu_fit": res.extra["lu_factorizations"], "lu_all": LU_STATS.count - lu0 - 2,
        "lu_seconds": min(lus), "rho": res.rho, "peak_gb": peak_gb(),
    }))


def worker_lu(side: int, model: str, effects: str) -> None:
    """Fit time in units of one sparse LU of I - rho W at the estimate, and the LU count."""
    from spillmap.estimation import SpatialPanel
    from spillmap.estimation._lu import identity_minus, splu

    w = weights(side)
    df = simulate(w, 10, model, effects)
    spec = SpatialPanel(df, y="y", x=["x1", "x2", "x3"], id="id", time="time", w=w, model=model, fe=effects)
    spec.fit()  # warm-up: imports; the next fit gets fresh weights
    from spillmap.spatial.weights import SpatialWeights

    rows = []
    for _ in range(3):
        w2 = SpatialWeights.from_sparse(w.sparse.copy(), list(w.ids), name="fresh")
        spec = SpatialPanel(df, y="y", x=["x1", "x2", "x3"], id="id", time="time", w=w2, model=model, fe=effects)
        s = time.perf_counter()
        res = spec.fit()
        fit = time.perf_counter() - s
        par = res.params["rho" if model != "sem" else "lambda"]
        s = time.perf_counter()
        splu(identity_minus(par, w2.sparse.tocsc()))
        rows.append({"fit": fit, "lu_seconds": time.perf_counter() - s, "lu": res.extra["lu_factorizations"]})
    print(json.dumps({"n": w.n, "model": model, "effects": effects, "rows": rows}))


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "fit":
        worker_fit(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif kind == "big":
        worker_big(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif kind == "lu":
        worker_lu(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(f"unknown worker {kind!r}")
