"""The session guard (``tests/leakguard.py``) fails a session that leaves something behind:
a process (also one orphaned, so no longer below pytest), a temporary folder, a file in the
repository, a changed ``build/demo``. Each case runs a small pytest session of its own."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path("/proc/self/stat").exists(), reason="the guard finds processes through /proc"
    ),
]

LEAKY = """
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SLEEP = [sys.executable, "-c", "import time; time.sleep(120)"]
PIDS = Path(os.environ["LEAK_PIDS"])
ROOT = Path(__file__).parent


def test_leaves_a_child_process():
    proc = subprocess.Popen(SLEEP)  # never waited for
    (PIDS / "child").write_text(str(proc.pid))


def test_leaves_an_orphan():
    # the intermediate process exits at once: the sleeper is adopted by init
    code = (
        "import subprocess, sys; "
        f"p = subprocess.Popen({SLEEP!r}); "
        f"open({str(PIDS / 'orphan')!r}, 'w').write(str(p.pid))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_leaves_a_temp_folder():
    (Path(tempfile.mkdtemp()) / "left.txt").write_text("x")


def test_leaves_a_file_in_the_repository():
    (ROOT / "leftover.txt").write_text("x")


def test_changes_the_demo():
    with open(ROOT / "build/demo/phase1_metrics.json", "a") as fh:
        fh.write(" ")
"""

CLEAN = """
import subprocess
import sys
import tempfile
from pathlib import Path


def test_cleans_up(tmp_path):
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "x").write_text("x")
    (tmp_path / "kept-by-pytest").write_text("x")
    assert (Path(__file__).parent / "build/demo/phase1_metrics.json").read_text() == "{}"
"""

ARTIFACTS = """
from pathlib import Path

ROOT = Path(__file__).parent


def test_keeps_screenshots():
    (ROOT / "build" / "browser").mkdir(parents=True, exist_ok=True)
    (ROOT / "build" / "browser" / "shot.png").write_bytes(b"png")
"""


@pytest.fixture
def session(pytester, monkeypatch):
    """A project with the guard and a ``build/demo``, and a function running a pytest session
    on it in a subprocess (pytester keeps its own files, stdout and stderr, outside it)."""
    project = pytester.mkdir("project")
    (project / "conftest.py").write_text("pytest_plugins = ['leakguard']\n")
    (project / "build" / "demo").mkdir(parents=True)
    (project / "build" / "demo" / "phase1_metrics.json").write_text("{}")
    pids = pytester.mkdir("pids")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(Path(__file__).parent), *sys_path()]))
    monkeypatch.setenv("LEAK_PIDS", str(pids))
    monkeypatch.setenv("LEAKGUARD_GRACE_SECONDS", "1")

    def run(tests: str):
        (project / "test_it.py").write_text(tests)
        return pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "-q", "--rootdir", str(project), str(project), timeout=120
        )

    return run, pids


def sys_path() -> list[str]:
    return [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]


def test_a_clean_session_passes(session):
    run, _ = session
    result = run(CLEAN)
    assert result.ret == 0, result.stdout.str()
    assert "left things behind" not in result.stdout.str()


def test_artifacts_may_create_their_parent_folder_but_nothing_else_beside_it(session, pytester):
    """``build/browser`` (an artifact folder, ``leakguard.ARTIFACT_DIRS``) in a fresh clone,
    where ``build/`` does not exist yet: creating both is no leak; a file left in ``build/``
    beside it is."""
    run, _ = session
    shutil.rmtree(pytester.path / "project" / "build")
    result = run(ARTIFACTS)
    assert result.ret == 0, result.stdout.str()
    assert "left things behind" not in result.stdout.str()
    leaves = '\n\ndef test_leaves():\n    (ROOT / "build" / "x.txt").write_text("x")\n'
    result = run(ARTIFACTS + leaves)
    assert result.ret == 1, result.stdout.str()
    assert "new in the repository: build/x.txt" in result.stdout.str()
    assert "build/browser" not in result.stdout.str()


def test_a_session_that_leaves_things_behind_fails(session):
    run, pids = session
    try:
        result = run(LEAKY)
        out = result.stdout.str()
        result.assert_outcomes(passed=5)
        assert result.ret == 1, out
        result.stdout.fnmatch_lines(
            [
                "*= the test session left things behind (tests/leakguard.py) =*",
                f"process {(pids / 'child').read_text()} still running: *time.sleep(120)* (killed)",
                f"process {(pids / 'orphan').read_text()} still running: *time.sleep(120)*",
                "temp dir: tmp*/ (1 file) (removed)",
                "changed in the repository: build/demo/phase1_metrics.json (make demo's output)",
            ],
            consecutive=False,
        )
        assert "new in the repository: leftover.txt" in out
        # the guard ended them
        deadline = time.monotonic() + 10
        while alive(pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(pids)
    finally:
        for pid in alive(pids):
            os.kill(pid, signal.SIGKILL)


def alive(pids: Path) -> list[int]:
    out = []
    for f in pids.iterdir():
        try:
            state = Path(f"/proc/{f.read_text()}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in "ZX":
            out.append(int(f.read_text()))
    return out
