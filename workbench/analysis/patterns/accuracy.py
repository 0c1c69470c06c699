"""How accurate the rules are: expectations from annotated files and from user feedback,
precision / recall / F1 per rule and per CWE, and the A/B comparison of two rule-set versions.

An **expectation** says that a rule must (``expected`` True) or must not (False) report a
finding on a line of a file. Annotated example files state them in whole-line comments
``# ruleid: <id>[, <id>...]`` and ``# ok: <id>[, <id>...]``, each about the next line that is
neither blank nor a comment; user feedback labels (true / false positive) state them for the
lines of the labelled findings.

A finding of rule R on line L of file P is a true positive when (P, L, R) is expected, a false
positive when it is expected not to be there, and *unlabelled* (not counted in precision)
when nothing is said about (P, L, R). Several findings of R on the same line count once. An
expected (P, L, R) without a finding is a false negative; an unexpected one without a finding
a true negative.

Examples
--------
>>> import pandas as pd
>>> text = "# ruleid: py.eval\\neval(x)\\n# ok: py.eval\\neval('1')\\n"
>>> exp = annotations(text, "ex.py")
>>> exp.to_dict("records")[0]
{'path': 'ex.py', 'line': 2, 'rule_id': 'py.eval', 'expected': True}
>>> found = pd.DataFrame({"rule_id": ["py.eval"] * 2, "path": ["ex.py"] * 2, "line": [2, 4]})
>>> score(found, exp)[["rule_id", "tp", "fp", "fn", "precision", "recall"]]
   rule_id  tp  fp  fn  precision  recall
0  py.eval   1   1   0        0.5     1.0
1  overall   1   1   0        0.5     1.0
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.analysis.patterns.findings import _rule_fields, _with_fingerprints
from workbench.errors import FindingsError, RuleError, SourceError

__all__ = [
    "COUNTS",
    "EXPECTATION_COLUMNS",
    "METRICS",
    "OVERALL",
    "ComparisonResult",
    "annotations",
    "annotations_in",
    "compare_findings",
    "expectations_from_labels",
    "score",
    "score_by",
]

#: Columns of an expectations frame.
EXPECTATION_COLUMNS = ("path", "line", "rule_id", "expected")
#: Count columns of a score table.
COUNTS = ("tp", "fp", "fn", "tn", "unlabelled")
#: Metric columns of a score table (0.0 where the ratio is 0/0).
METRICS = ("precision", "recall", "f1")
#: Label of the micro-averaged row of score tables.
OVERALL = "overall"

_ANNOTATION = re.compile(r"#\s*(?P<key>ruleid|ok)\s*:(?P<ids>[^#]*)(?:#.*)?$")
_RULE_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")

_Key = tuple[str, str | None, int | None]  # (rule_id, path, line)


# -- expectations ------------------------------------------------------------------------------


def annotations(text: str, path: str) -> pd.DataFrame:
    """The expectations stated by the annotation comments of one file.

    Parameters
    ----------
    text
        The file's text.
    path
        The file's name in the ``path`` column (as the findings name it).

    Returns
    -------
    pandas.DataFrame
        Columns ``path``, ``line`` (1-based: the annotated line), ``rule_id``, ``expected``
        (True for ``ruleid``, False for ``ok``), sorted by line and rule.

    Raises
    ------
    workbench.errors.SourceError
        An annotation with no code line after it, an invalid or missing rule id, or a rule
        both expected and not expected on the same line (``line`` says where).

    Examples
    --------
    >>> annotations("# ruleid: a, b\\n# ok: c\\n\\nf(x)\\n", "m.py").rule_id.tolist()
    ['a', 'b', 'c']
    """
    rows: dict[tuple[int, str], bool] = {}
    pending: list[tuple[int, bool, list[str]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            m = _ANNOTATION.match(stripped)
            if m:
                pending.append((number, m["key"] == "ruleid", _ids(m["ids"], path, number)))
            continue
        for at, expected, ids in pending:
            for rule_id in ids:
                if rows.setdefault((number, rule_id), expected) != expected:
                    raise SourceError(
                        path,
                        f"rule {rule_id!r} is annotated both 'ruleid' and 'ok' for line {number}",
                        line=at,
                    )
        pending = []
    if pending:
        raise SourceError(
            path,
            "annotation has no code line after it (it must precede the line it is about)",
            line=pending[0][0],
        )
    return _expectations(
        [(path, line, rule_id, expected) for (line, rule_id), expected in rows.items()]
    )


def annotations_in(
    paths: Iterable[str | os.PathLike], root: str | os.PathLike | None = None
) -> pd.DataFrame:
    """The expectations of annotated files.

    Parameters
    ----------
    paths
        Files, or folders (their ``*.py`` files, recursively).
    root
        When given, the ``path`` column is relative to it (POSIX separators); otherwise it is
        the path as given, with POSIX separators.

    Returns
    -------
    pandas.DataFrame
        As :func:`annotations`, sorted by path, line and rule.

    Raises
    ------
    workbench.errors.SourceError
        A file cannot be read or decoded (its subclasses say which), or an annotation is wrong.
    workbench.errors.FindingsError
        A file is not under ``root``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (pathlib.Path(d) / "ex.py").write_text("# ok: r\\nf()\\n")
    ...     exp = annotations_in([d], root=d)
    >>> exp.path.tolist(), exp.expected.tolist()
    (['ex.py'], [False])
    """
    from workbench.frontends.python.source import decode_source, read_source

    frames = []
    for file in _files(paths):
        if root is not None:
            try:
                name = Path(os.path.abspath(file)).relative_to(os.path.abspath(root)).as_posix()
            except ValueError:
                raise FindingsError(f"{file} is not under the root {root}") from None
        else:
            name = Path(file).as_posix()
        source = read_source(file, name)
        if source.error is not None:
            raise source.error
        frames.append(annotations(decode_source(source.data, name), name))
    if not frames:
        return _expectations([])
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["path", "line", "rule_id"], ignore_index=True)


def expectations_from_labels(labels: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """Expectations from user feedback: a finding labelled ``tp`` must be reported on its line,
    one labelled ``fp`` must not.

    Parameters
    ----------
    labels
        Rows of the ``labels`` table (``fingerprint``, ``verdict``; when a fingerprint is
        labelled more than once, the latest ``labelled_at``, else the last row, counts).
    findings
        Findings that hold the labelled fingerprints (their ``path``, ``line`` and
        ``rule_id`` locate the labels).

    Returns
    -------
    pandas.DataFrame
        Expectations as :func:`annotations` gives them. When two findings of a rule on the
        same line are labelled differently, the line is expected (one true positive is
        there). ``attrs["unmatched"]`` counts the labels whose fingerprint is in no finding
        (they are left out).

    Raises
    ------
    workbench.errors.FindingsError
        Missing columns or a verdict other than ``tp`` / ``fp``.

    Examples
    --------
    >>> from workbench.analysis.patterns.findings import assign_fingerprints
    >>> found = assign_fingerprints(pd.DataFrame(
    ...     {"rule_id": ["r", "r"], "path": ["a.py"] * 2, "line": [3, 8], "code": ["f(x)", "g()"]}))
    >>> labels = pd.DataFrame({"fingerprint": found.fingerprint, "verdict": ["tp", "fp"]})
    >>> expectations_from_labels(labels, found)[["line", "expected"]].to_dict("list")
    {'line': [3, 8], 'expected': [True, False]}
    """
    _require(labels, ("fingerprint", "verdict"), "labels")
    _require(findings, ("rule_id", "path", "line"), "findings")
    bad = sorted({str(v) for v in labels["verdict"] if v not in ("tp", "fp")})
    if bad:
        raise FindingsError(f"label verdicts are 'tp' or 'fp', not {', '.join(bad)}")
    if "labelled_at" in labels.columns:
        labels = labels.sort_values("labelled_at", kind="stable", na_position="first")
    verdicts = dict(zip(labels["fingerprint"], labels["verdict"] == "tp", strict=True))
    findings = _with_fingerprints(findings)
    merged: dict[tuple[str, int, str], bool] = {}
    matched = set()
    for fp, rule_id, path, line in zip(
        findings["fingerprint"],
        findings["rule_id"],
        findings["path"],
        findings["line"],
        strict=True,
    ):
        if fp not in verdicts:
            continue
        matched.add(fp)
        if _missing(path) or _missing(line):
            continue
        key = (str(path), int(line), str(rule_id))
        merged[key] = merged.get(key, False) or bool(verdicts[fp])
    out = _expectations([(p, n, r, e) for (p, n, r), e in merged.items()])
    out.attrs["unmatched"] = len(set(verdicts) - matched)
    return out


# -- scores ------------------------------------------------------------------------------------


def score(findings: pd.DataFrame, expectations: pd.DataFrame) -> pd.DataFrame:
    """Precision, recall and F1 of each rule against expectations.

    Parameters
    ----------
    findings
        Findings with ``rule_id``, ``path`` and ``line`` columns.
    expectations
        As :func:`annotations` or :func:`expectations_from_labels` give them (frames may be
        concatenated; a rule both expected and not expected on a line is an error).

    Returns
    -------
    pandas.DataFrame
        One row per rule (of the findings or the expectations), sorted by id, then the
        ``overall`` row (micro-average: counts summed over rules): ``rule_id``, ``tp``, ``fp``,
        ``fn``, ``tn``, ``unlabelled`` (findings on lines with no expectation for the rule),
        ``precision`` = tp / (tp + fp), ``recall`` = tp / (tp + fn), ``f1`` (their harmonic
        mean). A ratio whose denominator is 0 is 0.0.

    Raises
    ------
    workbench.errors.FindingsError
        Missing columns, null expectations or conflicting expectations.

    Examples
    --------
    >>> exp = annotations("# ruleid: r\\nf(x)\\n", "m.py")
    >>> score(pd.DataFrame(columns=["rule_id", "path", "line"]), exp)[["rule_id", "fn", "f1"]]
       rule_id  fn   f1
    0        r   1  0.0
    1  overall   1  0.0
    """
    counts = _counts(findings, expectations)
    return _table("rule_id", [(rule, counts[rule]) for rule in sorted(counts)], counts)


def score_by(
    findings: pd.DataFrame,
    expectations: pd.DataFrame,
    by: str = "cwe",
    rules: Iterable[Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Precision, recall and F1 per group of rules: per CWE, category, severity...

    Parameters
    ----------
    findings, expectations
        As for :func:`score`.
    by
        The rule field to group by. A list field (``cwe``) puts a rule in each of its groups;
        a rule with no value is in the group ``none``. CWE groups are named ``CWE-<n>``.
    rules
        Rule mappings (or rule objects) with ``id`` and the ``by`` field. A rule not given
        takes the field from its findings' column of that name.

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, then as :func:`score`; groups sorted (CWEs by number, ``none`` last),
        then the ``overall`` row (each rule counted once, so it equals :func:`score`'s).

    Raises
    ------
    workbench.errors.RuleError
        A rule whose ``by`` field is neither in ``rules`` nor in the findings.

    Examples
    --------
    >>> exp = annotations("# ruleid: r\\nf(x)\\n# ruleid: s\\ng(x)\\n", "m.py")
    >>> found = pd.DataFrame({"rule_id": ["r"], "path": ["m.py"], "line": [2]})
    >>> rules = [{"id": "r", "cwe": [78, 88]}, {"id": "s", "cwe": [78]}]
    >>> score_by(found, exp, rules=rules)[["cwe", "tp", "fn", "recall"]]
           cwe  tp  fn  recall
    0   CWE-78   1   1     0.5
    1   CWE-88   1   0     1.0
    2  overall   1   1     0.5
    """
    counts = _counts(findings, expectations)
    fields = {r["id"]: r.get(by) for r in map(_rule_fields, rules or ()) if "id" in r}
    groups: dict[Any, dict[str, int]] = {}
    missing = []
    for rule in sorted(counts):
        if rule in fields:
            value = fields[rule]
        elif by in findings.columns and (findings["rule_id"] == rule).any():
            value = findings.loc[findings["rule_id"] == rule, by].iloc[0]
        else:
            missing.append(rule)
            continue
        for group in _groups(value):
            total = groups.setdefault(group, dict.fromkeys(COUNTS, 0))
            for c in COUNTS:
                total[c] += counts[rule][c]
    if missing:
        raise RuleError(
            f"no {by!r} for rules {', '.join(missing)}: pass them in rules= (id and {by})"
        )
    ordered = sorted(groups, key=_group_order)
    label = (lambda g: f"CWE-{g}") if by == "cwe" else str
    return _table(by, [(label(g) if g is not None else "none", groups[g]) for g in ordered], counts)


