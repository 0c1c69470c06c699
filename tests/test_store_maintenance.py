"""verify / repair / compact / vacuum on real stores."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from workbench.pipeline import repair
from workbench.store import Store, open_store
from workbench.store.maintenance import compact, vacuum, verify
from workbench.store.migrations import fingerprint

SAMPLE = Path(__file__).parent.parent / "data" / "sample_project"


@pytest.fixture
def src(shared_src):
    """The sample, at the path ``full``'s store was ingested from."""
    return shared_src


@pytest.fixture
def full(full_store):
    """The sample's v2 store with every CPG, written 4 modules per commit (several files per
    table); a copy of one built once."""
    return full_store(4)


def data_file(store: Store, table: str, index: int = 0) -> Path:
    return Path(store.files(table)[index]["path"])


def flip(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    i = int(len(data) * at)
    data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_healthy_store_verifies_and_its_repair_does_nothing(full):
    store, _ = full
    version = store.version
    assert verify(store).empty
    done = repair(store)
    assert done.empty and done.columns.tolist() == ["table", "file", "action", "modules"]
    assert open_store(store.root).version == version  # not even an empty commit


@pytest.mark.parametrize("damage", ["flip", "missing", "truncate"])
def test_damaged_cpg_file_is_found_and_rebuilt_from_source(full, damage):
    store, proj = full
    path = data_file(store, "cpg_nodes", 1)
    if damage == "flip":
        flip(path)
    elif damage == "missing":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[:-100])
    report = verify(store)
    assert report.table.tolist() == ["cpg_nodes"]
    problem = report.problem[0]
    if damage == "missing":
        assert problem == "missing"
    else:
        assert {"flip": "checksum", "truncate": "size"}[damage] in problem
    held = set(report.modules[0])
    assert held and held <= {c.module.key for c in proj.cpgs.values()}
    done = repair(store)
    assert done.table.tolist() == ["cpg_nodes", "cpg_*"] and done.modules[1] == sorted(held)
    assert done.action[0] == "removed; its modules rebuilt" and done.modules[0] == sorted(held)
    assert done.action[1] == (
        f"rebuilt {len(held)} modules from their stored bytes or files; 0 left pending"
    )
    assert verify(store).empty
    for rel, built in proj.cpgs.items():
        assert store.cpg(rel).equals(built), rel


