"""REACHING_DEF edges for every binding form."""

from __future__ import annotations

from helpers import Graph


def test_branches_merge():
    g = Graph("def f(c):\n    x = 1\n    if c:\n        x = 2\n    print(x)\n", "f")
    assert g.reaching("print(x)", "x") == {"x = 1", "x = 2"}


def test_redefinition_kills():
    g = Graph("def f():\n    x = 1\n    x = 2\n    return x\n", "f")
    assert g.reaching("return x", "x") == {"x = 2"}


def test_parameters_reach_their_uses():
    g = Graph("def f(a, /, b, *args, c=1, **kw):\n    return a, b, args, c, kw\n", "f")
    for var in ("a", "b", "args", "c", "kw"):
        assert g.reaching("return a, b, args, c, kw", var) == {"ENTRY"}
    params = [r for r in g.rows.values() if r["kind"] == "METHOD_PARAMETER_IN"]
    assert [(p["name"], p["subkind"]) for p in params] == [
        ("a", "POSITIONAL_ONLY"),
        ("b", "POSITIONAL"),
        ("args", "VARARG"),
        ("c", "KEYWORD_ONLY"),
        ("kw", "KWARG"),
    ]
    # the def node of a parameter is the parameter itself
    defs = {r["src"] for r in g.cpg.edges.to_pylist() if r["kind"] == "REACHING_DEF"}
    assert defs == {p["id"] for p in params}


def test_unpacking_and_starred_targets():
    g = Graph("def f(t):\n    a, (b, *c) = t\n    return a + b + len(c)\n", "f")
    for var in "abc":
        assert g.reaching("return a + b + len(c)", var) == {"a, (b, *c) = t"}


def test_augmented_assignment_uses_then_defines():
    g = Graph("def f():\n    x = 1\n    x += 2\n    return x\n", "f")
    assert g.reaching("x += 2", "x") == {"x = 1"}
    assert g.reaching("return x", "x") == {"x += 2"}


def test_chained_assignment_value_first():
    g = Graph("def f(x):\n    x = y = x + 1\n    return x, y\n", "f")
    assert g.reaching("x = y = x + 1", "x") == {"ENTRY"}
    assert g.reaching("return x, y", "y") == {"x = y = x + 1"}


def test_for_target_with_as_except_as_walrus():
    g = Graph(
        """
        def f(items, path):
            for i in items:
                use(i)
            with open(path) as fh:
                fh.read()
            try:
                risky()
            except OSError as err:
                log(err)
            if (n := len(items)) > 2:
                print(n)
        """,
        "f",
    )
    assert g.reaching("use(i)", "i") == {"for i in items:"}
    assert g.reaching("fh.read()", "fh") == {"with open(path) as fh:"}
    assert g.reaching("log(err)", "err") == {"except OSError as err:"}
    assert g.reaching("print(n)", "n") == {"(n := len(items)) > 2"}


def test_imports_define_names():
    g = Graph("import os.path\nfrom json import loads as parse\nos.getcwd()\nparse('1')\n")
    assert g.reaching("os.getcwd()", "os") == {"import os.path"}
    assert g.reaching("parse('1')", "parse") == {"from json import loads as parse"}


def test_del_kills():
    g = Graph("def f():\n    x = 1\n    del x\n    return x\n", "f")
    assert g.reaching("del x", "x") == {"x = 1"}
    assert g.reaching("return x", "x") == set()


def test_loop_carried_definitions():
    g = Graph("def f():\n    i = 0\n    while i < 10:\n        i = i + 1\n    return i\n", "f")
    assert g.reaching("i < 10", "i") == {"i = 0", "i = i + 1"}
    assert g.reaching("i = i + 1", "i") == {"i = 0", "i = i + 1"}


def test_global_and_def_and_class_names():
    g = Graph(
        """
        def f():
            global counter
            counter = 1
            def helper():
                pass
            class K:
                pass
            return counter, helper, K
        """,
        "f",
    )
    ret = "return counter, helper, K"
    assert g.reaching(ret, "counter") == {"counter = 1"}
    assert g.reaching(ret, "helper") == {"def helper():"}
    assert g.reaching(ret, "K") == {"class K:"}


def test_attribute_paths():
    g = Graph(
        """
        class A:
            def __init__(self, v):
                self.x = v
                self.y = self.x + 1
        """,
        "__init__",
    )
    assert g.reaching("self.y = self.x + 1", "self.x") == {"self.x = v"}
    assert g.reaching("self.y = self.x + 1", "self") == {"ENTRY"}


def test_definitions_in_try_reach_handlers():
    g = Graph(
        """
        def f():
            x = 0
            try:
                x = compute()
            except Exception:
                return x
        """,
        "f",
    )
    assert g.reaching("return x", "x") == {"x = 0", "x = compute()"}


def test_reaching_def_edges_are_labelled_with_the_variable():
    g = Graph("def f(a):\n    b = a\n    return b\n", "f")
    assert {lab for _, _, k, lab in g.edges if k == "REACHING_DEF"} == {"a", "b"}
