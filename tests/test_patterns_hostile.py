"""Hostile tests of pattern detection as a user meets it: malformed rule files, odd inputs to
``scan``, tricky Python for the taint engine, determinism and fingerprints, the ``scan`` /
``feedback`` / ``rules`` commands, and what a scan leaves behind.

Every ``xfail(strict=True)`` test documents a bug (its reason says which, in one line): it
fails today and must pass once the bug is fixed.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import workbench as wb
from workbench.analysis.patterns import PatternMatcher, load_rules, rules_from_text, scan
from workbench.analysis.patterns.feedback import labels, record_feedback, save_findings
from workbench.analysis.patterns.findings import SORT_KEYS, read_baseline
from workbench.cli import app
from workbench.errors import RuleError, WorkbenchError
from workbench.store import Store
from workbench.store.migrations import migrate

runner = CliRunner()
RULES = load_rules()
CMDI = "py.command-injection"
HEAD = "id: a\nversion: 1\nmessage: m\nseverity: error\n"
GOOD = "import hashlib, os\n\n\ndef f():\n    hashlib.md5(b'')\n    os.system(input())\n"


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root


def flagged(tmp_path: Path, code: str, rule: str = CMDI) -> list[int]:
    """Lines of one built-in rule's findings in one module."""
    src = write(tmp_path / "src", {"app.py": code})
    found = scan(src, RULES.select([rule]), suppress=False)
    return sorted(found["line"].tolist())


def store_of(tmp_path: Path, files: dict[str, str], *, cpg: bool = True) -> Store:
    src = write(tmp_path / "src", files)
    store = Store.create(tmp_path / "store")
    store.ingest(src)
    if cpg:
        migrate(store)
        store.generate(workers=1, progress=None, call_graph=True)
    return store


def cli(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def refused_cleanly(result) -> bool:
    """The command failed with exit code 2 and a message, not with a traceback."""
    return result.exit_code == 2 and isinstance(result.exception, SystemExit | type(None))


# -- rule files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (HEAD + "kind: node\nmatch: {call: 5}\n", "call"),
        (HEAD + "kind: node\nmatch: {call: [a, 5]}\n", "call"),
        (HEAD + "kind: node\nmatch: eval\n", "match"),
        (HEAD + "kind: node\nmatch: {call: x, where: nope}\n", "where"),
        (HEAD + "kind: node\nmatch: {call: x, where: [{keyword: k, not_in: 5}]}\n", "where"),
        (HEAD + "kind: node\nmatch: {call: x, where: [{argument: 1, matches: '(['}]}\n", "regular"),
        (HEAD + "kind: node\nmatch: {call: x, where: [{assigned_to: '*+'}]}\n", "regular"),
        (HEAD + "kind: node\nmatch: {call: x, where: [{argument: 0, is: 1}]}\n", "argument"),
        (HEAD + "kind: node\ncwe: '78'\nmatch: {call: x}\n", "cwe"),
        (HEAD + "kind: node\ndescription: [a]\nmatch: {call: x}\n", "description"),
        (HEAD + "kind: [node]\nmatch: {call: x}\n", "kind"),
        (
            "id: a\nversion: true\nkind: node\nmessage: m\nseverity: error\nmatch: {call: x}\n",
            "version",
        ),
        (HEAD + "kind: metric\nwhere: [[complexity, [x], 3]]\n", "operator"),
        (HEAD + "kind: taint\nsources: [{call: x}]\nsinks: [{call: y, args: true}]\n", "args"),
        (HEAD + "kind: taint\nsources: [{attribute: 5}]\nsinks: [{call: y}]\n", "sources"),
        (HEAD + "kind: taint\nsources: [{call: x}]\nsinks: [{store: 5}]\n", "store"),
        (
            HEAD + "kind: taint\nsources: [{call: x}]\nsinks: [{call: y}]\n"
            "sanitizers: [{prefix: '(['}]\n",
            "regular",
        ),
        (
            HEAD + "kind: taint\nsources: [{call: x}]\nsinks: [{call: y}]\npropagators: zz\n",
            "propagators",
        ),
        ("!!python/object:os.system {}\n", "YAML"),
    ],
)
def test_wrongly_typed_nested_fields_are_refused_naming_the_field(tmp_path, text, field):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(RuleError, match=field) as e:
        load_rules(path)
    assert "bad.yaml" in str(e.value)


