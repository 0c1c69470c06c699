"""The source lines the views show beside a graph or a finding.

A store keeps the bytes ingest read (table ``sources``): the lines come from them. A store made
before sources were kept reads the file under its last ingested source root, and only when its
bytes still hash to the ``content_hash`` the store recorded, so a view never shows lines of a
file edited since (it says so instead). A project reads its files under its root the same way.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

__all__ = ["source_lines"]


def source_lines(source: Any, module: str | int) -> tuple[list[str] | None, str]:
    """The lines of one module's source as it was read, and why not when unavailable.

    Parameters
    ----------
    source
        A :class:`~workbench.store.Store`, a :class:`~workbench.pipeline.project.Project`,
        or :class:`~workbench.analysis.tables.CodeTables` read from one (anything else: no
        source).
    module
        Path, dotted name or key.

    Returns
    -------
    (lines, reason)
        ``lines`` without line ends (``lines[0]`` is line 1) and ``""``, or ``None`` and a
        plain-text reason (not escaped).

    Examples
    --------
    >>> import tempfile, pathlib, workbench as wb
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "m.py").write_text("x = 1\\ny = 2\\n")
    >>> lines, why = source_lines(wb.build_project(d), "m.py")
    >>> lines, why
    (['x = 1', 'y = 2'], '')
    >>> p = wb.build_project(d)
    >>> _ = (d / "m.py").write_text("x = 3\\n")
    >>> source_lines(p, "m.py")[1].endswith("changed since it was read (its content hash differs)")
    True
    """
    from workbench.analysis.tables import CodeTables
    from workbench.pipeline.project import Project
    from workbench.store import Store

    if isinstance(source, CodeTables):
        source = source.source
    if isinstance(source, Store):
        return _from_store(source, module)
    if isinstance(source, Project):
        return _from_project(source, module)
    return None, "no source files behind an in-memory CPG"


def _from_store(store, module) -> tuple[list[str] | None, str]:
    from workbench.errors import NotFoundError
    from workbench.pipeline.sources import stored_sources

    try:
        key = store.module_key(module)
    except NotFoundError as e:
        return None, str(e)
    stored = stored_sources(store, [key]).get(key)
    if stored is not None:  # the bytes ingest read
        if not stored.intact():
            return None, f"the stored bytes of {stored.path} do not match its content hash"
        return _lines(stored.data), ""
    root = store.last_source()  # a store made before sources were kept
    if root is None:
        return None, "the store keeps no bytes of this module and records no source root"
    rows = store.modules()
    row = rows[rows["module"] == key].iloc[0]
    return _read(Path(root) / row["path"], row["content_hash"])


def _from_project(project, module) -> tuple[list[str] | None, str]:
    for row in project.modules.select(["module", "path", "name", "content_hash"]).to_pylist():
        if module in (row["path"], row["name"], row["module"]):
            return _read(Path(project.root) / row["path"], row["content_hash"])
    return None, f"no module {module!r} in the project"


def _read(path: Path, content_hash: str | None) -> tuple[list[str] | None, str]:
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, f"cannot read {path}: {e.strerror or e}"
    if content_hash and hashlib.sha256(data).hexdigest() != content_hash:
        return None, f"{path} changed since it was read (its content hash differs)"
    return _lines(data), ""


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", errors="replace").splitlines()
