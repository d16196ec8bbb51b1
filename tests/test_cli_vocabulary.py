"""One vocabulary on the command line: weights kinds as in the TOML, R/B/O transforms, bundled
dataset names where paths go, formula transforms where variables go, separate layer/panel ids."""
from __future__ import annotations

import json

import numpy as np
import pytest

from spillmap.cli import main
from spillmap.spatial.io import read_weights


def test_weights_on_bundled_us_data_with_separate_ids(tmp_path, capsys):
    """The issue's case: layer id STATE_ABBR, panel id state_abbr, both bundled; a transform as --var."""
    out = tmp_path / "we.gal"
    rc = main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "economic_distance", "--data", "produc",
               "--data-id", "state_abbr", "--time", "year", "--var", "log(gsp)", "--transform", "B",
               "--out", str(out.with_suffix(".mtx"))])
    assert rc == 0, capsys.readouterr().err
    from spillmap import datasets
    from spillmap.spatial.builders import economic_distance

    p = datasets.produc().assign(lg=lambda d: np.log(d.gsp))
    want = economic_distance(p, id="state_abbr", time="year", var="lg", ids=list(datasets.us48()["STATE_ABBR"]),
                             transform="B")
    got = read_weights(out.with_suffix(".mtx"))
    assert got.equals(want, order=False)  # same links: two constructions of the same binary pattern
    assert main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "contiguity", "--contiguity", "rook",
                 "--out", str(out)]) == 0
    assert read_weights(out).nnz > 0


def test_old_kind_and_transform_spellings_still_work(tmp_path, capsys):
    a, b = tmp_path / "a.mtx", tmp_path / "b.mtx"
    assert main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "queen", "--transform", "r", "--out", str(a)]) == 0
    err = capsys.readouterr().err
    assert "--kind queen is deprecated; write --kind contiguity --contiguity queen" in err
    assert "spillmap weights: note: --transform r is deprecated; write --transform R" in err  # one prefix per command
    assert main(["weights", "us48", "--id", "STATE_ABBR", "--kind", "contiguity", "--out", str(b)]) == 0
    assert read_weights(a).equals(read_weights(b))  # exactly the same matrix


def test_fit_with_dataset_name_and_transforms(tmp_path, capsys, us48_queen):
    from spillmap.spatial.io import write_weights

    w = tmp_path / "w.gal"
    write_weights(us48_queen.binary(), w)
    out = tmp_path / "fit.json"
    rc = main(["fit", "--data", "produc", "--id", "state_abbr", "--time", "year", "--y", "log(gsp)",
               "--x", "log(pcap)", "unemp", "--w", str(w), "--model", "sar", "--draws", "0", "--json", str(out)])
    assert rc == 0, capsys.readouterr().err
    doc = json.loads(out.read_text())
    from spillmap import datasets
    from spillmap.estimation import SpatialPanel

    fit = SpatialPanel(datasets.produc(), "log(gsp) ~ log(pcap) + unemp", id="state_abbr", time="year",
                       w=us48_queen, model="sar", fe="twoways").fit()
    # the same likelihood on the same numbers (exact GAL round trip, same row-standardisation), and
    # the search ends on the root of the analytic score (brentq, xtol 1e-15): rho is fixed to the
    # score's rounding, ~1e-13 (observed 7e-16 on numpy 1.26, 9e-16 on 2.4); 1e-9 is a wide margin
    assert doc["params"]["rho"]["estimate"] == pytest.approx(fit.params["rho"], abs=1e-9)  # score root ~1e-13
    assert set(doc["params"]) >= {"log(pcap)", "unemp", "rho"}


