"""Build the CPG of every module of the running interpreter's standard library.

Usage::

    python benchmarks/build_stdlib.py [--json] [--repeat N] [--limit N] [--profile]

Measures, in one process and one run: bare ``ast.parse`` of the same files (the baseline),
then the full CPG build (decode, parse, AST layer, CFG, dominators, post-dominators, CDG,
reaching definitions, calls, metrics, Arrow tables, the module's value-flow summary), then the
whole-library value-flow call graph solved from the summaries (``callgraph_seconds``;
``seconds`` and ``ratio_to_parse`` include it). Files are streamed: each tree and CPG is
dropped before the next file is read (only the summaries are kept), so the garbage collector's
cost stays what it is for one module. With ``--repeat`` both passes run N times (interleaved)
and medians are reported. ``--no-callgraph`` measures the CPG build alone.
"""

from __future__ import annotations

import argparse
import ast
import collections
import contextlib
import cProfile
import json
import os
import pstats
import resource
import statistics
import sys
import sysconfig
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import workbench as wb
from workbench.callgraph import analyze
from workbench.errors import BuildError, SourceError
from workbench.frontends.python import build_module


def stdlib_files() -> tuple[str, list[str]]:
    root = sysconfig.get_paths()["stdlib"]
    out = []
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "__pycache__"))
        out += [os.path.join(dirpath, f) for f in sorted(files) if f.endswith(".py")]
    return root, out


def parse_pass(files: list[str]) -> float:
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            with open(path, "rb") as fh:
                data = fh.read()
            with contextlib.suppress(SyntaxError, ValueError):
                ast.parse(data)
    return time.perf_counter() - t


def build_pass(root: str, files: list[str], call_graph: bool = True) -> dict:
    counts = collections.Counter()
    summaries = []
    failed: collections.Counter = collections.Counter()
    crashed = []
    t = time.perf_counter()
    for path in files:
        with open(path, "rb") as fh:
            data = fh.read()
        rel = os.path.relpath(path, root)
        try:
            if call_graph:
                cpg, summary = build_module(data, rel)
                summaries.append(summary)
            else:
                cpg = wb.build_cpg(data, rel)
        except BuildError as e:
            crashed.append(f"{rel}: {e}")
            continue
        except SourceError as e:
            failed[e.error_type] += 1
            continue
        counts["nodes"] += cpg.nodes.num_rows
        counts["edges"] += cpg.edges.num_rows
        counts["functions"] += cpg.methods["subkind"].to_pylist().count("FUNCTION")
        counts["methods"] += cpg.methods.num_rows
        del cpg
    build_seconds = time.perf_counter() - t
    cg_seconds = 0.0
    if call_graph:
        t = time.perf_counter()
        cg = analyze(summaries)
        cg_seconds = time.perf_counter() - t
        counts["call_sites"] = cg.call_sites
        counts["resolved_call_sites"] = cg.resolved_sites
        counts["callgraph_edges"] = len(cg.edges)
        del cg, summaries
    return {
        "seconds": build_seconds + cg_seconds,
        "callgraph_seconds": cg_seconds,
        "counts": counts,
        "failed": dict(failed),
        "crashed": crashed,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each pass (medians)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N files")
    ap.add_argument("--profile", action="store_true", help="print where the build time goes")
    ap.add_argument(
        "--no-callgraph", action="store_true", help="the CPG build only (no summaries, no solve)"
    )
    args = ap.parse_args(argv)

    root, files = stdlib_files()
    if args.limit:
        files = files[: args.limit]
    parse_times, build_times, cg_times = [], [], []
    result = None
    for _ in range(args.repeat):
        parse_times.append(parse_pass(files))
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
        result = build_pass(root, files, not args.no_callgraph)
        if args.profile:
            prof.disable()
        build_times.append(result["seconds"])
        cg_times.append(result["callgraph_seconds"])
    seconds = statistics.median(build_times)
    parse_seconds = statistics.median(parse_times)
    c = result["counts"]
    out = {
        "files": len(files),
        "functions": c["functions"],
        "methods": c["methods"],
        "nodes": c["nodes"],
        "edges": c["edges"],
        "failed": sum(result["failed"].values()),
        "failed_by_type": result["failed"],
        "crashed": len(result["crashed"]),
        "call_sites": c["call_sites"],
        "resolved_call_sites": c["resolved_call_sites"],
        "callgraph_edges": c["callgraph_edges"],
        "callgraph_seconds": round(statistics.median(cg_times), 3),
        "seconds": round(seconds, 3),
        "parse_seconds": round(parse_seconds, 3),
        "ratio_to_parse": round(seconds / parse_seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "repeat": args.repeat,
        "python": sys.version.split()[0],
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"CPG build of the standard library of Python {out['python']} ({root})")
        width = max(len(k) for k in out)
        for k, v in out.items():
            if k in ("python", "failed_by_type"):
                continue
            print(f"  {k:<{width}}  {v:>14,}" if isinstance(v, int) else f"  {k:<{width}}  {v:>14}")
        for t, n in sorted(result["failed"].items()):
            print(f"  failed: {t:<22} {n:>6}")
        for line in result["crashed"][:20]:
            print(f"  CRASH {line}")
        print(f"  baseline: ast.parse of the same files, same run -> ratio {out['ratio_to_parse']}")
    if args.profile:
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    return 1 if result["crashed"] else 0


if __name__ == "__main__":
    sys.exit(main())
