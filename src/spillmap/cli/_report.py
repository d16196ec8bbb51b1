"""``spillmap report CONFIG.toml``: the one-command report (see :mod:`spillmap.maps.report`)."""
from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="run a report config (TOML) and write tables + offline maps to a folder",
        description=(
            "Build the report described by CONFIG.toml: descriptive statistics, spatial "
            "diagnostics per weight matrix, SDM direct/indirect/total effects and offline maps, "
            "in one self-contained folder (index.html, maps/, tables/, results.json)."
        ),
    )
    p.add_argument("config", help="report configuration (TOML)")
    p.add_argument("--out", help="output folder (default: [output] dir of the config)")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from spillmap.maps.report import build_report

    out = build_report(args.config, args.out, force=args.force, quiet=args.quiet)
    print(f"report written to {out}/index.html")
    return 0
