"""CPGMath: graph algorithms over stored CPGs, with cached results and a circuit breaker.

>>> import workbench as wb                                        # doctest: +SKIP
>>> math = wb.CPGMath(wb.open_store("build/demo/store"))          # doctest: +SKIP
>>> math.run("pagerank", "call").head()                           # doctest: +SKIP
>>> math.run("natural_loops", "cfg", module="bookshop.orders")    # doctest: +SKIP

Every request names an algorithm (:data:`ALGORITHMS`), a graph kind (``cfg``, ``cdg``, ``ddg``,
``pdg``, ``call``, ``import``, ``inheritance``) and a scope (a method, a module or the whole
project: :func:`workbench.analysis.graphs.load`). The answer is a DataFrame whose node columns
are joined with what the CPG says of the node (module, id, name, full name, line).

The cache key is computed without loading the graph: the content hashes the store keeps of
each module's CPG (``modules.cpg_graph_hash``), plus the files of the derived cross-module edge
groups for graphs that read them. A hit therefore costs a dictionary lookup and a table
conversion. ``attrs`` of a result say whether it is ``approximate`` and where it came from
(``cache``: ``memory``, ``store`` or ``miss``).
"""

from __future__ import annotations

import hashlib
import json
import numbers
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa

from workbench import telemetry
from workbench.analysis import algorithms as alg
from workbench.analysis.breaker import Budget, CircuitBreaker
from workbench.analysis.cache import CacheKey, ResultCache, ipc_bytes, params_hash
from workbench.analysis.graphs import CodeGraph, load
from workbench.cpg.schema import CpgStatus
from workbench.errors import AlgorithmError, CircuitOpenError, CycleError, NotFoundError
from workbench.pipeline.link import CALL_GRAPH, LINKS
from workbench.store.table import StoreTable

if TYPE_CHECKING:
    from workbench.store import Store

__all__ = ["ALGORITHMS", "DEFAULT_BUDGETS", "Algorithm", "CPGMath"]

#: Graph kinds whose edges are a module's own rows: their results live in the module's cache
#: group and are dropped only when that module is rebuilt.
LOCAL_KINDS = frozenset({"cfg", "cdg", "ddg", "pdg"})
#: Groups of ``cpg_edges`` derived from several modules (cross-module links, the saved
#: value-flow call graph): graphs that read CALL edges depend on them too.
DERIVED_GROUPS = (LINKS, CALL_GRAPH)
#: Parameters that name a node: given as a node number, a full name, a name, or (module, id).
NODE_PARAMS = ("source", "target", "node", "entry")
#: Columns of a result that hold one node; each gets a ``<column>_name`` next to it.
NODE_COLUMNS = ("target", "idom", "header", "parent", "innermost_header", "entry")


@dataclass(frozen=True)
class Algorithm:
    """A registered algorithm: the function, its default budget and, when it has one, how to
    turn the parameters into its approximate variant for a graph over budget."""

    name: str
    function: Callable[..., Any]
    budget: Budget = field(default_factory=Budget)
    approximate: Callable[[int, int, dict], dict] | None = None
    per_entry: bool = False  # needs an entry node: runs from every METHOD when none is given
    seeded: bool = False
    #: Parameters -> the name of a costlier variant with a budget (and a circuit) of its own
    #: in :data:`DEFAULT_BUDGETS`, or None for the algorithm's own.
    variant: Callable[[dict], str | None] | None = None


def _condensation(g: nx.DiGraph) -> pd.DataFrame:
    """The condensation as a frame: each component, its members and the components it
    has edges to."""
    dag, df = alg.condensation(g)
    return df.assign(successors=[sorted(dag.successors(c)) for c in df.component])


def _approx_betweenness(nodes: int, edges: int, params: dict) -> dict:
    k = params.get("k") or 64
    return {**params, "k": min(nodes, k)}


def _approx_paths(nodes: int, edges: int, params: dict) -> dict:
    depth = params.get("max_depth")
    return {
        **params,
        "max_depth": 12 if depth is None else min(depth, 12),
        "max_paths": min(params.get("max_paths", 100), 100),
    }


