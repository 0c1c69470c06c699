"""A pytest plugin: the test session leaves nothing behind, or it fails.

Loaded by the root ``conftest.py`` (``-p no:leakguard`` switches it off). With pytest-xdist
only the controller guards; its workers inherit what it sets up, and it checks after they have
exited. At session start it

- marks every process the session starts: the environment variable ``WORKBENCH_TEST_SESSION``
  holds a fresh token, inherited by subprocesses, pool workers, kernels and xdist workers (also
  once they are orphaned and adopted by init, which takes them out of this process's tree),
  and notes the processes already below this one;
- points the temporary directory (``TMPDIR`` and :data:`tempfile.tempdir`) at a private,
  empty folder in the system one, so what the session (or anything it starts) leaves in "the
  temp dir" is known exactly even while other programs use the system one; pytest's own
  ``basetemp`` (``tmp_path``) is fixed before that and stays where pytest keeps it;
- notes every file and folder of the repository (sizes and mtimes; ``.git``, virtualenvs,
  ``__pycache__`` and tool caches excepted), which covers ``build/demo`` (``make demo``).

At session end it waits a few seconds for marked processes to exit, then reports (and ends,
by pid) any marked or new descendant process still running, every entry left in the private
temp folder (then removes it), and every file or folder of the repository that is new, changed
or gone; any of these fails the session (exit status 1).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

MARKER = "WORKBENCH_TEST_SESSION"
#: Folders of the repository where tests leave artifacts on purpose (the browser tests'
#: screenshots, tests/jupyter_browser.py): not guarded.
ARTIFACT_DIRS = ("build/browser",)

#: Folders of the repository the walk skips: version control, virtualenvs, caches, and the
#: work folder of ``make mutate`` (mutmut), which may run beside the suite.
SKIP_DIRS = {
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".hypothesis",
    ".ipynb_checkpoints",
    "mutants",
}

#: Seconds the marked processes get to exit once the session is over (pool workers and
#: kernels being shut down, xdist workers exiting).
GRACE_SECONDS = float(os.environ.get("LEAKGUARD_GRACE_SECONDS", "10"))

#: Helpers of this interpreter's ``multiprocessing`` that exit when it does.
INTERPRETER_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")

_GUARD = pytest.StashKey["Guard"]()


# -- processes -----------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, state, start time) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0], fields[19]


def _processes() -> dict[int, tuple[int, str, str]]:
    """Every running process: pid -> (parent pid, state, start time)."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            out[int(entry)] = st
    return out


