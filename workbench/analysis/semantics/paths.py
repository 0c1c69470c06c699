"""Critical paths: the costliest execution path through a function, and the longest call
and data-dependency chains of a project.

A path's cost adds up its statements' costs. A statement costs ``1 + call_cost * calls``
(calls it makes, operators excluded), times ``loop_factor ** loop_depth`` (statements in
loops run many times). A function's path runs from its entry to its exit over the control
flow graph with loop back edges removed (each loop counted once: its body is costed by the
loop factor instead). Chains of the call graph cost the sum of their methods' cyclomatic
complexity; cycles (recursion) are condensed into one step each.

Examples
--------
>>> import workbench as wb
>>> from workbench.analysis.tables import CodeTables
>>> src = "def f(xs):\\n    t = 0\\n    for x in xs:\\n        t += g(x)\\n    return t\\n"
>>> t = CodeTables.read(wb.build_cpg(src, path="m.py"))
>>> p = costliest_path(t, "f")
>>> print(p[["line", "kind", "code", "loop_depth", "calls", "cost"]].to_string(index=False))
 line              kind         code  loop_depth  calls  cost
    1            METHOD   def f(xs):           0      0   1.0
    2              CALL        t = 0           0      0   1.0
    3        IDENTIFIER           xs           0      0   1.0
    3 CONTROL_STRUCTURE for x in xs:           1      0  10.0
    4              CALL    t += g(x)           1      1  20.0
    5            RETURN     return t           0      0   1.0
    5     METHOD_RETURN          NaN           0      0   1.0
>>> p.attrs["cost"]
35.0
"""

from __future__ import annotations

import heapq
import numbers
import weakref
from collections import defaultdict
from typing import ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from workbench.analysis.semantics.sdg import DATA, PARAM, RETURN, SCOPE, DependenceGraph, _nearest
from workbench.analysis.tables import NODE_KINDS, CodeTables
from workbench.cpg.schema import EdgeKind, NodeKind
from workbench.errors import WorkbenchError

__all__ = ["call_chain", "costliest_path", "critical_paths", "data_chain"]

_CALL = NODE_KINDS.index(str(NodeKind.CALL))
_METHOD = NODE_KINDS.index(str(NodeKind.METHOD))
_RETURN = NODE_KINDS.index(str(NodeKind.METHOD_RETURN))


def costliest_path(
    tables: CodeTables,
    method: str | int,
    *,
    module: str | int | None = None,
    loop_factor: float = 10.0,
    call_cost: float = 1.0,
) -> pd.DataFrame:
    """The costliest path from a function's entry to its exit, one row per statement:
    ``step``, ``node``, ``line``, ``kind``, ``code``, ``loop_depth``, ``calls``, ``cost``,
    ``cumulative``; ``attrs["cost"]`` is the total."""
    _check_factors(loop_factor, call_cost)
    m = tables.find_method(method, module)
    cfg = _CfgIndex.of(tables, call_cost)
    path, costs, depths = cfg.costliest(m, loop_factor)
    out = tables.describe(np.array(path, np.int64))
    out.insert(0, "step", np.arange(len(path)))
    out.insert(1, "node", path)
    out["loop_depth"] = depths
    out["calls"] = [cfg.calls.get(n, 0) for n in path]
    out["cost"] = costs
    out["cumulative"] = np.cumsum(costs)
    out.attrs["cost"] = float(sum(costs))
    return out


def critical_paths(
    tables: CodeTables,
    *,
    loop_factor: float = 10.0,
    call_cost: float = 1.0,
    top: int | None = None,
) -> pd.DataFrame:
    """Every function's costliest path in one table, costliest first: ``method`` (full
    name), ``module``, ``path``, ``line``, ``cost``, ``statements`` (on the path),
    ``loops`` (back edges), ``max_loop_depth``, ``calls`` (on the path); ``top`` keeps the
    first rows."""
    _check_factors(loop_factor, call_cost)
    _check_top(top)
    cfg = _CfgIndex.of(tables, call_cost)
    rows = []
    methods = tables.methods
    paths = tables.module_of_path()
    for g, full, mod, line in zip(
        methods["g"].to_pylist(),
        methods["full_name"].to_pylist(),
        methods["module"].to_pylist(),
        methods["line"].to_pylist(),
        strict=True,
    ):
        if g < 0:
            continue
        path, costs, depths = cfg.costliest(g, loop_factor)
        rows.append(
            {
                "method": full,
                "module": mod,
                "path": paths.get(mod),
                "line": line,
                "cost": float(sum(costs)),
                "statements": len(path),
                "loops": cfg.loops(g),
                "max_loop_depth": int(max(depths, default=0)),
                "calls": int(sum(cfg.calls.get(n, 0) for n in path)),
            }
        )
    cols = [
        "method",
        "module",
        "path",
        "line",
        "cost",
        "statements",
        "loops",
        "max_loop_depth",
        "calls",
    ]
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values(["cost", "method"], ascending=[False, True], kind="stable")
    out = out.reset_index(drop=True)
    return out.head(top) if top is not None else out


