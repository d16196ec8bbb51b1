"""``spillmap report STUDY.toml``: load the study spec, run it, render the report.

The pipeline runs in :mod:`spillmap.study.run`; the page is drawn by
:mod:`spillmap.maps.report`.  The TOML keys are documented in ``docs/config.md``.
"""
from __future__ import annotations

import argparse

from spillmap.cli._vocab import path_arg


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="run a study spec (TOML) and write its tables + offline maps to a folder",
        description=(
            "Run the study described by STUDY.toml and write its report: descriptive statistics, "
            "Moran's I by period, the non-spatial baseline, spatial diagnostics per weights matrix, "
            "SDM direct/indirect/total effects, heterogeneity by group and offline maps, in one "
            "self-contained folder (index.html, maps/, tables/, results.json). Every key of the TOML "
            "file is documented in docs/config.md of the source tree; `spillmap report --reference` prints the same "
            "reference. "
            "`spillmap demo` runs the packaged example data/demo_report.toml."
        ),
    )
    p.add_argument("config", metavar="STUDY.toml", nargs="?", type=path_arg, help="study specification (TOML; see docs/config.md)")
    p.add_argument("--reference", action="store_true", help="print the reference of every TOML key and exit")
    p.add_argument("--out", type=path_arg, help="output folder (default: [output] dir of the config)")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from spillmap.errors import InputError
    from spillmap.maps.report import build_report

    if args.reference:
        from spillmap.study._reference import markdown

        print(markdown(), end="")
        return 0
    if args.config is None:
        raise InputError("give the study spec STUDY.toml (or --reference for the list of keys).")

    out = build_report(args.config, args.out, force=args.force, quiet=args.quiet)
    print(f"report written to {out}/index.html")
    return 0
