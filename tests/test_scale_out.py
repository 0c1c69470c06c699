"""Generation on a real Dask cluster (``distributed.LocalCluster``: a scheduler on loopback and
worker processes of their own) whose workers cannot see the source tree: they build from the
bytes the store keeps. The CLI connects to it by address; a worker that dies is a recorded
failure of the module that killed it; a timeout stops a module in a worker's thread."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from helpers import SAMPLE_BROKEN, SAMPLE_MODULES, SAMPLE_OK

import workbench as wb
from workbench.pipeline import generate
from workbench.store import open_store

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow

CULPRIT = "bookshop/pricing.py"
CLI = "import sys; sys.argv[0] = 'workbench'; from workbench.cli import main; main()"


@pytest.fixture
def cluster(tmp_path):
    """A 2-worker local cluster (one thread each; workers are separate processes restarted by
    their nannies), giving up on a task after its first worker death."""
    import dask

    with (
        dask.config.set(
            {
                "temporary-directory": str(tmp_path / "dask"),  # its dask-scratch-space
                "distributed.scheduler.allowed-failures": 0,
            }
        ),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},  # not 8787: two tests run at once
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield cluster, client


@pytest.fixture
def no_tree(v2, src, tmp_path):
    """The store ``v2``; its source tree moved where no worker looks for it."""
    moved = tmp_path / "moved-away"
    shutil.move(src, moved)
    return v2, moved


def test_a_cluster_builds_every_module_from_the_store_alone(cluster, no_tree):
    _, client = cluster
    store, moved = no_tree
    report = generate(store, executor=client.get_executor(), workers=2, quiet=True)
    assert (report.ok, report.failed, report.skipped) == (SAMPLE_OK, SAMPLE_BROKEN, 0)
    store = open_store(store.root)
    # the same tables a build of the same bytes in this process gives
    for rel, built in wb.build_project(moved).cpgs.items():
        assert store.cpg(rel).equals(built), rel
    assert not os.path.exists(store.last_source())


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_the_cli_connects_to_a_scheduler_by_address(cluster, no_tree):
    local, _ = cluster
    store, _ = no_tree
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    out = _cli(
        "generate",
        "--store",
        str(store.root),
        "--scheduler",
        local.scheduler_address,
        "--quiet",
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert f"{SAMPLE_MODULES} planned: {SAMPLE_OK} ok, {SAMPLE_BROKEN} failed" in out.stdout
    # the address from the environment
    env["DASK_SCHEDULER_ADDRESS"] = local.scheduler_address
    out = _cli("generate", "--store", str(store.root), "--retry-failed", "--quiet", env=env)
    assert out.returncode == 0, out.stderr
    assert f"{SAMPLE_BROKEN} planned: 0 ok, {SAMPLE_BROKEN} failed" in out.stdout
    assert set(open_store(store.root).modules().cpg_status) == {"ok", "failed"}


def test_an_unreachable_scheduler_is_a_clear_error(v2):
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"}  # not 30 s
    start = time.monotonic()
    out = _cli(
        "generate", "--store", str(v2.root), "--scheduler", "tcp://127.0.0.1:9", "--quiet", env=env
    )
    assert time.monotonic() - start < 25  # the configured wait was honoured
    assert out.returncode != 0
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in out.stderr + out.stdout
    assert set(open_store(v2.root).modules().cpg_status) == {"pending"}


def _kill_on_culprit(data: bytes, rel: str, limits=None):
    """A builder that kills its worker process when it builds :data:`CULPRIT`."""
    if rel == CULPRIT:
        os.kill(os.getpid(), signal.SIGKILL)
    return wb.build_cpg(data, rel, limits=limits)


def _slow_on_culprit(data: bytes, rel: str, limits=None):
    """A builder that never ends on :data:`CULPRIT` (pure Python: a timeout can stop it)."""
    if rel == CULPRIT:
        while True:
            time.sleep(0.01)
    return wb.build_cpg(data, rel, limits=limits)


def _by_value():
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests


@pytest.fixture
def on_s3(request, src, tmp_path):
    """The sample migrated into a store on loopback S3; its source tree moved away."""
    from workbench.store import Store
    from workbench.store.migrations import migrate

    bucket = request.getfixturevalue("bucket")
    store = Store.create(f"s3://{bucket}/store")
    store.ingest(src)
    migrate(store)
    shutil.move(src, tmp_path / "moved-away")
    yield store, tmp_path / "moved-away"
    store.close()


@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_worker_killed_mid_run_fails_only_the_module_that_killed_it(cluster, where, request):
    _, client = cluster
    store, _ = request.getfixturevalue("no_tree" if where == "local" else "on_s3")
    _by_value()
    report = generate(
        store,
        executor=client.get_executor(),
        workers=2,
        batch_size=3,
        builder=_kill_on_culprit,
        quiet=True,
    )
    assert report.ok + report.failed + report.skipped == report.planned == SAMPLE_MODULES
    assert (report.ok, report.failed) == (SAMPLE_OK - 1, SAMPLE_BROKEN + 1)
    died = [f for f in report.failures if f["error_type"] == "KilledWorker"]
    assert [f["path"] for f in died] == [CULPRIT]
    mods = open_store(store.root).modules().set_index("path")
    assert "pending" not in set(mods.cpg_status) and mods.cpg_status[CULPRIT] == "failed"


def test_a_timeout_stops_a_module_in_a_workers_thread(cluster, no_tree):
    _, client = cluster
    store, _ = no_tree
    _by_value()
    t0 = time.perf_counter()
    report = generate(
        store,
        executor=client.get_executor(),
        workers=2,
        timeout=2,
        builder=_slow_on_culprit,
        quiet=True,
    )
    assert time.perf_counter() - t0 < 120
    assert (report.ok, report.failed) == (SAMPLE_OK - 1, SAMPLE_BROKEN + 1)
    (late,) = [f for f in report.failures if f["error_type"] == "BuildTimeout"]
    assert late["path"] == CULPRIT and "took longer than 2 s" in late["error_message"]
