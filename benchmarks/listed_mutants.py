"""The mutants a review found surviving (issue 16), each applied to a copy of the repository:
every one must make ``tests/test_guarantees.py`` fail.

``make mutate`` runs mutmut's thousands of generated mutants; this runs the nine hand-written
ones by name, in about a minute, so they stay dead whatever mutmut's numbering becomes.

Usage::

    python benchmarks/listed_mutants.py [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (what the mutant breaks, file, original text, mutated text)
MUTANTS = [
    (
        "the migration verifier never raises MigrationError",
        "workbench/store/migrations.py",
        "        if not report.equal.all():",
        "        if False:",
    ),
    (
        "the verifier's `equal` ignores the content hash",
        "workbench/store/migrations.py",
        '"equal": n0 == n1 and h0 == h1',
        '"equal": n0 == n1',
    ),
    (
        "the legacy fingerprint's hash is a constant",
        "workbench/store/migrations.py",
        "digest = hashlib.sha256(json.dumps(values, default=str).encode()).hexdigest()",
        "digest = '0' * 64",
    ),
    (
        "recovery no longer removes tables the log doesn't list",
        "workbench/store/recovery.py",
        "    remove_unreferenced_folders(store, entry)\n",
        "",
    ),
    (
        "batches in flight are not re-queued when the pool breaks",
        "workbench/pipeline/scheduler.py",
        "        for items in self.in_flight.values():\n"
        "            self.suspects.extend([it] for it in items)\n",
        "",
    ),
    (
        "an executor's failure is re-raised instead of recorded",
        "workbench/pipeline/scheduler.py",
        "                out = _died(items, type(e).__name__, str(e))",
        "                raise",
    ),
    (
        "a generator-version bump no longer forces a rebuild",
        "workbench/pipeline/scheduler.py",
        ' or m["cpg_generator"] != GENERATOR',
        "",
    ),
    (
        "the worker's 'source changed since ingest' check is removed",
        "workbench/pipeline/worker.py",
        "            if src.content_hash != expected:",
        "            if False:",
    ),
    (
        "dead code no longer gets its own def-use chains",
        "workbench/passes/reaching_defs.py",
        "    if len(rpo) < n:",
        "    if False:",
    ),
]


PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:leakguard"]


def guarantee_tests(copy: Path) -> tuple[int, str]:
    """Run ``tests/test_guarantees.py`` in ``copy``: exit code and pytest's last line."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *PYTEST_ARGS, "tests/test_guarantees.py"],
        cwd=copy,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    return proc.returncode, (proc.stdout.strip().splitlines() or [""])[-1]


def run(copy: Path, mutant: tuple[str, str, str, str]) -> dict:
    """Apply ``mutant`` to ``copy``, run the guarantee tests, undo it."""
    what, rel, old, new = mutant
    path = copy / rel
    original = path.read_text()
    if original.count(old) != 1:
        return {"mutant": what, "status": "not applicable: the original text moved"}
    path.write_text(original.replace(old, new))
    t0 = time.perf_counter()
    try:
        code, last = guarantee_tests(copy)
    finally:
        path.write_text(original)
    return {
        "mutant": what,
        "status": "killed" if code == 1 else f"SURVIVED (exit {code})",
        "tests": last,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="workbench-mutants-") as tmp:
        copy = Path(tmp)
        for name in ("workbench", "tests", "data"):
            shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "conftest.py"):
            shutil.copy(ROOT / name, copy / name)
        code, last = guarantee_tests(copy)
        if code != 0:  # a kill must be the mutant's doing
            sys.exit(f"tests/test_guarantees.py does not pass without a mutant: {last}")
        results = [run(copy, m) for m in MUTANTS]
    killed = sum(r["status"] == "killed" for r in results)
    if args.json:
        print(json.dumps({"mutants": len(results), "killed": killed, "results": results}, indent=2))
    else:
        for r in results:
            print(f"{r['status']:10} {r['mutant']:62} {r.get('tests', '')}")
        print(f"\n{killed} of {len(results)} killed")
    sys.exit(0 if killed == len(results) else 1)


if __name__ == "__main__":
    main()
