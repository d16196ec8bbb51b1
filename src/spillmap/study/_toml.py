"""A TOML writer for the study specification (tables of scalars, lists and inline tables).

Written by hand: :mod:`tomllib` only reads, and the specification needs no more than
strings, numbers, booleans, lists and (nested) tables; ``tomli_w`` would be a
dependency for ~40 lines.  :func:`dumps` output is read back by :mod:`tomllib` to the
same document (tested).
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["dumps", "value"]


def _key(k: str) -> str:
    return k if k and all(c.isalnum() or c in "-_" for c in k) and k.isascii() else json.dumps(k, ensure_ascii=False)


def value(v: Any) -> str:
    """One TOML value: a boolean, number, string, list or inline table."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"TOML cannot hold {v!r} here")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{_key(str(k))} = {value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _is_table(v: Any) -> bool:
    return isinstance(v, Mapping) and any(isinstance(x, Mapping) for x in v.values()) or (
        isinstance(v, Mapping) and len(v) > 3)


def _section(name: str, table: Mapping, out: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not (isinstance(v, Mapping) and _is_table(v))}
    subs = {k: v for k, v in table.items() if k not in scalars}
    if name:
        out.append(f"\n[{name}]")
    out.extend(f"{_key(str(k))} = {value(v)}" for k, v in scalars.items() if v is not None)
    for k, v in subs.items():
        _section(f"{name}.{_key(str(k))}" if name else _key(str(k)), v, out)


def dumps(doc: Mapping[str, Any]) -> str:
    """TOML text of ``doc`` (top-level scalars first, then one ``[table]`` per mapping)."""
    out: list[str] = []
    top = {k: v for k, v in doc.items() if not isinstance(v, Mapping)}
    out.extend(f"{_key(k)} = {value(v)}" for k, v in top.items() if v is not None)
    for k, v in doc.items():
        if isinstance(v, Mapping):
            if k == "weights":
                for wname, w in v.items():
                    _section(f"weights.{_key(str(wname))}", w, out)
            else:
                _section(_key(k), v, out)
    return "\n".join(out).lstrip("\n") + "\n"
