"""Graph algorithms of the CPGMath layer: pure functions of a networkx graph, answers as frames.

Conventions shared by every function here:

- **Nodes are the dense integers** ``0 .. n-1`` (a frontend's or a store's node ids mapped to
  positions by the caller); any other node raises :class:`~workbench.errors.AlgorithmError`.
  Graphs are directed (``nx.DiGraph``) unless a function says it also takes an ``nx.Graph``.
- **Weights** are the float edge attribute ``weight`` (a missing one counts as 1.0) where a
  function takes a ``weight`` parameter; ``weight=None`` counts every edge as 1.
- **Answers are pandas DataFrames**, deterministic: rows sorted (by node unless said), ties
  broken by node id, random choices seeded (``seed=0``). Nothing mutates the graph.
- **Errors** are :class:`~workbench.errors.AlgorithmError` (a ``ValueError``) for parameters the
  algorithm cannot answer (unknown node, bad ``k``, unknown backend...);
  :class:`~workbench.errors.CycleError` and :class:`~workbench.errors.NegativeCycleError`
  carry the offending cycle (first node repeated at the end).
- **Backends**: the computations are networkx's own; ``backend="auto"`` runs rustworkx instead
  for exact unweighted betweenness, closeness, pagerank and strongly connected components on
  graphs of more than :data:`~workbench.analysis.backend.RUSTWORKX_MIN_NODES` nodes
  (:mod:`workbench.analysis.backend`). Both give the same numbers within 1e-9, pagerank within
  1e-6 per node (two power iterations stopped at the same ``tol``).

Examples
--------
>>> import networkx as nx
>>> g = nx.DiGraph([(0, 1), (1, 2), (2, 1), (2, 3)])
>>> strongly_connected_components(g)
   node  component  size
0     0          0     1
1     1          1     2
2     2          1     2
3     3          2     1
>>> natural_loops(g, 0)[["header", "body", "depth"]]
   header    body  depth
0       1  [1, 2]      1
"""

from __future__ import annotations

import math
import numbers
import random
import threading
import weakref
from collections.abc import Iterable

import networkx as nx
import pandas as pd

from workbench.analysis.backend import choose_backend, to_igraph, to_rustworkx
from workbench.errors import AlgorithmError, CycleError, NegativeCycleError

__all__ = [
    "betweenness",
    "closeness",
    "condensation",
    "cyclomatic_complexity",
    "degree",
    "density",
    "diameter",
    "dominance_frontiers",
    "dominators",
    "eigenvector",
    "k_hop",
    "label_propagation",
    "loop_nesting",
    "louvain",
    "natural_loops",
    "pagerank",
    "reach",
    "shortest_paths",
    "simple_paths",
    "strongly_connected_components",
    "topological_order",
]

#: ``parent`` of an outermost loop, ``idom`` of the entry, ``innermost_header`` outside loops.
NONE = -1


# --------------------------------------------------------------------------------------------
# Paths


def shortest_paths(
    g: nx.Graph,
    source: int,
    target: int | None = None,
    *,
    weight: str | None = "weight",
    method: str = "dijkstra",
) -> pd.DataFrame:
    """Shortest paths from ``source`` to every node it reaches, or to ``target``.

    Parameters
    ----------
    g
        A directed or undirected graph.
    source, target
        Nodes of ``g``; ``target=None`` for every reachable node.
    weight
        Edge attribute of the lengths (missing: 1.0); ``None`` counts hops.
    method
        ``"dijkstra"`` (non-negative weights) or ``"bellman-ford"`` (negative weights allowed,
        no negative cycle reachable from ``source``).

    Returns
    -------
    DataFrame
        ``target, distance, hops, path``, one row per reachable target sorted by target
        (``source`` itself at distance 0). Unreachable targets are left out, so with
        ``target`` given the frame has one row, or none when ``target`` is unreachable. Among
        equally short paths, ``path`` is the one networkx finds first.

    Raises
    ------
    AlgorithmError
        Unknown node or method; a negative weight with ``"dijkstra"``.
    NegativeCycleError
        ``"bellman-ford"`` and a negative cycle reachable from ``source``.

    Examples
    --------
    >>> g = nx.DiGraph()
    >>> g.add_weighted_edges_from([(0, 1, 1.0), (1, 2, 1.0), (0, 2, 5.0)])
    >>> shortest_paths(g, 0)
       target  distance  hops       path
    0       0       0.0     0        [0]
    1       1       1.0     1     [0, 1]
    2       2       2.0     2  [0, 1, 2]
    >>> shortest_paths(g, 2, 0).empty
    True
    """
    name = "shortest_paths"
    _check_graph(g, name)
    _check_node(g, source, name, "source")
    if target is not None:
        _check_node(g, target, name, "target")
    if method == "dijkstra":
        _check_nonnegative(g, weight, name, "use method='bellman-ford' for negative weights")
        run = nx.single_source_dijkstra
    elif method == "bellman-ford":
        run = nx.single_source_bellman_ford
    else:
        raise AlgorithmError(f"{name}: unknown method {method!r}: use 'dijkstra' or 'bellman-ford'")
    try:
        if target is None:
            dist, paths = run(g, source, weight=weight)
        else:
            d, p = run(g, source, target, weight=weight)
            dist, paths = {target: d}, {target: p}
    except nx.NetworkXNoPath:
        dist, paths = {}, {}
    except nx.NetworkXUnbounded:
        cycle = nx.find_negative_cycle(g, source, weight=weight)
        raise NegativeCycleError(
            f"{name}: the negative cycle {cycle} is reachable from {source}: distances through "
            "it are unbounded; change its weights or remove one of its edges",
            cycle,
        ) from None
    targets = sorted(dist)
    return _frame(
        {
            "target": (targets, "int64"),
            "distance": ([dist[t] for t in targets], "float64"),
            "hops": ([len(paths[t]) - 1 for t in targets], "int64"),
            "path": ([list(paths[t]) for t in targets], "object"),
        }
    )


#: Paths :func:`simple_paths` looks at beyond ``max_paths`` when they tie in length with the
#: last one kept (Yen's algorithm gives equally long paths in no lexicographic order).
PATH_TIES = 64


