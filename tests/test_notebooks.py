"""The rollout notebooks run top to bottom under papermill and leave their artifacts."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from helpers import SAMPLE_BROKEN, SAMPLE_MODULES, SAMPLE_OK

pytestmark = pytest.mark.slow  # a Jupyter kernel runs the whole rollout notebook

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "data" / "sample_project"


@pytest.fixture(scope="module")
def phase1(tmp_path_factory):
    papermill = pytest.importorskip("papermill")
    out = tmp_path_factory.mktemp("phase1")
    executed = out / "phase1_foundation.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "phase1_foundation.ipynb"),
        str(executed),
        parameters={
            "source_dir": str(SAMPLE),
            "store_dir": str(out / "store"),
            "workers": 2,
            "output_dir": str(out),
        },
        kernel_name="python3",
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
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
