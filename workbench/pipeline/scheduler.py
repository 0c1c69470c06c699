"""Progressive CPG generation: most-accessed modules first, in parallel, failures isolated,
resumable and incremental.

Workers build batches of modules and write Parquet files; this process commits them in
batches (each commit one store version), so a killed run loses at most the batches not yet
committed and the next run continues from there. A worker killed by the OS breaks a process
pool: the batches in flight are then re-run one module at a time in a fresh pool, so only the
module that kills its worker is marked failed (``WorkerDied``). Pool workers die with the
process that started them, even when it is killed with ``kill -9`` (:func:`process_pool`).

Examples
--------
>>> import pathlib, tempfile
>>> from workbench.store import Store, migrations
>>> src = pathlib.Path(tempfile.mkdtemp())
>>> _ = (src / "a.py").write_text("def f():\\n    return 1\\n")
>>> _ = (src / "bad.py").write_text("def g(:\\n")
>>> store = Store.create(pathlib.Path(tempfile.mkdtemp()) / "s")
>>> _ = store.ingest(src)
>>> _ = migrations.migrate(store)
>>> report = generate(store, workers=1, quiet=True)
>>> report.ok, report.failed, [f["error_type"] for f in report.failures]
(1, 1, ['ParseError'])
>>> generate(store, workers=1, quiet=True).planned  # nothing changed: nothing to do
0
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import pyarrow.compute as pc

from workbench import telemetry
from workbench.cpg.schema import CpgStatus
from workbench.errors import NotFoundError, StoreChangedError, StoreError
from workbench.frontends.python import GENERATOR
from workbench.pipeline.builds import CPG_ROWS, record_builds
from workbench.pipeline.callgraph import store_call_graph
from workbench.pipeline.link import CALL_GRAPH, drop_analyses, prune_links, relink
from workbench.pipeline.sources import files_for, kept_modules, source_files
from workbench.pipeline.worker import build_batch
from workbench.store import Store, Transaction
from workbench.store.objects import absolute, is_object_path, storage_env

__all__ = ["GenerationReport", "ProgressEvent", "generate", "plan", "process_pool"]

#: In-memory size of a module's CPG while it is built, per node (measured on the stdlib's
#: largest modules, rounded up): a memory budget becomes a node limit.
BYTES_PER_NODE = 1200


@dataclass(frozen=True)
class ProgressEvent:
    """What the progress callback receives."""

    kind: str  # "started", "finished", "failed", "skipped", "committed", "done"
    module: str | None
    done: int
    total: int
    failed: int
    skipped: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Modules per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate."""
        return (self.total - self.done) / self.rate if self.rate > 0 else None


@dataclass
class GenerationReport:
    """The outcome of one run."""

    planned: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    commits: int = 0
    #: Builds not committed because their module changed or went away meanwhile (an ingest
    #: ran): those modules keep the state the ingest gave them.
    superseded: int = 0
    seconds: float = 0.0
    workers: int = 0
    failures: list[dict] = field(default_factory=list)
    #: CALL edges of the saved call graph (``generate(call_graph=True)``), else None
    call_edges: int | None = None

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(
            self.failures, columns=["path", "status", "error_type", "error_message"]
        )


def plan(store: Store, retry_failed: bool = False) -> list[tuple[int, str, str]]:
    """Modules to build, most-accessed first, then by path: pending ones, ones whose last build
    (ok, failed or skipped) read another source or ran another generator version, and with
    ``retry_failed`` the failed and skipped ones."""
    mods = store.read_table("modules").to_pylist()
    reads = {r["module"]: r["reads"] for r in store.read_table("access_stats").to_pylist()}
    todo = []
    retry = {CpgStatus.FAILED, CpgStatus.SKIPPED} if retry_failed else set()
    for m in mods:
        status = m["cpg_status"]
        stale = m["cpg_source_hash"] != m["content_hash"] or m["cpg_generator"] != GENERATOR
        if status == CpgStatus.PENDING or stale or status in retry:
            todo.append(m)
    todo.sort(key=lambda m: (-reads.get(m["module"], 0), m["path"]))
    return [(m["module"], m["path"], m["content_hash"]) for m in todo]


