"""Findings as a SARIF 2.1.0 log, the format code-scanning user interfaces read.

One run of the tool ``CPG Workbench``: its rules (with CWE tags and help links), one result
per finding (level, message, location, the workbench fingerprint as a partial fingerprint, the
taint path as a code flow) and the files the results point to. The same findings and rules
always give the same JSON text.

Examples
--------
>>> from workbench.analysis.patterns.findings import to_frame
>>> rule = dict(id="py.eval", version=1, message="eval of data", severity="error",
...             cwe=[94], category="security", kind="node")
>>> df = to_frame([dict(module=1, rule_id="py.eval", rule_version=1, kind="node",
...                     severity="error", cwe=[94], message="eval of data", path="app.py",
...                     line=3, col=4, end_line=3, code="eval(x)")])
>>> log = to_sarif(df, [rule])
>>> log["version"], log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"]
('2.1.0', 'https://cwe.mitre.org/data/definitions/94.html')
>>> log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
{'startLine': 3, 'startColumn': 5, 'endLine': 3, 'snippet': {'text': 'eval(x)'}}
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import pandas as pd

from workbench.analysis.patterns.findings import (
    FINGERPRINT_KEY,
    LEVELS,
    _rule_fields,
    _write_atomic,
    to_arrow,
    tool_version,
)
from workbench.errors import RuleError

__all__ = [
    "INFORMATION_URI",
    "SARIF_SCHEMA",
    "SARIF_VERSION",
    "SRCROOT",
    "TOOL_NAME",
    "to_sarif",
    "write_sarif",
]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "CPG Workbench"
#: Where users learn about the tool (``tool.driver.informationUri``).
INFORMATION_URI = "https://pypi.org/project/cpg-workbench/"
#: The base of every artifact URI: the source root the paths are relative to.
SRCROOT = "%SRCROOT%"
_CWE_URI = "https://cwe.mitre.org/data/definitions/{}.html"


def to_sarif(
    df: pd.DataFrame,
    rules: Iterable[Mapping[str, Any]],
    paths: Mapping[int, str] | None = None,
    *,
    sources: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A SARIF 2.1.0 log of findings.

    Parameters
    ----------
    df
        Findings (columns of the ``findings`` table, see
        :func:`~workbench.analysis.patterns.findings.to_frame`).
    rules
        The rules that ran: mappings (or :class:`~workbench.analysis.patterns.rules.Rule`
        objects) with ``id``, ``version``, ``message``, ``severity``, ``cwe`` (list of int),
        ``category``, ``kind`` and optionally ``description`` and ``name``. Every rule is
        listed in the log, sorted by id; a finding of a rule not given gets a descriptor made
        from the finding's own columns.
    paths
        Module key -> path relative to the source root, for the steps of taint traces in
        modules other than the finding's (a step in an unknown module is listed with its
        module, node and line but no file).
    sources
        Path -> file text. When a finding's file is given, its column (UTF-8 bytes in the
        findings) is converted to Unicode code points; otherwise ``startColumn`` is the byte
        column + 1 (the same for ASCII lines).

    Returns
    -------
    dict
        The log, ready for :func:`json.dumps`.

    Raises
    ------
    workbench.errors.RuleError
        A rule without an id, a rule id given twice, or a severity that is not a SARIF level.
    workbench.errors.FindingsError
        The findings do not fit the ``findings`` table.
    """
    paths = dict(paths or {})
    sources = sources or {}
    rows = to_arrow(df).to_pylist()
    descriptors = _rules(rules, rows)
    index = {d["id"]: i for i, d in enumerate(descriptors)}

    for row in rows:  # modules of other findings name the files of trace steps too
        if row["path"] is not None:
            paths.setdefault(row["module"], row["path"])

    def where(row: dict, module: int | None) -> str | None:
        """The file of a module seen from a finding: its own, or the one ``paths`` gives."""
        if module == row["module"] and row["path"] is not None:
            return row["path"]
        return paths.get(module)

    files = {row["path"] for row in rows if row["path"] is not None}
    for row in rows:
        for step in row["trace"] or ():
            if where(row, step.get("module")) is not None:
                files.add(where(row, step.get("module")))
        if row["source_module"] is not None and where(row, row["source_module"]) is not None:
            files.add(where(row, row["source_module"]))
    artifacts = sorted(files)
    artifact_index = {p: i for i, p in enumerate(artifacts)}
    lines = _Lines(sources)

    results = []
    for row in rows:
        result: dict[str, Any] = {
            "ruleId": row["rule_id"],
            "ruleIndex": index[row["rule_id"]],
            "level": row["severity"],
            "message": {"text": row["message"]},
            "locations": [_result_location(row, artifact_index, lines)],
            "partialFingerprints": {FINGERPRINT_KEY: row["fingerprint"]},
        }
        if row["source_line"] is not None and row["source_module"] is not None:
            source = _location(
                where(row, row["source_module"]),
                row["source_line"],
                artifact_index,
                module=row["source_module"],
                message=f"taint source: {row['source_code'] or '?'}",
            )
            result["relatedLocations"] = [{"id": 1, **source}]
        if row["trace"]:
            steps = [
                {
                    "location": _location(
                        where(row, step.get("module")),
                        step.get("line"),
                        artifact_index,
                        module=step.get("module"),
                        node=step.get("id"),
                    ),
                    "executionOrder": order,
                }
                for order, step in enumerate(row["trace"], start=1)
            ]
            result["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
        result["properties"] = {"ruleVersion": row["rule_version"], "kind": row["kind"]}
        results.append(result)

    __version__ = tool_version()

    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "artifacts": [
                    {"location": {"uri": _uri(p), "uriBaseId": SRCROOT}, "sourceLanguage": "python"}
                    for p in artifacts
                ],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def write_sarif(
    df: pd.DataFrame,
    rules: Iterable[Mapping[str, Any]],
    path: str | os.PathLike,
    paths: Mapping[int, str] | None = None,
    *,
    sources: Mapping[str, str] | None = None,
) -> None:
    """Write :func:`to_sarif`'s log as JSON (indented by 2, ASCII-escaped; the file is
    replaced atomically): the same findings and rules always give the same bytes.

    Examples
    --------
    >>> import tempfile, json, pathlib
    >>> from workbench.analysis.patterns.findings import to_frame
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_sarif(to_frame([]), [], pathlib.Path(d) / "scan.sarif")
    ...     log = json.loads((pathlib.Path(d) / "scan.sarif").read_text())
    >>> log["runs"][0]["results"]
    []
    """
    log = to_sarif(df, rules, paths, sources=sources)
    _write_atomic(path, json.dumps(log, indent=2, sort_keys=False) + "\n")


# -- helpers -------------------------------------------------------------------------------------


def _rules(rules: Iterable[Any], rows: list[dict]) -> list[dict[str, Any]]:
    """Reporting descriptors of the given rules and of rules only seen in findings, by id."""
    given: dict[str, Mapping[str, Any]] = {}
    for rule in map(_rule_fields, rules):
        rule_id = rule.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            raise RuleError(f"a rule needs an 'id': {dict(rule)!r}")
        if rule_id in given:
            raise RuleError(f"rule {rule_id!r} is given twice")
        given[rule_id] = rule
    for row in rows:
        if row["rule_id"] not in given:
            given[row["rule_id"]] = {
                "id": row["rule_id"],
                "version": row["rule_version"],
                "message": row["message"],
                "severity": row["severity"],
                "cwe": row["cwe"],
                "category": row["category"],
                "kind": row["kind"],
            }
    return [_descriptor(given[k]) for k in sorted(given)]


def _descriptor(rule: Mapping[str, Any]) -> dict[str, Any]:
    level = rule.get("severity", "warning")
    if level not in LEVELS:
        raise RuleError(
            f"rule {rule['id']!r}: severity {level!r} is not a SARIF level ({', '.join(LEVELS)})"
        )
    cwes = sorted({int(n) for n in rule.get("cwe") or ()})
    category = rule.get("category")
    tags = {f"CWE-{n}" for n in cwes}
    if cwes or category == "security":
        tags.add("security")
    if category:
        tags.add(str(category))
    message = str(rule.get("message") or rule["id"])
    out: dict[str, Any] = {
        "id": rule["id"],
        "name": rule.get("name") or _name(rule["id"]),
        "shortDescription": {"text": message},
        "fullDescription": {"text": str(rule.get("description") or message).strip()},
        "defaultConfiguration": {"level": level},
    }
    if cwes:
        out["helpUri"] = _CWE_URI.format(cwes[0])
    properties: dict[str, Any] = {"tags": sorted(tags)}
    if rule.get("kind") is not None:
        properties["kind"] = str(rule["kind"])
    if rule.get("version") is not None:
        properties["version"] = int(rule["version"])
    if cwes:
        properties["cwe"] = cwes
    out["properties"] = properties
    return out


def _name(rule_id: str) -> str:
    """``py.sql-injection`` -> ``PySqlInjection`` (SARIF names are identifiers)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", rule_id))


def _uri(path: str) -> str:
    """A relative URI reference for a POSIX path (spaces, ``%``, ``#``... escaped)."""
    return quote(path, safe="/")


class _Lines:
    """Source lines by path, split once."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.sources = sources
        self.cache: dict[str, list[str]] = {}

    def line(self, path: str | None, line: int | None) -> str | None:
        if path is None or line is None or path not in self.sources:
            return None
        if path not in self.cache:
            self.cache[path] = self.sources[path].splitlines()
        lines = self.cache[path]
        return lines[line - 1] if 1 <= line <= len(lines) else None


def _column(col: int, text: str | None) -> int:
    """1-based code-point column of a 0-based UTF-8 byte column."""
    if text is None:
        return col + 1
    return len(text.encode("utf-8")[:col].decode("utf-8", errors="ignore")) + 1


def _result_location(row: dict, artifact_index: dict[str, int], lines: _Lines) -> dict:
    location: dict[str, Any] = {}
    if row["path"] is not None:
        physical: dict[str, Any] = {
            "artifactLocation": {
                "uri": _uri(row["path"]),
                "uriBaseId": SRCROOT,
                "index": artifact_index[row["path"]],
            }
        }
        if row["line"] is not None and row["line"] >= 1:
            region: dict[str, Any] = {"startLine": row["line"]}
            if row["col"] is not None and row["col"] >= 0:
                region["startColumn"] = _column(row["col"], lines.line(row["path"], row["line"]))
            if row["end_line"] is not None and row["end_line"] >= row["line"]:
                region["endLine"] = row["end_line"]
            if row["code"]:
                region["snippet"] = {"text": row["code"]}
            physical["region"] = region
        location["physicalLocation"] = physical
    if row["method"]:
        location["logicalLocations"] = [{"fullyQualifiedName": row["method"], "kind": "function"}]
    return location


def _location(
    path: str | None,
    line: int | None,
    artifact_index: dict[str, int],
    *,
    module: int | None = None,
    node: int | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    """A location in a file (by path) or, when the file is unknown, one that says where.
    Its properties hold the module key (a string: JSON readers lose digits of 64-bit
    numbers) and the node id."""
    location: dict[str, Any] = {}
    if path is not None:
        physical: dict[str, Any] = {
            "artifactLocation": {
                "uri": _uri(path),
                "uriBaseId": SRCROOT,
                "index": artifact_index[path],
            }
        }
        if line is not None and line >= 1:
            physical["region"] = {"startLine": line}
        location["physicalLocation"] = physical
    else:
        where = f"line {line}" if line is not None else "a node"
        unknown = f"{where} of module {module} (file unknown)"
        message = f"{message} ({unknown})" if message else unknown
    if message:
        location["message"] = {"text": message}
    properties: dict[str, Any] = {}
    if module is not None:
        properties["module"] = str(module)
    if node is not None:
        properties["node"] = node
    if properties:
        location["properties"] = properties
    return location
