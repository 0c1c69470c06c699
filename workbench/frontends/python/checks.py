"""What Python rejects at compile time although :func:`ast.parse` accepts it.

The builder's walk checks most of these rules where it meets the construct (``return`` outside
a function, ``break`` outside a loop, ``await`` outside an async function, duplicate
parameters, ``global`` after a use...); the functions here are the checks that need a look at
more than one node: ``match`` patterns, ``from __future__`` placement and the bindings of
``nonlocal`` names (checked once every scope of the module is known). A violation raises
:class:`InvalidSyntax` with CPython's message and the node's position; the frontend turns it
into a :class:`~workbench.errors.ParseError`, as for any other syntax error. No second
``compile()`` of the module is needed.

Examples
--------
>>> import ast
>>> s = ast.parse("match x:\\n    case a:\\n        pass\\n    case 1:\\n        pass\\n").body[0]
>>> check_match(s)
Traceback (most recent call last):
...
workbench.frontends.python.checks.InvalidSyntax: 2:9: name capture 'a' makes remaining ...
"""

from __future__ import annotations
import __future__ as _future

import ast

from workbench.frontends.python.resolution import Scope, ScopeKind

__all__ = ["InvalidSyntax", "check_future", "check_match", "check_nonlocals", "future_imports"]

#: The features ``from __future__ import`` accepts on this interpreter.
FUTURE_FEATURES = frozenset(_future.all_feature_names)


class InvalidSyntax(Exception):
    """Code the compiler rejects: ``msg`` at ``line``:``col`` (0-based column)."""

    def __init__(self, msg: str, line: int | None, col: int | None):
        super().__init__(f"{line}:{col}: {msg}")
        self.msg, self.line, self.col = msg, line, col


def error(node: ast.AST, msg: str) -> InvalidSyntax:
    """The :class:`InvalidSyntax` of ``msg`` at ``node``'s position (to raise)."""
    return InvalidSyntax(msg, getattr(node, "lineno", None), getattr(node, "col_offset", None))


# -- from __future__ ---------------------------------------------------------------------------


def future_imports(body: list[ast.stmt]) -> set[int]:
    """``id()`` of the ``from __future__`` imports of a module body that are where they may be:
    at its start, after the docstring if any."""
    allowed = set()
    start = 0
    if body and _is_docstring(body[0]):
        start = 1
    for s in body[start:]:
        if not _is_future(s):
            break
        allowed.add(id(s))
    return allowed


def check_future(s: ast.ImportFrom, allowed: set[int]) -> None:
    """``from __future__ import names``: at the start of the module, of known features."""
    if id(s) not in allowed:
        raise error(s, "from __future__ imports must occur at the beginning of the file")
    for a in s.names:
        if a.name == "braces":
            raise error(s, "not a chance")
        if a.name not in FUTURE_FEATURES:
            raise error(s, f"future feature {a.name} is not defined")


def _is_future(s: ast.stmt) -> bool:
    return s.__class__ is ast.ImportFrom and s.module == "__future__" and s.level == 0


def _is_docstring(s: ast.stmt) -> bool:
    return (
        s.__class__ is ast.Expr
        and s.value.__class__ is ast.Constant
        and isinstance(s.value.value, str)
    )


# -- nonlocal ----------------------------------------------------------------------------------


def check_nonlocals(declarations: list[tuple[ast.Nonlocal, Scope]]) -> None:
    """Every ``nonlocal`` name is bound in an enclosing function (class bodies are skipped,
    but a class provides ``__class__`` to its methods; a function that declares the name
    ``global`` does not bind it)."""
    for s, scope in declarations:
        for name in s.names:
            p = scope.parent
            while p is not None and p.kind != ScopeKind.MODULE:
                if p.kind == ScopeKind.FUNCTION and name in p.locals and name not in p.globals:
                    break
                if p.kind == ScopeKind.CLASS and name == "__class__":  # the implicit cell
                    break
                p = p.parent
            else:
                raise error(s, f"no binding for nonlocal '{name}' found")


# -- match -------------------------------------------------------------------------------------


def check_match(s: ast.Match) -> None:
    """The rules of PEP 634 the compiler enforces: only the last case may be irrefutable
    (without a guard), a pattern binds each name once, the alternatives of an or-pattern bind
    the same names (and only the last may be irrefutable), a mapping pattern's literal keys
    differ, a class pattern's keyword attributes differ."""
    cases = s.cases
    for case in cases:
        _bindings(case.pattern, set())
    for case in cases[:-1]:
        if case.guard is None:
            msg = _irrefutable_message(case.pattern)
            if msg:
                raise error(case.pattern, msg)


def _irrefutable_message(p: ast.pattern) -> str | None:
    """Why ``p`` matches everything, as the compiler says it; ``None`` if it does not."""
    cls = p.__class__
    if cls is ast.MatchAs:
        if p.pattern is None:
            if p.name is None:
                return "wildcard makes remaining patterns unreachable"
            return f"name capture '{p.name}' makes remaining patterns unreachable"
        return _irrefutable_message(p.pattern)
    if cls is ast.MatchOr:
        for alt in p.patterns:
            msg = _irrefutable_message(alt)
            if msg:
                return msg
    return None


def _bindings(p: ast.pattern, names: set[str]) -> None:
    """Add the names ``p`` binds to ``names``, raising on a rule of :func:`check_match`."""
    cls = p.__class__
    if cls is ast.MatchAs or cls is ast.MatchStar:
        if cls is ast.MatchAs and p.pattern is not None:
            _bindings(p.pattern, names)
        if p.name is not None:
            _bind(p, p.name, names)
    elif cls is ast.MatchSequence:
        for sub in p.patterns:
            _bindings(sub, names)
    elif cls is ast.MatchMapping:
        seen = []
        for key in p.keys:
            if key.__class__ is ast.Constant:
                if key.value in seen:
                    raise error(p, f"mapping pattern checks duplicate key ({key.value!r})")
                seen.append(key.value)
        for sub in p.patterns:
            _bindings(sub, names)
        if p.rest is not None:
            _bind(p, p.rest, names)
    elif cls is ast.MatchClass:
        attrs = p.kwd_attrs
        if len(set(attrs)) < len(attrs):
            dup = next(a for i, a in enumerate(attrs) if a in attrs[:i])
            raise error(p, f"attribute name repeated in class pattern: {dup}")
        for sub in (*p.patterns, *p.kwd_patterns):
            _bindings(sub, names)
    elif cls is ast.MatchOr:
        first: set[str] | None = None
        for alt in p.patterns:
            alt_names: set[str] = set()
            _bindings(alt, alt_names)
            if first is None:
                first = alt_names
            elif alt_names != first:
                raise error(p, "alternative patterns bind different names")
        for alt in p.patterns[:-1]:
            msg = _irrefutable_message(alt)
            if msg:
                raise error(alt, msg)
        for name in first or ():
            _bind(p, name, names)


def _bind(p: ast.pattern, name: str, names: set[str]) -> None:
    if name in names:
        raise error(p, f"multiple assignments to name '{name}' in pattern")
    names.add(name)
