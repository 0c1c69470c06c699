"""How Python syntax maps onto Joern kinds: tables, not code.

Operators become ``CALL`` nodes with subkind ``OPERATOR`` and Joern's operator names
(``<operator>.addition``...), as Joern's own frontends do; the exact :mod:`ast` class is kept in
``ast_type``.
"""

from __future__ import annotations

import ast
import builtins

from workbench.cpg.schema import NodeKind as K
from workbench.cpg.schema import Subkind as S

BINOPS: dict[type, str] = {
    ast.Add: "<operator>.addition",
    ast.Sub: "<operator>.subtraction",
    ast.Mult: "<operator>.multiplication",
    ast.MatMult: "<operator>.matrixMultiplication",
    ast.Div: "<operator>.division",
    ast.FloorDiv: "<operator>.floorDivision",
    ast.Mod: "<operator>.modulo",
    ast.Pow: "<operator>.exponentiation",
    ast.LShift: "<operator>.shiftLeft",
    ast.RShift: "<operator>.arithmeticShiftRight",
    ast.BitOr: "<operator>.or",
    ast.BitXor: "<operator>.xor",
    ast.BitAnd: "<operator>.and",
}

#: ``x += 1`` and friends: Joern's assignment operators.
AUGOPS: dict[type, str] = {
    op: "<operator>.assignment"
    + name.removeprefix("<operator>.")[0].upper()
    + name.removeprefix("<operator>.")[1:]
    for op, name in BINOPS.items()
}

UNARYOPS: dict[type, str] = {
    ast.Not: "<operator>.logicalNot",
    ast.USub: "<operator>.minus",
    ast.UAdd: "<operator>.plus",
    ast.Invert: "<operator>.not",
}

BOOLOPS: dict[type, str] = {ast.And: "<operator>.logicalAnd", ast.Or: "<operator>.logicalOr"}

CMPOPS: dict[type, str] = {
    ast.Eq: "<operator>.equals",
    ast.NotEq: "<operator>.notEquals",
    ast.Lt: "<operator>.lessThan",
    ast.LtE: "<operator>.lessEqualsThan",
    ast.Gt: "<operator>.greaterThan",
    ast.GtE: "<operator>.greaterEqualsThan",
    ast.Is: "<operator>.is",
    ast.IsNot: "<operator>.isNot",
    ast.In: "<operator>.in",
    ast.NotIn: "<operator>.notIn",
}
CHAINED_COMPARISON = "<operator>.chainedComparison"

#: Expression classes emitted by the generic handler: (kind, subkind, name, child fields).
#: Name None means the name depends on the operator (BinOp, UnaryOp, BoolOp, Compare).
GENERIC_EXPRS: dict[type, tuple[str, str | None, str | None, tuple[str, ...]]] = {
    ast.BinOp: (K.CALL, S.OPERATOR, None, ("left", "right")),
    ast.UnaryOp: (K.CALL, S.OPERATOR, None, ("operand",)),
    ast.BoolOp: (K.CALL, S.OPERATOR, None, ("values",)),
    ast.Compare: (K.CALL, S.OPERATOR, None, ("left", "comparators")),
    ast.Subscript: (K.CALL, S.OPERATOR, "<operator>.indexAccess", ("value", "slice")),
    ast.Slice: (K.CALL, S.OPERATOR, "<operator>.slice", ("lower", "upper", "step")),
    ast.Starred: (K.CALL, S.OPERATOR, "<operator>.starred", ("value",)),
    ast.List: (K.CALL, S.OPERATOR, "<operator>.listLiteral", ("elts",)),
    ast.Tuple: (K.CALL, S.OPERATOR, "<operator>.tupleLiteral", ("elts",)),
    ast.Set: (K.CALL, S.OPERATOR, "<operator>.setLiteral", ("elts",)),
    ast.Dict: (K.CALL, S.OPERATOR, "<operator>.dictLiteral", ("keys", "values")),
    ast.IfExp: (K.CALL, S.OPERATOR, "<operator>.conditional", ("test", "body", "orelse")),
    ast.JoinedStr: (K.CALL, S.OPERATOR, "<operator>.formatString", ("values",)),
    ast.FormattedValue: (
        K.CALL,
        S.OPERATOR,
        "<operator>.formattedValue",
        ("value", "format_spec"),
    ),
    ast.Await: (K.CALL, S.OPERATOR, "<operator>.await", ("value",)),
    ast.Yield: (K.CALL, S.OPERATOR, "<operator>.yield", ("value",)),
    ast.YieldFrom: (K.CALL, S.OPERATOR, "<operator>.yieldFrom", ("value",)),
}

#: Pattern classes of ``match``: CALL nodes with subkind PATTERN.
PATTERNS: dict[type, str] = {
    ast.MatchValue: "<pattern>.value",
    ast.MatchSequence: "<pattern>.sequence",
    ast.MatchMapping: "<pattern>.mapping",
    ast.MatchClass: "<pattern>.class",
    ast.MatchAs: "<pattern>.as",
    ast.MatchOr: "<pattern>.or",
    ast.MatchStar: "<pattern>.star",
}

COMPREHENSIONS: dict[type, tuple[str, str]] = {
    ast.ListComp: (S.LISTCOMP, "<listcomp>"),
    ast.SetComp: (S.SETCOMP, "<setcomp>"),
    ast.DictComp: (S.DICTCOMP, "<dictcomp>"),
    ast.GeneratorExp: (S.GENEXP, "<genexpr>"),
}

#: The longest ``code`` text kept for a node (and for an unresolved callee's full name).
CODE_MAX = 240

#: Names of the builtins module: calls to them resolve as ``builtins.NAME``.
BUILTINS: frozenset[str] = frozenset(dir(builtins))

#: Directories never walked when looking for modules, at any depth: version control, caches,
#: virtualenvs and installed packages (none of them is an importable package name but
#: ``node_modules``). A directory holding ``pyvenv.cfg`` (a virtualenv) is skipped too.
SKIP_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "node_modules",
        "site-packages",
        ".eggs",
        ".ipynb_checkpoints",
    }
)

#: Directories skipped only at the top of a source tree (a virtualenv or build output there),
#: and only when they are not packages: they can be (the standard library's own ``venv``).
TOP_LEVEL_SKIP_DIRS: frozenset[str] = frozenset({"venv", "build", "dist"})

#: Skipped directories that are not reported as skipped: they never hold sources.
QUIET_SKIP_DIRS: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
    }
)
