"""Ingest: parse a source tree into the AST repository (``modules`` and ``functions``).

Examples
--------
>>> import pathlib, tempfile
>>> from workbench.store import Store
>>> src = pathlib.Path(tempfile.mkdtemp())
>>> _ = (src / "calc.py").write_text("def add(a, b):\\n    return a + b\\n")
>>> store = Store.create(pathlib.Path(tempfile.mkdtemp()) / "store")
>>> ingest(store, src).added
['calc.py']
>>> _ = (src / "calc.py").write_text("def add(a, b, c):\\n    return a + b + c\\n")
>>> report = ingest(store, src)
>>> report.changed, report.unchanged, store.functions().parameters.map(list).tolist()
(['calc.py'], 0, [['a', 'b', 'c']])
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from workbench.frontends.python.repository import repository_rows
from workbench.frontends.python.source import DEFAULT_LIMITS, Limits, content_hash
from workbench.pipeline.builds import CPG_ROWS, pending_cpg_fields
from workbench.pipeline.discover import find_modules
from workbench.pipeline.link import prune_links
from workbench.store import Store, Transaction, crashpoint

__all__ = ["IngestReport", "ingest", "ingest_into"]


@dataclass
class IngestReport:
    """What an ingest changed."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)
    version: int | None = None


def ingest(
    store: Store,
    source: str | os.PathLike,
    *,
    exclude: Sequence[str] = (),
    limits: Limits | None = None,
    refresh: Iterable[str] = (),
    workers: int = 1,
) -> IngestReport:
    """Parse every module under ``source`` into ``modules`` and ``functions`` (one version).

    Only changed modules (by content hash) are rewritten, plus the paths in ``refresh``
    (re-parsed even if unchanged: repair uses it); modules whose files are gone are
    removed. Works with CPG support off. In a v2 store, added and changed modules get CPG
    status ``pending`` and removed modules lose their CPG rows. With ``workers`` > 1 the
    changed files are parsed in that many processes.
    """
    paths = find_modules(source, exclude)
    with store.transaction("ingest") as tx:
        report = ingest_into(
            tx, Path(source), paths, limits=limits, refresh=refresh, workers=workers
        )
    report.version = store.version
    return report


def ingest_into(
    tx: Transaction,
    source: Path,
    paths: list[str],
    *,
    limits: Limits | None = None,
    refresh: Iterable[str] = (),
    workers: int = 1,
) -> IngestReport:
    """Inside a transaction: make the repository hold exactly the modules ``paths`` of
    ``source`` (see :func:`ingest`)."""
    limits = limits or DEFAULT_LIMITS
    refresh = set(refresh)
    report = IngestReport()
    current = {r["path"]: r for r in tx.read("modules").to_pylist()}
    todo = []
    for rel in paths:
        old = current.get(rel)
        unchanged = old is not None and old["content_hash"] == content_hash(
            (source / rel).read_bytes()
        )
        if unchanged and rel not in refresh:
            report.unchanged += 1
        else:
            todo.append(rel)
    new_modules, new_functions, touched = [], [], set()
    for row, functions in _map_chunks(repository_rows, str(source), todo, limits, workers):
        if row["parse_status"] != "ok":
            report.failed.append(row["path"])
        if tx.schema_version >= 2:
            row.update(pending_cpg_fields())
        new_modules.append(row)
        new_functions += functions
        touched.add(row["module"])
        (report.changed if row["path"] in current else report.added).append(row["path"])
    seen = set(paths)
    for rel, old in current.items():
        if rel not in seen:
            report.removed.append(rel)
            touched.add(old["module"])
    if not touched:
        return report
    tx.replace_modules(
        "modules", touched, pa.Table.from_pylist(new_modules, schema=tx.schema("modules"))
    )
    crashpoint("ingest.modules")
    tx.replace_modules(
        "functions", touched, pa.Table.from_pylist(new_functions, schema=tx.schema("functions"))
    )
    if tx.schema_version >= 2:  # CPG rows of changed or removed sources are stale
        for name in (*(n for n, _ in CPG_ROWS), "cpg_graphs"):
            tx.replace_modules(name, touched, None)
        prune_links(tx, touched)  # generation relinks what it rebuilds
    tx.details = {
        "source": str(source.resolve()),
        "added": len(report.added),
        "changed": len(report.changed),
        "removed": len(report.removed),
    }
    return report


def _map_chunks(fn, root: str, items: list, limits, workers: int):
    """``fn(root, chunk, limits)`` over chunks of ``items``, in a process pool when
    ``workers`` > 1; results in input order."""
    if workers <= 1 or len(items) < 2 * workers:
        yield from fn(root, items, limits)
        return
    from workbench.pipeline.scheduler import process_pool  # workers die with this process

    size = max(1, len(items) // (workers * 8))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with process_pool(workers) as pool:
        for part in pool.map(fn, [root] * len(chunks), chunks, [limits] * len(chunks)):
            yield from part
