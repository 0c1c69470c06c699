"""Reading Python source safely: decoding (PEP 263), limits, parsing with structured errors.

Nothing here imports or executes the analysed code: it is only decoded and parsed.

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
import hashlib
import io
import tokenize
import warnings
from dataclasses import dataclass

from workbench.errors import (
    DecodeError,
    NestingTooDeepError,
    NulByteError,
    ParseError,
    SourceTooLargeError,
)

__all__ = ["Limits", "content_hash", "decode_source", "parse_source"]


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


def decode_source(data: bytes | str, path: str | None = None) -> str:
    """Decode source bytes as Python does: BOM, then a PEP 263 coding line, else UTF-8.

    Raises
    ------
    NulByteError
        The source contains a NUL byte.
    DecodeError
        The declared encoding is unknown or the bytes are not valid in it.
    """
    if isinstance(data, str):
        if "\0" in data:
            line, col = _position(data, data.index("\0"))
            raise NulByteError(path, "source contains a NUL byte", line=line, col=col)
        return data
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


def parse_source(
    data: bytes | str, path: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[ast.Module, str]:
    """Check limits, decode and parse; return the tree and the decoded text.

    Raises
    ------
    SourceTooLargeError, NulByteError, DecodeError, ParseError, NestingTooDeepError
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
    except (RecursionError, MemoryError) as e:
        raise NestingTooDeepError(
            path, f"syntax tree nested too deeply for the parser ({type(e).__name__})"
        ) from None
    return tree, text


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
