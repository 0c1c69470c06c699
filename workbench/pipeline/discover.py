"""Finding the modules of a source tree.

>>> import pathlib, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "pkg" / "__pycache__").mkdir(parents=True)
>>> for rel in ("pkg/__init__.py", "pkg/core.py", "pkg/__pycache__/core.py", "notes.txt"):
...     _ = (root / rel).write_text("")
>>> find_modules(root)
['pkg/__init__.py', 'pkg/core.py']
>>> find_modules(root, exclude=["pkg/core.py"])
['pkg/__init__.py']
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from pathlib import Path

from workbench.cpg.ids import normalize_path
from workbench.errors import NotFoundError
from workbench.frontends.python.kinds import SKIP_DIRS

__all__ = ["find_modules"]


def find_modules(root: str | os.PathLike, exclude: Sequence[str] = ()) -> list[str]:
    """Relative POSIX paths of the ``.py`` files under ``root``, sorted.

    Virtualenvs, VCS folders, caches and build folders are skipped (see
    ``workbench.frontends.python.kinds.SKIP_DIRS``), as are paths matching any ``exclude``
    glob (matched against the relative path).
    """
    root = Path(root)
    if not root.is_dir():
        raise NotFoundError(f"source root {str(root)!r} is not a directory")
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS
            and not d.endswith(".egg-info")
            and not _excluded(normalize_path(os.path.join(rel_dir, d)), exclude)
        )
        for f in filenames:
            if f.endswith(".py"):
                rel = normalize_path(os.path.normpath(os.path.join(rel_dir, f)))
                if not _excluded(rel, exclude):
                    out.append(rel)
    return sorted(out)


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    rel = rel.removeprefix("./")
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel + "/", p) for p in patterns)
