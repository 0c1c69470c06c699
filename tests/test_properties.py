"""Properties over randomly generated programs (hypothesis), determinism, syntax coverage."""

from __future__ import annotations

import ast
import io
import textwrap

import networkx as nx
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb

VARS = ("a", "b", "x", "y")


@st.composite
def expressions(draw) -> str:
    v = draw(st.sampled_from(VARS))
    return draw(
        st.sampled_from(
            [
                v,
                "1",
                f"{v} + 1",
                f"g({v})",
                f"{v} > 2",
                f"({v} := 3)",
                f"[{v} for {v} in b]",
                f"{v}.attr",
                f"lambda q: q + {v}",
            ]
        )
    )


@st.composite
def blocks(draw, depth: int, in_loop: bool) -> list[str]:
    n = draw(st.integers(1, 3))
    out: list[str] = []
    for _ in range(n):
        out += draw(statements(depth, in_loop))
    return out


def _ind(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


@st.composite
def statements(draw, depth: int, in_loop: bool) -> list[str]:
    v, w = draw(st.sampled_from(VARS)), draw(st.sampled_from(VARS))
    e = draw(expressions())
    simple = [
        [f"{v} = {e}"],
        [f"{v} += 1"],
        [f"print({e})"],
        ["pass"],
        [f"{v}, {w} = {e}, 1"],
        [f"assert {e}"],
        [f"return {e}"],
        [f"raise ValueError({e})"],
        [f"del {v}"],
        [f"{v}.attr = {e}"],
        ["import os"],
    ]
    if in_loop:
        simple += [["break"], ["continue"]]
    if depth == 0:
        return draw(st.sampled_from(simple))
    sub = lambda loop=in_loop: blocks(depth - 1, loop)  # noqa: E731
    kind = draw(st.sampled_from(["simple", "if", "while", "for", "try", "with", "match", "def"]))
    if kind == "simple":
        return draw(st.sampled_from(simple))
    if kind == "if":
        lines = [f"if {e}:", *_ind(draw(sub()))]
        if draw(st.booleans()):
            lines += [f"elif {v}:", *_ind(draw(sub()))]
        if draw(st.booleans()):
            lines += ["else:", *_ind(draw(sub()))]
        return lines
    if kind == "while":
        test = draw(st.sampled_from([e, "True"]))
        lines = [f"while {test}:", *_ind(draw(sub(True)))]
        if draw(st.booleans()):
            lines += ["else:", *_ind(draw(sub()))]
        return lines
    if kind == "for":
        lines = [f"for {v} in {e}:", *_ind(draw(sub(True)))]
        if draw(st.booleans()):
            lines += ["else:", *_ind(draw(sub()))]
        return lines
    if kind == "try":
        lines = ["try:", *_ind(draw(sub()))]
        handlers = draw(st.integers(0, 2))
        for i in range(handlers):
            lines += [f"except E{i} as {v}:", *_ind(draw(sub()))]
        if handlers and draw(st.booleans()):
            lines += ["else:", *_ind(draw(sub()))]
        if not handlers or draw(st.booleans()):
            lines += ["finally:", *_ind(draw(sub()))]
        return lines
    if kind == "with":
        return [f"with open({e}) as {v}:", *_ind(draw(sub()))]
    if kind == "match":
        return [
            f"match {v}:",
            "    case [1, *rest]:",
            *_ind(_ind(draw(sub()))),
            f"    case {{'k': {w}}} if {w}:",
            *_ind(_ind(draw(sub()))),
            "    case _:",
            *_ind(_ind(draw(sub()))),
        ]
    return [f"def h({v}):", *_ind(draw(sub(False)))]


@st.composite
def programs(draw) -> str:
    body = draw(blocks(3, False))
    return "def f(a, b):\n" + "\n".join(_ind(body)) + "\n"


def _ipc(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue()


class Checked:
    def __init__(self, src: str):
        ast.parse(src)
        self.cpg = wb.build_cpg(src, path="gen.py")
        self.rows = {r["id"]: r for r in self.cpg.nodes.to_pylist()}
        self.edges = self.cpg.edges.to_pylist()
        self.cfg = nx.MultiDiGraph()
        for r in self.edges:
            if r["kind"] == "CFG":
                self.cfg.add_edge(r["src"], r["dst"], label=r["label"])
        self.cfg.add_nodes_from(m for m in self.cpg.methods["id"].to_pylist())

    def cfg_node_of(self, nid: int) -> int:
        while nid not in self.cfg:
            nid = self.rows[nid]["parent"]
        return nid


@pytest.mark.slow
@given(programs())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_programs(src):
    c = Checked(src)
    rows, edges = c.rows, c.edges
    assert all(r["kind"] != "UNKNOWN" for r in rows.values())

    # every CFG edge stays inside one method; entry dominates every reachable node
    idom = {r["dst"]: r["src"] for r in edges if r["kind"] == "DOMINATE"}
    for mid in c.cpg.methods["id"].to_pylist():
        members = [n for n in c.cfg if rows[n]["method"] == mid]
        sub = c.cfg.subgraph(members)
        reach = nx.descendants(sub, mid) | {mid}
        live = rows[mid]["reachable"]  # a method defined in dead code is dead throughout
        for n in reach - {mid}:
            assert rows[n]["reachable"] == live, (src, n)
            x, seen = n, 0
            while x != mid:
                x = idom[x]
                seen += 1
                assert seen < 10_000
        for n in set(members) - reach:
            assert not rows[n]["reachable"], (src, rows[n]["code"])
        ref = nx.immediate_dominators(nx.DiGraph(sub), mid)
        assert {k: v for k, v in ref.items() if k != mid} == {k: idom[k] for k in reach - {mid}}

    # every use's reaching definitions define that variable, along a CFG path
    for r in edges:
        if r["kind"] != "REACHING_DEF":
            continue
        var, d, u = r["label"], rows[r["src"]], rows[r["dst"]]
        assert d["name"] == var or d["code"] == var, (src, d, var)
        assert u["name"] == var or u["code"] == var, (src, u, var)
        du, uu = c.cfg_node_of(d["id"]), c.cfg_node_of(u["id"])
        assert du == uu or nx.has_path(c.cfg, du, uu), (src, d["code"], u["code"])

    for m in c.cpg.methods.to_pylist():
        assert m["cyclomatic"] >= 1 and m["mccabe"] >= 1


@pytest.mark.slow
@given(programs())
@settings(max_examples=30, deadline=None)
def test_same_input_gives_byte_identical_tables(src):
    a, b = wb.build_cpg(src, path="gen.py"), wb.build_cpg(src, path="gen.py")
    for name, table in a.to_arrow().items():
        assert _ipc(table) == _ipc(b.to_arrow()[name]), name


KITCHEN_SINK = textwrap.dedent(
    '''
    """Every Python 3.11 syntax class at least once."""
    import os, os.path as osp
    from . import sibling
    from json import *
    g: int = 1
    h: int
    @decorator(1)
    class K(Base, metaclass=Meta):
        attr = 1
        def m(self, a, /, b, *args, c=2, d, **kw) -> int:
            global g
            x = y = a + b - c * d / 2 // 3 % 4 ** 5 @ m << 1 >> 2 | 3 ^ 4 & 5
            x += 1
            del x
            z = not a and (b or -c) and +d and ~a
            w = a < b <= c > d >= a == b != c is d is not a in b not in c
            s = f"{a!r:>{b}} {c}"
            t = [1, *args], (1,), {1, 2}, {"k": 1, **kw}, a[1:2:3], a.b
            u = lambda q=1: q
            v = [i for i in args if i], {i for i in args}, {i: i for i in args}, (i for i in args)
            if (n := len(args)) > 1:
                pass
            elif n:
                pass
            else:
                pass
            while a:
                break
            else:
                pass
            for i in args:
                continue
            with open(a) as fh, lock:
                pass
            try:
                raise ValueError(a) from None
            except ValueError as e:
                pass
            else:
                pass
            finally:
                pass
            try:
                pass
            except* OSError:
                pass
            assert a, "msg"
            match a:
                case 1 | 2:
                    pass
                case None:
                    pass
                case [1, *rest]:
                    pass
                case {"k": v, **others}:
                    pass
                case Point(x=0, y=yy) as p:
                    pass
                case _:
                    pass
            def inner():
                nonlocal a
                yield a
                yield from args
            return a if b else c
    async def co(x):
        await x
        async for i in x:
            pass
        async with x as y:
            pass
        return [i async for i in x]
    '''
)

#: ast classes that are folded into their parent or are operators/contexts, not nodes.
NOT_NODES = {
    "Expr",
    "keyword",
    "withitem",
    "arguments",
    "Module",
    "Interactive",
    "Expression",
    "FunctionType",
    "TypeIgnore",
}


def test_every_syntax_class_is_a_known_kind():
    tree = ast.parse(KITCHEN_SINK)
    present = {type(n).__name__ for n in ast.walk(tree)}
    node_classes = {
        c.__name__
        for c in vars(ast).values()
        if isinstance(c, type)
        and issubclass(c, (ast.stmt, ast.expr, ast.pattern))
        and c not in (ast.stmt, ast.expr, ast.pattern)
        and not c.__doc__.startswith("Deprecated")
    }
    assert node_classes - present == set()  # the kitchen sink really has everything
    cpg = wb.build_cpg(KITCHEN_SINK, path="pkg/sink.py")
    kinds = set(cpg.nodes["kind"].to_pylist())
    assert "UNKNOWN" not in kinds
    ast_types = set(cpg.nodes["ast_type"].to_pylist())
    missing = present - ast_types - NOT_NODES
    missing = {m for m in missing if not _is_operator_or_context(m)}
    assert missing == set()


def _is_operator_or_context(name: str) -> bool:
    cls = getattr(ast, name)
    return issubclass(cls, (ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.expr_context))
