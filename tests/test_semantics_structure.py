"""Coupling, cohesion, smells and function summaries (workbench.analysis.semantics, issue 13):
hand-computed examples, each smell at and just below its threshold, bad input."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.analysis.semantics.coupling import (
    CLASS_COUPLING_COLUMNS,
    DEPENDENCY_COLUMNS,
    LCOM4_COLUMNS,
    MODULE_COUPLING_COLUMNS,
    class_coupling,
    lcom4,
    module_coupling,
    module_dependencies,
)
from workbench.analysis.semantics.smells import (
    SMELL_COLUMNS,
    SMELLS,
    cyclic_dependencies,
    dead_code,
    feature_envy,
    god_class,
    long_parameter_list,
    shotgun_surgery,
    smells,
)
from workbench.analysis.semantics.summaries import SUMMARY_COLUMNS, function_summaries
from workbench.analysis.tables import CodeTables
from workbench.cpg.ids import module_key
from workbench.errors import AlgorithmError

PUBLIC = [
    module_dependencies,
    module_coupling,
    class_coupling,
    lcom4,
    function_summaries,
    smells,
    *SMELLS.values(),
]
COLUMNS = {
    module_dependencies: DEPENDENCY_COLUMNS,
    module_coupling: MODULE_COUPLING_COLUMNS,
    class_coupling: CLASS_COUPLING_COLUMNS,
    lcom4: LCOM4_COLUMNS,
    function_summaries: SUMMARY_COLUMNS,
    smells: SMELL_COLUMNS,
    **dict.fromkeys(SMELLS.values(), SMELL_COLUMNS),
}


def tables(src: str, path: str = "m.py") -> CodeTables:
    return CodeTables.read(wb.build_cpg(textwrap.dedent(src), path=path))


def project(root: Path, files: dict[str, str]) -> CodeTables:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    return CodeTables.read(wb.build_project(root))


def by(frame: pd.DataFrame, column: str) -> dict:
    return {r[column]: r for r in frame.to_dict("records")}


def evidence(frame: pd.DataFrame) -> list[dict]:
    return [json.loads(e) for e in frame["evidence"]]


# -- LCOM4 ----------------------------------------------------------------------------------------

LCOM_SRC = """
import abc

class Cohesive:
    def __init__(self):
        self.a = 0
        self.b = 0
    def f(self):
        return self.a
    def g(self):
        self.a += 1
        return self.b
    def h(self):
        return self.b

class Halves:
    def f(self):
        return self.a
    def g(self):
        self.a = 1
    def h(self):
        return self.b
    def k(self):
        self.b = 2

class Joined:
    def f(self):
        return self.a
    def g(self):
        self.a = 1
    def h(self):
        return self.b + self.f()
    def k(self):
        self.b = 2

class Lonely:
    def f(self):
        return self.a
    def g(self):
        self.a = 1
    def util(self, x):
        return x * 2

class Conventions:
    def __init__(self):
        self.a = self.b = 0
    @property
    def a_value(self):
        return self.a
    @a_value.setter
    def a_value(self, v):
        self.a = v
    def bump_b(self):
        self.b += 1
    def todo(self):
        "Subclasses say."
        raise NotImplementedError
    def nothing(self):
        pass
    @abc.abstractmethod
    def api(self):
        return self.b
    @staticmethod
    def helper(x):
        return x
    def uses_helper(self):
        return self.helper(self.b)
    @classmethod
    def make(cls):
        return cls.a_value

class Empty:
    x = 1

class Inherits(Cohesive):
    def f(self):
        return self.a
    def g(self):
        return self.inherited()
    def h(self):
        return self.inherited()

class Closures:
    def f(self):
        return [self.a for _ in range(3)]
    def g(self):
        def inner():
            return self.a
        return inner
