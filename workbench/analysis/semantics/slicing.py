"""Reachability over the system dependence graph: program slices and impact sets.

:func:`reach` is a breadth-first search from a set of statements, forward (what depends on
them: downstream) or backward (what they depend on: upstream), over chosen dependence kinds,
with a depth limit. It is context sensitive by default, as Horwitz, Reps & Binkley's
two-phase slicing: a backward search first climbs from callees to their callers (``call`` and
``param`` edges, never into callees through ``return`` edges); from everything it reached it
then descends into callees (``return``, ``call``, ``param``... never up again). So a slice
through a function does not leak into the other callers of that function. Forward search is
the mirror image. Each hit keeps the edge and the statement it was reached from, so the path
that connects it to the start is read back from the result (:func:`path_to`).

The search is vectorised per level over CSR arrays (one per direction and phase, built once
per graph).

Examples
--------
>>> import workbench as wb
>>> from workbench.analysis.tables import CodeTables
>>> from workbench.analysis.semantics.sdg import DependenceGraph
>>> src = "def g(a):\\n    return a + 1\\n\\ndef f(x):\\n    y = g(x)\\n    return y\\n"
>>> sdg = DependenceGraph(CodeTables.read(wb.build_cpg(src, path="m.py")))
>>> hits = program_slice(sdg, sdg.tables.find_module("m.py"), 6)  # what `return y` reads
>>> print(hits[hits.code.notna()][["line", "code", "depth", "edge"]].to_string(index=False))
 line         code  depth    edge
    1    def g(a):      2   scope
    1    def g(a):      3 control
    1            a      3    data
    2 return a + 1      2  return
    4    def f(x):      1 control
    4            x      2    data
    5     y = g(x)      1    data
    6     return y      0     NaN
>>> a = hits[hits.code == "a"].node.iloc[0]  # how g's parameter reaches it
>>> print(path_to(hits, a)[["line", "code", "edge"]].to_string(index=False))
 line         code   edge
    6     return y    NaN
    5     y = g(x)   data
    2 return a + 1 return
    1            a   data

The chain runs from the criterion backwards: ``return y`` reads ``y``, which ``g``'s return
gives, which reads the parameter ``a`` (descending into ``g``, phase 2, never up to the other
callers of ``g``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.analysis.semantics.sdg import (
    CALL,
    CONTROL,
    DATA,
    DEPENDENCES,
    PARAM,
    RETURN,
    SCOPE,
    DependenceGraph,
)
from workbench.analysis.tables import NODE_KINDS
from workbench.cpg.schema import NodeKind
from workbench.errors import WorkbenchError

__all__ = ["GROUPS", "Reach", "path_to", "program_slice", "reach"]

#: What ``over=`` may name: groups of dependence kinds.
GROUPS: dict[str, tuple[int, ...]] = {
    "data": (DATA, SCOPE, PARAM, RETURN),
    "control": (CONTROL,),
    "call": (CALL,),
}
_INTRA = (DATA, SCOPE, CONTROL)
#: direction -> (ascending kinds, descending kinds)
_CLIMB = {"backward": ((CALL, PARAM), (RETURN,)), "forward": ((RETURN,), (CALL, PARAM))}
_ALIASES = {"upstream": "backward", "downstream": "forward"}
_EXIT = NODE_KINDS.index(str(NodeKind.METHOD_RETURN))


@dataclass(frozen=True)
class Reach:
    """What a search reached: vertices, their depth, and how each was reached (the vertex
    before it on a shortest path, -1 for a start, and the edge's row in the graph)."""

    vertices: np.ndarray
    depth: np.ndarray
    parent: np.ndarray
    edge: np.ndarray


def reach(
    sdg: DependenceGraph,
    starts: Iterable[int],
    *,
    direction: str = "backward",
    over: Iterable[str] = ("data", "control", "call"),
    max_depth: int | None = None,
    context_sensitive: bool = True,
) -> Reach:
    """Vertices reachable from ``starts`` (vertex numbers) in the dependence graph.

    Parameters
    ----------
    direction : {"backward", "forward", "upstream", "downstream"}
        Backward (upstream) finds what the starts depend on; forward (downstream) what
        depends on them.
    over : iterable of {"data", "control", "call"}
        Dependences to follow: ``data`` (def-use, free names, arguments to parameters,
        return values), ``control`` and ``call`` (a call site runs its callee).
    max_depth : int, optional
        Stop after this many edges from a start.
    context_sensitive : bool
        Two-phase search (see the module docs); False follows every selected edge in one
        phase (callers of a function reached through it are reached too).
    """
    direction = _direction(direction)
    kinds = _kinds(over)
    bad = isinstance(max_depth, bool) or not isinstance(max_depth, int | np.integer)
    if max_depth is not None and (bad or max_depth < 0):
        raise WorkbenchError(f"max_depth must be a non-negative integer, not {max_depth!r}")
    starts = np.unique(np.asarray(list(starts), np.int64))
    n = len(sdg)
    if len(starts) and (starts.min() < 0 or starts.max() >= n):
        raise WorkbenchError(f"start vertices must be in 0..{n - 1}")
    asc, desc = _CLIMB[direction]
    if context_sensitive:
        one = _csr(sdg, direction, kinds & {*_INTRA, *asc})
        down = _csr(sdg, direction, kinds & set(desc))
        two = _csr(sdg, direction, kinds & {*_INTRA, *desc})
    else:
        one = _csr(sdg, direction, kinds)
        down = two = None
    state = _State.of(sdg)
    try:
        found = state.search(starts, one, down, two, max_depth)
    except BaseException:
        state.release(failed=True)
        raise
    state.release()
    return found


def frame(sdg: DependenceGraph, r: Reach, *, code: bool = True) -> pd.DataFrame:
    """A :class:`Reach` as a DataFrame, one row per statement, sorted by (path, line, id):
    ``node`` (global number), ``module``, ``path``, ``id``, ``kind``, ``line``, ``method``,
    ``code``, ``depth``, ``edge`` (the dependence it was reached over; None for a start),
    ``label`` (its variable or argument) and ``parent`` (the node it was reached from; -1
    for a start)."""
    nodes = sdg.node(r.vertices)
    out = sdg.tables.describe(nodes, code=code)
    out.insert(0, "node", nodes)
    out["depth"] = r.depth
    has = r.edge >= 0
    out["edge"] = [
        DEPENDENCES[sdg.kind[e]] if ok else None for e, ok in zip(r.edge, has, strict=False)
    ]
    out["label"] = [sdg.label[e] if ok else None for e, ok in zip(r.edge, has, strict=False)]
    out["parent"] = np.where(r.parent >= 0, sdg.node(np.maximum(r.parent, 0)), -1)
    out = out.sort_values(["path", "line", "id"], kind="stable", na_position="first")
    return out.reset_index(drop=True)


def path_to(hits: pd.DataFrame, node: int, direction: str | None = None) -> pd.DataFrame:
    """The chain of hits from a start to ``node`` (a value of the ``node`` column of
    :func:`frame`'s result), start first. A frame of both directions (a ``direction``
    column) needs ``direction=`` to say which search's chain."""
    if "direction" in hits.columns:
        ways = sorted(set(hits["direction"]))
        if direction is None and len(ways) > 1:
            raise WorkbenchError(
                f"these hits come from {' and '.join(ways)} searches: pass direction= "
                "to say which chain"
            )
        if direction is not None:
            if direction not in ways:
                raise WorkbenchError(f"direction must be one of {ways}, not {direction!r}")
            hits = hits[hits["direction"] == direction]
    by = hits.set_index("node", drop=False)
    if node not in by.index:
        raise WorkbenchError(f"node {node} is not among the hits")
    chain = []
    while node != -1 and len(chain) <= len(by):
        row = by.loc[node]
        chain.append(row)
        node = int(row["parent"])
    return pd.DataFrame(chain[::-1]).reset_index(drop=True)


def program_slice(
    sdg: DependenceGraph,
    module: int,
    line: int,
    *,
    direction: str = "backward",
    context_sensitive: bool = True,
    code: bool = True,
) -> pd.DataFrame:
    """The slice of the statements on a line: backward, every statement that may affect
    them; forward, every statement they may affect (data and control dependence,
    interprocedural through calls and returns)."""
    starts = statements_on_line(sdg, module, line)
    r = reach(sdg, starts, direction=direction, context_sensitive=context_sensitive)
    return frame(sdg, r, code=code)


def statements_on_line(sdg: DependenceGraph, module: int, line: int) -> np.ndarray:
    """The vertices of the statements that start on a line of a module (a compound
    statement's header counts; a method's entry and exit only when nothing else does)."""
    t = sdg.tables
    nodes = sdg.vertices
    hit = (t.node_module[nodes] == module) & (t.node_line[nodes] == line)
    entry_exit = (nodes == sdg.method_of) | (t.node_kind[nodes] == _EXIT)
    found = np.flatnonzero(hit & ~entry_exit)
    if not len(found):
        hit = (t.node_module[nodes] == module) & (t.node_line[nodes] == line)
        found = np.flatnonzero(hit)
    if not len(found):
        raise WorkbenchError(
            f"no statement starts on line {line} of {t.module_of_path().get(module, module)}"
        )
    return found


# -- the search ---------------------------------------------------------------------------


class _CSR:
    """Out-edges of every vertex over some dependence kinds, in one direction."""

    def __init__(self, n: int, frm: np.ndarray, to: np.ndarray, rows: np.ndarray) -> None:
        order = np.argsort(frm, kind="stable")
        self.to = to[order]
        self.rows = rows[order]
        self.indptr = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(frm, minlength=n), out=self.indptr[1:])

    def expand(self, frontier: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(neighbour, the frontier vertex it came from, edge row) of every out-edge."""
        lo = self.indptr[frontier]
        cnt = self.indptr[frontier + 1] - lo
        total = int(cnt.sum())
        if not total:
            empty = np.array([], np.int64)
            return empty, empty, empty
        which = np.repeat(np.arange(len(frontier)), cnt)
        pos = lo[which] + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        return self.to[pos], frontier[which], self.rows[pos]


class _State:
    """Per-vertex depth, parent and edge of both phases. The arrays are kept on the graph
    and only the entries a search touched are reset after it (a search touches few
    vertices; allocating or clearing all of them would cost more than the search). A
    search that finds them in use (another thread) gets arrays of its own."""

    def __init__(self, n: int) -> None:
        self.d1, self.d2, self.p1, self.p2, self.e1, self.e2 = (
            np.full(n, -1, np.int64) for _ in range(6)
        )
        self.touched: list[np.ndarray] = []
        self.lock = threading.Lock()

    @classmethod
    def of(cls, sdg: DependenceGraph) -> _State:
        state = sdg.__dict__.get("_search_state")
        if state is None:
            state = sdg.__dict__["_search_state"] = cls(len(sdg))
        if state.lock.acquire(blocking=False):
            return state
        own = cls(len(sdg))
        own.lock.acquire()
        return own

    def release(self, *, failed: bool = False) -> None:
        """Reset what the search touched (everything, when it was interrupted: a vertex
        may be marked and not yet listed) and let the next search use the arrays."""
        arrays = (self.d1, self.d2, self.p1, self.p2, self.e1, self.e2)
        if failed:
            for a in arrays:
                a.fill(-1)
        elif self.touched:
            seen = np.concatenate(self.touched)
            for a in arrays:
                a[seen] = -1
        self.touched.clear()
        self.lock.release()

    def search(self, starts, one, down, two, max_depth) -> Reach:
        """Phase 1 to its end, then phase 2 level by level: level ``L`` of phase 2 descends
        from the phase-1 vertices at depth ``L - 1`` and goes on from its own frontier,
        never into a vertex phase 1 reached (phase 1 reaches all phase 2 would from it).
        So each vertex keeps the depth and parent of one realizable chain, and that chain
        is a shortest one of its phase."""
        d1, d2, p1, p2, e1, e2 = self.d1, self.d2, self.p1, self.p2, self.e1, self.e2
        d1[starts] = 0
        self.touched.append(starts)
        levels = [starts]
        while len(levels[-1]) and (max_depth is None or len(levels) <= max_depth):
            nb, fr, ed = one.expand(levels[-1])
            new = _first_new(nb, fr, ed, d1, p1, e1, len(levels))
            self.touched.append(new)
            levels.append(new)
        if down is not None:
            f2 = np.array([], np.int64)
            level = 1
            while (level <= len(levels) or len(f2)) and (max_depth is None or level <= max_depth):
                parts = [two.expand(f2)]
                if level - 1 < len(levels):
                    parts.append(down.expand(levels[level - 1]))
                nb = np.concatenate([p[0] for p in parts])
                fr = np.concatenate([p[1] for p in parts])
                ed = np.concatenate([p[2] for p in parts])
                keep = d1[nb] < 0
                f2 = _first_new(nb[keep], fr[keep], ed[keep], d2, p2, e2, level)
                self.touched.append(f2)
                level += 1
        vertices = np.unique(np.concatenate(self.touched))
        one_ = d1[vertices] >= 0
        return Reach(
            vertices,
            np.where(one_, d1[vertices], d2[vertices]),
            np.where(one_, p1[vertices], p2[vertices]),
            np.where(one_, e1[vertices], e2[vertices]),
        )


def _csr(sdg: DependenceGraph, direction: str, kinds: set[int]) -> _CSR:
    cache = sdg.__dict__.setdefault("_csr", {})
    key = (direction, frozenset(kinds))
    if key not in cache:
        rows = np.flatnonzero(np.isin(sdg.kind, list(kinds)))
        frm, to = (sdg.src, sdg.dst) if direction == "forward" else (sdg.dst, sdg.src)
        cache[key] = _CSR(len(sdg), frm[rows], to[rows], rows)
    return cache[key]


def _first_new(nb, fr, ed, depth, parent, edge, level) -> np.ndarray:
    """Mark the neighbours not reached yet (the first edge to each wins) and return them."""
    fresh = depth[nb] < 0
    nb, fr, ed = nb[fresh], fr[fresh], ed[fresh]
    new, first = np.unique(nb, return_index=True)
    depth[new] = level
    parent[new] = fr[first]
    edge[new] = ed[first]
    return new


def _direction(direction: str) -> str:
    d = _ALIASES.get(direction, direction)
    if d not in _CLIMB:
        raise WorkbenchError(
            f"direction must be backward/upstream or forward/downstream, not {direction!r}"
        )
    return d


def _kinds(over: Iterable[str]) -> set[int]:
    if isinstance(over, str):
        over = (over,)
    if not isinstance(over, Iterable):
        raise WorkbenchError(f"over= names data, control or call (a list of them), not {over!r}")
    out: set[int] = set()
    for g in over:
        if g not in GROUPS:
            raise WorkbenchError(f"over= names data, control or call, not {g!r}")
        out.update(GROUPS[g])
    if not out:
        raise WorkbenchError("over= names no dependence to follow")
    return out
