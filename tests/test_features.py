"""ML features (workbench.analysis.features): the per-method feature table checked against
hand counts and a slow reference, WL hashes invariant under renaming and sensitive to
structure, clone groups, and the exports (networkx, GraphML, DOT, PyG arrays, dataset)."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import textwrap
from collections import Counter, defaultdict

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from helpers import SAMPLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.analysis.features import (
    FEATURES,
    clone_report,
    export_dataset,
    load_dataset,
    method_features,
    method_graph,
    read_features,
    save_features,
    to_dot,
    to_graphml,
    to_hetero_data,
    to_pyg_arrays,
    wl_hashes,
)
from workbench.analysis.features.export import EDGE_LABELS, SUBKINDS, one_hot
from workbench.analysis.features.table import chain_sums, pagerank
from workbench.analysis.tables import EDGE_KINDS, NODE_KINDS, CodeTables
from workbench.errors import (
    AlgorithmError,
    AmbiguousNameError,
    MissingDependencyError,
    NotFoundError,
    WorkbenchError,
)

HYPO = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def cpg(src: str, path: str = "m.py"):
    return wb.build_cpg(textwrap.dedent(src), path=path)


def row(df: pd.DataFrame, full_name: str) -> pd.Series:
    hit = df[df["full_name"] == full_name]
    assert len(hit) == 1, full_name
    return hit.iloc[0]


@pytest.fixture(scope="module")
def sample() -> CodeTables:
    return CodeTables.read(wb.build_project(SAMPLE))


@pytest.fixture(scope="module")
def sample_features(sample) -> pd.DataFrame:
    return method_features(sample)


# -- a slow reference: Python loops over the node table ------------------------------------


def reference(t: CodeTables) -> pd.DataFrame:
    """nodes, edges, histograms, ast/loop depth and identifiers, one node at a time."""
    kinds = t.nodes["kind"].to_pylist()
    subkinds = t.nodes["subkind"].to_pylist()
    names = t.nodes["name"].to_pylist()
    parent, holder = t.node_parent.tolist(), t.node_method.tolist()
    msub = dict(zip(t.methods["g"].to_pylist(), t.methods["subkind"].to_pylist(), strict=True))
    out = defaultdict(lambda: defaultdict(int))
    idents = defaultdict(set)
    for v in range(len(t)):
        m = holder[v]
        rec = out[m]
        rec["nodes"] += 1
        rec[f"nodes_{kinds[v]}"] += 1
        depth, loops, u = 0, 0, v
        while True:
            if kinds[u] == "CONTROL_STRUCTURE" and subkinds[u] in ("FOR", "WHILE"):
                loops += 1
            p = parent[u]
            if p < 0 or holder[p] != m:
                break
            depth, u = depth + 1, p
        rec["ast_depth"] = max(rec["ast_depth"], depth)
        if msub[m] in ("LISTCOMP", "SETCOMP", "DICTCOMP", "GENEXP"):
            rec["loop_depth"] += kinds[v] == "CONTROL_STRUCTURE"
        else:
            rec["loop_depth"] = max(rec["loop_depth"], loops)
        if kinds[v] == "IDENTIFIER":
            idents[m].add(names[v])
    for s, k in zip(t.edge_src.tolist(), t.edge_kind.tolist(), strict=True):
        out[holder[s]]["edges"] += 1
        out[holder[s]][f"edges_{EDGE_KINDS[k]}"] += 1
    rows = []
    for g in t.methods["g"].to_pylist():
        rec = dict(out[g])
        rec["identifiers"] = sorted(idents[g])
        rows.append(rec)
    return pd.DataFrame(rows).fillna(0)


# == method_features ===========================================================================


class TestMethodFeatures:
    def test_hand_counted(self):
        df = method_features(
            cpg(
                """
                def f(x):
                    while x:
                        x = x - 1
                    return x
                """
            )
        )
        f = row(df, "m.f")
        # METHOD, x, body, while, x, body, =, x, -, x, 1, return, x, METHOD_RETURN
        assert f["nodes"] == 14
        expect = {
            "METHOD": 1,
            "METHOD_PARAMETER_IN": 1,
            "METHOD_RETURN": 1,
            "BLOCK": 2,
            "CONTROL_STRUCTURE": 1,
            "CALL": 2,
            "IDENTIFIER": 4,
            "LITERAL": 1,
            "RETURN": 1,
        }
        assert {k: f[f"nodes_{k}"] for k in NODE_KINDS if f[f"nodes_{k}"]} == expect
        assert f["edges_AST"] == 13  # every held node but the METHOD has its parent held
        # METHOD -> body -> while -> body -> = -> - -> x
        assert (f["loop_depth"], f["ast_depth"], f["parameters"]) == (1, 6, 1)
        assert f["identifiers"] == ["x"] and f["identifier_count"] == 1
        assert f["dataflow_density"] == f["edges_REACHING_DEF"] / 14
        assert (f["module"], f["path"], f["subkind"], f["line"]) == (
            df["module"][0],
            "m.py",
            "FUNCTION",
            2,
        )

    def test_depths(self):
        df = method_features(
            cpg(
                """
                def g(n):
                    for i in range(n):
                        if i:
                            while i:
                                i -= 1
                    for j in range(n):
                        pass

                def h():
                    return 1
                """
            )
        )
        assert row(df, "m.g")["loop_depth"] == 2
        assert row(df, "m.g")["nesting"] == 3
        h = row(df, "m.h")  # METHOD -> body -> return -> 1
        assert (h["ast_depth"], h["loop_depth"], h["nodes"]) == (3, 0, 5)

    def test_nested_methods_are_their_own_rows(self):
        df = method_features(
            cpg(
                """
                def c(xs):
                    return [a for b in xs for a in b if a]
                """
            )
        )
        c, comp = row(df, "m.c"), row(df, "m.c.<locals>.<listcomp>")
        # the comprehension's first iterable is evaluated (held) where it is defined
        assert c["identifiers"] == ["xs"] and comp["identifiers"] == ["a", "b"]
        assert (c["nodes_METHOD"], c["nodes_METHOD_REF"], c["loop_depth"]) == (1, 1, 0)
        assert comp["loop_depth"] == 2  # two for clauses: nested loops side by side
        assert comp["nodes_CONTROL_STRUCTURE"] == 2

    def test_calls_and_centralities(self):
        df = method_features(
            cpg(
                """
                def a():
                    b()
                    c()
                    c()

                def b():
                    c()

                def c():
                    c()
                """
            )
        )
        fan = {n: (row(df, f"m.{n}")["fan_in"], row(df, f"m.{n}")["fan_out"]) for n in "abc"}
        assert fan == {"a": (0, 2), "b": (1, 1), "c": (3, 1)}
        g = nx.DiGraph()
        g.add_nodes_from(df["full_name"])
        for u, v, w in [("a", "b", 1), ("a", "c", 2), ("b", "c", 1), ("c", "c", 1)]:
            g.add_edge(f"m.{u}", f"m.{v}", weight=w)
        pr = nx.pagerank(g, weight="weight", tol=1e-12, max_iter=1000)
        ours = dict(zip(df["full_name"], df["pagerank"], strict=True))
        assert ours == pytest.approx(pr, abs=1e-8)
        assert dict(zip(df["full_name"], df["in_degree_centrality"], strict=True)) == (
            pytest.approx(nx.in_degree_centrality(g))
        )
        assert dict(zip(df["full_name"], df["out_degree_centrality"], strict=True)) == (
            pytest.approx(nx.out_degree_centrality(g))
        )

    def test_columns_and_order(self, sample, sample_features):
        df = sample_features
        assert list(df.columns) == FEATURES.names
        assert len(df) == sample.methods.num_rows
        keys = list(zip(df["module"], df["id"], strict=True))
        assert keys == sorted(keys)
        assert (df.filter(regex="^nodes_").sum(axis=1) == df["nodes"]).all()
        assert (df.filter(regex="^edges_").sum(axis=1) == df["edges"]).all()
        assert df["nodes"].sum() == len(sample)
        assert df["edges"].sum() == len(sample.edge_src)
        assert (df["identifier_count"] == df["identifiers"].map(len)).all()
        assert df["pagerank"].sum() == pytest.approx(1.0)
        no_pr = method_features(sample, centralities=False)
        assert "pagerank" not in no_pr.columns
        pd.testing.assert_frame_equal(
            no_pr, df.drop(columns=["pagerank", "in_degree_centrality", "out_degree_centrality"])
        )

    def test_matches_slow_reference(self, sample, sample_features):
        ref = reference(sample)
        for c in ref.columns:
            got = sample_features[c]
            assert list(got) == list(ref[c].astype(got.dtype) if c != "identifiers" else ref[c]), c

    @HYPO
    @given(st.data())
    def test_generated_programs_match_reference(self, data):
        src = data.draw(programs())
        t = CodeTables.read(wb.build_cpg(src, path="gen.py"))
        df = method_features(t)
        ref = reference(t)
        for c in ref.columns:
            assert list(df[c]) == list(ref[c] if c == "identifiers" else ref[c].astype(int)), c
        fn = df[df["subkind"] == "FUNCTION"]
        assert (fn["loop_depth"] <= fn["nesting"]).all()

    def test_same_frame_from_every_source(self, tmp_path):
        proj_dir = tmp_path / "src"
        (proj_dir / "pkg").mkdir(parents=True)
        (proj_dir / "pkg" / "__init__.py").write_text("")
        (proj_dir / "pkg" / "a.py").write_text("def helper(x):\n    return x * 2\n")
        (proj_dir / "pkg" / "b.py").write_text(
            "from pkg.a import helper\n\ndef main(y):\n    return helper(y) + 1\n"
        )
        project = wb.build_project(proj_dir)
        store = wb.Store.create(tmp_path / "store")
        store.ingest(proj_dir)
        from workbench.store.migrations import migrate

        migrate(store)
        store.write_cpg(list(project.cpgs.values()))
        by_project = method_features(project)
        pd.testing.assert_frame_equal(by_project, method_features(CodeTables.read(project)))
        by_store = method_features(store)
        pd.testing.assert_frame_equal(by_project, by_store)
        assert row(by_store, "pkg.a.helper")["fan_in"] == 1  # a call across modules
        assert set(by_store["path"]) == {"pkg/__init__.py", "pkg/a.py", "pkg/b.py"}

    def test_deterministic_and_parquet_round_trip(self, sample, sample_features, tmp_path):
        again = method_features(sample)
        pd.testing.assert_frame_equal(again, sample_features)
        a = save_features(sample_features, tmp_path / "a.parquet")
        b = save_features(again, tmp_path / "b.parquet")
        assert a.read_bytes() == b.read_bytes()
        back = read_features(a)
        pd.testing.assert_frame_equal(back, sample_features)
        import pyarrow.parquet as pq

        schema = pq.read_schema(a)
        assert schema.field("loop_depth").metadata[b"doc"].startswith(b"Deepest nesting")
        assert b"pandas" not in (schema.metadata or {})

    def test_bad_input(self, sample_features):
        with pytest.raises(TypeError, match=r"method_features.*not int"):
            method_features(42)
        with pytest.raises(TypeError, match="DataFrame"):
            save_features({"a": 1}, "x.parquet")
        with pytest.raises(ValueError, match="not feature columns: extra"):
            save_features(sample_features.assign(extra=1), "x.parquet")
        with pytest.raises(ValueError, match="missing: nodes"):
            save_features(sample_features.drop(columns=["nodes"]), "x.parquet")

    @pytest.mark.parametrize("value", ["no", None, 1])
    def test_centralities_is_a_flag(self, value):
        # "no" is true: a flag that is not a bool is refused, not read as truthy
        with pytest.raises(TypeError, match=r"method_features\(\): centralities must be True"):
            method_features(cpg("x = 1\n"), centralities=value)
        assert "pagerank" not in method_features(cpg("x = 1\n"), centralities=np.False_)

    def test_paths_are_checked(self, sample_features, tmp_path):
        with pytest.raises(TypeError, match=r"save_features\(\): path must be a str"):
            save_features(sample_features, None)
        with pytest.raises(WorkbenchError, match="path is empty"):
            save_features(sample_features, "")
        with pytest.raises(WorkbenchError, match="is a directory"):
            save_features(sample_features, tmp_path)
        with pytest.raises(TypeError, match=r"read_features\(\): path must be a str"):
            read_features(3)


class TestHelpers:
    def test_chain_sums(self):
        #      0
        #    1   4
        #    2
        #    3        5 (a second root)
        parent = np.array([-1, 0, 1, 2, 0, -1])
        weight = np.array([1, 0, 1, 1, 0, 1])
        depth, total = chain_sums(parent, weight)
        assert depth.tolist() == [0, 1, 2, 3, 1, 0]
        assert total.tolist() == [1, 1, 2, 3, 1, 1]

    @HYPO
    @given(st.lists(st.integers(0, 50), min_size=1, max_size=60))
    def test_chain_sums_random_forest(self, picks):
        parent = np.array([-1] + [p % (i + 1) if p % 3 else -1 for i, p in enumerate(picks[1:])])
        weight = np.array([p % 2 for p in picks])
        depth, total = chain_sums(parent, weight)
        for v in range(len(parent)):
            d, s, u = 0, weight[v], v
            while parent[u] >= 0:
                u = parent[u]
                d, s = d + 1, s + weight[u]
            assert (depth[v], total[v]) == (d, s)

    def test_pagerank_empty_and_dangling(self):
        assert pagerank(np.array([], int), np.array([], int), np.array([], int), 0).shape == (0,)
        pr = pagerank(np.array([0]), np.array([1]), np.array([1]), 3)
        g = nx.DiGraph([(0, 1)])
        g.add_node(2)
        assert pr.tolist() == pytest.approx(
            [v for _, v in sorted(nx.pagerank(g, tol=1e-12).items())]
        )


# == WL hashes and clones =====================================================================

VARS = ("a", "b", "c", "d")
FRESH = ("p0", "p1", "p2", "p3")
OPS = ("+", "-", "*", "//", "%", "<", ">", "==")


@st.composite
def expressions(draw, depth: int = 0) -> str:
    choice = draw(st.integers(0, 6 if depth < 2 else 2))
    if choice == 0:
        return draw(st.sampled_from(VARS))
    if choice == 1:
        return repr(draw(st.integers(0, 99)))
    if choice == 2:
        return repr(draw(st.sampled_from(["s", "", "t\\n", True, False, None])))
    if choice in (3, 4):
        op = draw(st.sampled_from(OPS))
        return f"({draw(expressions(depth + 1))} {op} {draw(expressions(depth + 1))})"
    if choice == 5:
        return f"g({draw(expressions(depth + 1))})"
    v = draw(st.sampled_from(VARS))
    return f"[{v} for {v} in {draw(expressions(depth + 1))} if {v}]"


@st.composite
def blocks(draw, depth: int = 0) -> list[str]:
    kinds = ["assign", "aug", "call", "return"] + (["if", "while", "for"] if depth < 2 else [])
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(kinds))
        v, e = draw(st.sampled_from(VARS)), draw(expressions())
        if kind == "assign":
            lines.append(f"{v} = {e}")
        elif kind == "aug":
            lines.append(f"{v} += {e}")
        elif kind == "call":
            lines.append(f"g({v}, {e})")
        elif kind == "return":
            lines.append(f"return {e}")
        else:
            head = {"if": f"if {e}:", "while": f"while {e}:", "for": f"for {v} in {e}:"}[kind]
            lines.append(head)
            lines += ["    " + line for line in draw(blocks(depth + 1))]
            if kind == "if" and draw(st.booleans()):
                lines.append("else:")
                lines += ["    " + line for line in draw(blocks(depth + 1))]
    return lines


@st.composite
def programs(draw) -> str:
    out = []
    for i in range(draw(st.integers(1, 2))):
        params = ", ".join(draw(st.lists(st.sampled_from(VARS), unique=True, max_size=3)))
        out.append(f"def f{i}({params}):")
        out += ["    " + line for line in draw(blocks())]
    return "\n".join(out) + "\n"


class _Rename(ast.NodeTransformer):
    """Rename variables by a bijection and change constants' values (not type or truthiness)."""

    def __init__(self, names: dict[str, str], shift: int):
        self.names, self.shift = names, shift

    def visit_Name(self, node):
        node.id = self.names.get(node.id, node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.names.get(node.arg, node.arg)
        return node

    def visit_FunctionDef(self, node):
        node.name = "renamed_" + node.name
        self.generic_visit(node)
        return node

    def visit_Constant(self, node):
        # truthiness is kept: ``while 1:`` has no false branch, ``while 0:`` has one
        v = node.value
        if isinstance(v, int) and not isinstance(v, bool) and v:
            node.value = (v * 7 + self.shift) % 999 + 1
        elif isinstance(v, str) and v:
            node.value = v[::-1] + "x" * self.shift
        return node


def hashes(src: str, **kw) -> dict[str, str]:
    h = wl_hashes(cpg(src), **kw)
    return dict(zip(h["full_name"], h["wl_hash"], strict=True))


class TestWLHashes:
    @HYPO
    @given(programs(), st.permutations(FRESH), st.integers(1, 50))
    def test_renamed_clones_hash_equal(self, src, fresh, shift):
        renamed = ast.unparse(
            _Rename(dict(zip(VARS, fresh, strict=True)), shift).visit(ast.parse(src))
        )
        a, b = wl_hashes(cpg(src)), wl_hashes(cpg(renamed))
        assert list(a["nodes"]) == list(b["nodes"])
        assert list(a["wl_hash"]) == list(b["wl_hash"])

    @HYPO
    @given(programs())
    def test_an_added_statement_changes_the_hash(self, src):
        lines = src.splitlines()
        changed = "\n".join([lines[0], "    a = 1", *lines[1:]]) + "\n"
        assert hashes(src)["m.f0"] != hashes(changed)["m.f0"]

    @pytest.mark.parametrize(
        ("one", "other"),
        [
            ("x = a + b\n    return x", "x = a - b\n    return x"),  # an operator
            ("if a:\n        a = b\n    return a", "while a:\n        a = b\n    return a"),
            ("return a", "a = b\n    return a"),  # an added statement
            ("return a < b", "return a <= b"),
            ("return a.x", "return a[x]"),
            ("return b - a", "return 1 - a"),  # identifier vs literal
            ("return 1", "return 'one'"),  # the literal's type is structural
            ("a = b\n    return a", "b = a\n    return a"),  # same nodes, other data flow
        ],
    )
    def test_structural_differences(self, one, other):
        h1 = hashes(f"def f(a, b):\n    {one}\n")
        h2 = hashes(f"def f(a, b):\n    {other}\n")
        assert h1["m.f"] != h2["m.f"]

    def test_iterations_see_dataflow(self):
        src = "def f(a, b):\n    a = b\n    return a\n\ndef g(a, b):\n    b = a\n    return a\n"
        h0 = hashes(src, iterations=0)
        assert h0["m.f"] == h0["m.g"]  # the same multiset of node labels
        h3 = hashes(src)
        assert h3["m.f"] != h3["m.g"]

    def test_stable_value_and_format(self):
        # seeds are BLAKE2b digests of label strings: the same everywhere, every run
        h = hashes("def f(x):\n    return x + 1\n")["m.f"]
        assert re.fullmatch("[0-9a-f]{16}", h)
        assert h == hashes("def g(y):\n    return y + 5\n")["m.g"]
        assert h == "4acc3a4fa7dd763b"

    def test_only_own_nodes(self):
        a = hashes("def f():\n    def g():\n        return 1\n    return g\n")
        b = hashes("def f():\n    def g():\n        return 1 + 2\n    return g\n")
        assert a["m.f"] == b["m.f"] and a["m.f.<locals>.g"] != b["m.f.<locals>.g"]

    def test_frame(self, sample):
        h = wl_hashes(sample)
        assert list(h.columns) == ["module", "path", "id", "full_name", "nodes", "wl_hash"]
        assert len(h) == sample.methods.num_rows
        assert list(h["nodes"]) == list(method_features(sample, centralities=False)["nodes"])
        pd.testing.assert_frame_equal(h, wl_hashes(sample))

    def test_bad_input(self):
        with pytest.raises(TypeError, match=r"wl_hashes.*not str"):
            wl_hashes("def f(): pass")
        with pytest.raises(ValueError, match=">= 0"):
            wl_hashes(cpg("x = 1\n"), iterations=-1)
        with pytest.raises(AlgorithmError, match=r"wl_hashes\(\): iterations must be .*>= 0"):
            wl_hashes(cpg("x = 1\n"), iterations=np.int64(-1))
        for bad in (1.5, None, "3", True):
            with pytest.raises(TypeError, match="iterations must be an integer"):
                wl_hashes(cpg("x = 1\n"), iterations=bad)

    def test_numpy_integer_iterations(self):
        # any integer type works, as elsewhere in the workbench
        c = cpg(CLONES)
        pd.testing.assert_frame_equal(
            wl_hashes(c, iterations=np.int64(2)), wl_hashes(c, iterations=2)
        )


CLONES = """
def total(items):
    s = 0
    for i in items:
        if i > 0:
            s = s + i
    return s

def amount(xs):
    acc = 10
    for x in xs:
        if x > 5:
            acc = acc + x
    return acc

def other(xs):
    acc = 10
    for x in xs:
        if x > 5:
            acc = acc - x
    return acc

def tiny(a):
    return a

def small(b):
    return b
"""


class TestCloneReport:
    def test_groups(self):
        r = clone_report(cpg(CLONES), min_nodes=1)
        assert list(r.columns) == ["group", "wl_hash", "size", "nodes", "members", "paths"]
        assert r["members"].tolist() == [["m.amount", "m.total"], ["m.small", "m.tiny"]]
        assert r["group"].tolist() == [1, 2] and r["size"].tolist() == [2, 2]
        assert r["paths"].tolist() == [["m.py", "m.py"], ["m.py", "m.py"]]
        h = wl_hashes(cpg(CLONES)).set_index("full_name")
        assert r["wl_hash"][0] == h.loc["m.total", "wl_hash"]
        assert r["nodes"][0] == h.loc["m.total", "nodes"]

    def test_min_nodes_and_sources(self):
        h = wl_hashes(cpg(CLONES))
        r = clone_report(h)  # min_nodes=20 leaves out tiny and small
        assert r["members"].tolist() == [["m.amount", "m.total"]]
        pd.testing.assert_frame_equal(r, clone_report(cpg(CLONES)))
        assert clone_report(h, min_nodes=1000).empty

    def test_order_and_across_modules(self, tmp_path):
        for name in ("a", "b", "c"):
            (tmp_path / f"{name}.py").write_text(textwrap.dedent(CLONES))
        r = clone_report(wb.build_project(tmp_path), min_nodes=1)
        # total/amount and small/tiny (x3 each), then other and the module bodies (x3)
        assert r["size"].tolist() == [6, 6, 3, 3]
        assert r["nodes"].tolist() == [23, 6, 23, 8]  # size first, then nodes
        first = r.iloc[0]
        assert first["members"] == [f"{m}.{f}" for m in "abc" for f in ("amount", "total")]
        assert first["paths"] == ["a.py", "a.py", "b.py", "b.py", "c.py", "c.py"]
        assert r["members"][2] == ["a.other", "b.other", "c.other"]

    def test_bad_input(self):
        with pytest.raises(ValueError, match="missing"):
            clone_report(pd.DataFrame({"wl_hash": []}))
        with pytest.raises(TypeError, match="clone_report"):
            clone_report([1, 2])

    @pytest.mark.parametrize("value", [None, 1.5, "5", False])
    def test_min_nodes_must_be_an_integer(self, value):
        # min_nodes=None used to leave every method out silently (0 groups)
        with pytest.raises(TypeError, match=r"clone_report\(\): min_nodes must be an integer"):
            clone_report(cpg(CLONES), min_nodes=value)

    def test_min_nodes_not_negative_any_integer_type(self):
        with pytest.raises(AlgorithmError, match="min_nodes must be an integer >= 0, not -1"):
            clone_report(cpg(CLONES), min_nodes=-1)
        pd.testing.assert_frame_equal(
            clone_report(cpg(CLONES), min_nodes=np.int32(1)), clone_report(cpg(CLONES), min_nodes=1)
        )


# == exports ==================================================================================

TRICKY = (
    "def f(x):\n"
    '    s = "a\\"b\\\\c"\n'
    "    t = g(x,\n"
    "          s)\n"
    "    if t:\n"
    "        return t\n"
    "    return s\n"
)


def parse_dot(text: str):
    """A small DOT reader: checks the text is well formed, returns nodes and edges."""
    token = r'"(?:[^"\\]|\\.)*"|->|--|[{}\[\];=,]|[A-Za-z_][A-Za-z_0-9]*'
    assert re.sub(token, "", text).strip() == "", "text outside tokens (an unclosed quote?)"
    toks = re.findall(token, text)
    depth = 0
    for tok in toks:
        depth += (tok == "{") - (tok == "}")
        assert depth >= 0
    assert depth == 0 and toks[0] in ("digraph", "graph") and toks[2] == "{"

    def unq(tok: str) -> str:
        if not tok.startswith('"'):
            return tok
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m[1], m[1]), tok[1:-1])

    def attrs(ts):
        assert ts[0] == "[" and ts[-1] == "]"
        body = [t for t in ts[1:-1] if t != ","]
        assert len(body) % 3 == 0 and all(body[i + 1] == "=" for i in range(0, len(body), 3))
        return {unq(body[i]): unq(body[i + 2]) for i in range(0, len(body), 3)}

    nodes, edges, stmt = {}, [], []
    for tok in toks[3:-1]:
        if tok != ";":
            stmt.append(tok)
            continue
        if stmt[1] in ("->", "--"):
            edges.append((unq(stmt[0]), unq(stmt[2]), attrs(stmt[3:]) if len(stmt) > 3 else {}))
        elif stmt[0] != "node":
            nodes[unq(stmt[0])] = attrs(stmt[1:])
        stmt = []
    assert not stmt
    return unq(toks[1]), nodes, edges