_HEAVY = 600.0
ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        Algorithm("shortest_paths", alg.shortest_paths, Budget(max_edges=5_000_000)),
        Algorithm(
            "simple_paths",
            alg.simple_paths,
            Budget(max_nodes=5_000, max_seconds=_HEAVY),
            _approx_paths,
        ),
        Algorithm("strongly_connected_components", alg.strongly_connected_components),
        Algorithm("condensation", _condensation),
        Algorithm("topological_order", alg.topological_order),
        Algorithm("degree", alg.degree),
        Algorithm(
            "betweenness",
            alg.betweenness,
            Budget(max_nodes=100_000, max_edges=1_000_000, max_seconds=_HEAVY),
            _approx_betweenness,
            seeded=True,
            # weighted: networkx's Brandes with Dijkstra, no compiled backend
            variant=lambda p: "betweenness/weighted" if p.get("weight") else None,
        ),
        Algorithm(
            "closeness",
            alg.closeness,
            Budget(max_nodes=100_000, max_edges=1_000_000, max_seconds=_HEAVY),
        ),
        Algorithm("eigenvector", alg.eigenvector, Budget(max_edges=5_000_000, max_seconds=_HEAVY)),
        Algorithm("pagerank", alg.pagerank, Budget(max_edges=20_000_000, max_seconds=_HEAVY)),
        Algorithm(
            "louvain", alg.louvain, Budget(max_edges=5_000_000, max_seconds=_HEAVY), seeded=True
        ),
        Algorithm(
            "label_propagation",
            alg.label_propagation,
            Budget(max_edges=5_000_000, max_seconds=_HEAVY),
            seeded=True,
        ),
        Algorithm("density", alg.density),
        Algorithm("diameter", alg.diameter, Budget(max_nodes=20_000, max_seconds=_HEAVY)),
        Algorithm("dominators", alg.dominators, per_entry=True),
        Algorithm("dominance_frontiers", alg.dominance_frontiers, per_entry=True),
        Algorithm("natural_loops", alg.natural_loops, per_entry=True),
        Algorithm("loop_nesting", alg.loop_nesting, per_entry=True),
        Algorithm("cyclomatic_complexity", alg.cyclomatic_complexity),
        Algorithm("k_hop", alg.k_hop),
        Algorithm("reach", alg.reach, Budget(max_nodes=500_000, max_seconds=_HEAVY)),
    )
}
#: The default budget of every algorithm (override per instance with ``budgets=``).
DEFAULT_BUDGETS: dict[str, Budget] = {
    **{name: a.budget for name, a in ALGORITHMS.items()},
    "betweenness/weighted": Budget(max_nodes=5_000, max_seconds=_HEAVY),
}


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _attrs_table(result: Any, attrs: Mapping[str, Any]) -> pa.Table:
    """A result (DataFrame or scalar) as an Arrow table with its attrs in the metadata."""
    if isinstance(result, pd.DataFrame):
        attrs = {**result.attrs, **attrs}
        table = pa.Table.from_pandas(result, preserve_index=False)
    else:
        table = pa.table({"value": [result]})
    meta = {b"workbench.attrs": json.dumps(attrs, sort_keys=True, default=str).encode()}
    return table.replace_schema_metadata(meta)


def _frame(table: pa.Table) -> pd.DataFrame:
    """A result table as a DataFrame; integer columns with nulls (the module and id of
    external nodes) become nullable integers, not floats that would round 64-bit keys."""
    df = table.to_pandas()
    for f in table.schema:
        if pa.types.is_integer(f.type) and table[f.name].null_count:
            df[f.name] = table[f.name].to_pandas(types_mapper=_NULLABLE.get)
    meta = table.schema.metadata or {}
    df.attrs.update(json.loads(meta.get(b"workbench.attrs", b"{}")))
    return df


_NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype()}