# -- A/B comparison ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonResult:
    """The A/B comparison of two sets of findings (two rule-set versions).

    Attributes
    ----------
    scores : pandas.DataFrame
        Per rule and ``overall``: ``rule_id``, the counts and metrics of :func:`score` for
        ``a`` and ``b`` (suffixes ``_a``, ``_b``) and ``delta_precision``, ``delta_recall``,
        ``delta_f1`` (b - a).
    differences : pandas.DataFrame
        Findings in only one of the sets (matched by fingerprint): ``only_in`` (``a`` or
        ``b``), ``expected`` (True / False from the expectations, None when unlabelled), then
        the findings' columns.
    """

    scores: pd.DataFrame
    differences: pd.DataFrame


def compare_findings(
    findings_a: pd.DataFrame, findings_b: pd.DataFrame, expectations: pd.DataFrame
) -> ComparisonResult:
    """Compare the findings of two rule-set versions against the same expectations.

    Parameters
    ----------
    findings_a, findings_b
        Findings of the two versions (null fingerprints are computed).
    expectations
        As for :func:`score` (annotations, user labels, or both concatenated).

    Returns
    -------
    ComparisonResult

    Examples
    --------
    >>> exp = annotations("# ruleid: r\\nf(x)\\n# ok: r\\nf(1)\\n", "m.py")
    >>> a = pd.DataFrame({"rule_id": ["r", "r"], "path": ["m.py"] * 2, "line": [2, 4],
    ...                   "code": ["f(x)", "f(1)"]})
    >>> result = compare_findings(a, a.iloc[:1], exp)
    >>> result.scores[["rule_id", "precision_a", "precision_b", "delta_precision"]]
       rule_id  precision_a  precision_b  delta_precision
    0        r          0.5          1.0              0.5
    1  overall          0.5          1.0              0.5
    >>> result.differences[["only_in", "expected", "line"]].to_dict("records")
    [{'only_in': 'a', 'expected': False, 'line': 4}]
    """
    scores_a = score(findings_a, expectations)
    scores_b = score(findings_b, expectations)
    merged = scores_a.merge(scores_b, on="rule_id", how="outer", suffixes=("_a", "_b"))
    value_columns = [c for c in merged.columns if c != "rule_id"]
    merged[value_columns] = merged[value_columns].fillna(0)
    for c in COUNTS:
        for side in ("a", "b"):
            merged[f"{c}_{side}"] = merged[f"{c}_{side}"].astype("int64")
    for m in METRICS:
        merged[f"delta_{m}"] = merged[f"{m}_b"] - merged[f"{m}_a"]
    merged["_overall"] = merged["rule_id"] == OVERALL
    merged = merged.sort_values(["_overall", "rule_id"], ignore_index=True)
    columns = ["rule_id"]
    for side in ("a", "b"):
        columns += [f"{c}_{side}" for c in (*COUNTS, *METRICS)]
    columns += [f"delta_{m}" for m in METRICS]
    return ComparisonResult(merged[columns], _differences(findings_a, findings_b, expectations))


