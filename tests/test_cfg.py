"""Control flow, construct by construct, asserted by source text."""

from __future__ import annotations

from helpers import Graph, assert_cfg, assert_no_cfg


class TestSequenceAndIf:
    def test_straight_line(self):
        g = Graph("def f():\n    a = 1\n    b = 2\n", "f")
        assert_cfg(g, "ENTRY", "a = 1", None)
        assert_cfg(g, "a = 1", "b = 2", None)
        assert_cfg(g, "b = 2", "EXIT", None)

    def test_if_elif_else(self):
        g = Graph(
            """
            def f(x, y):
                if x > y:
                    y = 3
                elif x < 0:
                    y = 4
                else:
                    y = 5
                z = 1
            """,
            "f",
        )
        assert_cfg(g, "x > y", "y = 3", "true")
        assert_cfg(g, "x > y", "x < 0", "false")
        assert_cfg(g, "x < 0", "y = 4", "true")
        assert_cfg(g, "x < 0", "y = 5", "false")
        for s in ("y = 3", "y = 4", "y = 5"):
            assert g.succ(s) == {("z = 1", None)}

    def test_if_without_else_falls_through(self):
        g = Graph("def f(c):\n    if c:\n        a = 1\n    b = 2\n", "f")
        assert g.succ("c") == {("a = 1", "true"), ("b = 2", "false")}

    def test_boolean_operators_stay_inside_one_condition(self):
        g = Graph("def f(a, b):\n    if a and b:\n        x = 1\n", "f")
        assert g.succ("a and b") == {("x = 1", "true"), ("EXIT", "false")}


class TestLoops:
    def test_while_else_break_continue(self):
        g = Graph(
            """
            def f(n):
                while n > 0:
                    n -= 1
                    if n == 5:
                        break
                    if n == 7:
                        continue
                    work(n)
                else:
                    done()
                after()
            """,
            "f",
        )
        assert_cfg(g, "n > 0", "n -= 1", "true")
        assert_cfg(g, "n > 0", "done()", "false")
        assert_cfg(g, "break", "after()")
        assert_no_cfg(g, "break", "done()")
        assert_cfg(g, "continue", "n > 0")
        assert_cfg(g, "work(n)", "n > 0")
        assert_cfg(g, "done()", "after()")

    def test_while_true_has_no_false_edge(self):
        g = Graph(
            "def f():\n    while True:\n        if g():\n            break\n    return 1\n", "f"
        )
        assert {lab for _, lab in g.succ("True")} == {"true"}
        assert_cfg(g, "break", "return 1")

    def test_code_after_endless_loop_is_unreachable(self):
        g = Graph("def f():\n    while True:\n        pass\n    x = 1\n", "f")
        row = g.rows[g.id("x = 1")]
        assert row["reachable"] is False
        assert g.rows[g.id("pass")]["reachable"] is True

    def test_for_else(self):
        g = Graph(
            """
            def f(items):
                for i in items:
                    if i:
                        break
                else:
                    none()
                after()
            """,
            "f",
        )
        assert_cfg(g, "ENTRY", "items")  # the iterable is evaluated once, first
        assert_cfg(g, "items", "for i in items:")
        assert_cfg(g, "for i in items:", "i", "true")
        assert_cfg(g, "for i in items:", "none()", "false")
        assert_cfg(g, "i", "for i in items:", "false")  # next item
        assert_cfg(g, "break", "after()")
        assert_cfg(g, "none()", "after()")

    def test_async_for_and_nested_loops_continue_to_their_own_header(self):
        g = Graph(
            """
            async def f(a, b):
                async for x in a:
                    for y in b:
                        continue
                    await g(x)
            """,
            "f",
        )
        assert_cfg(g, "continue", "for y in b:")
        assert_cfg(g, "for y in b:", "await g(x)", "false")
        assert_cfg(g, "await g(x)", "async for x in a:")
        assert g.cpg.methods.to_pylist()[0]["is_async"] is True


