"""Staging sessions: where files wait between being written and being committed.

A process that writes data files to commit later (a generation run whose workers build and
write while one committer commits) owns a **session**: a folder
``_workbench/staging/<id>/`` and an exclusive ``flock`` on its ``lock`` file, held for as
long as the process (and the workers it forked) live. Staged files are written there and moved
into their table's folder when a transaction commits them, so

* files of a running operation are never in a table folder before their commit: ``vacuum``
  and recovery cannot take them;
* the files of a dead session (its lock can be taken) were never committed: the next writer
  deletes them.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from pathlib import Path

__all__ = ["Session", "remove_dead_sessions", "session_dir"]

STAGING = Path("_workbench") / "staging"


class Session:
    """One process's staging folder, alive while its lock is held."""

    def __init__(self, root: Path) -> None:
        self.id = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.dir = root / STAGING / self.id
        self.dir.mkdir(parents=True)
        self._fd: int | None = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def close(self) -> None:
        """End the session: its uncommitted files are deleted."""
        if self._fd is None:
            return
        shutil.rmtree(self.dir, ignore_errors=True)
        os.close(self._fd)
        self._fd = None

    def __del__(self) -> None:
        if self._fd is not None and os.getpid() == int(self.id.split("-")[0]):
            self.close()


def session_dir(root: Path, session: str) -> Path:
    """The folder of a session by id (for worker processes writing into their parent's)."""
    if not session or "/" in session or session.startswith("."):
        raise ValueError(f"bad staging session id {session!r}")
    return root / STAGING / session


def remove_dead_sessions(root: Path) -> list[str]:
    """Delete the folders (and uncommitted files) of sessions whose owner is gone; returns
    their ids. Call with the store's write lock held."""
    base = root / STAGING
    if not base.is_dir():
        return []
    dead = []
    for d in sorted(base.iterdir()):
        if not d.is_dir():
            continue
        try:
            fd = os.open(d / "lock", os.O_RDWR)
        except FileNotFoundError:  # killed while creating it, or already closed
            shutil.rmtree(d, ignore_errors=True)
            dead.append(d.name)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # alive
        else:
            for f in d.glob("*/*.parquet"):  # their digests were written beside the tables'
                (root / "_workbench" / "files" / f.parent.name / f"{f.name}.json").unlink(
                    missing_ok=True
                )
            shutil.rmtree(d, ignore_errors=True)
            dead.append(d.name)
        finally:
            os.close(fd)
    return dead
