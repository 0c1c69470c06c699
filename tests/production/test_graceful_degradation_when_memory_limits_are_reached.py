"""Item 2: graceful degradation when memory limits are reached."""

from __future__ import annotations

import sys

import pandas as pd
import production_kit as kit
import pytest

import workbench as wb
from workbench.errors import NotFoundError, SourceTooLargeError
from workbench.pipeline import generate, plan, scheduler
from workbench.store import Store, open_store
from workbench.store.migrations import migrate

#: A per-module memory budget that some modules of the slice exceed (about 3,500 nodes).
BUDGET_MB = 4


def test_graceful_degradation_when_memory_limits_are_reached(tmp_path, prod_source):
    """Memory limits reached in each layer degrade the answer, never the run or the store.

    * Generation (real process pool) with a ``memory_budget_mb`` that the larger modules
      exceed skips exactly those (status ``skipped``, ``SourceTooLargeError`` and the limit
      in the message, on the module and in ``cpg_graphs``), builds the others (each within
      the budget's node limit, while each skipped one is over it), and keeps every AST-level
      answer; the skipped modules wait (a plain rerun plans nothing) for ``retry_failed``
      (item 6 runs that retry with a normal budget).
    * CPGMath with a one-byte result budget holds nothing and still answers every request
      exactly as an unbounded one does.

    Builds on ``tests/test_generate.py::test_memory_budget_skips_what_does_not_fit`` (the
    sample, one worker), ``tests/test_guarantees.py::
    test_a_module_over_the_node_limit_is_skipped_and_named`` (one worker call) and
    ``tests/test_cpgmath.py::test_cached_answer_equals_a_fresh_one`` (``memory_budget=0``);
    here with two worker processes on real code, checking the split and the AST level.
    """
    store = Store.create(tmp_path / "store")
    store.ingest(prod_source)
    before = kit.legacy_tables(store)
    answers = kit.legacy_answers(store)
    migrate(store)
    max_nodes = BUDGET_MB * 2**20 // scheduler.BYTES_PER_NODE

    report = generate(store, workers=2, memory_budget_mb=BUDGET_MB, quiet=True)

    skipped = {f["path"]: f for f in report.failures if f["status"] == "skipped"}
    assert report.ok > 20 and len(skipped) >= 3 and report.skipped == len(skipped)
    assert {f["error_type"] for f in skipped.values()} == {"SourceTooLargeError"}
    assert {f["error_message"] for f in skipped.values()} == {
        f"skipped: too large (more than {max_nodes:,} CPG nodes)"
    }
    store = open_store(store.root)
    status = kit.cpg_status(store)
    assert {status[p] for p in skipped} == {"skipped"}
    graphs = store.read_table("cpg_graphs").to_pandas()
    assert set(graphs[graphs.status == "skipped"].error_type) == {"SourceTooLargeError"}
    kit.assert_legacy_equal(kit.legacy_tables(store), before)
    assert kit.legacy_answers(store) == answers
    for path in skipped:
        assert len(store.functions(path)) > 0
        with pytest.raises(NotFoundError, match="status skipped"):
            store.cpg(path)
    assert generate(store, workers=2, memory_budget_mb=BUDGET_MB, quiet=True).planned == 0
    failed = {f["path"] for f in report.failures if f["status"] == "failed"}  # cannot parse
    assert {path for _, path, _ in plan(store, retry_failed=True)} == set(skipped) | failed

    # the split was right: every built module fits, every skipped one does not
    nodes = store.sql(
        "SELECT m.path, g.nodes FROM cpg_graphs g JOIN modules m ON m.module = g.module "
        "WHERE g.status = 'ok'"
    ).set_index("path")["nodes"]
    assert len(nodes) == report.ok and nodes.max() <= max_nodes
    limits = wb.Limits(max_nodes=max_nodes)
    for path in skipped:  # the builder stops as soon as the limit is passed: cheap
        with pytest.raises(SourceTooLargeError):
            wb.build_cpg((prod_source / path).read_bytes(), path, limits=limits)

    # CPGMath: results cannot be held in memory at all, answers stay right
    tiny = wb.CPGMath(store, persist=False, memory_budget=1)
    roomy = wb.CPGMath(store, persist=False)
    requests = [
        ("pagerank", "call", {}),
        ("degree", "import", {}),
        ("strongly_connected_components", "call", {}),
        ("cyclomatic_complexity", "cfg", {"module": "bookshop.pricing"}),
        ("natural_loops", "cfg", {"module": "bookshop.reports"}),
    ]
    for name, kind, params in requests * 2:
        pd.testing.assert_frame_equal(
            tiny.run(name, kind, **params), roomy.run(name, kind, **params), check_like=False
        )
    stats = tiny.cache.stats().iloc[0]
    assert (stats.entries, stats.bytes, stats.misses) == (0, 0, len(requests) * 2)


