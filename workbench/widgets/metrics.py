"""Telemetry as plots and tables: timings, cache hit ratios, slow queries, alerts, and the
phase metrics the rollout notebooks write.

Plain functions turn data into what the dashboard shows, tested headless:
:func:`timings_figure` (durations per event kind: median and 95th percentile) and
:func:`cache_figure` (hit ratio per algorithm) give plotly figure dicts (``data`` and
``layout``, valid for ``plotly.graph_objects.Figure``); :func:`slow_queries_table`,
:func:`alerts_table` and :func:`phase_metrics_table` give escaped HTML;
:func:`phase_metrics` flattens the ``phase*_metrics.json`` files of the rollout notebooks;
:func:`dashboard_state` reads all of it once into a :class:`DashboardState`. The widget
(:class:`MetricsDashboard`) only copies a state into ipywidgets and plotly
``FigureWidget``\\s, updated in place by its Refresh button.

Safety
------
Every string shown (event kinds, algorithm names, SQL, table names, metric names and values)
is HTML-escaped, in tables and in the figures alike: plotly renders ``<...>`` in tick labels,
hover text and titles as markup. Nothing without data raises: a figure without data has no
traces and says so in its title.

Examples
--------
>>> import pandas as pd
>>> from workbench.telemetry.frames import to_frame
>>> t = pd.Timestamp(2024, 1, 1, tz="UTC")
>>> events = to_frame(
...     {"id": str(i), "ts": t, "event": kind, "seconds": s}
...     for i, (kind, s) in enumerate([("query", 0.1), ("query", 0.3), ("build", 2.0)])
... )
>>> timing_summary(events)[["event", "count", "median"]]
   event  count  median
0  build      1     2.0
1  query      2     0.2
>>> fig = timings_figure(events)
>>> fig["data"][0]["name"], fig["data"][0]["x"], fig["data"][0]["y"]
('median', ['build', 'query'], [2.0, 0.2])
>>> timings_figure(events.iloc[:0])["layout"]["title"]["text"]
'no timed events recorded yet'
>>> flatten_metrics({"modules": 4, "seconds": {"ingest": 0.5, "<b>": 1}})
[('modules', 4), ('seconds.ingest', 0.5), ('seconds.<b>', 1)]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from workbench import telemetry
from workbench.errors import MetricsFileError, MissingDependencyError
from workbench.telemetry.frames import to_frame
from workbench.telemetry.sizes import ALERT_COLUMNS
from workbench.widgets._common import error_html, esc, ipywidgets, keep_figure_state, table_html

__all__ = [
    "PHASE_COLUMNS",
    "TIMING_COLUMNS",
    "DashboardState",
    "MetricsDashboard",
    "MetricsFileError",
    "alerts_table",
    "cache_figure",
    "current_alerts",
    "dashboard_state",
    "flatten_metrics",
    "phase_metrics",
    "phase_metrics_table",
    "slow_queries_table",
    "timing_summary",
    "timings_figure",
]

#: Columns of :func:`timing_summary` (seconds, except ``count``).
TIMING_COLUMNS = ["event", "count", "median", "p95", "max", "total"]
#: Columns of :func:`phase_metrics`.
PHASE_COLUMNS = ["phase", "metric", "value"]
#: Columns of the regressions shown by :func:`alerts_table`.
REGRESSION_SHOWN = ["event", "key", "runs", "latest_seconds", "baseline_median", "ratio"]
#: Longest SQL (or regression key) shown in a table cell, in characters before escaping.
SQL_CHARS = 500
#: Rows of the slow queries table rendered; the rest are counted.
MAX_SLOW_SHOWN = 50
#: Rows of the phase metrics table rendered; the rest are counted.
MAX_METRICS_SHOWN = 500
#: The timings axis turns logarithmic when the slowest p95 is this many times the fastest
#: median (with ``log_y=None``).
LOG_SPREAD = 100.0
#: Files :func:`phase_metrics` reads from a directory (what the rollout notebooks write).
METRICS_GLOB = "*_metrics.json"
#: The bar of the ``(all)`` row in :func:`cache_figure`, and that of each algorithm.
ALL_COLOR, BAR_COLOR = "#7f7f7f", "#636efa"
#: The tabs of :class:`MetricsDashboard`, in order.
TABS = ("Timings", "Cache", "Slow queries", "Alerts", "Phase metrics")


# -- timings ---------------------------------------------------------------------------------


def timing_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """The durations of the timed events of ``frame`` (a :func:`workbench.telemetry.frame`)
    per event kind.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TIMING_COLUMNS`: ``event, count`` and the ``median, p95`` (95th
        percentile, interpolated), ``max`` and ``total`` seconds; one row per kind with at
        least one duration, sorted by kind. Events without ``seconds`` are left out.
    """
    timed = frame.loc[frame["seconds"].notna(), ["event", "seconds"]]
    if timed.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="int64" if c == "count" else float) for c in TIMING_COLUMNS}
        ).astype({"event": object})
    seconds = timed.astype({"event": str, "seconds": float}).groupby("event")["seconds"]
    out = pd.DataFrame(
        {
            "count": seconds.size(),
            "median": seconds.median(),
            "p95": seconds.quantile(0.95),
            "max": seconds.max(),
            "total": seconds.sum(),
        }
    )
    out = out.rename_axis("event").reset_index().sort_values("event", kind="stable")
    return out.astype({"event": object, "count": "int64"}).reset_index(drop=True)[TIMING_COLUMNS]


def timings_figure(frame: pd.DataFrame, *, log_y: bool | None = None) -> dict:
    """Durations per event kind as a plotly figure dict: two bar traces, ``median`` and
    ``p95``, over the kinds (escaped), with the count, max and total in the hover text.

    Parameters
    ----------
    frame : pandas.DataFrame
        Events, as :func:`workbench.telemetry.frame` returns them.
    log_y : bool, optional
        A logarithmic seconds axis. None: when the kinds' times span :data:`LOG_SPREAD` or
        more (and every median is positive).

    Returns
    -------
    dict
        ``{"data": [...], "layout": {...}}``; without timed events no traces and the title
        ``"no timed events recorded yet"``.
    """
    summary = timing_summary(frame)
    if summary.empty:
        return _empty_figure("no timed events recorded yet")
    kinds = [esc(k) for k in summary["event"]]
    hover = [
        f"<b>{kind}</b><br>{n} events<br>median {_secs(med)}<br>p95 {_secs(p95)}"
        f"<br>max {_secs(mx)}<br>total {_secs(tot)}"
        for kind, n, med, p95, mx, tot in zip(
            kinds,
            summary["count"],
            summary["median"],
            summary["p95"],
            summary["max"],
            summary["total"],
            strict=True,
        )
    ]
    if log_y is None:
        low, high = summary["median"].min(), summary["p95"].max()
        log_y = bool(low > 0 and high / low >= LOG_SPREAD)
    data = [
        _bar(name, kinds, _floats(summary[name]), [_secs(v) for v in summary[name]], hover)
        for name in ("median", "p95")
    ]
    n = int(summary["count"].sum())
    return {
        "data": data,
        "layout": _layout(
            f"durations per event kind ({n} timed events)",
            "event kind",
            "seconds",
            y_type="log" if log_y else "linear",
        ),
    }


# -- cache -----------------------------------------------------------------------------------


def cache_figure(ratios: pd.DataFrame) -> dict:
    """Analysis cache hit ratio per algorithm as a plotly figure dict: one bar per algorithm
    (names escaped) and a grey ``(all)`` bar, lookups and tiers in the hover text.

    Parameters
    ----------
    ratios : pandas.DataFrame
        :func:`workbench.telemetry.cache_ratios` (``algorithm, lookups, memory_hits,
        store_hits, misses, hit_ratio``).

    Returns
    -------
    dict
        ``{"data": [...], "layout": {...}}``; without lookups no traces and the title
        ``"no cache lookups recorded yet"``.
    """
    rows = ratios[ratios["lookups"] > 0] if len(ratios) else ratios
    if rows.empty:
        return _empty_figure("no cache lookups recorded yet", y_range=[0, 1.05])
    names = [esc(a) for a in rows["algorithm"]]
    ratio = _floats(rows["hit_ratio"])
    hover = [
        f"<b>{name}</b><br>{lookups} lookups: {mem} in memory, {store} in the store, "
        f"{miss} computed<br>hit ratio {_percent(r)}"
        for name, lookups, mem, store, miss, r in zip(
            names,
            rows["lookups"],
            rows["memory_hits"],
            rows["store_hits"],
            rows["misses"],
            ratio,
            strict=True,
        )
    ]
    trace = _bar("hit ratio", names, ratio, [_percent(r) for r in ratio], hover)
    trace["marker"] = {
        "color": [ALL_COLOR if a == "(all)" else BAR_COLOR for a in rows["algorithm"]]
    }
    total = rows[rows["algorithm"] == "(all)"]["lookups"]
    lookups = int(total.iloc[0]) if len(total) else int(rows["lookups"].sum())
    return {
        "data": [trace],
        "layout": _layout(
            f"analysis cache hit ratio ({lookups} lookups)",
            "algorithm",
            "hit ratio",
            y_range=[0, 1.05],
            y_tickformat=".0%",
        ),
    }


# -- tables ----------------------------------------------------------------------------------


def slow_queries_table(
    df: pd.DataFrame, *, threshold: float | None = None, limit: int = MAX_SLOW_SHOWN
) -> str:
    """The slow queries as escaped HTML: when, seconds, rows, source and the SQL (at most
    :data:`SQL_CHARS` characters), slowest first.

    Parameters
    ----------
    df : pandas.DataFrame
        :func:`workbench.telemetry.slow_queries`.
    threshold : float, optional
        The threshold named in the heading (default ``settings.slow_query_seconds``).
    limit : int
        Rows rendered; the rest are counted.
    """
    limit_s = telemetry.settings.slow_query_seconds if threshold is None else threshold
    if df is None or len(df) == 0:
        return f"<i>no slow queries recorded (none took at least {esc(_secs(limit_s))})</i>"
    df = df.sort_values("seconds", ascending=False, kind="stable")
    shown = pd.DataFrame(
        {
            "ts": [_when(t) for t in df["ts"]],
            "seconds": df["seconds"].round(3),
            "rows": df.get("rows"),
            "source": df.get("source"),
            "sql": [_clip(s) for s in df["sql"]],
        }
    )
    head = (
        f"<b>{len(df)} slow {'query' if len(df) == 1 else 'queries'}</b> "
        f"(at least {esc(_secs(limit_s))}), slowest first"
    )
    return head + table_html(shown, limit=limit, classes="wb-table wb-slow-queries-table")


def alerts_table(alerts: pd.DataFrame, regressions: pd.DataFrame | None = None) -> str:
    """The open size alerts and the performance regressions as escaped HTML.

    Parameters
    ----------
    alerts : pandas.DataFrame
        ``table, measure, value, threshold, opened`` (:func:`current_alerts` or
        :func:`workbench.telemetry.open_alerts`).
    regressions : pandas.DataFrame, optional
        :func:`workbench.telemetry.regressions`; only the rows with ``regressed`` are shown.
    """
    parts = []
    if alerts is None or len(alerts) == 0:
        parts.append("<p><i>no open size alerts</i></p>")
    else:
        shown = alerts[ALERT_COLUMNS].copy()
        shown["opened"] = [_when(t) for t in shown["opened"]]
        parts.append(f"<b>{len(shown)} open size alert{'s' if len(shown) != 1 else ''}</b>")
        parts.append(table_html(shown, classes="wb-table wb-size-alerts-table"))
    if regressions is not None and len(regressions) and "regressed" in regressions:
        regressions = regressions[regressions["regressed"].astype(bool)]
    if regressions is None or len(regressions) == 0:
        parts.append("<p><i>no performance regressions</i></p>")
    else:
        shown = regressions[REGRESSION_SHOWN].copy()
        shown["key"] = [_clip(k) for k in shown["key"]]
        for c in ("latest_seconds", "baseline_median", "ratio"):
            shown[c] = shown[c].astype(float).round(3)
        n = len(shown)
        parts.append(f"<b>{n} performance regression{'s' if n != 1 else ''}</b>")
        parts.append(table_html(shown, classes="wb-table wb-regressions-table"))
    return "".join(parts)


def phase_metrics_table(df: pd.DataFrame, *, limit: int = MAX_METRICS_SHOWN) -> str:
    """:func:`phase_metrics` as escaped HTML (``phase, metric, value``)."""
    if df is None or len(df) == 0:
        return "<i>no phase metrics (MetricsDashboard(metrics_dir=...) reads *_metrics.json)</i>"
    phases = ", ".join(esc(p) for p in dict.fromkeys(df["phase"]))
    head = f"<b>{len(df)} metrics of {phases}</b>"
    return head + table_html(df, limit=limit, classes="wb-table wb-phase-metrics-table")


# -- alerts ----------------------------------------------------------------------------------


def current_alerts(frame: pd.DataFrame) -> pd.DataFrame:
    """The size alerts open after the ``alert`` events of ``frame``: for each (store, table,
    measure) the latest event, kept when its ``state`` is ``open``.

    Unlike :func:`workbench.telemetry.open_alerts` (this process's memory) this reads the
    events, so it also sees the alerts another process opened and persisted.

    Returns
    -------
    pandas.DataFrame
        :data:`~workbench.telemetry.sizes.ALERT_COLUMNS` (``table, measure, value,
        threshold, opened``: ``opened`` is the time of the opening event), sorted by table and
        measure.
    """
    alerts = frame[frame["event"] == "alert"]
    latest: dict[tuple, dict] = {}
    for ts, root, meas, meta in zip(
        alerts["ts"], alerts["store"], alerts["measurements"], alerts["metadata"], strict=True
    ):  # the frame is in time order: the last event of a key wins
        key = (root, meta.get("table"), meta.get("measure"))
        latest[key] = {
            "table": meta.get("table"),
            "measure": meta.get("measure"),
            "value": meas.get("value"),
            "threshold": meta.get("threshold"),
            "opened": ts,
            "open": meta.get("state") == "open",
        }
    rows = sorted(
        (r for r in latest.values() if r.pop("open")),
        key=lambda r: (str(r["table"]), str(r["measure"])),
    )
    df = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    df["opened"] = pd.to_datetime(df["opened"], utc=True)
    return df.astype({"table": object, "measure": object, "value": float, "threshold": float})


# -- phase metrics ---------------------------------------------------------------------------


def flatten_metrics(metrics: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """The leaves of a nested dict of metrics as ``(dotted name, value)`` pairs, in order.

    Numbers, booleans, strings and None are kept; a list becomes its JSON text; an empty
    dict gives nothing.

    >>> flatten_metrics({"ab": {"rule": "r1", "f1_a": 0.5}, "chain": ["f", "g"]})
    [('ab.rule', 'r1'), ('ab.f1_a', 0.5), ('chain', '["f", "g"]')]
    """
    out: list[tuple[str, Any]] = []
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out += flatten_metrics(value, f"{name}.")
        elif isinstance(value, list | tuple):
            out.append((name, json.dumps(value)))
        else:
            out.append((name, value))
    return out


def phase_metrics(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> pd.DataFrame:
    """The metrics of the rollout notebooks (``phase1_metrics.json``, ...) as rows.

    Parameters
    ----------
    paths : path or iterable of paths
        A directory (its :data:`METRICS_GLOB` files, in natural order: ``phase2`` before
        ``phase10``), a JSON file, or several of these.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PHASE_COLUMNS`: ``phase`` (the file name without ``_metrics.json``),
        ``metric`` (nested keys joined by dots, see :func:`flatten_metrics`) and ``value``
        (object: numbers, booleans, strings); no rows but the columns without files.

    Raises
    ------
    MetricsFileError
        A file or directory that does not exist, a file that cannot be read, is not valid
        JSON or is not a JSON object; the error names the file (and the line of bad JSON).

    Examples
    --------
    >>> import json, os, pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> metrics = {"nodes": 9, "seconds": {"ingest": 0.2}}
    >>> _ = (out / "phase1_metrics.json").write_text(json.dumps(metrics))
    >>> phase_metrics(out)
        phase          metric value
    0  phase1           nodes     9
    1  phase1  seconds.ingest   0.2
    >>> _ = (out / "phase2_metrics.json").write_text('{"nodes": 9,')
    >>> try:
    ...     phase_metrics(out)
    ... except MetricsFileError as e:
    ...     print(os.path.basename(e.path), e.line, e.message)
    phase2_metrics.json 1 malformed JSON: Expecting property name enclosed in double quotes
    """
    rows = []
    for path in _metrics_files(paths):
        phase = _phase_name(path)
        rows += [
            {"phase": phase, "metric": metric, "value": value}
            for metric, value in flatten_metrics(_read_metrics(path))
        ]
    return pd.DataFrame(rows, columns=PHASE_COLUMNS, dtype=object)


def _metrics_files(paths) -> list[Path]:
    if isinstance(paths, str | os.PathLike):
        path = Path(paths)
        if path.is_dir():
            return sorted(path.glob(METRICS_GLOB), key=_natural)
        if not path.exists():
            raise MetricsFileError(path, "no such file or directory")
        return [path]
    return [f for p in paths for f in _metrics_files(p)]


def _read_metrics(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise MetricsFileError(path, "not UTF-8 text") from None
    except OSError as e:
        raise MetricsFileError(path, f"cannot be read: {e.strerror or e}") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise MetricsFileError(path, f"malformed JSON: {e.msg}", line=e.lineno, col=e.colno) from e
    if not isinstance(data, dict):
        raise MetricsFileError(
            path, f"expected a JSON object of metrics, found a JSON {type(data).__name__}"
        )
    return data


def _phase_name(path: Path) -> str:
    name = path.name
    return name[: -len("_metrics.json")] if name.endswith("_metrics.json") else path.stem


def _natural(path: Path) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


# -- the state -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DashboardState:
    """What the dashboard shows, read once by :func:`dashboard_state`.

    Attributes
    ----------
    events : pandas.DataFrame
        The telemetry events (:func:`workbench.telemetry.frame`).
    cache : pandas.DataFrame
        :func:`workbench.telemetry.cache_ratios` of the events.
    slow_queries : pandas.DataFrame
        :func:`workbench.telemetry.slow_queries` of the events, slowest first.
    alerts : pandas.DataFrame
        :func:`current_alerts` of the events.
    regressions : pandas.DataFrame
        The rows of :func:`workbench.telemetry.regressions` that regressed.
    phase_metrics : pandas.DataFrame
        :func:`phase_metrics` of the metrics directory (no rows without one).
    errors : tuple of str
        What could not be read (one line each, not escaped); the rest is shown anyway.
    """

    events: pd.DataFrame
    cache: pd.DataFrame
    slow_queries: pd.DataFrame
    alerts: pd.DataFrame
    regressions: pd.DataFrame
    phase_metrics: pd.DataFrame
    errors: tuple[str, ...] = field(default=())

    def figures(self) -> dict[str, dict]:
        """The plotly figure dicts: ``timings`` (:func:`timings_figure`) and ``cache``
        (:func:`cache_figure`)."""
        return {"timings": timings_figure(self.events), "cache": cache_figure(self.cache)}

    def tables(self) -> dict[str, str]:
        """The HTML tables: ``slow_queries``, ``alerts`` and ``phase_metrics``."""
        return {
            "slow_queries": slow_queries_table(self.slow_queries),
            "alerts": alerts_table(self.alerts, self.regressions),
            "phase_metrics": phase_metrics_table(self.phase_metrics),
        }

    @property
    def text(self) -> str:
        """One line of plain text: counts only (not escaped: numbers only)."""
        timed = int(self.events["seconds"].notna().sum())
        queries = int((self.events["event"] == "query").sum())
        lookups = int(self.cache["lookups"].iloc[-1]) if len(self.cache) else 0
        return (
            f"{len(self.events)} events ({timed} timed), {queries} queries "
            f"({len(self.slow_queries)} slow), {lookups} cache lookups, "
            f"{len(self.alerts)} open alerts, {len(self.regressions)} regressions, "
            f"{len(self.phase_metrics)} phase metrics"
        )


def dashboard_state(
    store: Any = None,
    *,
    metrics_dir: str | os.PathLike | Iterable[str | os.PathLike] | None = None,
    since: dt.datetime | None = None,
) -> DashboardState:
    """Read the telemetry (once) and the phase metrics into a :class:`DashboardState`.

    Parameters
    ----------
    store : Store, str or os.PathLike, optional
        Whose events (as for :func:`workbench.telemetry.frame`): a store object gives its
        persisted events and this process's; a root, this process's events of that store;
        None, every event of this process.
    metrics_dir : path or iterable of paths, optional
        Where the rollout notebooks wrote their ``*_metrics.json`` (see
        :func:`phase_metrics`).
    since : datetime, optional
        Only the events that ended at or after this time.

    Returns
    -------
    DashboardState
        A telemetry table or a metrics file that cannot be read does not raise: its part
        is empty and its error is in ``errors``.

    Examples
    --------
    >>> from workbench import telemetry
    >>> _ = telemetry.emit("query", 0.25, store="/tmp/doc-store", detail="SELECT 1")
    >>> s = dashboard_state("/tmp/doc-store")
    >>> s.figures()["timings"]["data"][0]["x"], s.errors
    (['query'], ())
    """
    errors: list[str] = []
    try:
        events = telemetry.frame(store=store, since=since)
    except Exception as e:  # a damaged telemetry table: show the rest, say what failed
        errors.append(f"telemetry: {type(e).__name__}: {e}")
        events = to_frame([])
    metrics = pd.DataFrame(columns=PHASE_COLUMNS, dtype=object)
    if metrics_dir is not None:
        try:
            metrics = phase_metrics(metrics_dir)
        except MetricsFileError as e:
            errors.append(f"phase metrics: {e}")
    return DashboardState(
        events=events,
        cache=telemetry.cache_ratios(events),
        slow_queries=telemetry.slow_queries(events),
        alerts=current_alerts(events),
        regressions=_regressed(events),
        phase_metrics=metrics,
        errors=tuple(errors),
    )


# -- the widget ------------------------------------------------------------------------------


class MetricsDashboard:
    """A notebook panel of the telemetry of a store (or of this process) and of the phase
    metrics of the rollout notebooks; ``display(MetricsDashboard(store))``.

    Widgets (in :attr:`widget`, a ``VBox`` of class ``wb-metrics-dashboard``):
    :attr:`refresh_button` (``wb-refresh``) and :attr:`summary` (``HTML``), :attr:`error`
    (``HTML``: what could not be read, shown, never raised), and :attr:`tabs` holding
    :attr:`timings` (``wb-timings``) and :attr:`cache` (``wb-cache``), plotly
    ``FigureWidget``\\s updated in place, and :attr:`slow_queries` (``wb-slow-queries``),
    :attr:`alerts` (``wb-alerts``) and :attr:`phase_metrics` (``wb-phase-metrics``),
    ``HTML`` tables. :attr:`state` is the :class:`DashboardState` shown (None until a read
    succeeds).

    Parameters
    ----------
    store, metrics_dir, since
        As for :func:`dashboard_state`, which :meth:`refresh` calls.

    Raises
    ------
    MissingDependencyError
        ipywidgets, plotly or anywidget is not installed (the ``jupyter`` extra).
    """

    def __init__(
        self,
        store: Any = None,
        *,
        metrics_dir: str | os.PathLike | Iterable[str | os.PathLike] | None = None,
        since: dt.datetime | None = None,
    ) -> None:
        w = ipywidgets()
        go = _plotly()
        self.store = store
        self.metrics_dir = metrics_dir
        self.since = since
        self.state: DashboardState | None = None
        #: refreshes done (successful or not)
        self.refreshes = 0

        self.refresh_button = w.Button(
            description="Refresh", icon="refresh", tooltip="read the telemetry again"
        )
        self.summary = w.HTML(value="")
        self.error = w.HTML(value="")
        try:
            self.timings = go.FigureWidget()
            self.cache = go.FigureWidget()
        except ImportError:  # plotly's FigureWidget is an anywidget
            raise MissingDependencyError("anywidget", "jupyter") from None
        self.slow_queries = w.HTML(value="")
        self.alerts = w.HTML(value="")
        self.phase_metrics = w.HTML(value="")
        self.tabs = w.Tab(
            children=[self.timings, self.cache, self.slow_queries, self.alerts, self.phase_metrics]
        )
        self.tabs.titles = TABS
        self.widget = w.VBox([w.HBox([self.refresh_button, self.summary]), self.error, self.tabs])
        for widget, css in (
            (self.widget, "wb-metrics-dashboard"),
            (self.refresh_button, "wb-refresh"),
            (self.summary, "wb-metrics-summary"),
            (self.timings, "wb-timings"),
            (self.cache, "wb-cache"),
            (self.slow_queries, "wb-slow-queries"),
            (self.alerts, "wb-alerts"),
            (self.phase_metrics, "wb-phase-metrics"),
        ):
            widget.add_class(css)
        self.refresh_button.on_click(self._on_refresh)
        self.refresh()

    def refresh(self) -> DashboardState | None:
        """Read the telemetry and the phase metrics again and show them, the figures updated
        in place; return the new state, or None with the error shown in :attr:`error`."""
        self.refreshes += 1
        self.refresh_button.disabled = True
        try:
            state = dashboard_state(self.store, metrics_dir=self.metrics_dir, since=self.since)
            self.render(state)
        except Exception as e:  # a button has nowhere to raise to: the panel shows it
            self.error.value = error_html(f"{type(e).__name__}: {e}")
            return None
        finally:
            self.refresh_button.disabled = False
        return state

    def render(self, state: DashboardState) -> None:
        """Copy ``state`` into the widgets (the figures are updated, not replaced)."""
        figures, tables = state.figures(), state.tables()
        _update_figure(self.timings, figures["timings"])
        _update_figure(self.cache, figures["cache"])
        self.slow_queries.value = tables["slow_queries"]
        self.alerts.value = tables["alerts"]
        self.phase_metrics.value = tables["phase_metrics"]
        self.summary.value = esc(state.text)
        self.error.value = "<br>".join(error_html(m) for m in state.errors)
        self.state = state

    def _on_refresh(self, _button) -> None:
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


# -- helpers ---------------------------------------------------------------------------------


def _plotly():
    """``plotly.graph_objects``, or :class:`~workbench.errors.MissingDependencyError`."""
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise MissingDependencyError("plotly", "jupyter") from None
    return go


def _regressed(events: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`workbench.telemetry.regressions` that regressed."""
    found = telemetry.regressions(events)
    return found[found["regressed"]].reset_index(drop=True)


