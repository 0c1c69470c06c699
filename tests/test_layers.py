"""Dependencies between the package's layers point one way only (docs/architecture.md).

model (cpg, errors) <- passes, callgraph <- frontends <- pipeline <- analysis <- faces (cli,
widgets, the package root), and model <- store <- pipeline: the store is storage only.
Telemetry is called from every layer and imports none of them.
Every import counts, also those inside functions and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import workbench

PACKAGE = Path(workbench.__file__).parent

_MODEL = {"cpg", "errors"}
_BUILD = _MODEL | {"passes", "callgraph", "frontends"}
#: What each top-level part of the package may import besides itself. The store is storage
#: only: it knows the model, never how source is parsed or graphs are built. Telemetry is
#: imported by every layer and imports none of them.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "cpg": {"errors"},
    "passes": _MODEL,
    "callgraph": _MODEL,  # language-neutral: solves the summaries a frontend makes
    "frontends": _MODEL | {"passes", "callgraph"},
    "store": _MODEL | {"telemetry"},
    "pipeline": _BUILD | {"store", "telemetry"},
    "analysis": _BUILD | {"store", "pipeline", "telemetry"},
    "telemetry": {"errors"},
}
#: The faces (command line, widgets, the package root) may import everything.
FACES = {"cli", "widgets", "__init__"}


def part_of(module: str, root: Path) -> str:
    """``workbench.store.table`` -> ``store``; ``workbench`` and names defined in the
    package root (``workbench.build_cpg``) -> ``__init__``."""
    parts = module.split(".")
    if len(parts) > 1 and ((root / parts[1]).is_dir() or (root / f"{parts[1]}.py").is_file()):
        return parts[1]
    return "__init__"


def imports(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import of ``package`` in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == package]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == package
        ):
            if node.module == package:  # from workbench import x: x may be a subpackage
                out += [(node.lineno, f"{package}.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, node.module))
    return out


def violations(root: Path) -> list[str]:
    """Imports that a part of the package may not make (see :data:`ALLOWED`)."""
    package = root.name
    bad = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        here = part_of(".".join(rel.with_suffix("").parts).removesuffix(".__init__"), root)
        for line, target in imports(path, package):
            there = part_of(target, root)
            if there == here or here in FACES:
                continue
            if here not in ALLOWED:
                bad.append(f"{rel}:{line}: {here} is not placed in a layer")
            elif there not in ALLOWED[here]:
                bad.append(f"{rel}:{line}: {here} imports {there} ({target})")
    return bad


def test_the_package_respects_its_layers():
    assert violations(PACKAGE) == []


def test_every_part_of_the_package_has_a_layer():
    parts = {p.stem for p in PACKAGE.glob("*.py")} | {
        p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()
    }
    assert parts <= set(ALLOWED) | FACES


def test_the_store_imports_only_the_model():
    """... and telemetry, which every layer reports to and which imports none of them."""
    store = PACKAGE / "store"
    targets = {part_of(t, PACKAGE) for p in store.rglob("*.py") for _, t in imports(p, "workbench")}
    assert targets <= {"cpg", "errors", "store", "telemetry"}


@pytest.mark.parametrize(
    ("where", "code", "expected"),
    [
        ("store/x.py", "from workbench.pipeline import ingest\n", "store imports pipeline"),
        ("store/x.py", "def f():\n    import workbench.frontends.python\n", "store imports"),
        ("passes/x.py", "from workbench import frontends\n", "passes imports frontends"),
        ("telemetry/x.py", "from workbench.store import Store\n", "telemetry imports store"),
        ("cpg/x.py", "from workbench import build_cpg\n", "cpg imports __init__"),
    ],
)
def test_the_check_finds_an_upward_import(tmp_path, where, code, expected):
    root = tmp_path / "workbench"
    for part in ("cpg", "store", "pipeline", "passes", "frontends", "telemetry"):
        (root / part).mkdir(parents=True)
        (root / part / "__init__.py").write_text("")
    (root / "errors.py").write_text("")
    (root / "__init__.py").write_text("from workbench.pipeline import x\n")  # allowed: top
    (root / where).write_text(code)
    found = violations(root)
    assert len(found) == 1 and expected in found[0], found


def test_the_check_allows_downward_imports(tmp_path):
    root = tmp_path / "workbench"
    for part in ("pipeline", "store", "cpg"):
        (root / part).mkdir(parents=True)
    (root / "errors.py").write_text("")
    (root / "pipeline" / "x.py").write_text(
        "from workbench.store import Store\n"
        "import workbench.cpg.schema\n"
        "from workbench import errors\n"
    )
    assert violations(root) == []
