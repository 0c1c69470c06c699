"""MetricsDashboard: telemetry as figure dicts and tables, the phase metrics of the rollout
notebooks, escaping, and the widget's refresh in place (headless: no browser)."""

from __future__ import annotations

import json
import os
import sys

import pandas as pd
import pytest
from helpers import assert_new_views_draw_it, clean_telemetry

from workbench import telemetry
from workbench.errors import MissingDependencyError, WorkbenchError
from workbench.telemetry import settings
from workbench.telemetry.frames import to_frame
from workbench.widgets.metrics import (
    PHASE_COLUMNS,
    TIMING_COLUMNS,
    MetricsDashboard,
    MetricsFileError,
    alerts_table,
    cache_figure,
    current_alerts,
    dashboard_state,
    flatten_metrics,
    phase_metrics,
    phase_metrics_table,
    slow_queries_table,
    timing_summary,
    timings_figure,
)

go = pytest.importorskip("plotly.graph_objects")
pytest.importorskip("ipywidgets")

EVIL = "<img src=x onerror=alert(1)>"
EVIL_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
ROOT = "/stores/metrics"


@pytest.fixture(autouse=True)
def fresh():
    """Every test starts with no events, no alerts, telemetry on and default settings."""
    with clean_telemetry():
        yield


def frame_of(*timed: tuple[str, float]) -> pd.DataFrame:
    """A frame of timed events ``(kind, seconds)``, one a minute."""
    t0 = pd.Timestamp(2024, 1, 1, tz="UTC")
    return to_frame(
        {"id": f"{i:04}", "ts": t0 + pd.Timedelta(minutes=i), "event": kind, "seconds": s}
        for i, (kind, s) in enumerate(timed)
    )


def valid(fig: dict) -> go.Figure:
    """The figure dict is plain data that plotly accepts as it is."""
    assert set(fig) == {"data", "layout"}
    json.dumps(fig)  # plain data, no numpy
    return go.Figure(fig)


def trace(fig: dict, name: str) -> dict:
    (found,) = [t for t in fig["data"] if t["name"] == name]
    return found


def no_markup(value) -> None:
    """``EVIL`` appears escaped, never as markup, anywhere in ``value`` (dict or HTML)."""
    text = value if isinstance(value, str) else json.dumps(value)
    assert "<img" not in text and EVIL_ESCAPED in text


def write(path, data) -> None:
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))


# -- timings -----------------------------------------------------------------------------------


class TestTimings:
    def test_summary(self):
        df = frame_of(("query", 0.1), ("query", 0.3), ("query", 0.2), ("build", 2.0))
        s = timing_summary(df)
        assert list(s.columns) == TIMING_COLUMNS
        assert s.event.tolist() == ["build", "query"]
        assert s["count"].tolist() == [1, 3]
        assert s["median"].tolist() == pytest.approx([2.0, 0.2])
        assert s["p95"].tolist() == pytest.approx([2.0, 0.29])
        assert s["max"].tolist() == pytest.approx([2.0, 0.3])
        assert s["total"].tolist() == pytest.approx([2.0, 0.6])

    def test_untimed_events_are_left_out(self):
        df = to_frame(
            [
                {"id": "1", "ts": pd.Timestamp(2024, 1, 1, tz="UTC"), "event": "cache"},
                {"id": "2", "ts": pd.Timestamp(2024, 1, 1, tz="UTC"), "event": "x", "seconds": 1},
            ]
        )
        assert timing_summary(df).event.tolist() == ["x"]

    def test_figure(self):
        df = frame_of(("query", 0.1), ("query", 0.3), ("build", 2.0))
        fig = timings_figure(df)
        valid(fig)
        median, p95 = trace(fig, "median"), trace(fig, "p95")
        assert median["type"] == p95["type"] == "bar"
        assert median["x"] == p95["x"] == ["build", "query"]
        assert median["y"] == pytest.approx([2.0, 0.2])
        assert p95["y"] == pytest.approx([2.0, 0.29])
        assert "2 events" in median["hovertext"][1]
        assert fig["layout"]["title"]["text"] == "durations per event kind (3 timed events)"
        assert fig["layout"]["yaxis"]["type"] == "linear"

    def test_log_axis_when_times_span_orders_of_magnitude(self):
        df = frame_of(("cache_read", 0.001), ("ingest", 5.0))
        assert timings_figure(df)["layout"]["yaxis"]["type"] == "log"
        assert timings_figure(df, log_y=False)["layout"]["yaxis"]["type"] == "linear"
        zero = frame_of(("noop", 0.0), ("ingest", 5.0))  # log cannot show 0
        assert timings_figure(zero)["layout"]["yaxis"]["type"] == "linear"

    def test_no_events(self):
        for df in (to_frame([]), telemetry.frame()):
            fig = timings_figure(df)
            valid(fig)
            assert fig["data"] == []
            assert fig["layout"]["title"]["text"] == "no timed events recorded yet"
            assert fig["layout"]["xaxis"]["visible"] is False
        assert timing_summary(to_frame([])).empty


