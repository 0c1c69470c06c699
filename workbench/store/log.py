"""The store log: which version of every table makes up store version *n*.

Each entry is a JSON file ``_workbench/log/NNNNNNNNNN.json`` created with ``O_EXCL`` (so two
writers can never both write entry *n*) and fsynced before it is visible under its name. An
entry lists the Delta version of every table of the store, the schema version, the feature
flags and what the operation was. Readers follow only the newest entry: Delta commits that an
interrupted operation made to some of its tables are not referenced, hence invisible, and the
next writer restores those tables to their logged versions before it writes.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import StoreBusyError

__all__ = ["LogEntry", "StoreLog", "write_lock"]

META_DIR = "_workbench"


@dataclass(frozen=True)
class LogEntry:
    """One store version."""

    version: int
    schema_version: int
    tables: dict[str, int]
    flags: dict[str, bool]
    operation: str
    timestamp: str
    details: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "schema_version": self.schema_version,
                "tables": dict(sorted(self.tables.items())),
                "flags": dict(sorted(self.flags.items())),
                "operation": self.operation,
                "timestamp": self.timestamp,
                "details": self.details,
            },
            indent=1,
        )


class StoreLog:
    """Reads and appends entries of one store's log."""

    def __init__(self, root: Path) -> None:
        self.dir = root / META_DIR / "log"

    def versions(self) -> list[int]:
        if not self.dir.is_dir():
            return []
        return sorted(int(p.stem) for p in self.dir.glob("*.json") if p.stem.isdigit())

    def read(self, version: int) -> LogEntry:
        data = json.loads((self.dir / f"{version:010d}.json").read_text())
        return LogEntry(**data)

    def latest(self) -> LogEntry | None:
        versions = self.versions()
        return self.read(versions[-1]) if versions else None

    def append(
        self,
        previous: LogEntry | None,
        *,
        operation: str,
        tables: dict[str, int],
        schema_version: int,
        flags: dict[str, bool],
        details: dict | None = None,
    ) -> LogEntry:
        """Write the next entry atomically; raises FileExistsError if another writer won."""
        version = 0 if previous is None else previous.version + 1
        entry = LogEntry(
            version=version,
            schema_version=schema_version,
            tables=tables,
            flags=flags,
            operation=operation,
            timestamp=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            details=details or {},
        )
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{version:010d}.{os.getpid()}.tmp"
        with open(tmp, "w") as fh:
            fh.write(entry.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, self.dir / f"{version:010d}.json")  # atomic, fails if it exists
        finally:
            tmp.unlink()
        _fsync_dir(self.dir)
        return entry


@contextmanager
def write_lock(root: Path, *, wait: bool = True):
    """Serialise writers of one store (an exclusive ``flock`` on ``_workbench/lock``).

    With ``wait=False``, raise :class:`~workbench.errors.StoreBusyError` at once when another
    writer holds the lock.
    """
    path = root / META_DIR / "lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusyError(root, "another process is writing to the store") from None
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
