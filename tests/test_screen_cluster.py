"""The screen on a separate scheduler process with two worker processes on 127.0.0.1.

Byte-identical Parquet to the in-process run (each task's streams come from the
seed and its (W, period) key, never from the worker).  Starting the processes takes
about 5-15 s on a shared 2-core machine, hence ``slow``.
"""
from __future__ import annotations

import numpy as np
import pytest

import spillmap
from spillmap.screen._engine import SCHEDULER_ENV, loopback_cluster
from spillmap.screen._output import parquet_bytes

distributed = pytest.importorskip("distributed")


@pytest.mark.slow
def test_separate_scheduler_and_workers_give_identical_bytes(produc_logs, us48_queen, monkeypatch):
    df = produc_logs[["state_abbr", "year", "lgsp", "lpcap", "unemp"]].copy()
    df["flat"] = 1.0
    kw = dict(id="state_abbr", time="year", weights={"queen": us48_queen}, permutations=99, seed=3,
              statistics=("moran", "geary", "lisa"))
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as c:
        local = spillmap.screen(df, client=c, **kw).table
    with loopback_cluster(2) as address:
        assert address.startswith("tcp://127.0.0.1:")
        monkeypatch.setenv(SCHEDULER_ENV, address)  # found through the environment, as the CLI does
        remote = spillmap.screen(df, **kw)
    assert remote.timing["workers"] == 2
    assert parquet_bytes(remote.table) == parquet_bytes(local)
    assert np.isnan(remote.table.loc[remote.table.indicator == "flat", "value"]).all()