def simple_paths(
    g: nx.Graph,
    source: int,
    target: int,
    *,
    max_paths: int = 100,
    max_depth: int | None = None,
) -> pd.DataFrame:
    """Simple paths (no repeated node) from ``source`` to ``target``, shortest first.

    Paths come from networkx's ``shortest_simple_paths`` (Yen's algorithm, in order of
    length) run on a copy of the graph with nodes and edges added in sorted order, so the frame
    depends only on the graph, not on the order its edges were added. The work is bounded by
    ``max_paths`` + :data:`PATH_TIES` paths: the first ``max_paths`` paths Yen's algorithm
    gives and up to ``PATH_TIES`` more of the same length as the last of them, sorted by
    length and lexicographically, then cut (so the paths kept are the lexicographically
    first of their length whenever fewer than ``PATH_TIES`` more are tied at the cut).

    Parameters
    ----------
    g
        A directed or undirected graph.
    source, target
        Nodes of ``g``; ``source == target`` gives the one path ``[source]``.
    max_paths
        At most this many paths (at least 1).
    max_depth
        Only paths of at most this many edges; ``None``: no limit.

    Returns
    -------
    DataFrame
        ``path_index, length, path`` (``length`` in edges). ``df.attrs["truncated"]`` is True
        when ``max_paths`` or ``max_depth`` left out at least one simple path.

    Examples
    --------
    >>> g = nx.DiGraph([(0, 1), (1, 2), (0, 2)])
    >>> simple_paths(g, 0, 2)
       path_index  length       path
    0           0       1     [0, 2]
    1           1       2  [0, 1, 2]
    >>> df = simple_paths(g, 0, 2, max_paths=1)
    >>> df.path.tolist(), df.attrs["truncated"]
    ([[0, 2]], True)
    """
    name = "simple_paths"
    _check_graph(g, name)
    _check_node(g, source, name, "source")
    _check_node(g, target, name, "target")
    _check_int(max_paths, "max_paths", name, low=1)
    if max_depth is not None:
        _check_int(max_depth, "max_depth", name, low=0)
    kept: list[list[int]] = []
    truncated = False
    if source == target:
        kept = [[source]]
    else:
        canonical = nx.DiGraph() if g.is_directed() else nx.Graph()
        canonical.add_nodes_from(sorted(g))
        canonical.add_edges_from(sorted(g.edges()))
        try:
            for path in nx.shortest_simple_paths(canonical, source, target):
                if max_depth is not None and len(path) - 1 > max_depth:
                    truncated = True
                    break
                # Yen's order within one length is not lexicographic: at the cut, paths as
                # long as the last one kept are taken too (up to PATH_TIES), the sort decides
                if len(kept) >= max_paths and (
                    len(path) > len(kept[max_paths - 1]) or len(kept) >= max_paths + PATH_TIES
                ):
                    truncated = True
                    break
                kept.append(list(path))
        except nx.NetworkXNoPath:
            pass
        kept.sort(key=lambda p: (len(p), p))
        if len(kept) > max_paths:
            kept, truncated = kept[:max_paths], True
    df = _frame(
        {
            "path_index": (range(len(kept)), "int64"),
            "length": ([len(p) - 1 for p in kept], "int64"),
            "path": (kept, "object"),
        }
    )
    df.attrs["truncated"] = truncated
    return df


def k_hop(g: nx.Graph, node: int, k: int, *, direction: str = "out") -> pd.DataFrame:
    """Nodes within ``k`` edges of ``node``, with their distance in hops.

    Parameters
    ----------
    g
        A directed or undirected graph (``direction`` does not matter for an undirected one).
    node
        The start node; it is in the answer at 0 hops.
    k
        The largest number of hops (``k >= 0``).
    direction
        ``"out"`` follows edges, ``"in"`` follows them backwards, ``"both"`` ignores their
        direction.

    Returns
    -------
    DataFrame
        ``node, hops``, sorted by hops then node.

    Examples
    --------
    >>> g = nx.DiGraph([(0, 1), (1, 2), (3, 1)])
    >>> k_hop(g, 1, 1, direction="in")
       node  hops
    0     1     0
    1     0     1
    2     3     1
    """
    name = "k_hop"
    _check_graph(g, name)
    _check_node(g, node, name, "start")
    _check_int(k, "k", name, low=0)
    if direction not in ("out", "in", "both"):
        raise AlgorithmError(f"{name}: unknown direction {direction!r}: use 'out', 'in' or 'both'")
    view = g
    if g.is_directed() and direction == "in":
        view = g.reverse(copy=False)
    elif g.is_directed() and direction == "both":
        view = g.to_undirected(as_view=True)
    hops = nx.single_source_shortest_path_length(view, node, cutoff=k)
    order = sorted(hops, key=lambda v: (hops[v], v))
    return _frame({"node": (order, "int64"), "hops": ([hops[v] for v in order], "int64")})


# --------------------------------------------------------------------------------------------
# Structure


def reach(g: nx.DiGraph, *, direction: str = "out", backend: str = "auto") -> pd.DataFrame:
    """How many other nodes each node reaches (``out``: its transitive successors, e.g. every
    function a call can end up running) or is reached from (``in``: its transitive
    predecessors, e.g. every function a change to it can affect: its impact).

    Each node is counted once, whatever the number of paths; a node reaches itself only
    through a cycle, and is then not counted (the count is of *other* nodes). Computed by a
    search per component of the condensation, so members of a cycle share the work.

    Parameters
    ----------
    g
        A directed graph.
    direction
        ``out`` (descendants) or ``in`` (ancestors).
    backend
        As for :func:`strongly_connected_components`.

    Returns
    -------
    DataFrame
        ``node, reach`` sorted by node.

    Examples
    --------
    >>> g = nx.DiGraph([(0, 1), (1, 2), (2, 1), (2, 3)])
    >>> reach(g).reach.tolist(), reach(g, direction="in").reach.tolist()
    ([3, 2, 2, 0], [0, 2, 2, 3])
    """
    n = _check_graph(g, "reach", directed=True)
    if direction not in ("out", "in"):
        raise AlgorithmError(f"reach: direction must be 'out' or 'in', not {direction!r}")
    dag, comps = condensation(g, backend=backend)
    if direction == "in":
        dag = dag.reverse(copy=False)
    sizes = dict(zip(comps.component.tolist(), comps["size"].tolist(), strict=True))
    counts = [0] * n
    for c in dag.nodes:
        seen = {c}
        stack = [c]
        total = sizes[c] - 1  # the other members of its cycle
        while stack:
            for d in dag.successors(stack.pop()):
                if d not in seen:
                    seen.add(d)
                    total += sizes[d]
                    stack.append(d)
        for v in dag.nodes[c]["members"]:
            counts[v] = total
    return _frame({"node": (range(n), "int64"), "reach": (counts, "int64")})


