"""The versioned store: the AST repository (v1) and, behind the ``cpg`` flag, the CPG (v2).

Every operation that writes takes the store's write lock, first undoes whatever an interrupted
operation left in the tables (see :mod:`workbench.store.log`), commits whole files to the Delta
tables it changes, and ends by appending one store-log entry. Readers see the tables exactly
at the versions of one log entry, so they never see half of an operation.

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

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import signal
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from workbench.cpg.graph import CPG, ModuleInfo
from workbench.cpg.schema import (
    ACCESS_STATS,
    CPG_TABLES,
    EDGES,
    FUNCTIONS,
    GRAPHS,
    MODULES,
    MODULES_V1,
    SCHEMA_VERSION,
    CpgStatus,
    EdgeKind,
    NodeKind,
    Resolution,
    Subkind,
)
from workbench.errors import (
    FeatureDisabledError,
    NotFoundError,
    SchemaVersionError,
    StoreError,
    StoreExistsError,
    StoreNotFoundError,
)
from workbench.store.log import META_DIR, LogEntry, StoreLog, write_lock
from workbench.store.table import ROW_GROUP, StoreTable

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FLAGS", "IngestReport", "Store", "open_store"]

#: Feature flags and their defaults. Each can be overridden per process by an environment
#: variable ``WORKBENCH_FLAG_<NAME>`` (1/0, true/false, on/off).
FLAGS: dict[str, bool] = {"cpg": False}

#: Sort key of every table: rows are written sorted by it so one lookup touches one row group.
KEYS: dict[str, tuple[str, ...]] = {
    "modules": ("module",),
    "functions": ("module",),
    "cpg_nodes": ("module",),
    "cpg_edges": ("module",),
    "cpg_methods": ("module",),
    "cpg_graphs": ("module",),
    "analysis_cache": ("graph_hash",),
    "access_stats": ("module",),
    "telemetry": ("ts",),
}
LEGACY_TABLES = ("modules", "functions")
AUTO_FLUSH_READS = 1000
LINK_PREFIX = "link-"

#: Row-group size per table where it differs from the default 64k rows. One module's CPG is
#: read whole, so a group should hold a few modules' rows, not hundreds: a stdlib module has
#: ~1.8k nodes, ~3.6k edges and ~44 methods (see benchmarks/store_stdlib.py).
ROW_GROUPS: dict[str, int] = {"cpg_nodes": 16384, "cpg_edges": 16384, "cpg_methods": 2048}


def schemas_for(version: int) -> dict[str, pa.Schema]:
    """The tables of a schema version."""
    if version == 1:
        return {"modules": MODULES_V1, "functions": FUNCTIONS}
    if version == 2:
        return {"modules": MODULES, "functions": FUNCTIONS, **CPG_TABLES}
    raise SchemaVersionError("?", f"unknown schema version {version}")


def crashpoint(name: str) -> None:
    """Die like ``kill -9`` here when ``WORKBENCH_CRASHPOINT`` names this point (for tests of
    interrupted operations; a no-op otherwise)."""
    if os.environ.get("WORKBENCH_CRASHPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class IngestReport:
    """What an ingest changed."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)
    version: int | None = None


