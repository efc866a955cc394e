"""The embedded-database bootstrap: attached processes, and a cluster of an older version."""

from __future__ import annotations

import json
import os

import pytest

from config.database import (
    EMBEDDED_MAJOR,
    _forget_dead_handles,
    embedded_databases,
    old_cluster_message,
)


def test_dead_processes_are_forgotten(tmp_path):
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([os.getpid(), 2**22 + 12345]))  # beyond pid_max: never alive
    _forget_dead_handles(tmp_path)
    assert json.loads(handles.read_text()) == [os.getpid()]


def test_an_empty_or_corrupt_handle_list_is_reset(tmp_path):
    handles = tmp_path / ".handle_pids.json"
    for broken in ["", "{", '{"a": 1}']:
        handles.write_text(broken)
        _forget_dead_handles(tmp_path)
        assert json.loads(handles.read_text()) == []


def test_a_missing_handle_list_is_left_alone(tmp_path):
    _forget_dead_handles(tmp_path)
    assert not (tmp_path / ".handle_pids.json").exists()


def test_a_cluster_of_the_old_embedded_postgresql_is_named_and_left_alone(tmp_path):
    """A .data/ made by pgserver's PostgreSQL 16 stops the command with one line
    saying what to do, and nothing in it is touched."""
    pgdata = tmp_path / "pg"
    pgdata.mkdir()
    (pgdata / "PG_VERSION").write_text("16\n")
    (pgdata / "base").write_text("the user's data")
    with pytest.raises(SystemExit) as stopped:
        embedded_databases(tmp_path)
    message = str(stopped.value)
    assert "PostgreSQL 16" in message
    assert "make clean-data" in message
    assert "\n" not in message
    assert sorted(p.name for p in pgdata.iterdir()) == ["PG_VERSION", "base"]
    assert (pgdata / "base").read_text() == "the user's data"


def test_the_embedded_version_and_a_new_folder_need_no_message(tmp_path):
    assert old_cluster_message(tmp_path / "pg") is None
    (tmp_path / "PG_VERSION").write_text(f"{EMBEDDED_MAJOR}\n")
    assert old_cluster_message(tmp_path) is None
