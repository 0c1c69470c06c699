"""Trace the call-graph cases at runtime and check their hand-written ``callgraph.txt``.

``python trace.py CASE_DIR``            prints the edges observed when the case's ``main.py`` runs.
``python trace.py --check [CASE_DIR ...]`` checks cases (all of them when none is given):

(a) expected edges between project functions that did not occur at runtime;
(b) runtime edges between project functions missing from the expected file;
(c) expected ``builtins.*`` edges (not ``[decorator]``) that did not occur at runtime.

``--strict`` also reports (d): runtime ``builtins.*`` edges missing from the expected file.
Cases in the ``limits`` category only get (a) and (c); their (b) edges are printed as notes.
See README.md for the format and the naming.
"""

from __future__ import annotations

import argparse
import builtins
import json
import os
import re
import subprocess
import sys
import tempfile
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMPREHENSIONS = frozenset({"<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"})
CO_OPTIMIZED = 0x1
EDGE = re.compile(r"^(\S+)\s*->\s*(\S+)(?:\s+\[([a-z-]+)\])?$")
KINDS = frozenset({"import", "class-body", "decorator", "property", "protocol"})
# Calls every class statement makes at runtime; never listed.
IGNORED_RUNTIME = frozenset({"builtins.__build_class__"})


def module_name(rel: str) -> str:
    """``pkg/mod.py`` -> ``pkg.mod``; ``pkg/__init__.py`` -> ``pkg``."""
    parts = rel[: -len(".py")].split(os.sep)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# --------------------------------------------------------------------------- runtime tracing


def _builtin_name(func: object) -> str:
    """The dotted name of a C function or of a method of a C type (``builtins.str.join``)."""
    qualname = getattr(func, "__qualname__", None) or getattr(func, "__name__", "?")
    owner = getattr(func, "__self__", None)
    if owner is None or isinstance(owner, types.ModuleType):
        return f"{getattr(func, '__module__', None) or '?'}.{qualname}"
    cls = owner if isinstance(owner, type) else type(owner)
    head = qualname.rpartition(".")[0]
    for base in cls.__mro__:
        if base.__qualname__ == head:
            return f"{base.__module__}.{qualname}"
    return f"{cls.__module__}.{qualname}"


def _child(case_dir: str, out: str) -> int:
    """Run ``main.py`` of ``case_dir`` under a profiler; write the edges to ``out`` (JSON)."""
    import runpy
    import threading
    import traceback

    root = os.path.realpath(case_dir)
    prefix = root + os.sep
    # Keyed by id: equal code objects of two files (say two empty modules) compare equal.
    names: dict[int, tuple[types.CodeType, str | None]] = {}
    edges: set[tuple[str, str]] = set()

    def code_name(code: types.CodeType) -> str | None:
        """Project code -> its name ("" for a comprehension); other code -> None."""
        try:
            return names[id(code)][1]
        except KeyError:
            pass
        name = None
        filename = code.co_filename
        if filename.startswith(prefix) and filename.endswith(".py"):
            module = module_name(os.path.relpath(filename, root))
            if code.co_name in COMPREHENSIONS:
                name = ""
            elif code.co_name == "<module>":
                name = f"{module}.<module>"
            elif not code.co_flags & CO_OPTIMIZED:
                name = f"{module}.{code.co_qualname}.<body>"
            else:
                name = f"{module}.{code.co_qualname}"
        names[id(code)] = (code, name)  # the reference keeps the id unique
        return name

    def scope(frame: types.FrameType | None) -> str | None:
        """The nearest project frame's name, comprehensions folded into their parent."""
        while frame is not None:
            name = code_name(frame.f_code)
            if name:
                return name
            frame = frame.f_back
        return None

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call":
            callee = code_name(frame.f_code)
            if callee:
                caller = scope(frame.f_back)
                if caller:
                    edges.add((caller, callee))
        elif event == "c_call" and code_name(frame.f_code) is not None:
            caller = scope(frame)
            if caller:
                edges.add((caller, _builtin_name(arg)))

    main = os.path.join(root, "main.py")
    sys.path[0] = root
    sys.argv = [main]
    status = 0
    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        runpy.run_path(main, run_name="__main__")
    except BaseException:
        status = 1
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    if status:
        traceback.print_exc()
    with open(out, "w", encoding="utf-8") as stream:
        json.dump(sorted(edges), stream)
    return status