class CPGMath:
    """Graph algorithms over the CPGs of a store (or an in-memory project / CPG).

    Parameters
    ----------
    source
        A :class:`~workbench.store.Store` (results are cached in its ``analysis_cache``
        table), a project from :func:`workbench.build_project` or a CPG (cached in memory).
    budgets
        Per-algorithm :class:`Budget` overriding :data:`DEFAULT_BUDGETS`.
    memory_budget
        Bytes of results held in memory (least recently used leave first).
    persist
        Keep results in the store (when ``source`` is a store with CPG tables).
    persist_min_seconds
        Keep in the store only results that took at least this long to compute: a store
        commit costs about a tenth of a second, more than computing a small result again.
    failure_threshold, cooldown, clock
        The circuit breaker's (see :class:`~workbench.analysis.breaker.CircuitBreaker`).
    graph_slots
        Loaded graphs kept for reuse (a project graph can take seconds to load).
    """

    def __init__(
        self,
        source: Any,
        *,
        budgets: Mapping[str, Budget] | None = None,
        memory_budget: int = 64 << 20,
        persist: bool = True,
        persist_min_seconds: float = 0.1,
        failure_threshold: int = 3,
        cooldown: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        graph_slots: int = 8,
    ) -> None:
        from workbench.store import Store

        unknown = sorted(set(budgets or ()) - set(DEFAULT_BUDGETS))
        if unknown:
            raise AlgorithmError(
                f"budgets for unknown algorithms {unknown}; known: {sorted(DEFAULT_BUDGETS)}"
            )
        self.source = source
        self.store: Store | None = source if isinstance(source, Store) else None
        if self.store is not None:
            self.store.require_cpg()
        self.breaker = CircuitBreaker(
            {**DEFAULT_BUDGETS, **(budgets or {})},
            failure_threshold=failure_threshold,
            cooldown=cooldown,
            clock=clock,
            store=self.store.root if self.store is not None else None,
        )
        self.cache = ResultCache(self.store, max_bytes=memory_budget, persist=persist)
        self.persist_min_seconds = persist_min_seconds
        self._graphs: OrderedDict[str, tuple[CodeGraph, nx.DiGraph]] = OrderedDict()
        self._graph_slots = graph_slots
        self._state: tuple[tuple, dict, str] | None = None
        self._timings: list[dict] = []

    def __repr__(self) -> str:
        where = self.store.root if self.store is not None else type(self.source).__name__
        return f"<CPGMath over {where}: {self.cache!r}>"

    # -- graphs -----------------------------------------------------------------------------

    def _store_state(self) -> tuple[dict, str]:
        """Module key -> CPG content hash, and a digest of all of them with the derived-group
        files; read again only when the ``modules`` or ``cpg_edges`` table changed (not when a
        result is saved)."""
        assert self.store is not None
        tables = self.store.tables
        version = (tables.get("modules"), tables.get("cpg_edges"))
        if self._state is None or self._state[0] != version:
            mods = self.store.modules()
            ok = mods[mods.cpg_status == str(CpgStatus.OK)]
            hashes = dict(zip(ok.module.tolist(), ok.cpg_graph_hash.tolist(), strict=True))
            files = (Path(f["path"]).name for f in self.store.files("cpg_edges"))
            names = sorted(f for f in files if StoreTable.group_of(f) in DERIVED_GROUPS)
            self._state = (version, hashes, _digest(sorted(hashes.items()), names))
        return self._state[1], self._state[2]

    def fingerprint(
        self, kind: str, *, module: Any = None, method: Any = None, external: bool = False
    ) -> tuple[str, int | None]:
        """The content hash of a graph and the module whose cache group its results live in
        (None: project-wide), computed without loading the graph."""
        module, method = _plain(module), _plain(method)
        spec = {"kind": kind, "module": module, "method": method, "external": external}
        if self.store is None:
            graph, _ = self._load(kind, module, method, external, spec)
            return _digest(spec, _table_hash(graph.nodes), _table_hash(graph.edges)), None
        hashes, project = self._store_state()
        if kind in LOCAL_KINDS and module is None and isinstance(method, str):
            module = self._module_of(method)
            spec["module"] = module
        if kind in LOCAL_KINDS and module is not None:
            key = self.store.module_key(module)
            if key not in hashes:
                load(self.store, kind, module=module, method=method)  # raises the right error
            return _digest(spec, key, hashes.get(key)), key
        return _digest(spec, project), None

    def _module_of(self, method: str) -> str | None:
        """The module a method's full name starts with (the longest that is a module)."""
        assert self.store is not None
        parts = method.split(".")
        for i in range(len(parts) - 1, 0, -1):
            try:
                self.store.module_key(".".join(parts[:i]))
            except NotFoundError:
                continue
            return ".".join(parts[:i])
        return None

    def graph(
        self, kind: str, *, module: Any = None, method: Any = None, external: bool = False
    ) -> CodeGraph:
        """The graph (see :func:`workbench.analysis.graphs.load`), loaded once and reused."""
        return self.graph_and_networkx(kind, module=module, method=method, external=external)[0]

    def graph_and_networkx(
        self, kind: str, *, module: Any = None, method: Any = None, external: bool = False
    ) -> tuple[CodeGraph, nx.DiGraph]:
        """The graph and its networkx form (frozen: it is shared and cached)."""
        module, method = _plain(module), _plain(method)
        spec = {"kind": kind, "module": module, "method": method, "external": external}
        if self.store is None:
            return self._load(kind, module, method, external, spec)
        graph_hash, _ = self.fingerprint(kind, module=module, method=method, external=external)
        return self._load(kind, module, method, external, graph_hash)

    def _load(
        self, kind: str, module: Any, method: Any, external: bool, identity: Any
    ) -> tuple[CodeGraph, nx.DiGraph]:
        """A loaded graph by its identity: its content hash (a store) or its request (an
        in-memory source, which does not change)."""
        slot = _digest(identity)
        hit = self._graphs.get(slot)
        if hit is not None:
            self._graphs.move_to_end(slot)
            return hit
        graph = load(self.source, kind, module=module, method=method, external=external)
        pair = (graph, nx.freeze(graph.to_networkx()))
        self._graphs[slot] = pair
        while len(self._graphs) > self._graph_slots:
            self._graphs.popitem(last=False)
        return pair

    # -- running ----------------------------------------------------------------------------

    def run(
        self,
        algorithm: str,
        kind: str = "call",
        *,
        module: Any = None,
        method: Any = None,
        external: bool = False,
        **params: Any,
    ) -> pd.DataFrame:
        """Run ``algorithm`` on a graph; the result as a DataFrame (cached).

        Over the algorithm's size budget it answers with the approximate variant (``attrs
        ["approximate"]`` is True) or raises :class:`~workbench.errors.CircuitOpenError`
        saying what to do; so it does while the algorithm's circuit is open.
        """
        spec = ALGORITHMS.get(algorithm)
        if spec is None:
            raise AlgorithmError(
                f"unknown algorithm {algorithm!r}; choose from {sorted(ALGORITHMS)}"
            )
        if spec.seeded and "seed" in params and params["seed"] is None:
            raise AlgorithmError(
                f"{algorithm}: seed=None gives another answer on every run, which cannot be "
                "cached or reproduced: pass an int (default 0)"
            )
        if spec.per_entry and kind != "cfg" and params.get("entry") is None:
            raise AlgorithmError(
                f"{algorithm} on a {kind} graph needs entry= (a node: full name, (module, id) "
                "or number); only a cfg graph is run from every METHOD at once"
            )
        module, method = _plain(module), _plain(method)
        started = time.perf_counter()
        graph_hash, group = self.fingerprint(kind, module=module, method=method, external=external)
        key = CacheKey(graph_hash, algorithm, params_hash(algorithm, params), group)
        cached = self._cached(key, kind, module, method, started)
        if cached is not None:
            return cached
        circuit = (spec.variant(params) if spec.variant else None) or algorithm
        self.breaker.ensure_closed(circuit)  # an open circuit refuses before any loading
        graph, g = self.graph_and_networkx(kind, module=module, method=method, external=external)
        n, m = g.number_of_nodes(), g.number_of_edges()
        exact = self.breaker.admit(circuit, nodes=n, edges=m)
        call = {**params}
        if not exact:
            if spec.approximate is None:
                raise self.breaker.refuse(circuit, n, m, _advice(circuit, kind, module))
            call = spec.approximate(n, m, call)
            # an approximation is cached under a key of its own: never served for an exact
            # request once the budget allows one
            marked = {"approximation of": params, "run with": call}
            key = CacheKey(graph_hash, algorithm, params_hash(algorithm, marked), group)
            cached = self._cached(key, kind, module, method, started)
            if cached is not None:
                return cached
        call = {
            k: (_node(graph, v, k) if k in NODE_PARAMS and v is not None else v)
            for k, v in call.items()
        }
        computed = time.perf_counter()
        try:
            result = self._call(spec, graph, g, call)
        except CycleError as e:
            raise _named_cycle(e, graph) from None
        except (AlgorithmError, CircuitOpenError):
            raise  # the request was wrong, not the computation
        except Exception as e:
            self.breaker.failure(circuit, f"{type(e).__name__}: {e}")
            raise
        seconds = time.perf_counter() - computed
        self.breaker.success(circuit, seconds)
        attrs = getattr(result, "attrs", {})
        # a bounded variant that bounded nothing is exact
        approximate = (not exact and attrs.get("truncated", True)) or attrs.get("approximate")
        approximate = bool(approximate)
        table = _attrs_table(_annotate(result, graph), {"approximate": approximate})
        self.cache.put(key, table, seconds=seconds, store=seconds >= self.persist_min_seconds)
        df = _frame(table)
        df.attrs["cache"] = "miss"
        self._time(algorithm, kind, module, method, "miss", started, df.attrs, n, m, seconds)
        return df

    def _cached(self, key: CacheKey, kind, module, method, started: float) -> pd.DataFrame | None:
        hit = self.cache.get(key)
        if hit is None:
            return None
        df = _frame(hit[0])
        df.attrs["cache"] = hit[1]
        self._time(key.algorithm, kind, module, method, hit[1], started, df.attrs)
        return df

    def _call(self, spec: Algorithm, graph: CodeGraph, g: nx.DiGraph, params: dict) -> Any:
        if not spec.per_entry or "entry" in params:
            return spec.function(g, **params)
        return _from_every_entry(spec, graph, g, params)

    def _time(self, algorithm, kind, module, method, cache, started, attrs, n=None, m=None, s=None):
        row = {
            "algorithm": algorithm,
            "kind": kind,
            "module": None if module is None else str(module),
            "method": None if method is None else str(method),
            "cache": cache,
            "approximate": bool(attrs.get("approximate", False)),
            "nodes": n,
            "edges": m,
            "compute_seconds": s,
            "seconds": time.perf_counter() - started,
        }
        self._timings.append(row)
        root = self.store.root if self.store is not None else None
        scope = row["method"] or row["module"] or "project"
        telemetry.emit(
            "cache", store=root, metadata={"algorithm": algorithm, "tier": cache, "kind": kind}
        )
        telemetry.emit(
            "algorithm",
            row["seconds"],
            store=root,
            measurements={
                k: row[k] for k in ("nodes", "edges", "compute_seconds") if row[k] is not None
            },
            metadata={
                "algorithm": algorithm,
                "kind": kind,
                "scope": scope,
                "cache": cache,
                "approximate": row["approximate"],
                "key": f"{algorithm}/{kind}/{scope}/{cache}",
            },
        )

    # -- reporting --------------------------------------------------------------------------

    def timings(self) -> pd.DataFrame:
        """One row per request: algorithm, graph, where the answer came from, sizes, times."""
        return pd.DataFrame(
            self._timings,
            columns=[
                "algorithm",
                "kind",
                "module",
                "method",
                "cache",
                "approximate",
                "nodes",
                "edges",
                "compute_seconds",
                "seconds",
            ],
        )

    def breaker_state(self) -> pd.DataFrame:
        """The circuit breaker's state per algorithm (see :meth:`CircuitBreaker.state`)."""
        return self.breaker.state()

    @staticmethod
    def algorithms() -> pd.DataFrame:
        """The registered algorithms with their default budgets and approximate variants."""
        rows = [
            {
                "algorithm": a.name,
                "approximate_variant": a.approximate is not None,
                "seeded": a.seeded,
                "per_entry": a.per_entry,
                "max_nodes": a.budget.max_nodes,
                "max_edges": a.budget.max_edges,
                "max_seconds": a.budget.max_seconds,
            }
            for a in ALGORITHMS.values()
        ]
        return pd.DataFrame(rows)


