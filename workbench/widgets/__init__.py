"""Notebook views of a store and a program.

The data each view draws is built by plain functions (:func:`graph_state`,
:func:`graph_figure`, :func:`reduce_progress`, :func:`migration_state`,
:func:`filter_findings`, :func:`dashboard_state`, ...), testable and benchmarked without a
browser; the widgets import ipywidgets (and plotly) when made and only copy that data into
widget state:

- :class:`Explorer`: one entry point over a store, tying the others together;
- :class:`GraphView`: one method's graph (layers, layout, search, details, a path);
- :class:`GenerationProgress`: a live generation run, usable as its ``progress`` callback;
- :class:`MigrationPanel`: the store's schema, the migration plan, migrate and roll back;
- :class:`PatternResults`: findings, their source and taint path, true/false-positive labels;
- :class:`MetricsDashboard`: telemetry and the rollout notebooks' metrics.

Everything shown that comes from analysed code or the store is HTML-escaped.
"""

from workbench.widgets.explorer import Explorer, method_metrics, method_options, module_options
from workbench.widgets.findings import (
    PatternResults,
    filter_findings,
    findings_table_html,
    snippet_html,
    sort_findings,
    trace_frame,
)
from workbench.widgets.graph_state import (
    LAYERS,
    LAYOUTS,
    GraphState,
    GraphTooLargeError,
    graph_state,
)
from workbench.widgets.graph_view import (
    GraphView,
    ProjectGraphState,
    graph_figure,
    node_details_html,
    project_figure,
    project_graph_state,
    search_nodes,
    trace_gids,
)
from workbench.widgets.metrics import (
    DashboardState,
    MetricsDashboard,
    dashboard_state,
    phase_metrics,
)
from workbench.widgets.migration import MigrationPanel, MigrationState, migration_state
from workbench.widgets.progress import (
    FAILURE_COLUMNS,
    GenerationProgress,
    ProgressState,
    failures_table,
    progress_state,
    reduce_progress,
)
from workbench.widgets.source import source_lines

__all__ = [
    "FAILURE_COLUMNS",
    "LAYERS",
    "LAYOUTS",
    "DashboardState",
    "Explorer",
    "GenerationProgress",
    "GraphState",
    "GraphTooLargeError",
    "GraphView",
    "MetricsDashboard",
    "MigrationPanel",
    "MigrationState",
    "PatternResults",
    "ProgressState",
    "ProjectGraphState",
    "dashboard_state",
    "failures_table",
    "filter_findings",
    "findings_table_html",
    "graph_figure",
    "graph_state",
    "method_metrics",
    "method_options",
    "migration_state",
    "module_options",
    "node_details_html",
    "phase_metrics",
    "progress_state",
    "project_figure",
    "project_graph_state",
    "reduce_progress",
    "search_nodes",
    "snippet_html",
    "sort_findings",
    "source_lines",
    "trace_frame",
    "trace_gids",
]
