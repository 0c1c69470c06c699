"""Schema migrations: an ordered list, each with a plan, an ``up`` and a ``down``.

v1 -> v2 adds CPG support: the ``cpg`` flag goes on, ``modules`` gains the CPG fields (status
``pending``, generator, hashes) and the tables schema v2 declares (:mod:`workbench.cpg.schema`)
are created beside the legacy ones. It is additive: no legacy column changes. Before and after,
every legacy column is fingerprinted (row count and content hash); a difference aborts the
migration before it becomes visible. The whole migration is one store transaction, so an
interrupted migration leaves the store at the old version, and running it again does the job.

``down`` (rollback) removes those tables and the CPG fields and switches the flag off; every
legacy row stays, including rows ingested after the migration.

A layer that needs a new table declares it in :mod:`workbench.cpg.schema` with the schema
version that introduces it; :func:`create_introduced` and :func:`drop_introduced` are the
``up`` and ``down`` steps that create and drop it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from workbench import telemetry
from workbench.cpg.schema import (
    MODULES,
    MODULES_CPG_FIELDS,
    MODULES_V1,
    SCHEMA_VERSION,
    CpgStatus,
    introduced_in,
    tables_for,
)
from workbench.errors import SchemaVersionError, StoreError
from workbench.store.store import LEGACY_TABLES, Store, crashpoint
from workbench.store.transaction import Transaction

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MIGRATIONS",
    "Migration",
    "MigrationError",
    "create_introduced",
    "drop_introduced",
    "fingerprint",
    "migrate",
    "plan",
    "rollback",
]


class MigrationError(StoreError):
    """A migration's verification failed; nothing was made visible."""


@dataclass(frozen=True)
class Migration:
    """One step between adjacent schema versions."""

    source: int
    target: int
    name: str
    plan: Callable[[Store], list[dict]]
    up: Callable[[Transaction], None]
    down: Callable[[Transaction], None]


def fingerprint(tx_or_store: Transaction | Store) -> dict:
    """Row count and content hash of every legacy column (v1 columns of legacy tables)."""
    out = {}
    for name in LEGACY_TABLES:
        schema = tables_for(1)[name]
        t = (
            tx_or_store.read(name)
            if isinstance(tx_or_store, Transaction)
            else tx_or_store.read_table(name)
        )
        t = t.select(schema.names).sort_by([(k, "ascending") for k in _row_key(name)])
        for col in schema.names:
            values = t[col].to_pylist()
            digest = hashlib.sha256(json.dumps(values, default=str).encode()).hexdigest()
            out[(name, col)] = (t.num_rows, digest)
    return out


def _row_key(name: str) -> tuple[str, ...]:
    return ("module",) if name == "modules" else ("module", "qualname", "line")


def _report(before: dict, after: dict) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for (table, col), (n0, h0) in before.items():
        n1, h1 = after.get((table, col), (None, None))
        rows.append(
            {
                "table": table,
                "column": col,
                "rows_before": n0,
                "rows_after": n1,
                "hash_before": h0[:16],
                "hash_after": (h1 or "")[:16],
                "equal": n0 == n1 and h0 == h1,
            }
        )
    return pd.DataFrame(rows)


# -- generic steps -----------------------------------------------------------------------------


def create_introduced(tx: Transaction, version: int) -> None:
    """``up`` step: create (empty) every table that schema ``version`` declares first."""
    for name, schema in introduced_in(version).items():
        tx.create_table(name, schema)
        crashpoint(f"migrate.create.{name}")


def drop_introduced(tx: Transaction, version: int) -> None:
    """``down`` step: drop every table that schema ``version`` declares first."""
    for name in introduced_in(version):
        tx.drop_table(name)


def _plan_tables(version: int) -> list[dict]:
    return [
        {"step": "create table", "object": name, "change": f"{len(schema)} columns, empty"}
        for name, schema in introduced_in(version).items()
    ]


