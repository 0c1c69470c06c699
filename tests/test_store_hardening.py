"""A store that stays right under concurrent writers, damage, maintenance and misuse.

One test (or a few) per way found to lose data, answer wrongly or break the store; each failed
before its fix. Real stores, real subprocesses, kill -9 at named crash points.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable
from helpers import SAMPLE_BROKEN, SAMPLE_OK, run_python

import workbench as wb
from workbench.errors import (
    CorruptionError,
    SchemaVersionError,
    StoreChangedError,
    StoreError,
    StoreNotFoundError,
)
from workbench.pipeline import generate, repair
from workbench.store import Store, open_store
from workbench.store.maintenance import NO_SIDECAR, compact, vacuum, verify
from workbench.store.migrations import fingerprint, migrate, rollback
from workbench.store.staging import session_dir

run = run_python


@pytest.fixture
def src(shared_src):
    """The sample, at the path ``full``'s store was ingested from."""
    return shared_src


@pytest.fixture
def full(full_store):
    """A v2 store with every module's CPG, written in several commits (8 modules each); a
    copy of one built once."""
    return full_store(8)


def assert_cpgs_equal(store: Store, proj) -> None:
    store = open_store(store.root)
    for rel, built in proj.cpgs.items():
        assert store.cpg(rel).equals(built), rel


def kill_a_cpg_write(store: Store, src: Path) -> None:
    """A write of every module's CPG, killed after its nodes and edges were committed to the
    Delta tables but before the store log names them."""
    code = f"""
        import workbench as wb
        from workbench.store import open_store
        store = open_store({str(store.root)!r})
        store.write_cpg(wb.build_project({str(src)!r}).cpgs.values())
    """
    assert run(code, crash="write_cpg.cpg_methods").returncode == -signal.SIGKILL


def data_file(store: Store, table: str, index: int = 0) -> Path:
    return Path(store.files(table)[index]["path"])


def sidecar(store: Store, table: str, path: Path) -> Path:
    return store.root / "_workbench" / "files" / table / f"{path.name}.json"


# -- 1. a module stuck without a CPG; commits from a stale snapshot -----------------------------


