"""``Store.status()`` and ``workbench status``: what a store holds, for people and machines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import SAMPLE_BROKEN, SAMPLE_MODULES, SAMPLE_OK
from typer.testing import CliRunner

from workbench.cli import app
from workbench.store import Store, open_store

REPO = Path(__file__).parent.parent
BROKEN = ["bookshop/legacy/broken.py", "bookshop/legacy/latin1.py"]
runner = CliRunner()


def disk_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def test_status_of_a_v1_store(v1):
    s = v1.status()
    assert json.loads(json.dumps(s)) == s  # plain data
    assert (s["version"], s["latest_version"], s["versions"]) == (1, 1, 2)
    assert (s["schema_version"], s["flags"]) == (1, {"cpg": False})
    assert s["last_operation"]["operation"] == "ingest"
    assert s["last_operation"]["timestamp"] == v1.history().timestamp.iloc[-1]
    assert s["last_operation"]["details"]["added"] == SAMPLE_MODULES
    assert set(s["tables"]) == {"modules", "functions", "sources"}
    for name, t in s["tables"].items():
        assert t["rows"] == v1.read_table(name).num_rows
        assert t["files"] == len(v1.files(name)) >= 1
        assert 0 < t["bytes"] < s["size_bytes"]
    assert s["size_bytes"] == disk_size(v1.root)
    assert s["modules"]["total"] == SAMPLE_MODULES
    assert s["modules"]["parse_status"] == {"failed": SAMPLE_BROKEN, "ok": SAMPLE_OK}
    assert s["modules"]["cpg_status"] == {}  # no CPG support yet
    assert s["pending"] == {"count": 0, "paths": []}
    assert s["failed"] == {"count": SAMPLE_BROKEN, "paths": BROKEN}
    assert pd.DataFrame(s["tables"]).T.loc["modules", "rows"] == SAMPLE_MODULES


def test_status_follows_generation_and_lists_the_first_paths(v2):
    s = v2.status(limit=3)
    assert (s["schema_version"], s["flags"]["cpg"]) == (2, True)
    assert s["last_operation"]["operation"] == "migrate"
    assert s["modules"]["cpg_status"] == {"pending": SAMPLE_MODULES}
    paths = sorted(v2.modules().path)
    assert s["pending"] == {"count": SAMPLE_MODULES, "paths": paths[:3]}
    assert s["tables"]["cpg_nodes"] == {"rows": 0, "files": 0, "bytes": 0}
    v2.generate(workers=1, quiet=True)
    s = v2.status()
    assert s["version"] == s["latest_version"] == v2.version
    assert s["modules"]["cpg_status"] == {"failed": SAMPLE_BROKEN, "ok": SAMPLE_OK}
    assert s["pending"]["count"] == 0
    assert s["failed"] == {"count": SAMPLE_BROKEN, "paths": BROKEN}
    assert s["tables"]["cpg_nodes"]["rows"] == v2.read_table("cpg_nodes").num_rows > 0
    assert s["tables"]["cpg_graphs"]["rows"] == SAMPLE_MODULES
    old = v2.at(1).status()  # time travel: as of that version
    assert (old["version"], old["latest_version"], old["schema_version"]) == (1, v2.version, 1)


def test_status_survives_a_damaged_modules_table(v1):
    data = next((v1.root / "modules").glob("*.parquet"))
    data.write_bytes(data.read_bytes()[:-10])
    s = open_store(v1.root).status()
    assert s["modules"]["total"] is None and "error" in s["modules"]
    assert s["tables"]["functions"]["rows"] > 0  # the rest is still reported
    result = runner.invoke(app, ["status", "--store", str(v1.root)])
    assert result.exit_code == 0, result.output
    assert "unreadable" in result.output and "functions" in result.output


def test_status_command_prints_it_readably(v2):
    v2.generate(workers=1, quiet=True)
    result = runner.invoke(app, ["status", "--store", str(v2.root), "--limit", "1"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["store", str(v2.root)]
    versions = len(v2.history())
    assert lines[1] == f"version    {v2.version} (the latest; {versions} versions in the log)"
    assert lines[2] == "schema     v2 (cpg on)"
    assert lines[3].startswith("last       link at ") and lines[3].endswith(" UTC")
    assert lines[4].startswith("size ") and lines[4].endswith(" on disk")
    text = result.output
    assert f"modules    {SAMPLE_MODULES}: parse {SAMPLE_BROKEN} failed, {SAMPLE_OK} ok" in text
    assert f"cpg {SAMPLE_BROKEN} failed, {SAMPLE_OK} ok" in text
    assert f"failed     {SAMPLE_BROKEN}: {BROKEN[0]} (+1 more)" in text
    assert "pending" not in text  # nothing pending
    nodes = next(line for line in lines if line.split()[:1] == ["cpg_nodes"])
    assert f"{v2.read_table('cpg_nodes').num_rows:,} rows" in nodes


def test_status_json_is_the_library_status(v1):
    result = runner.invoke(app, ["status", "--store", str(v1.root), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == open_store(v1.root).status()


def test_status_of_a_v1_store_says_how_to_switch_cpg_on(v1):
    result = runner.invoke(app, ["status", "--store", str(v1.root)])
    assert result.exit_code == 0, result.output
    assert "schema     v1 (cpg off)" in result.output
    assert "no CPG support yet: `workbench migrate` adds it" in result.output


@pytest.mark.slow
def test_status_command_in_a_fresh_process(tmp_path):
    store = Store.create(tmp_path / "store")
    cmd = [sys.executable, "-m", "workbench.cli", "status", "--store"]
    proc = subprocess.run(
        [*cmd, str(store.root), "--json"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert (s["version"], s["last_operation"]["operation"]) == (0, "create")
    assert s["modules"]["total"] == 0
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [*cmd, str(tmp_path / "missing")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2 and "no store here" in proc.stderr
