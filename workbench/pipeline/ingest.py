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

What cannot be a module is skipped with its reason, and the run goes on:

>>> import os
>>> os.symlink("loop.py", src / "loop.py")
>>> ingest(store, src).skipped
[Skipped(path='loop.py', reason='symbolic link loop (too many levels of symbolic links)')]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from workbench import telemetry
from workbench.frontends.python.repository import repository_rows
from workbench.frontends.python.source import DEFAULT_LIMITS, NOT_READ, Limits, read_source
from workbench.pipeline.builds import CPG_ROWS, build_fields, pending_cpg_fields
from workbench.pipeline.discover import Skipped, discover
from workbench.pipeline.link import drop_analyses, prune_links
from workbench.store import Store, Transaction, crashpoint

__all__ = ["IngestReport", "ingest", "ingest_into"]


@dataclass
class IngestReport:
    """What an ingest changed.

    ``failed`` lists the modules that did not parse (their rows say why); ``skipped`` the
    paths that were not taken as modules at all, with the reason (see
    :func:`~workbench.pipeline.discover.discover`).
    """

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)
    version: int | None = None
    skipped: list[Skipped] = field(default_factory=list)


def ingest(
    store: Store,
    source: str | os.PathLike,
    *,
    exclude: Sequence[str] = (),
    limits: Limits | None = None,
    refresh: Iterable[str] = (),
    workers: int = 1,
    follow_symlinks: bool = False,
) -> IngestReport:
    """Parse every module under ``source`` into ``modules`` and ``functions`` (one version).

    Only changed modules (by content hash) are rewritten, plus the paths in ``refresh``
    (re-parsed even if unchanged: repair uses it); modules whose files are gone are
    removed. Works with CPG support off. In a v2 store, added and changed modules get CPG
    status ``pending`` and removed modules lose their CPG rows. With ``workers`` > 1 the
    changed files are parsed in that many processes. Symbolic links leaving the tree (and
    links to folders) are followed only with ``follow_symlinks``; paths that cannot be
    modules are listed in :attr:`IngestReport.skipped`.
    """
    with telemetry.span("ingest", store=store.root, detail=os.fspath(source)) as span:
        found = discover(source, exclude, follow_symlinks=follow_symlinks)
        with store.transaction("ingest") as tx:
            report = ingest_into(
                tx, Path(source), found.paths, limits=limits, refresh=refresh, workers=workers
            )
            if follow_symlinks and tx.details:  # repair re-ingests the same way
                tx.details["follow_symlinks"] = True
        report.skipped = found.skipped
        report.version = store.version
        span.measurements.update(
            files=len(found.paths),
            added=len(report.added),
            changed=len(report.changed),
            removed=len(report.removed),
            skipped=len(found.skipped),
        )
    telemetry.check_sizes(store)  # table-size alerts (workbench.telemetry.settings)
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
    if not tx.has_table("sources"):  # a store made before sources were kept
        tx.create_table("sources")
    kept_rows = tx.read("sources", columns=["module", "content_hash"])
    stored = dict(
        zip(kept_rows["module"].to_pylist(), kept_rows["content_hash"].to_pylist(), strict=True)
    )
    todo, sources = [], []
    for rel in paths:
        old = current.get(rel)
        src = read_source(source / rel, rel, limits) if old is not None else None
        unchanged = old is not None and _unchanged(old, src)
        if unchanged and rel not in refresh:
            report.unchanged += 1
            # kept from now on (also where a repair restored an older version's bytes)
            if stored.get(old["module"]) != src.content_hash and src.data is not None:
                sources.append(_source_row(old["module"], src.content_hash, src.data))
        else:
            todo.append(rel)
    builds = _current_builds(tx) if tx.schema_version >= 2 else {}
    new_modules, new_functions, touched, kept = [], [], set(), set()
    for row, functions, data in _map_chunks(repository_rows, str(source), todo, limits, workers):
        if data is not None:
            sources.append(_source_row(row["module"], row["content_hash"], data))
        if row["parse_status"] != "ok":
            report.failed.append(row["path"])
        if tx.schema_version >= 2:
            build = builds.get(row["module"])
            if build is not None and build["content_hash"] == row["content_hash"]:
                # re-parsed (repair) but the same source: its CPG still holds
                row.update(build_fields(build))
                kept.add(row["module"])
            else:
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
    if sources or touched & stored.keys():
        rows = pa.Table.from_pylist(sources, schema=tx.schema("sources"))
        tx.replace_modules("sources", touched | set(rows["module"].to_pylist()), rows)
    if not touched:
        return report
    tx.replace_modules(
        "modules", touched, pa.Table.from_pylist(new_modules, schema=tx.schema("modules"))
    )
    crashpoint("ingest.modules")
    tx.replace_modules(
        "functions", touched, pa.Table.from_pylist(new_functions, schema=tx.schema("functions"))
    )
    stale = touched - kept
    if tx.schema_version >= 2 and stale:  # CPG rows of changed or removed sources are stale
        for name in (*(n for n, _ in CPG_ROWS), "cpg_graphs"):
            tx.replace_modules(name, stale, None)
        prune_links(tx, stale)  # generation relinks what it rebuilds
        drop_analyses(tx, stale)
    tx.details = {
        "source": str(source.resolve()),
        "added": len(report.added),
        "changed": len(report.changed),
        "removed": len(report.removed),
    }
    return report


def _source_row(module: int, digest: str, data: bytes) -> dict:
    return {"module": module, "content_hash": digest, "data": data}


def _current_builds(tx: Transaction) -> dict[int, dict]:
    """The current build of each module (``cpg_graphs``)."""
    cols = ["module", "status", "generator", "content_hash", "graph_hash"]
    return {r["module"]: r for r in tx.read("cpg_graphs", columns=cols).to_pylist()}


def _unchanged(old: dict, new) -> bool:
    """Whether a module's stored row still describes the file (a file that was not read is
    unchanged while it fails to be read the same way; one that memory ran out for is parsed
    again)."""
    if old["content_hash"] != new.content_hash or old["error_type"] == "MemoryError":
        return False
    if new.content_hash != NOT_READ:
        return True
    err = new.error
    return (old["size_bytes"], old["error_type"], old["error_message"]) == (
        new.size,
        err.error_type if err else None,
        err.message if err else None,
    )


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
