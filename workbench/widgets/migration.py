"""Schema migration of a store in a notebook: its version, schema and flags; the migration
(or rollback) plan as a dry run; Migrate / Rollback behind a confirmation; the verification
of the legacy data and the store's history.

The widget holds no logic: :func:`migration_state` reads a :class:`MigrationState` from the
store (nothing is changed) and :func:`state_html`, :func:`plan_html`, :func:`history_html`,
:func:`confirm_text` and :func:`verification_html` render it; all are plain functions, tested
without a browser. :class:`MigrationPanel` copies them into ipywidgets and calls
:func:`workbench.store.migrations.migrate` and :func:`~workbench.store.migrations.rollback`,
showing any error in the panel, never raising it. Everything read from the store (paths,
table names, history details, error messages) is HTML-escaped.

Examples
--------
>>> import pathlib, tempfile
>>> from workbench.store import Store
>>> from workbench.store.migrations import migrate
>>> src = pathlib.Path(tempfile.mkdtemp())
>>> _ = (src / "calc.py").write_text("def add(a, b):\\n    return a + b\\n")
>>> store = Store.create(pathlib.Path(tempfile.mkdtemp()) / "store")
>>> _ = store.ingest(src)
>>> s = migration_state(store)
>>> s.schema_version, s.target, s.can_migrate, s.can_rollback
(1, 2, True, False)
>>> s.migrate_plan.step.iloc[0], s.migrate_plan.change.iloc[0]
('flag', 'off -> on')
>>> report = migrate(store)
>>> s = migration_state(store)
>>> s.schema_version, s.can_migrate, s.can_rollback, s.rollback_reason
(2, False, True, '')
>>> sorted(set(s.rollback_plan.step))
['drop column', 'drop table', 'flag', 'schema version']
>>> s.history.operation.tolist()  # most recent first
['migrate', 'ingest', 'create']
>>> "legacy fingerprints equal: 2 tables / " in verification_html(report)
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.cpg.schema import MODULES_CPG_FIELDS, SCHEMA_VERSION, introduced_in
from workbench.widgets._common import error_html, esc, ipywidgets, table_html

if TYPE_CHECKING:
    import os

    import pandas as pd

    from workbench.store.store import Store

__all__ = [
    "PLAN_COLUMNS",
    "MigrationPanel",
    "MigrationState",
    "confirm_text",
    "history_html",
    "migration_state",
    "plan_html",
    "rollback_plan",
    "state_html",
    "verification_html",
]

#: Columns of the migration and rollback plans (those of :func:`workbench.store.migrations.plan`).
PLAN_COLUMNS = ["migration", "step", "object", "change"]
#: Store versions listed in the history (most recent first); the rest are counted.
MAX_HISTORY_SHOWN = 20
#: Actions of the panel, and the words the confirmation uses for them.
ACTIONS = {"migrate": "Migrate", "rollback": "Roll back"}

_OK = "#1b5e20"
_BAD = "#b00020"


@dataclass(frozen=True, eq=False)
class MigrationState:
    """What the panel shows of a store, read without changing it.

    ``migrate_plan`` is what :func:`~workbench.store.migrations.migrate` to ``target`` would
    change (the library's dry run), ``rollback_plan`` what
    :func:`~workbench.store.migrations.rollback` to ``rollback_target`` would drop (see
    :func:`rollback_plan`); both have columns :data:`PLAN_COLUMNS` and are empty when the
    action does not apply. ``history`` are the last :data:`MAX_HISTORY_SHOWN` store versions,
    most recent first, of ``history_total``. ``can_migrate`` / ``can_rollback`` say whether
    the action applies; when not, ``migrate_reason`` / ``rollback_reason`` say why. ``error``
    is what could not be read (a damaged table), escaped by the renderers like everything else.
    """

    root: str
    version: int
    schema_version: int
    target: int = SCHEMA_VERSION
    rollback_target: int = 1
    flags: dict[str, bool] = field(default_factory=dict)
    tables: int = 0
    read_only: bool = False
    migrate_plan: Any = None
    rollback_plan: Any = None
    history: Any = None
    history_total: int = 0
    can_migrate: bool = False
    can_rollback: bool = False
    migrate_reason: str = ""
    rollback_reason: str = ""
    error: str = ""


def migration_state(
    store: Store, *, target: int = SCHEMA_VERSION, rollback_target: int = 1
) -> MigrationState:
    """Read what :class:`MigrationPanel` shows of ``store``, changing nothing (not even which
    version the object reads: call ``store.refresh()`` first to follow other writers).

    A plan or history that cannot be read (a damaged table) is reported in ``error`` and
    disables the action it belongs to; it is never raised.
    """
    import pandas as pd

    from workbench.store.migrations import plan

    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in PLAN_COLUMNS})
    errors: list[str] = []
    schema = store.schema_version
    read_only = bool(getattr(store, "read_only", False))

    migrate_reason = _migrate_reason(schema, target, read_only)
    migrate_plan = empty
    if not migrate_reason:
        try:
            migrate_plan = plan(store, target)
        except Exception as e:  # a damaged modules table: shown, the action disabled
            errors.append(f"migration plan: {type(e).__name__}: {e}")
            migrate_reason = "the migration plan cannot be read"
        else:
            if migrate_plan.empty:
                migrate_reason = f"no migration leads from v{schema} to v{target}"

    rollback_reason = _rollback_reason(schema, rollback_target, read_only)
    rollback_df = empty
    if not rollback_reason:
        try:
            rollback_df = rollback_plan(store, rollback_target)
        except Exception as e:
            errors.append(f"rollback plan: {type(e).__name__}: {e}")
            rollback_reason = "the rollback plan cannot be read"

    history = pd.DataFrame()
    total = 0
    try:
        full = store.history()
        total = len(full)
        history = full.iloc[::-1].head(MAX_HISTORY_SHOWN).reset_index(drop=True)
    except Exception as e:  # a damaged store log
        errors.append(f"history: {type(e).__name__}: {e}")

    return MigrationState(
        root=str(store.root),
        version=store.version,
        schema_version=schema,
        target=target,
        rollback_target=rollback_target,
        flags=dict(store.flags),
        tables=len(store.tables),
        read_only=read_only,
        migrate_plan=migrate_plan,
        rollback_plan=rollback_df,
        history=history,
        history_total=total,
        can_migrate=not migrate_reason,
        can_rollback=not rollback_reason,
        migrate_reason=migrate_reason,
        rollback_reason=rollback_reason,
        error="; ".join(errors),
    )


def rollback_plan(store: Store, target: int = 1) -> pd.DataFrame:
    """What :func:`~workbench.store.migrations.rollback` to ``target`` would drop, without
    changing anything: one row per step (columns :data:`PLAN_COLUMNS`), the tables with the
    rows and files they hold now.

    The migrations have no dry run of their ``down`` step, so this one is derived from what
    each step removes: the tables its schema version introduces
    (:func:`workbench.cpg.schema.introduced_in`) and, for v2, the CPG fields of ``modules``
    and the ``cpg`` flag. Legacy rows are kept (rollback verifies it).

    Examples
    --------
    >>> import tempfile
    >>> from workbench.store import Store
    >>> rollback_plan(Store.create(tempfile.mkdtemp() + "/s")).empty  # v1: nothing to undo
    True
    """
    import pandas as pd

    from workbench.store.migrations import MIGRATIONS

    sizes = store.table_sizes()
    steps: list[dict] = []
    for m in reversed(MIGRATIONS):
        if store.schema_version >= m.target and m.source >= target:
            down = _ROLLBACK_STEPS.get(m.name, _no_extra_steps)
            rows = [*down(store, sizes), *_drop_tables(m.target, sizes)]
            rows.append(
                {"step": "schema version", "object": "store", "change": f"{m.target} -> {m.source}"}
            )
            steps += [{"migration": f"v{m.target}->v{m.source} {m.name}", **r} for r in rows]
    return pd.DataFrame(steps, columns=PLAN_COLUMNS)


# -- rendering -------------------------------------------------------------------------------


def state_html(state: MigrationState) -> str:
    """The header: the store's path, version, schema version, tables and flags (escaped)."""
    flags = ", ".join(f"{esc(k)} {'on' if v else 'off'}" for k, v in sorted(state.flags.items()))
    view = " (read-only view)" if state.read_only else ""
    parts = [
        f"<b>Store</b> <code>{esc(state.root)}</code>{view}: version {esc(state.version)}, "
        f"schema v{esc(state.schema_version)} (this workbench knows up to v{SCHEMA_VERSION}), "
        f"{esc(state.tables)} tables; flags: {flags or 'none'}"
    ]
    if state.error:
        parts.append(error_html(state.error))
    return "<br>".join(parts)


def plan_html(state: MigrationState) -> str:
    """The migration and rollback plans that apply, as dry-run tables, or why neither does."""
    parts = []
    if state.can_migrate:
        parts.append(
            f"<b>Migration plan v{esc(state.schema_version)} → v{esc(state.target)}</b> "
            "(dry run: nothing changed yet)" + table_html(state.migrate_plan)
        )
    if state.can_rollback:
        parts.append(
            f"<b>Rollback plan v{esc(state.schema_version)} → v{esc(state.rollback_target)}"
            "</b> (dry run: nothing changed yet; every legacy row stays)"
            + table_html(state.rollback_plan)
        )
    if not parts:
        why = "; ".join(r for r in (state.migrate_reason, state.rollback_reason) if r)
        parts.append(f"<i>nothing to migrate or roll back: {esc(why)}</i>")
    return "".join(parts)


def history_html(state: MigrationState) -> str:
    """The store history, most recent first (at most :data:`MAX_HISTORY_SHOWN` rows)."""
    shown = 0 if state.history is None else len(state.history)
    head = f"<b>History</b> ({shown} most recent of {state.history_total} versions)"
    return head + table_html(state.history)


def confirm_text(state: MigrationState, action: str) -> str:
    """The confirmation question of ``action`` ("migrate" or "rollback") as escaped HTML."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {sorted(ACTIONS)}, got {action!r}")
    to = state.target if action == "migrate" else state.rollback_target
    text = (
        f"{ACTIONS[action]} store <code>{esc(state.root)}</code> "
        f"from v{esc(state.schema_version)} to v{esc(to)}?"
    )
    if action == "rollback":
        text += " The tables and fields of the plan are dropped; every legacy row stays."
    return text


def verification_html(report, *, operation: str = "") -> str:
    """The verification table of a migration or rollback as one line: green when every legacy
    column has the same row count and content hash before and after ("legacy fingerprints
    equal: N tables / M columns"), red with the differing rows otherwise. None gives "".

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"table": ["modules", "modules"], "column": ["a", "<b>"],
    ...                    "equal": [True, False]})
    >>> html = verification_html(df)
    >>> "legacy fingerprints differ: 1 of 2 columns" in html, "&lt;b&gt;" in html
    (True, True)
    """
    if report is None:
        return ""
    prefix = f"{esc(operation)}: " if operation else ""
    if len(report) == 0:
        return f"{prefix}<i>no legacy columns to verify</i>"
    equal = report["equal"].astype(bool)
    if equal.all():
        return (
            f'<span style="color: {_OK}">{prefix}legacy fingerprints equal: '
            f"{report['table'].nunique()} tables / {len(report)} columns</span>"
        )
    bad = report[~equal]
    return (
        f'<span style="color: {_BAD}">{prefix}legacy fingerprints differ: '
        f"{len(bad)} of {len(report)} columns</span>" + table_html(bad)
    )


# -- the widget --------------------------------------------------------------------------------


class MigrationPanel:
    """A panel to migrate a store to ``target`` (default: the newest schema) or roll it back
    to ``rollback_target`` (v1), each behind a confirmation.

    ``store`` is a :class:`~workbench.store.Store` or the path of one (a store that cannot be
    opened is shown as an error; :meth:`refresh` tries again). Clicking Migrate or Rollback
    shows "Migrate store X from v1 to v2? [Confirm] [Cancel]"; only Confirm runs it. Then the
    panel shows the verification of the legacy data and the refreshed state and history. An
    exception of the operation is shown in :attr:`error`, never raised, and the state is read
    again (a failed migration changes nothing).

    Widgets (ipywidgets, in :attr:`widget`, a ``VBox`` of CSS class ``wb-migration-panel``):
    :attr:`header`, :attr:`plan` (``HTML``), :attr:`migrate_button` (``wb-migrate``),
    :attr:`rollback_button` (``wb-rollback``), :attr:`confirm_row` (an ``HBox`` shown while
    confirming: :attr:`question`, :attr:`confirm_button` ``wb-confirm``,
    :attr:`cancel_button` ``wb-cancel``), :attr:`error` (``HTML``, its line of class
    ``wb-error``), :attr:`verification` (``HTML``, ``wb-verification``), :attr:`history`.

    Use ``display(MigrationPanel(store))``; :meth:`migrate` and :meth:`rollback` run at once,
    without the confirmation (for scripts).
    """

    def __init__(
        self,
        store: Store | str | os.PathLike,
        *,
        target: int = SCHEMA_VERSION,
        rollback_target: int = 1,
    ) -> None:
        w = ipywidgets()
        self.target = target
        self.rollback_target = rollback_target
        self._path = None if _is_store(store) else store
        self.store: Store | None = store if _is_store(store) else None
        self.state: MigrationState | None = None
        #: the verification table of the last operation run here (None before, or if it failed)
        self.report = None
        self._pending: str | None = None

        self.header = w.HTML(value="")
        self.plan = w.HTML(value="")
        self.migrate_button = w.Button(
            description="Migrate", icon="arrow-up", button_style="primary", disabled=True
        )
        self.rollback_button = w.Button(
            description="Rollback", icon="undo", button_style="warning", disabled=True
        )
        self.question = w.HTML(value="")
        self.confirm_button = w.Button(description="Confirm", button_style="danger")
        self.cancel_button = w.Button(description="Cancel")
        self.confirm_row = w.HBox(
            [self.question, self.confirm_button, self.cancel_button],
            layout=w.Layout(display="none"),
        )
        self.error = w.HTML(value="")
        self.verification = w.HTML(value="")
        self.history = w.HTML(value="")
        for widget, cls in (
            (self.migrate_button, "wb-migrate"),
            (self.rollback_button, "wb-rollback"),
            (self.confirm_button, "wb-confirm"),
            (self.cancel_button, "wb-cancel"),
            (self.verification, "wb-verification"),
        ):
            widget.add_class(cls)
        self.migrate_button.on_click(lambda _b: self.ask("migrate"))
        self.rollback_button.on_click(lambda _b: self.ask("rollback"))
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.widget = w.VBox(
            [
                self.header,
                self.plan,
                w.HBox([self.migrate_button, self.rollback_button]),
                self.confirm_row,
                self.error,
                self.verification,
                self.history,
            ]
        )
        self.widget.add_class("wb-migration-panel")
        self.refresh()

    # -- state -------------------------------------------------------------------------

    @property
    def confirming(self) -> str | None:
        """The action waiting for Confirm or Cancel ("migrate", "rollback"), or None."""
        return self._pending

    def refresh(self) -> MigrationState | None:
        """Read the store again (following other writers) and show it; return the state, or
        None with the error shown when the store cannot be opened or read."""
        try:
            if self.store is None:
                from workbench.store.store import open_store

                self.store = open_store(self._path)
            if not self.store.read_only:  # a view of an earlier version stays at it
                self.store.refresh()
            self.state = migration_state(
                self.store, target=self.target, rollback_target=self.rollback_target
            )
        except Exception as e:  # a panel has nowhere to raise to: it shows the error
            self.state = None
            self.header.value = f"<b>Store</b> <code>{esc(self._root())}</code>"
            self.plan.value = self.history.value = ""
            self.error.value = error_html(f"{type(e).__name__}: {e}")
            self._set_buttons()
            return None
        self.error.value = ""
        self._render()
        return self.state

    def _root(self) -> str:
        return str(self.store.root if self.store is not None else self._path)

    def _render(self) -> None:
        s = self.state
        self.header.value = state_html(s)
        self.plan.value = plan_html(s)
        self.history.value = history_html(s)
        self.migrate_button.tooltip = s.migrate_reason or f"migrate to v{s.target}"
        self.rollback_button.tooltip = s.rollback_reason or f"roll back to v{s.rollback_target}"
        self._set_buttons()

    def _set_buttons(self, *, busy: bool = False) -> None:
        s = self.state
        idle = not busy and self._pending is None
        self.migrate_button.disabled = not (idle and s is not None and s.can_migrate)
        self.rollback_button.disabled = not (idle and s is not None and s.can_rollback)
        self.confirm_button.disabled = self.cancel_button.disabled = busy

    # -- the confirmation ----------------------------------------------------------------

    def ask(self, action: str) -> None:
        """Show the confirmation of ``action`` ("migrate" or "rollback"); nothing runs yet.
        When the action does not apply, say why in :attr:`error` instead."""
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {sorted(ACTIONS)}, got {action!r}")
        s = self.state
        if s is None:
            return
        ok, reason = (
            (s.can_migrate, s.migrate_reason)
            if action == "migrate"
            else (s.can_rollback, s.rollback_reason)
        )
        if not ok:  # a disabled button clicked from code, or a caller's call
            self._refuse(action, reason)
            return
        self.question.value = confirm_text(s, action)
        self.error.value = ""
        self._pending = action
        self.confirm_row.layout.display = "flex"
        self._set_buttons()

    def _refuse(self, action: str, reason: str) -> None:
        detail = f" ({self.state.error})" if self.state is not None and self.state.error else ""
        self.error.value = error_html(f"cannot {ACTIONS[action].lower()}: {reason}{detail}")

    def cancel(self) -> None:
        """Hide the confirmation; nothing runs."""
        self._pending = None
        self.question.value = ""
        self.confirm_row.layout.display = "none"
        self._set_buttons()

    def confirm(self):
        """Run the action being confirmed; return its verification table, or None."""
        action = self._pending
        self.cancel()
        if action is None:
            return None
        return self._run(action)

    # -- the operations ------------------------------------------------------------------

    def migrate(self):
        """Migrate the store to ``target`` now (no confirmation); return the verification
        table, or None with the error (or why it does not apply) shown in :attr:`error`."""
        return self._run("migrate")

    def rollback(self):
        """Roll the store back to ``rollback_target`` now (no confirmation); return the
        verification table, or None with the error shown in :attr:`error`."""
        return self._run("rollback")

    def _run(self, action: str):
        from workbench.store import migrations

        self.cancel()
        if self.refresh() is None:  # the store cannot be read: refresh showed why
            return None
        s = self.state
        ok, reason, to = (
            (s.can_migrate, s.migrate_reason, s.target)
            if action == "migrate"
            else (s.can_rollback, s.rollback_reason, s.rollback_target)
        )
        if not ok:
            self._refuse(action, reason)
            return None
        operation = f"{action} v{s.schema_version} → v{to}"
        self.error.value = ""
        self.verification.value = ""
        self.report = None
        self._set_buttons(busy=True)
        try:
            if action == "migrate":
                report = migrations.migrate(self.store, to)
            else:
                report = migrations.rollback(self.store, to)
        except Exception as e:  # a button has nowhere to raise to: the panel shows it
            self.error.value = error_html(f"{operation} failed: {type(e).__name__}: {e}")
            report = None
        finally:
            self._set_buttons()
        self.report = report
        self.verification.value = verification_html(report, operation=operation)
        error = self.error.value
        if self.refresh() is not None:
            self.error.value = error  # the operation's error stays; the state's is in header
        return report

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


# -- helpers -------------------------------------------------------------------------------


def _is_store(obj) -> bool:
    from workbench.store.store import Store

    return isinstance(obj, Store)


def _migrate_reason(schema: int, target: int, read_only: bool) -> str:
    if read_only:
        return "a read-only view of an earlier store version"
    if target > SCHEMA_VERSION:
        return f"this workbench knows schema versions up to v{SCHEMA_VERSION}, not v{target}"
    if schema >= target:
        return f"the store is at schema v{schema} already"
    return ""


def _rollback_reason(schema: int, target: int, read_only: bool) -> str:
    if read_only:
        return "a read-only view of an earlier store version"
    if target < 1:
        return f"there is no schema v{target}"
    if schema <= target:
        return f"the store is at schema v{schema} already"
    return ""


def _drop_tables(version: int, sizes: dict[str, dict]) -> list[dict]:
    """``down`` steps of :func:`workbench.store.migrations.drop_introduced`: the tables that
    schema ``version`` introduced and the store holds, with what they hold."""
    rows = []
    for name in introduced_in(version):
        if name not in sizes:
            continue
        size = sizes[name]
        held = (
            f"{size['rows']} rows in {size['files']} files"
            if size.get("error") is None
            else f"unreadable Delta log: {size['error']}"
        )
        rows.append({"step": "drop table", "object": name, "change": held})
    return rows


def _rollback_cpg(store: Store, sizes: dict[str, dict]) -> list[dict]:
    """What the ``down`` step of v1 -> v2 removes besides its tables (``_down_v2``)."""
    n = sizes.get("modules", {}).get("rows")
    names = set(store.schema("modules").names)
    rows = [
        {
            "step": "drop column",
            "object": f"modules.{f.name}",
            "change": f"{f.type}; {'?' if n is None else n} existing rows lose it",
        }
        for f in MODULES_CPG_FIELDS
        if f.name in names
    ]
    now = "on" if store.flags.get("cpg") else "off"
    rows.append({"step": "flag", "object": "cpg", "change": f"{now} -> off"})
    return rows


def _no_extra_steps(store: Store, sizes: dict[str, dict]) -> list[dict]:
    return []


#: Per migration name, the ``down`` steps beyond dropping its tables and the schema version.
_ROLLBACK_STEPS: dict[str, Callable[[Store, dict[str, dict]], list[dict]]] = {"cpg": _rollback_cpg}
