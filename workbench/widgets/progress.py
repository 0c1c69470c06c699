"""Live progress of CPG generation: a reducer over :class:`ProgressEvent`, the failures of a
store as a table, and a widget usable as the ``progress`` callback of ``Store.generate``.

The widget holds no logic: :func:`reduce_progress` turns events into a
:class:`ProgressState` and :func:`failures_table` reads the failures from the store; both
are plain functions, tested without a browser. The widget only copies them into widget
state, at most every ``min_interval`` seconds (and always on the final ``done`` event), so a
run is not slowed. Every module name shown is HTML-escaped.

Examples
--------
>>> from workbench.pipeline.scheduler import ProgressEvent
>>> events = [
...     ProgressEvent("started", "a.py", 0, 2, 0, 0, 0.0),
...     ProgressEvent("started", "b.py", 0, 2, 0, 0, 0.0),
...     ProgressEvent("finished", "a.py", 1, 2, 0, 0, 0.5),
... ]
>>> s = progress_state(events)
>>> s.ok, s.failed, s.pending, s.current, s.eta
(1, 0, 1, ('b.py',), 0.5)
>>> s.text
'1/2 modules (50%): 1 ok, 0 failed, 0 skipped, 1 pending; 2.0 modules/s, ETA 0.5 s'
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from workbench.pipeline.scheduler import ProgressEvent
from workbench.widgets._common import error_html, ipywidgets, table_html

__all__ = [
    "FAILURE_COLUMNS",
    "GenerationProgress",
    "ProgressState",
    "failures_table",
    "progress_state",
    "reduce_progress",
]

#: Columns of :func:`failures_table` (the failures of ``GenerationReport.to_pandas`` too).
FAILURE_COLUMNS = ["path", "status", "error_type", "error_message"]
#: Module names listed in the "current" line; the rest are counted.
MAX_CURRENT_SHOWN = 8
#: Rows of the failures table rendered; the rest are counted.
MAX_FAILURES_SHOWN = 200


@dataclass(frozen=True)
class ProgressState:
    """Where a generation run stands, after the events seen so far.

    ``current`` are the modules started and not yet finished, in start order; ``failures``
    the modules that failed in this run, in order. ``eta`` is None until a module is done.
    """

    kind: str = ""
    done: int = 0
    total: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0
    current: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()
    commits: int = 0
    elapsed: float = 0.0
    rate: float = 0.0
    eta: float | None = None
    finished: bool = False

    @property
    def percent(self) -> float:
        """Share of the planned modules done, 0-100 (100 for a finished empty run)."""
        if self.total <= 0:
            return 100.0 if self.finished else 0.0
        return 100.0 * self.done / self.total

    @property
    def text(self) -> str:
        """One line of plain text: counts, rate and ETA (not escaped: numbers only)."""
        head = (
            f"{self.done}/{self.total} modules ({self.percent:.0f}%): {self.ok} ok, "
            f"{self.failed} failed, {self.skipped} skipped, {self.pending} pending"
        )
        if self.finished:
            return f"{head}; done in {_duration(self.elapsed)}"
        eta = "ETA unknown" if self.eta is None else f"ETA {_duration(self.eta)}"
        return f"{head}; {self.rate:.1f} modules/s, {eta}"


def reduce_progress(state: ProgressState, event: ProgressEvent) -> ProgressState:
    """The state after ``event``: counts come from the event (the scheduler's running
    totals), the modules in flight and the failed ones are followed here.

    Examples
    --------
    >>> s = reduce_progress(ProgressState(), ProgressEvent("started", "m.py", 0, 1, 0, 0, 0.0))
    >>> s.current, s.pending, s.eta
    (('m.py',), 1, None)
    >>> s = reduce_progress(s, ProgressEvent("failed", "m.py", 1, 1, 1, 0, 1.0))
    >>> s.current, s.failures, s.ok, s.failed
    ((), ('m.py',), 0, 1)
    """
    kind, module = event.kind, event.module
    current, failures, commits = state.current, state.failures, state.commits
    if kind == "started" and module is not None:
        if module not in current:  # a batch re-run alone after a broken pool starts again
            current = (*current, module)
    elif kind in ("finished", "failed", "skipped") and module is not None:
        if module in current:
            current = tuple(m for m in current if m != module)
        if kind == "failed":
            failures = (*failures, module)
    elif kind == "committed":
        commits += 1
    elif kind == "done":
        current = ()
    done = event.done
    return ProgressState(
        kind=kind,
        done=done,
        total=event.total,
        ok=done - event.failed - event.skipped,
        failed=event.failed,
        skipped=event.skipped,
        pending=max(event.total - done, 0),
        current=current,
        failures=failures,
        commits=commits,
        elapsed=event.elapsed,
        rate=event.rate,
        eta=event.eta,
        finished=kind == "done",
    )


def progress_state(
    events: Iterable[ProgressEvent], state: ProgressState | None = None
) -> ProgressState:
    """The state after ``events``, starting from ``state`` (default: nothing seen)."""
    state = ProgressState() if state is None else state
    for ev in events:
        state = reduce_progress(state, ev)
    return state


def failures_table(store, *, sort_by: str = "path", ascending: bool = True):
    """The modules of ``store`` whose current CPG build failed or was skipped, as a
    DataFrame with columns :data:`FAILURE_COLUMNS`, sorted by ``sort_by`` (then path).

    Error fields come from the module's ``cpg_graphs`` row (the build), falling back to the
    ``modules`` row (the parse). A store without CPG support gives an empty table.
    """
    import pandas as pd

    if sort_by not in FAILURE_COLUMNS:
        raise ValueError(f"sort_by must be one of {FAILURE_COLUMNS}, got {sort_by!r}")
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in FAILURE_COLUMNS})
    if "cpg_graphs" not in store.tables:
        return empty
    mods = store.read_table(
        "modules", columns=["module", "path", "cpg_status", "error_type", "error_message"]
    ).to_pylist()
    bad = {m["module"]: m for m in mods if m["cpg_status"] in ("failed", "skipped")}
    if not bad:
        return empty
    builds = {
        g["module"]: g
        for g in store.read_table(
            "cpg_graphs", columns=["module", "error_type", "error_message"]
        ).to_pylist()
        if g["module"] in bad
    }
    rows = []
    for key, m in bad.items():
        g = builds.get(key, {})
        rows.append(
            {
                "path": m["path"],
                "status": m["cpg_status"],
                "error_type": g.get("error_type") or m["error_type"] or "",
                "error_message": g.get("error_message") or m["error_message"] or "",
            }
        )
    df = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
    keys = [sort_by] if sort_by == "path" else [sort_by, "path"]
    return df.sort_values(keys, ascending=ascending, kind="stable").reset_index(drop=True)


class GenerationProgress:
    """A live panel of a generation run, and the ``progress`` callback that feeds it.

    ``w = GenerationProgress(store); display(w); store.generate(progress=w)``. Calling
    ``w(event)`` folds the event into :attr:`state` (cheap); the widgets are refreshed at
    most every ``min_interval`` seconds of ``clock``, and always on the ``done`` event.

    Widgets (ipywidgets, in :attr:`widget`, a ``VBox``): :attr:`bar` (``IntProgress``),
    :attr:`counts` and :attr:`current` (``HTML`` lines), :attr:`sort` (``Dropdown`` of the
    failures' columns) and :attr:`descending` (``Checkbox``), :attr:`table` (``HTML`` of
    :func:`failures_table`, read from ``store`` when the run is done; paths only while it
    runs), :attr:`retry_button` and :attr:`error` (``HTML``: the error of a retry, shown,
    never raised).
    """

    def __init__(
        self,
        store=None,
        *,
        min_interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        generate_options: dict | None = None,
    ) -> None:
        w = ipywidgets()
        self.store = store
        self.min_interval = min_interval
        self.clock = clock
        #: options passed to ``store.generate`` by :meth:`retry` (besides ``retry_failed``)
        self.generate_options = dict(generate_options or {})
        self.state = ProgressState()
        #: widget refreshes done (throttling keeps it far below the events)
        self.renders = 0
        self._last_render: float | None = None
        self._failures_shown: int | None = None
        self._failures_df = None

        self.bar = w.IntProgress(value=0, min=0, max=1, description="generate")
        self.counts = w.HTML(value=html.escape(self.state.text))
        self.current = w.HTML(value="")
        self.sort = w.Dropdown(options=FAILURE_COLUMNS, value="path", description="sort by")
        self.descending = w.Checkbox(value=False, description="descending")
        self.table = w.HTML(value="")
        self.retry_button = w.Button(
            description="Retry failed",
            icon="redo",
            tooltip="generate again the modules that failed or were skipped",
            disabled=store is None,
        )
        self.error = w.HTML(value="")
        self.sort.observe(self._on_sort, names="value")
        self.descending.observe(self._on_sort, names="value")
        self.retry_button.on_click(self._on_retry)
        self.widget = w.VBox(
            [
                self.bar,
                self.counts,
                self.current,
                w.HBox([self.retry_button, self.sort, self.descending]),
                self.table,
                self.error,
            ]
        )

    # -- the progress callback ---------------------------------------------------------

    def __call__(self, event: ProgressEvent) -> None:
        """Fold ``event`` into the state; refresh the widgets when due."""
        self.state = reduce_progress(self.state, event)
        now = self.clock()
        if (
            event.kind == "done"
            or self._last_render is None
            or now - self._last_render >= self.min_interval
        ):
            self._last_render = now
            self.render()

    def reset(self) -> None:
        """Forget the run shown (a new run starts from nothing)."""
        self.state = ProgressState()
        self._last_render = None
        self._failures_shown = None
        self._failures_df = None
        self.error.value = ""
        self.render()

    # -- widget state ------------------------------------------------------------------

    def render(self) -> None:
        """Copy :attr:`state` into the widgets."""
        s = self.state
        self.renders += 1
        self.bar.max = max(s.total, 1)
        self.bar.value = s.total if s.finished and s.total == 0 else s.done
        self.bar.bar_style = (
            ("warning" if s.failed or s.skipped else "success") if s.finished else ""
        )
        self.counts.value = html.escape(s.text)
        self.current.value = current_html(s.current)
        if s.finished and self.store is not None:
            self._failures_df = failures_table(self.store)
            self._failures_shown = None
            self._render_table()
        elif self._failures_df is None and self._failures_shown != len(s.failures):
            self._render_table()

    def _render_table(self) -> None:
        if self._failures_df is not None:
            df = self._failures_df
        else:  # while a run goes on: the failed paths, their errors once it is done
            import pandas as pd

            df = pd.DataFrame(
                {"path": list(self.state.failures), "status": "failed"},
                columns=FAILURE_COLUMNS,
            ).fillna("")
        self._failures_shown = len(self.state.failures)
        self.table.value = failures_html(
            df, sort_by=self.sort.value, ascending=not self.descending.value
        )

    def _on_sort(self, _change) -> None:
        self._render_table()

    # -- retry -------------------------------------------------------------------------

    def retry(self):
        """Generate again the failed and skipped modules of :attr:`store`, shown in this
        panel; return the report, or None with the error shown in :attr:`error`."""
        if self.store is None:
            self.error.value = error_html("no store to retry: GenerationProgress(store)")
            return None
        self.retry_button.disabled = True
        self.reset()
        try:
            options = {"quiet": True, **self.generate_options}
            options.update(retry_failed=True, progress=self)
            return self.store.generate(**options)
        except Exception as e:  # a button has nowhere to raise to: the panel shows it
            self.error.value = error_html(f"{type(e).__name__}: {e}")
            return None
        finally:
            self.retry_button.disabled = False

    def _on_retry(self, _button) -> None:
        self.retry()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def current_html(current: tuple[str, ...], limit: int = MAX_CURRENT_SHOWN) -> str:
    """The modules in flight as an HTML line (names escaped, at most ``limit`` listed)."""
    if not current:
        return ""
    shown = ", ".join(f"<code>{html.escape(m)}</code>" for m in current[:limit])
    more = f" and {len(current) - limit} more" if len(current) > limit else ""
    return f"building {shown}{more}"


def failures_html(
    df, *, sort_by: str = "path", ascending: bool = True, limit: int = MAX_FAILURES_SHOWN
) -> str:
    """The failures table as escaped HTML, sorted by ``sort_by`` (then path)."""
    if df.empty:
        return ""
    keys = [sort_by] if sort_by == "path" else [sort_by, "path"]
    df = df.sort_values(keys, ascending=ascending, kind="stable")
    return f"<b>{len(df)} failed or skipped</b>{table_html(df, limit=limit)}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
