"""One pass over a Python syntax tree that emits the whole CPG of a module.

The visitor emits AST rows (plain tuples, turned into Arrow once per module), the CFG of every
method with an explicit frame stack (loops, ``except``, ``finally``), the def/use events of each
CFG node and the call sites. When a method is complete the language-neutral passes
(:mod:`workbench.passes`) derive dominators, post-dominators, control dependence and reaching
definitions from it. The scopes, classes and imports it meets are recorded with
:mod:`workbench.frontends.python.resolution`, whose :class:`~.resolution.Resolver` resolves the
call sites after the walk, when every scope is known.

CFG model (documented in the README as well):

* nodes are statements plus branch conditions: the test of ``if``/``while``, the ``iter`` of a
  ``for`` (evaluated once) and the ``for`` header itself (next item: ``true``; exhausted:
  ``false``), ``except`` clauses (matched: ``true``), ``case`` patterns and guards, comprehension
  headers and conditions; ``def``/``class``/``lambda`` are statements/expressions of the
  enclosing method, their bodies are methods of their own;
* every method has one ``METHOD`` entry and one ``METHOD_RETURN`` exit;
* ``finally`` runs on every way out of its ``try``: normal flow, ``return``/``break``/
  ``continue``, exceptions from the body, the ``else`` and the handlers; its end continues to each
  of the ways in that actually reach it;
* inside a ``try`` every node that may raise has an ``exception`` edge to the innermost handler
  (or ``finally``); ``raise`` and failed ``assert`` do too, and leave the method through
  ``METHOD_RETURN`` when nothing catches them;
* ``while True`` has no ``false`` edge; code no path reaches is kept and marked
  ``reachable = false``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from workbench.cpg.schema import CfgLabel, EdgeKind, NodeKind, Subkind
from workbench.frontends.python.kinds import (
    AUGOPS,
    BINOPS,
    BOOLOPS,
    CHAINED_COMPARISON,
    CMPOPS,
    CODE_MAX,
    COMPREHENSIONS,
    GENERIC_EXPRS,
    PATTERNS,
    UNARYOPS,
)
from workbench.frontends.python.resolution import (
    ClassInfo,
    Resolver,
    Scope,
    ScopeKind,
    absolute_module,
    attr_path,
    dotted,
    from_import_binding,
    import_binding,
)
from workbench.passes.cdg import control_dependences
from workbench.passes.dominators import immediate_dominators, predecessors, reverse_postorder
from workbench.passes.reaching_defs import DEF, KILL, USE, reaching_definitions

# Node kinds and subkinds as local constants (plain str: cheaper to store than enum members).
_METHOD = str(NodeKind.METHOD)
_PARAM = str(NodeKind.METHOD_PARAMETER_IN)
_RETURN_NODE = str(NodeKind.METHOD_RETURN)
_REF = str(NodeKind.METHOD_REF)
_TYPE_DECL = str(NodeKind.TYPE_DECL)
_BLOCK = str(NodeKind.BLOCK)
_CALL = str(NodeKind.CALL)
_IDENT = str(NodeKind.IDENTIFIER)
_LITERAL = str(NodeKind.LITERAL)
_FIELD = str(NodeKind.FIELD_IDENTIFIER)
_RET = str(NodeKind.RETURN)
_CS = str(NodeKind.CONTROL_STRUCTURE)
_LOCAL = str(NodeKind.LOCAL)
_IMPORT = str(NodeKind.IMPORT)
_UNKNOWN = str(NodeKind.UNKNOWN)
_OP = str(Subkind.OPERATOR)
_TRUE, _FALSE, _EXC = str(CfgLabel.TRUE), str(CfgLabel.FALSE), str(CfgLabel.EXCEPTION)

# Frame kinds of the CFG frame stack, and jump kinds.
_LOOP, _EXCEPT, _FINALLY = 0, 1, 2
_J_RETURN, _J_BREAK, _J_CONTINUE, _J_RAISE = 0, 1, 2, 3

# Scope kinds.
_SC_MODULE, _SC_FUNCTION, _SC_CLASS, _SC_COMP = (
    ScopeKind.MODULE,
    ScopeKind.FUNCTION,
    ScopeKind.CLASS,
    ScopeKind.COMPREHENSION,
)

_Load, _Store = ast.Load, ast.Store
_Name, _Attribute, _Constant = ast.Name, ast.Attribute, ast.Constant
_ARG_LABELS = [str(i) for i in range(256)]

#: Edge kinds in the order their rows are written.
EDGE_ORDER = (
    EdgeKind.AST,
    EdgeKind.CFG,
    EdgeKind.DOMINATE,
    EdgeKind.POST_DOMINATE,
    EdgeKind.CDG,
    EdgeKind.REACHING_DEF,
    EdgeKind.CALL,
    EdgeKind.ARGUMENT,
    EdgeKind.RECEIVER,
)
_E = {k: i for i, k in enumerate(EDGE_ORDER)}

# Row layout of a node tuple.
(
    R_KIND,
    R_SUBKIND,
    R_AST,
    R_NAME,
    R_FULL,
    R_CODE,
    R_LINE,
    R_COL,
    R_ELINE,
    R_ECOL,
    R_PARENT,
    R_ORDER,
    R_METHOD,
    R_RES,
) = range(14)


class TooManyNodes(Exception):
    """Raised inside the builder when the node limit is reached."""


class _Method:
    __slots__ = (
        "catch",
        "edges",
        "end_line",
        "events",
        "exits",
        "frames",
        "full",
        "id",
        "is_async",
        "is_generator",
        "line",
        "mccabe",
        "name",
        "nesting",
        "nodes",
        "params",
        "parent",
        "raises",
        "stmt_entries",
        "stmts",
        "subkind",
    )

    def __init__(self, mid: int):
        self.id = mid
        self.nodes: list[int] = [mid]
        self.edges: list[tuple[int, int, str | None]] = []
        self.events: dict[int, list] = {}
        self.frames: list[tuple] = []
        self.exits: list[tuple[int, str | None]] = []
        self.catch = 0
        self.stmt_entries: list[tuple[int, int]] = []
        self.stmts = 0
        self.nesting = 0
        self.is_generator = False
        self.is_async = False
        self.params = 0
        self.mccabe = 1
        self.raises = False  # has exception edges


class ModuleBuild:
    """The raw result of building one module: node rows, edges, method rows.

    Consumed by :func:`workbench.frontends.python.build_cpg`, which turns it into Arrow tables.
    """

    __slots__ = ("edges", "method_rows", "names", "reachable", "rows")

    def __init__(self, rows, reachable, names, edges, method_rows):
        self.rows = rows
        self.reachable = reachable
        self.names = names  # (name patches, full_name patches, resolution patches)
        self.edges = edges  # list per EDGE_ORDER of (src list, dst list, label list)
        self.method_rows = method_rows


class Builder:
    """Builds the CPG rows of one module. Use :func:`build_module_rows`."""

    def __init__(self, text: str, module_name: str, is_package: bool, max_nodes: int):
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.lines = text.split("\n")
        self.module_name = module_name
        self.is_package = is_package
        self.max_nodes = max_nodes
        self.rows: list[tuple] = []
        self.edges = [([], [], []) for _ in EDGE_ORDER]
        self.name_patch: dict[int, str] = {}
        self.full_patch: dict[int, str] = {}
        self.res_patch: dict[int, str] = {}
        self.unreachable_roots: list[int] = []
        self.method_rows: list[list] = []
        self.calls: list[tuple] = []
        self.meth: _Method | None = None
        self.mid = 0
        self.events: list = []
        self.scope: Scope | None = None
        self.depth = 0
        self.prefix = ""  # qualname prefix for definitions in the current scope
        self.module_scope: Scope | None = None
        sd = {}
        for name in dir(self):
            if name.startswith("_s_") and hasattr(ast, name[3:]):
                sd[getattr(ast, name[3:])] = getattr(self, name)
        self._sd = sd
        xd = {}
        for cls in GENERIC_EXPRS:
            xd[cls] = self._x_generic
        for name in dir(self):
            if name.startswith("_x_") and hasattr(ast, name[3:]):
                xd[getattr(ast, name[3:])] = getattr(self, name)
        for cls in COMPREHENSIONS:
            xd[cls] = self._x_comprehension
        self._xd = xd

    # -- rows ---------------------------------------------------------------------------

    def _code(self, ln: int, c: int, el: int, ec: int) -> str:
        lines = self.lines
        line = lines[ln - 1]
        if ln == el:
            s = line[c:ec] if line.isascii() else _bslice(line, c, ec)
            return s if len(s) <= CODE_MAX else s[:CODE_MAX]
        parts = [line[c:] if line.isascii() else _bslice(line, c, None)]
        total = len(parts[0])
        for k in range(ln, el - 1):
            if total > CODE_MAX:
                break
            parts.append(lines[k])
            total += len(lines[k]) + 1
        else:
            last = lines[el - 1]
            parts.append(last[:ec] if last.isascii() else _bslice(last, 0, ec))
        s = "\n".join(parts)
        return s if len(s) <= CODE_MAX else s[:CODE_MAX]

    def _header(self, node: ast.AST, first: ast.AST) -> str:
        """Source of a compound statement up to its first body statement."""
        return self._code(node.lineno, node.col_offset, first.lineno, first.col_offset).rstrip()

    def _add(self, kind, sub, at, name, node, parent, order, code=None) -> int:
        rows = self.rows
        nid = len(rows)
        ln = node.lineno
        c = node.col_offset
        el = node.end_lineno
        ec = node.end_col_offset
        if code is None:
            code = self._code(ln, c, el, ec)
        rows.append((kind, sub, at, name, None, code, ln, c, el, ec, parent, order, self.mid, None))
        return nid

    def _synth(self, kind, sub, parent, order, pos, name=None, at=None, code=None) -> int:
        rows = self.rows
        nid = len(rows)
        rows.append(
            (
                kind,
                sub,
                at,
                name,
                None,
                code,
                pos[0],
                pos[1],
                pos[2],
                pos[3],
                parent,
                order,
                self.mid,
                None,
            )
        )
        return nid

    # -- CFG plumbing ---------------------------------------------------------------------

    def _cfg(self, nid: int, front, ev, may_raise: bool = True):
        """Make ``nid`` the next CFG node after ``front``; return the new front."""
        m = self.meth
        m.nodes.append(nid)
        if front:
            e = m.edges
            for s, lab in front:
                e.append((s, nid, lab))
        if ev:
            m.events[nid] = ev
        if may_raise and m.catch:
            m.raises = True
            self._jump(_J_RAISE, [(nid, _EXC)])
        return [(nid, None)]

    def _connect(self, front, dst: int) -> None:
        e = self.meth.edges
        for s, lab in front:
            e.append((s, dst, lab))

    def _jump(self, kind: int, front) -> None:
        """Route a break/continue/return/raise through the frame stack."""
        m = self.meth
        for fr in reversed(m.frames):
            t = fr[0]
            if t == _LOOP:
                if kind == _J_BREAK:
                    fr[2].extend(front)
                    return
                if kind == _J_CONTINUE:
                    self._connect(front, fr[1])
                    return
            elif t == _EXCEPT:
                if kind == _J_RAISE:
                    fr[1].extend(front)
                    return
            else:
                fr[1].extend(front)
                fr[2].add(kind)
                return
        m.exits.extend(front)  # return, raise; a stray break/continue is a compile error

    def _stmts(self, stmts: list[ast.stmt], parent: int, front):
        self.meth.stmts += len(stmts)
        sd = self._sd
        for i, s in enumerate(stmts, 1):
            h = sd.get(s.__class__)
            front = h(s, parent, i, front) if h else self._s_unknown(s, parent, i, front)
        return front

    def _block(self, stmts, parent: int, order: int, sub: str, front):
        if stmts:
            a, b = stmts[0], stmts[-1]
            pos = (a.lineno, a.col_offset, b.end_lineno, b.end_col_offset)
        else:
            pos = (None, None, None, None)
        bid = self._synth(_BLOCK, sub, parent, order, pos)
        return self._stmts(stmts, bid, front)

    def _nested_block(self, stmts, parent, order, sub, front, deeper: bool = True):
        if deeper:
            self.depth += 1
            if self.depth > self.meth.nesting:
                self.meth.nesting = self.depth
            front = self._block(stmts, parent, order, sub, front)
            self.depth -= 1
            return front
        return self._block(stmts, parent, order, sub, front)

    # -- expressions ------------------------------------------------------------------------

    def _expr(self, node: ast.AST, parent: int, order: int) -> int:
        h = self._xd.get(node.__class__)
        if h is None:
            return self._x_unknown(node, parent, order)
        return h(node, parent, order)

    def _x_generic(self, node, parent, order):
        cls = node.__class__
        kind, sub, name, fields = GENERIC_EXPRS[cls]
        if name is None:
            if cls is ast.BinOp:
                name = BINOPS[node.op.__class__]
            elif cls is ast.Compare:
                name = CMPOPS[node.ops[0].__class__] if len(node.ops) == 1 else CHAINED_COMPARISON
            elif cls is ast.UnaryOp:
                name = UNARYOPS[node.op.__class__]
            else:
                name = BOOLOPS[node.op.__class__]
        elif cls is ast.Await:
            self.meth.is_async = True
        elif cls is ast.Yield or cls is ast.YieldFrom:
            self.meth.is_generator = True
        nid = self._add(kind, sub, cls.__name__, name, node, parent, order)
        o = 1
        xd = self._xd
        for f in fields:
            v = getattr(node, f)
            if v is None:
                o += 1
            elif v.__class__ is list:
                for x in v:
                    if x is not None:
                        h = xd.get(x.__class__)
                        if h is None:
                            self._x_unknown(x, nid, o)
                        else:
                            h(x, nid, o)
                    o += 1
            else:
                h = xd.get(v.__class__)
                if h is None:
                    self._x_unknown(v, nid, o)
                else:
                    h(v, nid, o)
                o += 1
        return nid

    def _x_unknown(self, node, parent, order):
        """A syntax class newer than this builder: kept as UNKNOWN with its children."""
        if hasattr(node, "lineno"):
            nid = self._add(_UNKNOWN, None, node.__class__.__name__, None, node, parent, order)
        else:
            nid = self._synth(
                _UNKNOWN, None, parent, order, (None,) * 4, at=node.__class__.__name__
            )
        for o, child in enumerate(ast.iter_child_nodes(node), 1):
            if isinstance(child, ast.expr):
                self._expr(child, nid, o)
        return nid

    def _x_Name(self, node, parent, order):
        rows = self.rows
        nid = len(rows)
        name = node.id
        rows.append(
            (
                _IDENT,
                None,
                "Name",
                name,
                None,
                name,
                node.lineno,
                node.col_offset,
                node.end_lineno,
                node.end_col_offset,
                parent,
                order,
                self.mid,
                None,
            )
        )
        ctx = node.ctx.__class__
        if ctx is _Load:
            self.events.append((USE, name, nid))
        elif ctx is _Store:
            self.events.append((DEF, name, nid))
            self.scope.locals.add(name)
        else:
            self.events.append((USE, name, nid))
            self.events.append((KILL, name, nid))
        return nid

    def _x_Constant(self, node, parent, order):
        return self._add(_LITERAL, type(node.value).__name__, "Constant", None, node, parent, order)

    def _x_Attribute(self, node, parent, order):
        nid = self._add(_CALL, _OP, "Attribute", "<operator>.fieldAccess", node, parent, order)
        self._expr(node.value, nid, 1)
        attr = node.attr
        el, ec = node.end_lineno, node.end_col_offset
        width = len(attr) if attr.isascii() else len(attr.encode())
        self.rows.append(
            (_FIELD, None, None, attr, None, attr, el, ec - width, el, ec, nid, 2, self.mid, None)
        )
        path = attr_path(node)
        if path is not None:
            ctx = node.ctx.__class__
            if ctx is _Load:
                self.events.append((USE, path, nid))
            elif ctx is _Store:
                self.events.append((DEF, path, nid))
            else:
                self.events.append((USE, path, nid))
                self.events.append((KILL, path, nid))
        return nid

    def _x_NamedExpr(self, node, parent, order):
        nid = self._add(_CALL, _OP, "NamedExpr", "<operator>.assignment", node, parent, order)
        self._expr(node.value, nid, 2)
        self._expr(node.target, nid, 1)
        self.scope.bind_named_expr(node.target.id)  # PEP 572: may bind in an outer scope
        return nid

    def _x_Call(self, node, parent, order):
        nid = self._add(_CALL, None, "Call", None, node, parent, order)
        f = node.func
        fid = self._expr(f, nid, 1)
        asrc, adst, alab = self.edges[_E[EdgeKind.ARGUMENT]]
        if f.__class__ is _Attribute:
            rs, rd, rl = self.edges[_E[EdgeKind.RECEIVER]]
            rs.append(nid)
            rd.append(fid + 1)
            rl.append(None)
        o = 2
        for pos, a in enumerate(node.args, 1):
            aid = self._expr(a, nid, o)
            o += 1
            asrc.append(nid)
            adst.append(aid)
            alab.append(_ARG_LABELS[pos] if pos < 256 else str(pos))
        for kw in node.keywords:
            aid = self._expr(kw.value, nid, o)
            o += 1
            asrc.append(nid)
            adst.append(aid)
            alab.append(kw.arg if kw.arg is not None else "**")
        self.name_patch[nid] = self.rows[fid][R_CODE]
        self.calls.append((nid, f, self.scope, self.mid))
        return nid

    def _x_Lambda(self, node, parent, order):
        ref = self._add(_REF, None, "Lambda", "<lambda>", node, parent, order)
        o = self._defaults(node.args, ref, 1)
        self._method(
            node, ref, o, Subkind.LAMBDA, "<lambda>", node.args, code=self.rows[ref][R_CODE]
        )
        return ref

    def _x_comprehension(self, node, parent, order):
        sub, name = COMPREHENSIONS[node.__class__]
        ref = self._add(_REF, None, node.__class__.__name__, name, node, parent, order)
        self._expr(node.generators[0].iter, ref, 1)  # evaluated in the enclosing scope
        self._method(node, ref, 2, sub, name, None, code=self.rows[ref][R_CODE])
        return ref

    # -- statements ------------------------------------------------------------------------

    def _s_unknown(self, s, parent, order, front):
        ev = self.events = []
        nid = self._x_unknown(s, parent, order)
        return self._cfg(nid, front, ev)

    def _s_Expr(self, s, parent, order, front):
        ev = self.events = []
        v = s.value
        nid = self._expr(v, parent, order)
        return self._cfg(nid, front, ev, v.__class__ is not _Constant)

    def _s_Assign(self, s, parent, order, front):
        nid = self._add(_CALL, _OP, "Assign", "<operator>.assignment", s, parent, order)
        ev = self.events = []
        targets = s.targets
        self._expr(s.value, nid, len(targets) + 1)
        for i, t in enumerate(targets, 1):
            self._expr(t, nid, i)
        return self._cfg(nid, front, ev)

    def _s_AugAssign(self, s, parent, order, front):
        nid = self._add(_CALL, _OP, "AugAssign", AUGOPS[s.op.__class__], s, parent, order)
        ev = self.events = []
        self._expr(s.value, nid, 2)
        k = len(ev)
        t = s.target
        tid = self._expr(t, nid, 1)
        if t.__class__ is _Name:
            ev.insert(k, (USE, t.id, tid))
        elif t.__class__ is _Attribute:
            path = attr_path(t)
            if path is not None:
                ev.insert(k, (USE, path, tid))
        return self._cfg(nid, front, ev)

    def _s_AnnAssign(self, s, parent, order, front):
        ev = self.events = []
        if s.value is None:  # a declaration: binds nothing
            name = s.target.id if s.target.__class__ is _Name else None
            nid = self._add(_LOCAL, Subkind.ANNOTATION, "AnnAssign", name, s, parent, order)
            self._expr(s.annotation, nid, 2)
            self.events = []
            self._expr(s.target, nid, 1)
            self.events = ev
            if name is not None:
                self.scope.locals.add(name)
            return self._cfg(nid, front, ev)
        nid = self._add(_CALL, _OP, "AnnAssign", "<operator>.assignment", s, parent, order)
        self._expr(s.value, nid, 3)
        self._expr(s.annotation, nid, 2)
        self._expr(s.target, nid, 1)
        return self._cfg(nid, front, ev)

    def _s_Return(self, s, parent, order, front):
        nid = self._add(_RET, None, "Return", None, s, parent, order)
        ev = self.events = []
        if s.value is not None:
            self._expr(s.value, nid, 1)
        self._cfg(nid, front, ev, s.value is not None)
        self._jump(_J_RETURN, [(nid, None)])
        return []

    def _s_Delete(self, s, parent, order, front):
        nid = self._add(_CALL, _OP, "Delete", "<operator>.delete", s, parent, order)
        ev = self.events = []
        for i, t in enumerate(s.targets, 1):
            self._expr(t, nid, i)
        return self._cfg(nid, front, ev)

    def _s_Pass(self, s, parent, order, front):
        nid = self._add(_BLOCK, Subkind.PASS, "Pass", None, s, parent, order)
        return self._cfg(nid, front, None, False)

    def _s_Break(self, s, parent, order, front):
        nid = self._add(_CS, Subkind.BREAK, "Break", None, s, parent, order)
        self._cfg(nid, front, None, False)
        self._jump(_J_BREAK, [(nid, None)])
        return []

    def _s_Continue(self, s, parent, order, front):
        nid = self._add(_CS, Subkind.CONTINUE, "Continue", None, s, parent, order)
        self._cfg(nid, front, None, False)
        self._jump(_J_CONTINUE, [(nid, None)])
        return []

    def _s_Raise(self, s, parent, order, front):
        nid = self._add(_CS, Subkind.THROW, "Raise", None, s, parent, order)
        ev = self.events = []
        if s.exc is not None:
            self._expr(s.exc, nid, 1)
        if s.cause is not None:
            self._expr(s.cause, nid, 2)
        self._cfg(nid, front, ev, False)
        self.meth.raises = True
        self._jump(_J_RAISE, [(nid, _EXC)])
        return []

    def _s_Assert(self, s, parent, order, front):
        nid = self._add(_CS, Subkind.ASSERT, "Assert", None, s, parent, order)
        ev = self.events = []
        self._expr(s.test, nid, 1)
        if s.msg is not None:
            self._expr(s.msg, nid, 2)
        self._cfg(nid, front, ev, False)
        self.meth.raises = True
        self._jump(_J_RAISE, [(nid, _EXC)])
        return [(nid, _TRUE)]

    def _s_Global(self, s, parent, order, front):
        nid = self._add(_LOCAL, Subkind.GLOBAL, "Global", ", ".join(s.names), s, parent, order)
        self.scope.globals.update(s.names)
        return self._cfg(nid, front, None, False)

    def _s_Nonlocal(self, s, parent, order, front):
        nid = self._add(_LOCAL, Subkind.NONLOCAL, "Nonlocal", ", ".join(s.names), s, parent, order)
        return self._cfg(nid, front, None, False)

    def _s_Import(self, s, parent, order, front):
        nid = self._add(_IMPORT, Subkind.IMPORT, "Import", None, s, parent, order)
        ev = self.events = []
        for i, a in enumerate(s.names, 1):
            bound, target = import_binding(a.name, a.asname)
            self._alias(a, nid, i, bound, target, ev)
        return self._cfg(nid, front, ev)

    def _s_ImportFrom(self, s, parent, order, front):
        written = "." * s.level + (s.module or "")
        base = absolute_module(self.module_name, self.is_package, s.module, s.level)
        nid = self._add(_IMPORT, Subkind.IMPORT_FROM, "ImportFrom", written, s, parent, order)
        self.full_patch[nid] = base
        ev = self.events = []
        for i, a in enumerate(s.names, 1):
            if a.name == "*":
                self._add(_IMPORT, Subkind.ALIAS, "alias", "*", a, nid, i)
                continue
            bound, target = from_import_binding(base, a.name, a.asname)
            self._alias(a, nid, i, bound, target, ev)
        return self._cfg(nid, front, ev)

    def _alias(self, a, parent, order, bound, target, ev):
        aid = self._add(_IMPORT, Subkind.ALIAS, "alias", bound, a, parent, order)
        self.full_patch[aid] = target
        ev.append((DEF, bound, aid))
        self.scope.define_import(bound, target)

    def _condition_head(self, s, sub, parent, order, front) -> tuple[int, int]:
        """The CONTROL_STRUCTURE of an if/while and its test as the branching CFG node."""
        cs = self._add(
            _CS, sub, s.__class__.__name__, None, s, parent, order, code=self._header(s, s.body[0])
        )
        ev = self.events = []
        t = self._expr(s.test, cs, 1)
        self._cfg(t, front, ev)
        self.meth.stmt_entries.append((cs, t))
        return cs, t

    def _s_If(self, s, parent, order, front):
        cs, t = self._condition_head(s, Subkind.IF, parent, order, front)
        out = self._nested_block(s.body, cs, 2, Subkind.BODY, [(t, _TRUE)])
        if s.orelse:
            orelse = s.orelse
            elif_ = (
                len(orelse) == 1
                and orelse[0].__class__ is ast.If
                and orelse[0].col_offset == s.col_offset
            )
            out = out + self._nested_block(orelse, cs, 3, Subkind.ORELSE, [(t, _FALSE)], not elif_)
        else:
            out.append((t, _FALSE))
        return out

    def _s_While(self, s, parent, order, front):
        cs, t = self._condition_head(s, Subkind.WHILE, parent, order, front)
        m = self.meth
        frame = (_LOOP, t, [])
        m.frames.append(frame)
        body = self._nested_block(s.body, cs, 2, Subkind.BODY, [(t, _TRUE)])
        self._connect(body, t)
        m.frames.pop()
        test = s.test
        forever = test.__class__ is _Constant and bool(test.value)
        out = [] if forever else [(t, _FALSE)]
        if s.orelse:
            out = self._nested_block(s.orelse, cs, 3, Subkind.ORELSE, out)
        return out + frame[2]

    def _s_For(self, s, parent, order, front):
        cls = s.__class__
        if cls is ast.AsyncFor:
            self.meth.is_async = True
        cs = self._add(
            _CS, Subkind.FOR, cls.__name__, None, s, parent, order, code=self._header(s, s.body[0])
        )
        ev = self.events = []
        it = self._expr(s.iter, cs, 2)
        self._cfg(it, front, ev)
        ev = self.events = []
        self._expr(s.target, cs, 1)
        self._cfg(cs, [(it, None)], ev)
        m = self.meth
        frame = (_LOOP, cs, [])
        m.frames.append(frame)
        body = self._nested_block(s.body, cs, 3, Subkind.BODY, [(cs, _TRUE)])
        self._connect(body, cs)
        m.frames.pop()
        out = [(cs, _FALSE)]
        if s.orelse:
            out = self._nested_block(s.orelse, cs, 4, Subkind.ORELSE, out)
        return out + frame[2]

    _s_AsyncFor = _s_For

    def _s_With(self, s, parent, order, front):
        if s.__class__ is ast.AsyncWith:
            self.meth.is_async = True
        cs = self._add(
            _CS,
            Subkind.WITH,
            s.__class__.__name__,
            None,
            s,
            parent,
            order,
            code=self._header(s, s.body[0]),
        )
        ev = self.events = []
        o = 1
        for item in s.items:
            self._expr(item.context_expr, cs, o)
            o += 1
            if item.optional_vars is not None:
                self._expr(item.optional_vars, cs, o)
                o += 1
        front = self._cfg(cs, front, ev)
        return self._nested_block(s.body, cs, o, Subkind.BODY, front)

    _s_AsyncWith = _s_With

    def _s_Try(self, s, parent, order, front):
        cs = self._add(
            _CS,
            Subkind.TRY,
            s.__class__.__name__,
            None,
            s,
            parent,
            order,
            code=self._header(s, s.body[0]),
        )
        m = self.meth
        fin = exc = None
        if s.finalbody:
            fin = (_FINALLY, [], set())
            m.frames.append(fin)
            m.catch += 1
        if s.handlers:
            exc = (_EXCEPT, [])
            m.frames.append(exc)
            m.catch += 1
        self.depth += 1
        if self.depth > m.nesting:
            m.nesting = self.depth
        first = len(m.nodes)
        body = self._block(s.body, cs, 1, Subkind.BODY, front)
        if len(m.nodes) > first:
            m.stmt_entries.append((cs, m.nodes[first]))  # the try is entered there
        if exc is not None:
            m.frames.pop()
            m.catch -= 1
        star = s.__class__ is ast.TryStar
        normal: list = []
        pending = exc[1] if exc is not None else []
        pending_body: list = []
        o = 2
        for h in s.handlers:
            hid = self._add(
                _CS,
                Subkind.EXCEPT,
                "ExceptHandler",
                h.name,
                h,
                cs,
                o,
                code=self._header(h, h.body[0]),
            )
            o += 1
            ev = self.events = []
            if h.type is not None:
                self._expr(h.type, hid, 1)
            if h.name:
                ev.append((DEF, h.name, hid))
                self.scope.locals.add(h.name)
            self._cfg(hid, pending + pending_body, ev, False)
            hbody = self._block(h.body, hid, 2, Subkind.BODY, [(hid, _TRUE)])
            if star:  # except*: the next clause still sees the rest of the group
                pending_body = hbody
            else:
                normal.extend(hbody)
            pending = [] if h.type is None else [(hid, _FALSE)]
        if star:
            normal.extend(pending_body)
        if pending:
            self._jump(_J_RAISE, pending)
        if s.orelse:
            body = self._block(s.orelse, cs, o, Subkind.ORELSE, body)
            o += 1
        normal = body + normal
        if fin is not None:
            m.frames.pop()
            m.catch -= 1
            end = self._block(s.finalbody, cs, o, Subkind.FINALLY, normal + fin[1])
            for kind in (_J_RETURN, _J_BREAK, _J_CONTINUE, _J_RAISE):
                if kind in fin[2]:
                    if kind == _J_RAISE:
                        self._jump(kind, [(src, _EXC) for src, _ in end])
                    else:
                        self._jump(kind, end)
            normal = end if normal else []
        self.depth -= 1
        return normal

    _s_TryStar = _s_Try

    def _s_Match(self, s, parent, order, front):
        subject = s.subject
        header = self._code(s.lineno, s.col_offset, subject.end_lineno, subject.end_col_offset)
        cs = self._add(_CS, Subkind.MATCH, "Match", None, s, parent, order, code=header + ":")
        ev = self.events = []
        subj = self._expr(s.subject, cs, 1)
        self._cfg(subj, front, ev)
        m = self.meth
        m.stmt_entries.append((cs, subj))
        self.depth += 1
        if self.depth > m.nesting:
            m.nesting = self.depth
        pending = [(subj, None)]
        out: list = []
        for k, case in enumerate(s.cases, 2):
            p, last = case.pattern, case.body[-1]
            code = "case " + self._code(p.lineno, p.col_offset, p.end_lineno, p.end_col_offset)
            g = case.guard
            if g is not None:
                code += " if " + self._code(g.lineno, g.col_offset, g.end_lineno, g.end_col_offset)
            cid = self._synth(
                _CS,
                Subkind.CASE,
                cs,
                k,
                (p.lineno, p.col_offset, last.end_lineno, last.end_col_offset),
                at="match_case",
                code=code[:CODE_MAX],
            )
            ev = self.events = []
            self._pattern(p, cid, 1)
            self._cfg(cid, pending, ev)
            entry = [(cid, _TRUE)]
            pending = [] if (g is None and _irrefutable(p)) else [(cid, _FALSE)]
            if g is not None:
                if _irrefutable(p):
                    pending = []
                ev = self.events = []
                gid = self._expr(g, cid, 2)
                self._cfg(gid, entry, ev)
                entry = [(gid, _TRUE)]
                pending.append((gid, _FALSE))
            out.extend(self._block(case.body, cid, 3, Subkind.BODY, entry))
        self.depth -= 1
        return out + pending

    def _pattern(self, p, parent, order) -> int:
        cls = p.__class__
        if cls is ast.MatchAs and p.pattern is None:
            if p.name is None:  # the wildcard `_`
                return self._add(_CALL, Subkind.PATTERN, "MatchAs", PATTERNS[cls], p, parent, order)
            return self._capture(p, p.name, parent, order, "MatchAs")
        if cls is ast.MatchStar:
            if p.name is None:
                return self._add(
                    _CALL, Subkind.PATTERN, "MatchStar", PATTERNS[cls], p, parent, order
                )
            return self._capture(p, p.name, parent, order, "MatchStar")
        if cls is ast.MatchSingleton:
            return self._add(
                _LITERAL, type(p.value).__name__, "MatchSingleton", None, p, parent, order
            )
        nid = self._add(_CALL, Subkind.PATTERN, cls.__name__, PATTERNS.get(cls), p, parent, order)
        o = 1
        if cls is ast.MatchValue:
            self._expr(p.value, nid, 1)
        elif cls is ast.MatchSequence or cls is ast.MatchOr:
            for sub in p.patterns:
                self._pattern(sub, nid, o)
                o += 1
        elif cls is ast.MatchMapping:
            for key in p.keys:
                self._expr(key, nid, o)
                o += 1
            for sub in p.patterns:
                self._pattern(sub, nid, o)
                o += 1
            if p.rest:
                self._capture(p, p.rest, nid, o, None, at_end=True)
        elif cls is ast.MatchClass:
            self._expr(p.cls, nid, o)
            o += 1
            for sub in p.patterns:
                self._pattern(sub, nid, o)
                o += 1
            for sub in p.kwd_patterns:
                self._pattern(sub, nid, o)
                o += 1
        elif cls is ast.MatchAs:  # `pattern as name`
            self._pattern(p.pattern, nid, 1)
            self._capture(p, p.name, nid, 2, None, at_end=True)
        return nid

    def _capture(self, p, name, parent, order, at, at_end=False) -> int:
        """An IDENTIFIER that a pattern binds (synthetic when the name has no node)."""
        if at_end:
            el, ec = p.end_lineno, p.end_col_offset
            nid = self._synth(
                _IDENT, None, parent, order, (el, ec - len(name), el, ec), name=name, code=name
            )
        else:
            nid = self._add(_IDENT, None, at, name, p, parent, order, code=name)
        self.events.append((DEF, name, nid))
        self.scope.locals.add(name)
        return nid

    def _s_FunctionDef(self, s, parent, order, front):
        is_async = s.__class__ is ast.AsyncFunctionDef
        header = self._header(s, s.body[0])
        ref = self._add(_REF, None, s.__class__.__name__, s.name, s, parent, order, code=header)
        ev = self.events = []
        o = 1
        for d in s.decorator_list:
            self._expr(d, ref, o)
            o += 1
        o = self._defaults(s.args, ref, o)
        for a in _all_args(s.args):
            if a.annotation is not None:
                self._expr(a.annotation, ref, o)
                o += 1
        if s.returns is not None:
            self._expr(s.returns, ref, o)
            o += 1
        sc = self.scope
        static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in s.decorator_list)
        mid = self._method(
            s,
            ref,
            o,
            Subkind.FUNCTION,
            s.name,
            s.args,
            code=header,
            is_async=is_async,
            static=static,
        )
        full = self.full_patch[mid]
        self.full_patch[ref] = full
        ev.append((DEF, s.name, ref))
        sc.define_function(s.name, full, mid)
        self.events = ev
        return self._cfg(ref, front, ev)

    _s_AsyncFunctionDef = _s_FunctionDef

    def _s_ClassDef(self, s, parent, order, front):
        header = self._header(s, s.body[0])
        ref = self._add(_TYPE_DECL, None, "ClassDef", s.name, s, parent, order, code=header)
        ev = self.events = []
        o = 1
        for d in s.decorator_list:
            self._expr(d, ref, o)
            o += 1
        for b in s.bases:
            self._expr(b, ref, o)
            o += 1
        for kw in s.keywords:
            self._expr(kw.value, ref, o)
            o += 1
        sc = self.scope
        full = self._full(self.prefix + s.name)
        info = ClassInfo(full, sc, [p for p in map(dotted, s.bases) if p])
        self.full_patch[ref] = full
        self._method(s, ref, o, Subkind.CLASS_BODY, s.name, None, code=None, cls=info)
        ev.append((DEF, s.name, ref))
        sc.define_class(s.name, info)
        self.events = ev
        return self._cfg(ref, front, ev)

    def _defaults(self, args: ast.arguments, parent: int, o: int) -> int:
        for d in args.defaults:
            self._expr(d, parent, o)
            o += 1
        for d in args.kw_defaults:
            if d is not None:
                self._expr(d, parent, o)
                o += 1
        return o

    # -- methods ----------------------------------------------------------------------------

    def _full(self, qualname: str) -> str:
        return f"{self.module_name}.{qualname}" if self.module_name else qualname

    def _method(
        self,
        node,
        parent,
        order,
        sub,
        name,
        args,
        *,
        code,
        is_async=False,
        static=False,
        cls: ClassInfo | None = None,
    ) -> int:
        """Emit a METHOD with its own CFG; return its id."""
        outer = self.meth
        saved = (outer, self.mid, self.events, self.scope, self.depth, self.prefix)
        mid = len(self.rows)
        self.mid = mid
        if sub == Subkind.MODULE:
            qual = "<module>"
            prefix = ""
            pos = (1, 0, len(self.lines), len(self.lines[-1]))
        else:
            pos = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
            if sub == Subkind.CLASS_BODY:
                qual = self.prefix + name + ".<body>"
                prefix = self.prefix + name + "."
            else:
                qual = self.prefix + name
                prefix = qual + ".<locals>."
        full = self._full(qual)
        self._synth(
            _METHOD, sub, parent, order, pos, name=name, at=node.__class__.__name__, code=code
        )
        self.full_patch[mid] = full
        m = _Method(mid)
        m.subkind = str(sub)
        m.name = name
        m.full = full
        m.parent = outer.id if outer is not None else None
        m.line, m.end_line = pos[0], pos[2]
        m.is_async = is_async
        self.meth = m
        parent_scope = self.scope
        if sub == Subkind.MODULE:
            scope = Scope(_SC_MODULE, None)
            self.module_scope = scope
        elif sub == Subkind.CLASS_BODY:
            scope = Scope(_SC_CLASS, parent_scope, cls)
        elif sub == Subkind.FUNCTION or sub == Subkind.LAMBDA:
            scope = Scope(_SC_FUNCTION, parent_scope)
        else:
            scope = Scope(_SC_COMP, parent_scope)
        self.scope = scope
        self.depth = 0
        self.prefix = prefix
        o = 1
        ev = self.events = []
        if args is not None:
            for a, psub in _params(args):
                pid = self._add(_PARAM, psub, "arg", a.arg, a, mid, o, code=a.arg)
                o += 1
                ev.append((DEF, a.arg, pid))
                scope.locals.add(a.arg)
            m.params = o - 1
        m.events[mid] = ev
        # self/cls of methods (and their closures): calls on them resolve in the class
        first = None
        if sub == Subkind.FUNCTION:
            positional = args.posonlyargs or args.args
            if positional:
                first = positional[0].arg
        scope.bind_receiver(first, static=static)
        front = [(mid, None)]
        if sub == Subkind.LAMBDA:
            bid = self._synth(
                _BLOCK,
                Subkind.BODY,
                mid,
                o,
                (
                    node.body.lineno,
                    node.body.col_offset,
                    node.body.end_lineno,
                    node.body.end_col_offset,
                ),
            )
            ev = self.events = []
            e = self._expr(node.body, bid, 1)
            front = self._cfg(e, front, ev)
        elif sub in _COMP_SUBKINDS:
            front = self._comprehension_body(node, mid, o, front)
        else:
            front = self._block(node.body, mid, o, Subkind.BODY, front)
            if sub == Subkind.FUNCTION:
                m.mccabe = 1 + _mccabe(node.body)
            elif sub == Subkind.MODULE or sub == Subkind.CLASS_BODY:
                m.mccabe = 1 + _mccabe_module(node.body)
        o += 1
        ret = self._synth(_RETURN_NODE, None, mid, o, (pos[2], pos[3], pos[2], pos[3]))
        m.nodes.append(ret)
        self._connect(front, ret)
        self._connect(m.exits, ret)
        if sub == Subkind.GENEXP:
            m.is_generator = True
        if len(self.rows) > self.max_nodes:
            raise TooManyNodes(len(self.rows))
        self._finish(m, ret)
        (self.meth, self.mid, self.events, self.scope, self.depth, self.prefix) = saved
        return mid

    def _comprehension_body(self, node, mid, order, front):
        gens = node.generators
        bid = self._synth(
            _BLOCK,
            Subkind.BODY,
            mid,
            order,
            (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset),
        )
        m = self.meth
        headers: list[int] = []
        for k, g in enumerate(gens):
            if g.is_async:
                m.is_async = True
            t, last = g.target, (g.ifs[-1] if g.ifs else g.iter)
            code = (
                ("async for " if g.is_async else "for ")
                + self._code(t.lineno, t.col_offset, t.end_lineno, t.end_col_offset)
                + " in "
                + self._code(
                    g.iter.lineno, g.iter.col_offset, g.iter.end_lineno, g.iter.end_col_offset
                )
            )
            gid = self._synth(
                _CS,
                Subkind.FOR,
                bid,
                k + 1,
                (t.lineno, t.col_offset, last.end_lineno, last.end_col_offset),
                at="comprehension",
                code=code[:CODE_MAX],
            )
            if k:
                ev = self.events = []
                it = self._expr(g.iter, gid, 2)
                front = self._cfg(it, front, ev)
            ev = self.events = []
            self._expr(t, gid, 1)
            self._cfg(gid, front, ev)
            if k:
                self._connect([(gid, _FALSE)], headers[-1])
            else:
                m.exits.append((gid, _FALSE))
            front = [(gid, _TRUE)]
            for j, cond in enumerate(g.ifs, 3):
                ev = self.events = []
                c = self._expr(cond, gid, j)
                self._cfg(c, front, ev)
                self._connect([(c, _FALSE)], gid)
                front = [(c, _TRUE)]
            headers.append(gid)
        o = len(gens) + 1
        if node.__class__ is ast.DictComp:
            ev = self.events = []
            k_ = self._expr(node.key, bid, o)
            front = self._cfg(k_, front, ev)
            ev = self.events = []
            v = self._expr(node.value, bid, o + 1)
            front = self._cfg(v, front, ev)
        else:
            ev = self.events = []
            e = self._expr(node.elt, bid, o)
            front = self._cfg(e, front, ev)
        self._connect(front, headers[-1])
        return []

    def _finish(self, m: _Method, ret: int) -> None:
        """Run the passes over a finished method and emit its derived edges and metrics."""
        nodes = m.nodes
        n = len(nodes)
        idx = {nid: i for i, nid in enumerate(nodes)}
        edges = list(dict.fromkeys(m.edges))
        succ_l: list[list] = [[] for _ in range(n)]
        succ: list[list[int]] = [[] for _ in range(n)]
        for s, d, lab in edges:
            i, j = idx[s], idx[d]
            succ_l[i].append((j, lab))
            succ[i].append(j)
        pred = predecessors(succ)
        rpo = reverse_postorder(succ, 0)
        idom = immediate_dominators(succ, 0, pred, rpo)
        exit_ = n - 1
        ipdom = immediate_dominators(pred, exit_, succ, reverse_postorder(pred, exit_))
        E = self.edges
        cs, cd, cl = E[1]
        for s, d, lab in edges:
            cs.append(s)
            cd.append(d)
            cl.append(lab)
        ds, dd, dl = E[2]
        ps, pd, pl = E[3]
        unreachable = 0
        for i in range(1, n):
            a = idom[i]
            if a >= 0:
                ds.append(nodes[a])
                dd.append(nodes[i])
                dl.append(None)
            else:
                unreachable += 1
                self.unreachable_roots.append(nodes[i])
        for i in range(n - 1):
            a = ipdom[i]
            if a >= 0:
                ps.append(nodes[a])
                pd.append(nodes[i])
                pl.append(None)
        gs, gd, gl = E[4]
        for a, b, lab in control_dependences(succ_l, ipdom):
            gs.append(nodes[a])
            gd.append(nodes[b])
            gl.append(lab)
        events = m.events
        if len(events) > 1 or m.params:
            evl = [events.get(nid) for nid in nodes]
            exc_pred = None
            if m.raises:
                exc_pred = [[] for _ in range(n)]
                for i, outs in enumerate(succ_l):
                    for j, lab in outs:
                        if lab == _EXC:
                            exc_pred[j].append(i)
            rs, rd, rl = E[5]
            for dn, un, var in reaching_definitions(succ, evl, 0, pred, rpo, exc_pred):
                rs.append(dn)
                rd.append(un)
                rl.append(var)
        if unreachable:
            for root, entry in m.stmt_entries:
                if idom[idx[entry]] < 0:
                    self.unreachable_roots.append(root)
        # cyclomatic complexity: E - N + 2 over reachable nodes; E counts the non-exception
        # edges plus one per node that only exceptions leave (a raise ends a path)
        normal_out = [0] * n
        for s, _, lab in edges:
            if lab != _EXC:
                normal_out[idx[s]] += 1
        e_count = 0
        for i in range(n - 1):
            if idom[i] >= 0:
                e_count += normal_out[i] or 1
        cyclomatic = e_count - (n - unreachable) + 2
        self.method_rows.append(
            [
                m.id,
                m.name,
                m.full,
                m.subkind,
                m.parent,
                m.line,
                m.end_line,
                m.params,
                m.stmts,
                n,
                len(edges),
                unreachable,
                cyclomatic,
                m.mccabe,
                m.nesting,
                0,
                m.is_generator,
                m.is_async,
            ]
        )

    # -- module -----------------------------------------------------------------------------

    def build(self, tree: ast.Module) -> ModuleBuild:
        self._method(tree, None, 1, Subkind.MODULE, "<module>", None, code=None)
        self._resolve_calls()
        n = len(self.rows)
        reachable = [True] * n
        parent = [r[R_PARENT] for r in self.rows] if self.unreachable_roots else None
        for root in self.unreachable_roots:
            reachable[root] = False
            j = root + 1
            while j < n and parent[j] is not None and parent[j] >= root:
                reachable[j] = False
                j += 1
        return ModuleBuild(
            self.rows,
            reachable,
            (self.name_patch, self.full_patch, self.res_patch),
            self.edges,
            self.method_rows,
        )

    # -- call resolution --------------------------------------------------------------------

    def _resolve_calls(self) -> None:
        """Resolve every call site: full name, resolution, CALL edge, methods' fan-out."""
        cs, cd, cl = self.edges[_E[EdgeKind.CALL]]
        fan: dict[int, set[str]] = {}
        full_patch, res_patch = self.full_patch, self.res_patch
        resolve = Resolver(self.module_scope).resolve_call
        for cid, func, scope, mid in self.calls:
            res, full, target = resolve(func, scope)
            full_patch[cid] = full
            res_patch[cid] = res
            fan.setdefault(mid, set()).add(full)
            if target is not None:
                cs.append(cid)
                cd.append(target)
                cl.append(res)
        if fan:
            for row in self.method_rows:
                callees = fan.get(row[0])
                if callees:
                    row[15] = len(callees)


