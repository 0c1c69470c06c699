"""SQL over a store: damaged files never answer, user SQL reaches only the store's tables,
reads do not write or wait, and errors are the workbench's own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import workbench as wb
from workbench.cli import app
from workbench.errors import (
    CorruptionError,
    FeatureDisabledError,
    QueryError,
    StoreError,
    WorkbenchError,
)
from workbench.pipeline.link import relink
from workbench.store import open_store
from workbench.store import sql as store_sql

runner = CliRunner()


# -- damaged files ---------------------------------------------------------------------------


def flip_silently(path: Path) -> None:
    """Flip one bit in page data of ``path`` such that DuckDB, reading the file on its own,
    returns different rows without an error while pyarrow's page checksums catch it: the
    damage DuckDB cannot see."""
    original = path.read_bytes()
    good = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()
    meta = pq.ParquetFile(path).metadata.row_group(0)
    for col in range(meta.num_columns):
        chunk = meta.column(col)
        start = chunk.dictionary_page_offset or chunk.data_page_offset
        for offset in range(start + 24, start + chunk.total_compressed_size):
            damaged = bytearray(original)
            damaged[offset] ^= 0x01
            path.write_bytes(damaged)
            try:
                rows = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()
            except duckdb.Error:
                continue
            if rows == good:
                continue
            try:
                pq.read_table(path, page_checksum_verification=True)
            except OSError:
                return  # damaged, checksum-detectably, and DuckDB answers anyway
    path.write_bytes(original)
    raise AssertionError(f"no byte of {path} is damaged silently for DuckDB")


def data_file(store, table: str) -> tuple[Path, list[int]]:
    """A data file of ``table`` and the module keys its sidecar lists."""
    f = Path(store.files(table)[0]["path"])
    side = json.loads((store.root / "_workbench" / "files" / table / f"{f.name}.json").read_text())
    return f, side["modules"]


def test_sql_refuses_a_silently_damaged_file(v1):
    path, modules = data_file(v1, "functions")
    flip_silently(path)
    with pytest.raises(CorruptionError, match=path.name):  # verified first, as SQL is
        v1.read_table("functions")
    with pytest.raises(CorruptionError) as err:
        v1.sql("SELECT qualname, line FROM functions")
    msg = str(err.value)
    assert "functions" in msg and path.name in msg
    assert all(str(k) in msg for k in modules)
    assert "workbench repair" in msg


def test_sql_refuses_damage_found_by_page_checksums_without_a_sidecar(v1):
    path, _ = data_file(v1, "functions")
    (v1.root / "_workbench" / "files" / "functions" / f"{path.name}.json").unlink()
    flip_silently(path)
    f = v1.files("functions")[0]
    with pytest.raises(CorruptionError, match=path.name) as err:
        v1.sql("SELECT count(*) FROM functions")
    assert f"{f['min']}..{f['max']}" in str(err.value)  # key range from the Delta log


def test_cli_sql_on_a_damaged_file_fails_naming_file_and_modules(v1):
    path, modules = data_file(v1, "functions")
    flip_silently(path)
    result = runner.invoke(app, ["sql", "SELECT * FROM functions", "--store", str(v1.root)])
    assert result.exit_code != 0
    assert "error:" in result.output and path.name in result.output
    assert str(modules[0]) in result.output


def test_a_file_damaged_after_it_was_verified_is_refused(v1):
    assert len(v1.sql("SELECT * FROM functions"))  # verified and cached
    path, _ = data_file(v1, "functions")
    flip_silently(path)  # rewrites the file: a new mtime
    with pytest.raises(CorruptionError, match=path.name):
        v1.sql("SELECT * FROM functions")


def test_relinking_refuses_a_damaged_file(v2, src):
    v2.write_cpg(wb.build_project(src).cpgs.values())
    path = Path(next(f["path"] for f in v2.files("cpg_nodes")))
    flip_silently(path)
    version = v2.version
    with pytest.raises(CorruptionError, match=path.name), v2.transaction("link") as tx:
        relink(tx)
    assert open_store(v2.root).version == version


def test_files_are_verified_once_per_process(v1, monkeypatch):
    store_sql.forget_verified()
    calls = []
    check = store_sql.check_file
    monkeypatch.setattr(store_sql, "check_file", lambda *a: calls.append(a) or check(*a))
    v1.sql("SELECT count(*) FROM functions")
    first = len(calls)
    assert first >= 1
    for _ in range(3):
        v1.sql("SELECT count(*) FROM functions")
        open_store(v1.root).sql("SELECT count(*) FROM functions")
    assert len(calls) == first


def test_only_the_tables_a_query_reads_are_verified(v1, monkeypatch):
    store_sql.forget_verified()
    checked = []
    check = store_sql.check_file
    monkeypatch.setattr(store_sql, "check_file", lambda t, f: checked.append(t.name) or check(t, f))
    v1.sql("SELECT count(*) FROM modules")
    assert set(checked) == {"modules"}
    # a table named where the parser cannot see it: refused until verified, then read
    n = v1.sql("SELECT count(*) AS n FROM query_table('functions')").n[0]
    assert n == len(v1.functions()) and "functions" in checked


def test_a_parameterised_query_reads_only_its_tables(v2, monkeypatch):
    """Placeholders don't make every table a view (a view reads all its files' footers)."""
    store_sql.forget_verified()
    checked = []
    check = store_sql.check_file
    monkeypatch.setattr(store_sql, "check_file", lambda t, f: checked.append(t.name) or check(t, f))
    path = v2.modules().path[0]
    for query, params in (
        ("SELECT name FROM modules WHERE path = ?", [path]),
        ("SELECT name FROM modules WHERE path = $p", {"p": path}),
    ):
        assert len(v2.sql(query, params)) == 1
    assert set(checked) == {"modules"}


# -- what user SQL may do ----------------------------------------------------------------


def store_files(store) -> dict[str, int]:
    return {
        str(p.relative_to(store.root)): p.stat().st_mtime_ns
        for p in store.root.rglob("*")
        if p.is_file()
    }


def refused(store, query: str, params=None) -> QueryError:
    before, version = store_files(store), store.version
    with pytest.raises(QueryError) as err:
        store.sql(query, params)
    assert store_files(store) == before and open_store(store.root).version == version
    return err.value


def test_copy_to_writes_no_file(v1, tmp_path):
    out = tmp_path / "out.csv"
    err = refused(v1, f"COPY (SELECT * FROM modules) TO '{out}'")
    assert "Permission" in str(err)
    assert not out.exists()
    refused(v1, f"COPY modules TO '{tmp_path / 'out.parquet'}' (FORMAT parquet)")
    assert not (tmp_path / "out.parquet").exists()


def test_export_database_writes_nothing(v1, tmp_path):
    refused(v1, f"EXPORT DATABASE '{tmp_path / 'exported'}'")
    assert not (tmp_path / "exported").exists()


def test_attach_creates_no_database(v1, tmp_path):
    db = tmp_path / "new.duckdb"
    refused(v1, f"ATTACH '{db}' AS other")
    refused(v1, f"ATTACH '{db}' AS other; CREATE TABLE other.t AS SELECT * FROM modules")
    assert not db.exists() and not Path(f"{db}.wal").exists()


@pytest.mark.parametrize(
    "function", ["read_csv", "read_text", "read_blob", "read_json", "sniff_csv", "glob"]
)
def test_system_files_cannot_be_read(v1, function):
    err = refused(v1, f"SELECT * FROM {function}('/etc/passwd')")
    assert "Permission Error" in str(err) and "/etc/passwd" in str(err)


def test_parquet_outside_the_store_cannot_be_read(v1, tmp_path):
    outside = tmp_path / "outside.parquet"
    pq.write_table(pa.table({"secret": [1, 2, 3]}), outside)
    refused(v1, f"SELECT * FROM read_parquet('{outside}')")
    refused(v1, "SELECT * FROM read_parquet(?)", [str(outside)])


def test_replaced_files_of_the_store_cannot_be_read_directly(v1, src):
    old = v1.files("functions")[0]["path"]
    (src / "bookshop" / "pricing.py").write_text("def cheaper(x):\n    return x\n")
    v1.ingest(src)
    assert old not in {f["path"] for f in v1.files("functions")}
    assert Path(old).exists()  # kept for time travel, but not part of this version
    refused(v1, f"SELECT * FROM read_parquet('{old}')")


def test_install_fails_and_installs_nothing(v1):
    ext_dir = Path.home() / ".duckdb" / "extensions"
    before = sorted(ext_dir.rglob("*")) if ext_dir.exists() else []
    refused(v1, "INSTALL httpfs")
    refused(v1, "FORCE INSTALL spatial")
    after = sorted(ext_dir.rglob("*")) if ext_dir.exists() else []
    assert after == before


def test_load_fails(v1, tmp_path):
    assert "disabled" in str(refused(v1, "LOAD httpfs"))
    fake = tmp_path / "evil.duckdb_extension"
    fake.write_bytes(b"\0" * 64)
    assert "disabled" in str(refused(v1, f"LOAD '{fake}'"))


@pytest.mark.parametrize(
    "statement",
    [
        "SET enable_external_access = true",
        "SET GLOBAL enable_external_access = true",
        "RESET enable_external_access",
        "SET lock_configuration = false",
        "RESET lock_configuration",
        "SET allowed_paths = ['/etc/passwd']",
        "SET allowed_directories = ['/']",
        "SET autoinstall_known_extensions = true",
        "SET python_enable_replacements = true",
        "PRAGMA threads = 1",
    ],
)
def test_the_lock_down_cannot_be_undone(v1, statement):
    err = refused(v1, statement)
    assert "locked" in str(err)
    refused(v1, f"{statement}; SELECT * FROM read_csv('/etc/passwd')")


def test_created_tables_and_inserts_persist_nothing(v1):
    before, version = store_files(v1), v1.version
    df = v1.sql(
        "CREATE TABLE t AS SELECT path FROM modules; INSERT INTO t VALUES ('x'); "
        "CREATE OR REPLACE VIEW modules AS SELECT 42 AS answer; "
        "SELECT count(*) AS n FROM t"
    )
    assert df.n[0] == len(v1.modules()) + 1
    refused(v1, "SELECT * FROM t")
    assert "path" in v1.sql("SELECT * FROM modules").columns  # the view is the store's again
    assert store_files(v1) == before and open_store(v1.root).version == version


def test_parameters_stay_bound(v1):
    evil = "x' UNION SELECT path FROM modules --"
    assert len(v1.sql("SELECT path FROM modules WHERE path = ?", [evil])) == 0
    assert len(v1.sql("SELECT path FROM modules WHERE path = $p", {"p": evil})) == 0
    one = v1.modules().path[0]
    assert v1.sql("SELECT path FROM modules WHERE path = $p", {"p": one}).path.tolist() == [one]


# -- reads never write or wait -------------------------------------------------------------

HOLD = 20.0


@pytest.fixture
def held_lock(v2):
    """Another process holding the store's write lock (as a running ingest does)."""
    code = f"""
        import sys, time
        from pathlib import Path
        from workbench.store.log import write_lock
        with write_lock(Path({str(v2.root)!r})):
            print("locked", flush=True)
            time.sleep({HOLD})
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def reads_of(store) -> dict[int, int]:
    return {r["module"]: r["reads"] for r in store.read_table("access_stats").to_pylist()}


def test_sql_during_a_write_neither_waits_nor_adds_a_version(v2, held_lock, monkeypatch):
    import workbench.store.store as store_module

    monkeypatch.setattr(store_module, "AUTO_FLUSH_READS", 3)  # enough reads to persist
    version = v2.version
    t = time.perf_counter()
    for _ in range(4):
        df = v2.sql("SELECT module, path FROM modules")
    v2.functions("bookshop/pricing.py")
    v2.close()
    elapsed = time.perf_counter() - t
    assert elapsed < HOLD / 4, elapsed
    assert open_store(v2.root).version == version
    held_lock.kill()
    held_lock.wait()
    store = open_store(v2.root)
    store.flush_reads()  # a later writer persists what the reads counted
    assert store.version == version + 1
    reads = reads_of(store)
    pricing = store.module_key("bookshop/pricing.py")
    assert reads[pricing] == 5
    assert all(reads[k] == 4 for k in df.module if k != pricing)
    assert store.history().operation.tolist().count("access") == 1
    assert not list((store.root / "_workbench" / "reads").iterdir())  # merged, then removed
    store.functions("bookshop/pricing.py")
    store.close()  # added to the stored counts
    assert reads_of(open_store(v2.root))[pricing] == 6


def test_cli_sql_during_a_write_returns_promptly(v2, held_lock):
    version = v2.version
    t = time.perf_counter()
    result = runner.invoke(app, ["sql", "SELECT module FROM modules", "--store", str(v2.root)])
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - t < HOLD / 4
    assert open_store(v2.root).version == version


def test_many_queries_add_one_version(v2):
    version = v2.version
    for _ in range(20):
        v2.sql("SELECT module FROM modules")
    assert open_store(v2.root).version == version  # counted in memory
    v2.close()
    store = open_store(v2.root)
    assert store.version == version + 1
    assert set(reads_of(store).values()) == {20}


@pytest.mark.slow
def test_counts_of_a_store_never_closed_persist(v2):
    code = f"""
        from workbench.store import open_store
        store = open_store({str(v2.root)!r})
        store.functions("bookshop/admin.py")
        store.functions("bookshop/admin.py")
    """  # exits without close()
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    store = open_store(v2.root)
    store.flush_reads()
    assert reads_of(store) == {store.module_key("bookshop/admin.py"): 2}


# -- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["cpg_nodes", "CPG_EDGES", "access_stats"])
def test_cpg_tables_on_a_v1_store_say_how_to_switch_cpg_on(v1, table):
    with pytest.raises(FeatureDisabledError, match="workbench migrate --store"):
        v1.sql(f"SELECT count(*) FROM {table}")
    result = runner.invoke(app, ["sql", f"SELECT * FROM {table}", "--store", str(v1.root)])
    assert result.exit_code == 2
    assert "CPG support is off" in result.output and "Did you mean" not in result.output


def test_duckdb_errors_are_query_errors(v1):
    with pytest.raises(QueryError, match="syntax error") as err:
        v1.sql("SELEC 1")
    assert isinstance(err.value, StoreError) and isinstance(err.value, WorkbenchError)
    with pytest.raises(QueryError, match="no_such_column"):
        v1.sql("SELECT no_such_column FROM modules")
    result = runner.invoke(app, ["sql", "SELEC 1", "--store", str(v1.root)])
    assert result.exit_code == 2 and result.output.startswith("error: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "query",
    [
        "SHOW TABLES",
        "PRAGMA show_tables",
        "SELECT table_name AS name FROM information_schema.tables",
        "SELECT table_name AS name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()",
    ],
)
def test_catalog_queries_see_every_table(v1, query):
    names = set(v1.sql(query).iloc[:, 0])
    assert {"modules", "functions"} <= names


def test_a_current_store_file_can_be_read_by_its_path(v1):
    path = v1.files("functions")[0]["path"]
    n = v1.sql("SELECT count(*) AS n FROM read_parquet(?)", [path]).n[0]
    assert n == v1.files("functions")[0]["rows"]


# -- connections kept for reuse ----------------------------------------------------------------


def test_a_select_reuses_a_connection_and_nothing_else_does(v1, monkeypatch):
    """Opening a DuckDB database costs more than most queries: a connection that ran one
    SELECT serves the next query over the same files; any other statement's is closed."""
    store_sql.forget_verified()
    opened = []
    real = store_sql._connect
    monkeypatch.setattr(store_sql, "_connect", lambda *a: opened.append(1) or real(*a))
    for _ in range(3):
        v1.sql("SELECT count(*) AS n FROM functions")
    assert len(opened) == 1
    v1.sql("SET VARIABLE secret = 42")  # state in a connection: never handed on
    v1.sql("CREATE TABLE mine AS SELECT 1 AS x; SELECT * FROM mine")
    assert v1.sql("SELECT getvariable('secret') AS v FROM functions LIMIT 1").v.isna().all()
    with pytest.raises(QueryError, match="mine"):
        v1.sql("SELECT * FROM mine, functions")
    assert len(opened) == 3  # the SET and the CREATE each had a connection of their own


