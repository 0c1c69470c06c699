"""The store log on its own: entries written atomically, read back exactly, damage named."""

from __future__ import annotations

import json
import os

import pytest

from workbench.errors import CorruptionError, SchemaVersionError, StoreBusyError
from workbench.store.log import META_DIR, LogEntry, StoreLog, write_lock


@pytest.fixture
def log(tmp_path) -> StoreLog:
    return StoreLog(tmp_path)


def _append(log: StoreLog, previous=None, **kw) -> LogEntry:
    args = {
        "operation": "op",
        "tables": {"b": 2, "a": 1},
        "schema_version": 1,
        "flags": {"z": False, "cpg": True},
    }
    return log.append(previous, **{**args, **kw})


def test_entries_are_numbered_written_in_a_stable_form_and_read_back(log, tmp_path):
    assert log.versions() == [] and log.latest() is None and log.head() is None
    e0 = _append(log, details={"n": 1}, dirs={"a": "a.1", "b": "b", "gone": "x"})
    e1 = _append(log, e0, operation="second")
    assert (e0.version, e1.version) == (0, 1)
    assert log.versions() == [0, 1] and log.head() == 1
    assert log.path(1) == tmp_path / META_DIR / "log" / "0000000001.json"
    assert log.read(0) == e0 and log.latest() == e1
    assert e0.dirs == {"a": "a.1"}  # only tables of the entry, only where the folder differs
    assert (e0.dir("a"), e0.dir("b")) == ("a.1", "b")
    text = log.path(0).read_text()
    data = json.loads(text)
    assert list(data) == [
        "version",
        "schema_version",
        "tables",
        "flags",
        "operation",
        "timestamp",
        "details",
        "dirs",
    ]
    assert list(data["tables"]) == ["a", "b"] and list(data["flags"]) == ["cpg", "z"]
    assert text == json.dumps(data, indent=1)
    assert "dirs" not in json.loads(log.path(1).read_text())  # none differ
    assert e1.timestamp.endswith("+00:00") and e1.timestamp > e0.timestamp
    assert not [p for p in log.dir.iterdir() if p.name.startswith(".")]  # no temporary files
    assert (tmp_path / META_DIR / "HEAD").read_text() == "1"


def test_a_second_writer_of_the_same_version_loses_and_leaves_nothing(log):
    e0 = _append(log)
    with pytest.raises(FileExistsError):
        _append(log, None)  # version 0 again
    assert log.read(0) == e0
    assert sorted(p.name for p in log.dir.iterdir()) == ["0000000000.json"]
    assert _append(log, version=7).version == 7


def test_versions_ignore_other_files(log):
    _append(log)
    (log.dir / "notes.json").write_text("{}")
    (log.dir / "0000000003.txt").write_text("{}")
    assert log.versions() == [0]


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (
            "{not json",
            CorruptionError,
            r"store log entry 0 is damaged \(.*\): run `workbench repair`",
        ),
        ("[1, 2]", CorruptionError, r"damaged \(not a JSON object\)"),
        (b"\xff\xfe", CorruptionError, "is damaged"),
        ('{"version": 0}', CorruptionError, "is damaged"),
        (
            '{"version": 5, "schema_version": 1, "tables": {}, "flags": {}, "operation": "x", '
            '"timestamp": "t"}',
            CorruptionError,
            r"damaged \(it says version 5\)",
        ),
        (
            '{"version": 0, "schema_version": 1, "tables": [], "flags": {}, "operation": "x", '
            '"timestamp": "t"}',
            CorruptionError,
            "damaged",
        ),
        (
            '{"version": 0, "future": 1, "more": 2}',
            SchemaVersionError,
            r"fields this workbench does not know \(future, more\).*upgrade cpg-workbench$",
        ),
    ],
)
def test_a_damaged_or_unknown_entry_is_named(log, content, error, message):
    _append(log)
    if isinstance(content, bytes):
        log.path(0).write_bytes(content)
    else:
        log.path(0).write_text(content)
    with pytest.raises(error, match=message) as raised:
        log.read(0)
    assert raised.value.path == str(log.root)  # the error names the store
    with pytest.raises(error, match=message):
        log.latest()


def test_a_missing_entry_is_named(log):
    _append(log)
    with pytest.raises(
        CorruptionError, match="store log entry 4 is missing: run `workbench repair`"
    ) as raised:
        log.read(4)
    assert raised.value.path == str(log.root)


def test_a_deleted_newest_entry_is_noticed_through_head(log):
    e0 = _append(log)
    _append(log, e0)
    log.path(1).unlink()
    with pytest.raises(CorruptionError, match=r"entry 1 is missing \(the newest is 0\)"):
        log.latest()
    (log.root / META_DIR / "HEAD").write_text("garbage")
    assert log.head() is None and log.latest() == e0  # a marker only


@pytest.mark.parametrize("written", [False, True], ids=["before-the-file", "after-the-file"])
def test_a_head_marker_that_cannot_be_written_costs_nothing(log, monkeypatch, written):
    """HEAD is a marker: when writing it fails (full disk, before or after its temporary file
    exists), the entry stands, no temporary file is left and the newest entry is still found."""
    e0 = _append(log)

    def fail(tmp, text):
        if written:
            tmp.write_text(text)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("workbench.store.log._write_atomically", fail)
    e1 = _append(log, e0)
    assert log.read(1) == e1 and log.latest() == e1
    assert log.head() == 0  # the old marker: an entry newer than HEAD is still the newest
    assert sorted(p.name for p in (log.root / META_DIR).iterdir()) == ["HEAD", "log"]


def test_referenced_dirs_grow_with_the_log(log):
    e0 = _append(log, dirs={"a": "a.1"})
    assert log.referenced_dirs() == {"a.1", "b"}
    _append(log, e0, tables={"a": 3}, dirs={"a": "a.2"})
    assert log.referenced_dirs() == {"a.1", "a.2", "b"}
    log.referenced_dirs().add("mine")  # a copy
    assert "mine" not in log.referenced_dirs()


def test_the_write_lock_excludes_a_second_writer_and_is_released(tmp_path):
    with (
        write_lock(tmp_path),
        pytest.raises(StoreBusyError, match="another process is writing"),
        write_lock(tmp_path, wait=False),
    ):
        pass
    with write_lock(tmp_path, wait=False):  # released, also after an error inside
        pass
    with pytest.raises(RuntimeError), write_lock(tmp_path):
        raise RuntimeError
    with write_lock(tmp_path, wait=False):
        pass
    assert oct(os.stat(tmp_path / META_DIR / "lock").st_mode & 0o777) == "0o644"