class TestMethodGraph:
    def test_nodes_edges_attributes(self):
        t = CodeTables.read(cpg(TRICKY))
        g = method_graph(t, "m.f")
        f = row(method_features(t), "m.f")
        assert isinstance(g, nx.MultiDiGraph)
        assert g.number_of_nodes() == f["nodes"]
        assert list(g.nodes) == sorted(g.nodes)
        gid = t.find_method("m.f")
        inside = (t.node_method[t.edge_src] == gid) & (t.node_method[t.edge_dst] == gid)
        assert g.number_of_edges() == int(inside.sum())
        kinds = Counter(k for *_, k in g.edges(data="kind"))
        assert kinds["AST"] == f["edges_AST"] and kinds["CFG"] == f["edges_CFG"]
        assert {lab for *_, lab in g.edges(data="label") if lab} >= {"true", "false", "s", "t"}
        method = g.nodes[f["id"]]
        assert (method["kind"], method["code"], method["line"]) == ("METHOD", "def f(x):", 1)
        assert g.graph == {
            "name": "m.f",
            "module": f["module"],
            "path": "m.py",
            "method_id": f["id"],
        }

    def test_lookup_errors(self, tmp_path):
        c = cpg(TRICKY)
        with pytest.raises(NotFoundError, match="no method named 'nope'"):
            method_graph(c, "nope")
        with pytest.raises(TypeError, match="method_graph"):
            method_graph(object(), "f")
        for name in ("a", "b"):
            (tmp_path / f"{name}.py").write_text("def f():\n    pass\n")
        with pytest.raises(AmbiguousNameError):
            method_graph(wb.build_project(tmp_path), "f")
        assert method_graph(wb.build_project(tmp_path), "f", module="b.py").graph["name"] == "b.f"


