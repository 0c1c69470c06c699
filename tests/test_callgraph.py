"""The value-flow call graph against the labelled cases of ``tests/callgraph_cases`` (see its
README for the format), and the call graph's API."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

import workbench as wb
from workbench.callgraph import IMPLICIT
from workbench.callgraph.evaluate import found, read_expected
from workbench.pipeline.project import build_project

CASES = Path(__file__).parent / "callgraph_cases"
#: Cases a flow- and context-insensitive analysis cannot get exactly right, with the reason.
FLOW_SENSITIVE = {
    "star_imports/overrides_local": "a later star import rebinds a name: flow-insensitive, "
    "the analysis keeps both values of the name",
    "variables/nonlocal_function_var": "an inner function rebinds a nonlocal before the call: "
    "both values of the variable reach the call",
    "decorators/class_instance_per_function": "context-insensitive methods: the __call__ of "
    "a decorator class serves every function it decorates, so their results merge",
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


SRC = {
    "app.py": """
import lib


class Greeter:
    def hello(self):
        return "hi".upper()


def run(cb):
    return cb()


def main(handler):
    g = lib.make()
    g.hello()
    run(lib.helper)
    handler()
""",
    "lib.py": """
def make():
    from app import Greeter
    return Greeter()


def helper():
    return 1
""",
}


@pytest.fixture
def project(tmp_path):
    for name, text in SRC.items():
        (tmp_path / name).write_text(text)
    return build_project(tmp_path)


def test_the_call_graph_as_a_dataframe_and_a_digraph(project):
    cg = project.call_graph()
    edges = cg.to_pandas()
    row = edges[(edges.caller == "app.main") & (edges.callee == "app.Greeter.hello")].iloc[0]
    assert (row.kind, row.module, row.line, row.site_type, row.external) == (
        "call",
        "app",
        16,
        "Call",
        False,
    )
    g = cg.to_networkx()
    assert isinstance(g, nx.DiGraph)
    assert {"app.Greeter.hello", "lib.make", "app.run"} <= set(g.successors("app.main"))
    assert g.nodes["builtins.str.upper"]["external"] is True
    assert g.edges["app.run", "lib.helper"]["kinds"] == ["call"]
    only_calls = cg.to_networkx(kinds=["call"])
    assert not any("module-body" in d["kinds"] for *_, d in only_calls.edges(data=True))
    assert ("app.<module>", "lib.<module>") in set(g.edges)  # import runs the module


def test_unresolved_call_sites_say_why(project):
    cg = project.call_graph()
    assert cg.resolved_sites == cg.call_sites - 1
    frame = cg.unresolved_frame()
    assert frame[["caller", "written", "line"]].values.tolist() == [["app.main", "handler", 18]]
    assert frame.reason[0] == "a parameter that no call passes a known value"


def test_the_call_graph_does_not_depend_on_module_order_or_hash_seed(tmp_path):
    import os
    import subprocess
    import sys

    for name, text in SRC.items():
        (tmp_path / name).write_text(text)
    code = (
        "import sys, workbench as wb; cg = wb.build_project(sys.argv[1]).call_graph(); "
        "print(repr(cg.edges))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outs) == 1 and "app.Greeter.hello" in outs.pop()


def test_a_store_gives_the_call_graph_of_its_modules(tmp_path, src):
    store = wb.Store.create(tmp_path / "store")
    store.ingest(src)
    in_memory = build_project(src).call_graph()
    stored = store.call_graph()
    assert stored.edges == in_memory.edges and stored.left_out == []
    # a file edited after ingest is the stored module no more: left out, with the reason
    edited = src / "bookshop" / "pricing.py"
    edited.write_text(edited.read_text() + "\n# edited\n")
    again = store.call_graph()
    assert again.left_out == [("bookshop/pricing.py", "changed since it was ingested")]
    assert not any(mod == "bookshop.pricing" for mod, *_ in again.edges)
    with pytest.raises(wb.WorkbenchError, match="pass source="):
        store.call_graph(source=tmp_path / "nowhere")
