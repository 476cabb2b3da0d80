"""Rate-limit headroom from a probe's answer, as each vendor sends it: OpenAI's Go durations,
Anthropic's instants, OpenRouter's unsuffixed 429 headers in epoch milliseconds, Azure's -1, and
values that never change a probe."""

from __future__ import annotations

import logging

import pytest

from exporter.probes import ratelimits
from exporter.probes.book import ProbeBook
from exporter.probes.probe import ProbeResult
from exporter.probes.settings import ProbeSettings
from tests.support.clock import NOW
from tests.support.fakeserver import FakeServer, StreamReply, fixture, fixture_reply
from tests.support.probes import TARGET, chat_stream, probe


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