class _Tx:
    """What one write operation changes: table versions, schema version, flags."""

    def __init__(self, store: Store, base: LogEntry):
        self.store = store
        self.base = base
        self.tables = dict(base.tables)
        self.schema_version = base.schema_version
        self.flags = dict(base.flags)
        self.details: dict = {}
        self.changed = False

    def table(self, name: str) -> StoreTable:
        return self.store._table(name, self.schema_version)

    def read(self, name: str, filter=None, columns: list[str] | None = None) -> pa.Table:
        schema = schemas_for(self.schema_version)[name]
        return self.table(name).read(
            self.tables[name], filter=filter, columns=columns, schema=schema
        )

    def scan(self, name: str, columns: list[str], where: str, params=None) -> pa.Table:
        """Selected columns of the rows matching a SQL condition (DuckDB, multi-threaded,
        filter pushed into the Parquet scan); for large tables where only a few rows match."""
        import duckdb

        files = self.table(name).sql_files(self.tables[name])
        if not files:
            schema = schemas_for(self.schema_version)[name]
            return pa.schema([schema.field(c) for c in columns]).empty_table()
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con = duckdb.connect()
        try:
            return con.sql(
                f"SELECT {', '.join(columns)} FROM read_parquet([{listing}]) WHERE {where}",
                params=params,
            ).to_arrow_table()
        finally:
            con.close()

    def replace_modules(
        self, name: str, keys: set[int], rows: pa.Table | None, adds: Sequence = ()
    ) -> None:
        """Remove the rows of modules ``keys`` and add ``rows`` (and files already written,
        ``adds``), rewriting only the files that hold those modules."""
        t = self.table(name)
        version = self.tables[name]
        key_arr = pa.array(sorted(keys), pa.int64())
        affected, kept = [], []
        lo, hi = (min(keys), max(keys)) if keys else (None, None)
        for f in t.files(version):
            if f["path"].startswith(LINK_PREFIX):
                continue  # derived by relink() from all modules, never edited per module
            if not keys or f["min"] is None or f["max"] < lo or f["min"] > hi:
                continue
            if not keys.isdisjoint(t.modules_in(f["path"])):
                affected.append(f["path"])
                part = pq.read_table(t.path / f["path"]).cast(t.schema)
                kept.append(part.filter(pc.invert(pc.is_in(part["module"], key_arr))))
        parts = [*kept, rows] if rows is not None else kept
        parts = [p for p in parts if p is not None and p.num_rows]
        if not affected and not parts and not adds:
            return
        written = (
            [t.write_file(pa.concat_tables([p.cast(t.schema) for p in parts]))] if parts else []
        )
        self.tables[name] = t.commit([*written, *adds], affected)
        self.changed = True


