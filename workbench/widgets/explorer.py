"""One entry point over a store: pick a module and a method, see its graph, its metrics and
its findings; the project's call and import graphs; telemetry; migration and generation.

The choices offered are plain functions of the store's tables (:func:`module_options`,
:func:`method_options`, :func:`method_metrics`, :func:`findings_of`), tested headless;
:class:`Explorer` lays the other widgets out in tabs and wires the pickers to them.

Examples
--------
>>> import tempfile, pathlib, workbench as wb
>>> from workbench.analysis.tables import CodeTables
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "m.py").write_text("def f(x):\\n    if x:\\n        return 1\\n    return 2\\n")
>>> t = CodeTables.read(wb.build_project(d))
>>> module_options(t)
[('m.py', ...)]
>>> [label for label, _ in method_options(t, module_options(t)[0][1])]
['<module> (line 1)', 'f (line 1)']
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from workbench.widgets._common import error_html, esc, ipywidgets, table_html

__all__ = [
    "METRIC_COLUMNS",
    "Explorer",
    "findings_of",
    "method_metrics",
    "method_options",
    "module_options",
]

#: The method metrics shown (columns of ``cpg_methods``), in order.
METRIC_COLUMNS = [
    "full_name", "line", "end_line", "parameters", "statements", "cfg_nodes", "cfg_edges",
    "cyclomatic", "mccabe", "nesting", "fan_out", "unreachable", "is_generator", "is_async",
]  # fmt: skip


def module_options(tables) -> list[tuple[str, int]]:
    """``(path, module key)`` of every module with a CPG, by path (Dropdown options: the
    labels are drawn as text, not HTML)."""
    rows = tables.modules.select(["path", "module"]).sort_by("path").to_pylist()
    return [(r["path"], int(r["module"])) for r in rows]


def method_options(tables, module: int) -> list[tuple[str, tuple[int, int]]]:
    """``(label, (module key, METHOD id))`` of a module's methods in source order; the
    label is the qualified name within the module and the first line."""
    import pyarrow.compute as pc

    m = tables.methods.filter(pc.equal(tables.methods["module"], module))
    order = [("line", "ascending"), ("id", "ascending")]
    rows = m.select(["id", "full_name", "line"]).sort_by(order)
    name = tables.modules.filter(pc.equal(tables.modules["module"], module))["name"]
    prefix = f"{name[0].as_py()}." if len(name) else ""
    out = []
    for r in rows.to_pylist():
        full = r["full_name"] or ""
        short = full[len(prefix) :] if prefix and full.startswith(prefix) else full
        out.append((f"{short} (line {r['line']})", (module, int(r["id"]))))
    return out


def method_metrics(tables, module: int, method_id: int) -> pd.DataFrame:
    """One method's metrics (:data:`METRIC_COLUMNS`) as a two-column table."""
    import pyarrow.compute as pc

    m = tables.methods
    row = m.filter(pc.and_(pc.equal(m["module"], module), pc.equal(m["id"], method_id)))
    if row.num_rows == 0:
        return pd.DataFrame({"metric": [], "value": []})
    values = row.select(METRIC_COLUMNS).to_pylist()[0]
    return pd.DataFrame({"metric": list(values), "value": [str(v) for v in values.values()]})


def findings_of(
    findings: pd.DataFrame | None,
    tables=None,
    module: int | None = None,
    method_id: int | None = None,
) -> pd.DataFrame | None:
    """The findings of one module, or of one method of it (its METHOD id): those whose node
    that method holds (two methods may share a full name: a property's getter and setter),
    and those without a node that name the method and lie in its lines."""
    if findings is None or findings.empty or module is None:
        return findings
    mine = findings[findings["module"] == module]
    if method_id is None or mine.empty:
        return mine
    g = int(tables.gid(module, method_id))
    if g < 0:
        return mine.iloc[:0]
    nodes = mine["node"]
    has_node = nodes.notna().to_numpy()
    held = np.zeros(len(mine), bool)
    if has_node.any():
        gids = np.asarray(tables.gid(module, nodes[has_node].astype("int64").to_numpy()))
        held[has_node] = (gids >= 0) & (tables.node_method[np.maximum(gids, 0)] == g)
    row = tables.nodes.slice(g, 1).select(["line", "end_line"]).to_pylist()[0]
    full = tables.method_full_name[g]
    lines = mine["line"].astype("Float64")
    in_lines = (lines >= (row["line"] or 0)) & (lines <= (row["end_line"] or 10**9))
    named = ~has_node & (mine["method"] == full).to_numpy() & in_lines.fillna(True).to_numpy()
    return mine[held | named]


