#!/usr/bin/env python3
"""Generate the SYNTHETIC China city demonstration panel ``china_demo_panel.csv``.

The panel mimics the layout and the scales of the reference study of industrial
intelligence and industrial green TFP (271 prefecture-level cities, 2008-2019;
variables as in its Table 2), but **every number is simulated**: the real data are
not public.  It is generated from a stated spatial Durbin model with city and year
fixed effects on the *real* contiguity of China's mainland municipalities and
prefecture-level cities, with known parameters and a fixed seed, so that spillmap's
estimators can be seen to recover them.

Units
    The 297 units of ``china_prefectures.gpkg`` whose ``level`` is ``municipality``
    (4) or ``prefecture_city`` (293): the municipalities and prefecture-level cities
    of the mainland (Hainan included; Hong Kong, Macao, Taiwan, autonomous
    prefectures, leagues, 地区 and county-level units excluded).  Rows are ordered
    (year, adcode).
Weights W (the study's W1)
    Queen contiguity (libpysal 4.14 ``Queen.from_dataframe``) on the analysis layer.
    Five units have no contiguous neighbour (海口, 三亚, 三沙, 儋州, 克拉玛依); each is
    linked, symmetrically, to its nearest unit by great-circle distance between
    centroids (centroids computed in the China Albers equal-area projection, haversine
    with R = 6371.0088 km).  This is spillmap's ``islands="nearest", k=1`` policy.
    Then row-standardised.
Model (t = 2008, ..., 2019; i = 1, ..., N)
    y_t = rho W y_t + X_t beta + W X_t theta + mu + alpha_t 1 + eps_t,
    eps_it ~ N(0, sigma^2) iid,  so  y_t = (I - rho W)^{-1} (X_t beta + W X_t theta + mu + alpha_t 1 + eps_t).
    The city effects ``mu`` are correlated with the city means of ``int`` (so a
    Hausman test should prefer fixed effects, as in the study).  ``beta_int`` and
    ``theta_int`` are solved so that, with rho = 0.26, the average direct effect of
    ``int`` is 0.37 and the indirect effect 0.50 (LeSage-Pace, exact traces from the
    eigenvalues of W) -- the magnitudes of the study's Table 9, W1 column.
Regressors
    Simulated with the study's means/sds (Table 2) as targets, spatially and
    serially correlated, growing over time where the real series do (int, pgdp);
    not winsorised (winsorising would break the stated model).

Run ``python make_demo_panel.py`` (writes ``china_demo_panel.csv`` and
``china_demo_panel_params.json`` next to itself).  Needs numpy, pandas, geopandas,
libpysal; deterministic for a given seed and library versions.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
SEED = 20081219
YEARS = list(range(2008, 2020))
LEVELS = ("municipality", "prefecture_city")
CHINA_ALBERS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
EARTH_RADIUS_KM = 6371.0088

RHO = 0.26
TARGET_DIRECT_INT = 0.37
TARGET_INDIRECT_INT = 0.50
SIGMA = 0.03  # sd of the idiosyncratic error
# controls: (beta, theta); int's pair is solved from the target effects
CONTROLS = {
    "ins": (-0.60, 0.25),
    "pgdp": (0.08, -0.03),
    "fdi": (1.50, 1.00),
    "trans": (0.40, 0.20),
    "inp": (0.05, -0.02),
}
NOTICE = (
    "SYNTHETIC DEMONSTRATION DATA: simulated from a spatial Durbin model with known "
    "parameters on the real contiguity of Chinese cities; not real observations."
)


def units(layer_path: Path) -> gpd.GeoDataFrame:
    g = gpd.read_file(layer_path, layer="prefectures")
    g["adcode"] = g["adcode"].astype(str)
    g = g[g["level"].isin(LEVELS)].sort_values("adcode").reset_index(drop=True)
    assert len(g) == 297, len(g)
    return g


def haversine_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon, lat = np.radians(lon), np.radians(lat)
    dlon = lon[:, None] - lon[None, :]
    dlat = lat[:, None] - lat[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def contiguity_nearest(g: gpd.GeoDataFrame) -> tuple[sp.csr_matrix, list[str]]:
    """Queen contiguity with islands linked symmetrically to their nearest unit; row-standardised."""
    ids = list(g["adcode"])
    q = libpysal.weights.Queen.from_dataframe(g, ids="adcode", use_index=False, silence_warnings=True)
    b = q.sparse.tocsr().astype(float)
    order = [q.id_order.index(i) for i in ids]
    b = b[order][:, order].tolil()
    cent = g.to_crs(CHINA_ALBERS).geometry.centroid.to_crs("EPSG:4326")
    d = haversine_km(cent.x.to_numpy(), cent.y.to_numpy())
    np.fill_diagonal(d, np.inf)
    card = np.asarray(b.sum(axis=1)).ravel()
    for i in np.flatnonzero(card == 0):
        j = int(np.argmin(d[i]))
        b[i, j] = b[j, i] = 1.0
    b = b.tocsr()
    w = sp.diags(1.0 / np.asarray(b.sum(axis=1)).ravel()) @ b
    return w.tocsr(), ids


def solve_int_coefficients(w: sp.csr_matrix) -> tuple[float, float]:
    """beta, theta of int giving the target average direct and indirect effects at RHO."""
    lam = np.linalg.eigvals(w.toarray())
    n = w.shape[0]
    a = np.real(np.sum(1.0 / (1.0 - RHO * lam))) / n  # tr((I - rho W)^-1) / N
    b = np.real(np.sum(lam / (1.0 - RHO * lam))) / n  # tr(W (I - rho W)^-1) / N
    total = TARGET_DIRECT_INT + TARGET_INDIRECT_INT
    # direct = beta a + theta b ; total = (beta + theta) / (1 - rho)   (row-standardised W)
    m = np.array([[a, b], [1.0, 1.0]])
    beta, theta = np.linalg.solve(m, [TARGET_DIRECT_INT, total * (1.0 - RHO)])
    return float(beta), float(theta)


def spatial_field(w: sp.csr_matrix, rng: np.random.Generator, strength: float = 0.6) -> np.ndarray:
    """A standardised, spatially smooth random field: (I - s W)^-1 z."""
    n = w.shape[0]
    z = sp.linalg.spsolve((sp.identity(n) - strength * w).tocsc(), rng.standard_normal(n))
    return (z - z.mean()) / z.std()


def simulate(g: gpd.GeoDataFrame, w: sp.csr_matrix, seed: int = SEED) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    n, t = w.shape[0], len(YEARS)
    tt = np.arange(t)

    def panel(level: np.ndarray, trend: np.ndarray, noise: float) -> np.ndarray:
        # (T, N): city level + common trend + AR(1) shocks
        e = np.empty((t, n))
        e[0] = rng.standard_normal(n)
        for s in range(1, t):
            e[s] = 0.6 * e[s - 1] + np.sqrt(1 - 0.36) * rng.standard_normal(n)
        return level[None, :] + trend[:, None] + noise * e

    f_int, f_dev, f_ind = (spatial_field(w, rng) for _ in range(3))
    # int: lognormal, spatially clustered, rising over time (Table 2: mean .039, sd .033)
    x_int = np.exp(panel(-3.85 + 0.70 * f_int, 0.06 * tt, 0.20))
    # pgdp: real GDP per capita, 10,000 yuan, growing ~7 % a year (mean 2.9, sd 2.1)
    x_pgdp = np.exp(panel(0.55 + 0.50 * f_dev + 0.25 * f_int, 0.065 * tt, 0.05))
    # ins: secondary-industry share (mean .476, sd .109), slowly falling
    x_ins = np.clip(panel(0.50 + 0.10 * f_ind, -0.004 * tt, 0.035), 0.05, 0.85)
    # fdi / GDP (mean .018, sd .017)
    x_fdi = np.exp(panel(-4.45 + 0.65 * f_dev, -0.02 * tt, 0.45))
    # trans: road area per capita, scaled (mean .526, sd .157)
    x_trans = np.clip(panel(0.48 + 0.14 * f_dev, 0.008 * tt, 0.05), 0.21, 0.94)
    # inp: industrial employment / industrial land (mean 1.1, sd 1.35)
    x_inp = np.exp(panel(-0.45 + 0.85 * f_ind, -0.01 * tt, 0.20))
    xs = {"int": x_int, "ins": x_ins, "pgdp": x_pgdp, "fdi": x_fdi, "trans": x_trans, "inp": x_inp}

    beta_int, theta_int = solve_int_coefficients(w)
    coef = {"int": (beta_int, theta_int), **CONTROLS}
    # city effects correlated with the city mean of int (FE, not RE, is consistent)
    mu = 0.40 + 0.5 * np.exp(0.9 * f_dev) + 4.0 * (x_int.mean(axis=0) - x_int.mean()) + 0.25 * rng.standard_normal(n)
    alpha = np.linspace(0.0, 0.6, t) + 0.05 * rng.standard_normal(t)  # year effects
    a = (sp.identity(n) - RHO * w).tocsc()
    y = np.empty((t, n))
    for s in range(t):
        rhs = mu + alpha[s] + SIGMA * rng.standard_normal(n)
        for name, (b, th) in coef.items():
            rhs = rhs + b * xs[name][s] + th * (w @ xs[name][s])
        y[s] = sp.linalg.spsolve(a, rhs)

    rows = []
    names = dict(zip(g["adcode"], g["name"]))
    ids = list(g["adcode"])
    for s, year in enumerate(YEARS):
        for i, code in enumerate(ids):
            rows.append(
                {"adcode": code, "name": names[code], "year": year, "gtfp": y[s, i],
                 **{k: v[s, i] for k, v in xs.items()}}
            )
    df = pd.DataFrame(rows)
    for c in ["gtfp", *xs]:
        df[c] = df[c].round(6)
    params = {
        "notice": NOTICE,
        "seed": seed,
        "n": n,
        "t": t,
        "years": YEARS,
        "model": "SDM, city and year fixed effects, row-standardised queen W with nearest-unit island links",
        "rho": RHO,
        "sigma": SIGMA,
        "beta": {k: v[0] for k, v in coef.items()},
        "theta": {f"W_{k}": v[1] for k, v in coef.items()},
        "target_effects_int": {"direct": TARGET_DIRECT_INT, "indirect": TARGET_INDIRECT_INT,
                               "total": TARGET_DIRECT_INT + TARGET_INDIRECT_INT},
        "islands_linked": {},
    }
    return df, params


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layer", type=Path, default=HERE / "china_prefectures.gpkg")
    ap.add_argument("--out-dir", type=Path, default=HERE)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    g = units(args.layer)
    w, ids = contiguity_nearest(g)
    df, params = simulate(g, w, args.seed)
    # record the island links so users can see exactly which W generated the data
    q = libpysal.weights.Queen.from_dataframe(g, ids="adcode", use_index=False, silence_warnings=True)
    for isl in q.islands:
        i = ids.index(isl)
        params["islands_linked"][isl] = [ids[j] for j in w[i].indices]
    out = args.out_dir
    df.to_csv(out / "china_demo_panel.csv", index=False)
    (out / "china_demo_panel_params.json").write_text(json.dumps(params, indent=2, ensure_ascii=False) + "\n")
    desc = df[["gtfp", "int", "ins", "pgdp", "fdi", "trans", "inp"]].describe().T[["mean", "std", "min", "max"]]
    print(f"wrote {out / 'china_demo_panel.csv'} ({len(df)} rows) -- {NOTICE}")
    print(desc.round(3).to_string())
    print(json.dumps({k: params[k] for k in ("beta", "theta", "islands_linked")}, ensure_ascii=False))


if __name__ == "__main__":
    main()
