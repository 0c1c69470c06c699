"""Structured errors.

Every error the workbench raises on purpose is a :class:`WorkbenchError`. Subclasses carry the
fields a caller needs to act on the error (path, line, column, limits) and an ``error_type`` that
is stored verbatim in tables (``modules.error_type``, ``cpg_graphs.error_type``).

Examples
--------
>>> from workbench.errors import ParseError
>>> err = ParseError("pkg/mod.py", "invalid syntax", line=3, col=7)
>>> str(err)
'pkg/mod.py:3:7: invalid syntax'
>>> err.error_type, err.line
('ParseError', 3)
"""

from __future__ import annotations

import os

__all__ = [
    "AlgorithmError",
    "AmbiguousNameError",
    "BuildError",
    "CircuitOpenError",
    "CorruptionError",
    "CycleError",
    "DecodeError",
    "FeatureDisabledError",
    "FindingsError",
    "GraphTooLargeError",
    "MetricsFileError",
    "MissingDependencyError",
    "NegativeCycleError",
    "NestingTooDeepError",
    "NotFoundError",
    "NotRegularFileError",
    "NulByteError",
    "OutOfMemoryError",
    "ParseError",
    "QueryError",
    "RuleError",
    "SchemaVersionError",
    "SourceError",
    "SourceTooLargeError",
    "StoreBusyError",
    "StoreError",
    "StoreExistsError",
    "StoreNotFoundError",
    "UnreadableFileError",
    "UnsupportedEncodingError",
    "WorkbenchError",
]


class WorkbenchError(Exception):
    """Base class of every error raised by the workbench on purpose."""

    @property
    def error_type(self) -> str:
        """The name stored in tables for this kind of error."""
        return type(self).__name__


class SourceError(WorkbenchError):
    """A module's source cannot be turned into a CPG.

    Parameters
    ----------
    path
        The module's path as given by the caller (relative to its source root when known).
    message
        What is wrong, in one line.
    line, col
        1-based line and 0-based column (UTF-8 bytes, as :mod:`ast` counts) where known.
    """

    def __init__(
        self, path: str | None, message: str, *, line: int | None = None, col: int | None = None
    ) -> None:
        self.path = path
        self.message = message
        self.line = line
        self.col = col
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.path or "<source>"
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return f"{where}: {self.message}"

    def __reduce__(self):  # keep fields across process boundaries (pickling)
        return (_rebuild_source_error, (type(self), self.__dict__.copy()))


def _rebuild_source_error(cls, state):
    err = cls.__new__(cls)
    err.__dict__.update(state)
    Exception.__init__(err, err._format())
    return err


class ParseError(SourceError):
    """The source is not valid Python (a :class:`SyntaxError` from the parser)."""


class DecodeError(SourceError):
    """The bytes cannot be decoded with the declared (PEP 263) or default (UTF-8) encoding."""


class UnsupportedEncodingError(DecodeError):
    """The bytes start with a UTF-16 or UTF-32 byte order mark: Python source cannot be in
    those encodings (re-save the file as UTF-8)."""


class NotRegularFileError(SourceError):
    """The path is not a regular file (a FIFO, a device, a socket...): it is never opened."""


class UnreadableFileError(SourceError):
    """The file could not be read (permissions, vanished, too many symlink levels...)."""


class NulByteError(SourceError):
    """The source contains a NUL byte, which Python source never may."""


