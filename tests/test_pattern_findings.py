"""Findings of the pattern rules as users see them: stable fingerprints, the findings table,
suppression comments, baselines, SARIF 2.1.0 logs, and the accuracy scores (annotations, user
feedback, A/B comparison of two rule-set versions).

Findings are built by hand as rows of the ``findings`` table: nothing here runs the matcher.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.analysis.patterns.accuracy import (
    COUNTS,
    METRICS,
    ComparisonResult,
    annotations,
    annotations_in,
    compare_findings,
    expectations_from_labels,
    score,
    score_by,
)
from workbench.analysis.patterns.findings import (
    FINGERPRINT_KEY,
    apply_suppressions,
    assign_fingerprints,
    fingerprint,
    new_findings,
    read_baseline,
    suppressed,
    to_arrow,
    to_frame,
    write_baseline,
)
from workbench.analysis.patterns.sarif import to_sarif, write_sarif
from workbench.cpg.schema import FINDINGS, LABELS
from workbench.errors import FindingsError, RuleError, SourceError, UnreadableFileError

APP = 1 << 62  # module keys are 64-bit hashes: they must survive exactly
CRYPTO = (1 << 62) + 1
LIB = 7

RULES = [
    {
        "id": "py.command-injection",
        "version": 2,
        "message": "user input reaches a shell command",
        "severity": "error",
        "cwe": [78],
        "category": "security",
        "kind": "taint",
        "description": "Data from a request or the command line runs as a shell command.",
    },
    {
        "id": "py.sql-injection",
        "version": 1,
        "message": "user input builds an SQL query",
        "severity": "error",
        "cwe": [89],
        "category": "security",
        "kind": "taint",
    },
    {
        "id": "py.weak-hash",
        "version": 1,
        "message": "MD5 or SHA-1 used for security",
        "severity": "warning",
        "cwe": [327, 328],
        "category": "security",
        "kind": "node",
    },
    {
        "id": "py.complex-function",
        "version": 1,
        "message": "function too complex",
        "severity": "note",
        "cwe": [],
        "category": "quality",
        "kind": "metric",
    },
]
RULE = {r["id"]: r for r in RULES}


def finding(rule_id: str = "py.command-injection", **fields) -> dict:
    """A findings row as the engine would produce it (fingerprint left to be computed)."""
    rule = RULE.get(rule_id, RULES[0])
    row = {
        "module": APP,
        "rule_id": rule_id,
        "rule_version": rule["version"],
        "kind": rule["kind"],
        "severity": rule["severity"],
        "cwe": list(rule["cwe"]),
        "category": rule["category"],
        "message": rule["message"],
        "path": "app/views.py",
        "method": "app.views.run",
        "line": 10,
        "col": 4,
        "end_line": 10,
        "node": 40,
        "code": "os.system(cmd)",
        "source_module": None,
        "source_line": None,
        "source_code": None,
        "trace": None,
    }
    row.update(fields)
    return row


def taint_finding(**fields) -> dict:
    return finding(
        source_module=APP,
        source_line=8,
        source_code="request.args['cmd']",
        trace=[
            {"module": APP, "id": 31, "line": 8},
            {"module": LIB, "id": 5, "line": 3},
            {"module": APP, "id": 40, "line": 10},
        ],
        **fields,
    )


def sample() -> pd.DataFrame:
    return to_frame(
        [
            taint_finding(),
            finding("py.sql-injection", line=20, end_line=21, node=90, code="cur.execute(q)"),
            finding(
                "py.weak-hash",
                module=CRYPTO,
                path="app/crypto.py",
                method="app.crypto.digest",
                line=3,
                col=7,
                code="hashlib.md5(d)",
            ),
            finding(
                "py.complex-function",
                module=CRYPTO,
                path="app/crypto.py",
                method="app.crypto.parse",
                line=12,
                col=0,
                node=None,
                code="def parse(data):",
            ),
        ]
    )


def shifted(rows: list[dict], by: int) -> list[dict]:
    """The same findings after ``by`` unrelated lines were inserted at the top of each file
    (lines and pre-order node ids move)."""
    return [
        {
            **r,
            "line": None if r["line"] is None else r["line"] + by,
            "end_line": None if r["end_line"] is None else r["end_line"] + by,
            "node": None if r["node"] is None else r["node"] + 3 * by,
        }
        for r in rows
    ]


# -- fingerprints ------------------------------------------------------------------------------


class TestFingerprint:
    def test_format_is_pinned(self):
        # Baselines store fingerprints: changing the hashed payload invalidates all of them
        # (bump FINGERPRINT_KEY's version when that is intended).
        fp = fingerprint(
            "py.command-injection", "app/views.py", "app.views.run", "os.system(cmd)", "input()", 0
        )
        assert fp == "595a0ecfd1f418cf8803fc0d0b383e7c"
        assert re.fullmatch(r"[0-9a-f]{32}", fp)
        assert FINGERPRINT_KEY == "workbenchFingerprint/v1"

    @pytest.mark.parametrize(
        "a, b",
        [
            ("os.system(cmd)", "os.system( cmd )"),
            ("f(a, b)", "f(a,b)"),
            ("x  ==  y", "x==y"),
            ("call(\n    a,\n    b,\n)", "call(a, b,)"),
            ("\tos.system(cmd)\n", "os.system(cmd)"),
        ],
    )
    def test_whitespace_does_not_count(self, a, b):
        assert fingerprint("r", "m.py", "m.f", a, None) == fingerprint("r", "m.py", "m.f", b, None)
        assert fingerprint("r", "m.py", "m.f", "x", a) == fingerprint("r", "m.py", "m.f", "x", b)

    @pytest.mark.parametrize(
        "a, b", [("not x", "notx"), ("a b", "ab"), ("return x", "returnx"), ("f(x)", "f(y)")]
    )
    def test_whitespace_between_words_counts(self, a, b):
        assert fingerprint("r", "m.py", None, a, None) != fingerprint("r", "m.py", None, b, None)

    def test_every_part_counts(self):
        base = ("r", "m.py", "m.f", "f(x)", "input()", 0)
        seen = {fingerprint(*base)}
        for i, other in enumerate(["s", "n.py", "m.g", "f(y)", "input('>')", 1]):
            parts = list(base)
            parts[i] = other
            seen.add(fingerprint(*parts))
        assert len(seen) == 7

    def test_none_is_not_the_empty_string(self):
        assert fingerprint("r", "m.py", None, "f()", None) != fingerprint(
            "r", "m.py", "", "f()", ""
        )

    def test_paths_may_be_pure_paths(self):
        from pathlib import PurePosixPath

        assert fingerprint("r", PurePosixPath("a/m.py"), None, "f()", None) == fingerprint(
            "r", "a/m.py", None, "f()", None
        )

    @pytest.mark.parametrize(
        "args, error",
        [
            (("", "m.py", None, "f()", None, 0), ValueError),
            (("r", "m.py", None, "f()", None, -1), ValueError),
            (("r", "m.py", None, "f()", None, True), TypeError),
            (("r", "m.py", None, "f()", None, 1.0), TypeError),
            (("r", 3, None, "f()", None, 0), TypeError),
        ],
    )
    def test_bad_parts(self, args, error):
        with pytest.raises(error):
            fingerprint(*args)


class TestAssignFingerprints:
    def test_occurrence_follows_line_order_not_row_order(self):
        rows = [finding(line=30, node=99), finding(line=10, node=40), finding(line=20, node=70)]
        df = assign_fingerprints(pd.DataFrame(rows))
        by_line = dict(zip(df.line, df.fingerprint, strict=True))
        for occurrence, line in enumerate([10, 20, 30]):
            expected = fingerprint(
                "py.command-injection",
                "app/views.py",
                "app.views.run",
                "os.system(cmd)",
                None,
                occurrence,
            )
            assert by_line[line] == expected

    def test_ties_by_column_then_node_then_row_and_missing_lines_last(self):
        rows = [
            finding(line=None, col=None, node=None),
            finding(line=5, col=9, node=1),
            finding(line=5, col=2, node=8),
            finding(line=5, col=2, node=3),
        ]
        df = assign_fingerprints(pd.DataFrame(rows))
        fp = [fingerprint(*_identity(rows[0]), k) for k in range(4)]
        assert df.fingerprint.tolist() == [fp[3], fp[2], fp[1], fp[0]]

    def test_groups_are_separate(self):
        rows = [finding(line=10), finding("py.sql-injection", line=5), finding(line=3, code="x")]
        df = assign_fingerprints(pd.DataFrame(rows))
        assert df.fingerprint.tolist() == [fingerprint(*_identity(r), 0) for r in rows]

    def test_keeps_index_and_does_not_mutate(self):
        df = pd.DataFrame([finding(line=2), finding(line=1)], index=[7, 7])
        before = df.copy()
        out = assign_fingerprints(df)
        pd.testing.assert_frame_equal(df, before)
        assert out.index.tolist() == [7, 7]
        assert out.fingerprint.nunique() == 2

    def test_absent_columns_count_as_null(self):
        out = assign_fingerprints(pd.DataFrame({"rule_id": ["r"]}))
        assert out.fingerprint[0] == fingerprint("r", None, None, None, None, 0)

    def test_empty(self):
        out = assign_fingerprints(pd.DataFrame({"rule_id": []}))
        assert list(out.columns) == ["rule_id", "fingerprint"] and out.empty

    def test_bad_input(self):
        with pytest.raises(FindingsError, match="rule_id"):
            assign_fingerprints(pd.DataFrame({"path": ["m.py"]}))
        with pytest.raises(FindingsError, match="path"):
            assign_fingerprints(pd.DataFrame({"rule_id": ["r"], "path": [3]}))
        with pytest.raises(FindingsError):
            assign_fingerprints(pd.DataFrame({"rule_id": ["r"], "line": ["ten"]}))

    @settings(max_examples=60, deadline=None)
    @given(
        lines=st.lists(st.integers(1, 500), min_size=1, max_size=12),
        codes=st.lists(
            st.sampled_from(["os.system(cmd)", "os.system( cmd )", "eval(x)"]),
            min_size=12,
            max_size=12,
        ),
        rules=st.lists(st.sampled_from(sorted(RULE)), min_size=12, max_size=12),
        inserted=st.integers(1, 1000),
        seed=st.integers(0, 2**32 - 1),
    )
    def test_unrelated_lines_above_and_row_order_do_not_change_fingerprints(
        self, lines, codes, rules, inserted, seed
    ):
        rows = [
            finding(rules[i], line=line, end_line=line, node=line * 4, code=codes[i])
            for i, line in enumerate(lines)
        ]
        before = to_frame(rows)
        moved = shifted(rows, inserted)
        random.Random(seed).shuffle(moved)
        after = to_frame(moved)
        assert sorted(before.fingerprint) == sorted(after.fingerprint)
        pairs_before = set(zip(before.line, before.fingerprint, strict=True))
        pairs_after = {
            (line - inserted, fp) for line, fp in zip(after.line, after.fingerprint, strict=True)
        }
        assert pairs_before == pairs_after

    @settings(max_examples=40, deadline=None)
    @given(
        lines=st.lists(st.integers(1, 200), min_size=1, max_size=10, unique=True),
        new_line=st.integers(1, 400),
        new_rule=st.sampled_from(["py.sql-injection", "py.weak-hash"]),
    )
    def test_a_new_finding_of_another_rule_changes_no_other_fingerprint(
        self, lines, new_line, new_rule
    ):
        rows = [finding(line=line, node=line) for line in lines]
        before = set(to_frame(rows).fingerprint)
        after = set(to_frame([*rows, finding(new_rule, line=new_line)]).fingerprint)
        assert before < after and len(after - before) == 1

    def test_a_new_identical_finding_below_keeps_the_ones_above(self):
        rows = [finding(line=10), finding(line=20)]
        before = to_frame(rows).fingerprint.tolist()
        after = to_frame([*rows, finding(line=30)]).fingerprint.tolist()
        assert after[:2] == before


def _identity(row: dict) -> tuple:
    return tuple(row.get(k) for k in ("rule_id", "path", "method", "code", "source_code"))


# -- the findings table ------------------------------------------------------------------------


class TestFindingsTable:
    def test_64_bit_keys_survive_rows_where_some_are_null(self):
        # regression: pandas made a column of ints and None float64, rounding the keys
        key = -4165914120668625640
        rows = [finding(source_module=key, line=3), finding(source_module=None, line=4)]
        df = to_frame(rows)
        assert df.source_module.tolist()[0] == key and pd.isna(df.source_module.iloc[1])
        assert to_arrow(df).column("source_module").to_pylist() == [key, None]

    def test_columns_and_dtypes_are_the_schema_also_when_empty(self):
        empty, full = to_frame([]), sample()
        assert list(empty.columns) == list(full.columns) == FINDINGS.names
        assert empty.dtypes.to_dict() == full.dtypes.to_dict()
        assert str(full.dtypes["module"]) == "Int64" and str(full.dtypes["line"]) == "Int32"
        for table in (to_arrow(empty), to_arrow(full)):
            assert table.schema.equals(FINDINGS, check_metadata=True)

    def test_round_trip(self):
        df = sample()
        table = to_arrow(df)
        back = to_frame(table.to_pandas())
        pd.testing.assert_frame_equal(back, df)
        assert to_arrow(back).equals(table)

    def test_values_survive(self):
        df = sample()
        row = df[df.rule_id == "py.command-injection"].iloc[0]
        assert row.module == APP and row.source_module == APP
        assert row.cwe == [78]
        assert row.trace[1] == {"module": LIB, "id": 5, "line": 3}
        complex_row = df[df.rule_id == "py.complex-function"].iloc[0]
        assert complex_row.node is pd.NA and complex_row.trace is None

    def test_sorted_and_deterministic(self):
        rows = [r for r in sample().drop(columns="fingerprint").to_dict("records")]
        for seed in range(5):
            random.Random(seed).shuffle(rows)
            pd.testing.assert_frame_equal(to_frame(rows), sample())
        keys = sample()[["module", "path", "line", "col", "rule_id"]]
        assert list(keys.itertuples(index=False)) == sorted(keys.itertuples(index=False))

    def test_given_fingerprints_are_kept_missing_ones_computed(self):
        df = to_frame([finding(fingerprint="f" * 32, line=1), finding(line=2)])
        assert df.fingerprint.tolist()[0] == "f" * 32
        assert df.fingerprint.tolist()[1] == fingerprint(*_identity(finding()), 1)

    def test_sequences_of_any_kind(self):
        df = to_frame([finding(cwe=(78, 88)), finding(line=11, cwe=np.array([78], "int32"))])
        assert df.cwe.tolist() == [[78, 88], [78]]

    def test_accepts_a_frame(self):
        pd.testing.assert_frame_equal(to_frame(sample()), sample())

    @pytest.mark.parametrize(
        "change, message",
        [
            ({"lines": 3}, "not columns of the findings table: lines"),
            ({"severity": "critical"}, "'critical' not in error, warning, note"),
            ({"kind": "regex"}, "'regex' not in node"),
            ({"category": "style"}, "'style' not in security, quality"),
            ({"message": None}, "'message' has null values"),
            ({"line": "ten"}, "findings column 'line'"),
            ({"cwe": "CWE-78"}, "findings column 'cwe'"),
            ({"module": 2**64}, "findings column 'module'"),
        ],
    )
    def test_bad_rows(self, change, message):
        with pytest.raises(FindingsError, match=re.escape(message)):
            to_frame([{**finding(), **change}])

    def test_missing_required_column(self):
        df = pd.DataFrame([finding()]).drop(columns=["severity", "kind"])
        with pytest.raises(FindingsError, match="lack required columns: kind, severity"):
            to_arrow(df)

    def test_nullable_columns_may_be_absent(self):
        required = [f.name for f in FINDINGS if not f.nullable and f.name != "fingerprint"]
        df = to_frame([{k: finding()[k] for k in required}])
        assert df.path.isna().all() and len(df.fingerprint[0]) == 32


# -- suppression ---------------------------------------------------------------------------------


class TestSuppressed:
    @pytest.mark.parametrize(
        "line, above, rule, expected",
        [
            ("os.system(cmd)", None, "py.command-injection", False),
            ("os.system(cmd)  # workbench: ignore", None, "py.command-injection", True),
            ("os.system(cmd)  # workbench: ignore", None, "py.anything", True),
            ("os.system(cmd)  #workbench:ignore", None, "py.x", True),
            ("os.system(cmd)  # WORKBENCH: Ignore", None, "py.x", True),
            ("q(x)  # workbench: ignore[py.sql-injection, py.xss]", None, "py.xss", True),
            ("q(x)  # workbench: ignore[py.sql-injection, py.xss]", None, "py.sql-injection", True),
            ("q(x)  # workbench: ignore[py.sql-injection, py.xss]", None, "py.x", False),
            ("q(x)  # workbench: ignore [py.sql-injection]", None, "py.x", False),
            ("q(x)  # workbench: ignore[py.sql-*]", None, "py.sql-injection", True),
            ("q(x)  # workbench: ignore[]", None, "py.x", False),
            ("q(x)  # workbench: ignored", None, "py.x", False),
            ("q(x)  # workbench: ignore-me", None, "py.x", False),
            ("q(x)  # noqa: E501  # workbench: ignore[py.x]", None, "py.x", True),
            ("q(x)  # nosec", None, "py.x", True),
            ("q(x)  #nosec B602", None, "py.x", True),
            ("q(x)  # NOSEC", None, "py.x", True),
            ("q(x)  # no nosec here", None, "py.x", False),
            ("q(x)  # nosecurity", None, "py.x", False),
            ("print('# nosec')", None, "py.x", False),
            ('print("a # workbench: ignore")', None, "py.x", False),
            ('s = """# nosec"""', None, "py.x", False),
            ("print('it\\'s # nosec')", None, "py.x", False),
            ("print('x')  # nosec", None, "py.x", True),
            ("os.system(cmd)", "# workbench: ignore", "py.x", True),
            ("os.system(cmd)", "    # workbench: ignore[py.x]", "py.x", True),
            ("os.system(cmd)", "# workbench: ignore[py.y]", "py.x", False),
            ("os.system(cmd)", "# nosec", "py.x", True),
            ("os.system(cmd)", "x = 1  # workbench: ignore", "py.x", False),
            ("os.system(cmd)", "# reviewed, see ticket  # workbench: ignore", "py.x", True),
            ("os.system(cmd)", "# TODO nosec later", "py.x", False),
            ("os.system(cmd)", "", "py.x", False),
        ],
    )
    def test_comments(self, line, above, rule, expected):
        assert suppressed(line, above, rule) is expected