def call_chain(tables: CodeTables, *, weight: str = "complexity") -> pd.DataFrame:
    """The longest chain of calls in the project: one row per step, caller first:
    ``step``, ``method``, ``module``, ``path``, ``line``, ``cyclomatic``, ``cycle`` (the
    methods of a recursion condensed into this step, else empty), ``cumulative``.
    ``weight="complexity"`` sums cyclomatic complexity; ``"length"`` counts methods (a
    condensed recursion counts each of its methods)."""
    if weight not in ("complexity", "length"):
        raise WorkbenchError(f"weight must be 'complexity' or 'length', not {weight!r}")
    t = tables
    s, d, _ = t.edges_of(EdgeKind.CALL)
    caller = t.node_method[s]
    ok = t.node_kind[d] == _METHOD
    caller, callee = caller[ok], d[ok]
    methods = t.methods.to_pandas()
    methods = methods[methods["g"] >= 0].reset_index(drop=True)
    n = len(methods)
    index = np.full(len(t), -1, np.int64)
    index[methods["g"].to_numpy()] = np.arange(n)
    a, b = index[caller], index[callee]
    keep = (a >= 0) & (b >= 0)
    cost = (
        methods["cyclomatic"].to_numpy(np.float64)
        if weight == "complexity"
        else np.ones(n, np.float64)
    )
    _comp, members, chain = _condensed_longest(n, a[keep], b[keep], cost)
    recursive = set(a[keep][a[keep] == b[keep]].tolist())  # calls itself
    paths = t.module_of_path()
    rows, total = [], 0.0
    for step, c in enumerate(chain):
        group = members[c]
        head = group[0]
        total += float(cost[group].sum())
        rows.append(
            {
                "step": step,
                "method": methods["full_name"][head],
                "module": int(methods["module"][head]),
                "path": paths.get(int(methods["module"][head])),
                "line": methods["line"][head],
                "cyclomatic": int(methods["cyclomatic"][group].sum()),
                "cycle": (
                    sorted(methods["full_name"][group])
                    if len(group) > 1 or head in recursive
                    else []
                ),
                "cumulative": total,
            }
        )
    cols = ["step", "method", "module", "path", "line", "cyclomatic", "cycle", "cumulative"]
    return pd.DataFrame(rows, columns=cols)


def data_chain(sdg: DependenceGraph) -> pd.DataFrame:
    """The longest chain of data dependences (def-use, free names, and values through calls)
    in the project, one row per statement, first definition first; statements in a
    dependence cycle (a loop-carried variable, recursion) count once per cycle (``cycle``:
    how many statements the step condenses).

    Values go into callees (arguments to parameters) or come back out of them (return
    values): a call site is one statement for both, so following both ways at once would
    make every call a cycle. The chain is the longer of the two: ``attrs["through"]`` says
    which (``param`` or ``return``)."""
    n = len(sdg)
    best = None
    for through in (RETURN, PARAM):
        kinds = np.isin(sdg.kind, [DATA, SCOPE, through])
        _, members, chain = _condensed_longest(
            n, sdg.src[kinds], sdg.dst[kinds], np.ones(n, np.float64)
        )
        length = sum(len(members[c]) for c in chain)
        if best is None or length > best[0]:
            best = (length, members, chain, through)
    _, members, chain, through = best
    heads = [members[c][0] for c in chain]
    out = sdg.tables.describe(sdg.node(heads))
    out.insert(0, "step", np.arange(len(heads)))
    out.insert(1, "node", sdg.node(heads))
    out["cycle"] = [len(members[c]) for c in chain]
    out.attrs["through"] = "return" if through == RETURN else "param"
    return out


# -- helpers ---------------------------------------------------------------------------------


def _check_factors(loop_factor: float, call_cost: float) -> None:
    real = (numbers.Real,)
    if isinstance(loop_factor, bool) or not isinstance(loop_factor, real) or not loop_factor >= 1:
        raise WorkbenchError(f"loop_factor must be a number >= 1, not {loop_factor!r}")
    if isinstance(call_cost, bool) or not isinstance(call_cost, real) or not call_cost >= 0:
        raise WorkbenchError(f"call_cost must be a number >= 0, not {call_cost!r}")


