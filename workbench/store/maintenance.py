"""Keeping a store healthy: verify, repair, sorted compaction, vacuum.

* :func:`verify` checks the store log and every data file of the current version: present,
  of the size the Delta log records, and readable with Parquet page checksums verified. It
  names the modules each damaged file holds.
* :func:`repair` removes damaged files. CPG rows are derived data: the affected modules are
  rebuilt from source when the source still has the same content hash, else marked
  ``pending``. Legacy rows are restored from the newest earlier table version whose files are
  intact, then brought up to date by re-ingesting the source when it is available.
* :func:`compact` rewrites a table as few files sorted by its key (Delta's own compaction
  would interleave keys and destroy lookup locality).
* :func:`vacuum` deletes files no version within the retention period needs, under the write
  lock, so it never deletes the files of a write in progress.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable

from workbench.cpg.schema import MODULES, CpgStatus
from workbench.errors import SourceError
from workbench.store.log import write_lock
from workbench.store.store import (
    Store,
    _pending_cpg_fields,
    schemas_for,
    write_cpg_rows,
)
from workbench.store.table import StoreTable, _sha256

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["compact", "repair", "vacuum", "verify"]

_DERIVED = ("cpg_nodes", "cpg_edges", "cpg_methods", "cpg_graphs")


def _check_file(table: StoreTable, f: dict) -> str | None:
    """None if a data file is whole, else what is wrong with it."""
    path = table.path / f["path"]
    if not path.exists():
        return "missing"
    actual = path.stat().st_size
    if actual != f["size"]:
        return f"size {actual} != {f['size']} recorded"
    expected = table.expected_digest(f["path"])
    if expected is not None and _sha256(path) != expected:
        return "checksum mismatch (SHA-256 of the file)"
    try:
        pq.ParquetFile(path, page_checksum_verification=True).read()
    except Exception as e:  # pyarrow raises OSError/ArrowInvalid for corrupt pages
        return f"unreadable: {type(e).__name__}: {str(e)[:160]}"
    return None


def _modules_in(path: Path, lo, hi, known: list[int]) -> list[int]:
    try:
        keys = pq.read_table(path, columns=["module"])["module"]
        return sorted(set(pc.unique(keys).to_pylist()))
    except Exception:  # the column itself is damaged: every known module in the key range
        if lo is None:
            return []
        return sorted(k for k in known if lo <= k <= hi)


def verify(store: Store) -> pd.DataFrame:
    """One row per damaged file: table, file, problem, modules it holds. Empty when healthy."""
    import pandas as pd

    store.refresh()
    rows = []
    known = _known_modules(store)
    for name, version in sorted(store._entry.tables.items()):
        t = store._table(name, store.schema_version)
        try:
            files = t.files(version)
        except Exception as e:  # the Delta log itself
            rows.append(
                {"table": name, "file": "_delta_log", "problem": str(e)[:200], "modules": []}
            )
            continue
        for f in files:
            problem = _check_file(t, f)
            if problem:
                candidates = known["cpg"] if name in _DERIVED else known["all"]
                mods = (
                    _modules_in(t.path / f["path"], f["min"], f["max"], candidates)
                    if "module" in t.schema.names
                    else []
                )
                rows.append({"table": name, "file": f["path"], "problem": problem, "modules": mods})
    return pd.DataFrame(rows, columns=["table", "file", "problem", "modules"])


def _known_modules(store: Store) -> dict[str, list[int]]:
    """Module keys of the store, and those with CPG rows (for damaged-file fallbacks)."""
    try:
        rows = store.read_table("modules").to_pylist()
    except Exception:
        return {"all": [], "cpg": []}
    return {
        "all": [r["module"] for r in rows],
        "cpg": [r["module"] for r in rows if r.get("cpg_status") == CpgStatus.OK],
    }


def repair(store: Store, source: str | Path | None = None) -> pd.DataFrame:
    """Repair what :func:`verify` finds; return what was done per damaged file."""
    import pandas as pd

    damaged = verify(store)
    if damaged.empty:
        return pd.DataFrame(columns=["table", "file", "action", "modules"])
    source = Path(source) if source else store.last_source()
    done = []
    rebuild: set[int] = set()
    legacy_keys: set[int] = set()
    all_legacy = False
    with store._writing("repair") as tx:
        for r in damaged.itertuples():
            t = tx.table(r.table)
            if r.table in _DERIVED:
                tx.tables[r.table] = t.commit([], [r.file])
                rebuild.update(r.modules)
                action = "removed; modules rebuilt"
            else:
                restored = _restore_legacy(tx, r.table, r.file)
                legacy_keys.update(r.modules)
                all_legacy |= r.table == "modules" or not r.modules
                action = f"removed; {restored} rows restored from an earlier version"
            done.append({"table": r.table, "file": r.file, "action": action, "modules": r.modules})
            tx.changed = True
        if rebuild and tx.schema_version >= 2:
            _rebuild(tx, sorted(rebuild), source, done)
        tx.details = {"files": len(damaged)}
    if legacy_keys or all_legacy:
        if source is None or not source.is_dir():
            done.append(
                {
                    "table": "modules",
                    "file": "",
                    "modules": sorted(legacy_keys),
                    "action": "source not available: restored rows may be out of date",
                }
            )
        else:  # legacy rows derive from source too: re-parse what the damaged files held
            mods = store.read_table("modules").to_pylist()
            paths = [m["path"] for m in mods if all_legacy or m["module"] in legacy_keys]
            report = store.ingest(source, refresh=paths)
            done.append(
                {
                    "table": "modules",
                    "file": "",
                    "modules": sorted(legacy_keys),
                    "action": f"re-ingested {len(paths)} modules from {source}; "
                    f"{len(report.added)} restored that no version held",
                }
            )
    return pd.DataFrame(done)


def _restore_legacy(tx, name: str, bad_file: str) -> int:
    t = tx.table(name)
    version = tx.tables[name]
    schema = schemas_for(tx.schema_version)[name]
    good_files = [f["path"] for f in t.files(version) if f["path"] != bad_file]
    present = set()
    for f in good_files:
        present.update(pq.read_table(t.path / f, columns=["module"])["module"].to_pylist())
    for older in range(version - 1, -1, -1):
        files = t.files(older)
        if all(_check_file(t, f) is None for f in files):
            rows = t.read(older, schema=schema)
            missing = rows.filter(
                pc.invert(pc.is_in(rows["module"], pa.array(sorted(present), pa.int64())))
            )
            adds = [t.write_file(missing)] if missing.num_rows else []
            tx.tables[name] = t.commit(adds, [bad_file])
            return missing.num_rows
    tx.tables[name] = t.commit([], [bad_file])
    return 0


def _rebuild(tx, keys: list[int], source: Path | None, done: list) -> None:
    """Rebuild damaged modules' CPGs from unchanged sources; mark the others pending."""
    from workbench.frontends.python import build_cpg
    from workbench.frontends.python.source import content_hash

    mods = {m["module"]: m for m in tx.read("modules").to_pylist()}
    cpgs, stale = [], []
    for k in keys:
        m = mods.get(k)
        if m is None:
            continue
        path = source / m["path"] if source else None
        data = path.read_bytes() if path is not None and path.is_file() else None
        if data is None or content_hash(data) != m["content_hash"]:
            stale.append(m)
            continue
        try:
            cpgs.append(build_cpg(data, m["path"]))
        except SourceError:
            stale.append(m)
    for name in _DERIVED:  # whatever intact rows of these modules are left go too
        tx.replace_modules(name, set(keys), None)
    if cpgs:
        write_cpg_rows(tx, cpgs, {})  # relinks every cross-module edge
    if stale:
        for m in stale:
            m.update(_pending_cpg_fields())
        tx.replace_modules(
            "modules", {m["module"] for m in stale}, pa.Table.from_pylist(stale, schema=MODULES)
        )
    done.append(
        {
            "table": "cpg_*",
            "file": "",
            "action": f"rebuilt {len(cpgs)} modules from source; {len(stale)} left pending",
            "modules": keys,
        }
    )


