"""Every exported function and method documents its parameters in a numpydoc "Parameters" section.

The rule, for each callable found as in tests/test_public_api_typed.py (every name in the
``__all__`` of the modules below, resolved at run time; for a spillmap class, its public
methods, including those it inherits from spillmap base classes, and its constructor):

* a callable whose signature has parameters other than ``self``/``cls`` has a docstring
  with a ``Parameters`` section (numpydoc: the title underlined with dashes);
* every parameter name of the signature appears in that section (or in ``Other
  Parameters``) as an entry line: ``name``, ``name : type`` or grouped ``a, b`` (``*args`` /
  ``**kwargs`` are not required, but count when listed).

A constructor's parameters belong in the class docstring (numpydoc's convention), or in
``__init__``'s own docstring when that has a Parameters section; a class docstring without a
Parameters section may list them under ``Attributes`` (results containers whose keyword
arguments are their attributes document them once).  Not checked: dunder and
private names; ``__init__`` that ``dataclasses`` generates (fields are documented as
attributes); methods a class inherits from outside spillmap (stdlib, pandas, ...);
properties (a getter takes only ``self``; a setter's value is the property's documented
value).  numpydoc is not a dependency, so the sections are read by the small parser below.
"""
from __future__ import annotations

import importlib
import inspect
import re

import pytest

# the same modules as tests/test_public_api_typed.py
MODULES = [
    "spillmap", "spillmap.geo", "spillmap.spatial", "spillmap.estimation", "spillmap.maps", "spillmap.figures",
    "spillmap.tables", "spillmap.screen", "spillmap.study", "spillmap.indicators", "spillmap.datasets",
    "spillmap.spatial.builders", "spillmap.spatial.autocorrelation", "spillmap.spatial.weights",
    "spillmap.estimation.effects",
]

# Callables allowed to fail the rule for now (none): key, the qualified name the scan reports (Study
# is re-exported by spillmap.maps, which is scanned first); value, why and who will document it.
# test_the_allow_list_is_not_stale fails once an entry passes.
ALLOWED: dict[str, str] = {}

_SECTION = re.compile(r"^(?P<title>[A-Za-z][A-Za-z ]*)\n-{3,}[ \t]*$", re.M)
_ENTRY = re.compile(r"^(?P<names>\**\w+(?:\s*,\s*\**\w+)*)\s*(?::.*)?$")


def documented_parameters(doc: str | None) -> set[str] | None:
    """Names listed in the docstring's Parameters / Other Parameters sections (None: no section)."""
    if not doc:
        return None
    text = inspect.cleandoc(doc)
    heads = list(_SECTION.finditer(text))
    names: set[str] | None = None
    for k, head in enumerate(heads):
        if head["title"].strip() not in ("Parameters", "Other Parameters"):
            continue
        names = names or set()
        end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        for line in text[head.end():end].splitlines():
            if line[:1].isspace() or not line.strip():
                continue  # a description line, or a blank
            m = _ENTRY.match(line.replace("`", "").strip())
            if m:
                names.update(n.strip().lstrip("*") for n in m["names"].split(","))
    return names


