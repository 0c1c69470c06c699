"""The project's promises, each checked so that breaking it fails a test for the right reason.

Each test here was written against a mutant (one changed line) that the rest of the suite let
through: the migration verifier, the legacy fingerprint, recovery's clean-up of unlisted table
folders, the scheduler's handling of broken pools and failing executors, rebuilds on a new
generator version, the worker's check of the source it builds, and def-use chains in dead code.
``make mutate`` (``benchmarks/mutation.py``) runs such mutants over the whole of those modules.
"""

from __future__ import annotations

import collections
import errno
import json
import os
import re
import signal
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from helpers import SAMPLE_BROKEN, SAMPLE_MODULES, SAMPLE_OK, Graph, run_python

import workbench as wb
from workbench.errors import SchemaVersionError
from workbench.passes.reaching_defs import DEF, USE, reaching_definitions
from workbench.pipeline import builds as builds_module
from workbench.pipeline import generate, plan, scheduler
from workbench.pipeline.sources import files_for, source_files
from workbench.pipeline.worker import build_batch
from workbench.store import migrations as mig
from workbench.store import open_store
from workbench.store.maintenance import verify
from workbench.store.migrations import MigrationError, fingerprint, migrate, rollback
from workbench.store.staging import session_dir

# -- the migration verifier -------------------------------------------------------------------


def _retitle_one_function(tx, *, move: bool = False) -> None:
    """Change one legacy cell (a function's name), keeping every row count; with ``move``, a
    second column's cell too (its line)."""
    table = tx.read("functions")
    rows = table.to_pylist()
    rows[0]["name"] = rows[0]["name"] + "_changed"
    if move:
        rows[0]["line"] += 1
    tx.rewrite("functions", pa.Table.from_pylist(rows, schema=table.schema))


def _with_steps(monkeypatch, up=None, down=None) -> None:
    real = mig.MIGRATIONS[0]
    step = mig.Migration(
        real.source, real.target, real.name, real.plan, up or real.up, down or real.down
    )
    monkeypatch.setattr(mig, "MIGRATIONS", [step])


def test_an_up_step_that_alters_one_legacy_cell_is_refused_and_the_store_stays_v1(v1, monkeypatch):
    before = fingerprint(v1)
    history = len(v1.history())

    def up(tx):
        mig._up_v2(tx)
        _retitle_one_function(tx)

    _with_steps(monkeypatch, up=up)
    with pytest.raises(
        MigrationError, match=r"legacy data would change \(functions\.name\); nothing done"
    ):
        migrate(v1)
    store = open_store(v1.root)
    assert (store.schema_version, store.flags["cpg"]) == (1, False)
    assert fingerprint(store) == before
    assert len(store.history()) == history  # nothing was committed
    assert "cpg_nodes" not in store.tables


def test_a_down_step_that_alters_legacy_cells_is_refused_and_the_store_stays_v2(v2, monkeypatch):
    before = fingerprint(v2)

    def down(tx):
        mig._down_v2(tx)
        _retitle_one_function(tx, move=True)

    _with_steps(monkeypatch, down=down)
    with pytest.raises(MigrationError) as raised:
        rollback(v2)
    assert raised.value.message == (
        "legacy data would change (functions.name, functions.line); nothing done"
    ) and raised.value.path == str(v2.root)
    store = open_store(v2.root)
    assert (store.schema_version, store.flags["cpg"]) == (2, True)
    assert fingerprint(store) == before


def test_the_fingerprint_notices_one_changed_cell_and_only_in_its_column(v1):
    before = fingerprint(v1)
    with v1.transaction("edit") as tx:
        _retitle_one_function(tx)
    after = fingerprint(v1)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {("functions", "name")}
    assert before[("functions", "name")][0] == after[("functions", "name")][0]  # same rows
    report = mig._report(before, after)
    assert report[~report.equal][["table", "column"]].values.tolist() == [["functions", "name"]]


