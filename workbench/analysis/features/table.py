"""One row of numbers per method: the feature table researchers train models on.

:func:`method_features` reads a program once into a :class:`~workbench.analysis.tables.CodeTables`
and computes every column for every method at once, with numpy over the node and edge arrays
(no Python loop over methods or nodes): the whole standard library takes seconds.

A method *holds* the nodes whose ``cpg_nodes.method`` is its METHOD node (Joern's CONTAINS).
A nested function, lambda, comprehension or class body is a method of its own: the enclosing
method holds only its METHOD_REF (and what is evaluated where it is defined: decorators,
defaults, a comprehension's first iterable), never its body. Every count below is over held
nodes, and an edge belongs to the method holding its source node.

The columns, their types and docs are :data:`FEATURES` (an Arrow schema; the docs travel in
the Parquet file :func:`save_features` writes).

Examples
--------
>>> import workbench as wb
>>> cpg = wb.build_cpg("def f(x):\\n    while x:\\n        x = x - 1\\n    return x\\n",
...                    path="m.py")
>>> df = method_features(cpg)
>>> df[["full_name", "nodes", "loop_depth", "cyclomatic", "identifiers"]]
    full_name  nodes  loop_depth  cyclomatic identifiers
0  m.<module>      4           0           1          []
1         m.f     14           1           2         [x]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.analysis.tables import EDGE_KINDS, NODE_KINDS, CodeTables
from workbench.cpg.schema import EdgeKind, NodeKind, Subkind
from workbench.errors import WorkbenchError

__all__ = ["FEATURES", "method_features", "read_features", "save_features"]

#: Method subkinds whose ``for`` clauses are nested loops written side by side.
COMPREHENSIONS = (Subkind.LISTCOMP, Subkind.SETCOMP, Subkind.DICTCOMP, Subkind.GENEXP)
#: CONTROL_STRUCTURE subkinds that are loops.
LOOPS = (Subkind.FOR, Subkind.WHILE)

_I32, _I64, _F64, _STR = pa.int32(), pa.int64(), pa.float64(), pa.string()


def _f(name: str, type_: pa.DataType, doc: str) -> pa.Field:
    return pa.field(name, type_, nullable=False, metadata={"doc": doc})


#: The feature table: every column, in order, with its type and doc.
FEATURES: pa.Schema = pa.schema(
    [
        _f("module", _I64, "Module key"),
        pa.field("path", _STR, metadata={"doc": "Module path relative to the source root"}),
        _f("id", _I32, "METHOD node id in the module"),
        _f("full_name", _STR, "module.qualname of the method"),
        _f("subkind", _STR, "METHOD subkind: MODULE, FUNCTION, LAMBDA, CLASS_BODY, LISTCOMP, ..."),
        _f("line", _I32, "First line (0 where unknown)"),
        _f("nodes", _I32, "Nodes the method holds (its METHOD node included)"),
        _f("edges", _I32, "Edges whose source node the method holds (every kind, AST included)"),
        *(_f(f"nodes_{k}", _I32, f"Held nodes of kind {k}") for k in NODE_KINDS),
        *(_f(f"edges_{k}", _I32, f"Edges of kind {k} leaving a held node") for k in EDGE_KINDS),
        _f("cyclomatic", _I32, "cpg_methods.cyclomatic"),
        _f("mccabe", _I32, "cpg_methods.mccabe"),
        _f("nesting", _I32, "cpg_methods.nesting"),
        _f("parameters", _I32, "cpg_methods.parameters"),
        _f("statements", _I32, "cpg_methods.statements"),
        _f(
            "loop_depth",
            _I32,
            "Deepest nesting of for/while loops among held nodes; in a comprehension, the "
            "number of its for clauses",
        ),
        _f("ast_depth", _I32, "Longest AST path from the METHOD node down through held nodes"),
        _f("dataflow_density", _F64, "REACHING_DEF edges leaving held nodes / nodes"),
        _f("fan_in", _I32, "Distinct methods with a CALL edge to this one (itself included)"),
        _f("fan_out", _I32, "Distinct methods this one has a CALL edge to (itself included)"),
        _f("pagerank", _F64, "PageRank on the method call graph (alpha 0.85, call-site weights)"),
        _f("in_degree_centrality", _F64, "fan_in / (methods - 1), as networkx"),
        _f("out_degree_centrality", _F64, "fan_out / (methods - 1), as networkx"),
        _f("identifier_count", _I32, "Distinct IDENTIFIER names among held nodes"),
        _f("identifiers", pa.list_(_STR), "Those names, sorted"),
    ],
    metadata={
        "workbench.table": "method_features",
        "doc": "One row per METHOD, sorted by (module, id) (workbench.analysis.features).",
    },
)
_CENTRALITIES = ("pagerank", "in_degree_centrality", "out_degree_centrality")


def method_features(source_or_tables: Any, *, centralities: bool = True) -> pd.DataFrame:
    """The feature table of every method of a program.

    Parameters
    ----------
    source_or_tables
        A :class:`~workbench.analysis.tables.CodeTables`, or what
        :meth:`CodeTables.read <workbench.analysis.tables.CodeTables.read>` reads: a CPG, a
        :class:`~workbench.pipeline.project.Project` or a :class:`~workbench.store.Store`.
    centralities
        Compute ``pagerank``, ``in_degree_centrality`` and ``out_degree_centrality`` on the
        method call graph (``False`` leaves those three columns out).

    Returns
    -------
    pandas.DataFrame
        One row per row of ``CodeTables.methods`` (sorted by module key, then METHOD id); the
        columns of :data:`FEATURES`. ``identifiers`` holds Python lists. The same input gives
        the same frame.

    Notes
    -----
    Counts cover the nodes a method holds: a nested function, lambda, comprehension or class
    body is counted in its own row, and the enclosing method sees only its METHOD_REF. So a
    comprehension's ``for`` clauses count towards the comprehension's ``loop_depth``, not the
    enclosing method's. ``fan_in``/``fan_out`` and the centralities read the stored CALL edges
    (call site -> callee METHOD) lifted to methods; calls to code outside the program have no
    edge. The call graph has every method as a node and one edge per (caller, callee) pair
    weighted by its CALL edges; PageRank is networkx's (alpha 0.85, tolerance 1e-10, at most
    1000 power iterations, dangling mass spread uniformly).

    Raises
    ------
    TypeError
        ``source_or_tables`` is none of the above, or ``centralities`` is not a bool.

    Examples
    --------
    >>> import workbench as wb
    >>> src = "def f(n):\\n    return g(n) + g(1)\\n\\ndef g(n):\\n    return n\\n"
    >>> df = method_features(wb.build_cpg(src, path="m.py"))
    >>> df[["full_name", "nodes", "nodes_CALL", "fan_in", "fan_out"]]
        full_name  nodes  nodes_CALL  fan_in  fan_out
    0  m.<module>      5           0       0        0
    1         m.f     12           3       0        1
    2         m.g      6           0       1        0
    >>> bool((df.filter(like="nodes_").sum(axis=1) == df["nodes"]).all())
    True
    """
    t = as_tables(source_or_tables, "method_features")
    check_flag("method_features", "centralities", centralities)
    ix = MethodIndex(t)
    m = ix.count
    cols: dict[str, Any] = {}
    meth = t.methods
    cols["module"] = meth["module"].to_numpy()
    cols["path"] = ix.paths
    cols["id"] = meth["id"].to_numpy().astype(np.int32)
    cols["full_name"] = meth["full_name"]
    cols["subkind"] = meth["subkind"]
    cols["line"] = pc.fill_null(meth["line"], 0).to_numpy().astype(np.int32)

    held = ix.node_row >= 0
    rows = ix.node_row[held]
    cols["nodes"] = np.bincount(rows, minlength=m).astype(np.int32)
    erow = ix.node_row[t.edge_src]
    eheld = erow >= 0
    cols["edges"] = np.bincount(erow[eheld], minlength=m).astype(np.int32)
    node_hist = _histogram(rows, t.node_kind[held], m, len(NODE_KINDS))
    for i, k in enumerate(NODE_KINDS):
        cols[f"nodes_{k}"] = node_hist[:, i]
    edge_hist = _histogram(erow[eheld], t.edge_kind[eheld], m, len(EDGE_KINDS))
    for i, k in enumerate(EDGE_KINDS):
        cols[f"edges_{k}"] = edge_hist[:, i]
    for c in ("cyclomatic", "mccabe", "nesting", "parameters", "statements"):
        cols[c] = pc.fill_null(meth[c], 0).to_numpy().astype(np.int32)

    loop_depth, ast_depth = _depths(t, ix)
    cols["loop_depth"], cols["ast_depth"] = loop_depth, ast_depth
    rd = edge_hist[:, EDGE_KINDS.index(EdgeKind.REACHING_DEF)]
    cols["dataflow_density"] = rd / np.maximum(cols["nodes"], 1)

    caller, callee, weight = call_pairs(t, ix)
    cols["fan_in"] = np.bincount(callee, minlength=m).astype(np.int32)
    cols["fan_out"] = np.bincount(caller, minlength=m).astype(np.int32)
    if centralities:
        cols["pagerank"] = pagerank(caller, callee, weight, m)
        scale = 1.0 / (m - 1) if m > 1 else 1.0
        cols["in_degree_centrality"] = cols["fan_in"] * scale if m > 1 else np.ones(m)
        cols["out_degree_centrality"] = cols["fan_out"] * scale if m > 1 else np.ones(m)
    names = _identifiers(t, ix)
    cols["identifier_count"] = np.diff(names.offsets.to_numpy()).astype(np.int32)
    cols["identifiers"] = names

    schema = FEATURES if centralities else _without(FEATURES, _CENTRALITIES)
    table = pa.table({f.name: cols[f.name] for f in schema}, schema=schema)
    return _to_pandas(table)


def save_features(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a feature table to Parquet, with the column docs in the schema metadata.

    The file's bytes depend only on the frame (and the pyarrow version): no pandas index or
    metadata, no timestamps, one row group. Columns are cast to :data:`FEATURES` (a frame
    without the centrality columns is written without them); extra columns are refused.

    Raises
    ------
    TypeError
        ``df`` is not a DataFrame, or ``path`` is not a str or path.
    ValueError
        Extra or missing columns.
    workbench.errors.WorkbenchError
        ``path`` is empty or a directory.

    Examples
    --------
    >>> import tempfile, workbench as wb
    >>> df = method_features(wb.build_cpg("def f():\\n    pass\\n", path="m.py"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_features(df, f"{d}/features.parquet")
    ...     back = read_features(p)
    >>> back.equals(df)
    True
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"save_features() writes a pandas DataFrame, not {type(df).__name__}")
    schema = _without(FEATURES, [c for c in _CENTRALITIES if c not in df.columns])
    extra = [c for c in df.columns if c not in schema.names]
    if extra:
        raise ValueError(f"not feature columns: {', '.join(map(str, extra))}")
    missing = [c for c in schema.names if c not in df.columns]
    if missing:
        raise ValueError(f"feature columns missing: {', '.join(missing)}")
    table = pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)
    table = table.replace_schema_metadata(schema.metadata)
    import pyarrow.parquet as pq

    path = as_path("save_features", "path", path)
    if path.is_dir():
        raise WorkbenchError(f"save_features(): {path} is a directory; pass a file path")
    pq.write_table(
        table,
        path,
        row_group_size=max(table.num_rows, 1),
        compression="zstd",
        write_statistics=False,
        store_schema=True,
    )
    return path


def read_features(path: str | os.PathLike) -> pd.DataFrame:
    """Read a Parquet file :func:`save_features` wrote, as :func:`method_features` returns it."""
    import pyarrow.parquet as pq

    return _to_pandas(pq.read_table(as_path("read_features", "path", path)))


# -- shared by the features package --------------------------------------------------------


def as_tables(source: Any, caller: str) -> CodeTables:
    """``source`` as :class:`CodeTables` (read when it is a CPG, a Project or a Store)."""
    if isinstance(source, CodeTables):
        return source
    from workbench.cpg.graph import CPG
    from workbench.pipeline.project import Project
    from workbench.store import Store

    if isinstance(source, CPG | Project | Store):
        return CodeTables.read(source)
    raise TypeError(
        f"{caller}() reads CodeTables, a CPG (build_cpg), a Project (build_project) or a "
        f"Store, not {type(source).__name__}"
    )


def check_flag(caller: str, name: str, value: object) -> None:
    """Refuse a flag that is not a bool (``"no"`` would be true)."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{caller}(): {name} must be True or False, not {value!r}")