class TestTry:
    def test_except_else_finally(self):
        g = Graph(
            """
            def f():
                try:
                    a()
                except ValueError as e:
                    b(e)
                except:
                    c()
                else:
                    d()
                finally:
                    z()
                after()
            """,
            "f",
        )
        assert_cfg(g, "a()", "except ValueError as e:", "exception")
        assert_cfg(g, "except ValueError as e:", "b(e)", "true")
        assert_cfg(g, "except ValueError as e:", "except:", "false")
        assert_cfg(g, "except:", "c()", "true")
        assert {lab for _, lab in g.succ("except:")} == {"true"}  # bare except always matches
        assert_cfg(g, "a()", "d()", None)
        for s in ("b(e)", "c()", "d()"):
            assert_cfg(g, s, "z()")
        assert_cfg(g, "z()", "after()", None)
        # exceptions from handlers and else run the finally, then leave the method
        assert_cfg(g, "b(e)", "z()", "exception")
        assert_cfg(g, "d()", "z()", "exception")
        assert_cfg(g, "z()", "EXIT", "exception")

    def test_finally_runs_on_return_break_continue(self):
        g = Graph(
            """
            def f(xs):
                for x in xs:
                    try:
                        if x == 1:
                            return x
                        if x == 2:
                            break
                        if x == 3:
                            continue
                    finally:
                        cleanup()
                end()
            """,
            "f",
        )
        assert_cfg(g, "return x", "cleanup()")
        assert_cfg(g, "break", "cleanup()")
        assert_cfg(g, "continue", "cleanup()")
        assert_no_cfg(g, "return x", "EXIT")
        succ = {s for s, _ in g.succ("cleanup()")}
        assert {"EXIT", "end()", "for x in xs:"} <= succ

    def test_unmatched_exception_propagates_to_outer_handler(self):
        g = Graph(
            """
            def f():
                try:
                    try:
                        a()
                    except KeyError:
                        b()
                except Exception:
                    c()
            """,
            "f",
        )
        assert_cfg(g, "except KeyError:", "except Exception:", "false")
        assert_cfg(g, "b()", "except Exception:", "exception")
        assert_cfg(g, "except Exception:", "EXIT", "false")

    def test_raise_without_try_leaves_the_method(self):
        g = Graph("def f(x):\n    if x:\n        raise ValueError(x)\n    return 1\n", "f")
        assert g.succ("raise ValueError(x)") == {("EXIT", "exception")}

    def test_return_inside_finally_wins(self):
        g = Graph("def f():\n    try:\n        return 1\n    finally:\n        return 2\n", "f")
        assert_cfg(g, "return 1", "return 2")
        assert g.succ("return 2") == {("EXIT", None)}

    def test_try_star(self):
        g = Graph(
            """
            def f():
                try:
                    a()
                except* ValueError:
                    b()
                except* TypeError:
                    c()
                d()
            """,
            "f",
        )
        assert_cfg(g, "a()", "except* ValueError:", "exception")
        assert_cfg(g, "b()", "except* TypeError:")  # later clauses still see the rest
        assert_cfg(g, "except* ValueError:", "except* TypeError:", "false")
        assert_cfg(g, "c()", "d()")
        assert_cfg(g, "except* TypeError:", "EXIT", "false")

    def test_statements_that_cannot_raise_have_no_exception_edge(self):
        g = Graph("def f():\n    try:\n        pass\n    except E:\n        pass\n", "f")
        assert ("EXIT", None) not in g.succ("ENTRY")
        assert not [1 for s, lab in g.succ("ENTRY") if lab == "exception"]


class TestOtherStatements:
    def test_with_binds_and_flows(self):
        g = Graph(
            """
            async def f(p):
                with open(p) as fh, lock:
                    data = fh.read()
                async with session() as s:
                    await s.send(data)
            """,
            "f",
        )
        assert_cfg(g, "ENTRY", "with open(p) as fh, lock:")
        assert_cfg(g, "with open(p) as fh, lock:", "data = fh.read()")
        assert_cfg(g, "data = fh.read()", "async with session() as s:")
        assert g.reaching("data = fh.read()", "fh") == {"with open(p) as fh, lock:"}

    def test_match_with_guards(self):
        g = Graph(
            """
            def f(cmd):
                match cmd:
                    case ["go", direction] if direction:
                        go(direction)
                    case {"x": 0}:
                        origin()
                    case Point(x=0) | None:
                        axis()
                    case _:
                        other()
                done()
            """,
            "f",
        )
        assert_cfg(g, "cmd", 'case ["go", direction] if direction')
        assert_cfg(g, 'case ["go", direction] if direction', "direction", "true")
        assert_cfg(g, "direction", "go(direction)", "true")
        assert_cfg(g, "direction", 'case {"x": 0}', "false")
        assert_cfg(g, 'case ["go", direction] if direction', 'case {"x": 0}', "false")
        assert_cfg(g, 'case {"x": 0}', "case Point(x=0) | None", "false")
        assert g.succ("case _") == {("other()", "true")}  # irrefutable: no false edge
        for s in ("go(direction)", "origin()", "axis()", "other()"):
            assert_cfg(g, s, "done()")
        assert g.reaching("go(direction)", "direction") == {'case ["go", direction] if direction'}

    def test_match_without_irrefutable_case_can_fall_through(self):
        g = Graph("def f(x):\n    match x:\n        case 1:\n            a()\n    b()\n", "f")
        assert_cfg(g, "case 1", "b()", "false")

    def test_assert(self):
        g = Graph("def f(x):\n    assert x > 0, 'neg'\n    return x\n", "f")
        assert g.succ("assert x > 0, 'neg'") == {("return x", "true"), ("EXIT", "exception")}

    def test_del_global_nonlocal_pass(self):
        g = Graph(
            """
            def f():
                global G
                x = 1
                del x
                pass
            """,
            "f",
        )
        assert_cfg(g, "global G", "x = 1")
        assert_cfg(g, "del x", "pass")
        assert g.rows[g.id("global G")]["kind"] == "LOCAL"

    def test_yield_and_await_flags(self):
        g = Graph("def gen(n):\n    yield n\n    yield from range(n)\n")
        m = {r["name"]: r for r in g.cpg.methods.to_pylist()}
        assert m["gen"]["is_generator"] is True
        assert m["gen"]["is_async"] is False


