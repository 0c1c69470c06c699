"""The store log: which version of every table makes up store version *n*.

Each entry is a JSON file ``_workbench/log/NNNNNNNNNN.json`` created exclusively (so two
writers can never both write entry *n*): fsynced before it is linked under its name on a local
disk, a put-if-absent on object storage (:func:`workbench.store.objects.create`). An
entry lists the Delta version of every table of the store (and the table's directory when it
is not the table's name: a table dropped by a rollback keeps its directory for time travel, and
re-creating it starts a new directory), the schema version, the feature flags and what the
operation was. Readers follow only the newest entry: Delta commits that an interrupted operation
made to some of its tables are not referenced, hence invisible, and the next writer restores
those tables to their logged versions before it writes.

``_workbench/HEAD`` holds the newest version written; an entry missing below it was deleted
(refused, never silently reverted: ``workbench repair`` rebuilds the log).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, fields
from pathlib import Path

from workbench.errors import CorruptionError, SchemaVersionError, StoreBusyError
from workbench.store.objects import StoreRoot, create, is_object_path, lock

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
    #: Table name -> directory, for tables whose directory is not their name.
    dirs: dict[str, str] = field(default_factory=dict)

    def dir(self, name: str) -> str:
        """The directory (relative to the store root) of a table of this version."""
        return self.dirs.get(name, name)

    def to_json(self) -> str:
        data = {
            "version": self.version,
            "schema_version": self.schema_version,
            "tables": dict(sorted(self.tables.items())),
            "flags": dict(sorted(self.flags.items())),
            "operation": self.operation,
            "timestamp": self.timestamp,
            "details": self.details,
        }
        dirs = {k: v for k, v in sorted(self.dirs.items()) if k in self.tables and v != k}
        if dirs:
            data["dirs"] = dirs
        return json.dumps(data, indent=1)


_FIELDS = {f.name for f in fields(LogEntry)}


class StoreLog:
    """Reads and appends entries of one store's log."""

    def __init__(self, root: StoreRoot) -> None:
        self.root = root
        self.dir = root / META_DIR / "log"
        self._dirs: tuple[int, set[str]] = (-1, set())

    def versions(self) -> list[int]:
        # no folder, no entries: one listing (a request on object storage) answers both
        return sorted(int(p.stem) for p in self.dir.glob("*.json") if p.stem.isdigit())

    def path(self, version: int) -> StoreRoot:
        return self.dir / f"{version:010d}.json"

    def read(self, version: int) -> LogEntry:
        """One entry; a damaged or unknown one is a clear error, never a raw traceback."""
        path = self.path(version)
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except FileNotFoundError:
            raise CorruptionError(
                self.root, f"store log entry {version} is missing: run `workbench repair`"
            ) from None
        except (ValueError, UnicodeDecodeError) as e:
            raise CorruptionError(
                self.root,
                f"store log entry {version} is damaged ({e}): run `workbench repair` "
                f"(it rebuilds the log from the tables)",
            ) from None
        unknown = sorted(set(data) - _FIELDS)
        if unknown:
            raise SchemaVersionError(
                self.root,
                f"store log entry {version} has fields this workbench does not know "
                f"({', '.join(unknown)}): it was written by a newer workbench; upgrade "
                "cpg-workbench",
            )
        try:
            entry = LogEntry(**data)
            if entry.version != version or not isinstance(entry.tables, dict):
                raise TypeError(f"it says version {entry.version}")
        except TypeError as e:
            raise CorruptionError(
                self.root, f"store log entry {version} is damaged ({e}): run `workbench repair`"
            ) from None
        return entry

    def head(self) -> int | None:
        """The newest version ever written (None for stores older than this marker)."""
        try:
            return int((self.root / META_DIR / "HEAD").read_text())
        except (OSError, ValueError):
            return None

    def latest(self) -> LogEntry | None:
        versions = self.versions()
        if not versions:
            return None
        head = self.head()
        if head is not None and head > versions[-1]:
            raise CorruptionError(
                self.root,
                f"store log entry {head} is missing (the newest is {versions[-1]}): run "
                "`workbench repair` (it rebuilds the log from the tables)",
            )
        return self.read(versions[-1])

    def referenced_dirs(self) -> set[str]:
        """Every table directory some logged version uses (incremental: entries never
        change, so each is read once per object)."""
        seen, dirs = self._dirs
        for v in self.versions():
            if v > seen:
                e = self.read(v)
                dirs |= {e.dir(n) for n in e.tables}
                seen = v
        self._dirs = (seen, dirs)
        return set(dirs)

    def append(
        self,
        previous: LogEntry | None,
        *,
        operation: str,
        tables: dict[str, int],
        schema_version: int,
        flags: dict[str, bool],
        details: dict | None = None,
        dirs: dict[str, str] | None = None,
        version: int | None = None,
    ) -> LogEntry:
        """Write the entry after ``previous`` (or numbered ``version``) atomically; raises
        FileExistsError if another writer won."""
        if version is None:
            version = 0 if previous is None else previous.version + 1
        entry = LogEntry(
            version=version,
            schema_version=schema_version,
            tables=tables,
            flags=flags,
            operation=operation,
            timestamp=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            details=details or {},
            dirs={k: v for k, v in (dirs or {}).items() if k in tables and v != k},
        )
        self.dir.mkdir(parents=True, exist_ok=True)
        create(self.path(version), entry.to_json().encode())  # fails if another writer won
        head = self.root / META_DIR / "HEAD"
        # a marker only: an entry newer than HEAD is still the newest version
        if is_object_path(head):
            with suppress(OSError):  # an object is replaced atomically
                head.write_text(str(version))
            return entry
        tmp = head.with_suffix(f".{os.getpid()}.tmp")
        try:
            _write_atomically(tmp, str(version))
            os.replace(tmp, head)
        except OSError:
            tmp.unlink(missing_ok=True)
        return entry


@contextmanager
def write_lock(root: StoreRoot, *, wait: bool = True):
    """Serialise writers of one store: an exclusive ``flock`` on ``_workbench/lock`` on a
    local disk, a lease on object storage (:func:`workbench.store.objects.lock`).

    With ``wait=False``, raise :class:`~workbench.errors.StoreBusyError` at once when another
    writer holds the lock. Yields the lease on object storage (None on a local disk).
    """

    def busy() -> StoreBusyError:
        return StoreBusyError(root, "another process is writing to the store")

    with lock(root / META_DIR / "lock", wait=wait, busy=busy) as held:
        yield held


def _write_atomically(tmp: Path, text: str) -> None:
    with open(tmp, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
