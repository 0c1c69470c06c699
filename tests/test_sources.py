"""The store keeps each module's bytes (table ``sources``): ingest writes them, generation
builds from them, and a source tree that is gone is no longer needed."""

from __future__ import annotations

import hashlib
import os
import re
import shutil

import pytest
from helpers import SAMPLE_BROKEN, SAMPLE_OK

from workbench.errors import NotFoundError
from workbench.frontends.python.source import Limits
from workbench.pipeline import generate
from workbench.pipeline import plan as generate_plan
from workbench.pipeline.sources import (
    files_for,
    kept_modules,
    read_files,
    source_files,
    stored_sources,
)
from workbench.pipeline.worker import build_batch
from workbench.store import Store, open_store
from workbench.store.migrations import migrate, rollback


def _files(src) -> dict[str, bytes]:
    return {p.relative_to(src).as_posix(): p.read_bytes() for p in src.rglob("*.py")}


def test_ingest_keeps_the_bytes_of_every_module_it_read(v1, src):
    kept = {s.path: s for s in stored_sources(v1).values()}
    assert {rel: s.data for rel, s in kept.items()} == _files(src)  # broken modules too
    mods = v1.modules().set_index("path")
    for rel, s in kept.items():
        assert s.content_hash == mods.content_hash[rel] == hashlib.sha256(s.data).hexdigest()
        assert s.intact() and s.module == mods.module[rel]


def test_a_changed_file_replaces_its_bytes_and_a_removed_one_drops_them(v1, src):
    (src / "bookshop" / "pricing.py").write_text("def price():\n    return 1\n")
    (src / "bookshop" / "pricing_extra.py").write_text("X = 1\n")
    gone = next(iter(sorted(_files(src))))
    (src / gone).unlink()
    v1.ingest(src)
    kept = {s.path: s.data for s in stored_sources(v1).values()}
    assert kept == _files(src)
    assert gone not in kept


