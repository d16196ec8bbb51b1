"""``spillmap screen``: many indicators x W x periods on Dask -> Parquet, CSV, HTML.

Composes :mod:`spillmap.datasets`, :func:`spillmap.geo.read_boundaries`, the
study layer's weights specs (:mod:`spillmap.study.weights`, one vocabulary with the
TOML) and :func:`spillmap.screen`; no numerics here.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from spillmap._vocab import FE
from spillmap.cli._screen_columns import (
    check_listed_indicators,
    note_left_out,
    screened_indicators,
)
from spillmap.cli._vocab import ASSUME_CRS_ADVICE, add_transform, crs_arg, path_arg, with_variables

PANELS = ("demo_panel", "produc", "cigar")
LAYERS = ("china_prefectures", "us48")


class _Renamed(argparse.Action):
    """An option's old name: stores into the new one's ``dest`` with a deprecation note."""

    def __init__(self, *args, new: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog}: note: {option_string} is deprecated; write {self.new}.", file=sys.stderr)
        setattr(namespace, self.dest, values)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "screen",
        help="screen many indicators for spatial dependence (Moran, Geary, LISA, LM) on Dask",
        description=(
            "Test every indicator under every W in every period: Moran's I and Geary's C (analytic and "
            "permutation p-values), LISA cluster counts, pooled statistics, panel LM tests and optionally "
            "an SDM.  Runs on a local Dask cluster (--workers N) or an existing scheduler (--scheduler, or "
            "$SPILLMAP_SCHEDULER).  Writes OUT/screen.parquet, OUT/screen.csv, OUT/ranking.csv and "
            "OUT/index.html (offline; maps for the top-ranked indicators)."
        ),
    )
    p.add_argument("--data", required=True, metavar="PANEL", type=path_arg, help=f"long panel: .csv, .xlsx, .parquet or a bundled dataset ({', '.join(PANELS)})")
    p.add_argument("--id", required=True, metavar="COL", help="unit id column")
    p.add_argument("--time", metavar="COL", help="period column (omit for a cross-section)")
    p.add_argument("--layer", metavar="LAYER", type=path_arg,
                   help=f"boundary layer (.gpkg, .geojson, .shp) or a bundled one ({', '.join(LAYERS)}): needed by "
                        "the W built from geometry (queen, rook, knn, distances) and by the maps")
    p.add_argument("--layer-id", metavar="COL", help="id column of the layer (default: --id)")
    p.add_argument("--assume-crs", type=crs_arg, metavar="CRS",
                   help="CRS of a --layer file that has none (e.g. EPSG:4326; a Shapefile without .prj)")
    p.add_argument("--name-column", metavar="COL", help="layer column of readable names (maps, messages)")
    p.add_argument("--indicators", nargs="+", default=["all"], metavar="NAME", help="columns, transforms (log(gsp)) or patterns (edu_*), or 'all' numeric columns (default)")
    p.add_argument("--w", nargs="+", default=["queen"], metavar="SPEC",
                   help="weights: queen, rook, knn, knn:K (over --layer), a weights file (.gal, .gwt, .mtx, .csv; "
                        "no --layer needed, its ids must be the panel's) or "
                        "[NAME=]KIND:key=value,... in the study TOML's vocabulary (e.g. W2=nested:var=pgdp,phi=0.5); "
                        "default queen")
    p.add_argument("--islands", choices=["error", "nearest", "drop", "keep"], default="nearest", help="contiguity: units without neighbours (default: link to the nearest)")
    add_transform(p, what="a weights file")
    p.add_argument("--periods", nargs="+", metavar="T", help="periods to test (default all)")
    p.add_argument("--statistics", nargs="+", default=["moran", "geary", "lisa"], choices=["moran", "geary", "lisa", "lm", "sdm"], help="default: moran geary lisa")
    p.add_argument("--no-pooled", action="store_true", help="skip Moran/Geary of the stacked panel (about T periods' cost)")
    p.add_argument("--lm-y", metavar="NAME", help="lm/sdm: dependent variable (the indicator is then an extra regressor)")
    p.add_argument("--lm-x", nargs="+", default=[], metavar="NAME", help="lm/sdm: regressors")
    p.add_argument("--fe", choices=FE, default="twoways", help="lm/sdm fixed effects (default twoways)")
    p.add_argument(  # the first release's name of --fe, still read (with a note)
        "--effects", choices=FE, dest="fe", action=_Renamed, new="--fe", help=argparse.SUPPRESS,
    )
    p.add_argument("--composite", action="append", default=[], metavar="NAME=METHOD:A,B,-C", help="build a composite indicator first (entropy, critic, pca; '-' marks a negative indicator); repeatable")
    p.add_argument("--permutations", type=int, default=999, help="permutations (default 999; 0 = none)")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--alpha", type=float, default=0.05, help="LISA significance level (default 0.05)")
    p.add_argument("--fdr", action="store_true", help="LISA: Benjamini-Hochberg false-discovery-rate cut-off")
    p.add_argument("--workers", type=int, metavar="N", help="local cluster size (default: the machine's cores)")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786", help="run on this Dask scheduler (also $SPILLMAP_SCHEDULER)")
    p.add_argument("--chunk", type=int, metavar="N", help="indicators per task (default: sized to the cluster)")
    p.add_argument("--maps-top-k", type=int, metavar="K",
                   help="maps for the K best indicators of each W, drawn on --layer (default 5 with --layer, else 0)")
    p.add_argument("--out", required=True, metavar="DIR", type=path_arg, help="output folder (built aside, moved into place)")
    p.add_argument("--force", action="store_true", help="replace an existing --out folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=run)


def read_panel(source: str, id_col: str, time: str | None = None):
    """The panel: a bundled dataset, or a CSV, Excel (.xlsx) or Parquet file read as every command
    reads one (spillmap.study.inputs.load_table: ids as text, errors naming the file and line); an
    empty id or period, or a period unlike the others, is an error naming its file line and column."""
    from spillmap._readcsv import require_columns
    from spillmap.screen._spec import check_keys
    from spillmap.study.inputs import load_table

    df = load_table(source, where="--data", id=id_col, dataset=source in PANELS or None)
    require_columns(df, source, [id_col] + ([time] if time else []))  # as spillmap fit and moran say it
    check_keys(df, id_col, time)  # before astype(str) below turns an empty id into 'nan'
    if id_col in df:
        df[id_col] = df[id_col].astype(str)
    return df


#: how the layer reader's errors say to give what is missing, in this command's options
_ADVICE = {"assume_crs": ASSUME_CRS_ADVICE,
           "layer": "write the layer to screen to a file of its own (e.g. a one-layer .gpkg) and give that as --layer"}


def read_layer(source: str, id_col: str, *, web: bool = False, assume_crs: str | None = None):
    from spillmap import datasets
    from spillmap.geo import read_boundaries

    if source in LAYERS:
        return datasets.china_prefectures(web=web) if source == "china_prefectures" else datasets.us48()
    return read_boundaries(source, id_col, assume_crs=assume_crs, advice=_ADVICE)


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def weight_specs(specs: list[str], *, islands: str, transform: str) -> dict:
    """``--w`` items -> ``{name: options}`` in the study's weights vocabulary.

    ``queen``, ``rook`` (contiguity, ``--islands``), ``knn`` / ``knn:K``, a weights
    file (``--transform``), or ``[NAME=]KIND:key=value,...`` with any kind of
    :data:`spillmap.study.weights.KINDS` (e.g. ``W2=nested:var=pgdp,phi=0.5``).
    """
    from spillmap.errors import InputError
    from spillmap.study.weights import KINDS

    out: dict = {}
    for spec in specs:
        name, eq, body = spec.partition("=") if "=" in spec.split(":")[0] else ("", "", spec)
        kind, _, args = body.partition(":")
        if kind in ("queen", "rook"):  # queen:transform=B: its options too, checked below (they were dropped)
            opts = {"kind": "contiguity", "contiguity": kind, "islands": islands, **_options(spec, args)}
            name = name or kind
        elif kind == "knn" and (not args or args.isdigit()):
            opts = {"kind": "knn", "k": int(args or 5)}
            name = name or f"knn{opts['k']}"
        elif kind in KINDS:
            opts = {"kind": kind, **_options(spec, args)}
            name = name or kind
        elif Path(os.path.expanduser(body)).is_file():
            opts = {"kind": "file", "path": body, "transform": transform}
            name = name or Path(body).stem
        else:
            raise InputError(f"--w {spec}: not queen, rook, knn[:K], [NAME=]KIND:key=value,... with KIND one of "
                             f"{', '.join(KINDS)}, or an existing weights file.")
        if opts["kind"] == "file" and isinstance(opts.get("path"), str):  # ~/w.gal, file:path=~/w.gal
            opts["path"] = os.path.expanduser(opts["path"])
        _check_kind_options(spec, name, opts)
        if name in out:
            raise InputError(f"--w: two weights named {name!r}; name them NAME=KIND:... .")
        out[name] = opts
    return out


def _options(spec: str, args: str) -> dict:
    """``"var=pgdp,phi=0.5"`` of a ``--w KIND:...`` item as options (values as TOML would read them)."""
    from spillmap.errors import InputError

    pairs = [a.partition("=") for a in args.split(",") if a]
    if any(not sep for _, sep, _ in pairs):
        raise InputError(f"--w {spec}: options are key=value pairs separated by commas.")
    return {k: _value(v) for k, _, v in pairs}


def _check_kind_options(spec: str, name: str, opts: dict) -> None:
    """The options of a ``--w [NAME=]KIND:key=value,...`` item, checked as the study checks
    ``[weights.NAME]`` (:meth:`spillmap.study.weights.WeightSpec.from_dict`) and named by the item
    and the option: ``--w W2=knn:kk=3: unknown option 'kk' (did you mean 'k'?); knn takes: k, transform.``"""
    import re

    from spillmap.study._schema import SpecError
    from spillmap.study.weights import WeightSpec

    try:
        WeightSpec.from_dict(name, opts)
    except SpecError as exc:
        m = re.search(r"key 'weights\..*?\.([^.']+)': (.*)", str(exc))
        if m is None:
            raise type(exc)(f"--w {spec}: {exc}") from None
        key, rest = m.groups()
        unknown = rest.startswith("unknown key")
        rest = (f"unknown option {key!r}{rest[11:].replace('allowed here:', opts['kind'] + ' takes:')}" if unknown
                else f"option {key!r}: {rest}")
        raise type(exc)(f"--w {spec}: {rest}") from None


def parse_composite(text: str) -> tuple[str, dict]:
    """``NAME=METHOD:A,B,-C`` -> ``(NAME, {"method":..., "positive": [...], "negative": [...]})``."""
    from spillmap.errors import InputError

    name, eq, rest = text.partition("=")
    method, colon, cols = rest.partition(":")
    items = [c.strip() for c in cols.split(",") if c.strip()]
    if not (eq and colon and name and items):
        raise InputError(f"--composite {text!r}: expected NAME=METHOD:A,B,-C (e.g. eco=entropy:pgdp,fdi,-inp).")
    return name, {
        "method": method,
        "positive": [c for c in items if not c.startswith("-")],
        "negative": [c[1:] for c in items if c.startswith("-")],
    }


def screen_inputs(args: argparse.Namespace, weights: dict) -> dict[str, Path]:
    """The files the screen reads, labelled for messages: ``--out`` must neither be nor hold one.

    Parameters
    ----------
    args
        The parsed options (``--data``, ``--layer``).
    weights
        :func:`weight_specs`' result (its ``file`` kinds name weights files).
    """
    out = {}
    if args.data not in PANELS:
        out["the --data file"] = Path(args.data)
    if args.layer and args.layer not in LAYERS:
        out["the --layer file"] = Path(args.layer)
    for name, opts in weights.items():
        if opts.get("kind") == "file" and opts.get("path"):
            out[f"the --w file of {name!r}"] = Path(str(opts["path"]))
    return out


def check_options(args: argparse.Namespace, inputs: dict[str, Path]) -> None:
    """The option combinations that cannot work, refused before anything is read: among them an
    ``--out`` that exists (without ``--force``) or that is or holds one of ``inputs`` (even with it)."""
    from spillmap._fileio import preflight
    from spillmap.errors import InputError

    preflight([args.out], force=args.force, inputs=inputs, kind="dir")
    if args.scheduler and args.workers:
        raise InputError("--workers sizes the local cluster; with --scheduler, start the workers on the cluster.")
    if args.maps_top_k and not args.layer:
        raise InputError("--maps-top-k draws maps on the geometry of --layer: give --layer, or leave --maps-top-k out.")
    _check_statistics(args)


def _check_statistics(args: argparse.Namespace) -> None:
    """``--statistics`` that cannot run with the other options, named by their flags: lm / sdm
    without a regression (``--lm-y`` / ``--lm-x``), lisa without permutations."""
    from spillmap.errors import InputError

    regression = [s for s in args.statistics if s in ("lm", "sdm")]
    if regression and not (args.lm_y or args.lm_x):
        raise InputError(f"--statistics {regression[0]} needs the regression: give --lm-x REGRESSORS (the "
                         "indicator is the dependent variable) or --lm-y Y (the indicator is an extra regressor).")
    if "lisa" in args.statistics and args.permutations < 1:
        raise InputError("--statistics lisa (a default) needs --permutations >= 1 (its clusters come from the pseudo "
                         f"p-values), got --permutations {args.permutations}: raise it, or leave lisa out of "
                         "--statistics (e.g. --statistics moran geary).")


def maps_top_k(args: argparse.Namespace) -> int:
    """``--maps-top-k``, by default 5 with a layer and 0 without (maps need its geometry)."""
    if args.maps_top_k is not None:
        return args.maps_top_k
    return 5 if args.layer else 0


def with_transforms(panel, args: argparse.Namespace):
    """``panel`` with a column for each transform (``log(gsp)``) named in ``--indicators``, ``--lm-y`` or
    ``--lm-x``, evaluated as ``fit``, ``moran`` and the study evaluate them (formulaic)."""
    from spillmap.screen._spec import is_pattern

    names = [*args.indicators, args.lm_y, *(args.lm_x or [])]
    transforms = [c for c in names if c and c != "all" and "(" in c and not is_pattern(c) and c not in panel.columns]
    if not transforms:
        return panel
    return with_variables(panel, transforms, where="--indicators/--lm-y/--lm-x", id=args.id, time=args.time)


def show_progress(args: argparse.Namespace) -> bool:
    """Dask's progress bar (on stderr) unless ``--quiet``, and only on a terminal: its frames, redrawn
    over one line with carriage returns, would fill a log (``2> log.txt``) or a pipe."""
    return not args.quiet and sys.stderr.isatty()


def run(args: argparse.Namespace) -> int:
    import spillmap
    from spillmap.screen._spec import align_layer

    out = Path(args.out)
    weights = weight_specs(args.w, islands=args.islands, transform=args.transform)
    inputs = screen_inputs(args, weights)
    check_options(args, inputs)
    panel = with_transforms(read_panel(args.data, args.id, args.time), args)
    check_listed_indicators(panel, args)
    layer_id = args.layer_id or args.id
    layer = maps_layer = None
    if args.layer:
        layer = read_layer(args.layer, layer_id, assume_crs=args.assume_crs)
        if args.layer_id is None and layer_id not in layer.columns:  # the panel's id column name, not the layer's
            from spillmap.errors import InputError, did_you_mean

            raise InputError(f"--layer {args.layer}: no column {layer_id!r} (the panel's --id); name the layer's id "
                             "column with --layer-id." + did_you_mean(layer_id, [c for c in layer.columns if c != "geometry"]))
        layer = align_layer(layer, panel, id=args.id, layer_id=layer_id, quiet=args.quiet)
        maps_layer = layer
        if args.layer == "china_prefectures":  # the coarser geometry for the browser maps
            maps_layer = align_layer(read_layer(args.layer, layer_id, web=True, assume_crs=args.assume_crs), panel, id=args.id, layer_id=layer_id)
    lm = {"y": args.lm_y, "x": args.lm_x, "role": "x" if args.lm_y else "y", "fe": args.fe} if (
        args.lm_y or args.lm_x) else None
    res = spillmap.screen(
        panel, id=args.id, time=args.time, weights=weights, indicators=screened_indicators(panel, args),
        periods=args.periods, statistics=args.statistics, pooled=not args.no_pooled, permutations=args.permutations,
        seed=args.seed, alpha=args.alpha, fdr=args.fdr, lm=lm, composites=dict(parse_composite(c) for c in args.composite) or None,
        layer=layer, maps_layer=maps_layer, layer_id=layer_id, name_column=args.name_column,
        scheduler=args.scheduler or os.environ.get("SPILLMAP_SCHEDULER"), workers=args.workers, chunk=args.chunk,
        progress=show_progress(args),
    )
    res.save(out, force=args.force, maps_top_k=maps_top_k(args), inputs=inputs)
    note_left_out(panel, args)  # once written: an error stays the one line on stderr
    if not args.quiet:
        print(res.summary(top=5))
        print(f"wrote {out}/screen.parquet, screen.csv, ranking.csv and index.html "
              f"({res.timing['tasks']} tasks on {res.timing['workers']} worker(s), {res.timing['wall_seconds']:.1f} s)")
    return 0
