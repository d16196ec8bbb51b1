"""``spillmap screen`` on the command line.

The fast tests run the command on the US-48 layer with an in-process Dask client
swapped in (the cluster start is tested in test_screen*.py); the slow one runs the
issue's command on the China layer with a local cluster of worker processes.
"""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from spillmap.cli import main
from spillmap.cli._screen import parse_composite, weight_specs
from spillmap.errors import InputError

distributed = pytest.importorskip("distributed")




def test_screen_command_writes_the_three_files(in_process, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["screen", "--data", "produc", "--id", "state_abbr", "--time", "year", "--layer", "us48",
            "--layer-id", "STATE_ABBR", "--indicators", "unemp", "pc*", "--w", "queen", "knn:4",
            "--permutations", "19", "--maps-top-k", "1", "--composite", "infra=entropy:hwy,water,-util",
            "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "wrote" in text and "rank" in text
    table = pd.read_parquet(out / "screen.parquet")
    assert set(table.indicator) == {"unemp", "pcap", "pc", "infra"}
    assert set(table.w) == {"queen", "knn4"}
    assert (out / "screen.csv").is_file() and (out / "index.html").is_file()
    assert len(list((out / "maps").glob("*.html"))) == 4  # top 1 per W: choropleth + LISA
    assert list(out.glob("weights_infra-*.csv"))
    # an existing folder is kept without --force (exit 2, found before any work)
    assert main(args) == 2
    assert "--force" in capsys.readouterr().err


def test_bad_arguments_exit_2(in_process, tmp_path, capsys):
    base = ["screen", "--data", "produc", "--id", "state_abbr", "--time", "year", "--out", str(tmp_path / "o")]
    assert main(base + ["--w", "queen"]) == 2  # no layer for a contiguity W
    assert "--layer" in capsys.readouterr().err
    assert main(base + ["--w", "nowhere.gal"]) == 2
    assert main(["screen", "--data", "missing.csv", "--id", "x", "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()


def test_weight_specs_and_composite_parsing(us48, produc):
    import spillmap

    specs = weight_specs(["queen", "rook", "knn:3", "W2=inverse_distance:alpha=2,k=4"], islands="nearest",
                         transform="R")
    assert list(specs) == ["queen", "rook", "knn3", "W2"]
    assert specs["W2"] == {"kind": "inverse_distance", "alpha": 2, "k": 4}
    assert specs["queen"] == {"kind": "contiguity", "contiguity": "queen", "islands": "nearest"}
    with pytest.raises(InputError, match="KIND"):
        weight_specs(["hexagon"], islands="nearest", transform="R")
    # the specs are built by the study layer's builders over the layer's units
    from spillmap.screen._spec import materialise_weights

    ws = materialise_weights(specs, panel=produc, layer=us48, id="state_abbr", time="year", layer_id="STATE_ABBR")
    assert ws["knn3"].cardinalities.max() == 3 and ws["W2"].n == 48
    name, spec = parse_composite("eco=critic:pgdp,fdi,-inp")
    assert name == "eco" and spec == {"method": "critic", "positive": ["pgdp", "fdi"], "negative": ["inp"]}
    with pytest.raises(InputError, match="NAME=METHOD"):
        parse_composite("eco:pgdp")
    assert callable(spillmap.screen)


@pytest.mark.slow
def test_the_issue_command_on_china_with_a_local_cluster(tmp_path):
    # spillmap screen --data demo_panel --id adcode --time year --layer china_prefectures
    #   --indicators all --w queen --out DIR   (with few permutations and one worker to stay short)
    out = tmp_path / "DIR"
    cmd = [sys.executable, "-m", "spillmap", "screen", "--data", "demo_panel", "--id", "adcode", "--time", "year",
           "--layer", "china_prefectures", "--indicators", "all", "--w", "queen", "--out", str(out),
           "--permutations", "99", "--workers", "1", "--maps-top-k", "1", "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(out / "screen.parquet")
    assert set(table.indicator) == {"gtfp", "int", "ins", "pgdp", "fdi", "trans", "inp"}
    assert (table.status == "ok").all()
    assert (out / "screen.csv").is_file() and (out / "index.html").is_file()


@pytest.fixture(scope="module")
def local_cluster_run():
    """One local cluster of one worker process, opened and closed by ``dask_client``: the worker's
    log-handler levels, and this process's environment before, during and after."""
    import logging
    import os

    from spillmap.screen._engine import dask_client

    def handler_levels():  # local: shipped to the worker by value (the tests are not an importable package there)
        return [h.level for h in logging.getLogger("distributed").handlers]

    def sigint_state():  # the worker's SIGINT handler, and whether SIGINT is blocked in it (Linux)
        import signal
        from pathlib import Path

        status = Path("/proc/self/status")
        blocked = None
        if status.exists():
            mask = next(line for line in status.read_text().splitlines() if line.startswith("SigBlk:"))
            blocked = bool(int(mask.split()[1], 16) >> (signal.SIGINT - 1) & 1)
        return signal.getsignal(signal.SIGINT) == signal.SIG_IGN, blocked

    before = dict(os.environ)
    with dask_client(workers=1) as c:
        levels = c.run(handler_levels)
        sigint = c.run(sigint_state)
        during = dict(os.environ)
    return {"levels": levels, "sigint": sigint, "before": before, "during": during, "after": dict(os.environ)}


def test_local_cluster_workers_log_only_critical_lines(local_cluster_run):
    """The local cluster's worker processes print nothing below CRITICAL: a worker whose heartbeat
    races the cluster's closing logs an ERROR traceback (dask/distributed#7192; 3 ``spillmap screen``
    runs of 22 here, with exit status 0), and a failed task's "Compute Failed" lines repeat what the
    run reports itself."""
    import logging

    levels = local_cluster_run["levels"]
    assert levels and all(lv and min(lv) >= logging.CRITICAL for lv in levels.values()), levels


def test_local_cluster_workers_leave_ctrl_c_to_the_main_process(local_cluster_run):
    """A terminal's Ctrl-C reaches the worker processes too (the whole foreground process group):
    they ignore SIGINT, and on Linux have it blocked from their start, so that only the main
    process answers it (tests/bad_inputs/test_interrupt.py checks the command's output)."""
    import signal
    import sys

    ignored, blocked = zip(*local_cluster_run["sigint"].values())
    assert all(ignored), local_cluster_run["sigint"]
    if sys.platform.startswith("linux") and hasattr(signal, "pthread_sigmask"):
        assert all(blocked), local_cluster_run["sigint"]


def test_local_cluster_leaves_the_environment_as_it_found_it(local_cluster_run):
    """distributed's nannies set OMP/MKL/OPENBLAS_NUM_THREADS=1, MALLOC_TRIM_THRESHOLD_ and
    PYTHONHASHSEED in the parent's os.environ (pre-spawn-environ; distributed 2024.8 and 2026.8 do).
    Left there, a fit later in the same session took OMP_NUM_THREADS=1 for the user's thread choice
    and ran its dense algebra on the BLAS default threads: the demo's numbers then differed from a
    fresh process's in the last digits (a test of byte-identical reruns failed in a reordered run)."""
    before, during, after = (local_cluster_run[k] for k in ("before", "during", "after"))
    added = {k: during[k] for k in during.keys() - before.keys()}
    assert after == before, (f"left behind: {sorted(after.keys() - before.keys())}, "
                             f"changed: {sorted(k for k in before if after.get(k) != before[k])}; "
                             f"set while the cluster ran: {added}")


def _captured_call(monkeypatch, argv):
    """The keyword arguments ``spillmap screen ARGV`` hands to ``spillmap.screen`` (not run)."""
    import spillmap

    seen = {}

    def fake(*args, **kwargs):
        seen.update(kwargs)
        raise InputError("stop here")

    monkeypatch.setattr(spillmap, "screen", fake)
    assert main(argv) == 2
    return seen


def test_one_vocabulary_transform_o_and_fe(monkeypatch, tmp_path, capsys, us48_queen):
    """--transform R|B|O and --fe as in fit/moran; the old --transform asis and --effects still
    read, with the same note as the other commands' old spellings."""
    from spillmap.spatial.io import write_weights

    gal = tmp_path / "w.gal"
    write_weights(us48_queen.binary(), gal)
    base = ["screen", "--data", "produc", "--id", "state_abbr", "--time", "year", "--w", str(gal),
            "--statistics", "lm", "--lm-x", "unemp", "--out", str(tmp_path / "o")]
    seen = _captured_call(monkeypatch, base + ["--transform", "O", "--fe", "individual"])
    assert seen["weights"]["w"]["transform"] == "O" and seen["lm"]["fe"] == "individual"
    assert "deprecated" not in capsys.readouterr().err
    seen = _captured_call(monkeypatch, base + ["--transform", "asis", "--effects", "time"])
    assert seen["weights"]["w"]["transform"] == "O" and seen["lm"]["fe"] == "time"
    err = capsys.readouterr().err
    assert "spillmap screen: note: --transform asis is deprecated; write --transform O" in err
    assert "spillmap screen: note: --effects is deprecated; write --fe" in err
    with pytest.raises(SystemExit) as exc:
        main(base + ["--fe", "random"])
    assert exc.value.code == 2 and "--fe" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["screen", "--help"])
    help_text = capsys.readouterr().out
    assert "--transform {R,B,O}" in help_text and "--fe {none,individual,time,twoways}" in help_text
    assert "--effects" not in help_text and "asis" not in help_text


def test_lm_mapping_takes_fe_and_reads_effects_with_a_warning():
    from spillmap.screen import LMSpec

    assert LMSpec.from_value({"x": ["a"], "fe": "individual"}).effects == "individual"
    assert LMSpec.from_value({"x": ["a"]}).effects == "twoways"
    with pytest.warns(DeprecationWarning, match=r"lm=\{'fe': \.\.\.\}"):
        assert LMSpec.from_value({"x": ["a"], "effects": "time"}).effects == "time"
    with pytest.raises(InputError, match="fe only"):
        LMSpec.from_value({"x": ["a"], "fe": "time", "effects": "time"})
    with pytest.raises(InputError, match="lm fe must be one of none, individual, time, twoways"):
        LMSpec.from_value({"x": ["a"], "fe": "random"})


def test_layer_without_the_panels_id_column_points_to_layer_id(tmp_path, capsys):
    """``--layer us48 --id state_abbr``: the layer's column is STATE_ABBR; the error says to give it
    with --layer-id and suggests it (newcomer audit 29 #3.2), before any work."""
    argv = ["screen", "--data", "produc", "--id", "state_abbr", "--time", "year", "--layer", "us48",
            "--indicators", "pcap", "--w", "queen", "--out", str(tmp_path / "out"), "--workers", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "name the layer's id column with --layer-id. Did you mean 'STATE_ABBR'?" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_queen_and_rook_keep_their_options():
    """``--w queen:transform=B`` built a row-standardised W: the options of queen/rook were dropped
    without a word (numerics audit 30).  They are kept and checked like any kind's."""
    assert weight_specs(["queen:transform=B"], islands="nearest", transform="R")["queen"]["transform"] == "B"
    assert weight_specs(["R1=rook:islands=keep"], islands="nearest", transform="R")["R1"]["islands"] == "keep"
    with pytest.raises(InputError, match=r"unknown option 'trans' \(did you mean 'transform'\?\)"):
        weight_specs(["queen:trans=B"], islands="nearest", transform="R")