class TestApplySuppressions:
    SOURCE = (
        "import os\n"
        "def run(cmd):\n"
        "    # workbench: ignore[py.command-injection]\n"
        "    os.system(cmd)\n"
        "    os.system(cmd)  # nosec\n"
        "    os.system(cmd)\n"
    )

    def frame(self) -> pd.DataFrame:
        return to_frame(
            [
                finding(line=4),
                finding(line=5),
                finding(line=6),
                finding("py.sql-injection", line=4),
                finding(path="gone.py", line=4),
                finding(line=None),
                finding(line=99),
            ]
        )

    def test_split(self):
        kept, gone = apply_suppressions(self.frame(), {"app/views.py": self.SOURCE})
        assert sorted(zip(gone.rule_id, gone.line, strict=True)) == [
            ("py.command-injection", 4),
            ("py.command-injection", 5),
        ]
        assert len(kept) == 5 and kept.index.tolist() == list(range(5))
        assert list(kept.columns) == list(gone.columns) == FINDINGS.names
        pd.testing.assert_frame_equal(to_frame(pd.concat([kept, gone])), self.frame())

    def test_missing_files_keep_everything(self):
        kept, gone = apply_suppressions(self.frame(), {})
        assert len(kept) == len(self.frame()) and gone.empty

    def test_first_line(self):
        kept, gone = apply_suppressions(to_frame([finding(line=1)]), {"app/views.py": "f(x)\n"})
        assert len(kept) == 1 and gone.empty

    def test_windows_line_endings(self):
        kept, gone = apply_suppressions(
            to_frame([finding(line=2)]), {"app/views.py": "x\r\nos.system(c)  # nosec\r\n"}
        )
        assert kept.empty and len(gone) == 1

    def test_empty(self):
        kept, gone = apply_suppressions(to_frame([]), {"a.py": "x"})
        assert kept.empty and gone.empty and list(kept.columns) == FINDINGS.names

    def test_missing_columns(self):
        with pytest.raises(FindingsError, match="'line'"):
            apply_suppressions(pd.DataFrame({"rule_id": ["r"], "path": ["a.py"]}), {})


