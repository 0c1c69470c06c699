"""What runs in a worker process: build a batch of modules, write their Parquet files.

The function is top-level and its arguments are plain data, so any ``concurrent.futures``
executor can run it (a process pool, or Dask's). Files are staged in the store
(:meth:`workbench.store.Store.stage`) but not committed: the committer in the main process
does that, in batches.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from workbench.cpg.schema import CpgStatus
from workbench.errors import SourceError, SourceTooLargeError
from workbench.frontends.python import build_cpg
from workbench.frontends.python.source import Limits, read_source
from workbench.pipeline.builds import CPG_ROWS
from workbench.store import open_store

__all__ = ["build_batch"]

#: Build functions by name: plain data crosses process boundaries, functions may not.
BUILDERS: dict[str, Callable] = {"python": build_cpg}


class BuildTimeout(Exception):
    """A module took longer than the per-module timeout."""


@contextmanager
def _deadline(seconds: float | None):
    """Raise BuildTimeout after ``seconds`` (only in a process's main thread, via SIGALRM)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
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


def build_batch(
    store_root: str,
    source_root: str,
    items: list[tuple[int, str, str]],
    max_nodes: int,
    timeout: float | None = None,
    builder: str | Callable = "python",
    session: str | None = None,
) -> dict:
    """Build ``items`` (module key, path, expected content hash) and stage their rows in the
    store (in the staging ``session`` of the process that will commit them).

    Returns ``{"results": [...], "files": [StagedFile, ...]}``; every module gets a result
    with status ``ok``, ``failed`` or ``skipped`` and, when not ok, the error's type and
    message. Nothing raised by one module affects the others.
    """

    build = BUILDERS[builder] if isinstance(builder, str) else builder
    limits = Limits(max_nodes=max_nodes)
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
            # only a regular file is opened, and no more than the limit read (``rel`` names the
            # file only in str(error), which is not recorded; reading uses no limit but max_bytes)
            src = read_source(Path(source_root) / rel, rel, limits)  # pragma: no mutate: equivalent
            if src.content_hash != expected:
                raise _SourceChanged("the source changed since it was ingested: run ingest")
            if src.error is not None:
                raise src.error
            with _deadline(timeout):
                cpg = build(src.data, rel, limits=limits)
        except _SourceChanged as e:  # nothing built: it stays pending until ingest catches up
            res.update(status=str(CpgStatus.PENDING), error_type=_type(e), error_message=_msg(e))
        except (SourceTooLargeError, MemoryError) as e:
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
        store = open_store(store_root)
        for name, attr in CPG_ROWS:
            rows = pa.concat_tables([getattr(c, attr) for c in cpgs])
            if name == "cpg_edges":  # cross-module edges are derived when linking
                rows = rows.filter(pc.is_null(rows["dst_module"]))
            files.append(store.stage(name, rows, session=session))
    return {"results": results, "files": files}


class _SourceChanged(Exception):
    pass


def _type(e: BaseException) -> str:
    return (
        "SourceChanged"
        if isinstance(e, _SourceChanged)
        else (getattr(e, "error_type", None) or type(e).__name__)
    )


def _msg(e: BaseException) -> str:
    return getattr(e, "message", None) or str(e) or type(e).__name__
