"""Node, metric and graph rules: which nodes and functions they match.

- *node* rules match call sites by full name (globs) or method name, then check their
  conditions (keyword and argument values, what the value is assigned to) on the module's
  index;
- *metric* rules are conditions on a table of functions (``complexity`` (McCabe),
  ``cyclomatic``, ``fan_out``, ``nesting``, ``statements``, ``parameter_count``,
  ``cfg_nodes``, ``unreachable``) and on the call-graph metrics of the query layer
  (``pagerank``, ``betweenness``, ``closeness``, ``fan_in``, ``community``, ``impact``,
  ``reach``, computed by CPGMath with its cache);
- *graph* rules add ``in_call_cycle``: the function is in a cycle of the call graph
  (recursion, direct or mutual), over the value-flow call edges too.

A value ``{percentile: q}`` compares with the column's q-th percentile over all functions.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from workbench.analysis.patterns.program import Program
from workbench.analysis.patterns.rules import Rule
from workbench.analysis.patterns.taint import check_conditions
from workbench.cpg.schema import NodeKind, Subkind
from workbench.errors import RuleError

__all__ = ["FUNCTION_COLUMNS", "function_table", "graph_matches", "node_matches"]

#: Columns of the function table metric rules test (beside the call-graph metrics).
FUNCTION_COLUMNS = {
    "complexity": "mccabe",
    "cyclomatic": "cyclomatic",
    "fan_out": "fan_out",
    "nesting": "nesting",
    "statements": "statements",
    "parameter_count": "parameters",
    "cfg_nodes": "cfg_nodes",
    "unreachable": "unreachable",
}
_OPS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def node_matches(program: Program, rule: Rule) -> list[tuple[int, int]]:
    """(module, node) of every call site a node rule matches, sorted."""
    patterns = rule.spec["match"]
    out = []
    for (fn, nm), sites in program.call_sites.items():
        hits = [p for p in patterns if p.matches(fn, nm)]
        for m, node in sites if hits else ():
            ix = program.index(m)
            if ix.reachable[node] and any(check_conditions(ix, node, p.where) for p in hits):
                out.append((m, node))
    return sorted(out)


def function_table(program: Program, metrics: Iterable[str] = ()) -> pd.DataFrame:
    """One row per function (METHOD subkind FUNCTION): module, id, full_name, line and the
    metric columns; the call-graph ``metrics`` asked for are computed with CPGMath."""
    t = program.methods()
    cols = ["module", "id", "full_name", "line", *FUNCTION_COLUMNS, *sorted(set(metrics))]
    if t is None or not t.num_rows:
        return pd.DataFrame(columns=cols)
    t = t.filter(pc.equal(t["subkind"], str(Subkind.FUNCTION)))
    df = t.select(["module", "id", "full_name", "line", *FUNCTION_COLUMNS.values()]).to_pandas()
    df = df.rename(columns={v: k for k, v in FUNCTION_COLUMNS.items()})
    wanted = sorted(set(metrics))
    if wanted and len(df):
        df = _with_metrics(program, df, wanted)
    return df.sort_values(["module", "id"]).reset_index(drop=True)


def _with_metrics(program: Program, df: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    from workbench.analysis.cpgmath import CPGMath
    from workbench.analysis.query import METRICS

    unknown = [m for m in wanted if m not in METRICS]
    if unknown:
        raise RuleError(
            f"unknown columns {unknown}; metric rules know {sorted(FUNCTION_COLUMNS)} and "
            f"{sorted(METRICS)}"
        )
    if program.source is None:
        raise RuleError(f"call-graph metrics {wanted} need a store or a project")
    math = CPGMath(program.source, persist=True)
    for col in wanted:
        algorithm, params, result = METRICS[col]
        r = math.run(algorithm, "call", **params)
        r = r[r["kind"] == str(NodeKind.METHOD)] if "kind" in r else r
        values = r[["module", "id", result]].rename(columns={result: col})
        values = values.astype({"module": "int64", "id": "int64"})
        df = df.astype({"module": "int64", "id": "int64"}).merge(
            values, on=["module", "id"], how="left"
        )
    return df


def _cycle_members(program: Program) -> set[tuple[int, int]]:
    import networkx as nx

    g = nx.DiGraph()
    g.add_edges_from(program.call_graph_edges)
    out: set[tuple[int, int]] = set()
    for comp in nx.strongly_connected_components(g):
        if len(comp) > 1:
            out |= comp
        else:
            (n,) = comp
            if g.has_edge(n, n):
                out.add(n)
    return out


def graph_matches(program: Program, rule: Rule, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of the function table a metric or graph rule matches."""
    where = rule.spec["where"]
    cols = {c for c, _, _ in where}
    unknown = cols - set(FUNCTION_COLUMNS)
    df = table if table is not None else function_table(program, unknown)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        df = function_table(program, missing)
    if df.empty:
        return df
    mask = np.ones(len(df), dtype=bool)
    for col, op, value in where:
        values = pd.to_numeric(df[col], errors="coerce") if col != "community" else df[col]
        if isinstance(value, dict):
            value = (
                float(np.nanpercentile(values.astype(float), value["percentile"]))
                if len(df)
                else 0.0
            )
        mask &= np.asarray(_OPS[op](values, value).fillna(False), dtype=bool)
    if rule.spec.get("in_call_cycle") is not None:
        members = _cycle_members(program)
        inside = np.array(
            [(m, i) in members for m, i in zip(df["module"], df["id"], strict=True)], dtype=bool
        )
        mask &= inside if rule.spec["in_call_cycle"] else ~inside
    return df[mask]