# -- cache -------------------------------------------------------------------------------------


def lookups(**tiers: list[str]) -> None:
    for algorithm, seen in tiers.items():
        for tier in seen:
            telemetry.emit("cache", metadata={"algorithm": algorithm, "tier": tier})


class TestCache:
    def test_figure(self):
        lookups(pagerank=["miss", "memory", "memory", "store"], dominators=["miss", "miss"])
        fig = cache_figure(telemetry.cache_ratios())
        valid(fig)
        (bars,) = fig["data"]
        assert bars["x"] == ["dominators", "pagerank", "(all)"]
        assert bars["y"] == pytest.approx([0.0, 0.75, 0.5])
        assert bars["text"] == ["0%", "75%", "50%"]
        assert "4 lookups: 2 in memory, 1 in the store, 1 computed" in bars["hovertext"][1]
        assert bars["marker"]["color"][-1] != bars["marker"]["color"][0]  # (all) stands out
        assert fig["layout"]["title"]["text"] == "analysis cache hit ratio (6 lookups)"
        assert fig["layout"]["yaxis"]["tickformat"] == ".0%"

    def test_no_lookups(self):
        fig = cache_figure(telemetry.cache_ratios())
        valid(fig)
        assert fig["data"] == []
        assert fig["layout"]["title"]["text"] == "no cache lookups recorded yet"
        valid(cache_figure(telemetry.cache_ratios().iloc[:0]))


# -- tables ------------------------------------------------------------------------------------


class TestTables:
    def test_slow_queries(self):
        settings.slow_query_seconds = 1.0
        telemetry.emit("query", 0.2, detail="SELECT fast", measurements={"rows": 1})
        telemetry.emit("query", 2.0, detail="SELECT slow", measurements={"rows": 5},
                       metadata={"source": "sql"})  # fmt: skip
        telemetry.emit("query", 3.0, detail="SELECT slower", measurements={"rows": 7})
        out = slow_queries_table(telemetry.slow_queries())
        assert "<b>2 slow queries</b> (at least 1 s)" in out
        assert "SELECT slow" in out and "SELECT fast" not in out
        assert out.index("SELECT slower") < out.index("SELECT slow<")

    def test_no_slow_queries(self):
        out = slow_queries_table(telemetry.slow_queries())
        assert out == "<i>no slow queries recorded (none took at least 500 ms)</i>"

    def test_long_sql_is_clipped(self):
        settings.slow_query_seconds = 0.0
        telemetry.emit("query", 1.0, detail="SELECT " + "x, " * 1000 + "y")
        out = slow_queries_table(telemetry.slow_queries())
        assert "\u2026" in out and "y</td>" not in out

    def test_alerts_and_regressions(self):
        alerts = pd.DataFrame(
            [["cpg_nodes", "files", 12_000.0, 10_000.0, pd.Timestamp(2024, 1, 2, tz="UTC")]],
            columns=["table", "measure", "value", "threshold", "opened"],
        )
        times = [1.0, 1.1, 0.9, 1.0, 1.05, 3.2]
        df = to_frame(
            {"id": f"{i:02}", "ts": pd.Timestamp(2024, 1, 1 + i, tz="UTC"), "event": "build",
             "seconds": s, "metadata": {"key": "pkg.mod"}}
            for i, s in enumerate(times)
        )  # fmt: skip
        out = alerts_table(alerts, telemetry.regressions(df))
        assert "1 open size alert" in out and "cpg_nodes" in out and "2024-01-02 00:00:00" in out
        assert "1 performance regression" in out and "pkg.mod" in out
        empty = alerts_table(alerts.iloc[:0], telemetry.regressions(df.iloc[:3]))
        assert "no open size alerts" in empty and "no performance regressions" in empty

    def test_phase_metrics_table(self):
        df = pd.DataFrame([["phase1", "nodes", 9]], columns=PHASE_COLUMNS, dtype=object)
        out = phase_metrics_table(df)
        assert "1 metrics of phase1" in out and "<td>nodes</td>" in out
        assert "no phase metrics" in phase_metrics_table(df.iloc[:0])