def trace(case_dir: Path) -> tuple[int, set[tuple[str, str]], str]:
    """Run a case in a fresh interpreter: (exit status, edges, captured output)."""
    fd, out = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
        proc = subprocess.run(
            [sys.executable, "-B", __file__, "--child", str(case_dir), out],
            cwd=case_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        with open(out, encoding="utf-8") as stream:
            text = stream.read()
        edges = {tuple(edge) for edge in json.loads(text)} if text else set()
        return proc.returncode, edges, proc.stdout + proc.stderr
    finally:
        os.unlink(out)


# --------------------------------------------------------------------------- checking


def parse_expected(path: Path) -> tuple[str, dict[tuple[str, str], str]]:
    """The description line and the expected edges -> kind ("" when untagged)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"{path}: the first line must be '# <description>'")
    edges: dict[tuple[str, str], str] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = EDGE.match(line)
        if not match or (match[3] and match[3] not in KINDS):
            raise ValueError(f"{path}:{number}: not an edge: {raw!r}")
        if "<listcomp>" in line or "<genexpr>" in line:
            raise ValueError(f"{path}:{number}: comprehensions are folded: {raw!r}")
        edge = (match[1], match[2])
        if edge in edges:
            raise ValueError(f"{path}:{number}: duplicate edge: {raw!r}")
        edges[edge] = match[3] or ""
    return lines[0][2:], edges


def case_modules(case_dir: Path) -> set[str]:
    return {module_name(str(p.relative_to(case_dir))) for p in case_dir.rglob("*.py")}


def untraceable(callee: str) -> bool:
    """Calls of builtin classes (``builtins.dict``, ``builtins.map``) fire no profile event."""
    module, _, name = callee.partition(".")
    return (
        module == "builtins" and "." not in name and isinstance(getattr(builtins, name, None), type)
    )


def checkable_builtin(callee: str, kind: str) -> bool:
    return callee.startswith("builtins.") and kind != "decorator" and not untraceable(callee)


def check_case(case_dir: Path, strict: bool) -> list[str]:
    """The problems of one case (empty when it passes)."""
    _, expected = parse_expected(case_dir / "callgraph.txt")
    modules = case_modules(case_dir)

    def project(name: str) -> bool:
        return any(name.startswith(module + ".") for module in modules)

    problems = [f"caller is not project code: {a} -> {b}" for a, b in expected if not project(a)]
    status, runtime, output = trace(case_dir)
    if status:
        return [*problems, f"main.py failed (exit {status}):\n{output}"]
    limits = case_dir.parent.name == "limits"
    ran = {callee for _, callee in runtime}
    for (a, b), kind in sorted(expected.items()):
        if project(a) and project(b):
            # An import of a module that already ran (by another import) executes nothing.
            if (a, b) not in runtime and not (kind == "import" and b in ran):
                problems.append(f"(a) expected, did not run: {a} -> {b}")
        elif (a, b) not in runtime and checkable_builtin(b, kind):
            problems.append(f"(c) expected builtin call, did not run: {a} -> {b}")
    for a, b in sorted(runtime):
        if (a, b) in expected:
            continue
        if project(a) and project(b):
            if limits:
                print(f"  note: {case_dir.name}: unlisted runtime edge {a} -> {b}")
            else:
                problems.append(f"(b) ran, not expected: {a} -> {b}")
        elif strict and b.startswith("builtins.") and b not in IGNORED_RUNTIME:
            problems.append(f"(d) builtin call ran, not expected: {a} -> {b}")
    return problems


def all_cases() -> list[Path]:
    return sorted(p.parent for p in HERE.glob("*/*/callgraph.txt"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check cases against callgraph.txt")
    parser.add_argument("--strict", action="store_true", help="with --check: also (d)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("cases", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.child:
        return _child(*args.child)
    if not args.check:
        if len(args.cases) != 1:
            parser.error("give one case directory (or --check)")
        status, edges, output = trace(args.cases[0].resolve())
        for a, b in sorted(edges):
            print(f"{a} -> {b}")
        if status:
            print(output, file=sys.stderr)
        return status
    cases = [c.resolve() for c in args.cases] or all_cases()
    failed = 0
    for case in cases:
        problems = check_case(case, args.strict)
        if problems:
            failed += 1
            print(f"FAIL {case.parent.name}/{case.name}")
            for problem in problems:
                print(f"  {problem}")
    per_category: dict[str, int] = {}
    for case in cases:
        per_category[case.parent.name] = per_category.get(case.parent.name, 0) + 1
    summary = ", ".join(f"{name} {count}" for name, count in sorted(per_category.items()))
    print(f"{len(cases)} cases ({summary}); {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