def _descendants(root: int, procs: dict[int, tuple[int, str, str]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _marked(pid: int, token: str) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:  # gone, or not ours to read
        return False
    prefix = f"{MARKER}=".encode()
    for var in environ.split(b"\0"):
        if var.startswith(prefix):
            return token.encode() in var[len(prefix) :].split(b":")
    return False


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:200]


# -- files ---------------------------------------------------------------------------------


def _tree(root: Path, skip: set[Path]) -> dict[str, tuple]:
    """Every file and folder below ``root``: relative path -> (kind, size, mtime_ns). The
    folders above a skipped one are walked but not listed: a session may create them for its
    artifacts (``build/`` for ``build/browser``), and what else it leaves in them is listed."""
    above = {parent for s in skip for parent in s.parents}
    out: dict[str, tuple] = {}
    todo = [root]
    while todo:
        folder = todo.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            path = Path(e.path)
            if e.name in SKIP_DIRS or e.name.endswith(".egg-info") or path in skip:
                continue
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            rel = path.relative_to(root).as_posix()
            if stat.S_ISDIR(st.st_mode):
                if path not in above:
                    out[rel] = ("dir", None, None)
                todo.append(path)
            else:
                out[rel] = ("file", st.st_size, st.st_mtime_ns)
    return out


def _roots(paths: list[str]) -> list[str]:
    """``paths`` without those below another one of them (a new folder is reported once)."""
    out: list[str] = []
    for p in sorted(paths):
        if not out or not p.startswith(out[-1] + "/"):
            out.append(p)
    return out


def _describe(root: Path, rel: str) -> str:
    path = root / rel
    if path.is_dir() and not path.is_symlink():
        n = sum(len(files) for _, _, files in os.walk(path))
        return f"{rel}/ ({n} file{'' if n == 1 else 's'})"
    return rel


def _demo(rel: str) -> str:
    return " (make demo's output)" if (rel + "/").startswith("build/demo/") else ""


# -- the guard -----------------------------------------------------------------------------


@dataclass
class Guard:
    root: Path
    skip: set[Path] = field(default_factory=set)
    token: str = ""
    procs: bool = False
    children: set[tuple[int, str]] = field(default_factory=set)
    files: dict[str, tuple] = field(default_factory=dict)
    tmp: Path | None = None
    outer: str | None = None
    saved_env: str | None = None
    saved_tempdir: str | None = None

    def start(self) -> None:
        self.token = uuid.uuid4().hex
        self.outer = os.environ.get(MARKER)  # a session run by a test of another: both see it
        os.environ[MARKER] = f"{self.outer}:{self.token}" if self.outer else self.token
        self.procs = Path("/proc/self/stat").exists()
        if self.procs:
            procs = _processes()
            self.children = {(p, procs[p][2]) for p in _descendants(os.getpid(), procs)}
        self.files = _tree(self.root, self.skip)
        self.tmp = Path(tempfile.mkdtemp(prefix="workbench-tests-"))
        self.skip.add(self.tmp)  # when the system temp dir is inside the repository
        self.saved_env, self.saved_tempdir = os.environ.get("TMPDIR"), tempfile.tempdir
        os.environ["TMPDIR"] = str(self.tmp)
        tempfile.tempdir = str(self.tmp)

    def finish(self) -> list[str]:
        """What the session left behind, one line each (and it is cleaned up)."""
        problems = [f"process {line}" for line in self._processes_left()]
        assert self.tmp is not None
        self._restore()
        for entry in sorted(self.tmp.iterdir()):
            problems.append(f"temp dir: {_describe(self.tmp, entry.name)} (removed)")
        shutil.rmtree(self.tmp, ignore_errors=True)
        after = _tree(self.root, self.skip)
        for rel in _roots([p for p in after if p not in self.files]):
            problems.append(f"new in the repository: {_describe(self.root, rel)}{_demo(rel)}")
        for rel in _roots([p for p in self.files if p not in after]):
            problems.append(f"gone from the repository: {rel}{_demo(rel)}")
        for rel in sorted(p for p in after if p in self.files and after[p] != self.files[p]):
            if after[rel][0] == "file":
                problems.append(f"changed in the repository: {rel}{_demo(rel)}")
        return problems

    def abandon(self) -> None:
        """Clean up without checking (the session never finished)."""
        self._restore()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _restore(self) -> None:
        for var, value in (("TMPDIR", self.saved_env), (MARKER, self.outer)):
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
        tempfile.tempdir = self.saved_tempdir

    def _processes_left(self) -> list[str]:
        if not self.procs:
            return []
        deadline = time.monotonic() + GRACE_SECONDS
        while True:
            left = self._running()
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        out = []
        for pid, start in sorted(left.items()):
            out.append(f"{pid} still running: {_cmdline(pid)} (killed)")
            st = _stat(pid)
            if st is not None and st[2] == start:  # that very process, not a reused pid
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        return out

    def _running(self) -> dict[int, str]:
        """Marked or new descendant processes, not zombies: pid -> start time."""
        me = os.getpid()
        procs = _processes()
        mine = _descendants(me, procs)
        out = {}
        for pid, (ppid, state, start) in procs.items():
            if pid == me or state in ("Z", "X") or (pid, start) in self.children:
                continue
            if not (pid in mine or _marked(pid, self.token)):
                continue
            if ppid == me and any(h in _cmdline(pid) for h in INTERPRETER_HELPERS):
                continue  # exits with this interpreter
            out[pid] = start
        return out


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_worker(config):
        return
    skip = {config.rootpath.resolve() / d for d in ARTIFACT_DIRS}
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is not None:
        skip.add(factory.getbasetemp().resolve())  # fixed before the temp dir moves
    guard = Guard(config.rootpath.resolve(), skip)
    guard.start()
    config.stash[_GUARD] = guard


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    guard = session.config.stash.get(_GUARD, None)
    if guard is None:
        return
    del session.config.stash[_GUARD]
    problems = guard.finish()
    if not problems:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    title = "the test session left things behind (tests/leakguard.py)"
    if reporter is not None:
        reporter.write_line("")
        reporter.write_sep("=", title, red=True, bold=True)
        for line in problems:
            reporter.write_line(line)
    else:
        print(title, *problems, sep="\n", file=sys.stderr)
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    guard = config.stash.get(_GUARD, None)
    if guard is not None:
        guard.abandon()
