"""The language-neutral passes, checked against networkx and against definitions."""

from __future__ import annotations

import networkx as nx
from helpers import Graph
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.passes import (
    control_dependences,
    immediate_dominators,
    predecessors,
    reaching_definitions,
    reverse_postorder,
)
from workbench.passes.linker import MAX_ALIAS_HOPS, LinkIndex
from workbench.passes.reaching_defs import DEF, KILL, MAYDEF, USE


@st.composite
def digraphs(draw, max_nodes=14):
    n = draw(st.integers(1, max_nodes))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    succ = [[] for _ in range(n)]
    for a, b in edges:
        if a != n - 1:  # the last node is the exit: nothing leaves it
            succ[a].append(b)
    return succ


def _nx_idom(succ, entry):
    g = nx.DiGraph()
    g.add_nodes_from(range(len(succ)))
    g.add_edges_from((a, b) for a, outs in enumerate(succ) for b in outs)
    idom = nx.immediate_dominators(g, entry)
    idom[entry] = entry  # networkx >= 3.6 leaves the start out
    return idom


class TestImmediateDominators:
    @given(digraphs())
    @settings(max_examples=300, deadline=None)
    def test_matches_networkx(self, succ):
        ours = immediate_dominators(succ, 0)
        ref = _nx_idom(succ, 0)
        assert {i: d for i, d in enumerate(ours) if d != -1} == ref

    @given(digraphs())
    @settings(max_examples=100, deadline=None)
    def test_post_dominators_are_dominators_of_the_reverse(self, succ):
        exit_ = len(succ) - 1
        ours = immediate_dominators(predecessors(succ), exit_)
        rev = [[] for _ in succ]
        for a, outs in enumerate(succ):
            for b in outs:
                rev[b].append(a)
        assert {i: d for i, d in enumerate(ours) if d != -1} == _nx_idom(rev, exit_)

    def test_reverse_postorder_visits_only_reachable(self):
        assert reverse_postorder([[1], [], [0]], 0) == [0, 1]


class TestControlDependence:
    @given(digraphs())
    @settings(max_examples=200, deadline=None)
    def test_definition(self, succ):
        """b depends on a iff a has a successor that b post-dominates (or is), and b does not
        strictly post-dominate a (Ferrante et al.). Nodes that cannot reach the exit (endless
        loops) have no post-dominator: a branch into them makes them depend on it."""
        n = len(succ)
        exit_ = n - 1
        ipdom = immediate_dominators(predecessors(succ), exit_)

        def pdom_chain(x):
            out = set()
            while x != -1:
                out.add(x)
                if ipdom[x] == x:
                    break
                x = ipdom[x]
            return out

        labelled = [[(b, str(k)) for k, b in enumerate(dict.fromkeys(outs))] for outs in succ]
        got = {(a, b) for a, b, _ in control_dependences(labelled, ipdom)}
        want = set()
        for a in range(n):
            if len(set(succ[a])) < 2:
                continue
            strict = pdom_chain(a) - {a}
            for s in set(succ[a]):
                for b in pdom_chain(s):
                    if b not in strict:
                        want.add((a, b))
        assert got == want

    def test_a_branch_whose_edges_all_lead_to_one_node_controls_nothing(self):
        # 0: `if c: pass` inside `while True`, both edges to 1, which loops back: no exit
        assert (
            control_dependences([[(1, "true"), (1, "false")], [(0, None)], []], [-1, -1, 2]) == []
        )
        # ... and the branches after it are still seen
        succ = [[(1, "true"), (1, "false")], [(2, "true"), (3, "false")], [(3, None)], []]
        assert control_dependences(succ, [1, 3, 3, 3]) == [(1, 2, "true")]

    def test_a_node_reached_by_two_edges_of_one_label_depends_once(self):
        # 0 -x-> 1 -> 3, 0 -x-> 2 -> 3 (two `except` edges), 0 -y-> 4; 3 and 4 -> exit 5
        succ = [
            [(1, "x"), (2, "x"), (4, "y")],
            [(3, None)],
            [(3, None)],
            [(5, None)],
            [(5, None)],
            [],
        ]
        ipdom = [5, 3, 3, 5, 5, 5]
        assert control_dependences(succ, ipdom) == [
            (0, 1, "x"),
            (0, 3, "x"),
            (0, 2, "x"),
            (0, 4, "y"),
        ]

    def test_cdg_edges_in_a_cpg_carry_the_branch_label(self):
        g = Graph("def f(c):\n    if c:\n        a()\n    else:\n        b()\n    z()\n", "f")
        cdg = g.edges_of("CDG")
        assert ("c", "a()", "true") in cdg
        assert ("c", "b()", "false") in cdg
        assert not [e for e in cdg if e[1] == "z()"]

    def test_dominate_and_post_dominate_edges(self):
        g = Graph("def f(c):\n    if c:\n        a()\n    z()\n", "f")
        assert ("c", "z()", None) in g.edges_of("DOMINATE")
        assert ("ENTRY", "c", None) in g.edges_of("DOMINATE")
        assert ("z()", "a()", None) in g.edges_of("POST_DOMINATE")
        assert ("EXIT", "z()", None) in g.edges_of("POST_DOMINATE")


