"""The three streaming chat APIs a probe speaks: how to ask for a tiny streamed answer, and
how to read one, in each vendor's own format.

- "openai": OpenAI-compatible chat completions (OpenAI and the vendors behind its type,
  OpenRouter, DeepSeek, Moonshot, SiliconFlow, LiteLLM, GatewayZ, Ollama's /v1). Server-sent
  events of `chat.completion.chunk` objects, ending with `data: [DONE]`; with
  `stream_options.include_usage` the last chunk carries `usage` (OpenRouter adds its `cost`).
- "anthropic": Messages with `stream: true`. Events message_start (input tokens),
  content_block_delta (text), message_delta (output tokens) and message_stop, the end marker.
- "gemini": streamGenerateContent with `alt=sse`. Each event is a GenerateContentResponse; the
  last one has a candidate with a finishReason and the usageMetadata.

Reading also notes what the vendor says answered: the chunks' `model` and `system_fingerprint`
(OpenAI-compatible), `message.model` of Anthropic's message_start, Gemini's `modelVersion`.
Reading only collects what arrived and when; probe.py judges the outcome.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from exporter import money

SHAPES = ("openai", "anthropic", "gemini")


@dataclass
class Reading:
    """What a stream delivered: times are monotonic seconds."""

    first_content_at: float | None = None
    ended_at: float | None = None
    events: int = 0  # data events, of any kind
    content_chunks: int = 0
    ended: bool = False  # the vendor's end marker arrived
    input_tokens: int | None = None
    output_tokens: int | None = None
    reported_cost: Decimal | None = None
    error: str | None = None  # an error event inside the stream
    error_type: str | None = None  # the type that error names (overloaded_error, ...)
    unreadable: int = 0  # data lines that were not JSON
    response_model: str = ""  # the model the vendor says answered
    fingerprint: str = ""  # its system fingerprint, where the vendor sends one

    def answered(self, model: object = None, fingerprint: object = None) -> None:
        """The first non-empty model and fingerprint the stream names."""
        if not self.response_model and isinstance(model, str) and model:
            self.response_model = model[:200]
        if not self.fingerprint and isinstance(fingerprint, str) and fingerprint:
            self.fingerprint = fingerprint[:200]

    def failed(self, error: object) -> None:
        self.error = _error_text(error)
        if isinstance(error, dict):
            kind = error.get("type") or error.get("code") or error.get("status")
            if isinstance(kind, str | int) and not isinstance(kind, bool):
                self.error_type = str(kind)[:60]

    def content(self, text: object, at: float) -> None:
        """A chunk's text; only non-empty text counts as content (role-only chunks do not)."""
        if isinstance(text, str) and text:
            if self.first_content_at is None:
                self.first_content_at = at
            self.content_chunks += 1


def request(shape: str, base_url: str, path: str, model: str, prompt: str, max_tokens: int
            ) -> tuple[str, dict[str, Any]]:
    """The url and JSON payload of a streamed request for `model`."""
    url = base_url + path.replace("{model}", quote(model, safe="/:.-_"))
    messages = [{"role": "user", "content": prompt}]
    if shape == "openai":
        return url, {"model": model, "messages": messages, "max_tokens": max_tokens, "stream": True,
                     "stream_options": {"include_usage": True}}
    if shape == "anthropic":
        return url, {"model": model, "messages": messages, "max_tokens": max_tokens, "stream": True}
    if shape == "gemini":
        return url, {"contents": [{"role": "user", "parts": [{"text": prompt}]}],
                     "generationConfig": {"maxOutputTokens": max_tokens}}
    raise ValueError(f"unknown stream shape {shape}")


def plain_request(shape: str, base_url: str, path: str, model: str, prompt: str) -> tuple[str, dict[str, Any]]:
    """The url and payload of the smallest answer there is (max_tokens 1), not streamed: what
    a liveness check asks."""
    if shape == "gemini":
        path = path.replace(":streamGenerateContent?alt=sse", ":generateContent")
    url, payload = request(shape, base_url, path, model, prompt, 1)
    payload.pop("stream", None)
    payload.pop("stream_options", None)
    return url, payload


