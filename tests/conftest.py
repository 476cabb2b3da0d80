"""Fixtures every tier uses; the helpers behind them live in tests/support."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fakeserver import FakeServer
from tests.support.processes import Exporter, StartExporter


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer().start()
    yield server
    server.stop()


@pytest.fixture
def exporter_process() -> Iterator[StartExporter]:
    started: list[Exporter] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Exporter:
        proc = Exporter(*args, env=env)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


