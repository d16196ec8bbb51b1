"""The one schema machinery of the study specification.

A section of the TOML file is a frozen dataclass; each field carries its documentation,
allowed values and an example in ``dataclasses.field(metadata=...)`` (built by
:func:`key`).  :func:`from_mapping` validates a TOML table against such a class (unknown
keys, missing keys, types, choices, ranges, deprecated spellings) and :func:`to_mapping`
turns an instance back into a TOML-ready table.  ``docs/config.md`` is generated from the
same metadata (:func:`section_markdown`), so the reference cannot drift from the code.

Written by hand: TOML parsing is :mod:`tomllib`; no library validates nested frozen
dataclasses with key paths in the messages (pydantic would be a new heavy dependency
for ~150 lines).
"""
from __future__ import annotations

import dataclasses
import types
import typing
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from spillmap.errors import InputError

__all__ = ["MISSING", "key", "SpecError", "from_mapping", "to_mapping", "section_markdown", "check_unknown"]

MISSING = dataclasses.MISSING


class SpecError(InputError):
    """A study specification with a bad key or value; the message names the key."""


def spec_error(source: str, key_path: str, msg: str) -> SpecError:
    """``study spec SOURCE: key 'a.b': MSG`` (one line)."""
    where = f" {source}" if source else ""
    return SpecError(f"study spec{where}: key {key_path!r}: {msg}")


def key(
    doc: str,
    *,
    default: Any = MISSING,
    choices: tuple | None = None,
    example: Any = None,
    check: Callable[[Any], str | None] | None = None,
    aliases: Mapping[Any, Any] | None = None,
    old_names: tuple[str, ...] = (),
    convert: Callable[[Any], Any] | None = None,
    elsewhere: Mapping[Any, str] | None = None,
) -> Any:
    """A dataclass field of a spec section with its documentation.

    Parameters
    ----------
    doc
        One sentence for ``docs/config.md`` and error messages.
    default
        Default value (omit for a required key).  Mutable defaults are not allowed: use tuples.
    choices
        Allowed values (listed in the error message).
    example
        The value shown in the reference (defaults to ``default``).
    check
        ``value -> message or None``: a further rule (range, relation).
    aliases
        Deprecated spellings of values, mapped to the current ones (a
        :class:`FutureWarning` (shown by default) names the replacement).
    old_names
        Deprecated names of the key itself.
    convert
        Applied to the validated value (e.g. list -> tuple).
    elsewhere
        Values that spillmap accepts elsewhere but not in this key, each with where to use it
        (the error says so instead of only listing ``choices``).
    """
    meta = {
        "doc": doc, "choices": choices, "example": example, "check": check,
        "aliases": dict(aliases or {}), "old_names": tuple(old_names), "convert": convert,
        "elsewhere": dict(elsewhere or {}),
    }
    return dataclasses.field(default=default, metadata=meta)


# ----------------------------------------------------------------------------- types
def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (tuple, list):
        return "list of " + _type_name(typing.get_args(tp)[0])
    if origin in (Mapping, dict, typing.get_origin(Mapping[str, int])):
        return "table"
    if tp is Any:
        return "any"
    return {str: "text", int: "integer", float: "number", bool: "true or false"}.get(tp, getattr(tp, "__name__", str(tp)))


