"""Running rules: :class:`PatternMatcher` and :func:`scan`.

A scan reads a store (its built CPGs and saved call edges), a project, or a source folder or
file (built in memory, with the value-flow call graph), runs every rule and returns the
findings as a DataFrame in the ``findings`` schema, with stable fingerprints, inline
suppressions applied and, when a baseline is given, only the findings it does not hold.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from workbench import telemetry
from workbench.analysis.patterns import findings as F
from workbench.analysis.patterns.matcher import function_table, graph_matches, node_matches
from workbench.analysis.patterns.program import Program
from workbench.analysis.patterns.rules import Rule, RuleSet, load_rules
from workbench.analysis.patterns.taint import TaintEngine
from workbench.errors import WorkbenchError

__all__ = ["PatternMatcher", "scan"]


def _program(source) -> Program:
    from workbench.pipeline.project import Project, build_project
    from workbench.store import Store

    if isinstance(source, Program):
        return source
    if isinstance(source, Store):
        return Program.from_store(source)
    if isinstance(source, Project):
        return Program.from_project(source)
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        if p.is_file():
            if p.suffix != ".py":
                raise WorkbenchError(f"{p}: not a Python file (.py); give a .py file or a folder")
            import shutil
            import tempfile

            tmp = Path(tempfile.mkdtemp(prefix="workbench-scan-"))
            try:
                shutil.copy(p, tmp / p.name)
                prog = Program.from_project(build_project(tmp))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            prog.root = p.parent
            return prog
        if p.is_dir():
            return Program.from_project(build_project(p))
        raise WorkbenchError(f"{p}: no such file or folder to scan")
    raise WorkbenchError(
        f"cannot scan a {type(source).__name__}: give a Store, a Project or a path"
    )


class PatternMatcher:
    """Runs pattern rules over a store, a project or a source tree.

    Parameters
    ----------
    source
        A :class:`~workbench.store.Store`, a :func:`~workbench.build_project` result, or a
        path to a folder or a ``.py`` file (built in memory).
    rules
        A :class:`RuleSet`, rule files / folders, or None for the built-in rules.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "app.py").write_text(
    ...     "import hashlib, subprocess\\n"
    ...     "def digest(data):\\n"
    ...     "    return hashlib.md5(data).hexdigest()\\n"
    ...     "def run():\\n"
    ...     "    subprocess.run(input(), shell=True)\\n")
    >>> found = PatternMatcher(root).run()
    >>> found[["rule_id", "line", "cwe"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'rule_id': 'py.weak-hash', 'line': 3, 'cwe': [327, 328]},
     {'rule_id': 'py.command-injection', 'line': 5, 'cwe': [78]},
     {'rule_id': 'py.subprocess-shell-true', 'line': 5, 'cwe': [78]}]
    """

    def __init__(self, source, rules: RuleSet | str | os.PathLike | Iterable | None = None) -> None:
        self.program = _program(source)
        self.rules = rules if isinstance(rules, RuleSet) else load_rules(rules)
        #: seconds per rule of the last run (``taint``: every taint rule, run together)
        self.timings: dict[str, float] = {}
        self.suppressed: pd.DataFrame = F.to_frame([])

    def run(
        self, *, suppress: bool = True, baseline: str | os.PathLike | None = None
    ) -> pd.DataFrame:
        """Every finding of every rule (sorted, fingerprinted).

        Parameters
        ----------
        suppress
            Drop findings whose line (or the line above) carries ``# workbench: ignore``
            (optionally ``[rule ids]``) or ``# nosec``; they are kept in :attr:`suppressed`.
        baseline
            A baseline file (:func:`~workbench.analysis.patterns.findings.write_baseline`):
            report only the findings it does not hold.
        """
        with telemetry.span("scan") as span:
            rows: list[dict] = []
            functions = None
            taint = [r for r in self.rules if r.kind == "taint"]
            if taint:  # one engine for every taint rule: they share the propagation
                t0 = time.perf_counter()
                for rule, hit in TaintEngine(self.program, taint, self.rules.semantics).run():
                    rows.append(self._row(rule, *hit.sink, source=hit.source, trace=hit.trace))
                self.timings["taint"] = time.perf_counter() - t0
            for rule in self.rules:
                t0 = time.perf_counter()
                if rule.kind == "node":
                    rows += [self._row(rule, m, n) for m, n in node_matches(self.program, rule)]
                elif rule.kind == "taint":
                    continue
                else:
                    if functions is None:
                        functions = function_table(self.program)
                    for r in graph_matches(self.program, rule, functions).itertuples():
                        rows.append(self._row(rule, r.module, r.id, method_row=True))
                self.timings[rule.id] = time.perf_counter() - t0
            df = F.to_frame(rows)
            if suppress:
                df, self.suppressed = F.apply_suppressions(df, _Sources(self.program))
            if baseline is not None:
                df = F.new_findings(df, F.read_baseline(baseline))
            span.measurements.update(
                {
                    "rules": len(self.rules),
                    "findings": len(df),
                    "modules": len(self.program.modules),
                }
            )
        return df.reset_index(drop=True)

    def _row(
        self, rule: Rule, module: int, node: int, *, source=None, trace=(), method_row=False
    ) -> dict:
        ix = self.program.index(module)
        unit = node if method_row else ix.unit(node)
        method = ix.full_name[unit] if ix.kind[unit] in ("METHOD",) else None
        row = {
            "module": module,
            "fingerprint": None,
            "rule_id": rule.id,
            "rule_version": rule.version,
            "kind": rule.kind,
            "severity": rule.severity,
            "cwe": list(rule.cwe),
            "category": rule.category,
            "message": rule.message,
            "path": ix.ref.path,
            "method": method,
            "line": ix.line[node],
            "col": ix.col[node],
            "end_line": ix.end_line[node],
            "node": node,
            "code": ix.code[node]
            if not method_row
            else (ix.code[ix.parent[node]] if ix.parent[node] is not None else None),
            "source_module": None,
            "source_line": None,
            "source_code": None,
            "trace": [],
        }
        if source is not None:
            six = self.program.index(source[0])
            row.update(
                source_module=source[0],
                source_line=six.line[source[1]],
                source_code=six.code[source[1]],
            )
        if trace:
            row["trace"] = [
                {"module": m, "id": i, "line": self.program.index(m).line[i]} for m, i in trace
            ]
        return row


class _Sources:
    """Module path -> source text, read from the program's source root on demand."""

    def __init__(self, program: Program) -> None:
        self.root = Path(program.root) if program.root is not None else None
        self._cache: dict[str, str | None] = {}

    def get(self, path: str, default=None):
        if path not in self._cache:
            text = None
            if self.root is not None:
                try:
                    text = (self.root / path).read_text(encoding="utf-8", errors="replace")
                except OSError:
                    text = None
            self._cache[path] = text
        v = self._cache[path]
        return default if v is None else v

    def __getitem__(self, path: str) -> str:
        v = self.get(path)
        if v is None:
            raise KeyError(path)
        return v

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self.get(path) is not None


def scan(source, rules=None, *, suppress: bool = True, baseline=None) -> pd.DataFrame:
    """Run pattern rules (default: the built-in ones) and return the findings.

    See :class:`PatternMatcher`.
    """
    return PatternMatcher(source, rules).run(suppress=suppress, baseline=baseline)
