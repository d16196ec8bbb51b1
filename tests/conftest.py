"""Shared fixtures, and the suite's tiers.

The default suite (``pytest``) leaves out two tiers (``addopts`` in pyproject.toml):

* ``e2e``: end-to-end checks: the demo report (built once per session, ~30-50 s) and every test that
  reads it, a headless Chromium (every ``browser`` test is ``e2e`` too, :func:`pytest_collection_modifyitems`),
  interrupted and competing processes, the figures' page layouts.  ``pytest -m "e2e and not slow"``;
  ``.ci/run`` runs it after the default suite, on both version sets.
* ``slow``: Monte Carlo, larger panels, a real Dask cluster, the benchmark scripts.  ``pytest -m slow``.

A test that builds the demo or starts Chromium must be ``e2e`` (or ``browser``): a session that leaves
``e2e`` out sets ``SPILLMAP_TESTS_DEFAULT_TIER``, and ``_demo_shared.build_demo_once`` and
``test_browser.start_chrome`` then fail the test that asked (``tests/test_tiers.py``).
"""
from __future__ import annotations

import os

import pytest

#: set while the session leaves the e2e tier out
DEFAULT_TIER = "SPILLMAP_TESTS_DEFAULT_TIER"


def pytest_configure(config):
    """Tell the demo's and the browser's helpers when the session leaves the ``e2e`` tier out (the
    default suite); pytest-xdist's workers run this hook with the same options."""
    if "not e2e" in (config.option.markexpr or ""):
        os.environ[DEFAULT_TIER] = "1"
    else:
        os.environ.pop(DEFAULT_TIER, None)


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config, items):
    """Every ``browser`` test is an ``e2e`` test."""
    for item in items:
        if item.get_closest_marker("browser") is not None and item.get_closest_marker("e2e") is None:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def us48():
    from spillmap import datasets

    return datasets.us48()


@pytest.fixture(scope="session")
def produc():
    from spillmap import datasets

    return datasets.produc()


@pytest.fixture(scope="session")
def us48_queen(us48):
    """Queen contiguity of the US-48 states (libpysal Graph, ``rook=False``), row-standardised.

    Immutable, so one object serves every test module.
    """
    from libpysal.graph import Graph

    from spillmap.spatial.weights import SpatialWeights

    g = Graph.build_contiguity(us48.set_index("STATE_ABBR"), rook=False)
    return SpatialWeights.from_libpysal(g, name="us48 queen").row_standardize()


@pytest.fixture(scope="session")
def produc_logs(produc):
    """Produc with the usual logs (lgsp, lpcap, lpc, lemp); copy it before changing it."""
    import numpy as np

    df = produc.copy()
    df["lgsp"] = np.log(df.gsp)
    df["lpcap"], df["lpc"], df["lemp"] = np.log(df.pcap), np.log(df.pc), np.log(df.emp)
    return df


@pytest.fixture
def in_process(monkeypatch):
    """``spillmap.screen`` (API and CLI) on a threaded Dask client in this process, one worker,
    instead of a local cluster of processes (shared by the screen's CLI and input tests)."""
    import contextlib

    distributed = pytest.importorskip("distributed")
    import spillmap.screen._api as api

    @contextlib.contextmanager
    def fake(*, client=None, scheduler=None, workers=None):
        with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as c:
            yield c

    monkeypatch.setattr(api, "dask_client", fake)


@pytest.fixture
def one_blas_thread():
    """BLAS limited to one thread while the test runs, for tests whose cost is their own dense
    reference computation on small matrices (NT x NT likelihood oracles, simulations).

    Under pytest-xdist two workers share the CI's 2 cores, and a multithreaded OpenBLAS stalls on
    such sizes while it waits for its threads: tests/test_random_effects.py took 44 s in the
    lowest-versions run (default BLAS threads) against 4.6 s with one thread.  spillmap's own
    numerics run single-threaded anyway (spillmap._threads), so only the tests' own algebra is
    changed; tests/test_threads.py, which checks that limit, does not use this fixture."""
    threadpoolctl = pytest.importorskip("threadpoolctl")  # a declared dependency
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        yield
