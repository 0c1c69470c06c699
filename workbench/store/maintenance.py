"""Keeping a store healthy: verify, restore, sorted compaction, vacuum.

* :func:`verify` checks the store log and every data file of the current version: present,
  of the size the Delta log records, and readable with Parquet page checksums verified. It
  names the modules each damaged file holds.
* :func:`restore_rows` (inside a transaction) replaces a damaged file of a table by the rows
  of the newest earlier table version whose files are intact. Rebuilding derived data from
  source is the pipeline's job (:func:`workbench.pipeline.repair`).
* :func:`compact` rewrites a table as few files sorted by its key (Delta's own compaction
  would interleave keys and destroy lookup locality).
* :func:`vacuum` deletes files no version within the retention period needs, under the write
  lock, so it never deletes the files of a write in progress.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable

from workbench.cpg.schema import TABLES, tables_for
from workbench.errors import CorruptionError, SchemaVersionError, WorkbenchError
from workbench.store.log import META_DIR, StoreLog, write_lock
from workbench.store.objects import StoreRoot, is_object_path, rmtree, store_root
from workbench.store.store import FLAGS, Store, open_store
from workbench.store.table import PART, StoreTable, _readable, _sha256
from workbench.store.transaction import Transaction

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DERIVED",
    "NO_SIDECAR",
    "compact",
    "restore_rows",
    "rewrite_sidecar",
    "vacuum",
    "verify",
]

#: Tables whose rows are derived from source (a damaged file is rebuilt, not restored).
DERIVED = ("cpg_nodes", "cpg_edges", "cpg_methods", "cpg_graphs")


def _check_file(table: StoreTable, f: dict) -> str | None:
    """None if a data file is whole, else what is wrong with it."""
    path = table.path / f["path"]
    if not path.exists():
        return "missing"
    actual = path.stat().st_size
    if actual != f["size"]:
        return f"size {actual} != {f['size']} recorded"
    side = table._sidecar(f["path"])
    if side is not None and side.get("sha256") and _sha256(path) != side["sha256"]:
        return "checksum mismatch (SHA-256 of the file)"
    try:
        pq.ParquetFile(_readable(path), page_checksum_verification=True).read()
    except Exception as e:  # pyarrow raises OSError/ArrowInvalid for corrupt pages
        return f"unreadable: {type(e).__name__}: {str(e)[:160]}"
    if side is None:
        return NO_SIDECAR
    return None


#: The problem of an intact file whose sidecar (digest and module list) is gone.
NO_SIDECAR = "no sidecar (file digest and module list): repair rewrites it"


def _modules_of(table: StoreTable, f: dict, problem: str, known: list[int]) -> list[int]:
    """The modules a file holds, never read from damaged bytes: its sidecar, else (the file
    being intact) its module column, else the known modules in its key range (Delta stats)."""
    side = table._sidecar(f["path"])
    if side is not None and side.get("modules") is not None:
        return sorted(side["modules"])
    if problem == NO_SIDECAR:
        return sorted(table.modules_in(f["path"]))
    if f["min"] is None:
        return []
    return sorted(k for k in known if f["min"] <= k <= f["max"])


def verify(store: Store | str | os.PathLike) -> pd.DataFrame:
    """One row per problem: table, file, problem, modules (keys) the file holds.

    Checks the store log (every entry readable, none missing, the log present at all), each
    table's Delta log, and every data file of the newest version: present, of the recorded
    size, its SHA-256 equal to its sidecar's, and readable with Parquet page checksums
    verified. Takes a store or its path (a store whose log is damaged cannot be opened).
    Empty when healthy.
    """
    import pandas as pd

    columns = ["table", "file", "problem", "modules"]
    rows = [{**p, "table": "_workbench"} for p in log_problems(_root(store))]
    if rows:
        return pd.DataFrame(rows, columns=columns).assign(modules=[[] for _ in rows])
    if not isinstance(store, Store):
        store = open_store(store)
    store.refresh()._tables.clear()  # read every Delta log afresh
    known = _known_modules(store)
    for name in sorted(store.tables):
        try:
            t, version = store._current(name)
            files = t.files(version)
        except Exception as e:  # the Delta log itself
            problem = (str(e).strip() or repr(e)).splitlines()[0][:200]  # no Rust backtrace
            rows.append({"table": name, "file": "_delta_log", "problem": problem})
            continue
        for f in files:
            problem = _check_file(t, f)
            if problem:
                mods = _modules_of(t, f, problem, known) if t.key == "module" else []
                rows.append({"table": name, "file": f["path"], "problem": problem, "modules": mods})
    out = pd.DataFrame(rows, columns=columns)
    out["modules"] = [m if isinstance(m, list) else [] for m in out["modules"]]
    return out


def _root(store: Store | str | os.PathLike) -> StoreRoot:
    return store.root if isinstance(store, Store) else store_root(store)


def log_problems(root: Path) -> list[dict]:
    """What is wrong with a store's log: damaged, unknown or missing entries, or no log at all
    beside existing tables. Each problem is ``{"file": ..., "problem": ...}``."""
    log = StoreLog(root)
    out = []
    versions = log.versions()
    for v in versions:
        try:
            log.read(v)
        except WorkbenchError as e:
            out.append({"file": f"log/{v:010d}.json", "problem": e.message})
    head = log.head()
    if versions and head is not None and head > versions[-1]:
        out.append({"file": f"log/{head:010d}.json", "problem": "missing (deleted?)"})
    if not versions and _table_dirs(root):
        out.append({"file": "log", "problem": "the store log is gone; the tables are there"})
    return out


def _table_dirs(root: Path) -> dict[str, list[str]]:
    """Table name -> its folders (incarnations) on disk, oldest first."""
    out: dict[str, list[tuple[int, str]]] = {}
    if not root.is_dir():
        return {}
    for path in root.iterdir():
        # a table's folder is its name, or name.N for its N-th incarnation (never _ or .)
        name, _, n = path.name.partition(".")
        if name in TABLES and (not n or n.isdigit()) and (path / "_delta_log").is_dir():
            out.setdefault(name, []).append((int(n or 1), path.name))
    return {k: [d for _, d in sorted(v)] for k, v in out.items()}


def rebuild_log(root: str | os.PathLike) -> list[str]:
    """Rebuild a damaged store log from the Delta tables; returns what was done.

    Damaged entries move to ``_workbench/log/damaged/`` (time travel to them is gone). When
    the newest entry is damaged or missing, or the whole log is gone, a ``repair-log`` entry
    takes its place: every table at its newest Delta version, in the newest readable entry's
    folders (else each table's newest folder), the schema version from the ``modules`` table's
    columns. Entries written by a newer workbench are never touched
    (:class:`~workbench.errors.SchemaVersionError`).
    """
    from deltalake import DeltaTable

    root = store_root(root)
    problems = log_problems(root)
    if not problems:
        return []
    log = StoreLog(root)
    done = []
    with write_lock(root):
        good = None
        seen = [v for v in (log.head(),) if v is not None]
        for v in log.versions():
            seen.append(v)
            try:
                good = log.read(v)
            except SchemaVersionError:
                raise
            except WorkbenchError:
                aside = log.dir / "damaged"
                aside.mkdir(exist_ok=True)
                log.path(v).replace(aside / log.path(v).name)
                done.append(f"moved damaged log entry {v} to {META_DIR}/log/damaged/")
        newest = max(seen, default=-1)
        if good is not None and good.version == newest:
            return done  # only older entries were damaged: the newest one stands
        dirs = _table_dirs(root)
        modules_dir = good.dir("modules") if good else (dirs.get("modules") or [None])[-1]
        if modules_dir is None:
            raise CorruptionError(
                root,
                "the store log cannot be rebuilt: the modules table, which says the schema "
                "version, is gone too",
            )
        columns = DeltaTable(str(root / modules_dir)).schema().to_arrow().names
        schema_version = 2 if "cpg_status" in columns else 1
        tables, where = {}, {}
        for name in tables_for(schema_version):
            folder = good.dir(name) if good and name in good.tables else None
            folder = folder or (dirs.get(name) or [None])[-1]
            if folder is None:
                continue
            tables[name] = DeltaTable(str(root / folder)).version()
            where[name] = folder
        flags = {**FLAGS, **(good.flags if good else {})}
        if good is None or good.schema_version != schema_version:
            flags["cpg"] = schema_version >= 2  # what a migration or a rollback leaves
        entry = log.append(
            None,
            version=newest + 1,
            operation="repair-log",
            tables=tables,
            schema_version=schema_version,
            flags=flags,
            details={"rebuilt": True, "after": good.version if good else None},
            dirs=where,
        )
        done.append(
            f"store log entry {entry.version} rebuilt from the tables "
            f"(schema v{schema_version}, {len(tables)} tables)"
        )
    return done


def _known_modules(store: Store) -> list[int]:
    """Module keys of the store (for files whose sidecar is gone), from intact data only."""
    try:
        return store.read_table("modules").column("module").to_pylist()
    except Exception:
        return []


def rewrite_sidecar(tx: Transaction, name: str, file: str) -> None:
    """Inside a transaction: rewrite the sidecar of an intact data file from its bytes."""
    t = tx._table(name)
    held = t.read_file(file, columns=["module"])  # pragma: no mutate: all columns: slower, same
    modules = sorted(set(held["module"].to_pylist()))
    t._write_sidecar(file, _sha256(t.path / file), modules if t.key == "module" else None)


def restore_rows(tx: Transaction, name: str, bad_file: str, keys: list[int]) -> set[int]:
    """Inside a transaction: replace a damaged data file by the rows it held, taken from the
    newest earlier table version whose files are all intact.

    ``keys`` are the values of the table's key the damaged file held (modules, for tables
    keyed by module). Returns the keys that could not be restored; when some cannot, nothing
    is changed (the damaged file stays, so nothing is silently lost).
    """
    t = tx._table(name)
    version = tx.tables[name]
    wanted = set(keys)
    for older in reversed(range(version)):
        try:
            files = t.files(older)
        except Exception:  # the Delta log of that version is unreadable too
            continue
        if not all(_check_file(t, f) in (None, NO_SIDECAR) for f in files):
            continue
        rows = t.read(older, schema=tx.schema(name))
        if wanted:
            rows = rows.filter(pc.is_in(rows[t.key], pa.array(sorted(wanted), rows[t.key].type)))
        found = set(rows[t.key].to_pylist())
        if wanted - found:
            continue  # that version lacks some of them: look further back
        tx.replace_files(name, [bad_file], rows)
        return set()
    return wanted


def compact(
    store: Store, tables: list[str] | None = None, rows_per_file: int = 1_000_000
) -> dict[str, tuple[int, int]]:
    """Rewrite tables as few files sorted by key; returns ``{table: (files before, after)}``.

    Only the files of rows owned by modules are merged; file groups (cross-module call
    edges) are left as they are.
    """
    out = {}
    with store.transaction("compact") as tx:
        for name in tables or sorted(tx.tables):
            files = [f["path"] for f in tx.files(name) if StoreTable.group_of(f["path"]) == PART]
            if len(files) <= 1:
                continue
            rows = tx.read_files(name, files)
            added = tx.replace_files(name, files, rows, rows_per_file=rows_per_file)
            out[name] = (len(files), len(added))
        tx.details = {"tables": {k: list(v) for k, v in out.items()}}
    return out


def vacuum(store: Store, retention_hours: float = 168) -> int:
    """Delete data files no store version within ``retention_hours`` needs; returns how many.

    Runs as a store transaction: it waits for a running write, first undoes what interrupted
    operations left (so the files of the newest logged version are current again), and never
    sees the files of a running generation (they wait in a staging folder until committed).
    Files an older store version needs are deleted only when that version is older than the
    retention period; such versions are then refused by :meth:`Store.at`. Folders of dropped
    tables go when no store version within the retention period uses them.
    """
    import datetime as dt

    removed = 0
    now = dt.datetime.now(dt.UTC)
    horizon = now - dt.timedelta(hours=retention_hours)
    with store.transaction("vacuum") as tx:
        for name in sorted(tx.tables):
            delta = DeltaTable(str(tx._table(name).path))
            removed += len(
                delta.vacuum(
                    retention_hours=max(0, int(retention_hours)),
                    dry_run=False,
                    enforce_retention_duration=False,
                    full=True,
                )
            )
            tx.adopt_version(name, delta.version())  # Delta logs its vacuums as commits
        current = set(tx.dirs.values())
        log = store._log
        recent: set[str] = set()
        for v in log.versions():
            e = log.read(v)
            if dt.datetime.fromisoformat(e.timestamp) >= horizon:
                recent |= {e.dir(n) for n in e.tables}
        for d in sorted(log.referenced_dirs() - current - recent):
            path = store.root / d
            if path.is_dir():
                removed += sum(1 for f in _files_under(path) if f.endswith(".parquet"))
                rmtree(path)
        tx.details = {"removed": removed, "retention_hours": retention_hours}
        if removed:  # older versions may now be refused: the history says why
            tx.record()
    return removed


def _files_under(path: StoreRoot) -> list[str]:
    """Names of every file under a folder."""
    if is_object_path(path):
        return [p.name for p, _ in path.walk_files()]
    return [p.name for p in path.rglob("*") if p.is_file()]
