"""Recording module builds: CPG rows, ``cpg_graphs`` rows and the modules' CPG fields.

Examples
--------
>>> import pathlib, tempfile
>>> import workbench as wb
>>> from workbench.store import Store, migrations
>>> src = pathlib.Path(tempfile.mkdtemp())
>>> _ = (src / "m.py").write_text("def f():\\n    return 1\\n")
>>> store = Store.create(pathlib.Path(tempfile.mkdtemp()) / "s")
>>> _ = store.ingest(src)
>>> _ = migrations.migrate(store)
>>> _ = write_cpg(store, wb.build_project(src).cpgs.values())
>>> store.modules()[["path", "cpg_status"]].to_dict("records")
[{'path': 'm.py', 'cpg_status': 'ok'}]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from workbench.cpg.graph import CPG
from workbench.cpg.schema import GRAPHS, MODULES, SCHEMA_VERSION, CpgStatus
from workbench.errors import NotFoundError
from workbench.frontends.python import GENERATOR
from workbench.pipeline.link import CALL_GRAPH, drop_analyses, prune_links, relink
from workbench.store import Store, Transaction, crashpoint

__all__ = ["build_fields", "pending_cpg_fields", "record_builds", "write_cpg", "write_cpg_rows"]

#: The CPG tables a module build writes rows to, and the CPG attribute that holds them.
CPG_ROWS = (("cpg_nodes", "nodes"), ("cpg_edges", "edges"), ("cpg_methods", "methods"))


def write_cpg(
    store: Store, cpgs: Iterable[CPG], *, build_seconds: dict[int, float] | None = None
) -> Store:
    """Store module CPGs, replacing any earlier CPG rows of the same modules (one version).

    Each module's ``cpg_graphs`` row and ``modules`` CPG fields record status ``ok``, the
    generator, the source hash and a content hash of the graph; cross-module call edges are
    re-derived from all stored modules.

    Raises
    ------
    FeatureDisabledError
        CPG support is off (run ``workbench migrate``).
    NotFoundError
        A CPG's module was never ingested (nothing is written).
    """
    store.require_cpg()
    cpgs = list(cpgs)
    if not cpgs:
        return store
    with store.transaction("write_cpg") as tx:
        known = set(tx.read("modules", columns=["module"]).column("module").to_pylist())
        unknown = sorted(c.module.path or c.module.name for c in cpgs if c.module.key not in known)
        if unknown:
            raise NotFoundError(
                f"not in the repository (ingest them first): {', '.join(unknown[:10])}"
            )
        write_cpg_rows(tx, cpgs, build_seconds or {})
        tx.details = {"modules": len(cpgs)}
    return store


def write_cpg_rows(tx: Transaction, cpgs: list[CPG], build_seconds: dict[int, float]) -> None:
    """Inside a transaction: replace the CPG rows of these modules, record the builds
    (status ``ok``) and relink cross-module calls."""
    keys = {c.module.key for c in cpgs}
    prune_links(tx, keys, (CALL_GRAPH,))  # saved call-graph edges into the old node ids
    drop_analyses(tx, keys)  # cached results that read the old rows
    for name, attr in CPG_ROWS:
        rows = pa.concat_tables([getattr(c, attr) for c in cpgs])
        if name == "cpg_edges":  # cross-module edges are derived by relink() below
            rows = rows.filter(pc.is_null(rows["dst_module"]))
        tx.replace_modules(name, keys, rows)
        crashpoint(f"write_cpg.{name}")
    record_builds(
        tx,
        [
            {
                "module": c.module.key,
                "status": str(CpgStatus.OK),
                "content_hash": c.module.content_hash,
                "graph_hash": c.graph_hash(),
                "nodes": c.nodes.num_rows,
                "edges": c.edges.num_rows,
                "methods": c.methods.num_rows,
                "seconds": build_seconds.get(c.module.key),
            }
            for c in cpgs
        ],
    )
    relink(tx)


def record_builds(tx: Transaction, results: list[dict]) -> None:
    """Inside a transaction: one ``cpg_graphs`` row per module build and the modules' CPG
    fields.

    ``results`` hold ``module``, ``status``, ``content_hash`` and, where known,
    ``error_type``, ``error_message``, ``graph_hash``, ``nodes``, ``edges``, ``methods`` and
    ``seconds``.
    """
    keys = {r["module"] for r in results}
    now = dt.datetime.now(dt.UTC)
    graphs = [
        {
            "module": r["module"],
            "status": r["status"],
            "error_type": r.get("error_type"),
            "error_message": r.get("error_message"),
            "generator": GENERATOR,
            "schema_version": SCHEMA_VERSION,
            "content_hash": r["content_hash"],
            "graph_hash": r.get("graph_hash"),
            "nodes": r.get("nodes"),
            "edges": r.get("edges"),
            "methods": r.get("methods"),
            "build_seconds": r.get("seconds"),
            "built_at": now,
        }
        for r in results
    ]
    tx.replace_modules("cpg_graphs", keys, pa.Table.from_pylist(graphs, schema=GRAPHS))
    mods = tx.read("modules", pc.field("module").isin(list(keys))).to_pylist()
    rows = {g["module"]: g for g in graphs}
    for m in mods:
        m.update(build_fields(rows[m["module"]]))
    tx.replace_modules("modules", keys, pa.Table.from_pylist(mods, schema=MODULES))


def build_fields(build: dict) -> dict:
    """The CPG fields of a module whose current build is the ``cpg_graphs`` row ``build``."""
    return {
        "cpg_status": build["status"],
        "cpg_generator": build["generator"],
        "cpg_source_hash": build["content_hash"],
        "cpg_graph_hash": build["graph_hash"],
    }


def pending_cpg_fields() -> dict:
    """The CPG fields of a module that needs a (new) build."""
    return {
        "cpg_status": str(CpgStatus.PENDING),
        "cpg_generator": None,
        "cpg_source_hash": None,
        "cpg_graph_hash": None,
    }
