"""Hostile source trees: odd names, symbolic links, FIFOs, devices, huge files, odd encodings.

None of them may abort, hang or exhaust a run, or make two files one module: each becomes a
module's failure or a skipped path, with its reason. Operations that could hang or eat memory
if the protection broke run in a subprocess with a timeout (and a memory limit).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

import workbench as wb
from workbench.cli import app
from workbench.cpg.ids import module_key, module_name, normalize_path
from workbench.errors import DecodeError
from workbench.pipeline import find_modules
from workbench.store import Store

# Names this change adds are imported inside the tests that use them, so that each test fails
# on its own (rather than the whole module) without the change.

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file names and file types")

ROOT = Path(__file__).resolve().parent.parent  # the checkout whose workbench is tested
runner = CliRunner()


def run_isolated(code: str, *, timeout: float = 120, memory_gb: int = 4) -> dict:
    """Run ``code`` in a fresh interpreter with this checkout's workbench, a timeout and an
    address-space limit; return the JSON it prints last. A hang fails the test (the child is
    killed by ``subprocess.run``), and so does any crash."""

    def limit() -> None:  # a runaway read raises MemoryError instead of eating the machine
        size = memory_gb << 30
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=limit,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung: no result within {timeout} s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def skipped(report) -> dict[str, str]:
    return {s.path: s.reason for s in report.skipped}


def rows(store: Store) -> dict[str, dict]:
    return {r["path"]: r for r in store.read_table("modules").to_pylist()}


@pytest.fixture
def store(tmp_path) -> Store:
    return Store.create(tmp_path / "store")


@pytest.fixture
def tree(tmp_path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "ok.py").write_text("def fine():\n    return 1\n")
    return src


# -- 1. path identity ------------------------------------------------------------------------


def test_a_backslash_is_an_ordinary_character_of_a_posix_name():
    assert normalize_path("a\\b.py") == "a\\b.py"
    assert normalize_path("./a//b.py") == "a/b.py"
    assert module_key("a\\b.py") != module_key("a/b.py")
    assert module_name("a\\b.py") == "a\\b"  # not importable, distinct from "a.b"
    assert module_name("a/b.py") == "a.b"


def _slash_and_backslash(src: Path) -> None:
    (src / "a").mkdir()
    (src / "a" / "b.py").write_text("def slash():\n    return 1\n")
    (src / "a\\b.py").write_text("def backslash():\n    return 2\n")


def test_backslash_and_slash_files_are_two_modules_in_the_store(tree, store):
    _slash_and_backslash(tree)
    report = store.ingest(tree)
    assert sorted(report.added) == ["a/b.py", "a\\b.py", "ok.py"]
    mods = rows(store)
    slash, back = mods["a/b.py"], mods["a\\b.py"]
    assert len(mods) == 3 and slash["module"] != back["module"]
    assert (slash["name"], back["name"]) == ("a.b", "a\\b")
    for row in (slash, back):
        data = (tree / row["path"]).read_bytes()
        assert row["content_hash"] == hashlib.sha256(data).hexdigest()
    funcs = store.read_table("functions").to_pylist()
    by_module = {f["module"]: f["qualname"] for f in funcs}
    assert by_module[slash["module"]] == "slash"
    assert by_module[back["module"]] == "backslash"
    assert len(funcs) == 3
    # generation reads each file by its own path: both keep their own code
    from workbench.store import migrations

    migrations.migrate(store)
    gen = store.generate(workers=1, quiet=True)
    assert (gen.ok, gen.failed) == (3, 0)
    assert "slash" in store.cpg("a/b.py").methods["name"].to_pylist()
    assert "backslash" in store.cpg("a\\b.py").methods["name"].to_pylist()
    assert "backslash" not in store.cpg("a/b.py").methods["name"].to_pylist()


def test_backslash_and_slash_files_are_two_modules_in_a_project(tree):
    _slash_and_backslash(tree)
    proj = wb.build_project(tree)
    assert sorted(proj.cpgs) == ["a/b.py", "a\\b.py", "ok.py"]
    assert proj.modules.num_rows == 3
    assert len(set(proj.modules["module"].to_pylist())) == 3
    slash, back = proj.cpgs["a/b.py"], proj.cpgs["a\\b.py"]
    assert slash.module.key != back.module.key
    assert "a.b.slash" in slash.methods["full_name"].to_pylist()
    assert "a\\b.backslash" in back.methods["full_name"].to_pylist()
    assert proj.module("a\\b") is back


# -- 2. bad file types -----------------------------------------------------------------------


def test_symlink_loop_and_broken_symlink_are_skipped_with_reasons(tree, store):
    os.symlink("loop.py", tree / "loop.py")
    os.symlink("missing.py", tree / "broken.py")
    (tree / "pkg").mkdir()
    os.symlink("other", tree / "pkg" / "other")  # a looping link without .py: not a module
    report = store.ingest(tree)
    assert report.added == ["ok.py"] and report.failed == []
    why = skipped(report)
    assert "loop" in why["loop.py"] and "broken" in why["broken.py"]
    assert "missing.py" in why["broken.py"]
    proj = wb.build_project(tree)
    assert list(proj.cpgs) == ["ok.py"]
    assert {s.path for s in proj.skipped} == {"loop.py", "broken.py"}


def test_non_utf8_file_names_are_skipped_and_never_collide(tree, store):
    raw = os.fsencode(tree)
    with open(os.path.join(raw, b"caf\xe9.py"), "wb") as fh:
        fh.write(b"def latin_name():\n    pass\n")
    os.mkdir(os.path.join(raw, b"d\xff"))
    with open(os.path.join(raw, b"d\xff", b"inner.py"), "wb") as fh:
        fh.write(b"x = 1\n")
    # a valid name that reads like the escaped form of the one above: its own module
    (tree / "caf\\xe9.py").write_text("def literal_name():\n    pass\n")
    report = store.ingest(tree)
    assert sorted(report.added) == ["caf\\xe9.py", "ok.py"]
    why = skipped(report)
    assert set(why) == {"caf\\xe9.py", "d\\xff"}
    assert "UTF-8" in why["caf\\xe9.py"] and "UTF-8" in why["d\\xff"]
    mods = rows(store)
    assert (
        mods["caf\\xe9.py"]["content_hash"]
        == hashlib.sha256((tree / "caf\\xe9.py").read_bytes()).hexdigest()
    )
    assert [f["name"] for f in store.read_table("functions").to_pylist()].count("latin_name") == 0
    proj = wb.build_project(tree)
    assert sorted(proj.cpgs) == ["caf\\xe9.py", "ok.py"]
    assert {s.path for s in proj.skipped} == {"caf\\xe9.py", "d\\xff"}
    for s in proj.skipped:
        s.path.encode("utf-8")  # reportable: valid UTF-8
        s.reason.encode("utf-8")


def test_symlink_to_dev_zero_is_never_read(tree, tmp_path):
    os.symlink("/dev/zero", tree / "zero.py")
    result = run_isolated(
        f"""
        import json
        from pathlib import Path
        import workbench as wb
        from workbench.store import Store

        src = Path({str(tree)!r})
        out = {{}}
        for follow in (False, True):
            store = Store.create(Path({str(tmp_path)!r}) / f"store-{{follow}}")
            kw = {{"follow_symlinks": True}} if follow else {{}}  # the default first
            r = store.ingest(src, **kw)
            proj = wb.build_project(src, **kw)
            out[str(follow)] = {{
                "added": r.added,
                "skipped": {{s.path: s.reason for s in r.skipped}},
                "built": sorted(proj.cpgs),
                "project_skipped": {{s.path: s.reason for s in proj.skipped}},
            }}
        print(json.dumps(out))
        """
    )
    for follow in ("False", "True"):
        res = result[follow]
        assert res["added"] == res["built"] == ["ok.py"]
        assert "zero.py" in res["skipped"] and "zero.py" in res["project_skipped"]
    assert "character device" in result["True"]["skipped"]["zero.py"]


def test_fifo_is_never_opened(tree, tmp_path):
    os.mkfifo(tree / "pipe.py")
    result = run_isolated(
        f"""
        import json
        from pathlib import Path
        import workbench as wb
        from workbench.store import Store
        from workbench.pipeline.worker import build_batch

        src = Path({str(tree)!r})
        store = Store.create(Path({str(tmp_path)!r}) / "store")
        r = store.ingest(src)
        proj = wb.build_project(src)
        from workbench.frontends.python.source import read_source
        # a FIFO that appears after ingest (or under a module's name) in generation
        batch = build_batch(str(store.root), str(src), [(1, "pipe.py", "")], 1000)
        print(json.dumps({{
            "added": r.added,
            "skipped": {{s.path: s.reason for s in r.skipped}},
            "built": sorted(proj.cpgs),
            "project_skipped": [s.path for s in proj.skipped],
            "read": read_source(src / "pipe.py", "pipe.py").error.error_type,
            "worker": [batch["results"][0][k] for k in ("status", "error_type")],
        }}))
        """,
        timeout=90,
    )
    assert result["added"] == result["built"] == ["ok.py"]
    assert "FIFO" in result["skipped"]["pipe.py"]
    assert result["project_skipped"] == ["pipe.py"]
    assert result["read"] == "NotRegularFileError"
    assert result["worker"] == ["failed", "NotRegularFileError"]


def test_size_is_checked_before_reading(tree, tmp_path):
    with open(tree / "huge.py", "wb") as fh:  # sparse: 3 GiB on paper, nothing on disk
        fh.truncate(3 << 30)
    result = run_isolated(
        f"""
        import json
        from pathlib import Path
        import workbench as wb
        from workbench.store import Store

        src = Path({str(tree)!r})
        limits = wb.Limits(max_bytes=10_000)
        proj = wb.build_project(src, limits=limits)
        store = Store.create(Path({str(tmp_path)!r}) / "store")
        r = store.ingest(src, limits=limits)
        row = next(m for m in proj.modules.to_pylist() if m["path"] == "huge.py")
        print(json.dumps({{
            "built": sorted(proj.cpgs),
            "row": [row[k] for k in ("parse_status", "error_type", "size_bytes")],
            "ingest_failed": r.failed,
        }}))
        """,
        memory_gb=4,
    )
    assert result["built"] == ["ok.py"]
    assert result["row"] == ["skipped", "SourceTooLargeError", 3 << 30]
    assert result["ingest_failed"] == ["huge.py"]


def test_oversized_files_are_hashed_in_bounded_memory(tree):
    size = 24 << 20
    with open(tree / "big.py", "wb") as fh:
        fh.truncate(size)
    expected = hashlib.sha256()
    for _ in range(size >> 20):
        expected.update(bytes(1 << 20))
    tracemalloc.start()
    try:
        proj = wb.build_project(tree, limits=wb.Limits(max_bytes=1000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"{peak:,} bytes held while reading a {size:,} byte file"
    row = next(r for r in proj.modules.to_pylist() if r["path"] == "big.py")
    assert (row["parse_status"], row["size_bytes"]) == ("skipped", size)
    assert row["content_hash"] == expected.hexdigest()  # as before: the bytes' hash
    assert row["lines"] == 1


def test_venv_build_dist_are_skipped_only_at_the_top(tmp_path, tree, store):
    for rel in (
        "lib/venv/__init__.py",  # the standard library's own venv package
        "lib/build/__init__.py",
        "pkg/dist.py",
        "venv/lib/site.py",
        "build/lib/copy.py",
        "dist/x.py",
        "tools/env/lib/installed.py",
        ".venv/y.py",
        ".git/hook.py",
    ):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text("x = 1\n")
    (tree / "tools" / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    report = store.ingest(tree)
    assert sorted(report.added) == [
        "lib/build/__init__.py",
        "lib/venv/__init__.py",
        "ok.py",
        "pkg/dist.py",
    ]
    why = skipped(report)
    assert set(why) == {"venv", "build", "dist", "tools/env", ".venv"}  # .git: not a word
    assert "top" in why["venv"] and "pyvenv.cfg" in why["tools/env"]
    assert find_modules(tree) == sorted(report.added)
    proj = wb.build_project(tree)
    assert set(proj.cpgs) == set(report.added)
    assert {s.path for s in proj.skipped} == set(why)
    result = runner.invoke(app, ["ingest", str(tree), "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert "paths skipped" in result.output and "tools/env" in result.output
    # the standard library as the root: its venv package sits at the top, and is kept
    from workbench.pipeline.discover import discover

    stdlib = tmp_path / "stdlib"
    for rel in ("venv/__init__.py", "venv/__main__.py", "os.py"):
        (stdlib / rel).parent.mkdir(parents=True, exist_ok=True)
        (stdlib / rel).write_text("x = 1\n")
    assert discover(stdlib).paths == ["os.py", "venv/__init__.py", "venv/__main__.py"]
    assert discover(stdlib).skipped == []


@pytest.mark.parametrize("ingests", [(True,), (True, False)], ids=["followed", "not any more"])
def test_a_repair_reparses_as_the_ingest_did_following_symlinks(tmp_path, tree, ingests):
    """A store whose legacy log is damaged is re-parsed from its source: with the symbolic
    links followed when the last ingest followed them, so no module goes missing (and not
    when an earlier ingest followed them but the last did not)."""
    from workbench.pipeline import repair
    from workbench.store.maintenance import verify

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "ext.py").write_text("def ext():\n    pass\n")
    os.symlink(outside / "ext.py", tree / "ext.py")
    store = Store.create(tmp_path / "store")
    for follow in ingests:
        store.ingest(tree, follow_symlinks=follow)
    before = sorted(store.modules().path)
    assert ("ext.py" in before) == ingests[-1]
    sorted((store.root / "modules" / "_delta_log").glob("*.json"))[-1].write_text("{garbage")
    assert "re-parsed" in " ".join(repair(store).action)
    store = wb.open_store(store.root)
    assert verify(store).empty and sorted(store.modules().path) == before


def test_symlinks_leaving_the_tree_are_followed_only_when_asked(tmp_path, tree):
    from workbench.pipeline.discover import discover

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "ext.py").write_text("def ext():\n    pass\n")
    os.symlink(outside / "ext.py", tree / "ext.py")
    os.symlink(outside, tree / "extdir")
    (tree / "pkg").mkdir()
    (tree / "pkg" / "mod.py").write_text("y = 1\n")
    os.symlink("mod.py", tree / "pkg" / "alias.py")  # inside the tree: followed as before
    os.symlink("..", tree / "pkg" / "up")  # a loop once links to folders are followed

    found = discover(tree)
    assert found.paths == ["ok.py", "pkg/alias.py", "pkg/mod.py"]
    why = {s.path: s.reason for s in found.skipped}
    assert "outside the source tree" in why["ext.py"] and "follow" in why["ext.py"]
    assert "follow" in why["extdir"] and "follow" in why["pkg/up"]

    found = discover(tree, follow_symlinks=True)
    assert found.paths == ["ext.py", "extdir/ext.py", "ok.py", "pkg/alias.py", "pkg/mod.py"]
    assert [s.path for s in found.skipped] == ["pkg/up"] and "loop" in found.skipped[0].reason

    store = Store.create(tmp_path / "store")
    assert "ext.py" not in store.ingest(tree).added
    assert {"ext.py", "extdir/ext.py"} <= set(store.ingest(tree, follow_symlinks=True).added)
    proj = wb.build_project(tree, follow_symlinks=True)
    assert "extdir/ext.py" in proj.cpgs and "ext.py" in proj.cpgs
    assert "ext.py" not in wb.build_project(tree).cpgs

    cli_store = str(tmp_path / "cli-store")
    result = runner.invoke(app, ["ingest", str(tree), "--store", cli_store, "--follow-symlinks"])
    assert result.exit_code == 0, result.output
    assert "5 added" in result.output
    result = runner.invoke(app, ["build", str(tree), "--json", "--follow-symlinks"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["modules"], summary["paths_skipped"]) == (5, 1)
    result = runner.invoke(app, ["build", str(tree)])
    assert result.exit_code == 0 and "paths skipped" in result.output
    assert "outside the source tree" in result.output


# -- 3. CLI and error polish -----------------------------------------------------------------


def test_cli_ingest_of_a_file_fails_and_creates_nothing(tmp_path, tree):
    store = tmp_path / "store"
    result = runner.invoke(app, ["ingest", str(tree / "ok.py"), "--store", str(store)])
    assert result.exit_code == 2
    assert "ok.py" in result.output and "not a directory" in result.output
    assert not store.exists()
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "--store", str(store)])
    assert result.exit_code == 2 and not store.exists()


def test_unreadable_files_are_module_failures_that_name_the_file(tree, store):
    from workbench.pipeline.ingest import ingest_into

    with store.transaction("ingest") as tx:  # a file gone between discovery and reading
        report = ingest_into(tx, tree, ["gone.py", "ok.py"])
    assert sorted(report.added) == ["gone.py", "ok.py"] and report.failed == ["gone.py"]
    row = rows(store)["gone.py"]
    assert (row["parse_status"], row["error_type"]) == ("failed", "UnreadableFileError")
    assert "No such file" in row["error_message"]
    with store.transaction("ingest") as tx:  # still unreadable the same way: unchanged
        report = ingest_into(tx, tree, ["gone.py", "ok.py"])
    assert (report.unchanged, report.changed) == (2, [])
    (tree / "gone.py").write_text("z = 1\n")
    with store.transaction("ingest") as tx:
        report = ingest_into(tx, tree, ["gone.py", "ok.py"])
    assert report.changed == ["gone.py"] and rows(store)["gone.py"]["parse_status"] == "ok"


def test_an_unexpected_error_is_the_module_failure(tree, store, monkeypatch):
    import workbench.frontends.python.repository as repository

    def boom(tree, key):
        raise RuntimeError("kaput")

    monkeypatch.setattr(repository, "function_rows", boom)
    report = store.ingest(tree)
    assert report.failed == ["ok.py"]
    row = rows(store)["ok.py"]
    assert row["error_type"] == "BuildError" and "RuntimeError: kaput" in row["error_message"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-32-be"])
def test_utf16_and_utf32_boms_are_unsupported_encodings(encoding, tree, store):
    from workbench.errors import UnsupportedEncodingError

    bom = {"utf-16-be": b"\xfe\xff", "utf-32-be": b"\x00\x00\xfe\xff"}.get(encoding, b"")
    data = bom + "x = 1\n".encode(encoding)
    with pytest.raises(UnsupportedEncodingError) as info:
        wb.build_cpg(data, path="u.py")
    assert isinstance(info.value, DecodeError)
    assert encoding[:6].upper() in info.value.message and "byte order mark" in info.value.message
    (tree / "u.py").write_bytes(data)
    store.ingest(tree)
    row = rows(store)["u.py"]
    assert (row["parse_status"], row["error_type"]) == ("failed", "UnsupportedEncodingError")


def test_repair_reingests_following_symlinks_as_the_last_ingest_did(tmp_path, tree, store):
    from workbench.pipeline import repair

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "ext.py").write_text("def ext():\n    pass\n")
    os.symlink(outside / "ext.py", tree / "ext.py")
    assert sorted(store.ingest(tree, follow_symlinks=True).added) == ["ext.py", "ok.py"]
    data = next((store.root / "modules").glob("*.parquet"))
    data.write_bytes(data.read_bytes()[:-10])  # damage: repair restores and re-ingests
    assert not repair(store).empty
    assert sorted(rows(store)) == ["ext.py", "ok.py"]
