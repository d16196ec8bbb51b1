"""``spillmap weights``: build a spatial weights matrix from a boundary layer and write it.

Composes :func:`spillmap.geo.read_boundaries`, the builders of
:mod:`spillmap.spatial.builders` and :func:`spillmap.spatial.io.write_weights`; no
numerics here.
"""
from __future__ import annotations

import argparse
from typing import Any

from spillmap.cli._vocab import ASSUME_CRS_ADVICE, add_transform, crs_arg, path_arg

#: the kinds, named as the builders of spillmap.spatial.builders and the study TOML's weights kinds
KINDS = ("contiguity", "knn", "inverse_distance", "economic_distance", "economic_product", "nested")
#: the first release's spellings, still read (with a note): old kind -> (kind, contiguity rule)
OLD_KINDS = {"queen": ("contiguity", "queen"), "rook": ("contiguity", "rook"), "distance": ("inverse_distance", None),
             "econ-distance": ("economic_distance", None), "econ-product": ("economic_product", None)}
_ECON = ("economic_distance", "economic_product", "nested")
#: options that only some kinds use: argparse dest -> (option, the kinds it applies to); given to
#: another kind it is refused (it was silently ignored). --k also applies to contiguity with --islands nearest.
APPLIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "contiguity": ("--contiguity", ("contiguity",)),
    "islands": ("--islands", ("contiguity",)),
    "name_column": ("--name-column", ("contiguity",)),
    "k": ("--k", ("knn", "inverse_distance", "nested")),
    "alpha": ("--alpha", ("inverse_distance", "economic_product", "nested")),
    "cutoff_km": ("--cutoff-km", ("inverse_distance", "nested")),
    "phi": ("--phi", ("nested",)),
    **{n: (f"--{n.replace('_', '-')}", _ECON) for n in ("data", "data_id", "time", "var", "period")},
}
#: what read_boundaries' errors tell a user of this command to do (not the Python keywords)
CLI_ADVICE = {"assume_crs": ASSUME_CRS_ADVICE,
              "layer": "say which one to read with --layer NAME"}
#: kinds whose weights vary within a row (GAL cannot store them) unless --transform B
_GRADED = ("inverse_distance", "economic_distance", "economic_product", "nested")


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
            "demo_panel). A layer file without a CRS needs --assume-crs for every kind that measures distances "
            "(knn, inverse_distance, economic_product, nested; contiguity with --islands nearest); contiguity "
            "itself uses only which polygons touch and needs none. An option that the chosen kind does not use "
            "is refused."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("boundary", metavar="BOUNDARY", type=path_arg, help="polygon layer (.gpkg, .geojson, .shp) or a bundled layer")
    p.add_argument("--id", required=True, metavar="COL", help="unit id column of the layer")
    p.add_argument("--data-id", metavar="COL", help="unit id column of --data when it differs from --id")
    p.add_argument("--kind", required=True, type=_kind, metavar="KIND", help=f"type of weights: {', '.join(KINDS)}")
    p.add_argument("--contiguity", choices=("queen", "rook"), default=None,
                   help="contiguity: shared point (queen, default) or shared edge (rook)")
    p.add_argument(
        "--islands",
        choices=["error", "nearest", "drop", "keep"],
        default=None,
        help="contiguity: units without neighbours -> error (default), link to --k nearest, drop, keep as zero rows",
    )
    p.add_argument("--name-column", metavar="COL", help="layer column of readable names for error messages")
    p.add_argument("--k", type=int, metavar="K", help="knn: neighbours per unit; inverse_distance: keep the K "
                   "nearest; islands=nearest: links per island (default 1)")
    p.add_argument("--alpha", type=float, metavar="A", help="inverse_distance, economic_product, nested: "
                   "distance-decay exponent (default 1)")
    p.add_argument("--cutoff-km", type=float, metavar="D", help="inverse_distance: keep pairs at most D km apart")
    p.add_argument("--data", metavar="PANEL.csv", type=path_arg, help="economic kinds: long panel with --data-id, --time and --var")
    p.add_argument("--time", metavar="COL", help="economic kinds: period column of --data")
    p.add_argument("--var", metavar="NAME", help="economic kinds: the economic variable (e.g. pgdp or log(pgdp))")
    p.add_argument("--period", metavar="START:END", help="economic kinds: periods averaged, both included "
                   "(default all)")
    p.add_argument("--phi", type=float, metavar="PHI", help="nested: weight of the distance part, in [0, 1]")
    p.add_argument("--layer", metavar="NAME", help="layer of a multi-layer GeoPackage (.gpkg BOUNDARY)")
    p.add_argument("--assume-crs", type=crs_arg, metavar="CRS",
                   help="CRS of a BOUNDARY file that has none (a .gpkg without a CRS, a .shp without its .prj), "
                        "e.g. EPSG:4326 for longitude/latitude degrees; ignored (with a note) when it has one")
    p.add_argument("--subset-column", metavar="COL", help="keep only the units whose COL is in --subset-values")
    p.add_argument("--subset-values", metavar="a,b,...", help="comma-separated values of --subset-column")
    add_transform(p, what="the weights")
    p.add_argument("--out", required=True, metavar="W.(gal|gwt|mtx|csv)", type=path_arg, help="output file (written atomically)")
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


