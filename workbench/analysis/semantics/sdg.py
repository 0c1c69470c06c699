"""The system dependence graph: statements and what they depend on, across calls.

A :class:`DependenceGraph` is the program dependence graph (Ferrante, Ottenstein & Warren)
of every method, joined at call sites as in Horwitz, Reps & Binkley's system dependence
graph. Its vertices are the CPG's statements: CFG nodes (statements, branch conditions,
a method's entry and exit) and formal parameters; every other node belongs to the statement
that holds it in the syntax tree (:attr:`DependenceGraph.stmt`). An edge ``a -> b`` says
``b`` depends on ``a``:

========= ==================================================================================
kind      edge
========= ==================================================================================
data      a definition reaches a use (``REACHING_DEF``; label: the variable); a ``for``'s
          iterable, a ``with``'s context manager, a ``match``'s subject and what raises
          into an ``except ... as`` reach the statement that binds from them
scope     a name read in a function where it is free (a global, a closure variable) from the
          statements of the enclosing scope that bind it (label: the name)
control   a branch decides whether ``b`` runs (``CDG``); a method's entry controls the
          statements no branch controls, and its formal parameters
call      a call site runs the callee (callee's entry); comprehensions (generator expressions
          too) run where written
param     a call site passes an argument to a formal parameter (label: position/keyword;
          ``*2``: a starred argument at position 2, which may bind any later parameter)
return    a callee's ``return`` statement gives the call site its value
========= ==================================================================================

The statement level is coarse on purpose: everything a statement reads flows to everything
it writes, which also stands in for HRB's summary edges (the arguments of a call flow to its
result). Data that goes through the heap (attributes, containers) or through globals assigned
in functions is not followed; see ``docs/semantics.md``.

Examples
--------
>>> import workbench as wb
>>> from workbench.analysis.tables import CodeTables
>>> src = "def g(a):\\n    return a + 1\\n\\ndef f(x):\\n    y = g(x)\\n    return y\\n"
>>> sdg = DependenceGraph(CodeTables.read(wb.build_cpg(src, path="m.py")))
>>> sdg
<DependenceGraph: 13 statements, 17 edges>
>>> sorted(sdg.edge_counts().items())
[('call', 1), ('control', 10), ('data', 3), ('param', 1), ('return', 1), ('scope', 1)]
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.analysis.tables import NODE_KINDS, CodeTables
from workbench.cpg.schema import EdgeKind, NodeKind, Resolution, Subkind

__all__ = ["DEPENDENCES", "DependenceGraph"]

#: Edge kinds of the dependence graph, in code order.
DEPENDENCES = ("data", "scope", "control", "call", "param", "return")
DATA, SCOPE, CONTROL, CALL, PARAM, RETURN = range(len(DEPENDENCES))

_K = {k: NODE_KINDS.index(str(k)) for k in NodeKind}
_POSITIONAL = (str(Subkind.POSITIONAL_ONLY), str(Subkind.POSITIONAL))
#: Comprehensions: they run where they are written (a generator expression's values reach
#: whoever consumes the generator the statement makes: that statement stands for them).
_RUN_IN_PLACE = tuple(
    str(s) for s in (Subkind.LISTCOMP, Subkind.SETCOMP, Subkind.DICTCOMP, Subkind.GENEXP)
)
_BINDING = {str(Resolution.CLASS), str(Resolution.METHOD)}


class DependenceGraph:
    """The statement-level system dependence graph of a program.

    Parameters
    ----------
    tables : CodeTables
        The program (:meth:`CodeTables.read`).

    Attributes
    ----------
    vertices : numpy.ndarray
        Global node numbers of the statements, sorted; vertex ``v`` is node ``vertices[v]``.
    stmt : numpy.ndarray
        For every CPG node, the vertex of the statement holding it (-1 for none).
    src, dst, kind : numpy.ndarray
        The edges over vertex numbers and their kinds (codes into :data:`DEPENDENCES`).
    label : list
        Each edge's label (variable, argument position) or None.
    """

    def __init__(self, tables: CodeTables) -> None:
        self.tables = tables
        kind = tables.node_kind
        cfg_s, cfg_d, _ = tables.edges_of(EdgeKind.CFG)
        is_vertex = np.zeros(len(tables), bool)
        is_vertex[cfg_s] = True
        is_vertex[cfg_d] = True
        is_vertex |= kind == _K[NodeKind.METHOD]
        is_vertex |= kind == _K[NodeKind.METHOD_PARAMETER_IN]
        self.vertices = np.flatnonzero(is_vertex)
        self._vindex = np.full(len(tables), -1, np.int64)
        self._vindex[self.vertices] = np.arange(len(self.vertices))
        near = _nearest(is_vertex, tables.node_parent)
        self.stmt = np.where(near >= 0, self._vindex[near], -1)
        parts = [self._data(), self._scope(), self._control(), *self._calls()]
        src = np.concatenate([p[0] for p in parts])
        dst = np.concatenate([p[1] for p in parts])
        knd = np.concatenate([np.full(len(p[0]), p[2], np.int8) for p in parts])
        lab: list[str | None] = [x for p in parts for x in p[3]]
        keep = (src >= 0) & (dst >= 0) & (src != dst)
        # one edge per (src, dst, kind, label)
        frame = pd.DataFrame({"src": src[keep], "dst": dst[keep], "kind": knd[keep]}).assign(
            label=pd.Series([lab[i] for i in np.flatnonzero(keep)], dtype=object)
        )
        frame = frame.drop_duplicates(["src", "dst", "kind", "label"])
        frame = frame.sort_values(
            ["src", "dst", "kind", "label"], kind="stable", na_position="first"
        )
        self.src = frame["src"].to_numpy(np.int64)
        self.dst = frame["dst"].to_numpy(np.int64)
        self.kind = frame["kind"].to_numpy(np.int8)
        self.label: list[str | None] = frame["label"].tolist()

    def __repr__(self) -> str:
        return f"<DependenceGraph: {len(self.vertices)} statements, {len(self.src)} edges>"

    def __len__(self) -> int:
        return len(self.vertices)

    # -- lookups -----------------------------------------------------------------------------

    def vertex(self, nodes) -> np.ndarray:
        """The statement vertices of some CPG nodes (global numbers); -1 where none."""
        return self.stmt[np.asarray(nodes, np.int64)]

    def node(self, vertices) -> np.ndarray:
        """The CPG nodes (global numbers) of some vertices."""
        return self.vertices[np.asarray(vertices, np.int64)]

    def edge_counts(self) -> dict[str, int]:
        """How many edges of each kind."""
        kinds, counts = np.unique(self.kind, return_counts=True)
        return {DEPENDENCES[k]: int(c) for k, c in zip(kinds, counts, strict=True)}

    @cached_property
    def assigned(self) -> np.ndarray:
        """For every CPG node, whether it is a name a statement binds (assignment, augmented
        assignment, ``for``/``with`` target, walrus, unpacking, ``del``): the store targets
        the function summaries find."""
        from workbench.analysis.semantics.summaries import _index

        return _index(self.tables).targets[0] & (self.tables.node_kind == _K[NodeKind.IDENTIFIER])

    @cached_property
    def method_of(self) -> np.ndarray:
        """The METHOD node (global number) of each vertex."""
        return self.tables.node_method[self.vertices]

    def to_networkx(self):
        """A ``networkx.MultiDiGraph`` over vertex numbers: node attributes ``node`` (the CPG
        node's global number), edge attributes ``kind`` and ``label``."""
        import networkx as nx

        g = nx.MultiDiGraph()
        g.add_nodes_from((v, {"node": int(n)}) for v, n in enumerate(self.vertices))
        g.add_edges_from(
            (int(s), int(d), {"kind": DEPENDENCES[k], "label": lab})
            for s, d, k, lab in zip(self.src, self.dst, self.kind, self.label, strict=True)
        )
        return g

    # -- building ----------------------------------------------------------------------------

    def _data(self):
        t = self.tables
        s, d, rows = t.edges_of(EdgeKind.REACHING_DEF)
        # what a compound statement binds comes from the expression its header evaluates as
        # a statement of its own: a `for`'s iterable (and a `with`'s context managers) to
        # the header that binds the target, a `match`'s subject to every `case`
        kind, sub = t.node_kind, t.nodes["subkind"]
        parent = t.node_parent
        vertex = self.vertices
        up = parent[vertex]
        has = up >= 0
        is_cs = kind == _K[NodeKind.CONTROL_STRUCTURE]
        header = is_cs & _among(sub, (str(Subkind.FOR), str(Subkind.WITH)))
        match = is_cs & _equal(sub, Subkind.MATCH)
        case = is_cs & _equal(sub, Subkind.CASE)
        src, dst = [self.stmt[s]], [self.stmt[d]]
        v = vertex[has]
        p = up[has]
        into = header[p] & (self._vindex[p] >= 0)
        src.append(self._vindex[v[into]])
        dst.append(self._vindex[p[into]])
        subject = match[p] & ~case[v]
        if subject.any():
            cases = np.flatnonzero(case & (parent >= 0))
            by_match = pd.DataFrame({"m": parent[cases], "c": self._vindex[cases]})
            subj = pd.DataFrame({"m": p[subject], "s": self._vindex[v[subject]]})
            pairs = subj.merge(by_match, on="m")
            src.append(pairs["s"].to_numpy(np.int64))
            dst.append(pairs["c"].to_numpy(np.int64))
        # `except E as name:` binds what the statements that raise into it raised
        cs, cd, crows = t.edges_of(EdgeKind.CFG)
        raising = np.asarray(t.labels(crows), object) == "exception"
        binds = (
            is_cs
            & _equal(sub, Subkind.EXCEPT)
            & pc.is_valid(t.nodes["name"]).to_numpy(zero_copy_only=False)
        )
        hit = raising & binds[cd]
        src.append(self.stmt[cs[hit]])
        dst.append(self.stmt[cd[hit]])
        labels = t.labels(rows) + [None] * sum(len(x) for x in src[1:])
        return np.concatenate(src), np.concatenate(dst), DATA, labels

    def _control(self):
        t = self.tables
        s, d, rows = t.edges_of(EdgeKind.CDG)
        vs, vd = self.stmt[s], self.stmt[d]
        controlled = np.zeros(len(self.vertices), bool)
        controlled[vd[(vd >= 0) & (vs != vd)]] = True  # a loop header controls itself too
        # the entry controls what no branch does (formal parameters included)
        nodes = self.vertices
        method = t.node_method[nodes]
        free = ~controlled & (nodes != method)
        es = self._vindex[method[free]]
        ed = np.flatnonzero(free)
        labels = [x for x in t.labels(rows)] + [None] * len(ed)
        return np.concatenate([vs, es]), np.concatenate([vd, ed]), CONTROL, labels

    def _scope(self):
        """Free names read in a function, from the statements of the nearest enclosing
        scope that binds them."""
        t = self.tables
        kind = t.node_kind
        names = t.nodes["name"]
        rd_s, rd_d, _ = t.edges_of(EdgeKind.REACHING_DEF)
        has_def = np.zeros(len(t), bool)
        has_def[rd_d] = True
        is_def = np.zeros(len(t), bool)
        is_def[rd_s] = True
        ident = kind == _K[NodeKind.IDENTIFIER]
        # module-level and enclosing-scope bindings: defs with uses, def/class/import
        # statements, and assignment targets whose value nobody reads in their own scope
        binders = is_def & ident
        binders |= kind == _K[NodeKind.METHOD_REF]
        binders |= kind == _K[NodeKind.TYPE_DECL]
        binders |= (kind == _K[NodeKind.IMPORT]) & _equal(t.nodes["subkind"], Subkind.ALIAS)
        binders |= ident & self.assigned
        binders |= kind == _K[NodeKind.METHOD_PARAMETER_IN]
        reads = ident & ~has_def & ~is_def & ~self.assigned
        method = t.node_method
        enclosing = _enclosing_scope(t)
        bind = pd.DataFrame(
            {"m": method[binders], "name": _take(names, binders), "s": self.stmt[binders]}
        ).dropna()
        bind = bind[bind.s >= 0].drop_duplicates()
        use = pd.DataFrame({"m": method[reads], "name": _take(names, reads)})
        use["u"] = self.stmt[reads]
        use = use.dropna()
        use["scope"] = enclosing[use["m"].to_numpy()]
        found = []
        while True:  # one scope out per round, until every read is bound or at the module
            use = use[use["scope"] >= 0]
            if use.empty:
                break
            hit = use.merge(bind, left_on=["scope", "name"], right_on=["m", "name"])
            found.append(hit[["s", "u", "name"]])
            done = hit[["u", "name"]].drop_duplicates()
            use = use.merge(done, on=["u", "name"], how="left", indicator=True)
            use = use[use["_merge"] == "left_only"].drop(columns="_merge")
            use["scope"] = enclosing[use["scope"].to_numpy()]
        if not found:
            return np.array([], np.int64), np.array([], np.int64), SCOPE, []
        out = pd.concat(found)
        return out["s"].to_numpy(), out["u"].to_numpy(), SCOPE, out["name"].tolist()

    def _calls(self):
        """call, param and return edges of every CALL edge, and of comprehensions (run
        where they are written)."""
        t = self.tables
        cs, cm, rows = t.edges_of(EdgeKind.CALL)
        resolution = t.labels(rows)
        is_method = t.node_kind[cm] == _K[NodeKind.METHOD]
        cs, cm = cs[is_method], cm[is_method]
        resolution = [r for r, ok in zip(resolution, is_method, strict=True) if ok]
        site_stmt = self.stmt[cs]
        # comprehensions: the statement holding the METHOD_REF runs them
        subkind = t.nodes["subkind"]
        comp = np.flatnonzero((t.node_kind == _K[NodeKind.METHOD]) & _among(subkind, _RUN_IN_PLACE))
        comp = comp[t.node_parent[comp] >= 0]
        comp_site = self.stmt[t.node_parent[comp]]
        call = (np.concatenate([site_stmt, comp_site]), self._vindex[np.concatenate([cm, comp])])
        params = self._params()
        ps, pd_, plab = self._bind_arguments(cs, cm, resolution, params)
        # return: the callee's return statements (a lambda's or comprehension's every
        # statement) -> the call site's statement
        rets = self._returns()
        rs, rd = [], []
        for site, m in zip(call[0].tolist(), np.concatenate([cm, comp]).tolist(), strict=True):
            for r in rets.get(m, ()):
                rs.append(r)
                rd.append(site)
        return (
            (call[0], call[1], CALL, [None] * len(call[0])),
            (ps, pd_, PARAM, plab),
            (np.array(rs, np.int64), np.array(rd, np.int64), RETURN, [None] * len(rs)),
        )

    def _params(self) -> dict[int, list[tuple[str, str, int]]]:
        """METHOD node -> its formal parameters: (subkind, name, vertex), in order."""
        t = self.tables
        p = np.flatnonzero(t.node_kind == _K[NodeKind.METHOD_PARAMETER_IN])
        rows = t.nodes.select(["subkind", "name", "order"]).take(pa.array(p, pa.int64()))
        out: dict[int, list[tuple[int, str, str, int]]] = defaultdict(list)
        for g, m, sk, nm, o in zip(
            p.tolist(),
            t.node_method[p].tolist(),
            rows["subkind"].to_pylist(),
            rows["name"].to_pylist(),
            rows["order"].to_pylist(),
            strict=True,
        ):
            out[m].append((o or 0, sk, nm, int(self._vindex[g])))
        return {m: [(sk, nm, v) for _, sk, nm, v in sorted(ps)] for m, ps in out.items()}

    def _bind_arguments(self, sites, callees, resolution, params):
        """param edges: each argument of a call to the formal parameter it binds (all of
        them when it cannot tell: ``*args``, ``**kwargs``)."""
        t = self.tables
        a_s, a_d, a_rows = t.edges_of(EdgeKind.ARGUMENT)
        starred = _among(t.nodes["name"], ("<operator>.starred",))[a_d]
        args: dict[int, list[str | None]] = defaultdict(list)
        for s, lab, star in zip(a_s.tolist(), t.labels(a_rows), starred.tolist(), strict=True):
            args[s].append(f"*{lab}" if star else lab)
        r_s, _, _ = t.edges_of(EdgeKind.RECEIVER)
        receiver = set(r_s.tolist())
        in_class = _in_class_body(t)
        src, dst, lab = [], [], []
        for site, m, res in zip(sites.tolist(), callees.tolist(), resolution, strict=True):
            formals = params.get(m, [])
            if not formals:
                continue
            stmt = int(self.stmt[site])
            positional = [f for f in formals if f[0] in _POSITIONAL]
            by_name = {f[1]: f for f in formals if f[0] in (*_POSITIONAL, Subkind.KEYWORD_ONLY)}
            vararg = [f for f in formals if f[0] == Subkind.VARARG]
            kwarg = [f for f in formals if f[0] == Subkind.KWARG]
            bound = in_class[m] and (res in _BINDING or site in receiver)
            if bound and positional:
                src.append(stmt), dst.append(positional[0][2]), lab.append("self")
                positional = positional[1:]
            for a in args.get(site, ()):
                if a is not None and a.isdigit():
                    i = int(a) - 1
                    hit = [positional[i]] if i < len(positional) else vararg
                elif a is not None and a[1:].isdigit():  # f(x, *xs): xs from position 2 on
                    hit = positional[int(a[1:]) - 1 :] + vararg
                elif a and a not in ("*", "**") and not a.startswith("*"):
                    hit = [by_name[a]] if a in by_name else kwarg
                else:  # *args / **kwargs at the call: any parameter
                    hit = formals
                for f in hit:
                    src.append(stmt), dst.append(f[2]), lab.append(a)
        return np.array(src, np.int64), np.array(dst, np.int64), lab

    def _returns(self) -> dict[int, list[int]]:
        """METHOD node -> the vertices whose value it returns."""
        t = self.tables
        out: dict[int, list[int]] = defaultdict(list)
        ret = np.flatnonzero(t.node_kind == _K[NodeKind.RETURN])
        for m, v in zip(t.node_method[ret].tolist(), self.stmt[ret].tolist(), strict=True):
            out[m].append(v)
        # lambdas and comprehensions: every statement but the entry gives the value
        lam = _among(t.nodes["subkind"], (str(Subkind.LAMBDA), *_RUN_IN_PLACE))
        lam &= t.node_kind == _K[NodeKind.METHOD]
        owners = set(np.flatnonzero(lam).tolist())
        if owners:
            vm = self.method_of
            for v in np.flatnonzero(np.isin(vm, list(owners))).tolist():
                if self.vertices[v] != vm[v]:
                    out[int(vm[v])].append(v)
        return out


# -- helpers ---------------------------------------------------------------------------------


def _nearest(flag: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """For every node, the nearest ancestor-or-self with ``flag`` (-1 for none), by pointer
    jumping over the parent array."""
    out = np.where(flag, np.arange(len(flag)), -1)
    up = parent.copy()
    todo = np.flatnonzero(out < 0)
    while len(todo):
        p = up[todo]
        root = p < 0
        todo = todo[~root]
        p = p[~root]
        found = out[p] >= 0
        out[todo[found]] = out[p[found]]
        todo, p = todo[~found], p[~found]
        up[todo] = up[p]
    return out


def _among(col, values) -> np.ndarray:
    """Whether each value of an Arrow string column is one of ``values``."""
    hit = pc.is_in(col, value_set=pa.array(list(values), pa.string()))
    return pc.fill_null(hit, False).to_numpy(zero_copy_only=False)


def _equal(col, value) -> np.ndarray:
    return pc.fill_null(pc.equal(col, str(value)), False).to_numpy(zero_copy_only=False)


def _take(col, mask: np.ndarray) -> list:
    return col.filter(pa.array(mask)).to_pylist()


def _enclosing_method(t: CodeTables) -> np.ndarray:
    """For every node that is a METHOD, the METHOD enclosing it (-1 for a module); -1
    elsewhere."""
    out = np.full(len(t), -1, np.int64)
    m = np.flatnonzero(t.node_kind == _K[NodeKind.METHOD])
    p = t.node_parent[m]
    ok = p >= 0
    out[m[ok]] = t.node_method[p[ok]]
    return out


def _enclosing_scope(t: CodeTables) -> np.ndarray:
    """For every METHOD node, the scope its free names are looked up in: the enclosing
    method, class bodies skipped (a function in a class does not see the class's names)."""
    out = _enclosing_method(t)
    body = _equal(t.nodes["subkind"], Subkind.CLASS_BODY)
    todo = np.flatnonzero((out >= 0) & body[np.maximum(out, 0)])
    while len(todo):
        out[todo] = out[out[todo]]
        todo = todo[(out[todo] >= 0) & body[np.maximum(out[todo], 0)]]
    return out


def _in_class_body(t: CodeTables) -> np.ndarray:
    """Whether each METHOD node is defined directly in a class body."""
    enclosing = _enclosing_method(t)
    body = _equal(t.nodes["subkind"], Subkind.CLASS_BODY)
    out = np.zeros(len(t), bool)
    ok = enclosing >= 0
    out[ok] = body[enclosing[ok]]
    return out
