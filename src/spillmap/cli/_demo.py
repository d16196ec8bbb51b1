"""``spillmap demo --out DIR``: the report on the embedded synthetic China panel."""
from __future__ import annotations

import argparse

from spillmap.cli._vocab import path_arg


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run the full report on the embedded SYNTHETIC China city panel",
        description=(
            "Runs `spillmap report` with the packaged demo config (data/demo_report.toml): "
            "297 municipalities and prefecture-level cities 2008-2019, W1 queen contiguity "
            "(islands linked to their nearest neighbour), W2 economic-geographic from pgdp. "
            "The panel is synthetic and every output says so."
        ),
    )
    p.add_argument("--out", default="spillmap_demo_report", type=path_arg, help="output folder (default: %(default)s)")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import time

    from spillmap import datasets
    from spillmap.maps.report import build_report

    t0 = time.perf_counter()
    out = build_report(datasets.data_path("demo_report.toml"), args.out, force=args.force, quiet=args.quiet)
    print(datasets.DEMO_NOTICE)
    print(f"demo report written in {time.perf_counter() - t0:.0f} s: open {out.resolve()}/index.html")
    return 0
