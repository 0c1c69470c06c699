"""The CPG object: nodes, edges and methods as Arrow tables, with conversions.

Examples
--------
>>> import workbench as wb
>>> cpg = wb.build_cpg("def f(x):\\n    if x > 0:\\n        return x\\n    return -x\\n",
...                    path="m.py")
>>> cpg
<CPG m.py: 1 module, 2 methods, ... nodes, ... edges>
>>> f = cpg.method("f")
>>> sorted(f.find(kind="RETURN", code=None))  # ids of the two return statements
[...]
>>> g = f.to_networkx(layers=("CFG",))
>>> test = f.find(code="x > 0")[0]
>>> sorted(g.edges[test, dst, k]["label"] for _, dst, k in g.out_edges(test, keys=True))
['false', 'true']
"""

from __future__ import annotations

import difflib
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from workbench.cpg.schema import EDGES, METHODS, NODES, EdgeKind
from workbench.errors import AmbiguousNameError, NotFoundError

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

__all__ = ["CPG", "CPGFrames", "ModuleInfo"]

#: Every stored edge kind; the default layers of :meth:`CPG.to_networkx`.
ALL_LAYERS: tuple[str, ...] = tuple(str(k) for k in EdgeKind if k != EdgeKind.CONTAINS)

#: Node columns copied onto networkx nodes by default.
NODE_ATTRIBUTES = ("kind", "subkind", "ast_type", "name", "full_name", "code", "line", "method")


@dataclass(frozen=True)
class ModuleInfo:
    """Identity of the module a CPG was built from."""

    key: int
    path: str | None
    name: str
    content_hash: str
    size_bytes: int
    lines: int


