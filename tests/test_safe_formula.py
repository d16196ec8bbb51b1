"""No Python runs from a variable name (bad-input audit 29, A1): formulaic evaluates formula factors
with the builtins in reach, so ``exec(...)``, ``open(...)`` or ``{__import__('os')...}`` in a study
TOML's ``model.x``, a ``--x`` or a Python formula ran as written.  Each payload must be refused with
one line naming where it was written, before any file is created; the transforms the docs use must
still work."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillmap._safe_formula import check_formula, check_term
from spillmap.errors import InputError

COLUMNS = ["y", "a", "b", "g", "x y"]


def _payloads(marker) -> list[str]:
    m = str(marker)
    return [
        f"{{__import__('os').system('touch {m}')}}",
        f"exec('open(\"{m}\", \"w\")')",
        f"open('{m}', 'w')",
        f"eval('open(\"{m}\", \"w\")')",
        "getattr(a, '__class__')",
        f"np.save('{m}', a)",
        f"np.load('{m}')",
        f"(lambda: open('{m}', 'w'))()",
        "log(*a)",
        f"compile('1', '{m}', 'eval')",
    ]


@pytest.mark.parametrize("k", range(len(_payloads("m"))))
def test_payloads_are_refused_by_name(k, tmp_path):
    marker = tmp_path / "pwned"
    term = _payloads(marker)[k]
    with pytest.raises(InputError, match=r"^model\.x: .* is not a column or a transform of columns"):
        check_term(term, COLUMNS, where="model.x")
    with pytest.raises(InputError, match="formula"):
        check_formula(f"y ~ {term} + a", COLUMNS, where="formula")
    assert not marker.exists()


@pytest.mark.parametrize("term", ["log(a)", "np.log(a)", "numpy.sqrt(a)", "I(a ** 2)", "C(g)", "center(a)",
                                  "scale(a)", "log(a / b)", "a:b", "exp(a) - 1", "np.where(a > 0, a, 0)",
                                  "C(g, contr.treatment)", "C(g, levels=['u', 'v'])", "`x y`", "abs(a - b)",
                                  "poly(a, 2)", "np.log1p(np.abs(a))", "I(a * (b > 1))"])
def test_transforms_of_columns_are_accepted(term):
    check_term(term, COLUMNS, where="model.x")
    check_formula(f"y ~ {term}", COLUMNS)


def test_a_column_named_like_a_function_is_data():
    """A column called ``open`` is looked up as data (formulaic resolves the data first): accepted as a
    name, refused as a call."""
    check_term("log(open)", ["open"], where="model.x")
    with pytest.raises(InputError, match="it calls open"):
        check_term("open('f', 'w')", ["open"], where="model.x")


@pytest.mark.parametrize("term", ["a.__class__", "[open('{m}', 'w') for _ in a]", "a[0]"])
def test_what_formulaic_does_not_evaluate_as_python_stays_refused(term, tmp_path):
    """A dotted name is a column lookup for formulaic and a comprehension a syntax error: not checked
    here, refused there, and nothing runs (a subscript: refused here with formulaic 1.2, unparsable
    for formulaic 1.0)."""
    from spillmap.errors import SpillmapError
    from spillmap.study.inputs import evaluate_variables

    marker = tmp_path / "pwned"
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(SpillmapError):
        evaluate_variables(df, [term.format(m=marker)], where="model.x")
    assert not marker.exists()


def test_end_to_end_nothing_runs(tmp_path, capsys):
    """Through SpatialPanel (formula and x= forms), the study's transforms and the command line."""
    from spillmap.cli import main
    from spillmap.estimation import SpatialPanel
    from spillmap.study.inputs import evaluate_variables

    marker = tmp_path / "pwned"
    payload = _payloads(marker)[0]
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"id": np.repeat(list("abcd"), 3), "t": np.tile([1, 2, 3], 4),
                       "y": rng.normal(size=12), "a": rng.normal(size=12) + 3})
    import scipy.sparse as sp

    from spillmap.spatial.weights import SpatialWeights

    w = SpatialWeights.from_sparse(sp.csr_matrix(np.ones((4, 4)) - np.eye(4)), list("abcd"), name="all").row_standardize()
    with pytest.raises(InputError, match="__import__"):
        SpatialPanel(df, f"y ~ a + {payload}", id="id", time="t", w=w)
    with pytest.raises(InputError, match="--x"):
        evaluate_variables(df, [payload], where="--x", id="id", time="t")
    csv = tmp_path / "p.csv"
    df.to_csv(csv, index=False)
    assert main(["fit", "--data", str(csv), "--id", "id", "--time", "t", "--y", "y", "--x", "a", payload,
                 "--w", "cigar_w", "--draws", "0"]) == 2
    assert "error: --y/--x: " in capsys.readouterr().err  # the payload, before the weights are read
    assert not marker.exists()
