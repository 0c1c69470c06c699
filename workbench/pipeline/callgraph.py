"""The value-flow call graph of the modules a store holds (``Store.call_graph``).

The store records each module's path, dotted name and content hash; the summaries the
call-graph analysis solves are made again from the sources, for every module whose file still
has the stored content (so the graph is the one of the stored modules, never of newer files).
The result equals ``build_project(source).call_graph()`` over the same files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.compute as pc

from workbench.callgraph import CallGraph, ModuleSummary, analyze
from workbench.cpg.ids import is_package
from workbench.cpg.schema import ParseStatus
from workbench.errors import SourceError, WorkbenchError
from workbench.frontends.python.flows import summarize
from workbench.frontends.python.source import parse_source, read_source
from workbench.store import Store

__all__ = ["store_call_graph"]


def store_call_graph(store: Store, source: str | os.PathLike | None = None) -> CallGraph:
    """Solve the call graph of every module the store holds.

    Parameters
    ----------
    store
        Any store (schema v1 or v2: only the module list is read).
    source
        The source root (default: the one of the last ingest).

    Returns
    -------
    CallGraph
        Its ``left_out`` lists ``(path, reason)`` of the stored modules that were not
        analysed: the file is gone, unreadable, or changed since it was ingested.

    Raises
    ------
    WorkbenchError
        When there is no source root to read from.
    """
    root = Path(source) if source is not None else store.last_source()
    if root is None or not root.is_dir():
        raise WorkbenchError(
            f"no source tree to read the modules of {store.root} from: pass source="
        )
    mods = store.read_table("modules").select(["path", "name", "content_hash", "parse_status"])
    mods = mods.filter(pc.equal(mods["parse_status"], str(ParseStatus.OK))).sort_by("path")
    summaries: list[ModuleSummary] = []
    left_out: list[tuple[str, str]] = []
    for path, name, digest in zip(
        mods["path"].to_pylist(),
        mods["name"].to_pylist(),
        mods["content_hash"].to_pylist(),
        strict=True,
    ):
        src = read_source(root / path, path)
        if src.error is not None:
            left_out.append((path, f"{type(src.error).__name__}: {src.error}"))
            continue
        if src.content_hash != digest:
            left_out.append((path, "changed since it was ingested"))
            continue
        try:
            tree, _ = parse_source(src.data, path)
        except SourceError as e:  # cannot happen for an unchanged module that parsed
            left_out.append((path, f"{type(e).__name__}: {e}"))
            continue
        summaries.append(summarize(tree, name, is_package(path)))
    cg = analyze(summaries)
    cg.left_out = left_out
    return cg
