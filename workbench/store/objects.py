"""Stores on object storage: ``s3://bucket/prefix`` (and ``gs://``, ``az://``) as store roots.

A store root is a :class:`pathlib.Path` on a local file system and an :class:`ObjectPath` on
object storage. :class:`ObjectPath` has the part of the ``pathlib`` interface the store uses
(joining, names, reading, writing, listing, deleting), over `obstore
<https://developmentseed.org/obstore/>`_, the Python binding of the same Rust ``object_store``
crate that Delta Lake (``deltalake``) uses; what needs more than a path (a file system for
pyarrow and DuckDB, storage options for Delta, an exclusive create, a lock) is a function of
this module taking either kind of path, so local stores keep their ``fsync``-ed, ``flock``-ed
code and object stores get the object-storage equivalents:

* every write of an object is atomic (a reader sees the old or the new object, never a part);
* :func:`create` is a put-if-absent (``If-None-Match: *``): two writers of the same store-log
  entry cannot both succeed;
* :func:`lock` is a :class:`Lease`: an object created with put-if-absent and renewed in the
  background with conditional writes (``If-Match``) while it is held; another process takes
  it over only when it was released or has not changed for a whole lease period (the kill -9
  of a writer on a local store releases its ``flock`` at once; on object storage the next
  writer waits for one lease period);
* requests time out (a server that stops answering is an error, never a hang).

Configuration comes from the environment, as for ``deltalake`` and the AWS tools:
``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``, ``AWS_ENDPOINT_URL`` (an
S3-compatible server) and ``AWS_ALLOW_HTTP`` (plain HTTP, for a server on loopback); Google
Cloud and Azure read theirs (``GOOGLE_SERVICE_ACCOUNT``, ``AZURE_STORAGE_ACCOUNT_NAME``, ...).

Examples
--------
>>> root = store_root("s3://bucket/stores/cpython")
>>> root / "_workbench" / "log"
ObjectPath('s3://bucket/stores/cpython/_workbench/log')
>>> (root / "modules").name, is_object_path(root), is_object_path(store_root("/tmp/s"))
('modules', True, False)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import functools
import importlib.util
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from workbench.errors import MissingDependencyError

__all__ = [
    "PARALLEL",
    "SCHEMES",
    "Lease",
    "LeaseHeld",
    "ObjectPath",
    "StoreRoot",
    "absolute",
    "arrow_filesystem",
    "create",
    "is_object_path",
    "lock",
    "open_input",
    "rmtree",
    "storage_env",
    "store_root",
    "use_storage_env",
    "write_atomically",
]

#: URL schemes of object stores a store may live on.
SCHEMES = ("s3", "gs", "az", "abfs", "abfss")
#: Requests to object storage made at once where many independent ones are due (moving the
#: files of a commit, checking every table, fetching the files of a scan).
PARALLEL = 8
#: Seconds a lease lasts without renewal; renewed every third of it while held.
LEASE_SECONDS = float(os.environ.get("WORKBENCH_LEASE_SECONDS", "30"))


def store_root(path: str | os.PathLike) -> Path | ObjectPath:
    """A store root from what a user gives: ``s3://bucket/prefix`` (or another object-store
    URL) is an :class:`ObjectPath`, anything else a local :class:`~pathlib.Path`.

    Raises
    ------
    ValueError
        A URL without a bucket, with ``#``, ``?`` or ``%`` (Delta Lake would read them as
        parts of a URL, not of the key) or with empty, ``.`` or ``..`` parts.
    MissingDependencyError
        An object-store URL without obstore installed (the ``objects`` extra).
    """
    if isinstance(path, ObjectPath):
        return path
    text = os.fspath(path)
    scheme, sep, rest = text.partition("://")
    if sep and scheme.lower() in SCHEMES:
        bucket, _, key = rest.partition("/")
        if not bucket:
            raise ValueError(f"no bucket in {text!r} (expected {scheme}://bucket/prefix)")
        if set(rest) & set("#?%"):  # Delta would read them as a URL's fragment, query, escape
            raise ValueError(f"{text!r}: '#', '?' and '%' cannot be part of a store's URL")
        parts = key.strip("/").split("/")
        if key.strip("/") and any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"{text!r}: empty, '.' and '..' parts are not keys of a store")
        if importlib.util.find_spec("obstore") is None:
            raise MissingDependencyError("obstore", "objects")
        return ObjectPath(scheme.lower(), bucket, key.strip("/"))
    if sep and scheme.lower() == "file":
        return Path(rest)
    return Path(text)


def absolute(path: str | os.PathLike | ObjectPath) -> str:
    """A path or URL that means the same file in any process on any machine that sees the
    store: a local path made absolute, an object-store URL as it is."""
    root = store_root(path)
    return str(root) if isinstance(root, ObjectPath) else os.path.abspath(root)


def is_object_path(path: object) -> bool:
    """Whether ``path`` is on object storage."""
    return isinstance(path, ObjectPath)


#: Prefixes of the environment variables that configure object stores.
_ENV_PREFIXES = ("AWS_", "GOOGLE_", "AZURE_")


def storage_env() -> dict[str, str]:
    """The object-store configuration in this process's environment (``AWS_*``,
    ``GOOGLE_*``, ``AZURE_*``): what a worker process needs to reach the same store."""
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(_ENV_PREFIXES)}


def use_storage_env(env: dict[str, str] | None) -> None:
    """Adopt another process's object-store configuration (see :func:`storage_env`)."""
    if env:
        os.environ.update(env)


