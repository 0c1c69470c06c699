"""Slices, impact sets and critical paths over the system dependence graph.

Reachability is checked against a brute force over ``DependenceGraph.to_networkx()`` on
generated programs (plain reachability, and the two phases of Horwitz, Reps & Binkley);
the semantics on tiny programs, picked by source text as python-graphs' tests do; then
critical paths, CPGSemantics' cache and its errors.
"""

from __future__ import annotations

import ast
import textwrap
from concurrent.futures import ThreadPoolExecutor

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.analysis.semantics import paths
from workbench.analysis.semantics.api import CPGSemantics
from workbench.analysis.semantics.sdg import DependenceGraph
from workbench.analysis.semantics.slicing import (
    frame,
    path_to,
    program_slice,
    reach,
    statements_on_line,
)
from workbench.analysis.tables import CodeTables
from workbench.errors import AmbiguousNameError, NotFoundError, WorkbenchError
from workbench.pipeline.worker import _deadline  # a hung search fails, it does not run on

# -- generated programs -----------------------------------------------------------------------

PARAMS = ("a", "b", "c")
LOCALS = ("x", "y", "z")
GLOBALS = ("K", "L")
OPS = ("+", "-", "*", "<", "and")


def _ind(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


@st.composite
def _calls(draw, fns: list[tuple[str, tuple[str, ...], bool]], names: tuple[str, ...]) -> str:
    """A call of one of ``fns`` (name, parameters, takes ``*rest``) with positional and
    keyword arguments."""
    name, params, rest = draw(st.sampled_from(fns))
    atom = st.sampled_from((*names, "1", "2"))
    n_pos = draw(st.integers(0, len(params) + (2 if rest else 0)))
    args = [draw(atom) for _ in range(n_pos)]
    for p in params[n_pos:]:
        if draw(st.booleans()):
            args.append(f"{p}={draw(atom)}")
    return f"{name}({', '.join(args)})"


@st.composite
def _expressions(draw, fns, names: tuple[str, ...]) -> str:
    atom = st.sampled_from((*names, "0", "3"))
    kind = draw(st.sampled_from(["atom", "binary", "binary", "call"]))
    if kind == "atom":
        return draw(atom)
    if kind == "binary":
        return f"{draw(atom)} {draw(st.sampled_from(OPS))} {draw(atom)}"
    return draw(_calls(fns, names))


@st.composite
def _blocks(draw, fns, names, depth: int, in_loop: bool) -> list[str]:
    out: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        out += draw(_statements(fns, names, depth, in_loop))
    return out


@st.composite
def _statements(draw, fns, names, depth: int, in_loop: bool) -> list[str]:
    v = draw(st.sampled_from(LOCALS))
    e = draw(_expressions(fns, names))
    kinds = ["assign", "assign", "augment", "call", "return", "comprehension"]
    if in_loop:
        kinds.append("break")
    if depth > 0:
        kinds += ["if", "if", "while", "for"]
    kind = draw(st.sampled_from(kinds))
    sub = lambda loop=in_loop: _blocks(fns, names, depth - 1, loop)  # noqa: E731
    if kind == "assign":
        return [f"{v} = {e}"]
    if kind == "augment":
        return [f"{v} += {e}"]
    if kind == "call":
        return [draw(_calls(fns, names))]
    if kind == "return":
        return [f"return {e}"]
    if kind == "break":
        return [f"if {e}:", "    break"]
    if kind == "comprehension":
        w = draw(st.sampled_from(names))
        return [f"{v} = [i + {w} for i in range({e})]"]
    if kind == "if":
        lines = [f"if {e}:", *_ind(draw(sub()))]
        if draw(st.booleans()):
            lines += ["else:", *_ind(draw(sub()))]
        return lines
    if kind == "while":
        return [f"while {draw(st.sampled_from([e, 'True']))}:", *_ind(draw(sub(True)))]
    return [f"for {v} in range({e}):", *_ind(draw(sub(True)))]


@st.composite
def programs(draw) -> str:
    """A module of 2-5 functions calling each other (and themselves) with positional and
    keyword arguments, over their parameters, locals and one or two module constants; some
    define and call a closure that reads an enclosing variable."""
    n = draw(st.integers(2, 5))
    fns = []
    for i in range(n):
        params = PARAMS[: draw(st.integers(1, 3))]
        fns.append((f"f{i}", params, draw(st.integers(0, 3)) == 0))
    consts = GLOBALS[: draw(st.integers(1, 2))]
    lines = [f"K = {draw(st.integers(0, 9))}"]
    if len(consts) == 2:
        lines.append("L = K + 1")
    for name, params, rest in fns:
        sig = ", ".join((*params[:-1], f"{params[-1]}=0") if len(params) > 1 else params)
        if rest:
            sig += ", *rest"
        names = (*params, *LOCALS, *consts)
        body = draw(_blocks(fns, names, 2, False))
        if draw(st.booleans()):
            free = draw(st.sampled_from((*params, *LOCALS)))
            body += [
                f"{free} = {draw(_expressions(fns, names))}",
                "def inner():",
                f"    return {free} + {draw(st.sampled_from(consts))}",
                f"{draw(st.sampled_from(LOCALS))} = inner()",
            ]
        body.append(f"return {draw(_expressions(fns, names))}")
        lines += ["", f"def {name}({sig}):", *_ind(body)]
    if draw(st.booleans()):
        lines += ["", f"R = {draw(_calls(fns, consts))}"]
    src = "\n".join(lines) + "\n"
    ast.parse(src)
    return src


#: A program where a statement is reached first in phase two (through a parameter) and
#: later in phase one (through a closure variable): the forward search's depths disagree.
CLOSURE_AND_CALL = """\
def k(z):
    return z

def f(x):
    a = x
    b = a
    c = b
    v = c
    def g(p):
        s = k(p + v)
        return s
    r = g(a)
    return r
"""

GENERATED = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- brute force ---------------------------------------------------------------------------

GROUP_KINDS = {
    "data": {"data", "scope", "param", "return"},
    "control": {"control"},
    "call": {"call"},
}
INTRA = {"data", "scope", "control"}
#: direction -> (kinds that climb to callers, kinds that descend into callees)
CLIMB = {"backward": ({"call", "param"}, {"return"}), "forward": ({"return"}, {"call", "param"})}


def _kinds(over) -> set[str]:
    return set().union(*(GROUP_KINDS[g] for g in over))


def _view(g: nx.MultiDiGraph, kinds: set[str], direction: str):
    """The edges of some kinds, turned around for a backward search."""
    sub = nx.subgraph_view(g, filter_edge=lambda u, v, k: g.edges[u, v, k]["kind"] in kinds)
    return sub.reverse(copy=False) if direction == "backward" else sub


def _closure(view, starts) -> set[int]:
    out = set(starts)
    for s in starts:
        out |= nx.descendants(view, s)
    return out


def _plain_depths(g, starts, kinds, direction) -> dict[int, int]:
    """Shortest distance from the starts over the edges of some kinds."""
    if not starts:
        return {}
    return dict(nx.multi_source_dijkstra_path_length(_view(g, kinds, direction), set(starts)))


def _two_phase(g, starts, kinds, direction) -> set[int]:
    """HRB: climb (intra + ascending), then from everything reached descend (intra +
    descending), never up again."""
    asc, desc = CLIMB[direction]
    one = _closure(_view(g, kinds & (INTRA | asc), direction), starts)
    return _closure(_view(g, kinds & (INTRA | desc), direction), one)


def _two_phase_depths(g, starts, kinds, direction) -> dict[int, int]:
    """Shortest realizable distance: BFS over (vertex, phase) states."""
    asc, desc = CLIMB[direction]
    states = nx.DiGraph()
    for u, v, kind in g.edges(data="kind"):
        if kind not in kinds:
            continue
        a, b = (v, u) if direction == "backward" else (u, v)
        if kind in INTRA or kind in asc:  # stays in its phase (phase 1 only, to climb)
            states.add_edge((a, 1), (b, 1))
        if kind in INTRA or kind in desc:  # phase 2 stays; descending starts phase 2
            states.add_edge((a, 2), (b, 2))
        if kind in desc:
            states.add_edge((a, 1), (b, 2))
    states.add_nodes_from((s, 1) for s in starts)
    if not starts:
        return {}
    dist = nx.multi_source_dijkstra_path_length(states, {(s, 1) for s in starts})
    out: dict[int, int] = {}
    for (v, _), d in dist.items():
        out[v] = min(d, out.get(v, d))
    return out


def _has_edge(g, sdg, parent: int, node: int, kind: str, direction: str) -> bool:
    """Whether ``node`` was reachable from ``parent`` (CPG node numbers) over an edge of
    ``kind`` in the search's direction."""
    a, b = sdg.vertex([parent, node]).tolist()
    u, v = (b, a) if direction == "backward" else (a, b)
    return any(d["kind"] == kind for d in g.get_edge_data(u, v, default={}).values())


def _check_parents(
    g, sdg, hits: pd.DataFrame, starts, kinds, direction, max_depth=None, *, realizable=False
):
    """Every hit is a start or one edge (of an allowed kind, the right way round) from a
    hit; the chains path_to() reads back end in a start (and, for a context-sensitive
    search, never climb after they descend)."""
    start_nodes = set(sdg.node(list(starts)).tolist())
    by = hits.set_index("node")
    assert (hits.depth >= 0).all()
    if max_depth is not None:
        assert (hits.depth <= max_depth).all()
    for row in hits.itertuples():
        if row.depth == 0:
            assert row.node in start_nodes and row.parent == -1 and pd.isna(row.edge)
            continue
        assert row.edge in kinds, row
        assert row.parent in by.index, row
        assert _has_edge(g, sdg, row.parent, row.node, row.edge, direction), row
    for node in hits.node.tolist()[:: max(1, len(hits) // 6)]:
        chain = path_to(hits, node)
        assert chain.node.iloc[-1] == node
        assert chain.node.iloc[0] in start_nodes and chain.depth.iloc[0] == 0
        assert chain.parent.iloc[1:].tolist() == chain.node.iloc[:-1].tolist()
        nodes, kinds_on_chain = chain.node.tolist(), chain.edge.tolist()[1:]
        for a, b, kind in zip(nodes[:-1], nodes[1:], kinds_on_chain, strict=True):
            assert _has_edge(g, sdg, a, b, kind, direction)
        if realizable:
            _check_realizable(kinds_on_chain, direction)


def _check_realizable(kinds: list[str], direction: str) -> None:
    """A context-sensitive chain (start first) never climbs to a caller once it has
    descended into a callee."""
    asc, desc = CLIMB[direction]
    down = [i for i, kind in enumerate(kinds) if kind in desc]
    up = [i for i, kind in enumerate(kinds) if kind in asc]
    assert not down or not up or max(up) < min(down), kinds


def _graph(src: str):
    sdg = DependenceGraph(CodeTables.read(wb.build_cpg(src, path="m.py")))
    return sdg, sdg.to_networkx()


OVERS = st.sampled_from(
    [("data", "control", "call"), ("data",), ("control",), ("call",), ("data", "call")]
)


class TestReachIsReachability:
    @given(src=programs(), data=st.data())
    @GENERATED
    def test_context_insensitive_is_plain_reachability(self, src, data):
        sdg, g = _graph(src)
        starts = data.draw(st.sets(st.integers(0, len(sdg) - 1), min_size=1, max_size=3))
        over = data.draw(OVERS)
        kinds = _kinds(over)
        for direction in ("backward", "forward"):
            r = reach(sdg, starts, direction=direction, over=over, context_sensitive=False)
            want = _plain_depths(g, starts, kinds, direction)
            assert set(r.vertices.tolist()) == _closure(_view(g, kinds, direction), starts)
            # breadth first: every depth is the shortest distance
            assert dict(zip(r.vertices.tolist(), r.depth.tolist(), strict=True)) == want
            hits = frame(sdg, r, code=False)
            _check_parents(g, sdg, hits, starts, kinds, direction)
            k = data.draw(st.integers(0, 4))
            ball = reach(
                sdg, starts, direction=direction, over=over, max_depth=k, context_sensitive=False
            )
            assert set(ball.vertices.tolist()) == {v for v, d in want.items() if d <= k}
            _check_parents(g, sdg, frame(sdg, ball, code=False), starts, kinds, direction, k)

    @given(src=programs(), data=st.data())
    @GENERATED
    def test_context_sensitive_is_two_phase_reachability(self, src, data):
        sdg, g = _graph(src)
        starts = data.draw(st.sets(st.integers(0, len(sdg) - 1), min_size=1, max_size=3))
        over = data.draw(OVERS)
        kinds = _kinds(over)
        for direction in ("backward", "forward"):
            r = reach(sdg, starts, direction=direction, over=over)
            got = set(r.vertices.tolist())
            assert got == _two_phase(g, starts, kinds, direction)
            assert got <= _closure(_view(g, kinds, direction), starts)
            hits = frame(sdg, r, code=False)
            _check_parents(g, sdg, hits, starts, kinds, direction, realizable=True)
            # a bounded search finds what climbing alone finds within the bound, and
            # nothing the unbounded one does not
            k = data.draw(st.integers(0, 4))
            ball = reach(sdg, starts, direction=direction, over=over, max_depth=k)
            asc, _ = CLIMB[direction]
            climb = _plain_depths(g, starts, kinds & (INTRA | asc), direction)
            assert {v for v, d in climb.items() if d <= k} <= set(ball.vertices.tolist()) <= got
            hits = frame(sdg, ball, code=False)
            _check_parents(g, sdg, hits, starts, kinds, direction, k, realizable=True)

    @given(src=programs(), data=st.data())
    @example(src=CLOSURE_AND_CALL, data=None)
    @GENERATED
    def test_context_sensitive_depth_is_the_length_of_its_path(self, src, data):
        sdg, g = _graph(src)
        if data is None:  # the explicit example: forward from `a = x`
            texts = sdg.tables.code(sdg.vertices).to_pylist()
            starts, directions, k = {texts.index("a = x")}, ("forward",), 3
        else:
            starts = data.draw(st.sets(st.integers(0, len(sdg) - 1), min_size=1, max_size=3))
            directions, k = ("backward", "forward"), data.draw(st.integers(0, 4))
        kinds = _kinds(("data", "control", "call"))
        for direction in directions:
            shortest = _two_phase_depths(g, starts, kinds, direction)
            for bound in (None, k):
                r = reach(sdg, starts, direction=direction, max_depth=bound)
                hits = frame(sdg, r, code=False)
                for row in hits.itertuples():
                    chain = path_to(hits, row.node)
                    assert len(chain) - 1 == row.depth >= shortest[sdg.vertex([row.node])[0]]
                    _check_realizable(chain["edge"].iloc[1:].tolist(), direction)

    def test_searches_in_threads_agree_with_one_at_a_time(self):
        src = CLOSURE_AND_CALL + "\n" + TWO_CALLERS
        jobs = [
            (v, direction, cs, bound)
            for v in range(len(_graph(src)[0]))
            for direction in ("backward", "forward")
            for cs in (True, False)
            for bound in (None, 2)
        ]

        def run(sdg, job):
            v, direction, cs, bound = job
            r = reach(sdg, [v], direction=direction, context_sensitive=cs, max_depth=bound)
            return [a.tolist() for a in (r.vertices, r.depth, r.parent, r.edge)]

        one_at_a_time = _graph(src)[0]
        want = [run(one_at_a_time, job) for job in jobs]
        shared = _graph(src)[0]
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda job: run(shared, job), jobs * 3))
        assert got == want * 3

    def test_a_project_of_two_modules(self, tmp_path):
        (tmp_path / "pkg").mkdir()
        (tmp_path / "pkg" / "__init__.py").write_text("")
        (tmp_path / "pkg" / "low.py").write_text("def g(a, b=0):\n    return a * b\n")
        (tmp_path / "pkg" / "high.py").write_text(
            "from pkg.low import g\n\ndef f(x):\n    y = g(x, b=2)\n    return y\n"
        )
        sdg = DependenceGraph(CodeTables.read(wb.build_project(tmp_path)))
        g = sdg.to_networkx()
        assert sdg.edge_counts()["return"] >= 1  # the call crosses the modules
        kinds = _kinds(("data", "control", "call"))
        for v in range(len(sdg)):
            for direction in ("backward", "forward"):
                plain = reach(sdg, [v], direction=direction, context_sensitive=False)
                assert set(plain.vertices.tolist()) == _closure(_view(g, kinds, direction), [v])
                r = reach(sdg, [v], direction=direction)
                assert set(r.vertices.tolist()) == _two_phase(g, [v], kinds, direction)
        hits = CPGSemantics(wb.build_project(tmp_path)).slice("pkg/high.py", 5)
        assert set(hits["path"]) == {"pkg/high.py", "pkg/low.py"}
        assert row(hits, "return a * b").edge == "return"


# -- semantics on tiny programs ------------------------------------------------------------


def sem_of(src: str) -> CPGSemantics:
    return CPGSemantics(wb.build_cpg(textwrap.dedent(src), path="m.py"))


def codes(hits: pd.DataFrame) -> set[str]:
    return set(hits["code"].dropna())


def row(hits: pd.DataFrame, code: str) -> pd.Series:
    """The one hit with this source text."""
    found = hits[hits["code"] == code]
    assert len(found) == 1, f"{len(found)} hits with code {code!r}"
    return found.iloc[0]


def line_of(src: str, code: str) -> int:
    lines = textwrap.dedent(src).splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.strip() == code)