def test_the_verification_table_compares_counts_and_hashes(v1):
    fp = fingerprint(v1)
    key = ("functions", "name")
    n, h = fp[key]
    for other in ((n, "0" * 64), (n + 1, h)):
        report = mig._report(fp, {**fp, key: other})
        assert report[~report.equal][["table", "column"]].values.tolist() == [list(key)]
    assert mig._report(fp, dict(fp)).equal.all()


# -- recovery ---------------------------------------------------------------------------------


def _table_folders(root) -> set[str]:
    return {p.name for p in root.iterdir() if (p / "_delta_log").is_dir()}


@pytest.mark.slow  # a fresh interpreter killed with kill -9
def test_recovery_removes_table_folders_the_log_does_not_list(v1):
    before = _table_folders(v1.root)
    code = f"""
        from workbench.store import open_store, migrations
        migrations.migrate(open_store({str(v1.root)!r}))
    """
    p = run_python(code, crash="migrate.create.telemetry")
    assert p.returncode == -signal.SIGKILL, p.stderr
    orphans = _table_folders(v1.root) - before
    assert "cpg_nodes" in orphans  # the interrupted migration created tables nobody logged
    store = open_store(v1.root)
    with store.transaction("noop"):  # the next writer recovers, even one that writes nothing
        pass
    assert _table_folders(v1.root) == before
    migrate(store)
    assert verify(store).empty


def test_recovery_keeps_what_is_not_an_orphan_table(v2):
    from workbench.store.recovery import recover, remove_unreferenced_folders

    notes = v2.root / "notes"  # not a table: no Delta log
    notes.mkdir()
    hidden = v2.root / ".cache" / "_delta_log"
    hidden.mkdir(parents=True)
    private = v2.root / "_exports" / "_delta_log"  # a name the store never gives a table
    private.mkdir(parents=True)
    rollback(v2)  # the CPG tables' folders stay for time travel to the v2 versions
    kept = _table_folders(v2.root)
    assert "cpg_nodes" in kept
    entry = recover(open_store(v2.root))
    assert entry.operation == "rollback"  # nothing to restore: no recover entry
    assert _table_folders(v2.root) == kept and notes.is_dir() and hidden.is_dir()
    orphan = v2.root / "orphan" / "_delta_log"
    orphan.mkdir(parents=True)
    assert remove_unreferenced_folders(open_store(v2.root), entry) == ["orphan"]
    assert _table_folders(v2.root) == kept and private.is_dir() and hidden.is_dir()


@pytest.mark.slow  # a fresh interpreter killed with kill -9
def test_recovery_restores_tables_and_says_so_in_the_log(v2, src):
    code = f"""
        import workbench as wb
        from workbench.store import open_store
        open_store({str(v2.root)!r}).write_cpg(wb.build_project({str(src)!r}).cpgs.values())
    """
    assert run_python(code, crash="write_cpg.cpg_methods").returncode == -signal.SIGKILL
    store = open_store(v2.root)
    version = store.version
    from workbench.store.recovery import recover

    entry = recover(store)
    assert entry.operation == "recover" and entry.version == version + 1
    assert entry.details == {
        "restored": ["cpg_edges", "cpg_methods", "cpg_nodes"],
        "after": "migrate",
    }
    assert recover(store) == entry  # done once
    assert store.refresh().read_table("cpg_nodes").num_rows == 0


# -- the scheduler: broken pools and failing executors -----------------------------------------


