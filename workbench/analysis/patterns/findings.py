"""Findings of the pattern rules: stable fingerprints, the ``findings`` table as a DataFrame or
an Arrow table, inline suppression comments and baseline files.

A finding's **fingerprint** names it across edits of the code: it hashes the rule, the file,
the method, the code of the sink (or matched node) and of the taint source, whitespace
normalised, and the finding's rank among the findings that share all of these. Line numbers
are not in it, so inserting or deleting unrelated lines leaves it unchanged.

Examples
--------
>>> rows = [
...     dict(module=1, rule_id="py.eval", rule_version=1, kind="node", severity="error",
...          cwe=[94], category="security", message="eval of data", path="app.py",
...          method="app.run", line=3, col=4, end_line=3, node=17, code="eval(x)"),
... ]
>>> df = to_frame(rows)
>>> df.loc[0, "fingerprint"] == fingerprint("py.eval", "app.py", "app.run", "eval( x )", None, 0)
True
>>> to_arrow(df).schema.equals(FINDINGS, check_metadata=True)
True
>>> suppressed("eval(x)  # workbench: ignore[py.eval]", None, "py.eval")
True
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from pathlib import Path, PurePath
from typing import Any

import pandas as pd
import pyarrow as pa

from workbench.cpg.schema import FINDINGS
from workbench.errors import FindingsError

__all__ = [
    "BASELINE_VERSION",
    "CATEGORIES",
    "FINGERPRINT_KEY",
    "KINDS",
    "LEVELS",
    "apply_suppressions",
    "assign_fingerprints",
    "fingerprint",
    "new_findings",
    "read_baseline",
    "suppressed",
    "to_arrow",
    "to_frame",
    "tool_version",
    "write_baseline",
]

#: Format version of the baseline files :func:`write_baseline` writes.
BASELINE_VERSION = 1

#: Name of the fingerprint in SARIF ``partialFingerprints`` (bump with the hashed payload).
FINGERPRINT_KEY = "workbenchFingerprint/v1"

#: Severities of findings: the SARIF result levels.
LEVELS = ("error", "warning", "note")

#: Rule kinds.
KINDS = ("node", "metric", "graph", "taint")

#: Categories of rules (``category`` may also be null).
CATEGORIES = ("security", "quality")

#: Order of the rows of every findings frame and table.
SORT_KEYS = ("module", "path", "line", "col", "rule_id", "fingerprint")

#: The columns that identify a finding in its fingerprint (with the occurrence).
_IDENTITY = ("rule_id", "path", "method", "code", "source_code")

#: The columns that order findings of the same identity (their occurrence).
_POSITION = ("line", "col", "node")

#: Integer columns become pandas nullable integers (no float rounding of 64-bit module keys).
_NULLABLE = {pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int32Dtype()}

_SPACES = re.compile(r"\s+")
_SPACE_BESIDE_SYMBOL = re.compile(r" (?=\W)|(?<=\W) ")


# -- fingerprints ------------------------------------------------------------------------------


def tool_version() -> str:
    """The installed cpg-workbench version (the analysis layer does not import the package's
    ``__init__``, which sits above it)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cpg-workbench")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "unknown"


def fingerprint(
    rule_id: str,
    path: str | None,
    method: str | None,
    code: str | None,
    source_code: str | None,
    occurrence: int = 0,
) -> str:
    """The stable id of a finding: 32 hex characters of SHA-256.

    Parameters
    ----------
    rule_id
        The rule that matched.
    path
        The module's path relative to the source root (POSIX separators).
    method
        Full name of the method holding the sink or matched node (None at module level).
    code, source_code
        Code of the sink (or matched node) and of the taint source. Whitespace is normalised:
        runs of whitespace count as one space, and a space next to a symbol (an operator, a
        bracket, a comma, a quote...) does not count, so reformatting keeps the fingerprint.
    occurrence
        0-based rank among the findings with the same other parts, in line order.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        A part is not a string (or None), or the occurrence is not an integer.
    ValueError
        The rule id is empty or the occurrence is negative.

    Examples
    --------
    >>> fp = fingerprint("py.eval", "app.py", "app.run", "eval(x)", None)
    >>> len(fp), fp == fingerprint("py.eval", "app.py", "app.run", "eval( x )", None)
    (32, True)
    >>> fp == fingerprint("py.eval", "app.py", "app.run", "eval(x)", None, occurrence=1)
    False
    """
    payload = _identity(rule_id, path, method, code, source_code)
    if isinstance(occurrence, bool) or not isinstance(occurrence, int):
        raise TypeError(f"occurrence is an int, not {type(occurrence).__name__}")
    if occurrence < 0:
        raise ValueError(f"occurrence is >= 0, not {occurrence}")
    return _hash(payload, occurrence)


