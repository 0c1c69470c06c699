"""PatternResults: validating, filtering and sorting findings, the table, snippet and trace
HTML, and the panel's controls, labels and graph view (headless: no browser), over the
findings of a real scan of a small store with a taint flow and a quality finding."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.analysis.patterns import scan
from workbench.analysis.patterns.feedback import labels, save_findings
from workbench.errors import FindingsError
from workbench.store import Store
from workbench.store.migrations import migrate
from workbench.widgets.findings import (
    ALL,
    REQUIRED_COLUMNS,
    SEVERITY_ORDER,
    SORT_COLUMNS,
    TRACE_COLUMNS,
    PatternResults,
    check_findings,
    cwe_text,
    filter_findings,
    finding_snippet,
    findings_table_html,
    label_html,
    snippet_html,
    sort_findings,
    trace_frame,
)

pytest.importorskip("ipywidgets")

VIEWS = """\
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


def shell(cmd):
    return subprocess.run(cmd, shell=True)
"""
HELPERS = """\
import hashlib


def digest(data):
    return hashlib.md5(data).hexdigest()


def connect(host, port, user, password, database, timeout):
    return (host, port, user, password, database, timeout)
"""
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
EVIL = f"{SCRIPT}{IMG}"


def _write_src(root: Path) -> Path:
    src = root / "src"
    (src / "web").mkdir(parents=True)
    (src / "web" / "__init__.py").write_text("")
    (src / "web" / "views.py").write_text(VIEWS)
    (src / "web" / "helpers.py").write_text(HELPERS)
    return src


def _build(root: Path) -> Store:
    store = Store.create(root / "store")
    store.ingest(_write_src(root))
    migrate(store)
    store.generate(workers=1, progress=None, call_graph=True)
    return store


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Store:
    """A store with a taint flow (command injection), node findings and a quality finding;
    read only (tests that label use :func:`fresh`)."""
    return _build(tmp_path_factory.mktemp("findings"))


@pytest.fixture(scope="module")
def found(built) -> pd.DataFrame:
    return scan(built)


@pytest.fixture
def fresh(tmp_path) -> Store:
    return _build(tmp_path)


def _row(df, rule_id) -> int:
    (i,) = df.index[df["rule_id"] == rule_id]
    return int(i)


def test_the_scan_has_what_the_tests_need(found):
    assert set(found["rule_id"]) == {
        "py.command-injection",
        "py.subprocess-shell-true",
        "py.weak-hash",
        "py.long-parameter-list",
    }
    taint = found[found["kind"] == "taint"].iloc[0]
    assert len(taint["trace"]) > 1
    assert found.loc[found.rule_id == "py.long-parameter-list", "category"].item() == "quality"


class TestCheckFindings:
    def test_a_scan_passes(self, found):
        df = check_findings(found)
        assert list(df.index) == list(range(len(found)))
        assert df["fingerprint"].tolist() == found["fingerprint"].tolist()
        assert df is not found

    def test_missing_columns_are_named(self, found):
        with pytest.raises(FindingsError, match="lack columns: severity, cwe"):
            check_findings(found.drop(columns=["severity", "cwe"]))
        with pytest.raises(FindingsError, match="rule_id"):
            check_findings(pd.DataFrame({"x": [1]}))

    def test_not_a_frame(self, found):
        with pytest.raises(FindingsError, match="not list"):
            check_findings(found.to_dict("records"))

    def test_missing_fingerprints_and_optional_columns(self, found):
        bare = found[[*REQUIRED_COLUMNS, "method", "code", "source_code"]]
        df = check_findings(bare)
        assert df["fingerprint"].tolist() == found["fingerprint"].tolist()
        assert df["trace"].isna().all() and df["module"].isna().all()

    def test_required_columns_are_enforced_by_the_panel(self, found):
        with pytest.raises(FindingsError, match="message"):
            PatternResults(found.drop(columns=["message"]))
        with pytest.raises(FindingsError, match="give findings"):
            PatternResults(None)


class TestFilter:
    def test_each_filter_narrows(self, found):
        df = check_findings(found)
        assert filter_findings(df, rule="py.weak-hash").rule_id.tolist() == ["py.weak-hash"]
        assert set(filter_findings(df, severity="warning").rule_id) == {
            "py.subprocess-shell-true",
            "py.weak-hash",
        }
        assert filter_findings(df, severity="note").rule_id.tolist() == ["py.long-parameter-list"]
        for cwe in (78, "78", "CWE-78", "cwe-78"):
            assert set(filter_findings(df, cwe=cwe).rule_id) == {
                "py.command-injection",
                "py.subprocess-shell-true",
            }
        assert set(filter_findings(df, module="web/helpers.py").rule_id) == {
            "py.weak-hash",
            "py.long-parameter-list",
        }
        key = int(df.loc[_row(df, "py.weak-hash"), "module"])
        assert len(filter_findings(df, module=key)) == 2
        assert filter_findings(df, text="MD5").rule_id.tolist() == ["py.weak-hash"]
        assert filter_findings(df, text="shell=true").rule_id.tolist() == [
            "py.subprocess-shell-true"
        ]

    def test_filters_combine_and_keep_the_index(self, found):
        df = check_findings(found)
        out = filter_findings(df, cwe=78, severity="error")
        assert out.rule_id.tolist() == ["py.command-injection"]
        assert out.index.tolist() == [_row(df, "py.command-injection")]
        assert filter_findings(df, rule="py.weak-hash", module="web/views.py").empty

    def test_no_filter(self, found):
        df = check_findings(found)
        for none in (None, "", ALL):
            assert len(filter_findings(df, rule=none, cwe=none, text=none)) == len(df)
        assert len(filter_findings(df, rule=["py.weak-hash", "py.command-injection"])) == 2


class TestSort:
    def test_by_line_both_ways(self, found):
        df = check_findings(found)
        up = sort_findings(df, "line")
        assert up.line.tolist() == sorted(df.line.tolist())
        down = sort_findings(df, "line", ascending=False)
        assert down.line.tolist() == sorted(df.line.tolist(), reverse=True)
        assert sorted(down.index) == list(df.index)

    def test_severity_by_rank(self, found):
        df = check_findings(found)
        worst = sort_findings(df, "severity", ascending=False).severity.tolist()
        assert worst == ["error", "warning", "warning", "note"]

    def test_cwe_missing_last(self, found):
        df = check_findings(found)
        out = sort_findings(df, "cwe")
        assert out.rule_id.tolist()[-1] == "py.long-parameter-list"  # no CWE
        assert out.rule_id.tolist()[-2] == "py.weak-hash"  # CWE-327

    @pytest.mark.parametrize("by", SORT_COLUMNS)
    def test_every_column_sorts(self, found, by):
        df = check_findings(found)
        for ascending in (True, False):
            out = sort_findings(df, by, ascending)
            assert sorted(out.index) == list(df.index)
            keys = {
                "severity": out.severity.map(SEVERITY_ORDER.index),
                "cwe": out.cwe.map(lambda c: c[0] if len(c) else None),  # none last
            }.get(by, out[by])
            pairs = list(itertools.pairwise(keys.dropna().tolist()))
            assert all((a <= b) if ascending else (a >= b) for a, b in pairs), (by, keys)

    def test_bad_column(self, found):
        with pytest.raises(ValueError, match="sort by one of"):
            sort_findings(check_findings(found), "colour")


class TestHtml:
    def test_table(self, found):
        df = check_findings(found)
        i = _row(df, "py.weak-hash")
        out = findings_table_html(df, selected=i)
        for head in ("rule", "severity", "CWE", "path", "line", "method", "message"):
            assert f"<th>{head}</th>" in out
        assert "CWE-327, CWE-328" in out
        assert f'<tr data-row="{i}" class="wb-selected"' in out
        assert out.count("wb-selected") == 1
        assert "<th>label</th>" not in out
        labelled = findings_table_html(df, verdicts={df.fingerprint[i]: "fp"})
        assert "<th>label</th>" in labelled and "false positive" in labelled
        assert "and 2 more" in findings_table_html(df, limit=2)
        assert findings_table_html(df.iloc[:0]) == "<i>no findings</i>"

    def test_snippet_marks_the_sink(self):
        lines = [f"line{n}" for n in range(1, 21)]
        out = snippet_html(lines, 10, 11, context=2)
        rows = out.split("\n")
        assert len(rows) == 6  # 8..13
        sinks = [r for r in rows if "wb-sink" in r]
        assert len(sinks) == 2 and "line10" in sinks[0] and "line11" in sinks[1]
        assert "line8" in out and "line13" in out and "line7" not in out and "line14" not in out

    def test_snippet_edges(self):
        assert "source not available: gone" in snippet_html(None, 3, reason="gone")
        assert "not in the file" in snippet_html(["a"], 5)
        assert "has no line" in snippet_html(["a"], None)
        long = snippet_html([f"x{n}" for n in range(100)], 1, 100, context=0)
        assert long.count("wb-sink") == 40 and "60 more lines" in long

    def test_label_and_cwe(self):
        assert label_html(None) == "<i>not labelled</i>"
        assert "true positive" in label_html({"verdict": "tp", "note": "n", "author": "a"})
        assert cwe_text([78, 89]) == "CWE-78, CWE-89" and cwe_text(None) == ""
        assert cwe_text(np.array([22])) == "CWE-22"


class TestSnippetAndTrace:
    def test_snippet_from_the_store(self, built, found):
        df = check_findings(found)
        f = df.loc[_row(df, "py.command-injection")].to_dict()
        out = finding_snippet(built, f)
        (sink,) = [r for r in out.split("\n") if "wb-sink" in r]
        assert "9 |     os.system(cmd)" in sink
        assert "web/views.py:9" in out

    def test_snippet_without_source(self, found):
        f = check_findings(found).iloc[0].to_dict()
        assert "source not available" in finding_snippet(None, f)
        out = finding_snippet({f["path"]: "a\n" * 30}, f)
        assert "wb-sink" in out

    def test_snippet_of_an_edited_file(self, fresh):
        """The store's bytes are shown, not the file edited since; a store that keeps none
        shows no lines of a changed file and says why."""
        df = check_findings(scan(fresh))
        f = df.loc[_row(df, "py.weak-hash")].to_dict()
        before = finding_snippet(fresh, f)
        assert "wb-sink" in before
        (fresh.last_source() / "web" / "helpers.py").write_text("# edited\n" + HELPERS)
        assert finding_snippet(fresh, f) == before
        with fresh.transaction("as an older version left it") as tx:
            tx.drop_table("sources")
        out = finding_snippet(fresh, f)
        assert "source not available" in out and "changed" in out

    def test_trace(self, built, found):
        df = check_findings(found)
        f = df.loc[_row(df, "py.command-injection")].to_dict()
        t = trace_frame(f, built)
        assert list(t.columns) == list(TRACE_COLUMNS)
        assert t.step.tolist() == list(range(len(f["trace"])))
        assert t.line.iloc[0] == f["source_line"] and t.line.iloc[-1] == f["line"]
        assert set(t.path) == {"web/views.py"}
        assert "request.args" in t.code.iloc[0]
        bare = trace_frame(f)
        assert bare.code.isna().all() and set(bare.path) == {"web/views.py"}
        quality = df.loc[_row(df, "py.long-parameter-list")].to_dict()
        assert trace_frame(quality, built).empty

    def test_bad_trace(self, found):
        f = check_findings(found).iloc[0].to_dict()
        with pytest.raises(FindingsError, match="trace step 0"):
            trace_frame({**f, "trace": ["nope"]})


class TestPanel:
    def test_initial_state(self, built, found):
        p = PatternResults(found, store=built)
        assert len(p.view) == len(found) == len(p.selector.options)
        assert p.selected == p.view.index[0] and p.selector.value == p.selected
        assert f"{len(found)} of {len(found)} findings" in p.table.value
        assert "wb-sink" in p.snippet.value
        assert p.label_status.value == "<i>not labelled</i>"
        assert not p.tp_button.disabled and not p.fp_button.disabled
        assert p.error.value == ""

    def test_css_classes(self, found):
        p = PatternResults(found)
        assert "wb-pattern-results" in p.widget._dom_classes
        for widget, klass in (
            (p.table, "wb-findings-table"),
            (p.snippet, "wb-snippet"),
            (p.tp_button, "wb-tp"),
            (p.fp_button, "wb-fp"),
            (p.label_status, "wb-label-status"),
        ):
            assert klass in widget._dom_classes

    def test_each_control_narrows_the_table(self, built, found):
        p = PatternResults(found, store=built)
        n = len(found)
        for control, value, left in (
            (p.rule, "py.weak-hash", 1),
            (p.severity, "warning", 2),
            (p.cwe, 78, 2),
            (p.module, "web/helpers.py", 2),
        ):
            assert value in [v for _, v in control.options]
            control.value = value
            assert len(p.view) == left == len(p.selector.options)
            assert f"{left} of {n} findings" in p.table.value
            assert p.table.value.count("<tr data-row=") == left
            control.value = ALL
            assert len(p.view) == n
        p.search.value = "md5"
        assert p.view.rule_id.tolist() == ["py.weak-hash"]
        assert p.selected == _row(p.findings, "py.weak-hash")
        assert "hashlib.md5" in p.snippet.value
        p.search.value = "no such text"
        assert p.view.empty and p.selected is None and p.selector.options == ()
        assert p.snippet.value == "" and "0 of" in p.table.value
        p.clear_filters()
        assert len(p.view) == n

    def test_sort_controls(self, found):
        p = PatternResults(found)
        p.sort.value = "line"
        lines = p.view.line.tolist()
        assert lines == sorted(lines)
        p.descending.value = True
        assert p.view.line.tolist() == sorted(lines, reverse=True)
        assert [v for _, v in p.selector.options] == p.view.index.tolist()
        p.sort.value = "severity"
        assert p.view.severity.iloc[0] == "error"

    def test_select(self, found):
        p = PatternResults(found)
        i = _row(p.findings, "py.command-injection")
        assert p.select(i)["rule_id"] == "py.command-injection"
        assert p.selector.value == i and p.selected == i
        assert f'data-row="{i}" class="wb-selected"' in p.table.value
        assert "source not available" in p.snippet.value  # no store to read it from
        assert "web/views.py:9" in p.snippet.value
        assert "taint path" in p.trace.value and "request.args" not in p.trace.value  # no store
        p.rule.value = "py.weak-hash"
        assert p.selected == _row(p.findings, "py.weak-hash")
        p.select(i)  # hidden by the filter: the filters are cleared
        assert p.rule.value == ALL and p.selected == i
        other = _row(p.findings, "py.long-parameter-list")
        p.selector.value = other  # picking in the dropdown
        assert p.selected == other and p.trace.value == ""

    def test_select_errors_are_shown(self, found):
        p = PatternResults(found)
        assert p.select(99) is None and "no finding 99" in p.error.value
        assert p.select("x") is None and "by its number" in p.error.value
        assert p.selected == p.view.index[0]

    def test_tp_then_fp_replaces_the_label(self, fresh):
        df = scan(fresh)
        p = PatternResults(df, store=fresh)
        i = _row(p.findings, "py.command-injection")
        fp = p.findings.fingerprint[i]
        p.select(i)
        p.note.value = "reachable from the route"
        p.tp_button.click()
        assert p.error.value == ""
        got = labels(fresh)
        assert got.fingerprint.tolist() == [fp]
        assert got.verdict.tolist() == ["tp"] and got.note.tolist() == ["reachable from the route"]
        assert "true positive" in p.label_status.value and "reachable" in p.label_status.value
        assert p.note.value == ""
        assert "true positive" in p.table.value
        p.fp_button.click()
        got = labels(fresh)
        assert got.fingerprint.tolist() == [fp] and got.verdict.tolist() == ["fp"]
        assert got.note.isna().all()
        assert "false positive" in p.label_status.value and "true positive" not in p.table.value
        # labels are read back by a new panel
        q = PatternResults(df, store=fresh)
        q.select(i)
        assert "false positive" in q.label_status.value and "false positive" in q.table.value
        assert p.label("maybe") is None and "verdict must be one of" in p.error.value

    def test_findings_saved_in_the_store(self, fresh):
        save_findings(fresh, scan(fresh))
        p = PatternResults(store=fresh)
        assert len(p.findings) == 4
        assert p.label("tp") is not None and len(labels(fresh)) == 1

    def test_no_store_disables_the_buttons(self, found):
        p = PatternResults(found)
        for b in (p.tp_button, p.fp_button):
            assert b.disabled and "no store" in b.tooltip
        assert "no store" in p.label_status.value
        assert p.label("tp") is None and "no store" in p.error.value

    def test_a_store_without_cpg_disables_the_buttons(self, tmp_path, found):
        store = Store.create(tmp_path / "v1")
        store.ingest(_write_src(tmp_path))
        p = PatternResults(found, store=store)
        assert p.tp_button.disabled and "cannot record labels" in p.tp_button.tooltip
        assert "FeatureDisabledError" in p.error.value
        p.tp_button.click()  # disabled in a browser; a click from code is refused, not raised
        assert "cannot record labels" in p.error.value

    def test_no_findings(self, built, found):
        p = PatternResults(found.iloc[:0], store=built)
        assert p.selected is None and p.finding is None and p.selector.options == ()
        assert "0 of 0 findings" in p.table.value and "no findings" in p.table.value
        assert p.label("tp") is None and "select a finding" in p.error.value

    def test_displayable(self, found):
        bundle = PatternResults(found)._repr_mimebundle_()
        assert isinstance(bundle, dict)
        assert "application/vnd.jupyter.widget-view+json" in bundle


class TestGraphView:
    """PatternResults drives a real GraphView over the same store."""

    def test_taint_path_is_highlighted_and_other_findings_show_their_method(self, built, found):
        from workbench.widgets.graph_view import GraphView

        g = GraphView(built, "web.helpers.digest")
        p = PatternResults(found, store=built, graph_view=g)
        assert g.state.method == "web.helpers.digest"  # made: the caller's view is left alone
        i = _row(p.findings, "py.command-injection")
        p.select(i)
        assert p.error.value == ""
        assert g.state.method == "web.views.run"
        trace = p.findings.trace[i]
        want = g.tables.gid(
            np.array([s["module"] for s in trace]), np.array([s["id"] for s in trace])
        )
        lit = set(g.state.nodes.loc[g.state.nodes.highlighted, "node"])
        assert lit == {int(x) for x in want} & set(g.state.nodes.node) and len(lit) >= 2
        p.select(_row(p.findings, "py.weak-hash"))  # no taint path: its method, nothing lit
        assert g.state.method == "web.helpers.digest"
        assert not g.state.nodes.highlighted.any()

    def test_errors_of_the_view_are_shown(self, built, found):
        from workbench.widgets.graph_view import GraphView

        g = GraphView(built, max_nodes=1)  # even the statements of any method are too many
        p = PatternResults(found, store=built, graph_view=g)
        p.select(_row(p.findings, "py.command-injection"))
        assert "GraphTooLargeError" in g.status.value

    def test_snippets_come_from_the_view_without_a_store(self, built, found):
        from workbench.widgets.graph_view import GraphView

        p = PatternResults(found, graph_view=GraphView(built))
        p.select(_row(p.findings, "py.command-injection"))
        assert "os.system(cmd)" in p.snippet.value

    def test_methods_sharing_a_name_are_told_apart_by_the_finding_node(self, tmp_path):
        from workbench.widgets.graph_view import GraphView

        src = tmp_path / "src"
        src.mkdir()
        (src / "m.py").write_text(
            "import os\n\n\nclass C:\n    @property\n    def x(self):\n        return 1\n\n"
            "    @x.setter\n    def x(self, v):\n        os.system(input())\n"
        )
        store = Store.create(tmp_path / "store")
        store.ingest(src)
        migrate(store)
        store.generate(workers=1, quiet=True)
        found = scan(store)
        g = GraphView(store)
        p = PatternResults(found, store=store, graph_view=g)
        p.select(_row(p.findings, "py.command-injection"))
        assert p.error.value == "" and "wb-error" not in g.status.value
        assert "os.system" in " ".join(g.state.nodes.code)  # the setter, not the getter


class TestNumbers:
    def test_a_filtered_frame_keeps_its_numbers_and_labels_the_finding_chosen(self, fresh):
        found = scan(fresh)
        sub = found[found.rule_id != "py.weak-hash"]  # numbers with a gap
        i = int(sub.index[sub.rule_id == "py.command-injection"][0])
        p = PatternResults(sub, store=fresh)
        assert p.findings.index.tolist() == sub.index.tolist()
        assert p.select(i)["rule_id"] == "py.command-injection"
        assert f'data-row="{i}"' in p.table.value
        p.tp_button.click()
        assert labels(fresh)[["fingerprint", "verdict"]].values.tolist() == [
            [sub.loc[i, "fingerprint"], "tp"]
        ]
        missing = int(found.index[found.rule_id == "py.weak-hash"][0])
        assert p.select(missing) is None and "no finding" in p.error.value

    def test_other_indexes_are_numbered_from_0(self, found):
        odd = found.set_axis([f"r{k}" for k in range(len(found))])
        assert check_findings(odd).index.tolist() == list(range(len(found)))
        twice = pd.concat([found.iloc[:1], found.iloc[:1]])
        assert check_findings(twice).index.tolist() == [0, 1]

    def test_the_dropdown_lists_at_most_the_rows_shown(self, found):
        many = pd.concat([found] * 80, ignore_index=True)  # 320 findings
        p = PatternResults(many)
        assert len(p.selector.options) == 200
        p.select(300)
        assert len(p.selector.options) == 201 and p.selector.value == 300


class TestEscaping:
    @pytest.fixture
    def evil(self, found) -> pd.DataFrame:
        df = check_findings(found).copy()
        i = _row(df, "py.command-injection")
        df["message"] = df["message"].astype(object)
        df["code"] = df["code"].astype(object)
        df["path"] = df["path"].astype(object)
        df["method"] = df["method"].astype(object)
        df.loc[i, "message"] = f"message {EVIL}"
        df.loc[i, "code"] = f"os.system({EVIL})"
        df.loc[i, "path"] = f"web/{EVIL}.py"
        df.loc[i, "method"] = f"web.{EVIL}"
        return df

    @staticmethod
    def _clean(text: str) -> None:
        assert "<script" not in text and "<img" not in text, text

    def test_every_output_is_escaped(self, fresh, evil):
        i = _row(evil, "py.command-injection")
        path = evil.loc[i, "path"]
        sources = {path: "\n".join(f"x = '{EVIL}'  # {n}" for n in range(1, 20))}
        p = PatternResults(evil, store=fresh, sources=sources)
        p.select(i)
        p.note.value = f"note {EVIL}"
        p.tp_button.click()
        assert p.error.value == ""
        assert "&lt;script&gt;" in p.table.value and "&lt;img" in p.table.value
        assert "&lt;script&gt;" in p.snippet.value and "wb-sink" in p.snippet.value
        assert "&lt;script&gt;" in p.trace.value  # the trace's path
        assert "&lt;script&gt;" in p.label_status.value  # the note
        for text in (p.table.value, p.snippet.value, p.trace.value, p.label_status.value):
            self._clean(text)
        assert labels(fresh).note.tolist() == [f"note {EVIL}"]
        p.search.value = "<script>"
        assert p.view.index.tolist() == [i]
        self._clean(p.table.value)

    def test_pure_functions_escape(self, evil):
        i = _row(evil, "py.command-injection")
        f = evil.loc[i].to_dict()
        self._clean(findings_table_html(evil, i, verdicts={}))
        self._clean(snippet_html([EVIL] * 5, 2, title=EVIL, reason=EVIL))
        self._clean(snippet_html(None, 2, title=EVIL, reason=EVIL))
        self._clean(finding_snippet({f["path"]: EVIL}, f))
        self._clean(finding_snippet(None, f))
        self._clean(label_html({"verdict": "tp", "note": EVIL, "author": EVIL}))
        self._clean(label_html({"verdict": EVIL}))
