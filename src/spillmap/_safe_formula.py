"""Refuse formula terms that would run arbitrary Python.

formulaic evaluates every factor of a formula that is not a plain column name as a Python
expression, with Python's builtins in reach: ``exec('...')``, ``open('f', 'w')`` or
``{__import__('os').system('...')}`` in a variable name run as written.  A study TOML or a
command line received from someone else could then delete or overwrite the user's files (bad-input
audit 29, A1).  spillmap's variables are columns and transforms of them (``log(gsp)``,
``np.sqrt(x)``, ``I(x ** 2)``, ``C(region)``, ``x:z``), so each Python factor is checked against a
whitelist before formulaic evaluates anything:

* a call is of one of formulaic's transforms (``log``, ``center``, ``C``, ``I``, ``poly``, ...), of
  ``abs``, ``min``, ``max``, ``round``, ``pow`` (not of a column of that name), or of a numpy function
  below; a name that is not called is data (a missing column is formulaic's error, with its hints);
* an attribute is ``np.<f>`` / ``numpy.<f>`` for the elementwise numpy functions of
  :data:`NUMPY_FUNCTIONS`, or ``contr.<name>`` (contrast codings);
* numbers, strings, lists and tuples of them, arithmetic, comparisons and boolean operators;
  no subscripts, lambdas, comprehensions, starred or keyword-splat arguments, names with a
  leading underscore.

Written by hand: formulaic has no restricted-evaluation option.  Verification:
``tests/test_safe_formula.py`` (the audit's payloads refused by name before any file is touched;
the transforms the docs and tests use accepted).
"""
from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator

from spillmap.errors import InputError

__all__ = ["check_formula", "check_term", "NUMPY_FUNCTIONS"]

#: numpy functions a transform may call as ``np.<name>`` (elementwise maths; nothing that reads or writes files)
NUMPY_FUNCTIONS = frozenset({
    "abs", "absolute", "fabs", "sign", "sqrt", "cbrt", "square", "power", "float_power", "reciprocal",
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "floor", "ceil", "round", "rint", "trunc",
    "clip", "maximum", "minimum", "fmax", "fmin", "where", "isnan", "isfinite", "nan_to_num",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh",
    "arccosh", "arctanh", "hypot", "mod", "fmod", "add", "subtract", "multiply", "divide", "true_divide",
    "floor_divide", "negative", "positive", "greater", "greater_equal", "less", "less_equal", "equal",
    "not_equal", "logical_and", "logical_or", "logical_not", "pi", "e", "nan", "inf",
})
_BUILTINS = frozenset({"abs", "min", "max", "round", "pow"})
_NODES = (ast.Expression, ast.Name, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Constant, ast.Tuple, ast.List,
          ast.Load, ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.keyword)


def _transforms() -> frozenset[str]:
    from formulaic.transforms import TRANSFORMS

    return frozenset(TRANSFORMS) | _BUILTINS


def _factors(formula: str) -> Iterator[tuple[str, str]]:
    """``(expression, eval method)`` of every factor of ``formula`` (all sides)."""
    from formulaic import Formula

    def walk(part) -> Iterator[tuple[str, str]]:  # noqa: ANN001 - a formulaic formula part
        sides = [getattr(part, side) for side in ("lhs", "rhs") if hasattr(part, side)]
        if sides:
            for side in sides:
                yield from walk(side)
            return
        for term in part:
            for factor in term.factors:
                yield str(factor.expr), str(getattr(factor.eval_method, "value", factor.eval_method))

    yield from walk(Formula(formula))


def _refuse(expr: str, why: str, where: str) -> InputError:
    return InputError(f"{where}: {expr!r} is not a column or a transform of columns spillmap evaluates ({why}); "
                      "write a transform such as log(x), np.sqrt(x), I(x ** 2) or C(x).")


def _check_python(expr: str, columns: set[str], where: str) -> None:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return  # not Python: formulaic refuses it with its own message
    allowed_calls = _transforms()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                raise _refuse(expr, "argument unpacking", where)
            f = node.func
            if isinstance(f, ast.Name) and (f.id in allowed_calls and f.id not in columns):
                continue
            if isinstance(f, ast.Attribute) and _allowed_attribute(f):
                continue
            raise _refuse(expr, f"it calls {ast.unparse(f)}", where)
        elif isinstance(node, ast.Attribute):
            if not _allowed_attribute(node):
                raise _refuse(expr, f"attribute {ast.unparse(node)}", where)
        elif isinstance(node, ast.Name) and node.id.startswith("_"):
            raise _refuse(expr, f"name {node.id}", where)  # a name not called is data (or formulaic's missing column)
        elif not isinstance(node, _NODES):
            raise _refuse(expr, f"{type(node).__name__.lower()} expressions", where)


def _allowed_attribute(node: ast.Attribute) -> bool:
    base = node.value
    if not isinstance(base, ast.Name):
        return False
    if base.id in ("np", "numpy"):
        return node.attr in NUMPY_FUNCTIONS
    return base.id == "contr" and not node.attr.startswith("_")


def check_formula(formula: str, columns: Iterable[object], *, where: str = "formula") -> None:
    """Raise :class:`~spillmap.errors.InputError` (naming ``where`` and the term) when a factor of
    ``formula`` would evaluate anything but columns and whitelisted transforms (module notes).

    Parameters
    ----------
    formula
        A formulaic formula (``"y ~ log(x) + z"``) or a single term (``"log(x)"``).
    columns
        The data's column names (a factor may name any of them).
    where
        What the message names: ``"formula"``, ``"model.x"``, ``"--x"``...
    """
    cols = {str(c) for c in columns}
    try:
        factors = list(_factors(formula))
    except Exception:  # noqa: BLE001 - not a formula formulaic can parse: it says why itself
        return
    for expr, method in factors:
        if method == "python" and expr not in cols:
            _check_python(expr, cols, where)


def check_term(term: str, columns: Iterable[object], *, where: str) -> None:
    """:func:`check_formula` for one variable written as a transform (``"log(gsp)"``)."""
    check_formula(f"{term} - 1", columns, where=where)
