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
import os

from workbench.cpg.ids import module_key, module_name
from workbench.cpg.schema import ParseStatus
from workbench.errors import BuildError, OutOfMemoryError, SourceError, SourceTooLargeError
from workbench.frontends.python.source import SourceFile, content_hash

__all__ = ["function_rows", "module_row", "repository_rows"]

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


def module_row(rel: str, data: bytes | SourceFile, error: SourceError | None = None) -> dict:
    """The ``modules`` (v1) row of a file: identity, hash, sizes and parse outcome.

    ``data`` is the file's bytes, or the :class:`~workbench.frontends.python.source.SourceFile`
    that :func:`~workbench.frontends.python.source.read_source` returned (its error is used
    when ``error`` is None; a file that was not read gets hash ``NOT_READ`` and no lines).
    """
    if isinstance(data, SourceFile):
        error = error or data.error
        digest, size, lines = data.content_hash, data.size, data.lines
    else:
        digest, size = content_hash(data), len(data)
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    row = {
        "module": module_key(rel),
        "path": rel,
        "name": module_name(rel),
        "language": "python",
        "content_hash": digest,
        "size_bytes": size,
        "lines": lines,
        "parse_status": str(ParseStatus.OK),
        "error_type": None,
        "error_message": None,
        "error_line": None,
        "error_col": None,
    }
    if error is not None:
        skipped = isinstance(error, (SourceTooLargeError, OutOfMemoryError))
        row["parse_status"] = str(ParseStatus.SKIPPED if skipped else ParseStatus.FAILED)
        row["error_type"] = error.error_type
        row["error_message"] = error.message
        row["error_line"], row["error_col"] = error.line, error.col
    return row


def repository_rows(
    root: str, paths: list[str], limits
) -> list[tuple[dict, list[dict], bytes | None]]:
    """``(modules row, functions rows, bytes)`` of files under ``root`` (picklable: runs in
    workers); the bytes are None for a file that was not read.

    Files are read with :func:`~workbench.frontends.python.source.read_source`; whatever goes
    wrong with one file (unreadable, not a regular file, too large, bad source, even a bug)
    is that file's row, never the run's exception.
    """
    from workbench.frontends.python.source import parse_source, read_source

    out = []
    for rel in paths:
        src = read_source(os.path.join(root, rel), rel, limits)
        if src.error is not None:
            out.append((module_row(rel, src), [], src.data))
            continue
        try:
            tree, _ = parse_source(src.data, rel, limits)
            row = module_row(rel, src)
            functions = function_rows(tree, row["module"])
        except SourceError as e:
            out.append((module_row(rel, src, e), [], src.data))
        except Exception as e:  # a bug of ours: this module's failure, named by its path
            error = BuildError(rel, f"{type(e).__name__}: {e}")
            out.append((module_row(rel, src, error), [], src.data))
        else:
            out.append((row, functions, src.data))
    return out


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


class _Stats:
    __slots__ = ("decisions", "nesting", "statements")

    def __init__(self) -> None:
        self.decisions = self.nesting = self.statements = 0


def _function_row(fn: ast.FunctionDef | ast.AsyncFunctionDef, qual: str, key: int) -> dict:
    a = fn.args
    params = [x.arg for x in (*a.posonlyargs, *a.args)]
    if a.vararg:
        params.append(a.vararg.arg)
    params += [x.arg for x in a.kwonlyargs]
    if a.kwarg:
        params.append(a.kwarg.arg)
    st = _Stats()
    calls: set[str] = set()
    for stmt in fn.body:
        _scan(stmt, 0, st, calls)
    return {
        "module": key,
        "qualname": qual,
        "name": fn.name,
        "line": fn.lineno,
        "end_line": fn.end_lineno,
        "parameters": params,
        "decision_points": st.decisions,
        "nesting": st.nesting,
        "statements": st.statements,
        "calls": sorted(calls),
    }


_STMT, _DECISION, _NESTS, _COUNTS = 1, 2, 4, 8
_COUNTED = (*_DECISIONS, ast.BoolOp, ast.comprehension, ast.Call)  # see _count
_INFO: dict[type, tuple[int, tuple[str, ...]]] = {}
_AST = ast.AST


def _info(cls: type) -> tuple[int, tuple[str, ...]]:
    """Per syntax class: flags and the fields that can hold child nodes (cached)."""
    info = _INFO.get(cls)
    if info is None:
        flags = (
            (_STMT if issubclass(cls, ast.stmt) else 0)
            | (_DECISION if cls in _DECISIONS else 0)
            | (_NESTS if cls in _COMPOUND else 0)
            | (_COUNTS if cls in _COUNTED else 0)
        )
        fields = tuple(f for f in cls._fields if f not in ("ctx", "op", "ops"))
        info = _INFO[cls] = (flags, fields)
    return info


def _scan(node: ast.AST, depth: int, st: _Stats, calls: set[str], elif_: bool = False) -> None:
    """Count within one function body; nested defs, classes and lambdas are their own."""
    cls = node.__class__
    flags, fields = _INFO.get(cls) or _info(cls)
    if flags & _STMT:
        st.statements += 1
    if cls in _SCOPES:  # its header runs here; its body is a function of its own
        for expr in _header(node):
            _scan(expr, depth, st, calls)
        return
    if flags & _COUNTS:
        _count(node, cls, flags, st, calls)
    chained = None
    if flags & _NESTS:
        depth, chained = _nest(node, cls, depth, st, elif_)
    for f in fields:
        v = getattr(node, f)
        if v.__class__ is list:
            for x in v:
                if isinstance(x, _AST):
                    _scan(x, depth, st, calls, x is chained)
        elif isinstance(v, _AST):
            _scan(v, depth, st, calls)


def _count(node: ast.AST, cls: type, flags: int, st: _Stats, calls: set[str]) -> None:
    """The decisions a node adds (``and``/``or`` and comprehension ``if``: one per operand
    after the first), or the callee of a call."""
    if flags & _DECISION:
        st.decisions += 1
    elif cls is ast.BoolOp:
        st.decisions += len(node.values) - 1
    elif cls is ast.comprehension:
        st.decisions += len(node.ifs)
    elif cls is ast.Call:
        calls.add(_callee(node.func))


def _nest(node: ast.AST, cls: type, depth: int, st: _Stats, elif_: bool):
    """A compound statement: ``(the depth of its body, the elif it chains or None)``; an
    ``elif`` is not deeper than its ``if``."""
    if not elif_:
        depth += 1
    if depth > st.nesting:
        st.nesting = depth
    chained = node.orelse[0] if cls is ast.If and _is_elif(node, node.orelse) else None
    return depth, chained


def _header(node: ast.AST) -> list[ast.AST]:
    """What a def, class or lambda evaluates where it stands."""
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
    a = node.args
    out = [*getattr(node, "decorator_list", ()), *a.defaults, *(d for d in a.kw_defaults if d)]
    if not isinstance(node, ast.Lambda):
        args = [*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg]
        out += [x.annotation for x in args if x is not None and x.annotation is not None]
        if node.returns is not None:
            out.append(node.returns)
    return out


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
