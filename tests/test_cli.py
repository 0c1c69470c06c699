"""The command line: thin, but its outputs and exit codes are what scripts depend on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from helpers import SAMPLE_BROKEN, SAMPLE_MODULES, SAMPLE_OK
from typer.testing import CliRunner

from workbench.cli import app
from workbench.cpg.schema import EDGES, MODULES_V1, NODES
from workbench.store import open_store
from workbench.store.maintenance import verify

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


@pytest.mark.slow
def test_console_script_runs_in_a_fresh_process():
    exe = Path(sys.executable).parent / "workbench"
    for _ in range(3):
        proc = subprocess.run([str(exe), "version"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith("cpg-workbench ")


@pytest.mark.slow
def test_store_commands_in_fresh_processes_exit_cleanly(tmp_path):
    """deltalake + pyarrow can abort at interpreter exit (docs/architecture.md, "Exit-safe
    reads"): every store command must still exit 0, several times over."""
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


# -- help, version, argument checks ----------------------------------------------------------

REPO = Path(__file__).parent.parent
WIDE = {"COLUMNS": "200"}  # help on one line per option


def fresh(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m workbench.cli ARGS`` in a new process (this worktree's workbench)."""
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **WIDE},
    )


def help_of(*command: str) -> str:
    result = runner.invoke(app, [*command, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return result.output


def option_line(text: str, option: str) -> str:
    return next(line for line in text.splitlines() if re.search(rf"\s{option}\s", line))


def test_help_shows_flags_bare_and_what_defaults_mean():
    for command in [(), ("build",), ("generate",), ("migrate",), ("status",), ("verify",)]:
        text = help_of(*command)
        assert "<bool>" not in text, command  # a flag takes no value
        assert "--help " in text
    text = help_of("generate")
    for flag in ("--retry-failed", "--quiet"):
        line = option_line(text, flag)
        assert "<" not in line and "--no-" not in line, line
    assert "no limit" in option_line(text, "--timeout")
    assert "no limit" in option_line(text, "--memory-budget-mb")
    assert "all cores" in option_line(text, "--workers")
    assert "last ingested" in option_line(text, "--source")
    assert "<" not in option_line(help_of("migrate"), "--plan")
    assert "<" not in option_line(help_of("build"), "--json")
    assert "default: 1" in option_line(help_of("ingest"), "--workers")


@pytest.mark.slow
def test_global_version_option():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == runner.invoke(app, ["version"]).output
    assert result.output.startswith("cpg-workbench ")
    proc = fresh("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == fresh("version").stdout == result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--workers", "-1"],
        ["--workers", "0"],
        ["--timeout", "0"],
        ["--timeout", "-2.5"],
        ["--memory-budget-mb", "0"],
        ["--memory-budget-mb", "-1"],
    ],
)
def test_generate_refuses_impossible_limits(v2, args):
    result = runner.invoke(app, ["generate", "--store", str(v2.root), *args], env=WIDE)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{args[0]}'" in result.output
    assert not isinstance(result.exception, ValueError)
    assert open_store(v2.root).version == v2.version  # nothing was run


@pytest.mark.slow
def test_generate_refuses_impossible_limits_in_a_fresh_process(tmp_path):
    for args in (["--workers", "-1"], ["--timeout", "0"], ["--memory-budget-mb", "0"]):
        proc = fresh("generate", "--store", str(tmp_path / "none"), *args)
        assert proc.returncode == 2, proc.stderr
        assert args[0] in proc.stderr and "Traceback" not in proc.stderr


def test_ingest_refuses_zero_workers(tmp_path):
    result = runner.invoke(app, ["ingest", str(SAMPLE), "--store", str(tmp_path / "s")])
    assert result.exit_code == 0
    result = runner.invoke(
        app, ["ingest", str(SAMPLE), "--store", str(tmp_path / "s"), "--workers", "0"]
    )
    assert result.exit_code == 2 and "Invalid value for '--workers'" in result.output


# -- migrate / rollback with nothing to do ---------------------------------------------------


@pytest.mark.slow
def test_migrate_and_rollback_say_when_there_is_nothing_to_do(v1):
    store = str(v1.root)
    result = runner.invoke(app, ["rollback", "--store", store])
    assert result.exit_code == 0
    assert result.output == "nothing to do: store is already at schema v1\n"
    result = runner.invoke(app, ["migrate", "--store", store])  # real work: the table
    assert result.exit_code == 0 and "verified equal" in result.output
    assert "rows_before" in result.output
    versions = len(open_store(store).history())
    for args in (["migrate"], ["migrate", "--plan"]):
        result = runner.invoke(app, [*args, "--store", store])
        assert result.exit_code == 0
        assert result.output == "nothing to do: store is already at schema v2\n"
    result = runner.invoke(app, ["rollback", "--store", store])
    assert result.exit_code == 0 and "verified equal" in result.output
    assert len(open_store(store).history()) == versions + 1  # only the real rollback wrote
    proc = fresh("rollback", "--store", store)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "nothing to do: store is already at schema v1\n"


# -- verify / repair name modules by path ----------------------------------------------------

KEY = re.compile(r"-?\b\d{9,}\b")  # a 64-bit module key


def test_verify_and_repair_name_modules_by_path(v2):
    store = str(v2.root)
    v2.generate(workers=1, quiet=True)
    paths = dict(zip(v2.modules().module, v2.modules().path, strict=True))
    data = max((v2.root / "cpg_nodes").glob("*.parquet"), key=lambda p: p.stat().st_size)
    data.write_bytes(data.read_bytes()[:-10])
    (keys,) = verify(open_store(store)).modules  # the library's report: module keys
    assert keys and all(isinstance(k, int) for k in keys)
    result = runner.invoke(app, ["verify", "--store", store], env=WIDE)
    assert result.exit_code == 1, result.output
    assert not KEY.search(result.output), result.output
    shown = sorted(paths[k] for k in keys)
    assert ", ".join(shown[:5]) in result.output
    if len(shown) > 5:
        assert f"(+{len(shown) - 5} more)" in result.output
    result = runner.invoke(app, ["repair", "--store", store], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output and shown[0] in result.output
    assert not KEY.search(result.output), result.output
    assert runner.invoke(app, ["verify", "--store", store]).exit_code == 0


def test_verify_shows_keys_when_the_modules_table_is_damaged(v1, monkeypatch):
    import pandas as pd

    from workbench.store import maintenance

    keys = sorted(v1.modules().module)[:2]
    data = next((v1.root / "modules").glob("*.parquet"))
    data.write_bytes(data.read_bytes()[:-10])
    real = maintenance.verify

    def keys_only(store):  # what it says when it can still read a damaged file's keys
        report = real(store)
        extra = {"table": "functions", "file": "f.parquet", "problem": "x", "modules": keys}
        return pd.concat([report, pd.DataFrame([extra])], ignore_index=True)

    monkeypatch.setattr(maintenance, "verify", keys_only)
    result = runner.invoke(app, ["verify", "--store", str(v1.root)], env=WIDE)
    assert result.exit_code == 1, result.output
    assert all(str(k) in result.output for k in keys)


# -- ImportError is not always a missing dask --------------------------------------------------


def test_generate_reports_other_import_errors_honestly(v2, monkeypatch):
    import workbench.pipeline

    def broken(*args, **kwargs):
        raise ImportError("No module named 'fancy_builder'")

    monkeypatch.setattr(workbench.pipeline, "generate", broken)
    result = runner.invoke(app, ["generate", "--store", str(v2.root), "--quiet"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ImportError)
    assert "fancy_builder" in str(result.exception)
    assert "dask" not in result.output


def test_generate_with_dask_missing_says_so(v2, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    result = runner.invoke(
        app, ["generate", "--store", str(v2.root), "--executor", "dask", "--quiet"]
    )
    assert result.exit_code == 2, result.output
    assert "dask.distributed is not installed" in result.output
    assert 'cpg-workbench[dask]"' in result.output


def test_generate_can_store_the_call_graph(v2):
    result = runner.invoke(
        app, ["generate", "--store", str(v2.root), "--workers", "1", "--quiet", "--call-graph"]
    )
    assert result.exit_code == 0, result.output
    n = int(re.search(r"call graph: (\d+) CALL edges stored", result.output).group(1))
    edges = open_store(v2.root).read_table("cpg_edges").to_pandas()
    flow = ["points-to", "decorator", "protocol", "property", "class-body", "module-body"]
    assert n == edges.label.isin(flow).sum() and (edges.label == "points-to").sum() > 0


def test_query_command_runs_a_builder_query_with_and_without_fallback(v1):
    q = json.dumps(
        {
            "from": "functions",
            "select": ["qualname", "complexity"],
            "where": [["complexity", ">", 8]],
            "order_by": [["complexity", "desc"]],
            "limit": 2,
        }
    )
    refused = runner.invoke(app, ["query", q, "--store", str(v1.root)])
    assert refused.exit_code == 2 and "migrate" in refused.output
    result = runner.invoke(app, ["query", q, "--store", str(v1.root), "--fallback", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [r["source"] for r in out["rows"]] == ["ast", "ast"]
    assert out["meta"]["rows"] == 2 and "CPG support is off" in out["meta"]["warnings"][0]
    bad = runner.invoke(app, ["query", '{"from": "nope"}', "--store", str(v1.root)])
    assert bad.exit_code == 2 and "unknown relation 'nope'" in bad.output


def test_telemetry_command_summarises_exports_and_speaks_prometheus(v2, tmp_path):
    v2.sql("SELECT count(*) AS n FROM functions")
    v2.flush_telemetry()
    summary = runner.invoke(app, ["telemetry", "--store", str(v2.root)])
    assert summary.exit_code == 0, summary.output
    assert {"ingest", "migrate", "query"} <= set(re.findall(r"^(\w+)\s", summary.output, re.M))
    prom = runner.invoke(app, ["telemetry", "--store", str(v2.root), "--prometheus"])
    assert 'workbench_events_total{event="query"}' in prom.output
    out = tmp_path / "events.csv"
    exported = runner.invoke(
        app, ["telemetry", "--store", str(v2.root), "--event", "query", "--export", str(out)]
    )
    assert exported.exit_code == 0 and out.read_text().count("\n") >= 2
    bad = runner.invoke(app, ["telemetry", "--store", str(v2.root), "--export", "x.txt"])
    assert bad.exit_code == 2 and "error" in bad.output


# -- the Dask scheduler option -------------------------------------------------------------------


def test_a_bad_scheduler_address_is_a_clear_error(v2):
    pytest.importorskip("distributed")
    result = runner.invoke(
        app, ["generate", "--store", str(v2.root), "--scheduler", "127.0.0.1:notaport"]
    )
    assert result.exit_code != 0
    assert "not a Dask scheduler address: '127.0.0.1:notaport'" in result.output
    assert "Traceback" not in result.output
    assert set(open_store(v2.root).modules().cpg_status) == {"pending"}


def test_scheduler_and_executor_process_conflict_but_the_environment_yields(v2):
    result = runner.invoke(
        app,
        [*("generate", "--store", str(v2.root), "--executor", "process"), "--scheduler", "x"],
    )
    assert result.exit_code == 2 and "not with --executor process" in result.output
    # an address from the environment does not override an explicit --executor process
    result = runner.invoke(
        app,
        [*("generate", "--store", str(v2.root), "--executor", "process"), "--quiet"],
        env={"DASK_SCHEDULER_ADDRESS": "tcp://127.0.0.1:9"},
    )
    assert result.exit_code == 0, result.output
    assert f"{SAMPLE_OK} ok, {SAMPLE_BROKEN} failed" in result.output