# -- alerts from events ------------------------------------------------------------------------


class TestCurrentAlerts:
    def test_open_then_closed(self, v2):
        limits = {"*": {"rows": 0}}
        opened = telemetry.check_sizes(v2, limits)
        assert len(opened)
        alerts = current_alerts(telemetry.frame(store=v2))
        key = ["table", "measure", "value", "threshold"]
        assert alerts[key].values.tolist() == opened[key].values.tolist()
        telemetry.check_sizes(v2, {"*": {"rows": 10**9}})  # back under: closed
        assert current_alerts(telemetry.frame(store=v2)).empty

    def test_alerts_persisted_by_another_process(self, v2):
        telemetry.check_sizes(v2, {"modules": {"rows": 0}})
        assert v2.flush_telemetry()
        telemetry.clear()  # a fresh process: its memory has no alert, the table has
        assert telemetry.open_alerts(v2).empty
        alerts = current_alerts(telemetry.frame(store=v2))
        assert alerts[["table", "measure"]].values.tolist() == [["modules", "rows"]]


# -- phase metrics -----------------------------------------------------------------------------

PHASE1 = {
    "modules": 4,
    "cpg_ok": 3,
    "legacy_queries_unchanged": True,
    "seconds": {"ingest": 0.25, "generate": 1.5},
}
PHASE3 = {
    "impact": {"function": "bookshop.pricing.total", "functions_reached": ["a", "b"]},
    "smells": {},
    "cache_hit_ratio": 0.75,
}


class TestPhaseMetrics:
    def test_flatten(self):
        assert flatten_metrics(PHASE1) == [
            ("modules", 4),
            ("cpg_ok", 3),
            ("legacy_queries_unchanged", True),
            ("seconds.ingest", 0.25),
            ("seconds.generate", 1.5),
        ]
        assert flatten_metrics(PHASE3) == [
            ("impact.function", "bookshop.pricing.total"),
            ("impact.functions_reached", '["a", "b"]'),
            ("cache_hit_ratio", 0.75),
        ]

    def test_a_directory(self, tmp_path):
        write(tmp_path / "phase10_metrics.json", {"x": 1})
        write(tmp_path / "phase3_metrics.json", PHASE3)
        write(tmp_path / "phase1_metrics.json", PHASE1)
        write(tmp_path / "phase1_failures.json", "not metrics, not read")
        df = phase_metrics(tmp_path)
        assert list(df.columns) == PHASE_COLUMNS
        assert list(dict.fromkeys(df.phase)) == ["phase1", "phase3", "phase10"]
        rows = {(r.phase, r.metric): r.value for r in df.itertuples()}
        assert rows["phase1", "seconds.generate"] == 1.5
        assert rows["phase1", "modules"] == 4 and type(rows["phase1", "modules"]) is int
        assert rows["phase1", "legacy_queries_unchanged"] is True
        assert rows["phase3", "impact.function"] == "bookshop.pricing.total"
        assert len(df) == 5 + 3 + 1

    def test_files_and_lists_of_paths(self, tmp_path):
        write(tmp_path / "phase1_metrics.json", PHASE1)
        write(tmp_path / "custom.json", {"a": {"b": 2}})
        one = phase_metrics(tmp_path / "phase1_metrics.json")
        assert set(one.phase) == {"phase1"} and len(one) == 5
        both = phase_metrics([tmp_path / "custom.json", str(tmp_path / "phase1_metrics.json")])
        assert both.phase.tolist()[0] == "custom" and both.metric.tolist()[0] == "a.b"
        assert phase_metrics(tmp_path / "custom.json").value.tolist() == [2]

    def test_an_empty_directory(self, tmp_path):
        df = phase_metrics(tmp_path)
        assert df.empty and list(df.columns) == PHASE_COLUMNS

    def test_malformed_json_names_the_file_and_line(self, tmp_path):
        write(tmp_path / "phase1_metrics.json", PHASE1)
        bad = tmp_path / "phase2_metrics.json"
        write(bad, '{\n  "graphs": 3,\n  "requests": \n}\n')
        with pytest.raises(MetricsFileError) as info:
            phase_metrics(tmp_path)
        err = info.value
        assert isinstance(err, WorkbenchError) and isinstance(err, ValueError)
        assert err.path == os.fspath(bad) and err.line == 4
        assert str(err).startswith(f"{bad}:4:1: malformed JSON")
        assert err.error_type == "MetricsFileError"

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("[1, 2]", "expected a JSON object of metrics, found a JSON list"),
            ('"text"', "expected a JSON object of metrics, found a JSON str"),
            (b"\xff\xfe{}", "not UTF-8 text"),
        ],
    )
    def test_not_an_object_of_metrics(self, tmp_path, content, message):
        path = tmp_path / "phase1_metrics.json"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        with pytest.raises(MetricsFileError, match=message) as info:
            phase_metrics(tmp_path)
        assert info.value.path == os.fspath(path)

    def test_missing_path(self, tmp_path):
        with pytest.raises(MetricsFileError, match="no such file or directory") as info:
            phase_metrics(tmp_path / "nowhere")
        assert info.value.path == os.fspath(tmp_path / "nowhere")

    def test_the_error_pickles_with_its_fields(self, tmp_path):
        import pickle

        err = pickle.loads(
            pickle.dumps(MetricsFileError(tmp_path / "m.json", "bad", line=2, col=3))
        )
        assert (err.path, err.message, err.line, err.col) == (
            os.fspath(tmp_path / "m.json"),
            "bad",
            2,
            3,
        )
        assert str(err) == f"{tmp_path / 'm.json'}:2:3: bad"