BRANCHES = """\
def f(x):
    y = 0
    if x > 1:
        y = x * 2
    w = 7
    return y
"""

TWO_CALLERS = """\
def g(a):
    c = a + 1
    return c

def f(x):
    y = g(x)
    return y

def h(q):
    r = g(q)
    return r
"""


class TestSlices:
    def test_backward_slice_has_the_definitions_and_their_branch(self):
        hits = sem_of(BRANCHES).slice("m.py", line_of(BRANCHES, "return y"))
        assert codes(hits) == {"def f(x):", "x", "y = 0", "x > 1", "y = x * 2", "return y"}
        assert "w = 7" not in codes(hits)
        y = row(hits, "y = x * 2")
        assert (y.edge, y.label, y.depth) == ("data", "y", 1)
        branch = row(hits, "x > 1")
        assert (branch.edge, branch.label, branch.depth) == ("control", "true", 2)
        assert branch.parent == y.node

    def test_forward_slice_of_a_definition(self):
        hits = sem_of(BRANCHES).slice("m.py", line_of(BRANCHES, "y = 0"), direction="forward")
        assert codes(hits) == {"y = 0", "return y"}
        assert row(hits, "return y").label == "y"

    def test_a_branch_controls_what_it_guards(self):
        hits = sem_of(BRANCHES).slice("m.py", line_of(BRANCHES, "if x > 1:"), direction="forward")
        assert "y = x * 2" in codes(hits) and "w = 7" not in codes(hits)
        assert row(hits, "y = x * 2").edge == "control"

    def test_a_slice_does_not_leak_into_other_callers(self):
        sem = sem_of(TWO_CALLERS)
        line = line_of(TWO_CALLERS, "return y")
        hits = sem.slice("m.py", line)
        assert {"return c", "c = a + 1", "a", "y = g(x)", "x"} <= codes(hits)
        assert not {"r = g(q)", "q", "return r"} & codes(hits)
        assert row(hits, "return c").edge == "return"
        leaky = sem.slice("m.py", line, context_sensitive=False)
        assert {"r = g(q)", "q"} <= codes(leaky)
        assert codes(hits) < codes(leaky)

    def test_program_slice_and_statements_on_line(self):
        sem = sem_of(TWO_CALLERS)
        key = sem.tables.find_module("m.py")
        # a def line: its statement in the module and the parameters, not the entry
        on_def = statements_on_line(sem.sdg, key, 1)
        kinds = sem.tables.describe(sem.sdg.node(on_def), code=False)["kind"].tolist()
        assert sorted(kinds) == ["METHOD_PARAMETER_IN", "METHOD_REF"]
        direct = program_slice(sem.sdg, key, line_of(TWO_CALLERS, "return y"))
        pd.testing.assert_frame_equal(direct, sem.slice("m.py", line_of(TWO_CALLERS, "return y")))

    def test_impact_of_a_function_reaches_the_uses_of_its_result(self):
        sem = sem_of(TWO_CALLERS)
        hits = sem.impact("m.g", over=("data",))
        assert row(hits, "y = g(x)").edge == "return"
        assert row(hits, "r = g(q)").edge == "return"
        ret = row(hits, "return y")
        assert (ret.edge, ret.label, ret.depth) == ("data", "y", 2)
        chain = sem.path(hits, ret.node)
        assert chain["code"].tolist() == ["return c", "y = g(x)", "return y"]
        assert pd.isna(chain["edge"].iloc[0])
        assert chain["edge"].tolist()[1:] == ["return", "data"]
        assert "x" not in codes(hits)  # downstream only

    def test_upstream_impact_of_a_function(self):
        hits = sem_of(TWO_CALLERS).impact("m.g", direction="upstream")
        # g depends on its callers' arguments (and the name binding g)
        assert {"y = g(x)", "r = g(q)", "x", "q"} <= codes(hits)
        assert not {"return y", "return r"} & codes(hits)

    def test_impact_of_a_variable(self):
        src = """\
        def f(x):
            y = x + 1
            z = 2
            w = y * z
            return w
        """
        sem = sem_of(src)
        down = sem.impact("m.f", variable="x", over=("data",))
        assert codes(down) == {"x", "y = x + 1", "w = y * z", "return w"}
        assert row(down, "x").depth == 0
        up = sem.impact("m.f", variable="y", direction="upstream", over=("data",))
        assert codes(up) == {"w = y * z", "y = x + 1", "z = 2", "x"}
        assert row(up, "w = y * z").depth == 0

    def test_a_module_constant_read_in_a_function(self):
        src = "K = 3\n\ndef f(a):\n    return a + K\n"
        hits = sem_of(src).slice("m.py", 4)
        k = row(hits, "K = 3")
        assert (k.edge, k.label, k.depth) == ("scope", "K", 1)
        down = sem_of(src).slice("m.py", 1, direction="forward")
        assert "return a + K" in codes(down)

    def test_a_closure_variable(self):
        src = """\
        def f(a):
            v = a * 2
            u = 5
            def inner():
                return v + 1
            return inner()
        """
        hits = sem_of(src).slice("m.py", 5)
        v = row(hits, "v = a * 2")
        assert (v.edge, v.label) == ("scope", "v")
        assert "a" in codes(hits) and "u = 5" not in codes(hits)

    def test_a_comprehension_runs_where_it_is_written(self):
        src = "def f(n):\n    k = n + 1\n    xs = [i * k for i in range(n)]\n    return xs\n"
        hits = sem_of(src).impact(module="m.py", line=2)
        assert row(hits, "i * k").edge == "scope"
        assert {"xs = [i * k for i in range(n)]", "return xs"} <= codes(hits)
        # the comprehension gives its value where it is written
        back = sem_of(src).slice("m.py", 4)
        assert {"i * k", "k = n + 1", "n"} <= codes(back)

    def test_a_variable_read_only_in_a_nested_scope(self):
        src = "def f(n):\n    k = n + 1\n    xs = [i * k for i in range(n)]\n    return xs\n"
        hits = sem_of(src).impact("m.f", variable="k")
        assert row(hits, "k = n + 1").depth == 0
        assert row(hits, "i * k").edge == "scope"

    @pytest.mark.parametrize(
        "body, line, use",
        [
            ("    def inner():\n        return a + 1\n    return inner()\n", 3, "return a + 1"),
            ("    return lambda: a + 1\n", 2, "a + 1"),
            ("    return [i * a for i in range(3)]\n", 2, "i * a"),
        ],
        ids=["closure", "lambda", "comprehension"],
    )
    def test_a_parameter_read_in_a_nested_scope(self, body, line, use):
        hits = sem_of("def f(a):\n" + body).slice("m.py", line)
        a = row(hits, "a")
        assert (a.edge, a.label, a.kind) == ("scope", "a", "METHOD_PARAMETER_IN")
        down = sem_of("def f(a):\n" + body).impact("m.f", variable="a")
        assert row(down, use).edge == "scope"

    def test_a_keyword_argument_binds_its_parameter(self):
        src = """\
        def g(a=0, b=0):
            return b

        def f(x):
            return g(b=x)
        """
        sem = sem_of(src)
        hits = sem.impact(module="m.py", line=5, over=("data",))
        assert row(hits, "b").edge == "param" and row(hits, "b").label == "b"
        assert "a" not in codes(hits)
        g = sem.sdg.to_networkx()
        assert [d["label"] for *_, d in g.edges(data=True) if d["kind"] == "param"] == ["b"]

    @pytest.mark.parametrize(
        "call",
        [
            "g(*xs)",
            "g(1, *xs)",
            "g(**xs)",
        ],
    )
    def test_unpacked_arguments_reach_every_parameter(self, call):
        src = f"def g(a, b, c):\n    return a + b + c\n\ndef f(xs):\n    return {call}\n"
        hits = sem_of(src).impact(module="m.py", line=5, over=("data",))
        assert {"a", "b", "c", "return a + b + c"} <= codes(hits)

    def test_impact_both_ways_says_which_way(self):
        hits = sem_of(TWO_CALLERS).impact(module="m.py", line=6, direction="both")
        assert set(hits["direction"]) == {"upstream", "downstream"}
        up = hits[hits.direction == "upstream"]
        down = hits[hits.direction == "downstream"]
        assert "x" in codes(up) and "x" not in codes(down)
        assert "return y" in codes(down) and "return y" not in codes(up)
        assert row(up, "y = g(x)").depth == row(down, "y = g(x)").depth == 0

    def test_over_chooses_the_dependences(self):
        sem = sem_of(BRANCHES)
        data = sem.impact(module="m.py", line=6, direction="upstream", over=("data",))
        assert set(data["edge"].dropna()) <= {"data", "scope", "param", "return"}
        assert codes(data) == {"return y", "y = 0", "y = x * 2", "x"}
        every = sem.impact(module="m.py", line=6, direction="upstream")
        assert "control" in set(every["edge"]) and "x > 1" in codes(every)
        control = sem.impact(module="m.py", line=6, direction="upstream", over="control")
        assert codes(control) == {"return y", "def f(x):"}
        assert set(control["edge"].dropna()) == {"control"}

    def test_max_depth_bounds_the_search(self):
        sem = sem_of(TWO_CALLERS)
        plain = sem.impact("m.g", direction="both", context_sensitive=False)
        every = sem.impact("m.g", direction="both")
        for k in range(4):
            hits = sem.impact("m.g", direction="both", max_depth=k, context_sensitive=False)
            near = plain[plain.depth <= k].reset_index(drop=True)
            pd.testing.assert_frame_equal(
                hits[["node", "depth", "direction"]], near[["node", "depth", "direction"]]
            )
            bounded = sem.impact("m.g", direction="both", max_depth=k)
            assert bounded.depth.max() <= k
            assert set(zip(bounded.node, bounded.direction, strict=True)) <= set(
                zip(every.node, every.direction, strict=True)
            )
        assert set(sem.impact("m.g", max_depth=0)["method"]) == {"m.g"}

    def test_reach_from_nothing_is_nothing(self):
        sem = sem_of(TWO_CALLERS)
        r = reach(sem.sdg, [])
        assert len(r.vertices) == 0 and frame(sem.sdg, r).empty


