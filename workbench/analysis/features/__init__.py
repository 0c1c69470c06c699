"""ML features for models trained on code: a per-method feature table, Weisfeiler-Lehman
structural hashes and clone groups, and exports (networkx, GraphML, DOT, PyTorch Geometric).

- :mod:`.table`: :func:`method_features` (one row of numbers per method), :func:`save_features`;
- :mod:`.wl`: :func:`wl_hashes` (names and literal values left out) and :func:`clone_report`;
- :mod:`.export`: :func:`method_graph`, :func:`to_graphml`, :func:`to_dot`,
  :func:`to_pyg_arrays`, :func:`export_dataset`, :func:`load_dataset`, :func:`to_hetero_data`.

Everything reads a :class:`~workbench.analysis.tables.CodeTables` (or a CPG, a Project or a
Store, read into one) and works on all methods at once. ``docs/features.md`` describes the
columns and the formats.
"""

from workbench.analysis.features.export import (
    export_dataset,
    load_dataset,
    method_graph,
    to_dot,
    to_graphml,
    to_hetero_data,
    to_pyg_arrays,
)
from workbench.analysis.features.table import (
    FEATURES,
    method_features,
    read_features,
    save_features,
)
from workbench.analysis.features.wl import clone_report, wl_hashes

__all__ = [
    "FEATURES",
    "clone_report",
    "export_dataset",
    "load_dataset",
    "method_features",
    "method_graph",
    "read_features",
    "save_features",
    "to_dot",
    "to_graphml",
    "to_hetero_data",
    "to_pyg_arrays",
    "wl_hashes",
]
