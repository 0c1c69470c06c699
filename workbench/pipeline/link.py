"""Cross-module call edges in a store, derived from all stored modules.

They live in the ``link`` file group of ``cpg_edges`` (replaced as a whole); a module's own
files hold only edges within the module. Relinking after every change keeps edges into a
rebuilt or removed module right, so an incremental run equals a clean rebuild.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from workbench.cpg.schema import EDGES, EdgeKind, NodeKind, Resolution, Subkind, analysis_group
from workbench.passes.linker import LinkIndex
from workbench.store import Transaction
from workbench.store.table import StoreTable

__all__ = ["CALL_GRAPH", "LINKS", "drop_analyses", "prune_links", "relink"]

#: The file group of ``cpg_edges`` that holds cross-module call edges.
LINKS = "link"
#: The file group of ``cpg_edges`` that holds the value-flow call graph's CALL edges
#: (``Store.call_graph(save=True)``), within and across modules.
CALL_GRAPH = "callgraph"


def relink(tx: Transaction) -> None:
    """Inside a transaction: recompute every cross-module CALL edge from the stored modules."""
    mods = tx.read("modules", columns=["module", "name"])
    names = dict(zip(mods["module"].to_pylist(), mods["name"].to_pylist(), strict=True))
    # one scan of the nodes (the largest table) for both the definitions the index needs
    # (it keeps only those) and the calls to resolve; only the columns linking needs
    nodes = tx.scan(
        "cpg_nodes",
        ["module", "id", "kind", "subkind", "name", "full_name", "method", "resolution"],
        "kind = $type OR (subkind = $alias AND method = 0) OR resolution = $r",
        {"type": str(NodeKind.TYPE_DECL), "alias": str(Subkind.ALIAS), "r": str(Resolution.IMPORT)},
    )
    index = LinkIndex()
    index.add(
        names, tx.read("cpg_methods", columns=["module", "id", "full_name", "subkind"]), nodes
    )
    calls = nodes.filter(pc.fill_null(pc.equal(nodes["resolution"], str(Resolution.IMPORT)), False))
    calls = calls.sort_by([("module", "ascending"), ("id", "ascending")])
    src, dst, smod, dmod = [], [], [], []
    for key, cid, full in zip(
        calls["module"].to_pylist(),
        calls["id"].to_pylist(),
        calls["full_name"].to_pylist(),
        strict=True,
    ):
        hit = index.resolve(full)
        if hit is not None and hit[0] != key:
            smod.append(key)
            src.append(cid)
            dst.append(hit[1])
            dmod.append(hit[0])
    n = len(src)
    links = pa.table(
        {
            "module": pa.array(smod, pa.int64()),
            "src": pa.array(src, pa.int32()),
            "dst": pa.array(dst, pa.int32()),
            "kind": pa.array([str(EdgeKind.CALL)] * n, pa.string()),
            "label": pa.array([str(Resolution.IMPORT)] * n, pa.string()),
            "dst_module": pa.array(dmod, pa.int64()),
        },
        schema=EDGES,
    )
    tx.replace_group("cpg_edges", LINKS, links)


def prune_links(
    tx: Transaction, keys: set[int], groups: tuple[str, ...] = (LINKS, CALL_GRAPH)
) -> None:
    """Inside a transaction: drop the derived edges (cross-module links, the saved call
    graph) from or into modules ``keys`` (their node ids no longer hold); :func:`relink`
    recomputes the links once those modules are rebuilt, saving the call graph again
    recomputes its edges."""
    key_arr = pa.array(sorted(keys), pa.int64())
    for group in groups:
        rows = tx.read_group("cpg_edges", group)
        if not rows.num_rows:
            continue
        stale = pc.or_(pc.is_in(rows["module"], key_arr), pc.is_in(rows["dst_module"], key_arr))
        if pc.any(stale).as_py():
            tx.replace_group("cpg_edges", group, rows.filter(pc.invert(stale)))


def drop_analyses(tx: Transaction, keys: set[int]) -> None:
    """Inside a transaction: drop the cached analysis results that read modules ``keys``
    (their module groups) and every project-wide result (see
    :func:`~workbench.cpg.schema.analysis_group`); results of other modules stay."""
    if not tx.has_table("analysis_cache"):
        return
    groups = {analysis_group(k) for k in keys} | {analysis_group(None)}
    stale = [
        f["path"] for f in tx.files("analysis_cache") if StoreTable.group_of(f["path"]) in groups
    ]
    if stale:  # one commit, however many groups go
        tx.replace_files("analysis_cache", stale)
