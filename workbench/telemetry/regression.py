"""Performance regressions: a run much slower than the runs before it.

Timed events are grouped by kind and *key*: the metadata ``key`` if set, else the detail
(the SQL of a query), else ``""``. The latest run of a group is compared with a baseline, the
median and the MAD (median absolute deviation, unscaled) of the last ``window`` earlier runs,
once there are at least ``min_runs`` of them. It *regressed* when it took both more than
``factor`` times the median and more than the median plus 3 MADs: the first condition ignores
small slow-downs, the second the runs of a group whose times vary a lot anyway. Runs that
failed (metadata ``outcome="error"``) are left out: a failure says nothing about speed.

Examples
--------
>>> import pandas as pd
>>> from workbench.telemetry.frames import to_frame
>>> times = [1.0, 1.1, 0.9, 1.0, 1.05, 3.2]
>>> df = to_frame({"id": f"{i:02}", "ts": pd.Timestamp(2024, 1, 1 + i, tz="UTC"),
...                "event": "build", "seconds": s, "metadata": {"key": "pkg.mod"}}
...               for i, s in enumerate(times))
>>> row = regressions(df).iloc[0]
>>> row.key, int(row.runs), float(row.baseline_median), bool(row.regressed)
('pkg.mod', 6, 1.0, True)
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

import numpy as np
import pandas as pd

from workbench.telemetry.config import settings
from workbench.telemetry.events import _clear_hooks, emit
from workbench.telemetry.frames import select

__all__ = ["REGRESSION_COLUMNS", "check_regressions", "regressions"]

log = logging.getLogger("workbench.telemetry")

#: The columns of :func:`regressions`.
REGRESSION_COLUMNS = [
    "event",
    "key",
    "runs",
    "latest_seconds",
    "baseline_median",
    "baseline_mad",
    "ratio",
    "regressed",
]

#: (event, key, id of the latest run) of the regressions already reported.
_reported: set[tuple[str, str, str]] = set()
_lock = threading.Lock()


def _forget() -> None:
    with _lock:
        _reported.clear()


_clear_hooks.append(_forget)


def _key(metadata: dict, detail: Any) -> str:
    key = metadata.get("key")
    if key is not None and key != "":
        return str(key)
    return "" if detail is None else str(detail)


def _ratio(latest: float, median: float) -> float:
    if median > 0:
        return latest / median
    return float("inf") if latest > 0 else float("nan")


def _judge(
    frame: pd.DataFrame | None,
    store: Any,
    since: dt.datetime | None,
    factor: float | None,
    window: int | None,
    min_runs: int | None,
) -> pd.DataFrame:
    """:data:`REGRESSION_COLUMNS` plus ``latest_id`` and ``store`` (of the latest run)."""
    factor = settings.regression_factor if factor is None else factor
    window = settings.regression_window if window is None else window
    min_runs = settings.regression_min_runs if min_runs is None else min_runs
    if window < 1:
        raise ValueError(f"window must be >= 1, not {window}")
    df = select(frame, None, store=store, since=since)
    df = df[df["seconds"].notna()]
    # a boolean array, not a list: an empty list would select no columns (and drop "ts")
    df = df[np.array([m.get("outcome") != "error" for m in df["metadata"]], dtype=bool)]
    groups: dict[tuple[str, str], list[tuple[Any, str, float, Any]]] = {}
    for ts, id_, name, seconds, detail, meta, root in zip(
        df["ts"],
        df["id"],
        df["event"],
        df["seconds"],
        df["detail"],
        df["metadata"],
        df["store"],
        strict=True,
    ):
        groups.setdefault((name, _key(meta, detail)), []).append((ts, id_, seconds, root))
    rows = []
    for (name, key), runs in sorted(groups.items()):
        runs.sort(key=lambda r: (r[0], r[1]))
        if len(runs) - 1 < max(min_runs, 1):
            continue
        _, latest_id, latest, root = runs[-1]
        base = np.array([r[2] for r in runs[-1 - window : -1]], dtype=float)
        median = float(np.median(base))
        mad = float(np.median(np.abs(base - median)))
        ratio = _ratio(latest, median)
        rows.append(
            {
                "event": name,
                "key": key,
                "runs": len(runs),
                "latest_seconds": float(latest),
                "baseline_median": median,
                "baseline_mad": mad,
                "ratio": ratio,
                "regressed": bool(latest > factor * median and latest > median + 3 * mad),
                "latest_id": latest_id,
                "store": root,
            }
        )
    out = pd.DataFrame(rows, columns=[*REGRESSION_COLUMNS, "latest_id", "store"])
    return out.astype({"runs": "int64", "regressed": bool})


def regressions(
    frame: pd.DataFrame | None = None,
    *,
    store: Any = None,
    since: dt.datetime | None = None,
    factor: float | None = None,
    window: int | None = None,
    min_runs: int | None = None,
) -> pd.DataFrame:
    """Judge the latest run of every group of timed events (see the module docstring).

    Parameters
    ----------
    frame : pandas.DataFrame, optional
        Events (default :func:`~workbench.telemetry.frame` with ``store`` and ``since``).
    factor, window, min_runs : optional
        Default ``settings.regression_factor`` (1.5), ``regression_window`` (20) and
        ``regression_min_runs`` (5).

    Returns
    -------
    pandas.DataFrame
        One row per group with at least ``min_runs`` runs before the latest, sorted by
        event and key: ``event, key, runs`` (all, the latest included), ``latest_seconds,
        baseline_median, baseline_mad, ratio`` (latest / median), ``regressed`` (latest >
        factor * median and latest > median + 3 * MAD).
    """
    out = _judge(frame, store, since, factor, window, min_runs)
    return out[REGRESSION_COLUMNS]


def check_regressions(
    frame: pd.DataFrame | None = None,
    *,
    store: Any = None,
    since: dt.datetime | None = None,
    factor: float | None = None,
    window: int | None = None,
    min_runs: int | None = None,
) -> pd.DataFrame:
    """:func:`regressions`, reporting each regressed group: a WARNING on logger
    ``workbench.telemetry`` and a ``regression`` event (to the store of the latest run) —
    once per latest run, however often it is checked. Returns the regressed rows."""
    out = _judge(frame, store, since, factor, window, min_runs)
    out = out[out["regressed"]].reset_index(drop=True)
    for row in out.to_dict("records"):
        seen = (row["event"], row["key"], row["latest_id"])
        with _lock:
            if seen in _reported:
                continue
            _reported.add(seen)
        message = (
            f"{row['event']} {row['key']!r} took {row['latest_seconds']:.3g} s, "
            f"{row['ratio']:.1f}x the median {row['baseline_median']:.3g} s "
            f"(MAD {row['baseline_mad']:.3g} s) of the runs before"
        )
        log.warning("performance regression: %s", message)
        emit(
            "regression",
            store=row["store"],
            detail=message,
            measurements={
                c: float(row[c])
                for c in ("runs", "latest_seconds", "baseline_median", "baseline_mad", "ratio")
            },
            metadata={"event": row["event"], "key": row["key"], "latest_id": row["latest_id"]},
        )
    return out[REGRESSION_COLUMNS]