class _Pool:
    """A process pool stand-in, running tasks in this process, that breaks as a real one does
    when a batch holds ``culprit`` (a module that kills its worker): that batch's future fails
    with ``BrokenProcessPool``, as does every batch sent to the pool after it broke."""

    made: ClassVar[list[_Pool]] = []

    def __init__(self, culprit: str) -> None:
        self.culprit = culprit
        self.broken = False
        self.lost = 0
        self.ran: list[list[str]] = []
        _Pool.made.append(self)
        if len(_Pool.made) > 20:  # a failure, not an endless run (or the memory it eats)
            raise AssertionError(
                f"{len(_Pool.made)} pools made: a module that kills its worker is retried "
                "for ever instead of failing"
            )

    def submit(self, fn, *args):
        fut = Future()
        rels = [rel for _, rel, _ in args[2]]
        if self.broken:
            self.lost += 1
            if self.lost > 1000:  # a failure, not an endless run
                raise AssertionError("1,000 batches sent to a broken pool: it is never replaced")
            fut.set_exception(BrokenProcessPool("the pool is broken"))
            return fut
        if self.culprit in rels:
            self.broken = True
            fut.set_exception(BrokenProcessPool("a worker died"))
            return fut
        self.ran.append(rels)
        fut.set_result(fn(*args))
        return fut

    def shutdown(self, wait=True, cancel_futures=False) -> None:
        pass


@pytest.mark.slow  # whole generation runs
def test_batches_lost_with_a_broken_pool_are_run_again_and_only_the_culprit_fails(v2, monkeypatch):
    culprit = "bookshop/pricing.py"
    _Pool.made = []
    monkeypatch.setattr(scheduler, "process_pool", lambda workers, **_: _Pool(culprit))
    order = [rel for _, rel, _ in plan(v2)]
    assert order.index(culprit) < len(order) - 2  # batches are in flight behind it
    report = generate(v2, workers=2, batch_size=2, quiet=True)
    assert len(_Pool.made) >= 3  # broke with batches in flight, then with the culprit alone
    assert report.ok + report.failed + report.skipped == report.planned == SAMPLE_MODULES
    assert (report.ok, report.failed) == (SAMPLE_OK - 1, SAMPLE_BROKEN + 1)
    died = [f for f in report.failures if f["error_type"] == "WorkerDied"]
    assert [f["path"] for f in died] == [culprit]
    mods = open_store(v2.root).modules().set_index("path")
    assert "pending" not in set(mods.cpg_status)  # nothing was lost on the way
    assert mods.cpg_status[culprit] == "failed"


@pytest.mark.slow  # a whole generation run
def test_a_pool_broken_by_the_last_batch_still_commits_once_at_the_end(v2, monkeypatch):
    """The pool breaks when nothing is left in the queue: the suspects it leaves still run
    (one at a time) before the run counts as finished, so the one commit is made at the
    end, with every module, not once early and again for the suspects."""
    culprit = [rel for _, rel, _ in plan(v2)][-1]
    _Pool.made = []
    monkeypatch.setattr(scheduler, "process_pool", lambda workers, **_: _Pool(culprit))
    history = len(v2.history())
    report = generate(v2, workers=2, batch_size=2, quiet=True)
    assert len(_Pool.made) >= 2 and report.commits == 1
    assert open_store(v2.root).history().operation.tolist()[history:] == ["generate", "link"]
    assert [f["path"] for f in report.failures if f["error_type"] == "WorkerDied"] == [culprit]
    assert report.ok + report.failed == SAMPLE_MODULES


class KilledWorker(Exception):
    """What a Dask client raises for a task whose workers kept dying."""


class _Executor:
    """An executor running tasks in this process; ``fail(rels)`` returns the exception a
    batch's future ends with (or None to run it)."""

    def __init__(self, fail) -> None:
        self.fail = fail
        self.runs: collections.Counter = collections.Counter()

    def submit(self, fn, *args):
        fut = Future()
        rels = [rel for _, rel, _ in args[2]]
        self.runs[tuple(rels)] += 1
        if self.runs[tuple(rels)] > 20:  # fail the test rather than loop for ever
            raise AssertionError(f"{rels} submitted 21 times: a lost batch is retried for ever")
        err = self.fail(rels)
        if err is not None:
            fut.set_exception(err)
        else:
            fut.set_result(fn(*args))
        return fut


