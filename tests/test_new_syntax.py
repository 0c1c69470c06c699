"""Syntax of Python 3.12 and 3.13 (PEP 695 type parameters and aliases, PEP 701 f-strings,
PEP 696 defaults): the frontend reads the running interpreter's ``ast``, so these run on 3.12+
only (``tests/test_newest_python.py`` runs them under the newest interpreter installed)."""

from __future__ import annotations

import sys

import pytest
from helpers import Graph

import workbench as wb

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 12), reason="PEP 695/701 syntax needs Python 3.12+ to parse"
)


def _nodes(cpg, **match):
    return [r for r in cpg.nodes.to_pylist() if all(r[k] == v for k, v in match.items())]


class TestTypeParameters:
    def test_generic_function(self):
        cpg = wb.build_cpg("def first[T: int, *Ts, **P](x: T, *a: *Ts) -> T:\n    return x\n")
        params = _nodes(cpg, kind="LOCAL", subkind="TYPE_PARAM")
        assert [(p["name"], p["ast_type"]) for p in params] == [
            ("T", "TypeVar"),
            ("Ts", "TypeVarTuple"),
            ("P", "ParamSpec"),
        ]
        ref = _nodes(cpg, kind="METHOD_REF", name="first")[0]
        assert {p["parent"] for p in params} == {ref["id"]}
        bound = _nodes(cpg, parent=params[0]["id"])
        assert [b["code"] for b in bound] == ["int"]
        assert "UNKNOWN" not in set(cpg.nodes["kind"].to_pylist())

    def test_type_parameters_are_not_module_definitions(self):
        g = Graph("T = 1\ndef f[T](x: T) -> T:\n    return x\nprint(T)\n")
        assert g.reaching("print(T)", "T") == {"T = 1"}
        assert g.reaching("def f[T](x: T) -> T:", "T") == set()

    def test_generic_class_methods_keep_their_receiver(self):
        cpg = wb.build_cpg(
            "class Box[T]:\n"
            "    def get(self) -> T:\n"
            "        return self.load()\n"
            "    def load[U](self, default: U) -> T | U:\n"
            "        return self.get()\n",
            "m.py",
        )
        calls = {
            r["name"]: r for r in _nodes(cpg, kind="CALL") if r["name"] in ("self.load", "self.get")
        }
        assert calls["self.load"]["full_name"] == "m.Box.load"
        assert calls["self.get"]["full_name"] == "m.Box.get"

    @pytest.mark.skipif(sys.version_info < (3, 13), reason="PEP 696 defaults need 3.13")
    def test_type_parameter_defaults(self):
        cpg = wb.build_cpg("def f[T = int, *Ts = *tuple[int], **P = [str]](): pass\n")
        params = _nodes(cpg, kind="LOCAL", subkind="TYPE_PARAM")
        assert [r["code"] for p in params for r in _nodes(cpg, parent=p["id"])] == [
            "int",
            "*tuple[int]",
            "[str]",
        ]


class TestTypeAlias:
    def test_alias_defines_its_name(self):
        g = Graph("type Pair[K] = tuple[K, K]\nx: Pair[int] = (1, 2)\nprint(Pair)\n")
        alias = _nodes(g.cpg, ast_type="TypeAlias")[0]
        assert (alias["kind"], alias["name"]) == ("CALL", "<operator>.assignment")
        assert g.reaching("print(Pair)", "Pair") == {"type Pair[K] = tuple[K, K]"}
        assert_cfg_entry = g.succ("ENTRY")
        assert assert_cfg_entry == {("type Pair[K] = tuple[K, K]", None)}


class TestFStrings:
    def test_pep_701_quotes_and_nesting(self):
        src = 'def f(d):\n    return f"{d["k"]} {f"{d["j"]!r}"} {\n        d["m"]\n    }"\n'
        cpg = wb.build_cpg(src)
        assert "UNKNOWN" not in set(cpg.nodes["kind"].to_pylist())
        subs = [r["code"] for r in _nodes(cpg, ast_type="Subscript")]
        assert subs == ['d["k"]', 'd["j"]', 'd["m"]']
