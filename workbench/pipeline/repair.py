"""Repair: make a damaged store whole again, in one store version.

What :func:`workbench.store.maintenance.verify` finds is mended in one transaction, so a
repair that is killed or fails changes nothing:

* a damaged or missing **store log** entry (or a missing log) is rebuilt from the tables first;
* a data file whose **sidecar** (digest, module list) is gone but whose bytes are intact gets
  the sidecar back;
* **CPG rows** are derived data: the modules a damaged file held (named by the file's sidecar,
  never by its damaged bytes) are rebuilt from source when the source still has the content
  hash they were ingested with, else marked ``pending``;
* **legacy rows** (``modules``, ``functions``) are restored from the newest earlier table
  version that holds them intact, then re-parsed from the source when it is there; the CPG of
  a module whose source is unchanged is kept. Rows that neither an earlier version nor the
  source can give back are reported and their damaged file is left in place: nothing is
  silently lost;
* a table whose **Delta log** is unreadable is re-created (a new folder): derived and
  bookkeeping tables empty (their modules pending), legacy tables from the source.

Afterwards the store equals one built cleanly from the same source.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from workbench.cpg.schema import MODULES
from workbench.errors import SourceError, StoreError
from workbench.frontends.python import build_cpg
from workbench.frontends.python.source import content_hash, read_source
from workbench.pipeline.builds import pending_cpg_fields, write_cpg_rows
from workbench.pipeline.discover import find_modules
from workbench.pipeline.ingest import ingest_into
from workbench.pipeline.link import CALL_GRAPH, drop_analyses, prune_links, relink
from workbench.pipeline.sources import files_for
from workbench.store import Store, Transaction, open_store
from workbench.store.maintenance import (
    DERIVED,
    NO_SIDECAR,
    rebuild_log,
    restore_rows,
    rewrite_sidecar,
    verify,
)
from workbench.store.objects import store_root

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["repair"]

#: Tables a repair restores from earlier versions or re-reads from the source tree (the
#: stored source bytes too: CPGs are rebuilt from them).
LEGACY = ("modules", "functions", "sources")
COLUMNS = ["table", "file", "action", "modules"]


def repair(store: Store | str | os.PathLike, source: str | Path | None = None) -> pd.DataFrame:
    """Repair what :func:`~workbench.store.maintenance.verify` finds; return what was done
    (table, file, action, module keys). Takes a store or its path (a store whose log is
    damaged cannot be opened before the repair).

    Parameters
    ----------
    store
        The store, or its folder.
    source
        The source root (default: the one of the last ingest). Damaged CPGs are rebuilt
        from the bytes the store keeps (from the files, in a store made before they were
        kept). Without a source root, legacy rows come only from earlier versions, and a
        CPG whose bytes are not kept is marked pending.
    """
    import pandas as pd

    root = store.root if isinstance(store, Store) else store_root(store)
    done = [{"table": "_workbench", "file": "log", "action": a} for a in rebuild_log(root)]
    store = open_store(root) if not isinstance(store, Store) else store.refresh()
    damaged = verify(store)
    if not damaged.empty:
        source = Path(source) if source else store.last_source()
        if source is not None and not source.is_dir():
            source = None
        with store.transaction("repair") as tx:
            _Repair(tx, source, done, _followed_symlinks(store)).run(damaged)
            tx.details = {"problems": len(damaged), "source": str(source) if source else None}
    out = pd.DataFrame(done, columns=COLUMNS)
    out["modules"] = [m if isinstance(m, list) else [] for m in out["modules"]]
    return out


class _Repair:
    """One repair transaction: collects what to rebuild and re-parse, then does it."""

    def __init__(
        self, tx: Transaction, source: Path | None, done: list[dict], follow_symlinks: bool
    ) -> None:
        self.tx = tx
        self.follow_symlinks = follow_symlinks
        self.source = source
        self.done = done
        self.rebuild: set[int] = set()
        self.reparse: set[int] = set()
        self.reparse_all = False

    def note(self, table: str, file: str, action: str, modules=()) -> None:
        self.done.append(
            {"table": table, "file": file, "action": action, "modules": sorted(modules)}
        )

    def run(self, damaged: pd.DataFrame) -> None:
        tx = self.tx
        for r in damaged.itertuples():
            if r.problem == NO_SIDECAR:
                rewrite_sidecar(tx, r.table, r.file)
                self.note(r.table, r.file, "sidecar rewritten from the intact file")
            elif r.file == "_delta_log":
                self.recreate(r.table)
            elif r.table in DERIVED:
                tx.replace_files(r.table, [r.file])
                self.rebuild.update(r.modules)
                self.note(r.table, r.file, "removed; its modules rebuilt", r.modules)
            else:
                self.restore(r.table, r.file, list(r.modules))
        if (self.reparse or self.reparse_all) and self.source is not None:
            self.reparse_from_source()
        if self.rebuild and tx.schema_version >= 2:
            self.rebuild_cpgs()

    def restore(self, table: str, file: str, modules: list[int]) -> None:
        tx = self.tx
        # without the file's module list nothing can be restored by key
        lost = bool(restore_rows(tx, table, file, modules)) if modules else True
        if table not in LEGACY:  # bookkeeping (access counts, cache, telemetry): expendable
            if lost:
                tx.replace_files(table, [file])
            self.note(table, file, "removed (expendable)" if lost else "restored", modules)
            return
        if lost and self.source is None:
            self.note(
                table,
                file,
                "NOT repaired: its rows are in no intact earlier version and there is no "
                "source to re-parse (pass --source); the file was left as it is",
                modules,
            )
            return
        if lost:  # the re-parse below writes these modules' rows again
            tx.replace_files(table, [file])
        self.reparse.update(modules)
        self.reparse_all |= not modules
        how = "re-parsed from source" if self.source else "no source: may be out of date"
        self.note(table, file, f"restored from an earlier version; {how}", modules)

    def recreate(self, table: str) -> None:
        """A table whose Delta log is unreadable: a new, empty folder, then refilled."""
        tx = self.tx
        tx.drop_table(table)
        tx.create_table(table, tx.schema(table) if table in tx.tables else None)
        if table in DERIVED:  # every module's CPG is gone with it
            keys = set(tx.read("modules", columns=["module"])["module"].to_pylist())
            for name in DERIVED:
                tx.replace_modules(name, keys, None)
            self.rebuild |= keys
        elif table == "sources" and self.source is None:  # refilled by the next ingest
            self.note(table, "_delta_log", "unreadable: re-created empty (no source to re-read)")
            return
        elif table in LEGACY:
            if self.source is None:
                raise StoreError(
                    tx.store_root,
                    f"the Delta log of {table!r} is unreadable and there is no source to "
                    "rebuild it from: pass --source; nothing was changed",
                )
            self.reparse_all = True
        self.note(table, "_delta_log", "unreadable: table re-created in a new folder")

    def reparse_from_source(self) -> None:
        tx = self.tx
        paths = {m["module"]: m["path"] for m in tx.read("modules").to_pylist()}
        refresh = (
            list(paths.values())
            if self.reparse_all
            else [paths[k] for k in self.reparse if k in paths]
        )
        paths = find_modules(self.source, follow_symlinks=self.follow_symlinks)
        report = ingest_into(tx, self.source, paths, refresh=refresh)
        self.note(
            "modules",
            "",
            f"re-parsed {len(refresh)} modules from {self.source}; {len(report.added)} "
            "restored that no version held",
            self.reparse,
        )

    def rebuild_cpgs(self) -> None:
        """Rebuild damaged modules' CPGs from their stored bytes (or unchanged files); mark
        the others pending."""
        tx = self.tx
        keys = sorted(self.rebuild)
        mods = {m["module"]: m for m in tx.read("modules").to_pylist()}
        kept = _kept_bytes(tx, keys)
        cpgs, stale = [], []
        for k in keys:
            m = mods.get(k)
            if m is None:
                continue
            data = kept.get(k)  # the bytes ingest read, else the file if it is unchanged
            if data is None and self.source is not None:
                src = read_source(self.source / m["path"], m["path"])
                data = src.data if src.error is None else None
            if data is None or content_hash(data) != m["content_hash"]:
                stale.append(m)
                continue
            try:
                cpgs.append(build_cpg(data, m["path"]))
            except SourceError:
                stale.append(m)
        for name in DERIVED:  # whatever intact rows of these modules are left go too
            tx.replace_modules(name, set(keys), None)
        prune_links(tx, set(keys), (CALL_GRAPH,))  # saved call-graph rows into them
        drop_analyses(tx, set(keys))
        if cpgs:
            write_cpg_rows(tx, cpgs, {})  # relinks every cross-module edge
        else:
            relink(tx)
        if stale:
            for m in stale:
                m.update(pending_cpg_fields())
            tx.replace_modules(
                "modules", {m["module"] for m in stale}, pa.Table.from_pylist(stale, schema=MODULES)
            )
        self.note(
            "cpg_*",
            "",
            f"rebuilt {len(cpgs)} modules from their stored bytes or files; {len(stale)} left "
            "pending",
            keys,
        )


def _kept_bytes(tx: Transaction, keys: list[int]) -> dict[int, bytes]:
    """The stored bytes of ``keys`` that can be read (a damaged file of ``sources`` that could
    not be restored is passed over: its modules fall back to the source tree)."""
    if not tx.has_table("sources"):
        return {}
    out: dict[int, bytes] = {}
    for f in files_for([(f["path"], f["min"], f["max"]) for f in tx.files("sources")], keys):
        try:
            rows = tx.read_files("sources", [f]).filter(pc.field("module").isin(keys))
        except OSError:
            continue
        out.update(zip(rows["module"].to_pylist(), rows["data"].to_pylist(), strict=True))
    return out


def _followed_symlinks(store: Store) -> bool:
    """Whether the last ingest followed symbolic links (so that re-parsing keeps them)."""
    import json

    for r in store.history().iloc[::-1].itertuples():
        details = json.loads(r.details)
        if r.operation == "ingest" and details.get("source"):
            return bool(details.get("follow_symlinks"))
    return False