def strongly_connected_components(g: nx.DiGraph, *, backend: str = "auto") -> pd.DataFrame:
    """The strongly connected component of every node.

    Components are numbered ``0, 1, ...`` in the order of their smallest node.

    Parameters
    ----------
    g
        A directed graph.
    backend
        ``"networkx"``, ``"rustworkx"`` or ``"auto"`` (rustworkx above
        :data:`~workbench.analysis.backend.RUSTWORKX_MIN_NODES` nodes).

    Returns
    -------
    DataFrame
        ``node, component, size`` (``size``: nodes in the component), sorted by node.

    Examples
    --------
    >>> strongly_connected_components(nx.DiGraph([(0, 1), (1, 0), (1, 2)]))
       node  component  size
    0     0          0     2
    1     1          0     2
    2     2          1     1
    """
    name = "strongly_connected_components"
    n = _check_graph(g, name, directed=True)
    comp = [0] * n
    size = [0] * n
    for i, members in enumerate(_sccs(g, backend, name)):
        for v in members:
            comp[v] = i
            size[v] = len(members)
    return _frame(
        {"node": (range(n), "int64"), "component": (comp, "int64"), "size": (size, "int64")}
    )


def condensation(g: nx.DiGraph, *, backend: str = "auto") -> tuple[nx.DiGraph, pd.DataFrame]:
    """The DAG of strongly connected components.

    Parameters
    ----------
    g
        A directed graph.
    backend
        As for :func:`strongly_connected_components`, which numbers the components.

    Returns
    -------
    (DiGraph, DataFrame)
        The condensation (networkx's): node ``i`` is component ``i`` with a ``members``
        attribute (sorted list of nodes), an edge ``i -> j`` when an edge of ``g`` leaves
        component ``i`` for ``j``, ``graph["mapping"]`` maps each node to its component; and
        the frame ``component, members, size`` sorted by component.

    Examples
    --------
    >>> c, df = condensation(nx.DiGraph([(0, 1), (1, 0), (1, 2)]))
    >>> list(c.edges), c.nodes[0]["members"]
    ([(0, 1)], [0, 1])
    >>> df
       component members  size
    0          0  [0, 1]     2
    1          1     [2]     1
    """
    name = "condensation"
    _check_graph(g, name, directed=True)
    components = _sccs(g, backend, name)
    c = nx.condensation(g, scc=[set(m) for m in components])
    for i, members in enumerate(components):
        c.nodes[i]["members"] = members
    df = _frame(
        {
            "component": (range(len(components)), "int64"),
            "members": (components, "object"),
            "size": ([len(m) for m in components], "int64"),
        }
    )
    return c, df


def topological_order(g: nx.DiGraph) -> pd.DataFrame:
    """A topological order of a DAG, the smallest node first among those that are ready.

    Parameters
    ----------
    g
        A directed acyclic graph.

    Returns
    -------
    DataFrame
        ``node, position``, sorted by position (networkx's
        ``lexicographical_topological_sort``: among the nodes whose predecessors are all
        placed, the smallest id comes first).

    Raises
    ------
    CycleError
        ``g`` has a cycle; ``err.cycle`` is one (networkx's ``find_cycle``).

    Examples
    --------
    >>> topological_order(nx.DiGraph([(2, 0), (1, 0)]))
       node  position
    0     1         0
    1     2         1
    2     0         2
    >>> topological_order(nx.DiGraph([(0, 1), (1, 0)]))
    Traceback (most recent call last):
    ...
    workbench.errors.CycleError: topological_order: the graph has the cycle [0, 1, 0], ...
    """
    name = "topological_order"
    _check_graph(g, name, directed=True)
    try:
        order = list(nx.lexicographical_topological_sort(g))
    except nx.NetworkXUnfeasible:
        edges = nx.find_cycle(g)
        cycle = [e[0] for e in edges] + [edges[0][0]]
        raise CycleError(
            f"{name}: the graph has the cycle {cycle}, and only a DAG has a topological order: "
            "remove back edges first, or order condensation(g) instead",
            cycle,
        ) from None
    return _frame({"node": (order, "int64"), "position": (range(len(order)), "int64")})


def dominators(g: nx.DiGraph, entry: int) -> pd.DataFrame:
    """The immediate dominator of every node reachable from ``entry``.

    Parameters
    ----------
    g
        A directed graph (a CFG).
    entry
        The start node.

    Returns
    -------
    DataFrame
        ``node, idom`` for every node reachable from ``entry``, sorted by node; the entry's
        ``idom`` is ``-1`` (it has none). Unreachable nodes are left out.

    Examples
    --------
    A diamond ``0 -> 1 | 2 -> 3``:

    >>> dominators(nx.DiGraph([(0, 1), (0, 2), (1, 3), (2, 3)]), 0)
       node  idom
    0     0    -1
    1     1     0
    2     2     0
    3     3     0
    """
    name = "dominators"
    _check_graph(g, name, directed=True)
    _check_node(g, entry, name, "entry")
    idom = _idom(g, entry)
    nodes = sorted(idom)
    return _frame({"node": (nodes, "int64"), "idom": ([idom[v] for v in nodes], "int64")})


