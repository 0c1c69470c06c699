"""Reading Python source safely: files, decoding (PEP 263), limits, parsing with structured
errors.

Nothing here imports or executes the analysed code: it is only read, decoded and parsed. Files
are read with :func:`read_source`: only regular files are opened, their size is checked before
reading and every read is bounded, so a FIFO, a device or a huge file never hangs or exhausts
a run.

Examples
--------
>>> tree, text = parse_source(b"# -*- coding: latin-1 -*-\\nname = '\\xe9'\\n", "m.py")
>>> text.splitlines()[1]
"name = 'é'"
>>> parse_source(b"x = (\\n", "bad.py")
Traceback (most recent call last):
...
workbench.errors.ParseError: bad.py:1:4: '(' was never closed
"""

from __future__ import annotations

import ast
import codecs
import hashlib
import io
import os
import stat
import sys
import tokenize
import warnings
from dataclasses import dataclass

from workbench.errors import (
    DecodeError,
    NestingTooDeepError,
    NotRegularFileError,
    NulByteError,
    OutOfMemoryError,
    ParseError,
    SourceError,
    SourceTooLargeError,
    UnreadableFileError,
    UnsupportedEncodingError,
)

__all__ = [
    "HASH_LIMIT",
    "NOT_READ",
    "Limits",
    "SourceFile",
    "content_hash",
    "count_lines",
    "decode_source",
    "file_type",
    "parse_source",
    "read_source",
]


@dataclass(frozen=True)
class Limits:
    """Limits that protect a build from pathological inputs.

    Parameters
    ----------
    max_bytes
        Larger sources are skipped with :class:`~workbench.errors.SourceTooLargeError`.
    max_nodes
        Sources whose syntax tree has more nodes are skipped the same way (checked while
        building, so memory stays bounded).
    """

    max_bytes: int = 8_000_000
    max_nodes: int = 4_000_000


DEFAULT_LIMITS = Limits()


