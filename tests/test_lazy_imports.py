"""The packages import their names on first use (spillmap._lazy): what ``spillmap fit``
needs does not load the heavy modules, and every public name still resolves."""
from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_fit_path_does_not_import_scipy_stats_or_geopandas():
    # the modules the command line's fit runs: the CLI, reading a table, the model and the effects
    out = _run("import sys, spillmap.cli, spillmap.study.inputs, spillmap.estimation.model, "
               "spillmap.estimation.effects, spillmap.spatial.io, spillmap.geo; "
               "print(sorted(m for m in ('scipy.stats', 'geopandas', 'pyproj', 'esda') if m in sys.modules))")
    assert out.strip() == "[]"


@pytest.mark.parametrize("package", ["spillmap.geo", "spillmap.spatial", "spillmap.estimation"])
def test_every_public_name_resolves(package):
    import importlib

    mod = importlib.import_module(package)
    for name in mod.__all__:
        assert getattr(mod, name) is not None
    assert set(mod.__all__) <= set(dir(mod))
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        mod.no_such_name  # noqa: B018


def test_function_named_like_its_module_stays_the_function():
    # the submodule imported first binds itself on the package; the function must win
    out = _run("import spillmap.estimation.scenario, spillmap.estimation.hausman\n"
               "from spillmap.estimation import scenario, hausman\n"
               "import spillmap.estimation as e\n"
               "print(callable(scenario), callable(hausman), e.scenario is scenario, type(e.hausman).__name__)")
    assert out.split() == ["True", "True", "True", "function"]
