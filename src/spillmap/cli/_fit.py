"""``spillmap fit``: estimate a spatial panel model and its effects; write JSON.

Composes :func:`spillmap.spatial.io.read_weights`,
:class:`spillmap.estimation.model.SpatialPanel` and
:func:`spillmap.estimation.effects.compute_effects`; output through
:func:`spillmap._fileio.atomic_write_text`.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from spillmap._warnings import warns_on_cli
from spillmap.cli._vocab import (add_transform, data_notice, noticed, path_arg, read_table, transform_weights,
                                 with_variables)

from spillmap._vocab import COV_TYPES, DYNAMIC, FE, LEE_YU, MODELS  # noqa: E402  (one vocabulary)
from spillmap.results import finite_or_none as _num  # noqa: E402


def add_data_options(p: argparse.ArgumentParser) -> None:
    """The panel, variable and weights options shared by ``fit`` and ``diagnose``."""
    p.add_argument("--data", required=True, metavar="PANEL.csv", type=path_arg,
                   help="long panel, one row per (id, time): a CSV, Excel (.xlsx) or Parquet file or a bundled table (produc, cigar, "
                        "demo_panel)")
    p.add_argument("--id", required=True, metavar="COL", help="unit id column (read as text: leading zeros kept)")
    p.add_argument("--time", metavar="COL", default=None, help="period column (omit for a cross-section, T = 1)")
    p.add_argument("--y", required=True, metavar="NAME", help="dependent variable (a column or a transform: 'log(gsp)')")
    p.add_argument("--x", required=True, nargs="+", metavar="NAME", help="regressors (columns or transforms)")
    p.add_argument("--w", required=True, metavar="W", type=path_arg,
                   help="weights file: .csv, .gal, .gwt or .mtx, or a bundled matrix (cigar_w); "
                        "'W_{time}.gal' reads one file per period "
                        "({time} replaced by each period of --time): a time-varying W")
    add_transform(p)
    p.add_argument(  # kept for scripts written against the first release; same as --transform R
        "--row-standardize", action="store_const", const="R", dest="transform", help=argparse.SUPPRESS,
    )
    p.add_argument("--fe", choices=FE, default="twoways", help="fixed effects (default: twoways)")
    p.add_argument(
        "--lee-yu", choices=LEE_YU, default=None, dest="lee_yu",  # None: not given (transformation)
        help="Lee-Yu treatment of the fixed effects (default: transformation; ydjl: Lee-Yu's published "
             "estimator of a dynamic model, with --dynamic)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--json", metavar="OUT.json", default=None, type=path_arg, help="write the results as JSON (atomically)")
    p.add_argument("--force", action="store_true", help="replace an existing --json file")
    p.set_defaults(outputs=json_outputs)


def json_outputs(args: argparse.Namespace):
    """``(targets, inputs)`` checked and locked by :func:`spillmap.cli.main` before any work."""
    return [args.json], {"the --data file": args.data, "the --w file": args.w}


def _model(value: str) -> str:
    """``--model`` in any case (``SAR``, as the summaries print it) as its lower-case choice; another
    value is left as typed for argparse's refusal, which lists the models."""
    low = value.strip().lower()
    return low if low in MODELS else value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "fit",
        help="fit a SAR/SEM/SDM/SLX/SDEM panel model by ML, with direct/indirect/total effects",
        description=(
            "Fit a spatial panel model by maximum likelihood and compute the LeSage-Pace "
            "direct, indirect and total effects (simulation; --draws 0 for the delta method)."
        ),
    )
    add_data_options(p)
    p.add_argument("--model", choices=MODELS, default="sdm", type=_model, help="model, in any case (default: sdm)")
    p.add_argument(
        "--re", action="store_true",
        help="random unit effects instead of fixed ones (with --fe time/twoways: plus fixed period effects)",
    )
    p.add_argument("--dynamic", choices=DYNAMIC, default=None,
                   help="dynamic model: y (y_t-1), wy (W y_t-1) or both; conditional on the first period, with "
                        "the Yu-de Jong-Lee / Lee-Yu bias correction of --lee-yu; short- and long-run effects")
    p.add_argument("--draws", type=int, default=1000, help="simulation draws for effects; 0 = delta method")
    p.add_argument("--cov-type", choices=COV_TYPES, default=None, dest="cov_type",
                   help="standard errors from the expected information (default) or the observed one (hessian: "
                        "minus the inverse Hessian of the log-likelihood); random effects always use the latter")
    p.set_defaults(func=run)


# ------------------------------------------------------------------ helpers
def read_panel(path: str, id_col: str, time_col: str | None, columns: list[str]):
    """Read a panel (a file or a bundled table; ids as text) and evaluate variable transforms.

    Errors name the file and the missing columns.
    """
    from spillmap._readcsv import require_columns
    from spillmap._rowplace import check_keys_filled, check_periods

    df = read_table(path, id_col)
    require_columns(df, path, [id_col] + ([time_col] if time_col else []))
    check_keys_filled(df, id_col, time_col)  # before astype(str) below turns an empty id into 'nan'
    check_periods(df, time_col)
    df = with_variables(df, [c for c in columns if c not in df.columns and "(" in c], id=id_col, time=time_col)
    require_columns(df, path, columns)
    df[id_col] = df[id_col].astype(str).str.strip()
    return df


