"""Whole source trees: find the modules, build each one's CPG, link calls across modules.

A module that cannot be built (syntax error, bad encoding, too large...) is recorded with its
error and never affects the others.

Examples
--------
>>> import pathlib, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "pkg").mkdir()
>>> _ = (root / "pkg" / "__init__.py").write_text("from .util import helper\\n")
>>> _ = (root / "pkg" / "util.py").write_text("def helper():\\n    return 1\\n")
>>> _ = (root / "app.py").write_text("import pkg\\n\\ndef main():\\n    return pkg.helper()\\n")
>>> _ = (root / "broken.py").write_text("def oops(:\\n")
>>> proj = build_project(root)
>>> proj
<Project ...: 4 modules (3 ok, 1 failed), ... methods>
>>> proj.failures[["path", "error_type", "error_line"]].to_dict("records")
[{'path': 'broken.py', 'error_type': 'ParseError', 'error_line': 1}]
>>> proj.calls().query("caller == 'app.main'")[["callee", "resolution", "callee_module"]]
        callee resolution callee_module
0  pkg.helper     import      pkg.util
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from workbench.callgraph import CallGraph, ModuleSummary, analyze
from workbench.cpg.graph import ALL_LAYERS, CPG
from workbench.cpg.schema import (
    EDGES,
    MODULES_V1,
    EdgeKind,
    NodeKind,
    ParseStatus,
)
from workbench.errors import NotFoundError, SourceError
from workbench.frontends.python import build_module
from workbench.frontends.python.repository import module_row
from workbench.frontends.python.source import DEFAULT_LIMITS, Limits, read_source
from workbench.passes.linker import link
from workbench.pipeline.callgraph import SITE_COLUMNS, call_edges
from workbench.pipeline.discover import Skipped, discover

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

__all__ = ["Project", "build_project"]


class Project:
    """The CPGs of a source tree, linked across modules.

    Attributes
    ----------
    root : Path
    cpgs : dict of str to CPG
        Per module path, for the modules that built.
    summaries : dict of str to ModuleSummary
        Per module path, the value-flow summaries the call graph is solved from.
    modules : pyarrow.Table
        One row per file in the ``modules`` (v1) schema, failures included.
    skipped : list of Skipped
        Paths that were not taken as modules (not regular files, broken symbolic links,
        names that are not UTF-8, skipped folders...), with the reason.
    """

    def __init__(
        self,
        root: Path,
        cpgs: dict[str, CPG],
        modules: pa.Table,
        skipped: Sequence[Skipped] = (),
        summaries: dict[str, ModuleSummary] | None = None,
    ) -> None:
        self.root = root
        self.cpgs = cpgs
        self.modules = modules
        self.skipped = list(skipped)
        self.summaries = summaries or {}
        self._call_graph: CallGraph | None = None

    def __repr__(self) -> str:
        ok = sum(1 for s in self.modules["parse_status"].to_pylist() if s == ParseStatus.OK)
        bad = self.modules.num_rows - ok
        methods = sum(c.methods.num_rows for c in self.cpgs.values())
        return (
            f"<Project {self.root}: {self.modules.num_rows} modules ({ok} ok, {bad} failed), "
            f"{methods} methods>"
        )

    @property
    def failures(self) -> pd.DataFrame:
        """The modules that did not build, with error type, message and position."""
        t = self.modules.filter(pc.not_equal(self.modules["parse_status"], ParseStatus.OK))
        return (
            t.sort_by("path")
            .select(
                ["path", "parse_status", "error_type", "error_message", "error_line", "error_col"]
            )
            .to_pandas()
        )

    @property
    def cpg(self) -> CPG:
        """All modules' CPGs as one (rows sorted by module key, as stored)."""
        return CPG.concat(self.cpgs.values())

    def module(self, name: str) -> CPG:
        """One module's CPG by relative path or dotted name."""
        if name in self.cpgs:
            return self.cpgs[name]
        for cpg in self.cpgs.values():
            if cpg.module.name == name:
                return cpg
        raise NotFoundError(f"no module {name!r} built in {self.root}")

    def method(self, full_name: str) -> CPG:
        """One method's subgraph by full name (``pkg.mod.C.m``)."""
        for cpg in self.cpgs.values():
            prefix = cpg.module.name + "."
            if full_name.startswith(prefix):
                try:
                    return cpg.method(full_name)
                except NotFoundError:
                    continue
        raise NotFoundError(f"no method {full_name!r} in {self.root}")

    def calls(self) -> pd.DataFrame:
        """Every call site: caller, callee (full name), resolution, callee module, line."""
        import pandas as pd

        frames = []
        by_key = {c.module.key: c.module.name for c in self.cpgs.values()}
        for cpg in self.cpgs.values():
            n = cpg.nodes
            calls = n.filter(pc.and_(pc.equal(n["kind"], NodeKind.CALL), pc.is_null(n["subkind"])))
            if not calls.num_rows:
                continue
            mnames = dict(
                zip(
                    cpg.methods["id"].to_pylist(), cpg.methods["full_name"].to_pylist(), strict=True
                )
            )
            e = cpg.edges.filter(pc.equal(cpg.edges["kind"], EdgeKind.CALL))
            target = {
                s: by_key.get(dm, cpg.module.name) if dm is not None else cpg.module.name
                for s, dm in zip(e["src"].to_pylist(), e["dst_module"].to_pylist(), strict=True)
            }
            ids = calls["id"].to_pylist()
            frames.append(
                pd.DataFrame(
                    {
                        "module": cpg.module.name,
                        "caller": [mnames[m] for m in calls["method"].to_pylist()],
                        "callee": calls["full_name"].to_pylist(),
                        "written": calls["name"].to_pylist(),
                        "resolution": calls["resolution"].to_pylist(),
                        "callee_module": [target.get(i) for i in ids],
                        "line": calls["line"].to_pylist(),
                        "id": ids,
                    }
                )
            )
        if not frames:
            return pd.DataFrame(
                columns=[
                    "module",
                    "caller",
                    "callee",
                    "written",
                    "resolution",
                    "callee_module",
                    "line",
                    "id",
                ]
            )
        return pd.concat(frames, ignore_index=True)

    def call_graph(self) -> CallGraph:
        """The project's call graph by value flow (:mod:`workbench.callgraph`), computed once.

        ``.to_pandas()`` gives its edges with their call sites and kinds, ``.to_networkx()``
        a caller -> callee :class:`networkx.DiGraph`.
        """
        if self._call_graph is None:
            self._call_graph = analyze(self.summaries.values())
        return self._call_graph

    def call_edges(self) -> pa.Table:
        """The value-flow call graph's edges into the project as ``cpg_edges`` rows (kind
        ``CALL``, label the resolution: ``points-to``, ``decorator``, ``protocol``, ...), from
        each call site's node to each callee's METHOD; see
        :func:`~workbench.pipeline.callgraph.call_edges`."""
        if not self.cpgs:
            return EDGES.empty_table()
        keys = {c.module.name: c.module.key for c in self.cpgs.values()}
        nodes = pa.concat_tables(c.nodes.select(SITE_COLUMNS) for c in self.cpgs.values())
        return call_edges(self.call_graph(), keys, nodes)

    def to_networkx(self, layers: Iterable[str] = ALL_LAYERS) -> nx.MultiDiGraph:
        """One graph of every module, nodes keyed ``(module key, id)``."""
        return self.cpg.to_networkx(layers)


