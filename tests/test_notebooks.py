"""The rollout notebooks run top to bottom under papermill and leave their artifacts."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from helpers import SAMPLE_BROKEN, SAMPLE_MODULES, SAMPLE_OK

#: A Jupyter kernel runs whole rollout notebooks; phases 2 and 3 run on the store phase 1 leaves,
#: so all run on one xdist worker (one module-scoped phase-1 run).
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


def assert_ran_cleanly(executed: Path) -> None:
    """No cell of the executed notebook failed, and papermill injected its parameters."""
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
    assert_ran_cleanly(executed)


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
    _, executed = phase2
    run = nbval(executed)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def nbval(executed: Path) -> subprocess.CompletedProcess:
    """Run an executed notebook once more under nbval (lax) in a fresh kernel."""
    pytest.importorskip("nbval")
    return subprocess.run(
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


@pytest.fixture(scope="module")
def phase3(phase1):
    """Phase 3 on the phase-1 store: it needs nothing of phase 2 (and only reads the store)."""
    out, _ = phase1
    return out, execute("phase3_advanced.ipynb", out, store_dir=str(out / "store"))


def test_phase3_metrics(phase1, phase3):
    out, _ = phase3
    phase1_metrics = json.loads((out / "phase1_metrics.json").read_text())
    metrics = json.loads((out / "phase3_metrics.json").read_text())
    impact = metrics["impact"]
    # a change of the SQL helper reaches its callers, their callers and what they call
    assert impact["function"] == "bookshop.storage.find_by_title"
    assert {
        "bookshop.storage.find_by_title",
        "bookshop.inventory.Inventory.find",
        "bookshop.inventory.Inventory.quote",
        "bookshop.web.handlers.search",
        "bookshop.pricing.price_for",
    } <= set(impact["functions_reached"])
    assert impact["functions"] == len(impact["functions_reached"])
    assert impact["max_depth"] == 6 and impact["farthest_chain"] == 7  # the budget, then a path
    sliced = metrics["slice"]
    assert sliced["criterion"] == "bookshop/inventory.py:45"  # price = rows[0][1]
    assert sliced["backward_functions"] >= 3 and sliced["forward_functions"] >= 2
    assert sliced["backward"] > sliced["backward_functions"]
    assert sliced["forward"] > sliced["forward_functions"]
    assert metrics["modules_with_instability"] == SAMPLE_OK
    assert 0 < metrics["modules_coupled"] < SAMPLE_OK
    assert metrics["classes"] == 12 and metrics["classes_lcom4_over_1"] == 2
    assert metrics["smells"]["long_parameter_list"] == 2 and metrics["smells"]["dead_code"] > 0
    assert metrics["critical_path_top"]["cost"] > 0 and len(metrics["call_chain"]) >= 2
    # the built-in rules on the sample (as README's scan example)
    assert metrics["findings"] == 18 and metrics["rules"] == 24
    assert metrics["findings_by_rule"]["py.sql-injection"] == 1
    assert sum(metrics["findings_by_severity"].values()) == metrics["findings"]
    # version B (str() as a sanitizer) drops a false positive and a true positive
    ab = metrics["ab"]
    assert ab["rule"] == "py.command-injection" and ab["differences"] == 2
    assert ab["delta_precision"] > 0 > ab["delta_recall"]
    assert ab["precision_b"] > ab["precision_a"] > 0.5 and ab["recall_a"] > ab["recall_b"] > 0.5
    for m in ("precision", "recall", "f1"):
        assert ab[f"delta_{m}"] == pytest.approx(ab[f"{m}_b"] - ab[f"{m}_a"], abs=2e-4)
    from workbench.analysis.features import FEATURES

    features = metrics["features"]
    assert features["rows"] == features["methods"] > 100
    assert features["columns"] == len(FEATURES.names)
    assert metrics["dataset"] == {"graphs": features["rows"], "nodes": phase1_metrics["nodes"]}
    assert metrics["clone_groups"] >= 1 and metrics["cloned_methods"] >= 2
    assert metrics["pyg_available"] is (importlib.util.find_spec("torch_geometric") is not None)
    assert 0 < metrics["cache_hit_ratio"] < 1  # the repeated impact request
    assert set(metrics["seconds"]) == {"semantics", "patterns", "features"}


def test_phase3_artifacts(phase3):
    import networkx as nx
    import pyarrow.parquet as pq

    from workbench.analysis.features import read_features
    from workbench.analysis.patterns import load_rules
    from workbench.cpg.schema import FINDINGS

    out, executed = phase3
    metrics = json.loads((out / "phase3_metrics.json").read_text())
    smells = pd.read_parquet(out / "phase3_smells.parquet")
    assert smells.smell.value_counts().to_dict() == metrics["smells"]
    assert all(isinstance(json.loads(e), dict) for e in smells.evidence)
    findings = pq.read_table(out / "phase3_findings.parquet")
    # the findings schema and its docs (Parquet names list items `element`, Arrow `item`)
    assert findings.schema.equals(FINDINGS) and findings.schema.metadata == FINDINGS.metadata
    assert findings.num_rows == metrics["findings"]
    coupling = pd.read_parquet(out / "phase3_coupling.parquet")
    assert len(coupling) == SAMPLE_OK and coupling.instability.between(0, 1).all()
    # `module` is the int64 module key of the cpg_* tables, `module_name` the dotted name
    from workbench.cpg.ids import module_key

    assert list(coupling.columns[:3]) == ["module", "module_name", "path"]
    assert coupling.module.dtype == "int64" and smells.module.dtype == "int64"
    assert coupling.module.tolist() == [module_key(p) for p in coupling.path]
    assert set(smells.module) <= set(coupling.module)  # the frames join on it
    features = read_features(out / "phase3_features.parquet")
    assert len(features) == metrics["features"]["rows"]
    graph = nx.read_graphml(out / "phase3_method.graphml", node_type=int)
    assert graph.number_of_nodes() > 0
    assert (out / "phase3_method.dot").read_text().startswith('digraph "bookshop.storage')
    assert (out / "phase3_dataset" / "manifest.json").is_file()
    rules_b = load_rules(out / "phase3_rules_b.yaml")
    assert (
        rules_b["py.command-injection"].version == load_rules()["py.command-injection"].version + 1
    )
    assert_ran_cleanly(executed)


def test_phase3_validates_under_nbval(phase3):
    """nbval (lax) runs the executed notebook (its parameters injected) once more in a fresh
    kernel: every cell must run."""
    _, executed = phase3
    run = nbval(executed)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def test_explore_notebook_builds_a_store_and_shows_every_widget(tmp_path):
    """``explore.ipynb`` on a store that does not exist yet: it ingests the sample, migrates
    through the panel, generates through the progress widget, scans, and displays every
    widget (the widget views are in the outputs; the browser test clicks them)."""
    papermill = pytest.importorskip("papermill")
    store_dir = tmp_path / "store"
    executed = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "explore.ipynb"),
        str(executed),
        parameters={
            "store_dir": str(store_dir),
            "source_dir": str(SAMPLE),
            "metrics_dir": str(tmp_path / "none"),
        },
        kernel_name="python3",
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
        store_widget_state=False,  # each FigureWidget would add ~5 MB of plotly.js
    )
    assert_ran_cleanly(executed)
    import workbench as wb
    from workbench.analysis.patterns.feedback import stored_findings

    store = wb.open_store(store_dir)
    assert store.schema_version == 2 and store.flags["cpg"]
    history = store.history()
    assert list(history.operation)[:3] == ["create", "ingest", "migrate"]  # by the panel
    status = store.modules().cpg_status.value_counts().to_dict()
    assert status == {"ok": SAMPLE_OK, "failed": SAMPLE_BROKEN}
    assert len(stored_findings(store)) > 0
    nb = nbformat.read(executed, as_version=4)
    views = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(views) == 7  # migration, progress, findings, graph, project, dashboard, explorer
