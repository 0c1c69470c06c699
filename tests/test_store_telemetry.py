"""Telemetry in the store: events ride on the store's writes (no versions of their own), wait
in a spool when a process closes the store, survive a failed or killed commit, and stay in
memory below schema v2."""

from __future__ import annotations

import pytest
from helpers import run_python

from workbench import telemetry
from workbench.errors import StoreError
from workbench.store import migrations, open_store
from workbench.store import store as store_module
from workbench.store.store import TELEMETRY_DIR


@pytest.fixture(autouse=True)
def _fresh():
    telemetry.clear()
    yield
    telemetry.clear()


def stored(store) -> list[str]:
    return sorted(open_store(store.root).read_table("telemetry")["event"].to_pylist())


def spool(store) -> list:
    folder = store.root / "_workbench" / TELEMETRY_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_events_ride_on_the_next_write_and_add_no_version(v2, src, monkeypatch):
    monkeypatch.setattr(store_module, "TELEMETRY_BATCH", 2)
    version = v2.version
    v2.sql("SELECT count(*) AS n FROM functions")
    assert v2.version == version  # a query writes nothing
    (src / "extra.py").write_text("def f():\n    return 1\n")
    v2.ingest(src)  # one write: the ingest's version carries the events before it
    assert v2.version == version + 1
    assert {"ingest", "migrate", "query"} <= set(stored(v2))
    assert v2.history().operation.tolist().count("telemetry") == 0
    frame = telemetry.frame(store=v2)
    assert frame.id.is_unique and "query" in set(frame.event)


def test_fewer_events_than_a_batch_wait_for_a_flush_or_the_spool(v2, src):
    v2.sql("SELECT count(*) AS n FROM functions")
    (src / "extra.py").write_text("def f():\n    return 1\n")
    v2.ingest(src)  # fewer than a batch pending: this write does not carry them
    assert "query" not in stored(v2) and "query" in set(telemetry.frame(store=v2).event)
    v2.close()  # spooled: the next write carries them, whatever their number
    (src / "extra.py").write_text("def f():\n    return 2\n")
    v2.ingest(src)
    assert stored(v2).count("query") == 1 and spool(v2) == []


def test_v1_keeps_events_in_memory_until_the_migration_carries_them(v1):
    v1.sql("SELECT count(*) AS n FROM modules")
    v1.close()
    assert spool(v1) == [] and not v1.flush_telemetry()
    assert {"ingest", "query"} <= set(telemetry.frame(store=v1.root).event)
    migrations.migrate(v1)
    assert {"ingest", "query"} <= set(stored(v1))