def test_a_percentile_that_is_not_a_number_is_a_rule_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + "kind: metric\nwhere: [[complexity, '>', {percentile: high}]]\n")
    out = cli("rules", "--rules", bad)
    assert refused_cleanly(out) and "percentile" in out.output


def test_a_metric_rule_on_an_unknown_column_is_refused_when_loaded():
    with pytest.raises(RuleError, match="complexty"):
        rules_from_text(HEAD + "kind: metric\nwhere: [[complexty, '>', 10]]\n", "typo.yaml")


def test_a_string_threshold_on_a_numeric_column_fails_cleanly(tmp_path):
    src = write(tmp_path / "src", {"a.py": "def f(x):\n    return x\n"})
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + "kind: metric\nwhere: [[complexity, '>', 'ten']]\n")
    out = cli("scan", src, "--rules", bad)
    assert refused_cleanly(out) and "complexity" in out.output


def test_deeply_nested_yaml_is_a_rule_error(tmp_path):
    bad = tmp_path / "deep.yaml"
    bad.write_text("[" * 600 + "]" * 600 + "\n")
    out = cli("rules", "--rules", bad)
    assert refused_cleanly(out) and "deep.yaml" in out.output


def test_a_key_given_twice_in_a_rule_is_refused():
    with pytest.raises(RuleError, match="match"):
        rules_from_text(HEAD + "kind: node\nmatch: {call: os.system}\nmatch: {call: x}\n", "d.yaml")


def test_a_node_rule_matching_nothing_is_refused():
    with pytest.raises(RuleError, match="match"):
        rules_from_text(HEAD + "kind: node\nmatch: []\n", "empty.yaml")


def test_unknown_keys_beside_a_rule_set_are_refused():
    text = (
        "rules:\n  - {id: a, version: 1, kind: node, message: m, severity: note,"
        " match: {call: x}}\nrule:\n  - {id: b, version: 1, kind: node, message: m,"
        " severity: note, match: {call: y}}\n"
    )
    with pytest.raises(RuleError, match="rule"):
        rules_from_text(text, "set.yaml")


_BOMB = """
import resource, sys, time
from workbench.analysis.patterns import rules_from_text
from workbench.errors import RuleError
parts = ["&a0 [" + ", ".join(["x"] * 10) + "]"]
for i in range(1, 8):
    parts.append(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
text = ("id: a\\nversion: 1\\nkind: node\\nmessage: m\\nseverity: error\\n"
        "match: {call: x, where: [{keyword: k, is: [" + ", ".join(parts) + "]}]}\\n")
with open("/proc/self/statm") as f:
    vm = int(f.read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (vm + (1 << 29), vm + (1 << 29)))
used = resource.getrusage(resource.RUSAGE_SELF)
cpu = int(used.ru_utime + used.ru_stime) + 3
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
try:
    rules_from_text(text, "bomb.yaml")
    print("loaded")
except RuleError:
    print("refused")
"""


