"""Synthetic probes over real HTTP: each API shape against a local streaming server, every
failure reason, the budget, the source-down and overlap rules, the schedule's spread, and
--once."""

from __future__ import annotations

import json
import logging
import time
from decimal import Decimal
from pathlib import Path

import pytest

from exporter.config import load_text
from exporter.engine import Engine
from exporter.http import Client, PollRecorder
from exporter.probes import streams
from exporter.probes.book import ProbeBook
from exporter.probes.probe import ProbeResult, run
from exporter.probes.runner import Schedule
from exporter.probes.settings import ProbeSettings, ProbeTarget
from exporter.web import landing, summary
from tests.support.adapters import KEY, make_source
from tests.support.catalogs import Clock
from tests.support.fakeserver import FakeServer, Reply, StreamReply, fixture_reply, json_reply
from tests.support.processes import run_cli

SETTINGS = ProbeSettings(prompt="Reply with the word OK.", max_tokens=8)


def sse(*payloads: object) -> list[bytes]:
    return [f"data: {p if isinstance(p, str) else json.dumps(p)}\n\n".encode() for p in payloads]


def openai_stream(tokens: tuple[str, ...] = ("OK", " it", " works", "."), *, usage: dict | None = None,
                  done: bool = True) -> list[bytes]:
    """A chat.completion.chunk stream as OpenAI sends it with stream_options.include_usage."""
    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    body = sse(chunk({"role": "assistant", "content": ""}), *(chunk({"content": t}) for t in tokens),
               chunk({}, "stop"))
    if usage is not None:
        body += sse({"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [], "usage": usage})
    return body + (sse("[DONE]") if done else [])


def timed(chunks: list[bytes], first: float = 0.0, gap: float = 0.0, content_from: int = 1
          ) -> list[tuple[float, bytes]]:
    """Delays: `first` before the chunk at index content_from, `gap` before each later one."""
    return [(first if i == content_from else gap if i > content_from else 0.0, c) for i, c in enumerate(chunks)]


def target(source: str = "s", model: str = "m", timeout: float = 5.0) -> ProbeTarget:
    return ProbeTarget(source=source, model=model, interval=60, timeout=timeout, slow_first_token=10)


def probe(fake: FakeServer, kind: str, model: str = "m", timeout: float = 5.0,
          prices: tuple[Decimal | None, Decimal | None] = (None, None)) -> ProbeResult:
    source = make_source(kind, fake.url)
    with Client(timeout=timeout, deadline=time.monotonic() + timeout, recorder=PollRecorder(), retries=0) as client:
        return run(client, source, target(kind, model, timeout), SETTINGS, prices, time.time)


# -- each API shape -------------------------------------------------------------------------
def test_openai_compatible_stream_is_measured(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = StreamReply(timed(
        openai_stream(usage={"prompt_tokens": 12, "completion_tokens": 4}), first=0.4, gap=0.1))
    result = probe(fake, "openai", "gpt-4o-mini", prices=(Decimal("0.00000015"), Decimal("0.0000006")))
    assert result.ok and result.reason is None
    assert 0.38 <= result.ttft_seconds < 0.8
    assert result.headers_seconds < result.ttft_seconds <= result.duration_seconds
    assert result.output_tokens == 4
    # (4 - 1) tokens over the 0.6 s from the first one to the end marker (3 tokens and 3 closing chunks)
    assert 4.3 < result.tokens_per_second <= 5.05
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
    result = probe(fake, "openrouter", "openai/gpt-4o-mini", prices=(Decimal(1), Decimal(1)))
    assert result.ok and result.cost_usd == Decimal("0.0000123")


def test_without_reported_usage_tokens_are_counted_chunks(fake: FakeServer) -> None:
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream(("a", "b", "c")), gap=0.05))
    result = probe(fake, "ollama", "llama3.2:3b")  # Ollama's OpenAI-compatible path
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
    result = probe(fake, "anthropic", "claude-haiku-4-5")
    assert result.ok and result.output_tokens == 2
    assert 0.28 <= result.ttft_seconds < 0.7  # the ping and the empty block start do not count
    seen = fake.requests_to("/v1/messages")[0]
    assert seen.headers["x-api-key"] == KEY and seen.headers["anthropic-version"] == "2023-06-01"
    assert json.loads(seen.body)["stream"] is True


def test_gemini_stream_generate_content(fake: FakeServer) -> None:
    def response(text: str, last: bool = False) -> dict:
        candidate: dict = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
        body: dict = {"candidates": [candidate]}
        if last:
            candidate["finishReason"] = "STOP"
            body["usageMetadata"] = {"promptTokenCount": 7, "candidatesTokenCount": 3, "totalTokenCount": 10}
        return body

    path = "/models/gemini-2.5-flash:streamGenerateContent"
    fake.routes[path] = StreamReply(timed(sse(response("OK"), response(" it"), response(" works", last=True)),
                                          first=0.2, gap=0.05, content_from=0))
    result = probe(fake, "gemini", "gemini-2.5-flash")
    assert result.ok and result.output_tokens == 3
    seen = fake.requests_to(path)[0]
    assert seen.query == {"alt": ["sse"]} and seen.headers["x-goog-api-key"] == KEY
    assert json.loads(seen.body)["generationConfig"] == {"maxOutputTokens": 8}


def test_a_connection_closed_stream_is_timed_as_it_arrives(fake: FakeServer) -> None:
    """No chunked encoding: the body ends when the connection closes. TTFT is still the
    arrival of the first token, not of the whole body."""
    fake.routes["/chat/completions"] = StreamReply(timed(openai_stream(), first=0.2, gap=0.3), chunked=False)
    result = probe(fake, "openai")
    assert result.ok and result.ttft_seconds < 0.5 and result.duration_seconds > 1.0


# -- the failure taxonomy --------------------------------------------------------------------------
def test_slow_first_token(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = StreamReply(timed(openai_stream(), first=2.0))
    result = probe(fake, "openai")
    assert result.ok and result.ttft_seconds >= 2.0


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
def test_a_dripping_stream_is_cut_by_the_deadline(fake: FakeServer, chunked: bool) -> None:
    # a token every 0.25 s for 30 s: a 1.5 s probe must end at its deadline, framing aside
    fake.routes["/chat/completions"] = StreamReply(timed(openai_stream(("OK",) * 120), gap=0.25), chunked=chunked)
    started = time.monotonic()
    result = probe(fake, "openai", timeout=1.5)
    assert (result.ok, result.reason) == (False, "timeout")
    assert time.monotonic() - started < 2.5


def test_rate_limited_with_retry_after(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = json_reply({"error": {"message": "slow down"}}, status=429,
                                                  headers={"Retry-After": "20"})
    assert probe(fake, "openai").reason == "rate_limited"


@pytest.mark.parametrize(("status", "reason"), [(401, "auth"), (403, "auth"), (500, "http_error")])
def test_error_statuses(fake: FakeServer, status: int, reason: str) -> None:
    fake.routes["/chat/completions"] = json_reply({"error": {"message": "no"}}, status=status)
    assert probe(fake, "openai").reason == reason


def test_a_stream_without_its_end_marker_is_invalid(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = StreamReply(timed(openai_stream(done=False)))
    result = probe(fake, "openai")
    assert (result.ok, result.reason) == (False, "invalid_response")
    assert result.ttft_seconds is not None  # it did carry content


def test_an_empty_stream(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = StreamReply(timed(openai_stream(tokens=())))
    assert probe(fake, "openai").reason == "empty_response"


@pytest.mark.parametrize("body", [b"", b"<html>gateway error</html>", b"data: {not json\n\ndata: [DONE]\n\n"])
def test_what_is_not_a_json_event_stream_is_invalid(fake: FakeServer, body: bytes) -> None:
    fake.routes["/chat/completions"] = StreamReply([(0.0, body)] if body else [])
    assert probe(fake, "openai").reason == "invalid_response"


def test_an_error_inside_the_stream(fake: FakeServer) -> None:
    chunks = openai_stream(("O",), done=False)[:2] + sse({"error": {"message": "upstream overloaded", "code": 502}})
    fake.routes["/chat/completions"] = StreamReply(timed(chunks))
    result = probe(fake, "openai")
    assert result.reason == "http_error" and "upstream overloaded" in result.error


def test_the_key_never_reaches_an_error_message(fake: FakeServer) -> None:
    from exporter import redact

    redact.register(KEY)  # as loading a config does
    fake.routes["/chat/completions"] = Reply(status=401, body=f'{{"error": "bad key {KEY}"}}'.encode())
    assert KEY not in (probe(fake, "openai").error or "")
    # a vendor that echoes the key inside the stream's error event
    chunks = sse({"error": {"message": f"key {KEY} has no credits"}})
    fake.routes["/chat/completions"] = StreamReply(timed(chunks))
    result = probe(fake, "openai")
    assert result.reason == "http_error" and KEY not in result.error


# -- reading, unit level ------------------------------------------------------------------------
def test_role_only_and_empty_chunks_do_not_count_as_content() -> None:
    lines = [(line, float(i)) for i, chunk in enumerate(openai_stream(("", "OK")))
             for line in chunk.split(b"\n")]
    reading = streams.read("openai", lines)
    assert reading.content_chunks == 1 and reading.first_content_at == 2.0 and reading.ended


# -- the engine: budget, source down, overlap, schedule, --once -----------------------------------------
def stream_config(fake: FakeServer, extra: str = "", models: str = "[gpt-4o-mini]") -> str:
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


def counters(engine: Engine, source: str, model: str):  # type: ignore[no-untyped-def]
    return next(e for e in engine.view().probes.entries if e.target.key == (source, model))


def test_budget_runs_out_mid_day_and_comes_back_at_midnight(fake: FakeServer, caplog: pytest.LogCaptureFixture
                                                            ) -> None:
    catalog(fake)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream(usage={
        "prompt_tokens": 1000, "completion_tokens": 1000, "cost": 0.004})))
    clock = Clock(1_700_000_000.0)  # 2023-11-14 22:13 UTC
    engine = Engine(load_text(stream_config(fake, "  daily_budget_usd: 0.01"), env={}), clock=clock)
    try:
        engine.run_once()
        t = engine._config.probes.targets[0]
        with caplog.at_level(logging.WARNING, logger="exporter.probes"):
            for _ in range(4):
                engine._probes._probe(t.key)
        entry = counters(engine, "oai", "gpt-4o-mini")
        # 0.004 per probe: after 3 probes ($0.012) the budget of $0.01 is spent; one over at most
        assert entry.probes == 3 and dict(entry.skipped)["budget"] == 2
        view = engine.view().probes
        assert view.spend_usd == Decimal("0.012") and view.budget_remaining_usd == 0
        assert sum("budget" in r.message for r in caplog.records) == 1  # logged once
        clock.now += 2 * 3600  # past 00:00 UTC
        engine._probes._probe(t.key)
        assert counters(engine, "oai", "gpt-4o-mini").probes == 4
        assert engine.view().probes.budget_remaining_usd == Decimal("0.006")
    finally:
        engine.stop()


def test_free_models_are_probed_after_the_budget_is_spent() -> None:
    book = ProbeBook(ProbeSettings(daily_budget_usd=Decimal("0.01")), clock=lambda: 1_700_000_000.0)
    paid = target(model="paid")
    book.record(ProbeResult("s", "paid", 0, True, cost_usd=Decimal("0.02")))
    assert not book.allows(paid, free=False)
    assert book.allows(target(model="free"), free=True)


def test_a_down_source_is_not_probed(fake: FakeServer) -> None:
    fake.routes["/v1/models"] = json_reply({"error": "down"}, status=503)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream()))
    engine = Engine(load_text(stream_config(fake), env={}), backoff=0.01)
    try:
        engine.run_once()
        entry = counters(engine, "oai", "gpt-4o-mini")
        assert entry.probes == 0 and dict(entry.skipped)["source_down"] == 1
        assert fake.requests_to("/v1/chat/completions") == []
    finally:
        engine.stop()


def test_a_probe_never_overlaps_itself(fake: FakeServer) -> None:
    catalog(fake)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream(), first=1.5))
    engine = Engine(load_text(stream_config(fake), env={}))
    try:
        engine.run_once()
        t = engine._config.probes.targets[0]
        first = engine._probes.submit(t)
        time.sleep(0.2)
        assert engine._probes.submit(t) is None  # the first one is still streaming
        first.result(timeout=10)
        entry = counters(engine, "oai", "gpt-4o-mini")
        assert dict(entry.skipped)["overlap"] == 1 and entry.probes == 2
        assert len(fake.requests_to("/v1/chat/completions")) == 2
    finally:
        engine.stop()


