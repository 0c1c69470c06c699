"""Value-flow summaries of Python modules, for the project call graph.

:func:`summarize` walks one module's syntax tree and records what its code does with values
as the constraints of a :class:`~workbench.callgraph.model.ModuleSummary`, in the style of
PyCG's assignment graph (Salis et al., ICSE 2021): ``x = f`` is "the objects of ``f`` flow into
``x``", ``a.m()`` is "call whatever ``a.m`` holds, with these arguments, and put its return
value here". :mod:`workbench.callgraph.solver` solves the constraints of all modules of a
project together, to a fixpoint.

Names are resolved here, statically, by Python's scoping rules (LEGB; a class body is not an
enclosing scope of its methods; ``global``/``nonlocal``), so a variable is ``<scope>:<name>``
with ``<scope>`` the full name of the scope that binds it. Comprehensions and generator
expressions are folded into the scope that contains them.
"""

from __future__ import annotations

import ast
import builtins
import re

from workbench.callgraph.model import (
    ELEMENTS,
    RETURN,
    ClassInfo,
    FunctionInfo,
    ModuleSummary,
    Site,
)
from workbench.frontends.python.builder import (
    R_AST,
    R_CODE,
    R_COL,
    R_LINE,
    R_METHOD,
    ModuleBuild,
)
from workbench.frontends.python.kinds import CODE_MAX
from workbench.frontends.python.resolution import dotted

__all__ = ["summarize"]

#: Names Python finds in the builtins module when no scope binds them.
BUILTINS: frozenset[str] = frozenset(dir(builtins))
_COMPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
#: Binary operators and their special methods (in-place, reflected).
BINOPS: dict[type, str] = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.MatMult: "matmul",
    ast.Div: "truediv",
    ast.FloorDiv: "floordiv",
    ast.Mod: "mod",
    ast.Pow: "pow",
    ast.LShift: "lshift",
    ast.RShift: "rshift",
    ast.BitOr: "or",
    ast.BitXor: "xor",
    ast.BitAnd: "and",
}
UNARY: dict[type, str] = {ast.USub: "__neg__", ast.UAdd: "__pos__", ast.Invert: "__invert__"}
COMPARE: dict[type, str] = {
    ast.Eq: "__eq__",
    ast.NotEq: "__ne__",
    ast.Lt: "__lt__",
    ast.LtE: "__le__",
    ast.Gt: "__gt__",
    ast.GtE: "__ge__",
}


class _Scope:
    __slots__ = ("bound", "fn", "globals", "kind", "nonlocals", "ns", "parent")

    def __init__(self, ns: str, kind: str, parent: _Scope | None, fn: FunctionInfo | None = None):
        self.ns = ns
        self.kind = kind  # "module", "class", "function"
        self.parent = parent
        self.bound: set[str] = set()
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self.fn = fn


def _site(node: ast.AST) -> Site:
    return (
        type(node).__name__,
        node.lineno,
        node.col_offset,
        node.end_lineno or node.lineno,
        node.end_col_offset if node.end_col_offset is not None else node.col_offset,
    )


