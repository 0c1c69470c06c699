"""The value-flow call graph of the modules a store holds (``Store.call_graph``).

The summaries the call-graph analysis solves are made again from each module's bytes (with the
module's CPG build, whose reaching definitions the summary uses): the bytes the store keeps,
or, in a store made before they were kept, the file under the source root when it still has
the stored content (so the graph is the one of the stored modules, never of newer files).
The result equals ``build_project(source).call_graph()`` over the same files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from workbench.callgraph import CallGraph, ModuleSummary, analyze
from workbench.cpg.schema import EDGES, CpgStatus, EdgeKind, NodeKind, ParseStatus
from workbench.errors import SourceError, WorkbenchError
from workbench.frontends.python import build_module
from workbench.frontends.python.source import read_source
from workbench.pipeline.link import CALL_GRAPH, drop_analyses
from workbench.pipeline.sources import as_source, stored_sources
from workbench.store import Store

__all__ = ["SITE_COLUMNS", "call_edges", "store_call_graph"]

#: The ``cpg_nodes`` columns :func:`call_edges` reads.
SITE_COLUMNS = [
    "module",
    "id",
    "kind",
    "ast_type",
    "line",
    "col",
    "end_line",
    "end_col",
]
_SPAN = ["module", "ast_type", "line", "col", "end_line", "end_col"]
_DEFINITIONS = ["Module", "FunctionDef", "AsyncFunctionDef", "Lambda", "ClassDef"]


def call_edges(cg: CallGraph, keys: Mapping[str, int], nodes: pa.Table) -> pa.Table:
    """The call graph's edges into the project as ``cpg_edges`` rows of kind ``CALL``.

    Parameters
    ----------
    cg
        The solved call graph.
    keys
        Module key of each module name (modules missing here are left out).
    nodes
        ``cpg_nodes`` rows of those modules, at least the :data:`SITE_COLUMNS`.

    Returns
    -------
    pyarrow.Table
        In the ``cpg_edges`` schema, sorted: ``src`` the call site (the call expression, or
        the statement or expression that calls implicitly: a decorator, ``with``, ``for``,
        ``class``, ``import``, an attribute read of a property...), ``dst`` the callee's
        METHOD, ``label`` the :class:`~workbench.cpg.schema.Resolution` (``points-to``,
        ``decorator``, ``protocol``, ``property``, ``class-body``, ``module-body``),
        ``dst_module`` the callee's module key when it is another module. A site with several
        callees has several rows.
    """
    rows = [t for t in cg.targets() if t[0] in keys and t[2] in keys]
    want = pa.table(
        {
            "module": pa.array([keys[t[0]] for t in rows], pa.int64()),
            "ast_type": pa.array([t[1][0] for t in rows], pa.string()),
            "line": pa.array([t[1][1] for t in rows], pa.int32()),
            "col": pa.array([t[1][2] for t in rows], pa.int32()),
            "end_line": pa.array([t[1][3] for t in rows], pa.int32()),
            "end_col": pa.array([t[1][4] for t in rows], pa.int32()),
            "d_module": pa.array([keys[t[2]] for t in rows], pa.int64()),
            "d_line": pa.array([t[4] if t[4] is not None else 0 for t in rows], pa.int32()),
            "d_col": pa.array([t[5] if t[5] is not None else 0 for t in rows], pa.int32()),
            "label": pa.array([t[6] for t in rows], pa.string()),
        }
    )
    sites = (
        nodes.select([*_SPAN, "id"])
        .filter(pc.is_valid(nodes["ast_type"]))
        .group_by(_SPAN)
        .aggregate([("id", "min")])
        .rename_columns([*_SPAN, "src"])
    )
    # the callee's METHOD by where its def, lambda or class starts (its full name in the CPG
    # can differ: a lambda in a comprehension, a class defined twice); a module's by (0, 0)
    meth = nodes.filter(
        pc.and_(
            pc.equal(nodes["kind"], str(NodeKind.METHOD)),
            pc.is_in(nodes["ast_type"], pa.array(_DEFINITIONS)),
        )
    )
    is_mod = pc.equal(meth["ast_type"], "Module")
    zero = pa.array([0] * meth.num_rows, pa.int32())
    methods = pa.table(
        {
            "d_module": meth["module"],
            "d_line": pc.if_else(is_mod, zero, meth["line"]),
            "d_col": pc.if_else(is_mod, zero, meth["col"]),
            "dst": meth["id"],
        }
    )
    keys_d = ["d_module", "d_line", "d_col"]
    found = want.join(sites, _SPAN, join_type="inner").join(methods, keys_d, join_type="inner")
    dst_module = pc.if_else(
        pc.equal(found["module"], found["d_module"]),
        pa.nulls(found.num_rows, pa.int64()),
        found["d_module"],
    )
    out = pa.table(
        {
            "module": found["module"],
            "src": found["src"],
            "dst": found["dst"],
            "kind": pa.array([str(EdgeKind.CALL)] * found.num_rows, pa.string()),
            "label": found["label"],
            "dst_module": dst_module,
        }
    )
    out = out.group_by(list(out.column_names)).aggregate([]).select(EDGES.names)
    order = [(c, "ascending") for c in ("module", "src", "dst_module", "dst", "label")]
    return out.sort_by(order).cast(EDGES)


def store_call_graph(
    store: Store, source: str | os.PathLike | None = None, *, save: bool = False
) -> CallGraph:
    """Solve the call graph of every module the store holds.

    Parameters
    ----------
    store
        Any store (schema v1 or v2: only the module list is read).
    source
        The source root (default: the one of the last ingest).
    save
        Also store its edges into the project's CPGs as ``cpg_edges`` rows of kind ``CALL``
        (file group ``callgraph``, see :func:`call_edges`), replacing the ones saved before,
        in one transaction (schema v2). Rebuilding a module drops the saved edges from and
        into it; ``generate(call_graph=True)`` saves the graph again after each run.

    Returns
    -------
    CallGraph
        Its ``left_out`` lists ``(path, reason)`` of the stored modules that were not
        analysed: the file is gone, unreadable, or changed since it was ingested.

    Raises
    ------
    WorkbenchError
        When the store keeps no bytes of some modules and there is no source root to read
        them from.
    """
    cols = ["module", "path", "name", "content_hash", "parse_status"]
    mods = store.read_table("modules", columns=cols)
    mods = mods.filter(pc.equal(mods["parse_status"], str(ParseStatus.OK))).sort_by("path")
    stored = stored_sources(store)
    root = Path(source) if source is not None else store.last_source()
    if set(mods["module"].to_pylist()) - set(stored) and (root is None or not root.is_dir()):
        raise WorkbenchError(
            f"no source tree to read the modules of {store.root} from, and the store keeps "
            "no bytes of some of them: pass source=, or ingest again (it stores them)"
        )
    summaries: list[ModuleSummary] = []
    left_out: list[tuple[str, str]] = []
    analysed: dict[str, str] = {}  # module name -> content hash of the source analysed
    for key, path, name, digest in zip(
        mods["module"].to_pylist(),
        mods["path"].to_pylist(),
        mods["name"].to_pylist(),
        mods["content_hash"].to_pylist(),
        strict=True,
    ):
        # the bytes ingest read; in a store made before they were kept, the file (below, it
        # is left out if it changed)
        kept = stored.get(key)
        src = as_source(kept.data) if kept is not None else read_source(root / path, path)
        if src.error is not None:
            left_out.append((path, f"{type(src.error).__name__}: {src.error}"))
            continue
        if src.content_hash != digest:
            left_out.append((path, "changed since it was ingested"))
            continue
        try:  # the CPG build too: its reaching definitions make locals flow-sensitive
            _, summary = build_module(src.data, path, module_name=name)
        except SourceError as e:  # a module too large for the default limits, say
            left_out.append((path, f"{type(e).__name__}: {e}"))
            continue
        summaries.append(summary)
        analysed[name] = digest
    cg = analyze(summaries)
    cg.left_out = left_out
    if save:
        cg.saved_edges = _save(store, cg, analysed)
    return cg


def _save(store: Store, cg: CallGraph, analysed: Mapping[str, str]) -> int:
    """Store the call graph's CALL rows for the modules whose stored CPG is of the source
    analysed (an ingest or generation may have run meanwhile); the number of rows."""
    store.require_cpg()
    with store.transaction("call graph") as tx:
        mods = tx.read("modules", columns=["module", "name", "content_hash", "cpg_status"])
        keys = {
            n: k
            for n, k, h, status in zip(
                mods["name"].to_pylist(),
                mods["module"].to_pylist(),
                mods["content_hash"].to_pylist(),
                mods["cpg_status"].to_pylist(),
                strict=True,
            )
            if status == str(CpgStatus.OK) and analysed.get(n) == h
        }
        nodes = tx.read(
            "cpg_nodes",
            filter=pc.field("module").isin(sorted(keys.values())),
            columns=SITE_COLUMNS,
        )
        rows = call_edges(cg, keys, nodes)
        tx.replace_group("cpg_edges", CALL_GRAPH, rows)
        drop_analyses(tx, set())  # project-wide results read the call edges
        tx.details = {"edges": rows.num_rows, "modules": len(keys)}
    return rows.num_rows