def compact(
    store: Store, tables: list[str] | None = None, rows_per_file: int = 1_000_000
) -> dict[str, tuple[int, int]]:
    """Rewrite tables as few files sorted by key; returns ``{table: (files before, after)}``."""
    out = {}
    with store._writing("compact") as tx:
        for name in tables or sorted(tx.tables):
            t = tx.table(name)
            files = t.files(tx.tables[name])
            if len(files) <= 1:
                continue
            rows = tx.read(name)
            if t.key:
                rows = rows.sort_by([(k, "ascending") for k in t.key])
            adds = [
                t.write_file(rows.slice(i, rows_per_file))
                for i in range(0, rows.num_rows, rows_per_file)
            ]
            tx.tables[name] = t.commit(adds, [f["path"] for f in files])
            out[name] = (len(files), len(adds))
            tx.changed = True
        tx.details = {"tables": {k: list(v) for k, v in out.items()}}
    return out


def vacuum(store: Store, retention_hours: int = 168) -> int:
    """Delete data files no table version within ``retention_hours`` needs; returns how many.

    Holds the write lock, so a write in progress (which holds it too) is never cut short.
    """
    removed = 0
    with write_lock(store.root):
        for name in sorted(store.refresh()._entry.tables):
            dt = DeltaTable(str(store.root / name))
            removed += len(
                dt.vacuum(
                    retention_hours=retention_hours,
                    dry_run=False,
                    enforce_retention_duration=False,
                    full=True,
                )
            )
    return removed
