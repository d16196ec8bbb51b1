"""``spillmap scenario SOURCE``: a policy scenario on a study spec, the demo, or a saved results.json.

Writes, for each scenario and weights matrix, the map (``maps/``), the table of the largest
spillovers received and the group totals (``tables/``: a CSV with every digit, and as printed, with the
spec's ``[heterogeneity] labels`` naming the groups, in CSV, LaTeX, Word, Excel and Markdown; both tables
also in one DOCX and one XLSX), a figure (``figures/``) and the result (``results/NAME_W.json``);
``--explore`` adds the click-to-explore map.  The scenario is the spec's ``[scenarios.NAME]`` or one
written with the flags (the same keys, :data:`FLAGS`; its mistakes are named by flag, and found before
any model work, from a results.json too).  Composition only:
:mod:`spillmap.study._steps_scenarios`, :func:`spillmap.estimation.scenario`,
:mod:`spillmap.maps._report_scenarios`.
"""
from __future__ import annotations

import argparse
import contextlib
import re
from pathlib import Path

from spillmap.cli._vocab import path_arg

EXAMPLES = """examples:
  spillmap scenario demo --variable int --change 0.02 --units province_en=Hubei --out hubei
  spillmap scenario demo --variable int --change 0.02 --units name_en=Wuhan,Xiaogan --out two
  spillmap scenario study.toml --name hubei --out out/          # a [scenarios.NAME] of the spec
  spillmap scenario report/results.json --variable int --change 5 --kind percent \\
      --units 420100 --units 孝感市 --w W1 --method delta --out out/
"""


def default_name(variable: str) -> str:
    """The scenario's name when ``--name`` is not given: the first variable as a file-name slug,
    without the underscores that brackets leave at its ends (``log(pc)`` -> ``log_pc``)."""
    from spillmap.study._names import slug

    return slug(variable).strip("_") or "scenario"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "scenario",
        help="predicted change of y in every unit when x changes in some units (map, table, figure)",
        description=(
            "Compute a policy scenario on the SDM of each weights matrix: for every unit the predicted change of "
            "y split into its own part and the part received from the others, with an interval from the "
            "effects' parameter draws, and totals for the region, the changed units and each group. SOURCE is "
            "a study spec (TOML), 'demo' (the bundled demo study) or a results.json (or a report folder) "
            "written by `spillmap report`. The keys are those of [scenarios.NAME] in docs/config.md."
        ),
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", metavar="SOURCE", type=path_arg, help="STUDY.toml, 'demo', or results.json / a report folder")
    p.add_argument("--name", help="the spec's [scenarios.NAME] to run (default: all), or the name of the "
                                  "scenario given by the flags (default: the first variable)")
    p.add_argument("--variable", action="append", help="regressor changed (repeat for several)")
    p.add_argument("--change", action="append", help="the change (one, or one per --variable)")
    p.add_argument("--kind", action="append", choices=("absolute", "percent", "to_unit", "to_quantile"),
                   help="absolute (default), percent (of log(v): percent of v), to_unit, to_quantile (one, or one "
                        "per --variable)")
    p.add_argument("--units", action="append", metavar="UNITS",
                   help="'all' (default), an id or name (repeat), or COLUMN=VALUE[,VALUE...] (repeat: all match)")
    p.add_argument("--groups", action="append", metavar="COLUMN", help="group totals by this column (repeat)")
    p.add_argument("--within", metavar="COLUMN", help="reference group of --kind to_quantile")
    p.add_argument("--period", help="period of the base values (default: the last)")
    p.add_argument("--w", action="append", metavar="NAME",
                   help="weights matrix whose SDM answers (default: all; with a spec's or results' own scenarios, "
                        "only these)")
    p.add_argument("--method", choices=("simulation", "delta"), help="intervals (default: simulation)")
    p.add_argument("--draws", type=int, help="parameter draws (default: the spec's model.draws)")
    p.add_argument("--level", type=float, help="confidence level (default: 0.95)")
    p.add_argument("--top", type=int, help="units in the table and the figure (default: 10)")
    p.add_argument("--explore", action="store_true", help="also write the click-to-explore map of each variable")
    p.add_argument("--out", required=True, type=path_arg, help="output folder (must not exist unless --force)")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=run)


#: the command-line option of each key of ``[scenarios.NAME]`` (a scenario written with the flags)
FLAGS = {k: f"--{k}" for k in ("variable", "change", "kind", "units", "groups", "within", "period", "w", "method",
                               "draws", "level", "top")}
#: a message about a key of the flags' scenario: the spec reader's and the data checks' forms
_KEY = re.compile(r"study spec.*?: key 'scenarios\..+\.(\w+)': |scenarios\..+?\.(\w+): (?:(?:units|groups): )?")
#: the spec's words in such a message, as the command line says them
_TOML_WORDS = ((r"kind = '(\w+)'", r"--kind \1"), (r'method = "(\w+)"', r"--method \1"),
               (r"among model\.x = ", "among the model's regressors "), (r"one per variable", "one per --variable"))


