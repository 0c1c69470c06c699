"""The frontend tests under the newest interpreter installed (pyenv), not only the running one:
the builder reads that interpreter's ``ast``, whose classes change with each release.

``make newest`` (a prerequisite of ``make test``) creates ``.venv-pyXY`` with the package
(editable) and pytest; this test runs the tests that need no store in it.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: The tests of the frontend and the passes (no store, no notebook, no worker pool).
FRONTEND_TESTS = [
    "tests/test_cfg.py",
    "tests/test_cfg_fixes.py",
    "tests/test_dataflow.py",
    "tests/test_calls.py",
    "tests/test_resolution.py",
    "tests/test_builder_types.py",
    "tests/test_syntax_checks.py",
    "tests/test_new_syntax.py",
    "tests/test_passes.py",
    "tests/test_bad_input.py",
]


def newest_interpreter() -> tuple[tuple[int, int], pathlib.Path] | None:
    """``((major, minor), python)`` of the newest pyenv interpreter, if any."""
    root = pathlib.Path(os.environ.get("PYENV_ROOT", pathlib.Path.home() / ".pyenv"))
    found = []
    for d in (root / "versions").glob("3.*"):
        m = re.fullmatch(r"3\.(\d+)\.(\d+)", d.name)
        if m and (d / "bin" / "python").exists():
            found.append(((3, int(m[1]), int(m[2])), d / "bin" / "python"))
    if not found:
        return None
    version, python = max(found)
    return version[:2], python


@pytest.mark.slow
def test_frontend_tests_pass_under_the_newest_interpreter():
    newest = newest_interpreter()
    if newest is None or newest[0] <= sys.version_info[:2]:
        pytest.skip(f"no interpreter newer than {sys.version.split()[0]} under pyenv")
    (major, minor), _ = newest
    venv = ROOT / f".venv-py{major}{minor}"
    if not (venv / ".installed").exists():
        pytest.skip(f"Python {major}.{minor} is installed but {venv.name} is not: `make newest`")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_XDIST_WORKER", None)
    options = ["-q", "-p", "no:cacheprovider", "-p", "no:leakguard", "-m", "not slow"]
    with tempfile.TemporaryDirectory() as tmp:  # the child's temporary files, removed
        options += [f"--basetemp={tmp}/t", "-o", "addopts="]
        run = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pytest", *options, *FRONTEND_TESTS],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    assert re.search(r"\d+ passed", run.stdout)
