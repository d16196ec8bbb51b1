"""The command line's shared vocabulary: weights transforms, bundled datasets, variable transforms.

One spelling per idea across the CLI, the study TOML and Python (see ``docs/config.md``):
a weights transform is ``R`` (row-standardised), ``B`` (binary) or ``O`` (as built / as
stored); the first release's spellings (``r``/``b``/``none`` of ``spillmap weights``,
``asis`` of ``fit``/``moran``) are still read, with a deprecation message.  Bundled dataset
names (``produc``, ``us48``, …) work wherever a file path is accepted, and formula
transforms (``log(gsp)``) wherever a variable is named.
"""
from __future__ import annotations

import argparse
import functools
import os
import sys

__all__ = ["add_transform", "transform_weights", "read_table", "with_variables", "path_arg"]

_OLD_TRANSFORMS = {"r": "R", "b": "B", "o": "O", "none": "O", "asis": "O"}


def _transform(value: str, prog: str = "spillmap") -> str:
    v = value.strip()
    if v in ("R", "B", "O"):
        return v
    if v in _OLD_TRANSFORMS or v.upper() in ("R", "B", "O"):
        new = _OLD_TRANSFORMS.get(v, v.upper())
        print(f"{prog}: note: --transform {v} is deprecated; write --transform {new}.", file=sys.stderr)
        return new
    raise argparse.ArgumentTypeError(f"invalid choice: {value!r} (choose from 'R', 'B', 'O')")


def add_transform(p: argparse.ArgumentParser, *, default: str = "R", what: str = "W") -> None:
    """``--transform R|B|O`` (old spellings read with a deprecation note)."""
    p.add_argument(
        "--transform", type=functools.partial(_transform, prog=p.prog), default=default, metavar="{R,B,O}",
        help=f"use {what} row-standardised (R, default), binary (B) or as built / as stored in the file (O); "
             "GAL files are read as binary",
    )


def path_arg(value: str) -> str:
    """A path option or argument with a leading ``~`` expanded to the home folder: the shell does
    not expand ``--out=~/report`` or a quoted ``"~/panel.csv"`` (bundled names pass unchanged; as
    :func:`spillmap.study._names.user_path`, without importing the study package at parse time)."""
    return os.path.expanduser(value)


#: how a layer reader's error tells a command-line user to give a missing CRS (``--assume-crs``)
ASSUME_CRS_ADVICE = "give it with --assume-crs, e.g. --assume-crs EPSG:4326 for longitude/latitude degrees"


def crs_arg(value: str) -> str:
    """``--assume-crs``: a CRS pyproj can parse (checked when the command line is read)."""
    import pyproj

    from spillmap.errors import one_line

    try:
        pyproj.CRS.from_user_input(value)
    except Exception as exc:  # pyproj.exceptions.CRSError
        raise argparse.ArgumentTypeError(f"{value!r} is not a CRS pyproj understands ({one_line(exc)}); "
                                         "e.g. --assume-crs EPSG:4326") from None
    return value


def transform_weights(w, transform: str):
    """``w`` row-standardised, binary or as it is."""
    return {"R": w.row_standardize, "B": w.binary, "O": lambda: w}[transform]()


def data_notice(source: str | None) -> str | None:
    """:data:`~spillmap.datasets.DEMO_NOTICE` when ``--data`` is the bundled synthetic panel (by its
    name ``demo_panel`` or its file), else None: the commands print it first and write it into their
    JSON, as every output built on those data says what they are (new-user audit 31)."""
    from spillmap import datasets

    return datasets._notice_of(source)


def noticed(doc: dict, notice: str | None) -> dict:
    """``doc`` with ``notice`` as its first key (when there is one)."""
    return {"notice": notice, **doc} if notice else doc


def read_table(source: str, id_col: str | None):
    """A CSV, Excel (.xlsx) or Parquet file, or a bundled table named instead of a path (``produc``, ``demo_panel``…)."""
    from spillmap.study.inputs import load_table

    return load_table(source, where="--data", id=id_col)


def with_variables(df, names, *, where: str = "--y/--x", id: str | None = None, time: str | None = None):
    """``df`` with a column for each variable written as a transform (``log(gsp)``); a transform
    of a text column is an error naming its first text cell by (``id``, ``time``)."""
    from spillmap.study.inputs import evaluate_variables

    return evaluate_variables(df, [n for n in names if n], where=where, id=id, time=time)
