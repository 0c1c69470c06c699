import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import SAMPLE, STDLIB, stdlib_files
from s3server import moto_server, new_bucket

#: The call-graph cases are programs, not tests (tests/test_callgraph.py reads them as data);
#: their trace.py would be imported as the standard library's ``trace``.
collect_ignore = ["callgraph_cases"]


@pytest.fixture
def src(tmp_path) -> Path:
    """A private copy of the sample code base (tests edit it)."""
    dst = tmp_path / "src"
    shutil.copytree(SAMPLE, dst)
    return dst


@pytest.fixture
def v1(tmp_path, src):
    """A store holding the sample's AST repository (schema v1, CPG off)."""
    from workbench.store import Store

    store = Store.create(tmp_path / "store")
    store.ingest(src)
    return store


@pytest.fixture
def v2(v1):
    """The same store migrated to schema v2 (CPG on, nothing generated yet)."""
    from workbench.store.migrations import migrate

    migrate(v1)
    return v1


@pytest.fixture(scope="session")
def _shared_src_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("shared") / "src"


@pytest.fixture
def shared_src(_shared_src_path) -> Path:
    """A fresh copy of the sample, always at the same path in this session (per xdist worker),
    for the tests that take a copy of a prepared store (``full_store``): a store records the
    absolute path of the source it ingested, which repair and generation read."""
    shutil.rmtree(_shared_src_path, ignore_errors=True)
    shutil.copytree(SAMPLE, _shared_src_path)
    return _shared_src_path


@pytest.fixture(scope="session")
def _full_templates() -> dict[int, Path]:
    return {}


@pytest.fixture
def full_store(tmp_path, tmp_path_factory, shared_src, _full_templates):
    """``full_store(n)``: ``(store, project)``, the sample ingested from ``shared_src``,
    migrated, and every module's CPG written ``n`` modules per commit, at tmp_path/"store".

    Built once per session and ``n`` (the writes are what cost), and copied for each test:
    the copy is the same store (same log, versions, files), only in another folder."""
    import workbench as wb
    from workbench.store import Store, open_store
    from workbench.store.migrations import migrate

    def make(n: int):
        if n not in _full_templates:
            root = tmp_path_factory.mktemp(f"full-store-{n}") / "store"
            store = Store.create(root)
            store.ingest(shared_src)
            migrate(store)
            proj = wb.build_project(shared_src)
            paths = sorted(proj.cpgs)
            for i in range(0, len(paths), n):
                store.write_cpg([proj.cpgs[p] for p in paths[i : i + n]])
            _full_templates[n] = root
        shutil.copytree(_full_templates[n], tmp_path / "store")
        return open_store(tmp_path / "store"), wb.build_project(shared_src)

    return make


@dataclass(frozen=True)
class StdlibBuild:
    """What the slow stdlib tests need of one module's build (not the whole CPG)."""

    path: str  # absolute
    rel: str  # relative to the stdlib
    error: Exception | None  # what build_cpg raised (a BuildError or a SourceError)
    nodes: int = 0
    kinds: frozenset[str] = frozenset()
    module: str | None = None  # dotted module name
    functions: tuple[tuple[str, str, int], ...] = ()  # (full name, subkind, mccabe)


@pytest.fixture(scope="session")
def stdlib_builds() -> list[StdlibBuild]:
    """Every module of the standard library built once, shared by the slow tests
    (``test_stdlib``, ``test_metrics``: give them one ``xdist_group``, "stdlib")."""
    import workbench as wb
    from workbench.errors import BuildError, SourceError

    out = []
    for path in stdlib_files():
        with open(path, "rb") as fh:
            data = fh.read()
        rel = os.path.relpath(path, STDLIB)
        try:
            cpg = wb.build_cpg(data, rel)
        except (BuildError, SourceError) as e:
            out.append(StdlibBuild(path, rel, e))
            continue
        methods = cpg.methods.select(["full_name", "subkind", "mccabe"]).to_pylist()
        out.append(
            StdlibBuild(
                path,
                rel,
                None,
                nodes=cpg.nodes.num_rows,
                kinds=frozenset(cpg.nodes["kind"].unique().to_pylist()),
                module=cpg.module.name,
                functions=tuple((m["full_name"], m["subkind"], m["mccabe"]) for m in methods),
            )
        )
    return out


@pytest.fixture(scope="module")
def s3():
    """An S3-compatible server on loopback (see ``s3server.py``) and the environment that
    points at it, for this module's tests."""
    pytest.importorskip("moto", reason="the object-store tests need moto (the dev extra)")
    with moto_server() as env, pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        yield env


@pytest.fixture
def bucket(s3) -> str:
    """A new, empty bucket."""
    return new_bucket()