def load_inputs(args: argparse.Namespace):
    """The panel and the weights aligned to the panel's units."""
    from spillmap.spatial.io import read_weights

    panel = read_panel(args.data, args.id, args.time, [args.y] + list(args.x))
    if args.time is None and panel[args.id].duplicated().any():
        from spillmap.errors import DataError, format_items

        dups = list(dict.fromkeys(panel.loc[panel[args.id].duplicated(), args.id]))
        raise DataError(
            f"{args.data}: column {args.id!r} repeats ids {format_items(dups)}; without --time the data "
            "must be a cross-section (one row per unit). Give --time COL for a panel."
        )
    ids = list(dict.fromkeys(panel[args.id]))
    if "{time}" in args.w:
        return panel, _weights_per_period(args, panel, ids)
    from spillmap.datasets import weights_file

    w = read_weights(weights_file(args.w), ids=ids)
    return panel, transform_weights(w, getattr(args, "transform", "R"))


def _weights_per_period(args: argparse.Namespace, panel, ids: list) -> dict:
    """``--w 'W_{time}.gal'``: one file per period of ``--time`` (each named in its errors)."""
    from spillmap.errors import InputError
    from spillmap.spatial.io import read_weights

    if args.time is None:
        raise InputError(f"--w {args.w!r} has a {{time}} placeholder but no --time column was given.")
    import pandas as pd

    out = {}
    for period in sorted(pd.unique(panel[args.time])):
        period = period.item() if hasattr(period, "item") else period
        path = args.w.replace("{time}", str(period))
        try:
            out[period] = transform_weights(read_weights(path, ids=ids), getattr(args, "transform", "R"))
        except InputError as exc:
            raise type(exc)(f"--w for period {period} ({path}): {exc}") from None
    return out


def params_dict(res: Any) -> dict:
    """``{"<name>": {"estimate","se","z","p"}}`` over the estimated parameters."""
    out = {}
    for name in res.params.index:
        out[str(name)] = {
            "estimate": _num(res.params[name]),
            "se": _num(res.std_errors[name]),
            "z": _num(res.tvalues[name]),
            "p": _num(res.pvalues[name]),
        }
    return out


def results_dict(res: Any, effects: Any | None, long_run: Any | None = None) -> dict:
    """The JSON document of ``spillmap fit`` (a dynamic fit adds ``dynamic`` and ``effects_long_run``;
    ``effects`` is then the short run)."""
    return {
        "model": res.model,
        "fe": res.effects,
        "lee_yu": res.lee_yu,
        "n": int(res.n),
        "t": int(res.t),
        "nobs": int(res.nobs),
        "y": res.y_name,
        "params": params_dict(res),
        "sigma2": _num(res.sigma2),
        "loglik": _num(res.loglik),
        "aic": _num(res.aic),
        "bic": _num(res.bic),
        "effects": None if effects is None else effects.to_dict(),
        "effects_method": None if effects is None else effects.method,
        **({"dynamic": res.dynamic, "effects_long_run": None if long_run is None else long_run.to_dict()}
           if getattr(res, "dynamic", None) else {}),
        "warnings": list(getattr(res, "warnings", ())),
    }


def write_json(path: str, doc: dict, *, overwrite: bool = False) -> Path:
    from spillmap._fileio import atomic_write_text

    return atomic_write_text(path, json.dumps(doc, indent=2, allow_nan=False) + "\n", overwrite=overwrite)


@warns_on_cli("fit")  # one stderr line per warning; the JSON lists them ("warnings")
def run(args: argparse.Namespace) -> int:
    from spillmap.errors import InputError
    from spillmap.estimation.effects import compute_effects
    from spillmap.estimation.model import SpatialPanel

    if args.draws < 0:
        raise InputError(f"--draws must be >= 0 (0 = delta method); got {args.draws}.")
    if 0 < args.draws < 100:
        raise InputError(f"--draws {args.draws} is too few for simulated standard errors; use >= 100 or 0.")
    if args.re and args.lee_yu not in (None, "none"):
        raise InputError(f"--lee-yu {args.lee_yu} treats fixed unit effects, and with --re they are random "
                         "(Lee-Yu does not apply): drop --lee-yu.")
    lee_yu = args.lee_yu or (None if args.re else "transformation")
    panel, w = load_inputs(args)
    notice = data_notice(args.data)
    dynamic = getattr(args, "dynamic", None)
    # --re with --fe time/twoways: random unit effects plus fixed period effects (SpatialPanel's re=)
    spec = SpatialPanel(panel, y=args.y, x=list(args.x), id=args.id, time=args.time, w=w, model=args.model,
                        fe=args.fe, re=args.re, dynamic=dynamic)
    res = spec.fit(lee_yu=lee_yu, cov_type=getattr(args, "cov_type", None))
    eff = long_run = None
    method = "delta" if args.draws == 0 else "simulation"
    if dynamic is not None:
        both = res.effects_both(draws=args.draws, seed=args.seed, method=method)
        eff, long_run = both["short"], both["long"]
    elif res.model != "sem":
        eff = compute_effects(res, draws=args.draws, seed=args.seed, method=method)
    if notice:
        print(notice, end="\n\n")
    print(res.summary())
    for block in (eff, long_run):
        if block is not None:
            print()
            print(block.summary())
    if args.json:
        doc = noticed(results_dict(res, eff, long_run), notice)
        # every warning the screen showed (reading the data, the effects' draws), not only the fit's own
        log = getattr(args, "warning_log", None)
        doc["warnings"] = list(dict.fromkeys([*doc["warnings"], *(log.messages if log is not None else ())]))
        out = write_json(args.json, doc, overwrite=args.force)
        print(f"\nwrote {out}")
    return 0
