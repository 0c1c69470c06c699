"""Hostile source trees: odd names, symbolic links, FIFOs, devices, huge files, odd encodings.

None of them may abort, hang or exhaust a run, or make two files one module.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import workbench as wb
from workbench.cpg.ids import module_key, module_name, normalize_path
from workbench.store import Store

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file names and file types")


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
