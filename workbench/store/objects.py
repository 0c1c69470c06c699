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
* :func:`lock` is a lease: an object created with put-if-absent, renewed in the background
  with conditional writes (``If-Match``) while it is held; the lease of a writer that died
  expires and is taken over (the kill -9 of a writer on a local store releases its ``flock``
  at once; on object storage the next writer waits for the lease to expire).

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
import fnmatch
import functools
import importlib.util
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from workbench.errors import MissingDependencyError

__all__ = [
    "SCHEMES",
    "ObjectPath",
    "absolute",
    "arrow_filesystem",
    "create",
    "is_object_path",
    "lock",
    "open_input",
    "open_output",
    "rmtree",
    "storage_env",
    "store_root",
    "use_storage_env",
    "write_atomically",
]

#: URL schemes of object stores a store may live on.
SCHEMES = ("s3", "gs", "az", "abfs", "abfss")
#: Seconds a lease lasts without renewal; renewed every third of it while held.
LEASE_SECONDS = float(os.environ.get("WORKBENCH_LEASE_SECONDS", "30"))


def store_root(path: str | os.PathLike) -> Path | ObjectPath:
    """A store root from what a user gives: ``s3://bucket/prefix`` (or another object-store
    URL) is an :class:`ObjectPath`, anything else a local :class:`~pathlib.Path`.

    Raises
    ------
    ValueError
        A URL without a bucket.
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


@functools.lru_cache(maxsize=32)
def _client(scheme: str, bucket: str, env: tuple):
    from obstore.store import from_url

    return from_url(f"{scheme}://{bucket}")


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
        return os.stat_result((0o100644, 0, 0, 1, 0, 0, meta["size"], mtime, mtime, mtime))

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

    def rename(self, target: ObjectPath) -> ObjectPath:
        """Move an object (a copy then a delete: not atomic, unlike a local rename)."""
        import obstore

        with _os_errors(self):
            obstore.copy(self._store, self.key, target.key)
            obstore.delete(self._store, self.key)
        return target

    replace = rename


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


def rmtree(path: Path | ObjectPath) -> None:
    """Remove a folder and everything under it (missing: nothing to do)."""
    if isinstance(path, ObjectPath):
        import obstore

        keys = [p.key for p, _ in path.walk_files()]
        with _os_errors(path):
            for i in range(0, len(keys), 1000):
                obstore.delete(path._store, keys[i : i + 1000])
        return
    import shutil

    shutil.rmtree(path, ignore_errors=True)


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
        options: dict = {}
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            options["endpoint_override"] = endpoint
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            options["region"] = region
        return pafs.S3FileSystem(**options)
    if scheme == "gs":
        return pafs.GcsFileSystem()
    from obstore.fsspec import FsspecStore

    return pafs.PyFileSystem(pafs.FSSpecHandler(FsspecStore(scheme)))


def fsspec_filesystem(scheme: str):
    """An fsspec file system for an object-store scheme (DuckDB reads object stores through
    one, so that no DuckDB extension needs downloading)."""
    return _fsspec(scheme, tuple(storage_env().items()))


@functools.lru_cache(maxsize=8)
def _fsspec(scheme: str, env: tuple):
    from obstore.fsspec import FsspecStore

    return FsspecStore(scheme)


def open_output(path: Path | ObjectPath):
    """A binary file to write ``path`` whole (its object appears when it is closed)."""
    if not isinstance(path, ObjectPath):
        return open(path, "wb")
    fs, p = arrow_filesystem(path)
    return fs.open_output_stream(p)


def open_input(path: Path | ObjectPath):
    """A seekable binary file to read ``path``."""
    if not isinstance(path, ObjectPath):
        return open(path, "rb")
    fs, p = arrow_filesystem(path)
    return fs.open_input_file(p)


def delta_uri(path: Path | ObjectPath) -> str:
    """What ``deltalake`` is given for a table at ``path`` (it reads the environment for
    the object store's configuration, as this module does)."""
    return str(path)


# -- the lease --------------------------------------------------------------------------------


class LeaseHeld(Exception):
    """Another live owner holds the lease."""


@contextmanager
def lock(path: Path | ObjectPath, *, wait: bool = True, busy: type[Exception] = LeaseHeld):
    """Hold an exclusive lock named by ``path`` for the ``with`` block: an ``flock`` on a
    local file, a lease object on object storage (raises ``busy`` at once with
    ``wait=False`` when someone else holds it). Yields the :class:`Lease` (None locally):
    check :attr:`Lease.lost` before making what the lock protects visible."""
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

    The lease object holds its owner and the time it expires. Taking it is a put-if-absent;
    an expired lease (its owner died) is taken over with a write conditional on the object's
    ETag, so two processes taking over the same expired lease cannot both win. While held, a
    thread renews it every third of :data:`LEASE_SECONDS`, also conditionally: an owner whose
    lease was taken over (it stalled past expiry) finds out (:attr:`lost`) instead of
    overwriting the new owner.
    """

    def __init__(self, path: ObjectPath, seconds: float | None = None) -> None:
        self.path = path
        self.seconds = seconds or LEASE_SECONDS
        self.owner = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._etag: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False

    def _body(self) -> bytes:
        return json.dumps({"owner": self.owner, "expires": time.time() + self.seconds}).encode()

    def _try(self) -> bool:
        import obstore

        store, key = self.path._store, self.path.key
        try:
            self._etag = obstore.put(store, key, self._body(), mode="create")["e_tag"]
            return True
        except Exception as e:
            if not isinstance(e, FileExistsError) and type(e).__name__ not in (
                "AlreadyExistsError",
                "PreconditionError",
            ):
                raise
        try:
            got = obstore.get(store, key)
            etag, data = got.meta["e_tag"], bytes(got.bytes())
        except FileNotFoundError:
            return False  # released meanwhile: try again
        try:
            expires = float(json.loads(data)["expires"])
        except (ValueError, KeyError, TypeError):
            expires = 0.0  # a damaged lease object protects nothing
        if expires > time.time():
            return False
        try:  # expired: take it over, unless someone else did first
            self._etag = obstore.put(store, key, self._body(), mode={"e_tag": etag})["e_tag"]
            return True
        except Exception as e:
            if type(e).__name__ in ("PreconditionError", "NotFoundError") or isinstance(
                e, FileNotFoundError
            ):
                return False
            raise

    def acquire(self, *, wait: bool = True, busy: type[Exception] = LeaseHeld) -> None:
        delay = 0.05
        while not self._try():
            if not wait:
                raise busy()
            time.sleep(delay)
            delay = min(delay * 2, max(self.seconds / 10, 0.05), 1.0)
        self._thread = threading.Thread(target=self._renew, name="workbench-lease", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            if not self._renew_once():
                return

    def _renew_once(self) -> bool:
        """Extend the lease if it is still ours; whether it is."""
        import obstore

        try:
            self._etag = obstore.put(
                self.path._store, self.path.key, self._body(), mode={"e_tag": self._etag}
            )["e_tag"]
        except Exception:  # taken over, or the store is unreachable: no longer ours
            self.lost = True
        return not self.lost

    def release(self) -> None:
        import obstore

        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if not self.lost:
            # expired at once, and only if still ours (an unconditional delete could remove
            # the lease of a writer that took ours over): the next writer takes it over
            with contextlib.suppress(Exception):
                obstore.put(
                    self.path._store,
                    self.path.key,
                    json.dumps({"owner": self.owner, "expires": 0}).encode(),
                    mode={"e_tag": self._etag},
                )
