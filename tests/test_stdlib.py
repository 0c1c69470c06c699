"""Every module of the running interpreter's standard library builds (slow)."""

from __future__ import annotations

import warnings

import pytest

from workbench.errors import BuildError, DecodeError, ParseError, SourceError


def _python_rejects(data: bytes) -> bool:
    """The compiler rejects it (what the build reports includes compile-time errors)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "<stdlib>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return True
    return False


@pytest.mark.slow
@pytest.mark.xdist_group("stdlib")
def test_whole_stdlib_builds_without_crashes(stdlib_builds):
    assert len(stdlib_builds) > 1000
    built = nodes = 0
    for b in stdlib_builds:  # each module built once, shared with test_metrics
        if isinstance(b.error, BuildError):  # a crash of ours
            pytest.fail(f"crash on {b.rel}: {b.error}")
        if b.error is not None:  # only real syntax errors, and only cleanly
            e = b.error
            assert isinstance(e, SourceError), (b.rel, e)
            assert isinstance(e, ParseError | DecodeError), (b.rel, e)
            with open(b.path, "rb") as fh:
                assert _python_rejects(fh.read()), f"{b.rel}: we reject what Python accepts: {e}"
            assert e.line is not None
            continue
        built += 1
        nodes += b.nodes
        assert "UNKNOWN" not in b.kinds
    assert built > 0.99 * len(stdlib_builds)
    assert nodes > 1_000_000
