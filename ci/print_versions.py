"""Print the resolved versions of the stack that .ci/run tests (absent packages say so).

Lists the core stack, the optional packages other parts of spillmap may add, and every package
named in ci/constraints-lowest.txt, so that a dependency added there is printed without editing
this file.  Standard library only.
"""
from __future__ import annotations

import os
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

CORE = [
    "numpy", "scipy", "pandas", "geopandas", "shapely", "pyogrio", "pyproj", "libpysal", "esda",
    "spreg", "folium", "branca", "mapclassify", "formulaic", "linearmodels", "networkx", "statsmodels",
]
OPTIONAL = [
    "matplotlib", "dask", "distributed", "python-docx", "openpyxl", "pyarrow", "threadpoolctl",
    "scikit-learn", "pytest", "selenium", "setuptools",
]


def constrained_names(path: Path) -> list[str]:
    """Distribution names pinned in a constraints file (comments and blank lines skipped)."""
    if not path.is_file():
        return []
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#", 1)[0])
        if m:
            names.append(m.group(1))
    return names


def main(argv: list[str]) -> int:
    title = argv[1] if len(argv) > 1 else "environment"
    extra = constrained_names(Path(__file__).with_name("constraints-lowest.txt"))
    names = list(dict.fromkeys(CORE + OPTIONAL + extra))
    width = max(map(len, names))
    print(f"--- {title}: resolved versions")
    print(f"{'python':<{width}}  {platform.python_version()} ({sys.executable})")
    for name in names:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-" if name in CORE else "(not installed)"
        print(f"{name:<{width}}  {version}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS"):  # the BLAS kernels and threads the suite runs
        print(f"{var}={os.environ.get(var, '(not set)')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
