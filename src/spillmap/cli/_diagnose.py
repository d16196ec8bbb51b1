"""``spillmap diagnose``: the diagnostics table (Moran, LM, LR, Wald, Hausman classic and Mundlak form) as JSON.

Composes :func:`spillmap.study.diagnostics.diagnostics_table`; options shared with
``spillmap fit`` (:func:`spillmap.cli._fit.add_data_options`).
"""
from __future__ import annotations

import argparse
from typing import Any

from spillmap.cli._fit import add_data_options


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "diagnose",
        help="Moran's I, LM-lag/error (robust), LR and Wald SDM vs SAR/SEM, Hausman (classic and Mundlak form)",
        description=(
            "The model-selection table of a spatial panel study: pooled Moran's I of y, "
            "LM tests, LR and Wald tests of SDM against SAR and SEM, Hausman FE vs RE (classic, "
            "refused when Var(FE) - Var(RE) is not positive definite, and the regression-based Mundlak form)."
        ),
    )
    add_data_options(p)
    p.add_argument("--permutations", type=int, default=999, help="Moran permutations (default 999)")
    p.add_argument("--no-hausman", action="store_true", help="skip the random-effects fits and both Hausman tests")
    p.add_argument(
        "--lm-convention", choices=("elhorst", "demeaned"), default="elhorst",
        help="panel LM tests: 'elhorst' (default; Elhorst's LMsarsem_panel.m and R splm slmtest) or "
             "'demeaned' (W X b demeaned again); they differ only with time/two-way effects",
    )
    p.set_defaults(func=run)


def _fmt(row: dict) -> str:
    if "I" in row:
        return f"I = {row['I']:.4f}   z = {row['z']:.3f}   p = {row['p']:.4g}"
    if row.get("stat") is None:
        return f"n/a ({row.get('note', '')})"
    return f"{row['stat']:>12.3f}   df = {row['df']:g}   p = {row['p']:.4g}"


def _apply_lm_convention(table: dict, args: argparse.Namespace, panel: Any, w: Any) -> dict:
    """The four LM rows recomputed under ``--lm-convention`` (same keys, same order)."""
    from spillmap.spatial.lm import panel_lm_tests

    lm = panel_lm_tests(panel, id=args.id, time=args.time, y=args.y, x=list(args.x), w=w, effects=args.fe,
                        convention=args.lm_convention)
    out = dict(table)
    for key in ("lm_lag", "lm_error", "robust_lm_lag", "robust_lm_error"):
        r = getattr(lm, key)
        out[key] = {k: (None if v != v else v) for k, v in (("stat", r.stat), ("df", r.df), ("p", r.pvalue))}
    return out


def run(args: argparse.Namespace) -> int:
    from spillmap.cli._fit import load_inputs, write_json
    from spillmap.study.diagnostics import diagnostics_table

    panel, w = load_inputs(args)
    table = diagnostics_table(
        panel, id=args.id, time=args.time, y=args.y, x=list(args.x), w=w, fe=args.fe,
        lee_yu=args.lee_yu, permutations=args.permutations, seed=args.seed,
        hausman_test=not args.no_hausman,
    )
    table = _apply_lm_convention(table, args, panel, w)
    print(f"Diagnostics of {args.y} (fe = {args.fe}, Lee-Yu = {args.lee_yu}, LM convention = {args.lm_convention})")
    for key, row in table.items():
        print(f"  {key:<16} {_fmt(row)}")
    if args.json:
        out = write_json(args.json, table)
        print(f"wrote {out}")
    return 0
