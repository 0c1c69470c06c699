"""Size alerts: tables with too many rows, files or bytes.

:func:`check_sizes` compares each table's size (from a store's ``status()``, or a frame of
sizes) with the thresholds of ``settings.size_thresholds``. An alert *opens* when a value goes
over its threshold: a WARNING on logger ``workbench.telemetry`` and an ``alert`` event
(persisted with the store's next commit). It stays open, without repeating itself, while the
value stays over, and *closes* (an ``alert`` event with ``state="closed"``) once a check finds
the value back at or under its threshold. :func:`open_alerts` lists the alerts open now.

Examples
--------
>>> import pandas as pd
>>> sizes = pd.DataFrame({"table": ["doc_nodes"], "rows": [12], "files": [3], "bytes": [None]})
>>> check_sizes(sizes, {"doc_nodes": {"rows": 10}})[["table", "measure", "value", "threshold"]]
       table measure  value  threshold
0  doc_nodes    rows   12.0       10.0
>>> check_sizes(sizes, {"doc_nodes": {"rows": 100}}).empty  # back under: closed
True
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench.telemetry.config import settings
from workbench.telemetry.events import _clear_hooks, emit

__all__ = ["ALERT_COLUMNS", "MEASURES", "check_sizes", "open_alerts", "table_sizes"]

log = logging.getLogger("workbench.telemetry")

#: What is measured of a table.
MEASURES = ("rows", "files", "bytes")
#: The columns of :func:`check_sizes` and :func:`open_alerts`.
ALERT_COLUMNS = ["table", "measure", "value", "threshold", "opened"]


@dataclass
class _Alert:
    store: str | None
    table: str
    measure: str
    value: float
    threshold: float
    opened: dt.datetime


_open: dict[tuple[str | None, str, str], _Alert] = {}
_lock = threading.Lock()


def _forget() -> None:
    with _lock:
        _open.clear()


_clear_hooks.append(_forget)


def table_sizes(store: Any) -> pd.DataFrame:
    """``table, rows, files, bytes`` of every table of a store (duck-typed: its
    ``table_sizes()``, else ``status()["tables"]``), sorted by table; a size the store could
    not read is missing."""
    tables: Mapping[str, Mapping[str, Any]] = (
        store.table_sizes() if hasattr(store, "table_sizes") else store.status()["tables"]
    )
    df = pd.DataFrame(
        [
            {"table": name, **{m: (tables[name] or {}).get(m) for m in MEASURES}}
            for name in sorted(tables)
        ],
        columns=["table", *MEASURES],
    )
    return df.astype({"table": object, **dict.fromkeys(MEASURES, "Int64")})


def _limit(thresholds: Mapping[str, Mapping[str, float]], table: str, measure: str) -> Any:
    """A table's own limit of a measure, else that of ``"*"``, else None."""
    own = thresholds.get(table, {})
    return own[measure] if measure in own else thresholds.get("*", {}).get(measure)


def _root(store: Any) -> str | None:
    if store is None:
        return None
    return str(store.root) if hasattr(store, "root") else str(store)


def _frame(alerts: list[_Alert]) -> pd.DataFrame:
    rows = sorted(
        ({c: getattr(a, c) for c in ALERT_COLUMNS} for a in alerts),
        key=lambda r: (r["table"], r["measure"]),
    )
    df = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    df["opened"] = pd.to_datetime(df["opened"], utc=True)
    return df.astype({"table": object, "measure": object, "value": float, "threshold": float})


def check_sizes(
    store_or_sizes: Any, thresholds: Mapping[str, Mapping[str, float]] | None = None
) -> pd.DataFrame:
    """Open and close size alerts (see the module docstring).

    Parameters
    ----------
    store_or_sizes : Store-like or pandas.DataFrame
        A store (its :func:`table_sizes`; its alerts' events go to its ``telemetry`` table)
        or a frame with the columns ``table`` and some of ``rows, files, bytes``.
    thresholds : mapping, optional
        Table name or ``"*"`` -> ``{measure: limit}`` (default ``settings.size_thresholds``):
        a table's own limit, else that of ``"*"``. A value over its limit opens an alert.

    Returns
    -------
    pandas.DataFrame
        The alerts of this store (or of frames of sizes) open after the check: ``table,
        measure, value, threshold, opened``. Alerts of tables not in the check stay as they
        are; a missing size neither opens nor closes an alert.
    """
    if isinstance(store_or_sizes, pd.DataFrame):
        sizes, root = store_or_sizes, None
    else:
        sizes, root = table_sizes(store_or_sizes), _root(store_or_sizes)
    limits = settings.size_thresholds if thresholds is None else thresholds
    for row in sizes.to_dict("records"):
        table = str(row["table"])
        for measure in MEASURES:
            value = row.get(measure)
            if value is None or pd.isna(value):
                continue
            limit = _limit(limits, table, measure)
            if limit is not None and value > limit:
                _raise(root, table, measure, float(value), float(limit))
            else:
                _lower(root, table, measure, float(value), limit)
    return open_alerts(root) if root is not None else _frame(_alerts(None))


def _raise(root: str | None, table: str, measure: str, value: float, limit: float) -> None:
    with _lock:
        alert = _open.get((root, table, measure))
        if alert is not None:  # still open: no new event
            alert.value, alert.threshold = value, limit
            return
        now = dt.datetime.now(dt.UTC)
        _open[root, table, measure] = _Alert(root, table, measure, value, limit, now)
    where = f" of store {root}" if root else ""
    message = f"table {table}{where}: {measure} {value:,.0f} over the threshold {limit:,.0f}"
    log.warning("size alert opened: %s", message)
    _event(root, table, measure, value, limit, "open", message)


def _lower(root: str | None, table: str, measure: str, value: float, limit: Any) -> None:
    with _lock:
        alert = _open.pop((root, table, measure), None)
    if alert is None:
        return
    where = f" of store {root}" if root else ""
    message = f"table {table}{where}: {measure} {value:,.0f} back under the threshold"
    log.info("size alert closed: %s", message)
    _event(root, table, measure, value, limit, "closed", message)


def _event(
    root: str | None, table: str, measure: str, value: float, limit: Any, state: str, text: str
) -> None:
    """The ``alert`` event of an alert that opened or closed."""
    emit(
        "alert",
        store=root,
        detail=text,
        measurements={"value": value},
        metadata={"table": table, "measure": measure, "threshold": limit, "state": state},
    )


def _alerts(root: str | None) -> list[_Alert]:
    with _lock:
        return [a for a in _open.values() if a.store == root]


def open_alerts(store: Any = None) -> pd.DataFrame:
    """The size alerts open now (``table, measure, value, threshold, opened``, sorted): all,
    or those of one store (a root or a Store-like object)."""
    if store is None:
        with _lock:
            alerts = list(_open.values())
    else:
        alerts = _alerts(_root(store))
    return _frame(alerts)
