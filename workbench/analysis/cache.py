"""Cached analysis results: an in-memory LRU bounded in bytes, over the store's
``analysis_cache`` table.

A result is an Arrow table keyed by the content hash of the input graph, the algorithm and a
hash of its parameters, in which the library versions are folded (a new networkx or workbench
computes afresh). Memory holds the most recently used results up to a byte budget; the store
keeps every result across sessions, in the file group of the module it read (see
:func:`~workbench.cpg.schema.analysis_group`), so that rebuilding a module drops exactly the
results that read it.

Examples
--------
>>> import pyarrow as pa
>>> cache = ResultCache(max_bytes=1 << 20)
>>> key = CacheKey("graph-hash", "pagerank", params_hash("pagerank", {"alpha": 0.85}))
>>> cache.get(key) is None
True
>>> cache.put(key, pa.table({"node": [0, 1], "pagerank": [0.5, 0.5]}), seconds=0.1)
>>> cache.get(key)[1]
'memory'
>>> stats = cache.stats().iloc[0]
>>> int(stats.memory_hits), int(stats.misses), int(stats.entries)
(1, 1, 1)
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from workbench.cpg.schema import ANALYSIS_CACHE, analysis_group
from workbench.errors import StoreBusyError

if TYPE_CHECKING:
    from workbench.store import Store

__all__ = [
    "ANALYSIS_REVISION",
    "CacheKey",
    "ResultCache",
    "ipc_bytes",
    "library_versions",
    "params_hash",
]

TABLE = "analysis_cache"


#: Revision of the analysis code's answers: bump it when a graph or an algorithm changes what
#: it returns, so that results cached by the old code are computed again.
ANALYSIS_REVISION = 2  # 2: semantics results (CPGSemantics) share the cache


@functools.cache
def library_versions() -> dict[str, str]:
    """The versions that can change a result: the workbench's, the analysis code's revision
    and the graph libraries'."""
    from importlib.metadata import PackageNotFoundError, version

    import igraph
    import networkx
    import rustworkx

    try:
        ours = version("cpg-workbench")
    except PackageNotFoundError:  # running from a source tree that was never installed
        ours = "unknown"
    return {
        "workbench": ours,
        "analysis": str(ANALYSIS_REVISION),
        "networkx": networkx.__version__,
        "rustworkx": rustworkx.__version__,
        "igraph": igraph.__version__,
    }


