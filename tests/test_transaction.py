"""The store's public write path: ``Store.transaction`` and what a Transaction can do."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from workbench.cpg.schema import ACCESS_STATS, EDGES, FUNCTIONS, MODULES_V1
from workbench.errors import NotFoundError, StoreError
from workbench.store import StagedFile, Store, open_store
from workbench.store.migrations import migrate


def module_rows(*paths: str, schema: pa.Schema = MODULES_V1) -> pa.Table:
    from workbench.cpg.ids import module_key, module_name

    return pa.Table.from_pylist(
        [
            {
                "module": module_key(p),
                "path": p,
                "name": module_name(p),
                "language": "python",
                "content_hash": f"hash-{p}",
                "size_bytes": len(p),
                "lines": 1,
                "parse_status": "ok",
            }
            for p in paths
        ],
        schema=schema,
    )


def keys(*paths: str) -> set[int]:
    from workbench.cpg.ids import module_key

    return {module_key(p) for p in paths}


@pytest.fixture
def store(tmp_path) -> Store:
    return Store.create(tmp_path / "store")


def paths(store: Store) -> list[str]:
    return sorted(store.read_table("modules")["path"].to_pylist())


class TestCommit:
    def test_a_block_that_changes_data_is_one_new_version(self, store):
        with store.transaction("add") as tx:
            tx.replace_modules("modules", keys("a.py", "b.py"), module_rows("a.py", "b.py"))
            tx.replace_modules("functions", keys("a.py"), None)
            tx.details["why"] = "test"
            assert tx.changed and tx.base_version == 0
        assert store.version == 1
        assert paths(store) == ["a.py", "b.py"]
        last = store.history().iloc[-1]
        assert last.operation == "add" and '"why": "test"' in last.details

    def test_a_block_that_raises_leaves_nothing_visible(self, store):
        with pytest.raises(RuntimeError, match="half way"), store.transaction("broken") as tx:
            tx.replace_modules("modules", keys("a.py"), module_rows("a.py"))
            raise RuntimeError("half way")
        assert store.version == 0 and paths(store) == []
        reopened = open_store(store.root)
        assert reopened.version == 0 and paths(reopened) == []
        with reopened.transaction("next") as tx:  # the next writer undoes the leftover commit
            assert tx.read("modules").num_rows == 0
            tx.replace_modules("modules", keys("c.py"), module_rows("c.py"))
        assert paths(reopened) == ["c.py"]

    def test_a_block_that_changes_nothing_adds_no_version(self, store):
        with store.transaction("look") as tx:
            assert tx.read("modules").num_rows == 0
            tx.replace_modules("modules", keys("a.py"), None)  # nothing of a.py stored
        assert store.version == 0 and len(store.history()) == 1

    def test_reads_see_the_transactions_own_changes(self, store):
        with store.transaction("t") as tx:
            tx.replace_modules("modules", keys("a.py"), module_rows("a.py"))
            assert tx.read("modules")["path"].to_pylist() == ["a.py"]
            assert store.read_table("modules").num_rows == 0  # others: not yet
        assert store.read_table("modules").num_rows == 1

    def test_a_read_only_view_refuses_to_write(self, store):
        with store.transaction("t") as tx:
            tx.replace_modules("modules", keys("a.py"), module_rows("a.py"))
        old = store.at(0)
        with pytest.raises(StoreError, match="read-only view"), old.transaction("x"):
            pass

    def test_a_killed_writer_leaves_the_store_as_it_was(self, store):
        with store.transaction("t") as tx:
            tx.append("modules", module_rows("a.py"))
        code = f"""
            import os, signal
            from workbench.store import open_store
            store = open_store({str(store.root)!r})
            with store.transaction("doomed") as tx:
                tx.append("modules", store.read_table("modules"))
                tx.set_flag("cpg", True)
                os.kill(os.getpid(), signal.SIGKILL)
        """
        proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], timeout=120)
        assert proc.returncode == -9
        reopened = open_store(store.root)
        assert reopened.version == 1 and reopened.flags["cpg"] is False
        assert paths(reopened) == ["a.py"]  # the appended copy is invisible


class TestData:
    def test_replace_modules_rewrites_only_those_modules(self, store):
        with store.transaction("t") as tx:
            tx.replace_modules("modules", keys("a.py", "b.py"), module_rows("a.py", "b.py"))
        changed = module_rows("a.py").set_column(4, "content_hash", pa.array(["new"]))
        with store.transaction("t") as tx:
            tx.replace_modules("modules", keys("a.py"), changed)
        rows = {r["path"]: r["content_hash"] for r in store.read_table("modules").to_pylist()}
        assert rows == {"a.py": "new", "b.py": "hash-b.py"}

    def test_rows_are_cast_to_the_declared_schema_or_refused(self, store):
        loose = pa.table({"module": [1], "path": ["x.py"]})  # required columns missing
        with pytest.raises(StoreError, match="do not fit"), store.transaction("t") as tx:
            tx.replace_modules("modules", {1}, loose)
        assert store.version == 0
        wide = module_rows("a.py").append_column("extra", pa.array([1]))
        with store.transaction("t") as tx:  # extra columns are dropped, types cast
            tx.append("modules", wide.cast(wide.schema.set(5, pa.field("size_bytes", pa.int32()))))
        assert store.read_table("modules").schema.equals(MODULES_V1)

    def test_append_adds_without_removing(self, store):
        with store.transaction("t") as tx:
            tx.append("modules", module_rows("a.py"))
            tx.append("modules", module_rows("b.py"))
            assert len(tx.files("modules")) == 2
        assert paths(store) == ["a.py", "b.py"]

    def test_a_file_group_is_replaced_whole_and_ignored_by_module_replacement(self, store):
        migrate(store)

        def edges(module: int, n: int) -> pa.Table:
            return pa.table(
                {
                    "module": [module] * n,
                    "src": list(range(n)),
                    "dst": list(range(n)),
                    "kind": ["CALL"] * n,
                    "label": ["import"] * n,
                    "dst_module": [99] * n,
                },
                schema=EDGES,
            )

        with store.transaction("t") as tx:
            tx.replace_group("cpg_edges", "link", edges(5, 3))
            tx.replace_modules("cpg_edges", {5}, None)  # the group is not per module
            assert tx.read_group("cpg_edges", "link").num_rows == 3
            tx.replace_group("cpg_edges", "link", edges(6, 2))
            assert tx.read_group("cpg_edges", "link")["module"].to_pylist() == [6, 6]
        assert store.read_table("cpg_edges").num_rows == 2
        with store.transaction("t") as tx:
            tx.replace_group("cpg_edges", "link", None)
        assert store.read_table("cpg_edges").num_rows == 0

    @pytest.mark.parametrize("group", ["part", "Link", "a-b", ""])
    def test_bad_group_names_are_refused(self, store, group):
        with pytest.raises(ValueError, match="file group"), store.transaction("t") as tx:
            tx.replace_group("modules", group, None)

    def test_replace_files_merges_files_sorted_by_key(self, store):
        with store.transaction("t") as tx:
            for p in ("c.py", "a.py", "b.py"):
                tx.append("modules", module_rows(p))
            old = [f["path"] for f in tx.files("modules")]
            new = tx.replace_files("modules", old, tx.read("modules"), rows_per_file=2)
            assert len(new) == 2 and {f["path"] for f in tx.files("modules")} == set(new)
        keys_ = store.read_table("modules")["module"].to_pylist()
        assert keys_ == sorted(keys_) and paths(store) == ["a.py", "b.py", "c.py"]

    def test_staged_files_are_invisible_until_committed(self, store):
        staged = store.stage("modules", module_rows("a.py"))
        assert isinstance(staged, StagedFile) and staged.table == "modules"
        assert store.refresh().read_table("modules").num_rows == 0
        with store.transaction("t") as tx:
            tx.replace_modules("modules", keys("a.py"), None, staged=[staged])
        assert paths(store) == ["a.py"]

    def test_a_file_staged_for_another_table_is_refused(self, store):
        staged = store.stage("functions", FUNCTIONS.empty_table())
        with (
            pytest.raises(StoreError, match="staged for 'functions'"),
            store.transaction("t") as tx,
        ):
            tx.append("modules", staged=[staged])
        assert store.version == 0


class TestSchema:
    def test_unknown_tables_are_clear_errors(self, store):
        with store.transaction("t") as tx:
            with pytest.raises(NotFoundError, match="no table 'cpg_nodes'"):
                tx.read("cpg_nodes")  # a v2 table in a v1 store
            with pytest.raises(NotFoundError, match="not declared"):
                tx.create_table("my_table")
        with pytest.raises(NotFoundError, match="cpg_nodes"):
            store.stage("cpg_nodes", pa.table({"module": [1]}))

    def test_create_and_drop_a_declared_table(self, store):
        migrate(store)
        stats = pa.Table.from_pylist([{"module": 1, "reads": 2}], schema=ACCESS_STATS)
        with store.transaction("t") as tx:
            tx.append("access_stats", stats)
        with store.transaction("t") as tx:
            tx.drop_table("access_stats")
            assert not tx.has_table("access_stats")
        assert "access_stats" not in store.tables
        dropped_at = store.version
        with store.transaction("t") as tx:
            tx.create_table("access_stats")
            assert tx.dirs["access_stats"] == "access_stats.2"  # never reuse a used folder
        assert store.read_table("access_stats").num_rows == 0
        before = store.at(dropped_at - 1)  # the version before the drop still reads its rows
        assert before.read_table("access_stats")["reads"].to_pylist() == [2]

    def test_a_table_outside_the_schema_version_is_refused_at_commit(self, store):
        with pytest.raises(StoreError, match="not part of schema v1"), store.transaction("t") as tx:
            tx.create_table("access_stats")  # a v2 table
            tx.append(
                "access_stats",
                pa.Table.from_pylist([{"module": 1, "reads": 2}], schema=ACCESS_STATS),
            )
        assert store.version == 0 and "access_stats" not in open_store(store.root).tables

    def test_flags_and_schema_version(self, store):
        with store.transaction("t") as tx:
            with pytest.raises(NotFoundError, match="no flag"):
                tx.set_flag("nope", True)
            with pytest.raises(Exception, match="unknown schema version"):
                tx.set_schema_version(99)
            tx.set_flag("cpg", True)
            with pytest.raises(TypeError):
                tx.flags["cpg"] = False  # read-only: set_flag is the way
        assert store.flags["cpg"] is True and store.history().operation.tolist()[-1] == "t"


def test_every_writer_outside_the_store_uses_only_public_names():
    """Nothing outside ``workbench/store`` calls a ``_private`` name of a store object."""
    import ast
    from pathlib import Path

    import workbench

    root = Path(workbench.__file__).parent
    bad = []
    for path in root.rglob("*.py"):
        if path.is_relative_to(root / "store"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in ("store", "st", "tx")
            ):
                bad.append(f"{path.relative_to(root)}:{node.lineno}: {node.value.id}.{node.attr}")
    assert bad == []


def test_counted_reads_are_written_in_one_transaction(v2):
    store = v2
    store.functions("bookshop/pricing.py")
    store.functions("bookshop/pricing.py")
    store.close()
    stats = store.read_table("access_stats")
    key = store.module_key("bookshop/pricing.py")
    assert stats.filter(pc.equal(stats["module"], key))["reads"].to_pylist() == [2]
