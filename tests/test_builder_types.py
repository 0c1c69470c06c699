"""The builder's named types: row layouts that match the schema, edge buffers for every edge
kind, and the frame stack that routes jumps."""

from __future__ import annotations

import ast

import pytest

from workbench.cpg.schema import METHODS, NODES
from workbench.frontends.python import builder as B


class TestRowLayouts:
    def test_node_row_indices_follow_the_nodes_table(self):
        names = {
            "kind": B.R_KIND,
            "subkind": B.R_SUBKIND,
            "ast_type": B.R_AST,
            "name": B.R_NAME,
            "full_name": B.R_FULL,
            "code": B.R_CODE,
            "line": B.R_LINE,
            "col": B.R_COL,
            "end_line": B.R_ELINE,
            "end_col": B.R_ECOL,
            "parent": B.R_PARENT,
            "order": B.R_ORDER,
            "method": B.R_METHOD,
            "resolution": B.R_RES,
        }
        columns = NODES.names[2:-1]  # after module and id, before reachable
        assert sorted(names, key=names.get) == columns
        assert sorted(names.values()) == list(range(len(columns)))
        assert len(columns) == B.ROW_WIDTH

    def test_method_row_fields_are_the_methods_columns(self):
        assert list(B.MethodRow._fields) == METHODS.names[1:]  # after module

    def test_built_rows_have_the_layout(self):
        src = "def f(x):\n    return g(x)\n"
        build = B.Builder(src, "m", False, 10**6).build(ast.parse(src))
        assert {len(r) for r in build.rows} == {B.ROW_WIDTH}
        f = next(r for r in build.method_rows if r.name == "f")
        assert (f.full_name, f.parameters, f.fan_out) == ("m.f", 1, 1)


class TestEdgeBuffers:
    def test_one_buffer_per_derived_edge_kind_in_order(self):
        buffers = B.EdgeBuffers()
        kinds = [kind for kind, _ in buffers.in_order()]
        assert kinds == list(B.EDGE_ORDER[1:])
        assert sorted(B.EdgeBuffers.__slots__) == sorted(k.lower() for k in kinds)
        for _, columns in buffers.in_order():
            assert columns == B.EdgeColumns([], [], [])

    def test_columns_are_filled_by_kind(self):
        src = "def f(x):\n    return x\nf(1)\n"
        build = B.Builder(src, "m", False, 10**6).build(ast.parse(src))
        call = build.edges.call
        assert len(call.src) == len(call.dst) == len(call.label) == 1
        assert call.label == ["local"]
        assert build.edges.argument.label == ["1"]


class TestFrameStack:
    """``_jump`` hands a front to the innermost frame that takes it."""

    @pytest.fixture
    def builder(self):
        b = B.Builder("", "m", False, 10**6)
        b.meth = B._Method(0)
        return b

    def test_loop_takes_break_and_continue(self, builder):
        loop = B.LoopFrame(head=5)
        builder.meth.frames.append(loop)
        builder._jump(B.Jump.BREAK, [(7, None)])
        builder._jump(B.Jump.CONTINUE, [(8, None)])
        assert loop.breaks == [(7, None)]
        assert builder.meth.edges == [(8, 5, None)]

    def test_raise_passes_a_loop_to_the_except(self, builder):
        exc = B.ExceptFrame()
        builder.meth.frames += [exc, B.LoopFrame(head=5)]
        builder._jump(B.Jump.RAISE, [(7, "exception")])
        assert exc.raised == [(7, "exception")]

    def test_finally_takes_every_jump_and_records_its_kind(self, builder):
        loop, fin = B.LoopFrame(head=1), B.FinallyFrame()
        builder.meth.frames += [loop, fin, B.ExceptFrame()]
        builder._jump(B.Jump.RETURN, [(3, None)])
        builder._jump(B.Jump.BREAK, [(4, None)])
        assert fin.entries == {B.Jump.RETURN: [(3, None)], B.Jump.BREAK: [(4, None)]}
        assert loop.breaks == []

    def test_with_takes_raises_only(self, builder):
        loop, with_ = B.LoopFrame(head=1), B.WithFrame()
        builder.meth.frames += [loop, with_]
        builder._jump(B.Jump.RAISE, [(3, "exception")])
        builder._jump(B.Jump.BREAK, [(4, None)])
        assert with_.raised == [(3, "exception")]
        assert loop.breaks == [(4, None)]

    def test_what_no_frame_takes_leaves_the_method(self, builder):
        builder.meth.frames.append(B.LoopFrame(head=1))
        builder._jump(B.Jump.RETURN, [(3, None)])
        builder._jump(B.Jump.RAISE, [(4, "exception")])
        assert builder.meth.exits == [(3, None), (4, "exception")]
