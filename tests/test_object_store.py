"""Stores on object storage: an S3-compatible server (moto, in server mode on 127.0.0.1) that
the tests start, and the store at ``s3://<bucket>/...`` on it.

The whole life of a store runs there (ingest, migrate, generate with worker processes that
see nothing but the store, SQL, rollback, time travel); the log's put-if-absent and the lease
that serialises writers are checked with racing and killed processes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workbench.cli import app
from workbench.errors import StoreBusyError, StoreExistsError, StoreNotFoundError
from workbench.store import migrations, objects
from workbench.store.log import StoreLog, write_lock
from workbench.store.maintenance import compact, verify
from workbench.store.objects import Lease, LeaseHeld, ObjectPath, store_root
from workbench.store.staging import Session
from workbench.store.store import Store, copy_store, open_store

pytestmark = pytest.mark.xdist_group("s3")


def _tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("")
    (src / "pkg" / "calc.py").write_text(
        "def add(a, b):\n    return a + b\n\n\ndef twice(x):\n    return add(x, x)\n"
    )
    (src / "main.py").write_text("from pkg.calc import twice\n\nprint(twice(2))\n")
    return src


def test_urls_name_object_stores_and_bad_ones_are_clear_errors():
    root = store_root("s3://bucket/a/b/")
    assert isinstance(root, ObjectPath) and str(root) == "s3://bucket/a/b"
    assert str(root / "_workbench" / "log") == "s3://bucket/a/b/_workbench/log"
    assert (root / "t" / "x.json").parent == root / "t" and root.name == "b"
    assert store_root("file:///tmp/s") == Path("/tmp/s")
    assert store_root("relative/dir") == Path("relative/dir")
    with pytest.raises(ValueError, match="no bucket"):
        store_root("s3://")
    with pytest.raises(StoreNotFoundError, match="no bucket"):
        open_store("s3:///prefix")
    with pytest.raises(TypeError):  # never silently a local path named "s3:"
        Path(root)


@pytest.mark.slow
def test_a_store_lives_its_whole_life_on_s3(bucket, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"s3://{bucket}/stores/demo"
    src = _tree(tmp_path)
    store = Store.create(url)
    assert store.root == store_root(url)
    report = store.ingest(src)
    assert sorted(report.added) == ["main.py", "pkg/__init__.py", "pkg/calc.py"]
    assert store.sql("SELECT count(*) AS n FROM functions").n.item() == 2
    before = migrations.fingerprint(store)
    migrations.migrate(store)
    assert store.schema_version == 2

    # the workers see the store only: the tree is gone, the bytes come from `sources`
    shutil.move(src, tmp_path / "elsewhere")
    gen = store.generate(workers=2, quiet=True)
    assert (gen.ok, gen.failed) == (3, 0), gen.failures
    cpg = open_store(url).cpg("pkg/calc.py")
    assert {"add", "twice"} <= set(cpg.methods.to_pandas().name)
    calls = store.sql("SELECT count(*) AS n FROM cpg_edges WHERE kind = 'CALL'").n.item()
    assert calls >= 2
    migrated = store.version

    migrations.rollback(store)
    assert store.schema_version == 1 and not store.flags["cpg"]
    assert migrations.fingerprint(store) == before  # the exact pre-CPG state
    old = store.at(migrated)  # time travel to the CPG version
    assert old.flags["cpg"] and old.cpg("pkg/calc.py").nodes.num_rows == cpg.nodes.num_rows
    ops = store.history().operation.tolist()
    assert ops[:3] == ["create", "ingest", "migrate"] and ops[-1] == "rollback"
    problems = verify(store)
    assert problems.empty, problems.to_dict("records")
    compact(store)
    assert verify(store).empty and store.sql("SELECT count(*) AS n FROM functions").n.item() == 2

    result = CliRunner().invoke(app, ["sql", "SELECT path FROM modules ORDER BY 1", "--store", url])
    assert result.exit_code == 0, result.output
    assert "pkg/calc.py" in result.output
    assert not any(p.name.startswith("s3") for p in tmp_path.iterdir())  # nothing local
    store.close()


def test_two_writers_of_one_log_entry_one_wins(bucket):
    root = store_root(f"s3://{bucket}/s")
    log_a, log_b = StoreLog(root), StoreLog(root)
    a = log_a.append(None, operation="create", tables={}, schema_version=1, flags={})
    with pytest.raises(FileExistsError):
        log_b.append(None, operation="create", tables={"x": 0}, schema_version=1, flags={})
    assert log_a.versions() == [0] and log_b.read(0) == a


def test_a_head_marker_that_cannot_be_written_costs_nothing(bucket, monkeypatch):
    root = store_root(f"s3://{bucket}/head")
    log = StoreLog(root)
    a = log.append(None, operation="create", tables={}, schema_version=1, flags={})
    write_text = ObjectPath.write_text

    def refuse_head(self, text, *args, **kwargs):
        if self.name == "HEAD":
            raise OSError(503, "Slow Down")
        return write_text(self, text, *args, **kwargs)

    monkeypatch.setattr(ObjectPath, "write_text", refuse_head)
    b = log.append(a, operation="next", tables={}, schema_version=1, flags={})
    assert log.latest() == b and log.head() == 0  # a marker only: the entry stands


def test_a_staging_session_holds_its_lease_until_closed_once_or_twice(bucket):
    root = store_root(f"s3://{bucket}/sessions")
    session = Session(root)
    (session.dir / "cpg_nodes" / "a.parquet").write_bytes(b"staged")
    with pytest.raises(LeaseHeld):
        Lease(session.dir / "lock").acquire(wait=False)  # alive: no other writer takes it
    session.close()
    assert not session.dir.is_dir()  # its staged files went with it
    session.close()  # a second close is a no-op


def test_a_session_whose_files_cannot_be_deleted_still_closes(bucket, monkeypatch):
    """Best effort: a refused delete leaves the staged files to the next writer."""
    from workbench.store.staging import remove_dead_sessions

    root = store_root(f"s3://{bucket}/refused")
    session = Session(root)
    (session.dir / "cpg_nodes" / "a.parquet").write_bytes(b"staged")
    delete = objects.delete_objects

    def refuse_staged(paths):
        if any(p.name == "a.parquet" for p in paths):
            raise OSError(503, "Slow Down")
        return delete(paths)

    monkeypatch.setattr(objects, "delete_objects", refuse_staged)
    session.close()  # no error: the lease is released all the same
    assert (session.dir / "cpg_nodes" / "a.parquet").exists()
    monkeypatch.undo()
    assert remove_dead_sessions(root) == [session.id]
    assert not session.dir.is_dir()


def _child(code: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        text=True,
    )


def test_the_write_lock_is_exclusive_across_processes(bucket):
    root = f"s3://{bucket}/s"
    child = _child(
        f"""
        import time
        from workbench.store.log import write_lock
        from workbench.store.objects import store_root
        with write_lock(store_root({root!r})):
            print("held", flush=True)
            time.sleep(3)
        print("released", flush=True)
        """
    )
    try:
        assert child.stdout.readline().strip() == "held"
        with (
            pytest.raises(StoreBusyError, match="another process is writing"),
            write_lock(store_root(root), wait=False),
        ):
            pass
        t0 = time.monotonic()
        with write_lock(store_root(root)):  # waits for the other writer
            assert child.poll() is not None or child.stdout.readline().strip() == "released"
        assert time.monotonic() - t0 < 30
    finally:
        child.kill()
        child.wait()


def test_the_lease_of_a_killed_writer_expires_and_is_taken_over(bucket):
    root = f"s3://{bucket}/s"
    child = _child(
        f"""
        import time
        from workbench.store.log import write_lock
        from workbench.store.objects import store_root
        with write_lock(store_root({root!r})):
            print("held", flush=True)
            time.sleep(60)
        """,
        {"WORKBENCH_LEASE_SECONDS": "2"},
    )
    try:
        assert child.stdout.readline().strip() == "held"
        time.sleep(1.5)  # renewed meanwhile (every 2/3 s): still held
        with pytest.raises(StoreBusyError), write_lock(store_root(root), wait=False):
            pass
        child.send_signal(signal.SIGKILL)
        child.wait()
        t0 = time.monotonic()
        with write_lock(store_root(root)):
            waited = time.monotonic() - t0
        assert waited < 10
    finally:
        child.kill()
        child.wait()


def test_a_lease_taken_over_is_lost_to_its_stalled_owner(bucket):
    key = store_root(f"s3://{bucket}/lease")
    first = Lease(key, seconds=0.6)
    first.acquire()
    assert first.valid(margin=0)
    with pytest.raises(LeaseHeld):
        Lease(key, seconds=0.6).acquire(wait=False)
    first._stop.set()  # the owner stalls: no more renewals
    first._thread.join()
    second = Lease(key, seconds=30)
    t0 = time.monotonic()
    second.acquire()  # unchanged for a whole period (0.6 s, as its owner declared): taken
    assert time.monotonic() - t0 >= 0.6
    assert not first.valid(margin=0)  # its own clock says so, before any request
    first._renew_once()
    assert first.lost  # the conditional renewal is refused
    first.release()  # must not free the new owner's lease
    with pytest.raises(LeaseHeld):
        Lease(key, seconds=30).acquire(wait=False)
    second.release()
    third = Lease(key, seconds=30)
    third.acquire(wait=False)  # released: free at once
    third.release()


def test_a_renewed_lease_is_never_taken_whatever_its_owners_clock_says(bucket, monkeypatch):
    key = store_root(f"s3://{bucket}/lease")
    owner = Lease(key, seconds=0.6)
    real = Lease._body

    def slow_clock(self, *, released=False):  # an owner whose clock is an hour behind
        data = json.loads(real(self, released=released))
        data["expires"] -= 3600
        return json.dumps(data).encode()

    monkeypatch.setattr(owner, "_body", slow_clock.__get__(owner))
    owner.acquire()
    other = Lease(key, seconds=0.6)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:  # three lease periods of trying
        with pytest.raises(LeaseHeld):
            other.acquire(wait=False)
        time.sleep(0.05)
    owner.release()
    other.acquire(wait=False)
    other.release()


def test_a_writer_whose_lease_ran_out_refuses_to_commit(bucket, monkeypatch):
    store = Store.create(f"s3://{bucket}/s")
    monkeypatch.setattr(objects, "LEASE_SECONDS", 0.9)
    monkeypatch.setattr(Lease, "_renew_once", lambda self: True)  # renewals stall
    with pytest.raises(StoreBusyError, match="lease ran out"), store.transaction("flag") as tx:
        tx.set_flag("cpg", True)
        time.sleep(1.0)
    again = open_store(f"s3://{bucket}/s")
    assert again.version == 0 and not again.flags["cpg"]  # nothing was changed
    store.close()


def test_a_stalled_writers_refused_commit_never_becomes_visible(bucket, monkeypatch):
    """A writer that stalls past its lease is taken over; when it wakes up its Delta commit
    still lands, but its log entry is refused. The writer that took over, on its next
    transaction, undoes that commit instead of building on it (a review found a shortcut
    that let it through)."""
    from test_transaction import keys, module_rows

    url = f"s3://{bucket}/s"
    a = Store.create(url)
    a.set_flag("cpg", True)
    monkeypatch.setattr(objects, "LEASE_SECONDS", 2.0)
    real = Lease._renew_once
    monkeypatch.setattr(Lease, "_renew_once", lambda self: True)  # b stalls
    b = open_store(url)
    late = b.transaction("late")
    tx = late.__enter__()
    with a.transaction("takes over") as t:  # after a whole lease period
        t.replace_modules("modules", keys("a.py"), module_rows("a.py"))
    monkeypatch.setattr(Lease, "_renew_once", real)
    tx.replace_modules("modules", keys("b.py"), module_rows("b.py"))  # b wakes up
    with pytest.raises(StoreBusyError, match="lease ran out"):
        late.__exit__(None, None, None)
    with a.transaction("next") as t:
        t.replace_modules("modules", keys("c.py"), module_rows("c.py"))
    again = open_store(url)
    assert sorted(again.read_table("modules")["path"].to_pylist()) == ["a.py", "c.py"]
    assert "recover" in again.history().operation.tolist()
    assert verify(again).empty
    for s in (a, b, again):
        s.close()


@pytest.mark.parametrize(
    "url",
    ["s3://b/team#1/s", "s3://b/50%25/s", "s3://b/s?x=1", "s3://b/a//s", "s3://b/a/../s"],
)
def test_urls_delta_would_read_otherwise_are_refused(url):
    with pytest.raises(ValueError):
        store_root(url)
    with pytest.raises(StoreNotFoundError):
        open_store(url)
    result = CliRunner().invoke(app, ["status", "--store", url])
    assert result.exit_code == 2 and "Invalid value for '--store'" in result.output


def test_a_forking_pool_for_an_object_store_is_refused(bucket):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    store = Store.create(f"s3://{bucket}/s")
    with (
        ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool,
        pytest.raises(ValueError) as err,
    ):
        store.generate(executor=pool, quiet=True)
    assert str(err.value) == (
        f"the store {store.root} is on object storage: its workers cannot be forked from this "
        "process; give a ProcessPoolExecutor with mp_context=multiprocessing.get_context('spawn') "
        "(or no executor)"
    )
    store.close()


def test_a_worker_without_the_environment_reaches_the_store_with_the_committers(
    bucket, tmp_path, monkeypatch
):
    # a Dask worker on another machine has no AWS_* variables: build_batch is given them
    from workbench.pipeline.sources import files_for, source_files
    from workbench.pipeline.worker import build_batch

    url = f"s3://{bucket}/s"
    store = Store.create(url)
    store.ingest(_tree(tmp_path))
    migrations.migrate(store)
    mods = store.modules().set_index("path")
    item = (int(mods.module["pkg/calc.py"]), "pkg/calc.py", mods.content_hash["pkg/calc.py"])
    files = files_for(source_files(store), [item[0]])
    storage = objects.storage_env()
    store.close()
    for name in storage:
        monkeypatch.delenv(name)
    out = build_batch(url, None, [item], 10**6, source_files=files, storage=storage)
    assert [(r["status"], r["error_message"]) for r in out["results"]] == [("ok", None)]
    assert out["files"] and objects.storage_env() == storage


@pytest.mark.slow
def test_a_writer_killed_mid_ingest_leaves_the_store_as_it_was(bucket, tmp_path):
    url = f"s3://{bucket}/s"
    src = _tree(tmp_path)
    store = Store.create(url)
    store.ingest(src)
    before = migrations.fingerprint(store)
    (src / "pkg" / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (src / "new.py").write_text("x = 1\n")
    child = _child(
        f"""
        from workbench.store.store import open_store
        open_store({url!r}).ingest({str(src)!r})
        """,
        {"WORKBENCH_CRASHPOINT": "ingest.modules", "WORKBENCH_LEASE_SECONDS": "2"},
    )
    assert child.wait(timeout=120) == -signal.SIGKILL
    again = open_store(url)
    assert again.version == store.version  # the killed ingest never became a version
    assert migrations.fingerprint(again) == before
    report = again.ingest(src)  # the next writer takes the lease over and recovers first
    assert report.added == ["new.py"] and report.changed == ["pkg/calc.py"]
    assert "recover" in again.history().operation.tolist()
    assert sorted(again.modules().path) == ["main.py", "new.py", "pkg/__init__.py", "pkg/calc.py"]
    store.close()
    again.close()


@pytest.mark.slow
def test_two_processes_ingesting_at_once_are_serialised(bucket, tmp_path):
    url = f"s3://{bucket}/s"
    Store.create(url).close()
    trees = []
    for i in range(2):
        src = tmp_path / f"src{i}"
        src.mkdir()
        for j in range(5):
            (src / f"m{i}_{j}.py").write_text(f"def f{j}():\n    return {i}\n")
        trees.append(src)
    kids = [
        _child(
            f"""
            from workbench.store.store import open_store
            s = open_store({url!r})
            print(s.ingest({str(src)!r}).added, flush=True)
            s.close()
            """
        )
        for src in trees
    ]
    for k in kids:
        assert k.wait(timeout=180) == 0
    store = open_store(url)
    hist = store.history()
    assert hist.operation.tolist() == ["create", "ingest", "ingest"]
    assert hist.version.tolist() == [0, 1, 2]
    # each ingest saw its own tree: the second one replaced the first's modules, and both
    # commits are in the log in the order they took the lock
    assert len(store.at(1).modules()) == 5 and len(store.modules()) == 5
    store.close()


@pytest.mark.slow
def test_a_generation_killed_before_its_commit_is_undone_by_the_next_writer(bucket, tmp_path):
    url = f"s3://{bucket}/s"
    store = Store.create(url)
    store.ingest(_tree(tmp_path))
    migrations.migrate(store)
    before = store.version
    child = _child(
        f"""
        from workbench.store.store import open_store
        open_store({url!r}).generate(workers=2, quiet=True)
        """,
        {"WORKBENCH_CRASHPOINT": "generate.before_log", "WORKBENCH_LEASE_SECONDS": "2"},
    )
    assert child.wait(timeout=180) == -signal.SIGKILL
    staging = store_root(url) / "_workbench" / "staging"
    dead = {p.name for p in staging.iterdir()}  # the dead committer's session
    assert len(dead) == 1
    again = open_store(url)
    assert again.version == before
    nodes = again._table("cpg_nodes", again.schema_version)
    assert nodes.latest_version() > again.tables["cpg_nodes"]  # committed, never logged
    assert set(again.modules().cpg_status) == {"pending"}
    report = again.generate(workers=2, quiet=True)  # takes the expired lease over, recovers
    assert (report.ok, report.failed) == (3, 0)
    assert "recover" in again.history().operation.tolist()
    # a writer removes the dead session once it has seen its lease unchanged for the lease's
    # period (2 s): the run may have ended sooner, a later transaction then does it
    deadline = time.monotonic() + 60
    while dead & {p.name for p in staging.iterdir()} and time.monotonic() < deadline:
        time.sleep(0.5)
        with again.transaction("look"):
            pass
    assert not dead & {p.name for p in staging.iterdir()}
    assert verify(again).empty
    store.close()
    again.close()  # ends its own session
    assert not staging.is_dir()


def test_a_store_is_copied_between_a_disk_and_object_storage(bucket, tmp_path):
    local = Store.create(tmp_path / "a")
    local.ingest(_tree(tmp_path))
    up = copy_store(tmp_path / "a", f"s3://{bucket}/copy")
    down = copy_store(f"s3://{bucket}/copy", tmp_path / "b")
    for copy in (up, down):
        assert copy.history().equals(local.history())
        assert migrations.fingerprint(copy) == migrations.fingerprint(local)
        assert verify(copy).empty
    with pytest.raises(StoreExistsError):  # never over another store
        copy_store(tmp_path / "a", f"s3://{bucket}/copy")
    for s in (local, up, down):
        s.close()


@pytest.mark.slow
def test_the_phase1_notebook_runs_on_an_s3_store(bucket, tmp_path):
    from helpers import SAMPLE_BROKEN, SAMPLE_MODULES, SAMPLE_OK
    from test_notebooks import SAMPLE, assert_ran_cleanly, execute

    url = f"s3://{bucket}/demo"
    executed = execute(
        "phase1_foundation.ipynb", tmp_path, source_dir=str(SAMPLE), store_dir=url, workers=2
    )
    assert_ran_cleanly(executed)
    metrics = json.loads((tmp_path / "phase1_metrics.json").read_text())
    assert (metrics["modules"], metrics["cpg_ok"], metrics["cpg_failed"]) == (
        SAMPLE_MODULES,
        SAMPLE_OK,
        SAMPLE_BROKEN,
    )
    assert metrics["rollback_rehearsal_ok"] and metrics["legacy_queries_unchanged"]
    store = open_store(url)
    assert store.schema_version == 2
    assert not (store_root(url).parent / "demo-rollback-rehearsal").exists()  # removed after
    store.close()


def test_a_damaged_data_file_on_s3_is_named_and_nothing_is_read_from_it(bucket, tmp_path):
    from workbench.errors import CorruptionError

    store = Store.create(f"s3://{bucket}/s")
    store.ingest(_tree(tmp_path))
    with store.transaction("look") as tx:
        rows = tx.scan("functions", ["qualname"], "line > $n", {"n": 0})
    assert sorted(rows["qualname"].to_pylist()) == ["add", "twice"]
    (f,) = store.files("functions")
    path = store_root(f["path"])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, the size unchanged
    path.write_bytes(bytes(data))
    with (
        pytest.raises(CorruptionError, match="checksum mismatch") as err,
        store.transaction("look") as tx,
    ):
        tx.scan("functions", ["qualname"], "line > 0")
    assert err.value.table == "functions" and len(err.value.modules) == 1
    assert set(verify(store).table) == {"functions"}
    store.close()
