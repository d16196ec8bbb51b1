"""run(study) -> StudyResults: numbers equal direct calls, JSON round trip, re-rendering, transforms."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spillmap.study import Study, StudyResults, run

# Bundled data named where paths go, formula transforms where variables go: no hand-made files.
US_STUDY = """
title = "Produc: public capital and output"
unit_label = "state"
[layer]
path = "us48"
id = "STATE_ABBR"
name_column = "STATE_NAME"
group_column = "SUB_REGION"
[panel]
path = "produc"
id = "state_abbr"
time = "year"
[model]
y = "log(gsp)"
x = ["log(pcap)", "log(pc)", "unemp"]
fe = "twoways"
draws = 100
seed = 3
[weights.W1]
kind = "contiguity"
contiguity = "queen"
islands = "nearest"     # the whole sample has none; the group subsamples do
[tables]
moran_variables = ["log(gsp)", "unemp"]
[heterogeneity]
columns = ["big"]
labels = { big = { "1" = "large states", "0" = "small states" } }
[maps]
permutations = 49
year = 1980
[output]
figures = false         # the figures are checked on the reports of test_report.py / test_demo.py
"""


@pytest.fixture(scope="module")
def us_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("study")
    # a time-invariant group column in the panel: states whose mean employment is above the median
    from spillmap import datasets

    panel = datasets.produc()
    big = panel.groupby("state_abbr")["emp"].transform("mean") > panel.groupby("state_abbr")["emp"].mean().median()
    panel["big"] = big.astype(int)
    panel.to_csv(tmp / "produc_groups.csv", index=False)
    (tmp / "study.toml").write_text(US_STUDY.replace('path = "produc"', 'path = "produc_groups.csv"'),
                                    encoding="utf-8")
    study = Study.from_toml(tmp / "study.toml")
    steps: list[str] = []
    results = run(study, progress=lambda k, n, msg: steps.append(msg))
    return study, results, steps, panel


def test_transforms_and_dataset_names(us_run):
    study, r, steps, panel = us_run
    assert r.data["n"] == 48 and r.data["t"] == 17 and r.data["nobs"] == 816
    # the transform is evaluated on the panel and named as written
    assert r.descriptive["log(gsp)"]["mean"] == pytest.approx(np.log(panel["gsp"]).mean(), rel=1e-12)
    assert set(r.descriptive) == {"log(gsp)", "log(pcap)", "log(pc)", "unemp"}
    assert steps[0].startswith("loading") and any("LISA" in s and "49 permutations" in s for s in steps)


def test_sdm_equals_the_formula_api(us_run):
    """The study evaluates transforms into columns; SpatialPanel's own formula path is independent."""
    from spillmap import datasets
    from spillmap.estimation import SpatialPanel
    from spillmap.geo import join_panel
    from spillmap.spatial import contiguity

    _, r, _, _ = us_run
    j = join_panel(datasets.us48(), datasets.produc(), id="state_abbr", time="year", layer_id="STATE_ABBR")
    w = contiguity(j.layer, "STATE_ABBR")
    fit = SpatialPanel(j.panel, "log(gsp) ~ log(pcap) + log(pc) + unemp", id="state_abbr", time="year", w=w,
                       model="sdm", fe="twoways").fit()
    rec = r.sdm("W1")
    # the same likelihood maximised on the same numbers: equal to the optimiser's resolution (xatol 1e-10 on rho)
    assert rec.params["rho"] == pytest.approx(fit.params["rho"], abs=1e-9)
    assert rec.params["log(pcap)"] == pytest.approx(fit.params["log(pcap)"], rel=1e-8)
    assert rec.stats["nobs"] == 47 * 16  # observations the Lee-Yu transformed likelihood uses
    eff = fit.impacts(draws=100, seed=3)
    assert rec.effects["total"]["unemp"]["estimate"] == pytest.approx(eff.total.loc["unemp", "estimate"], rel=1e-7)


