"""Mutation score of the modules that carry the project's guarantees (``make mutate``).

Runs `mutmut <https://mutmut.readthedocs.io>`_ over the files ``[tool.mutmut] only_mutate``
names in ``pyproject.toml`` (the store's log, migrations, maintenance and staging, the
pipeline's scheduler, worker and repair, and the passes), then prints, per module, how many
mutants were made, killed (a test failed, or it timed out) and survived (every test passed, or
no test ran the mutated function), and the score ``killed / (killed + survived)``.

Results are cached in ``mutants/`` by mutmut: a second run only re-tests functions that
changed. Lines whose mutants are equivalent (no test could tell them apart from the original:
a log message's wording, a cache size) carry ``# pragma: no mutate`` with the reason; they
are listed with ``--excluded``.

Usage::

    python benchmarks/mutation.py                 # run (incrementally) and report
    python benchmarks/mutation.py --no-run --json # report the cached results as JSON
    python benchmarks/mutation.py workbench.store.log workbench.passes.cdg  # re-run these
    python benchmarks/mutation.py --sample 40 --seed 1  # 40 random mutants per module

All 3,400 mutants take more than a day on 2 cores (a mutant of the store's log is covered by
about a hundred real-store tests, two minutes when it survives). ``--sample N`` runs N mutants
per module, drawn at random with ``--seed``, and reports each score with its 95 % Wilson
interval (mutant sampling: Wong & Mathur 1995 found a 10 % random sample estimates the full
score within a few points).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import random
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: mutmut's exit codes of a mutant's test run, by what they mean for the score.
KILLED = {1, 3, 24, -24, 36, 152, 255, 37}  # a test failed, pytest errored, timed out
SURVIVED = {0, 5, 33}  # every test passed, or no test covers the function
SKIPPED = {34}
PRAGMA = re.compile(r"#\s*pragma:\s*no mutate\b[:\s]*(.*)$")
#: Functions that run in child processes, by the function whose tests start those processes.
#: mutmut learns which tests cover a function by tracing the test process only, so without
#: this it would never run the generation tests against a mutant of the worker; the children
#: inherit the active mutant (``MUTANT_UNDER_TEST``) and import the mutated copy.
CHILD_PROCESS_FUNCTIONS = {
    "workbench.pipeline.scheduler.x_process_pool": [
        "workbench.pipeline.worker.x_build_batch",
        "workbench.pipeline.worker.x__type",
        "workbench.pipeline.worker.x__msg",
        "workbench.pipeline.worker.x__deadline",
        "workbench.pipeline.scheduler.x_die_with_parent",
        "workbench.pipeline.scheduler.x__set_pdeathsig",
        "workbench.pipeline.scheduler.x__watch_parent",
        "workbench.pipeline.scheduler.x__die",
    ],
}


#: Tests that run the pool machinery in a fresh interpreter (kill -9 of the parent, a fork
#: server), by the functions they check: invisible to mutmut's tracing like the above.
_POOL = [
    "workbench.pipeline.scheduler.x_process_pool",
    "workbench.pipeline.scheduler.x_die_with_parent",
    "workbench.pipeline.scheduler.x__set_pdeathsig",
    "workbench.pipeline.scheduler.x__watch_parent",
    "workbench.pipeline.scheduler.x__die",
]
FRESH_INTERPRETER_TESTS = {
    "tests/test_workers.py::": _POOL,
    "tests/test_guarantees.py::test_pool_workers_started_by_a_fork_server_run": _POOL,
}


def scope() -> list[Path]:
    """The source files mutated, from ``[tool.mutmut] only_mutate``."""
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    files = sorted((ROOT / "workbench").rglob("*.py"))
    rel = [f.relative_to(ROOT).as_posix() for f in files]
    return [
        Path(r)
        for r in rel
        if any(fnmatch.fnmatch(r, p) for p in cfg["only_mutate"]) and not r.endswith("__init__.py")
    ]


def module_name(path: Path) -> str:
    return path.with_suffix("").as_posix().replace("/", ".")


def mutant_names(path: Path) -> list[str]:
    """Every mutant mutmut makes of ``path``, by the name ``mutmut run`` takes."""
    from mutmut.mutation.file_mutation import mutate_file_contents
    from mutmut.utils.format_utils import get_mutant_name

    made = mutate_file_contents(str(path), (ROOT / path).read_text(), None, None)
    return [get_mutant_name(path, name) for name in made.mutant_names]


def choose(files: list[Path], modules: list[str], sample: int | None, seed: int) -> list[str]:
    """The mutants to run: every mutant of ``modules``, or else every mutant (or ``sample`` per
    module, drawn at random with ``seed``) that has no cached result."""
    rng = random.Random(seed)
    chosen = []
    for path in files:
        if modules and module_name(path) not in modules:
            continue
        names = mutant_names(path)
        if sample:
            names = sorted(rng.sample(names, min(sample, len(names))))
        if not modules:
            done = cached(path)
            names = [n for n in names if done.get(n) is None]
        chosen += names
    return chosen


def cached(path: Path) -> dict[str, int | None]:
    """mutmut's exit code of each mutant of ``path`` (None: not run yet)."""
    meta = ROOT / "mutants" / f"{path.as_posix()}.meta"
    return json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}