def usage(shape: str, body: Any) -> tuple[int | None, int | None, Decimal | None]:
    """(input tokens, output tokens, the vendor's own cost) of a whole, non-streamed answer."""
    if not isinstance(body, dict):
        return None, None, None
    if shape == "gemini":
        found = body.get("usageMetadata")
        found = found if isinstance(found, dict) else {}
        return _tokens(found.get("promptTokenCount")), _tokens(found.get("candidatesTokenCount")), None
    found = body.get("usage")
    found = found if isinstance(found, dict) else {}
    if shape == "anthropic":
        return _tokens(found.get("input_tokens")), _tokens(found.get("output_tokens")), None
    return _tokens(found.get("prompt_tokens")), _tokens(found.get("completion_tokens")), money.price(found.get("cost"))


def events(lines: Iterable[tuple[bytes, float]]) -> Iterable[tuple[str, float]]:
    """The `data:` payloads of a server-sent event stream (comments, `event:` and `id:` lines
    are not needed: every vendor here repeats the event type inside its JSON)."""
    for line, at in lines:
        if line.startswith(b"data:"):
            yield line[5:].strip().decode("utf-8", "replace"), at


def read(shape: str, lines: Iterable[tuple[bytes, float]]) -> Reading:
    reading = Reading()
    for data, at in events(lines):
        reading.events += 1
        reading.ended_at = at
        if shape == "openai" and data == "[DONE]":
            reading.ended = True
            continue
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError:
            reading.unreadable += 1
            continue
        if not isinstance(chunk, dict):
            reading.unreadable += 1
            continue
        _READERS[shape](reading, chunk, at)
    return reading


def _tokens(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _openai(reading: Reading, chunk: dict[str, Any], at: float) -> None:
    if "error" in chunk:  # OpenRouter and LiteLLM report a failure mid-stream this way
        reading.failed(chunk["error"])
        return
    reading.answered(chunk.get("model"), chunk.get("system_fingerprint"))
    for choice in chunk.get("choices") or ():
        if isinstance(choice, dict) and isinstance(choice.get("delta"), dict):
            reading.content(choice["delta"].get("content"), at)
    usage = chunk.get("usage")
    if isinstance(usage, dict):
        reading.input_tokens = _tokens(usage.get("prompt_tokens"))
        reading.output_tokens = _tokens(usage.get("completion_tokens"))
        reading.reported_cost = money.price(usage.get("cost"))


def _anthropic(reading: Reading, chunk: dict[str, Any], at: float) -> None:
    kind = chunk.get("type")
    if kind == "message_start":
        message = chunk.get("message") or {}
        if isinstance(message, dict):
            reading.answered(message.get("model"))
        usage = (message.get("usage") if isinstance(message, dict) else None) or {}
        reading.input_tokens = _tokens(usage.get("input_tokens"))
    elif kind == "content_block_delta":
        delta = chunk.get("delta") or {}
        if delta.get("type") == "text_delta":
            reading.content(delta.get("text"), at)
    elif kind == "message_delta":
        reading.output_tokens = _tokens((chunk.get("usage") or {}).get("output_tokens"))
    elif kind == "message_stop":
        reading.ended = True
    elif kind == "error":
        reading.failed(chunk.get("error"))


def _gemini(reading: Reading, chunk: dict[str, Any], at: float) -> None:
    if "error" in chunk:
        reading.failed(chunk["error"])
        return
    reading.answered(chunk.get("modelVersion"))
    for candidate in chunk.get("candidates") or ():
        if not isinstance(candidate, dict):
            continue
        for part in (candidate.get("content") or {}).get("parts") or ():
            if isinstance(part, dict):
                reading.content(part.get("text"), at)
        if candidate.get("finishReason"):
            reading.ended = True
    usage = chunk.get("usageMetadata")
    if isinstance(usage, dict):
        reading.input_tokens = _tokens(usage.get("promptTokenCount"))
        reading.output_tokens = _tokens(usage.get("candidatesTokenCount"))


def _error_text(error: object) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or "error")[:200]
    return str(error)[:200]


_READERS = {"openai": _openai, "anthropic": _anthropic, "gemini": _gemini}