def test_tables_are_numbers(us_run):
    _, r, _, _ = us_run
    t = r.tables
    assert set(t) == {"descriptive", "moran_by_year", "baseline", "within", "heterogeneity", "diagnostics", "effects"}
    eff = t["effects"]
    assert eff.loc[("direct", "unemp"), ("W1", "estimate")] == r.sdm("W1").effects["direct"]["unemp"]["estimate"]
    assert t["diagnostics"].loc["lm_lag", ("W1", "stat")] == r.diagnostics["W1"]["lm_lag"]["stat"]
    assert t["baseline"].shape[1] == 3 * 3  # three columns (key alone, then one control added each time)
    assert all(pd.api.types.is_float_dtype(d) for d in t["moran_by_year"].dtypes)
    # Elhorst's Table 3.1 layout: the LR tests of the effects equal the direct within_table call
    from spillmap.estimation.within import within_table

    wt = within_table(_joined_panel(), id="state_abbr", time="year", y="log(gsp)",
                      x=["log(pcap)", "log(pc)", "unemp"])
    assert r.within["tests"]["lr_unit_effects"]["stat"] == pytest.approx(wt.lr_unit.stat, rel=1e-10)
    assert t["within"].loc["unemp", ("two-way FE", "estimate")] == pytest.approx(wt.fits["twoways"].params["unemp"],
                                                                                rel=1e-10)


def test_stored_fits_tabulate_like_live_ones(us_run):
    """A FitRecord (registered with spillmap.tables) gives the same regression table as the live
    SpatialPanelResults + EffectsResult it was made from, also after the JSON round trip."""
    from spillmap import datasets
    from spillmap.estimation import SpatialPanel
    from spillmap.geo import join_panel
    from spillmap.spatial import contiguity
    from spillmap.study.records import FitRecord
    from spillmap.tables import glance, regression_table

    j = join_panel(datasets.us48(), datasets.produc(), id="state_abbr", time="year", layer_id="STATE_ABBR")
    fit = SpatialPanel(j.panel, y="unemp", x=["pc", "emp"], id="state_abbr", time="year",
                       w=contiguity(j.layer, "STATE_ABBR"), model="sdm", fe="twoways").fit()
    eff = fit.impacts(draws=100, seed=3)
    rec = FitRecord.from_dict(FitRecord.from_spatial(fit, label="SDM", w=fit.w.name, effects=eff).to_dict())
    live, stored = regression_table([fit], effects=[eff]), regression_table([rec])
    assert list(stored.body.index) == list(live.body.index)  # β, W×x (theta), ρ, σ², effects, statistics
    assert stored.rows["label"].tolist() == live.rows["label"].tolist()
    assert "W×pc" in stored.rows["label"].tolist() and "ρ" in stored.rows["label"].tolist()
    for frame in ("body", "se", "pvalues"):  # the same floats: stored at full precision
        a, b = getattr(live, frame), getattr(stored, frame)
        pd.testing.assert_frame_equal(a.apply(pd.to_numeric, errors="coerce").astype(float),
                                      b.apply(pd.to_numeric, errors="coerce").astype(float), check_exact=True,
                                      check_names=False)
    assert stored.all_notes() == live.all_notes(), (stored.all_notes(), live.all_notes())
    assert stored.columns.equals(live.columns)
    g = glance(rec)
    assert (g["unit_fe"], g["time_fe"], g["random"], g["lee_yu"]) == (True, True, False, "transformation")
    assert g["nobs"] == 47 * 16 and (g["n"], g["t"]) == (48, 17) and g["r2_kind"] == "pseudo_within"
    assert g["effects_method"] == "simulation (100 draws, seed 3)" and g["aic"] == fit.aic and g["bic"] == fit.bic


def _joined_panel():
    from spillmap import datasets

    p = datasets.produc()
    return p.assign(**{"log(gsp)": np.log(p.gsp), "log(pcap)": np.log(p.pcap), "log(pc)": np.log(p.pc)})


def test_diagnostics_extra_rows_and_fixed_effects(us_run):
    """The issue-13 rows reach the study's table and the recovered fixed effects are stored for a map."""
    _, r, _, _ = us_run
    d = r.diagnostics["W1"]
    for key in ("lm_sarma", "moran_residuals", "cd", "cd_local_sdm", "bsk_lmh", "bsk_clm_mu", "bsjk_j",
                "lr_unit_effects", "bayes_sdm"):
        assert d[key]["stat"] is not None, key
    # the sphtest form is refused here like the classic one (V_FE - V_RE indefinite), with actionable advice
    hc = d["hausman_conditional"]
    assert hc["stat"] is not None or ("not positive definite" in hc["note"] and "hausman = " in hc["note"])
    probs = [d[f"bayes_{m}"]["stat"] for m in ("ols", "slx", "sar", "sdm", "sem", "sdem")]
    assert sum(probs) == pytest.approx(1.0, abs=1e-12)  # posterior probabilities over the six models
    assert d["bayes_w"]["stat"] is None  # one W: nothing to compare
    fx = r.fixed_effects["W1"]
    assert len(fx["unit"]) == 48 and abs(sum(v["estimate"] for v in fx["unit"].values())) < 1e-9  # deviations sum to 0
    assert fx["intercept"] is not None