def test_a_reload_keeps_the_counters_of_kept_targets(fake: FakeServer) -> None:
    catalog(fake)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream()))
    engine = Engine(load_text(stream_config(fake), env={}))
    try:
        engine.run_once()
        engine.reload(load_text(stream_config(fake, models="[gpt-4o-mini, gpt-4o]"), env={}))
        assert counters(engine, "oai", "gpt-4o-mini").probes == 1
        assert counters(engine, "oai", "gpt-4o").probes == 0
        engine.reload(load_text(stream_config(fake, models="[gpt-4o]"), env={}))
        assert [e.target.model for e in engine.view().probes.entries] == ["gpt-4o"]
    finally:
        engine.stop()


def test_schedule_spreads_targets_over_the_interval() -> None:
    targets = [target(model=f"m{i}") for i in range(4)]
    schedule = Schedule(targets, now=1000.0)
    assert [t.model for t in schedule.due(1000.0)] == ["m0"]
    assert [t.model for t in schedule.due(1015.0)] == ["m1"]
    assert [t.model for t in schedule.due(1044.9)] == ["m2"]
    # a stall of several intervals gives one run each, not a burst of the missed ones
    assert sorted(t.model for t in schedule.due(1300.0)) == ["m0", "m1", "m2", "m3"]
    assert schedule.due(1300.5) == []


