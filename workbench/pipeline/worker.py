"""What runs in a worker process: build a batch of modules, write their Parquet files.

The function is top-level and its arguments are plain data, so any ``concurrent.futures``
executor can run it (a process pool, or Dask's). Files are staged in the store
(:meth:`workbench.store.Store.stage`) but not committed: the committer in the main process
does that, in batches.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from workbench.cpg.schema import CpgStatus
from workbench.errors import (
    OutOfMemoryError,
    SourceError,
    SourceTooLargeError,
    UnreadableFileError,
)
from workbench.frontends.python import build_cpg
from workbench.frontends.python.source import Limits, SourceFile, read_source
from workbench.pipeline.builds import CPG_ROWS
from workbench.pipeline.sources import as_source, read_files
from workbench.store import open_store
from workbench.store.objects import store_root as as_root
from workbench.store.objects import use_storage_env
from workbench.store.store import stage_file

__all__ = ["build_batch"]

#: Build functions by name: plain data crosses process boundaries, functions may not.
BUILDERS: dict[str, Callable] = {"python": build_cpg}


class BuildTimeout(Exception):
    """A module took longer than the per-module timeout."""


@contextmanager
def _deadline(seconds: float | None):
    """Raise BuildTimeout in this thread after ``seconds``.

    In a process's main thread a ``SIGALRM`` timer raises it. In any other thread (a Dask
    worker runs tasks in threads) a timer thread raises it asynchronously in this one
    (``PyThreadState_SetAsyncExc``): it arrives at the build's next Python bytecode, so a
    long call into C finishes first. A timeout that fires as the block ends is withdrawn.
    """
    if not seconds:
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        with _thread_deadline(seconds):
            yield
        return

    def _alarm(signum, frame):
        raise BuildTimeout(f"took longer than {seconds:g} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _timeout_class(seconds: float) -> type[BuildTimeout]:
    """A BuildTimeout subclass whose instances say ``seconds`` without being given it (a
    thread is sent the class, not an instance); its name is BuildTimeout, as recorded."""

    class _Timeout(BuildTimeout):
        def __init__(self, *args) -> None:
            super().__init__(*(args or (f"took longer than {seconds:g} s",)))

    _Timeout.__name__ = _Timeout.__qualname__ = "BuildTimeout"
    return _Timeout


@contextmanager
def _thread_deadline(seconds: float):
    target = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    state = {"inside": True}
    exc = _timeout_class(seconds)

    def fire() -> None:
        with lock:
            if state["inside"]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(exc))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["inside"] = False
            timer.cancel()
            ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)  # one not delivered yet


def build_batch(
    store_root: str,
    source_root: str | None,
    items: list[tuple[int, str, str]],
    max_nodes: int,
    timeout: float | None = None,
    builder: str | Callable = "python",
    session: str | None = None,
    source_files: Sequence[str] = (),
    storage: dict[str, str] | None = None,
    schema_version: int | None = None,
) -> dict:
    """Build ``items`` (module key, path, expected content hash) and stage their rows in the
    store (in the staging ``session`` of the process that will commit them).

    Each module's bytes come from the store: ``source_files`` are the data files of its
    ``sources`` table that hold them (:func:`~workbench.pipeline.sources.files_for`). Only a
    module the store keeps no bytes of is read from the file under ``source_root`` (a store
    ingested before sources were kept), so a worker that sees the store needs no source tree.
    ``storage`` is the committer's object-store configuration (credentials, endpoint: see
    :func:`~workbench.store.objects.storage_env`) for a store on object storage.
    ``schema_version``, the store's as the committer reads it, spares opening the store (its
    log read again for every batch).

    Returns ``{"results": [...], "files": [StagedFile, ...]}``; every module gets a result
    with status ``ok``, ``failed`` or ``skipped`` and, when not ok, the error's type and
    message. Nothing raised by one module affects the others.
    """

    use_storage_env(storage)
    build = BUILDERS[builder] if isinstance(builder, str) else builder
    limits = Limits(max_nodes=max_nodes)
    try:
        stored, unreadable = read_files(source_files, [key for key, _, _ in items]), None
    except OSError as e:  # a file vacuumed meanwhile, say: the modules say why
        stored, unreadable = {}, f"the store's source bytes cannot be read ({e})"
    results, cpgs = [], []
    for key, rel, expected in items:
        t0 = time.perf_counter()
        res = {
            "module": key,
            "path": rel,
            "status": str(CpgStatus.OK),
            "error_type": None,
            "error_message": None,
            "content_hash": expected,
            "pid": os.getpid(),
        }
        try:
            kept = stored.get(key)
            if kept is not None and kept[0] != expected:  # another version's bytes: none
                kept = None
            src = _source(kept, source_root, rel, limits, unreadable)
            if src.content_hash != expected:
                raise _SourceChanged("the source changed since it was ingested: run ingest")
            if src.error is not None:
                raise src.error
            with _deadline(timeout):
                cpg = build(src.data, rel, limits=limits)
        except _Pending as e:  # nothing built: it stays pending (ingest or a rerun catches up)
            res.update(status=str(CpgStatus.PENDING), error_type=_type(e), error_message=_msg(e))
        except (SourceTooLargeError, OutOfMemoryError, MemoryError) as e:
            res.update(status=str(CpgStatus.SKIPPED), error_type=_type(e), error_message=_msg(e))
        except SourceError as e:
            res.update(
                status=str(CpgStatus.FAILED), error_type=e.error_type, error_message=e.message
            )
        except Exception as e:  # the module's failure, not the batch's
            res.update(status=str(CpgStatus.FAILED), error_type=_type(e), error_message=_msg(e))
        else:
            cpgs.append(cpg)
            res.update(
                nodes=cpg.nodes.num_rows,
                edges=cpg.edges.num_rows,
                methods=cpg.methods.num_rows,
                graph_hash=cpg.graph_hash(),
            )
        res["seconds"] = time.perf_counter() - t0
        results.append(res)
    files = []
    if cpgs:
        if schema_version is None or session is None:
            store = open_store(store_root)
            stage = partial(store.stage, session=session)
        else:
            stage = partial(stage_file, as_root(store_root), schema_version, session=session)
        for name, attr in CPG_ROWS:
            rows = pa.concat_tables([getattr(c, attr) for c in cpgs])
            if name == "cpg_edges":  # cross-module edges are derived when linking
                rows = rows.filter(pc.is_null(rows["dst_module"]))
            files.append(stage(name, rows))
    return {"results": results, "files": files}


def _source(
    stored: tuple[str, bytes] | None,
    root: str | None,
    rel: str,
    limits: Limits,
    unreadable: str | None,
) -> SourceFile:
    """A module's bytes: the stored ones (the build checks their size), else the file under
    ``root`` (only a regular file is opened, and no more than the limit read); without a
    root, pending when the stored bytes could not be read, else an error saying why."""
    if stored is not None:
        return as_source(stored[1])
    if root is not None:
        return read_source(Path(root) / rel, rel, limits)  # pragma: no mutate: equivalent
    if unreadable is not None:  # a file vacuumed or compacted away meanwhile, say: transient
        raise _BytesUnreadable(f"{unreadable}: run generate again")
    raise UnreadableFileError(
        rel,
        "the store keeps no bytes of this module and there is no source root: run "
        "ingest again (it stores them) or pass source=",
    )


class _Pending(Exception):
    """Nothing was built, and nothing is wrong with the module: it stays pending."""

    error_type = "Pending"


class _SourceChanged(_Pending):
    error_type = "SourceChanged"


class _BytesUnreadable(_Pending):
    error_type = "StoredSourceUnreadable"


def _type(e: BaseException) -> str:
    return getattr(e, "error_type", None) or type(e).__name__


def _msg(e: BaseException) -> str:
    return getattr(e, "message", None) or str(e) or type(e).__name__
