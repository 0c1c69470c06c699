"""What the next writer does about an interrupted one, with the write lock held.

A writer killed mid-transaction (``kill -9``, a power cut) can leave Delta commits the store
log never recorded, staged files of its session, and table folders of an interrupted
migration. Every transaction starts with :func:`recover`, so they are undone before anything
builds on them (docs/architecture.md, "Failure handling in one place").
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from workbench.errors import StoreNotFoundError
from workbench.store.log import META_DIR, LogEntry
from workbench.store.objects import PARALLEL, is_object_path, rmtree
from workbench.store.staging import remove_dead_sessions

if TYPE_CHECKING:
    from workbench.store.store import Store

__all__ = ["recover", "remove_unreferenced_folders"]


def recover(store: Store) -> LogEntry:
    """Undo what interrupted operations left and return the newest store version to build on.

    Delta commits beyond the logged versions are undone (a RESTORE commit; the store log
    then records the restored versions in a ``recover`` entry, so later writers find the
    tables where the log says), files of dead staging sessions are deleted, and table folders
    no logged version uses (an interrupted migration's) are removed.
    """
    log = store._log
    entry = log.latest()
    if entry is None:
        raise StoreNotFoundError(store.root, f"not a workbench store (no {META_DIR}/log)")
    store._check_version(entry)
    remove_dead_sessions(store.root)
    tables = {n: store._table(n, entry.schema_version, entry.dir(n)) for n in entry.tables}

    def check(name: str) -> tuple[str, int | None]:
        t = tables[name]
        return name, t.latest_version() if t.restore(entry.tables[name]) else None

    names = sorted(tables)
    if is_object_path(store.root):  # a round trip per table: all at once
        with ThreadPoolExecutor(PARALLEL) as pool:  # pragma: no mutate: any number of threads
            checked = list(pool.map(check, names))
    else:
        checked = [check(n) for n in names]
    restored = {n: v for n, v in checked if v is not None}
    if restored:
        entry = log.append(
            entry,
            operation="recover",
            tables={**entry.tables, **restored},
            schema_version=entry.schema_version,
            flags=entry.flags,
            details={"restored": sorted(restored), "after": entry.operation},
            dirs=entry.dirs,
        )
    remove_unreferenced_folders(store, entry)
    return entry


def remove_unreferenced_folders(store: Store, entry: LogEntry) -> list[str]:
    """Remove the table folders no logged version uses; return their names."""
    current = {entry.dir(n) for n in entry.tables}
    tables = [
        path
        for path in sorted(store.root.iterdir())
        if path.name not in current
        and not path.name.startswith(("_", "."))
        and (path / "_delta_log").is_dir()
    ]
    if not tables:  # the usual case: no need to read every log entry
        return []
    used = store._log.referenced_dirs()
    removed = [path.name for path in tables if path.name not in used]
    for name in removed:
        rmtree(store.root / name)
    return removed
