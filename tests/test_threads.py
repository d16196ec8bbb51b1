"""spillmap._threads: BLAS limited to one thread inside the numerics unless the user
chose a count (environment variable, SPILLMAP_BLAS_THREADS, or a lowered library count)."""
from __future__ import annotations

import numpy as np
import pytest

from spillmap import _threads
from spillmap._threads import THREAD_ENV, blas_thread_limit, limit_blas, single_threaded_blas

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_counts() -> list[int]:
    ctl = _threads._controller()
    return [lib.num_threads for lib in ctl.lib_controllers if lib.user_api == "blas"]


@pytest.fixture
def clean_env(monkeypatch):
    for name in (*THREAD_ENV, "SPILLMAP_BLAS_THREADS"):
        monkeypatch.delenv(name, raising=False)
    if not _blas_counts():
        pytest.skip("threadpoolctl sees no BLAS library here")
    if _threads._available_cpus() < 2 or min(_blas_counts()) < _threads._available_cpus():
        pytest.skip("BLAS already runs one thread (or fewer than the CPUs) in this process")


def test_limited_inside_and_restored_after(clean_env):
    before = _blas_counts()
    assert blas_thread_limit() == 1
    with limit_blas():
        assert _blas_counts() == [1] * len(before)
    assert _blas_counts() == before


def test_decorated_function_runs_single_threaded(clean_env):
    seen = []

    @single_threaded_blas
    def work():
        seen.append(_blas_counts())
        return np.linalg.eigvalsh(np.eye(3))

    work()
    assert seen and all(c == 1 for c in seen[0])


@pytest.mark.parametrize("name", ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"])
def test_environment_variable_respected(clean_env, monkeypatch, name):
    monkeypatch.setenv(name, "2")
    before = _blas_counts()
    assert blas_thread_limit() is None
    with limit_blas():
        assert _blas_counts() == before


def test_user_threadpoolctl_limit_respected(clean_env):
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        assert blas_thread_limit() is None  # a count below the CPUs is the user's choice
        with limit_blas():
            assert _blas_counts() == [1] * len(_blas_counts())


def test_spillmap_variable(clean_env, monkeypatch):
    monkeypatch.setenv("SPILLMAP_BLAS_THREADS", "auto")
    assert blas_thread_limit() is None
    monkeypatch.setenv("SPILLMAP_BLAS_THREADS", "2")
    assert blas_thread_limit() == 2


def test_fit_runs_inside_the_limit(clean_env, monkeypatch):
    """The fixed-effects fit's least squares sees one BLAS thread."""
    import pandas as pd
    import scipy.sparse as sp

    from spillmap.estimation import SpatialPanel, _ml
    from spillmap.spatial.weights import SpatialWeights

    seen = []
    real = _ml.least_squares

    def spy(*a, **k):
        seen.append(_blas_counts())
        return real(*a, **k)

    monkeypatch.setattr(_ml, "least_squares", spy)
    n, t = 9, 3
    m = sp.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1]).tocsr()
    w = SpatialWeights.from_sparse(m, [str(i) for i in range(n)]).row_standardize()
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"id": np.tile(w.ids, t), "time": np.repeat(np.arange(t), n),
                       "y": rng.normal(size=n * t), "x": rng.normal(size=n * t)})
    SpatialPanel(df, y="y", x=["x"], id="id", time="time", w=w, model="sar", fe="individual").fit()
    assert seen and all(all(c == 1 for c in counts) for counts in seen)


def test_study_runs_inside_the_limit(clean_env, monkeypatch):
    """A study's steps (linearmodels' baseline least squares among them) see one BLAS
    thread: the first step records the counts and stops the run."""
    import importlib

    study_run = importlib.import_module("spillmap.study.run")  # the module (the package exports the function)

    seen = []

    class Stop(Exception):
        pass

    def spy(study):
        seen.append(_blas_counts())
        raise Stop

    monkeypatch.setattr(study_run, "load_inputs", spy)
    from types import SimpleNamespace

    study = SimpleNamespace(tables=SimpleNamespace(include=()), weights=())
    with pytest.raises(Stop):
        study_run.run(study)
    assert seen and all(c == 1 for c in seen[0])
    assert _blas_counts() != [1] * len(seen[0])  # restored after the run
