"""The graphs CPGMath runs algorithms on (:mod:`workbench.analysis.graphs`): exact graphs of
small programs, store and in-memory project agreeing, determinism and bad input."""

from __future__ import annotations

import textwrap
from pathlib import Path

import networkx as nx
import pyarrow as pa
import pytest

import workbench as wb
from workbench.analysis.graphs import (
    GRAPH_EDGES,
    GRAPH_NODES,
    IMPORTS,
    INHERITS_FROM,
    KINDS,
    CodeGraph,
    load,
)
from workbench.errors import (
    AlgorithmError,
    AmbiguousNameError,
    FeatureDisabledError,
    NotFoundError,
)

IF_ELSE = """
def f(x):
    g = lambda v: v + 1
    if x > 0:
        y = 1
    else:
        y = g(2)
    return y
"""

LOOP = """
def total(items):
    s = 0
    for it in items:
        s = s + it
    return s
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


#: Three modules (and a package __init__): calls within a module, across modules, through a
#: module alias, to builtins and imports outside the project, and through a variable.
CALLS = {
    "pkg/__init__.py": "",
    "pkg/util.py": """
        def helper(x):
            return x + 1


        def twice(x):
            return helper(helper(x))
        """,
    "pkg/core.py": """
        import os

        from . import util
        from .util import helper


        def run(x):
            a = helper(x)
            b = util.twice(x)
            return helper(a) + b + len(os.listdir(".")) + x.count()
        """,
    "app.py": """
        from pkg.core import run


        def main():
            return run(1)


        main()
        """,
}

#: Classes across modules: a re-export through ``pkg/__init__.py``, relative imports, an
#: aliased import, a star import, a generic base, a metaclass, external and builtin bases.
CLASSES = {
    "pkg/__init__.py": "from .models import Base\n",
    "pkg/models.py": """
        import collections
        from typing import Generic, TypeVar

        T = TypeVar("T")


        class Base:
            pass


        class Dict(collections.OrderedDict):
            pass


        class Box(Generic[T], Base):
            pass
        """,
    "pkg/sub.py": """
        from . import models


        class Child(models.Base):
            pass


        class Meta(type):
            pass
        """,
    "pkg/deep/__init__.py": "",
    "pkg/deep/leaf.py": """
        import json
        from .. import sub
        from ..models import Base as B


        class Leaf(B):
            pass


        class Leaf2(sub.Child, json.JSONEncoder):
            pass
        """,
    "app.py": """
        import pkg
        import pkg.deep.leaf
        from pkg import sub
        from pkg.models import *
        from pkg import Base as Again


        class App(pkg.Base):
            pass


        class App2(Box):
            pass


        class App3(sub.Child, metaclass=sub.Meta):
            pass


        class Error(Exception):
            pass


        def make():
            class Local(App):
                pass

            return Local
        """,
}


@pytest.fixture(scope="module")
def calls(tmp_path_factory):
    return wb.build_project(_write(tmp_path_factory.mktemp("calls"), CALLS))


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    return wb.build_project(_write(tmp_path_factory.mktemp("classes"), CLASSES))


def _cpg(src: str) -> wb.CPG:
    return wb.build_cpg(textwrap.dedent(src).lstrip("\n"), path="m.py")


def _named(g: CodeGraph, cpg: wb.CPG | None = None) -> set[tuple]:
    """Edges as ``(src, dst, kind, label, weight)`` with nodes named: by full name, or (with
    the CPG) by ``code@line:col`` (the kind for nodes without code)."""
    if cpg is None:
        names = g.nodes["full_name"].to_pylist()
    else:
        rows = {r["id"]: r for r in cpg.nodes.to_pylist()}
        names = [
            f"{rows[i]['code'] or rows[i]['kind']}@{rows[i]['line']}:{rows[i]['col']}"
            for i in g.nodes["id"].to_pylist()
        ]
    e = g.edges
    return {
        (names[s], names[d], k, lab, w)
        for s, d, k, lab, w in zip(
            *(e[c].to_pylist() for c in ("src", "dst", "kind", "label", "weight")), strict=True
        )
    }


def _names(g: CodeGraph) -> dict[str, bool]:
    """Node full names and whether each is external."""
    return dict(zip(g.nodes["full_name"].to_pylist(), g.nodes["external"].to_pylist(), strict=True))


class TestCodeGraph:
    def test_schemas_and_dense_numbers(self):
        g = load(_cpg(IF_ELSE), "cfg")
        assert g.nodes.schema == GRAPH_NODES and g.edges.schema == GRAPH_EDGES
        assert g.nodes["node"].to_pylist() == list(range(g.number_of_nodes))
        assert (g.kind, g.scope) == ("cfg", "project")
        assert repr(g) == f"<CodeGraph cfg of the project: {g.number_of_nodes} nodes, 11 edges>"
        nodes, edges = g.to_pandas()
        assert len(nodes) == g.number_of_nodes and len(edges) == g.number_of_edges == 11

    def test_to_networkx_carries_columns_and_merges_parallel_edges(self):
        cpg = _cpg("def f(x):\n    assert x\n")
        g = load(cpg, "cfg", method="f")
        assert g.number_of_edges == 3  # entry -> assert, assert -> exit twice
        nxg = g.to_networkx()
        assert isinstance(nxg, nx.DiGraph) and sorted(nxg) == list(range(g.number_of_nodes))
        assert nxg.graph == {"kind": "cfg", "scope": "method"}
        assert nxg.number_of_edges() == 2
        (u, v, d) = next((u, v, d) for u, v, d in nxg.edges(data=True) if d["label"])
        assert nxg.nodes[u]["code"] == "assert x" and nxg.nodes[v]["kind"] == "METHOD_RETURN"
        assert d == {"kind": "CFG", "label": "exception,true", "weight": 1.0}
        assert set(nxg.nodes[u]) == set(GRAPH_NODES.names) - {"node"}

    def test_to_networkx_sums_weights_of_counted_graphs(self):
        nodes = GRAPH_NODES.empty_table()
        edges = pa.table(
            {
                "src": pa.array([0, 0], pa.int32()),
                "dst": pa.array([1, 1], pa.int32()),
                "kind": ["CALL", "CALL"],
                "label": ["local", None],
                "weight": [2.0, 3.0],
            },
            schema=GRAPH_EDGES,
        )
        call = CodeGraph("call", "project", nodes, edges).to_networkx()
        assert call.edges[0, 1] == {"kind": "CALL", "label": "local", "weight": 5.0}
        cfg = CodeGraph("cfg", "project", nodes, edges).to_networkx()
        assert cfg.edges[0, 1]["weight"] == 3.0

    def test_pdg_merges_kinds_in_networkx(self):
        cpg = _cpg("def f(x):\n    while x:\n        x = x - 1\n")
        g = load(cpg, "pdg", method="f").to_networkx()
        kinds = {d["kind"] for *_, d in g.edges(data=True)}
        assert kinds <= {"CDG", "REACHING_DEF", "CDG,REACHING_DEF"} and "CDG" in kinds


class TestFlowGraphs:
    def test_cfg_of_if_else(self):
        cpg = _cpg(IF_ELSE)
        g = load(cpg, "cfg", method="f")
        assert g.scope == "method"
        assert _named(g, cpg) == {
            ("def f(x):@1:0", "g = lambda v: v + 1@2:4", "CFG", None, 1.0),
            ("g = lambda v: v + 1@2:4", "x > 0@3:7", "CFG", None, 1.0),
            ("x > 0@3:7", "y = 1@4:8", "CFG", "true", 1.0),
            ("x > 0@3:7", "y = g(2)@6:8", "CFG", "false", 1.0),
            ("y = 1@4:8", "return y@7:4", "CFG", None, 1.0),
            ("y = g(2)@6:8", "return y@7:4", "CFG", None, 1.0),
            ("return y@7:4", "METHOD_RETURN@7:12", "CFG", None, 1.0),
        }
        f = cpg.find(kind="METHOD", name="f")[0]
        assert set(g.nodes["method"].to_pylist()) == {f}  # the lambda's own CFG is not in it
        assert g.nodes["kind"].to_pylist()[0] == "METHOD"  # pre-order: the entry first

    def test_cfg_of_a_module_holds_every_method(self):
        cpg = _cpg(IF_ELSE)
        g = load(cpg, "cfg", module="m.py")
        assert g.scope == "module"
        methods = {r["method"] for r in g.nodes.to_pylist()}
        assert methods == set(cpg.methods["id"].to_pylist())  # module, f and the lambda
        assert g.number_of_edges == 11  # module 2, f 7, lambda 2
        assert load(cpg, "cfg").nodes.equals(g.nodes)

    def test_cdg_of_if_else(self):
        cpg = _cpg(IF_ELSE)
        assert _named(load(cpg, "cdg", method="f"), cpg) == {
            ("x > 0@3:7", "y = 1@4:8", "CDG", "true", 1.0),
            ("x > 0@3:7", "y = g(2)@6:8", "CDG", "false", 1.0),
        }

    def test_ddg_of_a_loop_labels_variables(self):
        cpg = _cpg(LOOP)
        assert _named(load(cpg, "ddg", method="total"), cpg) == {
            ("items@1:10", "items@3:14", "REACHING_DEF", "items", 1.0),
            ("s@2:4", "s@4:12", "REACHING_DEF", "s", 1.0),
            ("s@2:4", "s@5:11", "REACHING_DEF", "s", 1.0),
            ("it@3:8", "it@4:16", "REACHING_DEF", "it", 1.0),
            ("s@4:8", "s@4:12", "REACHING_DEF", "s", 1.0),  # around the loop
            ("s@4:8", "s@5:11", "REACHING_DEF", "s", 1.0),
        }

    @pytest.mark.parametrize("src, method", [(IF_ELSE, "f"), (LOOP, "total")])
    def test_pdg_is_the_union_of_cdg_and_ddg(self, src, method):
        cpg = _cpg(src)
        pdg, cdg, ddg = (load(cpg, k, method=method) for k in ("pdg", "cdg", "ddg"))
        assert _named(pdg, cpg) == _named(cdg, cpg) | _named(ddg, cpg)
        ids = set(pdg.nodes["id"].to_pylist())
        assert ids == set(cdg.nodes["id"].to_pylist()) | set(ddg.nodes["id"].to_pylist())
        assert pdg.nodes["id"].to_pylist() == sorted(ids)


class TestCallGraph:
    def test_project(self, calls):
        g = load(calls, "call")
        assert _named(g) == {
            ("app.<module>", "app.main", "CALL", "local", 1.0),
            ("app.main", "pkg.core.run", "CALL", "import", 1.0),  # across modules
            ("pkg.core.run", "pkg.util.helper", "CALL", "import", 2.0),  # two call sites
            ("pkg.core.run", "pkg.util.twice", "CALL", "import", 1.0),  # util.twice()
            ("pkg.util.twice", "pkg.util.helper", "CALL", "local", 2.0),
        }
        assert _names(g) == {  # every METHOD, module bodies included
            name: False
            for name in (
                "app.<module>",
                "app.main",
                "pkg.<module>",
                "pkg.core.<module>",
                "pkg.core.run",
                "pkg.util.<module>",
                "pkg.util.helper",
                "pkg.util.twice",
            )
        }
        assert set(g.nodes["kind"].to_pylist()) == {"METHOD"}

    def test_external_callees(self, calls):
        g = load(calls, "call", external=True)
        extra = _named(g) - _named(load(calls, "call"))
        assert extra == {  # x.count() is unresolved: no callee is known
            ("pkg.core.run", "builtins.len", "CALL", "builtin", 1.0),
            ("pkg.core.run", "os.listdir", "CALL", "import", 1.0),
        }
        ext = g.nodes.filter(g.nodes["external"]).to_pylist()
        assert [(r["full_name"], r["name"], r["module"], r["id"]) for r in ext] == [
            ("builtins.len", "len", None, None),
            ("os.listdir", "listdir", None, None),
        ]
        assert g.nodes["node"].to_pylist()[-2:] == [r["node"] for r in ext]  # last

    def test_module_scope_includes_the_callees_of_other_modules(self, calls):
        g = load(calls, "call", module="pkg/core.py")
        assert g.scope == "module"
        assert set(_names(g)) == {
            "pkg.core.<module>",
            "pkg.core.run",
            "pkg.util.helper",
            "pkg.util.twice",
        }
        assert _named(g) == {
            ("pkg.core.run", "pkg.util.helper", "CALL", "import", 2.0),
            ("pkg.core.run", "pkg.util.twice", "CALL", "import", 1.0),
        }

    def test_method_scope(self, calls):
        g = load(calls, "call", method="pkg.util.twice")
        assert g.scope == "method"
        assert _named(g) == {("pkg.util.twice", "pkg.util.helper", "CALL", "local", 2.0)}
        assert set(_names(g)) == {"pkg.util.twice", "pkg.util.helper"}

    def test_module_given_by_name_path_or_key(self, calls):
        key = calls.cpgs["pkg/core.py"].module.key
        a, b, c = (load(calls, "call", module=m) for m in ("pkg/core.py", "pkg.core", key))
        assert a.nodes.equals(b.nodes) and a.nodes.equals(c.nodes) and a.edges.equals(c.edges)


class TestImportGraph:
    def test_project(self, classes):
        g = load(classes, "import")
        assert _named(g) == {
            ("pkg", "pkg.models", IMPORTS, "IMPORT_FROM", 1.0),  # from .models import Base
            ("pkg.sub", "pkg.models", IMPORTS, "IMPORT_FROM", 1.0),  # from . import models
            ("pkg.deep.leaf", "pkg.sub", IMPORTS, "IMPORT_FROM", 1.0),  # from .. import sub
            ("pkg.deep.leaf", "pkg.models", IMPORTS, "IMPORT_FROM", 1.0),
            ("app", "pkg", IMPORTS, "IMPORT,IMPORT_FROM", 2.0),  # import pkg; from pkg import Base
            ("app", "pkg.deep.leaf", IMPORTS, "IMPORT", 1.0),  # import pkg.deep.leaf
            ("app", "pkg.sub", IMPORTS, "IMPORT_FROM", 1.0),  # from pkg import sub
            ("app", "pkg.models", IMPORTS, "IMPORT_FROM", 1.0),  # from pkg.models import *
        }
        assert _names(g) == dict.fromkeys(
            ["app", "pkg", "pkg.deep", "pkg.deep.leaf", "pkg.models", "pkg.sub"], False
        )
        rows = {r["full_name"]: r for r in g.nodes.to_pylist()}
        assert rows["pkg.sub"]["name"] == "pkg.sub" and rows["pkg.sub"]["id"] == 0
        assert rows["pkg.sub"]["module"] == classes.cpgs["pkg/sub.py"].module.key

    def test_external_packages_only_with_external(self, classes):
        g = load(classes, "import", external=True)
        assert _named(g) - _named(load(classes, "import")) == {
            ("pkg.models", "collections", IMPORTS, "IMPORT", 1.0),
            ("pkg.models", "typing", IMPORTS, "IMPORT_FROM", 1.0),
            ("pkg.deep.leaf", "json", IMPORTS, "IMPORT", 1.0),
        }
        assert {n for n, ext in _names(g).items() if ext} == {"collections", "json", "typing"}

    def test_module_scope(self, classes):
        g = load(classes, "import", module="pkg/deep/leaf.py", external=True)
        assert _named(g) == {
            ("pkg.deep.leaf", "pkg.sub", IMPORTS, "IMPORT_FROM", 1.0),
            ("pkg.deep.leaf", "pkg.models", IMPORTS, "IMPORT_FROM", 1.0),
            ("pkg.deep.leaf", "json", IMPORTS, "IMPORT", 1.0),
        }
        assert len(_names(g)) == 4

    def test_longest_module_prefix(self, tmp_path):
        proj = wb.build_project(
            _write(
                tmp_path,
                {
                    "a/__init__.py": "",
                    "a/b.py": "X = 1\n",
                    "m.py": "import a.b.c\nfrom a.b import X\nfrom a import b\nimport a.nope\n",
                },
            )
        )
        assert _named(load(proj, "import")) == {
            ("m", "a.b", IMPORTS, "IMPORT,IMPORT_FROM", 3.0),
            ("m", "a", IMPORTS, "IMPORT", 1.0),
        }


INHERITED = frozenset(
    {
        ("pkg.sub.Child", "pkg.models.Base", INHERITS_FROM, "models.Base", 1.0),
        ("pkg.models.Box", "pkg.models.Base", INHERITS_FROM, "Base", 1.0),
        ("pkg.deep.leaf.Leaf", "pkg.models.Base", INHERITS_FROM, "B", 1.0),
        ("pkg.deep.leaf.Leaf2", "pkg.sub.Child", INHERITS_FROM, "sub.Child", 1.0),
        ("app.App", "pkg.models.Base", INHERITS_FROM, "pkg.Base", 1.0),  # re-exported by pkg
        ("app.App2", "pkg.models.Box", INHERITS_FROM, "Box", 1.0),  # star import
        ("app.App3", "pkg.sub.Child", INHERITS_FROM, "sub.Child", 1.0),  # not the metaclass
        ("app.make.<locals>.Local", "app.App", INHERITS_FROM, "App", 1.0),
    }
)
EXTERNAL_BASES = frozenset(
    {
        ("pkg.sub.Meta", "builtins.type", INHERITS_FROM, "type", 1.0),
        ("pkg.deep.leaf.Leaf2", "json.JSONEncoder", INHERITS_FROM, "json.JSONEncoder", 1.0),
        ("app.Error", "builtins.Exception", INHERITS_FROM, "Exception", 1.0),
        (
            "pkg.models.Dict",
            "collections.OrderedDict",
            INHERITS_FROM,
            "collections.OrderedDict",
            1.0,
        ),
        ("pkg.models.Box", "typing.Generic", INHERITS_FROM, "Generic[T]", 1.0),
    }
)
CLASS_NAMES = [
    "app.App",
    "app.App2",
    "app.App3",
    "app.Error",
    "app.make.<locals>.Local",
    "pkg.deep.leaf.Leaf",
    "pkg.deep.leaf.Leaf2",
    "pkg.models.Base",
    "pkg.models.Box",
    "pkg.models.Dict",
    "pkg.sub.Child",
    "pkg.sub.Meta",
]


class TestInheritance:
    def test_project(self, classes):
        g = load(classes, "inheritance")
        assert _named(g) == INHERITED
        assert _names(g) == dict.fromkeys(CLASS_NAMES, False)
        assert set(g.nodes["kind"].to_pylist()) == {"TYPE_DECL"}

    def test_external_bases(self, classes):
        g = load(classes, "inheritance", external=True)
        assert _named(g) == INHERITED | EXTERNAL_BASES
        assert {n for n, ext in _names(g).items() if ext} == {
            "builtins.Exception",
            "builtins.type",
            "collections.OrderedDict",
            "json.JSONEncoder",
            "typing.Generic",
        }

    def test_module_scope_includes_bases_in_other_modules(self, classes):
        g = load(classes, "inheritance", module="pkg/deep/leaf.py")
        assert set(_names(g)) == {
            "pkg.deep.leaf.Leaf",
            "pkg.deep.leaf.Leaf2",
            "pkg.models.Base",
            "pkg.sub.Child",
        }
        assert _named(g) == {e for e in INHERITED if e[0].startswith("pkg.deep.leaf.")}

    def test_method_scope_is_the_classes_defined_in_it(self, classes):
        g = load(classes, "inheritance", method="app.make")
        assert _named(g) == {("app.make.<locals>.Local", "app.App", INHERITS_FROM, "App", 1.0)}

    def test_a_name_rebound_later_and_a_class_defined_twice(self, tmp_path):
        proj = wb.build_project(
            _write(
                tmp_path,
                {
                    "m.py": """
                    class A:
                        pass


                    class B(A):
                        pass


                    class A(B):
                        pass
                    """,
                },
            )
        )
        g = load(proj, "inheritance")
        rows = g.nodes.to_pylist()
        named = {
            (rows[s]["line"], rows[d]["line"])
            for s, d in zip(g.edges["src"].to_pylist(), g.edges["dst"].to_pylist(), strict=True)
        }
        assert named == {(5, 1), (9, 5)}  # B's A is the first A, not the later one


KINDS_AND_SCOPES = (
    *((k, {}) for k in KINDS),
    ("call", {"external": True}),
    ("import", {"external": True}),
    ("inheritance", {"external": True}),
    ("cfg", {"module": "bookshop/orders/cart.py"}),
    ("call", {"module": "bookshop.cli", "external": True}),
    ("inheritance", {"module": "bookshop/orders/payments.py"}),
    ("pdg", {"method": "bookshop.orders.cart.Cart.total"}),
)


class TestStore:
    def test_store_and_project_agree_on_the_sample(self, full_store):
        store, project = full_store(100)
        for kind, kw in KINDS_AND_SCOPES:
            a, b = load(store, kind, **kw), load(project, kind, **kw)
            assert a.number_of_edges > 0, (kind, kw)
            assert a.nodes.equals(b.nodes, check_metadata=True), (kind, kw)
            assert a.edges.equals(b.edges, check_metadata=True), (kind, kw)
            assert (a.kind, a.scope) == (b.kind, b.scope)

    def test_a_cross_module_call_in_the_store(self, full_store):
        store, _ = full_store(100)
        g = load(store, "call", module="bookshop/cli.py")
        assert ("bookshop.cli.main", "bookshop.reports.write_report", "CALL", "import", 1.0) in (
            _named(g)
        )

    def test_saved_value_flow_edges_join_the_call_graph(self, full_store):
        store, _ = full_store(100)
        before = _named(load(store, "call"))
        store.call_graph(save=True)
        after = _named(load(store, "call"))
        # a call site both the linker and the value-flow analysis resolved counts once
        edge = ("bookshop.cli.main", "bookshop.reports.write_report", "CALL")
        assert (*edge, "import", 1.0) in before and (*edge, "import,points-to", 1.0) in after
        assert any(lab == "module-body" for *_, lab, _ in after)  # implicit calls too

    def test_module_key_from_a_dataframe(self, full_store):
        store, _ = full_store(100)
        mods = store.modules().set_index("path")
        key = mods.loc["bookshop/cli.py", "module"]  # a numpy integer
        assert load(store, "call", module=key).edges.equals(
            load(store, "call", module="bookshop/cli.py").edges
        )

    def test_a_module_without_cpg(self, full_store):
        store, _ = full_store(100)
        with pytest.raises(NotFoundError, match=r"bookshop/legacy/broken.py.*has no CPG"):
            load(store, "cfg", module="bookshop/legacy/broken.py")

    def test_cpg_off(self, v1):
        with pytest.raises(FeatureDisabledError, match="workbench migrate"):
            load(v1, "call")

    def test_nothing_generated(self, v2):
        with pytest.raises(NotFoundError, match="workbench generate"):
            load(v2, "call")


class TestDeterminism:
    @pytest.mark.parametrize("kind", KINDS)
    def test_two_loads_and_two_builds_are_identical(self, kind):
        sample = Path(__file__).parent.parent / "data" / "sample_project"
        a = load(wb.build_project(sample), kind, external=True)
        b = load(wb.build_project(sample), kind, external=True)
        assert a.nodes.equals(b.nodes) and a.edges.equals(b.edges)
        assert a.nodes.num_rows and a.edges.num_rows

    def test_a_single_module_cpg(self):
        cpg = _cpg(IF_ELSE)
        assert load(cpg, "pdg").edges.equals(load(cpg, "pdg").edges)


class TestBadInput:
    def test_unknown_kind_lists_the_kinds(self, calls):
        with pytest.raises(NotFoundError, match=r"unknown graph kind 'callgraph'; choose from cfg"):
            load(calls, "callgraph")

    def test_unknown_module_suggests_names(self, calls):
        with pytest.raises(NotFoundError, match=r"no module 'pkg.cor'.*did you mean pkg.core"):
            load(calls, "call", module="pkg.cor")

    def test_unknown_method_suggests_names(self, calls):
        with pytest.raises(NotFoundError, match=r"no method named 'pkg.util.twyce'.*pkg.util"):
            load(calls, "cfg", method="pkg.util.twyce")

    def test_method_of_an_import_graph(self, calls):
        with pytest.raises(AlgorithmError, match="pass module="):
            load(calls, "import", method="pkg.core.run")

    def test_method_id_needs_the_module_when_several_have_it(self, calls):
        with pytest.raises(AmbiguousNameError, match="pass module="):
            load(calls, "cfg", method=0)
        g = load(calls, "cfg", module="pkg/core.py", method=0)
        assert set(g.nodes["method"].to_pylist()) == {0}

    def test_ambiguous_method_suffix(self, tmp_path):
        proj = wb.build_project(
            _write(tmp_path, {"a.py": "def run():\n    pass\n", "b.py": "def run():\n    pass\n"})
        )
        with pytest.raises(AmbiguousNameError, match=r"2 methods match 'run'.*full name") as e:
            load(proj, "cfg", method="run")
        assert len(e.value.candidates) == 2
        assert load(proj, "cfg", method="a.run").scope == "method"

    def test_a_module_that_failed_to_build(self, tmp_path):
        proj = wb.build_project(_write(tmp_path, {"ok.py": "x = 1\n", "bad.py": "def (:\n"}))
        with pytest.raises(NotFoundError, match=r"'bad.py' has no CPG \(status failed\)"):
            load(proj, "cfg", module="bad.py")
        assert load(proj, "call").number_of_nodes == 1  # its methods simply do not exist

    def test_not_a_source(self):
        with pytest.raises(TypeError, match="Store, a Project"):
            load("data/sample_project", "call")
