"""Pattern rules: the rule format, node/metric/graph rules, the taint engine's features, the
built-in rules against their annotated examples, the labelled corpus, and scans of a store."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from workbench.analysis.patterns import PatternMatcher, load_rules, rules_from_text, scan
from workbench.analysis.patterns import accuracy as A
from workbench.analysis.patterns.evaluation import CORPUS_DIR, EXAMPLES_DIR, compare, evaluate
from workbench.errors import RuleError

RULES = load_rules()


def lines(tmp_path: Path, code: str, rule: str, name: str = "app.py") -> list[int]:
    """Lines of the findings of one built-in rule in one module."""
    (tmp_path / name).write_text(textwrap.dedent(code))
    found = scan(tmp_path, RULES.select([rule]), suppress=False)
    return sorted(found[found["path"] == name]["line"].tolist())


# -- the rule format ---------------------------------------------------------------------------


def test_builtin_rules_cover_the_cwe_list():
    cwes = {c for r in RULES for c in r.cwe}
    assert {22, 78, 79, 89, 90, 94, 327, 328, 330, 501, 502, 601, 611, 614, 643} <= cwes
    assert {r.kind for r in RULES} == {"node", "metric", "graph", "taint"}
    frame = RULES.to_frame()
    assert frame["id"].is_unique and list(frame["id"]) == sorted(frame["id"])


HEAD = "id: a\nversion: 1\nmessage: m\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEAD + "kind: node\nseverity: error\n", "match"),
        ("id: A!\nversion: 1\nkind: node\nmessage: m\nseverity: error\n", "id"),
        (
            "id: a\nversion: 0\nkind: node\nmessage: m\nseverity: error\nmatch: {call: x}\n",
            "version",
        ),
        (HEAD + "kind: nodes\nseverity: error\n", "kind"),
        (HEAD + "kind: node\nseverity: fatal\nmatch: {call: x}\n", "severity"),
        (HEAD + "kind: node\nseverity: error\nmatch: {cal: x}\n", "unknown"),
        (HEAD + "kind: node\nseverity: error\ncwe: [x]\nmatch: {call: x}\n", "cwe"),
        (HEAD + "kind: taint\nseverity: error\nsources: []\nsinks: [{call: x}]\n", "sources"),
        (HEAD + "kind: metric\nseverity: note\nwhere: [[complexity, '~', 3]]\n", "operator"),
        (
            HEAD + "kind: node\nseverity: error\nmatch: {call: x, where: [{keyword: k, eq: 1}]}\n",
            "test",
        ),
        (HEAD + "kind: node\nseverity: error\nmatch: {call: x}\nextra: 1\n", "extra"),
        (
            HEAD + "kind: taint\nseverity: error\nsources: [{call: x}]\nsinks: [{call: y}]\n"
            "sanitizers: [{guard: everything}]\n",
            "guard",
        ),
        ("rules: [{id: a}]\n: :\n", "YAML"),
        ("- just\n- a list\n", "rule file"),
    ],
)
def test_malformed_rules_are_refused_with_the_field_named(text, message):
    with pytest.raises(RuleError, match=message):
        rules_from_text(text, "bad.yaml")


def test_duplicate_ids_and_missing_files_are_refused(tmp_path):
    one = "id: a\nversion: 1\nkind: node\nmessage: m\nseverity: error\nmatch: {call: x}\n"
    (tmp_path / "one.yaml").write_text(one)
    (tmp_path / "two.yaml").write_text(one)
    with pytest.raises(RuleError, match="defined twice"):
        load_rules(tmp_path)
    with pytest.raises(RuleError, match="no such rule file"):
        load_rules(tmp_path / "missing.yaml")


def test_a_rule_set_file_and_selection(tmp_path):
    (tmp_path / "set.yaml").write_text(
        "rules:\n"
        "  - {id: my.eval, version: 3, kind: node, message: eval, severity: warning, cwe: [95],"
        "     match: {call: builtins.eval}}\n"
        "  - {id: my.big, version: 1, kind: metric, message: big, severity: note,"
        "     where: [[statements, '>', 1]]}\n"
    )
    rs = load_rules(tmp_path / "set.yaml")
    assert rs.ids == ["my.big", "my.eval"]
    assert rs["my.eval"].category == "security" and rs["my.big"].category == "quality"
    assert rs.select(kinds=["node"]).ids == ["my.eval"]
    assert rs.select(cwe=[95]).ids == ["my.eval"]
    assert rs.key != rs.select(["my.eval"]).key


# -- node rules --------------------------------------------------------------------------------


def test_node_rule_conditions(tmp_path):
    code = """
        import subprocess, hashlib, yaml, random
        from subprocess import run as go
        subprocess.run("ls", shell=True)
        subprocess.run("ls", shell=False)
        go("ls", shell=True)
        hashlib.md5(b"x")
        hashlib.md5(b"x", usedforsecurity=False)
        hashlib.sha256(b"x")
        yaml.load(data)
        yaml.load(data, Loader=yaml.SafeLoader)
        token = random.random()
        shuffle_seed = random.random()
        def dead():
            return
            subprocess.run("ls", shell=True)
    """
    assert lines(tmp_path, code, "py.subprocess-shell-true") == [4, 6]
    assert lines(tmp_path, code, "py.weak-hash") == [7]
    assert lines(tmp_path, code, "py.yaml-load") == [10]
    assert lines(tmp_path, code, "py.insecure-random") == [12]


# -- metric and graph rules --------------------------------------------------------------------


def test_metric_and_graph_rules(tmp_path):
    branches = "\n".join(f"    if x == {i}:\n        x += 1" for i in range(12))
    code = f"""
