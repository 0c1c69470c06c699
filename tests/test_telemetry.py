"""workbench.telemetry: recording events, persisting hooks, frames and reports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
import os
import re
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from helpers import clean_telemetry
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from workbench import telemetry
from workbench.cpg.schema import TELEMETRY
from workbench.telemetry import settings

ROOT = "/stores/one"


@pytest.fixture(autouse=True)
def fresh():
    """Every test starts with no events, no alerts, telemetry on and default settings."""
    with clean_telemetry():
        yield


class FakeStore:
    """What telemetry needs of a store: a root, its tables, their rows and its status."""

    def __init__(self, root, rows=(), sizes=None, has_table=True):
        self.root = Path(root)
        self.tables = {"modules": 1, "telemetry": 1} if has_table else {"modules": 1}
        self.rows = list(rows)
        self.sizes = sizes or {}

    def persist(self, events):
        self.rows += telemetry.as_rows(events)

    def read_table(self, name):
        assert name == "telemetry"
        return pa.Table.from_pylist(self.rows, schema=TELEMETRY)

    def status(self):
        return {"version": 3, "tables": self.sizes}


def at(day: int, hour: int = 0) -> pd.Timestamp:
    return pd.Timestamp(2024, 1, day, hour, tz="UTC")


def timed_frame(times, event="build", key="pkg.mod", **meta):
    """A frame of timed events, one a day, the latest last."""
    return telemetry.frames.to_frame(
        {
            "id": f"{i:04}",
            "ts": at(1) + pd.Timedelta(days=i),
            "event": event,
            "seconds": s,
            "metadata": {"key": key, **meta},
        }
        for i, s in enumerate(times)
    )


# -- emit and the ring -------------------------------------------------------------------------


class TestEmit:
    def test_an_event_has_what_was_given(self):
        before = dt.datetime.now(dt.UTC)
        e = telemetry.emit(
            "query",
            0.25,
            store=Path(ROOT),
            module=7,
            detail="SELECT 1",
            measurements={"rows": 1},
            metadata={"source": "sql"},
        )
        assert (e.name, e.seconds, e.module, e.store, e.detail) == (
            "query",
            0.25,
            7,
            ROOT,
            "SELECT 1",
        )
        assert e.measurements == {"rows": 1} and e.metadata == {"source": "sql"}
        assert before <= e.ts <= dt.datetime.now(dt.UTC)
        assert e.ts.tzinfo is not None and e.ts.utcoffset() == dt.timedelta(0)
        assert telemetry.events() == [e]

    def test_the_store_is_kept_as_given_by_fspath(self):
        assert telemetry.emit("x", store="rel/store/").store == "rel/store/"
        assert telemetry.emit("x", store=Path("rel/store")).store == os.fspath(Path("rel/store"))

    def test_measurements_and_metadata_are_copied(self):
        meta = {"a": 1}
        e = telemetry.emit("x", metadata=meta)
        meta["a"] = 2
        assert e.metadata == {"a": 1}

    def test_events_are_frozen_and_hashable(self):
        e = telemetry.emit("x", metadata={"a": [1]})
        with pytest.raises(AttributeError):
            e.name = "y"
        assert {e: 1}[e] == 1

    def test_emit_builds_the_same_events_as_the_constructor(self):
        e = telemetry.emit("x", 1.0, store=ROOT, module=1, detail="d", measurements={"n": 1})
        values = [getattr(e, f.name) for f in dataclasses.fields(telemetry.Event)]
        assert telemetry.Event(*values) == e and type(e) is telemetry.Event
        assert repr(telemetry.Event(*values)) == repr(e)

    def test_ids_are_unique_and_name_the_process(self):
        ids = [telemetry.emit("x").id for _ in range(1000)]
        assert len(set(ids)) == 1000
        pid, token, counter = ids[0].split("-")
        assert int(pid, 16) == os.getpid() and len(token) == 8 and counter.isdigit()

    def test_ids_from_threads_are_unique(self):
        def work():
            for _ in range(500):
                telemetry.emit("x", store=ROOT)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        taken = telemetry.take(ROOT)
        assert len(taken) == 4000 and len({e.id for e in taken}) == 4000
        assert len(telemetry.events("x")) == 4000

    @pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
    def test_a_forked_child_has_its_own_ids_and_no_pending_events(self):
        parent = telemetry.emit("x", store=ROOT)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report, and leave at once
            try:
                child = telemetry.emit("x")
                os.write(write, f"{child.id} {len(telemetry.take(ROOT))}".encode())
            finally:
                os._exit(0)
        os.close(write)
        child_id, child_pending = os.read(read, 200).decode().split()
        os.close(read)
        os.waitpid(pid, 0)
        assert child_id.split("-")[0] == f"{pid:x}"
        assert child_id.rsplit("-", 1)[0] != parent.id.rsplit("-", 1)[0]
        assert child_pending == "0"  # the parent persists them
        assert telemetry.take(ROOT) == [parent]

    def test_the_ring_keeps_the_newest_events(self):
        telemetry.set_ring_size(3)
        for i in range(5):
            telemetry.emit("x", metadata={"i": i})
        assert [e.metadata["i"] for e in telemetry.events()] == [2, 3, 4]
        telemetry.set_ring_size(2)
        assert [e.metadata["i"] for e in telemetry.events()] == [3, 4]
        with pytest.raises(ValueError, match="ring size"):
            telemetry.set_ring_size(0)

    def test_events_filter_by_kind_and_store(self):
        a = telemetry.emit("build", store=ROOT)
        b = telemetry.emit("query", store=ROOT)
        c = telemetry.emit("query", store="/elsewhere")
        d = telemetry.emit("query")
        assert telemetry.events("query") == [b, c, d]
        assert telemetry.events(["build", "query"], store=Path(ROOT)) == [a, b]
        assert telemetry.events(store="/elsewhere") == [c]

    def test_clear_forgets_everything(self):
        telemetry.emit("x", store=ROOT)
        telemetry.clear()
        assert telemetry.events() == [] and telemetry.take(ROOT) == []
        assert telemetry.pending() == {}


class TestDisabled:
    def test_nothing_is_recorded(self):
        with telemetry.disabled():
            assert not telemetry.enabled()
            assert telemetry.emit("x", store=ROOT) is None
            with telemetry.span("y") as s:
                s.measurements["rows"] = 1
            assert s.event is None and s.seconds is not None
        assert telemetry.enabled()
        assert telemetry.events() == [] and telemetry.take(ROOT) == []

    def test_disable_and_enable(self):
        telemetry.disable()
        with telemetry.disabled():
            pass
        assert not telemetry.enabled()  # disabled() restores what was
        assert telemetry.emit("x") is None
        telemetry.enable()
        assert telemetry.emit("x") is not None

    def test_disabled_is_restored_after_an_error(self):
        with pytest.raises(RuntimeError), telemetry.disabled():
            raise RuntimeError
        assert telemetry.enabled()


class TestSpan:
    def test_measures_the_block(self):
        with telemetry.span("build", store=ROOT, module=3, metadata={"key": "m"}) as s:
            time.sleep(0.02)
            s.measurements["nodes"] = 10
            s.detail = "pkg/mod.py"
        e = s.event
        assert e is telemetry.events()[-1] and e.seconds == s.seconds
        assert 0.02 <= e.seconds < 5
        assert e.metadata == {"key": "m", "outcome": "ok"}
        assert (e.measurements, e.detail, e.module, e.store) == (
            {"nodes": 10},
            "pkg/mod.py",
            3,
            ROOT,
        )
        assert telemetry.take(ROOT) == [e]

    def test_the_block_may_set_the_outcome(self):
        with telemetry.span("build") as s:
            s.metadata["outcome"] = "skipped"
        assert s.event.metadata["outcome"] == "skipped"

    def test_an_error_is_recorded_and_propagates(self):
        with pytest.raises(ValueError, match="bad input"), telemetry.span("build") as s:
            s.metadata["outcome"] = "skipped"
            raise ValueError("bad input")
        e = s.event
        assert e.metadata["outcome"] == "error" and e.metadata["error_type"] == "ValueError"
        assert e.detail == "bad input" and e.seconds is not None

    def test_an_error_keeps_a_detail_already_set(self):
        with pytest.raises(KeyError), telemetry.span("query", detail="SELECT x") as s:
            raise KeyError("x")
        assert s.event.detail == "SELECT x" and s.event.metadata["error_type"] == "KeyError"


# -- persistence hooks ---------------------------------------------------------------------


class TestPending:
    def test_take_returns_a_stores_events_in_order_once(self):
        a = telemetry.emit("x", store=ROOT)
        other = telemetry.emit("x", store="/stores/two")
        telemetry.emit("x")  # no store: not pending
        b = telemetry.emit("x", store=Path(ROOT))
        assert telemetry.pending() == {ROOT: 2, "/stores/two": 1}
        assert telemetry.take(Path(ROOT)) == [a, b]
        assert telemetry.take(ROOT) == []
        assert telemetry.take("/stores/two") == [other]

    def test_restore_puts_events_back_in_front(self):
        a, b = telemetry.emit("x", store=ROOT), telemetry.emit("x", store=ROOT)
        taken = telemetry.take(ROOT)
        c = telemetry.emit("x", store=ROOT)
        telemetry.restore(taken)
        assert telemetry.take(ROOT) == [a, b, c]

    def test_restore_sends_events_to_their_stores(self):
        a = telemetry.emit("x", store=ROOT)
        b = telemetry.emit("x", store="/stores/two")
        taken = telemetry.take(ROOT) + telemetry.take("/stores/two")
        telemetry.restore([*taken, telemetry.emit("x")])
        assert telemetry.take(ROOT) == [a] and telemetry.take("/stores/two") == [b]

    def test_restoring_twice_restores_once(self):
        a = telemetry.emit("x", store=ROOT)
        taken = telemetry.take(ROOT)
        telemetry.restore(taken)
        telemetry.restore(taken)
        assert telemetry.take(ROOT) == [a]

    def test_a_full_queue_drops_its_oldest_and_counts_them(self):
        telemetry.set_pending_size(3)
        sent = [telemetry.emit("x", store=ROOT) for _ in range(5)]
        telemetry.emit("x", store="/stores/two")
        assert telemetry.dropped(ROOT) == 2 and telemetry.dropped() == 2
        assert telemetry.dropped("/stores/two") == 0
        assert telemetry.take(ROOT) == sent[2:]
        assert len(telemetry.events()) == 6  # the ring has them all

    def test_restore_into_a_full_queue_drops_the_oldest(self):
        telemetry.set_pending_size(3)
        old = [telemetry.emit("x", store=ROOT) for _ in range(2)]
        taken = telemetry.take(ROOT)
        new = [telemetry.emit("x", store=ROOT) for _ in range(2)]
        telemetry.restore(taken)
        assert telemetry.take(ROOT) == [old[1], *new]
        assert telemetry.dropped(ROOT) == 1

    def test_as_rows_has_the_table_columns(self):
        e = telemetry.emit(
            "query", 0.5, module=2, detail="SELECT", measurements={"rows": 3}, metadata={"b": 1}
        )
        (row,) = telemetry.as_rows([e])
        assert list(row) == [
            "id",
            "ts",
            "event",
            "seconds",
            "module",
            "detail",
            "measurements",
            "metadata",
        ]
        assert (row["id"], row["ts"], row["event"], row["seconds"], row["module"]) == (
            e.id,
            e.ts,
            "query",
            0.5,
            2,
        )
        assert row["measurements"] == '{"rows": 3}' and row["metadata"] == '{"b": 1}'
        pa.Table.from_pylist([row], schema=TELEMETRY)  # casts to the store's schema

    def test_values_json_cannot_hold_are_written_as_text(self):
        when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        (row,) = telemetry.as_rows([telemetry.emit("x", metadata={"when": when, "p": Path("a")})])
        assert json.loads(row["metadata"]) == {"when": str(when), "p": "a"}


JSONABLE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@hsettings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    measurements=st.dictionaries(st.text(), st.integers() | st.floats(allow_nan=False), max_size=5),
    metadata=st.dictionaries(st.text(), JSONABLE, max_size=5),
)
def test_as_rows_round_trips_through_json(measurements, metadata):
    e = telemetry.emit("x", measurements=measurements, metadata=metadata)
    (row,) = telemetry.as_rows([e])
    assert json.loads(row["measurements"]) == measurements
    assert json.loads(row["metadata"]) == metadata


class TestListeners:
    def test_listeners_see_every_event_until_unsubscribed(self):
        seen = []
        unsubscribe = telemetry.subscribe(seen.append)
        a = telemetry.emit("x")
        unsubscribe()
        unsubscribe()  # twice is fine
        telemetry.emit("x")
        assert seen == [a]

    def test_a_failing_listener_is_logged_and_ignored(self, caplog):
        seen = []

        def broken(event):
            raise RuntimeError("listener bug")

        undo = [telemetry.subscribe(broken), telemetry.subscribe(seen.append)]
        try:
            with caplog.at_level(logging.ERROR, logger="workbench.telemetry"):
                e = telemetry.emit("x", store=ROOT)
        finally:
            for u in undo:
                u()
        assert e is not None and seen == [e] and telemetry.take(ROOT) == [e]
        (record,) = [r for r in caplog.records if r.name == "workbench.telemetry"]
        assert record.levelno == logging.ERROR and "listener" in record.getMessage()
        assert record.exc_info[0] is RuntimeError


# -- frames ---------------------------------------------------------------------------------


COLUMNS = ["id", "ts", "event", "seconds", "module", "store", "detail", "measurements", "metadata"]


class TestFrame:
    def test_the_rings_events(self):
        a = telemetry.emit("build", 1.0, store=ROOT, module=4, measurements={"nodes": 9})
        telemetry.emit("query", 0.1)
        df = telemetry.frame("build")
        assert list(df.columns) == COLUMNS and len(df) == 1
        row = df.iloc[0]
        assert (row.id, row.event, row.seconds, row.module, row.store) == (
            a.id,
            "build",
            1.0,
            4,
            ROOT,
        )
        assert row.measurements == {"nodes": 9} and row.metadata == {}
        assert row.ts == pd.Timestamp(a.ts)
        assert len(telemetry.frame()) == 2 and len(telemetry.frame(["build", "query"])) == 2

    def test_an_empty_frame_keeps_the_columns(self):
        df = telemetry.frame()
        assert df.empty and list(df.columns) == COLUMNS
        assert str(df["ts"].dtype) == "datetime64[us, UTC]"

    def test_since(self):
        telemetry.emit("x")
        cut = dt.datetime.now(dt.UTC)
        time.sleep(0.001)
        b = telemetry.emit("x")
        assert telemetry.frame(since=cut).id.tolist() == [b.id]
        naive = cut.replace(tzinfo=None)  # taken as UTC
        assert telemetry.frame(since=naive).id.tolist() == [b.id]

    def test_a_store_root_selects_its_ring_events(self):
        a = telemetry.emit("x", store=ROOT)
        telemetry.emit("x", store="/stores/two")
        assert telemetry.frame(store=Path(ROOT)).id.tolist() == [a.id]

    def test_a_store_object_adds_its_persisted_events_without_duplicates(self):
        store = FakeStore(ROOT)
        earlier = telemetry.emit("build", 2.0, store=ROOT, metadata={"status": "ok"})
        store.persist(telemetry.take(ROOT))
        telemetry.clear()  # another process wrote it: only the table has it
        a = telemetry.emit("query", 0.5, store=ROOT, measurements={"rows": 3})
        b = telemetry.emit("query", 0.7, store=ROOT, detail="SELECT 2")
        store.persist(telemetry.take(ROOT))  # a commit
        c = telemetry.emit("cache", store=ROOT, metadata={"tier": "miss"})  # pending
        telemetry.emit("query", store="/stores/two")
        df = telemetry.frame(store=store)
        assert list(df.columns) == COLUMNS
        assert df.id.tolist() == [earlier.id, a.id, b.id, c.id]
        assert set(df.store) == {ROOT}
        assert df.measurements.tolist() == [{}, {"rows": 3}, {}, {}]
        assert df.metadata.tolist()[0] == {"status": "ok"}
        assert df.detail.tolist()[2] == "SELECT 2"
        assert telemetry.frame("query", store=store).id.tolist() == [a.id, b.id]

    def test_a_real_store_persists_and_reads_back(self, v2):
        v2.sql("SELECT count(*) AS n FROM modules")
        assert telemetry.pending()[os.fspath(v2.root)] >= 1  # the query's, at least
        assert v2.flush_telemetry()
        assert telemetry.pending() == {}
        in_memory = telemetry.frame(store=v2)
        telemetry.clear()  # a fresh process: only the table has them
        df = telemetry.frame(store=v2)
        assert df.id.tolist() == in_memory.id.tolist()
        assert {"ingest", "migrate", "query"} <= set(df.event)
        query = telemetry.queries(df).iloc[-1]
        assert query.sql == "SELECT count(*) AS n FROM modules" and query.rows == 1
        assert query.store == os.fspath(v2.root)

    def test_a_store_without_the_table(self):
        store = FakeStore(ROOT, has_table=False)
        a = telemetry.emit("x", store=ROOT)
        assert telemetry.frame(store=store).id.tolist() == [a.id]


# -- reports ---------------------------------------------------------------------------------


class TestReports:
    def test_queries_flag_slow_ones_and_carry_plans(self):
        settings.slow_query_seconds = 1.0
        telemetry.emit("query", 0.2, store=ROOT, detail="SELECT 1", measurements={"rows": 1},
                       metadata={"source": "sql", "outcome": "ok"})  # fmt: skip
        telemetry.emit("query", 2.0, store=ROOT, detail="SELECT 2", measurements={"rows": 5},
                       metadata={"source": "query"})  # fmt: skip
        telemetry.emit("slow_query", 2.0, store=ROOT, detail="SELECT 2", metadata={"plan": "SCAN"})
        telemetry.emit("build", 9.0)
        q = telemetry.queries()
        assert list(q.columns[:7]) == ["ts", "seconds", "rows", "sql", "source", "slow", "plan"]
        assert q.sql.tolist() == ["SELECT 1", "SELECT 2"]
        assert q.rows.tolist() == [1, 5] and q.source.tolist() == ["sql", "query"]
        assert q.slow.tolist() == [False, True]
        assert q.plan.tolist() == [None, "SCAN"]
        assert "outcome" in q.columns
        assert telemetry.slow_queries().sql.tolist() == ["SELECT 2"]
        slowest_first = telemetry.slow_queries(threshold=0.1)
        assert slowest_first.sql.tolist() == ["SELECT 2", "SELECT 1"]
        assert telemetry.is_slow(1.0) and not telemetry.is_slow(0.99)
        assert not telemetry.is_slow(None)

    def test_reports_without_events_have_their_columns(self):
        assert list(telemetry.queries().columns) == [
            "ts",
            "seconds",
            "rows",
            "sql",
            "source",
            "slow",
            "plan",
            "id",
            "event",
            "module",
            "store",
        ]
        assert telemetry.builds().empty and "status" in telemetry.builds()
        assert telemetry.algorithms().empty and "tier" in telemetry.algorithms()

    def test_builds(self):
        telemetry.emit("build", 1.5, module=1, measurements={"nodes": 10, "edges": 12},
                       metadata={"status": "ok"})  # fmt: skip
        with pytest.raises(ValueError), telemetry.span("build", module=2):
            raise ValueError("parse error")
        b = telemetry.builds()
        assert list(b.columns[:6]) == ["ts", "module", "seconds", "status", "nodes", "edges"]
        assert b.module.tolist() == [1, 2] and b.status.tolist() == ["ok", "error"]
        assert b.nodes.tolist()[0] == 10 and math.isnan(b.nodes.tolist()[1])

    def test_algorithms(self):
        telemetry.emit("algorithm", 0.3, measurements={"nodes": 5, "edges": 4},
                       metadata={"algorithm": "pagerank", "kind": "cfg", "cache": "memory",
                                 "approximate": False})  # fmt: skip
        a = telemetry.algorithms()
        row = a.iloc[0]
        assert (row.algorithm, row.kind, row.seconds, row.tier, row.nodes, row.edges) == (
            "pagerank",
            "cfg",
            0.3,
            "memory",
            5,
            4,
        )
        assert not row.approximate

    def test_a_frame_can_be_given(self):
        telemetry.emit("query", 0.1, detail="A")
        df = telemetry.frame()
        telemetry.emit("query", 0.1, detail="B")
        assert telemetry.queries(df).sql.tolist() == ["A"]
        assert telemetry.queries(store=ROOT).empty

    def test_cache_ratios(self):
        for algorithm, tiers in {
            "pagerank": ["miss", "memory", "memory", "store"],
            "dominators": ["miss", "miss"],
        }.items():
            for tier in tiers:
                telemetry.emit("cache", metadata={"algorithm": algorithm, "tier": tier})
        telemetry.emit("cache", metadata={"algorithm": "pagerank", "tier": "elsewhere"})
        telemetry.emit("cache", metadata={"tier": "miss"})  # no algorithm
        telemetry.emit("algorithm", metadata={"algorithm": "pagerank", "tier": "miss"})
        r = telemetry.cache_ratios()
        assert list(r.columns) == [
            "algorithm",
            "lookups",
            "memory_hits",
            "store_hits",
            "misses",
            "hit_ratio",
        ]
        assert r.algorithm.tolist() == ["dominators", "pagerank", "(all)"]
        assert r.lookups.tolist() == [2, 4, 6]
        assert r.memory_hits.tolist() == [0, 2, 2] and r.store_hits.tolist() == [0, 1, 1]
        assert r.misses.tolist() == [2, 1, 3]
        assert r.hit_ratio.tolist() == pytest.approx([0.0, 0.75, 0.5])

    def test_cache_ratios_without_lookups(self):
        r = telemetry.cache_ratios()
        assert r.algorithm.tolist() == ["(all)"] and r.lookups.tolist() == [0]
        assert math.isnan(r.hit_ratio[0])


# -- size alerts ---------------------------------------------------------------------------


def sized_store(**tables):
    return FakeStore(
        ROOT,
        sizes={t: dict(zip(["rows", "files", "bytes"], v, strict=True)) for t, v in tables.items()},
    )


class TestSizes:
    def test_table_sizes(self):
        store = sized_store(nodes=(100, 3, 4096), broken=(None, None, None))
        df = telemetry.table_sizes(store)
        assert list(df.columns) == ["table", "rows", "files", "bytes"]
        assert df.table.tolist() == ["broken", "nodes"]
        assert df.rows.tolist()[1] == 100 and pd.isna(df.rows[0])

    def test_an_alert_opens_logs_emits_and_closes(self, caplog):
        store = sized_store(nodes=(100, 12, 4096), edges=(10, 1, 10))
        limits = {"*": {"files": 10}}
        with caplog.at_level(logging.INFO, logger="workbench.telemetry"):
            alerts = telemetry.check_sizes(store, limits)
        assert list(alerts.columns) == ["table", "measure", "value", "threshold", "opened"]
        assert alerts[["table", "measure", "value", "threshold"]].values.tolist() == [
            ["nodes", "files", 12.0, 10.0]
        ]
        (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert warning.name == "workbench.telemetry" and "nodes" in warning.getMessage()
        (event,) = telemetry.take(ROOT)  # persisted with the store's next commit
        assert event.name == "alert" and event.measurements == {"value": 12.0}
        assert event.metadata == {
            "table": "nodes",
            "measure": "files",
            "threshold": 10.0,
            "state": "open",
        }
        assert telemetry.open_alerts().table.tolist() == ["nodes"]

        caplog.clear()
        store.sizes["nodes"]["files"] = 15  # still over: no new alert
        again = telemetry.check_sizes(store, limits)
        assert again.value.tolist() == [15.0] and again.opened.tolist() == alerts.opened.tolist()
        assert telemetry.take(ROOT) == [] and not caplog.records

        store.sizes["nodes"]["files"] = 2  # compacted
        assert telemetry.check_sizes(store, limits).empty
        (closed,) = telemetry.take(ROOT)
        assert closed.name == "alert" and closed.metadata["state"] == "closed"
        assert telemetry.open_alerts().empty

    def test_thresholds_per_table_fall_back_to_star(self):
        sizes = pd.DataFrame(
            {"table": ["nodes", "edges", "files_only"], "rows": [50, 50, None], "files": [5, 5, 99]}
        )
        limits = {"*": {"rows": 10, "files": 100}, "nodes": {"rows": 100}, "edges": {"files": 1}}
        alerts = telemetry.check_sizes(sizes, limits)
        assert alerts[["table", "measure"]].values.tolist() == [
            ["edges", "files"],
            ["edges", "rows"],
        ]
        none_for_edges = {**limits, "edges": {"rows": None, "files": None}}
        assert telemetry.check_sizes(sizes, none_for_edges).empty

    def test_default_thresholds_are_the_settings(self):
        settings.size_thresholds = {"*": {"bytes": 1000}}
        sizes = pd.DataFrame({"table": ["t"], "bytes": [2000]})
        assert telemetry.check_sizes(sizes).measure.tolist() == ["bytes"]

    def test_alerts_of_stores_are_apart(self):
        telemetry.check_sizes(sized_store(nodes=(1, 50, 1)), {"*": {"files": 10}})
        other = FakeStore("/stores/two", sizes={"nodes": {"rows": 1, "files": 1, "bytes": 1}})
        assert telemetry.check_sizes(other, {"*": {"files": 10}}).empty
        assert len(telemetry.open_alerts(ROOT)) == 1 and telemetry.open_alerts(other).empty


# -- regressions ------------------------------------------------------------------------------

NOISY = [1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 1.1, 0.92]


class TestRegressions:
    def test_a_run_three_times_slower_regressed(self):
        r = telemetry.regressions(timed_frame([*NOISY, 3.0]))
        assert list(r.columns) == [
            "event",
            "key",
            "runs",
            "latest_seconds",
            "baseline_median",
            "baseline_mad",
            "ratio",
            "regressed",
        ]
        row = r.iloc[0]
        assert (row.event, row.key, row.runs, row.latest_seconds) == ("build", "pkg.mod", 9, 3.0)
        assert row.baseline_median == pytest.approx(np.median(NOISY))
        assert row.baseline_mad == pytest.approx(
            np.median(np.abs(np.array(NOISY) - np.median(NOISY)))
        )
        assert row.ratio == pytest.approx(3.0 / np.median(NOISY)) and row.regressed

    def test_a_frame_without_timed_events_has_no_regressions(self):
        # regression: an empty mask over no rows used to select no columns (KeyError 'ts')
        for frame in (timed_frame([]), timed_frame([1.0]).iloc[0:0]):
            r = telemetry.regressions(frame)
            assert r.empty and "regressed" in r.columns

    def test_a_run_within_the_noise_did_not(self):
        assert not telemetry.regressions(timed_frame([*NOISY, 1.12])).regressed[0]

    def test_both_conditions_are_needed(self):
        wide = [1.0, 3.0, 0.5, 2.5, 1.0, 0.4, 2.0]  # median 1.0, MAD 0.6
        assert not telemetry.regressions(timed_frame([*wide, 2.5])).regressed[0]
        steady = [1.0] * 6  # MAD 0: any slow-down over the factor counts
        assert telemetry.regressions(timed_frame([*steady, 1.6])).regressed[0]
        assert not telemetry.regressions(timed_frame([*steady, 1.4])).regressed[0]

    def test_min_runs_and_window(self):
        assert telemetry.regressions(timed_frame([1.0] * 4 + [9.0])).empty  # 4 earlier runs
        assert len(telemetry.regressions(timed_frame([1.0] * 4 + [9.0]), min_runs=4)) == 1
        settings.regression_min_runs = 2
        assert len(telemetry.regressions(timed_frame([1.0, 1.0, 9.0]))) == 1
        # the baseline is the last `window` earlier runs: old slow runs no longer count
        r = telemetry.regressions(timed_frame([5.0] * 10 + [1.0] * 5 + [3.0]), window=5)
        assert r.baseline_median[0] == 1.0 and r.regressed[0]
        assert not telemetry.regressions(timed_frame([5.0] * 10 + [1.0] * 5 + [3.0])).regressed[0]

    def test_groups_by_kind_and_key_and_skips_failures(self):
        telemetry.emit("query", 1.0, detail="SELECT 1")
        for _ in range(5):
            telemetry.emit("query", 1.0, detail="SELECT 2")
            telemetry.emit("algorithm", 1.0, metadata={"key": "pagerank/cfg"}, detail="ignored")
        telemetry.emit("query", 5.0, detail="SELECT 2")
        telemetry.emit("algorithm", 1.0, metadata={"key": "pagerank/cfg"})
        telemetry.emit("algorithm", 50.0, metadata={"key": "pagerank/cfg", "outcome": "error"})
        telemetry.emit("cache", metadata={"key": "untimed"})
        r = telemetry.regressions()
        assert r[["event", "key", "regressed"]].values.tolist() == [
            ["algorithm", "pagerank/cfg", False],
            ["query", "SELECT 2", True],
        ]

    def test_check_regressions_reports_each_once(self, caplog):
        for s in [*NOISY, 4.0]:
            telemetry.emit("build", s, store=ROOT, metadata={"key": "slow.mod"})
        for s in [*NOISY, 1.0]:
            telemetry.emit("build", s, store=ROOT, metadata={"key": "fine.mod"})
        telemetry.take(ROOT)
        with caplog.at_level(logging.WARNING, logger="workbench.telemetry"):
            found = telemetry.check_regressions()
            again = telemetry.check_regressions()
        assert found.key.tolist() == ["slow.mod"] and again.key.tolist() == ["slow.mod"]
        (event,) = telemetry.events("regression")
        assert event.metadata["event"] == "build" and event.metadata["key"] == "slow.mod"
        assert event.measurements["latest_seconds"] == 4.0 and event.store == ROOT
        assert telemetry.take(ROOT) == [event]
        (warning,) = caplog.records
        assert warning.levelno == logging.WARNING and "slow.mod" in warning.getMessage()


@hsettings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    times=st.lists(st.floats(0.001, 1000), min_size=6, max_size=30),
    power=st.integers(-10, 10),
)
def test_regressions_do_not_depend_on_the_unit(times, power):
    """Scaling every duration (by a power of two: exact) changes no verdict."""
    a = telemetry.regressions(timed_frame(times))
    b = telemetry.regressions(timed_frame([t * 2.0**power for t in times]))
    assert a.regressed.tolist() == b.regressed.tolist()
    assert a.ratio.tolist() == pytest.approx(b.ratio.tolist())


@hsettings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(times=st.lists(st.floats(0.001, 1000), min_size=5, max_size=30), share=st.floats(0, 1))
def test_a_run_no_slower_than_factor_times_the_median_never_regressed(times, share):
    median = float(np.median(times[-settings.regression_window :]))
    latest = share * settings.regression_factor * median
    r = telemetry.regressions(timed_frame([*times, latest]))
    assert not r.regressed[0]


# -- export ---------------------------------------------------------------------------------


def sample_events():
    telemetry.emit("build", 1.5, store=ROOT, module=3, measurements={"nodes": 9},
                   metadata={"status": "ok", "tags": ["a", "b"]})  # fmt: skip
    telemetry.emit("query", 0.25, detail='SELECT "x",\n1', metadata={"source": "sql"})
    telemetry.emit("cache", metadata={"algorithm": "pagerank", "tier": "memory"})


class TestExport:
    @pytest.mark.parametrize("suffix", [".parquet", ".csv", ".CSV"])
    def test_round_trip(self, tmp_path, suffix):
        sample_events()
        df = telemetry.frame()
        path = telemetry.export(df, tmp_path / f"events{suffix}")
        assert path.exists()
        back = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path)
        assert list(back.columns) == COLUMNS
        assert back.id.tolist() == df.id.tolist()
        assert [json.loads(m) for m in back.measurements] == df.measurements.tolist()
        assert [json.loads(m) for m in back.metadata] == df.metadata.tolist()
        assert pd.to_datetime(back.ts, utc=True).tolist() == df.ts.tolist()
        assert back.seconds.tolist() == pytest.approx(df.seconds.tolist(), nan_ok=True)
        assert back.detail.tolist()[1] == 'SELECT "x",\n1'

    def test_reports_export_too(self, tmp_path):
        sample_events()
        path = telemetry.export(telemetry.builds(), tmp_path / "builds.parquet")
        back = pd.read_parquet(path)
        assert json.loads(back.tags[0]) == ["a", "b"] and back.status.tolist() == ["ok"]

    def test_an_unknown_suffix_is_refused(self, tmp_path):
        with pytest.raises(ValueError, match=r"'\.json'.*\.parquet.*\.csv"):
            telemetry.export(telemetry.frame(), tmp_path / "events.json")
        assert not (tmp_path / "events.json").exists()


# -- Prometheus ---------------------------------------------------------------------------

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def parse_prometheus(text: str):
    """{family: type}, {(name, ((label, value), ...)): value} of the text format 0.0.4."""
    types, samples, helped = {}, {}, set()
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helped.add(line.split()[2])
        elif line.startswith("# TYPE "):
            _, _, family, kind = line.split()
            assert family in helped and family not in types
            types[family] = kind
        else:
            m = SAMPLE.match(line)
            assert m, line
            name, labels, value = m.groups()
            family = re.sub(r"_(sum|count)$", "", name) if name not in types else name
            assert family in types, f"{name} before its TYPE line"
            pairs = []
            if labels:
                end = 0
                for lm in LABEL.finditer(labels):
                    assert lm.start() == end, labels
                    pairs.append((lm.group(1), unescape(lm.group(2))))
                    end = lm.end()
                assert end == len(labels), labels
            samples[name, tuple(pairs)] = float(value)
    return types, samples


class TestPrometheus:
    def test_values_and_types(self):
        for s in [0.1, 0.2, 0.3, 0.4]:
            telemetry.emit("build", s)
        telemetry.emit("query", 2.0)
        for tier in ["memory", "miss", "store", "memory"]:
            telemetry.emit("cache", metadata={"algorithm": "pagerank", "tier": tier})
        telemetry.check_sizes(
            pd.DataFrame({"table": ["nodes"], "files": [20]}), {"*": {"files": 1}}
        )
        text = telemetry.prometheus()
        types, samples = parse_prometheus(text)
        assert types == {
            "workbench_events_total": "counter",
            "workbench_event_seconds": "summary",
            "workbench_cache_hit_ratio": "gauge",
            "workbench_open_alerts": "gauge",
        }
        assert samples["workbench_events_total", (("event", "build"),)] == 4
        assert samples["workbench_events_total", (("event", "cache"),)] == 4
        assert samples["workbench_events_total", (("event", "alert"),)] == 1
        builds = [0.1, 0.2, 0.3, 0.4]
        for q in (0.5, 0.9, 0.99):
            key = ("workbench_event_seconds", (("event", "build"), ("quantile", str(q))))
            assert samples[key] == pytest.approx(np.quantile(builds, q))
        assert samples["workbench_event_seconds_sum", (("event", "build"),)] == pytest.approx(1.0)
        assert samples["workbench_event_seconds_count", (("event", "build"),)] == 4
        assert samples["workbench_event_seconds_count", (("event", "query"),)] == 1
        assert ("workbench_event_seconds_count", (("event", "cache"),)) not in samples  # untimed
        assert samples["workbench_cache_hit_ratio", (("algorithm", "pagerank"),)] == 0.75
        assert samples["workbench_cache_hit_ratio", (("algorithm", "(all)"),)] == 0.75
        assert samples["workbench_open_alerts", ()] == 1
        assert text == telemetry.prometheus()  # deterministic

    def test_label_values_are_escaped(self):
        weird = 'a "quoted"\\path\nnext'
        telemetry.emit(weird, 1.0)
        telemetry.emit("b", 1.0)
        text = telemetry.prometheus()
        assert '{event="a \\"quoted\\"\\\\path\\nnext"}' in text
        _, samples = parse_prometheus(text)
        assert samples["workbench_events_total", (("event", weird),)] == 1
        counters = [line for line in text.splitlines() if line.startswith("workbench_events")]
        assert counters == sorted(counters)

    def test_no_events(self):
        types, samples = parse_prometheus(telemetry.prometheus())
        assert len(types) == 4 and samples == {("workbench_open_alerts", ()): 0}

    def test_a_store_and_a_frame(self):
        telemetry.emit("build", 1.0, store=ROOT)
        telemetry.emit("build", 1.0, store="/stores/two")
        _, samples = parse_prometheus(telemetry.prometheus(store=ROOT))
        assert samples["workbench_events_total", (("event", "build"),)] == 1
        _, samples = parse_prometheus(telemetry.prometheus(telemetry.frame()))
        assert samples["workbench_events_total", (("event", "build"),)] == 2
