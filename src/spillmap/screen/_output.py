"""Writing a screen: Parquet, CSV, the ranking, the HTML page and the top-k maps.

Every file goes through :mod:`spillmap._fileio` (temporary file or folder renamed
into place), so an interrupted run leaves nothing half-written.  The Parquet file
is written by pyarrow from the tidy table alone (no timing, no host, no time
stamp), so identical results give identical bytes.  Maps are drawn only for the
``maps_top_k`` best-ranked indicators of each W, with the maps layer's offline
writer (:func:`spillmap.maps.save_map`: Leaflet inlined, no CDN).
"""
from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from spillmap._fileio import atomic_directory, atomic_write_bytes, atomic_write_text
from spillmap._textsafe import csv_text
from spillmap.spatial._permutation import derive_seed

__all__ = ["write_parquet", "write_csv", "save_folder", "parquet_bytes"]


def parquet_bytes(table: pd.DataFrame) -> bytes:
    """The table as Parquet bytes (pyarrow, snappy, no index)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), buf)
    return buf.getvalue()


def write_parquet(table: pd.DataFrame, path, *, overwrite: bool = False) -> Path:
    return atomic_write_bytes(path, parquet_bytes(table), overwrite=overwrite)


def write_csv(table: pd.DataFrame, path, *, overwrite: bool = False) -> Path:
    return atomic_write_text(path, csv_text(table, index=False), overwrite=overwrite)


def _ranking_frame(res) -> pd.DataFrame:
    """The ranking with the Moran's I series spread into one column per period."""
    r = res.ranking.drop(columns="moran_I")
    labels = list(res.settings["periods"])
    if len(res.ranking):
        series = np.vstack(res.ranking["moran_I"].to_numpy()) if labels else np.empty((len(r), 0))
        for k, lab in enumerate(labels):
            r[f"I_{lab}"] = series[:, k]
    return r


def _slug(text: str) -> str:
    """``text`` as a file-name part with a short hash of it (two W names never collide)."""
    return f"{_name_part(text, 'w')}-{hashlib.blake2b(text.encode(), digest_size=3).hexdigest()}"


def _name_part(text: str, empty: str = "x") -> str:
    """``text`` as a file-name part (no hash: the rank before an indicator's keeps names apart)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text))[:40].strip("._") or empty


def _maps(res, folder: Path, top_k: int) -> dict:
    """Choropleth and LISA map of the last period for the top-k indicators of each W."""
    ctx = res._context
    if top_k <= 0 or ctx.get("layer") is None:
        return {}
    from spillmap.maps import choropleth, lisa_map, save_map
    from spillmap.spatial.autocorrelation import local_moran

    folder.mkdir()
    s = res.settings
    label = s["periods"][-1]
    values, names, layer, lid = ctx["values"], ctx["names"], ctx["layer"], ctx["layer_id"]
    out = {}
    for _, row in res.ranking[res.ranking["rank"] <= top_k].iterrows():
        w = ctx["weights"][row["w"]]
        y = values[-1, :, names.index(row["indicator"])]
        if not np.all(np.isfinite(y)) or np.std(y) == 0:
            continue
        # the W, the rank (unique within a W) and the indicator's name, readable in a file listing
        base = f"{_slug(row['w'])}-{int(row['rank']):04d}-{_name_part(row['indicator'])}"
        gdf = layer.set_index(lid).loc[list(w.ids)].reset_index()
        col = row["indicator"] if row["indicator"] not in gdf.columns else f"{row['indicator']} (screened)"
        gdf[col] = y
        title = f"{row['indicator']} ({label})"
        m = choropleth(gdf, col, id=lid, name_column=ctx.get("name_column"), title=title, notice=ctx.get("notice"))
        save_map(m, folder / f"{base}-choropleth.html")
        lisa = local_moran(
            y, w, permutations=max(1, s["permutations"]), seed=derive_seed(s["seed"], row["w"], label),
            alpha=s["alpha"], fdr=s["fdr"], name=row["indicator"],
        )
        # the map's note names the user's seed; the permutations drew from its (W, period) stream
        lisa.attrs["seed"] = f"{s['seed']} (the stream of W {row['w']}, {label})"
        m = lisa_map(gdf, lisa, id=lid, name_column=ctx.get("name_column"), variable=row["indicator"],
                     alpha=s["alpha"], permutations=s["permutations"], title=f"LISA: {title}", notice=ctx.get("notice"))
        save_map(m, folder / f"{base}-lisa.html")
        out[(row["indicator"], row["w"])] = {"choropleth": f"maps/{base}-choropleth.html", "lisa": f"maps/{base}-lisa.html"}
    return out


def save_folder(res, out_dir, *, force: bool, maps_top_k: int, inputs=()) -> Path:
    """``screen.parquet``, ``screen.csv``, ``ranking.csv``, indices, maps and ``index.html``
    (``inputs``: the files read, which ``out_dir`` must neither be nor hold)."""
    from spillmap.screen._html import page

    with atomic_directory(out_dir, force=force, inputs=inputs) as tmp:
        write_parquet(res.table, tmp / "screen.parquet")
        write_csv(res.table, tmp / "screen.csv")
        atomic_write_text(tmp / "ranking.csv", csv_text(_ranking_frame(res), index=False))
        for name, idx in res.indices.items():
            atomic_write_text(tmp / f"weights_{_slug(name)}.csv", csv_text(idx.weights, index=False))
        links = _maps(res, tmp / "maps", maps_top_k)
        atomic_write_text(tmp / "index.html", page(res, links))
    return Path(out_dir)
