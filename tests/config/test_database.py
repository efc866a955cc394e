"""The embedded-database bootstrap's bookkeeping of attached processes."""

from __future__ import annotations

import json
import os

from config.database import _forget_dead_handles


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
