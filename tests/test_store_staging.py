"""Staging sessions on their own: a session's folder lives while its owner does, and the next
writer deletes the folders (and the digests) of sessions whose owner is gone."""

from __future__ import annotations

import gc
import os
import shutil
import sys

import pytest

from workbench.store.staging import STAGING, Session, remove_dead_sessions, session_dir


def _dead_session(root, name: str, *, lock: bool = True):
    """A session folder whose owner is gone: its lock file exists (unlocked) or was never
    made (killed while creating it), with one staged file and its digest."""
    d = root / STAGING / name
    (d / "cpg_nodes").mkdir(parents=True)
    if lock:
        (d / "lock").touch()
    (d / "cpg_nodes" / "part.parquet").write_bytes(b"staged")
    digest = root / "_workbench" / "files" / "cpg_nodes" / "part.parquet.json"
    digest.parent.mkdir(parents=True, exist_ok=True)
    digest.write_text("{}")
    return d


def test_dead_sessions_go_live_ones_and_stray_files_stay(tmp_path):
    live = Session(tmp_path)
    try:
        (tmp_path / STAGING / "0-stray").write_text("not a session")  # sorted first
        first = _dead_session(tmp_path, "0-killed", lock=False)
        last = _dead_session(tmp_path, "zz-dead")  # sorted after the live one
        assert remove_dead_sessions(tmp_path) == ["0-killed", "zz-dead"]
        assert not first.exists() and not last.exists()
        assert live.dir.is_dir() and (tmp_path / STAGING / "0-stray").is_file()
        assert not list((tmp_path / "_workbench" / "files").rglob("*.json"))  # digests too
        assert remove_dead_sessions(tmp_path) == []
    finally:
        live.close()
    assert remove_dead_sessions(tmp_path) == []  # closed: its folder went with it
    assert sorted(p.name for p in (tmp_path / STAGING).iterdir()) == ["0-stray"]


def test_no_staging_folder_means_no_dead_sessions(tmp_path):
    assert remove_dead_sessions(tmp_path) == []
    assert not (tmp_path / STAGING).exists()


def test_a_dead_session_that_cannot_be_deleted_does_not_stop_the_writer(tmp_path, monkeypatch):
    """Best effort: a file the next writer may not delete stays, and the call still returns
    (the writer after it tries again)."""
    d = _dead_session(tmp_path, "1-dead")
    (d / "cpg_nodes" / "stuck.parquet").write_bytes(b"x")
    unlink = os.unlink

    def refuse(path, *args, **kwargs):
        if os.fspath(path).endswith("stuck.parquet"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", refuse)
    assert remove_dead_sessions(tmp_path) == ["1-dead"]
    assert (d / "cpg_nodes" / "stuck.parquet").exists()
    assert not (d / "cpg_nodes" / "part.parquet").exists()
    monkeypatch.undo()
    assert remove_dead_sessions(tmp_path) == ["1-dead"] and not d.exists()


def test_a_session_whose_folder_was_deleted_under_it_still_closes(tmp_path):
    session = Session(tmp_path)
    shutil.rmtree(session.dir)
    session.close()
    session.close()  # twice: nothing to do
    assert not session.dir.exists() and remove_dead_sessions(tmp_path) == []


@pytest.mark.parametrize("bad", ["", "..", ".", ".hidden", "a/b", "../x"])
def test_a_worker_is_never_pointed_outside_its_session(tmp_path, bad):
    with pytest.raises(ValueError, match="bad staging session id"):
        session_dir(tmp_path, bad)


def test_a_session_id_names_its_folder(tmp_path):
    session = Session(tmp_path)
    try:
        assert session_dir(tmp_path, session.id) == session.dir == tmp_path / STAGING / session.id
    finally:
        session.close()


def test_a_dropped_session_whose_close_fails_is_cleaned_up_quietly(tmp_path, monkeypatch):
    """A session dropped without close() is closed by the garbage collector; an error there
    (here its lock's descriptor closed by someone else) is nobody's to handle: it is not
    reported as an unraisable exception, and the folder is gone all the same."""
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    session = Session(tmp_path)
    folder = session.dir
    os.close(session._fd)
    del session
    gc.collect()
    assert unraisable == [] and not folder.exists()