def test_a_module_skipped_because_its_source_changed_is_built_once_ingest_catches_up(tmp_path):
    """In a store that keeps no source bytes (made before they were kept), the workers read
    the files: one edited after ingest is left pending until ingest catches up."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text("def f():\n    return 1\n")
    (src / "b.py").write_text("def g():\n    return 2\n")
    store = Store.create(tmp_path / "s")
    store.ingest(src)
    with store.transaction("as an older version left it") as tx:
        tx.drop_table("sources")
    migrate(store)
    original = (src / "a.py").read_text()
    (src / "a.py").write_text(original + "x = 1\n")  # edited after ingest
    report = generate(store, workers=1, quiet=True)
    assert report.ok == 1 and report.failures[0]["error_type"] == "SourceChanged"
    assert store.modules().set_index("path").cpg_status["a.py"] == "pending"
    (src / "a.py").write_text(original)  # edit undone: ingest sees nothing to do
    assert store.ingest(src).unchanged == 2
    assert generate(store, workers=1, quiet=True).ok == 1  # not stuck
    assert store.cpg("a.py").methods.num_rows == 2


class _IngestMeanwhile:
    """An executor that runs each task, then lets another process's ingest land before the
    result reaches the committer (the race of a generation and an ingest of edited sources)."""

    def __init__(self, store_root: Path, src: Path) -> None:
        self.root, self.src, self.done = store_root, src, False

    def submit(self, fn, *args):
        from concurrent.futures import Future

        result = fn(*args)
        if not self.done:
            self.done = True
            (self.src / "bookshop" / "admin.py").unlink()
            (self.src / "bookshop" / "cli.py").write_text("def changed():\n    return 0\n")
            open_store(self.root).ingest(self.src)  # a different Store object: another writer
        f = Future()
        f.set_result(result)
        return f

    def shutdown(self, *a, **k):
        pass


def test_a_commit_never_overwrites_what_a_newer_ingest_did(v2, src, tmp_path):
    report = generate(
        v2, workers=1, batch_size=40, executor=_IngestMeanwhile(v2.root, src), quiet=True
    )
    assert report.superseded == 2  # admin.py removed, cli.py changed while they were built
    store = open_store(v2.root)
    mods = store.modules().set_index("path")
    assert "bookshop/admin.py" not in mods.index
    assert mods.cpg_status["bookshop/cli.py"] == "pending"
    keys = set(store.read_table("modules")["module"].to_pylist())
    for table in ("cpg_nodes", "cpg_edges", "cpg_methods", "cpg_graphs"):
        assert set(store.read_table(table)["module"].to_pylist()) <= keys, table
    assert generate(store, workers=1, quiet=True).ok == 1  # cli.py, from its new source
    clean = Store.create(tmp_path / "clean")
    clean.ingest(src)
    migrate(clean)
    generate(clean, workers=1, quiet=True)
    a, b = open_store(v2.root), open_store(clean.root)
    assert fingerprint(a) == fingerprint(b)
    for rel in a.modules().query("cpg_status == 'ok'").path:
        assert a.cpg(rel).equals(b.cpg(rel)), rel


# -- 2./3. repair trusts only intact data, and is one atomic operation --------------------------


def flip_module_column(path: Path) -> None:
    """Flip a byte inside the page data of the ``module`` column of the first row group."""
    rg = pq.ParquetFile(path).metadata.row_group(0)
    chunk = next(
        rg.column(i) for i in range(rg.num_columns) if rg.column(i).path_in_schema == "module"
    )
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data = bytearray(path.read_bytes())
    data[start + chunk.total_compressed_size - 3] ^= 0x55
    path.write_bytes(bytes(data))


def test_verify_names_a_damaged_files_modules_from_its_sidecar_not_its_bytes(full):
    store, proj = full
    path = data_file(store, "cpg_nodes", 1)
    held = sorted(set(pq.read_table(path, columns=["module"])["module"].to_pylist()))
    flip_module_column(path)
    report = verify(store)
    assert report.file.tolist() == [path.name]
    assert report.modules[0] == held
    done = repair(store)
    assert "rebuilt" in " ".join(done.action)
    assert verify(store).empty
    assert_cpgs_equal(store, proj)


def test_repair_of_a_legacy_file_keeps_the_undamaged_cpg_and_is_one_version(full):
    store, proj = full
    before, version = fingerprint(store), store.version
    path = data_file(store, "functions", 0)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    repair(store)
    assert verify(store).empty and fingerprint(store) == before
    assert store.version == version + 1 and store.history().operation.iloc[-1] == "repair"
    assert set(store.modules().query("parse_status == 'ok'").cpg_status) == {"ok"}
    assert_cpgs_equal(store, proj)


@pytest.mark.slow
def test_a_killed_repair_changes_nothing_and_a_rerun_finishes(full):
    store, proj = full
    before = fingerprint(store)
    path = data_file(store, "functions", 0)
    path.write_bytes(path.read_bytes()[:-64])
    code = f"""
        from workbench.pipeline import repair
        repair({str(store.root)!r})
    """
    assert run(code, crash="repair.before_log").returncode == -signal.SIGKILL
    assert verify(store).file.tolist() == [path.name]  # still damaged, nothing half-done
    repair(store)
    assert verify(store).empty and fingerprint(store) == before
    assert_cpgs_equal(store, proj)


def test_repair_without_source_says_what_it_cannot_restore_and_keeps_it(tmp_path, src):
    store = Store.create(tmp_path / "s")
    store.ingest(src)  # one version of the rows: nothing earlier to restore from
    path = data_file(store, "functions", 0)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    shutil.move(src, tmp_path / "elsewhere")
    done = repair(store)
    assert "NOT repaired" in " ".join(done.action)
    assert verify(store).file.tolist() == [path.name]  # left for a repair with --source
    done = repair(store, source=tmp_path / "elsewhere")
    assert verify(store).empty
    clean = Store.create(tmp_path / "clean")
    clean.ingest(tmp_path / "elsewhere")
    assert fingerprint(store) == fingerprint(clean)


# -- 4. vacuum respects the log and running operations -----------------------------------------


@pytest.mark.slow
def test_vacuum_after_a_killed_write_keeps_the_logged_version(full, src):
    store, proj = full
    kill_a_cpg_write(store, src)
    vacuum(open_store(store.root), retention_hours=0)
    assert verify(store).empty
    assert_cpgs_equal(store, proj)


def test_vacuum_never_takes_the_files_of_an_uncommitted_write(full):
    store, proj = full
    cpg = wb.build_cpg("def later():\n    return 1\n", path="extra/later.py")
    staged = store.stage("cpg_nodes", cpg.nodes)  # a worker's file, not committed yet
    vacuum(open_store(store.root), retention_hours=0)
    with store.transaction("late commit") as tx:
        tx.append("cpg_nodes", staged=[staged])
    assert verify(store).empty
    assert_cpgs_equal(store, proj)


def test_a_closed_or_dropped_session_leaves_no_folder_but_a_forked_copy_keeps_it(full):
    store, _ = full
    staging = store.root / "_workbench" / "staging"
    cpg = wb.build_cpg("x = 1\n", path="orphan.py")
    store.stage("cpg_nodes", cpg.nodes)
    folder = staging / store.session_id
    assert list(folder.glob("cpg_nodes/*.parquet"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((folder / "lock").stat().st_mode) == 0o644 & ~umask  # not executable
    with pytest.raises(ValueError, match=r"bad staging session id '\.\./x'"):
        session_dir(store.root, "../x")  # a worker is never pointed outside the staging area
    store.close()  # uncommitted files go with the session
    assert not folder.exists()

    store = open_store(store.root)
    store.stage("cpg_nodes", cpg.nodes)
    folder = staging / store.session_id
    pid = os.fork()
    if pid == 0:  # a forked worker drops its copy of the session: the parent's stays
        store._session.__del__()
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    assert list(folder.glob("cpg_nodes/*.parquet"))
    session, store._session = store._session, None
    del session  # dropped without close in its own process: its folder goes
    gc.collect()
    assert not folder.exists()


@pytest.mark.slow
def test_uncommitted_files_of_a_dead_process_are_removed_by_the_next_writer(full):
    store, _ = full
    code = f"""
        import os, signal
        import workbench as wb
        from workbench.store import open_store
        store = open_store({str(store.root)!r})
        cpg = wb.build_cpg("x = 1\\n", path="orphan.py")
        store.stage("cpg_nodes", cpg.nodes)
        print(store.session_id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """
    p = run(code)
    session = p.stdout.strip()
    folder = store.root / "_workbench" / "staging" / session
    assert p.returncode == -signal.SIGKILL
    (staged,) = folder.glob("cpg_nodes/*.parquet")
    assert sidecar(store, "cpg_nodes", staged).exists()  # its digest, beside the table's
    store.set_flag("cpg", True)  # any write
    assert not folder.exists() and not sidecar(store, "cpg_nodes", staged).exists()
    assert verify(store).empty


@pytest.mark.slow
def test_recovery_keeps_the_folders_of_tables_a_migration_moved(full, src):
    store, proj = full
    rollback(store)
    migrate(store)
    moved = store._log.latest().dirs
    assert moved  # the new CPG tables are in new folders: the old ones are time travel's
    kill_a_cpg_write(store, src)
    store = open_store(store.root)
    store.write_cpg([proj.cpgs["bookshop/pricing.py"]])  # recovers first
    log = store._log
    recovered = [log.read(v) for v in log.versions() if log.read(v).operation == "recover"]
    assert len(recovered) == 1 and recovered[0].dirs == moved
    assert verify(store).empty
    assert store.cpg("bookshop/pricing.py").equals(proj.cpgs["bookshop/pricing.py"])


@pytest.mark.slow
def test_a_crash_does_not_make_later_writes_restore_untouched_tables(full, src):
    store, _ = full
    kill_a_cpg_write(store, src)
    for value in (False, True, False, True):
        open_store(store.root).set_flag("cpg", value)
    restores = [h["operation"] for h in DeltaTable(str(store.root / "cpg_nodes")).history()].count(
        "RESTORE"
    )
    assert restores == 1  # the one recovery, not one per later write
    ops = store.refresh().history().operation.tolist()
    assert ops.count("recover") == 1


# -- 6./12. time travel across rollback; open stores across another process's rollback ---------


def test_every_logged_version_reads_right_after_rollback_and_migrate(full, src):
    store, proj = full
    version = store.version
    nodes = store.read_table("cpg_nodes").num_rows
    rollback(store)
    migrate(store)
    store.write_cpg([proj.cpgs["bookshop/pricing.py"]])
    old = store.at(version)
    assert old.read_table("cpg_nodes").num_rows == nodes
    for rel, built in proj.cpgs.items():
        assert old.cpg(rel).equals(built), rel
    assert store.read_table("cpg_graphs").num_rows == 1  # the new CPG tables: one module
    # vacuum reports every file it deletes: old files of the tables, and the folders of the
    # CPG tables rollback dropped
    log = store._log
    entry = log.read(version)
    dropped = {entry.dir(n) for n in entry.tables} - {log.latest().dir(n) for n in store.tables}
    assert dropped
    dropped_files = [f for d in dropped for f in (store.root / d).rglob("*.parquet")]
    old_files = [
        DeltaTable(str(store.root / log.latest().dir(n))).vacuum(
            retention_hours=0, dry_run=True, enforce_retention_duration=False, full=True
        )
        for n in store.tables
    ]
    removed = vacuum(store, retention_hours=0)
    assert removed == len(dropped_files) + sum(map(len, old_files))
    assert not any((store.root / d).exists() for d in dropped)
    with pytest.raises(StoreChangedError, match="vacuum"):
        store.at(version)
    assert store.cpg("bookshop/pricing.py").equals(proj.cpgs["bookshop/pricing.py"])


@pytest.mark.slow
def test_an_open_store_reads_its_snapshot_across_a_rollback_elsewhere(full):
    store, proj = full
    reader = open_store(store.root)
    assert (
        run(
            f"from workbench.store import open_store, migrations\n"
            f"migrations.rollback(open_store({str(store.root)!r}))"
        ).returncode
        == 0
    )
    assert reader.cpg("bookshop/pricing.py").equals(proj.cpgs["bookshop/pricing.py"])
    vacuum(open_store(store.root), retention_hours=0)
    reader._tables.clear()  # a fresh read of the (now vacuumed) snapshot
    with pytest.raises(StoreChangedError, match="refresh"):
        reader.read_table("cpg_nodes")
    assert reader.refresh().schema_version == 1


SLOW_BUILDER = """
import time
import workbench as wb

def slow(data, path, limits):
    time.sleep(0.15)
    return wb.build_cpg(data, path, limits=limits)
"""


@pytest.mark.slow
def test_rollback_during_generation_stops_it_cleanly(v2, tmp_path):
    (tmp_path / "slowbuild.py").write_text(SLOW_BUILDER)
    code = f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from slowbuild import slow
        from workbench.errors import StoreChangedError
        from workbench.pipeline import generate
        from workbench.store import open_store
        try:
            generate(open_store({str(v2.root)!r}), workers=1, batch_size=1, commit_every=2,
                     builder=slow, quiet=True)
        except StoreChangedError as e:
            print("stopped:", e)
            sys.exit(3)
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while "generate" not in open_store(v2.root).history().operation.tolist():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        rollback(open_store(v2.root))
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 3 and "switched off" in out
    store = open_store(v2.root)
    assert store.schema_version == 1 and verify(store).empty


# -- 11. damaged metadata ----------------------------------------------------------------------


def latest_entry(store: Store) -> Path:
    return sorted((store.root / "_workbench" / "log").glob("*.json"))[-1]


@pytest.mark.parametrize("damage", ["garbage", "empty", "deleted"])
def test_a_damaged_or_deleted_latest_log_entry_is_refused_then_rebuilt(full, damage):
    store, proj = full
    before = fingerprint(store)
    entry = latest_entry(store)
    if damage == "garbage":
        entry.write_text('{"version": 1, "tab')
    elif damage == "empty":
        entry.write_text("")
    else:
        entry.unlink()
    kept = entry.read_bytes() if entry.exists() else None
    with pytest.raises(CorruptionError, match="workbench repair"):
        open_store(store.root)
    report = verify(store.root)
    assert report.table.tolist() == ["_workbench"] and report.modules.tolist() == [[]]
    assert report.file[0] == f"log/{entry.name}"
    if damage == "deleted":
        assert report.problem[0] == "missing (deleted?)"
    else:
        damaged = rf"store log entry {int(entry.stem)} is damaged \(.+\): run `workbench repair`.*"
        assert re.fullmatch(damaged, report.problem[0])
    done = repair(store.root)
    assert done.columns.tolist() == ["table", "file", "action", "modules"]
    assert set(done.table) == {"_workbench"} and done.action.str.len().gt(0).all()
    aside = store.root / "_workbench" / "log" / "damaged" / entry.name
    assert (aside.read_bytes() if aside.exists() else None) == kept  # kept for a post-mortem
    store = open_store(store.root)
    assert verify(store).empty and fingerprint(store) == before
    assert store.history().operation.iloc[-1] == "repair-log"
    assert_cpgs_equal(store, proj)


def test_a_write_to_a_store_whose_log_was_deleted_under_it_is_refused(v1):
    shutil.rmtree(v1.root / "_workbench" / "log")
    with pytest.raises(
        StoreNotFoundError, match=r"not a workbench store \(no _workbench/log\)"
    ) as raised:
        v1.set_flag("cpg", True)
    assert raised.value.path == str(v1.root)


def test_a_log_entry_of_a_newer_workbench_is_refused_and_left_alone(full):
    store, _ = full
    entry = latest_entry(store)
    data = json.loads(entry.read_text())
    data["lease"] = {"holder": "a newer writer"}
    entry.write_text(json.dumps(data))
    with pytest.raises(SchemaVersionError, match="newer workbench"):
        open_store(store.root)
    with pytest.raises(SchemaVersionError):
        repair(store.root)
    assert json.loads(entry.read_text())["lease"]  # untouched


def test_a_damaged_delta_log_commit_is_found_and_the_table_rebuilt(full):
    store, proj = full
    damage_newest_commit(store, "cpg_methods")
    report = verify(store)
    assert report.table.tolist() == ["cpg_methods"] and report.file[0] == "_delta_log"
    assert report.modules.tolist() == [[]]  # a list, as for every row
    problem = report.problem[0]  # Delta's own words, one line (no Rust backtrace)
    assert "json" in problem.lower() and "\n" not in problem and len(problem) <= 200
    repair(store)
    assert verify(store).empty
    assert_cpgs_equal(store, proj)


def test_deleted_sidecars_are_found_and_rewritten(full):
    store, proj = full
    files = store.root / "_workbench" / "files"
    lost = {p.relative_to(files): p.read_bytes() for p in sorted(files.rglob("*")) if p.is_file()}
    shutil.rmtree(files)
    report = verify(store)
    assert len(report) and set(report.problem) == {NO_SIDECAR}
    done = repair(store)
    assert done[["table", "file"]].values.tolist() == report[["table", "file"]].values.tolist()
    assert set(done.action) == {"sidecar rewritten from the intact file"}
    assert verify(store).empty
    # the sidecars of the current files, as they were: each file's hash and its modules
    back = {p.relative_to(files): p.read_bytes() for p in sorted(files.rglob("*")) if p.is_file()}
    assert back and {k: lost.get(k) for k in back} == back
    assert_cpgs_equal(store, proj)


@pytest.mark.parametrize("damaged", ["a later write", "the second migration"])
def test_a_rebuilt_log_names_the_folders_the_tables_are_in(v2, damaged):
    """Tables a migration re-created live in new folders (``cpg_nodes.2``): the rebuilt entry
    keeps the folders of the newest readable entry, and takes the newest folder on disk only
    for tables that entry does not have."""
    rollback(v2)
    migrate(v2)  # the CPG tables again, in new folders
    moved = dict(v2._log.latest().dirs)
    assert moved["cpg_nodes"] == "cpg_nodes.2"
    if damaged == "a later write":
        v2.set_flag("cpg", False)
        # a newer incarnation on disk that no entry names (an interrupted migration's)
        shutil.copytree(v2.root / "cpg_nodes.2", v2.root / "cpg_nodes.3")
    good = v2.version - 1
    latest_entry(v2).write_text("{garbage")
    repair(v2.root)
    entry = open_store(v2.root)._log.latest()
    assert entry.operation == "repair-log" and entry.details == {"rebuilt": True, "after": good}
    assert {n: entry.dir(n) for n in moved} == moved
    store = open_store(v2.root)
    assert (store.schema_version, store.flags["cpg"]) == (2, True)
    assert verify(store).empty


def test_a_damaged_file_without_its_sidecar_is_named_with_the_modules_of_its_key_range(full):
    """Never read from damaged bytes: the modules are the store's modules within the file's
    key range (from the Delta log's statistics)."""
    store, proj = full
    f = data_file(store, "cpg_nodes")
    held = json.loads(sidecar(store, "cpg_nodes", f).read_text())["modules"]
    sidecar(store, "cpg_nodes", f).unlink()
    f.write_bytes(f.read_bytes()[:100])
    report = verify(store)
    assert report.table.tolist() == ["cpg_nodes"] and report.file.tolist() == [f.name]
    named = report.modules[0]
    known = set(store.read_table("modules")["module"].to_pylist())
    assert set(held) <= set(named) <= known and named == sorted(named)
    repair(store)
    assert verify(store).empty
    assert_cpgs_equal(store, proj)


def test_a_deleted_workbench_folder_is_refused_then_rebuilt(full):
    store, proj = full
    before = fingerprint(store)
    shutil.rmtree(store.root / "_workbench")
    with pytest.raises(StoreNotFoundError, match="workbench repair"):
        open_store(store.root)
    report = verify(store.root)
    assert report.to_dict("records") == [
        {
            "table": "_workbench",
            "file": "log",
            "problem": "the store log is gone; the tables are there",
            "modules": [],
        }
    ]
    repair(store.root)
    store = open_store(store.root)
    assert store.schema_version == 2 and store.flags["cpg"] is True
    assert verify(store).empty and fingerprint(store) == before
    assert_cpgs_equal(store, proj)


def test_a_log_cannot_be_rebuilt_without_the_modules_table_and_nothing_is_touched(v2):
    shutil.rmtree(v2.root / "_workbench")
    shutil.rmtree(v2.root / "modules")

    def tables():  # every file but the write lock's
        return sorted(p for p in v2.root.rglob("*") if "_workbench" not in p.parts)

    before = tables()
    with pytest.raises(CorruptionError, match="modules table, which says the schema") as err:
        repair(v2.root)
    assert err.value.path == str(v2.root)
    assert tables() == before
    assert not (v2.root / "_workbench" / "log").exists()


def test_a_rebuilt_log_keeps_the_flags_of_the_newest_readable_entry(full):
    """Same schema as the tables: the flags of the entry before the damage stand (a CPG
    switched off stays off); only a schema change says what the flag must be."""
    store, _ = full
    compact(store.set_flag("cpg", False))
    assert store.history().operation.iloc[-2:].tolist() == ["set_flag", "compact"]
    latest_entry(store).write_text("{garbage")
    repair(store.root)
    store = open_store(store.root)
    assert (store.schema_version, store.flags["cpg"]) == (2, False)
    assert store.history().operation.iloc[-1] == "repair-log"


@pytest.mark.slow
def test_a_store_killed_during_create_can_be_created_again(tmp_path, src):
    root = tmp_path / "s"
    code = f"from workbench.store import Store\nStore.create({str(root)!r})"
    assert run(code, crash="create.before_log").returncode == -signal.SIGKILL
    with pytest.raises(StoreNotFoundError, match="interrupted"):
        open_store(root)
    store = Store.create(root)
    store.ingest(src)
    assert len(store.modules()) == SAMPLE_OK + SAMPLE_BROKEN


def damage_newest_commit(store: Store, table: str) -> None:
    sorted((store.root / table / "_delta_log").glob("*.json"))[-1].write_text("{garbage")


@contextlib.contextmanager
def moved_away(path: Path):
    """``path`` is gone for the block (a source tree deleted or unmounted), then back."""
    hidden = path.with_name(path.name + "-away")
    path.rename(hidden)
    try:
        yield
    finally:
        hidden.rename(path)


def test_a_damaged_legacy_log_is_refused_without_source_then_rebuilt_from_it(full):
    store, proj = full
    source = store.last_source()
    before = fingerprint(store)
    damage_newest_commit(store, "modules")
    report = verify(store)
    assert report.table.tolist() == ["modules"] and report.file[0] == "_delta_log"
    with moved_away(source):
        with pytest.raises(StoreError, match="no source to rebuild it from") as err:
            repair(store)
        assert err.value.path == str(store.root)
        assert verify(store).table.tolist() == ["modules"]  # nothing was changed
    done = repair(store)
    assert ("modules", "_delta_log") in set(zip(done.table, done.file, strict=True))
    assert "re-created" in " ".join(done.action) and "re-parsed" in " ".join(done.action)
    store = open_store(store.root)
    assert verify(store).empty and fingerprint(store) == before
    assert_cpgs_equal(store, proj)


def test_a_damaged_sources_log_without_source_is_recreated_empty_and_refilled_by_ingest(full):
    store, _ = full
    source = store.last_source()
    before = fingerprint(store)
    damage_newest_commit(store, "sources")
    with moved_away(source):
        done = repair(store)
    (row,) = done[done.file == "_delta_log"].itertuples()
    assert (row.table, row.action) == (
        "sources",
        "unreadable: re-created empty (no source to re-read)",
    )
    store = open_store(store.root)
    assert verify(store).empty and store.read_table("sources").num_rows == 0
    assert fingerprint(store) == before  # the AST repository is untouched
    store.ingest(source)  # the next ingest keeps the bytes again
    kept = store.read_table("sources")["module"].to_pylist()
    assert sorted(kept) == sorted(store.modules().module) and verify(store).empty


@pytest.mark.parametrize("name", ["my store", "st<o>re #1", "störe", "<img src=x onerror=1>"])
def test_a_store_under_a_path_with_spaces_markup_or_non_ascii_reads_back(tmp_path, src, name):
    # deltalake hands out data files as percent-encoded URIs; the store reads their real paths
    store = Store.create(tmp_path / name)
    store.ingest(src)
    assert len(store.modules()) == len(open_store(tmp_path / name).modules()) > 0
    migrate(store)
    report = generate(store, workers=1, quiet=True)
    plain = Store.create(tmp_path / "plain")
    plain.ingest(src)
    migrate(plain)
    expected = generate(plain, workers=1, quiet=True)  # the same source under a plain path
    assert (report.ok, report.failed) == (expected.ok, expected.failed) and report.ok > 0
    again = open_store(tmp_path / name)
    assert again.schema_version == 2 and len(again.read_table("cpg_nodes")) > 0
    assert verify(again).empty