NESTED = """
def outer(a):
    x = 1
    def inner(b):
        return b + x
    class K(Base):
        attr = 2
        def m(self):
            return self.attr
    return inner(a)
"""


class TestMethods:
    def test_nested_def_and_class_are_statements_with_bodies_of_their_own(self):
        g = Graph(NESTED)
        outer = Graph(NESTED, "outer")
        assert_cfg(outer, "x = 1", "def inner(b):")
        assert_cfg(outer, "def inner(b):", "class K(Base):")
        assert_cfg(outer, "class K(Base):", "return inner(a)")
        fulls = set(g.cpg.methods["full_name"].to_pylist())
        assert {
            "t.<module>",
            "t.outer",
            "t.outer.<locals>.inner",
            "t.outer.<locals>.K.<body>",
            "t.outer.<locals>.K.m",
        } <= fulls
        inner = Graph("def outer(a):\n    def inner(b):\n        return b + 1\n", "inner")
        assert inner.succ("ENTRY") == {("return b + 1", None)}

    def test_every_method_has_one_entry_and_one_exit(self):
        g = Graph(
            """
            class A:
                def m(self, xs):
                    f = lambda v: v * 2
                    return [f(x) for x in xs if x], {k: v for k, v in xs}, (y for y in xs)
            """
        )
        nodes = g.cpg.nodes.to_pylist()
        for mid in g.cpg.methods["id"].to_pylist():
            kinds = [r["kind"] for r in nodes if r["method"] == mid]
            assert kinds.count("METHOD") == 1
            assert kinds.count("METHOD_RETURN") == 1
        subkinds = sorted(g.cpg.methods["subkind"].to_pylist())
        assert subkinds == sorted(
            ["MODULE", "CLASS_BODY", "FUNCTION", "LAMBDA", "LISTCOMP", "DICTCOMP", "GENEXP"]
        )

    def test_comprehension_cfg(self):
        comp = Graph("def f(xs):\n    return [x * 2 for x in xs if x > 1]\n", "<listcomp>")
        assert_cfg(comp, "ENTRY", "for x in xs")
        assert_cfg(comp, "for x in xs", "x > 1", "true")
        assert_cfg(comp, "for x in xs", "EXIT", "false")
        assert_cfg(comp, "x > 1", "x * 2", "true")
        assert_cfg(comp, "x > 1", "for x in xs", "false")
        assert_cfg(comp, "x * 2", "for x in xs")
        assert comp.reaching("x * 2", "x") == {"for x in xs"}

    def test_nested_comprehension_generators(self):
        comp = Graph("r = [a + b for a in xs for b in ys(a)]\n", "<listcomp>")
        assert_cfg(comp, "for a in xs", "ys(a)", "true")
        assert_cfg(comp, "ys(a)", "for b in ys(a)")
        assert_cfg(comp, "for b in ys(a)", "for a in xs", "false")
        assert_cfg(comp, "a + b", "for b in ys(a)")


class TestUnreachable:
    def test_statements_after_return_are_kept_and_marked(self):
        g = Graph(
            """
            def f():
                return 1
                x = 2
                if x:
                    y = 3
            """,
            "f",
        )
        for code in ("x = 2", "y = 3"):
            assert g.rows[g.id(code)]["reachable"] is False
        if_node = next(r for r in g.rows.values() if r["ast_type"] == "If")
        assert if_node["reachable"] is False
        assert g.rows[g.id("return 1")]["reachable"] is True
        m = g.cpg.methods.to_pylist()[0]
        assert m["unreachable"] == 3  # x = 2, the test x, y = 3
        assert_cfg(g, "x = 2", "x")  # kept connected among themselves

    def test_nested_def_in_dead_code_is_unreachable_too(self):
        g = Graph("def f():\n    raise E\n    def g():\n        return 1\n")
        dead = {r["code"] for r in g.cpg.nodes.to_pylist() if not r["reachable"]}
        assert "return 1" in dead