# -- helpers -----------------------------------------------------------------------------------


def _ids(text: str, path: str, line: int) -> list[str]:
    ids = [part.strip() for part in text.split(",")]
    if not any(ids):
        raise SourceError(path, "annotation names no rule id", line=line)
    for rule_id in ids:
        if not _RULE_ID.fullmatch(rule_id):
            raise SourceError(
                path,
                f"annotation has an invalid rule id {rule_id!r} (ids are [a-z0-9._-]+, "
                "separated by commas)",
                line=line,
            )
    return list(dict.fromkeys(ids))


def _expectations(rows: list[tuple[str, int, str, bool]]) -> pd.DataFrame:
    rows = sorted(rows)
    return pd.DataFrame(
        {
            "path": pd.Series([r[0] for r in rows], dtype="str"),
            "line": pd.Series([r[1] for r in rows], dtype="int64"),
            "rule_id": pd.Series([r[2] for r in rows], dtype="str"),
            "expected": pd.Series([r[3] for r in rows], dtype="bool"),
        }
    )


def _files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    out: list[Path] = []
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    for p in paths:
        p = Path(p)
        out.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    return out


def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise FindingsError(f"{what} lack columns: {', '.join(missing)}")


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _expectation_map(expectations: pd.DataFrame) -> dict[_Key, bool]:
    _require(expectations, EXPECTATION_COLUMNS, "expectations")
    out: dict[_Key, bool] = {}
    conflicts = []
    for path, line, rule_id, expected in zip(
        *(expectations[c] for c in EXPECTATION_COLUMNS), strict=True
    ):
        if _missing(path) or _missing(line) or _missing(rule_id) or _missing(expected):
            raise FindingsError("expectations have null values; every column is required")
        key = (str(rule_id), str(path), int(line))
        if out.setdefault(key, bool(expected)) != bool(expected):
            conflicts.append(f"{path}:{line} {rule_id}")
    if conflicts:
        raise FindingsError(
            "expectations disagree (both expected and not expected): " + ", ".join(conflicts)
        )
    return out


