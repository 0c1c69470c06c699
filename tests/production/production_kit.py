"""What the production-readiness tests share: real source trees, legacy snapshots, fresh
interpreters (the CLI, reader processes, a generation process) and picklable builders.

Nothing here fakes the store or the pipeline: stores are real folders, processes are real
processes (``subprocess`` with :data:`sys.executable`, process pools), and the only injected
faults are a builder that raises or kills its worker (as ``tests/test_generate.py::
faulty_builder`` does), bytes flipped in data files, and a real memory cap (``RLIMIT_AS``)
around a build or a parse.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import multiprocessing
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import textwrap
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

import workbench as wb
from workbench.cpg.schema import tables_for
from workbench.pipeline import scheduler
from workbench.store import Store, open_store

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SAMPLE = REPO / "data" / "sample_project"
STDLIB = Path(sysconfig.get_paths()["stdlib"])

#: The slice of the running interpreter's standard library that the default (not slow) tests
#: ingest beside the sample project: 68 modules and about 1,700 functions, some of them large
#: (``email._header_value_parser``, ``argparse``), real code nobody wrote for these tests.
STDLIB_SLICE = (
    "json",
    "email",
    "logging",
    "collections",
    "importlib",
    "argparse.py",
    "textwrap.py",
    "shlex.py",
    "string.py",
    "dataclasses.py",
)

#: The v1 (legacy) tables and their row keys (as :mod:`workbench.store.migrations` sorts them).
LEGACY = {"modules": ("module",), "functions": ("module", "qualname", "line")}


# -- source trees ------------------------------------------------------------------------------


def make_source(dst: Path, stdlib: tuple[str, ...] = STDLIB_SLICE) -> Path:
    """``dst``: the sample project plus ``stdlib`` (packages and modules of the running
    interpreter's standard library, under ``stdlib/``, without tests and caches)."""
    shutil.copytree(SAMPLE, dst, ignore=shutil.ignore_patterns("__pycache__"))
    ignore = shutil.ignore_patterns("__pycache__", "test", "tests", "idle_test")
    (dst / "stdlib").mkdir()
    for name in stdlib:
        path = STDLIB / name
        if path.is_dir():
            shutil.copytree(path, dst / "stdlib" / name, ignore=ignore)
        elif path.is_file():
            shutil.copy(path, dst / "stdlib" / name)
    return dst


def wide_module(functions: int) -> str:
    """A flat, valid module of ``functions`` small functions (about 19 CPG nodes and 76
    bytes each): large the way generated code is, never deeply nested."""
    return "".join(
        f"def f{i}(x):\n    if x > {i}:\n        return x + {i}\n    return g(x, {i})\n"
        for i in range(functions)
    )


# -- snapshots of what a store says -------------------------------------------------------------


def legacy_tables(store: Store) -> dict[str, pa.Table]:
    """Every v1 column of every legacy row, sorted by the row key: what an upgrade or a
    rollback must keep exactly."""
    out = {}
    for name, key in LEGACY.items():
        schema = tables_for(1)[name]
        t = store.read_table(name).select(schema.names)
        out[name] = t.sort_by([(k, "ascending") for k in key]).cast(schema)
    return out


def assert_legacy_equal(a: dict[str, pa.Table], b: dict[str, pa.Table]) -> None:
    """Row for row and column for column; on a difference, say which column and row."""
    assert a.keys() == b.keys()
    for name in a:
        x, y = a[name], b[name]
        assert x.schema.names == y.schema.names, name
        assert x.num_rows == y.num_rows, f"{name}: {x.num_rows} rows != {y.num_rows}"
        for col in x.schema.names:
            if not x[col].equals(y[col]):
                xs, ys = x[col].to_pylist(), y[col].to_pylist()
                i = next(i for i, (p, q) in enumerate(zip(xs, ys, strict=True)) if p != q)
                raise AssertionError(f"{name}.{col} differs at row {i}: {xs[i]!r} != {ys[i]!r}")


#: Queries a v1 user runs (each answer compared before and after an upgrade or a rollback).
LEGACY_QUERIES = (
    "SELECT parse_status, count(*) AS n FROM modules GROUP BY 1 ORDER BY 1",
    "SELECT m.path, count(f.qualname) AS functions, "
    "coalesce(sum(f.decision_points), 0) AS decisions "
    "FROM modules m LEFT JOIN functions f ON f.module = m.module GROUP BY m.path ORDER BY 1",
    "SELECT qualname, line, nesting FROM functions WHERE decision_points > 5 "
    "ORDER BY qualname, line",
    "SELECT path, error_type, error_line FROM modules WHERE parse_status <> 'ok' ORDER BY 1",
)


def legacy_answers(store: Store, every: int = 6) -> dict[str, list]:
    """The answers of :data:`LEGACY_QUERIES`, and of ``store.functions(path)`` for every
    ``every``-th module by path (the SQL answers cover all of them)."""
    out: dict[str, list] = {q: store.sql(q).values.tolist() for q in LEGACY_QUERIES}
    for path in sorted(store.modules().path)[::every]:
        fns = store.functions(path)
        out[f"functions({path})"] = fns[["qualname", "line", "end_line"]].values.tolist()
    return out


def cpg_status(store: Store) -> dict[str, str]:
    """Module path -> CPG status."""
    mods = store.modules()
    return dict(zip(mods.path, mods.cpg_status, strict=True))


# -- fresh interpreters ---------------------------------------------------------------------


def env() -> dict[str, str]:
    """The environment of a child interpreter: this worktree's ``workbench`` and this folder
    (``production_kit``) importable, the test session's marker inherited (leakguard)."""
    paths = [str(REPO), str(HERE), os.environ.get("PYTHONPATH", "")]
    out = {k: v for k, v in os.environ.items() if k != "WORKBENCH_CRASHPOINT"}
    out["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return out


#: The ``workbench`` console script, run by this interpreter from this worktree.
CLI = "import sys; sys.argv[0] = 'workbench'; from workbench.cli import main; main()"


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``workbench ARGS...`` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-c", CLI, *map(str, args)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def python(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``code`` (dedented) in a fresh interpreter, with ``args`` as ``sys.argv[1:]``."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


@contextlib.contextmanager
def started(cmd: list[str], **kw) -> Iterator[subprocess.Popen]:
    """A child process that is reaped however the block ends (killed if still running)."""
    proc = subprocess.Popen(cmd, env=env(), cwd=REPO, **kw)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


# -- builders run by generation workers (picklable: module-level functions) -----------------


#: Paths whose CPG build raises (see :func:`failing_builder`).
FAIL_BUILDS = ("bookshop/pricing.py", "stdlib/json/decoder.py")
#: A path whose build kills its worker process (see :func:`failing_builder`).
KILL_BUILDS = ("bookshop/admin.py",)


def failing_builder(data, path, limits):
    """The Python builder, except that :data:`FAIL_BUILDS` raise and :data:`KILL_BUILDS` kill
    their worker process (``os._exit``), as a builder bug or a crash in native code would."""
    if path in FAIL_BUILDS:
        raise RuntimeError(f"injected CPG build failure for {path}")
    if path in KILL_BUILDS:
        os._exit(7)
    return wb.build_cpg(data, path, limits=limits)


def _vm_size() -> int:
    """This process's virtual memory size in bytes (what ``RLIMIT_AS`` limits)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


@contextlib.contextmanager
def memory_cap(mb: float) -> Iterator[None]:
    """Let this process allocate at most ``mb`` more megabytes (of address space) inside the
    block: the kernel refuses allocations past it and Python raises ``MemoryError``, as on a
    machine whose memory is exhausted. The soft limit only is lowered, and restored after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _vm_size() + int(mb * 2**20)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextlib.contextmanager
def spawned_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers are fresh interpreters (``spawn``) that die with this
    process, as generation's own pool's do (``scheduler.die_with_parent``).

    For the memory-cap tests: a worker forked from a long-running test process inherits its
    heap, whose free space a capped build could use without growing the address space, so
    how much a cap allows would depend on what ran before; a fresh interpreter's does not."""
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=scheduler.die_with_parent
    )
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def capped_builder(data, path, limits, *, cap_mb: float):
    """The Python builder with a real memory cap of ``cap_mb`` MB around each build (use
    ``functools.partial(capped_builder, cap_mb=...)``, which pickles)."""
    with memory_cap(cap_mb):
        return wb.build_cpg(data, path, limits=limits)


# -- readers: processes that query a store while another one writes -------------------------

#: What a reader asks, each checked for internal consistency and answered as plain data.
READS = ("legacy_sql", "functions", "modules", "status_sql", "cpg_counts_sql", "cpg")


def read(store: Store, kind: str, arg: str | None):
    """One read of ``store`` (its version as of now); returns a JSON-able answer.

    Raises AssertionError when the answer contradicts itself (a CPG whose node count is not
    the one its build recorded, a module counted ``ok`` without a build row...)."""
    if kind == "legacy_sql":
        return store.sql(LEGACY_QUERIES[1]).values.tolist()
    if kind == "functions":
        fns = store.functions(arg)
        return fns[["qualname", "line", "end_line", "decision_points"]].values.tolist()
    if kind == "modules":
        cols = tables_for(1)["modules"].names
        return store.modules()[cols].astype(str).values.tolist()
    if kind == "status_sql":
        df = store.sql(
            "SELECT (SELECT count(*) FROM modules WHERE cpg_status = 'ok') AS modules_ok, "
            "(SELECT count(*) FROM cpg_graphs WHERE status = 'ok') AS graphs_ok, "
            "(SELECT count(*) FROM modules WHERE cpg_status = 'pending') AS pending"
        )
        row = df.iloc[0].tolist()
        assert row[0] == row[1], f"modules say {row[0]} CPGs are ok, cpg_graphs {row[1]}"
        return [int(x) for x in row]
    if kind == "cpg_counts_sql":
        df = store.sql(
            "SELECT g.module, g.nodes AS declared, count(n.id) AS actual FROM cpg_graphs g "
            "LEFT JOIN cpg_nodes n ON n.module = g.module WHERE g.status = 'ok' "
            "GROUP BY g.module, g.nodes ORDER BY g.module"
        )
        bad = df[df.declared != df.actual]
        assert bad.empty, f"half-written CPGs visible: {bad.values.tolist()[:3]}"
        return df.values.tolist()
    if kind == "cpg":
        cpg = store.cpg(arg)
        key = store.module_key(arg)
        (graph,) = store.read_table("cpg_graphs", pc.field("module") == key).to_pylist()
        assert graph["status"] == "ok" and graph["nodes"] == cpg.nodes.num_rows, (arg, graph)
        assert graph["methods"] == cpg.methods.num_rows, (arg, graph)
        return [cpg.nodes.num_rows, cpg.edges.num_rows, cpg.methods.num_rows, graph["graph_hash"]]
    raise ValueError(kind)


def read_again(store: Store, kind: str, arg: str | None):
    """The answer :func:`read` gives, computed another way where that is cheaper at an
    earlier version: a CPG's counts from its rows in the tables (a filtered scan) instead of
    the lookup index, which reads every small file of the version."""
    if kind != "cpg":
        return read(store, kind, arg)
    key = store.module_key(arg)
    where = pc.field("module") == key
    (graph,) = store.read_table("cpg_graphs", where).to_pylist()
    counts = [
        store.read_table(name, where, columns=["module"]).num_rows
        for name in ("cpg_nodes", "cpg_edges", "cpg_methods")
    ]
    return [*counts, graph["graph_hash"]]


def digest(answer) -> str:
    return hashlib.sha256(json.dumps(answer, default=str).encode()).hexdigest()


def reader_main(root: str, out: str, stop: str, seed: int, pause: float = 0.02) -> None:
    """A reader process: read ``root`` (always its newest version) in a loop until the file
    ``stop`` exists, pausing ``pause`` seconds between reads (a user, not a benchmark), then
    write what it read to ``out`` (JSON): per read its store version, kind, argument, answer
    digest and seconds; and every error.

    The first read done, it creates ``out + ".ready"``."""
    rng = random.Random(seed)
    records, errors = [], []
    store = open_store(root)
    ready = Path(out + ".ready")
    while True:
        stopping = Path(stop).exists()
        kind = rng.choice(READS)
        t0 = time.perf_counter()
        version, arg = None, None
        try:
            store.refresh()
            version = store.version
            if kind in ("functions", "cpg"):
                mods = store.modules()
                if kind == "cpg":
                    mods = mods[mods.cpg_status == "ok"]
                if mods.empty:
                    kind, mods = "functions", store.modules()
                arg = str(rng.choice(sorted(mods.path)))
            answer = read(store, kind, arg)
            records.append([version, kind, arg, digest(answer), time.perf_counter() - t0])
        except Exception as e:
            errors.append([version, kind, arg, f"{type(e).__name__}: {e}"[:2000]])
        if not ready.exists():
            ready.write_text("ready")
        if stopping:
            break
        time.sleep(pause)
    store.close()
    tmp = Path(out + ".tmp")
    tmp.write_text(json.dumps({"records": records, "errors": errors, "pid": os.getpid()}))
    os.replace(tmp, out)


READER = "import sys, production_kit as k; k.reader_main(*sys.argv[1:4], int(sys.argv[4]))"

GENERATE = """
    import json, sys, time
    from workbench.pipeline import generate
    from workbench.store import open_store
    t0 = time.perf_counter()
    r = generate(open_store(sys.argv[1]), workers=2, batch_size=int(sys.argv[2]),
                 commit_every=int(sys.argv[3]), quiet=True)
    print(json.dumps({"ok": r.ok, "failed": r.failed, "skipped": r.skipped,
                      "planned": r.planned, "commits": r.commits,
                      "seconds": time.perf_counter() - t0}))
"""


def readers_during_generation(
    root: Path,
    work: Path,
    readers: int,
    *,
    batch_size: int = 2,
    commit_every: int = 8,
    timeout: float = 300,
) -> tuple[dict, list[dict]]:
    """Start ``readers`` reader processes on the store at ``root``; once each has read, run
    ``generate`` (2 workers) in another process; when it is done, stop the readers.

    Returns the generation's report (as printed by the process) and each reader's output.
    Every process is reaped; a generation or reader that does not finish within ``timeout``
    seconds (a deadlock) fails the caller."""
    work.mkdir(parents=True, exist_ok=True)
    stop = work / "stop"
    outs = [work / f"reader-{i}.json" for i in range(readers)]
    with contextlib.ExitStack() as stack:
        procs = [
            stack.enter_context(
                started([sys.executable, "-c", READER, str(root), str(out), str(stop), str(i)])
            )
            for i, out in enumerate(outs)
        ]
        _wait_until(
            lambda: all(Path(f"{o}.ready").exists() for o in outs),
            procs,
            timeout,
            "the readers' first reads",
        )
        cmd = [sys.executable, "-c", textwrap.dedent(GENERATE), str(root)]
        gen = stack.enter_context(
            started(
                [*cmd, str(batch_size), str(commit_every)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        try:
            out, err = gen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"generation did not finish in {timeout} s (deadlock?)") from None
        finally:
            stop.write_text("stop")
        assert gen.returncode == 0, err
        report = json.loads(out.strip().splitlines()[-1])
        for p in procs:
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"reader {p.pid} did not stop (deadlock?)") from None
            assert rc == 0, f"reader {p.pid} exited with {rc}"
    results = [json.loads(o.read_text()) for o in outs]
    return report, results


def _wait_until(pred: Callable[[], bool], procs, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        dead = [p for p in procs if p.poll() is not None]
        assert not dead, f"a reader exited (code {dead[0].returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# -- parsing under memory pressure ----------------------------------------------------------

#: Code for a fresh interpreter: ingest ``argv[2]`` into the store ``argv[1]`` while every
#: parse may allocate at most ``argv[3]`` MB more (a real ``RLIMIT_AS``, confined to
#: ``ast.parse``: the rest of the process, Delta writes included, has its usual memory).
INGEST_UNDER_PRESSURE = """
    import ast, sys
    import production_kit as k
    from workbench.store import open_store
    real, cap = ast.parse, float(sys.argv[3])

    def parse(*args, **kwargs):
        with k.memory_cap(cap):
            return real(*args, **kwargs)

    ast.parse = parse
    report = open_store(sys.argv[1]).ingest(sys.argv[2])
    print(",".join(report.failed))
"""
