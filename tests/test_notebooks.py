"""The rollout notebooks run top to bottom under papermill and leave their artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from helpers import SAMPLE_BROKEN, SAMPLE_MODULES, SAMPLE_OK

#: A Jupyter kernel runs whole rollout notebooks; phase 2 runs on the store phase 1 leaves, so
#: both run on one xdist worker (one module-scoped phase-1 run).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("notebooks")]

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "data" / "sample_project"


def execute(name: str, out: Path, **parameters) -> Path:
    """Run ``notebooks/<name>`` with papermill into ``out``; the executed notebook's path."""
    papermill = pytest.importorskip("papermill")
    executed = out / name
    papermill.execute_notebook(
        str(ROOT / "notebooks" / name),
        str(executed),
        parameters={**parameters, "output_dir": str(out)},
        kernel_name="python3",
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
    )
    return executed


@pytest.fixture(scope="module")
def phase1(tmp_path_factory):
    out = tmp_path_factory.mktemp("phase1")
    store = str(out / "store")
    executed = execute(
        "phase1_foundation.ipynb", out, source_dir=str(SAMPLE), store_dir=store, workers=2
    )
    return out, executed


def test_phase1_metrics(phase1):
    out, _ = phase1
    metrics = json.loads((out / "phase1_metrics.json").read_text())
    assert (metrics["modules"], metrics["parsed"], metrics["cpg_ok"], metrics["cpg_failed"]) == (
        SAMPLE_MODULES,
        SAMPLE_OK,
        SAMPLE_OK,
        SAMPLE_BROKEN,
    )
    assert metrics["schema_version"] == 2
    assert metrics["legacy_queries_unchanged"] is True
    assert metrics["rollback_rehearsal_ok"] is True
    assert metrics["nodes"] > 1000 and metrics["edges"] > metrics["nodes"]
    assert set(metrics["seconds"]) == {"ingest", "migrate", "generate", "rollback"}


def test_phase1_artifacts(phase1):
    out, executed = phase1
    failures = pd.read_parquet(out / "phase1_failures.parquet")
    assert set(failures.error_type) == {"ParseError", "DecodeError"}
    progress = pd.read_parquet(out / "phase1_progress.parquet")
    assert progress.kind.iloc[-1] == "done"
    nb = nbformat.read(executed, as_version=4)
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert errors == []
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)


@pytest.fixture(scope="module")
def phase2(phase1):
    out, _ = phase1
    return out, execute("phase2_algorithms.ipynb", out, store_dir=str(out / "store"))


def test_phase2_metrics(phase2):
    out, _ = phase2
    metrics = json.loads((out / "phase2_metrics.json").read_text())
    assert set(metrics["graphs"]) == {"cfg", "cdg", "ddg", "pdg", "call", "import", "inheritance"}
    assert metrics["graphs"]["call"]["nodes"] > 100 and metrics["graphs"]["call"]["edges"] > 10
    assert metrics["pagerank_max_error"] < 1e-6
    assert metrics["breaker_approximated"] is True and metrics["breaker_refused"] is True
    assert 0 < metrics["cache_hit_ratio"] < 1 and metrics["cache_hit_p50_ms"] > 0
    assert metrics["loops"] > 0 and metrics["max_loop_depth"] >= 2
    assert metrics["legacy_query_regression"] > 0
    timings = pd.read_parquet(out / "phase2_timings.parquet")
    assert {"miss", "memory"} <= set(timings.cache)
    top = pd.read_parquet(out / "phase2_top_functions.parquet")
    assert len(top) == 10 and top.pagerank.is_monotonic_decreasing


def test_phase2_validates_under_nbval(phase2):
    """nbval (lax) runs the executed notebook (its parameters injected) once more in a fresh
    kernel: every cell must run."""
    pytest.importorskip("nbval")
    import subprocess
    import sys

    _, executed = phase2
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "-p",
            "no:cacheprovider",
            "-q",
            "-o",
            "addopts=",
            str(executed),
        ],
        cwd=ROOT / "notebooks",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
