"""One probe run in-process against the fake server, and the event streams vendors answer with."""

from __future__ import annotations

import json
import time
from typing import Any

from exporter.http import Client, PollRecorder
from exporter.probes.probe import ProbeResult, run
from exporter.probes.settings import ProbeSettings, ProbeTarget
from tests.support.adapters import KEY, make_source
from tests.support.clock import NOW
from tests.support.fakeserver import FakeServer, fixture_reply

SETTINGS = ProbeSettings(prompt="Reply with the word OK.", max_tokens=8)
TARGET = ProbeTarget(source="openai", model="gpt-4o-mini", interval=60, timeout=5, slow_first_token=10)


def events(*payloads: object) -> list[bytes]:
    """Server-sent events: a payload is a JSON value or a literal data string ("[DONE]")."""
    return [f"data: {p if isinstance(p, str) else json.dumps(p)}\n\n".encode() for p in payloads]


def sse(*payloads: object) -> list[tuple[float, bytes]]:
    """The events, each sent at once."""
    return [(0.0, event) for event in events(*payloads)]


def openai_stream(tokens: tuple[str, ...] = ("OK", " it", " works", "."), *, usage: dict[str, Any] | None = None,
                  done: bool = True) -> list[bytes]:
    """A chat.completion.chunk stream as OpenAI sends it with stream_options.include_usage."""
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    body = events(chunk({"role": "assistant", "content": ""}), *(chunk({"content": t}) for t in tokens),
                  chunk({}, "stop"))
    if usage is not None:
        body += events({"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [], "usage": usage})
    return body + (events("[DONE]") if done else [])


def timed(chunks: list[bytes], first: float = 0.0, gap: float = 0.0, content_from: int = 1
          ) -> list[tuple[float, bytes]]:
    """Delays: `first` before the chunk at index content_from, `gap` before each later one."""
    return [(first if i == content_from else gap if i > content_from else 0.0, c) for i, c in enumerate(chunks)]


def target(source: str = "s", model: str = "m", timeout: float = 5.0) -> ProbeTarget:
    return ProbeTarget(source=source, model=model, interval=60, timeout=timeout, slow_first_token=10)


def stream_config(fake: FakeServer, extra: str = "", models: str = "[gpt-4o-mini]") -> str:
    """A config with one OpenAI source on the fake server and probes of `models` through it."""
    return f"""
timeout: 5s
sources:
  - {{name: oai, type: openai, url: '{fake.url}/v1', api_key: {KEY}, interval: 60s}}
probes:
  interval: 60s
  timeout: 5s
{extra}
  targets:
    - {{source: oai, models: {models}}}
"""


def catalog(fake: FakeServer) -> None:
    fake.routes["/v1/models"] = fixture_reply("openai__models.json")


def chat_stream(model: str, fingerprint: str) -> list[tuple[float, bytes]]:
    """An OpenAI chat completion stream that answers "OK"."""
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "c1", "object": "chat.completion.chunk", "model": model, "system_fingerprint": fingerprint,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return sse(chunk({"role": "assistant", "content": ""}), chunk({"content": "OK"}), chunk({}, "stop"), "[DONE]")


def probe(fake: FakeServer, kind: str = "openai", target: ProbeTarget = TARGET) -> ProbeResult:
    """One probe of `target` through a source of type `kind` on the fake server, at NOW."""
    source = make_source(kind, fake.url)
    with Client(timeout=5, deadline=time.monotonic() + 5, recorder=PollRecorder(), retries=0,
                clock=lambda: NOW) as client:
        return run(client, source, target, SETTINGS, (None, None), lambda: NOW)