def test_a_reused_connection_sees_a_new_store_version(v1, src):
    """Connections are kept by the files their views read: a new version's files get
    another one, never stale rows."""
    assert v1.sql("SELECT count(*) AS n FROM modules").n[0] == len(v1.modules())
    (src / "extra_module.py").write_text("def added():\n    return 1\n")
    v1.ingest(src)
    assert v1.sql("SELECT count(*) AS n FROM modules").n[0] == len(v1.modules())
    assert "extra_module.py" in v1.sql("SELECT path FROM modules").path.tolist()


@pytest.mark.parametrize(
    "setup, probe, clean",
    [
        (
            "EXPLAIN ANALYZE CREATE MACRO lower(x) AS 'pwned'",
            "SELECT lower('A') AS v FROM functions LIMIT 1",
            "a",
        ),
        (
            "EXPLAIN ANALYZE SET VARIABLE v = 'leak'",
            "SELECT getvariable('v') AS v FROM functions LIMIT 1",
            None,
        ),
        (
            "EXPLAIN ANALYZE CREATE SEQUENCE seq",
            "SELECT count(*) AS v FROM duckdb_sequences(), functions",
            0,
        ),
    ],
)
def test_nothing_a_query_runs_reaches_the_next_one(v1, setup, probe, clean):
    """EXPLAIN ANALYZE runs its statement: its connection is never handed on (review
    finding: a macro shadowing a builtin changed later answers)."""
    v1.sql("SELECT count(*) AS n FROM functions")  # a pooled connection exists
    v1.sql(setup)
    value = v1.sql(probe).v[0]
    assert (value is None or value != value) if clean is None else value == clean


def test_a_reseeded_generator_is_not_handed_on(v1):
    con = duckdb.connect()
    con.execute("SELECT setseed(0.5)")
    seeded = con.execute("SELECT random()").fetchone()[0]  # what a reseeded connection draws
    con.close()
    v1.sql("SELECT setseed(0.5) AS s FROM functions LIMIT 1")
    assert float(v1.sql("SELECT random() AS r FROM functions LIMIT 1").r[0]) != seeded
