"""The store on real Delta tables on disk: ingest, flags, migration, rollback, CPG tables."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers import SAMPLE_BROKEN, SAMPLE_MODULES

import workbench as wb
from workbench.errors import (
    FeatureDisabledError,
    NotFoundError,
    SchemaVersionError,
    StoreError,
    StoreExistsError,
    StoreNotFoundError,
)
from workbench.store import Store, open_store
from workbench.store.migrations import fingerprint, migrate, plan, rollback

SAMPLE = Path(__file__).parent.parent / "data" / "sample_project"


def test_create_and_open_errors(tmp_path):
    with pytest.raises(StoreNotFoundError, match="no store here"):
        open_store(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(StoreNotFoundError, match="not a workbench store"):
        open_store(tmp_path / "plain")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    with pytest.raises(StoreExistsError):
        Store.create(tmp_path / "full")
    assert (tmp_path / "full" / "x").read_text() == "keep me"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="cannot write"):
            Store.create(ro / "store")
    finally:
        ro.chmod(0o700)


@pytest.fixture
def read_only_mount(tmp_path):
    """A real read-only file system (tmpfs remounted ro); needs mount permission."""
    import subprocess

    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)], capture_output=True
    ).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield mnt
    subprocess.run(["umount", str(mnt)], capture_output=True)


def test_read_only_file_system(read_only_mount, src):
    import subprocess

    store = Store.create(read_only_mount / "store")
    store.ingest(src)
    before = store.modules()
    (src / "bookshop" / "admin.py").write_text("def changed():\n    pass\n")
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_mount)], check=True)
    with pytest.raises(StoreError, match="nothing was changed"):
        open_store(store.root).ingest(src)
    with pytest.raises(StoreError, match="cannot write"):
        Store.create(read_only_mount / "other")
    after = open_store(store.root)  # reading still works
    assert after.modules().equals(before)


def test_parent_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot write"):
        Store.create(tmp_path / "file" / "store")


def test_read_only_view_cannot_write(v1, src):
    with pytest.raises(StoreError, match="read-only"):
        v1.at(0).ingest(src)


def test_newer_schema_version_is_refused_and_nothing_changes(v1, src):
    log = v1.root / "_workbench" / "log"
    newest = sorted(log.glob("*.json"))[-1]
    n = int(newest.stem)
    forged = newest.read_text().replace('"schema_version": 1', '"schema_version": 99')
    forged = forged.replace(f'"version": {n},', f'"version": {n + 1},')
    (log / f"{n + 1:010d}.json").write_text(forged)
    before = sorted(p.name for p in v1.root.rglob("*"))
    with pytest.raises(SchemaVersionError, match="v99"):
        open_store(v1.root)
    with pytest.raises(SchemaVersionError):
        v1.ingest(src)
    assert sorted(p.name for p in v1.root.rglob("*")) == before


class TestIngest:
    def test_rows(self, v1):
        mods = v1.modules()
        assert len(mods) == SAMPLE_MODULES
        bad = mods[mods.parse_status != "ok"].set_index("path")
        assert bad.loc["bookshop/legacy/broken.py", "error_type"] == "ParseError"
        assert bad.loc["bookshop/legacy/broken.py", "error_line"] == 4
        fns = v1.functions("bookshop/pricing.py").set_index("qualname")
        assert fns.loc["price_for", "parameters"].tolist() == ["price", "customer", "quantity"]
        assert fns.loc["price_for", "nesting"] == 3
        assert "coupon.startswith" in fns.loc["price_for", "calls"]
        assert v1.schema_version == 1 and v1.flags["cpg"] is False

    def test_reingest_touches_only_changed_and_removes_deleted(self, v1, src):
        before = v1.functions().set_index(["module", "qualname"])
        (src / "bookshop" / "admin.py").write_text("def evaluate(x):\n    return x\n")
        (src / "bookshop" / "reports.py").unlink()
        (src / "bookshop" / "extra.py").write_text("def new():\n    pass\n")
        r = v1.ingest(src)
        assert (r.changed, r.removed, r.added, r.unchanged) == (
            ["bookshop/admin.py"],
            ["bookshop/reports.py"],
            ["bookshop/extra.py"],
            SAMPLE_MODULES - 2,
        )
        after = v1.functions().set_index(["module", "qualname"])
        assert "bookshop/reports.py" not in set(v1.modules().path)
        untouched = v1.modules().set_index("path").loc["bookshop/pricing.py", "module"]
        assert before.loc[untouched].equals(after.loc[untouched])
        assert v1.ingest(src).version == r.version  # nothing changed: no new version

    def test_time_travel(self, v1, src):
        first = v1.version
        (src / "bookshop" / "admin.py").unlink()
        v1.ingest(src)
        assert len(v1.modules()) == SAMPLE_MODULES - 1
        assert len(v1.at(first).modules()) == SAMPLE_MODULES
        with pytest.raises(NotFoundError):
            v1.at(99)


class TestFlags:
    def test_cpg_off_by_default_with_a_clear_error(self, v1):
        with pytest.raises(FeatureDisabledError, match="workbench migrate"):
            v1.cpg("bookshop/pricing.py")
        with pytest.raises(FeatureDisabledError):
            v1.write_cpg([])

    def test_environment_overrides(self, v1, monkeypatch):
        monkeypatch.setenv("WORKBENCH_FLAG_CPG", "1")
        assert v1.flags["cpg"] is True
        with pytest.raises(FeatureDisabledError, match="schema v1"):
            v1.cpg("bookshop/pricing.py")

    def test_set_flag_is_a_store_version(self, v1):
        v = v1.version
        v1.set_flag("cpg", True)
        assert v1.version == v + 1 and open_store(v1.root).flags["cpg"] is True
        with pytest.raises(NotFoundError):
            v1.set_flag("nope", True)

    @pytest.mark.parametrize("value", ["no", 0, None, 1])
    def test_a_flag_is_true_or_false_and_nothing_else(self, v1, value):
        v = v1.version
        with pytest.raises(TypeError, match="True or False"):
            v1.set_flag("cpg", value)
        assert v1.version == v and open_store(v1.root).flags.get("cpg") is not True


class TestMigration:
    def test_plan_changes_nothing(self, v1):
        version = v1.version
        steps = plan(v1)
        assert {"flag", "add column", "create table", "schema version"} <= set(steps.step)
        assert open_store(v1.root).version == version
        assert not (v1.root / "cpg_nodes").exists()

    def test_migrate_is_additive_and_verified(self, v1):
        before = fingerprint(v1)
        report = migrate(v1)
        assert report.equal.all() and len(report) == len(before)
        assert v1.schema_version == 2 and v1.flags["cpg"] is True
        assert fingerprint(v1) == before
        mods = v1.modules()
        assert set(mods.cpg_status) == {"pending"}
        assert (v1.root / "cpg_nodes").is_dir()
        assert migrate(v1).equal.all()  # again: nothing to do, still verified
        assert v1.history().operation.tolist()[-1] == "migrate"

    def test_rollback_keeps_every_legacy_row(self, v1, src, tmp_path):
        migrate(v1)
        (src / "bookshop" / "late.py").write_text("def after_migration():\n    return 2\n")
        v1.ingest(src)
        v1.write_cpg(wb.build_project(src).cpgs.values())
        rollback(v1)
        assert v1.schema_version == 1 and v1.flags["cpg"] is False
        assert "bookshop/late.py" in set(v1.modules().path)
        assert "cpg_nodes" not in v1.tables
        assert "cpg_status" not in v1.modules().columns
        never = Store.create(tmp_path / "never")
        never.ingest(src)
        assert fingerprint(v1) == fingerprint(never)
        reopened = open_store(v1.root)
        assert reopened.schema_version == 1 and reopened.read_table("modules").schema.equals(
            never.read_table("modules").schema
        )


class TestCpgTables:
    def test_round_trip_equals_the_built_cpg(self, v2, src):
        proj = wb.build_project(src)
        v2.write_cpg(proj.cpgs.values())
        for rel, built in proj.cpgs.items():
            assert v2.cpg(rel).equals(built), rel
        one = v2.cpg("bookshop.pricing", method="price_for")
        assert one.methods["full_name"].to_pylist() == ["bookshop.pricing.price_for"]
        graphs = v2.read_table("cpg_graphs").to_pylist()
        assert {g["status"] for g in graphs} == {"ok"} and len(graphs) == len(proj.cpgs)
        mods = v2.modules().set_index("path")
        assert mods.loc["bookshop/pricing.py", "cpg_status"] == "ok"
        assert mods.loc["bookshop/legacy/broken.py", "cpg_status"] == "pending"

    def test_rewriting_a_module_replaces_its_rows(self, v2, src):
        proj = wb.build_project(src)
        v2.write_cpg(proj.cpgs.values())
        n = v2.sql("SELECT count(*) AS n FROM cpg_nodes").n[0]
        v2.write_cpg([proj.cpgs["bookshop/pricing.py"]])
        assert v2.sql("SELECT count(*) AS n FROM cpg_nodes").n[0] == n
        assert v2.cpg("bookshop/pricing.py").equals(proj.cpgs["bookshop/pricing.py"])

    def test_changed_source_invalidates_its_cpg(self, v2, src):
        v2.write_cpg(wb.build_project(src).cpgs.values())
        (src / "bookshop" / "pricing.py").write_text("def price_for(p):\n    return p\n")
        v2.ingest(src)
        with pytest.raises(NotFoundError, match="no CPG yet"):
            v2.cpg("bookshop/pricing.py")
        assert v2.cpg("bookshop/admin.py").methods.num_rows > 1

    def test_sql_binds_parameters(self, v2, src):
        v2.write_cpg(wb.build_project(src).cpgs.values())
        df = v2.sql("SELECT full_name FROM cpg_methods WHERE cyclomatic > ? ORDER BY 1", [10])
        methods = v2.read_table("cpg_methods").to_pandas()
        expected = sorted(methods[methods.cyclomatic > 10].full_name)
        assert df.full_name.tolist() == expected and "bookshop.pricing.price_for" in expected
        evil = "x'; DROP TABLE modules; --"
        assert len(v2.sql("SELECT * FROM modules WHERE path = $p", {"p": evil})) == 0
        assert len(v2.modules()) == SAMPLE_MODULES

    def test_unknown_module(self, v2):
        with pytest.raises(NotFoundError):
            v2.cpg("no/such.py")
        version = v2.version
        with pytest.raises(NotFoundError, match="ingest them first"):
            v2.write_cpg([wb.build_cpg("x = 1\n", path="not/ingested.py")])
        assert v2.refresh().version == version


def test_ast_repository_and_cpg_agree_on_functions(tmp_path):
    """The v1 functions table and the CPG's FUNCTION methods describe the same functions."""
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    src = tmp_path / "lib"
    for name in ("argparse.py", "dataclasses.py", "json", "email/_header_value_parser.py"):
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (stdlib / name).is_dir():
            shutil.copytree(stdlib / name, target, dirs_exist_ok=True)
        else:
            shutil.copy(stdlib / name, target)
    store = Store.create(tmp_path / "store")
    store.ingest(src)
    functions = store.functions()
    for rel, cpg in wb.build_project(src).cpgs.items():
        ours = functions[functions.module == cpg.module.key]
        methods = cpg.to_pandas().methods.query("subkind == 'FUNCTION'")
        qual = sorted(f.removeprefix(cpg.module.name + ".") for f in methods.full_name)
        assert sorted(ours.qualname) == qual, rel
        assert sorted(ours.nesting) == sorted(methods.nesting), rel
        assert sorted(ours.statements) == sorted(methods.statements), rel


def test_parallel_ingest_equals_serial(tmp_path, src):
    from workbench.store.migrations import fingerprint

    one = Store.create(tmp_path / "one")
    one.ingest(src)
    two = Store.create(tmp_path / "two")
    report = two.ingest(src, workers=2)
    assert len(report.added) == SAMPLE_MODULES and len(report.failed) == SAMPLE_BROKEN
    assert fingerprint(one) == fingerprint(two)


def test_read_table_reads_only_the_columns_asked_for(v1):
    import pyarrow.compute as pc

    whole = v1.read_table("modules")
    some = v1.read_table("modules", filter=pc.field("parse_status") == "ok", columns=["path"])
    assert some.column_names == ["path"]
    ok = whole.filter(pc.field("parse_status") == "ok")
    assert sorted(some["path"].to_pylist()) == sorted(ok["path"].to_pylist())