def test_a_yaml_alias_bomb_is_loaded_or_refused_quickly():
    if not Path("/proc/self/statm").exists():
        pytest.skip("needs /proc")
    done = subprocess.run([sys.executable, "-c", _BOMB], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() in ("loaded", "refused")


def test_non_utf8_rule_file_is_refused_naming_it(tmp_path):
    bad = tmp_path / "latin.yaml"
    bad.write_bytes((HEAD + "kind: node\nmatch: {call: caf\xe9}\n").encode("latin-1"))
    with pytest.raises(RuleError, match=r"latin\.yaml"):
        load_rules(bad)
    out = cli("rules", "--rules", bad)
    assert refused_cleanly(out) and "latin.yaml" in out.output


def test_a_rule_defined_in_two_files_is_refused_naming_both(tmp_path):
    one = HEAD + "kind: node\nmatch: {call: x}\n"
    (tmp_path / "one.yaml").write_text(one)
    (tmp_path / "two.yml").write_text("rules:\n  - " + one.replace("\n", "\n    ").rstrip() + "\n")
    with pytest.raises(RuleError, match="defined twice") as e:
        load_rules(tmp_path)
    assert "one.yaml" in str(e.value) and "two.yml" in str(e.value)


def test_a_large_rule_file_loads_every_rule(tmp_path):
    rules = "".join(
        f"  - {{id: r.n{i}, version: 1, kind: node, message: m, severity: note,"
        f" match: {{call: mod{i}.f}}}}\n"
        for i in range(400)
    )
    (tmp_path / "big.yaml").write_text("rules:\n" + rules)
    t0 = time.perf_counter()
    rs = load_rules(tmp_path / "big.yaml")
    assert len(rs) == 400 and time.perf_counter() - t0 < 10


def test_a_rules_folder_with_no_rules_is_an_error(tmp_path):
    src = write(tmp_path / "src", {"a.py": "import os\nos.system(input())\n"})
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "README.md").write_text("my rules\n")
    out = cli("scan", src, "--rules", tmp_path / "rules")
    assert refused_cleanly(out) and "rules" in out.output


def test_rules_command_with_a_custom_folder(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "a.yaml").write_text(
        HEAD.replace("id: a", "id: my.a") + "kind: node\nmatch: {call: x}\n"
    )
    (tmp_path / "r" / "_semantics.yaml").write_text("clean_calls: [x]\n")
    (tmp_path / "r" / "notes.txt").write_text("not a rule\n")
    out = cli("rules", "--rules", tmp_path / "r", "--json")
    assert out.exit_code == 0, out.output
    assert [r["id"] for r in json.loads(out.stdout)] == ["my.a"]
    out = cli("rules", "--rules", tmp_path / "r")
    assert out.exit_code == 0 and "my.a" in out.output and "py.command-injection" not in out.output


# -- what is scanned ---------------------------------------------------------------------------


def test_an_empty_folder_has_no_findings(tmp_path):
    (tmp_path / "empty").mkdir()
    out = cli("scan", tmp_path / "empty")
    assert out.exit_code == 0 and "no findings" in out.output


def test_a_module_with_a_syntax_error_does_not_hide_the_others(tmp_path):
    src = write(tmp_path / "src", {"bad.py": "def f(:\n    pass\n", "good.py": GOOD})
    found = scan(src)
    assert {"py.weak-hash", CMDI} <= set(found["rule_id"])
    assert set(found["path"]) == {"good.py"}


def test_the_scan_says_which_modules_it_could_not_scan(tmp_path):
    src = write(tmp_path / "src", {"bad.py": "def f(:\n    pass\n", "good.py": GOOD})
    out = cli("scan", src)
    assert out.exit_code == 0 and "os.system" in out.output
    assert "bad.py" in out.output


def test_a_single_file_with_a_syntax_error_has_no_findings(tmp_path):
    bad = write(tmp_path, {"bad.py": "def f(:\n    pass\n"}) / "bad.py"
    out = cli("scan", bad)
    assert out.exit_code == 0 or refused_cleanly(out), repr(out.exception)


def test_a_path_that_is_not_python_is_refused(tmp_path):
    notes = write(tmp_path, {"notes.txt": "import os\nos.system(input())\n"}) / "notes.txt"
    with pytest.raises(WorkbenchError):
        scan(notes)


def test_a_single_file_is_scanned_with_paths_relative_to_its_folder(tmp_path):
    one = write(tmp_path / "pkg", {"my-script.py": GOOD}) / "my-script.py"
    found = scan(one)
    assert set(found["path"]) == {"my-script.py"}
    assert {"py.weak-hash", CMDI} <= set(found["rule_id"])


def _children() -> set[int]:
    me, out = os.getpid(), set()
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == me:
                    out.add(int(p.name))
    return out