def _bucket(scheme: str, bucket: str):
    """The obstore handle of one bucket, configured from the environment (a client per
    configuration: a test may point the same bucket name at another server)."""
    return _client(scheme, bucket, tuple(storage_env().items()))


#: Requests to object storage give up rather than hang: a server that accepts connections
#: but never answers is an error within minutes (retries included), not a hang.
_CLIENT = {"connect_timeout": "10s", "timeout": "60s"}
_RETRY = {"max_retries": 3, "retry_timeout": dt.timedelta(seconds=30)}


def _client_options(env: tuple) -> dict:
    """Client options: the timeouts, and what they replace of the environment's (options
    given replace the environment's: plain HTTP is one of them)."""
    allow_http = dict(env).get("AWS_ALLOW_HTTP", "").lower() in ("1", "true", "yes")
    return {**_CLIENT, "allow_http": allow_http}


@functools.lru_cache(maxsize=32)
def _client(scheme: str, bucket: str, env: tuple):
    from obstore.store import from_url

    options = _client_options(env)
    return from_url(f"{scheme}://{bucket}", client_options=options, retry_config=_RETRY)


@contextlib.contextmanager
def _os_errors(path: ObjectPath) -> Iterator[None]:
    """obstore's errors as the ``OSError`` subclasses local file operations raise."""
    try:
        yield
    except OSError:  # obstore raises FileNotFoundError for a missing object already
        raise
    except Exception as e:
        name = type(e).__name__
        if name in ("AlreadyExistsError", "PreconditionError"):
            raise FileExistsError(str(path)) from None
        if name in ("PermissionDeniedError", "UnauthenticatedError"):
            raise PermissionError(f"{path}: {str(e).splitlines()[0]}") from None
        if type(e).__module__.startswith("obstore"):
            raise OSError(f"{path}: {str(e).splitlines()[0]}") from None
        raise