def check_flags(args: argparse.Namespace) -> None:
    """Refuse the flags that would do nothing, before anything is read.

    Parameters
    ----------
    args
        The parsed options.

    Raises
    ------
    InputError
        For a scenario flag without ``--variable`` (the spec's scenarios run as written),
        ``--within`` without a ``--kind to_quantile``, or ``--draws`` with ``--method delta``;
        one line naming both options.
    """
    from spillmap.errors import InputError

    if not args.variable:
        given = [flag for key, flag in FLAGS.items() if key not in ("variable", "w") and getattr(args, key) is not None]
        if given:
            raise InputError(f"{given[0]} describes a scenario written with --variable; without --variable the "
                             f"[scenarios.NAME] of {args.source} run as defined there: add --variable, or leave "
                             f"{given[0]} out.")
        return
    if args.within is not None and "to_quantile" not in (args.kind or ()):
        raise InputError(f"--within sets the reference group of --kind to_quantile and does nothing with --kind "
                         f"{', '.join(args.kind or ['absolute'])}: leave --within out, or give --kind to_quantile.")
    if args.draws is not None and args.method == "delta":
        raise InputError("--draws sets the parameter draws of --method simulation and does nothing with --method "
                         "delta: leave --draws out, or drop --method delta.")


def flag_message(text: str) -> str | None:
    """A message about a key of the flags' scenario, naming the flag (``--change: ...`` for
    ``study spec command line: key 'scenarios.NAME.change': ...``); None for any other message."""
    m = _KEY.match(text)
    key = m and (m.group(1) or m.group(2))
    if key not in FLAGS:
        return None
    rest = text[m.end():]
    for old, new in _TOML_WORDS:
        rest = re.sub(old, new, rest)
    return f"{FLAGS[key]}: {rest}"


@contextlib.contextmanager
def _by_flag(active: bool):
    """Re-raise a scenario key's error by its flag (:func:`flag_message`) when ``active``."""
    from spillmap.errors import SpillmapError

    try:
        yield
    except SpillmapError as exc:
        text = flag_message(str(exc)) if active else None
        if text is None:
            raise
        raise type(exc)(text) from None