@pytest.mark.slow  # whole generation runs
def test_an_executor_that_loses_a_batch_fails_only_that_batchs_modules(v2):
    lost = "bookshop/pricing.py"
    executor = _Executor(lambda rels: KilledWorker("worker died 3 times") if lost in rels else None)
    report = generate(v2, executor=executor, batch_size=1, quiet=True)
    assert report.ok + report.failed == SAMPLE_MODULES
    assert report.ok == SAMPLE_OK - 1
    failure = next(f for f in report.failures if f["path"] == lost)
    assert (failure["error_type"], failure["error_message"]) == (
        "KilledWorker",
        "worker died 3 times",
    )
    assert open_store(v2.root).modules().set_index("path").cpg_status[lost] == "failed"


@pytest.mark.slow  # whole generation runs
def test_a_batch_whose_dask_worker_died_is_run_again_one_module_at_a_time(v2):
    lost = "bookshop/pricing.py"
    ran: list[list[str]] = []

    def fail(rels):
        ran.append(rels)
        return KilledWorker("worker died") if lost in rels else None

    report = generate(v2, executor=_Executor(fail), batch_size=4, quiet=True)
    assert max(len(r) for r in ran) == 4 and [lost] in ran  # in a batch, then alone
    assert (report.ok, report.failed) == (SAMPLE_OK - 1, SAMPLE_BROKEN + 1)
    assert [f["path"] for f in report.failures if f["error_type"] == "KilledWorker"] == [lost]
    mods = open_store(v2.root).modules().set_index("path")
    assert "pending" not in set(mods.cpg_status)


@pytest.mark.slow  # whole generation runs
def test_a_full_disk_stops_the_run_keeps_what_was_committed_and_a_rerun_resumes(v2):
    calls = []

    def fail(rels):
        calls.append(rels)
        return OSError(errno.ENOSPC, "No space left on device") if len(calls) > 5 else None

    with pytest.raises(OSError, match="No space left") as info:
        generate(v2, executor=_Executor(fail), workers=2, batch_size=1, commit_every=1, quiet=True)
    (note,) = info.value.__notes__
    assert re.fullmatch(
        r"generation stopped after \d+ commits; run generate\(\) again to resume", note
    )
    store = open_store(v2.root)
    statuses = store.modules().cpg_status
    assert set(statuses) <= {"ok", "failed", "pending"}
    assert 1 <= (statuses != "pending").sum() < SAMPLE_MODULES  # committed work stayed
    graphs = store.read_table("cpg_graphs").to_pandas()
    assert "OSError" not in set(graphs.error_type)  # no module blamed
    assert verify(store).empty
    report = generate(store, workers=1, quiet=True)
    assert report.planned == (statuses == "pending").sum()
    assert set(store.refresh().modules().cpg_status) == {"ok", "failed"}


# -- what makes a module due for a rebuild -----------------------------------------------------


@pytest.mark.slow  # whole generation runs
def test_a_new_generator_version_rebuilds_every_module(v2, monkeypatch):
    generate(v2, workers=1, quiet=True)
    assert plan(v2) == []
    new = "workbench-python/999"
    monkeypatch.setattr(scheduler, "GENERATOR", new)
    monkeypatch.setattr(builds_module, "GENERATOR", new)
    assert len(plan(v2)) == SAMPLE_MODULES
    report = generate(v2, workers=1, quiet=True)
    assert (report.ok, report.failed) == (SAMPLE_OK, SAMPLE_BROKEN)
    mods = open_store(v2.root).modules()
    assert set(mods.cpg_generator) == {new}
    assert plan(v2) == []


