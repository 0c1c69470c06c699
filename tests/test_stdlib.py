"""Every module of the running interpreter's standard library builds (slow)."""

from __future__ import annotations

import ast
import os
import sysconfig
import warnings

import pytest

import workbench as wb
from workbench.errors import BuildError, DecodeError, ParseError, SourceError

STDLIB = sysconfig.get_paths()["stdlib"]


def stdlib_files() -> list[str]:
    out = []
    for dirpath, dirs, files in os.walk(STDLIB):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "__pycache__"))
        out += [os.path.join(dirpath, f) for f in sorted(files) if f.endswith(".py")]
    return out


def _python_rejects(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)
    except (SyntaxError, ValueError):
        return True
    return False


@pytest.mark.slow
def test_whole_stdlib_builds_without_crashes():
    files = stdlib_files()
    assert len(files) > 1000
    built = nodes = 0
    for path in files:
        with open(path, "rb") as fh:
            data = fh.read()
        rel = os.path.relpath(path, STDLIB)
        try:
            cpg = wb.build_cpg(data, rel)
        except BuildError as e:  # a crash of ours
            pytest.fail(f"crash on {rel}: {e}")
        except SourceError as e:  # only real syntax errors, and only cleanly
            assert isinstance(e, ParseError | DecodeError), (rel, e)
            assert _python_rejects(data), f"{rel}: we reject what Python accepts: {e}"
            assert e.line is not None
            continue
        built += 1
        nodes += cpg.nodes.num_rows
        assert "UNKNOWN" not in cpg.nodes["kind"].to_pylist()
    assert built > 0.99 * len(files)
    assert nodes > 1_000_000
