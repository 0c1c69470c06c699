"""Events as a DataFrame: the ring's, a store's persisted ones, or both.

:func:`frame` is what every report of :mod:`workbench.telemetry` starts from. Given a store
object it reads the store's ``telemetry`` table and adds the events of the ring for that store
that are not persisted yet (de-duplicated by id); :func:`flatten` spreads the measurements and
metadata of a frame into columns.

Examples
--------
>>> from workbench.telemetry.events import emit
>>> _ = emit("frame-doc", 0.5, measurements={"rows": 3}, metadata={"source": "doc"})
>>> df = frame("frame-doc")
>>> list(df.columns)
['id', 'ts', 'event', 'seconds', 'module', 'store', 'detail', 'measurements', 'metadata']
>>> df.iloc[-1].measurements
{'rows': 3}
>>> row = flatten(df).iloc[-1]
>>> float(row.seconds), int(row.rows), row.source
(0.5, 3, 'doc')
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import pandas as pd

from workbench.telemetry.events import Event, _names, events

__all__ = ["COLUMNS", "flatten", "frame", "select", "to_frame"]

#: The columns of :func:`frame`, in order.
COLUMNS = ["id", "ts", "event", "seconds", "module", "store", "detail", "measurements", "metadata"]


def _is_store(obj: object) -> bool:
    """A Store-like object (duck-typed): ``root``, ``tables`` and ``read_table``."""
    return all(hasattr(obj, a) for a in ("root", "tables", "read_table"))


def _loads(value: Any) -> dict:
    if isinstance(value, Mapping):
        return dict(value)
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return {}
    return json.loads(value)


def to_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A frame with the :data:`COLUMNS` (and their types) from records with those keys; the
    ``measurements`` and ``metadata`` values may be dicts or JSON strings."""
    df = pd.DataFrame(list(records), columns=COLUMNS)
    df["ts"] = pd.to_datetime(df["ts"], utc=True).astype("datetime64[us, UTC]")
    df["seconds"] = df["seconds"].astype("float64")
    df["module"] = df["module"].astype("Int64")
    for col in ("id", "event", "store", "detail"):
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    for col in ("measurements", "metadata"):
        df[col] = pd.Series([_loads(v) for v in df[col]], index=df.index, dtype=object)
    return df.sort_values(["ts", "id"], kind="stable").reset_index(drop=True)


def _record(e: Event) -> dict[str, Any]:
    return {
        "id": e.id,
        "ts": e.ts,
        "event": e.name,
        "seconds": e.seconds,
        "module": e.module,
        "store": e.store,
        "detail": e.detail,
        "measurements": e.measurements,
        "metadata": e.metadata,
    }


def frame(
    name: str | Collection[str] | None = None,
    *,
    store: Any = None,
    since: dt.datetime | None = None,
) -> pd.DataFrame:
    """The events as a DataFrame, sorted by (ts, id).

    Parameters
    ----------
    name : str or collection of str, optional
        Only events of this kind (these kinds).
    store : str, os.PathLike or Store-like, optional
        A store root: the ring's events of that store. A Store-like object (``root``,
        ``tables``, ``read_table(name)``): the rows persisted in its ``telemetry`` table (and
        those waiting in its spool, when it has ``telemetry_rows()``), each id once, plus the
        ring's events of its root not among them. None: every event in the ring.
    since : datetime, optional
        Only events that ended at or after this time (a naive datetime is taken as UTC).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: ``id, ts, event, seconds, module, store, detail,
        measurements, metadata`` (the last two dicts); no rows but the columns when nothing
        matches.
    """
    names = _names(name)
    records: list[dict[str, Any]] = []
    root: str | None = None
    if _is_store(store):
        root = str(store.root)
        if hasattr(store, "telemetry_rows"):  # persisted and spooled (a Store)
            rows = store.telemetry_rows()
        elif "telemetry" in store.tables:
            rows = store.read_table("telemetry").to_pylist()
        else:
            rows = []
        seen: set[str] = set()
        for row in rows:  # an event written twice (a crash between commit and cleanup): once
            if row["id"] in seen or (names is not None and row["event"] not in names):
                continue
            seen.add(row["id"])
            records.append({**{c: row.get(c) for c in COLUMNS}, "store": root})
        records += [_record(e) for e in events(names, root) if e.id not in seen]
    else:
        root = None if store is None else str(store)
        records = [_record(e) for e in events(names, root)]
    df = to_frame(records)
    if since is not None:
        df = df[df["ts"] >= _utc(since)].reset_index(drop=True)
    return df


def _utc(ts: dt.datetime) -> pd.Timestamp:
    t = pd.Timestamp(ts)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def flatten(df: pd.DataFrame, columns: Iterable[str] = ()) -> pd.DataFrame:
    """The frame with every measurement and metadata key as a column (a metadata key that is
    also a measurement or a column gets the prefix ``metadata.``), the ``measurements`` and
    ``metadata`` columns dropped; ``columns`` are added (all None) when missing."""
    base = df.drop(columns=["measurements", "metadata"]).reset_index(drop=True)
    meas = pd.DataFrame(list(df["measurements"]), index=base.index)
    meta = pd.DataFrame(list(df["metadata"]), index=base.index)
    meas = meas.rename(columns={c: f"measurements.{c}" for c in meas.columns if c in base})
    meta = meta.rename(columns={c: f"metadata.{c}" for c in meta.columns if c in base or c in meas})
    out = pd.concat([base, meas, meta], axis=1)
    for c in columns:
        if c not in out:
            out[c] = pd.Series([None] * len(out), index=out.index, dtype=object)
    return out


def select(
    df: pd.DataFrame | None,
    name: str | Collection[str] | None,
    *,
    store: Any = None,
    since: dt.datetime | None = None,
) -> pd.DataFrame:
    """The events of a kind: from ``df`` when given (filtered by ``name`` and ``since``; a
    ``store`` root filters too), else from :func:`frame` with the same arguments."""
    if df is None:
        return frame(name, store=store, since=since)
    names = _names(name)
    keep = pd.Series(True, index=df.index)
    if names is not None:
        keep &= df["event"].isin(list(names))
    if store is not None:
        root = str(store.root) if _is_store(store) else str(store)
        keep &= df["store"] == root
    if since is not None:
        keep &= df["ts"] >= _utc(since)
    return df[keep].reset_index(drop=True)
