"""Item 6: generation under memory pressure completes or fails gracefully."""

from __future__ import annotations

import functools
import sys

import production_kit as kit
import pytest

from workbench.pipeline import generate
from workbench.store import Store, open_store
from workbench.store.maintenance import verify
from workbench.store.migrations import migrate

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="a real memory cap: RLIMIT_AS and /proc/self/status"
)

#: The memory budget of the run, and the real cap on each build in the workers (MB).
BUDGET_MB = 32
#: Generated modules beside the sample and the standard library slice: one whose build
#: exceeds the budget's node limit (about 38,000 nodes), one whose parse alone needs more
#: than the cap (8,000 functions, 600 KB; built first, by a fresh worker, so that memory other
#: builds freed does not widen its room).
NODE_HEAVY = ("gen/node_heavy.py", 2000)
PARSE_HEAVY = ("gen/parse_heavy.py", 8000)


def _memory_like(failure: dict) -> bool:
    """Whether a module was given up for lack of memory (the budget's node limit, or a
    ``MemoryError``)."""
    return failure["error_type"] in ("SourceTooLargeError", "MemoryError")


@pytest.mark.slow  # two whole generation runs, fresh worker interpreters: about 15 s
def test_generation_under_memory_pressure(tmp_path, prod_src):
    """Generation by two real worker processes under a memory budget of 32 MB per module,
    which the workers really have: each build runs under an ``RLIMIT_AS`` cap of 32 MB more
    than the worker holds, so an allocation past it fails as on a machine out of memory
    (the workers are fresh interpreters, ``kit.spawned_pool``, so that the room a cap leaves
    does not depend on the heap of the process that ran the tests before).

    The run finishes (no exception, a healthy store); every module it gives up is given up
    for memory (the budget's node limit, or a ``MemoryError``) and recorded on the module with
    its type and message; the generated giants are among them; every small module is built.
    A rerun with ``retry_failed`` and no budget builds everything that was given up.

    Builds on ``tests/test_generate.py::test_memory_budget_skips_what_does_not_fit`` and
    ``::test_failures_are_isolated_to_their_module`` (a worker killed, a module timing out)
    and ``tests/test_guarantees.py::test_a_full_disk_stops_the_run_keeps_what_was_
    committed_and_a_rerun_resumes``; here the memory is really exhausted, in real worker
    processes.
    """
    for rel, functions in (NODE_HEAVY, PARSE_HEAVY):
        (prod_src / rel).parent.mkdir(exist_ok=True)
        (prod_src / rel).write_text(kit.wide_module(functions))
    store = Store.create(tmp_path / "store")
    store.ingest(prod_src)
    migrate(store)
    sizes = dict(zip(store.modules().path, store.modules().size_bytes, strict=True))
    parse_failed = set(store.modules().query("parse_status != 'ok'").path)
    for _ in range(3):  # the most-read modules are built first: this one by a fresh worker
        store.functions(PARSE_HEAVY[0])
    store.flush_reads()

    with kit.spawned_pool(2) as pool:
        report = generate(
            store,
            executor=pool,
            workers=2,
            batch_size=1,
            memory_budget_mb=BUDGET_MB,
            builder=functools.partial(kit.capped_builder, cap_mb=BUDGET_MB),
            quiet=True,
        )

    failures = {f["path"]: f for f in report.failures}
    given_up = {p: f for p, f in failures.items() if p not in parse_failed}
    assert {NODE_HEAVY[0], PARSE_HEAVY[0]} <= set(given_up)
    assert all(_memory_like(f) for f in given_up.values()), given_up
    assert failures[NODE_HEAVY[0]]["error_type"] == "SourceTooLargeError"
    assert failures[PARSE_HEAVY[0]]["error_type"] == "MemoryError"  # the cap did bite
    assert all(f["error_message"] for f in given_up.values())
    small = {p for p, n in sizes.items() if n < 20_000 and p not in parse_failed}
    assert not small & set(given_up)
    assert report.ok + report.failed + report.skipped == report.planned
    assert report.ok == report.planned - len(failures) and report.ok >= 0.8 * report.planned

    store = open_store(store.root)
    status = kit.cpg_status(store)
    assert {status[p] for p in given_up} == {"skipped"}  # for lack of memory, not failed
    graphs = store.sql(
        "SELECT m.path, g.status, g.error_type, g.error_message FROM cpg_graphs g "
        "JOIN modules m ON m.module = g.module WHERE g.status <> 'ok'"
    ).set_index("path")
    assert set(graphs.index) == set(failures)
    assert graphs.error_type[PARSE_HEAVY[0]] == failures[PARSE_HEAVY[0]]["error_type"]
    assert verify(store).empty

    again = generate(store, workers=2, retry_failed=True, quiet=True)
    assert again.ok == len(given_up) and again.failed == len(parse_failed)
    store = open_store(store.root)
    assert set(kit.cpg_status(store).values()) == {"ok", "failed"}
    assert store.cpg(PARSE_HEAVY[0]).methods.num_rows == PARSE_HEAVY[1] + 1
    assert store.cpg(NODE_HEAVY[0]).methods.num_rows == NODE_HEAVY[1] + 1


def test_a_build_that_runs_out_of_memory_is_recorded_as_a_memory_error(tmp_path):
    """A module whose build exhausts a worker's memory is ``skipped`` with ``MemoryError``
    (as ``build_batch`` means to record it: "a module too large for the memory budget is
    skipped with the reason"), not ``failed`` as if the module were nested too deeply or
    the builder had a bug, wherever the allocation fails (the parser, the builder, the
    Arrow conversion). One fresh worker, a 16 MB cap, an 8,000-function flat module (its
    parse needs more than twice that). On Python 3.11 the parser raises the same bare
    ``MemoryError`` when its stack overflows; the module's statements, parsed one by one,
    tell the two apart (``tests/test_hostile_input.py`` has the overflow)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "small.py").write_text("def f():\n    return 1\n")
    (src / "parse_heavy.py").write_text(kit.wide_module(8000))
    store = Store.create(tmp_path / "store")
    store.ingest(src)
    migrate(store)
    with kit.spawned_pool(1) as pool:
        builder = functools.partial(kit.capped_builder, cap_mb=16)
        report = generate(store, executor=pool, workers=1, builder=builder, quiet=True)
    (failure,) = report.failures
    assert report.ok == 1 and "out of memory" in failure["error_message"]
    assert (failure["status"], failure["error_type"]) == ("skipped", "MemoryError")
