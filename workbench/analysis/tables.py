"""The whole program as dense arrays: every CPG node of a store, a project or a CPG numbered
``0..n-1`` in (module, id) order, and the edges between them over those numbers.

Semantics (impact, slices, coupling, smells, summaries) and ML features read a program once
into a :class:`CodeTables` and work on numpy arrays: a node's kind, method, parent and line
are arrays indexed by its global number, an edge kind is a small integer code. Source text is
read lazily (:meth:`CodeTables.code`): it is most of the bytes and only hits show it.

Examples
--------
>>> import workbench as wb
>>> t = CodeTables.read(wb.build_cpg("def f(x):\\n    return x + 1\\n", path="m.py"))
>>> t
<CodeTables: 1 module, 2 methods, 12 nodes, 24 edges>
>>> t.kind_name(t.node_kind[t.gid(t.modules["module"][0].as_py(), 0)])
'METHOD'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.analysis.graphs import _find_method, _find_module, _integer, _np, _pack, _source
from workbench.cpg.schema import EdgeKind, NodeKind
from workbench.errors import WorkbenchError

__all__ = ["EDGE_KINDS", "NODE_KINDS", "CodeTables"]

#: Node kinds in code order: ``node_kind == i`` means ``NODE_KINDS[i]``.
NODE_KINDS: tuple[str, ...] = tuple(str(k) for k in NodeKind)
#: Edge kinds in code order (``AST`` edges come from the ``parent`` column).
EDGE_KINDS: tuple[str, ...] = tuple(str(k) for k in EdgeKind if k != EdgeKind.CONTAINS)

#: ``cpg_nodes`` columns held in memory (``code`` is read on demand).
NODE_COLUMNS = [
    "module",
    "id",
    "kind",
    "subkind",
    "ast_type",
    "name",
    "full_name",
    "line",
    "end_line",
    "parent",
    "order",
    "method",
    "resolution",
    "reachable",
]


def _codes(values: pa.ChunkedArray | pa.Array, vocabulary: tuple[str, ...]) -> np.ndarray:
    """Strings as int8 codes of ``vocabulary`` (-1 for anything else)."""
    idx = pc.index_in(values, value_set=pa.array(vocabulary))
    return pc.fill_null(idx, -1).to_numpy(zero_copy_only=False).astype(np.int8)


@dataclass(eq=False, repr=False)
class CodeTables:
    """Every node and edge of a program, numbered densely.

    Build with :meth:`read`. Node ``g`` is row ``g`` of :attr:`nodes`; the numpy arrays
    (``node_*``, ``edge_*``) are the hot columns of the same rows.
    """

    #: ``cpg_nodes`` rows (:data:`NODE_COLUMNS`) sorted by (module, id); row g is node g
    nodes: pa.Table
    #: ``cpg_methods`` rows with ``g``, the global number of the METHOD node
    methods: pa.Table
    #: ``module`` key, ``path``, ``name`` of the modules with a CPG, by key
    modules: pa.Table
    #: modules without a CPG: ``module``, ``path``, ``name``, ``status``
    left_out: pa.Table
    #: edge source and destination (global numbers) and kind (code into EDGE_KINDS)
    edge_src: np.ndarray
    edge_dst: np.ndarray
    edge_kind: np.ndarray
    #: edge labels (CFG/CDG branch, variable, resolution, argument position)
    edge_label: pa.ChunkedArray
    source: Any = field(default=None)
    _read: Any = field(default=None)
    _version: int | None = field(default=None)

    def __repr__(self) -> str:
        n = self.modules.num_rows
        return (
            f"<CodeTables: {n} module{'s' * (n != 1)}, {self.methods.num_rows} methods, "
            f"{self.nodes.num_rows} nodes, {len(self.edge_src)} edges>"
        )

    # -- reading ----------------------------------------------------------------------------

    @classmethod
    def read(cls, source: Any, *, call_graph: bool = False) -> CodeTables:
        """Read a :class:`~workbench.store.Store` (modules with a built CPG), a
        :class:`~workbench.pipeline.project.Project` or a :class:`~workbench.cpg.graph.CPG`.

        A store's CALL edges are those it holds (the value-flow call graph's too when
        ``workbench generate --call-graph`` saved them). ``call_graph=True`` adds a
        project's value-flow call edges (:meth:`Project.call_edges
        <workbench.pipeline.project.Project.call_edges>`; solved on first use) to the
        syntactic ones of its CPGs; it changes nothing for a store or a CPG.

        Raises
        ------
        workbench.errors.NotFoundError
            A store none of whose modules has a CPG.
        TypeError
            Anything else.
        """
        src = _source(source)
        built = src.built
        keys = src.keys
        nodes = src.read("cpg_nodes", NODE_COLUMNS, None).sort_by(
            [("module", "ascending"), ("id", "ascending")]
        )
        nodes = nodes.combine_chunks()
        columns = ["module", "src", "dst", "kind", "label", "dst_module"]
        edges = src.read("cpg_edges", columns, None)
        if call_graph and _is_project(source):
            extra = source.call_edges().select(columns)
            edges = pa.concat_tables([edges, extra.cast(edges.schema)])
        methods = src.read("cpg_methods", _method_columns(src), None).sort_by(
            [("module", "ascending"), ("id", "ascending")]
        )
        packed = _pack(keys, nodes["module"], nodes["id"])
        e_src = _lookup(packed, _pack(keys, edges["module"], edges["src"]))
        dst_module = pc.coalesce(edges["dst_module"], edges["module"])
        e_dst = _lookup(packed, _pack(keys, dst_module, edges["dst"]))
        kind = _codes(edges["kind"], EDGE_KINDS)
        ok = (e_src >= 0) & (e_dst >= 0) & (kind >= 0)
        # a call site's callee found twice (by name and by the value-flow call graph) is one
        # CALL edge; the first (the CPG's own, with its resolution) is kept
        calls = np.flatnonzero(ok & (kind == EDGE_KINDS.index(str(EdgeKind.CALL))))
        _, first = np.unique(e_src[calls] * len(packed) + e_dst[calls], return_index=True)
        ok[calls] = False
        ok[calls[first]] = True
        mask = pa.array(ok)
        m_g = _lookup(packed, _pack(keys, methods["module"], methods["id"]))
        methods = methods.append_column("g", pa.array(m_g, pa.int64()))
        modules = pa.table(
            {"module": built["key"], "path": built["path"], "name": built["name"]}
        ).combine_chunks()
        k = src.known
        out = k.filter(pc.invert(pc.is_in(k["key"], built["key"])))
        left_out = pa.table(
            {
                "module": out["key"],
                "path": out["path"],
                "name": out["name"],
                "status": out["status"],
            }
        )
        return cls(
            nodes=nodes,
            methods=methods,
            modules=modules,
            left_out=left_out,
            edge_src=e_src[ok],
            edge_dst=e_dst[ok],
            edge_kind=kind[ok],
            edge_label=edges["label"].filter(mask),
            source=source,
            _read=src,
            _version=source.version if _is_store(source) else None,
        )

    # -- node columns as numpy -------------------------------------------------------------

    def __len__(self) -> int:
        return self.nodes.num_rows

    @cached_property
    def module_keys(self) -> np.ndarray:
        """Sorted keys of the modules with a CPG."""
        return self.modules["module"].to_numpy()

    @cached_property
    def node_module(self) -> np.ndarray:
        """Module key of each node."""
        return self.nodes["module"].to_numpy()

    @cached_property
    def node_id(self) -> np.ndarray:
        """CPG id of each node in its module."""
        return self.nodes["id"].to_numpy()

    @cached_property
    def node_kind(self) -> np.ndarray:
        """Kind code of each node (index into :data:`NODE_KINDS`)."""
        return _codes(self.nodes["kind"], NODE_KINDS)

    @cached_property
    def node_line(self) -> np.ndarray:
        """First line (0 where unknown)."""
        return pc.fill_null(self.nodes["line"], 0).to_numpy().astype(np.int32)

    @cached_property
    def node_method(self) -> np.ndarray:
        """Global number of the METHOD holding each node (a METHOD node holds itself)."""
        return self.gid(self.nodes["module"], self.nodes["method"])

    @cached_property
    def node_parent(self) -> np.ndarray:
        """Global number of the AST parent (-1 for a module's root)."""
        par = pc.fill_null(self.nodes["parent"], -1).to_numpy()
        out = np.full(len(par), -1, np.int64)
        has = par >= 0
        out[has] = self.gid(self.node_module[has], par[has])
        return out

    @cached_property
    def node_reachable(self) -> np.ndarray:
        return self.nodes["reachable"].to_numpy(zero_copy_only=False)

    @cached_property
    def _packed(self) -> np.ndarray:
        return _pack(self.module_keys, self.nodes["module"], self.nodes["id"])

    def gid(self, module, ids) -> np.ndarray | int:
        """Global numbers of ``(module key, id)`` pairs (arrays or scalars); -1 where there
        is no such node."""
        scalar = np.isscalar(ids) and np.isscalar(module)
        m = np.atleast_1d(_np(module, np.int64))
        i = np.atleast_1d(_np(ids, np.int64))
        if len(m) == 1 and len(i) != 1:
            m = np.repeat(m, len(i))
        out = _lookup(self._packed, _pack(self.module_keys, m, i))
        return int(out[0]) if scalar else out

    @staticmethod
    def kind_name(code: int) -> str:
        return NODE_KINDS[int(code)]

    def column(self, name: str) -> pa.ChunkedArray | pa.Array:
        """A node column (``code`` included, read on first use)."""
        if name == "code":
            return self.code(np.arange(len(self)))
        return self.nodes[name]

    def code(self, gids: np.ndarray) -> pa.Array:
        """Source text of some nodes (the column is read once, on first use: one bulk read
        costs less than a filtered read of a few modules)."""
        return self._code.take(pa.array(np.asarray(gids, np.int64), pa.int64()))

    @cached_property
    def _code(self) -> pa.Array:
        read = self._read
        version = getattr(self.source, "version", None) if _is_store(self.source) else None
        if version is not None and version != self._version:
            # the store moved on since the tables were read: the text of that version
            read = _source(self.source.at(self._version))
        t = read.read("cpg_nodes", ["module", "id", "code"], None)
        t = t.sort_by([("module", "ascending"), ("id", "ascending")])
        if t.num_rows != len(self) or not (
            np.array_equal(t["module"].to_numpy(), self.node_module)
            and np.array_equal(t["id"].to_numpy(), self.node_id)
        ):  # pragma: no cover - the store changed under the tables
            raise WorkbenchError("the CPG changed since these tables were read: read them again")
        return t["code"].combine_chunks()

    # -- edges -------------------------------------------------------------------------------

    def edges_of(self, *kinds: str | EdgeKind) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(src, dst, row)`` of the edges of some kinds (row: index into the edge arrays,
        for labels)."""
        codes = [EDGE_KINDS.index(str(k)) for k in kinds]
        rows = np.flatnonzero(np.isin(self.edge_kind, codes))
        return self.edge_src[rows], self.edge_dst[rows], rows

    def labels(self, rows: np.ndarray) -> list[str | None]:
        return self.edge_label.take(pa.array(rows, pa.int64())).to_pylist()

    # -- names -------------------------------------------------------------------------------

    def module_of_path(self) -> dict[int, str]:
        return dict(
            zip(self.modules["module"].to_pylist(), self.modules["path"].to_pylist(), strict=True)
        )

    def find_method(self, method: str | int, module: str | int | None = None) -> int:
        """Global number of a METHOD by full name (or unique suffix), or by id with
        ``module``; the errors of :func:`workbench.analysis.graphs.load`."""
        method = _integer(method)
        if isinstance(method, bool) or not isinstance(method, str | int):
            raise TypeError(f"a method is a full name (str) or a METHOD id (int), not {method!r}")
        key = self.find_module(module) if module is not None else None
        if isinstance(method, str) and key is None:
            hits = self._by_full_name.get(method, ())
            if len(hits) == 1:  # the common case, answered from memory
                return hits[0]
        elif isinstance(method, int | np.integer) and key is not None:
            g = int(self.gid(key, int(method)))
            if g >= 0 and self.node_kind[g] == NODE_KINDS.index(str(NodeKind.METHOD)):
                return g
        k, i = _find_method(self._read, key, method)  # suffixes, and the errors
        return int(self.gid(k, i))

    @cached_property
    def _by_full_name(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for name, g in zip(
            self.methods["full_name"].to_pylist(), self.methods["g"].to_pylist(), strict=True
        ):
            if g >= 0:
                out.setdefault(name, []).append(g)
        return out

    def find_module(self, module: str | int) -> int:
        """A module's key by path, dotted name or key (any integer type)."""
        return _find_module(self._read, _integer(module))

    def describe(self, gids: np.ndarray, *, code: bool = True) -> pd.DataFrame:
        """``module``, ``path``, ``id``, ``kind``, ``line``, ``method`` (full name of the
        holding method) and ``code`` (unless ``code=False``) of some nodes, in the order
        given."""
        gids = np.asarray(gids, np.int64)
        idx = pa.array(gids, pa.int64())
        t = self.nodes.select(["module", "id", "kind", "line"]).take(idx)
        paths = self.module_of_path()
        holder = self.method_full_name[self.node_method[gids]] if len(gids) else []
        out = pd.DataFrame(
            {
                "module": t["module"].to_numpy(),
                "path": [paths.get(m) for m in t["module"].to_pylist()],
                "id": t["id"].to_numpy(),
                "kind": t["kind"].to_pylist(),
                "line": t["line"].to_pandas(),
                "method": list(holder),
            }
        )
        if code:
            out["code"] = self.code(gids).to_pylist()
        return out

    @cached_property
    def method_full_name(self) -> np.ndarray:
        """Full name of each node that is a METHOD (object array; None elsewhere)."""
        out = np.full(len(self), None, object)
        g = self.methods["g"].to_numpy()
        ok = g >= 0
        out[g[ok]] = np.asarray(self.methods["full_name"].to_pylist(), object)[ok]
        return out


def _is_store(source: Any) -> bool:
    from workbench.store import Store

    return isinstance(source, Store)


def _is_project(source: Any) -> bool:
    from workbench.pipeline.project import Project

    return isinstance(source, Project)


def _method_columns(src) -> list[str]:
    from workbench.cpg.schema import METHODS

    return [f.name for f in METHODS]


def _lookup(sorted_packed: np.ndarray, packed: np.ndarray) -> np.ndarray:
    """Positions of ``packed`` in ``sorted_packed``; -1 where absent."""
    if not len(sorted_packed):
        return np.full(len(packed), -1, np.int64)
    pos = np.minimum(np.searchsorted(sorted_packed, packed), len(sorted_packed) - 1)
    return np.where((sorted_packed[pos] == packed) & (packed >= 0), pos, -1).astype(np.int64)