def _from_every_entry(spec: Algorithm, graph: CodeGraph, g: nx.DiGraph, params: dict) -> Any:
    """Run an algorithm that needs an entry from every METHOD of a control-flow graph at once:
    a virtual root with an edge to each entry dominates them all and changes nothing else
    (no CFG edge enters a METHOD node), so one run answers for every method. Rows of the root
    go, references to it become -1, and an ``entry`` column names each row's method."""
    cols = graph.nodes.select(["module", "id", "kind", "method"]).to_pydict()
    index = {(m, i): k for k, (m, i) in enumerate(zip(cols["module"], cols["id"], strict=True))}
    entries = [k for k, kind in enumerate(cols["kind"]) if kind == "METHOD"]
    if not entries:
        raise AlgorithmError(
            f"{spec.name} needs an entry node: the graph has no METHOD node (pass entry=)"
        )
    root = g.number_of_nodes()
    h = nx.DiGraph(g)
    h.add_edges_from((root, e) for e in entries)
    df = spec.function(h, root, **params)
    key = "header" if "header" in df.columns else "node"
    df = df[df[key] != root].reset_index(drop=True)
    for col in ("idom", "parent", "innermost_header"):
        if col in df.columns:
            df[col] = df[col].where(df[col] != root, -1)
    if "frontier" in df.columns:
        df["frontier"] = [[v for v in f if v != root] for f in df["frontier"]]
    entry_of = [
        index.get((m, meth), -1) for m, meth in zip(cols["module"], cols["method"], strict=True)
    ]
    df.insert(0, "entry", [entry_of[v] for v in df[key]])
    return df.sort_values(["entry", key], kind="stable", ignore_index=True)


