"""CPGSemantics and ML features on the standard library.

Usage::

    python benchmarks/semantics_stdlib.py [--json] [--limit N] [--workers N] [--keep DIR]
                                          [--store DIR] [--samples K]

1. Ingest the running interpreter's standard library into a new store, migrate it and
   generate every module's CPG (``--store DIR`` reuses a store built by ``--keep``).
2. ``read_seconds``: read every module's CPG into :class:`~workbench.analysis.tables.
   CodeTables` (the baseline of the feature steps: what touching every node once costs).
3. ``features_seconds``: the per-method feature table of every method (``functions``: how
   many), reading included (target <= 30 s on 2 cores); ``wl_seconds`` and ``clone_groups``:
   Weisfeiler-Lehman hashes of every method and the clone report.
4. ``sdg_seconds``: build the system dependence graph once (then cached, as
   :class:`~workbench.analysis.semantics.CPGSemantics` keeps it).
5. ``impact_p50_ms``: ``CPGSemantics.impact`` (downstream, source text included) of
   ``--samples`` random functions (target <= 50 ms), the result table with source text and
   the cache included; ``reach_p50_ms``: its search alone (``slicing.reach``, two phases),
   against a breadth-first search from the same statements over the same graph in networkx
   (what ``networkx.descendants`` does, from many sources; one phase, no table) -> ratio.
   ``slice_p50_ms``: backward slices of random statements (the table included), beside the
   networkx search backwards (``ancestors``). ``large_reach_p50_ms``: large searches
   (downstream of a random module's top-level statements over every edge, one phase)
   against the same networkx search -> ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np
from patterns_stdlib import stdlib_subset, step

from workbench.analysis.features import clone_report, method_features, wl_hashes
from workbench.analysis.semantics import CPGSemantics
from workbench.analysis.semantics.slicing import reach
from workbench.analysis.tables import CodeTables
from workbench.store import Store, open_store
from workbench.store.migrations import migrate


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def bfs(neighbours, starts) -> set:
    """The baseline: a breadth-first search over the networkx graph (every edge, both
    phases at once: what ``networkx.descendants``/``ancestors`` do, from many sources)."""
    seen = set(starts)
    frontier = list(seen)
    while frontier:
        nxt = []
        for u in frontier:
            for v in neighbours(u):
                if v not in seen:
                    seen.add(v)
                    nxt.append(v)
        frontier = nxt
    return seen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--limit", type=int, default=None, help="only the first N modules")
    ap.add_argument("--workers", type=int, default=None, help="generation processes")
    ap.add_argument("--keep", type=Path, default=None, help="keep the store in this folder")
    ap.add_argument("--store", type=Path, default=None, help="reuse a store built by --keep")
    ap.add_argument("--samples", type=int, default=200, help="random impact/slice requests")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="wb-semantics-"))
    try:
        if args.store is not None:
            store = open_store(args.store)
        else:
            root = stdlib_subset(args.limit, tmp / "src")
            store = Store.create(args.keep or tmp / "store")
            step("ingest")
            store.ingest(root, workers=args.workers or os.cpu_count())
            migrate(store)
            step("generate")
            store.generate(workers=args.workers, progress=None)
        out = run(store, args.samples)
        store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(out, indent=2, sort_keys=True))
        return 0
    print(
        f"{out['modules']} modules, {out['functions']} methods, "
        f"{out['statements']} statements, {out['sdg_edges']} dependences"
    )
    rows = [
        ("read every CPG (CodeTables)", f"{out['read_seconds']:.1f} s", "1.00 (baseline)"),
        (
            "feature table, reading included",
            f"{out['features_seconds']:.1f} s",
            f"{out['features_seconds'] / out['read_seconds']:.2f} (target <= 30 s)",
        ),
        (
            "WL hashes + clone report",
            f"{out['wl_seconds']:.1f} s",
            f"{out['wl_seconds'] / out['read_seconds']:.2f}",
        ),
        ("dependence graph (once)", f"{out['sdg_seconds']:.1f} s", ""),
        (
            "impact p50, the table included",
            f"{out['impact_p50_ms']:.1f} ms (p95 {out['impact_p95_ms']:.0f} ms)",
            "(target <= 50 ms)",
        ),
        (
            "its search alone (networkx BFS)",
            f"{out['reach_p50_ms']:.2f} ms ({out['impact_networkx_p50_ms']:.2f} ms)",
            f"{out['reach_ratio_to_networkx']:.2f}",
        ),
        (
            "large search p50 (networkx BFS)",
            f"{out['large_reach_p50_ms']:.1f} ms ({out['large_networkx_p50_ms']:.1f} ms)",
            f"{out['large_reach_ratio_to_networkx']:.2f} ({out['large_hits_p50']:.0f} hits)",
        ),
        (
            "slice p50 (networkx BFS)",
            f"{out['slice_p50_ms']:.1f} ms ({out['slice_networkx_p50_ms']:.2f} ms)",
            f"{out['slice_ratio_to_networkx']:.2f}",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'step':<{width}}  {'time':>24}  ratio")
    for name, t, ratio in rows:
        print(f"{name:<{width}}  {t:>24}  {ratio}")
    print(f"clone groups: {out['clone_groups']} ({out['cloned_methods']} methods)")
    return 0


def run(store: Store, samples: int) -> dict:
    step("read")
    tables, read = timed(lambda: CodeTables.read(store))
    step("features")
    features, feat = timed(lambda: method_features(store))
    step("WL hashes")
    hashes, wl = timed(lambda: wl_hashes(tables))
    clones, cr = timed(lambda: clone_report(hashes))
    step("dependence graph")
    sem = CPGSemantics(store, persist=False)
    sdg, sdg_s = timed(lambda: sem.sdg)
    g = sdg.to_networkx()
    rng = random.Random(0)
    functions = tables.methods.filter(tables.methods["subkind"].to_numpy() == "FUNCTION")
    names = functions["full_name"].to_pylist()
    keys = functions["module"].to_pylist()
    ids = functions["id"].to_pylist()
    step("impact")
    sem.tables.code(np.array([0]))  # the source text column is read once per session
    ours, core, theirs, sizes = [], [], [], []
    for i in rng.sample(range(len(names)), min(samples, len(names))):
        hits, s = timed(lambda i=i: sem.impact(ids[i], module=keys[i]))
        ours.append(s)
        sizes.append(len(hits))
        m = tables.gid(keys[i], ids[i])
        starts = np.flatnonzero(sdg.method_of == m)
        _, s = timed(lambda st=starts: reach(sdg, st, direction="forward"))
        core.append(s)
        as_list = starts.tolist()
        _, s = timed(lambda st=as_list: bfs(g.successors, st))
        theirs.append(s)
    step("slice")
    lines = tables.node_line[sdg.vertices]
    mods = tables.node_module[sdg.vertices]
    own = sdg.vertices != sdg.method_of
    pool = np.flatnonzero(own & (lines > 0))
    s_ours, s_theirs = [], []
    for v in rng.sample(pool.tolist(), min(samples, len(pool))):
        _, s = timed(lambda v=v: sem.slice(int(mods[v]), int(lines[v])))
        s_ours.append(s)
        _, s = timed(lambda v=v: bfs(g.predecessors, [v]))
        s_theirs.append(s)
    step("large searches")
    # large reaches: downstream of a random module's top-level statements (its imports,
    # constants, defs) over every edge in one phase (context-insensitive), what
    # networkx.descendants answers
    big_ours, big_theirs, big_sizes = [], [], []
    module_keys = tables.modules["module"].to_pylist()
    for key in rng.sample(module_keys, min(max(samples // 10, 5), len(module_keys))):
        starts = np.flatnonzero(sdg.method_of == tables.gid(key, 0))
        r, s = timed(lambda st=starts: reach(sdg, st, direction="forward", context_sensitive=False))
        big_ours.append(s)
        big_sizes.append(len(r.vertices))
        as_list = starts.tolist()
        _, s = timed(lambda st=as_list: bfs(g.successors, st))
        big_theirs.append(s)
    p50 = statistics.median
    return {
        "large_reach_p50_ms": round(p50(big_ours) * 1000, 2),
        "large_networkx_p50_ms": round(p50(big_theirs) * 1000, 2),
        "large_reach_ratio_to_networkx": round(p50(big_ours) / p50(big_theirs), 3),
        "large_hits_p50": p50(big_sizes),
        "modules": tables.modules.num_rows,
        "functions": len(features),
        "statements": len(sdg),
        "sdg_edges": len(sdg.src),
        "read_seconds": round(read, 2),
        "features_seconds": round(feat, 2),
        "wl_seconds": round(wl + cr, 2),
        "clone_groups": len(clones),
        "cloned_methods": int(clones["size"].sum()) if len(clones) else 0,
        "sdg_seconds": round(sdg_s, 2),
        "impact_p50_ms": round(p50(ours) * 1000, 2),
        "impact_p95_ms": round(float(np.percentile(ours, 95)) * 1000, 2),
        "impact_hits_p50": p50(sizes),
        "impact_hits_max": max(sizes),
        "reach_p50_ms": round(p50(core) * 1000, 3),
        "impact_networkx_p50_ms": round(p50(theirs) * 1000, 3),
        "reach_ratio_to_networkx": round(p50(core) / p50(theirs), 3),
        "slice_p50_ms": round(p50(s_ours) * 1000, 2),
        "slice_networkx_p50_ms": round(p50(s_theirs) * 1000, 3),
        "slice_ratio_to_networkx": round(p50(s_ours) / p50(s_theirs), 3),
        "samples": len(ours),
    }


if __name__ == "__main__":
    sys.exit(main())