# -- baselines -----------------------------------------------------------------------------------


class TestBaseline:
    def test_round_trip_and_file_format(self, tmp_path):
        df = sample()
        target = tmp_path / "baseline.json"
        write_baseline(df, target)
        assert read_baseline(target) == set(df.fingerprint)
        doc = json.loads(target.read_text())
        assert list(doc) == ["version", "created-by", "findings"]
        assert doc["version"] == 1 and doc["created-by"].startswith("CPG Workbench ")
        entries = doc["findings"]
        assert [list(e) for e in entries] == [
            ["fingerprint", "rule_id", "path", "method", "message"]
        ] * len(df)
        keys = [(e["path"], e["rule_id"], e["fingerprint"]) for e in entries]
        assert keys == sorted(keys)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline.json"]

    def test_deterministic_bytes(self, tmp_path):
        rows = sample().to_dict("records")
        write_baseline(to_frame(rows), tmp_path / "a.json")
        write_baseline(to_frame(rows[::-1]).iloc[::-1], tmp_path / "b.json")
        assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()

    def test_only_new_findings_after_an_unrelated_edit(self, tmp_path):
        rows = [taint_finding(), finding("py.sql-injection", line=20, code="cur.execute(q)")]
        write_baseline(to_frame(rows), tmp_path / "baseline.json")
        later = [*shifted(rows, 7), finding("py.sql-injection", line=90, code="cur.execute(s)")]
        new = new_findings(to_frame(later), tmp_path / "baseline.json")
        assert new.code.tolist() == ["cur.execute(s)"] and new.line.tolist() == [90]
        assert new_findings(to_frame(later), str(tmp_path / "baseline.json")).equals(new)

    def test_new_findings_from_a_set(self):
        df = sample()
        known = set(df.fingerprint[:2])
        new = new_findings(df, known)
        assert list(new.fingerprint) == list(df.fingerprint[2:])
        assert new.index.tolist() == [0, 1]
        assert new_findings(df, set()).equals(df) and new_findings(df, df.fingerprint).empty

    def test_findings_without_fingerprints(self, tmp_path):
        raw = pd.DataFrame([finding(), finding(line=30)])
        write_baseline(raw, tmp_path / "b.json")
        assert new_findings(raw, tmp_path / "b.json").empty

    def test_empty(self, tmp_path):
        write_baseline(to_frame([]), tmp_path / "b.json")
        assert read_baseline(tmp_path / "b.json") == set()

    def test_missing_file(self, tmp_path):
        with pytest.raises(FindingsError, match="cannot read the baseline: No such file"):
            read_baseline(tmp_path / "nope.json")
        with pytest.raises(FindingsError, match="cannot read the baseline"):
            read_baseline(tmp_path)

    @pytest.mark.parametrize(
        "text, message",
        [
            ('{"version": 1, "findings": [', r"b\.json:1:\d+: not a baseline file: invalid JSON"),
            ("[]", "expected a JSON object with 'version' and 'findings'"),
            ('{"findings": []}', "expected a JSON object"),
            ('{"version": "1", "findings": []}', "bad version '1'"),
            ('{"version": true, "findings": []}', "bad version True"),
            ('{"version": 2, "findings": []}', "version 2 is newer than this workbench reads"),
            ('{"version": 1, "findings": {}}', "'findings' is not a list"),
            ('{"version": 1, "findings": [{"rule_id": "r"}]}', r"findings\[0\] has no"),
            ('{"version": 1, "findings": ["abc"]}', r"findings\[0\] has no"),
            ('{"version": 1, "findings": [{"fingerprint": "XYZ"}]}', r"findings\[0\] has no"),
        ],
    )
    def test_malformed(self, tmp_path, text, message):
        (tmp_path / "b.json").write_text(text)
        with pytest.raises(FindingsError, match=message):
            read_baseline(tmp_path / "b.json")

    def test_undecodable(self, tmp_path):
        (tmp_path / "b.json").write_bytes(b"\xff\xfe\xfd")
        with pytest.raises(FindingsError, match="not a baseline file"):
            read_baseline(tmp_path / "b.json")

    def test_errors_are_workbench_errors(self, tmp_path):
        from workbench.errors import WorkbenchError

        with pytest.raises(WorkbenchError):
            read_baseline(tmp_path / "nope.json")