def content_hash(data: bytes) -> str:
    """SHA-256 of a file's bytes, hex: the identity of a source version.

    >>> content_hash(b"")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


#: Byte order marks of encodings Python source cannot use (UTF-32 first: its little-endian
#: mark begins with UTF-16's).
_UNSUPPORTED_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def decode_source(data: bytes | str, path: str | None = None) -> str:
    """Decode source bytes as Python does: BOM, then a PEP 263 coding line, else UTF-8.

    Raises
    ------
    UnsupportedEncodingError
        The bytes start with a UTF-16 or UTF-32 byte order mark.
    NulByteError
        The source contains a NUL byte.
    DecodeError
        The declared encoding is unknown or the bytes are not valid in it.

    Examples
    --------
    >>> decode_source("x = 1\\n".encode("utf-16"), "m.py")
    Traceback (most recent call last):
    ...
    workbench.errors.UnsupportedEncodingError: m.py:1:0: unsupported encoding: UTF-16 byte ...
    """
    if isinstance(data, str):
        if "\0" in data:
            line, col = _position(data, data.index("\0"))
            raise NulByteError(path, "source contains a NUL byte", line=line, col=col)
        return data
    for bom, name in _UNSUPPORTED_BOMS:
        if data.startswith(bom):
            raise UnsupportedEncodingError(
                path,
                f"unsupported encoding: {name} byte order mark detected (Python source must be "
                "UTF-8 or an ASCII-compatible encoding declared by a coding line)",
                line=1,
                col=0,
            )
    if b"\0" in data:
        line, col = _position(data, data.index(b"\0"))
        raise NulByteError(path, "source contains a NUL byte", line=line, col=col)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:  # unknown codec, or a coding line that contradicts a BOM
        line = e.lineno or _cookie_line(data)
        raise DecodeError(path, str(e.msg if hasattr(e, "msg") else e), line=line) from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        line, col = _position(data, e.start)
        raise DecodeError(
            path,
            f"cannot decode as {encoding}: {e.reason} (byte 0x{data[e.start]:02x})",
            line=line,
            col=col,
        ) from None
    except LookupError as e:  # pragma: no cover - detect_encoding already checks the codec
        raise DecodeError(path, str(e)) from None


#: ``content_hash`` of a file that was not read (not a regular file, unreadable, or too large
#: to hash): never equal to the hash of any bytes.
NOT_READ = ""

#: Files larger than this are not even hashed (their ``content_hash`` is :data:`NOT_READ`).
HASH_LIMIT = 1 << 30

_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    """A source file as :func:`read_source` found it.

    Attributes
    ----------
    data : bytes or None
        The file's bytes; None when it was not read (see ``error``).
    size : int
        Its size in bytes (as ``stat`` gives it when the bytes were not read).
    content_hash : str
        SHA-256 of the bytes (hex), also for files too large to parse (hashed in bounded
        chunks); :data:`NOT_READ` when the bytes could not be read or hashed.
    lines : int or None
        Number of lines, when the bytes were seen.
    error : SourceError or None
        Why the file cannot be parsed: :class:`~workbench.errors.SourceTooLargeError`,
        :class:`~workbench.errors.NotRegularFileError` or
        :class:`~workbench.errors.UnreadableFileError`.
    """

    data: bytes | None
    size: int
    content_hash: str
    lines: int | None
    error: SourceError | None = None


def read_source(
    path: str | os.PathLike, rel: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> SourceFile:
    """Read a source file safely; problems become :attr:`SourceFile.error`, never exceptions.

    Only regular files are opened (``stat`` first, so a FIFO or a device is never opened; the
    open is non-blocking and the opened file is checked again), the size is checked before
    reading, and no read goes beyond ``limits.max_bytes`` (larger files are hashed in bounded
    chunks, up to :data:`HASH_LIMIT`).

    Parameters
    ----------
    path
        The file (symbolic links are followed).
    rel
        The name used in errors (the path relative to the source root).
    limits
        ``max_bytes`` bounds the bytes read into memory.

    Returns
    -------
    SourceFile

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> os.mkfifo(os.path.join(d, "pipe.py"))
    >>> read_source(os.path.join(d, "pipe.py"), "pipe.py").error
    NotRegularFileError('pipe.py: not a regular file (FIFO): never opened')
    >>> import shutil; shutil.rmtree(d)
    """
    name = rel if rel is not None else os.fsdecode(path)
    try:
        st = os.stat(path)
    except OSError as e:
        return _not_read(UnreadableFileError(name, f"cannot read: {_reason(e)}"))
    if not stat.S_ISREG(st.st_mode):
        return _not_read(_not_regular(name, st.st_mode), st.st_size)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        return _not_read(UnreadableFileError(name, f"cannot open: {_reason(e)}"), st.st_size)
    try:
        st = os.fstat(fd)  # what was opened, not what the name pointed to a moment ago
        if not stat.S_ISREG(st.st_mode):
            return _not_read(_not_regular(name, st.st_mode), st.st_size)
        if st.st_size <= limits.max_bytes:
            data = _read(fd, limits.max_bytes + 1)  # +1: a file that grew is seen to
            if len(data) <= limits.max_bytes:
                return SourceFile(data, len(data), content_hash(data), count_lines(data))
            size = max(st.st_size, len(data))
        else:
            size = st.st_size
        too_large = SourceTooLargeError(
            name,
            f"skipped: too large ({size:,} bytes > limit {limits.max_bytes:,})",
            size=size,
            limit=limits.max_bytes,
        )
        if size > HASH_LIMIT:
            return _not_read(too_large, size)
        os.lseek(fd, 0, os.SEEK_SET)
        digest, size, lines = _hash(fd, size)
        return SourceFile(None, size, digest, lines, too_large)
    except OSError as e:
        return _not_read(UnreadableFileError(name, f"cannot read: {_reason(e)}"), st.st_size)
    finally:
        os.close(fd)


def _read(fd: int, limit: int) -> bytes:
    """At most ``limit`` bytes from ``fd``."""
    parts, left = [], limit
    while left > 0:
        chunk = os.read(fd, min(left, _CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _hash(fd: int, limit: int) -> tuple[str, int, int]:
    """SHA-256, size and line count of at most ``limit`` bytes of ``fd``, read in chunks."""
    h = hashlib.sha256()
    size = newlines = 0
    last = b""
    while size < limit:
        chunk = os.read(fd, min(limit - size, _CHUNK))
        if not chunk:
            break
        h.update(chunk)
        size += len(chunk)
        newlines += chunk.count(b"\n")
        last = chunk[-1:]
    return h.hexdigest(), size, newlines + (0 if last in (b"\n", b"") else 1)


def count_lines(data: bytes) -> int:
    """Lines of a file's bytes, the last one counted without its line end."""
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def _not_read(error: SourceError, size: int = 0) -> SourceFile:
    return SourceFile(None, size if size >= 0 else 0, NOT_READ, None, error)


_FILE_TYPES = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
)


def file_type(mode: int) -> str:
    """A readable name of a non-regular file type.

    Parameters
    ----------
    mode
        ``st_mode`` of an ``os.stat`` result.

    Returns
    -------
    str
        ``"FIFO"``, ``"character device"``, ``"block device"``, ``"socket"``, ``"a directory"``.

    Examples
    --------
    >>> import os
    >>> file_type(os.stat("/dev/null").st_mode)
    'character device'
    """
    return next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")