def _scope_children(node: ast.AST):
    """Child nodes evaluated in ``node``'s scope: a nested def/lambda/class contributes only
    its decorators, defaults, annotations and bases (its body is another scope)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        yield from node.decorator_list
        yield from node.args.defaults
        yield from (d for d in node.args.kw_defaults if d is not None)
        return
    if isinstance(node, ast.Lambda):
        yield from node.args.defaults
        yield from (d for d in node.args.kw_defaults if d is not None)
        return
    if isinstance(node, ast.ClassDef):
        yield from node.decorator_list
        yield from node.bases
        yield from (k.value for k in node.keywords)
        return
    yield from ast.iter_child_nodes(node)


#: Nodes whose children are partly another scope (see :func:`_scope_children`).
_OWN_SCOPE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _bindings(body: list[ast.AST], scope: _Scope) -> None:
    """Fill ``scope.bound``/``globals``/``nonlocals`` from the statements of one scope."""
    stack = list(body)
    bound, glob, nonl = scope.bound, scope.globals, scope.nonlocals
    while stack:
        n = stack.pop()
        t = type(n)
        if t is ast.Name:
            if not isinstance(n.ctx, ast.Load):
                bound.add(n.id)
            continue
        if t in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            bound.add(n.name)
        elif t is ast.Global:
            glob.update(n.names)
            continue
        elif t is ast.Nonlocal:
            nonl.update(n.names)
            continue
        elif t in (ast.Import, ast.ImportFrom):
            for a in n.names:
                if a.name != "*":
                    bound.add(a.asname or a.name.partition(".")[0])
            continue
        elif t is ast.ExceptHandler or t in (ast.MatchAs, ast.MatchStar):
            if n.name:
                bound.add(n.name)
        elif t is ast.MatchMapping and n.rest:
            bound.add(n.rest)
        if t in _OWN_SCOPE:
            stack.extend(_scope_children(n))
            continue
        # the children of any other node (a table of each class' fields: much faster than
        # ast.iter_child_nodes, and this walk sees every node of the module)
        fields = _FIELDS.get(t)
        if fields is None:
            fields = _FIELDS[t] = tuple(f for f in t._fields if f != "ctx")
        for f in fields:
            v = getattr(n, f, None)
            if v.__class__ is list:
                stack.extend(c for c in v if isinstance(c, ast.AST))
            elif isinstance(v, ast.AST):
                stack.append(v)


def _literal_names(node: ast.AST) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


def _decorator_name(d: ast.AST) -> str:
    """A decorator as written, without its call: ``functools.lru_cache(8)`` ->
    ``functools.lru_cache``; empty when it is not a dotted name."""
    while isinstance(d, ast.Call):
        d = d.func
    return dotted(d) or ""


class _Summarizer:
    def __init__(self, module: str, is_package: bool, reaching: Reaching | None = None) -> None:
        self.s = ModuleSummary(module, is_package)
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.out = self.s.constraints
        self.tmp = 0
        self.keys: set[str] = set()
        self.all_names: list[str] | None = None
        self.class_names: dict[str, str] = {}
        self.imported: set[str] = set()  # variables an import binds
        # flow-sensitive names (see Reaching): the uses of the scope being summarised, as
        # (variable read, variable of the name, its reaching definitions); the definitions
        # made, as (variable of the name, position)
        self.reaching: Reaching = reaching or {}
        self.def_sites = {d for defs in self.reaching.values() for d in defs}
        self.uses: list[list[tuple[str, str, tuple[Position, ...]]]] = [[]]
        self.parts: dict[str, list[str]] = {}  # a union's variable -> what it unites
        self.defined: set[tuple[str, Position]] = set()

    # -- variables ---------------------------------------------------------------------
    def new(self) -> str:
        self.tmp += 1
        return f"{self.module}:${self.tmp}"

    def const(self, obj: str) -> str:
        v = self.new()
        self.out.append(("obj", v, obj))
        return v

    def lookup(self, name: str, scope: _Scope) -> str:
        """The variable a name read in ``scope`` refers to (or a builtin's object)."""
        var = self.resolve(name, scope)
        return var if var is not None else self.const(f"x:builtins.{name}")

    def resolve(self, name: str, scope: _Scope) -> str | None:
        """The variable of a name read in ``scope``; None for a builtin."""
        if name in scope.globals:
            return f"{self.module}:{name}"
        s: _Scope | None = scope
        first = True
        while s is not None:
            if s.kind == "module":
                break
            if (first or s.kind == "function") and name in s.bound and name not in s.globals:
                if name in s.nonlocals:
                    s, first = s.parent, False
                    continue
                return f"{s.ns}:{name}"
            if not first and s.kind == "function" and name in s.globals:
                break
            s, first = s.parent, False
        root = scope
        while root.parent is not None:
            root = root.parent
        if name in root.bound or name not in BUILTINS:
            return f"{self.module}:{name}"
        return None

    def target_var(self, name: str, scope: _Scope) -> str:
        """The variable an assignment to ``name`` in ``scope`` binds."""
        if name in scope.globals or scope.kind == "module":
            return f"{self.module}:{name}"
        if name in scope.nonlocals:
            return self.lookup(name, scope.parent) if scope.parent else f"{self.module}:{name}"
        return f"{scope.ns}:{name}"

    # -- definitions -------------------------------------------------------------------
    def unique(self, full: str, node: ast.AST) -> str:
        key = full if full not in self.keys else f"{full}@{node.lineno}:{node.col_offset}"
        self.keys.add(key)
        return key

    def qual(self, scope: _Scope, name: str) -> str:
        """Full name of ``name`` defined in ``scope`` (Python's ``__qualname__`` rules)."""
        if scope.kind == "module":
            return f"{self.module}.{name}"
        if scope.kind == "class":  # by the class's name (a second ``class C`` has a key C@...)
            return f"{self.qual_of_class(scope)}.{name}"
        return f"{scope.fn.name if scope.fn else scope.ns}.<locals>.{name}"

    def function(self, node: ast.AST, scope: _Scope) -> str:
        """Define a def or lambda; returns a variable holding its function object."""
        name = "<lambda>" if isinstance(node, ast.Lambda) else node.name  # type: ignore[attr-defined]
        full = self.qual(scope, name)
        key = self.unique(full, node)
        a = node.args  # type: ignore[attr-defined]
        pos = [p.arg for p in (*a.posonlyargs, *a.args)]
        fn = FunctionInfo(
            key=key,
            name=full,
            line=node.lineno,
            col=node.col_offset,
            params=[f"{key}:{p}" for p in pos],
            kwonly=[f"{key}:{p.arg}" for p in a.kwonlyargs],
            vararg=f"{key}:{a.vararg.arg}" if a.vararg else None,
            kwarg=f"{key}:{a.kwarg.arg}" if a.kwarg else None,
            klass=scope.ns if scope.kind == "class" else None,
            decorators=[_decorator_name(d) for d in getattr(node, "decorator_list", ())],
        )
        self.s.functions.append(fn)
        inner = _Scope(key, "function", scope, fn)
        inner.bound.update(pos)
        inner.bound.update(p.arg for p in a.kwonlyargs)
        if a.vararg:
            inner.bound.add(a.vararg.arg)
            self.out.append(("obj", fn.vararg, f"l:tuple@{key}:*"))
        if a.kwarg:
            inner.bound.add(a.kwarg.arg)
            self.out.append(("obj", fn.kwarg, f"l:dict@{key}:**"))
        # defaults are evaluated in the defining scope and flow into the parameter
        for p, d in zip(pos[len(pos) - len(a.defaults) :], a.defaults, strict=True):
            self.flow(f"{key}:{p}", self.expr(d, scope))
        for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True):
            if d is not None:
                self.flow(f"{key}:{p.arg}", self.expr(d, scope))
        self.uses.append([])
        if isinstance(node, ast.Lambda):
            _bindings([node.body], inner)
            start = len(self.out)
            self.flow(f"{key}:{RETURN}", self.expr(node.body, inner))
        else:
            _bindings(node.body, inner)  # type: ignore[attr-defined]
            start = len(self.out)
            self.body(node.body, inner)  # type: ignore[attr-defined]
        self.resolve_uses()
        fn.span = (start, len(self.out))
        return self.const(f"f:{key}")

    def decorate(self, decorators: list[ast.expr], value: str, scope: _Scope) -> str:
        for d in reversed(decorators):
            callee = self.expr(d, scope)
            out = self.new()
            self.out.append(("decorate", out, callee, value, _site(d), self.caller(scope)))
            value = out
        return value

    def klass(self, node: ast.ClassDef, scope: _Scope) -> None:
        full = self.qual(scope, node.name)
        key = self.unique(full, node)
        bases = [v for v in (self.expr(b, scope) for b in node.bases) if v is not None]
        for k in node.keywords:
            self.expr(k.value, scope)
        self.class_names[key] = full
        info = ClassInfo(
            key,
            full,
            node.lineno,
            bases,
            [_decorator_name(d) for d in node.decorator_list],
            [
                st.target.id
                for st in node.body
                if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name)
            ],
            node.col_offset,
        )
        self.s.classes.append(info)
        self.out.append(
            ("edge", self.caller(scope), f"{full}.<body>", _site(node), "class-body", key)
        )
        inner = _Scope(key, "class", scope)
        _bindings(node.body, inner)
        start = len(self.out)
        self.body(node.body, inner)
        info.span = (start, len(self.out))
        value = self.decorate(node.decorator_list, self.const(f"c:{key}"), scope)
        self.flow(self.target_var(node.name, scope), value)

    # -- statements --------------------------------------------------------------------
    def caller(self, scope: _Scope) -> str:
        """The full name of the method that a call made in ``scope`` belongs to."""
        if scope.kind == "module":
            return f"{self.module}.<module>"
        if scope.kind == "class":
            return f"{self.qual_of_class(scope)}.<body>"
        return scope.fn.key if scope.fn else scope.ns

    def qual_of_class(self, scope: _Scope) -> str:
        return self.class_names.get(scope.ns, scope.ns)

    def flow(self, dst: str, src: str | None) -> None:
        if src is not None:
            self.out.append(("copy", dst, src))

    def resolve_uses(self) -> None:
        """At the end of a scope: each flow-sensitive use of the scope reads the definitions
        that reach it, when all of them were seen; else the name's variable (all of them)."""
        for out, var, defs in self.uses.pop():
            if all((var, d) in self.defined for d in defs):
                for line, col in defs:
                    self.flow(out, f"{var}@{line}:{col}")
            else:
                self.flow(out, var)

    def body(self, stmts: list[ast.stmt], scope: _Scope) -> None:
        for st in stmts:
            self.stmt(st, scope)

    def stmt(self, st: ast.stmt, scope: _Scope) -> None:
        t = type(st)
        if t in (ast.FunctionDef, ast.AsyncFunctionDef):
            value = self.decorate(st.decorator_list, self.function(st, scope), scope)  # type: ignore[attr-defined]
            self.flow(self.target_var(st.name, scope), value)  # type: ignore[attr-defined]
        elif t is ast.ClassDef:
            self.klass(st, scope)  # type: ignore[arg-type]
        elif t is ast.Return:
            if st.value is not None and scope.fn is not None:  # type: ignore[attr-defined]
                self.flow(f"{scope.fn.key}:{RETURN}", self.expr(st.value, scope))  # type: ignore[attr-defined]
        elif t is ast.Assign:
            value = self.expr(st.value, scope)  # type: ignore[attr-defined]
            for target in st.targets:  # type: ignore[attr-defined]
                self.assign(target, value, st.value, scope)  # type: ignore[attr-defined]
            if scope.kind == "module":
                for target in st.targets:  # type: ignore[attr-defined]
                    if isinstance(target, ast.Name) and target.id == "__all__":
                        self.all_names = _literal_names(st.value)  # type: ignore[attr-defined]
        elif t is ast.AnnAssign:
            if st.value is not None:  # type: ignore[attr-defined]
                self.assign(st.target, self.expr(st.value, scope), st.value, scope)  # type: ignore[attr-defined]
        elif t is ast.AugAssign:
            target = st.target  # type: ignore[attr-defined]
            left = self.expr(target, scope) if not isinstance(target, ast.Name) else None
            if isinstance(target, ast.Name):
                left = self.lookup(target.id, scope)
            right = self.expr(st.value, scope)  # type: ignore[attr-defined]
            out = self.new()
            op = BINOPS.get(type(st.op), "")  # type: ignore[attr-defined]
            self.out.append(("binop", out, left, right, op, True, _site(st), self.caller(scope)))
            self.assign(target, out, None, scope)
        elif t in (ast.For, ast.AsyncFor):
            it = self.expr(st.iter, scope)  # type: ignore[attr-defined]
            out = self.new()
            self.out.append(("iter", out, it, _site(st), self.caller(scope), t is ast.AsyncFor))
            self.assign(st.target, out, None, scope)  # type: ignore[attr-defined]
            self.body(st.body, scope)  # type: ignore[attr-defined]
            self.body(st.orelse, scope)  # type: ignore[attr-defined]
        elif t in (ast.With, ast.AsyncWith):
            for item in st.items:  # type: ignore[attr-defined]
                ctx = self.expr(item.context_expr, scope)
                out = self.new()
                self.out.append(
                    ("with", out, ctx, _site(st), self.caller(scope), t is ast.AsyncWith)
                )
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, out, None, scope)
            self.body(st.body, scope)  # type: ignore[attr-defined]
        elif t is ast.Raise:
            if st.exc is not None:  # type: ignore[attr-defined]
                exc = self.expr(st.exc, scope)  # type: ignore[attr-defined]
                self.out.append(("raise", exc, _site(st), self.caller(scope)))
            if st.cause is not None:  # type: ignore[attr-defined]
                self.expr(st.cause, scope)  # type: ignore[attr-defined]
        elif t is ast.Import:
            for a in st.names:  # type: ignore[attr-defined]
                self.out.append(("import", self.caller(scope), a.name, _site(st)))
                var = self.target_var(a.asname or a.name.partition(".")[0], scope)
                self.imported.add(var)
                self.out.append(("module", var, a.name if a.asname else a.name.partition(".")[0]))
        elif t is ast.ImportFrom:
            base = self.absolute(st.module, st.level)  # type: ignore[attr-defined]
            if base is None:
                return
            self.out.append(("import", self.caller(scope), base, _site(st)))
            for a in st.names:  # type: ignore[attr-defined]
                if a.name == "*":
                    self.out.append(("star", self.module, base))
                    self.s.star_imports.append(base)
                    continue
                self.out.append(("import", self.caller(scope), f"{base}.{a.name}", _site(st), True))
                out = self.target_var(a.asname or a.name, scope)
                self.imported.add(out)
                self.out.append(("from", out, base, a.name))
        elif t is ast.Delete:
            for target in st.targets:  # type: ignore[attr-defined]
                if isinstance(target, ast.Attribute):
                    obj = self.expr(target.value, scope)
                    self.out.append(
                        ("delattr", obj, target.attr, _site(target), self.caller(scope))
                    )
                elif isinstance(target, ast.Subscript):
                    obj = self.expr(target.value, scope)
                    self.expr(target.slice, scope)
                    self.out.append(("delitem", obj, _site(target), self.caller(scope)))
                else:
                    self.expr(target, scope)
        elif t is ast.Expr:
            self.expr(st.value, scope)  # type: ignore[attr-defined]
        elif t in (ast.Global, ast.Nonlocal, ast.Pass, ast.Break, ast.Continue):
            return
        elif t in (ast.If, ast.While):
            self.truth(st.test, self.expr(st.test, scope), scope)  # type: ignore[attr-defined]
            self.body(st.body, scope)  # type: ignore[attr-defined]
            self.body(st.orelse, scope)  # type: ignore[attr-defined]
        elif t is ast.Assert:
            self.truth(st.test, self.expr(st.test, scope), scope)  # type: ignore[attr-defined]
            self.expr(st.msg, scope)  # type: ignore[attr-defined]
        elif t is ast.Try or t.__name__ == "TryStar":
            self.body(st.body, scope)  # type: ignore[attr-defined]
            for h in st.handlers:  # type: ignore[attr-defined]
                if h.type is not None:
                    exc = self.expr(h.type, scope)
                    if h.name:
                        out = self.new()
                        self.out.append(("instance", out, exc))
                        self.flow(self.target_var(h.name, scope), out)
                self.body(h.body, scope)
            self.body(st.orelse, scope)  # type: ignore[attr-defined]
            self.body(st.finalbody, scope)  # type: ignore[attr-defined]
        elif t is ast.Match:
            subject = self.expr(st.subject, scope)  # type: ignore[attr-defined]
            for case in st.cases:  # type: ignore[attr-defined]
                self.pattern(case.pattern, subject, scope)
                if case.guard is not None:
                    self.expr(case.guard, scope)
                self.body(case.body, scope)
        else:  # If, While, Assert, TypeAlias and others: evaluate expressions, walk bodies
            for name, value in ast.iter_fields(st):
                if isinstance(value, list):
                    if value and isinstance(value[0], ast.stmt):
                        self.body(value, scope)
                    else:
                        for v in value:
                            if isinstance(v, ast.expr):
                                self.expr(v, scope)
                elif isinstance(value, ast.expr) and name != "target":
                    self.expr(value, scope)

    def pattern(self, p: ast.AST, subject: str | None, scope: _Scope) -> None:
        if isinstance(p, ast.MatchAs):
            if p.pattern is not None:
                self.pattern(p.pattern, subject, scope)
            if p.name:
                self.flow(self.target_var(p.name, scope), subject)
            return
        for child in ast.iter_child_nodes(p):
            if isinstance(child, ast.pattern):
                self.pattern(child, None, scope)
            elif isinstance(child, ast.expr):
                self.expr(child, scope)

    def absolute(self, module: str | None, level: int) -> str | None:
        if not level:
            return module
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (level - 1)]
        if module:
            base.append(module)
        return ".".join(base) or None

    def assign(
        self, target: ast.AST, value: str | None, node: ast.AST | None, scope: _Scope
    ) -> None:
        t = type(target)
        if t is ast.Name:
            var = self.target_var(target.id, scope)  # type: ignore[attr-defined]
            at = (target.lineno, target.col_offset)  # type: ignore[attr-defined]
            if at in self.def_sites and scope.kind != "class":  # a definition of its own
                self.defined.add((var, at))
                own = f"{var}@{at[0]}:{at[1]}"
                self.flow(own, value)
                self.flow(var, own)
                # a value the analysis cannot know (``p = p.resolve()`` on an outside
                # object), also in one branch only (``p = p.resolve() if c else q``): any
                # value of the name, as if it were not flow-sensitive
                parts = self.alternatives(value)
                self.out.append(("fallback", own, var, *(parts if len(parts) > 1 else ())))
            else:
                self.flow(var, value)
        elif t is ast.Attribute:
            obj = self.expr(target.value, scope)  # type: ignore[attr-defined]
            self.out.append(("store", obj, target.attr, value, _site(target), self.caller(scope)))  # type: ignore[attr-defined]
        elif t is ast.Subscript:
            obj = self.expr(target.value, scope)  # type: ignore[attr-defined]
            self.expr(target.slice, scope)  # type: ignore[attr-defined]
            key = _key(target.slice)  # type: ignore[attr-defined]
            self.out.append(("setitem", obj, value, _site(target), self.caller(scope), key))
        elif t in (ast.Tuple, ast.List):
            elts = target.elts  # type: ignore[attr-defined]
            if isinstance(node, (ast.Tuple, ast.List)) and self.unpack_literal(elts, node, scope):
                return
            starred = False
            for i, e in enumerate(elts):
                if isinstance(e, ast.Starred):
                    starred = True
                    box = self.const(f"l:list@{self.module}:{e.lineno}:{e.col_offset}")
                    item = self.new()
                    self.out.append(("elem", item, value, None))
                    self.out.append(("setitem", box, item, None, None, None))
                    self.assign(e.value, box, None, scope)
                else:
                    item = self.new()
                    self.out.append(("elem", item, value, None if starred else repr(i)))
                    self.assign(e, item, None, scope)
        elif t is ast.Starred:
            self.assign(target.value, value, None, scope)  # type: ignore[attr-defined]

    def unpack_literal(
        self, elts: list[ast.expr], node: ast.Tuple | ast.List, scope: _Scope
    ) -> bool:
        """``a, *b, c = x, y, z, w``: each target gets its own values; False when the shapes
        do not match (the targets then take any element)."""
        values = node.elts
        stars = [i for i, e in enumerate(elts) if isinstance(e, ast.Starred)]
        if any(isinstance(v, ast.Starred) for v in values) or len(stars) > 1:
            return False
        if not stars:
            if len(values) != len(elts):
                return False
            for e, v in zip(elts, values, strict=True):
                self.assign(e, self.expr(v, scope), v, scope)
            return True
        i = stars[0]
        after = len(elts) - i - 1
        if len(values) < len(elts) - 1:
            return False
        for e, v in zip(elts[:i], values[:i], strict=True):
            self.assign(e, self.expr(v, scope), v, scope)
        middle = values[i : len(values) - after]
        star = elts[i]
        box = self.const(f"l:list@{self.module}:{star.lineno}:{star.col_offset}")
        for k, v in enumerate(middle):
            self.out.append(("setitem", box, self.expr(v, scope), None, None, repr(k)))
        self.assign(star.value, box, None, scope)  # type: ignore[attr-defined]
        for e, v in zip(elts[len(elts) - after :], values[len(values) - after :], strict=True):
            self.assign(e, self.expr(v, scope), v, scope)
        return True

    # -- expressions -------------------------------------------------------------------
    def expr(self, e: ast.AST | None, scope: _Scope) -> str | None:
        """Generate the constraints of an expression; the variable holding its value."""
        if e is None:
            return None
        t = type(e)
        if t is ast.Name:
            var = self.lookup(e.id, scope)  # type: ignore[attr-defined]
            defs = self.reaching.get((e.lineno, e.col_offset)) if scope.kind != "class" else None
            if defs and var == self.target_var(e.id, scope):  # type: ignore[attr-defined]
                out = self.new()  # what the definitions reaching this use hold (resolve_uses)
                self.uses[-1].append((out, var, defs))
                return out
            return var
        if t is ast.Attribute:
            obj = self.expr(e.value, scope)  # type: ignore[attr-defined]
            out = self.new()
            path = self.is_name_path(e.value, scope)  # type: ignore[attr-defined]
            self.out.append(("load", out, obj, e.attr, _site(e), self.caller(scope), path))  # type: ignore[attr-defined]
            return out
        if t is ast.Call:
            return self.call(e, scope)  # type: ignore[arg-type]
        if t is ast.Constant:
            v = e.value  # type: ignore[attr-defined]
            if isinstance(v, (str, bytes, int, float, complex)) and not isinstance(v, bool):
                return self.const(f"xi:builtins.{type(v).__name__}")
            return None
        if t is ast.JoinedStr:
            for v in e.values:  # type: ignore[attr-defined]
                self.expr(v, scope)
            return self.const("xi:builtins.str")
        if t is ast.FormattedValue:
            self.expr(e.value, scope)  # type: ignore[attr-defined]
            self.expr(e.format_spec, scope)  # type: ignore[attr-defined]
            return None
        if t in (ast.List, ast.Tuple, ast.Set):
            box = self.const(f"l:{t.__name__.lower()}@{self.module}:{e.lineno}:{e.col_offset}")
            indexed = t is not ast.Set
            for i, elt in enumerate(e.elts):  # type: ignore[attr-defined]
                if isinstance(elt, ast.Starred):
                    indexed = False
                    item = self.new()
                    self.out.append(("elem", item, self.expr(elt.value, scope), None))
                    self.out.append(("setitem", box, item, None, None, None))
                else:
                    key = repr(i) if indexed else None
                    self.out.append(("setitem", box, self.expr(elt, scope), None, None, key))
            return box
        if t is ast.Dict:
            box = self.const(f"l:dict@{self.module}:{e.lineno}:{e.col_offset}")
            for k, v in zip(e.keys, e.values, strict=True):  # type: ignore[attr-defined]
                if k is None:  # {**other}
                    item = self.new()
                    self.out.append(("elem", item, self.expr(v, scope), None))
                    self.out.append(("setitem", box, item, None, None, None))
                else:
                    self.expr(k, scope)
                    self.out.append(("setitem", box, self.expr(v, scope), None, None, _key(k)))
            return box
        if t in _COMPS:
            for g in e.generators:  # type: ignore[attr-defined]
                it = self.expr(g.iter, scope)
                item = self.new()
                self.out.append(("iter", item, it, _site(e), self.caller(scope), bool(g.is_async)))
                _bind_comp_target(g.target, scope)
                self.assign(g.target, item, None, scope)
                for cond in g.ifs:
                    self.truth(cond, self.expr(cond, scope), scope)
            kind = {"ListComp": "list", "SetComp": "set", "DictComp": "dict"}.get(t.__name__)
            if kind is None:  # a generator expression: an iterable of its elements
                kind = "genexp"
            box = self.const(f"l:{kind}@{self.module}:{e.lineno}:{e.col_offset}")
            if t is ast.DictComp:
                self.expr(e.key, scope)  # type: ignore[attr-defined]
                value = self.expr(e.value, scope)  # type: ignore[attr-defined]
            else:
                value = self.expr(e.elt, scope)  # type: ignore[attr-defined]
            self.out.append(("setitem", box, value, None, None, None))
            return box
        if t is ast.Lambda:
            return self.function(e, scope)
        if t is ast.IfExp:
            self.truth(e.test, self.expr(e.test, scope), scope)  # type: ignore[attr-defined]
            return self.union([self.expr(e.body, scope), self.expr(e.orelse, scope)])  # type: ignore[attr-defined]
        if t is ast.BoolOp:
            values = [self.expr(v, scope) for v in e.values]  # type: ignore[attr-defined]
            for node, v in zip(e.values[:-1], values, strict=False):  # type: ignore[attr-defined]
                self.truth(node, v, scope)
            return self.union(values)
        if t is ast.NamedExpr:
            value = self.expr(e.value, scope)  # type: ignore[attr-defined]
            self.assign(e.target, value, None, scope)  # type: ignore[attr-defined]
            return value
        if t is ast.BinOp:
            left, right = self.expr(e.left, scope), self.expr(e.right, scope)  # type: ignore[attr-defined]
            out = self.new()
            op = BINOPS.get(type(e.op), "")  # type: ignore[attr-defined]
            self.out.append(("binop", out, left, right, op, False, _site(e), self.caller(scope)))
            return out
        if t is ast.Compare:
            left = self.expr(e.left, scope)  # type: ignore[attr-defined]
            for op, comp in zip(e.ops, e.comparators, strict=True):  # type: ignore[attr-defined]
                right = self.expr(comp, scope)
                if type(op) in (ast.In, ast.NotIn):
                    self.out.append(
                        ("compare", right, left, "__contains__", _site(e), self.caller(scope))
                    )
                elif type(op) in COMPARE:
                    self.out.append(
                        ("compare", left, right, COMPARE[type(op)], _site(e), self.caller(scope))
                    )
                left = right
            return None
        if t is ast.Subscript:
            obj = self.expr(e.value, scope)  # type: ignore[attr-defined]
            self.expr(e.slice, scope)  # type: ignore[attr-defined]
            out = self.new()
            if isinstance(e.slice, ast.Slice):  # type: ignore[attr-defined]
                box = f"l:list@{self.module}:{e.lineno}:{e.col_offset}"
                self.out.append(("slice", out, obj, box))
            else:
                key = _key(e.slice)  # type: ignore[attr-defined]
                self.out.append(("getitem", out, obj, _site(e), self.caller(scope), key))
            return out
        if t is ast.UnaryOp:
            operand = self.expr(e.operand, scope)  # type: ignore[attr-defined]
            name = UNARY.get(type(e.op))  # type: ignore[attr-defined]
            if name is not None:
                out = self.new()
                self.out.append(("unary", out, operand, name, _site(e), self.caller(scope)))
                return out
            self.truth(e.operand, operand, scope)  # type: ignore[attr-defined]
            return None
        if t is ast.Starred:
            return self.expr(e.value, scope)  # type: ignore[attr-defined]
        if t is ast.Await:
            value = self.expr(e.value, scope)  # type: ignore[attr-defined]
            out = self.new()
            self.out.append(("await", out, value, _site(e), self.caller(scope)))
            return out
        if t in (ast.Yield, ast.YieldFrom):
            value = self.expr(e.value, scope)  # type: ignore[attr-defined]
            fn = scope.fn
            if fn is not None:
                fn.generator = True
            if fn is not None and value is not None:
                if t is ast.YieldFrom:
                    item = self.new()
                    self.out.append(("iter", item, value, _site(e), self.caller(scope), False))
                    value = item
                self.flow(f"g:{fn.key}#{ELEMENTS}", value)
            return None
        for child in ast.iter_child_nodes(e):
            if isinstance(child, ast.expr):
                self.expr(child, scope)
        return None

    def truth(self, node: ast.AST, value: str | None, scope: _Scope) -> None:
        """A truth test of a value (``if x:``): ``__bool__`` (or ``__len__``) of objects."""
        if value is not None and not isinstance(node, (ast.Compare, ast.BoolOp, ast.Constant)):
            self.out.append(("truth", value, _site(node), self.caller(scope)))

    def is_name_path(self, node: ast.AST, scope: _Scope) -> bool:
        """A dotted name whose root is an imported name or a builtin (``os.path``): the
        receivers whose outside attributes are followed by name (``os.path.join``)."""
        while isinstance(node, ast.Attribute):
            node = node.value
        if not isinstance(node, ast.Name):
            return False
        var = self.resolve(node.id, scope)
        return var is None or var in self.imported

    def union(self, values: list[str | None]) -> str | None:
        values = [v for v in values if v is not None]
        if len(values) <= 1:
            return values[0] if values else None
        out = self.new()
        for v in values:
            self.flow(out, v)
        self.parts[out] = values
        return out

    def alternatives(self, value: str | None) -> list[str]:
        """The variables whose union a value is (the branches of ``a if c else b``, the
        operands of ``a or b``), recursively; the value itself when it is no union."""
        if value is None:
            return []
        if value not in self.parts:
            return [value]
        return [a for v in self.parts[value] for a in self.alternatives(v)]

    def call(self, e: ast.Call, scope: _Scope) -> str:
        func = e.func
        if (
            isinstance(func, ast.Name)
            and func.id == "super"
            and not e.args
            and self.resolve("super", scope) is None
        ):
            cls_scope, fn = _method_scope(scope)
            out = self.new()
            if cls_scope is not None and fn is not None and fn.params:
                self.out.append(("super", out, cls_scope.ns, fn.params[0]))
            self.out.append(("edge", self.caller(scope), "builtins.super", _site(e), "call", None))
            return out
        callee = self.expr(func, scope)
        args: list[str | None] = []
        star: list[str] = []
        for a in e.args:
            if isinstance(a, ast.Starred):
                v = self.expr(a.value, scope)
                if v is not None:
                    star.append(v)
            else:
                args.append(self.expr(a, scope))
        kwargs: dict[str, str | None] = {}
        dstar: list[str] = []
        for k in e.keywords:
            v = self.expr(k.value, scope)
            if k.arg is None:
                if v is not None:
                    dstar.append(v)
            else:
                kwargs[k.arg] = v
        strings = [
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
            for a in e.args
        ]
        out = self.new()
        self.out.append(
            (
                "call",
                out,
                callee,
                tuple(args),
                kwargs,
                tuple(star),
                tuple(dstar),
                _site(e),
                self.caller(scope),
                tuple(strings),
                _callee_text(func),
            )
        )
        return out


