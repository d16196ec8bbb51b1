"""The work of one screen task: a chunk of indicators under one W in one period (or pooled).

A task is a pure function of the scattered panel array, the scattered weights and
a small :class:`Job`; it imports no Dask and runs the same in-process or on a
remote worker.  Its random streams come from ``Job.seed``, derived in the client
from the screen's seed and the task's key (weights name, period): never from the
worker, the chunk or the time.

An indicator that cannot be computed (missing values, a constant, too few units, a
singular regression) gets its reason recorded; the task never fails because of one.
"""
from __future__ import annotations

import time as _time
from dataclasses import dataclass

import numpy as np

from spillmap.errors import SpillmapError, format_items
from spillmap.screen._spec import ROWS, LMSpec
from spillmap.spatial._batch import lisa_columns, moran_geary_columns

__all__ = ["Job", "ChunkResult", "run_job", "job_rows"]

_MIN_UNITS = 4  # the randomisation variance of Moran's I divides by (n-1)(n-2)(n-3)


@dataclass(frozen=True)
class Job:
    """One task: indicator columns ``[start, stop)`` of the array under ``w`` in ``period``."""

    w: str
    period: int | None  # index of the period; None: all periods (pooled)
    label: str
    start: int
    stop: int
    stats: tuple[str, ...]
    permutations: int
    seed: int
    alpha: float
    fdr: bool
    names: tuple[str, ...]  # every column of the array
    labels: tuple[str, ...]  # every period label
    lm: LMSpec | None = None
    lm_cols: tuple[int, ...] = ()


@dataclass(frozen=True)
class ChunkResult:
    """``values`` (q, len(job_rows(job))); ``reasons`` {(column, group): why it failed}."""

    job: Job
    values: np.ndarray
    reasons: dict
    seconds: float


def job_rows(job: Job) -> tuple[str, ...]:
    """The statistic names a job fills, in order."""
    return tuple(r for s in job.stats for r in ROWS[s])


def _problems(y: np.ndarray, ids, labels, n: int) -> list[str]:
    """Why each column of ``y`` (m = n t rows) cannot be tested ("" if it can)."""
    out = []
    finite = np.isfinite(y)
    for j in range(y.shape[1]):
        bad = np.flatnonzero(~finite[:, j])
        col = y[:, j]
        if bad.size:
            cells = [ids[r % n] if len(labels) == 1 else (ids[r % n], labels[r // n]) for r in bad]
            what = "ids" if len(labels) == 1 else "(id, period)"
            out.append(f"{bad.size} missing or infinite value(s) at {what} {format_items(cells, 5)}")
        elif n < _MIN_UNITS:
            out.append(f"too few units ({n}; at least {_MIN_UNITS} are needed)")
        elif float(np.std(col)) <= 1e-13 * max(1.0, float(np.max(np.abs(col)))):
            out.append(f"constant (all values equal {col[0]:g})")
        else:
            out.append("")
    return out


def _spatial(job: Job, y: np.ndarray, w, t: int, ok: np.ndarray) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    if ok.size == 0:
        return out
    if "moran" in job.stats or "geary" in job.stats:
        out.update(moran_geary_columns(y[:, ok], w, t=t, permutations=job.permutations, seed=job.seed,
                                       geary="geary" in job.stats))
    if "lisa" in job.stats and job.period is not None:
        out.update(
            lisa_columns(y[:, ok], w, permutations=job.permutations, seed=job.seed, alpha=job.alpha, fdr=job.fdr)
        )
    return out


def _regression_arrays(values: np.ndarray, job: Job, j: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``y`` (NT,) and ``X`` (NT, k) for indicator column ``j`` of the array, stacked by period."""
    t, n, _ = values.shape
    flat = values.reshape(t * n, -1)
    spec = job.lm
    if spec.role == "y":
        return flat[:, j], flat[:, list(job.lm_cols)], list(spec.x)
    x_idx = list(job.lm_cols[1:]) + [j]
    return flat[:, job.lm_cols[0]], flat[:, x_idx], list(spec.x) + [job.names[j]]


def _lm_row(values, w, job: Job, j: int) -> list[float]:
    from spillmap.spatial.lm import lm_tests

    y, x, names = _regression_arrays(values, job, j)
    r = lm_tests(y, x, w, t=values.shape[0], fe=job.lm.effects, names=names)
    out = []
    for test in (r.lm_lag, r.lm_error, r.robust_lm_lag, r.robust_lm_error):
        out += [test.stat, test.pvalue]
    return out


def _sdm_row(values, w, job: Job, j: int) -> list[float]:
    import pandas as pd

    from spillmap.estimation import SpatialPanel

    t, n, _ = values.shape
    y, x, _ = _regression_arrays(values, job, j)
    cols = [f"x{k}" for k in range(x.shape[1])]
    df = pd.DataFrame(x, columns=cols)
    df.insert(0, "y", y)
    df.insert(0, "time", np.repeat(np.arange(t), n))
    df.insert(0, "id", np.tile(np.asarray(w.ids, dtype=object), t))
    res = SpatialPanel(df, y="y", x=cols, id="id", time="time", w=w, model="sdm", fe=job.lm.effects).fit()
    out = [res.rho, float(res.pvalues[res.spatial_param])]
    if job.lm.role == "x":
        eff = res.impacts(method="delta")
        for kind in (eff.direct, eff.indirect, eff.total):
            out += [float(kind.loc[cols[-1], "estimate"]), float(kind.loc[cols[-1], "p"])]
    else:
        out += [np.nan] * 6
    return out


def _regressions(values, w, job: Job, out: np.ndarray, rows, reasons: dict, ok: list[int]) -> None:
    for stat, fn in (("lm", _lm_row), ("sdm", _sdm_row)):
        if stat not in job.stats or job.period is not None:
            continue
        first = rows.index(ROWS[stat][0])
        for q, j in enumerate(range(job.start, job.stop)):
            if q not in ok:
                continue
            if job.names[j] in job.lm.columns:
                reasons[(q, stat)] = f"{job.names[j]!r} is already in the regression"
                continue
            try:
                out[q, first : first + len(ROWS[stat])] = fn(values, w, job, j)
            except SpillmapError as exc:
                reasons[(q, stat)] = str(exc)


def run_job(values: np.ndarray, weights: dict, job: Job) -> ChunkResult:
    """Compute every statistic of ``job`` for its indicator columns."""
    t0 = _time.perf_counter()
    w = weights[job.w]
    t_all, n, _ = values.shape
    if job.period is None:
        y, t, labels = values[:, :, job.start : job.stop].reshape(t_all * n, -1), t_all, job.labels
    else:
        y, t, labels = values[job.period, :, job.start : job.stop], 1, (job.label,)
    rows = job_rows(job)
    out = np.full((y.shape[1], len(rows)), np.nan)
    reasons: dict = {}
    why = _problems(y, w.ids, labels, n)
    ok = np.flatnonzero([r == "" for r in why])
    for q, r in enumerate(why):
        if r:
            for stat in job.stats:
                reasons[(q, stat)] = r
    spatial = _spatial(job, y, w, t, ok)
    for k, name in enumerate(rows):
        if name in spatial:
            out[ok, k] = spatial[name]
    if job.lm is not None:
        _regressions(values, w, job, out, rows, reasons, ok.tolist())
    return ChunkResult(job, out, reasons, _time.perf_counter() - t0)