def assign_fingerprints(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a findings frame with its ``fingerprint`` column computed.

    The occurrence of each finding is its rank among the findings with the same rule, path,
    method, code and source code, ordered by ``line``, ``col`` and ``node`` (missing values
    last, then the order of the rows). Columns other than ``rule_id`` may be absent: they
    count as null.

    Parameters
    ----------
    df
        Findings with (at least) a ``rule_id`` column; existing fingerprints are replaced.

    Returns
    -------
    pandas.DataFrame
        Same rows, index and columns, with ``fingerprint`` filled.

    Raises
    ------
    workbench.errors.FindingsError
        No ``rule_id`` column, or values of the wrong type (a path that is not a string...).

    Examples
    --------
    >>> df = pd.DataFrame({"rule_id": ["r", "r"], "path": ["a.py"] * 2,
    ...                    "code": ["f(x)", "f(x)"], "line": [9, 4]})
    >>> out = assign_fingerprints(df)
    >>> out.fingerprint[1] == fingerprint("r", "a.py", None, "f(x)", None, 0)
    True
    >>> out.fingerprint[0] == fingerprint("r", "a.py", None, "f(x)", None, 1)
    True
    """
    if "rule_id" not in df.columns:
        raise FindingsError("findings need a 'rule_id' column to be fingerprinted")
    out = df.copy()
    n = len(df)
    columns = {}
    for c in (*_IDENTITY, *_POSITION):
        try:
            if c in _IDENTITY:
                columns[c] = _column_values(df, c, n, text=True)
            else:
                columns[c] = pd.to_numeric(pd.Series(_column_values(df, c, n), dtype=object))
        except (TypeError, ValueError) as e:
            raise FindingsError(f"findings column {c!r}: {e}") from None
    try:
        identities = [
            _identity(*parts) for parts in zip(*(columns[c] for c in _IDENTITY), strict=True)
        ]
    except ValueError as e:
        raise FindingsError(f"findings column 'rule_id': {e}") from None
    positions = pd.DataFrame({c: columns[c] for c in _POSITION})
    positions["_row"] = range(n)
    order = positions.sort_values([*_POSITION, "_row"], na_position="last")["_row"].to_list()
    seen: dict[str, int] = {}
    fps = [""] * n
    for row in order:
        ident = identities[row]
        occurrence = seen.get(ident, 0)
        seen[ident] = occurrence + 1
        fps[row] = _hash(ident, occurrence)
    out["fingerprint"] = pd.Series(fps, index=df.index, dtype=object)
    return out


# -- the findings table --------------------------------------------------------------------------


def to_frame(rows: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Findings as a DataFrame with exactly the columns of the ``findings`` table.

    Missing nullable fields are null; a missing (or null) fingerprint is computed with
    :func:`assign_fingerprints`. Integer columns are pandas nullable integers, list columns
    (``cwe``, ``trace``) hold Python lists. Rows are sorted by module, path, line, col, rule
    id and fingerprint.

    Parameters
    ----------
    rows
        One mapping per finding (keys: ``findings`` columns), or a DataFrame.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    workbench.errors.FindingsError
        An unknown column, a required field missing or null, a value of the wrong type, or a
        severity, kind or category outside its values.

    Examples
    --------
    >>> list(to_frame([]).columns) == FINDINGS.names
    True
    >>> to_frame([]).line.dtype
    Int32Dtype()
    """
    # object columns: a column of 64-bit keys with a None would become float64 and lose bits
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), dtype=object)
    return _frame(to_arrow(df))