def test_a_single_file_scan_leaves_no_temp_folder_or_process(tmp_path, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    before = _children()
    one = write(tmp_path / "src", {"app.py": GOOD, "bad.py": "def f(:\n"})
    assert len(scan(one / "app.py")) >= 2
    with contextlib.suppress(Exception):  # the build of a broken file fails one way or another
        scan(one / "bad.py")
    assert list(temp.iterdir()) == []
    assert _children() <= before


# -- stores ------------------------------------------------------------------------------------


def test_a_store_without_cpg_is_refused_with_the_way_out(tmp_path):
    store = store_of(tmp_path, {"good.py": GOOD}, cpg=False)
    out = cli("scan", "--store", store.root)
    assert refused_cleanly(out) and "migrate" in out.output
    out = cli("feedback", "0123456789ab", "tp", "--store", store.root)
    assert refused_cleanly(out) and "migrate" in out.output


def test_a_store_scan_reports_the_modules_that_built(tmp_path):
    store = store_of(tmp_path, {"bad.py": "def f(:\n    pass\n", "good.py": GOOD})
    found = scan(store)
    assert set(found["path"]) == {"good.py"}
    assert {"py.weak-hash", CMDI} <= set(found["rule_id"])


def test_a_store_where_no_module_built_has_no_findings(tmp_path):
    store = store_of(tmp_path, {"bad.py": "def f(:\n    pass\n"})
    out = cli("scan", "--store", store.root)
    assert out.exit_code == 0 and "no findings" in out.output


# -- the taint engine on tricky Python -----------------------------------------------------------

TAINT_CASES = {
    "direct recursion": (
        """
        import os
        def f(x, n):
            if n:
                return f(x + "!", n - 1)
            os.system(x)
            return x
        def main():
            f(input(), 3)
        """,
        [6],
    ),
    "mutual recursion": (
        """
        import os
        def a(x, n):
            if n:
                return b(x, n - 1)
            os.system(x)
        def b(x, n):
            return a(x + "!", n)
        def main():
            a(input(), 3)
        """,
        [6],
    ),
    "recursion returning its input": (
        """
        import os
        def f(x, n):
            return f(x + "a", n - 1) if n else x
        def main():
            os.system(f(input(), 5))
            os.system(f("ls", 5))
        """,
        [6],
    ),
    "generator": (
        """
        import os
        def gen():
            yield input()
        def main():
            for v in gen():
                os.system(v)
            os.system(next(gen()))
        """,
        [7, 8],
    ),
    "async and await": (
        """
        import os
        async def get():
            return input()
        async def main():
            v = await get()
            os.system(v)
        """,
        [7],
    ),
    "async for": (
        """
        import os
        async def agen():
            yield input()
        async def main():
            async for v in agen():
                os.system(v)
        """,
        [7],
    ),
    "walrus": (
        """
        import os
        def main():
            if (y := input()):
                os.system(y)
        """,
        [5],
    ),
    "nested comprehensions": (
        """
        import os
        def main():
            xs = [[input()]]
            ys = [c for row in xs for c in row]
            os.system(ys[0])
            os.system({k: v for k, v in {"k": input()}.items()}["k"])
        """,
        [6, 7],
    ),
    "global": (
        """
        import os
        G = "ls"
        def setg():
            global G
            G = input()
        def use():
            os.system(G)
        """,
        [8],
    ),
    "closure read": (
        """
        import os
        def outer():
            v = input()
            def inner():
                os.system(v)
            inner()
        """,
        [6],
    ),
    "star args": (
        """
        import os
        def run(*cmds):
            os.system(cmds[0])
        def main():
            args = [input()]
            run(*args)
        """,
        [4],
    ),
    "keyword-only argument": (
        """
        import os
        def run(a, *, cmd):
            os.system(cmd)
        def main():
            run("x", cmd=input())
        """,
        [4],
    ),
    "keyword-only argument, constant": (
        """
        import os
        def run(a, *, cmd):
            os.system(cmd)
        def main():
            run(input(), cmd="ls")
        """,
        [],
    ),
    "kwargs parameter": (
        """
        import os
        def run(**kw):
            os.system(kw["cmd"])
        def main():
            run(cmd=input())
        """,
        [4],
    ),
    "classmethod and staticmethod": (
        """
        import os
        class C:
            @classmethod
            def run(cls, cmd):
                os.system(cmd)
            @staticmethod
            def go(cmd):
                os.popen(cmd)
        def main():
            C.run(input())
            C().go(input())
        """,
        [6, 9],
    ),
    "property": (
        """
        import os
        class C:
            def __init__(self, v):
                self._v = v
            @property
            def v(self):
                return self._v
        def main():
            os.system(C(input()).v)
        """,
        [10],
    ),
    "method of a base class": (
        """
        import os
        class Base:
            def run(self, cmd):
                os.system(cmd)
        class Child(Base):
            def go(self):
                self.run(input())
        def main():
            Child().run(input())
        """,
        [5],
    ),
    "super() method call": (
        """
        import os
        class Base:
            def run(self, x):
                os.system(x)
        class Child(Base):
            def run(self, x):
                super().run(x)
        def main():
            Child().run(input())
        """,
        [5],
    ),
    "lambdas stored in a dict": (
        """
        import os
        H = {"run": lambda c: os.system(c)}
        def main():
            H["run"](input())
        """,
        [3],
    ),
    "try/finally and try/else": (
        """
        import os
        def main():
            x = "ls"
            try:
                x = input()
            finally:
                os.system(x)
            try:
                y = input()
            except Exception:
                y = "ls"
            else:
                os.system(y)
        """,
        [8, 14],
    ),
    "with statement": (
        """
        import os
        def main():
            with open(input()) as fh:
                os.system(fh.read())
        """,
        [5],
    ),
    "f-strings with format specs": (
        """
        import os
        def main():
            x = input()
            os.system(f"{x:>10}")
            os.system(f"{x!r:>{10}}")
            os.system(f"{len(x):>10}")
        """,
        [5, 6],
    ),
    "bytes": (
        """
        import os
        def main():
            x = input().encode()
            os.system(b"ls " + x)
        """,
        [5],
    ),
    "augmented assignment": (
        """
        import os
        def main():
            x = "ls "
            x += input()
            os.system(x)
            y = input()
            y = "ls"
            y += "-l"
            os.system(y)
        """,
        [6],
    ),
    "chained comparison": (
        """
        import os
        def main():
            x = input()
            ok = 0 < len(x) < 10 != x
            os.system(str(ok))
        """,
        [],
    ),
    "dict.get, str.join of a generator, os.path.join": (
        """
        import os
        def main():
            d = {"k": input()}
            os.system(d.get("k"))
            os.system(" ".join(p for p in [input()]))
            os.system(os.path.join("/bin", input()))
        """,
        [5, 6, 7],
    ),
    "early return makes code dead": (
        """
        import os
        def main():
            x = input()
            if x:
                return
            else:
                return
            os.system(x)
        """,
        [],
    ),
    "chained assignment and starred unpacking": (
        """
        import os
        def main():
            x = y = input()
            os.system(y)
            a, *rest = ["ls", input()]
            os.system(rest[0])
            for i, v in enumerate([input()]):
                os.system(v)
        """,
        [5, 7, 9],
    ),
    "class attribute": (
        """
        import os
        class Conf:
            cmd = input()
        def main():
            os.system(Conf.cmd)
        """,
        [6],
    ),
    "match statement, subject used again": (
        """
        import os
        def main():
            x = input()
            match x:
                case "a":
                    pass
                case _:
                    os.system(x)
        """,
        [9],
    ),
    "super().__init__ stores an attribute": (
        """
        import os
        class Base:
            def __init__(self, x):
                self.x = x
        class Child(Base):
            def __init__(self, x):
                super().__init__(x)
            def go(self):
                os.system(self.x)
        def main():
            Child(input()).go()
        """,
        [10],
    ),
    "Base.__init__(self, x) stores an attribute": (
        """
        import os
        class Base:
            def __init__(self, x):
                self.x = x
        class Child(Base):
            def __init__(self, x):
                Base.__init__(self, x)
            def go(self):
                os.system(self.x)
        def main():
            Child(input()).go()
        """,
        [10],
    ),
    "match capture pattern": (
        """
        import os
        def main():
            match input():
                case y:
                    os.system(y)
        """,
        [6],
    ),
    "match sequence pattern": (
        """
        import os
        def main():
            match input().split():
                case [first, *rest]:
                    os.system(first)
        """,
        [6],
    ),
}

TAINT_BUGS = {
    "nonlocal write": (
        """
        import os
        def outer():
            v = "ls"
            def inner():
                nonlocal v
                v = input()
            inner()
            os.system(v)
        """,
        [9],
        "a `nonlocal` assignment in a nested function does not reach the enclosing one",
    ),
    "** of a dict": (
        """
        import os
        def run(cmd):
            os.system(cmd)
        def main():
            kw = {"cmd": input()}
            run(**kw)
        """,
        [4],
        "a call with **mapping passes no taint to the callee's parameters",
    ),
    "functools.partial with a bound argument": (
        """
        import os, functools
        def run(flag, cmd):
            os.system(cmd)
        def main():
            f = functools.partial(run, True)
            f(input())
        """,
        [4],
        "functools.partial's bound positional arguments are not counted: wrong parameter",
    ),
    "functools.partial binds the sink's argument": (
        """
        import os, functools
        def run(cmd, flag):
            os.system(cmd)
        def main():
            f = functools.partial(run, "ls")
            f(input())
        """,
        [],
        "functools.partial's bound positional arguments are not counted: false positive",
    ),
}


@pytest.mark.parametrize(
    ("code", "expected"),
    [pytest.param(c, e, id=k) for k, (c, e) in TAINT_CASES.items()]
    + [
        pytest.param(c, e, id=k, marks=pytest.mark.xfail(strict=True, reason=why))
        for k, (c, e, why) in TAINT_BUGS.items()
    ],
)
def test_taint_through_tricky_python(tmp_path, code, expected):
    assert flagged(tmp_path, code) == expected


def _chain(n: int, *, sink_at_end: bool) -> str:
    if sink_at_end:  # main passes input() down n calls to os.system
        defs = [f"def f{i}(x):\n    return f{i + 1}(x)\n" for i in range(n)]
        tail = f"def f{n}(x):\n    os.system(x)\ndef main():\n    f0(input())\n"
        return "import os\n" + "".join(defs) + tail
    defs = [f"def g{i}():\n    return g{i + 1}()\n" for i in range(n)]  # input() returned up
    tail = f"def g{n}():\n    return input()\ndef main():\n    os.system(g0())\n"
    return "import os\n" + "".join(defs) + tail


def test_a_300_call_chain_returning_tainted_data(tmp_path):
    assert flagged(tmp_path, _chain(300, sink_at_end=False)) == [2 * 301 + 3]


def test_a_300_call_chain_down_to_a_sink(tmp_path):
    assert flagged(tmp_path, _chain(300, sink_at_end=True)) == [2 * 300 + 3]


def test_a_50_call_chain_down_to_a_sink(tmp_path):
    assert flagged(tmp_path, _chain(50, sink_at_end=True)) == [2 * 50 + 3]


def test_a_huge_function_is_scanned(tmp_path):
    """1,200 straight-line definitions (their cost is measured by benchmarks, not here)."""
    n = 1200
    body = ["    x0 = input()"] + [f"    x{i} = x{i - 1} + 'a'" for i in range(1, n)]
    code = "import os\ndef main():\n" + "\n".join(body) + f"\n    os.system(x{n - 1})\n"
    src = write(tmp_path / "src", {"app.py": code})
    found = PatternMatcher(wb.build_project(src), RULES.select([CMDI])).run()
    assert found["line"].tolist() == [n + 3]
    trace = found["trace"].iloc[0]  # long traces keep their two ends
    assert trace[0]["line"] == 3 and trace[-1]["line"] == n + 3


# -- determinism and fingerprints ---------------------------------------------------------------

FLOWS = """\
import os, hashlib, subprocess


def helper(v):
    return "ls " + v


def main():
    x = input()
    os.system(helper(x))
    os.system(x)
    os.system(x)
    subprocess.run(x, shell=True)
    hashlib.md5(b"")
    hashlib.md5(b"")
"""
_COLS = ["rule_id", "path", "line", "col", "fingerprint", "source_line", "source_code", "trace"]


def test_scans_are_deterministic_and_sorted(tmp_path):
    src = write(tmp_path / "src", {"app.py": FLOWS, "b/other.py": GOOD, "b/__init__.py": ""})
    a, b = scan(src), scan(src)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) >= 8
    keys = a[list(SORT_KEYS)]
    pd.testing.assert_frame_equal(keys, keys.sort_values(list(SORT_KEYS)).reset_index(drop=True))