# -- critical paths ------------------------------------------------------------------------


def tables_of(src: str) -> CodeTables:
    return CodeTables.read(wb.build_cpg(textwrap.dedent(src), path="m.py"))


def _check_path(p: pd.DataFrame) -> None:
    assert p["step"].tolist() == list(range(len(p)))
    assert p.iloc[0]["kind"] == "METHOD"
    assert p.attrs["cost"] == pytest.approx(p["cost"].sum())
    assert p["cumulative"].iloc[-1] == pytest.approx(p.attrs["cost"])


class TestCriticalPaths:
    def test_a_loop_costs_its_body_loop_factor_times(self):
        src = """\
        def f(xs):
            t = 0
            for x in xs:
                t += g(x)
            return t
        """
        p = paths.costliest_path(tables_of(src), "f", loop_factor=5, call_cost=2)
        _check_path(p)
        body = row(p, "t += g(x)")
        assert (body.loop_depth, body.calls, body.cost) == (1, 1, 5 * (1 + 2))
        assert row(p, "return t").loop_depth == 0
        assert p.iloc[-1]["kind"] == "METHOD_RETURN"

    def test_loops_in_loops_multiply(self):
        src = """\
        def f(n):
            t = 0
            for i in range(n):
                for j in range(n):
                    t += i * j
                t -= 1
            return t
        """
        with _deadline(5):
            p = paths.costliest_path(tables_of(src), "f", loop_factor=10)
        _check_path(p)
        assert row(p, "t += i * j").loop_depth == 2
        assert row(p, "t += i * j").cost == 100
        assert row(p, "t -= 1").cost == 10
        assert p.iloc[-1]["kind"] == "METHOD_RETURN"

    @pytest.mark.parametrize(
        "loops, inner, depth",
        [
            ("for i in range(n):\n    for j in range(n):\n        t += i * j", "t += i * j", 2),
            ("while t < n:\n    for j in range(n):\n        t += j", "t += j", 2),
            (
                "for i in n:\n    for j in n:\n        for k in n:\n            t += k",
                "t += k",
                3,
            ),
        ],
        ids=["for-for", "while-for", "for-for-for"],
    )
    def test_a_loop_that_ends_its_outer_loop(self, loops, inner, depth):
        src = "def f(n):\n    t = 0\n" + textwrap.indent(loops, "    ") + "\n    return t\n"
        with _deadline(3):
            p = paths.costliest_path(tables_of(src), "f", loop_factor=10)
        _check_path(p)
        assert (row(p, inner).loop_depth, row(p, inner).cost) == (depth, 10.0**depth)
        assert p.iloc[-1]["kind"] == "METHOD_RETURN"
        assert row(p, "return t").loop_depth == 0

    def test_the_costlier_branch(self):
        src = """\
        def f(x):
            if x:
                y = a(b(x))
            else:
                y = 0
            return y
        """
        p = paths.costliest_path(tables_of(src), "f")
        _check_path(p)
        assert "y = a(b(x))" in codes(p) and "y = 0" not in codes(p)
        assert row(p, "y = a(b(x))").calls == 2
        cheap = paths.costliest_path(tables_of(src.replace("a(b(x))", "1")), "f")
        assert cheap.attrs["cost"] == p.attrs["cost"] - 2

    def test_an_endless_loop_still_has_a_path(self):
        src = """\
        def f():
            n = 0
            while True:
                n += step()
        """
        p = paths.costliest_path(tables_of(src), "f")
        _check_path(p)
        assert "n += step()" in codes(p)
        assert p.iloc[-1]["kind"] != "METHOD_RETURN"

    def test_try_except_finally(self):
        src = """\
        def f(x):
            try:
                y = risky(x)
            except ValueError:
                y = fallback(x)
                log(y)
            finally:
                done()
            return y
        """
        p = paths.costliest_path(tables_of(src), "f")
        _check_path(p)
        assert {"y = risky(x)", "y = fallback(x)", "log(y)", "done()", "return y"} <= codes(p)
        assert p.iloc[-1]["kind"] == "METHOD_RETURN"

    def test_critical_paths_costliest_first(self):
        src = """\
        def light(x):
            return x

        def loop(xs):
            for x in xs:
                use(x)

        def calls(x):
            return a(b(c(x)))
        """
        t = tables_of(src)
        every = paths.critical_paths(t)
        assert every["cost"].is_monotonic_decreasing
        assert every["method"].iloc[0] == "m.loop"
        assert set(every["method"]) == {"m.<module>", "m.light", "m.loop", "m.calls"}
        loop = every.set_index("method").loc["m.loop"]
        assert (loop.loops, loop.max_loop_depth) == (1, 1)
        assert every.set_index("method").loc["m.calls", "calls"] == 3
        for method, cost in zip(every["method"], every["cost"], strict=True):
            assert paths.costliest_path(t, method).attrs["cost"] == cost
        pd.testing.assert_frame_equal(paths.critical_paths(t, top=2), every.head(2))

    def test_call_chain_condenses_recursion(self):
        src = """\
        def top(x):
            return mid(x)

        def mid(x):
            if x:
                return ping(x)
            return 0

        def ping(x):
            return pong(x - 1)

        def pong(x):
            if x > 0:
                return ping(x)
            return x

        def alone():
            return 1
        """
        chain = paths.call_chain(tables_of(src))
        assert chain["method"].tolist()[:2] == ["m.top", "m.mid"]
        assert chain["step"].tolist() == list(range(len(chain)))
        last = chain.iloc[-1]
        assert list(last.cycle) == ["m.ping", "m.pong"] and len(chain) == 3
        assert [list(c) for c in chain["cycle"].iloc[:-1]] == [[], []]
        assert last.cyclomatic == 1 + 2  # ping + pong
        assert chain["cumulative"].tolist() == [1.0, 3.0, 6.0]
        assert len(paths.call_chain(tables_of(src), weight="length")) == 3

    def test_data_chain_is_a_def_use_chain_in_order(self):
        src = """\
        def f(p):
            q = p + 1
            unrelated = 0
            r = q * 2
            s = r - 3
            return s
        """
        chain = paths.data_chain(DependenceGraph(tables_of(src)))
        assert chain["code"].tolist() == ["p", "q = p + 1", "r = q * 2", "s = r - 3", "return s"]
        assert chain["step"].tolist() == list(range(5)) and chain["cycle"].eq(1).all()

    def test_a_loop_carried_variable_is_one_step(self):
        src = """\
        def f(n):
            t = 0
            while t < n:
                u = t + 1
                t = u
            return t
        """
        chain = paths.data_chain(DependenceGraph(tables_of(src)))
        assert chain["code"].tolist()[:2] == ["t = 0", "u = t + 1"]
        assert chain["cycle"].tolist()[:2] == [1, 2]  # {u = t + 1, t = u} is one step
        assert len(chain) == 3