class SourceTooLargeError(SourceError):
    """The source exceeds a configured limit (bytes or AST nodes); the module is skipped."""

    def __init__(self, path: str | None, message: str, *, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(path, message)


class NestingTooDeepError(SourceError):
    """The syntax tree is nested deeper than the parser or the builder can follow."""


class OutOfMemoryError(SourceError):
    """Memory ran out (``MemoryError``) while the module was parsed or built: a condition of
    the machine at the time, not of the module. The module is skipped, with ``error_type``
    ``MemoryError``, and the next ingest parses it again."""

    @property
    def error_type(self) -> str:
        return "MemoryError"


class BuildError(SourceError):
    """An unexpected failure inside the builder for one module (a bug: please report it)."""


class NotFoundError(WorkbenchError, KeyError):
    """A name (method, module, node) that does not exist was asked for."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class AmbiguousNameError(WorkbenchError, KeyError):
    """A name matches more than one thing; the message lists the candidates."""

    def __init__(self, message: str, candidates: list) -> None:
        self.candidates = candidates
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class MetricsFileError(WorkbenchError, ValueError):
    """A phase metrics file cannot be read: unreadable, malformed JSON, or not a JSON object.

    ``path`` names the file; ``line`` and ``col`` (1-based) where the JSON parser stopped.
    """

    def __init__(
        self, path, message: str, *, line: int | None = None, col: int | None = None
    ) -> None:
        self.path = os.fspath(path)
        self.message = message
        self.line = line
        self.col = col
        where = self.path if line is None else f"{self.path}:{line}:{col}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # keep the fields across process boundaries (pickling)
        return (_rebuild_metrics_error, (self.path, self.message, self.line, self.col))


def _rebuild_metrics_error(path, message, line, col) -> MetricsFileError:
    return MetricsFileError(path, message, line=line, col=col)


class MissingDependencyError(WorkbenchError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f'{package} is not installed: pip install "cpg-workbench[{extra}]" to use this feature'
        )


class StoreError(WorkbenchError):
    """A problem with a store; ``path`` is the store's directory."""

    def __init__(self, path, message: str) -> None:
        self.path = str(path)
        self.message = message
        super().__init__(f"{path}: {message}")

    def __reduce__(self):
        return (type(self), (self.path, self.message))


class StoreNotFoundError(StoreError):
    """No store at the path (``workbench ingest`` or ``Store.create`` makes one)."""


class StoreExistsError(StoreError):
    """A store (or other files) already exist where a new store was to be created."""


class SchemaVersionError(StoreError):
    """The store's schema version is newer than this code knows, or wrong for the operation."""


class FeatureDisabledError(StoreError):
    """A feature flag is off for this store; the message says how to switch it on."""


class CorruptionError(StoreError):
    """Stored data failed verification (checksum, size, missing file)."""


class StoreChangedError(StoreError):
    """The store changed under an operation or an open Store object (another process rolled
    it back, vacuumed the files of the version being read, ...); the message says what to do."""


class QueryError(StoreError):
    """DuckDB refused or could not run a SQL query over a store; the message is DuckDB's."""


class StoreBusyError(StoreError):
    """Another process holds the store's write lock and the caller chose not to wait."""


class AlgorithmError(WorkbenchError, ValueError):
    """A graph algorithm cannot answer for this graph or these parameters (the message says
    why and what to change)."""


class CycleError(AlgorithmError):
    """The graph has a cycle where the algorithm needs none (topological order).

    ``cycle`` is one cycle as a list of nodes, first node repeated at the end.
    """

    def __init__(self, message: str, cycle: list) -> None:
        super().__init__(message)
        self.cycle = cycle


class NegativeCycleError(CycleError):
    """A cycle whose weights sum below zero: shortest paths through it are unbounded."""


class CircuitOpenError(AlgorithmError):
    """The circuit breaker refused a computation: over its budget, or open after repeated
    failures. ``algorithm`` names it and ``reason`` says what to do."""

    def __init__(self, algorithm: str, reason: str) -> None:
        super().__init__(f"{algorithm}: {reason}")
        self.algorithm = algorithm
        self.reason = reason


class RuleError(WorkbenchError, ValueError):
    """A pattern rule (or rule file) is malformed; the message names the file, the rule and
    the field."""


class FindingsError(WorkbenchError, ValueError):
    """Findings, a baseline file or a feedback label cannot be read or recorded (the message
    says which and why)."""


class GraphTooLargeError(WorkbenchError, ValueError):
    """A method too big to draw, even summarised to its statements; ``size`` and ``limit``
    are the node counts."""

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(message)