def dominance_frontiers(g: nx.DiGraph, entry: int) -> pd.DataFrame:
    """The dominance frontier of every node reachable from ``entry``.

    The frontier of ``v`` holds the nodes where ``v``'s dominance ends: ``w`` with a
    predecessor dominated by ``v`` while ``v`` does not strictly dominate ``w`` (where SSA
    places phi functions for definitions in ``v``).

    Returns
    -------
    DataFrame
        ``node, frontier`` (a sorted list), sorted by node; unreachable nodes left out.

    Examples
    --------
    >>> dominance_frontiers(nx.DiGraph([(0, 1), (0, 2), (1, 3), (2, 3)]), 0)
       node frontier
    0     0       []
    1     1      [3]
    2     2      [3]
    3     3       []
    """
    name = "dominance_frontiers"
    _check_graph(g, name, directed=True)
    _check_node(g, entry, name, "entry")
    df = nx.dominance_frontiers(g, entry)
    nodes = sorted(df)
    return _frame(
        {"node": (nodes, "int64"), "frontier": ([sorted(df[v]) for v in nodes], "object")}
    )


def natural_loops(g: nx.DiGraph, entry: int) -> pd.DataFrame:
    """The natural loops of a control-flow graph, one row per loop header.

    A back edge is an edge ``u -> h`` whose target ``h`` dominates ``u`` (a self-loop is
    one). The loop of ``h`` is ``h`` and every node that reaches the source of one of its back
    edges without passing through ``h``; back edges to the same header make one loop, as the
    textbooks merge them. Loops with different headers are disjoint or nested, so they form a
    forest. Nodes unreachable from ``entry`` are ignored; edges into an irreducible region
    (a cycle entered at two places) are not back edges, so such a cycle is no loop.

    Parameters
    ----------
    g
        A directed graph (a CFG).
    entry
        Its entry node.

    Returns
    -------
    DataFrame
        ``header, back_edges, body, size, depth, parent``, sorted by header: ``back_edges`` a
        sorted list of ``[src, header]``, ``body`` the sorted list of the loop's nodes (the
        header included, nested loops' nodes too), ``size`` its length, ``depth`` 1 for an
        outermost loop and one more per enclosing loop, ``parent`` the header of the innermost
        enclosing loop or ``-1`` for an outermost one.

    Examples
    --------
    Two nested ``while`` loops, ``0: entry; 1: outer test; 2: inner test; 3: inner body;
    4: after the inner loop; 5: exit``:

    >>> cfg = nx.DiGraph([(0, 1), (1, 2), (1, 5), (2, 3), (3, 2), (2, 4), (4, 1)])
    >>> natural_loops(cfg, 0)
       header back_edges          body  size  depth  parent
    0       1   [[4, 1]]  [1, 2, 3, 4]     4      1      -1
    1       2   [[3, 2]]        [2, 3]     2      2       1
    """
    name = "natural_loops"
    _check_graph(g, name, directed=True)
    _check_node(g, entry, name, "entry")
    _, loops = _loop_forest(g, entry)
    loops.sort(key=lambda lp: lp.header)
    return _frame(
        {
            "header": ([lp.header for lp in loops], "int64"),
            "back_edges": ([[[u, lp.header] for u in lp.sources] for lp in loops], "object"),
            "body": ([lp.body for lp in loops], "object"),
            "size": ([len(lp.body) for lp in loops], "int64"),
            "depth": ([lp.depth for lp in loops], "int64"),
            "parent": ([lp.parent for lp in loops], "int64"),
        }
    )


def loop_nesting(g: nx.DiGraph, entry: int) -> pd.DataFrame:
    """How deep in :func:`natural_loops` every node reachable from ``entry`` is.

    Returns
    -------
    DataFrame
        ``node, loop_depth, innermost_header``, sorted by node: the number of loops whose
        body holds the node (0 outside every loop) and the header of the innermost one
        (``-1`` outside every loop). A header is in its own loop.

    Examples
    --------
    >>> cfg = nx.DiGraph([(0, 1), (1, 2), (1, 5), (2, 3), (3, 2), (2, 4), (4, 1)])
    >>> loop_nesting(cfg, 0).set_index("node").T
    node              0  1  2  3  4  5
    loop_depth        0  1  2  2  1  0
    innermost_header -1  1  2  2  1 -1
    """
    name = "loop_nesting"
    _check_graph(g, name, directed=True)
    _check_node(g, entry, name, "entry")
    reachable, loops = _loop_forest(g, entry)
    depth = dict.fromkeys(reachable, 0)
    inner = dict.fromkeys(reachable, NONE)
    for lp in sorted(loops, key=lambda lp: lp.depth):  # outer loops first
        for v in lp.body:
            depth[v] = lp.depth
            inner[v] = lp.header
    nodes = sorted(reachable)
    return _frame(
        {
            "node": (nodes, "int64"),
            "loop_depth": ([depth[v] for v in nodes], "int64"),
            "innermost_header": ([inner[v] for v in nodes], "int64"),
        }
    )


# --------------------------------------------------------------------------------------------
# Centrality


def degree(g: nx.Graph, *, weight: str | None = None) -> pd.DataFrame:
    """In-, out- and total degree of every node.

    Parameters
    ----------
    g
        A directed or undirected graph; for an undirected one all three columns are the
        degree. A self-loop counts once in each of in and out, twice in ``degree``.
    weight
        Sum this edge attribute (missing: 1.0) instead of counting edges.

    Returns
    -------
    DataFrame
        ``node, in_degree, out_degree, degree`` sorted by node (ints, floats when weighted).

    Examples
    --------
    >>> degree(nx.DiGraph([(0, 1), (0, 2)]))
       node  in_degree  out_degree  degree
    0     0          0           2       2
    1     1          1           0       1
    2     2          1           0       1
    """
    n = _check_graph(g, "degree")
    total = dict(g.degree(weight=weight))
    if g.is_directed():
        ins, outs = dict(g.in_degree(weight=weight)), dict(g.out_degree(weight=weight))
    else:
        ins = outs = total
    dtype = "int64" if weight is None else "float64"
    nodes = range(n)
    return _frame(
        {
            "node": (nodes, "int64"),
            "in_degree": ([ins[v] for v in nodes], dtype),
            "out_degree": ([outs[v] for v in nodes], dtype),
            "degree": ([total[v] for v in nodes], dtype),
        }
    )