class TestGraphML:
    def test_round_trip(self, tmp_path):
        src = TRICKY + 'def h():\n    return "' + chr(1) + chr(12) + '"\n'
        c = cpg(src)
        for name in ("m.f", "m.h"):
            g = method_graph(c, name)
            path = to_graphml(g, tmp_path / f"{name}.graphml")
            back = nx.read_graphml(path, node_type=int, force_multigraph=True)
            assert back.number_of_nodes() == g.number_of_nodes()
            assert back.number_of_edges() == g.number_of_edges()
            assert sorted(back.edges(data="kind")) == sorted(g.edges(data="kind"))
            for n, d in g.nodes(data=True):
                got = back.nodes[n]
                assert set(got) == {k for k, v in d.items() if v is not None}  # None dropped
                assert got["kind"] == d["kind"]
        assert 'return "\\x01\\x0c"' in [d.get("code") for _, d in back.nodes(data=True)]

    def test_plain_networkx_graph(self, tmp_path):
        g = nx.DiGraph(name="g")
        g.add_edge(np.int64(1), 2, weight=np.float32(0.5), note=None, obj=(1, 2))
        back = nx.read_graphml(to_graphml(g, tmp_path / "g.graphml"), node_type=int)
        assert back.edges[1, 2] == {"weight": 0.5, "obj": "(1, 2)"}

    def test_bad_arguments(self, tmp_path):
        with pytest.raises(TypeError, match=r"to_graphml\(\) writes a networkx graph"):
            to_graphml(None, tmp_path / "g.graphml")
        g = nx.DiGraph()
        with pytest.raises(TypeError, match=r"to_graphml\(\): path must be a str"):
            to_graphml(g, None)
        with pytest.raises(WorkbenchError, match="is a directory"):
            to_graphml(g, tmp_path)