def test_generation_slows_down_when_the_machine_is_short_of_memory(v2):
    """When the machine's available memory is below two tasks' budget, generation runs one
    module at a time (batches halved) instead of failing, and still builds everything.

    The budget asked for is the memory available now (read as the scheduler reads it) or
    half of all memory if that is more, so the real ``/proc/meminfo`` says there is room for
    one task only. Builds on
    ``tests/test_generate.py::test_degrades_when_memory_gets_short``, which fakes the
    available memory and an in-process executor; here the real pool and the real reading.
    """
    available = scheduler._available_memory()
    if available is None:
        pytest.skip("no /proc/meminfo: the scheduler cannot see available memory here")
    with open("/proc/meminfo") as fh:
        total = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("MemTotal:"))
    # more than half of all memory: however much is freed meanwhile, room for one task only
    budget_mb = max(available, total // 2) // 2**20 + 1
    events = []
    report = generate(
        v2, workers=2, batch_size=2, memory_budget_mb=budget_mb, progress=events.append
    )
    in_flight, most = 0, 0
    for e in events:
        in_flight += {"started": 1, "finished": -1, "failed": -1, "skipped": -1}.get(e.kind, 0)
        most = max(most, in_flight)
    assert most == 1  # without memory pressure: up to 2 workers x 2 tasks x 2 modules
    assert report.ok + report.failed == report.planned and report.skipped == 0
    assert set(kit.cpg_status(open_store(v2.root)).values()) == {"ok", "failed"}


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /proc/self/status")
def test_memory_exhaustion_while_ingesting_is_not_recorded_as_a_property_of_the_module(
    tmp_path, src
):
    """Running out of memory while ingesting is a condition of the machine, not of the
    module: once memory is back, an ingest must give the module its functions. A flat,
    valid module of 8,000 small functions is parsed under a real memory cap (``RLIMIT_AS``
    around ``ast.parse``, in a fresh interpreter): its row says it was skipped for memory,
    not that it is nested too deeply, and the next ingest parses it again although its
    content hash is unchanged.
    """
    wide = src / "bookshop" / "generated_tables.py"
    wide.write_text(kit.wide_module(8000))
    root = tmp_path / "store"
    Store.create(root)
    pressed = kit.python(kit.INGEST_UNDER_PRESSURE, root, src, 8)
    assert pressed.returncode == 0, pressed.stderr
    store = open_store(root)
    row = store.modules().set_index("path").loc["bookshop/generated_tables.py"]
    assert (row.parse_status, row.error_type) == ("skipped", "MemoryError")
    assert row.error_message == "skipped: out of memory while parsing"
    store.ingest(src)  # memory is back
    store = open_store(root)
    row = store.modules().set_index("path").loc["bookshop/generated_tables.py"]
    assert row.parse_status == "ok" and pd.isna(row.error_type)
    assert len(store.functions("bookshop/generated_tables.py")) == 8000