def params_hash(algorithm: str, params: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the parameters and the library versions.

    >>> params_hash("pagerank", {"alpha": 0.85, "tol": 1e-10}) == params_hash(
    ...     "pagerank", {"tol": 1e-10, "alpha": 0.85})
    True
    """
    doc = {"algorithm": algorithm, "params": params, "libraries": library_versions()}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class CacheKey:
    """What identifies a result; ``module`` (not part of the identity) says which module's
    group the result is stored in (``None``: the project-wide group)."""

    graph_hash: str
    algorithm: str
    params_hash: str
    module: int | None = field(default=None, compare=False)


def _matches(key: CacheKey) -> pc.Expression:
    return (
        (pc.field("graph_hash") == key.graph_hash)
        & (pc.field("algorithm") == key.algorithm)
        & (pc.field("params_hash") == key.params_hash)
    )


def ipc_bytes(table: pa.Table) -> bytes:
    """A table as an Arrow IPC stream (how results are stored, and hashed)."""
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue()


def _from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


class ResultCache:
    """An LRU of result tables bounded by ``max_bytes`` (Arrow buffer sizes), backed by the
    store's ``analysis_cache`` table when a store is given and ``persist`` is on.

    Under memory pressure the least recently used results leave memory; they stay in the
    store, so a later request reads them back instead of computing again. A result larger than
    the whole budget is never held in memory.
    """

    def __init__(
        self, store: Store | None = None, *, max_bytes: int = 64 << 20, persist: bool = True
    ) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, not {max_bytes}")
        self.store = store
        self.max_bytes = max_bytes
        self.persist = (
            persist and store is not None and not store.read_only and TABLE in store.tables
        )
        self._memory: OrderedDict[CacheKey, pa.Table] = OrderedDict()
        self._bytes = 0
        self._counts = dict.fromkeys(
            ("memory_hits", "store_hits", "misses", "puts", "evictions", "store_skipped"), 0
        )

    def __repr__(self) -> str:
        return (
            f"<ResultCache {len(self._memory)} results, {self._bytes:,} of {self.max_bytes:,} "
            f"bytes{', persisted' if self.persist else ''}>"
        )

    # -- reading ----------------------------------------------------------------------------

    def get(self, key: CacheKey) -> tuple[pa.Table, str] | None:
        """The cached result and where it came from (``memory`` or ``store``), or None."""
        table = self._memory.get(key)
        if table is not None:
            self._memory.move_to_end(key)
            self._counts["memory_hits"] += 1
            return table, "memory"
        if self.persist:
            table = self._read(key)
            if table is not None:
                self._counts["store_hits"] += 1
                self._remember(key, table)
                return table, "store"
        self._counts["misses"] += 1
        return None

    def _read(self, key: CacheKey) -> pa.Table | None:
        assert self.store is not None
        rows = self.store.read_table(TABLE, filter=_matches(key))
        if not rows.num_rows:
            return None
        return _from_ipc(rows["result"][rows.num_rows - 1].as_py())

    # -- writing ----------------------------------------------------------------------------

    def put(
        self, key: CacheKey, table: pa.Table, *, seconds: float | None = None, store: bool = True
    ) -> None:
        """Keep a result in memory and, when persisting and ``store``, in the store (skipped,
        not waited for, while another process writes the store)."""
        self._counts["puts"] += 1
        self._remember(key, table)
        if not (self.persist and store):
            return
        assert self.store is not None
        row = pa.Table.from_pylist(
            [
                {
                    "graph_hash": key.graph_hash,
                    "algorithm": key.algorithm,
                    "params_hash": key.params_hash,
                    "result": ipc_bytes(table),
                    "seconds": seconds,
                    "created_at": dt.datetime.now(dt.UTC),
                }
            ],
            schema=ANALYSIS_CACHE,
        )
        group = analysis_group(key.module)
        try:
            with self.store.transaction("analysis cache", wait=False) as tx:
                old = tx.read_group(TABLE, group)
                kept = old.filter(~_matches(key)) if old.num_rows else old
                tx.replace_group(TABLE, group, pa.concat_tables([kept.cast(row.schema), row]))
        except StoreBusyError:
            self._counts["store_skipped"] += 1

    def _remember(self, key: CacheKey, table: pa.Table) -> None:
        size = table.nbytes
        if key in self._memory:
            self._bytes -= self._memory.pop(key).nbytes
        if size > self.max_bytes:
            return
        self._memory[key] = table
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, old = self._memory.popitem(last=False)
            self._bytes -= old.nbytes
            self._counts["evictions"] += 1

    def clear(self, *, store: bool = False) -> None:
        """Forget the results held in memory; with ``store=True`` also those in the store."""
        self._memory.clear()
        self._bytes = 0
        if store and self.persist:
            assert self.store is not None
            with self.store.transaction("analysis cache clear") as tx:
                tx.rewrite(TABLE, ANALYSIS_CACHE.empty_table())

    # -- reporting --------------------------------------------------------------------------

    @property
    def nbytes(self) -> int:
        """Bytes of the results held in memory."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._memory)

    def stats(self) -> pd.DataFrame:
        """One row: hits from memory and from the store, misses, hit ratio, evictions, the
        bytes held and the budget."""
        c = self._counts
        asked = c["memory_hits"] + c["store_hits"] + c["misses"]
        return pd.DataFrame(
            [
                {
                    **c,
                    "hit_ratio": (c["memory_hits"] + c["store_hits"]) / asked if asked else None,
                    "entries": len(self._memory),
                    "bytes": self._bytes,
                    "max_bytes": self.max_bytes,
                }
            ]
        )

    def stored(self) -> pd.DataFrame:
        """The results kept in the store (without their tables)."""
        if not self.persist:
            return pd.DataFrame(columns=["graph_hash", "algorithm", "params_hash", "seconds"])
        assert self.store is not None
        t = self.store.read_table(TABLE).drop_columns(["result"])
        return t.to_pandas().sort_values(["algorithm", "graph_hash"], ignore_index=True)
