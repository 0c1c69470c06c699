"""GenerationProgress: the reducer over progress events, the failures table, and the widget's
state after events, throttling and the Retry-failed button (headless: no browser)."""

from __future__ import annotations

import pytest

import workbench
from workbench.pipeline.scheduler import ProgressEvent
from workbench.store.migrations import migrate
from workbench.widgets.progress import (
    FAILURE_COLUMNS,
    GenerationProgress,
    ProgressState,
    current_html,
    failures_html,
    failures_table,
    progress_state,
    reduce_progress,
)

pytest.importorskip("ipywidgets")

EVIL = "<img src=x onerror=alert(1)>.py"


def ev(kind, module=None, done=0, total=4, failed=0, skipped=0, elapsed=0.0):
    return ProgressEvent(kind, module, done, total, failed, skipped, elapsed)


#: A run of four modules, two in flight at a time: a.py ok, b.py failed, c.py skipped,
#: d.py ok, one commit, then done.
SCRIPT = [
    ev("started", "a.py"),
    ev("started", "b.py"),
    ev("finished", "a.py", 1, elapsed=1.0),
    ev("failed", "b.py", 2, failed=1, elapsed=2.0),
    ev("started", "c.py", 2, failed=1, elapsed=2.0),
    ev("started", "d.py", 2, failed=1, elapsed=2.0),
    ev("skipped", "c.py", 3, failed=1, skipped=1, elapsed=3.0),
    ev("finished", "d.py", 4, failed=1, skipped=1, elapsed=4.0),
    ev("committed", None, 4, failed=1, skipped=1, elapsed=4.5),
    ev("done", None, 4, failed=1, skipped=1, elapsed=5.0),
]


class TestReduceProgress:
    def test_start(self):
        s = progress_state(SCRIPT[:2])
        assert (s.done, s.total, s.ok, s.failed, s.skipped, s.pending) == (0, 4, 0, 0, 0, 4)
        assert s.current == ("a.py", "b.py")
        assert s.rate == 0.0 and s.eta is None
        assert "ETA unknown" in s.text
        assert not s.finished and s.percent == 0.0

    def test_midway(self):
        s = progress_state(SCRIPT[:6])
        assert (s.done, s.ok, s.failed, s.skipped, s.pending) == (2, 1, 1, 0, 2)
        assert s.current == ("c.py", "d.py")
        assert s.failures == ("b.py",)
        assert s.rate == pytest.approx(1.0) and s.eta == pytest.approx(2.0)
        assert s.percent == 50.0
        assert s.text == (
            "2/4 modules (50%): 1 ok, 1 failed, 0 skipped, 2 pending; 1.0 modules/s, ETA 2.0 s"
        )

    def test_done(self):
        s = progress_state(SCRIPT)
        assert (s.done, s.ok, s.failed, s.skipped, s.pending) == (4, 2, 1, 1, 0)
        assert s.current == () and s.failures == ("b.py",)
        assert s.commits == 1 and s.finished and s.percent == 100.0
        assert s.text.endswith("done in 5.0 s")

    def test_fold_equals_reduce_one_by_one(self):
        s = ProgressState()
        for e in SCRIPT:
            s = reduce_progress(s, e)
        assert s == progress_state(SCRIPT)
        assert progress_state(SCRIPT[5:], progress_state(SCRIPT[:5])) == s

    def test_pure(self):
        s0 = ProgressState()
        s1 = reduce_progress(s0, SCRIPT[0])
        assert s0 == ProgressState() and s1 is not s0
        with pytest.raises(AttributeError):
            s1.done = 3  # frozen

    def test_restarted_module_is_listed_once(self):
        # a batch lost with a broken process pool is started again, one module at a time
        s = progress_state([ev("started", "a.py"), ev("started", "a.py")])
        assert s.current == ("a.py",)

    def test_empty_run(self):
        s = progress_state([ev("done", None, 0, 0)])
        assert s.finished and s.percent == 100.0 and s.pending == 0

    def test_long_run_durations(self):
        s = progress_state([ev("finished", "a.py", 1, 10_000, elapsed=1.0)])
        assert "ETA 2 h 46 min" in s.text


