"""Repository-wide test configuration (``tests/conftest.py`` has the tests' fixtures).

- ``tests/leakguard.py``: the session fails if it leaves a process, a temporary file or a file
  in the repository behind, or changes ``build/demo`` (``make demo``'s output).
- Doctests (``workbench/`` and ``README.md``) make their folders with ``tempfile.mkdtemp()``,
  as a user would; here the temp dir of each is its own ``tmp_path``, which pytest cleans up.
"""

import sys
import tempfile
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

sys.path.insert(0, str(Path(__file__).parent / "tests"))

# jupyter_browser: the browser tests' fixtures (its imports are the standard library's; it
# loads Playwright only when a browser test asks for it)
pytest_plugins = ["pytester", "leakguard", "jupyter_browser"]


@pytest.fixture(autouse=True)
def _doctest_temp_dir(request):
    """A doctest's ``tempfile.mkdtemp()`` folders land in its ``tmp_path``."""
    if isinstance(request.node, DoctestItem):
        tmp = str(request.getfixturevalue("tmp_path"))
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setattr(tempfile, "tempdir", tmp)
        monkeypatch.setenv("TMPDIR", tmp)


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own hook
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (each worker collects and must order the same way):

    - the slow tests first, so that none of them is left for the end while the other workers
      are idle;
    - ``--dist loadgroup`` keeps tests marked ``xdist_group`` on one worker (the stdlib tests
      share one build): pytest-xdist 3.8 tells the controller a test's group by appending
      ``@group`` to its node id, which pytest 9.2's structured node ids silently ignore
      (pytest-dev/pytest-xdist#1386); append it here when it is missing.
    """
    if not hasattr(config, "workerinput"):
        return
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        groups = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        if groups and "@" not in item.nodeid.rsplit("]", 1)[-1]:
            _set_nodeid(item, f"{item.nodeid}@{'_'.join(groups)}")


def _set_nodeid(item, nodeid: str) -> None:
    current = getattr(item, "_id", None)
    if current is not None and not isinstance(current, str):  # pytest >= 9.2: a NodeId
        item._id = type(current).parse(nodeid)
    else:
        item._nodeid = nodeid