def to_arrow(df: pd.DataFrame) -> pa.Table:
    """Findings as an Arrow table in the ``findings`` schema (with its metadata), sorted by
    module, path, line, col, rule id and fingerprint; null fingerprints are computed.

    Parameters
    ----------
    df
        Findings (columns of the ``findings`` table; nullable ones may be absent).

    Returns
    -------
    pyarrow.Table

    Raises
    ------
    workbench.errors.FindingsError
        As :func:`to_frame`.

    Examples
    --------
    >>> to_arrow(to_frame([])).num_rows
    0
    """
    unknown = sorted(str(c) for c in df.columns if c not in FINDINGS.names)
    if unknown:
        raise FindingsError(f"not columns of the findings table: {', '.join(unknown)}")
    missing = [
        f.name
        for f in FINDINGS
        if not f.nullable and f.name != "fingerprint" and f.name not in df.columns
    ]
    if missing and len(df):
        raise FindingsError(f"findings lack required columns: {', '.join(missing)}")
    df = _with_fingerprints(df)
    arrays = []
    for field in FINDINGS:
        values = df[field.name] if field.name in df.columns else pd.Series([None] * len(df))
        try:
            array = pa.array(_plain(values), type=field.type, from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as e:
            raise FindingsError(f"findings column {field.name!r}: {e}") from None
        if not field.nullable and array.null_count:
            raise FindingsError(f"findings column {field.name!r} has null values; it is required")
        arrays.append(array)
    table = pa.Table.from_arrays(arrays, schema=FINDINGS)
    _check_values(table, "severity", LEVELS)
    _check_values(table, "kind", KINDS)
    _check_values(table, "category", CATEGORIES)
    return table.sort_by([(k, "ascending") for k in SORT_KEYS])


# -- inline suppression --------------------------------------------------------------------------

_DIRECTIVE = re.compile(
    r"#\s*(?:workbench\s*:\s*ignore(?:\s*\[(?P<ids>[^\]]*)\])?|(?P<nosec>nosec))(?![\w-])",
    re.IGNORECASE,
)


def suppressed(line_text: str, prev_line_text: str | None, rule_id: str) -> bool:
    """Whether a suppression comment silences a finding of ``rule_id``.

    A comment ``# workbench: ignore`` (every rule), ``# workbench: ignore[id, id...]`` (those
    rules; ``*`` is a glob) or Bandit's ``# nosec`` (every rule) silences the findings of its
    line when it ends that line, and of the next line when it stands alone on its line.
    The ``#`` is looked for outside string literals of the line (a line that continues a
    multi-line string cannot be told from code).

    Parameters
    ----------
    line_text
        The text of the finding's line.
    prev_line_text
        The text of the line above (None on the first line).
    rule_id
        The finding's rule.

    Returns
    -------
    bool

    Examples
    --------
    >>> suppressed("os.system(cmd)  # nosec", None, "py.command-injection")
    True
    >>> suppressed("os.system(cmd)", "# workbench: ignore[py.sql-injection]", "py.xss")
    False
    >>> suppressed("print('# nosec')", None, "py.xss")
    False
    """
    comment = _comment(line_text)
    if comment is not None and _silences(comment, rule_id):
        return True
    if prev_line_text is not None:
        above = prev_line_text.strip()
        if above.startswith("#") and _silences(above, rule_id):
            return True
    return False


def apply_suppressions(
    df: pd.DataFrame, sources: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split findings into those kept and those silenced by a suppression comment.

    Parameters
    ----------
    df
        Findings with ``path``, ``line`` and ``rule_id`` columns.
    sources
        The text of each file, by the findings' ``path``. A finding whose file is not there,
        or whose line is null or beyond the file, is kept.

    Returns
    -------
    kept, suppressed : pandas.DataFrame
        The rows of ``df`` (same columns, order kept, new 0-based index).

    Examples
    --------
    >>> df = pd.DataFrame({"rule_id": ["r", "r"], "path": ["a.py"] * 2, "line": [1, 2]})
    >>> kept, gone = apply_suppressions(df, {"a.py": "f(x)\\nf(y)  # nosec\\n"})
    >>> kept.line.tolist(), gone.line.tolist()
    ([1], [2])
    """
    for column in ("path", "line", "rule_id"):
        if column not in df.columns:
            raise FindingsError(f"findings need a {column!r} column to apply suppressions")
    lines: dict[str, list[str]] = {}
    mask = []
    for path, line, rule_id in zip(df["path"], df["line"], df["rule_id"], strict=True):
        text = sources.get(path) if isinstance(path, str) else None
        if text is None or pd.isna(line):
            mask.append(False)
            continue
        if path not in lines:
            lines[path] = text.splitlines()
        file_lines, line = lines[path], int(line)
        if not 1 <= line <= len(file_lines):
            mask.append(False)
            continue
        prev = file_lines[line - 2] if line >= 2 else None
        mask.append(suppressed(file_lines[line - 1], prev, str(rule_id)))
    hit = pd.Series(mask, index=df.index, dtype=bool)
    return df[~hit].reset_index(drop=True), df[hit].reset_index(drop=True)


# -- baselines -----------------------------------------------------------------------------------


def write_baseline(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the findings' fingerprints to a baseline file (JSON).

    The file holds ``version``, ``created-by`` and ``findings``: one entry per fingerprint
    (``fingerprint``, ``rule_id``, ``path``, ``method``, ``message``), sorted by path, rule and
    fingerprint, so that the file is the same for the same findings and diffs well. Null
    fingerprints are computed first. The file is replaced atomically.

    Examples
    --------
    >>> import tempfile, os
    >>> df = pd.DataFrame({"rule_id": ["r"], "path": ["a.py"], "message": ["m"]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_baseline(df, os.path.join(d, "baseline.json"))
    ...     known = read_baseline(os.path.join(d, "baseline.json"))
    >>> known == set(assign_fingerprints(df).fingerprint)
    True
    """
    __version__ = tool_version()

    if "rule_id" not in df.columns:
        raise FindingsError("findings need a 'rule_id' column to be written to a baseline")
    df = _with_fingerprints(df)
    n = len(df)
    entries: dict[str, dict[str, Any]] = {}
    for fp, rule_id, file, method, message in zip(
        df["fingerprint"],
        df["rule_id"],
        _column_values(df, "path", n, text=True),
        _column_values(df, "method", n, text=True),
        _column_values(df, "message", n, text=True),
        strict=True,
    ):
        entries.setdefault(
            fp,
            {
                "fingerprint": fp,
                "rule_id": rule_id,
                "path": file,
                "method": method,
                "message": message,
            },
        )
    findings = sorted(
        entries.values(), key=lambda e: (e["path"] or "", e["rule_id"], e["fingerprint"])
    )
    doc = {
        "version": BASELINE_VERSION,
        "created-by": f"CPG Workbench {__version__}",
        "findings": findings,
    }
    _write_atomic(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def read_baseline(path: str | os.PathLike) -> set[str]:
    """The fingerprints of a baseline file written by :func:`write_baseline`.

    Raises
    ------
    workbench.errors.FindingsError
        The file is missing or cannot be read, or is not a baseline: not JSON (the message
        says the line and column), not the expected structure, or a newer format version.

    Examples
    --------
    >>> read_baseline("no/such/baseline.json")
    Traceback (most recent call last):
    ...
    workbench.errors.FindingsError: no/such/baseline.json: cannot read the baseline: ...
    """
    name = os.fsdecode(path)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        reason = e.strerror or type(e).__name__
        raise FindingsError(
            f"{name}: cannot read the baseline: {reason} (write_baseline() writes one)"
        ) from None
    try:
        doc = json.loads(data)
    except json.JSONDecodeError as e:
        raise FindingsError(
            f"{name}:{e.lineno}:{e.colno}: not a baseline file: invalid JSON: {e.msg}"
        ) from None
    except ValueError as e:  # undecodable bytes
        raise FindingsError(f"{name}: not a baseline file: {e}") from None
    if not isinstance(doc, dict) or "findings" not in doc or "version" not in doc:
        raise FindingsError(
            f"{name}: not a baseline file: expected a JSON object with 'version' and 'findings'"
        )
    version = doc["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FindingsError(f"{name}: not a baseline file: bad version {version!r}")
    if version > BASELINE_VERSION:
        raise FindingsError(
            f"{name}: baseline format version {version} is newer than this workbench reads "
            f"({BASELINE_VERSION}): upgrade the workbench or write the baseline again"
        )
    if not isinstance(doc["findings"], list):
        raise FindingsError(f"{name}: not a baseline file: 'findings' is not a list")
    out = set()
    for i, entry in enumerate(doc["findings"]):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str) or not re.fullmatch(r"[0-9a-f]{32}", fp):
            raise FindingsError(
                f"{name}: not a baseline file: findings[{i}] has no 32-hex-digit 'fingerprint'"
            )
        out.add(fp)
    return out


def new_findings(df: pd.DataFrame, baseline: Iterable[str] | str | os.PathLike) -> pd.DataFrame:
    """The findings whose fingerprint is not in a baseline.

    Parameters
    ----------
    df
        Findings (null fingerprints are computed).
    baseline
        Fingerprints, or the path of a baseline file (read with :func:`read_baseline`).

    Returns
    -------
    pandas.DataFrame
        The new findings (same columns, order kept, new 0-based index).

    Examples
    --------
    >>> df = assign_fingerprints(pd.DataFrame({"rule_id": ["a", "b"], "path": ["m.py"] * 2}))
    >>> new_findings(df, {df.fingerprint[0]}).rule_id.tolist()
    ['b']
    """
    known = read_baseline(baseline) if isinstance(baseline, str | os.PathLike) else set(baseline)
    df = _with_fingerprints(df)
    return df[~df["fingerprint"].isin(known)].reset_index(drop=True)


# -- helpers -------------------------------------------------------------------------------------


def _write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write a UTF-8 text file so that readers see the old or the new file, never half."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _normalize(code: str | None) -> str | None:
    """Code with whitespace that does not separate two word characters removed."""
    if code is None:
        return None
    return _SPACE_BESIDE_SYMBOL.sub("", _SPACES.sub(" ", code).strip())


def _text(value: Any, what: str) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, PurePath):
        return value.as_posix()
    if not isinstance(value, str):
        raise TypeError(f"{what} is a string or None, not {type(value).__name__}")
    return value


def _identity(rule_id, path, method, code, source_code) -> str:
    """The fingerprint's payload without the occurrence (a canonical JSON text)."""
    rule = _text(rule_id, "rule_id")
    if not rule:
        raise ValueError("a finding needs a non-empty rule id")
    parts = [
        "workbench-finding/v1",
        rule,
        _text(path, "path"),
        _text(method, "method"),
        _normalize(_text(code, "code")),
        _normalize(_text(source_code, "source_code")),
    ]
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def _hash(identity: str, occurrence: int) -> str:
    return hashlib.sha256(f"{identity}#{occurrence}".encode()).hexdigest()[:32]


def _column_values(df: pd.DataFrame, column: str, n: int, text: bool = False) -> list:
    """A column as a list of Python values (None for null; all None when absent)."""
    if column not in df.columns:
        return [None] * n
    values = [None if _isna(v) else v for v in df[column].tolist()]
    return [_text(v, column) for v in values] if text else values


def _isna(value: Any) -> bool:
    return value is None or (not isinstance(value, list | tuple) and bool(pd.isna(value)))


def _with_fingerprints(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its null (or absent) fingerprints computed; given ones are kept."""
    if "fingerprint" in df.columns and not df["fingerprint"].isna().any():
        return df
    if not len(df):
        return df.assign(fingerprint=pd.Series([], index=df.index, dtype=object))
    computed = assign_fingerprints(df)["fingerprint"]
    out = df.copy()
    if "fingerprint" in df.columns:
        out["fingerprint"] = (
            df["fingerprint"].astype(object).where(df["fingerprint"].notna(), computed)
        )
    else:
        out["fingerprint"] = computed
    return out


_RULE_FIELDS = ("id", "name", "version", "message", "severity", "cwe", "category", "kind")


def _rule_fields(rule: Any) -> Mapping[str, Any]:
    """A rule as a mapping: mappings as they are, rule objects by their attributes."""
    if isinstance(rule, Mapping):
        return rule
    fields = {k: getattr(rule, k) for k in (*_RULE_FIELDS, "description") if hasattr(rule, k)}
    if "id" not in fields:
        raise TypeError(f"a rule is a mapping or an object with an 'id', not {rule!r}")
    return fields


def _plain(values: pd.Series) -> pd.Series | list:
    """Values Arrow converts with the column's type: tuples and arrays in list columns become
    lists (object columns may hold any sequence)."""
    if values.dtype != object:
        return values
    return [v.tolist() if hasattr(v, "tolist") and not isinstance(v, str) else v for v in values]


def _check_values(table: pa.Table, column: str, allowed: tuple[str, ...]) -> None:
    bad = sorted({v for v in table[column].to_pylist() if v is not None and v not in allowed})
    if bad:
        raise FindingsError(
            f"findings column {column!r}: {', '.join(map(repr, bad))} not in {', '.join(allowed)}"
        )


def _frame(table: pa.Table) -> pd.DataFrame:
    df = table.to_pandas(types_mapper=_NULLABLE.get)
    for field in table.schema:
        if pa.types.is_list(field.type):
            df[field.name] = pd.Series(table[field.name].to_pylist(), dtype=object)
    return df


def _comment(line: str) -> str | None:
    """The comment ending a line of code (from its first ``#`` outside a string literal)."""
    quote = None
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if quote is not None:
            if ch == "\\":
                i += 2
            elif line.startswith(quote, i):
                i += len(quote)
                quote = None
            else:
                i += 1
        elif ch == "#":
            return line[i:]
        elif ch in "'\"":
            quote = line[i : i + 3] if line[i : i + 3] in ('"""', "'''") else ch
            i += len(quote)
        else:
            i += 1
    return None


def _silences(comment: str, rule_id: str) -> bool:
    for m in _DIRECTIVE.finditer(comment):
        if m.group("nosec") or m.group("ids") is None:
            return True
        for pattern in m.group("ids").split(","):
            pattern = pattern.strip()
            if pattern and fnmatchcase(rule_id, pattern):
                return True
    return False
