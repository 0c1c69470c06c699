"""Stores on object storage: an S3-compatible server (moto, in server mode on 127.0.0.1) that
the tests start, and the store at ``s3://<bucket>/...`` on it.

The whole life of a store runs there (ingest, migrate, generate with worker processes that
see nothing but the store, SQL, rollback, time travel); the log's put-if-absent and the lease
that serialises writers are checked with racing and killed processes.
"""

from __future__ import annotations

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
from workbench.errors import StoreBusyError, StoreNotFoundError
from workbench.store import migrations
from workbench.store.log import StoreLog, write_lock
from workbench.store.maintenance import compact, verify
from workbench.store.objects import Lease, LeaseHeld, ObjectPath, store_root
from workbench.store.store import Store, open_store

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
    with pytest.raises(LeaseHeld):
        Lease(key, seconds=0.6).acquire(wait=False)
    first._stop.set()  # the owner stalls: no more renewals
    first._thread.join()
    time.sleep(0.8)
    second = Lease(key, seconds=30)
    second.acquire(wait=False)  # expired: taken over
    first._stop.clear()
    first._renew_once()
    assert first.lost
    first.release()  # must not free the new owner's lease
    with pytest.raises(LeaseHeld):
        Lease(key, seconds=30).acquire(wait=False)
    second.release()
    third = Lease(key, seconds=30)
    third.acquire(wait=False)
    third.release()


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
