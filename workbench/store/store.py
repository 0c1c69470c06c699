"""The versioned store: the AST repository (v1) and, behind the ``cpg`` flag, the CPG (v2).

The store is storage only: it knows tables, files, versions and flags, never how source is
parsed or graphs are built. Every write goes through :meth:`Store.transaction` (see
:mod:`workbench.store.transaction`): it takes the store's write lock, first undoes whatever an
interrupted operation left in the tables (see :mod:`workbench.store.log`), commits whole files
to the Delta tables it changes, and ends by appending one store-log entry. Readers see the
tables exactly at the versions of one log entry, so they never see half of an operation.
``ingest``, ``generate`` and ``write_cpg`` are provided by :mod:`workbench.pipeline`.

Examples
--------
>>> import pathlib, tempfile
>>> src = pathlib.Path(tempfile.mkdtemp())
>>> _ = (src / "calc.py").write_text("def add(a, b):\\n    return a + b\\n")
>>> store = Store.create(pathlib.Path(tempfile.mkdtemp()) / "store")
>>> report = store.ingest(src)
>>> report.added, store.schema_version, store.flags["cpg"]
(['calc.py'], 1, False)
>>> [(f.qualname, list(f.parameters)) for f in store.functions().itertuples()]
[('add', ['a', 'b'])]
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import shutil
import signal
import time
import uuid
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake.exceptions import DeltaError

from workbench import telemetry
from workbench.cpg.graph import CPG, ModuleInfo
from workbench.cpg.schema import (
    ACCESS_STATS,
    CPG_TABLES,
    SCHEMA_VERSION,
    TABLES,
    TELEMETRY,
    CpgStatus,
    tables_for,
)
from workbench.errors import (
    CorruptionError,
    FeatureDisabledError,
    NotFoundError,
    SchemaVersionError,
    StoreBusyError,
    StoreChangedError,
    StoreError,
    StoreExistsError,
    StoreNotFoundError,
    WorkbenchError,
)
from workbench.store.log import META_DIR, LogEntry, StoreLog, write_lock
from workbench.store.objects import (
    StoreRoot,
    is_object_path,
    rmtree,
    store_root,
    write_atomically,
)
from workbench.store.recovery import recover
from workbench.store.staging import Session, session_dir
from workbench.store.table import StoreTable
from workbench.store.transaction import StagedFile, Transaction

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FLAGS", "Store", "crashpoint", "open_store", "provide"]

#: Feature flags and their defaults. Each can be overridden per process by an environment
#: variable ``WORKBENCH_FLAG_<NAME>`` (1/0, true/false, on/off).
FLAGS: dict[str, bool] = {"cpg": False}

_LOG = logging.getLogger("workbench.queries")

LEGACY_TABLES = ("modules", "functions")
#: Reads counted in memory before they are persisted (without waiting; see
#: :meth:`Store.flush_reads`).
AUTO_FLUSH_READS = 1000
#: Where counts wait that a process could not persist (under ``_workbench``).
READS_DIR = "reads"
#: Where telemetry events wait for the next write (under ``_workbench``).
TELEMETRY_DIR = "telemetry"
#: Writable Store objects alive in this process, by root (see :func:`_release`).
_OPEN: Counter[str] = Counter()
#: Events a process gathers for a store before one of its writes carries them (fewer, larger
#: files in the ``telemetry`` table; closing the store spools the rest).
TELEMETRY_BATCH = 1000

#: Operations on a store that layers above it provide (``ingest``, ``generate``,
#: ``write_cpg``, ``call_graph``): the store calls them without importing those layers.
_PROVIDED: dict[str, Callable[..., Any]] = {}


def provide(name: str, function: Callable[..., Any]) -> None:
    """Register the implementation of the store method ``name`` (a layer above the store
    does this on import: :mod:`workbench.pipeline` provides ``ingest``, ``generate`` and
    ``write_cpg``)."""
    _PROVIDED[name] = function


def _provided(name: str) -> Callable[..., Any]:
    try:
        return _PROVIDED[name]
    except KeyError:
        raise NotImplementedError(
            f"Store.{name} is provided by workbench.pipeline: import workbench first"
        ) from None


def crashpoint(name: str) -> None:
    """Die like ``kill -9`` here when ``WORKBENCH_CRASHPOINT`` names this point (for tests of
    interrupted operations; a no-op otherwise)."""
    if os.environ.get("WORKBENCH_CRASHPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


class Store:
    """A store directory. Open one with :func:`open_store` or :meth:`Store.create`.

    Reading methods read the store version this object was opened at (or refreshed to:
    :meth:`refresh`); every write goes through :meth:`transaction`.
    """

    def __init__(self, root: Path, entry: LogEntry, *, read_only: bool = False) -> None:
        self.root = root
        #: [whether this store version has a telemetry table]: events left in memory when
        #: the object goes are spooled for the next write only then (see :meth:`close`)
        self._spools_telemetry = [False]
        self.read_only = read_only
        self._entry = entry
        self._log = StoreLog(root)
        self._tables: dict[tuple[str, int], StoreTable] = {}
        self._module_index: tuple[int, dict] | None = None
        self._reads: Counter[int] = Counter()
        self._session: Session | None = None
        if not read_only:  # counts still in memory at exit or garbage collection are kept
            weakref.finalize(self, _spool_counter, root, self._reads, os.getpid())
            _OPEN[str(root)] += 1
            weakref.finalize(self, _release, root, os.getpid(), self._spools_telemetry)

    @property
    def _entry(self) -> LogEntry:
        return self.__entry

    @_entry.setter
    def _entry(self, entry: LogEntry) -> None:
        self.__entry = entry
        self._spools_telemetry[0] = not self.read_only and "telemetry" in entry.tables

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Persist the read counts gathered so far, without waiting: into ``access_stats``
        (see :meth:`flush_reads`) unless another process is writing, else into a file under
        ``_workbench/reads/`` that a later flush adds. A store that is never closed leaves
        its counts there when it is garbage-collected or the interpreter exits. Telemetry
        events not yet persisted wait in ``_workbench/telemetry/`` for the next write (or
        :meth:`flush_telemetry`), so closing never adds a store version for them. Ends this
        object's staging session (files staged and never committed are deleted)."""
        if self._reads and not self._persist_reads():
            self._spool_reads()
        if not self.read_only and "telemetry" in self._entry.tables:
            _spool_telemetry(self.root)  # the next write commits them
        if self._session is not None:
            self._session.close()
            self._session = None

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike) -> Store:
        """Create an empty store (schema v1, every flag at its default)."""
        root = _root(path)
        try:
            occupied = root.exists() and (not root.is_dir() or any(root.iterdir()))
        except OSError as e:  # object storage: no such bucket, unreachable, no credentials
            raise StoreError(root, f"cannot read here: {e.strerror or e}") from None
        if occupied:
            if not _interrupted_create(root):
                raise StoreExistsError(root, "exists and is not an empty directory")
            for name in tables_for(1):  # a create killed before its first log entry
                rmtree(root / name, ignore_errors=True)
        try:
            root.mkdir(parents=True, exist_ok=True)
            with write_lock(root):
                versions = {
                    name: StoreTable(root, schema).create()
                    for name, schema in tables_for(1).items()
                }
                crashpoint("create.before_log")
                entry = StoreLog(root).append(
                    None,
                    operation="create",
                    tables=versions,
                    schema_version=1,
                    flags=dict(FLAGS),
                )
        except OSError as e:  # permissions, a file where a directory should be, ...
            raise StoreError(root, f"cannot write here: {e.strerror or e}") from None
        except DeltaError as e:  # object storage: no such bucket, no credentials, ...
            raise StoreError(root, f"cannot write here: {e}") from None
        return cls(root, entry)

    def __repr__(self) -> str:
        return (
            f"<Store {self.root}: version {self.version}, schema v{self.schema_version}, "
            f"cpg {'on' if self.flags['cpg'] else 'off'}>"
        )

    @property
    def version(self) -> int:
        """The store version this object reads (a store-log entry)."""
        return self._entry.version

    @property
    def schema_version(self) -> int:
        return self._entry.schema_version

    @property
    def flags(self) -> dict[str, bool]:
        """Effective flags: the store's, overridden by ``WORKBENCH_FLAG_<NAME>``."""
        out = {**FLAGS, **self._entry.flags}
        for name in out:
            env = os.environ.get(f"WORKBENCH_FLAG_{name.upper()}")
            if env is not None:
                out[name] = env.strip().lower() in ("1", "true", "on", "yes")
        return out

    @property
    def tables(self) -> dict[str, int]:
        """Table name -> Delta version, as of this store version."""
        return dict(self._entry.tables)

    def refresh(self) -> Store:
        """Follow the newest store version (another process may have written)."""
        latest = self._log.latest()
        if latest is not None and latest.version != self._entry.version:
            self._entry = latest
            self._module_index = None
        return self

    def at(self, version: int) -> Store:
        """A read-only view of an earlier store version (time travel).

        Raises
        ------
        NotFoundError
            The store never had that version.
        StoreChangedError
            Files of that version were removed by ``vacuum`` (it is older than the retention
            period): it can no longer be read.
        """
        if version not in self._log.versions():
            raise NotFoundError(f"store {self.root} has no version {version}")
        view = Store(self.root, self._log.read(version), read_only=True)
        for name in view.tables:
            t, v = view._current(name)
            try:
                gone = [f for f in t.files(v) if not (t.path / f["path"]).exists()]
            except (OSError, DeltaError):
                gone = [name]
            if gone:
                raise StoreChangedError(
                    self.root,
                    f"store version {version} can no longer be read: files of its table "
                    f"{name!r} were removed by `workbench vacuum`",
                )
        return view

    def history(self) -> pd.DataFrame:
        """One row per store version: operation, time, schema version, flags, details."""
        import pandas as pd

        rows = []
        for v in self._log.versions():
            e = self._log.read(v)
            rows.append(
                {
                    "version": e.version,
                    "timestamp": e.timestamp,
                    "operation": e.operation,
                    "schema_version": e.schema_version,
                    "cpg": e.flags.get("cpg", False),
                    "details": json.dumps(e.details, sort_keys=True),
                }
            )
        return pd.DataFrame(rows)

    def last_source(self) -> Path | None:
        """The source root of the most recent ingest (repair and generation default to it)."""
        for v in reversed(self._log.versions()):
            entry = self._log.read(v)
            if entry.operation == "ingest" and entry.details.get("source"):
                return Path(entry.details["source"])
        return None

    # -- reading -----------------------------------------------------------------------

    def schema(self, name: str) -> pa.Schema:
        """A table's schema in this store's schema version."""
        try:
            return tables_for(self.schema_version)[name]
        except KeyError:
            raise NotFoundError(
                f"no table {name!r} in store schema v{self.schema_version}"
            ) from None

    def _table(self, name: str, schema_version: int, directory: str | None = None) -> StoreTable:
        key = (directory or name, schema_version)
        t = self._tables.get(key)
        if t is None:
            schema = tables_for(schema_version)[name]
            t = self._tables[key] = StoreTable(self.root, schema, directory=directory)
        return t

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn a read of files that another process removed (a vacuum after a rollback or
        after newer versions) into a clear "store changed" error."""
        try:
            yield
        except (FileNotFoundError, DeltaError) as e:
            try:
                latest = self._log.latest()
            except WorkbenchError:
                latest = None
            if latest is not None and latest.version != self.version:
                raise StoreChangedError(
                    self.root,
                    f"files of store version {self.version}, which this object reads, are gone "
                    f"(the store is at version {latest.version} now): call store.refresh()",
                ) from e
            raise CorruptionError(
                self.root,
                f"a file of the current version is missing or unreadable ({e}): "
                "run `workbench verify` and `workbench repair`",
            ) from e

    def _current(self, name: str) -> tuple[StoreTable, int]:
        """The table object and Delta version of a table of this store version."""
        e = self._entry
        return self._table(name, e.schema_version, e.dir(name)), e.tables[name]

    def files(self, name: str) -> list[dict]:
        """The data files of a table as of this store version: ``path`` (absolute), ``size``,
        ``rows`` and the key's ``min`` and ``max``."""
        if name not in self._entry.tables:
            raise NotFoundError(f"no table {name!r} in store schema v{self.schema_version}")
        t, version = self._current(name)
        with self._reading():
            return [{**f, "path": str(t.path / f["path"])} for f in t.files(version)]

    def read_table(
        self,
        name: str,
        filter: pc.Expression | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table:
        """A table as of this store version, in the schema of this schema version (only
        ``columns`` when given: the others are not read)."""
        if name not in self._entry.tables:
            if name in CPG_TABLES:
                self.require_cpg()
            raise NotFoundError(f"no table {name!r} in store schema v{self.schema_version}")
        t, version = self._current(name)
        with self._reading():
            self._verify(t, version)
            return t.read(version, filter=filter, columns=columns)

    def _verify(self, table: StoreTable, version: int) -> None:
        """Verify a table version's files (SHA-256, once per process, as SQL does) before
        pyarrow reads them: page checksums do not cover the footer, whose key statistics
        decide which row groups a filtered read or a lookup skips."""
        from workbench.store.sql import verified_paths

        verified_paths(self.root, table, version)

    def modules(self) -> pd.DataFrame:
        """The ``modules`` table as a DataFrame, sorted by path."""
        return self.read_table("modules").sort_by("path").to_pandas()

    def functions(self, module: str | None = None) -> pd.DataFrame:
        """The ``functions`` table (of one module: path or dotted name)."""
        flt = None
        if module is not None:
            key = self.module_key(module)
            flt = pc.field("module") == key
            self._note_reads([key])
        t = self.read_table("functions", flt)
        return t.sort_by([("module", "ascending"), ("line", "ascending")]).to_pandas()

    def module_key(self, module: str | int) -> int:
        """The key of a module given by path, dotted name or key."""
        index = self._modules_by_name()
        if isinstance(module, int) and module in index["by_key"]:
            return module
        key = index["by_name"].get(module if isinstance(module, str) else "")
        if key is None:
            raise NotFoundError(f"no module {module!r} in store {self.root}")
        return key

    def _modules_by_name(self) -> dict:
        if self._module_index is None or self._module_index[0] != self.version:
            t = self.read_table("modules")
            rows = t.to_pylist()
            by_name = {r["path"]: r["module"] for r in rows}
            by_name.update({r["name"]: r["module"] for r in rows})
            self._module_index = (
                self.version,
                {"by_name": by_name, "by_key": {r["module"]: r for r in rows}},
            )
        return self._module_index[1]

    def require_cpg(self) -> None:
        """Raise :class:`~workbench.errors.FeatureDisabledError` (saying what to run) unless
        CPG support is on and the CPG tables exist."""
        if not self.flags["cpg"]:
            raise FeatureDisabledError(
                self.root,
                "CPG support is off for this store: run `workbench migrate --store "
                f"{self.root}` (switches the `cpg` flag on and adds the CPG tables)",
            )
        if self.schema_version < 2:
            raise FeatureDisabledError(
                self.root,
                "the `cpg` flag is on but the store has no CPG tables yet (schema v1): run "
                f"`workbench migrate --store {self.root}`",
            )

    def cpg(self, module: str | int, method: str | int | None = None) -> CPG:
        """The CPG of one module (path, dotted name or key), or of one of its methods."""
        self.require_cpg()
        key = self.module_key(module)
        row = self._modules_by_name()["by_key"][key]
        if row.get("cpg_status") != CpgStatus.OK:
            raise NotFoundError(
                f"module {row['path']!r} has no CPG yet (status {row.get('cpg_status')}): "
                "run `workbench generate`"
            )
        info = ModuleInfo(
            key, row["path"], row["name"], row["content_hash"], row["size_bytes"], row["lines"]
        )
        with self._reading():
            parts = [self._current(n) for n in ("cpg_nodes", "cpg_edges", "cpg_methods")]
            for t, version in parts:
                self._verify(t, version)
            nodes, edges, methods = (t.lookup(version, key) for t, version in parts)
        cross = pc.is_valid(edges["dst_module"])
        if pc.any(cross).as_py():  # as built: the module's own edges, then cross-module ones
            edges = pa.concat_tables(
                [edges.filter(pc.invert(cross)), edges.filter(cross).sort_by("src")]
            )
        cpg = CPG(nodes, edges, methods, info)
        self._note_reads([key])
        return cpg.method(method) if method is not None else cpg

    def sql(
        self,
        query: str,
        params: Sequence | dict | None = None,
        *,
        relations: Mapping[str, pa.Table] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Run SQL (DuckDB) over the tables of this store version; parameters are bound.

        Every table of the schema version is a view of the same name. The query can read
        nothing else and write nothing: no ``COPY ... TO``, ``ATTACH``, other files,
        extensions or settings (see :mod:`workbench.store.sql`). The data files it reads are
        verified first (once per process). Modules in a ``module`` column of the result count
        as read (see :meth:`flush_reads`).

        Parameters
        ----------
        query
            DuckDB SQL; the result is the last statement's.
        params
            Values bound to ``?`` (a sequence) or ``$name`` (a mapping) placeholders.
        relations
            Arrow tables the query may read besides the store's, by name (the query layer
            passes metrics it computed).
        metadata
            Added to the ``query`` telemetry event (every query emits one; a query slower
            than ``workbench.telemetry.settings.slow_query_seconds`` is also logged with its
            plan).

        Raises
        ------
        CorruptionError
            A data file the query would read is damaged (the message names the table, the
            file and its modules).
        FeatureDisabledError
            The query names a CPG table and CPG support is off.
        QueryError
            DuckDB refused the query or failed (its message).

        Examples
        --------
        >>> import tempfile
        >>> s = Store.create(tempfile.mkdtemp() + "/s")
        >>> int(s.sql("SELECT count(*) AS n FROM modules WHERE language = ?", ["python"]).n[0])
        0
        """
        import duckdb  # noqa: F401  (first use: importing it is not the query's time)

        from workbench.store import sql

        tables = {name: self._current(name) for name in self._entry.tables}
        with telemetry.span("query", store=self.root, detail=query) as span:
            span.metadata.update(metadata or {"source": "sql"})
            df = sql.query(
                self.root,
                tables,
                query,
                params,
                missing_table=self._missing_table,
                relations=relations,
            )
            span.measurements["rows"] = len(df)
            if params:
                span.metadata["params"] = len(params)
        if telemetry.is_slow(span.seconds):
            self._log_slow(query, params, span.seconds, tables, relations)
        if "module" in df.columns and len(df):
            self._note_reads(int(k) for k in df["module"].dropna().unique())
        return df

    def _log_slow(self, query: str, params, seconds: float, tables, relations) -> None:
        """Log a slow query with its plan (DuckDB's ``EXPLAIN``) and emit a ``slow_query``
        event (see ``workbench.telemetry.slow_queries``)."""
        from workbench.store import sql

        try:
            plan = sql.query(self.root, tables, "EXPLAIN " + query, params, relations=relations)
            text = "\n".join(str(v) for v in plan.iloc[:, -1])
        except WorkbenchError as e:  # several statements, DDL...: no single plan
            text = f"(no plan: {str(e)[:200]})"
        _LOG.warning("slow query (%.3f s) on %s: %s\nplan:\n%s", seconds, self.root, query, text)
        telemetry.emit(
            "slow_query",
            seconds,
            store=self.root,
            detail=query,
            metadata={"plan": text, "threshold": telemetry.settings.slow_query_seconds},
        )

    def _missing_table(self, name: str) -> None:
        """A query named a table this store version lacks: a declared table of a later
        schema version means CPG support is off (say how to switch it on)."""
        if name in TABLES and name not in self._entry.tables:
            self.require_cpg()

    def status(self, limit: int = 10) -> dict:
        """A summary of this store version, as plain data (``json.dumps`` takes it; so does
        ``pd.DataFrame(status["tables"]).T``).

        Keys: ``root``; ``version`` (this one), ``latest_version`` and ``versions`` (how many);
        ``schema_version``; ``flags``; ``last_operation`` (``operation``, ``timestamp``,
        ``version``, ``details``); ``tables`` (per table: ``rows``, ``files``, ``bytes`` of
        this version, from the Delta logs, or an ``error``); ``modules`` (``total`` and counts
        by ``parse_status`` and by ``cpg_status``; the latter empty below schema v2);
        ``pending`` and ``failed`` (``count`` and the first ``limit`` ``paths``: modules
        whose CPG is pending; modules that failed to parse or to build a CPG);
        ``size_bytes`` (every file under the store directory, earlier versions included).

        >>> import tempfile
        >>> s = Store.create(tempfile.mkdtemp() + "/s").status()
        >>> s["version"], s["schema_version"], s["tables"]["modules"]["rows"]
        (0, 1, 0)
        """
        entry = self._entry
        versions = self._log.versions()
        tables = self.table_sizes()
        modules: dict[str, Any] = {"total": None, "parse_status": {}, "cpg_status": {}}
        pending: dict[str, Any] = {"count": None, "paths": []}
        failed: dict[str, Any] = {"count": None, "paths": []}
        try:
            names = [
                n
                for n in ("path", "parse_status", "cpg_status")
                if n in self.schema("modules").names
            ]
            rows = sorted(
                self.read_table("modules").select(names).to_pylist(), key=lambda r: r["path"]
            )
        except Exception as e:  # a damaged modules table
            modules["error"] = str(e)
        else:
            modules["total"] = len(rows)
            modules["parse_status"] = dict(sorted(Counter(r["parse_status"] for r in rows).items()))
            if "cpg_status" in names:
                modules["cpg_status"] = dict(
                    sorted(Counter(str(r["cpg_status"]) for r in rows).items())
                )
            todo = [r["path"] for r in rows if r.get("cpg_status") == CpgStatus.PENDING]
            bad = [
                r["path"]
                for r in rows
                if r["parse_status"] == "failed" or r.get("cpg_status") == CpgStatus.FAILED
            ]
            pending = {"count": len(todo), "paths": todo[:limit]}
            failed = {"count": len(bad), "paths": bad[:limit]}
        size = _bytes_under(self.root)
        return {
            "root": str(self.root),
            "version": entry.version,
            "latest_version": versions[-1] if versions else entry.version,
            "versions": len(versions),
            "schema_version": entry.schema_version,
            "flags": self.flags,
            "last_operation": {
                "operation": entry.operation,
                "timestamp": entry.timestamp,
                "version": entry.version,
                "details": entry.details,
            },
            "tables": tables,
            "modules": modules,
            "pending": pending,
            "failed": failed,
            "size_bytes": size,
        }

    def table_sizes(self) -> dict[str, dict]:
        """Per table of this store version: ``rows``, ``files`` and ``bytes``, from the Delta
        logs (no data file is read), or an ``error`` when a table's log is damaged."""
        tables: dict[str, dict] = {}
        for name in sorted(self._entry.tables):
            try:
                files = self.files(name)
            except Exception as e:  # a damaged Delta log: say so, report the rest
                tables[name] = {"rows": None, "files": None, "bytes": None, "error": str(e)}
                continue
            tables[name] = {
                "rows": sum(f["rows"] or 0 for f in files),
                "files": len(files),
                "bytes": sum(f["size"] or 0 for f in files),
            }
        return tables

    # -- access statistics ---------------------------------------------------------------

    def _note_reads(self, keys: Iterable[int]) -> None:
        """Count reads of modules in memory; persist them (without waiting) once
        :data:`AUTO_FLUSH_READS` have gathered."""
        if self.read_only or "access_stats" not in self._entry.tables:
            return
        self._reads.update(keys)
        if self._reads.total() >= AUTO_FLUSH_READS:
            self._persist_reads()

    def _persist_reads(self) -> bool:
        """Add the counted reads to ``access_stats`` if no other process is writing; never
        waits and never fails a read (on failure the counts stay in memory)."""
        try:
            return self.flush_reads(wait=False)
        except StoreError:  # a read-only file system, ...: reading goes on
            return False

    def flush_reads(self, *, wait: bool = True) -> bool:
        """Add the reads counted so far to ``access_stats`` (one store version).

        Reads of a module, its functions or its CPG (and SQL results with a ``module`` column)
        are counted in memory; generation builds the most-read modules first. Counts that
        processes could not persist when they closed (another process was writing) wait in
        ``_workbench/reads/`` and are added too.

        Parameters
        ----------
        wait
            Wait for a running writer. With ``False``, return ``False`` at once if another
            process holds the write lock (the counts stay in memory).

        Returns
        -------
        bool
            Whether the counts are persisted (also when there was nothing to persist).
        """
        if self.read_only or "access_stats" not in self._entry.tables:
            self._reads.clear()
            return True
        if not self._reads and not _spooled(self.root):
            return True
        mine = Counter(self._reads)
        taken: list[tuple[Counter, dt.datetime]] = []  # spooled counts removed from disk
        try:
            with self.transaction("access", wait=wait) as tx:
                if not tx.has_table("access_stats"):  # rolled back to v1 meanwhile
                    self._reads.clear()
                    return True
                counts = [(mine, dt.datetime.now(dt.UTC))]
                spooled = _spooled(self.root)  # again, under the lock
                counts += [_read_spool(path) for path in spooled]
                rows = {r["module"]: r for r in tx.read("access_stats").to_pylist()}
                for reads, when in counts:
                    for key, n in reads.items():
                        row = rows.setdefault(key, {"module": key, "reads": 0, "last_read": when})
                        row["reads"] += n
                        row["last_read"] = max(row["last_read"], when)
                tx.replace_modules(
                    "access_stats",
                    set(rows),
                    pa.Table.from_pylist(list(rows.values()), schema=ACCESS_STATS),
                )
                tx.details = {"reads": sum(c.total() for c, _ in counts), "spooled": len(spooled)}
                # before the commit: a crash from here on loses these counts, never doubles them
                for path, spool in zip(spooled, counts[1:], strict=True):
                    path.unlink(missing_ok=True)
                    taken.append(spool)
        except StoreBusyError:
            if wait:
                raise
            return False
        except BaseException:
            for reads, when in taken:  # the commit failed: put them back
                _write_spool(self.root, reads, when)
            raise
        self._reads.subtract(mine)
        for key in [k for k, n in self._reads.items() if n <= 0]:
            del self._reads[key]
        return True

    def _spool_reads(self) -> None:
        """Leave the counted reads in ``_workbench/reads/`` for a later flush (no lock)."""
        _spool_counter(self.root, self._reads)

    # -- writing -----------------------------------------------------------------------

    @contextmanager
    def transaction(self, operation: str, *, wait: bool = True) -> Iterator[Transaction]:
        """Write to the store: everything the block changes becomes one new store version.

        Takes the store's write lock (waiting for a running writer), undoes what an
        interrupted operation left, and yields a :class:`~workbench.store.Transaction`
        reading the newest version. When the block ends normally and changed something, one
        store-log entry makes the changes visible at once; when it raises, nothing is. This
        object then reads the new version.

        With ``wait=False`` it does not wait for a running writer: it raises
        :class:`~workbench.errors.StoreBusyError` at once.

        Raises
        ------
        StoreBusyError
            ``wait=False`` and another process holds the write lock: nothing was changed.
        StoreError
            The store is a read-only view (:meth:`at`), or the file system refused a write
            (read-only, full, permissions): nothing was changed.
        SchemaVersionError
            The store was written by a newer workbench.

        Examples
        --------
        >>> import tempfile
        >>> store = Store.create(tempfile.mkdtemp() + "/s")
        >>> with store.transaction("flag") as tx:
        ...     tx.set_flag("cpg", True)
        >>> store.history().operation.tolist(), store.flags["cpg"]
        (['create', 'flag'], True)
        """
        if self.read_only:
            raise StoreError(self.root, f"store version {self.version} is a read-only view")
        events: list = []  # telemetry the commit carries: put back if it fails
        try:
            with write_lock(self.root, wait=wait) as held:
                base = recover(self)
                tx = Transaction(self, base, operation)
                yield tx
                events, spooled = self._persist_telemetry(
                    tx, force=operation in ("telemetry", "migrate")
                )
                if tx.changed:
                    tx._check()
                    crashpoint(f"{operation}.before_log")
                    if held is not None and not held.valid():  # stalled, or cut off
                        raise StoreBusyError(
                            self.root,
                            f"{operation}: the write lease ran out before the commit (this "
                            "process stalled or lost the store; another writer may have taken "
                            "over); nothing was changed",
                        )
                    self._entry = self._log.append(
                        base,
                        operation=operation,
                        tables=dict(tx.tables),
                        schema_version=tx.schema_version,
                        flags=dict(tx.flags),
                        details=tx.details,
                        dirs=dict(tx.dirs),
                    )
                else:
                    self._entry = base
                events = []
                for path in spooled:  # committed; a crash before this only repeats ids
                    path.unlink(missing_ok=True)
                self._module_index = None
        except OSError as e:  # read-only file system, disk full, permissions...
            raise StoreError(
                self.root, f"{operation} failed, nothing was changed: {e.strerror or e}"
            ) from e
        finally:
            if events:  # the commit that carried them failed: they wait for the next one
                telemetry.restore(events)

    def _persist_telemetry(self, tx: Transaction, *, force: bool) -> tuple[list, list[Path]]:
        """Add the telemetry events gathered for this store, and those processes left in
        ``_workbench/telemetry/`` when they closed it, to the commit (the ``telemetry`` table,
        when this store version has it), so telemetry costs no store versions of its own: a
        write carries them once :data:`TELEMETRY_BATCH` have gathered or a spool waits;
        ``force`` (a flush, a migration) always. Returns the events and the spool files taken
        (the files are removed once the commit is in the log; a crash in between can only
        write an event twice, under the same id, which readers drop)."""
        if not (tx.changed or force) or not tx.has_table("telemetry"):
            return [], []
        spooled = _spooled(self.root, TELEMETRY_DIR)
        waiting = telemetry.pending().get(str(self.root), 0)
        if not (force or spooled or waiting >= TELEMETRY_BATCH):
            return [], []
        events = telemetry.take(self.root)
        rows = telemetry.as_rows(events)
        for path in spooled:
            rows += _read_telemetry_spool(path)
        table = _telemetry_table(rows)
        if table.num_rows:
            try:
                tx.append("telemetry", table)
            except BaseException:
                telemetry.restore(events)
                raise
        return events, spooled

    def telemetry_rows(self) -> list[dict]:
        """The telemetry events of this store version's ``telemetry`` table and those waiting
        in ``_workbench/telemetry/`` for the next write, as rows (``workbench.telemetry.frame
        (store=...)`` reads them; each event id may appear twice: readers keep one)."""
        rows = self.read_table("telemetry").to_pylist() if "telemetry" in self.tables else []
        for path in _spooled(self.root, TELEMETRY_DIR):
            rows += _read_telemetry_spool(path)
        return rows

    def flush_telemetry(self, *, wait: bool = True) -> bool:
        """Write the telemetry events gathered for this store into its ``telemetry`` table now
        (one store version; every other write carries them anyway).

        Below schema v2 there is no such table: the events stay in memory
        (``workbench.telemetry.frame()`` shows them) and the migration's commit carries them.

        Parameters
        ----------
        wait
            Wait for a running writer; with ``False`` return ``False`` at once if another
            process holds the write lock.

        Returns
        -------
        bool
            Whether the events are persisted (also when there were none to persist).
        """
        if self.read_only or "telemetry" not in self._entry.tables:
            # a read-only view cannot write: its events wait for a writable object (or exit)
            return not telemetry.pending().get(str(self.root)) and not self.read_only
        if not telemetry.pending().get(str(self.root)) and not _spooled(self.root, TELEMETRY_DIR):
            return True
        try:
            with self.transaction("telemetry", wait=wait):
                pass
        except StoreBusyError:
            if wait:
                raise
            return False
        return True

    def stage(self, name: str, rows: pa.Table, *, session: str | None = None) -> StagedFile:
        """Write rows as a data file of table ``name`` without committing it.

        For writers in other processes: the returned :class:`StagedFile` is plain data; the
        committing process passes it to :meth:`Transaction.replace_modules` or
        :meth:`Transaction.append`. Uncommitted, it stays invisible, in the staging folder of
        ``session`` (default: this object's own, :attr:`session_id`); a worker process writes
        into its parent's session, so its files live as long as the parent does.
        """
        self.schema(name)  # a clear error for tables this schema version lacks
        if name not in self._entry.tables:
            raise NotFoundError(f"no table {name!r} in store {self.root}")
        return stage_file(self.root, self.schema_version, name, rows, session or self.session_id)

    @property
    def session_id(self) -> str:
        """This object's staging session (see :mod:`workbench.store.staging`): files staged
        in it stay out of the tables until committed, and are deleted if this process dies
        first. Pass it to worker processes (``stage(..., session=...)``)."""
        if self._session is None:
            self._session = Session(self.root)
        return self._session.id

    def set_flag(self, name: str, value: bool) -> Store:
        """Store a feature flag (a new store version)."""
        with self.transaction("set_flag") as tx:
            tx.set_flag(name, value)
            tx.details = {"flag": name, "value": value}
        return self

    def _check_version(self, entry: LogEntry) -> None:
        if entry.schema_version > SCHEMA_VERSION:
            raise SchemaVersionError(
                self.root,
                f"store has schema v{entry.schema_version}, this workbench knows up to "
                f"v{SCHEMA_VERSION}: upgrade cpg-workbench",
            )

    # -- operations provided by the pipeline ----------------------------------------------

    def ingest(self, source: str | os.PathLike, **options):
        """Parse every module under ``source`` into the AST repository:
        :func:`workbench.pipeline.ingest` on this store (same options)."""
        return _provided("ingest")(self, source, **options)

    def write_cpg(self, cpgs, **options) -> Store:
        """Store built module CPGs: :func:`workbench.pipeline.write_cpg` on this store."""
        _provided("write_cpg")(self, cpgs, **options)
        return self

    def generate(self, **options):
        """Build the CPGs of pending modules: :func:`workbench.pipeline.generate` on this
        store (same options: ``workers``, ``executor``, ``retry_failed``, ``timeout``, ...)."""
        return _provided("generate")(self, **options)

    def call_graph(self, source: str | os.PathLike | None = None, *, save: bool = False):
        """The value-flow call graph of the stored modules (with ``save``, its CALL edges
        stored in ``cpg_edges`` too): :func:`workbench.pipeline.store_call_graph`."""
        return _provided("call_graph")(self, source, save=save)


def _spooled(root: Path, kind: str = READS_DIR) -> list[Path]:
    """Files of read counts (or telemetry events) left by processes that could not persist
    them."""
    folder = root / META_DIR / kind
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _read_spool(path: Path) -> tuple[Counter, dt.datetime]:
    try:
        data = json.loads(path.read_text())
        reads = Counter({int(k): int(n) for k, n in data["reads"].items()})
        return reads, dt.datetime.fromisoformat(data["last_read"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Counter(), dt.datetime.now(dt.UTC)  # unreadable: dropped with the file


def _write_spool(root: Path, reads: Counter, when: dt.datetime) -> None:
    """Write read counts to a new file under ``_workbench/reads/`` (atomically renamed)."""
    folder = root / META_DIR / READS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    data = {"reads": {str(k): n for k, n in reads.items()}, "last_read": when.isoformat()}
    write_atomically(folder / f"{name}.json", json.dumps(data).encode())


def _spool_counter(root: Path, reads: Counter, pid: int | None = None) -> None:
    """Move the counts out of ``reads`` into a spool file (best effort: statistics); with
    ``pid``, only in that process (a forked child must not count its parent's reads)."""
    if not reads or (pid is not None and pid != os.getpid()):
        return
    counts = Counter(reads)
    reads.clear()
    with suppress(OSError):  # a read-only or full file system: the counts are lost
        _write_spool(root, counts, dt.datetime.now(dt.UTC))


def _spool_at_exit() -> None:
    """At interpreter exit, spool the telemetry events still pending for any store that has
    a telemetry table (read-only views and objects never closed or collected included)."""
    for key in list(telemetry.pending()):
        with suppress(Exception):  # best effort: the interpreter is going
            root = _root(key)
            if not (root / META_DIR).is_dir():  # gone (a temporary store), or not a store
                continue
            latest = StoreLog(root).latest()
            if latest is not None and "telemetry" in latest.tables:
                _spool_telemetry(root)


atexit.register(_spool_at_exit)
os.register_at_fork(after_in_child=lambda: _OPEN.clear())


def _release(root: Path, pid: int, when: list) -> None:
    """A writable Store object is gone (garbage-collected, or the interpreter exits): when
    it was the last of its store in this process, spool the store's pending telemetry
    events if ``when[0]`` (it had a telemetry table)."""
    if pid != os.getpid():  # a forked child's copy of its parent's object
        return
    key = str(root)
    _OPEN[key] -= 1
    if _OPEN[key] <= 0:
        del _OPEN[key]
        if when[0]:
            _spool_telemetry(root)


def _spool_telemetry(root: Path) -> None:
    """Move the telemetry events pending for a store into a file under
    ``_workbench/telemetry/`` (atomically renamed) for its next write to commit; best effort
    (a full or read-only file system loses them)."""
    events = telemetry.take(root)
    if not events:
        return
    rows = [{**r, "ts": r["ts"].isoformat()} for r in telemetry.as_rows(events)]
    with suppress(OSError):
        folder = root / META_DIR / TELEMETRY_DIR
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        write_atomically(folder / f"{name}.json", json.dumps(rows, default=str).encode())


def _telemetry_table(rows: list[dict]) -> pa.Table:
    """Rows of the ``telemetry`` table; a row that does not fit its schema is logged and
    left out (telemetry never fails the write that carries it)."""
    try:
        return pa.Table.from_pylist(rows, schema=TELEMETRY)
    except (pa.ArrowException, TypeError, ValueError):
        good = []
        for row in rows:
            try:
                pa.Table.from_pylist([row], schema=TELEMETRY)
            except (pa.ArrowException, TypeError, ValueError) as e:
                _LOG.error("telemetry event %s dropped: it does not fit the table (%s)", row, e)
            else:
                good.append(row)
        return pa.Table.from_pylist(good, schema=TELEMETRY)


def _read_telemetry_spool(path: Path) -> list[dict]:
    try:
        rows = json.loads(path.read_text())
        return [{**r, "ts": dt.datetime.fromisoformat(r["ts"])} for r in rows]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []  # unreadable: dropped with the file


def stage_file(
    root: StoreRoot, schema_version: int, name: str, rows: pa.Table, session: str
) -> StagedFile:
    """:meth:`Store.stage` without opening the store (no read of its log): for workers that
    stage many batches, told the schema version by the process that commits them."""
    t = StoreTable(root, tables_for(schema_version)[name])
    try:
        add = t.write_file(rows.select(t.schema.names), into=session_dir(root, session) / name)
    except OSError as e:
        raise StoreError(root, f"cannot write a file of {name}: {e.strerror or e}") from e
    modules = pc.unique(rows["module"]).to_pylist() if t.key == "module" else []
    return StagedFile(
        name,
        add.path,
        add.size,
        add.modification_time,
        add.stats,
        session,
        tuple(modules),
        # on object storage the sidecar is cached as written: the committer takes it from here
        (t.expected_digest(add.path) or "") if is_object_path(root) else "",
    )


def open_store(path: str | os.PathLike) -> Store:
    """Open an existing store at its newest version.

    Raises
    ------
    StoreNotFoundError
        No store there.
    SchemaVersionError
        The store was written by a newer workbench (nothing is changed).
    """
    root = _root(path)
    try:
        # on object storage the log's listing answers "is there a store" too: a listing of
        # the whole prefix only when there is none
        entry = StoreLog(root).latest() if is_object_path(root) else None
        here = entry is not None or root.is_dir()
    except OSError as e:  # object storage: no such bucket, unreachable, no credentials
        raise StoreNotFoundError(root, f"cannot read here: {e}") from None
    if not here:
        raise StoreNotFoundError(root, "no store here (create one with `workbench ingest`)")
    if entry is None:
        entry = StoreLog(root).latest()
    if entry is None:
        if _interrupted_create(root):
            raise StoreNotFoundError(
                root, "creating this store was interrupted: create it again (`workbench ingest`)"
            )
        if any((p / "_delta_log").is_dir() for p in root.iterdir()):
            raise StoreNotFoundError(
                root,
                f"the store log ({META_DIR}/log) is missing but the tables are there: run "
                f"`workbench repair --store {root}` to rebuild it",
            )
        raise StoreNotFoundError(root, f"not a workbench store (no {META_DIR}/log)")
    store = Store(root, entry)
    store._check_version(entry)
    return store


def copy_store(source: str | os.PathLike, target: str | os.PathLike) -> Store:
    """Copy a whole store (every version: its log, tables and file digests) to a new place,
    local or on object storage (``s3://...``), and open the copy.

    The source's write lock is held while copying, so the copy is one state of the store;
    its staging sessions (files of running generations) are not copied.

    Raises
    ------
    StoreNotFoundError
        No store at ``source``.
    StoreExistsError
        ``target`` exists and is not empty (nothing is copied).

    Examples
    --------
    >>> import tempfile
    >>> base = tempfile.mkdtemp()
    >>> with Store.create(base + "/a").transaction("flag") as tx:
    ...     tx.set_flag("cpg", True)
    >>> copy = copy_store(base + "/a", base + "/b")
    >>> copy.history().operation.tolist(), copy.flags["cpg"]
    (['create', 'flag'], True)
    """
    src, dst = _root(source), _root(target)
    open_store(src).close()  # a store, and one this workbench reads
    try:
        if dst.exists() and (not dst.is_dir() or any(dst.iterdir())):
            raise StoreExistsError(dst, "exists and is not an empty directory")
        with write_lock(src):
            for path, rel in _store_files(src):
                to = dst / rel
                if not is_object_path(to):
                    to.parent.mkdir(parents=True, exist_ok=True)
                if is_object_path(path) or is_object_path(to):
                    to.write_bytes(path.read_bytes())
                else:
                    shutil.copyfile(path, to)
    except OSError as e:
        raise StoreError(dst, f"cannot copy the store here: {e.strerror or e}") from None
    return open_store(dst)


def _store_files(root: StoreRoot) -> Iterator[tuple[StoreRoot, str]]:
    """``(file, path relative to the root)`` of what a copy of a store holds: everything but
    the write lock and the staging sessions."""
    skip = (f"{META_DIR}/lock", f"{META_DIR}/staging/")
    if is_object_path(root):
        found = ((p, p.key[len(root.key) :].lstrip("/")) for p, _ in root.walk_files())
    else:
        found = ((p, p.relative_to(root).as_posix()) for p in root.rglob("*") if p.is_file())
    for path, rel in found:
        if rel != skip[0] and not rel.startswith(skip[1]):
            yield path, rel


def _root(path: str | os.PathLike) -> StoreRoot:
    """A store root from a user's path or URL (see :func:`workbench.store.objects.store_root`);
    a malformed URL is a clear error."""
    try:
        return store_root(path)
    except ValueError as e:
        raise StoreNotFoundError(path, str(e)) from None


def _bytes_under(root: StoreRoot) -> int:
    """Bytes of every file under a store root (files removed meanwhile are not counted)."""
    if is_object_path(root):
        return sum(size for _, size in root.walk_files())
    size = 0
    for dirpath, _, filenames in os.walk(root):
        for f in filenames:
            try:
                size += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:  # removed meanwhile (vacuum, a writer cleaning up)
                continue
    return size


def _interrupted_create(root: StoreRoot) -> bool:
    """Whether a folder holds only what a killed :meth:`Store.create` leaves: no log entry, the
    v1 tables (if any) empty at their first version."""
    if StoreLog(root).versions():
        return False
    allowed = {META_DIR, *tables_for(1)}
    for p in root.iterdir():
        if p.name not in allowed:
            return False
        if p.name != META_DIR and sorted(q.name for q in (p / "_delta_log").glob("*.json")) not in (
            [],
            ["00000000000000000000.json"],
        ):
            return False
    return (root / META_DIR).is_dir()