class TestReachingDefinitionsPass:
    def test_a_use_after_a_maydef_in_its_node_sees_it_and_what_reached(self):
        succ = [[1], []]  # x = 0; print([(x := i) for i in a], x)
        events = [[(DEF, "x", 10)], [(MAYDEF, "x", 11), (USE, "x", 12)]]
        assert reaching_definitions(succ, events) == [(10, 12, "x"), (11, 12, "x")]

    def test_a_def_then_a_maydef_in_one_node_both_reach_the_next(self):
        succ = [[1], []]  # print(x := 0, [(x := i) for i in a]); print(x)
        events = [[(DEF, "x", 10), (MAYDEF, "x", 11)], [(USE, "x", 12)]]
        assert reaching_definitions(succ, events) == [(10, 12, "x"), (11, 12, "x")]

    def test_two_maydefs_of_one_variable_in_a_node_both_reach(self):
        # [(x := 1) for _ in a] + [(x := 2) for _ in b]: either walrus may be the last to run
        succ = [[1], []]
        events = [[(MAYDEF, "x", 10), (MAYDEF, "x", 11)], [(USE, "x", 12)]]
        assert reaching_definitions(succ, events) == [(10, 12, "x"), (11, 12, "x")]

    def test_deleting_a_name_defined_nowhere_kills_no_other_definition(self):
        succ = [[1], [2], []]  # y = 1; del z (a global); print(y)
        events = [[(DEF, "y", 10)], [(KILL, "z", 11)], [(USE, "y", 12)]]
        assert reaching_definitions(succ, events) == [(10, 12, "y")]

    def test_kill_removes_definitions(self):
        succ = [[1], [2], []]
        events = [[(DEF, "x", 10)], [(USE, "x", 11), (KILL, "x", 11)], [(USE, "x", 12)]]
        assert reaching_definitions(succ, events) == [(10, 11, "x")]

    def test_use_before_def_in_same_node_sees_earlier_definitions(self):
        succ = [[1], []]
        events = [[(DEF, "x", 1)], [(USE, "x", 2), (DEF, "x", 3), (USE, "x", 4)]]
        assert reaching_definitions(succ, events) == [(1, 2, "x"), (3, 4, "x")]

    def test_loop_carried(self):
        succ = [[1], [2, 3], [1], []]
        events = [[(DEF, "i", 1)], [(USE, "i", 2)], [(USE, "i", 3), (DEF, "i", 4)], None]
        pairs = reaching_definitions(succ, events)
        assert (4, 2, "i") in pairs and (1, 2, "i") in pairs and (4, 3, "i") in pairs


class TestLinkIndex:
    """Resolving full names through re-exports (``from .impl import f`` in a package)."""

    @staticmethod
    def chain(hops: int) -> LinkIndex:
        """``m0.f`` re-exported through ``hops`` modules, defined in the last one."""
        index = LinkIndex()
        for i in range(hops):
            index.aliases[f"m{i}.f"] = f"m{i + 1}.f"
        index.methods[f"m{hops}.f"] = (hops, 7)
        return index

    def test_a_chain_of_re_exports_is_followed_up_to_the_limit(self):
        assert self.chain(MAX_ALIAS_HOPS).resolve("m0.f") == (MAX_ALIAS_HOPS, 7)
        assert self.chain(MAX_ALIAS_HOPS + 1).resolve("m0.f") is None

    def test_a_cycle_of_re_exports_ends(self):
        index = LinkIndex()
        index.aliases.update({"a.f": "b.f", "b.f": "a.f"})
        assert index.resolve("a.f") is None

    def test_an_aliased_package_in_the_middle_of_a_name(self):
        index = LinkIndex()  # import real.mod as mod, in pkg/__init__.py; pkg.mod.f()
        index.aliases["pkg.mod"] = "real.mod"
        index.methods["real.mod.f"] = (3, 5)
        index.types.add("real.mod.C")
        index.methods["real.mod.C.__init__"] = (3, 9)
        assert index.resolve("pkg.mod.f") == (3, 5)
        assert index.resolve("pkg.mod.C") == (3, 9)  # a constructor call
        assert index.resolve("pkg.other.f") is None
