"""Names of a package imported on first use (PEP 562), shared by ``spillmap.geo``,
``spillmap.spatial`` and ``spillmap.estimation``.

Each of those packages maps its public names to the submodule defining them and gets
its module-level ``__getattr__`` / ``__dir__`` from :func:`attach`, so that
``import spillmap.estimation`` (and the command line) loads only what is used.
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["attach"]


def attach(package: str, where: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` whose public name ``n`` lives in the
    submodule ``package + "." + where[n]``; a name is imported once, then bound on the package."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__
