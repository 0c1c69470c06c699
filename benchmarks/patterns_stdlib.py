"""Pattern rules on the standard library, and their accuracy on the project's labelled corpus.

Usage::

    python benchmarks/patterns_stdlib.py [--json] [--limit N] [--workers N] [--keep DIR]

1. Ingest the running interpreter's standard library into a new store, migrate it and
   generate every module's CPG (``build_seconds``: the wall time of that generation, the
   baseline measured in the same run); then solve and save the value-flow call graph the
   taint engine follows (``callgraph_seconds``, not counted in the baseline).
2. Scan the store with every built-in rule (``seconds``; per kind in ``seconds_by_kind``):
   ``rules``, ``findings`` (per rule in ``findings_by_rule``), ``ratio_to_build`` =
   seconds / build_seconds (target <= 1; ``ratio_to_build_and_callgraph`` divides by both).
   A second scan with the same matcher (``rescan_seconds``) shows what the warm caches give.
3. Score the built-in rules on ``data/patterns/corpus`` (``cases``: its annotations):
   ``precision``, ``recall``, ``f1`` (target >= 0.8), and per CWE in ``by_cwe``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from workbench.analysis.patterns import PatternMatcher, load_rules
from workbench.analysis.patterns.evaluation import evaluate
from workbench.store import Store
from workbench.store.migrations import migrate


def stdlib_subset(limit: int | None, into: Path) -> Path:
    """The standard library (or its first ``limit`` modules, by path) as a source root."""
    src = Path(sysconfig.get_paths()["stdlib"])
    if limit is None:
        return src
    files = sorted(
        p for p in src.rglob("*.py") if "site-packages" not in p.parts and "test" not in p.parts
    )[:limit]
    for f in files:
        dst = into / f.relative_to(src)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dst)
    return into


def step(name: str) -> None:
    """Say on stderr which step runs (a whole-library run takes minutes)."""
    print(f"{time.strftime('%H:%M:%S')} {name}", file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--limit", type=int, default=None, help="only the first N modules")
    ap.add_argument("--workers", type=int, default=None, help="generation processes")
    ap.add_argument("--keep", type=Path, default=None, help="keep the store in this folder")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wb-patterns-"))
    try:
        root = stdlib_subset(args.limit, tmp / "src")
        store_dir = args.keep or tmp / "store"
        store = Store.create(store_dir)
        step("ingest")
        store.ingest(root, workers=args.workers or os.cpu_count())
        migrate(store)
        step("generate")
        t0 = time.perf_counter()
        report = store.generate(workers=args.workers, progress=None)
        build = time.perf_counter() - t0
        step("call graph")
        t0 = time.perf_counter()
        store.call_graph(save=True)
        callgraph = time.perf_counter() - t0
        rules = load_rules()
        step("scan")
        t0 = time.perf_counter()
        matcher = PatternMatcher(store, rules)
        found = matcher.run(suppress=False)
        seconds = time.perf_counter() - t0
        by_kind: dict[str, float] = {"taint": matcher.timings.get("taint", 0.0)}
        for r in rules:
            if r.kind != "taint":
                by_kind[r.kind] = by_kind.get(r.kind, 0.0) + matcher.timings[r.id]
        step("second scan")
        t0 = time.perf_counter()
        matcher.run(suppress=False)
        rescan = time.perf_counter() - t0
        step("corpus")
        ev = evaluate(rules)
        overall = ev.overall
        out = {
            "modules": len(matcher.program.modules),
            "build_ok": int(report.ok) if hasattr(report, "ok") else None,
            "build_seconds": round(build, 2),
            "callgraph_seconds": round(callgraph, 2),
            "ratio_to_build_and_callgraph": round(seconds / (build + callgraph), 3),
            "rules": len(rules),
            "findings": len(found),
            "findings_by_rule": found["rule_id"].value_counts().sort_index().to_dict(),
            "seconds": round(seconds, 2),
            "seconds_by_kind": {k: round(v, 2) for k, v in sorted(by_kind.items())},
            "rescan_seconds": round(rescan, 2),
            "ratio_to_build": round(seconds / build, 3),
            "cases": len(ev.expectations),
            "precision": round(overall["precision"], 3),
            "recall": round(overall["recall"], 3),
            "f1": round(overall["f1"], 3),
            "by_cwe": {
                str(r["cwe"]): round(float(r["f1"]), 3) for r in ev.by_cwe.to_dict("records")
            },
        }
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(out, indent=2, sort_keys=True))
        return
    rows = [
        ("CPG build (generate)", f"{out['build_seconds']:.1f} s", "1.00 (baseline)"),
        (
            "value-flow call graph (saved)",
            f"{out['callgraph_seconds']:.1f} s",
            f"{out['callgraph_seconds'] / build:.2f}",
        ),
        (
            "all rules, one scan",
            f"{out['seconds']:.1f} s",
            f"{out['ratio_to_build']:.2f} (target <= 1)",
        ),
        ("second scan", f"{out['rescan_seconds']:.1f} s", f"{out['rescan_seconds'] / build:.2f}"),
    ]
    print(f"{out['modules']} modules, {out['rules']} rules, {out['findings']} findings")
    print(f"{'step':36} {'time':>10}  ratio to build")
    for name, t, ratio in rows:
        print(f"{name:36} {t:>10}  {ratio}")
    print(
        f"corpus: {out['cases']} cases, precision {out['precision']:.3f}, recall "
        f"{out['recall']:.3f}, F1 {out['f1']:.3f} (target >= 0.8)"
    )
    for rule, n in out["findings_by_rule"].items():
        print(f"  {rule:32} {n:6d} findings")


if __name__ == "__main__":
    main()
