"""A source's slot: the stale policy, a provider that vanishes, request counters at 0 before the
first poll, polls skipped while a 429's Retry-After runs."""

from __future__ import annotations

from exporter.collector import Exposition
from tests.support.clock import Clock
from tests.support.engines import SUMMARY, engine_for, source, statuspages
from tests.support.fakeserver import FakeServer, fixture_reply, json_reply


def test_stale_policy_keeps_then_drops(fake: FakeServer) -> None:
    clock = Clock()
    fake.routes[f"/p0{SUMMARY}"] = fixture_reply("statuspage__summary.json")
    engine = engine_for(statuspages(fake.url, 1), clock)
    engine.run_once()
    first = source(engine, "page0")
    assert first.up and first.snapshot is not None and first.last_success == clock.now

    fake.routes[f"/p0{SUMMARY}"] = json_reply({}, status=500)
    for interval in (1, 2, 3):  # stale_after: 3 failed intervals keep the last good values
        clock.now += 60
        engine.run_once()
        s = source(engine, "page0")
        assert not s.up and s.snapshot is first.snapshot, interval
        assert s.failed_polls == interval
    clock.now += 60
    engine.run_once()
    s = source(engine, "page0")
    assert not s.up and s.snapshot is None
    assert s.last_success == first.last_success
    text = Exposition(engine.view).render().decode()
    assert 'llm_source_up{source="page0"} 0.0' in text
    assert "llm_status_page_indicator{" not in text

    fake.routes[f"/p0{SUMMARY}"] = fixture_reply("statuspage__summary.json")
    clock.now += 60
    engine.run_once()
    assert source(engine, "page0").snapshot is not None
    engine.stop()


def test_retry_after_skips_polls_and_counts_them(fake: FakeServer) -> None:
    clock = Clock()
    fake.routes[f"/p0{SUMMARY}"] = [
        json_reply({"error": "slow down"}, status=429, headers={"Retry-After": "150"}),
        fixture_reply("statuspage__summary.json"),
    ]
    engine = engine_for(statuspages(fake.url, 1), clock)
    engine.run_once()
    s = source(engine, "page0")
    assert not s.up and dict(s.failures)[("summary", "rate_limited")] == 1
    for _ in range(2):  # t+60, t+120: still inside Retry-After
        clock.now += 60
        engine.run_once()
    s = source(engine, "page0")
    assert dict(s.skipped) == {"rate_limited": 2}
    assert dict(s.requests) == {"summary": 1}
    clock.now += 60  # t+180: past it
    engine.run_once()
    s = source(engine, "page0")
    assert s.up and dict(s.requests) == {"summary": 2}
    text = Exposition(engine.view).render().decode()
    assert 'llm_source_polls_skipped_total{reason="rate_limited",source="page0"} 2.0' in text
    engine.stop()


def test_vanished_provider_vanishes_from_metrics(fake: FakeServer) -> None:
    fake.routes["/providers"] = fixture_reply("gatewayz__providers.json")
    fake.routes["/providers/stats"] = fixture_reply("gatewayz__providers_stats.json")
    engine = engine_for(f"sources:\n  - {{name: gw, type: gatewayz, url: '{fake.url}', api_key: abcd1234}}\n")
    exposition = Exposition(engine.view)
    engine.run_once()
    assert 'provider="mistral"' in exposition.render().decode()
    fake.routes["/providers"] = json_reply([{"slug": "openai", "name": "OpenAI", "health_status": "healthy"}])
    engine.run_once()
    text = exposition.render().decode()
    assert 'provider="mistral"' not in text and 'provider="openai"' in text
    engine.stop()


def test_requests_exist_at_zero_before_first_poll(fake: FakeServer) -> None:
    engine = engine_for(f"sources:\n  - {{name: or, type: openrouter, url: '{fake.url}', api_key: abcd1234}}\n")
    text = Exposition(engine.view).render().decode()
    for endpoint in ("models", "key", "credits"):
        assert f'llm_source_requests_total{{endpoint="{endpoint}",source="or"}} 0.0' in text
    assert 'llm_source_up{source="or"} 0.0' in text
    engine.stop()


def test_a_poll_refused_for_credit_leaves_the_source_up(fake: FakeServer) -> None:
    """The vendor answered: the account is empty, not the vendor down. The failure is counted
    as credit_exhausted, never as a rate limit, and the source stays up."""
    fake.routes["/user/balance"] = fixture_reply("deepseek__user_balance.json")
    config = f"sources:\n  - {{name: ds, type: deepseek, url: '{fake.url}', api_key: k-0000}}\n"
    engine = engine_for(config, Clock())
    try:
        engine.run_once()
        fake.routes["/user/balance"] = fixture_reply("deepseek__error_402.json", status=402)
        engine.run_once()
        text = Exposition(engine.view).render().decode()
        s = source(engine, "ds")
    finally:
        engine.stop()
    assert s.up and s.last_error is not None and "out of credit" in s.last_error
    assert 'llm_source_up{source="ds"} 1.0' in text
    assert dict(s.failures)[("balance", "credit_exhausted")] == 1
    assert s.blocked_until is None  # nothing to wait out, unlike a 429