def betweenness(
    g: nx.Graph,
    *,
    k: int | None = None,
    seed: int = 0,
    weight: str | None = None,
    normalized: bool = True,
    backend: str = "auto",
) -> pd.DataFrame:
    """Betweenness centrality: the share of shortest paths between other nodes through a node.

    Parameters
    ----------
    g
        A directed or undirected graph.
    k
        Estimate from ``k`` sampled sources (networkx's ``betweenness_centrality(k=, seed=)``,
        scaled by ``n / k``); ``None`` or ``k == n``: exact.
    seed
        Seed of the sample.
    weight
        Edge attribute of the path lengths (non-negative); ``None``: hops.
    normalized
        Divide by the number of pairs, as networkx does.
    backend
        ``"networkx"``, ``"rustworkx"`` (exact, unweighted, no multigraph) or ``"auto"``
        (rustworkx when it can and the graph has more than
        :data:`~workbench.analysis.backend.RUSTWORKX_MIN_NODES` nodes).

    Returns
    -------
    DataFrame
        ``node, betweenness`` sorted by node; ``df.attrs["approximate"]`` says whether it was
        sampled (``k < n``).

    Examples
    --------
    A diamond: half of the paths from 0 to 3 go through 1, half through 2.

    >>> betweenness(nx.DiGraph([(0, 1), (0, 2), (1, 3), (2, 3)]), normalized=False)
       node  betweenness
    0     0          0.0
    1     1          0.5
    2     2          0.5
    3     3          0.0
    """
    name = "betweenness"
    n = _check_graph(g, name)
    if k is not None:
        _check_int(k, "k", name, low=1, high=n)
    approximate = k is not None and k < n
    _check_nonnegative(g, weight, name, "shortest paths need non-negative lengths")
    chosen = choose_backend(
        backend,
        n=n,
        supported=not approximate and weight is None and not g.is_multigraph(),
        algorithm=name,
        unsupported="weighted, sampled (k < n) or multigraph betweenness",
    )
    if chosen == "rustworkx":
        import rustworkx as rx

        run = (
            rx.digraph_betweenness_centrality
            if g.is_directed()
            else rx.graph_betweenness_centrality
        )
        values = run(to_rustworkx(g), normalized=normalized)
    else:
        values = nx.betweenness_centrality(
            g, k=k if approximate else None, normalized=normalized, weight=weight, seed=seed
        )
    df = _node_values(n, values, name)
    df.attrs["approximate"] = approximate
    return df


def closeness(g: nx.Graph, *, wf_improved: bool = True, backend: str = "auto") -> pd.DataFrame:
    """Closeness centrality (in hops), as networkx defines it.

    For a directed graph the distances are those *to* the node (incoming paths). On a
    disconnected graph a node's closeness is ``(r - 1) / sum of distances`` over the ``r``
    nodes that reach it, scaled by ``(r - 1) / (n - 1)`` when ``wf_improved`` (Wasserman and
    Faust); 0 for a node nothing reaches.

    Parameters
    ----------
    g
        A directed or undirected graph.
    wf_improved
        Apply the Wasserman–Faust scaling.
    backend
        ``"networkx"``, ``"rustworkx"`` or ``"auto"`` (rustworkx above
        :data:`~workbench.analysis.backend.RUSTWORKX_MIN_NODES` nodes).

    Returns
    -------
    DataFrame
        ``node, closeness`` sorted by node.

    Examples
    --------
    >>> closeness(nx.Graph([(0, 1), (1, 2)]))
       node  closeness
    0     0   0.666667
    1     1   1.000000
    2     2   0.666667
    """
    name = "closeness"
    n = _check_graph(g, name)
    chosen = choose_backend(backend, n=n, supported=True, algorithm=name)
    if chosen == "rustworkx":
        import rustworkx as rx

        run = rx.digraph_closeness_centrality if g.is_directed() else rx.graph_closeness_centrality
        values = run(to_rustworkx(g), wf_improved=wf_improved)
    else:
        values = nx.closeness_centrality(g, wf_improved=wf_improved)
    return _node_values(n, values, name)


def eigenvector(
    g: nx.Graph, *, max_iter: int = 1000, tol: float = 1e-6, weight: str | None = None
) -> pd.DataFrame:
    """Eigenvector centrality (networkx's power iteration; in-edges for a directed graph).

    Eigenvector centrality needs a cycle: on a DAG (or a graph without edges) the adjacency
    matrix has no positive eigenvalue, networkx's iteration drifts to the sinks without
    converging, and this function raises instead. Use :func:`pagerank` there.

    Parameters
    ----------
    g
        A directed or undirected graph.
    max_iter, tol
        Power iteration limits (networkx's meaning: stop when the change is below ``n * tol``).
    weight
        Edge attribute of the weights; ``None``: every edge 1.

    Returns
    -------
    DataFrame
        ``node, eigenvector`` sorted by node (Euclidean norm 1).

    Raises
    ------
    AlgorithmError
        The graph has no cycle, or the iteration did not converge within ``max_iter``.

    Examples
    --------
    >>> eigenvector(nx.DiGraph([(0, 1), (1, 0), (1, 2)])).round(3)
       node  eigenvector
    0     0        0.577
    1     1        0.577
    2     2        0.577
    >>> eigenvector(nx.DiGraph([(0, 1)]))
    Traceback (most recent call last):
    ...
    workbench.errors.AlgorithmError: eigenvector: the graph has no cycle, ...
    """
    name = "eigenvector"
    n = _check_graph(g, name)
    if n == 0:
        return _node_values(0, {}, name)
    acyclic = nx.is_directed_acyclic_graph(g) if g.is_directed() else g.number_of_edges() == 0
    if acyclic:
        raise AlgorithmError(
            f"{name}: the graph has no cycle, so its adjacency matrix has no positive "
            "eigenvalue and eigenvector centrality is undefined: use pagerank(g) instead"
        )
    try:
        values = nx.eigenvector_centrality(g, max_iter=max_iter, tol=tol, weight=weight)
    except nx.PowerIterationFailedConvergence:
        raise AlgorithmError(
            f"{name}: the power iteration did not converge within max_iter={max_iter} "
            f"iterations (tol={tol}): raise max_iter or tol, or use pagerank(g), which "
            "always converges"
        ) from None
    except nx.NetworkXException as err:
        raise AlgorithmError(f"{name}: networkx cannot compute it: {err}") from err
    return _node_values(n, values, name)


