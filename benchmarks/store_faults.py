"""Fault-injection soak of the store: kill -9 at random moments, concurrent writers, checks.

Each trial runs a writer in a subprocess and kills it at a random moment (or lets two writers
race), then checks what a user relies on:

* the store opens, ``verify`` finds nothing, every module marked ``ok`` has exactly the rows
  its ``cpg_graphs`` row declares, no CPG rows belong to a module the repository lacks;
* finishing the work (ingest + generate) gives the same tables as a clean build of the same
  source (legacy fingerprints, CPG rows of every module);
* no staging folder of a dead process survives the next write.

Usage: ``python benchmarks/store_faults.py [--trials N] [--seed S] [--json]``. The trial
counts quoted in notes come from this script.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.pipeline import generate, repair  # noqa: E402
from workbench.store import Store, open_store  # noqa: E402
from workbench.store.maintenance import verify  # noqa: E402
from workbench.store.migrations import fingerprint, migrate  # noqa: E402

SAMPLE = ROOT / "data" / "sample_project"

WRITERS = {
    "generate": """
        from workbench.pipeline import generate
        from workbench.store import open_store
        generate(open_store(ROOT), workers=2, batch_size=2, commit_every=4, quiet=True)
    """,
    "ingest": """
        from workbench.store import open_store
        open_store(ROOT).ingest(SRC)
    """,
    "write_cpg": """
        import workbench as wb
        from workbench.store import open_store
        store = open_store(ROOT)
        for cpg in wb.build_project(SRC).cpgs.values():
            store.write_cpg([cpg])
    """,
    "rollback+migrate": """
        from workbench.store import open_store, migrations
        store = open_store(ROOT)
        migrations.rollback(store)
        migrations.migrate(store)
    """,
    "vacuum": """
        from workbench.store import open_store
        from workbench.store.maintenance import vacuum
        vacuum(open_store(ROOT), retention_hours=0)
    """,
    "repair": """
        from workbench.pipeline import repair
        repair(ROOT)
    """,
}


def edit(src: Path, rng: random.Random) -> None:
    """Change, add or remove a few modules of the source tree."""
    files = sorted(p for p in src.rglob("*.py") if "legacy" not in p.parts)
    for p in rng.sample(files, 3):
        choice = rng.random()
        if choice < 0.5:
            p.write_text(p.read_text() + f"\n\ndef added_{rng.randrange(10**6)}():\n    return 1\n")
        elif choice < 0.75 and p.name != "__init__.py":
            p.unlink()
        else:
            (p.parent / f"new_{rng.randrange(10**6)}.py").write_text("def n():\n    return 2\n")


def damage(store: Store, rng: random.Random) -> None:
    files = [f for name in ("cpg_nodes", "functions") for f in store.files(name)]
    path = Path(rng.choice(files)["path"])
    data = bytearray(path.read_bytes())
    data[rng.randrange(len(data))] ^= 0xFF
    path.write_bytes(bytes(data))


def check(root: Path) -> list[str]:
    """What is wrong with a store after a trial (empty: nothing)."""
    problems = []
    store = open_store(root)
    report = verify(store)
    if not report.empty:
        problems.append(f"verify: {report.problem.tolist()[:3]}")
    if store.schema_version >= 2:
        keys = set(store.read_table("modules")["module"].to_pylist())
        rows = store.sql(
            "SELECT g.module, g.status, g.nodes AS declared, count(n.id) AS actual "
            "FROM cpg_graphs g LEFT JOIN cpg_nodes n ON n.module = g.module "
            "GROUP BY g.module, g.status, g.nodes"
        )
        for r in rows.itertuples():
            if r.module not in keys:
                problems.append(f"CPG rows of a module not in the repository: {r.module}")
            elif r.status == "ok" and r.declared != r.actual:
                problems.append(f"torn module {r.module}: {r.actual} of {r.declared} nodes")
    return problems


def finish_and_compare(root: Path, src: Path, scratch: Path) -> list[str]:
    store = open_store(root)
    if store.schema_version < 2:
        migrate(store)
    store.ingest(src)
    generate(store, workers=1, retry_failed=True, quiet=True)
    clean = Store.create(scratch / f"clean-{time.monotonic_ns()}")
    clean.ingest(src)
    migrate(clean)
    generate(clean, workers=1, quiet=True)
    store = open_store(root)
    problems = []
    if fingerprint(store) != fingerprint(clean):
        problems.append("legacy tables differ from a clean build")
    a = store.modules().set_index("path").cpg_status
    b = clean.modules().set_index("path").cpg_status
    if not a.equals(b):
        problems.append("CPG statuses differ from a clean build")
    else:
        for rel in a[a == "ok"].index:
            if not store.cpg(rel).equals(clean.cpg(rel)):
                problems.append(f"CPG of {rel} differs from a clean build")
    shutil.rmtree(clean.root)
    staging = root / "_workbench" / "staging"
    left = [d.name for d in staging.iterdir()] if staging.is_dir() else []
    if left:
        problems.append(f"staging folders left: {left}")
    return problems


def spawn(kind: str, root: Path, src: Path) -> subprocess.Popen:
    code = textwrap.dedent(WRITERS[kind]).replace("ROOT", repr(str(root)))
    code = code.replace("SRC", repr(str(src)))
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def trial(kind: str, rng: random.Random, scratch: Path, concurrent: bool) -> dict:
    src = scratch / "src"
    shutil.copytree(SAMPLE, src)
    store = Store.create(scratch / "store")
    store.ingest(src)
    migrate(store)
    generate(store, workers=1, quiet=True)
    if kind == "ingest":
        edit(src, rng)
    if kind == "repair":
        damage(store, rng)
    store.close()
    procs = [spawn(kind, store.root, src)]
    if concurrent:  # a second writer: an ingest of edited sources racing the first
        edit(src, rng)
        procs.append(spawn("ingest", store.root, src))
    killed = False
    deadline = time.monotonic() + rng.uniform(0.05, 3.0)
    while time.monotonic() < deadline and any(p.poll() is None for p in procs):
        time.sleep(0.01)
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed = True
    errors = [p.communicate()[1].strip().splitlines()[-1:] for p in procs]
    codes = [p.returncode for p in procs]
    problems = [
        f"writer failed: {e}" for e, c in zip(errors, codes, strict=True) if c not in (0, -9)
    ]
    if kind == "repair" and killed:  # the damage is still there (nothing half-done): again
        repair(store.root)
    problems += check(store.root)
    problems += finish_and_compare(store.root, src, scratch)
    return {"kind": kind, "concurrent": concurrent, "killed": killed, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    results = []
    t0 = time.perf_counter()
    kinds = sorted(WRITERS)
    for i in range(args.trials):
        kind = kinds[i % len(kinds)]
        concurrent = kind in ("generate", "write_cpg") and rng.random() < 0.5
        with tempfile.TemporaryDirectory() as d:
            r = trial(kind, rng, Path(d), concurrent)
        results.append(r)
        if not args.json:
            state = "ok" if not r["problems"] else "; ".join(r["problems"])
            print(
                f"{i:>3} {kind:<17} killed={r['killed']!s:<5} concurrent={concurrent!s:<5} {state}"
            )
    summary = {
        "trials": len(results),
        "killed": sum(r["killed"] for r in results),
        "concurrent": sum(r["concurrent"] for r in results),
        "failed": sum(bool(r["problems"]) for r in results),
        "by_kind": {k: sum(r["kind"] == k for r in results) for k in kinds},
        "seconds": round(time.perf_counter() - t0, 1),
        "problems": [p for r in results for p in r["problems"]][:20],
    }
    print(json.dumps(summary, indent=None if args.json else 1))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
