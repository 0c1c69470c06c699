"""Graph view state (workbench.widgets.graph_state): headless, no widget library."""

from __future__ import annotations

import itertools
import textwrap

import numpy as np
import pytest

import workbench as wb
from workbench.analysis.tables import CodeTables
from workbench.errors import NotFoundError, WorkbenchError
from workbench.widgets import LAYERS, GraphState, GraphTooLargeError, graph_state

SRC = """\
def helper(a):
    return a + 1


def f(x):
    y = 0
    for i in range(x):
        if i % 2:
            y += helper(i)
        else:
            break
    while y > 10:
        y -= 3
    return y
"""


@pytest.fixture(scope="module")
def tables() -> CodeTables:
    return CodeTables.read(wb.build_cpg(SRC, path="m.py"))


def _by_code(state: GraphState, code: str) -> int:
    rows = state.nodes[state.nodes.code == code]
    assert len(rows) >= 1, code
    return int(rows.node.iloc[0])


class TestLayers:
    @pytest.mark.parametrize("layer", LAYERS)
    def test_one_layer_selects_its_edge_kind(self, tables, layer):
        s = graph_state(tables, "f", layers=(layer,))
        assert s.layers == (layer,)
        assert len(s.edges) > 0
        assert set(s.edges.kind) == {layer}

    def test_edges_match_the_tables(self, tables):
        s = graph_state(tables, "f", layers=("CFG", "CDG", "DOMINATE", "REACHING_DEF"))
        g = tables.find_method("f")
        inside = set(np.flatnonzero(tables.node_method == g).tolist())
        for kind in ("CFG", "CDG", "DOMINATE", "REACHING_DEF"):
            src, dst, _ = tables.edges_of(kind)
            want = {
                (a, b)
                for a, b in zip(src.tolist(), dst.tolist(), strict=True)
                if a in inside and b in inside
            }
            got = set(s.edges[s.edges.kind == kind][["src", "dst"]].itertuples(index=False))
            assert got == want, kind

    def test_ast_layer_is_the_parent_column(self, tables):
        s = graph_state(tables, "f", layers="ast")
        nodes = set(s.nodes.node)
        for src, dst in s.edges[["src", "dst"]].itertuples(index=False):
            assert tables.node_parent[dst] == src
        # every node but the METHOD has its parent edge
        assert len(s.edges) == len(nodes) - 1

    def test_call_layer_adds_the_callee_outside(self, tables):
        s = graph_state(tables, "f", layers=("CALL",))
        ext = s.nodes[s.nodes.external]
        assert list(ext.name) == ["m.helper"]
        assert list(s.edges.dst) == [int(ext.node.iloc[0])]
        assert list(s.edges.src) == [_by_code(s, "helper(i)")]
        assert (ext.x > s.nodes[~s.nodes.external].x.max()).all()

    def test_nodes_do_not_move_when_layers_change(self, tables):
        a = graph_state(tables, "f", layers=("CFG",))
        b = graph_state(tables, "f", layers=("CFG", "CDG", "REACHING_DEF"))
        assert a.nodes[["node", "x", "y"]].equals(b.nodes[["node", "x", "y"]])

    def test_unknown_layer_lists_the_layers(self, tables):
        with pytest.raises(WorkbenchError, match=r"unknown layer 'PDG'.*AST, CFG, CDG"):
            graph_state(tables, "f", layers=("CFG", "PDG"))


class TestLayout:
    def test_deterministic(self, tables):
        a = graph_state(wb.build_cpg(SRC, path="m.py"), "f", layers=LAYERS)
        b = graph_state(tables, "f", layers=LAYERS)
        assert a.nodes.equals(b.nodes)
        assert a.edges.equals(b.edges)

    def test_forward_cfg_edges_go_down(self, tables):
        s = graph_state(tables, "f", layers=("CFG",))
        cfg = s.edges
        fwd = cfg[~cfg.back]
        assert (fwd.y1 > fwd.y0).all()
        back = cfg[cfg.back]
        assert len(back) == 2  # the two loops
        assert (back.y1 <= back.y0).all()
        # the entry is on top, the exit at the bottom
        kinds = s.nodes.set_index("kind")
        assert kinds.loc["METHOD", "y"] == 0
        assert kinds.loc["METHOD_RETURN", "y"] == s.nodes[s.nodes.cfg].y.max()

    def test_cfg_nodes_in_a_layer_do_not_overlap(self, tables):
        s = graph_state(tables, "f")
        cfg = s.nodes[s.nodes.cfg]
        assert not cfg.duplicated(["x", "y"]).any()

    def test_other_nodes_hang_below_their_statement(self, tables):
        s = graph_state(tables, "f")
        by = s.nodes.set_index("node")
        stmt = _by_code(s, "y = 0")
        lit = by[(by.code == "0") & (by.kind == "LITERAL")].index[0]
        assert by.loc[lit, "y"] > by.loc[stmt, "y"]
        assert by.loc[lit, "y"] < by.loc[stmt, "y"] + 1

    def test_tree_layout_by_depth(self, tables):
        s = graph_state(tables, "f", layers=("AST",))
        assert s.layout == "tree"
        by = s.nodes.set_index("node")
        for src, dst in s.edges[["src", "dst"]].itertuples(index=False):
            assert by.loc[dst, "y"] == by.loc[src, "y"] + 1
        assert not s.nodes.duplicated(["x", "y"]).any()

    def test_unknown_layout(self, tables):
        with pytest.raises(WorkbenchError, match="unknown layout 'radial'"):
            graph_state(tables, "f", layout="radial")


