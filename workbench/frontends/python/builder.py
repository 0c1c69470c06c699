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

How the walk builds the CFG (the vocabulary of the docstrings below):

* a **front** is the list of ``(node, label)`` pairs whose CFG edges go to the next node: the
  ways control can arrive there. Every statement visitor ``_s_X(s, parent, order, front)``
  takes the front before the statement and returns the front after it (``[]`` when control
  never falls through, as after ``return``);
* :meth:`Builder._cfg` makes a node the next CFG node: it draws the front's edges into it;
* a **jump** (:class:`Jump`: ``return``, ``break``, ``continue``, raise) leaves the normal flow;
  :meth:`Builder._jump` routes it through the **frame stack** of the method: a
  :class:`LoopFrame` takes ``break`` and ``continue``, an :class:`ExceptFrame` takes raises and a
  :class:`FinallyFrame` takes every jump (its body runs first, then the jump goes on); what no
  frame takes leaves the method through ``METHOD_RETURN``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

from workbench.cpg.schema import CfgLabel, EdgeKind, NodeKind, Subkind
from workbench.frontends.python.checks import (
    InvalidSyntax,
    check_future,
    check_match,
    check_nonlocals,
    error,
    future_imports,
)
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
from workbench.passes.reaching_defs import DEF, KILL, MAYDEF, USE, reaching_definitions

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
_WITH_EXIT, _UNBIND = str(Subkind.WITH_EXIT), str(Subkind.UNBIND)
_TYPE_PARAM = str(Subkind.TYPE_PARAM)

_Load, _Store = ast.Load, ast.Store
_Name, _Attribute, _Constant = ast.Name, ast.Attribute, ast.Constant
_ARG_LABELS = [str(i) for i in range(256)]

# -- rows -------------------------------------------------------------------------------------

#: Node row layout: one plain tuple per node, in the column order of ``cpg_nodes`` after
#: ``module`` and ``id`` (the row's index is its id; ``reachable`` is computed at the end).
#: Rows are tuples, not named types, because there is one per node (millions over a large
#: tree); these module-level indices name their fields.
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
ROW_WIDTH = 14

#: A CFG edge of a method being built: ``(src, dst, label)``.
CfgEdge = tuple[int, int, str | None]
#: The ways control can arrive at the next CFG node: ``(src, label)`` pairs.
Front = list[tuple[int, str | None]]


class MethodRow(NamedTuple):
    """One row of ``cpg_methods`` (after ``module``): a METHOD with its metrics.

    The fields are the table's columns, in its order (``tests/test_builder_types.py`` checks
    that they stay so).
    """

    id: int
    name: str
    full_name: str
    subkind: str
    parent_method: int | None
    line: int
    end_line: int
    parameters: int
    statements: int
    cfg_nodes: int
    cfg_edges: int
    unreachable: int
    cyclomatic: int
    mccabe: int
    nesting: int
    fan_out: int
    is_generator: bool
    is_async: bool


# -- edges ------------------------------------------------------------------------------------

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


class EdgeColumns(NamedTuple):
    """The edges of one kind as three parallel columns, appended to as the builder goes."""

    src: list[int]
    dst: list[int]
    label: list[str | None]


class EdgeBuffers:
    """A module's edges of every kind but AST (AST edges come from the ``parent`` column).

    One :class:`EdgeColumns` per kind, named after the kind (``EdgeKind.REACHING_DEF`` ->
    ``reaching_def``).
    """

    __slots__ = (
        "argument",
        "call",
        "cdg",
        "cfg",
        "dominate",
        "post_dominate",
        "reaching_def",
        "receiver",
    )

    def __init__(self) -> None:
        """Empty columns for every kind."""
        self.cfg = EdgeColumns([], [], [])
        self.dominate = EdgeColumns([], [], [])
        self.post_dominate = EdgeColumns([], [], [])
        self.cdg = EdgeColumns([], [], [])
        self.reaching_def = EdgeColumns([], [], [])
        self.call = EdgeColumns([], [], [])
        self.argument = EdgeColumns([], [], [])
        self.receiver = EdgeColumns([], [], [])

    def in_order(self) -> list[tuple[EdgeKind, EdgeColumns]]:
        """The columns of each kind, in :data:`EDGE_ORDER` (AST left out)."""
        return [(kind, getattr(self, kind.lower())) for kind in EDGE_ORDER[1:]]


# -- the CFG frame stack ----------------------------------------------------------------------


class Jump(Enum):
    """A way of leaving the normal flow, routed by the frame stack (:meth:`Builder._jump`)."""

    RETURN = 0
    BREAK = 1
    CONTINUE = 2
    RAISE = 3


# Module-level aliases: an enum member looked up on its class costs an attribute lookup.
_RETURN, _BREAK, _CONTINUE, _RAISE = Jump.RETURN, Jump.BREAK, Jump.CONTINUE, Jump.RAISE


@dataclass(slots=True)
class LoopFrame:
    """A ``for`` or ``while`` whose body is being built.

    ``continue`` jumps to ``head`` (the ``while`` test or the ``for`` header); ``break`` fronts
    are collected in ``breaks`` and continue after the loop.
    """

    head: int
    breaks: Front = field(default_factory=list)


@dataclass(slots=True)
class ExceptFrame:
    """The body of a ``try`` with ``except`` clauses: what it raises enters the first clause.

    ``raised`` collects the ``exception`` fronts.
    """

    raised: Front = field(default_factory=list)


@dataclass(slots=True)
class WithFrame:
    """The body of a ``with``: what it raises leaves through the context manager's
    ``__exit__``, which may suppress the exception.

    ``raised`` collects the ``exception`` fronts.
    """

    raised: Front = field(default_factory=list)


@dataclass(slots=True)
class FinallyFrame:
    """A ``try`` with a ``finally`` (body, ``else`` and handlers): every jump runs it first.

    ``entries`` collects the fronts of the jumps by kind; each kind seen continues from the end
    of the ``finally`` body.
    """

    entries: dict[Jump, Front] = field(default_factory=dict)


Frame = LoopFrame | ExceptFrame | WithFrame | FinallyFrame


#: The kind of a ``finally`` entry by the normal flow (the others are :class:`Jump` members).
_FALL = "fall"


class _Region(NamedTuple):
    """A ``finally`` body entered more than one way: for reaching definitions it is one copy
    per kind of entry (the normal flow, return, break, continue, raise), each entered only by
    the ways of its kind and continuing only the way its kind goes on, so that a definition
    that enters by an exception does not flow on to the code after the ``try``."""

    nodes: set[int]  #: the CFG nodes of the body
    first: int  #: the node its entries go to
    entries: dict[tuple[int, str | None], set]  #: front item -> the kinds it enters by


class TooManyNodes(Exception):
    """Raised inside the builder when the node limit is reached."""


class _Method:
    """The method being built: its CFG so far, its frame stack and its metrics.

    Attributes
    ----------
    id : int
        The METHOD node.
    nodes : list of int
        CFG nodes in the order they were added: the METHOD first, ``METHOD_RETURN`` last.
    edges : list of CfgEdge
        CFG edges in the order they were drawn (duplicates removed by ``_finish``).
    events : dict of int to list
        Def/use events of each CFG node that has any.
    frames : list of Frame
        The frame stack of the statement being built.
    exits : Front
        Jumps no frame took: they enter ``METHOD_RETURN``.
    catch : int
        How many frames on the stack catch exceptions: when non-zero, every node that may raise
        gets an ``exception`` edge.
    stmt_entries : list of (int, int)
        ``(compound statement, its first CFG node)``: the statement is unreachable when that
        node is.
    raises : bool
        The CFG has ``exception`` edges.
    unbind : list of (str, int)
        The ``except ... as name`` clauses being built: ``(name, frame stack depth)``.
    regions : list of _Region
        The ``finally`` bodies entered more than one way, innermost first.
    probes : list of (int, int, object)
        Probe ``-k - 1`` stands for ``probes[k]``: ``(source, region, kind)``.
    up, declared_async, coroutine, ret_value, star, annotated, declared
        What the compile-time checks need (see ``__init__``).
    """

    __slots__ = (
        "annotated",
        "catch",
        "coroutine",
        "declared",
        "declared_async",
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
        "probes",
        "raises",
        "regions",
        "ret_value",
        "star",
        "stmt_entries",
        "stmts",
        "subkind",
        "unbind",
        "up",
    )

    def __init__(self, mid: int):
        """A method whose METHOD node is ``mid``, with an empty CFG."""
        self.id = mid
        self.nodes: list[int] = [mid]
        self.edges: list[CfgEdge] = []
        self.events: dict[int, list] = {}
        self.frames: list[Frame] = []
        self.exits: Front = []
        self.catch = 0
        self.stmt_entries: list[tuple[int, int]] = []
        self.stmts = 0
        self.nesting = 0
        self.is_generator = False
        self.is_async = False
        self.params = 0
        self.mccabe = 1
        self.raises = False  # has exception edges
        self.unbind: list[tuple[str, int]] = []
        self.regions: list[_Region] = []
        self.probes: list[tuple[int, int, object]] = []
        # for the compile-time checks
        self.up: _Method | None = None  # the enclosing method
        self.declared_async = False  # an ``async def``
        self.coroutine = False  # a comprehension that awaits
        self.ret_value: ast.Return | None = None  # the first ``return value``
        self.star: list[int] = []  # frame stack depths of the ``except*`` clauses being built
        self.annotated: set[str] | None = None  # names annotated (``x: int``)
        #: name -> ("global" or "nonlocal", the statement)
        self.declared: dict[str, tuple[str, ast.stmt]] | None = None


