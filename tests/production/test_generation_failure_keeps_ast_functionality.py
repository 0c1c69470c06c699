"""Item 4: a generation failure does not affect AST-level functionality."""

from __future__ import annotations

import production_kit as kit
import pytest

import workbench as wb
from workbench.errors import NotFoundError
from workbench.pipeline import generate
from workbench.store import Store, open_store
from workbench.store.maintenance import verify
from workbench.store.migrations import migrate


def test_generation_failure_keeps_ast_functionality(tmp_path, prod_source):
    """Generation by a real process pool in which two modules' CPG builds raise and one
    kills its worker process: the run finishes, each failure is recorded on its module
    (``modules.cpg_status``, ``cpg_graphs`` error type and message, ``store.status()``), and
    everything AST-level answers exactly as before the migration, for the failed modules
    too: ``functions()``, ``modules()``, SQL over the legacy tables. The CPG of every other
    module answers, graph algorithms run over what was built, asking for a failed module's
    CPG says why there is none, and a retry with a working builder mends it.

    Builds on ``tests/test_generate.py::test_failures_are_isolated_to_their_module`` (the
    same kinds of failure on the sample, the module's status), ``tests/test_guarantees.py::
    test_a_module_that_raises_fails_with_the_errors_type_and_message`` (one worker call) and
    ``::test_batches_lost_with_a_broken_pool_are_run_again_and_only_the_culprit_fails`` (a
    stand-in pool); here with real worker processes, asserting on the AST level afterwards.
    """
    store = Store.create(tmp_path / "store")
    store.ingest(prod_source)
    before = kit.legacy_tables(store)
    answers = kit.legacy_answers(store)
    broken = {*kit.FAIL_BUILDS, *kit.KILL_BUILDS}
    functions = {p: store.functions(p).qualname.tolist() for p in broken}
    assert all(functions.values())  # modules with functions to lose
    migrate(store)

    report = generate(store, workers=2, batch_size=4, builder=kit.failing_builder, quiet=True)

    failures = {f["path"]: f for f in report.failures}
    for path in kit.FAIL_BUILDS:
        assert (failures[path]["status"], failures[path]["error_type"]) == (
            "failed",
            "RuntimeError",
        )
        assert failures[path]["error_message"] == f"injected CPG build failure for {path}"
    (killed,) = kit.KILL_BUILDS
    assert (failures[killed]["status"], failures[killed]["error_type"]) == ("failed", "WorkerDied")
    parse_failed = set(store.modules().query("parse_status != 'ok'").path)
    assert set(failures) == broken | parse_failed
    assert report.ok == report.planned - len(failures) > 50

    store = open_store(store.root)
    status = kit.cpg_status(store)
    assert {status[p] for p in broken} == {"failed"}
    graphs = store.sql(
        "SELECT m.path, g.status, g.error_type, g.error_message FROM cpg_graphs g "
        "JOIN modules m ON m.module = g.module WHERE g.status = 'failed' ORDER BY 1"
    ).set_index("path")
    assert graphs.error_type[kit.FAIL_BUILDS[0]] == "RuntimeError"
    assert graphs.error_type[killed] == "WorkerDied" and "died" in graphs.error_message[killed]
    assert set(graphs.index) == broken | parse_failed
    summary = store.status(limit=100)
    assert broken <= set(summary["failed"]["paths"])
    assert summary["modules"]["cpg_status"]["failed"] == len(broken | parse_failed)

    # the AST level is untouched, failed modules included
    kit.assert_legacy_equal(kit.legacy_tables(store), before)
    assert kit.legacy_answers(store) == answers
    for path in broken:
        assert store.functions(path).qualname.tolist() == functions[path]
        with pytest.raises(NotFoundError, match="status failed"):
            store.cpg(path)
    joined = store.sql(
        "SELECT m.path, count(*) AS n FROM functions f JOIN modules m ON m.module = f.module "
        "WHERE m.cpg_status = 'failed' GROUP BY 1 ORDER BY 1"
    )
    assert dict(zip(joined.path, joined.n, strict=True)) == {
        p: len(functions[p]) for p in sorted(broken)
    }

    # the CPG level answers for what was built
    ok = sorted(p for p, s in status.items() if s == "ok")
    for path in ok[::10]:
        assert store.cpg(path).methods.num_rows >= 1
    rank = wb.CPGMath(store, persist=False).run("pagerank", "call")
    assert rank.pagerank.sum() == pytest.approx(1.0)
    assert not {f"bookshop.{m}" for m in ("pricing", "admin")} & set(rank.full_name)
    assert verify(store).empty

    again = generate(store, workers=2, retry_failed=True, quiet=True)
    assert again.ok == len(broken) and again.failed == len(parse_failed)
    store = open_store(store.root)
    assert {kit.cpg_status(store)[p] for p in broken} == {"ok"}
    assert store.cpg("bookshop/pricing.py").methods.num_rows > 1