def test_the_worker_builds_the_ingested_bytes_and_nothing_of_a_newer_ingest(v2, src):
    mods = v2.modules().set_index("path")
    rel = "bookshop/pricing.py"
    key, ingested = int(mods.module[rel]), mods.content_hash[rel]
    out = build_batch(str(v2.root), str(src), [(key, rel, ingested)], 10**6)
    assert out["results"][0]["status"] == "ok" and out["files"]
    # the file edited after ingest: the store's bytes are built, not the file's
    (src / rel).write_text("def changed():\n    return 2\n")
    files = files_for(source_files(v2), [key])
    out = build_batch(str(v2.root), None, [(key, rel, ingested)], 10**6, source_files=files)
    assert out["results"][0]["status"] == "ok" and out["files"]
    # without the store's bytes and without the tree: the module says why
    (res,) = build_batch(str(v2.root), None, [(key, rel, ingested)], 10**6)["results"]
    assert (res["status"], res["error_type"]) == ("failed", "UnreadableFileError")
    assert res["error_message"] == (
        "the store keeps no bytes of this module and there is no source root: run ingest "
        "again (it stores them) or pass source="
    )
    # an ingest of the edit, after the plan was made: the planned hash is stale, nothing built
    v2.ingest(src)
    files = files_for(source_files(v2.refresh()), [key])
    out = build_batch(str(v2.root), str(src), [(key, rel, ingested)], 10**6, source_files=files)
    (res,) = out["results"]
    assert (res["status"], res["error_type"]) == ("pending", "SourceChanged")
    assert out["files"] == []  # nothing staged for it
    # a new plan builds the newly ingested bytes
    report = generate(v2, workers=1, quiet=True)
    store = open_store(v2.root)
    assert store.modules().set_index("path").cpg_status[rel] == "ok"
    assert report.ok == SAMPLE_OK
    assert "changed" in store.cpg(rel).methods["name"].to_pylist()


# -- dead code --------------------------------------------------------------------------------


def test_dead_code_keeps_its_own_def_use_chains():
    g = Graph(
        """
        def f():
            return 0
            x = 1
            y = x + 1
            print(x, y)
        """,
        "f",
    )
    assert g.reaching("y = x + 1", "x") == {"x = 1"}
    assert g.reaching("print(x, y)", "y") == {"y = x + 1"}
    assert g.reaching("print(x, y)", "x") == {"x = 1"}


def test_reaching_definitions_in_nodes_the_entry_does_not_reach():
    # 0 -> 1 (exit); 2 -> 3 is dead: 2 defines x, 3 uses it
    succ = [[1], [], [3], []]
    events = [[(DEF, "x", 10)], [(USE, "x", 11)], [(DEF, "x", 12)], [(USE, "x", 13)]]
    assert reaching_definitions(succ, events, entry=0) == [(10, 11, "x"), (12, 13, "x")]


# -- what a worker returns ----------------------------------------------------------------------

RESULT_KEYS = {"module", "path", "status", "error_type", "error_message", "content_hash", "pid"}


def _item(store, rel):
    mods = store.modules().set_index("path")
    return int(mods.module[rel]), rel, mods.content_hash[rel]


def test_a_built_module_reports_what_was_built(v2, src):
    rel = "bookshop/pricing.py"
    t0 = time.perf_counter()
    out = build_batch(str(v2.root), str(src), [_item(v2, rel)], 10**6, session=v2.session_id)
    wall = time.perf_counter() - t0
    (res,) = out["results"]
    cpg = wb.build_cpg((src / rel).read_bytes(), rel)
    assert set(res) == RESULT_KEYS | {"nodes", "edges", "methods", "graph_hash", "seconds"}
    assert (res["status"], res["error_type"], res["error_message"]) == ("ok", None, None)
    assert (res["nodes"], res["edges"], res["methods"]) == (
        cpg.nodes.num_rows,
        cpg.edges.num_rows,
        cpg.methods.num_rows,
    )
    assert res["graph_hash"] == cpg.graph_hash()  # built from this path, with these limits
    assert res["pid"] == os.getpid() and 0 <= res["seconds"] <= wall
    staged = {f.table: f for f in out["files"]}
    assert set(staged) == {"cpg_nodes", "cpg_edges", "cpg_methods"}


def test_cross_module_edges_are_left_to_linking(v2, src):
    rel = "bookshop/inventory.py"
    linked = wb.build_project(src).cpgs[rel]
    assert linked.edges.filter(pc.is_valid(linked.edges["dst_module"])).num_rows
    out = build_batch(
        str(v2.root), str(src), [_item(v2, rel)], 10**6, None, lambda *a, **k: linked, v2.session_id
    )
    assert out["results"][0]["status"] == "ok"
    (path,) = (session_dir(v2.root, v2.session_id) / "cpg_edges").glob("*.parquet")
    edges = pq.read_table(path)
    assert edges.num_rows and pc.all(pc.is_null(edges["dst_module"])).as_py()


