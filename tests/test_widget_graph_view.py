"""The graph view: its figure, search and details as plain functions, the project view, and
the widget driven from Python as a browser would (toggles, search, click, errors)."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from helpers import assert_new_views_draw_it
from plotly.callbacks import Points

import workbench as wb
from workbench.analysis.cpgmath import CPGMath
from workbench.analysis.tables import CodeTables
from workbench.widgets.graph_state import GraphTooLargeError, graph_state
from workbench.widgets.graph_view import (
    EDGE_COLORS,
    GraphView,
    graph_figure,
    node_details_html,
    project_figure,
    project_graph_state,
    search_nodes,
    trace_gids,
)

EVIL = "<img src=x onerror=alert(1)>"
SOURCE = f'''\
def loop(n):
    total = 0
    for i in range(n):
        if i % 2:
            total += i
    return total


def evil():
    banner = "{EVIL}<script>alert(2)</script>"
    return banner.upper()


def caller():
    return loop(3) + len(evil())
'''


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("gv")
    (root / "m.py").write_text(SOURCE)
    (root / "n.py").write_text("import m\n\n\ndef g():\n    return m.caller()\n")
    return wb.build_project(root)


@pytest.fixture(scope="module")
def tables(project):
    return CodeTables.read(project)


def _strings(obj):
    """Every string inside a figure dict."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _strings(v)


# -- the figure ------------------------------------------------------------------------------


def test_figure_has_a_trace_per_layer_and_an_arrow_per_edge(tables):
    s = graph_state(tables, "m.loop", layers=["CFG", "REACHING_DEF"])
    fig = graph_figure(s)
    go.Figure(fig)  # valid for plotly
    names = [t["name"] for t in fig["data"]]
    assert names == ["CFG", "CFG labels", "REACHING_DEF", "REACHING_DEF labels", "nodes"]
    for kind in ("CFG", "REACHING_DEF"):
        trace = fig["data"][names.index(kind)]
        heads = sum(1 for size in trace["marker"]["size"] if size > 0)
        assert heads == (s.edges.kind == kind).sum() > 0
        assert trace["line"]["color"] == EDGE_COLORS[kind]
    nodes = fig["data"][names.index("nodes")]
    assert sorted(nodes["customdata"]) == sorted(s.nodes.node.tolist())
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"


def test_back_edges_bend_right_of_the_loop(tables):
    s = graph_state(tables, "m.loop", layers=["CFG"])
    back = s.edges[s.edges.back]
    assert len(back) >= 1  # the for loop's edge back to its header
    trace = graph_figure(s)["data"][0]
    plain = s.edges[~s.edges.highlighted].reset_index(drop=True)
    for i in np.flatnonzero(plain.back.to_numpy()):
        mid_x = trace["x"][4 * i + 1]
        assert mid_x > max(plain.x0[i], plain.x1[i])
        assert trace["y"][4 * i + 3] is None  # a break between segments


def test_highlighted_path_search_and_selection_are_drawn_on_top(tables):
    s0 = graph_state(tables, "m.loop", layers=["CFG"])
    cfg = s0.edges[s0.edges.kind == "CFG"]
    path = [int(cfg.src.iloc[0]), int(cfg.dst.iloc[0])]
    s = graph_state(tables, "m.loop", layers=["CFG"], highlight=path, selected=path[1])
    matches = search_nodes(s, "total")
    fig = graph_figure(s, matches=matches)
    names = [t["name"] for t in fig["data"]]
    assert names[-4:] == ["nodes", "path", "search", "selected"]
    assert "path" in names[:-4]  # the highlighted edge, thick, drawn apart
    assert fig["data"][names.index("selected")]["customdata"] == [path[1]]
    assert sorted(fig["data"][names.index("search")]["customdata"]) == matches


def test_search_is_case_insensitive_over_name_and_code(tables):
    s = graph_state(tables, "m.evil", layers=["AST"])
    assert search_nodes(s, "") == []
    assert search_nodes(s, "   ") == []
    upper = search_nodes(s, "UPPER")
    assert upper and upper == search_nodes(s, "upper")
    # the state holds escaped text: a search for markup finds the node that has it
    hits = search_nodes(s, "<script>")
    assert hits
    assert all("&lt;script&gt;" in c for c in s.nodes.set_index("node").loc[hits, "code"])
    assert search_nodes(s, "no such text") == []


def test_analysed_markup_is_escaped_in_every_string_of_the_figure(tables):
    s = graph_state(tables, "m.evil", layers=list(EDGE_COLORS))
    text = json.dumps(list(_strings(graph_figure(s))))
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<img" not in text and "<script" not in text