class ObjectPath:
    """A key (or key prefix: a "folder") in an object-store bucket, used like a ``Path``.

    Folders do not exist on object storage by themselves: a folder exists while an object
    has a key under it, :meth:`mkdir` does nothing, and removing the last object under a
    folder removes the folder.
    """

    __slots__ = ("bucket", "key", "scheme")

    def __init__(self, scheme: str, bucket: str, key: str = "") -> None:
        self.scheme = scheme
        self.bucket = bucket
        self.key = key

    # -- a path ---------------------------------------------------------------------------
    def __truediv__(self, part: str | os.PathLike | ObjectPath) -> ObjectPath:
        if isinstance(part, ObjectPath):  # as ``pathlib`` joins an absolute path
            return part
        part = os.fspath(part).strip("/")
        if not part:
            return self
        return ObjectPath(self.scheme, self.bucket, f"{self.key}/{part}" if self.key else part)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.bucket}/{self.key}" if self.key else self.url_bucket

    @property
    def url_bucket(self) -> str:
        return f"{self.scheme}://{self.bucket}"

    def __repr__(self) -> str:
        return f"ObjectPath({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ObjectPath) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __lt__(self, other: ObjectPath) -> bool:
        return str(self) < str(other)

    @property
    def name(self) -> str:
        return PurePosixPath(self.key).name

    @property
    def stem(self) -> str:
        return PurePosixPath(self.key).stem

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.key).suffix

    @property
    def parent(self) -> ObjectPath:
        parent = str(PurePosixPath(self.key).parent)
        return ObjectPath(self.scheme, self.bucket, "" if parent == "." else parent)

    def with_suffix(self, suffix: str) -> ObjectPath:
        return ObjectPath(
            self.scheme, self.bucket, str(PurePosixPath(self.key).with_suffix(suffix))
        )

    def relative_to(self, other: ObjectPath) -> PurePosixPath:
        return PurePosixPath(self.key).relative_to(other.key)

    @property
    def _store(self):
        return _bucket(self.scheme, self.bucket)

    # -- reading ----------------------------------------------------------------------------
    def read_bytes(self) -> bytes:
        import obstore

        with _os_errors(self):
            return bytes(obstore.get(self._store, self.key).bytes())

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def stat(self) -> os.stat_result:
        """Size and modification time (the rest is zero)."""
        import obstore

        with _os_errors(self):
            meta = obstore.head(self._store, self.key)
        mtime = meta["last_modified"].timestamp()
        ns = int(mtime * 1e9)
        fields = (0o100644, 0, 0, 1, 0, 0, meta["size"], int(mtime), int(mtime), int(mtime))
        return os.stat_result((*fields, mtime, mtime, mtime, ns, ns, ns))

    def _children(self) -> tuple[list[str], list[dict]]:
        """Folder names and objects directly under this prefix."""
        import obstore

        prefix = f"{self.key}/" if self.key else ""
        with _os_errors(self):
            result = obstore.list_with_delimiter(self._store, prefix or None)
        folders = [p.rstrip("/").rsplit("/", 1)[-1] for p in result["common_prefixes"]]
        return folders, list(result["objects"])

    def exists(self) -> bool:
        return self.is_file() or self.is_dir()

    def is_file(self) -> bool:
        import obstore

        if not self.key:
            return False
        try:
            with _os_errors(self):
                obstore.head(self._store, self.key)
        except FileNotFoundError:
            return False
        return True

    def is_dir(self) -> bool:
        import obstore

        prefix = f"{self.key}/" if self.key else None
        with _os_errors(self):
            for _ in obstore.list(self._store, prefix, chunk_size=1):
                return True
        return False

    def iterdir(self) -> Iterator[ObjectPath]:
        folders, objects = self._children()
        names = set(folders) | {o["path"].rsplit("/", 1)[-1] for o in objects}
        for name in sorted(names):
            yield self / name

    def walk_files(self) -> Iterator[tuple[ObjectPath, int]]:
        """Every object under this prefix, with its size."""
        import obstore

        prefix = f"{self.key}/" if self.key else None
        with _os_errors(self):
            chunks = list(obstore.list(self._store, prefix))
        for chunk in chunks:
            for o in chunk:
                yield ObjectPath(self.scheme, self.bucket, o["path"]), o["size"]

    def glob(self, pattern: str) -> Iterator[ObjectPath]:
        """Objects and folders matching a relative pattern of ``/``-separated parts (each
        part as :func:`fnmatch.fnmatch`; no ``**``)."""
        parts = pattern.split("/")
        level = [self]
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt = []
            for base in level:
                folders, objects = base._children()
                names = (
                    set(folders)
                    if not last
                    else set(folders) | {o["path"].rsplit("/", 1)[-1] for o in objects}
                )
                nxt.extend(base / n for n in sorted(names) if fnmatch.fnmatchcase(n, part))
            level = nxt
        yield from level

    # -- writing ----------------------------------------------------------------------------
    def write_bytes(self, data: bytes) -> int:
        """Replace the object (atomically: readers see the old or the new bytes)."""
        import obstore

        with _os_errors(self):
            obstore.put(self._store, self.key, data)
        return len(data)

    def write_text(self, text: str, encoding: str = "utf-8") -> int:
        return self.write_bytes(text.encode(encoding))

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Folders need no creating on object storage."""

    def unlink(self, missing_ok: bool = False) -> None:
        import obstore

        if not missing_ok and not self.is_file():
            raise FileNotFoundError(str(self))
        with _os_errors(self):
            obstore.delete(self._store, self.key)

    def copy_to(self, target: ObjectPath) -> ObjectPath:
        """Copy the object (on the server: its bytes do not pass through this process)."""
        import obstore

        with _os_errors(self):
            obstore.copy(self._store, self.key, target.key)
        return target

    def rename(self, target: ObjectPath) -> ObjectPath:
        """Move an object (a copy then a delete: not atomic, unlike a local rename)."""
        self.copy_to(target)
        delete_objects([self])
        return target

    replace = rename


#: A store's root folder: a local path, or a prefix on object storage.
StoreRoot = Path | ObjectPath


# -- operations on either kind of path ------------------------------------------------------


def create(path: Path | ObjectPath, data: bytes) -> None:
    """Write a new file or object that must not exist yet (raises :class:`FileExistsError`
    when it does): ``O_EXCL``-like on a local disk (written aside, fsynced, then linked under
    its name), a put-if-absent on object storage."""
    if isinstance(path, ObjectPath):
        import obstore

        with _os_errors(path):
            obstore.put(path._store, path.key, data, mode="create")
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)  # atomic, fails if it exists
    finally:
        tmp.unlink()
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path | ObjectPath, data: bytes) -> None:
    """Write a whole file that readers see old or new, never in part: written aside and
    renamed on a local disk, one put on object storage."""
    if isinstance(path, ObjectPath):
        path.write_bytes(data)
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def rmtree(path: Path | ObjectPath, *, ignore_errors: bool = False) -> None:
    """Remove a folder and everything under it (missing: nothing to do; other errors raise
    unless ``ignore_errors``)."""
    if isinstance(path, ObjectPath):
        try:
            delete_objects([p for p, _ in path.walk_files()])
        except OSError:
            if not ignore_errors:
                raise
        return
    import shutil

    if ignore_errors or path.exists():
        shutil.rmtree(path, ignore_errors=ignore_errors)


def delete_objects(paths: Sequence[ObjectPath]) -> None:
    """Delete objects of one bucket, up to 1,000 per request (missing ones are no error)."""
    import obstore

    for i in range(0, len(paths), 1000):
        chunk = paths[i : i + 1000]
        with _os_errors(chunk[0]):
            obstore.delete(chunk[0]._store, [p.key for p in chunk])


def arrow_filesystem(path: Path | ObjectPath):
    """``(pyarrow file system, path in it)`` for reading or writing ``path`` with pyarrow
    (``None`` and the local path as a string on a local disk)."""
    if not isinstance(path, ObjectPath):
        return None, os.fspath(path)
    return _arrow_fs(path.scheme, tuple(storage_env().items())), f"{path.bucket}/{path.key}"


@functools.lru_cache(maxsize=8)
def _arrow_fs(scheme: str, env: tuple):
    import pyarrow.fs as pafs

    if scheme == "s3":
        options: dict = {"connect_timeout": 10, "request_timeout": 60}
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            options["endpoint_override"] = endpoint
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            options["region"] = region
        return pafs.S3FileSystem(**options)
    if scheme == "gs":
        return pafs.GcsFileSystem()
    return pafs.PyFileSystem(pafs.FSSpecHandler(_fsspec(scheme, env)))


def fsspec_filesystem(scheme: str):
    """An fsspec file system for an object-store scheme (DuckDB reads object stores through
    one, so that no DuckDB extension needs downloading)."""
    return _fsspec(scheme, tuple(storage_env().items()))


@functools.lru_cache(maxsize=8)
def _fsspec(scheme: str, env: tuple):
    from obstore.fsspec import FsspecStore

    return FsspecStore(scheme, client_options=_client_options(env), retry_config=_RETRY)


def open_input(path: Path | ObjectPath):
    """A seekable binary file to read ``path``."""
    if not isinstance(path, ObjectPath):
        return open(path, "rb")
    fs, p = arrow_filesystem(path)
    return fs.open_input_file(p)


# -- the lease --------------------------------------------------------------------------------


class LeaseHeld(Exception):
    """Another live owner holds the lease."""


@contextmanager
def lock(path: Path | ObjectPath, *, wait: bool = True, busy: type[Exception] = LeaseHeld):
    """Hold an exclusive lock named by ``path`` for the ``with`` block: an ``flock`` on a
    local file, a lease object on object storage (raises ``busy`` at once with
    ``wait=False`` when someone else holds it). Yields the :class:`Lease` (None locally):
    check :meth:`Lease.valid` before making what the lock protects visible."""
    if not isinstance(path, ObjectPath):
        import fcntl

        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise busy() from None
            yield None
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    lease = Lease(path)
    lease.acquire(wait=wait, busy=busy)
    try:
        yield lease
    finally:
        lease.release()


class Lease:
    """An exclusive lease on an object-store key, renewed while held.

    Taking a free key is a put-if-absent. A lease held by another owner is taken over only
    when it was released, or when this process has seen it *unchanged* (the same ETag) for
    the whole lease period its owner declared, measured on this process's monotonic clock:
    an owner that is alive renews it (a new ETag) every third of the period, so no clock of
    another machine is trusted. The takeover is a write conditional on the ETag seen, so two
    processes taking over the same lease cannot both win.

    The owner keeps track of how long its lease surely lasts (from the start of its last
    successful renewal, on its own monotonic clock): :meth:`valid` says whether it still holds
    with a margin to spare. A renewal that fails for a transient reason is tried again at
    the next tick; one refused because the lease was taken over marks it :attr:`lost`.
    """

    def __init__(self, path: ObjectPath, seconds: float | None = None) -> None:
        self.path = path
        self.seconds = seconds or LEASE_SECONDS
        self.owner = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._etag: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._valid_until = 0.0  # monotonic
        self._renewals = 0
        self.lost = False

    def _body(self, *, released: bool = False) -> bytes:
        self._renewals += 1
        data = {
            "owner": self.owner,
            "seconds": 0 if released else self.seconds,
            "renewal": self._renewals,  # every renewal changes the object, hence its ETag
            "expires": time.time() + (0 if released else self.seconds),  # for people only
        }
        return json.dumps(data).encode()

    def _put(self, mode) -> bool:
        """Write the lease object with a conditional ``mode``; whether it was written (False:
        the condition failed: someone else's lease is there)."""
        import obstore

        start = time.monotonic()
        try:
            with _os_errors(self.path):
                result = obstore.put(self.path._store, self.path.key, self._body(), mode=mode)
        except (FileExistsError, FileNotFoundError):
            return False
        self._etag = result["e_tag"]
        self._valid_until = start + self.seconds
        return True

    def _try(self) -> bool:
        import obstore

        if self._put("create"):
            return True
        now = time.monotonic()
        try:
            with _os_errors(self.path):
                got = obstore.get(self.path._store, self.path.key)
                etag, data = got.meta["e_tag"], bytes(got.bytes())
        except FileNotFoundError:
            return False  # deleted meanwhile: try again
        try:
            period = float(json.loads(data)["seconds"])
        except (ValueError, KeyError, TypeError):
            period = 0.0  # a damaged lease object protects nothing
        key = str(self.path)
        if period > 0:
            seen = _OBSERVED.get(key)
            if seen is None or seen[0] != etag:  # renewed since we last looked: alive
                _OBSERVED[key] = (etag, now)
                return False
            if now - seen[1] < period:
                return False
        if self._put({"e_tag": etag}):  # released, or unchanged for a whole period: ours
            _OBSERVED.pop(key, None)
            return True
        return False

    def acquire(self, *, wait: bool = True, busy: type[Exception] = LeaseHeld) -> None:
        """Take the lease (waiting while someone else holds it, or raising ``busy`` at once
        with ``wait=False``) and start renewing it."""
        delay = 0.05
        while not self._try():
            if not wait:
                raise busy()
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        self._thread = threading.Thread(target=self._renew, name="workbench-lease", daemon=True)
        self._thread.start()

    def valid(self, margin: float | None = None) -> bool:
        """Whether the lease surely stays ours for ``margin`` more seconds (a third of the
        period by default): check before making what it protects visible."""
        margin = self.seconds / 3 if margin is None else margin
        return not self.lost and time.monotonic() + margin < self._valid_until

    def _renew(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            if not self._renew_once():
                return

    def _renew_once(self) -> bool:
        """Extend the lease if it is still ours; whether to go on renewing."""
        try:
            if not self._put({"e_tag": self._etag}):
                self.lost = True  # taken over: no longer ours
        except OSError:  # the store did not answer: try again at the next tick
            pass
        return not self.lost

    def release(self) -> None:
        """Stop renewing and mark the lease released, if it is still ours (never removing
        the lease of an owner that took it over)."""
        import obstore

        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if not self.lost and self._etag is not None:
            with contextlib.suppress(Exception):  # unreachable: it expires by itself
                obstore.put(
                    self.path._store,
                    self.path.key,
                    self._body(released=True),
                    mode={"e_tag": self._etag},
                )
        self.lost = True


#: Leases held by others as this process last saw them: key -> (ETag, monotonic time first
#: seen with that ETag).
_OBSERVED: dict[str, tuple[str, float]] = {}