def _inapplicable(args, kind: str) -> str:
    """The options given that ``kind`` does not use, as one sentence ("" when none)."""
    used = {name for name, (_, kinds) in APPLIES.items() if kind in kinds}
    if kind == "contiguity" and args.islands == "nearest":
        used.add("k")  # links per island
    wrong = []
    for name, (flag, kinds) in APPLIES.items():
        if name not in used and getattr(args, name) is not None:
            where = ", ".join(kinds) + (", and contiguity with --islands nearest" if name == "k" else "")
            wrong.append(f"{flag} does not apply to --kind {kind} (only to --kind {where})")
    if not wrong:
        return ""
    them = "them" if len(wrong) > 1 else "it"
    return "; ".join(wrong) + f". Leave {them} out or choose a kind that uses {them}."


def spec_from_args(args):
    """The :class:`~spillmap.study.weights.WeightSpec` the arguments describe (one builder registry).

    Parameters
    ----------
    args
        The parsed command line.

    Returns
    -------
    WeightSpec
        The weights asked for.

    Raises
    ------
    InputError
        An option the kind does not use, or one it needs that is missing, or a bad value (naming the option).
    """
    from spillmap.errors import InputError
    from spillmap.study.weights import WeightSpec

    kind, rule = OLD_KINDS.get(args.kind, (args.kind, None))
    wrong = _inapplicable(args, kind)
    if wrong:
        raise InputError(wrong)
    if kind in _ECON:
        missing = [f"--{n}" for n in ("data", "time", "var") if getattr(args, n) is None]
        if missing:
            raise InputError(f"--kind {args.kind} needs {', '.join(missing)}.")
    raw = _raw_spec(args, kind, rule)
    from spillmap.study._schema import SpecError

    try:
        return WeightSpec.from_dict("W", raw)
    except SpecError as exc:  # name the option the user typed, not the TOML key
        msg = str(exc).split("key 'weights.W.", 1)[-1]
        key, _, rest = msg.partition("': ")
        raise InputError(f"--{key.replace('_', '-')}: {key} {rest}") from None


def _raw_spec(args, kind: str, rule: str | None) -> dict[str, Any]:
    """The study TOML's [weights.W] table the arguments stand for."""
    from spillmap.errors import InputError

    alpha = 1.0 if args.alpha is None else args.alpha
    optional = {n: getattr(args, n) for n in ("cutoff_km", "k") if getattr(args, n) is not None}
    if len(optional) == 2 and kind != "contiguity":  # the distance builders take one restriction
        raise InputError(f"--kind {kind}: give --cutoff-km or --k, not both.")
    raw: dict[str, Any] = {"kind": kind}
    if kind == "contiguity":
        raw.update(contiguity=args.contiguity or rule or "queen", islands=args.islands or "error", k=args.k or 1)
    elif kind == "knn":
        if args.k is None:
            raise InputError("--kind knn needs --k.")
        raw["k"] = args.k
    elif kind == "inverse_distance":
        raw.update(alpha=alpha, **optional)
    else:
        raw["var"] = args.var
        if args.period is not None:
            raw["period"] = list(_period(args.period))
        if kind == "economic_product":
            raw["alpha"] = alpha
        if kind == "nested":
            if args.phi is None:
                raise InputError("--kind nested needs --phi (the weight of the distance part, in [0, 1]).")
            raw.update(phi=args.phi, alpha=alpha, **optional)
    if kind != "nested" or args.transform in ("R", "B"):
        raw["transform"] = args.transform
    return raw


def _check_gal(out, spec) -> None:
    """GAL keeps neighbour lists only: weights that vary within a row need --transform B or another format."""
    from spillmap.errors import InputError

    one_neighbour = spec.kind == "inverse_distance" and getattr(spec.settings, "k", None) == 1
    if out.suffix.lower() == ".gal" and spec.kind in _GRADED and spec.settings.transform != "B" and not one_neighbour:
        raise InputError(f"--out {out}: GAL files store neighbour lists only and --kind {spec.kind} weights vary "
                         "within rows; write --out with .gwt, .mtx or .csv instead, or add --transform B (binary).")


