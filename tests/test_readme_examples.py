"""The README's Python examples: every name they use is defined before it is used (fast), and
they run, in order, as one script (slow: two SDM fits with 1,000 draws and the demo report).

The blocks are read from ``README.md`` itself, so an example edited there is tested as written.
"""
from __future__ import annotations

import ast
import builtins
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: names a block may use without defining them (none: every example runs as written)
ILLUSTRATIVE: set[str] = set()


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def _bound(node: ast.AST) -> set[str]:
    """Names a statement binds (assignments, imports, loop and comprehension targets, lambda
    arguments, definitions)."""
    out: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
    return out


def undefined_names(blocks: list[str]) -> list[tuple[int, int, str]]:
    """(block, line, name) of every name loaded before any earlier statement bound it."""
    known = set(dir(builtins)) | ILLUSTRATIVE
    missing = []
    for b, code in enumerate(blocks, 1):
        for stmt in ast.parse(code).body:
            inner = _bound(stmt) - _targets(stmt)  # loop, comprehension and lambda variables
            missing += [(b, n.lineno, n.id) for n in ast.walk(stmt) if isinstance(n, ast.Name)
                        and isinstance(n.ctx, ast.Load) and n.id not in known | inner]
            known |= _bound(stmt)
    return missing


def _targets(stmt: ast.stmt) -> set[str]:
    """Names the statement itself assigns (not those bound inside its comprehensions or lambdas)."""
    if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def test_readme_has_the_examples():
    blocks = readme_blocks()
    assert len(blocks) >= 6
    assert any("SpatialPanel" in b for b in blocks) and any("render_report" in b for b in blocks)


def test_every_name_is_defined_before_use():
    assert undefined_names(readme_blocks()) == []


def test_the_checker_finds_a_name_used_before_its_import():
    # the README once called scenario() one block before importing it
    blocks = ["x = 1\nscenario(x)\n", "from spillmap.estimation import scenario\n"]
    assert undefined_names(blocks) == [(1, 2, "scenario")]
    assert undefined_names(["ys = [i * 2 for i in range(3)]\nf = lambda a: a + ys[0]\n"]) == []


@pytest.mark.slow
def test_the_examples_run(tmp_path, monkeypatch):
    (tmp_path / "data").symlink_to(ROOT / "data", target_is_directory=True)  # block 1 reads data/…
    monkeypatch.chdir(tmp_path)
    code = "\n".join(b for b in readme_blocks() if not ILLUSTRATIVE & {n.id for n in ast.walk(ast.parse(b))
                                                                        if isinstance(n, ast.Name)})
    env: dict = {"__name__": "__readme__"}
    exec(compile(code, "README.md", "exec"), env)  # noqa: S102 - the README's own examples
    assert (tmp_path / "out" / "index.html").is_file() and os.listdir(tmp_path / "out" / "figures")
    assert len(env["r"].to_frame()) > 0 and "short" in env["both"]
