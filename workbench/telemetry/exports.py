"""Telemetry out of the process: files (Parquet, CSV) and Prometheus metrics.

Examples
--------
>>> import pandas as pd
>>> from workbench.telemetry.frames import to_frame
>>> df = to_frame([{"id": "1", "ts": pd.Timestamp(2024, 1, 1, tz="UTC"), "event": "build",
...                 "seconds": 0.5}])
>>> print(prometheus(df, alerts=False))  # doctest: +NORMALIZE_WHITESPACE
# HELP workbench_events_total Events recorded, by event kind.
# TYPE workbench_events_total counter
workbench_events_total{event="build"} 1
# HELP workbench_event_seconds Duration of timed events, by event kind.
# TYPE workbench_event_seconds summary
workbench_event_seconds{event="build",quantile="0.5"} 0.5
workbench_event_seconds{event="build",quantile="0.9"} 0.5
workbench_event_seconds{event="build",quantile="0.99"} 0.5
workbench_event_seconds_sum{event="build"} 0.5
workbench_event_seconds_count{event="build"} 1
# HELP workbench_cache_hit_ratio Analysis cache hits / lookups, by algorithm.
# TYPE workbench_cache_hit_ratio gauge
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.telemetry.frames import frame as telemetry_frame
from workbench.telemetry.monitor import cache_ratios
from workbench.telemetry.sizes import open_alerts

__all__ = ["FORMATS", "export", "prometheus"]

#: File suffix -> format written by :func:`export`.
FORMATS = {".parquet": "Parquet", ".csv": "CSV"}
#: The quantiles of ``workbench_event_seconds``.
QUANTILES = (0.5, 0.9, 0.99)


def _json_columns(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its dict and list values as JSON strings (sorted keys)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object and any(isinstance(v, dict | list) for v in out[col]):
            out[col] = [
                json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict | list) else v
                for v in out[col]
            ]
    return out


def export(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a frame of telemetry (any of this package's reports) to ``path``: Parquet for a
    ``.parquet`` suffix, CSV for ``.csv``; dict columns (measurements, metadata) as JSON
    strings. Returns the path.

    Raises
    ------
    ValueError
        Another suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(f"{s} ({f})" for s, f in FORMATS.items())
        raise ValueError(
            f"cannot export telemetry to {path.name!r}: unknown suffix {path.suffix!r}; "
            f"use one of {known}"
        )
    out = _json_columns(frame)
    if suffix == ".parquet":
        out.to_parquet(path, index=False)
    else:
        out.to_csv(path, index=False)
    return path


# -- Prometheus text exposition format 0.0.4 -------------------------------------------------


def _label(value: Any) -> str:
    """A label value escaped: backslash, double quote, newline."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _value(v: float) -> str:
    if isinstance(v, int | np.integer):
        return str(int(v))
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def _sample(name: str, labels: dict[str, Any], value: float) -> str:
    if not labels:
        return f"{name} {_value(value)}"
    inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
    return f"{name}{{{inner}}} {_value(value)}"


def _family(name: str, kind: str, help_: str) -> list[str]:
    return [f"# HELP {name} {help_}", f"# TYPE {name} {kind}"]


def prometheus(frame: pd.DataFrame | None = None, *, store: Any = None, alerts: bool = True) -> str:
    """The events as Prometheus metrics (text exposition format 0.0.4), sorted by label.

    * ``workbench_events_total{event}`` (counter): events in the frame per kind;
    * ``workbench_event_seconds{event}`` (summary): quantiles 0.5, 0.9, 0.99 (linear
      interpolation), ``_sum`` and ``_count`` of the durations of timed events per kind;
    * ``workbench_cache_hit_ratio{algorithm}`` (gauge): :func:`cache_ratios`, ``(all)``
      included, algorithms without lookups left out;
    * ``workbench_open_alerts`` (gauge): the size alerts open now (of ``store`` when
      given); left out with ``alerts=False``.

    The numbers describe the frame (default: :func:`~workbench.telemetry.frame` with
    ``store``), i.e. the events the ring still holds or the store persisted, not a running
    total since the process started.
    """
    df = telemetry_frame(store=store) if frame is None else frame
    lines = _family("workbench_events_total", "counter", "Events recorded, by event kind.")
    counts = df["event"].value_counts()
    for name in sorted(counts.index):
        lines.append(_sample("workbench_events_total", {"event": name}, int(counts[name])))
    lines += _family(
        "workbench_event_seconds", "summary", "Duration of timed events, by event kind."
    )
    timed = df[df["seconds"].notna()]
    for name, group in sorted(timed.groupby("event")["seconds"], key=lambda g: g[0]):
        seconds = group.to_numpy(dtype=float)
        for q in QUANTILES:
            value = float(np.quantile(seconds, q))
            lines.append(_sample("workbench_event_seconds", {"event": name, "quantile": q}, value))
        lines.append(_sample("workbench_event_seconds_sum", {"event": name}, seconds.sum()))
        lines.append(_sample("workbench_event_seconds_count", {"event": name}, len(seconds)))
    lines += _family(
        "workbench_cache_hit_ratio", "gauge", "Analysis cache hits / lookups, by algorithm."
    )
    for row in cache_ratios(df).to_dict("records"):
        if row["lookups"]:
            labels = {"algorithm": row["algorithm"]}
            lines.append(_sample("workbench_cache_hit_ratio", labels, row["hit_ratio"]))
    if alerts:
        lines += _family("workbench_open_alerts", "gauge", "Size alerts open now.")
        lines.append(_sample("workbench_open_alerts", {}, len(open_alerts(store))))
    return "\n".join(lines) + "\n"
