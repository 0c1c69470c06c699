"""Bad input gives structured errors, never affects other modules, never runs the code."""

from __future__ import annotations

import pickle

import pytest

import workbench as wb
from workbench.errors import (
    DecodeError,
    NestingTooDeepError,
    NotFoundError,
    NulByteError,
    ParseError,
    SourceError,
    SourceTooLargeError,
    WorkbenchError,
)


def test_syntax_error_has_line_and_column():
    with pytest.raises(ParseError) as info:
        wb.build_cpg("x = 1\ndef f(:\n    pass\n", path="pkg/bad.py")
    err = info.value
    assert (err.path, err.line, err.col) == ("pkg/bad.py", 2, 6)
    assert err.error_type == "ParseError"
    assert isinstance(err, SourceError) and isinstance(err, WorkbenchError)
    assert str(err).startswith("pkg/bad.py:2:6: ")


def test_pep263_coding_line_is_honoured():
    data = "# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n".encode("latin-1")
    cpg = wb.build_cpg(data, path="m.py")
    assert "s = 'café'" in cpg.nodes["code"].to_pylist()


def test_undecodable_bytes():
    with pytest.raises(DecodeError) as info:
        wb.build_cpg(b"x = 1\ny = '\xff\xfe'\n", path="m.py")
    assert info.value.line == 2
    assert "utf-8" in info.value.message


def test_unknown_declared_encoding():
    with pytest.raises(DecodeError):
        wb.build_cpg(b"# coding: no-such-codec\nx = 1\n", path="m.py")


def test_bom_is_accepted():
    cpg = wb.build_cpg(b"\xef\xbb\xbfx = 1\n", path="m.py")
    assert cpg.find(code="x = 1")


@pytest.mark.parametrize("src", [b"x = 1\ny = 2\x00\n", "x = 1\ny = 2\x00\n"])
def test_nul_byte(src):
    with pytest.raises(NulByteError) as info:
        wb.build_cpg(src, path="m.py")
    assert (info.value.line, info.value.col) == (2, 5)


def test_too_large_by_bytes_and_by_nodes():
    with pytest.raises(SourceTooLargeError) as info:
        wb.build_cpg("x = 1\n" * 100, path="m.py", limits=wb.Limits(max_bytes=100))
    assert info.value.size == 600 and info.value.limit == 100
    assert "too large" in info.value.message
    with pytest.raises(SourceTooLargeError):
        wb.build_cpg("x = 1\n" * 100, path="m.py", limits=wb.Limits(max_nodes=50))


def test_deep_expression_nesting_is_reported_cleanly():
    with pytest.raises(NestingTooDeepError):
        wb.build_cpg("x = " + "+".join(["a"] * 100_000) + "\n", path="m.py")


DEEP = "-" * 10_000 + "1"  # overflows the parser's stack: MemoryError, not RecursionError


@pytest.mark.parametrize(
    "where",
    [
        "x = {deep}\n",
        "@decorator\ndef f():\n    return {deep}\n",
        "class C:\n    def m(self):\n        if a:\n            pass\n        y = {deep}\n",
        "try:\n    pass\nexcept E:\n    pass\nelse:\n    z = {deep}\n",
    ],
    ids=["module level", "decorated function", "method", "else clause"],
)
def test_a_parser_stack_overflow_is_nesting_wherever_it_is(where):
    """The parser reports a statement nested too deeply as a MemoryError (a bare one on
    Python 3.11, where it looks like memory running out): it is the module's nesting, found
    again in the statement that holds it, however much else the module has."""
    src = "import os\n\ndef g():\n    return 1\n\n" + where.format(deep=DEEP) + "w = 2\n" * 50
    with pytest.raises(NestingTooDeepError) as info:
        wb.build_cpg(src, path="m.py")
    assert info.value.message == "syntax tree nested too deeply for the parser (MemoryError)"
    assert info.value.error_type == "NestingTooDeepError"


def test_deep_statement_nesting_builds():
    depth = 90  # the compiler allows fewer than 100 nested blocks; the parser more
    src = "".join("    " * i + f"if x{i}:\n" for i in range(depth)) + "    " * depth + "pass\n"
    cpg = wb.build_cpg(src, path="m.py")
    assert cpg.methods.to_pylist()[0]["nesting"] == depth


def test_deep_nesting_beyond_the_recursion_limit_is_reported_cleanly():
    src = "x = " + "[" * 180 + "]" * 180 + "\n"  # the parser accepts < 200 nested brackets
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(150)
    try:
        with pytest.raises((NestingTooDeepError, ParseError)):
            wb.build_cpg(src, path="m.py")
    finally:
        sys.setrecursionlimit(old)
    assert wb.build_cpg(src, path="m.py").nodes.num_rows > 180  # fine with the default


def test_errors_pickle_with_their_fields():
    err = ParseError("a.py", "bad", line=3, col=1)
    back = pickle.loads(pickle.dumps(err))
    assert (back.path, back.line, back.col, str(back)) == ("a.py", 3, 1, str(err))


def test_analysed_code_is_never_executed(tmp_path):
    marker = tmp_path / "executed"
    src = f"open({str(marker)!r}, 'w').write('x')\nimport os\nos._exit(3)\nraise SystemExit\n"
    (tmp_path / "evil.py").write_text(src)
    proj = wb.build_project(tmp_path)
    assert not marker.exists()
    assert proj.module("evil").methods.num_rows == 1


def test_failures_are_isolated_to_their_module(tmp_path):
    (tmp_path / "good.py").write_text("def ok():\n    return 1\n")
    (tmp_path / "syntax.py").write_text("def broken(:\n")
    (tmp_path / "latin.py").write_bytes(b"s = '\xe9'\n")
    (tmp_path / "nul.py").write_bytes(b"x = 1\x00\n")
    (tmp_path / "empty.py").write_text("")
    proj = wb.build_project(tmp_path)
    assert sorted(proj.cpgs) == ["empty.py", "good.py"]
    fails = proj.failures.set_index("path")
    assert fails.loc["syntax.py", "error_type"] == "ParseError"
    assert fails.loc["latin.py", "error_type"] == "DecodeError"
    assert fails.loc["nul.py", "error_type"] == "NulByteError"
    assert fails.loc["syntax.py", "error_line"] == 1
    assert set(fails.parse_status) == {"failed"}


def test_oversized_modules_are_skipped(tmp_path):
    (tmp_path / "big.py").write_text("x = 1\n" * 1000)
    (tmp_path / "small.py").write_text("x = 1\n")
    proj = wb.build_project(tmp_path, limits=wb.Limits(max_bytes=1000))
    row = proj.failures.set_index("path").loc["big.py"]
    assert row.parse_status == "skipped" and row.error_type == "SourceTooLargeError"
    assert list(proj.cpgs) == ["small.py"]


def test_missing_source_root():
    with pytest.raises(NotFoundError):
        wb.build_project("/no/such/dir")


def test_unknown_method_name_suggests():
    cpg = wb.build_cpg("def compute_total():\n    pass\n", path="m.py")
    with pytest.raises(NotFoundError, match="compute_total"):
        cpg.method("compute_totl")


def test_ambiguous_method_name_lists_candidates():
    cpg = wb.build_cpg(
        "class A:\n    @property\n    def x(self):\n        return 1\n"
        "    @x.setter\n    def x(self, v):\n        pass\n",
        path="m.py",
    )
    with pytest.raises(wb.errors.AmbiguousNameError) as info:
        cpg.method("x")
    assert len(info.value.candidates) == 2
    mid = info.value.candidates[1][0]
    assert cpg.method(mid).methods["line"].to_pylist() == [6]