def simple(a):
    return a

def branchy(x):
{branches}
    return x

def many(a, b, c, d, e, f):
    return a

def ping(n):
    return pong(n - 1)

def pong(n):
    return ping(n) if n else 0

def fact(n):
    return n * fact(n - 1) if n else 1
"""
    (tmp_path / "m.py").write_text(code)
    found = scan(tmp_path, RULES.select(kinds=["metric", "graph"]), suppress=False)
    got = {(r, m) for r, m in zip(found["rule_id"], found["method"], strict=True)}
    assert ("py.complex-function", "m.branchy") in got
    assert ("py.long-parameter-list", "m.many") in got
    assert {m for r, m in got if r == "py.recursion"} == {"m.ping", "m.pong", "m.fact"}
    assert not {m for r, m in got if m == "m.simple"}


# -- the taint engine --------------------------------------------------------------------------

CMDI = "py.command-injection"


def test_intraprocedural_flows_and_string_building(tmp_path):
    code = """
        import os
        def f():
            x = input()
            os.system("a" + x)
            os.system(f"b {x}")
            os.system("c %s" % x)
            os.system("d {}".format(x))
            os.system(" ".join(["e", x]))
            os.system("constant")
            y = x
            y = "safe"
            os.system(y)
            a, b = x, "safe"
            os.system(a)
            os.system(b)
    """
    assert lines(tmp_path, code, CMDI) == [5, 6, 7, 8, 9, 15]


def test_interprocedural_summaries_are_context_sensitive(tmp_path):
    code = """
        import os
        def ident(v):
            return v
        def const(v):
            return "ls"
        def run(cmd):
            os.system(cmd)
        def run_safe(cmd):
            os.system(cmd)
        def main():
            os.system(ident(input()))
            os.system(ident("date"))
            os.system(const(input()))
            run("ls " + input())
            run_safe("date")
    """
    assert lines(tmp_path, code, CMDI) == [8, 12]


def test_containers_attributes_and_classes(tmp_path):
    code = """
        import os
        class Job:
            def __init__(self, cmd):
                self.cmd = cmd
            def go(self):
                os.system(self.cmd)
        class Clean:
            def __init__(self):
                self.cmd = "ls"
            def go(self):
                os.system(self.cmd)
        def main():
            Job(input()).go()
            Clean().go()
            d = {}
            d["k"] = input()
            os.system(d["k"])
            xs = []
            xs.append(input())
            os.system(xs[0])
            os.system([w for w in xs][0])
    """
    assert lines(tmp_path, code, CMDI) == [7, 18, 21, 22]


def test_sanitizers_guards_and_dead_code(tmp_path):
    code = """
        import os, shlex
        ALLOWED = {"ls", "date"}
        def main():
            x = input()
            os.system(shlex.quote(x))
            os.system("n" * int(x))
            if x in ALLOWED:
                os.system(x)
            if x not in ALLOWED:
                return
            os.system(x)
            if False:
                os.system(input())
            return
            os.system(input())
        def other():
            x = input()
            os.system(x)
    """
    assert lines(tmp_path, code, CMDI) == [19]


def test_exceptions_lambdas_and_decorators(tmp_path):
    code = """
        import os, functools
        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*args):
                return fn(*args)
            return wrapper
        @deco
        def shell(cmd):
            os.system(cmd)
        def boom(v):
            raise ValueError(v)
        def main():
            try:
                boom(input())
            except ValueError as e:
                os.popen(str(e))
            f = lambda c: os.system(c)
            f(input())
            shell(input())
    """
    assert lines(tmp_path, code, CMDI) == [10, 17, 18]


def test_flask_sources_and_sinks(tmp_path):
    code = """
        from flask import Flask, request, redirect, session
        from markupsafe import escape
        app = Flask(__name__)
        @app.route("/a/<name>")
        def a(name):
            return "<p>" + name
        @app.route("/b")
        def b():
            return "<p>" + escape(request.args["q"])
        @app.route("/c")
        def c():
            return redirect(request.args.get("next"))
        @app.route("/d")
        def d():
            session["user"] = request.form["user"]
            return "ok"
        def not_a_view(name):
            return "<p>" + name
    """
    assert lines(tmp_path, code, "py.xss") == [7]
    assert lines(tmp_path, code, "py.open-redirect") == [13]
    assert lines(tmp_path, code, "py.trust-boundary") == [16]


def test_findings_have_sources_traces_and_fingerprints(tmp_path):
    (tmp_path / "app.py").write_text("import os\n\ndef f():\n    x = input()\n    os.system(x)\n")
    found = scan(tmp_path, RULES.select([CMDI]))
    (row,) = found.to_dict("records")
    assert (row["line"], row["source_line"], row["source_code"]) == (5, 4, "input()")
    assert row["trace"][0]["line"] == 4 and row["trace"][-1]["line"] == 5
    assert row["method"] == "app.f" and row["cwe"] == [78] and len(row["fingerprint"]) == 32
    # an unrelated edit above keeps the fingerprint; suppression comments drop the finding
    (tmp_path / "app.py").write_text(
        "import os\n# a comment\n\ndef f():\n    x = input()\n    os.system(x)\n"
    )
    again = scan(tmp_path, RULES.select([CMDI]))
    assert again["fingerprint"].tolist() == [row["fingerprint"]]
    ignore = "  # workbench: ignore[py.command-injection]"
    (tmp_path / "app.py").write_text(
        f"import os\n\ndef f():\n    x = input()\n    os.system(x){ignore}\n"
    )
    m = PatternMatcher(tmp_path, RULES.select([CMDI]))
    assert m.run().empty and len(m.suppressed) == 1


def test_scanning_is_deterministic(tmp_path):
    a = scan(CORPUS_DIR, RULES, suppress=False)
    b = scan(CORPUS_DIR, RULES, suppress=False)
    pd.testing.assert_frame_equal(a, b)


# -- accuracy ----------------------------------------------------------------------------------


def _example_cases():
    for path in sorted(EXAMPLES_DIR.glob("*.py")):
        yield pytest.param(path, id=path.stem)


def test_every_rule_has_an_annotated_example():
    assert {p.stem for p in EXAMPLES_DIR.glob("*.py")} == set(RULES.ids)


@pytest.mark.parametrize("path", list(_example_cases()))
def test_rule_examples(path):
    """Every ``# ruleid:`` line of a rule's example is reported and no ``# ok:`` line is."""
    rule = path.stem
    expected = A.annotations(path.read_text(), path.name)
    assert expected["expected"].any() and (~expected["expected"]).any()
    found = scan(path, RULES.select([rule]), suppress=False)
    got = set(found["line"])
    want = set(expected[expected["expected"] & (expected["rule_id"] == rule)]["line"])
    not_wanted = set(expected[~expected["expected"] & (expected["rule_id"] == rule)]["line"])
    assert want <= got, f"missed lines {sorted(want - got)}"
    assert not (not_wanted & got), f"reported ok lines {sorted(not_wanted & got)}"


