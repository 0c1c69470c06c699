"""Reports per kind of event: queries, builds, algorithm runs, cache hit ratios.

Each report takes a frame of events (by default :func:`~workbench.telemetry.frame`; the
``store=`` and ``since=`` arguments are those of ``frame``) and keeps the events of its kind,
with their measurements and metadata spread into columns: the named columns first, then
every other key.

Examples
--------
>>> import pandas as pd
>>> from workbench.telemetry.frames import to_frame
>>> def cache(i, algorithm, tier):
...     return {"id": str(i), "ts": pd.Timestamp(2024, 1, 1, tz="UTC"), "event": "cache",
...             "metadata": {"algorithm": algorithm, "tier": tier}}
>>> df = to_frame([cache(0, "pagerank", "miss"), cache(1, "pagerank", "memory"),
...                cache(2, "pagerank", "store"), cache(3, "dominators", "miss")])
>>> cache_ratios(df)
    algorithm  lookups  memory_hits  store_hits  misses  hit_ratio
0  dominators        1            0           0       1   0.000000
1    pagerank        3            1           1       1   0.666667
2       (all)        4            1           1       2   0.500000
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from workbench.telemetry.config import settings
from workbench.telemetry.frames import flatten, select

__all__ = ["algorithms", "builds", "cache_ratios", "queries", "slow_queries"]

#: The cache tiers of ``cache`` events: found in memory, found in the store, computed.
TIERS = ("memory", "store", "miss")


def _report(
    df: pd.DataFrame | None,
    name: str,
    first: list[str],
    rename: dict[str, str],
    store: Any,
    since: dt.datetime | None,
) -> pd.DataFrame:
    """The events ``name`` flattened, ``rename``d, with the ``first`` columns first."""
    flat = flatten(select(df, name, store=store, since=since)).rename(columns=rename)
    for c in first:
        if c not in flat:
            flat[c] = pd.Series([None] * len(flat), index=flat.index, dtype=object)
    return flat[first + [c for c in flat.columns if c not in first]]


def queries(
    frame: pd.DataFrame | None = None,
    *,
    store: Any = None,
    since: dt.datetime | None = None,
) -> pd.DataFrame:
    """The ``query`` events: columns ``ts, seconds, rows`` (measurement), ``sql`` (the
    detail), ``source`` (metadata), ``slow`` (:func:`~workbench.telemetry.is_slow`), ``plan``
    (metadata, or None), then the other keys.

    The plan of a slow query is in the ``slow_query`` event the store emits after it (same
    store, SQL and seconds); it fills the query's ``plan``."""
    df = select(frame, ["query", "slow_query"], store=store, since=since)
    is_query = df["event"] == "query"
    plans = {
        (e_store, sql, seconds): meta.get("plan")
        for e_store, sql, seconds, meta in zip(
            df["store"][~is_query],
            df["detail"][~is_query],
            df["seconds"][~is_query],
            df["metadata"][~is_query],
            strict=True,
        )
    }
    out = _report(
        df[is_query].reset_index(drop=True),
        "query",
        ["ts", "seconds", "rows", "sql", "source", "slow", "plan"],
        {"detail": "sql"},
        None,
        None,
    )
    if plans:
        found = [plans.get(k) for k in zip(out["store"], out["sql"], out["seconds"], strict=True)]
        out["plan"] = out["plan"].where(out["plan"].notna(), pd.Series(found, dtype=object))
    threshold = settings.slow_query_seconds
    out["slow"] = (out["seconds"] >= threshold).fillna(False).astype(bool)
    return out


def slow_queries(
    frame: pd.DataFrame | None = None,
    *,
    store: Any = None,
    since: dt.datetime | None = None,
    threshold: float | None = None,
) -> pd.DataFrame:
    """The queries (see :func:`queries`) that took at least ``threshold`` seconds (default
    ``settings.slow_query_seconds``), slowest first. Logs nothing: the store logs a slow
    query when it runs."""
    out = queries(frame, store=store, since=since)
    limit = settings.slow_query_seconds if threshold is None else threshold
    out["slow"] = (out["seconds"] >= limit).fillna(False).astype(bool)
    out = out[out["slow"]]
    return out.sort_values("seconds", ascending=False, kind="stable").reset_index(drop=True)


def builds(
    frame: pd.DataFrame | None = None,
    *,
    store: Any = None,
    since: dt.datetime | None = None,
) -> pd.DataFrame:
    """The ``build`` events: columns ``ts, module, seconds, status`` (metadata ``status``,
    else ``outcome``), ``nodes, edges`` (measurements), then the other keys."""
    out = _report(
        frame, "build", ["ts", "module", "seconds", "status", "nodes", "edges"], {}, store, since
    )
    if "outcome" in out:
        out["status"] = out["status"].where(out["status"].notna(), out["outcome"])
    return out


def algorithms(
    frame: pd.DataFrame | None = None,
    *,
    store: Any = None,
    since: dt.datetime | None = None,
) -> pd.DataFrame:
    """The ``algorithm`` events: columns ``ts, algorithm, kind, seconds, tier`` (the cache
    tier: metadata ``tier``, else ``cache``), ``nodes, edges`` (measurements),
    ``approximate``, then the other keys."""
    first = ["ts", "algorithm", "kind", "seconds", "tier", "nodes", "edges", "approximate"]
    out = _report(frame, "algorithm", first, {}, store, since)
    if "cache" in out:
        out["tier"] = out["tier"].where(out["tier"].notna(), out["cache"])
    return out


def cache_ratios(
    frame: pd.DataFrame | None = None,
    *,
    store: Any = None,
    since: dt.datetime | None = None,
) -> pd.DataFrame:
    """Analysis cache lookups per algorithm, from the ``cache`` events whose metadata has an
    ``algorithm`` and a ``tier`` (``memory``, ``store`` or ``miss``).

    Returns
    -------
    pandas.DataFrame
        One row per algorithm (sorted) and a last row ``(all)``: ``algorithm, lookups,
        memory_hits, store_hits, misses, hit_ratio`` where ``hit_ratio`` is (memory + store
        hits) / lookups (NaN without lookups).
    """
    df = select(frame, "cache", store=store, since=since)
    counts: dict[str, dict[str, int]] = {}
    for meta in df["metadata"]:
        algorithm, tier = meta.get("algorithm"), meta.get("tier")
        if algorithm is None or tier not in TIERS:
            continue
        c = counts.setdefault(str(algorithm), dict.fromkeys(TIERS, 0))
        c[tier] += 1
    total = dict.fromkeys(TIERS, 0)
    rows = []
    for algorithm in [*sorted(counts), "(all)"]:
        c = counts.get(algorithm, total)
        if algorithm != "(all)":
            for t in TIERS:
                total[t] += c[t]
        lookups = sum(c.values())
        hits = c["memory"] + c["store"]
        rows.append(
            {
                "algorithm": algorithm,
                "lookups": lookups,
                "memory_hits": c["memory"],
                "store_hits": c["store"],
                "misses": c["miss"],
                "hit_ratio": hits / lookups if lookups else float("nan"),
            }
        )
    return pd.DataFrame(rows).astype(
        {"lookups": "int64", "memory_hits": "int64", "store_hits": "int64", "misses": "int64"}
    )
