"""One Delta table of pyarrow-written Parquet files (docs/architecture.md: the write path).

Files are written by pyarrow, sorted by the table's key (declared in the schema),
zstd-compressed, in row groups sized to what one lookup reads (:data:`ROW_GROUPS`) and with
page checksums; a commit adds (and removes) whole files. A file's name starts with its group:
``part`` for rows owned by modules, another word for a group of rows replaced as a whole
(``link``: cross-module call edges). Reads go through a pyarrow dataset over the snapshot's
file list with page-checksum verification (never through ``DeltaTable.to_pyarrow_dataset``,
whose threads can abort the interpreter at exit).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError
from deltalake.transaction import AddAction, RemoveAction

from workbench.cpg.schema import table_key, table_name
from workbench.store.objects import ObjectPath, arrow_filesystem, is_object_path, open_input

__all__ = ["PART", "ROW_GROUPS", "StoreTable"]

ROW_GROUP = 65536
#: Row-group size per table where it differs from :data:`ROW_GROUP`. One module's CPG is read
#: whole, so a group should hold a few modules' rows, not hundreds: a stdlib module has ~1.8k
#: nodes, ~3.6k edges and ~44 methods (16k groups halved lookup time against 64k, at +2 %
#: bytes; see benchmarks/store_stdlib.py).
#: A worker reads the source bytes of its batch (a few modules) from ``sources``: 64 files'
#: bytes, ~1 MB before compression, per group.
ROW_GROUPS: dict[str, int] = {
    "cpg_nodes": 16384,
    "cpg_edges": 16384,
    "cpg_methods": 2048,
    "sources": 64,
}
#: The file group of rows owned by modules.
PART = "part"
#: Row-group size of the files of other groups (rows no single module owns, such as the
#: cross-module call edges): a lookup of one module reads one small group of such a file.
GROUP_ROW_GROUP = 2048
#: Files of at most this many rows are held whole in memory by lookups (one read per version).
SMALL_FILE = 65536
_FORMAT = ds.ParquetFileFormat(
    default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True)
)


class StoreTable:
    """The Delta table at ``root/<table>`` of a declared table schema (rows sorted by its key)."""

    def __init__(
        self,
        root: Path | ObjectPath,
        schema: pa.Schema,
        row_group: int | None = None,
        directory: str | None = None,
    ):
        self.name = table_name(schema)
        self.key = table_key(schema)
        self.row_group = row_group or ROW_GROUPS.get(self.name, ROW_GROUP)
        # integer columns (ids, positions) are near-sorted: delta encoding halves their size
        ints = [f.name for f in schema if pa.types.is_integer(f.type) and f.name != self.key]
        self._delta_columns = {c: "DELTA_BINARY_PACKED" for c in ints}
        self._dictionary_columns = [f.name for f in schema if f.name not in ints]
        self.root = root
        self.path = root / (directory or self.name)
        self.schema = schema
        self._snapshots: dict[int, tuple[DeltaTable | None, ds.Dataset | None]] = {}
        self._head: DeltaTable | None = None
        self._sidecars: dict[str, dict] = {}  # object storage only (see _sidecar)
        self._row_groups: dict[int, list] = {}
        self._files: dict[int, list[dict]] = {}

    # -- lifecycle ---------------------------------------------------------------------

    def exists(self) -> bool:
        return DeltaTable.is_deltatable(str(self.path))

    def create(self) -> int:
        """Create the table (empty) if it does not exist; return its version."""
        if not self.exists():
            DeltaTable.create(str(self.path), schema=self.schema, mode="ignore")
        return self.latest_version()

    def latest_version(self) -> int:
        return self.head().version()

    def head(self) -> DeltaTable:
        """The table at its newest version: one handle per object, brought up to date
        incrementally (it reads only the commits since; opening a table again reads its
        whole log, a request per commit on object storage)."""
        if self._head is None:
            self._head = DeltaTable(str(self.path))
        else:
            try:
                self._head.update_incremental()
            except DeltaError:
                self._head = None  # opened again, or the error again, by the caller
                raise
        return self._head

    def restore(self, version: int) -> bool:
        """Make ``version`` current again (undo commits an interrupted operation made);
        returns whether anything changed.

        Commits after ``version`` that cannot even be read are deleted (no store version
        uses them). A table whose ``version`` itself is unreadable is left for
        ``verify``/``repair``.
        """
        try:
            dt = self.head()
        except DeltaError:
            try:
                DeltaTable(str(self.path), version=version)
            except DeltaError:
                return False  # damaged within the logged history
            for commit in (self.path / "_delta_log").glob("*.json"):
                if commit.stem.isdigit() and int(commit.stem) > version:
                    commit.unlink()
            return True
        if dt.version() != version:
            dt.restore(version)
            dt.update_incremental()
            return True
        return False

    # -- reading -----------------------------------------------------------------------

    def delta(self, version: int) -> DeltaTable:
        dt, cached = self._snapshots.get(version) or (None, None)
        if dt is None:
            dt = DeltaTable(str(self.path), version=version)
            self._snapshots[version] = (dt, cached)
        return dt

    def dataset(self, version: int, schema: pa.Schema | None = None) -> ds.Dataset:
        """A pyarrow dataset over the files of one version (cached), in ``schema``."""
        dt, cached = self._snapshots.get(version) or (None, None)
        schema = schema or self.schema
        if cached is None or cached.schema != schema:
            # deltalake gives the files as percent-encoded URIs: a store under a path with
            # a space (or ``<``, ``#``, non-ASCII) is read through their decoded form
            if is_object_path(self.path):  # from the file list: no snapshot opened
                fs, base = arrow_filesystem(self.path)
                # sizes from the log: no request per file to learn them
                fragments = [
                    _FORMAT.make_fragment(
                        f"{base}/{unquote(f['path'])}", filesystem=fs, file_size=f["size"]
                    )
                    for f in self.files(version)
                ]
                cached = ds.FileSystemDataset(fragments, schema, _FORMAT, fs)
            else:
                dt = dt or self.delta(version)
                files = [unquote(u) for u in dt.file_uris()]
                cached = ds.dataset(files, schema=schema, format=_FORMAT)
            self._snapshots[version] = (dt, cached)
        return cached

    def read(
        self,
        version: int,
        filter: pc.Expression | None = None,
        columns: list[str] | None = None,
        schema: pa.Schema | None = None,
    ) -> pa.Table:
        schema = schema or self.schema
        t = self.dataset(version, schema).to_table(filter=filter, columns=columns)
        if columns is None:
            t = t.cast(schema)
        return t

    def lookup(self, version: int, key: int) -> pa.Table:
        """Rows whose key equals ``key`` (page checksums verified).

        Footers are parsed once per version. A large file is read only in the row groups whose
        statistics admit the key; a small file (up to :data:`SMALL_FILE` rows, such as the
        cross-module edges or a compacted methods table) is read whole once per version and
        sliced by binary search on its sorted key.
        """
        index = self._row_groups.get(version)
        if index is None:
            index = [self._lookup_index(f) for f in self.files(version)]
            self._row_groups = {version: index}  # keep one version's open files
        parts = []
        for kind, source, meta in index:
            if kind == "small":
                lo = int(np.searchsorted(meta, key, side="left"))
                hi = int(np.searchsorted(meta, key, side="right"))
                if hi > lo:
                    parts.append(source.slice(lo, hi - lo))
                continue
            wanted = [i for i, lo, hi in meta if lo is None or lo <= key <= hi]
            if wanted:
                t = source.read_row_groups(wanted)
                parts.append(t.filter(pc.equal(t[self.key], key)))
        if not parts:
            return self.schema.empty_table()
        return pa.concat_tables(parts).cast(self.schema)

    def _lookup_index(self, f: dict) -> tuple:
        if f["rows"] is not None and f["rows"] <= SMALL_FILE:
            t = self.read_file(f["path"])  # written sorted by key
            return ("small", t, t[self.key].to_numpy())
        pf = pq.ParquetFile(_readable(self.path / f["path"]), page_checksum_verification=True)
        pos = pf.schema_arrow.get_field_index(self.key)
        groups = []
        for i in range(pf.metadata.num_row_groups):
            st = pf.metadata.row_group(i).column(pos).statistics
            groups.append((i, st.min, st.max) if st and st.has_min_max else (i, None, None))
        return ("groups", pf, groups)

    def read_file(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """One data file's rows (page checksums verified), in this table's schema."""
        fs, path = arrow_filesystem(self.path / name)
        t = pq.read_table(path, columns=columns, page_checksum_verification=True, filesystem=fs)
        return t if columns is not None else t.cast(self.schema)

    def files(self, version: int) -> list[dict]:
        """The data files of a version: path, size, rows and key range (a version never
        changes, so the list is read from the Delta log once)."""
        cached = self._files.get(version)
        if cached is None:
            head = self._head
            # the newest version's list from the handle kept up to date (opening a snapshot
            # reads the log again: a request per commit on object storage)
            source = head if head is not None and head.version() == version else None
            actions = pa.table((source or self.delta(version)).get_add_actions(flatten=True))
            key = self.key
            cached = self._files[version] = [
                {
                    "path": r["path"],
                    "size": r["size_bytes"],
                    "rows": r["num_records"],
                    "min": r.get(f"min.{key}") if key else None,
                    "max": r.get(f"max.{key}") if key else None,
                }
                for r in actions.to_pylist()
            ]
        return [dict(f) for f in cached]

    # -- writing -------------------------------------------------------------------------

    @staticmethod
    def group_of(path: str) -> str:
        """The file group a data file belongs to (the word before the first ``-``)."""
        return path.split("-", 1)[0]

    def write_file(
        self,
        table: pa.Table,
        prefix: str = PART,
        into: Path | None = None,
        row_group: int | None = None,
    ) -> AddAction:
        """Write one sorted Parquet file (not yet committed) into the table's folder, or into
        ``into`` (a staging folder: moved into the table's folder when committed); return its
        add action."""
        table = table.cast(self.schema).sort_by([(self.key, "ascending")])
        name = f"{prefix}-{uuid.uuid4().hex}.zstd.parquet"
        if into is not None:
            into.mkdir(parents=True, exist_ok=True)
        path = (into or self.path) / name
        options = dict(
            compression="zstd",
            compression_level=3,
            row_group_size=row_group or self.row_group,
            write_page_checksum=True,
            use_dictionary=self._dictionary_columns,
            column_encoding=self._delta_columns,
        )
        if is_object_path(path):  # one put of the whole file: an object appears whole
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, **options)
            data = sink.getvalue().to_pybytes()
            path.write_bytes(data)
            digest, size = hashlib.sha256(data).hexdigest(), len(data)
        else:
            with open(path, "wb") as fh:
                pq.write_table(table, fh, **options)
                fh.flush()
                os.fsync(fh.fileno())
            digest, size = _sha256(path), os.path.getsize(path)
        modules = pc.unique(table["module"]).to_pylist() if self.key == "module" else None
        self._write_sidecar(name, digest, modules)
        stats: dict = {
            "numRecords": table.num_rows,
            "minValues": {},
            "maxValues": {},
            "nullCount": {},
        }
        if table.num_rows:
            k = self.key
            mm = pc.min_max(table[k]).as_py()
            stats["minValues"][k] = mm["min"]
            stats["maxValues"][k] = mm["max"]
            stats["nullCount"][k] = table[k].null_count
        return AddAction(name, size, {}, int(time.time() * 1000), True, json.dumps(stats))

    # Whole-file SHA-256 digests live outside the table directory (Delta's vacuum removes
    # every file its log does not know) and catch what page checksums cannot: damage to page
    # headers and to the footer.

    def _digest_path(self, name: str) -> Path:
        return self.root / "_workbench" / "files" / self.name / f"{name}.json"

    def _write_sidecar(self, name: str, digest: str, modules: list[int] | None) -> None:
        p = self._digest_path(name)
        p.parent.mkdir(parents=True, exist_ok=True)
        data = {"sha256": digest, "modules": modules}
        p.write_text(json.dumps(data))
        if is_object_path(p):  # as _sidecar would read it back
            self._sidecars[name] = data
        else:
            self._sidecars.pop(name, None)

    def know_sidecar(self, name: str, digest: str, modules: Sequence[int] | None) -> None:
        """Take a sidecar another process wrote (a staged file's, as the stager reported it)
        as read, sparing a request on object storage; local sidecars are always read."""
        if is_object_path(self.root) and digest:
            self._sidecars[name] = {"sha256": digest, "modules": modules}

    def _sidecar(self, name: str) -> dict | None:
        side = self._sidecars.get(name)
        if side is not None:
            return side
        p = self._digest_path(name)
        try:
            side = json.loads(p.read_text())
        except (OSError, ValueError):
            return None
        if is_object_path(p) and isinstance(side, dict):
            # a request each on object storage: kept (a data file's name is never reused,
            # and repair rewrites a sidecar only through this object's _write_sidecar)
            self._sidecars[name] = side
        return side

    def expected_digest(self, name: str) -> str | None:
        side = self._sidecar(name)
        return side.get("sha256") if side else None

    def recorded_modules(self, name: str) -> list[int] | None:
        """Module keys a data file holds as its sidecar records them (None without one);
        never read from the file itself, which may be damaged."""
        side = self._sidecar(name)
        return side.get("modules") if side else None

    def modules_in(self, name: str) -> set[int]:
        """Module keys a data file holds: from its sidecar, else from its module column."""
        side = self._sidecar(name)
        if side and side.get("modules") is not None:
            return set(side["modules"])
        col = self.read_file(name, columns=["module"])["module"]
        return set(pc.unique(col).to_pylist())

    def commit(
        self,
        adds: list[AddAction],
        removes: list[str] = (),
        *,
        schema: pa.Schema | None = None,
        overwrite: bool = False,
    ) -> int:
        """One Delta commit adding and removing whole files; returns the new version."""
        dt = self.head()
        if not adds and not removes and schema is None:
            return dt.version()
        now = int(time.time() * 1000)
        actions = list(adds)
        if not overwrite:  # an overwrite commit removes every current file itself
            actions += [
                RemoveAction(path=p, data_change=True, deletion_timestamp=now) for p in removes
            ]
        dt.create_write_transaction(
            actions, mode="overwrite" if overwrite else "append", schema=schema or self.schema
        )
        dt.update_incremental()
        return dt.version()


def _readable(path: Path | ObjectPath):
    """What pyarrow opens to read ``path``: the path itself on a local disk, an open file on
    object storage."""
    return open_input(path) if is_object_path(path) else path


def _sha256(path: Path | ObjectPath) -> str:
    h = hashlib.sha256()
    with open_input(path) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