_DUMP = """
import sys
from workbench.analysis.patterns import scan
f = scan(sys.argv[1])
print(f[{cols!r}].to_json(orient="records"))
"""


def test_scans_agree_across_processes_with_other_hash_seeds(tmp_path):
    src = write(tmp_path / "src", {"app.py": FLOWS, "b/other.py": GOOD, "b/__init__.py": ""})
    code = _DUMP.format(cols=_COLS)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(src)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        for seed in ("1", "2")
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    here = json.loads(scan(src)[_COLS].to_json(orient="records"))
    assert json.loads(outs[0]) == json.loads(outs[1]) == here


def test_fingerprints_survive_code_added_above_and_tell_twin_sinks_apart(tmp_path):
    src = write(tmp_path / "src", {"app.py": FLOWS})
    before = scan(src)
    (src / "app.py").write_text(
        "import os, hashlib, subprocess\nimport json\n\n\nCONST = 1\n\n\n"
        "def unrelated(a):\n    return a * 2\n" + FLOWS.split("\n", 1)[1]
    )
    after = scan(src)
    assert (after["line"] > before["line"]).all()
    assert after["fingerprint"].tolist() == before["fingerprint"].tolist()
    twins = before[before["code"] == "os.system(x)"]
    assert len(twins) == 2 and twins["fingerprint"].nunique() == 2
    assert before["fingerprint"].is_unique