# -- SARIF -------------------------------------------------------------------------------------

#: The structural requirements of SARIF 2.1.0 for what we emit (written from the OASIS
#: standard's schema: required properties, enums, minimums and the properties each object
#: may have, so that a misspelt property fails).
_MESSAGE = {
    "type": "object",
    "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
    "properties": {
        "text": {"type": "string"},
        "markdown": {"type": "string"},
        "id": {"type": "string"},
        "arguments": {"type": "array", "items": {"type": "string"}},
        "properties": {"$ref": "#/definitions/propertyBag"},
    },
    "additionalProperties": False,
}
SARIF_SUBSET = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {"$ref": "#/definitions/run"}},
        "inlineExternalProperties": {"type": "array"},
        "properties": {"$ref": "#/definitions/propertyBag"},
    },
    "additionalProperties": False,
    "definitions": {
        "propertyBag": {
            "type": "object",
            "properties": {
                "tags": {"type": "array", "uniqueItems": True, "items": {"type": "string"}}
            },
            "additionalProperties": True,
        },
        "message": _MESSAGE,
        "multiformatMessageString": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string"},
                "markdown": {"type": "string"},
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "run": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "tool": {"$ref": "#/definitions/tool"},
                "artifacts": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/artifact"},
                },
                "results": {"type": "array", "items": {"$ref": "#/definitions/result"}},
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "originalUriBaseIds": {"type": "object"},
                "invocations": {"type": "array"},
                "automationDetails": {"type": "object"},
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "tool": {
            "type": "object",
            "required": ["driver"],
            "properties": {
                "driver": {"$ref": "#/definitions/toolComponent"},
                "extensions": {"type": "array"},
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "toolComponent": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "semanticVersion": {"type": "string"},
                "informationUri": {"type": "string", "format": "uri"},
                "organization": {"type": "string"},
                "fullName": {"type": "string"},
                "rules": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/reportingDescriptor"},
                },
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "reportingDescriptor": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "shortDescription": {"$ref": "#/definitions/multiformatMessageString"},
                "fullDescription": {"$ref": "#/definitions/multiformatMessageString"},
                "help": {"$ref": "#/definitions/multiformatMessageString"},
                "helpUri": {"type": "string", "format": "uri"},
                "defaultConfiguration": {
                    "type": "object",
                    "properties": {
                        "enabled": {"type": "boolean"},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "rank": {"type": "number", "minimum": -1, "maximum": 100},
                        "parameters": {"$ref": "#/definitions/propertyBag"},
                        "properties": {"$ref": "#/definitions/propertyBag"},
                    },
                    "additionalProperties": False,
                },
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "artifact": {
            "type": "object",
            "properties": {
                "location": {"$ref": "#/definitions/artifactLocation"},
                "sourceLanguage": {"type": "string"},
                "mimeType": {"type": "string"},
                "roles": {"type": "array"},
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "artifactLocation": {
            "type": "object",
            "properties": {
                "uri": {"type": "string", "format": "uri-reference"},
                "uriBaseId": {"type": "string"},
                "index": {"type": "integer", "minimum": -1},
                "description": {"$ref": "#/definitions/message"},
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "result": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "kind": {
                    "enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]
                },
                "level": {"enum": ["none", "note", "warning", "error"]},
                "message": {"$ref": "#/definitions/message"},
                "locations": {"type": "array", "items": {"$ref": "#/definitions/location"}},
                "relatedLocations": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/location"},
                },
                "partialFingerprints": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                },
                "fingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                "codeFlows": {"type": "array", "items": {"$ref": "#/definitions/codeFlow"}},
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "location": {
            "type": "object",
            "properties": {
                "id": {"type": "integer", "minimum": -1},
                "physicalLocation": {"$ref": "#/definitions/physicalLocation"},
                "logicalLocations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "index": {"type": "integer", "minimum": -1},
                            "fullyQualifiedName": {"type": "string"},
                            "decoratedName": {"type": "string"},
                            "parentIndex": {"type": "integer", "minimum": -1},
                            "kind": {"type": "string"},
                            "properties": {"$ref": "#/definitions/propertyBag"},
                        },
                        "additionalProperties": False,
                    },
                },
                "message": {"$ref": "#/definitions/message"},
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "physicalLocation": {
            "type": "object",
            "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
            "properties": {
                "address": {"type": "object"},
                "artifactLocation": {"$ref": "#/definitions/artifactLocation"},
                "region": {"$ref": "#/definitions/region"},
                "contextRegion": {"$ref": "#/definitions/region"},
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "region": {
            "type": "object",
            "properties": {
                "startLine": {"type": "integer", "minimum": 1},
                "startColumn": {"type": "integer", "minimum": 1},
                "endLine": {"type": "integer", "minimum": 1},
                "endColumn": {"type": "integer", "minimum": 1},
                "charOffset": {"type": "integer", "minimum": -1},
                "charLength": {"type": "integer", "minimum": 0},
                "snippet": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string"},
                        "properties": {"$ref": "#/definitions/propertyBag"},
                    },
                    "additionalProperties": False,
                },
                "message": {"$ref": "#/definitions/message"},
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "codeFlow": {
            "type": "object",
            "required": ["threadFlows"],
            "properties": {
                "message": {"$ref": "#/definitions/message"},
                "threadFlows": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"$ref": "#/definitions/threadFlow"},
                },
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
        "threadFlow": {
            "type": "object",
            "required": ["locations"],
            "properties": {
                "id": {"type": "string"},
                "message": {"$ref": "#/definitions/message"},
                "locations": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "properties": {
                            "index": {"type": "integer", "minimum": -1},
                            "location": {"$ref": "#/definitions/location"},
                            "kinds": {"type": "array", "items": {"type": "string"}},
                            "nestingLevel": {"type": "integer", "minimum": 0},
                            "executionOrder": {"type": "integer", "minimum": -1},
                            "importance": {"enum": ["important", "essential", "unimportant"]},
                            "properties": {"$ref": "#/definitions/propertyBag"},
                        },
                        "additionalProperties": False,
                    },
                },
                "properties": {"$ref": "#/definitions/propertyBag"},
            },
            "additionalProperties": False,
        },
    },
}


