"""The public write path of a store: one :class:`Transaction` per write operation.

Every writer of the code base (ingest, generation, linking, repair, migrations, compaction,
access counting, and the analysis layers to come) changes the store through a transaction
obtained from :meth:`workbench.store.Store.transaction`:

* it holds the store's write lock from start to end, so writers never interleave;
* before it starts, whatever an interrupted operation left behind is undone;
* its reads see the store as of the newest store version plus its own changes;
* what it changes becomes visible as **one** new store version when the ``with`` block ends
  normally, and not at all when it raises (or the process dies).

Data is changed in whole files: rows of a set of modules are replaced
(:meth:`Transaction.replace_modules`), rows appended (:meth:`Transaction.append`), a file
group replaced (:meth:`Transaction.replace_group`), given files replaced
(:meth:`Transaction.replace_files`) or a table rewritten (:meth:`Transaction.rewrite`).
Files may be written beforehand by other processes (:meth:`workbench.store.Store.stage`)
and committed here. Tables must be declared in
:mod:`workbench.cpg.schema`; migrations create and drop them.

Examples
--------
>>> import tempfile
>>> import pyarrow as pa
>>> from workbench.store import Store
>>> store = Store.create(tempfile.mkdtemp() + "/s")
>>> rows = pa.Table.from_pylist(
...     [{"module": 7, "path": "a.py", "name": "a", "language": "python",
...       "content_hash": "00", "size_bytes": 0, "lines": 0, "parse_status": "ok"}],
...     schema=store.schema("modules"))
>>> with store.transaction("example") as tx:
...     tx.replace_modules("modules", {7}, rows)
...     tx.details["why"] = "a doctest"
>>> store.version, store.modules().path.tolist()
(1, ['a.py'])
>>> with store.transaction("nothing") as tx:    # no change: no new version
...     n = tx.read("modules").num_rows
>>> store.version, n
(1, 1)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from workbench.cpg.schema import TABLES, tables_for
from workbench.errors import NotFoundError, StoreError
from workbench.store.objects import PARALLEL, delete_objects, is_object_path
from workbench.store.table import GROUP_ROW_GROUP, PART, StoreTable

if TYPE_CHECKING:
    from workbench.store.log import LogEntry
    from workbench.store.store import Store

__all__ = ["StagedFile", "Transaction"]

_GROUP = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class StagedFile:
    """A data file written into a table's directory but not committed yet.

    Plain data, so it crosses process boundaries: a worker process stages files with
    :meth:`workbench.store.Store.stage` and the committing process passes them to
    :meth:`Transaction.replace_modules` or :meth:`Transaction.append`. A staged file that is
    never committed is invisible to readers.
    """

    table: str
    path: str
    size: int
    modification_time: int
    stats: str
    session: str
    #: Keys of the modules whose rows the file holds (empty for tables not keyed by module).
    modules: tuple[int, ...] = ()
    #: The file's SHA-256 as its sidecar records it, when the stager knows it without a read
    #: (object storage); empty otherwise.
    sha256: str = ""

    def add_action(self):
        from deltalake.transaction import AddAction

        return AddAction(self.path, self.size, {}, self.modification_time, True, self.stats)


class Transaction:
    """One write operation: table changes, schema version and flags, committed together.

    Do not create one yourself: use ``with store.transaction("operation") as tx:``.

    Attributes
    ----------
    operation : str
        The operation's name, recorded in the store history.
    details : dict
        JSON-serialisable facts recorded with the new store version (``store.history()``).
    """

    def __init__(self, store: Store, base: LogEntry, operation: str) -> None:
        self._store = store
        self._base = base
        self.operation = operation
        self._tables = dict(base.tables)
        self._dirs = {n: base.dir(n) for n in base.tables}
        self._schema_version = base.schema_version
        self._flags = dict(base.flags)
        self._schemas: dict[str, StoreTable] = {}  # tables created or re-schemed here
        self.details: dict = {}
        self._changed = False

    def __repr__(self) -> str:
        return (
            f"<Transaction {self.operation!r} on {self._store.root} (from version "
            f"{self._base.version}{', changed' if self._changed else ''})>"
        )

    # -- what the transaction sees ------------------------------------------------------

    @property
    def store_root(self):
        """The store's folder."""
        return self._store.root

    @property
    def base_version(self) -> int:
        """The store version this transaction started from."""
        return self._base.version

    @property
    def schema_version(self) -> int:
        """The schema version the store will have (changed by migrations)."""
        return self._schema_version

    @property
    def flags(self) -> Mapping[str, bool]:
        """The flags the store will have (read-only view; see :meth:`set_flag`)."""
        return MappingProxyType(self._flags)

    @property
    def tables(self) -> Mapping[str, int]:
        """Table name -> Delta version the new store version will reference."""
        return MappingProxyType(self._tables)

    @property
    def dirs(self) -> Mapping[str, str]:
        """Table name -> its directory (relative to the store root)."""
        return MappingProxyType(self._dirs)

    @property
    def changed(self) -> bool:
        """Whether ending the transaction writes a new store version."""
        return self._changed

    def record(self) -> None:
        """Write a store version when the transaction ends even if no table changed: for an
        operation the history must show (a vacuum that deleted files)."""
        self._changed = True

    def adopt_version(self, name: str, version: int) -> None:
        """Reference ``version`` of a table whose Delta log moved on by an operation of
        Delta's own that changed no data (a vacuum's commits). Otherwise the next writer
        would take those commits for an interrupted operation's and undo them."""
        if version != self._tables[name]:
            self._tables[name] = version
            self._changed = True

    def has_table(self, name: str) -> bool:
        return name in self._tables

    def schema(self, name: str) -> pa.Schema:
        """The schema of a table as this transaction sees it."""
        if name in self._schemas:
            return self._schemas[name].schema
        try:
            return tables_for(self._schema_version)[name]
        except KeyError:
            raise NotFoundError(f"no table {name!r} in schema v{self._schema_version}") from None

    def read(
        self, name: str, filter: pc.Expression | None = None, columns: list[str] | None = None
    ) -> pa.Table:
        """Rows of a table as this transaction sees them (page checksums verified)."""
        return self._table(name).read(
            self._version(name), filter=filter, columns=columns, schema=self.schema(name)
        )

    def scan(
        self, name: str, columns: list[str], where: str, params: Mapping | None = None
    ) -> pa.Table:
        """Selected columns of the rows matching a SQL condition (DuckDB, multi-threaded, the
        filter pushed into the Parquet scan): for large tables where few rows match.

        ``where`` is SQL over the table's columns; values go in ``params`` (``$name``). The
        files are verified before DuckDB reads them (see :mod:`workbench.store.sql`).

        Raises
        ------
        CorruptionError
            A data file of the table is damaged (the message names it and its modules).
        """
        from workbench.store import sql

        return sql.scan(
            self._store.root,
            self._table(name),
            self._version(name),
            columns,
            where,
            params,
            schema=self.schema(name),
        )

    def files(self, name: str) -> list[dict]:
        """The data files of a table as this transaction sees them: ``path`` (relative to
        the table directory), ``size``, ``rows``, ``min`` and ``max`` of the key."""
        return self._table(name).files(self._version(name))

    def read_group(self, name: str, group: str) -> pa.Table:
        """The rows of one file group (see :meth:`replace_group`)."""
        t = self._table(name)
        group = _check_group(group)
        return self.read_files(
            name, [f["path"] for f in self.files(name) if t.group_of(f["path"]) == group]
        )

    def read_files(self, name: str, paths: Sequence[str]) -> pa.Table:
        """The rows of some data files of a table (paths as :meth:`files` gives them)."""
        t = self._table(name)
        parts = [t.read_file(p) for p in paths]
        return pa.concat_tables(parts) if parts else t.schema.empty_table()

    # -- changing data ------------------------------------------------------------------

    def replace_modules(
        self,
        name: str,
        keys: Iterable[int],
        rows: pa.Table | None = None,
        staged: Sequence[StagedFile] = (),
        *,
        only: Iterable[int] | None = None,
    ) -> None:
        """Remove the rows of modules ``keys`` and add ``rows`` and ``staged`` files.

        Only the files holding those modules are rewritten; file groups are left alone.
        ``rows`` are cast to the table's schema (a clear error if they do not fit). With
        ``only``, rows of other modules are dropped from the staged files (a committer that
        found some of its results outdated commits the rest).
        """
        keys = set(keys)
        t = self._table(name)
        version = self._version(name)
        key_arr = pa.array(sorted(keys), pa.int64())
        affected, kept = [], []
        lo, hi = (min(keys), max(keys)) if keys else (None, None)
        for f in t.files(version):
            if t.group_of(f["path"]) != PART:
                continue  # a file group: replaced as a whole, never per module
            if not keys or f["min"] is None or f["max"] < lo or f["min"] > hi:
                continue
            if not keys.isdisjoint(t.modules_in(f["path"])):
                affected.append(f["path"])
                part = t.read_file(f["path"])
                kept.append(part.filter(pc.invert(pc.is_in(part["module"], key_arr))))
        if only is not None:
            staged, partial = self._select(name, staged, set(only))
            kept += partial
        parts = [*kept, self._cast(name, rows)] if rows is not None else kept
        parts = [p for p in parts if p is not None and p.num_rows]
        if not affected and not parts and not staged:
            return
        written = [t.write_file(pa.concat_tables(parts))] if parts else []
        self._commit(name, [*written, *self._adds(name, staged)], affected)

    def append(self, name: str, rows: pa.Table | None = None, staged: Sequence = ()) -> None:
        """Add rows (and staged files) to a table, removing nothing."""
        t = self._table(name)
        adds = self._adds(name, staged)
        if rows is not None and rows.num_rows:
            adds.insert(0, t.write_file(self._cast(name, rows)))
        if adds:
            self._commit(name, adds, [])

    def replace_group(self, name: str, group: str, rows: pa.Table | None) -> None:
        """Replace every row of a file group by ``rows``.

        A file group holds rows no single module owns, such as the cross-module call edges
        derived from all modules (group ``link`` of ``cpg_edges``): they are replaced as a
        whole, and :meth:`replace_modules` leaves them alone.
        """
        t = self._table(name)
        group = _check_group(group)
        old = [f["path"] for f in self.files(name) if t.group_of(f["path"]) == group]
        adds = (
            [t.write_file(self._cast(name, rows), prefix=group, row_group=GROUP_ROW_GROUP)]
            if rows is not None and (rows.num_rows)
            else []
        )
        if adds or old:
            self._commit(name, adds, old)

    def replace_files(
        self,
        name: str,
        paths: Sequence[str],
        rows: pa.Table | None = None,
        *,
        rows_per_file: int | None = None,
    ) -> list[str]:
        """Remove whole data files (paths as :meth:`files` gives them) and add ``rows``,
        sorted by key in files of at most ``rows_per_file`` rows, in one commit; returns the
        new files' paths. Repair removes damaged files with it, compaction merges files."""
        adds = self._write(self._table(name), self._cast(name, rows), rows_per_file)
        if adds or paths:
            self._commit(name, adds, list(paths))
        return [a.path for a in adds]

    def rewrite(self, name: str, rows: pa.Table, *, schema: pa.Schema | None = None) -> None:
        """Replace every file of a table (file groups included) by ``rows``; with ``schema``,
        the table's schema changes too (a migration step)."""
        if schema is None:
            self.replace_files(name, [f["path"] for f in self.files(name)], rows)
            return
        old = [f["path"] for f in self.files(name)]
        t = StoreTable(self._store.root, schema, directory=self._dirs[name])
        adds = self._write(t, rows.select(schema.names).cast(schema), None)
        self._tables[name] = t.commit(adds, old, schema=schema, overwrite=True)
        self._schemas[name] = t
        self._changed = True

    # -- tables, schema version, flags ----------------------------------------------------

    def create_table(self, name: str, schema: pa.Schema | None = None) -> None:
        """Create a table declared in :mod:`workbench.cpg.schema` (empty; a migration step).

        When the transaction ends, every table must belong to the store's schema version
        (see :meth:`set_schema_version`).
        """
        schema = schema or TABLES.get(name)
        if schema is None:
            raise NotFoundError(f"table {name!r} is not declared in workbench.cpg.schema")
        root = self._store.root
        # a dropped table keeps its folder for older versions (until vacuumed), and a folder
        # name an older version used is never reused: time travel must not read a newer table
        used = self._store._log.referenced_dirs() | set(self._dirs.values())
        directory, n = name, 1
        while directory in used or (root / directory).exists():
            n += 1
            directory = f"{name}.{n}"
        t = StoreTable(root, schema, directory=directory)
        self._tables[name] = t.create()
        self._dirs[name] = directory
        self._schemas[name] = t
        self._changed = True

    def drop_table(self, name: str) -> None:
        """Remove a table from the store version being written. Earlier versions still read
        it (time travel) until ``vacuum`` removes what no version within retention needs."""
        if self._tables.pop(name, None) is not None:
            self._dirs.pop(name, None)
            self._schemas.pop(name, None)
            self._changed = True

    def set_schema_version(self, version: int) -> None:
        """Set the store's schema version (a migration step)."""
        tables_for(version)  # unknown versions raise
        if version != self._schema_version:
            self._schema_version = version
            self._changed = True

    def set_flag(self, name: str, value: bool) -> None:
        """Set a feature flag of the store."""
        from workbench.store.store import FLAGS

        if name not in FLAGS:
            raise NotFoundError(f"no flag {name!r}; flags: {', '.join(FLAGS)}")
        if not isinstance(value, bool):  # "no" and 0 mean different things to different eyes
            raise TypeError(f"flag {name!r} is True or False, not {value!r}")
        if self._flags.get(name) != value:
            self._flags[name] = value
            self._changed = True

    # -- internals ------------------------------------------------------------------------

    def _version(self, name: str) -> int:
        try:
            return self._tables[name]
        except KeyError:
            raise NotFoundError(
                f"no table {name!r} in store {self._store.root} (schema v{self._schema_version})"
            ) from None

    def _table(self, name: str) -> StoreTable:
        self._version(name)
        if name in self._schemas:
            return self._schemas[name]
        return self._store._table(name, self._schema_version, self._dirs[name])

    def _check(self) -> None:
        """Before the commit: every table belongs to the schema version."""
        declared = tables_for(self._schema_version)
        strays = sorted(set(self._tables) - set(declared))
        if strays:
            raise StoreError(
                self._store.root,
                f"{self.operation}: tables {', '.join(strays)} are not part of schema "
                f"v{self._schema_version}; nothing was changed",
            )

    def _cast(self, name: str, rows: pa.Table | None) -> pa.Table | None:
        if rows is None:
            return None
        schema = self.schema(name)
        try:
            return rows.select(schema.names).cast(schema)
        except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as e:
            raise StoreError(
                self._store.root, f"rows do not fit table {name!r}: {e}; nothing written"
            ) from None

    @staticmethod
    def _write(t: StoreTable, rows: pa.Table | None, rows_per_file: int | None) -> list:
        if rows is None or not rows.num_rows:
            return []
        rows = rows.sort_by([(t.key, "ascending")])
        step = rows_per_file or rows.num_rows
        return [t.write_file(rows.slice(i, step)) for i in range(0, rows.num_rows, step)]

    def _select(
        self, name: str, staged: Sequence[StagedFile], only: set[int]
    ) -> tuple[list[StagedFile], list[pa.Table]]:
        """Staged files wholly of modules ``only``, and the rows of ``only`` from the others
        (those files are deleted)."""
        from workbench.store.staging import session_dir

        whole, partial = [], []
        for f in staged:
            if set(f.modules) <= only:
                whole.append(f)
                continue
            path = session_dir(self._store.root, f.session) / name / f.path
            if not only.isdisjoint(f.modules):
                rows = self._table(name).read_file(path)
                keep = pa.array(sorted(only), pa.int64())
                partial.append(rows.filter(pc.is_in(rows["module"], keep)))
            path.unlink(missing_ok=True)
        return whole, partial

    def _adds(self, name: str, staged: Sequence[StagedFile]) -> list:
        """Move staged files into the table's folder (they become part of this write)."""
        from workbench.store.staging import session_dir

        table = self._table(name)
        target = table.path
        for f in staged:
            if f.table != name:
                raise StoreError(
                    self._store.root, f"file {f.path} was staged for {f.table!r}, not {name!r}"
                )

        def source(f: StagedFile):
            return session_dir(self._store.root, f.session) / name / f.path

        def move(f: StagedFile) -> None:
            try:  # on object storage a copy: the sources go in one request afterwards
                (source(f).copy_to if remote else source(f).replace)(target / f.path)
            except FileNotFoundError:
                if not (target / f.path).exists():  # moved by an earlier, failed attempt
                    raise StoreError(
                        self._store.root,
                        f"staged file {f.path} of {name} is gone (its session ended before "
                        "the commit); nothing was changed",
                    ) from None

        remote = is_object_path(target)
        if remote:  # a request each: PARALLEL at once
            with ThreadPoolExecutor(PARALLEL) as pool:
                list(pool.map(move, staged))
            delete_objects([source(f) for f in staged])
        else:
            for f in staged:
                move(f)
        for f in staged:
            modules = sorted(f.modules) if table.key == "module" else None
            table.know_sidecar(f.path, f.sha256, modules)
        return [f.add_action() for f in staged]

    def _commit(self, name: str, adds: list, removes: list[str]) -> None:
        self._tables[name] = self._table(name).commit(adds, removes)
        self._changed = True


def _check_group(group: str) -> str:
    if not _GROUP.fullmatch(group) or group == PART:
        raise ValueError(f"bad file group name {group!r} (lowercase letters, not {PART!r})")
    return group