# -- CPGSemantics: cache -------------------------------------------------------------------


class TestCache:
    def test_a_repeated_request_is_served_from_memory(self):
        sem = sem_of(TWO_CALLERS)
        a = sem.impact("m.g")
        b = sem.impact("m.g")
        c = sem.impact("m.g", over=("data", "call", "control"))  # same request, other order
        pd.testing.assert_frame_equal(a, b)
        pd.testing.assert_frame_equal(a, c)
        sem.costliest_path("m.f")
        cost = sem.costliest_path("m.f").attrs["cost"]
        assert cost == paths.costliest_path(sem.tables, "m.f").attrs["cost"]
        t = sem.timings()
        assert t["cache"].tolist() == ["miss", "memory", "memory", "miss", "memory"]
        assert list(t.columns) == ["analysis", "cache", "rows", "compute_seconds", "seconds"]
        assert t["rows"].iloc[0] == len(a)

    def test_different_requests_are_different_keys(self):
        sem = sem_of(TWO_CALLERS)
        a = sem.impact("m.g")
        b = sem.impact("m.g", max_depth=1)
        c = sem.impact("m.g", context_sensitive=False)
        assert sem.timings()["cache"].tolist() == ["miss"] * 3
        assert len(b) < len(a) <= len(c)

    @pytest.fixture
    def store(self, full_store):
        return full_store(100)[0]

    def test_results_survive_in_the_store(self, store):
        sem = CPGSemantics(store, persist_min_seconds=0)
        results = {
            "impact": sem.impact("bookshop.pricing.price_for"),
            "slice": sem.slice("bookshop/pricing.py", 27),
            "critical_paths": sem.critical_paths(top=5),
            "call_chain": sem.call_chain(),
            "data_chain": sem.data_chain(),
        }
        other = CPGSemantics(store, persist_min_seconds=0)
        again = {
            "impact": other.impact("bookshop.pricing.price_for"),
            "slice": other.slice("bookshop/pricing.py", 27),
            "critical_paths": other.critical_paths(top=5),
            "call_chain": other.call_chain(),
            "data_chain": other.data_chain(),
        }
        assert other.timings()["cache"].tolist() == ["store"] * 5
        for name, df in results.items():
            pd.testing.assert_frame_equal(df, again[name], obj=name)
        assert {"bookshop/inventory.py", "bookshop/orders/cart.py"} <= set(
            results["impact"]["path"]
        )
        # cheap results are not written to the store
        quiet = CPGSemantics(store, persist_min_seconds=60)
        quiet.impact("bookshop.pricing.shipping")
        fresh = CPGSemantics(store, persist_min_seconds=60)
        fresh.impact("bookshop.pricing.shipping")
        assert fresh.timings()["cache"].tolist() == ["miss"]

    def test_a_changed_store_is_not_served_stale_results(self, store, shared_src):
        sem = CPGSemantics(store, persist_min_seconds=0)
        before = sem.impact("bookshop.pricing.price_for")
        fingerprint = sem.fingerprint
        pricing = shared_src / "bookshop" / "pricing.py"
        pricing.write_text(
            pricing.read_text() + "\n\ndef quote(p, c):\n    q = price_for(p, c, 1)\n    return q\n"
        )
        store.ingest(shared_src)
        store.generate(workers=1, quiet=True)
        assert sem.fingerprint != fingerprint
        after = sem.impact("bookshop.pricing.price_for")
        assert sem.timings()["cache"].tolist() == ["miss", "miss"]
        assert "q = price_for(p, c, 1)" in codes(after)
        assert "q = price_for(p, c, 1)" not in codes(before)
        assert len(after) > len(before)
        assert CPGSemantics(store).impact("bookshop.pricing.price_for").equals(after)


