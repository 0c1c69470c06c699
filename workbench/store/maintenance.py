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

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable

from workbench.cpg.schema import CpgStatus
from workbench.store.log import write_lock
from workbench.store.store import Store
from workbench.store.table import PART, StoreTable, _sha256
from workbench.store.transaction import Transaction

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DERIVED", "compact", "restore_rows", "vacuum", "verify"]

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
    for name, version in sorted(store.tables.items()):
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
                candidates = known["cpg"] if name in DERIVED else known["all"]
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


def restore_rows(tx: Transaction, name: str, bad_file: str) -> int:
    """Inside a transaction: remove a damaged data file and restore the rows it held from the
    newest earlier table version whose files are all intact; returns the rows restored."""
    t = tx._table(name)
    version = tx.tables[name]
    present = set()
    for f in tx.files(name):
        if f["path"] != bad_file:
            present.update(t.read_file(f["path"], columns=["module"])["module"].to_pylist())
    for older in range(version - 1, -1, -1):
        files = t.files(older)
        if all(_check_file(t, f) is None for f in files):
            rows = t.read(older, schema=tx.schema(name))
            missing = rows.filter(
                pc.invert(pc.is_in(rows["module"], pa.array(sorted(present), pa.int64())))
            )
            tx.replace_files(name, [bad_file], missing)
            return missing.num_rows
    tx.replace_files(name, [bad_file])
    return 0


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


def vacuum(store: Store, retention_hours: int = 168) -> int:
    """Delete data files no table version within ``retention_hours`` needs; returns how many.

    Holds the write lock, so a write in progress (which holds it too) is never cut short.
    """
    removed = 0
    with write_lock(store.root):
        for name in sorted(store.refresh().tables):
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
