"""MigrationPanel: the state read from real stores (plans, history, what applies), the
verification line, and the panel driven by its buttons: confirmation, migrate, rollback,
errors shown and escaped (headless: no browser)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import workbench as wb
from workbench.cpg.schema import MODULES_CPG_FIELDS, SCHEMA_VERSION, introduced_in, tables_for
from workbench.store import Store, open_store
from workbench.store.migrations import fingerprint, migrate, rollback
from workbench.widgets import migration
from workbench.widgets.migration import (
    PLAN_COLUMNS,
    MigrationPanel,
    migration_state,
    rollback_plan,
    verification_html,
)

pytest.importorskip("ipywidgets")

EVIL = "<img src=x onerror=alert(1)>"
EVIL_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def html_values(panel: MigrationPanel) -> list[str]:
    """The value of every HTML widget of the panel, nested boxes included."""
    out, todo = [], [panel.widget]
    while todo:
        w = todo.pop()
        todo.extend(getattr(w, "children", ()))
        if type(w).__name__ == "HTML":
            out.append(w.value)
    return out


def on_disk(store: Store) -> Store:
    """The store as another process would open it now."""
    return open_store(store.root)


def damage_modules(store: Store) -> None:
    """Remove a data file of the current ``modules`` table (a real corruption)."""
    Path(store.files("modules")[0]["path"]).unlink()


class TestMigrationState:
    def test_v1_store(self, v1):
        version = v1.version
        s = migration_state(v1)
        assert (s.version, s.schema_version, s.target) == (version, 1, SCHEMA_VERSION)
        assert s.flags["cpg"] is False and s.tables == len(tables_for(1))
        assert s.can_migrate and not s.can_rollback
        assert s.rollback_reason == "the store is at schema v1 already"
        assert list(s.migrate_plan.columns) == PLAN_COLUMNS
        assert {"flag", "add column", "create table", "schema version"} <= set(s.migrate_plan.step)
        assert set(s.migrate_plan[s.migrate_plan.step == "create table"].object) == set(
            introduced_in(2)
        )
        assert s.rollback_plan.empty
        assert s.history.operation.tolist() == ["ingest", "create"]
        assert s.history_total == 2 and not s.error
        # a dry run: nothing changed
        assert on_disk(v1).version == version and not (v1.root / "cpg_nodes").exists()

    def test_v2_store(self, v2):
        s = migration_state(v2)
        assert s.schema_version == 2 and s.flags["cpg"] is True
        assert s.can_rollback and not s.can_migrate
        assert s.migrate_reason == "the store is at schema v2 already"
        assert s.migrate_plan.empty
        plan = s.rollback_plan
        assert set(plan[plan.step == "drop table"].object) == set(introduced_in(2))
        assert set(plan[plan.step == "drop column"].object) == {
            f"modules.{f.name}" for f in MODULES_CPG_FIELDS
        }
        assert plan[plan.step == "flag"].change.tolist() == ["on -> off"]
        assert plan[plan.step == "schema version"].change.tolist() == ["2 -> 1"]
        assert s.history.operation.tolist()[0] == "migrate"

    def test_rollback_plan_is_what_rollback_drops(self, v2, src):
        proj = wb.build_project(src)
        v2.write_cpg(proj.cpgs.values())
        plan = rollback_plan(v2)
        nodes = plan[(plan.step == "drop table") & (plan.object == "cpg_nodes")].change.item()
        assert nodes.startswith(f"{v2.table_sizes()['cpg_nodes']['rows']} rows in ")
        assert v2.table_sizes()["cpg_nodes"]["rows"] > 0
        tables, columns = set(v2.tables), set(v2.read_table("modules").column_names)
        rollback(v2)
        assert set(plan[plan.step == "drop table"].object) == tables - set(v2.tables)
        dropped = columns - set(v2.read_table("modules").column_names)
        assert set(plan[plan.step == "drop column"].object) == {f"modules.{c}" for c in dropped}

    def test_history_most_recent_first_and_limited(self, v1, src, monkeypatch):
        (src / "late.py").write_text("def late():\n    return 1\n")
        v1.ingest(src)
        monkeypatch.setattr(migration, "MAX_HISTORY_SHOWN", 2)
        s = migration_state(v1)
        assert s.history.operation.tolist() == ["ingest", "ingest"]
        assert s.history.version.tolist() == [v1.version, v1.version - 1]
        assert s.history_total == 3
        assert "2 most recent of 3 versions" in migration.history_html(s)

    def test_target_beyond_this_workbench(self, v1):
        s = migration_state(v1, target=SCHEMA_VERSION + 1)
        assert not s.can_migrate and s.migrate_plan.empty
        assert f"up to v{SCHEMA_VERSION}" in s.migrate_reason

    def test_read_only_view(self, v2):
        view = v2.at(v2.version - 1)  # the v1 store before the migration
        s = migration_state(view)
        assert s.read_only and s.schema_version == 1
        assert not s.can_migrate and not s.can_rollback
        assert "read-only" in s.migrate_reason

    def test_damaged_table_is_reported_not_raised(self, v1):
        damage_modules(v1)
        s = migration_state(v1)
        assert not s.can_migrate and s.migrate_plan.empty
        assert "CorruptionError" in s.error and "modules" in s.error
        assert "CorruptionError" in migration.state_html(s)


class TestVerificationHtml:
    def test_equal(self, v1):
        report = migrate(v1)
        out = verification_html(report, operation="migrate v1 -> v2")
        assert f"migrate v1 -&gt; v2: legacy fingerprints equal: 2 tables / {len(report)} " in out
        assert "#1b5e20" in out  # green

    def test_different_rows_in_red(self, v1):
        report = migrate(v1)
        report.loc[report.column == "path", "equal"] = False
        report.loc[report.column == "path", "table"] = EVIL
        out = verification_html(report)
        assert f"legacy fingerprints differ: 1 of {len(report)} columns" in out
        assert "#b00020" in out and EVIL_ESCAPED in out and EVIL not in out
        assert "qualname" not in out  # only the differing rows are listed

    def test_nothing_run(self):
        assert verification_html(None) == ""


class TestPanel:
    def test_shows_a_v1_store(self, v1):
        p = MigrationPanel(v1)
        assert str(v1.root) in p.header.value
        assert "schema v1" in p.header.value and "cpg off" in p.header.value
        assert "Migration plan v1 → v2" in p.plan.value and "dry run" in p.plan.value
        assert "cpg_nodes" in p.plan.value and "Rollback plan" not in p.plan.value
        assert not p.migrate_button.disabled and p.rollback_button.disabled
        assert p.rollback_button.tooltip == "the store is at schema v1 already"
        assert "ingest" in p.history.value and p.error.value == ""
        assert p.confirm_row.layout.display == "none" and p.confirming is None

    def test_css_classes(self, v1):
        p = MigrationPanel(v1)
        assert "wb-migration-panel" in p.widget._dom_classes
        for button, cls in [
            (p.migrate_button, "wb-migrate"),
            (p.rollback_button, "wb-rollback"),
            (p.confirm_button, "wb-confirm"),
            (p.cancel_button, "wb-cancel"),
            (p.verification, "wb-verification"),
        ]:
            assert cls in button._dom_classes

    def test_migrate_click_asks_and_changes_nothing(self, v1):
        version = v1.version
        p = MigrationPanel(v1)
        p.migrate_button.click()
        assert p.confirming == "migrate" and p.confirm_row.layout.display == "flex"
        assert p.question.value == f"Migrate store <code>{v1.root}</code> from v1 to v2?"
        assert p.migrate_button.disabled and p.rollback_button.disabled
        assert v1.version == version and on_disk(v1).version == version
        assert on_disk(v1).schema_version == 1 and p.verification.value == ""

    def test_cancel_does_nothing(self, v1):
        version = v1.version
        p = MigrationPanel(v1)
        p.migrate_button.click()
        p.cancel_button.click()
        assert p.confirming is None and p.confirm_row.layout.display == "none"
        assert not p.migrate_button.disabled
        assert on_disk(v1).version == version and on_disk(v1).schema_version == 1
        p.confirm_button.click()  # nothing pending: still nothing
        assert on_disk(v1).version == version and p.report is None

    def test_confirm_migrates(self, v1):
        before = len(v1.history())
        p = MigrationPanel(v1)
        p.migrate_button.click()
        p.confirm_button.click()
        assert v1.schema_version == 2 and on_disk(v1).schema_version == 2
        assert on_disk(v1).flags["cpg"] is True
        assert p.report is not None and p.report.equal.all()
        assert "legacy fingerprints equal: 2 tables" in p.verification.value
        assert "migrate v1 → v2" in p.verification.value
        assert p.state.history_total == before + 1
        assert p.state.history.operation.tolist()[0] == "migrate"
        assert "schema v2" in p.header.value and "cpg on" in p.header.value
        assert p.migrate_button.disabled and not p.rollback_button.disabled
        assert "Rollback plan v2 → v1" in p.plan.value
        assert p.error.value == "" and p.confirming is None

    def test_rollback_round_trip(self, v1):
        legacy = fingerprint(v1)
        p = MigrationPanel(v1)
        p.migrate_button.click()
        p.confirm_button.click()
        p.rollback_button.click()
        assert p.confirming == "rollback"
        assert "from v2 to v1?" in p.question.value and "legacy row stays" in p.question.value
        assert on_disk(v1).schema_version == 2  # asked, not run
        p.confirm_button.click()
        store = on_disk(v1)
        assert store.schema_version == 1 and store.flags["cpg"] is False
        assert set(store.tables) == set(tables_for(1))
        assert p.report.equal.all() and len(p.report) == len(legacy)
        assert fingerprint(store) == legacy
        assert "rollback v2 → v1: legacy fingerprints equal" in p.verification.value
        assert p.state.history.operation.tolist()[:2] == ["rollback", "migrate"]
        assert not p.migrate_button.disabled and p.rollback_button.disabled

    def test_public_methods_run_at_once(self, v1):
        p = MigrationPanel(v1.root)  # a path
        report = p.migrate()
        assert report.equal.all() and on_disk(v1).schema_version == 2
        assert p.confirming is None
        report = p.rollback()
        assert report.equal.all() and on_disk(v1).schema_version == 1

    def test_action_that_does_not_apply_changes_nothing(self, v2):
        version = v2.version
        p = MigrationPanel(v2)
        assert p.migrate() is None
        assert "cannot migrate: the store is at schema v2 already" in p.error.value
        assert on_disk(v2).version == version

    def test_another_writer_migrated_first(self, v1):
        p = MigrationPanel(v1)
        p.migrate_button.click()
        other = open_store(v1.root)
        migrate(other)
        version = other.version
        assert p.confirm() is None  # the panel reads the store again before running
        assert "already" in p.error.value and "wb-error" in p.error.value
        assert on_disk(v1).version == version
        assert "schema v2" in p.header.value

    def test_damaged_store_is_not_migrated(self, v1):
        version = v1.version
        p = MigrationPanel(v1)
        assert not p.migrate_button.disabled
        damage_modules(v1)  # the store is damaged after the panel was shown
        p.migrate_button.click()  # asks: the state shown was healthy
        p.confirm_button.click()  # reads the store again, refuses, does not raise
        assert p.report is None and p.verification.value == ""
        assert 'class="wb-error"' in p.error.value
        assert "cannot migrate: the migration plan cannot be read" in p.error.value
        assert "CorruptionError" in p.error.value and "CorruptionError" in p.header.value
        assert p.migrate_button.disabled
        store = on_disk(v1)
        assert store.version == version and store.schema_version == 1

    def test_failed_rollback_is_shown_and_changes_nothing(self, v2):
        version = v2.version
        p = MigrationPanel(v2)
        damage_modules(v2)  # rollback must read the modules rows: it fails
        p.rollback_button.click()
        assert p.confirm() is None  # does not raise
        assert p.report is None and p.verification.value == ""
        assert 'class="wb-error"' in p.error.value
        assert "rollback v2 → v1 failed: StoreError:" in p.error.value
        assert "nothing was changed" in p.error.value
        store = on_disk(v2)
        assert store.version == version and store.schema_version == 2
        assert set(store.tables) == set(tables_for(2))
        assert "schema v2" in p.header.value and p.confirming is None

    def test_disabled_button_clicked_from_code_does_not_ask(self, v1):
        p = MigrationPanel(v1)
        assert p.rollback_button.disabled
        p.rollback_button.click()
        assert p.confirming is None and p.confirm_row.layout.display == "none"
        assert "cannot roll back: the store is at schema v1 already" in p.error.value

    def test_read_only_view(self, v2):
        view = v2.at(v2.version - 1)
        version = v2.version
        p = MigrationPanel(view)
        assert "read-only view" in p.header.value
        assert p.migrate_button.disabled and p.rollback_button.disabled
        assert p.migrate() is None and "read-only" in p.error.value
        assert view.version == version - 1 and on_disk(v2).version == version

    def test_no_store_at_the_path(self, tmp_path, src):
        p = MigrationPanel(tmp_path / "later")
        assert p.state is None and "StoreNotFoundError" in p.error.value
        assert p.migrate_button.disabled and p.rollback_button.disabled
        assert p.migrate() is None
        Store.create(tmp_path / "later").ingest(src)
        assert p.refresh() is not None and p.state.can_migrate
        assert p.error.value == "" and not p.migrate_button.disabled

    def test_hostile_store_path_is_escaped_everywhere(self, tmp_path, src):
        hostile_src = tmp_path / f"src-{EVIL}"
        shutil.copytree(src, hostile_src)
        store = Store.create(tmp_path / EVIL)
        store.ingest(hostile_src)
        p = MigrationPanel(store)
        seen = html_values(p)
        assert EVIL_ESCAPED in p.header.value
        assert f"src-{EVIL_ESCAPED}" in p.history.value  # the ingest's source, in its details
        p.migrate_button.click()
        seen += html_values(p)
        p.confirm_button.click()
        assert p.report is not None and p.report.equal.all()
        assert on_disk(store).schema_version == 2
        seen += html_values(p)
        p.rollback()
        assert on_disk(store).schema_version == 1
        seen += html_values(p)
        missing = MigrationPanel(tmp_path / EVIL / "missing")
        assert "StoreNotFoundError" in missing.error.value
        assert EVIL_ESCAPED in missing.error.value and EVIL_ESCAPED in missing.header.value
        seen += html_values(missing)
        assert all(EVIL not in value for value in seen)
        assert all("<img" not in value for value in seen)

    def test_hostile_source_path_through_a_migration(self, tmp_path, src):
        hostile_src = tmp_path / EVIL
        shutil.copytree(src, hostile_src)
        store = Store.create(tmp_path / "store")
        store.ingest(hostile_src)
        p = MigrationPanel(store)
        p.migrate_button.click()
        p.confirm_button.click()
        assert p.report.equal.all()
        values = html_values(p)
        assert EVIL_ESCAPED in p.history.value
        assert all("<img" not in value for value in values)

    def test_displayable(self, v1):
        bundle = MigrationPanel(v1)._repr_mimebundle_()
        assert isinstance(bundle, dict)
        assert "application/vnd.jupyter.widget-view+json" in bundle