# -- escaping ----------------------------------------------------------------------------------


class TestEscaping:
    def test_figures(self):
        telemetry.emit(EVIL, 0.5)
        fig = timings_figure(telemetry.frame())
        no_markup(fig)
        assert trace(fig, "median")["x"] == [EVIL_ESCAPED]
        lookups(**{EVIL: ["miss", "memory"]})
        fig = cache_figure(telemetry.cache_ratios())
        no_markup(fig)
        assert fig["data"][0]["x"][0] == EVIL_ESCAPED
        valid(fig)

    def test_slow_query_table_of_a_real_query(self, v2):
        settings.slow_query_seconds = 0.0
        v2.sql(f"SELECT '{EVIL}' AS x")
        state = dashboard_state(v2)
        assert EVIL in state.slow_queries.sql.tolist()[0]
        no_markup(state.tables()["slow_queries"])

    def test_alerts_regressions_and_phase_metrics(self, tmp_path):
        telemetry.emit("alert", store=ROOT, measurements={"value": 5.0},
                       metadata={"table": EVIL, "measure": "rows", "threshold": 1,
                                 "state": "open"})  # fmt: skip
        for s in [1.0, 1.0, 1.0, 1.0, 1.0, 9.0]:
            telemetry.emit("query", s, store=ROOT, detail=f"SELECT '{EVIL}'")
        write(tmp_path / "phase1_metrics.json", {EVIL: {"x": EVIL}})
        state = dashboard_state(ROOT, metrics_dir=tmp_path)
        assert state.alerts.table.tolist() == [EVIL] and len(state.regressions) == 1
        tables = state.tables()
        no_markup(tables["alerts"])
        assert tables["alerts"].count(EVIL_ESCAPED) == 2  # the alert's table, the SQL key
        no_markup(tables["phase_metrics"])

    def test_error_lines(self, tmp_path):
        write(tmp_path / f"{EVIL}_metrics.json", "{")
        state = dashboard_state(ROOT, metrics_dir=tmp_path)
        assert EVIL in state.errors[0]
        dash = MetricsDashboard(ROOT, metrics_dir=tmp_path)
        no_markup(dash.error.value)


# -- the state of a real store -----------------------------------------------------------------


