"""Shared fixtures."""
from __future__ import annotations

import pytest


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