@pytest.mark.parametrize(
    ("exc", "error_type", "message"),
    [
        (ValueError("boom"), "ValueError", "boom"),
        (ValueError(), "ValueError", "ValueError"),  # no message: the type's name
        (
            type("Custom", (Exception,), {"error_type": "Custom", "message": "why"})(),
            "Custom",
            "why",
        ),
    ],
)
def test_a_module_that_raises_fails_with_the_errors_type_and_message(
    v2, src, exc, error_type, message
):
    def builder(data, path, limits):
        raise exc

    out = build_batch(
        str(v2.root), str(src), [_item(v2, "bookshop/pricing.py")], 10**6, None, builder
    )
    (res,) = out["results"]
    assert set(res) == RESULT_KEYS | {"seconds"}
    assert (res["status"], res["error_type"], res["error_message"]) == (
        "failed",
        error_type,
        message,
    )
    assert out["files"] == []


def test_a_module_over_the_node_limit_is_skipped_and_named(v2, src):
    rel = "bookshop/pricing.py"
    out = build_batch(str(v2.root), str(src), [_item(v2, rel)], 20)
    (res,) = out["results"]
    assert (res["status"], res["error_type"]) == ("skipped", "SourceTooLargeError")
    assert res["error_message"] == "skipped: too large (more than 20 CPG nodes)"


def test_a_build_in_a_thread_times_out_with_its_seconds(v2, src):
    # Dask runs a batch in a worker's thread: no SIGALRM there, the timeout is raised in it
    import threading

    def spin(data, path, limits):
        end = time.monotonic() + 30
        while time.monotonic() < end:
            pass
        raise AssertionError("never timed out")

    out = {}
    args = (str(v2.root), str(src), [_item(v2, "bookshop/pricing.py")], 10**6, 0.25, spin)
    thread = threading.Thread(target=lambda: out.update(build_batch(*args)))
    thread.start()
    thread.join(60)
    (res,) = out["results"]
    assert (res["status"], res["error_type"]) == ("failed", "BuildTimeout")
    assert res["error_message"] == "took longer than 0.25 s" and res["seconds"] < 10


def test_a_module_that_cannot_be_read_or_parsed_fails_as_ingest_said(v2, src):
    mods = v2.modules().set_index("path")
    broken = mods[mods.parse_status != "ok"]
    assert len(broken) == SAMPLE_BROKEN
    for rel, row in broken.iterrows():
        (res,) = build_batch(str(v2.root), str(src), [_item(v2, rel)], 10**6)["results"]
        assert (res["status"], res["error_type"], res["error_message"]) == (
            "failed",
            row.error_type,
            row.error_message,
        )


def test_a_changed_source_is_reported_with_the_reason(v2, src):
    rel = "bookshop/pricing.py"
    key, _, _ = _item(v2, rel)
    (res,) = build_batch(str(v2.root), str(src), [(key, rel, "0" * 64)], 10**6)["results"]
    assert (res["status"], res["error_type"]) == ("pending", "SourceChanged")
    assert res["error_message"] == "the source changed since it was ingested: run ingest"


# -- what a migration says it does, and records -------------------------------------------------


def test_the_plan_lists_every_step_of_v1_to_v2(v1):
    from workbench.cpg.schema import MODULES_CPG_FIELDS, introduced_in

    n = v1.modules().shape[0]
    expected = [("flag", "cpg", "off -> on")]
    expected += [
        (
            "add column",
            f"modules.{f.name}",
            f"{f.type}; {n} existing rows: " + ("'pending'" if f.name == "cpg_status" else "null"),
        )
        for f in MODULES_CPG_FIELDS
    ]
    expected += [
        ("create table", name, f"{len(schema)} columns, empty")
        for name, schema in introduced_in(2).items()
    ]
    expected.append(("schema version", "store", "1 -> 2"))
    df = mig.plan(v1)
    assert list(df.columns) == ["migration", "step", "object", "change"]
    assert set(df.migration) == {"v1->v2 cpg"}
    assert list(df[["step", "object", "change"]].itertuples(index=False, name=None)) == expected
    assert mig.plan(v1, target=1).empty
    migrate(v1)
    assert mig.plan(v1).empty  # nothing left to do


