"""Item 5: rollback restores the pre-CPG state."""

from __future__ import annotations

import json

import production_kit as kit
import pytest

import workbench as wb
from workbench.cpg.schema import tables_for
from workbench.errors import FeatureDisabledError
from workbench.pipeline import generate
from workbench.store import Store, open_store
from workbench.store.maintenance import verify
from workbench.store.migrations import fingerprint, migrate


def test_rollback_restores_pre_cpg_state(tmp_path, prod_src):
    """A store that went through the whole rollout (ingest, migrate, generation by a process
    pool, cached analysis results, an ingest of changed sources and a second generation) and
    is then rolled back by ``workbench rollback`` in a fresh process is, as far as anyone
    can tell, a store that never enabled CPG: schema v1, flag off, exactly the v1 tables with
    the v1 schemas, every legacy row and column equal to a never-migrated store of the same
    tree (rows ingested after the migration included), the same legacy answers, CPG reads
    refused with the advice to migrate, healthy for ``verify``. Migrating it again gives the
    state a first migration of that never-migrated store gives.

    Builds on ``tests/test_store.py::TestMigration::test_rollback_keeps_every_legacy_row``,
    ``tests/test_guarantees.py::test_rollback_switches_the_flag_off`` and
    ``::test_migrate_and_rollback_record_their_versions_and_report_every_legacy_column``,
    ``tests/test_store_faults.py::test_kill_during_rollback_leaves_v2_and_rerun_finishes``
    and ``tests/test_store_hardening.py::
    test_every_logged_version_reads_right_after_rollback_and_migrate``; here after a real
    rollout, through the CLI, against a store that never saw CPG.
    """
    src = prod_src
    root = tmp_path / "store"
    store = Store.create(root)
    store.ingest(src)
    migrate(store)
    assert generate(store, workers=2, quiet=True).ok > 0
    math = wb.CPGMath(store, persist_min_seconds=0)
    math.run("pagerank", "call")
    math.run("natural_loops", "cfg", module="bookshop.reports")
    assert store.read_table("analysis_cache").num_rows == 2
    # the tree changes after the migration: those rows too must survive the rollback
    (src / "bookshop" / "late.py").write_text("def after_migration(a, b):\n    return a or b\n")
    pricing = src / "bookshop" / "pricing.py"
    pricing.write_text(pricing.read_text() + "\n\ndef late_discount(p):\n    return p * 0.9\n")
    (src / "stdlib" / "string.py").unlink()
    store.ingest(src)
    assert generate(store, workers=2, quiet=True).planned == 2
    cpg_version = store.version

    done = kit.cli("rollback", "--store", root)
    assert done.returncode == 0, done.stderr

    store = open_store(root)
    never = Store.create(tmp_path / "never")
    never.ingest(src)
    assert (store.schema_version, store.flags["cpg"]) == (1, False)
    assert set(store.tables) == set(never.tables) == set(tables_for(1))
    for name in store.tables:
        assert store.read_table(name).schema.equals(never.read_table(name).schema), name
    kit.assert_legacy_equal(kit.legacy_tables(store), kit.legacy_tables(never))
    assert store.read_table("modules").num_rows == never.read_table("modules").num_rows
    assert "after_migration" in set(store.functions("bookshop/late.py").qualname)
    assert kit.legacy_answers(store) == kit.legacy_answers(never)
    assert verify(store).empty
    with pytest.raises(FeatureDisabledError, match="workbench migrate"):
        store.cpg("bookshop/pricing.py")
    with pytest.raises(FeatureDisabledError):
        store.sql("SELECT count(*) FROM cpg_nodes")
    with pytest.raises(FeatureDisabledError):
        wb.CPGMath(store)
    last = store.history().iloc[-1]
    assert last.operation == "rollback" and json.loads(last.details) == {"from": 2, "to": 1}
    status = kit.cli("status", "--json", "--store", root)
    assert status.returncode == 0, status.stderr
    reported = json.loads(status.stdout)
    assert reported["schema_version"] == 1 and reported["flags"]["cpg"] is False
    assert reported["modules"]["cpg_status"] == {}
    # what the CPG era wrote is still there for time travel, not in the current version
    assert store.at(cpg_version).cpg("bookshop/late.py").methods.num_rows == 2

    migrate(store)
    migrate(never)
    assert fingerprint(store) == fingerprint(never)
    assert set(kit.cpg_status(store).values()) == {"pending"}
