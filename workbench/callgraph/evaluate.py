"""Compare a call graph with a hand-written one: the format of ``tests/callgraph_cases``.

An expected call graph is a text file, one edge a line: ``caller -> callee``, optionally
followed by ``[kind]`` for calls made without a call expression (``import``, ``class-body``,
``decorator``, ``property``, ``protocol``); blank lines and ``#`` lines are ignored.

Examples
--------
>>> expected = parse_expected('''
... # a decorated function
... main.<module> -> main.deco  [decorator]
... main.<module> -> main.run
... ''')
>>> sorted(expected)
[('main.<module>', 'main.deco', 'decorator'), ('main.<module>', 'main.run', 'call')]
>>> score({("main.<module>", "main.run", "call")}, expected)
Score(true_positives=1, false_positives=0, false_negatives=1)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from workbench.callgraph import CallGraph

__all__ = ["Score", "Triple", "found", "parse_expected", "read_expected", "score"]

#: ``(caller, callee, kind)``.
Triple = tuple[str, str, str]
#: Tags of the file format that differ from the edge kinds of :class:`CallGraph`.
TAGS = {"import": "module-body"}


class Score(NamedTuple):
    """Edge counts of a comparison; precision and recall derive from them."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    @property
    def exact(self) -> bool:
        return not self.false_positives and not self.false_negatives

    def __add__(self, other: object) -> Score:
        if not isinstance(other, Score):
            return NotImplemented
        return Score(*(a + b for a, b in zip(self, other, strict=True)))


def parse_expected(text: str) -> set[Triple]:
    """The edges of an expected call graph's text."""
    edges: set[Triple] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        edge, _, tag = line.partition("[")
        parts = [p.strip() for p in edge.split("->")]
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"line {number}: expected 'caller -> callee [kind]', got {raw!r}")
        tag = tag.rstrip("]").strip()
        edges.add((parts[0], parts[1], TAGS.get(tag, tag) or "call"))
    return edges


def read_expected(path: str | Path) -> set[Triple]:
    """The edges of an expected call graph file."""
    return parse_expected(Path(path).read_text(encoding="utf-8"))


def found(cg: CallGraph) -> set[Triple]:
    """The ``(caller, callee, kind)`` edges of a call graph."""
    return {(cg.caller_name(caller), callee, kind) for _, _, caller, callee, kind, _ in cg.edges}


def score(got: Iterable[Triple], expected: Iterable[Triple]) -> Score:
    """True and false positives and false negatives of ``got`` against ``expected``."""
    got, expected = set(got), set(expected)
    return Score(len(got & expected), len(got - expected), len(expected - got))
