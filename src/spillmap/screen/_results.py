"""The screen's tidy table, its ranking and :class:`ScreenResults`.

The table has one row per (indicator, W, period, statistic), in a fixed order
(indicators as selected, W as given, periods sorted then ``"pooled"``, statistics
in :data:`spillmap.screen._spec.ROWS` order), so the same inputs always give the
same bytes.  Columns: ``indicator, w, period, statistic, value, status
("ok"/"failed"), reason, seed`` (the seed of the row's random stream:
``moran(y, w, permutations=..., seed=seed)`` reproduces a row's pseudo p-value).
"""
from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spillmap.screen._spec import POOLED_LABEL, ROWS
from spillmap.screen._tasks import ChunkResult, Job, job_rows

__all__ = ["ScreenResults", "assemble", "rank"]

_GROUP = {r: g for g, rows in ROWS.items() for r in rows}
_STAT_ORDER = {r: i for i, r in enumerate(r for rows in ROWS.values() for r in rows)}
COLUMNS = ["indicator", "w", "period", "statistic", "value", "status", "reason", "seed"]


def _chunk_frame(job: Job, res: ChunkResult | BaseException) -> pd.DataFrame:
    rows = job_rows(job)
    q = job.stop - job.start
    names = list(job.names[job.start : job.stop])
    if isinstance(res, BaseException):
        values = np.full((q, len(rows)), np.nan)
        reasons = {(j, g): f"task failed: {type(res).__name__}: {res}" for j in range(q) for g in job.stats}
    else:
        values, reasons = res.values, res.reasons
    reason = [reasons.get((j, _GROUP[r]), "") for j in range(q) for r in rows]
    return pd.DataFrame(
        {
            "indicator": np.repeat(np.asarray(names, dtype=object), len(rows)),
            "w": job.w,
            "period": job.label,
            "statistic": np.tile(np.asarray(rows, dtype=object), q),
            "value": values.reshape(-1),
            "reason": reason,
            "seed": np.int64(job.seed),
        }
    )


def assemble(jobs: list[Job], results: list, *, indicators: list[str], weights: list[str], labels: list[str]) -> pd.DataFrame:
    """The tidy table from the tasks' results, in the canonical order."""
    parts = [_chunk_frame(j, r) for j, r in zip(jobs, results)]
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    df["status"] = np.where(df["reason"] == "", "ok", "failed")
    order = [
        df["indicator"].map({v: i for i, v in enumerate(indicators)}),
        df["w"].map({v: i for i, v in enumerate(weights)}),
        df["period"].map({v: i for i, v in enumerate(list(labels) + [POOLED_LABEL])}),
        df["statistic"].map(_STAT_ORDER),
    ]
    keys = pd.DataFrame({f"k{i}": o.to_numpy() for i, o in enumerate(order)})
    idx = keys.sort_values(list(keys.columns), kind="mergesort").index
    out = df.loc[idx, COLUMNS].reset_index(drop=True)
    for c in ("indicator", "w", "period", "statistic", "status", "reason"):
        out[c] = out[c].astype(str)
    out["value"] = out["value"].astype("float64")
    out["seed"] = out["seed"].astype("int64")
    return out


def _wide(table: pd.DataFrame, pooled: bool) -> pd.DataFrame:
    ok = table[(table["status"] == "ok") & ((table["period"] == POOLED_LABEL) == pooled)]
    index = ["indicator", "w"] if pooled else ["indicator", "w", "period"]
    return ok.pivot_table(index=index, columns="statistic", values="value", aggfunc="first", sort=False)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(np.nan, index=frame.index, dtype=float)