def _plain(value: Any) -> Any:
    """A numpy integer (a key taken from a DataFrame) as an int; anything else as it is."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return value


def _labels(graph: CodeGraph) -> np.ndarray:
    """What each node is called in results and messages: its full name, else its code, else
    its name, else its kind."""
    nodes = graph.nodes.select(["full_name", "code", "name", "kind"]).to_pandas()
    return nodes.full_name.fillna(nodes.code).fillna(nodes.name).fillna(nodes.kind).to_numpy()


def _named_cycle(error: CycleError, graph: CodeGraph) -> CycleError:
    """The same error naming the cycle's nodes instead of numbering them."""
    labels = _labels(graph)
    names = [str(labels[v]) for v in error.cycle]
    out = type(error)(
        f"{error}; the cycle: {' -> '.join(names)} (run strongly_connected_components or "
        "condensation to see every cycle)",
        names,
    )
    out.nodes = list(error.cycle)
    return out


def _table_hash(table: pa.Table) -> str:
    return hashlib.sha256(ipc_bytes(table)).hexdigest()


def _advice(algorithm: str, kind: str, module: Any) -> str:
    where = "a method (method=...)" if module is not None else "one module (module=...)"
    return (
        f"restrict the graph to {where}, or raise the budget: "
        f"CPGMath(..., budgets={{{algorithm!r}: Budget(max_nodes=..., max_edges=...)}})"
    )