class _Enclosing(NamedTuple):
    """The builder's state for the enclosing method, saved while a nested one is built."""

    meth: _Method | None
    mid: int
    events: list
    scope: Scope | None
    depth: int
    prefix: str


class _MethodCfg:
    """The CFG of a finished method, index-based, with its dominator trees.

    Attributes
    ----------
    nodes : list of int
        Node ids; index ``i`` of the lists below is ``nodes[i]``; 0 is the entry, the last the
        exit.
    index : dict of int to int
        Node id -> index.
    edges : list of CfgEdge
        The method's edges without duplicates, in the order they were drawn.
    succ, pred : list of list of int
        Successors and predecessors.
    labelled : list of list of (int, str or None)
        Successors with the edge labels.
    rpo : list of int
        Reverse postorder from the entry.
    idom, ipdom : list of int
        Immediate dominator and post-dominator of each node (-1: none, as for unreachable
        nodes).
    """

    __slots__ = ("edges", "idom", "index", "ipdom", "labelled", "nodes", "pred", "rpo", "succ")

    def __init__(self, m: _Method):
        """Index the CFG of ``m`` and compute its dominator and post-dominator trees."""
        nodes = self.nodes = m.nodes
        n = len(nodes)
        idx = self.index = {nid: i for i, nid in enumerate(nodes)}
        edges = self.edges = list(dict.fromkeys(m.edges))
        labelled: list[list] = [[] for _ in range(n)]
        succ: list[list[int]] = [[] for _ in range(n)]
        for s, d, lab in edges:
            i, j = idx[s], idx[d]
            labelled[i].append((j, lab))
            succ[i].append(j)
        self.labelled, self.succ = labelled, succ
        pred = self.pred = predecessors(succ)
        rpo = self.rpo = reverse_postorder(succ, 0)
        self.idom = immediate_dominators(succ, 0, pred, rpo)
        exit_ = n - 1
        self.ipdom = immediate_dominators(pred, exit_, succ, reverse_postorder(pred, exit_))

    def exception_predecessors(self) -> list[list[int]]:
        """``[i]``: the nodes with an ``exception`` edge to node ``i``."""
        exc_pred: list[list[int]] = [[] for _ in self.nodes]
        for i, outs in enumerate(self.labelled):
            for j, lab in outs:
                if lab == _EXC:
                    exc_pred[j].append(i)
        return exc_pred

    def cyclomatic(self, unreachable: int) -> int:
        """``E - N + 2`` over the reachable nodes.

        ``E`` counts the non-exception edges plus one per node that only exceptions leave (a
        raise ends a path).
        """
        idx, n = self.index, len(self.nodes)
        normal_out = [0] * n
        for s, _, lab in self.edges:
            if lab != _EXC:
                normal_out[idx[s]] += 1
        idom = self.idom
        e_count = 0
        for i in range(n - 1):
            if idom[i] >= 0:
                e_count += normal_out[i] or 1
        return e_count - (n - unreachable) + 2


class ModuleBuild:
    """The raw result of building one module: node rows, edges, method rows.

    Consumed by :func:`workbench.frontends.python.build_cpg`, which turns it into Arrow tables
    (:func:`workbench.frontends.python.arrow.to_tables`).

    Attributes
    ----------
    rows : list of tuple
        Node rows (layout: the ``R_*`` indices); a row's index is its node id.
    reachable : list of bool
        Per node: reached from its method's entry.
    name_patch, full_name_patch, resolution_patch : dict of int to str
        Values of the ``name``, ``full_name`` and ``resolution`` columns known only after the
        row was written (node id -> value).
    edges : EdgeBuffers
        The edges of every kind but AST.
    method_rows : list of MethodRow
    """

    __slots__ = (
        "edges",
        "full_name_patch",
        "method_rows",
        "name_patch",
        "reachable",
        "resolution_patch",
        "rows",
    )

    def __init__(
        self,
        rows: list[tuple],
        reachable: list[bool],
        name_patch: dict[int, str],
        full_name_patch: dict[int, str],
        resolution_patch: dict[int, str],
        edges: EdgeBuffers,
        method_rows: list[MethodRow],
    ):
        """Hold the parts; see the attributes."""
        self.rows = rows
        self.reachable = reachable
        self.name_patch = name_patch
        self.full_name_patch = full_name_patch
        self.resolution_patch = resolution_patch
        self.edges = edges
        self.method_rows = method_rows


