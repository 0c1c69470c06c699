"""Store the CPG of the running interpreter's standard library and measure the store.

Usage::

    python benchmarks/store_stdlib.py [--json] [--limit N] [--batch N] [--lookups N] [--keep DIR]

Single process: ingest (AST repository) -> migrate (v1 -> v2) -> build every module's CPG and
write it in batches -> sorted compaction -> 200 random one-function lookups, a GROUP BY over all
nodes through ``store.sql`` -> rollback. Reports write time, rows, bytes on disk per node and
per edge, lookup p50/p95, the GROUP BY time and migrate/rollback times. The baseline printed
next to the lookups is a bare ``pyarrow.parquet.read_table`` of the same module's rows from a
single sorted file, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import pyarrow.parquet as pq

import workbench as wb
from workbench.errors import SourceError
from workbench.store import Store
from workbench.store.maintenance import compact
from workbench.store.migrations import migrate, rollback


def table_bytes(store: Store, name: str) -> int:
    """Bytes of the files of the table's current version (not of replaced files that are
    kept for time travel until a vacuum)."""
    return sum(f["size"] for f in store.files(name))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="only the first N modules")
    ap.add_argument("--batch", type=int, default=200, help="modules per CPG write")
    ap.add_argument("--lookups", type=int, default=200)
    ap.add_argument("--keep", help="build the store here and keep it (no rollback at the end)")
    args = ap.parse_args(argv)

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="wb-store-"))
    root = work / "store"
    if root.exists():
        shutil.rmtree(root)
    exclude = ["site-packages/*"]
    out: dict = {}

    store = Store.create(root)
    t = time.perf_counter()
    ingest = store.ingest(stdlib, exclude=exclude)
    out["ingest_seconds"] = round(time.perf_counter() - t, 3)
    paths = sorted(store.modules().query("parse_status == 'ok'").path)
    if args.limit:
        paths = paths[: args.limit]

    t = time.perf_counter()
    migrate(store)
    out["migrate_seconds"] = round(time.perf_counter() - t, 3)

    build = write = 0.0
    nodes = edges = 0
    for i in range(0, len(paths), args.batch):
        t = time.perf_counter()
        cpgs = []
        for rel in paths[i : i + args.batch]:
            try:
                cpgs.append(wb.build_cpg((stdlib / rel).read_bytes(), rel))
            except SourceError:
                continue
        t1 = time.perf_counter()
        store.write_cpg(cpgs)
        t2 = time.perf_counter()
        build += t1 - t
        write += t2 - t1
        nodes += sum(c.nodes.num_rows for c in cpgs)
        edges += sum(c.edges.num_rows for c in cpgs)
    t = time.perf_counter()
    compact(store, ["cpg_nodes", "cpg_edges", "cpg_methods", "cpg_graphs", "modules"])
    out["compact_seconds"] = round(time.perf_counter() - t, 3)
    out.update(
        modules=len(paths),
        ingested=len(ingest.added),
        build_seconds=round(build, 3),
        write_seconds=round(write, 3),
        nodes=nodes,
        edges=edges,
        bytes_per_node=round(table_bytes(store, "cpg_nodes") / nodes, 2),
        bytes_per_edge=round(table_bytes(store, "cpg_edges") / edges, 2),
    )

    # one function's CPG: 200 random functions, warm
    methods = store.sql(
        "SELECT m.module, m.full_name, d.path FROM cpg_methods m JOIN modules d "
        "ON d.module = m.module WHERE m.subkind = 'FUNCTION'"
    )
    rng = random.Random(42)
    sample = methods.iloc[rng.sample(range(len(methods)), min(args.lookups, len(methods)))]
    store.cpg(sample.path.iloc[0])  # warm the cached datasets
    lat = []
    for row in sample.itertuples():
        t = time.perf_counter()
        store.cpg(row.path)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    out["lookup_p50_ms"] = round(statistics.median(lat), 2)
    out["lookup_p95_ms"] = round(lat[int(0.95 * (len(lat) - 1))], 2)
    node_files = store.files("cpg_nodes")
    base = []
    for row in sample.itertuples():  # bare pyarrow: the one file holding the module, filtered
        k = int(row.module)
        f = next(f for f in node_files if f["min"] <= k <= f["max"])
        t = time.perf_counter()
        pq.read_table(f["path"], filters=[("module", "=", k)])
        base.append((time.perf_counter() - t) * 1000)
    out["baseline_read_table_p50_ms"] = round(statistics.median(base), 2)

    t = time.perf_counter()
    g = store.sql("SELECT kind, count(*) AS n FROM cpg_nodes GROUP BY kind")
    out["groupby_ms"] = round((time.perf_counter() - t) * 1000, 1)
    assert g.n.sum() == nodes

    if not args.keep:
        t = time.perf_counter()
        rollback(store)
        out["rollback_seconds"] = round(time.perf_counter() - t, 3)
    out["targets_met"] = out["lookup_p50_ms"] <= 10 and (
        out["bytes_per_node"] + out["bytes_per_edge"] <= 40
    )
    if not args.keep:
        shutil.rmtree(work)

    if args.json:
        print(json.dumps(out))
    else:
        print(f"Store benchmark: standard library of Python {sys.version.split()[0]}")
        for k, v in out.items():
            print(f"  {k:<28} {v}")
        print(
            f"  lookup p50 / bare read_table p50 = "
            f"{out['lookup_p50_ms'] / out['baseline_read_table_p50_ms']:.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
