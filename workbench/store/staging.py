"""Staging sessions: where files wait between being written and being committed.

A process that writes data files to commit later (a generation run whose workers build and
write while one committer commits) owns a **session**: a folder
``_workbench/staging/<id>/`` and an exclusive lock on its ``lock`` file (an ``flock`` on a
local disk, held for as long as the process and the workers it forked live; a lease renewed
by the process on object storage, which expires when the process dies). Staged files are
written there and moved into their table's folder when a transaction commits them, so

* files of a running operation are never in a table folder before their commit: ``vacuum``
  and recovery cannot take them;
* the files of a dead session (its lock can be taken) were never committed: the next writer
  deletes them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from pathlib import Path

from workbench.store.objects import Lease, LeaseHeld, StoreRoot, is_object_path, rmtree

__all__ = ["Session", "remove_dead_sessions", "session_dir"]

STAGING = Path("_workbench") / "staging"


class Session:
    """One process's staging folder, alive while its lock is held."""

    def __init__(self, root: StoreRoot) -> None:
        unique = uuid.uuid4().hex[:12]  # pragma: no mutate: any length of random suffix will do
        self.id = f"{os.getpid()}-{unique}"
        self.dir = root / STAGING / self.id
        self._fd: int | None = None
        self._lease: Lease | None = None
        if is_object_path(root):
            self._lease = Lease(self.dir / "lock")
            self._lease.acquire()
            return
        self.dir.mkdir(parents=True)
        self._fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    @property
    def _open(self) -> bool:
        return self._fd is not None or self._lease is not None

    def close(self) -> None:
        """End the session: its uncommitted files are deleted."""
        if not self._open:
            return
        if self._lease is not None:
            self._lease.release()
            self._lease = None
            rmtree(self.dir, ignore_errors=True)
            return
        shutil.rmtree(self.dir, ignore_errors=True)
        os.close(self._fd)
        self._fd = None

    def __del__(self) -> None:
        if self._open and os.getpid() == int(self.id.split("-")[0]):
            with contextlib.suppress(Exception):  # unreachable, or exiting: the next writer
                self.close()  # deletes what the session left


def session_dir(root: StoreRoot, session: str) -> StoreRoot:
    """The folder of a session by id (for worker processes writing into their parent's)."""
    if not session or "/" in session or session.startswith("."):
        raise ValueError(f"bad staging session id {session!r}")
    return root / STAGING / session


def remove_dead_sessions(root: StoreRoot) -> list[str]:
    """Delete the folders (and uncommitted files) of sessions whose owner is gone; returns
    their ids. Call with the store's write lock held."""
    base = root / STAGING
    if not base.is_dir():
        return []
    dead = []
    for d in sorted(base.iterdir()):
        if not d.is_dir():
            continue
        if not _dead(d):
            continue
        for f in d.glob("*/*.parquet"):  # their digests were written beside the tables'
            (root / "_workbench" / "files" / f.parent.name / f"{f.name}.json").unlink(
                missing_ok=True
            )
        rmtree(d, ignore_errors=True)
        dead.append(d.name)
    return dead


def _dead(d: StoreRoot) -> bool:
    """Whether the owner of a session folder is gone (its lock can be taken)."""
    if is_object_path(d):
        lease = Lease(d / "lock")
        try:
            lease.acquire(wait=False)  # pragma: no mutate: wait=None is falsy, the same
        except LeaseHeld:
            return False
        lease.release()
        return True
    try:
        fd = os.open(d / "lock", os.O_RDWR)
    except FileNotFoundError:  # killed while creating it, or already closed
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # alive
    finally:
        os.close(fd)
    return True
