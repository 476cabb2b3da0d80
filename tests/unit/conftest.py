"""The unit tier runs in-process: no external binary and no child process. A test that needs
one belongs in tests/e2e; this makes the rule fail loudly instead of slowly."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def no_child_processes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the unit tier starts no processes (tried {args[:1]}); move the test to tests/e2e")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    yield
