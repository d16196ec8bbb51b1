"""``spillmap moran``: Moran's I of one variable, per period and pooled, as JSON.

Composes :func:`spillmap.spatial.io.read_weights` and
:mod:`spillmap.spatial.autocorrelation`; no numerics here.
"""
from __future__ import annotations

import argparse
from typing import Any

from spillmap._warnings import warns_on_cli
from spillmap.cli._fit import json_outputs, write_json
from spillmap.cli._vocab import (add_transform, data_notice, noticed, path_arg, read_table, transform_weights,
                                 with_variables)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "moran",
        help="global Moran's I of a variable, per period and pooled (JSON)",
        description=(
            "Global Moran's I of VAR in a long panel (or a cross-section without --time): "
            "one test per period and one on the stacked panel with the block-diagonal "
            "I_T kron W.  z and p are the randomisation values (two-sided); p_perm is "
            "the folded permutation pseudo p-value (one-sided, on the side of the observed I, as esda's p_sim)."
        ),
    )
    p.add_argument("--data", required=True, metavar="PANEL.csv", type=path_arg, help="long table, one row per (id, time): a CSV, Excel (.xlsx) or Parquet file or a bundled table")
    p.add_argument("--id", required=True, metavar="COL", help="unit id column (matched to the weights' ids)")
    p.add_argument("--time", metavar="COL", help="period column (omit for a cross-section)")
    p.add_argument("--var", required=True, metavar="NAME", help="the variable to test")
    p.add_argument("--w", required=True, metavar="W", type=path_arg, help="weights file (.gal, .gwt, .mtx or .csv) or a bundled matrix (cigar_w)")
    add_transform(p)
    p.add_argument("--permutations", type=int, default=999, help="random permutations (default 999; 0 = none)")
    p.add_argument("--seed", type=int, default=0, help="seed of the permutations (default 0)")
    p.add_argument("--demean", choices=("pooled", "period"), default="pooled",
                   help="the pooled test's mean: one over all periods (default; a trend common to the units "
                        "adds to I) or each period's own (the trend drops out; permutations within periods)")
    p.add_argument("--json", metavar="OUT.json", type=path_arg, help="write the results here (atomically)")
    p.add_argument("--force", action="store_true", help="replace an existing --json file")
    p.set_defaults(func=run, outputs=json_outputs)


def _read_table(path: str, id_col: str, time_col: str | None, var: str | None):
    """The panel (a file or a bundled table), with a transform such as ``log(gsp)`` evaluated."""
    from spillmap._readcsv import require_columns
    from spillmap._rowplace import check_keys_filled, check_periods

    df = read_table(path, id_col)
    require_columns(df, path, [id_col] + ([time_col] if time_col else []))
    check_keys_filled(df, id_col, time_col)
    check_periods(df, time_col)
    columns = [c for c in (time_col, var) if c]
    df = with_variables(df, [c for c in columns if c not in df.columns and "(" in c], where="--var", id=id_col,
                        time=time_col)
    require_columns(df, path, columns)
    return df


def _weights(path, id_values):
    """The weights file as stored; read again against the data's ids when their units differ, so that
    the error names the file and explains ids written otherwise (leading zeros, letter case)."""
    from spillmap.spatial.io import read_weights

    w = read_weights(path)
    ids = list(dict.fromkeys(id_values.astype(str)))
    return w if set(ids) == set(w.ids) else read_weights(path, ids=ids)


def _key(t: Any) -> str:
    if isinstance(t, float) and t.is_integer():
        t = int(t)
    return str(t)


def build_document(panel, *, id: str, time: str | None, var: str, w, permutations: int, seed: int,  # noqa: A002
                   demean: str = "pooled") -> dict:
    """``{"by_time": {"<t>": {...}}, "pooled": {...}, "demean": ...}`` (``by_time`` and ``demean``, the
    pooled test's mean, only with a period column)."""
    from spillmap.spatial.autocorrelation import moran, moran_by_period, moran_pooled, panel_array

    if time is None:
        arr, _ = panel_array(panel, id=id, time=None, columns=[var], w=w)
        return {"pooled": moran(arr[0, :, 0], w, permutations=permutations, seed=seed, name=var).to_dict()}
    by = moran_by_period(panel, id=id, time=time, var=var, w=w, permutations=permutations, seed=seed)
    pooled = moran_pooled(panel, id=id, time=time, var=var, w=w, permutations=permutations, seed=seed,
                          demean=demean)
    return {"by_time": {_key(t): r.to_dict() for t, r in by.items()}, "pooled": pooled.to_dict(), "demean": demean}


def _table(doc: dict) -> str:
    def fmt(x: float | None, spec: str) -> str:
        return "-" if x is None else format(x, spec)

    pooled = "pooled" if doc.get("demean") != "period" else "pooled, period-demeaned"
    width = max(10, len(pooled) + 1) if "by_time" in doc else 10
    lines = [f"{'period':<{width}}{'I':>10}{'E[I]':>10}{'z':>10}{'p':>11}{'p_perm':>9}"]
    rows = list(doc.get("by_time", {}).items()) + [(pooled, doc["pooled"])]
    for label, r in rows:
        lines.append(
            f"{label:<{width}}{r['I']:>10.4f}{r['EI']:>10.4f}{r['z']:>10.3f}{fmt(r['p'], '.3g'):>11}"
            f"{fmt(r['p_perm'], '.3g'):>9}"
        )
    return "\n".join(lines)


@warns_on_cli("moran")  # one stderr line per warning; the JSON lists them ("warnings")
def run(args: argparse.Namespace) -> int:
    from spillmap.errors import InputError

    if args.permutations < 0:
        raise InputError(f"--permutations must be >= 0, got {args.permutations}.")
    if args.demean == "period" and not args.time:
        raise InputError("--demean period removes each period's mean: it needs --time (a cross-section has one mean).")
    if "{time}" in args.w:  # not a missing file named 'W_{time}.gal'
        raise InputError(f"--w {args.w!r}: moran takes one W file for all periods (the pooled test uses "
                         "I_T kron W); one file per period works with spillmap fit.")
    panel = _read_table(args.data, args.id, args.time, args.var)
    from spillmap.datasets import weights_file

    w = transform_weights(_weights(weights_file(args.w), panel[args.id]), args.transform)
    doc = build_document(
        panel, id=args.id, time=args.time, var=args.var, w=w, permutations=args.permutations, seed=args.seed,
        demean=args.demean,
    )
    doc["warnings"] = list(args.warning_log.messages)
    notice = data_notice(args.data)
    doc = noticed(doc, notice)
    if notice:
        print(notice, end="\n\n")
    perm = (f"{args.permutations} permutations, seed {args.seed}: p_perm is the folded pseudo p-value, "
            "one-sided on the side of the observed I, as esda's p_sim" if args.permutations else "no permutations")
    print(f"Moran's I of {args.var} ({args.data}; W {args.w}, transform {args.transform}; "
          f"randomisation z, two-sided p; {perm})")
    print(_table(doc))
    if args.json:
        write_json(args.json, doc, overwrite=args.force)
        print(f"wrote {args.json}")
    return 0