def rank(table: pd.DataFrame, *, labels: list[str], alpha: float, permutations: int) -> pd.DataFrame:
    """One row per (indicator, W): the ranking figures, best (mean Moran z) first.

    ``mean_z``: mean randomisation z of Moran's I over the periods; ``share_significant``:
    share of periods with the pseudo p-value (the randomisation p without
    permutations) at most ``alpha``; ``trend``: OLS slope of I on the period number
    (0, 1, ...; NaN below two periods); ``pooled_I``/``pooled_z``; ``mean_HH``/
    ``mean_LL``: mean significant LISA clusters per period; ``failed``: failed rows;
    ``moran_I``: the series of I by period (for the sparklines); with ``statistics`` ``"lm"`` or
    ``"sdm"``, the regression's pooled tests and SDM estimates (``lm_lag``, ``lm_lag_p``, ...,
    ``sdm_indirect_p``).  ``rank`` is within each W; indicators without Moran's I come last.
    """
    keys = pd.MultiIndex.from_frame(table[["indicator", "w"]].drop_duplicates())
    per, pooled = _wide(table, False), _wide(table, True)
    grp = [per.index.get_level_values(0), per.index.get_level_values(1)]
    i_val = _col(per, "moran_I")
    tpos = pd.Series(pd.Index(labels).get_indexer(per.index.get_level_values(2)), index=per.index, dtype=float)
    tpos = tpos.where(i_val.notna())
    dt = tpos - tpos.groupby(grp).transform("mean")
    di = i_val - i_val.groupby(grp).transform("mean")
    pv = _col(per, "moran_p_perm" if permutations else "moran_p")
    series = (i_val.unstack("period").reindex(index=keys, columns=labels) if len(per)
              else pd.DataFrame(np.nan, index=keys, columns=labels))  # e.g. only pooled LM tests
    out = pd.DataFrame(index=keys)
    out["mean_z"] = _col(per, "moran_z").groupby(grp).mean().reindex(keys)
    out["share_significant"] = (pv <= alpha).where(pv.notna()).astype(float).groupby(grp).mean().reindex(keys)
    out["trend"] = ((dt * di).groupby(grp).sum() / (dt * dt).groupby(grp).sum().replace(0.0, np.nan)).reindex(keys)
    out["pooled_I"] = _col(pooled, "moran_I").reindex(keys)
    out["pooled_z"] = _col(pooled, "moran_z").reindex(keys)
    out["mean_HH"] = _col(per, "lisa_HH").groupby(grp).mean().reindex(keys)
    out["mean_LL"] = _col(per, "lisa_LL").groupby(grp).mean().reindex(keys)
    pooled_tests = [c for c in (*ROWS["lm"], *ROWS["sdm"]) if c in pooled]  # the regression's, when screened
    for c in pooled_tests:
        out[c] = pooled[c].reindex(keys)
    failed = (table["status"] == "failed").groupby([table["indicator"], table["w"]]).sum()
    out["failed"] = failed.reindex(keys).fillna(0).astype(int)
    out["moran_I"] = [series.loc[k].to_numpy(float) if k in series.index else np.full(len(labels), np.nan) for k in keys]
    out = out.reset_index()
    key = out["mean_z"].fillna(out["pooled_z"])
    out["rank"] = key.groupby(out["w"]).rank(ascending=False, method="first").astype("Int64")
    w_order = out["w"].map({w: i for i, w in enumerate(pd.unique(table["w"]))})
    out = out.assign(_w=w_order, _k=key.fillna(-np.inf))
    out = out.sort_values(["_w", "_k"], ascending=[True, False], kind="mergesort")
    cols = ["rank", "indicator", "w", "mean_z", "share_significant", "trend", "pooled_I", "pooled_z",
            "mean_HH", "mean_LL", "failed", *pooled_tests, "moran_I"]
    return out[cols].reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class ScreenResults:
    """The outcome of :func:`spillmap.screen`.

    Attributes
    ----------
    table
        The tidy table (see the module docstring).
    ranking
        :func:`rank` of the table (``moran_I`` holds the per-period series).
    settings
        The options of the run (permutations, seed, alpha, fdr, statistics, ...).
    timing
        Wall time, task time, number of tasks and workers (never written to the table).
    indices
        Composite indicators built for the run, ``{name: CompositeIndex}``.
    """

    table: pd.DataFrame
    ranking: pd.DataFrame
    settings: Mapping
    timing: Mapping = field(default_factory=dict)
    indices: Mapping = field(default_factory=dict)
    _context: Mapping = field(default_factory=dict, repr=False)

    def failures(self) -> pd.DataFrame:
        """One row per failed (indicator, W, period, statistic group) with its reason."""
        f = self.table[self.table["status"] == "failed"].copy()
        f["group"] = f["statistic"].map(_GROUP)
        return f[["indicator", "w", "period", "group", "reason"]].drop_duplicates().reset_index(drop=True)

    def to_parquet(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the tidy table as Parquet (pyarrow), atomically.

        Parameters
        ----------
        path
            The file to write.
        overwrite
            Replace an existing file (default ``False``: an error).
        """
        from spillmap.screen._output import write_parquet

        return write_parquet(self.table, path, overwrite=overwrite)

    def to_csv(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the tidy table as CSV (text cells neutralised for spreadsheets), atomically.

        Parameters
        ----------
        path
            The file to write.
        overwrite
            Replace an existing file (default ``False``: an error).
        """
        from spillmap.screen._output import write_csv

        return write_csv(self.table, path, overwrite=overwrite)

    def save(self, out_dir: str | os.PathLike, *, force: bool = False, maps_top_k: int = 5,
             inputs: Mapping[str, str | os.PathLike] | Sequence[str | os.PathLike] = ()) -> Path:
        """Write ``screen.parquet``, ``screen.csv``, ``ranking.csv``, ``index.html`` and the
        top-k maps (when a layer was given) into a new folder, built aside and moved
        into place at the end (an existing folder is replaced only with ``force``).

        Parameters
        ----------
        out_dir
            The folder to write.
        force
            Replace an existing folder (default ``False``: an error).
        maps_top_k
            Maps drawn for the top-ranked indicators (default 5), when a layer was given.
        inputs
            The files the screen read (or ``{"label": path}``): a folder that is or holds one
            is refused even with ``force`` (:func:`spillmap._fileio.preflight`).
        """
        from spillmap.screen._output import save_folder

        return save_folder(self, out_dir, force=force, maps_top_k=maps_top_k, inputs=inputs)

    def to_frame(self) -> pd.DataFrame:
        """The ranking of the indicators (one row per indicator and W; ``table`` has every
        statistic of every period)."""
        return self.ranking.copy()

    def summary(self, top: int = 10) -> str:
        """A text summary: the settings and failures in one line, then the ranking.

        Parameters
        ----------
        top
            Ranked indicators shown per W (default 10).
        """
        s = self.settings
        head = (
            f"spillmap screen: {len(s['indicators'])} indicator(s) x {len(s['weights'])} W x "
            f"{len(s['periods'])} period(s); {s['permutations']} permutations, seed {s['seed']}; "
            f"{len(self.failures())} failure(s)"
        )
        cols = ["rank", "w", "indicator", "mean_z", "share_significant", "trend", "pooled_I",
                "lm_lag", "lm_lag_p", "lm_error", "lm_error_p", "sdm_indirect", "sdm_indirect_p"]
        body = self.ranking.groupby("w", sort=False).head(top)[[c for c in cols if c in self.ranking]]
        return head + "\n" + body.to_string(index=False)

    def __repr__(self) -> str:
        return f"ScreenResults({len(self.table)} rows, {len(self.failures())} failure(s))"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.ranking.drop(columns="moran_I").head(20).to_html(escape=True)
