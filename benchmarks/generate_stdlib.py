"""End-to-end progressive generation of the running interpreter's standard library.

Usage::

    python benchmarks/generate_stdlib.py [--json] [--workers N] [--limit N]

In one run, on a copy of the stdlib: ingest -> migrate -> generate -> committed, once with 1
worker and once with N workers (fresh stores), then an incremental run after one file changed
(ingest + generate). Reports wall seconds, the speed-up of N workers over 1, the ratio to bare
``ast.parse`` of the same files measured in the same run, peak RSS summed over this process and
its workers (sampled), failed/skipped counts and the incremental seconds.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from workbench.pipeline import find_modules, generate
from workbench.store import Store, open_store
from workbench.store.migrations import migrate


class RssSampler:
    """Peak of the summed RSS of this process and all its descendants (from /proc)."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        me = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(me))
            self._stop.wait(self.interval)


def _tree_rss(root: int) -> int:
    parents, rss = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
            parents[int(d)] = int(fields["PPid"])
            rss[int(d)] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        except (OSError, KeyError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += [c for c, p in parents.items() if p == pid]
    return total


def end_to_end(src: Path, root: Path, workers: int) -> tuple[float, object]:
    if root.exists():
        shutil.rmtree(root)
    t = time.perf_counter()
    store = Store.create(root)
    store.ingest(src, workers=workers)
    migrate(store)
    report = generate(store, workers=workers, quiet=True)
    return time.perf_counter() - t, report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--limit", type=int, default=0, help="only the first N modules")
    args = ap.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="wb-gen-"))
    src = work / "stdlib"
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    rels = find_modules(stdlib, ["site-packages/*"])
    if args.limit:
        rels = rels[: args.limit]
    for rel in rels:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stdlib / rel, src / rel)

    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rel in rels:
            with contextlib.suppress(SyntaxError, ValueError):
                ast.parse((src / rel).read_bytes())
    parse_seconds = time.perf_counter() - t

    with RssSampler() as rss:
        seconds_1, _ = end_to_end(src, work / "store1", 1)
        seconds_n, report = end_to_end(src, work / "storen", args.workers)
        target = src / ("json/encoder.py" if "json/encoder.py" in rels else rels[len(rels) // 2])
        target.write_text(target.read_text() + "\n\ndef added_by_benchmark():\n    return 1\n")
        t = time.perf_counter()
        store = open_store(work / "storen")
        store.ingest(src, workers=args.workers)
        inc = generate(store, workers=args.workers, quiet=True)
        incremental = time.perf_counter() - t
    out = {
        "modules": len(rels),
        "seconds_1": round(seconds_1, 2),
        "seconds_n": round(seconds_n, 2),
        "workers": args.workers,
        "speedup": round(seconds_1 / seconds_n, 2),
        "parse_seconds": round(parse_seconds, 2),
        "ratio_to_parse_n": round(seconds_n / parse_seconds, 2),
        "peak_rss_mb": round(rss.peak / 2**20, 1),
        "ok": report.ok,
        "failed": report.failed,
        "skipped": report.skipped,
        "incremental_seconds": round(incremental, 3),
        "incremental_rebuilt": inc.planned,
    }
    shutil.rmtree(work)
    if args.json:
        print(json.dumps(out))
    else:
        print(f"Generation benchmark: standard library of Python {sys.version.split()[0]}")
        for k, v in out.items():
            print(f"  {k:<22} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