class TestHighlight:
    def test_path_nodes_and_edges(self, tables):
        s0 = graph_state(tables, "f")
        path = [
            s0.method_node,
            _by_code(s0, "y = 0"),
            _by_code(s0, "range(x)"),
            _by_code(s0, "for i in range(x):"),
        ]
        s = graph_state(tables, "f", highlight=path)
        assert set(s.nodes[s.nodes.highlighted].node) == set(path)
        hl = set(s.edges[s.edges.highlighted][["src", "dst"]].itertuples(index=False))
        assert hl == set(itertools.pairwise(path))
        assert "4 of 4 highlighted" in s.summary

    def test_reversed_path_flags_the_same_edges(self, tables):
        s0 = graph_state(tables, "f")
        path = [s0.method_node, _by_code(s0, "y = 0")]
        s = graph_state(tables, "f", highlight=path[::-1])
        assert s.edges.highlighted.sum() == 1

    def test_nodes_elsewhere_are_ignored(self, tables):
        other = tables.find_method("helper")
        s = graph_state(tables, "f", highlight=[other])
        assert not s.nodes.highlighted.any()
        assert "0 of 1 highlighted" in s.summary

    def test_selected(self, tables):
        s0 = graph_state(tables, "f")
        s = graph_state(tables, "f", selected=s0.method_node)
        assert list(s.nodes[s.nodes.selected].node) == [s0.method_node]


HOSTILE = """\
def f(x):
    s = "<script>alert(1)</script>"
    t = '<img src=x onerror=alert(1)>'
    return s + t  # <b>bold</b>
"""


class TestEscaping:
    def test_no_raw_markup_survives(self):
        # an identifier cannot hold "<", but a full name can: the module name comes from
        # the path, which here is markup
        cpg = wb.build_cpg(HOSTILE, path="<script>alert(1)</script>.py")
        s = graph_state(cpg, "f", layers=LAYERS)
        texts = []
        for col in ("label", "hover", "code", "name"):
            texts += [str(v) for v in s.nodes[col]]
        texts += [str(v) for v in s.edges.label]
        texts += [s.summary, s.method]
        # hover holds our own markup (<b>, <br>, <code>) only
        for text in texts:
            stripped = text
            for tag in ("<b>", "</b>", "<br>", "<code>", "</code>"):
                stripped = stripped.replace(tag, "")
            assert "<" not in stripped and ">" not in stripped, text
        joined = " ".join(texts)
        assert s.method.startswith("&lt;script&gt;alert(1)")
        assert "&lt;script&gt;" in joined
        assert "&lt;img src=x onerror=alert(1)&gt;" in joined
        assert "<script" not in joined and "<img" not in joined

    def test_hostile_method_name_via_tables(self, tables, monkeypatch):
        # a full name is data from the store: make one hostile and check it is escaped
        g = tables.find_method("f")
        names = tables.method_full_name.copy()
        names[g] = "m.<img src=x onerror=alert(1)>"
        monkeypatch.setattr(tables, "method_full_name", names)
        s = graph_state(tables, "f", layers=("CFG",))
        assert s.method == "m.&lt;img src=x onerror=alert(1)&gt;"
        assert "<img" not in s.summary


class TestSize:
    def test_summarised_to_statements(self, tables):
        full = graph_state(tables, "f")
        n_stmt = int(full.nodes.cfg.sum())
        s = graph_state(tables, "f", layers=("CFG", "AST"), max_nodes=n_stmt)
        assert s.truncated and s.size == len(full.nodes)
        assert len(s.nodes) == n_stmt and s.nodes.cfg.all()
        assert "summarised" in s.summary
        # same CFG edges; AST edges go to the nearest statement ancestor
        cfg = lambda st: set(st.edges[st.edges.kind == "CFG"][["src", "dst"]].itertuples())  # noqa: E731
        assert {e[1:] for e in cfg(s)} == {e[1:] for e in cfg(full)}
        assert set(s.edges.src) <= set(s.nodes.node)

    def test_too_large_is_refused(self, tables):
        with pytest.raises(GraphTooLargeError, match=r"has \d+ nodes .* over the limit of 5") as e:
            graph_state(tables, "f", max_nodes=5)
        assert e.value.limit == 5 and e.value.size > 5
        assert isinstance(e.value, WorkbenchError)

    @pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
    def test_bad_max_nodes(self, tables, bad):
        with pytest.raises(WorkbenchError, match="max_nodes"):
            graph_state(tables, "f", max_nodes=bad)


class TestInput:
    def test_unknown_method(self, tables):
        with pytest.raises(NotFoundError):
            graph_state(tables, "nope")

    def test_method_by_id_and_module(self, tables):
        g = tables.find_method("f")
        key = int(tables.node_module[g])
        s = graph_state(tables, int(tables.node_id[g]), module=key)
        assert s.method_node == g

    def test_a_cpg_is_read(self):
        cpg = wb.build_cpg(textwrap.dedent(SRC), path="m.py")
        s = graph_state(cpg, "m.f")
        assert s.method == "m.f" and "m.f:" in repr(s)

    def test_no_widget_library_imported(self):
        import subprocess
        import sys

        code = (
            "import sys, workbench.widgets; "
            "print(any(m in sys.modules for m in ('ipywidgets', 'plotly', 'anywidget')))"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.stdout.strip() == "False", out.stderr