class TestDot:
    def test_well_formed_and_complete(self):
        g = method_graph(cpg(TRICKY), "m.f")
        name, nodes, edges = parse_dot(to_dot(g))
        assert name == "m.f"
        assert set(nodes) == {str(n) for n in g.nodes}
        for n, d in g.nodes(data=True):
            assert nodes[str(n)].get("code") == d["code"]  # quotes, backslashes, newlines
            assert nodes[str(n)]["kind"] == d["kind"]
        got = Counter((u, v, a.get("kind"), a.get("label")) for u, v, a in edges)
        want = Counter((str(u), str(v), d["kind"], d["label"]) for u, v, d in g.edges(data=True))
        assert got == want
        codes = [d["code"] for _, d in g.nodes(data=True) if d["code"]]
        assert any("\n" in c for c in codes) and any('\\"' in c for c in codes)

    def test_undirected_and_quoting(self):
        g = nx.Graph()
        g.add_edge('a"b', "c\\d", label="x\ny")
        text = to_dot(g, name='we"ird')
        assert text.startswith('graph "we\\"ird" {')
        name, nodes, edges = parse_dot(text)
        assert name == 'we"ird' and set(nodes) == {'a"b', "c\\d"}
        assert edges == [('a"b', "c\\d", {"label": "x\ny"})]

    def test_bad_arguments(self):
        with pytest.raises(TypeError, match=r"to_dot\(\) writes a networkx graph"):
            to_dot(None)
        with pytest.raises(TypeError, match=r"to_dot\(\): name must be a str or None"):
            to_dot(nx.Graph(), name=3)


