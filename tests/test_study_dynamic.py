"""The study with ``[model] dynamic`` and a W built ``by_period``: fit records equal direct calls,
JSON round trip, what a time-varying W cannot give is listed with the reason.

References: the same models fitted through the Python API on the same inputs (identical
arithmetic: equality to 1e-12)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from spillmap.study import Study, StudyResults, run
from spillmap.study.records import thaw

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared specs sit next to this file
from _specs import US_INPUTS  # noqa: E402

STUDY = """
title = "Produc: unemployment, dynamic SDM"
unit_label = "state"
""" + US_INPUTS + """
[model]
y = "unemp"
x = ["log(pcap)", "log(pc)", "log(emp)"]
fe = "twoways"
dynamic = "both"
draws = 0
seed = 3
[weights.W1]
kind = "contiguity"
[weights.W2]
kind = "economic_distance"
var = "log(gsp)"
period = [1980, 1986]
by_period = true
[diagnostics]
tests = ["lm"]
[tables]
include = ["effects"]
[maps]
permutations = 9
year = 1984
include = ["choropleth"]
"""


@pytest.fixture(scope="module")
def dyn_run(tmp_path_factory):
    from spillmap import datasets

    tmp = tmp_path_factory.mktemp("study_dyn")
    panel = datasets.produc()
    panel[panel.year.between(1980, 1986)].to_csv(tmp / "p.csv", index=False)
    (tmp / "s.toml").write_text(STUDY.replace('path = "produc"', 'path = "p.csv"'), encoding="utf-8")
    study = Study.from_toml(tmp / "s.toml")
    steps: list[tuple[int, int]] = []
    r = run(study, progress=lambda k, n, msg: steps.append((k, n)))
    return study, r, panel[panel.year.between(1980, 1986)].copy(), steps


def _direct(panel, w, dynamic=None):
    from spillmap.estimation import SpatialPanel

    p = panel.assign(lemp=np.log(panel.emp), lpcap=np.log(panel.pcap), lpc=np.log(panel.pc))
    return SpatialPanel(p, y="unemp", x=["lpcap", "lpc", "lemp"], id="state_abbr", time="year", w=w, model="sdm",
                        fe="twoways", dynamic=dynamic).fit()


def test_dynamic_records_equal_the_python_api(dyn_run):
    from spillmap import datasets
    from spillmap.spatial import contiguity

    study, r, panel, _ = dyn_run
    w1 = contiguity(datasets.us48(), "STATE_ABBR", kind="queen")
    w1 = w1.align(sorted(w1.ids)) if tuple(w1.ids) != tuple(r.data["ids"]) else w1
    res = _direct(panel, w1.align(r.data["ids"]), dynamic="both")
    rec = r.fits["W1:sdm_dynamic"]
    assert rec.params["tau"] == pytest.approx(res.params["tau"], rel=1e-12)
    assert rec.stats["dynamic"] == "both" and rec.label == "Dynamic SDM, W1"
    both = res.effects_both(draws=0)
    assert rec.effects["total"]["log(pc)"]["estimate"] == pytest.approx(both["short"].total.loc["lpc", "estimate"],
                                                                         rel=1e-10)
    assert rec.effects_long_run["total"]["log(pc)"]["estimate"] == pytest.approx(
        both["long"].total.loc["lpc", "estimate"], rel=1e-10)
    assert rec.effects_frame("long").loc[("total", "log(pc)"), "estimate"] == pytest.approx(
        both["long"].total.loc["lpc", "estimate"], rel=1e-10)


def test_by_period_weights(dyn_run):
    from spillmap.spatial.builders import economic_distance

    study, r, panel, _ = dyn_run
    assert "one matrix per period" in r.weights["W2"]["description"]
    assert r.weights["W2"]["facts"]["periods"] == 7
    wmap = economic_distance(panel.assign(lgsp=np.log(panel.gsp)), id="state_abbr", time="year", var="lgsp",
                             period=(1980, 1986), by_period=True, ids=r.data["ids"])
    res = _direct(panel, wmap)
    assert r.fits["W2:sdm"].params["rho"] == pytest.approx(res.params["rho"], rel=1e-12)
    assert "W2:sdm_dynamic" in r.fits and "W2" not in r.diagnostics
    assert any(m.startswith("W2: the diagnostics table") for m in r.missing)
    assert set(r.unit_effects) == {"W1", "W2"}


def test_progress_total_is_planned_and_reached(dyn_run):
    """The [k/total] lines keep one total, from the spec (dynamic SDM and a W by period, whose
    fits and effects steps differ from a single W's), and the last step is the total."""
    from spillmap.study._plan import planned_steps

    study, _, _, steps = dyn_run
    totals = {n for _, n in steps}
    assert totals == {planned_steps(study).run} and [k for k, _ in steps] == list(range(1, len(steps) + 1))
    assert steps[-1][0] == steps[-1][1]


def test_json_round_trip(dyn_run):
    _, r, _, _ = dyn_run
    again = StudyResults.from_json(r.to_json())
    assert again == r and again.fits["W1:sdm_dynamic"].effects_long_run == r.fits["W1:sdm_dynamic"].effects_long_run


def test_report_tables(dyn_run):
    """Table 9 puts the dynamic SDM next to each W's SDM (its y(t−1), W·y(t−1) rows, short-run
    effects); the next table has the short and long run side by side, numbers as stored."""
    from spillmap.maps._report_tables import build_tables

    _, r, _, _ = dyn_run
    tables = {t.stem: t.table for t in build_tables(StudyResults.from_json(r.to_json()))}
    t9 = tables["sdm_effects"]
    assert t9.rows.loc["tau", "label"] == "y(t−1)" and t9.rows.loc["eta", "label"] == "W·y(t−1)"
    assert list(t9.columns["model"]) == ["SDM", "Dynamic SDM", "SDM", "Dynamic SDM"]
    stored = r.fits["W1:sdm_dynamic"]
    assert t9.body.loc["tau", "(2)"] == stored.params["tau"] and np.isnan(t9.body.loc["tau", "(1)"])
    dyn = tables["sdm_dynamic_effects"]
    assert dyn.body.loc["total:log(pc)", "Long run, W1"] == stored.effects_long_run["total"]["log(pc)"]["estimate"]
    assert dyn.body.loc["total:log(pc)", "Short run, W1"] == stored.effects["total"]["log(pc)"]["estimate"]
    assert "Debarsy" in " ".join(dyn.notes)


@pytest.mark.slow
def test_report_maps_both_horizons(dyn_run, tmp_path):
    """The report from results.json alone draws the dynamic SDM's spillover maps (and their print
    figures) at both horizons and the two tables (about 7 s: every map and figure is drawn)."""
    from dataclasses import replace

    from spillmap.maps.report import render_report

    _, r, _, _ = dyn_run
    again = StudyResults.from_json(r.to_json())
    spec = thaw(again.spec)
    spec["maps"]["include"] = ["spillover"]  # the same results, with the spillover maps asked for
    out = render_report(replace(again, spec=spec), tmp_path / "rep")
    for h in ("short", "long"):
        assert (out / "maps" / f"spillover_dynamic_{h}_W1.html").is_file()
        assert (out / "figures" / f"spillover_dynamic_{h}_W2.png").is_file()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Dynamic spatial Durbin model: short-run and long-run effects" in page and "y(t−1)" in page
