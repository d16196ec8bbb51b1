"""The suite's own structure: a test module may import a fixture relatively from another test module only
when that module is collected before it.  pytest 8.0 (the lowest declared version) in importlib mode cannot
import ``from .test_b import x`` inside ``test_a`` when ``test_b`` is collected later: the lowest-version
suite failed to collect such a module twice (stops 32 and 33), which the newest pytest did not show.  Shared
fixtures of a later module go to a plain module (``tests/_*.py``, imported by ``sys.path``)."""
from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).parent


def test_relative_imports_of_test_modules_point_to_modules_collected_before():
    late = []
    for folder in [HERE, *(p for p in HERE.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))]:
        for path in sorted(folder.glob("test_*.py")):
            for other in re.findall(r"^from \.(test_\w+) import", path.read_text(encoding="utf-8"), flags=re.M):
                if other + ".py" >= path.name:  # pytest collects a folder's files in sorted order
                    late.append(f"{path.relative_to(HERE)} imports .{other}")
    assert late == []

