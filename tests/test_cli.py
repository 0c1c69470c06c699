"""The command line: thin, but its outputs and exit codes are what scripts depend on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from helpers import SAMPLE_BROKEN, SAMPLE_MODULES, SAMPLE_OK
from typer.testing import CliRunner

from workbench.cli import app
from workbench.cpg.schema import EDGES, MODULES_V1, NODES

SAMPLE = Path(__file__).parent.parent / "data" / "sample_project"
runner = CliRunner()


def test_build_writes_parquet_and_summarises(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(SAMPLE), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["modules"], summary["ok"], summary["failed"]) == (
        SAMPLE_MODULES,
        SAMPLE_OK,
        SAMPLE_BROKEN,
    )
    nodes = pq.read_table(out / "cpg_nodes.parquet")
    assert nodes.schema.equals(NODES, check_metadata=True)
    assert nodes.num_rows == summary["nodes"]
    assert pq.read_table(out / "cpg_edges.parquet").schema.equals(EDGES)
    assert pq.read_table(out / "modules.parquet").schema.equals(MODULES_V1)
    meta = pq.ParquetFile(out / "cpg_nodes.parquet").metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert json.loads((out / "summary.json").read_text())["nodes"] == summary["nodes"]


def test_build_human_output_lists_failures_and_complex_functions():
    result = runner.invoke(app, ["build", str(SAMPLE), "--exclude", "bookshop/legacy/*"])
    assert result.exit_code == 0, result.output
    assert "failed  0" in result.output
    assert "bookshop.pricing.price_for" in result.output


def test_bad_source_root_exits_2(tmp_path):
    result = runner.invoke(app, ["build", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "not a directory" in result.output


def test_schema_command():
    result = runner.invoke(app, ["schema", "cpg_edges"])
    assert result.exit_code == 0 and "dst_module" in result.output
    assert runner.invoke(app, ["schema", "nope"]).exit_code == 2


def test_console_script_runs_in_a_fresh_process():
    exe = Path(sys.executable).parent / "workbench"
    for _ in range(3):
        proc = subprocess.run([str(exe), "version"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("cpg-workbench ")


def test_store_commands_in_fresh_processes_exit_cleanly(tmp_path):
    """deltalake + pyarrow can abort at interpreter exit (shared/recipes/storage.md): every
    store command must still exit 0, several times over."""
    exe = str(Path(sys.executable).parent / "workbench")
    store = str(tmp_path / "store")
    steps = [
        [exe, "ingest", str(SAMPLE), "--store", store],
        [exe, "migrate", "--store", store],
        [exe, "generate", "--store", store, "--workers", "2", "--quiet"],
        [exe, "sql", "SELECT count(*) AS n FROM modules", "--store", store],
        [exe, "history", "--store", store],
        [exe, "verify", "--store", store],
        [exe, "compact", "--store", store],
        [exe, "repair", "--store", store],
        [exe, "vacuum", "--store", store],
        [exe, "rollback", "--store", store],
    ]
    for cmd in steps + [steps[3]] * 4:  # sql, again and again
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (cmd, proc.stderr)


def test_verify_exit_code_reports_damage(tmp_path):
    store = str(tmp_path / "store")
    assert runner.invoke(app, ["ingest", str(SAMPLE), "--store", store]).exit_code == 0
    data = next((tmp_path / "store" / "functions").glob("*.parquet"))
    data.write_bytes(data.read_bytes()[:-10])
    result = runner.invoke(app, ["verify", "--store", store])
    assert result.exit_code == 1 and "size" in result.output
    result = runner.invoke(app, ["repair", "--store", store])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["verify", "--store", store]).exit_code == 0
