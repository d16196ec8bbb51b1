"""spillmap.study._side: the side steps' values, progress messages and warnings come back in
the serial order, recorded and shown once, whether a forked process ran them or not."""
from __future__ import annotations

import os
import sys
import warnings
from types import SimpleNamespace

import pytest

import spillmap._forkshare as forkshare
from spillmap._warnings import capture_warnings
from spillmap.errors import WeightsWarning
from spillmap.study import _side

FORKS = [True, False] if sys.platform.startswith("linux") else [False]


def _fake_jobs(study, inputs):
    def first(progress):
        progress("first: one")
        warnings.warn("W of group A has 2 islands", WeightsWarning)
        warnings.warn("W of group A has 2 islands", WeightsWarning)  # the same message: kept once
        progress("first: two")
        return {"pid": os.getpid(), "n": 1}, {"rec:first": "r1"}

    def second(progress):
        progress("second")
        warnings.warn("raised before the side steps too", WeightsWarning)
        warnings.warn("W of group B is disconnected", WeightsWarning)
        return {"pid": os.getpid(), "n": 2}, {"rec:second": "r2"}

    return [("within", first), ("baseline", second)]


@pytest.mark.parametrize("fork", FORKS)
def test_values_messages_and_warnings_in_the_serial_order(fork, monkeypatch):
    monkeypatch.setattr(_side, "_jobs", _fake_jobs)
    monkeypatch.setattr(forkshare, "fork_available", lambda: fork)
    study = SimpleNamespace(heterogeneity=None, tables=SimpleNamespace(include=()), weights=())
    shown: list[str] = []
    steps: list[str] = []
    with capture_warnings(show=shown.append) as log:
        side = _side.SideSteps(study, None).start()
        forked = side._shared.forked
        warnings.warn("raised before the side steps too", WeightsWarning)
        out = side.gather({}, steps.append)
    assert steps == ["first: one", "first: two", "second"]
    expected = ["raised before the side steps too", "W of group A has 2 islands", "W of group B is disconnected"]
    assert list(log.messages) == expected and shown == expected  # recorded and shown once each
    assert out["within"]["n"] == 1 and out["baseline"]["n"] == 2
    assert list(out["fits"]) == ["rec:first", "rec:second"]
    assert out["heterogeneity"] == {} and out["missing"] == []
    assert forked is fork  # (which process ran which job depends on timing)


@pytest.mark.parametrize("fork", FORKS)
def test_a_failing_side_step_raises_its_error(fork, monkeypatch):
    from spillmap.errors import DataError

    def bad(progress):
        raise DataError("heterogeneity.columns: 'region' changes over time for units ['a']")

    monkeypatch.setattr(_side, "_jobs", lambda study, inputs: [("within", bad), ("baseline", bad)])
    monkeypatch.setattr(forkshare, "fork_available", lambda: fork)
    study = SimpleNamespace(heterogeneity=None, tables=SimpleNamespace(include=()), weights=())
    side = _side.SideSteps(study, None).start()
    with pytest.raises(DataError, match="changes over time"):
        side.gather({}, lambda msg: None)


def test_large_panels_keep_to_one_process(monkeypatch):
    monkeypatch.setattr(_side, "_jobs", _fake_jobs)
    monkeypatch.setattr(forkshare, "fork_available", lambda: True)
    monkeypatch.setattr(_side, "FORK_MAX_ROWS", 10)
    study = SimpleNamespace(heterogeneity=None, tables=SimpleNamespace(include=()), weights=())
    inputs = SimpleNamespace(panel=[0] * 11)
    side = _side.SideSteps(study, inputs).start()
    assert not side._shared.forked
    with capture_warnings(show=lambda msg: None):
        out = side.gather({}, lambda msg: None)
    assert out["within"]["pid"] == os.getpid() == out["baseline"]["pid"]
    small = _side.SideSteps(study, SimpleNamespace(panel=[0] * 10)).start()
    assert small._shared.forked is sys.platform.startswith("linux")
    small.abort()