def test_corpus_scores():
    ev = evaluate(RULES)
    assert len(ev.expectations) >= 200
    cwes = {22, 78, 79, 89, 90, 94, 327, 330, 501, 502, 601, 611, 614, 643}
    assert set(ev.by_cwe["cwe"]) >= {f"CWE-{c}" for c in cwes}
    assert ev.overall["f1"] >= 0.8, ev.by_rule.to_string()


def test_ab_compare_of_two_rule_versions(tmp_path):
    weaker = tmp_path / "weaker.yaml"
    base = json.loads(json.dumps(RULES[CMDI].to_dict()))
    base["version"] += 1
    base["sanitizers"] = []  # version b forgets every sanitizer
    import yaml

    weaker.write_text(yaml.safe_dump(base))
    result = compare(RULES.select([CMDI]), load_rules(weaker), CORPUS_DIR)
    row = result.scores.set_index("rule_id").loc[CMDI]
    assert row["fp_b"] > row["fp_a"] and row["delta_precision"] < 0
    assert set(result.differences["only_in"]) == {"b"}
    assert not result.differences["expected"].fillna(False).astype(bool).any()


ENGINE_CASES = {
    "a constant prefix fixes where a redirect goes": (
        "py.open-redirect",
        """
        from flask import Flask, request, redirect
        app = Flask(__name__)
        @app.route("/a")
        def a():
            return redirect("/account/" + request.args["page"])
        @app.route("/b")
        def b():
            return redirect("/" + request.args["page"])
        """,
        [9],
    ),
    "a dict returned by a view is JSON": (
        "py.xss",
        """
        from flask import Flask, request
        app = Flask(__name__)
        @app.route("/a")
        def a():
            return {"q": request.args["q"]}
        @app.route("/b")
        def b():
            return "<b>" + request.args["q"]
        """,
        [9],
    ),
    "Django request attributes, through .get": (
        "py.open-redirect",
        """
        from django.http import HttpResponseRedirect
        from django.utils.http import url_has_allowed_host_and_scheme
        def view(request):
            target = request.GET.get("next", "/")
            return HttpResponseRedirect(target)
        def checked(request):
            target = request.GET.get("next", "/")
            if url_has_allowed_host_and_scheme(target, allowed_hosts=None):
                return HttpResponseRedirect(target)
            return HttpResponseRedirect("/")
        """,
        [6],
    ),
    "a parser that resolves no entities is safe": (
        "py.xxe",
        """
        from flask import request
        from lxml import etree
        def a():
            return etree.fromstring(request.data)
        def b():
            parser = etree.XMLParser(resolve_entities=False)
            return etree.fromstring(request.data, parser)
        """,
        [5],
    ),
    "abort() and rebinding end a guard's other branch": (
        "py.path-traversal",
        """
        import os
        from flask import Flask, request, abort
        app = Flask(__name__)
        NAMES = {"a.txt", "b.txt"}
        @app.route("/a")
        def a():
            name = request.args["f"]
            if name not in NAMES:
                abort(404)
            return open(os.path.join("/srv", name)).read()
        @app.route("/b")
        def b():
            name = request.args["f"]
            if name not in NAMES:
                name = "a.txt"
            return open(name).read()
        @app.route("/c")
        def c():
            name = request.args["f"]
            if name not in NAMES:
                print("unknown")
            return open(name).read()
        """,
        [23],
    ),
    "class attributes, module variables and closures": (
        CMDI,
        """
        import os
        LATER = input()
        FIXED = input()
        FIXED = "ls"
        class Config:
            cmd = input()
        def a():
            os.system(LATER)
        def b():
            os.system(FIXED)
        def c():
            os.system(Config.cmd)
        def d():
            host = input()
            ping = lambda: "ping " + host
            os.system(ping())
        """,
        [9, 13, 17],
    ),
    "two instances of one class": (
        CMDI,
        """
        import os
        class Box:
            def __init__(self, v):
                self.v = v
            def get(self):
                return self.v
        def main():
            bad = Box(input())
            good = Box("ls")
            os.system(good.get())
            os.system(bad.get())
        """,
        [12],
    ),
}


