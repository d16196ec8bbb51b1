"""A local cluster started from a script's unguarded top level gets spillmap's one-line error.

Dask spawns its worker processes, and each re-runs the main script: unguarded, the script's
call starts the screen again in every worker, which fails, and Dask said only ``RuntimeError:
Nanny failed to start`` after re-running the script once per worker (the audit's report of the
README snippet).  The scripts run here are the README's own ``spillmap.screen`` example, as
written and with its guard taken away.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from spillmap.screen._engine import guarded_line

pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[1]
GUARD = 'if __name__ == "__main__":'


def readme_screen_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M) if "spillmap.screen(" in b]
    assert len(blocks) == 1, "the README has one Python example of spillmap.screen"
    return blocks[0]


def _run(script: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "Haswell")}
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=timeout,
                          cwd=script.parent, env=env)


def test_readme_example_is_guarded():
    code = readme_screen_block()
    assert GUARD in code
    body = code.split(GUARD, 1)[1]
    assert "spillmap.screen(" in body


def test_unguarded_script_gets_one_line_error_before_any_worker(tmp_path):
    head, body = readme_screen_block().split(GUARD, 1)
    script = tmp_path / "unguarded.py"
    script.write_text('print("top level ran", flush=True)\n' + head + textwrap.dedent(body))
    call_line = next(i for i, s in enumerate(script.read_text().splitlines(), 1) if "spillmap.screen(" in s)
    done = _run(script)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("spillmap.errors.InputError: the main script ") and f"at line {call_line}," in last, last
    assert GUARD in last and "client=distributed.Client(processes=False)" in last
    assert "Nanny" not in done.stderr
    assert done.stdout.count("top level ran") == 1  # no worker process re-ran the script
    assert not (tmp_path / "screen-py").exists()


def test_guarded_script_passes_the_check(tmp_path):
    script = tmp_path / "guarded.py"
    script.write_text(f"from spillmap.screen._engine import _check_main_guarded\n{GUARD}\n"
                      "    _check_main_guarded()\n    print('checked')\n")
    done = _run(script, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "checked", done.stderr


def test_guarded_line_reads_the_guard(tmp_path):
    path = tmp_path / "s.py"
    path.write_text("import x\n"                      # 1
                    "if '__main__' == __name__:\n"    # 2
                    "    run(\n"                      # 3
                    "        1)\n"                    # 4
                    "else:\n"                         # 5
                    "    run(2)\n"                    # 6
                    "if __name__ == '__main__' or x:\n"  # 7: not the guard
                    "    run(3)\n")                   # 8
    assert [guarded_line(str(path), n) for n in range(1, 9)] == [False, False, True, True, False, False, False,
                                                                 False]
    assert guarded_line(str(tmp_path / "missing.py"), 1) is None  # <stdin>, notebooks: no claim
    (tmp_path / "bad.py").write_text("if (:\n")
    assert guarded_line(str(tmp_path / "bad.py"), 1) is None


@pytest.mark.slow
def test_readme_example_runs_as_a_plain_script(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(readme_screen_block())
    done = _run(script, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "spillmap screen:" in done.stdout and (tmp_path / "screen-py" / "index.html").is_file()