def test_moran_by_year_equals_direct_calls(us_run):
    from spillmap.spatial import contiguity, moran_by_period, moran_pooled

    study, r, _, panel = us_run
    from spillmap import datasets
    from spillmap.geo import join_panel

    panel = panel.assign(u=panel["unemp"])
    j = join_panel(datasets.us48(), panel, id="state_abbr", time="year", layer_id="STATE_ABBR")
    w = contiguity(j.layer, "STATE_ABBR")
    by = moran_by_period(j.panel, id="state_abbr", time="year", var="unemp", w=w, permutations=0)
    assert r.moran_by_year["W1"]["unemp"]["1975"]["I"] == pytest.approx(by[1975].I, rel=1e-12)
    pooled = moran_pooled(j.panel, id="state_abbr", time="year", var="unemp", w=w, permutations=0)
    assert r.moran_by_year["W1"]["unemp"]["pooled"]["z"] == pytest.approx(pooled.z_rand, rel=1e-12)


def test_stored_lags_give_the_moran_scatterplot(us_run):
    """map_data["lags"]: W y per period (W not stored); the pooled I drawn from them equals the
    stored Moran's I of y (both exact closed forms: 1e-10)."""
    from spillmap import datasets
    from spillmap.figures import moran_scatter_from_lags
    from spillmap.geo import join_panel
    from spillmap.spatial import contiguity

    _, r, _, _ = us_run
    lags = r.map_data["lags"]["W1"]
    ids = list(r.map_data["sample_ids"])
    j = join_panel(datasets.us48(), datasets.produc(), id="state_abbr", time="year", layer_id="STATE_ABBR")
    w = contiguity(j.layer, "STATE_ABBR").align(ids)
    y = np.array([[r.map_data["variables"]["log(gsp)"][p][i] for i in ids] for p in lags["lag"]])
    np.testing.assert_allclose(np.array(list(lags["lag"].values())), np.vstack([w.sparse @ row for row in y]),
                               rtol=1e-13)
    _, _, pooled = moran_scatter_from_lags(y, list(lags["lag"].values()), lags["row_sums"])
    assert pooled == pytest.approx(r.moran_by_year["W1"]["log(gsp)"]["pooled"]["I"], rel=1e-10)


