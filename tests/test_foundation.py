"""Package layout, command line skeleton, atomic output and shared result types."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import spillmap
from spillmap import cli
from spillmap._fileio import atomic_directory, atomic_write_text
from spillmap.errors import OutputError, SpillmapError, format_items
from spillmap.results import TestResult


def test_layers_import_under_one_namespace():
    import spillmap.estimation
    import spillmap.geo
    import spillmap.maps
    import spillmap.spatial

    for mod in (spillmap.geo, spillmap.spatial, spillmap.estimation, spillmap.maps):
        assert mod.__name__.startswith("spillmap.")


def test_no_bare_top_level_modules_installed(tmp_path):
    """Only ``spillmap`` is importable: no bare ``geo``/``maps``/``spatial``/``estimation``."""
    code = (
        "import importlib.util, json\n"
        "print(json.dumps({m: importlib.util.find_spec(m) is not None "
        "for m in ['geo', 'maps', 'spatial', 'estimation', 'spillmap', 'spillmap.geo']}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    import json

    found = json.loads(out.stdout)
    assert found == {"geo": False, "maps": False, "spatial": False, "estimation": False,
                     "spillmap": True, "spillmap.geo": True}


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert spillmap.__version__ in capsys.readouterr().out
    assert cli.main([]) == 0
    assert "spillmap" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "spillmap", "--version"], capture_output=True, text=True,
                         cwd=os.path.expanduser("~"))
    assert out.returncode == 0 and "spillmap" in out.stdout


def test_user_errors_print_without_traceback(capsys, monkeypatch):
    def boom(args):
        raise SpillmapError("the panel file x.csv has no column 'gtfp'")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    sub = next(a for a in parser._actions if a.dest == "command")
    p = sub.add_parser("boom")
    p.set_defaults(func=boom)
    assert cli.main(["boom"]) == 2
    err = capsys.readouterr().err
    assert "x.csv" in err and "Traceback" not in err


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "out.json"
    atomic_write_text(target, "old")

    class Boom(Exception):
        pass

    from spillmap._fileio import atomic_path

    with pytest.raises(Boom):
        with atomic_path(target, overwrite=True) as tmp:
            tmp.write_text("half")
            raise Boom
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temp file left behind
    with pytest.raises(OutputError, match="exists"):
        atomic_write_text(target, "new", overwrite=False)
    with pytest.raises(OutputError, match="does not exist"):
        atomic_write_text(tmp_path / "no" / "x.txt", "x")


def test_atomic_directory_needs_force_and_cleans_up(tmp_path):
    out = tmp_path / "report"
    with atomic_directory(out) as d:
        (d / "index.html").write_text("v1")
    assert (out / "index.html").read_text() == "v1"
    with pytest.raises(OutputError, match="--force"):
        with atomic_directory(out):
            pass
    with pytest.raises(RuntimeError):
        with atomic_directory(out, force=True) as d:
            (d / "index.html").write_text("half")
            raise RuntimeError("crash")
    assert (out / "index.html").read_text() == "v1"
    with atomic_directory(out, force=True) as d:
        (d / "index.html").write_text("v2")
    assert (out / "index.html").read_text() == "v2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_format_items_truncates():
    assert format_items(["a", "b", "c"], limit=2) == "'a', 'b' (and 1 more)"
    assert format_items([1, 2]) == "1, 2"


def test_test_result_dict_and_repr():
    r = TestResult("LM-lag", 3.84, 1, 0.05, "rho = 0")
    assert r.to_dict()["p"] == 0.05 and "LM-lag" in repr(r) and "<table>" in r._repr_html_()
    with pytest.raises(Exception):
        r.stat = 1.0  # frozen
