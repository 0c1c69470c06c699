"""The graphs CPGMath runs algorithms on: control flow, dependences, calls, imports, inheritance.

:func:`load` reads one graph out of a store, a built project or a CPG, for one method, one
module or the whole project, and returns a :class:`CodeGraph`: a node table whose row ``i`` is
node ``i`` and an edge table over those dense numbers, ready for :meth:`CodeGraph.to_networkx`.
The same input always gives the same tables, row for row.

=========== ================================== =============================================
kind        nodes                              edges (``kind``: ``label``; ``weight``)
=========== ================================== =============================================
cfg         statements and conditions, the     ``CFG``: true/false/exception or null; 1
            METHOD entry and METHOD_RETURN
cdg         nodes with CDG edges               ``CDG``: the branch; 1
ddg         nodes with REACHING_DEF edges      ``REACHING_DEF``: the variable; 1
pdg         nodes with either                  ``CDG`` and ``REACHING_DEF`` rows; 1
call        METHODs (+ external callees)       ``CALL``: the resolutions; call sites
import      modules (+ external packages)      ``IMPORTS``: IMPORT/IMPORT_FROM; statements
inheritance TYPE_DECLs (+ external bases)      ``INHERITS_FROM``: the base as written; 1
=========== ================================== =============================================

Examples
--------
>>> import workbench as wb
>>> cpg = wb.build_cpg(
...     "def f(x):\\n    if x > 0:\\n        x = 1\\n    return x\\n", path="m.py")
>>> g = load(cpg, "cfg", method="f")
>>> g
<CodeGraph cfg of one method: 5 nodes, 5 edges>
>>> code = [c or k for c, k in zip(g.nodes["code"].to_pylist(), g.nodes["kind"].to_pylist())]
>>> [(code[s], code[d], lab) for s, d, lab in
...  zip(*(g.edges[c].to_pylist() for c in ("src", "dst", "label")))]
... # doctest: +NORMALIZE_WHITESPACE
[('def f(x):', 'x > 0', None), ('x > 0', 'x = 1', 'true'), ('x > 0', 'return x', 'false'),
 ('x = 1', 'return x', None), ('return x', 'METHOD_RETURN', None)]
"""

from __future__ import annotations

import ast
import builtins
import difflib
import numbers
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.cpg.graph import CPG
from workbench.cpg.schema import CpgStatus, EdgeKind, NodeKind, Resolution, Subkind
from workbench.errors import AlgorithmError, AmbiguousNameError, NotFoundError

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

__all__ = [
    "GRAPH_EDGES",
    "GRAPH_NODES",
    "IMPORTS",
    "INHERITS_FROM",
    "KINDS",
    "CodeGraph",
    "load",
]

#: The graphs :func:`load` makes.
KINDS = ("cfg", "cdg", "ddg", "pdg", "call", "import", "inheritance")
#: Edge kind of the import graph (Joern's name): importing module -> imported module.
IMPORTS = "IMPORTS"
#: Edge kind of the inheritance graph (Joern's name): class -> base class.
INHERITS_FROM = "INHERITS_FROM"
#: How many names re-exported by other modules a base class or import is followed through.
REEXPORT_HOPS = 5


def _f(name: str, type_: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"doc": doc})


GRAPH_NODES = pa.schema(
    [
        _f("node", pa.int32(), "Dense node number: row i is node i", False),
        _f("module", pa.int64(), "Module key; null for an external node"),
        _f("id", pa.int32(), "CPG node id in the module; null for an external node"),
        _f("kind", pa.string(), "CPG node kind (METHOD for modules and callees)", False),
        _f("name", pa.string(), "Node name (the dotted module name in the import graph)"),
        _f("full_name", pa.string(), "Qualified name; an external node's dotted name"),
        _f("code", pa.string(), "Source text"),
        _f("line", pa.int32(), "1-based first line"),
        _f("method", pa.int32(), "Id of the METHOD holding the node; null for external"),
        _f("external", pa.bool_(), "Outside the project (only with external=True)", False),
    ],
    metadata={"doc": "Nodes of a CodeGraph, ordered by (module, id), then externals by name."},
)

GRAPH_EDGES = pa.schema(
    [
        _f("src", pa.int32(), "Source node number", False),
        _f("dst", pa.int32(), "Destination node number", False),
        _f("kind", pa.string(), "Edge kind: CFG, CDG, REACHING_DEF, CALL, IMPORTS, ...", False),
        _f("label", pa.string(), "CFG/CDG branch, variable, resolutions, import kinds, base"),
        _f("weight", pa.float64(), "Call sites (call), import statements (import), else 1", False),
    ],
    metadata={"doc": "Edges of a CodeGraph, sorted by (src, dst, kind, label)."},
)

_FLOW = {
    "cfg": (EdgeKind.CFG,),
    "cdg": (EdgeKind.CDG,),
    "ddg": (EdgeKind.REACHING_DEF,),
    "pdg": (EdgeKind.CDG, EdgeKind.REACHING_DEF),
}
_SUMMED = ("call", "import")  # graphs whose weights count things: summed when edges merge
_NODE_COLUMNS = ["module", "id", "kind", "name", "full_name", "code", "line", "method"]
_MODULE_SUFFIX = ".<module>"
#: A dotted name of identifiers (RE2: ``\\pL`` letters, ``\\pN`` digits).
_DOTTED = r"^[\pL_][\pL\pN_]*(\.[\pL_][\pL\pN_]*)+$"
_BUILTINS = frozenset(dir(builtins))
_ZERO = pa.scalar(0, pa.int32())


