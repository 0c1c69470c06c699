"""Repair: remove what :func:`workbench.store.maintenance.verify` finds damaged and restore it.

CPG rows are derived data: the affected modules are rebuilt from source when the source still
has the same content hash, else marked ``pending``. Legacy rows are restored from the newest
earlier table version whose files are intact, then brought up to date by re-parsing the
source when it is available.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from workbench.cpg.schema import MODULES
from workbench.errors import SourceError
from workbench.frontends.python import build_cpg
from workbench.frontends.python.source import content_hash, read_source
from workbench.pipeline.builds import pending_cpg_fields, write_cpg_rows
from workbench.pipeline.ingest import ingest
from workbench.store import Store, Transaction
from workbench.store.maintenance import DERIVED, restore_rows, verify

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["repair"]


def repair(store: Store, source: str | Path | None = None) -> pd.DataFrame:
    """Repair what :func:`~workbench.store.maintenance.verify` finds; return what was done
    per damaged file (table, file, action, modules)."""
    import pandas as pd

    damaged = verify(store)
    if damaged.empty:
        return pd.DataFrame(columns=["table", "file", "action", "modules"])
    source = Path(source) if source else store.last_source()
    done = []
    rebuild: set[int] = set()
    legacy_keys: set[int] = set()
    all_legacy = False
    with store.transaction("repair") as tx:
        for r in damaged.itertuples():
            if r.table in DERIVED:
                tx.replace_files(r.table, [r.file])
                rebuild.update(r.modules)
                action = "removed; modules rebuilt"
            else:
                restored = restore_rows(tx, r.table, r.file)
                legacy_keys.update(r.modules)
                all_legacy |= r.table == "modules" or not r.modules
                action = f"removed; {restored} rows restored from an earlier version"
            done.append({"table": r.table, "file": r.file, "action": action, "modules": r.modules})
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
            report = ingest(store, source, refresh=paths, follow_symlinks=_followed_symlinks(store))
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


def _followed_symlinks(store: Store) -> bool:
    """Whether the last ingest followed symbolic links (so that re-ingesting keeps them)."""
    import json

    for r in store.history().iloc[::-1].itertuples():
        details = json.loads(r.details)
        if r.operation == "ingest" and details.get("source"):
            return bool(details.get("follow_symlinks"))
    return False


def _rebuild(tx: Transaction, keys: list[int], source: Path | None, done: list) -> None:
    """Rebuild damaged modules' CPGs from unchanged sources; mark the others pending."""
    mods = {m["module"]: m for m in tx.read("modules").to_pylist()}
    cpgs, stale = [], []
    for k in keys:
        m = mods.get(k)
        if m is None:
            continue
        src = read_source(source / m["path"], m["path"]) if source else None
        data = src.data if src is not None and src.error is None else None
        if data is None or content_hash(data) != m["content_hash"]:
            stale.append(m)
            continue
        try:
            cpgs.append(build_cpg(data, m["path"]))
        except SourceError:
            stale.append(m)
    for name in DERIVED:  # whatever intact rows of these modules are left go too
        tx.replace_modules(name, set(keys), None)
    if cpgs:
        write_cpg_rows(tx, cpgs, {})  # relinks every cross-module edge
    if stale:
        for m in stale:
            m.update(pending_cpg_fields())
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
