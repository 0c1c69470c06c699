"""Progressive generation on real stores with real process pools (and a real Dask cluster)."""

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
from helpers import SAMPLE_BROKEN, SAMPLE_MODULES, SAMPLE_OK
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_workers import REPO, noted, proc_env, reap, survivors

import workbench as wb
from workbench.pipeline import generate, plan
from workbench.store import Store, open_store
from workbench.store.migrations import migrate

SAMPLE = Path(__file__).parent.parent / "data" / "sample_project"


def faulty_builder(data, path, limits):
    """A builder that fails in every way a module can (runs in worker processes)."""
    if path.endswith("admin.py"):
        raise ValueError("boom")
    if path.endswith("cli.py"):
        os._exit(3)  # the worker process dies
    if path.endswith("reports.py"):
        time.sleep(30)  # longer than the timeout
    return wb.build_cpg(data, path, limits=limits)


def snapshot(store: Store) -> dict:
    """Everything a rebuild must reproduce, per module path."""
    store = open_store(store.root)
    mods = store.modules().set_index("path")
    out = {}
    for rel, m in mods.iterrows():
        cpg = store.cpg(rel) if m.cpg_status == "ok" else None
        out[rel] = (
            m.cpg_status,
            m.cpg_graph_hash,
            None if cpg is None else (cpg.nodes, cpg.edges, cpg.methods),
        )
    return out


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for rel in a:
        (sa, ha, ta), (sb, hb, tb) = a[rel], b[rel]
        assert (sa, ha) == (sb, hb), rel
        if ta is not None:
            assert all(x.equals(y) for x, y in zip(ta, tb, strict=True)), rel


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_builds_in_as_many_worker_processes_as_asked(v2, workers):
    """Never more processes than ``workers``, even with more tasks in flight (two per worker,
    one module each here) and more cores than asked for."""
    import multiprocessing

    def children() -> set[int]:
        return {p.pid for p in multiprocessing.active_children()}

    before = children()  # an earlier test's pool may still be exiting
    seen: set[int] = set()
    report = generate(
        v2, workers=workers, batch_size=1, progress=lambda _: seen.update(children() - before)
    )
    assert report.ok == SAMPLE_OK
    assert 1 <= len(seen) <= workers


def test_the_progress_bar_counts_toward_the_planned_modules(v2, capsys):
    generate(v2, workers=1)  # not quiet: a tqdm bar on stderr
    err = capsys.readouterr().err
    assert f"{SAMPLE_MODULES}/{SAMPLE_MODULES}" in err and "100%" in err


def test_generates_every_module_and_equals_the_project_build(v2, src):
    events = []
    report = generate(v2, workers=2, progress=events.append)
    assert (report.ok, report.failed, report.skipped) == (SAMPLE_OK, SAMPLE_BROKEN, 0)
    assert {f["error_type"] for f in report.failures} == {"ParseError", "DecodeError"}
    proj = wb.build_project(src)
    for rel, built in proj.cpgs.items():
        assert v2.cpg(rel).equals(built), rel
    graphs = v2.read_table("cpg_graphs").to_pandas().set_index("module")
    assert set(graphs.status) == {"ok", "failed"}
    kinds = [e.kind for e in events]
    assert kinds.count("started") == SAMPLE_MODULES and kinds[-1] == "done"
    assert kinds.count("finished") == SAMPLE_OK and kinds.count("failed") == SAMPLE_BROKEN
    last = next(e for e in events if e.kind == "done")
    assert (last.done, last.total, last.failed) == (SAMPLE_MODULES, SAMPLE_MODULES, 2)
    assert last.rate > 0
    # the log says how many modules each generation commit built, and how many of them are ok
    commits = [json.loads(d) for d in v2.history().query("operation == 'generate'").details]
    assert sum(c["modules"] for c in commits) == SAMPLE_MODULES
    assert sum(c["ok"] for c in commits) == SAMPLE_OK


