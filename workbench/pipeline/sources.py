"""The source bytes a store keeps (table ``sources``): builds, the call graph and the views
read modules from the store, so a worker of a remote cluster needs nothing but the store.

Ingest writes one row per module it could read (the bytes whose SHA-256 is the module's
``content_hash``); a store made before sources were kept gets them on its next ingest. Where a
module has no stored bytes, the readers here say so and the caller may fall back to the file
under the source root.

Examples
--------
>>> import pathlib, tempfile
>>> from workbench.store import Store
>>> src = pathlib.Path(tempfile.mkdtemp())
>>> _ = (src / "calc.py").write_text("def add(a, b):\\n    return a + b\\n")
>>> store = Store.create(pathlib.Path(tempfile.mkdtemp()) / "store")
>>> _ = store.ingest(src)
>>> (src / "calc.py").unlink()  # the tree is not needed any more
>>> [(s.path, s.data[:7]) for s in stored_sources(store).values()]
[('calc.py', b'def add')]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow.compute as pc
import pyarrow.parquet as pq

from workbench.frontends.python.source import SourceFile, content_hash, count_lines
from workbench.store import Store
from workbench.store.objects import absolute, arrow_filesystem, store_root

__all__ = [
    "StoredSource",
    "as_source",
    "files_for",
    "has_sources",
    "kept_modules",
    "read_files",
    "source_files",
    "stored_sources",
]


@dataclass(frozen=True)
class StoredSource:
    """One module's stored bytes: ``module`` key, ``path``, ``content_hash``, ``data``."""

    module: int
    path: str
    content_hash: str
    data: bytes

    def intact(self) -> bool:
        """Whether the bytes still hash to ``content_hash``."""
        return content_hash(self.data) == self.content_hash


def as_source(data: bytes) -> SourceFile:
    """Stored bytes as :func:`~workbench.frontends.python.source.read_source` gives a file's
    (hashed again: what is built is what the hash says)."""
    return SourceFile(data, len(data), content_hash(data), count_lines(data))


def has_sources(store: Store) -> bool:
    """Whether the store keeps source bytes (every store ingested by this version does)."""
    return "sources" in store.tables


def stored_sources(store: Store, modules: Iterable[int] | None = None) -> dict[int, StoredSource]:
    """The stored bytes of ``modules`` (keys; default all), by key, as of the store's version.

    Modules without stored bytes (not read at ingest, or a store made before sources were
    kept) are missing from the result, and so are bytes whose hash is not the module's
    ``content_hash`` (an older version a repair restored); so is every module of a store
    without the table.
    """
    return {k: StoredSource(k, p, h, d) for k, (p, h, d) in _current(store, modules, True).items()}


def kept_modules(store: Store, modules: Iterable[int] | None = None) -> set[int]:
    """The keys among ``modules`` whose current bytes the store keeps (as
    :func:`stored_sources` would give them, without reading the bytes)."""
    return set(_current(store, modules, False))


def _current(store: Store, modules: Iterable[int] | None, data: bool) -> dict[int, tuple]:
    """key -> (path, content_hash, data or None) of the stored rows whose hash is the
    module's current ``content_hash``."""
    if not has_sources(store):
        return {}
    keys = None if modules is None else sorted(set(modules))
    flt = None if keys is None else pc.field("module").isin(keys)
    mods = store.read_table("modules", filter=flt, columns=["module", "path", "content_hash"])
    want = dict(
        zip(
            mods["module"].to_pylist(),
            zip(mods["path"].to_pylist(), mods["content_hash"].to_pylist(), strict=True),
            strict=True,
        )
    )
    if not want:
        return {}
    columns = ["module", "content_hash", *(["data"] if data else [])]
    rows = store.read_table("sources", pc.field("module").isin(sorted(want)), columns=columns)
    blobs = rows["data"].to_pylist() if data else [None] * rows.num_rows
    return {
        k: (want[k][0], h, d)
        for k, h, d in zip(
            rows["module"].to_pylist(), rows["content_hash"].to_pylist(), blobs, strict=True
        )
        if h == want[k][1]  # bytes of another version of the module (restored) are none
    }


# -- for workers: the data files themselves, no Delta log (a forked worker must not use the
# -- parent's deltalake runtime, and a remote one need not load the log)


def source_files(store: Store) -> list[tuple[str, int | None, int | None]]:
    """``(absolute path, min key, max key)`` of the data files of ``sources`` in the store's
    version (none for a store without the table); a worker in another directory reads them."""
    if not has_sources(store):
        return []
    return [(absolute(f["path"]), f["min"], f["max"]) for f in store.files("sources")]


def files_for(files: list[tuple[str, int | None, int | None]], keys: Iterable[int]) -> list[str]:
    """The files among ``files`` (:func:`source_files`) whose key range holds one of ``keys``."""
    keys = sorted(set(keys))
    return [
        path
        for path, lo, hi in files
        if lo is None or hi is None or any(lo <= k <= hi for k in keys)
    ]


def read_files(paths: Iterable[str], keys: Iterable[int]) -> dict[int, tuple[str, bytes]]:
    """``key -> (content_hash, data)`` of ``keys`` in the data files ``paths`` (page checksums
    verified; the caller checks the hashes against the modules it plans)."""
    keys = sorted(set(keys))
    out: dict[int, tuple[str, bytes]] = {}
    for path in paths:
        fs, where = arrow_filesystem(store_root(path))
        t = pq.read_table(
            where,
            filters=[("module", "in", keys)],
            page_checksum_verification=True,
            filesystem=fs,
        )
        for k, h, d in zip(
            t["module"].to_pylist(),
            t["content_hash"].to_pylist(),
            t["data"].to_pylist(),
            strict=True,
        ):
            out[k] = (h, d)
    return out
