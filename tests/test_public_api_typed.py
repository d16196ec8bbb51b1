"""Every function and method that spillmap exports has typed arguments and a typed return.

The developers' guide asks for typed public signatures.  "Exported" is every name in the
``__all__`` of ``spillmap`` and of its packages and public modules, resolved at run time
(so a function defined in a private module and re-exported counts); for a class, its
public methods and ``__init__``, including those it inherits from spillmap base classes
(results types share a base; ``SpatialWeights`` groups its methods in base classes by
purpose).  Annotations are read from ``inspect.signature`` without evaluating them (the
modules use ``from __future__ import annotations`` and import the types under
``TYPE_CHECKING``).
"""
from __future__ import annotations

import importlib
import inspect

MODULES = [
    "spillmap", "spillmap.geo", "spillmap.spatial", "spillmap.estimation", "spillmap.maps", "spillmap.figures",
    "spillmap.tables", "spillmap.screen", "spillmap.study", "spillmap.indicators", "spillmap.datasets",
    "spillmap.spatial.builders", "spillmap.spatial.autocorrelation", "spillmap.spatial.weights",
    "spillmap.estimation.effects",
]


def _untyped(qualname: str, func) -> str | None:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):  # builtins without a signature
        return None
    bare = [n for n, p in sig.parameters.items()
            if n not in ("self", "cls") and p.annotation is inspect.Parameter.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    no_return = sig.return_annotation is inspect.Signature.empty and func.__name__ != "__init__"
    if bare or no_return:
        return f"{qualname}: untyped {bare}{' and no return type' if no_return else ''}"
    return None


def _exported():
    seen: set[int] = set()
    for name in MODULES:
        mod = importlib.import_module(name)
        for attr in getattr(mod, "__all__", ()):
            obj = getattr(mod, attr, None)
            if obj is None or id(obj) in seen:
                continue
            seen.add(id(obj))
            if inspect.isfunction(obj):
                yield f"{name}.{attr}", obj
            elif inspect.isclass(obj) and obj.__module__.startswith("spillmap"):
                done: set[str] = set()
                for klass in obj.__mro__:  # its own methods and those of its spillmap base classes
                    if not klass.__module__.startswith("spillmap"):
                        continue
                    for meth, val in vars(klass).items():
                        if meth in done or (meth.startswith("_") and meth != "__init__"):
                            continue
                        done.add(meth)
                        fn = val.__func__ if isinstance(val, (classmethod, staticmethod)) else val
                        # a Protocol's placeholder __init__ is typing's, not spillmap's
                        if inspect.isfunction(fn) and fn.__module__.startswith("spillmap"):
                            yield f"{name}.{attr}.{meth}", fn


def test_the_scan_sees_the_api():
    names = {q for q, _ in _exported()}
    # a few that must be there: a fit, a weights builder, a figure, a map, the study
    for q in ("spillmap.spatial.contiguity", "spillmap.figures.choropleth", "spillmap.maps.lisa_map",
              "spillmap.study.run", "spillmap.spatial.SpatialWeights.from_sparse"):
        assert q in names, q
    assert len(names) > 150


def test_every_exported_function_is_typed():
    bad = [m for q, f in _exported() if (m := _untyped(q, f))]
    assert not bad, "\n".join(bad)


def test_the_check_flags_an_untyped_function():
    def f(x, y: int):  # noqa: ANN001, ANN202 - deliberately untyped
        return x

    assert _untyped("f", f) == "f: untyped ['x'] and no return type"