def _found(findings: pd.DataFrame) -> set[_Key]:
    _require(findings, ("rule_id", "path", "line"), "findings")
    return {
        (
            str(rule_id),
            None if _missing(path) else str(path),
            None if _missing(line) else int(line),
        )
        for rule_id, path, line in zip(
            findings["rule_id"], findings["path"], findings["line"], strict=True
        )
    }


def _counts(findings: pd.DataFrame, expectations: pd.DataFrame) -> dict[str, dict[str, int]]:
    expected = _expectation_map(expectations)
    found = _found(findings)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for key in found:
        verdict = expected.get(key)
        kind = "unlabelled" if verdict is None else "tp" if verdict else "fp"
        counts[key[0]][kind] += 1
    for key, verdict in expected.items():
        if key not in found:
            counts[key[0]]["fn" if verdict else "tn"] += 1
    return dict(counts)


def _metrics(c: Mapping[str, int]) -> tuple[float, float, float]:
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _table(
    label: str, rows: list[tuple[str, Mapping[str, int]]], per_rule: Mapping[str, Mapping]
) -> pd.DataFrame:
    overall = {c: sum(r[c] for r in per_rule.values()) for c in COUNTS}
    records = [
        {
            label: name,
            **{c: int(counts[c]) for c in COUNTS},
            **dict(zip(METRICS, _metrics(counts), strict=False)),
        }
        for name, counts in [*rows, (OVERALL, overall)]
    ]
    df = pd.DataFrame.from_records(records, columns=[label, *COUNTS, *METRICS])
    return df.astype(
        {label: "str", **dict.fromkeys(COUNTS, "int64"), **dict.fromkeys(METRICS, "float64")}
    )