def _required(sig: inspect.Signature) -> list[str]:
    return [n for n, p in sig.parameters.items()
            if n not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def problem(qualname: str, func, doc: str | None) -> str | None:
    """What the docstring ``doc`` lacks for ``func``'s signature, or None."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):  # builtins without a signature
        return None
    need = _required(sig)
    optional = [n for n, p in sig.parameters.items() if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if not need and not optional:
        return None
    listed = documented_parameters(doc)
    if listed is None:
        return f"{qualname}: no Parameters section (parameters {need})" if need else None
    missing = [n for n in need if n not in listed]
    return f"{qualname}: Parameters section lacks {missing}" if missing else None


def _generated(fn) -> bool:
    # dataclasses / namedtuple build their methods with exec: no source file
    return fn.__code__.co_filename.startswith("<")


def _constructor_doc(doc: str | None) -> str | None:
    """The class docstring, its Attributes read as parameters when it has no Parameters section:
    a results container whose keyword arguments are its attributes documents them once."""
    if not doc or documented_parameters(doc) is not None:
        return doc
    return _SECTION.sub(lambda m: "Parameters\n----------" if m["title"].strip() == "Attributes" else m[0],
                        inspect.cleandoc(doc))


def _class_callables(name: str, cls: type):
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("spillmap"):
            continue  # object, Protocol, Enum, stdlib / pandas bases
        for meth, val in vars(klass).items():
            if meth in seen or (meth.startswith("_") and meth != "__init__"):
                continue
            seen.add(meth)
            fn = val.__func__ if isinstance(val, (classmethod, staticmethod)) else val
            if not inspect.isfunction(fn) or not fn.__module__.startswith("spillmap") or _generated(fn):
                continue
            if meth == "__init__":
                own = documented_parameters(fn.__doc__)
                # documented by the class that defines it (a subclass inherits it with its docs)
                yield f"{name}.{cls.__name__}", fn, fn.__doc__ if own is not None else _constructor_doc(klass.__doc__)
            else:
                yield f"{name}.{cls.__name__}.{meth}", fn, fn.__doc__


def exported():
    """(qualified name, function, docstring that must document it) for the public API."""
    seen: set[int] = set()
    for name in MODULES:
        mod = importlib.import_module(name)
        for attr in getattr(mod, "__all__", ()):
            obj = getattr(mod, attr, None)
            if obj is None or id(obj) in seen:
                continue
            seen.add(id(obj))
            if inspect.isfunction(obj):
                yield f"{name}.{attr}", obj, obj.__doc__
            elif inspect.isclass(obj) and obj.__module__.startswith("spillmap"):
                for qual, fn, doc in _class_callables(name, obj):
                    if id(fn) in seen:
                        continue  # a method shared by several exported classes: once
                    seen.add(id(fn))
                    yield qual, fn, doc


def test_the_scan_sees_the_api():
    names = {q for q, _, _ in exported()}
    for q in ("spillmap.spatial.knn", "spillmap.figures.choropleth", "spillmap.maps.lisa_map",
              "spillmap.estimation.SpatialPanel", "spillmap.spatial.SpatialWeights.from_sparse"):
        assert q in names, q
    assert len(names) > 150


def test_every_exported_callable_documents_its_parameters():
    bad = [m for q, f, d in exported() if q not in ALLOWED and (m := problem(q, f, d))]
    assert not bad, f"{len(bad)} callables:\n" + "\n".join(bad)


def test_the_allow_list_is_not_stale():
    names = {q: (f, d) for q, f, d in exported()}
    stale = [q for q in ALLOWED if q not in names or problem(q, *names[q]) is None]
    assert not stale, f"remove from ALLOWED (now documented, or gone): {stale}"


def test_the_parser_reads_numpydoc_entries():
    doc = """Summary.

    Parameters
    ----------
    layer, id
        The polygons and their id column.
    k : int, optional
        Neighbours.
    ``transform``
        A transform.
          indented : not an entry
    **kwargs
        Passed on.

    Other Parameters
    ----------------
    extra

    Returns
    -------
    out
        Not a parameter.
    """
    assert documented_parameters(doc) == {"layer", "id", "k", "transform", "kwargs", "extra"}
    assert documented_parameters("Summary only.") is None
    assert documented_parameters(None) is None


@pytest.mark.parametrize("doc, expected", [
    ("Summary.\n\nParameters\n----------\nx\n    An x.\n", None),
    ("Summary.\n\nParameters\n----------\nz\n    A z.\n", "f: Parameters section lacks ['x']"),
    ("Summary.", "f: no Parameters section (parameters ['x'])"),
])
def test_the_check_flags_an_undocumented_parameter(doc, expected):
    def f(x: int, *args: int, **kwargs: int) -> int:
        return x

    assert problem("f", f, doc) == expected