def _check_top(top: int | None) -> None:
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, numbers.Integral) or top < 0
    ):
        raise WorkbenchError(f"top must be a non-negative integer or None, not {top!r}")


class _CfgIndex:
    """Every method's CFG as adjacency lists, and the calls each statement makes; made once
    per tables and call cost (:meth:`of`), as each method's loops are analysed once."""

    _made: ClassVar[weakref.WeakKeyDictionary] = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, t: CodeTables, call_cost: float) -> _CfgIndex:
        by_cost = cls._made.setdefault(t, {})
        if call_cost not in by_cost:
            by_cost[call_cost] = cls(t, call_cost)
        return by_cost[call_cost]

    def __init__(self, t: CodeTables, call_cost: float) -> None:
        s, d, _rows = t.edges_of(EdgeKind.CFG)
        self.succ: dict[int, list[int]] = defaultdict(list)
        for a, b in zip(s.tolist(), d.tolist(), strict=True):
            self.succ[a].append(b)
        self.exit: dict[int, int] = {}
        ret = np.flatnonzero(t.node_kind == _RETURN)
        for m, r in zip(t.node_method[ret].tolist(), ret.tolist(), strict=True):
            self.exit[m] = r
        # calls per statement: non-operator CALL nodes mapped to the CFG node holding them
        is_cfg = np.zeros(len(t), bool)
        is_cfg[s] = True
        is_cfg[d] = True

        holder = _nearest(is_cfg, t.node_parent)
        sub = t.nodes["subkind"].is_null().to_numpy(zero_copy_only=False)
        calls = np.flatnonzero((t.node_kind == _CALL) & sub)
        calls = holder[calls]
        calls = calls[calls >= 0]
        keys, counts = np.unique(calls, return_counts=True)
        self.calls = dict(zip(keys.tolist(), counts.tolist(), strict=True))
        self.call_cost = call_cost
        self._loops: dict[int, tuple] = {}

    def _analyse(
        self, entry: int
    ) -> tuple[list[int], set[tuple[int, int]], dict[int, int], dict[int, list[int]]]:
        """Topological order without back edges, the back edges, the loop depth of every
        node, and the edges that leave a loop from its last statement (a back edge goes on
        to where its loop exits, so each loop body is walked once)."""
        cache = self._loops
        if entry in cache:
            return cache[entry]
        order: list[int] = []
        back: set[tuple[int, int]] = set()
        state: dict[int, int] = {entry: 1}  # 1 on the stack, 2 done
        stack = [(entry, iter(self.succ.get(entry, ())))]
        while stack:
            node, it = stack[-1]
            for nxt in it:
                st = state.get(nxt)
                if st is None:
                    state[nxt] = 1
                    stack.append((nxt, iter(self.succ.get(nxt, ()))))
                    break
                if st == 1:
                    back.add((node, nxt))
            else:
                state[node] = 2
                order.append(node)
                stack.pop()
        order.reverse()  # reverse post-order: a topological order without back edges
        rank = {n: i for i, n in enumerate(order)}
        pred: dict[int, list[int]] = defaultdict(list)
        for a in order:
            for b in self.succ.get(a, ()):
                pred[b].append(a)
        # the natural loop of each header: what reaches one of its back edges' tails
        # without passing the header (back edges to one header make one loop)
        loops: dict[int, tuple[list[int], set[int]]] = {}
        for tail, header in sorted(back):
            tails, body = loops.setdefault(header, ([], {header}))
            tails.append(tail)
            todo = [tail]
            while todo:
                x = todo.pop()
                if x not in body:
                    body.add(x)
                    todo += pred.get(x, ())
        depth: dict[int, int] = dict.fromkeys(order, 0)
        for _, body in loops.values():
            for x in body:
                depth[x] += 1
        # outer loops first: an inner loop that exits by going round the outer one (its
        # header's edge back to the outer header) leaves where the outer loop leaves
        leave: dict[int, list[int]] = defaultdict(list)
        for header in sorted(loops, key=lambda h: (-len(loops[h][1]), h)):
            tails, body = loops[header]
            exits: list[int] = []
            for out in self.succ.get(header, ()):
                if out in body:
                    continue
                exits += leave.get(header, []) if (header, out) in back else [out]
            for tail in tails:
                leave[tail] += [x for x in exits if x not in leave[tail]]
        cache[entry] = (_kahn(order, rank, back, self.succ, leave), back, depth, leave)
        return cache[entry]

    def loops(self, entry: int) -> int:
        return len(self._analyse(entry)[1])

    def costliest(self, entry: int, loop_factor: float) -> tuple[list[int], list[float], list]:
        order, back, depth, leave = self._analyse(entry)
        cost = {
            n: (1 + self.call_cost * self.calls.get(n, 0)) * loop_factor ** depth[n] for n in order
        }
        best: dict[int, float] = {}
        prev: dict[int, int] = {}
        pos = {n: i for i, n in enumerate(order)}
        for n in order:
            if n == entry:
                best[n] = cost[n]
            if n not in best:
                continue
            for m in (*self.succ.get(n, ()), *leave.get(n, ())):
                if (n, m) in back or pos.get(m, -1) <= pos[n]:
                    continue  # only forward in the order: the path cannot loop
                c = best[n] + cost[m]
                if c > best.get(m, -1.0):
                    best[m], prev[m] = c, n
        end = self.exit.get(entry)
        if end not in best:  # no exit reached (an endless loop): the costliest node
            end = max(best, key=lambda k: (best[k], -k)) if best else entry
        path = [end]
        while path[-1] in prev:
            path.append(prev[path[-1]])
        path.reverse()
        return path, [float(cost.get(n, 1.0)) for n in path], [depth.get(n, 0) for n in path]


