"""Method graphs out of the workbench: networkx, GraphML, DOT, and arrays for PyTorch Geometric.

A method's graph is the nodes it holds (nested functions, lambdas, comprehensions and class
bodies are methods of their own; the enclosing method holds their METHOD_REF) and the edges
of every kind whose two ends it holds.

:func:`to_pyg_arrays` turns many methods into one batch, numbered the way
``torch_geometric.data.Batch`` numbers them: the nodes of graph 0, then of graph 1, ...;
``batch[i]`` is the graph of node ``i`` and ``ptr[j]:ptr[j + 1]`` are graph ``j``'s nodes.
The node feature matrix ``x`` is a one-hot of the node kind (:data:`NODE_KINDS`) followed by
a one-hot of the subkind (:data:`SUBKINDS`: every :class:`~workbench.cpg.schema.Subkind`,
then the type names a LITERAL's subkind takes, then ``<other>``; a node without subkind has
zeros there). :func:`export_dataset` writes a whole program's methods in one call and
:func:`load_dataset` reads them back.

Examples
--------
>>> import workbench as wb
>>> cpg = wb.build_cpg("def f(x):\\n    if x:\\n        return 1\\n    return 2\\n", path="m.py")
>>> g = method_graph(cpg, "f")
>>> g.number_of_nodes(), sorted({k for *_, k in g.edges(data="kind")})[:3]
(11, ['AST', 'CDG', 'CFG'])
>>> a = to_pyg_arrays(cpg)
>>> a["x"].shape, a["ptr"].tolist(), a["edge_index"]["CFG"].shape
((15, 64), [0, 4, 15], (2, 7))
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping, Set
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.analysis.features.table import (
    MethodIndex,
    as_path,
    as_tables,
    check_flag,
    method_features,
    save_features,
)
from workbench.analysis.tables import EDGE_KINDS, NODE_KINDS, CodeTables
from workbench.cpg.schema import CfgLabel, EdgeKind, Subkind
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    import os

    import networkx as nx

__all__ = [
    "DATASET_FORMAT",
    "EDGE_LABELS",
    "LITERAL_TYPES",
    "NODE_KINDS",
    "SUBKINDS",
    "export_dataset",
    "load_dataset",
    "method_graph",
    "one_hot",
    "to_dot",
    "to_graphml",
    "to_hetero_data",
    "to_pyg_arrays",
]

#: Type names a LITERAL's subkind takes (``type(value).__name__`` of a constant).
LITERAL_TYPES: tuple[str, ...] = (
    "int",
    "float",
    "complex",
    "str",
    "bytes",
    "bool",
    "NoneType",
    "ellipsis",
)
#: The subkind one-hot of ``x``: column ``len(NODE_KINDS) + i`` is ``SUBKINDS[i]``.
SUBKINDS: tuple[str, ...] = (*(str(s) for s in Subkind), *LITERAL_TYPES, "<other>")
#: Codes of ``edge_label``: CFG and CDG labels (0: unlabelled; other edge kinds are all 0).
EDGE_LABELS: tuple[str, ...] = ("", *(str(c) for c in CfgLabel))
#: ``format`` of the manifest :func:`export_dataset` writes.
DATASET_FORMAT = "workbench-graphs/1"
_LABELLED = (EdgeKind.CFG, EdgeKind.CDG)


# -- networkx, GraphML, DOT ------------------------------------------------------------------


def method_graph(
    tables: Any, method: str | int, *, module: str | int | None = None
) -> nx.MultiDiGraph:
    """One method's graph as a networkx MultiDiGraph.

    Parameters
    ----------
    tables
        :class:`~workbench.analysis.tables.CodeTables`, or a CPG, Project or Store to read.
    method
        Full name (or a unique dotted suffix), or a METHOD id with ``module``.
    module
        Module path, dotted name or key, to narrow the search.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes are CPG node ids, in id order, with ``kind``, ``subkind``, ``ast_type``,
        ``name``, ``line`` and ``code`` (None where the CPG has none); edges carry ``kind`` and
        ``label``, in the order the CPG stores them. Graph attributes: ``name`` (the method's
        full name), ``module``, ``path``, ``method_id``.

    Raises
    ------
    workbench.errors.NotFoundError
        No such method (the message lists close names).
    workbench.errors.AmbiguousNameError
        The name matches several methods.

    Examples
    --------
    >>> import workbench as wb
    >>> g = method_graph(wb.build_cpg("def f(x):\\n    return x\\n", path="m.py"), "m.f")
    >>> [(n, d["kind"]) for n, d in g.nodes(data=True)][:3]
    [(3, 'METHOD'), (4, 'METHOD_PARAMETER_IN'), (5, 'BLOCK')]
    >>> g.graph["name"], sorted({k for *_, k in g.edges(data="kind")})
    ('m.f', ['AST', 'CFG', ...])
    """
    import networkx as nx

    t = as_tables(tables, "method_graph")
    g = t.find_method(method, module)
    held = np.flatnonzero(t.node_method == g)
    rows = t.nodes.take(pa.array(held, pa.int64()))
    ids = rows["id"].to_pylist()
    columns = {c: rows[c].to_pylist() for c in ("kind", "subkind", "ast_type", "name", "line")}
    columns["code"] = t.code(held).to_pylist()
    key = int(t.node_module[g])
    out = nx.MultiDiGraph(
        name=t.method_full_name[g],
        module=key,
        path=t.module_of_path().get(key),
        method_id=int(t.node_id[g]),
    )
    for i, n in enumerate(ids):
        out.add_node(n, **{c: v[i] for c, v in columns.items()})
    e = np.flatnonzero((t.node_method[t.edge_src] == g) & (t.node_method[t.edge_dst] == g))
    src = t.node_id[t.edge_src[e]].tolist()
    dst = t.node_id[t.edge_dst[e]].tolist()
    kinds = [EDGE_KINDS[k] for k in t.edge_kind[e].tolist()]
    for u, v, k, lab in zip(src, dst, kinds, t.labels(e), strict=True):
        out.add_edge(u, v, kind=k, label=lab)
    return out


def to_graphml(graph: nx.Graph, path: str | os.PathLike) -> Path:
    """Write a graph to GraphML, made safe for it: None attributes dropped, numpy scalars
    made Python, other values turned into strings, and characters XML cannot hold written as
    ``\\xNN``.

    Raises
    ------
    TypeError
        ``graph`` is not a networkx graph, or ``path`` is not a str or path.
    workbench.errors.WorkbenchError
        ``path`` is empty or a directory.

    Examples
    --------
    >>> import tempfile, networkx as nx, workbench as wb
    >>> g = method_graph(wb.build_cpg("def f(x):\\n    return x\\n", path="m.py"), "f")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = nx.read_graphml(to_graphml(g, f"{d}/f.graphml"), node_type=int)
    >>> back.number_of_nodes() == g.number_of_nodes(), back.nodes[3]["kind"]
    (True, 'METHOD')
    """
    import networkx as nx

    _check_graph("to_graphml", graph)
    path = as_path("to_graphml", "path", path)
    if path.is_dir():
        raise WorkbenchError(f"to_graphml(): {path} is a directory; pass a file path")
    safe = graph.__class__()
    safe.graph.update(_safe_attrs(graph.graph))
    if "id" in safe.graph:  # the GraphML graph id: a string
        safe.graph["id"] = str(safe.graph["id"])
    for n, d in graph.nodes(data=True):
        safe.add_node(_safe_value(n), **_safe_attrs(d))
    if graph.is_multigraph():
        for u, v, k, d in graph.edges(keys=True, data=True):
            safe.add_edge(_safe_value(u), _safe_value(v), key=_safe_value(k), **_safe_attrs(d))
    else:
        for u, v, d in graph.edges(data=True):
            safe.add_edge(_safe_value(u), _safe_value(v), **_safe_attrs(d))
    nx.write_graphml(safe, path)
    return path


def to_dot(graph: nx.Graph, *, name: str | None = None) -> str:
    """The graph in Graphviz DOT, every identifier and value quoted.

    A node is shown as its ``label`` if it has one, else as its kind and code; every
    attribute that is not None is written (an edge's ``label`` is shown on it). Inside
    quotes, a backslash is doubled and ``"``, newlines and carriage returns are written
    ``\\"``, ``\\n`` and ``\\r``.

    Raises
    ------
    TypeError
        ``graph`` is not a networkx graph, or ``name`` is neither a str nor None.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph(name="demo")
    >>> g.add_node(1, kind="CALL", code='print("a\\\\b")')
    >>> g.add_edge(1, 1, kind="CFG", label="true")
    0
    >>> print(to_dot(g))
    digraph "demo" {
      node [shape=box, fontname="monospace"];
      "1" [label="CALL\\nprint(\\"a\\\\b\\")", kind="CALL", code="print(\\"a\\\\b\\")"];
      "1" -> "1" [kind="CFG", label="true", color="blue"];
    }
    """
    _check_graph("to_dot", graph)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"to_dot(): name must be a str or None, not {type(name).__name__}")
    arrow = "->" if graph.is_directed() else "--"
    title = name if name is not None else graph.graph.get("name") or "G"
    lines = [
        f"{'digraph' if graph.is_directed() else 'graph'} {_quote(title)} {{",
        '  node [shape=box, fontname="monospace"];',
    ]
    for n, d in graph.nodes(data=True):
        shown = "\n".join(str(d[c]) for c in ("kind", "code") if d.get(c) is not None)
        label = d.get("label") if d.get("label") is not None else shown or str(n)
        attrs = {"label": label, **{k: v for k, v in d.items() if k != "label"}}
        lines.append(f"  {_quote(n)} [{_attr_list(attrs)}];")
    for u, v, d in graph.edges(data=True):
        attrs = dict(d)
        if "color" not in attrs and d.get("kind") in _COLORS:
            attrs["color"] = _COLORS[d["kind"]]
        extra = f" [{_attr_list(attrs)}]" if any(x is not None for x in attrs.values()) else ""
        lines.append(f"  {_quote(u)} {arrow} {_quote(v)}{extra};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- PyTorch Geometric -------------------------------------------------------------------


def to_pyg_arrays(
    tables: Any, methods: str | Iterable[str] | None = None, *, dense: bool = True
) -> dict[str, Any]:
    """Methods' graphs as numpy arrays in PyTorch Geometric's layout.

    Parameters
    ----------
    tables
        :class:`~workbench.analysis.tables.CodeTables`, or a CPG, Project or Store to read.
    methods
        ``None`` for every method (in (module, id) order), a full name, or full names (in the
        order given; each resolved as :meth:`CodeTables.find_method`).
    dense
        Include ``x``; without it, ``node_kind`` and ``node_subkind`` carry the same
        information (:func:`one_hot` expands them).

    Returns
    -------
    dict
        ``x`` float32 (nodes, len(NODE_KINDS) + len(SUBKINDS)); ``node_kind`` int8 and
        ``node_subkind`` int16 (codes into :data:`NODE_KINDS`/:data:`SUBKINDS`, -1: none);
        ``edge_index`` {edge kind: int64 (2, E)} for every kind of :data:`EDGE_KINDS` (node
        numbers in the batch; for one method they are its local numbering), sorted by
        (source, destination); ``edge_label`` {edge kind: int8 (E,)} (codes into
        :data:`EDGE_LABELS`); ``node_ids`` int64 (nodes, 2): module key and CPG id;
        ``batch`` int64 (nodes,): the graph of each node; ``ptr`` int64 (graphs + 1,);
        ``methods`` int64 (graphs, 2): module key and METHOD id; ``full_name`` str
        (graphs,).

    Raises
    ------
    TypeError
        ``methods`` is none of the above (bytes, and sets, whose order changes from run to
        run, are refused), a name is not a str, or ``dense`` is not a bool.
    workbench.errors.NotFoundError
        A name matches no method.
    ValueError
        A method is named twice.

    Examples
    --------
    >>> import workbench as wb
    >>> cpg = wb.build_cpg("def f(a, b):\\n    return a + b\\n", path="m.py")
    >>> a = to_pyg_arrays(cpg, "m.f")
    >>> a["x"].shape, a["x"].sum(axis=1).max(), a["ptr"].tolist()
    ((9, 64), np.float32(2.0), [0, 9])
    >>> [NODE_KINDS[k] for k in a["node_kind"][:3]]
    ['METHOD', 'METHOD_PARAMETER_IN', 'METHOD_PARAMETER_IN']
    >>> a["edge_index"]["REACHING_DEF"].tolist()
    [[1, 2], [6, 7]]
    """
    t = as_tables(tables, "to_pyg_arrays")
    check_flag("to_pyg_arrays", "dense", dense)
    ix = MethodIndex(t)
    rows = _selected_rows(t, ix, methods)
    graphs = len(rows)
    pos_of_row = np.full(ix.count + 1, -1, np.int64)
    pos_of_row[rows] = np.arange(graphs)
    graph_of_node = pos_of_row[ix.node_row]  # node_row -1 -> the extra slot, -1
    gids = np.flatnonzero(graph_of_node >= 0)
    gids = gids[np.argsort(graph_of_node[gids], kind="stable")]
    batch = graph_of_node[gids]
    local = np.full(len(t), -1, np.int64)
    local[gids] = np.arange(len(gids))
    ptr = np.zeros(graphs + 1, np.int64)
    np.cumsum(np.bincount(batch, minlength=graphs), out=ptr[1:])

    s, d = local[t.edge_src], local[t.edge_dst]
    inside = (s >= 0) & (t.node_method[t.edge_src] == t.node_method[t.edge_dst])
    rows_e = np.flatnonzero(inside)
    label = _edge_label_codes(t, rows_e)
    edge_index, edge_label = {}, {}
    for code, kind in enumerate(EDGE_KINDS):
        sel = rows_e[t.edge_kind[rows_e] == code]
        lab = label[t.edge_kind[rows_e] == code]
        order = np.lexsort((d[sel], s[sel]))
        edge_index[kind] = np.stack([s[sel][order], d[sel][order]]).astype(np.int64).reshape(2, -1)
        edge_label[kind] = lab[order].astype(np.int8)

    kind = t.node_kind[gids].astype(np.int8)
    sub = _subkind_codes(t)[gids]
    m = t.methods
    out: dict[str, Any] = {}
    if dense:
        out["x"] = one_hot(kind, sub)
    out.update(
        node_kind=kind,
        node_subkind=sub,
        edge_index=edge_index,
        edge_label=edge_label,
        node_ids=np.stack([t.node_module[gids], t.node_id[gids].astype(np.int64)], axis=1),
        batch=batch,
        ptr=ptr,
        methods=np.stack(
            [m["module"].to_numpy()[rows], m["id"].to_numpy().astype(np.int64)[rows]], axis=1
        ).reshape(graphs, 2),
        full_name=np.asarray(m["full_name"].take(pa.array(rows, pa.int64())).to_pylist(), str),
    )
    return out


def one_hot(node_kind: np.ndarray, node_subkind: np.ndarray) -> np.ndarray:
    """The node feature matrix ``x`` from kind and subkind codes (-1: a zero block).

    >>> one_hot(np.array([0], np.int8), np.array([-1], np.int16)).nonzero()[1].tolist()
    [0]
    """
    n, k = len(node_kind), len(NODE_KINDS)
    x = np.zeros((n, k + len(SUBKINDS)), np.float32)
    rows = np.arange(n)
    ok = node_kind >= 0
    x[rows[ok], node_kind[ok].astype(np.int64)] = 1.0
    ok = node_subkind >= 0
    x[rows[ok], k + node_subkind[ok].astype(np.int64)] = 1.0
    return x


def export_dataset(tables: Any, directory: str | os.PathLike) -> Path:
    """Write every method of a program as a graph dataset, in one call.

    The directory gets ``graphs.npz`` (the arrays of :func:`to_pyg_arrays` over all methods,
    without ``x``: ``edge_index`` and ``edge_label`` as ``edge_index.<KIND>`` and
    ``edge_label.<KIND>``), ``features.parquet`` (:func:`method_features`, row ``j`` is graph
    ``j``) and ``manifest.json`` (format, vocabularies, shapes). The same program gives the
    same bytes. :func:`load_dataset` reads it back.

    Raises
    ------
    TypeError
        ``tables`` is none of the readable sources, or ``directory`` is not a str or path.
    workbench.errors.WorkbenchError
        ``directory`` is empty or an existing file.

    Examples
    --------
    >>> import tempfile, workbench as wb
    >>> cpg = wb.build_cpg("def f(x):\\n    return x\\n", path="m.py")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = export_dataset(cpg, d)
    ...     sorted(p.name for p in out.iterdir()), load_dataset(out)["x"].shape
    (['features.parquet', 'graphs.npz', 'manifest.json'], (10, 64))
    """
    t = as_tables(tables, "export_dataset")
    directory = as_path("export_dataset", "directory", directory)
    if directory.exists() and not directory.is_dir():
        raise WorkbenchError(f"export_dataset(): {directory} is a file; pass a directory")
    directory.mkdir(parents=True, exist_ok=True)
    arrays = to_pyg_arrays(t, dense=False)
    flat = _flatten(arrays)
    with zipfile.ZipFile(directory / "graphs.npz", "w") as z:
        for key in sorted(flat):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, flat[key], allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            # fixed timestamps: the same arrays give the same bytes; level 1 is 10x faster
            # than numpy's savez_compressed and the arrays shrink almost as much
            z.writestr(info, buf.getvalue(), zipfile.ZIP_DEFLATED, compresslevel=1)
    save_features(method_features(t), directory / "features.parquet")
    manifest = {
        "format": DATASET_FORMAT,
        "graphs": len(arrays["full_name"]),
        "nodes": len(arrays["batch"]),
        "edges": {k: int(v.shape[1]) for k, v in arrays["edge_index"].items()},
        "x_shape": [len(arrays["batch"]), len(NODE_KINDS) + len(SUBKINDS)],
        "node_kinds": list(NODE_KINDS),
        "subkinds": list(SUBKINDS),
        "edge_kinds": list(EDGE_KINDS),
        "edge_labels": list(EDGE_LABELS),
        "arrays": {k: [str(v.dtype), list(v.shape)] for k, v in sorted(flat.items())},
        "files": ["graphs.npz", "features.parquet", "manifest.json"],
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return directory


def load_dataset(directory: str | os.PathLike, *, dense: bool = True) -> dict[str, Any]:
    """Read a directory :func:`export_dataset` wrote: the dict :func:`to_pyg_arrays` returns
    (``x`` rebuilt when ``dense``), plus ``features`` (the per-method DataFrame).

    Raises
    ------
    TypeError
        ``directory`` is not a str or path, or ``dense`` is not a bool.
    workbench.errors.WorkbenchError
        ``directory`` is empty or has no ``manifest.json``.
    ValueError
        The manifest is not of this format or its vocabularies differ from this version's.
    """
    from workbench.analysis.features.table import read_features

    directory = as_path("load_dataset", "directory", directory)
    check_flag("load_dataset", "dense", dense)
    if not (directory / "manifest.json").is_file():
        raise WorkbenchError(
            f"load_dataset(): {directory} has no manifest.json; pass a directory "
            "export_dataset() wrote"
        )
    manifest = json.loads((directory / "manifest.json").read_text())
    if manifest.get("format") != DATASET_FORMAT:
        raise ValueError(
            f"{directory}: not a {DATASET_FORMAT} dataset ({manifest.get('format')!r})"
        )
    for key, ours in (
        ("node_kinds", NODE_KINDS),
        ("subkinds", SUBKINDS),
        ("edge_kinds", EDGE_KINDS),
    ):
        if tuple(manifest[key]) != ours:
            raise ValueError(f"{directory}: its {key} differ from this workbench's; re-export it")
    with np.load(directory / "graphs.npz", allow_pickle=False) as z:
        flat = {k: z[k] for k in z.files}
    out: dict[str, Any] = {}
    if dense:
        out["x"] = one_hot(flat["node_kind"], flat["node_subkind"])
    nested: dict[str, dict[str, np.ndarray]] = {"edge_index": {}, "edge_label": {}}
    for key, value in flat.items():
        group, _, kind = key.partition(".")
        if kind:
            nested[group][kind] = value
        else:
            out[key] = value
    for group, values in nested.items():
        out[group] = {k: values[k] for k in EDGE_KINDS}
    out["features"] = read_features(directory / "features.parquet")
    return out


def to_hetero_data(arrays: dict[str, Any]) -> Any:
    """A ``torch_geometric.data.HeteroData`` from :func:`to_pyg_arrays` (or
    :func:`load_dataset`) arrays: node type ``node`` (``x``, ``batch``, ``ptr``,
    ``node_ids``) and one edge type ``("node", KIND, "node")`` per edge kind (``edge_index``,
    and ``edge_attr``: one-hot of :data:`EDGE_LABELS` for CFG and CDG).

    Raises
    ------
    workbench.errors.MissingDependencyError
        torch_geometric is not installed (``pip install "cpg-workbench[pyg]"``).
    TypeError
        ``arrays`` is not such a dict.
    """
    if not isinstance(arrays, dict) or "edge_index" not in arrays or "ptr" not in arrays:
        raise TypeError("to_hetero_data() takes the dict to_pyg_arrays() or load_dataset() returns")
    try:
        import torch
        from torch_geometric.data import HeteroData
    except ImportError:
        from workbench.errors import MissingDependencyError

        raise MissingDependencyError("torch_geometric", "pyg") from None
    x = arrays.get("x")
    if x is None:
        x = one_hot(arrays["node_kind"], arrays["node_subkind"])
    data = HeteroData()
    data["node"].x = torch.from_numpy(np.ascontiguousarray(x))
    data["node"].batch = torch.from_numpy(arrays["batch"])
    data["node"].ptr = torch.from_numpy(arrays["ptr"])
    data["node"].node_ids = torch.from_numpy(arrays["node_ids"])
    for kind, ei in arrays["edge_index"].items():
        store = data["node", kind, "node"]
        store.edge_index = torch.from_numpy(np.ascontiguousarray(ei))
        if kind in _LABELLED:
            lab = arrays["edge_label"][kind].astype(np.int64)
            store.edge_attr = torch.from_numpy(np.eye(len(EDGE_LABELS), dtype=np.float32)[lab])
    return data


# -- helpers ------------------------------------------------------------------------------

_COLORS = {
    "AST": "black",
    "CFG": "blue",
    "CDG": "darkgreen",
    "REACHING_DEF": "red",
    "DOMINATE": "gray",
    "POST_DOMINATE": "gray",
    "CALL": "purple",
    "ARGUMENT": "orange",
    "RECEIVER": "orange",
}
#: Characters XML 1.0 cannot hold.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(s: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", s)


def _safe_value(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool | int | float):
        return v
    return _xml_text(v if isinstance(v, str) else str(v))


def _safe_attrs(attrs: dict) -> dict:
    return {str(k): _safe_value(v) for k, v in attrs.items() if v is not None}


def _quote(value: Any) -> str:
    s = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + s.replace("\n", "\\n").replace("\r", "\\r") + '"'


def _attr_list(attrs: dict) -> str:
    return ", ".join(
        f"{_quote(k)[1:-1] if _ID.fullmatch(str(k)) else _quote(k)}={_quote(v)}"
        for k, v in attrs.items()
        if v is not None
    )


_ID = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def _check_graph(caller: str, graph: object) -> None:
    import networkx as nx

    if not isinstance(graph, nx.Graph):
        raise TypeError(
            f"{caller}() writes a networkx graph (method_graph() makes one), "
            f"not {type(graph).__name__}"
        )


def _selected_rows(t: CodeTables, ix: MethodIndex, methods) -> np.ndarray:
    if methods is None:
        return np.arange(ix.count, dtype=np.int64)
    if isinstance(methods, str):
        methods = [methods]
    elif not isinstance(methods, Iterable) or isinstance(
        methods, bytes | bytearray | memoryview | Mapping | Set
    ):
        raise TypeError(
            "to_pyg_arrays(): methods must be None, a full name or a sequence of full names "
            f"(a list or tuple: a set has no order), not {type(methods).__name__}"
        )
    rows = []
    for name in methods:
        if not isinstance(name, str):
            raise TypeError(f"a method is named by its full name (str), not {type(name).__name__}")
        rows.append(int(ix.row_of[t.find_method(name)]))
    if len(set(rows)) != len(rows):
        raise ValueError("a method is named twice")
    return np.asarray(rows, np.int64)


def _subkind_codes(t: CodeTables) -> np.ndarray:
    sub = t.nodes["subkind"]
    idx = pc.fill_null(pc.index_in(sub, value_set=pa.array(SUBKINDS)), len(SUBKINDS) - 1)
    idx = idx.to_numpy(zero_copy_only=False).astype(np.int16)
    idx[~pc.is_valid(sub).to_numpy(zero_copy_only=False)] = -1
    return idx


def _edge_label_codes(t: CodeTables, rows: np.ndarray) -> np.ndarray:
    text = t.edge_label.take(pa.array(rows, pa.int64()))
    idx = pc.fill_null(pc.index_in(text, value_set=pa.array(EDGE_LABELS[1:])), -1)
    code = idx.to_numpy(zero_copy_only=False).astype(np.int16) + 1
    labelled = np.isin(t.edge_kind[rows], [EDGE_KINDS.index(k) for k in _LABELLED])
    return np.where(labelled, code, 0).astype(np.int8)


def _flatten(arrays: dict[str, Any]) -> dict[str, np.ndarray]:
    flat = {}
    for key, value in arrays.items():
        if isinstance(value, dict):
            for kind, a in value.items():
                flat[f"{key}.{kind}"] = a
        elif key != "x":
            flat[key] = np.asarray(value)
    return flat
