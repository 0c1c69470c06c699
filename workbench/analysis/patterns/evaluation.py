"""Accuracy of rule sets on labelled code: the annotated corpus, the rule examples, the A/B
test of two rule-set versions, and user feedback labels.

:func:`evaluate` scans annotated files (``# ruleid:`` / ``# ok:`` comments) and scores each
rule and each CWE; :func:`compare` scores two rule sets on the same labelled code -- annotated
files, or a store whose ``labels`` table holds users' verdicts -- and lists the findings that
differ.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from workbench.analysis.patterns import accuracy as A
from workbench.analysis.patterns.rules import BUILTIN_DIR, RuleSet, load_rules
from workbench.analysis.patterns.scan import PatternMatcher

__all__ = ["CORPUS_DIR", "EXAMPLES_DIR", "Evaluation", "compare", "evaluate"]

#: The annotated example file of each built-in rule.
EXAMPLES_DIR = BUILTIN_DIR / "examples"
#: The labelled corpus of this project (a source checkout's ``data/patterns/corpus``).
CORPUS_DIR = Path(__file__).resolve().parents[3] / "data" / "patterns" / "corpus"


@dataclass(frozen=True)
class Evaluation:
    """Findings of a rule set on annotated code, and their scores."""

    findings: pd.DataFrame
    expectations: pd.DataFrame
    by_rule: pd.DataFrame
    by_cwe: pd.DataFrame

    @property
    def overall(self) -> dict:
        """Micro-averaged tp/fp/fn/tn, precision, recall and F1."""
        row = self.by_rule[self.by_rule["rule_id"] == A.OVERALL].iloc[0]
        return {k: (float(v) if k in A.METRICS else int(v)) for k, v in row.drop("rule_id").items()}


def _rules(rules) -> RuleSet:
    return rules if isinstance(rules, RuleSet) else load_rules(rules)


def _annotated(path: str | os.PathLike) -> tuple[Path, pd.DataFrame]:
    p = Path(path)
    if p.is_file():
        return p.parent, A.annotations(p.read_text(encoding="utf-8"), p.name)
    files = sorted(p.rglob("*.py"))
    return p, A.annotations_in(files, root=p)


def evaluate(rules=None, labelled: str | os.PathLike = CORPUS_DIR) -> Evaluation:
    """Scan annotated code with a rule set and score it.

    Only the rules that some annotation names are scored (a corpus for a few rules says
    nothing of the others); findings of other rules are dropped.

    Parameters
    ----------
    rules
        A :class:`RuleSet`, rule files / folders, or None for the built-in rules.
    labelled
        An annotated ``.py`` file or a folder of them (default: the project's corpus).
    """
    rs = _rules(rules)
    root, expected = _annotated(labelled)
    named = set(expected["rule_id"])
    rs = rs.select([r.id for r in rs if r.id in named])
    expected = expected[expected["rule_id"].isin(rs.ids)].reset_index(drop=True)
    found = PatternMatcher(root, rs).run(suppress=False)
    return Evaluation(
        found,
        expected,
        A.score(found, expected),
        A.score_by(found, expected, "cwe", [r.to_dict() | {"cwe": list(r.cwe)} for r in rs]),
    )


def compare(rules_a, rules_b, labelled) -> A.ComparisonResult:
    """The A/B test of two rule-set versions on the same labelled code.

    Parameters
    ----------
    rules_a, rules_b
        Rule sets (or rule files / folders).
    labelled
        An annotated file or folder (expectations from ``# ruleid:`` / ``# ok:`` comments), or
        a :class:`~workbench.store.Store` whose ``labels`` table holds users' verdicts on
        findings (``tp`` / ``fp``, see :func:`record_feedback`): both rule sets scan the store
        and are scored against them.

    Returns
    -------
    ComparisonResult
        ``.scores`` per rule and overall for a and b with the deltas (b - a), and
        ``.differences``: the findings only one version reports, with their expected verdict.
    """
    from workbench.store import Store

    a, b = _rules(rules_a), _rules(rules_b)
    if isinstance(labelled, Store):
        from workbench.analysis.patterns.feedback import labels, stored_findings

        fa = PatternMatcher(labelled, a).run(suppress=False)
        fb = PatternMatcher(labelled, b).run(suppress=False)
        known = pd.concat([stored_findings(labelled), fa, fb], ignore_index=True)
        known = known.drop_duplicates("fingerprint")
        expected = A.expectations_from_labels(labels(labelled), known)
        return A.compare_findings(fa, fb, expected)
    root, expected = _annotated(labelled)
    fa = PatternMatcher(root, a).run(suppress=False)
    fb = PatternMatcher(root, b).run(suppress=False)
    return A.compare_findings(fa, fb, expected)


def corpus_files(labelled: str | os.PathLike = CORPUS_DIR) -> Iterable[Path]:
    """The annotated files of a corpus folder."""
    return sorted(Path(labelled).rglob("*.py"))