def assert_valid_sarif(log: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft7Validator(
        SARIF_SUBSET, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    # what a schema cannot say: indices point at the right entries
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    artifacts = [a["location"]["uri"] for a in run["artifacts"]]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        for loc in _all_locations(result):
            art = loc.get("physicalLocation", {}).get("artifactLocation")
            if art:
                assert artifacts[art["index"]] == art["uri"]


def _all_locations(result: dict) -> list[dict]:
    out = list(result.get("locations", [])) + list(result.get("relatedLocations", []))
    for flow in result.get("codeFlows", []):
        for thread in flow["threadFlows"]:
            out += [step["location"] for step in thread["locations"]]
    return out


class TestSarif:
    def test_subset_schema_rejects_what_it_should(self):
        jsonschema = pytest.importorskip("jsonschema")
        log = to_sarif(sample(), RULES)
        bad = json.loads(json.dumps(log))
        bad["runs"][0]["results"][0]["level"] = "critical"
        bad["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
        del bad["runs"][0]["tool"]["driver"]["name"]
        bad["runs"][0]["results"][2]["mesage"] = {"text": "typo"}
        errors = list(jsonschema.Draft7Validator(SARIF_SUBSET).iter_errors(bad))
        assert len(errors) == 4

    def test_valid_log(self):
        from workbench import __version__

        log = to_sarif(sample(), RULES, paths={LIB: "lib/util.py"})
        assert_valid_sarif(log)
        assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
        assert log["version"] == "2.1.0" and len(log["runs"]) == 1
        driver = log["runs"][0]["tool"]["driver"]
        assert driver["name"] == "CPG Workbench" and driver["version"] == __version__
        assert driver["informationUri"].startswith("https://")

    def test_rules(self):
        driver = to_sarif(to_frame([]), RULES)["runs"][0]["tool"]["driver"]
        by_id = {r["id"]: r for r in driver["rules"]}
        assert list(by_id) == sorted(RULE)
        cmd = by_id["py.command-injection"]
        assert cmd["name"] == "PyCommandInjection"
        assert cmd["shortDescription"] == {"text": "user input reaches a shell command"}
        assert cmd["fullDescription"]["text"].startswith("Data from a request")
        assert cmd["defaultConfiguration"] == {"level": "error"}
        assert cmd["helpUri"] == "https://cwe.mitre.org/data/definitions/78.html"
        assert cmd["properties"]["tags"] == ["CWE-78", "security"]
        assert cmd["properties"]["version"] == 2 and cmd["properties"]["kind"] == "taint"
        weak = by_id["py.weak-hash"]
        assert weak["properties"]["tags"] == ["CWE-327", "CWE-328", "security"]
        assert weak["helpUri"].endswith("/327.html")
        assert (
            by_id["py.sql-injection"]["fullDescription"]["text"]
            == RULE["py.sql-injection"]["message"]
        )
        quality = by_id["py.complex-function"]
        assert "helpUri" not in quality and quality["properties"]["tags"] == ["quality"]
        assert quality["defaultConfiguration"]["level"] == "note"

    def test_results(self):
        df = sample()
        log = to_sarif(df, RULES, paths={LIB: "lib/util.py"})
        run = log["runs"][0]
        results = {r["ruleId"]: r for r in run["results"]}
        assert len(run["results"]) == len(df)
        cmd = results["py.command-injection"]
        row = df[df.rule_id == "py.command-injection"].iloc[0]
        assert cmd["level"] == "error"
        assert cmd["message"] == {"text": "user input reaches a shell command"}
        assert cmd["partialFingerprints"] == {"workbenchFingerprint/v1": row.fingerprint}
        physical = cmd["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "app/views.py"
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert physical["region"]["startLine"] == 10
        assert physical["region"]["startColumn"] == 5  # 0-based column 4
        assert physical["region"]["endLine"] == 10
        assert cmd["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "app.views.run"
        related = cmd["relatedLocations"][0]
        assert related["physicalLocation"]["region"]["startLine"] == 8
        assert "request.args" in related["message"]["text"]
        sql = results["py.sql-injection"]["locations"][0]["physicalLocation"]["region"]
        assert (sql["startLine"], sql["endLine"]) == (20, 21)
        assert "codeFlows" not in results["py.weak-hash"]
        assert results["py.weak-hash"]["level"] == "warning"
        assert results["py.complex-function"]["level"] == "note"
        assert results["py.command-injection"]["properties"]["ruleVersion"] == 2

    def test_code_flow_follows_the_trace_across_modules(self):
        log = to_sarif(sample(), RULES, paths={LIB: "lib/util.py"})
        run = log["runs"][0]
        cmd = next(r for r in run["results"] if r["ruleId"] == "py.command-injection")
        steps = cmd["codeFlows"][0]["threadFlows"][0]["locations"]
        where = [
            (
                s["location"]["physicalLocation"]["artifactLocation"]["uri"],
                s["location"]["physicalLocation"]["region"]["startLine"],
            )
            for s in steps
        ]
        assert where == [("app/views.py", 8), ("lib/util.py", 3), ("app/views.py", 10)]
        assert [s["executionOrder"] for s in steps] == [1, 2, 3]
        assert [s["location"]["properties"]["node"] for s in steps] == [31, 5, 40]
        uris = [a["location"]["uri"] for a in run["artifacts"]]
        assert uris == ["app/crypto.py", "app/views.py", "lib/util.py"]

    def test_trace_step_in_an_unknown_module(self):
        log = to_sarif(sample(), RULES)  # no paths: LIB's file is unknown
        assert_valid_sarif(log)
        cmd = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "py.command-injection")
        step = cmd["codeFlows"][0]["threadFlows"][0]["locations"][1]["location"]
        assert "physicalLocation" not in step
        assert step["message"]["text"] == f"line 3 of module {LIB} (file unknown)"
        assert step["properties"] == {"module": str(LIB), "node": 5}
        assert "lib/util.py" not in json.dumps(log)

    def test_deterministic(self, tmp_path):
        rows = sample().to_dict("records")
        write_sarif(to_frame(rows), RULES, tmp_path / "a.sarif", {LIB: "lib/util.py"})
        random.Random(3).shuffle(rows)
        write_sarif(pd.DataFrame(rows), RULES[::-1], tmp_path / "b.sarif", {LIB: "lib/util.py"})
        a, b = (tmp_path / "a.sarif").read_bytes(), (tmp_path / "b.sarif").read_bytes()
        assert a == b
        log = to_sarif(sample(), RULES, {LIB: "lib/util.py"})
        assert a.decode() == json.dumps(log, indent=2, sort_keys=False) + "\n"
        assert json.loads(a) == log
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.sarif", "b.sarif"]

    def test_empty(self):
        log = to_sarif(to_frame([]), [])
        assert_valid_sarif(log)
        run = log["runs"][0]
        assert (
            run["results"] == [] and run["artifacts"] == [] and run["tool"]["driver"]["rules"] == []
        )

    def test_finding_of_a_rule_not_given(self):
        log = to_sarif(to_frame([finding("py.weak-hash")]), [RULE["py.sql-injection"]])
        assert_valid_sarif(log)
        rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
        assert set(rules) == {"py.sql-injection", "py.weak-hash"}
        assert rules["py.weak-hash"]["properties"]["tags"] == ["CWE-327", "CWE-328", "security"]

    def test_rule_objects_and_numpy_values(self):
        rule = SimpleNamespace(**{**RULE["py.weak-hash"], "version": np.int64(3)})
        log = to_sarif(to_frame([finding("py.weak-hash")]), [rule])
        json.dumps(log)
        assert log["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["version"] == 3

    def test_uris_are_escaped(self):
        log = to_sarif(to_frame([finding(path="my app/100% #1.py")]), RULES)
        assert_valid_sarif(log)
        uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        assert uri["uri"] == "my%20app/100%25%20%231.py"

    def test_columns_in_code_points_when_the_source_is_given(self):
        line = "    s = 'é' + os.system(cmd)"
        col = len(line[: line.index("os")].encode())  # the byte column the CPG stores
        df = to_frame([finding(line=1, col=col)])

        def region(log):
            return log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]

        assert region(to_sarif(df, RULES))["startColumn"] == col + 1
        with_source = to_sarif(df, RULES, sources={"app/views.py": line + "\n"})
        assert region(with_source)["startColumn"] == line.index("os") + 1
        assert with_source["runs"][0]["columnKind"] == "unicodeCodePoints"

    def test_findings_without_path_or_line(self):
        log = to_sarif(to_frame([finding(path=None, line=None, col=None, end_line=None)]), RULES)
        assert_valid_sarif(log)
        loc = log["runs"][0]["results"][0]["locations"][0]
        assert "physicalLocation" not in loc and loc["logicalLocations"]

    @pytest.mark.parametrize(
        "rules, message",
        [
            ([{"message": "m"}], "needs an 'id'"),
            ([RULE["py.weak-hash"], RULE["py.weak-hash"]], "given twice"),
            ([{**RULE["py.weak-hash"], "severity": "high"}], "'high' is not a SARIF level"),
        ],
    )
    def test_bad_rules(self, rules, message):
        with pytest.raises(RuleError, match=message):
            to_sarif(to_frame([]), rules)

    def test_bad_findings(self):
        with pytest.raises(FindingsError):
            to_sarif(pd.DataFrame([{**finding(), "severity": "fatal"}]), RULES)


# -- annotations ---------------------------------------------------------------------------------

EXAMPLE = """\
import os
import shlex

def run(cmd):
    # ruleid: py.command-injection
    os.system(cmd)

    # ok: py.command-injection
    # (quoted: safe)

    os.system(shlex.quote(cmd))
    x = 1  # ruleid: py.command-injection
    # ruleid: py.command-injection, py.sql-injection
    # ok: py.weak-hash  # explained in the README
    cur.execute("select " + os.popen(cmd).read())
        # ruleid: py.sql-injection
    cur.execute(cmd)
"""


class TestAnnotations:
    def test_example(self):
        exp = annotations(EXAMPLE, "ex/cmd.py")
        assert exp.to_dict("records") == [
            {"path": "ex/cmd.py", "line": 6, "rule_id": "py.command-injection", "expected": True},
            {"path": "ex/cmd.py", "line": 11, "rule_id": "py.command-injection", "expected": False},
            {"path": "ex/cmd.py", "line": 15, "rule_id": "py.command-injection", "expected": True},
            {"path": "ex/cmd.py", "line": 15, "rule_id": "py.sql-injection", "expected": True},
            {"path": "ex/cmd.py", "line": 15, "rule_id": "py.weak-hash", "expected": False},
            {"path": "ex/cmd.py", "line": 17, "rule_id": "py.sql-injection", "expected": True},
        ]

    def test_dtypes_also_when_empty(self):
        full, empty = annotations(EXAMPLE, "a.py"), annotations("x = 1\n", "a.py")
        assert list(empty.columns) == ["path", "line", "rule_id", "expected"]
        assert full.dtypes.to_dict() == empty.dtypes.to_dict()
        assert full.line.dtype == "int64" and full.expected.dtype == bool

    def test_not_annotations(self):
        text = "f()  # ruleid: a\n# okay: b\n# rule: c\n#ruleid:d\ng()\n"
        assert annotations(text, "m.py").rule_id.tolist() == ["d"]

    def test_duplicates_collapse(self):
        exp = annotations("# ruleid: a, a\n# ruleid: a\nf()\n", "m.py")
        assert exp.rule_id.tolist() == ["a"]

    @pytest.mark.parametrize(
        "text, line, message",
        [
            ("f()\n# ruleid: a\n", 2, "has no code line after it"),
            ("# ok: a\n\n# just a comment\n", 1, "has no code line after it"),
            ("# ruleid:\nf()\n", 1, "names no rule id"),
            ("# ruleid: a,\nf()\n", 1, "invalid rule id ''"),
            ("# ruleid: py.eval because\nf()\n", 1, "invalid rule id 'py.eval because'"),
            ("# ruleid: Py.Eval\nf()\n", 1, "invalid rule id"),
            ("# ruleid: a\n# ok: a\nf()\n", 2, "both 'ruleid' and 'ok' for line 3"),
        ],
    )
    def test_bad_annotations(self, text, line, message):
        with pytest.raises(SourceError, match=re.escape(message)) as err:
            annotations(text, "ex.py")
        assert err.value.path == "ex.py" and err.value.line == line

    def test_files(self, tmp_path):
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "b.py").write_text("# ok: r\nf()\n")
        (tmp_path / "a.py").write_text("# ruleid: r\nf()\n")
        (tmp_path / "notes.txt").write_text("# ruleid: r\nf()\n")
        exp = annotations_in([tmp_path], root=tmp_path)
        assert list(zip(exp.path, exp.expected, strict=True)) == [
            ("a.py", True),
            ("sub/b.py", False),
        ]
        one = annotations_in([tmp_path / "sub" / "b.py"])
        assert one.path.tolist() == [(tmp_path / "sub" / "b.py").as_posix()]
        assert annotations_in([]).empty

    def test_files_with_a_coding_line(self, tmp_path):
        (tmp_path / "l.py").write_bytes(b"# -*- coding: latin-1 -*-\n# ruleid: r\ns = '\xe9'\n")
        assert annotations_in([tmp_path / "l.py"], root=tmp_path).line.tolist() == [3]

    def test_bad_files(self, tmp_path):
        with pytest.raises(UnreadableFileError):
            annotations_in([tmp_path / "missing.py"])
        (tmp_path / "bad.py").write_bytes(b"# ruleid: r\nx = '\xff'\n")
        with pytest.raises(SourceError, match=r"bad\.py"):
            annotations_in([tmp_path / "bad.py"], root=tmp_path)
        (tmp_path / "ok.py").write_text("f()\n")
        with pytest.raises(FindingsError, match="not under the root"):
            annotations_in([tmp_path / "ok.py"], root=tmp_path / "elsewhere")


# -- scores --------------------------------------------------------------------------------------


def found(*items: tuple[str, str, int]) -> pd.DataFrame:
    """Findings at (rule, path, line); the code differs from line to line."""
    return pd.DataFrame(
        [finding(r, path=p, line=n, code=f"sink({n})") for r, p, n in items],
        columns=list(finding()),
    )


def expectations(*items: tuple[str, str, int, bool]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"path": p, "line": n, "rule_id": r, "expected": e} for r, p, n, e in items],
        columns=["path", "line", "rule_id", "expected"],
    )


CMD, SQL, HASH = "py.command-injection", "py.sql-injection", "py.weak-hash"
EXP = expectations(
    (CMD, "a.py", 1, True),
    (CMD, "a.py", 2, True),
    (CMD, "a.py", 3, False),
    (CMD, "a.py", 4, False),
    (SQL, "a.py", 1, True),
    (SQL, "b.py", 1, False),
)


class TestScore:
    def test_counts_and_metrics(self):
        findings = found(
            (CMD, "a.py", 1),  # tp
            (CMD, "a.py", 1),  # the same line again: still one tp
            (CMD, "a.py", 3),  # fp
            (CMD, "a.py", 9),  # unlabelled
            (CMD, "b.py", 1),  # unlabelled: another file
            (SQL, "a.py", 2),  # unlabelled: annotated for another rule only
            (HASH, "c.py", 5),  # a rule with no expectations at all
        )
        s = score(findings, EXP).set_index("rule_id")
        assert list(s.index) == [CMD, SQL, HASH, "overall"]
        assert s.loc[CMD, list(COUNTS)].tolist() == [1, 1, 1, 1, 2]
        assert s.loc[CMD, list(METRICS)].tolist() == pytest.approx([0.5, 0.5, 0.5])
        assert s.loc[SQL, list(COUNTS)].tolist() == [0, 0, 1, 1, 1]
        assert s.loc[SQL, list(METRICS)].tolist() == [0.0, 0.0, 0.0]
        assert s.loc[HASH, list(COUNTS)].tolist() == [0, 0, 0, 0, 1]
        assert s.loc["overall", list(COUNTS)].tolist() == [1, 1, 2, 2, 4]
        assert s.loc["overall", "precision"] == pytest.approx(0.5)
        assert s.loc["overall", "recall"] == pytest.approx(1 / 3)
        assert s.loc["overall", "f1"] == pytest.approx(0.4)

    def test_columns_and_dtypes(self):
        for findings in (found(), found((CMD, "a.py", 1))):
            s = score(findings, EXP)
            assert list(s.columns) == ["rule_id", *COUNTS, *METRICS]
            assert all(s[c].dtype == "int64" for c in COUNTS)
            assert all(s[c].dtype == "float64" for c in METRICS)
        nothing = score(found(), expectations())
        assert nothing.rule_id.tolist() == ["overall"] and nothing.f1.tolist() == [0.0]

    def test_findings_without_a_line_are_unlabelled(self):
        s = score(found((CMD, "a.py", None)), EXP).set_index("rule_id")
        assert s.loc[CMD, "unlabelled"] == 1 and s.loc[CMD, "fn"] == 2

    def test_perfect_rules(self):
        findings = found(*[(r, p, n) for p, n, r, e in EXP.itertuples(index=False) if e])
        s = score(findings, EXP).set_index("rule_id")
        assert s.loc["overall", ["precision", "recall", "f1"]].tolist() == [1.0, 1.0, 1.0]

    def test_line_types_do_not_matter(self):
        findings = to_frame(found((CMD, "a.py", 1)))  # nullable Int32 lines
        exp = EXP.astype({"line": "int32"})
        assert score(findings, exp).set_index("rule_id").loc[CMD, "tp"] == 1

    def test_bad_input(self):
        with pytest.raises(FindingsError, match="findings lack columns: line"):
            score(pd.DataFrame({"rule_id": [CMD], "path": ["a.py"]}), EXP)
        with pytest.raises(FindingsError, match="expectations lack columns: expected"):
            score(found(), EXP.drop(columns="expected"))
        conflicting = pd.concat([EXP, expectations((CMD, "a.py", 1, False))])
        with pytest.raises(FindingsError, match=r"disagree.*a\.py:1 py\.command-injection"):
            score(found(), conflicting)
        with pytest.raises(FindingsError, match="null"):
            score(found(), expectations((CMD, None, 1, True)))

    @settings(max_examples=60, deadline=None)
    @given(
        labels=st.dictionaries(
            st.tuples(
                st.sampled_from([CMD, SQL]), st.sampled_from(["a.py", "b.py"]), st.integers(1, 20)
            ),
            st.booleans(),
            max_size=25,
        ),
        hits=st.lists(
            st.tuples(
                st.sampled_from([CMD, SQL]), st.sampled_from(["a.py", "b.py"]), st.integers(1, 25)
            ),
            max_size=30,
        ),
    )
    def test_counts_add_up(self, labels, hits):
        exp = expectations(*[(r, p, n, e) for (r, p, n), e in labels.items()])
        s = score(found(*hits), exp).set_index("rule_id")
        positives = sum(labels.values())
        overall = s.loc["overall"]
        assert overall.tp + overall.fn == positives
        assert overall.fp + overall.tn == len(labels) - positives
        assert overall.tp + overall.fp + overall.unlabelled == len(set(hits))
        for m in METRICS:
            assert 0.0 <= overall[m] <= 1.0
        rules = s.drop(index="overall")
        for c in COUNTS:
            assert rules[c].sum() == overall[c]


CWE_RULES = (
    {"id": CMD, "cwe": [78, 88]},
    {"id": SQL, "cwe": [89]},
    {"id": HASH, "cwe": []},
)


class TestScoreBy:
    def test_per_cwe(self):
        findings = found((CMD, "a.py", 1), (CMD, "a.py", 3), (SQL, "a.py", 1), (HASH, "z.py", 1))
        s = score_by(findings, EXP, rules=CWE_RULES).set_index("cwe")
        assert list(s.index) == ["CWE-78", "CWE-88", "CWE-89", "none", "overall"]
        assert s.loc["CWE-78", list(COUNTS)].tolist() == s.loc["CWE-88", list(COUNTS)].tolist()
        assert s.loc["CWE-78", ["tp", "fp", "fn"]].tolist() == [1, 1, 1]
        assert s.loc["CWE-89", ["tp", "fp", "fn", "tn"]].tolist() == [1, 0, 0, 1]
        assert s.loc["none", "unlabelled"] == 1
        overall = score(findings, EXP).set_index("rule_id").loc["overall"]
        pd.testing.assert_series_equal(s.loc["overall"], overall, check_names=False)

    def test_cwe_from_the_findings(self):
        findings = found((CMD, "a.py", 1), (SQL, "a.py", 1))
        s = score_by(to_frame(findings), EXP).set_index("cwe")
        assert list(s.index) == ["CWE-78", "CWE-89", "overall"]

    def test_numeric_order(self):
        rules = [{"id": CMD, "cwe": [601]}, {"id": SQL, "cwe": [89]}]
        s = score_by(found(), EXP, rules=rules)
        assert s.cwe.tolist() == ["CWE-89", "CWE-601", "overall"]

    def test_other_fields(self):
        s = score_by(found((CMD, "a.py", 1)), EXP, by="category", rules=RULES)
        assert s.category.tolist() == ["security", "overall"]

    def test_rule_objects(self):
        rules = [SimpleNamespace(id=CMD, cwe=(78,)), SimpleNamespace(id=SQL, cwe=(89,))]
        assert score_by(found(), EXP, rules=rules).cwe.tolist() == ["CWE-78", "CWE-89", "overall"]

    def test_unknown_rule(self):
        with pytest.raises(RuleError, match=r"no 'cwe' for rules py\.sql-injection"):
            score_by(found(), EXP, rules=[{"id": CMD, "cwe": [78]}])


# -- A/B comparison and feedback ---------------------------------------------------------------


class TestCompare:
    def test_two_rule_set_versions(self):
        a = to_frame(found((CMD, "a.py", 1), (CMD, "a.py", 3), (SQL, "b.py", 1)))
        # version b: no longer reports the fp, finds the fn, and loses the SQL finding
        b = to_frame(found((CMD, "a.py", 1), (CMD, "a.py", 2)))
        result = compare_findings(a, b, EXP)
        assert isinstance(result, ComparisonResult)
        s = result.scores.set_index("rule_id")
        assert list(s.index) == [CMD, SQL, "overall"]
        assert s.loc[CMD, ["tp_a", "fp_a", "fn_a", "tp_b", "fp_b", "fn_b"]].tolist() == [
            1,
            1,
            1,
            2,
            0,
            0,
        ]
        assert s.loc[CMD, "precision_a"] == 0.5 and s.loc[CMD, "precision_b"] == 1.0
        assert s.loc[CMD, "delta_recall"] == pytest.approx(0.5)
        assert s.loc[SQL, "fp_a"] == 1 and s.loc[SQL, "tn_b"] == 1
        for m in METRICS:
            assert (s[f"delta_{m}"] == s[f"{m}_b"] - s[f"{m}_a"]).all()

        diff = result.differences
        assert list(diff.columns[:2]) == ["only_in", "expected"]
        assert set(FINDINGS.names) <= set(diff.columns)
        got = list(
            zip(diff.only_in, diff.rule_id, diff.path, diff.line, diff.expected, strict=True)
        )
        assert got == [
            ("b", CMD, "a.py", 2, True),
            ("a", CMD, "a.py", 3, False),
            ("a", SQL, "b.py", 1, False),
        ]

    def test_matched_by_fingerprint(self):
        rows = [taint_finding(), finding(SQL, line=30, code="cur.execute(q)")]
        a = to_frame(rows)
        b = to_frame(shifted(rows, 5))  # the same findings after an unrelated edit
        assert compare_findings(a, b, expectations()).differences.empty
        unlabelled = compare_findings(a, b.iloc[:1], expectations()).differences
        assert unlabelled.only_in.tolist() == ["a"] and unlabelled.expected.tolist() == [None]

    def test_rule_only_in_one_version(self):
        a = found((CMD, "a.py", 1))
        b = found((CMD, "a.py", 1), (HASH, "a.py", 7))
        s = compare_findings(a, b, EXP).scores.set_index("rule_id")
        assert s.loc[HASH, ["unlabelled_a", "unlabelled_b"]].tolist() == [0, 1]
        assert s.loc[HASH, "tp_a"] == 0 and s.tp_a.dtype == "int64"

    def test_nothing(self):
        result = compare_findings(to_frame([]), to_frame([]), expectations())
        assert result.scores.rule_id.tolist() == ["overall"]
        assert result.differences.empty and "only_in" in result.differences.columns


def labels_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of the ``labels`` table, through its Arrow schema."""
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    full = [
        {"rule_id": "r", "note": None, "author": "me", "labelled_at": now, **row} for row in rows
    ]
    return pa.Table.from_pylist(full, schema=LABELS).to_pandas()


class TestFeedback:
    def test_labels_become_expectations(self):
        findings = to_frame(found((CMD, "a.py", 3), (CMD, "a.py", 9), (SQL, "b.py", 2)))
        fp = dict(zip(findings.line, findings.fingerprint, strict=True))
        labels = labels_frame(
            [
                {"fingerprint": fp[3], "verdict": "fp", "note": "sanitised upstream"},
                {"fingerprint": fp[9], "verdict": "tp"},
                {"fingerprint": "0" * 32, "verdict": "tp"},  # a finding no longer reported
            ]
        )
        exp = expectations_from_labels(labels, findings)
        assert exp.to_dict("records") == [
            {"path": "a.py", "line": 3, "rule_id": CMD, "expected": False},
            {"path": "a.py", "line": 9, "rule_id": CMD, "expected": True},
        ]
        assert exp.attrs["unmatched"] == 1
        assert exp.dtypes.to_dict() == annotations("", "x.py").dtypes.to_dict()

    def test_latest_label_wins(self):
        findings = to_frame(found((CMD, "a.py", 3)))
        f = findings.fingerprint[0]
        t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        labels = pd.DataFrame(
            {
                "fingerprint": [f, f],
                "verdict": ["fp", "tp"],
                "labelled_at": [t0 + dt.timedelta(days=2), t0],
            }
        )
        assert expectations_from_labels(labels, findings).expected.tolist() == [False]

    def test_a_true_positive_on_a_line_wins(self):
        findings = to_frame([finding(line=3, code="f(a)"), finding(line=3, code="f(b)")])
        labels = pd.DataFrame({"fingerprint": findings.fingerprint, "verdict": ["tp", "fp"]})
        assert expectations_from_labels(labels, findings).expected.tolist() == [True]

    def test_feedback_feeds_the_ab_comparison(self):
        a = to_frame(found((CMD, "a.py", 3), (CMD, "a.py", 9)))
        labels = labels_frame(
            [
                {"fingerprint": a.fingerprint[0], "verdict": "fp"},
                {"fingerprint": a.fingerprint[1], "verdict": "tp"},
            ]
        )
        exp = pd.concat([expectations_from_labels(labels, a), annotations("", "x.py")])
        b = a.iloc[1:]  # the new version drops the false positive
        s = compare_findings(a, b, exp).scores.set_index("rule_id")
        assert s.loc[CMD, ["precision_a", "precision_b", "delta_precision"]].tolist() == [
            0.5,
            1.0,
            0.5,
        ]

    def test_bad_labels(self):
        findings = to_frame(found((CMD, "a.py", 3)))
        with pytest.raises(FindingsError, match="'tp' or 'fp', not maybe"):
            expectations_from_labels(
                pd.DataFrame({"fingerprint": findings.fingerprint, "verdict": ["maybe"]}), findings
            )
        with pytest.raises(FindingsError, match="labels lack columns: verdict"):
            expectations_from_labels(pd.DataFrame({"fingerprint": []}), findings)