@dataclass(frozen=True, repr=False)
class CodeGraph:
    """A graph of one kind over one scope, as two Arrow tables.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    scope : str
        ``"method"``, ``"module"`` or ``"project"``.
    nodes : pyarrow.Table
        In the :data:`GRAPH_NODES` schema; row ``i`` is node ``i``. Ordered by
        ``(module, id)``, then the external nodes by ``full_name``.
    edges : pyarrow.Table
        In the :data:`GRAPH_EDGES` schema, sorted by ``(src, dst, kind, label)``; one row per
        distinct ``(src, dst, kind, label)`` (the call and import graphs: one row per
        ``(src, dst)``, the labels joined).
    """

    kind: str
    scope: str
    nodes: pa.Table
    edges: pa.Table

    def __repr__(self) -> str:
        where = {"method": "one method", "module": "one module", "project": "the project"}
        return (
            f"<CodeGraph {self.kind} of {where.get(self.scope, self.scope)}: "
            f"{self.number_of_nodes} nodes, {self.number_of_edges} edges>"
        )

    @property
    def number_of_nodes(self) -> int:
        """Rows of :attr:`nodes`."""
        return self.nodes.num_rows

    @property
    def number_of_edges(self) -> int:
        """Rows of :attr:`edges` (parallel rows count apart, unlike in :meth:`to_networkx`)."""
        return self.edges.num_rows

    def to_pandas(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The node and edge tables as pandas DataFrames."""
        return self.nodes.to_pandas(), self.edges.to_pandas()

    def to_networkx(self) -> nx.DiGraph:
        """A :class:`networkx.DiGraph` on nodes ``0 .. n-1``.

        Nodes carry the node columns (``module``, ``id``, ``kind``, ``name``, ``full_name``,
        ``code``, ``line``, ``method``, ``external``); edges carry ``kind``, ``label`` and
        ``weight``. The graph attributes ``kind`` and ``scope`` say what it is.

        Parallel rows (same ``src`` and ``dst``: a CFG branch whose both arms reach the same
        node, a pdg pair that is both control and data dependent) become one edge: ``kind`` and
        ``label`` are the distinct non-null values, sorted and joined with ``","`` (None when
        there is none); ``weight`` is the sum for the call and import graphs (call sites,
        import statements) and the largest value otherwise.

        Examples
        --------
        >>> import workbench as wb
        >>> cpg = wb.build_cpg("def f(x):\\n    assert x\\n", path="m.py")
        >>> g = load(cpg, "cfg", method="f").to_networkx()
        >>> sorted((g.nodes[u]["code"], g.nodes[w]["kind"], d["label"])
        ...        for u, w, d in g.edges(data=True))
        [('assert x', 'METHOD_RETURN', 'exception,true'), ('def f(x):', 'CONTROL_STRUCTURE', None)]
        """
        import networkx as nx

        g = nx.DiGraph(kind=self.kind, scope=self.scope)
        cols = [c for c in self.nodes.column_names if c != "node"]
        data = [self.nodes[c].to_pylist() for c in cols]
        g.add_nodes_from(
            (i, dict(zip(cols, values, strict=True)))
            for i, values in enumerate(zip(*data, strict=True))
        )
        summed = self.kind in _SUMMED
        merged: dict[tuple[int, int], list] = {}
        e = self.edges
        for s, d, k, lab, w in zip(
            *(e[c].to_pylist() for c in ("src", "dst", "kind", "label", "weight")), strict=True
        ):
            cur = merged.get((s, d))
            if cur is None:
                merged[(s, d)] = [{k}, set() if lab is None else {lab}, w]
                continue
            cur[0].add(k)
            if lab is not None:
                cur[1].add(lab)
            cur[2] = cur[2] + w if summed else max(cur[2], w)
        g.add_edges_from(
            (
                s,
                d,
                {
                    "kind": ",".join(sorted(kinds)),
                    "label": ",".join(sorted(labels)) or None,
                    "weight": w,
                },
            )
            for (s, d), (kinds, labels, w) in merged.items()
        )
        return g


def load(
    source,
    kind: str,
    *,
    module: str | int | None = None,
    method: str | int | None = None,
    external: bool = False,
) -> CodeGraph:
    """One graph of a store, a project or a CPG.

    Parameters
    ----------
    source : Store, Project or CPG
        A :class:`~workbench.store.Store` (its stored CPGs and CALL edges, cross-module ones
        and a saved value-flow call graph included), a :func:`~workbench.build_project`
        result (CALL edges linked across modules; :meth:`Project.call_edges` are not added)
        or a :class:`~workbench.cpg.graph.CPG` of one or several modules.
    kind : str
        One of :data:`KINDS`:

        - ``cfg``: the nodes CFG edges touch, entry METHOD and METHOD_RETURN included;
        - ``cdg`` / ``ddg``: the CDG / REACHING_DEF edges and the nodes they touch; ``pdg``:
          both (each row keeps its kind);
        - ``call``: every METHOD in scope and the methods they call in other modules; an edge
          per caller and callee (the caller is the METHOD holding the call site), ``weight``
          the call sites, ``label`` the resolutions;
        - ``import``: every module in scope and the project modules it imports (a target is
          the longest prefix of the imported dotted name that is a project module:
          ``from pkg import sub`` is ``pkg.sub`` when that is a module, else ``pkg``); an
          edge per importer and imported module, ``weight`` the import statements, ``label``
          their kinds; a module importing from itself makes no edge;
        - ``inheritance``: every class (TYPE_DECL) in scope and its bases, each resolved
          through the names of its module (classes, imports) and of the enclosing functions,
          following names re-exported by other modules (``from .models import Base`` in a
          package ``__init__``, star imports) up to :data:`REEXPORT_HOPS` times; a
          subscripted base (``Base[int]``) is its class; keyword arguments (``metaclass=``)
          are not bases.
    module : str or int, optional
        Path, dotted name or key of one module: the module scope (with ``method``: the module
        to find the method in).
    method : str or int, optional
        A METHOD's full name, a unique suffix of it (``C.m``) or its id (with ``module``
        when the source holds several modules): the method scope. For ``cfg``, ``cdg``,
        ``ddg`` and ``pdg`` its own nodes (not those of functions, lambdas or comprehensions
        nested in it); for ``call`` the method and its callees; for ``inheritance`` the
        classes defined directly in it and their bases.
    external : bool
        Add what lies outside the project as nodes with ``external`` true and null
        ``module``/``id``: for ``call`` the callees of call sites without a CALL edge into a
        METHOD of the source whose full name is a dotted name and whose resolution is not
        ``unresolved`` (``os.path.join``, ``builtins.len``; an unresolved ``cart.total``
        names a variable, not a callee); for ``import`` the top-level package of every
        import that names no project module; for ``inheritance`` the bases that resolve to
        no project class, named by the resolved dotted name (``collections.OrderedDict``,
        ``builtins.Exception``) or, for other expressions, the code as written. No effect on
        the other kinds.

    Returns
    -------
    CodeGraph
        Its ``scope`` is ``"method"`` when ``method`` is given, ``"module"`` when ``module``
        is, else ``"project"``.

    Raises
    ------
    NotFoundError
        Unknown kind, module or method (the message lists the kinds or close names), a module
        that has no CPG, a store in which no module has one yet.
    AmbiguousNameError
        A method name or id that several methods match (pass the full name or ``module``).
    AlgorithmError
        ``method`` with ``kind="import"``.
    FeatureDisabledError
        A store whose CPG support is off (the message says how to switch it on).

    Examples
    --------
    >>> import workbench as wb
    >>> cpg = wb.build_cpg("import os\\n\\ndef g():\\n    return os.getcwd()\\n\\n"
    ...                    "def f():\\n    return g() + g()\\n", path="m.py")
    >>> g = load(cpg, "call", external=True)
    >>> names = g.nodes["full_name"].to_pylist()
    >>> [(names[s], names[d], lab, w) for s, d, lab, w in
    ...  zip(*(g.edges[c].to_pylist() for c in ("src", "dst", "label", "weight")))]
    [('m.g', 'os.getcwd', 'import', 1.0), ('m.f', 'm.g', 'local', 2.0)]
    >>> load(cpg, "imports")
    Traceback (most recent call last):
    ...
    workbench.errors.NotFoundError: unknown graph kind 'imports'; choose from cfg, cdg, ...
    """
    if kind not in KINDS:
        raise NotFoundError(f"unknown graph kind {kind!r}; choose from {', '.join(KINDS)}")
    if method is not None and kind == "import":
        raise AlgorithmError(
            "an import graph is made of modules and has no method scope: pass module= "
            "(the module and what it imports) or neither (the project) instead of method="
        )
    module, method = _integer(module), _integer(method)
    src = _source(source)
    key = _find_module(src, module) if module is not None else None
    mid = None
    if method is not None:
        key, mid = _find_method(src, key, method)
    scope = _Scope(key, mid)
    if kind in _FLOW:
        nodes, edges = _flow(src, scope, _FLOW[kind])
    elif kind == "call":
        nodes, edges = _call(src, scope, external)
    elif kind == "import":
        nodes, edges = _import(src, scope, external)
    else:
        nodes, edges = _inheritance(src, scope, external)
    return CodeGraph(kind, scope.name, nodes, edges)


# -- sources --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    module: int | None
    method: int | None

    @property
    def name(self) -> str:
        if self.method is not None:
            return "method"
        return "module" if self.module is not None else "project"

    def where(self, *, methods: bool = False) -> pc.Expression | None:
        """Filter of the rows of the scope's module (and, with ``methods``, of the nodes the
        scope's method holds)."""
        if self.module is None:
            return None
        out = pc.field("module") == pa.scalar(self.module, pa.int64())
        if methods and self.method is not None:
            out = out & (pc.field("method") == pa.scalar(self.method, pa.int32()))
        return out