def as_path(caller: str, name: str, value: object) -> Path:
    """A path parameter (a str or os.PathLike, not empty) as a :class:`~pathlib.Path`."""
    if not isinstance(value, str | os.PathLike):
        raise TypeError(
            f"{caller}(): {name} must be a str or os.PathLike path, not {type(value).__name__}"
        )
    if os.fspath(value) in ("", b""):
        raise WorkbenchError(f"{caller}(): {name} is empty; pass a path")
    return Path(value)


class MethodIndex:
    """Methods numbered by their row in ``CodeTables.methods``.

    ``row_of[g]``: the row of METHOD node ``g`` (-1 for other nodes); ``node_row[g]``: the
    row of the method holding node ``g`` (-1 when that method has no row).
    """

    def __init__(self, t: CodeTables):
        self.tables = t
        self.g = t.methods["g"].to_numpy()
        self.count = len(self.g)
        self.row_of = np.full(len(t), -1, np.int64)
        ok = self.g >= 0
        self.row_of[self.g[ok]] = np.flatnonzero(ok)
        self.node_row = self.row_of[t.node_method] if len(t) else np.zeros(0, np.int64)

    @property
    def paths(self) -> pa.Array:
        """Path of each method's module."""
        t = self.tables
        keys = t.modules["module"].to_numpy()
        pos = np.searchsorted(keys, t.methods["module"].to_numpy())
        return t.modules["path"].combine_chunks().take(pa.array(pos, pa.int64()))