def test_a_migration_or_rollback_to_where_the_store_is_changes_no_table(v1):
    def state():
        return v1.schema_version, v1.flags, sorted(v1.tables), fingerprint(v1)

    v1_state = state()
    for step in (lambda: migrate(v1, target=1), lambda: rollback(v1)):
        assert step().equal.all() and state() == v1_state
    migrate(v1)
    v2_state = state()
    for step in (lambda: migrate(v1), lambda: rollback(v1, target=2)):
        assert step().equal.all() and state() == v2_state


def test_migrate_and_rollback_record_their_versions_and_report_every_legacy_column(v1):
    before = fingerprint(v1)
    with pytest.raises(SchemaVersionError, match=f"knows up to v{mig.SCHEMA_VERSION}") as raised:
        migrate(v1, target=mig.SCHEMA_VERSION + 1)
    assert raised.value.path == str(v1.root)
    report = migrate(v1)
    assert [(r.table, r.column) for r in report.itertuples()] == list(before)
    for r in report.itertuples():
        n, h = before[(r.table, r.column)]
        assert (r.rows_before, r.rows_after, r.hash_before, r.hash_after, r.equal) == (
            n,
            n,
            h[:16],
            h[:16],
            True,
        )
    back = rollback(v1)
    assert back.equal.all() and len(back) == len(before)
    history = v1.history()
    assert history.operation.tolist()[-2:] == ["migrate", "rollback"]
    details = [json.loads(d) for d in history.details.tolist()[-2:]]
    assert details == [{"from": 1, "to": 2}, {"from": 2, "to": 1}]
    assert fingerprint(v1) == before


# -- what a generation run reports ----------------------------------------------------------


class _Spy(_Executor):
    """Runs every task; notes each batch's module paths."""

    def __init__(self) -> None:
        super().__init__(lambda rels: self.batches.append(rels))
        self.batches: list[list[str]] = []