def _kahn(order, rank, back, succ, leave) -> list[int]:
    """A topological order of a CFG without its back edges and with the loop-leaving
    edges; reverse post-order breaks ties (and places what an irreducible loop leaves)."""
    out_edges = {
        n: [m for m in (*succ.get(n, ()), *leave.get(n, ())) if (n, m) not in back and m in rank]
        for n in order
    }
    indeg = dict.fromkeys(order, 0)
    for n in order:
        for m in out_edges[n]:
            indeg[m] += 1
    ready = [rank[n] for n in order if indeg[n] == 0]
    heapq.heapify(ready)
    out: list[int] = []
    while ready:
        n = order[heapq.heappop(ready)]
        out.append(n)
        for m in out_edges[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                heapq.heappush(ready, rank[m])
    if len(out) < len(order):  # a cycle left (irreducible flow): the rest in RPO
        seen = set(out)
        out += [n for n in order if n not in seen]
    return out


def _condensed_longest(
    n: int, src: np.ndarray, dst: np.ndarray, cost: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray], list[int]]:
    """Strongly connected components of a graph, and the costliest path of the condensed
    DAG (a component costs the sum of its members): component of each vertex, members of
    each component (sorted), and the path's components, first to last."""
    if n == 0:
        return np.array([], np.int64), [], []
    g = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    k, comp = connected_components(g, directed=True, connection="strong")
    order = np.argsort(comp, kind="stable")
    bounds = np.searchsorted(comp[order], np.arange(k + 1))
    members = [order[bounds[i] : bounds[i + 1]] for i in range(k)]
    w = np.bincount(comp, weights=cost, minlength=k)
    cs, cd = comp[src], comp[dst]
    cross = cs != cd
    cs, cd = cs[cross], cd[cross]
    pairs = np.unique(np.stack([cs, cd], 1), axis=0) if len(cs) else np.zeros((0, 2), np.int64)
    cs, cd = pairs[:, 0], pairs[:, 1]
    # longest path by Kahn layers: best[c] = w[c] + max(best of predecessors)
    indeg = np.bincount(cd, minlength=k)
    by_src = np.argsort(cs, kind="stable")
    cs_sorted, cd_sorted = cs[by_src], cd[by_src]
    starts = np.searchsorted(cs_sorted, np.arange(k + 1))
    best = w.astype(np.float64).copy()
    prev = np.full(k, -1, np.int64)
    frontier = np.flatnonzero(indeg == 0)
    while len(frontier):
        lo, hi = starts[frontier], starts[frontier + 1]
        cnt = hi - lo
        if not cnt.sum():
            break
        which = np.repeat(np.arange(len(frontier)), cnt)
        pos = lo[which] + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        a, b = cs_sorted[pos], cd_sorted[pos]
        cand = best[a] + w[b]
        # the best predecessor of each b in this layer (ties: the smallest component)
        o = np.lexsort((a, -cand, b))
        b_o, a_o, c_o = b[o], a[o], cand[o]
        first = np.r_[True, b_o[1:] != b_o[:-1]]
        b1, a1, c1 = b_o[first], a_o[first], c_o[first]
        upd = c1 > best[b1]
        best[b1[upd]] = c1[upd]
        prev[b1[upd]] = a1[upd]
        np.subtract.at(indeg, b, 1)
        frontier = np.unique(b[indeg[b] == 0])
    end = int(np.lexsort((np.arange(k), -best))[0])
    chain = [end]
    while prev[chain[-1]] >= 0:
        chain.append(int(prev[chain[-1]]))
    chain.reverse()
    return comp, members, chain