def build_project(
    root: str | os.PathLike,
    *,
    exclude: Sequence[str] = (),
    limits: Limits = DEFAULT_LIMITS,
    on_module: Callable[[str, str | None], None] | None = None,
    follow_symlinks: bool = False,
) -> Project:
    """Build and link the CPGs of every Python module under ``root``.

    Parameters
    ----------
    root
        The source root: module names and keys derive from paths relative to it.
    exclude
        Glob patterns of relative paths to leave out (``"tests/*"``).
    limits
        Per-module size limits.
    on_module
        Called after each module with its path and the error type (None when it built).
    follow_symlinks
        Follow symbolic links that leave the tree and links to folders (see
        :func:`~workbench.pipeline.discover.discover`).

    Returns
    -------
    Project
        Modules that cannot be read or built are rows with their error; paths that are not
        modules at all are in :attr:`Project.skipped`.
    """
    root = Path(root)
    found = discover(root, exclude, follow_symlinks=follow_symlinks)
    cpgs: dict[str, CPG] = {}
    summaries: dict[str, ModuleSummary] = {}
    rows = []
    for rel in found.paths:
        src = read_source(root / rel, rel, limits)
        error = src.error
        if error is None:
            try:
                cpgs[rel], summaries[rel] = build_module(src.data, rel, limits=limits)
            except SourceError as e:
                error = e
        row = module_row(rel, src, error)
        rows.append(row)
        if on_module is not None:
            on_module(rel, row["error_type"])
    modules = pa.Table.from_pylist(rows, schema=MODULES_V1).sort_by("module")
    return Project(root, link(cpgs), modules, found.skipped, summaries)