@pytest.mark.slow
def test_failures_are_isolated_to_their_module(v2, src):
    report = generate(v2, workers=2, timeout=3, builder=faulty_builder, quiet=True)
    by_path = {f["path"]: f for f in report.failures}
    assert by_path["bookshop/admin.py"]["error_type"] == "ValueError"
    assert by_path["bookshop/cli.py"]["error_type"] == "WorkerDied"
    assert by_path["bookshop/reports.py"]["error_type"] == "BuildTimeout"
    assert report.ok == SAMPLE_OK - 3  # all but the broken sources and the three above
    statuses = v2.modules().set_index("path").cpg_status
    assert statuses["bookshop/cli.py"] == "failed" and statuses["bookshop/models.py"] == "ok"
    assert generate(v2, workers=2, quiet=True).planned == 0  # failed ones wait for a retry
    again = generate(v2, workers=2, retry_failed=True, quiet=True)
    assert again.planned == SAMPLE_BROKEN + 3 and again.ok == 3
    assert v2.cpg("bookshop/cli.py").methods.num_rows > 1


def test_memory_budget_skips_what_does_not_fit(v2):
    report = generate(v2, workers=1, memory_budget_mb=0.05, quiet=True)  # ~44 nodes
    skipped = {f["path"] for f in report.failures if f["status"] == "skipped"}
    assert "bookshop/pricing.py" in skipped
    reasons = {f["error_type"] for f in report.failures if f["status"] == "skipped"}
    assert reasons == {"SourceTooLargeError"}
    assert report.ok >= 1  # the small ones still built


def test_degrades_when_memory_gets_short(v2, monkeypatch):
    from workbench.pipeline import scheduler

    budget = 100 * 2**20
    monkeypatch.setattr(scheduler, "_available_memory", lambda: 10 * budget)
    assert scheduler._concurrency(4, budget) == 8  # plenty: two tasks per worker
    monkeypatch.setattr(scheduler, "_available_memory", lambda: 3 * budget + budget // 2)
    assert scheduler._concurrency(4, budget) == 3  # whole tasks: a count, not a ratio
    monkeypatch.setattr(scheduler, "_available_memory", lambda: budget // 2)
    assert scheduler._concurrency(4, budget) == 1  # never zero: it goes on, slower
    sizes = []
    real = scheduler.build_batch

    def spy(*args):
        sizes.append(len(args[2]))
        return real(*args)

    monkeypatch.setattr(scheduler, "build_batch", spy)
    report = generate(
        v2, workers=2, batch_size=4, memory_budget_mb=100, executor=_Inline(), quiet=True
    )
    assert report.ok == SAMPLE_OK and max(sizes) <= 2  # batches were halved under pressure


class _Inline:
    """An executor that runs tasks in this process (so the test can observe them)."""

    def submit(self, fn, *args):
        from concurrent.futures import Future

        f = Future()
        f.set_result(fn(*args))
        return f


def test_most_accessed_modules_come_first(v2):
    for _ in range(3):
        v2.functions("bookshop/storage.py")
    v2.functions("bookshop/admin.py")
    v2.flush_reads()
    order = [rel for _, rel, _ in plan(open_store(v2.root))]
    assert order[:2] == ["bookshop/storage.py", "bookshop/admin.py"]
    assert order[2:] == sorted(order[2:])


@pytest.mark.slow
def test_resumes_after_kill_without_duplicates(v2, src, tmp_path):
    clean = Store.create(tmp_path / "clean")
    clean.ingest(src)
    migrate(clean)
    generate(clean, workers=1, quiet=True)
    code = f"""
        import work  # wb.build_cpg, noting each worker process (test_workers.WORK)
        from workbench.store import open_store
        from workbench.pipeline import generate
        generate(open_store({str(v2.root)!r}), workers=1, batch_size=1, commit_every=1,
                 builder=work.build, quiet=True)
    """
    cmd = [sys.executable, "-c", textwrap.dedent(code)]
    env, pids = proc_env(tmp_path, sleep=0)
    crash = {**env, "WORKBENCH_CRASHPOINT": "generate.before_log"}
    proc = subprocess.run(cmd, env=crash, cwd=REPO, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert_workers_died(noted(pids))
    for f in pids.iterdir():
        f.unlink()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 120
        while not noted(pids) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)  # somewhere in the middle of the run
    finally:
        proc.kill()
        proc.wait()
    assert_workers_died(noted(pids))
    store = open_store(v2.root)
    committed = set(store.modules().query("cpg_status != 'pending'").path)
    report = generate(store, workers=2, quiet=True)
    assert report.planned == SAMPLE_MODULES - len(committed)  # what the killed runs left
    assert_same(snapshot(v2), snapshot(clean))
    counts = store.sql("SELECT module, count(*) AS n FROM cpg_graphs GROUP BY module")
    assert set(counts.n) == {1} and len(counts) == SAMPLE_MODULES


def assert_workers_died(workers: dict[int, str]) -> None:
    """A generation killed with SIGKILL takes its pool's workers with it (within seconds)."""
    try:
        assert workers, "no worker process ran"
        left = survivors(workers, 5)
        assert not left, f"workers {sorted(left)} outlived the killed generation"
    finally:
        reap(workers)


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["models.py", "pricing.py", "storage.py", "util/text.py", "new.py"]),
        st.sampled_from(["change", "delete", "rename_fn"]),
    ),
    min_size=1,
    max_size=3,
)