@pytest.mark.parametrize(
    ("rule", "code", "expected"), list(ENGINE_CASES.values()), ids=list(ENGINE_CASES)
)
def test_engine_cases(tmp_path, rule, code, expected):
    assert lines(tmp_path, code, rule) == expected


def test_a_semantics_file_names_only_what_the_engine_reads(tmp_path):
    sem = tmp_path / "_semantics.yaml"
    sem.write_text("clean_calls: [builtins.int]\nread_methods: [get]\n")
    with pytest.raises(RuleError, match="read_methods"):
        load_rules(semantics=sem)
    sem.write_text("clean_calls: [builtins.int]\n")
    assert load_rules(semantics=sem).semantics.clean_calls.fullmatch("builtins.int")


def test_a_rule_folder_brings_its_own_semantics(tmp_path):
    """A user's rule folder with a _semantics.yaml is read with it (its sanitizers apply);
    two such folders need semantics= to choose."""
    builtin = load_rules()
    for folder, rule_id in (("a", "py.command-injection"), ("b", "py.sql-injection")):
        d = tmp_path / folder
        d.mkdir()
        rule = builtin[rule_id].to_dict()
        (d / "rule.yaml").write_text(yaml.safe_dump(rule))
        (d / "_semantics.yaml").write_text("clean_calls: [mylib.scrub]\n")
    own = load_rules(tmp_path / "a")
    assert own.semantics.clean_calls.fullmatch("mylib.scrub")
    assert not builtin.semantics.clean_calls.fullmatch("mylib.scrub")
    with pytest.raises(RuleError, match="pass semantics="):
        load_rules([tmp_path / "a", tmp_path / "b"])
    chosen = load_rules([tmp_path / "a", tmp_path / "b"], semantics=tmp_path / "b/_semantics.yaml")
    assert chosen.semantics.clean_calls.fullmatch("mylib.scrub")


def test_editing_a_rules_mapping_leaves_the_rule_alone():
    rule = load_rules()["py.command-injection"]
    key, before = rule.key, rule.to_dict()
    raw = rule.to_dict()
    for value in raw.values():  # edit every nested list in place
        if isinstance(value, list):
            value.append("x")
    assert raw != before
    assert rule.key == key and rule.to_dict() == before
