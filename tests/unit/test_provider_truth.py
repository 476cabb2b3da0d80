"""Provider truth beyond status pages, on recorded and simulated answers over real HTTP with
exact values: OpenRouter's upstream endpoints, rate-limit headroom from probe answers, model
retirements, what answers a probe, and the `overloaded` reason."""

from __future__ import annotations

import json
import logging
import secrets
import time
from pathlib import Path

import pytest
import requests

from exporter.http import Client, PollRecorder
from exporter.probes import ratelimits
from exporter.probes.book import ProbeBook
from exporter.probes.probe import ProbeResult, run
from exporter.probes.settings import ProbeSettings, ProbeTarget
from exporter.sources.openai import openai_model
from exporter.sources.openrouter.catalog import parse_model
from tests.support.adapters import make_source, poll
from tests.support.catalogs import Clock, engine, metrics
from tests.support.cli import main
from tests.support.fakeserver import FakeServer, StreamReply, fixture, fixture_reply, json_reply
from tests.support.metrics import samples, value

NOW = 1_795_000_000.0  # 2026-11-18T11:06:40Z, a fixed engine clock
R1 = "deepseek/deepseek-r1"
RUN_KEY = secrets.token_hex(16)  # made for this run: no key is committed


def openrouter(fake: FakeServer, *, models: str = f"[{R1}, nope/unknown]", extra: str = "") -> str:
    """An openrouter source on the fake server that watches the upstreams of `models`."""
    fake.routes["/or/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/or/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/or/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    fake.routes[f"/or/models/{R1}/endpoints"] = fixture_reply("openrouter__model_endpoints.json")
    fake.routes["/or/models/nope/unknown/endpoints"] = json_reply(
        {"error": {"code": 404, "message": "Model not found"}}, status=404)
    return (f"  - name: or\n    type: openrouter\n    url: '{fake.url}/or'\n    api_key: {RUN_KEY}\n"
            f"    endpoints: {{models: {models}{extra}}}\n")


# -- 1. upstream endpoints ----------------------------------------------------------------------
def test_upstream_families_from_the_recorded_endpoints(fake: FakeServer) -> None:
    clock = Clock(NOW)
    e = engine(openrouter(fake), clock)
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    deepinfra = {"source": "or", "model": R1, "upstream": "deepinfra/fp8"}
    together = {"source": "or", "model": R1, "upstream": "together/fp8"}
    assert value(p, "llm_source_up", source="or") == 1  # the unknown model's 404 does not make it down
    assert value(p, "llm_upstream_endpoint_info", **deepinfra, provider_name="DeepInfra", quantization="fp8") == 1
    assert value(p, "llm_upstream_endpoint_up", **deepinfra) == 1
    assert value(p, "llm_upstream_endpoint_status_code", **deepinfra) == 0
    assert value(p, "llm_upstream_endpoint_up", **together) == 0  # status -2
    assert value(p, "llm_upstream_endpoint_status_code", **together) == -2
    # percent -> ratio; null -> no sample
    assert value(p, "llm_upstream_endpoint_uptime_ratio", **deepinfra, window="5m") == 1.0
    assert value(p, "llm_upstream_endpoint_uptime_ratio", **deepinfra, window="30m") == pytest.approx(0.9962)
    assert value(p, "llm_upstream_endpoint_uptime_ratio", **deepinfra, window="1d") == pytest.approx(0.9941)
    assert value(p, "llm_upstream_endpoint_uptime_ratio", **together, window="1d") == pytest.approx(0.873)
    assert [lab for lab, _ in p["llm_upstream_endpoint_uptime_ratio"]
            if lab["upstream"] == "together/fp8" and lab["window"] != "1d"] == []
    # milliseconds -> seconds
    assert value(p, "llm_upstream_endpoint_latency_seconds", **deepinfra, quantile="0.5") == pytest.approx(0.612)
    assert value(p, "llm_upstream_endpoint_latency_seconds", **deepinfra, quantile="0.99") == pytest.approx(4.0217)
    assert not [lab for lab, _ in p["llm_upstream_endpoint_latency_seconds"] if lab["upstream"] == "together/fp8"]
    assert value(p, "llm_upstream_endpoint_throughput_tokens_per_second", **deepinfra, quantile="0.9") == 22.9
    assert value(p, "llm_upstream_endpoint_price_usd_per_token", **deepinfra, kind="input") == pytest.approx(7e-7)
    assert value(p, "llm_upstream_endpoint_price_usd_per_token", **together, kind="output") == pytest.approx(7e-6)
    assert value(p, "llm_upstream_endpoints", source="or", model=R1) == 2
    assert value(p, "llm_upstream_endpoints_up", source="or", model=R1) == 1
    assert value(p, "llm_upstream_models_skipped", source="or") == 0
    # the 404 is counted under the endpoints endpoint, the model simply has no series
    assert value(p, "llm_source_request_failures", source="or", endpoint="endpoints", reason="http_error") == 1
    assert value(p, "llm_source_requests", source="or", endpoint="endpoints") == 2
    assert "nope/unknown" not in {lab["model"] for lab, _ in p["llm_upstream_endpoints"]}


def test_endpoints_are_asked_on_their_own_interval_and_go_stale(fake: FakeServer,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock(NOW)
    e = engine(openrouter(fake, models=f"[{R1}]", extra=", interval: 5m"), clock, head="stale_after: 2\n")
    asked = lambda: len(fake.requests_to(f"/or/models/{R1}/endpoints"))  # noqa: E731
    try:
        e.run_once()
        clock.now += 60
        e.run_once()
        assert asked() == 1  # a minute later the answer is still current
        clock.now += 300
        e.run_once()
        assert asked() == 2
        # the model starts failing: its last good answer stays through 2 intervals, then goes
        fake.routes[f"/or/models/{R1}/endpoints"] = json_reply({"error": "boom"}, status=500)
        with caplog.at_level(logging.WARNING):
            for _ in range(2):
                clock.now += 301
                e.run_once()
                assert value(samples(metrics(e)), "llm_upstream_endpoints", source="or", model=R1) == 2
            clock.now += 301
            e.run_once()
        p = samples(metrics(e))
        assert "llm_upstream_endpoints" not in p or not p["llm_upstream_endpoints"]
        assert value(p, "llm_source_up", source="or") == 1
        warned = [r for r in caplog.records if "endpoints of" in r.getMessage()]
        assert len(warned) == 1  # once per failing streak
    finally:
        e.stop()


def test_fleet_models_are_watched_within_the_cap(fake: FakeServer) -> None:
    fleet = ("fleet:\n  models:\n"
             "    - {id: a, provider: or, model: openai/gpt-4o}\n"
             "    - {id: b, provider: or, model: not/served-here}\n"
             f"    - {{id: c, provider: or, model: {R1}}}\n")
    fake.routes["/or/models/openai/gpt-4o/endpoints"] = json_reply({"data": {"endpoints": []}})
    e = engine(openrouter(fake, models=f"[{R1}]", extra=", max_models: 2"), Clock(NOW), head=fleet)
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    # R1 (listed), then the fleet's models the catalog serves: gpt-4o-mini; not/served-here is not
    # served, and R1 is not counted twice; nothing over the cap of 2
    assert {lab["model"]: v for lab, v in p["llm_upstream_endpoints"]} == {R1: 2, "openai/gpt-4o": 0}
    assert value(p, "llm_upstream_models_skipped", source="or") == 0
    assert not fake.requests_to("/or/models/not/served-here/endpoints")


def test_the_cap_counts_the_models_left_out(fake: FakeServer) -> None:
    e = engine(openrouter(fake, models="[a/one, b/two, c/three]", extra=", max_models: 1"), Clock(NOW))
    fake.routes["/or/models/a/one/endpoints"] = json_reply({"data": {"endpoints": []}})
    try:
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    assert value(p, "llm_upstream_models_skipped", source="or") == 2
    assert {lab["model"] for lab, _ in p["llm_upstream_endpoints"]} == {"a/one"}


def test_upstream_endpoints_are_asked_with_fast_polls(fake: FakeServer) -> None:
    # A poll every 2 s with a 2 s timeout has a budget of 1.6 s: never a whole request's time.
    clock = Clock(NOW)
    e = engine(openrouter(fake, models=f"[{R1}, b/two]"), clock, head="poll_interval: 2s\n")
    fake.routes["/or/models/b/two/endpoints"] = json_reply({"data": {"endpoints": []}})
    try:
        e.run_once()
        asked = [s.path for s in fake.seen if s.path.endswith("/endpoints")]
        assert len(asked) == 1  # one due model per poll at least
        clock.now += 2
        e.run_once()
        p = samples(metrics(e))
    finally:
        e.stop()
    assert {s.path for s in fake.seen if s.path.endswith("/endpoints")} == {
        f"/or/models/{R1}/endpoints", "/or/models/b/two/endpoints"}
    assert value(p, "llm_upstream_endpoints", source="or", model=R1) == 2
    assert value(p, "llm_source_request_failures", source="or", endpoint="endpoints", reason="timeout") == 0


def test_check_config_warns_of_watched_models_the_polls_cannot_all_ask(tmp_path: Path) -> None:
    models = ", ".join(f"m/{i}" for i in range(10))
    config = tmp_path / "config.yaml"
    config.write_text(f"sources:\n  - {{name: or, type: openrouter, api_key: k, endpoints: {{models: [{models}], "
                      "interval: 1m, fleet_models: false}}\n")
    out = main("--check-config", "--config.file", str(config))
    assert (out.returncode, out.stdout) == (0, "OK: 1 sources, 1 warning(s)\n")
    assert out.stderr == ("warning: sources[0].endpoints: up to 10 watched models are due every 60s, but a poll every "
                       "60s with a 10s timeout is sure of time for only 1 ask(s): 1 per endpoints.interval; the rest "
                       "are asked less often (raise endpoints.interval or the source's interval, or lower its "
                       "timeout)\n")
    config.write_text(config.read_text().replace("interval: 1m", "interval: 10m"))
    out = main("--check-config", "--config.file", str(config))
    assert (out.returncode, out.stdout, out.stderr) == (0, "OK: 1 sources\n", "")


def test_upstreams_over_the_cap_are_left_out_and_counted(fake: FakeServer) -> None:
    # 50,000 endpoints for one model used to make 800,000 series
    many = {"data": {"endpoints": [{"provider_name": f"P{i}", "tag": f"p{i}/fp8", "status": 0, "uptime_last_5m": 99,
                                    "latency_last_30m": {"p50": 100}, "pricing": {"prompt": "0.000001"}}
                                   for i in range(50_000)]}}
    clock = Clock(NOW)
    e = engine(openrouter(fake, models=f"[{R1}]"), clock)
    fake.routes[f"/or/models/{R1}/endpoints"] = json_reply(many)
    try:
        e.run_once()
        clock.now += 60
        e.run_once()  # not due again: nothing more is counted
        p = samples(metrics(e))
    finally:
        e.stop()
    assert value(p, "llm_upstream_endpoints", source="or", model=R1) == 50
    assert len(p["llm_upstream_endpoint_info"]) == 50
    assert value(p, "llm_exporter_series_folded", family="llm_upstream_endpoint") == 49_950
    assert sum(len(v) for k, v in p.items() if k.startswith("llm_upstream_endpoint")) < 500


def test_without_an_endpoints_block_nothing_is_asked(fake: FakeServer) -> None:
    fake.routes["/or/models"] = fixture_reply("openrouter__models.json")
    fake.routes["/or/key"] = fixture_reply("openrouter__key.json")
    fake.routes["/or/credits"] = fixture_reply("openrouter__credits_error_403.json", status=403)
    snapshot, recorder = poll("openrouter", fake.url + "/or", now=NOW)
    assert snapshot.upstreams == () and snapshot.upstream_models_skipped is None
    assert recorder.requests["endpoints"] == 0


# -- 2. rate limits -----------------------------------------------------------------------------
def test_openai_rate_limit_headers_with_go_durations() -> None:
    limits, malformed = ratelimits.read({
        "x-ratelimit-limit-requests": "10000", "x-ratelimit-remaining-requests": "9998",
        "x-ratelimit-reset-requests": "2m59.56s", "x-ratelimit-limit-tokens": "200000",
        "x-ratelimit-remaining-tokens": "199985", "x-ratelimit-reset-tokens": "66ms",
        "content-type": "text/event-stream"}, NOW)
    by_kind = {limit.kind: limit for limit in limits}
    assert set(by_kind) == {"requests", "tokens"} and malformed == ()
    assert (by_kind["requests"].limit, by_kind["requests"].remaining) == (10000, 9998)
    assert by_kind["requests"].reset_at == pytest.approx(NOW + 179.56)
    assert by_kind["tokens"].reset_at == pytest.approx(NOW + 0.066)
    assert ratelimits.read({"x-ratelimit-reset-requests": "6m0s"}, NOW)[0][0].reset_at == NOW + 360
    assert ratelimits.read({"x-ratelimit-reset-tokens": "1s"}, NOW)[0][0].reset_at == NOW + 1
    assert ratelimits.read({"x-ratelimit-reset-tokens": "0s"}, NOW)[0][0].reset_at == NOW


def test_anthropic_rate_limit_headers_with_rfc3339_resets() -> None:
    limits, malformed = ratelimits.read({
        "anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "49",
        "anthropic-ratelimit-requests-reset": "2026-11-19T16:27:00Z",
        "anthropic-ratelimit-input-tokens-limit": "40000", "anthropic-ratelimit-input-tokens-remaining": "39000",
        "anthropic-ratelimit-input-tokens-reset": "2026-11-19T16:26:41+00:00",
        "anthropic-ratelimit-output-tokens-remaining": "not-a-number",
        "anthropic-ratelimit-tokens-limit": "48000"}, NOW)
    by_kind = {limit.kind: limit for limit in limits}
    assert set(by_kind) == {"requests", "input_tokens", "tokens"}
    assert by_kind["requests"].reset_at == 1795105620.0  # 2026-11-19T16:27:00Z
    assert by_kind["input_tokens"].remaining == 39000 and by_kind["input_tokens"].reset_at == 1795105601.0
    assert by_kind["tokens"].limit == 48000 and by_kind["tokens"].remaining is None
    assert malformed == ("anthropic-ratelimit-output-tokens-remaining",)


def sse(*payloads: object) -> list[tuple[float, bytes]]:
    return [(0.0, f"data: {p if isinstance(p, str) else json.dumps(p)}\n\n".encode()) for p in payloads]


def chat_stream(model: str, fingerprint: str) -> list[tuple[float, bytes]]:
    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {"id": "c1", "object": "chat.completion.chunk", "model": model, "system_fingerprint": fingerprint,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return sse(chunk({"role": "assistant", "content": ""}), chunk({"content": "OK"}), chunk({}, "stop"), "[DONE]")


SETTINGS = ProbeSettings(prompt="Reply with the word OK.", max_tokens=8)
TARGET = ProbeTarget(source="openai", model="gpt-4o-mini", interval=60, timeout=5, slow_first_token=10)


def probe(fake: FakeServer, kind: str = "openai", target: ProbeTarget = TARGET) -> ProbeResult:
    source = make_source(kind, fake.url)
    with Client(timeout=5, deadline=time.monotonic() + 5, recorder=PollRecorder(), retries=0,
                clock=lambda: NOW) as client:
        return run(client, source, target, SETTINGS, (None, None), lambda: NOW)


def test_a_probe_reads_the_headers_and_what_answered(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = StreamReply(chat_stream("gpt-4o-mini-2024-07-18", "fp_44709d6fcb"), headers={
        "Content-Type": "text/event-stream", "x-ratelimit-limit-tokens": "200000",
        "x-ratelimit-remaining-tokens": "15000", "x-ratelimit-reset-tokens": "6m0s"})
    result = probe(fake)
    assert result.ok
    assert (result.response_model, result.fingerprint) == ("gpt-4o-mini-2024-07-18", "fp_44709d6fcb")
    assert result.ratelimits == (ratelimits.RateLimit("tokens", 200000, 15000, NOW + 360),)


def test_a_429_still_reports_its_rate_limit_headers(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = fixture_reply("openrouter__error_429.json", status=429, headers={
        "Content-Type": "application/json", "x-ratelimit-limit-requests": "20",
        "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "30s"})
    result = probe(fake)
    assert not result.ok and result.reason == "rate_limited"
    assert result.ratelimits == (ratelimits.RateLimit("requests", 20, 0, NOW + 30),)


def header_fixture(name: str) -> dict[str, str]:
    """A recorded header set (`Name: value` lines) as a response's headers."""
    lines = fixture(name).decode().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def test_openrouter_429_headers_have_no_suffix_and_reset_in_epoch_milliseconds(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = fixture_reply("openrouter__error_429.json", status=429, headers={
        "Content-Type": "application/json", **header_fixture("openrouter__ratelimit_429_headers.txt")})
    result = probe(fake)
    assert (result.ok, result.reason) == (False, "rate_limited")
    # 1779321600000 ms is 2026-05-21T00:00:00Z, the next UTC midnight of the per-day limit
    assert result.ratelimits == (ratelimits.RateLimit("requests", 50, 0, 1779321600.0),)
    assert result.malformed_headers == ()
    # an epoch in seconds is that time too; a small number is seconds from now
    assert ratelimits.read({"x-ratelimit-reset": "1779321600"}, NOW)[0][0].reset_at == 1779321600.0
    assert ratelimits.read({"x-ratelimit-reset": "60"}, NOW)[0][0].reset_at == NOW + 60


def test_azure_no_limit_gives_no_sample_and_no_warning(fake: FakeServer) -> None:
    fake.routes["/chat/completions"] = StreamReply(chat_stream("gpt-4.1", "fp_1"), headers={
        "Content-Type": "text/event-stream", **header_fixture("azure_openai__ratelimit_headers.txt")})
    result = probe(fake)
    assert result.ok and result.ratelimits == () and result.malformed_headers == ()
    limits, malformed = ratelimits.read({k.lower(): v for k, v in header_fixture(
        "azure_openai__ratelimit_headers_remaining_only.txt").items()}, NOW)
    assert limits == (ratelimits.RateLimit("requests", None, 79, None),
                      ratelimits.RateLimit("tokens", None, 61353, None))
    assert malformed == ()


HOSTILE_HEADERS = {
    "x-ratelimit-limit-requests": "9223372036854775807",  # int64 max: an "unlimited" marker
    "x-ratelimit-remaining-requests": "1e309",  # not even a float
    "x-ratelimit-reset-requests": "1s",
    "x-ratelimit-limit-tokens": "-5",  # a negative count other than -1
    "x-ratelimit-remaining-tokens": "NaN",
    "x-ratelimit-reset-tokens": "1e308",  # year 3e297
    "anthropic-ratelimit-requests-reset": "0001-12-31T00:00:00Z",  # year 1
}


def test_unlimited_and_unreadable_headers_never_change_a_probe(fake: FakeServer,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    fake.routes["/chat/completions"] = StreamReply(chat_stream("gpt-4o-mini", "fp_1"), headers={
        "Content-Type": "text/event-stream", **HOSTILE_HEADERS})
    ok_result = probe(fake)
    assert ok_result.ok and ok_result.reason is None
    assert ok_result.ratelimits == ()  # requests unlimited; nothing readable left for tokens
    assert ok_result.malformed_headers == ("anthropic-ratelimit-requests-reset", "x-ratelimit-limit-tokens",
                                           "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens")
    fake.routes["/chat/completions"] = fixture_reply("openrouter__error_429.json", status=429, headers={
        "Content-Type": "application/json", **HOSTILE_HEADERS})
    limited = probe(fake)
    assert (limited.ok, limited.reason) == (False, "rate_limited")
    # each skipped header is logged once per source, however many probes and models carry it
    book = ProbeBook(ProbeSettings(targets=(TARGET,)), lambda: NOW)
    for result in (ok_result, limited, ok_result):
        book.record(result)
    book.record(ProbeResult("openai", "other-model", NOW, True, malformed_headers=ok_result.malformed_headers))
    skipped = [r.getMessage() for r in caplog.records if "unreadable rate-limit header" in r.getMessage()]
    assert len(skipped) == 4


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


# -- 4. the model that answers ------------------------------------------------------------------
def ok(answered: str, fingerprint: str, at: float = NOW) -> ProbeResult:
    return ProbeResult("openai", "gpt-4o-mini", at, True, headers_seconds=0.1, ttft_seconds=0.3,
                       duration_seconds=0.5, output_tokens=2, response_model=answered, fingerprint=fingerprint,
                       ratelimits=())


def test_one_fingerprint_switch_is_one_change_and_a_restart_none(tmp_path: Path) -> None:
    settings = ProbeSettings(targets=(TARGET,))
    book = ProbeBook(settings, lambda: NOW, str(tmp_path))
    for pair in (("gpt-4o-mini-2024-07-18", "fp_a"),) * 3:  # the first probe and its repeats: no change
        book.record(ok(*pair))
    assert book.view().entries[0].response_changes == 0
    book.record(ok("gpt-4o-mini-2024-07-18", "fp_b"))  # one switch
    for _ in range(3):
        book.record(ok("gpt-4o-mini-2024-07-18", "fp_b"))
    entry = book.view().entries[0]
    assert entry.response_changes == 1 and entry.response == ("gpt-4o-mini-2024-07-18", "fp_b")
    assert entry.ttft_histogram.count == 7
    # a restart is not a change; a change while the exporter was down is one
    again = ProbeBook(settings, lambda: NOW, str(tmp_path))
    again.record(ok("gpt-4o-mini-2024-07-18", "fp_b"))
    assert again.view().entries[0].response_changes == 0
    later = ProbeBook(settings, lambda: NOW, str(tmp_path))
    later.record(ok("gpt-4o-mini-2024-07-18", "fp_c"))
    assert later.view().entries[0].response_changes == 1
    saved = json.loads((tmp_path / "probes.json").read_text())
    assert saved["responses"] == [["openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", "fp_c"]]


def test_a_corrupt_probe_state_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "probes.json").write_text('{"version": 1, "responses": [["a", 1, 2]]}')
    book = ProbeBook(ProbeSettings(targets=(TARGET,)), lambda: NOW, str(tmp_path))
    book.record(ok("m", "f"))
    assert book.view().entries[0].response_changes == 0
    assert list(tmp_path.glob("probes.json.corrupt-*"))


# -- 3. retirements ---------------------------------------------------------------------------
def test_retirement_dates_of_openrouter_openai_and_mistral() -> None:
    mistral = {m["id"]: openai_model("mistral", m) for m in json.loads(fixture("mistral__models.json"))["data"]}
    retiring = [m for m in mistral.values() if m is not None and m.retires_at is not None]
    assert [(m.id, m.retires_at, m.replacement) for m in retiring] == [
        ("codestral-2405", 1751241600.0, "codestral-latest")]  # 2025-06-30T00:00:00Z
    openai = [openai_model("openai", m) for m in json.loads(fixture("openai__models.json"))["data"]]
    assert {m.id: m.retires_at for m in openai if m is not None} == {
        "gpt-4o-mini": None, "gpt-4o-2024-05-13": 1792713600.0,  # 2026-10-23, 00:00 UTC
        "ft:gpt-4o-mini-2024-07-18:acme::A1b2C3d4": None}
    item = {"id": "x/y", "name": "Y", "expiration_date": "2026-12-31", "pricing": {}}
    assert parse_model("or", item).retires_at == 1798675200.0  # 2026-12-31, 00:00 UTC
    assert parse_model("or", {**item, "expiration_date": None}).retires_at is None
    assert parse_model("or", {**item, "expiration_date": "soon"}).retires_at is None


def test_api_models_lists_upstreams_and_routes_avoid_a_model_with_none_up(fake: FakeServer) -> None:
    from exporter.web.app import App
    from exporter.web.server import Server

    down = json.loads(fixture("openrouter__model_endpoints.json"))
    for endpoint in down["data"]["endpoints"]:
        endpoint["status"] = -5
    fake.routes["/or/models/openai/gpt-4o/endpoints"] = json_reply(down)

    def route_and_models(watch: str) -> tuple[list[str], dict]:  # type: ignore[type-arg]
        e = engine(openrouter(fake, models=watch), Clock(NOW))
        server = Server(App(e), "127.0.0.1:0")
        server.start()
        try:
            e.run_once()
            url = f"http://127.0.0.1:{server.port}"
            route = requests.get(url + "/api/route?class=chat", timeout=5).json()
            models = requests.get(url + "/api/models?id=openai/gpt-4o&id=google/gemini-2.5-pro", timeout=5).json()
        finally:
            server.stop()
            e.stop()
        chosen = [c["model"] for c in [route["best"], *route["fallbacks"]] if c]
        return chosen, {m["model"]: m for m in models["models"]}

    chosen, models = route_and_models("[]")
    assert "openai/gpt-4o" in chosen and models["openai/gpt-4o"]["upstreams"] is None
    chosen, models = route_and_models("[openai/gpt-4o]")
    assert "openai/gpt-4o" not in chosen and "google/gemini-2.5-pro" in chosen
    assert set(models) == {"openai/gpt-4o", "google/gemini-2.5-pro"}
    upstreams = models["openai/gpt-4o"]["upstreams"]
    assert [(u["upstream"], u["up"], u["status"]) for u in upstreams] == [
        ("deepinfra/fp8", False, -5), ("together/fp8", False, -5)]
    assert upstreams[0]["uptime_ratio"] == {"5m": 1.0, "30m": 0.9962, "1d": 0.9941}
    assert upstreams[0]["latency_seconds"]["0.5"] == pytest.approx(0.612)
    assert models["google/gemini-2.5-pro"]["upstreams"] is None  # not watched