@pytest.mark.slow
@given(EDITS)
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_incremental_run_equals_clean_rebuild(tmp_path_factory, edits):
    tmp = tmp_path_factory.mktemp("inc")
    src = tmp / "src"
    shutil.copytree(SAMPLE, src)
    store = Store.create(tmp / "store")
    store.ingest(src)
    migrate(store)
    generate(store, workers=1, quiet=True)
    for name, edit in edits:
        path = src / "bookshop" / name
        if edit == "delete":
            path.unlink(missing_ok=True)
        elif edit == "change" or not path.exists():
            path.write_text(
                f"from .models import Book\n\ndef made_{len(edits)}():\n"
                f"    return Book('t', 1, 'a').describe()\n"
            )
        else:
            path.write_text(path.read_text().replace("def ", "def renamed_", 1))
    store.ingest(src)
    report = generate(store, workers=1, quiet=True)
    assert report.planned <= len(edits)
    clean = Store.create(tmp / "clean")
    clean.ingest(src)
    migrate(clean)
    generate(clean, workers=1, quiet=True)
    assert_same(snapshot(store), snapshot(clean))


@pytest.mark.slow
def test_dask_local_cluster(v2, src, tmp_path):
    distributed = pytest.importorskip("distributed")
    import dask

    with (
        dask.config.set({"temporary-directory": str(tmp_path)}),  # its dask-scratch-space
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},  # not 8787: two tests run at once
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        executor = _Recording(client.get_executor())
        report = generate(v2, executor=executor, quiet=True)
        cluster_pids = set(client.run(os.getpid).values())
    assert (report.ok, report.failed) == (SAMPLE_OK, SAMPLE_BROKEN)
    assert set(v2.read_table("cpg_graphs")["status"].to_pylist()) == {"ok", "failed"}
    # the modules were built by the cluster's worker processes, not in this one
    assert executor.pids and executor.pids <= cluster_pids and os.getpid() not in executor.pids
    for rel, built in wb.build_project(src).cpgs.items():
        assert v2.cpg(rel).equals(built), rel


class _Recording:
    """An executor passing tasks on to another one, noting the pids that built modules."""

    def __init__(self, executor):
        self.executor = executor
        self.pids: set[int] = set()

    def submit(self, fn, *args):
        fut = self.executor.submit(fn, *args)
        fut.add_done_callback(self._note)
        return fut

    def _note(self, fut) -> None:
        if fut.exception() is None:
            self.pids.update(r["pid"] for r in fut.result()["results"])


def test_store_method(v2):
    assert v2.generate(workers=1, quiet=True).ok == SAMPLE_OK
    assert v2.generate(workers=1, quiet=True).planned == 0


@pytest.mark.parametrize(
    "option, value",
    [
        ("workers", 0),
        ("workers", -1),
        ("workers", 1.5),
        ("batch_size", 0),
        ("commit_every", 0),
        ("timeout", 0),
        ("timeout", -1.0),
        ("timeout", float("nan")),
        ("memory_budget_mb", 0),
        ("memory_budget_mb", -64),
    ],
)
def test_impossible_options_raise_a_clear_value_error(v2, option, value):
    with pytest.raises(ValueError, match=rf"^{option} must be .*got {value!r}"):
        generate(v2, quiet=True, **{option: value})
    assert open_store(v2.root).version == v2.version  # nothing was run


def test_needs_cpg_support(tmp_path, src):
    store = Store.create(tmp_path / "v1")
    store.ingest(src)
    with pytest.raises(wb.errors.FeatureDisabledError):
        generate(store, quiet=True)
