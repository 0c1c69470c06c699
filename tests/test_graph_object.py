"""The CPG object: conversions and navigation a notebook user relies on."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench.errors import NotFoundError

SRC = """
def outer(a):
    def inner(b):
        return b + a
    if a:
        return inner(a)
    return [x for x in range(a)]
"""


@pytest.fixture(scope="module")
def cpg():
    return wb.build_cpg(SRC, path="pkg/mod.py")


def test_repr_and_summary(cpg):
    assert repr(cpg).startswith("<CPG pkg/mod.py: 1 module, 4 methods")
    s = cpg.summary()
    assert s["nodes"] == cpg.nodes.num_rows and s["edges.AST"] == s["nodes"] - 1


def test_to_pandas(cpg):
    frames = cpg.to_pandas()
    assert len(frames.nodes) == cpg.nodes.num_rows
    assert set(frames.methods.full_name) == {
        "pkg.mod.<module>",
        "pkg.mod.outer",
        "pkg.mod.outer.<locals>.inner",
        "pkg.mod.outer.<locals>.<listcomp>",
    }


def test_to_networkx_layers(cpg):
    full = cpg.to_networkx()
    assert full.number_of_nodes() == cpg.nodes.num_rows
    assert full.number_of_edges() == cpg.edges.num_rows
    cfg = cpg.to_networkx(layers=("CFG",))
    assert {d["kind"] for *_, d in cfg.edges(data=True)} == {"CFG"}
    assert cfg.number_of_nodes() < cpg.nodes.num_rows  # only nodes the CFG touches
    assert all("code" in cfg.nodes[n] for n in cfg)
    contains = cpg.to_networkx(layers=("CONTAINS",))
    assert contains.number_of_edges() == cpg.nodes.num_rows - cpg.methods.num_rows
    with pytest.raises(NotFoundError):
        cpg.to_networkx(layers=("NOPE",))


def test_method_subgraph_includes_nested_methods(cpg):
    outer = cpg.method("outer")
    assert outer.methods.num_rows == 3
    inner = cpg.method("inner")
    assert inner.methods["full_name"].to_pylist() == ["pkg.mod.outer.<locals>.inner"]
    ids = set(inner.nodes["id"].to_pylist())
    for e in inner.edges.to_pylist():
        assert e["src"] in ids and e["dst"] in ids
    assert cpg.method("pkg.mod.outer").equals(outer)


def test_find_and_out_edges(cpg):
    (if_node,) = cpg.find(ast_type="If")
    (cond,) = cpg.find(parent=if_node, order=1)
    assert cpg.node(cond)["code"] == "a"
    labels = sorted(lab for _, _, lab in cpg.out_edges(cond, kind="CFG"))
    assert labels == ["false", "true"]
    assert len(cpg.find(kind="METHOD")) == 4
    with pytest.raises(NotFoundError):
        cpg.find(colour="red")
    with pytest.raises(NotFoundError):
        cpg.node(10**6)


def test_project_graph_keys_are_module_and_id(tmp_path):
    (tmp_path / "a.py").write_text("from b import f\n\ndef g():\n    return f()\n")
    (tmp_path / "b.py").write_text("def f():\n    return 1\n")
    proj = wb.build_project(tmp_path)
    g = proj.to_networkx(layers=("CALL",))
    (edge,) = list(g.edges(data=True))
    src, dst, data = edge
    assert src[0] == proj.module("a").module.key and dst[0] == proj.module("b").module.key
    assert g.nodes[dst]["full_name"] == "b.f" and data["label"] == "import"