def run_mutmut(names: list[str], max_children: int | None) -> float:
    """``mutmut run`` of ``names``; seconds taken.

    A first run of one of them generates the mutants and collects which tests cover which
    function; that map is completed with :data:`CHILD_PROCESS_FUNCTIONS` before the run
    proper.
    """
    exe = str(Path(sys.executable).with_name("mutmut"))
    extra = ["--max-children", str(max_children)] if max_children else []
    log = Path(tempfile.gettempdir()) / "workbench-mutmut.log"
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        _mutmut([exe, "run", *extra, names[0]], fh, log)
        add_child_process_coverage(ROOT / "mutants" / "mutmut-stats.json")
        _mutmut([exe, "run", *extra, *names], fh, log)
    return time.perf_counter() - t0


def wilson(killed: int, tested: int, z: float = 1.96) -> tuple[float, float] | None:
    """The 95 % Wilson score interval of ``killed / tested``, in percent.

    >>> wilson(38, 40)
    (83.5, 98.6)
    """
    if not tested:
        return None
    p = killed / tested
    mid = (p + z * z / (2 * tested)) / (1 + z * z / tested)
    half = z * math.sqrt(p * (1 - p) / tested + z * z / (4 * tested * tested))
    half /= 1 + z * z / tested
    return round(100 * (mid - half), 1), round(100 * (mid + half), 1)


def _mutmut(cmd: list[str], fh, log: Path) -> None:
    proc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        fh.flush()
        tail = log.read_text(errors="replace")[-3000:]
        sys.exit(f"{' '.join(cmd[1:2])} failed (exit {proc.returncode}); end of {log}:\n{tail}")


def add_child_process_coverage(stats_file: Path) -> None:
    """Credit the functions of :data:`CHILD_PROCESS_FUNCTIONS` with the tests of the function
    that starts their processes, and those of :data:`FRESH_INTERPRETER_TESTS` with those
    tests."""
    stats = json.loads(stats_file.read_text())
    tests = stats["tests_by_mangled_function_name"]
    for parent, children in CHILD_PROCESS_FUNCTIONS.items():
        for child in children:
            tests[child] = sorted(set(tests.get(child, [])) | set(tests.get(parent, [])))
    known = list(stats["duration_by_test"])
    for prefix, functions in FRESH_INTERPRETER_TESTS.items():
        chosen = {t for t in known if t.startswith(prefix)}
        for f in functions:
            tests[f] = sorted(set(tests.get(f, [])) | chosen)
    stats_file.write_text(json.dumps(stats, indent=4))


