"""Helpers to poll one source against a fake server, as the engine would."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from exporter.http import Client, PollRecorder
from exporter.snapshot import Snapshot
from exporter.sources.base import Source, SourceConfig
from exporter.sources.registry import SOURCE_TYPES, build

KEY = "test-key-not-real-000"


def make_source(type_: str, url: str, *, key: str | None = KEY, max_pages: int = 50, **options: Any) -> Source:
    """A source of `type_` as the config would build it: its options parsed by its type."""
    problems: list[str] = []
    parsed = SOURCE_TYPES[type_].parse_options(f"sources[{type_}]", options, problems)
    assert not problems, problems
    config = SourceConfig(name=type_, type=type_, url=url, interval=60, timeout=5, max_pages=max_pages,
                          api_key=key, options=parsed)
    return build(config)


def poll(type_: str, url: str, *, now: float | None = None, **kwargs: Any) -> tuple[Snapshot, PollRecorder]:
    """One poll as the engine makes it; `now` pins the engine's clock (unix seconds)."""
    source = make_source(type_, url, **kwargs)
    recorder = PollRecorder()
    clock = time.time if now is None else (lambda: now)
    with Client(timeout=5, deadline=time.monotonic() + 20, recorder=recorder, backoff=0.01, clock=clock) as client:
        return source.poll(client), recorder


def D(text: str) -> Decimal:
    return Decimal(text)
