"""Simulated effects with heavy-tailed draws in the regression tables (paper audit 30, A1): no
stars from their misleading SE, and a note with their percentile intervals, from a live fit and
from the study's stored records alike."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from spillmap.estimation import SpatialPanel
from spillmap.estimation._effects_params import simulated_tables
from spillmap.tables import regression_table

X = ["lpcap", "lpc", "lemp", "unemp"]


def test_simulated_tables_flag_heavy_tails():
    """Cauchy draws (sd unbounded, interquartile scale finite) are flagged; normal draws are not
    (their sd equals the interquartile scale up to simulation error, far below the 3x threshold)."""
    rng = np.random.default_rng(1)
    normal = np.vstack([[0.0, 0.0], rng.normal(size=(4000, 2))])
    cauchy = np.vstack([[0.0, 0.0], rng.standard_cauchy(size=(4000, 2))])
    tables, heavy = simulated_tables((("direct", normal), ("indirect", cauchy)), ["a", "b"], 0.95)
    assert not tables["direct"]["heavy_tailed"].any() and tables["indirect"]["heavy_tailed"].all()
    assert len(heavy) == 2 and heavy[0].startswith("indirect a")


@pytest.fixture(scope="module")
def flagged(produc_logs, us48_queen):
    """An SDM with delta-method effects, its total effect of lemp (p < 0.001: three stars) marked
    heavy-tailed, as the simulation would mark it, with a percentile interval of its own."""
    fit = SpatialPanel(produc_logs, y="lgsp", x=X, id="state_abbr", time="year", w=us48_queen, model="sdm").fit()
    eff = fit.impacts(method="delta")
    tables = {k: getattr(eff, k).copy() for k in ("direct", "indirect", "total")}
    for k, t in tables.items():
        t["heavy_tailed"] = (t.index == "lemp") & (k == "total")
    tables["total"].loc["lemp", ["ci_lower", "ci_upper"]] = [0.0123, 0.456]
    return fit, dataclasses.replace(eff, _tables=tables)


def _cells(table) -> list[str]:
    """The formatted column as printed, top to bottom (labels in the index)."""
    return [f"{i}|{v}" for i, v in table.to_frame("formatted").iloc[:, 0].items()]


def test_a_flagged_effect_has_no_stars_and_its_interval_in_a_note(flagged):
    fit, eff = flagged
    assert eff.total.loc["lemp", "p"] < 0.001 and eff.total.loc["lpc", "p"] < 0.001  # both would get ***
    table = regression_table({"SDM": fit}, effects={"SDM": eff}, blocks=("effects",))
    cells = _cells(table)
    total = cells.index("Total effects|")
    assert cells[total + 3].startswith("lpc|") and cells[total + 3].endswith("***")  # unflagged: its stars
    assert cells[total + 5].startswith("lemp|") and "*" not in cells[total + 5]  # flagged: none
    note = next(n for n in table.notes if n.startswith("Heavy-tailed"))
    assert "column SDM: total lemp [0.012, 0.456]" in note


def test_stored_records_keep_the_flag(flagged):
    """The study writes FitRecords to results.json: the flag survives, and their table says the same."""
    import json

    from spillmap.study.records import FitRecord, thaw

    fit, eff = flagged
    rec = FitRecord.from_spatial(fit, label="SDM", w="W1", effects=eff)
    assert rec.effects["total"]["lemp"]["heavy_tailed"] is True
    assert "heavy_tailed" not in rec.effects["total"]["lpc"]  # only where set
    back = FitRecord.from_dict(json.loads(json.dumps(thaw(rec.to_dict()))))
    live = regression_table({"SDM": fit}, effects={"SDM": eff}, blocks=("effects",))
    stored = regression_table({"SDM": back}, blocks=("effects",))
    assert _cells(stored) == _cells(live) and stored.notes == live.notes


def test_the_effects_summary_marks_instead_of_starring(flagged):
    """EffectsResult.summary() and its HTML print † for the flagged effect, stars for the others."""
    _, eff = flagged
    lines = eff.summary().splitlines()
    total_lemp = next(ln for ln in lines if ln.startswith("total") and " lemp " in ln)
    total_lpc = next(ln for ln in lines if ln.startswith("total") and " lpc " in ln)
    assert "†" in total_lemp and "*" not in total_lemp and "***" in total_lpc
    assert "† heavy-tailed draws" in eff.summary() and "† heavy-tailed draws" in eff._repr_html_()


def test_the_maps_average_line_gives_the_interval():
    """A spillover map's caption for a heavy-tailed effect gives its percentile interval and reads
    significance from it (the audit's map said "(SE 167.107, p = 1.00)")."""
    from spillmap.maps._significance import average_line

    row = {"estimate": -3.44, "se": 409.38, "p": 0.99, "ci_lower": -36.15, "ci_upper": -0.41, "heavy_tailed": True}
    line = average_line("indirect", {"indirect": row})
    assert "95 % percentile interval [−36.150, −0.410]" in line.text and "SE 409" not in line.text
    assert line.significant and line.text.endswith("the interval excludes 0")
    plain = average_line("indirect", {"indirect": {**row, "heavy_tailed": False}})
    assert "SE 409.380" in plain.text and not plain.significant


def test_a_key_variable_table_says_controls_yes(flagged):
    """``variables=["lpcap"]`` leaves the other regressors out: a "Controls: Yes" row says they are
    in the model, as the papers' Table 9 does (paper audit 30 C3); without variables=, no such row."""
    fit, eff = flagged
    cells = _cells(regression_table({"SDM": fit}, effects={"SDM": eff}, variables=["lpcap"]))
    assert "Controls|Yes" in cells
    assert not any(c.startswith("Controls|") for c in _cells(regression_table({"SDM": fit}, effects={"SDM": eff})))