def _value(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _units(items: list[str] | None):
    if not items:
        return None
    if items == ["all"]:
        return "all"
    pairs = [i for i in items if "=" in i]
    if pairs and len(pairs) != len(items):
        from spillmap.errors import InputError

        raise InputError("--units: give either ids/names or COLUMN=VALUE selections, not both.")
    if pairs:
        out = {}
        for item in pairs:
            col, _, vals = item.partition("=")
            values = [v.strip() for v in vals.split(",") if v.strip()]
            out[col.strip()] = values if len(values) > 1 else values[0]
        return out
    return items


def _flag_table(args) -> dict:
    raw: dict = {"variable": args.variable if len(args.variable) > 1 else args.variable[0]}
    if args.change is None:
        from spillmap.errors import InputError

        raise InputError("--change is required with --variable (e.g. --change 0.02).")
    changes = [_value(c) for c in args.change]
    raw["change"] = changes if len(changes) > 1 else changes[0]
    if args.kind:
        raw["kind"] = args.kind if len(args.kind) > 1 else args.kind[0]
    for key, value in (("units", _units(args.units)), ("groups", args.groups), ("within", args.within),
                       ("period", None if args.period is None else _value(args.period)), ("w", args.w),
                       ("method", args.method), ("draws", args.draws), ("level", args.level), ("top", args.top)):
        if value is not None:
            raw[key] = int(value) if key == "period" and isinstance(value, float) and value.is_integer() else value
    return raw


def _scenarios(study, args):
    """The scenarios to run: from the flags, or the spec's (``--name`` picks one)."""
    from dataclasses import replace

    from spillmap.errors import InputError
    from spillmap.study.scenarios import ScenarioSpec

    if args.variable:
        spec = ScenarioSpec.from_dict(args.name or default_name(args.variable[0]), _flag_table(args),
                                      source="command line")
        return replace(study, scenarios=(spec,))
    if not study.scenarios:
        raise InputError(f"{args.source} defines no [scenarios.NAME]; describe one with --variable, --change "
                         "and --units.")
    keep = study.scenarios
    if args.name:
        keep = tuple(s for s in study.scenarios if s.name == args.name)
        if not keep:
            raise InputError(f"no scenario {args.name!r} in {args.source}; it defines "
                             f"{', '.join(s.name for s in study.scenarios)}.")
    if args.w:  # the spec's scenarios on these matrices only
        known = [w.name for w in study.weights]
        unknown = [w for w in args.w if w not in known]
        if unknown:
            raise InputError(f"--w {unknown[0]}: no weights {unknown[0]!r} in {args.source}; it defines "
                             f"{', '.join(known)}.")
        keep = tuple(replace(s, w=tuple(dict.fromkeys(args.w))) for s in keep)
    return replace(study, scenarios=keep)


def _source(args) -> Path:
    """SOURCE as a path: the bundled demo spec for ``demo`` (unless a file of that name exists)."""
    from spillmap import datasets

    src = Path(args.source)
    if args.source == "demo" and not src.exists():
        return datasets.data_path("demo_report.toml")
    return src


def _is_results(src: Path) -> bool:
    """Whether SOURCE is a report folder or a ``results.json`` (else a study spec)."""
    return src.is_dir() or src.suffix.lower() == ".json"


def _inputs(src: Path, spec) -> dict[str, Path]:
    """The files the run reads, labelled for messages: ``--out`` must neither be nor hold one
    (refused before any work, even with ``--force``, as ``spillmap report`` does).

    Parameters
    ----------
    src
        SOURCE: a report folder, a ``results.json`` or a study spec.
    spec
        The :class:`~spillmap.study.Study` read from a spec, or None for saved results (their
        spec's files are not read again: the results hold the data).
    """
    if spec is None:
        return {f"the SOURCE {'report folder' if src.is_dir() else 'results'}": src}
    return spec.input_files()


def _load(args, src: Path, spec, say):
    """``(study, models, attributes, geometry)`` from a spec (``spec``, already read) or, when
    ``spec`` is None, from the results.json or report folder ``src``."""
    from spillmap.study import Study, StudyResults
    from spillmap.study._plan import scenario_command_steps

    if spec is None:
        results = StudyResults.read(src)
        study = _scenarios(Study.from_dict(dict(_plain(results.spec)), source=str(src)), args)
        from spillmap.study.scenarios import stored_attributes, stored_model

        attrs = stored_attributes(results)
        _check_stored(study, results, attrs)
        wnames = _stored_wnames(study, results, explicit=bool(args.w))
        say.total = scenario_command_steps(study, _wnames(study), fit=False, explore=args.explore)
        return study, {w: stored_model(results, w) for w in wnames}, attrs, results.geometry
    study = _scenarios(spec, args)
    from spillmap.study._steps_scenarios import fit_models

    say.total = scenario_command_steps(study, _wnames(study), fit=True, explore=args.explore)
    return (study, *fit_models(study, _wnames(study), say))  # models: those whose SDM could be estimated


def _check_stored(study, results, attrs) -> None:
    """The scenarios' units, groups, ``within``, period and reference units against the unit table
    and the periods of the results, before any model work: the spec's check
    (:func:`spillmap.study._steps_scenarios.check_block`) on the stored inputs.  Results without
    scenario inputs are left to :func:`~spillmap.study.scenarios.stored_model`, which says so."""
    from types import SimpleNamespace

    from spillmap.study._steps_scenarios import check_block

    stored = results.scenarios.get("inputs") or {}
    if not stored.get("periods"):
        return
    key = "__spillmap_id__"
    check_block(study, SimpleNamespace(layer=attrs.rename_axis(key).reset_index(), id=key,
                                       ids=[str(i) for i in attrs.index], times=list(stored["periods"])))


def _plain(x):
    from spillmap.study.records import thaw

    return thaw(x)


def _stored_wnames(study, results, *, explicit: bool) -> list[str]:
    """The matrices of the scenarios whose SDM the results hold; one without it (its SDM failed when the
    study ran) is skipped with a warning, as the report skipped it, unless ``--w`` asked for it."""
    import warnings

    from spillmap.errors import EstimationWarning

    wnames = _wnames(study)
    held = set((results.scenarios.get("inputs") or {}).get("models", {}))
    absent = [w for w in wnames if w not in held]
    if explicit or not absent or len(absent) == len(wnames):
        return wnames  # stored_model then names what is missing
    warnings.warn(f"the results hold no SDM of weights {', '.join(absent)} (its fit failed when the study ran, "
                  "see the report's Not available), so its scenarios are skipped.", EstimationWarning, stacklevel=2)
    return [w for w in wnames if w in held]


def _wnames(study) -> list[str]:
    names = [n for s in study.scenarios for n in (s.w or tuple(w.name for w in study.weights))]
    return list(dict.fromkeys(names))


def run(args: argparse.Namespace) -> int:
    """Run the scenarios of SOURCE into ``--out``; SOURCE and every file it reads are refused as
    (or inside) the output folder before any work."""
    from spillmap._fileio import atomic_directory
    from spillmap.cli._scenario_write import write_all
    from spillmap.study import Study, print_progress
    from spillmap.study._plan import Steps

    check_flags(args)
    say = Steps(None if args.quiet else print_progress())  # its total is set once the scenarios are known
    out = Path(args.out)
    src = _source(args)
    spec = None if _is_results(src) else Study.from_toml(src)  # its files are inputs, checked with --out
    with atomic_directory(out, force=args.force, inputs=_inputs(src, spec)) as tmp:
        with _by_flag(bool(args.variable)):
            study, models, attrs, geometry = _load(args, src, spec, say)
        lines = write_all(study, models, attrs, geometry, tmp, say, explore=args.explore)
    if study.notice:  # first, as fit, diagnose and moran print it (new-user audit 31)
        print(study.notice + "\n")
    for line in lines:
        print(line)
    maps = sorted(p.name for p in (out / "maps").glob("*.html")) if (out / "maps").is_dir() else []
    print(f"scenario outputs written to {out}/" + (f"; open the map{'s' if len(maps) > 1 else ''} "
                                                    f"{', '.join(f'{out}/maps/{m}' for m in maps)}" if maps else ""))
    return 0