# -- the scan command ------------------------------------------------------------------------------

SUPPRESSED = """\
import hashlib, os


def f():
    hashlib.md5(b"1")  # nosec
    # workbench: ignore[py.weak-hash]
    hashlib.md5(b"2")
    hashlib.md5(b"3")  # workbench: ignore[py.command-injection]
    os.system(input())  # workbench: ignore[py.command-*]
    print("# nosec"); hashlib.md5(b"4")
"""


def test_suppression_comments_through_the_command(tmp_path):
    src = write(tmp_path / "src", {"app.py": SUPPRESSED})
    out = cli("scan", src, "--json")
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert sorted((r["rule_id"], r["line"]) for r in rows) == [
        ("py.weak-hash", 8),
        ("py.weak-hash", 10),
    ]
    assert "3 suppressed" in out.stderr


def test_baseline_through_the_command(tmp_path):
    src = write(tmp_path / "src", {"app.py": GOOD})
    base = tmp_path / "baseline.json"
    out = cli("scan", src, "--write-baseline", base)
    assert out.exit_code == 0 and len(read_baseline(base)) == 2
    out = cli("scan", src, "--baseline", base, "--fail-on", "note")
    assert out.exit_code == 0 and "no findings" in out.output
    (src / "app.py").write_text("# moved down\n\n" + GOOD + "\ndef g():\n    eval(input())\n")
    out = cli("scan", src, "--baseline", base, "--json", "--fail-on", "error")
    assert out.exit_code == 1
    assert [r["rule_id"] for r in json.loads(out.stdout)] == ["py.code-injection"]