# -- v1 -> v2 --------------------------------------------------------------------------------


def _plan_v2(store: Store) -> list[dict]:
    n = store.read_table("modules").num_rows
    steps = [{"step": "flag", "object": "cpg", "change": "off -> on"}]
    steps += [
        {
            "step": "add column",
            "object": f"modules.{f.name}",
            "change": f"{f.type}; {n} existing rows"
            + (": 'pending'" if f.name == "cpg_status" else ": null"),
        }
        for f in MODULES_CPG_FIELDS
    ]
    steps += _plan_tables(2)
    steps.append({"step": "schema version", "object": "store", "change": "1 -> 2"})
    return steps


def _up_v2(tx: Transaction) -> None:
    create_introduced(tx, 2)
    rows = tx.read("modules")  # v1 rows
    n = rows.num_rows
    rows = rows.append_column(
        MODULES.field("cpg_status"), pa.array([str(CpgStatus.PENDING)] * n, pa.string())
    )
    for f in MODULES_CPG_FIELDS[1:]:
        rows = rows.append_column(f, pa.nulls(n, f.type))
    tx.rewrite("modules", rows, schema=MODULES)
    crashpoint("migrate.modules")
    tx.set_schema_version(2)
    tx.set_flag("cpg", True)


def _down_v2(tx: Transaction) -> None:
    rows = tx.read("modules").select(MODULES_V1.names)
    tx.rewrite("modules", rows, schema=MODULES_V1)
    crashpoint("rollback.modules")
    drop_introduced(tx, 2)
    tx.set_schema_version(1)
    tx.set_flag("cpg", False)


MIGRATIONS: list[Migration] = [Migration(1, 2, "cpg", _plan_v2, _up_v2, _down_v2)]


def plan(store: Store, target: int = SCHEMA_VERSION) -> pd.DataFrame:
    """What :func:`migrate` would change, without changing anything."""
    import pandas as pd

    steps = []
    for m in MIGRATIONS:
        if store.schema_version <= m.source and m.target <= target:
            steps += [
                {"migration": f"v{m.source}->v{m.target} {m.name}", **s} for s in m.plan(store)
            ]
    return pd.DataFrame(steps, columns=["migration", "step", "object", "change"])


def migrate(store: Store, target: int = SCHEMA_VERSION) -> pd.DataFrame:
    """Apply the migrations up to ``target``; return the verification table.

    Raises
    ------
    MigrationError
        Legacy data would change; the store stays at its old version.
    """
    if target > SCHEMA_VERSION:
        raise SchemaVersionError(store.root, f"this workbench knows up to v{SCHEMA_VERSION}")
    return _run(store, target, up=True)


def rollback(store: Store, target: int = 1) -> pd.DataFrame:
    """Undo migrations down to ``target`` (v1: no CPG); return the verification table."""
    return _run(store, target, up=False)  # pragma: no mutate: up=None is falsy too


def _run(store: Store, target: int, up: bool) -> pd.DataFrame:
    op = "migrate" if up else "rollback"
    with telemetry.span(op, store=store.root) as span, store.transaction(op) as tx:
        before = fingerprint(tx)
        start = tx.schema_version
        steps = MIGRATIONS if up else list(reversed(MIGRATIONS))
        for m in steps:
            if up and tx.schema_version == m.source and m.target <= target:
                m.up(tx)
            elif not up and tx.schema_version == m.target and m.source >= target:
                m.down(tx)
        after = fingerprint(tx)
        report = _report(before, after)
        if not report.equal.all():
            bad = report[~report.equal]
            cells = ", ".join(f"{t}.{c}" for t, c in zip(bad.table, bad.column, strict=True))
            raise MigrationError(store.root, f"legacy data would change ({cells}); nothing done")
        tx.details = {"from": start, "to": tx.schema_version}
        span.measurements.update({"from": start, "to": tx.schema_version})
        span.measurements["tables"] = int(report.table.nunique())
    return report