def _not_regular(name: str, mode: int) -> NotRegularFileError:
    return NotRegularFileError(name, f"not a regular file ({file_type(mode)}): never opened")


def _reason(e: OSError) -> str:
    return e.strerror or type(e).__name__


def parse_source(
    data: bytes | str, path: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[ast.Module, str]:
    """Check limits, decode and parse; return the tree and the decoded text.

    Raises
    ------
    SourceTooLargeError, NulByteError, DecodeError, ParseError, NestingTooDeepError,
    OutOfMemoryError
    """
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > limits.max_bytes:
        raise SourceTooLargeError(
            path,
            f"skipped: too large ({size:,} bytes > limit {limits.max_bytes:,})",
            size=size,
            limit=limits.max_bytes,
        )
    text = decode_source(data, path)
    try:
        with warnings.catch_warnings():  # the analysed code's warnings are not ours to show
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=path or "<unknown>")
    except SyntaxError as e:
        col = e.offset - 1 if e.offset else None
        raise ParseError(path, e.msg, line=e.lineno, col=col) from None
    except RecursionError:
        raise NestingTooDeepError(
            path, "syntax tree nested too deeply for the parser (RecursionError)"
        ) from None
    except MemoryError as e:  # the parser's stack overflowed, or memory ran out
        if not _parser_overflowed(text, e):
            raise OutOfMemoryError(path, "skipped: out of memory while parsing") from None
        raise NestingTooDeepError(
            path, "syntax tree nested too deeply for the parser (MemoryError)"
        ) from None
    return tree, text


#: First words of clauses that continue the statement before them at the same indentation.
_CLAUSES = frozenset({"else", "elif", "except", "finally"})


def _parser_overflowed(text: str, error: MemoryError) -> bool:
    """Whether the parser's ``MemoryError`` says that its stack overflowed (a statement nested
    too deeply: a property of the source) rather than that memory ran out (a condition of
    the machine).

    Python 3.12 and later say so in the message. Python 3.11 raises a bare ``MemoryError``
    for both: then each top-level statement is parsed alone. An overflow comes back with
    the statement that caused it; memory that ran out for the whole module does not run out
    for one statement of it. (One statement so large that it alone exhausts memory is
    taken for nesting, as before.)

    >>> _parser_overflowed("x = 1\\n", MemoryError())  # memory ran out
    False
    >>> deep = "x = 1\\ny = " + "-" * 10_000 + "1\\n"
    >>> try:
    ...     ast.parse(deep)
    ... except MemoryError as e:
    ...     overflow = e
    >>> _parser_overflowed(deep, overflow)
    True
    """
    if sys.version_info >= (3, 12):
        return "too complex" in str(error)
    try:
        for statement in _top_level_statements(text):
            try:
                ast.parse(statement)
            except MemoryError:
                return True
            except (SyntaxError, RecursionError, ValueError):
                pass
    except MemoryError:  # not even room to split the module: memory is short
        return False
    except (SyntaxError, tokenize.TokenError):  # cannot split it: as before, nesting
        return True
    return False


def _top_level_statements(text: str):
    """The source of each top-level statement (with its decorators and its ``else``,
    ``except``... clauses), from the tokenizer."""
    lines = text.splitlines(keepends=True)
    start, depth, first, after_newline = 0, 0, None, True
    skip = (tokenize.NL, tokenize.COMMENT, tokenize.NEWLINE, tokenize.ENDMARKER)
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.INDENT:
            depth += 1
        elif tok.type == tokenize.DEDENT:
            depth -= 1
        elif tok.type == tokenize.NEWLINE:
            after_newline = True
        elif tok.type not in skip and after_newline:
            after_newline = False
            if depth or tok.string in _CLAUSES:
                continue
            row = tok.start[0] - 1
            if first is not None and first != "@":
                yield "".join(lines[start:row])
                start = row
            first = tok.string
    yield "".join(lines[start:])


def _cookie_line(data: bytes) -> int:
    """The line (1 or 2, PEP 263) that holds the coding declaration."""
    first = data.partition(b"\n")[0]
    return 1 if b"coding" in first else 2


def _position(data: bytes | str, offset: int) -> tuple[int, int]:
    """1-based line and 0-based column of a byte/char offset."""
    nl = "\n" if isinstance(data, str) else b"\n"
    line = data.count(nl, 0, offset) + 1
    start = data.rfind(nl, 0, offset) + 1
    return line, offset - start