def test_baseline_and_heterogeneity_equal_direct_calls(us_run):
    from linearmodels.panel import PanelOLS

    study, r, _, panel = us_run
    df = panel.assign(ly=np.log(panel.gsp), lk=np.log(panel.pcap), lp=np.log(panel.pc)).set_index(
        ["state_abbr", "year"])
    direct = PanelOLS(df["ly"], df[["lk"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True)
    col1 = r.fits["baseline:(1)"]  # the same PanelOLS computation on the same numbers: equal to rounding
    assert col1.params["log(pcap)"] == pytest.approx(direct.params["lk"], rel=1e-10)
    assert col1.std_errors["log(pcap)"] == pytest.approx(direct.std_errors["lk"], rel=1e-10)
    assert r.baseline["columns"] == ("baseline:(1)", "baseline:(2)", "baseline:(3)")
    # a group estimated on its own states equals PanelOLS on that subsample
    block = r.heterogeneity["groupings"]["big"]
    assert [g["label"] for g in block["groups"]] == ["small states", "large states"]
    sub = df[df["big"] == 1]
    d1 = PanelOLS(sub["ly"], sub[["lk", "lp", "unemp"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True)
    g1 = r.fits["heterogeneity:big=1:baseline"]
    assert g1.params["log(pcap)"] == pytest.approx(d1.params["lk"], rel=1e-10)
    assert block["tests"]["baseline_wald"]["df"] == 1 and block["tests"]["sdm_wald"]["df"] == 2
    assert 0 <= block["tests"]["sdm_wald"]["p"] <= 1
    assert "heterogeneity:big=1:sdm" in r.fits


def test_weights_described_in_words(us_run):
    _, r, _, _ = us_run
    info = r.weights["W1"]
    assert info["description"].startswith("queen contiguity; no islands; 1 component;")
    assert info["facts"]["links"] == 214 and info["facts"]["components"] == 1  # 107 US-48 queen pairs, both ways


def test_json_round_trip_and_rerender(us_run, tmp_path):
    from spillmap.maps.report import render_report

    _, r, _, _ = us_run
    again = StudyResults.from_json(r.to_json())
    assert again == r
    a = render_report(r, tmp_path / "a")
    b = render_report(StudyResults.read(a / "results.json"), tmp_path / "b")  # from results.json alone

    def digest(folder: Path) -> dict:
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file() and p.parent.name != "maps"}

    assert digest(a) == digest(b)
    assert {p.name for p in (b / "maps").iterdir()} == {p.name for p in (a / "maps").iterdir()}
    index = (a / "index.html").read_text(encoding="utf-8")
    assert "state FE" in index and "city FE" not in index and "by state" in (a / "maps" / "choropleth.html").read_text(
        encoding="utf-8")
    assert '<div class="sub">48 states × 17 periods' in index  # the page's header uses the unit word too
    doc = json.loads((a / "results.json").read_text(encoding="utf-8"))
    assert doc["sdm"]["W1"]["rho"]["estimate"] == r.sdm("W1").params["rho"]


def test_bad_group_column(us_run, tmp_path):
    from spillmap.errors import DataError

    study, _, _, _ = us_run
    from dataclasses import replace

    bad = replace(study, heterogeneity=replace(study.heterogeneity, columns=("nope",), labels={}))
    steps: list[str] = []
    with pytest.raises(DataError, match="heterogeneity.columns: 'nope' is neither a layer"):
        run(bad, progress=lambda k, n, msg: steps.append(msg))
    assert steps == ["loading the boundary layer and the panel, joining them"]  # found before any work
    varying = replace(study, heterogeneity=replace(study.heterogeneity, columns=("unemp",), labels={}))
    steps.clear()
    with pytest.raises(DataError, match="heterogeneity.columns: 'unemp' changes over time"):
        run(varying, progress=lambda k, n, msg: steps.append(msg))
    assert len(steps) == 1


def test_results_do_not_depend_on_the_fork(us_run, monkeypatch):
    """The within, baseline and heterogeneity steps run in a forked process beside the spatial
    fits (``spillmap.study._side``) on Linux with 2+ CPUs.  Forced on and forced off, the results
    are byte-identical JSON, with the same progress messages and the same warnings in the same
    order (the warnings of the side steps: ``tests/test_study_side.py``)."""
    import sys

    import spillmap._forkshare as forkshare

    study, r, steps, _ = us_run
    runs = {}
    for fork in ([True, False] if sys.platform.startswith("linux") else [False]):
        monkeypatch.setattr(forkshare, "fork_available", lambda fork=fork: fork)
        seen: list[str] = []
        runs[fork] = (run(study, progress=lambda k, n, msg, seen=seen: seen.append(f"{k}/{n} {msg}")), seen)
    texts = {fork: res.to_json() for fork, (res, _) in runs.items()}
    assert len(set(texts.values())) == 1 and texts[False] == r.to_json()
    assert len({tuple(seen) for _, seen in runs.values()}) == 1
    # one total from the first line to the last (planned from the spec: heterogeneity is one step
    # per grouping column), and the last step reaches it
    from spillmap.study._plan import planned_steps

    counts = [tuple(map(int, m.split(" ", 1)[0].split("/"))) for m in runs[False][1]]
    assert {n for _, n in counts} == {planned_steps(study).run} and counts[-1][0] == counts[-1][1]
    messages = [m.split(" ", 1)[1] for m in runs[False][1]]
    assert messages == steps
    assert messages.index("baseline: non-spatial two-way fixed effects, controls added step by step") < min(
        i for i, m in enumerate(messages) if m.startswith("heterogeneity by"))


def test_a_group_too_small_to_fit_is_named_in_its_table(us_run):
    """A group of fewer than 10 units has no column, while the across-group tests count it: the
    table's note names it (paper audit 30 A2: "df 3" under three columns, the fourth group unnamed)."""
    import dataclasses

    from spillmap.maps._report_heterogeneity import heterogeneity

    _, r, _, _ = us_run
    block = dict(r.heterogeneity["groupings"]["big"])
    block["groups"] = [*block["groups"], {"value": "2", "label": "tiny states", "n": 4}]
    small = dataclasses.replace(r, heterogeneity={**r.heterogeneity, "groupings": {"big": block}})
    (table,) = heterogeneity(small)
    notes = " ".join(table.table.notes)
    assert "Not estimated separately (fewer than 10 units): tiny states (4 units); the tests across groups include it." in notes
    (plain,) = heterogeneity(r)
    assert "Not estimated separately" not in " ".join(plain.table.notes)
