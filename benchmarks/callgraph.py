"""The value-flow call graph: its accuracy on the labelled cases, its cost on the stdlib.

Usage::

    python benchmarks/callgraph.py [--json] [--limit N] [--no-stdlib]

**Cases** (``tests/callgraph_cases``, one directory a program with its hand-written call
graph): precision, recall and the number of cases found exactly, over all edges and per
category (the implicit-call categories of the call-graph suite are their own rows); the
baseline is the builder's syntactic resolution (``Project.calls()``) on the same cases.

**Standard library** of the running interpreter, as one project: bare ``ast.parse`` of every
file (the baseline, in the same run), then the CPG build and value-flow summary of every file
(``build_seconds``: the summary uses the build's reaching definitions) and the whole-project
fixpoint (``fixpoint_seconds``). Reports the call graph's ``nodes`` and ``edges`` (caller ->
callee pairs), ``call_sites`` and ``resolved_call_sites`` (call expressions with at least one
callee), ``seconds`` (both) and their ratio to bare parsing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from build_stdlib import parse_pass, stdlib_files

from workbench.callgraph import CallGraph
from workbench.callgraph.evaluate import Score, found, read_expected, score
from workbench.callgraph.solver import Solver
from workbench.errors import WorkbenchError
from workbench.frontends.python import build_module
from workbench.pipeline.project import build_project

CASES = Path(__file__).resolve().parent.parent / "tests" / "callgraph_cases"


def syntactic(proj) -> set[tuple[str, str, str]]:
    """The baseline: the callees the builder resolves syntactically (``Project.calls()``),
    comprehensions folded into their scope as the cases name callers."""
    calls = proj.calls()
    calls = calls[calls.resolution != "unresolved"]
    return {
        (re.sub(r"\.<(listcomp|setcomp|dictcomp|genexpr)>$", "", caller), callee, "call")
        for caller, callee in zip(calls.caller, calls.callee, strict=True)
    }


def run_cases() -> dict:
    per: dict[str, list] = {}
    baseline = Score(0, 0, 0)
    for path in sorted(CASES.glob("*/*/callgraph.txt")):
        case = path.parent
        proj = build_project(case)
        expected = read_expected(path)
        baseline += score(syntactic(proj), expected)
        s = score(found(proj.call_graph()), expected)
        row = per.setdefault(case.parent.name, [Score(0, 0, 0), 0, 0])
        row[0] += s
        row[1] += 1
        row[2] += s.exact
    total = Score(0, 0, 0)
    out = {}
    for cat, (s, n, exact) in sorted(per.items()):
        total += s
        out[cat] = {"cases": n, "exact": exact, "precision": s.precision, "recall": s.recall}
    return {
        "cases": sum(v["cases"] for v in out.values()),
        "exact": sum(v["exact"] for v in out.values()),
        "precision": total.precision,
        "recall": total.recall,
        "categories": out,
        "baseline_precision": baseline.precision,
        "baseline_recall": baseline.recall,
    }


def run_stdlib(limit: int | None) -> dict:
    root, files = stdlib_files()
    files = files[:limit] if limit else files
    baseline = parse_pass(files)
    t0 = time.perf_counter()
    summaries = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            with open(path, "rb") as fh:
                data = fh.read()
            try:  # the CPG build gives the reaching definitions the summary uses
                _, summary = build_module(data, os.path.relpath(path, root))
            except WorkbenchError:
                continue
            summaries.append(summary)
    t1 = time.perf_counter()

    cg = CallGraph(Solver(summaries).solve())
    t2 = time.perf_counter()
    g = cg.to_networkx()
    return {
        "files": len(summaries),
        "parse_seconds": baseline,
        "build_seconds": t1 - t0,
        "fixpoint_seconds": t2 - t1,
        "seconds": t2 - t0,
        "ratio_to_parse": (t2 - t0) / baseline,
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "call_sites": cg.call_sites,
        "resolved_call_sites": cg.resolved_sites,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--limit", type=int, help="only the first N stdlib files")
    ap.add_argument("--no-stdlib", action="store_true", help="the cases only")
    args = ap.parse_args(argv)
    result = {"suite": run_cases()}
    if not args.no_stdlib:
        result["stdlib"] = run_stdlib(args.limit)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
        return 0
    suite = result["suite"]
    print(f"{'category':24} {'cases':>5} {'exact':>5} {'precision':>9} {'recall':>7}")
    for cat, row in suite["categories"].items():
        print(
            f"{cat:24} {row['cases']:5d} {row['exact']:5d} {row['precision']:9.3f} "
            f"{row['recall']:7.3f}"
        )
    print(
        f"{'all':24} {suite['cases']:5d} {suite['exact']:5d} {suite['precision']:9.3f} "
        f"{suite['recall']:7.3f}"
    )
    print(
        f"{'baseline (syntactic)':24} {'':5} {'':5} {suite['baseline_precision']:9.3f} "
        f"{suite['baseline_recall']:7.3f}   recall ratio "
        f"{suite['recall'] / suite['baseline_recall']:.2f}x"
    )
    if "stdlib" in result:
        s = result["stdlib"]
        print(
            f"\nstdlib: {s['files']} files, parse {s['parse_seconds']:.1f} s (baseline); "
            f"CPG + summaries {s['build_seconds']:.1f} s + fixpoint {s['fixpoint_seconds']:.1f} s "
            f"= {s['ratio_to_parse']:.2f}x parse\ncall graph: {s['nodes']} nodes, "
            f"{s['edges']} edges; {s['resolved_call_sites']}/{s['call_sites']} call sites "
            "resolved"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
