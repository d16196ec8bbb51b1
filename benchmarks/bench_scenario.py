"""Benchmark of policy scenarios (run: python benchmarks/bench_scenario.py).

Figures: a 297-city scenario (int +0.02 in Hubei, and in every city) with 1,000 parameter draws
on the demo's SDM with W1 (queen, sparse) and W2 (economic-geographic, dense) — target < 1 s;
the delta method; the click-to-explore data (all N^2 columns of S_k) and the bytes it adds to the
HTML — target < 1 MB for 297 cities.  Not a test: numbers go to benchmarks/README.md.
"""
from __future__ import annotations

import re
import time
import warnings


def best_of(n, fn):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    from spillmap import datasets
    from spillmap.estimation import SpatialPanel, response_columns, scenario
    from spillmap.maps._offline import render_html
    from spillmap.maps.scenario import explore_map
    from spillmap.study import Study
    from spillmap.study._steps_scenarios import unit_table
    from spillmap.study.inputs import load_inputs
    from spillmap.study.weights import WeightsInputs, build_weights

    study = Study.from_toml(datasets.data_path("demo_report.toml"))
    inputs = load_inputs(study)
    attrs = unit_table(inputs)
    winp = WeightsInputs(inputs.layer, inputs.panel, inputs.id, inputs.time, "name", study.resolve)
    layer = inputs.layer
    for spec in study.weights:
        w = build_weights(spec, winp).align(list(inputs.ids))
        fit = SpatialPanel(inputs.panel, y="gtfp", x=list(study.x), id=inputs.id, time=inputs.time, w=w,
                           model="sdm").fit()
        print(f"{spec.name}: N = {len(w.ids)}, {w.sparse.nnz:,} links, rho = {fit.params['rho']:.3f}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for label, units in (("Hubei (12 cities of the sample)", {"province_en": "Hubei"}), ("every city", "all")):
                kw = dict(change=0.02, attributes=attrs, names="name_en", groups=["province_en", "is_key_city"])
                t_sim, _ = best_of(3, lambda: scenario(fit, "int", units, draws=1000, seed=0, **kw))
                t_dm, _ = best_of(3, lambda: scenario(fit, "int", units, method="delta", **kw))
                print(f"  scenario {label}: 1,000 draws {t_sim:.3f} s; delta method {t_dm:.3f} s")
        t_cols, cols = best_of(3, lambda: response_columns(fit, "int"))
        html = render_html(explore_map(layer, cols, id=inputs.id, name_column="name"))
        cfg = re.search(r"var cfg = (\{.*?\});\n", html).group(1)
        print(f"  click map: columns of S_k {t_cols:.3f} s; embedded data {len(cfg.encode()) / 1e6:.3f} MB "
              f"of a {len(html.encode()) / 1e6:.2f} MB page (the rest is the shared geometry and Leaflet)")


if __name__ == "__main__":
    main()