@dataclass(frozen=True)
class _Source:
    """What the graphs read: the CPG tables (projected and filtered) and the modules."""

    #: ``reader(table, columns, filter)``
    reader: Callable[[str, list[str], pc.Expression | None], pa.Table]
    #: key, path, name, status of every module the source knows (built or not)
    known: pa.Table
    #: what to do for a module without CPG
    hint: str
    where: str

    @cached_property
    def built(self) -> pa.Table:
        """The ``known`` rows of the modules with a CPG, sorted by key."""
        k = self.known
        return k.filter(pc.equal(k["status"], str(CpgStatus.OK))).sort_by("key")

    @cached_property
    def keys(self) -> np.ndarray:
        """The keys of the modules with a CPG, sorted."""
        return self.built["key"].to_numpy()

    def read(self, table: str, columns: list[str], where: pc.Expression | None) -> pa.Table:
        """Rows of a CPG table of the modules with a CPG (a store may still hold the rows of
        a module whose source changed since; they are left out)."""
        t = self.reader(table, columns, where)
        if t.num_rows and "module" in columns:
            keep = pc.is_in(t["module"], pa.array(self.keys, pa.int64()))
            if not pc.all(keep).as_py():
                t = t.filter(keep)
        return t


def _source(source) -> _Source:
    from workbench.pipeline.project import Project
    from workbench.store import Store

    if isinstance(source, Store):
        return _store_source(source)
    if isinstance(source, Project):
        known = source.modules
        built = {c.module.key for c in source.cpgs.values()}
        status = [
            str(CpgStatus.OK) if k in built else str(s)
            for k, s in zip(
                known["module"].to_pylist(), known["parse_status"].to_pylist(), strict=True
            )
        ]
        return _Source(
            _table_reader(source.cpg),
            _known(known["module"], known["path"], known["name"], status),
            "it did not build: see Project.failures",
            f"project {source.root}",
        )
    if isinstance(source, CPG):
        return _Source(_table_reader(source), _cpg_modules(source), "it did not build", "the CPG")
    raise TypeError(
        f"load() reads a workbench Store, a Project (build_project) or a CPG, "
        f"not {type(source).__name__}"
    )