def generate(
    store: Store,
    *,
    source: str | os.PathLike | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    batch_size: int | None = None,
    retry_failed: bool = False,
    timeout: float | None = None,
    memory_budget_mb: int | None = None,
    commit_every: int = 200,
    progress: Callable[[ProgressEvent], None] | None = None,
    quiet: bool = False,
    builder: str | Callable = "python",
    call_graph: bool = False,
) -> GenerationReport:
    """Build the CPGs of pending modules and commit them to the store.

    Parameters
    ----------
    store
        A store with CPG support on (schema v2).
    source
        The source root (default: the one of the last ingest).
    workers
        Worker processes of the default process pool (default: all cores).
    executor
        Any ``concurrent.futures`` executor instead, e.g. ``dask.distributed``'s
        ``Client.get_executor()``; its workers need to see the store only (they read each
        module's bytes from it).
    batch_size
        Modules per task (default: small enough to keep every worker busy).
    retry_failed
        Build modules that failed or were skipped in an earlier run again.
    timeout
        Seconds one module may take; a slower module fails (in a process worker a
        SIGALRM timer stops it, in a thread of a Dask worker an asynchronous exception).
    memory_budget_mb
        Memory one module's build may use: larger modules are skipped with the reason, and
        fewer tasks run at once when the machine's available memory gets low.
    commit_every
        Modules per commit.
    progress
        Called with a :class:`ProgressEvent` for every module and commit. By default a
        ``tqdm`` bar is shown (terminal or notebook) unless ``quiet``.
    builder
        ``"python"`` or a picklable function ``(bytes, path, limits=...) -> CPG``.
    call_graph
        Then solve the value-flow call graph of all stored modules and save its CALL edges
        (``Store.call_graph(save=True)``); the report's ``call_edges`` counts them. It takes
        as long as a whole-project analysis, whatever the run rebuilt.

    Raises
    ------
    ValueError
        ``workers``, ``batch_size`` or ``commit_every`` below 1, or ``timeout`` or
        ``memory_budget_mb`` not positive; or a forking process pool as ``executor`` for a
        store on object storage.
    """
    _check_options(workers, batch_size, commit_every, timeout, memory_budget_mb)
    _check_executor(store, executor)
    store.refresh().require_cpg()
    store.flush_reads()
    tasks = plan(store, retry_failed)
    source, unread = _source_root(store, source, tasks)
    workers = workers or os.cpu_count() or 1
    budget = (memory_budget_mb or 0) * 1024 * 1024
    run = _Run(
        store,
        source,
        tasks,
        workers=workers,
        executor=executor,
        batch=batch_size or max(1, min(16, len(tasks) // (workers * 4) or 1)),
        budget=budget,
        max_nodes=budget // BYTES_PER_NODE if budget else 4_000_000,
        timeout=timeout,
        commit_every=commit_every,
        builder=builder,
        settled=unread,
    )
    where = os.fspath(source) if source is not None else "stored sources"
    with telemetry.span("generate", store=store.root, detail=where) as span:
        report = run.execute(progress, quiet)
        if call_graph:
            t0 = time.perf_counter()
            report.call_edges = store_call_graph(store, source, save=True).saved_edges
            report.seconds += time.perf_counter() - t0
        span.measurements.update(
            modules=len(tasks),
            ok=report.ok,
            failed=report.failed,
            skipped=report.skipped,
            commits=report.commits,
            workers=workers,
        )
    telemetry.check_sizes(store)  # table-size alerts (workbench.telemetry.settings)
    return report


class _Run:
    """One generation run: a queue of batches, the executor running them, and the batches
    built but not yet committed.

    :meth:`execute` loops: :meth:`_fill` submits batches up to the concurrency limit,
    :meth:`_collect` takes the finished ones (a broken process pool sends its batches back one
    module at a time: :meth:`_restart`), and :meth:`_commit_if_due` commits every
    ``commit_every`` modules. At the end the cross-module edges are relinked.
    """

    #: Reports one event (kind, module) to the run's progress callback: set by execute().
    emit: Callable[[str, str | None], None]

    def __init__(
        self,
        store: Store,
        source: Path | None,
        tasks: list[tuple[int, str, str]],
        *,
        workers: int,
        executor: Executor | None,
        batch: int,
        budget: int,
        max_nodes: int,
        timeout: float | None,
        commit_every: int,
        builder: str | Callable,
        settled: Sequence[dict] = (),
    ) -> None:
        self.store = store
        self.tasks = tasks
        self.workers = workers
        self.budget = budget
        self.commit_every = commit_every
        self.report = GenerationReport(planned=len(tasks), workers=workers)
        #: results known without a build (modules ingest could not read), recorded first
        self.settled = list(settled)
        done = {r["module"] for r in self.settled}
        todo = [t for t in tasks if t[0] not in done]
        self.queue = deque(todo[i : i + batch] for i in range(0, len(todo), batch))
        #: single-module tasks to run alone after a process pool broke
        self.suspects: deque = deque()
        self.own = executor is None
        self.pool = executor
        self.in_flight: dict = {}
        self.staged: list[dict] = []
        # workers stage files in this process's session: they live as long as it does
        # absolute: a remote worker's working directory is not this one
        self.args = (absolute(store.root), None if source is None else str(source))
        self.build_args = (max_nodes, timeout, builder, store.session_id)
        self.source_files = source_files(store)  # the workers read the bytes from these
        self.storage = storage_env() if is_object_path(store.root) else None

    def execute(self, progress, quiet: bool) -> GenerationReport:
        """Run every batch, commit, relink; return the report."""
        t0 = time.perf_counter()
        bar = None
        if progress is None and not quiet and self.tasks:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(self.tasks), unit="module", desc="generate")
        self.emit = _emitter(self.report, len(self.tasks), t0, progress, bar)
        if self.own:
            self.pool = self._new_pool()
        try:
            if self.settled:
                self._record({"results": self.settled, "files": []})
                self._commit_if_due()
            while self.queue or self.suspects or self.in_flight:
                limit = 1 if self.suspects else _concurrency(self.workers, self.budget)
                self._fill(limit)
                done, _ = wait(list(self.in_flight), return_when=FIRST_COMPLETED)
                if self._collect(done, limit) and self.own:
                    self._restart()
                self._commit_if_due()
        finally:
            if self.own:
                self.pool.shutdown(wait=True, cancel_futures=True)
            if bar is not None:
                bar.close()
        if self.tasks:
            with self.store.transaction("link") as tx:
                _require_cpg_tables(tx)
                relink(tx)
        self.report.seconds = time.perf_counter() - t0
        self.emit("done", None)
        return self.report

    def _fill(self, limit: int) -> None:
        """Submit batches until ``limit`` are in flight: suspects first, alone; when memory
        is short (a limit below two per worker) batches are halved."""
        while len(self.in_flight) < limit and (self.suspects or self.queue):
            if self.suspects:
                self._submit(self.suspects.popleft())
                continue
            items = self.queue.popleft()
            if limit < self.workers * 2 and len(items) > 1:
                half = len(items) // 2
                self.queue.appendleft(items[half:])
                items = items[:half]
            self._submit(items)

    def _submit(self, items) -> None:
        files = files_for(self.source_files, [key for key, _, _ in items])
        fut = self.pool.submit(
            build_batch,
            *self.args,
            items,
            *self.build_args,
            files,
            self.storage,
            self.store.schema_version,
        )
        self.in_flight[fut] = items
        for _, rel, _ in items:
            self.emit("started", rel)

    def _collect(self, done, limit: int) -> bool:
        """Take the results of finished batches; True if the process pool broke.

        A batch the broken pool lost goes back one module at a time; a module that ran
        alone when the pool broke killed its worker and fails (``WorkerDied``). A batch whose
        Dask worker died (``KilledWorker``) goes back the same way; a module that ran alone
        and killed its worker fails with that type and message, as does any other exception
        of the executor itself. Errors of this machine, which no retry of the modules would
        change (``OSError`` such as a full disk, :class:`StoreError`), stop the run: what
        was committed stays, and the next run resumes from there.
        """
        broken = False
        for fut in done:
            items = self.in_flight.pop(fut)
            try:
                out = fut.result()
            except BrokenProcessPool:
                broken = True
                if len(items) != 1 or limit != 1:
                    self.suspects.extend([it] for it in items)
                    continue
                out = _died(items)
            except (OSError, StoreError) as e:
                e.add_note(
                    f"generation stopped after {self.report.commits} commits; "
                    "run generate() again to resume"
                )
                raise
            except Exception as e:
                if _lost_worker(e) and (len(items) != 1 or limit != 1):
                    # a cluster's worker died with the batch: which module killed it is
                    # found by running them one at a time, as for a broken process pool
                    self.suspects.extend([it] for it in items)
                    continue
                out = _died(items, type(e).__name__, str(e))
            self._record(out)
        return broken

    def _record(self, out: dict) -> None:
        """Stage a finished batch's files and count, report and log its results."""
        self.staged.append(out)
        for r in out["results"]:
            _count(self.report, r)
            self.emit(_EVENTS.get(r["status"], r["status"]), r["path"])
            telemetry.emit(
                "build",
                r["seconds"],
                store=self.store.root,
                module=r["module"],
                detail=r.get("error_message"),
                measurements={k: r[k] for k in ("nodes", "edges", "methods") if k in r},
                metadata={"status": str(r["status"]), "error_type": r.get("error_type")},
            )

    def _restart(self) -> None:
        """Replace a broken process pool; its batches in flight died with it and go back
        one module at a time."""
        for items in self.in_flight.values():
            self.suspects.extend([it] for it in items)
        self.in_flight.clear()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        """This run's process pool: spawned interpreters for a store on object storage (its
        clients do not survive a fork), forks otherwise."""
        return process_pool(self.workers, fresh=self.storage is not None)

    def _commit_if_due(self) -> None:
        """Commit when ``commit_every`` modules are staged, or when nothing is left to run."""
        staged = sum(len(o["results"]) for o in self.staged)
        last = not (self.queue or self.suspects or self.in_flight)
        if self.staged and (staged >= self.commit_every or last):
            _commit(self.store, self.staged, self.report)
            self.report.commits += 1
            self.staged = []
            self.emit("committed", None)


def _emitter(report: GenerationReport, total: int, t0: float, progress, bar):
    """The function that reports one event to ``progress`` (or the ``tqdm`` bar)."""

    def emit(kind: str, module: str | None) -> None:
        done = report.ok + report.failed + report.skipped
        ev = ProgressEvent(
            kind, module, done, total, report.failed, report.skipped, time.perf_counter() - t0
        )
        if progress is not None:
            progress(ev)
        elif bar is not None and kind in ("finished", "failed", "skipped"):
            bar.update(1)
            bar.set_postfix(failed=report.failed, skipped=report.skipped, refresh=False)

    return emit


def _source_root(
    store: Store, source: str | os.PathLike | None, tasks: list[tuple[int, str, str]]
) -> tuple[Path | None, list[dict]]:
    """The source root the workers may fall back to, or None when no root is at hand (the
    last ingested one may be gone: remote workers never need it); and, without a root, the
    results of the planned modules that ingest could not read (too large, unreadable): they
    have no stored bytes and their ``modules`` row says why, which is what a build would say.
    """
    if source is not None:
        if not Path(source).is_dir():
            raise NotFoundError(f"source root {source} not found")
        return Path(source), []
    last = store.last_source()
    if last is not None and last.is_dir():
        return last, []
    kept = kept_modules(store, [key for key, _, _ in tasks])
    rows = {
        r["module"]: r
        for r in store.read_table(
            "modules",
            pc.field("module").isin([key for key, _, _ in tasks if key not in kept]),
            columns=["module", "parse_status", "error_type", "error_message"],
        ).to_pylist()
    }
    missing = sorted(
        rel for key, rel, _ in tasks if key not in kept and rows[key]["parse_status"] == "ok"
    )
    if missing:
        raise NotFoundError(
            f"source root {last} not found and the store keeps no bytes of {len(missing)} "
            f"module(s) to build ({', '.join(missing[:3])}...): pass source=, or ingest again "
            "(this version stores the sources)"
        )
    unread = [
        {
            "module": key,
            "path": rel,
            "status": str(
                CpgStatus.SKIPPED if r["parse_status"] == "skipped" else CpgStatus.FAILED
            ),
            "error_type": r["error_type"],
            "error_message": r["error_message"],
            "content_hash": digest,
            "seconds": None,
        }
        for key, rel, digest in tasks
        if key not in kept and (r := rows[key])
    ]
    return None, unread


def _check_options(workers, batch_size, commit_every, timeout, memory_budget_mb) -> None:
    """Raise ValueError, saying what is allowed, for an option no run can use."""
    for name, value in (
        ("workers", workers),
        ("batch_size", batch_size),
        ("commit_every", commit_every),
    ):
        if value is not None and (isinstance(value, bool) or not isinstance(value, Integral)):
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        if value is not None and value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    for name, value, unit in (
        ("timeout", timeout, "seconds"),
        ("memory_budget_mb", memory_budget_mb, "MB"),
    ):
        if value is not None and not value > 0:  # also refuses NaN
            raise ValueError(f"{name} must be > 0 {unit} (or None for no limit), got {value!r}")


# -- worker processes that die with their parent ---------------------------------------------

#: ``prctl`` option: the signal a process gets when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1
#: Seconds between checks of the portable fallback (where ``prctl`` is unavailable).
PARENT_POLL_SECONDS = 0.5


def _check_executor(store: Store, executor: Executor | None) -> None:
    """A process pool that forks this process cannot reach object storage: the clients
    this process started (tokio runtimes, the AWS SDK) hang in a forked child."""
    context = getattr(executor, "_mp_context", None)
    if (
        is_object_path(store.root)
        and isinstance(executor, ProcessPoolExecutor)
        and context is not None
        and context.get_start_method() == "fork"
    ):
        raise ValueError(
            f"the store {store.root} is on object storage: its workers cannot be forked from "
            "this process; give a ProcessPoolExecutor with "
            "mp_context=multiprocessing.get_context('spawn') (or no executor)"
        )


def process_pool(workers: int, *, fresh: bool = False) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process, even with ``kill -9``.

    Without this, a killed parent leaves its workers waiting forever on a queue nobody
    writes to (each forked worker holds the queue's other end open). Ingest and generation
    use it. ``prctl``'s signal follows the *thread* that started a worker: submit from a
    thread that outlives the pool (the pool starts its workers on the first ``submit``).

    With ``fresh``, workers are new interpreters (``spawn``), not forks of this process:
    workers that use object storage need it, since the clients of obstore, ``deltalake``
    (tokio runtimes) and pyarrow (the AWS SDK) this process already started do not survive
    a fork. (As with any spawned pool, a script must guard its entry point with
    ``if __name__ == "__main__":``.)
    """
    ctx = multiprocessing.get_context("spawn" if fresh else None)
    if ctx.get_start_method() == "fork":
        # Finalise unreachable objects here, not in a forked worker: a finaliser that needs a
        # thread of this process (a half-made Dask client closing through its event loop)
        # would wait for it in the worker, where that thread does not exist (60 s, then on).
        gc.collect()
    # fork and spawn make this process the workers' parent; a fork server is their parent
    # otherwise (and it exits when this process dies, so its workers follow it).
    parent = None if ctx.get_start_method() == "forkserver" else os.getpid()
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=die_with_parent, initargs=(parent,)
    )


def die_with_parent(parent: int | None = None) -> None:
    """Pool initializer: this process gets ``SIGKILL`` when its parent dies.

    On Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` asks the kernel for it; then the parent is
    checked to still be ``parent`` (the process that started the pool), since it may have
    died before the request was made. Elsewhere a daemon thread watches ``os.getppid()``
    change (the orphan is adopted by another process) every :data:`PARENT_POLL_SECONDS`.
    """
    parent = os.getppid() if parent is None else parent
    armed = _set_pdeathsig()
    if os.getppid() != parent:  # the parent died before (or while) the request was made
        _die()
    if not armed:
        threading.Thread(
            target=_watch_parent, args=(parent,), name="workbench-parent-watch", daemon=True
        ).start()


def _set_pdeathsig() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies; False if unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    _die()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


#: Progress event kind of a module's result status (a module whose source changed since
#: ingest is skipped by this run and stays pending).
_EVENTS = {"ok": "finished", "pending": "skipped"}


def _count(report: GenerationReport, r: dict) -> None:
    if r["status"] == CpgStatus.OK:
        report.ok += 1
        return
    if r["status"] == CpgStatus.FAILED:
        report.failed += 1
    else:
        report.skipped += 1
    report.failures.append({k: r[k] for k in ("path", "status", "error_type", "error_message")})


def _lost_worker(e: BaseException) -> bool:
    """Whether a task failed because its worker died (Dask's ``KilledWorker``: the worker
    process was killed or crashed, and the scheduler gave up retrying the task elsewhere)."""
    return type(e).__name__ == "KilledWorker"


def _died(items, error_type: str = "WorkerDied", message: str | None = None) -> dict:
    message = message or "the worker process died while building this module (killed by the OS?)"
    return {
        "results": [
            {
                "module": k,
                "path": rel,
                "status": str(CpgStatus.FAILED),
                "error_type": error_type,
                "error_message": message[:500],
                "content_hash": h,
                "seconds": None,
            }
            for k, rel, h in items
        ],
        "files": [],
    }


def _concurrency(workers: int, budget: int) -> int:
    """Tasks in flight: two per worker, fewer when available memory is below the budget."""
    want = workers * 2
    if not budget:
        return want
    avail = _available_memory()
    if avail is None:
        return want
    return max(1, min(want, avail // budget))


def _available_memory() -> int | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _commit(store: Store, staged: list[dict], report: GenerationReport) -> None:
    """One store version: the staged batches' files, cpg_graphs rows and module statuses.

    What is committed is checked against the newest store version under the write lock: a
    module that was removed or changed (another ingest) while it was built keeps the state that
    ingest gave it, and a store rolled back meanwhile stops the run.
    """
    results = [r for o in staged for r in o["results"]]
    with store.transaction("generate") as tx:
        _require_cpg_tables(tx)
        keys = sorted({r["module"] for r in results})
        current = tx.read(
            "modules", pc.field("module").isin(keys), columns=["module", "content_hash"]
        )
        mods, hashes = current["module"].to_pylist(), current["content_hash"].to_pylist()
        now = dict(zip(mods, hashes, strict=True))
        valid = [r for r in results if now.get(r["module"]) == r["content_hash"]]
        report.superseded += len(results) - len(valid)
        ok = {r["module"] for r in valid}
        for name, _ in CPG_ROWS:
            files = [f for o in staged for f in o["files"] if f.table == name]
            tx.replace_modules(name, ok, None, files, only=ok)
        prune_links(tx, ok, (CALL_GRAPH,))  # saved call-graph rows into the old node ids
        drop_analyses(tx, ok)
        if valid:
            record_builds(tx, valid)
        tx.details = {"modules": len(ok), "ok": sum(r["status"] == "ok" for r in valid)}


def _require_cpg_tables(tx: Transaction) -> None:
    if not (tx.flags.get("cpg") and tx.has_table("cpg_graphs")):
        raise StoreChangedError(
            tx.store_root,
            "CPG support was switched off (a rollback?) while generating: the run stopped; "
            "nothing more was committed",
        )