"""


@pytest.fixture(scope="module")
def lcom_result():
    return by(lcom4(tables(LCOM_SRC)), "class")


class TestLcom4:
    @pytest.fixture
    def result(self, lcom_result):
        return lcom_result

    def test_columns_and_order(self, result):
        assert list(result) == [
            "m.Cohesive",
            "m.Halves",
            "m.Joined",
            "m.Lonely",
            "m.Conventions",
            "m.Empty",
            "m.Inherits",
            "m.Closures",
        ]

    def test_cohesive_is_one(self, result):
        r = result["m.Cohesive"]
        assert (r["lcom4"], r["components"]) == (1, [["f", "g", "h"]])
        assert r["methods"] == ["f", "g", "h"]  # __init__ left out
        assert r["attributes"] == ["a", "b"]

    def test_two_disjoint_halves(self, result):
        r = result["m.Halves"]
        assert (r["lcom4"], r["components"]) == (2, [["f", "g"], ["h", "k"]])

    def test_joined_through_a_self_call(self, result):
        assert result["m.Joined"]["lcom4"] == 1

    def test_method_using_nothing_is_its_own_component(self, result):
        r = result["m.Lonely"]
        assert (r["lcom4"], r["components"]) == (2, [["f", "g"], ["util"]])

    def test_conventions(self, result):
        # __init__ (joins a and b), empty (`nothing`), abstract (`todo`, `api`) left out;
        # the property's getter and setter are one vertex; cls is a classmethod's self; a
        # staticmethod joins through self.helper(...)
        r = result["m.Conventions"]
        assert r["methods"] == ["a_value", "bump_b", "helper", "make", "uses_helper"]
        assert r["attributes"] == ["a", "b"]
        assert r["components"] == [["a_value", "make"], ["bump_b", "helper", "uses_helper"]]
        assert r["lcom4"] == 2

    def test_no_method_is_zero(self, result):
        assert (result["m.Empty"]["lcom4"], result["m.Empty"]["components"]) == (0, [])

    def test_calls_to_inherited_methods_join_nothing(self, result):
        r = result["m.Inherits"]
        assert r["components"] == [["f"], ["g"], ["h"]]
        assert r["attributes"] == ["a"]

    def test_nested_code_belongs_to_the_method(self, result):
        assert result["m.Closures"]["components"] == [["f", "g"]]


# -- class coupling -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def coupling_result(tmp_path_factory):
    root = tmp_path_factory.mktemp("classes")
    t = project(
        root,
        {
            "models.py": """
                class Base:
                    registry = {}

                    def save(self):
                        if self:
                            return 1
                        return 2


                class User(Base):
                    def name(self):
                        return "u"

                    def other(self):
                        return 0
            """,
            "service.py": """
                import models
                from models import Base, User


                class Service:
                    def run(self):
                        u = User()
                        Base.registry["x"] = u
                        return models.User


                class Audit:
                    def check(self, s):
                        s.run()
                        return models.Base.save(s)
            """,
        },
    )
    return by(class_coupling(t), "class")


class TestClassCoupling:
    @pytest.fixture
    def result(self, coupling_result):
        return coupling_result

    def test_hand_computed(self, result):
        # Service instantiates User and writes Base.registry; User inherits Base; Audit calls
        # Base.save (s.run() has no known receiver: not counted)
        got = {k: (r["fan_in"], r["fan_out"], r["cbo"], r["coupled"]) for k, r in result.items()}
        assert got == {
            "models.Base": (3, 0, 3, ["models.User", "service.Audit", "service.Service"]),
            "models.User": (1, 1, 2, ["models.Base", "service.Service"]),
            "service.Service": (0, 2, 2, ["models.Base", "models.User"]),
            "service.Audit": (0, 1, 1, ["models.Base"]),
        }

    def test_methods_and_wmc(self, result):
        assert (result["models.Base"]["methods"], result["models.Base"]["wmc"]) == (1, 2)
        assert (result["models.User"]["methods"], result["models.User"]["wmc"]) == (2, 2)


# -- module coupling ------------------------------------------------------------------------------

MODULES = {
    "a.py": """
        import b
        from c import LIMIT


        def f():
            return b.g() + LIMIT
    """,
    "b.py": """
        import c


        def g():
            c.STATE = 1
            return c.h()
    """,
    "c.py": """
        LIMIT = 3
        STATE = 0


        def h():
            return 1


        class K:
            pass
    """,
    "d.py": """
        from c import K


        class D(K):
            pass
    """,
}


@pytest.fixture(scope="module")
def modules_tables(tmp_path_factory):
    return project(tmp_path_factory.mktemp("modules"), MODULES)


class TestModuleCoupling:
    @pytest.fixture
    def t(self, modules_tables):
        return modules_tables

    def test_dependencies(self, t):
        d = module_dependencies(t)
        got = [tuple(r) for r in d[["src", "dst", "reason", "count"]].itertuples(index=False)]
        assert got == [
            ("a", "b", "calls", 1),
            ("a", "b", "imports", 1),
            ("a", "c", "imports", 1),
            ("a", "c", "shared_data", 1),  # from c import LIMIT
            ("b", "c", "calls", 1),
            ("b", "c", "imports", 1),
            ("b", "c", "shared_data", 1),  # c.STATE = 1
            ("d", "c", "imports", 1),  # K is a class: no shared data
            ("d", "c", "inheritance", 1),
        ]

    def test_dependency_ends_have_names_and_keys(self, t):
        d = module_dependencies(t)
        assert d["src_module"].dtype == "int64" and d["dst_module"].dtype == "int64"
        for end in ("src", "dst"):
            assert d[f"{end}_module"].tolist() == [module_key(f"{n}.py") for n in d[end]]

    def test_ca_ce_instability(self, t):
        c = module_coupling(t)
        assert list(c.columns) == list(MODULE_COUPLING_COLUMNS)
        got = {r.module_name: (r.ca, r.ce, r.instability) for r in c.itertuples()}
        assert got == {
            "a": (0, 2, 1.0),
            "b": (1, 1, 0.5),
            "c": (3, 0, 0.0),
            "d": (0, 1, 1.0),
        }

    def test_reason_counts(self, t):
        c = module_coupling(t).set_index("module_name")
        assert c.loc[
            "c", ["calls_in", "imports_in", "inheritance_in", "shared_data_in"]
        ].tolist() == [
            1,
            3,
            1,
            2,
        ]
        assert c.loc["a", ["calls_out", "imports_out", "shared_data_out", "calls_in"]].tolist() == [
            1,
            2,
            1,
            0,
        ]

    def test_isolated_module_is_stable_not_nan(self, tmp_path):
        t = project(tmp_path, {"alone.py": "X = 1\n"})
        c = module_coupling(t)
        assert c[["ca", "ce", "instability"]].values.tolist() == [[0, 0, 0.0]]

    def test_dotted_module_attribute_chain(self, tmp_path):
        t = project(
            tmp_path,
            {
                "pkg/__init__.py": "",
                "pkg/conf.py": "DEBUG = False\n",
                "main.py": "import pkg.conf\n\ndef f():\n    return pkg.conf.DEBUG\n",
            },
        )
        d = module_dependencies(t)
        assert (
            "main",
            "pkg.conf",
            "shared_data",
            1,
            module_key("main.py"),
            module_key("pkg/conf.py"),
        ) in [tuple(r) for r in d.itertuples(index=False)]


# -- smells ---------------------------------------------------------------------------------------


def god_source(wmc: int = 47, foreign: int = 6, shared: bool = False) -> str:
    """A class of three methods whose cyclomatic complexities sum to ``wmc``, reading
    ``foreign`` attributes of another object; each method uses its own attribute, or (with
    ``shared``) the first two share one (TCC 1/3)."""
    per = [wmc // 3 + (1 if i < wmc % 3 else 0) for i in range(3)]
    lines = ["class Big:"]
    for i, cc in enumerate(per):
        own = "shared" if shared and i < 2 else f"a{i}"
        lines.append(f"    def m{i}(self, other):")
        reads = " + ".join(f"other.f{j}" for j in range(foreign) if j % 3 == i) or "0"
        lines.append(f"        x = self.{own} + {reads}")
        lines += ["        if x:", "            x += 1"] * (cc - 1)
        lines.append("        return x")
    return "\n".join(lines) + "\n"


class TestGodClass:
    def test_triggered(self):
        t = tables(god_source())
        assert class_coupling(t).loc[0, "wmc"] == 47
        g = god_class(t)
        assert g[["smell", "subject", "line", "severity"]].values.tolist() == [
            ["god_class", "m.Big", 1, "warning"]
        ]
        e = evidence(g)[0]
        assert (e["wmc"], e["tcc"], e["atfd"], e["methods"]) == (47, 0.0, 6, 3)
        assert e["thresholds"] == {"wmc": 47, "tcc": 1 / 3, "atfd": 5}

    @pytest.mark.parametrize(
        "kwargs", [{"wmc": 46}, {"foreign": 5}, {"shared": True}], ids=["wmc", "atfd", "tcc"]
    )
    def test_just_below(self, kwargs):
        assert god_class(tables(god_source(**kwargs))).empty

    def test_thresholds_are_parameters(self):
        t = tables(god_source(wmc=10))
        assert god_class(t).empty
        assert len(god_class(t, wmc=10)) == 1


class TestFeatureEnvy:
    @pytest.mark.parametrize(
        "body, envies",
        [
            ("order.price * order.quantity - order.discount", True),  # ATFD 3, LAA 0
            ("order.price * order.quantity", False),  # ATFD 2
            ("order.price * order.quantity - order.discount + self.rate", True),  # LAA 1/4
            ("order.price * order.quantity - order.discount + self.rate + self.tax", False),
            ("a.x + b.y + b.z", True),  # FDP 2
            ("a.x + b.y + c.z", False),  # FDP 3
        ],
    )
    def test_threshold(self, body, envies):
        src = f"class Invoice:\n    def total(self, order, a, b, c):\n        return {body}\n"
        f = feature_envy(tables(src))
        assert (not f.empty) is envies
        if envies:
            assert f.loc[0, "subject"] == "m.Invoice.total"

    def test_evidence(self):
        src = "class I:\n    def t(self, o, p):\n        return o.a + o.b + o.c + p.d + self.r\n"
        e = evidence(feature_envy(tables(src)))[0]
        assert (e["atfd"], e["fdp"], e["own"], e["laa"]) == (4, 2, 1, 0.2)
        assert e["envied"] == {"via": "o", "attributes": 3}

    def test_modules_and_calls_are_not_foreign_data(self):
        src = (
            "import os\n\nclass I:\n    def t(self, o):\n"
            "        return os.sep + os.name + os.curdir + o.m() + o.n() + o.k()\n"
        )
        assert feature_envy(tables(src)).empty

    def test_plain_functions_have_no_envy(self):
        assert feature_envy(tables("def t(o):\n    return o.a + o.b + o.c\n")).empty


def shotgun_source(callers: int, places: int) -> str:
    """``log`` called from ``callers`` functions spread over ``places`` classes."""
    out = ["def log():\n    pass\n"]
    for p in range(places):
        out.append(f"class C{p}:\n")
        for i in range(p, callers, places):
            out.append(f"    def m{i}(self):\n        log()\n")
    return "".join(out)


class TestShotgunSurgery:
    @pytest.mark.parametrize(
        "callers, places, hit",
        [(8, 8, True), (7, 7, False), (8, 6, True), (8, 5, False)],
    )
    def test_threshold(self, callers, places, hit):
        s = shotgun_surgery(tables(shotgun_source(callers, places)))
        assert (not s.empty) is hit
        if hit:
            assert s.loc[0, "subject"] == "m.log"
            assert evidence(s)[0] == {
                "cm": callers,
                "cc": places,
                "thresholds": {"cm": 7, "cc": 5},
            }

    def test_modules_count_as_places(self, tmp_path):
        files = {"lib.py": "def util():\n    return 1\n"}
        for i in range(8):
            files[f"user{i}.py"] = "from lib import util\n\ndef f():\n    return util()\n"
        s = shotgun_surgery(project(tmp_path, files))
        assert s["subject"].tolist() == ["lib.util"]


class TestCyclicDependencies:
    def test_cycle_with_reasons(self, tmp_path):
        t = project(
            tmp_path,
            {
                "e.py": "import f\n\nX = 1\n\ndef g():\n    return f.h()\n",
                "f.py": "from e import X\n\ndef h():\n    return X\n",
                "g.py": "import e\n",
            },
        )
        c = cyclic_dependencies(t)
        assert c[["smell", "module_name", "path", "subject", "severity"]].values.tolist() == [
            ["cyclic_dependency", "e", "e.py", "e -> f -> e", "warning"]
        ]
        # a cycle has no single module: its first module by name stands for it
        assert c["module"].tolist() == [module_key("e.py")]
        assert pd.isna(c.loc[0, "line"])
        e = evidence(c)[0]
        assert e["modules"] == ["e", "f"]
        assert e["edges"] == [
            {"src": "e", "dst": "f", "reasons": {"calls": 1, "imports": 1}},
            {"src": "f", "dst": "e", "reasons": {"imports": 1, "shared_data": 1}},
        ]

    def test_chain_is_no_cycle(self, tmp_path):
        t = project(tmp_path, {"e.py": "import f\n", "f.py": "import g\n", "g.py": "X = 1\n"})
        assert cyclic_dependencies(t).empty

    def test_min_size(self, tmp_path):
        t = project(tmp_path, {"e.py": "import f\n", "f.py": "import e\n"})
        assert len(cyclic_dependencies(t)) == 1
        assert cyclic_dependencies(t, min_size=3).empty

    def test_two_modules_of_one_name_are_no_cycle(self, tmp_path):
        # dup.py and dup/__init__.py share the dotted name `dup`: the dependencies between
        # them are kept (they are two modules, told apart by key) but make no cycle
        t = project(
            tmp_path,
            {
                "dup.py": "import dup\n\ndef f():\n    return dup.g()\n",
                "dup/__init__.py": "import dup\n\ndef g():\n    return 1\n",
            },
        )
        d = module_dependencies(t)
        assert set(zip(d["src"], d["dst"], strict=True)) == {("dup", "dup")}
        assert (d["src_module"] != d["dst_module"]).all()
        assert set(d["src_module"]) | set(d["dst_module"]) == {
            module_key("dup.py"),
            module_key("dup/__init__.py"),
        }
        assert cyclic_dependencies(t).empty
        assert "cyclic_dependency" not in set(smells(t)["smell"])

    def test_modules_of_one_name_in_a_cycle_show_their_paths(self, tmp_path):
        t = project(
            tmp_path,
            {
                "dup.py": "import a\n",
                "dup/__init__.py": "import b\n\ndef g():\n    return 1\n",
                "a.py": "import dup\n\ndef f():\n    return dup.g()\n",
                "b.py": "import dup\n",
            },
        )
        c = cyclic_dependencies(t)
        assert c["subject"].tolist() == ["a -> dup (dup.py) -> a"]
        e = evidence(c)[0]
        assert e["modules"] == ["a", "b", "dup (dup.py)", "dup (dup/__init__.py)"]
        assert {"src": "a", "dst": "dup (dup/__init__.py)", "reasons": {"calls": 1}} in e["edges"]


DEAD = """
import functools