def _node(graph: CodeGraph, value: Any, param: str) -> int:
    """A node parameter as the graph's node number: the number itself, a full name, a
    ``(module, id)`` pair or, when no full name matches, a name."""
    n = graph.nodes.num_rows
    if not n:
        raise AlgorithmError(f"{param}={value!r}: the graph has no nodes")
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if 0 <= value < n:
            return int(value)
        raise AlgorithmError(f"{param}={value} is not a node of this graph (0..{n - 1})")
    if isinstance(value, list):
        value = tuple(value)
    cols = graph.nodes.select(["module", "id", "full_name", "name", "kind"]).to_pydict()
    # an entry is a METHOD node: a `def` statement has the same full name as its METHOD
    wanted = [k == "METHOD" for k in cols["kind"]] if param == "entry" else [True] * n
    for columns in (("full_name",), ("module", "id"), ("name",)):
        rows = zip(*(cols[c] for c in columns), strict=True)
        hits = [
            i
            for i, row in enumerate(rows)
            if wanted[i] and (row if len(row) > 1 else row[0]) == value
        ]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise AlgorithmError(
                f"{param}={value!r} names {len(hits)} nodes (numbers {hits[:5]}); pass the "
                "node number (graph.nodes) instead"
            )
    raise AlgorithmError(
        f"{param}={value!r}: no node of this graph has that full name, (module, id) or name; "
        "look it up in graph.nodes"
    )


def _annotate(result: Any, graph: CodeGraph) -> Any:
    """Join the node columns of a result with what the CPG says of the node: ``node`` gets
    module, id, kind, name, full name, code and line; every other node column (``target``,
    ``header``, ``idom``, ...) a ``<column>_name``: the full name, else the code, else the
    name or kind (None for -1, "no node")."""
    if not isinstance(result, pd.DataFrame):
        return result
    columns = ["module", "id", "kind", "name", "full_name", "code", "line"]
    nodes = graph.nodes.select(columns).to_pandas(types_mapper=_NULLABLE.get)
    label = _labels(graph)
    out = result
    if "node" in out.columns:
        idx = out["node"].to_numpy()
        out = out.assign(**{col: nodes[col].array.take(idx) for col in columns})
    for col in NODE_COLUMNS:
        if col in out.columns:
            names = [label[int(v)] if int(v) >= 0 else None for v in out[col]]
            out = out.assign(**{f"{col}_name": names})
    out.attrs = dict(result.attrs)
    return out