_COMP_SUBKINDS = frozenset(str(s) for s, _ in COMPREHENSIONS.values())


def _bslice(line: str, start: int, end: int | None) -> str:
    """Slice a line by UTF-8 byte offsets (what ast reports) and decode."""
    return line.encode("utf-8", "surrogatepass")[start:end].decode("utf-8", "replace")


def _all_args(args: ast.arguments) -> Iterable[ast.arg]:
    yield from args.posonlyargs
    yield from args.args
    if args.vararg:
        yield args.vararg
    yield from args.kwonlyargs
    if args.kwarg:
        yield args.kwarg


def _params(args: ast.arguments):
    for a in args.posonlyargs:
        yield a, Subkind.POSITIONAL_ONLY
    for a in args.args:
        yield a, Subkind.POSITIONAL
    if args.vararg:
        yield args.vararg, Subkind.VARARG
    for a in args.kwonlyargs:
        yield a, Subkind.KEYWORD_ONLY
    if args.kwarg:
        yield args.kwarg, Subkind.KWARG


def _irrefutable(p: ast.pattern) -> bool:
    cls = p.__class__
    if cls is ast.MatchAs:
        return p.pattern is None or _irrefutable(p.pattern)
    if cls is ast.MatchOr:
        return any(_irrefutable(x) for x in p.patterns)
    return False