def test_moran_with_a_transform(tmp_path, capsys, us48_queen):
    from spillmap.spatial.io import write_weights

    w = tmp_path / "w.gal"
    write_weights(us48_queen.binary(), w)
    out = tmp_path / "m.json"
    assert main(["moran", "--data", "produc", "--id", "state_abbr", "--time", "year", "--var", "log(gsp)",
                 "--w", str(w), "--permutations", "0", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    from spillmap import datasets
    from spillmap.spatial import moran_pooled

    p = datasets.produc().assign(lg=lambda d: np.log(d.gsp))
    want = moran_pooled(p, id="state_abbr", time="year", var="lg", w=us48_queen.row_standardize(), permutations=0)
    assert doc["pooled"]["I"] == pytest.approx(want.I, rel=1e-12)  # identical computation on identical numbers


def test_moran_demean_period(tmp_path, capsys, us48_queen):
    """--demean period: the pooled test on each period's deviations (moran_pooled(demean="period"),
    checked against spreg in test_moran_period.py), said in the table and the JSON; refused without
    --time, before any work."""
    from spillmap import datasets
    from spillmap.spatial import moran_pooled
    from spillmap.spatial.io import write_weights

    w = tmp_path / "w.gal"
    write_weights(us48_queen.binary(), w)
    out = tmp_path / "m.json"
    args = ["moran", "--data", "produc", "--id", "state_abbr", "--var", "log(gsp)", "--w", str(w),
            "--permutations", "0", "--demean", "period"]
    assert main([*args, "--time", "year", "--json", str(out)]) == 0
    assert "pooled, period-demeaned" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    p = datasets.produc().assign(lg=lambda d: np.log(d.gsp))
    want = moran_pooled(p, id="state_abbr", time="year", var="lg", w=us48_queen.row_standardize(), permutations=0,
                        demean="period")
    assert doc["demean"] == "period"
    assert doc["pooled"]["I"] == pytest.approx(want.I, rel=1e-12)  # identical computation on identical numbers
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--demean period removes each period's mean: it needs --time" in err and err.count("\n") == 1


def test_fe_is_the_fixed_effects_keyword_and_effects_still_reads(produc_logs, us48_queen):
    """fe= names the fixed effects (effects are the direct/indirect/total effects); effects= still works."""
    from spillmap.estimation import SpatialPanel

    kw = dict(y="lgsp", x=["lpcap", "lemp"], id="state_abbr", time="year", w=us48_queen, model="sar")
    new = SpatialPanel(produc_logs, fe="individual", **kw).fit()
    with pytest.warns(DeprecationWarning, match=r"SpatialPanel\(effects=\.\.\.\) is deprecated; write fe="):
        old = SpatialPanel(produc_logs, effects="individual", **kw).fit()
    assert old.params.equals(new.params)  # the same estimator: identical numbers
    # random unit effects: re=True, with fixed period effects when fe has them (as --re --fe twoways)
    re_t = SpatialPanel(produc_logs, fe="twoways", re=True, **kw)
    assert re_t.effects == "random" and re_t.time_effects and re_t.fe == "twoways"
    with pytest.warns(DeprecationWarning):
        old_re = SpatialPanel(produc_logs, effects="random", **kw)
    assert old_re.re and not old_re.time_effects
    from spillmap.spatial import panel_lm_tests

    a = panel_lm_tests(produc_logs, "state_abbr", time="year", y="lgsp", x=["lpcap"], w=us48_queen, fe="time")
    with pytest.warns(DeprecationWarning, match="panel_lm_tests"):
        b = panel_lm_tests(produc_logs, "state_abbr", time="year", y="lgsp", x=["lpcap"], w=us48_queen, effects="time")
    assert a.lm_lag.stat == b.lm_lag.stat


def test_the_program_exits_with_mains_status_after_freezing_the_heap(monkeypatch):
    """``spillmap`` (console script and ``python -m``) is ``cli.run``: ``main``'s status, and
    ``gc.freeze()`` first so that the interpreter's last collections skip the live results
    (0.75 s of the demo's 0.85 s teardown)."""
    import gc
    import tomllib
    from pathlib import Path

    import spillmap.cli as cli

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["spillmap"] == "spillmap.cli:run"
    monkeypatch.setattr(cli, "main", lambda: 3)
    try:
        with pytest.raises(SystemExit) as exit_:
            cli.run()
        assert exit_.value.code == 3 and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("argv, needle", [
    (["fit", "--model", "foo"], "spillmap fit: error: argument --model: invalid choice: 'foo'"),
    (["fit", "--draws", "abc"], "spillmap fit: error: argument --draws: invalid int value: 'abc'"),
    (["fitt"], "spillmap: error: argument COMMAND: invalid choice: 'fitt'"),
])
def test_usage_errors_are_one_line(argv, needle, capsys):
    """An option argparse refuses is one stderr line, status 2, like every other CLI error (input
    audit 2026-12-01: the 9-10-line usage block came first); it points to --help."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith(needle) and err.rstrip().endswith("--help."), err


def test_a_formula_error_is_one_plain_line(capsys):
    """formulaic's syntax errors span lines and colour the failing part with terminal codes; the
    CLI's message is one plain line (input audit 2026-12-01)."""
    rc = main(["fit", "--data", "produc", "--id", "state_abbr", "--time", "year", "--y", "log(gsp)",
               "--x", "log(pc", "--w", "cigar_w"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "\x1b" not in err, repr(err)
    assert "'log(pc' is neither a column nor a formula transform" in err