class Explorer:
    """Everything about a store in one widget.

    ``Explorer(store_or_path)`` opens the store and shows its summary and tabs:

    - **Method**: module and method pickers, the method's :class:`GraphView`, its metrics
      and its findings;
    - **Project**: the call or import graph, communities coloured;
    - **Findings**: :class:`PatternResults` over the findings saved in the store (*Scan*
      runs the built-in rules and saves them), the taint path shown in the method view;
    - **Metrics**: :class:`MetricsDashboard` (telemetry, the rollout notebooks' metrics
      from ``metrics_dir``);
    - **Migration**: :class:`MigrationPanel`; **Generation**: :class:`GenerationProgress`
      with a *Generate* button.

    A store without CPGs (schema v1) shows the migration and generation tabs and says why
    the others are empty. Errors are shown, never raised from a control.
    """

    def __init__(self, store: Any, *, metrics_dir: str | os.PathLike | None = None) -> None:
        w = ipywidgets()
        from workbench.store import Store, open_store

        self.store = store if isinstance(store, Store) else open_store(store)
        self.metrics_dir = metrics_dir
        self.tables = None
        self.findings: pd.DataFrame | None = None
        self.graph_view = None
        self.pattern_results = None
        self._math = None
        self._w = w

        self.header = w.HTML()
        self.header.add_class("wb-explorer-header")
        self.error = w.HTML()
        self.module_picker = w.Dropdown(description="module", layout=w.Layout(width="45%"))
        self.method_picker = w.Dropdown(description="method", layout=w.Layout(width="45%"))
        self.module_picker.add_class("wb-module-picker")
        self.method_picker.add_class("wb-method-picker")
        self.metrics = w.HTML()
        self.metrics.add_class("wb-method-metrics")
        self.method_findings = w.HTML()
        self.method_findings.add_class("wb-method-findings")
        self.method_box = w.VBox([w.HBox([self.module_picker, self.method_picker])])
        self.project_kind = w.ToggleButtons(options=["import", "call"], value="import")
        self.project_box = w.VBox([self.project_kind])
        self.findings_box = w.VBox()
        self.metrics_box = w.VBox()
        self.migration_box = w.VBox()
        self.generation_box = w.VBox()
        self.tabs = w.Tab(
            children=[
                self.method_box,
                self.project_box,
                self.findings_box,
                self.metrics_box,
                self.migration_box,
                self.generation_box,
            ]
        )
        for i, title in enumerate(
            ["Method", "Project", "Findings", "Metrics", "Migration", "Generation"]
        ):
            self.tabs.set_title(i, title)
        self.widget = w.VBox([self.header, self.error, self.tabs])
        self.widget.add_class("wb-explorer")
        self.module_picker.observe(self._on_module_picked, names="value")
        self.method_picker.observe(self._on_method, names="value")
        self.project_kind.observe(lambda _c: self._draw_project(), names="value")
        self._build_static_tabs()
        self.refresh()

    # -- building --------------------------------------------------------------------------

    def _build_static_tabs(self) -> None:
        from workbench.widgets.metrics import MetricsDashboard
        from workbench.widgets.migration import MigrationPanel
        from workbench.widgets.progress import GenerationProgress

        w = self._w
        self.migration = MigrationPanel(self.store)
        # after the panel's own handler (ipywidgets calls them in order): the other tabs
        # follow a migration or a rollback
        self.migration.confirm_button.on_click(lambda _b: self.refresh())
        self.migration_box.children = [self.migration.widget]
        self.dashboard = MetricsDashboard(self.store, metrics_dir=self.metrics_dir)
        self.metrics_box.children = [self.dashboard.widget]
        self.progress = GenerationProgress(self.store)
        self.generate_button = w.Button(description="Generate", icon="play")
        self.generate_button.add_class("wb-generate")
        self.generate_button.on_click(lambda _b: self.generate())
        self.generation_box.children = [self.generate_button, self.progress.widget]
        self.progress.retry_button.on_click(lambda _b: self.refresh())  # after the retry
        self.scan_button = w.Button(description="Scan", icon="search")
        self.scan_button.add_class("wb-scan")
        self.scan_button.on_click(lambda _b: self.scan())

    def refresh(self) -> None:
        """Read the store again (after a migration, a generation, a scan) and redraw."""
        from workbench.analysis.patterns.feedback import stored_findings
        from workbench.analysis.tables import CodeTables

        try:
            if not self.store.read_only:  # a view of an old version stays at it
                self.store.refresh()
            modules = self.store.modules()
            self.header.value = self._header_html(modules)
        except Exception as e:  # a damaged store: shown, never raised from a control
            self.error.value = error_html(f"{type(e).__name__}: {e}")
            return
        self.error.value = ""
        why = None
        if not self.store.flags.get("cpg", False) or self.store.schema_version < 2:
            why = "this store has no CPGs yet: migrate it, then generate (tabs on the right)"
        elif not (modules["cpg_status"] == "ok").any():
            why = "no CPGs generated yet: generate them (the Generation tab)"
        if why is not None:
            self.tables = None
            why = f"<i>{why}</i>"
            self.method_box.children = [self._w.HTML(why)]
            self.project_box.children = [self._w.HTML(why)]
            self.findings_box.children = [self._w.HTML(why)]
            return
        try:
            self.tables = CodeTables.read(self.store)
            self.findings = stored_findings(self.store)
        except Exception as e:  # shown, never raised from a control
            self.error.value = error_html(f"{type(e).__name__}: {e}")
            return
        self._build_method_tab()
        self._build_findings_tab()
        self._draw_project()

    def _header_html(self, modules: pd.DataFrame) -> str:
        s = self.store
        built = int((modules.get("cpg_status", pd.Series(dtype=str)) == "ok").sum())
        flags = ", ".join(f"{k}={'on' if v else 'off'}" for k, v in sorted(s.flags.items()))
        return (
            f"<b>{esc(s.root)}</b> · version {s.version} · schema v{s.schema_version} · "
            f"flags: {esc(flags) or 'none'} · {len(modules)} modules, {built} with a CPG"
        )

    def _build_method_tab(self) -> None:
        from workbench.widgets.graph_view import GraphView

        options = module_options(self.tables)
        if self.graph_view is None:
            self.graph_view = GraphView(self.tables)
        else:
            self.graph_view.tables = self.tables
        self.method_box.children = [
            self._w.HBox([self.module_picker, self.method_picker]),
            self.graph_view.widget,
            self._w.HBox([self.metrics, self.method_findings]),
        ]
        # keep the module and method picked across a refresh (a scan, a generation)
        module, method = self.module_picker.value, self.method_picker.value
        self._picking = True
        try:
            self.module_picker.options = options
            keys = [v for _, v in options]
            module = module if module in keys else (keys[0] if keys else None)
            self.module_picker.value = module
        finally:
            self._picking = False
        self._on_module({"new": module}, method)

    def _build_findings_tab(self) -> None:
        from workbench.widgets.findings import PatternResults

        self.pattern_results = PatternResults(
            self.findings, store=self.store, graph_view=self.graph_view
        )
        self.findings_box.children = [self.scan_button, self.pattern_results.widget]

    def _draw_project(self) -> None:
        if self.tables is None:
            return
        import plotly.graph_objects as go

        from workbench.widgets.graph_view import project_figure, project_graph_state

        try:
            if self._math is None:  # one, so that its graphs and communities are reused
                from workbench.analysis.cpgmath import CPGMath

                self._math = CPGMath(self.store, persist=False)
            state = project_graph_state(self._math, self.project_kind.value)
            fig = go.FigureWidget(project_figure(state))
            fig.add_class("wb-project-graph")
            self.project_box.children = [self.project_kind, fig]
        except Exception as e:
            self.project_box.children = [
                self.project_kind,
                self._w.HTML(error_html(f"{type(e).__name__}: {e}")),
            ]

    # -- pickers ---------------------------------------------------------------------------

    def _on_module(self, change, method: tuple[int, int] | None = None) -> None:
        if change["new"] is None or self.tables is None:
            return
        options = method_options(self.tables, change["new"])
        values = [v for _, v in options]
        if method not in values:  # the first function rather than the module's own code
            method = next((v for label, v in options if not label.startswith("<module>")), None)
            method = method or (values[0] if values else None)
        self._picking = True  # new options would draw their first method: draw only ours
        try:
            self.method_picker.options = options
            self.method_picker.value = method
        finally:
            self._picking = False
        if method is not None:
            self.show(*method)

    _picking = False

    def _on_module_picked(self, change) -> None:
        if not self._picking:
            self._on_module(change)

    def _on_method(self, change) -> None:
        if change["new"] is not None and not self._picking:
            self.show(*change["new"])

    def show(self, module: int, method_id: int) -> None:
        """Show one method: its graph, metrics and findings."""
        if self.graph_view is None:
            return
        self.graph_view.show(method_id, module=module)
        self.metrics.value = "<b>metrics</b>" + table_html(
            method_metrics(self.tables, module, method_id)
        )
        mine = findings_of(self.findings, self.tables, module, method_id)
        shown = None if mine is None else mine[["rule_id", "severity", "line", "message"]]
        self.method_findings.value = "<b>findings</b>" + table_html(shown)

    # -- actions ---------------------------------------------------------------------------

    def scan(self) -> pd.DataFrame | None:
        """Run the built-in pattern rules over the store, save and show the findings."""
        from workbench.analysis.patterns import scan
        from workbench.analysis.patterns.feedback import save_findings

        try:
            found = scan(self.store)
            save_findings(self.store, found)
        except Exception as e:
            self.error.value = error_html(f"{type(e).__name__}: {e}")
            return None
        self.refresh()
        return found

    def generate(self):
        """Generate the missing CPGs, shown in the Generation tab; then refresh."""
        self.generate_button.disabled = True
        self.progress.reset()
        try:
            report = self.store.generate(progress=self.progress, quiet=True)
        except Exception as e:
            self.error.value = error_html(f"{type(e).__name__}: {e}")
            return None
        finally:
            self.generate_button.disabled = False
        self.refresh()
        return report

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