def test_updating_a_baseline_keeps_the_findings_it_held(tmp_path):
    src = write(tmp_path / "src", {"app.py": GOOD})
    base = tmp_path / "baseline.json"
    assert cli("scan", src, "--write-baseline", base).exit_code == 0
    (src / "more.py").write_text("def g():\n    eval(input())\n")
    out = cli("scan", src, "--baseline", base, "--write-baseline", base)
    assert out.exit_code == 0
    out = cli("scan", src, "--baseline", base)
    assert "no findings" in out.output, out.output


def test_sarif_is_written_for_zero_findings(tmp_path):
    src = write(tmp_path / "src", {"clean.py": "def f():\n    return 1\n"})
    sarif = tmp_path / "out.sarif"
    out = cli("scan", src, "--sarif", sarif, "--fail-on", "note")
    assert out.exit_code == 0 and "no findings" in out.output
    log = json.loads(sarif.read_text())
    assert log["version"] == "2.1.0" and "sarif" in log["$schema"]
    (run,) = log["runs"]
    assert run["results"] == [] and run["tool"]["driver"]["name"]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == set(RULES.ids)


def test_sarif_for_a_single_file_points_at_it(tmp_path):
    src = write(tmp_path / "src", {"app.py": GOOD})
    sarif = tmp_path / "out.sarif"
    out = cli("scan", src / "app.py", "--sarif", sarif)
    assert out.exit_code == 0, out.output
    (run,) = json.loads(sarif.read_text())["runs"]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert uris == {"app.py"} and len(run["results"]) >= 2


