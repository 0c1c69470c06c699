"""Generation of the running interpreter's standard library on a Dask cluster.

Usage::

    python benchmarks/scale_out.py [--json] [--workers N] [--limit N] [--repeat N]

The stdlib is copied, ingested and migrated once; the source copy is then deleted, so every
build reads the bytes the store keeps. Each store is a fresh copy of that migrated store, and
generation runs (a) on the local process pool (the baseline, ``seconds_pool``) and (b) on a
``distributed.LocalCluster`` of N worker processes on loopback (``seconds_cluster``), with the
same number of workers; runs alternate, medians are reported. ``overhead_cluster`` is b / a.
The tables of (b) are checked equal to (a)'s: every module's status and graph hash.

(c) is the same cluster with the store on an S3-compatible server on loopback (``moto`` in
server mode, started here; ``seconds_cluster_s3``, ``overhead_s3`` = c / a): the migrated
store is uploaded, the workers read the stored bytes from it and stage their files there, and
the committer commits there. Its tables are checked equal to (a)'s too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from s3server import moto_server, new_bucket

from workbench.pipeline import find_modules, generate
from workbench.store import Store, open_store
from workbench.store.migrations import migrate


def prepared(work: Path, limit: int, workers: int) -> tuple[Path, int]:
    """A migrated store of a stdlib copy that is deleted afterwards; the module count."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    rels = find_modules(stdlib, ["site-packages/*"])
    if limit:
        rels = rels[:limit]
    src = work / "stdlib"
    for rel in rels:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stdlib / rel, src / rel)
    store = Store.create(work / "base")
    store.ingest(src, workers=workers)
    migrate(store)
    shutil.rmtree(src)  # builds read the stored bytes only
    return store.root, len(rels)


@contextmanager
def loopback_s3():
    """The tests' S3-compatible server on 127.0.0.1 (moto), the environment pointing at it,
    and a new bucket."""
    with moto_server() as env:
        os.environ.update(env)
        yield new_bucket("bench")


def upload(base: Path, url: str) -> None:
    """Copy a local store to object storage, file by file."""
    from workbench.store.objects import store_root

    root = store_root(url)
    for path in sorted(base.rglob("*")):
        if path.is_file():
            (root / path.relative_to(base).as_posix()).write_bytes(path.read_bytes())


def run(base: Path, root: Path | str, workers: int, executor=None) -> tuple[float, object, dict]:
    if isinstance(root, str):  # an object-store URL: a fresh prefix each time
        root = f"{root}/{uuid.uuid4().hex[:8]}"
        upload(base, root)
    else:
        if root.exists():
            shutil.rmtree(root)
        shutil.copytree(base, root)
    store = open_store(root)
    t = time.perf_counter()
    report = generate(store, workers=workers, executor=executor, quiet=True)
    seconds = time.perf_counter() - t
    mods = open_store(root).modules()
    tables = dict(
        zip(mods.path, zip(mods.cpg_status, mods.cpg_graph_hash, strict=True), strict=True)
    )
    store.close()
    return seconds, report, tables


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N modules")
    ap.add_argument("--repeat", type=int, default=1, help="alternating runs of each; medians")
    args = ap.parse_args(argv)

    import dask
    from distributed import Client, LocalCluster

    work = Path(tempfile.mkdtemp(prefix="wb-scale-"))
    try:
        base, modules = prepared(work, args.limit, args.workers)
        pool, cluster_s, s3_s, same = [], [], [], True
        with (
            loopback_s3() as bucket,
            dask.config.set({"temporary-directory": str(work / "dask")}),
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            for _ in range(args.repeat):
                s, report, local = run(base, work / "pool", args.workers)
                pool.append(s)
                s, creport, remote = run(
                    base, work / "cluster", args.workers, client.get_executor()
                )
                cluster_s.append(s)
                s, sreport, on_s3 = run(
                    base, f"s3://{bucket}/cluster", args.workers, client.get_executor()
                )
                s3_s.append(s)
                same &= local == remote == on_s3 and (report.ok, report.failed) == (
                    creport.ok,
                    creport.failed,
                ) == (sreport.ok, sreport.failed)
        a, b, c = statistics.median(pool), statistics.median(cluster_s), statistics.median(s3_s)
        out = {
            "modules": modules,
            "workers": args.workers,
            "repeat": args.repeat,
            "seconds_pool": round(a, 2),
            "seconds_cluster": round(b, 2),
            "seconds_cluster_s3": round(c, 2),
            "overhead_cluster": round(b / a, 3),
            "overhead_s3": round(c / a, 3),
            "ok": report.ok,
            "failed": report.failed,
            "skipped": report.skipped,
            "same_tables": same,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"Scale-out benchmark: standard library of Python {sys.version.split()[0]}")
        print(f"  {'run':<28} {'seconds':>9} {'ratio':>7}")
        print(f"  {'(a) process pool, local':<28} {a:>9.2f} {1.0:>7.2f}")
        print(f"  {'(b) LocalCluster, local':<28} {b:>9.2f} {b / a:>7.2f}")
        print(f"  {'(c) LocalCluster, S3 (moto)':<28} {c:>9.2f} {c / a:>7.2f}")
        for k in ("modules", "workers", "ok", "failed", "skipped", "same_tables"):
            print(f"  {k:<28} {out[k]}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