__all__ = ["_exported"]

def _unused():
    return 1

def _recursive(n):
    return _recursive(n - 1)

def _called():
    return 2

def _referenced():
    return 3

CALLBACKS = [_referenced]

@functools.cache
def _decorated():
    return 4

def _exported():
    return 5

def public():
    return _called()
    print("after return")

def outer():
    def inner():
        return 1
    return 2

class Plain:
    def _private(self):
        return 1
    def __repr__(self):
        return "P"

class Child(Plain):
    def _hook(self):
        return 1
"""


@pytest.fixture(scope="module")
def dead_found():
    d = dead_code(tables(DEAD))
    return [
        (r["subject"], r["line"], r["severity"], json.loads(r["evidence"]))
        for r in d.to_dict("records")
    ]


def dead_rows(src: str) -> list[dict]:
    return dead_code(tables(src)).to_dict("records")


class TestDeadCode:
    @pytest.fixture
    def found(self, dead_found):
        return dead_found

    def test_unused_functions(self, found):
        unused = {s: e["confidence"] for s, _, _, e in found if e["kind"] == "unused_function"}
        assert unused == {
            "m._unused": "high",
            "m._recursive": "high",  # only calls itself
            "m.public": "low",  # public API
            "m.outer": "low",
            "m.outer.<locals>.inner": "high",  # nested: nobody else can call it
            "m.Plain._private": "high",
            "m.Child._hook": "low",  # may override a method the base class calls
        }

    def test_severity_follows_confidence(self, found):
        for _, _, severity, e in found:
            if e["kind"] == "unused_function":
                assert severity == ("warning" if e["confidence"] == "high" else "note")

    def test_unreachable_statement(self, found):
        unreachable = [(s, line, e) for s, line, _, e in found if e["kind"] == "unreachable"]
        assert unreachable == [
            ("m.public", 29, {"kind": "unreachable", "statement": "Call", "end_line": 29})
        ]

    def test_reachable_code_is_not_dead(self):
        src = "def f(x):\n    if x:\n        return 1\n    return 2\n\nf(1)\n"
        assert dead_code(tables(src)).empty

    def test_def_in_unreachable_code_is_reported_once(self):
        # as the unreachable statement, not again as an unused function (nor its own defs)
        src = (
            "def _after():\n    return 1\n    def inner():\n        def deeper():\n"
            "            pass\n        return deeper\n    class K:\n        def m(self):\n"
            "            pass\n"
        )
        found = [
            (r["subject"], r["line"], json.loads(r["evidence"]).get("statement"))
            for r in dead_rows(src)
        ]
        # _after is unused; `def inner` and `class K` are the two unreachable statements
        assert found == [
            ("m._after", 1, None),
            ("m._after", 3, "FunctionDef"),
            ("m._after", 7, "ClassDef"),
        ]

    def test_def_after_module_level_raise(self):
        found = dead_rows("raise SystemExit\n\ndef _never():\n    pass\n")
        assert [(r["subject"], r["line"]) for r in found] == [("m.<module>", 3)]

    def test_outermost_unreachable_statement_only(self):
        src = "def f(x):\n    return 1\n    if x:\n        g()\n        h()\n    k()\n\nf(1)\n"
        d = dead_code(tables(src))
        assert d["line"].tolist() == [3, 6]


class TestLongParameterList:
    @pytest.mark.parametrize(
        "src, hit",
        [
            ("def f(a, b, c, d, e, g):\n    pass\n", True),
            ("def f(a, b, c, d, e):\n    pass\n", False),
            ("def f(a, b, c, d, *e, **g):\n    pass\n", True),
            ("class C:\n    def m(self, a, b, c, d, e):\n        pass\n", False),
            ("class C:\n    @classmethod\n    def m(cls, a, b, c, d, e):\n        pass\n", False),
            ("class C:\n    @staticmethod\n    def m(a, b, c, d, e, g):\n        pass\n", True),
        ],
    )
    def test_threshold(self, src, hit):
        assert (not long_parameter_list(tables(src)).empty) is hit

    def test_lambdas_are_left_out(self):
        assert long_parameter_list(tables("f = lambda a, b, c, d, e, g: a\n")).empty


class TestSmells:
    def test_all_smells_one_frame_sorted(self, tmp_path):
        t = project(
            tmp_path,
            {
                "e.py": "import f\n\ndef _dead(a, b, c, d, e, g):\n    pass\n",
                "f.py": "import e\n",
            },
        )
        s = smells(t)
        assert list(s.columns) == list(SMELL_COLUMNS)
        assert s["smell"].tolist() == ["cyclic_dependency", "dead_code", "long_parameter_list"]
        assert s.equals(smells(t))

    def test_thresholds_by_smell(self):
        t = tables("def f(a, b, c):\n    return a\n\nf(1, 2, 3)\n")
        assert smells(t).empty
        s = smells(t, long_parameter_list_max_parameters=2)
        assert s["smell"].tolist() == ["long_parameter_list"]

    def test_unknown_threshold(self):
        with pytest.raises(TypeError, match="unknown threshold 'wmc'"):
            smells(tables("x = 1\n"), wmc=3)


#: Every threshold: (smell function, keyword).
THRESHOLDS = [
    (fn, name)
    for fn in SMELLS.values()
    for name in fn.__kwdefaults__ or {}  # keyword-only parameters with their defaults
]
LONG = "def _f(a, b, c, d, e, g):\n    pass\n"


class TestThresholds:
    """Any real number >= 0 (numpy included, not bool); evidence holds plain numbers."""

    @pytest.mark.parametrize("fn, name", THRESHOLDS, ids=lambda x: getattr(x, "__name__", x))
    @pytest.mark.parametrize("value", [None, "5", True, [5], 1j])
    def test_wrong_type(self, fn, name, value):
        with pytest.raises(TypeError, match=rf"{fn.__name__}\(\): {name}=.* is not a number"):
            fn(tables(LONG), **{name: value})

    @pytest.mark.parametrize("fn, name", THRESHOLDS, ids=lambda x: getattr(x, "__name__", x))
    @pytest.mark.parametrize("value", [-1, -0.5, np.int64(-3), math.nan, math.inf])
    def test_negative_or_not_finite(self, fn, name, value):
        with pytest.raises(AlgorithmError, match=rf"{name}=.*: a threshold is a finite number"):
            fn(tables(LONG), **{name: value})

    @pytest.mark.parametrize("value", [None, "5", -1, math.nan, np.float64(-0.1)])
    def test_smells_keywords(self, value):
        with pytest.raises(
            (TypeError, AlgorithmError), match=r"smells\(\): god_class_wmc=.*(number|finite)"
        ):
            smells(tables(LONG), god_class_wmc=value)

    @pytest.mark.parametrize("value", [np.int64(5), np.int32(5), np.uint8(5), 5])
    def test_numpy_integers_are_plain_ints_in_evidence(self, value):
        for s in (
            long_parameter_list(tables(LONG), max_parameters=value),
            smells(tables(LONG), long_parameter_list_max_parameters=value),
        ):
            e = evidence(s[s["smell"] == "long_parameter_list"])
            assert e == [{"max_parameters": 5, "parameters": 6}]
            assert type(e[0]["max_parameters"]) is int

    def test_numpy_floats_and_fractions(self):
        from fractions import Fraction

        src = "class Invoice:\n    def total(self, o):\n        return o.a * o.b - o.c\n"
        for laa in (np.float64(0.5), Fraction(1, 2), 0.5):
            e = evidence(feature_envy(tables(src), laa=laa))[0]
            assert e["thresholds"] == {"atfd": 2, "laa": 0.5, "fdp": 2}
        assert evidence(cyclic_dependencies(tables("x = 1\n"), min_size=np.int8(2))) == []

    def test_zero_is_a_threshold(self):
        s = long_parameter_list(tables("def _f(a):\n    pass\n"), max_parameters=0)
        assert s["subject"].tolist() == ["m._f"]


# -- summaries ------------------------------------------------------------------------------------

SUMMARY_SRC = """
import os