def pagerank(
    g: nx.Graph,
    *,
    alpha: float = 0.85,
    weight: str | None = "weight",
    tol: float = 1e-10,
    max_iter: int = 1000,
    backend: str = "auto",
) -> pd.DataFrame:
    """PageRank, the stationary distribution of a random walk that restarts with ``1 - alpha``.

    A dangling node (no out-edge) jumps to any node uniformly, as in networkx; the values sum
    to 1. An undirected graph is walked both ways along each edge.

    Parameters
    ----------
    g
        A directed or undirected graph.
    alpha
        Damping factor, in ``[0, 1]``.
    weight
        Edge attribute of the transition weights (non-negative, missing: 1.0); ``None``: 1.
    tol, max_iter
        Power iteration limits of networkx and rustworkx (stop when the L1 change is below
        ``n * tol``); igraph's PRPACK solves the linear system instead and needs neither.
    backend
        ``"networkx"``, ``"igraph"``, ``"rustworkx"`` or ``"auto"`` (igraph above
        :data:`~workbench.analysis.backend.RUSTWORKX_MIN_NODES` nodes). networkx and
        rustworkx stop at the same ``tol``: they agree within about ``n * tol`` (1e-6 in the
        tests); igraph agrees with networkx run to ``tol=1e-13`` within 1e-8.

    Returns
    -------
    DataFrame
        ``node, pagerank`` sorted by node.

    Examples
    --------
    >>> pagerank(nx.DiGraph([(0, 1), (1, 0)]))
       node  pagerank
    0     0       0.5
    1     1       0.5
    """
    name = "pagerank"
    n = _check_graph(g, name)
    if not (isinstance(alpha, numbers.Real) and 0 <= alpha <= 1):
        raise AlgorithmError(f"{name}: alpha={alpha!r} is not in [0, 1]: 0.85 is the usual")
    negative = "transition weights cannot be negative"
    if n == 0:
        return _node_values(0, {}, name)
    chosen = choose_backend(
        backend, n=n, supported=True, algorithm=name, offers=("igraph", "rustworkx")
    )
    failed = (
        f"{name}: the power iteration did not converge within max_iter={max_iter} iterations "
        f"(tol={tol}): raise max_iter or tol, or lower alpha"
    )
    if chosen == "igraph" and alpha >= 1:  # PRPACK's system is singular without restarts
        if backend == "igraph":
            raise AlgorithmError(f"{name}: igraph needs alpha < 1: use backend='networkx'")
        chosen = "networkx"
    if chosen == "igraph":
        h = to_igraph(g, weight=weight, as_directed=True)
        _check_weights(h.es["weight"], g, weight, name, negative)
        # PRPACK solves exactly: unlike networkx's iteration it never fails to converge
        scores = h.pagerank(damping=alpha, weights="weight", directed=True)
        if not all(map(math.isfinite, scores)):
            raise AlgorithmError(f"{name}: igraph gave no finite answer: use backend='networkx'")
        return _frame({"node": (range(n), "int64"), name: (scores, "float64")})
    r = None
    if chosen == "rustworkx":
        r = to_rustworkx(g, weight=weight, as_directed=True)
        weights = r.edges()
        _check_weights(weights, g, weight, name, negative)
        if backend == "auto" and 0.0 in weights:  # rustworkx takes no node whose out-weights are 0
            chosen = "networkx"
    else:
        _check_nonnegative(g, weight, name, negative)
    if chosen == "rustworkx":
        import rustworkx as rx

        try:
            values = rx.pagerank(r, alpha=alpha, weight_fn=float, tol=tol, max_iter=max_iter)
        except rx.FailedToConverge:
            raise AlgorithmError(failed) from None
    else:
        try:
            values = nx.pagerank(g, alpha=alpha, weight=weight, tol=tol, max_iter=max_iter)
        except nx.PowerIterationFailedConvergence:
            raise AlgorithmError(failed) from None
    return _node_values(n, values, name)


# --------------------------------------------------------------------------------------------
# Communities


def louvain(
    g: nx.Graph,
    *,
    seed: int = 0,
    resolution: float = 1.0,
    weight: str | None = "weight",
    backend: str = "auto",
) -> pd.DataFrame:
    """Communities by Louvain modularity optimisation (networkx's ``louvain_communities``, or
    igraph's ``community_multilevel``).

    A directed graph is read as undirected: ``u -> v`` and ``v -> u`` make one edge whose
    weight is the sum of theirs (parallel edges of a multigraph are summed too). The graph is
    rebuilt with nodes and edges in sorted order, so the answer depends on the graph and the
    seed only, not on the order edges were added.

    Parameters
    ----------
    g
        A directed or undirected graph.
    seed
        Seed of networkx's random node order.
    resolution
        Above 1 favours smaller communities, below 1 larger ones.
    weight
        Edge attribute of the weights (non-negative, missing: 1.0); ``None``: 1.
    backend
        ``"networkx"``, ``"igraph"`` or ``"auto"`` (igraph above
        :data:`~workbench.analysis.backend.RUSTWORKX_MIN_NODES` nodes, seeded through a
        ``random.Random(seed)`` given to igraph for the call). The two visit nodes in different
        random orders, so their partitions may differ where the modularity landscape is flat;
        both find clear communities, with modularity within a few hundredths (tested).

    Returns
    -------
    DataFrame
        ``node, community, size`` sorted by node; communities are numbered by size, largest
        first, ties by their smallest node. An isolated node is a community of its own.

    Examples
    --------
    Two triangles joined by one edge:

    >>> g = nx.Graph([(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (2, 3)])
    >>> louvain(g).community.tolist()
    [0, 0, 0, 1, 1, 1]
    """
    name = "louvain"
    n = _check_graph(g, name)
    _check_nonnegative(g, weight, name, "modularity needs non-negative weights")
    u = _undirected(g, weight)
    chosen = choose_backend(backend, n=n, supported=True, algorithm=name, offers=("igraph",))
    if not u.size(weight="weight"):  # no weight at all: modularity is undefined
        return _community_frame(n, [[v] for v in range(n)])
    if chosen == "igraph":
        import igraph as ig

        h = to_igraph(u, weight="weight")
        with _IGRAPH_RNG:  # igraph's generator is process-wide: one seeded run at a time
            ig.set_random_number_generator(random.Random(seed))
            try:
                communities = list(h.community_multilevel(weights="weight", resolution=resolution))
            finally:  # igraph's default (it has no getter to restore a caller's own)
                ig.set_random_number_generator(random)
    else:
        communities = nx.community.louvain_communities(
            u, weight="weight", resolution=resolution, seed=seed
        )
    return _community_frame(n, communities)