def _groups(value: Any) -> list[Any]:
    if value is None or (not hasattr(value, "__len__") and pd.isna(value)):
        return [None]
    if isinstance(value, str):
        return [value]
    if hasattr(value, "__iter__"):
        items = sorted({v.item() if hasattr(v, "item") else v for v in value}, key=str)
        return items or [None]
    return [value.item() if hasattr(value, "item") else value]


def _group_order(group: Any) -> tuple:
    if group is None:
        return (2, 0, "")
    if isinstance(group, int):
        return (0, group, "")
    return (1, 0, str(group))


def _differences(
    findings_a: pd.DataFrame, findings_b: pd.DataFrame, expectations: pd.DataFrame
) -> pd.DataFrame:
    expected = _expectation_map(expectations)
    a = _fingerprinted(findings_a)
    b = _fingerprinted(findings_b)
    only_a = a[~a["fingerprint"].isin(set(b["fingerprint"]))].assign(only_in="a")
    only_b = b[~b["fingerprint"].isin(set(a["fingerprint"]))].assign(only_in="b")
    parts = [p for p in (only_a, only_b) if len(p)]
    diff = pd.concat(parts, ignore_index=True) if parts else only_a.iloc[0:0].copy()
    diff["expected"] = pd.Series(
        [
            expected.get((str(r), None if _missing(p) else str(p), None if _missing(n) else int(n)))
            for r, p, n in zip(diff["rule_id"], diff["path"], diff["line"], strict=True)
        ],
        index=diff.index,
        dtype=object,
    )
    keys = [k for k in ("path", "line", "col", "rule_id") if k in diff.columns]
    diff = diff.sort_values([*keys, "only_in", "fingerprint"], na_position="last", kind="stable")
    rest = [c for c in diff.columns if c not in ("only_in", "expected")]
    return diff[["only_in", "expected", *rest]].reset_index(drop=True)


def _fingerprinted(findings: pd.DataFrame) -> pd.DataFrame:
    _require(findings, ("rule_id", "path", "line"), "findings")
    return _with_fingerprints(findings)