def test_once_includes_one_round_of_probes(fake: FakeServer, tmp_path: Path) -> None:
    catalog(fake)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream(usage={
        "prompt_tokens": 12, "completion_tokens": 4})))
    config = tmp_path / "c.yaml"
    config.write_text(stream_config(fake, models="[gpt-4o-mini, gpt-4o]"))
    result = run_cli("--once", "--config.file", str(config))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert 'llm_probes_total{model="gpt-4o-mini",source="oai"} 1.0' in out
    assert 'llm_probe_success{model="gpt-4o",source="oai"} 1.0' in out
    assert 'llm_probe_duration_seconds_histogram_count{model="gpt-4o",source="oai"} 1.0' in out
    assert 'llm_probe_failures_total{model="gpt-4o",reason="empty_response",source="oai"} 0.0' in out
    assert len(fake.requests_to("/v1/chat/completions")) == 2
    assert KEY not in out and KEY not in result.stderr


def test_summary_and_landing_page_show_the_last_result(fake: FakeServer) -> None:
    catalog(fake)
    fake.routes["/v1/chat/completions"] = StreamReply(timed(openai_stream(done=False)))
    engine = Engine(load_text(stream_config(fake), env={}))
    try:
        view = engine.run_once()
    finally:
        engine.stop()
    (entry,) = summary.build(view)["probes"]
    assert entry == {**entry, "source": "oai", "model": "gpt-4o-mini", "success": False,
                     "reason": "invalid_response", "last_success": None, "consecutive_failures": 1}
    assert entry["error"] == "the stream ended without its end marker" and entry["last_probe"] > 0
    page = landing.render(view)
    assert '<section id="probes">' in page and "invalid_response" in page and "without its end marker" in page


def test_config_rejects_targets_that_cannot_be_probed() -> None:
    config = Path(__file__).parent.parent / "configs" / "invalid" / "probes_targets.yaml"
    result = run_cli("--check-config", "--config.file", str(config))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'probes.targets[0].source: "page" is a statuspage source, which has no streaming chat API to probe '
        "(types that do: anthropic, deepseek, gatewayz, gemini, litellm, moonshot, ollama, openai, openrouter, "
        "siliconflow)",
        'probes.targets[1].source: "nowhere" is not a configured source',
        "probes.targets[2].models[1]: oai/m is probed twice (also probes.targets[2].models[0])",
    ]