def _small_and_big(tmp_path) -> tuple[Store, object]:
    """A store of ``small.py`` and ``big.py``, ingested with a limit only the first fits."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "small.py").write_text("x = 1\n")
    (src / "big.py").write_text("y = 2\n" * 100)
    store = Store.create(tmp_path / "s")
    store.ingest(src, limits=Limits(max_bytes=100))
    return store, src


def test_a_file_too_large_to_read_has_no_bytes_stored(tmp_path):
    store, _ = _small_and_big(tmp_path)
    assert kept_modules(store) == set(stored_sources(store))
    assert [s.path for s in stored_sources(store).values()] == ["small.py"]


def test_a_store_made_before_sources_were_kept_gets_them_on_its_next_ingest(v1, src):
    with v1.transaction("as an older version left it") as tx:
        tx.drop_table("sources")
    assert stored_sources(v1) == {}
    report = v1.ingest(src)
    assert (report.added, report.changed) == ([], [])  # nothing else changed
    assert {s.path: s.data for s in stored_sources(v1).values()} == _files(src)


def test_generation_needs_no_source_tree(v2, src, tmp_path):
    expected = _files(src)
    shutil.move(src, tmp_path / "elsewhere")
    report = generate(v2, workers=2, quiet=True)
    assert (report.ok, report.failed) == (SAMPLE_OK, SAMPLE_BROKEN)
    store = open_store(v2.root)
    assert set(store.modules().cpg_status) == {"ok", "failed"}
    assert {s.path: s.data for s in stored_sources(store).values()} == expected


def test_without_stored_bytes_and_without_the_tree_generation_says_what_to_do(v2, src, tmp_path):
    with v2.transaction("as an older version left it") as tx:
        tx.drop_table("sources")
    shutil.move(src, tmp_path / "elsewhere")
    before = v2.refresh().version
    with pytest.raises(NotFoundError) as err:
        generate(v2, workers=1, quiet=True)
    todo = sorted(v2.modules().query("parse_status == 'ok'").path)
    assert str(err.value).endswith(
        f"source root {src} not found and the store keeps no bytes of {len(todo)} module(s) "
        f"to build ({', '.join(todo[:3])}...): pass source=, or ingest again "
        "(this version stores the sources)"
    )
    assert v2.refresh().version == before  # nothing written
    with pytest.raises(NotFoundError) as err:
        generate(v2, source=tmp_path / "nowhere", workers=1, quiet=True)
    assert str(err.value) == f"source root {tmp_path / 'nowhere'} not found"
    # what the message says to do: the tree where it now is
    report = generate(v2, source=tmp_path / "elsewhere", workers=1, quiet=True)
    assert report.ok == len(todo) and report.planned == len(v2.modules())


def test_workers_read_only_the_files_that_hold_their_modules(v1, src):
    (src / "late.py").write_text("def late():\n    pass\n")
    v1.ingest(src)  # a second file in the table
    files = source_files(v1)
    assert len(files) == 2
    late = next(k for k, s in stored_sources(v1).items() if s.path == "late.py")
    mine = files_for(files, [late])
    assert mine and len(mine) <= 2
    got = read_files(mine, [late])
    assert list(got) == [late] and got[late][1] == (src / "late.py").read_bytes()


def test_sources_stay_through_migration_and_rollback(v1):
    before = {k: s.data for k, s in stored_sources(v1).items()}
    migrate(v1)
    rollback(v1)
    assert {k: s.data for k, s in stored_sources(v1.refresh()).items()} == before


def test_views_show_the_stored_lines_once_the_tree_is_gone(v1, src, tmp_path):
    from workbench.widgets.source import source_lines

    rel = "bookshop/pricing.py"
    expected = (src / rel).read_text().splitlines()
    shutil.move(src, tmp_path / "elsewhere")
    assert source_lines(v1, rel) == (expected, "")


def _flip(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_repair_rebuilds_damaged_cpgs_from_the_stored_bytes_without_the_tree(v2, src, tmp_path):
    from pathlib import Path

    from workbench.pipeline import repair
    from workbench.store.maintenance import verify

    generate(v2, workers=1, quiet=True)
    built = {rel: v2.cpg(rel) for rel in v2.modules().query("cpg_status == 'ok'").path}
    shutil.move(src, tmp_path / "elsewhere")
    _flip(Path(v2.files("cpg_nodes")[0]["path"]))
    done = " ".join(repair(v2).action)
    assert re.search(r"rebuilt [1-9][0-9]* modules from their stored bytes or files; 0 left", done)
    store = open_store(v2.root)
    assert verify(store).empty
    assert all(store.cpg(rel).equals(cpg) for rel, cpg in built.items())
    # damaged stored bytes that no earlier version holds: kept for a repair with the tree
    damaged = Path(store.files("sources")[0]["path"])
    _flip(damaged)
    assert "NOT repaired" in " ".join(repair(store).action)
    assert verify(store.refresh()).file.tolist() == [damaged.name]
    repair(store, source=tmp_path / "elsewhere")
    store = open_store(v2.root)
    assert verify(store).empty
    assert {s.path: s.data for s in stored_sources(store).values()} == _files(
        tmp_path / "elsewhere"
    )


def test_bytes_of_another_version_are_no_bytes_and_the_next_ingest_replaces_them(v2, src):
    """What a repair may restore from an earlier version: bytes whose hash is not the
    module's. Readers pass them over; the worker does not build them; ingest replaces them."""
    import pyarrow as pa

    rel = "bookshop/pricing.py"
    key = int(v2.modules().set_index("path").module[rel])
    old = b"def stale():\n    return 0\n"
    with v2.transaction("an older version's bytes") as tx:
        row = {"module": key, "content_hash": hashlib.sha256(old).hexdigest(), "data": old}
        tx.replace_modules("sources", {key}, pa.Table.from_pylist([row], tx.schema("sources")))
    assert key not in stored_sources(v2) and key not in kept_modules(v2)
    item = next(t for t in generate_plan(v2) if t[0] == key)
    files = files_for(source_files(v2), [key])
    (res,) = build_batch(str(v2.root), None, [item], 10**6, source_files=files)["results"]
    assert (res["status"], res["error_type"]) == ("failed", "UnreadableFileError")
    assert v2.ingest(src).unchanged == len(_files(src))  # nothing changed in the tree...
    assert stored_sources(v2)[key].data == (src / rel).read_bytes()  # ...but the bytes are back


def test_without_the_tree_a_module_ingest_could_not_read_is_recorded_as_ingest_saw_it(tmp_path):
    store, src = _small_and_big(tmp_path)
    migrate(store)
    shutil.rmtree(src)
    report = generate(store, workers=1, quiet=True)
    assert (report.ok, report.skipped) == (1, 1)
    (big,) = report.failures
    assert (big["path"], big["status"], big["error_type"]) == (
        "big.py",
        "skipped",
        "SourceTooLargeError",
    )


def test_stored_bytes_gone_meanwhile_leave_the_module_pending(v2):
    rel = "bookshop/pricing.py"
    item = next(t for t in generate_plan(v2) if t[1] == rel)
    out = build_batch(str(v2.root), None, [item], 10**6, source_files=["/nowhere/part-x.parquet"])
    (res,) = out["results"]
    assert (res["status"], res["error_type"]) == ("pending", "StoredSourceUnreadable")
    assert "run generate again" in res["error_message"] and out["files"] == []


def test_a_store_opened_by_a_relative_path_gives_workers_absolute_paths(v1, monkeypatch):
    monkeypatch.chdir(v1.root.parent)
    files = source_files(open_store(v1.root.name))
    assert files and all(os.path.isabs(path) and os.path.exists(path) for path, _, _ in files)