def _coerce(value: Any, tp: Any, path: str, source: str) -> Any:
    """``value`` checked against the annotation ``tp`` (raises naming ``path``)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, path, source)
            except SpecError as exc:
                errors.append(exc)
        raise spec_error(source, path, f"must be {_type_name(tp)}, got {value!r}.")
    if origin is typing.Literal:
        return value  # choices are checked by the caller with the list of allowed values
    if origin in (tuple, list):
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise spec_error(source, path, f"must be {_type_name(tp)}, got {value!r}.")
        inner = typing.get_args(tp)[0]
        return tuple(_coerce(v, inner, f"{path}[{i}]", source) for i, v in enumerate(value))
    if origin is not None and issubclass(origin, Mapping):
        if not isinstance(value, Mapping):
            raise spec_error(source, path, f"must be a table, got {value!r}.")
        k_tp, v_tp = typing.get_args(tp)
        return {str(k): _coerce(v, v_tp, f"{path}.{k}", source) for k, v in value.items()}
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is bool or tp is str:
        if isinstance(value, tp):
            return value
    elif isinstance(value, tp):
        return value
    raise spec_error(source, path, f"must be {_type_name(tp)}, got {value!r}.")


# ---------------------------------------------------------------------- validation
def check_unknown(table: Mapping, allowed: list[str], source: str, prefix: str) -> None:
    """Raise for the first key of ``table`` not in ``allowed``, listing what is allowed."""
    extra = sorted(set(table) - set(allowed))
    if extra:
        import difflib

        close = difflib.get_close_matches(extra[0], allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise spec_error(source, prefix + extra[0], f"unknown key{hint}; allowed here: {', '.join(allowed)}.")


def _field_value(f: dataclasses.Field, table: Mapping, source: str, prefix: str, hints: Mapping) -> Any:
    meta = f.metadata
    path = prefix + f.name
    present = [n for n in (f.name, *meta.get("old_names", ())) if n in table]
    if len(present) > 1:
        raise spec_error(source, path, f"given twice (as {' and '.join(map(repr, present))}); keep {f.name!r}.")
    if not present:
        if f.default is MISSING:
            raise spec_error(source, path, "is required but missing.")
        return f.default
    if present[0] != f.name:
        warnings.warn(f"study spec{' ' + source if source else ''}: key {prefix + present[0]!r} is deprecated; "
                      f"call it {f.name!r}.", FutureWarning, stacklevel=4)
    value = table[present[0]]
    choices = meta.get("choices")
    aliases = {a: b for a, b in (meta.get("aliases") or {}).items() if choices is None or b in choices}
    if isinstance(value, str | bool) and value in aliases:
        warnings.warn(f"study spec{' ' + source if source else ''}: {path} = {value!r} is deprecated; "
                      f"write {aliases[value]!r}.", FutureWarning, stacklevel=4)
        value = aliases[value]
    value = _coerce(value, hints[f.name], path, source)
    if choices is not None and value not in choices:
        where = (meta.get("elsewhere") or {}).get(value) if isinstance(value, str | bool | int) else None
        raise spec_error(source, path, f"{value!r} is not one of {', '.join(map(repr, choices))}"
                         + (f" ({value!r} {where})." if where else "."))
    check = meta.get("check")
    if check is not None and value is not None:
        msg = check(value)
        if msg:
            raise spec_error(source, path, msg)
    conv = meta.get("convert")
    return conv(value) if conv is not None else value


def from_mapping(cls: type, table: Any, *, source: str = "", prefix: str = "", extra: Mapping | None = None) -> Any:
    """Validate a TOML table against the section class ``cls`` and build it.

    ``prefix`` is the key path of the table (``"model."``); ``extra`` are constructor
    arguments that do not come from the table (e.g. a weights matrix's name).
    """
    if not isinstance(table, Mapping):
        raise spec_error(source, prefix.rstrip(".") or "(top level)", f"must be a table, got {table!r}.")
    fields = [f for f in dataclasses.fields(cls) if f.init and f.metadata.get("doc") is not None]
    allowed = [f.name for f in fields] + [n for f in fields for n in f.metadata.get("old_names", ())]
    check_unknown(table, allowed, source, prefix)
    hints = typing.get_type_hints(cls)
    values = {f.name: _field_value(f, table, source, prefix, hints) for f in fields}
    return cls(**values, **(extra or {}))


def to_mapping(obj: Any, *, skip_defaults: bool = False) -> dict:
    """A TOML-ready table of a section instance (tuples as lists, ``None`` left out)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.metadata.get("doc") is None:
            continue
        v = getattr(obj, f.name)
        if v is None or (skip_defaults and f.default is not MISSING and v == f.default):
            continue
        out[f.name] = _plain(v)
    return out


def _plain(v: Any) -> Any:
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return to_mapping(v)
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    return v


# ------------------------------------------------------------------------- docs
def _toml_value(v: Any) -> str:
    """A value as TOML writes it (the writer of :mod:`spillmap.study._toml`)."""
    from spillmap.study._toml import value

    return value(v)


def section_markdown(cls: type, header: str, intro: str) -> str:
    """The reference table of one section: key, type, default, allowed values, meaning."""
    hints = typing.get_type_hints(cls)
    lines = [f"### `{header}`", "", intro, "", "| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if meta.get("doc") is None:
            continue
        default = "**required**" if f.default is MISSING else ("—" if f.default is None else f"`{_toml_value(f.default)}`")
        doc = meta["doc"]
        if meta.get("choices"):
            doc += " One of " + ", ".join(f"`{_toml_value(c)}`" for c in meta["choices"] if c is not None) + "."
        if meta.get("old_names"):
            doc += " (Old name, still read: " + ", ".join(f"`{n}`" for n in meta["old_names"]) + ".)"
        aliases = {a: b for a, b in (meta.get("aliases") or {}).items()
                   if not meta.get("choices") or b in meta["choices"]}  # only spellings this key accepts
        if aliases:
            doc += " (Old spellings, still read: " + ", ".join(
                f"`{_toml_value(a)}` → `{_toml_value(b)}`" for a, b in aliases.items()) + ".)"
        cell = doc.replace("|", "\\|")  # a literal bar inside a Markdown table cell
        lines.append(f"| `{f.name}` | {_type_name(hints[f.name])} | {default} | {cell} |")
    return "\n".join(lines) + "\n"