def _callee_text(func: ast.AST) -> str:
    """The callee of a call, shortly: ``f``, ``.run`` (an attribute), ``<Subscript>``."""
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return f".{func.attr}"
    return f"<{type(func).__name__}>"


def _key(node: ast.AST) -> str | None:
    """A constant subscript or dict key, as the name of its element (``'k'``, ``0``)."""
    value = getattr(node, "value", None) if isinstance(node, ast.Constant) else None
    if isinstance(value, str) or (type(value) is int and value >= 0):
        return repr(value)
    return None


def _bind_comp_target(target: ast.AST, scope: _Scope) -> None:
    """Comprehension variables are folded into the enclosing scope."""
    for n in ast.walk(target):
        if isinstance(n, ast.Name):
            scope.bound.add(n.id)


def _method_scope(scope: _Scope) -> tuple[_Scope | None, FunctionInfo | None]:
    """The class and the method whose ``super()`` a call in ``scope`` is."""
    s: _Scope | None = scope
    while s is not None and s.kind == "function":
        if s.parent is not None and s.parent.kind == "class":
            return s.parent, s.fn
        s = s.parent
    return None, None


_IDENTIFIER = re.compile(r"[^\W\d]\w*")
#: ``(line, col)`` of a name in the module.
Position = tuple[int, int]
#: Per use of a name (its position), the positions of the assignments that reach it.
Reaching = dict[Position, tuple[Position, ...]]