def label_propagation(g: nx.Graph, *, seed: int = 0, weight: str | None = None) -> pd.DataFrame:
    """Communities by asynchronous label propagation (networkx's ``asyn_lpa_communities``).

    The graph is read as undirected, as by :func:`louvain`; the answer depends on the graph
    and the seed only.

    Parameters
    ----------
    g
        A directed or undirected graph.
    seed
        Seed of the random visiting order and tie breaks.
    weight
        Edge attribute of the weights (missing: 1.0); ``None``: 1.

    Returns
    -------
    DataFrame
        ``node, community, size``, numbered as by :func:`louvain`.

    Examples
    --------
    >>> label_propagation(nx.Graph([(0, 1), (2, 3)]))
       node  community  size
    0     0          0     2
    1     1          0     2
    2     2          1     2
    3     3          1     2
    """
    name = "label_propagation"
    n = _check_graph(g, name)
    u = _undirected(g, weight)
    communities = nx.community.asyn_lpa_communities(
        u, weight=None if weight is None else "weight", seed=seed
    )
    return _community_frame(n, communities)


# --------------------------------------------------------------------------------------------
# Whole-graph measures


def density(g: nx.Graph) -> float:
    """Edges over possible edges: ``m / (n (n - 1))`` directed, twice that undirected.

    0.0 for fewer than two nodes (networkx's ``density``; self-loops count as edges).

    >>> density(nx.DiGraph([(0, 1), (1, 0), (1, 2)]))
    0.5
    """
    _check_graph(g, "density")
    return float(nx.density(g))


def diameter(g: nx.Graph) -> float:
    """The longest shortest path, in hops.

    Connectivity is strong connectivity for a directed graph (every node reaches every other)
    and plain connectivity for an undirected one; without it some distance is infinite and so
    is the diameter.

    Returns
    -------
    float
        The diameter; ``math.inf`` when the graph is not (strongly) connected; 0.0 for one
        node.

    Raises
    ------
    AlgorithmError
        The graph has no node.

    Examples
    --------
    >>> diameter(nx.DiGraph([(0, 1), (1, 2), (2, 0)]))
    2.0
    >>> diameter(nx.DiGraph([(0, 1)]))
    inf
    """
    name = "diameter"
    n = _check_graph(g, name)
    if n == 0:
        raise AlgorithmError(
            f"{name}: the graph has no node, so no diameter: pass a non-empty graph"
        )
    if n == 1:
        return 0.0
    connected = nx.is_strongly_connected(g) if g.is_directed() else nx.is_connected(g)
    if not connected:
        return math.inf
    return float(nx.diameter(g))


def cyclomatic_complexity(g: nx.Graph) -> int:
    """McCabe's cyclomatic complexity ``E - N + 2P`` of a control-flow graph.

    ``E`` counts edges (parallel edges and self-loops included), ``N`` nodes and ``P``
    weakly connected components (connected components of an undirected graph): one per
    function when several CFGs are passed together. An empty graph has complexity 0. The
    formula counts every edge it is given: for McCabe's number of a CPG's CFG, pass it without
    exception edges (otherwise every call that may raise adds one).

    Examples
    --------
    An ``if``/``else``: 0 -> 1 | 2 -> 3.

    >>> cyclomatic_complexity(nx.DiGraph([(0, 1), (0, 2), (1, 3), (2, 3)]))
    2
    """
    n = _check_graph(g, "cyclomatic_complexity")
    if n == 0:
        return 0
    if g.is_directed():
        parts = nx.number_weakly_connected_components(g)
    else:
        parts = nx.number_connected_components(g)
    return g.number_of_edges() - n + 2 * parts


# --------------------------------------------------------------------------------------------
# Helpers


#: Held while igraph's process-wide random generator is seeded for one call.
_IGRAPH_RNG = threading.Lock()

#: Frozen graphs already found numbered 0..n-1.
_DENSE: weakref.WeakSet = weakref.WeakSet()


def _check_graph(g: object, algorithm: str, *, directed: bool = False) -> int:
    """The number of nodes of ``g``, after checking it is a graph on ``0 .. n-1``."""
    if not isinstance(g, nx.Graph):
        raise AlgorithmError(
            f"{algorithm}: expected a networkx graph, got {type(g).__name__}: build an "
            "nx.DiGraph whose nodes are 0..n-1"
        )
    if directed and not g.is_directed():
        raise AlgorithmError(
            f"{algorithm}: needs a directed graph, got an undirected {type(g).__name__}: "
            "pass an nx.DiGraph (g.to_directed() turns each edge into two)"
        )
    n = g.number_of_nodes()
    if g in _DENSE:  # a frozen graph checked before: it cannot have changed
        return n
    if all(type(v) is int for v in g) and (not n or (min(g) == 0 and max(g) == n - 1)):
        if nx.is_frozen(g):
            _DENSE.add(g)
        return n  # distinct ints from 0 to n-1: dense (the common case, checked fast)
    for v in g:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= v < n:
            raise AlgorithmError(
                f"{algorithm}: node {v!r} is not one of 0..{n - 1}: number the nodes densely "
                "first (nx.convert_node_labels_to_integers(g, ordering='sorted'))"
            )
    return n


def _check_node(g: nx.Graph, node: object, algorithm: str, role: str) -> None:
    if node not in g or isinstance(node, bool):
        n = g.number_of_nodes()
        has = f"its nodes are 0..{n - 1}" if n else "it has no node"
        raise AlgorithmError(f"{algorithm}: unknown {role} node {node!r}: {has}; pass one of them")