class TestDashboardState:
    def test_queries_of_a_store(self, v2):
        v2.sql("SELECT count(*) AS n FROM modules")
        v2.sql("SELECT count(*) AS n FROM functions")
        state = dashboard_state(v2)
        assert state.errors == ()
        queries = telemetry.queries(state.events)
        assert len(queries) == 2
        fig = state.figures()["timings"]
        valid(fig)
        median = trace(fig, "median")
        assert {"ingest", "migrate", "query"} <= set(median["x"])
        at = median["x"].index("query")
        assert median["y"][at] == pytest.approx(queries.seconds.median())
        assert "2 events" in median["hovertext"][at]
        assert state.figures()["cache"]["data"] == []
        assert "2 queries" in state.text

    def test_persisted_events_are_read_back(self, v2):
        v2.sql("SELECT count(*) AS n FROM modules")
        assert v2.flush_telemetry()
        telemetry.clear()  # a fresh process: only the store's table has them
        fig = dashboard_state(v2).figures()["timings"]
        assert "query" in trace(fig, "median")["x"]

    def test_cache_ratio_of_a_real_analysis(self, full_store):
        from workbench.analysis import CPGMath

        store, _ = full_store(100)
        math = CPGMath(store, persist_min_seconds=0)
        math.run("pagerank", "call")
        math.run("pagerank", "call")  # from memory
        state = dashboard_state(store)
        (bars,) = state.figures()["cache"]["data"]
        assert bars["x"] == ["pagerank", "(all)"]
        assert bars["y"] == pytest.approx([0.5, 0.5])
        timings = trace(state.figures()["timings"], "median")
        assert "algorithm" in timings["x"]

    def test_since(self):
        telemetry.emit("query", 0.1, store=ROOT)
        later = pd.Timestamp.now(tz="UTC") + pd.Timedelta(hours=1)
        assert len(dashboard_state(ROOT).events) == 1
        assert dashboard_state(ROOT, since=later).events.empty

    def test_nothing_recorded(self, tmp_path):
        state = dashboard_state(os.fspath(tmp_path / "no-store"))
        figs = state.figures()
        assert figs["timings"]["layout"]["title"]["text"] == "no timed events recorded yet"
        assert figs["cache"]["layout"]["title"]["text"] == "no cache lookups recorded yet"
        for fig in figs.values():
            valid(fig)
        tables = state.tables()
        assert "no slow queries" in tables["slow_queries"]
        assert "no open size alerts" in tables["alerts"]
        assert "no phase metrics" in tables["phase_metrics"]
        assert state.text.startswith("0 events (0 timed), 0 queries")

    def test_a_malformed_metrics_file_is_reported_not_raised(self, tmp_path):
        telemetry.emit("query", 0.1, store=ROOT)
        write(tmp_path / "phase1_metrics.json", "{oops")
        state = dashboard_state(ROOT, metrics_dir=tmp_path)
        (error,) = state.errors
        assert error.startswith("phase metrics: ") and "phase1_metrics.json:1:2" in error
        assert state.phase_metrics.empty and len(state.events) == 1

    def test_an_unreadable_telemetry_table_is_reported_not_raised(self, tmp_path):
        write(tmp_path / "phase1_metrics.json", PHASE1)
        state = dashboard_state(BrokenStore(tmp_path), metrics_dir=tmp_path)
        assert state.errors == ("telemetry: OSError: disk gone",)
        assert state.events.empty and len(state.phase_metrics) == 5


class BrokenStore:
    """A store whose telemetry cannot be read."""

    def __init__(self, root):
        self.root = root
        self.tables = {"telemetry": 1}

    def read_table(self, name):
        raise OSError("disk gone")

    def telemetry_rows(self):
        raise OSError("disk gone")


# -- the widget --------------------------------------------------------------------------------


def classes(widget) -> tuple[str, ...]:
    return tuple(widget._dom_classes)