# -- mccabe ---------------------------------------------------------------------------------
# The mccabe package (flake8 C901) scores a function 1 + the decisions of its body with these
# rules: if/elif, for, async for, while: +1 (their else adds nothing); try: +1 + one per except
# clause, and its finally body is not visited; a nested def: +1 plus its own body; with: its
# body; a class: its body; every other statement (match, try/except*) counts nothing and its
# body is not visited. Lambdas and comprehensions are expressions and count nothing.

_MC_LOOPS = (ast.If, ast.For, ast.AsyncFor, ast.While)


def _mccabe(stmts: list[ast.stmt]) -> int:
    total = 0
    for s in stmts:
        c = s.__class__
        if c in _MC_LOOPS:
            total += 1 + _mccabe(s.body) + _mccabe(s.orelse)
        elif c is ast.Try:
            total += 1 + len(s.handlers) + _mccabe(s.body) + _mccabe(s.orelse)
            for h in s.handlers:
                total += _mccabe(h.body)
        elif c is ast.With or c is ast.AsyncWith or c is ast.ClassDef:
            total += _mccabe(s.body)
        elif c is ast.FunctionDef or c is ast.AsyncFunctionDef:
            total += 1 + _mccabe(s.body)
    return total


def _mccabe_module(stmts: list[ast.stmt]) -> int:
    """Module and class bodies: their functions are scored on their own, not merged."""
    total = 0
    for s in stmts:
        c = s.__class__
        if c is ast.FunctionDef or c is ast.AsyncFunctionDef or c is ast.ClassDef:
            continue
        total += _mccabe([s])
    return total
