"""Finding the modules of a source tree, safely.

>>> import pathlib, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "pkg" / "__pycache__").mkdir(parents=True)
>>> for rel in ("pkg/__init__.py", "pkg/core.py", "pkg/__pycache__/core.py", "notes.txt"):
...     _ = (root / rel).write_text("")
>>> find_modules(root)
['pkg/__init__.py', 'pkg/core.py']
>>> find_modules(root, exclude=["pkg/core.py"])
['pkg/__init__.py']

A hostile tree never stops discovery: what cannot be a module is skipped with its reason.

>>> import os
>>> os.symlink("nowhere.py", root / "broken.py")
>>> os.mkfifo(root / "pipe.py")
>>> found = discover(root)
>>> found.paths
['pkg/__init__.py', 'pkg/core.py']
>>> for s in found.skipped:
...     print(s.path, "|", s.reason)
broken.py | broken symbolic link (its target nowhere.py does not exist)
pipe.py | not a regular file (FIFO)
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import NotFoundError
from workbench.frontends.python.kinds import QUIET_SKIP_DIRS, SKIP_DIRS, TOP_LEVEL_SKIP_DIRS
from workbench.frontends.python.source import file_type

__all__ = ["Discovery", "Skipped", "check_source_root", "discover", "find_modules"]

_FOLLOW = "not followed (follow_symlinks=True, or --follow-symlinks, follows it)"


@dataclass(frozen=True)
class Skipped:
    """A path of a source tree that is not analysed, and why.

    Attributes
    ----------
    path : str
        Relative to the source root, ``/``-separated. A name that is not valid UTF-8 is shown
        with ``\\xNN`` escapes for its undecodable bytes (for reading only: it is no key).
    reason : str
        Why it was skipped, in one line.
    """

    path: str
    reason: str


@dataclass
class Discovery:
    """What :func:`discover` found.

    Attributes
    ----------
    paths : list of str
        Relative paths of the modules, sorted (what :func:`find_modules` returns).
    skipped : list of Skipped
        Paths left out, with the reason, sorted by path. Paths matching an ``exclude`` glob
        and folders that never hold sources (version control, caches) are not listed.
    """

    paths: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def check_source_root(root: str | os.PathLike) -> Path:
    """``root`` as a Path if it is a directory.

    Parameters
    ----------
    root
        A source root.

    Returns
    -------
    Path

    Raises
    ------
    NotFoundError
        ``root`` is missing or not a directory (a file, say).
    """
    root = Path(root)
    if root.is_dir():
        return root
    if root.exists():
        raise NotFoundError(
            f"source root {str(root)!r} is not a directory: pass the folder holding the modules"
        )
    raise NotFoundError(f"source root {str(root)!r} is not a directory (it does not exist)")


def find_modules(
    root: str | os.PathLike, exclude: Sequence[str] = (), *, follow_symlinks: bool = False
) -> list[str]:
    """Relative POSIX paths of the ``.py`` files under ``root``, sorted.

    Virtualenvs, VCS folders, caches and build folders are skipped (see :func:`discover`), as
    are paths matching any ``exclude`` glob (matched against the relative path).
    """
    return discover(root, exclude, follow_symlinks=follow_symlinks).paths


def discover(
    root: str | os.PathLike, exclude: Sequence[str] = (), *, follow_symlinks: bool = False
) -> Discovery:
    """The modules under ``root`` and the paths skipped, with reasons.

    A module is a regular file whose name ends in ``.py``. Nothing is opened here; only
    ``stat`` is used. Skipped, with a reason:

    * folders named in ``workbench.frontends.python.kinds.SKIP_DIRS`` at any depth (caches
      and VCS folders silently), folders holding ``pyvenv.cfg`` (virtualenvs), ``*.egg-info``,
      and ``TOP_LEVEL_SKIP_DIRS`` (``venv``, ``build``, ``dist``) directly under ``root`` only,
      unless they are packages (hold ``__init__.py``, like the standard library's ``venv``);
    * ``.py`` entries that are not regular files (FIFOs, devices, sockets), broken symbolic
      links and symbolic link loops;
    * names that are not valid UTF-8 (they cannot be stored faithfully: rename them);
    * symbolic links to files outside the tree, and symbolic links to folders, unless
      ``follow_symlinks`` (loops are detected and skipped then).

    Parameters
    ----------
    root
        The source root.
    exclude
        Globs of relative paths to leave out (not listed as skipped).
    follow_symlinks
        Follow symbolic links that leave the tree, and walk symbolic links to folders.

    Returns
    -------
    Discovery

    Raises
    ------
    NotFoundError
        ``root`` is not a directory.
    """
    root = check_source_root(root)
    real_root = os.path.realpath(root)
    found = Discovery()

    def skip(rel: str, reason: str) -> None:
        found.skipped.append(Skipped(_shown(rel), reason))

    try:
        top = os.stat(root)
    except OSError as e:  # pragma: no cover - is_dir() just succeeded
        raise NotFoundError(f"source root {str(root)!r}: {e.strerror}") from None
    stack = [(os.fspath(root), "", frozenset({(top.st_dev, top.st_ino)}))]
    while stack:
        dirpath, rel_dir, ancestors = stack.pop()
        try:
            with os.scandir(dirpath) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            skip(rel_dir or ".", f"cannot list the folder: {_reason(e)}")
            continue
        for entry in entries:
            name = entry.name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if _excluded(rel, exclude):
                continue
            link = _is_symlink(entry)
            try:
                st = entry.stat(follow_symlinks=True)
            except OSError as e:
                if name.endswith(".py"):
                    skip(rel, _stat_failure(entry.path, link, e))
                continue
            if stat.S_ISDIR(st.st_mode):
                reason = _dir_reason(entry.path, name, top=not rel_dir)
                if reason is None:
                    if not _utf8(name):
                        reason = "folder name is not valid UTF-8: rename it to analyse its modules"
                    elif link and not follow_symlinks:
                        reason = f"symbolic link to a folder: {_FOLLOW}"
                    elif (st.st_dev, st.st_ino) in ancestors:
                        reason = "symbolic link loop: it leads to a folder that encloses it"
                if reason is None:
                    ident = (st.st_dev, st.st_ino)
                    stack.append((entry.path, rel, ancestors | {ident}))
                elif reason:  # "" means: skipped without a word
                    skip(rel, reason)
                continue
            if not name.endswith(".py"):
                continue
            if not _utf8(name):
                skip(rel, "file name is not valid UTF-8: rename it to analyse it")
            elif not stat.S_ISREG(st.st_mode):
                skip(rel, f"not a regular file ({file_type(st.st_mode)})")
            elif link and not follow_symlinks and not _inside(real_root, entry.path):
                target = _shown(os.path.realpath(entry.path))
                skip(rel, f"symbolic link to {target}, outside the source tree: {_FOLLOW}")
            else:
                found.paths.append(rel)
    # stack order is reversed: walk order is not the order we report in
    found.paths.sort()
    found.skipped.sort(key=lambda s: s.path)
    return found


def _dir_reason(path: str, name: str, *, top: bool) -> str | None:
    """Why a folder is not walked ("" when it goes unmentioned), or None."""
    if name in QUIET_SKIP_DIRS:
        return ""
    if name in SKIP_DIRS:
        return f"{name!r} folders are skipped (virtualenvs, installed packages, tool folders)"
    if name.endswith(".egg-info"):
        return "packaging metadata (*.egg-info)"
    if (
        top
        and name in TOP_LEVEL_SKIP_DIRS
        and not os.path.isfile(os.path.join(path, "__init__.py"))
    ):
        return f"{name!r} at the top of the tree is skipped (a virtualenv or build output)"
    if os.path.isfile(os.path.join(path, "pyvenv.cfg")):
        return "a virtualenv (it holds pyvenv.cfg)"
    return None


def _stat_failure(path: str, link: bool, e: OSError) -> str:
    if link and e.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if link and e.errno in (errno.ENOENT, errno.ENOTDIR):
        try:
            target = _shown(os.readlink(path))
        except OSError:
            target = "?"
        return f"broken symbolic link (its target {target} does not exist)"
    return f"cannot read: {_reason(e)}"


def _is_symlink(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _inside(real_root: str, path: str) -> bool:
    target = os.path.realpath(path)
    try:
        return os.path.commonpath([real_root, target]) == real_root
    except ValueError:  # another drive (Windows)
        return False


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(text: str) -> str:
    """``text`` as valid UTF-8: undecodable bytes of a file name become ``\\xNN``."""
    return text if _utf8(text) else os.fsencode(text).decode("utf-8", "backslashreplace")


def _reason(e: OSError) -> str:
    return e.strerror or type(e).__name__


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    rel = rel.removeprefix("./")
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(rel + "/", p) for p in patterns)