# -- bad input -----------------------------------------------------------------------------


class TestBadInput:
    @pytest.fixture
    def sem(self):
        return sem_of("K = 1\n\ndef f(x):\n    y = x\n\n    return y\n")

    def test_unknown_names(self, sem):
        with pytest.raises(NotFoundError, match=r"m\.nope"):
            sem.impact("m.nope")
        with pytest.raises(NotFoundError, match=r"zz\.py"):
            sem.slice("zz.py", 4)
        with pytest.raises(NotFoundError):
            sem.costliest_path("m.nope")

    def test_an_ambiguous_name(self, tmp_path):
        (tmp_path / "pkg").mkdir()
        (tmp_path / "pkg" / "a.py").write_text("def f(x):\n    return x\n")
        (tmp_path / "pkg" / "b.py").write_text("def f(y):\n    return y\n")
        sem = CPGSemantics(wb.build_project(tmp_path))
        with pytest.raises(AmbiguousNameError, match=r"pkg\.a\.f"):
            sem.impact("f")
        assert "return x" in codes(sem.impact("f", module="pkg/a.py"))
        assert "return y" in codes(sem.impact("pkg.b.f"))

    @pytest.mark.parametrize("line", [5, 99])
    def test_a_line_without_a_statement(self, sem, line):
        with pytest.raises(WorkbenchError, match=f"no statement starts on line {line}"):
            sem.slice("m.py", line)
        with pytest.raises(WorkbenchError, match=f"no statement starts on line {line}"):
            sem.impact(module="m.py", line=line)

    @pytest.mark.parametrize("line", [0, -1, "3", True, 2.0, None])
    def test_a_line_that_is_not_a_line_number(self, sem, line):
        with pytest.raises(WorkbenchError, match="line must be a positive integer"):
            sem.slice("m.py", line)
        if line is not None:
            with pytest.raises(WorkbenchError, match="line must be a positive integer"):
                sem.impact(module="m.py", line=line)

    @pytest.mark.parametrize("over", [("bogus",), ("data", "bogus"), ()])
    def test_bad_over(self, sem, over):
        with pytest.raises(WorkbenchError, match="over="):
            sem.impact("m.f", over=over)

    def test_bad_direction(self, sem):
        for call in (
            lambda: sem.impact("m.f", direction="sideways"),
            lambda: sem.impact("m.f", variable="x", direction="sideways"),
            lambda: sem.slice("m.py", 4, direction="sideways"),
        ):
            with pytest.raises(WorkbenchError, match="direction must be"):
                call()

    @pytest.mark.parametrize("max_depth", [-1, 1.5, "2"])
    def test_bad_max_depth(self, sem, max_depth):
        with pytest.raises(WorkbenchError, match="max_depth"):
            sem.impact("m.f", max_depth=max_depth)

    def test_impact_needs_a_target(self, sem):
        with pytest.raises(WorkbenchError, match="needs a function"):
            sem.impact()
        with pytest.raises(WorkbenchError, match="needs module="):
            sem.impact(line=4)
        with pytest.raises(WorkbenchError, match="not both"):
            sem.impact("m.f", module="m.py", line=4)

    def test_a_variable_the_function_does_not_have(self, sem):
        with pytest.raises(WorkbenchError, match=r"'nope' is never defined in m\.f"):
            sem.impact("m.f", variable="nope")
        with pytest.raises(WorkbenchError, match=r"'nope' is never used in m\.f"):
            sem.impact("m.f", variable="nope", direction="upstream")

    def test_bad_path_parameters(self, sem):
        with pytest.raises(WorkbenchError, match="loop_factor"):
            sem.costliest_path("m.f", loop_factor=0.5)
        with pytest.raises(WorkbenchError, match="call_cost"):
            sem.costliest_path("m.f", call_cost=-1)
        with pytest.raises(WorkbenchError, match="weight"):
            sem.call_chain(weight="bogus")

    def test_bad_vertices_and_nodes(self, sem):
        with pytest.raises(WorkbenchError, match="start vertices"):
            reach(sem.sdg, [len(sem.sdg)])
        with pytest.raises(WorkbenchError, match="start vertices"):
            reach(sem.sdg, [-1])
        with pytest.raises(WorkbenchError, match="not among the hits"):
            sem.path(sem.impact("m.f"), 10**9)

    def test_reading_something_else(self):
        with pytest.raises(TypeError, match="not int"):
            CodeTables.read(42)
        with pytest.raises(TypeError):
            CPGSemantics(42).impact("f")

    def test_an_empty_module(self):
        sem = CPGSemantics(wb.build_cpg("", path="e.py"))
        assert sem.critical_paths()["method"].tolist() == ["e.<module>"]
        assert len(sem.call_chain()) == 1 and len(sem.data_chain()) == 1

    def test_numpy_integers_as_a_notebook_passes_them(self, sem):
        ids = sem.tables.methods.to_pandas().set_index("name")["id"]
        pd.testing.assert_frame_equal(sem.impact(ids["f"], module="m.py"), sem.impact("m.f"))
        pd.testing.assert_frame_equal(
            sem.impact(module="m.py", line=4, max_depth=np.int64(1)),
            sem.impact(module="m.py", line=4, max_depth=1),
        )
        with pytest.raises(WorkbenchError, match="max_depth"):
            sem.impact("m.f", max_depth=True)

    def test_a_module_key_as_a_numpy_integer(self, sem):
        key = np.int64(sem.tables.find_module("m.py"))
        pd.testing.assert_frame_equal(sem.slice(key, 4), sem.slice("m.py", 4))
        ids = sem.tables.methods.to_pandas().set_index("name")["id"]
        pd.testing.assert_frame_equal(sem.impact(ids["f"], module=key), sem.impact("m.f"))


