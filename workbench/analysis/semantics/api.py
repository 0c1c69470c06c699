"""CPGSemantics: one object per program that answers semantic questions as DataFrames and
caches the answers, as :class:`~workbench.analysis.cpgmath.CPGMath` does for algorithms.

Results are keyed by the program's content (a store's module hashes; an in-memory project
never changes) and the request; they live in a memory LRU and, for a store, in its
``analysis_cache`` table when they took long enough to compute. The program's tables and its
dependence graph are read once and read again only when the store changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from workbench import telemetry
from workbench.analysis.cache import CacheKey, ResultCache, params_hash
from workbench.analysis.cpgmath import CPGMath, _attrs_table, _frame
from workbench.analysis.semantics import paths as _paths
from workbench.analysis.semantics import slicing as _slicing
from workbench.analysis.semantics.sdg import DependenceGraph, _equal
from workbench.analysis.tables import NODE_KINDS, CodeTables
from workbench.cpg.schema import EdgeKind, NodeKind
from workbench.errors import WorkbenchError

__all__ = ["CPGSemantics"]

_TIMING_COLUMNS = ["analysis", "cache", "rows", "compute_seconds", "seconds"]
_PARAM = NODE_KINDS.index(str(NodeKind.METHOD_PARAMETER_IN))


class CPGSemantics:
    """Semantic analyses of a program.

    Parameters
    ----------
    source
        A :class:`~workbench.store.Store` (with CPGs), a project from
        :func:`workbench.build_project` or a CPG.
    memory_budget
        Bytes of results held in memory.
    persist, persist_min_seconds
        Keep results that took at least this long in the store's ``analysis_cache``.
    call_graph
        For a project: follow its value-flow call graph (method calls on objects, calls
        through variables, decorators...) besides the calls its CPGs resolve by name. A
        store follows the CALL edges it holds: ``workbench generate --call-graph`` saves
        the value-flow ones.

    Examples
    --------
    >>> import workbench as wb
    >>> src = "def g(a):\\n    return a + 1\\n\\ndef f(x):\\n    y = g(x)\\n    return y\\n"
    >>> sem = CPGSemantics(wb.build_cpg(src, path="m.py"))
    >>> hits = sem.impact("m.g", over=("data",))  # what a change of g may affect
    >>> print(hits[hits.depth > 0][["line", "code", "depth", "edge"]].to_string(index=False))
     line     code  depth   edge
        5 y = g(x)      1 return
        6 return y      2   data
    >>> sem.slice("m.py", 6)["code"].dropna().tolist()  # what may affect `return y`
    ['def g(a):', 'def g(a):', 'a', 'return a + 1', 'def f(x):', 'x', 'y = g(x)', 'return y']
    """

    def __init__(
        self,
        source: Any,
        *,
        memory_budget: int = 64 << 20,
        persist: bool = True,
        persist_min_seconds: float = 0.5,
        call_graph: bool = True,
    ) -> None:
        from workbench.cpg.graph import CPG
        from workbench.pipeline.project import Project
        from workbench.store import Store

        if not isinstance(source, Store | Project | CPG):
            raise TypeError(
                "CPGSemantics reads a Store, a Project (build_project) or a CPG (build_cpg), "
                f"not {type(source).__name__}"
            )
        self.math = CPGMath(source, memory_budget=memory_budget, persist=persist)
        self.source = source
        self.store = self.math.store
        self.cache: ResultCache = self.math.cache
        self.persist_min_seconds = persist_min_seconds
        self.call_graph = call_graph
        self._program: tuple[str, CodeTables, dict] | None = None
        self._timings: list[dict] = []

    def __repr__(self) -> str:
        where = self.store.root if self.store is not None else type(self.source).__name__
        return f"<CPGSemantics over {where}>"

    # -- the program ---------------------------------------------------------------------

    @property
    def fingerprint(self) -> str:
        """The program's content hash (a store's), or the identity of an in-memory one."""
        if self.store is None:
            return f"memory:{id(self.source)}:{self.call_graph}"
        _, digest = self.math._store_state()
        return digest

    def _state(self) -> tuple[str, CodeTables, dict]:
        fp = self.fingerprint
        if self._program is None or self._program[0] != fp:
            tables = CodeTables.read(self.source, call_graph=self.call_graph)
            self._program = (fp, tables, {})
        return self._program

    @property
    def tables(self) -> CodeTables:
        """The program's tables (:class:`~workbench.analysis.tables.CodeTables`)."""
        return self._state()[1]

    @property
    def sdg(self) -> DependenceGraph:
        """The program's system dependence graph, built on first use."""
        _, t, derived = self._state()
        if "sdg" not in derived:
            derived["sdg"] = DependenceGraph(t)
        return derived["sdg"]

    # -- impact and slices ------------------------------------------------------------------

    def impact(
        self,
        function: str | int | None = None,
        *,
        module: str | int | None = None,
        line: int | None = None,
        variable: str | None = None,
        direction: str = "downstream",
        over: Iterable[str] = ("call", "data", "control"),
        max_depth: int | None = None,
        context_sensitive: bool = True,
        code: bool = True,
    ) -> pd.DataFrame:
        """Everything upstream or downstream of a function, a line or a variable.

        Give ``function`` (full name, or unique suffix; or a METHOD id with ``module``);
        or ``module`` and ``line``; or ``function`` and ``variable`` (its definitions when
        going downstream, its uses upstream). ``direction`` is ``downstream`` (what
        depends on the target: what a change may break), ``upstream`` (what the target
        depends on) or ``both``.

        Returns one row per statement reached (see
        :func:`~workbench.analysis.semantics.slicing.frame`): ``depth`` edges from the
        target, the ``edge`` and ``label`` it was reached over and the ``parent`` it was
        reached from; :meth:`path` reads back the chain to any hit. With ``both``, a
        ``direction`` column says which way each row was found.
        """
        _slicing._kinds(over)  # refuses what names no dependence, before any work
        over = tuple(sorted([over] if isinstance(over, str) else over))
        if direction == "both":
            parts = []
            for d in ("upstream", "downstream"):
                part = self.impact(
                    function,
                    module=module,
                    line=line,
                    variable=variable,
                    direction=d,
                    over=over,
                    max_depth=max_depth,
                    context_sensitive=context_sensitive,
                    code=code,
                )
                parts.append(part.assign(direction=d))
            return pd.concat(parts, ignore_index=True)
        params = {
            "function": function,
            "module": module,
            "line": line,
            "variable": variable,
            "direction": direction,
            "over": over,
            "max_depth": max_depth,
            "context_sensitive": context_sensitive,
            "code": code,
        }

        def compute() -> pd.DataFrame:
            sdg = self.sdg
            starts = self._targets(sdg, function, module, line, variable, direction)
            r = _slicing.reach(
                sdg,
                starts,
                direction=direction,
                over=over,
                max_depth=max_depth,
                context_sensitive=context_sensitive,
            )
            return _slicing.frame(sdg, r, code=code)

        return self._cached("impact", params, compute)

    def slice(
        self,
        module: str | int,
        line: int,
        *,
        direction: str = "backward",
        context_sensitive: bool = True,
    ) -> pd.DataFrame:
        """The program slice of the statements on a line (backward: what may affect them;
        forward: what they may affect), interprocedural through calls and returns."""
        params = {
            "module": module,
            "line": line,
            "direction": direction,
            "context_sensitive": context_sensitive,
        }

        def compute() -> pd.DataFrame:
            sdg = self.sdg
            key = self.tables.find_module(module)
            return _slicing.program_slice(
                sdg, key, _line(line), direction=direction, context_sensitive=context_sensitive
            )

        return self._cached("slice", params, compute)

    @staticmethod
    def path(hits: pd.DataFrame, node: int, direction: str | None = None) -> pd.DataFrame:
        """The chain of statements from the target to one hit of :meth:`impact` or
        :meth:`slice` (its ``node``), target first; ``direction=`` picks the search of an
        ``impact(direction="both")`` frame."""
        return _slicing.path_to(hits, node, direction)

    def _targets(self, sdg, function, module, line, variable, direction) -> np.ndarray:
        t = self.tables
        if line is not None:
            if function is not None or variable is not None:
                raise WorkbenchError("give a line (with module=) or a function, not both")
            if module is None:
                raise WorkbenchError("line= needs module= (a path, dotted name or key)")
            return _slicing.statements_on_line(sdg, t.find_module(module), _line(line))
        if function is None:
            raise WorkbenchError("impact() needs a function, or module= and line=")
        m = t.find_method(function, module)
        held = np.flatnonzero(sdg.method_of == m)
        if variable is None:
            return held
        d = _slicing._direction(direction)
        s, dst, rows = t.edges_of(EdgeKind.REACHING_DEF)
        labels = np.asarray(t.labels(rows), object)
        ends = s if d == "forward" else dst
        mine = (t.node_method[ends] == m) & (labels == variable)
        found = np.unique(sdg.stmt[ends[mine]])
        if d == "forward":
            # also definitions nothing in the method reads (read in a nested scope, or not
            # at all): parameters and assignment targets of that name
            named = np.flatnonzero(_equal(t.nodes["name"], variable))
            named = named[t.node_method[named] == m]
            binds = (t.node_kind[named] == _PARAM) | sdg.assigned[named]
            found = np.union1d(found, sdg.stmt[named[binds]])
        found = found[found >= 0]
        if not len(found):
            raise WorkbenchError(
                f"variable {variable!r} is never "
                f"{'defined' if d == 'forward' else 'used'} in {t.method_full_name[m]}"
            )
        return found

    # -- critical paths -------------------------------------------------------------------

    def costliest_path(
        self,
        method: str | int,
        *,
        module: str | int | None = None,
        loop_factor: float = 10.0,
        call_cost: float = 1.0,
    ) -> pd.DataFrame:
        """The costliest entry-to-exit path of a function (see
        :func:`~workbench.analysis.semantics.paths.costliest_path`)."""
        params = {
            "method": method,
            "module": module,
            "loop_factor": loop_factor,
            "call_cost": call_cost,
        }
        return self._cached(
            "costliest_path",
            params,
            lambda: _paths.costliest_path(
                self.tables,
                method,
                module=module,
                loop_factor=loop_factor,
                call_cost=call_cost,
            ),
        )

    def critical_paths(
        self, *, loop_factor: float = 10.0, call_cost: float = 1.0, top: int | None = None
    ) -> pd.DataFrame:
        """Every function's costliest path, costliest first."""
        params = {"loop_factor": loop_factor, "call_cost": call_cost, "top": top}
        return self._cached(
            "critical_paths", params, lambda: _paths.critical_paths(self.tables, **params)
        )

    def call_chain(self, *, weight: str = "complexity") -> pd.DataFrame:
        """The longest (costliest) chain of calls in the program."""
        return self._cached(
            "call_chain", {"weight": weight}, lambda: _paths.call_chain(self.tables, weight=weight)
        )

    def data_chain(self) -> pd.DataFrame:
        """The longest chain of data dependences in the program."""
        return self._cached("data_chain", {}, lambda: _paths.data_chain(self.sdg))

    # -- structure (coupling, cohesion, smells, summaries) ----------------------------------

    def module_coupling(self) -> pd.DataFrame:
        """Afferent/efferent coupling and instability per module."""
        from workbench.analysis.semantics import coupling

        return self._cached("module_coupling", {}, lambda: coupling.module_coupling(self.tables))

    def module_dependencies(self) -> pd.DataFrame:
        """Module-to-module dependences with their reasons."""
        from workbench.analysis.semantics import coupling

        return self._cached(
            "module_dependencies", {}, lambda: coupling.module_dependencies(self.tables)
        )

    def class_coupling(self) -> pd.DataFrame:
        """Coupling between classes (CBO, fan-in/out, WMC)."""
        from workbench.analysis.semantics import coupling

        return self._cached("class_coupling", {}, lambda: coupling.class_coupling(self.tables))

    def cohesion(self) -> pd.DataFrame:
        """LCOM4 of every class."""
        from workbench.analysis.semantics import coupling

        return self._cached("cohesion", {}, lambda: coupling.lcom4(self.tables))

    def smells(self, **thresholds: Any) -> pd.DataFrame:
        """Architectural smells with their evidence (thresholds as keywords)."""
        from workbench.analysis.semantics import smells

        return self._cached("smells", thresholds, lambda: smells.smells(self.tables, **thresholds))

    def summaries(self) -> pd.DataFrame:
        """What each function reads, writes, raises and returns."""
        from workbench.analysis.semantics import summaries

        return self._cached("summaries", {}, lambda: summaries.function_summaries(self.tables))

    # -- caching and timings --------------------------------------------------------------

    def _cached(self, name: str, params: dict, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        started = time.perf_counter()
        algorithm = f"semantics.{name}"
        key = CacheKey(self.fingerprint, algorithm, params_hash(algorithm, _plain(params)))
        hit = self.cache.get(key)
        if hit is not None:
            df = _lists(hit[0])
            self._time(name, hit[1], len(df), None, started)
            return df
        computed = time.perf_counter()
        df = compute()
        seconds = time.perf_counter() - computed
        table = _attrs_table(df, {})
        self.cache.put(key, table, seconds=seconds, store=seconds >= self.persist_min_seconds)
        self._time(name, "miss", len(df), seconds, started)
        return _lists(table)

    def _time(self, name: str, cache: str, rows: int, compute: float | None, started: float):
        row = {
            "analysis": name,
            "cache": cache,
            "rows": rows,
            "compute_seconds": compute,
            "seconds": time.perf_counter() - started,
        }
        self._timings.append(row)
        root = self.store.root if self.store is not None else None
        telemetry.emit(
            "cache", store=root, metadata={"algorithm": f"semantics.{name}", "tier": cache}
        )
        telemetry.emit(
            "semantics",
            row["seconds"],
            store=root,
            measurements={"rows": rows, **({"compute_seconds": compute} if compute else {})},
            metadata={"analysis": name, "cache": cache},
        )

    def timings(self) -> pd.DataFrame:
        """One row per request: analysis, where the answer came from, rows, seconds."""
        return pd.DataFrame(self._timings, columns=_TIMING_COLUMNS)


def _lists(table) -> pd.DataFrame:
    """A cached result as a DataFrame whose list columns hold Python lists (as the analyses
    return them), not numpy arrays."""
    import pyarrow as pa

    df = _frame(table)
    for f in table.schema:
        if pa.types.is_list(f.type) or pa.types.is_large_list(f.type):
            df[f.name] = pd.Series(table[f.name].to_pylist(), dtype=object, index=df.index)
    return df


def _line(line: Any) -> int:
    if isinstance(line, bool) or not isinstance(line, int | np.integer) or line < 1:
        raise WorkbenchError(f"line must be a positive integer, not {line!r}")
    return int(line)


def _plain(params: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}
