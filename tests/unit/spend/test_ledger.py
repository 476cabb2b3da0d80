"""Tailing the usage ledger: appends, partial lines, rotation, truncation, a missing path, a named pipe."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from exporter.spend.ledger import Line, Tailer
from tests.support.ledger import NOW, append, event
from tests.support.present import present


def numbers(lines: Iterable[Line]) -> list[int]:
    return [json.loads(present(line.text))["ts"] - NOW for line in lines]


def test_appends_are_read_once(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    append(path, event(1) + event(2))
    tailer = Tailer([str(path)])
    assert numbers(tailer.read()) == [1, 2]
    assert tailer.read() == []
    append(path, event(3))
    lines = tailer.read()
    assert numbers(lines) == [3] and lines[0].number == 3


def test_a_partial_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    whole = event(1)
    append(path, event(0) + whole[:20])
    tailer = Tailer([str(path)])
    assert numbers(tailer.read()) == [0]
    assert tailer.read() == []  # still no newline: not malformed, not read
    append(path, whole[20:])
    assert numbers(tailer.read()) == [1]


def test_rotation_finishes_the_old_file_then_starts_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    append(path, event(1))
    tailer = Tailer([str(path)])
    assert numbers(tailer.read()) == [1]
    append(path, event(2) + event(3)[:-1])  # the writer's last line lost its newline at rotation
    os.rename(path, tmp_path / "app.jsonl.1")
    append(path, event(4))
    assert numbers(tailer.read()) == [2, 3, 4]
    assert tailer.read() == []


def test_a_rotated_file_that_still_matches_the_glob_is_not_read_twice(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    append(path, event(1))
    tailer = Tailer([str(tmp_path / "app.jsonl*")])
    assert numbers(tailer.read()) == [1]
    os.rename(path, tmp_path / "app.jsonl.1")
    append(path, event(2))
    assert numbers(tailer.read()) == [2]


def test_truncation_reads_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "app.jsonl"
    append(path, event(1) + event(2) + event(3))
    tailer = Tailer([str(path)])
    assert numbers(tailer.read()) == [1, 2, 3]
    path.write_text(event(4))  # copytruncate-style: same file, shorter
    assert numbers(tailer.read()) == [4]


def test_a_missing_path_is_logged_once_and_retried(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "later.jsonl"
    tailer = Tailer([str(path)])
    with caplog.at_level(logging.WARNING):
        assert tailer.read() == [] and tailer.read() == []
    assert len([r for r in caplog.records if "cannot read" in r.getMessage()]) == 1
    append(path, event(1))
    assert numbers(tailer.read()) == [1]


def test_a_named_pipe_is_not_opened(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Only regular files are read: a FIFO would block the read (and readiness, and SIGTERM)
    until a writer came."""
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    tailer = Tailer([str(fifo)])
    with caplog.at_level(logging.WARNING):
        assert tailer.read() == [] and tailer.read() == []
    assert len([r for r in caplog.records if "not a regular file" in r.getMessage()]) == 1
