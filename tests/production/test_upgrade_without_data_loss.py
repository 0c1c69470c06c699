"""Item 1: upgrade without data loss."""

from __future__ import annotations

import json

import production_kit as kit

from workbench.pipeline import generate
from workbench.store import Store, open_store
from workbench.store.migrations import fingerprint, plan


def test_upgrade_without_data_loss(tmp_path, prod_src):
    src = prod_src
    """An AST-only store of real code (the sample project and a slice of the standard
    library) upgraded v1 -> v2 by ``workbench migrate`` in a fresh process keeps every legacy
    row and column exactly (compared value by value, not only by the migration's own
    fingerprints), answers every legacy query as before, and rows ingested after the
    migration live on through generation: the legacy tables end equal to those of a store
    that ingested the same final tree and was never migrated.

    Builds on ``tests/test_store.py::TestMigration::test_migrate_is_additive_and_verified``
    (the migration's verification table), ``tests/test_guarantees.py`` (the fingerprint
    notices one changed cell; a migration that changes one is refused) and
    ``tests/test_store_faults.py::test_kill_during_migrate_leaves_v1_and_rerun_finishes``;
    here end to end, through the CLI, on a few thousand rows of real code.
    """
    root = tmp_path / "store"
    store = Store.create(root)
    store.ingest(src, workers=2)
    assert store.schema_version == 1 and store.flags["cpg"] is False
    before = kit.legacy_tables(store)
    answers = kit.legacy_answers(store)
    prints = fingerprint(store)
    assert before["functions"].num_rows > 1500  # real code, not a toy

    # the dry run shows the plan and changes nothing
    steps = plan(store)
    assert {"create table", "add column", "flag", "schema version"} == set(steps.step)
    assert open_store(root).version == store.version

    done = kit.cli("migrate", "--store", root)
    assert done.returncode == 0, done.stderr
    store = open_store(root)
    assert (store.schema_version, store.flags["cpg"]) == (2, True)
    kit.assert_legacy_equal(kit.legacy_tables(store), before)
    assert fingerprint(store) == prints
    assert kit.legacy_answers(store) == answers
    mods = store.modules()
    assert set(mods.cpg_status) == {"pending"} and len(mods) == before["modules"].num_rows
    assert mods[["cpg_generator", "cpg_source_hash", "cpg_graph_hash"]].isna().all().all()
    last = store.history().iloc[-1]
    assert last.operation == "migrate" and json.loads(last.details) == {"from": 1, "to": 2}

    # rows ingested after the migration: a new module, a changed one, a removed one
    (src / "bookshop" / "after_upgrade.py").write_text(
        "def added_after_upgrade(x):\n    if x:\n        return 1\n    return 2\n"
    )
    textwrap_py = src / "stdlib" / "textwrap.py"
    textwrap_py.write_text(textwrap_py.read_text() + "\n\ndef changed_after_upgrade():\n    pass\n")
    (src / "stdlib" / "shlex.py").unlink()
    report = store.ingest(src)
    assert (report.added, report.changed, report.removed) == (
        ["bookshop/after_upgrade.py"],
        ["stdlib/textwrap.py"],
        ["stdlib/shlex.py"],
    )
    status = kit.cpg_status(store)
    assert status["bookshop/after_upgrade.py"] == status["stdlib/textwrap.py"] == "pending"
    run = generate(store, workers=2, quiet=True)
    assert run.ok + run.failed == run.planned and run.ok > 0

    never = Store.create(tmp_path / "never-upgraded")
    never.ingest(src)
    final = kit.legacy_tables(open_store(root))
    kit.assert_legacy_equal(final, kit.legacy_tables(never))
    store = open_store(root)
    assert "added_after_upgrade" in set(store.functions("bookshop/after_upgrade.py").qualname)
    assert "changed_after_upgrade" in set(store.functions("stdlib/textwrap.py").qualname)
    assert store.cpg("bookshop/after_upgrade.py").methods.num_rows == 2
