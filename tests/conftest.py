import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers import SAMPLE


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