# -- determinism ---------------------------------------------------------------------------


def test_the_same_program_gives_the_same_frames():
    src = TWO_CALLERS + "\ndef loop(xs):\n    for x in xs:\n        g(x)\n"
    a, b = sem_of(src), sem_of(src)
    pairs = [
        (a.impact("m.g"), b.impact("m.g")),
        (a.impact("m.f", direction="both"), b.impact("m.f", direction="both")),
        (a.slice("m.py", 7), b.slice("m.py", 7)),
        (a.slice("m.py", 6, direction="forward"), b.slice("m.py", 6, direction="forward")),
        (a.critical_paths(), b.critical_paths()),
        (a.costliest_path("m.loop"), b.costliest_path("m.loop")),
        (a.call_chain(), b.call_chain()),
        (a.data_chain(), b.data_chain()),
    ]
    for x, y in pairs:
        assert x.equals(y)
        assert list(x.columns) == list(y.columns)


class TestWhatTheHostileReviewFound:
    """Each case is one a hostile review of the first version got wrong."""

    @pytest.mark.parametrize(
        ("src", "line", "param"),
        [
            ("def f(p):\n    r = 0\n    for i in p:\n        r = i\n    return r\n", 5, "p"),
            (
                "def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t\n",
                5,
                "n",
            ),
            (
                "def f(p):\n    match p:\n        case [r]:\n            pass\n"
                "        case _:\n            r = 0\n    return r\n",
                7,
                "p",
            ),
            (
                "def f(p):\n    try:\n        raise p\n    except Exception as r:\n"
                "        return r\n",
                5,
                "p",
            ),
            ("def f(p):\n    with p as r:\n        return r\n", 3, "p"),
        ],
        ids=["for", "for-range", "match", "except-as", "with"],
    )
    def test_what_a_header_binds_comes_from_its_expression(self, src, line, param):
        sem = sem_of(src)
        assert param in codes(sem.slice("m.py", line))
        down = sem.impact("m.f", variable=param)
        assert line in set(down["line"])

    def test_a_method_does_not_see_its_class_names(self):
        src = "X = 1\n\nclass C:\n    X = 2\n\n    def m(self):\n        return X\n"
        hits = sem_of(src).slice("m.py", 7)
        assert "X = 1" in codes(hits) and "X = 2" not in codes(hits)

    def test_free_names_resolve_through_any_nesting(self):
        depth = 40
        lines = ["def f0():", "    v = 1"]
        for i in range(1, depth):
            lines.append("    " * i + f"def f{i}():")
        lines.append("    " * depth + "return v")
        hits = sem_of("\n".join(lines) + "\n").slice("m.py", len(lines))
        assert "v = 1" in codes(hits)

    def test_a_call_found_by_name_and_by_value_flow_counts_once(self, tmp_path):
        (tmp_path / "b.py").write_text("def g():\n    return 1\n")
        (tmp_path / "a.py").write_text("import b\n\n\ndef f():\n    return b.g()\n")
        tables = CodeTables.read(wb.build_project(tmp_path), call_graph=True)
        s, d, _ = tables.edges_of("CALL")
        pairs = list(zip(s.tolist(), d.tolist(), strict=True))
        assert len(pairs) == len(set(pairs))
        assert (d == tables.find_method("b.g")).sum() == 1

    def test_a_chain_of_calls_is_no_cycle(self):
        n = 8
        src = "".join(f"def f{i}(x):\n    return f{i + 1}(x) + 1\n\n" for i in range(n))
        src += f"def f{n}(x):\n    return x\n"
        chain = paths.data_chain(sem_of(src).sdg)
        assert (chain["cycle"] == 1).all() and len(chain) > n
        assert chain.attrs["through"] in ("param", "return")

    def test_a_path_in_a_frame_of_both_directions_names_its_direction(self):
        sem = sem_of("def g(a):\n    return a\n\ndef f(x):\n    return g(x)\n")
        hits = sem.impact("m.g", direction="both")
        node = int(hits[hits.depth == 0].node.iloc[0])
        with pytest.raises(WorkbenchError, match="direction="):
            sem.path(hits, node)
        assert sem.path(hits, node, direction="upstream").depth.tolist() == [0]

    @pytest.mark.parametrize(
        "call",
        [
            lambda s: s.impact(1.5),
            lambda s: s.impact(["m.f"]),
            lambda s: s.costliest_path(None),
            lambda s: s.costliest_path("m.f", loop_factor="10"),
            lambda s: s.critical_paths(top=-1),
            lambda s: s.critical_paths(top=1.5),
            lambda s: s.impact("m.f", over=None),
        ],
    )
    def test_wrong_arguments_say_what_they_take(self, call):
        with pytest.raises((TypeError, WorkbenchError)):
            call(sem_of("def f(x):\n    return x\n"))

    def test_semantics_of_something_else_is_refused_at_once(self):
        with pytest.raises(TypeError, match="CPGSemantics reads"):
            CPGSemantics(None)

    def test_a_function_calling_itself_is_a_cycle_of_one(self):
        src = "def r(n):\n    if n:\n        return r(n - 1)\n    return 0\n"
        chain = sem_of(src).call_chain()
        assert chain["cycle"].tolist() == [["m.r"]]

    def test_tables_read_before_a_change_show_the_old_text(self, tmp_path):
        src = tmp_path / "src"
        src.mkdir()
        (src / "m.py").write_text("def f():\n    return 1\n")
        store = wb.Store.create(tmp_path / "store")
        store.ingest(src)
        from workbench.store.migrations import migrate

        migrate(store)
        store.generate(workers=1, progress=None)
        tables = CodeTables.read(store)
        (src / "m.py").write_text("def f():\n    return 2\n")
        store.ingest(src)
        store.generate(workers=1, progress=None)
        texts = tables.code(np.arange(len(tables))).to_pylist()
        assert "return 1" in texts and "return 2" not in texts
        store.close()