@pytest.mark.parametrize(
    ("rules", "fail_on", "code"),
    [
        (["py.weak-hash"], "error", 0),  # a warning is not an error
        (["py.weak-hash"], "warning", 1),
        (["py.weak-hash"], "note", 1),
        (["py.complex-function"], "warning", 0),  # nothing at all
        ([CMDI], "error", 1),
        ([CMDI], None, 0),
    ],
)
def test_fail_on(tmp_path, rules, fail_on, code):
    src = write(tmp_path / "src", {"app.py": GOOD})
    args = ["scan", src, *[a for r in rules for a in ("--rule", r)]]
    if fail_on:
        args += ["--fail-on", fail_on]
    out = cli(*args)
    assert out.exit_code == code, out.output


def test_fail_on_refuses_an_unknown_level(tmp_path):
    src = write(tmp_path / "src", {"app.py": GOOD})
    out = cli("scan", src, "--fail-on", "critical")
    assert refused_cleanly(out) and "--fail-on" in out.output


# -- feedback ----------------------------------------------------------------------------------

MANY = "import hashlib\n\n\ndef f():\n" + "".join(f"    hashlib.md5(b'{i}')\n" for i in range(6))


@pytest.fixture
def saved(tmp_path):
    store = store_of(tmp_path, {"app.py": MANY})
    out = cli("scan", "--store", store.root, "--save", "--rule", "py.weak-hash")
    assert out.exit_code == 0, out.output
    found = scan(store, RULES.select(["py.weak-hash"]))
    assert len(found) == 6
    return store, found["fingerprint"].tolist()


def test_labelling_and_relabelling_through_the_command(saved):
    store, fps = saved
    out = cli("feedback", fps[0][:8], "tp", "--store", store.root, "--author", "ann")
    assert out.exit_code == 0 and "as tp" in out.output, out.output
    out = cli("feedback", fps[0], "fp", "--store", store.root, "--note", "test code")
    assert out.exit_code == 0, out.output
    got = labels(store.refresh())
    assert got[["fingerprint", "verdict", "note"]].values.tolist() == [[fps[0], "fp", "test code"]]
    version = store.refresh().version
    for args, message in [
        (("f" * 32, "tp"), "no finding"),
        ((fps[1], "yes"), "verdict"),
        ((fps[1][:5], "tp"), "8"),
    ]:
        out = cli("feedback", *args, "--store", store.root)
        assert refused_cleanly(out) and message in out.output, out.output
    assert store.refresh().version == version


_LABEL = """
import sys
from workbench.analysis.patterns.feedback import record_feedback
from workbench.store import open_store
store = open_store(sys.argv[1])
for fp in sys.argv[2:]:
    record_feedback(store, fp, "tp", author="p" + sys.argv[2][:4])
"""


def test_concurrent_labels_from_two_processes_are_all_kept(saved):
    store, fps = saved
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LABEL, str(store.root), *half],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in (fps[:3], fps[3:])
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert sorted(labels(store.refresh())["fingerprint"]) == sorted(fps)


def test_feedback_on_findings_from_the_api(saved):
    store, fps = saved
    found = scan(store, RULES.select(["py.weak-hash"]))
    assert save_findings(store, found) == 6
    record_feedback(store, fps[5], "fp", "a cache key")
    record_feedback(store, fps[5], "fp", "a cache key, again")
    got = labels(store)
    assert got["fingerprint"].tolist() == [fps[5]]
    assert got["note"].tolist() == ["a cache key, again"]