@pytest.mark.slow  # whole generation runs
@pytest.mark.parametrize(("workers", "batch"), [(1, 8), (2, 4), (8, 1)])
def test_default_batches_keep_every_worker_busy(v2, workers, batch):
    spy = _Spy()
    generate(v2, executor=spy, workers=workers, quiet=True)
    assert sorted(rel for b in spy.batches for rel in b) == sorted(v2.modules().path)
    # four batches per worker, at most 16 modules each
    assert [len(b) for b in spy.batches] == [batch] * (SAMPLE_MODULES // batch)


@pytest.mark.slow  # whole generation runs
def test_commits_come_every_commit_every_modules_and_at_the_end(v2):
    events = []
    spy = _Spy()
    history = len(v2.history())
    report = generate(
        v2, executor=spy, workers=1, batch_size=1, commit_every=6, progress=events.append
    )
    # two batches in flight per worker: 2, 4, 6 staged -> commit; 32 modules -> 5 + 1 commits
    assert report.commits == -(-SAMPLE_MODULES // 6) == 6
    assert [e.kind for e in events].count("committed") == report.commits
    ops = open_store(v2.root).history().operation.tolist()[history:]
    assert ops == ["generate"] * report.commits + ["link"]
    kinds = [e.kind for e in events]
    assert kinds[-1] == "done" and kinds.count("started") == SAMPLE_MODULES
    done = [e.done for e in events]
    assert done == sorted(done) and done[-1] == SAMPLE_MODULES
    assert all(e.total == SAMPLE_MODULES for e in events)
    assert [e.elapsed for e in events] == sorted(e.elapsed for e in events)
    finished = [e for e in events if e.kind in ("finished", "failed")]
    assert sorted(e.module for e in finished) == sorted(rel for b in spy.batches for rel in b)
    assert sum(e.kind == "failed" for e in events) == SAMPLE_BROKEN == events[-1].failed
    # seconds since the run started, all within the run
    assert events[0].elapsed >= 0 and events[-1].elapsed <= report.seconds + 1.0


def test_progress_rate_and_eta():
    ev = scheduler.ProgressEvent("finished", "a.py", 5, 20, 1, 0, 2.0)
    assert ev.rate == 2.5 and ev.eta == 6.0
    still = scheduler.ProgressEvent("started", "a.py", 0, 20, 0, 0, 0.0)
    assert still.rate == 0.0 and still.eta is None


def test_the_report_as_a_table(v2):
    report = generate(v2, workers=1, quiet=True)
    df = report.to_pandas()
    assert list(df.columns) == ["path", "status", "error_type", "error_message"]
    assert sorted(df.error_type) == ["DecodeError", "ParseError"]
    assert set(df.status) == {"failed"}
    assert report.planned == SAMPLE_MODULES and report.workers == 1 and report.seconds > 0
    assert report.superseded == 0


@pytest.mark.slow  # whole generation runs
def test_a_progress_bar_by_default(v2, capsys):
    generate(v2, executor=_Spy(), workers=1)
    err = capsys.readouterr().err
    assert "generate: 100%" in err and f"{SAMPLE_MODULES}/{SAMPLE_MODULES}" in err
    assert f"failed={SAMPLE_BROKEN}" in err
    generate(v2, executor=_Spy(), workers=1, retry_failed=True, quiet=True)
    assert capsys.readouterr().err == ""


# -- small things a run reports or relies on --------------------------------------------------


def test_an_empty_report_and_plan_keep_their_columns(v2):
    assert list(scheduler.GenerationReport().to_pandas().columns) == [
        "path",
        "status",
        "error_type",
        "error_message",
    ]
    migrate(v2)
    assert list(mig.plan(v2).columns) == ["migration", "step", "object", "change"]


def test_rollback_switches_the_flag_off(v2):
    rollback(v2)
    assert v2.flags["cpg"] is False and open_store(v2.root).flags["cpg"] is False


def test_available_memory_is_read_in_bytes():
    lines = Path("/proc/meminfo").read_text().splitlines()
    info = dict(line.split(":", 1) for line in lines)
    total = int(info["MemTotal"].split()[0]) * 1024
    reported = int(info["MemAvailable"].split()[0]) * 1024  # the kernel counts in kB
    avail = scheduler._available_memory()
    assert avail % 1024 == 0 and 2**20 < avail <= total
    assert abs(avail - reported) < total // 20  # it moves between the two reads, not by 1024x


@pytest.mark.slow  # a fresh interpreter with its own fork server
def test_pool_workers_started_by_a_fork_server_run():
    code = """
        import multiprocessing, os
        multiprocessing.set_start_method("forkserver")
        from workbench.pipeline.scheduler import process_pool
        pool = process_pool(1)
        print(pool.submit(os.getpid).result(timeout=60) != os.getpid())
        pool.shutdown()
    """
    p = run_python(code)
    assert (p.returncode, p.stdout.strip()) == (0, "True"), p.stderr


def test_the_plan_spans_every_migration_up_to_the_target(v1, monkeypatch):
    def noop(tx):
        pass

    step = {"step": "create table", "object": "later", "change": "3 columns, empty"}
    later = mig.Migration(2, 3, "later", lambda store: [step], noop, noop)
    monkeypatch.setattr(mig, "MIGRATIONS", [*mig.MIGRATIONS, later])
    df = mig.plan(v1, target=3)
    assert df.migration.tolist()[0] == "v1->v2 cpg" and df.migration.tolist()[-1] == "v2->v3 later"
    assert df.iloc[-1][["step", "object", "change"]].tolist() == list(step.values())
    assert set(mig.plan(v1, target=2).migration) == {"v1->v2 cpg"}
