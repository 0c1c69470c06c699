"""Item 3: concurrent access during generation is safe."""

from __future__ import annotations

from collections import defaultdict

import production_kit as kit
import pytest

from workbench.store import Store, open_store
from workbench.store.maintenance import verify
from workbench.store.migrations import migrate


@pytest.mark.slow  # concurrent processes, whole generation runs: 15-20 s
def test_concurrent_access_during_generation(tmp_path, prod_source):
    """Two reader processes query a store (``store.sql`` over legacy and CPG tables,
    ``store.cpg``, ``store.functions``, ``store.modules``), each read at the newest version,
    while a third process runs ``generate`` with two workers, committing every 8 modules.

    Zero errors; no read contradicts itself (a CPG whose node count is not its build's, a
    module counted ``ok`` without a build row, rows of a half-written CPG); each reader's
    versions only move forward; and every read equals the same read of the committed
    version it was made at, read again afterwards through ``store.at(version)``: readers saw
    committed versions, whole, and nothing else. The readers did read mid-generation
    (versions with some modules built and some pending).

    Builds on ``tests/test_store_faults.py::test_readers_see_whole_snapshots_while_a_writer_writes``
    (one in-process reader, ``write_cpg`` of one module) and ``::test_two_writer_processes``;
    here readers are processes, the writer is a whole generation with its pool, and every
    read is checked against a committed version.
    """
    store = Store.create(tmp_path / "store")
    store.ingest(prod_source)
    migrate(store)
    store.close()

    report, readers = kit.readers_during_generation(store.root, tmp_path / "work", readers=2)

    assert report["ok"] > 50 and report["ok"] + report["failed"] == report["planned"]
    errors = [e for r in readers for e in r["errors"]]
    assert errors == []
    records = [rec for r in readers for rec in r["records"]]
    for r in readers:
        versions = [rec[0] for rec in r["records"]]
        assert versions == sorted(versions), "a reader went back in time"
    assert len({rec[0] for rec in records}) >= 3  # read at several versions
    answers: dict[tuple, set[str]] = defaultdict(set)
    for version, kind, arg, answer, _ in records:
        answers[(version, kind, arg)].add(answer)
    assert all(len(v) == 1 for v in answers.values()), "one version, two answers"

    final = open_store(store.root)
    built_during, views = set(), {}
    for (version, kind, arg), (answer,) in sorted(answers.items(), key=str):
        snapshot = views.get(version) or views.setdefault(version, final.at(version))
        again = kit.read_again(snapshot, kind, arg)
        assert kit.digest(again) == answer, (version, kind, arg)
        if kind == "status_sql" and again[0] and again[2]:  # some built, some pending
            built_during.add(version)
    assert built_during, "no read happened while generation was half-way"
    assert verify(final).empty