def _update_figure(fig, spec: dict) -> None:
    """Make the FigureWidget ``fig`` show the figure dict ``spec``, in place: traces of the
    same types are updated, otherwise replaced; the layout is overwritten key by key."""
    data = spec.get("data", [])
    same = len(fig.data) == len(data) and all(
        t.type == d.get("type", "scatter") for t, d in zip(fig.data, data, strict=True)
    )
    if not same:
        fig.data = ()
        if data:
            fig.add_traces(data)
    with fig.batch_update():
        if same:
            for trace, d in zip(fig.data, data, strict=True):
                trace.update(d, overwrite=True)
        fig.update_layout(spec.get("layout", {}), overwrite=True)
    keep_figure_state(fig)


def _layout(
    title: str,
    x_title: str,
    y_title: str,
    *,
    visible: bool = True,
    y_type: str = "linear",
    y_range: list | None = None,
    y_tickformat: str = "",
) -> dict:
    """A layout with the same keys whatever the data (so an in-place update leaves nothing
    stale); ``title`` is escaped here, the axis titles are constants."""
    return {
        "title": {"text": esc(title)},
        "barmode": "group",
        "showlegend": visible,
        "xaxis": {"title": {"text": x_title}, "type": "category", "visible": visible},
        "yaxis": {
            "title": {"text": y_title},
            "type": y_type,
            "range": y_range,
            "tickformat": y_tickformat,
            "visible": visible,
        },
    }