def test_flipped_bytes_are_caught_by_page_checksums(full):
    """Without the file digest, Parquet page checksums still catch flips in page data (the
    middle of a large column chunk, located from the footer's offsets)."""
    import pyarrow.parquet as pq

    store, _ = full
    path = data_file(store, "cpg_nodes", 0)
    (store.root / "_workbench" / "files" / "cpg_nodes" / f"{path.name}.json").unlink()
    rg = pq.ParquetFile(path).metadata.row_group(0)
    chunks = [rg.column(i) for i in range(rg.num_columns)]
    chunks = [c for c in chunks if c.total_compressed_size > 128]
    assert len(chunks) >= 5
    for c in chunks:
        start = c.dictionary_page_offset or c.data_page_offset
        original = path.read_bytes()
        data = bytearray(original)
        data[start + c.total_compressed_size // 2] ^= 0xFF
        path.write_bytes(bytes(data))
        assert "unreadable" in " ".join(verify(store).problem), c.path_in_schema
        path.write_bytes(original)


def test_file_digest_catches_footer_damage(full):
    store, _ = full
    path = data_file(store, "cpg_methods", 0)
    flip(path, 0.995)  # inside the footer's metadata
    assert "checksum mismatch" in verify(store).problem[0]


def test_without_stored_bytes_damaged_cpgs_are_rebuilt_from_unchanged_files(full, src):
    store, proj = full
    with store.transaction("as an older version left it") as tx:
        tx.drop_table("sources")
    report = (flip(data_file(store, "cpg_methods", 0)), verify(store))[1]
    keys = report.modules[0]
    done = repair(store, source=src)
    (rebuilt,) = done[done.table == "cpg_*"].itertuples()
    assert rebuilt.action == (
        f"rebuilt {len(keys)} modules from their stored bytes or files; 0 left pending"
    )
    assert verify(store).empty
    for rel, built in proj.cpgs.items():
        assert store.cpg(rel).equals(built), rel


@pytest.mark.parametrize(
    ("tree", "how"),
    [("kept", "re-parsed from source"), ("moved away", "no source: may be out of date")],
)
def test_damaged_legacy_file_is_restored(full, src, tmp_path, tree, how):
    store, _ = full
    before = fingerprint(store)
    if tree == "moved away":  # the rows then come back only from an earlier version
        with store.transaction("the table's files rewritten, as a compaction does") as tx:
            files = [f["path"] for f in tx.files("functions")]
            tx.replace_files("functions", files, tx.read_files("functions", files))
        shutil.move(src, tmp_path / "elsewhere")
    flip(data_file(store, "functions", 0))
    damaged = verify(store)
    assert damaged.table.tolist() == ["functions"]
    done = repair(store)
    row = done[done.table == "functions"].iloc[0]  # says what it did, to which modules
    assert row.action == f"restored from an earlier version; {how}"
    assert row.modules == sorted(damaged.modules[0]) and row.modules
    assert verify(store).empty
    assert fingerprint(store) == before


@pytest.mark.parametrize(
    ("second", "action", "left"),
    [
        ([0], "restored", {0: 1}),  # the earlier version holds module 0's row: its count then
        ([0, 1], "removed (expendable)", {}),  # none holds module 1's: the counts are dropped
    ],
)
def test_damaged_bookkeeping_rows_are_restored_or_dropped_and_the_repair_says_which(
    full, second, action, left
):
    store, proj = full
    paths = sorted(proj.cpgs)[:2]
    keys = [proj.cpgs[rel].module.key for rel in paths]
    store.cpg(paths[0])
    store.flush_reads()  # access_stats: module 0 read once
    first = data_file(store, "access_stats")
    for i in second:
        store.cpg(paths[i])
    store.flush_reads()  # its file rewritten with the new counts
    (newer,) = {Path(f["path"]) for f in store.files("access_stats")} - {first}
    flip(newer)
    assert verify(store).table.tolist() == ["access_stats"]
    done = repair(store)
    assert done[["table", "file", "action"]].values.tolist() == [
        ["access_stats", newer.name, action]
    ]
    assert done.modules[0] == sorted(keys[i] for i in second)
    store = open_store(store.root)
    assert verify(store).empty
    counts = store.read_table("access_stats").to_pydict()
    assert dict(zip(counts["module"], counts["reads"], strict=True)) == {
        keys[i]: n for i, n in left.items()
    }
    details = json.loads(store.history().details.iloc[-1])
    assert details == {"problems": 1, "source": str(store.last_source())}


def test_a_source_edited_since_ingest_does_not_leak_into_a_repair(full, src):
    """Damaged CPGs are rebuilt from the bytes the store keeps, never from newer files; in a
    store that keeps none, a module whose file changed is left pending instead of guessed."""
    store, proj = full
    report_before = verify(store)
    assert report_before.empty
    path = data_file(store, "cpg_methods", 0)
    report = (flip(path), verify(store))[1]
    keys = set(report.modules[0])
    mods = store.modules().set_index("module")
    for k in keys:  # edit every affected source after it was ingested
        (src / mods.loc[k, "path"]).write_text("# edited\n")
    repair(store, source=src)
    assert verify(store).empty
    statuses = store.modules().set_index("module").loc[list(keys), "cpg_status"]
    assert set(statuses) == {"ok"}
    for k in keys:
        rel = mods.loc[k, "path"]
        assert store.cpg(rel).equals(proj.cpgs[rel]), rel  # the ingested text's CPG
    # the same in a store that keeps no source bytes
    with store.transaction("as an older version left it") as tx:
        tx.drop_table("sources")
    report = (flip(data_file(store, "cpg_methods", 0)), verify(store))[1]
    keys = set(report.modules[0])
    done = repair(store, source=src)
    assert verify(store).empty
    statuses = store.modules().set_index("module").loc[list(keys), "cpg_status"]
    assert "pending" in set(statuses)  # the edited files: to be rebuilt after an ingest
    pending = int((statuses == "pending").sum())
    (rebuilt,) = done[done.table == "cpg_*"].itertuples()
    assert rebuilt.action == (
        f"rebuilt {len(keys) - pending} modules from their stored bytes or files; "
        f"{pending} left pending"
    )
    assert rebuilt.modules == sorted(keys)


def test_compaction_keeps_content_and_sort_order(full):
    store, proj = full
    files_before = len(store.files("cpg_nodes"))
    out = compact(store)
    assert out["cpg_nodes"] == (files_before, 1)
    for rel, built in proj.cpgs.items():
        assert store.cpg(rel).equals(built)
    keys = store.read_table("cpg_nodes")["module"].to_pylist()
    assert keys == sorted(keys)
    assert store.history().operation.tolist()[-1] == "compact"
    assert verify(store).empty


def test_vacuum_keeps_a_weeks_files_by_default_and_says_what_it_did_in_the_history(v1):
    """Files no version needs (here: strays in a table folder) go once older than the
    retention, a week by default; a vacuum that deleted files is a version of its own."""
    data = next((v1.root / "modules").glob("*.parquet"))
    for name, hours in (("old.parquet", 168.5), ("young.parquet", 167.5)):
        stray = v1.root / "modules" / name
        shutil.copy(data, stray)
        t = time.time() - hours * 3600
        os.utime(stray, (t, t))
    version = v1.version
    assert vacuum(v1) == 1
    assert not (v1.root / "modules" / "old.parquet").exists()
    assert (v1.root / "modules" / "young.parquet").exists()
    last = v1.history().iloc[-1]
    assert (last.version, last.operation) == (version + 1, "vacuum")
    assert json.loads(last.details) == {"removed": 1, "retention_hours": 168}
    assert vacuum(v1) == 0 and v1.version == version + 1  # nothing deleted: no version
    with v1.transaction("next write") as tx:  # finds nothing to recover (Delta's own
        tx.record()  # commits of the vacuum are in the store log)
    assert v1.history().operation.tolist()[-2:] == ["vacuum", "next write"]
    assert verify(v1).empty


def test_a_vacuum_that_only_removed_a_dropped_tables_folder_is_in_the_history(v1):
    with v1.transaction("drop") as tx:
        tx.drop_table("functions")
    files = list((v1.root / "functions").rglob("*.parquet"))
    assert files and vacuum(v1, retention_hours=0) == len(files)
    assert not (v1.root / "functions").exists()
    last = v1.history().iloc[-1]
    assert last.operation == "vacuum" and json.loads(last.details)["removed"] == len(files)


@pytest.mark.slow
def test_vacuum_removes_unneeded_files_but_waits_for_a_running_write(full, src):
    store, proj = full
    compact(store)
    root = str(store.root)
    writer = f"""
        import time, workbench as wb
        from workbench.store import open_store
        store = open_store({root!r})
        cpg = wb.build_cpg("def slow():\\n    return 1\\n", path="extra/slow.py")
        with store.transaction("slow") as tx:  # a long write: a file on disk, commit later
            staged = store.stage("cpg_nodes", cpg.nodes)
            print("written", flush=True)
            time.sleep(2.0)
            tx.append("cpg_nodes", staged=[staged])
        print("committed", flush=True)
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(writer)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "written"
    t0 = time.perf_counter()
    removed = vacuum(store, retention_hours=0)
    waited = time.perf_counter() - t0
    assert proc.wait() == 0
    assert waited > 1.0  # it waited for the write to finish
    assert removed > 0
    from deltalake import DeltaTable

    newest = DeltaTable(str(store.root / "cpg_nodes"))
    assert all(Path(u.removeprefix("file://")).exists() for u in newest.file_uris())
    store = open_store(store.root)
    for rel, built in proj.cpgs.items():
        assert store.cpg(rel).equals(built)