def _check_layer_option(args) -> None:
    """--layer picks a layer of a GeoPackage: refused for a single-layer format and for a bundled layer."""
    from pathlib import Path

    from spillmap.errors import InputError
    from spillmap.study.inputs import is_dataset

    if args.layer is None:
        return
    if not Path(args.boundary).exists() and is_dataset(args.boundary, "layer"):
        raise InputError(f"--layer {args.layer}: BOUNDARY {args.boundary} is a bundled layer, not a GeoPackage; "
                         "leave --layer out.")
    suffix = Path(args.boundary).suffix.lower()
    if suffix != ".gpkg":
        raise InputError(f"--layer {args.layer}: BOUNDARY {args.boundary} is a single-layer {suffix or 'file'} "
                         "file; --layer applies to a multi-layer GeoPackage (.gpkg). Leave it out.")


def build(args, layer, spec=None, panel=None):
    """The weights asked for by the parsed arguments (``spec``: :func:`spec_from_args` of them), over the
    units of ``layer`` (``panel``: the economic kinds' panel, read from --data when not given)."""
    from spillmap.errors import JoinError, SpillmapError
    from spillmap.study.weights import WeightsInputs, build_weights

    spec = spec_from_args(args) if spec is None else spec
    if panel is None and spec.kind in _ECON:
        panel = _panel(args, args.id)
    try:
        return build_weights(spec, WeightsInputs(layer, panel, args.id, args.time, args.name_column))
    except SpillmapError as exc:  # the study's key path ("weights.W: ") means nothing on the command line
        msg = str(exc).removeprefix(f"weights.{spec.name}: ")
        if isinstance(exc, JoinError) and panel is not None:
            msg = (f"--data {args.data}: {msg} The matrix covers every unit of BOUNDARY (after --subset-column / "
                   "--subset-values): give --data rows for each of them, or restrict BOUNDARY to the units of the data.")
        raise type(exc)(msg) from None


def _layer(args, spec):
    """BOUNDARY: a polygon file or a bundled layer (us48, china_prefectures).

    A file without a CRS is read for contiguity (only which polygons touch matters) unless islands are
    linked to their nearest units; every other kind measures distances and needs --assume-crs.
    """
    import sys

    from spillmap.study.inputs import load_layer

    needs_crs = spec.kind != "contiguity" or spec.settings.islands == "nearest"
    gdf = load_layer(args.boundary, args.id, layer=args.layer, where="BOUNDARY", assume_crs=args.assume_crs,
                     require_crs=needs_crs, advice=CLI_ADVICE)
    report = gdf.attrs.get("spillmap_read_report")
    if args.assume_crs is not None and not getattr(report, "assumed_crs", False) and gdf.crs is not None:
        print(f"spillmap weights: note: --assume-crs {args.assume_crs} ignored: BOUNDARY has its own CRS "
              f"({gdf.crs.to_string()}).", file=sys.stderr)
    return gdf


def _write(w, out, force: bool):
    """:func:`~spillmap.spatial.io.write_weights`; its advice in Python terms is given in this command's."""
    from spillmap.errors import WeightsError
    from spillmap.spatial.io import write_weights

    from spillmap.spatial.io import _rows_equal_weights

    if str(out).lower().endswith(".gal") and w.transform == "R" and _rows_equal_weights(w):
        # GAL holds neighbour lists; every command reads it back with --transform R by default, so
        # row-standardised neighbour lists (contiguity, k nearest) are written as the lists they are
        w = w.binary()
    try:
        return write_weights(w, out, overwrite=force)
    except WeightsError as exc:
        if "pass w.binary()" not in str(exc):
            raise
        raise WeightsError(str(exc).replace("pass w.binary()", "add --transform B (binary)")) from None


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from spillmap.errors import InputError
    from spillmap.spatial.io import _ext, check_ids_for

    out = Path(args.out)
    _ext(out)  # fail on an unknown extension before any work (main() checked and locked --out)
    spec = spec_from_args(args)  # every option checked before the layer is read
    _check_layer_option(args)
    if (args.subset_column is None) != (args.subset_values is None):
        raise InputError("--subset-column and --subset-values go together.")
    layer = _layer(args, spec)
    layer = _subset(layer, args.subset_column, args.subset_values)
    check_ids_for(out, layer[args.id].astype(str))  # before W is built
    panel = _panel(args, args.id) if spec.kind in _ECON else None
    _check_gal(out, spec)  # after the inputs' own errors, before W is built
    w = build(args, layer, spec, panel)
    path = _write(w, out, args.force)
    print(f"{w.name}  ({w.n} units)")
    print(w.summary())
    if w.n < len(layer):
        print(f"note: {len(layer) - w.n} unit(s) of the layer are not in W (islands dropped).")
    print(f"wrote {path}")
    return 0