def test_closing_spools_and_another_process_commits_them(v2):
    v2.sql("SELECT count(*) AS n FROM functions")
    version = v2.version
    v2.close()
    assert len(spool(v2)) == 1 and open_store(v2.root).version == version
    out = run_python(
        f"""
        from workbench.store import open_store
        s = open_store({str(v2.root)!r})
        print(s.flush_telemetry(), s.version)
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", str(version + 1)]
    assert spool(v2) == [] and "query" in stored(v2)


def test_a_failed_commit_keeps_its_events_for_the_next(v2, monkeypatch):
    v2.sql("SELECT 1 AS x")
    log = type(v2._log)
    real = log.append

    def refuse(self, *a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(log, "append", refuse)
    with pytest.raises(StoreError, match="nothing was changed"):
        v2.flush_telemetry()
    monkeypatch.setattr(log, "append", real)
    assert telemetry.pending()[str(v2.root)] >= 1
    assert v2.flush_telemetry() and stored(v2).count("query") == 1


def test_a_commit_killed_before_the_log_leaves_the_spool_for_the_next(v2):
    """Events spooled by a closed store are taken by a writer killed before its log entry:
    nothing is committed, the spool stays, and the next write commits each event once."""
    v2.sql("SELECT 1 AS x")
    v2.close()
    (before,) = spool(v2)
    killed = run_python(
        f"""
        from workbench.store import open_store
        open_store({str(v2.root)!r}).flush_telemetry()
        """,
        crash="telemetry.before_log",
    )
    assert killed.returncode == -9
    assert spool(v2) == [before]
    store = open_store(v2.root)
    assert store.flush_telemetry() and spool(v2) == []
    rows = store.read_table("telemetry").to_pandas()
    assert rows.id.is_unique and (rows.event == "query").sum() == 1


def test_a_bad_module_is_refused_when_emitted_and_numpy_keys_are_kept(v2):
    with pytest.raises(TypeError, match="module must be an int"):
        telemetry.emit("custom", store=v2.root, module="pkg/a.py")
    key = v2.modules().module.iloc[0]  # numpy.int64
    telemetry.emit("custom", store=v2.root, module=key, detail=3)
    v2.close()
    assert open_store(v2.root).flush_telemetry()
    (row,) = [r for r in open_store(v2.root).telemetry_rows() if r["event"] == "custom"]
    assert row["module"] == int(key) and row["detail"] == "3"


def test_spooled_events_are_shown_and_each_event_once(v2):
    v2.sql("SELECT 1 AS x")
    v2.close()
    assert spool(v2) and "query" in set(telemetry.frame(store=open_store(v2.root)).event)
    telemetry.clear()  # only what the store holds: the spool
    assert "query" in set(telemetry.frame(store=open_store(v2.root)).event)
    copy = spool(v2)[0].read_bytes()
    assert open_store(v2.root).flush_telemetry()
    (v2.root / "_workbench" / TELEMETRY_DIR / "again.json").write_bytes(copy)  # a crash left it
    frame = telemetry.frame(store=open_store(v2.root))
    assert frame.id.is_unique and (frame.event == "query").sum() == 1


def test_events_of_a_read_only_view_are_spooled_at_exit(v2):
    version = v2.version
    out = run_python(
        f"""
        from workbench.store import open_store
        view = open_store({str(v2.root)!r}).at({version})
        view.sql("SELECT count(*) AS n FROM functions")
        print(view.flush_telemetry())
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"]
    assert len(spool(v2)) == 1


def test_generation_records_a_build_event_for_every_module_it_built(v2, src, tmp_path):
    from workbench.pipeline import generate

    report = generate(v2, workers=1, quiet=True)
    (run,) = telemetry.frame("generate", store=v2).itertuples()
    assert run.detail == str(src)  # built from the tree it ingested
    assert run.measurements == {
        "modules": report.planned,
        "ok": report.ok,
        "failed": report.failed,
        "skipped": report.skipped,
        "commits": report.commits,
        "workers": 1,
    }
    builds = telemetry.frame("build", store=v2)
    mods = v2.refresh().modules()
    assert sorted(builds.module) == sorted(mods.module)
    assert len(builds) == report.ok + report.failed and (builds.seconds > 0).all()
    status = {k: meta["status"] for k, meta in zip(builds.module, builds.metadata, strict=True)}
    assert status == dict(zip(mods.module, mods.cpg_status, strict=True))
    ok = [
        m
        for m, meta in zip(builds.measurements, builds.metadata, strict=True)
        if meta["status"] == "ok"
    ]
    assert len(ok) == report.ok and all(m["nodes"] > 0 for m in ok)
    # a failed module's event says why, as its row in cpg_graphs does
    graphs = v2.read_table("cpg_graphs").to_pandas()
    failed = graphs[graphs.status == "failed"].set_index("module").error_message
    details = dict(zip(builds.module, builds.detail, strict=True))
    assert len(failed) == report.failed > 0
    assert {m: details[m] for m in failed.index} == failed.to_dict()
    src.rename(tmp_path / "elsewhere")
    generate(v2, workers=1, retry_failed=True, quiet=True)  # without the tree
    assert telemetry.frame("generate", store=v2).detail.tolist() == [str(src), "stored sources"]


def test_migrate_and_rollback_report_the_versions_they_went_between(v1):
    from workbench.store.migrations import migrate, rollback

    migrate(v1)
    rollback(v1)
    spans = telemetry.frame(store=v1)
    spans = spans[spans.event.isin(["migrate", "rollback"])]
    assert spans.event.tolist() == ["migrate", "rollback"]
    assert [{k: m[k] for k in ("from", "to")} for m in spans.measurements] == [
        {"from": 1, "to": 2},
        {"from": 2, "to": 1},
    ]
    assert all(m["tables"] >= 2 for m in spans.measurements)
