"""SQL over a store: DuckDB on a locked-down connection, over data files verified first.

DuckDB does not check Parquet page checksums, so a data file with a flipped byte could
answer with wrong rows. Before DuckDB reads a table, each of its data files is verified once
per process (:func:`verified_paths`, cached by path, size, modification time and inode): its
SHA-256 against the digest recorded when it was written (``_workbench/files/<table>/
<file>.json``, a sidecar) or, for a file without one, a pyarrow read with page checksums. A
damaged file raises :class:`~workbench.errors.CorruptionError` naming the table, the file and
the modules it holds (from the sidecar, never from the damaged bytes). Only the tables a
query names are verified; DuckDB may read no other file, so a table the query reaches in a
way the parser cannot see (``query_table('cpg_nodes')``) is refused, verified, and the query
run again.

User SQL runs on a fresh in-memory connection that can read only those files: the tables
are views created first, then ``allowed_paths`` is set to the verified files, external
access is disabled (no ``COPY ... TO``, ``ATTACH`` of files, reading other files,
``INSTALL`` or ``LOAD``) and the configuration locked (no ``SET``/``RESET`` undoes it).
What a query creates (tables, views) lives in memory and is gone when it ends. DuckDB's
errors become :class:`~workbench.errors.QueryError`.

Examples
--------
>>> import tempfile
>>> from workbench.store import Store
>>> store = Store.create(tempfile.mkdtemp() + "/s")
>>> int(store.sql("SELECT count(*) AS n FROM modules").n[0])
0
>>> store.sql("COPY modules TO '/tmp/out.csv'")
Traceback (most recent call last):
...
workbench.errors.QueryError: ...Permission Error: Cannot access file "/tmp/out.csv"...
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from workbench.errors import CorruptionError, QueryError
from workbench.store.objects import PARALLEL, fsspec_filesystem, is_object_path
from workbench.store.table import StoreTable, _readable, _sha256

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["check_file", "forget_verified", "query", "scan", "tables_named", "verified_paths"]

#: Files verified in this process: (path, size, mtime_ns, inode). Data files are never
#: changed in place, so a file whose size, mtime or inode changed is verified again.
_VERIFIED: set[tuple[str, int, int, int]] = set()
#: Settings of every SQL connection: nothing is installed or loaded behind the user's back,
#: Python variables are not tables, secrets are never written.
_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "python_enable_replacements": False,
    "allow_persistent_secrets": False,
}
_PARSER = None  # (pid, connection) :func:`_referenced` parses with
_PARSER_LOCK = threading.Lock()
_DENIED = re.compile(r'Cannot access file "([^"]*)"')
#: What looks up DuckDB's catalog (the tables there are, their columns): it must see every
#: store table, whichever the query names.
_CATALOG = re.compile(
    r"information_schema|pg_catalog|sqlite_master|duckdb_\w+\s*\(|\bshow\b|\bdescribe\b"
    r"|\bsummarize\b|show_tables|table_info",
    re.IGNORECASE,
)
#: Prepared-statement parameters (``?``, ``$1``, ``$name``), replaced by NULL to name the
#: tables of a parameterised query (a wrong guess only costs a second run with every table).
_PLACEHOLDER = re.compile(r"\?|\$\w+")
_NO_TABLE = re.compile(r"Table with name (.+?) does not exist")
#: Modules a damage report lists before it says how many more there are.
_SHOW_MODULES = 50


def forget_verified() -> None:
    """Forget which files this process verified (the next query verifies them again), and
    close the connections kept for reuse."""
    _VERIFIED.clear()
    _POOL.clear()


def check_file(table: StoreTable, f: Mapping) -> str | None:
    """None if a data file is whole, else what is wrong with it.

    Parameters
    ----------
    table
        The table the file belongs to.
    f
        The file as :meth:`StoreTable.files` gives it (``path`` relative to the table's
        directory, ``size`` as the Delta log records it).
    """
    path = table.path / f["path"]
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "missing"
    if size != f["size"]:
        return f"size {size} != {f['size']} recorded"
    digest = table.expected_digest(f["path"])
    if digest is not None:  # covers every byte: page data, page headers and the footer
        return None if _sha256(path) == digest else "checksum mismatch (SHA-256 of the file)"
    try:
        pq.ParquetFile(_readable(path), page_checksum_verification=True).read(use_threads=False)
    except Exception as e:  # pyarrow raises OSError/ArrowInvalid for corrupt pages
        return f"unreadable: {type(e).__name__}: {str(e)[:160]}"
    return None


def verified_paths(root: Path, table: StoreTable, version: int) -> list[str]:
    """The absolute paths of a table version's data files, each verified (once per process).

    Raises
    ------
    CorruptionError
        A file is missing, of the wrong size or damaged; the message names the table, the
        file and the modules it holds, as the file's sidecar records them.
    """
    out = []
    for f in table.files(version):
        path = table.path / f["path"]
        try:
            st = path.stat()
        except FileNotFoundError:
            raise _damaged(root, table, f, "missing") from None
        key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
        if key not in _VERIFIED:
            problem = check_file(table, f)
            if problem is not None:
                raise _damaged(root, table, f, problem)
            _VERIFIED.add(key)
        out.append(str(path))
    return out


def _damaged(root: Path, table: StoreTable, f: Mapping, problem: str) -> CorruptionError:
    modules = table.recorded_modules(f["path"])
    if modules is None:
        held = (
            f"modules in key range {f['min']}..{f['max']} (no sidecar lists them)"
            if f.get("min") is not None
            else "modules unknown (no sidecar lists them)"
        )
    elif not modules:
        held = "no module's rows"
    else:
        keys = sorted(modules)
        held = "modules " + ", ".join(map(str, keys[:_SHOW_MODULES]))
        if len(keys) > _SHOW_MODULES:
            held += f" and {len(keys) - _SHOW_MODULES} more"
    err = CorruptionError(
        root,
        f"table {table.name}: data file {f['path']} is damaged ({problem}); it holds {held}. "
        f"Nothing was read from it: run `workbench repair --store {root}`",
    )
    err.table, err.file, err.modules = table.name, f["path"], modules
    return err


def _connect(
    views: Mapping[str, list[str] | pa.Schema | pa.Table | ds.Dataset], allowed: Sequence[str]
):
    """A locked-down in-memory connection with one view per table.

    ``views`` maps a table name to its data files, to its schema when it has none, or to
    an Arrow table held in memory (a relation computed for the query) or a pyarrow dataset.
    DuckDB may read the ``allowed`` files and no others.
    """
    import duckdb

    con = duckdb.connect(config=dict(_CONFIG))
    try:
        con.execute("SET allowed_paths = ?", [list(allowed)])
        schemes = {f.partition("://")[0] for f in allowed if "://" in f}
        for scheme in sorted(schemes):  # object storage through fsspec: no extension to fetch
            con.register_filesystem(fsspec_filesystem(scheme))
        for name, files in views.items():
            if isinstance(files, (pa.Table, ds.Dataset)):
                con.register(name, files)
            elif isinstance(files, pa.Schema):
                con.register(name, files.empty_table())
            else:
                listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
                con.execute(
                    f'CREATE VIEW "{name}" AS SELECT * FROM '
                    f"read_parquet([{listing}], union_by_name = true)"
                )
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def tables_named(query: str) -> set[str] | None:
    """Lower-cased names of the tables (and views) a query names, as DuckDB's parser sees
    them (not words inside string literals); None if it cannot tell (several statements,
    or a statement DuckDB cannot bind without its tables, such as a ``JOIN ... USING``).

    >>> sorted(tables_named("SELECT * FROM functions f JOIN critical_paths c ON c.id = f.line"))
    ['critical_paths', 'functions']
    >>> tables_named("SELECT 'function_metrics' AS word")
    set()
    """
    return _referenced(query)


def _referenced(query: str) -> set[str] | None:
    """Lower-cased names of the tables a query mentions; None if the parser cannot tell.

    DuckDB binds the statements to name their tables, and binding can act (``EXPORT
    DATABASE`` creates its directory), so this too runs on a locked-down connection: one per
    process, without tables.
    """
    global _PARSER
    import duckdb

    with _PARSER_LOCK:
        if _PARSER is None or _PARSER[0] != os.getpid():  # never a connection from before fork
            _PARSER = (
                os.getpid(),
                duckdb.connect(
                    config={**_CONFIG, "enable_external_access": False, "lock_configuration": True}
                ),
            )
        for text in (query, _PLACEHOLDER.sub("NULL", query)):  # the binder refuses `?`
            try:
                return {n.lower() for n in _PARSER[1].get_table_names(text)}
            except duckdb.Error:
                continue
        return None  # several statements, refused, or not SQL: verify every table


def _store_files(tables: Mapping[str, tuple[StoreTable, int]]) -> set[str]:
    """The absolute paths of every data file of these table versions."""
    return {str(t.path / f["path"]) for t, version in tables.values() for f in t.files(version)}


def query(
    root: Path,
    tables: Mapping[str, tuple[StoreTable, int]],
    sql: str,
    params: Sequence | Mapping | None = None,
    *,
    missing_table: Callable[[str], None] | None = None,
    relations: Mapping[str, pa.Table] | None = None,
) -> pd.DataFrame:
    """Run user SQL over the given tables (name -> (table, Delta version)).

    Parameters
    ----------
    root
        The store's directory (for messages).
    tables
        Every table the query may read, each a view of the same name.
    sql
        One or more statements; the result is the last one's.
    params
        Values bound to ``?`` or ``$name`` placeholders.
    missing_table
        Called with the name of a table DuckDB does not know, before the
        :class:`~workbench.errors.QueryError` is raised (to raise a better error).
    relations
        Arrow tables held in memory that the query may also read, each by its name (they
        must not shadow a store table).

    Raises
    ------
    CorruptionError
        A data file the query would read is damaged.
    QueryError
        DuckDB refused the query or failed (the message is DuckDB's).
    """
    import duckdb
    import pandas as pd

    clash = sorted(set(relations or ()) & set(tables))
    if clash:
        raise QueryError(root, f"relations {clash} would shadow store tables")
    names = None if _CATALOG.search(sql) else _referenced(sql)
    wanted = None if names is None else {n for n in tables if n.lower() in names}
    reuse = _read_only(sql)
    while True:
        allowed: list[str] = []
        views: dict[str, list[str] | pa.Schema | pa.Table] = {}
        for name, (t, version) in tables.items():
            if wanted is not None and name not in wanted:
                continue  # a view binds (reads) every file's footer: only the tables used
            files = t.files(version)
            if not files:
                views[name] = t.schema
            else:
                views[name] = verified_paths(root, t, version)
                allowed += views[name]
        key = _pool_key(views) if reuse else None
        con = _POOL.take(key) if key is not None else None
        try:
            con = con or _connect(views, allowed)
        except duckdb.Error as e:  # a footer DuckDB cannot parse: verify to say which file
            for t, version in tables.values():
                verified_paths(root, t, version)
            raise QueryError(root, str(e)) from None
        done = False
        try:
            for name, rows in (relations or {}).items():
                con.register(name, rows)
            result = con.execute(sql, params) if params else con.sql(sql)
            df = result.df() if result is not None else pd.DataFrame()
            for name in relations or ():
                con.unregister(name)
            done = True
            return df
        except duckdb.PermissionException as e:
            denied = _DENIED.search(str(e))
            if wanted is not None and denied and denied.group(1) in _store_files(tables):
                wanted = None  # a store file read by its path: verify all, run again
                continue
            raise QueryError(root, str(e)) from None
        except duckdb.CatalogException as e:
            absent = _NO_TABLE.search(str(e))
            name = absent.group(1).strip('"').lower() if absent else None
            if wanted is not None and name in {n.lower() for n in tables}:
                wanted = None  # a store table the parser did not see: every view, run again
                continue
            if absent and missing_table is not None:
                missing_table(absent.group(1).strip('"').lower())
            raise QueryError(root, str(e)) from None
        except duckdb.Error as e:
            raise QueryError(root, str(e)) from None
        finally:
            if done and key is not None:
                _POOL.give(key, con)  # a plain SELECT changed nothing in it: kept for reuse
            else:
                con.close()


#: What a SELECT can change in its connection: the random generator's seed.
_STATEFUL = re.compile(r"setseed", re.IGNORECASE)


def _read_only(sql: str) -> bool:
    """Whether ``sql`` is one SELECT statement that changes nothing in its connection, so
    the connection can serve the next query over the same files. Not EXPLAIN: ``EXPLAIN
    ANALYZE`` runs its statement (a macro, a variable, a table would outlive it); not a
    SELECT that reseeds ``random()``."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error:
        return False
    return (
        len(statements) == 1
        and statements[0].type == duckdb.StatementType.SELECT
        and not _STATEFUL.search(sql)
    )


def _pool_key(views: Mapping[str, list[str] | pa.Schema]) -> tuple:
    """What a connection's views are: each table's files (or schema, when it has none)."""
    return tuple(
        sorted(
            (name, tuple(v) if isinstance(v, list) else v.to_string()) for name, v in views.items()
        )
    )


class _Pool:
    """Locked-down connections kept for reuse, by their views (opening a DuckDB database
    costs about 20 ms, more than most queries). Only connections that ran one SELECT come
    back: nothing a user can do in a SELECT outlives it. Per process (never a connection
    from before a fork), least recently used first out, :data:`POOL_SIZE` idle at most."""

    def __init__(self) -> None:
        self._idle: dict[tuple, list] = {}
        self._order: list[tuple] = []  # keys, least recently given first
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def take(self, key: tuple):
        with self._lock:
            if self._pid != os.getpid():  # a forked child: forget the parent's connections
                self._idle, self._order, self._pid = {}, [], os.getpid()
            idle = self._idle.get(key)
            if not idle:
                return None
            con = idle.pop()
            self._order.remove(key)
            return con

    def give(self, key: tuple, con) -> None:
        with self._lock:
            if self._pid != os.getpid():
                return
            self._idle.setdefault(key, []).append(con)
            self._order.append(key)
            while len(self._order) > POOL_SIZE:
                old = self._order.pop(0)
                self._idle[old].pop(0).close()
                if not self._idle[old]:
                    del self._idle[old]

    def clear(self) -> None:
        with self._lock:
            for cons in self._idle.values():
                for con in cons:
                    con.close()
            self._idle, self._order = {}, []


#: Idle connections kept per process.
POOL_SIZE = 8
_POOL = _Pool()


def scan(
    root: Path,
    table: StoreTable,
    version: int,
    columns: Sequence[str],
    where: str,
    params: Mapping | None = None,
    schema: pa.Schema | None = None,
) -> pa.Table:
    """Selected columns of the rows of a table version matching a SQL condition, read by
    DuckDB from verified files on a locked-down connection (see :func:`query`).

    Raises
    ------
    CorruptionError
        A data file of the table is damaged.
    QueryError
        The condition is not valid SQL over the table's columns.
    """
    import duckdb

    schema = schema or table.schema
    if is_object_path(table.path):
        return _scan_objects(root, table, version, columns, where, params, schema)
    files = verified_paths(root, table, version)
    if not files:
        return pa.schema([schema.field(c) for c in columns]).empty_table()
    con = _connect({"t": files}, files)
    try:
        return con.sql(
            f"SELECT {', '.join(columns)} FROM t WHERE {where}", params=params
        ).to_arrow_table()
    except duckdb.Error as e:
        raise QueryError(root, f"scan of {table.name}: {e}") from None
    finally:
        con.close()


def _scan_objects(
    root, table: StoreTable, version: int, columns, where, params, schema: pa.Schema
) -> pa.Table:
    """:func:`scan` of a table on object storage: each file is fetched once (in parallel),
    verified from the bytes fetched (size, SHA-256, page checksums) and filtered at once, so
    no file is downloaded twice and only matching rows are kept."""
    from concurrent.futures import ThreadPoolExecutor

    import duckdb

    files = table.files(version)
    out_schema = pa.schema([schema.field(c) for c in columns])
    if not files:
        return out_schema.empty_table()
    needed = [c for c in schema.names if c in columns or re.search(rf"\b{c}\b", where)]
    select = f"SELECT {', '.join(columns)} FROM t WHERE {where}"

    def one(f: Mapping) -> pa.Table:
        path = table.path / f["path"]
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise _damaged(root, table, f, "missing") from None
        problem = _check_bytes(table, f, data)
        if problem is not None:
            raise _damaged(root, table, f, problem)
        rows = pq.read_table(
            pa.BufferReader(data), columns=needed, page_checksum_verification=True
        ).cast(pa.schema([schema.field(c) for c in needed]))
        con = _connect({"t": rows}, [])
        try:
            return con.sql(select, params=params).to_arrow_table()
        except duckdb.Error as e:
            raise QueryError(root, f"scan of {table.name}: {e}") from None
        finally:
            con.close()

    with ThreadPoolExecutor(min(PARALLEL, len(files))) as pool:
        parts = list(pool.map(one, files))
    return pa.concat_tables([p.cast(out_schema) for p in parts])


def _check_bytes(table: StoreTable, f: Mapping, data: bytes) -> str | None:
    """:func:`check_file` of a data file's fetched bytes: None if whole."""
    if len(data) != f["size"]:
        return f"size {len(data)} != {f['size']} recorded"
    digest = table.expected_digest(f["path"])
    if digest is not None and hashlib.sha256(data).hexdigest() != digest:
        return "checksum mismatch (SHA-256 of the file)"
    return None