def _check_int(
    value: object, param: str, algorithm: str, *, low: int, high: int | None = None
) -> None:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low
    if ok and (high is None or value <= high):
        return
    bounds = f"at least {low}" if high is None else f"between {low} and {high}"
    raise AlgorithmError(f"{algorithm}: {param}={value!r} is not an integer {bounds}: pass one")


def _check_weights(
    weights: list[float], g: nx.Graph, weight: str | None, algorithm: str, hint: str
) -> None:
    """Check weights read from a compiled library's copy in one call; only when one is bad,
    walk ``g``'s edges to name it (:func:`_check_nonnegative`)."""
    if weights and (min(weights) < 0 or not all(map(math.isfinite, weights))):
        _check_nonnegative(g, weight, algorithm, hint)


def _check_nonnegative(g: nx.Graph, weight: str | None, algorithm: str, hint: str) -> None:
    """Raise naming the first edge whose weight is negative, infinite or NaN."""
    if weight is None:
        return
    for u, v, w in g.edges(data=weight, default=1.0):
        if w < 0:
            raise AlgorithmError(
                f"{algorithm}: edge {u}->{v} has the negative {weight} {w}: {hint}"
            )
        if not math.isfinite(w):
            raise AlgorithmError(
                f"{algorithm}: edge {u}->{v} has the {weight} {w}: weights must be finite"
            )


def _frame(columns: dict[str, tuple[Iterable, str]]) -> pd.DataFrame:
    """A frame with these columns and dtypes (also when empty)."""
    return pd.DataFrame(
        {col: pd.Series(list(values), dtype=dtype) for col, (values, dtype) in columns.items()}
    )


def _node_values(n: int, values, column: str) -> pd.DataFrame:
    """``node, <column>`` from a mapping node -> float (networkx dict or rustworkx mapping)."""
    return _frame({"node": (range(n), "int64"), column: ([values[v] for v in range(n)], "float64")})


def _sccs(g: nx.DiGraph, backend: str, algorithm: str) -> list[list[int]]:
    """Strongly connected components as sorted lists, ordered by their smallest node."""
    chosen = choose_backend(backend, n=g.number_of_nodes(), supported=True, algorithm=algorithm)
    if chosen == "rustworkx":
        import rustworkx as rx

        components: Iterable[Iterable[int]] = rx.strongly_connected_components(to_rustworkx(g))
    else:
        components = nx.strongly_connected_components(g)
    return sorted(sorted(c) for c in components)


def _undirected(g: nx.Graph, weight: str | None) -> nx.Graph:
    """``g`` as a simple undirected graph, weights summed, nodes and edges in sorted order."""
    summed: dict[tuple[int, int], float] = {}
    edges = g.edges(data=weight, default=1.0) if weight else ((u, v, 1.0) for u, v in g.edges())
    for u, v, w in edges:
        key = (u, v) if u <= v else (v, u)
        summed[key] = summed.get(key, 0.0) + float(w)
    out = nx.Graph()
    out.add_nodes_from(range(g.number_of_nodes()))
    out.add_weighted_edges_from((u, v, w) for (u, v), w in sorted(summed.items()))
    return out


def _community_frame(n: int, communities: Iterable[Iterable[int]]) -> pd.DataFrame:
    """``node, community, size``, communities numbered by size desc, then smallest node."""
    ordered = sorted((sorted(c) for c in communities), key=lambda c: (-len(c), c[0]))
    comm = [0] * n
    size = [0] * n
    for i, members in enumerate(ordered):
        for v in members:
            comm[v] = i
            size[v] = len(members)
    return _frame(
        {"node": (range(n), "int64"), "community": (comm, "int64"), "size": (size, "int64")}
    )


def _idom(g: nx.DiGraph, entry: int) -> dict[int, int]:
    """Immediate dominators of the nodes reachable from ``entry``; the entry's is ``-1``.

    networkx >= 3.6 leaves ``entry`` out of its answer, older versions map it to itself.
    """
    idom = dict(nx.immediate_dominators(g, entry))
    idom[entry] = NONE
    return idom


class _Loop:
    """One natural loop while :func:`_loop_forest` builds the forest."""

    __slots__ = ("body", "depth", "header", "parent", "sources")

    def __init__(self, header: int, sources: list[int], body: list[int]) -> None:
        self.header = header
        self.sources = sources  # of the back edges, sorted
        self.body = body  # sorted, header included
        self.parent = NONE
        self.depth = 1


def _loop_forest(g: nx.DiGraph, entry: int) -> tuple[list[int], list[_Loop]]:
    """The nodes reachable from ``entry`` and the natural loops, with parents and depths."""
    idom = _idom(g, entry)
    reachable = list(idom)
    # Pre/post numbers of the dominator tree: a dominates b iff a's interval holds b's.
    children: dict[int, list[int]] = {v: [] for v in reachable}
    for v, d in idom.items():
        if d != NONE:
            children[d].append(v)
    pre: dict[int, int] = {}
    post: dict[int, int] = {}
    clock = 0
    stack: list[tuple[int, bool]] = [(entry, False)]
    while stack:
        v, done = stack.pop()
        clock += 1
        if done:
            post[v] = clock
            continue
        pre[v] = clock
        stack.append((v, True))
        stack.extend((c, False) for c in children[v])

    def dominates(a: int, b: int) -> bool:
        return pre[a] <= pre[b] and post[b] <= post[a]

    sources: dict[int, set[int]] = {}
    for u in reachable:
        for h in g.successors(u):
            if dominates(h, u):
                sources.setdefault(h, set()).add(u)
    loops = []
    for h, srcs in sources.items():
        body = {h} | srcs
        work = [u for u in srcs if u != h]
        while work:
            x = work.pop()
            for p in g.predecessors(x):
                if p not in body and p in idom:
                    body.add(p)
                    work.append(p)
        loops.append(_Loop(h, sorted(srcs), sorted(body)))
    # Loops are disjoint or nested: the parent is the smallest other loop holding the header.
    loops.sort(key=lambda lp: (-len(lp.body), lp.header))  # enclosing loops first
    bodies = [set(lp.body) for lp in loops]
    for i, lp in enumerate(loops):
        for j in range(i - 1, -1, -1):
            if lp.header in bodies[j]:
                lp.parent = loops[j].header
                lp.depth = loops[j].depth + 1
                break
    return reachable, loops
