"""Backends of the graph algorithms: networkx graphs converted to rustworkx or igraph.

The algorithms of :mod:`workbench.analysis.algorithms` take networkx graphs whose nodes are the
dense integers ``0 .. n-1``. rustworkx and igraph number their nodes the same way when they are
added in order to a fresh graph, so a converted graph keeps every node id and results need no
mapping back. A graph is converted once per call, except a frozen one (``nx.freeze``, as
:class:`~workbench.analysis.CPGMath` hands out its graphs): it cannot gain or lose nodes or
edges, so its conversions are kept with it (for each weight attribute and direction) for the
next call. Its edge attributes can still be assigned; don't: a changed weight of a frozen
graph is not seen by the kept conversions (thaw it first: ``nx.DiGraph(g)``).

``backend="auto"`` picks an algorithm's compiled backend when the graph has more than
:data:`RUSTWORKX_MIN_NODES` nodes and the backend implements the requested variant: igraph
for PageRank (PRPACK solves the system exactly; networkx iterates to ``tol``) and Louvain,
rustworkx for betweenness, closeness and strongly connected components. Below that size all
answer within milliseconds, so networkx, the reference implementation, answers. Measured on
the standard library's call graph (78,011 nodes, 49,440 edges; ``benchmarks/
algorithms_stdlib.py``): PageRank 0.36 s networkx (scipy) / 0.08 s rustworkx / 0.01 s igraph,
Louvain 15 s networkx / 0.35 s igraph; on a 20,000-node random digraph exact betweenness takes
about 4,000 s in networkx (extrapolated) and 81 s in rustworkx on two cores.

Examples
--------
>>> import networkx as nx
>>> g = nx.DiGraph([(0, 1), (1, 2)])
>>> g.add_edge(2, 0, weight=2.5)
>>> r = to_rustworkx(g, weight="weight")
>>> r.node_indices(), sorted(r.weighted_edge_list())
(NodeIndices[0, 1, 2], [(0, 1, 1.0), (1, 2, 1.0), (2, 0, 2.5)])
>>> choose_backend("auto", n=3, supported=True, algorithm="pagerank")
'networkx'
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from workbench.errors import AlgorithmError

if TYPE_CHECKING:
    import igraph as ig
    import networkx as nx
    import rustworkx as rx

__all__ = ["BACKENDS", "RUSTWORKX_MIN_NODES", "choose_backend", "to_igraph", "to_rustworkx"]

#: The backend names the algorithms accept.
BACKENDS = ("auto", "networkx", "rustworkx", "igraph")

#: ``backend="auto"`` uses a compiled backend on graphs with more nodes than this.
RUSTWORKX_MIN_NODES = 200


def choose_backend(
    backend: str,
    *,
    n: int,
    supported: bool,
    algorithm: str,
    unsupported: str = "",
    offers: tuple[str, ...] = ("rustworkx",),
) -> str:
    """The backend to run: ``"networkx"`` or one of the compiled ones the algorithm
    ``offers`` (``"auto"`` takes the first).

    Parameters
    ----------
    backend
        What the caller asked for: ``"auto"``, ``"networkx"`` or ``"rustworkx"``.
    n
        The number of nodes of the graph.
    supported
        Whether rustworkx implements the variant asked for (weights, sampling...).
    algorithm, unsupported
        The algorithm's name and the option rustworkx lacks, for the error message.

    Raises
    ------
    AlgorithmError
        For an unknown backend name, or ``"rustworkx"`` asked for a variant it lacks.

    Examples
    --------
    >>> choose_backend("auto", n=1000, supported=True, algorithm="closeness")
    'rustworkx'
    >>> choose_backend("auto", n=1000, supported=False, algorithm="betweenness")
    'networkx'
    >>> choose_backend("auto", n=1000, supported=True, algorithm="pagerank",
    ...                offers=("igraph", "rustworkx"))
    'igraph'
    >>> choose_backend("igraph", n=3, supported=True, algorithm="closeness")
    Traceback (most recent call last):
    ...
    workbench.errors.AlgorithmError: closeness: backend 'igraph': use one of ...
    >>> choose_backend("graph-tool", n=3, supported=True, algorithm="closeness")
    Traceback (most recent call last):
    ...
    workbench.errors.AlgorithmError: closeness: unknown backend 'graph-tool': use one of ...
    """
    valid = ("auto", "networkx", *offers)
    if backend not in valid:
        choices = ", ".join(repr(b) for b in valid)
        known = "" if backend in BACKENDS else "unknown "
        raise AlgorithmError(f"{algorithm}: {known}backend {backend!r}: use one of {choices}")
    if backend in offers and not supported:
        raise AlgorithmError(
            f"{algorithm}: {backend} does not implement {unsupported or 'this variant'}: "
            "use backend='networkx' or backend='auto'"
        )
    if backend == "auto":
        return offers[0] if supported and n > RUSTWORKX_MIN_NODES else "networkx"
    return backend


def to_rustworkx(
    g: nx.Graph, *, weight: str | None = None, as_directed: bool = False
) -> rx.PyGraph | rx.PyDiGraph:
    """A rustworkx copy of ``g`` with the same node ids; edge payloads are float weights.

    Parameters
    ----------
    g
        A networkx graph whose nodes are ``0 .. n-1``.
    weight
        The edge attribute holding the weight (missing: 1.0); ``None``: every weight is 1.0.
    as_directed
        A ``PyDiGraph`` is returned for a directed ``g``, a ``PyGraph`` for an undirected one
        unless ``as_directed`` is true: then an undirected edge becomes two arcs (a self-loop
        one), as networkx converts undirected graphs for its directed-only algorithms.

    Examples
    --------
    >>> import networkx as nx
    >>> r = to_rustworkx(nx.Graph([(0, 1)]), as_directed=True)
    >>> sorted(r.edge_list())
    [(0, 1), (1, 0)]
    """
    import networkx as nx

    if nx.is_frozen(g):
        key = (weight, as_directed)
        kept = _CONVERTED.setdefault(g, {})
        if key not in kept:
            kept[key] = _convert(g, weight=weight, as_directed=as_directed)
        return kept[key]
    return _convert(g, weight=weight, as_directed=as_directed)


def to_igraph(g: nx.Graph, *, weight: str | None = None, as_directed: bool = False) -> ig.Graph:
    """An igraph copy of ``g`` with the same vertex ids, directed as ``g`` is, with the float
    weights in the edge attribute ``weight`` (missing: 1.0; ``weight=None``: all 1.0). With
    ``as_directed`` an undirected edge becomes two arcs (a self-loop one), as networkx
    converts undirected graphs for its directed-only algorithms.

    Examples
    --------
    >>> import networkx as nx
    >>> h = to_igraph(nx.DiGraph([(0, 1), (1, 2)]))
    >>> h.vcount(), h.get_edgelist(), h.es["weight"], h.is_directed()
    (3, [(0, 1), (1, 2)], [1.0, 1.0], True)
    """
    import networkx as nx

    if nx.is_frozen(g):
        kept = _CONVERTED.setdefault(g, {})
        key = ("igraph", weight, as_directed)
        if key not in kept:
            kept[key] = _to_igraph(g, weight, as_directed)
        return kept[key]
    return _to_igraph(g, weight, as_directed)


def _to_igraph(g: nx.Graph, weight: str | None, as_directed: bool) -> ig.Graph:
    import igraph as ig

    if weight is None:
        edges, weights = list(g.edges()), [1.0] * g.number_of_edges()
    else:
        rows = list(g.edges(data=weight, default=1.0))
        edges, weights = [(u, v) for u, v, _ in rows], [float(w) for _, _, w in rows]
    directed = g.is_directed()
    if as_directed and not directed:
        back = [(i, (v, u)) for i, (u, v) in enumerate(edges) if u != v]
        edges = edges + [e for _, e in back]
        weights = weights + [weights[i] for i, _ in back]
        directed = True
    out = ig.Graph(n=g.number_of_nodes(), edges=edges, directed=directed)
    out.es["weight"] = weights
    return out


#: Conversions of frozen graphs, dropped with their graph.
_CONVERTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _convert(g: nx.Graph, *, weight: str | None, as_directed: bool) -> rx.PyGraph | rx.PyDiGraph:
    import rustworkx as rx

    n = g.number_of_nodes()
    if weight is None:
        edges = [(u, v, 1.0) for u, v in g.edges()]
    else:
        edges = [(u, v, float(w)) for u, v, w in g.edges(data=weight, default=1.0)]
    multigraph = g.is_multigraph()
    if g.is_directed():
        out = rx.PyDiGraph(multigraph=multigraph)
    elif as_directed:
        out = rx.PyDiGraph(multigraph=multigraph)
        edges += [(v, u, w) for u, v, w in edges if u != v]
    else:
        out = rx.PyGraph(multigraph=multigraph)
    out.add_nodes_from(range(n))
    out.extend_from_weighted_edge_list(edges)
    return out
