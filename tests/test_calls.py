"""Call sites: callee as written, resolved full name, resolution, CALL/ARGUMENT/RECEIVER edges,
and the project-level linker."""

from __future__ import annotations

import textwrap

import pytest

import workbench as wb

SRC = """
import os
import os.path as osp
import subprocess
from json import loads as parse
from . import sibling
from ..pkg import other

def helper(x):
    return x

class Base:
    def __init__(self):
        pass
    def greet(self):
        return 1

class Child(Base):
    def run(self, cmd):
        os.system(cmd)
        osp.join("a", cmd)
        subprocess.run([cmd], shell=True)
        parse(cmd)
        self.greet()
        self.run(cmd)
        super().greet()
        self.missing()
        Child.run(self, cmd)
        sibling.go()
        other()
        helper(1)
        len(cmd)
        cb = helper
        cb(2)
        cmd.strip()

    @classmethod
    def make(cls):
        return cls.greet(None)

def main():
    c = Child()
    helper = lambda v: v
    helper(3)
    def inner():
        return 0
    inner()
"""


@pytest.fixture(scope="module")
def calls():
    cpg = wb.build_cpg(textwrap.dedent(SRC), path="pkg/sub/mod.py")
    nodes = cpg.nodes.to_pylist()
    by_id = {r["id"]: r for r in nodes}
    out = {}
    for r in nodes:
        if r["kind"] == "CALL" and r["subkind"] is None:
            out.setdefault(r["code"], r)
    edges = cpg.edges.to_pylist()
    return cpg, by_id, out, edges


@pytest.mark.parametrize(
    ("code", "full", "resolution"),
    [
        ("os.system(cmd)", "os.system", "import"),
        ('osp.join("a", cmd)', "os.path.join", "import"),
        ("subprocess.run([cmd], shell=True)", "subprocess.run", "import"),
        ("parse(cmd)", "json.loads", "import"),
        ("self.greet()", "pkg.sub.mod.Base.greet", "method"),
        ("self.run(cmd)", "pkg.sub.mod.Child.run", "method"),
        ("super().greet()", "pkg.sub.mod.Base.greet", "method"),
        ("self.missing()", "pkg.sub.mod.Child.missing", "method"),
        ("Child.run(self, cmd)", "pkg.sub.mod.Child.run", "method"),
        ("sibling.go()", "pkg.sub.sibling.go", "import"),
        ("other()", "pkg.pkg.other", "import"),
        ("helper(1)", "pkg.sub.mod.helper", "local"),
        ("len(cmd)", "builtins.len", "builtin"),
        ("cb(2)", "cb", "unresolved"),
        ("cmd.strip()", "cmd.strip", "unresolved"),
        ("cls.greet(None)", "pkg.sub.mod.Base.greet", "method"),
        ("Child()", "pkg.sub.mod.Base.__init__", "class"),
        ("helper(3)", "helper", "unresolved"),  # shadowed by a local variable
        ("inner()", "pkg.sub.mod.main.<locals>.inner", "local"),
    ],
)
def test_resolution(calls, code, full, resolution):
    _, _, by_code, _ = calls
    row = by_code[code]
    assert (row["full_name"], row["resolution"]) == (full, resolution)


def test_callee_as_written(calls):
    _, _, by_code, _ = calls
    assert by_code["os.system(cmd)"]["name"] == "os.system"
    assert by_code["super().greet()"]["name"] == "super().greet"


def test_call_edges_point_at_methods_of_this_module(calls):
    _, by_id, _, edges = calls
    targets = {
        by_id[e["src"]]["code"]: (by_id[e["dst"]]["kind"], by_id[e["dst"]]["full_name"], e["label"])
        for e in edges
        if e["kind"] == "CALL"
    }
    assert targets["helper(1)"] == ("METHOD", "pkg.sub.mod.helper", "local")
    assert targets["self.greet()"] == ("METHOD", "pkg.sub.mod.Base.greet", "method")
    assert targets["Child()"] == ("METHOD", "pkg.sub.mod.Base.__init__", "class")
    assert "os.system(cmd)" not in targets  # external: full name on the node, no edge
    assert "self.missing()" not in targets


def test_argument_and_receiver_edges(calls):
    _, by_id, by_code, edges = calls
    call = by_code["subprocess.run([cmd], shell=True)"]["id"]
    args = sorted(
        (e["label"], by_id[e["dst"]]["code"])
        for e in edges
        if e["kind"] == "ARGUMENT" and e["src"] == call
    )
    assert args == [("1", "[cmd]"), ("shell", "True")]
    recv = [by_id[e["dst"]]["code"] for e in edges if e["kind"] == "RECEIVER" and e["src"] == call]
    assert recv == ["subprocess"]


def test_method_metrics_fan_out(calls):
    cpg = calls[0]
    m = {r["full_name"]: r for r in cpg.methods.to_pylist()}
    assert m["pkg.sub.mod.main"]["fan_out"] == 3  # Child(), helper(3), inner()


def test_project_links_calls_across_modules(tmp_path):
    files = {
        "app/__init__.py": "from .util import helper as assist\n",
        "app/util.py": "def helper(x):\n    return x\n\nclass Store:\n    def __init__(self):"
        "\n        self.items = []\n    def add(self, v):\n        self.items.append(v)\n",
        "app/main.py": textwrap.dedent(
            """
            import app
            from app.util import Store
            from . import util
            from .util import helper

            def run():
                s = Store()
                util.helper(1)
                helper(2)
                app.assist(3)
                s.add(4)
            """
        ),
    }
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    proj = wb.build_project(tmp_path)
    calls = proj.calls()
    run = calls[calls.caller == "app.main.run"].set_index("written")
    assert run.loc["Store", "callee"] == "app.util.Store"
    assert run.loc["Store", "callee_module"] == "app.util"
    for written in ("util.helper", "helper", "app.assist"):
        assert run.loc[written, "callee_module"] == "app.util", written
    main = proj.module("app/main.py")
    util = proj.module("app.util")
    cross = main.edges.filter(
        __import__("pyarrow.compute").compute.is_valid(main.edges["dst_module"])
    ).to_pylist()
    assert len(cross) == 4
    assert {e["dst_module"] for e in cross} == {util.module.key}
    targets = {r["id"]: r["full_name"] for r in util.nodes.to_pylist()}
    assert {targets[e["dst"]] for e in cross} == {"app.util.helper", "app.util.Store.__init__"}


def test_a_call_at_module_level_is_not_a_name_the_module_defines(tmp_path):
    """``other.make()`` in ``m``'s body binds no ``m.make``: importing ``make`` from ``m``
    finds nothing to call (Python would raise ImportError), never ``other.make``."""
    files = {
        "other.py": "def make():\n    return 1\n",
        "m.py": "import other\n\nother.make()\n",
        "n.py": "from m import make\n\n\ndef run():\n    make()\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).write_text(text)
    calls = wb.build_project(tmp_path).calls()
    rows = calls[["caller", "written", "callee", "callee_module"]].to_dict("records")
    assert rows == [
        {"caller": "m.<module>", "written": "other.make", "callee": "other.make",
         "callee_module": "other"},
        {"caller": "n.run", "written": "make", "callee": "m.make", "callee_module": None},
    ]  # fmt: skip
