"""Telemetry: events of every layer, kept in memory, persisted by the store, reported as
DataFrames.

Every layer (store, pipeline, analysis) records what it does with :func:`emit` or
:func:`span`: an :class:`Event` with a kind (``ingest``, ``build``, ``query``, ``algorithm``,
``cache``, ...), a duration, numbers (``measurements``) and context (``metadata``). Events
stay in a process-wide ring; those that name a store wait in its pending queue until the store
persists them in its ``telemetry`` table (:func:`take`, :func:`restore`, :func:`as_rows`).
This package imports no other layer.

Reports: :func:`frame` (the events as a DataFrame, from the ring and a store's table),
:func:`queries`, :func:`slow_queries`, :func:`builds`, :func:`algorithms`,
:func:`cache_ratios`; size alerts (:func:`check_sizes`, :func:`open_alerts`); performance
regressions (:func:`regressions`, :func:`check_regressions`); :func:`export` to Parquet or
CSV and :func:`prometheus` metrics. Thresholds live in :data:`settings`.

Modules: :mod:`.events` (recording), :mod:`.frames`, :mod:`.config`, :mod:`.monitor`,
:mod:`.sizes`, :mod:`.regression`, :mod:`.exports`. (The package attribute ``events`` is the
function :func:`events`; import the module as ``from workbench.telemetry.events import ...``.)

Examples
--------
>>> from workbench import telemetry
>>> with telemetry.span("example", metadata={"algorithm": "pagerank"}) as s:
...     s.measurements["nodes"] = 120
>>> df = telemetry.frame("example")
>>> df.iloc[-1][["event", "module"]].tolist(), df.iloc[-1].measurements
(['example', <NA>], {'nodes': 120})
"""

from __future__ import annotations

from workbench.telemetry.config import Settings, is_slow, settings
from workbench.telemetry.events import (
    Event,
    Span,
    as_rows,
    clear,
    disable,
    disabled,
    dropped,
    emit,
    enable,
    enabled,
    events,
    pending,
    restore,
    set_pending_size,
    set_ring_size,
    span,
    subscribe,
    take,
)
from workbench.telemetry.exports import export, prometheus
from workbench.telemetry.frames import flatten, frame
from workbench.telemetry.monitor import algorithms, builds, cache_ratios, queries, slow_queries
from workbench.telemetry.regression import check_regressions, regressions
from workbench.telemetry.sizes import check_sizes, open_alerts, table_sizes

__all__ = [
    "Event",
    "Settings",
    "Span",
    "algorithms",
    "as_rows",
    "builds",
    "cache_ratios",
    "check_regressions",
    "check_sizes",
    "clear",
    "disable",
    "disabled",
    "dropped",
    "emit",
    "enable",
    "enabled",
    "events",
    "export",
    "flatten",
    "frame",
    "is_slow",
    "open_alerts",
    "pending",
    "prometheus",
    "queries",
    "regressions",
    "restore",
    "set_pending_size",
    "set_ring_size",
    "settings",
    "slow_queries",
    "span",
    "subscribe",
    "table_sizes",
    "take",
]
