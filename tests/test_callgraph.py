"""The value-flow call graph against the labelled cases of ``tests/callgraph_cases`` (see its
README for the format), and the call graph's API."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.callgraph import IMPLICIT
from workbench.callgraph.evaluate import found, read_expected
from workbench.pipeline.project import build_project

CASES = Path(__file__).parent / "callgraph_cases"
#: Cases a flow-insensitive analysis cannot get exactly right, with the reason.
FLOW_SENSITIVE = {
    "star_imports/overrides_local": "a later star import rebinds a name: flow-insensitive, "
    "the analysis keeps both values of the name",
    "variables/nonlocal_function_var": "an inner function rebinds a nonlocal before the call: "
    "both values of the variable reach the call",
}


def _cases() -> list:
    out = []
    for path in sorted(CASES.glob("*/*/callgraph.txt")):
        case = path.parent
        name = f"{case.parent.name}/{case.name}"
        marks = (
            [pytest.mark.xfail(reason=FLOW_SENSITIVE[name], strict=True)]
            if name in FLOW_SENSITIVE
            else []
        )
        out.append(pytest.param(case, id=name, marks=marks))
    return out


@pytest.mark.parametrize("case", _cases())
def test_case(case: Path) -> None:
    want = read_expected(case / "callgraph.txt")
    got = found(build_project(case).call_graph())
    assert sorted(got - want) == [] and sorted(want - got) == [], (
        f"extra: {sorted(got - want)}\nmissing: {sorted(want - got)}"
    )


def test_the_suite_covers_every_category_with_several_cases() -> None:
    counts: dict[str, int] = {}
    for path in CASES.glob("*/*/callgraph.txt"):
        counts[path.parent.parent.name] = counts.get(path.parent.parent.name, 0) + 1
    assert sum(counts.values()) >= 120
    assert min(counts.values()) >= 4, counts
    kinds = {k for p in CASES.glob("*/*/callgraph.txt") for *_, k in read_expected(p)}
    assert kinds == {"call", *IMPLICIT}