def test_node_details_show_properties_and_the_marked_source_lines(project, tables):
    s = graph_state(tables, "m.loop", layers=["CFG"])
    node = int(s.nodes[s.nodes.code.str.startswith("if ")].node.iloc[0])
    out = node_details_html(s, node, source=tables)
    assert "CONTROL_STRUCTURE" in out and "if i % 2" in out
    marked = [ln for ln in out.split("\n") if "wb-marked" in ln]
    # the if statement spans lines 4-5; two lines of context each side
    assert len(marked) == 2 and "    4  " in marked[0] and "    5  " in marked[1]
    assert "    2  " in out and "    7  " in out and "    1  " not in out
    assert node_details_html(s, node).count("wb-source") == 0  # no source given: no lines
    assert "wb-error" in node_details_html(s, -5)


def test_node_details_refuse_lines_of_a_file_changed_since(tmp_path):
    (tmp_path / "m.py").write_text("def f(x):\n    return x\n")
    t = CodeTables.read(wb.build_project(tmp_path))
    (tmp_path / "m.py").write_text("def f(x):\n    return x + 1\n")
    s = graph_state(t, "m.f")
    out = node_details_html(s, int(s.nodes.node.iloc[0]), source=t)
    assert "source not shown" in out and "changed since it was read" in out
    assert "return x + 1" not in out


def test_details_escape_analysed_markup(tables):
    s = graph_state(tables, "m.evil", layers=["AST"])
    node = search_nodes(s, "onerror")[0]
    out = node_details_html(s, node, source=tables)
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "<img" not in out and "<script" not in out


def test_trace_gids_keeps_the_steps_it_knows(tables):
    s = graph_state(tables, "m.loop")
    row = tables.describe(s.nodes.node.to_numpy()[:2])
    trace = [
        {"module": int(m), "id": int(i), "line": 1} for m, i in zip(row.module, row.id, strict=True)
    ]
    trace.append({"module": int(row.module[0]), "id": 10**6, "line": 1})
    assert trace_gids(tables, trace).tolist() == s.nodes.node.tolist()[:2]
    assert trace_gids(tables, []).tolist() == []


# -- the project view ------------------------------------------------------------------------


def test_project_view_colours_communities_and_is_deterministic(project):
    math = CPGMath(project, persist=False)
    a = project_graph_state(math, "call")
    b = project_graph_state(CPGMath(project, persist=False), "call")
    assert a.nodes.equals(b.nodes) and a.edges.equals(b.edges)
    comm = math.run("louvain", "call")
    assert a.communities == comm.community.nunique()
    assert len(a.nodes) == math.graph("call").number_of_nodes
    xy = set(zip(a.nodes.x.round(6), a.nodes.y.round(6), strict=True))
    assert len(xy) == len(a.nodes)  # no two nodes on one spot
    fig = project_figure(a)
    go.Figure(fig)
    colours = fig["data"][1]["marker"]["color"]
    assert len(set(colours)) == min(a.communities, 10)
    assert "caller" in " ".join(a.nodes.label)


def test_project_view_refuses_big_graphs_and_unknown_kinds(project):
    with pytest.raises(GraphTooLargeError, match="over the limit of 2"):
        project_graph_state(project, "call", max_nodes=2)
    with pytest.raises(wb.WorkbenchError, match="call or import graph"):
        project_graph_state(project, "cfg")


# -- the widget ------------------------------------------------------------------------------


@pytest.fixture
def view(tables):
    return GraphView(tables, "m.loop")


def _drawn(view):
    return [t.name for t in view.figure.data]


def test_view_draws_the_method_and_its_layer_toggles_change_the_edges(view):
    assert view.state.layers == ("CFG",)
    assert _drawn(view) == ["CFG", "CFG labels", "nodes"]
    view.layer_toggles["REACHING_DEF"].value = True  # as a click in the browser does
    assert view.state.layers == ("CFG", "REACHING_DEF")
    assert "REACHING_DEF" in _drawn(view)
    view.layer_toggles["CFG"].value = False
    assert _drawn(view)[0] == "REACHING_DEF" and "CFG" not in _drawn(view)
    view.set_layers(["AST"])
    assert view.state.layers == ("AST",) and view.state.layout == "tree"
    assert [n for n, t in view.layer_toggles.items() if t.value] == ["AST"]


def test_view_shows_errors_instead_of_raising(view):
    assert view.set_layers(["BOGUS"]) is None
    assert "unknown layers" in view.status.value and view.state.layers == ("CFG",)
    assert view.show("m.nothing") is None
    assert "NotFoundError" in view.status.value and view.state is None
    assert _drawn(view) == []
    assert view.show("m.loop").method == "m.loop"
    assert "wb-error" not in view.status.value