def results(files: list[Path]) -> dict[str, dict]:
    """Per module: mutants, killed, survived, skipped, not checked, score, survivors."""
    out = {}
    for path in files:
        codes = cached(path)
        count: Counter = Counter()
        survivors = []
        for name, code in sorted(codes.items()):
            if code in KILLED:
                count["killed"] += 1
            elif code in SURVIVED:
                count["survived"] += 1
                survivors.append(name)
            elif code in SKIPPED:
                count["skipped"] += 1
            elif code is None:
                count["not_checked"] += 1
            else:
                # the test process died of a signal (mutmut calls it "segfault"): no kill, for
                # pipeline mutants that plain pytest does not notice were seen to end so (-9)
                count["survived"] += 1
                survivors.append(f"{name} (crashed: exit code {code})")
        tested = count["killed"] + count["survived"]
        out[module_name(path)] = {
            "mutants": len(codes),
            "killed": count["killed"],
            "survived": count["survived"],
            "skipped": count["skipped"],
            "not_checked": count["not_checked"],
            "score": round(100 * count["killed"] / tested, 1) if tested else None,
            "ci95": wilson(count["killed"], tested),
            "survivors": survivors,
        }
    return out


def excluded(files: list[Path]) -> list[dict]:
    """Lines marked ``# pragma: no mutate``, with the reason given."""
    rows = []
    for path in files:
        for i, line in enumerate((ROOT / path).read_text().splitlines(), 1):
            m = PRAGMA.search(line)
            if m:
                rows.append({"file": path.as_posix(), "line": i, "why": m.group(1).strip()})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", help="re-run every mutant of these modules only")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--no-run", action="store_true", help="report the cached results only")
    ap.add_argument("--max-children", type=int, help="parallel mutant runs (default: cores)")
    ap.add_argument("--excluded", action="store_true", help="list the excluded lines")
    ap.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    ap.add_argument("--fail-under", type=float, help="exit 1 if the total score is lower")
    ap.add_argument("--sample", type=int, help="run this many random mutants per module")
    ap.add_argument("--seed", type=int, default=0, help="of the --sample draw (default 0)")
    args = ap.parse_args()

    files = scope()
    known = {module_name(f) for f in files}
    unknown = sorted(set(args.modules) - known)
    if unknown:
        sys.exit(f"not in [tool.mutmut] only_mutate: {unknown}; known: {sorted(known)}")
    names = [] if args.no_run else choose(files, args.modules, args.sample, args.seed)
    seconds = run_mutmut(names, args.max_children) if names else None
    per_module = results(files)
    total = {
        k: sum(r[k] for r in per_module.values())
        for k in ("mutants", "killed", "survived", "skipped", "not_checked")
    }
    tested = total["killed"] + total["survived"]
    total["score"] = round(100 * total["killed"] / tested, 1) if tested else None
    total["ci95"] = wilson(total["killed"], tested)
    skipped_lines = excluded(files)
    report = {
        "modules": {
            m: {k: v for k, v in r.items() if k != "survivors"} for m, r in per_module.items()
        },
        "total": total,
        "excluded_lines": len(skipped_lines),
        "seconds": None if seconds is None else round(seconds, 1),
    }
    if args.json:
        if args.survivors:
            report["survivors"] = {m: r["survivors"] for m, r in per_module.items()}
        if args.excluded:
            report["excluded"] = skipped_lines
        print(json.dumps(report, indent=2))
    else:
        head = (
            f"{'module':40} {'mutants':>8} {'killed':>7} {'survived':>8} {'unrun':>6} {'score':>6}"
            f" {'95% interval':>13}"
        )
        print(head)
        print("-" * len(head))
        for m, r in {**per_module, "total": total}.items():
            score = "-" if r["score"] is None else f"{r['score']:.1f}"
            ci = "-" if r["ci95"] is None else f"{r['ci95'][0]:.1f}-{r['ci95'][1]:.1f}"
            print(
                f"{m:40} {r['mutants']:8} {r['killed']:7} {r['survived']:8} "
                f"{r['not_checked'] + r['skipped']:6} {score:>6} {ci:>13}"
            )
        print(f"\nexcluded lines (# pragma: no mutate): {len(skipped_lines)}")
        if seconds is not None:
            print(f"mutmut run: {seconds:.0f} s")
        if args.excluded:
            for row in skipped_lines:
                print(f"  {row['file']}:{row['line']}: {row['why']}")
        if args.survivors:
            for r in per_module.values():
                for name in r["survivors"]:
                    print(f"  survived: {name}")
    if args.fail_under is not None and (total["score"] or 0) < args.fail_under:
        sys.exit(1)


if __name__ == "__main__":
    main()