class Builder:
    """Builds the CPG rows of one module: call :meth:`build` once.

    Parameters
    ----------
    text
        The module's source (any newline convention).
    module_name
        Its dotted name, the prefix of full names.
    is_package
        The module is a package's ``__init__`` (relative imports start from it).
    max_nodes
        Raise :class:`TooManyNodes` beyond this many nodes.
    """

    def __init__(self, text: str, module_name: str, is_package: bool, max_nodes: int):
        """An empty build of ``text``; :meth:`build` fills it."""
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.lines = text.split("\n")
        self.module_name = module_name
        self.is_package = is_package
        self.max_nodes = max_nodes
        self.rows: list[tuple] = []
        self.edges = EdgeBuffers()
        self.name_patch: dict[int, str] = {}
        self.full_patch: dict[int, str] = {}
        self.res_patch: dict[int, str] = {}
        self.unreachable_roots: list[int] = []
        self.method_rows: list[MethodRow] = []
        #: call sites: ``(CALL node, callee expression, scope, METHOD id)``
        self.calls: list[tuple[int, ast.expr, Scope, int]] = []
        self.meth: _Method | None = None
        self.mid = 0
        self.events: list = []
        self.scope: Scope | None = None
        self.depth = 0
        self.prefix = ""  # qualname prefix for definitions in the current scope
        self.module_scope: Scope | None = None
        #: walrus targets of the comprehension being built: ``(name, IDENTIFIER node)``
        self.outward: list[tuple[str, int]] = []
        #: > 0 while a comprehension's iterable is built
        self.comp_iter = 0
        #: ``nonlocal`` statements and their scopes, checked at the end (checks.check_nonlocals)
        self.nonlocals: list[tuple[ast.Nonlocal, Scope]] = []
        self.future_ok: set[int] = set()
        # the visitor tables with this builder's bound methods
        self._sd = {cls: f.__get__(self) for cls, f in _STATEMENT_VISITORS.items()}
        self._xd = {cls: f.__get__(self) for cls, f in _EXPRESSION_VISITORS.items()}

    # -- rows ---------------------------------------------------------------------------

    def _code(self, ln: int, c: int, el: int, ec: int) -> str:
        """Source text between two ``ast`` positions (UTF-8 byte columns), cut at CODE_MAX."""
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
        """Append the row of a node that has a syntax node (its position and code); its id."""
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
        """Append the row of a synthetic node at ``pos`` (line, col, end line, end col)."""
        rows = self.rows
        nid = len(rows)
        ln, c, el, ec = pos
        rows.append((kind, sub, at, name, None, code, ln, c, el, ec, parent, order, self.mid, None))
        return nid

    # -- CFG plumbing ---------------------------------------------------------------------

    def _cfg(self, nid: int, front: Front, ev, may_raise: bool = True) -> Front:
        """Make ``nid`` the next CFG node after ``front``; return the new front.

        ``ev`` are the node's def/use events. Inside a ``try`` a node that ``may_raise`` also
        gets an ``exception`` edge, routed as a raise.
        """
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
            self._jump(_RAISE, [(nid, _EXC)])
        return [(nid, None)]

    def _connect(self, front: Front, dst: int) -> None:
        """Draw the edges of ``front`` into ``dst``."""
        e = self.meth.edges
        for s, lab in front:
            e.append((s, dst, lab))

    def _jump(self, jump: Jump, front: Front) -> None:
        """Route a break/continue/return/raise through the frame stack.

        The innermost frame that takes the jump gets ``front``: a loop takes ``break`` (out of
        the loop) and ``continue`` (edges back to its head), an ``except`` takes raises and a
        ``finally`` takes everything, a ``with`` takes raises (its ``__exit__`` sees them).
        Otherwise the jump leaves the method.
        """
        m = self.meth
        for frame in reversed(m.frames):
            cls = frame.__class__
            if cls is LoopFrame:
                if jump is _BREAK:
                    frame.breaks.extend(front)
                    return
                if jump is _CONTINUE:
                    self._connect(front, frame.head)
                    return
            elif cls is ExceptFrame or cls is WithFrame:
                if jump is _RAISE:
                    frame.raised.extend(front)
                    return
            else:
                entries = frame.entries
                if jump in entries:
                    entries[jump].extend(front)
                else:
                    entries[jump] = list(front)
                return
        m.exits.extend(front)  # return, raise; a stray break/continue is a compile error

    def _stmts(self, stmts: list[ast.stmt], parent: int, front: Front) -> Front:
        """Visit statements in sequence (orders 1, 2, ...); the front after the last."""
        self.meth.stmts += len(stmts)
        sd = self._sd
        for i, s in enumerate(stmts, 1):
            h = sd.get(s.__class__)
            front = h(s, parent, i, front) if h else self._s_unknown(s, parent, i, front)
        return front

    def _block(self, stmts, parent: int, order: int, sub: str, front: Front) -> Front:
        """A BLOCK node (subkind ``sub``: body, orelse...) holding ``stmts``; no CFG node."""
        if stmts:
            a, b = stmts[0], stmts[-1]
            pos = (a.lineno, a.col_offset, b.end_lineno, b.end_col_offset)
        else:
            pos = (None, None, None, None)
        bid = self._synth(_BLOCK, sub, parent, order, pos)
        return self._stmts(stmts, bid, front)

    def _deeper(self) -> None:
        """Enter a compound statement's body: one level deeper (the method's ``nesting``)."""
        self.depth += 1
        if self.depth > self.meth.nesting:
            self.meth.nesting = self.depth

    def _nested_block(self, stmts, parent, order, sub, front: Front, deeper: bool = True):
        """A :meth:`_block` one nesting level deeper (an ``elif`` chain is not ``deeper``)."""
        if deeper:
            depth = self.depth = self.depth + 1  # as _deeper(), inlined: a hot path
            if depth > self.meth.nesting:
                self.meth.nesting = depth
            front = self._block(stmts, parent, order, sub, front)
            self.depth -= 1
            return front
        return self._block(stmts, parent, order, sub, front)

    def _push_catch(self, frame: ExceptFrame | WithFrame | FinallyFrame):
        """Push a frame that catches exceptions: nodes under it get ``exception`` edges."""
        self.meth.frames.append(frame)
        self.meth.catch += 1
        return frame

    def _pop_catch(self) -> None:
        """Pop the frame pushed by :meth:`_push_catch`."""
        self.meth.frames.pop()
        self.meth.catch -= 1

    # -- expressions ------------------------------------------------------------------------

    def _expr(self, node: ast.AST, parent: int, order: int) -> int:
        """Emit an expression's AST rows and def/use events (no CFG node); its id."""
        h = self._xd.get(node.__class__)
        if h is None:
            return self._x_unknown(node, parent, order)
        return h(node, parent, order)

    def _x_generic(self, node, parent, order):
        """Operators, literals of containers, subscripts, f-strings...: a node per
        :data:`~.kinds.GENERIC_EXPRS` entry, its child fields in order (a missing one keeps its
        order number)."""
        cls = node.__class__
        kind, sub, name, fields = GENERIC_EXPRS[cls]
        if name is None:  # named after its operator
            if cls is ast.BinOp:
                name = BINOPS[node.op.__class__]
            elif cls is ast.Compare:
                name = CMPOPS[node.ops[0].__class__] if len(node.ops) == 1 else CHAINED_COMPARISON
            elif cls is ast.UnaryOp:
                name = UNARYOPS[node.op.__class__]
            else:
                name = BOOLOPS[node.op.__class__]
        elif cls is ast.Await:
            self._await(node)
        elif cls is ast.Yield or cls is ast.YieldFrom:
            self._yield(node)
        elif (
            (cls is ast.Tuple or cls is ast.List)
            and node.ctx.__class__ is _Store
            and sum(e.__class__ is ast.Starred for e in node.elts) > 1
        ):
            raise error(node, "multiple starred expressions in assignment")
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

    def _await(self, node: ast.Await) -> None:
        """``await``: only in an async function or a comprehension (which then awaits)."""
        m = self.meth
        m.is_async = True
        sub = m.subkind
        if sub in _COMP_SUBKINDS:
            m.coroutine = True
        elif sub in (_MODULE_SUB, _CLASS_SUB):
            raise error(node, "'await' outside function")
        elif not m.declared_async:
            raise error(node, "'await' outside async function")

    def _yield(self, node: ast.Yield | ast.YieldFrom) -> None:
        """``yield``: only in a function (a lambda too), ``yield from`` not in an async one."""
        m = self.meth
        m.is_generator = True
        sub = m.subkind
        if sub in _COMP_SUBKINDS:
            raise error(node, f"'yield' inside {_COMP_NAMES[sub]}")
        if sub in (_MODULE_SUB, _CLASS_SUB):
            raise error(node, "'yield' outside function")
        if m.declared_async and node.__class__ is ast.YieldFrom:
            raise error(node, "'yield from' inside async function")

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
        """An IDENTIFIER: a use (load), a definition (store) or both (``del``: use, kill)."""
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
            if name == "__debug__":
                raise error(node, "cannot assign to __debug__")
        else:
            self.events.append((USE, name, nid))
            self.events.append((KILL, name, nid))
            self.scope.locals.add(name)  # `del x` makes x local
            if name == "__debug__":
                raise error(node, "cannot delete __debug__")
        return nid

    def _x_Constant(self, node, parent, order):
        """A LITERAL whose subkind is the value's type name."""
        return self._add(_LITERAL, type(node.value).__name__, "Constant", None, node, parent, order)

    def _x_Attribute(self, node, parent, order):
        """``value.attr``: a fieldAccess CALL over the value and a FIELD_IDENTIFIER; a dotted
        path (``a.b.c``) is a variable of its own for def/use."""
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
                if attr == "__debug__":
                    raise error(node, "cannot assign to __debug__")
            else:
                self.events.append((USE, path, nid))
                self.events.append((KILL, path, nid))
        return nid

    def _x_NamedExpr(self, node, parent, order):
        """``target := value``: an assignment CALL; the value is evaluated first. In a
        comprehension the target binds in the enclosing function (:meth:`_x_comprehension`)."""
        nid = self._add(_CALL, _OP, "NamedExpr", "<operator>.assignment", node, parent, order)
        self._expr(node.value, nid, 2)
        scope = self.scope
        name = node.target.id
        if self.comp_iter:
            raise error(
                node, "assignment expression cannot be used in a comprehension iterable expression"
            )
        in_comp = scope.kind is _COMPREHENSION_SCOPE
        if in_comp:
            sc = scope
            while sc.kind is _COMPREHENSION_SCOPE:
                if name in sc.locals:
                    raise error(
                        node,
                        "assignment expression cannot rebind comprehension iteration variable "
                        f"'{name}'",
                    )
                sc = sc.parent
            if sc.kind == ScopeKind.CLASS:
                raise error(
                    node,
                    "assignment expression within a comprehension cannot be used in a class body",
                )
        tid = self._expr(node.target, nid, 1)
        if in_comp:
            scope.locals.discard(name)  # bound in the enclosing function, not here
            self.outward.append((name, tid))
        scope.bind_named_expr(name)  # PEP 572: may bind in an outer scope
        return nid

    def _x_Call(self, node, parent, order):
        """A CALL with ARGUMENT edges (label: position or keyword), a RECEIVER edge for
        ``obj.m(...)``; recorded as a call site, resolved at the end of the build."""
        nid = self._add(_CALL, None, "Call", None, node, parent, order)
        f = node.func
        fid = self._expr(f, nid, 1)
        edges = self.edges
        asrc, adst, alab = edges.argument
        if f.__class__ is _Attribute:
            rs, rd, rl = edges.receiver
            rs.append(nid)
            rd.append(fid + 1)  # the receiver: the fieldAccess's first child
            rl.append(None)
        o = 2
        for pos, a in enumerate(node.args, 1):
            aid = self._expr(a, nid, o)
            o += 1
            asrc.append(nid)
            adst.append(aid)
            alab.append(_ARG_LABELS[pos] if pos < 256 else str(pos))
        keywords = node.keywords
        if len(keywords) > 1 or (keywords and keywords[0].arg == "__debug__"):
            _check_keywords(keywords)
        for kw in keywords:
            aid = self._expr(kw.value, nid, o)
            o += 1
            asrc.append(nid)
            adst.append(aid)
            alab.append(kw.arg if kw.arg is not None else "**")
        self.name_patch[nid] = self.rows[fid][R_CODE]
        self.calls.append((nid, f, self.scope, self.mid))
        return nid

    def _x_Lambda(self, node, parent, order):
        """A METHOD_REF over the defaults; the body is a METHOD of its own."""
        ref = self._add(_REF, None, "Lambda", "<lambda>", node, parent, order)
        o = self._defaults(node.args, ref, 1)
        self._method(
            node, ref, o, Subkind.LAMBDA, "<lambda>", node.args, code=self.rows[ref][R_CODE]
        )
        return ref

    def _x_comprehension(self, node, parent, order):
        """A METHOD_REF over the first iterable (evaluated here); the rest is a METHOD. The
        walrus targets of the body (:meth:`_x_NamedExpr`) are may-definitions (``MAYDEF``) of
        the enclosing statement."""
        sub, name = COMPREHENSIONS[node.__class__]
        ref = self._add(_REF, None, node.__class__.__name__, name, node, parent, order)
        self.comp_iter += 1
        self._expr(node.generators[0].iter, ref, 1)  # evaluated in the enclosing scope
        self.comp_iter -= 1
        outer, self.outward = self.outward, []
        self._method(node, ref, 2, sub, name, None, code=self.rows[ref][R_CODE])
        inner, self.outward = self.outward, outer
        if inner:  # walrus targets (PEP 572): may be defined here, when the body runs
            self.events.extend((MAYDEF, var, tid) for var, tid in inner)
            if self.scope.kind is _COMPREHENSION_SCOPE:
                outer.extend(inner)
        return ref

    # -- statements ------------------------------------------------------------------------

    def _s_unknown(self, s, parent, order, front):
        """A statement class newer than this builder: one UNKNOWN CFG node."""
        ev = self.events = []
        nid = self._x_unknown(s, parent, order)
        return self._cfg(nid, front, ev)

    def _s_Expr(self, s, parent, order, front):
        """An expression statement: the expression is the CFG node (a constant, as a
        docstring, cannot raise)."""
        ev = self.events = []
        v = s.value
        nid = self._expr(v, parent, order)
        return self._cfg(nid, front, ev, v.__class__ is not _Constant)

    def _s_Assign(self, s, parent, order, front):
        """``a = b = value``: one assignment CALL node; the value's events precede the
        targets'."""
        nid = self._add(_CALL, _OP, "Assign", "<operator>.assignment", s, parent, order)
        ev = self.events = []
        targets = s.targets
        if s.value.__class__ is ast.Starred:
            raise error(s.value, "can't use starred expression here")
        self._expr(s.value, nid, len(targets) + 1)
        for i, t in enumerate(targets, 1):
            if t.__class__ is ast.Starred:
                raise error(t, _STARRED_TARGET)
            self._expr(t, nid, i)
        return self._cfg(nid, front, ev)

    def _s_AugAssign(self, s, parent, order, front):
        """``target op= value``: one CALL node (``<operator>.assignmentPlus``...); the target
        is used before it is defined."""
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
        """``target: annotation = value``: an assignment CALL node; without a value a LOCAL
        node (a declaration that binds nothing)."""
        ev = self.events = []
        if s.simple:  # an annotated name cannot be declared global or nonlocal
            name = s.target.id
            m = self.meth
            if m.declared and name in m.declared:
                raise error(s, f"annotated name '{name}' can't be {m.declared[name][0]}")
            if m.annotated is None:
                m.annotated = set()
            m.annotated.add(name)
        if s.value is None:
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
        """``return value``: a RETURN node, then a return jump (through any ``finally``)."""
        nid = self._add(_RET, None, "Return", None, s, parent, order)
        m = self.meth
        if m.subkind == _MODULE_SUB or m.subkind == _CLASS_SUB:
            raise error(s, "'return' outside function")
        if m.star:
            raise error(s, _STAR_JUMP)
        ev = self.events = []
        if s.value is not None:
            self._expr(s.value, nid, 1)
            if m.ret_value is None:
                m.ret_value = s
        if m.unbind:
            self._unbind(ev, nid, -1)
        self._cfg(nid, front, ev, s.value is not None)
        self._jump(_RETURN, [(nid, None)])
        return []

    def _s_Delete(self, s, parent, order, front):
        """``del a, b``: one delete CALL node that uses and kills its targets."""
        nid = self._add(_CALL, _OP, "Delete", "<operator>.delete", s, parent, order)
        ev = self.events = []
        for i, t in enumerate(s.targets, 1):
            self._expr(t, nid, i)
        return self._cfg(nid, front, ev)

    def _s_Pass(self, s, parent, order, front):
        """``pass``: a BLOCK node of subkind PASS in the flow."""
        nid = self._add(_BLOCK, Subkind.PASS, "Pass", None, s, parent, order)
        return self._cfg(nid, front, None, False)

    def _s_Break(self, s, parent, order, front):
        """``break``: a node, then a break jump to after the innermost loop."""
        nid = self._add(_CS, Subkind.BREAK, "Break", None, s, parent, order)
        ev = []
        loop = self._loop(s, "'break' outside loop")
        if self.meth.unbind:
            self._unbind(ev, nid, loop)
        self._cfg(nid, front, ev, False)
        self._jump(_BREAK, [(nid, None)])
        return []

    def _s_Continue(self, s, parent, order, front):
        """``continue``: a node, then a continue jump back to the innermost loop's head."""
        nid = self._add(_CS, Subkind.CONTINUE, "Continue", None, s, parent, order)
        ev = []
        loop = self._loop(s, "'continue' not properly in loop")
        if self.meth.unbind:
            self._unbind(ev, nid, loop)
        self._cfg(nid, front, ev, False)
        self._jump(_CONTINUE, [(nid, None)])
        return []

    def _s_Raise(self, s, parent, order, front):
        """``raise exc from cause``: a THROW node whose only way out is an ``exception``
        edge (to a handler, a ``finally`` or the exit)."""
        nid = self._add(_CS, Subkind.THROW, "Raise", None, s, parent, order)
        ev = self.events = []
        if s.exc is not None:
            self._expr(s.exc, nid, 1)
        if s.cause is not None:
            self._expr(s.cause, nid, 2)
        self._cfg(nid, front, ev, False)
        self.meth.raises = True
        self._jump(_RAISE, [(nid, _EXC)])
        return []

    def _s_Assert(self, s, parent, order, front):
        """``assert test, msg``: an ASSERT node; ``true`` edge on, ``exception`` edge out."""
        nid = self._add(_CS, Subkind.ASSERT, "Assert", None, s, parent, order)
        ev = self.events = []
        self._expr(s.test, nid, 1)
        if s.msg is not None:
            self._expr(s.msg, nid, 2)
        self._cfg(nid, front, ev, False)
        self.meth.raises = True
        self._jump(_RAISE, [(nid, _EXC)])
        return [(nid, _TRUE)]

    def _s_Global(self, s, parent, order, front):
        """``global a, b``: a LOCAL node (subkind GLOBAL); the names resolve in the module."""
        nid = self._add(_LOCAL, Subkind.GLOBAL, "Global", ", ".join(s.names), s, parent, order)
        self._declare(s, "global")
        self.scope.globals.update(s.names)
        return self._cfg(nid, front, None, False)

    def _s_Nonlocal(self, s, parent, order, front):
        """``nonlocal a, b``: a LOCAL node (subkind NONLOCAL)."""
        nid = self._add(_LOCAL, Subkind.NONLOCAL, "Nonlocal", ", ".join(s.names), s, parent, order)
        if self.meth.subkind == _MODULE_SUB:
            raise error(s, "nonlocal declaration not allowed at module level")
        self._declare(s, "nonlocal")
        self.nonlocals.append((s, self.scope))
        return self._cfg(nid, front, None, False)

    def _declare(self, s: ast.Global | ast.Nonlocal, what: str) -> None:
        """The checks of a ``global``/``nonlocal`` statement: no name of it is a parameter,
        used, assigned or annotated earlier in the scope, or declared the other way."""
        m = self.meth
        names = set(s.names)
        declared = m.declared
        if declared is None:
            declared = m.declared = {}
        for name in s.names:
            if name in declared and declared[name][0] != what:
                raise error(declared[name][1], f"name '{name}' is nonlocal and global")
            declared[name] = (what, s)
        flags: dict[str, set[str]] = {}
        for nid, ev in m.events.items():
            for op, var, _ in ev:
                if var in names:
                    kind = "param" if nid == m.id else ("use" if op == USE else "def")
                    flags.setdefault(var, set()).add(kind)
        for name in s.names:
            f = flags.get(name, ())
            if "param" in f:
                raise error(s, f"name '{name}' is parameter and {what}")
            if "use" in f:
                raise error(s, f"name '{name}' is used prior to {what} declaration")
            if m.annotated and name in m.annotated:
                raise error(s, f"annotated name '{name}' can't be {what}")
            if "def" in f:
                raise error(s, f"name '{name}' is assigned to before {what} declaration")

    def _s_Import(self, s, parent, order, front):
        """``import a.b as c``: an IMPORT node with an ALIAS child per name it binds."""
        nid = self._add(_IMPORT, Subkind.IMPORT, "Import", None, s, parent, order)
        ev = self.events = []
        for i, a in enumerate(s.names, 1):
            bound, target = import_binding(a.name, a.asname)
            self._alias(a, nid, i, bound, target, ev)
        return self._cfg(nid, front, ev)

    def _s_ImportFrom(self, s, parent, order, front):
        """``from .m import a as b``: an IMPORT node (full name: the absolute module) with an
        ALIAS child per name (``*`` binds nothing)."""
        written = "." * s.level + (s.module or "")
        base = absolute_module(self.module_name, self.is_package, s.module, s.level)
        nid = self._add(_IMPORT, Subkind.IMPORT_FROM, "ImportFrom", written, s, parent, order)
        self.full_patch[nid] = base
        ev = self.events = []
        if s.module == "__future__" and s.level == 0:
            check_future(s, self.future_ok)
        for i, a in enumerate(s.names, 1):
            if a.name == "*":
                if self.meth.subkind != _MODULE_SUB:
                    raise error(s, "import * only allowed at module level")
                self._add(_IMPORT, Subkind.ALIAS, "alias", "*", a, nid, i)
                continue
            bound, target = from_import_binding(base, a.name, a.asname)
            self._alias(a, nid, i, bound, target, ev)
        return self._cfg(nid, front, ev)

    def _alias(self, a, parent, order, bound, target, ev):
        """An ALIAS node that defines ``bound`` (full name: the imported ``target``)."""
        if bound == "__debug__":
            raise error(a, "cannot assign to __debug__")
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
        """``if test: body else: orelse`` -- the test node; ``true`` edge into the body,
        ``false`` edge into the ``else`` (or on, without one); both ends continue after."""
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
        """``while test: body else: orelse`` -- the test node; ``true`` edge into the body,
        whose end loops back to the test; ``false`` edge into the ``else`` (none for
        ``while True``); ``break`` exits after the loop, ``continue`` goes to the test."""
        cs, t = self._condition_head(s, Subkind.WHILE, parent, order, front)
        m = self.meth
        frame = LoopFrame(t)
        m.frames.append(frame)
        body = self._nested_block(s.body, cs, 2, Subkind.BODY, [(t, _TRUE)])
        self._connect(body, t)
        m.frames.pop()
        test = s.test
        forever = test.__class__ is _Constant and bool(test.value)
        out = [] if forever else [(t, _FALSE)]
        if s.orelse:
            out = self._nested_block(s.orelse, cs, 3, Subkind.ORELSE, out)
        return out + frame.breaks

    def _s_For(self, s, parent, order, front):
        """``for target in iter: body else: orelse`` -- the iter node (evaluated once), then
        the header (the FOR node, which binds the target); ``true`` edge into the body, whose
        end loops back to the header; ``false`` edge into the ``else``; ``break`` exits after
        the loop, ``continue`` goes to the header."""
        cls = s.__class__
        if cls is ast.AsyncFor:
            self.meth.is_async = True
            if not self.meth.declared_async:
                raise error(s, "'async for' outside async function")
        if s.target.__class__ is ast.Starred:
            raise error(s.target, _STARRED_TARGET)
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
        frame = LoopFrame(cs)
        m.frames.append(frame)
        body = self._nested_block(s.body, cs, 3, Subkind.BODY, [(cs, _TRUE)])
        self._connect(body, cs)
        m.frames.pop()
        out = [(cs, _FALSE)]
        if s.orelse:
            out = self._nested_block(s.orelse, cs, 4, Subkind.ORELSE, out)
        return out + frame.breaks

    _s_AsyncFor = _s_For

    def _s_With(self, s, parent, order, front):
        """``with a as b: body`` -- the WITH node (evaluates the items, binds the targets),
        then the body in sequence. What the body raises has ``exception`` edges to a WITH_EXIT
        node (the context manager's ``__exit__``, child after the body), which continues after
        the ``with`` (the exception suppressed) and raises on (``exception`` edge)."""
        if s.__class__ is ast.AsyncWith:
            self.meth.is_async = True
            if not self.meth.declared_async:
                raise error(s, "'async with' outside async function")
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
                if item.optional_vars.__class__ is ast.Starred:
                    raise error(item.optional_vars, _STARRED_TARGET)
                self._expr(item.optional_vars, cs, o)
                o += 1
        front = self._cfg(cs, front, ev)
        frame = self._push_catch(WithFrame())
        out = self._nested_block(s.body, cs, o, Subkind.BODY, front)
        self._pop_catch()
        if frame.raised:
            end = (s.end_lineno, s.end_col_offset, s.end_lineno, s.end_col_offset)
            xid = self._synth(_CS, _WITH_EXIT, cs, o + 1, end, name="__exit__")
            self._cfg(xid, frame.raised, None, False)
            self._jump(_RAISE, [(xid, _EXC)])  # not suppressed: raised on
            out = [*out, (xid, None)]  # suppressed: on after the with
        return out

    _s_AsyncWith = _s_With

    def _s_Try(self, s, parent, order, front):
        """``try: body except E as e: handler else: orelse finally: final`` (and ``except*``)
        -- a TRY node outside the flow; the body follows ``front``; each node of the body that
        may raise has an ``exception`` edge to the first clause, whose ``false`` edge goes to
        the next clause (the last one's re-raises); the ``else`` follows the body's end. With a
        ``finally``, every way out of the rest enters it, and its end continues each of them.
        """
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
        fin = self._push_catch(FinallyFrame()) if s.finalbody else None
        exc = self._push_catch(ExceptFrame()) if s.handlers else None
        self._deeper()
        body = self._try_body(s, cs, front)
        if exc is not None:
            self._pop_catch()
        normal, o = self._handlers(s, cs, exc.raised if exc is not None else [])
        if s.orelse:
            body = self._block(s.orelse, cs, o, Subkind.ORELSE, body)
            o += 1
        normal = body + normal
        if fin is not None:
            self._pop_catch()
            normal = self._finally(s, cs, o, normal, fin)
        self.depth -= 1
        return normal

    _s_TryStar = _s_Try

    def _try_body(self, s, cs: int, front: Front) -> Front:
        """The ``try`` body, recording its first CFG node as where the TRY is entered."""
        m = self.meth
        first = len(m.nodes)
        body = self._block(s.body, cs, 1, Subkind.BODY, front)
        if len(m.nodes) > first:
            m.stmt_entries.append((cs, m.nodes[first]))  # the try is entered there
        return body

    def _handlers(self, s, cs: int, raised: Front) -> tuple[Front, int]:
        """The ``except`` clauses in turn, entered by ``raised``: ``(the front after them,
        the next child order)``. An exception no clause matches is raised on."""
        star = s.__class__ is ast.TryStar
        normal: Front = []
        pending = raised
        pending_body: Front = []
        o = 2
        m = self.meth
        last = s.handlers[-1] if s.handlers else None
        for h in s.handlers:
            if h.type is None and h is not last:
                raise error(h, "default 'except:' must be last")
            if star:
                m.star.append(len(m.frames))
            hid, hbody = self._handler(h, cs, o, pending + pending_body)
            if star:
                m.star.pop()
            o += 1
            if star:  # except*: the next clause still sees the rest of the group
                pending_body = hbody
            else:
                normal.extend(hbody)
            pending = [] if h.type is None else [(hid, _FALSE)]
        if star:
            normal.extend(pending_body)
        if pending:
            self._jump(_RAISE, pending)
        return normal, o

    def _handler(self, h: ast.ExceptHandler, cs: int, order: int, front: Front):
        """One ``except E as name:`` -- an EXCEPT node (binds ``name``; evaluating ``E`` may
        raise) after ``front``; ``true`` edge into its body, after which an UNBIND node deletes
        ``name`` (as do ``return``, ``break`` and ``continue`` leaving the clause). Returns the
        node and the front after the clause."""
        hid = self._add(
            _CS,
            Subkind.EXCEPT,
            "ExceptHandler",
            h.name,
            h,
            cs,
            order,
            code=self._header(h, h.body[0]),
        )
        ev = self.events = []
        if h.type is not None:
            self._expr(h.type, hid, 1)
        name = h.name
        if name:
            ev.append((DEF, name, hid))
            self.scope.locals.add(name)
        self._cfg(hid, front, ev, h.type is not None)  # evaluating the type may raise
        if not name:
            return hid, self._block(h.body, hid, 2, Subkind.BODY, [(hid, _TRUE)])
        m = self.meth
        m.unbind.append((name, len(m.frames)))
        body = self._block(h.body, hid, 2, Subkind.BODY, [(hid, _TRUE)])
        m.unbind.pop()
        if body:  # the end of the clause deletes the name
            last = h.body[-1]
            end = (last.end_lineno, last.end_col_offset, last.end_lineno, last.end_col_offset)
            uid = self._synth(_LOCAL, _UNBIND, hid, 3, end, name=name)
            body = self._cfg(uid, body, [(KILL, name, uid)], False)
        return hid, body

    def _loop(self, s: ast.stmt, msg: str) -> int:
        """The frame stack depth of the innermost loop, which ``s`` (break, continue) jumps
        to; ``msg`` when there is none. A jump out of an ``except*`` clause is an error."""
        m = self.meth
        frames = m.frames
        for k in range(len(frames) - 1, -1, -1):
            if frames[k].__class__ is LoopFrame:
                if m.star and m.star[-1] > k:
                    raise error(s, _STAR_JUMP)
                return k
        raise error(s, msg)

    def _unbind(self, ev: list, nid: int, depth: int) -> None:
        """Kill, in ``ev`` (the events of node ``nid``), the ``except ... as`` names whose
        clauses a jump from ``nid`` leaves: those of the clauses entered deeper than frame
        stack ``depth`` (-1 for a return: all of them)."""
        for name, at in self.meth.unbind:
            if at > depth:
                ev.append((KILL, name, nid))

    def _finally(self, s, cs: int, order: int, normal: Front, fin: FinallyFrame) -> Front:
        """The ``finally`` body, entered by the normal flow and by every jump that ``fin``
        caught; from its end each kind of jump goes on (a raise as an ``exception`` edge).

        When more than one kind of way enters it, the body is a *region* of the method: its
        entries are recorded by kind and its continuations leave through probes (see
        :class:`_Region`), so that reaching definitions can follow each kind on its own."""
        m = self.meth
        entries = fin.entries
        start = len(m.nodes)
        into = normal + [x for front in entries.values() for x in front]
        end = self._block(s.finalbody, cs, order, Subkind.FINALLY, into)
        if len(entries) + bool(normal) < 2:
            for jump, _ in entries.items():
                self._jump(jump, [(src, _EXC) for src, _ in end] if jump is _RAISE else end)
            return end if normal else []
        region = len(m.regions)
        by_entry: dict[tuple[int, str | None], set] = {}
        for kind, front in ((_FALL, normal), *entries.items()):
            for x in front:
                by_entry.setdefault(x, set()).add(kind)
        m.regions.append(_Region(set(m.nodes[start:]), m.nodes[start], by_entry))
        probe = self._probe
        for jump in entries:
            label = _EXC if jump is _RAISE else None
            self._jump(jump, [(probe(src, region, jump), label or lab) for src, lab in end])
        return [(probe(src, region, _FALL), lab) for src, lab in end] if normal else []

    def _probe(self, src: int, region: int, kind) -> int:
        """A stand-in (negative) for ``src`` in a front leaving ``region`` the way ``kind``
        entered it; :meth:`_resolve_probes` replaces it by ``src`` in the method's edges."""
        probes = self.meth.probes
        probes.append((src, region, kind))
        return -len(probes)

    def _s_Match(self, s, parent, order, front):
        """``match subject: case ...`` -- the subject node, then each case in turn: its
        pattern node (``true`` edge into the body, ``false`` to the next case), its guard
        node if any (likewise); the bodies' ends and the last ``false`` continue after."""
        check_match(s)
        subject = s.subject
        header = self._code(s.lineno, s.col_offset, subject.end_lineno, subject.end_col_offset)
        cs = self._add(_CS, Subkind.MATCH, "Match", None, s, parent, order, code=header + ":")
        ev = self.events = []
        subj = self._expr(s.subject, cs, 1)
        self._cfg(subj, front, ev)
        self.meth.stmt_entries.append((cs, subj))
        self._deeper()
        pending = [(subj, None)]
        out: Front = []
        for k, case in enumerate(s.cases, 2):
            body, pending = self._case(case, cs, k, pending)
            out.extend(body)
        self.depth -= 1
        return out + pending

    def _case(self, case: ast.match_case, cs: int, order: int, front: Front):
        """One ``case pattern if guard: body`` after ``front``: ``(the front after the body,
        the front to the next case)``. An irrefutable pattern has no ``false`` edge."""
        p, last = case.pattern, case.body[-1]
        code = "case " + self._code(p.lineno, p.col_offset, p.end_lineno, p.end_col_offset)
        g = case.guard
        if g is not None:
            code += " if " + self._code(g.lineno, g.col_offset, g.end_lineno, g.end_col_offset)
        cid = self._synth(
            _CS,
            Subkind.CASE,
            cs,
            order,
            (p.lineno, p.col_offset, last.end_lineno, last.end_col_offset),
            at="match_case",
            code=code[:CODE_MAX],
        )
        ev = self.events = []
        self._pattern(p, cid, 1)
        self._cfg(cid, front, ev)
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
        return self._block(case.body, cid, 3, Subkind.BODY, entry), pending

    def _pattern(self, p, parent, order) -> int:
        """A pattern's rows (no CFG node): a PATTERN CALL per sub-pattern, captures as
        IDENTIFIERs that define their names; its id."""
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
        self._pattern_children(p, cls, nid)
        return nid

    def _pattern_children(self, p, cls: type, nid: int) -> None:
        """The children of a composite pattern, in source order."""
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
            for sub in (*p.patterns, *p.kwd_patterns):
                self._pattern(sub, nid, o)
                o += 1
        elif cls is ast.MatchAs:  # `pattern as name`
            self._pattern(p.pattern, nid, 1)
            self._capture(p, p.name, nid, 2, None, at_end=True)

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
        """``def name(args): body`` -- a METHOD_REF node in the flow that evaluates the
        decorators, defaults and annotations and defines ``name``; the body is a METHOD."""
        header = self._header(s, s.body[0])
        ref = self._add(_REF, None, s.__class__.__name__, s.name, s, parent, order, code=header)
        ev = self.events = []
        sc = self.scope
        o = 1
        for d in s.decorator_list:
            self._expr(d, ref, o)
            o += 1
        o = self._defaults(s.args, ref, o)
        type_params = getattr(s, "type_params", None)
        if type_params:
            o = self._type_params(type_params, ref, o)
        for a in _all_args(s.args):
            if a.annotation is not None:
                self._expr(a.annotation, ref, o)
                o += 1
        if s.returns is not None:
            self._expr(s.returns, ref, o)
            o += 1
        static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in s.decorator_list)
        mid = self._method(
            s,
            ref,
            o,
            Subkind.FUNCTION,
            s.name,
            s.args,
            code=header,
            is_async=s.__class__ is ast.AsyncFunctionDef,
            static=static,
        )
        full = self.full_patch[mid]
        self.full_patch[ref] = full
        if type_params:
            self._close_type_params(type_params, sc, ev)
        ev.append((DEF, s.name, ref))
        sc.define_function(s.name, full, mid)
        self.events = ev
        return self._cfg(ref, front, ev)

    _s_AsyncFunctionDef = _s_FunctionDef

    def _s_ClassDef(self, s, parent, order, front):
        """``class name(bases): body`` -- a TYPE_DECL node in the flow that evaluates the
        decorators, bases and keywords and defines ``name``; the body is a METHOD."""
        header = self._header(s, s.body[0])
        ref = self._add(_TYPE_DECL, None, "ClassDef", s.name, s, parent, order, code=header)
        ev = self.events = []
        sc = self.scope
        o = 1
        for d in s.decorator_list:
            self._expr(d, ref, o)
            o += 1
        type_params = getattr(s, "type_params", None)
        if type_params:
            o = self._type_params(type_params, ref, o)
        for b in s.bases:
            self._expr(b, ref, o)
            o += 1
        for kw in s.keywords:
            self._expr(kw.value, ref, o)
            o += 1
        full = self._full(self.prefix + s.name)
        info = ClassInfo(full, sc, [p for p in map(dotted, s.bases) if p])
        self.full_patch[ref] = full
        self._method(s, ref, o, Subkind.CLASS_BODY, s.name, None, code=None, cls=info)
        if type_params:
            self._close_type_params(type_params, sc, ev)
        ev.append((DEF, s.name, ref))
        sc.define_class(s.name, info)
        self.events = ev
        return self._cfg(ref, front, ev)

    def _s_TypeAlias(self, s, parent, order, front):
        """``type Name[T] = value`` (PEP 695): an assignment CALL node that defines ``Name``;
        its type parameters and value are children (the value, evaluated lazily, is read as
        uses of the statement)."""
        nid = self._add(_CALL, _OP, "TypeAlias", "<operator>.assignment", s, parent, order)
        ev = self.events = []
        sc = self.scope
        o = 2
        if s.type_params:
            o = self._type_params(s.type_params, nid, o)
        self._expr(s.value, nid, o)
        if s.type_params:
            self._close_type_params(s.type_params, sc, ev)
        self._expr(s.name, nid, 1)
        return self._cfg(nid, front, ev)

    def _type_params(self, params: list, parent: int, o: int) -> int:
        """PEP 695 type parameters as children of ``parent`` from order ``o``: a LOCAL node
        (subkind TYPE_PARAM) per parameter over its bound and default. They are bound in a new
        TYPE_PARAMS scope, the current one until :meth:`_close_type_params`; the next order."""
        scope = self.scope = Scope(ScopeKind.TYPE_PARAMS, self.scope)
        for p in params:
            pid = self._add(_LOCAL, _TYPE_PARAM, p.__class__.__name__, p.name, p, parent, o)
            o += 1
            scope.locals.add(p.name)
            bound = getattr(p, "bound", None)
            if bound is not None:
                self._expr(bound, pid, 1)
            default = getattr(p, "default_value", None)  # Python 3.13
            if default is not None:
                self._expr(default, pid, 2)
        return o

    def _close_type_params(self, params: list, outer: Scope, ev: list) -> None:
        """Leave the TYPE_PARAMS scope for ``outer``; the type parameters' uses in ``ev``
        (annotations, bases, bounds) refer to no definition of the enclosing method."""
        self.scope = outer
        names = {p.name for p in params}
        ev[:] = [e for e in ev if e[1] not in names]

    def _defaults(self, args: ast.arguments, parent: int, o: int) -> int:
        """The default values of ``args`` as children from order ``o``; the next order."""
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
        """The full name of a qualified name of this module."""
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
        """Emit a METHOD with its own CFG; return its id.

        The METHOD node (child ``order`` of ``parent``), its parameters, the BLOCK of its body
        and its METHOD_RETURN; the CFG runs from the METHOD through the body to the
        METHOD_RETURN, which every ``return`` and uncaught raise reaches as well. The passes
        then run over it (:meth:`_finish`). The enclosing method's state is restored after.
        """
        enclosing = _Enclosing(
            self.meth, self.mid, self.events, self.scope, self.depth, self.prefix
        )
        m, pos = self._open_method(node, parent, order, sub, name, code, is_async)
        scope = self._open_scope(sub, cls)
        o = self._parameters(args, scope)
        scope.bind_receiver(_receiver_name(sub, args), static=static)
        front = self._method_body(node, sub, o, [(m.id, None)])
        self._close_method(m, front, o + 1, pos)
        (self.meth, self.mid, self.events, self.scope, self.depth, self.prefix) = enclosing
        return m.id

    def _open_method(self, node, parent, order, sub, name, code, is_async):
        """Emit the METHOD node and make its :class:`_Method` the current one: ``(it, the
        method's position)``."""
        mid = self.mid = len(self.rows)
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
        m.parent = self.meth.id if self.meth is not None else None
        m.line, _, m.end_line, _ = pos
        m.is_async = m.declared_async = is_async
        m.up = self.meth
        self.meth = m
        self.depth = 0
        self.prefix = prefix
        return m, pos

    def _open_scope(self, sub, cls: ClassInfo | None) -> Scope:
        """Make a new scope of the kind of method ``sub`` the current one."""
        parent_scope = self.scope
        if sub == Subkind.MODULE:
            scope = self.module_scope = Scope(ScopeKind.MODULE, None)
        elif sub == Subkind.CLASS_BODY:
            scope = Scope(ScopeKind.CLASS, parent_scope, cls)
        elif sub == Subkind.FUNCTION or sub == Subkind.LAMBDA:
            scope = Scope(ScopeKind.FUNCTION, parent_scope)
        else:
            scope = Scope(ScopeKind.COMPREHENSION, parent_scope)
        self.scope = scope
        return scope

    def _parameters(self, args: ast.arguments | None, scope: Scope) -> int:
        """A METHOD_PARAMETER_IN per parameter (children 1..n of the METHOD), which the
        METHOD node defines; the next child order."""
        m = self.meth
        mid = m.id
        o = 1
        ev = self.events = []
        if args is not None:
            for a, psub in _params(args):
                if a.arg in scope.locals:
                    raise error(a, f"duplicate argument '{a.arg}' in function definition")
                if a.arg == "__debug__":
                    raise error(a, "cannot assign to __debug__")
                pid = self._add(_PARAM, psub, "arg", a.arg, a, mid, o, code=a.arg)
                o += 1
                ev.append((DEF, a.arg, pid))
                scope.locals.add(a.arg)
            m.params = o - 1
        m.events[mid] = ev
        return o

    def _method_body(self, node, sub, order: int, front: Front) -> Front:
        """The body of a method after its entry ``front``: a BLOCK of statements, a lambda's
        expression or a comprehension; the front after it. Scores the method's mccabe."""
        m = self.meth
        if sub == Subkind.LAMBDA:
            body = node.body
            pos = (body.lineno, body.col_offset, body.end_lineno, body.end_col_offset)
            bid = self._synth(_BLOCK, Subkind.BODY, m.id, order, pos)
            ev = self.events = []
            e = self._expr(body, bid, 1)
            return self._cfg(e, front, ev)
        if sub in _COMP_SUBKINDS:
            return self._comprehension_body(node, m.id, order, front)
        front = self._block(node.body, m.id, order, Subkind.BODY, front)
        if sub == Subkind.FUNCTION:
            m.mccabe = 1 + _mccabe(node.body)
        elif sub == Subkind.MODULE or sub == Subkind.CLASS_BODY:
            m.mccabe = 1 + _mccabe_module(node.body)
        return front

    def _close_method(self, m: _Method, front: Front, order: int, pos) -> None:
        """The METHOD_RETURN (at the method's end), entered by ``front`` and by every jump
        that left the method; then the passes (:meth:`_finish`)."""
        _, _, end_line, end_col = pos
        ret = self._synth(_RETURN_NODE, None, m.id, order, (end_line, end_col, end_line, end_col))
        m.nodes.append(ret)
        self._connect(front, ret)
        self._connect(m.exits, ret)
        if m.subkind == _GENEXP:
            m.is_generator = True
        elif m.coroutine and m.subkind in _COMP_SUBKINDS:  # an async comprehension
            up = m.up
            if up.subkind in _COMP_SUBKINDS:
                up.coroutine = True
            elif not up.declared_async:
                row = self.rows[m.id]
                raise InvalidSyntax(
                    "asynchronous comprehension outside of an asynchronous function",
                    row[R_LINE],
                    row[R_COL],
                )
        if m.declared_async and m.is_generator and m.ret_value is not None:
            raise error(m.ret_value, "'return' with value in async generator")
        if len(self.rows) > self.max_nodes:
            raise TooManyNodes(len(self.rows))
        self._finish(m)

    def _comprehension_body(self, node, mid: int, order: int, front: Front) -> Front:
        """``[elt for target in iter if cond ...]`` -- a BLOCK; per ``for``: its iter node
        (but the first's, evaluated outside) and its header node (``true``: next item;
        ``false``: exhausted, back to the enclosing header or out of the method), each ``if``
        a node (``false`` back to the header); the element's node(s) loop back to the innermost
        header. Returns ``[]``: control leaves through the first header's ``false`` edge."""
        bid = self._synth(
            _BLOCK,
            Subkind.BODY,
            mid,
            order,
            (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset),
        )
        headers: list[int] = []
        for k, g in enumerate(node.generators):
            front = self._comprehension_for(g, k, bid, front, headers)
        o = len(node.generators) + 1
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

    def _comprehension_for(self, g: ast.comprehension, k: int, bid: int, front, headers):
        """The ``k``-th ``for ... in ... if ...`` of a comprehension, appended to ``headers``;
        the front into what follows it."""
        m = self.meth
        if g.is_async:
            m.is_async = m.coroutine = True
        t, last = g.target, (g.ifs[-1] if g.ifs else g.iter)
        code = (
            ("async for " if g.is_async else "for ")
            + self._code(t.lineno, t.col_offset, t.end_lineno, t.end_col_offset)
            + " in "
            + self._code(g.iter.lineno, g.iter.col_offset, g.iter.end_lineno, g.iter.end_col_offset)
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
            self.comp_iter += 1
            it = self._expr(g.iter, gid, 2)
            self.comp_iter -= 1
            front = self._cfg(it, front, ev)
        ev = self.events = []
        if t.__class__ is ast.Starred:
            raise error(t, _STARRED_TARGET)
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
        return front

    # -- derived edges and metrics of a finished method -------------------------------------

    def _finish(self, m: _Method) -> None:
        """Run the passes over a finished method and emit its derived edges and metrics."""
        derivations = self._resolve_probes(m) if m.regions else None
        g = _MethodCfg(m)
        cs, cd, cl = self.edges.cfg
        for s, d, lab in g.edges:
            cs.append(s)
            cd.append(d)
            cl.append(lab)
        unreachable = self._emit_dominators(g)
        self._emit_control_dependences(g)
        if len(m.events) > 1 or m.params:
            self._emit_reaching_definitions(m, g, derivations)
        if unreachable:
            index, idom = g.index, g.idom
            for root, entry in m.stmt_entries:
                if idom[index[entry]] < 0:
                    self.unreachable_roots.append(root)
        self.method_rows.append(
            MethodRow(
                id=m.id,
                name=m.name,
                full_name=m.full,
                subkind=m.subkind,
                parent_method=m.parent,
                line=m.line,
                end_line=m.end_line,
                parameters=m.params,
                statements=m.stmts,
                cfg_nodes=len(g.nodes),
                cfg_edges=len(g.edges),
                unreachable=unreachable,
                cyclomatic=g.cyclomatic(unreachable),
                mccabe=m.mccabe,
                nesting=m.nesting,
                fan_out=0,  # known when the calls are resolved (_resolve_calls)
                is_generator=m.is_generator,
                is_async=m.is_async,
            )
        )

    def _emit_dominators(self, g: _MethodCfg) -> int:
        """DOMINATE and POST_DOMINATE edges; the CFG nodes no dominator reaches (unreachable
        from the entry) become unreachable roots. Returns how many there are."""
        nodes, idom, ipdom = g.nodes, g.idom, g.ipdom
        ds, dd, dl = self.edges.dominate
        unreachable = 0
        for i in range(1, len(nodes)):
            a = idom[i]
            if a >= 0:
                ds.append(nodes[a])
                dd.append(nodes[i])
                dl.append(None)
            else:
                unreachable += 1
                self.unreachable_roots.append(nodes[i])
        ps, pd, pl = self.edges.post_dominate
        for i in range(len(nodes) - 1):
            a = ipdom[i]
            if a >= 0:
                ps.append(nodes[a])
                pd.append(nodes[i])
                pl.append(None)
        return unreachable

    def _emit_control_dependences(self, g: _MethodCfg) -> None:
        """CDG edges, labelled with the branch's CFG label."""
        nodes = g.nodes
        gs, gd, gl = self.edges.cdg
        for a, b, lab in control_dependences(g.labelled, g.ipdom):
            gs.append(nodes[a])
            gd.append(nodes[b])
            gl.append(lab)

    def _resolve_probes(self, m: _Method) -> list[tuple]:
        """Replace the probes in ``m``'s edges by their sources; return every edge as drawn:
        ``(src, dst, label, drawn source, ((region, kind) of each probe on the way))``."""
        probes = m.probes
        derivations = []
        edges = []
        for s, d, lab in m.edges:
            drawn, tags = s, ()
            while s < 0:
                s, region, kind = probes[-s - 1]
                tags += ((region, kind),)
            derivations.append((s, d, lab, drawn, tags))
            edges.append((s, d, lab))
        m.edges = edges
        return derivations

    def _emit_reaching_definitions(self, m: _Method, g: _MethodCfg, derivations=None) -> None:
        """REACHING_DEF edges from the CFG nodes' def/use events (over the CFG with its
        ``finally`` regions split by kind of entry, :func:`_split_regions`, when it has any)."""
        events = m.events
        rs, rd, rl = self.edges.reaching_def
        if m.regions:
            succ, evl, exc_pred = _split_regions(g, m.regions, derivations, events)
            pairs = dict.fromkeys(reaching_definitions(succ, evl, 0, exc_pred=exc_pred))
        else:
            evl = [events.get(nid) for nid in g.nodes]
            exc_pred = g.exception_predecessors() if m.raises else None
            pairs = reaching_definitions(g.succ, evl, 0, g.pred, g.rpo, exc_pred)
        for dn, un, var in pairs:
            rs.append(dn)
            rd.append(un)
            rl.append(var)

    # -- module -----------------------------------------------------------------------------

    def build(self, tree: ast.Module) -> ModuleBuild:
        """Build the module: its rows, edges and method rows.

        Examples
        --------
        >>> import ast
        >>> src = "def f(x):\\n    if x:\\n        return g(x)\\n"
        >>> b = Builder(src, "m", False, 10**6).build(ast.parse(src))
        >>> [r.full_name for r in b.method_rows]
        ['m.f', 'm.<module>']
        >>> b.edges.call.label, b.resolution_patch[len(b.rows) - 5]
        ([], 'unresolved')
        """
        self.future_ok = future_imports(tree.body)
        self._method(tree, None, 1, Subkind.MODULE, "<module>", None, code=None)
        check_nonlocals(self.nonlocals)
        self._resolve_calls()
        return ModuleBuild(
            self.rows,
            self._reachable(),
            self.name_patch,
            self.full_patch,
            self.res_patch,
            self.edges,
            self.method_rows,
        )

    def _reachable(self) -> list[bool]:
        """Per node: ``False`` under an unreachable root (rows are in pre-order, so a
        subtree is the run of rows after its root whose parent is in it)."""
        n = len(self.rows)
        reachable = [True] * n
        parent = [r[R_PARENT] for r in self.rows] if self.unreachable_roots else None
        for root in self.unreachable_roots:
            reachable[root] = False
            j = root + 1
            while j < n and parent[j] is not None and parent[j] >= root:
                reachable[j] = False
                j += 1
        return reachable

    # -- call resolution --------------------------------------------------------------------

    def _resolve_calls(self) -> None:
        """Resolve every call site: full name, resolution, CALL edge, methods' fan-out."""
        cs, cd, cl = self.edges.call
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
            rows = self.method_rows
            for i, row in enumerate(rows):
                callees = fan.get(row.id)
                if callees:
                    rows[i] = row._replace(fan_out=len(callees))


_COMP_SUBKINDS = frozenset(str(s) for s, _ in COMPREHENSIONS.values())


def _visitors(prefix: str) -> dict[type, Callable]:
    """``ast`` class -> the :class:`Builder` function ``<prefix><class name>``."""
    table = {}
    for name in dir(Builder):
        if name.startswith(prefix) and hasattr(ast, name[len(prefix) :]):
            table[getattr(ast, name[len(prefix) :])] = getattr(Builder, name)
    return table


#: ``ast`` statement class -> its visitor ``_s_<Class>``.
_STATEMENT_VISITORS = _visitors("_s_")
#: ``ast`` expression class -> its visitor: the generic one for the classes of
#: :data:`~.kinds.GENERIC_EXPRS`, else ``_x_<Class>``, and one for every comprehension.
_EXPRESSION_VISITORS = {
    **dict.fromkeys(GENERIC_EXPRS, Builder._x_generic),
    **_visitors("_x_"),
    **dict.fromkeys(COMPREHENSIONS, Builder._x_comprehension),
}
_GENEXP = str(Subkind.GENEXP)
_COMPREHENSION_SCOPE = ScopeKind.COMPREHENSION
_MODULE_SUB, _CLASS_SUB = str(Subkind.MODULE), str(Subkind.CLASS_BODY)
_COMP_NAMES = {
    str(Subkind.LISTCOMP): "list comprehension",
    str(Subkind.SETCOMP): "set comprehension",
    str(Subkind.DICTCOMP): "dict comprehension",
    str(Subkind.GENEXP): "generator expression",
}
_STARRED_TARGET = "starred assignment target must be in a list or tuple"
_STAR_JUMP = "'break', 'continue' and 'return' cannot appear in an except* block"


def _check_keywords(keywords: list[ast.keyword]) -> None:
    """A call names each keyword argument once."""
    seen = set()
    for kw in keywords:
        arg = kw.arg
        if arg is not None:
            if arg in seen:
                raise error(kw, f"keyword argument repeated: {arg}")
            if arg == "__debug__":
                raise error(kw, "cannot assign to __debug__")
            seen.add(arg)


def _split_regions(g: _MethodCfg, regions: list[_Region], derivations: list[tuple], events):
    """The CFG of ``g`` with each region copied once per kind of entry, innermost first:
    ``(successors, events, exception predecessors)`` of the copies, whose events are those of
    the node copied (so definitions and uses keep their node ids).

    An edge into a region's first node goes to the copies of the kinds its front item entered
    by; an edge leaving a region through a probe of it leaves only the copy of the probe's
    kind; every other edge is copied to every copy it touches.
    """
    index = g.index
    orig = list(range(len(g.nodes)))  # virtual node -> CFG index
    edges = [(index[s], index[d], lab, drawn, tags) for s, d, lab, drawn, tags in derivations]
    for r, region in enumerate(regions):
        inside = {index[nid] for nid in region.nodes}
        first = index[region.first]
        kinds = sorted({k for ks in region.entries.values() for k in ks}, key=str)
        copies: dict[int, dict] = {}
        for v in range(len(orig)):
            if orig[v] in inside:
                copy = {kinds[0]: v}
                for k in kinds[1:]:
                    copy[k] = len(orig)
                    orig.append(orig[v])
                copies[v] = copy
        split = []
        for vs, vd, lab, drawn, tags in edges:
            cs_, cd_ = copies.get(vs), copies.get(vd)
            if cs_ is None and cd_ is None:
                split.append((vs, vd, lab, drawn, tags))
            elif cs_ is not None and cd_ is not None:
                split.extend((cs_[k], cd_[k], lab, drawn, tags) for k in kinds)
            elif cd_ is not None:
                ks = region.entries.get((drawn, lab)) if orig[vd] == first else None
                split.extend((vs, cd_[k], lab, drawn, tags) for k in (ks or kinds))
            else:
                ks = [k for reg, k in tags if reg == r]
                if ks:  # a probe's way out: only for the kinds the region is entered by
                    split.extend((cs_[k], vd, lab, drawn, tags) for k in ks if k in cs_)
                else:
                    split.extend((cs_[k], vd, lab, drawn, tags) for k in kinds)
        edges = split
    n = len(orig)
    succ: list[list[int]] = [[] for _ in range(n)]
    exc_pred: list[list[int]] = [[] for _ in range(n)]
    for vs, vd, lab, _, _ in dict.fromkeys(edges):
        succ[vs].append(vd)
        if lab == _EXC:
            exc_pred[vd].append(vs)
    nodes = g.nodes
    return succ, [events.get(nodes[i]) for i in orig], exc_pred


def _bslice(line: str, start: int, end: int | None) -> str:
    """Slice a line by UTF-8 byte offsets (what ast reports) and decode."""
    return line.encode("utf-8", "surrogatepass")[start:end].decode("utf-8", "replace")


def _all_args(args: ast.arguments) -> Iterable[ast.arg]:
    """Every parameter, in the order of the signature."""
    yield from args.posonlyargs
    yield from args.args
    if args.vararg:
        yield args.vararg
    yield from args.kwonlyargs
    if args.kwarg:
        yield args.kwarg


def _params(args: ast.arguments):
    """Every parameter with its METHOD_PARAMETER_IN subkind, in the order of the signature."""
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


def _receiver_name(sub, args: ast.arguments | None) -> str | None:
    """The first positional parameter of a function (``self``/``cls`` in a method)."""
    if sub == Subkind.FUNCTION:
        positional = args.posonlyargs or args.args
        if positional:
            return positional[0].arg
    return None


def _irrefutable(p: ast.pattern) -> bool:
    """The pattern matches every subject (``case x``, ``case _``, an or of such)."""
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
    """The decisions the mccabe package counts in ``stmts`` (rules above)."""
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
