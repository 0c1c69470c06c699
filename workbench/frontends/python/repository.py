"""Rows of the AST repository (schema v1): one ``modules`` row per file and one ``functions``
row per function, from the syntax tree alone. No CPG is needed for these.

Examples
--------
>>> import ast
>>> tree = ast.parse("def f(a, b=1):\\n    if a and b:\\n        return g(a)\\n")
>>> row = function_rows(tree, 7)[0]
>>> row["qualname"], row["parameters"], row["decision_points"], row["calls"]
('f', ['a', 'b'], 2, ['g'])
"""

from __future__ import annotations

import ast

from workbench.cpg.ids import module_key, module_name
from workbench.cpg.schema import ParseStatus
from workbench.errors import SourceError, SourceTooLargeError
from workbench.frontends.python.source import content_hash

__all__ = ["function_rows", "module_row"]

_DECISIONS = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.ExceptHandler,
    ast.IfExp,
    ast.match_case,
)
_COMPOUND = (
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.TryStar,
    ast.Match,
)
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def module_row(rel: str, data: bytes, error: SourceError | None = None) -> dict:
    """The ``modules`` (v1) row of a file: identity, hash, sizes and parse outcome."""
    row = {
        "module": module_key(rel),
        "path": rel,
        "name": module_name(rel),
        "language": "python",
        "content_hash": content_hash(data),
        "size_bytes": len(data),
        "lines": data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1),
        "parse_status": str(ParseStatus.OK),
        "error_type": None,
        "error_message": None,
        "error_line": None,
        "error_col": None,
    }
    if error is not None:
        skipped = isinstance(error, SourceTooLargeError)
        row["parse_status"] = str(ParseStatus.SKIPPED if skipped else ParseStatus.FAILED)
        row["error_type"] = error.error_type
        row["error_message"] = error.message
        row["error_line"], row["error_col"] = error.line, error.col
    return row


def function_rows(tree: ast.Module, key: int) -> list[dict]:
    """``functions`` rows of a module, in source order."""
    out: list[dict] = []
    _walk(tree.body, "", key, out)
    return out


def _walk(stmts, prefix: str, key: int, out: list[dict]) -> None:
    for node in stmts:
        for child in _defs_in(node):
            if isinstance(child, ast.ClassDef):
                _walk(child.body, f"{prefix}{child.name}.", key, out)
            else:
                qual = prefix + child.name
                out.append(_function_row(child, qual, key))
                _walk(child.body, f"{qual}.<locals>.", key, out)


def _defs_in(node: ast.AST):
    """Function and class statements at this level (inside if/try/with/... too)."""
    if isinstance(node, (*_DEFS, ast.ClassDef)):
        yield node
        return
    if isinstance(node, ast.stmt):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                yield from _defs_in(child)


def _function_row(fn: ast.FunctionDef | ast.AsyncFunctionDef, qual: str, key: int) -> dict:
    a = fn.args
    params = [x.arg for x in (*a.posonlyargs, *a.args)]
    if a.vararg:
        params.append(a.vararg.arg)
    params += [x.arg for x in a.kwonlyargs]
    if a.kwarg:
        params.append(a.kwarg.arg)
    stats = {"decisions": 0, "statements": 0, "nesting": 0}
    calls: set[str] = set()
    for stmt in fn.body:
        _scan(stmt, 0, stats, calls)
    return {
        "module": key,
        "qualname": qual,
        "name": fn.name,
        "line": fn.lineno,
        "end_line": fn.end_lineno,
        "parameters": params,
        "decision_points": stats["decisions"],
        "nesting": stats["nesting"],
        "statements": stats["statements"],
        "calls": sorted(calls),
    }


def _scan(node: ast.AST, depth: int, stats: dict, calls: set[str], elif_: bool = False) -> None:
    """Count within one function body; nested defs, classes and lambdas are their own."""
    if isinstance(node, ast.stmt):
        stats["statements"] += 1
    if isinstance(node, _DECISIONS):
        stats["decisions"] += 1
    elif isinstance(node, ast.BoolOp):
        stats["decisions"] += len(node.values) - 1
    elif isinstance(node, ast.comprehension):
        stats["decisions"] += len(node.ifs)
    elif isinstance(node, ast.Call):
        calls.add(_callee(node.func))
    if isinstance(node, _COMPOUND):
        if not elif_:  # an elif is not deeper than its if
            depth += 1
        stats["nesting"] = max(stats["nesting"], depth)
    chained = node.orelse[0] if isinstance(node, ast.If) and _is_elif(node, node.orelse) else None
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, _SCOPES):
            _scan(child, depth, stats, calls, child is chained)


def _is_elif(node: ast.If, orelse: list) -> bool:
    return (
        len(orelse) == 1
        and isinstance(orelse[0], ast.If)
        and (orelse[0].col_offset == node.col_offset)
    )


def _callee(func: ast.AST) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
        return ".".join(reversed(parts))
    return ast.unparse(func)[:120] + ("." + ".".join(reversed(parts)) if parts else "")
