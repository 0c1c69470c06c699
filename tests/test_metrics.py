"""Per-method metrics, and agreement with the mccabe package users compare against."""

from __future__ import annotations

import ast
import os
import sysconfig
import textwrap
import warnings

import mccabe
import pytest

import workbench as wb
from workbench.errors import SourceError

STDLIB = sysconfig.get_paths()["stdlib"]


def methods(src: str) -> dict[str, dict]:
    cpg = wb.build_cpg(textwrap.dedent(src), path="m.py")
    return {r["full_name"].removeprefix("m."): r for r in cpg.methods.to_pylist()}


def mccabe_scores(text: str) -> dict[str, int]:
    """What mccabe reports: graph key -> complexity, for function graphs only."""
    visitor = mccabe.PathGraphingAstVisitor()
    with warnings.catch_warnings():  # the analysed files' own warnings
        warnings.simplefilter("ignore")
        tree = ast.parse(text)
    visitor.preorder(tree, visitor)
    return {key: graph.complexity() for key, graph in visitor.graphs.items() if " " not in key}


def disagreements(text: str, path: str) -> list[tuple[str, int, int]]:
    cpg = wb.build_cpg(text, path=path)
    methods = cpg.methods.select(["full_name", "subkind", "mccabe"]).to_pylist()
    functions = [(m["full_name"], m["subkind"], m["mccabe"]) for m in methods]
    return compare_with_mccabe(text, path, cpg.module.name, functions)


def compare_with_mccabe(
    text: str, path: str, module: str, functions: list[tuple[str, str, int]]
) -> list[tuple[str, int, int]]:
    """(key, mccabe's score, ours) for each function of ``module`` (its methods as
    ``(full_name, subkind, mccabe)``) that mccabe scores differently."""
    prefix = module + "."
    ours: dict[str, int] = {}
    for full_name, subkind, score in functions:  # mccabe keeps the last of duplicate names
        if subkind == "FUNCTION":
            ours[full_name.removeprefix(prefix)] = score
    out = []
    for key, score in mccabe_scores(text).items():
        if key in ours and ours[key] != score:
            out.append((key, score, ours[key]))
        assert key in ours, f"{path}: mccabe reports {key!r}, which we do not know"
    return out


class TestCyclomatic:
    def test_straight_line_is_one(self):
        assert methods("def f():\n    return 1\n")["f"]["cyclomatic"] == 1

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ("if a:\n    x()\n", 2),
            ("if a:\n    x()\nelif b:\n    y()\nelse:\n    z()\n", 3),
            ("while a:\n    x()\n", 2),
            ("for i in a:\n    x()\n", 2),
            ("for i in a:\n    if i:\n        break\nelse:\n    z()\n", 3),
            ("try:\n    x()\nexcept A:\n    y()\nexcept B:\n    z()\n", 3),
            ("match a:\n    case 1:\n        x()\n    case _:\n        y()\n", 2),
            ("assert a\n", 1),
            ("raise ValueError(a)\n", 1),
            ("if a:\n    raise E\nreturn b\n", 2),
            ("while True:\n    pass\n", 2),
            ("with a as b:\n    x()\n", 1),
        ],
    )
    def test_decisions(self, body, expected):
        src = "def f(a, b):\n" + textwrap.indent(body, "    ")
        assert methods(src)["f"]["cyclomatic"] == expected


class TestOtherMetrics:
    def test_nesting_statements_params(self):
        m = methods(
            """
            def f(a, b=1, *c, d, **e):
                if a:
                    for x in b:
                        while x:
                            x -= 1
                elif b:
                    pass
                def inner():
                    if a:
                        return 1
                return 2
            """
        )
        f = m["f"]
        assert f["parameters"] == 5
        assert f["nesting"] == 3  # if > for > while; elif is not deeper
        assert f["statements"] == 8  # if, for, while, -=, pass, def, return, (elif's if)
        assert m["f.<locals>.inner"]["nesting"] == 1

    def test_unreachable_counts(self):
        assert methods("def f():\n    return 1\n    x = 2\n")["f"]["unreachable"] == 1


class TestMcCabeAgreement:
    @pytest.mark.parametrize(
        "src",
        [
            "def f(a):\n    if a:\n        return 1\n    return 2\n",
            "def f(a):\n    def g():\n        if a:\n            pass\n    return g\n",
            "def f(a):\n    try:\n        x()\n    except A:\n        pass\n    finally:\n"
            "        if a:\n            pass\n",
            "def f(a):\n    match a:\n        case 1:\n            if a:\n                pass\n",
            "def f(a):\n    class K:\n        def m(self):\n            if a:\n"
            "                pass\n",
            "def f(a):\n    with a:\n        for i in a:\n            pass\n        else:\n"
            "            pass\n",
            "def f(a):\n    return [x for x in a if x] and (lambda: 1 if a else 2)\n",
            "class A:\n    def m(self):\n        while self:\n            pass\n",
        ],
    )
    def test_constructs(self, src):
        assert disagreements(src, "m.py") == []

    def test_stdlib_sample(self):
        """A fixed sample of stdlib modules; the whole stdlib is the slow test."""
        names = [
            "argparse.py",
            "ast.py",
            "difflib.py",
            "inspect.py",
            "json/decoder.py",
            "pathlib.py",
            "subprocess.py",
            "tarfile.py",
            "typing.py",
            "email/_header_value_parser.py",
        ]
        for rel in names:
            with open(os.path.join(STDLIB, rel), "rb") as fh:
                text = fh.read().decode("utf-8")
            assert disagreements(text, rel) == [], rel

    @pytest.mark.slow
    @pytest.mark.xdist_group("stdlib")
    def test_whole_stdlib(self, stdlib_builds):
        checked = 0
        bad = []
        for b in stdlib_builds:  # each module built once, shared with test_stdlib
            if isinstance(b.error, SourceError):
                continue
            if b.error is not None:
                raise b.error
            with open(b.path, "rb") as fh:
                data = fh.read()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            bad += compare_with_mccabe(text, b.rel, b.module, b.functions)
            checked += 1
        assert checked > 1500
        assert bad == []
