"""Pool workers die with the process that started them, even when it is killed with kill -9.

A killed ``workbench generate`` used to leave its process-pool workers running for as long as
their module took and then waiting forever on a queue nobody writes to.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path("/proc/self/stat").exists(), reason="finds processes through /proc"
    ),
]

#: Picklable work functions for the subprocesses (module ``work``, see :func:`proc_env`): each
#: notes its worker (a file named by the pid holding the start time) in $WB_TEST_PIDS, then
#: takes $WB_TEST_SLEEP seconds.
WORK = """
import os
import time
from pathlib import Path

import workbench as wb


def _busy():
    start = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]
    (Path(os.environ["WB_TEST_PIDS"]) / str(os.getpid())).write_text(start)
    time.sleep(float(os.environ.get("WB_TEST_SLEEP", "0")))


def build(data, path, limits):
    _busy()
    return wb.build_cpg(data, path, limits=limits)


def parse(root, chunk, limits):
    _busy()
    return [(item, None) for item in chunk]
"""

#: argv: store, "prctl" or "fallback" (pretend prctl is unavailable: the watcher thread).
GENERATE = """
    import sys
    import work
    from workbench.pipeline import generate, scheduler
    from workbench.store import open_store
    if sys.argv[2] == "fallback":
        scheduler._set_pdeathsig = lambda: False
    generate(open_store(sys.argv[1]), workers=2, batch_size=1, builder=work.build, quiet=True)
"""

INGEST = """
    import work
    from workbench.pipeline.ingest import _map_chunks
    list(_map_chunks(work.parse, "/", list(range(8)), None, 2))
"""


def proc_env(tmp_path: Path, sleep: float) -> tuple[dict, Path]:
    """Environment of a subprocess that imports this worktree's workbench and ``work``."""
    (tmp_path / "work.py").write_text(WORK)
    pids = tmp_path / "pids"
    pids.mkdir(exist_ok=True)
    path = [str(REPO), str(tmp_path), os.environ.get("PYTHONPATH", "")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in path if p),
        "WB_TEST_PIDS": str(pids),
        "WB_TEST_SLEEP": str(sleep),
    }
    return env, pids


def start_time(pid: int) -> str | None:
    """The process's start time (tells it from a later process with the same pid), or None
    when it is gone (a zombie is gone: it runs nothing and only waits to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in "ZX" else fields[19]


def noted(pids: Path) -> dict[int, str]:
    """The workers that noted themselves in ``pids``: pid -> start time."""
    return {int(p.name): p.read_text() for p in pids.iterdir() if p.read_text()}


def children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # the thread ended
            out.update(int(c) for c in (task / "children").read_text().split())
    return out


def wait_for(pred, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def survivors(workers: dict[int, str], seconds: float) -> set[int]:
    """The workers still running after up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        alive = {p for p, t in workers.items() if start_time(p) == t}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def reap(workers: dict[int, str]) -> None:
    """Kill what a failing test left (only those exact processes)."""
    for p, t in workers.items():
        if start_time(p) == t:
            os.kill(p, signal.SIGKILL)


def kill_parent_and_check(cmd: list[str], env: dict, pids: Path, n: int) -> None:
    """Run ``cmd``, wait until ``n`` workers are busy, kill -9 it: every worker must be gone
    within a few seconds."""
    proc = subprocess.Popen(cmd, env=env, cwd=REPO)
    workers: dict[int, str] = {}

    def busy() -> dict[int, str] | None:
        assert proc.poll() is None, f"the run ended early (exit code {proc.returncode})"
        found = noted(pids)
        return found if len(found) >= n else None

    try:
        workers = wait_for(busy, 120, f"{n} busy workers")
        assert set(workers) <= children(proc.pid)  # the pool's own processes
        workers.update((p, t) for p in children(proc.pid) if (t := start_time(p)))
        proc.kill()
        proc.wait(timeout=30)
        left = survivors(workers, 5)
        assert not left, f"workers {sorted(left)} outlived their killed parent {proc.pid}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reap(workers)


@pytest.mark.parametrize("mechanism", ["prctl", "fallback"])
def test_generation_workers_die_with_a_killed_parent(v2, tmp_path, mechanism):
    env, pids = proc_env(tmp_path, sleep=120)
    cmd = [sys.executable, "-c", textwrap.dedent(GENERATE), str(v2.root), mechanism]
    kill_parent_and_check(cmd, env, pids, n=2)


def test_ingest_workers_die_with_a_killed_parent(tmp_path):
    env, pids = proc_env(tmp_path, sleep=120)
    kill_parent_and_check([sys.executable, "-c", textwrap.dedent(INGEST)], env, pids, n=2)


def _death_signal_and_watchers() -> tuple[int, list[str]]:
    """In a worker: the signal the kernel sends it when its parent dies (0: none), and the
    threads that watch the parent instead."""
    import ctypes
    import threading

    sig = ctypes.c_int()
    ctypes.CDLL(None, use_errno=True).prctl(2, ctypes.byref(sig), 0, 0, 0)  # PR_GET_PDEATHSIG
    return sig.value, [t.name for t in threading.enumerate() if "watch" in t.name]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
@pytest.mark.parametrize("fresh", [False, True], ids=["forked", "spawned"])
def test_on_linux_the_kernel_kills_the_workers_with_their_parent(fresh):
    """Not a thread polling for it (the fallback elsewhere): the kill is immediate."""
    from workbench.pipeline.scheduler import process_pool

    with process_pool(1, fresh=fresh) as pool:
        got = pool.submit(_death_signal_and_watchers).result(timeout=60)
    assert got == (signal.SIGKILL, [])


def test_a_worker_whose_parent_is_already_gone_kills_itself(tmp_path):
    """The pid race: the parent died before the worker asked to die with it."""
    code = """
        import os
        from workbench.pipeline.scheduler import die_with_parent
        die_with_parent(os.getppid() + 1 if {gone} else os.getppid())
        print("still running")
    """
    env, _ = proc_env(tmp_path, sleep=0)
    for gone, rc in ((True, -signal.SIGKILL), (False, 0)):
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code.format(gone=gone))],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == rc, proc.stderr
        assert ("still running" in proc.stdout) == (not gone)


def test_unreachable_objects_are_finalised_here_before_workers_fork():
    """A half-made Dask client (a failed ``Client(address)``) sits in a reference cycle and
    closes through its event-loop thread: finalised by the garbage collector of a forked
    worker, it waited 60 s there for a thread that does not exist in the worker."""
    import gc
    import multiprocessing

    from workbench.pipeline.scheduler import process_pool

    if multiprocessing.get_context().get_start_method() != "fork":
        pytest.skip("workers are not forks of this process here")
    finalised = []

    class Cycle:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            finalised.append(os.getpid())

    cycle = Cycle()
    gc.collect()  # alive: now in the oldest generation, which only a full collection visits
    del cycle
    pool = process_pool(1)
    try:
        assert finalised == [os.getpid()]
        assert pool.submit(os.getpid).result() != os.getpid()
    finally:
        pool.shutdown()
    assert finalised == [os.getpid()]