class CPGFrames(NamedTuple):
    """The three tables of a CPG as pandas DataFrames."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    methods: pd.DataFrame


class CPG:
    """A code property graph: Arrow tables in the schemas of :mod:`workbench.cpg.schema`.

    Parameters
    ----------
    nodes, edges, methods
        Tables in the ``cpg_nodes``, ``cpg_edges`` and ``cpg_methods`` schemas.
    module
        Where the graph comes from (None for graphs assembled from several modules).
    """

    __slots__ = ("edges", "methods", "module", "nodes")

    def __init__(
        self,
        nodes: pa.Table,
        edges: pa.Table,
        methods: pa.Table,
        module: ModuleInfo | None = None,
    ) -> None:
        self.nodes = nodes.cast(NODES) if nodes.schema != NODES else nodes
        self.edges = edges.cast(EDGES) if edges.schema != EDGES else edges
        self.methods = methods.cast(METHODS) if methods.schema != METHODS else methods
        self.module = module

    def __repr__(self) -> str:
        where = (self.module.path or self.module.name) if self.module else "multi-module"
        modules = len(pc.unique(self.nodes["module"])) if self.nodes.num_rows else 0
        return (
            f"<CPG {where}: {modules} module{'s' if modules != 1 else ''}, "
            f"{self.methods.num_rows} methods, {self.nodes.num_rows} nodes, "
            f"{self.edges.num_rows} edges>"
        )

    # -- conversions --------------------------------------------------------------------

    def to_arrow(self) -> dict[str, pa.Table]:
        """The tables by their stored names."""
        return {"cpg_nodes": self.nodes, "cpg_edges": self.edges, "cpg_methods": self.methods}

    def to_pandas(self) -> CPGFrames:
        """Nodes, edges and methods as pandas DataFrames."""
        return CPGFrames(self.nodes.to_pandas(), self.edges.to_pandas(), self.methods.to_pandas())

    def to_networkx(
        self,
        layers: Iterable[str] = ALL_LAYERS,
        node_attributes: Sequence[str] = NODE_ATTRIBUTES,
    ) -> nx.MultiDiGraph:
        """A :class:`networkx.MultiDiGraph` of the chosen edge layers.

        Nodes are keyed by id when the CPG holds one module and by ``(module, id)`` otherwise.
        With ``AST`` or ``CONTAINS`` among the layers every node is included; otherwise only
        nodes that the chosen edges touch. Edges carry ``kind`` and ``label``.
        """
        import networkx as nx

        layers = [str(x) for x in layers]
        unknown = set(layers) - set(ALL_LAYERS) - {str(EdgeKind.CONTAINS)}
        if unknown:
            raise NotFoundError(f"unknown layers {sorted(unknown)}; choose from {ALL_LAYERS}")
        single = len(pc.unique(self.nodes["module"])) <= 1
        g = nx.MultiDiGraph()
        e = self.edges.filter(pc.is_in(self.edges["kind"], pa.array(layers, pa.string())))
        mods, srcs, dsts = (e[c].to_pylist() for c in ("module", "src", "dst"))
        kinds, labels, dmods = (e[c].to_pylist() for c in ("kind", "label", "dst_module"))
        if single:
            edge_rows = [
                (s, d, {"kind": k, "label": lab})
                for s, d, k, lab, dm in zip(srcs, dsts, kinds, labels, dmods, strict=True)
                if dm is None
            ]
        else:
            edge_rows = [
                ((m, s), (dm if dm is not None else m, d), {"kind": k, "label": lab})
                for m, s, d, k, lab, dm in zip(mods, srcs, dsts, kinds, labels, dmods, strict=True)
            ]
        contains = str(EdgeKind.CONTAINS)
        all_nodes = EdgeKind.AST in layers or contains in layers
        nodes = self.nodes
        if not all_nodes:
            keep = {x for s, d, _ in edge_rows for x in (s, d)}
            ids = nodes["id"].to_pylist()
            nmods = nodes["module"].to_pylist()
            mask = [((m, i) if not single else i) in keep for m, i in zip(nmods, ids, strict=True)]
            nodes = nodes.filter(pa.array(mask, pa.bool_()))
        cols = {c: nodes[c].to_pylist() for c in node_attributes}
        keys = (
            nodes["id"].to_pylist()
            if single
            else list(zip(nodes["module"].to_pylist(), nodes["id"].to_pylist(), strict=True))
        )
        g.add_nodes_from((k, {c: cols[c][i] for c in node_attributes}) for i, k in enumerate(keys))
        g.add_edges_from(edge_rows)
        if contains in layers:
            meth = nodes["method"].to_pylist()
            if single:
                g.add_edges_from(
                    (m, i, {"kind": contains, "label": None})
                    for m, i in zip(meth, keys, strict=True)
                    if m != i
                )
            else:
                g.add_edges_from(
                    ((k[0], m), k, {"kind": contains, "label": None})
                    for m, k in zip(meth, keys, strict=True)
                    if m != k[1]
                )
        return g

    # -- navigation ---------------------------------------------------------------------

    def method(self, name: str | int) -> CPG:
        """The subgraph of one method (its nodes and those of methods nested in it).

        Parameters
        ----------
        name
            The METHOD node id, the full name (``pkg.mod.C.m``) or a suffix of it that is
            unique (``C.m``, ``m``).

        Raises
        ------
        NotFoundError
            No method has that name (the message suggests close names).
        AmbiguousNameError
            Several do (``candidates`` lists their ids and lines).
        """
        mid = self._method_id(name)
        parents = dict(
            zip(
                self.methods["id"].to_pylist(),
                self.methods["parent_method"].to_pylist(),
                strict=True,
            )
        )
        keep = {mid}
        changed = True
        while changed:
            changed = False
            for m, p in parents.items():
                if p in keep and m not in keep:
                    keep.add(m)
                    changed = True
        ids = pa.array(sorted(keep), pa.int32())
        nodes = self.nodes.filter(pc.is_in(self.nodes["method"], ids))
        node_ids = nodes["id"].combine_chunks()
        e = self.edges
        e = e.filter(
            pc.and_(
                pc.and_(pc.is_in(e["src"], node_ids), pc.is_in(e["dst"], node_ids)),
                pc.is_null(e["dst_module"]),
            )
        )
        methods = self.methods.filter(pc.is_in(self.methods["id"], ids))
        return CPG(nodes, e, methods, self.module)

    def _method_id(self, name: str | int) -> int:
        ids = self.methods["id"].to_pylist()
        if isinstance(name, int):
            if name not in ids:
                raise NotFoundError(f"no METHOD with id {name}")
            return name
        fulls = self.methods["full_name"].to_pylist()
        lines = self.methods["line"].to_pylist()
        hits = [
            (i, f, line)
            for i, f, line in zip(ids, fulls, lines, strict=True)
            if f == name or f.endswith("." + name)
        ]
        if not hits:
            close = difflib.get_close_matches(name, fulls, n=5, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise NotFoundError(f"no method named {name!r}{hint}")
        exact = [h for h in hits if h[1] == name]
        if len(exact) == 1:
            return exact[0][0]
        if len(hits) > 1:
            listing = ", ".join(f"{f} (id {i}, line {line})" for i, f, line in hits)
            raise AmbiguousNameError(
                f"{len(hits)} methods match {name!r}: {listing}; pass the id instead", hits
            )
        return hits[0][0]

    def find(self, *, code: str | None = None, **columns) -> list[int]:
        """Ids of the nodes whose columns equal the given values, sorted.

        >>> import workbench as wb
        >>> wb.build_cpg("x = 1\\nprint(x)\\n").find(kind="IDENTIFIER", name="x")
        [4, 7]
        """
        mask = None
        wanted = dict(columns)
        if code is not None:
            wanted["code"] = code
        for col, value in wanted.items():
            if col not in NODES.names:
                raise NotFoundError(f"no node column {col!r}; columns: {', '.join(NODES.names)}")
            arr = self.nodes[col]
            m = pc.is_null(arr) if value is None else pc.equal(arr, value)
            m = pc.fill_null(m, False)
            mask = m if mask is None else pc.and_(mask, m)
        sel = self.nodes if mask is None else self.nodes.filter(mask)
        return sorted(sel["id"].to_pylist())

    def node(self, nid: int) -> dict:
        """One node's columns as a dict."""
        rows = self.nodes.filter(pc.equal(self.nodes["id"], nid)).to_pylist()
        if not rows:
            raise NotFoundError(f"no node with id {nid}")
        return rows[0]

    def out_edges(self, nid: int, kind: str | None = None) -> list[tuple[int, str, str | None]]:
        """``(dst, kind, label)`` of the edges leaving a node, optionally of one kind."""
        e = self.edges
        m = pc.equal(e["src"], nid)
        if kind is not None:
            m = pc.and_(m, pc.equal(e["kind"], str(kind)))
        sel = e.filter(m)
        return list(
            zip(
                sel["dst"].to_pylist(),
                sel["kind"].to_pylist(),
                sel["label"].to_pylist(),
                strict=True,
            )
        )

    def summary(self) -> dict[str, int]:
        """Counts of nodes per kind and edges per kind (handy in notebooks)."""
        out = {
            "nodes": self.nodes.num_rows,
            "edges": self.edges.num_rows,
            "methods": self.methods.num_rows,
        }
        for row in self.edges.group_by("kind").aggregate([("src", "count")]).to_pylist():
            out[f"edges.{row['kind']}"] = row["src_count"]
        return out

    def equals(self, other: CPG) -> bool:
        """Same rows in the same order in all three tables."""
        return (
            self.nodes.equals(other.nodes)
            and self.edges.equals(other.edges)
            and self.methods.equals(other.methods)
        )

    def graph_hash(self) -> str:
        """Content hash of the module's own node and edge rows.

        SHA-256 over the Arrow IPC stream of the nodes and of the edges within the module
        (cross-module edges depend on other modules and are left out); schema metadata such as
        column docs does not count, so the hash changes only when the graph does.

        >>> import workbench as wb
        >>> a = wb.build_cpg("x = 1\\n", path="m.py")
        >>> a.graph_hash() == wb.build_cpg("x = 1\\n", path="m.py").graph_hash()
        True
        >>> a.graph_hash() == wb.build_cpg("x = 2\\n", path="m.py").graph_hash()
        False
        """
        h = hashlib.sha256()
        edges = self.edges.filter(pc.is_null(self.edges["dst_module"]))
        for t in (self.nodes, edges):
            t = t.combine_chunks()
            bare = pa.schema([f.remove_metadata() for f in t.schema])
            sink = io.BytesIO()
            with pa.ipc.new_stream(sink, bare) as w:
                w.write_table(t.cast(bare))
            h.update(sink.getvalue())
        return h.hexdigest()

    @classmethod
    def concat(cls, cpgs: Iterable[CPG]) -> CPG:
        """One CPG holding several modules' rows (sorted by module key, as stored)."""
        parts = sorted(cpgs, key=lambda c: c.module.key if c.module else 0)
        if not parts:
            return cls(NODES.empty_table(), EDGES.empty_table(), METHODS.empty_table())
        return cls(
            pa.concat_tables([c.nodes for c in parts]),
            pa.concat_tables([c.edges for c in parts]),
            pa.concat_tables([c.methods for c in parts]),
            parts[0].module if len(parts) == 1 else None,
        )