def reaching_uses(build: ModuleBuild) -> Reaching:
    """The plain-name assignments that reach each use, from the module's CPG build (its
    ``REACHING_DEF`` edges), for the uses where these are all there is to know.

    Only uses in functions (module-level names may be rebound from other modules, through
    the module object or a star import). Left out: a use that a definition other than an
    assignment to the name in the same function reaches (a parameter, ``def``, ``import``,
    ``except ... as``, a match capture, a walrus in a comprehension, which runs later than
    its statement when the comprehension is a generator); names that a ``global`` or
    ``nonlocal`` statement shares with another scope (another scope may rebind them between
    two statements).
    """
    rows = build.rows
    shared: set[str] = set()
    for r in rows:
        t = r[R_AST]
        if t == "Global" or t == "Nonlocal":
            code = r[R_CODE]
            if len(code) >= CODE_MAX:  # cut: the names it shares are not all known
                return {}
            shared.update(_IDENTIFIER.findall(code.split(None, 1)[1]))
    defs: dict[int, list[int]] = {}
    bad: set[int] = set()
    edges = build.edges.reaching_def
    for src, dst, label in zip(edges.src, edges.dst, edges.label, strict=True):
        if label in shared or "." in label:
            continue
        s, d = rows[src], rows[dst]
        if d[R_METHOD] == 0:
            continue
        if s[R_AST] != "Name" or d[R_AST] != "Name" or s[R_METHOD] != d[R_METHOD]:
            bad.add(dst)
        else:
            defs.setdefault(dst, []).append(src)
    return {
        (rows[u][R_LINE], rows[u][R_COL]): tuple(
            sorted({(rows[d][R_LINE], rows[d][R_COL]) for d in ds})
        )
        for u, ds in defs.items()
        if u not in bad
    }


