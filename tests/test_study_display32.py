"""How a study's stored results show in a notebook (notebook audit 32 #7, #10, #14).

* ``repr``, ``summary()`` and ``_repr_html_()`` of a study run on the synthetic demo say so first;
* the diagnostics table shows blank cells (not NaN), p-values by the tables' rule (``format_p(p, 4)``,
  "<0.0001" below), no all-empty row, and lists the classic Hausman apart when the Mundlak form is
  reported in its place;
* a stored fit (``FitRecord``, what ``results.sdm("W1")`` returns) has ``summary()``, ``to_frame()``,
  ``_repr_html_()`` and a one-line repr, formatting its stored numbers (nothing recomputed).

Display only: the JSON of the results is the same before and after displaying them.
"""
from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from spillmap import datasets
from spillmap.study import FitRecord, StudyResults
from spillmap.tables import format_p


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> StudyResults:
    """The demo study's results: those of the suite's shared demo report (``results.json``), equal to
    ``run(Study.from_toml(datasets.data_path("demo_report.toml")))`` field by field, with the same repr,
    summary, HTML and JSON (checked once, 2026-12-02); running the study here again took 4 s."""
    sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: the shared helper sits here
    from _demo_shared import demo_results

    return demo_results(tmp_path_factory)


def _diagnostics_text(summary: str) -> str:
    """The diagnostics table of a summary (from its title to the next blank line)."""
    start = summary.index("Spatial diagnostics")
    return summary[start:summary.index("\n\n", start)]


@pytest.mark.e2e
def test_every_view_of_a_demo_study_says_synthetic_first(demo):
    assert demo.notice == datasets.DEMO_NOTICE  # the study knows (precondition)
    assert repr(demo).startswith(demo.notice)
    assert demo.summary().splitlines()[0] == demo.notice
    page = demo._repr_html_()
    assert 0 <= page.index(demo.notice) < page.index("&lt;StudyResults") < page.index("<table")


@pytest.mark.e2e
def test_diagnostics_show_blank_cells_the_tables_p_rule_and_no_empty_row(demo):
    before = demo.to_json()
    diag = demo.diagnostics["W1"]
    # preconditions: what the audit saw in the stored numbers (they stay so)
    assert diag["moran"]["p"] < 1e-4 and all(diag["hausman"][k] is None for k in ("stat", "df", "p"))
    assert diag["lm_lag"]["df"] == 1 and diag["moran"].get("df") is None and diag["bayes_sdm"]["p"] is None
    text, page = _diagnostics_text(demo.summary()), demo._repr_html_()
    assert not re.search(r"\bnan\b", text, re.I) and not re.search(r">\s*nan\s*<", page, re.I)
    moran_line = next(line for line in text.splitlines() if line.startswith("Moran's I of"))
    assert format_p(diag["moran"]["p"], 4) == "<0.0001" and "<0.0001" in moran_line
    assert f" {format_p(demo.diagnostics['W2']['lm_lag']['p'], 4)}" in next(
        line for line in text.splitlines() if line.startswith("LM-lag"))  # 0.2546: four decimals as the fits print
    assert "classic" not in text  # the all-empty classic Hausman row is left out
    assert sum("Hausman (FE vs RE)" in line and "Mundlak" in line for line in text.splitlines()) == 1  # once
    assert "Posterior model probability: SDM" in text  # a probability in the stat column says what it is
    assert demo.to_json() == before  # display only


@pytest.mark.e2e
def test_the_classic_hausman_is_listed_apart_when_the_mundlak_form_is_reported(demo):
    assert demo.diagnostics["W1"]["hausman_selected"]["form"] == "mundlak"  # precondition (hausman = "auto")
    stored = tuple(demo.missing)
    text = demo.summary()
    assert "Reported in another form:" in text and "Not computed:" not in text
    block = text[text.index("Reported in another form:"):]
    assert all(m.split(" ", 1)[1][:40] in block for m in stored if ": hausman: " in m)
    assert "<p>Reported in another form:</p>" in demo._repr_html_()
    assert demo.missing == stored  # the stored list (results.json) is not changed