def test_view_summarises_or_refuses_big_methods(tables):
    small = GraphView(tables, "m.loop", layers=["AST", "CFG"], max_nodes=12)
    assert small.state.truncated and "summarised" in small.status.value
    tiny = GraphView(tables, "m.loop", max_nodes=2)
    assert tiny.state is None and "GraphTooLargeError" in tiny.status.value


def test_clicking_a_node_selects_it_and_shows_its_source(view):
    trace = next(t for t in view.figure.data if t.name == "nodes")
    i = next(i for i, c in enumerate(trace.customdata) if c == view.state.method_node)
    points = Points(point_inds=[i], xs=[0], ys=[0], trace_name="nodes", trace_index=0)
    view._on_click(trace, points, None)  # what plotly calls on a click in the page
    assert view.state.nodes.set_index("node").loc[view.state.method_node, "selected"]
    assert "def loop(n):" in view.details.value and "wb-marked" in view.details.value
    assert "selected" in _drawn(view)
    view.select(None)
    assert "selected" not in _drawn(view) and view.details.value == ""


def test_search_box_rings_matches_and_a_new_method_clears_them(view):
    view.search_box.value = "total"
    assert view.matches and "search" in _drawn(view)
    assert "match" in view.status.value
    view.show("m.evil")
    assert view.matches == [] and "search" not in _drawn(view)
    view.search("<script>")
    assert view.matches and "&lt;script&gt;" in view.status.value


def test_highlight_and_fit(view, tables):
    cfg = view.state.edges
    path = [int(cfg.src.iloc[0]), int(cfg.dst.iloc[0])]
    view.highlight(path)
    assert view.state.nodes.highlighted.sum() == 2 and "path" in _drawn(view)
    view.figure.layout.xaxis.autorange = False
    view.fit_button.click()
    assert view.figure.layout.xaxis.autorange is True
    assert view.figure.layout.yaxis.autorange == "reversed"
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_search_finds_what_the_code_says_not_its_entities(tmp_path):
    (tmp_path / "m.py").write_text("def f(a, b):\n    s = 'x'\n    t = a < b\n    return s, t\n")
    s = graph_state(wb.build_cpg((tmp_path / "m.py").read_text(), path="m.py"), "m.f", layers="AST")
    codes = s.nodes.set_index("node")["code"]
    for entity_text in ("39", "#", "lt", "amp", "quot"):
        assert search_nodes(s, entity_text) == [], entity_text
    assert {codes[n] for n in search_nodes(s, "'x'")} >= {"s = &#39;x&#39;", "&#39;x&#39;"}
    assert {codes[n] for n in search_nodes(s, "a < b")} == {"t = a &lt; b", "a &lt; b"}


def test_details_of_a_long_node_show_its_first_lines(tmp_path):
    body = "".join(f"x{i} = {i}\n" for i in range(200))
    (tmp_path / "m.py").write_text(body)
    t = CodeTables.read(wb.build_project(tmp_path))
    s = graph_state(t, "m.<module>", max_nodes=5000)
    out = node_details_html(s, s.method_node, source=t)
    assert out.count("wb-line") == 60 and "x59 = 59" in out and "x60 = 60" not in out
    assert "to line 200 (140 more lines)" in out


def test_a_click_or_a_search_redraws_only_the_rings(view):
    before = {t.name: t for t in view.figure.data}
    view.select(int(view.state.nodes.node.iloc[3]))
    view.search("total")
    after = {t.name: t for t in view.figure.data}
    assert set(after) - set(before) == {"selected", "search"}
    for name in before:  # the same trace objects: nothing else was sent again
        assert after[name] is before[name]
    assert view.state.nodes.selected.sum() == 1
    view.select(int(view.state.nodes.node.iloc[4]))  # another node: one ring still
    assert [t.name for t in view.figure.data].count("selected") == 1


def test_a_view_that_opens_later_draws_the_figure_as_it_is(view):
    """plotly sends changes as one-off messages: the widget state a later view (a reloaded
    page) starts from is kept equal to the figure after every kind of change."""
    assert "nodes" in [t["name"] for t in view.figure._widget_data]
    assert_new_views_draw_it(view.figure)
    view.layer_toggles["REACHING_DEF"].value = True
    assert "REACHING_DEF" in [t["name"] for t in view.figure._widget_data]
    assert_new_views_draw_it(view.figure)
    view.select(int(view.state.nodes.node.iloc[2]))
    view.search("total")
    assert {"selected", "search"} <= {t["name"] for t in view.figure._widget_data}
    assert_new_views_draw_it(view.figure)
    view.figure.layout.xaxis.autorange = False
    view.fit()
    assert view.figure._widget_layout["xaxis"]["autorange"] is True
    assert_new_views_draw_it(view.figure)
    view.show("m.nothing")  # an error: the plot is emptied, for later views too
    assert view.figure._widget_data == []