class TestPygArrays:
    def check(self, a: dict, t: CodeTables) -> None:
        n = len(a["batch"])
        assert a["x"].shape == (n, len(NODE_KINDS) + len(SUBKINDS)) and a["x"].dtype == np.float32
        assert (a["x"][:, : len(NODE_KINDS)].sum(axis=1) == 1).all()
        assert set(a["x"][:, len(NODE_KINDS) :].sum(axis=1).tolist()) <= {0.0, 1.0}
        np.testing.assert_array_equal(a["x"], one_hot(a["node_kind"], a["node_subkind"]))
        ptr = a["ptr"]
        assert ptr[0] == 0 and ptr[-1] == n and (np.diff(ptr) >= 0).all()
        assert (np.diff(a["batch"]) >= 0).all()
        np.testing.assert_array_equal(np.repeat(np.arange(len(ptr) - 1), np.diff(ptr)), a["batch"])
        assert set(a["edge_index"]) == set(EDGE_KINDS) == set(a["edge_label"])
        for kind, ei in a["edge_index"].items():
            assert ei.dtype == np.int64 and ei.shape[0] == 2
            assert ((ei >= 0) & (ei < n)).all()
            np.testing.assert_array_equal(a["batch"][ei[0]], a["batch"][ei[1]])  # one graph each
            assert a["edge_label"][kind].shape == (ei.shape[1],)
        gids = t.gid(a["node_ids"][:, 0], a["node_ids"][:, 1])
        np.testing.assert_array_equal(t.node_kind[gids], a["node_kind"])
        held = t.node_method[gids]
        np.testing.assert_array_equal(
            t.gid(a["methods"][:, 0], a["methods"][:, 1])[a["batch"]], held
        )

    def test_whole_program(self, sample, sample_features):
        a = to_pyg_arrays(sample)
        self.check(a, sample)
        np.testing.assert_array_equal(np.diff(a["ptr"]), sample_features["nodes"])
        assert a["full_name"].tolist() == sample_features["full_name"].tolist()
        inside = sample.node_method[sample.edge_src] == sample.node_method[sample.edge_dst]
        assert sum(ei.shape[1] for ei in a["edge_index"].values()) == int(inside.sum())

    def test_one_method_is_numbered_locally(self):
        t = CodeTables.read(cpg(TRICKY))
        a = to_pyg_arrays(t, "m.f")
        self.check(a, t)
        g = method_graph(t, "m.f")
        assert a["ptr"].tolist() == [0, g.number_of_nodes()]
        assert a["node_ids"][:, 1].tolist() == list(g.nodes)
        local = {n: i for i, n in enumerate(g.nodes)}
        cfg = sorted(
            (local[u], local[v], EDGE_LABELS.index(d["label"] or ""))
            for u, v, d in g.edges(data=True)
            if d["kind"] == "CFG"
        )
        ei, lab = a["edge_index"]["CFG"], a["edge_label"]["CFG"]
        assert sorted(zip(ei[0].tolist(), ei[1].tolist(), lab.tolist(), strict=True)) == cfg
        assert ei[0].tolist() == sorted(ei[0].tolist())

    def test_selection_order_and_errors(self):
        t = CodeTables.read(cpg(CLONES))
        a = to_pyg_arrays(t, ["m.tiny", "m.total"])
        self.check(a, t)
        assert a["full_name"].tolist() == ["m.tiny", "m.total"]
        with pytest.raises(ValueError, match="twice"):
            to_pyg_arrays(t, ["m.tiny", "tiny"])
        with pytest.raises(NotFoundError):
            to_pyg_arrays(t, ["m.nope"])
        with pytest.raises(TypeError, match="full name"):
            to_pyg_arrays(t, [3])
        assert "x" not in to_pyg_arrays(t, dense=False)

    @pytest.mark.parametrize("methods", [3, b"m.tiny", {"m.tiny"}, {"m.tiny": 1}, 1.5])
    def test_methods_of_a_wrong_type(self, methods):
        # bytes would be read as numbers, a set in a different order on every run
        with pytest.raises(TypeError, match=r"to_pyg_arrays\(\): methods must be None"):
            to_pyg_arrays(cpg(CLONES), methods)

    def test_dense_is_a_flag(self, tmp_path):
        with pytest.raises(TypeError, match=r"to_pyg_arrays\(\): dense must be True"):
            to_pyg_arrays(cpg(CLONES), dense="no")
        out = export_dataset(cpg(CLONES), tmp_path / "ds")
        with pytest.raises(TypeError, match=r"load_dataset\(\): dense must be True"):
            load_dataset(out, dense=None)

    def test_export_dataset_directory_is_checked(self, tmp_path):
        c = cpg(CLONES)
        with pytest.raises(TypeError, match=r"export_dataset\(\): directory must be a str"):
            export_dataset(c, None)
        with pytest.raises(WorkbenchError, match="directory is empty"):
            export_dataset(c, "")
        (tmp_path / "file").write_text("x")
        with pytest.raises(WorkbenchError, match="is a file; pass a directory"):
            export_dataset(c, tmp_path / "file")

    def test_load_dataset_directory_is_checked(self, tmp_path):
        with pytest.raises(TypeError, match=r"load_dataset\(\): directory must be a str"):
            load_dataset(None)
        with pytest.raises(WorkbenchError, match=r"has no manifest\.json"):
            load_dataset(tmp_path)

    def test_export_dataset_round_trip(self, sample, sample_features, tmp_path):
        out = export_dataset(sample, tmp_path / "ds")
        again = export_dataset(sample, tmp_path / "ds2")
        for name in ("graphs.npz", "features.parquet", "manifest.json"):
            assert (out / name).read_bytes() == (again / name).read_bytes(), name
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["graphs"] == sample.methods.num_rows
        assert manifest["x_shape"] == [len(sample), len(NODE_KINDS) + len(SUBKINDS)]
        assert manifest["subkinds"] == list(SUBKINDS)
        back = load_dataset(out)
        want = to_pyg_arrays(sample)
        for key, value in want.items():
            if isinstance(value, dict):
                for kind in EDGE_KINDS:
                    np.testing.assert_array_equal(back[key][kind], value[kind])
            else:
                np.testing.assert_array_equal(back[key], value)
        pd.testing.assert_frame_equal(back["features"], sample_features)
        manifest["format"] = "other/1"
        (out / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(ValueError, match="not a workbench-graphs/1 dataset"):
            load_dataset(out)


class TestHeteroData:
    @pytest.mark.skipif(importlib.util.find_spec("torch_geometric") is not None, reason="installed")
    def test_missing_dependency_names_the_extra(self):
        a = to_pyg_arrays(cpg("def f():\n    pass\n"))
        with pytest.raises(MissingDependencyError, match=r'pip install "cpg-workbench\[pyg\]"'):
            to_hetero_data(a)

    def test_bad_input(self):
        with pytest.raises(TypeError, match="to_pyg_arrays"):
            to_hetero_data([1, 2])

    def test_hetero_data(self):
        pytest.importorskip("torch_geometric")
        a = to_pyg_arrays(cpg(TRICKY))
        data = to_hetero_data(a)
        assert tuple(data["node"].x.shape) == a["x"].shape
        assert ("node", "CFG", "node") in data.edge_types
        assert data["node", "CFG", "node"].edge_index.shape[1] == a["edge_index"]["CFG"].shape[1]
        assert data["node", "CFG", "node"].edge_attr.shape == (
            a["edge_index"]["CFG"].shape[1],
            len(EDGE_LABELS),
        )
