r"""Stable identities: module keys and dotted module names, derived from relative paths.

Examples
--------
>>> module_key("pkg/mod.py") == module_key("pkg/mod.py")
True
>>> module_name("pkg/sub/__init__.py"), module_name("pkg/mod.py"), module_name("setup.py")
('pkg.sub', 'pkg.mod', 'setup')

On POSIX a backslash is an ordinary character of a file name, so ``a\b.py`` and ``a/b.py`` are
two files with two keys; the first one's dotted name keeps the backslash (it is not importable,
and no import can name it):

>>> import os
>>> os.sep == "\\" or module_key("a\\b.py") != module_key("a/b.py")
True
>>> os.sep == "\\" or module_name("a\\b.py") == "a\\b"
True
"""

from __future__ import annotations

import hashlib
import os
from pathlib import PurePosixPath

__all__ = ["is_package", "module_key", "module_name", "normalize_path"]


def normalize_path(path: str) -> str:
    """A relative path with POSIX separators (the form stored and hashed).

    Only the platform's own separators (``os.sep``, ``os.altsep``) become ``/``: on POSIX a
    backslash is an ordinary character of a file name and is kept, so two different files
    never get the same path (and key).
    """
    for sep in (os.sep, os.altsep):
        if sep and sep != "/":
            path = path.replace(sep, "/")
    return PurePosixPath(path).as_posix()


def module_key(path: str) -> int:
    """Signed 64-bit key of a module: BLAKE2b of its POSIX path relative to the source root."""
    digest = hashlib.blake2b(normalize_path(path).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def module_name(path: str) -> str:
    """Dotted module name of a relative path (``pkg/__init__.py`` -> ``pkg``)."""
    p = PurePosixPath(normalize_path(path))
    parts = list(p.parent.parts) if p.parent != PurePosixPath(".") else []
    if p.stem != "__init__":
        parts.append(p.stem)
    return ".".join(x for x in parts if x not in ("", ".")) or p.stem


def is_package(path: str) -> bool:
    """Whether the path is a package's ``__init__`` module."""
    return PurePosixPath(normalize_path(path)).stem == "__init__"