def summarize(
    tree: ast.Module, module: str, is_package: bool = False, reaching: Reaching | None = None
) -> ModuleSummary:
    """The value-flow summary of one module's syntax tree.

    Parameters
    ----------
    tree
        The module, as :func:`ast.parse` returns it.
    module
        Its dotted name (``pkg.mod``; ``pkg`` for ``pkg/__init__.py``).
    is_package
        True for a package's ``__init__`` (relative imports start from the package itself).
    reaching
        The definitions reaching each use of a name (:func:`reaching_uses` of the module's
        CPG build): a name read where only some of its assignments reach gets only their
        values (flow-sensitive locals). Without it every use gets all of them.

    Examples
    --------
    >>> s = summarize(ast.parse("def f():\\n    pass\\n\\ng = f\\ng()\\n"), "app")
    >>> [f.name for f in s.functions]
    ['app.f']
    >>> ("copy", "app:g", "app:f") in s.constraints
    True
    """
    sm = _Summarizer(module, is_package, reaching)
    top = _Scope(module, "module", None)
    _bindings(tree.body, top)
    sm.body(tree.body, top)
    sm.resolve_uses()
    if sm.all_names is not None:
        sm.s.exports = sorted(set(sm.all_names))
        sm.s.explicit_all = True
    else:
        sm.s.exports = sorted(n for n in top.bound if not n.startswith("_"))
    return sm.s