class TestWidget:
    def test_layout_and_css_classes(self, v2, tmp_path):
        write(tmp_path / "phase1_metrics.json", PHASE1)
        dash = MetricsDashboard(v2, metrics_dir=tmp_path)
        assert "wb-metrics-dashboard" in classes(dash.widget)
        assert "wb-refresh" in classes(dash.refresh_button)
        assert isinstance(dash.timings, go.FigureWidget) and "wb-timings" in classes(dash.timings)
        assert isinstance(dash.cache, go.FigureWidget) and "wb-cache" in classes(dash.cache)
        assert "wb-slow-queries" in classes(dash.slow_queries)
        assert "wb-alerts" in classes(dash.alerts)
        assert "wb-phase-metrics" in classes(dash.phase_metrics)
        assert dash.tabs.titles == ("Timings", "Cache", "Slow queries", "Alerts", "Phase metrics")
        assert list(dash.tabs.children) == [
            dash.timings,
            dash.cache,
            dash.slow_queries,
            dash.alerts,
            dash.phase_metrics,
        ]
        assert "seconds.generate" in dash.phase_metrics.value
        assert {"ingest", "migrate"} <= set(dash.timings.data[0].x)
        assert dash.error.value == "" and dash.state is not None

    def test_refresh_updates_the_figures_in_place(self, v2):
        dash = MetricsDashboard(v2)
        timings, cache = dash.timings, dash.cache
        assert "query" not in timings.data[0].x
        assert cache.data == () and "no cache lookups" in cache.layout.title.text
        v2.sql("SELECT count(*) AS n FROM modules")
        telemetry.emit("cache", store=v2.root, metadata={"algorithm": "pagerank", "tier": "miss"})
        telemetry.emit("cache", store=v2.root, metadata={"algorithm": "pagerank", "tier": "store"})
        dash.refresh_button.click()  # the button refreshes
        assert dash.refreshes == 2
        assert dash.timings is timings and dash.cache is cache  # updated, not recreated
        assert "query" in timings.data[0].x
        assert cache.data[0].x == ("pagerank", "(all)") and cache.data[0].y == (0.5, 0.5)
        for fig in (timings, cache):  # and a view opening later (a reloaded page) draws it
            assert_new_views_draw_it(fig)
        assert cache.layout.title.text == "analysis cache hit ratio (2 lookups)"
        assert cache.layout.yaxis.visible is True
        telemetry.emit("build", 0.7, store=v2.root)
        state = dash.refresh()
        assert "build" in timings.data[0].x and dash.state is state
        for shown, wanted in zip(timings.data, state.figures()["timings"]["data"], strict=True):
            assert (shown.name, list(shown.x), list(shown.y)) == (
                wanted["name"],
                wanted["x"],
                pytest.approx(wanted["y"]),
            )

    def test_refresh_back_to_nothing(self):
        telemetry.emit("query", 0.1, store=ROOT)
        dash = MetricsDashboard(ROOT)
        assert len(dash.timings.data) == 2
        telemetry.clear()
        dash.refresh()
        assert dash.timings.data == ()
        assert dash.timings.layout.title.text == "no timed events recorded yet"

    def test_slow_queries_and_alerts_panels(self, v2):
        settings.slow_query_seconds = 0.0
        v2.sql("SELECT 42 AS answer")
        telemetry.check_sizes(v2, {"modules": {"rows": 0}})
        dash = MetricsDashboard(v2)
        assert "SELECT 42 AS answer" in dash.slow_queries.value
        assert "<td>modules</td>" in dash.alerts.value
        assert "open alerts" in dash.summary.value

    def test_errors_are_shown_not_raised(self, tmp_path):
        write(tmp_path / "phase1_metrics.json", "{")
        dash = MetricsDashboard(BrokenStore(tmp_path), metrics_dir=tmp_path)
        assert 'class="wb-error"' in dash.error.value
        assert "disk gone" in dash.error.value and "phase1_metrics.json" in dash.error.value
        assert dash.timings.layout.title.text == "no timed events recorded yet"

    def test_an_unexpected_failure_is_shown_not_raised(self, monkeypatch):
        import workbench.widgets.metrics as metrics

        dash = MetricsDashboard(ROOT)
        before = dash.state

        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(metrics, "dashboard_state", broken)
        assert dash.refresh() is None
        assert "RuntimeError: boom" in dash.error.value and dash.state is before
        assert not dash.refresh_button.disabled

    def test_displayable(self):
        dash = MetricsDashboard()
        assert "application/vnd.jupyter.widget-view+json" in dash._repr_mimebundle_()

    def test_without_plotly(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
        with pytest.raises(MissingDependencyError, match="plotly") as info:
            MetricsDashboard()
        assert info.value.extra == "jupyter"
