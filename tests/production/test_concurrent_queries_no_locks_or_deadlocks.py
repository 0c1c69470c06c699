"""Item 7: concurrent queries cause no locks or deadlocks."""

from __future__ import annotations

import production_kit as kit
import pytest

from workbench.store import Store, open_store
from workbench.store.maintenance import verify
from workbench.store.migrations import migrate

#: Readers querying at once (with the generation's committer and its two workers).
READERS = 4
#: What no single query may take, however loaded the machine (generous: a bound, not a
#: benchmark; the measured percentiles are reported).
BOUND_SECONDS = 30.0


@pytest.mark.slow  # concurrent processes, whole generation runs: 15-20 s
def test_concurrent_queries_no_locks_or_deadlocks(tmp_path, prod_source, record_property):
    """Four reader processes query the store (SQL over legacy and CPG tables, CPG lookups,
    functions, modules) while another process generates every CPG with two workers: the
    generation finishes, every reader stops when told to, no query fails (no
    ``StoreBusyError``: reads never take the write lock, and the read counts they persist
    use a try-lock), and no query takes longer than 30 s. Latency percentiles are reported
    (``measured:`` properties, shown at the end of the run).

    Builds on ``tests/test_store_faults.py::test_readers_see_whole_snapshots_while_a_writer_writes``
    and ``::test_two_writer_processes``, and on ``tests/test_store_maintenance.py::
    test_vacuum_removes_unneeded_files_but_waits_for_a_running_write`` (a writer waits, it
    is not refused); item 3 (``test_concurrent_access_during_generation``) checks what the
    readers saw, this one that nobody waited for long.
    """
    store = Store.create(tmp_path / "store")
    store.ingest(prod_source)
    migrate(store)
    store.close()

    report, readers = kit.readers_during_generation(
        store.root, tmp_path / "work", readers=READERS, timeout=600
    )

    assert report["ok"] + report["failed"] == report["planned"] and report["ok"] > 50
    assert [e for r in readers for e in r["errors"]] == []
    seconds = [rec[4] for r in readers for rec in r["records"]]
    assert all(len(r["records"]) >= 3 for r in readers)
    p50, p95, worst = (kit.percentile(seconds, q) for q in (50, 95, 100))
    for name, value in (
        ("queries", len(seconds)),
        ("query p50 s", round(p50, 3)),
        ("query p95 s", round(p95, 3)),
        ("query max s", round(worst, 3)),
        ("generation s", round(report["seconds"], 2)),
    ):
        record_property(f"measured:{name}", value)
    by_kind = {}
    for r in readers:
        for rec in r["records"]:
            by_kind.setdefault(rec[1], []).append(rec[4])
    for kind, values in sorted(by_kind.items()):
        record_property(f"measured:{kind} p95 s", round(kit.percentile(values, 95), 3))
    assert worst < BOUND_SECONDS, f"a query took {worst:.1f} s"
    final = open_store(store.root)
    assert set(final.history().operation) >= {"generate", "link"}
    assert verify(final).empty