@pytest.mark.e2e
def test_another_form_per_w_is_named_in_the_reported_row(demo):
    diag = {w: dict(t) for w, t in demo.diagnostics.items()}
    diag["W2"]["hausman_selected"] = {**diag["W2"]["hausman_mundlak"], "form": "classic",
                                      "label": "Hausman (FE vs RE), classic"}
    text = _diagnostics_text(dataclasses.replace(demo, diagnostics=diag).summary())
    assert "Hausman (FE vs RE) reported: W1 Mundlak form, W2 classic" in text


def _record(**changes) -> FitRecord:
    """A stored SDM whose p-values are NOT those of its estimates and SEs (0.5 / 0.1 gives z = 5):
    the display must print the stored ones, not recompute them."""
    base = dict(label="SDM, W1", model="sdm", fe="twoways", y="y", w="W1",
                params={"x": 0.5, "W_x": -0.25, "rho": 0.3}, std_errors={"x": 0.1, "W_x": None, "rho": 0.05},
                pvalues={"x": 0.2, "W_x": None, "rho": 1e-300},
                stats={"nobs": 120, "n": 30, "t": 4, "loglik": -12.5, "sigma2": 0.04, "lee_yu": "transformation",
                       "r2": 0.5, "r2_kind": "squared correlation of y and its fitted value after the fixed-effects "
                       "transformation", "effects_draws": 1000, "effects_seed": 1},
                effects={"direct": {"x": {"estimate": 0.55, "se": 0.11, "z": 5.0, "p": 3e-7}},
                         "indirect": {"x": {"estimate": 0.2, "se": 0.9, "z": None, "p": None, "heavy_tailed": True}}},
                effects_method="simulation", notes=("a stored note",), warnings=("a stored warning",),
                effects_long_run={"total": {"x": {"estimate": 1.5, "se": 0.4, "p": 0.0123}}},
                notice=datasets.DEMO_NOTICE)
    return FitRecord(**{**base, **changes})


def test_a_stored_fit_prints_its_own_numbers():
    rec = _record()
    text = rec.summary()
    assert text.splitlines()[0] == datasets.DEMO_NOTICE
    x_line = next(line for line in text.splitlines() if line.startswith("x "))
    assert x_line.split()[-1] == format_p(0.2, 4) == "0.2000"  # the stored p (z = 5 would give <0.0001)
    rho_line = next(line for line in text.splitlines() if line.startswith("rho "))
    assert rho_line.split()[-1] == "<0.0001" and "***" in rho_line
    assert "W_x" in text and not re.search(r"\bnan\b|None", text, re.I)  # a missing SE / p is blank
    assert "Effects (short run)" in text and "Effects (long run)" in text and "0.0123" in text
    assert "yes" in next(line for line in text.splitlines() if line.startswith("indirect"))  # heavy-tailed draws
    assert "a stored note" in text and "Warning: a stored warning" in text
    assert "simulation (1,000 draws, seed 1)" in text  # glance's words for the effects' SEs


def test_a_stored_fit_frame_is_its_tidy_frame_and_shows_in_a_notebook():
    rec = _record()
    pd.testing.assert_frame_equal(rec.to_frame(), rec.tidy().set_index("term"))
    page = rec._repr_html_()
    assert 0 <= page.index(datasets.DEMO_NOTICE) < page.index("<table") and "&lt;0.0001" in page
    assert "nan" not in page.lower().replace("nan" + "ce", "")  # no NaN cell
    line = repr(rec)
    assert "\n" not in line and len(line) < 200 and "'SDM, W1'" in line and "SYNTHETIC" in line
    assert "SYNTHETIC" not in repr(_record(notice=None))


@pytest.mark.e2e
def test_the_demo_sdm_record_is_short_and_readable(demo):
    rec = demo.sdm("W1")
    assert len(repr(rec)) < 200  # was the whole dataclass, 5.7 kB
    text = rec.summary()
    for term, estimate in rec.params.items():
        assert re.search(rf"^{re.escape(term)}\s+{re.escape(f'{estimate:.6g}')}", text, re.M), term
    assert "<table" in rec._repr_html_() and rec.notice in rec._repr_html_()