class Store:
    """A store directory. Open one with :func:`open_store` or :meth:`Store.create`."""

    def __init__(self, root: Path, entry: LogEntry, *, read_only: bool = False) -> None:
        self.root = root
        self._entry = entry
        self.read_only = read_only
        self._log = StoreLog(root)
        self._tables: dict[tuple[str, int], StoreTable] = {}
        self._module_index: tuple[int, dict] | None = None
        self._reads: Counter[int] = Counter()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Persist the read counts gathered so far (see :meth:`flush_reads`)."""
        self.flush_reads()

    def _note_reads(self, keys) -> None:
        self._reads.update(keys)
        if sum(self._reads.values()) >= AUTO_FLUSH_READS and not self.read_only:
            self.flush_reads()

    def flush_reads(self) -> None:
        """Add the reads counted in memory to ``access_stats`` (one store version).

        Reads of a module, its functions or its CPG (and SQL results with a ``module`` column)
        are counted; generation builds the most-read modules first.
        """
        if not self._reads or self.read_only or "access_stats" not in self._entry.tables:
            self._reads.clear()
            return
        reads, self._reads = self._reads, Counter()
        now = dt.datetime.now(dt.UTC)
        with self._writing("access") as tx:
            rows = {r["module"]: r for r in tx.read("access_stats").to_pylist()}
            for key, n in reads.items():
                row = rows.setdefault(key, {"module": key, "reads": 0, "last_read": now})
                row["reads"] += n
                row["last_read"] = now
            tx.replace_modules(
                "access_stats",
                set(rows),
                pa.Table.from_pylist(list(rows.values()), schema=ACCESS_STATS),
            )

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike) -> Store:
        """Create an empty store (schema v1, every flag at its default)."""
        root = Path(path)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise StoreExistsError(root, "exists and is not an empty directory")
        try:
            root.mkdir(parents=True, exist_ok=True)
            with write_lock(root):
                versions = {}
                for name, schema in schemas_for(1).items():
                    versions[name] = StoreTable(root, name, schema, KEYS[name]).create()
                entry = StoreLog(root).append(
                    None,
                    operation="create",
                    tables=versions,
                    schema_version=1,
                    flags=dict(FLAGS),
                )
        except OSError as e:  # permissions, a file where a directory should be, ...
            raise StoreError(root, f"cannot write here: {e.strerror or e}") from None
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

    def refresh(self) -> Store:
        """Follow the newest store version (another process may have written)."""
        latest = self._log.latest()
        if latest is not None and latest.version != self._entry.version:
            self._entry = latest
            self._module_index = None
        return self

    def at(self, version: int) -> Store:
        """A read-only view of an earlier store version (time travel)."""
        if version not in self._log.versions():
            raise NotFoundError(f"store {self.root} has no version {version}")
        return Store(self.root, self._log.read(version), read_only=True)

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

    # -- tables ------------------------------------------------------------------------

    def _table(self, name: str, schema_version: int) -> StoreTable:
        key = (name, schema_version)
        t = self._tables.get(key)
        if t is None:
            t = StoreTable(
                self.root,
                name,
                schemas_for(schema_version)[name],
                KEYS[name],
                ROW_GROUPS.get(name, ROW_GROUP),
            )
            self._tables[key] = t
        return t

    def read_table(self, name: str, filter: pc.Expression | None = None) -> pa.Table:
        """A table as of this store version, in the schema of this schema version."""
        if name not in self._entry.tables:
            if name in CPG_TABLES:
                self._require_cpg()
            raise NotFoundError(f"no table {name!r} in store schema v{self.schema_version}")
        t = self._table(name, self.schema_version)
        return t.read(self._entry.tables[name], filter=filter)

    def modules(self) -> pd.DataFrame:
        """The ``modules`` table as a DataFrame, sorted by path."""
        return self.read_table("modules").sort_by("path").to_pandas()

    def functions(self, module: str | None = None) -> pd.DataFrame:
        """The ``functions`` table (of one module: path or dotted name)."""
        flt = None
        if module is not None:
            key = self._module_key(module)
            flt = pc.field("module") == key
            self._note_reads([key])
        t = self.read_table("functions", flt)
        return t.sort_by([("module", "ascending"), ("line", "ascending")]).to_pandas()

    def _module_key(self, module: str | int) -> int:
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

    # -- writing -----------------------------------------------------------------------

    @contextmanager
    def _writing(self, operation: str):
        if self.read_only:
            raise StoreError(self.root, f"store version {self.version} is a read-only view")
        try:
            with self._locked_write(operation) as tx:
                yield tx
        except OSError as e:  # read-only file system, disk full, permissions...
            raise StoreError(
                self.root, f"{operation} failed, nothing was changed: {e.strerror or e}"
            ) from e

    @contextmanager
    def _locked_write(self, operation: str):
        with write_lock(self.root):
            base = self._log.latest()
            self._check_version(base)
            self._recover(base)
            tx = _Tx(self, base)
            yield tx
            if tx.changed:
                crashpoint(f"{operation}.before_log")
                self._entry = self._log.append(
                    base,
                    operation=operation,
                    tables=tx.tables,
                    schema_version=tx.schema_version,
                    flags=tx.flags,
                    details=tx.details,
                )
                self._cleanup(self._entry)  # under the lock: no writer can be using them
            else:
                self._entry = base
            self._module_index = None

    def _check_version(self, entry: LogEntry) -> None:
        if entry.schema_version > SCHEMA_VERSION:
            raise SchemaVersionError(
                self.root,
                f"store has schema v{entry.schema_version}, this workbench knows up to "
                f"v{SCHEMA_VERSION}: upgrade cpg-workbench",
            )

    def _recover(self, entry: LogEntry) -> None:
        """Undo what an interrupted operation left: commits beyond the logged versions and
        tables the log does not list."""
        for name, version in entry.tables.items():
            t = self._table(name, entry.schema_version)
            if t.latest_version() != version:
                t.restore(version)
        self._cleanup(entry)

    def _cleanup(self, entry: LogEntry) -> None:
        """Remove table directories a store version does not use (after rollback or an
        interrupted migration). Call with the write lock held."""
        for name in KEYS:
            path = self.root / name
            if name not in entry.tables and path.exists():
                shutil.rmtree(path)

    def set_flag(self, name: str, value: bool) -> Store:
        """Store a feature flag (a new store version)."""
        if name not in FLAGS:
            raise NotFoundError(f"no flag {name!r}; flags: {', '.join(FLAGS)}")
        with self._writing("set_flag") as tx:
            if tx.flags.get(name) != value:
                tx.flags[name] = value
                tx.details = {"flag": name, "value": value}
                tx.changed = True
        return self

    def _require_cpg(self) -> None:
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

    # -- ingest (v1) -------------------------------------------------------------------

    def ingest(
        self,
        source: str | os.PathLike,
        *,
        exclude: Sequence[str] = (),
        limits=None,
        refresh: Iterable[str] = (),
        workers: int = 1,
    ) -> IngestReport:
        """Parse every module under ``source`` into ``modules`` and ``functions``.

        Only changed modules (by content hash) are rewritten, plus the paths in ``refresh``
        (re-parsed even if unchanged: repair uses it); modules whose files are gone are
        removed. Works with CPG support off. In a v2 store, added and changed modules get CPG
        status ``pending`` and removed modules lose their CPG rows. With ``workers`` > 1 the
        changed files are parsed in that many processes.
        """
        from workbench.frontends.python.repository import repository_rows
        from workbench.frontends.python.source import DEFAULT_LIMITS, content_hash
        from workbench.project import find_modules

        limits = limits or DEFAULT_LIMITS
        source = Path(source)
        paths = find_modules(source, exclude)
        refresh = set(refresh)
        report = IngestReport()
        with self._writing("ingest") as tx:
            current = {r["path"]: r for r in tx.read("modules").to_pylist()}
            todo = []
            for rel in paths:
                old = current.get(rel)
                unchanged = old is not None and old["content_hash"] == content_hash(
                    (source / rel).read_bytes()
                )
                if unchanged and rel not in refresh:
                    report.unchanged += 1
                else:
                    todo.append(rel)
            new_modules, new_functions, touched = [], [], set()
            for row, functions in _map_chunks(repository_rows, str(source), todo, limits, workers):
                if row["parse_status"] != "ok":
                    report.failed.append(row["path"])
                if tx.schema_version >= 2:
                    row.update(_pending_cpg_fields())
                new_modules.append(row)
                new_functions += functions
                touched.add(row["module"])
                (report.changed if row["path"] in current else report.added).append(row["path"])
            seen = set(paths)
            for rel, old in current.items():
                if rel not in seen:
                    report.removed.append(rel)
                    touched.add(old["module"])
            if touched:
                schema = schemas_for(tx.schema_version)
                tx.replace_modules(
                    "modules", touched, pa.Table.from_pylist(new_modules, schema=schema["modules"])
                )
                crashpoint("ingest.modules")
                tx.replace_modules(
                    "functions", touched, pa.Table.from_pylist(new_functions, schema=FUNCTIONS)
                )
                if tx.schema_version >= 2:  # CPG rows of changed or removed sources are stale
                    for name in ("cpg_nodes", "cpg_edges", "cpg_methods", "cpg_graphs"):
                        tx.replace_modules(name, touched, None)
                    prune_links(tx, touched)  # generation relinks what it rebuilds
                tx.details = {
                    "source": str(source.resolve()),
                    "added": len(report.added),
                    "changed": len(report.changed),
                    "removed": len(report.removed),
                }
                tx.changed = True
        report.version = self.version
        return report

    # -- CPG (v2) ------------------------------------------------------------------------

    def write_cpg(self, cpgs: Iterable[CPG], *, build_seconds: dict[int, float] | None = None):
        """Store module CPGs, replacing any earlier CPG rows of the same modules.

        Each module's ``cpg_graphs`` row and ``modules`` CPG fields record status ``ok``, the
        generator, the source hash and a content hash of the graph.
        """

        self._require_cpg()
        cpgs = list(cpgs)
        if not cpgs:
            return self
        with self._writing("write_cpg") as tx:
            known = set(tx.read("modules").column("module").to_pylist())
            unknown = sorted(
                c.module.path or c.module.name for c in cpgs if c.module.key not in known
            )
            if unknown:
                raise NotFoundError(
                    f"not in the repository (ingest them first): {', '.join(unknown[:10])}"
                )
            write_cpg_rows(tx, cpgs, build_seconds or {})
            tx.details = {"modules": len(cpgs)}
        return self

    def last_source(self) -> Path | None:
        """The source root of the most recent ingest (repair and generation default to it)."""
        for entry in reversed([self._log.read(v) for v in self._log.versions()]):
            if entry.operation == "ingest" and entry.details.get("source"):
                return Path(entry.details["source"])
        return None

    def generate(self, **options):
        """Build the CPGs of pending modules: :func:`workbench.generate.generate` on this store
        (same options: ``workers``, ``executor``, ``retry_failed``, ``timeout``, ...)."""
        from workbench.generate import generate

        return generate(self, **options)

    def cpg(self, module: str | int, method: str | int | None = None) -> CPG:
        """The CPG of one module (path, dotted name or key), or of one of its methods."""
        self._require_cpg()
        key = self._module_key(module)
        row = self._modules_by_name()["by_key"][key]
        if row.get("cpg_status") != CpgStatus.OK:
            raise NotFoundError(
                f"module {row['path']!r} has no CPG yet (status {row.get('cpg_status')}): "
                "run `workbench generate`"
            )
        info = ModuleInfo(
            key, row["path"], row["name"], row["content_hash"], row["size_bytes"], row["lines"]
        )
        tables = self._entry.tables
        nodes, edges, methods = (
            self._table(name, 2).lookup(tables[name], key)
            for name in ("cpg_nodes", "cpg_edges", "cpg_methods")
        )
        cross = pc.is_valid(edges["dst_module"])
        if pc.any(cross).as_py():  # as built: the module's own edges, then cross-module ones
            edges = pa.concat_tables(
                [edges.filter(pc.invert(cross)), edges.filter(cross).sort_by("src")]
            )
        cpg = CPG(nodes, edges, methods, info)
        self._note_reads([key])
        return cpg.method(method) if method is not None else cpg

    def sql(self, query: str, params: Sequence | dict | None = None) -> pd.DataFrame:
        """Run SQL (DuckDB) over the tables of this store version; parameters are bound.

        Every table of the schema version is a view of the same name.

        >>> import tempfile
        >>> s = Store.create(tempfile.mkdtemp() + "/s")
        >>> int(s.sql("SELECT count(*) AS n FROM modules WHERE language = ?", ["python"]).n[0])
        0
        """
        import duckdb

        con = duckdb.connect()
        for name, version in self._entry.tables.items():
            t = self._table(name, self.schema_version)
            files = t.sql_files(version)
            if files:
                listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
                con.execute(
                    f"CREATE VIEW {name} AS SELECT * FROM "
                    f"read_parquet([{listing}], union_by_name = true)"
                )
            else:
                con.register(name, t.schema.empty_table())
        try:
            df = con.execute(query, params).df() if params else con.sql(query).df()
        finally:
            con.close()
        if "module" in df.columns and len(df) and "access_stats" in self._entry.tables:
            self._note_reads(int(k) for k in df["module"].dropna().unique())
        return df


def write_cpg_rows(tx: _Tx, cpgs: list[CPG], build_seconds: dict[int, float]) -> None:
    """Inside a write: replace the CPG rows of these modules, record the builds (status
    ``ok``) and relink cross-module calls."""
    keys = {c.module.key for c in cpgs}
    for name, attr in (("cpg_nodes", "nodes"), ("cpg_edges", "edges"), ("cpg_methods", "methods")):
        rows = pa.concat_tables([getattr(c, attr) for c in cpgs])
        if name == "cpg_edges":  # cross-module edges are derived by relink() below
            rows = rows.filter(pc.is_null(rows["dst_module"]))
        tx.replace_modules(name, keys, rows)
        crashpoint(f"write_cpg.{name}")
    record_builds(
        tx,
        [
            {
                "module": c.module.key,
                "status": str(CpgStatus.OK),
                "content_hash": c.module.content_hash,
                "graph_hash": graph_hash(c),
                "nodes": c.nodes.num_rows,
                "edges": c.edges.num_rows,
                "methods": c.methods.num_rows,
                "seconds": build_seconds.get(c.module.key),
            }
            for c in cpgs
        ],
    )
    relink(tx)


def record_builds(tx: _Tx, results: list[dict]) -> None:
    """Inside a write: one ``cpg_graphs`` row per module build and the modules' CPG fields.

    ``results`` hold ``module``, ``status``, ``content_hash`` and, where known,
    ``error_type``, ``error_message``, ``graph_hash``, ``nodes``, ``edges``, ``methods`` and
    ``seconds``.
    """
    from workbench.frontends.python import GENERATOR

    keys = {r["module"] for r in results}
    now = dt.datetime.now(dt.UTC)
    graphs = [
        {
            "module": r["module"],
            "status": r["status"],
            "error_type": r.get("error_type"),
            "error_message": r.get("error_message"),
            "generator": GENERATOR,
            "schema_version": SCHEMA_VERSION,
            "content_hash": r["content_hash"],
            "graph_hash": r.get("graph_hash"),
            "nodes": r.get("nodes"),
            "edges": r.get("edges"),
            "methods": r.get("methods"),
            "build_seconds": r.get("seconds"),
            "built_at": now,
        }
        for r in results
    ]
    tx.replace_modules("cpg_graphs", keys, pa.Table.from_pylist(graphs, schema=GRAPHS))
    by_key = {r["module"]: r for r in results}
    mods = tx.read("modules", pc.field("module").isin(list(keys))).to_pylist()
    for m in mods:
        r = by_key[m["module"]]
        m.update(
            cpg_status=r["status"],
            cpg_generator=GENERATOR,
            cpg_source_hash=r["content_hash"],
            cpg_graph_hash=r.get("graph_hash"),
        )
    tx.replace_modules("modules", keys, pa.Table.from_pylist(mods, schema=MODULES))


def relink(tx: _Tx) -> None:
    """Recompute every cross-module CALL edge from the stored modules (one commit).

    They live in ``link-*`` files of ``cpg_edges``; the module files hold only edges within
    their module. Relinking after every change keeps edges into a rebuilt or removed module
    right, so an incremental run equals a clean rebuild.
    """
    from workbench.passes.linker import LinkIndex

    mods = tx.read("modules", columns=["module", "name"])
    names = dict(zip(mods["module"].to_pylist(), mods["name"].to_pylist(), strict=True))
    index = LinkIndex()  # only the columns linking needs: a fraction of the bytes
    index.add(
        names,
        tx.read("cpg_methods", columns=["module", "id", "full_name", "subkind"]),
        tx.scan(
            "cpg_nodes",
            ["module", "kind", "subkind", "name", "full_name", "method"],
            "kind = $type OR (subkind = $alias AND method = 0)",
            {"type": str(NodeKind.TYPE_DECL), "alias": str(Subkind.ALIAS)},
        ),
    )
    calls = tx.scan(
        "cpg_nodes", ["module", "id", "full_name"], "resolution = $r", {"r": str(Resolution.IMPORT)}
    ).sort_by([("module", "ascending"), ("id", "ascending")])
    src, dst, smod, dmod = [], [], [], []
    for key, cid, full in zip(
        calls["module"].to_pylist(),
        calls["id"].to_pylist(),
        calls["full_name"].to_pylist(),
        strict=True,
    ):
        hit = index.resolve(full)
        if hit is not None and hit[0] != key:
            smod.append(key)
            src.append(cid)
            dst.append(hit[1])
            dmod.append(hit[0])
    n = len(src)
    links = pa.table(
        {
            "module": pa.array(smod, pa.int64()),
            "src": pa.array(src, pa.int32()),
            "dst": pa.array(dst, pa.int32()),
            "kind": pa.array([str(EdgeKind.CALL)] * n, pa.string()),
            "label": pa.array([str(Resolution.IMPORT)] * n, pa.string()),
            "dst_module": pa.array(dmod, pa.int64()),
        },
        schema=EDGES,
    )
    t = tx.table("cpg_edges")
    old = [f["path"] for f in t.files(tx.tables["cpg_edges"]) if f["path"].startswith(LINK_PREFIX)]
    adds = [t.write_file(links, prefix=LINK_PREFIX.rstrip("-"))] if n else []
    if adds or old:
        tx.tables["cpg_edges"] = t.commit(adds, old)
        tx.changed = True


def _map_chunks(fn, root: str, items: list, limits, workers: int):
    """``fn(root, chunk, limits)`` over chunks of ``items``, in a process pool when
    ``workers`` > 1; results in input order."""
    if workers <= 1 or len(items) < 2 * workers:
        yield from fn(root, items, limits)
        return
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, len(items) // (workers * 8))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for part in pool.map(fn, [root] * len(chunks), chunks, [limits] * len(chunks)):
            yield from part


def prune_links(tx: _Tx, keys: set[int]) -> None:
    """Drop the cross-module edges from or into modules ``keys`` (their node ids no longer
    hold); :func:`relink` recomputes them once those modules are rebuilt."""
    t = tx.table("cpg_edges")
    key_arr = pa.array(sorted(keys), pa.int64())
    for f in t.files(tx.tables["cpg_edges"]):
        if not f["path"].startswith(LINK_PREFIX):
            continue
        rows = pq.read_table(t.path / f["path"]).cast(t.schema)
        stale = pc.or_(pc.is_in(rows["module"], key_arr), pc.is_in(rows["dst_module"], key_arr))
        if pc.any(stale).as_py():
            kept = rows.filter(pc.invert(stale))
            adds = [t.write_file(kept, prefix=LINK_PREFIX.rstrip("-"))] if kept.num_rows else []
            tx.tables["cpg_edges"] = t.commit(adds, [f["path"]])
            tx.changed = True


def _pending_cpg_fields() -> dict:
    return {
        "cpg_status": str(CpgStatus.PENDING),
        "cpg_generator": None,
        "cpg_source_hash": None,
        "cpg_graph_hash": None,
    }


def graph_hash(cpg: CPG) -> str:
    """Content hash of a module's own node and edge rows (Arrow IPC of the canonical tables;
    cross-module edges, which depend on other modules, are left out)."""
    h = hashlib.sha256()
    edges = cpg.edges.filter(pc.is_null(cpg.edges["dst_module"]))
    for t in (cpg.nodes, edges):
        sink = io.BytesIO()
        t = t.combine_chunks()
        with pa.ipc.new_stream(sink, t.schema) as w:
            w.write_table(t)
        h.update(sink.getvalue())
    return h.hexdigest()


def open_store(path: str | os.PathLike) -> Store:
    """Open an existing store at its newest version.

    Raises
    ------
    StoreNotFoundError
        No store there.
    SchemaVersionError
        The store was written by a newer workbench (nothing is changed).
    """
    root = Path(path)
    if not root.is_dir():
        raise StoreNotFoundError(root, "no store here (create one with `workbench ingest`)")
    entry = StoreLog(root).latest()
    if entry is None:
        raise StoreNotFoundError(root, f"not a workbench store (no {META_DIR}/log)")
    store = Store(root, entry)
    store._check_version(entry)
    return store
