"""Interrupted operations, concurrent readers and writers, on real stores in subprocesses."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers import run_python

import workbench as wb
from workbench.store import Store, open_store
from workbench.store.migrations import fingerprint, migrate, rollback

pytestmark = pytest.mark.slow  # writers killed with kill -9, concurrent processes

SAMPLE = Path(__file__).parent.parent / "data" / "sample_project"


run = run_python


def counts(store: Store) -> dict:
    df = store.sql(
        "SELECT g.module, g.nodes AS declared, count(n.id) AS actual FROM cpg_graphs g "
        "LEFT JOIN cpg_nodes n ON n.module = g.module GROUP BY g.module, g.nodes"
    )
    return {r.module: (r.declared, r.actual) for r in df.itertuples()}


@pytest.mark.parametrize(
    "point",
    [
        "migrate.create.cpg_nodes",
        "migrate.create.telemetry",
        "migrate.modules",
        "migrate.before_log",
    ],
)
def test_kill_during_migrate_leaves_v1_and_rerun_finishes(v1, point):
    before = fingerprint(v1)
    p = run(
        f"from workbench.store import open_store, migrations\n"
        f"migrations.migrate(open_store({str(v1.root)!r}))",
        crash=point,
    )
    assert p.returncode == -signal.SIGKILL, p.stderr
    store = open_store(v1.root)
    assert (store.schema_version, store.flags["cpg"]) == (1, False)
    assert fingerprint(store) == before
    assert "cpg_status" not in store.modules().columns
    assert migrate(store).equal.all()
    assert store.schema_version == 2 and fingerprint(store) == before
    assert set(store.modules().cpg_status) == {"pending"}


@pytest.mark.parametrize("point", ["rollback.modules", "rollback.before_log"])
def test_kill_during_rollback_leaves_v2_and_rerun_finishes(v1, src, point):
    migrate(v1)
    v1.write_cpg(wb.build_project(src).cpgs.values())
    before = fingerprint(v1)
    p = run(
        f"from workbench.store import open_store, migrations\n"
        f"migrations.rollback(open_store({str(v1.root)!r}))",
        crash=point,
    )
    assert p.returncode == -signal.SIGKILL, p.stderr
    store = open_store(v1.root)
    assert store.schema_version == 2
    assert store.cpg("bookshop/pricing.py").methods.num_rows == 3
    assert rollback(store).equal.all()
    assert store.schema_version == 1 and fingerprint(store) == before


@pytest.mark.parametrize(
    "point", ["write_cpg.cpg_nodes", "write_cpg.cpg_methods", "write_cpg.before_log"]
)
def test_kill_during_cpg_write_is_invisible_and_rerun_has_no_duplicates(v1, src, point):
    migrate(v1)
    proj = wb.build_project(src)
    first = {k: v for k, v in proj.cpgs.items() if "pricing" in k}
    v1.write_cpg(first.values())
    code = f"""
        import workbench as wb
        from workbench.store import open_store
        store = open_store({str(v1.root)!r})
        store.write_cpg(wb.build_project({str(src)!r}).cpgs.values())
    """
    p = run(code, crash=point)
    assert p.returncode == -signal.SIGKILL, p.stderr
    store = open_store(v1.root)
    assert set(counts(store)) == {proj.cpgs["bookshop/pricing.py"].module.key}
    assert store.cpg("bookshop/pricing.py").equals(proj.cpgs["bookshop/pricing.py"])
    assert run(code).returncode == 0
    store.refresh()
    c = counts(store)
    assert len(c) == len(proj.cpgs) and all(d == a for d, a in c.values())
    for rel, built in proj.cpgs.items():
        assert store.cpg(rel).equals(built)


def test_kill_during_ingest(v1, src):
    before = fingerprint(v1)
    (src / "bookshop" / "admin.py").write_text("def changed():\n    pass\n")
    code = (
        f"from workbench.store import open_store\nopen_store({str(v1.root)!r}).ingest({str(src)!r})"
    )
    assert run(code, crash="ingest.modules").returncode == -signal.SIGKILL
    assert fingerprint(open_store(v1.root)) == before
    assert run(code).returncode == 0
    assert "changed" in open_store(v1.root).functions("bookshop/admin.py").qualname.tolist()


def test_kill_at_random_moments_of_a_writer(v1, src):
    migrate(v1)
    code = f"""
        import workbench as wb
        from workbench.store import open_store
        store = open_store({str(v1.root)!r})
        cpgs = list(wb.build_project({str(src)!r}).cpgs.values())
        while True:
            for c in cpgs:
                store.write_cpg([c])
    """
    rng = random.Random(7)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)])
        time.sleep(1.0 + rng.random() * 1.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        store = open_store(v1.root)
        c = counts(store)
        assert all(d == a for d, a in c.values()), c  # whole modules only
    store.write_cpg(wb.build_project(src).cpgs.values())
    assert all(d == a for d, a in counts(store).values())


def test_readers_see_whole_snapshots_while_a_writer_writes(v1, src):
    migrate(v1)
    small = "def f():\n    return 1\n"
    large = "".join(f"def f{i}(x):\n    if x:\n        return {i}\n" for i in range(40))
    code = f"""
        import workbench as wb
        from workbench.store import open_store
        store = open_store({str(v1.root)!r})
        a = wb.build_cpg({small!r}, path="bookshop/admin.py")
        b = wb.build_cpg({large!r}, path="bookshop/admin.py")
        for i in range(30):
            store.write_cpg([a if i % 2 else b])
    """
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)])
    seen = set()
    try:
        while proc.poll() is None:
            store = open_store(v1.root)
            try:
                cpg = store.cpg("bookshop/admin.py")
            except wb.errors.NotFoundError:
                continue  # not written yet
            row = store.read_table("cpg_graphs").to_pylist()[0]
            assert cpg.nodes.num_rows == row["nodes"]
            assert cpg.methods.num_rows in (2, 41)
            seen.add(cpg.methods.num_rows)
    finally:
        proc.wait()
    assert proc.returncode == 0
    assert seen  # the reader did read during the writes


def test_two_writer_processes(v1, src):
    migrate(v1)
    proj = wb.build_project(src)
    paths = sorted(proj.cpgs)
    code = """
        import sys, workbench as wb
        from workbench.store import open_store
        store = open_store(sys.argv[1])
        proj = wb.build_project(sys.argv[2])
        for rel in sys.argv[3:]:
            store.write_cpg([proj.cpgs[rel]])
    """
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), str(v1.root), str(src), *paths[i::2]]
        )
        for i in range(2)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    store = open_store(v1.root)
    c = counts(store)
    assert len(c) == len(paths) and all(d == a for d, a in c.values())
    assert len(store.history()) == 3 + len(paths)  # create, ingest, migrate, one per write
