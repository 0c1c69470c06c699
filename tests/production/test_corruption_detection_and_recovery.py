"""Item 9: corruption detection and recovery."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import production_kit as kit
import pyarrow.parquet as pq
import pytest

from workbench.errors import CorruptionError
from workbench.store import Store, open_store
from workbench.store.maintenance import compact, verify

CPG_QUERY = (
    "SELECT m.path, count(*) AS nodes, count(DISTINCT n.kind) AS kinds FROM cpg_nodes n "
    "JOIN modules m ON m.module = n.module GROUP BY 1 ORDER BY 1"
)


def flip(path: Path, at: float = 0.5) -> None:
    """Flip every bit of one byte of a file, in place (the size stays)."""
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0xFF
    path.write_bytes(bytes(data))


def sidecar_modules(store: Store, table: str, path: Path) -> list[int]:
    side = store.root / "_workbench" / "files" / table / f"{path.name}.json"
    return sorted(json.loads(side.read_text())["modules"])


def cpg_answers(store: Store) -> dict:
    ok = sorted(p for p, s in kit.cpg_status(store).items() if s == "ok")
    return {p: store.cpg(p) for p in ok}


def test_corruption_detection_and_recovery(prod_generated):
    """One byte flipped in a CPG data file and one in a legacy data file of a generated
    store of real code: a query in a fresh process (``workbench sql``) fails naming the
    table and the file; ``store.sql`` raises ``CorruptionError`` with the table, the file
    and the modules the file holds (from its sidecar); ``workbench verify`` lists both and
    exits non-zero; ``workbench repair`` in a fresh process mends both in one store version;
    afterwards the store verifies clean and every answer (legacy tables, legacy and CPG SQL,
    every module's CPG) equals the one before the damage.

    Builds on ``tests/test_store_maintenance.py``: ``test_damaged_cpg_file_is_found_and_
    rebuilt_from_source`` and ``test_damaged_legacy_file_is_restored``; ``tests/
    test_store_sql.py``: ``test_sql_refuses_a_silently_damaged_file`` and ``test_cli_sql_on_
    a_damaged_file_fails_naming_file_and_modules``; ``tests/test_store_hardening.py::
    test_repair_of_a_legacy_file_keeps_the_undamaged_cpg_and_is_one_version`` and
    ``tests/test_cli.py::test_verify_exit_code_reports_damage``; here both kinds of damage
    at once, on real code, detected and repaired by fresh processes.
    """
    store = prod_generated
    root = store.root
    legacy = kit.legacy_tables(store)
    answers = kit.legacy_answers(store)
    cpg_sql = store.sql(CPG_QUERY)
    cpgs = cpg_answers(store)
    assert verify(store).empty

    nodes_file = Path(store.files("cpg_nodes")[1]["path"])
    functions_file = Path(store.files("functions")[0]["path"])
    flip(nodes_file)
    flip(functions_file)

    fresh = kit.cli("sql", "SELECT kind, count(*) AS n FROM cpg_nodes GROUP BY 1", "--store", root)
    assert fresh.returncode != 0
    assert "cpg_nodes" in fresh.stderr and nodes_file.name in fresh.stderr
    for table, path, query in (
        ("cpg_nodes", nodes_file, CPG_QUERY),
        ("functions", functions_file, kit.LEGACY_QUERIES[2]),
    ):
        with pytest.raises(CorruptionError, match=f"table {table}") as err:
            open_store(root).sql(query)
        assert (err.value.table, err.value.file) == (table, path.name)
        assert sorted(err.value.modules) == sidecar_modules(store, table, path)
        assert "workbench repair" in str(err.value)
    report = verify(open_store(root))
    assert sorted(zip(report.table, report.file, strict=True)) == sorted(
        [("cpg_nodes", nodes_file.name), ("functions", functions_file.name)]
    )
    checked = kit.cli("verify", "--store", root)
    assert checked.returncode != 0 and nodes_file.name in checked.stdout + checked.stderr

    version = open_store(root).version
    mended = kit.cli("repair", "--store", root)
    assert mended.returncode == 0, mended.stderr
    store = open_store(root)
    assert store.version == version + 1 and store.history().operation.iloc[-1] == "repair"
    assert verify(store).empty
    kit.assert_legacy_equal(kit.legacy_tables(store), legacy)
    assert kit.legacy_answers(store) == answers
    assert store.sql(CPG_QUERY).equals(cpg_sql)
    after = cpg_answers(store)
    assert after.keys() == cpgs.keys()
    for path, cpg in cpgs.items():
        assert after[path].equals(cpg), path


def _footer_statistics(path: Path, column: str) -> list[int]:
    """Offsets in ``path`` of the bytes that encode the row groups' min and max of an int64
    ``column`` (found in the footer by value; the deprecated copies too)."""
    data = path.read_bytes()
    (length,) = struct.unpack("<i", data[-8:-4])
    start = len(data) - 8 - length
    meta = pq.ParquetFile(path).metadata
    pos = pq.ParquetFile(path).schema_arrow.get_field_index(column)
    out = set()
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(pos).statistics
        for value in (stats.min, stats.max):
            needle = struct.pack("<q", value)
            at = data.find(needle, start)
            while at != -1:
                out.add(at)
                at = data.find(needle, at + 1)
    return sorted(out)


def test_interactive_reads_of_a_damaged_file_never_answer_wrong(prod_generated):
    """A flipped bit in a data file's footer, where the row groups' key statistics are,
    must make an interactive read fail (as ``store.sql`` and ``verify`` do), never answer
    with fewer rows. Each occurrence of a statistic of the ``module`` column in the footer of
    the ``functions`` file and of a compacted ``cpg_nodes`` file (several row groups) gets
    its top bit flipped in turn (those of the first row group); every read of every module
    must then raise or be right.
    """
    store = prod_generated
    compact(store)
    store = open_store(store.root)
    good_functions = {p: len(store.functions(p)) for p in store.modules().path}
    good_nodes = {p: c.nodes.num_rows for p, c in cpg_answers(store).items()}
    wrong = []
    for table in ("functions", "cpg_nodes"):
        (f,) = store.files(table)
        path = Path(f["path"])
        assert table == "functions" or f["rows"] > 65536  # read through its statistics
        original = path.read_bytes()
        try:
            for offset in _footer_statistics(path, "module")[:4]:  # the first row group
                damaged = bytearray(original)
                damaged[offset + 7] ^= 0x80  # the sign bit of the little-endian int64
                path.write_bytes(bytes(damaged))
                view = open_store(store.root)
                good = good_functions if table == "functions" else good_nodes
                for module, expected in good.items():
                    try:
                        if table == "functions":
                            got = len(view.functions(module))
                        else:
                            got = view.cpg(module).nodes.num_rows
                    except (CorruptionError, OSError):
                        continue  # detected: fine
                    if got != expected:
                        wrong.append((table, module, expected, got))
                        break  # one is enough for this flip
        finally:
            path.write_bytes(original)
    assert not wrong, f"silently wrong reads (table, module, rows, rows read): {wrong}"
