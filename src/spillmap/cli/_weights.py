"""``spillmap weights``: build a spatial weights matrix from a boundary layer and write it.

Composes :func:`spillmap.geo.read_boundaries`, the builders of
:mod:`spillmap.spatial.builders` and :func:`spillmap.spatial.io.write_weights`; no
numerics here.
"""
from __future__ import annotations

import argparse
from typing import Any

KINDS = ("queen", "rook", "knn", "distance", "econ-distance", "econ-product", "nested")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "weights",
        help="build spatial weights (contiguity, distance, economic) and write .gal/.gwt/.mtx/.csv",
        description=(
            "Build a spatial weights matrix over the units of BOUNDARY (rows in the layer's "
            "order) and write it.  Kinds: queen/rook contiguity; knn (k nearest by great-circle "
            "distance between centroids); distance (inverse distance d^-alpha, optionally "
            "restricted by --cutoff-km or --k); econ-distance (1/|Ybar_i - Ybar_j| of --var "
            "averaged over --period); econ-product (d^-alpha * Ybar_j / mean Ybar); nested "
            "(phi * distance + (1 - phi) * econ-distance, each row-standardised)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("boundary", metavar="BOUNDARY", help="polygon layer (.gpkg, .geojson, .shp)")
    p.add_argument("--id", required=True, metavar="COL", help="unit id column of the layer (and of --data)")
    p.add_argument("--kind", required=True, choices=KINDS, help="type of weights")
    p.add_argument(
        "--islands",
        choices=["error", "nearest", "drop", "keep"],
        default="error",
        help="contiguity: units without neighbours -> error (default), link to --k nearest, drop, keep as zero rows",
    )
    p.add_argument("--name-column", metavar="COL", help="layer column of readable names for error messages")
    p.add_argument("--k", type=int, metavar="K", help="knn: neighbours per unit; distance: keep the K nearest; "
                   "islands=nearest: links per island (default 1)")
    p.add_argument("--alpha", type=float, default=1.0, metavar="A", help="distance-decay exponent (default 1)")
    p.add_argument("--cutoff-km", type=float, metavar="D", help="distance: keep pairs at most D km apart")
    p.add_argument("--data", metavar="PANEL.csv", help="econ kinds: long panel with --id, --time and --var")
    p.add_argument("--time", metavar="COL", help="econ kinds: period column of --data")
    p.add_argument("--var", metavar="NAME", help="econ kinds: the economic variable (e.g. pgdp)")
    p.add_argument("--period", metavar="START:END", help="econ kinds: periods averaged, both included (default all)")
    p.add_argument("--phi", type=float, metavar="PHI", help="nested: weight of the distance part, in [0, 1]")
    p.add_argument("--layer", metavar="NAME", help="layer of a multi-layer GeoPackage")
    p.add_argument("--subset-column", metavar="COL", help="keep only the units whose COL is in --subset-values")
    p.add_argument("--subset-values", metavar="a,b,...", help="comma-separated values of --subset-column")
    p.add_argument(
        "--transform",
        choices=["r", "b", "none"],
        default="r",
        help="row-standardise (r, default), binary (b) or keep raw weights (none); nested is always "
        "a combination of row-standardised parts",
    )
    p.add_argument("--out", required=True, metavar="W.(gal|gwt|mtx|csv)", help="output file (written atomically)")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=run, outputs=outputs)


def outputs(args: argparse.Namespace):
    """``(targets, inputs)`` checked and locked by :func:`spillmap.cli.main` before any work."""
    return [args.out], {"the boundary layer": args.boundary, "the --data panel": args.data}


def _subset(layer, column: str | None, values: str | None):
    from spillmap.errors import DataError, InputError, format_items

    if column is None and values is None:
        return layer
    if column is None or values is None:
        raise InputError("--subset-column and --subset-values go together.")
    if column not in layer.columns:
        raise DataError(
            f"--subset-column {column!r} is not in the layer; columns: {format_items(list(layer.columns))}."
        )
    wanted = [v.strip() for v in values.split(",") if v.strip()]
    have = set(layer[column].astype(str))
    absent = [v for v in wanted if v not in have]
    if absent:
        raise DataError(f"--subset-values not found in column {column!r}: {format_items(absent)}.")
    return layer[layer[column].astype(str).isin(wanted)].reset_index(drop=True)


def _period(text: str | None) -> tuple[str, str] | None:
    from spillmap.errors import InputError

    if text is None:
        return None
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise InputError(f"--period must be START:END (e.g. 2008:2019); got {text!r}.")
    return parts[0].strip(), parts[1].strip()


def _panel(args):
    from spillmap._readcsv import read_csv_table, require_columns
    from spillmap.errors import InputError

    missing = [f"--{n}" for n in ("data", "time", "var") if getattr(args, n) is None]
    if missing:
        raise InputError(f"--kind {args.kind} needs {', '.join(missing)}.")
    df = read_csv_table(args.data, id_col=args.id)
    require_columns(df, args.data, [args.id, args.time, args.var])
    return df


def build(args, layer):
    """The weights asked for by the parsed arguments, over the units of ``layer``."""
    from spillmap.errors import InputError
    from spillmap.spatial import builders as B

    t = {"r": "R", "b": "B", "none": "O"}[args.transform]
    kind = args.kind
    if kind in ("queen", "rook"):
        return B.contiguity(
            layer, args.id, kind=kind, islands=args.islands, k=args.k or 1, name_column=args.name_column, transform=t
        )
    if kind == "knn":
        if args.k is None:
            raise InputError("--kind knn needs --k.")
        return B.knn(layer, args.id, k=args.k, transform=t)
    if kind == "distance":
        return B.inverse_distance(layer, args.id, alpha=args.alpha, cutoff_km=args.cutoff_km, k=args.k, transform=t)
    panel = _panel(args)
    period = _period(args.period)
    if kind == "econ-product":
        return B.economic_product(
            layer, panel, id=args.id, time=args.time, var=args.var, period=period, alpha=args.alpha, transform=t
        )
    ids = B._layer_ids(layer, args.id)
    w_e = B.economic_distance(panel, id=args.id, time=args.time, var=args.var, period=period, ids=ids, transform=t)
    if kind == "econ-distance":
        return w_e
    if args.phi is None:
        raise InputError("--kind nested needs --phi (the weight of the distance part, in [0, 1]).")
    w_d = B.inverse_distance(layer, args.id, alpha=args.alpha, cutoff_km=args.cutoff_km, k=args.k)
    w = B.nested(w_d, w_e, args.phi)
    return w.binary() if t == "B" else w


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from spillmap.geo import read_boundaries
    from spillmap.spatial.io import _ext, write_weights

    out = Path(args.out)
    _ext(out)  # fail on an unknown extension before any work (main() checked and locked --out)
    layer = read_boundaries(args.boundary, args.id, layer=args.layer)
    layer = _subset(layer, args.subset_column, args.subset_values)
    w = build(args, layer)
    path = write_weights(w, out, overwrite=args.force)
    print(f"{w.name}  ({w.n} units)")
    print(w.summary())
    if w.n < len(layer):
        print(f"note: {len(layer) - w.n} unit(s) of the layer are not in W (islands dropped).")
    print(f"wrote {path}")
    return 0
