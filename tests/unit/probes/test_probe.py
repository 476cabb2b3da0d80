"""One probe's outcome: overloaded answers (Anthropic's 529 and overloaded_error) are their own reason."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest

from exporter.http import Client, PollRecorder
from exporter.probes.probe import ProbeResult, run
from exporter.probes.settings import ProbeSettings, ProbeTarget
from tests.support.adapters import KEY, make_source
from tests.support.fakeserver import FakeServer, Reply, StreamReply, fixture_reply, json_reply
from tests.support.present import present
from tests.support.probes import events, openai_stream, probe, sse, target, timed

# -- 5. overloaded ------------------------------------------------------------------------------
ANTHROPIC = ProbeTarget(source="anthropic", model="claude-haiku-4-5", interval=60, timeout=5, slow_first_token=10)


OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def test_a_529_is_overloaded(fake: FakeServer) -> None:
    fake.routes["/v1/messages"] = json_reply(OVERLOADED, status=529)
    result = probe(fake, "anthropic", ANTHROPIC)
    assert (result.ok, result.reason) == (False, "overloaded")


def test_an_overloaded_error_body_or_event_is_overloaded(fake: FakeServer) -> None:
    fake.routes["/v1/messages"] = json_reply(OVERLOADED, status=503)
    assert probe(fake, "anthropic", ANTHROPIC).reason == "overloaded"
    fake.routes["/v1/messages"] = StreamReply(sse(
        {"type": "message_start", "message": {"model": "claude-haiku-4-5-20251001", "usage": {"input_tokens": 9}}},
        OVERLOADED))
    assert probe(fake, "anthropic", ANTHROPIC).reason == "overloaded"
    fake.routes["/v1/messages"] = json_reply({"type": "error", "error": {"type": "api_error"}}, status=500)
    assert probe(fake, "anthropic", ANTHROPIC).reason == "http_error"  # other 5xx keep their reason


SETTINGS = ProbeSettings(prompt="Reply with the word OK.", max_tokens=8)










def probe_stream(fake: FakeServer, kind: str, model: str = "m", timeout: float = 5.0,
          prices: tuple[Decimal | None, Decimal | None] = (None, None)) -> ProbeResult:
    source = make_source(kind, fake.url)
    with Client(timeout=timeout, deadline=time.monotonic() + timeout, recorder=PollRecorder(), retries=0) as client:
        return run(client, source, target(kind, model, timeout), SETTINGS, prices, time.time)


# -- each API shape -------------------------------------------------------------------------
def test_openai_compatible_stream_is_measured(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = StreamReply(timed(
        openai_stream(usage={"prompt_tokens": 12, "completion_tokens": 4}), first=0.4, gap=0.1))
    result = probe_stream(fake, "openai", "gpt-4o-mini", prices=(Decimal("0.00000015"), Decimal("0.0000006")))
    assert result.ok and result.reason is None
    ttft = present(result.ttft_seconds)
    assert 0.38 <= ttft < 0.8
    assert present(result.headers_seconds) < ttft <= present(result.duration_seconds)
    assert result.output_tokens == 4
    # (4 - 1) tokens over the 0.6 s from the first one to the end marker (3 tokens and 3 closing chunks)
    assert 4.3 < present(result.tokens_per_second) <= 5.05
    assert result.cost_usd == Decimal("0.0000042")  # 12 x 0.15/M + 4 x 0.6/M
    request = fake.requests_to("/chat/completions")[0]
    assert request.method == "POST" and request.headers["Authorization"] == f"Bearer {KEY}"
    assert json.loads(request.body) == {
        "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Reply with the word OK."}],
        "max_tokens": 8, "stream": True, "stream_options": {"include_usage": True}}


def test_openrouter_reports_its_own_cost_and_comments_are_ignored(fake: FakeServer) -> None:
    chunks = [b": OPENROUTER PROCESSING\n\n", *openai_stream(
        usage={"prompt_tokens": 12, "completion_tokens": 4, "cost": 0.0000123})]
    fake.routes["/chat/completions"] = StreamReply(timed(chunks, content_from=2))
    result = probe_stream(fake, "openrouter", "openai/gpt-4o-mini", prices=(Decimal(1), Decimal(1)))
    assert result.ok and result.cost_usd == Decimal("0.0000123")


def test_without_reported_usage_tokens_are_counted_chunks(fake: FakeServer) -> None:
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream(("a", "b", "c")), gap=0.05))
    result = probe_stream(fake, "ollama", "llama3.2:3b")  # Ollama's OpenAI-compatible path
    assert result.ok and result.output_tokens == 3 and result.cost_usd == 0


def test_anthropic_messages_stream(fake: FakeServer) -> None:
    events = [
        ("message_start", {"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 15,
                                                                                           "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text",
                                                                                              "text": ""}}),
        ("ping", {"type": "ping"}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "OK"}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                 "delta": {"type": "text_delta", "text": "."}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                           "usage": {"output_tokens": 2}}),
        ("message_stop", {"type": "message_stop"}),
    ]
    chunks = [f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events]
    fake.routes["/v1/messages"] = StreamReply(timed(chunks, first=0.3, gap=0.1, content_from=3))
    result = probe_stream(fake, "anthropic", "claude-haiku-4-5")
    assert result.ok and result.output_tokens == 2
    assert 0.28 <= present(result.ttft_seconds) < 0.7  # the ping and the empty block start do not count
    seen = fake.requests_to("/v1/messages")[0]
    assert seen.headers["x-api-key"] == KEY and seen.headers["anthropic-version"] == "2023-06-01"
    assert json.loads(seen.body)["stream"] is True


def test_gemini_stream_generate_content(fake: FakeServer) -> None:
    def response(text: str, last: bool = False) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
        body: dict[str, Any] = {"candidates": [candidate]}
        if last:
            candidate["finishReason"] = "STOP"
            body["usageMetadata"] = {"promptTokenCount": 7, "candidatesTokenCount": 3, "totalTokenCount": 10}
        return body

    path = "/models/gemini-2.5-flash:streamGenerateContent"
    fake.routes[path] = StreamReply(timed(events(response("OK"), response(" it"), response(" works", last=True)),
                                          first=0.2, gap=0.05, content_from=0))
    result = probe_stream(fake, "gemini", "gemini-2.5-flash")
    assert result.ok and result.output_tokens == 3
    seen = fake.requests_to(path)[0]
    assert seen.query == {"alt": ["sse"]} and seen.headers["x-goog-api-key"] == KEY
    assert json.loads(seen.body)["generationConfig"] == {"maxOutputTokens": 8}


def test_a_connection_closed_stream_is_timed_as_it_arrives(fake: FakeServer) -> None:
    """No chunked encoding: the body ends when the connection closes. TTFT is still the
    arrival of the first token, not of the whole body."""
    fake.routes["/chat/completions"] = StreamReply(timed(openai_stream(), first=0.2, gap=0.3), chunked=False)
    result = probe_stream(fake, "openai")
    assert result.ok and present(result.ttft_seconds) < 0.5 and present(result.duration_seconds) > 1.0


# -- the failure taxonomy --------------------------------------------------------------------------
def test_slow_first_token(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = StreamReply(timed(openai_stream(), first=2.0))
    result = probe_stream(fake, "openai")
    assert result.ok and present(result.ttft_seconds) >= 2.0


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
def test_a_dripping_stream_is_cut_by_the_deadline(fake: FakeServer, chunked: bool) -> None:
    # a token every 0.25 s for 30 s: a 1.5 s probe must end at its deadline, framing aside
    fake.routes["/chat/completions"] = StreamReply(timed(openai_stream(("OK",) * 120), gap=0.25), chunked=chunked)
    started = time.monotonic()
    result = probe_stream(fake, "openai", timeout=1.5)
    assert (result.ok, result.reason) == (False, "timeout")
    assert time.monotonic() - started < 2.5


def test_rate_limited_with_retry_after(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = json_reply({"error": {"message": "slow down"}}, status=429,
                                                  headers={"Retry-After": "20"})
    assert probe_stream(fake, "openai").reason == "rate_limited"


@pytest.mark.parametrize(("kind", "status", "name"), [
    ("openai", 429, "openai__error_429_insufficient_quota.json"),  # not a rate limit: no Retry-After to wait out
    ("openai", 402, "openrouter__error_402.json"),
    ("openai", 402, "deepseek__error_402.json"),
    ("anthropic", 400, "anthropic__error_400_credit_balance.json"),
])
def test_an_empty_account_is_credit_exhausted(fake: FakeServer, kind: str, status: int, name: str) -> None:
    path = "/v1/messages" if kind == "anthropic" else "/chat/completions"
    fake.routes[path] = fixture_reply(name, status=status)
    result = probe_stream(fake, kind)
    assert (result.ok, result.reason) == (False, "credit_exhausted")


@pytest.mark.parametrize(("status", "reason"), [(401, "auth"), (403, "auth"), (500, "http_error")])
def test_error_statuses(fake: FakeServer, status: int, reason: str) -> None:
    fake.routes["/chat/completions"] = json_reply({"error": {"message": "no"}}, status=status)
    assert probe_stream(fake, "openai").reason == reason


def test_a_stream_without_its_end_marker_is_invalid(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = StreamReply(timed(openai_stream(done=False)))
    result = probe_stream(fake, "openai")
    assert (result.ok, result.reason) == (False, "invalid_response")
    assert result.ttft_seconds is not None  # it did carry content


def test_an_empty_stream(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = StreamReply(timed(openai_stream(tokens=())))
    assert probe_stream(fake, "openai").reason == "empty_response"


@pytest.mark.parametrize("body", [b"", b"<html>gateway error</html>", b"data: {not json\n\ndata: [DONE]\n\n"])
def test_what_is_not_a_json_event_stream_is_invalid(fake: FakeServer, body: bytes) -> None:
    fake.routes["/chat/completions"] = StreamReply([(0.0, body)] if body else [])
    assert probe_stream(fake, "openai").reason == "invalid_response"


def test_an_error_inside_the_stream(fake: FakeServer) -> None:
    chunks = openai_stream(("O",), done=False)[:2] + events({"error": {"message": "upstream overloaded", "code": 502}})
    fake.routes["/chat/completions"] = StreamReply(timed(chunks))
    result = probe_stream(fake, "openai")
    assert result.reason == "http_error" and "upstream overloaded" in present(result.error)


def test_the_key_never_reaches_an_error_message(fake: FakeServer) -> None:
    from exporter import redact

    redact.register(KEY)  # as loading a config does
    fake.routes["/chat/completions"] = Reply(status=401, body=f'{{"error": "bad key {KEY}"}}'.encode())
    assert KEY not in (probe_stream(fake, "openai").error or "")
    # a vendor that echoes the key inside the stream's error event
    chunks = events({"error": {"message": f"key {KEY} has no credits"}})
    fake.routes["/chat/completions"] = StreamReply(timed(chunks))
    result = probe_stream(fake, "openai")
    assert result.reason == "http_error" and KEY not in present(result.error)