def _empty_figure(title: str, *, y_range: list | None = None) -> dict:
    return {"data": [], "layout": _layout(title, "", "", visible=False, y_range=y_range)}


def _bar(name: str, x: list[str], y: list, text: list[str], hover: list[str]) -> dict:
    """A bar trace; ``x``, ``text`` and ``hover`` must be escaped already."""
    return {
        "type": "bar",
        "name": name,
        "x": x,
        "y": y,
        "text": text,
        "textposition": "auto",
        "hovertext": hover,
        "hoverinfo": "text",
    }


def _floats(values) -> list:
    return [None if v is None or pd.isna(v) else float(v) for v in values]


def _secs(seconds) -> str:
    if seconds is None or pd.isna(seconds):
        return ""
    seconds = float(seconds)
    if seconds < 1:
        return f"{seconds * 1000:.3g} ms"
    return f"{seconds:.3g} s"


def _percent(ratio) -> str:
    return "" if ratio is None or pd.isna(ratio) else f"{100 * ratio:.0f}%"


def _when(ts) -> str:
    if ts is None or pd.isna(ts):
        return ""
    return pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _clip(text, chars: int = SQL_CHARS) -> str:
    text = "" if text is None or (isinstance(text, float) and text != text) else str(text)
    return text if len(text) <= chars else text[: chars - 1] + "\u2026"
