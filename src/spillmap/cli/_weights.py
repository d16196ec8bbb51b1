"""``spillmap weights``: build a spatial weights matrix from a boundary layer and write it.

Composes :func:`spillmap.geo.read_boundaries`, the builders of
:mod:`spillmap.spatial.builders` and :func:`spillmap.spatial.io.write_weights`; no
numerics here.
"""
from __future__ import annotations

import argparse
from typing import Any

from spillmap.cli._vocab import add_transform

#: the kinds, named as the builders of spillmap.spatial.builders and the study TOML's weights kinds
KINDS = ("contiguity", "knn", "inverse_distance", "economic_distance", "economic_product", "nested")
#: the first release's spellings, still read (with a note): old kind -> (kind, contiguity rule)
OLD_KINDS = {"queen": ("contiguity", "queen"), "rook": ("contiguity", "rook"), "distance": ("inverse_distance", None),
             "econ-distance": ("economic_distance", None), "econ-product": ("economic_product", None)}


def _kind(value: str) -> str:
    import sys

    if value in KINDS:
        return value
    if value in OLD_KINDS:
        kind, rule = OLD_KINDS[value]
        new = f"--kind {kind}" + (f" --contiguity {rule}" if rule else "")
        print(f"spillmap weights: note: --kind {value} is deprecated; write {new}.", file=sys.stderr)
        return value
    raise argparse.ArgumentTypeError(f"invalid choice: {value!r} (choose from {', '.join(map(repr, KINDS))})")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "weights",
        help="build spatial weights (contiguity, distance, economic) and write .gal/.gwt/.mtx/.csv",
        description=(
            "Build a spatial weights matrix over the units of BOUNDARY (rows in the layer's order) and write it. "
            "Kinds (the same names as the study TOML's [weights.NAME] kind, see docs/config.md): contiguity "
            "(--contiguity queen|rook, --islands); knn (k nearest by great-circle distance between centroids); "
            "inverse_distance (d^-alpha, optionally restricted by --cutoff-km or --k); economic_distance "
            "(1/|Ybar_i - Ybar_j| of --var averaged over --period); economic_product (d^-alpha * Ybar_j / mean "
            "Ybar); nested (phi * inverse distance + (1 - phi) * economic distance, each row-standardised). "
            "BOUNDARY may be a bundled layer (us48, china_prefectures) and --data a bundled table (produc, "
            "demo_panel)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("boundary", metavar="BOUNDARY", help="polygon layer (.gpkg, .geojson, .shp) or a bundled layer")
    p.add_argument("--id", required=True, metavar="COL", help="unit id column of the layer")
    p.add_argument("--data-id", metavar="COL", help="unit id column of --data when it differs from --id")
    p.add_argument("--kind", required=True, type=_kind, metavar="KIND", help=f"type of weights: {', '.join(KINDS)}")
    p.add_argument("--contiguity", choices=("queen", "rook"), default=None,
                   help="contiguity: shared point (queen, default) or shared edge (rook)")
    p.add_argument(
        "--islands",
        choices=["error", "nearest", "drop", "keep"],
        default="error",
        help="contiguity: units without neighbours -> error (default), link to --k nearest, drop, keep as zero rows",
    )
    p.add_argument("--name-column", metavar="COL", help="layer column of readable names for error messages")
    p.add_argument("--k", type=int, metavar="K", help="knn: neighbours per unit; inverse_distance: keep the K "
                   "nearest; islands=nearest: links per island (default 1)")
    p.add_argument("--alpha", type=float, default=1.0, metavar="A", help="distance-decay exponent (default 1)")
    p.add_argument("--cutoff-km", type=float, metavar="D", help="inverse_distance: keep pairs at most D km apart")
    p.add_argument("--data", metavar="PANEL.csv", help="economic kinds: long panel with --data-id, --time and --var")
    p.add_argument("--time", metavar="COL", help="economic kinds: period column of --data")
    p.add_argument("--var", metavar="NAME", help="economic kinds: the economic variable (e.g. pgdp or log(pgdp))")
    p.add_argument("--period", metavar="START:END", help="economic kinds: periods averaged, both included "
                   "(default all)")
    p.add_argument("--phi", type=float, metavar="PHI", help="nested: weight of the distance part, in [0, 1]")
    p.add_argument("--layer", metavar="NAME", help="layer of a multi-layer GeoPackage")
    p.add_argument("--subset-column", metavar="COL", help="keep only the units whose COL is in --subset-values")
    p.add_argument("--subset-values", metavar="a,b,...", help="comma-separated values of --subset-column")
    add_transform(p, what="the weights")
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


def _panel(args, layer_id: str):
    """The panel of the economic kinds, its id column renamed to the layer's."""
    from spillmap._readcsv import require_columns
    from spillmap.cli._vocab import read_table, with_variables
    from spillmap.errors import InputError

    missing = [f"--{n}" for n in ("data", "time", "var") if getattr(args, n) is None]
    if missing:
        raise InputError(f"--kind {args.kind} needs {', '.join(missing)}.")
    pid = args.data_id or args.id
    df = read_table(args.data, pid)
    require_columns(df, args.data, [pid, args.time])
    from spillmap._rowplace import check_keys_filled

    check_keys_filled(df, pid, args.time)  # named by the file's own column, before the renaming below
    transform = args.var not in df.columns and not args.var.isidentifier()  # e.g. log(gdp), I(gdp/pop)
    df = with_variables(df, [args.var] if transform else [], where="--var", id=pid, time=args.time)
    require_columns(df, args.data, [args.var])
    df[pid] = df[pid].astype(str).str.strip()
    return df.rename(columns={pid: layer_id}) if pid != layer_id else df


def spec_from_args(args):
    """The :class:`~spillmap.study.weights.WeightSpec` the arguments describe (one builder registry)."""
    from spillmap.errors import InputError
    from spillmap.study.weights import WeightSpec

    kind, rule = OLD_KINDS.get(args.kind, (args.kind, None))
    if kind in ("economic_distance", "economic_product", "nested"):
        missing = [f"--{n}" for n in ("data", "time", "var") if getattr(args, n) is None]
        if missing:
            raise InputError(f"--kind {args.kind} needs {', '.join(missing)}.")
    raw: dict[str, Any] = {"kind": kind}
    if kind == "contiguity":
        raw.update(contiguity=args.contiguity or rule or "queen", islands=args.islands, k=args.k or 1)
    elif kind == "knn":
        if args.k is None:
            raise InputError("--kind knn needs --k.")
        raw["k"] = args.k
    elif kind == "inverse_distance":
        raw.update(alpha=args.alpha, **({"cutoff_km": args.cutoff_km} if args.cutoff_km is not None else {}),
                   **({"k": args.k} if args.k is not None else {}))
    else:
        raw["var"] = args.var
        if args.period is not None:
            raw["period"] = list(_period(args.period))
        if kind == "economic_product":
            raw["alpha"] = args.alpha
        if kind == "nested":
            if args.phi is None:
                raise InputError("--kind nested needs --phi (the weight of the distance part, in [0, 1]).")
            raw.update(phi=args.phi, alpha=args.alpha, **({"cutoff_km": args.cutoff_km} if args.cutoff_km else {}),
                       **({"k": args.k} if args.k is not None else {}))
    if kind != "nested" or args.transform in ("R", "B"):
        raw["transform"] = args.transform
    from spillmap.study._schema import SpecError

    try:
        return WeightSpec.from_dict("W", raw)
    except SpecError as exc:  # name the option the user typed, not the TOML key
        msg = str(exc).split("key 'weights.W.", 1)[-1]
        key, _, rest = msg.partition("': ")
        raise InputError(f"--{key.replace('_', '-')}: {key} {rest}") from None


def build(args, layer):
    """The weights asked for by the parsed arguments, over the units of ``layer``."""
    from spillmap.errors import JoinError, SpillmapError
    from spillmap.study.weights import WeightsInputs, build_weights

    spec = spec_from_args(args)
    panel = _panel(args, args.id) if spec.kind in ("economic_distance", "economic_product", "nested") else None
    try:
        return build_weights(spec, WeightsInputs(layer, panel, args.id, args.time, args.name_column))
    except SpillmapError as exc:  # the study's key path ("weights.W: ") means nothing on the command line
        msg = str(exc).removeprefix(f"weights.{spec.name}: ")
        if isinstance(exc, JoinError) and panel is not None:
            msg = (f"--data {args.data}: {msg} The matrix covers every unit of BOUNDARY (after --subset-column / "
                   "--subset-values): give --data rows for each of them, or restrict BOUNDARY to the units of the data.")
        raise type(exc)(msg) from None


def _layer(args):
    """BOUNDARY: a polygon file or a bundled layer (us48, china_prefectures)."""
    from spillmap.study.inputs import load_layer

    return load_layer(args.boundary, args.id, layer=args.layer, where="BOUNDARY")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from spillmap.spatial.io import _ext, check_ids_for, write_weights

    out = Path(args.out)
    _ext(out)  # fail on an unknown extension before any work (main() checked and locked --out)
    layer = _layer(args)
    layer = _subset(layer, args.subset_column, args.subset_values)
    check_ids_for(out, layer[args.id].astype(str))  # before W is built
    w = build(args, layer)
    path = write_weights(w, out, overwrite=args.force)
    print(f"{w.name}  ({w.n} units)")
    print(w.summary())
    if w.n < len(layer):
        print(f"note: {len(layer) - w.n} unit(s) of the layer are not in W (islands dropped).")
    print(f"wrote {path}")
    return 0
