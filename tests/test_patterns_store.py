"""Pattern scans of a store, the findings and labels tables, user feedback feeding the A/B
comparison, and the ``scan`` / ``feedback`` / ``rules`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from workbench.analysis.patterns import load_rules, scan
from workbench.analysis.patterns.evaluation import compare
from workbench.analysis.patterns.feedback import (
    labels,
    record_feedback,
    save_findings,
    stored_findings,
)
from workbench.cli import app
from workbench.errors import FeatureDisabledError, FindingsError
from workbench.store import Store
from workbench.store.migrations import migrate, rollback

runner = CliRunner()
APP = """\
import os
import subprocess
from flask import Flask, request

app = Flask(__name__)


def run(cmd):
    os.system(cmd)


@app.route("/ping")
def ping():
    run("ping -c 1 " + request.args["host"])
    return "ok"


@app.route("/safe")
def safe():
    run("uptime")
    return "ok"


def shell(cmd):
    return subprocess.run(cmd, shell=True)
"""
HELPERS = """\
import hashlib


def digest(data):
    return hashlib.md5(data).hexdigest()
"""


@pytest.fixture
def app_src(tmp_path) -> Path:
    src = tmp_path / "src"
    (src / "web").mkdir(parents=True)
    (src / "web" / "__init__.py").write_text("")
    (src / "web" / "views.py").write_text(APP)
    (src / "web" / "helpers.py").write_text(HELPERS)
    return src


@pytest.fixture
def built(tmp_path, app_src) -> Store:
    store = Store.create(tmp_path / "store")
    store.ingest(app_src)
    migrate(store)
    store.generate(workers=1, progress=None, call_graph=True)
    return store


RULES = load_rules()


def _key(df: pd.DataFrame) -> list[tuple]:
    return sorted(zip(df["rule_id"], df["path"], df["line"], df["fingerprint"], strict=True))


def test_a_store_scan_equals_a_folder_scan(built, app_src):
    from_store = scan(built)
    from_folder = scan(app_src)
    assert _key(from_store) == _key(from_folder)
    assert set(from_store["rule_id"]) == {
        "py.command-injection",
        "py.subprocess-shell-true",
        "py.weak-hash",
    }
    (taint,) = from_store[from_store["rule_id"] == "py.command-injection"].to_dict("records")
    assert taint["line"] == 9 and taint["source_line"] == 14 and taint["path"] == "web/views.py"


def test_findings_and_feedback_tables(built):
    found = scan(built)
    assert save_findings(built, found) == len(found)
    pd.testing.assert_frame_equal(stored_findings(built), found.reset_index(drop=True))
    fp = found.loc[found["rule_id"] == "py.weak-hash", "fingerprint"].iloc[0]
    row = record_feedback(built, fp[:10], "fp", "md5 of a cache key", author="ann")
    assert row["fingerprint"].iloc[0] == fp and row["verdict"].iloc[0] == "fp"
    record_feedback(built, fp, "tp", author="bob")  # a new verdict replaces the old one
    got = labels(built)
    assert got[["fingerprint", "verdict", "author"]].values.tolist() == [[fp, "tp", "bob"]]
    version = built.version
    for bad, message in [
        ((fp, "maybe"), "verdict"),
        (("0" * 12, "tp"), "no finding"),
        (("abc", "tp"), "at least 8"),
    ]:
        with pytest.raises(FindingsError, match=message):
            record_feedback(built, *bad)
    assert built.refresh().version == version  # nothing written by a refused label


def test_user_labels_feed_the_ab_comparison(built):
    found = scan(built)
    save_findings(built, found)
    cmd = found[found["rule_id"] == "py.command-injection"]["fingerprint"].iloc[0]
    shell = found[found["rule_id"] == "py.subprocess-shell-true"]["fingerprint"].iloc[0]
    record_feedback(built, cmd, "tp")
    record_feedback(built, shell, "fp", "fixed command in our deployment")
    without_shell = load_rules().select([r for r in RULES.ids if r != "py.subprocess-shell-true"])
    result = compare(RULES, without_shell, built)
    overall = result.scores.set_index("rule_id").loc["overall"]
    assert (overall["tp_a"], overall["fp_a"]) == (1, 1)
    assert (overall["tp_b"], overall["fp_b"]) == (1, 0)
    assert overall["delta_precision"] == pytest.approx(0.5)
    diff = result.differences
    assert diff[["only_in", "rule_id", "expected"]].values.tolist() == [
        ["a", "py.subprocess-shell-true", False]
    ]


def test_rollback_drops_findings_and_labels(built):
    found = scan(built)
    save_findings(built, found)
    record_feedback(built, found["fingerprint"].iloc[0], "tp")
    rollback(built)
    assert "findings" not in built.tables and "labels" not in built.tables
    with pytest.raises(FeatureDisabledError):
        stored_findings(built)


def test_a_v2_store_from_before_these_tables_gets_them_on_first_write(built):
    with built.transaction("simulate an older v2 store") as tx:
        tx.drop_table("findings")
        tx.drop_table("labels")
    assert stored_findings(built).empty and labels(built).empty
    found = scan(built)
    save_findings(built, found)
    assert len(stored_findings(built)) == len(found)


# -- the commands ------------------------------------------------------------------------------


def test_scan_command_text_json_sarif_and_baseline(tmp_path, app_src):
    out = runner.invoke(app, ["scan", str(app_src)])
    assert out.exit_code == 0, out.output
    assert "py.command-injection" in out.output and "3 findings" in out.output
    sarif_path = tmp_path / "out.sarif"
    base = tmp_path / "baseline.json"
    out = runner.invoke(
        app,
        ["scan", str(app_src), "--json", "--sarif", str(sarif_path), "--write-baseline", str(base)],
    )
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert len(rows) == 3
    log = json.loads(sarif_path.read_text())
    assert log["version"] == "2.1.0" and len(log["runs"][0]["results"]) == 3
    flows = [r for r in log["runs"][0]["results"] if r.get("codeFlows")]
    assert flows and flows[0]["ruleId"] == "py.command-injection"
    # a new finding after the baseline: only it is reported
    (app_src / "web" / "more.py").write_text("def f():\n    eval(input())\n")
    out = runner.invoke(app, ["scan", str(app_src), "--json", "--baseline", str(base)])
    assert [r["rule_id"] for r in json.loads(out.output)] == ["py.code-injection"]
    out = runner.invoke(app, ["scan", str(app_src), "--baseline", str(base), "--fail-on", "error"])
    assert out.exit_code == 1


def test_scan_and_feedback_commands_on_a_store(built):
    out = runner.invoke(
        app, ["scan", "--store", str(built.root), "--save", "--rule", "py.weak-hash"]
    )
    assert out.exit_code == 0, out.output
    (fp,) = stored_findings(built.refresh())["fingerprint"]
    out = runner.invoke(app, ["feedback", fp[:12], "fp", "--store", str(built.root), "--note", "n"])
    assert out.exit_code == 0, out.output
    assert "labelled" in out.output and labels(built.refresh())["note"].tolist() == ["n"]
    out = runner.invoke(app, ["feedback", "ffffffffffff", "tp", "--store", str(built.root)])
    assert out.exit_code == 2 and "no finding" in out.output


def test_rules_command_and_bad_input(tmp_path, app_src):
    out = runner.invoke(app, ["rules", "--json"])
    assert {r["id"] for r in json.loads(out.output)} == set(RULES.ids)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"id": "x", "version": 1, "kind": "node"}))
    out = runner.invoke(app, ["scan", str(app_src), "--rules", str(bad)])
    assert out.exit_code == 2 and "message" in out.output
    out = runner.invoke(app, ["scan"])
    assert out.exit_code == 2 and "--store" in out.output
    out = runner.invoke(app, ["scan", str(tmp_path / "nowhere")])
    assert out.exit_code == 2 and "no such file" in out.output
    out = runner.invoke(app, ["scan", str(app_src), "--rule", "py.nope"])
    assert out.exit_code == 2 and "no rule" in out.output