COUNT = 0

def reader(path, mode="r"):
    global COUNT
    COUNT += 1
    try:
        with open(path, mode) as fh:
            data = fh.read()
    except OSError as err:
        raise RuntimeError(str(err)) from err
    except ValueError:
        raise
    return data

def counter():
    n = 0
    total: int
    def bump(k):
        nonlocal n
        n = n + k
        return n
    return bump

def gen(items):
    for i in items:
        yield i * 2

def maybe(x):
    if x:
        return None
    elif x == 1:
        return [x]
    else:
        return os.path.join("a", x)

def falls(x):
    if x:
        return 1

class Box:
    def put(self, key, value):
        self.items[key] = value
        self.count = len(self.items)
        other = value
        other.owner = self

    def fail(self):
        raise KeyError

square = lambda v: v * v
"""


@pytest.fixture(scope="module")
def summaries_result():
    return by(function_summaries(tables(SUMMARY_SRC)), "function")


class TestSummaries:
    @pytest.fixture
    def s(self, summaries_result):
        return summaries_result

    def test_rows_and_columns(self, s):
        assert list(s) == [
            "m.reader",
            "m.counter",
            "m.counter.<locals>.bump",
            "m.gen",
            "m.maybe",
            "m.falls",
            "m.Box.put",
            "m.Box.fail",
            "m.<lambda>",
        ]
        assert list(next(iter(s.values()))) == list(SUMMARY_COLUMNS)

    def test_try_raise_global(self, s):
        r = s["m.reader"]
        assert r["parameters"] == ["path", "mode"]
        assert r["reads_parameters"] == ["mode", "path"]
        assert r["reads_locals"] == ["data", "err", "fh"]
        assert r["reads_globals"] == ["COUNT"]
        assert r["reads_builtins"] == ["OSError", "RuntimeError", "ValueError", "open", "str"]
        assert r["writes_locals"] == ["data", "err", "fh"]
        assert r["writes_globals"] == ["COUNT"]
        assert r["raises"] == ["<re-raise>", "RuntimeError"]
        assert r["returns"] == ["name:data"]
        assert r["calls"] == [
            "builtins.RuntimeError",
            "builtins.open",
            "builtins.str",
        ]
        assert not r["yields"]

    def test_closure_and_nonlocal(self, s):
        assert s["m.counter"]["writes_locals"] == ["bump", "n"]  # `total: int` binds nothing
        assert s["m.counter"]["reads_locals"] == ["bump"]
        assert s["m.counter"]["reads_builtins"] == ["int"]
        assert s["m.counter"]["returns"] == ["name:bump"]
        b = s["m.counter.<locals>.bump"]
        assert (b["reads_free"], b["writes_nonlocals"], b["reads_parameters"]) == (
            ["n"],
            ["n"],
            ["k"],
        )
        assert b["writes_locals"] == []

    def test_generator(self, s):
        g = s["m.gen"]
        assert g["yields"]
        assert g["returns"] == ["None"]
        assert g["writes_locals"] == ["i"]

    def test_returns(self, s):
        assert s["m.maybe"]["returns"] == ["None", "call:os.path.join", "list"]
        assert s["m.maybe"]["reads_globals"] == ["os"]
        assert s["m.maybe"]["calls"] == ["os.path.join"]
        assert s["m.falls"]["returns"] == ["None", "literal:int"]
        assert s["m.<lambda>"]["returns"] == ["operator:multiplication"]
        assert s["m.<lambda>"]["kind"] == "LAMBDA"

    def test_attributes_and_subscripts(self, s):
        p = s["m.Box.put"]
        assert p["writes_attributes"] == ["other.owner", "self.count"]
        assert p["writes_subscripts"] == ["self.items"]
        assert p["writes_locals"] == ["other"]
        assert s["m.Box.fail"]["raises"] == ["KeyError"]

    def test_deterministic(self):
        t = tables(SUMMARY_SRC)
        assert function_summaries(t).equals(function_summaries(t))


# -- module keys ----------------------------------------------------------------------------------

KEYED = {
    "shop/__init__.py": "",
    "shop/cart.py": """
        import shop.stock


        class Cart:
            def add(self, item):
                self.items.append(item)

            def owner(self):
                return self.user


        def _unused(a, b, c, d, e, f):
            return shop.stock.count()
    """,
    "shop/stock.py": """
        import shop.cart


        def count():
            return shop.cart.Cart()
    """,
}

#: The frames with a ``module`` column (module_dependencies has ``src_module``/``dst_module``).
KEYED_FRAMES = [fn for fn in PUBLIC if fn is not module_dependencies]


@pytest.fixture(scope="module")
def keyed_tables(tmp_path_factory):
    return project(tmp_path_factory.mktemp("keyed"), KEYED)


class TestModuleKeys:
    """``module`` is the int64 module key of the cpg_* tables (joinable), ``module_name`` the
    dotted name right after it, then ``path``."""

    @pytest.mark.parametrize("fn", KEYED_FRAMES, ids=lambda f: f.__name__)
    def test_module_is_the_key(self, fn, keyed_tables):
        out = fn(keyed_tables)
        cols = list(out.columns)
        assert cols[cols.index("module") : cols.index("module") + 3] == [
            "module",
            "module_name",
            "path",
        ]
        assert out["module"].dtype == "int64"
        modules = keyed_tables.modules.to_pandas()
        joined = out.merge(modules, on="module", how="left", suffixes=("", "_table"))
        assert len(joined) == len(out)
        assert joined["module_name"].tolist() == joined["name"].tolist()
        assert joined["path"].tolist() == joined["path_table"].tolist()
        assert out["module"].tolist() == [module_key(p) for p in out["path"]]

    def test_every_frame_has_rows(self, keyed_tables):
        empty = [fn.__name__ for fn in KEYED_FRAMES if fn(keyed_tables).empty]
        assert set(empty) <= {"god_class", "feature_envy", "shotgun_surgery"}

    def test_frames_join_on_module(self, keyed_tables):
        coupling = module_coupling(keyed_tables)
        s = smells(keyed_tables).merge(coupling[["module", "ca", "ce"]], on="module")
        assert len(s) == len(smells(keyed_tables))
        cycle = s[s["smell"] == "cyclic_dependency"]
        assert cycle[["module_name", "subject", "ca", "ce"]].values.tolist() == [
            ["shop.cart", "shop.cart -> shop.stock -> shop.cart", 1, 1]
        ]
        d = module_dependencies(keyed_tables)
        assert set(d["src_module"]) | set(d["dst_module"]) <= set(coupling["module"])
        by_key = dict(zip(coupling["module"], coupling["module_name"], strict=True))
        assert d["src"].tolist() == [by_key[k] for k in d["src_module"]]
        assert d["dst"].tolist() == [by_key[k] for k in d["dst_module"]]


# -- bad input ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def empty_tables(tmp_path_factory):
    return CodeTables.read(wb.build_project(tmp_path_factory.mktemp("empty")))


class TestBadInput:
    @pytest.mark.parametrize("fn", PUBLIC, ids=lambda f: f.__name__)
    @pytest.mark.parametrize("value", ["m.py", None, 3])
    def test_wrong_type(self, fn, value):
        with pytest.raises(TypeError, match="CodeTables"):
            fn(value)

    def test_a_cpg_is_not_tables(self):
        with pytest.raises(TypeError, match=r"CodeTables\.read"):
            lcom4(wb.build_cpg("x = 1\n", path="m.py"))

    @pytest.fixture
    def empty(self, empty_tables):
        return empty_tables

    @pytest.mark.parametrize("fn", PUBLIC, ids=lambda f: f.__name__)
    def test_empty_project(self, fn, empty, modules_tables):
        out = fn(empty)
        assert out.empty
        assert list(out.columns) == list(COLUMNS[fn])
        full = fn(modules_tables)
        assert out.dtypes.to_dict() == full.dtypes.to_dict()

    @pytest.mark.parametrize("fn", PUBLIC, ids=lambda f: f.__name__)
    def test_module_without_functions(self, fn):
        out = fn(tables("x = 1\n"))
        assert list(out.columns) == list(COLUMNS[fn])