def call_pairs(t: CodeTables, ix: MethodIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (caller row, callee row) pairs of the CALL edges, sorted, and the number of
    CALL edges of each."""
    src, dst, _ = t.edges_of(EdgeKind.CALL)
    caller, callee = ix.node_row[src], ix.row_of[dst]
    ok = (caller >= 0) & (callee >= 0)
    pairs, weight = np.unique(caller[ok] * max(ix.count, 1) + callee[ok], return_counts=True)
    return pairs // max(ix.count, 1), pairs % max(ix.count, 1), weight


def pagerank(
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    n: int,
    *,
    alpha: float = 0.85,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> np.ndarray:
    """PageRank of nodes ``0..n-1`` over weighted edges, as ``networkx.pagerank`` computes it
    (power iteration with scipy; returns the last iterate if it has not converged)."""
    if n == 0:
        return np.zeros(0)
    import scipy.sparse as sp

    a = sp.csr_array((weight.astype(np.float64), (src, dst)), shape=(n, n))
    out_w = np.asarray(a.sum(axis=1)).ravel()
    inv = np.divide(1.0, out_w, out=np.zeros(n), where=out_w != 0)
    a = sp.diags_array(inv) @ a
    dangling = out_w == 0
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        last = x
        x = alpha * (x @ a + x[dangling].sum() / n) + (1 - alpha) / n
        if np.abs(x - last).sum() < n * tol:
            break
    return x


def local_parent(t: CodeTables) -> np.ndarray:
    """AST parent of each node when the same method holds both, else -1."""
    par = t.node_parent
    out = par.copy()
    has = par >= 0
    out[has] = np.where(t.node_method[par[has]] == t.node_method[has], par[has], -1)
    return out


def chain_sums(parent: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every node of a forest given by ``parent`` (-1 at roots): its depth and the sum of
    ``weight`` over its path to the root, both ends included (pointer jumping, O(n log depth))."""
    depth = (parent >= 0).astype(np.int32)
    total = weight.astype(np.int32)
    anc = parent.copy()
    active = np.flatnonzero(anc >= 0)
    while len(active):
        up = anc[active]
        depth[active] += depth[up]
        total[active] += total[up]
        anc[active] = anc[up]
        active = active[anc[active] >= 0]
    return depth, total


# -- helpers ------------------------------------------------------------------------------


def _histogram(rows: np.ndarray, codes: np.ndarray, m: int, k: int) -> np.ndarray:
    ok = codes >= 0
    flat = rows[ok] * k + codes[ok].astype(np.int64)
    return np.bincount(flat, minlength=m * k).reshape(m, k).astype(np.int32)


def _depths(t: CodeTables, ix: MethodIndex) -> tuple[np.ndarray, np.ndarray]:
    m = ix.count
    is_loop = (t.node_kind == NODE_KINDS.index(NodeKind.CONTROL_STRUCTURE)) & pc.is_in(
        t.nodes["subkind"], pa.array([str(s) for s in LOOPS])
    ).to_numpy(zero_copy_only=False)
    depth, loops = chain_sums(local_parent(t), is_loop)
    held = ix.node_row >= 0
    rows = ix.node_row[held]
    ast_depth = np.zeros(m, np.int32)
    np.maximum.at(ast_depth, rows, depth[held])
    loop_depth = np.zeros(m, np.int32)
    np.maximum.at(loop_depth, rows, loops[held])
    comp = pc.is_in(t.methods["subkind"], pa.array([str(s) for s in COMPREHENSIONS]))
    comp = comp.to_numpy(zero_copy_only=False)
    clauses = np.bincount(ix.node_row[is_loop & held], minlength=m).astype(np.int32)
    return np.where(comp, clauses, loop_depth), ast_depth


def _identifiers(t: CodeTables, ix: MethodIndex) -> pa.ListArray:
    """Distinct IDENTIFIER names of each method, sorted, as one list array."""
    m = ix.count
    ident = np.flatnonzero(
        (t.node_kind == NODE_KINDS.index(NodeKind.IDENTIFIER))
        & (ix.node_row >= 0)
        & pc.is_valid(t.nodes["name"]).to_numpy(zero_copy_only=False)
    )
    names = t.nodes["name"].take(pa.array(ident, pa.int64())).combine_chunks()
    enc = pc.dictionary_encode(names)
    words = enc.dictionary
    order = pc.sort_indices(words).to_numpy()
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    width = max(len(words), 1)
    codes = rank[enc.indices.to_numpy()] if len(ident) else np.zeros(0, np.int64)
    keys = np.unique(ix.node_row[ident] * width + codes)
    offsets = np.zeros(m + 1, np.int32)
    np.cumsum(np.bincount(keys // width, minlength=m), out=offsets[1:])
    values = words.take(pa.array(order, pa.int64())).take(pa.array(keys % width, pa.int64()))
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values.cast(_STR))


def _without(schema: pa.Schema, names) -> pa.Schema:
    for n in names:
        schema = schema.remove(schema.get_field_index(n))
    return schema


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    df = table.to_pandas()
    if "identifiers" in df.columns:
        df["identifiers"] = pd.Series(table["identifiers"].to_pylist(), dtype=object)
    return df