def _integer(value):
    """A key or id given as any integer type (numpy's, from a DataFrame) as an ``int``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return value


def _known(key, path, name, status) -> pa.Table:
    return pa.table(
        {
            "key": pa.array(key, pa.int64()) if not isinstance(key, pa.ChunkedArray) else key,
            "path": pa.array(path, pa.string()) if not isinstance(path, pa.ChunkedArray) else path,
            "name": pa.array(name, pa.string()) if not isinstance(name, pa.ChunkedArray) else name,
            "status": pa.array(status, pa.string()),
        }
    )


def _store_source(store) -> _Source:
    store.require_cpg()
    mods = store.read_table("modules")
    status = pc.fill_null(mods["cpg_status"], str(CpgStatus.PENDING))
    src = _Source(
        _store_reader(store),
        _known(mods["module"], mods["path"], mods["name"], status),
        "run `workbench generate`",
        f"store {store.root}",
    )
    if not src.built.num_rows:
        raise NotFoundError(
            f"no module of store {store.root} has a CPG yet: run `workbench generate`"
        )
    return src


def _store_reader(store) -> Callable[[str, list[str], pc.Expression | None], pa.Table]:
    """Reads through ``Store.read_table`` with column projection (checksums verified)."""
    return lambda name, columns, where: store.read_table(name, filter=where, columns=columns)


def _table_reader(cpg: CPG) -> Callable[[str, list[str], pc.Expression | None], pa.Table]:
    tables = cpg.to_arrow()

    def read(name: str, columns: list[str], where: pc.Expression | None) -> pa.Table:
        t = tables[name]
        if where is not None:
            t = t.filter(where)
        return t.select(columns)

    return read


def _cpg_modules(cpg: CPG) -> pa.Table:
    """The modules of a CPG: named by its ModuleInfo, else by their module METHOD
    (``pkg.mod.<module>``; a method's CPG has none)."""
    n = cpg.nodes
    keys = sorted(
        set(pc.unique(n["module"]).to_pylist()) | set(pc.unique(cpg.methods["module"]).to_pylist())
    )
    roots = n.filter(pc.and_(pc.equal(n["id"], 0), pc.equal(n["kind"], str(NodeKind.METHOD))))
    names = {
        k: f[: -len(_MODULE_SUFFIX)] if f and f.endswith(_MODULE_SUFFIX) else f
        for k, f in zip(roots["module"].to_pylist(), roots["full_name"].to_pylist(), strict=True)
    }
    paths: dict[int, str | None] = {}
    if cpg.module is not None:
        paths[cpg.module.key], names[cpg.module.key] = cpg.module.path, cpg.module.name
    return _known(
        keys,
        [paths.get(k) for k in keys],
        [names.get(k) for k in keys],
        [str(CpgStatus.OK)] * len(keys),
    )


def _find_module(src: _Source, module: str | int) -> int:
    k = src.known
    keys, paths, names, status = (k[c].to_pylist() for c in ("key", "path", "name", "status"))
    hit = None
    for i in range(len(keys)):
        if (
            (isinstance(module, int) and keys[i] == module)
            or paths[i] == module
            or names[i] == module
        ):
            hit = i
            break
    if hit is None:
        choices = sorted({str(x) for x in names + paths if x is not None})
        close = difflib.get_close_matches(str(module), choices, n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise NotFoundError(f"no module {module!r} in {src.where}{hint}")
    if status[hit] != CpgStatus.OK:
        raise NotFoundError(
            f"module {paths[hit] or names[hit]!r} has no CPG (status {status[hit]}): "
            f"{src.hint}, or choose another module"
        )
    return keys[hit]


def _find_method(src: _Source, key: int | None, method: str | int) -> tuple[int, int]:
    scope = _Scope(key, None)
    m = src.read("cpg_methods", ["module", "id", "full_name", "line"], scope.where())
    mods, ids, fulls, lines = (m[c].to_pylist() for c in ("module", "id", "full_name", "line"))
    paths = dict(zip(src.known["key"].to_pylist(), src.known["path"].to_pylist(), strict=True))
    rows = list(zip(mods, ids, fulls, lines, strict=True))

    def listing(hits) -> str:
        return ", ".join(
            f"{f} (module {paths.get(k) or k}, id {i}, line {line})" for k, i, f, line in hits
        )

    where = f"module {paths.get(key) or key}" if key is not None else src.where
    if isinstance(method, int):
        hits = [r for r in rows if r[1] == method]
        if not hits:
            raise NotFoundError(f"no METHOD with id {method} in {where}")
        if len(hits) > 1:
            raise AmbiguousNameError(
                f"{len(hits)} modules have a METHOD with id {method}: {listing(hits)}; "
                "pass module= to choose",
                hits,
            )
        return hits[0][0], hits[0][1]
    hits = [r for r in rows if r[2] == method or r[2].endswith("." + method)]
    exact = [r for r in hits if r[2] == method]
    if len(exact) == 1:
        return exact[0][0], exact[0][1]
    if not hits:
        close = difflib.get_close_matches(method, sorted(set(fulls)), n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise NotFoundError(f"no method named {method!r} in {where}{hint}")
    if len(hits) > 1:
        raise AmbiguousNameError(
            f"{len(hits)} methods match {method!r}: {listing(hits)}; pass the full name, "
            "or module= and the id",
            hits,
        )
    return hits[0][0], hits[0][1]


# -- building the tables --------------------------------------------------------------------


def _pack(keys: np.ndarray, module, ids) -> np.ndarray:
    """``(module key, node id)`` pairs as one sortable int64: the module's rank in ``keys``
    (sorted) in the high bits, the id in the low 32; -1 for modules not in ``keys``."""
    module = _np(module, np.int64)
    ids = _np(ids, np.int64)
    if not len(keys):
        return np.full(len(module), -1, np.int64)
    rank = np.searchsorted(keys, module)
    ok = rank < len(keys)
    ok[ok] = keys[rank[ok]] == module[ok]
    return np.where(ok, (rank.astype(np.int64) << 32) | ids, -1)


def _np(values, dtype) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        values = values.to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=dtype)


def _member(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``keys`` in ``sorted_keys`` and whether each is there."""
    if not len(sorted_keys):
        return np.zeros(len(keys), np.int64), np.zeros(len(keys), bool)
    pos = np.searchsorted(sorted_keys, keys)
    pos = np.minimum(pos, len(sorted_keys) - 1)
    return pos, (sorted_keys[pos] == keys) & (keys >= 0)


class _Nodes:
    """The project nodes of a graph (``cpg_nodes`` rows, sorted by (module, id)) and its
    external nodes (by full name), numbered densely in that order."""

    def __init__(self, rows: pa.Table, packed: np.ndarray, externals: Iterable[str] = ()):
        valid = packed >= 0  # rows of modules without a CPG are never nodes
        if not valid.all():
            rows, packed = rows.filter(pa.array(valid)), packed[valid]
        packed, first = np.unique(packed, return_index=True)
        self.rows = rows.take(pa.array(first, pa.int64()))
        self.packed = packed
        self.externals = sorted(set(externals))
        self._ext = {name: len(packed) + i for i, name in enumerate(self.externals)}

    def index(self, packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Node numbers of packed keys, and which are nodes."""
        return _member(self.packed, packed)

    def external(self, names: Iterable[str]) -> np.ndarray:
        return np.array([self._ext[n] for n in names], np.int64)

    def table(self, kind: str, names: dict[int, str] | None = None) -> pa.Table:
        """The node table; ``names`` renames project nodes (by module key: the import
        graph names a module's METHOD by the module)."""
        rows = self.rows
        ext = self.externals
        k = len(ext)
        cols: dict[str, pa.Array] = {}
        for name in _NODE_COLUMNS:
            field = GRAPH_NODES.field(name)
            own = rows[name].cast(field.type)
            if name in ("name", "full_name") and names is not None:
                own = pa.array([names.get(m) for m in rows["module"].to_pylist()], field.type)
            if name == "kind":
                more = pa.array([kind] * k, field.type)
            elif name == "full_name":
                more = pa.array(ext, field.type)
            elif name == "name":
                more = pa.array([e.rsplit(".", 1)[-1] for e in ext], field.type)
            else:
                more = pa.nulls(k, field.type)
            cols[name] = pa.concat_arrays([*_chunks(own), more])
        n = rows.num_rows + k
        cols["node"] = pa.array(np.arange(n, dtype=np.int32))
        cols["external"] = pa.array(np.arange(n) >= rows.num_rows)
        return pa.table([cols[f.name] for f in GRAPH_NODES], schema=GRAPH_NODES)


def _chunks(arr) -> list[pa.Array]:
    return arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]


def _edges(src, dst, kind, label, weight) -> pa.Table:
    n = len(src)
    t = pa.table(
        {
            "src": pa.array(_np(src, np.int32)),
            "dst": pa.array(_np(dst, np.int32)),
            "kind": kind if not isinstance(kind, str) else pa.array([kind] * n, pa.string()),
            "label": label,
            "weight": pa.array(_np(weight, np.float64)),
        }
    ).cast(GRAPH_EDGES)
    order = [(c, "ascending") for c in ("src", "dst", "kind", "label")]
    return t.sort_by(order).combine_chunks()


def _concat_edges(parts: list[pa.Table]) -> pa.Table:
    parts = [p for p in parts if p is not None]
    if not parts:
        return GRAPH_EDGES.empty_table()
    t = pa.concat_tables(parts)
    order = [(c, "ascending") for c in ("src", "dst", "kind", "label")]
    return t.sort_by(order).combine_chunks()


def _grouped(src, dst, item, label, kind: str) -> pa.Table:
    """One edge per ``(src, dst)``: weight the distinct items (call sites, statements),
    label the distinct labels sorted and joined with ","."""
    t = pa.table(
        {
            "src": pa.array(_np(src, np.int32)),
            "dst": pa.array(_np(dst, np.int32)),
            "item": pa.array(_np(item, np.int64)),
            "label": pa.array(label, pa.string()) if isinstance(label, list) else label,
        }
    )
    g = t.group_by(["src", "dst"]).aggregate([("item", "count_distinct"), ("label", "distinct")])
    labels = [
        ",".join(sorted(x for x in ls if x is not None)) or None
        for ls in g["label_distinct"].to_pylist()
    ]
    return _edges(g["src"], g["dst"], kind, pa.array(labels, pa.string()), g["item_count_distinct"])


def _kind_is(*kinds: str) -> pc.Expression:
    if len(kinds) == 1:
        return pc.field("kind") == str(kinds[0])
    return pc.field("kind").isin([str(k) for k in kinds])


def _and(*exprs: pc.Expression | None) -> pc.Expression | None:
    out = None
    for e in exprs:
        if e is not None:
            out = e if out is None else out & e
    return out


# -- cfg, cdg, ddg, pdg ---------------------------------------------------------------------


def _flow(src: _Source, scope: _Scope, kinds: tuple[str, ...]) -> tuple[pa.Table, pa.Table]:
    keys = src.keys
    e = src.read(
        "cpg_edges",
        ["module", "src", "dst", "kind", "label", "dst_module"],
        _and(_kind_is(*kinds), scope.where()),
    )
    e = e.filter(pc.is_null(e["dst_module"]))
    rows = src.read("cpg_nodes", _NODE_COLUMNS, scope.where(methods=True))
    held = _pack(keys, rows["module"], rows["id"])
    order = np.argsort(held)
    held_sorted = held[order]
    s = _pack(keys, e["module"], e["src"])
    d = _pack(keys, e["module"], e["dst"])
    keep = _member(held_sorted, s)[1] & _member(held_sorted, d)[1]
    touched = np.unique(np.concatenate([s[keep], d[keep]]))
    mask = _member(touched, held)[1]
    nodes = _Nodes(rows.filter(pa.array(mask)), held[mask])
    e = e.filter(pa.array(keep))
    si, _ = nodes.index(s[keep])
    di, _ = nodes.index(d[keep])
    edges = _edges(si, di, e["kind"], e["label"], np.ones(len(si)))
    edges = edges.group_by(GRAPH_EDGES.names[:4]).aggregate([("weight", "max")])
    edges = _edges(edges["src"], edges["dst"], edges["kind"], edges["label"], edges["weight_max"])
    return nodes.table(""), edges


# -- call -----------------------------------------------------------------------------------


def _call(src: _Source, scope: _Scope, external: bool) -> tuple[pa.Table, pa.Table]:
    keys = src.keys
    e = src.read(
        "cpg_edges",
        ["module", "src", "dst", "label", "dst_module"],
        _and(_kind_is(EdgeKind.CALL), scope.where()),
    )
    sites = src.read("cpg_nodes", ["module", "id", "method"], scope.where(methods=True))
    site_keys = _pack(keys, sites["module"], sites["id"])
    order = np.argsort(site_keys)
    site_keys = site_keys[order]
    site_method = _np(sites["method"], np.int64)[order]
    ekey = _pack(keys, e["module"], e["src"])
    pos, ok = _member(site_keys, ekey)
    caller = np.where(ok, _pack(keys, e["module"], site_method[pos]), -1)
    callee_module = pc.coalesce(e["dst_module"], e["module"])
    callee = _pack(keys, callee_module, e["dst"])

    # METHOD rows: those of the scope and the callees
    mwhere = None
    if scope.module is not None:
        mods = np.unique(np.append(_np(callee_module, np.int64)[ok], scope.module))
        mwhere = pc.field("module").isin(pa.array(mods, pa.int64()))
    mrows = _method_rows(src, keys, mwhere)
    mkeys = _pack(keys, mrows["module"], mrows["id"])
    callee_sorted = np.unique(callee[ok])
    in_scope = (
        np.ones(len(mkeys), bool)
        if scope.module is None
        else _np(pc.equal(mrows["module"], scope.module), bool)
    )
    if scope.method is not None:
        in_scope &= _np(pc.equal(mrows["id"], scope.method), bool)
    want = in_scope | _member(callee_sorted, mkeys)[1]
    mkeys = mkeys[want]
    mkeys_sorted = np.sort(mkeys)
    ok &= _member(mkeys_sorted, callee)[1] & _member(mkeys_sorted, caller)[1]

    names: list[str] = []
    ext_rows = None
    if external:
        ext_rows = _external_calls(src, scope, keys, ekey[ok])
        names = ext_rows["full_name"].to_pylist()
    nodes = _Nodes(mrows.filter(pa.array(want)), mkeys, names)
    si, _ = nodes.index(caller[ok])
    di, _ = nodes.index(callee[ok])
    parts = [_grouped(si, di, ekey[ok], e["label"].filter(pa.array(ok)), EdgeKind.CALL)]
    if ext_rows is not None and ext_rows.num_rows:
        xs, _ = nodes.index(_pack(keys, ext_rows["module"], ext_rows["method"]))
        xd = nodes.external(names)
        xk = _pack(keys, ext_rows["module"], ext_rows["id"])
        parts.append(_grouped(xs, xd, xk, ext_rows["resolution"], EdgeKind.CALL))
    return nodes.table(str(NodeKind.METHOD)), _concat_edges(parts)


def _method_rows(src: _Source, keys: np.ndarray, where: pc.Expression | None) -> pa.Table:
    """The METHOD nodes' columns: names and lines from ``cpg_methods`` (a small table), the
    code (the ``def`` line) from ``cpg_nodes``; a METHOD node is its own ``method``."""
    m = src.read("cpg_methods", ["module", "id", "name", "full_name", "line"], where)
    c = src.read("cpg_nodes", ["module", "id", "code"], _and(_kind_is(NodeKind.METHOD), where))
    code = pa.nulls(m.num_rows, pa.string())
    if c.num_rows:
        ckeys = _pack(keys, c["module"], c["id"])
        order = np.argsort(ckeys)
        pos, found = _member(ckeys[order], _pack(keys, m["module"], m["id"]))
        code = pc.if_else(pa.array(found), c["code"].take(pa.array(order[pos])), code)
    return pa.table(
        {
            "module": m["module"],
            "id": m["id"],
            "kind": pa.array([str(NodeKind.METHOD)] * m.num_rows, pa.string()),
            "name": m["name"],
            "full_name": m["full_name"],
            "code": code,
            "line": m["line"],
            "method": m["id"],
        }
    )


def _external_calls(src: _Source, scope: _Scope, keys: np.ndarray, linked: np.ndarray):
    """Call sites in scope with a dotted callee, resolved but without a CALL edge into a
    METHOD of the source."""
    calls = src.read(
        "cpg_nodes",
        ["module", "id", "method", "full_name", "resolution"],
        _and(
            _kind_is(NodeKind.CALL),
            pc.field("subkind").is_null(),
            pc.field("resolution") != str(Resolution.UNRESOLVED),
            scope.where(methods=True),
        ),
    )
    calls = calls.filter(pc.match_substring_regex(calls["full_name"], _DOTTED))
    mine = _pack(keys, calls["module"], calls["id"])
    return calls.filter(pa.array(~_member(np.unique(linked), mine)[1]))


# -- import ---------------------------------------------------------------------------------


def _import(src: _Source, scope: _Scope, external: bool) -> tuple[pa.Table, pa.Table]:
    built = src.built
    keys = built["key"].to_numpy()
    by_name = dict(zip(built["name"].to_pylist(), built["key"].to_pylist(), strict=True))
    both = src.read(  # the import nodes of the scope and every module's METHOD, in one read
        "cpg_nodes",
        [*_NODE_COLUMNS, "subkind", "parent"],
        _and(_kind_is(NodeKind.IMPORT), scope.where()) | (pc.field("id") == _ZERO),
    )
    is_root = pc.equal(both["id"], _ZERO)
    rows = (
        both.filter(pc.invert(is_root))
        .select(["module", "id", "subkind", "full_name", "code", "parent"])
        .to_pylist()
    )
    statements = {(r["module"], r["id"]): r for r in rows if r["subkind"] != str(Subkind.ALIAS)}
    found: list[tuple[int, int, int, str]] = []  # importer, imported key, statement, kind
    outside: list[tuple[int, str, int, str]] = []  # importer, package, statement, kind
    for r in rows:
        if r["subkind"] != str(Subkind.ALIAS):
            continue
        stmt = statements.get((r["module"], r["parent"]))
        if stmt is None:
            continue
        target = _import_target(r, stmt)
        if target is None:
            continue
        stmt_key = (r["module"], stmt["id"])
        hit = _longest_module(target, by_name)
        if hit is not None:
            if hit != r["module"]:
                found.append((r["module"], hit, stmt_key[1], stmt["subkind"]))
        elif external:
            outside.append((r["module"], target.split(".", 1)[0], stmt_key[1], stmt["subkind"]))
    if scope.module is None:
        mods = keys
    else:
        mods = np.unique(np.array([scope.module] + [f[1] for f in found], np.int64))
    roots = both.filter(is_root).select(_NODE_COLUMNS)
    roots = roots.filter(pc.is_in(roots["module"], pa.array(mods, pa.int64())))
    nodes = _Nodes(roots, _pack(keys, roots["module"], roots["id"]), [o[1] for o in outside])
    parts = []
    if found:
        imp_from, imp_to, stmt_ids, kinds = zip(*found, strict=True)
        s, _ = nodes.index(_pack(keys, imp_from, [0] * len(found)))
        d, _ = nodes.index(_pack(keys, imp_to, [0] * len(found)))
        parts.append(_grouped(s, d, _pack(keys, imp_from, stmt_ids), list(kinds), IMPORTS))
    if outside:
        imp_from, pkgs, stmt_ids, kinds = zip(*outside, strict=True)
        s, _ = nodes.index(_pack(keys, imp_from, [0] * len(outside)))
        d = nodes.external(pkgs)
        parts.append(_grouped(s, d, _pack(keys, imp_from, stmt_ids), list(kinds), IMPORTS))
    names = dict(zip(built["key"].to_pylist(), built["name"].to_pylist(), strict=True))
    return nodes.table(str(NodeKind.METHOD), names), _concat_edges(parts)


def _import_target(alias: dict, stmt: dict) -> str | None:
    """The absolute dotted name an import alias imports (``import a.b.c as d``: ``a.b.c``;
    ``from m import *``: ``m``), or None when it is not a dotted name (a relative import
    beyond the top-level package)."""
    if stmt["subkind"] == str(Subkind.IMPORT_FROM):
        target = alias["full_name"] if alias["full_name"] is not None else stmt["full_name"]
    else:  # the alias's full name is only the bound name (``a``) unless ``as`` renames it
        target = "".join(re.split(r"\s+as\s+", alias["code"] or "")[0].split())
    if not target or not all(p.isidentifier() for p in target.split(".")):
        return None
    return target


def _longest_module(dotted: str, by_name: dict[str, int]) -> int | None:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        key = by_name.get(".".join(parts[:i]))
        if key is not None:
            return key
    return None


# -- inheritance ----------------------------------------------------------------------------


def _inheritance(src: _Source, scope: _Scope, external: bool) -> tuple[pa.Table, pa.Table]:
    built = src.built
    keys = built["key"].to_numpy()
    rows = src.read(
        "cpg_nodes",
        [*_NODE_COLUMNS, "subkind", "parent"],
        _kind_is(NodeKind.TYPE_DECL, NodeKind.IMPORT),
    )
    methods = src.read("cpg_methods", ["module", "id", "subkind", "parent_method"], None)
    names = _Names(built, rows, methods, keys)
    is_class = pc.equal(rows["kind"], str(NodeKind.TYPE_DECL))
    classes = rows.filter(is_class)
    ckeys = _pack(keys, classes["module"], classes["id"])
    in_scope = np.ones(classes.num_rows, bool)
    if scope.module is not None:
        in_scope &= _np(pc.equal(classes["module"], scope.module), bool)
    if scope.method is not None:
        in_scope &= _np(pc.equal(classes["method"], scope.method), bool)
    found: list[tuple[int, int, str]] = []  # class key, base key, written
    outside: list[tuple[int, str, str]] = []  # class key, dotted name or code, written
    cols = [classes[c].to_pylist() for c in ("module", "id", "method", "code")]
    for i in np.flatnonzero(in_scope):
        module, cid, method, code = (c[i] for c in cols)
        for dotted, written in _bases(code or ""):
            base, name = (
                (None, written) if dotted is None else names.resolve(dotted, module, method, cid)
            )
            if base is not None:
                found.append((int(ckeys[i]), base, written))
            elif external:
                outside.append((int(ckeys[i]), name, written))
    want = in_scope | _member(np.unique([f[1] for f in found]).astype(np.int64), ckeys)[1]
    nodes = _Nodes(
        classes.filter(pa.array(want)).select(_NODE_COLUMNS), ckeys[want], [o[1] for o in outside]
    )
    parts = []
    if found:
        c, b, w = zip(*found, strict=True)
        s, _ = nodes.index(np.array(c, np.int64))
        d, _ = nodes.index(np.array(b, np.int64))
        parts.append(_edges(s, d, INHERITS_FROM, pa.array(w, pa.string()), np.ones(len(s))))
    if outside:
        c, n, w = zip(*outside, strict=True)
        s, _ = nodes.index(np.array(c, np.int64))
        parts.append(
            _edges(s, nodes.external(n), INHERITS_FROM, pa.array(w, pa.string()), np.ones(len(s)))
        )
    edges = _concat_edges(parts)
    if edges.num_rows:  # a base written twice (an error Python reports at run time)
        edges = edges.group_by(GRAPH_EDGES.names[:4]).aggregate([("weight", "max")])
        edges = _edges(
            edges["src"], edges["dst"], edges["kind"], edges["label"], edges["weight_max"]
        )
    return nodes.table(str(NodeKind.TYPE_DECL)), edges


def _bases(header: str) -> list[tuple[str | None, str]]:
    """``(dotted name or None, code)`` of each base of a class statement's header, in order:
    keyword arguments are left out, a subscript stands for its class (``Base[int]``: ``Base``),
    and an expression that is no dotted name (a call, ``*bases``) has None. A header cut short
    (``code`` keeps 240 characters) gives the bases that are complete."""
    try:
        tree = ast.parse(header.strip() + "\n    pass")
        exprs = tree.body[0].bases if isinstance(tree.body[0], ast.ClassDef) else []
    except (SyntaxError, IndexError, ValueError):
        exprs = []
        for item in _split_bases(header):
            try:
                exprs.append(ast.parse(item.strip(), mode="eval").body)
            except (SyntaxError, ValueError):
                continue
    out = []
    for b in exprs:
        e = b.value if isinstance(b, ast.Subscript) else b
        out.append((_dotted(e), ast.unparse(b)))
    return out


def _split_bases(header: str) -> list[str]:
    """The complete positional items between the parentheses of a class header."""
    start = header.find("(")
    if start < 0:
        return []
    items, cur, depth = [], [], 0
    for ch in header[start + 1 :]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                items.append("".join(cur))
                break
            depth -= 1
        elif ch == "," and depth == 0:
            items.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    return [i for i in items if i.strip() and "=" not in i and not i.strip().startswith("*")]


def _dotted(e: ast.expr) -> str | None:
    parts = []
    while isinstance(e, ast.Attribute):
        parts.append(e.attr)
        e = e.value
    if not isinstance(e, ast.Name):
        return None
    parts.append(e.id)
    return ".".join(reversed(parts))


class _Names:
    """What the names of each scope are bound to: classes (TYPE_DECL) and imports, by
    ``(module, METHOD id)``; resolves a base written in a class statement to a project
    class."""

    def __init__(self, built: pa.Table, rows: pa.Table, methods: pa.Table, keys: np.ndarray):
        self.keys = keys
        self.module_key = dict(
            zip(built["name"].to_pylist(), built["key"].to_pylist(), strict=True)
        )
        #: (module, scope) -> name -> [(id, target)], target ("node", packed) or ("name", dotted)
        self.bound: dict[tuple[int, int], dict[str, list]] = defaultdict(lambda: defaultdict(list))
        #: (module, scope) -> [(id, dotted module)] of ``from m import *``
        self.stars: dict[tuple[int, int], list] = defaultdict(list)
        #: dotted full name -> packed key of the last class of that name
        self.classes: dict[str, int] = {}
        self.full_name: dict[int, str] = {}
        self.parent = {
            (m, i): (p, s)
            for m, i, p, s in zip(
                *(methods[c].to_pylist() for c in ("module", "id", "parent_method", "subkind")),
                strict=True,
            )
        }
        table = rows.to_pylist()
        statements = {
            (r["module"], r["id"]): r
            for r in table
            if r["kind"] == NodeKind.IMPORT and r["subkind"] != Subkind.ALIAS
        }
        packed = _pack(keys, rows["module"], rows["id"])
        for r, k in zip(table, packed.tolist(), strict=True):
            where = (r["module"], r["method"])
            if r["kind"] == NodeKind.TYPE_DECL:
                self.bound[where][r["name"]].append((r["id"], ("node", k)))
                if r["full_name"]:
                    self.classes[r["full_name"]] = k  # rows are by id: the last one wins
                    self.full_name[k] = r["full_name"]
                continue
            stmt = statements.get((r["module"], r["parent"]))
            if r["subkind"] != Subkind.ALIAS or stmt is None:
                continue
            # ``import a.b.c`` binds ``a`` (its full name); ``import a.b.c as d`` binds ``a.b.c``
            plain = stmt["subkind"] == Subkind.IMPORT
            target = r["full_name"] if plain else _import_target(r, stmt)
            if not target:
                continue
            if r["name"] == "*":
                self.stars[where].append((r["id"], target))
            elif r["name"]:
                self.bound[where][r["name"]].append((r["id"], ("name", target)))

    def resolve(self, written: str, module: int, method: int, cid: int) -> tuple[int | None, str]:
        """The packed key of the project class a base written in class ``cid`` (of ``module``,
        defined in ``method``) names, else None and its dotted name as far as resolved: a
        builtin's (``builtins.Exception``), a star-imported module's (``tkinter.Frame``, when
        no project class answers) or the name as written."""
        head, _, rest = written.partition(".")
        outside = ""
        for n, scope in enumerate(self._chain(module, method)):
            target = self._lookup(module, scope, head, before=cid if n == 0 else None)
            if target is None:
                continue
            hit, name = self._follow(target, rest, REEXPORT_HOPS)
            if hit is not None or target[0] != "stars":
                return hit, name
            outside = name  # star imports (module level only) that do not define it
        if not rest and head in _BUILTINS:
            return None, f"builtins.{head}"
        return None, outside or written

    def _chain(self, module: int, method: int) -> list[int]:
        """The scope a class statement runs in, then the enclosing functions' and the
        module's (class bodies do not enclose)."""
        out = [method]
        cur = self.parent.get((module, method), (None, None))[0]
        while cur is not None:
            parent, subkind = self.parent.get((module, cur), (None, None))
            if subkind != Subkind.CLASS_BODY:
                out.append(cur)
            cur = parent
        return out

    def _lookup(self, module: int, scope: int, name: str, before: int | None = None):
        """What ``name`` is bound to in a scope (the last binding before ``before``), or the
        candidates of its star imports (``("stars", [dotted, ...])``), or None."""
        bound = self.bound.get((module, scope), {}).get(name, [])
        bound = [b for b in bound if before is None or b[0] < before]
        if bound:
            return bound[-1][1]
        stars = [t for i, t in self.stars.get((module, scope), []) if before is None or i < before]
        if stars:
            return ("stars", [f"{t}.{name}" for t in reversed(stars)])
        return None

    def _follow(self, target, rest: str, hops: int) -> tuple[int | None, str]:
        kind, value = target
        if kind == "node":
            if not rest:
                return value, self.full_name.get(value, "")
            return self._global(f"{self.full_name.get(value, '')}.{rest}", hops)
        if kind == "name":
            return self._global(f"{value}.{rest}" if rest else value, hops)
        outside = ""
        for dotted in value:  # star imports, the last one first
            hit, name = self._global(f"{dotted}.{rest}" if rest else dotted, hops)
            if hit is not None:
                return hit, name
            if not outside and _longest_module(dotted, self.module_key) is None:
                outside = name  # a name of a module outside the project
        return None, outside

    def _global(self, dotted: str, hops: int) -> tuple[int | None, str]:
        """A dotted name to the project class it names, through re-exports."""
        hit = self.classes.get(dotted)
        if hit is not None or hops <= 0:
            return hit, dotted
        parts = dotted.split(".")
        for i in range(len(parts) - 1, 0, -1):
            key = self.module_key.get(".".join(parts[:i]))
            if key is not None:
                break
        else:
            return None, dotted
        target = self._lookup(key, 0, parts[i])
        if target is None:
            return None, dotted
        hit, name = self._follow(target, ".".join(parts[i + 1 :]), hops - 1)
        return (hit, name) if hit is not None else (None, name or dotted)
