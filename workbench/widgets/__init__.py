"""Notebook views of a program. The data each view draws is built by plain functions
(:func:`graph_state`, :func:`reduce_progress`), testable and benchmarked without a browser or
a widget library; the widgets (:class:`GenerationProgress`) import ipywidgets when made.
"""

from workbench.widgets.graph_state import (
    LAYERS,
    LAYOUTS,
    GraphState,
    GraphTooLargeError,
    graph_state,
)
from workbench.widgets.progress import (
    FAILURE_COLUMNS,
    GenerationProgress,
    ProgressState,
    failures_table,
    progress_state,
    reduce_progress,
)

__all__ = [
    "FAILURE_COLUMNS",
    "LAYERS",
    "LAYOUTS",
    "GenerationProgress",
    "GraphState",
    "GraphTooLargeError",
    "ProgressState",
    "failures_table",
    "graph_state",
    "progress_state",
    "reduce_progress",
]