class TestEscaping:
    def test_current(self):
        out = current_html((EVIL, "ok.py"))
        assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;.py" in out

    def test_current_limit(self):
        out = current_html(tuple(f"m{i}.py" for i in range(12)), limit=3)
        assert "m2.py" in out and "m3.py" not in out and "and 9 more" in out

    def test_failures_table_html(self):
        import pandas as pd

        df = pd.DataFrame(
            [[EVIL, "failed", "ParseError", "<script>alert(2)</script>"]],
            columns=FAILURE_COLUMNS,
        )
        out = failures_html(df)
        assert "<img" not in out and "<script>" not in out
        assert "&lt;img src=x onerror=alert(1)&gt;.py" in out

    def test_widget_lines(self):
        w = GenerationProgress()
        w(ev("started", EVIL, total=1))
        w(ev("failed", EVIL, 1, total=1, failed=1, elapsed=1.0))
        w(ev("done", None, 1, total=1, failed=1, elapsed=1.0))
        for html in (w.counts.value, w.current.value, w.table.value):
            assert "<img" not in html
        assert "&lt;img" in w.table.value


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class TestWidget:
    def test_traitlets_after_events(self):
        w = GenerationProgress(min_interval=0)
        for e in SCRIPT[:6]:
            w(e)
        assert (w.bar.value, w.bar.max) == (2, 4)
        assert w.counts.value == progress_state(SCRIPT[:6]).text
        assert "c.py" in w.current.value and "a.py" not in w.current.value
        assert "b.py" in w.table.value  # failed paths shown while the run goes on
        for e in SCRIPT[6:]:
            w(e)
        assert (w.bar.value, w.bar.max) == (4, 4)
        assert w.bar.bar_style == "warning"
        assert w.current.value == ""
        assert "done in" in w.counts.value

    def test_throttled(self):
        clock = Clock()
        w = GenerationProgress(min_interval=0.1, clock=clock)
        w(SCRIPT[0])  # the first event is shown at once
        assert w.renders == 1 and "a.py" in w.current.value
        for e in SCRIPT[1:8]:
            clock.now += 0.01
            w(e)
        assert w.renders == 1  # 0.07 s later: not yet
        assert w.state == progress_state(SCRIPT[:8])  # the state is always up to date
        assert w.bar.value == 0
        clock.now += 0.05
        w(SCRIPT[8])
        assert w.renders == 2 and w.bar.value == 4
        w(SCRIPT[9])  # done: always shown, however soon
        assert w.renders == 3 and "done in" in w.counts.value

    def test_sort_dropdown(self):
        import pandas as pd

        w = GenerationProgress()
        w._failures_df = pd.DataFrame(
            [["a.py", "failed", "ZError", "z"], ["b.py", "failed", "AError", "a"]],
            columns=FAILURE_COLUMNS,
        )
        w._render_table()
        assert w.table.value.index("a.py") < w.table.value.index("b.py")
        w.sort.value = "error_type"
        assert w.table.value.index("b.py") < w.table.value.index("a.py")
        w.descending.value = True
        assert w.table.value.index("a.py") < w.table.value.index("b.py")

    def test_retry_without_store(self):
        w = GenerationProgress()
        assert w.retry_button.disabled
        assert w.retry() is None
        assert "no store" in w.error.value

    def test_displayable(self):
        w = GenerationProgress()
        assert "application/vnd.jupyter.widget-view+json" in w._repr_mimebundle_()


@pytest.fixture
def small_store(tmp_path):
    """A store of three modules, two of which fail to build (one with a hostile name)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "ok.py").write_text("def f():\n    return 1\n")
    (src / "bad.py").write_text("def g(:\n")
    (src / EVIL).write_text("def h(:\n")
    store = workbench.Store.create(tmp_path / "store")
    store.ingest(src)
    migrate(store)
    report = store.generate(workers=1, progress=None, quiet=True)
    assert (report.ok, report.failed) == (1, 2)
    return store, src


class TestStore:
    def test_failures_table(self, small_store):
        store, _ = small_store
        df = failures_table(store)
        assert list(df.columns) == FAILURE_COLUMNS
        assert df["path"].tolist() == sorted([EVIL, "bad.py"])
        assert set(df["error_type"]) == {"ParseError"}
        assert set(df["status"]) == {"failed"}
        assert all(df["error_message"])
        by_type = failures_table(store, sort_by="error_type", ascending=False)
        assert len(by_type) == 2
        with pytest.raises(ValueError, match="sort_by"):
            failures_table(store, sort_by="nope")

    def test_failures_table_without_cpg(self, tmp_path):
        store = workbench.Store.create(tmp_path / "s")
        df = failures_table(store)
        assert df.empty and list(df.columns) == FAILURE_COLUMNS

    def test_retry_button(self, small_store):
        store, src = small_store
        (src / "bad.py").write_text("def g():\n    return 2\n")  # fixed
        store.ingest(src)
        w = GenerationProgress(store, generate_options={"workers": 1})
        w.retry_button.click()
        assert w.error.value == ""
        # bad.py changed; the unchanged EVIL module is built again only with retry_failed
        assert w.state.finished and (w.state.ok, w.state.failed) == (1, 1)
        assert (w.bar.value, w.bar.max) == (2, 2)
        assert failures_table(store)["path"].tolist() == [EVIL]
        assert "&lt;img src=x onerror=alert(1)&gt;.py" in w.table.value
        assert "bad.py" not in w.table.value and "<img" not in w.table.value
        assert not w.retry_button.disabled

    def test_retry_error_is_shown(self, small_store):
        store, _ = small_store
        view = store.at(store.version)  # read-only: the commit fails
        w = GenerationProgress(view, generate_options={"workers": 1})
        w.retry_button.click()  # does not raise
        assert "StoreError" in w.error.value and "read-only" in w.error.value
        assert "Traceback" not in w.error.value
        assert not w.retry_button.disabled

    def test_retry_error_source_gone(self, small_store):
        """A store that keeps no source bytes (made before they were kept), tree gone."""
        import shutil

        store, src = small_store
        (src / "new.py").write_text("x = 1\n")  # pending, and it parses: it needs its bytes
        store.ingest(src)
        with store.transaction("as an older version left it") as tx:
            tx.drop_table("sources")
        shutil.rmtree(src)
        w = GenerationProgress(store)
        assert w.retry() is None
        assert "NotFoundError" in w.error.value and "source root" in w.error.value

    def test_retry_without_the_tree_builds_the_stored_bytes(self, small_store):
        import shutil

        store, src = small_store
        shutil.rmtree(src)
        w = GenerationProgress(store)
        report = w.retry()
        assert report is not None and report.planned == report.failed == 2
        assert "Error" not in w.error.value

    def test_as_generate_callback(self, small_store):
        store, src = small_store
        (src / "new.py").write_text("x = 1\n")
        store.ingest(src)
        w = GenerationProgress(store)
        report = store.generate(workers=1, progress=w)
        assert w.state.finished and w.state.done == report.planned == report.ok
        assert w.state.total == report.planned
