"""``spillmap diagnose``: the diagnostics table (Moran, LM, LR, Wald, Hausman classic and Mundlak form) as JSON.

Composes :func:`spillmap.study.diagnostics.diagnostics_table`; options shared with
``spillmap fit`` (:func:`spillmap.cli._fit.add_data_options`).
"""
from __future__ import annotations

import argparse
from typing import Any

from spillmap._warnings import warns_on_cli
from spillmap.cli._fit import add_data_options
from spillmap.cli._vocab import data_notice, noticed


def register(subparsers: Any) -> None:
    from spillmap._vocab import TEST_FAMILIES

    p = subparsers.add_parser(
        "diagnose",
        help="the model-choice table: Moran, LM (robust, SARMA), residual Moran, Pesaran CD, BSK, LR/Wald SDM vs "
             "SAR/SEM, posterior model probabilities, LR of the fixed effects, Hausman",
        description=(
            "The model-selection table of a spatial panel study (JSON keys named after the tests): pooled Moran's I "
            "of y; LM-lag/error and robust forms, LM-SARMA; Moran's I of the within residuals; Pesaran CD of the "
            "baseline and SDM residuals; Baltagi-Song-Koh and BSJK tests (on the pooled / random-effects "
            "specification, whatever --fe says); LR and Wald tests of SDM against SAR and SEM; Bayesian posterior "
            "model probabilities; LR/F tests of the unit and period effects; Hausman FE vs RE (classic, refused "
            "when Var(FE) - Var(RE) is not positive definite; Mundlak form, always defined; splm's sphtest form). "
            "hausman_selected is the form --hausman picks."
        ),
    )
    add_data_options(p)
    p.add_argument("--permutations", type=int, default=999, help="Moran permutations (default 999)")
    p.add_argument("--no-hausman", action="store_true", help="skip the random-effects fits and the Hausman tests")
    p.add_argument(
        "--hausman", choices=("auto", "classic", "sphtest", "mundlak"), default=None,  # None: auto
        help="the Hausman form reported as hausman_selected: auto (default: classic when defined, else the "
             "Mundlak form), classic, sphtest (splm's conditional covariance) or mundlak",
    )
    p.add_argument(
        "--tests", nargs="+", choices=TEST_FAMILIES, default=list(TEST_FAMILIES), metavar="TEST",
        help=f"test families to compute (default all): {', '.join(TEST_FAMILIES)}",
    )
    p.add_argument(
        "--lm-convention", choices=("elhorst", "demeaned"), default="elhorst",
        help="panel LM tests: 'elhorst' (default; Elhorst's LMsarsem_panel.m and R splm slmtest) or "
             "'demeaned' (W X b demeaned again); they differ only with time/two-way effects",
    )
    p.set_defaults(func=run)


def _check_hausman_options(args: argparse.Namespace) -> None:
    """--no-hausman with --hausman FORM or --tests hausman asks for both: refused in one line."""
    from spillmap._vocab import TEST_FAMILIES
    from spillmap.errors import InputError

    asked = [f"--hausman {args.hausman}"] if args.hausman else []
    if "hausman" in args.tests and args.tests != list(TEST_FAMILIES):
        asked.append("--tests hausman")
    if args.no_hausman and asked:
        raise InputError(f"--no-hausman skips the Hausman tests, and {' and '.join(asked)} asks for them: give one.")


def _p(p: float) -> str:
    """``"p = 3.8e-58"``; a p-value that underflowed to 0 (a chi-squared of thousands) as
    ``"p < 1e-300"``, since it is not zero."""
    return "p < 1e-300" if p == 0 else f"p = {p:.4g}"


def _fmt(row: dict) -> str:
    if "I" in row and "z" in row:
        return f"I = {row['I']:.4f}   z = {row['z']:.3f}   {_p(row['p'])}"
    if row.get("stat") is None:
        return f"n/a ({row.get('note', '')})"
    if "I" in row:  # Moran's I of the residuals: stat is its z
        return f"I = {row['I']:.4f}   z = {row['stat']:.3f}   {_p(row['p'])}"
    df = "" if row.get("df") is None else f"   df = {row['df']:g}"
    p = "" if row.get("p") is None else f"   {_p(row['p'])}"
    return f"{row['stat']:>12.4g}{df}{p}"


def _lines(table: dict, y: str, chosen: str) -> list[str]:
    """One console line per test: its key (the JSON's), the numbers, and what the test is (the
    report's row label)."""
    from spillmap.study.diagnostics import DIAGNOSTIC_LABELS

    rows = [(key, _fmt(row), DIAGNOSTIC_LABELS.get(key, "").replace("{y}", y)) for key, row in table.items()]
    rows = [(k, c + _chosen(table[k], chosen) if k == "hausman_selected" else c, lab) for k, c, lab in rows]
    labelled = [(k, c) for k, c, lab in rows if lab and not c.startswith("n/a")]
    kw = max(len(k) for k, _, _ in rows)
    width = max((len(c) for _, c in labelled), default=0)
    return [f"  {k:<{kw}} {c:<{width}}   {lab}" if lab and not c.startswith("n/a") else f"  {k:<{kw}} {c}"
            for k, c, lab in rows]


def _chosen(row: dict, choice: str) -> str:
    """What the ``hausman_selected`` line reports: the form and the option that chose it."""
    if not row.get("label"):
        return ""
    return f"   [{row['label']}; --hausman {choice}]"


@warns_on_cli("diagnose")  # one stderr line per warning; the JSON lists them ("warnings")
def run(args: argparse.Namespace) -> int:
    from spillmap.cli._fit import load_inputs, write_json
    from spillmap.study.diagnostics import diagnostics_table

    from spillmap.errors import InputError

    _check_hausman_options(args)
    if "{time}" in args.w:
        raise InputError(f"--w {args.w!r}: diagnose needs one W for all periods (its LM tests and Hausman test "
                         "use I_T kron W); one file per period works with spillmap fit.")
    panel, w = load_inputs(args)
    lee_yu = args.lee_yu or "transformation"
    table = diagnostics_table(
        panel, id=args.id, time=args.time, y=args.y, x=list(args.x), w=w, fe=args.fe,
        lee_yu=lee_yu, permutations=args.permutations, seed=args.seed,
        hausman_test=not args.no_hausman, hausman=args.hausman or "auto", tests=args.tests, lm_convention=args.lm_convention,
    )
    notice = data_notice(args.data)
    if notice:
        print(notice, end="\n\n")
    print(f"Diagnostics of {args.y} (fe = {args.fe}, Lee-Yu = {lee_yu}, LM convention = {args.lm_convention})")
    print("\n".join(_lines(table, args.y, args.hausman or "auto")))
    table = noticed({**table, "warnings": list(args.warning_log.messages)}, notice)
    if args.json:
        out = write_json(args.json, table, overwrite=args.force)
        print(f"wrote {out}")
    return 0
