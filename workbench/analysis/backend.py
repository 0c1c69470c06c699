"""Backends of the graph algorithms: networkx graphs converted to rustworkx.

The algorithms of :mod:`workbench.analysis.algorithms` take networkx graphs whose nodes are the
dense integers ``0 .. n-1``. rustworkx numbers its nodes the same way when they are added in
order to a fresh graph, so a converted graph keeps every node id and results need no mapping
back. A graph is converted once per call, except a frozen one (``nx.freeze``, as
:class:`~workbench.analysis.CPGMath` hands out its graphs): it cannot change, so its
conversions are kept with it (for each weight attribute and direction) for the next call.

``backend="auto"`` picks rustworkx when the graph has more than :data:`RUSTWORKX_MIN_NODES`
nodes and rustworkx implements the requested variant. Below that size both answer within
milliseconds (measured on sparse random digraphs, 200 nodes: pagerank 67 ms networkx pure
Python / 1.3 ms rustworkx, exact betweenness 100 / 6.5 ms, closeness 31 / 4.5 ms), so networkx,
the reference implementation, answers; above it rustworkx wins by 10-50x (20,000 nodes,
100,000 edges: pagerank 5.6 s / 0.17 s, exact betweenness about 4,000 s extrapolated / 81 s
on two cores). Strongly connected components cost the same in both.

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
    import networkx as nx
    import rustworkx as rx

__all__ = ["BACKENDS", "RUSTWORKX_MIN_NODES", "choose_backend", "to_rustworkx"]

#: The backend names the algorithms accept.
BACKENDS = ("auto", "networkx", "rustworkx")

#: ``backend="auto"`` uses rustworkx on graphs with more nodes than this.
RUSTWORKX_MIN_NODES = 200


def choose_backend(
    backend: str, *, n: int, supported: bool, algorithm: str, unsupported: str = ""
) -> str:
    """The backend to run: ``"networkx"`` or ``"rustworkx"``.

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
    >>> choose_backend("igraph", n=3, supported=True, algorithm="pagerank")
    Traceback (most recent call last):
    ...
    workbench.errors.AlgorithmError: pagerank: unknown backend 'igraph': use one of ...
    """
    if backend not in BACKENDS:
        choices = ", ".join(repr(b) for b in BACKENDS)
        raise AlgorithmError(f"{algorithm}: unknown backend {backend!r}: use one of {choices}")
    if backend == "rustworkx" and not supported:
        raise AlgorithmError(
            f"{algorithm}: rustworkx does not implement {unsupported or 'this variant'}: "
            "use backend='networkx' or backend='auto'"
        )
    if backend == "auto":
        return "rustworkx" if supported and n > RUSTWORKX_MIN_NODES else "networkx"
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
